/* hull ps and hull logs. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "engine/network.h"
#include "image/image.h"
#include "storage/overlay.h"

#define HELP_OPT                                                                                                       \
  { "help", no_argument, NULL, 'h' }
#define END_OPT                                                                                                        \
  { NULL, 0, NULL, 0 }

static const char *const ps_titles[] = {
    "ID",      "CONTAINER ID", "Image",  "IMAGE",  "Command", "COMMAND", "CreatedAt", "CREATED AT", "RunningFor",
    "CREATED", "Status",       "STATUS", "Ports",  "PORTS",   "Names",   "NAMES",     "Size",       "SIZE",
    "State",   "STATE",        "Labels", "LABELS", "Mounts",  "MOUNTS",  NULL};

/* ps's columns without --format (and -s adds SIZE). */
#define PS_DEFAULT "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

/* Docker's suffix for a running container with a health check: " (health: starting)",
 * " (healthy)" or " (unhealthy)", from the monitor's health.json. Only containers whose
 * config has a check pay for the read, so ps with many containers stays one query. */
static void health_suffix(hull_engine *e, const hull_ctr *c, char *out, size_t len) {
  out[0] = '\0';
  const json_t *test = json_object_get(json_object_get(c->config, "Healthcheck"), "Test");
  const char *kind = json_string_value(json_array_get(test, 0));
  if (kind == NULL || strcmp(kind, "NONE") == 0)
    return;
  cleanup_free char *hp = hull_ctr_path(e, c->id, "health.json");
  cleanup_json json_t *h = hp ? json_load_file(hp, 0, NULL) : NULL;
  const char *st = json_string_value(json_object_get(h, "Status"));
  if (st == NULL || strcmp(st, "starting") == 0)
    snprintf(out, len, " (health: starting)");
  else
    snprintf(out, len, " (%s)", st);
}

void hull_cli_ctr_status(hull_engine *e, const hull_ctr *c, char *out, size_t len) {
  char d[64], health[40];
  int64_t now = hull_now_ns();
  switch (c->status) {
  case HULL_CTR_RUNNING:
  case HULL_CTR_PAUSED:
    hull_human_duration((now - c->started_at) / 1000000000, d, sizeof(d));
    if (c->status == HULL_CTR_PAUSED)
      snprintf(health, sizeof(health), " (Paused)");
    else
      health_suffix(e, c, health, sizeof(health));
    snprintf(out, len, "Up %s%s", d, health);
    break;
  case HULL_CTR_EXITED:
    if (c->finished_at > 0) {
      hull_human_duration((now - c->finished_at) / 1000000000, d, sizeof(d));
      snprintf(out, len, "Exited (%d) %s ago", c->exit_code, d);
    } else {
      snprintf(out, len, "Exited (%d)", c->exit_code);
    }
    break;
  case HULL_CTR_CREATED:
    snprintf(out, len, "Created");
    break;
  case HULL_CTR_RESTARTING:
    snprintf(out, len, "Restarting");
    break;
  case HULL_CTR_REMOVING:
    snprintf(out, len, "Removal In Progress");
    break;
  case HULL_CTR_DEAD:
  default:
    snprintf(out, len, "Dead");
    break;
  }
}

/* The directory's size in bytes (ps -s: the writable layer). */
static uint64_t du(const char *path) {
  cleanup_free char *cmd = NULL;
  uint64_t total = 0;
  if (asprintf(&cmd, "du -sb '%s' 2>/dev/null", path) < 0)
    return 0;
  FILE *p = popen(cmd, "r");
  if (p == NULL)
    return 0;
  unsigned long long v = 0;
  if (fscanf(p, "%llu", &v) == 1)
    total = v;
  pclose(p);
  return total;
}

