/* monitor.json (CONTRACT §3, docs/design.md): what the engine tells the monitor. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "monitor.h"

void mon_strv_free(char **v) {
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

void mon_config_free(struct mon_config *c) {
  free(c->path);
  free(c->id);
  free(c->bundle);
  free(c->runtime_root);
  free(c->log_path);
  free(c->attach_socket);
  free(c->exit_file);
  free(c->pid_file);
  free(c->health_file);
  free(c->unmount);
  mon_strv_free(c->health.argv);
  if (c->teardown) {
    for (char ***t = c->teardown; *t; t++)
      mon_strv_free(*t);
    free(c->teardown);
  }
  mon_strv_free(c->remove_cmd);
  free(c->events_root);
  json_decref(c->event_attrs);
  memset(c, 0, sizeof(*c));
}

void mon_time_now(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
  size_t f = strlen(frac);
  while (f > 1 && frac[f - 1] == '0')
    frac[--f] = '\0';
  if (f == 1)
    frac[0] = '\0';
  snprintf(buf + n, size - n, "%sZ", frac);
}

int64_t mon_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A JSON array of strings as a NULL-terminated vector; NULL (not an error) for null/absent. */
static int strv_from_json(const json_t *a, const char *what, char ***out, hull_err *err) {
  *out = NULL;
  if (a == NULL || json_is_null(a))
    return 0;
  if (!json_is_array(a) || json_array_size(a) == 0)
    return hull_error(err, EINVAL, "monitor.json: %s: not a non-empty array of strings", what);
  size_t n = json_array_size(a);
  char **v = calloc(n + 1, sizeof(*v));
  if (v == NULL)
    return hull_error(err, ENOMEM, "monitor.json: %s", what);
  for (size_t i = 0; i < n; i++) {
    const char *s = json_string_value(json_array_get(a, i));
    if (s == NULL || (v[i] = strdup(s)) == NULL) {
      mon_strv_free(v);
      return hull_error(err, s ? ENOMEM : EINVAL, "monitor.json: %s[%zu]: not a string", what, i);
    }
  }
  *out = v;
  return 0;
}

static int get_str(json_t *o, const char *key, bool required, char **out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return required ? hull_error(err, EINVAL, "monitor.json: %s: missing", key) : 0;
  if (!json_is_string(v))
    return hull_error(err, EINVAL, "monitor.json: %s: not a string", key);
  *out = strdup(json_string_value(v));
  return *out ? 0 : hull_error(err, ENOMEM, "monitor.json: %s", key);
}

static int get_int(json_t *o, const char *key, int64_t def, int64_t *out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  *out = def;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return hull_error(err, EINVAL, "monitor.json: %s: not a non-negative integer", key);
  *out = json_integer_value(v);
  return 0;
}

static int parse_restart(json_t *r, struct mon_config *c, hull_err *err) {
  c->restart = MON_RESTART_NO;
  if (r == NULL || json_is_null(r))
    return 0;
  const char *p = json_string_value(json_object_get(r, "policy"));
  if (p == NULL || strcmp(p, "no") == 0 || *p == '\0')
    c->restart = MON_RESTART_NO;
  else if (strcmp(p, "on-failure") == 0)
    c->restart = MON_RESTART_ON_FAILURE;
  else if (strcmp(p, "always") == 0)
    c->restart = MON_RESTART_ALWAYS;
  else if (strcmp(p, "unless-stopped") == 0)
    c->restart = MON_RESTART_UNLESS_STOPPED;
  else
    return hull_error(err, EINVAL, "monitor.json: restart.policy: unknown policy %s", p);
  int64_t n;
  if (get_int(r, "max_retries", 0, &n, err) < 0)
    return -1;
  c->max_retries = n > INT_MAX ? INT_MAX : (int)n;
  return 0;
}

