/* Reference parsing after Docker's grammar (github.com/distribution/reference):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] component ( "/" component )*
 *   component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * The first component is a domain only if it contains "." or ":", is "localhost", or has
 * an upper-case letter (Docker's splitDockerDomain); otherwise the domain is docker.io and
 * a single component gets "library/" in front. */
#include "image/reference.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

bool hull_hex64_p(const char *s) {
  size_t i = 0;
  for (; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return i == 64;
}

bool hull_digest_valid_p(const char *digest) {
  return digest != NULL && strncmp(digest, "sha256:", 7) == 0 && hull_hex64_p(digest + 7);
}

static bool alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* One path component of [start, end). */
static bool component_valid(const char *s, size_t n) {
  if (n == 0 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
    return false;
  for (size_t i = 0; i < n;) {
    if (alnum_lower(s[i])) {
      i++;
      continue;
    }
    /* A separator: ".", "_", "__" or any run of "-", always between alphanumerics. */
    size_t j = i;
    if (s[i] == '.') {
      j++;
    } else if (s[i] == '_') {
      j++;
      if (s[j] == '_')
        j++;
    } else if (s[i] == '-') {
      while (j < n && s[j] == '-')
        j++;
    } else {
      return false;
    }
    if (j >= n || !alnum_lower(s[j]))
      return false;
    i = j;
  }
  return true;
}

/* An IPv6 address in brackets, as Docker's grammar has it ("[::1]:5000/app"): hex digits
 * and colons; *port is what follows the closing bracket. */
static bool ipv6_host_valid(const char *s, const char **port) {
  const char *end = strchr(s, ']');
  if (end == NULL || end == s + 1)
    return false;
  for (const char *p = s + 1; p < end; p++)
    if (!isxdigit((unsigned char)*p) && *p != ':')
      return false;
  *port = end + 1;
  return true;
}

static bool domain_valid(const char *s) {
  const char *colon = strrchr(s, ':');
  if (s[0] == '[') {
    const char *rest;
    if (!ipv6_host_valid(s, &rest) || (rest[0] != '\0' && rest[0] != ':'))
      return false;
    colon = rest[0] ? rest : NULL;
  }
  size_t host_len = colon ? (size_t)(colon - s) : strlen(s);
  if (host_len == 0)
    return false;
  /* Components of letters, digits and inner dashes, separated by dots. */
  size_t start = 0;
  for (size_t i = 0; s[0] != '[' && i <= host_len; i++) {
    if (i == host_len || s[i] == '.') {
      if (i == start || s[start] == '-' || s[i - 1] == '-')
        return false;
      start = i + 1;
    } else if (!isalnum((unsigned char)s[i]) && s[i] != '-') {
      return false;
    }
  }
  if (colon) {
    if (colon[1] == '\0' || strlen(colon + 1) > 5)
      return false;
    for (const char *p = colon + 1; *p; p++)
      if (!isdigit((unsigned char)*p))
        return false;
  }
  return true;
}

static bool tag_valid(const char *t) {
  size_t n = strlen(t);
  if (n == 0 || n > 128)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    bool word = isalnum((unsigned char)c) || c == '_';
    if (!(word || (i > 0 && (c == '.' || c == '-'))))
      return false;
  }
  return true;
}

void hull_ref_free(hull_ref *r) {
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}

static int bad(hull_err *err, const char *s, const char *why) {
  return hull_error(err, 0, "invalid reference format%s%s: \"%s\"", why ? ": " : "", why ? why : "", s);
}

int hull_ref_parse(const char *s, hull_ref *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  if (s == NULL || *s == '\0')
    return bad(err, "", NULL);
  cleanup_free char *copy = strdup(s);
  if (copy == NULL)
    return hull_error_sys(err, "parse reference");
  hull_ref r = {0};

  char *at = strchr(copy, '@');
  if (at) {
    *at = '\0';
    if (!hull_digest_valid_p(at + 1)) {
      bad(err, s, "invalid digest (want sha256: and 64 lower-case hex digits)");
      return -1;
    }
    r.digest = strdup(at + 1);
  }
  char *slash = strrchr(copy, '/');
  char *colon = strrchr(slash ? slash : copy, ':');
  if (colon) {
    *colon = '\0';
    if (!tag_valid(colon + 1)) {
      free(r.digest);
      return bad(err, s, "invalid tag");
    }
    r.tag = strdup(colon + 1);
  }
  char *name = copy;
  char *first_slash = strchr(name, '/');
  const char *domain = HULL_REF_DEFAULT_DOMAIN;
  char *path = name;
  if (first_slash) {
    *first_slash = '\0';
    bool upper = false;
    for (char *p = name; *p; p++)
      upper |= isupper((unsigned char)*p) != 0;
    if (strpbrk(name, ".:") || strcmp(name, "localhost") == 0 || upper) {
      domain = name;
      path = first_slash + 1;
    } else {
      *first_slash = '/';
    }
  }
  if (strcmp(domain, "index.docker.io") == 0)
    domain = HULL_REF_DEFAULT_DOMAIN;
  int rc = -1;
  if (!domain_valid(domain)) {
    bad(err, s, "invalid domain");
    goto out;
  }
  for (const char *p = path; *p; p++)
    if (isupper((unsigned char)*p)) {
      bad(err, s, "repository name must be lowercase");
      goto out;
    }
  for (const char *p = path;;) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (!component_valid(p, n)) {
      bad(err, s, NULL);
      goto out;
    }
    if (e == NULL)
      break;
    p = e + 1;
  }
  if (first_slash == NULL && hull_hex64_p(path)) {
    hull_error(err, 0, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", path);
    goto out;
  }
  bool library = strcmp(domain, HULL_REF_DEFAULT_DOMAIN) == 0 && strchr(path, '/') == NULL;
  r.domain = strdup(domain);
  if (asprintf(&r.path, "%s%s", library ? "library/" : "", path) < 0)
    r.path = NULL;
  if (r.tag == NULL && r.digest == NULL)
    r.tag = strdup("latest");
  if (r.domain == NULL || r.path == NULL || (r.tag == NULL && r.digest == NULL)) {
    hull_error(err, ENOMEM, "parse reference %s", s);
    goto out;
  }
  if (strlen(r.domain) + 1 + strlen(r.path) > HULL_REF_NAME_MAX) {
    bad(err, s, "repository name must not be more than 255 characters");
    goto out;
  }
  *out = r;
  memset(&r, 0, sizeof(r));
  rc = 0;
out:
  hull_ref_free(&r);
  return rc;
}

char *hull_ref_name(const hull_ref *r) {
  char *s = NULL;
  if (asprintf(&s, "%s/%s", r->domain, r->path) < 0)
    return NULL;
  return s;
}

char *hull_ref_string(const hull_ref *r) {
  char *s = NULL;
  int n;
  if (r->tag)
    n = asprintf(&s, "%s/%s:%s", r->domain, r->path, r->tag);
  else
    n = asprintf(&s, "%s/%s@%s", r->domain, r->path, r->digest);
  return n < 0 ? NULL : s;
}

const char *hull_ref_familiar(const char *full_name) {
  static const char docker[] = HULL_REF_DEFAULT_DOMAIN "/";
  if (strncmp(full_name, docker, sizeof(docker) - 1) != 0)
    return full_name;
  const char *rest = full_name + sizeof(docker) - 1;
  if (strncmp(rest, "library/", 8) == 0 && strchr(rest + 8, '/') == NULL)
    return rest + 8;
  return rest;
}
