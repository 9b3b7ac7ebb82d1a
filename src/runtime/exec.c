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
#include "procfs.h"
#include "process.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"

/* Builds the exec'd process: --process FILE as is, else the container's process
 * with args, env, cwd, user and terminal overridden (what runc does). */
static int build_process(const struct hull_exec_opts *o, json_t *config, struct hull_process *p, hull_err *err) {
  cleanup_json json_t *j = NULL;
  if (o->process_file) {
    json_error_t je;
    j = json_load_file(o->process_file, 0, &je);
    if (j == NULL)
      return hull_error(err, 0, "--process %s: %s (line %d)", o->process_file, je.text, je.line);
  } else {
    if (o->args == NULL || o->args[0] == NULL)
      return hull_error(err, 0, "exec: a command to run is required");
    j = json_deep_copy(json_object_get(config, "process"));
    if (j == NULL)
      j = json_pack("{s:s}", "cwd", "/");
    json_t *args = json_array();
    for (char **a = o->args; *a; a++)
      json_array_append_new(args, json_string(*a));
    json_object_set_new(j, "args", args);
    json_t *env = json_object_get(j, "env");
    if (!json_is_array(env)) {
      env = json_array();
      json_object_set_new(j, "env", env);
    }
    /* -e NAME=VALUE replaces NAME from config.json (the last one wins). */
    for (char **e = o->env; e && *e; e++) {
      size_t nl = strcspn(*e, "=");
      for (size_t i = json_array_size(env); i-- > 0;) {
        const char *cur = json_string_value(json_array_get(env, i));
        if (cur && strncmp(cur, *e, nl) == 0 && (cur[nl] == '=' || cur[nl] == '\0'))
          json_array_remove(env, i);
      }
      json_array_append_new(env, json_string(*e));
    }
    if (o->cwd)
      json_object_set_new(j, "cwd", json_string(o->cwd));
    json_object_set_new(j, "terminal", json_boolean(o->tty == 1));
    if (o->user) {
      unsigned uid = 0, gid = 0;
      int n = sscanf(o->user, "%u:%u", &uid, &gid);
      if (n < 1)
        return hull_error(err, 0, "--user %s: expected uid[:gid]", o->user);
      json_t *u = json_object_get(j, "user");
      if (!json_is_object(u)) {
        u = json_object();
        json_object_set_new(j, "user", u);
      }
      json_object_set_new(u, "uid", json_integer(uid));
      json_object_set_new(u, "gid", json_integer(n == 2 ? gid : 0));
      json_object_del(u, "additionalGids");
    }
    if (o->additional_gids) {
      json_t *u = json_object_get(j, "user");
      if (!json_is_object(u)) {
        u = json_object();
        json_object_set_new(j, "user", u);
      }
      json_t *gids = json_array();
      for (char **g = o->additional_gids; *g; g++) {
        int64_t v;
        if (hull_parse_int64(*g, &v) < 0 || v < 0 || v >= UINT32_MAX) {
          json_decref(gids);
          return hull_error(err, 0, "--additional-gids: invalid gid \"%s\"", *g);
        }
        json_array_append_new(gids, json_integer(v));
      }
      json_object_set_new(u, "additionalGids", gids);
    }
    if (o->no_new_privs_set)
      json_object_set_new(j, "noNewPrivileges", json_boolean(o->no_new_privs));
  }
  /* Unlike runc, which ignores them next to --process, the flags win over the file too:
   * a flag that is accepted must do what it says. */
  if (o->apparmor)
    json_object_set_new(j, "apparmorProfile", json_string(o->apparmor));
  if (o->process_label)
    json_object_set_new(j, "selinuxLabel", json_string(o->process_label));
  if (hull_process_parse(j, o->process_file ? "--process" : "process", p, err) < 0)
    return -1;
  if (o->process_file && o->tty >= 0)
    p->terminal = o->tty == 1;
  for (char **c = o->cap_add; c && *c; c++) {
    int cap = hull_cap_parse(*c, err);
    if (cap < 0)
      return hull_error_wrap(err, "--cap");
    uint64_t bit = 1ULL << cap;
    p->caps.set = true;
    p->caps.bounding |= bit;
    p->caps.effective |= bit;
    p->caps.permitted |= bit;
  }
  return 0;
}

/* stage1: the first stage when there are two (it reports the pid of the second and
 * exits), else -1 and pid is the process itself. */
