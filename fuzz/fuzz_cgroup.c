/* libFuzzer target: the cgroup manager's parsers, without touching /sys/fs/cgroup.
 * The first byte picks what is fuzzed (data[0] % 4); the rest is split at NUL bytes into
 * fields (a missing field is empty):
 *   0  layout: /proc/self/mountinfo text, /proc/self/cgroup text, the root
 *      cgroup.controllers text, linux.cgroupsPath, the container id. The layout is parsed,
 *      the container's cgroup computed from it (hull_cgroup_new_from_layout), saved as
 *      state.json does it and loaded back: the directories must survive the round trip.
 *      (mountinfo is not quite trusted: with shared propagation a container's mounts show
 *      up in the runtime's mount namespace.)
 *   1  linux.cgroupsPath normalization and the directory it gives under a hierarchy; the
 *      same text as the systemd driver's "slice:prefix:name" and its slice expanded.
 *   2  JSON: the cgroup part of state.json (hull_cgroup_from_json), linux.resources.devices
 *      (hull_cgroup_devices_permissive_p) and linux.resources as systemd unit properties.
 *   3  the v1 -> v2 conversions (cpu shares, blkio weight, memory+swap) on raw integers. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "runtime/cgroup.h"

#define CHECK(cond, ...)                                                                                              \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      fprintf(stderr, "fuzz_cgroup: invariant violated: " __VA_ARGS__);                                              \
      fprintf(stderr, "\n");                                                                                          \
      abort();                                                                                                        \
    }                                                                                                                 \
  } while (0)

#define NFIELDS 5

/* A normalized cgroup path: "/a/b", no empty, "." or ".." component, no trailing slash. */
static void check_normalized(const char *p, const char *input) {
  CHECK(p[0] == '/' && p[1] != '\0', "\"%s\" normalized to \"%s\"", input, p);
  CHECK(strstr(p, "//") == NULL && p[strlen(p) - 1] != '/', "\"%s\" normalized to \"%s\"", input, p);
  CHECK(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL, "\"%s\" normalized to \"%s\"", input, p);
  size_t n = strlen(p);
  CHECK(!(n >= 2 && strcmp(p + n - 2, "/.") == 0) && !(n >= 3 && strcmp(p + n - 3, "/..") == 0),
        "\"%s\" normalized to \"%s\"", input, p);
}

static bool utf8_p(const char *s) {
  json_t *j = json_string(s); /* NULL when s is not valid UTF-8 */
  json_decref(j);
  return j != NULL;
}

static void check_layout(const struct hull_cgroup_layout *l) {
  CHECK(l->kind >= HULL_CGROUP_V1 && l->kind <= HULL_CGROUP_V2 && l->n > 0 && l->n <= HULL_CGROUP_MAX_HIER,
        "layout kind %d, %zu hierarchies", (int)l->kind, l->n);
  for (size_t i = 0; i < l->n; i++) {
    const struct hull_cgroup_hier *h = &l->h[i];
    CHECK(h->controllers && h->mount && h->root && h->own, "hierarchy %zu incomplete", i);
    CHECK(h->own[0] == '/', "hierarchy %zu: own cgroup \"%s\"", i, h->own);
    if (l->kind == HULL_CGROUP_V2)
      CHECK(h->v2, "a v1 hierarchy kept on a v2 host");
  }
  static const char *const ctrls[] = {"", "memory", "cpu", "cpuset", "pids", "name=systemd", "devices", "freezer"};
  for (size_t k = 0; k < sizeof(ctrls) / sizeof(ctrls[0]); k++) {
    const struct hull_cgroup_hier *h = hull_cgroup_layout_find(l, ctrls[k]);
    CHECK(h == NULL || (h >= l->h && h < l->h + l->n), "layout_find(%s)", ctrls[k]);
  }
}

