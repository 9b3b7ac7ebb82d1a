/* The resource writers of the cgroup manager (cgroup-resources.c), for the drivers in
 * cgroup.c and cgroup-systemd.c. Not for other modules: they use cgroup.h. */
#ifndef HULL_CGROUP_RESOURCES_H
#define HULL_CGROUP_RESOURCES_H

#include <stdbool.h>

#include <jansson.h>

#include "cgroup.h"

/* Applies an OCI linux.resources object (NULL: nothing). update: for checkBeforeUpdate. */
int hull_cg_apply_resources(hull_cgroup *cg, json_t *resources, bool update, hull_err *err) HULL_WUR;

#endif
