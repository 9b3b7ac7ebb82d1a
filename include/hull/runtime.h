/* hull's OCI runtime as a library: the only header that programs outside src/runtime
 * (hull-runtime's command line, the engine, the monitor) include from it.
 *
 * What the library promises its caller:
 *
 * - Errors. Every function that can fail takes `hull_err *err` last and returns -1 (or
 *   NULL) with exactly one error set: a stable errno (hull_err_errno) and a message naming
 *   the object concerned (hull_err_message). err may be NULL when the caller does not want
 *   the error. The caller releases a set error with hull_err_free. Errors of the container's
 *   own setup (a mount that failed inside the container) are reported the same way.
 *
 * - The caller's process is left as it was. No call changes its capability sets, its
 *   namespaces, its dumpable flag, its signal dispositions or mask, its working directory,
 *   its open file descriptors (beyond those returned) or its resource limits: whatever
 *   needs other privileges or other namespaces happens in short-lived children. The library
 *   prints nothing: messages go to the log handler of hull_rt_config.
 *
 * - Processes. The container's init (hull_rt_create) and an exec'd process (hull_rt_exec)
 *   are children of the calling process: it can wait for them with the returned pidfd
 *   (waitid P_PIDFD) or their pid, or through hull_rt_wait. SIGCHLD is delivered to the
 *   caller as for any child.
 *
 * - CVE-2019-5736. A container must never get a handle on the binary of the process that
 *   starts it. The library runs a container only when that is guaranteed: either the
 *   process the container could reach executes nothing but a sealed copy (a container
 *   created and started in one go with its own pid namespace: the init executes the
 *   container's process through a tiny sealed trampoline), or the calling process itself
 *   runs from a sealed in-memory copy of its binary. Otherwise create and exec fail with
 *   errno HULL_RT_ENEEDSEAL, before anything is made; a program that embeds the library
 *   calls hull_rt_seal_self at the start of main (or after that error) and gets the
 *   protection for every later call.
 *
 * Threads: the library keeps process-wide state (the log handler; the verified procfs
 * handle while create or exec runs), so its calls must not run at the same time in two
 * threads of one process. Different containers may be handled from different processes
 * at once: every call that changes a container takes its lock in the state directory. */
#ifndef HULL_RUNTIME_H
#define HULL_RUNTIME_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HULL_API __attribute__((visibility("default")))
#define HULL_API_WUR __attribute__((visibility("default"), warn_unused_result))

/* ---- Errors ---------------------------------------------------------------------- */

typedef struct hull_error_s *hull_err;

/* The errno the failure carries (0 when it is not a system error; callers test this,
 * never the text). Stable values: ENOENT for an id that names no container, EEXIST for
 * create of an id that is taken, ESRCH for a container that no longer runs, ETIMEDOUT for
 * hull_rt_wait's timeout, HULL_RT_ENEEDSEAL as above. */
HULL_API int hull_err_errno(const hull_err e);
/* The whole message, e.g. "open /x/config.json: No such file or directory". */
HULL_API const char *hull_err_message(const hull_err e);
/* Releases *e and sets it to NULL; nothing when *e is NULL. */
HULL_API void hull_err_free(hull_err *e);

/* create/exec need a sealed calling binary (see above). */
#define HULL_RT_ENEEDSEAL ENOTRECOVERABLE

/* ---- The runtime handle ------------------------------------------------------------ */

enum hull_rt_log_level { HULL_RT_LOG_DEBUG, HULL_RT_LOG_INFO, HULL_RT_LOG_WARNING, HULL_RT_LOG_ERROR };

struct hull_rt_config {
  const char *root;    /* state root; NULL: /run/hull-runtime. Copied. */
  bool systemd_cgroup; /* cgroups through systemd (scopes) instead of cgroupfs */
  /* Where the library's messages go (warnings about a poststop hook that failed, debug
   * traces): called with one message, without a newline. NULL: dropped. log_debug: also
   * the debug messages (they cost a formatting each). The handler may be called from the
   * runtime's short-lived children too (a fork of the caller), so it must only write to
   * a file descriptor (no locks another thread may hold, no buffered stdio). */
  void (*log)(void *ud, enum hull_rt_log_level level, const char *msg);
  void *log_ud;
  bool log_debug;
  /* An fd the log handler writes to that the runtime's children must keep open until
   * they hand over to the container (-1: none). */
  int log_fd;
};

struct hull_rt;

