#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"

size_t hull_strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void hull_strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

const char *hull_strv_env_get(char **env, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; env && env[i]; i++)
    if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
      return env[i] + n + 1;
  return NULL;
}

/* Typed getters: a present value of the wrong type is an error naming the JSON path. */
static int get_string(json_t *o, const char *key, const char *path, char **out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_string(v))
    return hull_error(err, 0, "%s.%s: expected a string", path, key);
  *out = strdup(json_string_value(v));
  return *out ? 0 : hull_error(err, ENOMEM, "%s.%s", path, key);
}

static int get_bool(json_t *o, const char *key, const char *path, bool *out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_boolean(v))
    return hull_error(err, 0, "%s.%s: expected a boolean", path, key);
  *out = json_is_true(v);
  return 0;
}

static int get_int(json_t *o, const char *key, const char *path, int64_t min, int64_t max, int64_t *out, bool *present,
                   hull_err *err) {
  json_t *v = json_object_get(o, key);
  if (present)
    *present = false;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v))
    return hull_error(err, 0, "%s.%s: expected an integer", path, key);
  json_int_t n = json_integer_value(v);
  if (n < min || n > max)
    return hull_error(err, 0, "%s.%s: %lld is out of range", path, key, (long long)n);
  *out = n;
  if (present)
    *present = true;
  return 0;
}

static int get_object(json_t *o, const char *key, const char *path, json_t **out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_object(v))
    return hull_error(err, 0, "%s.%s: expected an object", path, key);
  *out = v;
  return 0;
}

static int get_array(json_t *o, const char *key, const char *path, json_t **out, hull_err *err) {
  json_t *v = json_object_get(o, key);
  *out = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_array(v))
    return hull_error(err, 0, "%s.%s: expected an array", path, key);
  *out = v;
  return 0;
}

static int get_strv(json_t *o, const char *key, const char *path, char ***out, hull_err *err) {
  json_t *a;
  *out = NULL;
  if (get_array(o, key, path, &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  size_t n = json_array_size(a);
  char **v = calloc(n + 1, sizeof(char *));
  if (v == NULL)
    return hull_error(err, ENOMEM, "%s.%s", path, key);
  for (size_t i = 0; i < n; i++) {
    json_t *s = json_array_get(a, i);
    if (!json_is_string(s)) {
      hull_strv_free(v);
      return hull_error(err, 0, "%s.%s[%zu]: expected a string", path, key, i);
    }
    v[i] = strdup(json_string_value(s));
    if (v[i] == NULL) {
      hull_strv_free(v);
      return hull_error(err, ENOMEM, "%s.%s[%zu]", path, key, i);
    }
  }
  *out = v;
  return 0;
}

static int parse_cap_set(json_t *caps, const char *key, const char *path, uint64_t *mask, hull_err *err) {
  json_t *a;
  *mask = 0;
  if (get_array(caps, key, path, &a, err) < 0)
    return -1;
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) {
    if (!json_is_string(v))
      return hull_error(err, 0, "%s.%s[%zu]: expected a string", path, key, i);
    int c = hull_cap_parse(json_string_value(v), err);
    if (c < 0)
      return hull_error_wrap(err, "%s.%s[%zu]", path, key, i);
    *mask |= 1ULL << c;
  }
  return 0;
}

void hull_process_clear(struct hull_process *p) {
  hull_strv_free(p->args);
  hull_strv_free(p->env);
  free(p->cwd);
  free(p->additional_gids);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  memset(p, 0, sizeof(*p));
}

static int parse_user(json_t *j, const char *path, struct hull_process *p, hull_err *err) {
  json_t *user;
  int64_t v;
  bool present;
  if (get_object(j, "user", path, &user, err) < 0)
    return -1;
  if (user == NULL)
    return 0;
  if (get_int(user, "uid", "process.user", 0, UINT32_MAX - 1, &v, &present, err) < 0)
    return -1;
  p->uid = present ? (uid_t)v : 0;
  if (get_int(user, "gid", "process.user", 0, UINT32_MAX - 1, &v, &present, err) < 0)
    return -1;
  p->gid = present ? (gid_t)v : 0;
  if (get_int(user, "umask", "process.user", 0, 0777, &v, &present, err) < 0)
    return -1;
  if (present)
    p->umask = (int)v;
  json_t *gids;
  if (get_array(user, "additionalGids", "process.user", &gids, err) < 0)
    return -1;
  if (gids != NULL) {
    p->n_additional_gids = json_array_size(gids);
    p->additional_gids = calloc(p->n_additional_gids + 1, sizeof(gid_t));
    if (p->additional_gids == NULL)
      return hull_error(err, ENOMEM, "process.user.additionalGids");
    size_t i;
    json_t *g;
    json_array_foreach(gids, i, g) {
      if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) >= UINT32_MAX)
        return hull_error(err, 0, "process.user.additionalGids[%zu]: expected a gid", i);
      p->additional_gids[i] = (gid_t)json_integer_value(g);
    }
  }
  return 0;
}

