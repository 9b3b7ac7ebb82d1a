/* Unit tests for src/runtime/seccomp.c (TAP). No root needed: filters are loaded in
 * forked children after PR_SET_NO_NEW_PRIVS. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "runtime/seccomp.h"

/* Set by tests/unit/meson.build (as in tap.h): the profiles are found from any cwd. */
#ifndef HULL_SOURCE_ROOT
#define HULL_SOURCE_ROOT "."
#endif

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static int test_num;
static int failed;

static void ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(bool cond, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s %d - ", cond ? "ok" : "not ok", ++test_num);
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  fflush(stdout);
  if (!cond)
    failed++;
}

/* JSON written with single quotes, for readable literals. */
static json_t *js(const char *text) {
  char *copy = strdup(text);
  for (char *p = copy; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_error_t jerr;
  json_t *j = json_loads(copy, 0, &jerr);
  if (j == NULL) {
    fprintf(stderr, "# bad test JSON: %s: %s\n", jerr.text, copy);
    abort();
  }
  free(copy);
  return j;
}

static hull_seccomp *compile_ok(const char *text) {
  json_t *j = js(text);
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  if (hull_seccomp_compile(j, &s, &err) < 0) {
    fprintf(stderr, "# compile failed: %s\n", err->msg);
    hull_error_release(&err);
  }
  json_decref(j);
  return s;
}

/* Compiles text, expecting a failure; returns whether the message is exactly want. */
static bool compile_fails_with(const char *text, const char *want) {
  json_t *j = js(text);
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  int r = hull_seccomp_compile(j, &s, &err);
  json_decref(j);
  bool good = r < 0 && s == NULL && err != NULL && strcmp(err->msg, want) == 0;
  if (!good)
    fprintf(stderr, "# want error '%s', got r=%d msg='%s'\n", want, r, err ? err->msg : "(none)");
  hull_error_release(&err);
  hull_seccomp_free(s);
  return good;
}

static bool compile_fails_containing(const char *text, const char *want) {
  json_t *j = js(text);
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  int r = hull_seccomp_compile(j, &s, &err);
  json_decref(j);
  bool good = r < 0 && s == NULL && err != NULL && strstr(err->msg, want) != NULL;
  if (!good)
    fprintf(stderr, "# want error containing '%s', got r=%d msg='%s'\n", want, r, err ? err->msg : "(none)");
  hull_error_release(&err);
  hull_seccomp_free(s);
  return good;
}

#define CHILD_CHECK(c)                                                                                 \
  do {                                                                                                 \
    if (!(c)) {                                                                                        \
      fprintf(stderr, "# child check failed: %s (line %d, errno %d %s)\n", #c, __LINE__, errno,          \
              strerror(errno));                                                                        \
      return 1;                                                                                        \
    }                                                                                                  \
  } while (0)

typedef int (*child_fn)(int listener_fd);

/* Forks, loads s in the child (no_new_privs, no core dumps) and runs fn there; returns
 * the child's wait status. */
static int run_child(hull_seccomp *s, child_fn fn) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
      _exit(101);
    hull_err err = NULL;
    int listener = -1;
    if (hull_seccomp_load(s, &listener, &err) < 0) {
      fprintf(stderr, "# load: %s\n", err->msg);
      _exit(100);
    }
    _exit(fn(listener));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return status;
}

