/* --userns and --uidmap/--gidmap (engine/userns.h). */
#include "engine/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/cleanup.h"
#include "common/util.h"
#include "image/store.h"

/* Without a "containers" entry in /etc/subuid or /etc/subgid: ids far above those that
 * useradd hands out (subordinate ranges start at 100000 and go up by 65536 per user). */
#define BUILTIN_POOL_START 1000000000u
#define BUILTIN_POOL_SIZE 1000000000u
#define POOL_USER "containers"
#define MAX_RANGES 64

#define usage_err(err, e, ...) (hull_error_code(err, e, __VA_ARGS__), (*(err))->status = 125, -1)

static int parse_u32(const char *s, size_t len, uint32_t *out) {
  if (len == 0 || len > 10)
    return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > UINT32_MAX)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

int hull_idmap_parse(const char *v, hull_idmap *m) {
  const char *a = strchr(v, ':'), *b = a ? strchr(a + 1, ':') : NULL;
  if (a == NULL || b == NULL || parse_u32(v, (size_t)(a - v), &m->ctr) < 0 ||
      parse_u32(a + 1, (size_t)(b - a - 1), &m->host) < 0 || parse_u32(b + 1, strlen(b + 1), &m->size) < 0)
    return -1;
  if (m->size == 0 || (uint64_t)m->ctr + m->size > UINT32_MAX || (uint64_t)m->host + m->size > UINT32_MAX)
    return -1;
  return 0;
}

/* size=N of auto[:size=N]; 0 for a mode that is not auto, -1 for a bad one. */
static int64_t auto_size(const char *mode) {
  if (strcmp(mode, "auto") == 0)
    return HULL_USERNS_AUTO_SIZE;
  if (!hull_str_has_prefix(mode, "auto:"))
    return 0;
  uint32_t n;
  if (!hull_str_has_prefix(mode, "auto:size=") || parse_u32(mode + 10, strlen(mode + 10), &n) < 0 || n == 0 ||
      n > BUILTIN_POOL_SIZE)
    return -1;
  return n;
}

bool hull_userns_mode_valid(const char *v) {
  return v[0] == '\0' || strcmp(v, "host") == 0 || auto_size(v) > 0 || (hull_str_has_prefix(v, "ns:") && v[3] == '/');
}

/* ---- auto: the pools and the ranges ---- */

/* The ranges of POOL_USER in file (/etc/subuid or /etc/subgid), else the built-in one. */
static size_t read_pool(const char *file, hull_idmap *pool) {
  size_t n = 0;
  cleanup_file FILE *f = fopen(file, "re");
  char line[256];
  while (f && n < MAX_RANGES && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    char *start = strchr(line, ':');
    if (start == NULL || (size_t)(start - line) != strlen(POOL_USER) ||
        strncmp(line, POOL_USER, strlen(POOL_USER)) != 0)
      continue;
    hull_idmap m = {0};
    char spec[300];
    snprintf(spec, sizeof(spec), "0%s", start);
    if (hull_idmap_parse(spec, &m) == 0)
      pool[n++] = m;
  }
  if (n == 0)
    pool[n++] = (hull_idmap){.host = BUILTIN_POOL_START, .size = BUILTIN_POOL_SIZE};
  return n;
}

/* The lowest start in the pool for size ids that overlaps none of the used ranges (host,
 * size); UINT32_MAX when there is no room. Only the pools' starts and the used ranges'
 * ends can be the lowest free start. */
static uint32_t pick(const hull_idmap *pool, size_t np, const hull_idmap *used, size_t nu, uint32_t size) {
  uint64_t best = UINT64_MAX;
  for (size_t c = 0; c < np + nu; c++) {
    uint64_t s = c < np ? pool[c].host : (uint64_t)used[c - np].host + used[c - np].size;
    bool in_pool = false, clear = true;
    for (size_t p = 0; p < np && !in_pool; p++)
      in_pool = s >= pool[p].host && s + size <= (uint64_t)pool[p].host + pool[p].size;
    for (size_t u = 0; u < nu && clear; u++)
      clear = s + size <= used[u].host || s >= (uint64_t)used[u].host + used[u].size;
    if (in_pool && clear && s < best)
      best = s;
  }
  return best > UINT32_MAX ? UINT32_MAX : (uint32_t)best;
}

