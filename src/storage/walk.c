#include "storage/walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"

bool hull_whiteout_p(const struct stat *st) { return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0); }

bool hull_opaque_p(int dirfd) {
  char v[2];
  return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void hull_names_free(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

int hull_read_dir_sorted(int dirfd, char ***names, size_t *n, hull_err *err) {
  *names = NULL;
  *n = 0;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open directory");
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return hull_error_sys(err, "open directory");
  }
  char **v = NULL;
  size_t len = 0, cap = 0;
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (len == cap) {
      cap = cap ? cap * 2 : 32;
      char **nv = realloc(v, cap * sizeof(*nv));
      if (nv == NULL)
        goto nomem;
      v = nv;
    }
    if ((v[len] = strdup(de->d_name)) == NULL)
      goto nomem;
    len++;
  }
  if (errno != 0) {
    hull_names_free(v, len);
    return hull_error_sys(err, "read directory");
  }
  if (len)
    qsort(v, len, sizeof(*v), cmp_names);
  *names = v;
  *n = len;
  return 0;
nomem:
  hull_names_free(v, len);
  return hull_error(err, ENOMEM, "read directory");
}
