/* Health checks as Docker runs them: every interval the probe runs inside the container
 * (through the runtime's exec); exit 0 is healthy, anything else (or running past the
 * timeout) a failure. Status starts as "starting", becomes "healthy" at the first success
 * and "unhealthy" after `retries` consecutive failures; failures within the start period
 * do not count. health.json (next to exit.json) holds Docker's State.Health object:
 * {"Status","FailingStreak","Log":[{"Start","End","ExitCode","Output"}]} with the last 5
 * probes, Output cut at 4 KiB. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "monitor.h"

#define LOG_KEEP 5
#define OUTPUT_MAX 4096

struct probe_result {
  char start[64], end[64];
  int exit_code;
  char *output;
};

struct mon_health {
  const struct mon_health_cfg *cfg;
  char *file, *dir;
  const char *status;
  int failing_streak;
  struct probe_result log[LOG_KEEP];
  size_t nlog;
  bool running;        /* the container runs: probes are scheduled */
  int64_t started_ms;  /* the container's start */
  int64_t next_ms;     /* the next probe */
  pid_t probe;         /* the running probe, 0 */
  int64_t deadline_ms; /* its timeout */
  bool timed_out;
  int out_fd; /* its output pipe, -1 */
  char *out;
  size_t out_len;
  char probe_start[64];
};

int mon_health_new(const struct mon_config *c, struct mon_health **out, hull_err *err) {
  *out = NULL;
  if (c->health.argv == NULL)
    return 0;
  struct mon_health *h = calloc(1, sizeof(*h));
  cleanup_free char *copy = strdup(c->health_file);
  if (h == NULL || copy == NULL || (h->file = strdup(c->health_file)) == NULL ||
      (h->dir = strdup(dirname(copy))) == NULL) {
    if (h)
      free(h->file);
    free(h);
    return hull_error(err, ENOMEM, "health check");
  }
  h->cfg = &c->health;
  h->status = "starting";
  h->out_fd = -1;
  *out = h;
  return 0;
}

static void abandon_probe(struct mon_health *h) {
  if (h->out_fd >= 0)
    close(h->out_fd);
  h->out_fd = -1;
  free(h->out);
  h->out = NULL;
  h->out_len = 0;
  h->probe = 0;
  h->timed_out = false;
}

void mon_health_free(struct mon_health *h) {
  if (h == NULL)
    return;
  abandon_probe(h);
  for (size_t i = 0; i < h->nlog; i++)
    free(h->log[i].output);
  free(h->file);
  free(h->dir);
  free(h);
}

json_t *mon_health_json(const struct mon_health *h) {
  if (h == NULL)
    return NULL;
  json_t *log = json_array();
  for (size_t i = 0; i < h->nlog; i++)
    json_array_append_new(log,
                          json_pack("{s:s, s:s, s:i, s:s}", "Start", h->log[i].start, "End", h->log[i].end, "ExitCode",
                                    h->log[i].exit_code, "Output", h->log[i].output ? h->log[i].output : ""));
  return json_pack("{s:s, s:i, s:o}", "Status", h->status, "FailingStreak", h->failing_streak, "Log", log);
}

static void write_health(const struct mon_health *h) {
  hull_err e = NULL;
  cleanup_json json_t *j = mon_health_json(h);
  cleanup_free char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  cleanup_close int dfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (text == NULL || dfd < 0) {
    hull_warn("health: write %s: %s", h->file, text ? strerror(errno) : "out of memory");
    return;
  }
  if (hull_write_file_atomic_at(dfd, "health.json", text, strlen(text), false, &e) < 0) {
    hull_warn("health: %s", e->msg);
    hull_error_release(&e);
  }
}

void mon_health_container_started(struct mon_health *h, int64_t now_ms) {
  if (h == NULL)
    return;
  abandon_probe(h);
  h->status = "starting";
  h->failing_streak = 0;
  h->running = true;
  h->started_ms = now_ms;
  h->next_ms = now_ms + h->cfg->interval_ns / 1000000;
  write_health(h);
}

void mon_health_container_stopped(struct mon_health *h) {
  if (h == NULL)
    return;
  h->running = false;
  if (h->probe > 0)
    kill(h->probe, SIGKILL);
  abandon_probe(h);
}

int64_t mon_health_timeout(const struct mon_health *h, int64_t now_ms) {
  if (h == NULL || !h->running)
    return -1;
  int64_t at = h->probe > 0 ? (h->timed_out ? -1 : h->deadline_ms) : h->next_ms;
  if (at < 0)
    return -1;
  return at <= now_ms ? 0 : at - now_ms;
}

