/* The init layer of an image: the mount points the engine's containers need that the
 * image lacks, made once per image and shared by all its containers as the top lower
 * layer of their overlay mounts (Docker's and Podman's "init layer", but shared, not one
 * per container).
 *
 * Without it, every start made the mount points in the container's upper directory: for
 * an image with /etc but no /etc/hosts (busybox), overlayfs copied /etc up and the runtime
 * created three files there, and the removal deleted them again, four inodes made and
 * freed per run.
 *
 *   <root>/layers/<top chain hex>/init   read-only for everyone: made in a temporary
 *                                        directory, synced, and renamed into place, so
 *                                        that the name only ever names a complete layer
 *
 * It lives in the top layer's directory, so that whatever removes the layer (rmi, prune,
 * the collector) removes it too. It holds only what the image's merged view lacks
 * entirely, below directories the image has as real directories, and never anything that
 * would shadow an entry of the image: /proc, /sys and /dev at the root, and /etc/hosts,
 * /etc/hostname and /etc/resolv.conf (empty files) with /etc itself (carrying the owner,
 * mode and times of the image's /etc). */
#ifndef HULL_STORAGE_INITLAYER_H
#define HULL_STORAGE_INITLAYER_H

#include <stddef.h>

#include "common/error.h"
#include "image/store.h"

/* Makes the init layer of the image whose layers (chain ids, top first) are given, unless
 * it exists. Returns 0 when it exists afterwards (made by this call or another command),
 * -1 with err set when it could not be made (nothing is left behind but a temporary
 * directory in tmpfd, the store's overlay/c, that the collector removes). */
int hull_init_layer_ensure(hull_store *s, int tmpfd, const char *const *layers, size_t n, hull_err *err)
    __attribute__((warn_unused_result));

#endif
