/* tcprr: TCP connect latency and request/response rate between two network namespaces, for
 * bench/network.sh and bench/bridge-hops.sh (neither netperf, which Debian does not ship, nor
 * busybox measures a TCP connection's round trips).
 *
 *   tcprr server PORT                 answers on PORT until killed: for every connection, one
 *                                     byte back for every byte read, until the peer closes; a
 *                                     'c' is answered and the connection closed at once
 *   tcprr crr ADDR PORT N             N times: connect, send 'c', read the answer (timed up to
 *                                     here: connect + first byte's round trip), read the
 *                                     server's close, close (netperf's TCP_CRR); prints the
 *                                     median, 10th and 90th percentile in microseconds
 *   tcprr rr ADDR PORT N              one connection, N one-byte request/response exchanges
 *                                     (netperf's TCP_RR); the same percentiles
 *
 * The server closes first in crr so that the TIME_WAIT sockets are the server's: a client
 * holding thousands of them searches longer and longer for a free port in connect(), which
 * made later rounds of a run milliseconds slower than the first ones.
 *
 * A bench helper, not part of hull: it is built by the script that uses it. Times come from
 * CLOCK_MONOTONIC around each exchange, so one slow round (another engineer's build taking the
 * CPU) moves the 90th percentile, not the median. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Parses ADDR (IPv4 or IPv6) and PORT into sa; returns its length. */
static socklen_t parse_addr(const char *addr, const char *port, struct sockaddr_storage *sa) {
  memset(sa, 0, sizeof(*sa));
  struct sockaddr_in *in = (struct sockaddr_in *)sa;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
  uint16_t p = htons((uint16_t)atoi(port));
  if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = p;
    return sizeof(*in);
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = p;
    return sizeof(*in6);
  }
  fprintf(stderr, "tcprr: bad address %s\n", addr);
  exit(2);
}

static void nodelay(int fd) {
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
    die("TCP_NODELAY");
}

/* One byte (c) there and back on fd. */
/* A connected TCP socket to SA with Nagle off. */
static int dial(const struct sockaddr_storage *sa, socklen_t salen) {
  int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  if (connect(fd, (const struct sockaddr *)sa, salen) < 0)
    die("connect");
  nodelay(fd);
  return fd;
}

static void exchange(int fd, char c) {
  if (write(fd, &c, 1) != 1)
    die("write");
  if (read(fd, &c, 1) != 1)
    die("read");
}

static _Noreturn void serve(const char *port) {
  int ls = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0)
    die("socket");
  int one = 1, zero = 0;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  /* One socket for both families: the benches measure IPv4 and may measure IPv6. */
  setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(port))};
  if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    die("bind");
  if (listen(ls, 1024) < 0)
    die("listen");
  for (;;) {
    int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      die("accept");
    }
    nodelay(fd);
    /* Connections are served one at a time, inline: a fork or a thread per connection
     * would be a large part of what crr measures, and the client has one at a time. */
    char buf[64];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
      if (write(fd, buf, (size_t)n) != n || buf[n - 1] == 'c')
        break;
    close(fd);
  }
}

static void report(double *t, int n) {
  qsort(t, (size_t)n, sizeof(*t), cmp_double);
  printf("%.2f %.2f %.2f\n", t[n / 2], t[n / 10], t[n * 9 / 10]);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0)
    serve(argv[2]);
  if (argc != 5 || (strcmp(argv[1], "crr") != 0 && strcmp(argv[1], "rr") != 0)) {
    fprintf(stderr, "usage: tcprr server PORT | tcprr crr|rr ADDR PORT N\n");
    return 2;
  }
  struct sockaddr_storage sa;
  socklen_t salen = parse_addr(argv[2], argv[3], &sa);
  int n = atoi(argv[4]);
  if (n < 1)
    return 2;
  double *t = calloc((size_t)n, sizeof(*t));
  if (!t)
    die("calloc");
  if (strcmp(argv[1], "crr") == 0) {
    for (int i = 0; i < n; i++) {
      double t0 = now_us();
      int fd = dial(&sa, salen);
      exchange(fd, 'c');
      t[i] = now_us() - t0;
      char c;
      if (read(fd, &c, 1) != 0)
        die("read of the server's close");
      close(fd);
    }
  } else {
    int fd = dial(&sa, salen);
    exchange(fd, 'x'); /* the first one warms the path up and is not counted */
    for (int i = 0; i < n; i++) {
      double t0 = now_us();
      exchange(fd, 'x');
      t[i] = now_us() - t0;
    }
    close(fd);
  }
  report(t, n);
  return 0;
}
