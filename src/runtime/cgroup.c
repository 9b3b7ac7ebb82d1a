/* cgroup manager, top layer: layout detection, path resolution, the cgroupfs driver
 * (creation, removal), dispatch to the drivers, and persistence. What acts on the cgroup
 * files the same way for every driver (listing, signalling, freezing) is in cgroup-fs.c,
 * the resource writers and stats in cgroup-resources.c, the systemd driver in
 * cgroup-systemd.c; this file uses them and none of them uses this file.
 *
 * The layout is read from the cgroup mounts (cgroup-mounts.c, or /proc/self/mountinfo)
 * and /proc/self/cgroup on every call to
 * hull_cgroup_new (nothing is cached across processes); later commands reload the
 * container's directories from state.json (hull_cgroup_from_json) because the runtime's
 * own cgroup, which relative paths are resolved against, may differ between commands. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cgroup-fs.h"
#include "cgroup-mounts.h"
#include "cgroup-resources.h"
#include "cgroup-systemd.h"

#define DEFAULT_PARENT "/hull-runtime"
#define MAX_MOUNTS 64
#define MAX_DEPTH HULL_CG_MAX_DEPTH
/* How long destroy waits for rmdir to stop failing once the processes are gone. */
#define RMDIR_WAIT_MS 1000

static const struct hull_cg_manager hull_cg_cgroupfs;

/* ---------------------------------------------------------------- layout parsing */

/* Undoes the octal escapes (\040 for a space, ...) the kernel uses in mountinfo paths. */
static char *unescape_octal(const char *s) {
  char *out = malloc(strlen(s) + 1);
  if (out == NULL)
    return NULL;
  char *o = out;
  for (const char *p = s; *p;) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      *o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
      p += 4;
    } else {
      *o++ = *p++;
    }
  }
  *o = '\0';
  return out;
}

struct mi_mount {
  const char *root, *mnt, *super; /* point into the caller's copy of mountinfo */
  bool v2;
};

/* Collects the cgroup and cgroup2 mounts of a mountinfo text (modified in place). */
static size_t parse_mounts(char *text, struct mi_mount *m, size_t max) {
  size_t n = 0;
  char *next = NULL;
  for (char *line = text; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    char *f[48], *save = NULL;
    size_t nf = 0, sep = 0;
    for (char *t = strtok_r(line, " ", &save); t && nf < 48; t = strtok_r(NULL, " ", &save))
      f[nf++] = t;
    /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
    for (size_t i = 6; i < nf && sep == 0; i++)
      if (strcmp(f[i], "-") == 0)
        sep = i;
    if (sep == 0 || sep + 3 >= nf)
      continue;
    bool v2 = strcmp(f[sep + 1], "cgroup2") == 0;
    if (!v2 && strcmp(f[sep + 1], "cgroup") != 0)
      continue;
    if (n < max)
      m[n++] = (struct mi_mount){.root = f[3], .mnt = f[4], .super = f[sep + 3], .v2 = v2};
  }
  return n;
}