static json_t *ps_row(hull_engine *e, const hull_ctr *c, bool no_trunc, bool size) {
  char id[65], st[96], created[64], running_for[80], cmd[4096] = "";
  snprintf(id, sizeof(id), "%.*s", no_trunc ? 64 : 12, c->id);
  hull_cli_ctr_status(e, c, st, sizeof(st));
  time_t t = (time_t)(c->created / 1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(created, sizeof(created), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  hull_human_duration((hull_now_ns() - c->created) / 1000000000, running_for, sizeof(running_for));
  strncat(running_for, " ago", sizeof(running_for) - strlen(running_for) - 1);
  size_t i, n = 0;
  json_t *v;
  const char *keys[] = {"Entrypoint", "Cmd"};
  /* Docker's daemon joins the path and its arguments with spaces, an argument with a space
   * in single quotes ("sh -c 'exit 3'"); the path itself is never quoted. */
  for (int k = 0; k < 2; k++)
    json_array_foreach(json_object_get(c->config, keys[k]), i, v) {
      const char *a = json_string_value(v) ? json_string_value(v) : "";
      const char *q = n && strchr(a, ' ') ? "'" : "";
      int w = snprintf(cmd + n, sizeof(cmd) - n, "%s%s%s%s", n ? " " : "", q, a, q);
      n = w < 0 || (size_t)w >= sizeof(cmd) - n ? sizeof(cmd) - 1 : n + (size_t)w;
    }
  char quoted[4200];
  if (!no_trunc && strlen(cmd) > 20)
    snprintf(quoted, sizeof(quoted), "\"%.19s…\"", cmd);
  else
    snprintf(quoted, sizeof(quoted), "\"%s\"", cmd);
  char labels[2048] = "";
  const char *lk;
  n = 0;
  json_object_foreach(json_object_get(c->config, "Labels"), lk, v) n += (size_t)snprintf(
      labels + n, n < sizeof(labels) ? sizeof(labels) - n : 0, "%s%s=%s", n ? "," : "", lk, json_string_value(v));
  char sz[96] = "0B";
  if (size) {
    hull_err ue = NULL;
    cleanup_free char *upper = hull_overlay_upper_path(e->store, c->id, &ue);
    hull_error_release(&ue); /* no writable layer: 0B */
    char h[32];
    hull_human_size(upper ? du(upper) : 0, h, sizeof(h));
    snprintf(sz, sizeof(sz), "%s (virtual %s)", h, h);
  }
  const char *img = c->image_name && *c->image_name ? c->image_name : c->image_id;
  /* Published ports exist while the container runs (one indexed query, none otherwise). */
  bool up = c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED;
  cleanup_free char *ports = up ? hull_ctr_ports_summary(e, c) : NULL;
  const char *net = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command", quoted,
                   "CreatedAt", created, "ID", id, "Image", img, "Labels", labels, "LocalVolumes", "0", "Mounts", "",
                   "Names", c->name, "Networks", net ? net : "", "Ports", ports ? ports : "", "RunningFor", running_for,
                   "Size", sz, "State", hull_ctr_status_name(c->status), "Status", st);
}

typedef struct ps_filter {
  const char *key, *value;
} ps_filter;

static bool matches(const hull_ctr *c, const json_t *row, const ps_filter *f, size_t nf) {
  for (size_t i = 0; i < nf; i++) {
    const char *k = f[i].key, *v = f[i].value;
    if (strcmp(k, "status") == 0) {
      if (strcmp(hull_ctr_status_name(c->status), v) != 0)
        return false;
    } else if (strcmp(k, "name") == 0) {
      if (strstr(c->name, v) == NULL)
        return false;
    } else if (strcmp(k, "id") == 0) {
      if (strncmp(c->id, v, strlen(v)) != 0)
        return false;
    } else if (strcmp(k, "exited") == 0) {
      if (c->status != HULL_CTR_EXITED || c->exit_code != atoi(v))
        return false;
    } else if (strcmp(k, "label") == 0) {
      if (!hull_labels_match(json_object_get(c->config, "Labels"), v))
        return false;
    } else if (strcmp(k, "ancestor") == 0) {
      if (strcmp(c->image_name, v) != 0 && strncmp(c->image_id + 7, v, strlen(v)) != 0 && strcmp(c->image_id, v) != 0)
        return false;
    }
  }
  (void)row;
  return true;
}

int cmd_ps(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"last", required_argument, NULL, 'n'},
                                       {"latest", no_argument, NULL, 'l'},
                                       {"size", no_argument, NULL, 's'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, 'F'},
                                       HELP_OPT,
                                       END_OPT};
  bool all = false, quiet = false, size = false, no_trunc = false;
  long last = -1;
  const char *format = NULL;
  ps_filter filters[16];
  size_t nf = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:aqn:lsf:h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      all = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'n': {
      char *end;
      last = strtol(optarg, &end, 10);
      if (*end || end == optarg)
        return hull_usage_error(err, "ps", "invalid argument \"%s\" for \"-n, --last\" flag", optarg);
      break;
    }
    case 'l':
      last = 1;
      break;
    case 's':
      size = true;
      break;
    case 'T':
      no_trunc = true;
      break;
    case 'F':
      format = optarg;
      break;
    case 'f': {
      static const char *const keys[] = {"status", "name", "id", "exited", "label", "ancestor", NULL};
      if (!hull_filter_key_p(optarg, keys) || nf == 16)
        return hull_usage_error(err, "ps", "invalid filter '%s'", optarg);
      char *eq = strchr(optarg, '=');
      *eq = '\0';
      filters[nf].key = optarg;
      filters[nf++].value = eq + 1;
      break;
    }
    default: {
      int r = hull_cli_common_opt(
          c, "ps",
          "ps [OPTIONS]\n\nList containers\n\nOptions:\n"
          "  -a, --all             Show all containers (default shows just running)\n"
          "  -f, --filter filter   Filter output based on conditions provided\n"
          "      --format string   Format output using a custom template ('table', 'table TEMPLATE', 'json' or a "
          "template)\n"
          "  -n, --last int        Show n last created containers (includes all states) (default -1)\n"
          "  -l, --latest          Show the latest created container (includes all states)\n"
          "      --no-trunc        Don't truncate output\n"
          "  -q, --quiet           Only display container IDs\n"
          "  -s, --size            Display total file sizes\n",
          argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
    }
  }
  for (size_t i = 0; i < nf; i++)
    if (strcmp(filters[i].key, "status") == 0 || strcmp(filters[i].key, "exited") == 0)
      all = true;
  cleanup_engine hull_engine *e = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0)
    return -1;
  hull_ctr **list = NULL;
  size_t n = 0;
  if (hull_ctr_list_ex(e, false, &list, &n, err) < 0)
    return -1;
  hull_listing l;
  hull_listing_start(&l, format, size ? PS_DEFAULT "\t{{.Size}}" : PS_DEFAULT, ps_titles, quiet);
  long shown = 0;
  int r = 0;
  for (size_t i = 0; i < n; i++) {
    hull_ctr *ct = list[i];
    bool live = ct->status == HULL_CTR_RUNNING || ct->status == HULL_CTR_PAUSED || ct->status == HULL_CTR_RESTARTING;
    if (!all && last < 0 && !live)
      continue;
    if (last >= 0 && shown >= last)
      break;
    cleanup_json json_t *row = ps_row(e, ct, no_trunc, size);
    if (!matches(ct, row, filters, nf))
      continue;
    shown++;
    if (quiet) {
      printf("%s\n", json_string_value(json_object_get(row, "ID")));
    } else {
      const char *terr;
      if (hull_listing_add(&l, row, &terr) < 0) {
        r = hull_error(err, EINVAL, "template parsing error: %s", terr ? terr : "bad template");
        break;
      }
    }
  }
  hull_listing_end(&l, r == 0);
  hull_ctr_list_free(list, n);
  return r;
}

