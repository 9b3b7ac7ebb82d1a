#include "image/registry.h"

#include "image/curl-lazy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "image/auth.h"
#include "image/credhelper.h"
#include "image/digest.h"
#include "image/lazy.h"

#define MAX_SMALL (8 << 20)
#define ACCEPT_MANIFESTS                                                                                               \
  "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "                      \
  "application/vnd.docker.distribution.manifest.list.v2+json, "                                                        \
  "application/vnd.docker.distribution.manifest.v2+json"

struct hull_registry {
  char *domain;
  char *root; /* "https://registry-1.docker.io/v2/" */
  char *base; /* "https://registry-1.docker.io/v2/library/busybox" */
  char *auth; /* "Authorization: Bearer ..." or "... Basic ..." or NULL; never logged */
  /* The user's stored credentials: sent only to this registry's host when it asks for
   * basic auth, or to the token server its challenge names (as Docker does). */
  char *user;
  char *basic;    /* "Authorization: Basic base64(user:pass)" */
  char *identity; /* an identity token (OAuth2 refresh token) instead of user and password */
  /* A scope a token must have beyond what the registry's challenge names: a cross-repository
   * mount asks for "repository:FROM:pull" too, as Docker does. */
  const char *extra_scope;
  bool insecure;
  CURL *curl;
};

/* Secrets are wiped before their memory goes back to the allocator. */
static void clear_free(char *s) {
  if (s)
    explicit_bzero(s, strlen(s));
  free(s);
}

/* host[:port][/path...] names this machine: localhost, [::1] or an IPv4 address in
 * 127.0.0.0/8 (a name like 127.example.com is not one). */
static bool loopback(const char *host) {
  if (strncmp(host, "[::1]", 5) == 0)
    return host[5] == '\0' || host[5] == ':' || host[5] == '/';
  size_t n = strcspn(host, ":/");
  char name[64];
  if (n >= sizeof(name))
    return false;
  memcpy(name, host, n);
  name[n] = '\0';
  struct in_addr a;
  return strcmp(name, "localhost") == 0 || (inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127);
}

hull_registry *hull_registry_new_host(const char *domain, bool insecure, hull_err *err) {
  if (hull_curl_load(err) < 0)
    return NULL;
  hull_registry *r = calloc(1, sizeof(*r));
  if (r == NULL) {
    hull_error(err, ENOMEM, "registry");
    return NULL;
  }
  const char *host = strcmp(domain, "docker.io") == 0 ? "registry-1.docker.io" : domain;
  /* An insecure registry is tried over HTTPS first, its certificate not checked, and over
   * plain HTTP if that fails (request() switches), as Docker and podman do. */
  bool plain = loopback(domain);
  r->insecure = insecure;
  r->domain = strdup(domain);
  r->curl = curl_easy_init();
  if (r->domain == NULL || r->curl == NULL || asprintf(&r->root, "%s://%s/v2/", plain ? "http" : "https", host) < 0) {
    hull_registry_free(r);
    hull_error(err, ENOMEM, "registry");
    return NULL;
  }
  return r;
}

hull_registry *hull_registry_new(const hull_ref *ref, bool insecure, hull_err *err) {
  hull_registry *r = hull_registry_new_host(ref->domain, insecure, err);
  if (r && asprintf(&r->base, "%s%s", r->root, ref->path) < 0) {
    hull_registry_free(r);
    hull_error(err, ENOMEM, "registry");
    return NULL;
  }
  return r;
}

