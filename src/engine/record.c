/* Container records: the rows of the containers table, and the status derived from them,
 * exit.json and the process table (so that every command tells the truth after a crash of
 * the CLI or the monitor). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "engine/network.h"
#include "storage/overlay.h"

static const char *const status_names[] = {"created", "running", "paused", "restarting", "removing", "exited", "dead"};

const char *hull_ctr_status_name(enum hull_ctr_status s) { return status_names[s]; }

int64_t hull_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hull_time_rfc3339(int64_t ns, char *out, size_t len) {
  if (ns <= 0) {
    snprintf(out, len, "0001-01-01T00:00:00Z");
    return;
  }
  time_t t = (time_t)(ns / 1000000000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char base[40];
  strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, len, "%s.%09lldZ", base, (long long)(ns % 1000000000));
}

char *hull_ctr_path(hull_engine *e, const char *id, const char *file) {
  char *p = NULL;
  if (asprintf(&p, "%s/containers/%s%s%s", e->root, id, file ? "/" : "", file ? file : "") < 0)
    return NULL;
  return p;
}

char *hull_ctr_run_path(hull_engine *e, const char *id, const char *file) {
  char *p = NULL;
  if (asprintf(&p, "%s/containers/%s%s%s", e->runroot, id, file ? "/" : "", file ? file : "") < 0)
    return NULL;
  return p;
}

int hull_engine_open(const char *root, const char *runroot, enum hull_store_mode mode, hull_engine **out,
                     hull_err *err) {
  cleanup_engine hull_engine *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return hull_error(err, ENOMEM, "open engine");
  e->root = realpath(root, NULL);
  if (e->root == NULL) {
    if (hull_mkdir_p(root, 0700, err) < 0)
      return -1;
    e->root = realpath(root, NULL);
    if (e->root == NULL)
      return hull_error_sys(err, "resolve %s", root);
  }
  if (hull_mkdir_p(runroot, 0700, err) < 0)
    return -1;
  e->runroot = realpath(runroot, NULL);
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (e->runroot == NULL || n < 0)
    return hull_error_sys(err, "resolve %s", runroot);
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash)
    *slash = '\0';
  e->bindir = strdup(self);
  if (hull_store_open(e->root, mode, &e->store, err) < 0)
    return -1;
  cleanup_free char *cdir = NULL, *rdir = NULL, *rtdir = NULL;
  if (asprintf(&cdir, "%s/containers", e->root) < 0 || asprintf(&rdir, "%s/containers", e->runroot) < 0 ||
      asprintf(&rtdir, "%s/runtime", e->runroot) < 0)
    return hull_error(err, ENOMEM, "open engine");
  /* The runtime's root is made here (with the runtime's own mode) so that it too can be
   * spread: a container's directories in each of these come and go with it (util.h,
   * hull_dir_spread). On a tmpfs runroot (/run) the flag does not apply. */
  if (hull_mkdir_p(cdir, 0700, err) < 0 || hull_mkdir_p(rdir, 0700, err) < 0 || hull_mkdir_p(rtdir, 0711, err) < 0)
    return -1;
  const char *spread[] = {cdir, rdir, rtdir};
  for (size_t i = 0; i < sizeof(spread) / sizeof(spread[0]); i++) {
    cleanup_close int dfd = open(spread[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0)
      hull_dir_spread(dfd);
  }
  *out = steal_pointer(&e);
  return 0;
}

void hull_engine_close(hull_engine *e) {
  if (e == NULL)
    return;
  hull_store_close(e->store);
  hull_rt_close(e->rt);
  free(e->root);
  free(e->runroot);
  free(e->bindir);
  free(e);
}

void hull_ctr_free(hull_ctr *c) {
  free(c->name);
  free(c->image_id);
  free(c->image_name);
  free(c->state);
  free(c->error);
  json_decref(c->config);
  json_decref(c->host_config);
  memset(c, 0, sizeof(*c));
}

static char *col_str(sqlite3_stmt *st, int i) {
  const unsigned char *t = sqlite3_column_text(st, i);
  return strdup(t ? (const char *)t : "");
}

#define COLUMNS "id, name, image_id, image_name, created, state, config, host_config, pid, pid_start, started_at"