static bool exited_ok(int status) { return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
static bool killed_by(int status, int sig) { return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig; }

/* ---- child bodies ---- */

static int child_uname_errno(int listener) {
  (void)listener;
  struct utsname u;
  errno = 0;
  CHILD_CHECK(uname(&u) == -1 && errno == 42);
  CHILD_CHECK(getppid() > 0);
  return 0;
}

static int child_acct_errno(int listener) {
  (void)listener;
  struct utsname u;
  errno = 0;
  CHILD_CHECK(syscall(SYS_acct, NULL) == -1 && errno == 42);
  CHILD_CHECK(uname(&u) == 0);
  return 0;
}

static int child_uname_eperm(int listener) {
  (void)listener;
  struct utsname u;
  errno = 0;
  CHILD_CHECK(uname(&u) == -1 && errno == EPERM);
  return 0;
}

static int child_uname(int listener) {
  (void)listener;
  struct utsname u;
  return uname(&u) == 0 ? 0 : 1;
}

static int child_uname_enosys(int listener) {
  (void)listener;
  struct utsname u;
  errno = 0;
  CHILD_CHECK(uname(&u) == -1 && errno == ENOSYS);
  return 0;
}

/* umask's argument is never checked by the kernel, so it is a harmless probe for
 * argument comparisons. */
static int child_masked_eq(int listener) {
  (void)listener;
  errno = 0;
  CHILD_CHECK(syscall(SYS_umask, 0x1022) == -1 && errno == 77);
  errno = 0;
  CHILD_CHECK(syscall(SYS_umask, 0x1fff) == -1 && errno == 77);
  CHILD_CHECK(syscall(SYS_umask, 0x2022) >= 0);
  /* (0x3022 & 0xf000) != 0x1000, though 0x3022 has the 0x1000 bit: mask and value
   * must not be swapped. */
  CHILD_CHECK(syscall(SYS_umask, 0x3022) >= 0);
  CHILD_CHECK(syscall(SYS_umask, 022) >= 0);
  return 0;
}

static int child_split_args(int listener) {
  (void)listener;
  /* args [GE 0x7000, EQ 5] on one index: two rules, ORed. */
  errno = 0;
  CHILD_CHECK(syscall(SYS_umask, 5) == -1 && errno == 78);
  errno = 0;
  CHILD_CHECK(syscall(SYS_umask, 0x7123) == -1 && errno == 78);
  CHILD_CHECK(syscall(SYS_umask, 022) >= 0);
  return 0;
}

static int child_and_args(int listener) {
  (void)listener;
  /* getpriority(which, who) with [arg0 EQ 7, arg1 GT 100]: both must hold. */
  errno = 0;
  CHILD_CHECK(syscall(SYS_getpriority, 7, 101) == -1 && errno == 79);
  errno = 0;
  CHILD_CHECK(syscall(SYS_getpriority, 7, 100) == -1 && errno == EINVAL); /* the kernel's answer */
  errno = 0;
  CHILD_CHECK(syscall(SYS_getpriority, 8, 101) == -1 && errno == EINVAL);
  return 0;
}

static int child_default_profile(int listener) {
  (void)listener;
  CHILD_CHECK(getpid() > 0);
  errno = 0;
  CHILD_CHECK(unshare(CLONE_NEWUSER) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(unshare(CLONE_NEWNS) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_clone3, NULL, 0) == -1 && errno == ENOSYS);
  errno = 0;
  CHILD_CHECK(syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(mount("none", "/", NULL, MS_REMOUNT, NULL) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_keyctl, 0, 0, 0, 0, 0) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_bpf, 0, NULL, 0) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_io_uring_setup, 1, NULL) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0) == -1 && errno == EPERM);
  errno = 0;
  CHILD_CHECK(syscall(SYS_setns, -1, 0) == -1 && errno == EPERM);
  /* personality: queries and the allowed values work, others are refused. */
  CHILD_CHECK(personality(0xffffffff) != -1);
  errno = 0;
  CHILD_CHECK(personality(ADDR_NO_RANDOMIZE) == -1 && errno == EPERM);
  /* socket: everything but AF_VSOCK. */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHILD_CHECK(fd >= 0);
  close(fd);
  errno = 0;
  CHILD_CHECK(socket(AF_VSOCK, SOCK_STREAM, 0) == -1 && errno == EPERM);
  /* fork() is clone without namespace flags (glibc falls back from clone3). */
  pid_t pid = fork();
  CHILD_CHECK(pid >= 0);
  if (pid == 0)
    _exit(0);
  int status;
  CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}

static int child_notify(int listener) {
  CHILD_CHECK(listener >= 0);
  pid_t pid = fork();
  CHILD_CHECK(pid >= 0);
  if (pid == 0) {
    struct utsname u;
    errno = 0;
    _exit(uname(&u) == -1 && errno == EXDEV ? 0 : 1);
  }
  struct seccomp_notif req;
  memset(&req, 0, sizeof(req));
  CHILD_CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0);
  CHILD_CHECK(req.pid == (unsigned)pid && req.data.nr == SYS_uname);
  struct seccomp_notif_resp resp = {.id = req.id, .val = 0, .error = -EXDEV, .flags = 0};
  CHILD_CHECK(ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0);
  int status;
  CHILD_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return 0;
}