static int alloc_locked(hull_engine *e, const hull_ctr *c, uint32_t size, hull_err *err) {
  cleanup_stmt sqlite3_stmt *q =
      hull_store_prepare(e->store, "SELECT uid_start, gid_start, size FROM userns_ranges", err);
  if (q == NULL)
    return -1;
  cleanup_free hull_idmap *uids = NULL, *gids = NULL;
  size_t n = 0, cap = 0;
  int rc;
  while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      hull_idmap *nu = realloc(uids, cap * sizeof(*nu));
      if (nu)
        uids = nu;
      hull_idmap *ng = nu ? realloc(gids, cap * sizeof(*ng)) : NULL;
      if (ng == NULL)
        return hull_error(err, ENOMEM, "user namespace ranges");
      gids = ng;
    }
    uint32_t sz = (uint32_t)sqlite3_column_int64(q, 2);
    uids[n] = (hull_idmap){.host = (uint32_t)sqlite3_column_int64(q, 0), .size = sz};
    gids[n++] = (hull_idmap){.host = (uint32_t)sqlite3_column_int64(q, 1), .size = sz};
  }
  if (rc != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "user namespace ranges", err);
  hull_idmap upool[MAX_RANGES], gpool[MAX_RANGES];
  size_t nup = read_pool("/etc/subuid", upool), ngp = read_pool("/etc/subgid", gpool);
  uint32_t us = pick(upool, nup, uids, n, size), gs = pick(gpool, ngp, gids, n, size);
  if (us == UINT32_MAX || gs == UINT32_MAX)
    return usage_err(err, ENOSPC, "--userns auto: no free range of %u ids left for user %s in /etc/subuid, /etc/subgid",
                     size, POOL_USER);
  cleanup_stmt sqlite3_stmt *ins = hull_store_prepare(
      e->store, "INSERT INTO userns_ranges (ctr_id, uid_start, gid_start, size) VALUES (?, ?, ?, ?)", err);
  if (ins == NULL)
    return -1;
  sqlite3_bind_text(ins, 1, c->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(ins, 2, us);
  sqlite3_bind_int64(ins, 3, gs);
  sqlite3_bind_int64(ins, 4, size);
  if (sqlite3_step(ins) != SQLITE_DONE)
    return hull_store_sqlerr(e->store, "record the user namespace range", err);
  return 0;
}

int hull_ctr_userns_alloc(hull_engine *e, const hull_ctr *c, hull_err *err) {
  const char *mode = json_string_value(json_object_get(c->host_config, "UsernsMode")) ?: "";
  int64_t size = auto_size(mode);
  if (size <= 0)
    return 0;
  if (hull_store_begin(e->store, err) < 0)
    return -1;
  if (alloc_locked(e, c, (uint32_t)size, err) < 0) {
    hull_store_rollback(e->store);
    return -1;
  }
  return hull_store_commit(e->store, err);
}

/* ---- the maps of a container ---- */

static int maps_of(const json_t *arr, const char *flag, hull_idmap *m, size_t *n, hull_err *err) {
  size_t i;
  json_t *v;
  *n = 0;
  json_array_foreach(arr, i, v) {
    if (*n == HULL_IDMAP_MAX)
      return usage_err(err, E2BIG, "%s: more than %d mappings", flag, HULL_IDMAP_MAX);
    if (hull_idmap_parse(json_string_value(v) ?: "", &m[(*n)++]) < 0)
      return usage_err(err, EINVAL, "%s %s: not CONTAINER:HOST:SIZE", flag, json_string_value(v) ?: "");
  }
  return 0;
}

/* "ctr host size" lines of /proc/<pid>/{uid,gid}_map. */
static int read_map(pid_t pid, const char *which, hull_idmap *m, size_t *n, hull_err *err) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
  cleanup_file FILE *f = fopen(path, "re");
  if (f == NULL)
    return hull_error_sys(err, "open %s", path);
  *n = 0;
  unsigned a, b, c;
  while (*n < HULL_IDMAP_MAX && fscanf(f, "%u %u %u", &a, &b, &c) == 3)
    m[(*n)++] = (hull_idmap){.ctr = a, .host = b, .size = c};
  return 0;
}

static int write_map(pid_t pid, const char *which, const hull_idmap *m, size_t n, hull_err *err) {
  char path[64], buf[HULL_IDMAP_MAX * 36] = "";
  size_t off = 0;
  for (size_t i = 0; i < n; i++)
    off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n", m[i].ctr, m[i].host, m[i].size);
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, buf, off) != (ssize_t)off)
    return hull_error_sys(err, "write %s", path);
  return 0;
}

/* A child in a user namespace: a new one (nsfd -1) or nsfd's. It waits until *hold is
 * closed; the caller then reaps it. */
