/* hull cp: a source (a tree walked by descriptor, or a tar stream) feeds entries to a sink
 * (a directory written by descriptor, or a tar stream). See cp.h for the threat model. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/inroot.h"
#include "engine/cp.h"
#include "image/lazy.h"
#include "image/tarwriter.h"

/* One entry of a copy. name is relative to the destination ("." for the destination
 * directory itself); data is read through read() for regular files. */
typedef struct cp_ent {
  const char *name;
  struct stat st;
  const char *link; /* a symlink's target, or a hard link's first name */
  bool hardlink;
  long (*read)(void *ud, void *buf, size_t len);
  void *ud;
} cp_ent;

typedef struct cp_sink {
  int (*put)(struct cp_sink *s, const cp_ent *e, hull_err *err);
  const hull_cp_opts *o;
  int dirfd;      /* directory sink: the destination directory */
  bool into_ctr;  /* the destination is the container's (ids are mapped to the host's) */
  hull_tarw tarw; /* tar sink */
} cp_sink;

/* ---- paths ---- */

/* Opens PATH on one side: the host's filesystem (rootfd AT_FDCWD, the user's own paths) or
 * beneath a container's rootfs. */
static int side_open(int rootfd, const char *path, int flags) {
  if (rootfd == AT_FDCWD)
    return openat(AT_FDCWD, path, flags | O_CLOEXEC);
  return hull_openat_in_root(rootfd, path, flags);
}

/* Splits PATH into a directory and a last component ("." when the path names a directory's
 * contents: "/", "x/."). Trailing slashes are dropped. */
