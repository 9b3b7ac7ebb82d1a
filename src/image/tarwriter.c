#include "image/tarwriter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/util.h"

#define USTAR_NAME 100
#define USTAR_PREFIX 155
#define OCTAL7_MAX 07777777ULL      /* ids, mode, device numbers */
#define OCTAL11_MAX 077777777777ULL /* size, mtime */

static int out(hull_tarw *t, const void *buf, size_t len, hull_err *err) {
  if (t->sink) {
    if (t->sink(t->sink_ud, buf, len, err) < 0)
      return -1;
  } else if (hull_write_all(t->fd, buf, len) < 0) {
    return hull_error_sys(err, "write %s", t->what);
  }
  t->total += len;
  return 0;
}

static void octal(char *field, size_t width, uint64_t v) {
  /* width - 1 digits and a NUL; base-256 (GNU) when the value does not fit (readers that
   * know pax take the pax record, which is written too). */
  if (width == 12 && v > OCTAL11_MAX) {
    memset(field, 0, width);
    field[0] = (char)0x80;
    for (size_t i = width - 1; i > 0; i--, v >>= 8)
      field[i] = (char)(v & 0xff);
    return;
  }
  if (width == 8 && v > OCTAL7_MAX)
    v = 0;
  field[width - 1] = '\0';
  for (size_t i = width - 1; i > 0; i--, v >>= 3)
    field[i - 1] = (char)('0' + (v & 7));
}

/* Splits a name into ustar's prefix and name fields at a '/'; false when it cannot. */
static bool ustar_split(const char *name, char *h) {
  size_t n = strlen(name);
  if (n <= USTAR_NAME) {
    memcpy(h, name, n);
    return true;
  }
  for (size_t i = n - 1; i > 0; i--) {
    if (name[i] != '/' || i > USTAR_PREFIX || n - i - 1 > USTAR_NAME || n - i - 1 == 0)
      continue;
    memcpy(h + 345, name, i);
    memcpy(h, name + i + 1, n - i - 1);
    return true;
  }
  return false;
}

static int header(hull_tarw *t, const hull_tar_entry *e, const char *name, char type, uint64_t size, hull_err *err) {
  char h[512];
  memset(h, 0, sizeof(h));
  if (!ustar_split(name, h)) /* a pax path record says it in full: keep the start only */
    memcpy(h, name, USTAR_NAME);
  octal(h + 100, 8, e->mode & 07777);
  octal(h + 108, 8, e->uid);
  octal(h + 116, 8, e->gid);
  octal(h + 124, 12, size);
  octal(h + 136, 12, e->mtime > 0 ? (uint64_t)e->mtime : 0);
  h[156] = type;
  if (e->linkname)
    memcpy(h + 157, e->linkname, strnlen(e->linkname, 100));
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  if (type == '3' || type == '4') {
    octal(h + 329, 8, e->devmajor);
    octal(h + 337, 8, e->devminor);
  }
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof(h); i++)
    sum += (unsigned char)h[i];
  snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  return out(t, h, sizeof(h), err);
}

/* Appends one pax record "LEN KEY=VALUE\n" (LEN counts itself). */
static int pax_record(char **buf, size_t *len, const char *key, const void *value, size_t vlen) {
  size_t body = strlen(key) + vlen + 3; /* ' ', '=', '\n' */
  size_t total = body + 1;
  while (true) {
    char digits[24];
    size_t d = (size_t)snprintf(digits, sizeof(digits), "%zu", total);
    if (body + d == total)
      break;
    total = body + d;
  }
  char *nb = realloc(*buf, *len + total + 1);
  if (nb == NULL)
    return -1;
  *buf = nb;
  size_t off = *len + (size_t)snprintf(nb + *len, total + 1, "%zu %s=", total, key);
  memcpy(nb + off, value, vlen);
  nb[off + vlen] = '\n';
  *len += total;
  return 0;
}

static int pax_header(hull_tarw *t, const hull_tar_entry *e, hull_err *err) {
  cleanup_free char *pax = NULL;
  size_t len = 0;
  char num[32];
  bool ok = true;
  char probe[512] = {0};
  if (!ustar_split(e->name, probe))
    ok = ok && pax_record(&pax, &len, "path", e->name, strlen(e->name)) == 0;
  if (e->linkname && strlen(e->linkname) > 100)
    ok = ok && pax_record(&pax, &len, "linkpath", e->linkname, strlen(e->linkname)) == 0;
  if (e->size > OCTAL11_MAX)
    ok = ok && pax_record(&pax, &len, "size", num,
                          (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)e->size)) == 0;
  if (e->uid > OCTAL7_MAX)
    ok = ok && pax_record(&pax, &len, "uid", num, (size_t)snprintf(num, sizeof(num), "%u", e->uid)) == 0;
  if (e->gid > OCTAL7_MAX)
    ok = ok && pax_record(&pax, &len, "gid", num, (size_t)snprintf(num, sizeof(num), "%u", e->gid)) == 0;
  for (size_t i = 0; ok && i < e->n_xattrs; i++) {
    char key[300];
    snprintf(key, sizeof(key), "SCHILY.xattr.%s", e->xattrs[i].name);
    ok = pax_record(&pax, &len, key, e->xattrs[i].value, e->xattrs[i].len) == 0;
  }
  if (!ok)
    return hull_error(err, ENOMEM, "write %s", t->what);
  if (len == 0)
    return 0;
  /* Named like Go's archive/tar names them; readers only look at the records. */
  hull_tar_entry x = {.mode = 0644, .mtime = e->mtime};
  const char *base = strrchr(e->name, '/');
  char name[USTAR_NAME + 1];
  snprintf(name, sizeof(name), "PaxHeaders.0/%.80s", base && base[1] ? base + 1 : e->name);
  static const char zero[512];
  if (header(t, &x, name, 'x', len, err) < 0 || out(t, pax, len, err) < 0 ||
      ((len % 512) && out(t, zero, 512 - len % 512, err) < 0))
    return -1;
  return 0;
}

int hull_tarw_entry(hull_tarw *t, const hull_tar_entry *e, hull_err *err) {
  uint64_t size = e->type == '0' ? e->size : 0;
  if (pax_header(t, e, err) < 0 || header(t, e, e->name, e->type, size, err) < 0)
    return -1;
  t->pending = size;
  t->written = 0;
  return 0;
}

int hull_tarw_header(hull_tarw *t, const char *name, char type, uint64_t size, hull_err *err) {
  hull_tar_entry e = {.name = name, .type = type, .mode = type == '5' ? 0755 : 0644, .size = size};
  return hull_tarw_entry(t, &e, err);
}

int hull_tarw_data(hull_tarw *t, const void *buf, size_t len, hull_err *err) {
  if (len > t->pending)
    return hull_error(err, EINVAL, "write %s: more data than the entry's size", t->what);
  if (out(t, buf, len, err) < 0)
    return -1;
  t->pending -= len;
  t->written += len;
  return 0;
}

int hull_tarw_end_entry(hull_tarw *t, hull_err *err) {
  if (t->pending)
    return hull_error(err, EIO, "write %s: an entry ended %llu bytes short", t->what, (unsigned long long)t->pending);
  static const char zero[512];
  size_t pad = (512 - t->written % 512) % 512;
  if (pad && out(t, zero, pad, err) < 0)
    return -1;
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
  return out(t, zero, sizeof(zero), err);
}