/* ---- helpers for the default profile and the cache ---- */

static json_t *load_default_profile(void) {
  const char *env = getenv("HULL_SECCOMP_DEFAULT_PROFILE");
  const char *candidates[] = {env, HULL_SOURCE_ROOT "/profiles/seccomp-default.json"};
  for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
    if (candidates[i] == NULL)
      continue;
    json_error_t jerr;
    json_t *j = json_load_file(candidates[i], 0, &jerr);
    if (j != NULL)
      return j;
  }
  fprintf(stderr, "# profiles/seccomp-default.json not found (set HULL_SECCOMP_DEFAULT_PROFILE)\n");
  return NULL;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int count_bpf_files(const char *dir, char *name, size_t name_len) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.')
      continue;
    if (l > 4 && strcmp(e->d_name + l - 4, ".bpf") == 0) {
      n++;
      if (name)
        snprintf(name, name_len, "%s/%s", dir, e->d_name);
    }
  }
  closedir(d);
  return n;
}

static bool same_bpf(hull_seccomp *a, hull_seccomp *b) {
  size_t la, lb;
  const void *pa = hull_seccomp_bpf(a, &la), *pb = hull_seccomp_bpf(b, &lb);
  return pa && pb && la == lb && la > 0 && memcmp(pa, pb, la) == 0;
}

static hull_seccomp *compile_cached_ok(json_t *profile, const char *dir) {
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  if (hull_seccomp_compile_cached(profile, dir, &s, &err) < 0) {
    fprintf(stderr, "# compile_cached: %s\n", err->msg);
    hull_error_release(&err);
  }
  return s;
}

static ino_t inode_of(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* ---- tests ---- */

static void test_null_profile(void) {
  hull_seccomp *s = (hull_seccomp *)1;
  hull_err err = NULL;
  json_t *null = json_null();
  bool good = hull_seccomp_compile(NULL, &s, &err) == 0 && s == NULL;
  s = (hull_seccomp *)1;
  good = good && hull_seccomp_compile(null, &s, &err) == 0 && s == NULL;
  int fd = 5;
  good = good && hull_seccomp_load(NULL, &fd, &err) == 0 && fd == -1 && err == NULL;
  json_decref(null);
  ok(good, "no profile: no filter, loading it is a no-op");
}

static void test_errno_rules(void) {
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':["
                               "{'names':['uname'],'action':'SCMP_ACT_ERRNO','errnoRet':42}]}");
  ok(s != NULL && !hull_seccomp_notify_p(s), "small profile compiles");
  ok(s && exited_ok(run_child(s, child_uname_errno)), "SCMP_ACT_ERRNO with errnoRet 42: uname fails with 42");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_ERRNO'}]}");
  ok(s && exited_ok(run_child(s, child_uname_eperm)), "SCMP_ACT_ERRNO without errnoRet returns EPERM");
  hull_seccomp_free(s);
}

/* The default profile with another errno: what is not allowed fails with it. (A tiny
 * allowlist would also trip the sanitizers' runtime in the child.) */
static void test_default_errno(json_t *def) {
  json_t *j = def ? json_deep_copy(def) : NULL;
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  if (j) {
    json_object_set_new(j, "defaultErrnoRet", json_integer(42));
    if (hull_seccomp_compile(j, &s, &err) < 0)
      hull_error_release(&err); /* s stays NULL: the test below fails */
  }
  ok(s && exited_ok(run_child(s, child_acct_errno)), "defaultAction SCMP_ACT_ERRNO with defaultErrnoRet 42");
  hull_seccomp_free(s);
  json_decref(j);
}

static void test_args(void) {
  /* (arg0 & 0xf000) == 0x1000 */
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],"
                               "'action':'SCMP_ACT_ERRNO','errnoRet':77,'args':[{'index':0,'value':61440,"
                               "'valueTwo':4096,'op':'SCMP_CMP_MASKED_EQ'}]}]}");
  ok(s && exited_ok(run_child(s, child_masked_eq)), "SCMP_CMP_MASKED_EQ: value is the mask, valueTwo the result");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                 "'errnoRet':78,'args':[{'index':0,'value':28672,'op':'SCMP_CMP_GE'},"
                 "{'index':0,'value':5,'op':'SCMP_CMP_EQ'}]}]}");
  ok(s && exited_ok(run_child(s, child_split_args)), "two args on one index become separate (ORed) rules");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['getpriority'],'action':'SCMP_ACT_ERRNO',"
                 "'errnoRet':79,'args':[{'index':0,'value':7,'op':'SCMP_CMP_EQ'},"
                 "{'index':1,'value':100,'op':'SCMP_CMP_GT'}]}]}");
  ok(s && exited_ok(run_child(s, child_and_args)), "args on different indexes are ANDed in one rule");
  hull_seccomp_free(s);
}

