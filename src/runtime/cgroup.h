/* cgroup manager: one interface over cgroup v1, hybrid and v2 hosts.
 * The layout is detected from /proc/self/mountinfo and /proc/self/cgroup; each
 * controller is driven in whichever hierarchy actually carries it. */
#ifndef HULL_CGROUP_H
#define HULL_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "../common/error.h"

typedef struct hull_cgroup hull_cgroup;

enum hull_cgroup_kind { HULL_CGROUP_V1 = 1, HULL_CGROUP_HYBRID = 2, HULL_CGROUP_V2 = 3 };

#define HULL_CGROUP_MAX_HIER 24

/* One cgroup hierarchy: the only representation of one, from the layout parsed out of /proc
 * to the container's cgroup in it (struct hull_cgroup holds a layout) and its state.json
 * record. */
struct hull_cgroup_hier {
  char *controllers; /* comma-separated: "cpu,cpuacct", "name=systemd"; cgroup2: from cgroup.controllers */
  char *mount;       /* mount point, e.g. "/sys/fs/cgroup/memory" */
  char *root;        /* the mount's root inside the hierarchy (mountinfo field 4), normally "/";
                        NULL when reloaded from state.json */
  char *own;         /* this process's cgroup, relative to the mount point ("/" or "/a/b");
                        NULL when reloaded from state.json */
  char *dir;         /* the container's cgroup (absolute, below mount); NULL in a bare layout */
  int created;       /* how many trailing components of dir this runtime created (0: joined) */
  bool v2;
  bool made; /* create: dir exists now (made or joined), not to be made again */
};

/* The host's cgroup hierarchies (parsed) or, inside a hull_cgroup, the container's. */
struct hull_cgroup_layout {
  enum hull_cgroup_kind kind;
  size_t n;
  struct hull_cgroup_hier h[HULL_CGROUP_MAX_HIER];
};

/* Computes where the container's cgroup lives, without touching the filesystem.
 * cgroups_path: linux.cgroupsPath from config.json (NULL: a default derived from id);
 * an absolute path is relative to the hierarchy roots, a relative one to the
 * runtime's own cgroup. manager: "cgroupfs" (or NULL) or "systemd": then cgroups_path is
 * systemd's "slice:prefix:name" (NULL: "system.slice:hull-runtime:<id>") and the cgroup a
 * transient scope with Delegate=yes; this fails when systemd does not run the host. */
int hull_cgroup_new(const char *cgroups_path, const char *id, const char *manager, hull_cgroup **out,
                    hull_err *err) HULL_WUR;
void hull_cgroup_free(hull_cgroup *cg);

/* Creates the directories (recording which ones it created, for delete) and applies
 * linux.resources (may be NULL). On failure nothing created is left behind. */
int hull_cgroup_create(hull_cgroup *cg, json_t *resources, hull_err *err) HULL_WUR;
/* hull_cgroup_to_json as if hull_cgroup_create_dirs had run: the components of the
 * container's path that do not exist now are recorded as created (nothing is created,
 * cg is unchanged). create writes this to state.json before it makes anything, so that
 * delete removes them after an interrupted create. */
json_t *hull_cgroup_to_json_planned(hull_cgroup *cg) HULL_WUR;
/* The two halves of hull_cgroup_create: the directories or the systemd scope (removed
 * again if this fails; pid is the init when it exists already, else 0; resources are for
 * drivers that set limits at creation, and configure writes them all afterwards),
 * then the limits (a failure leaves the directories to hull_cgroup_destroy: the
 * container's init may have bound them into its mounts by then). */
int hull_cgroup_create_dirs(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err) HULL_WUR;
/* Whether the cgroup can be created before the container's init (then clone3 places the init
 * in it); otherwise the init is cloned first and hull_cgroup_create_dirs gets its pid (the
 * systemd driver starts the scope with it; cgroupfs on v1 creates, then enters). */
