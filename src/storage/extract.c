#include "storage/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/lazy.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/digest.h"
#include "storage/igzip.h"
#include "storage/rmtree.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh."
#define MAX_DEPTH 512
/* Files at least this large have their writeback started as soon as they are written. */
#define WRITEBACK_MIN (128 << 10)

/* ---- the decompressing stream (igzip for gzip, else libarchive's gzip/zstd filters over
 * its "raw" format) ---- */

struct hull_decompressor {
  struct archive *a; /* NULL when z decompresses */
  hull_igzip *z;
  char compression[8];
};

hull_decompressor *hull_decompressor_open(int srcfd, hull_err *err) {
  if (hull_lazy_archive(err) < 0)
    return NULL;
  hull_decompressor *d = calloc(1, sizeof(*d));
  if (d == NULL) {
    hull_error(err, ENOMEM, "open layer");
    return NULL;
  }
  int fast = hull_igzip_open(srcfd, &d->z, err);
  if (fast != 0) {
    if (fast < 0) {
      free(d);
      return NULL;
    }
    snprintf(d->compression, sizeof(d->compression), "gzip");
    return d;
  }
  d->a = archive_read_new();
  if (d->a == NULL) {
    free(d);
    hull_error(err, ENOMEM, "open layer");
    return NULL;
  }
  /* Only the filters layers use; anything else is read as is and fails as a tar. */
  archive_read_support_filter_gzip(d->a);
  archive_read_support_filter_zstd(d->a);
  archive_read_support_format_raw(d->a);
  archive_read_support_format_empty(d->a);
  struct archive_entry *e;
  if (archive_read_open_fd(d->a, srcfd, 1 << 17) != ARCHIVE_OK || archive_read_next_header(d->a, &e) != ARCHIVE_OK) {
    hull_error(err, archive_errno(d->a) > 0 ? archive_errno(d->a) : 0, "read layer: %s",
               archive_error_string(d->a) ? archive_error_string(d->a) : "empty");
    hull_decompressor_close(d);
    return NULL;
  }
  const char *f = archive_filter_count(d->a) > 1 ? archive_filter_name(d->a, 0) : "none";
  snprintf(d->compression, sizeof(d->compression), "%s", f ? f : "none");
  return d;
}

long hull_decompressor_read(hull_decompressor *d, void *buf, size_t len, hull_err *err) {
  if (d->z)
    return hull_igzip_read(d->z, buf, len, err);
  la_ssize_t n = archive_read_data(d->a, buf, len);
  if (n < 0)
    return hull_error(err, archive_errno(d->a) > 0 ? archive_errno(d->a) : 0, "decompress layer: %s",
                      archive_error_string(d->a));
  return (long)n;
}

void hull_decompressor_close(hull_decompressor *d) {
  if (d == NULL)
    return;
  hull_igzip_close(d->z);
  if (d->a)
    archive_read_free(d->a);
  free(d);
}

/* ---- extraction ---- */

typedef struct extractor {
  hull_decompressor *dec;
  hull_sha256 hash;
  uint64_t stream_bytes;
  const hull_extract_limits *limits;
  hull_err *err; /* where the read callback reports */
  char buf[1 << 17];
  int destfd;
  /* The parent directory of the previous entry, reused while entries stay in it. */
  char *cached_parent;
  int cached_fd;
  /* Directories' times, set once every entry is in: creating a file in a directory after
   * its own entry changes its mtime (GNU tar and Docker defer them too). */
  struct dir_time {
    char *path;
    struct timespec ts[2];
  } * dir_times;
  size_t n_dir_times, cap_dir_times;
} extractor;

static la_ssize_t stream_read(struct archive *a, void *opaque, const void **out) {
  extractor *x = opaque;
  long n = hull_decompressor_read(x->dec, x->buf, sizeof(x->buf), x->err);
  if (n < 0) {
    archive_set_error(a, EIO, "%s", (*x->err)->msg);
    return -1;
  }
  x->stream_bytes += (uint64_t)n;
  if (x->limits->max_bytes && x->stream_bytes > x->limits->max_bytes) {
    hull_error(x->err, EFBIG, "layer larger than the limit of %llu bytes uncompressed",
               (unsigned long long)x->limits->max_bytes);
    archive_set_error(a, EFBIG, "limit");
    return -1;
  }
  hull_sha256_update(&x->hash, x->buf, (size_t)n);
  *out = x->buf;
  return n;
}

