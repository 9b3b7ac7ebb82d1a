/* hull events: the engine's event journal (engine/events.c), filtered and followed like
 * docker events: past events from --since, then new ones as they come, until --until or
 * until interrupted. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "image/image.h"

#define EVENTS_USAGE                                                                                                   \
  "events [OPTIONS]\n\nGet real time events from the server\n\nOptions:\n"                                             \
  "  -f, --filter filter   Filter output based on conditions provided\n"                                               \
  "      --format string   Format output using a custom template or json\n"                                            \
  "      --since string    Show all events created since timestamp\n"                                                  \
  "      --until string    Stream events until this timestamp\n"

/* Docker's timestamps (image/image.h): Unix seconds, RFC 3339, a date or a duration back. */
static int parse_time(const char *s, const char *flag, int64_t *out, hull_err *err) {
  if (hull_parse_timestamp_ns(s, hull_now_ns(), out) < 0)
    return hull_usage_error(err, "events", "invalid value \"%s\" for %s: not a timestamp", s, flag);
  return 0;
}

typedef struct filters {
  const char *v[32];
  size_t n;
} filters;

/* Filters of one key are alternatives (OR); different keys must all match (AND). */
static bool matches(const json_t *ev, const filters *f) {
  static const char *const keys[] = {"type", "event", "container", "image", "volume", "label"};
  const json_t *actor = json_object_get(ev, "Actor");
  const json_t *attrs = json_object_get(actor, "Attributes");
  const char *type = json_string_value(json_object_get(ev, "Type"));
  const char *id = json_string_value(json_object_get(actor, "ID"));
  for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
    bool any = false, hit = false;
    size_t kl = strlen(keys[k]);
    for (size_t i = 0; i < f->n; i++) {
      if (strncmp(f->v[i], keys[k], kl) != 0 || f->v[i][kl] != '=')
        continue;
      any = true;
      const char *val = f->v[i] + kl + 1;
      const char *name = json_string_value(json_object_get(attrs, "name"));
      const char *image = json_string_value(json_object_get(attrs, "image"));
      if (k == 0)
        hit = hit || (type && strcmp(type, val) == 0);
      else if (k == 1)
        hit = hit || strcmp(json_string_value(json_object_get(ev, "Action")), val) == 0;
      else if (k == 2)
        hit = hit || (type && strcmp(type, "container") == 0 &&
                      ((id && strncmp(id, val, strlen(val)) == 0) || (name && strcmp(name, val) == 0)));
      else if (k == 3)
        hit = hit || (image && strcmp(image, val) == 0) ||
              (type && strcmp(type, "image") == 0 && id && strcmp(id, val) == 0);
      else if (k == 4)
        hit = hit || (type && strcmp(type, "volume") == 0 && id && strcmp(id, val) == 0);
      else {
        const char *eq = strchr(val, '=');
        cleanup_free char *lk = strndup(val, eq ? (size_t)(eq - val) : strlen(val));
        const json_t *lv = json_object_get(attrs, lk);
        hit = hit || (lv && (eq == NULL || strcmp(json_string_value(lv), eq + 1) == 0));
      }
    }
    if (any && !hit)
      return false;
  }
  return true;
}

/* Docker's text line: time type action id (attributes sorted by key). */
static void print_text(const json_t *ev) {
  char when[64];
  hull_time_rfc3339(json_integer_value(json_object_get(ev, "timeNano")), when, sizeof(when));
  const json_t *actor = json_object_get(ev, "Actor");
  printf("%s %s %s %s", when, json_string_value(json_object_get(ev, "Type")),
         json_string_value(json_object_get(ev, "Action")), json_string_value(json_object_get(actor, "ID")));
  const json_t *attrs = json_object_get(actor, "Attributes");
  if (json_object_size(attrs) > 0) {
    const char **k = calloc(json_object_size(attrs), sizeof(*k));
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)attrs, key, v) if (k) k[n++] = key;
    for (size_t i = 1; i < n; i++)
      for (size_t j = i; j > 0 && strcmp(k[j - 1], k[j]) > 0; j--) {
        const char *t = k[j];
        k[j] = k[j - 1];
        k[j - 1] = t;
      }
    for (size_t i = 0; i < n; i++)
      printf("%s%s=%s", i ? ", " : " (", k[i], json_string_value(json_object_get(attrs, k[i])));
    printf(")");
    free(k);
  }
  printf("\n");
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

