/* The engine: container records in the store's SQLite database, their directories, and
 * the lifecycle commands' logic. Only the CLI (src/cli) prints.
 *
 *   <root>/containers/<id>/      config.json (the OCI bundle config), rootfs/ (overlay mount
 *                                point), upper/ work/ (the writable layer), ctr.log (JSON
 *                                lines), exit.json, monitor.json, runtime.log, hostname, hosts,
 *                                resolv.conf, volumes/
 *   <runroot>/runtime/           the runtime's state root
 *   <runroot>/containers/<id>/   monitor.pid, attach.sock
 *
 * A record is written (state 'creating', with its creator's pid and start time) before
 * anything exists on disk, and removed after everything is gone: a crash at any point
 * leaves a row that `rm -f` and `container prune` can finish removing. */
#ifndef HULL_ENGINE_ENGINE_H
#define HULL_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/error.h"
#include "engine/flags.h"
#include "image/prune-filter.h"
#include "image/store.h"

#define HULL_DEFAULT_RUNROOT "/run/hull"

struct hull_rt;

typedef struct hull_engine {
  char *root, *runroot;
  char *bindir; /* where hull and hull-monitor live */
  hull_store *store;
  struct hull_rt *rt; /* the runtime library's handle, opened on first use (hull_engine_rt) */
} hull_engine;

int hull_engine_open(const char *root, const char *runroot, enum hull_store_mode mode, hull_engine **out,
                     hull_err *err) HULL_WUR;
void hull_engine_close(hull_engine *e);
static inline void hull_engine_closep(hull_engine **e) {
  if (*e)
    hull_engine_close(*e);
}
#define cleanup_engine __attribute__((cleanup(hull_engine_closep)))

/* Docker's statuses. */
enum hull_ctr_status {
  HULL_CTR_CREATED,
  HULL_CTR_RUNNING,
  HULL_CTR_PAUSED,
  HULL_CTR_RESTARTING,
  HULL_CTR_REMOVING,
  HULL_CTR_EXITED,
  HULL_CTR_DEAD,
};
const char *hull_ctr_status_name(enum hull_ctr_status s);

typedef struct hull_ctr {
  char id[65];
  char *name;
  char *image_id;   /* "sha256:..." */
  char *image_name; /* as given to run */
  int64_t created;  /* ns since the epoch */
  char *state;      /* the row's: creating, created, running, paused, removing */
  json_t *config, *host_config;
  pid_t pid;
  unsigned long long pid_start;
  int64_t started_at; /* ns */
  /* Derived by hull_ctr_refresh from the row, exit.json and the process table. */
  enum hull_ctr_status status;
  int exit_code;
  bool oom_killed;
  int64_t finished_at; /* ns, 0 if never */
  int restart_count;
  bool removal_pending; /* --rm: its monitor's exit file says a removal follows this end */
  char *error;
  /* Set by hull_ctr_create, cleared by the first start: this process made the container
   * and has not started it, so no earlier run left anything (network objects, a monitor,
   * an exit file) and its config.json is the one this process generated. */
  bool created_here;
} hull_ctr;

void hull_ctr_free(hull_ctr *c);
static inline void hull_ctr_freep(hull_ctr **c) {
  if (*c) {
    hull_ctr_free(*c);
    free(*c);
  }
}
#define cleanup_ctr __attribute__((cleanup(hull_ctr_freep)))

/* Finds a container by full id, unique id prefix or name; ENOENT "No such container: X". */
int hull_ctr_lookup(hull_engine *e, const char *ref, hull_ctr **out, hull_err *err) HULL_WUR;
/* Every container, newest first, with derived status. */
int hull_ctr_list(hull_engine *e, hull_ctr ***out, size_t *n, hull_err *err) HULL_WUR;
/* Same; without host_config (an empty object) unless asked: parsing it for every row was a
 * third of `hull ps` with 500 containers, and ps shows nothing from it. */
int hull_ctr_list_ex(hull_engine *e, bool host_config, hull_ctr ***out, size_t *n, hull_err *err) HULL_WUR;
void hull_ctr_list_free(hull_ctr **list, size_t n);
/* container prune and system prune: a container that is not running, paused or being
 * created by a live command, and that the filter selects (labels, until). */
bool hull_ctr_prunable_p(const hull_ctr *ct, const hull_prune_filter *f);
/* Re-derives c->status, exit code and times from exit.json and the process table. */
void hull_ctr_refresh(hull_engine *e, hull_ctr *c);

/* create: record, directory, rootfs, config.json. */
int hull_ctr_create(hull_engine *e, const hull_run_opts *opts, hull_ctr **out, hull_err *err) HULL_WUR;
/* start: mounts the rootfs if needed and starts the monitor; returns once the container
 * runs (or failed: the error has status 125, 126 or 127 as Docker). */
int hull_ctr_start(hull_engine *e, hull_ctr *c, hull_err *err) HULL_WUR;
/* The same; detached false (a foreground run) leaves --rm to the caller, which waits. */
int hull_ctr_start_ex(hull_engine *e, hull_ctr *c, bool detached, hull_err *err) HULL_WUR;
/* stop: the stop signal, timeout seconds (-1: the container's or 10), then SIGKILL. */
int hull_ctr_stop(hull_engine *e, hull_ctr *c, int timeout, hull_err *err) HULL_WUR;
/* restart: stop, then start. A --rm container stays (Docker's HasBeenManuallyRestarted):
 * restart.owner in its directory names this process while it restarts, and a monitor or a
 * foreground run that finds that process alive does not remove the container at its end. */