static void forget_parent(extractor *x) {
  free(x->cached_parent);
  x->cached_parent = NULL;
  if (x->cached_fd >= 0)
    close(x->cached_fd);
  x->cached_fd = -1;
}

/* Splits a tar path into clean components ("." and empty ones dropped, a leading "/"
 * ignored as Docker does); ".." anywhere is refused. Returns the count, -1 on "..". */
static int split_path(char *path, char **comp, int max) {
  int n = 0;
  for (char *save = NULL, *c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    if (strcmp(c, "..") == 0 || n == max)
      return -1;
    comp[n++] = c;
  }
  return n;
}

/* Opens (creating missing directories, 0755) comp[0..n) beneath destfd, never following a
 * symlink: O_NOFOLLOW on every component refuses one planted by the layer. */
static int open_parent(extractor *x, char **comp, int n, bool create, hull_err *err) {
  char key[8192] = "";
  size_t off = 0;
  for (int i = 0; i < n && off < sizeof(key); i++)
    off += (size_t)snprintf(key + off, sizeof(key) - off, "%s/", comp[i]);
  if (x->cached_parent && strcmp(x->cached_parent, key) == 0)
    return fcntl(x->cached_fd, F_DUPFD_CLOEXEC, 0);
  cleanup_close int fd = fcntl(x->destfd, F_DUPFD_CLOEXEC, 0);
  for (int i = 0; i < n; i++) {
    int next = openat(fd, comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && create) {
      if (mkdirat(fd, comp[i], 0755) < 0 && errno != EEXIST)
        return hull_error_sys(err, "layer: mkdir %s", key);
      next = openat(fd, comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (next < 0) {
      if (errno == ELOOP || errno == ENOTDIR)
        return hull_error(err, errno, "layer: %s: a parent is not a directory (a symlink is never followed)", key);
      return hull_error_sys(err, "layer: open %s", key);
    }
    close(fd);
    fd = next;
  }
  forget_parent(x);
  x->cached_parent = strdup(key);
  x->cached_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return take_fd(&fd);
}

/* Makes room for a new entry: whatever the layer put there before goes (tar semantics),
 * except a directory that stays a directory. */
static int clear_name(extractor *x, int pfd, const char *name, bool keep_dir, hull_err *err) {
  struct stat st;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "layer: stat %s", name);
  if (keep_dir && S_ISDIR(st.st_mode))
    return 1;
  forget_parent(x);
  if (S_ISDIR(st.st_mode))
    return hull_rm_rf_at(pfd, name, err);
  if (unlinkat(pfd, name, 0) < 0)
    return hull_error_sys(err, "layer: remove %s", name);
  return 0;
}

static bool xattr_allowed(const char *name) {
  return strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0;
}

static int apply_xattrs(struct archive_entry *e, int fd, const char *path, hull_err *err) {
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (!xattr_allowed(name)) {
      hull_debug("layer: %s: xattr %s dropped", path, name);
      continue;
    }
    if (fsetxattr(fd, name, value, size, 0) < 0 && errno != ENOTSUP)
      return hull_error_sys(err, "layer: set xattr %s on %s", name, path);
  }
  return 0;
}

/* At most this many directories' times wait for the end (16 MiB or so of paths); a layer
 * with more gets the rest set at once, as before. A hostile layer repeating one directory
 * entry millions of times costs one slot, not millions. */
#define MAX_DEFERRED_DIRS (1U << 18)