typedef struct opts {
  int64_t since, until;
  bool has_since, has_until;
  const char *format;
  filters f;
} opts;

/* 1: an event past --until was seen (the end); 0: go on; -1: error. */
static int emit(const char *line, const opts *o, hull_err *err) {
  cleanup_json json_t *ev = json_loads(line, 0, NULL);
  if (ev == NULL)
    return 0; /* a line cut by a crash mid-write */
  int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
  if (o->has_since && t < o->since)
    return 0;
  if (o->has_until && t > o->until)
    return 1;
  if (!matches(ev, &o->f))
    return 0;
  if (o->format == NULL) {
    print_text(ev);
  } else {
    const char *terr = NULL;
    cleanup_free char *out = hull_template_render(strcmp(o->format, "json") == 0 ? "{{json .}}" : o->format, ev, &terr);
    if (out == NULL)
      return hull_usage_error(err, "events", "template: %s", terr ? terr : "bad template");
    printf("%s\n", out);
  }
  fflush(stdout);
  return 0;
}

/* Reads FILE from its current offset to its end; *done when --until is passed. */
static int drain(FILE *f, const opts *o, bool *done, hull_err *err) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int r = 0;
  while (!*done && (n = getline(&line, &cap, f)) > 0) {
    if (line[n - 1] != '\n') {
      /* A line still being written: read again once it is complete. */
      fseeko(f, -(off_t)n, SEEK_CUR);
      break;
    }
    if ((r = emit(line, o, err)) < 0)
      break;
    *done = r == 1;
    r = 0;
  }
  free(line);
  clearerr(f);
  return r;
}

static int follow(hull_cli *g, const opts *o, hull_err *err) {
  cleanup_free char *path = NULL, *old = NULL;
  if (asprintf(&path, "%s/events.jsonl", g->root) < 0 || asprintf(&old, "%s.1", path) < 0)
    return hull_error(err, ENOMEM, "events");
  bool done = false;
  if (o->has_since) {
    cleanup_file FILE *f1 = fopen(old, "re");
    if (f1 && drain(f1, o, &done, err) < 0)
      return -1;
  }
  cleanup_file FILE *f = fopen(path, "re");
  if (f && !o->has_since)
    fseeko(f, 0, SEEK_END); /* no --since: only what happens from now on */
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  for (;;) {
    if (f && drain(f, o, &done, err) < 0)
      return -1;
    if (done || stop || (o->has_until && hull_now_ns() > o->until))
      return 0;
    struct timespec tick = {0, 100 * 1000 * 1000};
    nanosleep(&tick, NULL);
    /* The journal appeared, or was rotated: the new file from its start. */
    struct stat a, b;
    if (stat(path, &a) == 0 && (f == NULL || (fstat(fileno(f), &b) == 0 && a.st_ino != b.st_ino))) {
      if (f && drain(f, o, &done, err) < 0)
        return -1;
      if (f)
        fclose(f);
      f = fopen(path, "re");
    }
  }
}

int cmd_events(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option lopts[] = {
      {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
      {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
      {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
  opts o = {0};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:f:h", lopts, NULL)) != -1) {
    if (c == 'f') {
      static const char *const ok[] = {"type=", "event=", "container=", "image=", "volume=", "label="};
      bool known = false;
      for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        known = known || strncmp(optarg, ok[i], strlen(ok[i])) == 0;
      if (!known || o.f.n == 32)
        return hull_usage_error(err, "events", "invalid filter '%s'", optarg);
      o.f.v[o.f.n++] = optarg;
    } else if (c == 'F') {
      o.format = optarg;
    } else if (c == 'S') {
      if (parse_time(optarg, "--since", &o.since, err) < 0)
        return -1;
      o.has_since = true;
    } else if (c == 'U') {
      if (parse_time(optarg, "--until", &o.until, err) < 0)
        return -1;
      o.has_until = true;
    } else {
      int r = hull_cli_common_opt(c, "events", EVENTS_USAGE, argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind < argc)
    return hull_usage_error(err, "events", "\"hull events\" accepts no arguments.");
  return follow(g, &o, err);
}
