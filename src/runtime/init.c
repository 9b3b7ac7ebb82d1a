/* The container's child, from clone to execve, in the order the runtime-spec and
 * the kernel need. Every error is forwarded to the parent over the sync socket. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "hooks.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "procfs.h"
#include "rootfs.h"
#include "security.h"
#include "sync.h"
#include "terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t hull_clone(unsigned long flags, int cgroup_fd, hull_err *err) {
  pid_t pid;
  /* The child is non-dumpable from its first instruction: it inherits this from us, and
   * processes of the container must never catch it dumpable (CVE-2016-9962). Ours is
   * restored right after: the flag belongs to each process's own memory map, and the
   * library must leave its caller as it was. */
  int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (cgroup_fd >= 0 || (flags & CLONE_NEWTIME)) {
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.flags = flags | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.exit_signal = SIGCHLD;
    args.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0;
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
  } else {
    /* With a NULL stack the raw clone behaves like fork: the child returns 0 on a
     * copy of our stack. */
    pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  }
  if (pid != 0 && dumpable > 0) {
    int saved = errno;
    prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    errno = saved;
  }
  if (pid < 0)
    return hull_error_sys(err, "clone the container process");
  return pid;
}

void hull_cpu_split_begin(struct hull_cpu_split *s) {
  s->active = sched_getaffinity(0, sizeof(s->saved), &s->saved) == 0 && CPU_COUNT(&s->saved) > 1;
}

bool hull_cpus_but_current(const cpu_set_t *allowed, cpu_set_t *others) {
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, allowed) || CPU_COUNT(allowed) < 2)
    return false;
  *others = *allowed;
  CPU_CLR(cpu, others);
  return true;
}

void hull_cpu_split_child(const struct hull_cpu_split *s, pid_t pid) {
  cpu_set_t others;
  /* A failure only costs the overlap. */
  if (s->active && hull_cpus_but_current(&s->saved, &others))
    (void)sched_setaffinity(pid, sizeof(others), &others);
}

void hull_cpu_split_end(const struct hull_cpu_split *s) {
  if (s->active)
    (void)sched_setaffinity(0, sizeof(s->saved), &s->saved);
}

