/* libFuzzer target: image references (src/image/reference.c), which come from users,
 * archives (RepoTags, index annotations) and registries. An accepted reference must be
 * usable as is: a valid domain and path, a tag or a valid digest, a full string that parses
 * back to itself, and a familiar form that is a suffix of the full name. The digest check
 * must accept exactly "sha256:" + 64 lower-case hex digits (digests become file names). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/reference.h"

#define CHECK(cond, ...)                                                                                               \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "fuzz_reference: invariant violated: " __VA_ARGS__);                                             \
      fprintf(stderr, "\n");                                                                                           \
      abort();                                                                                                         \
    }                                                                                                                  \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool digest_by_hand(const char *s) {
  if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
    return false;
  for (const char *p = s + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  CHECK(hull_digest_valid_p(s) == digest_by_hand(s), "digest check disagrees on \"%s\"", s);
  hull_ref r;
  hull_err err = NULL;
  if (hull_ref_parse(s, &r, &err) == 0) {
    CHECK(err == NULL, "success with an error set");
    CHECK(r.domain && *r.domain && r.path && *r.path, "empty domain or path for \"%s\"", s);
    CHECK(r.tag || r.digest, "neither tag nor digest for \"%s\"", s);
    CHECK(r.digest == NULL || hull_digest_valid_p(r.digest), "bad digest kept for \"%s\"", s);
    CHECK(strstr(r.path, "..") == NULL && r.path[0] != '/', "path \"%s\" for \"%s\"", r.path, s);
    char *full = hull_ref_string(&r);
    CHECK(full != NULL, "no string");
    hull_ref again;
    hull_err e2 = NULL;
    CHECK(hull_ref_parse(full, &again, &e2) == 0, "\"%s\" (from \"%s\") does not parse: %s", full, s,
          e2 ? e2->msg : "");
    char *full2 = hull_ref_string(&again);
    CHECK(full2 && strcmp(full, full2) == 0, "\"%s\" reparses as \"%s\"", full, full2 ? full2 : "(null)");
    const char *fam = hull_ref_familiar(full);
    CHECK(strlen(fam) <= strlen(full) && strcmp(full + strlen(full) - strlen(fam), fam) == 0,
          "familiar \"%s\" of \"%s\"", fam, full);
    free(full2);
    hull_ref_free(&again);
    free(full);
    hull_ref_free(&r);
  } else {
    CHECK(err != NULL && err->msg != NULL, "failure without an error for \"%s\"", s);
  }
  hull_error_release(&err);
  free(s);
  return 0;
}
