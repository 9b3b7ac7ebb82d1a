/* Linux security modules: the AppArmor profile and SELinux label of a container's process
 * (process.apparmorProfile, process.selinuxLabel, exec --apparmor / --process-label) and
 * the SELinux label of its mounts (linux.mountLabel).
 *
 * The runtime checks in its own process, before anything is created, that the host can
 * apply what the config asks for, and refuses it otherwise: a profile that silently does
 * not apply is a container that runs unconfined. The container's process then asks the
 * kernel to switch on its next execve (the attr/exec files of procfs, what libapparmor's
 * aa_change_onexec and libselinux's setexeccon write), always through the runtime's
 * verified procfs handle (procfs.h): a write that a container-controlled /proc redirected
 * to a planted file would leave the process unconfined (CVE-2019-16884). */
#ifndef HULL_RUNTIME_LSM_H
#define HULL_RUNTIME_LSM_H

#include <stdbool.h>

#include "../common/error.h"
#include "spec.h"

/* Whether the host enforces AppArmor (the module is enabled) or SELinux (selinuxfs is
 * mounted and a policy is loaded), as runc decides it. */
bool hull_lsm_apparmor_enabled_p(void);
bool hull_lsm_selinux_enabled_p(void);

/* Whether the process asks for an AppArmor profile or an SELinux label. */
bool hull_lsm_wanted_p(const struct hull_process *p);

/* In the runtime: refuses a profile or label the host cannot apply. */
int hull_lsm_check_process(const struct hull_process *p, hull_err *err) HULL_WUR;
/* In the runtime, for create/run: checks the process and linux.mountLabel, and adds the
 * mount label as context="LABEL" to the data of the mounts that take it. */
int hull_lsm_prepare(struct hull_spec *s, hull_err *err) HULL_WUR;

/* Whether a mount gets linux.mountLabel as its context= option: not binds (the kernel
 * ignores their data), not proc, sysfs and cgroup (SELinux refuses to relabel them), not
 * mqueue (runc labels it after mounting instead). */
bool hull_lsm_mount_takes_label_p(const struct hull_mount *m);
/* DATA (may be NULL) with ,context="LABEL" appended; NULL on ENOMEM. */
char *hull_lsm_mount_data(const char *data, const char *label) HULL_WUR;

/* In the container's process, before it joins its session keyring (new_keyring) and loads
 * seccomp: the SELinux key creation and exec labels and the AppArmor exec profile. */
int hull_lsm_apply(const struct hull_process *p, bool new_keyring, hull_err *err) HULL_WUR;

#endif
