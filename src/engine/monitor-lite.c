/* The per-container monitor. When the hull-monitor executable (src/monitor) is installed
 * next to hull it is used, with monitor.json and fd 3 as docs/design.md describes. Until
 * then (and as a fallback) this small monitor, forked from the CLI, does the same core
 * work: it creates and starts the container through the runtime, holds its pipes or pty,
 * writes the log as JSON lines, records the exit code, OOM kill and finish time in
 * exit.json, tears down (runtime state, rootfs) and honours --rm. It has no attach socket,
 * health checks or restart policy. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"

typedef struct mon {
  hull_engine *e;
  json_t *m; /* monitor.json */
  const char *id;
  int status_fd;
  int logfd;
  char rt_log[4096];
} mon;

static void report(mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(mon *m, const char *fmt, ...) {
  if (m->status_fd < 0)
    return;
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n > sizeof(buf) - 2)
    n = (int)sizeof(buf) - 2;
  for (int i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  buf[n++] = '\n';
  if (hull_write_all(m->status_fd, buf, (size_t)n) < 0) {
    /* The CLI is gone: nobody to tell. */
  }
  close(m->status_fd);
  m->status_fd = -1;
}

/* Runs the runtime with stdio (the container's, for create) and waits. */
static int runtime(mon *m, const char *const *args, const int stdio[3]) {
  cleanup_free char *bin = NULL, *rt = NULL;
  if (asprintf(&bin, "%s/hull-runtime", m->e->bindir) < 0 || asprintf(&rt, "%s/runtime", m->e->runroot) < 0)
    return -1;
  const char *argv[20] = {bin, "--root", rt, "--log", m->rt_log};
  size_t n = 5;
  for (size_t i = 0; args[i] && n < 19; i++)
    argv[n++] = args[i];
  argv[n] = NULL;
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    for (int i = 0; i < 3; i++)
      dup2(stdio && stdio[i] >= 0 ? stdio[i] : null, i);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The runtime's last logged error, for the CLI. */
static void last_error(mon *m, char *out, size_t len) {
  size_t l;
  hull_err e = NULL;
  cleanup_free char *text = hull_read_file(m->rt_log, &l, &e);
  hull_error_release(&e); /* no log: a generic message below */
  snprintf(out, len, "the runtime failed to create the container");
  if (text == NULL)
    return;
  while (l > 0 && text[l - 1] == '\n')
    text[--l] = '\0';
  char *last = strrchr(text, '\n');
  last = last ? last + 1 : text;
  /* Text logs look like `time="..." level=error msg="..."`; keep the message. */
  char *msg = strstr(last, "msg=\"");
  if (msg) {
    msg += 5;
    char *end = strrchr(msg, '"');
    if (end)
      *end = '\0';
  } else {
    msg = last;
  }
  snprintf(out, len, "%s", msg);
}

/* Docker's exit codes for a command that could not be run. */
static int exit_code_of(const char *msg) {
  /* The runtime words a failed execve as `exec PATH: REASON` (or `exec: "NAME": executable
   * file not found in $PATH`); anything else is the engine's or the runtime's own failure. */
  if (!hull_str_has_prefix(msg, "exec"))
    return 125;
  if (strstr(msg, "No such file or directory") || strstr(msg, "not found") || strstr(msg, "Not a directory"))
    return 127;
  if (strstr(msg, "Permission denied") || strstr(msg, "Is a directory") || strstr(msg, "Exec format error"))
    return 126;
  return 125;
}

/* ---- logging ---- */

typedef struct stream {
  int fd;
  const char *name;
  char buf[16384];
  size_t len;
} stream;

static void log_line(mon *m, const char *stream_name, const char *data, size_t len) {
  char ts[64];
  hull_time_rfc3339(hull_now_ns(), ts, sizeof(ts));
  cleanup_json json_t *j = json_pack("{s:s%, s:s, s:s}", "log", data, len, "stream", stream_name, "time", ts);
  if (j == NULL) /* not UTF-8: jansson refuses it; the bytes are replaced as Docker does */
    j = json_pack("{s:s, s:s, s:s}", "log", "\xef\xbf\xbd\n", "stream", stream_name, "time", ts);
  cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (text == NULL)
    return;
  size_t tl = strlen(text);
  text[tl] = '\n';
  if (hull_write_all(m->logfd, text, tl + 1) < 0) {
    /* A full disk drops log lines; the container keeps running (Docker's json-file too). */
  }
  text[tl] = '\0';
}

static void flush_lines(mon *m, stream *s, bool all) {
  size_t start = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->buf[i] == '\n') {
      log_line(m, s->name, s->buf + start, i + 1 - start);
      start = i + 1;
    }
  if (all || (start == 0 && s->len == sizeof(s->buf))) {
    if (s->len > start)
      log_line(m, s->name, s->buf + start, s->len - start);
    start = s->len;
  }
  memmove(s->buf, s->buf + start, s->len - start);
  s->len -= start;
}

/* Reads what is there; false at end of file. */
static bool pump(mon *m, stream *s) {
  ssize_t r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0) {
    flush_lines(m, s, true);
    close(s->fd);
    s->fd = -1;
    return false;
  }
  s->len += (size_t)r;
  flush_lines(m, s, false);
  return true;
}