int hull_find_executable(const char *name, char **env, char **out, hull_err *err) {
  struct stat st;
  if (strchr(name, '/') != NULL) {
    if (stat(name, &st) < 0)
      return hull_error_sys(err, "exec %s", name);
    if (S_ISDIR(st.st_mode) || access(name, X_OK) < 0)
      return hull_error(err, EACCES, "exec %s", name);
    *out = strdup(name);
    return *out ? 0 : hull_error(err, ENOMEM, "exec %s", name);
  }
  const char *path = hull_strv_env_get(env, "PATH");
  if (path == NULL)
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  char buf[PATH_MAX];
  for (const char *p = path; p && *p;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? p : ".", name) < (int)sizeof(buf) &&
        stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) {
      *out = strdup(buf);
      return *out ? 0 : hull_error(err, ENOMEM, "exec %s", buf);
    }
    p = colon ? colon + 1 : NULL;
  }
  return hull_error(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

/* The state JSON the parent sent, with another status (for startContainer hooks). */
static int set_state_status(char **state_json, const char *status, hull_err *err) {
  if (*state_json == NULL)
    return 0;
  cleanup_json json_t *j = json_loads(*state_json, 0, NULL);
  char *s = NULL;
  if (j == NULL || json_object_set_new(j, "status", json_string(status)) < 0 ||
      (s = json_dumps(j, JSON_COMPACT)) == NULL)
    return hull_error(err, ENOMEM, "state with status %s", status);
  free(*state_json);
  *state_json = s;
  return 0;
}

/* The capability bounding set limits only what an execve can give, and the init needs
 * none of what it drops for its own setup. Each drop is a credential change of a few
 * microseconds and there are 30 or so: a one-stage init about to wait for the parent's
 * cgroup work (v1: ~10 ms) makes them now, off the critical path, unless a hook that the
 * init itself executes (createContainer, startContainer) must still get the runtime's
 * set. (A first stage may not: a user namespace it makes starts with a full set. The
 * parent once made the drops before clone, which changed the library's caller.) */
static int early_bounding(struct hull_init_ctx *ctx, hull_err *err) {
  static const char *const init_hooks[] = {"createContainer", "startContainer", NULL};
  if (ctx->is_exec || ctx->two_stage || ctx->bounding_done || hull_hooks_any(ctx->spec->hooks, init_hooks))
    return 0;
  if (hull_apply_bounding(ctx->process, err) < 0)
    return -1;
  ctx->bounding_done = true;
  return 0;
}

/* Waits until the parent reports the cgroup at least at `stage` (1: its directories
 * exist, 2: we are in it). */
static int await_cgroup_stage(struct hull_init_ctx *ctx, int stage, hull_err *err) {
  /* cgroupfs: we enter ourselves, through the files the parent opened
   * (hull_cgroup_birth_open). A v1 `tasks` write of "0" moves only the calling thread,
   * and we are the only one (a clone without CLONE_THREAD; the init starts no threads).
   * As late as the parent's entering was: what the setup touches before (the mounts) is
   * charged where the runtime runs, not to the container's memory limit. */
  if (ctx->cgroup_pending && ctx->cgroup_stage < stage && early_bounding(ctx, err) < 0)
    return -1;
  while (ctx->cgroup_pending && ctx->cgroup_stage < stage) {
    struct hull_sync_msg msg;
    if (hull_sync_recv(ctx->sync_fd, &msg, err) < 0)
      return -1;
    if (msg.type == HULL_SYNC_CGROUP_TASKS && ctx->birth != NULL && msg.fd >= 0 && msg.value >= 0 &&
        msg.value < HULL_CGROUP_MAX_HIER && ctx->birth->tasks[msg.value] < 0) {
      /* The v1 hierarchies made while we mounted (hull_cgroup_v1_late_p): entered below. */
      ctx->birth->tasks[msg.value] = take_fd(&msg.fd);
      if ((size_t)msg.value >= ctx->birth->n)
        ctx->birth->n = (size_t)msg.value + 1;
      hull_sync_msg_clear(&msg);
      continue;
    }
    if (msg.type != HULL_SYNC_CGROUP) {
      hull_sync_msg_clear(&msg);
      return hull_error(err, EPROTO, "sync: expected a cgroup message, got %u", msg.type);
    }
    ctx->cgroup_stage = msg.value;
    hull_sync_msg_clear(&msg);
    /* Pinned away from the parent's CPU until now: a wake-up (this one) would otherwise
     * put us next to the parent, this host's scheduler packs tasks, and we would wait
     * for its cgroup work to finish. From stage 1 on the parent has little left to do
     * (and its cpuset write sets our mask anyway). */
    if (ctx->split) {
      hull_cpu_split_end(ctx->split);
      ctx->split = NULL;
    }
  }
  if (stage >= 2 && ctx->cgroup_pending) {
    ctx->cgroup_pending = false;
    hull_debug("init: in the cgroup");
  }
  if (stage >= 2 && ctx->birth != NULL) {
    struct hull_cgroup_birth *b = ctx->birth;
    ctx->birth = NULL;
    if (hull_cgroup_birth_enter(ctx->cg, b, err) < 0)
      return -1;
    hull_debug("init: in the cgroup");
  }
  return 0;
}

static int await_cgroup(struct hull_init_ctx *ctx, hull_err *err) { return await_cgroup_stage(ctx, 2, err); }

/* Before a cgroup mount: its directories must exist (a bind), or, with a cgroup
 * namespace or no known cgroup, we must be in it. */
static int await_cgroup_cb(void *arg, hull_err *err) {
  struct hull_init_ctx *ctx = arg;
  return await_cgroup_stage(ctx, ctx->cg != NULL ? 1 : 2, err);
}

/* exec into a container chrooted in a mount namespace not its own: the same root. */
static int enter_root(struct hull_init_ctx *ctx, hull_err *err) {
  if (ctx->root_fd < 0)
    return 0;
  if (fchdir(ctx->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
    return hull_error_sys(err, "exec: enter the container's root");
  close(ctx->root_fd);
  ctx->root_fd = -1;
  return 0;
}

static int join_namespaces(struct hull_init_ctx *ctx, bool user_only, hull_err *err) {
  /* The user namespace first (it owns the others), the mount namespace last (it
   * changes our root). pid and time are joined by the parent before clone. */
  static const enum hull_ns_type order[] = {HULL_NS_USER, HULL_NS_IPC,    HULL_NS_UTS,
                                            HULL_NS_NET,  HULL_NS_CGROUP, HULL_NS_MOUNT};
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    enum hull_ns_type t = order[i];
    if (ctx->ns_fds[t] < 0 || (user_only && t != HULL_NS_USER) || (!user_only && t == HULL_NS_USER))
      continue;
    if (setns(ctx->ns_fds[t], hull_ns_clone_flag(t)) < 0)
      return hull_error_sys(err, "join %s namespace", hull_ns_spec_name(t));
    close(ctx->ns_fds[t]);
    ctx->ns_fds[t] = -1;
  }
  return 0;
}

/* Before joining a user namespace by path: the namespaces it does not own (a network
 * namespace the engine made before the container, owned by the host's user namespace) are
 * joined now, while we are privileged over them; inside the joined user namespace setns
 * into them fails with EPERM (exec into a container with --userns). */
static int join_foreign_namespaces(struct hull_init_ctx *ctx, hull_err *err) {
  static const enum hull_ns_type order[] = {HULL_NS_IPC, HULL_NS_UTS, HULL_NS_NET, HULL_NS_CGROUP, HULL_NS_MOUNT};
  struct stat user;
  if (ctx->ns_fds[HULL_NS_USER] < 0 || fstat(ctx->ns_fds[HULL_NS_USER], &user) < 0)
    return 0;
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
    enum hull_ns_type t = order[i];
    if (ctx->ns_fds[t] < 0)
      continue;
    int owner = ioctl(ctx->ns_fds[t], NS_GET_USERNS);
    struct stat st;
    bool foreign = owner >= 0 && fstat(owner, &st) == 0 && (st.st_ino != user.st_ino || st.st_dev != user.st_dev);
    if (owner >= 0)
      close(owner);
    if (!foreign)
      continue;
    if (setns(ctx->ns_fds[t], hull_ns_clone_flag(t)) < 0)
      return hull_error_sys(err, "join %s namespace", hull_ns_spec_name(t));
    close(ctx->ns_fds[t]);
    ctx->ns_fds[t] = -1;
  }
  return 0;
}

/* A user namespace's root is an unprivileged user on the host, who may not traverse the
 * directories above the bundle (mktemp, containers/storage and containerd make them 0700):
 * reach the rootfs and the bind sources now, as host root (crun does too). Only into a
 * mount namespace we create: joining one by path resets the cwd. */
static int open_host_side(struct hull_init_ctx *ctx, hull_err *err) {
  const struct hull_spec *s = ctx->spec;
  if (ctx->is_exec || !(ctx->clone_flags & CLONE_NEWNS))
    return 0;
  /* The parent may have cloned idmapped ones already (container.c): those stay. */
  if (ctx->tree_fds == NULL) {
    ctx->tree_fds = malloc((s->n_mounts + 1) * sizeof(int));
    if (ctx->tree_fds == NULL)
      return hull_error(err, ENOMEM, "mounts");
    for (size_t i = 0; i < s->n_mounts; i++)
      ctx->tree_fds[i] = -1;
  }
  return hull_rootfs_open_host_side(s, ctx->tree_fds, ctx->root_name, sizeof(ctx->root_name), err);
}

/* Stage 1 of a container with a user namespace or an existing pid namespace (and of
 * every exec): join, create the user namespace, have the parent write the id maps,
 * become root in it and create the rest. The pid (and time) namespace is joined here
 * only when the container's own is new; one that is joined waits for the end of the
 * setup (setup_unseen). */
static int stage1_namespaces(struct hull_init_ctx *ctx, hull_err *err) {
  struct hull_sync_msg msg;
  bool joined_user = ctx->ns_fds[HULL_NS_USER] >= 0;
  bool to_userns = joined_user || (ctx->clone_flags & CLONE_NEWUSER);
  if (await_cgroup(ctx, err) < 0 || (to_userns && open_host_side(ctx, err) < 0) ||
      (joined_user && join_foreign_namespaces(ctx, err) < 0) || join_namespaces(ctx, true, err) < 0 ||
      join_namespaces(ctx, false, err) < 0 || enter_root(ctx, err) < 0 ||
      (!ctx->joins_pid && hull_ns_join_for_children(ctx->ns_fds, ctx->spec, err) < 0))
    return -1;
  if (ctx->clone_flags & CLONE_NEWUSER) {
    if (unshare(CLONE_NEWUSER) < 0)
      return hull_error_sys(err, "create user namespace");
    /* The parent writes /proc/PID/uid_map: make ourselves dumpable for it. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (hull_sync_send(ctx->sync_fd, HULL_SYNC_USERMAP, 0, NULL, -1, err) < 0 ||
        hull_sync_expect(ctx->sync_fd, HULL_SYNC_GO, &msg, err) < 0)
      return -1;
    hull_sync_msg_clear(&msg);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }
  if (joined_user || (ctx->clone_flags & CLONE_NEWUSER)) {
    if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
      return hull_error_sys(err, "become root in the user namespace (is 0 mapped?)");
  }
  int rest = ctx->clone_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);
  if (rest && unshare(rest) < 0)
    return hull_error_sys(err, "create namespaces");
  /* Offsets can be set only before a process enters the namespace: the one just made
   * for our children, before the second stage is forked into it. */
  if ((rest & CLONE_NEWTIME) && hull_ns_write_time_offsets(ctx->spec->time_offsets, err) < 0)
    return -1;
  return 0;
}

/* Forks the second stage as a sibling (CLONE_PARENT), so that the runtime stays its
 * parent, reports its pid and exits; returns only in the second stage. Both stages write
 * to the same sync socket: the second waits on a gate until the first has sent its pid
 * (the gate's write end closes when the first stage exits), else its first message could
 * reach the runtime before the pid, which then waited for pid 0. */
static int fork_stage2(struct hull_init_ctx *ctx, hull_err *err) {
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  pid_t pid = hull_clone(CLONE_PARENT, -1, err);
  if (pid < 0) {
    close(gate[0]);
    close(gate[1]);
    return -1;
  }
  if (pid == 0) {
    char c;
    close(gate[1]);
    while (read(gate[0], &c, 1) < 0 && errno == EINTR)
      ;
    close(gate[0]);
    return 0;
  }
  close(gate[0]);
  int r = hull_sync_send(ctx->sync_fd, HULL_SYNC_PID, pid, NULL, -1, err);
  close(gate[1]);
  if (r < 0)
    return -1;
  _exit(0);
}

static int join_session_keyring(struct hull_init_ctx *ctx, hull_err *err) {
  if (ctx->no_new_keyring || ctx->is_exec)
    return 0;
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "_ses.hull") < 0 && errno != ENOSYS && errno != EACCES &&
      errno != EPERM)
    return hull_error_sys(err, "create session keyring");
  return 0;
}