/* Returns 1 when the times were recorded, 0 when the caller sets them at once. */
static int defer_times(extractor *x, const char *path, const struct timespec ts[2], hull_err *err) {
  if (x->n_dir_times && strcmp(x->dir_times[x->n_dir_times - 1].path, path) == 0) {
    x->dir_times[x->n_dir_times - 1].ts[0] = ts[0];
    x->dir_times[x->n_dir_times - 1].ts[1] = ts[1];
    return 1;
  }
  if (x->n_dir_times >= MAX_DEFERRED_DIRS)
    return 0;
  if (x->n_dir_times == x->cap_dir_times) {
    size_t cap = x->cap_dir_times ? 2 * x->cap_dir_times : 256;
    struct dir_time *nd = realloc(x->dir_times, cap * sizeof(*nd));
    if (nd == NULL)
      return hull_error(err, ENOMEM, "layer: %s", path);
    x->dir_times = nd;
    x->cap_dir_times = cap;
  }
  struct dir_time *d = &x->dir_times[x->n_dir_times];
  d->path = strdup(path);
  if (d->path == NULL)
    return hull_error(err, ENOMEM, "layer: %s", path);
  d->ts[0] = ts[0];
  d->ts[1] = ts[1];
  x->n_dir_times++;
  return 1;
}

/* Opens each directory again the same safe way; one removed or replaced by a later entry
 * is skipped. */
static int apply_dir_times(extractor *x, hull_err *err) {
  for (size_t i = 0; i < x->n_dir_times; i++) {
    struct dir_time *d = &x->dir_times[i];
    char *comp[MAX_DEPTH];
    int n = split_path(d->path, comp, MAX_DEPTH);
    hull_err e = NULL;
    int fd = n < 0 ? -1 : open_parent(x, comp, n, false, &e);
    /* Gone or no longer a directory: its times do not matter any more. */
    hull_error_release(&e);
    if (fd < 0)
      continue;
    int r = futimens(fd, d->ts);
    close(fd);
    if (r < 0)
      return hull_error_sys(err, "layer: set times of %s", d->path);
  }
  return 0;
}

static void free_dir_times(extractor *x) {
  for (size_t i = 0; i < x->n_dir_times; i++)
    free(x->dir_times[i].path);
  free(x->dir_times);
}

/* Owner, then mode (chown clears set-id bits), xattrs and times, on an open fd; a
 * directory's times are deferred (x set). */
