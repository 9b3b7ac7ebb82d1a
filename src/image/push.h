/* hull push: an image of the store to a registry, layers the registry already has skipped. */
#ifndef HULL_IMAGE_PUSH_H
#define HULL_IMAGE_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include "image/store.h"

typedef struct hull_push_opts {
  bool insecure;
  const char *authfile; /* credentials: this file first, then Docker's (image/auth.h) */
  void (*progress)(void *ctx, const char *id, const char *status);
  void *ctx;
} hull_push_opts;

typedef struct hull_push_result {
  char digest[HULL_DIGEST_LEN + 1]; /* of the manifest pushed */
  size_t size;
  char *tag;
} hull_push_result;

int hull_image_push(hull_store *s, const char *name, const hull_push_opts *opts, hull_push_result *res, hull_err *err)
    __attribute__((warn_unused_result));

#endif
