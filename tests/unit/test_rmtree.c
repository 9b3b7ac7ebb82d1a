/* hull_rm_rf_at / hull_rm_rf_dir_at: a tree with what a container's removal meets (nested
 * directories, overlay's mode-000 work directories, files, symlinks to files and to
 * directories outside the tree, a directory with more entries than one getdents64 buffer)
 * goes completely, and nothing a symlink points to is touched. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/rmtree.h"
#include "tap.h"

static void file_at(int dfd, const char *name) {
  int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    (void)!write(fd, "x", 1);
    close(fd);
  }
}

static int make_tree(int base, const char *name, const char *outside) {
  if (mkdirat(base, name, 0700) < 0)
    return -1;
  int t = openat(base, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  mkdirat(t, "upper", 0755);
  mkdirat(t, "upper/etc", 0755);
  file_at(t, "upper/etc/hosts");
  file_at(t, "upper/etc/hostname");
  mkdirat(t, "work", 0700);
  mkdirat(t, "work/work", 0);
  mkdirat(t, "work/work/incompat", 0);
  mkdirat(t, "work/work/incompat/volatile", 0);
  mkdirat(t, "work/work/incompat/volatile/dirty", 0);
  file_at(t, "config.json");
  symlinkat(outside, t, "link-to-dir");
  char target[4096];
  snprintf(target, sizeof(target), "%s/keep", outside);
  symlinkat(target, t, "link-to-file");
  mkdirat(t, "many", 0755);
  for (int i = 0; i < 300; i++) {
    char n[64];
    snprintf(n, sizeof(n), "many/a-rather-long-file-name-to-fill-the-buffer-%03d", i);
    if (i % 10 == 0)
      mkdirat(t, n, 0755);
    else
      file_at(t, n);
  }
  close(t);
  return 0;
}

int main(void) {
  char tmpl[] = "/tmp/hull-rmtree.XXXXXX";
  char *root = mkdtemp(tmpl);
  if (root == NULL)
    return 1;
  int base = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  mkdirat(base, "outside", 0755);
  file_at(base, "outside/keep");
  char outside[4096];
  snprintf(outside, sizeof(outside), "%s/outside", root);
  hull_err e = NULL;

  ok(make_tree(base, "tree", outside) == 0, "made a tree");
  ok(hull_rm_rf_at(base, "tree", &e) == 0, "hull_rm_rf_at removes it (%s)", e ? e->msg : "ok");
  hull_error_release(&e);
  ok(faccessat(base, "tree", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "nothing is left of it");
  ok(faccessat(base, "outside/keep", F_OK, 0) == 0, "what its symlinks pointed to stays");

  ok(make_tree(base, "tree2", outside) == 0, "made a second tree");
  ok(hull_rm_rf_dir_at(base, "tree2", &e) == 0, "hull_rm_rf_dir_at removes it (%s)", e ? e->msg : "ok");
  hull_error_release(&e);
  ok(faccessat(base, "tree2", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "nothing is left of it");

  file_at(base, "plain");
  ok(hull_rm_rf_dir_at(base, "plain", &e) == 0 && faccessat(base, "plain", F_OK, 0) < 0,
     "hull_rm_rf_dir_at unlinks a file found under the name");
  hull_error_release(&e);
  symlinkat(outside, base, "dirlink");
  ok(hull_rm_rf_dir_at(base, "dirlink", &e) == 0 && faccessat(base, "dirlink", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
         faccessat(base, "outside/keep", F_OK, 0) == 0,
     "and a symlink to a directory, not what it points to");
  hull_error_release(&e);
  ok(hull_rm_rf_at(base, "missing", &e) == 0 && hull_rm_rf_dir_at(base, "missing", &e) == 0, "a missing name is fine");
  hull_error_release(&e);

  ok(hull_rm_rf_at(AT_FDCWD, root, &e) == 0 && access(root, F_OK) < 0, "cleaned up");
  hull_error_release(&e);
  close(base);
  return tap_done();
}