static int setup_container_fs(struct hull_init_ctx *ctx, char **state_json, hull_err *err) {
  const struct hull_spec *s = ctx->spec;
  struct hull_rootfs_opts ro = {
      .no_pivot = ctx->no_pivot,
      .in_userns = s->ns_present[HULL_NS_USER],
      .new_netns = s->ns_present[HULL_NS_NET] && !s->namespaces[HULL_NS_NET].path,
      .new_cgroupns = s->ns_present[HULL_NS_CGROUP] && !s->namespaces[HULL_NS_CGROUP].path,
      .before_cgroup_mount = await_cgroup_cb,
      .arg = ctx,
      .cg = ctx->cg,
      /* Still open: a joined pid namespace is entered at the end (setup_unseen). */
      .proc_pidns = ctx->joins_pid ? &ctx->ns_fds[HULL_NS_PID] : NULL,
      .root = ctx->root_name[0] ? ctx->root_name : NULL,
      .tree_fds = ctx->tree_fds,
  };
  /* Without a mount namespace in linux.namespaces the runtime's is inherited (the spec's
   * MUST), and one given by path is joined: the rootfs is set up there too, as in runc
   * (create records the rootfs bind and delete detaches it with everything on it). */
  ro.shared_mntns = !s->ns_present[HULL_NS_MOUNT] || s->namespaces[HULL_NS_MOUNT].path != NULL;
  int rc = hull_rootfs_prepare(s, &ro, err);
  for (size_t i = 0; ctx->tree_fds && i < s->n_mounts; i++)
    if (ctx->tree_fds[i] >= 0)
      close(ctx->tree_fds[i]);
  free(ctx->tree_fds);
  ctx->tree_fds = NULL;
  if (rc < 0)
    return -1;
  hull_debug("init: mounts done");
  if (ro.new_netns && hull_ns_loopback_up(err) < 0)
    return -1;
  if (s->ns_present[HULL_NS_UTS] && !s->namespaces[HULL_NS_UTS].path) {
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
      return hull_error_sys(err, "sethostname %s", s->hostname);
    if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
      return hull_error_sys(err, "setdomainname %s", s->domainname);
  }
  if (await_cgroup(ctx, err) < 0)
    return -1;
  /* prestart and createRuntime hooks run in the runtime's namespaces, now; the parent
   * answers with the state JSON that those and ours get. Without hooks that need it,
   * there is nothing to wait for. */
  static const char *const state_hooks[] = {"prestart", "createRuntime", "createContainer", "startContainer", NULL};
  if (hull_hooks_any(s->hooks, state_hooks)) {
    struct hull_sync_msg msg;
    if (hull_sync_send(ctx->sync_fd, HULL_SYNC_HOOKS, 0, NULL, -1, err) < 0 ||
        hull_sync_expect(ctx->sync_fd, HULL_SYNC_STATE, &msg, err) < 0)
      return -1;
    *state_json = msg.payload;
    msg.payload = NULL;
    hull_sync_msg_clear(&msg);
    if (hull_hooks_run(s->hooks, "createContainer", *state_json, err) < 0)
      return -1;
  }
  return hull_rootfs_pivot(s, &ro, err);
}

