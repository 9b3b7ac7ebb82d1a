/* events: runc's `events [--stats] [--interval DURATION] ID`. A stream of JSON lines:
 * {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio}} every interval and
 * {"type":"oom","id":ID} when the container's memory cgroup records an OOM kill; it ends
 * (status 0) when the container stops or is deleted. With --stats: one stats line. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "cli.h"

/* OOM kills are noticed by notification, as runc does: an eventfd registered on
 * memory.oom_control (v1) or inotify IN_MODIFY on memory.events (v2), after which the
 * oom_kill counter is re-read; the end of the container by a pidfd of its init. When either
 * cannot be had (old kernel, no memory controller), the counter and the status are polled
 * every POLL_NS instead. */
#define POLL_NS (100LL * 1000 * 1000)
/* v1 signals the eventfd when the cgroup runs out of memory, just before the OOM killer
 * counts its kill: after a notification the counter is re-read every RECHECK_NS, up to
 * RECHECKS times, until it moves. */
#define RECHECK_NS (10LL * 1000 * 1000)
#define RECHECKS 50

/* A Go duration as runc's --interval takes it: a sequence of decimal numbers with units,
 * "5s", "100ms", "1m30s", "1.5h" (ns, us, µs, ms, s, m, h). Must be positive. */
static int parse_duration(const char *s, long long *ns, hull_err *err) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  const char *p = s;
  double total = 0;
  if (*p == '\0')
    return hull_error(err, 0, "events: --interval: invalid duration \"%s\"", s);
  while (*p) {
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno != 0 || v < 0 || *p == '-' || *p == '+' || !isfinite(v))
      return hull_error(err, 0, "events: --interval: invalid duration \"%s\"", s);
    p = end;
    size_t best = 0, best_len = 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
      size_t l = strlen(units[i].unit);
      if (strncmp(p, units[i].unit, l) == 0 && l > best_len) {
        best = i;
        best_len = l;
      }
    }
    if (best_len == 0)
      return hull_error(err, 0, "events: --interval: missing or unknown unit in duration \"%s\"", s);
    total += v * units[best].ns;
    p += best_len;
  }
  if (total < 1 || total > 9e18)
    return hull_error(err, 0, "events: --interval: duration must be greater than 0 (got \"%s\")", s);
  *ns = (long long)total;
  return 0;
}

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

/* Waits up to ns for one of the fds (-1: none); returns which became readable, as bits
 * (1: fds[0], 2: fds[1]). */
static int wait_fds(const int fds[2], long long ns) {
  struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
  int ms = ns <= 0 ? 0 : (int)((ns + 999999) / 1000000);
  if (poll(p, 2, ms) <= 0)
    return 0; /* timeout, or EINTR: both just mean "sample again" */
  return ((p[0].revents & (POLLIN | POLLERR | POLLHUP)) ? 1 : 0) |
         ((p[1].revents & (POLLIN | POLLERR | POLLHUP)) ? 2 : 0);
}

/* One JSON line, flushed at once: clients read the output as a stream. data is stolen. */
static int emit(const char *type, const char *id, json_t *data, hull_err *err) {
  cleanup_json json_t *ev = json_pack("{s:s, s:s}", "type", type, "id", id);
  if (ev == NULL) {
    json_decref(data);
    return hull_error(err, ENOMEM, "events: %s event", type);
  }
  if (data)
    json_object_set_new(ev, "data", data);
  cli_print_json(ev, JSON_COMPACT);
  if (fflush(stdout) != 0 || ferror(stdout))
    return hull_error_sys(err, "events: write to stdout");
  return 0;
}

/* After a failed sample in the loop: true when the failure only means the container ended
 * (deleted, or stopped in between), which ends the stream normally. */
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

int cmd_events(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  bool once = false;
  long long interval = 5LL * 1000000000LL;
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    switch (c) {
    case OPT_STATS:
      once = true;
      break;
    case OPT_INTERVAL:
      if (parse_duration(optarg, &interval, err) < 0)
        return -1;
      break;
    default:
      return cli_bad_option(g->cmd, argc, argv, err);
    }
  }
  if (cli_want_args("events", argc - optind, 1, "container id", err) < 0)
    return -1;
  const char *id = argv[optind];
  bool stopped = false;
  long long oom = -1, last_oom = -1;
  int under = -1, last_under = -1;
  json_t *stats = NULL;
  cleanup_close int oom_fd = -1, exit_fd = -1;

  /* Watch first, then take the baseline: an OOM in between is counted, not lost. */
  if (!once) {
    hull_err w = NULL;
    if (hull_container_watch(&g->rt, id, &oom_fd, &exit_fd, &w) < 0)
      hull_debug("events %s: polling every %lld ms (%s)", id, POLL_NS / 1000000, w && w->msg ? w->msg : "");
    else
      hull_debug("events %s: waiting for OOM notifications and the init's exit", id);
    hull_error_release(&w); /* fallback: polling, below */
  }
  if (hull_container_sample(&g->rt, id, &stopped, once ? &stats : NULL, &last_oom, &last_under, err) < 0)
    return -1;
  if (stopped)
    return hull_error(err, 0, "container %s is not running", id);
  if (once)
    return emit("stats", id, stats, err) < 0 ? -1 : 0;

  /* As runc (time.Tick), the first stats line comes one interval after the start. */
  long long next_stats = now_ns() + interval;
  int rechecks = 0;
  for (;;) {
    long long wait = next_stats - now_ns();
    if ((oom_fd < 0 || exit_fd < 0) && wait > POLL_NS)
      wait = POLL_NS;
    if (rechecks > 0 && wait > RECHECK_NS)
      wait = RECHECK_NS;
    int fds[2] = {oom_fd, exit_fd};
    int ready = wait_fds(fds, wait);
    if (ready & 1) {
      drain(oom_fd);
      rechecks = RECHECKS;
    } else if (rechecks > 0) {
      rechecks--;
    }
    if (ready & 2) {
      /* The init exited. Should the status not say "stopped" yet (a zombie nobody has
       * reaped), fall back to polling it rather than spinning on a readable pidfd. */
      close(take_fd(&exit_fd));
    }
    bool want_stats = now_ns() >= next_stats;
    stats = NULL;
    hull_err e = NULL;
    if (hull_container_sample(&g->rt, id, &stopped, want_stats ? &stats : NULL, &oom, &under, &e) < 0) {
      if (ended_p(&g->rt, id)) {
        hull_error_release(&e); /* the container ended between two samples */
        return 0;
      }
      *err = e;
      return -1;
    }
    /* One event per kill the counter records; with v1's OOM killer disabled, one each
     * time the cgroup goes under OOM (its tasks then wait for memory). */
    bool fire = (oom >= 0 && last_oom >= 0 && oom > last_oom) || (under == 1 && last_under != 1);
    if (fire && emit("oom", id, NULL, err) < 0) {
      json_decref(stats);
      return -1;
    }
    if (oom >= 0 && last_oom >= 0 && oom > last_oom)
      rechecks = 0;
    if (oom >= 0)
      last_oom = oom;
    last_under = under;
    if (stopped) {
      json_decref(stats);
      return 0;
    }
    if (want_stats) {
      if (emit("stats", id, stats, err) < 0)
        return -1;
      /* Skip ticks missed while suspended rather than printing a burst. */
      do
        next_stats += interval;
      while (next_stats <= now_ns());
    }
  }
}
