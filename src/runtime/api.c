/* The public API (include/hull/runtime.h) over the runtime's internals: argument
 * checks, the handle, and the translation between the public types and the internal
 * ones. The only file whose symbols are exported. */
#include <hull/runtime.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/cleanup.h"
#include "../common/error.h"
#include "../common/log.h"
#include "../common/util.h"
#include "cleanup-types.h"
#include "container.h"
#include "hull-config.h"
#include "names.h"
#include "security.h"
#include "selfexe.h"
#include "spec.h"
#include "status.h"

struct hull_rt {
  struct hull_runtime rt;
  char *root;
};

int hull_err_errno(const hull_err e) { return e ? e->errno_ : 0; }
const char *hull_err_message(const hull_err e) { return e && e->msg ? e->msg : ""; }
void hull_err_free(hull_err *e) { hull_error_release(e); }

/* The library's messages go to the embedder's handler: the levels are the same. */
static void (*user_log)(void *ud, enum hull_rt_log_level level, const char *msg);

static void log_to_user(void *ud, enum hull_log_level level, const char *msg) {
  user_log(ud, (enum hull_rt_log_level)level, msg);
}

int hull_rt_open(const struct hull_rt_config *c, struct hull_rt **out, hull_err *err) {
  *out = NULL;
  cleanup_free struct hull_rt *rt = calloc(1, sizeof(*rt));
  if (rt == NULL)
    return hull_error(err, ENOMEM, "runtime handle");
  rt->root = strdup(c && c->root ? c->root : "/run/hull-runtime");
  if (rt->root == NULL)
    return hull_error(err, ENOMEM, "runtime handle");
  rt->rt = (struct hull_runtime){.root = rt->root, .systemd_cgroup = c && c->systemd_cgroup};
  /* The handler is the process's: the library's messages come from deep inside calls
   * that know no handle (and from its children). */
  user_log = c ? c->log : NULL;
  if (user_log)
    hull_log_set_handler(log_to_user, c->log_ud, c->log_debug, c->log_fd);
  else
    hull_log_set_handler(NULL, NULL, false, -1);
  *out = steal_pointer(&rt);
  return 0;
}

void hull_rt_close(struct hull_rt *rt) {
  if (rt == NULL)
    return;
  free(rt->root);
  free(rt);
}

int hull_rt_seal_self(char *const argv[], hull_err *err) { return hull_selfexe_protect(argv, err); }
bool hull_rt_sealed_p(void) { return hull_selfexe_protected_p(); }

int hull_spec_load_mem(const char *json, size_t len, struct hull_spec **out, hull_err *err) {
  /* No bundle yet: a relative root.path stays relative until create resolves it. */
  return hull_spec_parse(json, len, NULL, out, err);
}

int hull_spec_load_file(const char *path, struct hull_spec **out, hull_err *err) {
  size_t len;
  cleanup_free char *text = hull_read_file(path, &len, err);
  if (text == NULL)
    return -1;
  if (hull_spec_load_mem(text, len, out, err) < 0)
    return hull_error_wrap(err, "%s", path);
  return 0;
}

const json_t *hull_spec_json(const struct hull_spec *s) { return s ? s->json : NULL; }
json_t *hull_spec_default_json(bool rootless) { return hull_spec_default(rootless); }

static bool stdio_valid(const int stdio[3]) {
  for (int i = 0; i < 3; i++)
    if (stdio[i] < -1)
      return false;
  return true;
}