/* path relative to a mount whose root is root, or NULL when path lies outside it. */
static const char *strip_root(const char *path, const char *root) {
  if (strcmp(root, "/") == 0)
    return path;
  size_t n = strlen(root);
  if (strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0'))
    return path[n] ? path + n : "/";
  return NULL;
}

static bool super_has_all(const char *super, const char *ctrls) {
  cleanup_free char *copy = strdup(ctrls);
  if (copy == NULL)
    return false;
  char *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
    if (!hull_cg_list_has(super, t))
      return false;
  return true;
}

/* A mount point as the kernel prints it: absolute, no trailing slash, not "/". Anything
 * else is not a real cgroup mount, and would break the "directory = mount point + cgroup
 * path" arithmetic of hull_cgroup_to_json (found by fuzz/fuzz_cgroup.c). */
static bool mount_point_p(const char *raw) {
  cleanup_free char *m = unescape_octal(raw);
  size_t n = m ? strlen(m) : 0;
  return n > 1 && m[0] == '/' && m[n - 1] != '/';
}

/* Adds the hierarchy of one /proc/self/cgroup entry, if it is mounted. */
static int add_hier(struct hull_cgroup_layout *l, const struct mi_mount *m, size_t nm, const char *ctrls,
                    const char *path, bool v2, hull_err *err) {
  const struct mi_mount *best = NULL;
  const char *own = NULL;
  for (size_t i = 0; i < nm; i++) {
    if (m[i].v2 != v2 || (!v2 && !super_has_all(m[i].super, ctrls)) || !mount_point_p(m[i].mnt))
      continue;
    cleanup_free char *root = unescape_octal(m[i].root);
    const char *rel = root ? strip_root(path, root) : NULL;
    if (best == NULL || (own == NULL && rel != NULL)) {
      best = &m[i];
      own = rel;
    }
    if (rel != NULL)
      break; /* a mount showing our own cgroup: the one to use */
  }
  if (best == NULL)
    return 0;
  for (size_t i = 0; i < l->n; i++)
    if (l->h[i].v2 == v2 && strcmp(l->h[i].controllers, ctrls) == 0)
      return 0; /* listed twice */
  if (l->n == HULL_CGROUP_MAX_HIER)
    return hull_error(err, E2BIG, "parse /proc/self/cgroup: more than %d hierarchies", HULL_CGROUP_MAX_HIER);
  struct hull_cgroup_hier *h = &l->h[l->n];
  h->v2 = v2;
  h->controllers = strdup(ctrls);
  h->mount = unescape_octal(best->mnt);
  h->root = unescape_octal(best->root);
  /* Outside the mount's root (or with ".." from a foreign cgroup namespace) our own cgroup
   * is not reachable: relative paths then start at the mount. */
  h->own = strdup(own && own[0] == '/' && strstr(own, "/..") == NULL ? own : "/");
  l->n++;
  if (!h->controllers || !h->mount || !h->root || !h->own)
    return hull_error(err, ENOMEM, "parse /proc/self/cgroup");
  return 0;
}

int hull_cgroup_parse_layout(const char *mountinfo, const char *proc_cgroup, struct hull_cgroup_layout *l,
                             hull_err *err) {
  memset(l, 0, sizeof(*l));
  cleanup_free char *mi = strdup(mountinfo);
  cleanup_free char *pc = strdup(proc_cgroup);
  if (mi == NULL || pc == NULL)
    return hull_error(err, ENOMEM, "parse /proc/self/mountinfo");
  struct mi_mount mounts[MAX_MOUNTS];
  size_t nm = parse_mounts(mi, mounts, MAX_MOUNTS);

  char *next = NULL;
  for (char *line = pc; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    /* "HIERARCHY-ID:CONTROLLERS:PATH"; the path may itself contain ':'. */
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 == NULL)
      continue;
    *c1 = *c2 = '\0';
    bool v2 = c1[1] == '\0' && strcmp(line, "0") == 0;
    if (!v2 && c1[1] == '\0')
      continue;
    if (add_hier(l, mounts, nm, v2 ? "" : c1 + 1, c2 + 1, v2, err) < 0) {
      hull_cgroup_layout_clear(l);
      return -1;
    }
  }

  bool has_v1 = false, has_v2 = false;
  for (size_t i = 0; i < l->n; i++) {
    if (l->h[i].v2)
      has_v2 = true;
    else if (!hull_str_has_prefix(l->h[i].controllers, "name="))
      has_v1 = true;
  }
  if (!has_v1 && !has_v2) {
    hull_cgroup_layout_clear(l);
    return hull_error(err, ENOENT, "no cgroup hierarchy is mounted (see /proc/self/mountinfo)");
  }
  l->kind = !has_v2 ? HULL_CGROUP_V1 : has_v1 ? HULL_CGROUP_HYBRID : HULL_CGROUP_V2;
  if (l->kind == HULL_CGROUP_V2) {
    /* A named v1 hierarchy next to a pure v2 tree (name=systemd kept for old containers)
     * carries no resource control: leave it alone, as crun does. */
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
      if (l->h[i].v2) {
        l->h[k++] = l->h[i];
      } else {
        hull_cg_hier_clear(&l->h[i]);
      }
    }
    l->n = k;
  }
  return 0;
}

int hull_cgroup_layout_set_v2_controllers(struct hull_cgroup_layout *l, const char *text, hull_err *err) {
  for (size_t i = 0; i < l->n; i++) {
    if (!l->h[i].v2)
      continue;
    char *c = strdup(text);
    if (c == NULL)
      return hull_error(err, ENOMEM, "parse cgroup.controllers");
    /* "cpuset cpu io memory\n" -> "cpuset,cpu,io,memory" */
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(c, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
      if (n)
        c[n++] = ',';
      memmove(c + n, t, strlen(t));
      n += strlen(t);
    }
    c[n] = '\0';
    free(l->h[i].controllers);
    l->h[i].controllers = c;
  }
  return 0;
}

