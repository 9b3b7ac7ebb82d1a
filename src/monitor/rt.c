/* The runtime library as the monitor uses it: run, exec, kill, wait (for the OOM kill),
 * delete. Through the public header only (include/hull/runtime.h): the library leaves
 * the monitor's own process as it was, and its container's init and exec'd processes
 * are the monitor's children. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "monitor.h"

struct mon_rt {
  struct hull_rt *rt;
  char *id, *bundle, *root;
  bool systemd_cgroup;
};

/* The library's messages, and the monitor's own warnings (src/common's log is one per
 * process), go to our stderr (the engine points it at a file or /dev/null). Called from
 * the library's children too: one write(2), nothing buffered. */
static void log_handler(void *ud, enum hull_rt_log_level level, const char *msg) {
  (void)ud;
  if (level == HULL_RT_LOG_DEBUG)
    return;
  char buf[1024];
  int n = snprintf(buf, sizeof(buf), "hull-monitor: %s\n", msg);
  if (n > (int)sizeof(buf) - 1)
    n = (int)sizeof(buf) - 1;
  if (n > 0 && write(2, buf, (size_t)n) < 0) {
    /* Nowhere else to say it. */
  }
}

int mon_rt_open(const struct mon_config *c, struct mon_rt **out, hull_err *err) {
  struct mon_rt *r = calloc(1, sizeof(*r));
  if (r == NULL)
    return hull_error(err, ENOMEM, "runtime");
  r->id = strdup(c->id);
  r->bundle = strdup(c->bundle);
  r->root = strdup(c->runtime_root);
  r->systemd_cgroup = c->systemd_cgroup;
  if (r->id == NULL || r->bundle == NULL || r->root == NULL) {
    mon_rt_close(r);
    return hull_error(err, ENOMEM, "runtime");
  }
  struct hull_rt_config rc = {
      .root = c->runtime_root, .systemd_cgroup = c->systemd_cgroup, .log = log_handler, .log_fd = -1};
  if (hull_rt_open(&rc, &r->rt, err) < 0) {
    mon_rt_close(r);
    return -1;
  }
  *out = r;
  return 0;
}

void mon_rt_close(struct mon_rt *r) {
  if (r == NULL)
    return;
  hull_rt_close(r->rt);
  free(r->id);
  free(r->bundle);
  free(r->root);
  free(r);
}

/* Docker's exit codes for a failed start: 127 when the command is not found, 126 when it
 * cannot be executed, 125 for every other failure. The runtime reports the container's
 * failed execve as "exec PATH: <errno text>" (or "exec: "x": executable file not found
 * in $PATH"), so only an error of that shape is the command's fault. */
static int start_exit_code(const hull_err e) {
  const char *m = hull_err_message(e);
  int en = hull_err_errno(e);
  const char *x = m ? strstr(m, "exec") : NULL;
  if (x == NULL || (x != m && !(x >= m + 2 && x[-2] == ':' && x[-1] == ' ')))
    return 125;
  if (en == ENOENT)
    return 127;
  if (en == EACCES || en == EPERM || en == ENOEXEC || en == EISDIR)
    return 126;
  return 125;
}

int mon_rt_run(struct mon_rt *r, const int stdio[3], struct mon_proc *out, int *exit_code, hull_err *err) {
  *out = (struct mon_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  *exit_code = 125;
  struct hull_create_params p = {.id = r->id,
                                 .bundle = r->bundle,
                                 .stdio = {stdio[0], stdio[1], stdio[2]},
                                 .start = true,
                                 /* The engine's bundle (its container directory) keeps config.json until the
                                  * container is removed, after the runtime's delete. */
                                 .config_in_bundle = true};
  struct hull_proc proc;
  if (hull_rt_create(r->rt, &p, &proc, err) < 0) {
    *exit_code = start_exit_code(*err);
    return -1;
  }
  *out = (struct mon_proc){.pid = proc.pid, .pidfd = proc.pidfd, .pty_master = proc.pty_master};
  return 0;
}

/* The process a probe runs as: the container's (user, env, cwd, capabilities, ...) with
 * other args and without a terminal, as Docker's exec of a health check. */
static json_t *exec_process(struct mon_rt *r, char **argv, hull_err *err) {
  cleanup_json json_t *cfg = NULL;
  if (hull_rt_config(r->rt, r->id, &cfg, err) < 0)
    return NULL;
  json_t *p = json_deep_copy(json_object_get(cfg, "process"));
  json_t *args = json_array();
  if (p == NULL || args == NULL) {
    json_decref(p);
    json_decref(args);
    hull_error(err, ENOMEM, "exec in %s", r->id);
    return NULL;
  }
  for (char **a = argv; *a; a++)
    json_array_append_new(args, json_string(*a));
  json_object_set_new(p, "args", args);
  json_object_set_new(p, "terminal", json_false());
  json_object_del(p, "consoleSize");
  return p;
}

static int exec_direct(struct mon_rt *r, char **argv, const int stdio[3], pid_t *pid, hull_err *err) {
  cleanup_json json_t *p = exec_process(r, argv, err);
  if (p == NULL)
    return -1;
  struct hull_proc proc;
  mon_oom_for_child(true);
  int rc = hull_rt_exec(r->rt, r->id, p, stdio, &proc, err);
  mon_oom_for_child(false);
  if (rc < 0)
    return -1;
  if (proc.pidfd >= 0)
    close(proc.pidfd);
  if (proc.pty_master >= 0)
    close(proc.pty_master);
  *pid = proc.pid;
  return 0;
}

/* An exec needs a sealed caller (the header's CVE-2019-5736 rule: the process joins the
 * container's pid namespace as a copy of its caller). A monitor that runs from its own
 * binary does not seal itself for good, which would cost a private copy of the binary
 * per container: a child of ours re-executes from a sealed copy for this one probe
 * (`hull-monitor --probe ...`, mon_rt_probe_main) and exits with the process's status. */
int mon_rt_exec(struct mon_rt *r, char **argv, const int stdio[3], pid_t *pid, hull_err *err) {
  if (hull_rt_sealed_p())
    return exec_direct(r, argv, stdio, pid, err);
  size_t n = 0;
  while (argv[n])
    n++;
  cleanup_free char **pargv = calloc(n + 6, sizeof(*pargv));
  if (pargv == NULL)
    return hull_error(err, ENOMEM, "health check");
  pargv[0] = "hull-monitor";
  pargv[1] = "--probe";
  pargv[2] = r->root;
  pargv[3] = r->id;
  pargv[4] = r->systemd_cgroup ? "systemd" : "cgroupfs";
  memcpy(pargv + 5, argv, n * sizeof(*argv));
  pid_t p = fork();
  if (p < 0)
    return hull_error_sys(err, "fork");
  if (p > 0) {
    *pid = p;
    return 0;
  }
  mon_oom_for_child(true);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int i = 0; i < 3; i++)
    if (dup2(stdio[i], i) < 0)
      _exit(125);
  hull_err e = NULL;
  if (hull_rt_seal_self(pargv, &e) < 0)
    dprintf(2, "%s\n", hull_err_message(e));
  _exit(125);
}

