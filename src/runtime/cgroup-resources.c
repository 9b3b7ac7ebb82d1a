/* cgroup manager, part 2: writing OCI linux.resources (v1 files, or their v2 equivalents
 * with runc's conversions) and reading stats in the shape of `runc events --stats`.
 *
 * Each controller is written in whichever hierarchy carries it, so a hybrid host drives
 * memory through v1 and hugetlb through the unified tree. A value that is asked for but
 * cannot be applied is an error naming the file and the value, never silently dropped. */
#ifndef _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/json.h"
#include "../common/util.h"
#include "cgroup-devices.h"
#include "cgroup-fs.h"
#include "cgroup-resources.h"
#include "names.h"

#define W "linux.resources"

/* ---------------------------------------------------------------- writers */

/* The undo log of an update: the previous content of every file written, put back in
 * reverse order when a later write fails, so that a refused update leaves the container
 * as it was. Active only inside hull_cgroup_update (one per thread at a time). */
struct undo_entry {
  char *path, *old;
};
struct undo_log {
  struct undo_entry *v;
  size_t n, cap;
};
static __thread struct undo_log *undo_active;

/* The value to write back into path to undo writing val there, or NULL when the file's
 * content cannot be written back as read (lists of devices and the like, except the line
 * of the key val sets). */
static char *undo_value(const char *path, const char *file, const char *val) {
  hull_err local = NULL;
  cleanup_free char *t = hull_read_file(path, NULL, &local);
  hull_error_release(&local); /* unreadable: nothing to restore */
  if (t == NULL)
    return NULL;
  size_t len = strlen(t);
  while (len > 0 && t[len - 1] == '\n')
    t[--len] = '\0';
  if (strcmp(file, "memory.oom_control") == 0) {
    unsigned long long v = 0;
    char *p = strstr(t, "oom_kill_disable ");
    if (p == NULL)
      return NULL;
    v = strtoull(p + strlen("oom_kill_disable "), NULL, 10);
    char *r = NULL;
    return asprintf(&r, "%llu", v) < 0 ? NULL : r;
  }
  if (len == 0)
    return NULL;
  if (strchr(t, '\n') == NULL && strncmp(t, "default ", 8) != 0)
    return steal_pointer(&t);
  /* Keyed lines ("8:0 1048576", "lo 5"): the line of the key being written. */
  size_t klen = strcspn(val, " ");
  for (char *save = NULL, *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    if (strncmp(line, val, klen) == 0 && line[klen] == ' ')
      return strdup(line);
  return NULL;
}

static void undo_record(const char *path, const char *file, const char *val) {
  struct undo_log *u = undo_active;
  if (u == NULL)
    return;
  char *old = undo_value(path, file, val);
  if (old == NULL)
    return;
  if (u->n == u->cap) {
    size_t cap = u->cap ? u->cap * 2 : 16;
    struct undo_entry *v = realloc(u->v, cap * sizeof(*v));
    if (v == NULL) {
      free(old);
      return;
    }
    u->v = v;
    u->cap = cap;
  }
  u->v[u->n].path = strdup(path);
  u->v[u->n].old = old;
  if (u->v[u->n].path == NULL) {
    free(old);
    return;
  }
  u->n++;
}

/* Puts back what the log recorded (newest first) and empties it. Best effort: the error
 * the caller reports is the write that failed, not a failed restore. */
static void undo_rollback(struct undo_log *u, bool restore) {
  for (size_t i = u->n; i-- > 0;) {
    if (restore) {
      int fd = open(u->v[i].path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        ssize_t r = write(fd, u->v[i].old, strlen(u->v[i].old));
        (void)r; /* see above */
        close(fd);
      }
    }
    free(u->v[i].path);
    free(u->v[i].old);
  }
  free(u->v);
  *u = (struct undo_log){0};
}

/* Why the kernel refused a value, for the errors it gives only an errno for. */
static const char *refusal_hint(const struct hull_cgroup_hier *d, const char *file, int e, char *buf, size_t size) {
  if (e == EINVAL &&
      (strcmp(file, "cpu.cfs_quota_us") == 0 || strcmp(file, "cpu.cfs_period_us") == 0 || strcmp(file, "cpu.max") == 0))
    return " (the cpu quota and period must be at least 1000 microseconds, the period at most 1 s)";
  if (e == EBUSY && (strcmp(file, "memory.limit_in_bytes") == 0 || strcmp(file, "memory.memsw.limit_in_bytes") == 0))
    return " (the cgroup already uses more memory than that, or the memory+swap limit is below the memory limit)";
  if ((e == EINVAL || e == ERANGE) && strncmp(file, "cpuset.", 7) == 0) {
    /* The parent's set is what a child may use. */
    char parent[PATH_MAX], allowed[256];
    hull_err local = NULL;
    const char *slash = strrchr(d->dir, '/');
    if (slash && (size_t)(slash - d->dir) < sizeof(parent)) {
      snprintf(parent, sizeof(parent), "%.*s", (int)(slash - d->dir), d->dir);
      bool cpus = strcmp(file, "cpuset.cpus") == 0;
      if (hull_cg_read(parent, d->v2 ? (cpus ? "cpuset.cpus.effective" : "cpuset.mems.effective") : file, allowed,
                       sizeof(allowed), &local) == 0) {
        snprintf(buf, size, " (the %s available to this cgroup are %s)", cpus ? "cpus" : "memory nodes", allowed);
        return buf;
      }
      hull_error_release(&local); /* no hint then */
    }
  }
  return "";
}

/* Writes one resource value: "set FILE to VALUE: strerror". d NULL: no hierarchy carries
 * the controller. */
static int set_str(const struct hull_cgroup_hier *d, const char *ctrl, const char *file, const char *val,
                   hull_err *err) {
  if (d == NULL)
    return hull_error(err, 0, "set %s to %s: no %s cgroup controller is available", file, val, ctrl);
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", d->dir, file) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "set %s to %s", file, val);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "set %s to %s: open %s", file, val, path);
  undo_record(path, file, val);
  ssize_t r;
  do
    r = write(fd, val, strlen(val));
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    char buf[320];
    const char *hint = refusal_hint(d, file, e, buf, sizeof(buf));
    errno = e;
    return hull_error_sys(err, "set %s to %s%s", file, val, hint);
  }
  return 0;
}

static int set_int(const struct hull_cgroup_hier *d, const char *ctrl, const char *file, long long v, hull_err *err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%lld", v);
  return set_str(d, ctrl, file, buf, err);
}

/* v2 spelling of a limit: -1 is "max". */
static int set_max(const struct hull_cgroup_hier *d, const char *ctrl, const char *file, long long v, hull_err *err) {
  return v == -1 ? set_str(d, ctrl, file, "max", err) : set_int(d, ctrl, file, v, err);
}

static bool has_file(const struct hull_cgroup_hier *d, const char *file) { return d && hull_cg_exists(d->dir, file); }

static bool read_ull(const char *dir, const char *file, unsigned long long *v) {
  char buf[64], *end = NULL;
  hull_err local = NULL;
  if (hull_cg_read(dir, file, buf, sizeof(buf), &local) < 0) {
    hull_error_release(&local); /* missing files are normal: the caller decides */
    return false;
  }
  if (strcmp(buf, "max") == 0) {
    *v = ULLONG_MAX;
    return true;
  }
  errno = 0;
  *v = strtoull(buf, &end, 10);
  return errno == 0 && end != buf;
}