/* The number of hierarchies /proc/self/cgroup lists. */
static int count_hierarchies(const char *pc) {
  int n = 0;
  for (const char *l = pc; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
    n += *l != '\n';
  return n;
}

/* The cgroup mounts: through listmount/statmount when each hierarchy of /proc/self/cgroup
 * is mounted exactly once at or under /sys/fs/cgroup (cgroup-mounts.c), else the whole of
 * /proc/self/mountinfo, whose cost grows with every mount on the host. */
static char *read_cgroup_mounts(const char *pc, hull_err *err) {
  char *fast = NULL;
  int n = hull_cg_mounts_list(&fast);
  if (n > 0 && n == count_hierarchies(pc))
    return fast;
  free(fast);
  return hull_read_file("/proc/self/mountinfo", NULL, err);
}

static int detect_layout(struct hull_cgroup_layout *l, char **mountinfo, hull_err *err) {
  cleanup_free char *pc = hull_read_file("/proc/self/cgroup", NULL, err);
  if (pc == NULL)
    return -1;
  cleanup_free char *mi = read_cgroup_mounts(pc, err);
  if (mi == NULL)
    return -1;
  if (hull_cgroup_parse_layout(mi, pc, l, err) < 0)
    return -1;
  const struct hull_cgroup_hier *v2 = hull_cgroup_layout_find(l, "");
  if (v2 == NULL) {
    *mountinfo = steal_pointer(&mi);
    return 0;
  }
  char ctrls[512];
  hull_err local = NULL;
  if (hull_cg_read(v2->mount, "cgroup.controllers", ctrls, sizeof(ctrls), &local) < 0) {
    /* Kernels before 4.15 have no cgroup.controllers: then no controller is on v2. */
    hull_error_release(&local);
    ctrls[0] = '\0';
  }
  if (hull_cgroup_layout_set_v2_controllers(l, ctrls, err) < 0) {
    hull_cgroup_layout_clear(l);
    return -1;
  }
  *mountinfo = steal_pointer(&mi);
  return 0;
}

/* ---------------------------------------------------------------- paths */

int hull_cgroup_normalize_path(const char *cgroups_path, const char *id, char **out, bool *relative, hull_err *err) {
  cleanup_free char *def = NULL;
  if (cgroups_path == NULL || cgroups_path[0] == '\0') {
    if (id == NULL || id[0] == '\0' || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
      return hull_error(err, 0, "cgroup path for container id \"%s\": invalid id", id ? id : "");
    if (asprintf(&def, DEFAULT_PARENT "/%s", id) < 0)
      return hull_error(err, ENOMEM, "cgroup path for container %s", id);
    cgroups_path = def;
  }
  *relative = cgroups_path[0] != '/';
  cleanup_free char *copy = strdup(cgroups_path);
  cleanup_free char *res = malloc(strlen(cgroups_path) + 2);
  if (copy == NULL || res == NULL)
    return hull_error(err, ENOMEM, "cgroupsPath %s", cgroups_path);
  size_t n = 0;
  char *save = NULL;
  for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (strcmp(t, ".") == 0)
      continue;
    if (strcmp(t, "..") == 0)
      return hull_error(err, 0, "cgroupsPath %s: \"..\" components are not allowed", cgroups_path);
    res[n++] = '/';
    memcpy(res + n, t, strlen(t));
    n += strlen(t);
  }
  res[n] = '\0';
  if (n == 0)
    return hull_error(err, 0, "cgroupsPath %s: names the %s cgroup, not one for the container", cgroups_path,
                      *relative ? "runtime's own" : "root");
  *out = steal_pointer(&res);
  return 0;
}

char *hull_cgroup_hier_dir(const struct hull_cgroup_hier *h, const char *path, bool relative) {
  cleanup_free char *base = relative ? hull_cg_path_join(h->mount, strcmp(h->own, "/") == 0 ? "" : h->own) : NULL;
  if (relative && base == NULL)
    return NULL;
  return hull_cg_path_join(relative ? base : h->mount, path);
}

int hull_cgroup_new_from_layout(struct hull_cgroup_layout *l, const char *cgroups_path, const char *id,
                                hull_cgroup **out, hull_err *err) {
  cleanup_free char *path = NULL;
  bool relative = false;
  if (hull_cgroup_normalize_path(cgroups_path, id, &path, &relative, err) < 0) {
    hull_cgroup_layout_clear(l);
    return -1;
  }
  hull_cgroup *cg = calloc(1, sizeof(*cg));
  if (cg != NULL) {
    cg->v2fd = -1;
    cg->mgr = &hull_cg_cgroupfs;
  }
  if (cg == NULL) {
    hull_cgroup_layout_clear(l);
    return hull_error(err, ENOMEM, "cgroup for %s", path);
  }
  /* The layout becomes the cgroup's: each hierarchy gains the container's directory. */
  cg->l = *l;
  memset(l, 0, sizeof(*l));
  for (size_t i = 0; i < cg->l.n; i++) {
    struct hull_cgroup_hier *h = &cg->l.h[i];
    if ((h->dir = hull_cgroup_hier_dir(h, path, relative)) == NULL) {
      hull_cgroup_free(cg);
      return hull_error(err, ENOMEM, "cgroup for %s", path);
    }
  }
  const struct hull_cgroup_hier *p = hull_cg_primary(cg);
  cg->path = p ? hull_cg_path_join(p->root ? p->root : "/", p->dir + strlen(p->mount)) : strdup(path);
  if (cg->path == NULL) {
    hull_cgroup_free(cg);
    return hull_error(err, ENOMEM, "cgroup for %s", path);
  }
  *out = cg;
  return 0;
}

int hull_cgroup_new(const char *cgroups_path, const char *id, const char *manager, hull_cgroup **out, hull_err *err) {
  struct hull_cgroup_layout l;
  char *mountinfo = NULL;
  bool systemd = manager != NULL && strcmp(manager, "systemd") == 0;
  if (detect_layout(&l, &mountinfo, err) < 0)
    return -1;
  cleanup_free char *unit = NULL, *path = NULL;
  /* systemd names the cgroup: the scope's place below its slice, as an absolute path. */
  if (systemd && hull_cg_systemd_resolve(cgroups_path, id, l.kind, &path, &unit, err) < 0) {
    hull_cgroup_layout_clear(&l);
    free(mountinfo);
    return -1;
  }
  if (hull_cgroup_new_from_layout(&l, systemd ? path : cgroups_path, id, out, err) < 0) {
    free(mountinfo);
    return -1;
  }
  (*out)->mountinfo = mountinfo;
  if (systemd) {
    (*out)->mgr = &hull_cg_systemd;
    (*out)->unit = steal_pointer(&unit);
  }
  return 0;
}

const char *hull_cgroup_mountinfo(const hull_cgroup *cg) { return cg->mountinfo; }

void hull_cgroup_free(hull_cgroup *cg) {
  if (cg == NULL)
    return;
  if (cg->v2fd >= 0)
    close(cg->v2fd);
  hull_cg_systemd_close(cg);
  free(cg->unit);
  hull_cgroup_layout_clear(&cg->l);
  free(cg->path);
  free(cg->mountinfo);
  free(cg);
}

const char *hull_cgroup_path(const hull_cgroup *cg) { return cg->path; }

enum hull_cgroup_kind hull_cgroup_kind(const hull_cgroup *cg) { return cg->l.kind; }

const char *hull_cgroup_dir(const hull_cgroup *cg, const char *controller) {
  const struct hull_cgroup_hier *d = hull_cg_find(cg, controller);
  return d ? d->dir : NULL;
}

const struct hull_cgroup_hier *hull_cgroup_hierarchy(const hull_cgroup *cg, size_t i) {
  return i < cg->l.n ? &cg->l.h[i] : NULL;
}

/* ---------------------------------------------------------------- creation */

/* A new v1 cpuset cgroup starts with empty cpus and mems, and no task can join it until
 * they are set: copy them from the parent (which was filled the same way). */
static int cpuset_fill(const char *dir, size_t parent_len, hull_err *err) {
  static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
  for (size_t i = 0; i < 2; i++) {
    char cur[4096], val[4096];
    if (hull_cg_read(dir, files[i], cur, sizeof(cur), err) < 0)
      return -1;
    if (cur[0] != '\0')
      continue;
    cleanup_free char *parent = strndup(dir, parent_len);
    if (parent == NULL)
      return hull_error(err, ENOMEM, "read %s", dir);
    if (hull_cg_read(parent, files[i], val, sizeof(val), err) < 0)
      return -1;
    if (val[0] != '\0' && hull_cg_write(dir, files[i], val, err) < 0)
      return -1;
  }
  return 0;
}

/* Removes the directories dir, its parent, ... (count of them), deepest first. */
static void rmdir_trailing(const char *dir, const size_t *ends, int from, int to) {
  char p[PATH_MAX];
  snprintf(p, sizeof(p), "%s", dir);
  for (int k = to; k >= from; k--) {
    p[ends[k]] = '\0';
    rmdir(p);
  }
}

/* mkdir -p of the container's directory in one hierarchy, recording which trailing
 * components this call created. On failure, whatever it created is removed again. */
static int mkdir_hier(struct hull_cgroup_hier *d, bool cpuset, hull_err *err) {
  size_t mlen = strlen(d->mount), ends[MAX_DEPTH];
  int n = hull_cg_component_ends(d->dir, mlen, ends, MAX_DEPTH);
  char p[PATH_MAX];
  if (n <= 0 || strlen(d->dir) >= sizeof(p))
    return hull_error(err, 0, "mkdir %s: not a cgroup path below %s", d->dir, d->mount);
  d->created = 0;
  /* Usually every ancestor exists (the default parent is shared): one mkdir. The cpuset
   * hierarchy takes the walk below, which also fills ancestors someone left empty. */
  if (!cpuset && n > 1 && mkdir(d->dir, 0755) == 0) {
    d->created = 1;
    return 0;
  }
  for (int attempt = 0;; attempt++) {
    int first = -1, k, e = 0;
    snprintf(p, sizeof(p), "%s", d->dir);
    for (k = 0; k < n; k++) {
      p[ends[k]] = '\0';
      if (mkdir(p, 0755) == 0) {
        if (first < 0)
          first = k;
      } else if (errno == EEXIST) {
        /* Someone else's directory (possibly created between our own mkdirs): only the
         * components below it can be ours. */
        first = -1;
      } else {
        e = errno;
        break;
      }
      if (cpuset && cpuset_fill(p, k ? ends[k - 1] : mlen, err) < 0) {
        int fe = (*err)->errno_;
        if (first >= 0)
          rmdir_trailing(d->dir, ends, first, k);
        /* A concurrent delete removed the (shared) parent while we copied its cpus:
         * the same race as a mkdir's ENOENT, and retried the same way. */
        if ((fe == ENOENT || fe == ENODEV) && attempt < 5) {
          hull_error_release(err);
          e = ENOENT;
          first = -1; /* removed above */
          break;
        }
        return -1;
      }
      p[ends[k]] = d->dir[ends[k]];
    }
    if (k == n) {
      d->created = first >= 0 ? n - first : 0;
      return 0;
    }
    if (first >= 0)
      rmdir_trailing(d->dir, ends, first, k - 1);
    /* ENOENT: a concurrent destroy removed an ancestor we had found existing; retry. */
    if (e != ENOENT || attempt == 5) {
      errno = e;
      return hull_error_sys(err, "mkdir %s", p);
    }
  }
}

/* A new cgroup below a threaded subtree is "domain invalid" and cannot take processes;
 * like runc, make it threaded (domain controllers will then fail with a clear write). */
static void v2_fix_type(const struct hull_cgroup_hier *d) {
  char type[64];
  hull_err local = NULL;
  if (hull_cg_read(d->dir, "cgroup.type", type, sizeof(type), &local) == 0 && strcmp(type, "domain invalid") == 0 &&
      hull_cg_write(d->dir, "cgroup.type", "threaded", &local) == 0)
    return;
  hull_error_release(&local); /* best effort, see above */
}

static void remove_created_quiet(hull_cgroup *cg) {
  for (size_t i = cg->l.n; i-- > 0;) {
    struct hull_cgroup_hier *d = &cg->l.h[i];
    size_t ends[MAX_DEPTH];
    int n = hull_cg_component_ends(d->dir, strlen(d->mount), ends, MAX_DEPTH);
    if (d->created > 0 && n >= d->created)
      rmdir_trailing(d->dir, ends, n - d->created, n - 1);
    d->created = 0;
    d->made = false;
  }
}

int hull_cgroup_create(hull_cgroup *cg, json_t *resources, hull_err *err) {
  if (hull_cgroup_create_dirs(cg, 0, resources, err) < 0)
    return -1;
  if (hull_cgroup_configure(cg, resources, err) < 0) {
    hull_err e = NULL; /* best effort: the configure error is the one to report */
    if (cg->mgr == &hull_cg_cgroupfs)
      remove_created_quiet(cg);
    else if (cg->mgr->destroy(cg, &e) < 0)
      hull_error_release(&e);
    return -1;
  }
  return 0;
}

json_t *hull_cgroup_to_json_planned(hull_cgroup *cg) {
  int saved[HULL_CGROUP_MAX_HIER];
  for (size_t i = 0; i < cg->l.n; i++) {
    struct hull_cgroup_hier *d = &cg->l.h[i];
    size_t ends[MAX_DEPTH];
    int n = hull_cg_component_ends(d->dir, strlen(d->mount), ends, MAX_DEPTH);
    char p[PATH_MAX];
    saved[i] = d->created;
    d->created = 0;
    if (n <= 0 || strlen(d->dir) >= sizeof(p))
      continue;
    snprintf(p, sizeof(p), "%s", d->dir);
    /* Usually two lookups: the container's own directory (missing) and its parent. */
    for (int k = n - 1; k >= 0; k--) {
      p[ends[k]] = '\0';
      if (access(p, F_OK) == 0 || errno != ENOENT)
        break;
      d->created++;
    }
  }
  json_t *j = hull_cgroup_to_json(cg);
  /* Only the record claims them: until the mkdirs, cg owns nothing it could remove. */
  for (size_t i = 0; i < cg->l.n; i++)
    cg->l.h[i].created = saved[i];
  return j;
}

int hull_cgroup_create_dirs(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err) {
  return cg->mgr->create(cg, pid, resources, err);
}

bool hull_cgroup_precreate_p(const hull_cgroup *cg) { return cg->mgr->precreate_p(cg); }

/* Always, since the init enters at birth (hull_cgroup_birth_open): a v1 host once made the
 * directories while the child mounted, to hide the cgroup.procs write's grace period. */
static bool fs_precreate_p(const hull_cgroup *cg) {
  (void)cg;
  return true;
}

/* The directories of the v1 hierarchies, of the cgroup2 one, or both, at most max of those
 * not made yet: how many it made, or -1. A failure leaves what was made (recorded in
 * `created`) to the caller. */
static int fs_create_some(hull_cgroup *cg, bool v1, bool v2, size_t max, hull_err *err) {
  int made = 0;
  for (size_t i = 0; i < cg->l.n && (size_t)made < max; i++) {
    struct hull_cgroup_hier *d = &cg->l.h[i];
    if (d->made || (d->v2 ? !v2 : !v1))
      continue;
    bool cpuset = !d->v2 && hull_cg_list_has(d->controllers, "cpuset");
    if (mkdir_hier(d, cpuset, err) < 0)
      return -1;
    d->made = true;
    made++;
    if (d->v2) {
      /* Pure v2: enable every available controller down to the parent (runc, crun). In
       * hybrid mode only what the resources need is enabled, by the resource writers:
       * the host's unified tree is otherwise left as it is. */
      if (cg->l.kind == HULL_CGROUP_V2)
        hull_cg_v2_enable(d, d->controllers);
      v2_fix_type(d);
    }
  }
  return made;
}

static int fs_create(hull_cgroup *cg, pid_t pid, json_t *resources, hull_err *err) {
  (void)pid;
  (void)resources;
  if (fs_create_some(cg, true, true, SIZE_MAX, err) < 0) {
    remove_created_quiet(cg);
    return -1;
  }
  return 0;
}

bool hull_cgroup_v1_late_p(const hull_cgroup *cg) {
  if (cg->mgr != &hull_cg_cgroupfs)
    return false;
  for (size_t i = 0; i < cg->l.n; i++)
    if (!cg->l.h[i].v2)
      return true;
  return false;
}

int hull_cgroup_create_v2_part(hull_cgroup *cg, hull_err *err) {
  if (fs_create_some(cg, false, true, SIZE_MAX, err) < 0) {
    remove_created_quiet(cg);
    return -1;
  }
  return 0;
}

int hull_cgroup_create_v1_next(hull_cgroup *cg, hull_err *err) {
  int made = fs_create_some(cg, true, false, 1, err);
  if (made < 0)
    remove_created_quiet(cg);
  return made;
}

int hull_cgroup_create_v1_part(hull_cgroup *cg, json_t *resources, hull_err *err) {
  return fs_create_some(cg, true, false, SIZE_MAX, err) < 0 ? -1 : hull_cgroup_configure(cg, resources, err);
}

int hull_cgroup_tasks_open(const hull_cgroup *cg, size_t i, hull_err *err) {
  const struct hull_cgroup_hier *d = &cg->l.h[i];
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof(path), "%s/tasks", d->dir) >= sizeof(path))
    return hull_error(err, ENAMETOOLONG, "open %s/tasks", d->dir);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s", path);
  return fd;
}

