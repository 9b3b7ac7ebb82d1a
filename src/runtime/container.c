/* The parent side of the container lifecycle: create (and run), start, kill,
 * delete, state, list. The child side is init.c. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"
#include "cgroup.h"
#include "hooks.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "procfs.h"
#include "rootfs.h"
#include "security.h"
#include "selfexe.h"
#include "status.h"
#include "sync.h"
#include "terminal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void now_rfc3339(char *buf, size_t len) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

struct create_ctx {
  const struct hull_runtime *rt;
  const struct hull_create_opts *o;
  struct hull_spec *spec;
  hull_seccomp *seccomp;
  hull_cgroup *cg;
  bool state_dir_made; /* published as <root>/<id> */
  int lock_fd;         /* the state directory, flocked until the final state is written */
  char new_dir[48];    /* its name until then (hull_state_dir_begin), or "" */
  pid_t pid;           /* container init */
  pid_t stage1;
  bool cg_v1_late;   /* the v1 cgroup directories are made while the init mounts */
  int sock;          /* parent's end */
  int pty_master;    /* returned to the caller */
  int trampoline_fd; /* sealed hull-exec when `run` needs no sealed runtime (selfexe.h), or -1 */
  struct ns_maker {
    pthread_t thread;
    bool started;
    bool done;             /* the thread has made them (atomic) */
    int flags;             /* the CLONE_NEW* flags of those it makes */
    int fd[HULL_NS_COUNT]; /* the namespaces it made (network, IPC, UTS), or -1 */
  } ns;
  char created[64];
  struct hull_state st;
  uint64_t rootfs_mount_before; /* without a mount namespace: the mount at the rootfs before */
};

static char *state_json_string(struct create_ctx *c, enum hull_status status) {
  cleanup_json json_t *j = hull_state_to_oci(&c->st, status);
  if (j == NULL)
    return NULL;
  if (status == HULL_CREATING)
    json_object_set_new(j, "pid", json_integer(c->pid));
  return json_dumps(j, JSON_COMPACT);
}

/* A new network namespace takes the kernel a while (~0.4 ms here), longer than any
 * other, and an IPC namespace (with its mqueue mount) is next: a thread makes them,
 * and the UTS namespace, while we compile the seccomp filter and write the state
 * directory, and the init joins them instead of creating them with clone. config.json
 * is read first, so that the thread makes only those the container wants new: an engine
 * container joins its network namespace by path, and a namespace made for nothing costs
 * its creation here and its (asynchronous, but not free) destruction after. */
static const enum hull_ns_type ns_made[] = {HULL_NS_NET, HULL_NS_IPC, HULL_NS_UTS};

static void *make_ns(void *arg) {
  struct ns_maker *m = arg;
  if (unshare(m->flags) < 0) {
    __atomic_store_n(&m->done, true, __ATOMIC_RELEASE);
    return NULL; /* clone makes them instead */
  }
  for (size_t i = 0; i < sizeof(ns_made) / sizeof(ns_made[0]); i++) {
    enum hull_ns_type t = ns_made[i];
    if (!(m->flags & hull_ns_clone_flag(t)))
      continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/thread-self/ns/%s", hull_ns_proc_name(t));
    hull_err e = NULL;
    m->fd[t] = hull_ns_open(path, t, &e);
    hull_error_release(&e);
  }
  __atomic_store_n(&m->done, true, __ATOMIC_RELEASE);
  return NULL;
}

/* Whether joining the namespace thread would return at once. */
static bool ns_done(const struct create_ctx *c) {
  return !c->ns.started || __atomic_load_n(&c->ns.done, __ATOMIC_ACQUIRE);
}

/* Whether the thread's namespace of kind t serves the container: it wants a new one,
 * and no user namespace (which would have to own it). */
static bool ns_wanted(const struct hull_spec *s, enum hull_ns_type t) {
  return s->ns_present[t] && s->namespaces[t].path == NULL && !s->ns_present[HULL_NS_USER];
}

static void ns_start(struct create_ctx *c) {
  c->ns.flags = 0;
  for (size_t i = 0; i < sizeof(ns_made) / sizeof(ns_made[0]); i++)
    if (ns_wanted(c->spec, ns_made[i]))
      c->ns.flags |= hull_ns_clone_flag(ns_made[i]);
  if (c->ns.flags == 0 || geteuid() != 0)
    return;
  /* On another CPU than ours (this host packs new tasks next to their creator). */
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0)
    return;
  cpu_set_t allowed, others;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && hull_cpus_but_current(&allowed, &others))
    pthread_attr_setaffinity_np(&attr, sizeof(others), &others);
  c->ns.started = pthread_create(&c->ns.thread, &attr, make_ns, &c->ns) == 0;
  pthread_attr_destroy(&attr);
}

/* Waits for the thread; the namespaces it made are then in c->ns.fd. */
static void ns_join_thread(struct create_ctx *c) {
  if (c->ns.started) {
    /* It runs on another CPU and is about done when we get here: polling for its end
     * (a few tens of microseconds at most, and bounded) spares the wake-up of a
     * sleeping join, which on this VM costs about as much. */
    for (int i = 0; i < 20000; i++) {
      if (pthread_tryjoin_np(c->ns.thread, NULL) == 0) {
        c->ns.started = false;
        return;
      }
      hull_cpu_relax();
    }
    pthread_join(c->ns.thread, NULL);
    c->ns.started = false;
  }
}

