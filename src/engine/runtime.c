/* The engine's path to the runtime: the runtime library through its public header
 * (include/hull/runtime.h), called in-process for kill, pause, delete, stats and exec, and
 * hull-monitor, the one process per container that creates and starts it. Nothing here
 * executes hull-runtime: a fork+exec per operation is where Podman loses its time. */
#include <errno.h>
#include <fcntl.h>
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

int hull_monitor_spawn(hull_engine *e, hull_ctr *c, int config_fd, int *status_fd, hull_err *err) {
  cleanup_free char *mj = hull_ctr_path(e, c->id, "monitor.json");
  cleanup_free char *bin = NULL;
  if (mj == NULL || asprintf(&bin, "%s/hull-monitor", e->bindir) < 0)
    return hull_error(err, ENOMEM, "start the monitor");
  if (access(bin, X_OK) < 0)
    return hull_error_sys(err, "start the monitor: %s (installed next to hull)", bin);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return hull_error_sys(err, "fork the monitor");
  }
  if (pid == 0) {
    /* The monitor outlives this command: it keeps none of its fds (a caller reading our
     * output until its end would wait for the container's), and its own diagnostics go
     * to monitor.log next to the container's log. */
    setsid();
    cleanup_free char *mlog = hull_ctr_path(e, c->id, "monitor.log");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int lfd = mlog ? open(mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    /* monitor.json's memfd is moved above 4 first, where the dup2 onto 3 cannot hit it. */
    int cfd = fcntl(config_fd, F_DUPFD, 5);
    if (null < 0 || cfd < 0 || dup2(p[1], 3) < 0 || dup2(cfd, 4) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
        dup2(lfd >= 0 ? lfd : null, 2) < 0)
      _exit(125);
    hull_err ce = NULL;
    if (hull_close_fds_from(5, &ce) < 0)
      hull_error_release(&ce); /* nothing to report to: the fds stay open */
    /* The path names the container for ps and pgrep; the text is fd 4's. */
    execl(bin, bin, mj, "4", (char *)NULL);
    _exit(125);
  }
  close(p[1]);
  *status_fd = p[0];
  return 0;
}