int hull_cgroup_configure(hull_cgroup *cg, json_t *resources, hull_err *err) {
  return cg->mgr->apply(cg, resources, false, err);
}

int hull_cgroup_update(hull_cgroup *cg, json_t *resources, hull_err *err) {
  return cg->mgr->apply(cg, resources, true, err);
}

int hull_cgroup_enter(hull_cgroup *cg, pid_t pid, hull_err *err) { return cg->mgr->enter(cg, pid, err); }

/* True when the comma-separated list has one of the comma-separated names. */
static bool controllers_meet(const char *have, const char *want) {
  for (const char *w = want; *w;) {
    size_t wl = strcspn(w, ",");
    for (const char *h = have; *h;) {
      size_t hl = strcspn(h, ",");
      if (hl == wl && strncmp(h, w, wl) == 0)
        return true;
      h += hl + (h[hl] == ',');
    }
    w += wl + (w[wl] == ',');
  }
  return false;
}

int hull_cgroup_enter_sub(hull_cgroup *cg, pid_t pid, char *const *specs, hull_err *err) {
  const char *sub[HULL_CGROUP_MAX_HIER] = {NULL};
  for (char *const *s = specs; s && *s; s++) {
    const char *colon = strchr(*s, ':'), *path = colon ? colon + 1 : *s;
    char want[256] = "";
    if (colon && (size_t)(colon - *s) < sizeof(want))
      memcpy(want, *s, (size_t)(colon - *s));
    if (*path == '\0' || *path == '/' || strcmp(path, "..") == 0 || strncmp(path, "../", 3) == 0 ||
        strstr(path, "/../") || (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0))
      return hull_error(err, EINVAL, "--cgroup %s: the path must be relative to the container's cgroup, without ..",
                        *s);
    bool matched = false;
    for (size_t i = 0; i < cg->l.n && i < HULL_CGROUP_MAX_HIER; i++) {
      if (*want != '\0' && (cg->l.h[i].v2 || !controllers_meet(cg->l.h[i].controllers, want)))
        continue;
      sub[i] = path;
      matched = true;
    }
    if (!matched)
      return hull_error(err, EINVAL, "--cgroup %s: no cgroup v1 hierarchy of the container carries %s", *s, want);
  }
  char buf[32], dir[PATH_MAX];
  snprintf(buf, sizeof(buf), "%d", (int)pid);
  for (size_t i = 0; i < cg->l.n && i < HULL_CGROUP_MAX_HIER; i++) {
    if (sub[i] == NULL)
      continue;
    if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", cg->l.h[i].dir, sub[i]) >= sizeof(dir))
      return hull_error(err, ENAMETOOLONG, "--cgroup %s", sub[i]);
    /* Only an existing sub-cgroup, as runc: exec does not create cgroups. */
    if (!hull_cg_exists(dir, "cgroup.procs"))
      return hull_error(err, ENOENT, "--cgroup %s: %s does not exist", sub[i], dir);
    if (hull_cg_write(dir, "cgroup.procs", buf, err) < 0)
      return -1;
  }
  return 0;
}

