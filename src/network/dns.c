#include "network/dns.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/rmtree.h"

/* ---- the container's files ---- */

/* A growing string; on allocation failure it stays NULL and the caller reports ENOMEM. */
typedef struct sbuf {
  char *s;
  size_t len;
  bool failed;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...) {
  if (b->failed)
    return;
  va_list ap;
  va_start(ap, fmt);
  char *add = NULL;
  int n = vasprintf(&add, fmt, ap);
  va_end(ap);
  char *ns = n < 0 ? NULL : realloc(b->s, b->len + (size_t)n + 1);
  if (ns == NULL) {
    free(add);
    b->failed = true;
    return;
  }
  memcpy(ns + b->len, add, (size_t)n + 1);
  b->s = ns;
  b->len += (size_t)n;
  free(add);
}

static bool is_loopback_ns(const char *addr) {
  hull_ip ip;
  hull_err local = NULL;
  if (hull_ip_parse(addr, &ip, "nameserver", &local) < 0) {
    hull_error_release(&local); /* not an address: not kept either */
    return true;
  }
  static const uint8_t v6lo[16] = {[15] = 1};
  return (ip.family == AF_INET && ip.b[0] == 127) || (ip.family == AF_INET6 && memcmp(ip.b, v6lo, 16) == 0);
}

