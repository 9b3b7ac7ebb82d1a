/* hull_openat_in_root_walk (the user-space fallback) resolves every path exactly as
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) does, with and without
 * RESOLVE_NO_SYMLINKS, on a tree full of hostile symlinks: same file, or the same errno. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/inroot.h"

static int test_num, failed;

static void ok(bool cond, const char *what) {
  test_num++;
  if (!cond)
    failed = 1;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", test_num, what);
}

static int kernel_open(int rootfd, const char *path, int flags, bool no_symlinks) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0)};
  while (*path == '/')
    path++;
  /* ".." under RESOLVE_IN_ROOT fails with EAGAIN when any rename or mount happened on
   * the system meanwhile; callers retry (hull_openat_in_root does). */
  int fd;
  do
    fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* Both resolutions agree: the same inode, or the same errno. */
static bool same(int rootfd, const char *path, int flags, bool no_symlinks, char *why, size_t len) {
  int a = kernel_open(rootfd, path, flags, no_symlinks);
  int ea = errno;
  int b = hull_openat_in_root_walk(rootfd, path, flags, no_symlinks);
  int eb = errno;
  bool good;
  struct stat sa, sb;
  if (a >= 0 && b >= 0)
    good = fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  else
    good = a < 0 && b < 0 && ea == eb;
  snprintf(why, len, "%-22s flags %#o%s: openat2 %s, walk %s", path, flags, no_symlinks ? " no symlinks" : "",
           a >= 0 ? "ok" : strerror(ea), b >= 0 ? "ok" : strerror(eb));
  if (a >= 0)
    close(a);
  if (b >= 0)
    close(b);
  return good;
}

int main(void) {
  char dir[] = "/tmp/hull-inroot.XXXXXX";
  if (mkdtemp(dir) == NULL || chdir(dir) < 0) {
    printf("1..1\nnot ok 1 - temp dir\n");
    return 1;
  }
  /* outside/ is a sibling of the root: nothing may ever resolve into it. */
  int r = mkdir("root", 0755) | mkdir("outside", 0755) | mkdir("root/a", 0755) | mkdir("root/a/b", 0755) |
          mkdir("root/etc", 0755) | close(open("root/f", O_CREAT | O_WRONLY, 0644)) |
          close(open("outside/secret", O_CREAT | O_WRONLY, 0644)) |
          close(open("root/etc/passwd", O_CREAT | O_WRONLY, 0644));
  const char *links[][2] = {
      {"abs", "/a"},          {"rel", "a/b"},        {"up", "../../.."},      {"esc", "../../../outside"},
      {"loop1", "loop2"},     {"loop2", "loop1"},    {"absfile", "/f"},       {"chain", "abs/b"},
      {"dotdot", ".."},       {"a/b/uplink", "../../../.."}, {"a/b/sib", "../../etc/passwd"},
      {"hostpw", "/etc/passwd"}, {"procself", "/proc/self/root"}, {"dangling", "nope/x"},
      {"a/self", "."},         {"empty_target_dir", "a/"},
  };
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
    char p[256];
    snprintf(p, sizeof(p), "root/%s", links[i][0]);
    r |= symlink(links[i][1], p);
  }
  int rootfd = open("root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r != 0 || rootfd < 0) {
    printf("1..1\nnot ok 1 - building the tree\n");
    return 1;
  }
  const char *paths[] = {
      "",          "/",          ".",           "..",           "../..",         "a",         "a/b",
      "a/b/../..", "abs",        "abs/b",       "rel",          "rel/..",        "up",        "up/a",
      "esc",       "esc/secret", "loop1",       "a/b/c/d",      "f",             "f/x",       "f/",
      "absfile",   "absfile/",   "chain",       "chain/../..",  "dotdot",        "dotdot/f",  "a/b/uplink",
      "a/b/uplink/etc/passwd",   "a/b/sib",     "hostpw",       "procself",      "dangling",  "a/self/self/b",
      "empty_target_dir/b",      "/a/./b//",    "//a//b/..//", "a/../../../../etc/passwd",   "up/up/up/f",
  };
  int flagsets[] = {O_PATH, O_RDONLY, O_PATH | O_DIRECTORY, O_RDONLY | O_NOFOLLOW, O_PATH | O_NOFOLLOW};
  for (int nosym = 0; nosym < 2; nosym++)
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
      for (size_t k = 0; k < sizeof(flagsets) / sizeof(flagsets[0]); k++) {
        char why[512];
        ok(same(rootfd, paths[i], flagsets[k], nosym, why, sizeof(why)), why);
      }
  /* The fallback is what hull_openat_in_root uses when openat2 is missing; the entry
   * point itself must also stay inside. */
  int fd = hull_openat_in_root(rootfd, "esc/secret", O_RDONLY);
  ok(fd < 0 && errno == ENOENT, "hull_openat_in_root: ../../../outside/secret stays inside the root (ENOENT)");
  if (fd >= 0)
    close(fd);
  fd = hull_openat_in_root_nosymlinks(rootfd, "a/b/../b", O_PATH);
  ok(fd >= 0, "hull_openat_in_root_nosymlinks: a/b/../b has no symlink");
  if (fd >= 0)
    close(fd);
  fd = hull_openat_in_root_nosymlinks(rootfd, "abs/b", O_PATH);
  ok(fd < 0 && errno == ELOOP, "hull_openat_in_root_nosymlinks: abs/b goes through a symlink (ELOOP)");
  if (fd >= 0)
    close(fd);
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "# could not remove %s\n", dir);
  printf("1..%d\n", test_num);
  return failed;
}
