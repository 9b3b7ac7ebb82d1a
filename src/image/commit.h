/* `commit`: a container's upper directory becomes a new layer (OCI whiteouts) on top of its
 * image's layers, and a new image with the image as parent, Docker's way: the container's
 * config with --change instructions applied, author, comment and a history entry. */
#ifndef HULL_IMAGE_COMMIT_H
#define HULL_IMAGE_COMMIT_H

#include <stddef.h>

#include <jansson.h>

#include "common/idmap.h"
#include "image/store.h"

typedef struct hull_commit_params {
  const char *image;          /* the container's image (name or id) */
  const char *upper;          /* its upper directory (hull_overlay_upper_path) */
  const json_t *config;       /* the container's config, as an image config's "config"; NULL: the image's */
  const char *const *changes; /* "CMD ...", "ENV K=V", ... */
  size_t n_changes;
  const char *author;       /* -a */
  const char *message;      /* -m: the comment */
  const char *created_by;   /* history: the container's command line */
  const char *container_id; /* recorded as "container" */
  const char *tag;          /* NAME[:TAG] or NULL */
  const hull_idmaps *ids;   /* a user-namespaced container's maps (the layer gets its ids), or NULL */
} hull_commit_params;

/* Makes the layer and the image (one transaction); id gets the new image id. Nothing
 * changed in the upper directory: no layer, a history entry marked empty_layer, as Docker.
 * The store is opened for writing (HULL_STORE_WRITE); `commit --pause` is the caller's. */
int hull_image_commit_upper(hull_store *s, const hull_commit_params *p, char id[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));

#endif