/* Opens the pty (binds it on /dev/console with console) and sends the master to the
 * parent; the slave becomes our controlling terminal, or with slave_out, that of the
 * process forked next (which must call setsid itself). */
static int setup_terminal(struct hull_init_ctx *ctx, bool console, int *slave_out, hull_err *err) {
  const struct hull_process *p = ctx->process;
  if (!p->terminal)
    return 0;
  cleanup_close int master = -1, slave = -1;
  if (hull_pty_open(&master, &slave, p->console_height, p->console_width, err) < 0)
    return -1;
  if (console && hull_rootfs_setup_console(slave, err) < 0)
    return -1;
  if (hull_sync_send(ctx->sync_fd, HULL_SYNC_PTY, 0, NULL, master, err) < 0)
    return -1;
  if (slave_out != NULL) {
    *slave_out = take_fd(&slave);
    return 0;
  }
  return hull_pty_make_controlling(slave, err);
}

/* Loads the filter. With SCMP_ACT_NOTIFY the kernel gives a listener fd: it goes to the
 * parent, which hands it to linux.seccomp.listenerPath with the container's state (the
 * profile cannot notify the sendmsg and write this needs: seccomp.c). An exec'd process
 * has no such path (the load then fails naming it). */
static int load_seccomp(struct hull_init_ctx *ctx, hull_err *err) {
  int listener = -1;
  if (ctx->seccomp == NULL)
    return 0;
  if (hull_seccomp_load(ctx->seccomp, ctx->is_exec ? NULL : &listener, err) < 0)
    return -1;
  if (listener < 0)
    return 0;
  int rc = hull_sync_send(ctx->sync_fd, HULL_SYNC_SECCOMP, 0, NULL, listener, err);
  close(listener);
  return rc;
}

