/* start, kill, delete, state, list, ps, pause/resume: commands on an existing
 * container, each re-deriving the truth from the state dir and the pid. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "cgroup.h"
#include "cleanup-types.h"
#include "container.h"
#include "hooks.h"
#include "rootfs.h"
#include "status.h"

/* Loads the state of a container and derives its status. With lock, the container's
 * lock is taken first and kept in *lock: a status derived before waiting for the lock
 * is stale once it is held (the init may have died and its pid been reused meanwhile).
 * With pidfd, a live init's pidfd (hull_state_pidfd) goes there, else -1: every signal
 * to the init goes through it, never through the recorded pid. */
static int load(const struct hull_runtime *rt, const char *id, int *lock, struct hull_state **st,
                enum hull_status *status, int *pidfd, hull_err *err) {
  if (pidfd)
    *pidfd = -1;
  if (hull_id_validate(id, err) < 0)
    return -1;
  cleanup_close int fd = lock ? hull_state_lock(rt->root, id, err) : -1;
  if (lock && fd < 0)
    return -1;
  if (hull_state_load(rt->root, id, st, err) < 0)
    return -1;
  if (status)
    *status = hull_state_status_pidfd(rt->root, *st, pidfd);
  if (lock)
    *lock = take_fd(&fd);
  return 0;
}

/* The hooks of the config taken at create (editing the bundle later changes nothing): as
 * the state recorded them, or, in a state written before they were recorded, from the
 * config copy. NULL when that cannot be read: there are no hooks to run then. The file
 * is read whole and parsed from memory: jansson's json_load_file reads it a character
 * at a time through stdio. The caller owns the reference. */
static json_t *load_hooks(const struct hull_runtime *rt, const struct hull_state *st) {
  if (st->hooks)
    return json_incref(st->hooks);
  char path[PATH_MAX];
  if (hull_state_config_path(path, sizeof(path), rt->root, st) < 0)
    return NULL;
  size_t len;
  hull_err e = NULL;
  cleanup_free char *text = hull_read_file(path, &len, &e);
  if (text == NULL) {
    hull_error_release(&e); /* no config copy: no hooks, as documented above */
    return NULL;
  }
  cleanup_json json_t *cfg = json_loadb(text, len, 0, NULL);
  json_t *hooks = json_object_get(cfg, "hooks");
  return hooks ? json_incref(hooks) : NULL;
}

static char *state_string(const struct hull_state *st, enum hull_status status) {
  cleanup_json json_t *j = hull_state_to_oci(st, status);
  return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

/* Releases the init waiting on exec.fifo and reads its verdict: "0" once the
 * startContainer hooks ran, else "1" and the error ("0", "1" and the error: the init
 * failed after the hooks, at its execve). */
static int release_init(const struct hull_runtime *rt, const char *id, hull_err *err) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), rt->root, id, "exec.fifo") < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", id);
  /* Opening the read side releases the init blocked on the write side. */
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s", path);
  char buf[4096];
  ssize_t n = hull_read_all(fd, buf, sizeof(buf) - 1);
  unlink(path);
  if (n <= 0)
    return hull_error(err, 0, "container %s: the init process exited before start", id);
  buf[n] = '\0';
  if (buf[0] != '0')
    return hull_error(err, 0, "start container %s: %s", id, n > 1 ? buf + 1 : "the init process failed");
  if (n > 1)
    return hull_error(err, 0, "start container %s: %s", id, n > 2 ? buf + 2 : "the init process failed");
  return 0;
}

int hull_container_start(const struct hull_runtime *rt, const char *id, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  cleanup_close int lock = -1;
  if (load(rt, id, &lock, &st, &status, NULL, err) < 0)
    return -1;
  /* runc's texts: callers (containerd's shim, podman) match on them. */
  if (status == HULL_STOPPED)
    return hull_error(err, 0, "cannot start a container that has stopped");
  if (status == HULL_PAUSED)
    return hull_error(err, 0, "cannot start a container in the paused state");
  if (status != HULL_CREATED)
    return hull_error(err, 0, "cannot start an already running container");
  if (release_init(rt, id, err) < 0)
    return -1;
  cleanup_json json_t *hooks = load_hooks(rt, st);
  cleanup_free char *sj = state_string(st, HULL_RUNNING);
  hull_hooks_run_warn(hooks, "poststart", sj ? sj : "{}");
  return 0;
}