static int exec_wait(int sock, const struct hull_exec_opts *o, int console, pid_t stage1, pid_t pid, int *exit_status,
                     hull_err *err) {
  int master = -1;
  struct hull_sync_msg msg;
  for (;;) {
    hull_err eof = NULL;
    if (hull_sync_recv(sock, &msg, &eof) < 0) {
      hull_error_release(&eof); /* EOF: the process exec'd */
      break;
    }
    if (msg.type == HULL_SYNC_PID && stage1 > 0) {
      pid = msg.value;
      waitpid(stage1, NULL, 0);
      stage1 = -1;
    }
    if (msg.type == HULL_SYNC_ERROR) {
      hull_error_from_msg(err, msg.value, 0, msg.payload);
      hull_sync_msg_clear(&msg);
      if (master >= 0)
        close(master);
      waitpid(stage1 > 0 ? stage1 : pid, NULL, 0);
      return -1;
    }
    if (msg.type == HULL_SYNC_PTY) {
      if (o->console_socket) {
        if (hull_console_socket_send(o->console_socket, msg.fd, err) < 0) {
          hull_sync_msg_clear(&msg);
          /* The first stage sends the pty before the pid of the second: pid is -1 then,
           * and kill(-1) would signal every process we may signal. */
          pid_t victim = stage1 > 0 ? stage1 : pid;
          kill(victim, SIGKILL);
          waitpid(victim, NULL, 0);
          return -1;
        }
      } else {
        master = take_fd(&msg.fd);
      }
    }
    hull_sync_msg_clear(&msg);
  }
  if (stage1 > 0) {
    waitpid(stage1, NULL, 0);
    if (master >= 0)
      close(master);
    return hull_error(err, ECHILD, "exec: the process was not started");
  }
  if (o->pid_file && hull_write_pid_file(o->pid_file, pid, err) < 0)
    return -1;
  if (o->detach) {
    if (master >= 0)
      close(master);
    return 0;
  }
  /* As runc: signals to the runtime go to the process (our child, see init.c stage1). */
  hull_forward_signals(pid);
  int proxied = 0;
  if (master >= 0) {
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    proxied = hull_pty_proxy(master, pidfd, console, err);
    if (pidfd >= 0)
      close(pidfd);
    close(master);
  }
  int status = hull_wait_exit_status(pid);
  hull_forward_signals(0);
  /* The process is reaped whether or not its terminal could be relayed; a relay that
   * failed is then the error (err is set exactly when proxied < 0). */
  if (proxied < 0)
    return -1;
  if (status < 0)
    return hull_error_sys(err, "wait for exec'd process");
  *exit_status = status;
  return 0;
}

