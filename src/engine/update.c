/* hull update: new resource limits for an existing container (Docker's `docker update`). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "engine/bundle.h"
#include "engine/engine.h"

/* The limits go into config.json too: the monitor creates the container from it at every
 * start, and Docker's limits outlive a restart. */
static int patch_config(hull_engine *e, const hull_ctr *c, const json_t *res, hull_err *err) {
  cleanup_free char *path = hull_ctr_path(e, c->id, "config.json");
  if (path == NULL)
    return hull_error(err, ENOMEM, "update");
  json_error_t je;
  cleanup_json json_t *spec = json_load_file(path, 0, &je);
  if (spec == NULL)
    return hull_error_code(err, EINVAL, "%s: %s", path, je.text);
  json_t *lx = json_object_get(spec, "linux");
  json_t *cur = json_object_get(lx, "resources");
  if (!json_is_object(cur)) {
    cur = json_object();
    json_object_set_new(lx, "resources", cur);
  }
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)res, key, v) json_object_set(cur, key, v);
  cleanup_free char *text = json_dumps(spec, JSON_INDENT(2));
  if (text == NULL)
    return hull_error(err, ENOMEM, "update");
  return hull_ctr_write_file(e, c->id, "config.json", text, err);
}

static int update_resources(hull_engine *e, hull_ctr *c, hull_err *err) {
  /* Docker: a memory limit above the memory+swap limit already set is refused, not
   * silently turned into a container that cannot start. */
  json_int_t mem = json_integer_value(json_object_get(c->host_config, "Memory"));
  json_int_t swap = json_integer_value(json_object_get(c->host_config, "MemorySwap"));
  if (mem > 0 && swap > 0 && mem > swap)
    return hull_error_code(err, EINVAL,
                           "Memory limit should be smaller than already set memoryswap limit, update the "
                           "memoryswap at the same time");
  if (hull_verify_resources(c->host_config, true, err) < 0)
    return -1;
  bool v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0;
  cleanup_json json_t *res = hull_bundle_resources(c->host_config, v1);
  if (res == NULL)
    return hull_error(err, ENOMEM, "update");
  if (c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED || c->status == HULL_CTR_RESTARTING) {
    struct hull_rt *rt = hull_engine_rt(e, err);
    if (rt == NULL || hull_rt_update(rt, c->id, res, err) < 0)
      return -1;
  }
  if (patch_config(e, c, res, err) < 0)
    return -1;
  return 0;
}

/* --restart: a running container's monitor re-reads the policy from restart.json at every
 * exit of the container (src/monitor/config.c; its monitor.json came as a memfd, with no
 * file to rewrite), so the new one is written there, atomically: the monitor never sees
 * half a file. It is written whether the container runs or not, so that a file left by an
 * earlier update never holds an older policy than the record's. */
static int write_restart_file(hull_engine *e, const hull_ctr *c, const json_t *policy, hull_err *err) {
  cleanup_json json_t *m =
      json_pack("{s:{s:s, s:I}}", "restart", "policy", json_string_value(json_object_get(policy, "Name")) ?: "no",
                "max_retries", json_integer_value(json_object_get(policy, "MaximumRetryCount")));
  cleanup_free char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
  if (text == NULL)
    return hull_error(err, ENOMEM, "update");
  return hull_ctr_write_file(e, c->id, "restart.json", text, err);
}

int hull_ctr_update(hull_engine *e, hull_ctr *c, const json_t *changes, hull_err *err) {
  const json_t *policy = json_object_get(changes, "RestartPolicy");
  const char *pname = json_string_value(json_object_get(policy, "Name"));
  /* Docker's check (daemon/update.go): an --rm container is removed at its end, so only
   * "no" fits it. */
  if (pname && strcmp(pname, "no") != 0 && json_is_true(json_object_get(c->host_config, "AutoRemove")))
    return hull_error_code(err, EINVAL,
                           "Cannot update container %s: Restart policy cannot be updated because AutoRemove is "
                           "enabled for the container",
                           c->id);
  bool resources = json_object_size(changes) > (policy ? 1u : 0u);
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)changes, key, v) json_object_set(c->host_config, key, v);
  if (resources && update_resources(e, c, err) < 0)
    return -1;
  if (policy && write_restart_file(e, c, policy, err) < 0)
    return -1;
  cleanup_free char *hc = json_dumps(c->host_config, JSON_COMPACT);
  cleanup_stmt sqlite3_stmt *st =
      hc ? hull_store_prepare(e->store, "UPDATE containers SET host_config = ? WHERE id = ?", err) : NULL;
  if (st == NULL)
    return hc ? -1 : hull_error(err, ENOMEM, "update");
  sqlite3_bind_text(st, 1, hc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "update", err);
  return 0;
}