char *hull_resolv_for_container(const char *host_resolv, const char *const *dns, const char *const *search,
                                const char *const *options, hull_err *err) {
  const char *path = host_resolv ? host_resolv : "/etc/resolv.conf";
  hull_err local = NULL;
  cleanup_free char *host = hull_read_file(path, NULL, &local);
  hull_error_release(&local); /* no host resolv.conf: as an empty one */
  sbuf b = {0};
  bool have_ns = false;
  if (dns && dns[0]) {
    for (const char *const *d = dns; *d; d++)
      sb_printf(&b, "nameserver %s\n", *d);
    have_ns = true;
  }
  for (char *save = NULL, *line = host ? strtok_r(host, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
    char word[32], arg[256];
    if (sscanf(line, " %31s %255s", word, arg) < 1)
      continue;
    if (strcmp(word, "nameserver") == 0) {
      if (!(dns && dns[0]) && !is_loopback_ns(arg)) {
        sb_printf(&b, "nameserver %s\n", arg);
        have_ns = true;
      }
    } else if ((strcmp(word, "search") == 0 || strcmp(word, "domain") == 0) && !(search && search[0])) {
      sb_printf(&b, "%s\n", line);
    } else if (strcmp(word, "options") == 0 && !(options && options[0])) {
      sb_printf(&b, "%s\n", line);
    }
  }
  if (!have_ns)
    sb_printf(&b, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  if (search && search[0]) {
    sb_printf(&b, "search");
    for (const char *const *s = search; *s; s++)
      sb_printf(&b, " %s", *s);
    sb_printf(&b, "\n");
  }
  if (options && options[0]) {
    sb_printf(&b, "options");
    for (const char *const *o = options; *o; o++)
      sb_printf(&b, " %s", *o);
    sb_printf(&b, "\n");
  }
  if (b.failed || b.s == NULL) {
    free(b.s);
    hull_error(err, ENOMEM, "resolv.conf");
    return NULL;
  }
  return b.s;
}

static int write_at(int dirfd, const char *name, const char *text, bool fresh, hull_err *err) {
  /* Made again at every start: atomic, not durable. */
  if (fresh)
    return hull_write_file_new_at(dirfd, name, text, strlen(text), err);
  return hull_write_file_atomic_at(dirfd, name, text, strlen(text), false, err);
}

int hull_netfiles_write(int dirfd, const hull_netfiles_opts *o, hull_err *err) {
  sbuf h = {0};
  sb_printf(&h, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
  for (const char *const *a = o->add_hosts; a && *a; a++) {
    const char *colon = strchr(*a, ':');
    hull_ip ip;
    if (colon == NULL || hull_ip_parse(colon + 1, &ip, "--add-host address", err) < 0) {
      free(h.s);
      return colon ? -1
                   : hull_error(err, EINVAL, "invalid argument \"%s\" for \"--add-host\" flag: expected NAME:IP", *a);
    }
    sb_printf(&h, "%s\t%.*s\n", colon + 1, (int)(colon - *a), *a);
  }
  if (o->ip) {
    char a[HULL_IP_STRLEN];
    hull_ip_format(o->ip, a);
    sb_printf(&h, "%s\t%s", a, o->hostname);
    if (o->domainname && o->domainname[0])
      sb_printf(&h, " %s.%s", o->hostname, o->domainname);
    for (const char *const *al = o->aliases; al && *al; al++)
      sb_printf(&h, " %s", *al);
    sb_printf(&h, "\n");
  }
  cleanup_free char *hosts = h.s;
  if (h.failed)
    return hull_error(err, ENOMEM, "hosts");
  cleanup_free char *resolv = NULL;
  if (o->dns_server) {
    /* The network's responder answers the network's names and forwards the rest, to the
     * container's --dns servers when it has some (hull_dns_set_upstream), as Docker's
     * embedded DNS: listing them here instead would lose the network's names. */
    char a[HULL_IP_STRLEN];
    hull_ip_format(o->dns_server, a);
    const char *only[] = {a, NULL};
    resolv = hull_resolv_for_container(o->host_resolv, only, o->dns_search, o->dns_options, err);
  } else {
    resolv = hull_resolv_for_container(o->host_resolv, o->dns, o->dns_search, o->dns_options, err);
  }
  cleanup_free char *hostname = NULL;
  if (resolv == NULL)
    return -1;
  if (asprintf(&hostname, "%s\n", o->hostname) < 0)
    return hull_error(err, ENOMEM, "hostname");
  if (write_at(dirfd, "hosts", hosts, o->fresh, err) < 0 || write_at(dirfd, "resolv.conf", resolv, o->fresh, err) < 0 ||
      write_at(dirfd, "hostname", hostname, o->fresh, err) < 0)
    return -1;
  return 0;
}

/* The hosts file is bind-mounted into the running container, so it cannot be replaced by a
 * rename (the mount keeps the old inode): it is rewritten in place, as Docker's etchosts
 * does, under an exclusive flock so that concurrent connects and disconnects of the same
 * container serialize. The new text is written over the old from offset 0 and only then
 * cut to its length: a line added at the end leaves every byte before it unchanged, so a
 * reader sees the old file or the new one; a removal can show a reader a torn tail for the
 * few microseconds between the write and the truncate (glibc reads the file per lookup). */
#define HOSTS_LOCK_TRIES 100 /* 10 ms apart */
#define HOSTS_MAX (1 << 20)

int hull_hosts_update(int dirfd, const hull_ip *ip, const char *names, hull_err *err) {
  cleanup_close int fd = openat(dirfd, "hosts", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return hull_error_sys(err, "open hosts");
  /* The container can take the same lock on its /etc/hosts: it gets a second, not a hang. */
  int locked = -1;
  for (int i = 0; i < HOSTS_LOCK_TRIES && (locked = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EWOULDBLOCK; i++)
    usleep(10000);
  if (locked < 0)
    return hull_error_sys(err, "lock the container's hosts file");
  struct stat st;
  if (fstat(fd, &st) < 0)
    return hull_error_sys(err, "stat hosts");
  /* The container can write its /etc/hosts too: a huge one is refused, not read. */
  if (st.st_size > HOSTS_MAX)
    return hull_error_code(err, EFBIG, "the container's hosts file is larger than %d bytes", HOSTS_MAX);
  cleanup_free char *old = calloc(1, (size_t)st.st_size + 1);
  if (old == NULL)
    return hull_error(err, ENOMEM, "hosts");
  ssize_t got = pread(fd, old, (size_t)st.st_size, 0);
  if (got < 0)
    return hull_error_sys(err, "read hosts");
  old[got] = '\0';
  char a[HULL_IP_STRLEN];
  hull_ip_format(ip, a);
  size_t alen = strlen(a);
  sbuf b = {0};
  /* Every line of the address goes, so that adding twice leaves one line. */
  for (char *save = NULL, *line = strtok_r(old, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, a, alen) == 0 && (line[alen] == '\t' || line[alen] == ' '))
      continue;
    sb_printf(&b, "%s\n", line);
  }
  if (names)
    sb_printf(&b, "%s\t%s\n", a, names);
  cleanup_free char *text = b.s;
  if (b.failed)
    return hull_error(err, ENOMEM, "hosts");
  size_t len = text ? strlen(text) : 0;
  if ((len && pwrite(fd, text, len, 0) != (ssize_t)len) || ftruncate(fd, (off_t)len) < 0)
    return hull_error_sys(err, "write hosts");
  return 0;
}

/* ---- the responder ---- */

int hull_dns_set_names(hull_store *s, const hull_network *net, const char *ctr_id, const char *names, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "UPDATE ip_leases SET names = ? WHERE network_id = ? AND container_id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, names, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, net->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ctr_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record DNS names", err);
  return 0;
}

/* The responder's state directory recorded for the network, or NULL (no error) if none. */
static int dns_dir(hull_store *s, const hull_network *net, char **out, hull_err *err) {
  *out = NULL;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT data FROM net_objects WHERE kind = 'dns' AND name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net->id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
    *out = strdup((const char *)sqlite3_column_text(st, 0));
    if (*out == NULL)
      return hull_error(err, ENOMEM, "DNS responder of %s", net->name);
  }
  return 0;
}

static int write_hosts(hull_store *s, const hull_network *net, const char *dir, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s, "SELECT address, names FROM ip_leases WHERE network_id = ? AND names <> '' ORDER BY 1", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net->id, -1, SQLITE_STATIC);
  sbuf b = {0};
  sb_printf(&b, "# hull: the names of network %s (rewritten whenever a container joins or leaves)\n", net->name);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    sb_printf(&b, "%s %s\n", (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
  cleanup_free char *text = b.s;
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "read DNS names", err);
  if (b.failed)
    return hull_error(err, ENOMEM, "DNS names");
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  /* Atomic replacement: the responder reads either the old file or the new one, whole. */
  return hull_write_file_atomic_at(dfd, "hosts", text, strlen(text), false, err);
}

int hull_dns_refresh(hull_store *s, const hull_network *net, hull_err *err) {
  cleanup_free char *dir = NULL;
  if (dns_dir(s, net, &dir, err) < 0)
    return -1;
  if (dir == NULL)
    return 0;
  struct stat st;
  if (stat(dir, &st) < 0)
    return 0; /* the responder is not running (after a reboot); ensure starts it again */
  return write_hosts(s, net, dir, err);
}

/* "PID STARTTIME" of a live responder, else 0. */
static pid_t running_pid(const char *dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/dns.pid", dir);
  hull_err local = NULL;
  cleanup_free char *text = hull_read_file(path, NULL, &local);
  hull_error_release(&local); /* no pid file: not running */
  int pid = 0;
  unsigned long long start = 0;
  if (text == NULL || sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 0)
    return 0;
  return hull_proc_alive(pid, start) ? pid : 0;
}

static int dns_binary(char *out, size_t len, hull_err *err) {
  const char *env = getenv("HULL_DNS_BIN");
  if (env && env[0]) {
    snprintf(out, len, "%s", env);
    return 0;
  }
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0)
    return hull_error_sys(err, "readlink /proc/self/exe");
  self[n] = '\0';
  snprintf(out, len, "%s/hull-dns", dirname(self));
  if (access(out, X_OK) < 0)
    return hull_error_sys(err, "DNS responder %s", out);
  return 0;
}

/* Starts hull-dns detached (its own session, stdio on /dev/null) and writes its pid file. */
static int spawn(const hull_network *net, const char *dir, hull_err *err) {
  char bin[PATH_MAX], hosts[PATH_MAX], resolv[PATH_MAX], gw[HULL_IP_STRLEN];
  if (dns_binary(bin, sizeof(bin), err) < 0)
    return -1;
  snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
  snprintf(resolv, sizeof(resolv), "%s/resolv.conf", dir);
  hull_ip_format(&net->gateway, gw);
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return hull_error_sys(err, "start DNS responder: pipe");
  pid_t mid = fork();
  if (mid < 0) {
    close(pfd[0]);
    close(pfd[1]);
    return hull_error_sys(err, "start DNS responder: fork");
  }
  if (mid == 0) {
    /* The middle child makes the responder an orphan of init, not a child of the CLI. */
    setsid();
    pid_t pid = fork();
    if (pid != 0) {
      int r = (int)write(pfd[1], &pid, sizeof(pid));
      _exit(r == sizeof(pid) ? 0 : 1);
    }
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    hull_err local = NULL;
    if (hull_close_fds_from(3, &local) < 0)
      _exit(127);
    const char *argv[] = {
        "hull-dns", "--listen", gw, "--hosts", hosts, "--resolv", resolv, net->internal ? "--no-forward" : NULL, NULL};
    execv(bin, (char **)argv);
    _exit(127);
  }
  close(pfd[1]);
  pid_t pid = -1;
  ssize_t r = read(pfd[0], &pid, sizeof(pid));
  close(pfd[0]);
  int st = hull_wait_exit_status(mid);
  if (r != sizeof(pid) || st != 0 || pid <= 0)
    return hull_error(err, EIO, "start DNS responder %s for network %s", bin, net->name);
  unsigned long long start = hull_proc_start_time(pid);
  char text[64];
  snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0 || hull_write_file_atomic_at(dfd, "dns.pid", text, strlen(text), false, err) < 0) {
    kill(pid, SIGKILL);
    return dfd < 0 ? hull_error_sys(err, "open %s", dir) : -1;
  }
  return 0;
}

