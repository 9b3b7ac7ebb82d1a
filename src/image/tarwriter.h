/* A tar writer (POSIX ustar, with pax extended headers where ustar cannot say it: long
 * names and link targets, large sizes and ids, xattrs): `save`, and the layers of `commit`
 * and the streams of `export`. libarchive is used as a reader only. */
#ifndef HULL_IMAGE_TARWRITER_H
#define HULL_IMAGE_TARWRITER_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct hull_tarw {
  int fd;
  const char *what; /* names the output in errors */
  /* When set, every byte goes here instead of to fd (e.g. a blob being hashed). */
  int (*sink)(void *ud, const void *buf, size_t len, hull_err *err);
  void *sink_ud;
  uint64_t pending; /* data bytes still owed to the current entry */
  uint64_t written; /* of the current entry */
  uint64_t total;   /* bytes of the archive so far */
} hull_tarw;

typedef struct hull_tar_xattr {
  const char *name;
  const void *value;
  size_t len;
} hull_tar_xattr;

/* One entry. type: '0' file, '1' hard link, '2' symlink, '3' character device, '4' block
 * device, '5' directory, '6' fifo. Only a file has data (size bytes follow). */
typedef struct hull_tar_entry {
  const char *name;
  char type;
  const char *linkname; /* hard link or symlink target */
  uint32_t mode;        /* permission bits (07777) */
  uint32_t uid, gid;
  uint64_t size;
  int64_t mtime;
  uint32_t devmajor, devminor;
  const hull_tar_xattr *xattrs;
  size_t n_xattrs;
} hull_tar_entry;

int hull_tarw_entry(hull_tarw *t, const hull_tar_entry *e, hull_err *err) __attribute__((warn_unused_result));
/* An entry header: type '0' (file) or '5' (directory), root's, mode 0644/0755, time 0. */
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