int hull_container_kill(const struct hull_runtime *rt, const char *id, int sig, bool all, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  cleanup_close int lock = -1, pidfd = -1;
  if (load(rt, id, &lock, &st, &status, &pidfd, err) < 0)
    return -1;
  if (status == HULL_STOPPED && all) {
    /* Like runc: kill --all of a stopped container still signals what is left in its
     * cgroup (children of an init in the host's pid namespace; containerd's shim sends
     * this when such an init exits) and succeeds when nothing is left. */
    cleanup_cgroup hull_cgroup *cg = NULL;
    cleanup_err hull_err local = NULL; /* a cgroup already gone has nothing left to signal */
    if (st->cgroup && (hull_cgroup_from_json(st->cgroup, &cg, &local) < 0 || hull_cgroup_kill(cg, sig, &local) < 0))
      hull_debug("kill --all of stopped container %s: %s", id, local->msg);
    return 0;
  }
  if (status == HULL_STOPPED)
    return hull_error_code(err, ESRCH, "container not running");
  if (all && st->cgroup) {
    cleanup_cgroup hull_cgroup *cg = NULL;
    if (hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
      return -1;
    return hull_cgroup_kill(cg, sig, err) < 0 ? -1 : 0;
  }
  /* Only through the pidfd of the process checked: never kill(2) the recorded pid,
   * which may belong to someone else by now. An init that died since the check
   * answers ESRCH, as a stopped container. */
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
    return 0;
  if (errno == ESRCH)
    return hull_error_code(err, ESRCH, "container not running");
  return hull_error_sys(err, "kill container %s with signal %d", id, sig);
}

/* Waits (at most 2 s) until the process of pidfd has exited. */
static void wait_gone(int pidfd) {
  struct pollfd p = {.fd = pidfd, .events = POLLIN};
  while (poll(&p, 1, 2000) < 0 && errno == EINTR)
    ;
}

int hull_container_remove(const struct hull_runtime *rt, const char *id, hull_cgroup *cg, json_t *hooks,
                          const char *state_json, hull_err *err) {
  if (cg && hull_cgroup_destroy(cg, err) < 0)
    return -1;
  hull_debug("delete: cgroup destroyed");
  if (hull_state_dir_remove(rt->root, id, err) < 0)
    return -1;
  hull_hooks_run_warn(hooks, "poststop", state_json ? state_json : "{}");
  return 0;
}

/* Kills everything of a created (runc deletes those without --force) or forced
 * container and waits for the init to be gone. */
static void kill_all(hull_cgroup *cg, const struct hull_state *st, int pidfd) {
  if (cg) {
    /* Best effort: a cgroup without a freezer or already empty fails here, and what is
     * left is killed again when the cgroup is destroyed. */
    cleanup_err hull_err e = NULL;
    /* An init moved into a frozen cgroup elsewhere must thaw to die. */
    hull_cgroup_reclaim(cg, st->pid);
    if (hull_cgroup_freeze(cg, false, &e) < 0)
      hull_error_release(&e);
    if (hull_cgroup_kill(cg, SIGKILL, &e) < 0)
      hull_error_release(&e);
  }
  if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0)
    wait_gone(pidfd);
}

int hull_container_delete(const struct hull_runtime *rt, const char *id, bool force, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  cleanup_close int lock = -1, pidfd = -1;
  if (load(rt, id, &lock, &st, &status, &pidfd, err) < 0) {
    /* Nothing to delete, but perhaps debris of interrupted runs to sweep (an empty
     * directory of the id, unpublished creates). */
    if (hull_id_validate(id, NULL) == 0)
      hull_state_gc(rt->root, id);
    return -1;
  }
  /* load took the lock first, and a create holds it until it has recorded its result or
   * died: "creating" can only be seen here for a create that never takes the lock. */
  if ((status == HULL_CREATING || status == HULL_RUNNING || status == HULL_PAUSED) && !force)
    return hull_error(err, 0, "cannot delete container %s that is not stopped: %s", id, hull_status_name(status));
  cleanup_cgroup hull_cgroup *cg = NULL;
  if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
    return -1;
  if (status != HULL_STOPPED && st->pid > 0)
    kill_all(cg, st, pidfd);
  hull_debug("delete: processes gone");
  cleanup_json json_t *hooks = load_hooks(rt, st);
  cleanup_free char *sj = state_string(st, HULL_STOPPED);
  if (hull_rootfs_release_host_mount(st->rootfs, st->host_mount_id, err) < 0 ||
      hull_container_remove(rt, id, cg, hooks, sj, err) < 0)
    return -1;
  return 0;
}

json_t *hull_container_state(const struct hull_runtime *rt, const char *id, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  if (load(rt, id, NULL, &st, &status, NULL, err) < 0)
    return NULL;
  return hull_state_to_oci(st, status);
}

json_t *hull_container_list(const struct hull_runtime *rt, hull_err *err) {
  hull_state_gc(rt->root, NULL);
  json_t *out = json_array();
  if (out == NULL) {
    hull_error(err, ENOMEM, "list %s", rt->root);
    return NULL;
  }
  cleanup_dir DIR *d = opendir(rt->root);
  if (d == NULL) {
    if (errno == ENOENT)
      return out;
    json_decref(out);
    hull_error_sys(err, "open %s", rt->root);
    return NULL;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.')
      continue;
    cleanup_err hull_err e = NULL; /* being created or deleted right now: skipped */
    cleanup_state struct hull_state *st = NULL;
    if (hull_state_load(rt->root, de->d_name, &st, &e) < 0)
      continue;
    json_t *one = hull_state_to_oci(st, hull_state_status(rt->root, st));
    /* json_array_append_new takes one even when it fails. */
    if (one == NULL || json_array_append_new(out, one) < 0) {
      json_decref(out);
      hull_error(err, ENOMEM, "list %s", rt->root);
      return NULL;
    }
  }
  return out;
}

