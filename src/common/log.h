/* Logging: library code calls hull_log (hull_debug, hull_warn); the messages go to the
 * handler that the program set (hull_rt_config's log for the runtime library), or
 * nowhere. Library code never prints. hull_log_init is a ready-made handler for a
 * command-line program: --log FILE, --log-format text|json (json lines with level, msg
 * and time, as containerd and podman read them), --debug, stderr otherwise. */
#ifndef HULL_LOG_H
#define HULL_LOG_H

#include <stdbool.h>

#include "error.h"

enum hull_log_level { HULL_LOG_DEBUG, HULL_LOG_INFO, HULL_LOG_WARNING, HULL_LOG_ERROR };

typedef void (*hull_log_fn)(void *ud, enum hull_log_level level, const char *msg);
/* Sets the process's handler (NULL: messages are dropped). debug: debug messages too.
 * keep_fd: an fd the handler writes to, which the runtime's children keep until they
 * detach (-1: none). */
void hull_log_set_handler(hull_log_fn fn, void *ud, bool debug, int keep_fd);
void hull_log(enum hull_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define hull_debug(...) hull_log(HULL_LOG_DEBUG, __VA_ARGS__)
#define hull_warn(...) hull_log(HULL_LOG_WARNING, __VA_ARGS__)
/* The handler's fd (keep_fd), or -1 (passed to children that keep logging). */
int hull_log_fd(void);
/* Closes the handler's fd and drops every later message: for a runtime child that
 * processes of the container can see, whose stderr is the container's. */
void hull_log_detach(void);

/* The ready-made handler for a command-line program: a log file (path, may be NULL) in
 * format "text" or "json" (NULL: text), else stderr as "hull-runtime: LEVEL: MSG"
 * (errors are main's to print). Prints its own failure to stderr. */
int hull_log_init(const char *path, const char *format, bool debug) HULL_WUR;
/* Drops messages less severe than level (--log-level); debug ones still need debug. */
void hull_log_min_level(enum hull_log_level level);
/* The ready-made handler itself (ud: unused), for a program that passes it on. */
void hull_log_standard(void *ud, enum hull_log_level level, const char *msg);
/* The ready-made handler's log file, or -1. */
int hull_log_standard_fd(void);
bool hull_log_standard_debug(void);

#endif
