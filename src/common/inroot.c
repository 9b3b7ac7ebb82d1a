/* Path resolution confined to a root directory (see inroot.h). */
#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40

static int open_in_root(int rootfd, const char *path, int flags, bool no_symlinks) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0)};
  const char *p = path;
  while (*p == '/')
    p++;
  if (*p == '\0')
    p = ".";
  int fd;
  do
    fd = (int)syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
  while (fd < 0 && (errno == EAGAIN || errno == EINTR));
  if (fd < 0 && (errno == ENOSYS || errno == EPERM))
    return hull_openat_in_root_walk(rootfd, path, flags, no_symlinks);
  return fd;
}

int hull_openat_in_root(int rootfd, const char *path, int flags) { return open_in_root(rootfd, path, flags, false); }

int hull_openat_in_root_nosymlinks(int rootfd, const char *path, int flags) {
  return open_in_root(rootfd, path, flags, true);
}

/* The directories walked so far; dirs[0] is the root (not owned). */
struct walk {
  int *dirs;
  size_t n, cap;
};

static void walk_reset(struct walk *w) {
  while (w->n > 1)
    close(w->dirs[--w->n]);
}

static int walk_push(struct walk *w, int fd) {
  if (w->n == w->cap) {
    size_t cap = w->cap * 2;
    int *d = realloc(w->dirs, cap * sizeof(int));
    if (d == NULL) {
      close(fd);
      errno = ENOMEM;
      return -1;
    }
    w->dirs = d;
    w->cap = cap;
  }
  w->dirs[w->n++] = fd;
  return 0;
}

static bool on_procfs(int fd) {
  struct statfs sfs;
  return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* Puts link + "/" + rest (the unresolved tail) into buf; just link when rest is empty. */
static int splice_link(char *buf, size_t size, const char *link, size_t link_len, const char *rest) {
  size_t rest_len = strlen(rest);
  if (link_len + 1 + rest_len + 1 > size) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (rest_len == 0) { /* a last component: no slash, or a file would need to be a directory */
    memcpy(buf, link, link_len);
    buf[link_len] = '\0';
    return 0;
  }
  memmove(buf + link_len + 1, rest, rest_len + 1);
  memcpy(buf, link, link_len);
  buf[link_len] = '/';
  return 0;
}

static int walk(struct walk *w, const char *path, int flags, bool no_symlinks) {
  char buf[PATH_MAX * 2];
  if (strlen(path) >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(buf, path);
  char *rest = buf;
  int links = 0;
  for (;;) {
    while (*rest == '/')
      rest++;
    int cur = w->dirs[w->n - 1];
    if (*rest == '\0')
      return openat(cur, ".", flags | O_CLOEXEC);
    size_t len = strcspn(rest, "/");
    char name[NAME_MAX + 1];
    if (len > NAME_MAX) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(name, rest, len);
    name[len] = '\0';
    rest += len;
    bool last = rest[strspn(rest, "/")] == '\0', trailing_slash = *rest == '/';
    if (strcmp(name, ".") == 0)
      continue;
    if (strcmp(name, "..") == 0) {
      if (w->n > 1)
        close(w->dirs[--w->n]);
      continue;
    }
    int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
      close(fd);
      return -1;
    }
    if (S_ISLNK(st.st_mode) && last && !trailing_slash && (flags & O_NOFOLLOW)) {
      /* O_NOFOLLOW on the last component: the link itself (O_PATH) or ELOOP. */
      close(fd);
      if (!(flags & O_PATH)) {
        errno = ELOOP;
        return -1;
      }
      return openat(cur, name, flags | O_CLOEXEC);
    }
    if (S_ISLNK(st.st_mode) && no_symlinks) {
      close(fd);
      errno = ELOOP;
      return -1;
    }
    if (S_ISLNK(st.st_mode)) {
      char link[PATH_MAX];
      ssize_t n = readlinkat(fd, "", link, sizeof(link));
      close(fd);
      if (n < 0)
        return -1;
      if (++links > MAX_LINKS || on_procfs(cur) || n == 0 || (size_t)n >= sizeof(link)) {
        errno = n == 0 ? ENOENT : ELOOP;
        return -1;
      }
      if (link[0] == '/')
        walk_reset(w);
      /* The tail moves to the end of buf; the link goes in front of it. */
      char tail[PATH_MAX * 2];
      strcpy(tail, rest);
      if (splice_link(buf, sizeof(buf), link, (size_t)n, tail) < 0)
        return -1;
      rest = buf;
      continue;
    }
    if (last && trailing_slash && !S_ISDIR(st.st_mode)) {
      close(fd);
      errno = ENOTDIR;
      return -1;
    }
    if (last) {
      close(fd);
      /* Opened again with the caller's flags; O_NOFOLLOW makes a symlink swapped in
       * meanwhile fail (ELOOP) or, for O_PATH, yield the link itself, refused below. */
      int r = openat(cur, name, flags | O_NOFOLLOW | O_CLOEXEC);
      if (r >= 0 && (flags & O_PATH) && fstat(r, &st) == 0 && S_ISLNK(st.st_mode)) {
        close(r);
        errno = ELOOP;
        return -1;
      }
      return r;
    }
    if (!S_ISDIR(st.st_mode)) {
      close(fd);
      errno = ENOTDIR;
      return -1;
    }
    if (walk_push(w, fd) < 0)
      return -1;
  }
}

int hull_openat_in_root_walk(int rootfd, const char *path, int flags, bool no_symlinks) {
  struct walk w = {.dirs = malloc(16 * sizeof(int)), .n = 1, .cap = 16};
  if (w.dirs == NULL) {
    errno = ENOMEM;
    return -1;
  }
  w.dirs[0] = rootfd;
  int r = walk(&w, path, flags, no_symlinks);
  int saved = errno;
  walk_reset(&w);
  free(w.dirs);
  errno = saved;
  return r;
}
