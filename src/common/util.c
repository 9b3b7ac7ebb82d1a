#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_FILE_SIZE (64u << 20)

ssize_t hull_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = write(fd, p + done, len - done);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    done += (size_t)r;
  }
  return (ssize_t)done;
}

ssize_t hull_send_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = send(fd, p + done, len - done, MSG_NOSIGNAL);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

ssize_t hull_read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t done = 0;
  while (done < len) {
    ssize_t r = read(fd, p + done, len - done);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

char *hull_read_file_at(int dirfd, const char *path, size_t *len, hull_err *err) {
  cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    hull_error_sys(err, "open %s", path);
    return NULL;
  }
  return hull_read_fd(fd, path, len, err);
}

char *hull_read_fd(int fd, const char *path, size_t *len, hull_err *err) {
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = malloc(cap + 1);
  if (buf == NULL) {
    hull_error(err, ENOMEM, "read %s", path);
    return NULL;
  }
  for (;;) {
    if (used == cap) {
      if (cap >= MAX_FILE_SIZE) {
        hull_error(err, EFBIG, "read %s", path);
        return NULL;
      }
      cap *= 2;
      char *n = realloc(buf, cap + 1);
      if (n == NULL) {
        hull_error(err, ENOMEM, "read %s", path);
        return NULL;
      }
      buf = n;
    }
    ssize_t r = read(fd, buf + used, cap - used);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      hull_error_sys(err, "read %s", path);
      return NULL;
    }
    if (r == 0)
      break;
    used += (size_t)r;
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  return steal_pointer(&buf);
}

char *hull_read_file(const char *path, size_t *len, hull_err *err) {
  return hull_read_file_at(AT_FDCWD, path, len, err);
}

int hull_write_file_at(int dirfd, const char *path, const char *data, size_t len, hull_err *err) {
  cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s", path);
  if (hull_write_all(fd, data, len) < 0)
    return hull_error_sys(err, "write %s", path);
  return 0;
}

int hull_write_file(const char *path, const char *data, size_t len, hull_err *err) {
  return hull_write_file_at(AT_FDCWD, path, data, len, err);
}

/* Creates a new temporary file in dirfd for name, with a random part in its name.
 * O_EXCL and O_NOFOLLOW make the open fail on anything already there: a name someone
 * else could predict (and plant as a symlink to a host file, e.g. from a container's
 * volume that holds the directory) is never opened, never truncated. */
int hull_create_temp_at(int dirfd, const char *name, mode_t mode, char *tmp, size_t tmp_len, hull_err *err) {
  for (int attempt = 0; attempt < 16; attempt++) {
    uint64_t r;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
      return hull_error_sys(err, "create a temporary file for %s: getrandom", name);
    int n = snprintf(tmp, tmp_len, ".%s.%016llx.tmp", name, (unsigned long long)r);
    if (n < 0 || (size_t)n >= tmp_len || n > NAME_MAX)
      return hull_error(err, ENAMETOOLONG, "create a temporary file for %s", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0)
      return fd;
    if (errno != EEXIST)
      return hull_error_sys(err, "create %s", tmp);
  }
  return hull_error(err, EEXIST, "create a temporary file for %s: every name tried exists", name);
}

/* Fills fd from data, then renames tmp over name (rename replaces a symlink there
 * instead of following it). On failure tmp is removed. */
static int finish_temp_at(int dirfd, int fd, const char *tmp, const char *name, const char *data, size_t len,
                          bool durable, hull_err *err) {
  if (hull_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
    hull_error_sys(err, "write %s", tmp);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    hull_error_sys(err, "rename %s to %s", tmp, name);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

int hull_write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, bool durable, hull_err *err) {
  char tmp[PATH_MAX];
  cleanup_close int fd = hull_create_temp_at(dirfd, name, 0600, tmp, sizeof(tmp), err);
  if (fd < 0)
    return -1;
  return finish_temp_at(dirfd, fd, tmp, name, data, len, durable, err);
}

int hull_write_file_new_at(int dirfd, const char *name, const char *data, size_t len, hull_err *err) {
  cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EEXIST)
    return hull_write_file_atomic_at(dirfd, name, data, len, false, err);
  if (fd < 0)
    return hull_error_sys(err, "create %s", name);
  if (hull_write_all(fd, data, len) < 0) {
    hull_error_sys(err, "write %s", name);
    unlinkat(dirfd, name, 0);
    return -1;
  }
  return 0;
}

