/* hull-dns: the DNS responder of one user network, listening on its gateway address.
 *
 *   hull-dns --listen ADDR [--port N] --hosts FILE [--resolv FILE] [--no-forward]
 *
 * Answers A and AAAA for the names in FILE ("ADDRESS NAME..." lines, as /etc/hosts) and
 * forwards every other query to the first nameservers of --resolv (none with --no-forward,
 * for --internal networks: CVE-2024-29018). A container started with --dns has its own
 * resolvers: the file upstream/CLIENT-ADDRESS beside FILE (resolv.conf lines, written by
 * the engine at each connect of that address) names where its queries go, as Docker's
 * embedded DNS forwards a container's queries to its --dns servers. The engine replaces FILE atomically (rename)
 * whenever a container joins or leaves; before each query the responder checks whether the
 * file changed and reads the new one whole, so a change is seen at once and no query is
 * dropped or answered from half a file while the view changes (aardvark-dns#389). Forwarded
 * queries are relayed without blocking the others, to each upstream in turn while one times
 * out or answers SERVFAIL or REFUSED (a dead first resolver must not fail every name); when
 * all failed the client gets SERVFAIL at once. Single-threaded, poll(2); a TCP
 * connection (a client retrying an answer too long for UDP) is served by a child. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_PENDING 128
#define MAX_UPSTREAM 3
#define FORWARD_TIMEOUT_MS 5000
#define TTL 10

typedef struct entry {
  char *name;
  int family;
  uint8_t addr[16];
} entry;

typedef struct table {
  entry *v;
  size_t n;
  struct timespec mtime;
  ino_t ino;
  off_t size;
} table;

/* Resolvers to forward to, in order: the next is asked when one does not answer in time or
 * answers SERVFAIL or REFUSED, as glibc's resolver and Docker's embedded DNS do. */
typedef struct upstreams {
  struct sockaddr_storage a[MAX_UPSTREAM];
  socklen_t len[MAX_UPSTREAM];
  int n;
} upstreams;

typedef struct pending {
  int fd; /* connected to the upstream asked; -1 when free */
  struct sockaddr_storage client;
  socklen_t client_len;
  int64_t deadline_ms;
  upstreams ups;
  int next; /* the upstream asked after this one fails */
  size_t qlen;
  uint8_t q[4096]; /* the query, for the next upstream */
} pending;

static const char *hosts_path;
static table names;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void table_free(table *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->v[i].name);
  free(t->v);
  t->v = NULL;
  t->n = 0;
}

/* Reads the hosts file when it changed; a file that cannot be read keeps the old view. */
static void reload(void) {
  struct stat st;
  if (stat(hosts_path, &st) < 0)
    return;
  if (st.st_ino == names.ino && st.st_size == names.size && st.st_mtim.tv_sec == names.mtime.tv_sec &&
      st.st_mtim.tv_nsec == names.mtime.tv_nsec)
    return;
  FILE *f = fopen(hosts_path, "re");
  if (f == NULL)
    return;
  table t = {.mtime = st.st_mtim, .ino = st.st_ino, .size = st.st_size};
  size_t cap = 0;
  char line[1024];
  while (fgets(line, sizeof(line), f)) {
    char *save = NULL, *addr = strtok_r(line, " \t\r\n", &save);
    if (addr == NULL || addr[0] == '#')
      continue;
    entry e = {0};
    if (inet_pton(AF_INET, addr, e.addr) == 1)
      e.family = AF_INET;
    else if (inet_pton(AF_INET6, addr, e.addr) == 1)
      e.family = AF_INET6;
    else
      continue;
    for (char *name; (name = strtok_r(NULL, " \t\r\n", &save)) != NULL;) {
      if (t.n == cap) {
        cap = cap ? cap * 2 : 32;
        entry *nv = realloc(t.v, cap * sizeof(*nv));
        if (nv == NULL)
          break;
        t.v = nv;
      }
      e.name = strdup(name);
      if (e.name)
        t.v[t.n++] = e;
    }
  }
  fclose(f);
  table_free(&names);
  names = t;
}

