/* libFuzzer target: the seccomp profile compiler (src/runtime/seccomp.c). A linux.seccomp
 * object is validated and compiled to BPF with libseccomp; nothing is ever loaded into the
 * kernel (hull_seccomp_load is not called), so the fuzzer runs unprivileged and unfiltered.
 *
 * Two input modes, chosen by the first byte:
 *   '{' or whitespace: the whole input is JSON text (the committed seeds are real profiles);
 *   anything else:     a byte-driven builder: the bytes choose actions, architectures, flags,
 *                      syscall names, argument comparisons and numbers from tables of valid
 *                      and invalid values, so nearly every input is a well-formed object and
 *                      the fuzzer spends its time in validation and in libseccomp.
 * In builder mode, bit 0x80 of the first byte also checks the BPF cache
 * (hull_seccomp_compile_cached, in a private temporary directory): a miss, a hit and, with
 * bit 0x40, a hit on a damaged cache file must all give the program an uncached compile
 * gives, byte for byte; so must a second uncached compile (the cache relies on it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "common/error.h"
#include "runtime/seccomp.h"

#define CHECK(cond, ...)                                                                                              \
  do {                                                                                                                \
    if (!(cond)) {                                                                                                    \
      fprintf(stderr, "fuzz_seccomp: invariant violated: " __VA_ARGS__);                                             \
      fprintf(stderr, "\n");                                                                                          \
      abort();                                                                                                        \
    }                                                                                                                 \
  } while (0)
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const actions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",   "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", "SCMP_ACT_ERRNO",
    "SCMP_ACT_ALLOW", "SCMP_ACT_FOO",          "",                     "scmp_act_allow",
};
static const char *const arches[] = {
    "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",     "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",    "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",    "SCMP_ARCH_PPC64",       "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",    "SCMP_ARCH_PARISC",    "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",     "SCMP_ARCH_SH",        "SCMP_ARCH_SHEB",        "SCMP_ARCH_NATIVE",  "SCMP_ARCH_VAX",
};
static const char *const flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", "SECCOMP_FILTER_FLAG_NEW_LISTENER",
};
static const char *const ops[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    "SCMP_CMP_EQ", "SCMP_CMP_XX",
};
/* A spread of names: common ones, multiplexed and architecture-specific ones (socketcall,
 * ipc, mmap2, arch_prctl), ones newer than some libseccomp tables, the two refused with
 * SCMP_ACT_NOTIFY, and names libseccomp does not know. */
static const char *const syscalls[] = {
    "read",         "write",         "open",          "openat",         "openat2",        "close",
    "mmap",         "mmap2",         "mprotect",      "clone",          "clone3",         "unshare",
    "setns",        "mount",         "umount2",       "pivot_root",     "ptrace",         "personality",
    "socket",       "socketcall",    "ipc",           "sendmsg",        "recvmsg",        "ioctl",
    "prctl",        "arch_prctl",    "keyctl",        "bpf",            "perf_event_open", "kexec_load",
    "init_module",  "io_uring_setup", "fchmodat2",    "futex_waitv",    "mseal",          "execve",
    "execveat",     "exit_group",    "getpid",        "seccomp",        "_llseek",        "chown32",
    "not_a_syscall", "x",            "",              "READ",           "landlock_create_ruleset", "cachestat",
};

struct in {
  const uint8_t *p;
  size_t n;
};

static uint8_t byte(struct in *in) {
  if (in->n == 0)
    return 0;
  in->n--;
  return *in->p++;
}

/* Numbers around the edges the parser checks (errnoRet <= 0xffff, arg index <= 5, JSON
 * integers are signed 64-bit) or raw bytes. */
static json_int_t number(struct in *in) {
  static const json_int_t edges[] = {0, 1, 5, 6, 1, 38, 0xffff, 0x10000, -1, INT32_MAX, UINT32_MAX, INT64_MAX,
                                     INT64_MIN};
  uint8_t b = byte(in);
  if (b < 0xc0)
    return edges[b % N(edges)];
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | byte(in);
  return (json_int_t)v;
}

/* Mostly a string from the table; sometimes a wrong type or a short string from the input. */
static json_t *str_or_junk(struct in *in, const char *const *table, size_t n) {
  uint8_t b = byte(in);
  if (b < 0xf0)
    return json_string(table[b % n]);
  switch (b & 3) {
  case 0:
    return json_integer(number(in));
  case 1:
    return json_null();
  case 2:
    return json_array();
  default: {
    char s[9];
    size_t len = byte(in) % sizeof(s);
    for (size_t i = 0; i < len; i++)
      s[i] = (char)(byte(in) % 95 + 32);
    s[len] = '\0';
    return json_string(s);
  }
  }
}

