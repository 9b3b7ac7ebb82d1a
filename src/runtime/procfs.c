/* The runtime's one procfs handle (see procfs.h for why). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"

#define PROC_ROOT_INO 1

static int root_fd = -1;

static bool on_procfs(int fd) {
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Takes fd; returns it if it is the root of a procfs mount, else closes it and fails. */
static int verified_root(int fd, hull_err *err) {
  struct stat st;
  if (!on_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != PROC_ROOT_INO) {
    close(fd);
    return hull_error(err, EXDEV, "/proc is not the root of a procfs mount");
  }
  return fd;
}

int hull_procfs_init(int min_fd, hull_err *err) {
  if (root_fd >= min_fd)
    return root_fd;
  hull_procfs_close();
  int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open /proc");
  if (verified_root(fd, err) < 0)
    return -1;
  if (fd < min_fd) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
    close(fd);
    if (high < 0)
      return hull_error_sys(err, "dup the /proc handle");
    fd = high;
  }
  root_fd = fd;
  return root_fd;
}

int hull_procfs_private(hull_err *err) {
  int fd = -1;
#if defined(SYS_fsopen) && defined(SYS_fsmount) && defined(SYS_fsconfig)
  int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs >= 0) {
    if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
      fd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    close(fs);
  }
#endif
  /* A detached mount made here from fsopen("proc") is the root of a procfs by
   * construction; only the fallback, a path, needs checking. */
  if (fd < 0) {
    fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return hull_error_sys(err, "open a procfs for the container");
    if (verified_root(fd, err) < 0)
      return -1;
  }
  int old = root_fd;
  /* Same number as before where possible: it was placed above the preserved fds. */
  if (old >= 0 && dup3(fd, old, O_CLOEXEC) == old) {
    close(fd);
    return 0;
  }
  hull_procfs_close();
  root_fd = fd;
  return 0;
}

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

/* mount(2) flags as fsmount attributes; the atime flags map one to one. */
static unsigned int mount_attrs(unsigned long f) {
  unsigned int a = 0;
  a |= (f & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0;
  a |= (f & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0;
  a |= (f & MS_NODEV) ? MOUNT_ATTR_NODEV : 0;
  a |= (f & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0;
  a |= (f & MS_NODIRATIME) ? MOUNT_ATTR_NODIRATIME : 0;
  a |= (f & MS_NOATIME) ? MOUNT_ATTR_NOATIME : (f & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME : 0;
  a |= (f & MS_NOSYMFOLLOW) ? MOUNT_ATTR_NOSYMFOLLOW : 0;
  return a;
}

/* Passes proc's options ("hidepid=2,subset=pid", "gid=5") to the filesystem context. */
static int set_options(int fs, const char *data, hull_err *err) {
  if (data == NULL || *data == '\0')
    return 0;
  cleanup_free char *copy = strdup(data);
  if (copy == NULL)
    return hull_error(err, ENOMEM, "proc options %s", data);
  char *save = NULL;
  for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
    char *eq = strchr(opt, '=');
    if (eq)
      *eq = '\0';
    if (syscall(SYS_fsconfig, fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, opt, eq ? eq + 1 : NULL, 0) < 0)
      return hull_error_sys(err, "mount proc: option %s", opt);
  }
  return 0;
}

int hull_procfs_mount_of(int pidns_fd, int min_fd, unsigned long ms_flags, const char *data, hull_err *err) {
  cleanup_close int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: fsopen");
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: the kernel has no pidns option for proc "
                               "(Linux 6.18), and the runtime does not mount it from inside a pid namespace "
                               "that other containers share");
  if (set_options(fs, data, err) < 0)
    return -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace");
  cleanup_close int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, mount_attrs(ms_flags));
  if (m < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: fsmount");
  if (m >= min_fd)
    return take_fd(&m);
  int high = fcntl(m, F_DUPFD_CLOEXEC, min_fd);
  if (high < 0)
    return hull_error_sys(err, "dup the proc mount");
  return high;
}

void hull_procfs_set_root(int fd) {
  hull_procfs_close();
  root_fd = fd;
}

int hull_procfs_root(hull_err *err) { return root_fd >= 0 ? root_fd : hull_procfs_init(0, err); }

void hull_procfs_close(void) {
  if (root_fd >= 0)
    close(root_fd);
  root_fd = -1;
}

/* Resolves path beneath the procfs root: no absolute or ".." escape, no mount crossing
 * (a volume mounted over part of /proc), no magic link. Where openat2 is missing
 * (before Linux 5.6) the result is at least checked to be on procfs. */
static int open_beneath(const char *path, int flags, hull_err *err) {
  int root = hull_procfs_root(err);
  if (root < 0)
    return -1;
  /* openat2 accepts no other flag with O_PATH. */
  if (!(flags & O_PATH))
    flags |= O_NOCTTY;
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
  int fd;
  do
    fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0 && errno == ENOSYS)
    fd = openat(root, path, flags | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hull_error_sys(err, "open /proc/%s", path);
  if (!on_procfs(fd)) {
    close(fd);
    return hull_error(err, EXDEV, "open /proc/%s: not on procfs", path);
  }
  return fd;
}

int hull_procfs_open(const char *path, int flags, hull_err *err) { return open_beneath(path, flags, err); }

int hull_procfs_write(const char *path, const char *data, size_t len, hull_err *err) {
  cleanup_close int fd = open_beneath(path, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (hull_write_all(fd, data, len) < 0)
    return hull_error_sys(err, "write /proc/%s", path);
  return 0;
}

char *hull_procfs_read(const char *path, size_t *len, hull_err *err) {
  cleanup_close int fd = open_beneath(path, O_RDONLY, err);
  if (fd < 0)
    return NULL;
  char name[PATH_MAX];
  snprintf(name, sizeof(name), "/proc/%s", path);
  return hull_read_fd(fd, name, len, err);
}
