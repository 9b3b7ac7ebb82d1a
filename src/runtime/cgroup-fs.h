/* The cgroup manager's internal layers (see cgroup-fs.c; the graph of the cgroup*.c files is
 * in docs/design.md). Not for other modules: they use cgroup.h. */
#ifndef HULL_CGROUP_FS_H
#define HULL_CGROUP_FS_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "cgroup.h"

/* The deepest cgroup path (in components below the mount) the manager walks. */
#define HULL_CG_MAX_DEPTH 128

/* A cgroup driver (crun's libcrun_cgroup_manager): how the container's cgroup comes to
 * exist, gets its limits and goes away. Listing, signalling, freezing and stats act on the
 * cgroup files and are the same for every driver. */
struct hull_cg_manager {
  const char *name; /* "cgroupfs", "systemd": recorded in state.json */
  /* Whether the cgroup can be made before the container's init exists (clone3 into it). */
  bool (*precreate_p)(const hull_cgroup *cg);
  /* Makes the cgroup. pid: the container's init when it exists already (0: not yet);
   * resources: for drivers that take limits at creation (systemd unit properties). */
  int (*create)(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err);
  /* Applies linux.resources (update: for `update`, checkBeforeUpdate and unit properties). */
  int (*apply)(hull_cgroup *cg, json_t *resources, bool update, hull_err *err);
  int (*enter)(hull_cgroup *cg, pid_t pid, hull_err *err);
  int (*destroy)(hull_cgroup *cg, hull_err *err);
};

struct hull_cgroup {
  const struct hull_cg_manager *mgr;
  char *unit; /* systemd: the scope's name ("hull-runtime-ID.scope"), else NULL */
  void *bus;  /* systemd: the sd_bus connection, opened on first use */
  /* systemd: this runtime started the unit (a failed start may have met another
   * container's unit of the same name, which delete must not stop). */
  bool unit_owned;
  char *path;      /* display path, as /proc/PID/cgroup shows it */
  int v2fd;        /* cached hull_cgroup_v2_dirfd, -1 until asked for */
  char *mountinfo; /* the /proc/self/mountinfo hull_cgroup_new read, or NULL */
  /* The host's hierarchies as hull_cgroup_new found them, each with the container's
   * directory in it (or as reloaded from state.json, without root and own). */
  struct hull_cgroup_layout l;
};

/* CLOCK_MONOTONIC in milliseconds, and a sleep that resumes after signals. */
long long hull_cg_now_ms(void);
void hull_cg_sleep_ms(long ms);
/* a + b where b starts with "/" (or is empty), without doubling the slash (malloc'ed). */
char *hull_cg_path_join(const char *a, const char *b) HULL_WUR;
/* Offsets in dir where each path component below the mount (the first mlen bytes) ends;
 * their count, 0 when dir is not below the mount, -1 when there are more than max. */
int hull_cg_component_ends(const char *dir, size_t mlen, size_t *ends, int max);

/* Whether the comma-separated list contains name. */
bool hull_cg_list_has(const char *list, const char *name);
/* The hierarchy carrying controller (v1 first), or NULL. */
static inline const struct hull_cgroup_hier *hull_cg_find(const hull_cgroup *cg, const char *controller) {
  return hull_cgroup_layout_find(&cg->l, controller);
}
/* Frees what h owns and zeroes it. */
void hull_cg_hier_clear(struct hull_cgroup_hier *h);
/* The cgroup2 hierarchy of the container (v2 or hybrid), or NULL. */
const struct hull_cgroup_hier *hull_cg_v2(const hull_cgroup *cg);
/* The hierarchy used to list processes and to display the path. */
const struct hull_cgroup_hier *hull_cg_primary(const hull_cgroup *cg);

/* Writes val to dir/file; the error reads "write DIR/FILE: ...". */
int hull_cg_write(const char *dir, const char *file, const char *val, hull_err *err) HULL_WUR;
/* Reads a small file (at most size-1 bytes), trailing newline stripped. */
int hull_cg_read(const char *dir, const char *file, char *buf, size_t size, hull_err *err) HULL_WUR;
bool hull_cg_exists(const char *dir, const char *file);

/* Enables controllers (space-separated, e.g. "hugetlb memory") in cgroup.subtree_control of
 * every ancestor of the v2 directory d below its mount, best effort (as runc and crun do:
 * an ancestor holding processes refuses, and the write of the resource then names the file). */
void hull_cg_v2_enable(const struct hull_cgroup_hier *d, const char *controllers);

/* The cgroupfs driver's pieces the systemd driver reuses on the scope's directory. */
int hull_cg_fs_enter(hull_cgroup *cg, pid_t pid, hull_err *err);
/* Thaws and kills what is left in the cgroup, waiting (bounded) until it is empty. */
void hull_cg_fs_drain(hull_cgroup *cg);
/* Replaces the container's directory in the cgroup2 hierarchy by mount + path (the
 * ControlGroup systemd reports) and the display path with it. */
int hull_cg_set_v2_path(hull_cgroup *cg, const char *path, hull_err *err);

#endif
