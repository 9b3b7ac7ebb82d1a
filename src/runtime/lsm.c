/* AppArmor profiles and SELinux labels (see lsm.h for why it is done this way). */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "procfs.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

static bool set_p(const char *s) { return s != NULL && *s != '\0'; }

bool hull_lsm_apparmor_enabled_p(void) {
  /* runc's test: the module is built in and enabled ("Y"). securityfs need not be
   * mounted for the kernel to apply a profile, so that is not required here. */
  char buf[4] = "";
  cleanup_close int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == 'Y';
}

bool hull_lsm_selinux_enabled_p(void) {
  /* go-selinux's test, as runc uses it: selinuxfs is mounted, and the process has a
   * label other than "kernel" (which is all there is before a policy is loaded). */
  static const char *const mounts[] = {"/sys/fs/selinux", "/selinux"};
  bool fs = false;
  for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]) && !fs; i++) {
    struct statfs sfs;
    fs = statfs(mounts[i], &sfs) == 0 && sfs.f_type == (typeof(sfs.f_type))SELINUX_MAGIC;
  }
  if (!fs)
    return false;
  hull_err e = NULL;
  size_t len = 0;
  cleanup_free char *cur = hull_procfs_read("thread-self/attr/current", &len, &e);
  hull_error_release(&e);
  return cur != NULL && len > 0 && strncmp(cur, "kernel", len) != 0 && strncmp(cur, "kernel\n", len) != 0;
}

bool hull_lsm_wanted_p(const struct hull_process *p) { return set_p(p->apparmor_profile) || set_p(p->selinux_label); }

int hull_lsm_check_process(const struct hull_process *p, hull_err *err) {
  /* runc's words, so that people who search for them find the same explanation. */
  if (set_p(p->selinux_label) && !hull_lsm_selinux_enabled_p())
    return hull_error(err, 0, "selinux label is specified in config, but selinux is disabled or not supported");
  /* runc fails here too, later and less clearly ("unable to apply apparmor profile: ...
   * write /proc/self/attr/exec: invalid argument"): engines (Docker, containerd, Podman)
   * ask for a profile only where the host has AppArmor. */
  if (set_p(p->apparmor_profile) && !hull_lsm_apparmor_enabled_p())
    return hull_error(err, 0, "apparmor profile \"%s\" is specified, but apparmor is disabled or not supported",
                      p->apparmor_profile);
  return 0;
}

bool hull_lsm_mount_takes_label_p(const struct hull_mount *m) {
  static const char *const unlabeled[] = {"proc", "sysfs", "cgroup", "cgroup2", "mqueue"};
  if (m->bind || m->type == NULL)
    return false;
  for (size_t i = 0; i < sizeof(unlabeled) / sizeof(unlabeled[0]); i++)
    if (strcmp(m->type, unlabeled[i]) == 0)
      return false;
  return true;
}

char *hull_lsm_mount_data(const char *data, const char *label) {
  char *out = NULL;
  /* Quoted: an MCS label has commas ("s0:c1,c2"), which would split mount options. */
  if (asprintf(&out, "%s%scontext=\"%s\"", set_p(data) ? data : "", set_p(data) ? "," : "", label) < 0)
    return NULL;
  return out;
}

int hull_lsm_prepare(struct hull_spec *s, hull_err *err) {
  if (hull_lsm_check_process(&s->process, err) < 0)
    return -1;
  if (!set_p(s->mount_label))
    return 0;
  /* runc passes context= even without SELinux and the first tmpfs mount fails with
   * EINVAL; this says why. */
  if (!hull_lsm_selinux_enabled_p())
    return hull_error(err, 0, "linux.mountLabel is specified in config, but selinux is disabled or not supported");
  if (strchr(s->mount_label, '"') != NULL)
    return hull_error(err, EINVAL, "linux.mountLabel \"%s\"", s->mount_label);
  for (size_t i = 0; i < s->n_mounts; i++) {
    struct hull_mount *m = &s->mounts[i];
    if (!hull_lsm_mount_takes_label_p(m))
      continue;
    char *data = hull_lsm_mount_data(m->data, s->mount_label);
    if (data == NULL)
      return hull_error(err, ENOMEM, "mount %s", m->destination);
    free(m->data);
    m->data = data;
  }
  return 0;
}

/* Writes VALUE to the procfs attribute file PATH (under /proc). */
static int write_attr(const char *path, const char *value, hull_err *err) {
  cleanup_close int fd = hull_procfs_open(path, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (hull_write_all(fd, value, strlen(value)) < 0)
    return hull_error_sys(err, "write /proc/%s", path);
  return 0;
}

static int apply_apparmor(const char *profile, hull_err *err) {
  cleanup_free char *value = NULL;
  if (asprintf(&value, "exec %s", profile) < 0)
    return hull_error(err, ENOMEM, "apparmor profile %s", profile);
  /* The AppArmor-specific file first (Linux 5.8, LSM stacking); the shared one (the
   * first module's) before that. */
  const char *path = "thread-self/attr/apparmor/exec";
  cleanup_close int fd = hull_procfs_open(path, O_WRONLY, err);
  if (fd < 0 && (*err)->errno_ == ENOENT) {
    hull_error_release(err);
    path = "thread-self/attr/exec";
    fd = hull_procfs_open(path, O_WRONLY, err);
  }
  if (fd < 0)
    return hull_error_wrap(err, "apply apparmor profile \"%s\"", profile);
  if (hull_write_all(fd, value, strlen(value)) < 0) {
    /* The module answers ENOENT for a profile it does not know. */
    if (errno == ENOENT)
      return hull_error(err, ENOENT, "apply apparmor profile \"%s\": no such profile is loaded", profile);
    return hull_error_sys(err, "apply apparmor profile \"%s\": write /proc/%s", profile, path);
  }
  return 0;
}

int hull_lsm_apply(const struct hull_process *p, bool new_keyring, hull_err *err) {
  if (set_p(p->selinux_label)) {
    /* The session keyring the process joins next is labeled like the process, as runc
     * does (the label resets at execve). */
    if (new_keyring && write_attr("thread-self/attr/keycreate", p->selinux_label, err) < 0)
      return hull_error_wrap(err, "apply selinux label \"%s\" to the session keyring", p->selinux_label);
    if (write_attr("thread-self/attr/exec", p->selinux_label, err) < 0)
      return hull_error_wrap(err, "apply selinux label \"%s\"", p->selinux_label);
  }
  if (set_p(p->apparmor_profile) && apply_apparmor(p->apparmor_profile, err) < 0)
    return -1;
  return 0;
}