static pid_t ns_child(int nsfd, int *hold, hull_err *err) {
  int ready[2], wait_p[2];
  if (pipe2(ready, O_CLOEXEC) < 0)
    return hull_error_sys(err, "pipe");
  if (pipe2(wait_p, O_CLOEXEC) < 0) {
    close(ready[0]);
    close(ready[1]);
    return hull_error_sys(err, "pipe");
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    close(wait_p[1]);
    int r = nsfd >= 0 ? setns(nsfd, CLONE_NEWUSER) : unshare(CLONE_NEWUSER);
    char ok = r == 0 ? 'y' : 'n', x;
    if (write(ready[1], &ok, 1) == 1 && r == 0)
      while (read(wait_p[0], &x, 1) < 0 && errno == EINTR)
        ;
    _exit(r == 0 ? 0 : 1);
  }
  close(ready[1]);
  close(wait_p[0]);
  char ok = 'n';
  int saved = errno;
  if (pid < 0 || read(ready[0], &ok, 1) != 1 || ok != 'y') {
    close(ready[0]);
    close(wait_p[1]);
    if (pid > 0)
      waitpid(pid, NULL, 0);
    errno = pid < 0 ? saved : EPERM;
    return hull_error_sys(err, nsfd >= 0 ? "enter the user namespace" : "make a user namespace");
  }
  close(ready[0]);
  *hold = wait_p[1];
  return pid;
}

static void ns_child_end(pid_t pid, int hold) {
  close(hold);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

static int open_userns_path(const char *path, hull_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    hull_error_sys(err, "--userns ns:%s", path);
    (*err)->status = 125;
    return -1;
  }
  if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
    close(fd);
    return usage_err(err, EINVAL, "--userns ns:%s: not a user namespace", path);
  }
  return fd;
}

int hull_ctr_userns(hull_engine *e, const hull_ctr *c, hull_userns *u, hull_err *err) {
  memset(u, 0, sizeof(*u));
  const json_t *hc = c->host_config;
  const char *mode = json_string_value(json_object_get(hc, "UsernsMode")) ?: "";
  const json_t *um = json_object_get(hc, "UidMaps"), *gm = json_object_get(hc, "GidMaps");
  if (json_array_size(um) || json_array_size(gm)) {
    /* podman: a --uidmap alone maps the groups alike, and the other way round. */
    if (maps_of(json_array_size(um) ? um : gm, "--uidmap", u->uid, &u->n_uid, err) < 0 ||
        maps_of(json_array_size(gm) ? gm : um, "--gidmap", u->gid, &u->n_gid, err) < 0)
      return -1;
    u->on = true;
    return 0;
  }
  if (auto_size(mode) > 0) {
    cleanup_stmt sqlite3_stmt *q =
        hull_store_prepare(e->store, "SELECT uid_start, gid_start, size FROM userns_ranges WHERE ctr_id = ?", err);
    if (q == NULL)
      return -1;
    sqlite3_bind_text(q, 1, c->id, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_ROW)
      return hull_error(err, ENOENT, "container %s: its user namespace range is not recorded", c->id);
    uint32_t size = (uint32_t)sqlite3_column_int64(q, 2);
    u->uid[0] = (hull_idmap){.host = (uint32_t)sqlite3_column_int64(q, 0), .size = size};
    u->gid[0] = (hull_idmap){.host = (uint32_t)sqlite3_column_int64(q, 1), .size = size};
    u->n_uid = u->n_gid = 1;
    u->on = true;
    return 0;
  }
  if (!hull_str_has_prefix(mode, "ns:"))
    return 0;
  /* The maps of a namespace are read through a process in it. */
  u->path = mode + 3;
  cleanup_close int fd = open_userns_path(u->path, err);
  if (fd < 0)
    return -1;
  int hold;
  pid_t pid = ns_child(fd, &hold, err);
  if (pid < 0)
    return -1;
  int r = read_map(pid, "uid_map", u->uid, &u->n_uid, err) < 0 ? -1 : read_map(pid, "gid_map", u->gid, &u->n_gid, err);
  ns_child_end(pid, hold);
  u->on = r == 0;
  return r;
}

int hull_userns_fd(const hull_userns *u, hull_err *err) {
  if (u->path)
    return open_userns_path(u->path, err);
  int hold;
  pid_t pid = ns_child(-1, &hold, err);
  if (pid < 0)
    return -1;
  char ns[64];
  snprintf(ns, sizeof(ns), "/proc/%d/ns/user", (int)pid);
  int fd = -1;
  if (write_map(pid, "uid_map", u->uid, u->n_uid, err) == 0 && write_map(pid, "gid_map", u->gid, u->n_gid, err) == 0) {
    fd = open(ns, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      hull_error_sys(err, "open %s", ns);
  }
  ns_child_end(pid, hold);
  return fd;
}
