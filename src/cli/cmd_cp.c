/* hull cp: files between a container and the host (engine/cp.c does the copying). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "engine/cp.h"
#include "engine/engine.h"
#include "engine/userns.h"

#define CP_USAGE                                                                                                       \
  "cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"                                                                      \
  "        hull cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"                                                       \
  "Copy files/folders between a container and the local filesystem\n\n"                                                \
  "Use '-' as the source to read a tar archive from stdin and extract it to a directory\n"                             \
  "destination in a container. Use '-' as the destination to stream a tar archive of a\n"                              \
  "container source to stdout.\n\n"                                                                                    \
  "Options:\n"                                                                                                         \
  "  -a, --archive       Archive mode (copy all uid/gid information)\n"                                                \
  "  -L, --follow-link   Always follow symbol link in SRC_PATH\n"                                                      \
  "  -q, --quiet         Suppress progress output during copy\n"

/* Docker's rule: an absolute path, or one whose part before ':' starts with '.', is local;
 * otherwise "NAME:PATH" names a container's path. */
static char *container_part(char *arg, char **path) {
  char *colon = strchr(arg, ':');
  if (arg[0] == '/' || arg[0] == '.' || colon == NULL)
    return NULL;
  *colon = '\0';
  *path = colon + 1;
  return arg;
}

int cmd_cp(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"archive", no_argument, NULL, 'a'},
                                       {"follow-link", no_argument, NULL, 'L'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  hull_cp_opts o = {0};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:aLqh", opts, NULL)) != -1) {
    if (c == 'a') {
      o.archive = true;
    } else if (c == 'L') {
      o.follow = true;
    } else if (c != 'q') {
      int r = hull_cli_common_opt(c, "cp", CP_USAGE, argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 2)
    return hull_args_error(err, "cp", "\"hull cp\" requires exactly 2 arguments.");
  char *srcpath = argv[optind], *destpath = argv[optind + 1];
  char *src_ctr = container_part(argv[optind], &srcpath);
  char *dest_ctr = container_part(argv[optind + 1], &destpath);
  if (src_ctr && dest_ctr)
    return hull_error_code(err, EINVAL, "copying between containers is not supported"); /* Docker's: 1 */
  if (src_ctr == NULL && dest_ctr == NULL)
    return hull_error_code(err, EINVAL, "must specify at least one container source");
  if (*(src_ctr ? srcpath : destpath) == '\0')
    return hull_usage_error(err, "cp", "filepath can not be empty");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ctr = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_WRITE, &e, err) < 0 ||
      hull_ctr_lookup(e, src_ctr ? src_ctr : dest_ctr, &ctr, err) < 0)
    return -1;
  cleanup_close int rootfd = hull_ctr_rootfs_open(e, ctr, err);
  if (rootfd < 0)
    return -1;
  /* A user-namespaced container's files have its mapped host ids on disk: the copy
   * translates, so that both sides see the ids the container sees. */
  hull_userns u;
  if (hull_ctr_userns(e, ctr, &u, err) < 0)
    return -1;
  hull_idmaps maps = hull_userns_maps(&u);
  if (u.on)
    o.ids = &maps;
  if (src_ctr) {
    /* Out of the container: what is created on the host belongs to the caller. */
    o.uid = getuid();
    o.gid = getgid();
    return hull_cp_out(rootfd, srcpath, destpath, STDOUT_FILENO, &o, err);
  }
  /* Into the container: owned by the container's root unless -a keeps the source's ids. */
  return hull_cp_in(rootfd, srcpath, STDIN_FILENO, destpath, &o, err);
}