static void fuzz_layout(char **f) {
  struct hull_cgroup_layout l;
  hull_err err = NULL;
  int r = hull_cgroup_parse_layout(f[0], f[1], &l, &err);
  CHECK((r < 0) == (err != NULL), "parse_layout: return value and error disagree");
  hull_error_release(&err);
  if (r < 0)
    return;
  check_layout(&l);
  if (f[2][0] != '\0') {
    CHECK(hull_cgroup_layout_set_v2_controllers(&l, f[2], &err) == 0, "set_v2_controllers failed");
    for (size_t i = 0; i < l.n; i++)
      if (l.h[i].v2)
        CHECK(strpbrk(l.h[i].controllers, " \t\n") == NULL, "cgroup2 controllers \"%s\"", l.h[i].controllers);
  }
  /* The kernel prints canonical cgroup paths ("/a/b", no "//" or "." components) in
   * /proc/self/cgroup; state.json only promises to reload directories built from those. */
  bool canonical = true;
  for (size_t i = 0; i < l.n; i++) {
    char *norm = NULL;
    bool rel;
    if (strcmp(l.h[i].own, "/") != 0 &&
        (hull_cgroup_normalize_path(l.h[i].own, NULL, &norm, &rel, &err) < 0 || strcmp(norm, l.h[i].own) != 0))
      canonical = false;
    hull_error_release(&err);
    free(norm);
  }
  hull_cgroup *cg = NULL;
  const char *cgroups_path = f[3][0] ? f[3] : NULL;
  const char *id = f[4][0] ? f[4] : "fuzz";
  if (hull_cgroup_new_from_layout(&l, cgroups_path, id, &cg, &err) < 0) { /* consumes l */
    CHECK(err != NULL, "new_from_layout failed without an error");
    hull_error_release(&err);
    return;
  }
  CHECK(hull_cgroup_path(cg) != NULL, "no display path");
  const struct hull_cgroup_hier *h;
  for (size_t i = 0; (h = hull_cgroup_hierarchy(cg, i)) != NULL; i++) {
    CHECK(h->controllers && h->mount && h->dir, "hierarchy %zu incomplete", i);
    CHECK(strlen(h->dir) >= strlen(h->mount), "hierarchy %zu: directory \"%s\" shorter than its mount \"%s\"", i,
          h->dir, h->mount);
  }
  (void)hull_cgroup_dir(cg, "memory");
  (void)hull_cgroup_dir(cg, "");

  /* state.json round trip. JSON strings are UTF-8: a path that is not (possible only from
   * the host's /proc/self/cgroup or mountinfo, since jansson refuses such a config.json)
   * cannot be recorded, and to_json says so with NULL. */
  json_t *j = hull_cgroup_to_json(cg);
  if (j == NULL) {
    bool utf8 = utf8_p(hull_cgroup_path(cg));
    for (size_t i = 0; (h = hull_cgroup_hierarchy(cg, i)) != NULL; i++)
      utf8 = utf8 && utf8_p(h->controllers) && utf8_p(h->mount) && utf8_p(h->dir);
    CHECK(!utf8, "to_json failed on UTF-8 paths");
    hull_cgroup_free(cg);
    return;
  }
  hull_cgroup *back = NULL;
  if (hull_cgroup_from_json(j, &back, &err) < 0) {
    if (!canonical) {
      hull_error_release(&err);
      json_decref(j);
      hull_cgroup_free(cg);
      return;
    }
    char *text = json_dumps(j, JSON_COMPACT);
    CHECK(false, "state.json does not load back: %s: %s", err->msg, text);
  }
  for (size_t i = 0; (h = hull_cgroup_hierarchy(cg, i)) != NULL; i++) {
    const struct hull_cgroup_hier *h2 = hull_cgroup_hierarchy(back, i);
    CHECK(h2 && strcmp(h->dir, h2->dir) == 0, "hierarchy %zu: \"%s\" came back as \"%s\"", i, h->dir,
          h2 ? h2->dir : "(none)");
  }
  CHECK(hull_cgroup_kind(back) == hull_cgroup_kind(cg), "kind came back different");
  json_decref(j);
  hull_cgroup_free(back);
  hull_cgroup_free(cg);
}

/* The systemd driver's parsers: a unit name always ends in ".scope", an expanded slice is
 * "" or an absolute path ending in the slice itself. */
static void fuzz_systemd_path(const char *path, const char *id) {
  char *slice = NULL, *unit = NULL, *dir = NULL;
  hull_err err = NULL;
  int r = hull_cg_systemd_parse_path(path, id, &slice, &unit, &err);
  CHECK((r < 0) == (err != NULL), "systemd parse_path: return value and error disagree");
  hull_error_release(&err);
  if (r == 0) {
    size_t n = strlen(unit);
    CHECK(n > 6 && strcmp(unit + n - 6, ".scope") == 0 && !strchr(unit, '/'), "unit \"%s\"", unit);
    r = hull_cg_systemd_expand_slice(slice, &dir, &err);
    CHECK((r < 0) == (err != NULL), "expand_slice: return value and error disagree");
    hull_error_release(&err);
    if (r == 0) {
      size_t ds = strlen(dir), ss = strlen(slice);
      CHECK((ds == 0 && strcmp(slice, "-.slice") == 0) ||
                (dir[0] == '/' && ds > ss && strcmp(dir + ds - ss, slice) == 0 && dir[ds - ss - 1] == '/'),
            "slice \"%s\" -> \"%s\"", slice, dir);
    }
  }
  free(slice);
  free(unit);
  free(dir);
}