int hull_container_pids(const struct hull_runtime *rt, const char *id, pid_t **pids, size_t *n, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  /* The pidfd only proves that the recorded pid is still the init's. */
  cleanup_close int pidfd = -1;
  if (load(rt, id, NULL, &st, &status, &pidfd, err) < 0)
    return -1;
  if (status == HULL_STOPPED) {
    *pids = NULL;
    *n = 0;
    return 0;
  }
  if (st->cgroup) {
    cleanup_cgroup hull_cgroup *cg = NULL;
    if (hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
      return -1;
    return hull_cgroup_pids(cg, pids, n, err);
  }
  *pids = malloc(sizeof(pid_t));
  if (*pids == NULL)
    return hull_error(err, ENOMEM, "ps %s", id);
  **pids = st->pid;
  *n = 1;
  return 0;
}

/* The cgroup of a container that is not stopped (for pause, resume and update), with
 * the container's lock held in *lock. */
static hull_cgroup *live_cgroup(const struct hull_runtime *rt, const char *id, int *lock, enum hull_status *status,
                                hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  hull_cgroup *cg = NULL;
  if (load(rt, id, lock, &st, status, NULL, err) < 0)
    return NULL;
  if (*status == HULL_STOPPED)
    hull_error_code(err, ESRCH, "container not running");
  else if (st->cgroup == NULL)
    hull_error(err, 0, "container %s has no cgroup", id);
  else if (hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
    cg = NULL; /* err says why; *out is only set on success */
  return cg;
}

int hull_container_pause(const struct hull_runtime *rt, const char *id, bool pause, hull_err *err) {
  enum hull_status status = HULL_CREATED;
  cleanup_err hull_err local = NULL;
  cleanup_close int lock = -1;
  cleanup_cgroup hull_cgroup *cg = live_cgroup(rt, id, &lock, &status, &local);
  if (cg == NULL) {
    /* runc answers resume of a stopped container with "container not paused". */
    if (!pause && status == HULL_STOPPED)
      return hull_error(err, 0, "container not paused");
    if (err)
      *err = steal_pointer(&local);
    return -1;
  }
  /* runc's texts. (runc also pauses a created container; here only a running one.) */
  if (pause && status != HULL_RUNNING)
    return hull_error(err, 0, "container not running");
  if (!pause && status != HULL_PAUSED)
    return hull_error(err, 0, "container not paused");
  return hull_cgroup_freeze(cg, pause, err);
}

int hull_container_update(const struct hull_runtime *rt, const char *id, json_t *resources, hull_err *err) {
  enum hull_status status;
  cleanup_close int lock = -1;
  cleanup_cgroup hull_cgroup *cg = live_cgroup(rt, id, &lock, &status, err);
  if (cg == NULL || hull_cgroup_update(cg, resources, err) < 0)
    return hull_error_wrap(err, "update container %s", id);
  return 0;
}

int hull_container_sample(const struct hull_runtime *rt, const char *id, bool *stopped, json_t **stats,
                          long long *oom_kills, int *under_oom, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  if (load(rt, id, NULL, &st, &status, NULL, err) < 0)
    return -1;
  *stopped = status == HULL_STOPPED;
  *oom_kills = -1;
  if (under_oom)
    *under_oom = -1;
  if (stats)
    *stats = NULL;
  if (st->cgroup == NULL) {
    if (*stopped || stats == NULL)
      return 0;
    return hull_error(err, 0, "container %s has no cgroup", id);
  }
  cleanup_cgroup hull_cgroup *cg = NULL;
  if (hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
    return -1;
  /* Read even when stopped: an init killed by the OOM killer stops the container at once,
   * and the caller must still see the kill. */
  *oom_kills = hull_cgroup_oom_kills(cg);
  if (under_oom)
    *under_oom = hull_cgroup_under_oom(cg);
  if (*stopped || stats == NULL)
    return 0;
  *stats = hull_cgroup_stats(cg, err);
  return *stats ? 0 : -1;
}

int hull_container_watch(const struct hull_runtime *rt, const char *id, int *oom_fd, int *exit_fd, hull_err *err) {
  cleanup_state struct hull_state *st = NULL;
  enum hull_status status;
  *oom_fd = *exit_fd = -1;
  /* The pidfd is of exactly the process checked: a reused pid cannot keep it open. */
  cleanup_close int pidfd = -1;
  if (load(rt, id, NULL, &st, &status, &pidfd, err) < 0)
    return -1;
  if (status == HULL_STOPPED)
    return hull_error(err, ESRCH, "container %s is not running", id);
  /* The exit fd is useful on its own even when the OOM watch fails. */
  *exit_fd = take_fd(&pidfd);
  if (st->cgroup == NULL)
    return hull_error(err, 0, "container %s has no cgroup", id);
  cleanup_cgroup hull_cgroup *cg = NULL;
  if (hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
    return -1;
  *oom_fd = hull_cgroup_oom_watch(cg, err);
  return *oom_fd < 0 ? -1 : 0;
}
