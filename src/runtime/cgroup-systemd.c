/* The systemd cgroup driver: the container's cgroup is a transient scope unit
 * that systemd creates over D-Bus (sd-bus), with Delegate=yes so that the
 * runtime may write the cgroup's files, and the container's init as the scope's
 * only process from the start.
 *
 * What systemd can express is given as unit properties (MemoryMax, CPUWeight,
 * TasksMax, ..., with runc's v1->v2 conversions), so that systemd's view of the
 * unit agrees with the files and a daemon-reload does not undo the limits; then
 * every resource is written to the cgroup files as with cgroupfs (as runc and
 * crun do), which covers what has no property (device rules as hull's own eBPF
 * program, hugetlb, rdma, unified keys). Listing, killing, freezing and stats
 * act on the scope's directory like on any other cgroup.
 *
 * Only pure cgroup v2 hosts are supported; a host without systemd gets an error
 * naming what is missing. A static build (no libsystemd archive) has the
 * parsing but no bus. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/json.h"
#include "../common/util.h"
#include "cgroup-fs.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"
#include "cgroup.h"
#include "hull-config.h"

#if HULL_HAVE_SYSTEMD
#include <dlfcn.h>
#include <systemd/sd-bus.h>
#endif

#define DEFAULT_SLICE "system.slice"
#define DEFAULT_PREFIX "hull-runtime"
#define SYSTEMD_RUN_DIR "/run/systemd/system"
#define MAX_CPUS 8192

/* ---------------------------------------------------------------- names (no bus needed) */

static bool unit_char_p(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr(":-_.\\", c);
}

static bool unit_name_p(const char *s) {
  if (s[0] == '\0' || strlen(s) > 255)
    return false;
  for (const char *p = s; *p; p++)
    if (!unit_char_p(*p))
      return false;
  return true;
}

int hull_cg_systemd_expand_slice(const char *slice, char **out, hull_err *err) {
  size_t len = strlen(slice);
  const char *suffix = ".slice";
  if (len < strlen(suffix) || strcmp(slice + len - strlen(suffix), suffix) != 0 || strchr(slice, '/') ||
      !unit_name_p(slice))
    return hull_error(err, EINVAL, "invalid systemd slice \"%s\"", slice);
  if (strcmp(slice, "-.slice") == 0) {
    *out = strdup("");
    return *out ? 0 : hull_error(err, ENOMEM, "slice %s", slice);
  }
  /* "a-b-c.slice" lives in a.slice/a-b.slice/a-b-c.slice: each dash starts a
   * child of the slice named by the text before it. Empty components ("a--b",
   * "-a", "a-") are invalid. */
  size_t base = len - strlen(suffix);
  if (base == 0 || slice[0] == '-' || slice[base - 1] == '-' || strstr(slice, "--"))
    return hull_error(err, EINVAL, "invalid systemd slice \"%s\"", slice);
  size_t cap = 2 * (len + 8) * (len + 1);
  char *p = malloc(cap);
  if (p == NULL)
    return hull_error(err, ENOMEM, "slice %s", slice);
  size_t n = 0;
  for (size_t i = 0; i <= base; i++) {
    if (i == base || slice[i] == '-')
      n += (size_t)snprintf(p + n, cap - n, "/%.*s.slice", (int)i, slice);
  }
  *out = p;
  return 0;
}

