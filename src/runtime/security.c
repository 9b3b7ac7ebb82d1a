#include "security.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/util.h"
#include "names.h"
#include "procfs.h"

int hull_cap_last_cap(void) {
  static int last = -1;
  if (last >= 0)
    return last;
  char buf[16] = {0};
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    if (read(fd, buf, sizeof(buf) - 1) > 0)
      last = atoi(buf);
    close(fd);
  }
  if (last <= 0)
    last = CAP_LAST_CAP;
  return last;
}

int hull_apply_rlimits(const struct hull_process *p, hull_err *err) {
  for (size_t i = 0; i < p->n_rlimits; i++) {
    struct rlimit rl = {.rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard};
    if (setrlimit(p->rlimits[i].resource, &rl) < 0) {
      int e = errno;
      const char *name = hull_rlimit_name(p->rlimits[i].resource);
      struct rlimit now = {0};
      /* The usual refusal: raising the hard limit above the runtime's own needs
       * CAP_SYS_RESOURCE, so say what the limit is. */
      bool above = e == EPERM && getrlimit(p->rlimits[i].resource, &now) == 0 && rl.rlim_max > now.rlim_max;
      errno = e;
      if (above)
        return hull_error_sys(err, "setrlimit RLIMIT_%s (soft %llu, hard %llu) above the runtime's hard limit %llu",
                              name ? name : "?", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
                              (unsigned long long)now.rlim_max);
      return hull_error_sys(err, "setrlimit RLIMIT_%s (soft %llu, hard %llu)", name ? name : "?",
                            (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
  }
  return 0;
}

int hull_apply_oom_score_adj(const struct hull_process *p, hull_err *err) {
  if (!p->has_oom_score_adj)
    return 0;
  char buf[16];
  int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
  return hull_procfs_write("self/oom_score_adj", buf, (size_t)n, err) < 0
             ? hull_error_wrap(err, "set process.oomScoreAdj %d", p->oom_score_adj)
             : 0;
}

int hull_apply_user(const struct hull_process *p, bool setgroups_allowed, hull_err *err) {
  if (setgroups_allowed) {
    if (setgroups(p->n_additional_gids, p->additional_gids) < 0)
      return hull_error_sys(err, "setgroups (process.user.additionalGids)");
  } else if (p->n_additional_gids > 0) {
    return hull_error(err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return hull_error_sys(err, "prctl PR_SET_KEEPCAPS");
  /* Raw syscalls: glibc's setresuid signals every thread, which we do not have, and
   * must not allocate here. */
  if (syscall(SYS_setresgid, p->gid, p->gid, p->gid) < 0)
    return hull_error_sys(err, "setresgid %u (process.user.gid)", p->gid);
  if (syscall(SYS_setresuid, p->uid, p->uid, p->uid) < 0)
    return hull_error_sys(err, "setresuid %u (process.user.uid)", p->uid);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return hull_error_sys(err, "prctl PR_SET_KEEPCAPS");
  return 0;
}

int hull_apply_bounding(const struct hull_process *p, hull_err *err) {
  const struct hull_caps *c = &p->caps;
  int last = hull_cap_last_cap();
  /* Without a capabilities object the process keeps nothing: an unprivileged
   * container is the safe default. */
  uint64_t bounding = c->set ? c->bounding : 0;
  for (int cap = 0; cap <= last; cap++) {
    if (bounding & (1ULL << cap))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      return hull_error_sys(err, "drop %s from the bounding set", hull_cap_name(cap) ? hull_cap_name(cap) : "?");
  }
  return 0;
}

int hull_apply_caps(const struct hull_process *p, hull_err *err) {
  const struct hull_caps *c = &p->caps;
  int last = hull_cap_last_cap();
  uint64_t known = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  uint64_t eff = (c->set ? c->effective : 0) & known, prm = (c->set ? c->permitted : 0) & known,
           inh = (c->set ? c->inheritable : 0) & known;
  data[0].effective = (uint32_t)eff;
  data[1].effective = (uint32_t)(eff >> 32);
  data[0].permitted = (uint32_t)prm;
  data[1].permitted = (uint32_t)(prm >> 32);
  data[0].inheritable = (uint32_t)inh;
  data[1].inheritable = (uint32_t)(inh >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0)
    return hull_error_sys(err, "capset (process.capabilities)");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return hull_error_sys(err, "clear ambient capabilities");
  /* The kernel keeps an ambient capability only if it is permitted and inheritable;
   * runc's default spec asks for ambient capabilities without inheritable ones and
   * runc silently leaves them out: do the same instead of failing the container. */
  uint64_t amb = (c->set ? c->ambient : 0) & known & prm & inh;
  for (int cap = 0; cap <= last; cap++) {
    if (!(amb & (1ULL << cap)))
      continue;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return hull_error_sys(err, "raise ambient capability %s", hull_cap_name(cap));
  }
  return 0;
}

int hull_apply_no_new_privs(const struct hull_process *p, hull_err *err) {
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return hull_error_sys(err, "prctl PR_SET_NO_NEW_PRIVS");
  return 0;
}
