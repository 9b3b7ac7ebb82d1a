/* Joining another container's pid and IPC namespaces: Docker's --pid container:X and
 * --ipc container:X. The namespaces are joined by path, /proc/<pid>/ns/<kind> of the
 * other container's first process, written into config.json at every start (the other
 * container's pid changes when it restarts). A pid is trusted only with its start time: the
 * engine's record of the other container holds both, they are compared before the path is
 * written and again once the container runs, so that a pid reused in between (the other
 * container exited) is never joined silently. */
#ifndef HULL_ENGINE_NSJOIN_H
#define HULL_ENGINE_NSJOIN_H

#include <sys/types.h>

#include "common/error.h"
#include "engine/engine.h"

/* At create: container:NAME for PidMode and IpcMode names an existing container, and
 * becomes container:<id> (or host when that container shares the host's); the chain of
 * container: modes ends at the first. Errors have status 125. */
int hull_ctr_ns_prepare(hull_engine *e, hull_ctr *c, hull_err *err) HULL_WUR;

/* The processes whose namespaces a start joins, to check again after the start. */
typedef struct hull_ns_joined {
  pid_t pid[2];
  unsigned long long start[2];
} hull_ns_joined;

/* At start, before the monitor: the other containers run (else ENOENT, status 125: "cannot
 * join PID namespace of a non running container"); the paths of their namespaces go into
 * the container's config.json. */
int hull_ctr_ns_join(hull_engine *e, const hull_ctr *c, hull_ns_joined *j, hull_err *err) HULL_WUR;

/* Once the container runs: every process joined is still the one checked before (same pid,
 * same start time); ESRCH otherwise. */
int hull_ctr_ns_recheck(const hull_ns_joined *j, hull_err *err) HULL_WUR;

#endif
