/* The container lifecycle: create (record, directory, rootfs, config.json), start (the
 * monitor), stop, kill, rm, wait, pause, rename. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/bundle.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "engine/network.h"
#include "engine/nsjoin.h"
#include "engine/userns.h"
#include "engine/volume.h"
#include "image/image.h"
#include "storage/overlay.h"
#include "storage/rmtree.h"

#define OVERLAYFS_MAGIC 0x794c7630

/* ---- rootfs ---- */

static bool mounted(const char *path) {
  struct statfs sf;
  return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == OVERLAYFS_MAGIC;
}

/* The image's layers (top first) under the container's own writable layer: the storage
 * module's overlay (src/storage/overlay.h), which records the storage and keeps the layers
 * while the container exists. */
static int mount_rootfs(hull_engine *e, const hull_ctr *c, hull_err *err) {
  cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
  if (rootfs == NULL)
    return hull_error(err, ENOMEM, "mount rootfs");
  if (mounted(rootfs))
    return 0;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx DESC", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, c->image_id, -1, SQLITE_TRANSIENT);
  cleanup_strv char **layers = calloc(1, sizeof(char *));
  size_t n = 0;
  int rc;
  while (layers && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    char **nl = realloc(layers, (n + 2) * sizeof(char *));
    if (nl == NULL)
      return hull_error(err, ENOMEM, "mount rootfs");
    layers = nl;
    layers[n++] = strdup((const char *)sqlite3_column_text(st, 0));
    layers[n] = NULL;
  }
  if (layers == NULL)
    return hull_error(err, ENOMEM, "mount rootfs");
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "layers of the image", err);
  if (n == 0)
    return hull_error(err, ENOENT, "image %s has no layers", c->image_id);
  hull_userns u;
  if (hull_ctr_userns(e, c, &u, err) < 0)
    return -1;
  /* Writable even for --read-only: the runtime makes the root read-only after creating the
   * mount points it needs (Docker's way), which a read-only overlay would refuse. */
  /* --rm: its writable layer goes with it, and skips overlay's syncs (storage/overlay.h). */
  unsigned flags = json_is_true(json_object_get(c->host_config, "AutoRemove")) ? HULL_OVERLAY_VOLATILE : 0;
  /* The mount points of the config (bundle.c) from the image's shared init layer: no copy-up
   * of /etc and no files made and removed per container. */
  flags |= HULL_OVERLAY_INIT;
  if (!u.on)
    return hull_overlay_mount_ex(e->store, (const char *const *)layers, n, c->id, rootfs, false, NULL, flags, err);
  hull_overlay_idmap idmap = {.root_uid = hull_idmap_host(u.uid, u.n_uid, 0),
                              .root_gid = hull_idmap_host(u.gid, u.n_gid, 0)};
  if (idmap.root_uid == (uid_t)UINT32_MAX || idmap.root_gid == (gid_t)UINT32_MAX) {
    hull_error_code(err, EINVAL, "the user namespace of container %s does not map root (container id 0)", c->name);
    (*err)->status = 125;
    return -1;
  }
  cleanup_close int nsfd = hull_userns_fd(&u, err);
  if (nsfd < 0)
    return -1;
  idmap.userns_fd = nsfd;
  /* The runtime reaches the rootfs by its name from the container's directory (its cwd,
   * entered as host root), but looks the name up as the container's root, who needs the
   * search bit there. The store above stays 0700: no other host user gets further. */
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  if (dir == NULL || chmod(dir, 0711) < 0)
    return hull_error_sys(err, "chmod %s", dir ? dir : "container directory");
  return hull_overlay_mount_ex(e->store, (const char *const *)layers, n, c->id, rootfs, false, &idmap, flags, err);
}

int hull_ctr_rootfs_open(hull_engine *e, const hull_ctr *c, hull_err *err) {
  if (mount_rootfs(e, c, err) < 0)
    return -1;
  cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
  if (rootfs == NULL)
    return hull_error(err, ENOMEM, "open rootfs");
  int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? hull_error_sys(err, "open %s", rootfs) : fd;
}

static void unmount_rootfs(hull_engine *e, const char *id) {
  cleanup_free char *rootfs = hull_ctr_path(e, id, "rootfs");
  if (rootfs && mounted(rootfs) && umount2(rootfs, MNT_DETACH) < 0)
    hull_debug("umount %s: %m", rootfs);
}

/* ---- create ---- */

int hull_ctr_write_file(hull_engine *e, const char *id, const char *name, const char *data, hull_err *err) {
  cleanup_free char *dir = hull_ctr_path(e, id, NULL);
  if (dir == NULL)
    return hull_error(err, ENOMEM, "%s", name);
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  if (hull_write_file_atomic_at(dfd, name, data, strlen(data), false, err) < 0) {
    hull_error_wrap(err, "%s", dir); /* the error names only the file */
    return -1;
  }
  return 0;
}

/* The container's directory holds only its root filesystem's mount point at create:
 * /etc/hostname, /etc/hosts and /etc/resolv.conf are written by the network's setup at
 * every start (hull_ctr_net_up), which replaced whatever create had written before any
 * process could read it. Writing them here too made three files (each a temporary file
 * and a rename) that only lived until the start, costing a `run --rm` three inode
 * allocations on the store's file system. */
