/* Unpacking one layer (a tar stream, gzip, zstd or uncompressed) into an empty directory
 * of its own, in the form overlayfs reads: OCI whiteouts (".wh.NAME") become 0:0 character
 * devices and opaque markers (".wh..wh..opq") the trusted.overlay.opaque xattr.
 *
 * The layer is hostile: every entry is created by file descriptor beneath the destination,
 * parents are opened one component at a time with O_NOFOLLOW (a symlink in a parent
 * position, planted by this layer, is refused rather than followed), ".." components are
 * refused, hardlink targets are resolved the same way, and nothing is ever opened through a
 * symlink. Device nodes are not created (a container gets its devices from the runtime);
 * only user.* and security.capability xattrs are kept (never trusted.overlay.*). */
#ifndef HULL_STORAGE_EXTRACT_H
#define HULL_STORAGE_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct hull_extract_limits {
  uint64_t max_bytes;   /* of the uncompressed tar stream; 0: no limit */
  uint64_t max_entries; /* 0: no limit */
  /* Of one file's apparent size: a sparse entry costs a few bytes of the stream but its size
   * on extraction, so max_bytes alone does not bound it; 0: no limit. */
  uint64_t max_entry_bytes;
} hull_extract_limits;

typedef struct hull_extract_result {
  char diff_id[72];  /* sha256 of the uncompressed stream */
  uint64_t size;     /* bytes of regular file content */
  uint64_t tar_size; /* bytes of the uncompressed stream */
  uint64_t entries;
  char compression[8]; /* "gzip", "zstd" or "none" */
} hull_extract_result;

/* Reads the layer from srcfd (from its current offset) into the directory destfd. */
int hull_layer_extract(int srcfd, int destfd, const hull_extract_limits *limits, hull_extract_result *res,
                       hull_err *err) __attribute__((warn_unused_result));

/* Opens a stream of the layer in srcfd, decompressed; reading hashes it. Used by save to
 * write layers uncompressed. */
typedef struct hull_decompressor hull_decompressor;
hull_decompressor *hull_decompressor_open(int srcfd, hull_err *err);
/* Returns bytes read, 0 at the end, -1 on error. */
long hull_decompressor_read(hull_decompressor *d, void *buf, size_t len, hull_err *err);
void hull_decompressor_close(hull_decompressor *d);

#endif