int hull_cg_systemd_parse_path(const char *cgroups_path, const char *id, char **slice, char **unit, hull_err *err) {
  cleanup_free char *copy = NULL;
  const char *s = DEFAULT_SLICE, *prefix = DEFAULT_PREFIX, *name = id;
  if (cgroups_path != NULL && cgroups_path[0] != '\0') {
    copy = strdup(cgroups_path);
    if (copy == NULL)
      return hull_error(err, ENOMEM, "cgroupsPath");
    char *c1 = strchr(copy, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL || strchr(c2 + 1, ':'))
      return hull_error(err, EINVAL, "cgroupsPath \"%s\": the systemd cgroup manager expects \"slice:prefix:name\"",
                        cgroups_path);
    *c1 = *c2 = '\0';
    s = copy[0] ? copy : DEFAULT_SLICE;
    prefix = c1 + 1;
    name = c2 + 1;
  }
  if (name == NULL || name[0] == '\0')
    return hull_error(err, EINVAL, "cgroupsPath \"%s\": no name", cgroups_path ? cgroups_path : "");
  size_t nl = strlen(name);
  if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
    return hull_error(err, ENOTSUP, "cgroupsPath \"%s\": a slice as the container's unit is not supported",
                      cgroups_path);
  char *u = NULL;
  if (asprintf(&u, "%s%s%s.scope", prefix, prefix[0] ? "-" : "", name) < 0)
    return hull_error(err, ENOMEM, "cgroupsPath");
  if (!unit_name_p(u)) {
    hull_error(err, EINVAL, "cgroupsPath \"%s\": \"%s\" is not a valid systemd unit name",
               cgroups_path ? cgroups_path : "", u);
    free(u);
    return -1;
  }
  *slice = strdup(s);
  if (*slice == NULL) {
    free(u);
    return hull_error(err, ENOMEM, "cgroupsPath");
  }
  *unit = u;
  return 0;
}

/* What the host lacks for this driver, or NULL when systemd runs it. */
static const char *missing_systemd(char *pid1, size_t size) {
  if (access(SYSTEMD_RUN_DIR, F_OK) == 0)
    return NULL;
  hull_err local = NULL;
  size_t len = 0;
  cleanup_free char *comm = hull_read_file("/proc/1/comm", &len, &local);
  hull_error_release(&local); /* only for the message */
  snprintf(pid1, size, "%.*s", comm ? (int)strcspn(comm, "\n") : 1, comm ? comm : "?");
  return SYSTEMD_RUN_DIR;
}

int hull_cg_systemd_resolve(const char *cgroups_path, const char *id, enum hull_cgroup_kind kind, char **path,
                            char **unit, hull_err *err) {
  char pid1[64];
  const char *missing = missing_systemd(pid1, sizeof(pid1));
  if (missing != NULL)
    return hull_error(err, 0,
                      "the systemd cgroup manager needs systemd as PID 1, and this host runs \"%s\" (no %s): use "
                      "--cgroup-manager cgroupfs",
                      pid1, missing);
  if (!HULL_HAVE_SYSTEMD)
    return hull_error(err, ENOTSUP, "the systemd cgroup manager: hull-runtime was built without libsystemd");
  if (kind != HULL_CGROUP_V2)
    return hull_error(err, ENOTSUP, "the systemd cgroup manager supports pure cgroup v2 hosts only");
  cleanup_free char *slice = NULL, *u = NULL, *sdir = NULL;
  if (hull_cg_systemd_parse_path(cgroups_path, id, &slice, &u, err) < 0 ||
      hull_cg_systemd_expand_slice(slice, &sdir, err) < 0)
    return -1;
  if (asprintf(path, "%s/%s", sdir, u) < 0)
    return hull_error(err, ENOMEM, "cgroup for %s", u);
  *unit = steal_pointer(&u);
  return 0;
}

/* ---------------------------------------------------------------- properties (no bus needed) */

static void prop_u64(struct hull_sd_prop *p, size_t max, size_t *n, const char *name, uint64_t v) {
  if (*n < max)
    p[(*n)++] = (struct hull_sd_prop){.name = name, .u = v};
}