static int ctr_files(const char *dir, hull_err *err) {
  cleanup_free char *p = NULL;
  if (asprintf(&p, "%s/rootfs", dir) < 0)
    return hull_error(err, ENOMEM, "create");
  if (mkdir(p, 0700) < 0 && errno != EEXIST)
    return hull_error_sys(err, "mkdir %s", p);
  return 0;
}

/* Docker's words for a name another container has, with that container's id (left out
 * when it cannot be read); sets *err. prefix: rename's "Error when allocating new name: ". */
static void name_conflict(hull_engine *e, const char *prefix, const char *name, hull_err *err) {
  cleanup_stmt sqlite3_stmt *q = hull_store_prepare(e->store, "SELECT id FROM containers WHERE name = ?", err);
  const char *other = "";
  if (q) {
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
      other = (const char *)sqlite3_column_text(q, 0);
  } else {
    hull_error_release(err); /* only the other container's id is missing from the message */
  }
  hull_error_code(err, EEXIST,
                  "%sConflict. The container name \"/%s\" is already in use by container \"%s\". You have to remove "
                  "(or rename) that container to be able to reuse that name.",
                  prefix, name, other);
}

static int insert_row(hull_engine *e, hull_ctr *c, const char *given_name, hull_err *err) {
  cleanup_free char *cfg = json_dumps(c->config, JSON_COMPACT);
  cleanup_free char *hc = json_dumps(c->host_config, JSON_COMPACT);
  for (int attempt = 0;; attempt++) {
    char name[128];
    if (given_name)
      snprintf(name, sizeof(name), "%s", given_name);
    else if (attempt < 8)
      hull_random_name(name, sizeof(name));
    else {
      char base[100];
      hull_random_name(base, sizeof(base));
      snprintf(name, sizeof(name), "%s%d", base, attempt);
    }
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
        e->store,
        "INSERT INTO containers (id, name, image_id, image_name, created, state, config, host_config, pid, "
        "pid_start) VALUES (?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?)",
        err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, c->image_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->image_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, c->created);
    sqlite3_bind_text(st, 6, cfg, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, hc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, c->pid);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)c->pid_start);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      c->name = strdup(name);
      return 0;
    }
    if (rc != SQLITE_CONSTRAINT || sqlite3_extended_errcode(e->store->db) != SQLITE_CONSTRAINT_UNIQUE)
      return hull_store_sqlerr(e->store, "record the container", err);
    if (given_name) {
      name_conflict(e, "", name, err);
      (*err)->status = 125;
      return -1;
    }
  }
}

static int set_state(hull_engine *e, const char *id, const char *state, pid_t pid, unsigned long long start,
                     int64_t started_at, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      e->store,
      started_at ? "UPDATE containers SET state = ?, pid = ?, pid_start = ?, started_at = ? WHERE id = ?"
                 : "UPDATE containers SET state = ?, pid = ?, pid_start = ? WHERE id = ?",
      err);
  if (st == NULL)
    return -1;
  int i = 1;
  sqlite3_bind_text(st, i++, state, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, i++, pid);
  sqlite3_bind_int64(st, i++, (sqlite3_int64)start);
  if (started_at)
    sqlite3_bind_int64(st, i++, started_at);
  sqlite3_bind_text(st, i, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "update the container", err);
  return 0;
}

static json_t *image_config(hull_engine *e, const char *image_id, hull_err *err) {
  size_t len;
  cleanup_free char *blob = hull_blob_read(e->store, image_id, &len, err);
  if (blob == NULL)
    return NULL;
  json_error_t je;
  cleanup_json json_t *j = json_loadb(blob, len, 0, &je);
  if (j == NULL) {
    hull_error_code(err, EINVAL, "image config %s: %s", image_id, je.text);
    return NULL;
  }
  json_t *c = json_object_get(j, "config");
  return c ? json_incref(c) : json_object();
}

static void wait_runtime_delete(hull_engine *e, const char *id, pid_t monitor, unsigned long long monitor_start);

/* Everything of a container on disk, then its row. Safe at any point of a crashed create.
 * monitor: a monitor doing the runtime's delete meanwhile, waited for before the row goes. */
