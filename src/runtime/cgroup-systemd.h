/* The systemd cgroup driver (cgroup-systemd.c), for cgroup.c. Not for other modules: they
 * use cgroup.h. */
#ifndef HULL_CGROUP_SYSTEMD_H
#define HULL_CGROUP_SYSTEMD_H

#include "cgroup-fs.h"

extern const struct hull_cg_manager hull_cg_systemd;

/* Closes the driver's bus connection. */
void hull_cg_systemd_close(hull_cgroup *cg);
/* The driver's part of hull_cgroup_new: parses "slice:prefix:name", checks that systemd
 * runs the host and returns the scope's expected cgroup path (malloc'ed) and name. */
int hull_cg_systemd_resolve(const char *cgroups_path, const char *id, enum hull_cgroup_kind kind, char **path,
                            char **unit, hull_err *err);

#endif
