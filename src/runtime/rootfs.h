/* The container's filesystem view: mounts, devices, pivot_root, masked and
 * read-only paths, sysctl, console. Every path inside the rootfs is resolved by
 * fd with openat2(RESOLVE_IN_ROOT): the rootfs is untrusted, config.json is not. */
#ifndef HULL_ROOTFS_H
#define HULL_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "cgroup.h"
#include "spec.h"

struct hull_rootfs_opts {
  bool no_pivot;
  /* No mount namespace of our own (the runtime's, or one joined by path): the mounts are
   * made there, without changing its propagation, and the process is chrooted. */
  bool shared_mntns;
  bool in_userns;   /* a new user namespace: devices are bind-mounted, not created */
  bool new_netns;   /* sysfs can be mounted fresh only in an own network namespace */
  bool new_cgroupns;
  /* Called before the first cgroup mount: the mount shows the cgroup the process is
   * in, so the init must have been moved into its own by then. */
  int (*before_cgroup_mount)(void *arg, hull_err *err);
  void *arg;
  /* With a user namespace whose root may not traverse the directories above the bundle
   * (a 0700 parent): the rootfs relative to the cwd the init took before it dropped into
   * the user namespace ("rootfs"), and per entry of spec->mounts, a detached clone of its
   * bind source opened then (open_tree), or -1. NULL: the paths of config.json. */
  const char *root;
  const int *tree_fds;
  /* The container's cgroup: a cgroup mount without a cgroup namespace binds its
   * directories, known before the init is moved into it (no need to wait). */
  const struct hull_cgroup *cg;
  /* Set when the container joins an existing pid namespace: proc mounts show that one
   * (an fd), mounted from outside it (hull_procfs_mount_of). NULL: our own. */
  const int *proc_pidns;
};

/* Before pivot_root: propagation, the rootfs bind, every mount, devices. */
int hull_rootfs_prepare(const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) HULL_WUR;
/* pivot_root (or MS_MOVE + chroot with no_pivot) into the prepared rootfs. */
int hull_rootfs_pivot(const struct hull_spec *s, const struct hull_rootfs_opts *o, hull_err *err) HULL_WUR;
/* After pivot_root: masked/readonly paths, sysctl, root.readonly, propagation. */
int hull_rootfs_finalize(const struct hull_spec *s, hull_err *err) HULL_WUR;
/* Bind-mounts the pty slave (an fd) on /dev/console inside the new root. */
int hull_rootfs_setup_console(int slave_fd, hull_err *err) HULL_WUR;

/* Before the init drops into a user namespace, as host root: changes to the rootfs's
 * parent directory and puts the rootfs's name in root (for hull_rootfs_opts.root), and opens
 * a detached clone of every bind source into tree_fds (one per spec->mounts) where it
 * holds -1 (an idmapped one may be there already); the others stay -1. */
int hull_rootfs_open_host_side(const struct hull_spec *s, int *tree_fds, char *root, size_t root_len,
                               hull_err *err);
/* The id of the mount at the top of path (statx STATX_MNT_ID), or 0. */
uint64_t hull_mount_id(const char *path);
/* Detaches the rootfs bind a container without a mount namespace left in ours, if the
 * mount at the top of root_path is still that one (mount_id). */
int hull_rootfs_release_host_mount(const char *root_path, uint64_t mount_id, hull_err *err);

/* Resolves path under rootfd with RESOLVE_IN_ROOT; creates missing directories
 * (and the last component as a file when create_file) if create is set.
 * Returns an O_PATH fd. */
int hull_open_in_root(int rootfd, const char *path, bool create, bool create_file, hull_err *err) HULL_WUR;

#endif
