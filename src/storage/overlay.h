/* A container's root filesystem: an overlay mount of the image's layers (read-only lower
 * directories) and a writable upper directory of the container's own.
 *
 *   <root>/overlay/l/<26 chars>     short names of layers: symlinks to ../../layers/<hex>/diff,
 *                                   so that 128 lower directories fit into the single page
 *                                   mount(2) copies its options from (as containers/storage)
 *   <root>/overlay/c/<id>/upper     the container's writes (absent when read-only)
 *   <root>/overlay/c/<id>/work      overlayfs' work directory
 *   <root>/overlay/empty            an empty lower, for a read-only mount of a single layer
 *   <root>/overlay/l/<26 chars>-i   the short name of an image's init layer (layers/<hex>/init,
 *                                   storage/initlayer.h), for HULL_OVERLAY_INIT
 *
 * The store records a container's storage (table storage, its layers in storage_layers)
 * before the directory is made: a crash leaves an "incomplete" row or a directory no row
 * names, and the collector removes both. Layers a container's storage uses are never
 * removed (rmi refuses, the collector keeps them).
 *
 * The functions that change the store (mount, remove) need it opened for writing
 * (HULL_STORE_WRITE): its shared lock keeps the collector away from a storage being made. */
#ifndef HULL_STORAGE_OVERLAY_H
#define HULL_STORAGE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"
#include "image/store.h"

/* Longest container id for the storage (Docker's ids are 64 hex digits). */
#define HULL_OVERLAY_ID_MAX 64

/* Mounts the container's root filesystem on target (an absolute path; created if missing):
 * layers are chain ids, top first. The first mount of a container records and creates its
 * storage; later ones (a restart) reuse the upper directory and must name the same layers.
 * read_only: no upper directory at all, the mount refuses every write. A target that is
 * mounted already gets a second mount on top: the caller knows whether it mounted it. */
int hull_overlay_mount(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                       bool read_only, hull_err *err) __attribute__((warn_unused_result));
/* A rootfs seen through a user namespace: the layers are idmapped mounts (their files
 * appear owned by the ids userns_fd maps them to; the shared layers are never chowned) and
 * the upper directory, made at the first mount, belongs to root_uid:root_gid, the host's
 * ids of the container's root. */
typedef struct hull_overlay_idmap {
  int userns_fd;
  uid_t root_uid;
  gid_t root_gid;
} hull_overlay_idmap;
/* The writable layer of a container that is removed when it ends (run --rm): overlay's
 * "volatile" option, as Podman's for --rm and CRI-O's for every container. Overlay then
 * skips every sync of the upper directory, above all the sync of the whole file system
 * under it when the last reference to the mount goes (0.3-2.8 ms per unmount here, with
 * a device cache flush). A host crash may leave such an upper directory inconsistent,
 * which for a container that is going to be removed costs nothing. */
#define HULL_OVERLAY_VOLATILE 0x1U
/* A container of the engine: its image's init layer (storage/initlayer.h, made at the
 * first such mount) goes between the layers and the upper directory, so that the mount
 * points of the engine's config exist without a write to the upper directory. The layers
 * recorded for the storage (hull_overlay_layers, diff, commit) stay the image's own. */
#define HULL_OVERLAY_INIT 0x2U
/* hull_overlay_mount, idmapped when idmap is not NULL, with HULL_OVERLAY_* flags. */
int hull_overlay_mount_ex(hull_store *s, const char *const *layers, size_t n, const char *ctr_id, const char *target,
                          bool read_only, const hull_overlay_idmap *idmap, unsigned flags, hull_err *err)
    __attribute__((warn_unused_result));
/* Unmounts target (lazily, as Docker does: a process still inside keeps its view). A
 * target that is not mounted is fine. */
int hull_overlay_unmount(const char *target, hull_err *err) __attribute__((warn_unused_result));
/* Forgets the container's storage and removes its upper and work directories. Unknown ids
 * are fine (removing twice is not an error). */
int hull_overlay_remove(hull_store *s, const char *ctr_id, hull_err *err) __attribute__((warn_unused_result));

/* The container's upper directory, "<root>/overlay/c/<id>/upper" (caller frees), or NULL
 * with ENOENT when the container has no (writable) storage. */
char *hull_overlay_upper_path(hull_store *s, const char *ctr_id, hull_err *err);
/* The layers (chain ids, top first, NULL-terminated; caller frees) of a container's storage. */
char **hull_overlay_layers(hull_store *s, const char *ctr_id, hull_err *err);

/* One change of `docker diff`: kind 'A' (added), 'C' (changed) or 'D' (deleted). */
typedef struct hull_change {
  char kind;
  char *path; /* absolute, inside the container */
} hull_change;
void hull_changes_free(hull_change *c, size_t n);
/* The container's changes against its layers, in Docker's order and with its rules (a
 * directory is 'C' when something below it was added or deleted; an opaque directory
 * that hides one below is 'D', its new contents 'A'). */
int hull_overlay_diff(hull_store *s, const char *ctr_id, hull_change **out, size_t *n, hull_err *err)
    __attribute__((warn_unused_result));
/* The same for an upper directory and lower directories (top first) given by fd. */
int hull_changes_at(int upperfd, const int *lowerfds, size_t n_lower, hull_change **out, size_t *n, hull_err *err)
    __attribute__((warn_unused_result));

/* Called by the store's collector (the store is idle): incomplete storage rows, storage
 * directories no row names and short names of layers that are gone. */
int hull_overlay_collect(hull_store *s, unsigned *removed, hull_err *err) __attribute__((warn_unused_result));

/* Sets id to the short name of a layer (26 characters of base32 from the chain id). */
void hull_overlay_short_id(const char *chain_id, char id[27]);

#endif
