/* The cgroup mounts, listed through listmount(2)/statmount(2) (Linux 6.8; the options
 * since 6.10) instead of /proc/self/mountinfo. The kernel prints every mount of the
 * namespace into mountinfo, with each overlay's option string escaped byte by byte: with
 * a few hundred containers running (an overlay each) reading it took milliseconds of
 * system time, 11% of all CPU of a `run --rm` in a profile taken beside a podman suite
 * (bench/README.md, "Session 9"), and every container's create read it. Here only the
 * mount at /sys/fs/cgroup and its children are asked for, whatever else is mounted.
 *
 * The result is text in mountinfo's format (only the fields the layout parsers read are
 * real), so that both parsers (cgroup.c's layout, rootfs.c's cgroup mount) stay as they
 * are. Any surprise returns -1 and the caller reads mountinfo as before. */
#include "cgroup-mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/cleanup.h"

/* The kernel's ABI (include/uapi/linux/mount.h of 6.10), which Debian's headers predate. */
#ifndef SYS_statmount
#define SYS_statmount 457
#define SYS_listmount 458
#endif
#define HULL_STATX_MNT_ID_UNIQUE 0x4000U
#define HULL_STATMOUNT_MNT_BASIC 0x2U
#define HULL_STATMOUNT_MNT_ROOT 0x8U
#define HULL_STATMOUNT_MNT_POINT 0x10U
#define HULL_STATMOUNT_FS_TYPE 0x20U
#define HULL_STATMOUNT_MNT_OPTS 0x80U
#define HULL_MNT_ID_REQ_SIZE_VER0 24

struct hull_mnt_id_req {
  uint32_t size;
  uint32_t spare;
  uint64_t mnt_id;
  uint64_t param;
};

struct hull_statmount {
  uint32_t size;
  uint32_t mnt_opts;
  uint64_t mask;
  uint32_t sb_dev_major;
  uint32_t sb_dev_minor;
  uint64_t sb_magic;
  uint32_t sb_flags;
  uint32_t fs_type;
  uint64_t mnt_id;
  uint64_t mnt_parent_id;
  uint32_t mnt_id_old;
  uint32_t mnt_parent_id_old;
  uint64_t mnt_attr;
  uint64_t mnt_propagation;
  uint64_t mnt_peer_group;
  uint64_t mnt_master;
  uint64_t propagate_from;
  uint32_t mnt_root;
  uint32_t mnt_point;
  uint64_t spare2[50];
  char str[];
};

#define MAX_CHILDREN 64
#define SM_BUF 4096

/* Writes s with mountinfo's octal escapes (space, tab, newline, backslash), which the
 * parsers undo. */
static void put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
      fprintf(f, "\\%03o", (unsigned char)*s);
    else
      fputc(*s, f);
  }
}

/* One mountinfo line for mount id if it is a cgroup or cgroup2 mount: 1 when written, 0
 * when it is another file system, -1 when statmount did not give what is needed. */
static int put_mount(FILE *f, uint64_t id, struct hull_statmount *sm) {
  struct hull_mnt_id_req req = {.size = HULL_MNT_ID_REQ_SIZE_VER0, .mnt_id = id};
  uint64_t want = HULL_STATMOUNT_MNT_BASIC | HULL_STATMOUNT_MNT_ROOT | HULL_STATMOUNT_MNT_POINT |
                  HULL_STATMOUNT_FS_TYPE | HULL_STATMOUNT_MNT_OPTS;
  req.param = want;
  memset(sm, 0, sizeof(*sm));
  if (syscall(SYS_statmount, &req, sm, SM_BUF, 0) < 0)
    return -1;
  /* Without the file system type nothing is known; without the options (before 6.10) a
   * v1 hierarchy's controllers are not either. */
  if ((sm->mask & (want & ~HULL_STATMOUNT_MNT_OPTS)) != (want & ~HULL_STATMOUNT_MNT_OPTS))
    return -1;
  const char *fstype = sm->str + sm->fs_type;
  bool v2 = strcmp(fstype, "cgroup2") == 0;
  if (!v2 && strcmp(fstype, "cgroup") != 0)
    return 0;
  /* The kernel leaves the options out when there are none (a cgroup2 mount without
   * nsdelegate): a v1 hierarchy always has some (its controllers or its name), so one
   * without them is a kernel before 6.10, which cannot say. */
  if (!(sm->mask & HULL_STATMOUNT_MNT_OPTS) && !v2)
    return -1;
  fprintf(f, "%u %u 0:0 ", sm->mnt_id_old, sm->mnt_parent_id_old);
  put_escaped(f, sm->str + sm->mnt_root);
  fputc(' ', f);
  put_escaped(f, sm->str + sm->mnt_point);
  /* The per-mount flags are not read by the parsers; the super options are "rw" or "ro"
   * and what the file system shows (the controllers of a v1 hierarchy). */
  const char *opts = sm->mask & HULL_STATMOUNT_MNT_OPTS ? sm->str + sm->mnt_opts : "";
  fprintf(f, " rw - %s %s %s%s%s\n", fstype, fstype, "rw", opts[0] ? "," : "", opts);
  return 1;
}

int hull_cg_mounts_list(char **out) {
  struct statx stx;
  if (statx(AT_FDCWD, "/sys/fs/cgroup", AT_SYMLINK_NOFOLLOW, HULL_STATX_MNT_ID_UNIQUE, &stx) < 0 ||
      !(stx.stx_mask & HULL_STATX_MNT_ID_UNIQUE))
    return -1;
  uint64_t top = stx.stx_mnt_id;
  /* Only if /sys/fs/cgroup is itself a mount point: else its "mount" is /sys or /. */
  struct hull_mnt_id_req req = {.size = HULL_MNT_ID_REQ_SIZE_VER0, .mnt_id = top};
  uint64_t ids[MAX_CHILDREN];
  long n = syscall(SYS_listmount, &req, ids, MAX_CHILDREN, 0);
  if (n < 0 || n >= MAX_CHILDREN)
    return -1;
  cleanup_free struct hull_statmount *sm = malloc(SM_BUF);
  char *text = NULL;
  size_t len = 0;
  FILE *f = sm ? open_memstream(&text, &len) : NULL;
  if (f == NULL)
    return -1;
  int found = 0, rc = put_mount(f, top, sm);
  if (rc >= 0 && strcmp(sm->str + sm->mnt_point, "/sys/fs/cgroup") != 0)
    rc = -1; /* /sys/fs/cgroup is no mount point of its own: a layout of another kind */
  found += rc > 0;
  for (long i = 0; rc >= 0 && i < n; i++)
    found += (rc = put_mount(f, ids[i], sm)) > 0;
  if (fclose(f) != 0 || rc < 0) {
    free(text);
    return -1;
  }
  *out = text;
  return found;
}
