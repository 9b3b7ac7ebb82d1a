#include "storage/tree.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "storage/walk.h"

#define MAX_DEPTH 512
#define MAX_XATTRS 32

/* Files with more than one link: the first path written, for the hard links after it. */
typedef struct link_slot {
  dev_t dev;
  ino_t ino;
  char *path;
} link_slot;

typedef struct tree {
  enum hull_tree_mode mode;
  hull_tarw *t;
  hull_tree_stats *stats;
  link_slot *links;
  size_t n_links, cap_links; /* cap: a power of two, or 0 */
  uint64_t root_mnt;         /* export: a directory on another mount is not descended into */
  const hull_idmaps *ids;    /* a user-namespaced container's maps: host ids become its own */
  char buf[1 << 16];
} tree;

static link_slot *link_find(tree *tr, dev_t dev, ino_t ino) {
  if (tr->cap_links == 0)
    return NULL;
  size_t mask = tr->cap_links - 1;
  for (size_t i = (size_t)(ino * 0x9E3779B97F4A7C15ULL ^ dev) & mask;; i = (i + 1) & mask) {
    link_slot *l = &tr->links[i];
    if (l->path == NULL || (l->dev == dev && l->ino == ino))
      return l;
  }
}

static int link_add(tree *tr, dev_t dev, ino_t ino, const char *path, hull_err *err) {
  if (2 * (tr->n_links + 1) > tr->cap_links) {
    size_t old = tr->cap_links, cap = old ? old * 2 : 64;
    link_slot *prev = tr->links;
    tr->links = calloc(cap, sizeof(*tr->links));
    if (tr->links == NULL) {
      tr->links = prev;
      return hull_error(err, ENOMEM, "tar");
    }
    tr->cap_links = cap;
    for (size_t i = 0; i < old; i++)
      if (prev[i].path)
        *link_find(tr, prev[i].dev, prev[i].ino) = prev[i];
    free(prev);
  }
  link_slot *l = link_find(tr, dev, ino);
  l->dev = dev;
  l->ino = ino;
  l->path = strdup(path);
  if (l->path == NULL)
    return hull_error(err, ENOMEM, "tar");
  tr->n_links++;
  return 0;
}

/* The xattrs a layer keeps (the same the extractor sets): user.* and file capabilities. */
typedef struct xattrs {
  hull_tar_xattr x[MAX_XATTRS];
  size_t n;
  char *names;
  void *values[MAX_XATTRS];
} xattrs;

static void free_xattrs(xattrs *xa) {
  for (size_t i = 0; i < xa->n; i++)
    free(xa->values[i]);
  free(xa->names);
  xa->n = 0;
  xa->names = NULL;
}

/* A file capability (security.capability, linux/capability.h's vfs_cap_data layout) as the
 * container sees it. Read on the host, a capability of a user-namespaced container's file is
 * a v3 one whose root id is the host id of the namespace's root (the kernel shows it so to a
 * reader outside that namespace; a v2 one of the image, read through the idmapped layer, too).
 * Its root becomes the container's: a v2 capability for the container's root, which is what
 * the container sees, or a v3 one with the container id. false: its root is no id of the
 * container, and the capability is left out rather than granted to a host id. */
static bool cap_to_ctr(const hull_idmaps *ids, unsigned char *v, ssize_t *len) {
  enum { SZ_2 = 20, SZ_3 = 24 };
  const uint32_t rev_mask = 0xFF000000u, rev_2 = 0x02000000u, rev_3 = 0x03000000u;
  uint32_t magic, root;
  if (*len != SZ_3)
    return true;
  memcpy(&magic, v, 4);
  memcpy(&root, v + SZ_2, 4);
  magic = le32toh(magic);
  if ((magic & rev_mask) != rev_3)
    return true;
  uint32_t c = hull_idmap_ctr(ids->uid, ids->n_uid, le32toh(root));
  if (c == UINT32_MAX)
    return false;
  if (c == 0) {
    magic = htole32((magic & ~rev_mask) | rev_2);
    memcpy(v, &magic, 4);
    *len = SZ_2;
  } else {
    root = htole32(c);
    memcpy(v + SZ_2, &root, 4);
  }
  return true;
}

/* All of them or an error: a layer silently missing a file's capabilities would be worse
 * than a commit that fails. */
