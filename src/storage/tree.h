/* A directory tree as a tar stream: a container's upper directory as a layer (overlay
 * whiteouts and opaque directories become OCI whiteouts) for commit, or its merged root
 * filesystem for export. The tree is the container's: it is walked by file descriptor,
 * never through a symlink, files are read through O_NOFOLLOW|O_NONBLOCK opens that must
 * still be the file that was listed, and a file that changes size while it is read is cut
 * or padded to the size its header announced. */
#ifndef HULL_STORAGE_TREE_H
#define HULL_STORAGE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/idmap.h"
#include "image/tarwriter.h"

enum hull_tree_mode {
  HULL_TREE_LAYER,  /* an upper directory: whiteouts become ".wh." entries, opaque ".wh..wh..opq" */
  HULL_TREE_EXPORT, /* a merged root filesystem: every file as it is */
};

typedef struct hull_tree_stats {
  uint64_t entries;
  uint64_t bytes; /* of regular file content */
} hull_tree_stats;

/* Writes every entry below dirfd (not the root itself) to t; the caller finishes t. With
 * ids (a user-namespaced container's maps; NULL for none) every owner is written as the
 * container sees it: host ids mapped back, an unmapped one as the overflow id 65534. */
int hull_tree_tar(int dirfd, enum hull_tree_mode mode, const hull_idmaps *ids, hull_tarw *t, hull_tree_stats *stats,
                  hull_err *err) __attribute__((warn_unused_result));

/* `export`: the mounted root filesystem at rootfs as one tar stream on out_fd, owners as
 * hull_tree_tar writes them. */
int hull_storage_export(const char *rootfs, const hull_idmaps *ids, int out_fd, hull_err *err)
    __attribute__((warn_unused_result));

#endif
