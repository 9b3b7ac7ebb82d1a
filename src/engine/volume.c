/* Named and anonymous volumes: see volume.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/cleanup.h"
#include "common/inroot.h"
#include "common/util.h"
#include "engine/cp.h"
#include "engine/events.h"
#include "engine/volume.h"
#include "storage/rmtree.h"

void hull_volume_free(hull_volume *v) {
  free(v->name);
  json_decref(v->labels);
  for (char **u = v->users; u && *u; u++)
    free(*u);
  free(v->users);
  memset(v, 0, sizeof(*v));
}

void hull_volume_list_free(hull_volume *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    hull_volume_free(&v[i]);
  free(v);
}

char *hull_volume_path(hull_engine *e, const char *name) {
  char *p = NULL;
  return asprintf(&p, "%s/volumes/%s/_data", e->root, name) < 0 ? NULL : p;
}

/* Docker's rule for a local volume's name. */
static bool valid_name(const char *n) {
  if (strlen(n) < 2 || strlen(n) > 255)
    return false;
  for (const char *p = n; *p; p++) {
    bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
    if (!alnum && (p == n || (*p != '_' && *p != '.' && *p != '-')))
      return false;
  }
  return true;
}

json_t *hull_volume_inspect(hull_engine *e, const hull_volume *v) {
  char created[64];
  /* Docker's CreatedAt has seconds and the zone. */
  time_t secs = (time_t)(v->created / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
  cleanup_free char *mp = hull_volume_path(e, v->name);
  return json_pack("{s:s, s:s, s:o, s:s?, s:s, s:{}, s:s}", "CreatedAt", created, "Driver", "local", "Labels",
                   v->labels ? json_incref(v->labels) : json_object(), "Mountpoint", mp, "Name", v->name, "Options",
                   "Scope", "local");
}

/* ---- rows ---- */

static int insert_volume(hull_engine *e, const char *name, const json_t *labels, bool anonymous, bool *created,
                         hull_err *err) {
  cleanup_free char *lj = labels ? json_dumps(labels, JSON_COMPACT) : NULL;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      e->store, "INSERT OR IGNORE INTO volumes (name, created, anonymous, labels) VALUES (?, ?, ?, ?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, hull_now_ns());
  sqlite3_bind_int(st, 3, anonymous);
  sqlite3_bind_text(st, 4, lj ? lj : "{}", -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "record the volume", err);
  *created = sqlite3_changes(e->store->db) > 0;
  cleanup_free char *dir = hull_volume_path(e, name);
  if (dir == NULL)
    return hull_error(err, ENOMEM, "volume");
  return hull_mkdir_p(dir, 0755, err);
}

int hull_volume_create(hull_engine *e, const char *name, const json_t *labels, bool anonymous, hull_err *err) {
  if (!valid_name(name))
    return hull_error_code(err, EINVAL,
                           "create %s: \"%s\" includes invalid characters for a local volume name, only "
                           "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, "
                           "use absolute path",
                           name, name);
  bool created;
  if (insert_volume(e, name, labels, anonymous, &created, err) < 0)
    return -1;
  if (created)
    hull_event(e, "volume", "create", name, NULL);
  return 0;
}

static char **users_of(hull_engine *e, const char *name) {
  cleanup_stmt sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(e->store->db, "SELECT ctr_id FROM container_volumes WHERE name = ?", -1, &st, NULL) !=
      SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  size_t n = 0;
  char **v = calloc(1, sizeof(char *));
  while (v && sqlite3_step(st) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (nv == NULL)
      break;
    v = nv;
    v[n++] = strdup((const char *)sqlite3_column_text(st, 0));
    v[n] = NULL;
  }
  return v;
}

static void from_row(hull_engine *e, sqlite3_stmt *st, hull_volume *v) {
  v->name = strdup((const char *)sqlite3_column_text(st, 0));
  v->created = sqlite3_column_int64(st, 1);
  v->anonymous = sqlite3_column_int(st, 2) != 0;
  v->labels = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);
  v->users = users_of(e, v->name);
}

