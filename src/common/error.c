#include "error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set_error(hull_err *err, int errno_, bool show_errno, const char *fmt, va_list ap) {
  char *text = NULL;
  if (vasprintf(&text, fmt, ap) < 0)
    text = NULL;
  if (err == NULL) {
    free(text);
    return -1;
  }
  if (*err != NULL) /* a second error is a programming error: keep the first */
  {
    free(text);
    return -1;
  }
  struct hull_error_s *e = calloc(1, sizeof(*e));
  if (e == NULL) {
    free(text);
    return -1;
  }
  e->errno_ = errno_;
  e->status = 1;
  if (errno_ != 0 && show_errno && text != NULL) {
    char *full = NULL;
    if (asprintf(&full, "%s: %s", text, strerror(errno_)) >= 0) {
      free(text);
      text = full;
    }
  }
  e->msg = text != NULL ? text : strdup("out of memory");
  *err = e;
  return -1;
}

int hull_error(hull_err *err, int errno_, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_error(err, errno_, true, fmt, ap);
  va_end(ap);
  return -1;
}

int hull_error_code(hull_err *err, int errno_, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_error(err, errno_, false, fmt, ap);
  va_end(ap);
  return -1;
}

int hull_error_sys(hull_err *err, const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  set_error(err, saved, true, fmt, ap);
  va_end(ap);
  errno = saved;
  return -1;
}

int hull_error_wrap(hull_err *err, const char *fmt, ...) {
  if (err == NULL || *err == NULL)
    return -1;
  char *ctx = NULL;
  va_list ap;
  va_start(ap, fmt);
  int r = vasprintf(&ctx, fmt, ap);
  va_end(ap);
  if (r < 0)
    return -1;
  char *full = NULL;
  if (asprintf(&full, "%s: %s", ctx, (*err)->msg) >= 0) {
    free((*err)->msg);
    (*err)->msg = full;
  }
  free(ctx);
  return -1;
}

void hull_error_release(hull_err *err) {
  if (err == NULL || *err == NULL)
    return;
  free((*err)->msg);
  free(*err);
  *err = NULL;
}

int hull_error_from_msg(hull_err *err, int errno_, int status, const char *msg) {
  if (err == NULL || *err != NULL)
    return -1;
  struct hull_error_s *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  e->errno_ = errno_;
  e->status = status ? status : 1;
  e->msg = strdup(msg ? msg : "unknown error");
  *err = e;
  return -1;
}
