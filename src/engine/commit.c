/* commit, diff, export and top: see commit.h. */
#include "engine/commit.h"
#include "engine/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/events.h"
#include "engine/userns.h"
#include "image/commit.h"
#include "storage/tree.h"

/* The container's filesystem is read on the host through its overlay mount, which a stopped
 * container may not have: hull_ctr_rootfs_open mounts it (it stays mounted until rm, as for
 * cp) and the returned directory is not needed beyond that. */
static int ensure_rootfs(hull_engine *e, const hull_ctr *c, hull_err *err) {
  cleanup_close int fd = hull_ctr_rootfs_open(e, c, err);
  return fd < 0 ? -1 : 0;
}

/* A user-namespaced container's files have its mapped host ids on disk: *ids gets its maps
 * (NULL for a container without a user namespace), so that a layer or a tarball made from
 * them carries the ids the container sees. */
static int ctr_ids(hull_engine *e, const hull_ctr *c, hull_userns *u, hull_idmaps *maps, const hull_idmaps **ids,
                   hull_err *err) {
  if (hull_ctr_userns(e, c, u, err) < 0)
    return -1;
  *maps = hull_userns_maps(u);
  *ids = u->on ? maps : NULL;
  return 0;
}

/* Docker's history line for a commit: the container's command. */
static char *command_line(const json_t *config) {
  char *s = strdup("");
  const char *keys[] = {"Entrypoint", "Cmd"};
  for (size_t k = 0; s && k < 2; k++) {
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(config, keys[k]), i, v) {
      char *n = NULL;
      if (asprintf(&n, "%s%s%s", s, *s ? " " : "", json_string_value(v) ?: "") < 0)
        n = NULL;
      free(s);
      s = n;
      if (s == NULL)
        break;
    }
  }
  return s;
}

int hull_ctr_commit(hull_engine *e, hull_ctr *c, const hull_ctr_commit_opts *o, char id[HULL_DIGEST_LEN + 1],
                    hull_err *err) {
  if (ensure_rootfs(e, c, err) < 0)
    return -1;
  cleanup_free char *upper = hull_overlay_upper_path(e->store, c->id, err);
  if (upper == NULL)
    return -1;
  cleanup_free char *created_by = command_line(c->config);
  if (created_by == NULL)
    return hull_error(err, ENOMEM, "commit %s", c->name);
  hull_userns u;
  hull_idmaps maps;
  const hull_idmaps *ids;
  if (ctr_ids(e, c, &u, &maps, &ids, err) < 0)
    return -1;
  /* --pause (the default) freezes a running container so that the layer is one moment of
   * its filesystem, not files half written; it is thawed whatever the commit's outcome. */
  hull_ctr_refresh(e, c);
  bool paused = false;
  if (o->pause && c->status == HULL_CTR_RUNNING) {
    if (hull_ctr_pause(e, c, true, err) < 0)
      return -1;
    paused = true;
  }
  hull_commit_params p = {.image = c->image_id,
                          .upper = upper,
                          .config = c->config,
                          .changes = o->changes,
                          .n_changes = o->n_changes,
                          .author = o->author,
                          .message = o->message,
                          .created_by = created_by,
                          .container_id = c->id,
                          .tag = o->tag,
                          .ids = ids};
  int r = hull_image_commit_upper(e->store, &p, id, err);
  if (paused) {
    /* The record is read again: its state is "paused" now, which unpause checks. */
    hull_err uerr = NULL;
    cleanup_ctr hull_ctr *now = NULL;
    if ((hull_ctr_lookup(e, c->id, &now, r < 0 ? &uerr : err) < 0 ||
         hull_ctr_pause(e, now, false, r < 0 ? &uerr : err) < 0) &&
        r == 0)
      r = -1;
    /* The commit's own error is the one worth reporting; the thaw's goes to the log. */
    if (uerr) {
      hull_debug("unpause %s after a failed commit: %s", c->id, uerr->msg);
      hull_error_release(&uerr);
    }
  }
  if (r == 0) {
    cleanup_json json_t *attrs = json_pack("{s:s}", "comment", o->message ? o->message : "");
    hull_event_ctr(e, c, "commit", attrs);
  }
  return r;
}

/* The mount points that hull's own mounts get in the container's upper directory when the
 * image lacks them. Docker keeps them in an "init" layer below the container's, so that its
 * diff never shows them (nor the change of /etc that adding the files below it is). */