void hull_dir_spread(int dirfd) {
  int flags = 0;
  if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
    return;
  flags |= FS_TOPDIR_FL;
  (void)ioctl(dirfd, FS_IOC_SETFLAGS, &flags); /* best effort, see util.h */
}

int hull_mkdir_p(const char *path, mode_t mode, hull_err *err) {
  /* Mostly the directory or its parent exists (a command's store, runroot and their
   * subdirectories): one mkdir then, instead of one per component of the path. */
  if (*path && (mkdir(path, mode) == 0 || errno == EEXIST))
    return 0;
  char buf[PATH_MAX];
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof(buf))
    return hull_error(err, ENAMETOOLONG, "mkdir %s", path);
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, mode) < 0 && errno != EEXIST)
      return hull_error_sys(err, "mkdir %s", buf);
    *p = '/';
  }
  if (mkdir(buf, mode) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s", buf);
  return 0;
}

int hull_parse_int64(const char *s, int64_t *out) {
  if (s == NULL || *s == '\0')
    return -1;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

bool hull_str_has_prefix(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

static int close_range_sys(unsigned first, unsigned last, unsigned flags) {
#ifdef SYS_close_range
  return (int)syscall(SYS_close_range, first, last, flags);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static int cmp_int(const void *a, const void *b) {
  return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

/* Closes (or marks close-on-exec) every fd >= from but those in keep (sorted, n long),
 * walking /proc/self/fd: the fallback where close_range is missing. */
static int each_fd_from(int from, bool cloexec, const int *keep, size_t n, hull_err *err) {
  cleanup_dir DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return hull_error_sys(err, "open /proc/self/fd");
  int dfd = dirfd(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    int64_t fd;
    if (hull_parse_int64(de->d_name, &fd) < 0 || fd < from || fd == dfd ||
        (n > 0 && bsearch(&(int){(int)fd}, keep, n, sizeof(int), cmp_int) != NULL))
      continue;
    if (cloexec) {
      int fl = fcntl((int)fd, F_GETFD);
      if (fl >= 0)
        fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
    } else {
      close((int)fd);
    }
  }
  return 0;
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int hull_close_fds_from(int from, hull_err *err) {
  if (close_range_sys((unsigned)from, ~0U, 0) == 0)
    return 0;
  return each_fd_from(from, false, NULL, 0, err);
}

int hull_close_fds_except(int from, const int *keep, size_t n, hull_err *err) {
  int sorted[64];
  size_t m = 0;
  for (size_t i = 0; i < n && m < 64; i++)
    if (keep[i] >= from)
      sorted[m++] = keep[i];
  qsort(sorted, m, sizeof(int), cmp_int);
  /* close_range over each gap between the fds we keep. */
  unsigned lo = (unsigned)from;
  bool ranged = true;
  for (size_t i = 0; i <= m && ranged; i++) {
    unsigned hi = i < m ? (unsigned)sorted[i] : ~0U;
    if (hi > lo && close_range_sys(lo, i < m ? hi - 1 : hi, 0) < 0)
      ranged = false;
    if (i < m)
      lo = hi + 1;
  }
  return ranged ? 0 : each_fd_from(from, false, sorted, m, err);
}

int hull_cloexec_fds_from(int from, hull_err *err) {
  if (close_range_sys((unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  return each_fd_from(from, true, NULL, 0, err);
}

int hull_send_fd(int sock, int fd, const void *data, size_t len, hull_err *err) {
  char dummy = 0;
  struct iovec iov = {.iov_base = (void *)(data ? data : &dummy), .iov_len = data ? len : 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  memset(&u, 0, sizeof(u));
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    msg.msg_control = u.buf;
    msg.msg_controllen = sizeof(u.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t r;
  do
    r = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error_sys(err, "send file descriptor");
  return 0;
}

int hull_recv_fd(int sock, int *fd, void *data, size_t len, hull_err *err) {
  char dummy;
  struct iovec iov = {.iov_base = data ? data : &dummy, .iov_len = data ? len : 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  ssize_t r;
  do
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error_sys(err, "receive file descriptor");
  if (r == 0)
    return hull_error(err, EPIPE, "receive file descriptor: peer closed the socket");
  *fd = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(fd, CMSG_DATA(c), sizeof(int));
  if (*fd < 0)
    return hull_error(err, EBADMSG, "receive file descriptor: no descriptor in the message");
  return 0;
}

int hull_write_pid_file(const char *path, pid_t pid, hull_err *err) {
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
  /* The caller names the path, but its directory may be shared with a container (a
   * volume): work relative to the directory, opened without following a symlink as
   * its last component, so nothing planted there is followed (issue 17). */
  char dir[PATH_MAX];
  size_t len = strlen(path);
  if (len == 0 || len >= sizeof(dir))
    return hull_error(err, ENAMETOOLONG, "pid file %s", path);
  memcpy(dir, path, len + 1);
  while (len > 1 && dir[len - 1] == '/')
    dir[--len] = '\0';
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : dir;
  const char *dname = ".";
  if (slash == dir)
    dname = "/";
  else if (slash != NULL) {
    *slash = '\0';
    dname = dir;
  }
  if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return hull_error(err, EISDIR, "pid file %s: not a file name", path);
  cleanup_close int dfd = open(dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "pid file %s: open directory %s", path, dname);
  char tmp[PATH_MAX];
  cleanup_close int fd = hull_create_temp_at(dfd, base, 0644, tmp, sizeof(tmp), err);
  if (fd < 0 || finish_temp_at(dfd, fd, tmp, base, buf, (size_t)n, false, err) < 0)
    return hull_error_wrap(err, "write pid file %s", path);
  return 0;
}

int hull_wait_exit_status(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  if (WIFEXITED(st))
    return WEXITSTATUS(st);
  if (WIFSIGNALED(st))
    return 128 + WTERMSIG(st);
  return 255;
}

unsigned long long hull_self_start_time(void) {
  /* Keyed by the pid: a child forked after the first call reads its own. Per thread, so
   * that no two threads race on the pair. */
  static __thread pid_t pid;
  static __thread unsigned long long start;
  pid_t self = getpid();
  if (start == 0 || pid != self) {
    pid = self;
    start = hull_proc_start_time(self);
  }
  return start;
}

unsigned long long hull_proc_start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: parse after the last ')'. */
  char *p = strrchr(buf, ')');
  if (p == NULL)
    return 0;
  p++;
  /* p is at " S ppid ...": field 3 is the state; start time is field 22. */
  int field = 2;
  char *save = NULL;
  for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
    field++;
    if (field == 3 && tok[0] == 'Z')
      return 0; /* a zombie is not a live container */
    if (field == 22)
      return strtoull(tok, NULL, 10);
  }
  return 0;
}

bool hull_proc_alive(pid_t pid, unsigned long long start) {
  return pid > 0 && start != 0 && hull_proc_start_time(pid) == start;
}

bool hull_owner_file_alive(const char *path) {
  cleanup_file FILE *f = fopen(path, "re");
  long pid = 0;
  unsigned long long start = 0;
  if (f == NULL || fscanf(f, "%ld %llu", &pid, &start) != 2)
    return false;
  return hull_proc_alive((pid_t)pid, start);
}

int hull_parse_duration_ns(const char *s, int64_t *out) {
  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp(s, "0") == 0) {
    *out = 0;
    return 0;
  }
  double total = 0;
  const char *p = s;
  while (*p) {
    char *end = NULL;
    if (!isdigit((unsigned char)*p) && *p != '.')
      return -1;
    double v = strtod(p, &end);
    if (end == p)
      return -1;
    p = end;
    double unit;
    if (strncmp(p, "ns", 2) == 0)
      unit = 1, p += 2;
    else if (strncmp(p, "us", 2) == 0 || strncmp(p, "\xc2\xb5s", 3) == 0)
      unit = 1e3, p += (*p == 'u' ? 2 : 3);
    else if (strncmp(p, "ms", 2) == 0)
      unit = 1e6, p += 2;
    else if (*p == 's')
      unit = 1e9, p++;
    else if (*p == 'm')
      unit = 60e9, p++;
    else if (*p == 'h')
      unit = 3600e9, p++;
    else
      return -1;
    total += v * unit;
  }
  if (total >= 9.2e18)
    return -1;
  *out = (int64_t)total;
  return 0;
}
