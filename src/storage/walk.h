/* Walking a directory tree a container controls: by file descriptor, never following a
 * symlink, names in lexical order (as Go's filepath.Walk, so output matches Docker's). */
#ifndef HULL_STORAGE_WALK_H
#define HULL_STORAGE_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "common/error.h"

/* An overlay whiteout: a character device 0:0. */
bool hull_whiteout_p(const struct stat *st);
/* A directory overlay marked opaque (trusted.overlay.opaque = "y"). */
bool hull_opaque_p(int dirfd);
/* The names in directory dirfd (without "." and ".."), sorted bytewise. */
int hull_read_dir_sorted(int dirfd, char ***names, size_t *n, hull_err *err) __attribute__((warn_unused_result));
void hull_names_free(char **names, size_t n);

#endif
