/* Unit tests (TAP) for the cgroup layout parsers, path resolution and v1->v2 conversions.
 * No root needed: everything works on sample text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "runtime/cgroup-mounts.h"
#include "runtime/cgroup.h"
#include "tap.h"

static int streq(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

/* This machine: v1 controllers, name=systemd, and a cgroup2 mount holding only hugetlb. */
static const char hybrid_mi[] = "22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
                                "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
                                "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
                                "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
                                "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
                                "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
                                "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
                                "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
                                "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
                                "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
                                "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
                                "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
static const char hybrid_pc[] = "9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n"
                                "4:memory:/process_api/79fe\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

/* A classic Debian 10 / CentOS 7 style v1 host, with co-mounted controllers. */
static const char v1_mi[] =
    "25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755\n"
    "27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
    "31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:11 - cgroup cgroup rw,net_cls,net_prio\n"
    "32 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory\n"
    "33 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,pids\n"
    "34 25 0:31 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpuset\n";
static const char v1_pc[] = "12:cpuset:/\n11:pids:/user.slice/user-1000.slice/session-2.scope\n10:memory:/user.slice\n"
                            "9:net_cls,net_prio:/\n3:cpu,cpuacct:/user.slice\n"
                            "1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n0::/\n";

/* Pure v2, plus a stray name=systemd v1 mount that must be ignored. */
static const char v2_mi[] = "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
                            "rw,nsdelegate,memory_recursiveprot\n"
                            "90 26 0:50 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n";
static const char v2_pc[] = "1:name=systemd:/\n0::/user.slice/user-1000.slice/session-1.scope\n";

/* Inside a container without a cgroup namespace: the mount roots are the container's
 * cgroup, and a mount point contains an escaped space. */
static const char bind_mi[] = "600 590 0:29 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
                              "601 590 0:36 /docker/abc /sys/fs/cgroup/my\\040pids ro,nosuid - cgroup cgroup rw,pids\n";
static const char bind_pc[] = "8:pids:/docker/abc\n4:memory:/docker/abc/sub\n";

static void test_hybrid(void) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  ok(hull_cgroup_parse_layout(hybrid_mi, hybrid_pc, &l, &err) == 0, "hybrid: parses");
  ok(l.kind == HULL_CGROUP_HYBRID && l.n == 10, "hybrid: kind and 10 hierarchies");
  const struct hull_cgroup_hier *m = hull_cgroup_layout_find(&l, "memory");
  ok(m && streq(m->mount, "/sys/fs/cgroup/memory") && streq(m->own, "/process_api/79fe") && !m->v2,
     "hybrid: memory hierarchy and own cgroup");
  const struct hull_cgroup_hier *s = hull_cgroup_layout_find(&l, "name=systemd");
  ok(s && streq(s->mount, "/sys/fs/cgroup/systemd"), "hybrid: name=systemd hierarchy");
  ok(hull_cgroup_layout_find(&l, "hugetlb") == NULL, "hybrid: hugetlb unknown before cgroup.controllers");
  ok(hull_cgroup_layout_set_v2_controllers(&l, "hugetlb\n", &err) == 0, "hybrid: v2 controllers set");
  const struct hull_cgroup_hier *h = hull_cgroup_layout_find(&l, "hugetlb");
  ok(h && h->v2 && streq(h->mount, "/sys/fs/cgroup/unified") && streq(h->controllers, "hugetlb"),
     "hybrid: hugetlb on the unified hierarchy");
  ok(hull_cgroup_layout_find(&l, "") == h, "hybrid: \"\" finds the cgroup2 hierarchy");
  ok(hull_cgroup_layout_find(&l, "net_cls") == NULL, "hybrid: unmounted controller not found");

  char *dir = hull_cgroup_hier_dir(m, "/a/b", true);
  ok(streq(dir, "/sys/fs/cgroup/memory/process_api/79fe/a/b"), "hybrid: relative path under own memory cgroup");
  free(dir);
  dir = hull_cgroup_hier_dir(hull_cgroup_layout_find(&l, "cpu"), "/a/b", true);
  ok(streq(dir, "/sys/fs/cgroup/cpu/a/b"), "hybrid: relative path under own cpu cgroup (root)");
  free(dir);
  dir = hull_cgroup_hier_dir(m, "/a/b", false);
  ok(streq(dir, "/sys/fs/cgroup/memory/a/b"), "hybrid: absolute path from the mount root");
  free(dir);

  hull_cgroup *cg = NULL;
  ok(hull_cgroup_new_from_layout(&l, NULL, "web", &cg, &err) == 0, "hybrid: cgroup from layout");
  ok(cg && streq(hull_cgroup_dir(cg, "memory"), "/sys/fs/cgroup/memory/hull-runtime/web") &&
         streq(hull_cgroup_dir(cg, ""), "/sys/fs/cgroup/unified/hull-runtime/web") &&
         streq(hull_cgroup_dir(cg, "hugetlb"), "/sys/fs/cgroup/unified/hull-runtime/web") &&
         streq(hull_cgroup_path(cg), "/hull-runtime/web"),
     "hybrid: default path /hull-runtime/<id> in every hierarchy");
  size_t n = 0;
  while (cg && hull_cgroup_hierarchy(cg, n))
    n++;
  ok(n == 10, "hybrid: 10 directories to create (v1 + name=systemd + unified)");

  /* Round trip through state.json. */
  json_t *j = cg ? hull_cgroup_to_json(cg) : NULL;
  hull_cgroup *back = NULL;
  ok(j && hull_cgroup_from_json(j, &back, &err) == 0 && hull_cgroup_kind(back) == HULL_CGROUP_HYBRID &&
         streq(hull_cgroup_dir(back, "pids"), "/sys/fs/cgroup/pids/hull-runtime/web") &&
         streq(hull_cgroup_dir(back, "hugetlb"), "/sys/fs/cgroup/unified/hull-runtime/web") &&
         streq(hull_cgroup_path(back), "/hull-runtime/web"),
     "hybrid: to_json/from_json round trip");
  json_object_set_new(json_array_get(json_object_get(j, "hierarchies"), 0), "dir", json_string("/x/../../etc"));
  hull_cgroup *evil = NULL;
  ok(hull_cgroup_from_json(j, &evil, &err) < 0 && err != NULL, "from_json rejects \"..\" in a directory");
  hull_error_release(&err);
  json_decref(j);
  hull_cgroup_free(back);
  hull_cgroup_free(cg);
}