int hull_volume_get(hull_engine *e, const char *name, hull_volume *out, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT name, created, anonymous, labels FROM volumes WHERE name = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return hull_error_code(err, ENOENT, "get %s: no such volume", name);
  from_row(e, st, out);
  return 0;
}

int hull_volume_list(hull_engine *e, hull_volume **out, size_t *n, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "SELECT name, created, anonymous, labels FROM volumes ORDER BY name", err);
  if (st == NULL)
    return -1;
  hull_volume *v = NULL;
  size_t k = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    hull_volume *nv = realloc(v, (k + 1) * sizeof(*v));
    if (nv == NULL) {
      hull_volume_list_free(v, k);
      return hull_error(err, ENOMEM, "volumes");
    }
    v = nv;
    memset(&v[k], 0, sizeof(*v));
    from_row(e, st, &v[k++]);
  }
  if (rc != SQLITE_DONE) {
    hull_volume_list_free(v, k);
    return hull_store_sqlerr(e->store, "list volumes", err);
  }
  *out = v;
  *n = k;
  return 0;
}

int hull_volume_remove(hull_engine *e, const char *name, hull_err *err) {
  /* The row goes first, in one statement that also checks for users: a container attaching
   * the volume at the same time either sees no row (and makes a new volume) or holds it. */
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      e->store, "DELETE FROM volumes WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM container_volumes WHERE name = ?1)",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "remove the volume", err);
  if (sqlite3_changes(e->store->db) == 0) {
    hull_volume v = {0};
    if (hull_volume_get(e, name, &v, err) < 0)
      return -1;
    cleanup_free char *list = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&list, &len);
    for (char **u = v.users; f && u && *u; u++)
      fprintf(f, "%s%s", u == v.users ? "" : ", ", *u);
    if (f)
      fclose(f);
    hull_volume_free(&v);
    return hull_error_code(err, EBUSY, "remove %s: volume is in use - [%s]", name, list ? list : "");
  }
  cleanup_free char *vdir = NULL;
  if (asprintf(&vdir, "%s/volumes", e->root) < 0)
    return hull_error(err, ENOMEM, "volume");
  cleanup_close int fd = open(vdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0 && hull_rm_rf_at(fd, name, err) < 0)
    return -1;
  hull_event(e, "volume", "destroy", name, NULL);
  return 0;
}

/* ---- container hooks ---- */

/* A named volume's name in a Binds entry ("name:/dst[:opts]"), or NULL for a bind. */
static char *bind_volume(const char *b) {
  if (b == NULL || b[0] == '/' || strchr(b, ':') == NULL)
    return NULL;
  return strndup(b, strcspn(b, ":"));
}

int hull_volumes_name_anonymous(json_t *config, json_t *hc, hull_err *err) {
  json_t *vols = json_object_get(config, "Volumes");
  if (!json_is_object(vols) || json_object_size(vols) == 0)
    return 0;
  json_t *mounts = json_object_get(hc, "Mounts");
  if (!json_is_array(mounts)) {
    mounts = json_array();
    json_object_set_new(hc, "Mounts", mounts);
  }
  const char *dst;
  json_t *v;
  json_object_foreach(vols, dst, v) {
    /* A destination already given a bind, a volume or a tmpfs keeps it. */
    bool taken = json_object_get(json_object_get(hc, "Tmpfs"), dst) != NULL;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(hc, "Binds"), i, b) {
      const char *s = strchr(json_string_value(b), ':');
      taken = taken ||
              (s && strncmp(s + 1, dst, strlen(dst)) == 0 && (s[1 + strlen(dst)] == '\0' || s[1 + strlen(dst)] == ':'));
    }
    json_array_foreach(mounts, i, b) taken = taken || strcmp(json_string_value(json_object_get(b, "Target")), dst) == 0;
    if (taken)
      continue;
    char name[65];
    if (hull_new_id(name, err) < 0)
      return -1;
    json_array_append_new(
        mounts, json_pack("{s:s, s:s, s:s, s:b}", "Type", "volume", "Source", name, "Target", dst, "HullAnonymous", 1));
  }
  return 0;
}