static int split(const char *path, char **dir, char **leaf, bool *contents, hull_err *err) {
  cleanup_free char *p = strdup(*path ? path : ".");
  if (p == NULL)
    return hull_error(err, ENOMEM, "cp");
  size_t n = strlen(p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  *contents = strcmp(p, "/") == 0 || strcmp(p, ".") == 0 || (n >= 2 && strcmp(p + n - 2, "/.") == 0);
  char *slash = strrchr(p, '/');
  const char *l = slash ? slash + 1 : p;
  if (slash == p)
    *dir = strdup("/");
  else if (slash)
    *dir = strndup(p, (size_t)(slash - p));
  else
    *dir = strdup(".");
  *leaf = strdup(*l ? l : ".");
  if (*dir == NULL || *leaf == NULL)
    return hull_error(err, ENOMEM, "cp");
  return 0;
}

/* Opens every directory of REL but the last component beneath base, one component at a
 * time with O_NOFOLLOW: a symlink planted on the way is refused, never followed. */
static int open_parent(int base, const char *rel, const char **leaf, hull_err *err) {
  int fd = fcntl(base, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return hull_error_sys(err, "cp");
  const char *p = rel;
  for (;;) {
    const char *slash = strchr(p, '/');
    if (slash == NULL)
      break;
    char comp[NAME_MAX + 1];
    size_t n = (size_t)(slash - p);
    if (n > NAME_MAX) {
      close(fd);
      return hull_error(err, ENAMETOOLONG, "cp: %s", rel);
    }
    memcpy(comp, p, n);
    comp[n] = '\0';
    p = slash + 1;
    if (n == 0 || strcmp(comp, ".") == 0)
      continue;
    int next = strcmp(comp, "..") == 0 ? (errno = EPERM, -1)
                                       : openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(fd);
    if (next < 0)
      return hull_error_sys(err, "cp: %s", rel);
    fd = next;
  }
  *leaf = p;
  return fd;
}

/* ---- the directory sink ---- */

/* An entry's ids as the container sees them, when it comes from a user-namespaced
 * container (its files have the mapped host ids on disk). */
static void ctr_ids(const cp_sink *s, const cp_ent *e, uint32_t *uid, uint32_t *gid) {
  *uid = e->st.st_uid;
  *gid = e->st.st_gid;
  const hull_idmaps *m = s->o->ids;
  if (m && !s->into_ctr) {
    *uid = hull_idmap_ctr_seen(m->uid, m->n_uid, *uid);
    *gid = hull_idmap_ctr_seen(m->gid, m->n_gid, *gid);
  }
}

/* The owner to give what the directory sink creates: the caller's ids, or the source's
 * with -a. Into a user-namespaced container they are container ids, written as the host
 * ids they map to (Docker's userns-remap: a copied file belongs to the container's root);
 * an id the container does not map could only show as nobody there, and is refused. */
static int owner(const cp_sink *s, const cp_ent *e, uid_t *uid, gid_t *gid, hull_err *err) {
  uint32_t u = s->o->uid, g = s->o->gid;
  if (s->o->archive)
    ctr_ids(s, e, &u, &g);
  const hull_idmaps *m = s->o->ids;
  if (m && s->into_ctr) {
    uint32_t hu = hull_idmap_host(m->uid, m->n_uid, u), hg = hull_idmap_host(m->gid, m->n_gid, g);
    if (hu == UINT32_MAX || hg == UINT32_MAX)
      return hull_error_code(err, EINVAL, "cp: %s: %s %u is not mapped in the container's user namespace", e->name,
                             hu == UINT32_MAX ? "uid" : "gid", hu == UINT32_MAX ? u : g);
    u = hu;
    g = hg;
  }
  *uid = u;
  *gid = g;
  return 0;
}

static int set_meta(cp_sink *s, int fd, const cp_ent *e, hull_err *err) {
  uid_t uid;
  gid_t gid;
  if (owner(s, e, &uid, &gid, err) < 0)
    return -1;
  if (fchown(fd, uid, gid) < 0 || fchmod(fd, e->st.st_mode & 07777) < 0)
    return hull_error_sys(err, "cp: %s", e->name);
  struct timespec ts[2] = {e->st.st_atim, e->st.st_mtim};
  if (!S_ISDIR(e->st.st_mode) && futimens(fd, ts) < 0)
    return hull_error_sys(err, "cp: %s", e->name);
  return 0;
}

static int copy_data(int fd, const cp_ent *e, hull_err *err) {
  char buf[1 << 16];
  for (;;) {
    long n = e->read(e->ud, buf, sizeof(buf));
    if (n < 0)
      return hull_error_sys(err, "cp: read %s", e->name);
    if (n == 0)
      return 0;
    for (long off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w < 0)
        return hull_error_sys(err, "cp: write %s", e->name);
      off += w;
    }
  }
}

/* Makes room for a new non-directory LEAF: an existing one (a symlink too) is unlinked, a
 * directory is refused as Docker does. */
static int clear_leaf(int pfd, const char *leaf, const cp_ent *e, hull_err *err) {
  struct stat st;
  if (fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "cp: %s", e->name);
  if (S_ISDIR(st.st_mode))
    return hull_error_code(err, EISDIR, "cannot overwrite directory %s with non-directory", e->name);
  if (unlinkat(pfd, leaf, 0) < 0 && errno != ENOENT)
    return hull_error_sys(err, "cp: %s", e->name);
  return 0;
}

static int put_dir(cp_sink *s, int pfd, const char *leaf, const cp_ent *e, hull_err *err) {
  if (mkdirat(pfd, leaf, 0700) < 0 && errno != EEXIST)
    return hull_error_sys(err, "cp: mkdir %s", e->name);
  cleanup_close int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOTDIR || errno == ELOOP
               ? hull_error_code(err, ENOTDIR, "cannot overwrite non-directory %s with directory", e->name)
               : hull_error_sys(err, "cp: %s", e->name);
  return set_meta(s, fd, e, err);
}

static int put_file(cp_sink *s, int pfd, const char *leaf, const cp_ent *e, hull_err *err) {
  /* O_EXCL after clearing: whatever the other side does meanwhile, the file written is a
   * new one in this directory, never one reached through a symlink. */
  cleanup_close int fd = -1;
  for (int tries = 0; fd < 0; tries++) {
    if (clear_leaf(pfd, leaf, e, err) < 0)
      return -1;
    fd = openat(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && (errno != EEXIST || tries > 8))
      return hull_error_sys(err, "cp: create %s", e->name);
  }
  if (copy_data(fd, e, err) < 0)
    return -1;
  return set_meta(s, fd, e, err);
}

static int put_special(cp_sink *s, int pfd, const char *leaf, const cp_ent *e, hull_err *err) {
  uid_t uid = 0;
  gid_t gid = 0;
  if ((!e->hardlink && owner(s, e, &uid, &gid, err) < 0) || clear_leaf(pfd, leaf, e, err) < 0)
    return -1;
  if (e->hardlink) {
    const char *tleaf;
    cleanup_close int tfd = open_parent(s->dirfd, e->link, &tleaf, err);
    if (tfd < 0)
      return -1;
    if (linkat(tfd, tleaf, pfd, leaf, 0) < 0)
      return hull_error_sys(err, "cp: link %s to %s", e->name, e->link);
    return 0;
  }
  int r = S_ISLNK(e->st.st_mode) ? symlinkat(e->link, pfd, leaf) : mknodat(pfd, leaf, S_IFIFO | 0600, 0);
  if (r < 0)
    return hull_error_sys(err, "cp: %s", e->name);
  struct timespec ts[2] = {e->st.st_atim, e->st.st_mtim};
  if (fchownat(pfd, leaf, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0 ||
      (S_ISFIFO(e->st.st_mode) && fchmodat(pfd, leaf, e->st.st_mode & 07777, 0) < 0))
    return hull_error_sys(err, "cp: %s", e->name);
  return 0;
}

static int dir_put(cp_sink *s, const cp_ent *e, hull_err *err) {
  if (strcmp(e->name, ".") == 0)
    return 0; /* the destination directory itself is left as it is */
  const char *leaf;
  cleanup_close int pfd = open_parent(s->dirfd, e->name, &leaf, err);
  if (pfd < 0)
    return -1;
  if (*leaf == '\0' || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
    return hull_error_code(err, EINVAL, "cp: bad entry name %s", e->name);
  /* An owner that cannot be given is refused before anything is created. */
  uid_t uid;
  gid_t gid;
  if (!e->hardlink && owner(s, e, &uid, &gid, err) < 0)
    return -1;
  mode_t t = e->st.st_mode & S_IFMT;
  if (e->hardlink || t == S_IFLNK || t == S_IFIFO)
    return put_special(s, pfd, leaf, e, err);
  if (t == S_IFDIR)
    return put_dir(s, pfd, leaf, e, err);
  if (t == S_IFREG)
    return put_file(s, pfd, leaf, e, err);
  /* Devices and sockets: a container gets its devices from its configuration. */
  return 0;
}

/* ---- the tar sink ---- */

static int tar_put(cp_sink *s, const cp_ent *e, hull_err *err) {
  if (strcmp(e->name, ".") == 0)
    return 0;
  uint32_t uid, gid;
  ctr_ids(s, e, &uid, &gid);
  hull_tar_entry t = {
      .name = e->name, .mode = e->st.st_mode & 07777, .uid = uid, .gid = gid, .mtime = e->st.st_mtim.tv_sec};
  mode_t m = e->st.st_mode & S_IFMT;
  if (e->hardlink) {
    t.type = '1';
    t.linkname = e->link;
  } else if (m == S_IFREG) {
    t.type = '0';
    t.size = (uint64_t)e->st.st_size;
  } else if (m == S_IFDIR) {
    t.type = '5';
  } else if (m == S_IFLNK) {
    t.type = '2';
    t.linkname = e->link;
  } else if (m == S_IFIFO) {
    t.type = '6';
  } else {
    return 0;
  }
  if (hull_tarw_entry(&s->tarw, &t, err) < 0)
    return -1;
  if (t.type == '0') {
    char buf[1 << 16];
    uint64_t left = t.size;
    while (left > 0) {
      long n = e->read(e->ud, buf, left < sizeof(buf) ? left : sizeof(buf));
      if (n < 0)
        return hull_error_sys(err, "cp: read %s", e->name);
      if (n == 0) /* the file shrank while it was copied: pad with zeros as tar(1) does */
        memset(buf, 0, (size_t)(n = (long)(left < sizeof(buf) ? left : sizeof(buf))));
      if (hull_tarw_data(&s->tarw, buf, (size_t)n, err) < 0)
        return -1;
      left -= (uint64_t)n;
    }
  }
  return hull_tarw_end_entry(&s->tarw, err);
}

/* ---- the tree source ---- */

typedef struct hardlinks {
  struct {
    dev_t dev;
    ino_t ino;
    char *name;
  } * v;
  size_t n;
} hardlinks;

static void hardlinks_free(hardlinks *h) {
  for (size_t i = 0; i < h->n; i++)
    free(h->v[i].name);
  free(h->v);
}

static long fd_read(void *ud, void *buf, size_t len) { return (long)read(*(int *)ud, buf, len); }

static int walk_fd(cp_sink *s, int fd, const struct stat *st, const char *name, hardlinks *hl, hull_err *err);

/* Walks the entry LEAF of the directory dfd (a descriptor already beneath the root): it is
 * looked at and opened without following a symlink, and checked again once open. */
static int walk_child(cp_sink *s, int dfd, const char *leaf, const char *name, hardlinks *hl, hull_err *err) {
  struct stat st;
  if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "cp: %s", name);
  cp_ent e = {.name = name, .st = st};
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dfd, leaf, target, sizeof(target) - 1);
    if (n < 0)
      return hull_error_sys(err, "cp: readlink %s", name);
    target[n] = '\0';
    e.link = target;
    return s->put(s, &e, err);
  }
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
    return s->put(s, &e, err);
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0);
  cleanup_close int fd = openat(dfd, leaf, flags);
  if (fd < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "cp: open %s", name);
  if (fstat(fd, &st) < 0)
    return hull_error_sys(err, "cp: %s", name);
  return walk_fd(s, fd, &st, name, hl, err);
}