static void ns_drop(struct create_ctx *c, enum hull_ns_type t) {
  if (c->ns.fd[t] >= 0)
    close(c->ns.fd[t]);
  c->ns.fd[t] = -1;
}

/* Waits for the thread and closes whatever it made and nobody took. */
static void ns_drop_all(struct create_ctx *c) {
  ns_join_thread(c);
  for (size_t i = 0; i < sizeof(ns_made) / sizeof(ns_made[0]); i++)
    ns_drop(c, ns_made[i]);
}

/* linux.seccomp.listenerPath: the listener fd of a SCMP_ACT_NOTIFY filter goes to the
 * unix socket there with the container process state of the runtime-spec (ociVersion,
 * fds, pid, metadata, state with status "creating"), over SCM_RIGHTS in one message. */
static int seccomp_listener_send(struct create_ctx *c, int fd, hull_err *err) {
  const char *path = hull_seccomp_listener_path(c->seccomp);
  const char *metadata = hull_seccomp_listener_metadata(c->seccomp);
  if (path == NULL || fd < 0)
    return hull_error(err, EPROTO, "sync: a seccomp listener fd without linux.seccomp.listenerPath");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(addr.sun_path))
    return hull_error(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s", path);
  strcpy(addr.sun_path, path);
  /* Joining an existing pid namespace, the filter is loaded in the first stage, before
   * the process forked into the namespace exists: the state names the first stage then,
   * as for the hooks. */
  c->st.pid = c->pid > 0 ? c->pid : c->stage1;
  cleanup_json json_t *state = hull_state_to_oci(&c->st, HULL_CREATING);
  cleanup_json json_t *msg =
      state == NULL
          ? NULL
          : json_pack("{s:O, s:[s], s:i, s:s, s:O}", "ociVersion", json_object_get(state, "ociVersion"), "fds",
                      "seccompFd", "pid", (int)c->st.pid, "metadata", metadata ? metadata : "", "state", state);
  cleanup_free char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
  if (text == NULL)
    return hull_error(err, ENOMEM, "linux.seccomp.listenerPath: container state");
  cleanup_close int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return hull_error_sys(err, "linux.seccomp.listenerPath %s: socket", path);
  if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return hull_error_sys(err, "connect to linux.seccomp.listenerPath %s", path);
  if (hull_send_fd(sock, fd, text, strlen(text), err) < 0)
    return hull_error_wrap(err, "linux.seccomp.listenerPath %s", path);
  return 0;
}

/* The parent's half of the setup conversation with the child. */
static int converse(struct create_ctx *c, hull_err *err) {
  struct hull_spec *s = c->spec;
  struct hull_sync_msg msg;
  for (;;) {
    if (hull_sync_recv(c->sock, &msg, err) < 0)
      return -1;
    switch (msg.type) {
    case HULL_SYNC_ERROR:
      hull_error_from_msg(err, msg.value, 0, msg.payload);
      hull_sync_msg_clear(&msg);
      return -1;
    case HULL_SYNC_USERMAP: {
      pid_t target = c->stage1;
      if (hull_ns_write_id_map(target, "uid_map", s->uid_mappings, s->n_uid_mappings, err) < 0 ||
          hull_ns_write_id_map(target, "gid_map", s->gid_mappings, s->n_gid_mappings, err) < 0 ||
          hull_sync_send(c->sock, HULL_SYNC_GO, 0, NULL, -1, err) < 0) {
        hull_sync_msg_clear(&msg);
        return -1;
      }
      break;
    }
    case HULL_SYNC_PID:
      c->pid = msg.value;
      break;
    case HULL_SYNC_HOOKS: {
      /* Joining an existing pid namespace, the hooks run before the process that is
       * forked into it exists: they get the first stage, which is in every other
       * namespace of the container (/proc/PID/ns/net and the like work). */
      c->st.pid = c->pid > 0 ? c->pid : c->stage1;
      cleanup_free char *sj = state_json_string(c, HULL_CREATING);
      if (sj == NULL) {
        hull_sync_msg_clear(&msg);
        return hull_error(err, ENOMEM, "state");
      }
      if (hull_hooks_run(s->hooks, "prestart", sj, err) < 0 || hull_hooks_run(s->hooks, "createRuntime", sj, err) < 0 ||
          hull_sync_send(c->sock, HULL_SYNC_STATE, 0, sj, -1, err) < 0) {
        hull_sync_msg_clear(&msg);
        return -1;
      }
      break;
    }
    case HULL_SYNC_PTY:
      if (c->pty_master >= 0)
        close(c->pty_master);
      c->pty_master = take_fd(&msg.fd);
      break;
    case HULL_SYNC_SECCOMP:
      if (seccomp_listener_send(c, msg.fd, err) < 0) {
        hull_sync_msg_clear(&msg);
        return -1;
      }
      break;
    case HULL_SYNC_READY:
      hull_sync_msg_clear(&msg);
      return 0;
    default:
      hull_sync_msg_clear(&msg);
      return hull_error(err, EPROTO, "sync: unexpected message %u", msg.type);
    }
    hull_sync_msg_clear(&msg);
  }
}

/* The host id that id of the container maps to (the id itself without a user
 * namespace); false when it is not mapped. */
