/* hull top CONTAINER: the container's processes, in the columns of Docker's default
 * (`ps -ef`: UID PID PPID C STIME TTY TIME CMD). The pids are the runtime library's
 * (hull_rt_pids, the container's cgroup); each row is read from the host's /proc, as
 * Docker runs ps on the host. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "engine/engine.h"
#include "engine/stats.h"

#define TOP_USAGE "top CONTAINER\n\nDisplay the running processes of a container\n"

struct row {
  char uid[33], stime[16], tty[16], time[32];
  long ppid;
  int c;
  char *cmd;
};

/* /proc/PID/FILE read whole (NUL-terminated), NULL when the process is gone. */
static char *proc_file(pid_t pid, const char *file, size_t *len) {
  char p[64];
  snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
  hull_err ign = NULL;
  char *s = hull_read_file(p, len, &ign);
  hull_error_release(&ign); /* a process that exited meanwhile is left out */
  return s;
}

static double uptime_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ps's fields for one process; false when it is gone. */
static bool read_row(pid_t pid, struct row *r) {
  size_t len;
  cleanup_free char *stat = proc_file(pid, "stat", &len);
  cleanup_free char *status = proc_file(pid, "status", &len);
  char *rp = stat ? strrchr(stat, ')') : NULL;
  if (rp == NULL || status == NULL)
    return false;
  /* After "pid (comm)": state ppid pgrp session tty_nr ... utime(14) stime(15) ... starttime(22). */
  char state;
  int tty;
  long ppid, pgrp, sess, tpgid;
  unsigned long flags, minflt, cminflt, majflt, cmajflt, utime, stime;
  long cutime, cstime, prio, nice, nthreads, itreal;
  unsigned long long start;
  if (sscanf(rp + 2, "%c %ld %ld %ld %d %ld %lu %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %ld %ld %llu", &state, &ppid,
             &pgrp, &sess, &tty, &tpgid, &flags, &minflt, &cminflt, &majflt, &cmajflt, &utime, &stime, &cutime, &cstime,
             &prio, &nice, &nthreads, &itreal, &start) != 20)
    return false;
  long hz = sysconf(_SC_CLK_TCK);
  r->ppid = ppid;
  unsigned long cpu = (utime + stime) / (unsigned long)hz;
  double age = uptime_s() - (double)start / (double)hz;
  r->c = age > 0 ? (int)((double)(utime + stime) / (double)hz * 100.0 / age) : 0;
  snprintf(r->time, sizeof(r->time), "%02lu:%02lu:%02lu", cpu / 3600, cpu / 60 % 60, cpu % 60);
  if (tty == 0)
    snprintf(r->tty, sizeof(r->tty), "?");
  else if (major((dev_t)tty) == 136)
    snprintf(r->tty, sizeof(r->tty), "pts/%u", minor((dev_t)tty));
  else
    snprintf(r->tty, sizeof(r->tty), "%u:%u", major((dev_t)tty), minor((dev_t)tty));
  /* ps -ef's STIME: the time of day when started today, else the month and day. */
  time_t began = time(NULL) - (time_t)age;
  struct tm b, now;
  time_t t = time(NULL);
  localtime_r(&began, &b);
  localtime_r(&t, &now);
  strftime(r->stime, sizeof(r->stime), b.tm_yday == now.tm_yday && b.tm_year == now.tm_year ? "%H:%M" : "%b%d", &b);
  char *u = strstr(status, "\nUid:");
  unsigned uid = 0;
  if (u)
    sscanf(u + 5, "%u", &uid);
  struct passwd *pw = getpwuid(uid);
  snprintf(r->uid, sizeof(r->uid), "%s", pw ? pw->pw_name : "");
  if (pw == NULL)
    snprintf(r->uid, sizeof(r->uid), "%u", uid);
  char *cmd = proc_file(pid, "cmdline", &len);
  if (cmd && len > 0) {
    for (size_t i = 0; i + 1 < len; i++)
      if (cmd[i] == '\0')
        cmd[i] = ' ';
  } else {
    /* A kernel thread or a zombie: [comm], as ps shows it. */
    free(cmd);
    char *lp = strchr(stat, '(');
    *rp = '\0';
    if (asprintf(&cmd, "[%s]", lp ? lp + 1 : "?") < 0)
      cmd = NULL;
  }
  r->cmd = cmd;
  return true;
}

static int cmp_pid(const void *a, const void *b) {
  pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
  return (x > y) - (x < y);
}

int cmd_top(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = hull_cli_common_opt(c, "top", TOP_USAGE, argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (optind >= argc)
    return hull_usage_error(err, "top", "\"hull top\" requires at least 1 argument.");
  if (optind + 1 < argc)
    return hull_usage_error(err, "top", "\"hull top\": ps options are not supported; only the default columns");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0 ||
      hull_ctr_lookup(e, argv[optind], &ct, err) < 0)
    return -1;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (hull_ctr_pids(e, ct, &pids, &n, err) < 0)
    return -1;
  qsort(pids, n, sizeof(*pids), cmp_pid);
  printf("%-10s %-8s %-8s %-3s %-6s %-8s %-9s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD");
  for (size_t i = 0; i < n; i++) {
    struct row r = {0};
    if (!read_row(pids[i], &r))
      continue;
    printf("%-10s %-8d %-8ld %-3d %-6s %-8s %-9s %s\n", r.uid, (int)pids[i], r.ppid, r.c, r.stime, r.tty, r.time,
           r.cmd ? r.cmd : "");
    free(r.cmd);
  }
  return 0;
}
