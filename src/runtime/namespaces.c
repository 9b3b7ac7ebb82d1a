/* Namespaces: opening and checking namespace files, id maps, time offsets, and the
 * short-lived helper processes that create or read user namespaces. Nothing here
 * changes the calling process except hull_ns_join_for_children, which only the
 * runtime's own children call. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "procfs.h"

int hull_ns_loopback_up(hull_err *err) {
  cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return hull_error_sys(err, "loopback: socket");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    return hull_error_sys(err, "loopback: read its flags");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
    return hull_error_sys(err, "loopback: bring it up");
  return 0;
}

int hull_ns_open(const char *path, enum hull_ns_type t, hull_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s namespace %s", hull_ns_spec_name(t), path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type >= 0 && type != hull_ns_clone_flag(t)) {
    close(fd);
    return hull_error(err, EINVAL, "namespace path %s is not a %s namespace", path, hull_ns_spec_name(t));
  }
  if (type < 0) {
    close(fd);
    return hull_error_sys(err, "namespace path %s is not a namespace", path);
  }
  return fd;
}

int hull_ns_join_for_children(int ns_fds[HULL_NS_COUNT], const struct hull_spec *spec, hull_err *err) {
  static const enum hull_ns_type kinds[] = {HULL_NS_PID, HULL_NS_TIME};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    enum hull_ns_type t = kinds[i];
    if (ns_fds[t] < 0)
      continue;
    if (setns(ns_fds[t], hull_ns_clone_flag(t)) < 0)
      return hull_error_sys(err, "join %s namespace %s", hull_ns_spec_name(t),
                            spec && spec->namespaces[t].path ? spec->namespaces[t].path : "");
    close(ns_fds[t]);
    ns_fds[t] = -1;
  }
  return 0;
}

int hull_ns_write_id_map(pid_t pid, const char *file, const struct hull_id_map *m, size_t n, hull_err *err) {
  char buf[4096] = "", path[64];
  size_t used = 0;
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
  snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
  if (hull_procfs_write(path, buf, used, err) < 0)
    return hull_error_wrap(err, "write %s", strcmp(file, "uid_map") == 0 ? "linux.uidMappings" : "linux.gidMappings");
  return 0;
}

int hull_ns_write_time_offsets(json_t *offsets, hull_err *err) {
  if (offsets == NULL)
    return 0;
  char buf[256] = "";
  size_t used = 0;
  const char *clocks[] = {"monotonic", "boottime"};
  for (int i = 0; i < 2; i++) {
    json_t *o = json_object_get(offsets, clocks[i]);
    if (o == NULL)
      continue;
    used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s %lld %lld\n", clocks[i],
                             (long long)json_integer_value(json_object_get(o, "secs")),
                             (long long)json_integer_value(json_object_get(o, "nanosecs")));
  }
  if (used && hull_procfs_write("self/timens_offsets", buf, used, err) < 0)
    return hull_error_wrap(err, "linux.timeOffsets");
  return 0;
}

/* The maps of a user namespace joined by path without mappings in config.json, read by a
 * short-lived child that joins it (a process reading its own uid_map sees the ids of the
 * namespace's parent: ours). The caller is left as it was. Best effort: false on any
 * failure. */
bool hull_ns_joined_userns_maps(int userns_fd, struct hull_id_map um[8], size_t *nu, struct hull_id_map gm[8],
                                size_t *ng) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return false;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    char buf[2048];
    const char *files[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
    if (setns(userns_fd, CLONE_NEWUSER) < 0)
      _exit(1);
    for (int i = 0; i < 2; i++) {
      int fd = open(files[i], O_RDONLY | O_CLOEXEC);
      ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
      if (n <= 0 || hull_write_all(p[1], buf, (size_t)n) < 0 || hull_write_all(p[1], "-\n", 2) < 0)
        _exit(1);
    }
    _exit(0);
  }
  close(p[1]);
  char text[4200];
  ssize_t n = pid < 0 ? -1 : hull_read_all(p[0], text, sizeof(text) - 1);
  close(p[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n <= 0)
    return false;
  text[n] = '\0';
  *nu = *ng = 0;
  bool gids = false;
  for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    unsigned a, b, c;
    if (strcmp(line, "-") == 0) {
      gids = true;
      continue;
    }
    size_t *cnt = gids ? ng : nu;
    if (sscanf(line, "%u %u %u", &a, &b, &c) == 3 && *cnt < 8)
      (gids ? gm : um)[(*cnt)++] = (struct hull_id_map){a, b, c};
  }
  return true;
}

/* A user namespace with these maps, for idmapped mounts: a child is cloned into it, the
 * maps are written, its namespace is opened, and it exits. */
int hull_ns_idmap_userns(const struct hull_id_map *um, size_t nu, const struct hull_id_map *gm, size_t ng,
                         hull_err *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return hull_error_sys(err, "idmapped mount: pipe");
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    char ch;
    close(p[1]);
    if (read(p[0], &ch, 1) < 0)
      _exit(1);
    _exit(0);
  }
  close(p[0]);
  int fd = -1;
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
  if (pid < 0)
    hull_error_sys(err, "idmapped mount: create a user namespace");
  else if (hull_ns_write_id_map(pid, "uid_map", um, nu, err) == 0 &&
           hull_ns_write_id_map(pid, "gid_map", gm, ng, err) == 0)
    fd = hull_ns_open(path, HULL_NS_USER, err);
  close(p[1]);
  if (pid > 0)
    waitpid(pid, NULL, 0);
  return fd;
}
