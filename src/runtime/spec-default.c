/* The default config.json of `hull-runtime spec`, the same container as `runc spec`:
 * sh with a terminal, a read-only busybox-style rootfs, the usual pseudo
 * filesystems, the default capabilities, masked and read-only /proc paths. */
#include <string.h>
#include <unistd.h>

#include "hull-config.h"
#include "spec.h"

json_t *hull_spec_default(bool rootless) {
  json_t *caps = json_pack("[sss]", "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
  json_t *j = json_pack(
      "{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[ss], s:s, s:{s:O, s:O, s:O}, s:[{s:s, s:i, s:i}], s:b}, "
      "s:{s:s, s:b}, s:s, "
      "s:[{s:s, s:s, s:s},"
      "   {s:s, s:s, s:s, s:[ssss]},"
      "   {s:s, s:s, s:s, s:[ssssss]},"
      "   {s:s, s:s, s:s, s:[sssss]},"
      "   {s:s, s:s, s:s, s:[sss]},"
      "   {s:s, s:s, s:s, s:[ssss]},"
      "   {s:s, s:s, s:s, s:[sssss]}],"
      " s:{s:{}, s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:[sssssssssss], s:[ssssss]}}",
      "ociVersion", HULL_OCI_SPEC, "process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd", "/", "capabilities",
      "bounding", caps, "effective", caps, "permitted", caps, "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
      1024, "noNewPrivileges", 1, "root", "path", "rootfs", "readonly", 1, "hostname", "hull", "mounts", "destination",
      "/proc", "type", "proc", "source", "proc", "destination", "/dev", "type", "tmpfs", "source", "tmpfs", "options",
      "nosuid", "strictatime", "mode=755", "size=65536k", "destination", "/dev/pts", "type", "devpts", "source",
      "devpts", "options", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "destination",
      "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
      "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue", "options", "nosuid", "noexec", "nodev",
      "destination", "/sys", "type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec", "nodev", "ro",
      "destination", "/sys/fs/cgroup", "type", "cgroup", "source", "cgroup", "options", "nosuid", "noexec", "nodev",
      "relatime", "ro", "linux", "resources", "namespaces", "type", "pid", "type", "network", "type", "ipc", "type",
      "uts", "type", "mount", "maskedPaths", "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
      "/proc/scsi", "/sys/devices/virtual/powercap", "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq",
      "/proc/sys", "/proc/sysrq-trigger", "/proc/interrupts");
  json_decref(caps);
  if (j == NULL)
    return NULL;
  json_t *linux_ = json_object_get(j, "linux");
  json_t *ns = json_object_get(linux_, "namespaces");
  json_object_set_new(json_object_get(linux_, "resources"), "devices",
                      json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
  if (rootless) {
    /* As `runc spec --rootless`: a user namespace mapping root to the caller, no
     * network namespace (an unprivileged user could not wire it), /sys bound from
     * the host (sysfs cannot be mounted without an own network namespace) and no
     * gid= for devpts (gid 5 is not mapped). */
    size_t i;
    json_t *n;
    json_array_foreach(ns, i, n) {
      if (strcmp(json_string_value(json_object_get(n, "type")), "network") == 0) {
        json_array_remove(ns, i);
        break;
      }
    }
    json_t *m;
    json_array_foreach(json_object_get(j, "mounts"), i, m) {
      const char *dest = json_string_value(json_object_get(m, "destination"));
      if (strcmp(dest, "/sys") == 0) {
        json_object_set_new(m, "type", json_string("none"));
        json_object_set_new(m, "source", json_string("/sys"));
        json_object_set_new(m, "options", json_pack("[sssss]", "rbind", "nosuid", "noexec", "nodev", "ro"));
      } else if (strcmp(dest, "/dev/pts") == 0) {
        json_t *opts = json_object_get(m, "options");
        for (size_t k = json_array_size(opts); k-- > 0;)
          if (strcmp(json_string_value(json_array_get(opts, k)), "gid=5") == 0)
            json_array_remove(opts, k);
      }
    }
    json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    json_object_set_new(linux_, "uidMappings", json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                                        (int)getuid(), "size", 1));
    json_object_set_new(linux_, "gidMappings", json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                                        (int)getgid(), "size", 1));
    json_object_del(json_object_get(linux_, "resources"), "devices");
  }
  return j;
}