static json_t *build_arg(struct in *in) {
  json_t *a = json_object();
  uint8_t present = byte(in);
  if (!(present & 1))
    json_object_set_new(a, "index", json_integer(present & 0x10 ? number(in) : byte(in) % 6));
  if (!(present & 2))
    json_object_set_new(a, "value", json_integer(number(in)));
  if (present & 4)
    json_object_set_new(a, "valueTwo", json_integer(number(in)));
  if (!(present & 8))
    json_object_set_new(a, "op", str_or_junk(in, ops, N(ops)));
  return a;
}

static json_t *build_rule(struct in *in) {
  json_t *r = json_object();
  uint8_t shape = byte(in);
  if (!(shape & 1)) {
    json_t *names = json_array();
    size_t n = (size_t)(byte(in) % 5) + (shape & 0x40 ? 0 : 1);
    for (size_t i = 0; i < n; i++)
      json_array_append_new(names, str_or_junk(in, syscalls, N(syscalls)));
    json_object_set_new(r, "names", names);
  }
  if (!(shape & 2))
    json_object_set_new(r, "action", str_or_junk(in, actions, N(actions)));
  if (shape & 4)
    json_object_set_new(r, "errnoRet", json_integer(number(in)));
  if (shape & 8) {
    json_t *args = json_array();
    size_t n = byte(in) % 4;
    for (size_t i = 0; i < n; i++)
      json_array_append_new(args, build_arg(in));
    json_object_set_new(r, "args", args);
  }
  if (shape & 0x80)
    json_object_set_new(r, "comment", json_string("ignored"));
  return r;
}

static json_t *build_profile(struct in *in) {
  json_t *p = json_object();
  uint8_t shape = byte(in);
  if (!(shape & 1))
    json_object_set_new(p, "defaultAction", str_or_junk(in, actions, N(actions)));
  if (shape & 2)
    json_object_set_new(p, "defaultErrnoRet", json_integer(number(in)));
  if (shape & 4) {
    json_t *a = json_array();
    size_t n = byte(in) % 4;
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, str_or_junk(in, arches, N(arches)));
    json_object_set_new(p, "architectures", a);
  }
  if (shape & 8) {
    json_t *a = json_array();
    size_t n = byte(in) % 3;
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, str_or_junk(in, flags, N(flags)));
    json_object_set_new(p, "flags", a);
  }
  if (shape & 0x10)
    json_object_set_new(p, "listenerPath", byte(in) & 1 ? json_string("/run/notify.sock") : json_string(""));
  if (shape & 0x20)
    json_object_set_new(p, "listenerMetadata", json_string("meta"));
  json_t *rules = json_array();
  while (in->n > 0)
    json_array_append_new(rules, build_rule(in));
  json_object_set_new(p, "syscalls", rules);
  return p;
}

/* ---- the program against the profile ---- */

/* The filter's return value for an action, as the runtime-spec defines it (ERRNO and
 * TRACE carry errnoRet, EPERM by default; SCMP_ACT_KILL is KILL_THREAD). */
