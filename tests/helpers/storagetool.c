/* storagetool: drives the storage library for tests and benchmarks (the engine's commands
 * will call the same functions).
 *
 *   storagetool ROOT mount [--ro] [--init] CTR IMAGE TARGET
 *                                                    mount IMAGE's layers for container CTR
 *                                                    (--init: with the image's init layer)
 *   storagetool ROOT umount TARGET
 *   storagetool ROOT remove CTR
 *   storagetool ROOT upper CTR                       print the upper directory
 *   storagetool ROOT diff CTR                        Docker's diff lines ("A /x")
 *   storagetool ROOT commit CTR IMAGE [-c CHANGE]... [-a AUTHOR] [-m MSG] [-b CREATED_BY] [TAG]
 *                                                    print the new image id
 *   storagetool ROOT export ROOTFS                   the tar stream on stdout
 *   storagetool ROOT bench-mount IMAGE TARGET N      timings of N mounts (microseconds)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/commit.h"
#include "image/image.h"
#include "image/store.h"
#include "storage/overlay.h"
#include "storage/tree.h"

static int usage(void) {
  fprintf(stderr, "usage: storagetool ROOT mount|umount|remove|upper|diff|commit|export|bench-mount ARGS...\n");
  return 2;
}

static char **image_layers(hull_store *s, const char *name, size_t *n, hull_err *err) {
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_resolve(s, name, id, NULL, err) < 0)
    return NULL;
  char **v = hull_image_layers(s, id, err);
  for (*n = 0; v && v[*n]; (*n)++)
    ;
  return v;
}

static int cmd_mount(hull_store *s, int argc, char **argv, hull_err *err) {
  bool ro = false;
  unsigned flags = 0;
  for (; argc > 0 && argv[0][0] == '-'; argc--, argv++) {
    if (strcmp(argv[0], "--ro") == 0)
      ro = true;
    else if (strcmp(argv[0], "--init") == 0)
      flags |= HULL_OVERLAY_INIT;
    else
      break;
  }
  if (argc != 3)
    return hull_error(err, EINVAL, "mount [--ro] [--init] CTR IMAGE TARGET");
  size_t n;
  cleanup_strv char **layers = image_layers(s, argv[1], &n, err);
  if (layers == NULL)
    return -1;
  return hull_overlay_mount_ex(s, (const char *const *)layers, n, argv[0], argv[2], ro, NULL, flags, err);
}

static int cmd_diff(hull_store *s, const char *ctr, hull_err *err) {
  hull_change *c = NULL;
  size_t n = 0;
  if (hull_overlay_diff(s, ctr, &c, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    printf("%c %s\n", c[i].kind, c[i].path);
  hull_changes_free(c, n);
  return 0;
}

static int cmd_commit(hull_store *s, int argc, char **argv, hull_err *err) {
  if (argc < 2)
    return hull_error(err, EINVAL, "commit CTR IMAGE [-c CHANGE]... [-a AUTHOR] [-m MSG] [-b CREATED_BY] [TAG]");
  const char *changes[64];
  hull_commit_params p = {.container_id = argv[0], .image = argv[1], .changes = changes};
  for (int i = 2; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "-c") == 0 && p.n_changes < 64)
      changes[p.n_changes++] = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "-a") == 0)
      p.author = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "-m") == 0)
      p.message = argv[++i];
    else if (i + 1 < argc && strcmp(argv[i], "-b") == 0)
      p.created_by = argv[++i];
    else
      p.tag = argv[i];
  }
  cleanup_free char *upper = hull_overlay_upper_path(s, argv[0], err);
  if (upper == NULL)
    return -1;
  p.upper = upper;
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_commit_upper(s, &p, id, err) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n) {
  qsort(v, (size_t)n, sizeof(*v), cmp_double);
  double sum = 0;
  for (int i = 0; i < n; i++)
    sum += v[i];
  printf("%-34s median %8.1f us   mean %8.1f us   min %8.1f us\n", what, v[n / 2], sum / n, v[0]);
}

/* Three timings per round: the whole prepare of a new container (record, directories,
 * short names, mount), the mount of an existing container's storage (a restart), and
 * mount(2) alone with the same options (made here the way overlay.c makes them). */