static bool init_path(const char *p) {
  static const char *const paths[] = {"/dev", "/proc", "/sys", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"};
  for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
    if (strcmp(p, paths[i]) == 0)
      return true;
  return false;
}

static bool below(const char *p, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* Drops the added init paths with nothing added below them, then /etc ('C', or 'A' for an
 * image without one) when all that was listed below it was dropped. The list is in Docker's
 * order: a directory before what is in it. A container that changed only /etc's own mode or
 * owner shows no "C /etc" either: the upper's /etc cannot tell that apart from the files
 * hull added. */
static void drop_init_paths(hull_change *c, size_t *n) {
  bool *drop = calloc(*n ? *n : 1, sizeof(bool));
  if (drop == NULL)
    return; /* the list stays whole: more lines than Docker's, none wrong */
  for (size_t i = 0; i < *n; i++)
    drop[i] = c[i].kind == 'A' && init_path(c[i].path) && (i + 1 == *n || !below(c[i + 1].path, c[i].path));
  for (size_t i = 0; i < *n; i++) {
    if (c[i].kind == 'D' || strcmp(c[i].path, "/etc") != 0) /* an image without /etc: 'A' */
      continue;
    bool any = false, all = true;
    for (size_t j = i + 1; j < *n && below(c[j].path, "/etc"); j++) {
      any = any || drop[j];
      all = all && drop[j];
    }
    drop[i] = any && all;
  }
  size_t k = 0;
  for (size_t i = 0; i < *n; i++) {
    if (drop[i])
      free(c[i].path);
    else
      c[k++] = c[i];
  }
  *n = k;
  free(drop);
}

int hull_ctr_diff(hull_engine *e, const hull_ctr *c, hull_change **out, size_t *n, hull_err *err) {
  if (ensure_rootfs(e, c, err) < 0 || hull_overlay_diff(e->store, c->id, out, n, err) < 0)
    return -1;
  drop_init_paths(*out, n);
  return 0;
}

int hull_ctr_export(hull_engine *e, const hull_ctr *c, int fd, hull_err *err) {
  if (ensure_rootfs(e, c, err) < 0)
    return -1;
  cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
  if (rootfs == NULL)
    return hull_error(err, ENOMEM, "export %s", c->name);
  hull_userns u;
  hull_idmaps maps;
  const hull_idmaps *ids;
  if (ctr_ids(e, c, &u, &maps, &ids, err) < 0 || hull_storage_export(rootfs, ids, fd, err) < 0)
    return -1;
  hull_event_ctr(e, c, "export", NULL);
  return 0;
}

/* Runs argv (a path) and returns its standard output (NUL-terminated); its standard error
 * becomes the error when it fails. */
static char *capture(const char *const *argv, hull_err *err) {
  int out[2], errp[2];
  if (pipe2(out, O_CLOEXEC) < 0) {
    hull_error_sys(err, "pipe");
    return NULL;
  }
  if (pipe2(errp, O_CLOEXEC) < 0) {
    hull_error_sys(err, "pipe");
    close(out[0]);
    close(out[1]);
    return NULL;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(errp[1], 2);
    execvp(argv[0], (char *const *)argv);
    dprintf(2, "exec %s: %s", argv[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  close(errp[1]);
  if (pid < 0) {
    close(out[0]);
    close(errp[0]);
    hull_error_sys(err, "fork");
    return NULL;
  }
  /* ps output is small, and the error pipe is read after it: a command that writes more
   * than a pipe's worth of errors before finishing its output is not one hull runs. */
  size_t len = 0, cap = 65536;
  char *buf = malloc(cap);
  ssize_t r;
  while (buf && ((r = read(out[0], buf + len, cap - len - 1)) > 0 || (r < 0 && errno == EINTR))) {
    if (r < 0)
      continue;
    len += (size_t)r;
    if (cap - len < 4096) {
      char *nb = realloc(buf, cap * 2);
      if (nb == NULL) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  close(out[0]);
  char msg[4096];
  size_t ml = 0;
  while ((r = read(errp[0], msg + ml, sizeof(msg) - 1 - ml)) > 0 || (r < 0 && errno == EINTR))
    if (r > 0)
      ml += (size_t)r;
  close(errp[0]);
  msg[ml] = '\0';
  while (ml > 0 && msg[ml - 1] == '\n')
    msg[--ml] = '\0';
  int status = hull_wait_exit_status(pid);
  if (buf == NULL) {
    hull_error(err, ENOMEM, "run %s", argv[0]);
    return NULL;
  }
  buf[len] = '\0';
  if (status != 0) {
    free(buf);
    hull_error(err, 0, "%s", ml ? msg : "failed");
    return NULL;
  }
  return buf;
}

/* The container's pids, from the runtime library (its cgroup's), as a JSON array. */
static json_t *container_pids(hull_engine *e, hull_ctr *c, hull_err *err) {
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (hull_ctr_pids(e, c, &pids, &n, err) < 0)
    return NULL;
  json_t *a = json_array();
  for (size_t i = 0; a && i < n; i++)
    if (json_array_append_new(a, json_integer(pids[i])) < 0) {
      json_decref(a);
      a = NULL;
    }
  if (a == NULL)
    hull_error(err, ENOMEM, "top %s", c->name);
  return a;
}

static bool has_pid(const json_t *pids, long pid) {
  size_t i;
  json_t *v;
  json_array_foreach(pids, i, v) if (json_integer_value(v) == pid) return true;
  return false;
}

/* Splits line at runs of blanks (Go's strings.Fields) into a JSON array of strings. */
static json_t *fields(const char *line) {
  json_t *a = json_array();
  const char *p = line;
  while (a && *p) {
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p == '\0')
      break;
    const char *s = p;
    while (*p && *p != ' ' && *p != '\t')
      p++;
    json_array_append_new(a, json_stringn(s, (size_t)(p - s)));
  }
  return a;
}

/* Docker's reading of ps output: the PID column of the header finds the rows of the
 * container's pids; the last column (the command) keeps its spaces. */
static json_t *parse_ps(char *out, const json_t *pids, hull_err *err) {
  char *save = NULL;
  char *line = strtok_r(out, "\n", &save);
  cleanup_json json_t *titles = fields(line ? line : "");
  size_t nt = json_array_size(titles), pid_col = nt;
  for (size_t i = 0; i < nt; i++)
    if (strcmp(json_string_value(json_array_get(titles, i)), "PID") == 0)
      pid_col = i;
  if (pid_col == nt) {
    hull_error_code(err, EINVAL, "Couldn't find PID field in ps output");
    return NULL;
  }
  cleanup_json json_t *procs = json_array();
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    cleanup_json json_t *f = fields(line);
    if (json_array_size(f) == 0)
      continue;
    const char *ps = json_string_value(json_array_get(f, pid_col));
    char *end = NULL;
    long pid = ps ? strtol(ps, &end, 10) : 0;
    if (ps == NULL || *end != '\0') {
      hull_error_code(err, EINVAL, "Unexpected pid '%s'", ps ? ps : "");
      return NULL;
    }
    if (!has_pid(pids, pid))
      continue;
    json_t *row = json_array();
    for (size_t i = 0; i + 1 < nt && i < json_array_size(f); i++)
      json_array_append(row, json_array_get(f, i));
    /* The command: the rest of the line from its column on, as ps printed it. */
    const char *rest = line;
    for (size_t i = 0; i + 1 < nt && *rest; i++) {
      while (*rest == ' ' || *rest == '\t')
        rest++;
      while (*rest && *rest != ' ' && *rest != '\t')
        rest++;
    }
    while (*rest == ' ' || *rest == '\t')
      rest++;
    json_array_append_new(row, json_string(rest));
    json_array_append_new(procs, row);
  }
  return json_pack("{s:O, s:O}", "Titles", titles, "Processes", procs);
}

json_t *hull_ctr_top(hull_engine *e, hull_ctr *c, const char *const *ps_args, hull_err *err) {
  hull_ctr_refresh(e, c);
  if (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED) {
    hull_error_code(err, EINVAL, "Container %s is not running", c->id);
    return NULL;
  }
  cleanup_json json_t *pids = container_pids(e, c, err);
  if (pids == NULL)
    return NULL;
  size_t n = 0;
  while (ps_args && ps_args[n])
    n++;
  cleanup_free const char **argv = calloc(n + 3, sizeof(char *));
  if (argv == NULL) {
    hull_error(err, ENOMEM, "top");
    return NULL;
  }
  argv[0] = "ps";
  if (n == 0)
    argv[1] = "-ef";
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = ps_args[i];
  hull_err perr = NULL;
  cleanup_free char *out = capture(argv, &perr);
  if (out == NULL) {
    /* Docker's words for ps's own failure (a bad option). */
    hull_error(err, 0, "ps: %s", perr->msg);
    hull_error_release(&perr);
    return NULL;
  }
  return parse_ps(out, pids, err);
}
