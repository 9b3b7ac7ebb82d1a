#include "storage/overlay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/durable.h"
#include "image/reference.h"
#include "storage/initlayer.h"
#include "storage/rmtree.h"

/* mount(2) copies its data from one page: the options may not be longer. */
#define MOUNT_DATA_MAX 4095
/* A short name: 26 characters, and "-i" for an init layer. */
#define SHORT_MAX 29

static bool valid_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > HULL_OVERLAY_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
    return false;
  /* Nothing that could end an overlay option (',' ':' '=') or a path component. */
  return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int check_id(const char *id, hull_err *err) {
  if (!valid_id(id))
    return hull_error(err, EINVAL, "invalid container id \"%s\" for the storage", id);
  return 0;
}

void hull_overlay_short_id(const char *chain_id, char id[27]) {
  static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const char *hex = strncmp(chain_id, "sha256:", 7) == 0 ? chain_id + 7 : chain_id;
  unsigned char bytes[17] = {0};
  for (size_t i = 0; i < 16 && hex[2 * i] && hex[2 * i + 1]; i++) {
    unsigned v = 0;
    sscanf(hex + 2 * i, "%2x", &v);
    bytes[i] = (unsigned char)v;
  }
  /* 26 groups of 5 bits from the first 128 bits (the last group is padded). */
  for (size_t i = 0; i < 26; i++) {
    size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
    unsigned v = ((unsigned)bytes[byte] << 8 | bytes[byte + 1]) >> (11 - shift);
    id[i] = b32[v & 31];
  }
  id[26] = '\0';
}

