/* Internal: the container operations behind the public API (api.c, wait.c; programs
 * outside src/runtime use include/hull/runtime.h): create, start, run, state, kill,
 * delete, list, ps, exec. */
#ifndef HULL_CONTAINER_H
#define HULL_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include <hull/runtime.h>

#include "../common/error.h"
#include "cgroup.h"
#include "spec.h"

struct hull_runtime {
  const char *root; /* state root, default /run/hull-runtime */
  bool systemd_cgroup;
};

struct hull_create_opts {
  const char *id;
  const char *bundle;
  const char *config;      /* crun's --config: read instead of BUNDLE/config.json when not NULL */
  const char *config_text; /* or the config itself (config_len bytes) when not NULL */
  size_t config_len;
  int stdio[3]; /* the process's 0, 1, 2 (hull_create_params) */
  bool no_pivot;
  bool no_new_keyring;
  bool config_in_bundle; /* hull_create_params: no copy of BUNDLE/config.json in the state */
  int preserve_fds;
  bool run; /* create + start in one go */
};

/* The internal runtime of a public handle (api.c). */
const struct hull_runtime *hull_rt_internal(struct hull_rt *rt);

/* create (or with o->run, run). *out gets the init (hull/runtime.h). */
int hull_container_create(const struct hull_runtime *rt, const struct hull_create_opts *o, struct hull_proc *out,
                          hull_err *err) HULL_WUR;
/* The calls below on an id that names no container fail with errno ENOENT (the text is
 * runc's "container X does not exist"); create of a taken id fails with EEXIST. */
int hull_container_start(const struct hull_runtime *rt, const char *id, hull_err *err) HULL_WUR;
int hull_container_kill(const struct hull_runtime *rt, const char *id, int sig, bool all, hull_err *err) HULL_WUR;
int hull_container_delete(const struct hull_runtime *rt, const char *id, bool force, hull_err *err) HULL_WUR;
/* The end of every delete, once nothing of the container runs (or is left to kill by
 * the cgroup's destroy): the cgroup (cg may be NULL), the state directory, then the
 * poststop hooks with state_json. The caller holds the state lock. */
int hull_container_remove(const struct hull_runtime *rt, const char *id, hull_cgroup *cg, json_t *hooks,
                          const char *state_json, hull_err *err) HULL_WUR;
/* The OCI state JSON of one container. */
json_t *hull_container_state(const struct hull_runtime *rt, const char *id, hull_err *err) HULL_WUR;
/* An array of state objects of every container under the root. */
json_t *hull_container_list(const struct hull_runtime *rt, hull_err *err) HULL_WUR;
int hull_container_pids(const struct hull_runtime *rt, const char *id, pid_t **pids, size_t *n, hull_err *err) HULL_WUR;
/* Starts a process in a running container; *out as for create. */
int hull_container_exec(const struct hull_runtime *rt, const char *id, const struct hull_exec_params *p,
                        struct hull_proc *out, hull_err *err) HULL_WUR;
/* Applies linux.resources (an OCI resources object) to a running container. */
int hull_container_update(const struct hull_runtime *rt, const char *id, json_t *resources, hull_err *err) HULL_WUR;
int hull_container_pause(const struct hull_runtime *rt, const char *id, bool pause, hull_err *err) HULL_WUR;

/* One sample for `events`: *stopped, the memory controller's OOM kill counter (*oom_kills, -1
 * when unknown; read even when stopped), v1's under_oom (*under_oom, may be NULL; -1 when
 * unknown) and, when stats is not NULL and the container is not stopped, *stats (runc's
 * shape: cpu, memory, pids, blkio; the caller owns it). Fails with "container X does not
 * exist" when there is no such container. */
int hull_container_sample(const struct hull_runtime *rt, const char *id, bool *stopped, json_t **stats,
                          long long *oom_kills, int *under_oom, hull_err *err) HULL_WUR;
/* For `events`, fds to wait on instead of polling (the caller closes them): *exit_fd a pidfd
 * of the init, readable when it exits; *oom_fd readable when the memory cgroup may have
 * recorded an OOM (hull_cgroup_oom_watch). Returns -1 with err set when either could not be
 * had; whichever was opened is still returned (-1 otherwise), so the caller can fall back
 * to polling for the missing one. */
int hull_container_watch(const struct hull_runtime *rt, const char *id, int *oom_fd, int *exit_fd,
                         hull_err *err) HULL_WUR;

#endif
