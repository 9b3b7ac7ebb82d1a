/* hull pull: an image from a registry into the store. Layers download in parallel over
 * libcurl's multi interface; each is verified and unpacked in a thread of its own as soon
 * as it has arrived, while the others still download. */
#ifndef HULL_IMAGE_PULL_H
#define HULL_IMAGE_PULL_H

#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"

/* One progress event: a layer's status ("Pulling fs layer", "Downloading", "Download
 * complete", "Extracting", "Pull complete", "Already exists"), with the bytes done of the
 * compressed blob for Downloading and Extracting (total 0 if unknown). Downloading and
 * Extracting come at most every PROGRESS_MS per layer. */
typedef struct hull_pull_progress {
  const char *id; /* the short layer id, or NULL for a line of its own */
  const char *status;
  uint64_t current, total;
} hull_pull_progress;

typedef struct hull_pull_opts {
  const char *os, *arch; /* the platform picked from an index (default linux/amd64) */
  bool insecure;         /* plain HTTP to any registry, not only loopback ones */
  const char *authfile;  /* credentials: this file first, then Docker's (image/auth.h) */
  /* Progress as Docker reports it, called from several threads (the caller serializes). */
  void (*progress)(void *ctx, const struct hull_pull_progress *p);
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