static void test_actions(void) {
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],"
                               "'action':'SCMP_ACT_TRAP'}]}");
  ok(s && killed_by(run_child(s, child_uname), SIGSYS), "SCMP_ACT_TRAP: SIGSYS");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],"
                 "'action':'SCMP_ACT_KILL_PROCESS'}]}");
  ok(s && killed_by(run_child(s, child_uname), SIGSYS), "SCMP_ACT_KILL_PROCESS kills the process");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_KILL'}]}");
  ok(s && killed_by(run_child(s, child_uname), SIGSYS), "SCMP_ACT_KILL kills the (only) thread");
  hull_seccomp_free(s);

  /* Without a tracer the kernel answers ENOSYS. */
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_TRACE',"
                 "'errnoRet':3}]}");
  ok(s && exited_ok(run_child(s, child_uname_enosys)), "SCMP_ACT_TRACE without a tracer: ENOSYS");
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_LOG',"
                 "'SECCOMP_FILTER_FLAG_SPEC_ALLOW','SECCOMP_FILTER_FLAG_TSYNC'],"
                 "'syscalls':[{'names':['uname'],'action':'SCMP_ACT_LOG'}]}");
  ok(s && exited_ok(run_child(s, child_uname)), "SCMP_ACT_LOG allows; LOG, SPEC_ALLOW and TSYNC flags load");
  hull_seccomp_free(s);

  /* A rule repeating the default action changes nothing (libseccomp would refuse it). */
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_ALLOW'}]}");
  ok(s && exited_ok(run_child(s, child_uname)), "a rule with the default action is skipped");
  hull_seccomp_free(s);
}

static void test_notify(void) {
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],"
                        "'action':'SCMP_ACT_NOTIFY'}]}",
                        "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"),
     "SCMP_ACT_NOTIFY without listenerPath is refused");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_NOTIFY','listenerPath':'/run/x.sock'}",
                        "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
     "SCMP_ACT_NOTIFY as default action is refused");
  ok(compile_fails_containing("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/x.sock','syscalls':[{'names':"
                              "['uname','write'],'action':'SCMP_ACT_NOTIFY'}]}",
                              "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for write"),
     "SCMP_ACT_NOTIFY on write is refused");

  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':'/run/agent.sock',"
                               "'listenerMetadata':'meta','flags':['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],"
                               "'syscalls':[{'names':['uname'],'action':'SCMP_ACT_NOTIFY'}]}");
  ok(s && hull_seccomp_notify_p(s) && strcmp(hull_seccomp_listener_path(s), "/run/agent.sock") == 0 &&
         strcmp(hull_seccomp_listener_metadata(s), "meta") == 0,
     "notify profile: listenerPath and listenerMetadata kept");
  ok(s && exited_ok(run_child(s, child_notify)), "SCMP_ACT_NOTIFY: load yields a listener that answers uname");
  hull_err err = NULL;
  ok(s && hull_seccomp_load(s, NULL, &err) < 0 && err && strstr(err->msg, "SCMP_ACT_NOTIFY"),
     "loading a notify filter without a listener fd pointer is refused before loading");
  hull_error_release(&err);
  hull_seccomp_free(s);
}

