/* Removing a directory tree that may hold anything a layer planted. */
#ifndef HULL_STORAGE_RMTREE_H
#define HULL_STORAGE_RMTREE_H

#include "common/error.h"

/* Removes dirfd/name and everything below it without following symlinks; ENOENT is fine. */
int hull_rm_rf_at(int dirfd, const char *name, hull_err *err) __attribute__((warn_unused_result));

/* The same for a name that is a directory when it exists (a container's or a layer's): no
 * unlink is tried first. Anything else found there is unlinked all the same. */
int hull_rm_rf_dir_at(int dirfd, const char *name, hull_err *err) __attribute__((warn_unused_result));

#endif
