/* hull's configuration file: defaults for the global flags, read before them.
 *
 *   # /etc/hull/hull.conf (or the file $HULL_CONFIG names)
 *   root = "/var/lib/hull"
 *   runroot = "/run/hull"
 *   log-level = "warn"
 *   cgroup-driver = "cgroupfs"      # or "systemd"
 *
 * One "key = value" a line (TOML's basic form: the value may be quoted); '#' starts a
 * comment. A missing default file is no error; a file named by $HULL_CONFIG must exist. An
 * unknown key or a bad line is an error naming the file and line, so a typo is never
 * silently ignored. Flags on the command line win over the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
  return s;
}

/* A value: "quoted" (no escapes needed for paths) or bare up to a comment. */
static char *value_of(char *v) {
  if (*v == '"') {
    char *end = strchr(v + 1, '"');
    if (end == NULL)
      return NULL;
    *end = '\0';
    char *rest = trim(end + 1);
    return *rest == '\0' || *rest == '#' ? v + 1 : NULL;
  }
  char *hash = strchr(v, '#');
  if (hash)
    *hash = '\0';
  return trim(v);
}

/* The values read, for the whole run: the CLI's settings point at them (a global, so that
 * the leak checker sees them reachable). */
static char *values[8];
static size_t n_values;

int hull_cli_load_config(hull_cli *g, const char **log_level, hull_err *err) {
  const char *env = getenv("HULL_CONFIG");
  const char *path = env && *env ? env : HULL_CONFIG_DEFAULT;
  cleanup_file FILE *f = fopen(path, "re");
  if (f == NULL) {
    if (errno == ENOENT && !(env && *env))
      return 0;
    return hull_error_sys(err, "config file %s", path);
  }
  g->config_path = path;
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0, rc = 0;
  while (rc == 0 && getline(&line, &cap, f) > 0) {
    lineno++;
    char *l = trim(line);
    if (*l == '\0' || *l == '#')
      continue;
    char *eq = strchr(l, '=');
    if (eq == NULL) {
      rc = hull_error_code(err, EINVAL, "%s:%d: expected key = value", path, lineno);
      break;
    }
    *eq = '\0';
    char *key = trim(l), *val = value_of(trim(eq + 1));
    if (val == NULL) {
      rc = hull_error_code(err, EINVAL, "%s:%d: unterminated string", path, lineno);
      break;
    }
    char *copy = n_values < 8 ? strdup(val) : NULL;
    if (copy)
      values[n_values++] = copy;
    if (copy == NULL) {
      rc = hull_error(err, ENOMEM, "config");
      break;
    }
    /* The strings live as long as the process: the CLI's settings point at them. */
    if (strcmp(key, "root") == 0) {
      g->root = copy;
    } else if (strcmp(key, "runroot") == 0) {
      g->runroot = copy;
    } else if (strcmp(key, "log-level") == 0 || strcmp(key, "log_level") == 0) {
      *log_level = copy;
    } else if (strcmp(key, "cgroup-driver") == 0 || strcmp(key, "cgroup_manager") == 0) {
      if (strcmp(copy, "cgroupfs") != 0 && strcmp(copy, "systemd") != 0) {
        rc = hull_error_code(err, EINVAL, "%s:%d: cgroup-driver must be cgroupfs or systemd", path, lineno);
        break;
      }
      g->cgroup_driver = copy;
    } else {
      rc = hull_error_code(err, EINVAL, "%s:%d: unknown key \"%s\"", path, lineno, key);
    }
  }
  free(line);
  if (rc < 0 && *err)
    (*err)->status = HULL_EXIT_USAGE;
  return rc;
}