int hull_cgroup_v2_dirfd(hull_cgroup *cg) {
  const struct hull_cgroup_hier *d = hull_cg_v2(cg);
  if (cg->l.kind != HULL_CGROUP_V2 || d == NULL)
    return -1;
  /* Opened once and owned by cg: callers ask for it more than once around a clone. */
  if (cg->v2fd < 0)
    cg->v2fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return cg->v2fd;
}

int hull_cgroup_birth_open(hull_cgroup *cg, struct hull_cgroup_birth *b, bool v1_later, hull_err *err) {
  b->n = 0;
  b->v2fd = hull_cgroup_v2_dirfd(cg);
  for (size_t i = 0; i < HULL_CGROUP_MAX_HIER; i++)
    b->tasks[i] = -1;
  if (cg->mgr != &hull_cg_cgroupfs)
    return 0;
  for (size_t i = 0; i < cg->l.n && i < HULL_CGROUP_MAX_HIER; i++, b->n++) {
    const struct hull_cgroup_hier *d = &cg->l.h[i];
    if (d->v2) {
      /* The unified hierarchy of a hybrid host too: clone3 places into it like on v2. */
      if (cg->v2fd < 0)
        cg->v2fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cg->v2fd < 0) {
        hull_cgroup_birth_close(b);
        return hull_error_sys(err, "open cgroup %s", d->dir);
      }
      b->v2fd = cg->v2fd;
      continue;
    }
    if (v1_later)
      continue;
    b->tasks[i] = hull_cgroup_tasks_open(cg, i, err);
    if (b->tasks[i] < 0) {
      hull_cgroup_birth_close(b);
      return -1;
    }
  }
  return 0;
}