/* "0-3,7" as systemd's CPU/NUMA bitmask (byte i, bit j: CPU 8i+j). */
static int cpu_mask(const char *list, const char *what, unsigned char **out, size_t *len, hull_err *err) {
  unsigned char mask[MAX_CPUS / 8] = {0};
  size_t used = 0;
  for (const char *p = list; *p;) {
    char *end = NULL;
    unsigned long a = strtoul(p, &end, 10), b = a;
    if (end == p)
      return hull_error(err, EINVAL, "%s \"%s\": not a list of numbers", what, list);
    if (*end == '-') {
      p = end + 1;
      b = strtoul(p, &end, 10);
      if (end == p)
        return hull_error(err, EINVAL, "%s \"%s\": not a list of numbers", what, list);
    }
    if (b < a || b >= MAX_CPUS)
      return hull_error(err, EINVAL, "%s \"%s\": bad range", what, list);
    for (unsigned long i = a; i <= b; i++)
      mask[i / 8] |= (unsigned char)(1u << (i % 8));
    used = used > b / 8 + 1 ? used : b / 8 + 1;
    p = end;
    if (*p == ',')
      p++;
    else if (*p != '\0')
      return hull_error(err, EINVAL, "%s \"%s\": not a list of numbers", what, list);
  }
  *out = malloc(used ? used : 1);
  if (*out == NULL)
    return hull_error(err, ENOMEM, "%s", what);
  memcpy(*out, mask, used);
  *len = used;
  return 0;
}

static int prop_mask(struct hull_sd_prop *p, size_t max, size_t *n, const char *name, const char *list, hull_err *err) {
  if (list == NULL || list[0] == '\0' || *n >= max)
    return 0;
  struct hull_sd_prop *q = &p[*n];
  *q = (struct hull_sd_prop){.name = name, .bytes_p = true};
  if (cpu_mask(list, name, &q->bytes, &q->nbytes, err) < 0)
    return -1;
  (*n)++;
  return 0;
}

#define W "linux.resources"

static int memory_props(json_t *m, struct hull_sd_prop *p, size_t max, size_t *n, hull_err *err) {
  long long limit = 0, swap = 0, low = 0, swap_max = 0;
  int has_limit = hull_json_get_int(m, W ".memory", "limit", &limit, err);
  int has_swap = has_limit < 0 ? -1 : hull_json_get_int(m, W ".memory", "swap", &swap, err);
  int has_low = has_swap < 0 ? -1 : hull_json_get_int(m, W ".memory", "reservation", &low, err);
  if (has_low < 0)
    return -1;
  if (has_limit && limit != 0)
    prop_u64(p, max, n, "MemoryMax", limit < 0 ? UINT64_MAX : (uint64_t)limit);
  if (has_low && low != 0)
    prop_u64(p, max, n, "MemoryLow", low < 0 ? UINT64_MAX : (uint64_t)low);
  if (has_swap || has_limit) {
    int r = hull_cgroup_swap_to_v2(has_swap ? swap : 0, has_limit ? limit : 0, &swap_max, err);
    if (r < 0)
      return -1;
    if (r > 0)
      prop_u64(p, max, n, "MemorySwapMax", swap_max < 0 ? UINT64_MAX : (uint64_t)swap_max);
  }
  return 0;
}

static int cpu_props(json_t *c, struct hull_sd_prop *p, size_t max, size_t *n, hull_err *err) {
  long long shares = 0, quota = 0, period = 0;
  const char *cpus = NULL, *mems = NULL;
  int has_shares = hull_json_get_int(c, W ".cpu", "shares", &shares, err);
  int has_quota = has_shares < 0 ? -1 : hull_json_get_int(c, W ".cpu", "quota", &quota, err);
  int has_period = has_quota < 0 ? -1 : hull_json_get_int(c, W ".cpu", "period", &period, err);
  if (has_period < 0 || hull_json_get_string(c, W ".cpu", "cpus", &cpus, err) < 0 ||
      hull_json_get_string(c, W ".cpu", "mems", &mems, err) < 0)
    return -1;
  if (has_shares && shares > 0)
    prop_u64(p, max, n, "CPUWeight", hull_cgroup_shares_to_weight((unsigned long long)shares));
  has_period = has_period && period > 0;
  if (has_period)
    prop_u64(p, max, n, "CPUQuotaPeriodUSec", (uint64_t)period);
  if (has_quota && quota != 0) {
    /* runc: quota per second of CPU time, rounded up to whole 10 ms (systemd's
     * unit), with the default period when none is given; -1 lifts the limit. */
    uint64_t per_sec = UINT64_MAX;
    if (quota > 0) {
      uint64_t per = has_period ? (uint64_t)period : 100000;
      per_sec = (uint64_t)quota * 1000000 / per;
      if (per_sec % 10000 != 0)
        per_sec = (per_sec / 10000 + 1) * 10000;
    }
    prop_u64(p, max, n, "CPUQuotaPerSecUSec", per_sec);
  }
  if (prop_mask(p, max, n, "AllowedCPUs", cpus, err) < 0 || prop_mask(p, max, n, "AllowedMemoryNodes", mems, err) < 0)
    return -1;
  return 0;
}