static int attach_one(hull_engine *e, const char *ctr_id, const char *name, bool anonymous, hull_err *err) {
  if (!valid_name(name))
    return hull_error_code(err, EINVAL, "invalid volume name %s", name);
  bool created;
  if (insert_volume(e, name, NULL, anonymous, &created, err) < 0)
    return -1;
  if (created)
    hull_event(e, "volume", "create", name, NULL);
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(e->store, "INSERT OR IGNORE INTO container_volumes (ctr_id, name) VALUES (?, ?)", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "record the container's volume", err);
  return 0;
}

/* Calls fn for every named volume of the host config with its name and destination. */
static int each_volume(const json_t *hc,
                       int (*fn)(void *ud, const char *name, const char *dst, bool anon, hull_err *err), void *ud,
                       hull_err *err) {
  size_t i;
  json_t *b;
  json_array_foreach(json_object_get(hc, "Binds"), i, b) {
    cleanup_free char *name = bind_volume(json_string_value(b));
    if (name == NULL)
      continue;
    const char *dst = json_string_value(b) + strlen(name) + 1;
    cleanup_free char *d = strndup(dst, strcspn(dst, ":"));
    if (d == NULL || fn(ud, name, d, false, err) < 0)
      return -1;
  }
  json_array_foreach(json_object_get(hc, "Mounts"), i, b) {
    const char *type = json_string_value(json_object_get(b, "Type"));
    const char *src = json_string_value(json_object_get(b, "Source"));
    if (type && strcmp(type, "volume") == 0 && src &&
        fn(ud, src, json_string_value(json_object_get(b, "Target")), json_is_true(json_object_get(b, "HullAnonymous")),
           err) < 0)
      return -1;
  }
  return 0;
}

typedef struct hook_ctx {
  hull_engine *e;
  const char *ctr_id;
  int rootfd;
  bool userns; /* the container has a user namespace (engine/userns.h) */
} hook_ctx;

static int attach_cb(void *ud, const char *name, const char *dst, bool anon, hull_err *err) {
  hook_ctx *h = ud;
  return attach_one(h->e, h->ctr_id, name, anon, err);
}

int hull_volumes_attach(hull_engine *e, const char *ctr_id, const json_t *hc, hull_err *err) {
  hook_ctx h = {.e = e, .ctr_id = ctr_id};
  return each_volume(hc, attach_cb, &h, err);
}

/* Docker copies the image's content at the mount point into a volume that is empty and
 * has never been filled (the populated flag: emptied later, it stays empty). The copy is
 * the same by-descriptor copy as cp's: the image is as untrusted as a running container. */
