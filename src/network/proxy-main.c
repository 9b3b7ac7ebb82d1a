/* hull-proxy: published TCP and UDP ports on the host's IPv6 loopback address, [::1].
 *
 *   hull-proxy --id CONTAINER [?]LISTEN[/udp]=TARGET...   LISTEN, TARGET: [ADDR]:PORT or ADDR:PORT
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
 * the engine records the proxy's pid and start time and stops it with SIGTERM.
 *
 * UDP has no connections, so the proxy makes them as Docker's userland proxy does: each
 * client address gets its own socket connected to TARGET (so that the container sees one
 * peer per client and its answers come back to the right one), forgotten after
 * UDP_IDLE_SECONDS without traffic, the oldest one first when MAX_FLOWS are in use. All of
 * it runs in the proxy's own process: a datagram needs no child. */
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
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 256
/* Docker's UDPConnTrackTimeout: a flow without a datagram for this long is closed. */
#define UDP_IDLE_SECONDS 90
#define MAX_FLOWS 1024

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

/* One UDP client of a listener, and the socket connected to the target that serves it. */
typedef struct flow {
  int listener; /* index of the listener */
  int fd;
  struct sockaddr_storage client;
  socklen_t client_len;
  time_t last;
} flow;

static flow flows[MAX_FLOWS];
static int n_flows;
/* UDP_IDLE_SECONDS, or HULL_PROXY_UDP_IDLE (a test hook: the tests do not wait 90 s). */
static int udp_idle = UDP_IDLE_SECONDS;

static time_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

static bool same_client(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family)
    return false;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
  return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static void flow_close(int i) {
  close(flows[i].fd);
  flows[i] = flows[--n_flows];
}

/* Closes the flows idle for UDP_IDLE_SECONDS. */
static void flows_expire(void) {
  time_t t = now();
  for (int i = n_flows - 1; i >= 0; i--)
    if (t - flows[i].last >= udp_idle)
      flow_close(i);
}

/* The flow of a client of listener l, made when it is the client's first datagram; -1 when
 * no socket can be made (the datagram is dropped, as the network might have). */
static int flow_get(int l, const struct sockaddr_storage *client, socklen_t len, const endpoint *target) {
  for (int i = 0; i < n_flows; i++)
    if (flows[i].listener == l && same_client(&flows[i].client, client))
      return i;
  if (n_flows == MAX_FLOWS) {
    int oldest = 0;
    for (int i = 1; i < n_flows; i++)
      if (flows[i].last < flows[oldest].last)
        oldest = i;
    flow_close(oldest);
  }
  int fd = socket(target->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (const struct sockaddr *)&target->sa, target->len) < 0) {
    close(fd);
    return -1;
  }
  flows[n_flows] = (flow){.listener = l, .fd = fd, .client = *client, .client_len = len, .last = now()};
  return n_flows++;
}

/* Datagrams from clients on listener l to their flows' upstream sockets. */
static void udp_from_clients(int l, int lfd, const endpoint *target) {
  static char buf[65536];
  for (;;) {
    struct sockaddr_storage client;
    socklen_t len = sizeof(client);
    ssize_t r = recvfrom(lfd, buf, sizeof(buf), 0, (struct sockaddr *)&client, &len);
    if (r < 0)
      return;
    int i = flow_get(l, &client, len, target);
    if (i < 0)
      continue;
    flows[i].last = now();
    /* A refused send (ECONNREFUSED from an earlier ICMP, nothing listening yet in the
     * container) loses the datagram, as UDP may; the flow stays for the next one. */
    (void)send(flows[i].fd, buf, (size_t)r, MSG_DONTWAIT);
  }
}