/* <root>/overlay, with its l/, c/ and empty/ made when missing. */
static int open_overlay_dir(hull_store *s, hull_err *err) {
  if (mkdirat(s->rootfd, "overlay", 0700) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s/overlay", s->root);
  cleanup_close int fd = openat(s->rootfd, "overlay", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s/overlay", s->root);
  static const struct {
    const char *name;
    mode_t mode;
  } dirs[] = {{"l", 0700}, {"c", 0700}, {"empty", 0755}};
  for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
    if (mkdirat(fd, dirs[i].name, dirs[i].mode) < 0 && errno != EEXIST)
      return hull_error_sys(err, "mkdir %s/overlay/%s", s->root, dirs[i].name);
  /* Every container's upper and work directories are made and removed again under c/: each
   * container in a block group of its own (util.h). */
  cleanup_close int cfd = openat(fd, "c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cfd >= 0)
    hull_dir_spread(cfd);
  return take_fd(&fd);
}

/* ---- records ---- */

static int bind_exec(hull_store *s, sqlite3_stmt *st, const char *what, hull_err *err) {
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, what, err);
  return 0;
}

char **hull_overlay_layers(hull_store *s, const char *ctr_id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT chain_id FROM storage_layers WHERE id = ? ORDER BY idx", err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  size_t n = 0;
  bool oom = false;
  cleanup_strv char **v = calloc(1, sizeof(char *));
  while (v && !oom && sqlite3_step(st) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (nv == NULL) {
      oom = true;
      break;
    }
    v = nv;
    v[n] = strdup((const char *)sqlite3_column_text(st, 0));
    v[n + 1] = NULL;
    if (v[n] == NULL)
      oom = true;
    else
      n++;
  }
  if (v == NULL || oom || sqlite3_errcode(s->db) == SQLITE_NOMEM) {
    hull_error(err, ENOMEM, "layers of container %s", ctr_id);
    return NULL;
  }
  return steal_pointer(&v);
}

enum record_state { RECORD_NEW, RECORD_EXISTS };

/* The existing storage must be for the same layers and the same kind of mount. */
static int check_existing(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, bool read_only,
                          bool was_read_only, hull_err *err) {
  if (read_only != was_read_only)
    return hull_error(err, EEXIST, "container %s: its storage was made %s", ctr_id,
                      was_read_only ? "read-only" : "writable");
  cleanup_strv char **have = hull_overlay_layers(s, ctr_id, err);
  if (have == NULL)
    return -1;
  size_t i = 0;
  for (; i < n && have[i]; i++)
    if (strcmp(have[i], layers[i]) != 0)
      break;
  if (i != n || have[i] != NULL)
    return hull_error(err, EEXIST, "container %s: its storage exists for other layers", ctr_id);
  return 0;
}

static int insert_new(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, bool read_only,
                      hull_err *err) {
  cleanup_stmt sqlite3_stmt *lk =
      hull_store_prepare(s, "SELECT 1 FROM layers WHERE chain_id = ? AND incomplete = 0", err);
  if (lk == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_reset(lk);
    sqlite3_bind_text(lk, 1, layers[i], -1, SQLITE_STATIC);
    if (sqlite3_step(lk) != SQLITE_ROW)
      return hull_error(err, ENOENT, "container %s: layer %s is not in the store", ctr_id, layers[i]);
  }
  cleanup_stmt sqlite3_stmt *ins =
      hull_store_prepare(s,
                         "INSERT OR REPLACE INTO storage (id, incomplete, read_only, created, owner_pid, owner_start) "
                         "VALUES (?, 1, ?, ?, ?, ?)",
                         err);
  if (ins == NULL)
    return -1;
  sqlite3_bind_text(ins, 1, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(ins, 2, read_only);
  sqlite3_bind_int64(ins, 3, (int64_t)time(NULL));
  sqlite3_bind_int64(ins, 4, getpid());
  sqlite3_bind_int64(ins, 5, (int64_t)hull_self_start_time());
  if (bind_exec(s, ins, "record container storage", err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *li =
      hull_store_prepare(s, "INSERT INTO storage_layers (id, idx, chain_id) VALUES (?, ?, ?)", err);
  if (li == NULL)
    return -1;
  for (size_t i = 0; i < n; i++) {
    sqlite3_reset(li);
    sqlite3_bind_text(li, 1, ctr_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(li, 2, (int64_t)i);
    sqlite3_bind_text(li, 3, layers[i], -1, SQLITE_STATIC);
    if (bind_exec(s, li, "record container storage", err) < 0)
      return -1;
  }
  return 0;
}

/* Records the storage before anything is made on disk (one transaction). */
static int record(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, bool read_only,
                  enum record_state *state, hull_err *err) {
  if (hull_store_begin(s, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT incomplete, read_only, owner_pid, owner_start FROM storage WHERE id = ?", err);
  if (st == NULL)
    goto fail;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    bool incomplete = sqlite3_column_int(st, 0) != 0, was_ro = sqlite3_column_int(st, 1) != 0;
    pid_t pid = (pid_t)sqlite3_column_int64(st, 2);
    unsigned long long start = (unsigned long long)sqlite3_column_int64(st, 3);
    sqlite3_reset(st);
    if (!incomplete) {
      if (check_existing(s, layers, n, ctr_id, read_only, was_ro, err) < 0)
        goto fail;
      *state = RECORD_EXISTS;
      return hull_store_commit(s, err);
    }
    /* Being made right now by a live command: not ours to take over. A dead owner's
     * leftover is simply made again. */
    if (pid != getpid() && hull_proc_alive(pid, start)) {
      hull_error(err, EBUSY, "container %s: its storage is being made by process %d", ctr_id, (int)pid);
      goto fail;
    }
    cleanup_stmt sqlite3_stmt *del = hull_store_prepare(s, "DELETE FROM storage WHERE id = ?", err);
    if (del == NULL)
      goto fail;
    sqlite3_bind_text(del, 1, ctr_id, -1, SQLITE_STATIC);
    if (bind_exec(s, del, "forget container storage", err) < 0)
      goto fail;
  }
  if (insert_new(s, layers, n, ctr_id, read_only, err) < 0)
    goto fail;
  *state = RECORD_NEW;
  return hull_store_commit(s, err);
fail:
  hull_store_rollback(s);
  return -1;
}

static int mark_complete(hull_store *s, const char *ctr_id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s, "UPDATE storage SET incomplete = 0, owner_pid = NULL, owner_start = NULL WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  return bind_exec(s, st, "complete container storage", err);
}

/* ---- directories ---- */

/* c/<id>/{upper,work}: the upper directory's root gets the top layer's owner and mode (it
 * becomes the root directory of the container). */
static int make_dirs(hull_store *s, int ofd, const char *const *layers, size_t n, const char *ctr_id, bool read_only,
                     const hull_overlay_idmap *idmap, hull_err *err) {
  cleanup_close int cfd = openat(ofd, "c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cfd < 0)
    return hull_error_sys(err, "open %s/overlay/c", s->root);
  /* Without a complete row, whatever has this name is a leftover. */
  if (hull_rm_rf_at(cfd, ctr_id, err) < 0)
    return -1;
  if (mkdirat(cfd, ctr_id, 0700) < 0)
    return hull_error_sys(err, "mkdir %s/overlay/c/%s", s->root, ctr_id);
  if (read_only)
    return 0;
  cleanup_close int dfd = openat(cfd, ctr_id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0 || mkdirat(dfd, "upper", 0755) < 0 || mkdirat(dfd, "work", 0700) < 0)
    return hull_error_sys(err, "mkdir %s/overlay/c/%s", s->root, ctr_id);
  if (n == 0)
    return 0;
  char top[HULL_DIGEST_LEN + 16];
  snprintf(top, sizeof(top), "%s/diff", layers[0] + 7);
  struct stat st;
  if (fstatat(s->layersfd, top, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return hull_error_sys(err, "stat %s/layers/%s", s->root, top);
  /* The root of the mount is the upper directory's: in a user namespace it belongs to the
   * container's root as the host sees it. */
  uid_t uid = idmap ? idmap->root_uid : st.st_uid;
  gid_t gid = idmap ? idmap->root_gid : st.st_gid;
  cleanup_close int ufd = openat(dfd, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (ufd < 0 || fchown(ufd, uid, gid) < 0 || fchmod(ufd, st.st_mode & 07777) < 0)
    return hull_error_sys(err, "set up %s/overlay/c/%s/upper", s->root, ctr_id);
  return 0;
}

/* l/<short id> -> ../../layers/<hex>/diff; an existing name must point at the same layer.
 * Read first: after the first container of a layer the name exists, and one readlink is
 * all a mount then pays per layer. */
static int ensure_link(hull_store *s, int lfd, const char *chain_id, bool init, char short_id[SHORT_MAX],
                       hull_err *err) {
  if (!hull_digest_valid_p(chain_id))
    return hull_error(err, EINVAL, "invalid layer id \"%s\"", chain_id);
  hull_overlay_short_id(chain_id, short_id);
  /* A layer's short name never has a '-': the init layer's cannot be taken for one. */
  if (init)
    strcat(short_id, "-i");
  char target[HULL_DIGEST_LEN + 32];
  snprintf(target, sizeof(target), "../../layers/%s/%s", chain_id + 7, init ? "init" : "diff");
  for (int tries = 0;; tries++) {
    char have[sizeof(target) + 1];
    ssize_t len = readlinkat(lfd, short_id, have, sizeof(have) - 1);
    if (len >= 0) {
      have[len] = '\0';
      if (strcmp(have, target) != 0)
        return hull_error(err, EEXIST, "%s/overlay/l/%s names another layer (%s, not %s)", s->root, short_id, have,
                          target);
      return 0;
    }
    if (errno != ENOENT)
      return hull_error_sys(err, "readlink %s/overlay/l/%s", s->root, short_id);
    if (symlinkat(target, lfd, short_id) == 0)
      return 0;
    /* Made by another command meanwhile: read it once more. */
    if (errno != EEXIST || tries > 0)
      return hull_error_sys(err, "symlink %s/overlay/l/%s", s->root, short_id);
  }
}

/* An idmapped clone of the layer l/<sid> (a detached mount, fd returned): its files
 * appear owned by their ids as userns_fd maps them, and the layer itself is unchanged. */
static int idmapped_layer(hull_store *s, int lfd, const char *sid, int userns_fd, hull_err *err) {
  cleanup_close int fd = open_tree(lfd, sid, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open_tree %s/overlay/l/%s", s->root, sid);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
  if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
    return hull_error_sys(err, "idmap the layer %s/overlay/l/%s", s->root, sid);
  return take_fd(&fd);
}

/* "lowerdir=l/A:l/B,upperdir=c/ID/upper,workdir=c/ID/work,...", relative to overlay/.
 * With idmap, layer i is the idmapped mount fds[i] (the caller closes them), named by its
 * /proc/self/fd path: the mount thread shares this process's file descriptors. init: the
 * image's init layer (storage/initlayer.h) goes on top of the layers, as fds[n]. */
static char *mount_options(hull_store *s, int ofd, const char *const *layers, size_t n, const char *ctr_id,
                           bool read_only, const hull_overlay_idmap *idmap, unsigned flags, bool init, int *fds,
                           hull_err *err) {
  cleanup_close int lfd = openat(ofd, "l", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (lfd < 0) {
    hull_error_sys(err, "open %s/overlay/l", s->root);
    return NULL;
  }
  size_t cap = 80 + (n + 1) * 32 + 3 * HULL_OVERLAY_ID_MAX;
  cleanup_free char *o = malloc(cap);
  if (o == NULL) {
    hull_error(err, ENOMEM, "mount options");
    return NULL;
  }
  size_t off = (size_t)snprintf(o, cap, "lowerdir=");
  for (size_t j = 0; j <= n; j++) {
    /* The init layer first (as fds[n]), then the image's layers, top first. */
    bool is_init = j == 0;
    if (is_init && !init)
      continue;
    size_t i = is_init ? n : j - 1;
    const char *sep = off > strlen("lowerdir=") ? ":" : "";
    char sid[SHORT_MAX];
    if (ensure_link(s, lfd, is_init ? layers[0] : layers[i], is_init, sid, err) < 0)
      return NULL;
    if (idmap == NULL) {
      off += (size_t)snprintf(o + off, cap - off, "%sl/%s", sep, sid);
      continue;
    }
    fds[i] = idmapped_layer(s, lfd, sid, idmap->userns_fd, err);
    if (fds[i] < 0)
      return NULL;
    off += (size_t)snprintf(o + off, cap - off, "%s/proc/self/fd/%d", sep, fds[i]);
  }
  /* Overlay wants two lower directories when there is no upper one. */
  size_t lowers = n + (init ? 1 : 0);
  if (lowers == 0 || (read_only && lowers == 1))
    off += (size_t)snprintf(o + off, cap - off, "%sempty", lowers ? ":" : "");
  if (!read_only)
    off += (size_t)snprintf(o + off, cap - off, ",upperdir=c/%s/upper,workdir=c/%s/work", ctr_id, ctr_id);
  /* The upper directory must hold nothing but plain files, directories and whiteouts: no
   * redirects or metacopy-only files (which commit could not turn into a layer), and no
   * index tying it to these exact lower inodes. */
  off += (size_t)snprintf(o + off, cap - off, ",index=off,redirect_dir=off,metacopy=off");
  if (!read_only && (flags & HULL_OVERLAY_VOLATILE))
    off += (size_t)snprintf(o + off, cap - off, ",volatile");
  if (off > MOUNT_DATA_MAX) {
    hull_error(err, E2BIG, "container %s: %zu layers do not fit into one overlay mount", ctr_id, n);
    return NULL;
  }
  return steal_pointer(&o);
}

struct mount_job {
  int dirfd;
  const char *target, *options;
  unsigned long flags;
  int error;
};

/* The lower, upper and work paths are relative to overlay/: the mount runs in a thread of
 * its own with a private working directory (unshare(CLONE_FS)), so the caller's is never
 * changed. */
static void *mount_thread(void *arg) {
  struct mount_job *j = arg;
  if (unshare(CLONE_FS) < 0 || fchdir(j->dirfd) < 0 || mount("overlay", j->target, "overlay", j->flags, j->options) < 0)
    j->error = errno;
  return NULL;
}

static int do_mount(int ofd, const char *target, const char *options, bool read_only, hull_err *err) {
  struct mount_job j = {.dirfd = ofd, .target = target, .options = options, .flags = read_only ? MS_RDONLY : 0};
  pthread_t t;
  int r = pthread_create(&t, NULL, mount_thread, &j);
  if (r != 0)
    return hull_error(err, r, "mount overlay on %s: start a thread", target);
  pthread_join(t, NULL);
  if (j.error)
    return hull_error(err, j.error, "mount overlay on %s (%s)", target, options);
  return 0;
}

static int mount_ex(hull_store *s, int ofd, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                    bool read_only, const hull_overlay_idmap *idmap, unsigned flags, int *fds, hull_err *err);

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
}

int hull_overlay_mount(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                       bool read_only, hull_err *err) {
  return hull_overlay_mount_ex(s, layers, n, ctr_id, target, read_only, NULL, 0, err);
}

int hull_overlay_mount_ex(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                          bool read_only, const hull_overlay_idmap *idmap, unsigned flags, hull_err *err) {
  if (check_id(ctr_id, err) < 0)
    return -1;
  if (target[0] != '/')
    return hull_error(err, EINVAL, "mount container %s: target %s is not an absolute path", ctr_id, target);
  cleanup_close int ofd = open_overlay_dir(s, err);
  if (ofd < 0)
    return -1;
  cleanup_free int *fds = idmap ? malloc((n + 1) * sizeof(int)) : NULL;
  if (idmap && fds == NULL)
    return hull_error(err, ENOMEM, "mount container %s", ctr_id);
  for (size_t i = 0; fds && i <= n; i++)
    fds[i] = -1;
  int r = mount_ex(s, ofd, layers, n, ctr_id, target, read_only, idmap, flags, fds, err);
  close_all(fds, n + 1);
  return r;
}

/* The boot id of the last volatile mount of a container's storage, on c/<id>. */
#define VOLATILE_BOOT_XATTR "trusted.hull.volatile_boot"

/* A volatile mount leaves work/work/incompat/volatile behind, and overlay refuses to mount
 * that work directory again: it cannot know whether the host crashed meanwhile, which may
 * have left the upper directory inconsistent (its writes were never synced). hull can tell:
 * every volatile mount records the boot id on c/<id> first. A marker of this boot goes (a
 * restarted --rm container mounts again, its upper directory as it is); one of an earlier
 * boot, or without a record, is refused, for the container is one to remove, not to run
 * again on what a crash left. */
static int prepare_volatile(hull_store *s, int ofd, const char *ctr_id, hull_err *err) {
  char path[32 + HULL_OVERLAY_ID_MAX];
  snprintf(path, sizeof(path), "c/%s", ctr_id);
  cleanup_close int cfd = openat(ofd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cfd < 0)
    return hull_error_sys(err, "open %s/overlay/%s", s->root, path);
  const char *boot = hull_boot_id();
  cleanup_close int wfd = openat(cfd, "work/work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (wfd < 0 && errno != ENOENT)
    return hull_error_sys(err, "open %s/overlay/%s/work/work", s->root, path);
  if (wfd >= 0 && faccessat(wfd, "incompat/volatile", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
    char was[40] = "";
    ssize_t len = fgetxattr(cfd, VOLATILE_BOOT_XATTR, was, sizeof(was) - 1);
    if (boot == NULL || len != 36 || memcmp(was, boot, 36) != 0)
      return hull_error(err, EUCLEAN,
                        "container %s: its writable layer was mounted volatile before the host last booted, and a "
                        "crash may have left it inconsistent: remove the container",
                        ctr_id);
    if (hull_rm_rf_at(wfd, "incompat", err) < 0)
      return hull_error_wrap(err, "container %s storage", ctr_id);
  }
  if (boot && fsetxattr(cfd, VOLATILE_BOOT_XATTR, boot, 36, 0) < 0)
    return hull_error_sys(err, "set %s on %s/overlay/%s", VOLATILE_BOOT_XATTR, s->root, path);
  return 0;
}

/* The image's init layer, made at the first mount of one of its containers. It is only a
 * shortcut: when it cannot be made, the runtime makes the mount points in the upper
 * directory as it would without one, and the mount goes on. */
static bool use_init_layer(hull_store *s, int ofd, const char *const *layers, size_t n) {
  cleanup_close int cfd = openat(ofd, "c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  hull_err e = NULL;
  if (cfd < 0)
    hull_error_sys(&e, "open %s/overlay/c", s->root);
  else if (hull_init_layer_ensure(s, cfd, layers, n, &e) == 0)
    return true;
  hull_debug("%s (no init layer)", e->msg);
  hull_error_release(&e);
  return false;
}

static int mount_ex(hull_store *s, int ofd, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                    bool read_only, const hull_overlay_idmap *idmap, unsigned flags, int *fds, hull_err *err) {
  bool init = (flags & HULL_OVERLAY_INIT) && use_init_layer(s, ofd, layers, n);
  cleanup_free char *options = mount_options(s, ofd, layers, n, ctr_id, read_only, idmap, flags, init, fds, err);
  if (options == NULL && init && (*err)->errno_ == E2BIG) {
    /* The init layer's name did not fit any more: the runtime makes the mount points. */
    hull_error_release(err);
    close_all(fds, n + 1);
    for (size_t i = 0; fds && i <= n; i++)
      fds[i] = -1;
    options = mount_options(s, ofd, layers, n, ctr_id, read_only, idmap, flags, false, fds, err);
  }
  if (options == NULL)
    return -1;
  /* A container never runs on a layer that a power cut could take away (image/durable.h). */
  if (hull_durable_ensure(s, layers, n, err) < 0)
    return -1;
  enum record_state state;
  if (record(s, layers, n, ctr_id, read_only, &state, err) < 0)
    return -1;
  if (state == RECORD_NEW) {
    /* Should this fail, the row stays incomplete: the collector removes both. */
    if (make_dirs(s, ofd, layers, n, ctr_id, read_only, idmap, err) < 0 || mark_complete(s, ctr_id, err) < 0)
      return hull_error_wrap(err, "container %s storage", ctr_id);
  }
  if (!read_only && (flags & HULL_OVERLAY_VOLATILE) && prepare_volatile(s, ofd, ctr_id, err) < 0)
    return -1;
  if (mkdir(target, 0755) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s", target);
  if (do_mount(ofd, target, options, read_only, err) == 0)
    return 0;
  /* A kernel before 5.10 knows no "volatile" (EINVAL): then the mount syncs as any other. */
  char *v = strstr(options, ",volatile");
  if (v == NULL || (*err)->errno_ != EINVAL)
    return -1;
  *v = '\0';
  hull_error_release(err);
  return do_mount(ofd, target, options, read_only, err);
}

int hull_overlay_unmount(const char *target, hull_err *err) {
  if (umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
    return hull_error_sys(err, "unmount %s", target);
  return 0;
}

int hull_overlay_remove(hull_store *s, const char *ctr_id, hull_err *err) {
  if (check_id(ctr_id, err) < 0)
    return -1;
  /* The row goes first: a crash then leaves a directory no row names, which is garbage. */
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "DELETE FROM storage WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  if (bind_exec(s, st, "forget container storage", err) < 0)
    return -1;
  cleanup_close int cfd = openat(s->rootfd, "overlay/c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cfd < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "open %s/overlay/c", s->root);
  if (hull_rm_rf_dir_at(cfd, ctr_id, err) < 0)
    return hull_error_wrap(err, "remove the storage of container %s", ctr_id);
  return 0;
}

char *hull_overlay_upper_path(hull_store *s, const char *ctr_id, hull_err *err) {
  if (check_id(ctr_id, err) < 0)
    return NULL;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT 1 FROM storage WHERE id = ? AND incomplete = 0 AND read_only = 0", err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    hull_error(err, ENOENT, "container %s has no writable storage", ctr_id);
    return NULL;
  }
  char *p = NULL;
  if (asprintf(&p, "%s/overlay/c/%s/upper", s->root, ctr_id) < 0) {
    hull_error(err, ENOMEM, "container %s", ctr_id);
    return NULL;
  }
  return p;
}

/* ---- the collector ---- */

static int collect_dirs(hull_store *s, int cfd, unsigned *removed, hull_err *err) {
  int dup_fd = dup(cfd);
  if (dup_fd < 0)
    return hull_error_sys(err, "collect %s/overlay/c", s->root);
  cleanup_dir DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return hull_error_sys(err, "collect %s/overlay/c", s->root);
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT 1 FROM storage WHERE id = ?", err);
  if (st == NULL)
    return -1;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_TRANSIENT);
    if (valid_id(de->d_name) && sqlite3_step(st) == SQLITE_ROW)
      continue;
    if (hull_rm_rf_at(cfd, de->d_name, err) < 0)
      return hull_error_wrap(err, "collect %s/overlay/c", s->root);
    (*removed)++;
  }
  return 0;
}

/* Short names whose layer is gone (removed by rmi or the collector). */
static int collect_links(hull_store *s, int lfd, unsigned *removed, hull_err *err) {
  int dup_fd = dup(lfd);
  if (dup_fd < 0)
    return hull_error_sys(err, "collect %s/overlay/l", s->root);
  cleanup_dir DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return hull_error_sys(err, "collect %s/overlay/l", s->root);
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    struct stat st;
    if (de->d_name[0] == '.' || fstatat(lfd, de->d_name, &st, 0) == 0 || errno != ENOENT)
      continue;
    if (unlinkat(lfd, de->d_name, 0) < 0 && errno != ENOENT)
      return hull_error_sys(err, "collect %s/overlay/l/%s", s->root, de->d_name);
    (*removed)++;
  }
  return 0;
}

int hull_overlay_collect(hull_store *s, unsigned *removed, hull_err *err) {
  if (hull_store_exec(s, "DELETE FROM storage WHERE incomplete = 1", "collect incomplete container storage", err) < 0)
    return -1;
  *removed += (unsigned)sqlite3_changes(s->db);
  cleanup_close int ofd = openat(s->rootfd, "overlay", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (ofd < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "open %s/overlay", s->root);
  /* Either may be missing (made on first use). */
  cleanup_close int cfd = openat(ofd, "c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (cfd < 0 && errno != ENOENT)
    return hull_error_sys(err, "open %s/overlay/c", s->root);
  cleanup_close int lfd = openat(ofd, "l", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (lfd < 0 && errno != ENOENT)
    return hull_error_sys(err, "open %s/overlay/l", s->root);
  if ((cfd >= 0 && collect_dirs(s, cfd, removed, err) < 0) || (lfd >= 0 && collect_links(s, lfd, removed, err) < 0))
    return -1;
  return 0;
}
