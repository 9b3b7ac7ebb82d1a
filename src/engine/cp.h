/* `hull cp`: copying files between a container's root filesystem and the host, in both
 * directions, as files or as tar streams.
 *
 * The container is hostile while the copy runs (CVE-2018-15664: it may swap a directory
 * with a symlink to "/" at any moment). Every path inside the container is therefore
 * resolved by file descriptor beneath the rootfs (hull_openat_in_root: absolute symlinks
 * and ".." stop at the rootfs), and everything below a resolved directory is opened one
 * component at a time with O_NOFOLLOW relative to a descriptor already held, so that no
 * swap can lead the copy outside the rootfs mount. Nothing of the container's is ever
 * executed or loaded (CVE-2019-14271): the copy runs in hull's own process, in the host's
 * mount namespace, with no chroot and no name-service lookups. */
#ifndef HULL_ENGINE_CP_H
#define HULL_ENGINE_CP_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/idmap.h"

typedef struct hull_cp_opts {
  bool archive; /* -a: keep the source's uid/gid (otherwise uid/gid below) */
  bool follow;  /* -L: follow a symlink named as the source */
  uid_t uid;    /* owner of what is created when !archive: a host id out, a container id in */
  gid_t gid;
  /* A user-namespaced container's maps (NULL for none): its files have the mapped host ids
   * on disk. Out of it, the ids of a tar stream (and of -a) are the ones the container sees
   * (an unmapped one is the overflow id 65534); into it, the container ids (uid/gid above,
   * or the source's with -a) become host ids, and an id it does not map is refused. */
  const hull_idmaps *ids;
} hull_cp_opts;

/* Copies SRC (a path inside the root filesystem open as rootfd) to DEST on the host, or as
 * a tar stream to outfd when dest is "-". */
int hull_cp_out(int rootfd, const char *src, const char *dest, int outfd, const hull_cp_opts *o,
                hull_err *err) HULL_WUR;
/* Copies SRC on the host (or a tar stream read from infd when src is "-") to DEST inside
 * the root filesystem open as rootfd. */
int hull_cp_in(int rootfd, const char *src, int infd, const char *dest, const hull_cp_opts *o, hull_err *err) HULL_WUR;

#endif