static int apply_meta(extractor *x, struct archive_entry *e, int fd, const char *path, hull_err *err) {
  if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
    return hull_error_sys(err, "layer: chown %s", path);
  if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
    return hull_error_sys(err, "layer: chmod %s", path);
  if (apply_xattrs(e, fd, path, err) < 0)
    return -1;
  struct timespec ts[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                           {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  if (!archive_entry_atime_is_set(e))
    ts[0] = ts[1];
  int deferred = x ? defer_times(x, path, ts, err) : 0;
  if (deferred != 0)
    return deferred < 0 ? -1 : 0;
  if (futimens(fd, ts) < 0)
    return hull_error_sys(err, "layer: set times of %s", path);
  return 0;
}

/* pwrite until all of buf is written: a full disk first shows as a short write, which sets
 * no errno (the error then named whatever errno held before); only the next call says
 * ENOSPC. */
static int pwrite_all(int fd, const char *buf, size_t len, off_t offset) {
  while (len > 0) {
    ssize_t n = pwrite(fd, buf, len, offset);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = ENOSPC;
      return -1;
    }
    buf += n;
    len -= (size_t)n;
    offset += n;
  }
  return 0;
}

static int write_data(extractor *x, struct archive *a, int fd, const char *path, uint64_t *size, hull_err *err) {
  const void *buf;
  size_t len;
  la_int64_t offset;
  int r;
  while ((r = archive_read_data_block(a, &buf, &len, &offset)) == ARCHIVE_OK) {
    if (pwrite_all(fd, buf, len, offset) < 0)
      return hull_error_sys(err, "layer: write %s", path);
    *size += len;
  }
  if (r != ARCHIVE_EOF) {
    if (*x->err == NULL)
      hull_error(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "layer: read %s: %s", path, archive_error_string(a));
    return -1;
  }
  return 0;
}

static int extract_hardlink(extractor *x, struct archive_entry *e, int pfd, const char *name, const char *path,
                            hull_err *err) {
  cleanup_free char *target = strdup(archive_entry_hardlink(e));
  char *comp[MAX_DEPTH];
  int n = target ? split_path(target, comp, MAX_DEPTH) : -1;
  if (n <= 0)
    return hull_error(err, EINVAL, "layer: %s: hard link target \"%s\" leaves the layer", path,
                      archive_entry_hardlink(e));
  cleanup_close int tfd = open_parent(x, comp, n - 1, false, err);
  if (tfd < 0)
    return hull_error_wrap(err, "layer: %s: hard link target", path);
  if (clear_name(x, pfd, name, false, err) < 0)
    return -1;
  /* Without AT_SYMLINK_FOLLOW a symlink target is linked itself, never what it names. */
  if (linkat(tfd, comp[n - 1], pfd, name, 0) < 0)
    return hull_error_sys(err, "layer: hard link %s to %s", path, archive_entry_hardlink(e));
  return 0;
}

static int extract_whiteout(extractor *x, int pfd, const char *name, const char *path, hull_err *err) {
  if (strcmp(name, WH_OPAQUE) == 0) {
    if (fsetxattr(pfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
      return hull_error_sys(err, "layer: mark %s opaque", path);
    return 0;
  }
  if (strncmp(name, WH_META, strlen(WH_META)) == 0)
    return 0; /* other AUFS metadata (.wh..wh.plnk, ...) means nothing to overlay */
  const char *victim = name + strlen(WH_PREFIX);
  if (*victim == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
    return hull_error(err, EINVAL, "layer: bad whiteout %s", path);
  if (clear_name(x, pfd, victim, false, err) < 0)
    return -1;
  if (mknodat(pfd, victim, S_IFCHR | 0000, makedev(0, 0)) < 0)
    return hull_error_sys(err, "layer: whiteout %s", path);
  return 0;
}

static int extract_entry(extractor *x, struct archive *a, struct archive_entry *e, hull_extract_result *res,
                         hull_err *err) {
  const char *raw = archive_entry_pathname(e);
  if (raw == NULL)
    return hull_error(err, EINVAL, "layer: an entry without a name");
  cleanup_free char *path = strdup(raw);
  char *comp[MAX_DEPTH];
  int n = path ? split_path(path, comp, MAX_DEPTH) : -1;
  if (n < 0)
    return hull_error(err, EINVAL, "layer: entry \"%s\" leaves the layer (\"..\")", raw);
  mode_t type = archive_entry_filetype(e);
  if (n == 0) /* the layer's root itself: only a directory's metadata applies */
    return type == AE_IFDIR ? apply_meta(x, e, x->destfd, "/", err) : 0;
  cleanup_close int pfd = open_parent(x, comp, n - 1, true, err);
  if (pfd < 0)
    return hull_error_wrap(err, "entry \"%s\"", raw);
  const char *name = comp[n - 1];
  if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0)
    return extract_whiteout(x, pfd, name, raw, err);
  if (archive_entry_hardlink(e))
    return extract_hardlink(x, e, pfd, name, raw, err);

  cleanup_close int fd = -1;
  switch (type) {
  case AE_IFDIR: {
    int kept = clear_name(x, pfd, name, true, err);
    if (kept < 0)
      return -1;
    if (!kept && mkdirat(pfd, name, 0700) < 0)
      return hull_error_sys(err, "layer: mkdir %s", raw);
    fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    break;
  }
  case AE_IFREG:
    /* Checked before the file exists, so a sparse giant never reaches the disk. */
    if (x->limits->max_entry_bytes && archive_entry_size(e) > 0 &&
        (uint64_t)archive_entry_size(e) > x->limits->max_entry_bytes)
      return hull_error(err, EFBIG, "layer: %s is larger than the limit of %llu bytes per file", raw,
                        (unsigned long long)x->limits->max_entry_bytes);
    if (clear_name(x, pfd, name, false, err) < 0)
      return -1;
    fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
      return hull_error_sys(err, "layer: create %s", raw);
    if (write_data(x, a, fd, raw, &res->size, err) < 0)
      return -1;
    if (ftruncate(fd, archive_entry_size(e)) < 0) /* a sparse file's hole at the end */
      return hull_error_sys(err, "layer: truncate %s", raw);
    /* Its writeback starts now, while the rest of the layers is unpacked, so the one syncfs
     * before the image's row finds little left to write (docs/design.md, "Durability").
     * Small files are left to that syncfs, which writes them in larger batches. Best
     * effort: the syncfs is what guarantees durability. */
    if (archive_entry_size(e) >= WRITEBACK_MIN)
      sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    break;
  case AE_IFLNK: {
    const char *target = archive_entry_symlink(e);
    if (clear_name(x, pfd, name, false, err) < 0)
      return -1;
    /* The target is stored as written: it is resolved only inside the container's root. */
    if (target == NULL || symlinkat(target, pfd, name) < 0)
      return hull_error_sys(err, "layer: symlink %s", raw);
    if (fchownat(pfd, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
      return hull_error_sys(err, "layer: chown %s", raw);
    struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)},
                             {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
    utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW); /* times of a link: cosmetic, best effort */
    return 0;
  }
  case AE_IFIFO:
    if (clear_name(x, pfd, name, false, err) < 0)
      return -1;
    if (mknodat(pfd, name, S_IFIFO | 0600, 0) < 0)
      return hull_error_sys(err, "layer: mkfifo %s", raw);
    fd = openat(pfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    break;
  default:
    /* Devices and sockets: a container's devices come from its configuration, never from
     * an image. */
    hull_debug("layer: %s: file type %o not unpacked", raw, (unsigned)type);
    return 0;
  }
  if (fd < 0)
    return hull_error_sys(err, "layer: open %s", raw);
  return apply_meta(type == AE_IFDIR ? x : NULL, e, fd, raw, err);
}

static int extract_all(extractor *x, hull_extract_result *res, hull_err *err) {
  struct archive *a = archive_read_new();
  if (a == NULL)
    return hull_error(err, ENOMEM, "read layer");
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  int rc = -1;
  if (archive_read_open(a, x, NULL, stream_read, NULL) != ARCHIVE_OK) {
    if (*err == NULL)
      hull_error(err, 0, "read layer: %s", archive_error_string(a));
    goto out;
  }
  for (;;) {
    struct archive_entry *e;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      if (*err == NULL)
        hull_error(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "read layer: %s", archive_error_string(a));
      goto out;
    }
    if (x->limits->max_entries && ++res->entries > x->limits->max_entries) {
      hull_error(err, EFBIG, "layer has more than %llu entries", (unsigned long long)x->limits->max_entries);
      goto out;
    }
    if (extract_entry(x, a, e, res, err) < 0)
      goto out;
  }
  if (apply_dir_times(x, err) < 0)
    goto out;
  /* The diff id covers the whole stream, also what follows the end-of-archive blocks. */
  for (;;) {
    const void *unused;
    la_ssize_t n = stream_read(a, x, &unused);
    if (n < 0)
      goto out;
    if (n == 0)
      break;
  }
  rc = 0;
out:
  archive_read_free(a);
  return rc;
}

int hull_layer_extract(int srcfd, int destfd, const hull_extract_limits *limits, hull_extract_result *res,
                       hull_err *err) {
  memset(res, 0, sizeof(*res));
  extractor *x = calloc(1, sizeof(*x));
  if (x == NULL)
    return hull_error(err, ENOMEM, "extract layer");
  x->limits = limits;
  x->err = err;
  x->destfd = destfd;
  x->cached_fd = -1;
  int rc = -1;
  x->dec = hull_decompressor_open(srcfd, err);
  if (x->dec == NULL)
    goto out;
  snprintf(res->compression, sizeof(res->compression), "%s", x->dec->compression);
  if (hull_sha256_init(&x->hash, err) < 0)
    goto out;
  if (extract_all(x, res, err) < 0)
    goto out;
  hull_sha256_final(&x->hash, res->diff_id);
  res->tar_size = x->stream_bytes;
  rc = 0;
out:
  if (x->hash.ctx)
    hull_sha256_free(&x->hash);
  forget_parent(x);
  free_dir_times(x);
  hull_decompressor_close(x->dec);
  free(x);
  return rc;
}
