#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/json.h"
#include "../common/util.h"
#include "cgroup.h"
#include "hull-config.h"

const char *hull_status_name(enum hull_status s) {
  switch (s) {
  case HULL_CREATING:
    return "creating";
  case HULL_CREATED:
    return "created";
  case HULL_RUNNING:
    return "running";
  case HULL_PAUSED:
    return "paused";
  case HULL_STOPPED:
    return "stopped";
  default:
    return "unknown";
  }
}

int hull_state_path(char *buf, size_t len, const char *root, const char *id, const char *name) {
  int n = name ? snprintf(buf, len, "%s/%s/%s", root, id, name) : snprintf(buf, len, "%s/%s", root, id);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

int hull_state_config_path(char *buf, size_t len, const char *root, const struct hull_state *st) {
  if (!st->config_in_bundle)
    return hull_state_path(buf, len, root, st->id, "config.json");
  int n = snprintf(buf, len, "%s/config.json", st->bundle);
  return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int remove_tree_at(int dfd, const char *name) {
  cleanup_close int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL)
    return -1;
  fd = -1; /* owned by d now */
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (de->d_type == DT_DIR)
      remove_tree_at(dirfd(d), de->d_name);
    else
      unlinkat(dirfd(d), de->d_name, 0);
  }
  return unlinkat(dfd, name, AT_REMOVEDIR);
}

int hull_state_dir_remove(const char *root, const char *id, hull_err *err) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, id, NULL) < 0)
    return hull_error(err, ENAMETOOLONG, "state dir for %s", id);
  cleanup_close int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return errno == ENOENT ? 0 : hull_error_sys(err, "open %s", path);
  /* The files the runtime makes, state.json last: until then the container stays
   * visible (and deletable) if we are killed. Anything else goes through the walk. */
  static const char *const known[] = {"exec.fifo", "config.json", "state.json"};
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    unlinkat(dfd, known[i], 0);
  if (rmdir(path) == 0 || errno == ENOENT)
    return 0;
  if (errno == ENOTEMPTY || errno == EEXIST) {
    /* Emptied through dfd, it may have been replaced by a new create's directory (only
     * an empty directory can be): that one is not ours to remove. */
    struct stat ours, now;
    if (fstat(dfd, &ours) == 0 && stat(path, &now) == 0 && (ours.st_ino != now.st_ino || ours.st_dev != now.st_dev))
      return 0;
  }
  if (remove_tree_at(AT_FDCWD, path) < 0 && errno != ENOENT)
    return hull_error_sys(err, "remove %s", path);
  return 0;
}

int hull_state_dir_begin(const char *root, int min_fd, char *name, size_t len, hull_err *err) {
  if (hull_mkdir_p(root, 0711, err) < 0)
    return hull_error_wrap(err, "create state root");
  /* The name carries our start time with our pid, so that the collector can tell us from a
   * later process that reuses the pid once we are gone (pid_max may be as low as 32768). */
  pid_t self = getpid();
  unsigned long long start = hull_proc_start_time(self);
  if (start == 0)
    return hull_error(err, ESRCH, "start time of process %d", (int)self);
  if ((size_t)snprintf(name, len, ".new.%d.%llu", (int)self, start) >= len)
    return hull_error(err, ENAMETOOLONG, "state dir in %s", root);
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, name, NULL) < 0)
    return hull_error(err, ENAMETOOLONG, "state dir in %s", root);
  if (mkdir(path, 0711) < 0) {
    /* Only an earlier process of our pid and start time could have left it: not possible,
     * short of a reboot with the same state root; make room anyway. */
    if (errno != EEXIST || remove_tree_at(AT_FDCWD, path) < 0 || mkdir(path, 0711) < 0)
      return hull_error_sys(err, "mkdir %s", path);
  }
  cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s", path);
  /* Nobody else knows the directory yet: the lock is ours at once, and it stays with the
   * directory through the rename, so that delete waits for the create to finish. */
  if (flock(fd, LOCK_EX) < 0)
    return hull_error_sys(err, "lock %s", path);
  if (fd >= min_fd)
    return take_fd(&fd);
  int high = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
  if (high < 0)
    return hull_error_sys(err, "dup the lock of %s", path);
  return high;
}