int hull_cg_systemd_props(json_t *r, struct hull_sd_prop *p, size_t max, size_t *n, hull_err *err) {
  *n = 0;
  if (r == NULL)
    return 0;
  json_t *m = NULL, *c = NULL, *pids = NULL, *io = NULL;
  long long tasks = 0, weight = 0;
  int has_tasks = 0, has_weight = 0;
  if (hull_json_get_object(r, W, "memory", &m, err) < 0 || hull_json_get_object(r, W, "cpu", &c, err) < 0 ||
      hull_json_get_object(r, W, "pids", &pids, err) < 0 || hull_json_get_object(r, W, "blockIO", &io, err) < 0 ||
      (has_tasks = hull_json_get_int(pids, W ".pids", "limit", &tasks, err)) < 0 ||
      (has_weight = hull_json_get_int(io, W ".blockIO", "weight", &weight, err)) < 0)
    return -1;
  if ((m && memory_props(m, p, max, n, err) < 0) || (c && cpu_props(c, p, max, n, err) < 0)) {
    hull_cg_systemd_props_free(p, *n);
    *n = 0;
    return -1;
  }
  /* As runc: a positive limit, or -1 for none; 0 is "not set". */
  if (has_tasks && tasks != 0)
    prop_u64(p, max, n, "TasksMax", tasks < 0 ? UINT64_MAX : (uint64_t)tasks);
  if (has_weight && weight > 0)
    prop_u64(p, max, n, "IOWeight", hull_cgroup_blkio_to_io_weight((unsigned long long)weight));
  return 0;
}

void hull_cg_systemd_props_free(struct hull_sd_prop *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(p[i].bytes);
    p[i].bytes = NULL;
  }
}

/* ---------------------------------------------------------------- the bus */

#if HULL_HAVE_SYSTEMD

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define JOB_TIMEOUT_US (30ULL * 1000000)
#define MAX_PROPS 16

/* libsystemd is loaded on first use (see meson.build): every sd-bus function
 * used here is called through a pointer of its own type, found with dlsym. */
#define SD_FUNCS(X)                                                                                                    \
  X(sd_bus_open_system)                                                                                                \
  X(sd_bus_new)                                                                                                        \
  X(sd_bus_set_address)                                                                                                \
  X(sd_bus_start)                                                                                                      \
  X(sd_bus_unref)                                                                                                      \
  X(sd_bus_flush_close_unref)                                                                                          \
  X(sd_bus_process)                                                                                                    \
  X(sd_bus_wait)                                                                                                       \
  X(sd_bus_call)                                                                                                       \
  X(sd_bus_match_signal_async)                                                                                         \
  X(sd_bus_call_method_async)                                                                                          \
  X(sd_bus_slot_unref)                                                                                                 \
  X(sd_bus_get_property_string)                                                                                        \
  X(sd_bus_path_encode)                                                                                                \
  X(sd_bus_error_free)                                                                                                 \
  X(sd_bus_error_is_set)                                                                                               \
  X(sd_bus_message_new_method_call)                                                                                    \
  X(sd_bus_message_unref)                                                                                              \
  X(sd_bus_message_read)                                                                                               \
  X(sd_bus_message_append)                                                                                             \
  X(sd_bus_message_append_array)                                                                                       \
  X(sd_bus_message_open_container)                                                                                     \
  X(sd_bus_message_close_container)

