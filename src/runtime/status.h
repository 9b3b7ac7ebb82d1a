/* Container state on disk: <root>/<id>/ holds state.json (written atomically),
 * config.json (the copy taken at create: editing the bundle later changes
 * nothing) and exec.fifo while the container is created but not started. It exists
 * from before create makes anything (docs/design.md, Cleanup) to the end of delete.
 * The status is derived from the pid and its start time, never trusted. */
#ifndef HULL_STATUS_H
#define HULL_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "../common/error.h"

enum hull_status { HULL_CREATING, HULL_CREATED, HULL_RUNNING, HULL_PAUSED, HULL_STOPPED };

struct hull_state {
  char *id;
  char *bundle;
  char *rootfs;
  pid_t pid;
  unsigned long long start_time;
  char *created; /* RFC 3339 */
  json_t *annotations;
  json_t *cgroup; /* the cgroup manager's persisted form */
  bool systemd_cgroup;
  char *owner;
  /* Without a mount namespace of its own: the id of the rootfs bind the init left in the
   * runtime's mount namespace (with the container's mounts on it), which delete detaches.
   * 0 otherwise. */
  uint64_t host_mount_id;
  /* Set while create runs: the state was recorded before any cgroup or process was
   * made, so that an interrupted create can be found and deleted. The creator (pid and
   * start time) tells a create in progress ("creating") from an interrupted one
   * ("stopped"). */
  bool creating;
  pid_t creator;
  unsigned long long creator_start;
  /* The config is BUNDLE/config.json, not a copy in the state directory
   * (hull_create_params.config_in_bundle). */
  bool config_in_bundle;
  /* The config's hooks, recorded at create so that start and delete need not read and
   * parse the whole config (an engine's is 15-30 KiB with its seccomp profile) to find
   * that it has none: an empty object then. NULL in a state written before they were
   * recorded: the config is read for them as it was. */
  json_t *hooks;
};

const char *hull_status_name(enum hull_status s);

/* Removes <root>/<id> and everything in it, state.json last (a delete interrupted here
 * leaves a container that is still visible, or an empty directory that the next create
 * of the id replaces). A directory that a new create put in its place is left alone. */
int hull_state_dir_remove(const char *root, const char *id, hull_err *err) HULL_WUR;
/* create's state directory is built as <root>/.new.<pid>.<start time> (begin: the directory, locked;
 * the fd is returned, at or above min_fd so that the container's init never inherits
 * it in its preserved range) and then renamed to <root>/<id> (publish) once state.json
 * and config.json are in it: <id> never exists without its state, and the rename is what
 * takes the id (it fails with errno EEXIST when the id is taken, "container with id X already
 * exists", runc's text; it replaces only an empty directory). */
int hull_state_dir_begin(const char *root, int min_fd, char *name, size_t len, hull_err *err) HULL_WUR;
int hull_state_dir_publish(const char *root, const char *name, const char *id, hull_err *err) HULL_WUR;
/* Removes <root>/<name>, a directory that begin made (on failure, best effort). */
void hull_state_dir_abandon(const char *root, const char *name);
/* Removes what interrupted runs left in root that belongs to no container: .new.<pid>
 * directories of creates no longer running, and an empty <root>/<id> (id may be NULL). */
void hull_state_gc(const char *root, const char *id);
int hull_state_write(const char *root, const struct hull_state *st, hull_err *err) HULL_WUR;
/* state.json in two steps, for a state whose text is known before it may be seen (create's
 * record through hull-exec, published once the container's process runs): stage writes it
 * to a new temporary file in the state directory, publish renames that over state.json,
 * drop removes it (each closes what stage opened). A temporary left by a kill is removed
 * with the directory (hull_state_dir_remove). */
struct hull_state_staged {
  int dfd; /* the state directory, or -1 */
  char tmp[64];
};
int hull_state_stage(const char *root, const struct hull_state *st, struct hull_state_staged *out,
                     hull_err *err) HULL_WUR;
int hull_state_publish(struct hull_state_staged *s, hull_err *err) HULL_WUR;
void hull_state_drop(struct hull_state_staged *s);
/* The same into an open state directory (create, before the directory is published): a
 * new file written in place, since no one can read it before the rename that publishes
 * the directory, and gc removes the directory of a create killed half-way. */
int hull_state_write_at(int dfd, const struct hull_state *st, hull_err *err) HULL_WUR;
/* Loads state.json; a missing container fails with errno ENOENT ("container X does not
 * exist", runc's text): callers test the errno. hull_state_lock too. */
int hull_state_load(const char *root, const char *id, struct hull_state **out, hull_err *err) HULL_WUR;
void hull_state_free(struct hull_state *st);
/* The status of a loaded container, from the pid, start time, fifo and freezer. */
enum hull_status hull_state_status(const char *root, const struct hull_state *st);
/* Same; when the init is alive, *pidfd gets a pidfd of it (checked as below). */
enum hull_status hull_state_status_pidfd(const char *root, const struct hull_state *st, int *pidfd);
/* A pidfd of the container's init, if the recorded pid still belongs to the process
 * recorded (its start time, read while the pidfd held it alive), else -1 with errno
 * (ESRCH: the init is gone). The only way to signal or join a recorded pid: a plain
 * kill(2) or /proc/PID path may reach an unrelated process that reused the pid. */
int hull_state_pidfd(const struct hull_state *st) HULL_WUR;
/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations...). */
json_t *hull_state_to_oci(const struct hull_state *st, enum hull_status status) HULL_WUR;
/* Takes an exclusive flock on the container's state dir; returns the fd. */
int hull_state_lock(const char *root, const char *id, hull_err *err) HULL_WUR;
/* Path helpers: <root>/<id>/<name>. */
int hull_state_path(char *buf, size_t len, const char *root, const char *id, const char *name) HULL_WUR;
/* The path of the container's config: the copy in its state directory, or its bundle's
 * config.json (config_in_bundle). -1 when it does not fit. */
int hull_state_config_path(char *buf, size_t len, const char *root, const struct hull_state *st) HULL_WUR;

#endif