void hull_cgroup_birth_close(struct hull_cgroup_birth *b) {
  for (size_t i = 0; i < HULL_CGROUP_MAX_HIER; i++)
    if (b->tasks[i] >= 0) {
      close(b->tasks[i]);
      b->tasks[i] = -1;
    }
}

int hull_cgroup_birth_enter(const hull_cgroup *cg, struct hull_cgroup_birth *b, hull_err *err) {
  int rc = 0;
  for (size_t i = 0; i < b->n; i++) {
    if (b->tasks[i] < 0)
      continue;
    ssize_t r;
    do
      r = rc == 0 ? write(b->tasks[i], "0", 1) : 1;
    while (r < 0 && errno == EINTR);
    if (r < 0)
      rc = hull_error_sys(err, "enter the cgroup %s in hierarchy %s", cg->l.h[i].dir, cg->l.h[i].controllers);
  }
  hull_cgroup_birth_close(b);
  return rc;
}

/* ---------------------------------------------------------------- removal */

/* rmdir dir after every cgroup nested in it (the container may have made its own). */
static int rmdir_tree(const char *dir, int depth) {
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  if (errno != EBUSY && errno != ENOTEMPTY)
    return -1;
  int saved = errno;
  if (depth < 32) {
    cleanup_dir DIR *dh = opendir(dir);
    for (struct dirent *de; dh && (de = readdir(dh)) != NULL;) {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_free char *sub = NULL;
      if (asprintf(&sub, "%s/%s", dir, de->d_name) >= 0)
        rmdir_tree(sub, depth + 1);
    }
  }
  if (rmdir(dir) == 0 || errno == ENOENT)
    return 0;
  if (errno == EBUSY || errno == ENOTEMPTY)
    errno = saved;
  return -1;
}

