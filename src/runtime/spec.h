/* config.json: loading, validation and the default `spec`. The parsed form keeps
 * the JSON too, so that modules which own a sub-object (cgroups, seccomp) read it
 * directly. Unknown properties are ignored, as the runtime-spec requires. */
#ifndef HULL_SPEC_H
#define HULL_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <jansson.h>

#include <hull/runtime.h>

#include "../common/error.h"
#include "names.h"

struct hull_rlimit {
  int resource;
  rlim_t soft, hard;
};

struct hull_caps {
  bool set; /* capabilities given at all */
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct hull_process {
  bool terminal;
  unsigned short console_height, console_width;
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated */
  char *cwd;
  uid_t uid;
  gid_t gid;
  int umask; /* -1: unset */
  gid_t *additional_gids;
  size_t n_additional_gids;
  struct hull_caps caps;
  struct hull_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
};

struct hull_mount {
  char *destination, *type, *source;
  unsigned long flags, clear, propagation;
  bool bind, rbind, recursive_ro;
  char *data;
  /* An idmapped bind mount (uidMappings/gidMappings of the mount, or the idmap option,
   * which takes the container's): ids on disk are containerIDs, seen as the hostIDs. */
  bool idmap;
  struct hull_id_map *uid_map, *gid_map;
  size_t n_uid_map, n_gid_map;
};

struct hull_namespace {
  enum hull_ns_type type;
  char *path; /* NULL: create a new one */
};

struct hull_id_map {
  uint32_t container_id, host_id, size;
};

struct hull_device {
  char *path;
  char type; /* c, b, u, p */
  int64_t major, minor;
  mode_t file_mode;
  bool has_mode;
  uid_t uid;
  gid_t gid;
};

struct hull_spec {
  json_t *json; /* the whole document */
  char *oci_version;
  char *root_path; /* absolute, resolved against the bundle */
  bool root_readonly;
  char *hostname, *domainname;
  struct hull_process process;
  bool has_process;
  struct hull_mount *mounts;
  size_t n_mounts;
  struct hull_namespace namespaces[HULL_NS_COUNT];
  bool ns_present[HULL_NS_COUNT];
  struct hull_id_map *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct hull_device *devices;
  size_t n_devices;
  char **masked_paths, **readonly_paths; /* NULL-terminated */
  json_t *sysctl;                        /* object or NULL (borrowed from json) */
  unsigned long rootfs_propagation;      /* 0: default */
  char *cgroups_path;
  json_t *resources; /* borrowed */
  json_t *seccomp;   /* borrowed */
  json_t *hooks;     /* borrowed */
  json_t *annotations; /* borrowed */
  json_t *time_offsets; /* borrowed */
  char *mount_label;
};

/* Loads BUNDLE/config.json (or `path` relative to the bundle) and validates it. */
int hull_spec_load(const char *bundle, struct hull_spec **out, hull_err *err) HULL_WUR;
/* Parses a config from a string (for tests and fuzzing); bundle resolves root.path. */
int hull_spec_parse(const char *text, size_t len, const char *bundle, struct hull_spec **out, hull_err *err) HULL_WUR;
void hull_spec_free(struct hull_spec *s);
/* Refuses a config that would write into the runtime's own namespaces through one it
 * joins by path (ns_fds: those paths opened, -1 elsewhere): a sysctl of that ipc,
 * network or uts namespace, or the hostname or domainname in that uts namespace. A
 * namespace the config does not list is the runtime's too; hull_spec_load refuses those. */
int hull_spec_check_joined_ns(const struct hull_spec *s, const int ns_fds[HULL_NS_COUNT], hull_err *err) HULL_WUR;
/* Parses an OCI process object (config.json "process", or `exec --process`).
 * what names it in errors ("process"). */
int hull_process_parse(json_t *j, const char *what, struct hull_process *p, hull_err *err) HULL_WUR;
void hull_process_clear(struct hull_process *p);

/* The default config.json of `spec` (rootless: user namespace with the caller's ids). */
json_t *hull_spec_default(bool rootless) HULL_WUR;

/* Helpers for the NULL-terminated string vectors. */
size_t hull_strv_len(char **v);
void hull_strv_free(char **v);
/* Looks NAME up in an env vector ("NAME=value"); NULL if absent. */
const char *hull_strv_env_get(char **env, const char *name);

#endif
