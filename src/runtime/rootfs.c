#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/inroot.h"
#include "../common/util.h"
#include "procfs.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
/* fchmodat2 (Linux 6.6): 452 where syscall numbers have no offset (not alpha, mips). */
#if defined(SYS_fchmodat2)
#define HULL_SYS_fchmodat2 SYS_fchmodat2
#elif defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || defined(__riscv) ||                          \
    defined(__powerpc64__) || defined(__s390x__)
#define HULL_SYS_fchmodat2 452
#endif

static void fd_path(char *buf, size_t len, int fd) { snprintf(buf, len, "/proc/self/fd/%d", fd); }

/* Makes name in the directory parent: a directory, or an empty file (O_EXCL | O_NOFOLLOW:
 * never through a symlink). What exists already, a symlink too, is left as it is: the
 * caller resolves the path in the root afterwards. */
static int make_at(int parent, const char *name, bool file, const char *path, hull_err *err) {
  int r;
  if (file) {
    r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (r >= 0)
      close(r);
  } else {
    r = mkdirat(parent, name, 0755);
  }
  if (r < 0 && errno != EEXIST)
    return hull_error_sys(err, "create %s in the container's root", path);
  return 0;
}

/* Creates the missing components of path (directories, and the last one as a file when
 * create_file), each in its parent resolved inside the root, so that a symlink planted in
 * the rootfs can never lead outside it. Usually only the last component is missing: it is
 * made in its parent, opened once. Only when the parent is missing too are the components
 * created one at a time from the root. */
static int create_in_root(int rootfd, const char *path, bool create_file, hull_err *err) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
    return hull_error(err, ENAMETOOLONG, "path %s", path);
  size_t n = strlen(dir);
  while (n > 0 && dir[n - 1] == '/')
    dir[--n] = '\0';
  char *slash = strrchr(dir, '/');
  if (n == 0)
    return 0; /* the root itself */
  char name[NAME_MAX + 1];
  if (snprintf(name, sizeof(name), "%s", slash ? slash + 1 : dir) >= (int)sizeof(name))
    return hull_error(err, ENAMETOOLONG, "path %s", path);
  if (slash)
    slash[slash == dir ? 1 : 0] = '\0';
  else
    snprintf(dir, sizeof(dir), "/");
  {
    cleanup_close int parent = hull_openat_in_root(rootfd, dir, O_PATH | O_DIRECTORY);
    if (parent >= 0)
      return make_at(parent, name, create_file, path, err);
    if (errno != ENOENT)
      return hull_error_sys(err, "open %s in the container's root", dir);
  }
  char prefix[PATH_MAX] = "";
  const char *p = path;
  while (*p) {
    while (*p == '/')
      p++;
    size_t len = strcspn(p, "/");
    if (len == 0)
      break;
    bool last = p[len] == '\0' || p[len + strspn(p + len, "/")] == '\0';
    size_t pl = strlen(prefix);
    if (pl + len + 2 >= sizeof(prefix) || len > NAME_MAX)
      return hull_error(err, ENAMETOOLONG, "path %s", path);
    cleanup_close int parent = hull_openat_in_root(rootfd, pl ? prefix : "/", O_PATH | O_DIRECTORY);
    if (parent < 0)
      return hull_error_sys(err, "open %s in the container's root", pl ? prefix : "/");
    snprintf(prefix + pl, sizeof(prefix) - pl, "/%.*s", (int)len, p);
    snprintf(name, sizeof(name), "%.*s", (int)len, p);
    p += len;
    if (make_at(parent, name, last && create_file, prefix, err) < 0)
      return -1;
  }
  return 0;
}

static int open_in_root(int rootfd, const char *path, int flags, bool create, bool create_file, hull_err *err) {
  int fd = hull_openat_in_root(rootfd, path, flags);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT || !create)
    return hull_error_sys(err, "open %s in the container's root", path);
  if (create_in_root(rootfd, path, create_file, err) < 0)
    return -1;
  fd = hull_openat_in_root(rootfd, path, flags);
  if (fd < 0)
    return hull_error_sys(err, "open %s in the container's root", path);
  return fd;
}

int hull_open_in_root(int rootfd, const char *path, bool create, bool create_file, hull_err *err) {
  return open_in_root(rootfd, path, O_PATH, create, create_file, err);
}

/* A mount destination: first resolved without following any symlink, the common case,
 * where the path as written is where the destination is (*plain); else following symlinks
 * inside the root. Creates what is missing when create. */
static int open_dest(int rootfd, const char *path, bool create, bool create_file, bool *plain, hull_err *err) {
  for (int round = 0;; round++) {
    int fd = hull_openat_in_root_nosymlinks(rootfd, path, O_PATH);
    *plain = fd >= 0;
    if (fd < 0 && errno == ELOOP)
      fd = hull_openat_in_root(rootfd, path, O_PATH);
    if (fd >= 0)
      return fd;
    if (errno != ENOENT || !create || round > 0)
      return hull_error_sys(err, "open %s in the container's root", path);
    if (create_in_root(rootfd, path, create_file, err) < 0)
      return -1;
  }
}

/* Remounts with flags, keeping the flags the kernel locks in a user namespace. */
static int remount_flags(const char *target, unsigned long flags, const char *what, hull_err *err) {
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
    return 0;
  if (errno == EPERM) {
    struct statvfs sv;
    if (statvfs(target, &sv) == 0) {
      unsigned long locked = 0;
      if (sv.f_flag & ST_NOSUID)
        locked |= MS_NOSUID;
      if (sv.f_flag & ST_NODEV)
        locked |= MS_NODEV;
      if (sv.f_flag & ST_NOEXEC)
        locked |= MS_NOEXEC;
      if (sv.f_flag & ST_RDONLY)
        locked |= MS_RDONLY;
      if (sv.f_flag & ST_NOATIME)
        locked |= MS_NOATIME;
      if (sv.f_flag & ST_RELATIME)
        locked |= MS_RELATIME;
      if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags | locked, NULL) == 0)
        return 0;
    }
  }
  return hull_error_sys(err, "remount %s", what);
}

#define MOUNT_FLAG_MASK (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_DIRSYNC | MS_NOATIME | \
                         MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_MANDLOCK | 256 /* MS_NOSYMFOLLOW */)

/* Where fd is, as the kernel resolved it, relative to the root ("/proc", "/"). */
static int path_in_root(int rootfd, int fd, const char *what, const char *dest, char *out, size_t len, hull_err *err) {
  char rp[PATH_MAX], fp[PATH_MAX], link[64];
  fd_path(link, sizeof(link), rootfd);
  ssize_t rn = readlink(link, rp, sizeof(rp) - 1);
  fd_path(link, sizeof(link), fd);
  ssize_t fn = readlink(link, fp, sizeof(fp) - 1);
  if (rn < 0 || fn < 0)
    return hull_error_sys(err, "%s %s: resolve the destination", what, dest);
  rp[rn] = '\0';
  fp[fn] = '\0';
  size_t rl = strcmp(rp, "/") == 0 ? 0 : (size_t)rn;
  if (strncmp(fp, rp, rl) != 0 || (fp[rl] != '/' && fp[rl] != '\0'))
    return hull_error(err, EXDEV, "%s %s: the destination resolves outside the container's root (%s)", what, dest,
                      fp);
  snprintf(out, len, "%s", fp[rl] ? fp + rl : "/");
  return 0;
}

/* Where a path resolved without any symlink is, relative to the root: the path as
 * written with "." and ".." applied, ".." stopping at the root as RESOLVE_IN_ROOT does
 * (the kernel's own path of the fd, which path_in_root reads, is the same string). */