/* A runtime handle for one state root. Cheap: nothing is opened. */
HULL_API_WUR int hull_rt_open(const struct hull_rt_config *c, struct hull_rt **out, hull_err *err);
HULL_API void hull_rt_close(struct hull_rt *rt);

/* Re-executes the calling program (argv as given, the current environment) from a sealed
 * in-memory copy of its binary, unless it already runs from one; returns 0 then. On
 * success of the re-execution it does not return; -1 with err when it could not be done.
 * Call it early in main, before anything is opened that the new image would not have. */
HULL_API_WUR int hull_rt_seal_self(char *const argv[], hull_err *err);
/* True when the calling process runs from a sealed copy of its binary. */
HULL_API bool hull_rt_sealed_p(void);

/* ---- Specs ------------------------------------------------------------------------- */

struct hull_spec;

/* A config.json, read and validated (a malformed field fails with its JSON path named). A
 * relative root.path is resolved against the bundle given to hull_rt_create. */
HULL_API_WUR int hull_spec_load_file(const char *path, struct hull_spec **out, hull_err *err);
HULL_API_WUR int hull_spec_load_mem(const char *json, size_t len, struct hull_spec **out, hull_err *err);
HULL_API void hull_spec_free(struct hull_spec *s);
/* The spec's document (borrowed: valid until hull_spec_free; do not change it). */
HULL_API const json_t *hull_spec_json(const struct hull_spec *s);
/* The config.json `hull-runtime spec` writes (runc's defaults); rootless: the variant
 * with a user namespace. NULL when out of memory. The caller owns it. */
HULL_API json_t *hull_spec_default_json(bool rootless);

/* ---- Containers -------------------------------------------------------------------- */

struct hull_create_params {
  const char *id;     /* [A-Za-z0-9_.-]+ */
  const char *bundle; /* the bundle directory; NULL: the current directory */
  /* The config; NULL: BUNDLE/config.json (or config_path). The library copies what it
   * needs: spec may be freed once create returns. */
  const struct hull_spec *spec;
  const char *config_path; /* crun's --config: this file instead of BUNDLE/config.json */
  /* The fds the process gets as its stdin, stdout and stderr when process.terminal is
   * false; -1: the caller's own 0, 1 or 2. (A zeroed struct means fd 0 for all three: set
   * them.) */
  int stdio[3];
  int preserve_fds; /* the caller's fds 3 .. 3+N-1 are passed on to the process as they are */
  bool no_pivot;    /* chroot instead of pivot_root (a rootfs on a ramfs) */
  bool no_new_keyring;
  /* BUNDLE/config.json is the caller's and stays as it is until the container is deleted:
   * the library keeps no copy of it in its state directory and reads it there (exec,
   * hull_rt_config). An engine that owns its bundles saves a file per container; a
   * command line runtime must not set it, since users may edit a bundle after create.
   * Not with spec or config_path. */
  bool config_in_bundle;
  /* Create and start in one go (runc run): the init does not wait for hull_rt_start; the
   * poststart hooks have run when create returns. */
  bool start;
};

/* What create and exec return. The fds belong to the caller. */
struct hull_proc {
  pid_t pid;      /* the init (or exec'd process), a child of the caller */
  int pidfd;      /* a pidfd of it, close-on-exec (-1 when the kernel has none) */
  int pty_master; /* the pty's master when process.terminal is true, close-on-exec; else -1 */
};

/* Creates a container (runc create): it then exists with status "created", its init
 * waiting for hull_rt_start (unless params->start). On failure nothing of it is left. */
HULL_API_WUR int hull_rt_create(struct hull_rt *rt, const struct hull_create_params *params, struct hull_proc *out,
                                hull_err *err);
/* Starts a created container: its init executes the process. */
HULL_API_WUR int hull_rt_start(struct hull_rt *rt, const char *id, hull_err *err);
/* Sends sig to the init, or with all to every process of its cgroup (a stopped container
 * then succeeds when nothing is left). A stopped container fails with ESRCH. */
HULL_API_WUR int hull_rt_kill(struct hull_rt *rt, const char *id, int sig, bool all, hull_err *err);

struct hull_exit {
  /* As waitpid(2) gives it, when the init is the caller's child (reaped by the wait);
   * -1 when it is not (only its parent learns its status). */
  int wait_status;
  bool oom_killed; /* the container's memory cgroup recorded an OOM kill */
};
/* Waits until the container's init has exited (timeout_ms < 0: no limit); fails with
 * ETIMEDOUT when the time is up first. An init that has already exited returns at once. */
