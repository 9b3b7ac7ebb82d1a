/* `image prune`: Docker's rules. Dangling images (no tag) by default, with all every
 * image no container uses; an image that is another's parent goes only after its child
 * (the prune repeats until nothing more goes, as Docker's removal of untagged parents). */
#ifndef HULL_IMAGE_PRUNE_H
#define HULL_IMAGE_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "image/prune-filter.h"

/* Removes what the filter selects (f->all: every unused image, not only dangling ones); rep gets rmi's lines and the
 * bytes reclaimed. An image that cannot go (a container's storage uses its layers) is left and does not fail it. */
int hull_image_prune(hull_store *s, const hull_prune_filter *f, hull_rmi_report *rep, hull_err *err)
    __attribute__((warn_unused_result));

#endif