static int find_executable(struct hull_init_ctx *ctx, char **exe, hull_err *err) {
  if (hull_find_executable(ctx->process->args[0], ctx->process->env, exe, err) < 0) {
    (*err)->status = 127;
    return -1;
  }
  return 0;
}

/* Everything of process but the terminal, from oomScoreAdj to no_new_privs; with exe,
 * also looks the executable up (else the caller does). */
static int apply_process(struct hull_init_ctx *ctx, char **exe, hull_err *err) {
  const struct hull_process *p = ctx->process;
  if (hull_apply_oom_score_adj(p, err) < 0 || hull_lsm_apply(p, !ctx->no_new_keyring && !ctx->is_exec, err) < 0 ||
      join_session_keyring(ctx, err) < 0 || hull_apply_rlimits(p, err) < 0)
    return -1;
  if (chdir(p->cwd) < 0)
    return hull_error_sys(err, "process.cwd %s", p->cwd);
  /* A cwd reached through a leaked host fd (/proc/self/fd/N, CVE-2024-21626) lies
   * outside our root: the kernel then reports it as "(unreachable)". */
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
    return hull_error(err, EPERM, "process.cwd %s: resolves outside the container's root", p->cwd);
  if (exe != NULL && find_executable(ctx, exe, err) < 0)
    return -1;
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: do it while we still
   * have it, after the umask and the bounding set (calls the filter then need not
   * allow), and before the user and capabilities (the profile must allow those few
   * syscalls, as Docker's does: hull_seccomp_check_runtime). */
  umask(p->umask >= 0 ? (mode_t)p->umask : 022);
  if (!ctx->bounding_done && hull_apply_bounding(p, err) < 0)
    return -1;
  if (!p->no_new_privileges && load_seccomp(ctx, err) < 0)
    return -1;
  if (hull_apply_user(p, ctx->setgroups_allowed, err) < 0 || hull_apply_caps(p, err) < 0 ||
      hull_apply_no_new_privs(p, err) < 0)
    return -1;
  return 0;
}

/* From here on processes of the container may see us (/proc/PID): nothing of the host
 * may stay reachable through our fds. procfs becomes a private instance of the
 * container's pid namespace, and the log file is closed (later messages are dropped:
 * stderr is the container's). */
static int become_visible(hull_err *err) {
  if (hull_procfs_private(err) < 0)
    return -1;
  hull_log_detach();
  return 0;
}

/* With its final credentials, and under the filter, the process must be able to reopen
 * exec.fifo for writing (the parent gave it to process.user): found out before we report
 * ready, the failure is `create`'s, never a stopped container after `create` succeeded.
 * Without a reader the non-blocking open fails with ENXIO once permission and filter have
 * let it through. */
static int probe_fifo(struct hull_init_ctx *ctx, int fifo_dir, hull_err *err) {
  char name[16];
  snprintf(name, sizeof(name), "%d", ctx->fifo_fd);
  int fd = openat(fifo_dir, name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return 0;
  }
  if (errno == ENXIO)
    return 0;
  return hull_error_sys(err, "reopen exec.fifo for writing as process.user (uid %u, gid %u)", ctx->process->uid,
                        ctx->process->gid);
}

/* A cgroup namespace is rooted at the cgroup we are in when we create it. */
static int make_cgroupns(struct hull_init_ctx *ctx, hull_err *err) {
  if (!(ctx->clone_flags & CLONE_NEWCGROUP))
    return 0;
  if (await_cgroup(ctx, err) < 0)
    return -1;
  if (unshare(CLONE_NEWCGROUP) < 0)
    return hull_error_sys(err, "create cgroup namespace");
  return 0;
}

/* The whole setup of a process that joins an existing pid namespace (every exec into a
 * container with one, and create with a pid namespace path), where processes of other
 * containers or of this one already run. Non-dumpable stops no tracer with
 * CAP_SYS_PTRACE there (CVE-2016-9962, issue 17), so nothing privileged may ever be in
 * that namespace: this first stage, in the host's pid namespace, does every privileged
 * step (namespaces, mounts, pivot_root, createContainer hooks, the terminal, rlimits,
 * ids, capabilities, no_new_privs, the seccomp filter), drops every host fd (the procfs
 * handle, the log), joins the pid namespace last, and only then forks the second stage:
 * born inside it with the container's root and cwd, its final credentials and its
 * filter. A proc mount shows the joined namespace through proc's pidns option. Returns
 * in the second stage only. */
static int setup_unseen(struct hull_init_ctx *ctx, char **state_json, char **exe, int *fifo_dir, hull_err *err) {
  cleanup_close int slave = -1, private_proc = -1;
  if (stage1_namespaces(ctx, err) < 0 || make_cgroupns(ctx, err) < 0)
    return -1;
  if (!ctx->is_exec) {
    if (setup_container_fs(ctx, state_json, err) < 0 || setup_terminal(ctx, true, &slave, err) < 0 ||
        hull_rootfs_finalize(ctx->spec, err) < 0)
      return -1;
    /* The second stage reopens exec.fifo through its own fd directory: a procfs of the
     * joined pid namespace, made now that we may still mount. */
    private_proc = hull_procfs_mount_of(ctx->ns_fds[HULL_NS_PID], 3 + ctx->preserve_fds,
                                        MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
    if (private_proc < 0)
      return -1;
  } else if (setup_terminal(ctx, false, &slave, err) < 0) {
    return -1;
  }
  if (await_cgroup(ctx, err) < 0 || hull_ns_join_for_children(ctx->ns_fds, ctx->spec, err) < 0 ||
      apply_process(ctx, NULL, err) < 0)
    return -1;
  /* Nothing of the host goes to the second stage: the host's procfs handle is replaced
   * (exec needs none), and later log messages are dropped. */
  if (private_proc >= 0)
    hull_procfs_set_root(take_fd(&private_proc));
  else
    hull_procfs_close();
  hull_log_detach();
  /* Under no_new_privs the filter is loaded here too (without, apply_process did): the
   * second stage never runs unfiltered, and no tracer can keep it from loading it. */
  if (ctx->process->no_new_privileges && ctx->seccomp != NULL) {
    if (load_seccomp(ctx, err) < 0)
      return -1;
    ctx->seccomp = NULL; /* our copy of the context: nothing left to load */
  }
  if (fork_stage2(ctx, err) < 0)
    return -1;
  /* The fifo is reopened through the second stage's own fd directory, in the procfs of
   * the joined pid namespace. */
  if (ctx->wait_fifo) {
    *fifo_dir = hull_procfs_open("self/fd", O_PATH | O_DIRECTORY, err);
    if (*fifo_dir < 0)
      return -1;
  }
  if (slave >= 0 && hull_pty_make_controlling(slave, err) < 0)
    return -1;
  /* Looked up where it is executed: outside the pid namespace, a path through
   * /proc/self (a symlink to it, /proc/self/fd/N) would not resolve. */
  return find_executable(ctx, exe, err);
}

static int run_child(struct hull_init_ctx *ctx, char **state_json, char **exe, int *fifo_dir, hull_err *err) {
  struct hull_sync_msg msg;
  /* Wait until the parent has put us in our cgroup: no container code before that. */
  if (hull_sync_expect(ctx->sync_fd, HULL_SYNC_GO, &msg, err) < 0)
    return -1;
  hull_sync_msg_clear(&msg);
  if (ctx->joins_pid)
    return setup_unseen(ctx, state_json, exe, fifo_dir, err);
  if (ctx->two_stage) {
    if (stage1_namespaces(ctx, err) < 0 || fork_stage2(ctx, err) < 0)
      return -1;
  } else if (join_namespaces(ctx, true, err) < 0 || join_namespaces(ctx, false, err) < 0 || enter_root(ctx, err) < 0) {
    return -1;
  }
  if (make_cgroupns(ctx, err) < 0)
    return -1;
  hull_debug("init: namespaces ready");
  if (!ctx->is_exec) {
    if (setup_container_fs(ctx, state_json, err) < 0 || setup_terminal(ctx, true, NULL, err) < 0 ||
        hull_rootfs_finalize(ctx->spec, err) < 0)
      return -1;
    hull_debug("init: root filesystem ready");
  } else if (setup_terminal(ctx, false, NULL, err) < 0) {
    return -1;
  }
  if (await_cgroup(ctx, err) < 0)
    return -1;
  /* The init of a new pid namespace becomes visible once it reports ready (an exec may
   * follow); switch while we still have the capabilities for a new procfs. */
  if (become_visible(err) < 0)
    return -1;
  /* The fifo is reopened through our fd directory in the container's private procfs:
   * open that now, before the filter is loaded, so that only openat on it remains. */
  if (ctx->wait_fifo) {
    *fifo_dir = hull_procfs_open("self/fd", O_PATH | O_DIRECTORY, err);
    if (*fifo_dir < 0)
      return -1;
  }
  return apply_process(ctx, exe, err);
}

/* After `start` read "0" from exec.fifo the init's log and the parent are gone: a failure
 * of the last steps (execve) goes to the fifo, which `start` reads until the successful
 * execve closes it (O_CLOEXEC). Elsewhere (run, exec) it goes to the sync socket. */
static void report_late(struct hull_init_ctx *ctx, int fifo_wr, hull_err *err) {
  if (fifo_wr >= 0 && write(fifo_wr, "1", 1) == 1) {
    if (hull_write_all(fifo_wr, (*err)->msg, strlen((*err)->msg)) < 0) {
      /* Nobody is left to tell: `start` then reports the "1" without the message. */
    }
    return;
  }
  hull_sync_send_error(ctx->sync_fd, err);
}

/* The caller's chosen stdin, stdout and stderr become ours (a terminal replaces them
 * later). Each is duplicated aside first, so that one given as another's number is not
 * lost by the dup2 onto it. */
static int apply_stdio(const int stdio[3], hull_err *err) {
  int tmp[3] = {-1, -1, -1};
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0 && stdio[i] != i && (tmp[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
      return hull_error_sys(err, "stdio: duplicate fd %d", stdio[i]);
  for (int i = 0; i < 3; i++) {
    if (tmp[i] < 0)
      continue;
    if (dup2(tmp[i], i) < 0)
      return hull_error_sys(err, "stdio: fd %d as %d", stdio[i], i);
    close(tmp[i]);
  }
  return 0;
}

void hull_init_child(struct hull_init_ctx *ctx) {
  hull_err err = NULL;
  int fifo_wr = -1;
  cleanup_free char *state_json = NULL;
  cleanup_free char *exe = NULL;
  cleanup_close int fifo_dir = -1;
  /* Nothing of the runtime may be inspected or ptraced from the container while we
   * hold host fds (CVE-2016-9962); the parent is non-dumpable already, so this only
   * makes it explicit. */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Keep only what the setup needs: fds the runtime's caller passed above the preserved
   * range, and the parent's end of the sync socket, go now, not at execve. */
  size_t n_trees = ctx->tree_fds ? ctx->spec->n_mounts : 0, n_birth = ctx->birth ? ctx->birth->n : 0;
  size_t n_keep = HULL_NS_COUNT + 6 + n_trees + n_birth;
  cleanup_free int *keep = malloc(n_keep * sizeof(int));
  if (keep == NULL)
    _exit(1);
  int fixed[6] = {ctx->sync_fd, ctx->fifo_fd, hull_procfs_root(&err), hull_log_fd(), ctx->trampoline_fd, ctx->root_fd};
  memcpy(keep, fixed, sizeof(fixed));
  for (int t = 0; t < HULL_NS_COUNT; t++)
    keep[6 + t] = ctx->ns_fds[t];
  for (size_t i = 0; i < n_trees; i++)
    keep[HULL_NS_COUNT + 6 + i] = ctx->tree_fds[i];
  for (size_t i = 0; i < n_birth; i++)
    keep[HULL_NS_COUNT + 6 + n_trees + i] = ctx->birth->tasks[i];
  if (err != NULL || apply_stdio(ctx->stdio, &err) < 0 ||
      hull_close_fds_except(3 + ctx->preserve_fds, keep, n_keep, &err) < 0 ||
      run_child(ctx, &state_json, &exe, &fifo_dir, &err) < 0) {
    int status = err->status == 127 ? 127 : 1;
    hull_sync_send_error(ctx->sync_fd, &err);
    _exit(status);
  }
  /* hull-exec's arguments: SYNC_FD PATH ARGS... (made now: no allocation after the
   * seccomp filter is loaded). */
  cleanup_free char **targv = NULL;
  char sync_arg[16];
  if (ctx->trampoline_fd >= 0) {
    size_t n = 0;
    while (ctx->process->args[n])
      n++;
    targv = calloc(n + 4, sizeof(char *));
    if (targv == NULL) {
      hull_error(&err, ENOMEM, "exec %s", exe);
      hull_sync_send_error(ctx->sync_fd, &err);
      _exit(1);
    }
    snprintf(sync_arg, sizeof(sync_arg), "%d", ctx->sync_fd);
    targv[0] = "hull-exec";
    targv[1] = sync_arg;
    targv[2] = exe;
    memcpy(targv + 3, ctx->process->args, n * sizeof(char *));
  }
  if (!ctx->is_exec && set_state_status(&state_json, "created", &err) < 0) {
    hull_sync_send_error(ctx->sync_fd, &err);
    _exit(1);
  }
  /* Only our own fds stay reachable while the created container waits for `start`:
   * the procfs root goes (the fd directory is open already). */
  if (ctx->wait_fifo)
    hull_procfs_close();
  /* With no_new_privs the filter is loaded here, before we report ready: a created
   * container waits for `start` filtered (a process exec'd into it with CAP_SYS_PTRACE
   * could otherwise make us run what the profile denies), and the startContainer hooks,
   * which we fork, inherit it, as in runc. What we still do afterwards (report, reopen
   * the fifo, write to it, close our fds, execve) is what hull_seccomp_check_runtime
   * allows for. Without no_new_privs it was loaded before the user and capabilities
   * were set (apply_process). */
  if ((ctx->process->no_new_privileges && load_seccomp(ctx, &err) < 0) ||
      (ctx->wait_fifo && probe_fifo(ctx, fifo_dir, &err) < 0)) {
    hull_sync_send_error(ctx->sync_fd, &err);
    _exit(1);
  }
  if (hull_sync_send(ctx->sync_fd, HULL_SYNC_READY, 0, NULL, -1, &err) < 0)
    _exit(1);
  if (ctx->wait_fifo) {
    /* Opening the write side blocks until `start` opens the read side. The hooks run
     * while `start` waits, and it reads their result: "0", or "1" and the error. */
    char name[16];
    snprintf(name, sizeof(name), "%d", ctx->fifo_fd);
    int fd = openat(fifo_dir, name, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      _exit(1);
    close(ctx->fifo_fd);
    if (hull_hooks_run(ctx->spec->hooks, "startContainer", state_json, &err) < 0) {
      if (write(fd, "1", 1) == 1 && hull_write_all(fd, err->msg, strlen(err->msg)) < 0) {
        /* The failure is the "1": `start` reports the hook as failed without the message. */
      }
      _exit(1);
    }
    if (write(fd, "0", 1) != 1)
      _exit(1);
    fifo_wr = fd;
  } else if (!ctx->is_exec && hull_hooks_run(ctx->spec->hooks, "startContainer", state_json, &err) < 0) {
    hull_sync_send_error(ctx->sync_fd, &err);
    _exit(1);
  }
  if (hull_cloexec_fds_from(3 + ctx->preserve_fds, &err) < 0) {
    report_late(ctx, fifo_wr, &err);
    _exit(1);
  }
  if (targv != NULL) {
    /* The sync socket stays open across this one execve: hull-exec reports a failure of
     * the next on it, and closes it on success. */
    if (fcntl(ctx->sync_fd, F_SETFD, 0) == 0)
      syscall(SYS_execveat, ctx->trampoline_fd, "", targv, ctx->process->env, AT_EMPTY_PATH);
    hull_error_sys(&err, "exec %s: execute hull-exec", exe);
  } else {
    execve(exe, ctx->process->args, ctx->process->env);
    hull_error_sys(&err, "exec %s", exe);
  }
  int status = errno == ENOENT ? 127 : 126;
  report_late(ctx, fifo_wr, &err);
  _exit(status);
}