HULL_API_WUR int hull_rt_wait(struct hull_rt *rt, const char *id, int timeout_ms, struct hull_exit *out, hull_err *err);

/* Events of a running container, one at a time (what `hull-runtime events` prints). */
enum hull_rt_event_type { HULL_RT_EVENT_TIMEOUT, HULL_RT_EVENT_OOM, HULL_RT_EVENT_EXIT };
struct hull_rt_watch;
/* Fails with ESRCH when the container is not running. */
HULL_API_WUR int hull_rt_watch_open(struct hull_rt *rt, const char *id, struct hull_rt_watch **out, hull_err *err);
/* The next event within timeout_ms (< 0: no limit): an OOM kill recorded by the memory
 * cgroup (one per kill; with v1's OOM killer disabled, one each time the cgroup goes under
 * OOM), the end of the container (it stopped or was deleted; every later call says EXIT
 * again), or TIMEOUT. */
HULL_API_WUR int hull_rt_watch_next(struct hull_rt_watch *w, int timeout_ms, enum hull_rt_event_type *ev,
                                    hull_err *err);
HULL_API void hull_rt_watch_close(struct hull_rt_watch *w);

/* Deletes a stopped (or created) container; force: kills a running one first. The
 * poststop hooks run. An id that names nothing fails with ENOENT. */
HULL_API_WUR int hull_rt_delete(struct hull_rt *rt, const char *id, bool force, hull_err *err);
/* The OCI state (ociVersion, id, status, pid, bundle, annotations, ...); caller owns it. */
HULL_API_WUR int hull_rt_state(struct hull_rt *rt, const char *id, json_t **state, hull_err *err);
/* An array of the state of every container under the root, each with "owner" (the user
 * owning its state directory, runc's OWNER column) added. */
HULL_API_WUR int hull_rt_list(struct hull_rt *rt, json_t **states, hull_err *err);
/* The config.json copy taken at create (editing the bundle later changes nothing). */
HULL_API_WUR int hull_rt_config(struct hull_rt *rt, const char *id, json_t **config, hull_err *err);
/* Freezes (pause) or thaws a running container. */
HULL_API_WUR int hull_rt_pause(struct hull_rt *rt, const char *id, bool pause, hull_err *err);
/* Applies an OCI linux.resources object to a running container. */
HULL_API_WUR int hull_rt_update(struct hull_rt *rt, const char *id, const json_t *resources, hull_err *err);
/* Resource usage in runc's `events --stats` shape (cpu, memory, pids, blkio). */
HULL_API_WUR int hull_rt_stats(struct hull_rt *rt, const char *id, json_t **stats, hull_err *err);
/* The pids of the container's processes (malloc'ed; none when stopped). */
HULL_API_WUR int hull_rt_pids(struct hull_rt *rt, const char *id, pid_t **pids, size_t *n, hull_err *err);

struct hull_exec_params {
  const json_t *process; /* an OCI process object: args, env, cwd, user, terminal, capabilities, ... */
  int stdio[3];          /* as in hull_create_params */
  int preserve_fds;
  /* Sub-cgroups to put the process in (runc exec --cgroup: "path" or "ctrl[,ctrl]:path"),
   * NULL-terminated; NULL: the container's cgroup. */
  const char *const *sub_cgroups;
  /* A paused container: the process starts frozen and runs once resumed (else: fails). */
  bool ignore_paused;
};
/* Starts a process in a running (or created) container; returns like create. */
HULL_API_WUR int hull_rt_exec(struct hull_rt *rt, const char *id, const json_t *process, const int stdio[3],
                              struct hull_proc *out, hull_err *err);
HULL_API_WUR int hull_rt_exec_params(struct hull_rt *rt, const char *id, const struct hull_exec_params *params,
                                     struct hull_proc *out, hull_err *err);

/* ---- Names and features ------------------------------------------------------------ */

/* "KILL", "SIGKILL" or "9" -> 9; -1 with err when unknown. */
HULL_API_WUR int hull_rt_signal_parse(const char *s, hull_err *err);
/* runc's `features` document (what this runtime and kernel support). */
HULL_API json_t *hull_rt_features(void);
/* "512m", "1g", "100" (bytes) as runc's update flags take them; -1 with err when invalid. */
HULL_API_WUR int hull_rt_size_parse(const char *s, long long *bytes, hull_err *err);

#ifdef __cplusplus
}
#endif

#endif