unsigned long long hull_cgroup_shares_to_weight(unsigned long long shares) {
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

unsigned long long hull_cgroup_blkio_to_io_weight(unsigned long long weight) {
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int hull_cgroup_swap_to_v2(long long swap, long long limit, long long *out, hull_err *err) {
  /* As with v1: unlimited memory and no explicit swap means unlimited swap too. */
  if (limit == -1 && swap == 0) {
    *out = -1;
    return 1;
  }
  if (swap == -1) {
    *out = -1;
    return 1;
  }
  if (swap == 0)
    return 0;
  if (limit == 0 || limit == -1)
    return hull_error(err, 0, W ".memory.swap %lld: a swap limit needs a memory limit", swap);
  if (limit < 0 || swap < limit)
    return hull_error(err, 0, W ".memory.swap %lld: must be at least memory.limit %lld (it counts memory+swap)", swap,
                      limit);
  *out = swap - limit; /* 0 here disables swap */
  return 1;
}

/* ---------------------------------------------------------------- memory */

struct mem_req {
  long long limit, swap, reservation, kernel, ktcp, swappiness;
  int has_limit, has_swap, has_res, has_kernel, has_ktcp, has_swappiness, has_oom, has_hier;
  bool disable_oom, use_hier;
};

static int memory_v1(const struct hull_cgroup_hier *d, struct mem_req *m, hull_err *err) {
  bool memsw = has_file(d, "memory.memsw.limit_in_bytes");
  if (m->has_limit && m->limit == -1 && !m->has_swap && memsw)
    m->swap = -1, m->has_swap = 1; /* unlimited memory: unlimited memory+swap too (runc) */
  if (m->has_swap && m->swap == 0)
    m->has_swap = 0;
  if (m->has_swap && !memsw && d) {
    if (m->swap != -1)
      return hull_error(
          err, 0, "set memory.memsw.limit_in_bytes to %lld: swap accounting is not enabled in this kernel", m->swap);
    m->has_swap = 0;
  }
  bool swap_first = false;
  if (m->has_limit && m->has_swap) {
    /* The kernel insists on limit <= memsw at every step: raise memsw first when the new
     * memsw is above the current limit (runc's order). */
    unsigned long long cur = 0;
    swap_first =
        m->swap == -1 || (d && read_ull(d->dir, "memory.limit_in_bytes", &cur) && cur < (unsigned long long)m->swap);
  }
  if (swap_first && set_int(d, "memory", "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return -1;
  if (m->has_limit && set_int(d, "memory", "memory.limit_in_bytes", m->limit, err) < 0)
    return -1;
  if (!swap_first && m->has_swap && set_int(d, "memory", "memory.memsw.limit_in_bytes", m->swap, err) < 0)
    return -1;
  if (m->has_res && set_int(d, "memory", "memory.soft_limit_in_bytes", m->reservation, err) < 0)
    return -1;
  /* Kernel memory limits are gone from recent kernels: write them only where they exist. */
  if (m->has_kernel && has_file(d, "memory.kmem.limit_in_bytes") &&
      set_int(d, "memory", "memory.kmem.limit_in_bytes", m->kernel, err) < 0)
    return -1;
  if (m->has_ktcp && has_file(d, "memory.kmem.tcp.limit_in_bytes") &&
      set_int(d, "memory", "memory.kmem.tcp.limit_in_bytes", m->ktcp, err) < 0)
    return -1;
  if (m->has_swappiness && m->swappiness >= 0) { /* -1: Docker's "unset" */
    if (m->swappiness > 100)
      return hull_error(err, 0, "set memory.swappiness to %lld: the range is 0-100", m->swappiness);
    if (set_int(d, "memory", "memory.swappiness", m->swappiness, err) < 0)
      return -1;
  }
  if (m->has_oom && set_str(d, "memory", "memory.oom_control", m->disable_oom ? "1" : "0", err) < 0)
    return -1;
  if (m->has_hier && set_str(d, "memory", "memory.use_hierarchy", m->use_hier ? "1" : "0", err) < 0)
    return -1;
  return 0;
}

static int memory_v2(const struct hull_cgroup_hier *d, struct mem_req *m, hull_err *err) {
  long long swap = 0;
  int r = hull_cgroup_swap_to_v2(m->has_swap ? m->swap : 0, m->has_limit ? m->limit : 0, &swap, err);
  if (r < 0)
    return -1;
  if (r > 0 && d && !has_file(d, "memory.swap.max")) {
    if (swap != -1)
      return hull_error(err, 0, "set memory.swap.max to %lld: swap accounting is not enabled in this kernel", swap);
    r = 0;
  }
  /* memory.max and memory.swap.max are independent on v2; runc writes swap first. */
  if (r > 0 && set_max(d, "memory", "memory.swap.max", swap, err) < 0)
    return -1;
  if (m->has_limit && set_max(d, "memory", "memory.max", m->limit, err) < 0)
    return -1;
  if (m->has_res && set_max(d, "memory", "memory.low", m->reservation, err) < 0)
    return -1;
  /* swappiness, kernel, kernelTCP, disableOOMKiller and useHierarchy have no v2
   * counterpart; like runc and crun, they are ignored there. */
  return 0;
}

static int apply_memory(hull_cgroup *cg, json_t *r, bool update, hull_err *err) {
  bool check = false;
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "memory", &o, err);
  if (has <= 0)
    return has;
  const char *w = W ".memory";
  struct mem_req m = {0};
  if ((m.has_limit = hull_json_get_int(o, w, "limit", &m.limit, err)) < 0 ||
      (m.has_swap = hull_json_get_int(o, w, "swap", &m.swap, err)) < 0 ||
      (m.has_res = hull_json_get_int(o, w, "reservation", &m.reservation, err)) < 0 ||
      (m.has_kernel = hull_json_get_int(o, w, "kernel", &m.kernel, err)) < 0 ||
      (m.has_ktcp = hull_json_get_int(o, w, "kernelTCP", &m.ktcp, err)) < 0 ||
      (m.has_swappiness = hull_json_get_int(o, w, "swappiness", &m.swappiness, err)) < 0 ||
      (m.has_oom = hull_json_get_bool(o, w, "disableOOMKiller", &m.disable_oom, err)) < 0 ||
      (m.has_hier = hull_json_get_bool(o, w, "useHierarchy", &m.use_hier, err)) < 0 ||
      hull_json_get_bool(o, w, "checkBeforeUpdate", &check, err) < 0)
    return -1;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "memory");
  bool v2 = d ? d->v2 : cg->l.kind == HULL_CGROUP_V2;
  if (check && update && m.has_limit && m.limit > 0 && d) {
    unsigned long long usage = 0;
    if (read_ull(d->dir, v2 ? "memory.current" : "memory.usage_in_bytes", &usage) &&
        usage > (unsigned long long)m.limit)
      return hull_error(err, 0, "set %s to %lld: rejected, below the current usage %llu (checkBeforeUpdate)",
                        v2 ? "memory.max" : "memory.limit_in_bytes", m.limit, usage);
  }
  return v2 ? memory_v2(d, &m, err) : memory_v1(d, &m, err);
}

/* ---------------------------------------------------------------- cpu, cpuset */

struct cpu_req {
  long long shares, quota, period, burst, rt_runtime, rt_period, idle;
  int has_shares, has_quota, has_period, has_burst, has_rt_runtime, has_rt_period, has_idle;
};

/* Writes first then second; if first fails with EINVAL (the kernel checks the pair against
 * the old value of second), writes it again after second, as runc does for cfs and rt. */
static int set_pair(const struct hull_cgroup_hier *d, const char *f1, long long v1, bool has1, const char *f2,
                    long long v2, bool has2, hull_err *err) {
  bool again = false;
  if (has1 && set_int(d, "cpu", f1, v1, err) < 0) {
    if (err == NULL || *err == NULL || (*err)->errno_ != EINVAL || !has2)
      return -1;
    hull_error_release(err); /* retried below, after the other value changed */
    again = true;
  }
  if (has2 && set_int(d, "cpu", f2, v2, err) < 0)
    return -1;
  if (again && set_int(d, "cpu", f1, v1, err) < 0)
    return -1;
  return 0;
}

static int cpu_v1(const struct hull_cgroup_hier *d, const struct cpu_req *c, hull_err *err) {
  /* cpu.idle first: the kernel refuses shares for an idle group. */
  if (c->has_idle && set_int(d, "cpu", "cpu.idle", c->idle, err) < 0)
    return -1;
  if (c->has_shares && c->shares != 0 && !(c->has_idle && c->idle == 1) &&
      set_int(d, "cpu", "cpu.shares", c->shares, err) < 0)
    return -1;
  if (set_pair(d, "cpu.cfs_period_us", c->period, c->has_period && c->period != 0, "cpu.cfs_quota_us", c->quota,
               c->has_quota && c->quota != 0, err) < 0)
    return -1;
  if (c->has_burst && set_int(d, "cpu", "cpu.cfs_burst_us", c->burst, err) < 0)
    return -1;
  return set_pair(d, "cpu.rt_period_us", c->rt_period, c->has_rt_period && c->rt_period != 0, "cpu.rt_runtime_us",
                  c->rt_runtime, c->has_rt_runtime && c->rt_runtime != 0, err);
}

static int cpu_v2(const struct hull_cgroup_hier *d, const struct cpu_req *c, hull_err *err) {
  if ((c->has_rt_runtime && c->rt_runtime != 0) || (c->has_rt_period && c->rt_period != 0))
    return hull_error(err, 0,
                      W ".cpu.realtimeRuntime/realtimePeriod: realtime scheduling is not supported with cgroup v2");
  if (c->has_idle && set_int(d, "cpu", "cpu.idle", c->idle, err) < 0)
    return -1;
  if (c->has_shares && c->shares != 0 && !(c->has_idle && c->idle == 1) &&
      set_int(d, "cpu", "cpu.weight", (long long)hull_cgroup_shares_to_weight((unsigned long long)c->shares), err) < 0)
    return -1;
  bool quota = c->has_quota && c->quota != 0, period = c->has_period && c->period != 0;
  if (quota || period) {
    /* "max 100000", "50000 100000", or just the quota (the kernel keeps the period). */
    char buf[64];
    int n = quota && c->quota > 0 ? snprintf(buf, sizeof(buf), "%lld", c->quota) : snprintf(buf, sizeof(buf), "max");
    if (period)
      snprintf(buf + n, sizeof(buf) - (size_t)n, " %lld", c->period);
    if (set_str(d, "cpu", "cpu.max", buf, err) < 0)
      return -1;
  }
  if (c->has_burst && set_int(d, "cpu", "cpu.max.burst", c->burst, err) < 0)
    return -1;
  return 0;
}

static int apply_cpu(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "cpu", &o, err);
  if (has <= 0)
    return has;
  const char *w = W ".cpu", *cpus = NULL, *mems = NULL;
  struct cpu_req c = {0};
  if ((c.has_shares = hull_json_get_int(o, w, "shares", &c.shares, err)) < 0 ||
      (c.has_quota = hull_json_get_int(o, w, "quota", &c.quota, err)) < 0 ||
      (c.has_period = hull_json_get_int(o, w, "period", &c.period, err)) < 0 ||
      (c.has_burst = hull_json_get_int(o, w, "burst", &c.burst, err)) < 0 ||
      (c.has_rt_runtime = hull_json_get_int(o, w, "realtimeRuntime", &c.rt_runtime, err)) < 0 ||
      (c.has_rt_period = hull_json_get_int(o, w, "realtimePeriod", &c.rt_period, err)) < 0 ||
      (c.has_idle = hull_json_get_int(o, w, "idle", &c.idle, err)) < 0 ||
      hull_json_get_string(o, w, "cpus", &cpus, err) < 0 || hull_json_get_string(o, w, "mems", &mems, err) < 0)
    return -1;
  /* The lists' syntax is ours to check, with the field named; whether the cpus exist is
   * the kernel's (set_str explains its refusal). */
  if ((cpus && hull_cpuset_parse(cpus, HULL_CPUSET_MAX_CPUS, W ".cpu.cpus", NULL, err) < 0) ||
      (mems && hull_cpuset_parse(mems, HULL_CPUSET_MAX_NODES, W ".cpu.mems", NULL, err) < 0))
    return -1;
  /* cpuset first: it is what the later cpu settings are spread over. Empty: unset. */
  const struct hull_cgroup_hier *cs = hull_cg_find(cg, "cpuset");
  if (cpus && cpus[0] && set_str(cs, "cpuset", "cpuset.cpus", cpus, err) < 0)
    return -1;
  if (mems && mems[0] && set_str(cs, "cpuset", "cpuset.mems", mems, err) < 0)
    return -1;
  if (!c.has_shares && !c.has_quota && !c.has_period && !c.has_burst && !c.has_rt_runtime && !c.has_rt_period &&
      !c.has_idle)
    return 0;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "cpu");
  bool v2 = d ? d->v2 : cg->l.kind == HULL_CGROUP_V2;
  return v2 ? cpu_v2(d, &c, err) : cpu_v1(d, &c, err);
}