static int parse_rlimits(json_t *j, const char *path, struct hull_process *p, hull_err *err) {
  json_t *a;
  if (get_array(j, "rlimits", path, &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  p->rlimits = calloc(json_array_size(a) + 1, sizeof(*p->rlimits));
  if (p->rlimits == NULL)
    return hull_error(err, ENOMEM, "%s.rlimits", path);
  size_t i;
  json_t *r;
  json_array_foreach(a, i, r) {
    char where[64];
    snprintf(where, sizeof(where), "%s.rlimits[%zu]", path, i);
    json_t *type = json_object_get(r, "type");
    if (!json_is_object(r) || !json_is_string(type))
      return hull_error(err, 0, "%s.type: expected a string", where);
    int res = hull_rlimit_parse(json_string_value(type), err);
    if (res < 0)
      return hull_error_wrap(err, "%s.type", where);
    json_t *soft = json_object_get(r, "soft"), *hard = json_object_get(r, "hard");
    if (!json_is_integer(soft) || !json_is_integer(hard))
      return hull_error(err, 0, "%s: soft and hard must be integers", where);
    /* JSON integers are signed 64-bit: -1 (or the unsigned max) means unlimited. */
    p->rlimits[i].resource = res;
    p->rlimits[i].soft = (rlim_t)json_integer_value(soft);
    p->rlimits[i].hard = (rlim_t)json_integer_value(hard);
    if (p->rlimits[i].soft > p->rlimits[i].hard)
      return hull_error(err, 0, "%s: soft limit %lld is above hard limit %lld", where,
                        (long long)json_integer_value(soft), (long long)json_integer_value(hard));
    for (size_t k = 0; k < i; k++)
      if (p->rlimits[k].resource == res)
        return hull_error(err, 0, "%s: duplicate rlimit %s", where, json_string_value(type));
    p->n_rlimits = i + 1;
  }
  return 0;
}

int hull_process_parse(json_t *j, const char *path, struct hull_process *p, hull_err *err) {
  memset(p, 0, sizeof(*p));
  p->umask = -1;
  if (!json_is_object(j))
    return hull_error(err, 0, "%s: expected an object", path);
  if (get_bool(j, "terminal", path, &p->terminal, err) < 0)
    return -1;
  json_t *cs;
  if (get_object(j, "consoleSize", path, &cs, err) < 0)
    return -1;
  if (cs != NULL) {
    int64_t h = 0, w = 0;
    if (get_int(cs, "height", "process.consoleSize", 0, 65535, &h, NULL, err) < 0 ||
        get_int(cs, "width", "process.consoleSize", 0, 65535, &w, NULL, err) < 0)
      return -1;
    p->console_height = (unsigned short)h;
    p->console_width = (unsigned short)w;
  }
  if (get_strv(j, "args", path, &p->args, err) < 0 || get_strv(j, "env", path, &p->env, err) < 0)
    return -1;
  if (p->args == NULL || p->args[0] == NULL)
    return hull_error(err, 0, "%s.args: must contain at least one element", path);
  if (p->env == NULL && (p->env = calloc(1, sizeof(char *))) == NULL)
    return hull_error(err, ENOMEM, "%s.env", path);
  if (get_string(j, "cwd", path, &p->cwd, err) < 0)
    return -1;
  if (p->cwd == NULL || p->cwd[0] != '/')
    return hull_error(err, 0, "%s.cwd: must be an absolute path, got \"%s\"", path, p->cwd ? p->cwd : "");
  if (parse_user(j, path, p, err) < 0 || parse_rlimits(j, path, p, err) < 0)
    return -1;
  json_t *caps;
  if (get_object(j, "capabilities", path, &caps, err) < 0)
    return -1;
  if (caps != NULL) {
    char where[64];
    snprintf(where, sizeof(where), "%s.capabilities", path);
    p->caps.set = true;
    if (parse_cap_set(caps, "bounding", where, &p->caps.bounding, err) < 0 ||
        parse_cap_set(caps, "effective", where, &p->caps.effective, err) < 0 ||
        parse_cap_set(caps, "inheritable", where, &p->caps.inheritable, err) < 0 ||
        parse_cap_set(caps, "permitted", where, &p->caps.permitted, err) < 0 ||
        parse_cap_set(caps, "ambient", where, &p->caps.ambient, err) < 0)
      return -1;
  }
  if (get_bool(j, "noNewPrivileges", path, &p->no_new_privileges, err) < 0)
    return -1;
  int64_t oom;
  if (get_int(j, "oomScoreAdj", path, -1000, 1000, &oom, &p->has_oom_score_adj, err) < 0)
    return -1;
  p->oom_score_adj = (int)oom;
  if (get_string(j, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
      get_string(j, "selinuxLabel", path, &p->selinux_label, err) < 0)
    return -1;
  return 0;
}

static int parse_id_maps_at(json_t *obj, const char *prefix, const char *key, struct hull_id_map **out, size_t *n,
                            hull_err *err);

static int parse_mounts(json_t *root, struct hull_spec *s, hull_err *err) {
  json_t *a;
  if (get_array(root, "mounts", "", &a, err) < 0)
    return hull_error_wrap(err, "config");
  if (a == NULL)
    return 0;
  s->mounts = calloc(json_array_size(a) + 1, sizeof(*s->mounts));
  if (s->mounts == NULL)
    return hull_error(err, ENOMEM, "mounts");
  size_t i;
  json_t *m;
  json_array_foreach(a, i, m) {
    char where[64];
    snprintf(where, sizeof(where), "mounts[%zu]", i);
    struct hull_mount *mt = &s->mounts[i];
    s->n_mounts = i + 1;
    if (!json_is_object(m))
      return hull_error(err, 0, "%s: expected an object", where);
    if (get_string(m, "destination", where, &mt->destination, err) < 0 ||
        get_string(m, "type", where, &mt->type, err) < 0 || get_string(m, "source", where, &mt->source, err) < 0)
      return -1;
    if (mt->destination == NULL || mt->destination[0] != '/')
      return hull_error(err, 0, "%s.destination: must be an absolute path, got \"%s\"", where,
                        mt->destination ? mt->destination : "");
    cleanup_strv char **opts = NULL;
    if (get_strv(m, "options", where, &opts, err) < 0)
      return -1;
    struct hull_mount_opts mo;
    if (hull_mount_opts_parse((const char *const *)opts, hull_strv_len(opts), &mo, err) < 0)
      return hull_error_wrap(err, "%s.options", where);
    mt->flags = mo.flags;
    mt->clear = mo.clear;
    mt->propagation = mo.propagation;
    mt->bind = mo.bind || (mt->type && strcmp(mt->type, "bind") == 0);
    mt->rbind = mo.rbind;
    mt->recursive_ro = mo.recursive_ro;
    mt->data = mo.data;
    if (parse_id_maps_at(m, where, "uidMappings", &mt->uid_map, &mt->n_uid_map, err) < 0 ||
        parse_id_maps_at(m, where, "gidMappings", &mt->gid_map, &mt->n_gid_map, err) < 0)
      return -1;
    mt->idmap = mo.idmap || mt->n_uid_map > 0 || mt->n_gid_map > 0;
    if (mt->idmap && !mt->bind)
      return hull_error(err, EINVAL, "%s: an idmapped mount must be a bind mount", where);
    if ((mt->n_uid_map > 0) != (mt->n_gid_map > 0))
      return hull_error(err, EINVAL, "%s: an idmapped mount needs both uidMappings and gidMappings", where);
    if (mt->type == NULL && !mt->bind)
      return hull_error(err, 0, "%s.type: required for a non-bind mount of %s", where, mt->destination);
  }
  return 0;
}

static int parse_namespaces(json_t *linux_, struct hull_spec *s, hull_err *err) {
  json_t *a;
  if (get_array(linux_, "namespaces", "linux", &a, err) < 0)
    return -1;
  size_t i;
  json_t *n;
  json_array_foreach(a, i, n) {
    if (!json_is_object(n))
      return hull_error(err, 0, "linux.namespaces[%zu]: expected an object", i);
    json_t *type = json_object_get(n, "type");
    int t = hull_ns_parse(json_is_string(type) ? json_string_value(type) : NULL, err);
    if (t < 0)
      return hull_error_wrap(err, "linux.namespaces[%zu].type", i);
    if (s->ns_present[t])
      return hull_error(err, 0, "linux.namespaces[%zu]: duplicate namespace \"%s\"", i, hull_ns_spec_name(t));
    char where[64];
    snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
    s->ns_present[t] = true;
    s->namespaces[t].type = t;
    if (get_string(n, "path", where, &s->namespaces[t].path, err) < 0)
      return -1;
    if (s->namespaces[t].path && s->namespaces[t].path[0] == '\0') {
      free(s->namespaces[t].path);
      s->namespaces[t].path = NULL;
    }
  }
  return 0;
}

static int parse_id_maps_at(json_t *obj, const char *prefix, const char *key, struct hull_id_map **out, size_t *n,
                            hull_err *err) {
  json_t *a;
  if (get_array(obj, key, prefix, &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  *out = calloc(json_array_size(a) + 1, sizeof(**out));
  if (*out == NULL)
    return hull_error(err, ENOMEM, "linux.%s", key);
  size_t i;
  json_t *m;
  json_array_foreach(a, i, m) {
    char where[64];
    snprintf(where, sizeof(where), "%s.%s[%zu]", prefix, key, i);
    int64_t c = -1, h = -1, sz = -1;
    if (!json_is_object(m) || get_int(m, "containerID", where, 0, UINT32_MAX, &c, NULL, err) < 0 ||
        get_int(m, "hostID", where, 0, UINT32_MAX, &h, NULL, err) < 0 ||
        get_int(m, "size", where, 1, UINT32_MAX, &sz, NULL, err) < 0)
      return err && *err ? -1 : hull_error(err, 0, "%s: expected an object", where);
    if (c < 0 || h < 0 || sz < 0)
      return hull_error(err, 0, "%s: containerID, hostID and size are required", where);
    (*out)[i] = (struct hull_id_map){(uint32_t)c, (uint32_t)h, (uint32_t)sz};
    *n = i + 1;
  }
  return 0;
}

static int parse_id_maps(json_t *linux_, const char *key, struct hull_id_map **out, size_t *n, hull_err *err) {
  return parse_id_maps_at(linux_, "linux", key, out, n, err);
}

static int parse_devices(json_t *linux_, struct hull_spec *s, hull_err *err) {
  json_t *a;
  if (get_array(linux_, "devices", "linux", &a, err) < 0)
    return -1;
  if (a == NULL)
    return 0;
  s->devices = calloc(json_array_size(a) + 1, sizeof(*s->devices));
  if (s->devices == NULL)
    return hull_error(err, ENOMEM, "linux.devices");
  size_t i;
  json_t *d;
  json_array_foreach(a, i, d) {
    char where[64];
    snprintf(where, sizeof(where), "linux.devices[%zu]", i);
    struct hull_device *dev = &s->devices[i];
    s->n_devices = i + 1;
    cleanup_free char *type = NULL;
    if (!json_is_object(d))
      return hull_error(err, 0, "%s: expected an object", where);
    if (get_string(d, "path", where, &dev->path, err) < 0 || get_string(d, "type", where, &type, err) < 0)
      return -1;
    if (dev->path == NULL || dev->path[0] != '/')
      return hull_error(err, 0, "%s.path: must be an absolute path", where);
    if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
      return hull_error(err, 0, "%s.type: must be one of c, b, u, p (got \"%s\")", where, type ? type : "");
    dev->type = type[0];
    bool present;
    int64_t v = 0; /* stays 0 when fileMode is absent: file_mode is then never garbage */
    if (get_int(d, "major", where, 0, INT32_MAX, &dev->major, &present, err) < 0 ||
        get_int(d, "minor", where, 0, INT32_MAX, &dev->minor, NULL, err) < 0)
      return -1;
    if (!present && dev->type != 'p')
      return hull_error(err, 0, "%s.major: required for a device of type %c", where, dev->type);
    if (get_int(d, "fileMode", where, 0, 07777, &v, &dev->has_mode, err) < 0)
      return -1;
    dev->file_mode = (mode_t)v;
    v = 0;
    if (get_int(d, "uid", where, 0, UINT32_MAX - 1, &v, NULL, err) < 0)
      return -1;
    dev->uid = (uid_t)v;
    v = 0;
    if (get_int(d, "gid", where, 0, UINT32_MAX - 1, &v, NULL, err) < 0)
      return -1;
    dev->gid = (gid_t)v;
  }
  return 0;
}

static int check_oci_version(const char *v, hull_err *err) {
  if (v == NULL)
    return hull_error(err, 0, "ociVersion: missing");
  /* Accept every 1.x.y (and pre-release suffixes like 1.0.2-dev); reject other majors. */
  char *end = NULL;
  long major = strtol(v, &end, 10);
  if (end == v || *end != '.')
    return hull_error(err, 0, "ociVersion: \"%s\" is not a version", v);
  if (major != 1)
    return hull_error(err, 0, "ociVersion: unsupported version \"%s\" (this runtime implements 1.x)", v);
  return 0;
}

/* The namespace a sysctl belongs to (HULL_NS_IPC, HULL_NS_NET or HULL_NS_UTS), or -1 for
 * one that is global to the kernel. The list is runc's. */
static int sysctl_ns(const char *key) {
  static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  if (strncmp(key, "fs.mqueue.", 10) == 0)
    return HULL_NS_IPC;
  for (size_t i = 0; i < sizeof(ipc) / sizeof(ipc[0]); i++)
    if (strcmp(key, ipc[i]) == 0)
      return HULL_NS_IPC;
  if (strncmp(key, "net.", 4) == 0)
    return HULL_NS_NET;
  if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
    return HULL_NS_UTS;
  return -1;
}

/* A sysctl is written in the container's /proc/sys, but most of them are global:
 * only those that belong to one of the namespaces listed in the config are allowed.
 * Whether a namespace joined by path is the runtime's own (the host's) is known only
 * once it is opened: hull_spec_check_joined_ns. */
static int check_sysctl(const struct hull_spec *s, const char *key, hull_err *err) {
  if (strstr(key, "..") || strchr(key, '/') != NULL || key[0] == '.' || key[0] == '\0')
    return hull_error(err, 0, "linux.sysctl: invalid key \"%s\"", key);
  int t = sysctl_ns(key);
  if (t < 0)
    return hull_error(err, 0, "linux.sysctl: %s is not in one of the container's namespaces", key);
  if (!s->ns_present[t])
    return hull_error(err, 0, "linux.sysctl: %s needs the container's own %s namespace", key,
                      t == HULL_NS_NET ? "network" : hull_ns_spec_name(t));
  return 0;
}

int hull_spec_check_joined_ns(const struct hull_spec *s, const int ns_fds[HULL_NS_COUNT], hull_err *err) {
  bool own[HULL_NS_COUNT] = {false};
  static const enum hull_ns_type kinds[] = {HULL_NS_IPC, HULL_NS_NET, HULL_NS_UTS};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    enum hull_ns_type t = kinds[i];
    if (ns_fds[t] < 0)
      continue;
    char path[64];
    struct stat joined, ours;
    snprintf(path, sizeof(path), "/proc/self/ns/%s", hull_ns_proc_name(t));
    if (fstat(ns_fds[t], &joined) < 0)
      return hull_error_sys(err, "stat %s namespace %s", hull_ns_spec_name(t), s->namespaces[t].path);
    if (stat(path, &ours) < 0)
      return hull_error_sys(err, "stat %s", path);
    own[t] = joined.st_dev == ours.st_dev && joined.st_ino == ours.st_ino;
  }
  if (own[HULL_NS_UTS] && (s->hostname || s->domainname))
    return hull_error(err, EPERM,
                      "%s: the uts namespace %s is the runtime's own (the host's): a container may not set it",
                      s->hostname ? "hostname" : "domainname", s->namespaces[HULL_NS_UTS].path);
  const char *key;
  json_t *v;
  json_object_foreach(s->sysctl, key, v) {
    int t = sysctl_ns(key);
    if (t >= 0 && own[t])
      return hull_error(err, EPERM,
                        "linux.sysctl: %s would be written in the %s namespace %s, the runtime's own (the host's)", key,
                        t == HULL_NS_NET ? "network" : hull_ns_spec_name(t), s->namespaces[t].path);
  }
  return 0;
}

static int parse_linux(json_t *linux_, struct hull_spec *s, hull_err *err) {
  if (linux_ == NULL)
    return 0;
  if (parse_namespaces(linux_, s, err) < 0 ||
      parse_id_maps(linux_, "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) < 0 ||
      parse_id_maps(linux_, "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0 ||
      parse_devices(linux_, s, err) < 0 || get_strv(linux_, "maskedPaths", "linux", &s->masked_paths, err) < 0 ||
      get_strv(linux_, "readonlyPaths", "linux", &s->readonly_paths, err) < 0 ||
      get_object(linux_, "sysctl", "linux", &s->sysctl, err) < 0 ||
      get_string(linux_, "cgroupsPath", "linux", &s->cgroups_path, err) < 0 ||
      get_object(linux_, "resources", "linux", &s->resources, err) < 0 ||
      get_object(linux_, "seccomp", "linux", &s->seccomp, err) < 0 ||
      get_object(linux_, "timeOffsets", "linux", &s->time_offsets, err) < 0 ||
      get_string(linux_, "mountLabel", "linux", &s->mount_label, err) < 0)
    return -1;
  cleanup_free char *prop = NULL;
  if (get_string(linux_, "rootfsPropagation", "linux", &prop, err) < 0)
    return -1;
  if (prop != NULL && *prop) {
    struct hull_mount_opts mo;
    const char *o[] = {prop};
    if (hull_mount_opts_parse(o, 1, &mo, err) < 0)
      return -1;
    free(mo.data);
    if (mo.propagation == 0)
      return hull_error(err, 0, "linux.rootfsPropagation: unknown propagation \"%s\"", prop);
    s->rootfs_propagation = mo.propagation;
  }
  if ((s->n_uid_mappings || s->n_gid_mappings) && !s->ns_present[HULL_NS_USER])
    return hull_error(err, 0, "linux.uidMappings: user id mappings need a user namespace");
  if (s->ns_present[HULL_NS_USER] && !s->namespaces[HULL_NS_USER].path &&
      (s->n_uid_mappings == 0 || s->n_gid_mappings == 0))
    return hull_error(err, 0, "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  if (s->sysctl) {
    const char *k;
    json_t *v;
    json_object_foreach(s->sysctl, k, v) {
      if (!json_is_string(v))
        return hull_error(err, 0, "linux.sysctl.%s: expected a string", k);
      if (check_sysctl(s, k, err) < 0)
        return -1;
    }
  }
  return 0;
}

void hull_spec_free(struct hull_spec *s) {
  if (s == NULL)
    return;
  json_decref(s->json);
  free(s->oci_version);
  free(s->root_path);
  free(s->hostname);
  free(s->domainname);
  hull_process_clear(&s->process);
  for (size_t i = 0; i < s->n_mounts; i++) {
    free(s->mounts[i].destination);
    free(s->mounts[i].type);
    free(s->mounts[i].source);
    free(s->mounts[i].data);
    free(s->mounts[i].uid_map);
    free(s->mounts[i].gid_map);
  }
  free(s->mounts);
  for (int i = 0; i < HULL_NS_COUNT; i++)
    free(s->namespaces[i].path);
  free(s->uid_mappings);
  free(s->gid_mappings);
  for (size_t i = 0; i < s->n_devices; i++)
    free(s->devices[i].path);
  free(s->devices);
  hull_strv_free(s->masked_paths);
  hull_strv_free(s->readonly_paths);
  free(s->cgroups_path);
  free(s->mount_label);
  free(s);
}

static int parse_root(json_t *j, const char *bundle, struct hull_spec *s, hull_err *err) {
  json_t *root;
  if (get_object(j, "root", "", &root, err) < 0)
    return -1;
  if (root == NULL)
    return hull_error(err, 0, "root: missing in config.json");
  cleanup_free char *path = NULL;
  if (get_string(root, "path", "root", &path, err) < 0 || get_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
    return -1;
  if (path == NULL || *path == '\0')
    return hull_error(err, 0, "root.path: missing");
  /* Without a bundle yet (hull_spec_load_mem), a relative path waits for create, which
   * parses the config again against its bundle. */
  if (bundle == NULL && path[0] != '/') {
    s->root_path = steal_pointer(&path);
    return 0;
  }
  char joined[PATH_MAX];
  if (path[0] == '/')
    snprintf(joined, sizeof(joined), "%s", path);
  else if (snprintf(joined, sizeof(joined), "%s/%s", bundle, path) >= (int)sizeof(joined))
    return hull_error(err, ENAMETOOLONG, "root.path %s", path);
  char *real = realpath(joined, NULL);
  if (real == NULL)
    return hull_error_sys(err, "root.path: rootfs %s", joined);
  struct stat st;
  if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
    free(real);
    return hull_error(err, ENOTDIR, "root.path: rootfs %s", joined);
  }
  s->root_path = real;
  return 0;
}

/* JSON numbers above INT64_MAX do not fit jansson's integers, but config.json uses
 * 18446744073709551615 (2^64-1, RLIM_INFINITY as an unsigned 64-bit value) for
 * unlimited rlimits. Outside strings that token is rewritten as -1, which is what
 * the rlimit parser reads as unlimited. Returns a copy or NULL if there was nothing
 * to rewrite. */
static char *rewrite_uint64_max(const char *text, size_t len) {
  static const char tok[] = "18446744073709551615";
  const size_t tl = sizeof(tok) - 1;
  if (memmem(text, len, tok, tl) == NULL)
    return NULL;
  char *out = malloc(len + 1);
  if (out == NULL)
    return NULL;
  size_t o = 0;
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (in_string) {
      out[o++] = c;
      if (c == '\\' && i + 1 < len)
        out[o++] = text[++i];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    bool boundary_before = i == 0 || strchr(" \t\r\n:,[", text[i - 1]) != NULL;
    if (boundary_before && i + tl <= len && memcmp(text + i, tok, tl) == 0 &&
        (i + tl == len || strchr(" \t\r\n,]}", text[i + tl]) != NULL)) {
      memcpy(out + o, "-1", 2);
      o += 2;
      i += tl - 1;
      continue;
    }
    out[o++] = c;
  }
  out[o] = '\0';
  return out;
}

int hull_spec_parse(const char *text, size_t len, const char *bundle, struct hull_spec **out, hull_err *err) {
  json_error_t jerr;
  char *rewritten = rewrite_uint64_max(text, len);
  json_t *j = rewritten ? json_loads(rewritten, JSON_REJECT_DUPLICATES, &jerr)
                        : json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  free(rewritten);
  if (j == NULL)
    return hull_error(err, 0, "config.json: malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                      jerr.text);
  struct hull_spec *s = calloc(1, sizeof(*s));
  if (s == NULL) {
    json_decref(j);
    return hull_error(err, ENOMEM, "load config.json");
  }
  s->json = j;
  int r = -1;
  json_t *proc, *linux_;
  if (!json_is_object(j)) {
    hull_error(err, 0, "config.json: the document must be a JSON object");
    goto out;
  }
  if (get_string(j, "ociVersion", "", &s->oci_version, err) < 0 || check_oci_version(s->oci_version, err) < 0)
    goto out;
  if (parse_root(j, bundle, s, err) < 0 || get_string(j, "hostname", "", &s->hostname, err) < 0 ||
      get_string(j, "domainname", "", &s->domainname, err) < 0 || get_object(j, "process", "", &proc, err) < 0 ||
      get_object(j, "linux", "", &linux_, err) < 0 || get_object(j, "hooks", "", &s->hooks, err) < 0 ||
      get_object(j, "annotations", "", &s->annotations, err) < 0)
    goto out;
  if (proc != NULL) {
    if (hull_process_parse(proc, "process", &s->process, err) < 0)
      goto out;
    s->has_process = true;
  }
  if (parse_mounts(j, s, err) < 0 || parse_linux(linux_, s, err) < 0)
    goto out;
  if ((s->hostname || s->domainname) && !s->ns_present[HULL_NS_UTS]) {
    hull_error(err, 0, "hostname: setting the hostname needs a new uts namespace");
    goto out;
  }
  r = 0;
out:
  if (r < 0)
    hull_spec_free(s);
  else
    *out = s;
  return r;
}

int hull_spec_load(const char *bundle, struct hull_spec **out, hull_err *err) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
    return hull_error(err, ENAMETOOLONG, "bundle %s", bundle);
  size_t len;
  cleanup_free char *text = hull_read_file(path, &len, err);
  if (text == NULL)
    return -1;
  return hull_spec_parse(text, len, bundle, out, err);
}
