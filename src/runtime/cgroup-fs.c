/* cgroup manager, lowest layer: the cgroup files and what acts on them the same way for
 * every driver. Small file helpers, finding the hierarchy that carries a controller,
 * enabling v2 controllers, joining, listing, signalling and freezing the container's
 * processes. It calls nothing in the other cgroup*.c files: cgroup-resources.c,
 * cgroup-systemd.c and cgroup.c build on it (docs/design.md has the graph). */
#include "cgroup-fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"

/* How long destroy waits for the processes to go, and a freeze for the freezer. */
#define DESTROY_WAIT_MS 2000
#define FREEZE_WAIT_MS 5000

long long hull_cg_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hull_cg_sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* a + b where b starts with "/" (or is empty), without doubling the slash. */
char *hull_cg_path_join(const char *a, const char *b) {
  size_t la = strlen(a);
  while (la > 0 && a[la - 1] == '/')
    la--;
  char *r = NULL;
  if (asprintf(&r, "%.*s%s", (int)la, a, *b ? b : (la ? "" : "/")) < 0)
    return NULL;
  return r;
}

bool hull_cg_list_has(const char *list, const char *name) {
  size_t n = strlen(name);
  for (const char *p = list; p && *p;) {
    const char *e = strchr(p, ',');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == n && strncmp(p, name, n) == 0)
      return true;
    p = e ? e + 1 : NULL;
  }
  return false;
}

int hull_cg_write(const char *dir, const char *file, const char *val, hull_err *err) {
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "write %s/%s", dir, file);
  cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "write %s", path);
  /* One write() per value: cgroup files parse each write as a whole. */
  ssize_t r;
  do
    r = write(fd, val, strlen(val));
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error_sys(err, "write %s", path);
  return 0;
}

int hull_cg_read(const char *dir, const char *file, char *buf, size_t size, hull_err *err) {
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "read %s/%s", dir, file);
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "read %s", path);
  ssize_t r = hull_read_all(fd, buf, size - 1);
  if (r < 0)
    return hull_error_sys(err, "read %s", path);
  while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == ' '))
    r--;
  buf[r] = '\0';
  return 0;
}

bool hull_cg_exists(const char *dir, const char *file) {
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
    return false;
  return access(path, F_OK) == 0;
}

/* Offsets in dir where each path component below the mount ends (at a '/' or the NUL). */
int hull_cg_component_ends(const char *dir, size_t mlen, size_t *ends, int max) {
  int n = 0;
  if (dir[mlen] != '/')
    return 0;
  for (size_t i = mlen + 1;; i++) {
    if (dir[i] == '/' || dir[i] == '\0') {
      if (n == max)
        return -1;
      ends[n++] = i;
      if (dir[i] == '\0')
        break;
    }
  }
  return n;
}

void hull_cg_hier_clear(struct hull_cgroup_hier *h) {
  free(h->controllers);
  free(h->mount);
  free(h->root);
  free(h->own);
  free(h->dir);
  *h = (struct hull_cgroup_hier){0};
}

void hull_cgroup_layout_clear(struct hull_cgroup_layout *l) {
  for (size_t i = 0; i < l->n; i++)
    hull_cg_hier_clear(&l->h[i]);
  memset(l, 0, sizeof(*l));
}

const struct hull_cgroup_hier *hull_cgroup_layout_find(const struct hull_cgroup_layout *l, const char *controller) {
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < l->n; i++) {
      const struct hull_cgroup_hier *h = &l->h[i];
      if (h->v2 != (pass == 1))
        continue;
      if ((h->v2 && controller[0] == '\0') || hull_cg_list_has(h->controllers, controller))
        return h;
    }
  return NULL;
}

const struct hull_cgroup_hier *hull_cg_v2(const hull_cgroup *cg) { return hull_cg_find(cg, ""); }

/* The hierarchy used to list processes and to display the path. */
const struct hull_cgroup_hier *hull_cg_primary(const hull_cgroup *cg) {
  if (cg->l.kind == HULL_CGROUP_V2)
    return hull_cg_v2(cg);
  static const char *const prefs[] = {"pids", "freezer", "memory", "cpu"};
  for (size_t i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
    const struct hull_cgroup_hier *d = hull_cg_find(cg, prefs[i]);
    if (d && !d->v2)
      return d;
  }
  return cg->l.n ? &cg->l.h[0] : NULL;
}

