/* The daemon's checks of a container's resource settings (dockerd's
 * verifyPlatformContainerResources and verifyPlatformContainerSettings): values each flag's
 * parser accepts alone but that together, or on this machine, make no container, refused
 * with Docker's messages before anything is created; and the settings this kernel has no
 * file for, dropped with Docker's warning instead of failing the start. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/engine.h"

#define MIN_MEMORY 6291456 /* dockerd's minimum: room for the container's start-up */
#define CPUSET_MAX 4096

/* A small file's text, NULL when it cannot be read (a missing controller). */
static char *read_text(const char *path) {
  hull_err e = NULL;
  char *v = hull_read_file(path, NULL, &e);
  hull_error_release(&e);
  return v;
}

static json_int_t hc_int(const json_t *hc, const char *key) { return json_integer_value(json_object_get(hc, key)); }

/* Sets the bits of a cpuset list ("0-3,5") in set; false when it does not parse. */
static bool cpuset_parse(const char *list, unsigned char *set) {
  memset(set, 0, CPUSET_MAX / 8);
  const char *p = list;
  while (*p) {
    char *end;
    long a = strtol(p, &end, 10), b = a;
    if (end == p || a < 0 || a >= CPUSET_MAX)
      return false;
    p = end;
    if (*p == '-') {
      b = strtol(p + 1, &end, 10);
      if (end == p + 1 || b < a || b >= CPUSET_MAX)
        return false;
      p = end;
    }
    for (long i = a; i <= b; i++)
      set[i / 8] |= (unsigned char)(1u << (i % 8));
    if (*p == ',')
      p++;
    else if (*p != '\0')
      return false;
  }
  return true;
}

/* The cpus or mems the containers' parent may use: the root cpuset's (v1) or the root's
 * effective set (v2); NULL when there is no cpuset controller (nothing to check against). */
static char *cpuset_available(const char *what) {
  char path[128];
  snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuset/cpuset.%s", what);
  char *v = read_text(path);
  if (v == NULL) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/cpuset.%s.effective", what);
    v = read_text(path);
  }
  if (v)
    v[strcspn(v, "\n")] = '\0';
  return v;
}

static int check_cpuset(const json_t *hc, const char *key, const char *what, const char *noun, hull_err *err) {
  const char *req = json_string_value(json_object_get(hc, key));
  if (req == NULL || *req == '\0')
    return 0;
  unsigned char want[CPUSET_MAX / 8], have[CPUSET_MAX / 8];
  if (!cpuset_parse(req, want))
    return hull_error_code(err, EINVAL, "Invalid value %s for cpuset %s: invalid format: %s", req, what, req);
  cleanup_free char *avail = cpuset_available(what);
  if (avail == NULL || !cpuset_parse(avail, have))
    return 0;
  for (size_t i = 0; i < sizeof(want); i++)
    if (want[i] & ~have[i])
      return hull_error_code(err, EINVAL, "Requested %s are not available - requested %s, available: %s", noun, req,
                             avail);
  return 0;
}

/* Whether the kernel can weigh block I/O: CFQ's or BFQ's weight file in the v1 blkio
 * hierarchy, or the io controller on v2 (the weight files exist only below the root). */
static bool blkio_weight_supported(void) {
  if (access("/sys/fs/cgroup/blkio", F_OK) == 0)
    return access("/sys/fs/cgroup/blkio/blkio.weight", F_OK) == 0 ||
           access("/sys/fs/cgroup/blkio/blkio.bfq.weight", F_OK) == 0;
  cleanup_free char *ctl = read_text("/sys/fs/cgroup/cgroup.controllers");
  return ctl && (strncmp(ctl, "io ", 3) == 0 || strstr(ctl, " io ") || strstr(ctl, " io\n"));
}

static int memory_checks(const json_t *hc, bool update, hull_err *err) {
  json_int_t mem = hc_int(hc, "Memory"), swap = hc_int(hc, "MemorySwap"), res = hc_int(hc, "MemoryReservation");
  if (mem != 0 && mem < MIN_MEMORY)
    return hull_error_code(err, EINVAL, "Minimum memory limit allowed is 6MB");
  if (mem > 0 && swap > 0 && swap < mem)
    return hull_error_code(err, EINVAL, "Minimum memoryswap limit should be larger than memory limit, see usage");
  if (mem == 0 && swap > 0 && !update)
    return hull_error_code(err, EINVAL,
                           "You should always set the Memory limit when using Memoryswap limit, see usage");
  if (res > 0 && res < MIN_MEMORY)
    return hull_error_code(err, EINVAL, "Minimum memory reservation allowed is 6MB");
  if (mem > 0 && res > 0 && mem < res)
    return hull_error_code(err, EINVAL,
                           "Minimum memory limit can not be less than memory reservation limit, see usage");
  return 0;
}

static int cpu_checks(const json_t *hc, hull_err *err) {
  json_int_t nano = hc_int(hc, "NanoCpus"), period = hc_int(hc, "CpuPeriod"), quota = hc_int(hc, "CpuQuota");
  if (nano > 0 && period > 0)
    return hull_error_code(err, EINVAL, "Conflicting options: Nano CPUs and CPU Period cannot both be set");
  if (nano > 0 && quota > 0)
    return hull_error_code(err, EINVAL, "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
  /* dockerd counts the CPUs it may run on (its affinity), as the container would. */
  cpu_set_t cs;
  long ncpu = sched_getaffinity(0, sizeof(cs), &cs) == 0 ? CPU_COUNT(&cs) : sysconf(_SC_NPROCESSORS_ONLN);
  if (nano < 0 || nano > (json_int_t)ncpu * 1000000000)
    return hull_error_code(err, EINVAL, "Range of CPUs is from 0.01 to %ld.00, as there are only %ld CPUs available",
                           ncpu, ncpu);
  if (period != 0 && (period < 1000 || period > 1000000))
    return hull_error_code(err, EINVAL,
                           "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)");
  if (quota > 0 && quota < 1000)
    return hull_error_code(err, EINVAL, "CPU cfs quota can not be less than 1ms (i.e. 1000)");
  return 0;
}

int hull_verify_resources(json_t *hc, bool update, hull_err *err) {
  json_int_t oom = hc_int(hc, "OomScoreAdj");
  if (oom < -1000 || oom > 1000)
    return hull_error_code(err, EINVAL, "Invalid value %lld, range for oom score adj is [-1000, 1000]", (long long)oom);
  if (memory_checks(hc, update, err) < 0 || cpu_checks(hc, err) < 0 ||
      check_cpuset(hc, "CpusetCpus", "cpus", "CPUs", err) < 0 ||
      check_cpuset(hc, "CpusetMems", "mems", "memory nodes", err) < 0)
    return -1;
  if (hc_int(hc, "BlkioWeight") > 0 && !blkio_weight_supported()) {
    hull_warn("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    json_object_set_new(hc, "BlkioWeight", json_integer(0));
  }
  return 0;
}
