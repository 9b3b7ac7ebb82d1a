#include "storage/initlayer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "image/reference.h"
#include "storage/rmtree.h"
#include "storage/walk.h"

/* overlayfs stacks at most 500 layers. */
#define HULL_INIT_MAX_LAYERS 500

/* The directories the runtime mounts file systems on, at the root. */
static const char *const root_dirs[] = {"proc", "sys", "dev", NULL};
/* The files the engine binds from the container's directory, in /etc. */
static const char *const etc_files[] = {"hosts", "hostname", "resolv.conf", NULL};

enum kind { ABSENT, IS_DIR, IS_OTHER };

typedef struct dirset {
  int fd[HULL_INIT_MAX_LAYERS];
  size_t n;
} dirset;

static void dirset_close(dirset *d) {
  for (size_t i = 0; i < d->n; i++)
    close(d->fd[i]);
  d->n = 0;
}

/* One step of overlayfs' lookup: name in the merged directory whose layers are in (top
 * first). *st is the topmost entry; a whiteout there means absent, and when it is a
 * directory, out gets the directories merged below it (a whiteout or a non-directory
 * further down ends the merge, as does an opaque directory). */
static int step(const dirset *in, const char *name, struct stat *st, dirset *out, hull_err *err) {
  bool found = false;
  out->n = 0;
  for (size_t i = 0; i < in->n; i++) {
    struct stat here;
    if (fstatat(in->fd[i], name, &here, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        continue;
      dirset_close(out);
      return hull_error_sys(err, "init layer: look up %s in a layer", name);
    }
    if (!found) {
      found = true;
      *st = here;
      if (hull_whiteout_p(&here))
        return ABSENT;
      if (!S_ISDIR(here.st_mode))
        return IS_OTHER;
    } else if (!S_ISDIR(here.st_mode)) {
      break;
    }
    int fd = openat(in->fd[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      dirset_close(out);
      return hull_error_sys(err, "init layer: open %s in a layer", name);
    }
    out->fd[out->n++] = fd;
    if (hull_opaque_p(fd))
      break;
  }
  return found ? IS_DIR : ABSENT;
}

/* The owner, mode and times of an entry of the image, so that the merged view shows what
 * it showed without the init layer above. */
static int copy_attrs(int fd, const struct stat *st, const char *what, hull_err *err) {
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, ts) < 0)
    return hull_error_sys(err, "init layer: set the attributes of %s", what);
  return 0;
}

/* The user.* attributes of the image's /etc (the only ones a layer carries on a directory
 * besides overlay's own, which must stay out: an opaque /etc here would hide the image's). */
static int copy_user_xattrs(int from, int to, hull_err *err) {
  ssize_t len = flistxattr(from, NULL, 0);
  if (len <= 0)
    return len == 0 || errno == ENOTSUP ? 0 : hull_error_sys(err, "init layer: list the xattrs of etc");
  cleanup_free char *names = malloc((size_t)len);
  if (names == NULL)
    return hull_error(err, ENOMEM, "init layer: xattrs of etc");
  len = flistxattr(from, names, (size_t)len);
  if (len < 0)
    return hull_error_sys(err, "init layer: list the xattrs of etc");
  for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1) {
    const char *name = names + off;
    if (strncmp(name, "user.", 5) != 0)
      continue;
    ssize_t vl = fgetxattr(from, name, NULL, 0);
    cleanup_free char *v = vl >= 0 ? malloc(vl ? (size_t)vl : 1) : NULL;
    if (vl < 0 || v == NULL || (vl = fgetxattr(from, name, v, (size_t)vl)) < 0 ||
        fsetxattr(to, name, v, (size_t)vl, 0) < 0)
      return hull_error_sys(err, "init layer: copy xattr %s of etc", name);
  }
  return 0;
}