void hull_cg_v2_enable(const struct hull_cgroup_hier *d, const char *controllers) {
  char all[512];
  size_t n = 0;
  cleanup_free char *copy = strdup(controllers ? controllers : "");
  if (copy == NULL)
    return;
  for (char *save = NULL, *t = strtok_r(copy, " ,", &save); t; t = strtok_r(NULL, " ,", &save))
    if (n + strlen(t) + 3 < sizeof(all))
      n += (size_t)snprintf(all + n, sizeof(all) - n, "%s+%s", n ? " " : "", t);
  if (n == 0)
    return;
  size_t mlen = strlen(d->mount), ends[HULL_CG_MAX_DEPTH];
  int nc = hull_cg_component_ends(d->dir, mlen, ends, HULL_CG_MAX_DEPTH);
  char p[PATH_MAX];
  snprintf(p, sizeof(p), "%s", d->dir);
  /* The mount itself and every ancestor, but not the leaf (it holds the processes). */
  for (int k = -1; k < nc - 1; k++) {
    p[k < 0 ? mlen : ends[k]] = '\0';
    hull_err local = NULL;
    if (hull_cg_write(p, "cgroup.subtree_control", all, &local) < 0) {
      /* All-or-nothing failed (e.g. one controller is held by processes in a domain
       * with threads): enable what can be enabled, one at a time. Errors are dropped on
       * purpose: the resource writes that need a missing controller report it. */
      hull_error_release(&local);
      cleanup_free char *each = strdup(all);
      for (char *save = NULL, *t = each ? strtok_r(each, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save)) {
        if (hull_cg_write(p, "cgroup.subtree_control", t, &local) < 0)
          hull_error_release(&local);
      }
    }
    snprintf(p, sizeof(p), "%s", d->dir);
  }
}

int hull_cg_fs_enter(hull_cgroup *cg, pid_t pid, hull_err *err) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  for (size_t i = 0; i < cg->l.n; i++)
    if (hull_cg_write(cg->l.h[i].dir, "cgroup.procs", buf, err) < 0)
      return -1;
  return 0;
}

bool hull_cgroup_frozen_p(hull_cgroup *cg) {
  char st[32];
  hull_err local = NULL;
  const struct hull_cgroup_hier *f = hull_cg_find(cg, "freezer"), *v2 = hull_cg_v2(cg);
  int r = -1;
  if (f && !f->v2)
    r = hull_cg_read(f->dir, "freezer.state", st, sizeof(st), &local);
  else if (v2)
    r = hull_cg_read(v2->dir, "cgroup.freeze", st, sizeof(st), &local);
  hull_error_release(&local); /* no freezer or no cgroup any more: not frozen */
  return r == 0 && (strcmp(st, "FROZEN") == 0 || strcmp(st, "1") == 0);
}

/* ---------------------------------------------------------------- processes */

struct pidv {
  pid_t *v;
  size_t n, cap;
};

static int collect_pids(const char *dir, struct pidv *pv, int depth, hull_err *err) {
  cleanup_free char *file = hull_cg_path_join(dir, "/cgroup.procs");
  if (file == NULL)
    return hull_error(err, ENOMEM, "list %s", dir);
  hull_err local = NULL;
  cleanup_free char *text = hull_read_file(file, NULL, &local);
  if (text == NULL) {
    /* A nested cgroup may vanish while we walk; the container's own must exist. */
    if (depth > 0 && local->errno_ == ENOENT) {
      hull_error_release(&local);
      return 0;
    }
    *err = steal_pointer(&local);
    return -1;
  }
  for (char *p = text, *end; *p; p = end) {
    long v = strtol(p, &end, 10);
    if (end == p)
      break;
    if (pv->n == pv->cap) {
      size_t cap = pv->cap ? pv->cap * 2 : 16;
      pid_t *nv = realloc(pv->v, cap * sizeof(pid_t));
      if (nv == NULL)
        return hull_error(err, ENOMEM, "list %s", dir);
      pv->v = nv, pv->cap = cap;
    }
    pv->v[pv->n++] = (pid_t)v;
  }
  if (depth >= 32)
    return 0;
  cleanup_dir DIR *dh = opendir(dir);
  if (dh == NULL)
    return (depth > 0 && errno == ENOENT) ? 0 : hull_error_sys(err, "open %s", dir);
  for (struct dirent *de; (de = readdir(dh)) != NULL;) {
    if (de->d_type != DT_DIR || de->d_name[0] == '.')
      continue;
    cleanup_free char *sub = NULL;
    if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0)
      return hull_error(err, ENOMEM, "list %s", dir);
    if (collect_pids(sub, pv, depth + 1, err) < 0)
      return -1;
  }
  return 0;
}

int hull_cgroup_pids(hull_cgroup *cg, pid_t **pids, size_t *n, hull_err *err) {
  const struct hull_cgroup_hier *d = hull_cg_primary(cg);
  struct pidv pv = {0};
  if (d == NULL)
    return hull_error(err, ENOENT, "list processes of %s: no cgroup hierarchy", cg->path);
  if (collect_pids(d->dir, &pv, 0, err) < 0) {
    free(pv.v);
    return -1;
  }
  *pids = pv.v;
  *n = pv.n;
  return 0;
}

