/* Shared between cgroup.c (layout, paths, lifecycle) and cgroup-resources.c (resource
 * writers, stats). Not for other modules: they use cgroup.h. */
#ifndef HULL_CGROUP_INTERNAL_H
#define HULL_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "cgroup.h"

/* The container's cgroup in one hierarchy. */
struct cg_dir {
  char *controllers; /* comma-separated, as in struct hull_cgroup_hier */
  char *mount;       /* mount point of the hierarchy */
  char *dir;         /* absolute directory of the container's cgroup (below mount) */
  int created;       /* how many trailing components of dir this runtime created (0: joined) */
  bool v2;
};

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

extern const struct hull_cg_manager hull_cg_cgroupfs;
extern const struct hull_cg_manager hull_cg_systemd;

struct hull_cgroup {
  const struct hull_cg_manager *mgr;
  char *unit; /* systemd: the scope's name ("hull-runtime-ID.scope"), else NULL */
  void *bus;  /* systemd: the sd_bus connection, opened on first use */
  /* systemd: this runtime started the unit (a failed start may have met another
   * container's unit of the same name, which delete must not stop). */
  bool unit_owned;
  enum hull_cgroup_kind kind;
  char *path; /* display path, as /proc/PID/cgroup shows it */
  int v2fd;   /* cached hull_cgroup_v2_dirfd, -1 until asked for */
  char *mountinfo; /* the /proc/self/mountinfo hull_cgroup_new read, or NULL */
  size_t n;
  struct cg_dir d[HULL_CGROUP_MAX_HIER];
};

/* Whether the comma-separated list contains name. */
bool hull_cg_list_has(const char *list, const char *name);
/* The hierarchy carrying controller (v1 first), or NULL. */
const struct cg_dir *hull_cg_find(const hull_cgroup *cg, const char *controller);
/* The cgroup2 hierarchy of the container (v2 or hybrid), or NULL. */
const struct cg_dir *hull_cg_v2(const hull_cgroup *cg);

/* Writes val to dir/file; the error reads "write DIR/FILE: ...". */
int hull_cg_write(const char *dir, const char *file, const char *val, hull_err *err) HULL_WUR;
/* Reads a small file (at most size-1 bytes), trailing newline stripped. */
int hull_cg_read(const char *dir, const char *file, char *buf, size_t size, hull_err *err) HULL_WUR;
bool hull_cg_exists(const char *dir, const char *file);

/* Enables controllers (space-separated, e.g. "hugetlb memory") in cgroup.subtree_control of
 * every ancestor of the v2 directory d below its mount, best effort (as runc and crun do:
 * an ancestor holding processes refuses, and the write of the resource then names the file). */
void hull_cg_v2_enable(const struct cg_dir *d, const char *controllers);

/* The cgroupfs driver's pieces the systemd driver reuses on the scope's directory. */
int hull_cg_fs_enter(hull_cgroup *cg, pid_t pid, hull_err *err);
/* Thaws and kills what is left in the cgroup, waiting (bounded) until it is empty. */
void hull_cg_fs_drain(hull_cgroup *cg);
/* Replaces the container's directory in the cgroup2 hierarchy by mount + path (the
 * ControlGroup systemd reports) and the display path with it. */
int hull_cg_set_v2_path(hull_cgroup *cg, const char *path, hull_err *err);
/* Closes the systemd driver's bus connection (cgroup-systemd.c). */
void hull_cg_systemd_close(hull_cgroup *cg);
/* The systemd driver's part of hull_cgroup_new: parses "slice:prefix:name", checks that
 * systemd runs the host and returns the scope's expected cgroup path (malloc'ed) and
 * name. */
int hull_cg_systemd_resolve(const char *cgroups_path, const char *id, enum hull_cgroup_kind kind, char **path,
                            char **unit, hull_err *err);

/* Applies an OCI linux.resources object (NULL: nothing). update: for checkBeforeUpdate. */
int hull_cg_apply_resources(hull_cgroup *cg, json_t *resources, bool update, hull_err *err) HULL_WUR;

/* One device cgroup rule, parsed (cgroup-resources.c) for the v2 eBPF program. */
struct hull_dev_match {
  bool allow;
  char type;          /* 'a', 'b' or 'c' */
  long long major;    /* -1: any */
  long long minor;    /* -1: any */
  unsigned access;    /* BPF_DEVCG_ACC_*: 1 mknod, 2 read, 4 write */
};
/* cgroup v2 device control: compiles the rules (last match wins, no match denies) into
 * a BPF_PROG_TYPE_CGROUP_DEVICE program, attaches it to dir, and detaches any program
 * attached there before (update). cgroup-devices.c */
int hull_cg_devices_bpf(const char *dir, const struct hull_dev_match *rules, size_t n, hull_err *err) HULL_WUR;

#endif
