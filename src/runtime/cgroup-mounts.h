#pragma once

/* The host's cgroup mounts without reading all of /proc/self/mountinfo (see
 * cgroup-mounts.c). */

/* Sets *out to mountinfo lines (malloc'd) of the cgroup and cgroup2 mounts at
 * /sys/fs/cgroup and directly below it, and returns their number; -1 when the kernel
 * lacks listmount/statmount or anything unexpected happens, and then the caller reads
 * /proc/self/mountinfo. */
int hull_cg_mounts_list(char **out) __attribute__((warn_unused_result));
