/* The public header alone (include/hull/runtime.h): what an embedder sees without root
 * and without running a container. tests/integration/runtime-api.bats runs containers. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hull/runtime.h>

#include "tap.h"

static int warnings;
static void count_log(void *ud, enum hull_rt_log_level level, const char *msg) {
  (void)ud;
  (void)msg;
  if (level >= HULL_RT_LOG_WARNING)
    warnings++;
}

static bool dir_empty(const char *path) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A %s)\" ]", path);
  return system(cmd) == 0;
}

int main(void) {
  char root[] = "/tmp/hull-test-api-XXXXXX";
  char bundle[] = "/tmp/hull-test-api-bundle-XXXXXX";
  if (mkdtemp(root) == NULL || mkdtemp(bundle) == NULL) {
    ok(0, "mkdtemp");
    return tap_done();
  }
  char rootfs[64];
  snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
  mkdir(rootfs, 0755);
  struct hull_rt_config cfg = {.root = root, .log = count_log, .log_fd = -1};
  struct hull_rt *rt = NULL;
  hull_err e = NULL;
  ok(hull_rt_open(&cfg, &rt, &e) == 0 && rt != NULL && e == NULL, "hull_rt_open");

  json_t *st = NULL;
  ok(hull_rt_state(rt, "nope", &st, &e) < 0 && st == NULL && hull_err_errno(e) == ENOENT &&
         strcmp(hull_err_message(e), "container nope does not exist") == 0,
     "state of a missing container: ENOENT, runc's text");
  hull_err_free(&e);
  ok(e == NULL, "hull_err_free clears the error");
  hull_err_free(&e); /* a second free of nothing is harmless */

  json_t *list = NULL;
  ok(hull_rt_list(rt, &list, &e) == 0 && json_array_size(list) == 0, "list of an empty root");
  json_decref(list);

  ok(hull_rt_delete(rt, "nope", false, &e) < 0 && hull_err_errno(e) == ENOENT, "delete of a missing container");
  hull_err_free(&e);
  ok(hull_rt_kill(rt, "../x", SIGTERM, false, &e) < 0 && e != NULL, "an invalid id is refused");
  hull_err_free(&e);

  ok(hull_rt_signal_parse("KILL", NULL) == SIGKILL && hull_rt_signal_parse("SIGTERM", NULL) == SIGTERM &&
         hull_rt_signal_parse("9", NULL) == 9,
     "signal names");
  ok(hull_rt_signal_parse("NOPE", &e) < 0 && e != NULL, "an unknown signal fails with an error");
  hull_err_free(&e);
  long long bytes = 0;
  ok(hull_rt_size_parse("512m", &bytes, &e) == 0 && bytes == 512LL * 1024 * 1024, "sizes");

  json_t *features = hull_rt_features();
  ok(features && json_is_array(json_object_get(json_object_get(features, "linux"), "namespaces")),
     "features lists the namespaces");
  json_decref(features);

  /* A spec from memory, as the engine makes it. */
  json_t *def = hull_spec_default_json(false);
  char *text = def ? json_dumps(def, JSON_COMPACT) : NULL;
  struct hull_spec *spec = NULL;
  ok(text && hull_spec_load_mem(text, strlen(text), &spec, &e) == 0 && spec != NULL, "hull_spec_load_mem");
  ok(spec && json_equal((json_t *)hull_spec_json(spec), def), "hull_spec_json is the document");
  struct hull_spec *other = NULL;
  const char *v9 = "{\"ociVersion\": \"9.0.0\"}";
  ok(hull_spec_load_mem(v9, strlen(v9), &other, &e) < 0 && other == NULL && e != NULL,
     "an unknown ociVersion major is refused");
  hull_err_free(&e);
  ok(hull_spec_load_file("/nonexistent/config.json", &other, &e) < 0 && hull_err_errno(e) == ENOENT &&
         strstr(hull_err_message(e), "/nonexistent/config.json") != NULL,
     "a missing file fails with ENOENT and its path");
  hull_err_free(&e);
  free(text);
  json_decref(def);

  /* CVE-2019-5736 fails closed: this test binary does not run from a sealed copy, so a
   * container that waits for start (its init visible to exec'd processes) is refused
   * before anything is made. */
  ok(!hull_rt_sealed_p(), "the test does not run sealed");
  struct hull_create_params p = {.id = "api-unsealed", .bundle = bundle, .spec = spec, .stdio = {-1, -1, -1}};
  struct hull_proc proc;
  ok(hull_rt_create(rt, &p, &proc, &e) < 0 && hull_err_errno(e) == HULL_RT_ENEEDSEAL && proc.pid == -1 &&
         proc.pidfd == -1 && proc.pty_master == -1,
     "create from an unsealed caller fails with HULL_RT_ENEEDSEAL");
  if (e)
    printf("# %s\n", hull_err_message(e));
  hull_err_free(&e);
  ok(dir_empty(root), "and leaves nothing in the state root");
  ok(hull_rt_exec(rt, "api-unsealed", NULL, NULL, &proc, &e) < 0 && hull_err_errno(e) == ENOENT,
     "exec in a missing container: ENOENT");
  hull_err_free(&e);
  hull_spec_free(spec);
  ok(warnings == 0, "no warnings logged");

  hull_rt_close(rt);
  rmdir(root);
  rmdir(rootfs);
  rmdir(bundle);
  return tap_done();
}