/* ---------------------------------------------------------------- pids, hugetlb, network, rdma */

static int apply_pids(hull_cgroup *cg, json_t *r, hull_err *err) {
  long long limit = 0;
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "pids", &o, err);
  if (has <= 0)
    return has;
  has = hull_json_get_int(o, W ".pids", "limit", &limit, err);
  if (has <= 0 || limit == 0) /* 0: unset, as in runc */
    return has;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "pids");
  return limit > 0 ? set_int(d, "pids", "pids.max", limit, err) : set_str(d, "pids", "pids.max", "max", err);
}

static int apply_hugetlb(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *a = NULL;
  int has = hull_json_get_array(r, W, "hugepageLimits", &a, err);
  if (has <= 0)
    return has;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "hugetlb");
  bool v2 = d ? d->v2 : cg->l.kind == HULL_CGROUP_V2;
  for (size_t i = 0; i < json_array_size(a); i++) {
    char where[64], file[128];
    snprintf(where, sizeof(where), W ".hugepageLimits[%zu]", i);
    json_t *e = json_array_get(a, i);
    const char *size = NULL;
    long long limit = 0;
    int hs = json_is_object(e) ? hull_json_get_string(e, where, "pageSize", &size, err) : -1;
    int hl = hs > 0 ? hull_json_get_int(e, where, "limit", &limit, err) : -1;
    if (hs <= 0 || hl <= 0 || size[0] == '\0' || strchr(size, '/') || strlen(size) > 32)
      return (err && *err) ? -1 : hull_error(err, 0, "%s: needs \"pageSize\" (like \"2MB\") and \"limit\"", where);
    snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes", size);
    if (set_int(d, "hugetlb", file, limit, err) < 0)
      return -1;
    /* Reservations are limited too where the kernel has them, so a reservation cannot
     * outgrow the limit (runc does the same). */
    snprintf(file, sizeof(file), v2 ? "hugetlb.%s.rsvd.max" : "hugetlb.%s.rsvd.limit_in_bytes", size);
    if (has_file(d, file) && set_int(d, "hugetlb", file, limit, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_network(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "network", &o, err);
  if (has <= 0)
    return has;
  long long classid = 0;
  has = hull_json_get_int(o, W ".network", "classID", &classid, err);
  if (has < 0 || (has > 0 && set_int(hull_cg_find(cg, "net_cls"), "net_cls", "net_cls.classid", classid, err) < 0))
    return -1;
  json_t *prios = NULL;
  if (hull_json_get_array(o, W ".network", "priorities", &prios, err) < 0)
    return -1;
  for (size_t i = 0; prios && i < json_array_size(prios); i++) {
    char where[64], line[128];
    snprintf(where, sizeof(where), W ".network.priorities[%zu]", i);
    json_t *e = json_array_get(prios, i);
    const char *name = NULL;
    long long prio = 0;
    int hn = json_is_object(e) ? hull_json_get_string(e, where, "name", &name, err) : -1;
    int hp = hn > 0 ? hull_json_get_int(e, where, "priority", &prio, err) : -1;
    if (hn <= 0 || hp <= 0 || strchr(name, ' ') || strchr(name, '\n'))
      return (err && *err) ? -1 : hull_error(err, 0, "%s: needs \"name\" and \"priority\"", where);
    snprintf(line, sizeof(line), "%s %lld", name, prio);
    if (set_str(hull_cg_find(cg, "net_prio"), "net_prio", "net_prio.ifpriomap", line, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_rdma(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "rdma", &o, err);
  if (has <= 0)
    return has;
  const char *dev;
  json_t *e;
  json_object_foreach(o, dev, e) {
    char where[128], line[256];
    long long handles = 0, objects = 0;
    snprintf(where, sizeof(where), W ".rdma.%s", dev);
    if (!json_is_object(e) || strchr(dev, ' ') || strchr(dev, '\n'))
      return hull_error(err, 0, "%s: expected an object", where);
    int hh = hull_json_get_int(e, where, "hcaHandles", &handles, err);
    int ho = hh >= 0 ? hull_json_get_int(e, where, "hcaObjects", &objects, err) : -1;
    if (hh < 0 || ho < 0)
      return -1;
    if (!hh && !ho)
      continue;
    int n = snprintf(line, sizeof(line), "%s", dev);
    if (hh)
      n += snprintf(line + n, sizeof(line) - (size_t)n, " hca_handle=%lld", handles);
    if (ho)
      snprintf(line + n, sizeof(line) - (size_t)n, " hca_object=%lld", objects);
    if (set_str(hull_cg_find(cg, "rdma"), "rdma", "rdma.max", line, err) < 0)
      return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- block I/O */

static int blkio_devices(const struct hull_cgroup_hier *d, const char *ctrl, json_t *r, const char *key,
                         const char *file, const char *v2_key, hull_err *err) {
  json_t *a = NULL;
  if (hull_json_get_array(r, W ".blockIO", key, &a, err) < 0)
    return -1;
  for (size_t i = 0; a && i < json_array_size(a); i++) {
    char where[96], line[128];
    long long major = 0, minor = 0, rate = 0;
    snprintf(where, sizeof(where), W ".blockIO.%s[%zu]", key, i);
    json_t *e = json_array_get(a, i);
    int ok = json_is_object(e) && hull_json_get_int(e, where, "major", &major, err) > 0 &&
             hull_json_get_int(e, where, "minor", &minor, err) > 0 &&
             hull_json_get_int(e, where, "rate", &rate, err) > 0;
    if (!ok)
      return (err && *err) ? -1 : hull_error(err, 0, "%s: needs \"major\", \"minor\" and \"rate\"", where);
    if (v2_key && rate == 0)
      snprintf(line, sizeof(line), "%lld:%lld %s=max", major, minor, v2_key);
    else if (v2_key)
      snprintf(line, sizeof(line), "%lld:%lld %s=%lld", major, minor, v2_key, rate);
    else
      snprintf(line, sizeof(line), "%lld:%lld %lld", major, minor, rate);
    if (set_str(d, ctrl, file, line, err) < 0)
      return -1;
  }
  return 0;
}

static int blkio_weight_devices(const struct hull_cgroup_hier *d, const char *ctrl, json_t *r, bool v2, hull_err *err) {
  json_t *a = NULL;
  if (hull_json_get_array(r, W ".blockIO", "weightDevice", &a, err) < 0)
    return -1;
  bool bfq =
      v2 ? has_file(d, "io.bfq.weight") : !has_file(d, "blkio.weight_device") && has_file(d, "blkio.bfq.weight_device");
  const char *wfile =
      v2 ? (bfq ? "io.bfq.weight" : "io.weight") : (bfq ? "blkio.bfq.weight_device" : "blkio.weight_device");
  for (size_t i = 0; a && i < json_array_size(a); i++) {
    char where[96], line[128];
    long long major = 0, minor = 0, weight = 0, leaf = 0;
    snprintf(where, sizeof(where), W ".blockIO.weightDevice[%zu]", i);
    json_t *e = json_array_get(a, i);
    int hw = 0, hl = 0;
    bool ok = json_is_object(e) && hull_json_get_int(e, where, "major", &major, err) > 0 &&
              hull_json_get_int(e, where, "minor", &minor, err) > 0 &&
              (hw = hull_json_get_int(e, where, "weight", &weight, err)) >= 0 &&
              (hl = hull_json_get_int(e, where, "leafWeight", &leaf, err)) >= 0;
    if (!ok)
      return (err && *err) ? -1 : hull_error(err, 0, "%s: needs \"major\" and \"minor\"", where);
    if (hw) {
      /* io.weight has its own range (1-10000); BFQ keeps blkio's (runc's conversion). */
      long long w = v2 && !bfq ? (long long)hull_cgroup_blkio_to_io_weight((unsigned long long)weight) : weight;
      snprintf(line, sizeof(line), "%lld:%lld %lld", major, minor, w);
      if (set_str(d, ctrl, wfile, line, err) < 0)
        return -1;
    }
    if (hl && !v2) { /* no leaf weights on v2 */
      snprintf(line, sizeof(line), "%lld:%lld %lld", major, minor, leaf);
      if (set_str(d, ctrl, "blkio.leaf_weight_device", line, err) < 0)
        return -1;
    }
  }
  return 0;
}

static int apply_blkio(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "blockIO", &o, err);
  if (has <= 0)
    return has;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "blkio");
  if (d == NULL)
    d = hull_cg_find(cg, "io");
  bool v2 = d ? d->v2 : cg->l.kind == HULL_CGROUP_V2;
  const char *ctrl = v2 ? "io" : "blkio";
  long long weight = 0, leaf = 0;
  int hw = hull_json_get_int(o, W ".blockIO", "weight", &weight, err);
  int hl = hw >= 0 ? hull_json_get_int(o, W ".blockIO", "leafWeight", &leaf, err) : -1;
  if (hw < 0 || hl < 0)
    return -1;
  if (hw && weight != 0) {
    const char *file =
        v2 ? (has_file(d, "io.bfq.weight") ? "io.bfq.weight" : "io.weight")
           : (!has_file(d, "blkio.weight") && has_file(d, "blkio.bfq.weight") ? "blkio.bfq.weight" : "blkio.weight");
    long long w =
        strcmp(file, "io.weight") == 0 ? (long long)hull_cgroup_blkio_to_io_weight((unsigned long long)weight) : weight;
    if (set_int(d, ctrl, file, w, err) < 0)
      return -1;
  }
  if (hl && leaf != 0 && !v2 && set_int(d, ctrl, "blkio.leaf_weight", leaf, err) < 0)
    return -1;
  if (blkio_weight_devices(d, ctrl, o, v2, err) < 0)
    return -1;
  static const struct {
    const char *key, *v1file, *v2key;
  } thr[] = {{"throttleReadBpsDevice", "blkio.throttle.read_bps_device", "rbps"},
             {"throttleWriteBpsDevice", "blkio.throttle.write_bps_device", "wbps"},
             {"throttleReadIOPSDevice", "blkio.throttle.read_iops_device", "riops"},
             {"throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", "wiops"}};
  for (size_t i = 0; i < sizeof(thr) / sizeof(thr[0]); i++)
    if (blkio_devices(d, ctrl, o, thr[i].key, v2 ? "io.max" : thr[i].v1file, v2 ? thr[i].v2key : NULL, err) < 0)
      return -1;
  return 0;
}

/* ---------------------------------------------------------------- devices */

struct dev_rule {
  bool allow, all; /* all: type a, any major/minor, rwm */
  char lines[2][64];
  int nlines;
  struct hull_dev_match m;
};

static int parse_dev_rule(json_t *e, size_t i, struct dev_rule *out, hull_err *err) {
  char where[64], maj[24] = "*", min[24] = "*";
  snprintf(where, sizeof(where), W ".devices[%zu]", i);
  if (!json_is_object(e))
    return hull_error(err, 0, "%s: expected an object", where);
  const char *type = "a", *access = "rwm";
  long long major = -1, minor = -1;
  if (hull_json_get_bool(e, where, "allow", &out->allow, err) <= 0)
    return (err && *err) ? -1 : hull_error(err, 0, "%s: \"allow\" is required", where);
  if (hull_json_get_string(e, where, "type", &type, err) < 0 || hull_json_get_int(e, where, "major", &major, err) < 0 ||
      hull_json_get_int(e, where, "minor", &minor, err) < 0 ||
      hull_json_get_string(e, where, "access", &access, err) < 0)
    return -1;
  if (strlen(type) != 1 || !strchr("abc", type[0]))
    return hull_error(err, 0, "%s.type: \"%s\" is not a, b or c", where, type);
  if (access[0] == '\0' || strspn(access, "rwm") != strlen(access) || strlen(access) > 3)
    return hull_error(err, 0, "%s.access: \"%s\" is not a combination of r, w and m", where, access);
  if (major >= 0)
    snprintf(maj, sizeof(maj), "%lld", major);
  if (minor >= 0)
    snprintf(min, sizeof(min), "%lld", minor);
  bool wild = major < 0 && minor < 0, rwm = strchr(access, 'r') && strchr(access, 'w') && strchr(access, 'm');
  out->m = (struct hull_dev_match){.allow = out->allow,
                                   .type = type[0],
                                   .major = major,
                                   .minor = minor,
                                   .access = (strchr(access, 'm') ? 1u : 0u) | (strchr(access, 'r') ? 2u : 0u) |
                                             (strchr(access, 'w') ? 4u : 0u)};
  out->all = type[0] == 'a' && wild && rwm;
  out->nlines = 0;
  if (out->all) {
    snprintf(out->lines[out->nlines++], 64, "a");
  } else if (type[0] == 'a') {
    /* The kernel reads "a" as "everything", ignoring numbers and access: spell a
     * narrower "a" rule out for both device types. */
    snprintf(out->lines[out->nlines++], 64, "c %s:%s %s", maj, min, access);
    snprintf(out->lines[out->nlines++], 64, "b %s:%s %s", maj, min, access);
  } else {
    snprintf(out->lines[out->nlines++], 64, "%s %s:%s %s", type, maj, min, access);
  }
  return 0;
}

bool hull_cgroup_devices_permissive_p(json_t *devices) {
  if (devices == NULL || json_is_null(devices))
    return true;
  if (!json_is_array(devices))
    return false;
  bool allowed = true; /* a new cgroup allows what its parent allows */
  for (size_t i = 0; i < json_array_size(devices); i++) {
    struct dev_rule rule;
    hull_err local = NULL;
    if (parse_dev_rule(json_array_get(devices, i), i, &rule, &local) < 0) {
      hull_error_release(&local); /* malformed: certainly not the permissive list */
      return false;
    }
    if (rule.all)
      allowed = rule.allow;
    else if (!rule.allow)
      allowed = false;
  }
  return allowed;
}

static int apply_devices(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *a = NULL;
  int has = hull_json_get_array(r, W, "devices", &a, err);
  if (has <= 0)
    return has;
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "devices");
  if (d == NULL || d->v2) {
    if (hull_cgroup_devices_permissive_p(a))
      return 0;
    const struct hull_cgroup_hier *v2 = hull_cg_v2(cg);
    if (cg->l.kind == HULL_CGROUP_V2 && v2 != NULL) {
      /* cgroup v2 device control is an eBPF program attached to the directory. */
      size_t n = json_array_size(a);
      cleanup_free struct hull_dev_match *m = calloc(n + 1, sizeof(*m));
      if (m == NULL)
        return hull_error(err, ENOMEM, W ".devices");
      for (size_t i = 0; i < n; i++) {
        struct dev_rule rule;
        if (parse_dev_rule(json_array_get(a, i), i, &rule, err) < 0)
          return -1;
        m[i] = rule.m;
      }
      return hull_cg_devices_bpf(v2->dir, m, n, err);
    }
    /* Without the controller the rules cannot be enforced: refuse rather than run the
     * container with full device access. */
    return hull_error(err, 0, W ".devices: no devices cgroup controller is mounted");
  }
  /* Start from "deny everything", then apply the rules in order, as the spec reads. */
  if (set_str(d, "devices", "devices.deny", "a", err) < 0)
    return -1;
  for (size_t i = 0; i < json_array_size(a); i++) {
    struct dev_rule rule;
    if (parse_dev_rule(json_array_get(a, i), i, &rule, err) < 0)
      return -1;
    for (int k = 0; k < rule.nlines; k++)
      if (set_str(d, "devices", rule.allow ? "devices.allow" : "devices.deny", rule.lines[k], err) < 0)
        return -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- unified */

static int apply_unified(hull_cgroup *cg, json_t *r, hull_err *err) {
  json_t *o = NULL;
  int has = hull_json_get_object(r, W, "unified", &o, err);
  if (has <= 0 || json_object_size(o) == 0)
    return has < 0 ? -1 : 0;
  const struct hull_cgroup_hier *v2 = hull_cg_v2(cg);
  if (v2 == NULL)
    return hull_error(err, 0, "unified resources need cgroup v2");
  const char *key;
  json_t *val;
  json_object_foreach(o, key, val) {
    if (!json_is_string(val))
      return hull_error(err, 0, W ".unified.%s: expected a string", key);
    if (key[0] == '\0' || key[0] == '.' || strchr(key, '/'))
      return hull_error(err, 0, W ".unified: \"%s\" is not a cgroup file name", key);
    if (!has_file(v2, key)) {
      /* Name the reason: a controller driven through v1 on this host, one the unified
       * hierarchy does not have, or a key no controller knows. */
      char ctrl[64];
      snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(key, "."), key);
      const struct hull_cgroup_hier *owner = hull_cg_find(cg, ctrl);
      const char *why = owner && !owner->v2 ? "its controller is on a cgroup v1 hierarchy here"
                        : hull_cg_list_has(v2->controllers, ctrl) || strcmp(ctrl, "cgroup") == 0
                            ? "unknown key"
                            : "no such controller in the unified hierarchy";
      return hull_error(err, ENOENT, W ".unified: set %s to %s: no such file in %s (%s)", key, json_string_value(val),
                        v2->dir, why);
    }
    if (set_str(v2, "", key, json_string_value(val), err) < 0)
      return -1;
  }
  return 0;
}

/* On a hybrid host, enable in the unified tree the controllers that the requested
 * resources need there (hugetlb on hosts like this one), and nothing else. */
static void hybrid_enable(hull_cgroup *cg, json_t *r) {
  const struct hull_cgroup_hier *v2 = hull_cg_v2(cg);
  if (v2 == NULL)
    return;
  static const struct {
    const char *key, *ctrl;
  } map[] = {{"memory", "memory"},          {"cpu", "cpu"},  {"cpu", "cpuset"}, {"pids", "pids"}, {"blockIO", "io"},
             {"hugepageLimits", "hugetlb"}, {"rdma", "rdma"}};
  char need[256] = "";
  size_t n = 0;
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    json_t *x = json_object_get(r, map[i].key);
    if (x && !json_is_null(x) && hull_cg_find(cg, map[i].ctrl) == v2 && !(i == 4 && hull_cg_find(cg, "blkio")))
      n += (size_t)snprintf(need + n, sizeof(need) - n, "%s ", map[i].ctrl);
  }
  const char *key;
  json_t *val;
  json_t *u = json_object_get(r, "unified");
  if (json_is_object(u))
    json_object_foreach(u, key, val) {
      char ctrl[64];
      snprintf(ctrl, sizeof(ctrl), "%.*s", (int)strcspn(key, "."), key);
      if (hull_cg_list_has(v2->controllers, ctrl) && n + strlen(ctrl) + 2 < sizeof(need))
        n += (size_t)snprintf(need + n, sizeof(need) - n, "%s ", ctrl);
    }
  if (n > 0)
    hull_cg_v2_enable(v2, need);
}

int hull_cg_apply_resources(hull_cgroup *cg, json_t *r, bool update, hull_err *err) {
  if (r == NULL || json_is_null(r))
    return 0;
  if (!json_is_object(r))
    return hull_error(err, 0, W ": expected an object");
  if (cg->l.kind == HULL_CGROUP_HYBRID)
    hybrid_enable(cg, r);
  /* An update the kernel refuses half-way is undone: the container stays as it was. (A
   * failed create removes the whole cgroup instead.) */
  struct undo_log undo = {0};
  if (update)
    undo_active = &undo;
  /* Devices first (runc's order); unified last, so it overrides what it repeats. */
  bool ok = apply_devices(cg, r, err) == 0 && apply_memory(cg, r, update, err) == 0 && apply_cpu(cg, r, err) == 0 &&
            apply_pids(cg, r, err) == 0 && apply_blkio(cg, r, err) == 0 && apply_hugetlb(cg, r, err) == 0 &&
            apply_network(cg, r, err) == 0 && apply_rdma(cg, r, err) == 0 && apply_unified(cg, r, err) == 0;
  undo_active = NULL;
  undo_rollback(&undo, !ok);
  return ok ? 0 : -1;
}

/* ---------------------------------------------------------------- stats */

/* Integers above INT64_MAX ("max" on v2) cannot be JSON integers in jansson: clamp. */
static json_t *ju(unsigned long long v) { return json_integer(v > LLONG_MAX ? LLONG_MAX : (json_int_t)v); }

/* The value of "key N" in a flat keyed file's text. */
static bool kv_get(const char *text, const char *key, unsigned long long *v) {
  size_t n = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, n) == 0 && p[n] == ' ') {
      *v = strtoull(p + n + 1, NULL, 10);
      return true;
    }
  return false;
}

static char *read_text(const char *dir, const char *file) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/%s", dir, file) < 0)
    return NULL;
  hull_err local = NULL;
  char *t = hull_read_file(path, NULL, &local);
  hull_error_release(&local); /* optional files: absence is reported as absence */
  return t;
}

/* A flat keyed file ("key value" lines) as a JSON object. */
static json_t *kv_object(const char *dir, const char *file) {
  cleanup_free char *t = read_text(dir, file);
  json_t *o = json_object();
  for (char *save = NULL, *line = t ? strtok_r(t, "\n", &save) : NULL; o && line; line = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(line, ' ');
    if (sp == NULL)
      continue;
    *sp = '\0';
    json_object_set_new(o, line, ju(strtoull(sp + 1, NULL, 10)));
  }
  return o;
}

static unsigned long long ull_or0(const char *dir, const char *file) {
  unsigned long long v = 0;
  return read_ull(dir, file, &v) ? v : 0;
}

static json_t *percpu(const char *dir, const char *file) {
  cleanup_free char *t = read_text(dir, file);
  if (t == NULL)
    return NULL;
  json_t *a = json_array();
  for (char *p = t, *end; a; p = end) {
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p)
      break;
    json_array_append_new(a, ju(v));
  }
  return a;
}

