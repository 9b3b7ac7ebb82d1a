#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"

static hull_log_fn handler;
static void *handler_ud;
static bool handler_debug;
static int handler_fd = -1;
static bool detached;

void hull_log_set_handler(hull_log_fn fn, void *ud, bool debug, int keep_fd) {
  handler = fn;
  handler_ud = ud;
  handler_debug = debug;
  handler_fd = keep_fd;
  detached = false;
}

int hull_log_fd(void) { return detached ? -1 : handler_fd; }

void hull_log_detach(void) {
  if (handler_fd >= 0)
    close(handler_fd);
  handler_fd = -1;
  detached = true;
}

void hull_log(enum hull_log_level level, const char *fmt, ...) {
  if (handler == NULL || detached || (level == HULL_LOG_DEBUG && !handler_debug))
    return;
  char msg[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  handler(handler_ud, level, msg);
}

/* The ready-made handler of command-line programs. */

static const char *std_prog = "hull-runtime";
static int std_fd = -1;
static bool std_json = false;
static bool std_debug = false;
static enum hull_log_level std_min = HULL_LOG_DEBUG;

void hull_log_min_level(enum hull_log_level level) { std_min = level; }
int hull_log_standard_fd(void) { return std_fd; }
bool hull_log_standard_debug(void) { return std_debug; }

int hull_log_init(const char *path, const char *format, bool debug) {
  const char *prog = std_prog;
  std_debug = debug;
  if (format != NULL) {
    if (strcmp(format, "json") == 0)
      std_json = true;
    else if (strcmp(format, "text") != 0) {
      fprintf(stderr, "%s: --log-format: unknown format \"%s\" (want text or json)\n", prog, format);
      return -1;
    }
  }
  if (path != NULL && *path != '\0') {
    /* The log may sit in a directory a container can write to (a bundle on a volume):
     * a symlink planted at the path is not followed, and a fifo planted there cannot
     * block us (O_NONBLOCK fails with ENXIO without a reader). Names of the caller's
     * own streams (/dev/stderr, /proc/self/fd/N) are symlinks by design and followed. */
    int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK;
    bool own_stream = hull_str_has_prefix(path, "/dev/") || hull_str_has_prefix(path, "/proc/self/fd/");
    std_fd = open(path, flags | (own_stream ? 0 : O_NOFOLLOW), 0640);
    if (std_fd >= 0)
      fcntl(std_fd, F_SETFL, O_APPEND);
    if (std_fd < 0) {
      fprintf(stderr, "%s: open log file %s: %s\n", prog, path, strerror(errno));
      return -1;
    }
  }
  hull_log_set_handler(hull_log_standard, NULL, debug, std_fd);
  return 0;
}

static const char *level_name(enum hull_log_level l) {
  switch (l) {
  case HULL_LOG_DEBUG:
    return "debug";
  case HULL_LOG_INFO:
    return "info";
  case HULL_LOG_WARNING:
    return "warning";
  case HULL_LOG_ERROR:
    return "error";
  default:
    return "info";
  }
}

void hull_log_standard(void *ud, enum hull_log_level level, const char *msg) {
  if ((level == HULL_LOG_DEBUG && !std_debug) || level < std_min)
    return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[64];
  snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
  /* A child that detached (hull_log_detach) closed its copy of the file. */
  int fd = hull_log_fd() >= 0 ? std_fd : -1;
  if (fd >= 0) {
    char *line = NULL;
    if (std_json) {
      json_t *o = json_pack("{s:s, s:s, s:s}", "level", level_name(level), "msg", msg, "time", when);
      char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
      json_decref(o);
      if (s != NULL && asprintf(&line, "%s\n", s) < 0)
        line = NULL;
      free(s);
    } else if (asprintf(&line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level_name(level), msg) < 0) {
      line = NULL;
    }
    if (line != NULL && hull_write_all(fd, line, strlen(line)) < 0) {
      /* A log that cannot be written cannot report that either; stderr is the caller's. */
    }
    free(line);
  }
  /* Errors are printed by main to stderr as well; warnings go to stderr only when
   * there is no log file, so callers that parse stderr are not confused. */
  if (std_fd < 0 && level != HULL_LOG_ERROR)
    fprintf(stderr, "%s: %s: %s\n", std_prog, level_name(level), msg);
}
