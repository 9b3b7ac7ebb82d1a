/* User namespaces of engine containers: --userns host|auto[:size=N]|ns:PATH and
 * --uidmap/--gidmap CONTAINER:HOST:SIZE (podman's flags; Docker knows only host).
 *
 * auto takes a range of host ids per container from the pool of user "containers" in
 * /etc/subuid and /etc/subgid (podman's), or from a built-in pool when that user has none.
 * The range is chosen and recorded (store table userns_ranges) in one write transaction, so
 * that two creates never get overlapping ranges; the row goes with the container's (rm).
 *
 * The image's layers are shared and never chowned: the rootfs is an overlay of idmapped
 * mounts of the layers (storage/overlay.c), so that their files appear owned by the mapped
 * ids; the container's upper directory is owned by the mapped root. Bind mounts (volumes)
 * keep their host ownership. */
#ifndef HULL_ENGINE_USERNS_H
#define HULL_ENGINE_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/idmap.h"
#include "engine/engine.h"

#define HULL_IDMAP_MAX 16
/* --userns auto without size=: enough for the ids of common images (nobody is 65534). */
#define HULL_USERNS_AUTO_SIZE 65536

typedef struct hull_userns {
  bool on;          /* the container has a user namespace: its own, or path's */
  const char *path; /* ns:PATH, NULL for a namespace of its own */
  hull_idmap uid[HULL_IDMAP_MAX], gid[HULL_IDMAP_MAX];
  size_t n_uid, n_gid;
} hull_userns;

/* CONTAINER:HOST:SIZE; -1 (no error object: the flag parser names the flag) if malformed,
 * empty or past 2^32. */
int hull_idmap_parse(const char *v, hull_idmap *m);
/* The --userns values hull takes: "", host, auto, auto:size=N, ns:PATH. */
bool hull_userns_mode_valid(const char *v);

/* At create, once the container's row exists: --userns auto gets its range. Status 125 when
 * the pool has no room. */
int hull_ctr_userns_alloc(hull_engine *e, const hull_ctr *c, hull_err *err) HULL_WUR;
/* The container's user namespace and its maps (u->on false: none). For ns:PATH the maps are
 * read from the namespace itself. */
int hull_ctr_userns(hull_engine *e, const hull_ctr *c, hull_userns *u, hull_err *err) HULL_WUR;
/* A file descriptor of a user namespace with u's maps (for mount_setattr MOUNT_ATTR_IDMAP):
 * path's namespace, or a new one made by a short-lived child. */
int hull_userns_fd(const hull_userns *u, hull_err *err) HULL_WUR;
/* u's maps as a view (valid while u is). */
static inline hull_idmaps hull_userns_maps(const hull_userns *u) {
  return (hull_idmaps){.uid = u->uid, .gid = u->gid, .n_uid = u->n_uid, .n_gid = u->n_gid};
}

#endif
