/* Parsers for the small languages of the OCI spec and the runc command line:
 * container ids, signal names, capability names, rlimit names, namespace types,
 * mount options. Pure functions, fuzzed and unit-tested. */
#ifndef HULL_NAMES_H
#define HULL_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

#define HULL_ID_MAX 1024

/* [A-Za-z0-9_.+-]+ not starting with '.', at most HULL_ID_MAX bytes. */
int hull_id_validate(const char *id, hull_err *err) HULL_WUR;
/* "KILL", "SIGKILL", "kill", "9", "SIGRTMIN+3". Returns the signal number or -1 with err. */
int hull_signal_parse(const char *s, hull_err *err) HULL_WUR;
const char *hull_signal_name(int sig);
/* "CAP_CHOWN" -> 0. Returns -1 with err for an unknown name. */
int hull_cap_parse(const char *s, hull_err *err) HULL_WUR;
const char *hull_cap_name(int cap);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE. */
int hull_rlimit_parse(const char *s, hull_err *err) HULL_WUR;
/* "NOFILE" for RLIMIT_NOFILE (without the prefix), or NULL. */
const char *hull_rlimit_name(int num);

enum hull_ns_type {
  HULL_NS_PID,
  HULL_NS_NET,
  HULL_NS_IPC,
  HULL_NS_UTS,
  HULL_NS_MOUNT,
  HULL_NS_USER,
  HULL_NS_CGROUP,
  HULL_NS_TIME,
  HULL_NS_COUNT
};
/* "network" -> HULL_NS_NET; -1 with err if unknown. */
int hull_ns_parse(const char *s, hull_err *err) HULL_WUR;
int hull_ns_clone_flag(enum hull_ns_type t);
/* The name of the /proc/PID/ns entry ("net", "mnt", ...). */
const char *hull_ns_proc_name(enum hull_ns_type t);
const char *hull_ns_spec_name(enum hull_ns_type t);

/* A parsed list of mount options (runc's set). */
struct hull_mount_opts {
  unsigned long flags;       /* MS_* to set */
  unsigned long clear;       /* MS_* explicitly cleared (rw, suid, ...) */
  unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
  bool bind, rbind;
  bool recursive_ro;         /* rro */
  bool tmpcopyup;
  bool idmap;                /* idmap or ridmap: an idmapped bind mount */
  char *data;                /* remaining fs-specific options joined with ',' (free it) */
};
int hull_mount_opts_parse(const char *const *opts, size_t n, struct hull_mount_opts *out, hull_err *err) HULL_WUR;

/* A cpu or memory-node list as cpuset takes it: "0-3,5,7-8" (the kernel's list format;
 * a trailing newline is fine). Numbers must be below max and ranges ascending; *highest
 * gets the highest number listed (-1 for an empty list). what names the field in errors. */
int hull_cpuset_parse(const char *s, int max, const char *what, int *highest, hull_err *err) HULL_WUR;
#define HULL_CPUSET_MAX_CPUS 8192 /* the kernel's NR_CPUS limit */
#define HULL_CPUSET_MAX_NODES 1024 /* MAX_NUMNODES */

/* "100", "100k", "64m", "1g" (binary units) -> bytes. */
int hull_size_parse(const char *s, int64_t *out, hull_err *err) HULL_WUR;

#endif
