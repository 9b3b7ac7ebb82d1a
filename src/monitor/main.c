/* hull-monitor MONITOR_JSON, with fd 3 a pipe or socket to the engine (CONTRACT §3).
 *
 * The event loop of the per-container monitor (monitor.h lists the parts): it starts the
 * container, reports `started <pid>` or `error <errno> <exit code> <message>` on fd 3,
 * then moves the container's output to the logs and the attach clients, runs the health
 * checks, reaps the container (and every orphan: it is a child subreaper), records the
 * end in exit.json, restarts by the policy, and finally runs the teardown commands and,
 * with auto_remove, remove_cmd.
 *
 * SIGTERM (or SIGINT) asks for a stop: the container gets stop_signal, no restart follows;
 * the engine escalates to SIGKILL through the runtime after its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../engine/journal.h"
#include "monitor.h"

#define REPORT_FD 3
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 60000
#define BACKOFF_RESET_MS 10000 /* a run this long resets the back-off (Docker's) */
#define MAX_POLL 48
#define OWNER_WAIT_MS 60000     /* a foreground run's CLI is waited for this long at most */
#define IDLE_SHRINK_MS 2000     /* quiet this long: give memory back (shrink) */
#define START_SHRINK_MS 50      /* after the start, the start's memory goes back (shrink) */
#define REPLAY_MAX (256 * 1024) /* output kept for the first attach client, at most */

struct mon {
  struct mon_config cfg;
  struct mon_rt *rt;
  struct mon_log *log;
  struct mon_attach *attach;
  struct mon_health *health;
  struct mon_oom *oom; /* the current run's v1 OOM notification, NULL */
  int sfd;
  int report_fd;
  /* The current run. */
  struct mon_proc proc;
  int out_fd[2]; /* our ends of stdout and stderr (the pty master in out_fd[0]) */
  int stdin_fd;  /* our end of stdin (or the pty master), -1 */
  bool running;
  char started_at[64];
  int64_t started_ms;
  /* Across runs. */
  int restart_count;
  int64_t backoff_ms;
  int64_t restart_at_ms; /* -1: no restart pending */
  bool stop_requested, done;
  /* auto_remove, but a live `restart` marked this end (restart.owner): decided once, when
   * the final exit file says whether a removal follows, and kept to by finish. */
  bool spared;
  int exit_code; /* of the last run: the monitor's own exit status at the end */
  /* attach_window_ms: the output (framed as it is sent) before the first client came. */
  char *replay;
  size_t replay_len;
  int64_t replay_until; /* -1: no window open */
  /* A health probe just ended: the pages its exec paged in go back now, not after 2 s of
   * quiet, which probes every second or two would never leave. */
  bool shrink_now;
};

static void on_oom(struct mon *m, bool notified);

/* ---- small helpers ---- */

