/* hull exec: a process in a running container, started by the runtime library in-process
 * (hull_rt_exec, no hull-runtime and no temporary files) as a child of this command, which
 * waits for it, forwards signals to it and, with -t, relays its terminal. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/bundle.h"
#include "engine/engine.h"

/* The container's process (its user, env, capabilities, rlimits, ...) with exec's
 * arguments and options on top. */
static json_t *exec_process(hull_engine *e, hull_ctr *c, const hull_exec_opts *o, hull_err *err) {
  cleanup_free char *cfgp = hull_ctr_path(e, c->id, "config.json");
  json_error_t je;
  cleanup_json json_t *spec = cfgp ? json_load_file(cfgp, 0, &je) : NULL;
  if (spec == NULL) {
    hull_error_code(err, EINVAL, "%s: %s", cfgp ? cfgp : "config.json", je.text);
    return NULL;
  }
  cleanup_json json_t *p = json_deep_copy(json_object_get(spec, "process"));
  json_t *args = json_array();
  if (p == NULL || args == NULL) {
    json_decref(args);
    hull_error(err, ENOMEM, "exec");
    return NULL;
  }
  for (char **a = o->args; *a; a++)
    json_array_append_new(args, json_string(*a));
  json_object_set_new(p, "args", args);
  json_object_set_new(p, "terminal", json_boolean(o->tty));
  json_object_del(p, "consoleSize");
  struct winsize ws;
  if (o->tty && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
    json_object_set_new(p, "consoleSize", json_pack("{s:i,s:i}", "height", ws.ws_row, "width", ws.ws_col));
  json_t *env = json_object_get(p, "env");
  for (char **v = o->env; v && *v; v++)
    json_array_append_new(env, json_string(*v));
  if (o->workdir)
    json_object_set_new(p, "cwd", json_string(o->workdir));
  if (o->user) {
    cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
    cleanup_close int rootfd = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    json_t *u = hull_resolve_user(rootfd, o->user, NULL, err);
    if (u == NULL)
      return NULL;
    json_object_set_new(p, "user", u);
  }
  if (o->privileged)
    json_object_set_new(p, "capabilities", hull_all_capabilities());
  return steal_pointer(&p);
}

/* Docker's exit codes for a process that could not be started: 127 when the command is
 * not found, 126 when it cannot be executed. The runtime names the container's failed
 * execve "exec PATH: <errno text>" (or "exec: "x": executable file not found in $PATH")
 * with the execve's errno; any other failure is hull's own (125). */
static int start_status(const hull_err e) {
  const char *m = hull_err_message(e);
  const char *x = m ? strstr(m, "exec") : NULL;
  if (x == NULL || (x != m && !(x >= m + 2 && x[-2] == ':' && x[-1] == ' ')))
    return 125;
  switch (hull_err_errno(e)) {
  case ENOENT:
  case ENOTDIR:
    return 127;
  case EACCES:
  case EPERM:
  case ENOEXEC:
  case EISDIR:
    return 126;
  default:
    return 125;
  }
}

/* Signals this command gets while it waits go to the process (Docker's CLI does the
 * same), and a change of the terminal's size resizes the process's pty. They are read
 * from a signalfd, so nothing runs in a handler. */
static const int relayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static int signals_fd(sigset_t *old, hull_err *err) {
  sigset_t set;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof(relayed) / sizeof(relayed[0]); i++)
    sigaddset(&set, relayed[i]);
  if (sigprocmask(SIG_BLOCK, &set, old) < 0)
    return hull_error_sys(err, "block signals");
  int fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) {
    sigprocmask(SIG_SETMASK, old, NULL);
    return hull_error_sys(err, "signalfd");
  }
  return fd;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void resize(int master) {
  struct winsize ws;
  if (master >= 0 && (ioctl(1, TIOCGWINSZ, &ws) == 0 || ioctl(0, TIOCGWINSZ, &ws) == 0))
    (void)ioctl(master, TIOCSWINSZ, &ws);
}

/* The end of our stdin: on a terminal in canonical mode, what ^D would send. */
static void send_eof(int master) {
  struct termios t;
  char eof;
  if (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON)) {
    eof = (char)t.c_cc[VEOF];
    if (hull_write_all(master, &eof, 1) < 0) {
      /* The process closed its terminal: nobody is left to tell. */
    }
  }
}

/* What the process (or a child it left on the terminal) writes after it exited is relayed
 * for at most this long: a background writer must not hold the caller (docker exec -t). */
#define DRAIN_MS 200

/* Until the process exits: signals to it, and with a pty, its output to our stdout and
 * (with -i) our stdin to it. */