int hull_registry_set_login(hull_registry *r, const char *user, const char *pass, hull_err *err) {
  if (hull_lazy_crypto(err) < 0)
    return -1;
  if (strpbrk(user, "\r\n:") || strpbrk(pass, "\r\n"))
    return hull_error(err, EINVAL, "%s: a user name or password with a line break (or a colon in the name)", r->domain);
  if (strcmp(user, HULL_IDENTITY_TOKEN_USER) == 0) {
    clear_free(r->identity);
    r->identity = strdup(pass);
    return r->identity ? 0 : hull_error(err, ENOMEM, "credentials");
  }
  size_t n = strlen(user) + 1 + strlen(pass);
  cleanup_free char *plain = malloc(n + 1);
  cleanup_free char *b64 = malloc((n + 2) / 3 * 4 + 1);
  if (plain == NULL || b64 == NULL)
    return hull_error(err, ENOMEM, "credentials");
  snprintf(plain, n + 1, "%s:%s", user, pass);
  EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
  explicit_bzero(plain, n);
  free(r->user);
  clear_free(r->basic);
  r->user = strdup(user);
  if (asprintf(&r->basic, "Authorization: Basic %s", b64) < 0)
    r->basic = NULL;
  explicit_bzero(b64, strlen(b64));
  if (r->user == NULL || r->basic == NULL)
    return hull_error(err, ENOMEM, "credentials");
  return 0;
}

void hull_registry_free(hull_registry *r) {
  if (r == NULL)
    return;
  if (r->curl)
    curl_easy_cleanup(r->curl);
  free(r->domain);
  free(r->root);
  free(r->base);
  clear_free(r->auth);
  clear_free(r->basic);
  clear_free(r->identity);
  free(r->user);
  free(r);
}

const char *hull_registry_domain(hull_registry *r) { return r->domain; }
const char *hull_registry_auth_header(hull_registry *r) { return r->auth; }
bool hull_registry_insecure(hull_registry *r) { return r->insecure; }

char *hull_registry_blob_url(hull_registry *r, const char *digest) {
  char *url = NULL;
  if (asprintf(&url, "%s/blobs/%s", r->base, digest) < 0)
    return NULL;
  return url;
}

typedef struct resp {
  long status;
  char *body;
  size_t len;
  char *content_type;
  char *www_auth;
  char *location;
  bool too_big;
} resp;

static void resp_free(resp *p) {
  free(p->body);
  free(p->content_type);
  free(p->www_auth);
  free(p->location);
  memset(p, 0, sizeof(*p));
}

static size_t on_body(char *data, size_t size, size_t n, void *opaque) {
  resp *p = opaque;
  size_t add = size * n;
  if (p->len + add > MAX_SMALL) {
    p->too_big = true;
    return 0;
  }
  char *nb = realloc(p->body, p->len + add + 1);
  if (nb == NULL)
    return 0;
  p->body = nb;
  memcpy(p->body + p->len, data, add);
  p->len += add;
  p->body[p->len] = '\0';
  return add;
}

static char *header_value(const char *line, size_t n, const char *name) {
  size_t nl = strlen(name);
  if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
    return NULL;
  const char *v = line + nl + 1;
  const char *end = line + n;
  while (v < end && isspace((unsigned char)*v))
    v++;
  while (end > v && isspace((unsigned char)end[-1]))
    end--;
  return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *line, size_t size, size_t n, void *opaque) {
  resp *p = opaque;
  size_t len = size * n;
  char *v;
  /* Headers of a redirect's response are replaced by the final response's. */
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    free(p->content_type);
    free(p->www_auth);
    p->content_type = p->www_auth = NULL;
  } else if ((v = header_value(line, len, "Content-Type"))) {
    free(p->content_type);
    p->content_type = v;
  } else if ((v = header_value(line, len, "Location"))) {
    free(p->location);
    p->location = v;
  } else if ((v = header_value(line, len, "WWW-Authenticate"))) {
    free(p->www_auth);
    p->www_auth = v;
  }
  return len;
}

/* One HTTP request. A body comes from fd (rewound first) or from buf. */
typedef struct req {
  const char *method; /* "GET", "HEAD", "POST", "PUT" */
  const char *url;
  const char *accept;       /* a whole "Accept: ..." header line, or NULL */
  const char *content_type; /* a whole "Content-Type: ..." line, or NULL */
  int fd;
  const char *buf;
  size_t len;
  const char *authz; /* a whole "Authorization: ..." line, or NULL */
} req;

static size_t on_upload(char *dst, size_t size, size_t n, void *opaque) {
  int fd = *(int *)opaque;
  ssize_t r = read(fd, dst, size * n);
  return r < 0 ? CURL_READFUNC_ABORT : (size_t)r;
}

