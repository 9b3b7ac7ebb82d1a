/* Bundle generation: the image's config and the run flags (Docker's Config and HostConfig,
 * engine/flags.h) become the OCI runtime config.json that the runtime runs, with Docker's
 * defaults (capabilities, masked and read-only paths, device rules, /dev/shm, the seccomp
 * profile, hostname = short id). */
#ifndef HULL_ENGINE_BUNDLE_H
#define HULL_ENGINE_BUNDLE_H

#include <stdbool.h>

#include <jansson.h>

#include "common/error.h"

/* Fills what the flags left unset in config (Docker's Config) from the image's config
 * object (the "config" member of an OCI image config): Env (the flags' variables override
 * the image's by name), Cmd (unless --entrypoint was given), Entrypoint, WorkingDir, User,
 * Volumes, StopSignal, Labels, Healthcheck. */
int hull_config_merge_image(json_t *config, const json_t *image_config, bool entrypoint_set, hull_err *err) HULL_WUR;

typedef struct hull_bundle_in {
  const char *id;       /* 64 hex */
  const json_t *config; /* merged Config */
  const json_t *host_config;
  int rootfd;                       /* the container's root filesystem (user and group names), or -1 */
  const char *ctr_dir;              /* <root>/containers/<id>: hostname, hosts, resolv.conf, volumes */
  const char *cgroup_parent;        /* default "/hull" */
  bool memory_v1;                   /* the memory controller is on cgroup v1 (for the OOM group kill) */
  const char *netns_path;           /* the network namespace to join (engine/network.c), NULL: none */
  const struct hull_userns *userns; /* the user namespace (engine/userns.h), NULL: none */
} hull_bundle_in;

/* The OCI config. Fails (status 125) for what cannot run: an empty command, a user or group
 * name missing from the image, a volume onto /proc, an unknown capability. */
json_t *hull_bundle_generate(const hull_bundle_in *in, hull_err *err);

/* linux.resources of a HostConfig without the device rules: what `hull update` applies to
 * a running container and writes into its config.json. */
json_t *hull_bundle_resources(const json_t *host_config, bool memory_v1);

/* The OCI user object for Docker's -u NAME|UID[:GROUP|GID], names looked up beneath rootfd. */
json_t *hull_resolve_user(int rootfd, const char *spec, const json_t *group_add, hull_err *err);
/* The capabilities object with every capability. */
json_t *hull_all_capabilities(void);

/* The seccomp profile hull gives containers by default (profiles/seccomp-default.json). */
json_t *hull_default_seccomp(hull_err *err);
/* Widens the default profile for the capabilities in caps (an array of CAP_ names) as
 * Docker's does: --cap-add SYS_ADMIN allows mount, unshare, setns, ..., SYS_PTRACE ptrace
 * and process_vm_*, SYS_TIME settimeofday, .... Returns profile. */
json_t *hull_seccomp_for_caps(json_t *profile, const json_t *caps);
/* The built-in profile's architectures narrowed to those this host's kernel can report
 * (Docker's archMap); profile, changed in place. */
json_t *hull_seccomp_host_archs(json_t *profile);

#endif