static void test_v1(void) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  ok(hull_cgroup_parse_layout(v1_mi, v1_pc, &l, &err) == 0 && l.kind == HULL_CGROUP_V1, "v1: parses as v1");
  ok(l.n == 6, "v1: 6 hierarchies, no cgroup2 (0::/ without a mount)");
  const struct hull_cgroup_hier *a = hull_cgroup_layout_find(&l, "cpuacct"), *c = hull_cgroup_layout_find(&l, "cpu");
  ok(a && a == c && streq(a->mount, "/sys/fs/cgroup/cpu,cpuacct") && streq(a->own, "/user.slice"),
     "v1: co-mounted cpu,cpuacct");
  const struct hull_cgroup_hier *s = hull_cgroup_layout_find(&l, "name=systemd");
  ok(s && streq(s->own, "/user.slice/user-1000.slice/session-2.scope"),
     "v1: name=systemd with xattr,release_agent options");
  ok(hull_cgroup_layout_find(&l, "net_prio") == hull_cgroup_layout_find(&l, "net_cls"), "v1: net_cls,net_prio");
  hull_cgroup *cg = NULL;
  ok(hull_cgroup_new_from_layout(&l, "ctr/x", "id", &cg, &err) == 0 &&
         streq(hull_cgroup_dir(cg, "pids"), "/sys/fs/cgroup/pids/user.slice/user-1000.slice/session-2.scope/ctr/x") &&
         streq(hull_cgroup_dir(cg, "cpuset"), "/sys/fs/cgroup/cpuset/ctr/x") &&
         streq(hull_cgroup_path(cg), "/user.slice/user-1000.slice/session-2.scope/ctr/x"),
     "v1: relative cgroupsPath per hierarchy");
  ok(cg && hull_cgroup_v2_dirfd(cg) == -1, "v1: no v2 dirfd");
  hull_cgroup_free(cg);
}

static void test_v2(void) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  ok(hull_cgroup_parse_layout(v2_mi, v2_pc, &l, &err) == 0 && l.kind == HULL_CGROUP_V2 && l.n == 1,
     "v2: pure v2, the stray name=systemd mount dropped");
  ok(streq(l.h[0].mount, "/sys/fs/cgroup") && streq(l.h[0].own, "/user.slice/user-1000.slice/session-1.scope"),
     "v2: mount and own cgroup");
  ok(hull_cgroup_layout_set_v2_controllers(&l, "cpuset cpu io memory hugetlb pids rdma misc\n", &err) == 0 &&
         streq(l.h[0].controllers, "cpuset,cpu,io,memory,hugetlb,pids,rdma,misc"),
     "v2: controllers list");
  ok(hull_cgroup_layout_find(&l, "memory") == &l.h[0] && hull_cgroup_layout_find(&l, "blkio") == NULL,
     "v2: memory on v2, no blkio");
  hull_cgroup *cg = NULL;
  ok(hull_cgroup_new_from_layout(&l, "/machine/c1", "id", &cg, &err) == 0 &&
         streq(hull_cgroup_dir(cg, "memory"), "/sys/fs/cgroup/machine/c1") &&
         streq(hull_cgroup_path(cg), "/machine/c1"),
     "v2: absolute cgroupsPath");
  hull_cgroup_free(cg);
}

