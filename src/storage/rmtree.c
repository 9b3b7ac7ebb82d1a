#include "storage/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"

static int rm_children(int dfd, const char *what, hull_err *err) {
  int dup_fd = dup(dfd);
  if (dup_fd < 0)
    return hull_error_sys(err, "remove %s", what);
  cleanup_dir DIR *d = fdopendir(dup_fd);
  if (d == NULL) {
    close(dup_fd);
    return hull_error_sys(err, "remove %s", what);
  }
  rewinddir(d); /* the dup shares dfd's offset */
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (hull_rm_rf_at(dfd, de->d_name, err) < 0)
      return -1;
  }
  if (errno != 0)
    return hull_error_sys(err, "read directory %s", what);
  return 0;
}

int hull_rm_rf_at(int dirfd, const char *name, hull_err *err) {
  if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return hull_error_sys(err, "remove %s", name);
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "open %s", name);
  if (rm_children(fd, name, err) < 0)
    return -1;
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return hull_error_sys(err, "remove %s", name);
  return 0;
}