static int destroy(hull_engine *e, const char *id, pid_t monitor, unsigned long long monitor_start, hull_err *err) {
  unmount_rootfs(e, id);
  if (hull_ctr_net_down(e, id, err) < 0)
    return -1;
  cleanup_free char *cdir = hull_ctr_path(e, "", NULL), *rdir = hull_ctr_run_path(e, "", NULL);
  cleanup_close int cfd = cdir ? open(cdir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  cleanup_close int rfd = rdir ? open(rdir, O_DIRECTORY | O_RDONLY | O_CLOEXEC) : -1;
  if (cfd < 0 || rfd < 0)
    return hull_error_sys(err, "open %s", cdir ? cdir : "containers");
  if (hull_overlay_remove(e->store, id, err) < 0 || hull_rm_rf_dir_at(cfd, id, err) < 0 ||
      hull_rm_rf_dir_at(rfd, id, err) < 0)
    return -1;
  if (monitor > 0)
    wait_runtime_delete(e, id, monitor, monitor_start);
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(e->store, "DELETE FROM containers WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "remove the container's record", err);
  return 0;
}

/* Deleting must work on a full disk, yet SQLite needs a few free pages (its write-ahead
 * log) even to delete a row: a write that failed for want of space is retried once after
 * the store's reserve (src/image/store.c) is given up. True when it is worth a retry. */
static bool retry_with_reserve(hull_engine *e, hull_err *err) {
  if (*err == NULL || (*err)->errno_ != ENOSPC || !hull_store_release_reserve(e->store))
    return false;
  hull_error_release(err);
  return true;
}

static int destroy_all(hull_engine *e, const char *id, pid_t monitor, unsigned long long monitor_start, hull_err *err) {
  if (destroy(e, id, monitor, monitor_start, err) < 0 &&
      (!retry_with_reserve(e, err) || destroy(e, id, monitor, monitor_start, err) < 0))
    return -1;
  return 0;
}

static int prepare_disk(hull_engine *e, hull_ctr *c, hull_err *err) {
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  if (dir == NULL)
    return hull_error(err, ENOMEM, "create");
  if (mkdir(dir, 0700) < 0)
    return hull_error_sys(err, "mkdir %s", dir);
  if (ctr_files(dir, err) < 0 || mount_rootfs(e, c, err) < 0)
    return -1;
  cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
  cleanup_close int rootfd = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return hull_error_sys(err, "open %s", rootfs);
  cleanup_free char *netns = hull_ctr_netns_path(e, c);
  hull_userns u;
  if (hull_ctr_userns(e, c, &u, err) < 0)
    return -1;
  hull_bundle_in in = {.id = c->id,
                       .netns_path = netns,
                       .userns = u.on ? &u : NULL,
                       .config = c->config,
                       .host_config = c->host_config,
                       .rootfd = rootfd,
                       .ctr_dir = dir,
                       .memory_v1 = access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0};
  cleanup_json json_t *spec = hull_bundle_generate(&in, err);
  if (spec == NULL || hull_volumes_copy_up(e, c->id, rootfd, c->host_config, err) < 0)
    return -1;
  /* Compact: 9.5 KB instead of 14.5 with JSON_INDENT(1) for busybox, dumped here and
   * parsed by the runtime at every start about a fifth faster. */
  cleanup_free char *text = json_dumps(spec, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "config.json");
  /* In place, not through a temporary file: the directory was made above, and the row says
   * 'creating' until set_state, so a crash in the middle leaves what rm -f and prune clean
   * up, and nothing reads the file before. */
  cleanup_close int dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  if (hull_write_file_new_at(dfd, "config.json", text, strlen(text), err) < 0) {
    hull_error_wrap(err, "%s", dir); /* the error names only the file */
    return -1;
  }
  return 0;
}

int hull_ctr_create(hull_engine *e, const hull_run_opts *opts, hull_ctr **out, hull_err *err) {
  char image_id[HULL_DIGEST_LEN + 1];
  if (hull_verify_resources(opts->host_config, false, err) < 0) {
    (*err)->status = 125;
    return -1;
  }
  if (hull_image_resolve(e->store, opts->image, image_id, NULL, err) < 0) {
    hull_error_release(err);
    hull_error_code(err, ENOENT, "Unable to find image '%s' locally: No such image", opts->image);
    (*err)->status = 125;
    return -1;
  }
  cleanup_ctr hull_ctr *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return hull_error(err, ENOMEM, "create");
  c->image_id = strdup(image_id);
  c->image_name = strdup(opts->image);
  c->state = strdup("creating");
  c->config = json_deep_copy(opts->config);
  c->host_config = json_deep_copy(opts->host_config);
  c->created = hull_now_ns();
  c->pid = getpid();
  c->pid_start = hull_self_start_time();
  cleanup_json json_t *icfg = image_config(e, image_id, err);
  if (icfg == NULL || hull_config_merge_image(c->config, icfg, opts->entrypoint_set, err) < 0)
    return -1;
  if (hull_new_id(c->id, err) < 0 || hull_ctr_net_prepare(e, c, err) < 0 || hull_ctr_ns_prepare(e, c, err) < 0 ||
      hull_volumes_name_anonymous(c->config, c->host_config, err) < 0)
    return -1;
  /* The row first (with this process as its owner): a crash from here on leaves a record
   * that says what to clean up. */
  if (insert_row(e, c, opts->name, err) < 0)
    return -1;
  if (hull_ctr_userns_alloc(e, c, err) < 0 || hull_volumes_attach(e, c->id, c->host_config, err) < 0 ||
      prepare_disk(e, c, err) < 0 || set_state(e, c->id, "created", 0, 0, 0, err) < 0) {
    hull_err e2 = NULL;
    if (destroy_all(e, c->id, 0, 0, &e2) < 0)
      hull_error_release(&e2); /* the row stays 'creating' with a dead owner: rm -f and prune finish it */
    return -1;
  }
  free(c->state);
  c->state = strdup("created");
  c->pid = 0;
  c->pid_start = 0;
  c->status = HULL_CTR_CREATED;
  c->created_here = true;
  hull_event_ctr(e, c, "create", NULL);
  *out = steal_pointer(&c);
  return 0;
}

/* ---- start ---- */

/* monitor.json, handed to the monitor as a sealed-in-memory file (*fd, a memfd) rather than
 * written into the container's directory: only the monitor reads it, once at its start
 * (and again at a sealed re-exec, rt.c), and a file on the store's disk cost every start
 * an inode, a rename and its removal. */
static int monitor_json(hull_engine *e, hull_ctr *c, bool detached, int *fd, hull_err *err) {
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL), *run = hull_ctr_run_path(e, c->id, NULL);
  if (dir == NULL || run == NULL || hull_mkdir_p(run, 0700, err) < 0)
    return *err ? -1 : hull_error(err, ENOMEM, "monitor.json");
  cleanup_free char *self = NULL, *p_log = NULL, *p_sock = NULL, *p_exit = NULL, *p_pid = NULL, *rt = NULL;
  if (asprintf(&self, "%s/hull", e->bindir) < 0 || asprintf(&p_log, "%s/ctr.log", dir) < 0 ||
      asprintf(&p_sock, "%s/attach.sock", run) < 0 || asprintf(&p_exit, "%s/exit.json", dir) < 0 ||
      asprintf(&p_pid, "%s/monitor.pid", run) < 0 || asprintf(&rt, "%s/runtime", e->runroot) < 0)
    return hull_error(err, ENOMEM, "monitor.json");
  const json_t *rp = json_object_get(c->host_config, "RestartPolicy");
  const char *sig = json_string_value(json_object_get(c->config, "StopSignal"));
  int stop_signal = sig ? hull_parse_signal(sig) : SIGTERM;
  const json_t *h = json_object_get(c->config, "Healthcheck");
  cleanup_free char *rootfs = hull_ctr_path(e, c->id, "rootfs");
  if (rootfs == NULL)
    return hull_error(err, ENOMEM, "monitor.json");
  /* --rm: a detached container is removed by its monitor (remove_cmd); a foreground run's
   * by this command once the container ended: the monitor does no teardown of its own
   * while this command lives (engine_removes), and removes what is left only once it is
   * gone (owner_pid below: after a detach or a kill). No fsync of exit.json for either. */
  bool auto_remove = json_is_true(json_object_get(c->host_config, "AutoRemove"));
  /* --log-opt max-size/max-file: validated at create, so a value that no longer parses
   * (a record edited by hand) means no rotation rather than a container that cannot start. */
  int64_t log_size = 0, log_files = 1;
  const char *mf = json_string_value(
      json_object_get(json_object_get(json_object_get(c->host_config, "LogConfig"), "Config"), "max-file"));
  if (hull_log_max_size(c->host_config, &log_size) < 0)
    log_size = 0;
  if (mf && hull_parse_int64(mf, &log_files) < 0)
    log_files = 1;
  cleanup_json json_t *m = json_pack(
      "{s:s, s:s, s:s, s:b, s:s, s:I, s:i, s:s, s:s, s:s, s:b, s:b, s:{s:s, s:I}, s:i, s:b,"
      " s:b, s:i, s:s, s:[[s, s, s, s, s, s, s, s]], s:[s, s, s, s, s, s, s, s]}",
      "id", c->id, "bundle", dir, "runtime_root", rt, "systemd_cgroup", 0, "log_path", p_log, "log_max_size",
      (json_int_t)log_size, "log_max_file", (int)log_files, "attach_socket", p_sock, "exit_file", p_exit, "pid_file",
      p_pid, "interactive", json_is_true(json_object_get(c->config, "OpenStdin")), "tty",
      json_is_true(json_object_get(c->config, "Tty")), "restart", "policy",
      json_string_value(json_object_get(rp, "Name")) ?: "no", "max_retries",
      json_integer_value(json_object_get(rp, "MaximumRetryCount")), "stop_signal", stop_signal > 0 ? stop_signal : 15,
      "auto_remove", auto_remove, "engine_removes", !detached && auto_remove, "engine_pid", (int)getpid(), "unmount",
      rootfs, "teardown", self, "--root", e->root, "--runroot", e->runroot, "network", "teardown", c->id, "remove_cmd",
      self, "--root", e->root, "--runroot", e->runroot, "rm", "-f", c->id);
  if (m == NULL)
    return hull_error(err, ENOMEM, "monitor.json");
  /* A foreground run attaches after `started` (engine/attach.c): the monitor keeps the
   * output until then, and the end of the caller's input ends the container's (-i). */
  /* --rm: the monitor removes the container at its end, after a foreground CLI (which
   * removes it itself once it has the exit code) is gone: detached, exited or killed. */
  pid_t self_pid = getpid();
  if (json_object_set_new(m, "owner_pid", json_integer(detached ? 0 : self_pid)) < 0 ||
      json_object_set_new(m, "owner_start", json_integer(detached ? 0 : (json_int_t)hull_self_start_time())) < 0 ||
      json_object_set_new(m, "attach_window_ms", json_integer(detached ? 0 : HULL_ATTACH_WINDOW_MS)) < 0 ||
      json_object_set_new(m, "stdin_once",
                          json_boolean(!detached && json_is_true(json_object_get(c->config, "StdinOnce")))) < 0)
    return hull_error(err, ENOMEM, "monitor.json");
  /* The monitor records die and oom in the event journal, named as the engine's events. */
  json_t *attrs = hull_event_ctr_attrs(c, NULL);
  if (attrs == NULL || json_object_set_new(m, "event_attrs", attrs) < 0 ||
      json_object_set_new(m, "events_root", json_string(e->root)) < 0)
    return hull_error(err, ENOMEM, "monitor.json");
  if (json_is_array(json_object_get(h, "Test")) &&
      strcmp(json_string_value(json_array_get(json_object_get(h, "Test"), 0)) ?: "", "NONE") != 0) {
    json_int_t retries = json_integer_value(json_object_get(h, "Retries"));
    json_object_set_new(m, "health",
                        json_pack("{s:O, s:I, s:I, s:I, s:I}", "cmd", json_object_get(h, "Test"), "interval_ns",
                                  json_integer_value(json_object_get(h, "Interval")), "timeout_ns",
                                  json_integer_value(json_object_get(h, "Timeout")), "retries", retries ? retries : 3,
                                  "start_period_ns", json_integer_value(json_object_get(h, "StartPeriod"))));
  }
  /* Whether the container has a pid namespace of its own, which the monitor needs to know
   * (CVE-2019-5736, monitor/rt.c) and would otherwise parse the whole config.json for. */
  const char *pid_mode = json_string_value(json_object_get(c->host_config, "PidMode")) ?: "";
  bool private_pid = strcmp(pid_mode, "host") != 0 && !hull_str_has_prefix(pid_mode, "container:");
  if (json_object_set_new(m, "private_pid_ns", json_boolean(private_pid)) < 0)
    return hull_error(err, ENOMEM, "monitor.json");
  cleanup_free char *text = json_dumps(m, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "monitor.json");
  cleanup_close int mfd = memfd_create("monitor.json", MFD_CLOEXEC);
  if (mfd < 0)
    return hull_error_sys(err, "memfd_create monitor.json");
  if (hull_write_all(mfd, text, strlen(text)) < 0)
    return hull_error_sys(err, "write monitor.json");
  *fd = take_fd(&mfd);
  return 0;
}

/* Reads the monitor's one status line. */
static int read_status(int fd, char *buf, size_t len) {
  size_t n = 0;
  while (n + 1 < len) {
    ssize_t r = read(fd, buf + n, 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || buf[n] == '\n')
      break;
    n++;
  }
  buf[n] = '\0';
  return (int)n;
}

static void wait_monitor(hull_engine *e, const char *id, int timeout_ms);

/* A start that failed after the network and rootfs were made undoes both. */
static void start_failed(hull_engine *e, const char *id) {
  unmount_rootfs(e, id);
  hull_err local = NULL;
  if (hull_ctr_net_down(e, id, &local) < 0) {
    hull_warn("network teardown of %.12s: %s", id, local->msg);
    hull_error_release(&local); /* the start error is the one to report; rm -f retries */
  }
}

int hull_ctr_start(hull_engine *e, hull_ctr *c, hull_err *err) { return hull_ctr_start_ex(e, c, true, err); }

int hull_ctr_start_ex(hull_engine *e, hull_ctr *c, bool detached, hull_err *err) {
  if (c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED)
    return 0;
  /* An ended --rm container whose monitor removes it (its exit file says so) is Docker's
   * "marked for removal" too: a start would race that removal for the rootfs. */
  if (c->status == HULL_CTR_DEAD || c->status == HULL_CTR_REMOVING ||
      (c->status == HULL_CTR_EXITED && c->removal_pending))
    return hull_error_code(err, EINVAL, "container %s is marked for removal and cannot be started", c->id);
  /* What a previous run left: the runtime's state and the exit file. The runtime hears
   * of an id only from a monitor, and monitor_json creates the run directory before any
   * monitor exists, so without that directory (a first start since boot) there is nothing
   * to delete and the runtime's lookup is saved. */
  /* A container this process just created has none of that (engine.h, created_here): its
   * first start saves the look-ups, and the network teardown's statements. */
  bool fresh = c->created_here;
  c->created_here = false;
  cleanup_free char *run_dir = fresh ? NULL : hull_ctr_run_path(e, c->id, NULL);
  if (!fresh && (run_dir == NULL || access(run_dir, F_OK) == 0 || errno != ENOENT))
    hull_engine_rt_forget(e, c->id);
  cleanup_free char *xp = fresh ? NULL : hull_ctr_path(e, c->id, "exit.json");
  if (xp)
    unlink(xp);
  /* The network before the monitor: the runtime joins the namespace by path. The previous
   * run's monitor may still be tearing its network down (objects of the same names): it
   * is let finish; what it left (killed before its teardown) goes first. */
  if (!fresh && c->status != HULL_CTR_RESTARTING)
    wait_monitor(e, c->id, 10000);
  /* A --rm container that ended is removed by its monitor: once that is done there is no
   * directory to mount the rootfs in, and the container is Docker's "No such container". */
  cleanup_free char *dir = hull_ctr_path(e, c->id, NULL);
  if (!fresh && dir && access(dir, F_OK) < 0 && errno == ENOENT)
    return hull_error_code(err, ENOENT, "No such container: %s", c->name);
  hull_ns_joined joined;
  if (hull_ctr_ns_join(e, c, &joined, err) < 0 || (!fresh && hull_ctr_net_down(e, c->id, err) < 0) ||
      mount_rootfs(e, c, err) < 0)
    return -1;
  if (hull_ctr_net_up(e, c, fresh, err) < 0) {
    unmount_rootfs(e, c->id);
    return -1;
  }
  cleanup_close int sfd = -1, mjfd = -1;
  if (monitor_json(e, c, detached, &mjfd, err) < 0 || hull_monitor_spawn(e, c, mjfd, &sfd, err) < 0) {
    start_failed(e, c->id);
    return -1;
  }
  char line[4096];
  read_status(sfd, line, sizeof(line));
  long pid = 0;
  if (sscanf(line, "started %ld", &pid) == 1 && pid > 0) {
    int64_t now = hull_now_ns();
    unsigned long long start = hull_proc_start_time((pid_t)pid);
    if (set_state(e, c->id, "running", (pid_t)pid, start, now, err) < 0)
      return -1;
    c->pid = (pid_t)pid;
    c->pid_start = start;
    c->started_at = now;
    free(c->state);
    c->state = strdup("running");
    c->status = HULL_CTR_RUNNING;
    hull_event_ctr(e, c, "start", NULL);
    if (hull_ctr_ns_recheck(&joined, err) < 0) {
      /* The joined pid may have been another process's: this container must not run in
       * whatever namespace that was. */
      hull_err local = NULL;
      if (hull_ctr_kill(e, c, SIGKILL, &local) < 0)
        hull_error_release(&local);
      return -1;
    }
    return 0;
  }
  int e_no = 0, status = 125, off = 0;
  if (sscanf(line, "error %d %d %n", &e_no, &status, &off) >= 2 && off > 0) {
    start_failed(e, c->id);
    hull_error(err, e_no, "%s", line + off);
    (*err)->status = status;
    return -1;
  }
  /* The monitor died (killed) without a word: the runtime may already have created or
   * started the container, which nobody would reap or stop. Its forced delete kills it. */
  hull_engine_rt_forget(e, c->id);
  start_failed(e, c->id);
  hull_error(err, EIO, "the monitor of %.12s exited without starting the container%s%s", c->id, *line ? ": " : "",
             line);
  (*err)->status = 125;
  return -1;
}

/* ---- stop, kill, wait ---- */

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* Waits until pid (with its start time) is gone; false on timeout. */
static bool wait_gone(pid_t pid, unsigned long long start, int timeout_ms) {
  if (pid <= 0 || hull_proc_start_time(pid) != start)
    return true;
  cleanup_close int pfd = pidfd_open_(pid);
  if (pfd < 0)
    return errno == ESRCH;
  if (hull_proc_start_time(pid) != start)
    return true;
  struct pollfd p = {.fd = pfd, .events = POLLIN};
  int r;
  do
    r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

static void monitor_pid(hull_engine *e, const char *id, pid_t *pid, unsigned long long *start) {
  cleanup_free char *p = hull_ctr_run_path(e, id, "monitor.pid");
  cleanup_file FILE *f = p ? fopen(p, "re") : NULL;
  long v = 0;
  *pid = 0;
  *start = 0;
  if (f && fscanf(f, "%ld %llu", &v, start) >= 1)
    *pid = (pid_t)v;
  /* hull-monitor writes its pid alone: its start time is taken now, which is exact as long
   * as the pid is not reused between its exit and this read (a window of microseconds). */
  if (*pid > 0 && *start == 0)
    *start = hull_proc_start_time(*pid);
}

/* After the container's process is gone: gives its monitor time to write exit.json and
 * tear down, so that what the caller reads next is final. */
static void wait_monitor(hull_engine *e, const char *id, int timeout_ms) {
  pid_t mp;
  unsigned long long ms;
  monitor_pid(e, id, &mp, &ms);
  if (mp > 0 && ms)
    (void)wait_gone(mp, ms, timeout_ms);
}

int hull_ctr_kill(hull_engine *e, hull_ctr *c, int sig, hull_err *err) {
  hull_ctr_refresh(e, c);
  if (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED) {
    hull_error_code(err, EINVAL, "cannot kill container: %s: container %s is not running", c->name, c->id);
    return -1;
  }
  char s[16];
  snprintf(s, sizeof(s), "%d", sig);
  struct hull_rt *rt = hull_engine_rt(e, err);
  if (rt == NULL || hull_rt_kill(rt, c->id, sig, false, err) < 0) {
    /* The runtime lost track of it (its state is gone) while the process lives on: the
     * recorded pid with its start time is still exact. */
    if (!(c->pid > 0 && hull_proc_start_time(c->pid) == c->pid_start && kill(c->pid, sig) == 0))
      return -1;
    hull_error_release(err);
  }
  cleanup_json json_t *a = json_pack("{s:s}", "signal", s);
  hull_event_ctr(e, c, "kill", a);
  return 0;
}

int hull_ctr_stop(hull_engine *e, hull_ctr *c, int timeout, hull_err *err) {
  hull_ctr_refresh(e, c);
  if (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED && c->status != HULL_CTR_RESTARTING)
    return 0;
  if (timeout < 0) {
    json_t *t = json_object_get(c->config, "StopTimeout");
    timeout = json_is_integer(t) ? (int)json_integer_value(t) : 10;
  }
  const char *sn = json_string_value(json_object_get(c->config, "StopSignal"));
  int sig = sn ? hull_parse_signal(sn) : SIGTERM;
  if (sig <= 0)
    sig = SIGTERM;
  if (c->status == HULL_CTR_PAUSED) {
    hull_err ign = NULL;
    if (hull_ctr_pause(e, c, false, &ign) < 0)
      hull_error_release(&ign); /* SIGKILL below ends a frozen container anyway */
  }
  /* hull-monitor takes SIGTERM as "stop": it sends the stop signal itself and applies no
   * restart policy afterwards. Otherwise the signal goes through the runtime. */
  pid_t mp;
  unsigned long long ms;
  monitor_pid(e, c->id, &mp, &ms);
  char comm[32] = "";
  cleanup_free char *commp = NULL;
  if (mp > 0 && asprintf(&commp, "/proc/%d/comm", (int)mp) >= 0) {
    cleanup_file FILE *f = fopen(commp, "re");
    if (f && fgets(comm, sizeof(comm), f) == NULL)
      comm[0] = '\0';
  }
  bool by_monitor = strcmp(comm, "hull-monitor\n") == 0 && hull_proc_start_time(mp) == ms && kill(mp, SIGTERM) == 0;
  if (by_monitor) {
    /* The monitor sends the signal; the event is the same as a kill's, as Docker's. */
    char s[16];
    snprintf(s, sizeof(s), "%d", sig);
    cleanup_json json_t *a = json_pack("{s:s}", "signal", s);
    hull_event_ctr(e, c, "kill", a);
  } else if (hull_ctr_kill(e, c, sig, err) < 0) {
    hull_error_release(err); /* it may have exited meanwhile: checked below */
  }
  if (!wait_gone(c->pid, c->pid_start, timeout * 1000)) {
    if (hull_ctr_kill(e, c, SIGKILL, err) < 0)
      hull_error_release(err);
    (void)wait_gone(c->pid, c->pid_start, 10000);
  }
  wait_monitor(e, c->id, 10000);
  hull_ctr_refresh(e, c);
  hull_event_ctr(e, c, "stop", NULL);
  return 0;
}

bool hull_ctr_restart_pending_p(hull_engine *e, const char *id) {
  cleanup_free char *p = hull_ctr_path(e, id, "restart.owner");
  return p && hull_owner_file_alive(p);
}

/* Docker marks a manual restart and skips AutoRemove for the stop it makes: the restarted
 * container keeps --rm and goes at its next end. Here the mark is a file naming this
 * process by pid and start time, so that it dies with us: killed between the stop and the
 * start, we leave an exited container (ps shows it, rm -f and prune remove it), and a
 * mark whose process is gone (or a reused pid) never spares a later end. */
int hull_ctr_restart(hull_engine *e, hull_ctr *c, int timeout, hull_err *err) {
  hull_ctr_refresh(e, c);
  bool live = c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED || c->status == HULL_CTR_RESTARTING;
  cleanup_free char *mark = NULL;
  if (live && json_is_true(json_object_get(c->host_config, "AutoRemove"))) {
    char text[64];
    pid_t self = getpid();
    snprintf(text, sizeof(text), "%d %llu\n", (int)self, hull_self_start_time());
    mark = hull_ctr_path(e, c->id, "restart.owner");
    if (mark == NULL)
      return hull_error(err, ENOMEM, "restart %s", c->name);
    if (hull_ctr_write_file(e, c->id, "restart.owner", text, err) < 0)
      return -1;
  }
  int rc = hull_ctr_stop(e, c, timeout, err);
  if (rc == 0)
    rc = hull_ctr_start(e, c, err);
  /* The new monitor was told nothing of the mark: its end removes the container again. */
  if (mark && unlink(mark) < 0 && errno != ENOENT)
    hull_debug("remove %s: %m", mark);
  return rc;
}

int hull_ctr_wait(hull_engine *e, hull_ctr *c, int timeout_ms, hull_err *err) {
  for (;;) {
    hull_ctr_refresh(e, c);
    if (c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED && c->status != HULL_CTR_RESTARTING)
      return c->exit_code;
    if (!wait_gone(c->pid, c->pid_start, timeout_ms))
      return hull_error(err, ETIMEDOUT, "wait for %s: timed out", c->name);
    wait_monitor(e, c->id, timeout_ms < 0 ? -1 : timeout_ms);
    /* A restart policy may have started it again: the monitor's new pid is in the row only
     * after a start, so the loop re-reads the exit file and stops once it is final. */
    hull_ctr_refresh(e, c);
    if (c->status != HULL_CTR_RUNNING)
      return c->exit_code;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
}

int hull_ctr_pause(hull_engine *e, hull_ctr *c, bool pause, hull_err *err) {
  hull_ctr_refresh(e, c);
  if (pause && c->status != HULL_CTR_RUNNING)
    return hull_error_code(err, EINVAL, "Container %s is not running", c->id);
  if (!pause && c->status != HULL_CTR_PAUSED)
    return hull_error_code(err, EINVAL, "Container %s is not paused", c->id);
  struct hull_rt *rt = hull_engine_rt(e, err);
  if (rt == NULL || hull_rt_pause(rt, c->id, pause, err) < 0)
    return -1;
  if (set_state(e, c->id, pause ? "paused" : "running", c->pid, c->pid_start, 0, err) < 0)
    return -1;
  hull_event_ctr(e, c, pause ? "pause" : "unpause", NULL);
  return 0;
}

int hull_ctr_rename(hull_engine *e, hull_ctr *c, const char *name, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(e->store, "UPDATE containers SET name = ? WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name[0] == '/' ? name + 1 : name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(e->store->db) == SQLITE_CONSTRAINT_UNIQUE) {
      name_conflict(e, "Error when allocating new name: ", name[0] == '/' ? name + 1 : name, err);
      return -1;
    }
    return hull_store_sqlerr(e->store, "rename", err);
  }
  return 0;
}

/* ---- rm ---- */

/* False only when the runtime surely holds nothing of the container: the monitor wrote
 * exit.json (after the runtime's delete, or after a create that failed and cleaned up
 * after itself; a foreground run's monitor writes it before the delete, which removes
 * the state directory last), and the runtime's state directory is gone, so that delete
 * worked. A monitor killed half-way writes no exit file, and a failed or interrupted
 * delete leaves the directory: both still get the runtime's forced delete, which also
 * finds what an interrupted create left. Saves that lookup on every 'run --rm'. */
static bool runtime_may_know(hull_engine *e, const char *id) {
  cleanup_free char *xp = hull_ctr_path(e, id, "exit.json"), *state = NULL;
  if (xp == NULL || asprintf(&state, "%s/runtime/%s", e->runroot, id) < 0)
    return true;
  struct stat st;
  return access(xp, F_OK) != 0 || lstat(state, &st) == 0 || errno != ENOENT;
}

/* pid is a child of this process (exited or not): a monitor this command started. */
static bool own_child(pid_t pid) {
  siginfo_t si = {0};
  return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* The runtime's delete that the monitor (our child) does after it told us of the exit: it
 * holds the lock of the runtime's state directory (flock) until it has removed the
 * directory, its last step. Once we have the lock, a directory still linked means the
 * delete did not happen (the monitor was killed before, or it failed): it is done here,
 * as runtime_may_know's forced delete would have. A monitor that holds the lock for 10 s
 * is killed first. */
static void wait_runtime_delete(hull_engine *e, const char *id, pid_t monitor, unsigned long long monitor_start) {
  cleanup_free char *state = NULL;
  if (asprintf(&state, "%s/runtime/%s", e->runroot, id) < 0) {
    hull_engine_rt_forget(e, id);
    return;
  }
  cleanup_close int fd = open(state, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return;
  struct stat st;
  int waited_us = 0;
  while (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK && waited_us < 10 * 1000 * 1000) {
    struct timespec ts = {0, 100 * 1000};
    nanosleep(&ts, NULL);
    waited_us += 100;
  }
  if (fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink == 0)
    return;
  if (fd >= 0 && waited_us >= 10 * 1000 * 1000 && hull_proc_alive(monitor, monitor_start)) {
    kill(monitor, SIGKILL);
    (void)wait_gone(monitor, monitor_start, 5000);
  }
  if (fd >= 0)
    close(take_fd(&fd)); /* the forced delete takes the lock itself */
  hull_engine_rt_forget(e, id);
}

int hull_ctr_remove(hull_engine *e, hull_ctr *c, bool force, bool volumes, hull_err *err) {
  hull_ctr_refresh(e, c);
  bool live = c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED || c->status == HULL_CTR_RESTARTING;
  if (live && !force)
    return hull_error_code(
        err, EBUSY,
        "cannot remove container \"/%s\": container is running: stop the container before removing or "
        "force remove",
        c->name);
  if (strcmp(c->state, "creating") == 0 && c->status == HULL_CTR_CREATED && !force)
    return hull_error_code(err, EBUSY, "container %s is being created", c->name);
  if (set_state(e, c->id, "removing", c->pid, c->pid_start, 0, err) < 0 &&
      (!retry_with_reserve(e, err) || set_state(e, c->id, "removing", c->pid, c->pid_start, 0, err) < 0))
    return -1;
  /* The monitor first (unless it is the one asking, for --rm): it would restart the
   * container or write into a directory that is going away. Not our own monitor of a
   * foreground `run --rm` that said it ends with this removal: it told us of the exit
   * before the runtime's delete, which it does meanwhile, and destroy waits for that. */
  pid_t mp, finishing = 0;
  unsigned long long ms;
  monitor_pid(e, c->id, &mp, &ms);
  if (mp > 0 && mp != getppid() && hull_proc_start_time(mp) == ms) {
    if (c->removal_pending && c->status == HULL_CTR_EXITED && own_child(mp)) {
      finishing = mp;
    } else {
      kill(mp, SIGKILL);
      (void)wait_gone(mp, ms, 5000);
    }
  }
  if (finishing == 0 && runtime_may_know(e, c->id))
    hull_engine_rt_forget(e, c->id);
  if (hull_proc_alive(c->pid, c->pid_start)) {
    /* The runtime's state was gone but the process was not (a crash between the two). */
    kill(c->pid, SIGKILL);
    (void)wait_gone(c->pid, c->pid_start, 5000);
  }
  /* rm -v: its anonymous volumes, read before its record (and their use) goes. */
  cleanup_strv char **anon = volumes ? hull_volumes_anonymous_of(e, c->id) : NULL;
  if (destroy_all(e, c->id, finishing, ms, err) < 0)
    return -1;
  hull_event_ctr(e, c, "destroy", NULL);
  return hull_volumes_remove_list(e, anon, err);
}