bool hull_cgroup_precreate_p(const hull_cgroup *cg);
/* cgroupfs on a host with v1 hierarchies (v1 or hybrid): the v1 directories (and the
 * limits) need not exist before the init, which enters them at the end of its setup
 * through `tasks` files the parent sends it; the parent makes them while the init mounts.
 * Only the cgroup2 directory, which clone3 places the init into, is made before the clone
 * (hull_cgroup_create_v2_part: on failure nothing is left). hull_cgroup_create_v1_part
 * makes the v1 directories and then applies all of resources; a failure leaves what was
 * made to hull_cgroup_destroy (the init is in the cgroup2 directory by then). */
bool hull_cgroup_v1_late_p(const hull_cgroup *cg);
int hull_cgroup_create_v2_part(hull_cgroup *cg, hull_err *err) HULL_WUR;
/* Before the clone, while the caller would wait anyway: the next v1 directory (in
 * hierarchy order). 1: one was made, 0: all exist, -1: failed (nothing is left). */
int hull_cgroup_create_v1_next(hull_cgroup *cg, hull_err *err) HULL_WUR;
int hull_cgroup_create_v1_part(hull_cgroup *cg, json_t *resources, hull_err *err) HULL_WUR;
/* Hierarchy i's `tasks` file, opened for writing (O_CLOEXEC), or -1. */
int hull_cgroup_tasks_open(const hull_cgroup *cg, size_t i, hull_err *err) HULL_WUR;
int hull_cgroup_configure(hull_cgroup *cg, json_t *resources, hull_err *err) HULL_WUR;
/* Writes resources to the existing cgroup (for `update`). */
int hull_cgroup_update(hull_cgroup *cg, json_t *resources, hull_err *err) HULL_WUR;
/* Moves pid into the cgroup in every hierarchy. */
int hull_cgroup_enter(hull_cgroup *cg, pid_t pid, hull_err *err) HULL_WUR;
/* exec --cgroup: moves pid (already in the container's cgroup) into existing sub-cgroups of
 * it, as runc does. Each spec is "PATH" (every hierarchy) or "CONTROLLER[,...]:PATH" (the
 * v1 hierarchies carrying one of them; a later spec wins); PATH is relative and without "..". */
int hull_cgroup_enter_sub(hull_cgroup *cg, pid_t pid, char *const *specs, hull_err *err) HULL_WUR;
/* An O_DIRECTORY fd of the cgroup v2 directory usable with clone3 CLONE_INTO_CGROUP,
 * or -1 when the host has v1 controllers (then use hull_cgroup_enter). The fd is opened
 * once, owned by cg (O_CLOEXEC) and closed by hull_cgroup_free: do not close it. */
int hull_cgroup_v2_dirfd(hull_cgroup *cg);

/* How the container's init (and an exec'd process) enters its cgroup itself, without a
 * migration by pid: the kernel takes its global threadgroup lock for writing (and so
 * waits for an RCU grace period, ~6 ms) whenever a task moves another task or a whole
 * process, but not when a thread writes "0" to a v1 `tasks` file (it moves itself) nor
 * for clone3's CLONE_INTO_CGROUP. With the cgroupfs driver, after hull_cgroup_create: the
 * parent opens the `tasks` file of every v1 hierarchy (so that its credentials are the
 * ones checked, even when the child is in a user namespace) and the cgroup2 directory; it
 * clones with v2fd, and the child calls hull_cgroup_birth_enter where it used to wait for
 * the parent's move (after its mounts, before any hook or container code). Other drivers
 * (systemd) get only hull_cgroup_v2_dirfd and no tasks files (n is 0). */
struct hull_cgroup_birth {
  int v2fd;                        /* for clone3 CLONE_INTO_CGROUP, owned by cg; or -1 */
  int tasks[HULL_CGROUP_MAX_HIER]; /* hierarchy i's `tasks` (v1), or -1 */
  size_t n;
};
/* v1_later: only the cgroup2 directory; the v1 `tasks` files come later (hull_cgroup_v1_late_p). */
int hull_cgroup_birth_open(hull_cgroup *cg, struct hull_cgroup_birth *b, bool v1_later, hull_err *err) HULL_WUR;
/* The parent, after the clone (or when it failed): closes the tasks files. */
void hull_cgroup_birth_close(struct hull_cgroup_birth *b);
/* The child, single-threaded: writes "0" to each tasks file (moving itself) and closes
 * them all; the error names the hierarchy. */