int mon_config_reload_restart(struct mon_config *c, hull_err *err) {
  /* restart.json sits next to the file that names the container (monitor.json's path in
   * our argv; its text came from the engine's memfd, so there is no file to rewrite). */
  const char *slash = strrchr(c->path, '/');
  int dlen = slash ? (int)(slash - c->path) : 1;
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%.*s/restart.json", dlen, slash ? c->path : ".") < 0)
    return hull_error(err, ENOMEM, "restart.json");
  json_error_t je;
  cleanup_json json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (o == NULL) {
    if (access(path, F_OK) < 0 && errno == ENOENT)
      return 0; /* never updated: the policy of monitor.json stands */
    return hull_error(err, EINVAL, "%s: line %d: %s", path, je.line, je.text);
  }
  /* Parsed into a copy: a bad policy must not leave half of one behind. */
  struct mon_config fresh = {0};
  if (parse_restart(json_object_get(o, "restart"), &fresh, err) < 0) {
    hull_error_wrap(err, "%s", path);
    return -1;
  }
  c->restart = fresh.restart;
  c->max_retries = fresh.max_retries;
  return 0;
}

/* Docker's health check defaults: 30 s interval and timeout, 3 retries. */
static int parse_health(json_t *h, struct mon_health_cfg *hc, hull_err *err) {
  if (h == NULL || json_is_null(h))
    return 0;
  json_t *cmd = json_object_get(h, "cmd");
  cleanup_strv char **v = NULL;
  if (strv_from_json(cmd, "health.cmd", &v, err) < 0)
    return -1;
  int64_t n;
  if (get_int(h, "interval_ns", 0, &hc->interval_ns, err) < 0 ||
      get_int(h, "timeout_ns", 0, &hc->timeout_ns, err) < 0 ||
      get_int(h, "start_period_ns", 0, &hc->start_period_ns, err) < 0 || get_int(h, "retries", 0, &n, err) < 0)
    return -1;
  if (hc->interval_ns == 0)
    hc->interval_ns = 30LL * 1000000000;
  if (hc->timeout_ns == 0)
    hc->timeout_ns = 30LL * 1000000000;
  hc->retries = n == 0 ? 3 : (n > INT_MAX ? INT_MAX : (int)n);
  if (v == NULL || strcmp(v[0], "NONE") == 0)
    return 0;
  size_t len = 0;
  while (v[len])
    len++;
  if (strcmp(v[0], "CMD-SHELL") == 0) {
    if (len != 2)
      return hull_error(err, EINVAL, "monitor.json: health.cmd: CMD-SHELL takes one string");
    char **sh = calloc(4, sizeof(*sh));
    if (sh == NULL)
      return hull_error(err, ENOMEM, "monitor.json: health.cmd");
    sh[0] = strdup("/bin/sh");
    sh[1] = strdup("-c");
    sh[2] = steal_pointer(&v[1]);
    hc->argv = sh;
    if (sh[0] == NULL || sh[1] == NULL)
      return hull_error(err, ENOMEM, "monitor.json: health.cmd");
    return 0;
  }
  if (strcmp(v[0], "CMD") == 0) {
    if (len < 2)
      return hull_error(err, EINVAL, "monitor.json: health.cmd: CMD needs a command");
    free(v[0]);
    memmove(v, v + 1, len * sizeof(*v));
  }
  hc->argv = steal_pointer(&v);
  return 0;
}

static int parse_teardown(json_t *t, struct mon_config *c, hull_err *err) {
  if (t == NULL || json_is_null(t))
    return 0;
  if (!json_is_array(t))
    return hull_error(err, EINVAL, "monitor.json: teardown: not an array of commands");
  c->teardown = calloc(json_array_size(t) + 1, sizeof(*c->teardown));
  if (c->teardown == NULL)
    return hull_error(err, ENOMEM, "monitor.json: teardown");
  for (size_t i = 0; i < json_array_size(t); i++)
    if (strv_from_json(json_array_get(t, i), "teardown[]", &c->teardown[i], err) < 0 || c->teardown[i] == NULL)
      return *err ? -1 : hull_error(err, EINVAL, "monitor.json: teardown[%zu]: null", i);
  return 0;
}