static bool host_id(const struct hull_spec *s, const struct hull_id_map *m, size_t n, uint32_t id, uint32_t *out) {
  if (!s->ns_present[HULL_NS_USER]) {
    *out = id;
    return true;
  }
  for (size_t i = 0; i < n; i++) {
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size) {
      *out = m[i].host_id + (id - m[i].container_id);
      return true;
    }
  }
  return false;
}

/* The init reopens exec.fifo for writing once it has process.user's credentials (as
 * late as possible, so that a created container holds no privileges): the fifo belongs
 * to that user, still 0600. The state directory is 0711 and the fifo lives only until
 * `start`. An id that is not mapped leaves the fifo to root: the init then fails create
 * saying it cannot reopen it. */
static int fifo_give_to_user(const struct hull_spec *s, int userns_fd, int fifo_fd, const char *path, hull_err *err) {
  uint32_t uid, gid;
  const struct hull_process *p = &s->process;
  if (p->uid == 0 && p->gid == 0 && !s->ns_present[HULL_NS_USER])
    return 0;
  struct hull_id_map um[8], gm[8];
  size_t nu = 0, ng = 0;
  if (userns_fd >= 0 && s->n_uid_mappings == 0 && !hull_ns_joined_userns_maps(userns_fd, um, &nu, gm, &ng))
    return 0;
  if (userns_fd < 0 || s->n_uid_mappings > 0) {
    if (!host_id(s, s->uid_mappings, s->n_uid_mappings, p->uid, &uid) ||
        !host_id(s, s->gid_mappings, s->n_gid_mappings, p->gid, &gid))
      return 0;
  } else if (!host_id(s, um, nu, p->uid, &uid) || !host_id(s, gm, ng, p->gid, &gid)) {
    return 0;
  }
  if (fchownat(fifo_fd, "", uid, gid, AT_EMPTY_PATH) < 0)
    return hull_error_sys(err, "chown %s to %u:%u (process.user)", path, uid, gid);
  return 0;
}

/* Idmapped bind mounts are cloned (open_tree) and idmapped here, detached, before clone:
 * the init inherits them and moves them into place. */
static int open_idmapped(const struct hull_spec *s, int **tree_fds, hull_err *err) {
  bool any = false;
  for (size_t i = 0; i < s->n_mounts; i++)
    any = any || s->mounts[i].idmap;
  if (!any)
    return 0;
  *tree_fds = malloc((s->n_mounts + 1) * sizeof(int));
  if (*tree_fds == NULL)
    return hull_error(err, ENOMEM, "idmapped mounts");
  for (size_t i = 0; i < s->n_mounts; i++)
    (*tree_fds)[i] = -1;
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct hull_mount *m = &s->mounts[i];
    if (!m->idmap)
      continue;
    bool own = m->n_uid_map > 0;
    if (!own && s->n_uid_mappings == 0)
      return hull_error(err, EINVAL, "mounts[%zu]: idmap without uidMappings needs the container's", i);
#if defined(SYS_open_tree) && defined(SYS_mount_setattr) && defined(MOUNT_ATTR_IDMAP)
    cleanup_close int userns =
        hull_ns_idmap_userns(own ? m->uid_map : s->uid_mappings, own ? m->n_uid_map : s->n_uid_mappings,
                             own ? m->gid_map : s->gid_mappings, own ? m->n_gid_map : s->n_gid_mappings, err);
    if (userns < 0)
      return hull_error_wrap(err, "idmapped mount %s", m->destination);
    unsigned rec = m->rbind ? AT_RECURSIVE : 0;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (tree < 0)
      return hull_error_sys(err, "idmapped mount %s: open %s", m->destination, m->source);
    (*tree_fds)[i] = tree;
    struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &a, sizeof(a)) < 0)
      return hull_error_sys(err, "idmapped mount %s: idmap %s (does its filesystem support it?)", m->destination,
                            m->source);
#else
    return hull_error(err, ENOSYS, "idmapped mount %s: not built with the new mount API", m->destination);
#endif
  }
  return 0;
}

/* A send to the child failed because the child is gone (it no longer shares its end of
 * the socket with us): the error it sent before it went is the better report. */
static void prefer_child_error(int sock, hull_err *err) {
  if (err == NULL || *err == NULL || ((*err)->errno_ != EPIPE && (*err)->errno_ != ECONNRESET))
    return;
  struct hull_sync_msg msg;
  hull_err local = NULL;
  while (hull_sync_recv(sock, &msg, &local) == 0) {
    if (msg.type == HULL_SYNC_ERROR) {
      hull_error_release(err);
      hull_error_from_msg(err, msg.value, 0, msg.payload);
      hull_sync_msg_clear(&msg);
      return;
    }
    hull_sync_msg_clear(&msg);
  }
  hull_error_release(&local); /* nothing (more) from the child: keep the send's error */
}

/* The namespaces the config names by path, opened; those it wants new become clone
 * flags. Decides whether the init needs a first stage. */
