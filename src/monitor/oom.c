/* OOM on cgroup v1: the whole container dies, as on v2.
 *
 * On v2 the runtime sets memory.oom.group, so the kernel's OOM killer takes every process
 * of the container's cgroup and the init's SIGKILL makes the exit code 137 (Docker's
 * `run -m 100m stress --vm-bytes 200m`). v1 has no group kill: the killer takes only the
 * biggest process (a stress worker), the init goes on and the container exits with its
 * own status (1 for stress). So here the monitor listens for the memory cgroup's OOM
 * notification (cgroup.event_control with an eventfd on memory.oom_control) and, when
 * its oom_kill counter went up, kills the rest (main.c: the runtime's kill of all). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "monitor.h"

#define V1_MEMORY "/sys/fs/cgroup/memory"

struct mon_oom {
  int efd, control_fd; /* the eventfd, memory.oom_control */
  uint64_t kills;      /* oom_kill when last read */
};

/* The container's memory cgroup directory from its init's /proc/PID/cgroup, NULL when
 * there is no v1 memory controller (v2, or no memory cgroup at all). */
static char *memory_dir(pid_t pid) {
  char path[64], line[4096];
  snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
  cleanup_file FILE *f = fopen(path, "re");
  while (f && fgets(line, sizeof(line), f)) {
    char *ctrls = strchr(line, ':');
    char *rel = ctrls ? strchr(ctrls + 1, ':') : NULL;
    if (rel == NULL)
      continue;
    *rel++ = '\0';
    rel[strcspn(rel, "\n")] = '\0';
    /* "memory" alone or in a comma list of co-mounted controllers. */
    bool memory = false;
    for (char *save = NULL, *c = strtok_r(ctrls + 1, ",", &save); c; c = strtok_r(NULL, ",", &save))
      memory |= strcmp(c, "memory") == 0;
    char *dir = NULL;
    if (memory && asprintf(&dir, "%s%s", V1_MEMORY, rel) < 0)
      return NULL;
    if (memory)
      return dir;
  }
  return NULL;
}

static uint64_t oom_kills(int control_fd) {
  char buf[256];
  ssize_t n = pread(control_fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  const char *k = strstr(buf, "oom_kill ");
  return k ? strtoull(k + 9, NULL, 10) : 0;
}

int mon_oom_watch(pid_t pid, struct mon_oom **out, hull_err *err) {
  *out = NULL;
  cleanup_free char *dir = memory_dir(pid);
  if (dir == NULL)
    return 0;
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "%s", dir);
  cleanup_close int control = openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
  cleanup_close int event_control = openat(dfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
  if (control < 0 || event_control < 0)
    return hull_error_sys(err, "%s: memory.oom_control", dir);
  cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    return hull_error_sys(err, "eventfd");
  char line[64];
  int n = snprintf(line, sizeof(line), "%d %d", efd, control);
  if (write(event_control, line, (size_t)n) != n)
    return hull_error_sys(err, "%s/cgroup.event_control", dir);
  struct mon_oom *o = calloc(1, sizeof(*o));
  if (o == NULL)
    return hull_error(err, ENOMEM, "oom watch");
  /* From 0, not the counter now: the cgroup is the run's own (created with it), and a
   * kill between the start and this watch (stress allocates in milliseconds) is seen by
   * the caller's first mon_oom_kill_seen. */
  o->kills = 0;
  o->efd = take_fd(&efd);
  o->control_fd = take_fd(&control);
  *out = o;
  return 0;
}

int mon_oom_fd(const struct mon_oom *o) { return o ? o->efd : -1; }

bool mon_oom_kill_seen(struct mon_oom *o, bool notified) {
  uint64_t v;
  if (o == NULL)
    return false;
  if (read(o->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
    hull_debug("OOM eventfd: %s", strerror(errno));
  /* The notification comes when the cgroup goes under OOM, which can be before the
   * killer has counted its kill (and with the killer off, no kill comes at all): the
   * counter is looked at for up to half a second after a notification. */
  uint64_t k = oom_kills(o->control_fd);
  for (int i = 0; notified && i < 50 && k <= o->kills; i++) {
    usleep(10000);
    k = oom_kills(o->control_fd);
  }
  bool seen = k > o->kills;
  o->kills = k;
  return seen;
}

void mon_oom_close(struct mon_oom *o) {
  if (o == NULL)
    return;
  close(o->efd);
  close(o->control_fd);
  free(o);
}
