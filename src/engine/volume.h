/* Named volumes (Docker's local driver): <root>/volumes/<name>/_data, one row each in the
 * store's volumes table, and container_volumes saying which container uses which (rows
 * removed with the container's, so "in use" is always the database's truth).
 *
 * Anonymous volumes (-v /path and the image's VOLUMEs) are named volumes with a random
 * 64-hex name and the anonymous flag: `rm -v` and `volume prune` remove them. A volume new
 * to the store is filled with the image's content at its mount point (copy-up) before the
 * container first runs, as Docker does. */
#ifndef HULL_ENGINE_VOLUME_H
#define HULL_ENGINE_VOLUME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/error.h"
#include "engine/engine.h"

typedef struct hull_volume {
  char *name;
  int64_t created; /* ns */
  bool anonymous;
  json_t *labels;
  char **users; /* ids of the containers using it, NULL-terminated */
} hull_volume;

void hull_volume_free(hull_volume *v);
void hull_volume_list_free(hull_volume *v, size_t n);

/* The mount point of a volume (caller frees). */
char *hull_volume_path(hull_engine *e, const char *name);
/* Docker's inspect object. */
json_t *hull_volume_inspect(hull_engine *e, const hull_volume *v);

/* volume create: an existing volume is not an error (Docker's); labels may be NULL. */
int hull_volume_create(hull_engine *e, const char *name, const json_t *labels, bool anonymous, hull_err *err) HULL_WUR;
int hull_volume_get(hull_engine *e, const char *name, hull_volume *out, hull_err *err) HULL_WUR;
int hull_volume_list(hull_engine *e, hull_volume **out, size_t *n, hull_err *err) HULL_WUR;
/* Refused (EBUSY) while a container uses it, unless force... which Docker also refuses. */
int hull_volume_remove(hull_engine *e, const char *name, hull_err *err) HULL_WUR;

/* Removes the unused volumes the filter selects (anonymous ones only unless f->all, and by
 * their labels), printing Docker's "Deleted Volumes:" list to out; *reclaimed gets the
 * bytes freed. */
int hull_volumes_prune(hull_engine *e, const hull_prune_filter *f, FILE *out, uint64_t *reclaimed,
                       hull_err *err) HULL_WUR;

/* Hooks of container create and rm (engine/container.c):
 * before the record: anonymous volumes named (HostConfig.Mounts entries of type volume);
 * after the record: every named volume created if needed and recorded as used by it;
 * after the rootfs is mounted: fresh volumes filled from the image;
 * rm -v: the container's anonymous volumes, once nothing uses them. */
int hull_volumes_name_anonymous(json_t *config, json_t *host_config, hull_err *err) HULL_WUR;
int hull_volumes_attach(hull_engine *e, const char *ctr_id, const json_t *host_config, hull_err *err) HULL_WUR;
int hull_volumes_copy_up(hull_engine *e, const char *ctr_id, int rootfd, const json_t *host_config,
                         hull_err *err) HULL_WUR;
/* The container's anonymous volumes (NULL-terminated, caller frees), read before its record goes. */
char **hull_volumes_anonymous_of(hull_engine *e, const char *ctr_id);
int hull_volumes_remove_list(hull_engine *e, char **names, hull_err *err) HULL_WUR;

#endif
