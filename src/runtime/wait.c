/* Waiting for a container: its end (hull_rt_wait) and the stream of its OOM kills
 * (hull_rt_watch_*, what `hull-runtime events` prints).
 *
 * OOM kills are noticed by notification, as runc does: an eventfd registered on
 * memory.oom_control (v1) or inotify IN_MODIFY on memory.events (v2), after which the
 * oom_kill counter is re-read; the end of the container by a pidfd of its init. When
 * either cannot be had (old kernel, no memory controller), the counter and the status are
 * polled every POLL_NS instead. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "container.h"

#define POLL_NS (100LL * 1000 * 1000)
/* v1 signals the eventfd when the cgroup runs out of memory, just before the OOM killer
 * counts its kill: after a notification the counter is re-read every RECHECK_NS, up to
 * RECHECKS times, until it moves. */
#define RECHECK_NS (10LL * 1000 * 1000)
#define RECHECKS 50

struct hull_rt_watch {
  const struct hull_runtime *rt;
  char *id;
  int oom_fd, exit_fd; /* -1: polled instead */
  long long last_oom;
  int last_under;
  int rechecks;
  bool ended;  /* the container stopped or is gone: every later event is EXIT */
  bool ending; /* stopped at the last sample, after an OOM reported first */
};

/* The handle's internal runtime (api.c). */
const struct hull_runtime *hull_rt_internal(struct hull_rt *rt);

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Empties a readable eventfd or inotify fd (both O_NONBLOCK). */
static void drain(int fd) {
  char buf[4096] __attribute__((aligned(8)));
  while (read(fd, buf, sizeof(buf)) > 0) {
  }
}

/* Waits up to ns (< 0: no limit) for one of the fds (-1: none); returns which became
 * readable, as bits (1: fds[0], 2: fds[1]). */
static int wait_fds(const int fds[2], long long ns) {
  struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
  int ms = ns < 0 ? -1 : (int)((ns + 999999) / 1000000);
  if (poll(p, 2, ms) <= 0)
    return 0; /* timeout, or EINTR: both just mean "sample again" */
  return ((p[0].revents & (POLLIN | POLLERR | POLLHUP)) ? 1 : 0) |
         ((p[1].revents & (POLLIN | POLLERR | POLLHUP)) ? 2 : 0);
}

/* After a failed sample: true when the failure only means the container ended (deleted,
 * or stopped in between). */
static bool ended_p(const struct hull_runtime *rt, const char *id) {
  hull_err e = NULL;
  cleanup_json json_t *st = hull_container_state(rt, id, &e);
  if (st == NULL) {
    hull_error_release(&e); /* gone: the state dir was removed */
    return true;
  }
  const char *status = json_string_value(json_object_get(st, "status"));
  return status == NULL || strcmp(status, "stopped") == 0;
}

void hull_rt_watch_close(struct hull_rt_watch *w) {
  if (w == NULL)
    return;
  if (w->oom_fd >= 0)
    close(w->oom_fd);
  if (w->exit_fd >= 0)
    close(w->exit_fd);
  free(w->id);
  free(w);
}

static void cleanup_watchp(struct hull_rt_watch **w) { hull_rt_watch_close(*w); }

int hull_rt_watch_open(struct hull_rt *handle, const char *id, struct hull_rt_watch **out, hull_err *err) {
  *out = NULL;
  __attribute__((cleanup(cleanup_watchp))) struct hull_rt_watch *w = calloc(1, sizeof(*w));
  if (w == NULL || (w->id = strdup(id)) == NULL)
    return hull_error(err, ENOMEM, "watch container %s", id);
  w->rt = hull_rt_internal(handle);
  w->oom_fd = w->exit_fd = -1;
  /* Watch first, then take the baseline: an OOM in between is counted, not lost. */
  hull_err e = NULL;
  if (hull_container_watch(w->rt, id, &w->oom_fd, &w->exit_fd, &e) < 0)
    hull_debug("events %s: polling every %lld ms (%s)", id, POLL_NS / 1000000, e && e->msg ? e->msg : "");
  else
    hull_debug("events %s: waiting for OOM notifications and the init's exit", id);
  hull_error_release(&e); /* the fallback is polling */
  bool stopped = false;
  if (hull_container_sample(w->rt, id, &stopped, NULL, &w->last_oom, &w->last_under, err) < 0)
    return -1;
  if (stopped)
    return hull_error(err, ESRCH, "container %s is not running", id);
  *out = steal_pointer(&w);
  return 0;
}

