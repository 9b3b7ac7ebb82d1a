/* hull stats' samples: see stats.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/stats.h"

static uint64_t u64(const json_t *o, const char *path) {
  cleanup_free char *copy = strdup(path);
  const json_t *cur = o;
  for (char *save = NULL, *k = copy ? strtok_r(copy, ".", &save) : NULL; k && cur; k = strtok_r(NULL, ".", &save))
    cur = json_object_get(cur, k);
  return json_is_integer(cur) ? (uint64_t)json_integer_value(cur) : 0;
}

/* Docker's NET I/O sums the received and sent bytes of the container's network endpoints,
 * which are every interface of its namespace but lo; a container of --network host has no
 * endpoint of its own and shows zeros. The counters are the kernel's, read through the
 * container's pid 1 (/proc/PID/net is the namespace of that process). A failure to read them
 * (the container just ended) leaves zeros, as Docker shows for a stopped container. */
static void net_io(const hull_ctr *c, hull_stats *out) {
  const char *mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
  if (c->pid <= 0 || (mode && strcmp(mode, "host") == 0))
    return;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)c->pid);
  cleanup_file FILE *f = fopen(path, "re");
  if (f == NULL)
    return;
  char line[512];
  for (int n = 0; fgets(line, sizeof(line), f); n++) {
    char *colon = strchr(line, ':');
    if (n < 2 || colon == NULL)
      continue; /* the two header lines */
    *colon = '\0';
    const char *name = line + strspn(line, " ");
    unsigned long long rx, tx;
    if (strcmp(name, "lo") == 0 || sscanf(colon + 1, "%llu %*u %*u %*u %*u %*u %*u %*u %llu", &rx, &tx) != 2)
      continue;
    out->net_rx += rx;
    out->net_tx += tx;
  }
}

int hull_ctr_stats(hull_engine *e, const hull_ctr *c, hull_stats *out, hull_err *err) {
  memset(out, 0, sizeof(*out));
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  out->when_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  struct hull_rt *rt = hull_engine_rt(e, err);
  cleanup_json json_t *j = NULL;
  if (rt == NULL || hull_rt_stats(rt, c->id, &j, err) < 0)
    return -1;
  /* The "data" of runc's `events --stats` event. */
  const json_t *d = j;
  out->valid = true;
  out->cpu_ns = u64(d, "cpu.usage.total");
  uint64_t usage = u64(d, "memory.usage.usage");
  /* Docker leaves out the page cache that can be dropped at once: total_inactive_file on
   * cgroup v1, inactive_file on v2. */
  uint64_t inactive = u64(d, "memory.raw.total_inactive_file");
  if (inactive == 0)
    inactive = u64(d, "memory.raw.inactive_file");
  out->mem_usage = usage > inactive ? usage - inactive : usage;
  out->mem_limit = u64(d, "memory.usage.limit");
  struct sysinfo si;
  if (sysinfo(&si) == 0) {
    uint64_t host = (uint64_t)si.totalram * si.mem_unit;
    if (out->mem_limit == 0 || out->mem_limit > host)
      out->mem_limit = host;
  }
  out->pids = u64(d, "pids.current");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(json_object_get(d, "blkio"), "ioServiceBytesRecursive"), i, v) {
    const char *op = json_string_value(json_object_get(v, "op"));
    uint64_t val = u64(v, "value");
    if (op && strcasecmp(op, "read") == 0)
      out->blk_read += val;
    else if (op && strcasecmp(op, "write") == 0)
      out->blk_write += val;
  }
  net_io(c, out);
  return 0;
}

double hull_stats_cpu_percent(const hull_stats *prev, const hull_stats *cur) {
  if (!prev->valid || !cur->valid || cur->when_ns <= prev->when_ns || cur->cpu_ns < prev->cpu_ns)
    return 0.0;
  return (double)(cur->cpu_ns - prev->cpu_ns) / (double)(cur->when_ns - prev->when_ns) * 100.0;
}

int hull_ctr_pids(hull_engine *e, hull_ctr *c, pid_t **pids, size_t *n, hull_err *err) {
  *pids = NULL;
  *n = 0;
  hull_ctr_refresh(e, c);
  if (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED)
    return hull_error_code(err, EINVAL, "container %s is not running", c->id);
  struct hull_rt *rt = hull_engine_rt(e, err);
  if (rt == NULL || hull_rt_pids(rt, c->id, pids, n, err) < 0)
    return -1;
  return 0;
}
