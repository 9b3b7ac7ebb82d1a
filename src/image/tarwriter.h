/* A minimal tar (ustar) writer for `save`: libarchive is used as a reader only. */
#ifndef HULL_IMAGE_TARWRITER_H
#define HULL_IMAGE_TARWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct hull_tarw {
  int fd;
  const char *what; /* names the output in errors */
  uint64_t pending; /* data bytes still owed to the current entry */
  uint64_t written; /* of the current entry */
} hull_tarw;

/* An entry header: type '0' (file) or '5' (directory); a file's size bytes follow. */
int hull_tarw_header(hull_tarw *t, const char *name, char type, uint64_t size, hull_err *err)
    __attribute__((warn_unused_result));
int hull_tarw_data(hull_tarw *t, const void *buf, size_t len, hull_err *err) __attribute__((warn_unused_result));
/* Ends the current entry (it must have received exactly its size). */
int hull_tarw_end_entry(hull_tarw *t, hull_err *err) __attribute__((warn_unused_result));
int hull_tarw_file(hull_tarw *t, const char *name, const void *buf, size_t len, hull_err *err)
    __attribute__((warn_unused_result));
/* The two zero blocks that end an archive. */
int hull_tarw_finish(hull_tarw *t, hull_err *err) __attribute__((warn_unused_result));

#endif