/* hull-monitor --probe ROOT ID CGROUP-MANAGER ARGS...: from a sealed copy, runs ARGS in the
 * container as mon_rt_exec does and exits with its status (126/127 when it cannot start,
 * as Docker's exec). SIGTERM (the monitor's timeout) kills the process. */
int mon_rt_probe_main(int argc, char **argv) {
  if (argc < 6)
    return 125;
  struct mon_config c = {
      .id = argv[3], .runtime_root = argv[2], .bundle = (char *)"", .systemd_cgroup = strcmp(argv[4], "systemd") == 0};
  struct mon_rt *r = NULL;
  hull_err e = NULL;
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, NULL);
  int stdio[3] = {0, 1, 2};
  pid_t pid;
  if (mon_rt_open(&c, &r, &e) < 0 || exec_direct(r, argv + 5, stdio, &pid, &e) < 0) {
    dprintf(2, "%s\n", hull_err_message(e));
    int code = start_exit_code(e);
    hull_err_free(&e);
    mon_rt_close(r);
    return code;
  }
  mon_rt_close(r);
  /* Our stdout is the probe's output pipe: only the process may hold it now. */
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 1);
    dup2(null, 2);
  }
  int status;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid)
      break;
    struct timespec ts = {.tv_nsec = 20 * 1000 * 1000};
    if (sigtimedwait(&term, NULL, &ts) == SIGTERM)
      kill(pid, SIGKILL);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int mon_rt_kill(struct mon_rt *r, int sig, hull_err *err) { return hull_rt_kill(r->rt, r->id, sig, false, err); }

int mon_rt_kill_all(struct mon_rt *r, int sig, hull_err *err) { return hull_rt_kill(r->rt, r->id, sig, true, err); }

bool mon_rt_oom_killed(struct mon_rt *r) {
  /* The init is reaped already (reap() in main.c): the wait returns at once, with the
   * memory cgroup's verdict. */
  hull_err e = NULL;
  struct hull_exit ex;
  if (hull_rt_wait(r->rt, r->id, 0, &ex, &e) < 0) {
    hull_warn("%s", hull_err_message(e));
    hull_err_free(&e);
    return false;
  }
  return ex.oom_killed;
}

int mon_rt_delete(struct mon_rt *r, hull_err *err) { return hull_rt_delete(r->rt, r->id, true, err); }

/* CVE-2019-5736 (the header's promise): the library runs a container whose processes
 * could reach our binary only if we run from a sealed copy of it. That is the case when
 * the container shares a pid namespace; the engine's default (a pid namespace per
 * container) never needs it. The copy is made now, before anything is open (fd 3 is
 * still inherited by the new image), and costs the binary's size in memory per such
 * monitor. */
int mon_rt_protect(const char *bundle, int private_pid_ns, char **argv, hull_err *err) {
  /* The engine says (monitor.json): the config, 15-30 KiB with its seccomp profile, is
   * parsed by the runtime's create anyway and need not be parsed twice. */
  if (private_pid_ns >= 0)
    return private_pid_ns ? 0 : hull_rt_seal_self(argv, err);
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/config.json", bundle) < 0)
    return hull_error(err, ENOMEM, "%s", bundle);
  size_t len;
  cleanup_free char *text = hull_read_file(path, &len, err);
  if (text == NULL)
    return -1;
  json_error_t je;
  cleanup_json json_t *cfg = json_loadb(text, len, 0, &je);
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
  return hull_rt_seal_self(argv, err);
}
