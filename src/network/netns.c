#include "network/netns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "network/netlink.h"

struct make_args {
  const char *path;
  int errno_;
  const char *step;
  hull_err err; /* of bringing lo up */
  hull_nl *nl;  /* the socket that did, for the caller when it wants it */
  bool keep_nl;
};

/* unshare(CLONE_NEWNET) moves only the calling thread, which ends right after. While in
 * the new namespace it also brings lo up (a netlink socket made here is the namespace's),
 * which saves a second thread that would setns into it. */
static void *make_in_thread(void *arg) {
  struct make_args *a = arg;
  char self[64];
  if (unshare(CLONE_NEWNET) < 0) {
    a->errno_ = errno;
    a->step = "unshare";
    return NULL;
  }
  snprintf(self, sizeof(self), "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
  if (mount(self, a->path, NULL, MS_BIND, NULL) < 0) {
    a->errno_ = errno;
    a->step = "bind mount";
    return NULL;
  }
  cleanup_nl hull_nl *nl = NULL;
  if (hull_nl_open_here(a->path, &nl, &a->err) < 0 || hull_nl_link_set(nl, "lo", NULL, 0, true, &a->err) < 0)
    a->step = "lo up";
  else if (a->keep_nl)
    a->nl = steal_pointer(&nl);
  return NULL;
}

int hull_netns_create(hull_store *s, const char *ctr_id, const char *path, hull_err *err) {
  return hull_netns_create_nl(s, ctr_id, path, NULL, err);
}

int hull_netns_create_nl(hull_store *s, const char *ctr_id, const char *path, hull_nl **nl, hull_err *err) {
  if (s) {
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
        s, "INSERT OR REPLACE INTO net_objects (kind, name, container_id) VALUES ('netns', ?, ?)", err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ctr_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
      return hull_store_sqlerr(s, "record network namespace", err);
  }
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return hull_error_sys(err, "create %s", path);
  struct make_args a = {.path = path, .keep_nl = nl != NULL};
  pthread_t t;
  int e = pthread_create(&t, NULL, make_in_thread, &a);
  if (e != 0) {
    unlink(path);
    return hull_error(err, e, "network namespace %s: thread", path);
  }
  pthread_join(t, NULL);
  if (a.err) {
    *err = a.err;
    hull_err local = NULL;
    if (hull_netns_remove(path, &local) < 0)
      hull_error_release(&local); /* the first error is the one to report; gc retries */
    return hull_error_wrap(err, "network namespace %s", path);
  }
  if (a.step) {
    unlink(path);
    return hull_error(err, a.errno_, "network namespace %s: %s", path, a.step);
  }
  if (nl)
    *nl = a.nl;
  return 0;
}

int hull_netns_remove(const char *path, hull_err *err) {
  if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return hull_error_sys(err, "unmount %s", path);
  if (unlink(path) < 0 && errno != ENOENT)
    return hull_error_sys(err, "remove %s", path);
  return 0;
}
