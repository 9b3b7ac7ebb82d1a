/* src/network: address arithmetic, prefixes and Docker's -p syntax (no root needed). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "network/addr.h"
#include "network/dns.h"
#include "network/nat.h"
#include "network/proxy.h"
#include "tap.h"

static void prefix(const char *in, bool allow_host, const char *want) {
  hull_prefix p;
  hull_err e = NULL;
  char got[HULL_PREFIX_STRLEN] = "";
  int rc = hull_prefix_parse(in, &p, allow_host, "subnet", &e);
  if (rc == 0)
    hull_prefix_format(&p, got);
  ok(want ? rc == 0 && strcmp(got, want) == 0 : rc < 0 && e != NULL, "prefix %s -> %s (got %s)", in,
     want ? want : "error", rc == 0 ? got : e->msg);
  hull_error_release(&e);
}

static void bounds(const char *in, const char *first, const char *last) {
  hull_prefix p;
  hull_err e = NULL;
  char f[HULL_IP_STRLEN] = "", l[HULL_IP_STRLEN] = "";
  if (hull_prefix_parse(in, &p, false, "subnet", &e) == 0) {
    hull_ip a = hull_prefix_first(&p), b = hull_prefix_last(&p);
    hull_ip_format(&a, f);
    hull_ip_format(&b, l);
  }
  ok(strcmp(f, first) == 0 && strcmp(l, last) == 0, "%s spans %s - %s (got %s - %s)", in, first, last, f, l);
  hull_error_release(&e);
}

static void add(const char *in, int64_t n, const char *want) {
  hull_ip a;
  hull_err e = NULL;
  char got[HULL_IP_STRLEN] = "";
  if (hull_ip_parse(in, &a, "ip", &e) == 0) {
    hull_ip r = hull_ip_add(&a, n);
    hull_ip_format(&r, got);
  }
  ok(strcmp(got, want) == 0, "%s + %lld = %s (got %s)", in, (long long)n, want, got);
  hull_error_release(&e);
}

static void overlap(const char *a, const char *b, bool want) {
  hull_prefix pa, pb;
  hull_err e = NULL;
  bool got = hull_prefix_parse(a, &pa, false, "a", &e) == 0 && hull_prefix_parse(b, &pb, false, "b", &e) == 0 &&
             hull_prefix_overlaps(&pa, &pb);
  ok(got == want, "%s and %s %s", a, b, want ? "overlap" : "do not overlap");
  hull_error_release(&e);
}

static void port(const char *in, const char *want) {
  hull_port p;
  hull_err e = NULL;
  char got[96] = "";
  int rc = hull_port_parse(in, &p, &e);
  if (rc == 0)
    hull_port_format(&p, got, sizeof(got));
  ok(want ? rc == 0 && strcmp(got, want) == 0 : rc < 0, "-p %s -> %s (got %s)", in, want ? want : "error",
     rc == 0 ? got : e->msg);
  hull_error_release(&e);
}

/* hull_hosts_update rewrites the file in place (same inode: a bind mount keeps showing it),
 * one line per address, other lines kept. */
static void hosts_update(void) {
  char dir[] = "/tmp/hull-test-hosts.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    ok(0, "mkdtemp");
    return;
  }
  int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  const char *start = "127.0.0.1\tlocalhost\n10.66.0.2\tbox\n";
  int fd = openat(dfd, "hosts", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ok(fd >= 0 && write(fd, start, strlen(start)) == (ssize_t)strlen(start), "hosts written");
  struct stat before, after;
  fstat(fd, &before);
  close(fd);
  hull_ip a, b;
  hull_err e = NULL;
  ok(hull_ip_parse("10.91.0.2", &a, "ip", &e) == 0 && hull_ip_parse("10.66.0.2", &b, "ip", &e) == 0, "addresses");
  ok(hull_hosts_update(dfd, &a, "box al1", &e) == 0, "add");
  ok(hull_hosts_update(dfd, &a, "box al2", &e) == 0, "add the same address again");
  char *text = hull_read_file_at(dfd, "hosts", NULL, &e);
  ok(text && strcmp(text, "127.0.0.1\tlocalhost\n10.66.0.2\tbox\n10.91.0.2\tbox al2\n") == 0, "one line per address");
  free(text);
  ok(hull_hosts_update(dfd, &b, NULL, &e) == 0 && hull_hosts_update(dfd, &a, NULL, &e) == 0, "remove both");
  text = hull_read_file_at(dfd, "hosts", NULL, &e);
  ok(text && strcmp(text, "127.0.0.1\tlocalhost\n") == 0, "the rest kept");
  free(text);
  ok(fstatat(dfd, "hosts", &after, 0) == 0 && after.st_ino == before.st_ino, "same inode");
  /* A lock the container holds forever: an error after a second, not a hang. */
  int holder = openat(dfd, "hosts", O_RDONLY | O_CLOEXEC);
  ok(holder >= 0 && flock(holder, LOCK_EX) == 0, "lock taken by another");
  ok(hull_hosts_update(dfd, &a, "box", &e) < 0 && e && e->errno_ == EWOULDBLOCK, "a held lock is an error");
  hull_error_release(&e);
  close(holder);
  hull_error_release(&e);
  unlinkat(dfd, "hosts", 0);
  close(dfd);
  rmdir(dir);
}

