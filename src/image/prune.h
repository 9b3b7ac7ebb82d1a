/* `image prune`: Docker's rules. Dangling images (no tag) by default, with all every
 * image no container uses; an image that is another's parent goes only after its child
 * (the prune repeats until nothing more goes, as Docker's removal of untagged parents). */
#ifndef HULL_IMAGE_PRUNE_H
#define HULL_IMAGE_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"

typedef struct hull_prune_filter {
  bool all;
  int64_t until;             /* only images created before this (Unix time); 0: any */
  const char *const *labels; /* "key" or "key=value" the image must have (all of them) */
  size_t n_labels;
  const char *const *nlabels; /* "key" or "key=value" the image must not have (label!=) */
  size_t n_nlabels;
} hull_prune_filter;

/* Parses an `until` value as Docker does: a Go duration before now ("10m", "1h30m"), Unix
 * seconds ("1700000000.5") or a date/time ("2006-01-02", RFC 3339). */
int hull_prune_parse_until(const char *v, int64_t now, int64_t *out, hull_err *err) __attribute__((warn_unused_result));

/* Removes what the filter selects; rep gets rmi's lines and the bytes reclaimed. An image
 * that cannot go (a container's storage uses its layers) is left and does not fail it. */
int hull_image_prune(hull_store *s, const hull_prune_filter *f, hull_rmi_report *rep, hull_err *err)
    __attribute__((warn_unused_result));

#endif
