/* The tar writer's pax records (whose length counts its own digits) and ustar fields, and
 * the short layer names of the overlay mounts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/tarwriter.h"
#include "storage/overlay.h"
#include "tap.h"

static unsigned long long octal(const char *f, size_t n) {
  unsigned long long v = 0;
  for (size_t i = 0; i < n && f[i] >= '0' && f[i] <= '7'; i++)
    v = v * 8 + (unsigned long long)(f[i] - '0');
  return v;
}

/* Checks every record of a pax header: "LEN key=value\n" with LEN its exact length. Returns
 * the value of key (malloc'd) or NULL; *good says whether all records were well formed. */
static char *pax_value(const char *data, size_t size, const char *key, bool *good) {
  char *found = NULL;
  *good = true;
  for (size_t off = 0; off < size;) {
    char *end;
    unsigned long len = strtoul(data + off, &end, 10);
    if (len == 0 || off + len > size || *end != ' ' || data[off + len - 1] != '\n') {
      *good = false;
      break;
    }
    const char *kv = end + 1, *eq = memchr(kv, '=', (size_t)(data + off + len - kv));
    if (eq == NULL) {
      *good = false;
      break;
    }
    if ((size_t)(eq - kv) == strlen(key) && strncmp(kv, key, strlen(key)) == 0)
      found = strndup(eq + 1, (size_t)(data + off + len - 1 - (eq + 1)));
    off += len;
  }
  return found;
}

/* Writes one entry named name with an xattr of vlen bytes; reads the pax header back. */
static bool roundtrip(const char *name, size_t vlen, bool want_path) {
  int fd = memfd_create("tar", 0);
  char *value = malloc(vlen + 1);
  memset(value, 'v', vlen);
  value[vlen] = '\0';
  hull_tar_xattr x = {.name = "user.k", .value = value, .len = vlen};
  hull_tar_entry e = {.name = name, .type = '0', .mode = 0644, .xattrs = &x, .n_xattrs = 1};
  hull_tarw t = {.fd = fd, .what = "test"};
  hull_err err = NULL;
  bool good =
      hull_tarw_entry(&t, &e, &err) == 0 && hull_tarw_end_entry(&t, &err) == 0 && hull_tarw_finish(&t, &err) == 0;
  hull_error_release(&err);
  size_t total = (size_t)lseek(fd, 0, SEEK_END);
  char *buf = malloc(total);
  good = good && pread(fd, buf, total, 0) == (ssize_t)total && buf[156] == 'x';
  size_t psize = good ? (size_t)octal(buf + 124, 12) : 0;
  bool records = false;
  char *path = good ? pax_value(buf + 512, psize, "path", &records) : NULL;
  char *xv = good ? pax_value(buf + 512, psize, "SCHILY.xattr.user.k", &records) : NULL;
  good = good && records && xv && strcmp(xv, value) == 0 && (want_path ? path && strcmp(path, name) == 0 : !path);
  /* The file header follows the padded pax data. */
  size_t fh = 512 + (psize + 511) / 512 * 512;
  good = good && fh + 512 <= total && buf[fh + 156] == '0' && memcmp(buf + fh + 257, "ustar", 6) == 0;
  free(path);
  free(xv);
  free(buf);
  free(value);
  close(fd);
  return good;
}

int main(void) {
  /* Every record length across the 1 -> 2 -> 3 -> 4 digit boundaries of LEN. */
  bool all = true;
  for (size_t vlen = 0; vlen < 1100 && all; vlen++)
    all = roundtrip("f", vlen, false);
  ok(all, "pax xattr records of 0..1099 bytes are well formed");
  char name[400];
  all = true;
  for (size_t n = 101; n < sizeof(name) - 1 && all; n++) {
    memset(name, 'n', n);
    name[n] = '\0';
    all = roundtrip(name, 3, true);
  }
  ok(all, "names of 101..398 bytes without a '/' get a pax path record");
  /* ustar's prefix/name split: no pax path record when the name fits at a '/'. */
  memset(name, 'd', 150);
  name[150] = '/';
  memset(name + 151, 'f', 99);
  name[250] = '\0';
  ok(roundtrip(name, 1, false), "a 250-byte name split at a '/' into prefix and name (no path record)");
  char a[27], b[27];
  hull_overlay_short_id("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", a);
  hull_overlay_short_id("sha256:0123456789abcdef0123456789abcdeeffffffffffffffffffffffffffffffff", b);
  ok(strlen(a) == 26 && strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == 26, "short id: 26 base32 characters (%s)", a);
  ok(strcmp(a, "AERUKZ4JVPG66AJDIVTYTK6N54") == 0 && strcmp(a, b) != 0,
     "short id: RFC 4648 base32 of the first 128 bits (got %s), another for another prefix", a);
  hull_overlay_short_id("sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", b);
  ok(strcmp(a, b) == 0, "short id: deterministic");
  return tap_done();
}
