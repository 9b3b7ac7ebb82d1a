/* cgroup v2 device control (cgroup-devices.c), for the resource writers. */
#ifndef HULL_CGROUP_DEVICES_H
#define HULL_CGROUP_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/error.h"

/* One device cgroup rule, parsed (cgroup-resources.c) for the v2 eBPF program. */
struct hull_dev_match {
  bool allow;
  char type;       /* 'a', 'b' or 'c' */
  long long major; /* -1: any */
  long long minor; /* -1: any */
  unsigned access; /* BPF_DEVCG_ACC_*: 1 mknod, 2 read, 4 write */
};
/* Compiles the rules (last match wins, no match denies) into a BPF_PROG_TYPE_CGROUP_DEVICE
 * program, attaches it to dir, and detaches any program attached there before (update). */
int hull_cg_devices_bpf(const char *dir, const struct hull_dev_match *rules, size_t n, hull_err *err) HULL_WUR;

#endif