static void close_fd(int *fd) {
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* One line, even if the message has newlines (the engine reads line by line). */
static void report(struct mon *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct mon *m, const char *fmt, ...) {
  if (m->report_fd < 0)
    return;
  char buf[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
  va_end(ap);
  for (char *p = buf; *p; p++)
    if (*p == '\n')
      *p = ' ';
  size_t n = strlen(buf);
  buf[n++] = '\n';
  if (hull_write_all(m->report_fd, buf, n) < 0)
    hull_warn("report to the engine: %s", strerror(errno));
  close_fd(&m->report_fd);
}

static int set_oom_score_adj(const char *value) {
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t w = write(fd, value, strlen(value));
  close(fd);
  return w < 0 ? -1 : 0;
}

/* The monitor must outlive an OOM of the machine (it records the container's end), so
 * it asks for -1000 for itself. That needs CAP_SYS_RESOURCE: without it nothing changes
 * (and the container inherits nothing unusual). With it, every process we start would
 * inherit -1000 unless its config sets oomScoreAdj, so around each start our original
 * value is put back (mon_oom_for_child; a forked helper calls it for itself). */
static char oom_orig[16]; /* our oom_score_adj before we lowered it, "" when we could not */

static void oom_protect_self(void) {
  cleanup_close int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  char buf[16] = "";
  ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
  if (r <= 0)
    return;
  buf[r] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  if (set_oom_score_adj("-1000") < 0) {
    hull_debug("oom_score_adj -1000: %s (kept %s)", strerror(errno), buf);
    return;
  }
  snprintf(oom_orig, sizeof(oom_orig), "%s", buf);
}

void mon_oom_for_child(bool child) {
  if (oom_orig[0] != '\0' && set_oom_score_adj(child ? oom_orig : "-1000") < 0)
    hull_warn("oom_score_adj: %s", strerror(errno));
}

static int open_dir_of(const char *path) {
  cleanup_free char *copy = strdup(path);
  return copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
}

/* ---- exit.json ---- */

static bool restart_pending(const struct mon *m) {
  cleanup_free char *p = NULL;
  return asprintf(&p, "%s/restart.owner", m->cfg.bundle) >= 0 && hull_owner_file_alive(p);
}

/* restarting: the policy restarts the container after its back-off (Docker's
 * "Restarting" state); the engine reads the new run's state from the runtime. */
static void write_exit_file(struct mon *m, int exit_code, bool oom_killed, const char *finished_at, bool restarting) {
  hull_err e = NULL;
  /* removing: this end removes the container (--rm), so a start must not race the removal
   * (the engine refuses it as "marked for removal"); a live restart's mark spares it. */
  bool removing = false;
  if (!restarting && m->cfg.auto_remove && m->cfg.remove_cmd) {
    m->spared = restart_pending(m);
    removing = !m->spared;
  }
  cleanup_json json_t *j = json_pack("{s:i, s:b, s:s, s:s, s:i, s:b, s:b}", "exit_code", exit_code, "oom_killed",
                                     oom_killed, "finished_at", finished_at, "started_at", m->started_at,
                                     "restart_count", m->restart_count, "restarting", restarting, "removing", removing);
  json_t *h = mon_health_json(m->health);
  if (j && h)
    json_object_set_new(j, "health", h);
  else
    json_decref(h);
  cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  cleanup_close int dfd = open_dir_of(m->cfg.exit_file);
  cleanup_free char *copy = strdup(m->cfg.exit_file);
  if (text == NULL || dfd < 0 || copy == NULL) {
    hull_warn("write %s: %s", m->cfg.exit_file, dfd < 0 ? strerror(errno) : "out of memory");
    return;
  }
  /* Durable: the engine's record of how the container ended survives a power cut. Not for
   * a container removed right after (--rm): its record goes, and the fsync (0.5-6 ms on
   * this disk) sat between the container's end and the engine's `run` returning. */
  bool durable = !m->cfg.engine_removes && !m->cfg.auto_remove;
  if (hull_write_file_atomic_at(dfd, basename(copy), text, strlen(text), durable, &e) < 0) {
    hull_warn("%s", e->msg);
    hull_error_release(&e);
  }
}

/* ---- starting ---- */

static int make_pipe(int p[2], hull_err *err) {
  if (pipe2(p, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  return 0;
}

static int start_container(struct mon *m, int *exit_code, hull_err *err) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
  int rc = -1;
  *exit_code = 125;
  if (!m->cfg.tty) {
    if (m->cfg.interactive) {
      if (make_pipe(in, err) < 0)
        goto out;
    } else if ((in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
      hull_error_sys(err, "/dev/null");
      goto out;
    }
    if (make_pipe(out, err) < 0 || make_pipe(errp, err) < 0)
      goto out;
  }
  int stdio[3] = {in[0], out[1], errp[1]};
  mon_oom_for_child(true);
  rc = mon_rt_run(m->rt, stdio, &m->proc, exit_code, err);
  mon_oom_for_child(false);
  if (rc < 0)
    goto out;
  if (m->cfg.tty) {
    m->out_fd[0] = m->proc.pty_master;
    m->stdin_fd = m->cfg.interactive ? m->proc.pty_master : -1;
  } else {
    m->out_fd[0] = take_fd(&out[0]);
    m->out_fd[1] = take_fd(&errp[0]);
    m->stdin_fd = take_fd(&in[1]);
  }
  for (int i = 0; i < 2; i++)
    if (m->out_fd[i] >= 0 && fcntl(m->out_fd[i], F_SETFL, O_NONBLOCK) < 0)
      hull_warn("O_NONBLOCK: %s", strerror(errno));
  if (m->stdin_fd >= 0 && !m->cfg.tty && fcntl(m->stdin_fd, F_SETFL, O_NONBLOCK) < 0)
    hull_warn("O_NONBLOCK: %s", strerror(errno));
  m->running = true;
  hull_err oe = NULL;
  if (mon_oom_watch(m->proc.pid, &m->oom, &oe) < 0) {
    hull_warn("OOM notification: %s", oe->msg);
    hull_error_release(&oe); /* an OOM then ends only the process the kernel chose */
  }
  on_oom(m, false); /* one before the watch began */
  mon_time_now(m->started_at, sizeof(m->started_at));
  m->started_ms = mon_now_ms();
  if (m->cfg.attach_window_ms > 0 && mon_attach_clients(m->attach) == 0)
    m->replay_until = m->started_ms + m->cfg.attach_window_ms;
  mon_health_container_started(m->health, m->started_ms);
out:
  for (int i = 0; i < 2; i++) {
    close_fd(&in[i]);
    close_fd(&out[i]);
    close_fd(&errp[i]);
  }
  return rc;
}

/* ---- output ---- */

/* The attach window: output is kept, framed as attach sends it, for the first client.
 * The caller stops reading the container's output while REPLAY_MAX is reached. */
static void keep_for_replay(struct mon *m, int stream, const char *data, size_t len) {
  char *n = realloc(m->replay, m->replay_len + len + 8);
  if (n == NULL)
    return;
  m->replay = n;
  if (!m->cfg.tty) {
    unsigned char hdr[8] = {(unsigned char)(stream + 1),
                            0,
                            0,
                            0,
                            (unsigned char)(len >> 24),
                            (unsigned char)(len >> 16),
                            (unsigned char)(len >> 8),
                            (unsigned char)len};
    memcpy(m->replay + m->replay_len, hdr, sizeof(hdr));
    m->replay_len += sizeof(hdr);
  }
  memcpy(m->replay + m->replay_len, data, len);
  m->replay_len += len;
}

/* Ends the window: the kept output goes to the clients there are (the first one), if any. */
static void end_replay(struct mon *m) {
  if (m->replay_len > 0)
    mon_attach_broadcast(m->attach, 0, m->replay, m->replay_len, true);
  free(m->replay);
  m->replay = NULL;
  m->replay_len = 0;
  m->replay_until = -1;
}

/* Moves what is there on one output fd to the logs and the clients; false at its end. */
static bool pump(struct mon *m, int stream) {
  char buf[16384];
  ssize_t r = read(m->out_fd[stream], buf, sizeof(buf));
  if (r < 0 && errno == EINTR)
    return true;
  if (r > 0) {
    mon_log_feed(m->log, stream, buf, (size_t)r);
    if (m->replay_until >= 0)
      keep_for_replay(m, stream, buf, (size_t)r);
    else
      mon_attach_broadcast(m->attach, stream, buf, (size_t)r, m->cfg.tty);
    return true;
  }
  if (r < 0 && errno == EAGAIN)
    return false;
  /* EOF, or EIO from a pty whose last holder closed it. */
  mon_log_flush(m->log, stream);
  if (m->out_fd[stream] == m->stdin_fd)
    m->stdin_fd = -1;
  close_fd(&m->out_fd[stream]);
  if (stream == 0)
    m->proc.pty_master = -1;
  return false;
}

/* ---- the end of a run ---- */

static int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

static bool wants_restart(const struct mon *m, int code) {
  if (m->stop_requested)
    return false;
  switch (m->cfg.restart) {
  case MON_RESTART_NO:
    return false;
  case MON_RESTART_ON_FAILURE:
    return code != 0 && (m->cfg.max_retries == 0 || m->restart_count < m->cfg.max_retries);
  case MON_RESTART_ALWAYS:
  case MON_RESTART_UNLESS_STOPPED:
    return true;
  default:
    return false;
  }
}

/* The engine's journal gets Docker's oom (first) and die events, as `hull events` shows
 * them; the exit file above stays the record every command reads. */
static void record_exit_events(struct mon *m, int exit_code, bool oom) {
  if (m->cfg.events_root == NULL)
    return;
  cleanup_json json_t *a = m->cfg.event_attrs ? json_deep_copy(m->cfg.event_attrs) : json_object();
  if (a == NULL)
    return;
  if (oom)
    hull_event_at(m->cfg.events_root, "container", "oom", m->cfg.id, a);
  char code[16];
  snprintf(code, sizeof(code), "%d", exit_code);
  json_object_set_new(a, "exitCode", json_string(code));
  hull_event_at(m->cfg.events_root, "container", "die", m->cfg.id, a);
}

static void delete_from_runtime(struct mon *m) {
  hull_err e = NULL;
  if (mon_rt_delete(m->rt, &e) < 0) {
    hull_warn("%s", e->msg);
    hull_error_release(&e);
  }
}

/* The engine that waits for this end (our parent) removes the container right after it:
 * --rm, not spared by a restart in progress (restart.owner). */
static bool removed_by_engine(const struct mon *m) {
  return m->cfg.engine_removes && m->cfg.auto_remove && m->cfg.remove_cmd && m->cfg.engine_pid > 0 &&
         getppid() == m->cfg.engine_pid && !restart_pending(m);
}

static void container_exited(struct mon *m, int status) {
  hull_err e = NULL;
  char finished[64];
  mon_time_now(finished, sizeof(finished));
  int64_t now = mon_now_ms();
  m->running = false;
  /* The output the container wrote before it ended. A process that outlived the init
   * (no pid namespace of its own) may still hold the pipes: only what is there now. */
  for (int s = 0; s < 2; s++) {
    while (m->out_fd[s] >= 0 && pump(m, s))
      ;
    mon_log_flush(m->log, s);
    if (m->out_fd[s] == m->stdin_fd)
      m->stdin_fd = -1;
    close_fd(&m->out_fd[s]);
  }
  close_fd(&m->stdin_fd);
  close_fd(&m->proc.pidfd);
  m->proc.pty_master = -1;
  m->proc.pid = -1;
  mon_health_container_stopped(m->health);
  bool v1_oom_watch = m->oom != NULL;
  mon_oom_close(m->oom);
  m->oom = NULL;
  bool oom = mon_rt_oom_killed(m->rt);
  m->exit_code = exit_code_of(status);
  /* v1: an init that saw its worker OOM-killed often exits by itself (stress: 1) before
   * on_oom's kill lands. The container ended by the OOM kill all the same, and says so
   * as on v2, where the group kill takes the init too. */
  if (v1_oom_watch && oom)
    m->exit_code = 128 + SIGKILL;
  /* `hull update --restart` rewrites the policy in monitor.json while the container runs;
   * it applies from this exit on, as Docker's does. */
  if (mon_config_reload_restart(&m->cfg, &e) < 0) {
    hull_warn("restart policy: %s (kept the one read before)", e->msg);
    hull_error_release(&e);
  }
  bool restart = wants_restart(m, m->exit_code);
  /* The foreground `run --rm` that started us removes the container as soon as it hears
   * of the exit: it is told first, and the runtime's delete (the cgroups, the state
   * directory) runs while that removal does its own part. The engine waits for the
   * delete before the container's row goes (engine.h, hull_ctr_remove), and a delete
   * that never happened (we were killed) it does itself: the state directory is still
   * there. Any other end deletes first, so that whoever reads the exit file finds the
   * runtime done with the container (a restart, a start, an rm that kills us). */
  bool engine_next = !restart && removed_by_engine(m);
  if (!engine_next)
    delete_from_runtime(m);
  write_exit_file(m, m->exit_code, oom, finished, restart);
  record_exit_events(m, m->exit_code, oom);
  mon_attach_hangup(m->attach);
  if (engine_next)
    delete_from_runtime(m);
  if (!restart) {
    m->done = true;
    return;
  }
  /* Docker's back-off: 100 ms, doubled for every restart of a container that ran less
   * than 10 s, back to 100 ms after a longer run. */
  if (m->backoff_ms == 0 || now - m->started_ms >= BACKOFF_RESET_MS)
    m->backoff_ms = BACKOFF_FIRST_MS;
  else if (m->backoff_ms < BACKOFF_MAX_MS)
    m->backoff_ms = m->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : m->backoff_ms * 2;
  m->restart_at_ms = now + m->backoff_ms;
  malloc_trim(0);
}

static void restart_container(struct mon *m) {
  hull_err e = NULL;
  int code;
  m->restart_at_ms = -1;
  m->restart_count++;
  if (start_container(m, &code, &e) < 0) {
    /* Recorded like an exit with Docker's code for a failed start; no further try. */
    hull_warn("restart: %s", e->msg);
    hull_error_release(&e);
    char now[64];
    mon_time_now(now, sizeof(now));
    m->exit_code = code;
    write_exit_file(m, code, false, now, false);
    m->done = true;
    return;
  }
  malloc_trim(0);
}

static void reap(struct mon *m) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    if (m->running && pid == m->proc.pid)
      container_exited(m, status);
    else
      m->shrink_now |= mon_health_reaped(m->health, pid, status, mon_now_ms());
    /* Anything else is an orphan of the container we adopted as subreaper. */
  }
}

static void on_signal(struct mon *m) {
  struct signalfd_siginfo si;
  while (read(m->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGCHLD) {
      reap(m);
      continue;
    }
    if (si.ssi_signo != SIGTERM && si.ssi_signo != SIGINT)
      continue;
    m->stop_requested = true;
    m->replay_until = -1; /* nobody waits for a stopped container's output */
    if (!m->running) {
      m->restart_at_ms = -1;
      m->done = true;
      continue;
    }
    hull_err e = NULL;
    if (mon_rt_kill(m->rt, m->cfg.stop_signal, &e) < 0) {
      hull_warn("stop: %s", e->msg);
      hull_error_release(&e);
    }
  }
}

/* cgroup v1 (oom.c): an OOM kill in the container's memory cgroup ends the whole
 * container, as memory.oom.group does on v2: exit code 137 and OOMKilled true. */
static void on_oom(struct mon *m, bool notified) {
  if (!mon_oom_kill_seen(m->oom, notified))
    return;
  hull_err e = NULL;
  if (mon_rt_kill_all(m->rt, SIGKILL, &e) < 0) {
    hull_warn("OOM: kill the container: %s", e->msg);
    hull_error_release(&e);
  }
}

/* An idle monitor runs a small part of its code (the loop, the logs, libc's I/O); the
 * rest (the runtime's create, the JSON parser) was paged in for the start, and the kernel
 * maps 64 KiB around every page fault of a file mapping. So when the monitor goes idle,
 * the pages of its read-only file mappings are dropped from its page tables: they stay in
 * the page cache, shared by every monitor, and come back by a minor fault when used.
 * Only mappings without an anonymous (copied-on-write) page: one with relocations applied
 * at load time (RELRO) would lose them. (Private_Dirty is no test: the page cache of a
 * binary written a moment ago is dirty, and shared with the file all the same.) The
 * heap's free memory goes back too. */
static void shrink(void) {
  malloc_trim(0);
  /* The ranges are collected first and dropped at the end: reading smaps runs code (and
   * reads tables) that would otherwise be paged right back in. */
  struct {
    unsigned long lo, hi;
  } drop[32];
  size_t n = 0;
  {
    cleanup_file FILE *f = fopen("/proc/self/smaps", "re");
    char line[512];
    unsigned long lo = 0, hi = 0;
    bool candidate = false;
    while (f && n < sizeof(drop) / sizeof(drop[0]) && fgets(line, sizeof(line), f)) {
      char perms[8];
      unsigned long kb, a, b, ino;
      /* Only a full match is a mapping's first line (sscanf stores partial matches). */
      if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &a, &b, perms, &ino) == 4) {
        lo = a, hi = b;
        candidate = ino != 0 && perms[1] != 'w';
      } else if (candidate && sscanf(line, "Anonymous: %lu", &kb) == 1) {
        candidate = kb == 0;
      } else if (candidate && hull_str_has_prefix(line, "VmFlags:")) {
        /* The last line of a mapping's block. */
        drop[n].lo = lo, drop[n].hi = hi;
        n++;
        candidate = false;
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    if (madvise((void *)drop[i].lo, drop[i].hi - drop[i].lo, MADV_DONTNEED) < 0)
      hull_debug("madvise %lx-%lx: %s", drop[i].lo, drop[i].hi, strerror(errno));
}

/* ---- the loop ---- */

static int loop_timeout(const struct mon *m, int64_t shrink_at) {
  int64_t now = mon_now_ms(), t = mon_health_timeout(m->health, now);
  if (shrink_at >= 0 && (t < 0 || shrink_at - now < t))
    t = shrink_at > now ? shrink_at - now : 0;
  if (m->restart_at_ms >= 0) {
    int64_t r = m->restart_at_ms > now ? m->restart_at_ms - now : 0;
    if (t < 0 || r < t)
      t = r;
  }
  if (m->replay_until >= 0) {
    int64_t r = m->replay_until > now ? m->replay_until - now : 0;
    if (t < 0 || r < t)
      t = r;
  }
  return t < 0 ? -1 : (t > 3600000 ? 3600000 : (int)t);
}

static void run_loop(struct mon *m) {
  int64_t shrink_at = -1;
  /* What setting up and starting allocated (the spec, the runtime's buffers) is given back
   * soon after the start, but not before the first poll: reading smaps takes ~0.5 ms, and
   * a container that ends at once (`run --rm IMAGE true`) is reaped without that wait. An
   * idle monitor should cost its container well under 1 MiB. */
  int64_t start_shrink_at = mon_now_ms() + START_SHRINK_MS;
  /* After the container's end, an open attach window still waits for its client. */
  while (!m->done || m->replay_until >= 0) {
    struct pollfd pfd[MAX_POLL];
    size_t n = 0;
    pfd[n++] = (struct pollfd){.fd = m->sfd, .events = POLLIN};
    size_t i_pid = n;
    pfd[n++] = (struct pollfd){.fd = m->running ? m->proc.pidfd : -1, .events = POLLIN};
    size_t i_out = n;
    bool held = m->replay_until >= 0 && m->replay_len >= REPLAY_MAX; /* the container waits */
    pfd[n++] = (struct pollfd){.fd = held ? -1 : m->out_fd[0], .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = held ? -1 : m->out_fd[1], .events = POLLIN};
    size_t i_health = n;
    pfd[n++] = (struct pollfd){.fd = mon_health_output_fd(m->health), .events = POLLIN};
    size_t i_oom = n;
    pfd[n++] = (struct pollfd){.fd = m->running ? mon_oom_fd(m->oom) : -1, .events = POLLIN};
    size_t i_attach = n;
    n += mon_attach_fds(m->attach, pfd + n, MAX_POLL - n);
    int64_t next_shrink =
        start_shrink_at >= 0 && (shrink_at < 0 || start_shrink_at < shrink_at) ? start_shrink_at : shrink_at;
    int r = poll(pfd, n, loop_timeout(m, next_shrink));
    if (r < 0 && errno != EINTR) {
      hull_warn("poll: %s", strerror(errno));
      sleep(1);
      continue;
    }
    int64_t now = mon_now_ms();
    if (r > 0) {
      shrink_at = now + IDLE_SHRINK_MS;
    } else if (shrink_at >= 0 && now >= shrink_at) {
      shrink();
      shrink_at = -1;
      start_shrink_at = -1;
    }
    if (start_shrink_at >= 0 && now >= start_shrink_at) {
      shrink();
      start_shrink_at = -1;
    }
    for (int s = 0; s < 2; s++)
      if (pfd[i_out + s].fd >= 0 && pfd[i_out + s].revents)
        pump(m, s);
    if (pfd[i_health].fd >= 0 && pfd[i_health].revents)
      mon_health_read_output(m->health);
    if (pfd[i_oom].fd >= 0 && pfd[i_oom].revents)
      on_oom(m, true);
    bool stdin_eof = false;
    mon_attach_handle(m->attach, pfd + i_attach, n - i_attach, m->stdin_fd, m->proc.pty_master, &stdin_eof);
    if (stdin_eof && m->cfg.stdin_once && !m->cfg.tty)
      close_fd(&m->stdin_fd);
    if (m->replay_until >= 0 && (mon_attach_clients(m->attach) > 0 || now >= m->replay_until))
      end_replay(m);
    if (pfd[0].revents)
      on_signal(m);
    if (pfd[i_pid].fd >= 0 && pfd[i_pid].revents)
      reap(m);
    if (m->running)
      mon_health_tick(m->health, m->rt, now);
    if (m->shrink_now) {
      shrink();
      m->shrink_now = false;
    }
    if (!m->done && !m->running && m->restart_at_ms >= 0 && now >= m->restart_at_ms)
      restart_container(m);
  }
}

/* ---- the end ---- */

/* True when argv ran and exited with status 0. */
static bool run_command(char **argv) {
  pid_t pid = fork();
  if (pid < 0) {
    hull_warn("run %s: fork: %s", argv[0], strerror(errno));
    return false;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
    }
    execv(argv[0], argv);
    dprintf(2, "hull-monitor: execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    hull_warn("%s exited with status %d", argv[0], exit_code_of(status));
    return false;
  }
  return true;
}

/* The rootfs in-process (an exec of umount(8) cost a fork, an exec and libmount's reading
 * of mountinfo), then the teardown commands (the network's, which needs the store). */
static void teardown(struct mon *m) {
  if (m->cfg.unmount && umount2(m->cfg.unmount, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    hull_warn("unmount %s: %s", m->cfg.unmount, strerror(errno));
  for (char ***t = m->cfg.teardown; t && *t; t++)
    (void)run_command(*t);
}

/* --rm of a foreground run: its CLI removes the container after it has read the exit
 * code, so the monitor waits for that CLI to end and then removes whatever is left (all
 * of it when the CLI detached earlier or was killed; nothing when the CLI removed it,
 * and then remove_cmd only finds no such container). The wait comes after the pid file
 * is gone: the CLI's removal no longer waits for (or kills) this monitor. It is bounded,
 * so that a CLI stuck on its terminal cannot keep the container forever. */
static void wait_owner(const struct mon_config *c) {
  pid_t pid = (pid_t)c->owner_pid;
  if (pid <= 0 || hull_proc_start_time(pid) != (unsigned long long)c->owner_start)
    return;
  cleanup_close int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pfd < 0 || hull_proc_start_time(pid) != (unsigned long long)c->owner_start)
    return;
  struct pollfd p = {.fd = pfd, .events = POLLIN};
  while (poll(&p, 1, OWNER_WAIT_MS) < 0 && errno == EINTR)
    ;
}

static void finish(struct mon *m) {
  mon_attach_close(m->attach);
  m->attach = NULL;
  /* Whoever removes the container unmounts it and tears its network down too (the
   * engine's destroy), so the teardown here would only compete with that removal for the
   * CPU and the store's lock, on the critical path of `run --rm`. The foreground engine
   * is trusted with it only while it lives, that is while it is our parent (engine_pid: a
   * parent is never a dead process; once the engine is gone we were re-parented, even
   * before our main ran), and otherwise we do it all as for any other container; with
   * --rm, the removal below does it. */
  bool engine_removes = m->cfg.engine_removes && m->cfg.engine_pid > 0 && getppid() == m->cfg.engine_pid;
  bool auto_remove = m->cfg.auto_remove && m->cfg.remove_cmd;
  /* A `restart` that lived (restart.owner named it) when the exit file was written stopped
   * us to start the container again: as Docker's manual restart, this end removes nothing,
   * and the foreground run that may own the container leaves it too, so the teardown is
   * ours. The decision is the exit file's, which a start reads. */
  if (auto_remove && m->spared) {
    engine_removes = false;
    auto_remove = false;
  }
  if (!engine_removes && !auto_remove)
    teardown(m);
  if (m->cfg.pid_file && unlink(m->cfg.pid_file) < 0 && errno != ENOENT)
    hull_warn("remove %s: %s", m->cfg.pid_file, strerror(errno));
  if (auto_remove) {
    wait_owner(&m->cfg);
    /* The CLI's removal took the bundle (the container's directory) with it: no need to
     * start a command that would only find nothing. A removal that failed gets the
     * teardown after all. */
    if ((access(m->cfg.bundle, F_OK) == 0 || errno != ENOENT) && !run_command(m->cfg.remove_cmd))
      teardown(m);
  }
}

/* ---- setup ---- */

static int setup_process(struct mon *m, hull_err *err) {
  /* Our own session: no terminal's hangup or job control reaches the monitor. It fails
   * only for a process group leader, which is then already detached enough. */
  if (setsid() < 0)
    hull_debug("setsid: %s", strerror(errno));
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return hull_error_sys(err, "PR_SET_CHILD_SUBREAPER");
  oom_protect_self();
  int null = open("/dev/null", O_RDWR);
  if (null < 0)
    return hull_error_sys(err, "/dev/null");
  /* The engine's terminal is not ours to hold; stderr stays (the engine points it at a
   * file or /dev/null) for the monitor's warnings. */
  if (dup2(null, 0) < 0 || dup2(null, 1) < 0)
    return hull_error_sys(err, "/dev/null");
  if (null > 2)
    close(null);
  /* Blocked signals are read from a signalfd. The runtime clears the mask in the
   * container's child; SIGPIPE is blocked (not ignored, which a process would inherit
   * through execve) so that a write to a gone reader fails with EPIPE. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGPIPE);
  if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
    return hull_error_sys(err, "sigprocmask");
  sigdelset(&set, SIGPIPE);
  m->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (m->sfd < 0)
    return hull_error_sys(err, "signalfd");
  if (m->cfg.pid_file && hull_write_pid_file(m->cfg.pid_file, getpid(), err) < 0)
    return -1;
  return 0;
}

/* `hull-monitor MONITOR_JSON [FD]`: with FD, monitor.json's text is read from that open
 * file (the engine's memfd, no file on disk) and MONITOR_JSON only names the container's
 * (in ps, pgrep and messages). FD stays open across the sealed re-exec of mon_rt_protect,
 * which reads it again, and is closed after. */
static int setup(struct mon *m, int argc, char **argv, hull_err *err) {
  char path[64];
  int cfg_fd = -1;
  if (argc == 3) {
    char *end;
    long v = strtol(argv[2], &end, 10);
    if (*end != '\0' || v < 4 || v > 1024)
      return hull_error(err, EINVAL, "hull-monitor: %s: not a file descriptor above 3", argv[2]);
    cfg_fd = (int)v;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", cfg_fd);
  }
  if (mon_config_load(cfg_fd >= 0 ? path : argv[1], &m->cfg, err) < 0)
    return -1;
  /* The named path, not /proc/self/fd/N: restart.json is looked for next to it. */
  free(m->cfg.path);
  m->cfg.path = strdup(argv[1]);
  if (m->cfg.path == NULL)
    return hull_error(err, ENOMEM, "%s", argv[1]);
  if (mon_rt_protect(m->cfg.bundle, m->cfg.private_pid_ns, argv, err) < 0)
    return -1;
  if (cfg_fd >= 0)
    close(cfg_fd);
  if (m->report_fd >= 0 && fcntl(m->report_fd, F_SETFD, FD_CLOEXEC) < 0)
    return hull_error_sys(err, "fd %d", m->report_fd);
  if (setup_process(m, err) < 0 || mon_rt_open(&m->cfg, &m->rt, err) < 0 ||
      mon_log_open(m->cfg.log_path, m->cfg.log_max_size, m->cfg.log_max_file, &m->log, err) < 0 ||
      mon_attach_listen(m->cfg.attach_socket, &m->attach, err) < 0 || mon_health_new(&m->cfg, &m->health, err) < 0)
    return -1;
  return 0;
}

static void teardown_state(struct mon *m) {
  mon_attach_close(m->attach);
  mon_log_close(m->log);
  mon_health_free(m->health);
  mon_rt_close(m->rt);
  if (m->sfd >= 0)
    close(m->sfd);
  mon_config_free(&m->cfg);
}

int main(int argc, char **argv) {
  struct mon m = {.sfd = -1,
                  .report_fd = -1,
                  .out_fd = {-1, -1},
                  .stdin_fd = -1,
                  .restart_at_ms = -1,
                  .replay_until = -1,
                  .proc = {.pid = -1, .pidfd = -1, .pty_master = -1}};
  hull_err err = NULL;
  if (argc > 1 && strcmp(argv[1], "--probe") == 0)
    return mon_rt_probe_main(argc, argv);
  if (argc < 2 || argc > 3 || argv[1][0] == '-') {
    fprintf(stderr, "usage: hull-monitor MONITOR_JSON [FD] (with fd 3 open to the engine)\n");
    return 125;
  }
  /* fd 3 stays open across the re-execution of mon_rt_protect; nothing we start gets it. */
  if (fcntl(REPORT_FD, F_GETFD) >= 0)
    m.report_fd = REPORT_FD;
  int code = 125;
  if (setup(&m, argc, argv, &err) < 0 || start_container(&m, &code, &err) < 0) {
    report(&m, "error %d %d %s", err->errno_, code, err->msg);
    fprintf(stderr, "hull-monitor: %s\n", err->msg);
    hull_error_release(&err);
    if (m.cfg.pid_file)
      unlink(m.cfg.pid_file);
    teardown_state(&m);
    return code;
  }
  report(&m, "started %d", (int)m.proc.pid);
  run_loop(&m);
  finish(&m);
  int rc = m.exit_code;
  teardown_state(&m);
  return rc;
}