static void stats_cpu(hull_cgroup *cg, json_t *out) {
  const struct hull_cgroup_hier *cpu = hull_cg_find(cg, "cpu"), *acct = hull_cg_find(cg, "cpuacct");
  json_t *usage = json_object(), *thr = json_object();
  if (cg->l.kind == HULL_CGROUP_V2 || (cpu && cpu->v2)) {
    const struct hull_cgroup_hier *d = cpu ? cpu : hull_cg_v2(cg); /* cpu.stat exists even without the controller */
    cleanup_free char *t = d ? read_text(d->dir, "cpu.stat") : NULL;
    unsigned long long v = 0;
    json_object_set_new(usage, "total", ju(t && kv_get(t, "usage_usec", &v) ? v * 1000 : 0));
    json_object_set_new(usage, "kernel", ju(t && kv_get(t, "system_usec", &v) ? v * 1000 : 0));
    json_object_set_new(usage, "user", ju(t && kv_get(t, "user_usec", &v) ? v * 1000 : 0));
    json_object_set_new(thr, "periods", ju(t && kv_get(t, "nr_periods", &v) ? v : 0));
    json_object_set_new(thr, "throttledPeriods", ju(t && kv_get(t, "nr_throttled", &v) ? v : 0));
    json_object_set_new(thr, "throttledTime", ju(t && kv_get(t, "throttled_usec", &v) ? v * 1000 : 0));
  } else {
    if (acct) {
      long tck = sysconf(_SC_CLK_TCK);
      unsigned long long ns_per_tick = tck > 0 ? 1000000000ULL / (unsigned long long)tck : 10000000ULL, v = 0;
      cleanup_free char *st = read_text(acct->dir, "cpuacct.stat");
      json_object_set_new(usage, "total", ju(ull_or0(acct->dir, "cpuacct.usage")));
      json_t *a = percpu(acct->dir, "cpuacct.usage_percpu");
      if (a)
        json_object_set_new(usage, "percpu", a);
      if ((a = percpu(acct->dir, "cpuacct.usage_percpu_sys")) != NULL)
        json_object_set_new(usage, "percpu_kernel", a);
      if ((a = percpu(acct->dir, "cpuacct.usage_percpu_user")) != NULL)
        json_object_set_new(usage, "percpu_user", a);
      json_object_set_new(usage, "kernel", ju(st && kv_get(st, "system", &v) ? v * ns_per_tick : 0));
      json_object_set_new(usage, "user", ju(st && kv_get(st, "user", &v) ? v * ns_per_tick : 0));
    }
    cleanup_free char *t = cpu ? read_text(cpu->dir, "cpu.stat") : NULL;
    unsigned long long v = 0;
    json_object_set_new(thr, "periods", ju(t && kv_get(t, "nr_periods", &v) ? v : 0));
    json_object_set_new(thr, "throttledPeriods", ju(t && kv_get(t, "nr_throttled", &v) ? v : 0));
    json_object_set_new(thr, "throttledTime", ju(t && kv_get(t, "throttled_time", &v) ? v : 0));
  }
  json_object_set_new(out, "cpu", json_pack("{s:o, s:o}", "usage", usage, "throttling", thr));
}