static hull_ctr *from_row(sqlite3_stmt *st, bool host_config) {
  hull_ctr *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  snprintf(c->id, sizeof(c->id), "%s", (const char *)sqlite3_column_text(st, 0));
  c->name = col_str(st, 1);
  c->image_id = col_str(st, 2);
  c->image_name = col_str(st, 3);
  c->created = sqlite3_column_int64(st, 4);
  c->state = col_str(st, 5);
  c->config = json_loads((const char *)sqlite3_column_text(st, 6), 0, NULL);
  c->host_config = host_config ? json_loads((const char *)sqlite3_column_text(st, 7), 0, NULL) : NULL;
  if (c->config == NULL)
    c->config = json_object();
  if (c->host_config == NULL)
    c->host_config = json_object();
  c->pid = (pid_t)sqlite3_column_int64(st, 8);
  c->pid_start = (unsigned long long)sqlite3_column_int64(st, 9);
  c->started_at = sqlite3_column_int64(st, 10);
  return c;
}

/* The monitor's pid file holds "pid start-time"; true while that process lives. */
static bool monitor_alive(hull_engine *e, const char *id) {
  cleanup_free char *p = hull_ctr_run_path(e, id, "monitor.pid");
  cleanup_file FILE *f = p ? fopen(p, "re") : NULL;
  long pid = 0;
  unsigned long long start = 0;
  if (f == NULL || fscanf(f, "%ld %llu", &pid, &start) < 1)
    return false;
  /* hull-monitor writes its pid alone. A killed monitor stays a zombie until an init reaps
   * it, which some never do (an init that is not a reaper, in a container): kill(pid, 0)
   * succeeds on it, and its container stayed "running" after a stop, so that restart
   * started nothing. hull_proc_start_time is 0 for a zombie. */
  if (start == 0)
    return pid > 0 && hull_proc_start_time((pid_t)pid) != 0;
  return hull_proc_alive((pid_t)pid, start);
}

/* The runtime's view (hull-runtime state): the pid of a container its monitor restarted,
 * which the row does not know. 0 when not running. */
static pid_t runtime_pid(hull_engine *e, const char *id) {
  cleanup_free char *bin = NULL, *rt = NULL;
  if (asprintf(&bin, "%s/hull-runtime", e->bindir) < 0 || asprintf(&rt, "%s/runtime", e->runroot) < 0)
    return 0;
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return 0;
  pid_t child = fork();
  if (child == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(p[1], 1);
    dup2(null, 2);
    execl(bin, bin, "--root", rt, "state", id, (char *)NULL);
    _exit(127);
  }
  close(p[1]);
  size_t len = 0;
  hull_err e2 = NULL;
  cleanup_free char *out = child > 0 ? hull_read_fd(p[0], "runtime state", &len, &e2) : NULL;
  hull_error_release(&e2); /* no state: not running */
  close(p[0]);
  if (child > 0 && hull_wait_exit_status(child) != 0)
    return 0;
  cleanup_json json_t *j = out ? json_loads(out, 0, NULL) : NULL;
  const char *st = json_string_value(json_object_get(j, "status"));
  if (st == NULL || (strcmp(st, "running") != 0 && strcmp(st, "paused") != 0))
    return 0;
  return (pid_t)json_integer_value(json_object_get(j, "pid"));
}