static int walk_dir(cp_sink *s, int fd, const char *name, hardlinks *hl, hull_err *err) {
  int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0)
    return hull_error_sys(err, "cp: %s", name);
  cleanup_dir DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return hull_error_sys(err, "cp: %s", name);
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *child = NULL;
    if ((strcmp(name, ".") == 0 ? asprintf(&child, "%s", de->d_name) : asprintf(&child, "%s/%s", name, de->d_name)) < 0)
      return hull_error(err, ENOMEM, "cp");
    if (walk_child(s, dirfd(d), de->d_name, child, hl, err) < 0)
      return -1;
  }
  return errno ? hull_error_sys(err, "cp: read directory %s", name) : 0;
}

static int walk_fd(cp_sink *s, int fd, const struct stat *st, const char *name, hardlinks *hl, hull_err *err) {
  cp_ent e = {.name = name, .st = *st, .read = fd_read, .ud = &fd};
  if (S_ISDIR(st->st_mode))
    return s->put(s, &e, err) < 0 ? -1 : walk_dir(s, fd, name, hl, err);
  if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
    for (size_t i = 0; i < hl->n; i++)
      if (hl->v[i].dev == st->st_dev && hl->v[i].ino == st->st_ino) {
        e.hardlink = true;
        e.link = hl->v[i].name;
        return s->put(s, &e, err);
      }
    __typeof__(hl->v) nv = realloc(hl->v, (hl->n + 1) * sizeof(*nv));
    if (nv == NULL)
      return hull_error(err, ENOMEM, "cp");
    hl->v = nv;
    hl->v[hl->n].dev = st->st_dev;
    hl->v[hl->n].ino = st->st_ino;
    if ((hl->v[hl->n].name = strdup(name)) == NULL)
      return hull_error(err, ENOMEM, "cp");
    hl->n++;
  }
  return s->put(s, &e, err);
}