/* Decodes the question's name into out (dotted, lower case); returns the offset after
 * QTYPE/QCLASS, or 0 for a malformed question. */
static size_t parse_question(const uint8_t *m, size_t len, char *out, size_t outlen, uint16_t *qtype) {
  size_t p = 12, o = 0;
  while (p < len && m[p] != 0) {
    size_t l = m[p++];
    if (l > 63 || p + l > len || o + l + 2 > outlen)
      return 0;
    if (o)
      out[o++] = '.';
    for (size_t i = 0; i < l; i++)
      out[o++] = (char)tolower(m[p + i]);
    p += l;
  }
  out[o] = '\0';
  if (p + 5 > len)
    return 0;
  *qtype = (uint16_t)(m[p + 1] << 8 | m[p + 2]);
  return p + 5;
}

static void put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* The answer from the table into r (at most rlen bytes); 0 when the name is not one of the
 * network's. */
static size_t answer_local(const uint8_t *q, size_t qend, const char *name, uint16_t qtype, uint8_t *r, size_t rlen) {
  bool known = false;
  if (qend > rlen)
    return 0;
  memcpy(r, q, qend);
  size_t p = qend;
  unsigned count = 0;
  for (size_t i = 0; i < names.n; i++) {
    const entry *e = &names.v[i];
    if (strcasecmp(e->name, name) != 0)
      continue;
    known = true;
    int want = qtype == 1 ? AF_INET : qtype == 28 ? AF_INET6 : 0;
    size_t alen = e->family == AF_INET ? 4 : 16;
    /* 512 bytes: the most a plain UDP answer may carry. */
    if (e->family != want || p + 12 + alen > 512 || p + 12 + alen > rlen)
      continue;
    put16(r + p, 0xc00c); /* the name: a pointer to the question's */
    put16(r + p + 2, qtype);
    put16(r + p + 4, 1);
    put16(r + p + 6, 0);
    put16(r + p + 8, TTL);
    put16(r + p + 10, (unsigned)alen);
    memcpy(r + p + 12, e->addr, alen);
    p += 12 + alen;
    count++;
  }
  if (!known)
    return 0;
  r[2] = 0x84 | (q[2] & 0x01); /* QR, AA, RD copied */
  r[3] = 0x80;                 /* RA, NOERROR (no record of this type is NODATA, not NXDOMAIN) */
  put16(r + 4, 1);
  put16(r + 6, count);
  put16(r + 8, 0);
  put16(r + 10, 0);
  return p;
}

/* An answer with only a response code (the question echoed). */
static size_t answer_error(const uint8_t *q, size_t len, int rcode, uint8_t *r, size_t rlen) {
  if (len < 12 || len > rlen)
    return 0;
  memcpy(r, q, len);
  r[2] = 0x80 | (q[2] & 0x01);
  r[3] = (uint8_t)(0x80 | rcode);
  put16(r + 6, 0);
  put16(r + 8, 0);
  put16(r + 10, 0);
  return len;
}

/* What to do with a query: the answer in r (its length), or 0 with *forward set when the
 * host's resolvers are to answer it. */
static size_t respond(const uint8_t *q, size_t len, bool can_forward, uint8_t *r, size_t rlen, bool *forward) {
  *forward = false;
  char name[256];
  uint16_t qtype = 0;
  size_t qend = parse_question(q, len, name, sizeof(name), &qtype);
  if (qend == 0 || q[4] != 0 || q[5] != 1)
    return answer_error(q, len, 1 /* FORMERR */, r, rlen);
  reload();
  size_t n = answer_local(q, qend, name, qtype, r, rlen);
  if (n)
    return n;
  if (!can_forward)
    return answer_error(q, len, 5 /* REFUSED */, r, rlen);
  *forward = true;
  return 0;
}