static void test_bind(void) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  ok(hull_cgroup_parse_layout(bind_mi, bind_pc, &l, &err) == 0 && l.kind == HULL_CGROUP_V1 && l.n == 2, "bind: parses");
  const struct hull_cgroup_hier *m = hull_cgroup_layout_find(&l, "memory"), *p = hull_cgroup_layout_find(&l, "pids");
  ok(m && streq(m->root, "/docker/abc") && streq(m->own, "/sub"), "bind: own cgroup relative to the mount root");
  ok(p && streq(p->mount, "/sys/fs/cgroup/my pids") && streq(p->own, "/"), "bind: octal escapes in mount points");
  hull_cgroup *cg = NULL;
  ok(hull_cgroup_new_from_layout(&l, "/c", "id", &cg, &err) == 0 && streq(hull_cgroup_path(cg), "/docker/abc/c"),
     "bind: display path includes the mount root");
  hull_cgroup_free(cg);
  ok(hull_cgroup_parse_layout("", "0::/\n", &l, &err) < 0 && err && err->errno_ == ENOENT, "no hierarchy: error");
  hull_error_release(&err);
}

static void test_paths(void) {
  char *out = NULL;
  bool rel = true;
  hull_err err = NULL;
  ok(hull_cgroup_normalize_path(NULL, "abc", &out, &rel, &err) == 0 && streq(out, "/hull-runtime/abc") && !rel,
     "path: default /hull-runtime/<id>");
  free(out), out = NULL;
  ok(hull_cgroup_normalize_path("", "abc", &out, &rel, &err) == 0 && streq(out, "/hull-runtime/abc"),
     "path: empty is default");
  free(out), out = NULL;
  ok(hull_cgroup_normalize_path("/a//b/./c/", "x", &out, &rel, &err) == 0 && streq(out, "/a/b/c") && !rel,
     "path: slashes and dots collapsed");
  free(out), out = NULL;
  ok(hull_cgroup_normalize_path("foo/bar", "x", &out, &rel, &err) == 0 && streq(out, "/foo/bar") && rel,
     "path: relative");
  free(out), out = NULL;
  ok(hull_cgroup_normalize_path("/a/../b", "x", &out, &rel, &err) < 0 && err && strstr(err->msg, "..") && !out,
     "path: .. rejected");
  hull_error_release(&err);
  ok(hull_cgroup_normalize_path("/", "x", &out, &rel, &err) < 0, "path: root rejected");
  hull_error_release(&err);
  ok(hull_cgroup_normalize_path("./", "x", &out, &rel, &err) < 0, "path: own cgroup rejected");
  hull_error_release(&err);
  ok(hull_cgroup_normalize_path(NULL, "a/b", &out, &rel, &err) < 0, "path: id with / rejected");
  hull_error_release(&err);
}

static void test_conversions(void) {
  ok(hull_cgroup_shares_to_weight(2) == 1 && hull_cgroup_shares_to_weight(262144) == 10000, "weight: range ends");
  ok(hull_cgroup_shares_to_weight(1024) == 39 && hull_cgroup_shares_to_weight(512) == 20, "weight: 1024->39, 512->20");
  ok(hull_cgroup_shares_to_weight(0) == 0, "weight: 0 stays unset");
  ok(hull_cgroup_blkio_to_io_weight(10) == 1 && hull_cgroup_blkio_to_io_weight(1000) == 10000 &&
         hull_cgroup_blkio_to_io_weight(500) == 4950,
     "io.weight: 10->1, 500->4950, 1000->10000");
  long long s = 0;
  hull_err err = NULL;
  ok(hull_cgroup_swap_to_v2(200, 100, &s, &err) == 1 && s == 100, "swap: 200/100 -> 100");
  ok(hull_cgroup_swap_to_v2(100, 100, &s, &err) == 1 && s == 0, "swap: equal -> 0 (no swap)");
  ok(hull_cgroup_swap_to_v2(-1, 100, &s, &err) == 1 && s == -1, "swap: -1 -> max");
  ok(hull_cgroup_swap_to_v2(0, -1, &s, &err) == 1 && s == -1, "swap: unlimited memory -> max");
  ok(hull_cgroup_swap_to_v2(0, 100, &s, &err) == 0, "swap: not given");
  ok(hull_cgroup_swap_to_v2(50, 100, &s, &err) < 0 && err, "swap: below limit rejected");
  hull_error_release(&err);
  ok(hull_cgroup_swap_to_v2(50, 0, &s, &err) < 0 && err, "swap: without limit rejected");
  hull_error_release(&err);
}

