/* Image references with Docker's rules (distribution/reference): `busybox` is
 * docker.io/library/busybox:latest, `host:5000/a/b:tag@sha256:...` keeps its host. */
#ifndef HULL_IMAGE_REFERENCE_H
#define HULL_IMAGE_REFERENCE_H

#include <stdbool.h>

#include "common/error.h"

#define HULL_REF_DEFAULT_DOMAIN "docker.io"
#define HULL_REF_NAME_MAX 255

typedef struct hull_ref {
  char *domain; /* "docker.io", "127.0.0.1:5000" */
  char *path;   /* "library/busybox" */
  char *tag;    /* "latest" (also set by default when there is no digest), or NULL */
  char *digest; /* "sha256:<64 hex>" or NULL */
} hull_ref;

/* Parses a reference; a missing tag becomes "latest" unless a digest is given. */
int hull_ref_parse(const char *s, hull_ref *out, hull_err *err) __attribute__((warn_unused_result));
void hull_ref_free(hull_ref *r);
/* "docker.io/library/busybox" */
char *hull_ref_name(const hull_ref *r);
/* "docker.io/library/busybox:latest" or "...@sha256:..." (tag preferred when both). */
char *hull_ref_string(const hull_ref *r);
/* Docker's short form of a full name: "docker.io/library/busybox" -> "busybox",
 * "docker.io/x/y" -> "x/y"; other domains are kept. */
const char *hull_ref_familiar(const char *full_name);

/* True for "sha256:" + 64 lowercase hex digits (the only digests hull accepts; a digest is
 * used in file names, so anything else, e.g. "sha256:../x", must never get that far). */
bool hull_digest_valid_p(const char *digest);
/* True when s is 64 lowercase hex digits. */
bool hull_hex64_p(const char *s);

#endif
