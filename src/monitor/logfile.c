/* The container's logs as Docker's json-file driver writes them: one JSON object per line,
 * {"log":"<the line, with its \n>","stream":"stdout|stderr","time":"<RFC3339Nano>"}, so that
 * `hull logs` (and anything that reads Docker's files) can follow, filter by time and tell
 * the streams apart. A line longer than 16 KiB is cut into pieces like Docker's (the last
 * without the newline); invalid UTF-8 becomes U+FFFD as in Go's JSON encoder.
 *
 * Rotation as --log-opt max-size/max-file: when the next line would push ctr.log past
 * max_size, ctr.log.(N-2) -> .(N-1), ..., ctr.log -> ctr.log.1 and a new ctr.log is begun;
 * with max_file 1 the file is truncated instead. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "monitor.h"

#define LINE_MAX_BYTES (16 * 1024)

struct mon_log {
  char *path;
  int fd;
  int64_t size, max_size;
  int max_file;
  char *partial[2]; /* stdout, stderr: the bytes of an unfinished line */
  size_t partial_len[2];
};

static const char *const stream_names[2] = {"stdout", "stderr"};

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  size_t len;
  unsigned min;
  unsigned cp;
  if (s[0] < 0xc2 || s[0] > 0xf4)
    return 0;
  if (s[0] < 0xe0) {
    len = 2, min = 0x80, cp = s[0] & 0x1f;
  } else if (s[0] < 0xf0) {
    len = 3, min = 0x800, cp = s[0] & 0x0f;
  } else {
    len = 4, min = 0x10000, cp = s[0] & 0x07;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

ssize_t mon_log_format(char *buf, size_t size, const char *line, size_t len, const char *stream, const char *time) {
  size_t o = 0;
#define PUT(s, n)                                                                                                      \
  do {                                                                                                                 \
    if (o + (n) >= size)                                                                                               \
      return -1;                                                                                                       \
    memcpy(buf + o, (s), (n));                                                                                         \
    o += (n);                                                                                                          \
  } while (0)
  PUT("{\"log\":\"", 8);
  const unsigned char *s = (const unsigned char *)line;
  for (size_t i = 0; i < len;) {
    unsigned char ch = s[i];
    char esc[8];
    if (ch == '"' || ch == '\\') {
      esc[0] = '\\', esc[1] = (char)ch;
      PUT(esc, 2);
    } else if (ch == '\n') {
      PUT("\\n", 2);
    } else if (ch == '\r') {
      PUT("\\r", 2);
    } else if (ch == '\t') {
      PUT("\\t", 2);
    } else if (ch < 0x20 || ch == 0x7f || ch == '<' || ch == '>' || ch == '&') {
      /* Go escapes <, > and & too (HTML safety); Docker's files carry them so. */
      snprintf(esc, sizeof(esc), "\\u%04x", ch);
      PUT(esc, 6);
    } else if (ch < 0x80) {
      PUT(&s[i], 1);
    } else {
      size_t u = utf8_len(s + i, len - i);
      if (u == 0) {
        PUT("\\ufffd", 6);
        i++;
        continue;
      }
      PUT(&s[i], u);
      i += u;
      continue;
    }
    i++;
  }
  PUT("\",\"stream\":\"", 12);
  PUT(stream, strlen(stream));
  PUT("\",\"time\":\"", 10);
  PUT(time, strlen(time));
  PUT("\"}\n", 3);
#undef PUT
  return (ssize_t)o;
}

static int open_log(struct mon_log *l, hull_err *err) {
  l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
  if (l->fd < 0)
    return hull_error_sys(err, "open %s", l->path);
  struct stat st;
  l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
  return 0;
}

static void rotate(struct mon_log *l) {
  hull_err e = NULL;
  if (l->max_file <= 1) {
    if (ftruncate(l->fd, 0) < 0)
      hull_warn("truncate %s: %s", l->path, strerror(errno));
    l->size = 0;
    return;
  }
  size_t n = strlen(l->path) + 16;
  cleanup_free char *from = malloc(n);
  cleanup_free char *to = malloc(n);
  if (from == NULL || to == NULL)
    return;
  for (int i = l->max_file - 1; i >= 1; i--) {
    if (i == 1)
      snprintf(from, n, "%s", l->path);
    else
      snprintf(from, n, "%s.%d", l->path, i - 1);
    snprintf(to, n, "%s.%d", l->path, i);
    if (rename(from, to) < 0 && errno != ENOENT)
      hull_warn("rotate %s: %s", from, strerror(errno));
  }
  close(l->fd);
  if (open_log(l, &e) < 0) {
    /* The container goes on; its output is dropped until a rotation succeeds. */
    hull_warn("%s", e->msg);
    hull_error_release(&e);
  }
}

static void write_line(struct mon_log *l, int stream, const char *line, size_t len) {
  /* Allocated per line, not kept: an idle monitor holds no buffers. A byte escapes to at
   * most 6, and the frame is < 128 bytes. */
  size_t size = len * 6 + 128;
  cleanup_free char *out = malloc(size);
  if (out == NULL)
    return;
  char now[64];
  mon_time_now(now, sizeof(now));
  ssize_t n = mon_log_format(out, size, line, len, stream_names[stream], now);
  if (n < 0)
    return;
  if (l->max_size > 0 && l->size > 0 && l->size + n > l->max_size)
    rotate(l);
  if (l->fd < 0)
    return;
  if (hull_write_all(l->fd, out, (size_t)n) < 0) {
    /* A full disk: the line is lost, and so is what of it was written, so that the log
     * stays whole JSON lines (the next line would otherwise continue a torn one). */
    int e = errno;
    if (ftruncate(l->fd, l->size) < 0)
      hull_debug("truncate %s: %s", l->path, strerror(errno));
    hull_warn("write %s: %s", l->path, strerror(e));
    return;
  }
  l->size += n;
}

int mon_log_open(const char *path, int64_t max_size, int max_file, struct mon_log **out, hull_err *err) {
  struct mon_log *l = calloc(1, sizeof(*l));
  if (l == NULL || (l->path = strdup(path)) == NULL) {
    free(l);
    return hull_error(err, ENOMEM, "log %s", path);
  }
  l->max_size = max_size;
  l->max_file = max_file;
  if (open_log(l, err) < 0) {
    free(l->path);
    free(l);
    return -1;
  }
  *out = l;
  return 0;
}

void mon_log_feed(struct mon_log *l, int stream, const char *data, size_t len) {
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t take = nl ? (size_t)(nl - data) + 1 : len;
    size_t have = l->partial_len[stream];
    if (have + take > LINE_MAX_BYTES)
      take = LINE_MAX_BYTES - have;
    bool complete = (nl && take == (size_t)(nl - data) + 1) || have + take == LINE_MAX_BYTES;
    if (have == 0 && complete) {
      write_line(l, stream, data, take);
    } else {
      if (l->partial[stream] == NULL && (l->partial[stream] = malloc(LINE_MAX_BYTES)) == NULL)
        return;
      memcpy(l->partial[stream] + have, data, take);
      l->partial_len[stream] = have + take;
      if (complete)
        mon_log_flush(l, stream);
    }
    data += take;
    len -= take;
  }
}

void mon_log_flush(struct mon_log *l, int stream) {
  if (l->partial_len[stream] == 0)
    return;
  write_line(l, stream, l->partial[stream], l->partial_len[stream]);
  l->partial_len[stream] = 0;
  /* An idle monitor keeps no line buffers (the 1 MiB budget). */
  free(l->partial[stream]);
  l->partial[stream] = NULL;
}

void mon_log_close(struct mon_log *l) {
  if (l == NULL)
    return;
  mon_log_flush(l, 0);
  mon_log_flush(l, 1);
  if (l->fd >= 0)
    close(l->fd);
  free(l->path);
  free(l);
}
