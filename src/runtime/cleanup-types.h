/* Cleanup attributes for the runtime's own types (common/cleanup.h has the generic ones
 * and hull_err's): `cleanup_state struct hull_state *st = NULL;` is freed at the end of
 * its scope unless moved out with steal_pointer. */
#ifndef HULL_RUNTIME_CLEANUP_TYPES_H
#define HULL_RUNTIME_CLEANUP_TYPES_H

#include "../common/cleanup.h"
#include "cgroup.h"
#include "seccomp.h"
#include "spec.h"
#include "status.h"

static inline void cleanup_statep(struct hull_state **st) { hull_state_free(*st); }
static inline void cleanup_cgroupp(hull_cgroup **cg) { hull_cgroup_free(*cg); }
static inline void cleanup_specp(struct hull_spec **s) { hull_spec_free(*s); }
static inline void cleanup_seccompp(hull_seccomp **s) { hull_seccomp_free(*s); }

#define cleanup_state __attribute__((cleanup(cleanup_statep)))
#define cleanup_cgroup __attribute__((cleanup(cleanup_cgroupp)))
#define cleanup_spec __attribute__((cleanup(cleanup_specp)))
#define cleanup_seccomp __attribute__((cleanup(cleanup_seccompp)))

#endif