static void test_errors(void) {
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_ERRNO'},"
                        "{'names':['getpid'],'action':'SCMP_ACT_FOO'}]}",
                        "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\""),
     "unknown action names its JSON path");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_BAR'}",
                        "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BAR\""),
     "unknown defaultAction names its JSON path");
  ok(compile_fails_with("{'syscalls':[]}", "linux.seccomp.defaultAction: required"), "defaultAction is required");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_FOO']}",
                        "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_FOO\""),
     "unknown architecture names its JSON path");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                        "'args':[{'index':0,'value':1,'op':'SCMP_CMP_FOO'}]}]}",
                        "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\""),
     "unknown operator names its JSON path");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','flags':['SECCOMP_FILTER_FLAG_FOO']}",
                        "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\""),
     "unknown flag names its JSON path");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                        "'args':[{'index':6,'value':1,'op':'SCMP_CMP_EQ'}]}]}",
                        "linux.seccomp.syscalls[0].args[0].index: must be an integer between 0 and 5"),
     "argument index 6 is refused");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                        "'errnoRet':70000}]}",
                        "linux.seccomp.syscalls[0].errnoRet: must be an integer between 0 and 65535"),
     "errnoRet out of range is refused");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'SCMP_ACT_ERRNO'}]}",
                        "linux.seccomp.syscalls[0].names: must be a non-empty array of strings"),
     "empty names is refused");
  ok(compile_fails_with("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                        "'args':[{'index':0,'value':-1,'op':'SCMP_CMP_EQ'}]}]}",
                        "linux.seccomp.syscalls[0].args[0].value: must be an integer between 0 and "
                        "18446744073709551615"),
     "negative argument value is refused");
  /* s390x is big-endian: libseccomp cannot put it in one filter with x86_64. */
  if (seccomp_arch_native() == SCMP_ARCH_X86_64 || seccomp_arch_native() == SCMP_ARCH_AARCH64)
    ok(compile_fails_containing("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_S390X']}",
                                "linux.seccomp.architectures[0]: cannot add SCMP_ARCH_S390X to a filter for"),
       "an architecture the host filter cannot take names its JSON path");
  else
    ok(true, "# SKIP not a little-endian host");
  if (seccomp_arch_resolve_name("loongarch64") == 0)
    ok(compile_fails_containing("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_LOONGARCH64']}",
                                "linux.seccomp.architectures[0]: SCMP_ARCH_LOONGARCH64 is not supported by libseccomp"),
       "an architecture this libseccomp does not know is a clear error");
  else
    ok(true, "# SKIP libseccomp knows loongarch64");
}

static void test_unknown_syscall(void) {
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64',"
                               "'SCMP_ARCH_X86','SCMP_ARCH_X32'],'syscalls':[{'names':['hull_no_such_syscall',"
                               "'uname','set_tls'],'action':'SCMP_ACT_ERRNO','errnoRet':42}]}");
  ok(s == NULL, "an unknown syscall name in a restricting rule is refused");
  hull_seccomp_free(s);
  ok(compile_fails_containing("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname','hull_no_such_syscall'],"
                              "'action':'SCMP_ACT_ERRNO'}]}",
                              "linux.seccomp.syscalls[0].names[1]: unknown syscall \"hull_no_such_syscall\""),
     "the error names the rule, the index and the syscall");
  s = compile_ok("{'defaultAction':'SCMP_ACT_ERRNO','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
                 "'SCMP_ARCH_X32'],'syscalls':[{'names':['hull_no_such_syscall','set_tls','uname','exit_group',"
                 "'exit','rt_sigreturn','getpid'],'action':'SCMP_ACT_ALLOW'}]}");
  ok(s != NULL, "unknown names (and names of other architectures) in an allow rule are skipped");
  hull_seccomp_free(s);
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86',"
                 "'SCMP_ARCH_X32'],'syscalls':[{'names':['set_tls','uname'],'action':'SCMP_ACT_ERRNO','errnoRet':42}]}");
  ok(s && exited_ok(run_child(s, child_uname_errno)), "a name of another architecture does not stop a deny rule");
  hull_seccomp_free(s);
}

/* The user-space evaluation of a program agrees with what the profile says, and profiles
 * that would stop the runtime itself are refused with the syscall named. */