static int plan_namespaces(struct create_ctx *c, struct hull_init_ctx *ic, hull_err *err) {
  const struct hull_spec *s = c->spec;
  for (int t = 0; t < HULL_NS_COUNT; t++) {
    if (!s->ns_present[t])
      continue;
    if (s->namespaces[t].path == NULL) {
      ic->clone_flags |= hull_ns_clone_flag(t);
      continue;
    }
    ic->ns_fds[t] = hull_ns_open(s->namespaces[t].path, t, err);
    if (ic->ns_fds[t] < 0)
      return -1;
  }
  if (hull_spec_check_joined_ns(s, ic->ns_fds, err) < 0)
    return -1;
  /* Joining an existing pid namespace makes the init visible to its processes at once:
   * a first stage outside it does the whole privileged setup and forks the init into it
   * with its final credentials (setup_unseen, init.c). */
  ic->joins_pid = ic->ns_fds[HULL_NS_PID] >= 0;
  /* A time namespace applies to children only: one joined by path, or a new one with
   * offsets (which can be written only before a process enters it), is entered by a
   * first stage for the init it forks. The caller's process never is. */
  bool time_ns = ic->ns_fds[HULL_NS_TIME] >= 0 || ((ic->clone_flags & CLONE_NEWTIME) && s->time_offsets);
  ic->two_stage = s->ns_present[HULL_NS_USER] || ic->joins_pid || time_ns;
  return 0;
}

/* open(2) with the result at or above min_fd (-1 with errno on failure). */
static int open_above(const char *path, int flags, int min_fd) {
  int fd = open(path, flags);
  if (fd < 0 || fd >= min_fd)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

/* create (not run): exec.fifo, on which the init waits for `start`. */
static int make_fifo(struct create_ctx *c, struct hull_init_ctx *ic, hull_err *err) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), c->rt->root, c->o->id, "exec.fifo") < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", c->o->id);
  if (mkfifo(path, 0600) < 0)
    return hull_error_sys(err, "mkfifo %s", path);
  /* Above the range the caller asked to preserve. */
  ic->fifo_fd = open_above(path, O_PATH | O_CLOEXEC, 3 + c->o->preserve_fds);
  if (ic->fifo_fd < 0)
    return hull_error_sys(err, "open %s", path);
  return fifo_give_to_user(c->spec, ic->ns_fds[HULL_NS_USER], ic->fifo_fd, path, err);
}

/* The sync socket (the child's end above the preserved range) and the procfs handle
 * the child inherits. */
static int make_channel(struct create_ctx *c, struct hull_init_ctx *ic, hull_err *err) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
    return hull_error_sys(err, "socketpair");
  c->sock = fds[0];
  int high = 3 + c->o->preserve_fds;
  ic->sync_fd = fcntl(fds[1], F_DUPFD_CLOEXEC, high);
  close(fds[1]);
  if (ic->sync_fd < 0)
    return hull_error_sys(err, "sync socket");
  /* The child reaches procfs only through this handle, opened here on the host. */
  return hull_procfs_init(high, err) < 0 ? -1 : 0;
}

/* The thread's namespaces (ns_start), taken as late as possible: the init joins those
 * the container wants instead of creating them. */
static void take_made_ns(struct create_ctx *c, struct hull_init_ctx *ic) {
  ns_join_thread(c);
  for (size_t i = 0; i < sizeof(ns_made) / sizeof(ns_made[0]); i++) {
    enum hull_ns_type t = ns_made[i];
    if (c->ns.fd[t] >= 0 && ns_wanted(c->spec, t)) {
      ic->ns_fds[t] = take_fd(&c->ns.fd[t]);
      ic->clone_flags &= ~hull_ns_clone_flag(t);
    }
    ns_drop(c, t);
  }
}

/* The v1 half of the cgroup (hull_cgroup_v1_late_p), made while the child mounts: the
 * directories (stage 1: the child may bind them), the limits, then each hierarchy's
 * `tasks` file for the child to enter through (opened here, so that our credentials are
 * the ones checked), and stage 2: the child enters, and only then runs anything of the
 * container's. */
static int cgroup_v1_late(struct create_ctx *c, hull_err *err) {
  if (hull_cgroup_create_v1_part(c->cg, c->spec->resources, err) < 0 ||
      hull_sync_send(c->sock, HULL_SYNC_CGROUP, 1, NULL, -1, err) < 0)
    return -1;
  const struct hull_cgroup_hier *d;
  for (size_t i = 0; i < HULL_CGROUP_MAX_HIER && (d = hull_cgroup_hierarchy(c->cg, i)) != NULL; i++) {
    if (d->v2)
      continue;
    cleanup_close int fd = hull_cgroup_tasks_open(c->cg, i, err);
    if (fd < 0 || hull_sync_send(c->sock, HULL_SYNC_CGROUP_TASKS, (int32_t)i, NULL, fd, err) < 0)
      return -1;
  }
  return hull_sync_send(c->sock, HULL_SYNC_CGROUP, 2, NULL, -1, err);
}

/* The v1 directories are made before the clone for as long as the namespace thread still
 * works (we would only wait for it), the rest while the init mounts (cgroup_v1_late). All
 * of them made before it is done: the limits too, and the init enters at birth as on a
 * host without the late half. */
static int cgroup_v1_early(struct create_ctx *c, hull_err *err) {
  for (;;) {
    if (ns_done(c))
      return 0;
    int r = hull_cgroup_create_v1_next(c->cg, err);
    if (r < 0)
      return -1;
    if (r == 0)
      break;
  }
  if (hull_cgroup_configure(c->cg, c->spec->resources, err) < 0)
    return -1; /* the directories are create_cleanup's */
  c->cg_v1_late = false;
  return 0;
}

/* Clones the init (or its first stage) and sees it through its setup: the cgroup (made
 * here while the child mounts, where it could not be made before), then the
 * conversation until it is ready. */
