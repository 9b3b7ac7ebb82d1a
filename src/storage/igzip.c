#include "storage/igzip.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/igzip_lib.h>

#include "common/log.h"

#define IN_BUF (1 << 18)

static struct {
  __typeof__(isal_inflate_init) *inflate_init;
  __typeof__(isal_inflate_reset) *inflate_reset;
  __typeof__(isal_inflate) *inflate;
} api;
static bool loaded;

static void load(void) {
  const char *want = getenv("HULL_GZIP");
  if (want && strcmp(want, "zlib") == 0)
    return;
  void *h = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    hull_debug("gzip: %s; using zlib", dlerror());
    return;
  }
  api.inflate_init = (__typeof__(api.inflate_init))dlsym(h, "isal_inflate_init");
  api.inflate_reset = (__typeof__(api.inflate_reset))dlsym(h, "isal_inflate_reset");
  api.inflate = (__typeof__(api.inflate))dlsym(h, "isal_inflate");
  loaded = api.inflate_init && api.inflate_reset && api.inflate;
}

struct hull_igzip {
  struct inflate_state st;
  int fd;
  bool eof;  /* the file has no more bytes */
  bool done; /* the last member has ended */
  unsigned char in[IN_BUF];
};

int hull_igzip_open(int fd, hull_igzip **out, hull_err *err) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, load);
  *out = NULL;
  if (!loaded)
    return 0;
  unsigned char magic[2];
  off_t at = lseek(fd, 0, SEEK_CUR);
  if (at < 0)
    return hull_error_sys(err, "read layer");
  ssize_t n = pread(fd, magic, sizeof(magic), at);
  if (n < 0)
    return hull_error_sys(err, "read layer");
  if (n < 2 || magic[0] != 0x1f || magic[1] != 0x8b)
    return 0;
  hull_igzip *z = calloc(1, sizeof(*z));
  if (z == NULL)
    return hull_error(err, ENOMEM, "read layer");
  z->fd = fd;
  api.inflate_init(&z->st);
  z->st.crc_flag = ISAL_GZIP;
  hull_debug("gzip: igzip (ISA-L)");
  *out = z;
  return 1;
}

static int refill(hull_igzip *z, hull_err *err) {
  if (z->st.avail_in > 0 || z->eof)
    return 0;
  ssize_t n;
  do
    n = read(z->fd, z->in, sizeof(z->in));
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return hull_error_sys(err, "read layer");
  z->eof = n == 0;
  z->st.next_in = z->in;
  z->st.avail_in = (uint32_t)n;
  return 0;
}

/* After a member: another one follows (its magic), or the stream is over. Bytes that are
 * not a gzip member after the last one are ignored, as gzip(1) and libarchive do. */
static int next_member(hull_igzip *z, hull_err *err) {
  if (refill(z, err) < 0)
    return -1;
  if (z->st.avail_in == 1 && !z->eof) {
    /* One byte of a magic: moved to the front, the rest read behind it. */
    z->in[0] = z->st.next_in[0];
    ssize_t n;
    do
      n = read(z->fd, z->in + 1, sizeof(z->in) - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
      return hull_error_sys(err, "read layer");
    z->eof = n == 0;
    z->st.next_in = z->in;
    z->st.avail_in = 1 + (uint32_t)n;
  }
  if (z->st.avail_in < 2 || z->st.next_in[0] != 0x1f || z->st.next_in[1] != 0x8b) {
    z->done = true;
    return 0;
  }
  uint8_t *next = z->st.next_in;
  uint32_t avail = z->st.avail_in;
  api.inflate_reset(&z->st);
  z->st.crc_flag = ISAL_GZIP;
  z->st.next_in = next;
  z->st.avail_in = avail;
  return 0;
}

long hull_igzip_read(hull_igzip *z, void *buf, size_t len, hull_err *err) {
  if (len > UINT32_MAX)
    len = UINT32_MAX;
  while (!z->done) {
    if (refill(z, err) < 0)
      return -1;
    z->st.next_out = buf;
    z->st.avail_out = (uint32_t)len;
    int r = api.inflate(&z->st);
    if (r < 0)
      return hull_error(err, 0, "decompress layer: gzip: %s (igzip error %d)",
                        r == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch" : "corrupt data", r);
    size_t produced = len - z->st.avail_out;
    if (z->st.block_state == ISAL_BLOCK_FINISH) {
      if (next_member(z, err) < 0)
        return -1;
    } else if (produced == 0 && z->eof && z->st.avail_in == 0) {
      return hull_error(err, 0, "decompress layer: gzip: unexpected end of the stream");
    }
    if (produced > 0)
      return (long)produced;
  }
  return 0;
}

void hull_igzip_close(hull_igzip *z) { free(z); }
