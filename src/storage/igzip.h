/* gzip decompression through ISA-L's igzip (libisal, loaded with dlopen on first use), about
 * three times as fast as zlib, which libarchive uses. Layers in gzip go through it when the
 * library is there; otherwise (or with HULL_GZIP=zlib in the environment, to compare) they
 * go through libarchive's zlib filter as before. Multi-member streams (pigz, concatenated
 * gzip files) are read whole, as gzip(1) reads them; the CRC and length of every member are
 * checked; a truncated stream is an error. */
#ifndef HULL_STORAGE_IGZIP_H
#define HULL_STORAGE_IGZIP_H

#include <stddef.h>

#include "common/error.h"

typedef struct hull_igzip hull_igzip;

/* 1 and *out if fd (from its current offset) is gzip and igzip is available; 0 if not
 * (nothing read: the caller uses zlib); -1 on an error. */
int hull_igzip_open(int fd, hull_igzip **out, hull_err *err) __attribute__((warn_unused_result));
/* Bytes decompressed into buf, 0 at the end, -1 on an error. */
long hull_igzip_read(hull_igzip *z, void *buf, size_t len, hull_err *err);
void hull_igzip_close(hull_igzip *z);

#endif