/* Whether the cgroup dir (of the hierarchy of d) is frozen or freezing. */
static bool foreign_frozen_p(const struct hull_cgroup_hier *d, const char *dir) {
  char st[256];
  hull_err local = NULL;
  bool frozen = false;
  if (!d->v2) {
    frozen = hull_cg_read(dir, "freezer.state", st, sizeof(st), &local) == 0 && strcmp(st, "THAWED") != 0;
  } else if (hull_cg_read(dir, "cgroup.freeze", st, sizeof(st), &local) == 0 && strcmp(st, "1") == 0) {
    frozen = true;
  } else {
    hull_error_release(&local);
    /* Frozen through an ancestor: cgroup.freeze says 0, cgroup.events says frozen. */
    frozen = hull_cg_read(dir, "cgroup.events", st, sizeof(st), &local) == 0 && strstr(st, "frozen 1") != NULL;
  }
  hull_error_release(&local); /* unreadable (gone, no freezer): not frozen */
  return frozen;
}

void hull_cgroup_reclaim(hull_cgroup *cg, pid_t pid) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, "freezer");
  if (d == NULL || d->v2)
    d = cg->l.kind == HULL_CGROUP_V2 ? hull_cg_v2(cg) : NULL;
  if (d == NULL || pid <= 0)
    return;
  char file[64], line[PATH_MAX];
  snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
  cleanup_file FILE *f = fopen(file, "re");
  const char *own = NULL;
  while (f && fgets(line, sizeof(line), f)) {
    line[strcspn(line, "\n")] = '\0';
    char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
    if (path == NULL)
      continue;
    *path++ = '\0';
    ctrls++;
    if (d->v2 ? strcmp(line, "0") == 0 && *ctrls == '\0' : hull_cg_list_has(ctrls, "freezer")) {
      own = path;
      break;
    }
  }
  if (own == NULL)
    return;
  cleanup_free char *dir = hull_cg_path_join(d->mount, strcmp(own, "/") == 0 ? "" : own);
  if (dir == NULL || strcmp(dir, d->dir) == 0 || !foreign_frozen_p(d, dir))
    return;
  /* Moved into a cgroup that is not frozen, a task thaws (in both versions): the
   * container's own, or the hierarchy's root once that is gone. Only this process
   * thaws; whatever else shares the frozen cgroup stays as it is. */
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  hull_err local = NULL;
  if (hull_cg_write(d->dir, "cgroup.procs", buf, &local) < 0) {
    hull_error_release(&local);
    if (hull_cg_write(d->mount, "cgroup.procs", buf, &local) < 0)
      hull_error_release(&local); /* best effort: the kill then reports what stays */
  }
}

static int kill_listed(hull_cgroup *cg, int sig, hull_err *err) {
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (hull_cgroup_pids(cg, &pids, &n, err) < 0)
    return -1;
  /* A process of the container moved to a frozen cgroup of another freezer hierarchy
   * (v1) would never act on SIGKILL: bring it back first. */
  for (size_t i = 0; sig == SIGKILL && cg->l.kind != HULL_CGROUP_V2 && i < n; i++)
    hull_cgroup_reclaim(cg, pids[i]);
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      return hull_error_sys(err, "kill %d (cgroup %s) with signal %d", (int)pids[i], cg->path, sig);
  return 0;
}

int hull_cgroup_kill(hull_cgroup *cg, int sig, hull_err *err) {
  const struct hull_cgroup_hier *v2 = hull_cg_v2(cg);
  if (sig == SIGKILL && cg->l.kind == HULL_CGROUP_V2 && v2 && hull_cg_exists(v2->dir, "cgroup.kill"))
    return hull_cg_write(v2->dir, "cgroup.kill", "1", err);
  /* With v1, SIGKILL the processes while frozen so none can fork a new one between
   * listing and killing (runc's signalAllProcesses); then thaw, so they can die. */
  const struct hull_cgroup_hier *fz = hull_cg_find(cg, "freezer");
  bool frozen = false;
  if (sig == SIGKILL && fz && !fz->v2) {
    hull_err local = NULL;
    frozen = hull_cgroup_freeze(cg, true, &local) == 0;
    hull_error_release(&local); /* unfreezable: kill anyway, racing forks as best we can */
  }
  int r = kill_listed(cg, sig, err);
  if (frozen && hull_cgroup_freeze(cg, false, r < 0 ? NULL : err) < 0)
    r = -1;
  return r;
}

