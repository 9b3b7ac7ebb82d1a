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

/* One stats line; false (and no error) when the container has stopped or is gone, which
 * ends the stream normally. */
static int emit_stats(struct cli_globals *g, const char *id, bool *ended, hull_err *err) {
  json_t *stats = NULL;
  hull_err e = NULL;
  if (hull_rt_stats(g->rt, id, &stats, &e) < 0) {
    json_t *st = NULL;
    hull_err gone = NULL;
    if (hull_err_errno(e) == ESRCH || hull_rt_state(g->rt, id, &st, &gone) < 0) {
      hull_err_free(&gone);
      hull_err_free(&e); /* stopped or deleted between two events */
      *ended = true;
      return 0;
    }
    json_decref(st);
    *err = e;
    return -1;
  }
  return emit("stats", id, stats, err);
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
  if (once) {
    json_t *stats = NULL;
    if (hull_rt_stats(g->rt, id, &stats, err) < 0)
      return -1;
    return emit("stats", id, stats, err) < 0 ? -1 : 0;
  }
  struct hull_rt_watch *w = NULL;
  if (hull_rt_watch_open(g->rt, id, &w, err) < 0)
    return -1;
  /* As runc (time.Tick), the first stats line comes one interval after the start. */
  long long next_stats = now_ns() + interval;
  int rc = 0;
  for (;;) {
    long long left = next_stats - now_ns();
    int ms = left <= 0 ? 0 : left / 1000000 > 1000000000 ? 1000000000 : (int)((left + 999999) / 1000000);
    enum hull_rt_event_type ev;
    if (hull_rt_watch_next(w, ms, &ev, err) < 0) {
      rc = -1;
      break;
    }
    if (ev == HULL_RT_EVENT_EXIT)
      break;
    if (ev == HULL_RT_EVENT_OOM && emit("oom", id, NULL, err) < 0) {
      rc = -1;
      break;
    }
    if (now_ns() >= next_stats) {
      bool ended = false;
      if (emit_stats(g, id, &ended, err) < 0) {
        rc = -1;
        break;
      }
      if (ended)
        break;
      /* Skip ticks missed while suspended rather than printing a burst. */
      do
        next_stats += interval;
      while (next_stats <= now_ns());
    }
  }
  hull_rt_watch_close(w);
  return rc;
}