/* /etc with the files the image lacks, when the image has /etc as a real directory. */
static int make_etc(int tfd, const dirset *roots, hull_err *err) {
  struct stat est;
  dirset etc = {.n = 0};
  int k = step(roots, "etc", &est, &etc, err);
  if (k < 0)
    return -1;
  if (k != IS_DIR)
    return 0;
  bool need[sizeof(etc_files) / sizeof(etc_files[0])] = {false}, any = false;
  for (size_t i = 0; etc_files[i]; i++) {
    struct stat st;
    dirset below = {.n = 0};
    int r = step(&etc, etc_files[i], &st, &below, err);
    dirset_close(&below);
    if (r < 0) {
      dirset_close(&etc);
      return -1;
    }
    need[i] = r == ABSENT;
    any = any || need[i];
  }
  if (!any) {
    dirset_close(&etc);
    return 0;
  }
  cleanup_close int efd = -1;
  if (mkdirat(tfd, "etc", 0700) < 0 ||
      (efd = openat(tfd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
    dirset_close(&etc);
    return hull_error_sys(err, "init layer: mkdir etc");
  }
  int r = copy_user_xattrs(etc.fd[0], efd, err);
  dirset_close(&etc);
  if (r < 0)
    return -1;
  for (size_t i = 0; etc_files[i]; i++) {
    if (!need[i])
      continue;
    /* Empty, 0644, root's: what the runtime makes for a missing file mount point. */
    cleanup_close int fd = openat(efd, etc_files[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || fchmod(fd, 0644) < 0 || fsync(fd) < 0)
      return hull_error_sys(err, "init layer: create etc/%s", etc_files[i]);
  }
  /* The times last: creating the files changed them. */
  if (copy_attrs(efd, &est, "etc", err) < 0)
    return -1;
  if (fsync(efd) < 0)
    return hull_error_sys(err, "init layer: sync etc");
  return 0;
}

/* Fills the empty directory tfd from the image's layers (top first). */
static int populate(hull_store *s, int tfd, const char *const *layers, size_t n, hull_err *err) {
  dirset roots = {.n = 0};
  struct stat rst;
  int r = -1;
  for (size_t i = 0; i < n; i++) {
    if (!hull_digest_valid_p(layers[i])) {
      hull_error(err, EINVAL, "init layer: invalid layer id \"%s\"", layers[i]);
      goto out;
    }
    char path[HULL_DIGEST_LEN + 16];
    snprintf(path, sizeof(path), "%s/diff", layers[i] + 7);
    int fd = openat(s->layersfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      hull_error_sys(err, "init layer: open %s/layers/%s", s->root, path);
      goto out;
    }
    roots.fd[roots.n++] = fd;
    if (i == 0 && fstat(fd, &rst) < 0) {
      hull_error_sys(err, "init layer: stat %s/layers/%s", s->root, path);
      goto out;
    }
    if (hull_opaque_p(fd))
      break;
  }
  for (size_t i = 0; root_dirs[i]; i++) {
    struct stat st;
    dirset below = {.n = 0};
    int k = step(&roots, root_dirs[i], &st, &below, err);
    dirset_close(&below);
    if (k < 0)
      goto out;
    if (k != ABSENT)
      continue;
    /* 0755, root's: what the runtime makes for a missing directory mount point. */
    if (mkdirat(tfd, root_dirs[i], 0755) < 0 || fchmodat(tfd, root_dirs[i], 0755, 0) < 0) {
      hull_error_sys(err, "init layer: mkdir %s", root_dirs[i]);
      goto out;
    }
    cleanup_close int fd = openat(tfd, root_dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
      hull_error_sys(err, "init layer: sync %s", root_dirs[i]);
      goto out;
    }
  }
  if (make_etc(tfd, &roots, err) < 0)
    goto out;
  /* The root only shows through a mount without an upper directory; the same as the top
   * layer's all the same. */
  if (copy_attrs(tfd, &rst, "the root", err) < 0)
    goto out;
  if (fsync(tfd) < 0) {
    hull_error_sys(err, "init layer: sync");
    goto out;
  }
  r = 0;
out:
  dirset_close(&roots);
  return r;
}

int hull_init_layer_ensure(hull_store *s, int tmpfd, const char *const *layers, size_t n, hull_err *err) {
  if (n == 0 || n > HULL_INIT_MAX_LAYERS || !hull_digest_valid_p(layers[0]))
    return hull_error(err, EINVAL, "init layer: %zu layers", n);
  char name[HULL_DIGEST_LEN + 16];
  snprintf(name, sizeof(name), "%s/init", layers[0] + 7);
  /* After the first container of the image, this is all a mount pays. */
  if (faccessat(s->layersfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  if (errno != ENOENT)
    return hull_error_sys(err, "init layer: %s/layers/%s", s->root, name);
  unsigned char rnd[8];
  if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
    return hull_error_sys(err, "getrandom");
  /* In overlay/c without a storage row: should this command die, the collector removes it. */
  char tmp[40];
  snprintf(tmp, sizeof(tmp), ".init-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
           rnd[6], rnd[7]);
  if (mkdirat(tmpfd, tmp, 0700) < 0)
    return hull_error_sys(err, "init layer: mkdir %s/overlay/c/%s", s->root, tmp);
  int r = -1;
  {
    cleanup_close int tfd = openat(tmpfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0)
      hull_error_sys(err, "init layer: open %s/overlay/c/%s", s->root, tmp);
    else
      r = populate(s, tfd, layers, n, err);
  }
  /* Synced before it gets its name, so that after a crash the name never points to a half
   * made layer; another command's may have won meanwhile, which is as good. */
  if (r == 0 && renameat2(tmpfd, tmp, s->layersfd, name, RENAME_NOREPLACE) == 0) {
    char dir[HULL_DIGEST_LEN + 1];
    snprintf(dir, sizeof(dir), "%s", layers[0] + 7);
    cleanup_close int dfd = openat(s->layersfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
      return hull_error_sys(err, "init layer: sync %s/layers/%s", s->root, dir);
    return 0;
  }
  if (r == 0 && errno != EEXIST && errno != ENOTEMPTY)
    r = hull_error_sys(err, "init layer: rename to %s/layers/%s", s->root, name);
  hull_err e = NULL;
  if (hull_rm_rf_at(tmpfd, tmp, &e) < 0)
    hull_debug("%s (left for the collector)", e->msg);
  hull_error_release(&e);
  return r;
}
