/* The runtime library as the monitor uses it: run, exec, kill, OOM, delete.
 *
 * Until the public header (include/hull/runtime.h) lands, this is the one file that uses
 * the runtime's internal entry points (src/runtime/container.h); its interface (monitor.h)
 * is shaped like that header so that the switch stays inside this file. The internal
 * calls give the container the caller's fds 0-2 as its stdio and take a terminal only
 * through a console socket, so this file lends them: it puts the container's pipes on
 * 0-2 around the call, and receives the pty master on a private socket. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../runtime/container.h"
#include "../runtime/selfexe.h"
#include "monitor.h"

struct mon_rt {
  struct hull_runtime rt;
  char *root, *id, *bundle, *console_path, *pid_path;
  bool tty;
};

int mon_rt_open(const struct mon_config *c, struct mon_rt **out, hull_err *err) {
  struct mon_rt *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return hull_error(err, ENOMEM, "runtime");
  r->root = strdup(c->runtime_root);
  r->id = strdup(c->id);
  r->bundle = strdup(c->bundle);
  if (asprintf(&r->console_path, "%s.console", c->attach_socket) < 0)
    r->console_path = NULL;
  if (asprintf(&r->pid_path, "%s.initpid", c->attach_socket) < 0)
    r->pid_path = NULL;
  if (r->root == NULL || r->id == NULL || r->bundle == NULL || r->console_path == NULL || r->pid_path == NULL) {
    mon_rt_close(r);
    return hull_error(err, ENOMEM, "runtime");
  }
  r->rt = (struct hull_runtime){.root = r->root, .systemd_cgroup = c->systemd_cgroup};
  r->tty = c->tty;
  *out = r;
  return 0;
}

void mon_rt_close(struct mon_rt *r) {
  if (r == NULL)
    return;
  free(r->root);
  free(r->id);
  free(r->bundle);
  free(r->console_path);
  free(r->pid_path);
  free(r);
}

/* Docker's exit codes for a failed start: 127 when the command is not found, 126 when it
 * cannot be executed, 125 for every other failure. The runtime reports the container's
 * failed execve as "exec PATH: <errno text>" (or "exec: "x": executable file not found
 * in $PATH"), so only an error of that shape is the command's fault. */
static int start_exit_code(const hull_err e) {
  const char *m = e->msg ? e->msg : "";
  const char *x = strstr(m, "exec");
  if (x == NULL || (x != m && !(x >= m + 2 && x[-2] == ':' && x[-1] == ' ')))
    return 125;
  if (e->errno_ == ENOENT)
    return 127;
  if (e->errno_ == EACCES || e->errno_ == EPERM || e->errno_ == ENOEXEC || e->errno_ == EISDIR)
    return 126;
  return 125;
}

/* Puts stdio on 0-2 for the duration of a call; saved[] gets the originals back. */
static int lend_stdio(const int stdio[3], int saved[3], hull_err *err) {
  for (int i = 0; i < 3; i++)
    saved[i] = -1;
  for (int i = 0; i < 3; i++) {
    saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
    if (saved[i] < 0 || dup2(stdio[i], i) < 0)
      return hull_error_sys(err, "set up the container's stdio");
  }
  return 0;
}

static void restore_stdio(int saved[3]) {
  for (int i = 0; i < 3; i++)
    if (saved[i] >= 0) {
      if (dup2(saved[i], i) < 0)
        hull_warn("restore fd %d: %s", i, strerror(errno));
      close(saved[i]);
    }
}

static int console_listen(struct mon_rt *r, hull_err *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(r->console_path) >= sizeof(sa.sun_path))
    return hull_error(err, ENAMETOOLONG, "console socket %s", r->console_path);
  strcpy(sa.sun_path, r->console_path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hull_error_sys(err, "console socket");
  unlink(r->console_path);
  if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
    return hull_error_sys(err, "console socket %s", r->console_path);
  return take_fd(&fd);
}

/* The pty master the runtime sent to the console socket during create. */
static int console_receive(struct mon_rt *r, int lfd, hull_err *err) {
  cleanup_close int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (c < 0)
    return hull_error_sys(err, "console socket %s: accept", r->console_path);
  int fd = -1;
  char name[256];
  if (hull_recv_fd(c, &fd, name, sizeof(name), err) < 0)
    return -1;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    close(fd);
    return hull_error_sys(err, "pty master");
  }
  return fd;
}