void hull_ctr_refresh(hull_engine *e, hull_ctr *c) {
  c->exit_code = 0;
  c->oom_killed = false;
  c->removal_pending = false;
  c->finished_at = 0;
  if (strcmp(c->state, "creating") == 0) {
    /* Its creator's pid and start time are in pid/pid_start until the row is complete. */
    c->status = hull_proc_alive(c->pid, c->pid_start) ? HULL_CTR_CREATED : HULL_CTR_DEAD;
    return;
  }
  if (strcmp(c->state, "removing") == 0) {
    /* An rm killed before it killed the process: the row keeps the process's pid, and
     * a live process is shown as what it is (rm -f finishes the removal). */
    c->status = hull_proc_alive(c->pid, c->pid_start) ? HULL_CTR_RUNNING : HULL_CTR_REMOVING;
    return;
  }
  if (strcmp(c->state, "created") == 0) {
    /* A start whose CLI was killed after it spawned the monitor but before it recorded
     * the pid: the row still says created while the monitor runs the container. Only a
     * started container has a monitor.pid, so a plain create costs one failed open. */
    pid_t np = monitor_alive(e, c->id) ? runtime_pid(e, c->id) : 0;
    if (np > 0) {
      c->pid = np;
      c->pid_start = hull_proc_start_time(np);
      c->status = HULL_CTR_RUNNING;
      return;
    }
    c->status = HULL_CTR_CREATED;
    return;
  }
  cleanup_free char *xp = hull_ctr_path(e, c->id, "exit.json");
  cleanup_json json_t *x = xp ? json_load_file(xp, 0, NULL) : NULL;
  bool running = hull_proc_alive(c->pid, c->pid_start);
  if (x) {
    c->exit_code = (int)json_integer_value(json_object_get(x, "exit_code"));
    c->oom_killed = json_is_true(json_object_get(x, "oom_killed"));
    c->restart_count = (int)json_integer_value(json_object_get(x, "restart_count"));
    c->removal_pending = json_is_true(json_object_get(x, "removing"));
    const char *fa = json_string_value(json_object_get(x, "finished_at"));
    struct tm tm = {0};
    long ns = 0;
    if (fa && strptime(fa, "%Y-%m-%dT%H:%M:%S", &tm)) {
      /* The monitor trims the fraction's trailing zeros (RFC 3339 as Docker writes it):
       * ".99" is 990 ms, so the digits are read as a fraction, not as a count of ns. */
      const char *d = strchr(fa, '.');
      for (int i = 0; d && i < 9; i++) {
        bool digit = isdigit((unsigned char)d[1]);
        ns = ns * 10 + (digit ? d[1] - '0' : 0);
        if (digit)
          d++;
      }
      c->finished_at = (int64_t)timegm(&tm) * 1000000000 + ns;
    }
  }
  if (running) {
    c->status = strcmp(c->state, "paused") == 0 ? HULL_CTR_PAUSED : HULL_CTR_RUNNING;
    return;
  }
  if (x && json_is_true(json_object_get(x, "restarting")) && monitor_alive(e, c->id)) {
    /* The monitor's restart policy: running again under a pid the row does not have, or
     * waiting out its back-off. */
    pid_t np = runtime_pid(e, c->id);
    if (np > 0) {
      c->pid = np;
      c->pid_start = hull_proc_start_time(np);
      c->status = HULL_CTR_RUNNING;
    } else {
      c->status = HULL_CTR_RESTARTING;
    }
    return;
  }
  if (x == NULL && monitor_alive(e, c->id)) {
    /* The process is gone and its monitor is writing the exit file. */
    c->status = HULL_CTR_RUNNING;
    return;
  }
  c->status = HULL_CTR_EXITED;
  if (x == NULL) {
    /* Neither the process nor its monitor left a trace: the monitor was killed. The exit
     * status is lost; Docker reports such a container as exited with 255 too. */
    c->exit_code = 255;
    free(c->error);
    c->error = strdup("the container's monitor exited before the container");
  }
}

int hull_ctr_list(hull_engine *e, hull_ctr ***out, size_t *n, hull_err *err) {
  return hull_ctr_list_ex(e, true, out, n, err);
}

int hull_ctr_list_ex(hull_engine *e, bool host_config, hull_ctr ***out, size_t *n, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT " COLUMNS " FROM containers ORDER BY created DESC", err);
  if (st == NULL)
    return -1;
  hull_ctr **list = NULL;
  size_t cnt = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    hull_ctr **nl = realloc(list, (cnt + 1) * sizeof(*list));
    hull_ctr *c = from_row(st, host_config);
    if (nl == NULL || c == NULL) {
      free(c);
      hull_ctr_list_free(nl ? nl : list, cnt);
      return hull_error(err, ENOMEM, "list containers");
    }
    list = nl;
    list[cnt++] = c;
    hull_ctr_refresh(e, c);
  }
  if (rc != SQLITE_DONE) {
    hull_ctr_list_free(list, cnt);
    return hull_store_sqlerr(e->store, "list containers", err);
  }
  *out = list;
  *n = cnt;
  return 0;
}

void hull_ctr_list_free(hull_ctr **list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    hull_ctr_free(list[i]);
    free(list[i]);
  }
  free(list);
}