int hull_rt_watch_next(struct hull_rt_watch *w, int timeout_ms, enum hull_rt_event_type *ev, hull_err *err) {
  long long deadline = timeout_ms < 0 ? -1 : now_ns() + timeout_ms * 1000000LL;
  for (;;) {
    if (w->ended || w->ending) {
      w->ended = true;
      *ev = HULL_RT_EVENT_EXIT;
      return 0;
    }
    long long wait = deadline < 0 ? -1 : deadline - now_ns();
    if (deadline >= 0 && wait < 0)
      wait = 0;
    if ((w->oom_fd < 0 || w->exit_fd < 0) && (wait < 0 || wait > POLL_NS))
      wait = POLL_NS;
    if (w->rechecks > 0 && (wait < 0 || wait > RECHECK_NS))
      wait = RECHECK_NS;
    int fds[2] = {w->oom_fd, w->exit_fd};
    int ready = wait_fds(fds, wait);
    if (ready & 1) {
      drain(w->oom_fd);
      w->rechecks = RECHECKS;
    } else if (w->rechecks > 0) {
      w->rechecks--;
    }
    /* The init exited. Should the status not say "stopped" yet (a zombie nobody has
     * reaped), fall back to polling it rather than spinning on a readable pidfd. */
    if (ready & 2)
      close(take_fd(&w->exit_fd));
    bool stopped = false;
    long long oom = -1;
    int under = -1;
    hull_err e = NULL;
    if (hull_container_sample(w->rt, w->id, &stopped, NULL, &oom, &under, &e) < 0) {
      if (!ended_p(w->rt, w->id)) {
        if (err)
          *err = steal_pointer(&e);
        hull_error_release(&e);
        return -1;
      }
      hull_error_release(&e); /* the container ended between two samples */
      stopped = true;
    }
    /* One event per kill the counter records; with v1's OOM killer disabled, one each
     * time the cgroup goes under OOM (its tasks then wait for memory). */
    bool killed = oom >= 0 && w->last_oom >= 0 && oom > w->last_oom;
    bool fire = killed || (under == 1 && w->last_under != 1);
    if (killed)
      w->rechecks = 0;
    if (oom >= 0)
      w->last_oom = oom;
    w->last_under = under;
    w->ending = stopped;
    if (fire) {
      *ev = HULL_RT_EVENT_OOM;
      return 0;
    }
    if (!stopped && deadline >= 0 && now_ns() >= deadline) {
      *ev = HULL_RT_EVENT_TIMEOUT;
      return 0;
    }
  }
}

/* The init's pid and whether it is our child (its exit status is ours to take). */
static pid_t init_pid(const struct hull_runtime *rt, const char *id, bool *stopped, hull_err *err) {
  cleanup_json json_t *st = hull_container_state(rt, id, err);
  if (st == NULL)
    return -1;
  const char *status = json_string_value(json_object_get(st, "status"));
  *stopped = status != NULL && strcmp(status, "stopped") == 0;
  return (pid_t)json_integer_value(json_object_get(st, "pid"));
}

int hull_rt_wait(struct hull_rt *handle, const char *id, int timeout_ms, struct hull_exit *out, hull_err *err) {
  const struct hull_runtime *rt = hull_rt_internal(handle);
  *out = (struct hull_exit){.wait_status = -1, .oom_killed = false};
  bool stopped = false;
  pid_t pid = init_pid(rt, id, &stopped, err);
  if (pid < 0)
    return -1;
  cleanup_close int oom_fd = -1, pidfd = -1;
  if (!stopped) {
    hull_err e = NULL;
    if (hull_container_watch(rt, id, &oom_fd, &pidfd, &e) < 0)
      hull_error_release(&e); /* without a pidfd: polled below */
  }
  /* Our own child stays a zombie, and "running", until we reap it: its pidfd (readable
   * at its exit) or waitpid says when it ends; anyone else's is seen stopped. */
  long long deadline = timeout_ms < 0 ? -1 : now_ns() + timeout_ms * 1000000LL;
  for (;;) {
    int status;
    pid_t r = pid > 0 ? waitpid(pid, &status, WNOHANG) : -1;
    if (r == pid) {
      out->wait_status = status;
      break;
    }
    if (r < 0 && errno == ECHILD && !stopped)
      stopped = ended_p(rt, id);
    if (stopped)
      break;
    long long left = deadline < 0 ? -1 : deadline - now_ns();
    if (deadline >= 0 && left <= 0)
      return hull_error(err, ETIMEDOUT, "wait for container %s", id);
    long long step = pidfd >= 0 ? left : (left < 0 || left > POLL_NS ? POLL_NS : left);
    int fds[2] = {pidfd, -1};
    if (wait_fds(fds, step) & 1)
      close(take_fd(&pidfd)); /* exited: reaped or seen stopped on the next round */
  }
  bool st_stopped;
  long long oom = -1;
  hull_err e = NULL;
  if (hull_container_sample(rt, id, &st_stopped, NULL, &oom, NULL, &e) < 0)
    hull_error_release(&e); /* deleted meanwhile: no counter left to read */
  out->oom_killed = oom > 0;
  return 0;
}