/* health.json sits next to exit.json (CONTRACT §2: <root>/containers/<id>/). */
static int health_path(struct mon_config *c, hull_err *err) {
  cleanup_free char *copy = strdup(c->exit_file);
  if (copy == NULL || asprintf(&c->health_file, "%s/health.json", dirname(copy)) < 0) {
    c->health_file = NULL;
    return hull_error(err, ENOMEM, "monitor.json");
  }
  return 0;
}

int mon_config_load(const char *path, struct mon_config *c, hull_err *err) {
  memset(c, 0, sizeof(*c));
  json_error_t je;
  cleanup_json json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
  if (o == NULL)
    return hull_error(err, EINVAL, "%s: line %d: %s", path, je.line, je.text);
  if (!json_is_object(o))
    return hull_error(err, EINVAL, "%s: not a JSON object", path);
  c->path = strdup(path);
  if (c->path == NULL)
    return hull_error(err, ENOMEM, "%s", path);
  int64_t n;
  if (get_str(o, "id", true, &c->id, err) < 0 || get_str(o, "bundle", true, &c->bundle, err) < 0 ||
      get_str(o, "runtime_root", true, &c->runtime_root, err) < 0 ||
      get_str(o, "log_path", true, &c->log_path, err) < 0 ||
      get_str(o, "attach_socket", true, &c->attach_socket, err) < 0 ||
      get_str(o, "exit_file", true, &c->exit_file, err) < 0 || get_str(o, "pid_file", false, &c->pid_file, err) < 0 ||
      get_int(o, "log_max_size", 0, &c->log_max_size, err) < 0 || get_int(o, "log_max_file", 1, &n, err) < 0 ||
      parse_restart(json_object_get(o, "restart"), c, err) < 0 ||
      parse_health(json_object_get(o, "health"), &c->health, err) < 0 ||
      parse_teardown(json_object_get(o, "teardown"), c, err) < 0 ||
      strv_from_json(json_object_get(o, "remove_cmd"), "remove_cmd", &c->remove_cmd, err) < 0 ||
      get_str(o, "events_root", false, &c->events_root, err) < 0 ||
      get_str(o, "unmount", false, &c->unmount, err) < 0 || health_path(c, err) < 0)
    goto fail;
  c->log_max_file = n < 1 ? 1 : (n > 1000 ? 1000 : (int)n);
  c->systemd_cgroup = json_is_true(json_object_get(o, "systemd_cgroup"));
  json_t *pp = json_object_get(o, "private_pid_ns");
  c->private_pid_ns = json_is_boolean(pp) ? json_is_true(pp) : -1;
  c->interactive = json_is_true(json_object_get(o, "interactive"));
  c->tty = json_is_true(json_object_get(o, "tty"));
  c->stdin_once = json_is_true(json_object_get(o, "stdin_once"));
  c->auto_remove = json_is_true(json_object_get(o, "auto_remove"));
  c->engine_removes = json_is_true(json_object_get(o, "engine_removes"));
  c->engine_pid = (pid_t)json_integer_value(json_object_get(o, "engine_pid"));
  json_t *attrs = json_object_get(o, "event_attrs");
  c->event_attrs = json_is_object(attrs) ? json_incref(attrs) : NULL;
  if (get_int(o, "attach_window_ms", 0, &c->attach_window_ms, err) < 0 || get_int(o, "stop_signal", 15, &n, err) < 0 ||
      get_int(o, "owner_pid", 0, &c->owner_pid, err) < 0 || get_int(o, "owner_start", 0, &c->owner_start, err) < 0)
    goto fail;
  if (n < 1 || n > 64) {
    hull_error(err, EINVAL, "monitor.json: stop_signal: %lld is not a signal", (long long)n);
    goto fail;
  }
  c->stop_signal = (int)n;
  return 0;
fail:
  hull_error_wrap(err, "%s", path);
  mon_config_free(c);
  return -1;
}