static int clone_init(struct create_ctx *c, struct hull_init_ctx *ic, hull_err *err) {
  const struct hull_spec *s = c->spec;
  struct hull_cpu_split split = {.active = false};
  unsigned long flags = ic->two_stage ? 0 : (unsigned long)(ic->clone_flags & ~CLONE_NEWCGROUP);
  ic->cgroup_pending = c->cg_v1_late || !hull_cgroup_precreate_p(c->cg);
  /* Only a one-stage init has work of its own while we start a systemd scope. Not for the
   * v1 directories: pinned to the other CPU, a child waited there behind other load. */
  if (ic->cgroup_pending && !c->cg_v1_late && !ic->two_stage) {
    hull_cpu_split_begin(&split);
    ic->split = &split;
  }
  if (open_idmapped(s, &ic->tree_fds, err) < 0)
    return -1;
  if (!s->ns_present[HULL_NS_MOUNT])
    c->rootfs_mount_before = hull_mount_id(s->root_path);
  struct hull_cgroup_birth birth;
  if (hull_cgroup_birth_open(c->cg, &birth, c->cg_v1_late, err) < 0)
    return -1;
  ic->birth = &birth;
  pid_t pid = hull_clone(flags, birth.v2fd, err);
  if (pid == 0)
    hull_init_child(ic);
  /* The child's copies are the child's: it enters through them, or fails and says so. */
  hull_cgroup_birth_close(&birth);
  ic->birth = NULL;
  if (pid < 0)
    return -1;
  /* The child's end of the sync socket is the child's alone: if the child is killed,
   * our reads must see EOF instead of waiting forever on an end we hold ourselves. */
  close(take_fd(&ic->sync_fd));
  if (ic->two_stage)
    c->stage1 = pid;
  else
    c->pid = pid;
  hull_debug("create: cloned %d", (int)pid);
  hull_cpu_split_child(&split, pid);
  if (hull_sync_send(c->sock, HULL_SYNC_GO, 0, NULL, -1, err) < 0)
    return -1;
  if (c->cg_v1_late ? cgroup_v1_late(c, err) < 0
                    : ic->cgroup_pending && (hull_cgroup_create_dirs(c->cg, pid, s->resources, err) < 0 ||
                                             hull_sync_send(c->sock, HULL_SYNC_CGROUP, 1, NULL, -1, err) < 0 ||
                                             hull_cgroup_configure(c->cg, s->resources, err) < 0 ||
                                             hull_cgroup_enter(c->cg, pid, err) < 0 ||
                                             hull_sync_send(c->sock, HULL_SYNC_CGROUP, 2, NULL, -1, err) < 0))
    return -1;
  hull_debug("create: cgroup entered");
  /* Read while the child sets up, not when it reports ready. */
  if (!ic->two_stage)
    c->st.start_time = hull_proc_start_time(pid);
  if (converse(c, err) < 0)
    return -1;
  hull_debug("create: init ready");
  return 0;
}

/* What the parent holds for the child until it runs: all of it the child's own copies. */
static void init_ctx_release(struct hull_init_ctx *ic, size_t n_mounts) {
  if (ic->sync_fd >= 0)
    close(ic->sync_fd);
  if (ic->fifo_fd >= 0)
    close(ic->fifo_fd);
  for (int t = 0; t < HULL_NS_COUNT; t++)
    if (ic->ns_fds[t] >= 0)
      close(ic->ns_fds[t]);
  for (size_t i = 0; ic->tree_fds && i < n_mounts; i++)
    if (ic->tree_fds[i] >= 0)
      close(ic->tree_fds[i]);
  free(ic->tree_fds);
}

static int spawn_init(struct create_ctx *c, hull_err *err) {
  struct hull_spec *s = c->spec;
  struct hull_init_ctx ic = {
      .spec = s,
      .process = &s->process,
      .no_pivot = c->o->no_pivot,
      .no_new_keyring = c->o->no_new_keyring,
      .preserve_fds = c->o->preserve_fds,
      .seccomp = c->seccomp,
      .wait_fifo = !c->o->run,
      .fifo_fd = -1,
      .sync_fd = -1,
      .setgroups_allowed = true,
      .cg = c->cg,
      .trampoline_fd = c->trampoline_fd,
      .root_fd = -1,
      .stdio = {c->o->stdio[0], c->o->stdio[1], c->o->stdio[2]},
  };
  for (int t = 0; t < HULL_NS_COUNT; t++)
    ic.ns_fds[t] = -1;
  int rc = -1;
  if (plan_namespaces(c, &ic, err) == 0 && (c->o->run || make_fifo(c, &ic, err) == 0) &&
      make_channel(c, &ic, err) == 0) {
    take_made_ns(c, &ic);
    rc = clone_init(c, &ic, err);
  }
  if (rc < 0 && c->sock >= 0)
    prefer_child_error(c->sock, err);
  init_ctx_release(&ic, s->n_mounts);
  /* The first stage exits once it has forked the init; on failure it is killed. */
  if (c->stage1 > 0) {
    if (rc < 0)
      kill(c->stage1, SIGKILL);
    waitpid(c->stage1, NULL, 0);
  }
  return rc;
}

/* Without a mount namespace the init leaves its rootfs bind (and every mount on it) in
 * ours: the mount now at the rootfs, if it is not the one that was there before. */
