/* Internal: starting a process inside namespaces (the container's init and exec'd
 * processes share this machinery). Not part of the runtime's public API. */
#ifndef HULL_PROCESS_H
#define HULL_PROCESS_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../common/error.h"
#include "cgroup.h"
#include "seccomp.h"
#include "spec.h"

struct hull_init_ctx {
  const struct hull_spec *spec;
  const struct hull_process *process; /* spec->process for init, the exec process otherwise */
  int sync_fd;                        /* child's end of the sync socket */
  int ns_fds[HULL_NS_COUNT];          /* namespaces to join (-1: none) */
  int clone_flags;                    /* namespaces to create */
  bool is_exec;                       /* joining a running container */
  bool two_stage;                     /* stage 1 joins/unshares and forks the real init */
  bool joins_pid;                     /* joins an existing pid namespace (exec, or a path): two_stage */
  bool bounding_done;                 /* the parent dropped process.capabilities.bounding before clone */
  bool wait_fifo;                     /* create: block on exec.fifo until start */
  int fifo_fd;                        /* O_PATH fd of exec.fifo, or -1 */
  bool no_pivot, no_new_keyring;
  int preserve_fds;
  hull_seccomp *seccomp;
  bool setgroups_allowed;
  /* The systemd driver: the parent starts the scope and moves the init into its cgroup
   * while the init sets up its mounts; the init waits for HULL_SYNC_CGROUP before
   * anything that depends on it (cgroup namespace, hooks, the container's code). */
  bool cgroup_pending;
  int cgroup_stage;             /* last HULL_SYNC_CGROUP value received: 1 created, 2 entered */
  const struct hull_cgroup *cg; /* the container's cgroup */
  /* cgroupfs: the cgroup files the child enters through itself at cgroup stage 2 (the
   * parent's copies are closed after the clone), or NULL. */
  struct hull_cgroup_birth *birth;
  const struct hull_cpu_split *split; /* the parent's CPU split, undone by the child at cgroup stage 1 */
  int trampoline_fd;                  /* sealed hull-exec (selfexe.h) to execute the process through, or -1 */
  /* A user namespace's init: opened on the host side before it is entered
   * (hull_rootfs_open_host_side), or NULL and "". */
  int *tree_fds;
  char root_name[256];
  /* exec into a container without a mount namespace of its own: its init's root (an
   * O_PATH fd of /proc/PID/root) to chroot into, or -1. */
  int root_fd;
  /* The process's stdin, stdout and stderr when it has no terminal (-1: inherited). */
  int stdio[3];
};

/* While the parent starts a systemd scope, the child sets up its mounts: on two CPUs they
 * run at once only if they are on different ones, and the kernel places a forked child
 * next to its parent (some hosts pack tasks on purpose). Right after clone, before the
 * child leaves its first wait, the parent moves it to the CPUs other than its own (cheap:
 * the child is not running); the child restores the mask it inherited when the parent
 * reports cgroup stage 1 (a wake-up before that would put it back next to the busy
 * parent), so the container's process never sees a changed mask. */
struct hull_cpu_split {
  cpu_set_t saved;
  bool active;
};
/* The CPUs in `allowed` other than the one we run on; false when there are none (or
 * ours is unknown). Used to put the child, and the network namespace thread, apart. */
bool hull_cpus_but_current(const cpu_set_t *allowed, cpu_set_t *others);
void hull_cpu_split_begin(struct hull_cpu_split *s);                  /* parent, before clone */
void hull_cpu_split_child(const struct hull_cpu_split *s, pid_t pid); /* parent, after clone */
void hull_cpu_split_end(const struct hull_cpu_split *s);              /* child: restore the mask */

/* Runs in the child after clone; never returns (execve or _exit). */
__attribute__((noreturn)) void hull_init_child(struct hull_init_ctx *ctx);

/* Forks a child like fork(2) but with clone flags, entering cgroup_fd (v2) when >= 0;
 * the caller becomes non-dumpable first, so the child is from its first instruction. */
pid_t hull_clone(unsigned long flags, int cgroup_fd, hull_err *err) HULL_WUR;

/* Looks up args[0] in PATH (from env) inside the current root, like execvp. */
int hull_find_executable(const char *name, char **env, char **out, hull_err *err) HULL_WUR;

#endif
