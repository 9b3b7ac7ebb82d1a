/* Logging for the CLIs: --log FILE, --log-format text|json (json lines with level,
 * msg and time, as containerd and podman read them), --debug. */
#ifndef HULL_LOG_H
#define HULL_LOG_H

#include <stdbool.h>

#include "error.h"

enum hull_log_level { HULL_LOG_DEBUG, HULL_LOG_INFO, HULL_LOG_WARNING, HULL_LOG_ERROR };

int hull_log_init(const char *path, const char *format, bool debug) HULL_WUR;
/* Drops messages less severe than level (--log-level); debug ones still need debug. */
void hull_log_min_level(enum hull_log_level level);
void hull_log(enum hull_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define hull_debug(...) hull_log(HULL_LOG_DEBUG, __VA_ARGS__)
#define hull_warn(...) hull_log(HULL_LOG_WARNING, __VA_ARGS__)
/* True when warnings should also go to stderr (no --log file given). */
bool hull_log_to_stderr(void);
/* The fd of the log file, or -1 (passed to children that keep logging). */
int hull_log_fd(void);
/* Closes the log file and drops every later message: for a runtime child that processes
 * of the container can see, whose stderr is the container's. */
void hull_log_detach(void);

#endif
