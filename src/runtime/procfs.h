/* Every access of the runtime to procfs goes through one verified handle.
 *
 * A container's /proc is whatever its rootfs and mounts make of it: a directory full of
 * planted files (CVE-2019-16884), a symlink (CVE-2019-19921), or a real procfs with a
 * volume mounted over part of it so that a write meant for /proc/sys lands somewhere
 * else (CVE-2025-52881). So the runtime never opens a /proc path by name inside the
 * container. It opens the host's /proc once, before it enters any container namespace,
 * checks that it is the root of a procfs (filesystem magic and root inode), and resolves
 * every later path beneath that fd without crossing a mount or following a magic link.
 * The fd is close-on-exec and the process holding it is non-dumpable, so the container
 * never sees it. */
#ifndef HULL_RUNTIME_PROCFS_H
#define HULL_RUNTIME_PROCFS_H

#include <stddef.h>
#include <stdio.h>

#include "../common/error.h"

/* Opens and verifies the procfs root (O_PATH, close-on-exec) as an fd >= min_fd, so that
 * it stays clear of the fds a caller asked to preserve. Call it before cloning a child
 * that will enter a container: the child inherits it. */
int hull_procfs_init(int min_fd, hull_err *err) HULL_WUR;
/* The verified root; opened here on first use if hull_procfs_init() was not called. */
int hull_procfs_root(hull_err *err) HULL_WUR;
/* Closes the root (e.g. before the init waits for `start` in the container). */
void hull_procfs_close(void);
/* Replaces the handle with a procfs of the caller's current pid namespace that nothing
 * else can see or mount over: a fresh, detached instance (fsopen + fsmount), or where the
 * new mount API is missing, the /proc of the current root, verified. Called once the
 * process is where container processes can see it (the host's /proc would give them the
 * host's root through /proc/PID/fd). */
int hull_procfs_private(hull_err *err) HULL_WUR;
/* A detached procfs mount (an fd >= min_fd, close-on-exec) of the pid namespace pidns_fd,
 * through proc's "pidns" option (Linux 6.18): the runtime's first stage, outside that
 * namespace, can mount what the container's process would see from inside it, so that
 * no privileged process ever enters a pid namespace shared with running containers
 * (init.c). ms_flags are mount(2) flags (MS_NOSUID, MS_RDONLY, ...), data proc's
 * options ("hidepid=2,subset=pid"). */
int hull_procfs_mount_of(int pidns_fd, int min_fd, unsigned long ms_flags, const char *data, hull_err *err) HULL_WUR;
/* Makes fd (from hull_procfs_mount_of) the handle, closing the previous one. */
void hull_procfs_set_root(int fd);
/* Opens PATH relative to /proc ("self/oom_score_adj", "sys/net/ipv4/ip_forward",
 * "1234/uid_map"); symlinks are followed only inside procfs (e.g. "self"), never across
 * a mount, and the result is checked to be on procfs. */
int hull_procfs_open(const char *path, int flags, hull_err *err) HULL_WUR;
int hull_procfs_write(const char *path, const char *data, size_t len, hull_err *err) HULL_WUR;
char *hull_procfs_read(const char *path, size_t *len, hull_err *err) HULL_WUR;

#endif
