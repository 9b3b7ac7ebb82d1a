/* exec: a new process inside a running container's namespaces and cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cgroup.h"
#include "container.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "procfs.h"
#include "selfexe.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"

/* The process's sync messages until it execs (EOF): its pid when a first stage reports
 * one (stage1 > 0; stage1 is reaped then), its pty master, or an error from its setup. */
static int exec_wait(int sock, pid_t stage1, pid_t *pid, int *master, hull_err *err) {
  struct hull_sync_msg msg;
  for (;;) {
    hull_err eof = NULL;
    if (hull_sync_recv(sock, &msg, &eof) < 0) {
      hull_error_release(&eof); /* EOF: the process exec'd */
      break;
    }
    if (msg.type == HULL_SYNC_PID && stage1 > 0) {
      *pid = msg.value;
      waitpid(stage1, NULL, 0);
      stage1 = -1;
    }
    if (msg.type == HULL_SYNC_ERROR) {
      hull_error_from_msg(err, msg.value, 0, msg.payload);
      hull_sync_msg_clear(&msg);
      waitpid(stage1 > 0 ? stage1 : *pid, NULL, 0);
      return -1;
    }
    if (msg.type == HULL_SYNC_PTY) {
      if (*master >= 0)
        close(*master);
      *master = take_fd(&msg.fd);
    }
    hull_sync_msg_clear(&msg);
  }
  if (stage1 > 0) {
    waitpid(stage1, NULL, 0);
    return hull_error(err, ECHILD, "exec: the process was not started");
  }
  return 0;
}

/* What exec holds while it sets up: released by exec_ctx_clear on every path. */
struct exec_ctx {
  struct hull_state *st;
  struct hull_spec *spec;
  hull_cgroup *cg;
  struct hull_process proc;
  struct hull_init_ctx ic;
  int pidfd; /* the container's init */
  int sock;  /* our end of the sync socket */
};

static void exec_ctx_clear(struct exec_ctx *x) {
  if (x->pidfd >= 0)
    close(x->pidfd);
  if (x->sock >= 0)
    close(x->sock);
  if (x->ic.sync_fd >= 0)
    close(x->ic.sync_fd);
  for (int t = 0; t < HULL_NS_COUNT; t++)
    if (x->ic.ns_fds[t] >= 0)
      close(x->ic.ns_fds[t]);
  if (x->ic.root_fd >= 0)
    close(x->ic.root_fd);
  /* The verified procfs handle was for the child: the caller's fds are left as they were. */
  hull_procfs_close();
  hull_seccomp_free(x->ic.seccomp);
  hull_process_clear(&x->proc);
  hull_cgroup_free(x->cg);
  hull_spec_free(x->spec);
  hull_state_free(x->st);
}

