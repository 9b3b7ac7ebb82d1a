/* The runtime's one procfs handle (see procfs.h for why). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

/* Exit statuses of the helper's parent, for the error message. */
static const char *const helper_steps[] = {
    "",
    "make an empty root",
    "join the pid namespace",
    "drop its privileges",
    "fork",
    "create a user and mount namespace (are unprivileged user namespaces allowed?)",
    "fsopen proc",
    "send the context",
};

/* The helper's side (see context_from_inside); exits with an index of helper_steps. */
static __attribute__((noreturn)) void helper_parent(int pidns_fd, int sock) {
  /* A mount namespace whose only mount is an empty, read-only tmpfs, stacked on / and
   * made the root (pivot_root, the old root detached): nothing of the host is reachable
   * by path. Not a chroot, in which the helper could not create its user namespace. */
  int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
  int m = -1;
  if (fs >= 0 && syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0555", 0) == 0 &&
      syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", "4k", 0) == 0 &&
      syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
    m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (m < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      syscall(SYS_move_mount, m, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0 || fchdir(m) < 0 ||
      syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
    _exit(1);
  if (setns(pidns_fd, CLONE_NEWPID) < 0)
    _exit(2);
  /* No capability, none to regain by execve, and no fd but the socket. */
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct none[2];
  memset(none, 0, sizeof(none));
  if (prctl(PR_SET_SECUREBITS,
            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
            0, 0, 0) < 0 ||
      syscall(SYS_capset, &hdr, none) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
      (sock > 0 && syscall(SYS_close_range, 0, sock - 1, 0) < 0) || syscall(SYS_close_range, sock + 1, ~0U, 0) < 0)
    _exit(3);
  pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0)
    _exit(4);
  if (pid == 0) {
    /* The helper, in the pid namespace: fsopen needs CAP_SYS_ADMIN over its mount
     * namespace, which it has in one of its own. */
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
      _exit(5);
    int ctx = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
    if (ctx < 0)
      _exit(6);
    hull_err e = NULL; /* the exit status says it */
    _exit(hull_send_fd(sock, ctx, NULL, 0, &e) < 0 ? 7 : 0);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
}

/* Before Linux 6.18 proc has no pidns option: a procfs shows the pid namespace of the
 * process that called fsopen("proc"), so that one must be inside the joined namespace,
 * where the container's processes can trace it (CVE-2016-9962 with CAP_SYS_PTRACE). It
 * is made to hold nothing worth taking: a child, still in the host's pid namespace,
 * moves into a mount namespace with only an empty read-only tmpfs, joins the pid
 * namespace, drops every capability for good (securebits, no_new_privs), closes every fd
 * but its socket, and only then forks the helper, which creates a user and mount
 * namespace of its own (fsopen needs CAP_SYS_ADMIN over its mount namespace) and sends
 * the unconfigured filesystem context back. Creating the superblock is left to us, and
 * the result is checked to be a procfs. Needs unprivileged user namespaces. */
static int context_from_inside(int pidns_fd, hull_err *err) {
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: socketpair");
  pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    close(sp[0]);
    helper_parent(pidns_fd, sp[1]);
  }
  close(sp[1]);
  int fd = -1;
  hull_err recv_err = NULL;
  if (pid > 0 && hull_recv_fd(sp[0], &fd, NULL, 0, &recv_err) < 0)
    fd = -1;
  hull_error_release(&recv_err); /* the helper's exit status says more */
  close(sp[0]);
  int st = 0;
  while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
    ;
  int step = pid < 0 ? 4 : WIFEXITED(st) ? WEXITSTATUS(st) : 4;
  if (fd >= 0 && step == 0)
    return fd;
  if (fd >= 0)
    close(fd);
  if (step <= 0 || step >= (int)(sizeof(helper_steps) / sizeof(helper_steps[0])))
    step = 4;
  return hull_error(err, 0,
                    "mount proc of the joined pid namespace: the kernel has no pidns option for proc (Linux 6.18), "
                    "and the unprivileged helper inside it could not %s",
                    helper_steps[step]);
}

int hull_procfs_mount_of(int pidns_fd, int min_fd, unsigned long ms_flags, const char *data, hull_err *err) {
  cleanup_close int fs = (int)syscall(SYS_fsopen, "proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: fsopen");
  /* HULL_TEST_PROC_HELPER: the tests take the older kernels' way on this one. */
  bool option = getenv("HULL_TEST_PROC_HELPER") == NULL;
  if (!option || syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, "pidns", NULL, pidns_fd) < 0) {
    if (option && errno != EINVAL)
      return hull_error_sys(err, "mount proc of the joined pid namespace");
    close(fs);
    fs = context_from_inside(pidns_fd, err);
    if (fs < 0)
      return -1;
  }
  /* "proc" as mount(2) would show it in mountinfo; nothing depends on it. */
  (void)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", "proc", NULL, 0);
  if (set_options(fs, data, err) < 0)
    return -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace");
  cleanup_close int m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, mount_attrs(ms_flags));
  if (m < 0)
    return hull_error_sys(err, "mount proc of the joined pid namespace: fsmount");
  /* The helper (context_from_inside) could have sent another filesystem's context. */
  struct stat st;
  if (!on_procfs(m) || fstat(m, &st) < 0 || st.st_ino != PROC_ROOT_INO)
    return hull_error(err, EXDEV, "mount proc of the joined pid namespace: the result is not a procfs");
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