/* ---- the exit ---- */

static bool oom_killed(const char *id) {
  char p[256];
  char *text;
  size_t l;
  hull_err e = NULL;
  snprintf(p, sizeof(p), "/sys/fs/cgroup/memory/hull/%s/memory.oom_control", id);
  text = hull_read_file(p, &l, &e);
  if (text == NULL) {
    hull_error_release(&e);
    snprintf(p, sizeof(p), "/sys/fs/cgroup/hull/%s/memory.events", id);
    text = hull_read_file(p, &l, &e);
    hull_error_release(&e); /* no memory controller: no OOM kill to report */
  }
  if (text == NULL)
    return false;
  char *k = strstr(text, "oom_kill ");
  bool r = k && strtol(k + 9, NULL, 10) > 0;
  free(text);
  return r;
}

/* An fd that becomes readable when the container's memory cgroup sees an OOM event: an
 * eventfd registered on memory.oom_control (cgroup v1) or an inotify watch on
 * memory.events (v2). -1 when there is no memory controller. */
static int oom_watch(const char *id) {
  char p[256], q[256];
  snprintf(p, sizeof(p), "/sys/fs/cgroup/memory/hull/%s/memory.oom_control", id);
  cleanup_close int ofd = open(p, O_RDONLY | O_CLOEXEC);
  if (ofd >= 0) {
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    snprintf(q, sizeof(q), "/sys/fs/cgroup/memory/hull/%s/cgroup.event_control", id);
    cleanup_close int cfd = open(q, O_WRONLY | O_CLOEXEC);
    char line[64];
    int n = snprintf(line, sizeof(line), "%d %d", efd, ofd);
    if (efd >= 0 && cfd >= 0 && write(cfd, line, (size_t)n) == n)
      return efd;
    if (efd >= 0)
      close(efd);
    return -1;
  }
  snprintf(p, sizeof(p), "/sys/fs/cgroup/hull/%s/memory.events", id);
  int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd >= 0 && inotify_add_watch(ifd, p, IN_MODIFY) < 0) {
    close(ifd);
    return -1;
  }
  return ifd;
}

static void write_exit(mon *m, int code, bool oom, int64_t started) {
  char fin[64], st[64];
  hull_time_rfc3339(hull_now_ns(), fin, sizeof(fin));
  hull_time_rfc3339(started, st, sizeof(st));
  cleanup_json json_t *j = json_pack("{s:i, s:b, s:s, s:s, s:i}", "exit_code", code, "oom_killed", oom, "finished_at",
                                     fin, "started_at", st, "restart_count", 0);
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  cleanup_free char *dir = hull_ctr_path(m->e, m->id, NULL);
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  hull_err e = NULL;
  if (dfd < 0 || text == NULL || hull_write_file_atomic_at(dfd, "exit.json", text, strlen(text), true, &e) < 0)
    hull_error_release(&e); /* the container is gone either way; status then reads as unknown (255) */
}

/* ---- the console socket (process.terminal) ---- */

static int console_listen(const char *path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (s < 0 || strlen(path) >= sizeof(a.sun_path))
    return -1;
  strcpy(a.sun_path, path);
  unlink(path);
  if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) {
    close(s);
    return -1;
  }
  return s;
}

/* ---- the monitor's life ---- */

