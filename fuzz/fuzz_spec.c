/* libFuzzer target: config.json loading and validation, as `create` does it before anything
 * exists (untrusted-looking text even though config.json is trusted: a crash here would be a
 * crash of every client). A document that parses is then validated the way prepare() in
 * container.c goes on: hooks, the seccomp profile compiled to BPF (never loaded) and checked
 * against the syscalls the runtime makes after loading it, the cgroupsPath, and the device
 * rules of linux.resources. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

#define CHECK(cond, ...)                                                                                              \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      fprintf(stderr, "fuzz_spec: invariant violated: " __VA_ARGS__);                                                \
      fprintf(stderr, "\n");                                                                                          \
      abort();                                                                                                        \
    }                                                                                                                 \
  } while (0)

/* What the rest of the runtime takes for granted in a parsed spec. */
static void check_spec(const struct hull_spec *s) {
  CHECK(s->json != NULL && s->oci_version != NULL && s->root_path != NULL && s->root_path[0] == '/', "spec basics");
  for (size_t i = 0; i < s->n_mounts; i++) {
    const struct hull_mount *m = &s->mounts[i];
    CHECK(m->destination && m->destination[0] == '/', "mounts[%zu].destination", i);
    CHECK(m->data != NULL, "mounts[%zu].data", i);
    CHECK(m->type != NULL || m->bind, "mounts[%zu]: no type and not a bind mount", i);
  }
  for (size_t i = 0; i < s->n_devices; i++) {
    const struct hull_device *d = &s->devices[i];
    CHECK(d->path && d->path[0] == '/' && strchr("cbup", d->type) && d->type != '\0', "linux.devices[%zu]", i);
    CHECK(d->major >= 0 && d->minor >= 0 && (d->file_mode & ~07777) == 0, "linux.devices[%zu]", i);
  }
  if (s->n_uid_mappings || s->n_gid_mappings)
    CHECK(s->ns_present[HULL_NS_USER], "id mappings without a user namespace");
  if (s->has_process) {
    const struct hull_process *p = &s->process;
    for (size_t i = 0; i < p->n_rlimits; i++)
      CHECK(p->rlimits[i].resource >= 0 && p->rlimits[i].resource < RLIM_NLIMITS, "process.rlimits[%zu]", i);
  }
}

/* A bundle directory holding an empty "rootfs", so that documents with the usual
 * root.path ("rootfs", as `hull-runtime spec` writes it) or an absolute one ("/") get past
 * the rootfs check. */
static char bundle[256] = "/";
static char rootfs[272];

static void bundle_remove(void) {
  rmdir(rootfs);
  rmdir(bundle);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  /* fuzz/run.sh points HULL_FUZZ_TMP at a directory it removes afterwards (a crash skips
   * atexit). */
  const char *base = getenv("HULL_FUZZ_TMP");
  if (snprintf(bundle, sizeof(bundle), "%s/hull-fuzz-spec.XXXXXX", base ? base : "/tmp") >= (int)sizeof(bundle) ||
      mkdtemp(bundle) == NULL) {
    snprintf(bundle, sizeof(bundle), "/");
    return 0;
  }
  snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
  if (mkdir(rootfs, 0755) == 0)
    atexit(bundle_remove);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct hull_spec *s = NULL;
  hull_err err = NULL;
  int r = hull_spec_parse((const char *)data, size, bundle, &s, &err);
  CHECK((r < 0) == (err != NULL), "hull_spec_parse: return value and error disagree");
  hull_error_release(&err);
  if (r < 0)
    return 0;
  check_spec(s);

  if (hull_hooks_validate(s->hooks, &err) < 0)
    hull_error_release(&err);

  hull_seccomp *sc = NULL;
  r = hull_seccomp_compile(s->seccomp, &sc, &err);
  CHECK((r < 0) == (err != NULL), "hull_seccomp_compile: return value and error disagree");
  hull_error_release(&err);
  if (r == 0 && s->seccomp != NULL) {
    size_t len = 0;
    CHECK(hull_seccomp_bpf(sc, &len) != NULL && len > 0 && len % 8 == 0, "seccomp: empty program");
    /* A profile that would stop the runtime itself between loading and execve. */
    if (hull_seccomp_check_runtime(sc, !s->process.no_new_privileges, &err) < 0)
      hull_error_release(&err);
  }
  hull_seccomp_free(sc);

  char *path = NULL;
  bool relative = false;
  if (hull_cgroup_normalize_path(s->cgroups_path, "fuzz", &path, &relative, &err) == 0) {
    CHECK(path[0] == '/', "cgroupsPath normalized to \"%s\"", path);
    free(path);
  }
  hull_error_release(&err);

  json_t *res = s->resources;
  if (res != NULL)
    (void)hull_cgroup_devices_permissive_p(json_object_get(res, "devices"));

  hull_spec_free(s);
  return 0;
}