int hull_container_exec(const struct hull_runtime *rt, const struct hull_exec_opts *o, int *exit_status,
                        hull_err *err) {
  if (hull_id_validate(o->id, err) < 0)
    return -1;
  struct hull_state *st = NULL;
  if (hull_state_load(rt->root, o->id, &st, err) < 0)
    return -1;
  int rc = -1;
  struct hull_spec *spec = NULL;
  hull_cgroup *cg = NULL;
  struct hull_process proc;
  memset(&proc, 0, sizeof(proc));
  int fds[2] = {-1, -1};
  struct hull_init_ctx ic = {.is_exec = true, .fifo_fd = -1, .sync_fd = -1, .preserve_fds = o->preserve_fds,
                             .setgroups_allowed = true, .trampoline_fd = -1, .root_fd = -1};
  for (int t = 0; t < HULL_NS_COUNT; t++)
    ic.ns_fds[t] = -1;
  int pidfd = -1, console = -1;
  enum hull_status status = hull_state_status_pidfd(rt->root, st, &pidfd);
  /* runc's text. With --ignore-paused the process is put into the frozen cgroup like any
   * other and the exec waits, as runc's does, until the container is resumed. */
  if (status == HULL_PAUSED && !o->ignore_paused) {
    hull_error(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
    goto out;
  }
  if (status != HULL_RUNNING && status != HULL_CREATED && status != HULL_PAUSED) {
    hull_error(err, 0, "cannot exec in a stopped container");
    goto out;
  }
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), rt->root, o->id, "config.json") < 0) {
    hull_error(err, ENAMETOOLONG, "state of %s", o->id);
    goto out;
  }
  {
    /* The copy taken at create; root.path stays relative to the bundle. */
    size_t len;
    cleanup_free char *text = hull_read_file(path, &len, err);
    if (text == NULL || hull_spec_parse(text, len, st->bundle, &spec, err) < 0)
      goto out;
  }
  if (build_process(o, spec->json, &proc, err) < 0 || hull_lsm_check_process(&proc, err) < 0)
    goto out;
  if (proc.terminal && o->detach && !o->console_socket) {
    hull_error(err, 0, "exec: a detached terminal needs --console-socket");
    goto out;
  }
  if (proc.terminal && !o->console_socket) {
    console = hull_host_console(err);
    if (console < 0)
      goto out;
  }
  if (hull_seccomp_compile(spec->seccomp, &ic.seccomp, err) < 0 ||
      hull_seccomp_check_runtime(ic.seccomp, !proc.no_new_privileges, err) < 0 ||
      (spec->ns_present[HULL_NS_PID] && hull_seccomp_check_joining(ic.seccomp, proc.terminal, err) < 0))
    goto out;
  ic.spec = spec;
  ic.process = &proc;
  for (int t = 0; t < HULL_NS_COUNT; t++) {
    if (!spec->ns_present[t])
      continue;
    char ns[64];
    snprintf(ns, sizeof(ns), "/proc/%d/ns/%s", (int)st->pid, hull_ns_proc_name(t));
    ic.ns_fds[t] = hull_ns_open(ns, t, err);
    if (ic.ns_fds[t] < 0)
      goto out;
  }
  /* Without a mount namespace of its own the init was chrooted (rootfs.c): so is this
   * process, into the same root, or it would run in the runtime's. */
  if (!spec->ns_present[HULL_NS_MOUNT] || spec->namespaces[HULL_NS_MOUNT].path != NULL) {
    char root[64];
    snprintf(root, sizeof(root), "/proc/%d/root", (int)st->pid);
    ic.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (ic.root_fd < 0) {
      hull_error_sys(err, "exec: open the container's root %s", root);
      goto out;
    }
  }
  /* Re-check after opening: the pidfd held the init we validated, and while it is alive
   * its pid is not reused, so the /proc/PID/ns files opened were its own. */
  if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
    hull_error(err, 0, "cannot exec in a stopped container");
    goto out;
  }
  /* With a pid namespace, a first stage that the container cannot see joins everything
   * and does every privileged step, then forks the process that runs, born inside every
   * namespace with its final credentials (setup_unseen, init.c; CVE-2016-9962). */
  ic.joins_pid = ic.two_stage = ic.ns_fds[HULL_NS_PID] >= 0;
  if (!ic.two_stage && hull_ns_join_for_children(ic.ns_fds, NULL, err) < 0) {
    hull_error_wrap(err, "exec in container %s", o->id);
    goto out;
  }
  if (st->cgroup && hull_cgroup_from_json(st->cgroup, &cg, err) < 0)
    goto out;
  if (cg == NULL && o->sub_cgroups && o->sub_cgroups[0]) {
    hull_error(err, 0, "--cgroup %s: the container has no cgroup", o->sub_cgroups[0]);
    goto out;
  }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
    hull_error_sys(err, "socketpair");
    goto out;
  }
  ic.sync_fd = fcntl(fds[1], F_DUPFD_CLOEXEC, 3 + o->preserve_fds);
  close(fds[1]);
  fds[1] = -1;
  /* The child reaches procfs only through this handle, opened here on the host. */
  if (hull_procfs_init(3 + o->preserve_fds, err) < 0)
    goto out;
  pid_t pid = hull_clone(0, cg ? hull_cgroup_v2_dirfd(cg) : -1, err);
  if (pid < 0)
    goto out;
  if (pid == 0)
    hull_init_child(&ic);
  close(ic.sync_fd);
  ic.sync_fd = -1;
  if (cg && ((hull_cgroup_v2_dirfd(cg) < 0 && hull_cgroup_enter(cg, pid, err) < 0) ||
             (o->sub_cgroups && hull_cgroup_enter_sub(cg, pid, o->sub_cgroups, err) < 0))) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    goto out;
  }
  if (hull_sync_send(fds[0], HULL_SYNC_GO, 0, NULL, -1, err) < 0) {
    waitpid(pid, NULL, 0);
    goto out;
  }
  rc = exec_wait(fds[0], o, console, ic.two_stage ? pid : -1, ic.two_stage ? -1 : pid, exit_status, err);
out:
  if (console >= 0)
    close(console);
  if (pidfd >= 0)
    close(pidfd);
  if (fds[0] >= 0)
    close(fds[0]);
  if (ic.sync_fd >= 0)
    close(ic.sync_fd);
  for (int t = 0; t < HULL_NS_COUNT; t++)
    if (ic.ns_fds[t] >= 0)
      close(ic.ns_fds[t]);
  if (ic.root_fd >= 0)
    close(ic.root_fd);
  hull_seccomp_free(ic.seccomp);
  hull_process_clear(&proc);
  hull_cgroup_free(cg);
  hull_spec_free(spec);
  hull_state_free(st);
  return rc;
}