int hull_state_dir_publish(const char *root, const char *name, const char *id, hull_err *err) {
  char from[PATH_MAX], to[PATH_MAX];
  if (hull_state_path(from, sizeof(from), root, name, NULL) < 0 || hull_state_path(to, sizeof(to), root, id, NULL) < 0)
    return hull_error(err, ENAMETOOLONG, "state dir for %s", id);
  if (rename(from, to) == 0)
    return 0;
  if (errno == ENOTEMPTY || errno == EEXIST)
    return hull_error_code(err, EEXIST, "container with id %s already exists", id);
  return hull_error_sys(err, "rename %s to %s", from, to);
}

void hull_state_dir_abandon(const char *root, const char *name) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, name, NULL) == 0)
    remove_tree_at(AT_FDCWD, path);
}

/* Whether the unpublished state directory NAME (".new.PID.START", or ".new.PID" of older
 * versions) may belong to a create that is still running. */
static bool new_dir_creator_alive_p(const char *name) {
  char *end;
  errno = 0;
  long pid = strtol(name + 5, &end, 10);
  if (errno != 0 || pid <= 0 || pid > INT_MAX || end == name + 5)
    return true; /* not a name we make: leave it alone */
  if (*end == '\0')
    /* An older version named it by pid alone: a live process of that pid may be the
     * creator (or one that reused its pid: the directory then waits for a later gc). */
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
  if (*end != '.')
    return true;
  const char *s = end + 1;
  unsigned long long start = strtoull(s, &end, 10);
  if (*s < '0' || *s > '9' || *end != '\0' || errno != 0)
    return true;
  /* Dead, a zombie or another process with the pid: the creator is gone. */
  return hull_proc_start_time((pid_t)pid) == start;
}

void hull_state_gc(const char *root, const char *id) {
  char path[PATH_MAX];
  /* Only an empty directory goes: rmdir is atomic about that. */
  if (id != NULL && hull_state_path(path, sizeof(path), root, id, NULL) == 0)
    rmdir(path);
  cleanup_dir DIR *d = opendir(root);
  for (struct dirent *de; d && (de = readdir(d)) != NULL;) {
    if (strncmp(de->d_name, ".new.", 5) == 0 && !new_dir_creator_alive_p(de->d_name))
      remove_tree_at(dirfd(d), de->d_name);
  }
}

static char *state_text(const struct hull_state *st, hull_err *err) {
  cleanup_json json_t *j =
      json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:b}", "id", st->id, "bundle", st->bundle, "rootfs",
                st->rootfs ? st->rootfs : "", "pid", (json_int_t)st->pid, "start_time", (json_int_t)st->start_time,
                "created", st->created, "systemd_cgroup", st->systemd_cgroup);
  if (j == NULL) {
    hull_error(err, ENOMEM, "state of %s", st->id);
    return NULL;
  }
  /* A state without its cgroup would leave the cgroup behind at delete: all or nothing. */
  if ((st->annotations && json_object_set(j, "annotations", st->annotations) < 0) ||
      (st->hooks && json_object_set(j, "hooks", st->hooks) < 0) ||
      (st->config_in_bundle && json_object_set_new(j, "config_in_bundle", json_true()) < 0) ||
      (st->cgroup && json_object_set(j, "cgroup", st->cgroup) < 0) ||
      (st->owner && json_object_set_new(j, "owner", json_string(st->owner)) < 0) ||
      (st->host_mount_id && json_object_set_new(j, "host_mount_id", json_integer((json_int_t)st->host_mount_id)) < 0) ||
      (st->creating && (json_object_set_new(j, "creating", json_true()) < 0 ||
                        json_object_set_new(j, "creator", json_integer(st->creator)) < 0 ||
                        json_object_set_new(j, "creator_start", json_integer((json_int_t)st->creator_start)) < 0))) {
    hull_error(err, ENOMEM, "state of %s", st->id);
    return NULL;
  }
  char *text = json_dumps(j, JSON_COMPACT);
  if (text == NULL)
    hull_error(err, ENOMEM, "state of %s", st->id);
  return text;
}