static json_t *mem_entry(unsigned long long limit, unsigned long long usage, unsigned long long max,
                         unsigned long long failcnt) {
  return json_pack("{s:o, s:o, s:o, s:o}", "limit", ju(limit), "usage", ju(usage), "max", ju(max), "failcnt",
                   ju(failcnt));
}

/* A v1 memory entry from PREFIX{limit_in_bytes,usage_in_bytes,max_usage_in_bytes,failcnt}. */
static json_t *mem_entry_v1(const char *dir, const char *prefix) {
  char f[4][64];
  static const char *const names[] = {"limit_in_bytes", "usage_in_bytes", "max_usage_in_bytes", "failcnt"};
  unsigned long long v[4] = {0};
  for (int i = 0; i < 4; i++)
    snprintf(f[i], sizeof(f[i]), "%s%s", prefix, names[i]);
  if (!read_ull(dir, f[1], &v[1]))
    return NULL;
  for (int i = 0; i < 4; i++)
    if (i != 1)
      v[i] = ull_or0(dir, f[i]);
  return mem_entry(v[0], v[1], v[2], v[3]);
}

static void stats_memory(hull_cgroup *cg, json_t *out) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "memory");
  if (d == NULL)
    return;
  json_t *m = json_object(), *raw = kv_object(d->dir, "memory.stat"), *e;
  unsigned long long cache = 0;
  if (!d->v2) {
    json_object_set_new(m, "usage", mem_entry_v1(d->dir, "memory."));
    if ((e = mem_entry_v1(d->dir, "memory.memsw.")) != NULL)
      json_object_set_new(m, "swap", e);
    if ((e = mem_entry_v1(d->dir, "memory.kmem.")) != NULL)
      json_object_set_new(m, "kernel", e);
    if ((e = mem_entry_v1(d->dir, "memory.kmem.tcp.")) != NULL)
      json_object_set_new(m, "kernelTCP", e);
    cache = (unsigned long long)json_integer_value(json_object_get(raw, "cache"));
  } else {
    unsigned long long usage = ull_or0(d->dir, "memory.current"), limit = ull_or0(d->dir, "memory.max");
    cleanup_free char *ev = read_text(d->dir, "memory.events");
    cleanup_free char *sev = read_text(d->dir, "memory.swap.events");
    unsigned long long fc = 0, sfc = 0, su = 0, sl = 0;
    if (ev)
      kv_get(ev, "max", &fc);
    json_object_set_new(m, "usage", mem_entry(limit, usage, ull_or0(d->dir, "memory.peak"), fc));
    if (read_ull(d->dir, "memory.swap.current", &su) && read_ull(d->dir, "memory.swap.max", &sl)) {
      /* v1 reports memory+swap: so does runc on v2, for compatibility. */
      if (sev)
        kv_get(sev, "max", &sfc);
      if (sl != ULLONG_MAX && limit != ULLONG_MAX)
        sl += limit;
      json_object_set_new(m, "swap", mem_entry(sl, su + usage, 0, sfc));
    }
    cache = (unsigned long long)json_integer_value(json_object_get(raw, "file"));
  }
  json_object_set_new(m, "cache", ju(cache));
  json_object_set_new(m, "raw", raw ? raw : json_object());
  json_object_set_new(out, "memory", m);
}

