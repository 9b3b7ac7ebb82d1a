/* Namespaces: opening and checking namespace files, id maps and time offsets, and the
 * short-lived helpers that make or read a user namespace. Internal to the runtime. */
#ifndef HULL_NAMESPACES_H
#define HULL_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "../common/error.h"
#include "spec.h"

/* Opens a namespace path and checks it is of the expected type. */
int hull_ns_open(const char *path, enum hull_ns_type t, hull_err *err) HULL_WUR;
/* Brings the loopback interface of the caller's network namespace up, as runc and crun do
 * in a network namespace they create (Docker's --network none is lo alone, up). */
int hull_ns_loopback_up(hull_err *err) HULL_WUR;
/* Joins the pid and time namespaces in ns_fds (closing them): they apply to our future
 * children, so the process cloned next is born inside. Only the runtime's own children
 * call this (a first stage): the library's caller is never moved. spec (may be NULL)
 * names the paths in errors. */
int hull_ns_join_for_children(int ns_fds[HULL_NS_COUNT], const struct hull_spec *spec, hull_err *err) HULL_WUR;
/* Writes /proc/PID/uid_map or gid_map (file) of pid. */
int hull_ns_write_id_map(pid_t pid, const char *file, const struct hull_id_map *m, size_t n, hull_err *err) HULL_WUR;
/* Writes linux.timeOffsets (may be NULL: nothing) to our time namespace for children. */
int hull_ns_write_time_offsets(json_t *offsets, hull_err *err) HULL_WUR;
/* The maps of a user namespace joined by path, read by a short-lived child that joins it
 * (a process reading its own uid_map sees the ids of the namespace's parent: ours). The
 * caller is left as it was. Best effort: false on any failure. */
bool hull_ns_joined_userns_maps(int userns_fd, struct hull_id_map um[8], size_t *nu, struct hull_id_map gm[8],
                                size_t *ng);
/* A user namespace with these maps (for idmapped mounts): a child is cloned into it, the
 * maps are written, its namespace is opened, and it exits. */
int hull_ns_idmap_userns(const struct hull_id_map *um, size_t nu, const struct hull_id_map *gm, size_t ng,
                         hull_err *err) HULL_WUR;

#endif
