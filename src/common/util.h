/* Small file, string and process helpers shared by every part of hull. */
#ifndef HULL_UTIL_H
#define HULL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* A pause in a polling loop (tells the CPU we spin; nothing where there is no such hint). */
static inline void hull_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/* Reads a whole file (at most 64 MiB); *len gets its length; the buffer is NUL-terminated. */
char *hull_read_file(const char *path, size_t *len, hull_err *err) HULL_WUR;
char *hull_read_file_at(int dirfd, const char *path, size_t *len, hull_err *err) HULL_WUR;
/* Reads an open fd to its end; path names it in errors. */
char *hull_read_fd(int fd, const char *path, size_t *len, hull_err *err) HULL_WUR;
/* Writes data to an existing file (no O_CREAT), e.g. a cgroup or /proc file. */
int hull_write_file(const char *path, const char *data, size_t len, hull_err *err) HULL_WUR;
int hull_write_file_at(int dirfd, const char *path, const char *data, size_t len, hull_err *err) HULL_WUR;
/* Atomically replaces dirfd/name with data: temp file, (fsync if durable), rename.
 * Runtime state lives only as long as the machine is up (it belongs on /run), so it
 * needs atomicity but not durability; persistent stores pass durable = true. */
int hull_write_file_atomic_at(int dirfd, const char *name, const char *data, size_t len, bool durable,
                              hull_err *err) HULL_WUR;
/* A new temporary file for name in dirfd (".NAME.<random>.tmp", O_EXCL and O_NOFOLLOW:
 * nothing already there is ever opened), its name into tmp; the fd (O_WRONLY|O_CLOEXEC) or
 * -1. What hull_write_file_atomic_at writes before its rename. */
int hull_create_temp_at(int dirfd, const char *name, mode_t mode, char *tmp, size_t tmp_len, hull_err *err) HULL_WUR;
/* Creates dirfd/name (mode 0600, which must not exist yet) with data, in place: for the
 * files of a directory that nothing reads until the caller's record says it is complete,
 * where a temporary file and a rename would only cost an inode and a directory update. A
 * file that exists already (a caller's mistake) is replaced atomically instead. Not
 * durable; on a failed write the partial file is removed. */
int hull_write_file_new_at(int dirfd, const char *name, const char *data, size_t len, hull_err *err) HULL_WUR;
/* mkdir -p with mode; existing directories are fine. */
int hull_mkdir_p(const char *path, mode_t mode, hull_err *err) HULL_WUR;
/* Marks the directory at dirfd as a top of directory hierarchies (chattr +T), so that ext4's
 * Orlov allocator places each directory made in it, and so that directory's files, in a
 * block group of its own choosing instead of next to the parent. ext4 without a journal
 * skips, one buffer lookup per inode, every inode freed in the last 30 s of the group it
 * allocates in: directories whose children come and go by the thousand (layers, the
 * containers' directories) otherwise pile every allocation onto the inodes just freed.
 * Best effort: other file systems (tmpfs, xfs, btrfs) ignore or refuse the flag. */
void hull_dir_spread(int dirfd);
/* Writes/reads all bytes, retrying on EINTR and short writes. */
ssize_t hull_write_all(int fd, const void *buf, size_t len) HULL_WUR;
ssize_t hull_read_all(int fd, void *buf, size_t len) HULL_WUR;
/* hull_write_all for a socket whose peer may be gone: send(2) with MSG_NOSIGNAL, so that
 * a closed peer is EPIPE, not a SIGPIPE. */
ssize_t hull_send_all(int fd, const void *buf, size_t len) HULL_WUR;

/* Parses a decimal integer; the whole string must be consumed. */
int hull_parse_int64(const char *s, int64_t *out) HULL_WUR;
bool hull_str_has_prefix(const char *s, const char *prefix);

/* Closes every fd >= from except those in keep[] (close_range where available). */
int hull_close_fds_from(int from, hull_err *err) HULL_WUR;
/* Closes every fd >= from except the n fds in keep (negative entries are ignored). */
int hull_close_fds_except(int from, const int *keep, size_t n, hull_err *err) HULL_WUR;
/* Marks every fd >= from close-on-exec. */
int hull_cloexec_fds_from(int from, hull_err *err) HULL_WUR;

/* Sends / receives one fd over a unix socket with SCM_RIGHTS. */
int hull_send_fd(int sock, int fd, const void *data, size_t len, hull_err *err) HULL_WUR;
int hull_recv_fd(int sock, int *fd, void *data, size_t len, hull_err *err) HULL_WUR;

/* Writes pid to path atomically (temp file + rename), as callers poll for it. The
 * temporary has a random name, is created O_EXCL|O_NOFOLLOW relative to the directory
 * (opened O_NOFOLLOW), so a symlink planted in a shared directory is never followed. */
int hull_write_pid_file(const char *path, pid_t pid, hull_err *err) HULL_WUR;
/* Waits for a child and returns its status as a shell would (128+N for signal N),
 * or -1 with errno if it cannot be waited for. */
int hull_wait_exit_status(pid_t pid) HULL_WUR;

/* Start time (field 22 of /proc/PID/stat), 0 if the process does not exist. */
unsigned long long hull_proc_start_time(pid_t pid);
/* This process's start time: read once per process (and thread), then remembered, for the
 * commands that record themselves as an owner several times. */
unsigned long long hull_self_start_time(void);
/* True while process PID is the one that had start time START (not a zombie, not a later
 * process that reused the pid); false for START 0, which names no process. */
bool hull_proc_alive(pid_t pid, unsigned long long start);
/* True while the process a file names as "PID START-TIME" (hull_proc_start_time's) lives;
 * false for a missing or malformed file and for a pid since reused. */
bool hull_owner_file_alive(const char *path);
/* Go's time.ParseDuration subset: "1h2m3s", "500ms", "1.5s", "10us", "0"; -1 for anything
 * else and for more than int64 ns (about 292 years), as Go refuses. */
int hull_parse_duration_ns(const char *s, int64_t *out) HULL_WUR;

#endif