static void note_host_mount(struct create_ctx *c) {
  if (c->spec->ns_present[HULL_NS_MOUNT])
    return;
  uint64_t now = hull_mount_id(c->spec->root_path);
  c->st.host_mount_id = now != c->rootfs_mount_before ? now : 0;
}

static void create_cleanup(struct create_ctx *c) {
  hull_err e = NULL; /* best effort: the create already failed with its own error */
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
  }
  if (c->spec != NULL) {
    note_host_mount(c);
    if (hull_rootfs_release_host_mount(c->spec->root_path, c->st.host_mount_id, &e) < 0) {
      hull_warn("%s", e->msg);
      hull_error_release(&e);
    }
  }
  if (c->cg && hull_cgroup_destroy(c->cg, &e) < 0) {
    hull_warn("%s", e->msg);
    hull_error_release(&e);
  }
  if (c->state_dir_made && hull_state_dir_remove(c->rt->root, c->o->id, &e) < 0) {
    hull_warn("%s", e->msg);
    hull_error_release(&e);
  }
  if (!c->state_dir_made && c->new_dir[0] != '\0')
    hull_state_dir_abandon(c->rt->root, c->new_dir);
}

/* How the binary of the process that starts the container is kept out of the
 * container's reach (selfexe.h, CVE-2019-5736): it fails closed. A container created and
 * started in one go with a new pid namespace goes through hull-exec, if the seccomp
 * profile lets hull-exec mark the sync socket close-on-exec and be executed from its fd;
 * anything else needs the caller to run from a sealed copy of its binary already, and is
 * refused otherwise, before anything is made (the caller may then re-execute itself
 * sealed with hull_rt_seal_self and try again). */
static int protect_binary(struct create_ctx *c, hull_err *err) {
  const struct hull_spec *s = c->spec;
  bool new_pidns = s->ns_present[HULL_NS_PID] && s->namespaces[HULL_NS_PID].path == NULL;
  /* An AppArmor profile or SELinux label switches at the init's next execve, which must
   * be the container's process: not hull-exec, a host file it may not be allowed to run. */
  if (c->o->run && new_pidns && !hull_lsm_wanted_p(&s->process) && hull_seccomp_allows(c->seccomp, "execveat") &&
      hull_seccomp_allows(c->seccomp, "fcntl")) {
    hull_debug("create: the process is executed through hull-exec");
    c->trampoline_fd = hull_selfexe_trampoline(err);
    return c->trampoline_fd < 0 ? -1 : 0;
  }
  if (hull_selfexe_protected_p()) {
    hull_debug("create: the runtime runs from a sealed copy");
    return 0;
  }
  return hull_selfexe_refuse(err);
}

/* config.json (or the caller's spec) parsed into c->spec; bundle: the bundle's real path. */
static int load_spec(struct create_ctx *c, char bundle[PATH_MAX], hull_err *err) {
  const struct hull_create_opts *o = c->o;
  if (hull_id_validate(o->id, err) < 0)
    return -1;
  if (realpath(o->bundle ? o->bundle : ".", bundle) == NULL)
    return hull_error_sys(err, "bundle %s", o->bundle ? o->bundle : ".");
  if (o->config != NULL) {
    size_t len;
    cleanup_free char *text = hull_read_file(o->config, &len, err);
    if (text == NULL || hull_spec_parse(text, len, bundle, &c->spec, err) < 0)
      return -1;
  } else if (o->config_text != NULL) {
    if (hull_spec_parse(o->config_text, o->config_len, bundle, &c->spec, err) < 0)
      return -1;
  } else if (hull_spec_load(bundle, &c->spec, err) < 0) {
    return -1;
  }
  if (!c->spec->has_process)
    return hull_error(err, 0, "process: missing in config.json");
  return 0;
}

static int prepare(struct create_ctx *c, const char *bundle, hull_err *err) {
  char cache_dir[PATH_MAX];
  const struct hull_create_opts *o = c->o;
  if (hull_hooks_validate(c->spec->hooks, err) < 0 || hull_lsm_prepare(c->spec, err) < 0 ||
      hull_seccomp_compile_cached(c->spec->seccomp, hull_seccomp_cache_dir(c->rt->root, cache_dir, sizeof(cache_dir)),
                                  &c->seccomp, err) < 0 ||
      hull_seccomp_check_runtime(c->seccomp, !c->spec->process.no_new_privileges, err) < 0 ||
      (c->spec->ns_present[HULL_NS_PID] && c->spec->namespaces[HULL_NS_PID].path != NULL &&
       hull_seccomp_check_joining(c->seccomp, c->spec->process.terminal, err) < 0) ||
      protect_binary(c, err) < 0)
    return -1;
  const char *manager = c->rt->systemd_cgroup ? "systemd" : "cgroupfs";
  if (hull_cgroup_new(c->spec->cgroups_path, o->id, manager, &c->cg, err) < 0)
    return -1;
  now_rfc3339(c->created, sizeof(c->created));
  c->st = (struct hull_state){.id = (char *)o->id,
                              .bundle = strdup(bundle),
                              .rootfs = c->spec->root_path,
                              .created = c->created,
                              .annotations = c->spec->annotations,
                              .systemd_cgroup = c->rt->systemd_cgroup};
  return 0;
}