int hull_ctr_lookup(hull_engine *e, const char *ref, hull_ctr **out, hull_err *err) {
  const char *r = ref[0] == '/' ? ref + 1 : ref;
  /* Docker's order: a full id, then a name, then a unique id prefix. */
  static const char *const queries[] = {
      "SELECT " COLUMNS " FROM containers WHERE id = ?1",
      "SELECT " COLUMNS " FROM containers WHERE name = ?1",
      "SELECT " COLUMNS " FROM containers WHERE id >= ?1 AND id < ?1 || 'g' LIMIT 2",
  };
  for (size_t q = 0; q < 3; q++) {
    if (q == 2 && (strlen(r) == 0 || strspn(r, "0123456789abcdef") != strlen(r)))
      break;
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(e->store, queries[q], err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text(st, 1, r, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      hull_ctr *c = from_row(st, true);
      if (c == NULL)
        return hull_error(err, ENOMEM, "look up container %s", ref);
      if (q == 2 && sqlite3_step(st) == SQLITE_ROW) {
        hull_ctr_free(c);
        free(c);
        return hull_error_code(err, EINVAL, "Multiple IDs found with provided prefix: %s", ref);
      }
      hull_ctr_refresh(e, c);
      *out = c;
      return 0;
    }
    if (rc != SQLITE_DONE)
      return hull_store_sqlerr(e->store, "look up container", err);
  }
  return hull_error_code(err, ENOENT, "No such container: %s", ref);
}

/* The container's Config as Docker shows it: without --hostname, Config.Hostname is the
 * name the container got, which is the short id (the host's name with --network host). The
 * record keeps "" so that the later checks and files can tell that none was given. */
static json_t *inspect_config(const hull_ctr *c) {
  json_t *config = json_deep_copy(c->config);
  const char *hn = json_string_value(json_object_get(config, "Hostname"));
  if (config == NULL || (hn && *hn))
    return config;
  const char *net = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  char name[HOST_NAME_MAX + 1] = "";
  if (net && strcmp(net, "host") == 0) {
    if (gethostname(name, sizeof(name)) < 0)
      name[0] = '\0';
    name[HOST_NAME_MAX] = '\0';
  } else {
    snprintf(name, sizeof(name), "%.12s", c->id);
  }
  json_object_set_new(config, "Hostname", json_string(name));
  return config;
}

/* The container's HostConfig with the keys Docker's always has that the record keeps only
 * when a flag set them, at Docker's values for "not set" (its typed HostConfig prints them
 * all; a template naming one should get Docker's value, not "<no value>"). */
static json_t *inspect_host_config(const hull_ctr *c) {
  json_t *hc = json_deep_copy(c->host_config);
  cleanup_json json_t *unset = json_pack(
      "{s:[], s:[], s:[], s:n, s:n, s:n, s:b, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i,"
      " s:[], s:[], s:[], s:[], s:[], s:n, s:n, s:n}",
      "Dns", "DnsOptions", "DnsSearch", "ExtraHosts", "Links", "VolumesFrom", "PublishAllPorts", 0, "ContainerIDFile",
      "", "CgroupParent", "", "Cgroup", "", "VolumeDriver", "", "Isolation", "", "CpuCount", 0, "CpuPercent", 0,
      "CpuRealtimePeriod", 0, "CpuRealtimeRuntime", 0, "IOMaximumBandwidth", 0, "IOMaximumIOps", 0, "BlkioWeightDevice",
      "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps", "DeviceCgroupRules",
      "DeviceRequests", "MemorySwappiness");
  if (hc && unset)
    json_object_update_missing(hc, unset);
  return hc;
}

json_t *hull_ctr_inspect(hull_engine *e, hull_ctr *c, hull_err *err) {
  hull_ctr_refresh(e, c);
  char created[64], started[64], finished[64];
  hull_time_rfc3339(c->created, created, sizeof(created));
  hull_time_rfc3339(c->started_at, started, sizeof(started));
  hull_time_rfc3339(c->finished_at, finished, sizeof(finished));
  bool running = c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED;
  json_t *args = json_array();
  json_t *all = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(c->config, "Entrypoint"), i, v) json_array_append(all, v);
  json_array_foreach(json_object_get(c->config, "Cmd"), i, v) json_array_append(all, v);
  json_array_foreach(all, i, v) if (i > 0) json_array_append(args, v);
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL), *logp = hull_ctr_path(e, c->id, "ctr.log");
  cleanup_free char *hn = hull_ctr_path(e, c->id, "hostname"), *hosts = hull_ctr_path(e, c->id, "hosts");
  cleanup_free char *resolv = hull_ctr_path(e, c->id, "resolv.conf"), *rootfs = hull_ctr_path(e, c->id, "rootfs");
  hull_err ue = NULL;
  cleanup_free char *upper = hull_overlay_upper_path(e->store, c->id, &ue);
  hull_error_release(&ue); /* no storage (yet): empty paths, as Docker's for a dead container */
  cleanup_free char *work = NULL;
  if (upper && asprintf(&work, "%.*s/work", (int)(strlen(upper) - 6), upper) < 0)
    work = NULL;
  /* Mounts as Docker lists them: the binds and volumes of the generated config. */
  json_t *mounts = json_array();
  cleanup_free char *cfgp = hull_ctr_path(e, c->id, "config.json");
  cleanup_json json_t *spec = cfgp ? json_load_file(cfgp, 0, NULL) : NULL;
  json_array_foreach(json_object_get(spec, "mounts"), i, v) {
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *dst = json_string_value(json_object_get(v, "destination"));
    const char *src = json_string_value(json_object_get(v, "source"));
    if (type == NULL || dst == NULL || src == NULL || strcmp(type, "bind") != 0 || hull_str_has_prefix(dst, "/etc/"))
      continue;
    bool ro = false;
    size_t k;
    json_t *o;
    json_array_foreach(json_object_get(v, "options"), k, o) ro = ro || strcmp(json_string_value(o), "ro") == 0;
    bool vol = strstr(src, "/volumes/") != NULL;
    json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type", vol ? "volume" : "bind", "Source",
                                            src, "Destination", dst, "Mode", ro ? "ro" : "", "RW", !ro, "Propagation",
                                            vol ? "" : "rprivate"));
  }
  json_t *state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}", "Status",
                            hull_ctr_status_name(c->status), "Running", running, "Paused", c->status == HULL_CTR_PAUSED,
                            "Restarting", c->status == HULL_CTR_RESTARTING, "OOMKilled", c->oom_killed, "Dead",
                            c->status == HULL_CTR_DEAD, "Removing", c->status == HULL_CTR_REMOVING, "Pid",
                            running ? (int)c->pid : 0, "ExitCode", c->exit_code, "Error", c->error ? c->error : "",
                            "StartedAt", started, "FinishedAt", finished);
  cleanup_free char *hp = hull_ctr_path(e, c->id, "health.json");
  json_t *health = hp ? json_load_file(hp, 0, NULL) : NULL;
  if (health)
    json_object_set_new(state, "Health", health);
  json_t *path = json_array_get(all, 0);
  json_t *config = inspect_config(c), *host_config = inspect_host_config(c);
  json_t *out = json_pack(
      "{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s,"
      " s:o, s:{s:o, s:s}, s:o, s:o, s:{s:{}, s:s}}",
      "Id", c->id, "Created", created, "Path", path ? json_string_value(path) : "", "Args", args, "State", state,
      "Image", c->image_id, "ResolvConfPath", resolv, "HostnamePath", hn, "HostsPath", hosts, "LogPath", logp, "Name",
      "", "RestartCount", c->restart_count, "Driver", "overlay2", "Platform", "linux", "MountLabel", "", "ProcessLabel",
      "", "AppArmorProfile", "", "HostConfig", host_config, "GraphDriver", "Data",
      json_pack("{s:s, s:s, s:s}", "MergedDir", rootfs, "UpperDir", upper ? upper : "", "WorkDir", work ? work : ""),
      "Name", "overlay2", "Mounts", mounts, "Config", config, "NetworkSettings", "Networks", "SandboxKey", "");
  json_decref(all);
  if (out == NULL) {
    hull_error(err, ENOMEM, "inspect %s", c->id);
    return NULL;
  }
  json_t *ns = hull_ctr_net_settings(e, c, err);
  if (ns == NULL) {
    json_decref(out);
    return NULL;
  }
  json_object_set_new(out, "NetworkSettings", ns);
  char name[300];
  snprintf(name, sizeof(name), "/%s", c->name);
  json_object_set_new(out, "Name", json_string(name));
  (void)dir;
  return out;
}

bool hull_ctr_prunable_p(const hull_ctr *ct, const hull_prune_filter *f) {
  enum hull_ctr_status s = ct->status;
  if (s != HULL_CTR_EXITED && s != HULL_CTR_DEAD && s != HULL_CTR_CREATED)
    return false;
  if (s == HULL_CTR_CREATED && strcmp(ct->state, "creating") == 0)
    return false; /* being created by a live command */
  return hull_prune_until_match(f, ct->created) && hull_prune_labels_match(f, json_object_get(ct->config, "Labels"));
}