static void test_check_runtime(json_t *def) {
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],"
                               "'action':'SCMP_ACT_ERRNO','errnoRet':42},{'names':['umask'],'action':'SCMP_ACT_ERRNO',"
                               "'args':[{'index':0,'value':0,'op':'SCMP_CMP_NE'}]}]}");
  ok(s && hull_seccomp_eval(s, SYS_uname) == (SECCOMP_RET_ERRNO | 42) && hull_seccomp_eval(s, SYS_getpid) == SECCOMP_RET_ALLOW &&
         hull_seccomp_eval(s, SYS_umask) == SECCOMP_RET_ALLOW,
     "evaluation: uname -> ERRNO(42), getpid -> ALLOW, umask(0) with an arg rule for != 0 -> ALLOW");
  hull_err err = NULL;
  ok(s && hull_seccomp_check_runtime(s, true, &err) == 0, "a profile that leaves the runtime alone passes the check");
  hull_error_release(&err);
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['execve'],'action':'SCMP_ACT_ERRNO'}]}");
  ok(s && hull_seccomp_check_runtime(s, false, &err) < 0 && err && strstr(err->msg, "execve with SCMP_ACT_ERRNO"),
     "a profile denying execve is refused, naming execve and the action");
  hull_error_release(&err);
  hull_seccomp_free(s);

  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['setresuid'],'action':'SCMP_ACT_KILL'}]}");
  ok(s && hull_seccomp_check_runtime(s, false, &err) == 0, "killing setresuid is fine when the filter is loaded last");
  hull_error_release(&err);
  ok(s && hull_seccomp_check_runtime(s, true, &err) < 0 && err && strstr(err->msg, "setresuid") &&
         strstr(err->msg, "noNewPrivileges"),
     "killing setresuid is refused when the filter is loaded before the user is set");
  hull_error_release(&err);
  hull_seccomp_free(s);

  s = NULL;
  if (def && hull_seccomp_compile(def, &s, &err) < 0)
    hull_error_release(&err); /* s stays NULL: the test below fails */
  ok(s && hull_seccomp_check_runtime(s, true, &err) == 0 && hull_seccomp_eval(s, SYS_mount) == (SECCOMP_RET_ERRNO | EPERM),
     "the default profile passes both checks; its mount is ERRNO(EPERM) in evaluation too");
  hull_error_release(&err);
  ok(s && hull_seccomp_check_joining(s, true, &err) == 0,
     "the default profile allows what a process joining a pid namespace needs after the filter (with a terminal)");
  hull_error_release(&err);
  hull_seccomp_free(s);

  /* Joining a pid namespace, the first stage loads the filter and then forks and reports
   * the second (init.c, setup_unseen). */
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['sendmsg'],'action':'SCMP_ACT_ERRNO'}]}");
  ok(s && hull_seccomp_check_joining(s, false, &err) < 0 && err && strstr(err->msg, "sendmsg with SCMP_ACT_ERRNO") &&
         strstr(err->msg, "pid namespace"),
     "joining a pid namespace: a profile denying sendmsg is refused, naming it");
  hull_error_release(&err);
  hull_seccomp_free(s);
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['dup2'],'action':'SCMP_ACT_KILL'}]}");
  ok(s && hull_seccomp_check_joining(s, false, &err) == 0, "joining without a terminal: killing dup2 is fine");
  hull_error_release(&err);
  ok(s && hull_seccomp_check_joining(s, true, &err) < 0 && err && strstr(err->msg, "dup2"),
     "joining with a terminal: killing dup2 is refused");
  hull_error_release(&err);
  hull_seccomp_free(s);
}

/* Syscalls newer than every syscall a profile names answer ENOSYS (as in runc), unless
 * the default lets syscalls through or already answers ENOSYS; older syscalls the profile
 * leaves out get the default action, and x32 syscalls are left to the filter. */