static bool io_full(int fd, void *buf, size_t len, bool writing) {
  for (size_t done = 0; done < len;) {
    ssize_t n = writing ? write(fd, (char *)buf + done, len - done) : read(fd, (char *)buf + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += (size_t)n;
  }
  return true;
}

/* One DNS message over TCP (two bytes of length first); 0 on failure. */
static size_t tcp_read_msg(int fd, uint8_t *buf, size_t cap) {
  uint8_t lb[2];
  if (!io_full(fd, lb, 2, false))
    return 0;
  size_t len = (size_t)(lb[0] << 8 | lb[1]);
  if (len < 12 || len > cap || !io_full(fd, buf, len, false))
    return 0;
  return len;
}

static bool tcp_write_msg(int fd, uint8_t *buf, size_t len) {
  uint8_t lb[2] = {(uint8_t)(len >> 8), (uint8_t)len};
  return io_full(fd, lb, 2, true) && io_full(fd, buf, len, true);
}

/* SERVFAIL or REFUSED: another upstream may know better. */
static bool retryable(const uint8_t *r, size_t len) { return len >= 4 && ((r[3] & 0x0f) == 2 || (r[3] & 0x0f) == 5); }

/* A TCP connection (a client retrying a truncated answer), served by a child of its own with
 * plain blocking I/O so that the UDP loop never waits for it; forwarded over TCP too. */
static void serve_tcp(int c, const upstreams *ups, bool can_forward) {
  struct timeval tv = {.tv_sec = FORWARD_TIMEOUT_MS / 1000};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  static uint8_t q[65535], r[65535];
  size_t len;
  while ((len = tcp_read_msg(c, q, sizeof(q))) > 0) {
    bool fwd;
    size_t rl = respond(q, len, can_forward, r, sizeof(r), &fwd);
    for (int i = 0; fwd && i < ups->n && (rl == 0 || retryable(r, rl)); i++) {
      int u = socket(ups->a[i].ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      setsockopt(u, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      rl = 0;
      if (u >= 0 && connect(u, (const struct sockaddr *)&ups->a[i], ups->len[i]) == 0 && tcp_write_msg(u, q, len))
        rl = tcp_read_msg(u, r, sizeof(r));
      if (u >= 0)
        close(u);
    }
    if (fwd && rl == 0)
      rl = answer_error(q, len, 2 /* SERVFAIL */, r, sizeof(r));
    if (rl == 0 || !tcp_write_msg(c, r, rl))
      break;
  }
  _exit(0);
}

static int read_upstreams(const char *path, struct sockaddr_storage *ups, socklen_t *lens) {
  FILE *f = path ? fopen(path, "re") : NULL;
  if (f == NULL)
    return 0;
  int n = 0;
  char line[512];
  while (n < MAX_UPSTREAM && fgets(line, sizeof(line), f)) {
    char addr[128];
    if (sscanf(line, " nameserver %127s", addr) != 1)
      continue;
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ups[n];
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ups[n];
    memset(&ups[n], 0, sizeof(ups[n]));
    if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
      a4->sin_family = AF_INET;
      a4->sin_port = htons(53);
      lens[n++] = sizeof(*a4);
    } else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
      a6->sin6_family = AF_INET6;
      a6->sin6_port = htons(53);
      lens[n++] = sizeof(*a6);
    }
  }
  fclose(f);
  return n;
}

/* Where a query of client `from` is forwarded: its own resolvers (--dns) when the engine
 * wrote upstream/ADDRESS for it, else the network's (*def). Read at each forwarded query, so
 * that a container that gets the address of another one never inherits its resolvers. */
static void upstreams_for(const struct sockaddr_storage *from, const upstreams *def, upstreams *out) {
  *out = *def;
  char a[INET6_ADDRSTRLEN], path[4096];
  const void *src = from->ss_family == AF_INET ? (const void *)&((const struct sockaddr_in *)from)->sin_addr
                                               : (const void *)&((const struct sockaddr_in6 *)from)->sin6_addr;
  const char *slash = strrchr(hosts_path, '/');
  if (inet_ntop(from->ss_family, src, a, sizeof(a)) == NULL ||
      snprintf(path, sizeof(path), "%.*supstream/%s", slash ? (int)(slash - hosts_path + 1) : 0, hosts_path, a) >=
          (int)sizeof(path))
    return;
  upstreams own;
  if ((own.n = read_upstreams(path, own.a, own.len)) > 0)
    *out = own;
}

static pending pend[MAX_PENDING];
static int sock = -1;

/* Asks the next upstream of pd; false when none is left or reachable. */
static bool ask_next(pending *pd) {
  if (pd->fd >= 0)
    close(pd->fd);
  pd->fd = -1;
  /* Each upstream gets its share of the client's patience. */
  int64_t wait = FORWARD_TIMEOUT_MS / (pd->ups.n > 0 ? pd->ups.n : 1);
  while (pd->next < pd->ups.n) {
    int i = pd->next++;
    int up = socket(pd->ups.a[i].ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (up >= 0 && connect(up, (struct sockaddr *)&pd->ups.a[i], pd->ups.len[i]) == 0 &&
        send(up, pd->q, pd->qlen, 0) >= 0) {
      pd->fd = up;
      pd->deadline_ms = now_ms() + (wait < 1000 ? 1000 : wait);
      return true;
    }
    if (up >= 0)
      close(up);
  }
  return false;
}

/* Every upstream failed: the client learns it at once rather than after its own timeout. */
static void give_up(pending *pd) {
  uint8_t r[4096];
  size_t rl = answer_error(pd->q, pd->qlen, 2 /* SERVFAIL */, r, sizeof(r));
  if (rl > 0)
    sendto(sock, r, rl, 0, (struct sockaddr *)&pd->client, pd->client_len);
  if (pd->fd >= 0)
    close(pd->fd);
  pd->fd = -1;
}

/* An upstream's answer (or its error) for pending query pd. */
static void upstream_answered(pending *pd) {
  uint8_t buf[4096];
  ssize_t got = recv(pd->fd, buf, sizeof(buf), 0);
  if ((got <= 0 || retryable(buf, (size_t)got)) && ask_next(pd))
    return;
  if (got > 0)
    sendto(sock, buf, (size_t)got, 0, (struct sockaddr *)&pd->client, pd->client_len);
  else
    give_up(pd);
  if (pd->fd >= 0)
    close(pd->fd);
  pd->fd = -1;
}

/* Forwards a query of client from to its upstreams, the first one now. */
static void forward_query(const uint8_t *q, size_t len, const struct sockaddr_storage *from, socklen_t flen,
                          const upstreams *net_ups) {
  pending *pd = NULL;
  for (int i = 0; i < MAX_PENDING && pd == NULL; i++)
    if (pend[i].fd < 0)
      pd = &pend[i];
  uint8_t r[4096];
  size_t rl;
  if (pd == NULL || len > sizeof(pd->q)) {
    if ((rl = answer_error(q, len, 2 /* SERVFAIL */, r, sizeof(r))) > 0)
      sendto(sock, r, rl, 0, (const struct sockaddr *)from, flen);
    return;
  }
  pd->client = *from;
  pd->client_len = flen;
  upstreams_for(from, net_ups, &pd->ups);
  pd->next = 0;
  memcpy(pd->q, q, len);
  pd->qlen = len;
  if (!ask_next(pd))
    give_up(pd);
}

static int usage(void) {
  fprintf(stderr, "usage: hull-dns --listen ADDR [--port N] --hosts FILE [--resolv FILE] [--no-forward]\n");
  return 2;
}

int main(int argc, char **argv) {
  const char *listen_addr = NULL, *resolv = NULL;
  int port = 53;
  bool forward = true;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
      listen_addr = argv[++i];
    else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
      port = atoi(argv[++i]);
    else if (strcmp(argv[i], "--hosts") == 0 && i + 1 < argc)
      hosts_path = argv[++i];
    else if (strcmp(argv[i], "--resolv") == 0 && i + 1 < argc)
      resolv = argv[++i];
    else if (strcmp(argv[i], "--no-forward") == 0)
      forward = false;
    else
      return usage();
  }
  if (listen_addr == NULL || hosts_path == NULL)
    return usage();
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_storage ls = {0};
  socklen_t llen;
  struct sockaddr_in *l4 = (struct sockaddr_in *)&ls;
  struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&ls;
  if (inet_pton(AF_INET, listen_addr, &l4->sin_addr) == 1) {
    l4->sin_family = AF_INET;
    l4->sin_port = htons((uint16_t)port);
    llen = sizeof(*l4);
  } else if (inet_pton(AF_INET6, listen_addr, &l6->sin6_addr) == 1) {
    l6->sin6_family = AF_INET6;
    l6->sin6_port = htons((uint16_t)port);
    llen = sizeof(*l6);
  } else {
    fprintf(stderr, "hull-dns: invalid --listen address %s\n", listen_addr);
    return 2;
  }
  sock = socket(ls.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int tsock = socket(ls.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  /* The gateway address may be added to the bridge just after the responder starts. */
  setsockopt(sock, SOL_IP, IP_FREEBIND, &one, sizeof(one));
  setsockopt(tsock, SOL_IP, IP_FREEBIND, &one, sizeof(one));
  setsockopt(tsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (sock < 0 || tsock < 0 || bind(sock, (struct sockaddr *)&ls, llen) < 0 ||
      bind(tsock, (struct sockaddr *)&ls, llen) < 0 || listen(tsock, 64) < 0) {
    fprintf(stderr, "hull-dns: bind %s:%d: %s\n", listen_addr, port, strerror(errno));
    return 1;
  }
  /* TCP children are reaped by the kernel. */
  signal(SIGCHLD, SIG_IGN);
  upstreams ups = {0};
  ups.n = forward ? read_upstreams(resolv, ups.a, ups.len) : 0;
  int n_ups = ups.n;
  for (int i = 0; i < MAX_PENDING; i++)
    pend[i].fd = -1;
  reload();
  for (;;) {
    struct pollfd pfd[MAX_PENDING + 2];
    int idx[MAX_PENDING + 2], n = 0;
    pfd[n] = (struct pollfd){.fd = sock, .events = POLLIN};
    idx[n++] = -1;
    pfd[n] = (struct pollfd){.fd = tsock, .events = POLLIN};
    idx[n++] = -1;
    int64_t now = now_ms(), next = now + 60000;
    for (int i = 0; i < MAX_PENDING; i++) {
      if (pend[i].fd < 0)
        continue;
      if (pend[i].deadline_ms <= now && !ask_next(&pend[i]))
        give_up(&pend[i]);
      if (pend[i].fd < 0)
        continue;
      if (pend[i].deadline_ms < next)
        next = pend[i].deadline_ms;
      pfd[n] = (struct pollfd){.fd = pend[i].fd, .events = POLLIN};
      idx[n++] = i;
    }
    if (poll(pfd, (nfds_t)n, (int)(next - now)) < 0 && errno != EINTR)
      return 1;
    uint8_t buf[4096];
    if (pfd[1].revents & POLLIN) {
      struct sockaddr_storage peer = {0};
      socklen_t plen = sizeof(peer);
      int c = accept4(tsock, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
      if (c >= 0 && fork() == 0) {
        upstreams mine;
        upstreams_for(&peer, &ups, &mine);
        serve_tcp(c, &mine, n_ups > 0);
      }
      if (c >= 0)
        close(c);
    }
    for (int k = 2; k < n; k++) {
      if (!(pfd[k].revents & (POLLIN | POLLERR)))
        continue;
      upstream_answered(&pend[idx[k]]);
    }
    if (!(pfd[0].revents & POLLIN))
      continue;
    struct sockaddr_storage from;
    socklen_t flen = sizeof(from);
    ssize_t got = recvfrom(sock, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    if (got < 12 || (buf[2] & 0x80))
      continue;
    uint8_t r[512];
    bool fwd;
    size_t rl = respond(buf, (size_t)got, n_ups > 0, r, sizeof(r), &fwd);
    if (rl) {
      sendto(sock, r, rl, 0, (struct sockaddr *)&from, flen);
      continue;
    }
    if (!fwd)
      continue;
    /* Not a name of the network: forwarded, answered by the host's resolvers (or the
     * client's own, --dns). */
    forward_query(buf, (size_t)got, &from, flen, &ups);
  }
}