static int cmd_bench(hull_store *s, const char *image, const char *target, int rounds, hull_err *err) {
  size_t n;
  cleanup_strv char **layers = image_layers(s, image, &n, err);
  if (layers == NULL)
    return -1;
  cleanup_free double *prep = calloc((size_t)rounds, sizeof(double));
  cleanup_free double *again = calloc((size_t)rounds, sizeof(double));
  cleanup_free double *raw = calloc((size_t)rounds, sizeof(double));
  if (!prep || !again || !raw)
    return hull_error(err, ENOMEM, "bench");
  const char *ctr = "bench0123456789abcdef";
  char opts[8192];
  for (int r = 0; r < rounds; r++) {
    double t0 = now_us();
    if (hull_overlay_mount(s, (const char *const *)layers, n, ctr, target, false, err) < 0)
      return -1;
    prep[r] = now_us() - t0;
    if (hull_overlay_unmount(target, err) < 0)
      return -1;
    t0 = now_us();
    if (hull_overlay_mount(s, (const char *const *)layers, n, ctr, target, false, err) < 0)
      return -1;
    again[r] = now_us() - t0;
    if (hull_overlay_unmount(target, err) < 0)
      return -1;
    size_t off = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
    for (size_t i = 0; i < n; i++) {
      char sid[27];
      hull_overlay_short_id(layers[i], sid);
      off += (size_t)snprintf(opts + off, sizeof(opts) - off, "%sl/%s", i ? ":" : "", sid);
    }
    snprintf(opts + off, sizeof(opts) - off,
             ",upperdir=c/%s/upper,workdir=c/%s/work,index=off,redirect_dir=off,metacopy=off", ctr, ctr);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/overlay", s->root);
    if (chdir(dir) < 0)
      return hull_error_sys(err, "chdir %s", dir);
    t0 = now_us();
    if (mount("overlay", target, "overlay", 0, opts) < 0)
      return hull_error_sys(err, "mount %s", target);
    raw[r] = now_us() - t0;
    if (hull_overlay_unmount(target, err) < 0 || hull_overlay_remove(s, ctr, err) < 0)
      return -1;
  }
  printf("%zu layers, %d rounds\n", n, rounds);
  report("prepare (new container, mounted)", prep, rounds);
  report("mount of existing storage", again, rounds);
  report("mount(2) alone", raw, rounds);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return usage();
  const char *root = argv[1], *cmd = argv[2];
  hull_err err = NULL;
  cleanup_store hull_store *s = NULL;
  int r = -1;
  if (strcmp(cmd, "umount") == 0) {
    r = argc == 4 ? hull_overlay_unmount(argv[3], &err) : usage();
    goto out;
  }
  if (strcmp(cmd, "export") == 0) {
    r = argc == 4 ? hull_storage_export(argv[3], NULL, 1, &err) : usage();
    goto out;
  }
  if (hull_store_open(root, HULL_STORE_WRITE, &s, &err) < 0)
    goto out;
  if (strcmp(cmd, "mount") == 0) {
    r = cmd_mount(s, argc - 3, argv + 3, &err);
  } else if (strcmp(cmd, "remove") == 0 && argc == 4) {
    r = hull_overlay_remove(s, argv[3], &err);
  } else if (strcmp(cmd, "upper") == 0 && argc == 4) {
    cleanup_free char *p = hull_overlay_upper_path(s, argv[3], &err);
    if (p)
      printf("%s\n", p);
    r = p ? 0 : -1;
  } else if (strcmp(cmd, "diff") == 0 && argc == 4) {
    r = cmd_diff(s, argv[3], &err);
  } else if (strcmp(cmd, "commit") == 0) {
    r = cmd_commit(s, argc - 3, argv + 3, &err);
  } else if (strcmp(cmd, "bench-mount") == 0 && argc == 6) {
    r = cmd_bench(s, argv[3], argv[4], atoi(argv[5]), &err);
  } else {
    return usage();
  }
out:
  if (r < 0 && err) {
    fprintf(stderr, "storagetool: %s\n", err->msg);
    hull_error_release(&err);
    return 1;
  }
  return r < 0 ? 1 : 0;
}
