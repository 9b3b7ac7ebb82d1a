/* The engine's path to the runtime: the runtime library through its public header
 * (include/hull/runtime.h), called in-process for kill, pause, delete, stats and exec, and
 * hull-monitor, the one process per container that creates and starts it. Nothing here
 * executes hull-runtime: a fork+exec per operation is where Podman loses its time. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"

/* The library's warnings (a poststop hook that failed) go to our stderr. It may call this
 * from its short-lived children too: one write(2), nothing buffered, no lock. */
static void rt_log(void *ud, enum hull_rt_log_level level, const char *msg) {
  (void)ud;
  if (level == HULL_RT_LOG_DEBUG || level == HULL_RT_LOG_INFO)
    return;
  char buf[1024];
  int n = snprintf(buf, sizeof(buf), "hull: runtime: %s\n", msg);
  if (n > (int)sizeof(buf) - 1)
    n = (int)sizeof(buf) - 1;
  if (n > 0 && write(2, buf, (size_t)n) < 0) {
    /* Nowhere else to say it. */
  }
}

struct hull_rt *hull_engine_rt(hull_engine *e, hull_err *err) {
  if (e->rt)
    return e->rt;
  cleanup_free char *root = NULL;
  if (asprintf(&root, "%s/runtime", e->runroot) < 0) {
    hull_error(err, ENOMEM, "open the runtime");
    return NULL;
  }
  /* The monitor creates every container with cgroupfs (monitor.json's systemd_cgroup):
   * the same manager must find them again. */
  struct hull_rt_config rc = {.root = root, .systemd_cgroup = false, .log = rt_log, .log_fd = -1};
  if (hull_rt_open(&rc, &e->rt, err) < 0)
    return NULL;
  return e->rt;
}

void hull_engine_rt_forget(hull_engine *e, const char *id) {
  hull_err ign = NULL;
  struct hull_rt *rt = hull_engine_rt(e, &ign);
  /* Failures are not reported: an id the runtime does not know (never started, or
   * deleted by its monitor) is the common case, and the caller checks the process. */
  if (rt == NULL || hull_rt_delete(rt, id, true, &ign) < 0)
    hull_error_release(&ign);
}

extern char **environ;

/* The monitor's file descriptors: the status pipe on 3, monitor.json's memfd on 4 (cfd is
 * at 5 or above, where the dup onto 3 cannot hit it), /dev/null on 0 and 1, monitor.log
 * (lfd, or /dev/null without it) on 2, nothing else. */
static int spawn_fds(posix_spawn_file_actions_t *fa, int status_w, int cfd, int lfd) {
  int rc = posix_spawn_file_actions_adddup2(fa, status_w, 3);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(fa, cfd, 4);
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDWR, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(fa, 0, 1);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(fa, lfd >= 0 ? lfd : 0, 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(fa, 5);
  return rc;
}

/* posix_spawn, not fork: glibc's shares this process's memory with the child until the
 * exec (CLONE_VM | CLONE_VFORK), where a fork copied the CLI's page tables and left every
 * page it wrote afterwards to fault once (0.2-0.3 ms of a run's start). */
int hull_monitor_spawn(hull_engine *e, hull_ctr *c, int config_fd, int *status_fd, hull_err *err) {
  cleanup_free char *mj = hull_ctr_path(e, c->id, "monitor.json");
  cleanup_free char *mlog = hull_ctr_path(e, c->id, "monitor.log");
  cleanup_free char *bin = NULL;
  if (mj == NULL || mlog == NULL || asprintf(&bin, "%s/hull-monitor", e->bindir) < 0)
    return hull_error(err, ENOMEM, "start the monitor");
  if (access(bin, X_OK) < 0)
    return hull_error_sys(err, "start the monitor: %s (installed next to hull)", bin);
  cleanup_close int cfd = fcntl(config_fd, F_DUPFD_CLOEXEC, 5);
  if (cfd < 0)
    return hull_error_sys(err, "start the monitor: dup monitor.json");
  /* Without its log (a full disk) the monitor runs all the same, its diagnostics lost.
   * Above 4 too, where no dup of spawn_fds overwrites it before it is used. */
  cleanup_close int lfd = open(mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (lfd >= 0 && lfd < 5) {
    int high = fcntl(lfd, F_DUPFD_CLOEXEC, 5);
    close(lfd);
    lfd = high;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  cleanup_close int status_w = p[1];
  /* The monitor outlives this command: it keeps none of its fds (a caller reading our
   * output until its end would wait for the container's), has a session of its own, and
   * its own diagnostics go to monitor.log next to the container's log. */
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc == 0 && (rc = posix_spawnattr_init(&attr)) != 0)
    posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    close(p[0]);
    return hull_error(err, rc, "start the monitor");
  }
  pid_t pid;
  rc = spawn_fds(&fa, status_w, cfd, lfd);
  if (rc == 0)
    rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  /* The path names the container for ps and pgrep; the text is fd 4's. */
  char *const argv[] = {bin, mj, "4", NULL};
  if (rc == 0)
    rc = posix_spawn(&pid, bin, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    close(p[0]);
    return hull_error(err, rc, "start the monitor %s", bin);
  }
  *status_fd = p[0];
  return 0;
}
