/* A container's resource usage for `hull stats`: the runtime's stats object (runc's
 * `events --stats` shape: cpu.usage.total, memory.usage.{usage,limit}, memory.raw,
 * pids.current, blkio.ioServiceBytesRecursive) reduced to what Docker's table shows. */
#ifndef HULL_ENGINE_STATS_H
#define HULL_ENGINE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

typedef struct hull_stats {
  bool valid;         /* false: not running (Docker shows zeros) */
  int64_t when_ns;    /* CLOCK_MONOTONIC of the sample */
  uint64_t cpu_ns;    /* cpu.usage.total */
  uint64_t mem_usage; /* usage minus the inactive file cache, as Docker */
  uint64_t mem_limit; /* the cgroup's limit, or the host's memory when unlimited */
  uint64_t blk_read, blk_write;
  uint64_t net_rx, net_tx; /* bytes over the container's interfaces but lo, as Docker's */
  uint64_t pids;
} hull_stats;

/* One sample of a running container, from the runtime library in-process (hull_rt_stats). */
int hull_ctr_stats(hull_engine *e, const hull_ctr *c, hull_stats *out, hull_err *err) HULL_WUR;
/* The host pids of a running container's processes (the runtime's hull_rt_pids: its
 * cgroup's), for top; malloc'ed. */
int hull_ctr_pids(hull_engine *e, hull_ctr *c, pid_t **pids, size_t *n, hull_err *err) HULL_WUR;
/* Docker's CPU %: the container's CPU time over the wall time between two samples. */
double hull_stats_cpu_percent(const hull_stats *prev, const hull_stats *cur);

#endif