static void stats_pids(hull_cgroup *cg, json_t *out) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "pids");
  if (d == NULL)
    return;
  unsigned long long limit = ull_or0(d->dir, "pids.max");
  json_object_set_new(out, "pids",
                      json_pack("{s:o, s:o}", "current", ju(ull_or0(d->dir, "pids.current")), "limit",
                                ju(limit == ULLONG_MAX ? 0 : limit))); /* 0: no limit (runc) */
}

/* "8:0 Read 123" lines (v1) into blkio entries; false when the file has none. */
static bool blkio_v1_entries(const char *dir, const char *file, json_t *arr) {
  cleanup_free char *t = read_text(dir, file);
  bool any = false;
  for (char *save = NULL, *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
    unsigned long long maj, min, v;
    char op[32];
    if (sscanf(line, "%llu:%llu %31s %llu", &maj, &min, op, &v) != 4)
      continue; /* "Total N" */
    json_array_append_new(
        arr, json_pack("{s:o, s:o, s:s, s:o}", "major", ju(maj), "minor", ju(min), "op", op, "value", ju(v)));
    any = true;
  }
  return any;
}

static void stats_blkio(hull_cgroup *cg, json_t *out) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "blkio");
  if (d == NULL)
    d = hull_cg_find(cg, "io");
  if (d == NULL)
    return;
  json_t *bytes = json_array(), *ios = json_array();
  if (!d->v2) {
    /* CFQ's files, else BFQ's, else the throttling layer's (runc's order). */
    static const char *const prefixes[] = {"blkio.", "blkio.bfq.", "blkio.throttle."};
    for (size_t i = 0; i < 3; i++) {
      char f1[64], f2[64];
      snprintf(f1, sizeof(f1), "%sio_service_bytes_recursive", prefixes[i]);
      snprintf(f2, sizeof(f2), "%sio_serviced_recursive", prefixes[i]);
      if (blkio_v1_entries(d->dir, f2, ios)) {
        blkio_v1_entries(d->dir, f1, bytes);
        break;
      }
    }
  } else {
    cleanup_free char *t = read_text(d->dir, "io.stat");
    for (char *save = NULL, *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
      unsigned long long maj, min, v;
      if (sscanf(line, "%llu:%llu", &maj, &min) != 2)
        continue;
      static const struct {
        const char *key, *op;
        bool bytes;
      } keys[] = {{" rbytes=", "Read", true},
                  {" wbytes=", "Write", true},
                  {" rios=", "Read", false},
                  {" wios=", "Write", false}};
      for (size_t i = 0; i < 4; i++) {
        const char *p = strstr(line, keys[i].key);
        if (p == NULL)
          continue;
        v = strtoull(p + strlen(keys[i].key), NULL, 10);
        json_array_append_new(keys[i].bytes ? bytes : ios, json_pack("{s:o, s:o, s:s, s:o}", "major", ju(maj), "minor",
                                                                     ju(min), "op", keys[i].op, "value", ju(v)));
      }
    }
  }
  /* Empty lists are left out, as runc's omitempty does: containerd reads {} on a host
   * without I/O accounting. */
  json_t *b = json_object();
  json_object_set_new(b, "ioServiceBytesRecursive", bytes);
  json_object_set_new(b, "ioServicedRecursive", ios);
  if (json_array_size(bytes) == 0)
    json_object_del(b, "ioServiceBytesRecursive");
  if (json_array_size(ios) == 0)
    json_object_del(b, "ioServicedRecursive");
  json_object_set_new(out, "blkio", b);
}

