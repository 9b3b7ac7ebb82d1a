/* The systemd cgroup driver's pure parts: cgroupsPath parsing, slice expansion and the
 * resources -> unit properties conversions (runc's). The bus is tested in the systemd VM
 * guest (tests/vm/systemd). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cgroup.h"
#include "tap.h"

static void test_slices(void) {
  static const struct {
    const char *in, *out;
  } good[] = {{"system.slice", "/system.slice"},
              {"a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice"},
              {"-.slice", ""},
              {"kubepods-besteffort.slice", "/kubepods.slice/kubepods-besteffort.slice"}};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    char *out = NULL;
    hull_err e = NULL;
    int r = hull_cg_systemd_expand_slice(good[i].in, &out, &e);
    ok(r == 0 && out && strcmp(out, good[i].out) == 0, "expand %s -> \"%s\" (got \"%s\")", good[i].in, good[i].out,
       out ? out : e->msg);
    free(out);
    hull_error_release(&e);
  }
  static const char *const bad[] = {"a--b.slice", "-a.slice", "a-.slice", "a/b.slice", "a.scope", ".slice", ""};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char *out = NULL;
    hull_err e = NULL;
    ok(hull_cg_systemd_expand_slice(bad[i], &out, &e) < 0 && e != NULL, "slice \"%s\" refused", bad[i]);
    free(out);
    hull_error_release(&e);
  }
}

static void test_paths(void) {
  static const struct {
    const char *in, *slice, *unit;
  } good[] = {{"machine.slice:libpod:abc", "machine.slice", "libpod-abc.scope"},
              {":runc:x", "system.slice", "runc-x.scope"},
              {"a-b.slice::x", "a-b.slice", "x.scope"},
              {NULL, "system.slice", "hull-runtime-ID.scope"},
              {"", "system.slice", "hull-runtime-ID.scope"}};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    char *slice = NULL, *unit = NULL;
    hull_err e = NULL;
    int r = hull_cg_systemd_parse_path(good[i].in, "ID", &slice, &unit, &e);
    ok(r == 0 && strcmp(slice, good[i].slice) == 0 && strcmp(unit, good[i].unit) == 0, "path \"%s\" -> %s %s",
       good[i].in ? good[i].in : "(null)", good[i].slice, good[i].unit);
    free(slice);
    free(unit);
    hull_error_release(&e);
  }
  static const char *const bad[] = {"/a/b", "a:b", "a:b:c:d", "s.slice:p:", "s.slice:p:x y", "s.slice:p:sub.slice"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char *slice = NULL, *unit = NULL;
    hull_err e = NULL;
    ok(hull_cg_systemd_parse_path(bad[i], "ID", &slice, &unit, &e) < 0 && e != NULL, "path \"%s\" refused: %s", bad[i],
       e ? e->msg : "-");
    free(slice);
    free(unit);
    hull_error_release(&e);
  }
}

static const struct hull_sd_prop *find(const struct hull_sd_prop *p, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(p[i].name, name) == 0)
      return &p[i];
  return NULL;
}

static void test_props(void) {
  json_t *r = json_loads("{\"memory\": {\"limit\": 104857600, \"reservation\": 1048576, \"swap\": 209715200},"
                         " \"cpu\": {\"shares\": 512, \"quota\": 33333, \"period\": 100000, \"cpus\": \"0-2,9\"},"
                         " \"pids\": {\"limit\": 64}, \"blockIO\": {\"weight\": 500}}",
                         0, NULL);
  struct hull_sd_prop p[16];
  size_t n = 0;
  hull_err e = NULL;
  ok(hull_cg_systemd_props(r, p, 16, &n, &e) == 0, "props from resources");
  const struct hull_sd_prop *q;
  ok((q = find(p, n, "MemoryMax")) && q->u == 104857600, "MemoryMax");
  ok((q = find(p, n, "MemoryLow")) && q->u == 1048576, "MemoryLow from reservation");
  ok((q = find(p, n, "MemorySwapMax")) && q->u == 104857600, "MemorySwapMax = swap - limit");
  ok((q = find(p, n, "CPUWeight")) && q->u == 20, "CPUWeight from shares 512 (runc: 20)");
  ok((q = find(p, n, "CPUQuotaPerSecUSec")) && q->u == 340000, "CPUQuotaPerSecUSec rounded up to 10 ms");
  ok((q = find(p, n, "CPUQuotaPeriodUSec")) && q->u == 100000, "CPUQuotaPeriodUSec");
  ok((q = find(p, n, "AllowedCPUs")) && q->bytes_p && q->nbytes == 2 && q->bytes[0] == 0x07 && q->bytes[1] == 0x02,
     "AllowedCPUs mask of 0-2,9");
  ok((q = find(p, n, "TasksMax")) && q->u == 64, "TasksMax");
  ok((q = find(p, n, "IOWeight")) && q->u == hull_cgroup_blkio_to_io_weight(500), "IOWeight from blkio weight");
  hull_cg_systemd_props_free(p, n);
  json_decref(r);

  r = json_loads("{\"memory\": {\"limit\": -1}, \"pids\": {\"limit\": -1}, \"cpu\": {\"quota\": -1}}", 0, NULL);
  ok(hull_cg_systemd_props(r, p, 16, &n, &e) == 0, "unlimited values");
  ok((q = find(p, n, "MemoryMax")) && q->u == UINT64_MAX, "MemoryMax -1 is infinity");
  ok((q = find(p, n, "TasksMax")) && q->u == UINT64_MAX, "TasksMax -1 is infinity");
  ok((q = find(p, n, "CPUQuotaPerSecUSec")) && q->u == UINT64_MAX, "quota -1 is infinity");
  hull_cg_systemd_props_free(p, n);
  json_decref(r);

  r = json_loads("{\"cpu\": {\"cpus\": \"1-x\"}}", 0, NULL);
  ok(hull_cg_systemd_props(r, p, 16, &n, &e) < 0 && e != NULL, "a bad cpu list is refused");
  hull_error_release(&e);
  json_decref(r);
}

int main(void) {
  test_slices();
  test_paths();
  test_props();
  return tap_done();
}