static int read_xattrs(int fd, const char *path, const hull_idmaps *ids, xattrs *xa, hull_err *err) {
  memset(xa, 0, sizeof(*xa));
  ssize_t len = flistxattr(fd, NULL, 0);
  if (len < 0)
    return errno == ENOTSUP ? 0 : hull_error_sys(err, "list xattrs of %s", path);
  if (len == 0)
    return 0;
  xa->names = malloc((size_t)len);
  if (xa->names == NULL)
    return hull_error(err, ENOMEM, "xattrs of %s", path);
  len = flistxattr(fd, xa->names, (size_t)len);
  if (len < 0)
    return hull_error_sys(err, "list xattrs of %s", path);
  for (ssize_t off = 0; off < len; off += (ssize_t)strlen(xa->names + off) + 1) {
    const char *name = xa->names + off;
    if (strncmp(name, "user.", 5) != 0 && strcmp(name, "security.capability") != 0)
      continue;
    if (xa->n == MAX_XATTRS)
      return hull_error(err, E2BIG, "%s: more than %d xattrs", path, MAX_XATTRS);
    ssize_t vl = fgetxattr(fd, name, NULL, 0);
    void *v = vl >= 0 ? malloc(vl ? (size_t)vl : 1) : NULL;
    if (vl >= 0 && v == NULL)
      return hull_error(err, ENOMEM, "xattrs of %s", path);
    if (vl < 0 || (vl = fgetxattr(fd, name, v, (size_t)vl)) < 0) {
      free(v);
      if (errno == ENODATA) /* removed meanwhile */
        continue;
      return hull_error_sys(err, "read xattr %s of %s", name, path);
    }
    if (ids && strcmp(name, "security.capability") == 0 && !cap_to_ctr(ids, v, &vl)) {
      free(v);
      continue;
    }
    xa->values[xa->n] = v;
    xa->x[xa->n] = (hull_tar_xattr){.name = name, .value = v, .len = (size_t)vl};
    xa->n++;
  }
  return 0;
}

/* The entry's owner is the one the container sees: its files have the mapped host ids on
 * disk, and an image or a tarball made from them must carry the container's ids (as Docker's
 * userns-remap and podman do), or the files would belong to nobody anywhere else. */
static hull_tar_entry entry_of(const tree *tr, const char *name, char type, const struct stat *st) {
  hull_tar_entry e = {.name = name,
                      .type = type,
                      .mode = st->st_mode & 07777,
                      .uid = st->st_uid,
                      .gid = st->st_gid,
                      .mtime = st->st_mtim.tv_sec};
  if (tr->ids) {
    e.uid = hull_idmap_ctr_seen(tr->ids->uid, tr->ids->n_uid, st->st_uid);
    e.gid = hull_idmap_ctr_seen(tr->ids->gid, tr->ids->n_gid, st->st_gid);
  }
  return e;
}

/* A regular file's content: exactly the size in its header, whatever happens meanwhile. */
static int copy_data(tree *tr, int fd, uint64_t size, const char *path, hull_err *err) {
  uint64_t done = 0;
  while (done < size) {
    size_t want = size - done < sizeof(tr->buf) ? (size_t)(size - done) : sizeof(tr->buf);
    ssize_t n = read(fd, tr->buf, want);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return hull_error_sys(err, "read %s", path);
    if (n == 0) { /* shrunk while read: zeros fill the announced size */
      memset(tr->buf, 0, want);
      n = (ssize_t)want;
    }
    if (hull_tarw_data(tr->t, tr->buf, (size_t)n, err) < 0)
      return -1;
    done += (uint64_t)n;
  }
  return hull_tarw_end_entry(tr->t, err);
}

static int write_file(tree *tr, int dirfd, const char *name, const char *path, const struct stat *listed,
                      hull_err *err) {
  if (listed->st_nlink > 1) {
    link_slot *l = link_find(tr, listed->st_dev, listed->st_ino);
    if (l && l->path) {
      hull_tar_entry e = entry_of(tr, path, '1', listed);
      e.linkname = l->path;
      return hull_tarw_entry(tr->t, &e, err);
    }
  }
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "open %s", path);
  /* Replaced since it was listed (by a fifo, a symlink, another file): skipped, as a
   * file removed meanwhile would be. */
  if (!S_ISREG(st.st_mode) || st.st_ino != listed->st_ino || st.st_dev != listed->st_dev)
    return 0;
  xattrs xa;
  if (read_xattrs(fd, path, tr->ids, &xa, err) < 0) {
    free_xattrs(&xa);
    return -1;
  }
  hull_tar_entry e = entry_of(tr, path, '0', &st);
  e.size = (uint64_t)st.st_size;
  e.xattrs = xa.x;
  e.n_xattrs = xa.n;
  int r = hull_tarw_entry(tr->t, &e, err);
  free_xattrs(&xa);
  if (r < 0 || copy_data(tr, fd, e.size, path, err) < 0)
    return -1;
  tr->stats->bytes += e.size;
  if (st.st_nlink > 1)
    return link_add(tr, st.st_dev, st.st_ino, path, err);
  return 0;
}

static int walk(tree *tr, int dirfd, const char *prefix, int depth, hull_err *err);