static int plain_path_in_root(const char *dest, char *out, size_t len, hull_err *err) {
  size_t o = 0;
  out[0] = '\0';
  for (const char *p = dest; *p;) {
    while (*p == '/')
      p++;
    size_t n = strcspn(p, "/");
    if (n == 1 && p[0] == '.') {
      /* nothing */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (o > 0 && out[o - 1] != '/')
        o--;
      if (o > 0)
        o--;
      out[o] = '\0';
    } else if (n > 0) {
      if (o + 1 + n >= len)
        return hull_error(err, ENAMETOOLONG, "mount %s", dest);
      out[o++] = '/';
      memcpy(out + o, p, n);
      o += n;
      out[o] = '\0';
    }
    p += n;
  }
  if (o == 0)
    snprintf(out, len, "/");
  return 0;
}

static bool has_dotdot(const char *path) {
  for (const char *p = path; *p;) {
    while (*p == '/')
      p++;
    size_t n = strcspn(p, "/");
    if (n == 2 && p[0] == '.' && p[1] == '.')
      return true;
    p += n;
  }
  return false;
}

/* Single /proc files that lxcfs and similar tools bind over, as runc allows. */
static const char *const proc_files_allowed[] = {
    "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",    "/proc/swaps",
    "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
};

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

/* A mount target, opened in the root by open_dest, and where it is. */
struct target {
  int fd;             /* O_PATH, borrowed */
  bool plain;         /* reached without any symlink */
  struct statx st;    /* its type, mount id and mount-root attribute, before the mount */
  char rel[PATH_MAX]; /* where it is, relative to the root ("/vol/dir") */
};