int hull_state_write_at(int dfd, const struct hull_state *st, hull_err *err) {
  cleanup_free char *text = state_text(st, err);
  if (text == NULL)
    return -1;
  cleanup_close int fd = openat(dfd, "state.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return hull_error_sys(err, "create state.json of %s", st->id);
  if (hull_write_all(fd, text, strlen(text)) < 0)
    return hull_error_sys(err, "write state.json of %s", st->id);
  return 0;
}

/* The container's state directory (into *dfd, its path into dir) and the state's text. */
static int open_state(const char *root, const struct hull_state *st, char dir[PATH_MAX], int *dfd, char **text,
                      hull_err *err) {
  if (hull_state_path(dir, PATH_MAX, root, st->id, NULL) < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", st->id);
  *dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*dfd < 0)
    return hull_error_sys(err, "open %s", dir);
  *text = state_text(st, err);
  return *text == NULL ? -1 : 0;
}

int hull_state_write(const char *root, const struct hull_state *st, hull_err *err) {
  char dir[PATH_MAX];
  cleanup_close int dfd = -1;
  cleanup_free char *text = NULL;
  if (open_state(root, st, dir, &dfd, &text, err) < 0)
    return -1;
  return hull_write_file_atomic_at(dfd, "state.json", text, strlen(text), false, err);
}

int hull_state_stage(const char *root, const struct hull_state *st, struct hull_state_staged *out, hull_err *err) {
  out->dfd = -1;
  out->tmp[0] = '\0';
  char dir[PATH_MAX];
  cleanup_close int dfd = -1;
  cleanup_free char *text = NULL;
  if (open_state(root, st, dir, &dfd, &text, err) < 0)
    return -1;
  cleanup_close int fd = hull_create_temp_at(dfd, "state.json", 0600, out->tmp, sizeof(out->tmp), err);
  if (fd < 0)
    return hull_error_wrap(err, "%s", dir);
  if (hull_write_all(fd, text, strlen(text)) < 0) {
    hull_error_sys(err, "write %s/%s", dir, out->tmp);
    unlinkat(dfd, out->tmp, 0);
    return -1;
  }
  out->dfd = take_fd(&dfd);
  return 0;
}

int hull_state_publish(struct hull_state_staged *s, hull_err *err) {
  int rc = 0;
  if (renameat(s->dfd, s->tmp, s->dfd, "state.json") < 0) {
    rc = hull_error_sys(err, "rename %s to state.json", s->tmp);
    unlinkat(s->dfd, s->tmp, 0);
  }
  close(take_fd(&s->dfd));
  return rc;
}

void hull_state_drop(struct hull_state_staged *s) {
  if (s->dfd < 0)
    return;
  unlinkat(s->dfd, s->tmp, 0);
  close(take_fd(&s->dfd));
}

void hull_state_free(struct hull_state *st) {
  if (st == NULL)
    return;
  free(st->id);
  free(st->bundle);
  free(st->rootfs);
  free(st->created);
  free(st->owner);
  json_decref(st->annotations);
  json_decref(st->cgroup);
  json_decref(st->hooks);
  free(st);
}

int hull_state_load(const char *root, const char *id, struct hull_state **out, hull_err *err) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, id, "state.json") < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", id);
  size_t len;
  hull_err local = NULL;
  cleanup_free char *text = hull_read_file(path, &len, &local);
  if (text == NULL) {
    int e = local->errno_;
    hull_error_release(&local);
    if (e == ENOENT)
      return hull_error_code(err, ENOENT, "container %s does not exist", id);
    return hull_error(err, e, "read state of container %s", id);
  }
  json_error_t jerr;
  cleanup_json json_t *j = json_loads(text, 0, &jerr);
  if (j == NULL || !json_is_object(j))
    return hull_error(err, 0, "state of container %s is corrupt: %s", id, jerr.text);
  struct hull_state *st = calloc(1, sizeof(*st));
  if (st == NULL)
    return hull_error(err, ENOMEM, "state of %s", id);
  long long pid = 0, start_time = 0, mount_id = 0, creator = 0, creator_start = 0;
  if (hull_json_dup_string(j, NULL, "id", &st->id, err) < 0 ||
      hull_json_dup_string(j, NULL, "bundle", &st->bundle, err) < 0 ||
      hull_json_dup_string(j, NULL, "rootfs", &st->rootfs, err) < 0 ||
      hull_json_dup_string(j, NULL, "created", &st->created, err) < 0 ||
      hull_json_dup_string(j, NULL, "owner", &st->owner, err) < 0 || hull_json_get_int(j, NULL, "pid", &pid, err) < 0 ||
      hull_json_get_int(j, NULL, "start_time", &start_time, err) < 0 ||
      hull_json_get_bool(j, NULL, "systemd_cgroup", &st->systemd_cgroup, err) < 0 ||
      hull_json_get_int(j, NULL, "host_mount_id", &mount_id, err) < 0 ||
      hull_json_get_object(j, NULL, "annotations", &st->annotations, err) < 0 ||
      hull_json_get_object(j, NULL, "cgroup", &st->cgroup, err) < 0 ||
      hull_json_get_object(j, NULL, "hooks", &st->hooks, err) < 0 ||
      hull_json_get_bool(j, NULL, "config_in_bundle", &st->config_in_bundle, err) < 0 ||
      hull_json_get_bool(j, NULL, "creating", &st->creating, err) < 0 ||
      hull_json_get_int(j, NULL, "creator", &creator, err) < 0 ||
      hull_json_get_int(j, NULL, "creator_start", &creator_start, err) < 0) {
    /* Borrowed from j until here: the state owns a reference only once loaded. */
    st->annotations = st->cgroup = st->hooks = NULL;
    hull_state_free(st);
    return hull_error_wrap(err, "state of container %s is corrupt", id);
  }
  json_incref(st->annotations);
  json_incref(st->cgroup);
  json_incref(st->hooks);
  st->pid = (pid_t)pid;
  st->start_time = (unsigned long long)start_time;
  st->host_mount_id = (uint64_t)mount_id;
  st->creator = (pid_t)creator;
  st->creator_start = (unsigned long long)creator_start;
  if (st->id == NULL || st->bundle == NULL) {
    hull_state_free(st);
    return hull_error(err, 0, "state of container %s is corrupt: missing id or bundle", id);
  }
  *out = st;
  return 0;
}

