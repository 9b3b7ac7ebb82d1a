/* Where blobs came from: the registry and repository each blob of the store was pulled from
 * or pushed to (store schema version 6, table blob_sources). Push uses it to mount a blob
 * from another repository of the same registry rather than upload it again, as Docker and
 * containerd do. The rows are hints: they keep no blob alive and may name a repository that
 * has lost the blob since. */
#ifndef HULL_IMAGE_SOURCES_H
#define HULL_IMAGE_SOURCES_H

#include <stddef.h>

#include "image/store.h"

/* Records that registry/repository has the blobs (or refreshes when it was last seen), in one
 * transaction. */
int hull_blob_sources_add(hull_store *s, const char *registry, const char *repository, const char *const *digests,
                          size_t n, hull_err *err) __attribute__((warn_unused_result));

/* A repository of registry other than not_repo known to have the blob, the one seen most
 * recently: a new string, or NULL (with *err unset when none is known). */
char *hull_blob_source_find(hull_store *s, const char *digest, const char *registry, const char *not_repo,
                            hull_err *err);

#endif