static void test_devices(void) {
  json_t *d = json_loads("[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
                         "\"access\":\"rwm\"}]",
                         0, NULL);
  ok(!hull_cgroup_devices_permissive_p(d), "devices: deny-all list is not permissive");
  json_decref(d);
  d = json_loads("[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"access\":\"rwm\"}]", 0, NULL);
  ok(hull_cgroup_devices_permissive_p(d), "devices: deny then allow all is permissive");
  json_decref(d);
  d = json_loads("[{\"allow\":true,\"type\":\"a\",\"access\":\"rwm\"},{\"allow\":false,\"type\":\"b\",\"major\":8}]", 0,
                 NULL);
  ok(!hull_cgroup_devices_permissive_p(d), "devices: a later deny is not permissive");
  json_decref(d);
  d = json_loads("[]", 0, NULL);
  ok(hull_cgroup_devices_permissive_p(d) && hull_cgroup_devices_permissive_p(NULL), "devices: empty and absent");
  json_decref(d);
  d = json_loads("[{\"allow\":true,\"access\":\"r\"}]", 0, NULL);
  ok(hull_cgroup_devices_permissive_p(d), "devices: partial allow-all over the default stays permissive");
  json_decref(d);
}

/* Found by fuzz/fuzz_cgroup.c: malformed mountinfo and /proc/self/cgroup text. */
static void test_malformed(void) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  /* A mount point with trailing slashes made hull_cgroup_new_from_layout read past the
   * end of the directory string (dir = mount without its trailing slashes + path). */
  ok(hull_cgroup_parse_layout("1 1 0:1 / /a/////////////////// rw - cgroup2 cgroup2 rw\n", "0::/\n", &l, &err) < 0 &&
         err && err->errno_ == ENOENT,
     "malformed: a mount point with trailing slashes is not a cgroup mount");
  hull_error_release(&err);
  ok(hull_cgroup_parse_layout("1 1 0:1 / rw,relatime rw - cgroup2 cgroup2 rw\n", "0::/\n", &l, &err) < 0 && err,
     "malformed: a relative mount point is not a cgroup mount");
  hull_error_release(&err);
  /* A relative own cgroup is taken as the root of the hierarchy. */
  ok(hull_cgroup_parse_layout(v2_mi, "0::,\n", &l, &err) == 0 && l.n == 1 && streq(l.h[0].own, "/"),
     "malformed: a relative own cgroup path becomes /");
  hull_cgroup_layout_clear(&l);
  hull_error_release(&err);
}

/* The cgroup mounts as listmount/statmount give them (cgroup-mounts.c) make the same
 * layout as the whole of this host's mountinfo: every hierarchy with its controllers,
 * mount point, root and own cgroup. Skipped on a kernel without those calls (then the
 * runtime reads mountinfo as before). */
static void test_live_mounts(void) {
  char *fast = NULL;
  int n = hull_cg_mounts_list(&fast);
  hull_err e = NULL, e2 = NULL;
  char *mi = hull_read_file("/proc/self/mountinfo", NULL, &e);
  char *pc = hull_read_file("/proc/self/cgroup", NULL, &e2);
  if (n < 0 || mi == NULL || pc == NULL) {
    ok(1, "# SKIP no listmount/statmount here (%d)", n);
    hull_error_release(&e);
    hull_error_release(&e2);
    free(fast), free(mi), free(pc);
    return;
  }
  int lines = 0;
  for (const char *c = pc; *c; c++)
    lines += *c == '\n';
  ok(n == lines, "live: one cgroup mount per hierarchy of /proc/self/cgroup (%d, %d)", n, lines);
  struct hull_cgroup_layout a, b;
  int ra = hull_cgroup_parse_layout(fast, pc, &a, &e);
  int rb = hull_cgroup_parse_layout(mi, pc, &b, &e2);
  ok(ra == 0 && rb == 0, "live: both parse");
  bool same = ra == 0 && rb == 0 && a.kind == b.kind && a.n == b.n && a.n > 0;
  for (size_t i = 0; same && i < a.n; i++)
    same = a.h[i].v2 == b.h[i].v2 && streq(a.h[i].controllers, b.h[i].controllers) &&
           streq(a.h[i].mount, b.h[i].mount) && streq(a.h[i].root, b.h[i].root) && streq(a.h[i].own, b.h[i].own);
  ok(same, "live: the listed mounts give mountinfo's layout (%zu hierarchies)", ra == 0 ? a.n : 0);
  if (ra == 0)
    hull_cgroup_layout_clear(&a);
  if (rb == 0)
    hull_cgroup_layout_clear(&b);
  hull_error_release(&e);
  hull_error_release(&e2);
  free(fast), free(mi), free(pc);
}

int main(void) {
  test_live_mounts();
  test_malformed();
  test_hybrid();
  test_v1();
  test_v2();
  test_bind();
  test_paths();
  test_conversions();
  test_devices();
  return tap_done();
}