int hull_state_pidfd(const struct hull_state *st) {
  if (st->pid <= 0 || st->start_time == 0) {
    errno = ESRCH;
    return -1;
  }
  int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return -1;
  /* The pidfd names one process, the pid only a number: the start time read through
   * /proc/PID is that process's only if it is still alive after the read (a pid is not
   * reused while its process exists, zombie included). */
  unsigned long long t = hull_proc_start_time(st->pid);
  if (t != st->start_time || syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0) {
    close(fd);
    errno = ESRCH;
    return -1;
  }
  return fd;
}

enum hull_status hull_state_status_pidfd(const char *root, const struct hull_state *st, int *pidfd) {
  if (st->creating) {
    /* Recorded before anything was made: the create still runs, or it was killed (then
     * what it made waits for delete, which finds it through the recorded cgroup). */
    unsigned long long t = st->creator > 0 ? hull_proc_start_time(st->creator) : 0;
    return t != 0 && t == st->creator_start ? HULL_CREATING : HULL_STOPPED;
  }
  cleanup_close int fd = hull_state_pidfd(st);
  if (fd < 0)
    return HULL_STOPPED;
  if (pidfd)
    *pidfd = take_fd(&fd);
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, st->id, "exec.fifo") == 0 && access(path, F_OK) == 0)
    return HULL_CREATED;
  /* A frozen process shows up in its freezer; read the task's own state instead of
   * the cgroup so that no cgroup knowledge is needed here. */
  if (st->cgroup != NULL) {
    hull_cgroup *cg = NULL;
    hull_err e = NULL;
    if (hull_cgroup_from_json(st->cgroup, &cg, &e) == 0) {
      bool frozen = hull_cgroup_frozen_p(cg);
      hull_cgroup_free(cg);
      if (frozen)
        return HULL_PAUSED;
    }
    hull_error_release(&e);
  }
  return HULL_RUNNING;
}

enum hull_status hull_state_status(const char *root, const struct hull_state *st) {
  return hull_state_status_pidfd(root, st, NULL);
}

json_t *hull_state_to_oci(const struct hull_state *st, enum hull_status status) {
  json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", HULL_OCI_SPEC, "id", st->id, "status",
                        hull_status_name(status), "pid", status == HULL_STOPPED ? 0 : (int)st->pid, "bundle",
                        st->bundle, "rootfs", st->rootfs ? st->rootfs : "", "created", st->created ? st->created : "",
                        "owner", st->owner ? st->owner : "");
  if (j != NULL &&
      json_object_set_new(j, "annotations", st->annotations ? json_incref(st->annotations) : json_object()) < 0) {
    json_decref(j);
    return NULL; /* out of memory, as json_pack's NULL */
  }
  return j;
}

int hull_state_lock(const char *root, const char *id, hull_err *err) {
  char path[PATH_MAX];
  if (hull_state_path(path, sizeof(path), root, id, NULL) < 0)
    return hull_error(err, ENAMETOOLONG, "state of %s", id);
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return hull_error_code(err, ENOENT, "container %s does not exist", id);
    return hull_error_sys(err, "open %s", path);
  }
  if (flock(fd, LOCK_EX) < 0) {
    hull_error_sys(err, "lock %s", path);
    close(fd);
    return -1;
  }
  return fd;
}