/* Page sizes as the cgroup files name them ("2MB", "1GB"), from /sys/kernel/mm/hugepages. */
static void stats_hugetlb(hull_cgroup *cg, json_t *out) {
  json_t *h = json_object();
  json_object_set_new(out, "hugetlb", h);
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "hugetlb");
  cleanup_dir DIR *dir = d ? opendir("/sys/kernel/mm/hugepages") : NULL;
  for (struct dirent *e; dir && (e = readdir(dir)) != NULL;) {
    unsigned long long kb;
    if (sscanf(e->d_name, "hugepages-%llukB", &kb) != 1 || kb == 0)
      continue;
    static const char *const units[] = {"KB", "MB", "GB", "TB"};
    size_t u = 0;
    while (kb >= 1024 && kb % 1024 == 0 && u + 1 < sizeof(units) / sizeof(units[0])) {
      kb /= 1024;
      u++;
    }
    char size[32], f[96];
    snprintf(size, sizeof(size), "%llu%s", kb, units[u]);
    unsigned long long usage = 0, max = 0, failcnt = 0;
    if (d->v2) {
      snprintf(f, sizeof(f), "hugetlb.%s.current", size);
      if (!read_ull(d->dir, f, &usage))
        continue;
      snprintf(f, sizeof(f), "hugetlb.%s.events", size);
      cleanup_free char *ev = read_text(d->dir, f);
      if (ev)
        kv_get(ev, "max", &failcnt);
    } else {
      snprintf(f, sizeof(f), "hugetlb.%s.usage_in_bytes", size);
      if (!read_ull(d->dir, f, &usage))
        continue;
      snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
      max = ull_or0(d->dir, f);
      snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
      failcnt = ull_or0(d->dir, f);
    }
    json_t *o = json_pack("{s:o}", "failcnt", ju(failcnt));
    if (usage)
      json_object_set_new(o, "usage", ju(usage));
    if (max)
      json_object_set_new(o, "max", ju(max));
    json_object_set_new(h, size, o);
  }
}