#define SD_PTR(f) static __typeof__(f) *dl_##f;
SD_FUNCS(SD_PTR)
#undef SD_PTR

static int sd_load(hull_err *err) {
  static void *lib = NULL;
  if (lib != NULL)
    return 0;
  void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return hull_error(err, 0, "the systemd cgroup manager: load libsystemd.so.0: %s", dlerror());
#define SD_SYM(f)                                                                                                      \
  if ((dl_##f = (__typeof__(f) *)dlsym(h, #f)) == NULL) {                                                              \
    dlclose(h);                                                                                                        \
    return hull_error(err, 0, "the systemd cgroup manager: libsystemd.so.0 has no %s", #f);                            \
  }
  SD_FUNCS(SD_SYM)
#undef SD_SYM
  lib = h;
  return 0;
}

#define sd_bus_open_system dl_sd_bus_open_system
#define sd_bus_new dl_sd_bus_new
#define sd_bus_set_address dl_sd_bus_set_address
#define sd_bus_start dl_sd_bus_start
#define sd_bus_unref dl_sd_bus_unref
#define sd_bus_flush_close_unref dl_sd_bus_flush_close_unref
#define sd_bus_process dl_sd_bus_process
#define sd_bus_wait dl_sd_bus_wait
#define sd_bus_call dl_sd_bus_call
#define sd_bus_match_signal_async dl_sd_bus_match_signal_async
#define sd_bus_call_method_async dl_sd_bus_call_method_async
#define sd_bus_slot_unref dl_sd_bus_slot_unref
#define sd_bus_get_property_string dl_sd_bus_get_property_string
#define sd_bus_path_encode dl_sd_bus_path_encode
#define sd_bus_error_free dl_sd_bus_error_free
#define sd_bus_error_is_set dl_sd_bus_error_is_set
#define sd_bus_message_new_method_call dl_sd_bus_message_new_method_call
#define sd_bus_message_unref dl_sd_bus_message_unref
#define sd_bus_message_read dl_sd_bus_message_read
#define sd_bus_message_append dl_sd_bus_message_append
#define sd_bus_message_append_array dl_sd_bus_message_append_array
#define sd_bus_message_open_container dl_sd_bus_message_open_container
#define sd_bus_message_close_container dl_sd_bus_message_close_container

static void bus_unrefp(sd_bus_message **m) {
  if (*m != NULL)
    sd_bus_message_unref(*m);
}
#define cleanup_msg __attribute__((cleanup(bus_unrefp)))

static int bus_fail(hull_err *err, int r, const sd_bus_error *e, const char *what, const char *unit) {
  if (e != NULL && sd_bus_error_is_set(e) && strcmp(e->name, "org.freedesktop.systemd1.UnitExists") == 0)
    return hull_error(err, EEXIST, "%s %s: the unit exists already (another container with this cgroupsPath?)", what,
                      unit);
  if (e != NULL && sd_bus_error_is_set(e))
    return hull_error(err, 0, "%s %s: %s (%s)", what, unit, e->message ? e->message : e->name, e->name);
  return hull_error(err, -r, "%s %s", what, unit);
}

/* The system bus, or systemd's private socket when no D-Bus daemon runs (root
 * only). */
static sd_bus *bus_get(hull_cgroup *cg, hull_err *err) {
  if (cg->bus != NULL)
    return cg->bus;
  if (sd_load(err) < 0)
    return NULL;
  sd_bus *bus = NULL;
  int r = sd_bus_open_system(&bus);
  if (r < 0 && access("/run/systemd/private", F_OK) == 0) {
    sd_bus_unref(bus);
    bus = NULL;
    if ((r = sd_bus_new(&bus)) >= 0 && (r = sd_bus_set_address(bus, "unix:path=/run/systemd/private")) >= 0)
      r = sd_bus_start(bus);
  }
  if (r < 0) {
    sd_bus_unref(bus);
    hull_error(err, -r, "the systemd cgroup manager: connect to the system bus (/run/dbus/system_bus_socket)");
    return NULL;
  }
  cg->bus = bus;
  return bus;
}

void hull_cg_systemd_close(hull_cgroup *cg) {
  if (cg->bus != NULL)
    sd_bus_flush_close_unref(cg->bus);
  cg->bus = NULL;
}

struct job_wait {
  const char *job; /* the job's object path, once known */
  char result[32];
  bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret) {
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path = NULL, *unit = NULL, *result = NULL;
  if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job != NULL && strcmp(path, w->job) == 0) {
    snprintf(w->result, sizeof(w->result), "%s", result);
    w->done = true;
  }
  return 0;
}

static int wait_job(sd_bus *bus, struct job_wait *w, const char *unit, hull_err *err) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t start = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
  while (!w->done) {
    int r = sd_bus_process(bus, NULL);
    if (r < 0)
      return hull_error(err, -r, "wait for systemd unit %s", unit);
    if (r > 0)
      continue;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    if (now - start > JOB_TIMEOUT_US)
      return hull_error(err, ETIMEDOUT, "wait for systemd unit %s", unit);
    r = sd_bus_wait(bus, JOB_TIMEOUT_US - (now - start));
    if (r < 0)
      return hull_error(err, -r, "wait for systemd unit %s", unit);
  }
  return 0;
}