int hull_rt_create(struct hull_rt *rt, const struct hull_create_params *p, struct hull_proc *out, hull_err *err) {
  *out = (struct hull_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  if (p == NULL || p->id == NULL)
    return hull_error(err, EINVAL, "create: no container id");
  if (p->config_in_bundle && (p->spec != NULL || p->config_path != NULL))
    return hull_error(err, EINVAL, "create %s: config_in_bundle reads BUNDLE/config.json: no spec or config_path",
                      p->id);
  if (!stdio_valid(p->stdio) || p->preserve_fds < 0)
    return hull_error(err, EINVAL, "create %s: invalid stdio or preserve_fds", p->id);
  struct hull_create_opts o = {.id = p->id,
                               .bundle = p->bundle,
                               .config = p->config_path,
                               .stdio = {p->stdio[0], p->stdio[1], p->stdio[2]},
                               .no_pivot = p->no_pivot,
                               .no_new_keyring = p->no_new_keyring,
                               .config_in_bundle = p->config_in_bundle,
                               .preserve_fds = p->preserve_fds,
                               .run = p->start};
  /* The internal create owns (and amends) its spec: the caller's is copied as text, from
   * which the copy in the state directory is written too. */
  cleanup_free char *text = NULL;
  if (p->spec != NULL) {
    text = json_dumps(p->spec->json, JSON_COMPACT);
    if (text == NULL)
      return hull_error(err, ENOMEM, "create %s: config", p->id);
    o.config_text = text;
    o.config_len = strlen(text);
    o.config = NULL;
  }
  return hull_container_create(&rt->rt, &o, out, err);
}

int hull_rt_start(struct hull_rt *rt, const char *id, hull_err *err) { return hull_container_start(&rt->rt, id, err); }

int hull_rt_kill(struct hull_rt *rt, const char *id, int sig, bool all, hull_err *err) {
  return hull_container_kill(&rt->rt, id, sig, all, err);
}

int hull_rt_delete(struct hull_rt *rt, const char *id, bool force, hull_err *err) {
  return hull_container_delete(&rt->rt, id, force, err);
}

int hull_rt_state(struct hull_rt *rt, const char *id, json_t **state, hull_err *err) {
  *state = hull_container_state(&rt->rt, id, err);
  return *state ? 0 : -1;
}

/* The OWNER column as runc fills it: the name of the user owning the container's state
 * directory, or "#UID" when the user has no name. */
static void set_owner(const struct hull_rt *rt, json_t *s) {
  const char *id = json_string_value(json_object_get(s, "id"));
  char path[PATH_MAX], name[64] = "";
  struct stat sb;
  if (id == NULL || hull_state_path(path, sizeof(path), rt->root, id, NULL) < 0 || stat(path, &sb) < 0)
    return;
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r(sb.st_uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
    snprintf(name, sizeof(name), "%s", res->pw_name);
  else
    snprintf(name, sizeof(name), "#%u", (unsigned)sb.st_uid);
  json_object_set_new(s, "owner", json_string(name));
}

int hull_rt_list(struct hull_rt *rt, json_t **states, hull_err *err) {
  *states = hull_container_list(&rt->rt, err);
  if (*states == NULL)
    return -1;
  size_t i;
  json_t *s;
  json_array_foreach(*states, i, s) set_owner(rt, s);
  return 0;
}

int hull_rt_config(struct hull_rt *rt, const char *id, json_t **config, hull_err *err) {
  *config = NULL;
  char path[PATH_MAX];
  if (hull_id_validate(id, err) < 0)
    return -1;
  cleanup_state struct hull_state *st = NULL;
  if (hull_state_load(rt->root, id, &st, err) < 0)
    return -1;
  if (hull_state_config_path(path, sizeof(path), rt->root, st) < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", id);
  /* Read whole and parsed from memory: json_load_file reads a character at a time. */
  size_t len;
  cleanup_free char *text = hull_read_file(path, &len, err);
  if (text == NULL) {
    if ((*err)->errno_ != ENOENT)
      return -1;
    hull_error_release(err); /* replaced by the error that names the container */
    return hull_error_code(err, ENOENT, "container %s does not exist", id);
  }
  json_error_t je;
  *config = json_loadb(text, len, 0, &je);
  if (*config == NULL)
    return hull_error(err, EINVAL, "%s: %s", path, je.text);
  return 0;
}

int hull_rt_pause(struct hull_rt *rt, const char *id, bool pause, hull_err *err) {
  return hull_container_pause(&rt->rt, id, pause, err);
}

int hull_rt_update(struct hull_rt *rt, const char *id, const json_t *resources, hull_err *err) {
  return hull_container_update(&rt->rt, id, (json_t *)resources, err);
}

int hull_rt_stats(struct hull_rt *rt, const char *id, json_t **stats, hull_err *err) {
  bool stopped;
  long long oom;
  *stats = NULL;
  if (hull_container_sample(&rt->rt, id, &stopped, stats, &oom, NULL, err) < 0)
    return -1;
  if (stopped)
    return hull_error(err, ESRCH, "container %s is not running", id);
  return 0;
}

int hull_rt_pids(struct hull_rt *rt, const char *id, pid_t **pids, size_t *n, hull_err *err) {
  return hull_container_pids(&rt->rt, id, pids, n, err);
}

int hull_rt_exec(struct hull_rt *rt, const char *id, const json_t *process, const int stdio[3], struct hull_proc *out,
                 hull_err *err) {
  struct hull_exec_params p = {.process = process, .stdio = {-1, -1, -1}};
  if (stdio)
    memcpy(p.stdio, stdio, sizeof(p.stdio));
  return hull_rt_exec_params(rt, id, &p, out, err);
}

int hull_rt_exec_params(struct hull_rt *rt, const char *id, const struct hull_exec_params *p, struct hull_proc *out,
                        hull_err *err) {
  *out = (struct hull_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  if (p == NULL || !stdio_valid(p->stdio) || p->preserve_fds < 0)
    return hull_error(err, EINVAL, "exec in container %s: invalid parameters", id ? id : "");
  return hull_container_exec(&rt->rt, id, p, out, err);
}

int hull_rt_signal_parse(const char *s, hull_err *err) { return hull_signal_parse(s, err); }

int hull_rt_size_parse(const char *s, long long *bytes, hull_err *err) {
  int64_t v;
  if (hull_size_parse(s, &v, err) < 0)
    return -1;
  *bytes = (long long)v;
  return 0;
}

const struct hull_runtime *hull_rt_internal(struct hull_rt *rt) { return &rt->rt; }

static json_t *strs(const char *const *v, size_t n) {
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}
#define STRS(v) strs(v, sizeof(v) / sizeof(v[0]))

json_t *hull_rt_features(void) {
  static const char *const hooks[] = {"prestart",       "createRuntime", "createContainer",
                                      "startContainer", "poststart",     "poststop"};
  static const char *const mount_opts[] = {
      "async",         "atime",       "bind",        "defaults",  "dev",        "diratime",    "dirsync", "exec",
      "idmap",         "mand",        "noatime",     "nodev",     "nodiratime", "noexec",      "nomand",  "norelatime",
      "nostrictatime", "nosuid",      "nosymfollow", "private",   "rbind",      "relatime",    "remount", "ro",
      "ridmap",        "rprivate",    "rro",         "rshared",   "rslave",     "runbindable", "rw",      "shared",
      "slave",         "strictatime", "suid",        "symfollow", "sync",       "unbindable"};
  static const char *const actions[] = {"SCMP_ACT_ALLOW",        "SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                                        "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                        "SCMP_ACT_NOTIFY",       "SCMP_ACT_TRACE",       "SCMP_ACT_TRAP"};
  static const char *const operators[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE",        "SCMP_CMP_GT", "SCMP_CMP_LE",
                                          "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"};
  static const char *const archs[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_X32", "SCMP_ARCH_X86",
                                      "SCMP_ARCH_X86_64"};
  json_t *caps = json_array();
  for (int c = 0; c <= hull_cap_last_cap() && hull_cap_name(c); c++)
    json_array_append_new(caps, json_string(hull_cap_name(c)));
  json_t *ns = json_array();
  for (int t = 0; t < HULL_NS_COUNT; t++)
    json_array_append_new(ns, json_string(hull_ns_spec_name(t)));
  json_t *j =
      json_pack("{s:s, s:s, s:o, s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o, s:o, s:o}, s:{s:b}, s:{s:b}}, "
                "s:{s:s}}",
                "ociVersionMin", "1.0.0", "ociVersionMax", HULL_OCI_SPEC, "hooks", STRS(hooks), "mountOptions",
                STRS(mount_opts), "linux", "namespaces", ns, "capabilities", caps, "cgroup", "v1", 1, "v2", 1,
                "systemd", HULL_HAVE_SYSTEMD, "systemdUser", 0, "seccomp", "enabled", 1, "actions", STRS(actions),
                "operators", STRS(operators), "archs", STRS(archs), "apparmor", "enabled", 1, "selinux", "enabled", 1,
                "annotations", "io.github.hull.runtime.version", HULL_VERSION);
  /* Idmapped bind mounts (mounts[].uidMappings/gidMappings, idmap, ridmap). */
  if (j != NULL)
    json_object_set_new(json_object_get(j, "linux"), "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
  return j;
}