static void start_probe(struct mon_health *h, struct mon_rt *rt, int64_t now_ms) {
  int p[2];
  hull_err e = NULL;
  h->next_ms = now_ms + h->cfg->interval_ns / 1000000;
  if (pipe2(p, O_CLOEXEC) < 0) {
    hull_warn("health: pipe: %s", strerror(errno));
    return;
  }
  cleanup_close int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int stdio[3] = {devnull, p[1], p[1]};
  pid_t pid;
  mon_time_now(h->probe_start, sizeof(h->probe_start));
  int rc = mon_rt_exec(rt, h->cfg->argv, stdio, &pid, &e);
  close(p[1]);
  if (rc < 0) {
    hull_warn("health: %s", e->msg);
    hull_error_release(&e);
    close(p[0]);
    return;
  }
  if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0)
    hull_warn("health: O_NONBLOCK: %s", strerror(errno));
  h->probe = pid;
  h->out_fd = p[0];
  h->deadline_ms = now_ms + h->cfg->timeout_ns / 1000000;
}

static void record(struct mon_health *h, int exit_code, const char *output, int64_t now_ms) {
  if (h->nlog == LOG_KEEP) {
    free(h->log[0].output);
    memmove(h->log, h->log + 1, (LOG_KEEP - 1) * sizeof(h->log[0]));
    h->nlog--;
  }
  struct probe_result *r = &h->log[h->nlog++];
  snprintf(r->start, sizeof(r->start), "%s", h->probe_start);
  mon_time_now(r->end, sizeof(r->end));
  r->exit_code = exit_code;
  r->output = strdup(output);
  if (exit_code == 0) {
    h->status = "healthy";
    h->failing_streak = 0;
  } else if (now_ms - h->started_ms >= h->cfg->start_period_ns / 1000000 || strcmp(h->status, "healthy") == 0) {
    /* In the start period a failure counts only once the container was healthy. */
    if (++h->failing_streak >= h->cfg->retries)
      h->status = "unhealthy";
  }
  write_health(h);
}

void mon_health_tick(struct mon_health *h, struct mon_rt *rt, int64_t now_ms) {
  if (h == NULL || !h->running)
    return;
  if (h->probe > 0) {
    if (!h->timed_out && now_ms >= h->deadline_ms) {
      /* The probe (our child: the process in the container, or the helper that kills
       * it on SIGTERM) is stopped, and recorded as timed out when it is reaped. */
      kill(h->probe, SIGTERM);
      h->timed_out = true;
    }
    return;
  }
  if (now_ms >= h->next_ms)
    start_probe(h, rt, now_ms);
}

int mon_health_output_fd(const struct mon_health *h) { return h ? h->out_fd : -1; }

/* Reads what the probe wrote; false once nothing more is there for now. */
static bool read_output(struct mon_health *h) {
  char buf[1024];
  ssize_t r = read(h->out_fd, buf, sizeof(buf));
  if (r < 0 && errno == EINTR)
    return true;
  if (r < 0 && errno == EAGAIN)
    return false;
  if (r <= 0) {
    close(h->out_fd);
    h->out_fd = -1;
    return false;
  }
  size_t keep = h->out_len + (size_t)r > OUTPUT_MAX ? OUTPUT_MAX - h->out_len : (size_t)r;
  if (keep == 0)
    return true;
  char *n = realloc(h->out, h->out_len + keep + 1);
  if (n == NULL)
    return true;
  h->out = n;
  memcpy(h->out + h->out_len, buf, keep);
  h->out_len += keep;
  h->out[h->out_len] = '\0';
  return true;
}

void mon_health_read_output(struct mon_health *h) {
  if (h->out_fd >= 0)
    read_output(h);
}

bool mon_health_reaped(struct mon_health *h, pid_t pid, int status, int64_t now_ms) {
  if (h == NULL || h->probe == 0 || pid != h->probe)
    return false;
  /* What the probe wrote before it ended; a process it left behind that still holds
   * the pipe does not hold us up (the pipe is non-blocking). */
  while (h->out_fd >= 0 && read_output(h))
    ;
  if (h->timed_out) {
    char msg[96];
    snprintf(msg, sizeof(msg), "Health check exceeded timeout (%llds)", (long long)(h->cfg->timeout_ns / 1000000000));
    record(h, -1, msg, now_ms);
  } else {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    record(h, code, h->out ? h->out : "", now_ms);
  }
  abandon_probe(h);
  return true;
}
