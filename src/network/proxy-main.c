/* hull-proxy: published TCP ports on the host's IPv6 loopback address, [::1].
 *
 *   hull-proxy --id CONTAINER [?]LISTEN=TARGET...   LISTEN, TARGET: [ADDR]:PORT or ADDR:PORT
 *
 * (--id names the container whose ports these are: the engine finds its proxy by it.)
 *
 * IPv4 reaches a container from 127.0.0.1 by DNAT with route_localnet on the bridge; IPv6
 * has no route_localnet, and the kernel drops a packet from ::1 that DNAT sends out of the
 * bridge, so nft alone cannot publish a port on [::1] (netavark cannot either; Docker does
 * it with its userland proxy, which listens on every address). hull-proxy is that proxy for
 * [::1] only: it listens on each LISTEN and relays every accepted connection to TARGET.
 *
 * It binds every listener before it reports on fd 3: "ok", or the error (a listener
 * marked "?" whose address does not exist, a host without IPv6, is skipped instead), so the
 * engine fails `run` with a clear error when the port is taken. One child per connection,
 * killed with the proxy (PR_SET_PDEATHSIG), copies both ways with splice(2) through a pipe;
 * the engine records the proxy's pid and start time and stops it with SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LISTEN 256

typedef struct endpoint {
  struct sockaddr_storage sa;
  socklen_t len;
} endpoint;

/* "[ADDR]:PORT" (IPv6) or "ADDR:PORT" (IPv4). */
static bool parse_endpoint(const char *s, endpoint *out) {
  char addr[64];
  const char *colon = strrchr(s, ':');
  if (colon == NULL)
    return false;
  int port = atoi(colon + 1);
  if (port <= 0 || port > 65535)
    return false;
  memset(out, 0, sizeof(*out));
  if (s[0] == '[') {
    size_t n = (size_t)(colon - s);
    if (n < 3 || n - 2 >= sizeof(addr) || s[n - 1] != ']')
      return false;
    memcpy(addr, s + 1, n - 2);
    addr[n - 2] = '\0';
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->sa;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    out->len = sizeof(*a);
    return inet_pton(AF_INET6, addr, &a->sin6_addr) == 1;
  }
  size_t n = (size_t)(colon - s);
  if (n == 0 || n >= sizeof(addr))
    return false;
  memcpy(addr, s, n);
  addr[n] = '\0';
  struct sockaddr_in *a = (struct sockaddr_in *)&out->sa;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  out->len = sizeof(*a);
  return inet_pton(AF_INET, addr, &a->sin_addr) == 1;
}

/* Copies from `from` to `to` through the pipe p; false at the end of either side. */
static bool relay(int from, int to, int p[2]) {
  ssize_t n = splice(from, NULL, p[1], NULL, 1 << 16, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
  if (n <= 0)
    return n < 0 && errno == EAGAIN;
  while (n > 0) {
    ssize_t w = splice(p[0], NULL, to, NULL, (size_t)n, SPLICE_F_MOVE);
    if (w <= 0)
      return false;
    n -= w;
  }
  return true;
}

/* One connection, in a child: until both directions are done. */
static void serve(int client, const endpoint *target) {
  int up = socket(target->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (up < 0 || connect(up, (const struct sockaddr *)&target->sa, target->len) < 0)
    _exit(1);
  int a[2], b[2];
  if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
    _exit(1);
  struct pollfd fds[2] = {{.fd = client, .events = POLLIN}, {.fd = up, .events = POLLIN}};
  bool open_in = true, open_out = true;
  while (open_in || open_out) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      _exit(1);
    }
    /* A side that ended gets a half-close, so that the peer sees the end of the data. */
    if (open_in && fds[0].revents && !relay(client, up, a)) {
      open_in = false;
      fds[0].fd = -1;
      shutdown(up, SHUT_WR);
    }
    if (open_out && fds[1].revents && !relay(up, client, b)) {
      open_out = false;
      fds[1].fd = -1;
      shutdown(client, SHUT_WR);
    }
  }
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  int saved = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
  errno = saved;
}

int main(int argc, char **argv) {
  static struct pollfd fds[MAX_LISTEN];
  static endpoint targets[MAX_LISTEN];
  int n = 0;
  FILE *status = fdopen(3, "w");
  if (argc < 3 || strcmp(argv[1], "--id") != 0)
    goto usage;
  for (int i = 3; i < argc; i++) {
    bool optional = argv[i][0] == '?';
    char *spec = argv[i] + (optional ? 1 : 0), *eq = strchr(spec, '=');
    endpoint listen_at;
    if (eq == NULL || n == MAX_LISTEN)
      goto usage;
    *eq = '\0';
    if (!parse_endpoint(spec, &listen_at) || !parse_endpoint(eq + 1, &targets[n]))
      goto usage;
    int fd = socket(listen_at.sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd >= 0) {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (listen_at.sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&listen_at.sa, listen_at.len) < 0 || listen(fd, 128) < 0) {
      int e = errno;
      if (fd >= 0)
        close(fd);
      if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT))
        continue;
      if (status)
        fprintf(status, "%s: %s\n", spec, e == EADDRINUSE ? "port is already allocated" : strerror(e));
      return 1;
    }
    fds[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
  }
  struct sigaction sa = {.sa_handler = reap, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
  sigaction(SIGCHLD, &sa, NULL);
  if (status) {
    fprintf(status, "ok\n");
    fclose(status);
  }
  for (;;) {
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 1;
    }
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & POLLIN))
        continue;
      int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
      if (c < 0)
        continue;
      pid_t self = getpid(), pid = fork();
      if (pid == 0) {
        /* A connection never outlives the proxy: stopping it ends them all. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != self)
          _exit(0);
        for (int j = 0; j < n; j++)
          close(fds[j].fd);
        serve(c, &targets[i]);
      }
      close(c);
    }
  }
usage:
  if (status)
    fprintf(status, "usage: hull-proxy --id CONTAINER [?]LISTEN=TARGET...\n");
  return 2;
}