static int run_container(mon *m, const char *bundle, bool tty, bool interactive) {
  int out[2] = {-1, -1}, errp[2] = {-1, -1}, in[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || (interactive && pipe2(in, O_CLOEXEC) < 0)) {
    report(m, "error %d 125 pipe: %s", errno, strerror(errno));
    return -1;
  }
  cleanup_free char *pidfile = hull_ctr_run_path(m->e, m->id, "ctr.pid");
  const char *sock = "console.sock"; /* in the working directory, the run directory */
  int lfd = tty ? console_listen(sock) : -1;
  if (tty && lfd < 0) {
    report(m, "error %d 125 console socket %s: %s", errno, sock, strerror(errno));
    return -1;
  }
  const char *create[] = {"create", "--bundle", bundle, "--pid-file", pidfile, m->id, NULL, NULL, NULL};
  if (tty) {
    create[5] = "--console-socket";
    create[6] = sock;
    create[7] = m->id;
  }
  int stdio[3] = {in[0], out[1], errp[1]};
  /* The runtime's create runs in a child while this process accepts the pty's master. */
  pid_t cpid = fork();
  if (cpid == 0)
    _exit(runtime(m, create, stdio) == 0 ? 0 : 1);
  int ptm = -1;
  if (tty && cpid > 0) {
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    while (poll(&p, 1, 30000) > 0) {
      int conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
      hull_err e = NULL;
      char name[256];
      if (conn >= 0 && hull_recv_fd(conn, &ptm, name, sizeof(name), &e) < 0)
        hull_error_release(&e); /* create then fails and says why */
      if (conn >= 0)
        close(conn);
      break;
    }
    close(lfd);
    unlink(sock);
  }
  int st = 1;
  while (cpid > 0 && waitpid(cpid, &st, 0) < 0 && errno == EINTR) {
  }
  close(out[1]);
  close(errp[1]);
  if (in[0] >= 0)
    close(in[0]);
  if (cpid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    char msg[2048];
    last_error(m, msg, sizeof(msg));
    report(m, "error 0 %d %s", exit_code_of(msg), msg);
    const char *del[] = {"delete", "--force", m->id, NULL};
    (void)runtime(m, del, NULL);
    return -1;
  }
  size_t l;
  hull_err e = NULL;
  cleanup_free char *pidtext = hull_read_file(pidfile, &l, &e);
  hull_error_release(&e);
  pid_t pid = pidtext ? (pid_t)atol(pidtext) : 0;
  /* Watched before the start: a program that exceeds its limit at once must not slip past. */
  int ofd = oom_watch(m->id);
  const char *start[] = {"start", m->id, NULL};
  if (pid <= 0 || runtime(m, start, NULL) != 0) {
    char msg[2048];
    last_error(m, msg, sizeof(msg));
    report(m, "error 0 %d %s", exit_code_of(msg), msg);
    const char *del[] = {"delete", "--force", m->id, NULL};
    (void)runtime(m, del, NULL);
    return -1;
  }
  int64_t started = hull_now_ns();
  report(m, "started %d", (int)pid);
  stream s[2] = {{.fd = tty ? ptm : out[0], .name = "stdout"}, {.fd = tty ? -1 : errp[0], .name = "stderr"}};
  if (tty) {
    close(out[0]);
    close(errp[0]);
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  bool oom_seen = false;
  int code = -1;
  if (ofd >= 0 && oom_killed(m->id))
    oom_seen = true; /* an event between the watch and here was read by nobody */
  int64_t drain_until = 0;
  for (;;) {
    struct pollfd p[4] = {{.fd = s[0].fd, .events = POLLIN},
                          {.fd = s[1].fd, .events = POLLIN},
                          {.fd = sfd, .events = POLLIN},
                          {.fd = ofd, .events = POLLIN}};
    int r = poll(p, 4, code >= 0 ? 50 : -1);
    if (r < 0 && errno != EINTR)
      break;
    if (p[3].revents & POLLIN) {
      char drain[512];
      while (read(ofd, drain, sizeof(drain)) > 0) {
      }
      /* Recorded now: the count is gone with the cgroup once the runtime deletes it. */
      if (code < 0 && !oom_seen && oom_killed(m->id))
        oom_seen = true;
    }
    for (int i = 0; i < 2; i++)
      if (s[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
        pump(m, &s[i]);
    if (p[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof(si)) > 0) {
      }
    }
    int ws;
    pid_t w;
    while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
      if (w == pid) {
        code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        drain_until = hull_now_ns() + 2000000000LL;
      }
    /* After the exit, what is left in the pipes is read; processes of the container that
     * still hold them (there are none once its pid namespace is gone) get two seconds. */
    if (code >= 0 && ((s[0].fd < 0 && s[1].fd < 0) || hull_now_ns() > drain_until || r == 0))
      break;
  }
  for (int i = 0; i < 2; i++)
    if (s[i].fd >= 0)
      flush_lines(m, &s[i], true);
  if (in[1] >= 0)
    close(in[1]);
  bool oom = oom_seen || oom_killed(m->id);
  if (ofd >= 0)
    close(ofd);
  if (sfd >= 0)
    close(sfd);
  write_exit(m, code < 0 ? 255 : code, oom, started);
  return 0;
}

static void monitor_main(mon *m) {
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  hull_err e = NULL;
  if (hull_write_file("/proc/self/oom_score_adj", "-1000", 5, &e) < 0)
    hull_error_release(&e); /* best effort: the OOM killer may then pick the monitor */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  cleanup_free char *pidpath = hull_ctr_run_path(m->e, m->id, "monitor.pid");
  char pidline[64];
  snprintf(pidline, sizeof(pidline), "%d %llu\n", (int)getpid(), hull_proc_start_time(getpid()));
  cleanup_free char *rundir = hull_ctr_run_path(m->e, m->id, NULL);
  cleanup_close int rfd = open(rundir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  /* The working directory is the container's run directory: the console socket is named
   * relative to it, as its absolute path can outgrow sun_path's 108 bytes. */
  if (rfd < 0 || fchdir(rfd) < 0) {
    report(m, "error %d 125 open %s: %s", errno, rundir, strerror(errno));
    _exit(1);
  }
  if (rfd < 0 || hull_write_file_atomic_at(rfd, "monitor.pid", pidline, strlen(pidline), false, &e) < 0) {
    report(m, "error %d 125 write %s: %s", errno, pidpath, e ? e->msg : strerror(errno));
    _exit(1);
  }
  const char *logp = json_string_value(json_object_get(m->m, "log_path"));
  m->logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (m->logfd < 0) {
    report(m, "error %d 125 open %s: %s", errno, logp, strerror(errno));
    _exit(1);
  }
  snprintf(m->rt_log, sizeof(m->rt_log), "%s/runtime.log", json_string_value(json_object_get(m->m, "bundle")));
  unlink(m->rt_log);
  bool tty = json_is_true(json_object_get(m->m, "tty"));
  bool interactive = json_is_true(json_object_get(m->m, "interactive"));
  int r = run_container(m, json_string_value(json_object_get(m->m, "bundle")), tty, interactive);
  /* Teardown: the runtime's state, then the rootfs (the monitor.json teardown commands). */
  const char *del[] = {"delete", "--force", m->id, NULL};
  (void)runtime(m, del, NULL);
  cleanup_free char *rootfs = hull_ctr_path(m->e, m->id, "rootfs");
  if (rootfs)
    (void)umount2(rootfs, MNT_DETACH);
  unlink(pidpath);
  if (r == 0 && json_is_true(json_object_get(m->m, "auto_remove"))) {
    json_t *cmd = json_object_get(m->m, "remove_cmd");
    const char *argv[16];
    size_t n = 0;
    for (; n < json_array_size(cmd) && n < 15; n++)
      argv[n] = json_string_value(json_array_get(cmd, n));
    argv[n] = NULL;
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    execv(argv[0], (char *const *)argv);
  }
  _exit(0);
}

int hull_monitor_spawn(hull_engine *e, hull_ctr *c, int *status_fd, hull_err *err) {
  cleanup_free char *mj = hull_ctr_path(e, c->id, "monitor.json");
  cleanup_free char *ext = NULL;
  if (mj == NULL || asprintf(&ext, "%s/hull-monitor", e->bindir) < 0)
    return hull_error(err, ENOMEM, "start the monitor");
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  bool external = access(ext, X_OK) == 0 && getenv("HULL_MONITOR_LITE") == NULL;
  json_error_t je;
  cleanup_json json_t *m = external ? NULL : json_load_file(mj, 0, &je);
  if (!external && m == NULL) {
    close(p[0]);
    close(p[1]);
    return hull_error(err, EINVAL, "%s: %s", mj, je.text);
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    return hull_error_sys(err, "fork the monitor");
  }
  if (pid == 0) {
    close(p[0]);
    if (external) {
      /* The monitor outlives this command: it keeps none of its fds (a caller reading our
       * output until its end would wait for the container's), and its own diagnostics go
       * to monitor.log next to the container's log. */
      setsid();
      cleanup_free char *mlog = hull_ctr_path(e, c->id, "monitor.log");
      int null = open("/dev/null", O_RDWR | O_CLOEXEC);
      int lfd = mlog ? open(mlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
      if (null < 0 || dup2(p[1], 3) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(lfd >= 0 ? lfd : null, 2) < 0)
        _exit(125);
      hull_err ce = NULL;
      if (hull_close_fds_from(4, &ce) < 0)
        hull_error_release(&ce); /* nothing to report to: the fds stay open */
      execl(ext, ext, mj, (char *)NULL);
      _exit(125);
    }
    /* A second fork: the monitor is then no child of the CLI, which never has to reap it. */
    pid_t mp = fork();
    if (mp != 0)
      _exit(mp < 0 ? 1 : 0);
    /* Nothing of the CLI's stays open in the long-lived monitor: the store's lock (its
     * shared lock would keep the collector and deleters waiting for as long as the
     * container runs), the database, the terminal. */
    hull_err ce = NULL;
    if (hull_close_fds_except(3, &p[1], 1, &ce) < 0)
      hull_error_release(&ce); /* close_range and /proc both missing: the fds stay, harmless */
    e->store = NULL;
    mon mm = {.e = e, .m = m, .id = c->id, .status_fd = p[1], .logfd = -1};
    monitor_main(&mm);
    _exit(0);
  }
  close(p[1]);
  if (!external) {
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  }
  *status_fd = p[0];
  return 0;
}