int hull_cgroup_destroy(hull_cgroup *cg, hull_err *err) { return cg->mgr->destroy(cg, err); }

static int fs_destroy(hull_cgroup *cg, hull_err *err) {
  bool owned = false;
  for (size_t i = 0; i < cg->l.n; i++)
    owned = owned || cg->l.h[i].created > 0;
  /* A cgroup we joined but did not create may hold processes that are not ours. */
  if (!owned)
    return 0;
  hull_cg_fs_drain(cg);
  long long start = hull_cg_now_ms();
  for (size_t i = cg->l.n; i-- > 0;) {
    struct hull_cgroup_hier *d = &cg->l.h[i];
    size_t ends[MAX_DEPTH];
    int n = hull_cg_component_ends(d->dir, strlen(d->mount), ends, MAX_DEPTH);
    if (d->created <= 0 || n < d->created)
      continue;
    while (rmdir_tree(d->dir, 0) < 0) {
      if (errno != EBUSY || hull_cg_now_ms() - start > RMDIR_WAIT_MS)
        return hull_error_sys(err, "remove cgroup %s", d->dir);
      hull_cg_sleep_ms(10);
    }
    /* Ancestors we created may be shared with other containers by now: EBUSY there
     * means "still in use" and is fine. The default parent (/hull-runtime) stays, empty,
     * as Docker's /docker does: every container would otherwise create and remove it
     * again (two cgroups more per hierarchy and container), racing with the others. */
    char *slash = strrchr(d->dir, '/');
    bool default_parent = slash != NULL && slash - d->dir >= (ptrdiff_t)strlen(DEFAULT_PARENT) &&
                          strncmp(slash - strlen(DEFAULT_PARENT), DEFAULT_PARENT, strlen(DEFAULT_PARENT)) == 0;
    int keep = default_parent ? 1 : 0;
    if (d->created > 1 + keep)
      rmdir_trailing(d->dir, ends, n - d->created, n - 2 - keep);
    d->created = 0;
  }
  return 0;
}