int hull_cgroup_birth_enter(const hull_cgroup *cg, struct hull_cgroup_birth *b, hull_err *err) HULL_WUR;

/* Pids of every process in the cgroup (caller frees *pids). */
int hull_cgroup_pids(hull_cgroup *cg, pid_t **pids, size_t *n, hull_err *err) HULL_WUR;
/* Sends sig to every process in the cgroup. */
int hull_cgroup_kill(hull_cgroup *cg, int sig, hull_err *err) HULL_WUR;
int hull_cgroup_freeze(hull_cgroup *cg, bool frozen, hull_err *err) HULL_WUR;
/* Before a SIGKILL: if pid (a process of the container) sits in a frozen cgroup outside
 * the container's (moved there by someone), moves it back into the container's freezer
 * cgroup (v2: its cgroup), or the hierarchy root, so that it thaws and can die. Best
 * effort. */
void hull_cgroup_reclaim(hull_cgroup *cg, pid_t pid);
/* Whether the cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.freeze 1): "paused". */
bool hull_cgroup_frozen_p(hull_cgroup *cg);
/* True when the cgroup is frozen (v1 freezer.state FROZEN, v2 cgroup.events frozen 1);
 * added by the lead for `state` (status paused). */
bool hull_cgroup_frozen_p(hull_cgroup *cg);
/* Kills what is left (thawing first), waits until empty, removes the directories
 * this runtime created; never removes a cgroup it did not create. */
int hull_cgroup_destroy(hull_cgroup *cg, hull_err *err) HULL_WUR;
/* Stats for `events --stats` in runc's JSON shape (cpu, memory, pids, blkio). */
json_t *hull_cgroup_stats(hull_cgroup *cg, hull_err *err) HULL_WUR;
/* "oom_kill" counter or -1 */
long long hull_cgroup_oom_kills(hull_cgroup *cg);
/* 1 when the v1 OOM killer is disabled (memory.oom_control oom_kill_disable) and the cgroup
 * is under OOM (its tasks wait for memory), else 0; -1 when unknown (v2 has no such state). */
int hull_cgroup_under_oom(hull_cgroup *cg);
/* An fd (O_CLOEXEC, O_NONBLOCK; the caller closes it) that becomes readable when the memory
 * cgroup may have recorded an OOM: v1 an eventfd registered through cgroup.event_control on
 * memory.oom_control (also signalled when the cgroup is removed), v2 an inotify watch
 * (IN_MODIFY) on memory.events. Readiness is a hint: re-read hull_cgroup_oom_kills (the v1
 * notification can come just before the kill is counted). Drain it by reading until EAGAIN.
 * -1 with err set when it cannot be registered: then poll the counter. */
int hull_cgroup_oom_watch(hull_cgroup *cg, hull_err *err) HULL_WUR;

/* Persisting in state.json and reloading for later commands. */
json_t *hull_cgroup_to_json(const hull_cgroup *cg) HULL_WUR;
int hull_cgroup_from_json(json_t *j, hull_cgroup **out, hull_err *err) HULL_WUR;

/* The mount table, in mountinfo's format, that hull_cgroup_new read the layout from (NULL
 * for a cgroup made otherwise): all of /proc/self/mountinfo, or only the cgroup mounts
 * (cgroup-mounts.c). The container's init lists the cgroup mounts from it instead of
 * reading its own (a copy of the same mount table) again. */
const char *hull_cgroup_mountinfo(const hull_cgroup *cg);
/* The path (relative to the hierarchy roots) for display and /proc/PID/cgroup checks. */
const char *hull_cgroup_path(const hull_cgroup *cg);

enum hull_cgroup_kind hull_cgroup_kind(const hull_cgroup *cg);
/* The container's directory in the hierarchy carrying controller ("memory", "pids",
 * "name=systemd"; "" for the cgroup2 hierarchy), or NULL. */