static uint32_t action_value(json_t *action, json_t *errno_ret) {
  static const struct {
    const char *name;
    uint32_t value;
    bool data;
  } t[] = {
      {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false}, {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
      {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},         {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},           {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
      {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
  };
  const char *name = json_string_value(action);
  for (size_t i = 0; name && i < N(t); i++)
    if (strcmp(name, t[i].name) == 0)
      return t[i].value | (t[i].data ? (uint32_t)(errno_ret ? json_integer_value(errno_ret) : EPERM) : 0);
  CHECK(false, "a compiled profile has the unknown action %s", name ? name : "(not a string)");
  return 0;
}

/* Runs the compiled BPF in user space (hull_seccomp_eval, every argument 0) and compares
 * it with what the profile says: a syscall named in exactly one rule without argument
 * conditions gets that rule's action, a syscall named nowhere the default action. This
 * checks hull's rule building, libseccomp's compiler and hull's BPF interpreter (which
 * hull_seccomp_check_runtime relies on) against each other. */
static void check_eval(json_t *profile, hull_seccomp *s) {
  struct {
    int nr;
    uint32_t action;
    int rules;
    bool conditional;
  } v[256];
  size_t nv = 0;
  uint32_t def = action_value(json_object_get(profile, "defaultAction"), json_object_get(profile, "defaultErrnoRet"));
  json_t *rules = json_object_get(profile, "syscalls");
  size_t i, k;
  json_t *r, *name;
  json_array_foreach(rules, i, r) {
    json_t *args = json_object_get(r, "args");
    bool conditional = json_is_array(args) && json_array_size(args) > 0;
    uint32_t act = action_value(json_object_get(r, "action"), json_object_get(r, "errnoRet"));
    json_array_foreach(json_object_get(r, "names"), k, name) {
      int nr = seccomp_syscall_resolve_name(json_string_value(name));
      if (nr < 0)
        continue; /* unknown here, or not a native syscall */
      size_t j = 0;
      while (j < nv && v[j].nr != nr)
        j++;
      if (j == nv) {
        if (nv == N(v))
          return; /* too many to follow: skip the check */
        v[nv++] = (typeof(v[0])){.nr = nr};
      }
      v[j].action = act;
      v[j].rules++;
      v[j].conditional |= conditional;
    }
  }
  for (size_t j = 0; j < nv; j++) {
    if (v[j].rules != 1 || v[j].conditional)
      continue;
    uint32_t got = hull_seccomp_eval(s, v[j].nr);
    CHECK(got == v[j].action, "syscall %d: the program returns 0x%08x, the profile says 0x%08x", v[j].nr, got,
          v[j].action);
  }
  /* Above the largest syscall the profile names, a default that does not let syscalls
   * through answers ENOSYS instead (seccomp.c, prepend_enosys_stub). */
  int last = 0;
  json_array_foreach(rules, i, r) {
    json_array_foreach(json_object_get(r, "names"), k, name) {
      int nr = seccomp_syscall_resolve_name(json_string_value(name));
      if (nr > last)
        last = nr;
    }
  }
  uint32_t def_action = def & SECCOMP_RET_ACTION_FULL;
  bool stub = last > 0 && def != SCMP_ACT_ERRNO(ENOSYS) && def_action != SCMP_ACT_ALLOW &&
              def_action != SCMP_ACT_LOG && def_action != SECCOMP_RET_TRACE;
  static const char *const probes[] = {"getpid", "read", "write", "openat", "execve", "close", "futex", "getuid"};
  for (size_t p = 0; p < N(probes); p++) {
    int nr = seccomp_syscall_resolve_name(probes[p]);
    size_t j = 0;
    while (j < nv && v[j].nr != nr)
      j++;
    if (nr < 0 || j < nv)
      continue;
    uint32_t want = stub && nr > last ? SCMP_ACT_ERRNO(ENOSYS) : def;
    uint32_t got = hull_seccomp_eval(s, nr);
    CHECK(got == want, "%s (not in the profile): the program returns 0x%08x, expected 0x%08x", probes[p], got, want);
  }
  /* The early check covers more syscalls than the late one: it can only be stricter. */
  hull_err err = NULL;
  int late = hull_seccomp_check_runtime(s, false, &err);
  CHECK((late < 0) == (err != NULL), "check_runtime: return value and error disagree");
  hull_error_release(&err);
  int early = hull_seccomp_check_runtime(s, true, &err);
  hull_error_release(&err);
  CHECK(late == 0 || early < 0, "check_runtime: refused late but accepted early");
  if (late == 0) {
    uint32_t ex = hull_seccomp_eval(s, seccomp_syscall_resolve_name("execve")) & SECCOMP_RET_ACTION_FULL;
    CHECK(ex == SCMP_ACT_ALLOW || ex == SCMP_ACT_LOG, "check_runtime accepted a profile that refuses execve");
  }
}

/* ---- the cache check ---- */

static char cache_dir[256];

static void cache_empty(void) {
  DIR *d = opendir(cache_dir);
  if (d == NULL)
    return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0))
      unlinkat(dirfd(d), e->d_name, 0);
  closedir(d);
}

static void cache_remove(void) {
  if (cache_dir[0] == '\0')
    return;
  cache_empty();
  rmdir(cache_dir);
}

/* The one file a compile stored, opened for damage. */
static int cache_file(void) {
  DIR *d = opendir(cache_dir);
  if (d == NULL)
    return -1;
  int fd = -1;
  struct dirent *e;
  while (fd < 0 && (e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      fd = openat(dirfd(d), e->d_name, O_RDWR | O_CLOEXEC);
  closedir(d);
  return fd;
}

static void same_program(hull_seccomp *a, hull_seccomp *b, const char *what) {
  size_t la = 0, lb = 0;
  const void *pa = hull_seccomp_bpf(a, &la), *pb = hull_seccomp_bpf(b, &lb);
  CHECK(la == lb && memcmp(pa, pb, la) == 0, "%s: a different program (%zu and %zu bytes)", what, la, lb);
  CHECK(hull_seccomp_notify_p(a) == hull_seccomp_notify_p(b), "%s: notify differs", what);
}

static void check_cache(json_t *profile, hull_seccomp *ref, uint8_t mode, const uint8_t damage[3]) {
  if (cache_dir[0] == '\0')
    return;
  hull_err err = NULL;
  hull_seccomp *again = NULL;
  CHECK(hull_seccomp_compile(profile, &again, &err) == 0, "second compile failed");
  same_program(ref, again, "second uncached compile");
  hull_seccomp_free(again);

  cache_empty();
  for (int round = 0; round < 2; round++) { /* a miss that stores, then a hit */
    hull_seccomp *c = NULL;
    CHECK(hull_seccomp_compile_cached(profile, cache_dir, &c, &err) == 0, "cached compile failed (round %d): %s",
          round, err ? err->msg : "");
    same_program(ref, c, round ? "cache hit" : "cache miss");
    hull_seccomp_free(c);
  }
  if (mode & 0x40) {
    int fd = cache_file();
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
      off_t off = (off_t)((damage[0] << 8 | damage[1]) % st.st_size);
      uint8_t x = damage[2] | 1, b = 0;
      if (pread(fd, &b, 1, off) == 1) {
        b ^= x;
        CHECK(pwrite(fd, &b, 1, off) == 1, "damage the cache file");
      }
      hull_seccomp *c = NULL;
      CHECK(hull_seccomp_compile_cached(profile, cache_dir, &c, &err) == 0, "compile over a damaged cache failed");
      same_program(ref, c, "damaged cache");
      hull_seccomp_free(c);
    }
    if (fd >= 0)
      close(fd);
  }
  cache_empty();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  /* fuzz/run.sh points HULL_FUZZ_TMP at a directory it removes afterwards (a crash skips
   * atexit). */
  const char *base = getenv("HULL_FUZZ_TMP");
  if (base == NULL)
    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  if (snprintf(cache_dir, sizeof(cache_dir), "%s/hull-fuzz-seccomp.XXXXXX", base) >= (int)sizeof(cache_dir) ||
      mkdtemp(cache_dir) == NULL)
    cache_dir[0] = '\0';
  else
    atexit(cache_remove);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  json_t *profile;
  uint8_t mode = data[0];
  struct in in = {data + 1, size - 1};
  uint8_t damage[3] = {0, 0, 0};
  if (strchr("{ \t\r\n", mode) != NULL && mode != '\0') {
    profile = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (profile == NULL)
      return 0;
    mode = 0;
  } else {
    if ((mode & 0x40) && in.n >= sizeof(damage)) { /* where to damage the cache file: the last bytes */
      in.n -= sizeof(damage);
      memcpy(damage, in.p + in.n, sizeof(damage));
    }
    profile = build_profile(&in);
  }
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  int r = hull_seccomp_compile(profile, &s, &err);
  CHECK((r < 0) == (err != NULL), "return value and error disagree");
  if (r < 0) {
    CHECK(err->msg != NULL && strncmp(err->msg, "linux.seccomp", 13) == 0, "the error does not name the JSON path: %s",
          err->msg);
    hull_error_release(&err);
  } else if (json_is_object(profile)) {
    size_t len = 0;
    const void *prog = hull_seccomp_bpf(s, &len);
    CHECK(prog != NULL && len > 0 && len % 8 == 0 && len / 8 <= 4096, "program of %zu bytes", len);
    const char *lp = hull_seccomp_listener_path(s);
    json_t *jlp = json_object_get(profile, "listenerPath");
    CHECK((lp == NULL) == !json_is_string(jlp) && (lp == NULL || strcmp(lp, json_string_value(jlp)) == 0),
          "listenerPath");
    if (hull_seccomp_notify_p(s))
      CHECK(lp != NULL && lp[0] != '\0', "notify without a listenerPath");
    check_eval(profile, s);
    if (mode & 0x80)
      check_cache(profile, s, mode, damage);
  } else {
    CHECK(s == NULL, "a filter from a JSON null");
  }
  hull_seccomp_free(s);
  json_decref(profile);
  return 0;
}