static bool is_mount_root(const struct statx *st) {
  return (st->stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (st->stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Where t->fd (opened from path; what names the config field in errors) is, and
 * whether anything may be mounted there. Refused:
 * - the container's root itself: a destination that is, or was swapped with, a symlink
 *   to "/" (CVE-2021-30465) would cover the whole rootfs;
 * - reached through a symlink, the root of another mount: a process sharing a volume
 *   with the container that swaps the destination with a symlink to another mount
 *   ("/vol/dir" -> "/probe") would put the mount, mask or read-only bind on that mount
 *   instead (issue 17). A symlink in the rootfs onto the root of a mount is no layout
 *   an image needs.
 * Where it is comes from the path as written when it was reached without any symlink
 * or "..", else from the kernel (readlink of /proc/self/fd/N): a directory moved while
 * ".." was resolved is not where the string says. */
static int locate(int rootfd, const char *what, const char *path, bool need_stat, struct target *t, hull_err *err) {
  /* Reached without a symlink, a read-only path needs no stat: nothing below asks. */
  t->st.stx_mask = 0;
  if ((need_stat || !t->plain) && statx(t->fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &t->st) < 0)
    return hull_error_sys(err, "%s %s: stat the destination", what, path);
  if ((t->plain && !has_dotdot(path) ? plain_path_in_root(path, t->rel, sizeof(t->rel), err)
                                     : path_in_root(rootfd, t->fd, what, path, t->rel, sizeof(t->rel), err)) < 0)
    return -1;
  if (strcmp(t->rel, "/") == 0 && path[strspn(path, "/")] != '\0')
    return hull_error(err, ELOOP, "%s %s: the destination resolves to the container's root (a symlink to /?)", what,
                      path);
  if (!t->plain && strcmp(t->rel, "/") != 0 && is_mount_root(&t->st))
    return hull_error(err, ELOOP,
                      "%s %s: the destination is reached through a symlink and is the root of another mount (%s)",
                      what, path, t->rel);
  return 0;
}

/* Checks where a mount is about to land (t, see locate):
 * - procfs and sysfs only on a plain directory reached without any symlink or "..": a
 *   rootfs whose /proc is a symlink (to "..", to "/", to a host-looking path) is refused
 *   (CVE-2019-19921, CVE-2023-27561);
 * - nothing but procfs on /proc, and under /proc only binds of the files lxcfs
 *   provides: anything else would stand where the runtime writes oom_score_adj,
 *   sysctls or LSM labels (CVE-2019-16884, CVE-2025-52881). */
static int check_destination(int rootfd, struct target *t, const struct hull_mount *m, const char *type,
                             hull_err *err) {
  if (locate(rootfd, "mount", m->destination, true, t, err) < 0)
    return -1;
  const char *rel = t->rel;
  bool kernfs = !m->bind && (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0);
  if (kernfs && (!t->plain || has_dotdot(m->destination)))
    return hull_error(err, ELOOP,
                      "mount %s on %s: %s is a symlink in the container's rootfs; it must be a plain directory", type,
                      m->destination, m->destination);
  if (kernfs && !S_ISDIR(t->st.stx_mode))
    return hull_error(err, ENOTDIR, "mount %s on %s: the target must be a plain directory", type, m->destination);
  if (strcmp(rel, "/proc") != 0 && strncmp(rel, "/proc/", 6) != 0)
    return 0;
  if (strcmp(type, "proc") == 0 && strcmp(rel, "/proc") == 0)
    return 0;
  for (size_t i = 0; m->bind && i < sizeof(proc_files_allowed) / sizeof(proc_files_allowed[0]); i++)
    if (strcmp(rel, proc_files_allowed[i]) == 0)
      return 0;
  return hull_error(err, EPERM,
                    "mount %s: %s is inside /proc, where only procfs may be mounted (and single files such as "
                    "/proc/meminfo bound over)",
                    m->destination, rel);
}

/* After mounting on t: the path, resolved again, must be the root of a mount other than
 * the one t was on, standing where t was, and exactly the new mount when its id is
 * known (new_id, from the mount API). A target reached without any symlink or ".." is
 * resolved again the same way (a symlink swapped in meanwhile fails it); else where it
 * leads is read back and compared with t->rel. If the path was swapped with a symlink
 * while we mounted (CVE-2021-30465, issue 17), it resolves elsewhere and we refuse.
 * Returns an O_PATH fd of the new mount, for remounting, propagation, what goes inside
 * it and the checks of masked paths, without another lookup. */
static int reopen_mounted(int rootfd, const struct target *t, uint64_t new_id, const char *what, const char *dest,
                          hull_err *err) {
  bool plain = t->plain && !has_dotdot(dest);
  cleanup_close int nfd =
      plain ? hull_openat_in_root_nosymlinks(rootfd, dest, O_PATH) : hull_openat_in_root(rootfd, dest, O_PATH);
  if (nfd < 0 && errno != ELOOP)
    return hull_error_sys(err, "%s %s: verify", what, dest);
  struct statx after;
  if (nfd >= 0 && statx(nfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &after) < 0)
    return hull_error_sys(err, "%s %s: verify", what, dest);
  bool moved = nfd < 0;
  if (!moved) {
    bool root_known = (after.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0;
    bool ids_known = (t->st.stx_mask & after.stx_mask & STATX_MNT_ID) != 0;
    moved = (root_known && !(after.stx_attributes & STATX_ATTR_MOUNT_ROOT)) ||
            (ids_known && t->st.stx_mnt_id == after.stx_mnt_id);
  }
  if (!moved && new_id != 0 && (after.stx_mask & STATX_MNT_ID)) {
    moved = after.stx_mnt_id != new_id;
  } else if (!moved && !plain) {
    char rel[PATH_MAX];
    if (path_in_root(rootfd, nfd, what, dest, rel, sizeof(rel), err) < 0)
      return -1;
    moved = strcmp(rel, t->rel) != 0;
  }
  if (moved)
    return hull_error(err, EXDEV, "%s %s: the destination changed while it was being mounted (swapped with a symlink?)",
                      what, dest);
  return take_fd(&nfd);
}

/* What hull_rootfs_prepare holds for every mount. */
struct prep {
  int rootfd;
  char *mountinfo; /* the host mount table (hull_cgroup_mountinfo), for the cgroup hierarchies */
};

static int mount_cgroup(const struct prep *c, const struct hull_mount *m, const struct hull_rootfs_opts *o,
                        const char *target, const struct target *dt, int *mfd, hull_err *err);

/* A bind source opened on the host side (tree >= 0, hull_rootfs_open_host_side) is moved
 * onto the destination's fd (a /proc/self/fd path fails with EINVAL there); otherwise the
 * source path is bound. */
static int bind_source(const struct hull_mount *m, int tree, int fd, const char *target) {
#if defined(SYS_move_mount) && defined(MOVE_MOUNT_F_EMPTY_PATH)
  if (tree >= 0)
    return (int)syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
#endif
  return mount(m->source, target, NULL, MS_BIND | (m->rbind ? MS_REC : 0), NULL);
}

static int do_mount(const struct prep *c, const struct hull_mount *m, int tree, const struct hull_rootfs_opts *o,
                    hull_err *err) {
  bool is_file = false;
  if (m->bind) {
    struct stat st;
    if (tree >= 0 ? fstat(tree, &st) < 0 : (m->source == NULL || stat(m->source, &st) < 0))
      return hull_error_sys(err, "mount %s: bind source %s", m->destination, m->source ? m->source : "(none)");
    is_file = !S_ISDIR(st.st_mode);
  }
  const char *type = m->type ? m->type : "bind";
  struct target t;
  cleanup_close int fd = open_dest(c->rootfd, m->destination, true, is_file, &t.plain, err);
  if (fd < 0)
    return hull_error_wrap(err, "mount %s", m->destination);
  t.fd = fd;
  if (check_destination(c->rootfd, &t, m, type, err) < 0)
    return -1;
  char target[64];
  fd_path(target, sizeof(target), fd);
  unsigned long flags = m->flags & MOUNT_FLAG_MASK;
  cleanup_close int mfd = -1;
  if (m->bind) {
    if (bind_source(m, tree, fd, target) < 0)
      return hull_error_sys(err, "bind mount %s on %s", m->source, m->destination);
    if ((mfd = reopen_mounted(c->rootfd, &t, 0, "mount", m->destination, err)) < 0)
      return -1;
    fd_path(target, sizeof(target), mfd);
    if (flags && remount_flags(target, flags, m->destination, err) < 0)
      return -1;
  } else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
    if (o->before_cgroup_mount && o->before_cgroup_mount(o->arg, err) < 0)
      return -1;
    if (mount_cgroup(c, m, o, target, &t, &mfd, err) < 0)
      return -1;
  } else if (o->proc_pidns != NULL && strcmp(type, "proc") == 0) {
    cleanup_close int pfd = hull_procfs_mount_of(*o->proc_pidns, 0, flags, m->data, err);
    if (pfd < 0)
      return -1;
    /* The detached mount's id: afterwards exactly that mount must stand on the path. */
    struct statx pst;
    uint64_t pid_mnt = statx(pfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &pst) == 0 && (pst.stx_mask & STATX_MNT_ID)
                           ? pst.stx_mnt_id
                           : 0;
    if (syscall(SYS_move_mount, pfd, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return hull_error_sys(err, "mount proc on %s", m->destination);
    if ((mfd = reopen_mounted(c->rootfd, &t, pid_mnt, "mount", m->destination, err)) < 0)
      return -1;
  } else {
    const char *data = m->data && *m->data ? m->data : NULL;
    if (mount(m->source ? m->source : type, target, type, flags, data) < 0) {
      int e = errno;
      /* Without an own network or ipc namespace the kernel refuses a fresh sysfs or
       * mqueue to a user namespace: fall back to a bind of the host's, as runc does. */
      const char *host = strcmp(type, "sysfs") == 0 ? "/sys" : strcmp(type, "mqueue") == 0 ? "/dev/mqueue" : NULL;
      if (e == EPERM && host != NULL && mount(host, target, NULL, MS_BIND | MS_REC, NULL) == 0) {
        if ((mfd = reopen_mounted(c->rootfd, &t, 0, "mount", m->destination, err)) < 0)
          return -1;
        fd_path(target, sizeof(target), mfd);
        return remount_flags(target, flags, m->destination, err);
      }
      errno = e;
      return hull_error_sys(err, "mount %s on %s", type, m->destination);
    }
    if ((mfd = reopen_mounted(c->rootfd, &t, 0, "mount", m->destination, err)) < 0)
      return -1;
  }
  if (m->propagation) {
    fd_path(target, sizeof(target), mfd);
    if (mount(NULL, target, NULL, m->propagation, NULL) < 0)
      return hull_error_sys(err, "set propagation of %s", m->destination);
  }
  return 0;
}

/* The cgroup hierarchies mounted under /sys/fs/cgroup on the host. Small on purpose: the
 * array of them is on the init's stack, whose every new page is a page fault (a few
 * microseconds each on a VM). */
struct hierarchy {
  char mp[256]; /* under /sys/fs/cgroup: "/sys/fs/cgroup/cpu,cpuacct" and the like */
  char opts[256]; /* the controller names of the super options */
  bool v2;
};

/* One line of mountinfo: a cgroup or cgroup2 mount under /sys/fs/cgroup into *h. */
static bool parse_cgroup_line(const char *line, struct hierarchy *h) {
  /* Most lines are other filesystems: skip them without scanning their fields. */
  const char *sep = strstr(line, " - cgroup");
  if (sep == NULL)
    return false;
  char fstype[32], src[256], super[512];
  if (sscanf(sep + 3, "%31s %255s %511s", fstype, src, super) != 3)
    return false;
  bool is1 = strcmp(fstype, "cgroup") == 0, is2 = strcmp(fstype, "cgroup2") == 0;
  if (!is1 && !is2)
    return false;
  /* A mount point that does not fit is no hierarchy of the host's cgroup layout. */
  if (sscanf(line, "%*s %*s %*s %*s %255s", h->mp) != 1 || strlen(h->mp) >= sizeof(h->mp) - 1 ||
      !hull_str_has_prefix(h->mp, "/sys/fs/cgroup"))
    return false;
  h->opts[0] = '\0';
  char *save = NULL;
  for (char *t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "rw") == 0 || strcmp(t, "ro") == 0 || strncmp(t, "release_agent", 13) == 0 ||
        strcmp(t, "nsdelegate") == 0 || strcmp(t, "memory_recursiveprot") == 0 || strcmp(t, "clone_children") == 0)
      continue;
    size_t l = strlen(h->opts);
    snprintf(h->opts + l, sizeof(h->opts) - l, "%s%s", l ? "," : "", t);
  }
  h->v2 = is2;
  return true;
}

/* Makes the mount at fd and every mount below it read-only, nosuid, nodev and noexec, with
 * atime relatime when flags name it (else atime is left as it is, as a bind remount
 * without atime flags leaves it): for the flags mount_cgroup passes here, what a bind
 * remount with flags gives each of them, in one mount_setattr instead of a remount per
 * mount. */
static int setattr_tree(int fd, unsigned long flags) {
#if defined(SYS_mount_setattr) && defined(MOUNT_ATTR_RDONLY)
  struct mount_attr attr = {
      .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
  };
  if (flags & MS_RELATIME) {
    attr.attr_set |= MOUNT_ATTR_RELATIME;
    attr.attr_clr |= MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME;
  }
  return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr));
#else
  (void)fd;
  (void)flags;
  errno = ENOSYS;
  return -1;
#endif
}

/* The host directory of our cgroup in the hierarchy mounted at mp: from the
 * container's cgroup when it is known (the init may not be in it yet), else from
 * /proc/self/cgroup (read once into *cgself). */
static int own_cgroup_dir(const hull_cgroup *cg, const char *mp, const char *opts, bool v2, char **cgself, char *out,
                          size_t len, hull_err *err) {
  const struct hull_cgroup_hier *ch;
  for (size_t k = 0; cg && (ch = hull_cgroup_hierarchy(cg, k)) != NULL; k++)
    if (strcmp(ch->mount, mp) == 0) {
      snprintf(out, len, "%s", ch->dir);
      return 0;
    }
  if (*cgself == NULL && (*cgself = hull_procfs_read("self/cgroup", NULL, err)) == NULL)
    return -1;
  char own[PATH_MAX] = "/";
  for (char *l = *cgself; l && *l;) {
    char *nl = strchr(l, '\n');
    if (nl)
      *nl = '\0';
    char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c1 && c2) {
      *c2 = '\0';
      bool match = (v2 && c1[1] == '\0') || (!v2 && strcmp(c1 + 1, opts) == 0);
      if (match)
        snprintf(own, sizeof(own), "%s", c2 + 1);
      *c2 = ':';
    }
    if (nl)
      *nl = '\n';
    l = nl ? nl + 1 : NULL;
  }
  if (snprintf(out, len, "%s%s", mp, own) >= (int)len)
    return hull_error(err, ENAMETOOLONG, "cgroup path %s", own);
  return 0;
}