int hull_ctr_restart(hull_engine *e, hull_ctr *c, int timeout, hull_err *err) HULL_WUR;
/* True while a live restart (hull_ctr_restart) owns the container. */
bool hull_ctr_restart_pending_p(hull_engine *e, const char *id);
int hull_ctr_kill(hull_engine *e, hull_ctr *c, int sig, hull_err *err) HULL_WUR;
/* rm: refused for a running container unless force (then killed first). */
int hull_ctr_remove(hull_engine *e, hull_ctr *c, bool force, bool volumes, hull_err *err) HULL_WUR;
/* Waits until the container is no longer running; its exit code. timeout_ms < 0: forever. */
int hull_ctr_wait(hull_engine *e, hull_ctr *c, int timeout_ms, hull_err *err) HULL_WUR;
int hull_ctr_pause(hull_engine *e, hull_ctr *c, bool pause, hull_err *err) HULL_WUR;
int hull_ctr_rename(hull_engine *e, hull_ctr *c, const char *name, hull_err *err) HULL_WUR;
/* update: sets the HostConfig resource keys of `changes` (Memory, NanoCpus, PidsLimit...),
 * applies the resulting limits to the running container's cgroup, and keeps them for its
 * next start (config.json) and for inspect (the record). A RestartPolicy in `changes`
 * reaches a running container's monitor, which applies it from the container's next exit. */
int hull_ctr_update(hull_engine *e, hull_ctr *c, const json_t *changes, hull_err *err) HULL_WUR;
/* verify.c: dockerd's checks of the resource settings in a HostConfig (memory, swap and
 * reservation, CPUs, cpusets against the machine's), with Docker's messages; `update`
 * checks the merged settings and allows swap without memory. A block I/O weight the
 * kernel cannot apply is dropped with Docker's warning. */
int hull_verify_resources(json_t *host_config, bool update, hull_err *err) HULL_WUR;
typedef struct hull_exec_opts {
  char **args;
  char **env; /* NULL-terminated, added to the container's */
  const char *user, *workdir;
  bool privileged, detach, tty, interactive;
} hull_exec_opts;
/* Runs a process in the running container (through the runtime, with this process's
 * stdio); *status gets its exit status (Docker's 126/127 when it cannot be started). */
int hull_ctr_exec(hull_engine *e, hull_ctr *c, const hull_exec_opts *o, int *status, hull_err *err) HULL_WUR;

/* attach (engine/attach.c): the CLI's end of the monitor's attach.sock. */
#define HULL_ATTACH_WINDOW_MS 5000 /* a foreground run's output is kept this long for its attach */
typedef struct hull_attach_opts {
  bool tty;                /* the container has a terminal: raw stream, resizes sent */
  bool stdin;              /* our stdin goes to the container (its end shuts our writing side) */
  bool sig_proxy;          /* signals we get go to the container */
  const char *detach_keys; /* Docker's syntax ("ctrl-p,ctrl-q", the default when NULL; "" none) */
} hull_attach_opts;
/* Copies the container's output to our stdout/stderr (and our stdin to it) until it ends,
 * then waits for its exit code (*exit_code); or until the detach keys are read from stdin
 * (*detached true, the container goes on). With tty and a terminal on stdin, the terminal
 * is in raw mode meanwhile. ENOENT/ECONNREFUSED: no monitor serves an attach socket. */
int hull_ctr_attach(hull_engine *e, hull_ctr *c, const hull_attach_opts *o, int *exit_code, bool *detached,
                    hull_err *err) HULL_WUR;
/* Parses Docker's --detach-keys ("ctrl-p,ctrl-q", "a,ctrl-@"): the bytes, *len of them. */
int hull_parse_detach_keys(const char *spec, unsigned char *keys, size_t max, size_t *len, hull_err *err) HULL_WUR;

/* Docker's inspect object. */
json_t *hull_ctr_inspect(hull_engine *e, hull_ctr *c, hull_err *err);

/* The container's root filesystem (mounted first if it is not, and left mounted until rm),
 * open as a directory: for cp. */
int hull_ctr_rootfs_open(hull_engine *e, const hull_ctr *c, hull_err *err) HULL_WUR;

/* Paths of the container's files (caller frees). */
char *hull_ctr_path(hull_engine *e, const char *id, const char *file);
char *hull_ctr_run_path(hull_engine *e, const char *id, const char *file);
/* Writes NAME (temporary file + rename, not synced) in the container's directory: the
 * monitor and the runtime never see half of it. */
int hull_ctr_write_file(hull_engine *e, const char *id, const char *name, const char *data, hull_err *err) HULL_WUR;
/* RFC 3339 with nanoseconds, UTC. */
void hull_time_rfc3339(int64_t ns, char *out, size_t len);
int64_t hull_now_ns(void);

/* The runtime library (include/hull/runtime.h) on <runroot>/runtime, called in-process:
 * no hull-runtime is executed per operation. Opened on first use; NULL with err. */
struct hull_rt *hull_engine_rt(hull_engine *e, hull_err *err);
/* runtime delete --force of the container's state, when the runtime has any. */
void hull_engine_rt_forget(hull_engine *e, const char *id);

/* The monitor (hull-monitor, next to hull): forked, outlives the CLI; it writes
 * "started <pid>\n" or "error <errno> <status> <message>\n" to status_fd. config_fd is
 * monitor.json's (a memfd), which the monitor gets as fd 4 (`hull-monitor
 * <dir>/monitor.json 4`: the path only names the container). */
int hull_monitor_spawn(hull_engine *e, hull_ctr *c, int config_fd, int *status_fd, hull_err *err) HULL_WUR;

/* Docker's random names ("admiring_turing"). */
void hull_random_name(char *out, size_t len);
/* A new container id: 64 hex digits from getrandom. */
int hull_new_id(char out[65], hull_err *err) HULL_WUR;

#endif