static int append_props(sd_bus_message *m, const struct hull_sd_prop *p, size_t n) {
  int r = 0;
  for (size_t i = 0; r >= 0 && i < n; i++) {
    if (!p[i].bytes_p) {
      r = sd_bus_message_append(m, "(sv)", p[i].name, "t", p[i].u);
      continue;
    }
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 || (r = sd_bus_message_append(m, "s", p[i].name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "ay")) < 0 ||
        (r = sd_bus_message_append_array(m, 'y', p[i].bytes, p[i].nbytes)) < 0 ||
        (r = sd_bus_message_close_container(m)) < 0)
      break;
    r = sd_bus_message_close_container(m);
  }
  return r;
}

/* Calls the Manager method in m, which queues a job on unit, and waits for the job;
 * *result is its outcome ("done", ...), *queued (if given) tells whether systemd took it. */
static int run_job(sd_bus *bus, sd_bus_message *m, const char *what, const char *unit, char *result, size_t size,
                   bool *queued, hull_err *err) {
  struct job_wait w = {0};
  sd_bus_slot *slot = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  /* The match goes first so that the signal cannot pass before we listen; it is not
   * waited for (the bus handles our messages in order). No Subscribe: systemd sends a
   * job's JobRemoved to the client that asked for the job in any case. */
  int r = sd_bus_match_signal_async(bus, &slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, NULL, &w);
  if (r < 0)
    return hull_error(err, -r, "%s %s: listen for JobRemoved", what, unit);
  r = sd_bus_call(bus, m, JOB_TIMEOUT_US, &e, &reply);
  if (r >= 0)
    r = sd_bus_message_read(reply, "o", &w.job);
  if (r < 0) {
    int rc = bus_fail(err, r, &e, what, unit);
    sd_bus_error_free(&e);
    sd_bus_slot_unref(slot);
    return rc;
  }
  if (queued != NULL)
    *queued = true;
  r = wait_job(bus, &w, unit, err);
  sd_bus_slot_unref(slot);
  if (r < 0)
    return -1;
  snprintf(result, size, "%s", w.result);
  return 0;
}