int hull_dns_ensure(hull_store *s, const hull_network *net, const char *runroot, const char *host_resolv,
                    hull_err *err) {
  cleanup_free char *dir = NULL;
  if (asprintf(&dir, "%s/networks/%s", runroot, net->id) < 0)
    return hull_error(err, ENOMEM, "DNS responder of %s", net->name);
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s, "INSERT OR REPLACE INTO net_objects (kind, name, network_id, data) VALUES ('dns', ?1, ?1, ?2)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, net->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, dir, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, "record DNS responder", err);
  if (hull_mkdir_p(dir, 0700, err) < 0 || write_hosts(s, net, dir, err) < 0)
    return -1;
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  cleanup_free char *resolv = hull_resolv_for_container(host_resolv, NULL, NULL, NULL, err);
  if (resolv == NULL || hull_write_file_atomic_at(dfd, "resolv.conf", resolv, strlen(resolv), false, err) < 0)
    return -1;
  /* Two commands that find the responder dead at once start one, not two (the second
   * would lose the bind of port 53 and leave its dead pid in dns.pid). */
  if (flock(dfd, LOCK_EX) < 0)
    return hull_error_sys(err, "lock %s", dir);
  if (running_pid(dir))
    return 0;
  return spawn(net, dir, err);
}

int hull_dns_revive(hull_store *s, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT o.network_id, o.data FROM net_objects o WHERE o.kind = 'dns' AND o.data <> '' AND "
                         "EXISTS (SELECT 1 FROM ip_leases l WHERE l.network_id = o.network_id)",
                         err);
  if (st == NULL)
    return -1;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0), *dir = (const char *)sqlite3_column_text(st, 1);
    if (id == NULL || dir == NULL || running_pid(dir))
      continue;
    cleanup_network hull_network *net = NULL;
    if (hull_network_lookup(s, id, &net, err) < 0)
      return -1;
    cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dfd < 0 && errno == ENOENT)
      continue; /* a reboot emptied the runroot: the next connect writes it again */
    if (dfd < 0)
      return hull_error_sys(err, "open %s", dir);
    if (flock(dfd, LOCK_EX) < 0)
      return hull_error_sys(err, "lock %s", dir);
    hull_debug("DNS responder of network %s was gone: starting it again", net->name);
    if (!running_pid(dir) && spawn(net, dir, err) < 0)
      return -1;
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(s, "list DNS responders", err);
  return 0;
}

