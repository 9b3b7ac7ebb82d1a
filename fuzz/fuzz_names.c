/* libFuzzer target: every small parser of text that reaches the runtime from callers:
 * container ids, signal names, capability and rlimit names, namespace types, sizes
 * (`update --memory 64m`), plain integers (`--pids-limit`, `kill ID 9`) and mount options.
 * The first byte picks the parser (data[0] % 8), the rest is the text.
 *
 * Besides the sanitizers, each case checks what a caller relies on: an accepted id only
 * has the allowed characters, a signal number is in range and its name parses back to it,
 * a size is not negative, the mount data is a clean comma-separated list. A violation
 * aborts, which libFuzzer reports as a crash. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/error.h"
#include "common/util.h"
#include "runtime/names.h"

#define CHECK(cond, ...)                                                                                              \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      fprintf(stderr, "fuzz_names: invariant violated: " __VA_ARGS__);                                               \
      fprintf(stderr, "\n");                                                                                          \
      abort();                                                                                                        \
    }                                                                                                                 \
  } while (0)

/* An error is set exactly when the parser failed. */
static void check_err(int failed, hull_err *err, const char *what) {
  CHECK(failed == (*err != NULL), "%s: return value and error disagree", what);
  hull_error_release(err);
}

static void fuzz_id(const char *s) {
  hull_err err = NULL;
  int r = hull_id_validate(s, &err);
  check_err(r < 0, &err, "hull_id_validate");
  if (r < 0)
    return;
  size_t n = strlen(s);
  CHECK(n > 0 && n <= HULL_ID_MAX && s[0] != '.', "id \"%s\" accepted", s);
  CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == n, "id \"%s\" accepted", s);
}

static void fuzz_signal(const char *s) {
  hull_err err = NULL;
  int sig = hull_signal_parse(s, &err);
  check_err(sig < 0, &err, "hull_signal_parse");
  if (sig < 0)
    return;
  CHECK(sig >= 1 && sig <= SIGRTMAX, "signal \"%s\" parsed as %d", s, sig);
  const char *name = hull_signal_name(sig);
  if (strcmp(name, "?") != 0) {
    CHECK(hull_signal_parse(name, &err) == sig, "signal name %s of %d does not parse back", name, sig);
    char prefixed[32];
    snprintf(prefixed, sizeof(prefixed), "SIG%s", name);
    CHECK(hull_signal_parse(prefixed, &err) == sig, "signal name %s of %d does not parse back", prefixed, sig);
  }
}

static void fuzz_cap(const char *s) {
  hull_err err = NULL;
  int cap = hull_cap_parse(s, &err);
  check_err(cap < 0, &err, "hull_cap_parse");
  if (cap < 0)
    return;
  const char *name = hull_cap_name(cap);
  CHECK(name != NULL && hull_cap_parse(name, &err) == cap, "capability \"%s\" parsed as %d", s, cap);
}

static void fuzz_rlimit(const char *s) {
  hull_err err = NULL;
  int r = hull_rlimit_parse(s, &err);
  check_err(r < 0, &err, "hull_rlimit_parse");
  if (r >= 0)
    CHECK(r < RLIM_NLIMITS, "rlimit \"%s\" parsed as %d", s, r);
}

static void fuzz_ns(const char *s) {
  hull_err err = NULL;
  int t = hull_ns_parse(s, &err);
  check_err(t < 0, &err, "hull_ns_parse");
  if (t < 0)
    return;
  CHECK(t < HULL_NS_COUNT && strcmp(hull_ns_spec_name((enum hull_ns_type)t), s) == 0, "namespace \"%s\"", s);
  CHECK(hull_ns_clone_flag((enum hull_ns_type)t) != 0 && hull_ns_proc_name((enum hull_ns_type)t) != NULL,
        "namespace \"%s\"", s);
}

static void fuzz_size(const char *s) {
  hull_err err = NULL;
  int64_t n = -1;
  int r = hull_size_parse(s, &n, &err);
  check_err(r < 0, &err, "hull_size_parse");
  if (r == 0)
    CHECK(n >= 0, "size \"%s\" parsed as %lld", s, (long long)n);
}

static void fuzz_int(const char *s) {
  int64_t n = 0;
  if (hull_parse_int64(s, &n) < 0)
    return;
  /* What it accepts, printed back, parses to the same value. */
  char buf[32];
  snprintf(buf, sizeof(buf), "%lld", (long long)n);
  int64_t m = 0;
  CHECK(hull_parse_int64(buf, &m) == 0 && m == n, "integer \"%s\"", s);
}

/* Options separated by '\n' (so that a single option may itself contain commas, as a
 * config.json string can). */
static void fuzz_mount_opts(char *s) {
  const char *opts[64];
  size_t k = 0;
  for (char *t = s, *save = NULL; k < 64 && (t = strtok_r(t, "\n", &save)) != NULL; t = NULL)
    opts[k++] = t;
  struct hull_mount_opts mo;
  hull_err err = NULL;
  int r = hull_mount_opts_parse(opts, k, &mo, &err);
  check_err(r < 0, &err, "hull_mount_opts_parse");
  if (r < 0)
    return;
  CHECK(mo.data != NULL, "mount options: no data");
  size_t total = 0;
  bool commas = false;
  for (size_t i = 0; i < k; i++) {
    total += strlen(opts[i]) + 1;
    commas |= strchr(opts[i], ',') != NULL;
  }
  size_t len = strlen(mo.data);
  CHECK(len <= total, "mount options: data longer than the input");
  /* Unless an option brought its own commas, data is a clean list. */
  if (!commas)
    CHECK(len == 0 || (mo.data[0] != ',' && mo.data[len - 1] != ',' && strstr(mo.data, ",,") == NULL),
          "mount options: data \"%s\"", mo.data);
  CHECK(!mo.rbind || mo.bind, "mount options: rbind without bind");
  free(mo.data);
}

/* cpu/node lists: an accepted list has only digits, '-', ',' and a final newline, and
 * its highest number is below the limit. */
static void fuzz_cpuset(const char *s) {
  hull_err err = NULL;
  int top = -2;
  if (hull_cpuset_parse(s, HULL_CPUSET_MAX_CPUS, "cpus", &top, &err) == 0) {
    if (top < -1 || top >= HULL_CPUSET_MAX_CPUS)
      abort();
    for (const char *p = s; *p; p++)
      if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == ',' || *p == '\n'))
        abort();
  } else if (err == NULL || strstr(err->msg, "cpus") == NULL) {
    abort();
  }
  hull_error_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *s = malloc(size);
  if (s == NULL)
    return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = '\0';
  switch (data[0] % 9) {
  case 0:
    fuzz_id(s);
    break;
  case 1:
    fuzz_signal(s);
    break;
  case 2:
    fuzz_cap(s);
    break;
  case 3:
    fuzz_rlimit(s);
    break;
  case 4:
    fuzz_ns(s);
    break;
  case 5:
    fuzz_size(s);
    break;
  case 6:
    fuzz_int(s);
    break;
  case 7:
    fuzz_cpuset(s);
    break;
  default:
    fuzz_mount_opts(s);
    break;
  }
  free(s);
  return 0;
}