static int new_call(sd_bus *bus, const char *method, sd_bus_message **m, const char *unit, hull_err *err) {
  int r = sd_bus_message_new_method_call(bus, m, SD_DEST, SD_PATH, SD_MANAGER, method);
  return r < 0 ? hull_error(err, -r, "%s %s", method, unit) : 0;
}

/* The scope's cgroup as systemd reports it (it may differ from the expected
 * one, e.g. when the slice is itself below a delegated subtree). */
static int read_control_group(hull_cgroup *cg, sd_bus *bus, hull_err *err) {
  cleanup_free char *obj = NULL, *path = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = sd_bus_path_encode(SD_PATH "/unit", cg->unit, &obj);
  if (r < 0)
    return hull_error(err, -r, "systemd unit %s", cg->unit);
  r = sd_bus_get_property_string(bus, SD_DEST, obj, "org.freedesktop.systemd1.Scope", "ControlGroup", &e, &path);
  if (r < 0) {
    int rc = bus_fail(err, r, &e, "read ControlGroup of", cg->unit);
    sd_bus_error_free(&e);
    return rc;
  }
  if (path[0] == '\0' || strcmp(path, cg->path) == 0)
    return 0;
  return hull_cg_set_v2_path(cg, path, err);
}

static int sd_create(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err) {
  struct hull_sd_prop props[MAX_PROPS];
  size_t np = 0;
  if (pid <= 0)
    return hull_error(err, EINVAL, "systemd unit %s: a scope needs the container's process", cg->unit);
  sd_bus *bus = bus_get(cg, err);
  if (bus == NULL || hull_cg_systemd_props(resources, props, MAX_PROPS, &np, err) < 0)
    return -1;
  cleanup_free char *slice = NULL, *desc = NULL;
  const char *last = strrchr(cg->path, '/');
  /* The slice is the parent directory's last component ("" below the root:
   * -.slice). */
  const char *sl = cg->path;
  for (const char *q = cg->path; q < last; q++)
    if (*q == '/')
      sl = q + 1;
  slice = last > cg->path ? strndup(sl, (size_t)(last - sl)) : strdup("-.slice");
  if (slice == NULL || asprintf(&desc, "hull container %s", cg->unit) < 0) {
    hull_cg_systemd_props_free(props, np);
    return hull_error(err, ENOMEM, "systemd unit %s", cg->unit);
  }
  cleanup_msg sd_bus_message *m = NULL;
  int r = new_call(bus, "StartTransientUnit", &m, cg->unit, err);
  if (r == 0) {
    /* CollectMode: a unit that failed (killed, say) is unloaded anyway, so that
     * no failed unit is left after delete. DefaultDependencies=no: as runc, no
     * ordering against shutdown.target or the slice's other units. */
    if ((r = sd_bus_message_append(m, "ss", cg->unit, "fail")) >= 0 &&
        (r = sd_bus_message_open_container(m, 'a', "(sv)")) >= 0 &&
        (r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s", slice,
                                   "Delegate", "b", 1, "PIDs", "au", 1, (uint32_t)pid, "DefaultDependencies", "b", 0,
                                   "CollectMode", "s", "inactive-or-failed")) >= 0 &&
        (r = append_props(m, props, np)) >= 0 && (r = sd_bus_message_close_container(m)) >= 0)
      r = sd_bus_message_append(m, "a(sa(sv))", 0);
    if (r < 0)
      r = hull_error(err, -r, "StartTransientUnit %s", cg->unit);
  }
  hull_cg_systemd_props_free(props, np);
  char result[32];
  /* Owned once systemd took the job: a unit of that name that existed before is refused
   * by the call itself, and must not be stopped by our cleanup. */
  if (r < 0 || run_job(bus, m, "start systemd unit", cg->unit, result, sizeof(result), &cg->unit_owned, err) < 0)
    return -1;
  if (strcmp(result, "done") != 0)
    return hull_error(err, 0, "start systemd unit %s: the job ended \"%s\"", cg->unit, result);
  return read_control_group(cg, bus, err);
}