/* cgroup mounts: on cgroup v2 one cgroup2 filesystem; on v1/hybrid a tmpfs with one
 * directory per hierarchy, each a fresh cgroup mount inside a cgroup namespace or a
 * bind of the container's own cgroup otherwise (as runc does). The top mount is verified
 * like any other (reopen_mounted; *mfd is its fd); the hierarchies are made inside the
 * new tmpfs through that fd, where nothing but this process can reach. */
static int mount_cgroup(const struct prep *c, const struct hull_mount *m, const struct hull_rootfs_opts *o,
                        const char *target, const struct target *dt, int *mfd, hull_err *err) {
  unsigned long flags = (m->flags & MOUNT_FLAG_MASK) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  cleanup_free char *cgself = NULL; /* read only if the cgroup is not known */
  bool v1 = false, pure_v2 = false;
  struct hierarchy h[32];
  size_t nh = 0;
  for (char *l = c->mountinfo; l && *l && nh < 32;) {
    char *nl = strchr(l, '\n');
    if (nl)
      *nl = '\0';
    if (parse_cgroup_line(l, &h[nh])) {
      if (h[nh].v2 && strcmp(h[nh].mp, "/sys/fs/cgroup") == 0)
        pure_v2 = true;
      v1 |= !h[nh].v2;
      nh++;
    }
    if (nl)
      *nl = '\n';
    l = nl ? nl + 1 : NULL;
  }
  char t[64];
  if (pure_v2 && !v1) {
    if (o->new_cgroupns) {
      if (mount("cgroup2", target, "cgroup2", flags, NULL) < 0)
        return hull_error_sys(err, "mount cgroup2 on %s", m->destination);
      return (*mfd = reopen_mounted(c->rootfd, dt, 0, "mount", m->destination, err)) < 0 ? -1 : 0;
    }
    /* Without a cgroup namespace: the container's own cgroup, not the host's tree. */
    const char *src = o->cg && hull_cgroup_dir(o->cg, "") ? hull_cgroup_dir(o->cg, "") : "/sys/fs/cgroup";
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
      return hull_error_sys(err, "bind cgroup2 %s on %s", src, m->destination);
    if ((*mfd = reopen_mounted(c->rootfd, dt, 0, "mount", m->destination, err)) < 0)
      return -1;
    fd_path(t, sizeof(t), *mfd);
    return remount_flags(t, flags, m->destination, err);
  }
  if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
    return hull_error_sys(err, "mount tmpfs for cgroups on %s", m->destination);
  if ((*mfd = reopen_mounted(c->rootfd, dt, 0, "mount", m->destination, err)) < 0)
    return -1;
  fd_path(t, sizeof(t), *mfd);
  /* Without a cgroup namespace each bind gets flags by a remount, and the tmpfs becomes
   * read-only at the end. When flags are read-only and name no atime mode but relatime,
   * one mount_setattr over the tmpfs does all of it with the same result for the tmpfs
   * (nosuid,nodev,noexec,relatime already) and every bind; mounts a host cgroup directory
   * had below it (MS_REC) only become more restricted. */
  bool one_setattr = !o->new_cgroupns && (flags & MS_RDONLY) &&
                     !(flags & (MS_NOATIME | MS_NODIRATIME | MS_STRICTATIME | 256 /* MS_NOSYMFOLLOW */));
  for (int pass = 0; pass < 2; pass++) {
    for (size_t i = 0; i < nh; i++) {
      const char *name = strrchr(h[i].mp, '/') + 1;
      if (strcmp(h[i].mp, "/sys/fs/cgroup") == 0)
        continue;
      char sub[PATH_MAX], st[PATH_MAX];
      snprintf(sub, sizeof(sub), "%s/%s", m->destination, name);
      /* The directory in the new tmpfs; the path through our fd reaches what is mounted
       * on it afterwards. */
      snprintf(st, sizeof(st), "%s/%s", t, name);
      if (pass == 1) { /* the single mount_setattr failed: remount each bind */
        if (remount_flags(st, flags, sub, err) < 0)
          return -1;
        continue;
      }
      if (mkdirat(*mfd, name, 0755) < 0 && errno != EEXIST)
        return hull_error_sys(err, "create %s in the container's root", sub);
      int r;
      if (o->new_cgroupns) {
        r = mount("cgroup", st, h[i].v2 ? "cgroup2" : "cgroup", flags, h[i].v2 ? NULL : h[i].opts);
      } else {
        /* Bind the container's own cgroup of this hierarchy. */
        char src[PATH_MAX];
        if (own_cgroup_dir(o->cg, h[i].mp, h[i].opts, h[i].v2, &cgself, src, sizeof(src), err) < 0)
          return -1;
        r = mount(src, st, NULL, MS_BIND | MS_REC, NULL);
        if (r == 0 && !one_setattr && remount_flags(st, flags, sub, err) < 0)
          return -1;
      }
      if (r < 0)
        return hull_error_sys(err, "mount cgroup hierarchy %s on %s", h[i].opts, sub);
    }
    if (!one_setattr)
      break;
    if (setattr_tree(*mfd, flags) == 0)
      return 0;
  }
  if (flags & MS_RDONLY)
    return remount_flags(t, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, m->destination, err);
  return 0;
}