static int freeze_v1(const char *dir, bool frozen, hull_err *err) {
  const char *want = frozen ? "FROZEN" : "THAWED";
  long long start = hull_cg_now_ms();
  for (unsigned i = 0;; i++) {
    /* Re-request now and then: a freeze can stall on a task that was forking. */
    if (i % 50 == 0 && hull_cg_write(dir, "freezer.state", want, err) < 0)
      return -1;
    char st[32];
    if (hull_cg_read(dir, "freezer.state", st, sizeof(st), err) < 0)
      return -1;
    if (strcmp(st, want) == 0)
      return 0;
    if (hull_cg_now_ms() - start > FREEZE_WAIT_MS)
      break;
    hull_cg_sleep_ms(i < 10 ? 1 : 10);
  }
  if (frozen) {
    hull_err local = NULL;
    /* Do not leave it half frozen; the timeout is the error reported, not this. */
    if (hull_cg_write(dir, "freezer.state", "THAWED", &local) < 0)
      hull_error_release(&local);
  }
  return hull_error(err, ETIMEDOUT, "%s %s: freezer.state did not reach %s", frozen ? "freeze" : "thaw", dir, want);
}

static int freeze_v2(const char *dir, bool frozen, hull_err *err) {
  if (hull_cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  long long start = hull_cg_now_ms();
  for (unsigned i = 0;; i++) {
    char ev[256];
    if (hull_cg_read(dir, "cgroup.events", ev, sizeof(ev), err) < 0)
      return -1;
    const char *f = strstr(ev, "frozen ");
    if (f == NULL || (f[7] == '1') == frozen)
      return 0; /* no "frozen" key: a kernel without the v2 freezer would have failed above */
    if (hull_cg_now_ms() - start > FREEZE_WAIT_MS)
      break;
    hull_cg_sleep_ms(i < 10 ? 1 : 10);
  }
  if (frozen) {
    hull_err local = NULL;
    /* As above: the timeout is the error reported. */
    if (hull_cg_write(dir, "cgroup.freeze", "0", &local) < 0)
      hull_error_release(&local);
  }
  return hull_error(err, ETIMEDOUT, "%s %s: cgroup.events did not report frozen %d", frozen ? "freeze" : "thaw", dir,
                    frozen);
}

int hull_cgroup_freeze(hull_cgroup *cg, bool frozen, hull_err *err) {
  const struct hull_cgroup_hier *f = hull_cg_find(cg, "freezer");
  if (f && !f->v2)
    return freeze_v1(f->dir, frozen, err);
  const struct hull_cgroup_hier *v2 = hull_cg_v2(cg);
  if (v2)
    return freeze_v2(v2->dir, frozen, err);
  return hull_error(err, ENOTSUP, "%s %s: no freezer cgroup is mounted", frozen ? "freeze" : "thaw", cg->path);
}

static bool empty_p(hull_cgroup *cg) {
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  hull_err local = NULL;
  if (hull_cgroup_pids(cg, &pids, &n, &local) < 0) {
    hull_error_release(&local); /* gone already: empty */
    return true;
  }
  return n == 0;
}

void hull_cg_fs_drain(hull_cgroup *cg) {
  hull_err local = NULL;
  long long start = hull_cg_now_ms();
  if (!empty_p(cg)) {
    /* Thaw first: frozen v1 tasks act on SIGKILL only when thawed. Both calls fail
     * harmlessly when the directories are gone already (a repeated delete). An empty
     * cgroup is removed as it is, frozen or not. */
    if (hull_cgroup_freeze(cg, false, &local) < 0)
      hull_error_release(&local);
    for (unsigned i = 0; !empty_p(cg) && hull_cg_now_ms() - start < DESTROY_WAIT_MS; i++) {
      if (i % 20 == 0 && hull_cgroup_kill(cg, SIGKILL, &local) < 0)
        hull_error_release(&local);
      hull_cg_sleep_ms(i < 10 ? 1 : 10);
    }
  }
}

int hull_cg_set_v2_path(hull_cgroup *cg, const char *path, hull_err *err) {
  struct hull_cgroup_hier *d = (struct hull_cgroup_hier *)hull_cg_v2(cg);
  if (d == NULL)
    return hull_error(err, ENOENT, "cgroup %s: no cgroup2 hierarchy", path);
  char *dir = hull_cg_path_join(d->mount, path), *disp = strdup(path);
  if (dir == NULL || disp == NULL) {
    free(dir);
    free(disp);
    return hull_error(err, ENOMEM, "cgroup %s", path);
  }
  free(d->dir);
  d->dir = dir;
  free(cg->path);
  cg->path = disp;
  if (cg->v2fd >= 0)
    close(cg->v2fd);
  cg->v2fd = -1;
  return 0;
}