static int request_once(hull_registry *r, const req *q, resp *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  CURL *c = r->curl;
  curl_easy_reset(c);
  struct curl_slist *h = NULL;
  if (q->accept)
    h = curl_slist_append(h, q->accept);
  if (q->content_type)
    h = curl_slist_append(h, q->content_type);
  if (q->authz)
    h = curl_slist_append(h, q->authz);
  int fd = q->fd;
  curl_easy_setopt(c, CURLOPT_URL, q->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (strcmp(q->method, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (strcmp(q->method, "PUT") == 0 && fd >= 0) {
    if (lseek(fd, 0, SEEK_SET) < 0) {
      curl_slist_free_all(h);
      return hull_error_sys(err, "%s %s: rewind", q->method, q->url);
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
    curl_easy_setopt(c, CURLOPT_READDATA, &fd);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->len);
  } else if (strcmp(q->method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->buf ? q->buf : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->buf ? q->len : 0));
  }
  /* Redirects (blobs on a storage service) are followed, and curl sends a header like
   * Authorization only to the host it was given for (CVE-2020-15157). */
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(q->method, "GET") == 0 ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hull");
  if (r->insecure) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  /* The query is left out: a token request's names the account. */
  hull_debug("%s %.*s", q->method, (int)strcspn(q->url, "?"), q->url);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(h);
  if (rc != CURLE_OK) {
    int too_big = out->too_big;
    resp_free(out);
    if (too_big)
      return hull_error(err, EFBIG, "%s %s: response larger than %d bytes", q->method, q->url, MAX_SMALL);
    return hull_error(err, 0, "%s %s: %s", q->method, q->url, curl_easy_strerror(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  return 0;
}

/* *url with its "https://" prefix replaced by "http://", in place. */
static int to_plain(char **url) {
  char *plain = NULL;
  if (*url == NULL || strncmp(*url, "https://", 8) != 0)
    return 0;
  if (asprintf(&plain, "http://%s", *url + 8) < 0)
    return -1;
  free(*url);
  *url = plain;
  return 0;
}

/* One request; to a registry the user called insecure that does not answer over HTTPS,
 * the same request again over plain HTTP, and every later one too. */
static int request(hull_registry *r, const req *q, resp *out, hull_err *err) {
  hull_err first = NULL;
  size_t rl = strlen(r->root);
  if (!r->insecure || strncmp(r->root, "https://", 8) != 0 || strncmp(q->url, r->root, rl) != 0)
    return request_once(r, q, out, err);
  if (request_once(r, q, out, &first) == 0)
    return 0;
  hull_debug("%s: %s; trying plain HTTP", r->domain, first->msg);
  hull_error_release(&first);
  cleanup_free char *url = strdup(q->url);
  if (url == NULL || to_plain(&url) < 0 || to_plain(&r->root) < 0 || to_plain(&r->base) < 0)
    return hull_error(err, ENOMEM, "registry");
  req again = *q;
  again.url = url;
  return request_once(r, &again, out, err);
}

static int get(hull_registry *r, const char *url, const char *accept, const char *authz, resp *out, hull_err *err) {
  req q = {.method = "GET", .url = url, .accept = accept, .fd = -1, .authz = authz};
  return request(r, &q, out, err);
}

/* key="value" of a WWW-Authenticate challenge. */
static char *challenge_param(const char *ch, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = ch; (p = strstr(p, key)) != NULL; p += kl) {
    if ((p == ch || p[-1] == ' ' || p[-1] == ',') && p[kl] == '=' && p[kl + 1] == '"') {
      const char *v = p + kl + 2, *e = strchr(v, '"');
      return e ? strndup(v, (size_t)(e - v)) : NULL;
    }
  }
  return NULL;
}

/* May the user's credentials go to this token server? Over HTTPS yes (the registry chose
 * it, as Docker trusts it); over plain HTTP only on loopback or when the user said the
 * registry is insecure, as for the registry itself. */
static bool realm_ok_for_creds(hull_registry *r, const char *realm) {
  if (strncmp(realm, "https://", 8) == 0)
    return true;
  return r->insecure || loopback(realm + 7);
}

/* Appends "&scope=S" to *url for each scope of the space-separated list, as Docker asks for
 * several scopes (a token server joins them; one parameter holding a list is not the same). */
static int add_scopes(hull_registry *r, char **url, const char *list) {
  for (const char *p = list; *p;) {
    size_t n = strcspn(p, " ");
    if (n > 0) {
      cleanup_free char *one = strndup(p, n);
      char *e = one ? curl_easy_escape(r->curl, one, 0) : NULL;
      char *next = NULL;
      int rc = e ? asprintf(&next, "%s&scope=%s", *url, e) : -1;
      curl_free(e);
      if (rc < 0)
        return -1;
      free(*url);
      *url = next;
    }
    p += n;
    p += strspn(p, " ");
  }
  return 0;
}

/* The token server's URL: the realm with the service, every scope of the challenge, the
 * extra scope this request needs (unless the challenge named it) and the account. */
static char *token_url(hull_registry *r, const char *realm, const char *service, const char *scope) {
  char *es = curl_easy_escape(r->curl, service ? service : "", 0);
  char *url = NULL;
  int n = asprintf(&url, "%s%sservice=%s", realm, strchr(realm, '?') ? "&" : "?", es ? es : "");
  curl_free(es);
  if (n < 0)
    return NULL;
  bool extra = r->extra_scope && !(scope && strstr(scope, r->extra_scope));
  if ((scope && add_scopes(r, &url, scope) < 0) || (extra && add_scopes(r, &url, r->extra_scope) < 0)) {
    free(url);
    return NULL;
  }
  if (r->user) {
    char *eu = curl_easy_escape(r->curl, r->user, 0);
    char *next = NULL;
    n = eu ? asprintf(&next, "%s&account=%s", url, eu) : -1;
    curl_free(eu);
    free(url);
    url = n < 0 ? NULL : next;
  }
  return url;
}

/* Asks the token server for a token: a GET of url with the basic credentials, or with an
 * identity token the OAuth2 POST Docker makes (grant_type=refresh_token), the token in the
 * body where no log or proxy sees it; then url holds only the "?service=...&scope=..." part. */
static int fetch_token(hull_registry *r, const char *realm, const char *url, resp *p, hull_err *err) {
  if (r->identity == NULL)
    return get(r, url, NULL, r->basic, p, err);
  char *et = curl_easy_escape(r->curl, r->identity, 0);
  cleanup_free char *body = NULL;
  int n = et ? asprintf(&body, "grant_type=refresh_token&client_id=hull&refresh_token=%s&%s", et, url + 1) : -1;
  if (et) {
    explicit_bzero(et, strlen(et));
    curl_free(et);
  }
  if (n < 0)
    return hull_error(err, ENOMEM, "token");
  req q = {.method = "POST",
           .url = realm,
           .content_type = "Content-Type: application/x-www-form-urlencoded",
           .fd = -1,
           .buf = body,
           .len = (size_t)n};
  int rc = request(r, &q, p, err);
  explicit_bzero(body, (size_t)n);
  return rc;
}

/* Answers a challenge: basic auth with the stored credentials, or a bearer token from the
 * realm, asked for with the credentials if there are any (anonymously otherwise). The token
 * and the credentials go only into r->auth, which is sent only to the registry's host; they
 * are never logged. */
static int answer_challenge(hull_registry *r, const char *challenge, hull_err *err) {
  if (strncasecmp(challenge, "Basic", 5) == 0 && (challenge[5] == ' ' || challenge[5] == '\0')) {
    if (r->basic == NULL && r->identity)
      return hull_error_code(err, EACCES,
                             "%s: an identity token needs a token server, the registry asks for basic auth", r->domain);
    if (r->basic == NULL)
      return hull_error_code(err, EACCES, "%s: unauthorized: authentication required (hull login %s)", r->domain,
                             r->domain);
    clear_free(r->auth);
    r->auth = strdup(r->basic);
    return r->auth ? 0 : hull_error(err, ENOMEM, "credentials");
  }
  if (strncasecmp(challenge, "Bearer ", 7) != 0)
    return hull_error(err, EACCES, "%s: unsupported authentication scheme %.*s", r->domain,
                      (int)strcspn(challenge, " "), challenge);
  cleanup_free char *realm = challenge_param(challenge, "realm");
  cleanup_free char *service = challenge_param(challenge, "service");
  cleanup_free char *scope = challenge_param(challenge, "scope");
  if (realm == NULL || (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0))
    return hull_error(err, EINVAL, "%s: bad token realm in the authentication challenge", r->domain);
  if ((r->basic || r->identity) && !realm_ok_for_creds(r, realm))
    return hull_error(err, EACCES, "%s: the token server %.*s is plain HTTP: credentials are not sent there", r->domain,
                      (int)strcspn(realm, "?"), realm);
  cleanup_free char *url = token_url(r, r->identity ? "" : realm, service, scope);
  cleanup_json json_t *j = NULL;
  if (url == NULL)
    return hull_error(err, ENOMEM, "token");
  resp p;
  if (fetch_token(r, realm, url, &p, err) < 0)
    return hull_error_wrap(err, "get a token for %s", r->domain);
  int rc = -1;
  if (p.status == 401 || p.status == 403) {
    hull_error_code(err, EACCES, "get a token for %s: unauthorized: %s", r->domain,
                    r->identity ? "the identity token was refused"
                    : r->basic  ? "incorrect username or password"
                                : "authentication required");
    goto out;
  }
  if (p.status != 200) {
    hull_error(err, EACCES, "get a token for %s: HTTP %ld", r->domain, p.status);
    goto out;
  }
  j = json_loadb(p.body ? p.body : "", p.len, 0, NULL);
  const char *tok = json_string_value(json_object_get(j, "token"));
  if (tok == NULL)
    tok = json_string_value(json_object_get(j, "access_token"));
  if (tok == NULL || strpbrk(tok, "\r\n")) {
    hull_error(err, EACCES, "get a token for %s: no token in the answer", r->domain);
    goto out;
  }
  clear_free(r->auth);
  if (asprintf(&r->auth, "Authorization: Bearer %s", tok) < 0)
    r->auth = NULL;
  rc = r->auth ? 0 : hull_error(err, ENOMEM, "token");
out:
  if (p.body)
    explicit_bzero(p.body, p.len);
  resp_free(&p);
  return rc;
}

/* A request with one retry after answering the registry's challenge (again when a push
 * needs more than the token a pull got). A 401 after that is an error of its own. */
static int request_auth(hull_registry *r, const req *q, resp *out, hull_err *err) {
  req a = *q;
  a.authz = r->auth;
  if (request(r, &a, out, err) < 0)
    return -1;
  if (out->status == 401 && out->www_auth) {
    cleanup_free char *ch = strdup(out->www_auth);
    resp_free(out);
    if (ch == NULL || answer_challenge(r, ch, err) < 0)
      return -1;
    a.authz = r->auth;
    if (request(r, &a, out, err) < 0)
      return -1;
    if (out->status == 401) {
      /* Basic auth refused: the password. A token refused: its scope (the token server took
       * the password), e.g. a push to a repository the account may not write. */
      bool basic = r->basic && r->auth && strcmp(r->auth, r->basic) == 0;
      resp_free(out);
      if (basic)
        return hull_error_code(err, EACCES, "%s: unauthorized: incorrect username or password", r->domain);
      if (r->basic || r->identity)
        return hull_error_code(err, EACCES, "%s: denied: requested access to the resource is denied", r->domain);
      return hull_error_code(err, EACCES, "%s: unauthorized: authentication required (hull login %s)", r->domain,
                             r->domain);
    }
  }
  return 0;
}

static int get_auth(hull_registry *r, const char *url, const char *accept, resp *out, hull_err *err) {
  req q = {.method = "GET", .url = url, .accept = accept, .fd = -1};
  return request_auth(r, &q, out, err);
}

static int status_error(hull_registry *r, const char *what, resp *p, hull_err *err) {
  /* No errno: the HTTP status and the registry's message say it all. */
  int e = 0;
  const char *msg = NULL;
  cleanup_json json_t *j = p->body ? json_loadb(p->body, p->len, 0, NULL) : NULL;
  msg = json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message"));
  return hull_error(err, e, "%s %s: HTTP %ld%s%s", r->domain, what, p->status, msg ? ": " : "", msg ? msg : "");
}

int hull_registry_manifest(hull_registry *r, const char *reference, char **body, size_t *len, char **media_type,
                           hull_err *err) {
  cleanup_free char *url = NULL;
  if (asprintf(&url, "%s/manifests/%s", r->base, reference) < 0)
    return hull_error(err, ENOMEM, "manifest");
  resp p;
  if (get_auth(r, url, ACCEPT_MANIFESTS, &p, err) < 0)
    return -1;
  if (p.status != 200) {
    int rc = status_error(r, "manifest", &p, err);
    resp_free(&p);
    return rc;
  }
  if (strncmp(reference, "sha256:", 7) == 0) {
    char got[HULL_DIGEST_LEN + 1];
    if (hull_sha256_buf(p.body ? p.body : "", p.len, got, err) < 0 || strcmp(got, reference) != 0) {
      resp_free(&p);
      return *err ? -1 : hull_error(err, EIO, "manifest %s: the registry sent content of digest %s", reference, got);
    }
  }
  *body = p.body ? p.body : strdup("");
  *len = p.len;
  /* "type; charset=..." -> "type" */
  if (p.content_type)
    p.content_type[strcspn(p.content_type, "; ")] = '\0';
  *media_type = p.content_type;
  free(p.www_auth);
  free(p.location);
  return 0;
}

char *hull_registry_blob_small(hull_registry *r, const char *digest, size_t *len, hull_err *err) {
  cleanup_free char *url = hull_registry_blob_url(r, digest);
  resp p;
  if (url == NULL || get_auth(r, url, NULL, &p, err) < 0) {
    if (url == NULL)
      hull_error(err, ENOMEM, "blob");
    return NULL;
  }
  char got[HULL_DIGEST_LEN + 1] = "";
  if (p.status != 200) {
    status_error(r, digest, &p, err);
  } else if (hull_sha256_buf(p.body ? p.body : "", p.len, got, err) == 0 && strcmp(got, digest) != 0) {
    hull_error(err, EIO, "blob %s: the registry sent content of digest %s", digest, got);
  }
  if (*err) {
    resp_free(&p);
    return NULL;
  }
  *len = p.len;
  char *b = p.body ? p.body : strdup("");
  free(p.content_type);
  free(p.www_auth);
  free(p.location);
  return b;
}

/* ---- push ---- */

int hull_registry_blob_exists(hull_registry *r, const char *digest, hull_err *err) {
  cleanup_free char *url = hull_registry_blob_url(r, digest);
  if (url == NULL)
    return hull_error(err, ENOMEM, "blob");
  req q = {.method = "HEAD", .url = url, .fd = -1};
  resp p;
  if (request_auth(r, &q, &p, err) < 0)
    return -1;
  long st = p.status;
  resp_free(&p);
  if (st == 200)
    return 1;
  if (st == 404)
    return 0;
  return hull_error(err, 0, "%s: HEAD blob %s: HTTP %ld", r->domain, digest, st);
}

/* The upload URL the registry gave (maybe relative to its host), with the digest added. */
static char *upload_url(hull_registry *r, const char *location, const char *digest) {
  char *url = NULL;
  const char *sep = strchr(location, '?') ? "&" : "?";
  int n;
  if (location[0] == '/') {
    /* base is "scheme://host/v2/...": keep "scheme://host" */
    const char *host = strstr(r->base, "://");
    const char *path = host ? strchr(host + 3, '/') : NULL;
    int keep = path ? (int)(path - r->base) : (int)strlen(r->base);
    n = asprintf(&url, "%.*s%s%sdigest=%s", keep, r->base, location, sep, digest);
  } else {
    n = asprintf(&url, "%s%sdigest=%s", location, sep, digest);
  }
  return n < 0 ? NULL : url;
}

/* Asks the registry to mount the blob from another of its repositories: 1 if it did (201),
 * 0 if not, with *location the upload it started instead (202) or NULL. Whatever goes wrong
 * here (the token server refuses the source's scope, the source lacks the blob) leaves the
 * plain upload to be tried, so it is logged, not returned. */
static int try_mount(hull_registry *r, const char *digest, const char *from, char **location) {
  *location = NULL;
  cleanup_free char *url = NULL;
  cleanup_free char *scope = NULL;
  char *ef = curl_easy_escape(r->curl, from, 0);
  int n = ef ? asprintf(&url, "%s/blobs/uploads/?mount=%s&from=%s", r->base, digest, ef) : -1;
  curl_free(ef);
  if (n < 0 || asprintf(&scope, "repository:%s:pull", from) < 0)
    return 0;
  hull_err e = NULL;
  req q = {.method = "POST", .url = url, .fd = -1};
  resp p;
  r->extra_scope = scope;
  int rc = request_auth(r, &q, &p, &e);
  r->extra_scope = NULL;
  if (rc < 0) {
    hull_debug("mount %s from %s: %s", digest, from, e->msg);
    hull_error_release(&e);
    return 0;
  }
  int mounted = p.status == 201;
  if (p.status == 202 && p.location) {
    *location = p.location;
    p.location = NULL;
  } else if (!mounted) {
    hull_debug("mount %s from %s: HTTP %ld", digest, from, p.status);
  }
  resp_free(&p);
  return mounted;
}

int hull_registry_blob_upload(hull_registry *r, const char *digest, const char *from, int fd, size_t size,
                              hull_err *err) {
  cleanup_free char *location = NULL;
  if (from && try_mount(r, digest, from, &location) == 1)
    return 1;
  resp p;
  if (location == NULL) {
    cleanup_free char *start = NULL;
    if (asprintf(&start, "%s/blobs/uploads/", r->base) < 0)
      return hull_error(err, ENOMEM, "upload");
    req q = {.method = "POST", .url = start, .fd = -1};
    if (request_auth(r, &q, &p, err) < 0)
      return -1;
    if (p.status != 202 || p.location == NULL) {
      int rc = status_error(r, "start upload", &p, err);
      resp_free(&p);
      return rc;
    }
    location = p.location;
    p.location = NULL;
    resp_free(&p);
  }
  cleanup_free char *url = upload_url(r, location, digest);
  if (url == NULL)
    return hull_error(err, ENOMEM, "upload");
  req put = {
      .method = "PUT", .url = url, .content_type = "Content-Type: application/octet-stream", .fd = fd, .len = size};
  if (request_auth(r, &put, &p, err) < 0)
    return -1;
  int rc = p.status == 201 ? 0 : status_error(r, "upload blob", &p, err);
  resp_free(&p);
  return rc;
}

int hull_registry_put_manifest(hull_registry *r, const char *reference, const char *media_type, const char *body,
                               size_t len, hull_err *err) {
  cleanup_free char *url = NULL;
  cleanup_free char *ct = NULL;
  if (asprintf(&url, "%s/manifests/%s", r->base, reference) < 0 || asprintf(&ct, "Content-Type: %s", media_type) < 0)
    return hull_error(err, ENOMEM, "manifest");
  req q = {.method = "PUT", .url = url, .content_type = ct, .fd = -1, .buf = body, .len = len};
  resp p;
  if (request_auth(r, &q, &p, err) < 0)
    return -1;
  int rc = p.status == 201 ? 0 : status_error(r, "put manifest", &p, err);
  resp_free(&p);
  return rc;
}

/* ---- login ---- */

int hull_registry_login(hull_registry *r, hull_err *err) {
  req q = {.method = "GET", .url = r->root, .fd = -1};
  resp p;
  if (request_auth(r, &q, &p, err) < 0)
    return -1;
  int rc = p.status == 200 ? 0 : status_error(r, "login", &p, err);
  resp_free(&p);
  return rc;
}

int hull_registry_load_login(hull_registry *r, const char *authfile, hull_err *err) {
  char *user = NULL, *pass = NULL;
  int found = hull_auth_get(authfile, r->domain, &user, &pass, err);
  int rc = found > 0 ? hull_registry_set_login(r, user, pass, err) : found;
  free(user);
  clear_free(pass);
  return rc < 0 ? hull_error_wrap(err, "credentials for %s", r->domain) : 0;
}