static void fuzz_path(char **f) {
  char *out = NULL;
  bool relative = false;
  hull_err err = NULL;
  const char *id = f[1][0] ? f[1] : NULL;
  fuzz_systemd_path(f[0], id ? id : "x");
  int r = hull_cgroup_normalize_path(f[0][0] ? f[0] : NULL, id, &out, &relative, &err);
  CHECK((r < 0) == (err != NULL), "normalize_path: return value and error disagree");
  hull_error_release(&err);
  if (r < 0)
    return;
  check_normalized(out, f[0]);
  char *again = NULL;
  bool rel2 = true;
  CHECK(hull_cgroup_normalize_path(out, NULL, &again, &rel2, &err) == 0 && strcmp(again, out) == 0 && !rel2,
        "normalize is not idempotent on \"%s\"", out);
  free(again);
  struct hull_cgroup_hier h = {.controllers = (char *)"memory",
                               .mount = f[2][0] ? f[2] : (char *)"/sys/fs/cgroup/memory",
                               .root = (char *)"/",
                               .own = f[3][0] == '/' ? f[3] : (char *)"/",
                               .v2 = false};
  char *dir = hull_cgroup_hier_dir(&h, out, relative);
  CHECK(dir != NULL && strstr(dir, out) != NULL, "hier_dir(\"%s\") = \"%s\"", out, dir ? dir : "(null)");
  free(dir);
  free(out);
}

static void fuzz_json(const uint8_t *data, size_t size) {
  json_t *j = json_loadb((const char *)data, size, 0, NULL);
  if (j == NULL)
    return;
  (void)hull_cgroup_devices_permissive_p(j);
  struct hull_sd_prop props[16];
  size_t np = 0;
  hull_err perr = NULL;
  int pr = hull_cg_systemd_props(j, props, 16, &np, &perr);
  CHECK((pr < 0) == (perr != NULL) && (pr == 0 || np == 0), "systemd props: return value and error disagree");
  hull_error_release(&perr);
  hull_cg_systemd_props_free(props, np);
  hull_cgroup *cg = NULL;
  hull_err err = NULL;
  int r = hull_cgroup_from_json(j, &cg, &err);
  CHECK((r < 0) == (err != NULL), "from_json: return value and error disagree");
  hull_error_release(&err);
  if (r == 0) {
    json_t *j2 = hull_cgroup_to_json(cg);
    CHECK(j2 != NULL, "to_json of a loaded state failed");
    json_decref(j2);
    hull_cgroup_free(cg);
  }
  json_decref(j);
}

static uint64_t take64(const uint8_t **p, size_t *n) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) {
    v = v << 8 | (*n ? **p : 0);
    if (*n)
      (*p)++, (*n)--;
  }
  return v;
}

static void fuzz_conversions(const uint8_t *p, size_t n) {
  unsigned long long a = take64(&p, &n), b = take64(&p, &n);
  unsigned long long w = hull_cgroup_shares_to_weight(a);
  CHECK((a == 0) == (w == 0) && w <= 10000, "shares %llu -> weight %llu", a, w);
  w = hull_cgroup_blkio_to_io_weight(b);
  CHECK((b == 0) == (w == 0) && w <= 10000, "blkio weight %llu -> io.weight %llu", b, w);
  long long swap = (long long)a, limit = (long long)b, out = 0;
  hull_err err = NULL;
  int r = hull_cgroup_swap_to_v2(swap, limit, &out, &err);
  CHECK((r < 0) == (err != NULL), "swap_to_v2: return value and error disagree");
  hull_error_release(&err);
  if (r == 1)
    CHECK(out == -1 || (out >= 0 && out <= swap), "swap %lld limit %lld -> memory.swap.max %lld", swap, limit, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t op = data[0] % 4;
  if (op == 2) {
    fuzz_json(data + 1, size - 1);
    return 0;
  }
  if (op == 3) {
    fuzz_conversions(data + 1, size - 1);
    return 0;
  }
  char *buf = malloc(size + 1);
  if (buf == NULL)
    return 0;
  memcpy(buf, data + 1, size - 1);
  buf[size - 1] = '\0';
  char *f[NFIELDS];
  char *p = buf;
  for (int i = 0; i < NFIELDS; i++) {
    f[i] = p;
    if (p < buf + size - 1)
      p += strlen(p) + 1;
    if (p > buf + size - 1)
      p = buf + size - 1;
  }
  if (op == 0)
    fuzz_layout(f);
  else
    fuzz_path(f);
  free(buf);
  return 0;
}