static void test_enosys_stub(void) {
  hull_seccomp *s = compile_ok("{'defaultAction':'SCMP_ACT_ERRNO','syscalls':[{'names':['read','write','statx'],"
                               "'action':'SCMP_ACT_ALLOW'}]}");
  ok(s && hull_seccomp_eval(s, 435) == (SECCOMP_RET_ERRNO | ENOSYS) &&
         hull_seccomp_eval(s, 437) == (SECCOMP_RET_ERRNO | ENOSYS) &&
         hull_seccomp_eval(s, SYS_openat) == (SECCOMP_RET_ERRNO | EPERM) &&
         hull_seccomp_eval(s, SYS_statx) == SECCOMP_RET_ALLOW && hull_seccomp_eval(s, SYS_read) == SECCOMP_RET_ALLOW,
     "ERRNO default: clone3 and openat2 (above statx) -> ENOSYS, openat -> EPERM, statx and read allowed");
  ok(s && hull_seccomp_eval(s, (int)(0x40000000U | 435)) == SECCOMP_RET_KILL_THREAD,
     "an x32 syscall number is left to the filter (bad architecture: killed)");
  hull_seccomp_free(s);
  s = compile_ok("{'defaultAction':'SCMP_ACT_KILL_PROCESS','syscalls':[{'names':['read','statx'],"
                 "'action':'SCMP_ACT_ALLOW'}]}");
  ok(s && hull_seccomp_eval(s, 435) == (SECCOMP_RET_ERRNO | ENOSYS) &&
         hull_seccomp_eval(s, SYS_openat) == SECCOMP_RET_KILL_PROCESS,
     "KILL_PROCESS default: clone3 -> ENOSYS, openat killed");
  hull_seccomp_free(s);
  s = compile_ok("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]}");
  ok(s && hull_seccomp_eval(s, 435) == SECCOMP_RET_ALLOW, "ALLOW default: no stub, clone3 allowed");
  hull_seccomp_free(s);
  s = compile_ok("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,'syscalls':[{'names':['read','write'],"
                 "'action':'SCMP_ACT_ALLOW'}]}");
  size_t len = 0;
  hull_seccomp_bpf(s, &len);
  hull_seccomp *t = compile_ok("{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':1,'syscalls':[{'names':['read','write'],"
                               "'action':'SCMP_ACT_ALLOW'}]}");
  size_t len1 = 0;
  hull_seccomp_bpf(t, &len1);
  ok(s && t && hull_seccomp_eval(s, 435) == (SECCOMP_RET_ERRNO | ENOSYS) && len < len1,
     "ENOSYS default: no stub needed (%zu vs %zu bytes)", len, len1);
  hull_seccomp_free(s);
  hull_seccomp_free(t);
}

static void test_default_profile(json_t *def) {
  hull_seccomp *s = NULL;
  hull_err err = NULL;
  int r = def ? hull_seccomp_compile(def, &s, &err) : -1;
  if (err)
    fprintf(stderr, "# %s\n", err->msg);
  hull_error_release(&err);
  size_t len = 0;
  hull_seccomp_bpf(s, &len);
  ok(r == 0 && s != NULL, "profiles/seccomp-default.json compiles (%zu BPF instructions)", len / 8);
  ok(s && exited_ok(run_child(s, child_default_profile)),
     "default profile: getpid and fork work; unshare, clone with namespace flags, mount, bpf, keyctl, "
     "io_uring, AF_VSOCK, odd personalities are EPERM; clone3 is ENOSYS");
  hull_seccomp_free(s);
}

