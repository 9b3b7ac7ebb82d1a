#include "image/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/credhelper.h"
#include "image/lazy.h"

/* Docker keys the Hub's credentials by its old v1 index URL. */
#define HUB_KEY "https://index.docker.io/v1/"

char *hull_auth_path(const char *authfile, hull_err *err) {
  char *p = NULL;
  const char *env;
  if (authfile && *authfile)
    p = strdup(authfile);
  else if ((env = getenv("REGISTRY_AUTH_FILE")) && *env)
    p = strdup(env);
  else if ((env = getenv("DOCKER_CONFIG")) && *env) {
    if (asprintf(&p, "%s/config.json", env) < 0)
      p = NULL;
  } else if ((env = getenv("HOME")) && *env) {
    if (asprintf(&p, "%s/.docker/config.json", env) < 0)
      p = NULL;
  } else {
    hull_error(err, ENOENT, "no place for credentials: set HOME, DOCKER_CONFIG or --authfile");
    return NULL;
  }
  if (p == NULL)
    hull_error(err, ENOMEM, "credentials file");
  return p;
}

char *hull_auth_normalize(const char *server) {
  const char *s = server;
  if (strncmp(s, "https://", 8) == 0)
    s += 8;
  else if (strncmp(s, "http://", 7) == 0)
    s += 7;
  char *host = strndup(s, strcspn(s, "/"));
  if (host == NULL)
    return NULL;
  if (strcmp(host, "index.docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0 ||
      strcmp(host, "registry.hub.docker.com") == 0) {
    free(host);
    return strdup("docker.io");
  }
  return host;
}

/* The key login writes for a domain (Docker's, so `docker pull` finds it too). */
static const char *key_for(const char *domain) { return strcmp(domain, "docker.io") == 0 ? HUB_KEY : domain; }

/* The file's JSON, or an empty object if there is no file yet. */
static json_t *load(const char *path, hull_err *err) {
  size_t len = 0;
  hull_err e = NULL;
  cleanup_free char *text = hull_read_file(path, &len, &e);
  if (text == NULL) {
    if (e->errno_ == ENOENT) {
      hull_error_release(&e); /* no file: nothing stored yet */
      return json_object();
    }
    *err = e;
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(text, len, 0, &je);
  if (!json_is_object(j)) {
    json_decref(j);
    hull_error(err, EINVAL, "%s: not a credentials file (%s)", path, je.text);
    return NULL;
  }
  return j;
}

/* The entry of "auths" for domain, whatever spelling of it the key uses. */
static const char *find_key(json_t *auths, const char *domain) {
  const char *k;
  json_t *v;
  json_object_foreach(auths, k, v) {
    cleanup_free char *n = hull_auth_normalize(k);
    if (n && strcmp(n, domain) == 0)
      return k;
  }
  return NULL;
}

/* The credential helper the file names for domain: its "credHelpers" entry for the registry
 * (whatever spelling of it the key uses), else its "credsStore"; NULL if neither. */
static const char *helper_for(json_t *j, const char *domain) {
  json_t *helpers = json_object_get(j, "credHelpers");
  const char *k = find_key(helpers, domain);
  const char *h = k ? json_string_value(json_object_get(helpers, k)) : NULL;
  if (h && *h)
    return h;
  h = json_string_value(json_object_get(j, "credsStore"));
  return h && *h ? h : NULL;
}

static int decode(const char *path, const char *domain, const char *b64, char **user, char **pass, hull_err *err) {
  if (hull_lazy_crypto(err) < 0)
    return -1;
  size_t n = strlen(b64);
  cleanup_free unsigned char *raw = malloc(n / 4 * 3 + 4);
  if (raw == NULL)
    return hull_error(err, ENOMEM, "credentials");
  int len = n % 4 == 0 ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n) : -1;
  if (len < 0)
    return hull_error(err, EINVAL, "%s: credentials for %s are not base64", path, domain);
  /* EVP_DecodeBlock counts the padding as zero bytes. */
  for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
    len--;
  raw[len] = '\0';
  char *colon = strchr((char *)raw, ':');
  if (colon == NULL || memchr(raw, 0, (size_t)len) != NULL)
    return hull_error(err, EINVAL, "%s: credentials for %s are not user:password", path, domain);
  *colon = '\0';
  *user = strdup((char *)raw);
  *pass = strdup(colon + 1);
  explicit_bzero(raw, (size_t)len);
  if (*user == NULL || *pass == NULL) {
    free(*user);
    free(*pass);
    *user = *pass = NULL;
    return hull_error(err, ENOMEM, "credentials");
  }
  return 1;
}

static int get_from(const char *path, const char *domain, char **user, char **pass, hull_err *err) {
  cleanup_json json_t *j = load(path, err);
  if (j == NULL)
    return -1;
  /* A helper named for the registry is asked, and the file's own entry is not read (Docker). */
  const char *helper = helper_for(j, domain);
  if (helper) {
    int r = hull_credhelper_get(helper, key_for(domain), user, pass, err);
    return r < 0 ? hull_error_wrap(err, "%s: credentials for %s", path, domain) : r;
  }
  json_t *auths = json_object_get(j, "auths");
  const char *k = find_key(auths, domain);
  const char *b64 = k ? json_string_value(json_object_get(json_object_get(auths, k), "auth")) : NULL;
  if (b64 == NULL || *b64 == '\0')
    return 0;
  return decode(path, domain, b64, user, pass, err);
}

int hull_auth_get(const char *authfile, const char *domain, char **user, char **pass, hull_err *err) {
  *user = *pass = NULL;
  /* Podman's order: its own auth file first, then Docker's. */
  const char *env = getenv("REGISTRY_AUTH_FILE");
  const char *first = authfile && *authfile ? authfile : env && *env ? env : NULL;
  if (first) {
    int r = get_from(first, domain, user, pass, err);
    if (r != 0)
      return r;
  }
  cleanup_free char *docker = NULL;
  if ((env = getenv("DOCKER_CONFIG")) && *env) {
    if (asprintf(&docker, "%s/config.json", env) < 0)
      docker = NULL;
  } else if ((env = getenv("HOME")) && *env) {
    if (asprintf(&docker, "%s/.docker/config.json", env) < 0)
      docker = NULL;
  } else {
    return 0;
  }
  if (docker == NULL)
    return hull_error(err, ENOMEM, "credentials file");
  return first && strcmp(first, docker) == 0 ? 0 : get_from(docker, domain, user, pass, err);
}

/* Replaces the file with j, 0600, atomically; the directory is made (0700) if missing. */
static int save(const char *path, json_t *j, hull_err *err) {
  cleanup_free char *text = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
  cleanup_free char *dir_copy = strdup(path);
  cleanup_free char *base_copy = strdup(path);
  if (text == NULL || dir_copy == NULL || base_copy == NULL)
    return hull_error(err, ENOMEM, "credentials");
  const char *dir = dirname(dir_copy);
  if (hull_mkdir_p(dir, 0700, err) < 0)
    return -1;
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  size_t len = strlen(text);
  int r = hull_write_file_atomic_at(dfd, basename(base_copy), text, len, true, err);
  explicit_bzero(text, len);
  return r < 0 ? hull_error_wrap(err, "store credentials") : 0;
}

int hull_auth_set(const char *path, const char *domain, const char *user, const char *pass, hull_err *err) {
  cleanup_json json_t *j = load(path, err);
  if (j == NULL)
    return -1;
  /* With a helper the secret goes to it alone: nothing is written to the file (Docker). */
  const char *helper = helper_for(j, domain);
  if (helper) {
    if (hull_credhelper_store(helper, key_for(domain), user, pass, err) < 0)
      return hull_error_wrap(err, "store credentials for %s", domain);
    return 1;
  }
  if (hull_lazy_crypto(err) < 0)
    return -1;
  json_t *auths = json_object_get(j, "auths");
  if (!json_is_object(auths)) {
    auths = json_object();
    if (auths == NULL || json_object_set_new(j, "auths", auths) < 0)
      return hull_error(err, ENOMEM, "credentials");
  }
  const char *old = find_key(auths, domain);
  if (old)
    json_object_del(auths, old);
  size_t n = strlen(user) + 1 + strlen(pass);
  cleanup_free char *plain = malloc(n + 1);
  cleanup_free char *b64 = malloc((n + 2) / 3 * 4 + 1);
  if (plain == NULL || b64 == NULL)
    return hull_error(err, ENOMEM, "credentials");
  snprintf(plain, n + 1, "%s:%s", user, pass);
  EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
  explicit_bzero(plain, n);
  json_t *entry = json_pack("{s:s}", "auth", b64);
  explicit_bzero(b64, strlen(b64));
  if (entry == NULL || json_object_set_new(auths, key_for(domain), entry) < 0)
    return hull_error(err, ENOMEM, "credentials");
  return save(path, j, err);
}

int hull_auth_remove(const char *path, const char *domain, hull_err *err) {
  cleanup_json json_t *j = load(path, err);
  if (j == NULL)
    return -1;
  const char *helper = helper_for(j, domain);
  int erased = 0;
  if (helper && (erased = hull_credhelper_erase(helper, key_for(domain), err)) < 0)
    return hull_error_wrap(err, "erase credentials for %s", domain);
  /* An entry of the file's own goes too (one written before the helper was configured). */
  json_t *auths = json_object_get(j, "auths");
  const char *k = find_key(auths, domain);
  if (k == NULL)
    return erased;
  json_object_del(auths, k);
  return save(path, j, err) < 0 ? -1 : 1;
}