/* ---- logs ---- */

/* --since/--until: Docker's timestamps (image/image.h). */
static int parse_when(const char *s, int64_t *ns) { return hull_parse_timestamp_ns(s, hull_now_ns(), ns); }

static int64_t line_time(json_t *j) {
  const char *ts = json_string_value(json_object_get(j, "time"));
  if (ts == NULL)
    return 0;
  int64_t ns = hull_parse_time(ts) * 1000000000;
  const char *dot = strchr(ts, '.');
  if (dot)
    ns += (int64_t)(strtod(dot, NULL) * 1e9 + 0.5);
  return ns;
}

static void emit(json_t *j, bool timestamps, int64_t since, int64_t until) {
  const char *l = json_string_value(json_object_get(j, "log"));
  if (l == NULL)
    return;
  int64_t t = line_time(j);
  if ((since && t < since) || (until && t > until))
    return;
  const char *s = json_string_value(json_object_get(j, "stream"));
  FILE *out = s && strcmp(s, "stderr") == 0 ? stderr : stdout;
  if (timestamps)
    fprintf(out, "%s ", json_string_value(json_object_get(j, "time")));
  fwrite(l, 1, json_string_length(json_object_get(j, "log")), out);
  fflush(out);
}

int cmd_logs(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                       {"tail", required_argument, NULL, 'n'},
                                       {"since", required_argument, NULL, 'S'},
                                       {"until", required_argument, NULL, 'U'},
                                       {"timestamps", no_argument, NULL, 't'},
                                       {"details", no_argument, NULL, 'd'},
                                       HELP_OPT,
                                       END_OPT};
  bool follow = false, timestamps = false;
  long tail = -1;
  int64_t since = 0, until = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fn:th", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      follow = true;
      break;
    case 't':
      timestamps = true;
      break;
    case 'd':
      break;
    case 'n':
      if (strcmp(optarg, "all") == 0) {
        tail = -1;
      } else {
        char *end;
        tail = strtol(optarg, &end, 10);
        if (*end || end == optarg)
          return hull_usage_error(err, "logs", "invalid argument \"%s\" for \"-n, --tail\" flag", optarg);
      }
      break;
    case 'S':
    case 'U':
      if (parse_when(optarg, c == 'S' ? &since : &until) < 0)
        return hull_usage_error(err, "logs", "invalid value for \"%s\": %s", c == 'S' ? "since" : "until", optarg);
      break;
    default: {
      int r = hull_cli_common_opt(c, "logs",
                                  "logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n\nOptions:\n"
                                  "  -f, --follow         Follow log output\n"
                                  "      --since string   Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or "
                                  "relative (e.g. 42m for 42 minutes)\n"
                                  "  -n, --tail string    Number of lines to show from the end of the logs (default "
                                  "\"all\")\n"
                                  "  -t, --timestamps     Show timestamps\n"
                                  "      --until string   Show logs before a timestamp or relative\n",
                                  argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "logs", "\"hull logs\" requires exactly 1 argument.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0 ||
      hull_ctr_lookup(e, argv[optind], &ct, err) < 0)
    return -1;
  cleanup_free char *lp = hull_ctr_path(e, ct->id, "ctr.log");
  if (lp == NULL)
    return hull_error(err, ENOMEM, "logs");
  /* --log-opt max-file keeps ctr.log.1 (newest) .. ctr.log.N-1 beside ctr.log: Docker shows
   * them all, oldest first, and counts --tail over all of them. */
  FILE *old[1000];
  size_t nold = 0;
  for (; nold < sizeof(old) / sizeof(old[0]); nold++) {
    cleanup_free char *op = NULL;
    if (asprintf(&op, "%s.%zu", lp, nold + 1) < 0 || (old[nold] = fopen(op, "re")) == NULL)
      break;
  }
  cleanup_file FILE *f = fopen(lp, "re");
  if (f == NULL && errno != ENOENT) {
    while (nold > 0)
      fclose(old[--nold]);
    return hull_error_sys(err, "open %s", lp);
  }
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  long skip = 0;
  if (tail >= 0) {
    /* Count the lines, then skip all but the last `tail`. */
    long total = 0;
    for (size_t i = 0; i < nold; i++) {
      while (getline(&line, &cap, old[i]) > 0)
        total++;
      rewind(old[i]);
    }
    while (f && getline(&line, &cap, f) > 0)
      total++;
    if (f)
      rewind(f);
    skip = total - tail;
  }
  while (nold > 0) {
    FILE *o = old[--nold];
    while ((len = getline(&line, &cap, o)) > 0) {
      if (skip-- > 0)
        continue;
      cleanup_json json_t *j = json_loads(line, 0, NULL);
      emit(j, timestamps, since, until);
    }
    fclose(o);
  }
  for (; f && skip > 0 && getline(&line, &cap, f) > 0; skip--) {
  }
  for (;;) {
    while (f && (len = getline(&line, &cap, f)) > 0) {
      if (line[len - 1] != '\n') {
        fseek(f, -len, SEEK_CUR);
        break;
      }
      cleanup_json json_t *j = json_loads(line, 0, NULL);
      emit(j, timestamps, since, until);
    }
    if (!follow)
      return 0;
    if (f)
      clearerr(f);
    hull_ctr_refresh(e, ct);
    if (ct->status != HULL_CTR_RUNNING && ct->status != HULL_CTR_PAUSED && ct->status != HULL_CTR_RESTARTING) {
      while (f && (len = getline(&line, &cap, f)) > 0) {
        cleanup_json json_t *j = json_loads(line, 0, NULL);
        emit(j, timestamps, since, until);
      }
      return 0;
    }
    /* The monitor rotated ctr.log away: this end is read, go on with the new file. */
    struct stat now, cur;
    if (f && stat(lp, &now) == 0 && fstat(fileno(f), &cur) == 0 && now.st_ino != cur.st_ino) {
      while ((len = getline(&line, &cap, f)) > 0) {
        cleanup_json json_t *j = json_loads(line, 0, NULL);
        emit(j, timestamps, since, until);
      }
      fclose(f);
      f = NULL;
    }
    if (f == NULL)
      f = fopen(lp, "re");
    usleep(50000);
  }
}