static const struct {
  const char *path;
  unsigned maj, min;
} default_devices[] = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5}, {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* The directory devices are made in, resolved in the root once for all the devices in
 * it (an O_PATH directory fd serves every *at call). */
struct devdir {
  char path[PATH_MAX];
  int fd;
};

static int open_devdir(int rootfd, struct devdir *d, const char *path, hull_err *err) {
  if (d->fd >= 0 && strcmp(d->path, path) == 0)
    return d->fd;
  if (d->fd >= 0)
    close(d->fd);
  snprintf(d->path, sizeof(d->path), "%s", path);
  /* Checked as a mount target is (locate): a directory of a /dev that a volume shares
   * with another container, swapped with a symlink to "/" or to another mount (a host
   * volume), would get the device nodes. */
  struct target t;
  d->fd = t.fd = open_dest(rootfd, path, true, false, &t.plain, err);
  if (d->fd >= 0 && locate(rootfd, "linux.devices", path, true, &t, err) < 0) {
    close(d->fd);
    d->fd = -1;
  }
  if (d->fd >= 0 && !S_ISDIR(t.st.stx_mode)) {
    close(d->fd);
    d->fd = -1;
    return hull_error(err, ENOTDIR, "linux.devices: %s is not a directory", path);
  }
  return d->fd;
}

/* The exact mode of the node name in dfd, never through a symlink: mknod honours the
 * umask (and a default ACL of the directory) and chown clears the set-id bits. */
static int chmod_nofollow(int dfd, const char *name, mode_t mode) {
#ifdef HULL_SYS_fchmodat2
  if (syscall(HULL_SYS_fchmodat2, dfd, name, mode, AT_SYMLINK_NOFOLLOW) == 0)
    return 0;
  if (errno != ENOSYS && errno != EPERM) /* EPERM: an outer seccomp filter that does not know it */
    return -1;
#endif
  cleanup_close int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return -1;
  char p[64];
  fd_path(p, sizeof(p), fd);
  return chmod(p, mode);
}

static int create_device(int rootfd, struct devdir *dir, const char *path, char type, unsigned maj, unsigned min,
                         mode_t mode, uid_t uid, gid_t gid, bool bind_from_host, hull_err *err) {
  char parent[PATH_MAX];
  snprintf(parent, sizeof(parent), "%s", path);
  char *slash = strrchr(parent, '/');
  const char *name = path + (slash - parent) + 1;
  *slash = '\0';
  int dfd = open_devdir(rootfd, dir, parent[0] ? parent : "/", err);
  if (dfd < 0)
    return hull_error_wrap(err, "device %s", path);
  if (bind_from_host) {
    /* The bind target is made new, or what is there already is taken only if it is a
     * file or a device; it is never opened for writing (a FIFO planted in a /dev that a
     * volume shares with another container would block the open forever) nor followed.
     * Anything else but a directory is replaced, once, as the mknod below does. */
    struct stat st, host;
    cleanup_close int tfd = -1;
    for (int round = 0; round < 2; round++) {
      int f = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0000);
      if (f >= 0)
        close(f);
      else if (errno != EEXIST)
        return hull_error_sys(err, "device %s: create bind target", path);
      tfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (tfd < 0 || fstat(tfd, &st) < 0)
        return hull_error_sys(err, "device %s: open bind target", path);
      if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISDIR(st.st_mode) || round > 0 ||
          unlinkat(dfd, name, 0) < 0)
        break;
      close(take_fd(&tfd));
    }
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return hull_error(err, EPERM, "device %s: the bind target is neither a file nor a device (a %s)", path,
                        S_ISLNK(st.st_mode) ? "symlink" : S_ISFIFO(st.st_mode) ? "FIFO" : "directory or socket");
    char t[64];
    fd_path(t, sizeof(t), tfd);
    if (mount(path, t, NULL, MS_BIND, NULL) < 0)
      return hull_error_sys(err, "bind device %s from the host", path);
    /* The name must now be the host's device: else it was replaced while we bound. */
    cleanup_close int cfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (stat(path, &host) < 0 || cfd < 0 || fstat(cfd, &st) < 0 ||
        (st.st_mode & S_IFMT) != (host.st_mode & S_IFMT) || st.st_rdev != host.st_rdev)
      return hull_error(err, EXDEV, "device %s: not the host's device after binding it (replaced meanwhile?)", path);
    return 0;
  }
  /* Whatever the rootfs has there (a symlink to a host file, CVE-2026-41579) is replaced
   * by the node; usually there is nothing yet. */
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
  int r = mknodat(dfd, name, kind | (mode & 07777), makedev(maj, min));
  if (r < 0 && errno == EEXIST) {
    unlinkat(dfd, name, 0);
    r = mknodat(dfd, name, kind | (mode & 07777), makedev(maj, min));
  }
  if (r < 0)
    return hull_error_sys(err, "mknod %s", path);
  if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return hull_error_sys(err, "chown %s", path);
  if (chmod_nofollow(dfd, name, mode & 07777) < 0)
    return hull_error_sys(err, "chmod %s", path);
  return 0;
}

static bool has_mount_at(const struct hull_spec *s, const char *dest) {
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp(s->mounts[i].destination, dest) == 0)
      return true;
  return false;
}

static int setup_dev(int rootfd, const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) {
  mode_t old = umask(0);
  int r = 0;
  bool dev_bound = false;
  struct devdir dir = {.fd = -1};
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp(s->mounts[i].destination, "/dev") == 0 && s->mounts[i].bind)
      dev_bound = true;
  if (!dev_bound) {
    for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]) && r == 0; i++) {
      bool overridden = false;
      for (size_t k = 0; k < s->n_devices; k++)
        overridden |= strcmp(s->devices[k].path, default_devices[i].path) == 0;
      if (!overridden)
        r = create_device(rootfd, &dir, default_devices[i].path, 'c', default_devices[i].maj, default_devices[i].min,
                          0666, 0, 0, o->in_userns, err);
    }
  }
  for (size_t k = 0; k < s->n_devices && r == 0; k++) {
    const struct hull_device *d = &s->devices[k];
    r = create_device(rootfd, &dir, d->path, d->type == 'u' ? 'c' : d->type, (unsigned)d->major, (unsigned)d->minor,
                      d->has_mode ? d->file_mode : 0666, d->uid, d->gid, o->in_userns, err);
  }
  umask(old);
  if (r < 0 || dev_bound) {
    if (dir.fd >= 0)
      close(dir.fd);
    return r;
  }
  static const struct {
    const char *target, *link;
  } links[] = {{"/proc/self/fd", "fd"},   {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
               {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}, {"/proc/kcore", "core"}};
  cleanup_close int ddir = open_devdir(rootfd, &dir, "/dev", err);
  if (ddir < 0)
    return -1;
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
    if (strcmp(links[i].link, "core") == 0 && access("/proc/kcore", F_OK) != 0)
      continue;
    bool replace = strcmp(links[i].link, "ptmx") == 0;
    if (replace && !has_mount_at(s, "/dev/pts"))
      continue;
    int e = symlinkat(links[i].target, ddir, links[i].link) < 0 ? errno : 0;
    /* ptmx must lead to the container's devpts, whatever the rootfs has there. */
    if (e == EEXIST && replace) {
      unlinkat(ddir, links[i].link, 0);
      e = symlinkat(links[i].target, ddir, links[i].link) < 0 ? errno : 0;
    }
    if (e != 0 && e != EEXIST) {
      errno = e;
      return hull_error_sys(err, "symlink /dev/%s", links[i].link);
    }
  }
  return 0;
}

/* A path to the root of the mount that holds path (path itself when it is one): path with
 * "/.." appended until it names a mount's root. Relative paths work too (the user
 * namespace's "rootfs", hull_rootfs_open_host_side): nothing above is looked up by name. */
static int containing_mount(const char *path, char *out, size_t len, hull_err *err) {
  struct stat top;
  if (stat("/", &top) < 0)
    return hull_error_sys(err, "stat /");
  snprintf(out, len, "%s", path);
  for (;;) {
    struct statx stx;
    if (statx(AT_FDCWD, out, 0, STATX_BASIC_STATS, &stx) < 0)
      return hull_error_sys(err, "stat %s", out);
    if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
      return hull_error(err, ENOSYS, "stat %s: the kernel does not say where mounts are (Linux < 5.8)", out);
    if ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
        (makedev(stx.stx_dev_major, stx.stx_dev_minor) == top.st_dev && stx.stx_ino == top.st_ino))
      return 0;
    if (strlen(out) + 4 >= len)
      return hull_error(err, ENAMETOOLONG, "the mount that holds the rootfs %s", path);
    strcat(out, "/..");
  }
}