const char *hull_cgroup_dir(const hull_cgroup *cg, const char *controller);
/* The i-th hierarchy the container uses (e.g. to bind-mount it into the container), NULL
 * when i is past the end. */
const struct hull_cgroup_hier *hull_cgroup_hierarchy(const hull_cgroup *cg, size_t i);

/* ---- Internal, exposed for tests/unit/test_cgroup_parse.c only; not an API for other modules. */

/* Parses the text of /proc/self/mountinfo and /proc/self/cgroup. On a pure v2 host only the
 * cgroup2 hierarchy is kept; on v1/hybrid every mounted v1 hierarchy (named ones included)
 * plus the cgroup2 one when mounted. */
int hull_cgroup_parse_layout(const char *mountinfo, const char *proc_cgroup, struct hull_cgroup_layout *l,
                             hull_err *err) HULL_WUR;
/* Records the controllers of the cgroup2 hierarchy from the text of its root cgroup.controllers. */
int hull_cgroup_layout_set_v2_controllers(struct hull_cgroup_layout *l, const char *text, hull_err *err) HULL_WUR;
void hull_cgroup_layout_clear(struct hull_cgroup_layout *l);
/* The hierarchy carrying controller (v1 hierarchies first), or NULL. */
const struct hull_cgroup_hier *hull_cgroup_layout_find(const struct hull_cgroup_layout *l, const char *controller);
/* Normalizes cgroups_path (NULL or "": "/hull-runtime/<id>"): collapses slashes, drops "."
 * components, rejects ".." and paths naming a root. *out always starts with "/"; *relative
 * tells whether it is relative to the runtime's own cgroup. */
int hull_cgroup_normalize_path(const char *cgroups_path, const char *id, char **out, bool *relative,
                               hull_err *err) HULL_WUR;
/* The directory of the container's cgroup in hierarchy h (malloc'ed). */
char *hull_cgroup_hier_dir(const struct hull_cgroup_hier *h, const char *path, bool relative) HULL_WUR;
/* hull_cgroup_new without reading /proc: the layout is consumed (moved into the result). */
int hull_cgroup_new_from_layout(struct hull_cgroup_layout *l, const char *cgroups_path, const char *id,
                                hull_cgroup **out, hull_err *err) HULL_WUR;
/* v1 -> v2 conversions, as runc does them. */
unsigned long long hull_cgroup_shares_to_weight(unsigned long long shares);
unsigned long long hull_cgroup_blkio_to_io_weight(unsigned long long weight);
/* memory.swap.max from OCI swap (memory+swap) and limit, 0 meaning "not given" for both:
 * returns 1 with *out set (-1 for "max") when memory.swap.max must be written, 0 when
 * not, -1 (error set) when the pair is invalid. */
int hull_cgroup_swap_to_v2(long long swap, long long limit, long long *out, hull_err *err) HULL_WUR;
/* Whether an OCI linux.resources.devices list leaves every device allowed (the only list
 * cgroup v2 accepts until the eBPF device filter exists). */
bool hull_cgroup_devices_permissive_p(json_t *devices);

/* The systemd driver's pure parts (cgroup-systemd.c). "a-b.slice" -> "/a.slice/a-b.slice"
 * ("-.slice" -> ""), rejecting what systemd rejects. */
int hull_cg_systemd_expand_slice(const char *slice, char **out, hull_err *err);
/* cgroupsPath "slice:prefix:name" (NULL/"": system.slice, hull-runtime, id) -> the slice
 * and the scope's unit name "prefix-name.scope". */
int hull_cg_systemd_parse_path(const char *cgroups_path, const char *id, char **slice, char **unit, hull_err *err);
/* One unit property: a uint64 ("t") or a byte array ("ay", CPU masks). */
struct hull_sd_prop {
  const char *name;
  unsigned long long u;
  bool bytes_p;
  unsigned char *bytes;
  size_t nbytes;
};
/* linux.resources as systemd unit properties with runc's conversions (at most max). */
int hull_cg_systemd_props(json_t *resources, struct hull_sd_prop *p, size_t max, size_t *n, hull_err *err);
void hull_cg_systemd_props_free(struct hull_sd_prop *p, size_t n);

#endif
