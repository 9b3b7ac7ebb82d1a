/* hull-monitor: the per-container monitor (docs/design.md, "The monitor").
 *
 * One small process per container, started by the engine with its monitor.json and fd 3.
 * It creates and starts the container through the runtime library, holds the container's
 * stdio (pipes or the pty), writes the logs, serves attach.sock, reaps the container and
 * records how it ended, runs health checks, applies the restart policy, and tears down.
 * The pieces are split by job: config.c (monitor.json), logfile.c (json-file logs),
 * attach.c (the attach socket), health.c (health checks), rt.c (the runtime library) and
 * main.c (the event loop that ties them together). */
#ifndef HULL_MONITOR_H
#define HULL_MONITOR_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "../common/error.h"

enum mon_restart { MON_RESTART_NO, MON_RESTART_ON_FAILURE, MON_RESTART_ALWAYS, MON_RESTART_UNLESS_STOPPED };

struct mon_health_cfg {
  char **argv; /* the probe, NULL when there is no health check (or "NONE") */
  int64_t interval_ns, timeout_ns, start_period_ns;
  int retries;
};

struct mon_config {
  char *path; /* monitor.json's named path (argv[1]): restart.json lives next to it */
  char *id, *bundle, *runtime_root;
  bool systemd_cgroup;
  /* 1: the container has a pid namespace of its own, 0: it shares one, -1: not said (the
   * bundle's config.json tells then). */
  int private_pid_ns;
  char *log_path;
  int64_t log_max_size; /* bytes, 0: no rotation */
  int log_max_file;     /* files kept in all, >= 1 */
  char *attach_socket, *exit_file, *pid_file, *health_file;
  bool interactive, tty, stdin_once;
  int64_t attach_window_ms; /* output kept for the first attach client this long, 0: none */
  enum mon_restart restart;
  int max_retries; /* on-failure: 0 means no limit */
  int stop_signal;
  bool auto_remove;
  /* A foreground run's CLI (pid and start time, 0: none), which removes an auto_remove
   * container itself once it has its exit code: the monitor removes it only when that
   * CLI is gone (detached, or killed). */
  int64_t owner_pid, owner_start;
  /* A foreground `run --rm`: the engine that started us removes the container once it has
   * ended, which also unmounts and tears the network down. */
  bool engine_removes;
  pid_t engine_pid; /* that engine: the process that spawned us */
  struct mon_health_cfg health;
  char *unmount;       /* the rootfs, detached (umount2 MNT_DETACH) before the teardown; may be NULL */
  char ***teardown;    /* NULL-terminated array of argvs */
  char **remove_cmd;   /* NULL when absent */
  char *events_root;   /* the store whose events.jsonl gets die and oom; NULL: none */
  json_t *event_attrs; /* Actor.Attributes of those events (name, image), may be NULL */
};

/* main.c: our oom_score_adj is -1000 when we could set it; a process we start must not
 * inherit that. true: our original value (before a start, or in a forked helper), false:
 * back to -1000. */
void mon_oom_for_child(bool child);

/* config.c */
int mon_config_load(const char *path, struct mon_config *c, hull_err *err) HULL_WUR;
void mon_config_free(struct mon_config *c);
/* Re-reads the restart policy from restart.json next to monitor.json's named path, which
 * `hull update --restart` writes (no file: the policy stands); on an error the policy we
 * have is kept. */
int mon_config_reload_restart(struct mon_config *c, hull_err *err) HULL_WUR;
void mon_strv_free(char **v);

/* Wall-clock time as RFC 3339 with nanoseconds, UTC, trailing zeros of the fraction
 * trimmed as Go's time.RFC3339Nano does (Docker's log and inspect format). */
void mon_time_now(char *buf, size_t size);
int64_t mon_now_ms(void); /* CLOCK_MONOTONIC in milliseconds */

/* logfile.c: Docker's json-file driver. */
struct mon_log;
int mon_log_open(const char *path, int64_t max_size, int max_file, struct mon_log **out, hull_err *err) HULL_WUR;
/* Feeds bytes read from a stream (0 stdout, 1 stderr); complete lines are written out,
 * a partial one is kept until its newline, 16 KiB or mon_log_flush. */
void mon_log_feed(struct mon_log *l, int stream, const char *data, size_t len);
void mon_log_flush(struct mon_log *l, int stream);
void mon_log_close(struct mon_log *l);
/* One log line as JSON (exposed for the unit test): appends to buf, returns its length
 * or -1 when it does not fit. */
ssize_t mon_log_format(char *buf, size_t size, const char *line, size_t len, const char *stream, const char *time);