static int copy_up_cb(void *ud, const char *name, const char *dst, bool anon, hull_err *err) {
  hook_ctx *h = ud;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(h->e->store, "UPDATE volumes SET populated = 1 WHERE name = ? AND populated = 0", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(h->e->store, "volume copy-up", err);
  if (sqlite3_changes(h->e->store->db) == 0)
    return 0;
  cleanup_free char *data = hull_volume_path(h->e, name);
  cleanup_close int src = hull_openat_in_root(h->rootfd, dst, O_RDONLY | O_DIRECTORY);
  if (src < 0) {
    /* Nothing at the mount point in the image (or not a directory): nothing to copy. A
     * fresh volume of a container with a user namespace then belongs to the owner of its
     * root, the mapped root (the rootfs is idmapped), so that root in the container can
     * write to it, as with Docker's userns-remap; other containers keep Docker's root:root. */
    struct stat root;
    if (h->userns && data && fstat(h->rootfd, &root) == 0 && (root.st_uid != 0 || root.st_gid != 0) &&
        chown(data, root.st_uid, root.st_gid) < 0)
      return hull_error_sys(err, "chown %s", data);
    return 0;
  }
  cleanup_free char *from = NULL;
  if (data == NULL || asprintf(&from, "%s/.", dst) < 0)
    return hull_error(err, ENOMEM, "volume copy-up");
  cleanup_dir DIR *d = opendir(data);
  if (d == NULL)
    return hull_error_sys(err, "open %s", data);
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      return 0; /* not empty: Docker leaves it as it is */
  hull_cp_opts o = {.archive = true};
  return hull_cp_out(h->rootfd, from, data, -1, &o, err);
}

int hull_volumes_copy_up(hull_engine *e, const char *ctr_id, int rootfd, const json_t *hc, hull_err *err) {
  const char *userns = json_string_value(json_object_get(hc, "UsernsMode")) ?: "";
  hook_ctx h = {.e = e,
                .ctr_id = ctr_id,
                .rootfd = rootfd,
                .userns = (*userns && strcmp(userns, "host") != 0) || json_object_get(hc, "UidMaps") ||
                          json_object_get(hc, "GidMaps")};
  return each_volume(hc, copy_up_cb, &h, err);
}

char **hull_volumes_anonymous_of(hull_engine *e, const char *ctr_id) {
  cleanup_stmt sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(e->store->db,
                         "SELECT v.name FROM container_volumes cv JOIN volumes v ON v.name = cv.name "
                         "WHERE cv.ctr_id = ? AND v.anonymous = 1",
                         -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, ctr_id, -1, SQLITE_STATIC);
  size_t n = 0;
  char **v = calloc(1, sizeof(char *));
  while (v && sqlite3_step(st) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (nv == NULL)
      break;
    v = nv;
    v[n++] = strdup((const char *)sqlite3_column_text(st, 0));
    v[n] = NULL;
  }
  return v;
}

int hull_volumes_remove_list(hull_engine *e, char **names, hull_err *err) {
  for (char **n = names; n && *n; n++) {
    hull_err e2 = NULL;
    /* Another container may use it too (--volumes-from, or named): it then stays. */
    if (hull_volume_remove(e, *n, &e2) < 0 && e2->errno_ != EBUSY && e2->errno_ != ENOENT) {
      *err = e2;
      return -1;
    }
    hull_error_release(&e2);
  }
  return 0;
}

/* Bytes of the files below dirfd (st_blocks, as du). */
static uint64_t disk_usage(int dirfd) {
  uint64_t total = 0;
  int dup_fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (d == NULL) {
    if (dup_fd >= 0)
      close(dup_fd);
    return 0;
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    struct stat st;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    total += (uint64_t)st.st_blocks * 512;
    if (S_ISDIR(st.st_mode)) {
      cleanup_close int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0)
        total += disk_usage(sub);
    }
  }
  return total;
}

int hull_volumes_prune(hull_engine *e, const hull_prune_filter *f, FILE *out, uint64_t *reclaimed, hull_err *err) {
  hull_volume *v = NULL;
  size_t n = 0;
  if (hull_volume_list(e, &v, &n, err) < 0)
    return -1;
  bool header = false;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if ((v[i].users && v[i].users[0]) || (!f->all && !v[i].anonymous) || !hull_prune_labels_match(f, v[i].labels))
      continue;
    cleanup_free char *path = hull_volume_path(e, v[i].name);
    cleanup_close int fd = path ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    uint64_t size = fd >= 0 ? disk_usage(fd) : 0;
    hull_err e2 = NULL;
    if (hull_volume_remove(e, v[i].name, &e2) < 0) {
      /* Taken by a container since the list was read: it stays, as it should. */
      if (e2->errno_ != EBUSY && e2->errno_ != ENOENT) {
        *err = e2;
        rc = -1;
        break;
      }
      hull_error_release(&e2);
      continue;
    }
    if (!header && out)
      fprintf(out, "Deleted Volumes:\n");
    header = true;
    if (out)
      fprintf(out, "%s\n", v[i].name);
    *reclaimed += size;
  }
  if (header && out)
    fprintf(out, "\n");
  hull_volume_list_free(v, n);
  return rc;
}
