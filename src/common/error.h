/* Errors: one error is created at the failing call, carrying errno and the object
 * (path, id, flag) it concerns; callers pass it up or wrap it with context.
 * Only main() prints and exits. */
#ifndef HULL_ERROR_H
#define HULL_ERROR_H

#include <stdarg.h>

/* On every function whose result says whether it failed (a status, an fd, an allocation):
 * ignoring one is a bug the compiler reports. Where ignoring is right, the caller says so
 * explicitly, e.g. by releasing a local error with a comment why; a (void) cast does not
 * silence this attribute in gcc, on purpose. hull_error() and friends always return -1 and
 * are not marked. */
#define HULL_WUR __attribute__((warn_unused_result))

typedef struct hull_error_s {
  int errno_;   /* errno at the failing call, 0 if not a system error */
  int status;   /* suggested exit status for the CLI (default 1) */
  char *msg;    /* full message, including the strerror text */
} *hull_err;

/* Sets *err (which must be NULL) and returns -1, so `return hull_error(err, ...)` works. */
int hull_error(hull_err *err, int errno_, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, but errno_ is only carried for callers to test, not appended to the text: for
 * errors whose exact text other programs match on (runc's "container X does not exist",
 * ENOENT). Callers test the errno, never the text. */
int hull_error_code(hull_err *err, int errno_, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same with errno taken from the current errno. */
int hull_error_sys(hull_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "context: " to an existing error; returns -1. */
int hull_error_wrap(hull_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hull_error_release(hull_err *err);
/* Builds an error from a forwarded (errno, message) pair, e.g. from the container's child. */
int hull_error_from_msg(hull_err *err, int errno_, int status, const char *msg);

#endif
