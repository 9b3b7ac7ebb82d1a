/* hull pull: an image from a registry into the store. Layers download in parallel over
 * libcurl's multi interface; each is verified and unpacked in a thread of its own as soon
 * as it has arrived, while the others still download. */
#ifndef HULL_IMAGE_PULL_H
#define HULL_IMAGE_PULL_H

#include <stdbool.h>

#include "image/store.h"

typedef struct hull_pull_opts {
  const char *os, *arch; /* the platform picked from an index (default linux/amd64) */
  bool insecure;         /* plain HTTP to any registry, not only loopback ones */
  const char *authfile;  /* credentials: this file first, then Docker's (image/auth.h) */
  /* Progress as Docker prints it: id is a short layer id or NULL for a line of its own. */
  void (*progress)(void *ctx, const char *id, const char *status);
  void *ctx;
} hull_pull_opts;

typedef struct hull_pull_result {
  char id[HULL_DIGEST_LEN + 1];
  char manifest_digest[HULL_DIGEST_LEN + 1];
  bool up_to_date;
  char *name; /* full reference pulled */
} hull_pull_result;

int hull_image_pull(hull_store *s, const char *reference, const hull_pull_opts *opts, hull_pull_result *res,
                    hull_err *err) __attribute__((warn_unused_result));

#endif
