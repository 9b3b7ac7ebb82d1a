#include "image/tarwriter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static void octal(char *field, size_t width, uint64_t v) {
  /* width - 1 digits and a NUL; base-256 (GNU) when the value does not fit. */
  if (width == 12 && v >= (1ULL << 33)) {
    memset(field, 0, width);
    field[0] = (char)0x80;
    for (size_t i = width - 1; i > 0; i--, v >>= 8)
      field[i] = (char)(v & 0xff);
    return;
  }
  snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

int hull_tarw_header(hull_tarw *t, const char *name, char type, uint64_t size, hull_err *err) {
  char h[512];
  memset(h, 0, sizeof(h));
  size_t n = strlen(name);
  if (n >= 100)
    return hull_error(err, ENAMETOOLONG, "tar entry %s", name);
  memcpy(h, name, n);
  octal(h + 100, 8, type == '5' ? 0755 : 0644);
  octal(h + 108, 8, 0);
  octal(h + 116, 8, 0);
  octal(h + 124, 12, type == '5' ? 0 : size);
  octal(h + 136, 12, 0);
  h[156] = type;
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof(h); i++)
    sum += (unsigned char)h[i];
  snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  if (hull_write_all(t->fd, h, sizeof(h)) < 0)
    return hull_error_sys(err, "write %s", t->what);
  t->pending = type == '5' ? 0 : size;
  t->written = 0;
  return 0;
}

int hull_tarw_data(hull_tarw *t, const void *buf, size_t len, hull_err *err) {
  if (len > t->pending)
    return hull_error(err, EINVAL, "write %s: more data than the entry's size", t->what);
  if (hull_write_all(t->fd, buf, len) < 0)
    return hull_error_sys(err, "write %s", t->what);
  t->pending -= len;
  t->written += len;
  return 0;
}

int hull_tarw_end_entry(hull_tarw *t, hull_err *err) {
  if (t->pending)
    return hull_error(err, EIO, "write %s: an entry ended %llu bytes short", t->what, (unsigned long long)t->pending);
  static const char zero[512];
  size_t pad = (512 - t->written % 512) % 512;
  if (pad && hull_write_all(t->fd, zero, pad) < 0)
    return hull_error_sys(err, "write %s", t->what);
  t->written = 0;
  return 0;
}

int hull_tarw_file(hull_tarw *t, const char *name, const void *buf, size_t len, hull_err *err) {
  if (hull_tarw_header(t, name, '0', len, err) < 0 || hull_tarw_data(t, buf, len, err) < 0)
    return -1;
  return hull_tarw_end_entry(t, err);
}

int hull_tarw_finish(hull_tarw *t, hull_err *err) {
  static const char zero[1024];
  if (hull_write_all(t->fd, zero, sizeof(zero)) < 0)
    return hull_error_sys(err, "write %s", t->what);
  return 0;
}
