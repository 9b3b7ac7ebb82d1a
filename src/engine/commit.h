/* commit, diff, export and top: the commands that read a container's filesystem or process
 * list (engine/commit.c); the storage library does the layer work (image/commit.h,
 * storage/overlay.h, storage/tree.h). */
#ifndef HULL_ENGINE_COMMIT_H
#define HULL_ENGINE_COMMIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "engine/engine.h"
#include "image/digest.h"
#include "storage/overlay.h"

typedef struct hull_ctr_commit_opts {
  const char *author, *message;
  const char *const *changes; /* -c "CMD ...", "ENV K=V" */
  size_t n_changes;
  const char *tag; /* REPO[:TAG] or NULL */
  bool pause;      /* freeze a running container for the duration (Docker's default) */
} hull_ctr_commit_opts;

/* `commit`: the container's writable layer becomes a new image on top of its image; id gets
 * "sha256:...". Works on running and stopped containers. */
int hull_ctr_commit(hull_engine *e, hull_ctr *c, const hull_ctr_commit_opts *o, char id[HULL_DIGEST_LEN + 1],
                    hull_err *err) HULL_WUR;
/* `diff`: Docker's A/C/D changes of the container's filesystem against its image. */
int hull_ctr_diff(hull_engine *e, const hull_ctr *c, hull_change **out, size_t *n, hull_err *err) HULL_WUR;
/* `export`: the container's root filesystem as one tar stream on fd. */
int hull_ctr_export(hull_engine *e, const hull_ctr *c, int fd, hull_err *err) HULL_WUR;
/* `top`: runs ps with ps_args on the host and keeps the container's processes; Docker's
 * {"Titles": [...], "Processes": [[...], ...]}. */
json_t *hull_ctr_top(hull_engine *e, hull_ctr *c, const char *const *ps_args, hull_err *err);

#endif
