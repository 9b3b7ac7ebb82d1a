#include "network/proxy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_ARGS 512

static const uint8_t v6_loopback[16] = {[15] = 1};

bool hull_proxy_wants(const hull_port *p) {
  return (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) &&
         (p->host_ip.family == 0 || (p->host_ip.family == AF_INET6 &&
                                     (memcmp(p->host_ip.b, v6_loopback, 16) == 0 || hull_ip_unspecified(&p->host_ip))));
}

static int proxy_binary(char *out, size_t len, hull_err *err) {
  const char *env = getenv("HULL_PROXY_BIN");
  if (env && env[0]) {
    snprintf(out, len, "%s", env);
  } else {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
      return hull_error_sys(err, "readlink /proc/self/exe");
    self[n] = '\0';
    snprintf(out, len, "%s/hull-proxy", dirname(self));
  }
  if (access(out, X_OK) < 0)
    return hull_error_sys(err, "port proxy %s", out);
  return 0;
}

/* Runs the proxy detached (its own session, an orphan of init, stdio on /dev/null) with
 * argv; its report ("ok" or the error) comes back on the pipe it gets as fd 3. */
static int spawn(const char *bin, char **argv, hull_err *err) {
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return hull_error_sys(err, "start port proxy: pipe");
  pid_t mid = fork();
  if (mid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return hull_error_sys(err, "start port proxy: fork");
  }
  if (mid == 0) {
    setsid();
    if (fork() != 0)
      _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 || dup2(pfd[1], 3) < 0)
      _exit(127);
    hull_err local = NULL;
    if (hull_close_fds_from(4, &local) < 0)
      _exit(127);
    execv(bin, argv);
    _exit(127);
  }
  close(pfd[1]);
  char report[512] = "";
  size_t got = 0;
  ssize_t r;
  while (got < sizeof(report) - 1 && (r = read(pfd[0], report + got, sizeof(report) - 1 - got)) != 0) {
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    got += (size_t)r;
  }
  close(pfd[0]);
  report[got] = '\0';
  report[strcspn(report, "\n")] = '\0';
  if (hull_wait_exit_status(mid) != 0)
    return hull_error(err, EIO, "start port proxy %s", bin);
  if (strcmp(report, "ok") == 0)
    return 0;
  if (strstr(report, "already allocated"))
    return hull_error_code(err, EADDRINUSE, "Bind for %s", report);
  return hull_error_code(err, EIO, "port proxy %s: %s", bin, report[0] ? report : "exited without a report");
}

int hull_proxy_start(const char *ctr_id, const hull_ip *ctr_ip, const hull_ip *ctr_ip6, const hull_port *ports,
                     size_t n, hull_err *err) {
  char bin[PATH_MAX];
  bool needed = false; /* a port asked for on [::1] itself, not only on every address */
  for (size_t i = 0; i < n; i++)
    needed = needed || (hull_proxy_wants(&ports[i]) && ports[i].host_ip.family == AF_INET6 &&
                        !hull_ip_unspecified(&ports[i].host_ip));
  if (proxy_binary(bin, sizeof(bin), err) < 0) {
    if (needed)
      return -1;
    /* An installation without hull-proxy still publishes on IPv4 and the host's IPv6
     * addresses; only [::1] is missing, as with netavark. */
    hull_warn("ports of %.12s not published on [::1]: %s", ctr_id, (*err)->msg);
    hull_error_release(err);
    return 0;
  }
  cleanup_strv char **argv = calloc(MAX_ARGS + 1, sizeof(*argv));
  if (argv == NULL)
    return hull_error(err, ENOMEM, "port proxy");
  size_t k = 0;
  argv[k++] = strdup("hull-proxy");
  argv[k++] = strdup("--id");
  argv[k++] = strdup(ctr_id);
  const hull_ip *target = ctr_ip6 && ctr_ip6->family == AF_INET6 ? ctr_ip6 : ctr_ip;
  char tip[HULL_IP_STRLEN];
  hull_ip_format(target, tip);
  bool v6 = target->family == AF_INET6;
  for (size_t i = 0; i < n && k < MAX_ARGS; i++) {
    if (!hull_proxy_wants(&ports[i]))
      continue;
    /* A port on every address is served on [::1] only where the host has IPv6 ("?"). */
    bool every = ports[i].host_ip.family == 0 || hull_ip_unspecified(&ports[i].host_ip);
    if (asprintf(&argv[k++], "%s[::1]:%u%s=%s%s%s:%u", every ? "?" : "", ports[i].host_port,
                 ports[i].proto == IPPROTO_UDP ? "/udp" : "", v6 ? "[" : "", tip, v6 ? "]" : "", ports[i].ctr_port) < 0)
      return hull_error(err, ENOMEM, "port proxy");
  }
  for (size_t i = 0; i < k; i++)
    if (argv[i] == NULL)
      return hull_error(err, ENOMEM, "port proxy");
  if (k == 3)
    return 0;
  return spawn(bin, argv, err);
}

/* The pid of `hull-proxy --id ctr_id`, or 0. */
static pid_t find(const char *ctr_id) {
  cleanup_dir DIR *d = opendir("/proc");
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    char path[64], cmd[256];
    int pid = atoi(de->d_name);
    if (pid <= 0)
      continue;
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = fd < 0 ? -1 : read(fd, cmd, sizeof(cmd) - 1);
    if (r <= 0)
      continue;
    cmd[r] = '\0';
    /* argv: "hull-proxy\0--id\0<id>\0..." */
    size_t l0 = strlen(cmd);
    if (strcmp(cmd, "hull-proxy") != 0 || (ssize_t)l0 + 6 > r || strcmp(cmd + l0 + 1, "--id") != 0)
      continue;
    if ((ssize_t)(l0 + 6 + strlen(ctr_id)) <= r && strcmp(cmd + l0 + 6, ctr_id) == 0)
      return pid;
  }
  return 0;
}

int hull_proxy_stop(const char *ctr_id, hull_err *err) {
  pid_t pid = find(ctr_id);
  if (pid <= 0)
    return 0;
  if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
    return hull_error_sys(err, "stop port proxy %d", (int)pid);
  /* Gone before its record is: its ports are free for the next container at once. */
  for (int i = 0; i < 400 && find(ctr_id) == pid; i++)
    usleep(2500);
  return 0;
}