/* linux.rootfsPropagation is applied to every mount first, as in runc: with rshared the
 * bind-mount sources stay in their host peer groups, and the binds made from them join
 * those groups, so that mounts made under them propagate both ways (Kubernetes'
 * Bidirectional propagation). Only the mount that holds the rootfs is then made private
 * (not recursively): pivot_root refuses a new root whose parent mount is shared, and the
 * rootfs bind and every mount onto it would otherwise appear on the host. Without a
 * requested propagation everything becomes a slave of the host. */
static int set_root_propagation(const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) {
  unsigned long prop = s->rootfs_propagation;
  if (mount(NULL, "/", NULL, (prop ? prop : MS_SLAVE) | MS_REC, NULL) < 0)
    return hull_error_sys(err, "set propagation of /");
  if (!(prop & MS_SHARED))
    return 0;
  char parent[PATH_MAX];
  if (containing_mount(o->root ? o->root : s->root_path, parent, sizeof(parent), err) < 0)
    return -1;
  if (mount(NULL, parent, NULL, MS_PRIVATE, NULL) < 0)
    return hull_error_sys(err, "make the mount %s that holds the rootfs private", parent);
  /* Without pivot_root the rootfs is moved onto "/": a shared "/" would copy it to the
   * host. */
  if (o->no_pivot && strcmp(parent, "/") != 0 && mount(NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
    return hull_error_sys(err, "make / private for --no-pivot");
  return 0;
}

int hull_rootfs_prepare(const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) {
  if (!o->shared_mntns && set_root_propagation(s, o, err) < 0)
    return -1;
  /* The host's cgroup hierarchies (for a cgroup mount) are in the mount table the parent
   * read before clone, which ours is a copy of: reading it again costs tens of
   * microseconds. */
  const char *known = o->cg ? hull_cgroup_mountinfo(o->cg) : NULL;
  cleanup_free char *mountinfo = known ? strdup(known) : hull_procfs_read("self/mountinfo", NULL, err);
  if (mountinfo == NULL)
    return known ? hull_error(err, ENOMEM, "mount table") : -1;
  const char *root = o->root ? o->root : s->root_path;
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hull_error_sys(err, "bind mount rootfs %s", s->root_path);
  cleanup_close int rootfd = open(root, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return hull_error_sys(err, "open rootfs %s", s->root_path);
  const struct prep c = {.rootfd = rootfd, .mountinfo = mountinfo};
  for (size_t i = 0; i < s->n_mounts; i++)
    if (do_mount(&c, &s->mounts[i], o->tree_fds ? o->tree_fds[i] : -1, o, err) < 0)
      return -1;
  return setup_dev(rootfd, s, o, err);
}

int hull_rootfs_pivot(const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) {
  /* In a mount namespace others use, pivot_root would change the root of every process
   * there whose root is ours, and MS_MOVE would cover theirs: chroot, as runc does
   * without a mount namespace. */
  const char *root = o->root ? o->root : s->root_path;
  if (o->shared_mntns) {
    if (chdir(root) < 0)
      return hull_error_sys(err, "chdir %s", s->root_path);
    if (chroot(".") < 0)
      return hull_error_sys(err, "chroot %s", s->root_path);
    if (chdir("/") < 0)
      return hull_error_sys(err, "chdir /");
    return 0;
  }
  if (o->no_pivot) {
    if (chdir(root) < 0)
      return hull_error_sys(err, "chdir %s", s->root_path);
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
      return hull_error_sys(err, "move rootfs %s to /", s->root_path);
    if (chroot(".") < 0)
      return hull_error_sys(err, "chroot %s", s->root_path);
    if (chdir("/") < 0)
      return hull_error_sys(err, "chdir /");
    return 0;
  }
  cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return hull_error_sys(err, "open the current root /");
  if (chdir(root) < 0)
    return hull_error_sys(err, "chdir %s", s->root_path);
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return hull_error_sys(err, "pivot_root %s", s->root_path);
  /* The old root is now stacked under the new one: detach it without letting the
   * unmount propagate back to the host. */
  if (fchdir(oldroot) < 0)
    return hull_error_sys(err, "chdir to the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return hull_error_sys(err, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return hull_error_sys(err, "unmount the old root");
  if (chdir("/") < 0)
    return hull_error_sys(err, "chdir /");
  return 0;
}

/* The container's /dev/null, checked to be the null device. Masking binds it over files:
 * a /dev/null that is a symlink or another file (CVE-2025-31133) would put that file,
 * writable, where the masked one was. It is opened without following any symlink, and
 * bound through this fd, so replacing /dev/null afterwards changes nothing. */
static int open_dev_null(int rootfd, hull_err *err) {
  cleanup_close int fd = hull_openat_in_root_nosymlinks(rootfd, "/dev/null", O_PATH);
  if (fd < 0)
    return hull_error_sys(err, "linux.maskedPaths: open /dev/null of the container (it must be the null device)");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hull_error_sys(err, "linux.maskedPaths: stat /dev/null");
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    return hull_error(err, EPERM, "linux.maskedPaths: /dev/null of the container is not the null device (char 1:3)");
  return take_fd(&fd);
}

/* Masked and read-only paths are made with the mount API of Linux 5.12 where it works: a
 * read-only bind is made read-only while it is still detached and only then put in
 * place (never writable where the container can see it), and every masked directory
 * gets a copy of one empty read-only tmpfs instead of a tmpfs of its own. Both take
 * fewer and cheaper syscalls than mount(2) through /proc/self/fd paths. Where the API is
 * missing (an older kernel, a seccomp profile around the runtime that refuses it), the
 * mount(2) way is taken for the rest. */
struct finalize {
  int rootfd;
  int nullfd;     /* the container's checked /dev/null, opened when first needed */
  int masktmp;    /* the empty tmpfs for masked directories, made when first needed */
  bool old_api;   /* the new mount API failed: mount(2) from now on */
};

#if defined(SYS_open_tree) && defined(SYS_move_mount) && defined(SYS_mount_setattr) && defined(SYS_fsopen) &&         \
    defined(SYS_fsconfig) && defined(SYS_fsmount)
#define HULL_NEW_MOUNT_API 1
/* A clone of the mount at from (an O_PATH fd), with attr set on it, put on the object fd
 * refers to. -1 with errno: from the first call that failed. */
static int place_clone(int from, unsigned recursive, unsigned long long attr, int fd, uint64_t *id) {
  cleanup_close int tree =
      (int)syscall(SYS_open_tree, from, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | recursive);
  if (tree < 0)
    return -1;
  struct mount_attr a = {.attr_set = attr};
  if (attr && syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
    return -1;
  /* Its id, for verify_protected to find exactly this mount on the path afterwards. */
  struct statx st;
  *id = statx(tree, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) == 0 && (st.stx_mask & STATX_MNT_ID) ? st.stx_mnt_id : 0;
  return (int)syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int empty_tmpfs(void) {
  cleanup_close int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  /* What mount("tmpfs", dir, "tmpfs", MS_RDONLY, "size=0k,nr_inodes=1") makes. */
  if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "tmpfs", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "0k", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "1", 0) < 0 ||
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
}
#endif

/* The new API's outcome: 0 done, -1 failed with an error to report, 1 not available
 * (the caller goes on with mount(2)). */
static int new_api_result(struct finalize *f, int r, const char *what, const char *path, hull_err *err) {
  if (r == 0)
    return 0;
  if (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == EOPNOTSUPP) {
    f->old_api = true;
    return 1;
  }
  return hull_error_sys(err, "%s %s", what, path);
}

/* Opens a masked or read-only path for a mount on it, as open_dest and locate do for
 * mounts (never the root; through a symlink, never the root of another mount). A path
 * that does not exist is skipped, as runc does: *fd is then -1. */
static int open_protected(int rootfd, const char *what, const char *path, bool need_stat, struct target *t, int *fd,
                          hull_err *err) {
  *fd = open_dest(rootfd, path, false, false, &t->plain, err);
  if (*fd < 0) {
    if ((*err)->errno_ != ENOENT)
      return hull_error_wrap(err, "%s", what);
    hull_error_release(err);
    return 0;
  }
  t->fd = *fd;
  return locate(rootfd, what, path, need_stat, t, err);
}

static bool is_null_device(const struct statx *st) {
  return S_ISCHR(st->stx_mode) && st->stx_rdev_major == 1 && st->stx_rdev_minor == 3;
}

/* Whether fd (resolved from a masked path) is masked: the root of a mount that is the
 * null device, or an empty read-only tmpfs. */
static bool is_masked(int fd) {
  struct statx st;
  struct statfs sf;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &st) < 0 || (st.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT &&
                                                            !(st.stx_attributes & STATX_ATTR_MOUNT_ROOT)))
    return false;
  if (!S_ISDIR(st.stx_mode))
    return is_null_device(&st);
  return fstatfs(fd, &sf) == 0 && sf.f_type == TMPFS_MAGIC && (sf.f_flags & ST_RDONLY);
}

static bool is_readonly(int fd) {
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && (sf.f_flags & ST_RDONLY);
}

/* After the mask on t: reopen_mounted finds it on the path (exactly the clone made, id,
 * where the mount API made it), and checks what mount(2) put there. */
static int check_mask(struct finalize *f, const struct target *t, uint64_t id, const char *path, hull_err *err) {
  cleanup_close int nfd = reopen_mounted(f->rootfd, t, id, "linux.maskedPaths", path, err);
  if (nfd < 0)
    return -1;
  if (id == 0 && !is_masked(nfd))
    return hull_error(err, EXDEV, "linux.maskedPaths %s: not masked after masking it (swapped meanwhile?)", path);
  return 0;
}

/* *state: 1 when path was masked, 0 when it does not exist; *id: the mount id of the
 * mask where the mount API made it (verify_protected finds exactly that mount on the
 * path), else 0 (the mask was found on the path and checked right away). */
static int mask_path(struct finalize *f, const char *path, char *state, uint64_t *id, hull_err *err) {
  struct target t;
  cleanup_close int fd = -1;
  *state = 0;
  if (open_protected(f->rootfd, "linux.maskedPaths", path, true, &t, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  *state = 1;
  bool dir = S_ISDIR(t.st.stx_mode);
  if (!dir && f->nullfd < 0 && (f->nullfd = open_dev_null(f->rootfd, err)) < 0)
    return hull_error_wrap(err, "mask %s", path);
#ifdef HULL_NEW_MOUNT_API
  if (!f->old_api) {
    int r = -1;
    if (!dir)
      r = place_clone(f->nullfd, 0, 0, fd, id);
    else if (f->masktmp >= 0 || (f->masktmp = empty_tmpfs()) >= 0)
      r = place_clone(f->masktmp, 0, 0, fd, id);
    /* Older kernels (6.1) clone no detached mount: move a fresh one there instead (it is
     * checked below like a mount(2) mask: no id). The fallback below names fds through
     * /proc/self, which does not resolve for a first stage outside the container's pid
     * namespace (init.c, setup_unseen). */
    if (r < 0 && dir && errno == EINVAL) {
      *id = 0;
      cleanup_close int tmp = empty_tmpfs();
      r = tmp < 0 ? -1
                  : (int)syscall(SYS_move_mount, tmp, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    }
    if ((r = new_api_result(f, r, "mask", path, err)) <= 0)
      return r < 0 ? -1 : *id != 0 ? 0 : check_mask(f, &t, 0, path, err);
    *id = 0;
  }
#endif
  char tp[64], n[64];
  fd_path(tp, sizeof(tp), fd);
  fd_path(n, sizeof(n), f->nullfd);
  int r = dir ? mount("tmpfs", tp, "tmpfs", MS_RDONLY, "size=0k,nr_inodes=1") : mount(n, tp, NULL, MS_BIND, NULL);
  if (r < 0)
    return hull_error_sys(err, "mask %s", path);
  return check_mask(f, &t, 0, path, err);
}

/* *state: 1 when path was made read-only, 0 when it does not exist; *id as for
 * mask_path. */
static int readonly_path(struct finalize *f, const char *path, char *state, uint64_t *id, hull_err *err) {
  struct target t;
  cleanup_close int fd = -1;
  *state = 0;
  if (open_protected(f->rootfd, "linux.readonlyPaths", path, false, &t, &fd, err) < 0)
    return -1;
  if (fd < 0)
    return 0;
  *state = 1;
#ifdef HULL_NEW_MOUNT_API
  if (!f->old_api) {
    /* As the bind and remount below: the mounts under path come along, and only the
     * top one gets the flags (the remount is not recursive either). */
    int r = place_clone(fd, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                        fd, id);
    if ((r = new_api_result(f, r, "bind read-only", path, err)) < 0)
      return -1;
    if (r == 0 && *id != 0)
      return 0;
    if (r == 0) { /* in place, its id unknown: found on the path by what it is */
      cleanup_close int nfd = reopen_mounted(f->rootfd, &t, 0, "linux.readonlyPaths", path, err);
      if (nfd >= 0 && !is_readonly(nfd))
        return hull_error(err, EXDEV, "linux.readonlyPaths %s: not read-only after binding it (swapped meanwhile?)",
                          path);
      return nfd < 0 ? -1 : 0;
    }
    *id = 0;
  }
#endif
  char tp[64];
  fd_path(tp, sizeof(tp), fd);
  if (!(t.st.stx_mask & STATX_MNT_ID) && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &t.st) < 0)
    return hull_error_sys(err, "stat %s", path);
  if (mount(tp, tp, NULL, MS_BIND | MS_REC, NULL) < 0)
    return hull_error_sys(err, "bind %s read-only", path);
  /* The remount goes through the bind found and verified on the path, never through
   * the path again (which may lead elsewhere by now). */
  cleanup_close int nfd = reopen_mounted(f->rootfd, &t, 0, "linux.readonlyPaths", path, err);
  if (nfd < 0)
    return -1;
  fd_path(tp, sizeof(tp), nfd);
  return remount_flags(tp, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, err);
}

/* Whether the masked path i lies under another masked directory (which hides it). */
static bool under_other_mask(char **paths, size_t i) {
  for (size_t k = 0; paths[k]; k++) {
    size_t n = strlen(paths[k]);
    while (n > 1 && paths[k][n - 1] == '/')
      n--;
    if (k != i && strncmp(paths[i], paths[k], n) == 0 && paths[i][n] == '/')
      return true;
  }
  return false;
}

/* Once every masked and read-only path is in place, each is resolved once more as the
 * container will resolve it: a masked one must be masked, a read-only one read-only, and
 * one that did not exist must still not exist. This is where a mask or read-only bind
 * made by the mount API is verified (it is exactly the mount of id[i] on the path; a
 * copy of it, made by a later read-only path above it, is checked for what it is). A
 * process sharing a volume with the container that swapped a path after it was opened
 * fails the create here instead of leaving the path unprotected. A masked path may be
 * gone only under another masked directory. */
static int verify_protected(int rootfd, char **paths, const char *state, const uint64_t *id, bool masked,
                            hull_err *err) {
  const char *what = masked ? "linux.maskedPaths" : "linux.readonlyPaths";
  for (size_t i = 0; paths && paths[i]; i++) {
    bool plain;
    cleanup_close int fd = open_dest(rootfd, paths[i], false, false, &plain, err);
    if (fd < 0 && (*err)->errno_ != ENOENT)
      return hull_error_wrap(err, "%s: verify", what);
    if (fd < 0)
      hull_error_release(err);
    struct statx st;
    bool ok;
    if (fd < 0)
      ok = state[i] == 0 || (masked && under_other_mask(paths, i));
    else if (state[i] == 0)
      ok = false;
    else if (id[i] != 0 && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &st) == 0 && (st.stx_mask & STATX_MNT_ID) &&
             st.stx_mnt_id == id[i])
      ok = true;
    else
      ok = masked ? is_masked(fd) : is_readonly(fd);
    if (!ok)
      return hull_error(err, EXDEV, "%s %s: %s once all were in place (swapped meanwhile?)", what, paths[i],
                        state[i] == 0 ? "appeared"
                        : fd < 0      ? "vanished"
                        : masked      ? "not masked"
                                      : "not read-only");
  }
  return 0;
}

static int apply_sysctl(const struct hull_spec *s, hull_err *err) {
  if (s->sysctl == NULL)
    return 0;
  const char *key;
  json_t *v;
  json_object_foreach(s->sysctl, key, v) {
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "sys/%s", key);
    for (char *p = path + 4; p < path + n; p++)
      if (*p == '.')
        *p = '/';
    const char *val = json_string_value(v);
    if (hull_procfs_write(path, val, strlen(val), err) < 0)
      return hull_error_wrap(err, "linux.sysctl %s=%s", key, val);
  }
  return 0;
}

int hull_rootfs_finalize(const struct hull_spec *s, hull_err *err) {
  cleanup_close int rootfd = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return hull_error_sys(err, "open /");
  if (apply_sysctl(s, err) < 0)
    return -1;
  size_t nm = hull_strv_len(s->masked_paths), nr = hull_strv_len(s->readonly_paths);
  cleanup_free char *state = malloc(nm + nr + 1);
  cleanup_free uint64_t *id = calloc(nm + nr + 1, sizeof(*id));
  if (state == NULL || id == NULL)
    return hull_error(err, ENOMEM, "masked and read-only paths");
  struct finalize f = {.rootfd = rootfd, .nullfd = -1, .masktmp = -1};
  int r = 0;
  for (size_t i = 0; r == 0 && i < nm; i++)
    r = mask_path(&f, s->masked_paths[i], &state[i], &id[i], err);
  for (size_t i = 0; r == 0 && i < nr; i++)
    r = readonly_path(&f, s->readonly_paths[i], &state[nm + i], &id[nm + i], err);
  if (f.nullfd >= 0)
    close(f.nullfd);
  if (f.masktmp >= 0)
    close(f.masktmp);
  if (r < 0 || verify_protected(rootfd, s->masked_paths, state, id, true, err) < 0 ||
      verify_protected(rootfd, s->readonly_paths, state + nm, id + nm, false, err) < 0)
    return -1;
  bool own_mntns = s->ns_present[HULL_NS_MOUNT] && s->namespaces[HULL_NS_MOUNT].path == NULL;
  if (own_mntns && s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation | MS_REC, NULL) < 0)
    return hull_error_sys(err, "set linux.rootfsPropagation of /");
  if (s->root_readonly && remount_flags("/", MS_RDONLY, "/ read-only (root.readonly)", err) < 0)
    return -1;
  return 0;
}

/* The terminal is bound on /dev/console. /dev may be a symlink inside the rootfs (it is
 * resolved in the root), but /dev/console itself is never followed: bound through a
 * symlink (CVE-2025-52565), the terminal would cover the link's target, e.g. a file
 * that maskedPaths or readonlyPaths are about to protect. A symlink there is replaced
 * by an empty file, and the bind is checked to have put the terminal on /dev/console. */
int hull_rootfs_setup_console(int slave_fd, hull_err *err) {
  cleanup_close int rootfd = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (rootfd < 0)
    return hull_error_sys(err, "console: open /");
  cleanup_close int ddir = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY, true, false, err);
  if (ddir < 0)
    return hull_error_wrap(err, "console");
  char src[64], t[64];
  struct stat st, pty;
  if (fstatat(ddir, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode) &&
      unlinkat(ddir, "console", 0) < 0)
    return hull_error_sys(err, "console: remove the symlink /dev/console");
  int c = openat(ddir, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (c >= 0)
    close(c);
  else if (errno != EEXIST)
    return hull_error_sys(err, "console: create /dev/console");
  cleanup_close int fd = openat(ddir, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0)
    return hull_error_sys(err, "console: open /dev/console");
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
    return hull_error(err, EPERM, "console: /dev/console is neither a file nor a device (a symlink?)");
  /* By fds where the kernel can: a process joining a pid namespace sets up the console
   * from outside it (init.c), where the new root's /proc/self does not resolve. */
  cleanup_close int tree =
      (int)syscall(SYS_open_tree, slave_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree >= 0) {
    if (syscall(SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return hull_error_sys(err, "bind the terminal on /dev/console");
  } else {
    fd_path(src, sizeof(src), slave_fd);
    fd_path(t, sizeof(t), fd);
    if (mount(src, t, NULL, MS_BIND, NULL) < 0)
      return hull_error_sys(err, "bind the terminal on /dev/console");
  }
  cleanup_close int check = openat(ddir, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (check < 0 || fstat(check, &st) < 0 || fstat(slave_fd, &pty) < 0 || !S_ISCHR(st.st_mode) ||
      st.st_rdev != pty.st_rdev)
    return hull_error(err, EXDEV, "console: /dev/console is not the terminal after binding it (replaced meanwhile?)");
  return 0;
}

uint64_t hull_mount_id(const char *path) {
  struct statx stx;
  if (statx(AT_FDCWD, path, 0, STATX_MNT_ID, &stx) < 0 || !(stx.stx_mask & STATX_MNT_ID))
    return 0;
  return stx.stx_mnt_id;
}

int hull_rootfs_release_host_mount(const char *root_path, uint64_t mount_id, hull_err *err) {
  /* Something else mounted there since (or the bind is gone already) is left alone. */
  if (mount_id == 0 || root_path == NULL || hull_mount_id(root_path) != mount_id)
    return 0;
  if (umount2(root_path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
    return hull_error_sys(err, "unmount the container's rootfs %s", root_path);
  return 0;
}

int hull_rootfs_open_host_side(const struct hull_spec *s, int *tree_fds, char *root, size_t root_len,
                               hull_err *err) {
  /* The cwd follows into a mount namespace made later (unshare translates it), and a
   * lookup from there never crosses the directories above: the rootfs is then reached
   * by its name. */
  const char *slash = strrchr(s->root_path, '/');
  /* A rootfs of "/" (or a name too long for root) is reached by its path, as before. */
  if (slash != NULL && slash[1] != '\0' && strlen(slash + 1) < root_len) {
    char parent[PATH_MAX];
    snprintf(parent, sizeof(parent), "%.*s", slash == s->root_path ? 1 : (int)(slash - s->root_path), s->root_path);
    if (chdir(parent) < 0)
      return hull_error_sys(err, "chdir %s (the rootfs's parent)", parent);
    snprintf(root, root_len, "%s", slash + 1);
  }
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct hull_mount *m = &s->mounts[i];
    if (tree_fds[i] >= 0 || !m->bind || m->source == NULL)
      continue;
#if defined(SYS_open_tree) && defined(OPEN_TREE_CLONE)
    unsigned rec = m->rbind ? AT_RECURSIVE : 0;
    tree_fds[i] = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    /* Without the new mount API (or for a source it refuses) the path is bound as before,
     * and fails only if the user namespace's root cannot reach it. */
    if (tree_fds[i] < 0 && errno != ENOSYS && errno != EINVAL && errno != EPERM)
      return hull_error_sys(err, "mount %s: open bind source %s", m->destination, m->source);
#endif
  }
  return 0;
}