static void proxy_wants(const char *spec, bool want) {
  hull_port p;
  hull_err e = NULL;
  ok(hull_port_parse(spec, &p, &e) == 0 && hull_proxy_wants(&p) == want, "-p %s %s on [::1]", spec,
     want ? "served" : "not served");
  hull_error_release(&e);
}

static void unspecified(const char *in, bool want) {
  hull_ip a;
  hull_err e = NULL;
  ok(hull_ip_parse(in, &a, "ip", &e) == 0 && hull_ip_unspecified(&a) == want, "%s %s every address", in,
     want ? "is" : "is not");
  hull_error_release(&e);
}

int main(void) {
  prefix("10.88.0.0/16", false, "10.88.0.0/16");
  prefix("10.88.0.1/16", false, NULL);
  prefix("10.88.0.1/16", true, "10.88.0.1/16");
  prefix("10.88.0.0/33", false, NULL);
  prefix("10.88.0.0", false, NULL);
  prefix("10.88.0.0/", false, NULL);
  prefix("10.88.0.0/1x", false, NULL);
  prefix("fd00:1::/64", false, "fd00:1::/64");
  prefix("fd00::1/64", false, NULL);
  prefix("fd00::/129", false, NULL);
  prefix("::/0", false, "::/0");
  bounds("10.88.0.0/16", "10.88.0.0", "10.88.255.255");
  bounds("10.0.0.8/29", "10.0.0.8", "10.0.0.15");
  bounds("fd00::/120", "fd00::", "fd00::ff");
  bounds("0.0.0.0/0", "0.0.0.0", "255.255.255.255");
  add("10.0.0.255", 1, "10.0.1.0");
  add("10.0.1.0", -1, "10.0.0.255");
  add("255.255.255.255", 1, "0.0.0.0");
  add("fd00::ffff:ffff:ffff:ffff", 1, "fd00:0:0:1::");
  add("fd00:0:0:1::", -1, "fd00::ffff:ffff:ffff:ffff");
  overlap("10.0.0.0/8", "10.1.0.0/16", true);
  overlap("10.1.0.0/16", "10.0.0.0/8", true);
  overlap("10.1.0.0/16", "10.2.0.0/16", false);
  overlap("10.0.0.0/8", "fd00::/8", false);
  port("80", "80/tcp -> 0.0.0.0:0");
  port("8080:80", "80/tcp -> 0.0.0.0:8080");
  port("127.0.0.1:8080:80/udp", "80/udp -> 127.0.0.1:8080");
  port("127.0.0.1::80", "80/tcp -> 127.0.0.1:0");
  port("[::1]:8080:80", "80/tcp -> ::1:8080");
  proxy_wants("8080:80", true);
  proxy_wants("[::1]:8080:80", true);
  proxy_wants("127.0.0.1:8080:80", false);
  proxy_wants("[fd00::1]:8080:80", false);
  proxy_wants("8080:80/udp", true);
  proxy_wants("[::1]:8080:80/udp", true);
  proxy_wants("127.0.0.1:8080:80/udp", false);
  proxy_wants("[::]:8080:80", true);
  proxy_wants("0.0.0.0:8080:80", false);
  unspecified("0.0.0.0", true);
  unspecified("::", true);
  unspecified("0.0.0.1", false);
  unspecified("::1", false);
  unspecified("fd00::", false);
  hosts_update();
  port(":8080:80", "80/tcp -> 0.0.0.0:8080");
  port("80/sctp", NULL);
  port("0:80", NULL);
  port("8080:0", NULL);
  port("70000:80", NULL);
  port("a:80", NULL);
  port("1.2.3:80:80", NULL);
  port("[::1]80", NULL);
  port("1:2:3:4", NULL);
  return tap_done();
}