static const struct hull_cg_manager hull_cg_cgroupfs = {
    .name = "cgroupfs",
    .precreate_p = fs_precreate_p,
    .create = fs_create,
    .apply = hull_cg_apply_resources,
    .enter = hull_cg_fs_enter,
    .destroy = fs_destroy,
};

/* ---------------------------------------------------------------- persistence */

static const char *kind_name(enum hull_cgroup_kind k) {
  return k == HULL_CGROUP_V2 ? "v2" : k == HULL_CGROUP_HYBRID ? "hybrid" : "v1";
}

json_t *hull_cgroup_to_json(const hull_cgroup *cg) {
  json_t *arr = json_array();
  if (arr == NULL)
    return NULL;
  for (size_t i = 0; i < cg->l.n; i++) {
    const struct hull_cgroup_hier *d = &cg->l.h[i];
    json_t *h = json_pack("{s:s, s:s, s:s, s:i}", "controllers", d->controllers, "mount", d->mount, "dir",
                          d->dir + strlen(d->mount), "created", d->created);
    if (h && d->v2)
      json_object_set_new(h, "v2", json_true());
    if (h == NULL || json_array_append_new(arr, h) < 0) {
      json_decref(arr);
      return NULL;
    }
  }
  json_t *j = json_pack("{s:s, s:s, s:o, s:s}", "kind", kind_name(cg->l.kind), "path", cg->path, "hierarchies", arr,
                        "manager", cg->mgr->name);
  if (j && cg->unit && json_object_set_new(j, "unit", json_string(cg->unit)) < 0) {
    json_decref(j);
    return NULL;
  }
  return j;
}

static int dir_from_json(json_t *h, struct hull_cgroup_hier *d, hull_err *err) {
  const char *ctrls = NULL, *mount = NULL, *dir = NULL;
  json_int_t created = 0;
  int v2 = 0;
  json_error_t je;
  if (json_unpack_ex(h, &je, 0, "{s:s, s:s, s:s, s:I, s?b}", "controllers", &ctrls, "mount", &mount, "dir", &dir,
                     "created", &created, "v2", &v2) < 0)
    return hull_error(err, 0, "cgroup state: %s", je.text);
  cleanup_free char *norm = NULL;
  bool rel = false;
  if (mount[0] != '/' || hull_cgroup_normalize_path(dir, NULL, &norm, &rel, err) < 0 || strcmp(norm, dir) != 0)
    return (err && *err) ? -1 : hull_error(err, 0, "cgroup state: bad directory %s%s", mount, dir);
  d->controllers = strdup(ctrls);
  d->mount = strdup(mount);
  d->dir = hull_cg_path_join(mount, dir);
  d->created = (int)created;
  d->v2 = v2;
  if (!d->controllers || !d->mount || !d->dir)
    return hull_error(err, ENOMEM, "cgroup state");
  return 0;
}

int hull_cgroup_from_json(json_t *j, hull_cgroup **out, hull_err *err) {
  const char *kind = NULL, *path = NULL, *manager = "cgroupfs", *unit = NULL;
  json_t *arr = NULL;
  json_error_t je;
  if (json_unpack_ex(j, &je, 0, "{s:s, s:s, s:o, s?s, s?s}", "kind", &kind, "path", &path, "hierarchies", &arr,
                     "manager", &manager, "unit", &unit) < 0)
    return hull_error(err, 0, "cgroup state: %s", je.text);
  bool systemd = strcmp(manager, "systemd") == 0;
  if ((!systemd && strcmp(manager, "cgroupfs") != 0) || (systemd && unit == NULL))
    return hull_error(err, 0, "cgroup state: bad manager \"%s\"", manager);
  if (!json_is_array(arr) || json_array_size(arr) > HULL_CGROUP_MAX_HIER)
    return hull_error(err, 0, "cgroup state: bad \"hierarchies\"");
  hull_cgroup *cg = calloc(1, sizeof(*cg));
  if (cg != NULL)
    cg->v2fd = -1;
  if (cg == NULL)
    return hull_error(err, ENOMEM, "cgroup state");
  cg->mgr = systemd ? &hull_cg_systemd : &hull_cg_cgroupfs;
  /* Recorded only after the scope started: it is the container's. */
  cg->unit_owned = systemd;
  if (unit != NULL && (cg->unit = strdup(unit)) == NULL) {
    hull_cgroup_free(cg);
    return hull_error(err, ENOMEM, "cgroup state");
  }
  cg->l.kind = strcmp(kind, "v2") == 0       ? HULL_CGROUP_V2
               : strcmp(kind, "hybrid") == 0 ? HULL_CGROUP_HYBRID
                                             : HULL_CGROUP_V1;
  cg->path = strdup(path);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    if (dir_from_json(json_array_get(arr, i), &cg->l.h[cg->l.n++], err) < 0) {
      hull_cgroup_free(cg);
      return -1;
    }
  }
  if (cg->path == NULL) {
    hull_cgroup_free(cg);
    return hull_error(err, ENOMEM, "cgroup state");
  }
  *out = cg;
  return 0;
}
