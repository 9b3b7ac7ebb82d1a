/* Opening a path inside a directory treated as the root, whatever symlinks it holds.
 *
 * hull_openat_in_root() is openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): absolute
 * symlinks and ".." stop at rootfd, so a hostile root filesystem cannot lead a path
 * outside it. Where openat2 is missing (Linux before 5.6, or a seccomp filter of an
 * outer container that refuses it) the same resolution is done in user space, one
 * component at a time (hull_openat_in_root_walk). */
#ifndef HULL_INROOT_H
#define HULL_INROOT_H

#include <stdbool.h>

#include "error.h"

/* Returns an fd (always O_CLOEXEC) or -1 with errno. flags must not contain O_CREAT. */
int hull_openat_in_root(int rootfd, const char *path, int flags) HULL_WUR;
/* The same with RESOLVE_NO_SYMLINKS added: ELOOP as soon as any component is a symlink
 * (a last one too, unless flags has O_PATH | O_NOFOLLOW, which gives the link itself).
 * What it opens is then exactly the path as written, "." and ".." taken lexically (".."
 * stops at rootfd), so the caller knows where it is without asking the kernel. */
int hull_openat_in_root_nosymlinks(int rootfd, const char *path, int flags) HULL_WUR;
/* The user-space resolution alone (exposed for tests): every component is opened with
 * O_NOFOLLOW beneath the directory reached so far; a symlink's text is spliced into the
 * rest of the path (from rootfd when absolute), or with no_symlinks refused (ELOOP);
 * ".." goes back one directory on the stack of directories walked, never above rootfd;
 * at most 40 symlinks (ELOOP); a symlink on procfs is refused with ELOOP (magic links
 * are never followed). */
int hull_openat_in_root_walk(int rootfd, const char *path, int flags, bool no_symlinks) HULL_WUR;

#endif