/* ---- the tar source ---- */

static long archive_reader(void *ud, void *buf, size_t len) { return (long)archive_read_data(ud, buf, len); }

/* A tar entry's name relative to the destination (caller frees): leading "/" and "./" and
 * trailing "/" dropped; ".." is refused wherever it appears. */
static char *tar_name(const char *raw, hull_err *err) {
  while (*raw == '/' || (raw[0] == '.' && raw[1] == '/'))
    raw += raw[0] == '/' ? 1 : 2;
  for (const char *p = raw; *p;) {
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      hull_error_code(err, EPERM, "cp: refusing tar entry %s (..)", raw);
      return NULL;
    }
    p += n + (p[n] == '/');
  }
  char *name = strdup(*raw ? raw : ".");
  if (name == NULL) {
    hull_error(err, ENOMEM, "cp");
    return NULL;
  }
  for (size_t n = strlen(name); n > 1 && name[n - 1] == '/';)
    name[--n] = '\0';
  return name;
}

static int tar_source(cp_sink *s, int infd, hull_err *err) {
  if (hull_lazy_archive(err) < 0)
    return -1;
  struct archive *a = archive_read_new();
  if (a == NULL)
    return hull_error(err, ENOMEM, "cp");
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  archive_read_support_filter_gzip(a);
  int rc = -1;
  if (archive_read_open_fd(a, infd, 1 << 16) != ARCHIVE_OK) {
    hull_error(err, 0, "cp: read tar stream: %s", archive_error_string(a));
    goto out;
  }
  for (;;) {
    struct archive_entry *ae;
    int r = archive_read_next_header(a, &ae);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      hull_error(err, 0, "cp: read tar stream: %s", archive_error_string(a));
      goto out;
    }
    cp_ent e = {.read = archive_reader, .ud = a};
    cleanup_free char *name = tar_name(archive_entry_pathname(ae), err), *link = NULL;
    if ((e.name = name) == NULL)
      goto out;
    e.st.st_mode = archive_entry_filetype(ae) | archive_entry_perm(ae);
    e.st.st_uid = (uid_t)archive_entry_uid(ae);
    e.st.st_gid = (gid_t)archive_entry_gid(ae);
    e.st.st_size = archive_entry_size(ae);
    e.st.st_mtim = (struct timespec){archive_entry_mtime(ae), archive_entry_mtime_nsec(ae)};
    e.st.st_atim = e.st.st_mtim;
    if (archive_entry_hardlink(ae)) {
      e.hardlink = true;
      if ((e.link = link = tar_name(archive_entry_hardlink(ae), err)) == NULL)
        goto out;
    } else if (S_ISLNK(e.st.st_mode)) {
      e.link = archive_entry_symlink(ae);
    }
    if (s->put(s, &e, err) < 0)
      goto out;
  }
  rc = 0;
