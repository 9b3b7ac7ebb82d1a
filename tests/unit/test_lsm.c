#include <stdlib.h>
#include <string.h>

#include "runtime/lsm.h"
#include "tap.h"

static bool data_is(const char *data, const char *label, const char *want) {
  char *got = hull_lsm_mount_data(data, label);
  bool same = got != NULL && strcmp(got, want) == 0;
  if (!same)
    printf("# got [%s], want [%s]\n", got ? got : "(null)", want);
  free(got);
  return same;
}

static bool takes(const char *type, bool bind) {
  struct hull_mount m = {.type = (char *)type, .bind = bind};
  return hull_lsm_mount_takes_label_p(&m);
}

int main(void) {
  const char *l = "system_u:object_r:container_file_t:s0:c1,c2";
  ok(data_is(NULL, l, "context=\"system_u:object_r:container_file_t:s0:c1,c2\""),
     "mount label without data: context= alone, quoted (the MCS part has a comma)");
  ok(data_is("", l, "context=\"system_u:object_r:container_file_t:s0:c1,c2\""), "empty data counts as none");
  ok(data_is("mode=755,size=65536k", l, "mode=755,size=65536k,context=\"system_u:object_r:container_file_t:s0:c1,c2\""),
     "mount label after existing data, comma-separated");
  ok(takes("tmpfs", false) && takes("devpts", false) && takes("shm", false),
     "tmpfs, devpts and other filesystems get the mount label");
  ok(!takes("proc", false) && !takes("sysfs", false) && !takes("cgroup", false) && !takes("cgroup2", false) &&
         !takes("mqueue", false),
     "proc, sysfs, cgroup, cgroup2 and mqueue do not (as in runc)");
  ok(!takes("bind", true) && !takes(NULL, true) && !takes(NULL, false), "binds and typeless mounts do not");
  struct hull_process p = {0};
  ok(!hull_lsm_wanted_p(&p), "no profile, no label: nothing wanted");
  p.apparmor_profile = (char *)"";
  p.selinux_label = (char *)"";
  ok(!hull_lsm_wanted_p(&p), "empty profile and label: nothing wanted");
  p.apparmor_profile = (char *)"docker-default";
  ok(hull_lsm_wanted_p(&p), "a profile is wanted");
  p.apparmor_profile = NULL;
  p.selinux_label = (char *)"system_u:system_r:container_t:s0";
  ok(hull_lsm_wanted_p(&p), "a label is wanted");
  return tap_done();
}
