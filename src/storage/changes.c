/* `docker diff`: the changes of a container's upper directory against its layers.
 *
 * Docker's rules (moby's pkg/archive OverlayChanges): the upper directory is walked in
 * lexical order; a whiteout is 'D'; an opaque directory that hides a directory below is
 * 'D' (what it holds now is then 'A'); anything else is 'C' when the lower layers have the
 * name and 'A' when not; a directory whose mode, size and mtime equal the lower one's is not
 * listed for itself, but the parent of every 'A' or 'D' is listed as 'C' (once, before it).
 *
 * Unlike Docker, the lower layers are looked up the way overlayfs merges them (a whiteout
 * or a non-directory ends the lookup, an opaque directory ends the descent), and by file
 * descriptor without following any symlink: the upper directory and the layers are both
 * the container's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "storage/overlay.h"
#include "storage/walk.h"

#define MAX_DEPTH 512

typedef struct differ {
  hull_change *c;
  size_t n, cap;
  hull_err *err;
} differ;

void hull_changes_free(hull_change *c, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(c[i].path);
  free(c);
}

static int add(differ *d, char kind, const char *path) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 64;
    hull_change *nc = realloc(d->c, cap * sizeof(*nc));
    if (nc == NULL)
      return hull_error(d->err, ENOMEM, "diff");
    d->c = nc;
    d->cap = cap;
  }
  d->c[d->n].kind = kind;
  d->c[d->n].path = strdup(path);
  if (d->c[d->n].path == NULL)
    return hull_error(d->err, ENOMEM, "diff");
  d->n++;
  return 0;
}

/* The first lower layer of the stack that has name, as overlayfs finds it: a whiteout
 * means none has. Returns 1 with *st filled, 0 when absent. */
static int lower_lookup(const int *lowers, size_t n, const char *name, struct stat *st) {
  for (size_t i = 0; i < n; i++) {
    if (fstatat(lowers[i], name, st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    return !hull_whiteout_p(st);
  }
  return 0;
}

/* The lower directories merged below upper directory name (unless it is opaque). */
static size_t lower_children(const int *lowers, size_t n, const char *name, int *out) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (fstatat(lowers[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (!S_ISDIR(st.st_mode))
      break; /* a whiteout or a file hides everything below */
    int fd = openat(lowers[i], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      break;
    out[k++] = fd;
    if (hull_opaque_p(fd))
      break;
  }
  return k;
}

static void close_all(int *fds, size_t n) {
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

static int walk(differ *d, int upperfd, const int *lowers, size_t n_lower, const char *prefix, bool *parent_listed,
                int depth);

/* One entry of the upper directory. */
static int entry(differ *d, int upperfd, const int *lowers, size_t n_lower, const char *prefix, const char *name,
                 bool *parent_listed, int depth) {
  cleanup_free char *path = NULL;
  if (asprintf(&path, "%s/%s", prefix, name) < 0)
    return hull_error(d->err, ENOMEM, "diff");
  struct stat st, lst;
  if (fstatat(upperfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : hull_error_sys(d->err, "diff: stat %s", path);
  cleanup_close int dfd = -1;
  bool opaque = false;
  if (S_ISDIR(st.st_mode)) {
    dfd = openat(upperfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
      return hull_error_sys(d->err, "diff: open %s", path);
    opaque = hull_opaque_p(dfd);
  }
  bool in_lower = lower_lookup(lowers, n_lower, name, &lst);
  char kind;
  bool listed = true;
  if (hull_whiteout_p(&st) || (opaque && in_lower && S_ISDIR(lst.st_mode))) {
    kind = 'D';
  } else if (!in_lower) {
    kind = 'A';
  } else {
    kind = 'C';
    if (S_ISDIR(st.st_mode) && S_ISDIR(lst.st_mode) && st.st_mode == lst.st_mode && st.st_size == lst.st_size &&
        st.st_mtim.tv_sec == lst.st_mtim.tv_sec && st.st_mtim.tv_nsec == lst.st_mtim.tv_nsec)
      listed = false;
  }
  if (listed && kind != 'C' && !*parent_listed && prefix[0] != '\0') {
    if (add(d, 'C', prefix) < 0)
      return -1;
    *parent_listed = true;
  }
  if (listed && add(d, kind, path) < 0)
    return -1;
  if (dfd < 0)
    return 0;
  if (depth >= MAX_DEPTH)
    return hull_error(d->err, ELOOP, "diff: %s: deeper than %d levels", path, MAX_DEPTH);
  cleanup_free int *below = calloc(n_lower ? n_lower : 1, sizeof(int));
  if (below == NULL)
    return hull_error(d->err, ENOMEM, "diff");
  size_t nb = opaque ? 0 : lower_children(lowers, n_lower, name, below);
  int r = walk(d, dfd, below, nb, path, &listed, depth + 1);
  close_all(below, nb);
  return r;
}

static int walk(differ *d, int upperfd, const int *lowers, size_t n_lower, const char *prefix, bool *parent_listed,
                int depth) {
  char **names = NULL;
  size_t n = 0;
  if (hull_read_dir_sorted(upperfd, &names, &n, d->err) < 0)
    return hull_error_wrap(d->err, "diff %s", prefix[0] ? prefix : "/");
  int r = 0;
  for (size_t i = 0; i < n && r == 0; i++)
    r = entry(d, upperfd, lowers, n_lower, prefix, names[i], parent_listed, depth);
  hull_names_free(names, n);
  return r;
}

int hull_changes_at(int upperfd, const int *lowerfds, size_t n_lower, hull_change **out, size_t *n, hull_err *err) {
  differ d = {.err = err};
  bool root_listed = true; /* "/" itself is never listed */
  if (walk(&d, upperfd, lowerfds, n_lower, "", &root_listed, 0) < 0) {
    hull_changes_free(d.c, d.n);
    return -1;
  }
  *out = d.c;
  *n = d.n;
  return 0;
}

int hull_overlay_diff(hull_store *s, const char *ctr_id, hull_change **out, size_t *n, hull_err *err) {
  cleanup_free char *upper = hull_overlay_upper_path(s, ctr_id, err);
  if (upper == NULL)
    return -1;
  cleanup_strv char **layers = hull_overlay_layers(s, ctr_id, err);
  if (layers == NULL)
    return -1;
  size_t nl = 0;
  while (layers[nl])
    nl++;
  cleanup_free int *fds = calloc(nl ? nl : 1, sizeof(int));
  if (fds == NULL)
    return hull_error(err, ENOMEM, "diff");
  size_t opened = 0;
  int r = -1;
  cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (ufd < 0) {
    hull_error_sys(err, "open %s", upper);
    goto out;
  }
  for (; opened < nl; opened++) {
    char p[HULL_DIGEST_LEN + 16];
    snprintf(p, sizeof(p), "%s/diff", layers[opened] + 7);
    fds[opened] = openat(s->layersfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fds[opened] < 0) {
      hull_error_sys(err, "open %s/layers/%s", s->root, p);
      goto out;
    }
  }
  r = hull_changes_at(ufd, fds, nl, out, n, err);
out:
  close_all(fds, opened);
  return r;
}