/* "0-2,4" as [0,1,2,4]. */
static json_t *cpu_list(const char *dir, const char *file) {
  cleanup_free char *t = read_text(dir, file);
  json_t *a = json_array();
  for (char *save = NULL, *r = t ? strtok_r(t, ",\n", &save) : NULL; r && a; r = strtok_r(NULL, ",\n", &save)) {
    unsigned long long lo, hi;
    int n = sscanf(r, "%llu-%llu", &lo, &hi);
    if (n < 1)
      continue;
    if (n == 1)
      hi = lo;
    for (unsigned long long i = lo; i <= hi && i - lo < 65536; i++)
      json_array_append_new(a, ju(i));
  }
  return a;
}

/* The cpuset controller's state, as runc 1.1 reports it on cgroup v1. */
static void stats_cpuset(hull_cgroup *cg, json_t *out) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "cpuset");
  if (d == NULL || d->v2)
    return;
  static const char *const flags[] = {"cpu_exclusive",      "mem_exclusive",     "mem_hardwall",
                                      "memory_migrate",     "memory_pressure",   "memory_spread_page",
                                      "memory_spread_slab", "sched_load_balance"};
  json_t *o = json_object();
  json_object_set_new(o, "cpus", cpu_list(d->dir, "cpuset.cpus"));
  json_object_set_new(o, "mems", cpu_list(d->dir, "cpuset.mems"));
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
    char f[64];
    snprintf(f, sizeof(f), "cpuset.%s", flags[i]);
    json_object_set_new(o, flags[i], ju(ull_or0(d->dir, f)));
  }
  cleanup_free char *t = read_text(d->dir, "cpuset.sched_relax_domain_level");
  json_object_set_new(o, "sched_relax_domain_level", json_integer(t ? strtoll(t, NULL, 10) : 0));
  json_object_set_new(out, "cpuset", o);
}

json_t *hull_cgroup_stats(hull_cgroup *cg, hull_err *err) {
  for (size_t i = 0; i < cg->l.n; i++)
    if (access(cg->l.h[i].dir, F_OK) < 0) {
      hull_error_sys(err, "stats %s", cg->l.h[i].dir);
      return NULL;
    }
  json_t *o = json_object();
  if (o == NULL) {
    hull_error(err, ENOMEM, "stats %s", cg->path);
    return NULL;
  }
  stats_cpu(cg, o);
  stats_memory(cg, o);
  stats_pids(cg, o);
  stats_blkio(cg, o);
  stats_hugetlb(cg, o);
  stats_cpuset(cg, o);
  /* runc's key, always null in its events: network statistics are not the runtime's. */
  json_object_set_new(o, "network_interfaces", json_null());
  return o;
}

long long hull_cgroup_oom_kills(hull_cgroup *cg) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "memory");
  if (d == NULL)
    return -1;
  cleanup_free char *t = read_text(d->dir, d->v2 ? "memory.events" : "memory.oom_control");
  unsigned long long v = 0;
  if (t == NULL || !kv_get(t, "oom_kill", &v))
    return -1;
  return (long long)v;
}

int hull_cgroup_under_oom(hull_cgroup *cg) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "memory");
  if (d == NULL || d->v2)
    return -1;
  cleanup_free char *t = read_text(d->dir, "memory.oom_control");
  unsigned long long v = 0, disabled = 0;
  if (t == NULL || !kv_get(t, "under_oom", &v))
    return -1;
  /* With the OOM killer enabled the kernel marks under_oom only for the moment it picks a
   * victim (the kill is counted in oom_kill): not a state worth reporting. */
  kv_get(t, "oom_kill_disable", &disabled);
  return v != 0 && disabled != 0;
}

/* v1: an eventfd the kernel signals on every OOM of the memory cgroup (and when the cgroup
 * is removed), registered by writing "<eventfd> <fd of memory.oom_control>" to
 * cgroup.event_control. The kernel keeps its own reference: the file can be closed. */
static int oom_watch_v1(const char *dir, hull_err *err) {
  char path[PATH_MAX], line[64];
  if ((size_t)snprintf(path, sizeof(path), "%s/memory.oom_control", dir) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "watch OOM events of %s", dir);
  cleanup_close int cfd = open(path, O_RDONLY | O_CLOEXEC);
  if (cfd < 0)
    return hull_error_sys(err, "watch OOM events: open %s", path);
  cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return hull_error_sys(err, "watch OOM events of %s: eventfd", dir);
  snprintf(line, sizeof(line), "%d %d", efd, cfd);
  if (hull_cg_write(dir, "cgroup.event_control", line, err) < 0) {
    hull_error_wrap(err, "watch OOM events (memory.oom_control)");
    return -1;
  }
  return take_fd(&efd);
}

/* v2: memory.events is modified (IN_MODIFY through kernfs_notify) whenever one of its
 * counters, oom_kill among them, changes. */
static int oom_watch_v2(const char *dir, hull_err *err) {
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/memory.events", dir) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "watch OOM events of %s", dir);
  cleanup_close int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0)
    return hull_error_sys(err, "watch OOM events of %s: inotify_init1", dir);
  if (inotify_add_watch(fd, path, IN_MODIFY) < 0)
    return hull_error_sys(err, "watch OOM events: inotify_add_watch %s", path);
  return take_fd(&fd);
}

int hull_cgroup_oom_watch(hull_cgroup *cg, hull_err *err) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "memory");
  if (d == NULL)
    return hull_error(err, 0, "watch OOM events of %s: no memory cgroup controller", cg->path);
  return d->v2 ? oom_watch_v2(d->dir, err) : oom_watch_v1(d->dir, err);
}
