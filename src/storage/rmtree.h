/* Removing a directory tree that may hold anything a layer planted. */
#ifndef HULL_STORAGE_RMTREE_H
#define HULL_STORAGE_RMTREE_H

#include "common/error.h"

/* Removes dirfd/name and everything below it without following symlinks; ENOENT is fine. */
int hull_rm_rf_at(int dirfd, const char *name, hull_err *err) __attribute__((warn_unused_result));

#endif
