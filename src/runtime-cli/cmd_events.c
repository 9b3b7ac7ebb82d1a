/* events: runc's `events [--stats] [--interval DURATION] ID`. A stream of JSON lines:
 * {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio}} every interval and
 * {"type":"oom","id":ID} when the container's memory cgroup records an OOM kill; it ends
 * (status 0) when the container stops or is deleted. With --stats: one stats line. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/cleanup.h"
#include "cli.h"

/* runc polls nothing: it waits on an eventfd registered on memory.oom_control (v1) or on
 * inotify of memory.events (v2). Reading the oom_kill counter every 100 ms instead works the
 * same on v1, hybrid and v2, needs no fd kept across the loop, and an OOM is reported at
 * most 100 ms late, which is what the brief for this command accepts. */
#define POLL_NS (100LL * 1000 * 1000)

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

static void sleep_ns(long long ns) {
  struct timespec ts = {.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
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
  static const struct option opts[] = {
      {"stats", no_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
  bool once = false;
  long long interval = 5LL * 1000000000LL;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch (c) {
    case 's':
      once = true;
      break;
    case 'i':
      if (parse_duration(optarg, &interval, err) < 0)
        return -1;
      break;
    default:
      return hull_error(err, 0, "events: unknown or incomplete option %s", argv[optind - 1]);
    }
  }
  if (cli_want_args("events", argc - optind, 1, "container id", err) < 0)
    return -1;
  const char *id = argv[optind];
  bool stopped = false;
  long long oom = -1, last_oom = -1;
  json_t *stats = NULL;

  if (hull_container_sample(&g->rt, id, &stopped, once ? &stats : NULL, &last_oom, err) < 0)
    return -1;
  if (stopped)
    return hull_error(err, 0, "container %s is not running", id);
  if (once)
    return emit("stats", id, stats, err) < 0 ? -1 : 0;

  /* As runc (time.Tick), the first stats line comes one interval after the start. */
  long long next_stats = now_ns() + interval;
  for (;;) {
    long long now = now_ns(), wait = next_stats - now;
    sleep_ns(wait < POLL_NS ? (wait > 0 ? wait : 0) : POLL_NS);
    bool want_stats = now_ns() >= next_stats;
    stats = NULL;
    hull_err e = NULL;
    if (hull_container_sample(&g->rt, id, &stopped, want_stats ? &stats : NULL, &oom, &e) < 0) {
      if (ended_p(&g->rt, id)) {
        hull_error_release(&e); /* the container ended between two samples */
        return 0;
      }
      *err = e;
      return -1;
    }
    if (oom >= 0 && last_oom >= 0 && oom > last_oom && emit("oom", id, NULL, err) < 0) {
      json_decref(stats);
      return -1;
    }
    if (oom >= 0)
      last_oom = oom;
    if (stopped)
      return 0;
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