/* Loads the container and checks that it can take a process. */
static int exec_load(const struct hull_runtime *rt, const char *id, const struct hull_exec_params *p,
                     struct exec_ctx *x, hull_err *err) {
  if (hull_id_validate(id, err) < 0 || hull_state_load(rt->root, id, &x->st, err) < 0)
    return -1;
  enum hull_status status = hull_state_status_pidfd(rt->root, x->st, &x->pidfd);
  /* runc's text. With --ignore-paused the process is put into the frozen cgroup like any
   * other and the exec waits, as runc's does, until the container is resumed. */
  if (status == HULL_PAUSED && !p->ignore_paused)
    return hull_error(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
  if (status != HULL_RUNNING && status != HULL_CREATED && status != HULL_PAUSED)
    return hull_error(err, 0, "cannot exec in a stopped container");
  char path[PATH_MAX];
  if (hull_state_config_path(path, sizeof(path), rt->root, x->st) < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", id);
  /* The copy taken at create (or the bundle's own, config_in_bundle); root.path stays
   * relative to the bundle. */
  size_t len;
  cleanup_free char *text = hull_read_file(path, &len, err);
  if (text == NULL || hull_spec_parse(text, len, x->st->bundle, &x->spec, err) < 0)
    return -1;
  if (p->process == NULL)
    return hull_error(err, EINVAL, "exec in container %s: no process", id);
  if (hull_process_parse((json_t *)p->process, "process", &x->proc, err) < 0 ||
      hull_lsm_check_process(&x->proc, err) < 0)
    return -1;
  if (x->st->cgroup && hull_cgroup_from_json(x->st->cgroup, &x->cg, err) < 0)
    return -1;
  if (x->cg == NULL && p->sub_cgroups && p->sub_cgroups[0])
    return hull_error(err, 0, "--cgroup %s: the container has no cgroup", p->sub_cgroups[0]);
  return 0;
}

/* Opens what the process joins: the init's namespaces and, without a mount namespace of
 * its own, its root. */
static int exec_open_ns(struct exec_ctx *x, hull_err *err) {
  const struct hull_spec *spec = x->spec;
  pid_t init = x->st->pid;
  for (int t = 0; t < HULL_NS_COUNT; t++) {
    if (!spec->ns_present[t])
      continue;
    char ns[64];
    snprintf(ns, sizeof(ns), "/proc/%d/ns/%s", (int)init, hull_ns_proc_name(t));
    x->ic.ns_fds[t] = hull_ns_open(ns, t, err);
    if (x->ic.ns_fds[t] < 0)
      return -1;
  }
  /* Without a mount namespace of its own the init was chrooted (rootfs.c): so is this
   * process, into the same root, or it would run in the runtime's. */
  if (!spec->ns_present[HULL_NS_MOUNT] || spec->namespaces[HULL_NS_MOUNT].path != NULL) {
    char root[64];
    snprintf(root, sizeof(root), "/proc/%d/root", (int)init);
    x->ic.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (x->ic.root_fd < 0)
      return hull_error_sys(err, "exec: open the container's root %s", root);
  }
  /* Re-check after opening: the pidfd held the init we validated, and while it is alive
   * its pid is not reused, so the /proc/PID/ns files opened were its own. */
  if (syscall(SYS_pidfd_send_signal, x->pidfd, 0, NULL, 0) < 0)
    return hull_error(err, 0, "cannot exec in a stopped container");
  return 0;
}

/* Clones the process (or its first stage), puts it in the cgroup and lets it go. */
static int exec_spawn(const struct hull_exec_params *p, struct exec_ctx *x, pid_t *pid, hull_err *err) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return hull_error_sys(err, "socketpair");
  x->sock = fds[0];
  x->ic.sync_fd = fcntl(fds[1], F_DUPFD_CLOEXEC, 3 + p->preserve_fds);
  close(fds[1]);
  if (x->ic.sync_fd < 0)
    return hull_error_sys(err, "exec: sync socket");
  /* The child reaches procfs only through this handle, opened here on the host. */
  if (hull_procfs_init(3 + p->preserve_fds, err) < 0)
    return -1;
  /* As the init (hull_cgroup_birth_open), the process enters the cgroup itself, without
   * the grace period of a move by pid; not when it then goes into sub-cgroups: its own
   * write, after ours, would take it back out of them. birth.n is 0 for the systemd
   * driver, which gets only the v2 directory. */
  struct hull_cgroup_birth birth = {.v2fd = -1, .n = 0};
  bool by_birth = x->cg && !(p->sub_cgroups && p->sub_cgroups[0]);
  if (by_birth && hull_cgroup_birth_open(x->cg, &birth, false, err) < 0)
    return -1;
  x->ic.cg = x->cg;
  x->ic.birth = by_birth ? &birth : NULL;
  int cgfd = by_birth ? birth.v2fd : x->cg ? hull_cgroup_v2_dirfd(x->cg) : -1;
  *pid = hull_clone(0, cgfd, err);
  if (*pid == 0)
    hull_init_child(&x->ic);
  if (by_birth)
    hull_cgroup_birth_close(&birth);
  x->ic.birth = NULL;
  if (*pid < 0)
    return -1;
  close(take_fd(&x->ic.sync_fd));
  if ((x->cg && ((cgfd < 0 && birth.n == 0 && hull_cgroup_enter(x->cg, *pid, err) < 0) ||
                 (p->sub_cgroups && hull_cgroup_enter_sub(x->cg, *pid, (char **)p->sub_cgroups, err) < 0))) ||
      hull_sync_send(x->sock, HULL_SYNC_GO, 0, NULL, -1, err) < 0) {
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    return -1;
  }
  return 0;
}

int hull_container_exec(const struct hull_runtime *rt, const char *id, const struct hull_exec_params *p,
                        struct hull_proc *out, hull_err *err) {
  char cache_dir[PATH_MAX];
  struct exec_ctx x = {.pidfd = -1, .sock = -1};
  x.ic = (struct hull_init_ctx){.is_exec = true,
                                .fifo_fd = -1,
                                .sync_fd = -1,
                                .preserve_fds = p->preserve_fds,
                                .setgroups_allowed = true,
                                .trampoline_fd = -1,
                                .root_fd = -1,
                                .stdio = {p->stdio[0], p->stdio[1], p->stdio[2]}};
  for (int t = 0; t < HULL_NS_COUNT; t++)
    x.ic.ns_fds[t] = -1;
  *out = (struct hull_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  pid_t pid = -1;
  int master = -1;
  int rc = -1;
  if (exec_load(rt, id, p, &x, err) == 0 && hull_selfexe_check(err) == 0 &&
      hull_seccomp_compile_cached(x.spec->seccomp, hull_seccomp_cache_dir(rt->root, cache_dir, sizeof(cache_dir)),
                                  &x.ic.seccomp, err) == 0 &&
      hull_seccomp_check_runtime(x.ic.seccomp, !x.proc.no_new_privileges, err) == 0 &&
      (!x.spec->ns_present[HULL_NS_PID] || hull_seccomp_check_joining(x.ic.seccomp, x.proc.terminal, err) == 0) &&
      exec_open_ns(&x, err) == 0) {
    x.ic.spec = x.spec;
    x.ic.process = &x.proc;
    /* A first stage that the container cannot see joins everything and does every
     * privileged step, then forks the process that runs, born inside every namespace with
     * its final credentials (setup_unseen, init.c; CVE-2016-9962). A time namespace,
     * which applies only to children, is joined by a first stage too: the caller's
     * process is never moved into one. */
    x.ic.joins_pid = x.ic.ns_fds[HULL_NS_PID] >= 0;
    x.ic.two_stage = x.ic.joins_pid || x.ic.ns_fds[HULL_NS_TIME] >= 0;
    if (exec_spawn(p, &x, &pid, err) == 0)
      rc = exec_wait(x.sock, x.ic.two_stage ? pid : -1, &pid, &master, err);
  }
  if (rc == 0) {
    *out = (struct hull_proc){.pid = pid, .pidfd = (int)syscall(SYS_pidfd_open, pid, 0), .pty_master = master};
  } else if (master >= 0) {
    close(master);
  }
  exec_ctx_clear(&x);
  return rc;
}