static int write_dir(tree *tr, int dirfd, const char *name, const char *path, int depth, hull_err *err) {
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : hull_error_sys(err, "open %s", path);
  cleanup_free char *dname = NULL;
  if (asprintf(&dname, "%s/", path) < 0)
    return hull_error(err, ENOMEM, "tar");
  xattrs xa;
  if (read_xattrs(fd, path, tr->ids, &xa, err) < 0) {
    free_xattrs(&xa);
    return -1;
  }
  hull_tar_entry e = entry_of(tr, dname, '5', &st);
  e.xattrs = xa.x;
  e.n_xattrs = xa.n;
  int r = hull_tarw_entry(tr->t, &e, err);
  free_xattrs(&xa);
  if (r < 0)
    return -1;
  tr->stats->entries++;
  if (tr->mode == HULL_TREE_LAYER && hull_opaque_p(fd)) {
    cleanup_free char *opq = NULL;
    hull_tar_entry o = entry_of(tr, NULL, '0', &st);
    if (asprintf(&opq, "%s.wh..wh..opq", dname) < 0)
      return hull_error(err, ENOMEM, "tar");
    o.name = opq;
    o.mode = 0;
    if (hull_tarw_entry(tr->t, &o, err) < 0 || hull_tarw_end_entry(tr->t, err) < 0)
      return -1;
    tr->stats->entries++;
  }
  if (tr->mode == HULL_TREE_EXPORT) {
    /* A mount below the root filesystem (a volume, /proc) is not the container's. */
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID) &&
        sx.stx_mnt_id != tr->root_mnt)
      return 0;
  }
  if (depth >= MAX_DEPTH)
    return hull_error(err, ELOOP, "%s: deeper than %d levels", path, MAX_DEPTH);
  return walk(tr, fd, dname, depth + 1, err);
}

static int one(tree *tr, int dirfd, const char *prefix, const char *name, int depth, hull_err *err) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s%s", prefix, name) < 0)
    return hull_error(err, ENOMEM, "tar");
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "stat %s", path);
  if (tr->mode == HULL_TREE_LAYER && hull_whiteout_p(&st)) {
    cleanup_free char *wh = NULL;
    if (asprintf(&wh, "%s.wh.%s", prefix, name) < 0)
      return hull_error(err, ENOMEM, "tar");
    hull_tar_entry e = entry_of(tr, wh, '0', &st);
    tr->stats->entries++;
    return hull_tarw_entry(tr->t, &e, err) < 0 ? -1 : hull_tarw_end_entry(tr->t, err);
  }
  if (S_ISDIR(st.st_mode))
    return write_dir(tr, dirfd, name, path, depth, err);
  if (S_ISSOCK(st.st_mode))
    return 0; /* as Docker: a socket means nothing in an image */
  tr->stats->entries++;
  if (S_ISREG(st.st_mode))
    return write_file(tr, dirfd, name, path, &st, err);
  hull_tar_entry e = entry_of(tr, path, '6', &st);
  char target[4096];
  if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n < 0)
      return errno == ENOENT || errno == EINVAL ? 0 : hull_error_sys(err, "readlink %s", path);
    target[n] = '\0';
    e.type = '2';
    e.linkname = target;
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    e.type = S_ISCHR(st.st_mode) ? '3' : '4';
    e.devmajor = major(st.st_rdev);
    e.devminor = minor(st.st_rdev);
  }
  return hull_tarw_entry(tr->t, &e, err) < 0 ? -1 : hull_tarw_end_entry(tr->t, err);
}

static int walk(tree *tr, int dirfd, const char *prefix, int depth, hull_err *err) {
  char **names = NULL;
  size_t n = 0;
  if (hull_read_dir_sorted(dirfd, &names, &n, err) < 0)
    return hull_error_wrap(err, "tar %s", prefix[0] ? prefix : "/");
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    r = one(tr, dirfd, prefix, names[i], depth, err);
  hull_names_free(names, n);
  return r;
}

int hull_tree_tar(int dirfd, enum hull_tree_mode mode, const hull_idmaps *ids, hull_tarw *t, hull_tree_stats *stats,
                  hull_err *err) {
  memset(stats, 0, sizeof(*stats));
  tree *tr = calloc(1, sizeof(*tr));
  if (tr == NULL)
    return hull_error(err, ENOMEM, "tar");
  tr->mode = mode;
  tr->ids = ids;
  tr->t = t;
  tr->stats = stats;
  struct statx sx;
  if (statx(dirfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
    tr->root_mnt = sx.stx_mnt_id;
  int r = walk(tr, dirfd, "", 0, err);
  for (size_t i = 0; i < tr->cap_links; i++)
    free(tr->links[i].path);
  free(tr->links);
  free(tr);
  return r;
}

int hull_storage_export(const char *rootfs, const hull_idmaps *ids, int out_fd, hull_err *err) {
  cleanup_close int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "export: open %s", rootfs);
  hull_tarw t = {.fd = out_fd, .what = "export"};
  hull_tree_stats stats;
  if (hull_tree_tar(fd, HULL_TREE_EXPORT, ids, &t, &stats, err) < 0 || hull_tarw_finish(&t, err) < 0)
    return hull_error_wrap(err, "export %s", rootfs);
  return 0;
}