static void relay(const struct hull_proc *pr, bool input, int sfd) {
  struct pollfd p[4] = {{.fd = pr->pty_master, .events = POLLIN},
                        {.fd = input && pr->pty_master >= 0 ? 0 : -1, .events = POLLIN},
                        {.fd = pr->pidfd, .events = POLLIN},
                        {.fd = sfd, .events = POLLIN}};
  long long drain_end = -1;
  for (;;) {
    int wait = pr->pidfd < 0 ? 50 : -1; /* without pidfds: polled with waitid below */
    if (drain_end >= 0) {
      long long left = drain_end - now_ms();
      if (left <= 0 || p[0].fd < 0)
        return;
      wait = (int)left;
    }
    int r = poll(p, 4, wait);
    if (r < 0 && errno != EINTR)
      return;
    if (r == 0 && drain_end >= 0)
      return; /* gone, and its terminal is quiet */
    if (r <= 0) {
      siginfo_t si = {0};
      if (pr->pidfd < 0 && waitid(P_PID, (id_t)pr->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
        drain_end = now_ms() + DRAIN_MS;
      continue;
    }
    char buf[8192];
    if (p[0].revents & POLLIN) {
      ssize_t n = read(pr->pty_master, buf, sizeof(buf));
      if (n <= 0 || hull_write_all(1, buf, (size_t)n) < 0)
        p[0].fd = -1;
    } else if (p[0].revents & (POLLHUP | POLLERR)) {
      p[0].fd = -1; /* EIO: every holder of the pty's slave has closed it */
    }
    if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof(buf));
      if (n <= 0 || hull_write_all(pr->pty_master, buf, (size_t)n) < 0) {
        if (n == 0)
          send_eof(pr->pty_master);
        p[1].fd = -1;
      }
    }
    if (p[2].revents & POLLIN) {
      drain_end = now_ms() + DRAIN_MS;
      p[2].fd = -1;
    }
    struct signalfd_siginfo si;
    while ((p[3].revents & POLLIN) && read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
      if ((int)si.ssi_signo == SIGWINCH)
        resize(pr->pty_master);
      else if (drain_end < 0)
        kill(pr->pid, (int)si.ssi_signo); /* our unreaped child: its pid is still its own */
    }
    if (pr->pty_master < 0 && drain_end >= 0)
      return;
  }
}

/* Waits for the process; its status as a shell gives it (128+N for a signal). */
static int reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return 255;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void close_proc(struct hull_proc *pr) {
  if (pr->pidfd >= 0)
    close(take_fd(&pr->pidfd));
  if (pr->pty_master >= 0)
    close(take_fd(&pr->pty_master));
}

int hull_ctr_exec(hull_engine *e, hull_ctr *c, const hull_exec_opts *o, int *status, hull_err *err) {
  hull_ctr_refresh(e, c);
  if (c->status == HULL_CTR_PAUSED)
    return hull_error_code(err, EINVAL, "container %s is paused, unpause the container before exec", c->id);
  if (c->status != HULL_CTR_RUNNING)
    return hull_error_code(err, EINVAL, "container %s is not running", c->id);
  /* Detached, nothing is attached to anyone: Docker discards the output of exec -d. */
  bool tty = o->tty && !o->detach;
  hull_exec_opts eo = *o;
  eo.tty = tty;
  cleanup_json json_t *p = exec_process(e, c, &eo, err);
  struct hull_rt *rt = p ? hull_engine_rt(e, err) : NULL;
  if (rt == NULL)
    return -1;
  cleanup_close int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0)
    return hull_error_sys(err, "open /dev/null");
  int stdio[3] = {o->interactive && !o->detach ? 0 : null, o->detach ? null : 1, o->detach ? null : 2};
  /* Signals are caught from before the start: one that arrives as soon as the process
   * runs is its, not ours to die of. (The runtime empties the process's signal mask; a
   * child does not inherit pending signals.) */
  sigset_t old;
  int sfd = -1;
  if (!o->detach && (sfd = signals_fd(&old, err)) < 0)
    return -1;
  struct hull_proc pr = {.pid = -1, .pidfd = -1, .pty_master = -1};
  if (hull_rt_exec(rt, c->id, p, stdio, &pr, err) < 0) {
    (*err)->status = start_status(*err);
    if (sfd >= 0) {
      close(sfd);
      sigprocmask(SIG_SETMASK, &old, NULL);
    }
    return -1;
  }
  if (o->detach) {
    /* It runs on without us: reparented to the nearest subreaper when we exit. */
    close_proc(&pr);
    *status = 0;
    return 0;
  }
  struct termios saved;
  bool raw = tty && o->interactive && isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    (void)tcsetattr(0, TCSANOW, &t);
  }
  resize(pr.pty_master);
  relay(&pr, o->interactive, sfd);
  if (raw)
    (void)tcsetattr(0, TCSANOW, &saved);
  /* Closed before the wait: a process left on the terminal gets EIO, not our terminal. */
  close_proc(&pr);
  *status = reap(pr.pid);
  close(sfd);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return 0;
}