out:
  archive_read_free(a);
  return rc;
}

/* ---- the two directions ---- */

typedef struct cp_src {
  int fd; /* the source opened */
  struct stat st;
  char *dir, *leaf;
  bool contents;
} cp_src;

static void src_free(cp_src *s) {
  if (s->fd >= 0)
    close(s->fd);
  free(s->dir);
  free(s->leaf);
}

/* Opens the source on its side. Without -L a symlink named as the source is copied as a
 * symlink: the parent is resolved, the last component looked at without following. */
static int src_open(int rootfd, const char *path, bool follow, cp_src *s, hull_err *err) {
  if (split(path, &s->dir, &s->leaf, &s->contents, err) < 0)
    return -1;
  int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY;
  if (follow || s->contents) {
    s->fd = side_open(rootfd, path, flags);
  } else {
    cleanup_close int pfd = side_open(rootfd, s->dir, O_RDONLY | O_DIRECTORY);
    if (pfd < 0)
      return hull_error_sys(err, "Could not find the file %s", path);
    struct stat st;
    if (fstatat(pfd, s->leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return hull_error_sys(err, "Could not find the file %s", path);
    s->fd = openat(pfd, s->leaf, (S_ISLNK(st.st_mode) ? O_PATH : flags) | O_NOFOLLOW | O_CLOEXEC);
  }
  if (s->fd < 0 || fstat(s->fd, &s->st) < 0)
    return hull_error_sys(err, "Could not find the file %s", path);
  if (!S_ISDIR(s->st.st_mode) && !S_ISREG(s->st.st_mode) && !S_ISLNK(s->st.st_mode))
    return hull_error_code(err, EINVAL, "cp: %s is not a file, directory or symlink", path);
  return 0;
}

/* Feeds the source to the sink under the name top. */
static int feed(cp_sink *sink, cp_src *src, const char *top, hull_err *err) {
  hardlinks hl = {0};
  int r;
  if (S_ISLNK(src->st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(src->fd, "", target, sizeof(target) - 1);
    if (n < 0) {
      hardlinks_free(&hl);
      return hull_error_sys(err, "cp: readlink %s", src->leaf);
    }
    target[n] = '\0';
    cp_ent e = {.name = top, .st = src->st, .link = target};
    r = sink->put(sink, &e, err);
  } else {
    r = walk_fd(sink, src->fd, &src->st, top, &hl, err);
  }
  hardlinks_free(&hl);
  return r;
}

/* Docker's rules for DEST on its side: an existing directory receives the source under its
 * own name (or its contents for "SRC/."); anything else names the copy itself, whose parent
 * must exist. Sets the sink's directory and the top entry's name. */
static int dest_resolve(int rootfd, const char *dest, const cp_src *src, cp_sink *sink, char **top, hull_err *err) {
  cleanup_close int fd = side_open(rootfd, dest, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    *top = strdup(src->contents ? "." : src->leaf);
    sink->dirfd = take_fd(&fd);
    return *top ? 0 : hull_error(err, ENOMEM, "cp");
  }
  if (errno != ENOENT && errno != ENOTDIR)
    return hull_error_sys(err, "cp: %s", dest);
  bool exists = errno == ENOTDIR;
  if (exists && S_ISDIR(src->st.st_mode))
    return hull_error_code(err, ENOTDIR, "cannot copy a directory to a file: %s", dest);
  size_t n = strlen(dest);
  if (!exists && n > 0 && dest[n - 1] == '/' && !S_ISDIR(src->st.st_mode))
    return hull_error_code(err, ENOENT, "no such directory: %s", dest);
  cleanup_free char *dir = NULL, *leaf = NULL;
  bool contents;
  if (split(dest, &dir, &leaf, &contents, err) < 0)
    return -1;
  sink->dirfd = side_open(rootfd, dir, O_RDONLY | O_DIRECTORY);
  if (sink->dirfd < 0)
    return hull_error_sys(err, "cp: destination directory %s", dir);
  *top = steal_pointer(&leaf);
  return 0;
}

int hull_cp_out(int rootfd, const char *src, const char *dest, int outfd, const hull_cp_opts *o, hull_err *err) {
  cp_src s = {.fd = -1};
  cp_sink sink = {.o = o, .dirfd = -1};
  cleanup_free char *top = NULL;
  int r = -1;
  if (src_open(rootfd, src, o->follow, &s, err) < 0)
    goto out;
  if (strcmp(dest, "-") == 0) {
    sink.put = tar_put;
    sink.tarw = (hull_tarw){.fd = outfd, .what = "standard output"};
    if ((top = strdup(s.contents ? "." : s.leaf)) == NULL) {
      hull_error(err, ENOMEM, "cp");
      goto out;
    }
    r = feed(&sink, &s, top, err) < 0 ? -1 : hull_tarw_finish(&sink.tarw, err);
    goto out;
  }
  sink.put = dir_put;
  if (dest_resolve(AT_FDCWD, dest, &s, &sink, &top, err) < 0)
    goto out;
  r = feed(&sink, &s, top, err);
out:
  src_free(&s);
  if (sink.dirfd >= 0)
    close(sink.dirfd);
  return r;
}

int hull_cp_in(int rootfd, const char *src, int infd, const char *dest, const hull_cp_opts *o, hull_err *err) {
  cp_sink sink = {.o = o, .dirfd = -1, .put = dir_put, .into_ctr = true};
  int r = -1;
  if (strcmp(src, "-") == 0) {
    sink.dirfd = hull_openat_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY);
    if (sink.dirfd < 0)
      return hull_error_sys(err, "destination \"%s\" must be a directory", dest);
    r = tar_source(&sink, infd, err);
    close(sink.dirfd);
    return r;
  }
  cp_src s = {.fd = -1};
  cleanup_free char *top = NULL;
  if (src_open(AT_FDCWD, src, o->follow, &s, err) < 0 || dest_resolve(rootfd, dest, &s, &sink, &top, err) < 0)
    goto out;
  r = feed(&sink, &s, top, err);
out:
  src_free(&s);
  if (sink.dirfd >= 0)
    close(sink.dirfd);
  return r;
}