/* The device cgroup rules the container gets, as runc builds them: the configured
 * rules, then the devices every container needs (and mknod of any node, so that
 * /dev can be populated). linux.devices entries get no rule of their own: a node
 * the config creates is usable only if linux.resources.devices allows it. */
static void add_default_device_rules(struct hull_spec *s) {
  if (s->resources == NULL) {
    json_t *linux_ = json_object_get(s->json, "linux");
    if (linux_ == NULL)
      return;
    json_object_set_new(linux_, "resources", json_object());
    s->resources = json_object_get(linux_, "resources");
  }
  json_t *rules = json_object_get(s->resources, "devices");
  if (!json_is_array(rules)) {
    /* No device rules at all: the device cgroup is left open, as in runc. */
    return;
  }
  static const struct {
    const char *type;
    int major, minor;
    const char *access;
  } defaults[] = {{"c", -1, -1, "m"},    {"b", -1, -1, "m"}, {"c", 1, 3, "rwm"}, {"c", 1, 8, "rwm"},
                  {"c", 1, 7, "rwm"},    {"c", 5, 0, "rwm"}, {"c", 1, 5, "rwm"}, {"c", 1, 9, "rwm"},
                  {"c", 136, -1, "rwm"}, {"c", 5, 2, "rwm"}};
  for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
    json_t *r = json_pack("{s:b, s:s, s:s}", "allow", 1, "type", defaults[i].type, "access", defaults[i].access);
    if (defaults[i].major >= 0)
      json_object_set_new(r, "major", json_integer(defaults[i].major));
    if (defaults[i].minor >= 0)
      json_object_set_new(r, "minor", json_integer(defaults[i].minor));
    json_array_append_new(rules, r);
  }
}

static int copy_config(int dfd, const char *bundle, const struct hull_create_opts *o, hull_err *err) {
  if (o->config_text != NULL)
    return hull_write_file_atomic_at(dfd, "config.json", o->config_text, o->config_len, false, err);
  const char *config = o->config;
  char src[PATH_MAX];
  if (config != NULL)
    snprintf(src, sizeof(src), "%s", config);
  else
    snprintf(src, sizeof(src), "%s/config.json", bundle);
  size_t len;
  cleanup_free char *text = hull_read_file(src, &len, err);
  if (text == NULL)
    return -1;
  return hull_write_file_atomic_at(dfd, "config.json", text, len, false, err);
}

/* Takes the id with everything an interrupted create needs to be found and deleted
 * afterwards, before any cgroup or process exists: state.json says "creating" (and who
 * creates), and names the cgroup directories the create is going to make. The directory
 * is built aside and renamed into place, locked (delete waits for us), so that the id
 * never exists without its state. */
static int record_intent(struct create_ctx *c, hull_err *err) {
  const struct hull_runtime *rt = c->rt;
  c->lock_fd = hull_state_dir_begin(rt->root, 3 + c->o->preserve_fds, c->new_dir, sizeof(c->new_dir), err);
  if (c->lock_fd < 0) {
    c->new_dir[0] = '\0';
    return -1;
  }
  c->st.creating = true;
  c->st.creator = getpid();
  c->st.creator_start = hull_proc_start_time(c->st.creator);
  c->st.cgroup = hull_cgroup_to_json_planned(c->cg);
  c->st.config_in_bundle = c->o->config_in_bundle;
  c->st.hooks = c->spec->hooks ? json_incref(c->spec->hooks) : json_object();
  int rc = -1;
  if (c->st.cgroup == NULL || c->st.hooks == NULL)
    hull_error(err, ENOMEM, "state of %s", c->o->id);
  else if ((c->o->config_in_bundle || copy_config(c->lock_fd, c->st.bundle, c->o, err) == 0) &&
           hull_state_write_at(c->lock_fd, &c->st, err) == 0 &&
           hull_state_dir_publish(rt->root, c->new_dir, c->o->id, err) == 0)
    rc = 0;
  json_decref(c->st.cgroup);
  c->st.cgroup = NULL;
  c->st.creating = false;
  if (rc == 0) {
    c->state_dir_made = true;
    c->new_dir[0] = '\0';
  }
  return rc;
}

static void free_ctx(struct create_ctx *c) {
  free(c->st.bundle);
  json_decref(c->st.hooks);
  if (c->lock_fd >= 0)
    close(c->lock_fd);
  if (c->pty_master >= 0)
    close(c->pty_master);
  if (c->sock >= 0)
    close(c->sock);
  if (c->trampoline_fd >= 0)
    close(c->trampoline_fd);
  ns_drop_all(c);
  /* The verified procfs handle was for the child (and the id maps): the caller's fds
   * are left as they were. */
  hull_procfs_close();
  hull_cgroup_free(c->cg);
  hull_seccomp_free(c->seccomp);
  hull_spec_free(c->spec);
}

/* create must not succeed with a dead init (`start` would then only find a stopped
 * container): the init is our child, so its death is seen here without a race on its
 * pid. The errors it could report went to the sync socket before it said ready. */
static bool init_exited(struct create_ctx *c, hull_err *err) {
  int status;
  if (waitpid(c->pid, &status, WNOHANG) != c->pid)
    return false;
  pid_t pid = c->pid;
  c->pid = 0; /* reaped: never signal that number again */
  if (WIFSIGNALED(status))
    hull_error(err, ECHILD, "the container's init (pid %d) was killed by signal %d before create returned", (int)pid,
               WTERMSIG(status));
  else
    hull_error(err, ECHILD, "the container's init (pid %d) exited with status %d before create returned", (int)pid,
               WEXITSTATUS(status));
  return true;
}

