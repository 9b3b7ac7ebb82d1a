/* A container's network namespace, made before the container starts: a new namespace kept
 * alive by a bind mount of its nsfs file at a path, which the runtime joins
 * (linux.namespaces: {"type": "network", "path": ...}) and the network library wires
 * (hull_network_connect's netns_path). */
#ifndef HULL_NETWORK_NETNS_H
#define HULL_NETWORK_NETNS_H

#include "common/error.h"
#include "image/store.h"

struct hull_nl;

/* Records the path for ctr_id (s may be NULL: not recorded), then makes the namespace with
 * lo up. The caller's namespaces do not change (a thread of its own unshares). */
int hull_netns_create(hull_store *s, const char *ctr_id, const char *path, hull_err *err) HULL_WUR;
/* hull_netns_create that also gives the caller the netlink socket in the new namespace
 * which brought lo up (*nl, the caller closes it): no second thread to setns for one. */
int hull_netns_create_nl(hull_store *s, const char *ctr_id, const char *path, struct hull_nl **nl,
                         hull_err *err) HULL_WUR;
/* Unmounts and removes the path (the namespace ends with its last user); a missing path is
 * fine. The record, if any, goes with hull_network_disconnect / hull_network_gc. */
int hull_netns_remove(const char *path, hull_err *err) HULL_WUR;

#endif