/* Datagrams from the target back to the flow's client, through its listener. */
static void udp_to_client(int i, const struct pollfd *listeners) {
  static char buf[65536];
  for (;;) {
    ssize_t r = recv(flows[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r < 0 && errno == ECONNREFUSED)
      continue; /* an ICMP error, reported once: the next recv goes on */
    if (r < 0)
      return;
    flows[i].last = now();
    (void)sendto(listeners[flows[i].listener].fd, buf, (size_t)r, MSG_DONTWAIT,
                 (const struct sockaddr *)&flows[i].client, flows[i].client_len);
  }
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

/* Binds the listener of spec ("LISTEN" or "LISTEN/udp", already split from its target):
 * the socket, or -errno. */
static int open_listener(char *spec, bool *udp) {
  size_t l = strlen(spec);
  *udp = l > 4 && strcmp(spec + l - 4, "/udp") == 0;
  if (*udp)
    spec[l - 4] = '\0';
  endpoint at;
  if (!parse_endpoint(spec, &at))
    return -EINVAL;
  int fd = socket(at.sa.ss_family, (*udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (at.sa.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&at.sa, at.len) < 0 || (!*udp && listen(fd, 128) < 0)) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* A TCP connection accepted on listener i, served by a child of its own. */
static void tcp_accept(const struct pollfd *fds, int n, int i, const endpoint *target) {
  int c = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return;
  pid_t self = getpid(), pid = fork();
  if (pid == 0) {
    /* A connection never outlives the proxy: stopping it ends them all. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != self)
      _exit(0);
    for (int j = 0; j < n; j++)
      close(fds[j].fd);
    for (int j = 0; j < n_flows; j++)
      close(flows[j].fd);
    serve(c, target);
  }
  close(c);
}

int main(int argc, char **argv) {
  /* The listeners, then one entry per UDP flow. */
  static struct pollfd fds[MAX_LISTEN + MAX_FLOWS];
  static endpoint targets[MAX_LISTEN];
  static bool udp[MAX_LISTEN];
  int n = 0;
  FILE *status = fdopen(3, "w");
  const char *idle = getenv("HULL_PROXY_UDP_IDLE");
  if (idle && atoi(idle) > 0)
    udp_idle = atoi(idle);
  if (argc < 3 || strcmp(argv[1], "--id") != 0)
    goto usage;
  for (int i = 3; i < argc; i++) {
    bool optional = argv[i][0] == '?';
    char *spec = argv[i] + (optional ? 1 : 0), *eq = strchr(spec, '=');
    if (eq == NULL || n == MAX_LISTEN)
      goto usage;
    *eq = '\0';
    if (!parse_endpoint(eq + 1, &targets[n]))
      goto usage;
    int fd = open_listener(spec, &udp[n]);
    if (fd == -EINVAL)
      goto usage;
    if (fd < 0) {
      if (optional && (fd == -EADDRNOTAVAIL || fd == -EAFNOSUPPORT))
        continue;
      /* Worded as the engine's own check (and Docker's): "Bind for ADDR:PORT failed: ...". */
      if (status && fd == -EADDRINUSE)
        fprintf(status, "%s failed: port is already allocated\n", spec);
      else if (status)
        fprintf(status, "%s%s: %s\n", spec, udp[n] ? "/udp" : "", strerror(-fd));
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
    for (int i = 0; i < n_flows; i++)
      fds[n + i] = (struct pollfd){.fd = flows[i].fd, .events = POLLIN};
    int nf = n_flows;
    /* With flows open, wake once a second to close the idle ones. */
    if (poll(fds, (nfds_t)(n + nf), nf ? 1000 : -1) < 0 && errno != EINTR)
      return 1;
    /* Flows first: udp_from_clients may add or evict some, which moves the table. */
    for (int i = nf - 1; i >= 0; i--)
      if (fds[n + i].revents & (POLLIN | POLLERR))
        udp_to_client(i, fds);
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & POLLIN))
        continue;
      if (udp[i])
        udp_from_clients(i, fds[i].fd, &targets[i]);
      else
        tcp_accept(fds, n, i, &targets[i]);
    }
    flows_expire();
  }
usage:
  if (status)
    fprintf(status, "usage: hull-proxy --id CONTAINER [?]LISTEN[/udp]=TARGET...\n");
  return 2;
}