/* Writes state.json: at once, or (staged not NULL) aside, for record_publish. */
static int record(struct create_ctx *c, struct hull_state_staged *staged, hull_err *err) {
  c->st.cgroup = hull_cgroup_to_json(c->cg);
  int wr = staged ? hull_state_stage(c->rt->root, &c->st, staged, err) : hull_state_write(c->rt->root, &c->st, err);
  json_decref(c->st.cgroup);
  c->st.cgroup = NULL;
  if (wr < 0 || staged)
    return wr;
  /* The container is complete: delete (and a foreground run's own) may proceed. */
  if (c->lock_fd >= 0)
    close(take_fd(&c->lock_fd));
  return 0;
}

static int record_publish(struct create_ctx *c, struct hull_state_staged *staged, hull_err *err) {
  if (hull_state_publish(staged, err) < 0)
    return -1;
  if (c->lock_fd >= 0)
    close(take_fd(&c->lock_fd));
  return 0;
}

/* run: the child goes straight on to execve; an error from there arrives on the sync
 * socket, success closes it. */
static int await_exec(struct create_ctx *c, hull_err *err) {
  struct hull_sync_msg msg;
  hull_err eof = NULL;
  if (hull_sync_recv(c->sock, &msg, &eof) < 0) {
    hull_error_release(&eof); /* EOF: the container process exec'd */
    return 0;
  }
  int rc = 0;
  if (msg.type == HULL_SYNC_ERROR) {
    rc = hull_error_from_msg(err, msg.value, 0, msg.payload);
  } else if (msg.type == HULL_SYNC_EXEC_ERROR) {
    errno = msg.value;
    rc = hull_error_sys(err, "%s", msg.payload ? msg.payload : "exec");
  }
  hull_sync_msg_clear(&msg);
  return rc;
}

/* Everything of create from the state directory on; on failure, the caller undoes it. */
static int create_steps(struct create_ctx *c, hull_err *err) {
  const struct hull_create_opts *o = c->o;
  if (record_intent(c, err) < 0)
    return -1;
  hull_debug("create: state dir ready");
  add_default_device_rules(c->spec);
  /* The init enters its cgroup at birth (clone3 into the cgroup2 one, a write of "0" to
   * each v1 `tasks`), so it must exist first; a systemd scope needs the init's pid and is
   * made while the child sets up its mounts (clone_init). */
  c->cg_v1_late = hull_cgroup_v1_late_p(c->cg);
  if (c->cg_v1_late ? hull_cgroup_create_v2_part(c->cg, err) < 0 || cgroup_v1_early(c, err) < 0
                    : hull_cgroup_precreate_p(c->cg) && hull_cgroup_create(c->cg, c->spec->resources, err) < 0)
    return -1;
  hull_debug("create: cgroup created");
  if (spawn_init(c, err) < 0)
    return -1;
  note_host_mount(c);
  c->st.pid = c->pid;
  if (c->st.start_time == 0)
    c->st.start_time = hull_proc_start_time(c->pid);
  /* Through hull-exec, the container is recorded (and so can be joined by `exec`) only
   * once its init no longer runs the runtime's binary. */
  if (c->trampoline_fd < 0 && record(c, NULL, err) < 0)
    return -1;
  if (!o->run)
    return init_exited(c, err) ? -1 : 0;
  /* Its text is known now: written while the init execs, published when it has. */
  struct hull_state_staged staged = {.dfd = -1};
  if (c->trampoline_fd >= 0 && record(c, &staged, err) < 0)
    return -1;
  if (await_exec(c, err) < 0 || (c->trampoline_fd >= 0 && record_publish(c, &staged, err) < 0)) {
    hull_state_drop(&staged);
    return -1;
  }
  static const char *const poststart[] = {"poststart", NULL};
  if (hull_hooks_any(c->spec->hooks, poststart)) {
    cleanup_free char *sj = state_json_string(c, HULL_RUNNING);
    hull_hooks_run_warn(c->spec->hooks, "poststart", sj ? sj : "{}");
  }
  return 0;
}

int hull_container_create(const struct hull_runtime *rt, const struct hull_create_opts *o, struct hull_proc *out,
                          hull_err *err) {
  struct create_ctx c = {.rt = rt, .o = o, .sock = -1, .pty_master = -1, .trampoline_fd = -1, .lock_fd = -1};
  for (int t = 0; t < HULL_NS_COUNT; t++)
    c.ns.fd[t] = -1;
  *out = (struct hull_proc){.pid = -1, .pidfd = -1, .pty_master = -1};
  char bundle[PATH_MAX];
  int rc = load_spec(&c, bundle, err);
  if (rc == 0) {
    hull_debug("create: config loaded");
    ns_start(&c);
    rc = prepare(&c, bundle, err);
  }
  if (rc == 0) {
    rc = create_steps(&c, err);
    if (rc < 0)
      create_cleanup(&c);
  }
  if (rc == 0) {
    /* The caller's child until it reaps it: the pid cannot be reused before then. */
    *out = (struct hull_proc){
        .pid = c.pid, .pidfd = (int)syscall(SYS_pidfd_open, c.pid, 0), .pty_master = take_fd(&c.pty_master)};
  }
  free_ctx(&c);
  return rc;
}