int mon_rt_run(struct mon_rt *r, const int stdio[3], struct mon_proc *out, int *exit_code, hull_err *err) {
  *out = (struct mon_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  *exit_code = 125;
  cleanup_close int lfd = r->tty ? console_listen(r, err) : -1;
  if (r->tty && lfd < 0)
    return -1;
  struct hull_create_opts o = {.id = r->id,
                               .bundle = r->bundle,
                               .run = true,
                               .detach = true,
                               .pid_file = r->pid_path,
                               .console_socket = r->tty ? r->console_path : NULL};
  int saved[3], status = 0, rc = 0;
  if (!r->tty)
    rc = lend_stdio(stdio, saved, err);
  if (rc == 0)
    rc = hull_container_create(&r->rt, &o, &status, err);
  if (!r->tty)
    restore_stdio(saved);
  if (r->tty)
    unlink(r->console_path);
  if (rc < 0) {
    *exit_code = start_exit_code(*err);
    return -1;
  }
  /* The init's pid from the pid file the runtime wrote (the state's pid reads 0 once
   * the init has exited, which a short command does at once). It is our child, so the
   * number stays its own until we reap it. */
  size_t len;
  cleanup_free char *text = hull_read_file(r->pid_path, &len, err);
  unlink(r->pid_path);
  if (text == NULL)
    return -1;
  out->pid = (pid_t)atoi(text);
  if (out->pid <= 0)
    return hull_error(err, EINVAL, "container %s: bad pid file %s", r->id, r->pid_path);
  out->pidfd = (int)syscall(SYS_pidfd_open, out->pid, 0);
  if (r->tty && (out->pty_master = console_receive(r, lfd, err)) < 0)
    return -1;
  return 0;
}

int mon_rt_exec(struct mon_rt *r, char **argv, const int stdio[3], pid_t *pid, hull_err *err) {
  /* The internal exec waits for the process: a child of ours does that and exits with
   * its status, so that the monitor's loop goes on. */
  pid_t p = fork();
  if (p < 0)
    return hull_error_sys(err, "fork");
  if (p > 0) {
    *pid = p;
    return 0;
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  mon_oom_for_child(true);
  for (int i = 0; i < 3; i++)
    if (dup2(stdio[i], i) < 0)
      _exit(125);
  struct hull_exec_opts o = {.id = r->id, .args = argv, .tty = 0};
  int status = 125;
  hull_err e = NULL;
  if (hull_container_exec(&r->rt, &o, &status, &e) < 0) {
    /* The probe's output is what the health log shows. */
    dprintf(2, "%s\n", e->msg);
    _exit(start_exit_code(e));
  }
  _exit(status);
}

int mon_rt_kill(struct mon_rt *r, int sig, hull_err *err) {
  return hull_container_kill(&r->rt, r->id, sig, false, err);
}

bool mon_rt_oom_killed(struct mon_rt *r) {
  hull_err e = NULL;
  bool stopped;
  long long kills = -1;
  int under = -1;
  if (hull_container_sample(&r->rt, r->id, &stopped, NULL, &kills, &under, &e) < 0) {
    hull_warn("%s", e->msg);
    hull_error_release(&e);
    return false;
  }
  return kills > 0;
}

int mon_rt_delete(struct mon_rt *r, hull_err *err) { return hull_container_delete(&r->rt, r->id, true, err); }

/* CVE-2019-5736: until the container's process runs, its init is a copy of this process,
 * and /proc/PID/exe of it is our binary. With a new pid namespace the runtime executes the
 * process through its sealed hull-exec, and nothing of the container can see the init
 * before that; any other container (sharing a pid namespace) could reach our binary, so
 * the monitor then runs from a sealed in-memory copy of itself (re-executed now, before
 * anything is open: fd 3 is still inherited). That copy costs the binary's size in
 * memory per such container; the engine's default (a pid namespace per container) never
 * pays it. */
int mon_rt_protect(const char *bundle, char **argv, hull_err *err) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/config.json", bundle) < 0)
    return hull_error(err, ENOMEM, "%s", bundle);
  json_error_t je;
  cleanup_json json_t *cfg = json_load_file(path, 0, &je);
  if (cfg == NULL)
    return hull_error(err, EINVAL, "%s: %s", path, je.text);
  json_t *ns = json_object_get(json_object_get(cfg, "linux"), "namespaces");
  size_t i;
  json_t *v;
  json_array_foreach(ns, i, v) {
    const char *t = json_string_value(json_object_get(v, "type"));
    if (t && strcmp(t, "pid") == 0 && json_object_get(v, "path") == NULL)
      return 0;
  }
  return hull_selfexe_protect(argv, err);
}