static int sd_apply(hull_cgroup *cg, json_t *resources, bool update, hull_err *err) {
  struct hull_sd_prop props[MAX_PROPS];
  size_t np = 0;
  /* At creation the properties went with StartTransientUnit. */
  if (update && resources != NULL) {
    if (hull_cg_systemd_props(resources, props, MAX_PROPS, &np, err) < 0)
      return -1;
    sd_bus *bus = np ? bus_get(cg, err) : NULL;
    cleanup_msg sd_bus_message *m = NULL;
    sd_bus_error e = SD_BUS_ERROR_NULL;
    int r = 0;
    if (np && (bus == NULL || new_call(bus, "SetUnitProperties", &m, cg->unit, err) < 0))
      r = -1;
    else if (np) {
      if ((r = sd_bus_message_append(m, "sb", cg->unit, 1)) >= 0 &&
          (r = sd_bus_message_open_container(m, 'a', "(sv)")) >= 0 && (r = append_props(m, props, np)) >= 0 &&
          (r = sd_bus_message_close_container(m)) >= 0)
        r = sd_bus_call(bus, m, JOB_TIMEOUT_US, &e, NULL);
      if (r < 0)
        r = bus_fail(err, r, &e, "set properties of systemd unit", cg->unit);
      sd_bus_error_free(&e);
    }
    hull_cg_systemd_props_free(props, np);
    if (r < 0)
      return -1;
  }
  return hull_cg_apply_resources(cg, resources, update, err);
}

static int sd_destroy(hull_cgroup *cg, hull_err *err) {
  /* A scope's stop sends SIGTERM and waits TimeoutStopSec before SIGKILL: kill
   * what is left first (the container is being deleted), then stop the (usually
   * already collected) unit and clear a failed state. */
  if (!cg->unit_owned)
    return 0;
  hull_cg_fs_drain(cg);
  sd_bus *bus = bus_get(cg, err);
  if (bus == NULL)
    return -1;
  cleanup_msg sd_bus_message *m = NULL;
  if (new_call(bus, "StopUnit", &m, cg->unit, err) < 0)
    return -1;
  int r = sd_bus_message_append(m, "ss", cg->unit, "replace");
  if (r < 0)
    return hull_error(err, -r, "StopUnit %s", cg->unit);
  char result[32];
  hull_err local = NULL;
  if (run_job(bus, m, "stop systemd unit", cg->unit, result, sizeof(result), NULL, &local) < 0) {
    bool gone = strstr(local->msg, "NoSuchUnit") != NULL || strstr(local->msg, "not loaded") != NULL;
    if (!gone) {
      *err = local;
      return -1;
    }
    hull_error_release(&local); /* the unit went away with its last process */
  }
  /* Not waited for (sent when the connection is flushed and closed): the unit is not
   * failed, or gone, or failed and then cleared; CollectMode unloads it anyway. */
  sd_bus_call_method_async(bus, NULL, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s", cg->unit);
  return 0;
}

#else /* !HULL_HAVE_SYSTEMD */

void hull_cg_systemd_close(hull_cgroup *cg) { (void)cg; }

static int no_systemd(hull_cgroup *cg, hull_err *err) {
  return hull_error(err, ENOTSUP, "systemd unit %s: hull-runtime was built without libsystemd", cg->unit);
}
static int sd_create(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err) { return no_systemd(cg, err); }
static int sd_apply(hull_cgroup *cg, json_t *resources, bool update, hull_err *err) { return no_systemd(cg, err); }
static int sd_destroy(hull_cgroup *cg, hull_err *err) { return no_systemd(cg, err); }

#endif

static bool sd_precreate_p(const hull_cgroup *cg) { return false; }

const struct hull_cg_manager hull_cg_systemd = {
    .name = "systemd",
    .precreate_p = sd_precreate_p,
    .create = sd_create,
    .apply = sd_apply,
    .enter = hull_cg_fs_enter,
    .destroy = sd_destroy,
};
