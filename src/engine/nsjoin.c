/* --pid container:X and --ipc container:X (engine/nsjoin.h). */
#include "engine/nsjoin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/util.h"

/* The two kinds, by their HostConfig key, the OCI namespace type and Docker's word. */
static const struct { const char *key, *type, *word; } kinds[] = {{"PidMode", "pid", "PID"}, {"IpcMode", "ipc", "IPC"}};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* An error of the user's flags or of the other container's state: Docker's status 125. */
#define usage_err(err, e, ...) (hull_error_code(err, e, __VA_ARGS__), (*(err))->status = 125, -1)

static const char *mode_of(const hull_ctr *c, size_t k) {
  return json_string_value(json_object_get(c->host_config, kinds[k].key)) ?: "";
}

static const char *other_of(const char *mode) { return mode + strlen("container:"); }

/* The container whose namespace of kind k c shares (container:X), in *other; NULL when c's
 * mode is no container: one. A missing X is Docker's status 125. */
static int other_of_kind(hull_engine *e, const hull_ctr *c, size_t k, hull_ctr **other, hull_err *err) {
  *other = NULL;
  const char *mode = mode_of(c, k);
  if (!hull_str_has_prefix(mode, "container:"))
    return 0;
  if (hull_ctr_lookup(e, other_of(mode), other, err) < 0) {
    (*err)->status = 125;
    return -1;
  }
  return 0;
}

int hull_ctr_ns_prepare(hull_engine *e, hull_ctr *c, hull_err *err) {
  for (size_t k = 0; k < N_KINDS; k++) {
    cleanup_ctr hull_ctr *other = NULL;
    if (other_of_kind(e, c, k, &other, err) < 0)
      return -1;
    if (other == NULL)
      continue;
    /* A chain of container: modes ends at the first container's namespace; a container
     * on the host's namespace passes the host's on. */
    const char *om = mode_of(other, k);
    char resolved[80];
    if (strcmp(om, "host") == 0)
      snprintf(resolved, sizeof(resolved), "host");
    else if (hull_str_has_prefix(om, "container:"))
      snprintf(resolved, sizeof(resolved), "%.79s", om);
    else
      snprintf(resolved, sizeof(resolved), "container:%s", other->id);
    /* Docker's IPC donor must have said so (--ipc shareable): a private IPC namespace is
     * not handed to other containers, and one without IPC (none) has nothing to share. */
    if (k == 1 && strcmp(resolved, "host") != 0 && !hull_str_has_prefix(om, "container:") &&
        strcmp(om, "shareable") != 0)
      return usage_err(err, EINVAL,
                       "container %s: non-shareable IPC (hint: use --ipc shareable for the donor container)",
                       other_of(mode_of(c, k)));
    if (json_object_set_new(c->host_config, kinds[k].key, json_string(resolved)) < 0)
      return hull_error(err, ENOMEM, "%s", kinds[k].key);
  }
  return 0;
}

/* The namespace entry of type in spec's linux.namespaces, NULL if there is none. */
static json_t *ns_entry(json_t *spec, const char *type) {
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(json_object_get(spec, "linux"), "namespaces"), i, v) {
    if (strcmp(json_string_value(json_object_get(v, "type")) ?: "", type) == 0)
      return v;
  }
  return NULL;
}

int hull_ctr_ns_join(hull_engine *e, const hull_ctr *c, hull_ns_joined *j, hull_err *err) {
  memset(j, 0, sizeof(*j));
  bool any = false;
  for (size_t k = 0; k < N_KINDS; k++)
    any = any || hull_str_has_prefix(mode_of(c, k), "container:");
  if (!any)
    return 0;
  cleanup_free char *cfgp = hull_ctr_path(e, c->id, "config.json");
  if (cfgp == NULL)
    return hull_error(err, ENOMEM, "config.json of %s", c->id);
  json_error_t je;
  cleanup_json json_t *spec = json_load_file(cfgp, 0, &je);
  if (spec == NULL)
    return hull_error_code(err, EINVAL, "%s: %s", cfgp, je.text);
  for (size_t k = 0; k < N_KINDS; k++) {
    cleanup_ctr hull_ctr *other = NULL;
    if (other_of_kind(e, c, k, &other, err) < 0)
      return -1;
    if (other == NULL)
      continue;
    /* The record's pid is the other container's first process only while its start time
     * matches: a pid reused by an unrelated process must never be joined. */
    if (other->status != HULL_CTR_RUNNING || other->pid <= 0 || other->pid_start == 0 ||
        hull_proc_start_time(other->pid) != other->pid_start)
      return usage_err(err, ENOENT, "cannot join %s of a non running container: %s", kinds[k].word, other->name);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)other->pid, kinds[k].type);
    json_t *ns = ns_entry(spec, kinds[k].type);
    if (ns == NULL)
      return hull_error_code(err, EINVAL, "%s: no %s namespace to join", cfgp, kinds[k].type);
    json_object_set_new(ns, "path", json_string(path));
    j->pid[k] = other->pid;
    j->start[k] = other->pid_start;
  }
  cleanup_free char *text = json_dumps(spec, JSON_COMPACT); /* as create's (container.c) */
  if (text == NULL)
    return hull_error(err, ENOMEM, "config.json of %s", c->id);
  return hull_ctr_write_file(e, c->id, "config.json", text, err);
}

int hull_ctr_ns_recheck(const hull_ns_joined *j, hull_err *err) {
  for (size_t k = 0; k < N_KINDS; k++)
    if (j->pid[k] > 0 && hull_proc_start_time(j->pid[k]) != j->start[k])
      return usage_err(err, ESRCH, "the container whose %s namespace was joined exited while this one started",
                       kinds[k].word);
  return 0;
}
