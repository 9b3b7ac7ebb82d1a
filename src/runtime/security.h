/* The process's identity and privileges: rlimits, user and groups, capabilities,
 * no_new_privs, oom_score_adj. Called in the container's child in that order. */
#ifndef HULL_SECURITY_H
#define HULL_SECURITY_H

#include <stdbool.h>

#include "../common/error.h"
#include "spec.h"

int hull_apply_rlimits(const struct hull_process *p, hull_err *err) HULL_WUR;
int hull_apply_oom_score_adj(const struct hull_process *p, hull_err *err) HULL_WUR;
/* setgroups/setresgid/setresuid keeping capabilities across the uid change. */
int hull_apply_user(const struct hull_process *p, bool setgroups_allowed, hull_err *err) HULL_WUR;
/* The bounding set, while we still have CAP_SETPCAP (before the uid change). */
int hull_apply_bounding(const struct hull_process *p, hull_err *err) HULL_WUR;
/* After the uid change: effective/permitted/inheritable, then ambient. */
int hull_apply_caps(const struct hull_process *p, hull_err *err) HULL_WUR;
int hull_apply_no_new_privs(const struct hull_process *p, hull_err *err) HULL_WUR;
/* The highest capability the running kernel knows. */
int hull_cap_last_cap(void);

#endif