/* attach.c: the attach socket. */
struct mon_attach;
int mon_attach_listen(const char *path, struct mon_attach **out, hull_err *err) HULL_WUR;
void mon_attach_close(struct mon_attach *a);
/* The poll set: the listening socket, then every client. */
size_t mon_attach_fds(struct mon_attach *a, struct pollfd *pfd, size_t max);
/* Handles readiness of the fds mon_attach_fds filled in. Input from the client that owns
 * stdin is written to stdin_fd (resizes go to pty_fd); *stdin_eof is set when that client
 * ended its input. */
void mon_attach_handle(struct mon_attach *a, const struct pollfd *pfd, size_t n, int stdin_fd, int pty_fd,
                       bool *stdin_eof);
/* Sends container output to every client: framed (Docker's stdcopy) unless tty. */
void mon_attach_broadcast(struct mon_attach *a, int stream, const char *data, size_t len, bool tty);
/* How many clients are connected. */
size_t mon_attach_clients(const struct mon_attach *a);
/* Closes every client's connection (the container is gone for good). */
void mon_attach_hangup(struct mon_attach *a);

/* oom.c: cgroup v1's OOM kill notification (v2 kills the group itself). */
struct mon_oom;
/* Watches the memory cgroup of the process pid; *out NULL when it has no v1 one. */
int mon_oom_watch(pid_t pid, struct mon_oom **out, hull_err *err) HULL_WUR;
int mon_oom_fd(const struct mon_oom *o); /* -1 for NULL */
/* True when the OOM killer killed a process since the last call (the first call: since
 * the watch began or before); called after the watch begins and when mon_oom_fd polls
 * readable. */
bool mon_oom_kill_seen(struct mon_oom *o, bool notified);
void mon_oom_close(struct mon_oom *o);

/* health.c */
struct mon_health;
struct mon_rt;
int mon_health_new(const struct mon_config *c, struct mon_health **out, hull_err *err) HULL_WUR;
void mon_health_free(struct mon_health *h);
/* The container (re)started: status "starting", the first probe after one interval. */
void mon_health_container_started(struct mon_health *h, int64_t now_ms);
/* Milliseconds until the health check needs attention, -1 when never. */
int64_t mon_health_timeout(const struct mon_health *h, int64_t now_ms);
/* Starts a probe when one is due, kills one that overran its timeout. */
void mon_health_tick(struct mon_health *h, struct mon_rt *rt, int64_t now_ms);
/* The probe's output pipe, or -1. */
int mon_health_output_fd(const struct mon_health *h);
void mon_health_read_output(struct mon_health *h);
/* Offers a reaped child: true when it was the probe (its result is then recorded). */
bool mon_health_reaped(struct mon_health *h, pid_t pid, int status, int64_t now_ms);
/* The current state as health.json's object (a new reference, NULL without health check). */
json_t *mon_health_json(const struct mon_health *h);
/* The container stopped: abandons a running probe. */
void mon_health_container_stopped(struct mon_health *h);

/* rt.c: the runtime library, as the monitor uses it. */
struct mon_proc {
  pid_t pid;
  int pidfd;      /* -1 when it could not be had */
  int pty_master; /* -1 unless tty */
};
int mon_rt_open(const struct mon_config *c, struct mon_rt **out, hull_err *err) HULL_WUR;
void mon_rt_close(struct mon_rt *rt);
/* Creates and starts the container with stdio as its stdin/stdout/stderr (ignored with a
 * tty). The init is our child. On failure *exit_code is Docker's: 127 command not found,
 * 126 not executable, 125 anything else. */
int mon_rt_run(struct mon_rt *rt, const int stdio[3], struct mon_proc *out, int *exit_code, hull_err *err) HULL_WUR;
/* Runs argv in the running container with stdio (0: stdin, 1 and 2 output); *pid is a
 * child of ours whose exit status is the process's. */
int mon_rt_exec(struct mon_rt *rt, char **argv, const int stdio[3], pid_t *pid, hull_err *err) HULL_WUR;
int mon_rt_kill(struct mon_rt *rt, int sig, hull_err *err) HULL_WUR;
/* sig to every process of the container's cgroup. */
int mon_rt_kill_all(struct mon_rt *rt, int sig, hull_err *err) HULL_WUR;
/* After the init exited: whether the kernel OOM-killed something of the container. */
bool mon_rt_oom_killed(struct mon_rt *rt);
/* The main of `hull-monitor --probe ...` (mon_rt_exec's helper); returns the exit status. */
int mon_rt_probe_main(int argc, char **argv);
/* Re-executes the monitor from a sealed copy of itself unless the bundle's container gets
 * a new pid namespace (CVE-2019-5736); returns 0 when no re-execution is needed.
 * private_pid_ns as in struct mon_config. */
int mon_rt_protect(const char *bundle, int private_pid_ns, char **argv, hull_err *err) HULL_WUR;
/* Removes the stopped container's runtime state and cgroup. */
int mon_rt_delete(struct mon_rt *rt, hull_err *err) HULL_WUR;

#endif