static void test_cache(json_t *def) {
  char dir[] = "/tmp/hull-seccomp-test.XXXXXX";
  if (mkdtemp(dir) == NULL || def == NULL) {
    ok(false, "cache: temp dir and default profile");
    return;
  }
  char cache[sizeof(dir) + 16];
  snprintf(cache, sizeof(cache), "%s/cache", dir); /* created by compile_cached */

  hull_seccomp *plain = NULL;
  hull_err err = NULL;
  if (hull_seccomp_compile(def, &plain, &err) < 0)
    hull_error_release(&err); /* plain stays NULL: the tests below fail */

  double t0 = now_us();
  hull_seccomp *miss = compile_cached_ok(def, cache);
  double t_miss = now_us() - t0;
  char file[512] = "";
  ok(miss && count_bpf_files(cache, file, sizeof(file)) == 1, "cache miss stores one .bpf file");
  ok(miss && plain && same_bpf(miss, plain), "cached compile gives the same program as a plain compile");

  ino_t ino = inode_of(file);
  hull_seccomp *hit = compile_cached_ok(def, cache);
  ok(hit && same_bpf(hit, plain) && inode_of(file) == ino && count_bpf_files(cache, NULL, 0) == 1,
     "second compile is a cache hit (file untouched, same program)");
  hull_seccomp_free(hit);

  /* Damaged entries are misses that get rewritten. */
  struct stat st;
  stat(file, &st);
  off_t full_size = st.st_size;
  bool truncated = truncate(file, st.st_size - 3) == 0;
  hit = compile_cached_ok(def, cache);
  stat(file, &st);
  ok(truncated && hit && same_bpf(hit, plain) && inode_of(file) != ino && st.st_size == full_size,
     "a truncated entry is recompiled and replaced");
  hull_seccomp_free(hit);

  int fd = open(file, O_RDWR);
  char b = 0;
  bool flipped = fd >= 0 && pread(fd, &b, 1, st.st_size - 20) == 1;
  b ^= 0x5a;
  flipped = flipped && pwrite(fd, &b, 1, st.st_size - 20) == 1;
  if (fd >= 0)
    close(fd);
  ino = inode_of(file);
  hit = compile_cached_ok(def, cache);
  ok(flipped && hit && same_bpf(hit, plain) && inode_of(file) != ino, "a damaged program (checksum) is recompiled");
  hull_seccomp_free(hit);

  json_t *small = js("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['uname'],'action':'SCMP_ACT_ERRNO',"
                     "'errnoRet':42}]}");
  hit = compile_cached_ok(small, cache);
  ok(hit && count_bpf_files(cache, NULL, 0) == 2 && exited_ok(run_child(hit, child_uname_errno)),
     "another profile gets its own entry and works");
  hull_seccomp_free(hit);
  hit = compile_cached_ok(small, cache);
  ok(hit && exited_ok(run_child(hit, child_uname_errno)), "a filter loaded from the cache works");
  hull_seccomp_free(hit);
  json_decref(small);

  /* Validation still runs on a hit: an invalid profile never reaches the cache lookup. */
  json_t *bad = json_deep_copy(def);
  json_object_set_new(bad, "defaultAction", json_string("SCMP_ACT_NOPE"));
  hull_seccomp *none = NULL;
  ok(hull_seccomp_compile_cached(bad, cache, &none, &err) < 0 && none == NULL && err &&
         strcmp(err->msg, "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"") == 0,
     "a cached directory does not bypass validation");
  hull_error_release(&err);
  json_decref(bad);

  /* A directory or entry that someone else may write is not trusted: a miss, and the
   * entry is replaced by our own compile. */
  ino = inode_of(file);
  bool opened = chmod(cache, 0777) == 0;
  hit = compile_cached_ok(def, cache);
  ok(opened && hit && same_bpf(hit, plain) && inode_of(file) != ino, "a world-writable cache directory is a miss");
  hull_seccomp_free(hit);
  opened = chmod(cache, 0700) == 0 && chmod(file, 0662) == 0;
  ino = inode_of(file);
  hit = compile_cached_ok(def, cache);
  ok(opened && hit && same_bpf(hit, plain) && inode_of(file) != ino, "a group-writable cache entry is a miss");
  hull_seccomp_free(hit);
  ino = inode_of(file);
  hit = compile_cached_ok(def, cache);
  ok(hit && inode_of(file) == ino, "the replaced entry (0600, ours) is a hit again");
  hull_seccomp_free(hit);

  hull_seccomp *ro = compile_cached_ok(def, "/proc/hull-no-such-dir/cache");
  ok(ro && same_bpf(ro, plain), "an unusable cache directory is not an error");
  hull_seccomp_free(ro);

  /* Timings for docs/seccomp.md. */
  const int rounds = 50;
  t0 = now_us();
  for (int i = 0; i < rounds; i++) {
    hull_seccomp *x = NULL;
    if (hull_seccomp_compile(def, &x, &err) < 0)
      hull_error_release(&err); /* only the time is measured here */
    hull_seccomp_free(x);
  }
  double t_compile = (now_us() - t0) / rounds;
  t0 = now_us();
  for (int i = 0; i < rounds; i++)
    hull_seccomp_free(compile_cached_ok(def, cache));
  double t_hit = (now_us() - t0) / rounds;
  size_t len;
  hull_seccomp_bpf(plain, &len);
  printf("# default profile: %zu instructions; compile %.0f us, cache miss (compile+store) %.0f us, "
         "cache hit %.0f us\n",
         len / 8, t_compile, t_miss, t_hit);

  hull_seccomp_free(miss);
  hull_seccomp_free(plain);
  char cmd[600];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "# could not remove %s\n", dir);
}

int main(void) {
  json_t *def = load_default_profile();
  test_null_profile();
  test_errno_rules();
  test_args();
  test_actions();
  test_notify();
  test_errors();
  test_unknown_syscall();
  test_default_profile(def);
  test_check_runtime(def);
  test_enosys_stub();
  test_default_errno(def);
  test_cache(def);
  json_decref(def);
  printf("1..%d\n", test_num);
  return failed ? 1 : 0;
}