/* Gone or a zombie (whoever reaps orphans here may take its time). */
static bool exited(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return true;
  buf[n] = '\0';
  const char *p = strrchr(buf, ')');
  return p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

int hull_dns_set_upstream(const hull_network *net, const char *runroot, const hull_ip *client, const char *const *dns,
                          hull_err *err) {
  char a[HULL_IP_STRLEN];
  hull_ip_format(client, a);
  cleanup_free char *dir = NULL;
  if (asprintf(&dir, "%s/networks/%s/upstream", runroot, net->id) < 0)
    return hull_error(err, ENOMEM, "DNS resolvers of %s", a);
  if (dns == NULL || dns[0] == NULL) {
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, a) < 0)
      return hull_error(err, ENOMEM, "DNS resolvers of %s", a);
    if (unlink(path) < 0 && errno != ENOENT)
      return hull_error_sys(err, "remove %s", path);
    return 0;
  }
  sbuf b = {0};
  for (const char *const *d = dns; *d; d++)
    sb_printf(&b, "nameserver %s\n", *d);
  cleanup_free char *text = b.s;
  if (b.failed || text == NULL)
    return hull_error(err, ENOMEM, "DNS resolvers of %s", a);
  if (hull_mkdir_p(dir, 0700, err) < 0)
    return -1;
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  return hull_write_file_atomic_at(dfd, a, text, strlen(text), false, err);
}

int hull_dns_stop(const char *dir, hull_err *err) {
  pid_t pid = running_pid(dir);
  if (pid > 0) {
    if (kill(pid, SIGTERM) < 0 && errno != ESRCH)
      return hull_error_sys(err, "stop DNS responder %d", (int)pid);
    /* Gone before its directory is: a responder that outlived it would serve stale names. */
    for (int i = 0; i < 200 && !exited(pid); i++)
      usleep(5000);
  }
  return hull_rm_rf_at(AT_FDCWD, dir, err);
}
