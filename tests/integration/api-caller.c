/* An embedder of the runtime library (include/hull/runtime.h and nothing else): it runs
 * a container through the API and checks, after every call, that its own process is
 * exactly as before (issue 12): capability sets, namespaces, dumpable flag, signal
 * dispositions and mask, cwd, umask, open fds, rlimits, CPU affinity, cgroup, threads,
 * no_new_privs, seccomp, oom_score_adj. TAP on stdout; runtime-api.bats runs it as root.
 *
 *   api-caller ROOT BUNDLE ID            the unsealed phase, then re-executes itself
 *                                        sealed (hull_rt_seal_self) for the second
 *   api-caller ROOT BUNDLE ID sealed     the sealed phase
 *
 * BUNDLE/config.json's process must run until killed (the test kills it). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hull/runtime.h>

static int tap_n, tap_failed;

static void ok(bool cond, const char *what) {
  tap_n++;
  if (!cond)
    tap_failed++;
  printf("%s %d - %s\n", cond ? "ok" : "not ok", tap_n, what);
  fflush(stdout);
}

static void append(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *line = NULL;
  int n = vasprintf(&line, fmt, ap);
  va_end(ap);
  if (n < 0)
    abort();
  *buf = realloc(*buf, *len + (size_t)n + 1);
  memcpy(*buf + *len, line, (size_t)n + 1);
  *len += (size_t)n;
  free(line);
}

static void append_file(char **buf, size_t *len, const char *path, const char *const *keys) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    append(buf, len, "%s: %s\n", path, strerror(errno));
    return;
  }
  char line[4096];
  while (fgets(line, sizeof(line), f)) {
    bool want = keys == NULL;
    for (size_t i = 0; keys && keys[i]; i++)
      want = want || strncmp(line, keys[i], strlen(keys[i])) == 0;
    unsigned long long bits;
    if (want && (strncmp(line, "SigCgt:", 7) == 0 || strncmp(line, "SigIgn:", 7) == 0) &&
        sscanf(line + 7, "%llx", &bits) == 1) {
      /* glibc's own handlers for its reserved signals 32 and 33 (thread cancellation
       * and set*id broadcasts), installed with the first thread: not dispositions a
       * program can see or set (sigaction refuses those signals). Installing one also
       * ends an "ignored" that the caller inherited for them (make's children here). */
      append(buf, len, "%s: %.7s %016llx\n", path, line, bits & ~(3ULL << 31));
    } else if (want) {
      append(buf, len, "%s: %s", path, line);
    }
  }
  fclose(f);
}

/* Everything of this process that the library must leave alone, as text. */
static char *snapshot(void) {
  char *s = NULL;
  size_t n = 0;
  static const char *const status_keys[] = {"Umask",
                                            "Uid",
                                            "Gid",
                                            "Groups",
                                            "Threads",
                                            "SigBlk",
                                            "SigIgn",
                                            "SigCgt",
                                            "CapInh",
                                            "CapPrm",
                                            "CapEff",
                                            "CapBnd",
                                            "CapAmb",
                                            "NoNewPrivs",
                                            "Seccomp",
                                            "Cpus_allowed_list",
                                            "Mems_allowed_list",
                                            NULL};
  append_file(&s, &n, "/proc/self/status", status_keys);
  append_file(&s, &n, "/proc/self/cgroup", NULL);
  append_file(&s, &n, "/proc/self/oom_score_adj", NULL);
  static const char *const ns[] = {
      "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"};
  for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
    char path[64], target[128] = "";
    snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
    ssize_t r = readlink(path, target, sizeof(target) - 1);
    append(&s, &n, "ns %s: %s\n", ns[i], r > 0 ? target : "-");
  }
  append(&s, &n, "dumpable: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  append(&s, &n, "child subreaper: %d\n", ({
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
    v;
  }));
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0)
      append(&s, &n, "signal %d: handler %p flags %#x\n", sig, (void *)sa.sa_handler, (unsigned)sa.sa_flags);
  }
  sigset_t mask;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember(&mask, sig) == 1)
      append(&s, &n, "blocked %d\n", sig);
  char cwd[PATH_MAX];
  append(&s, &n, "cwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
  for (int r = 0; r < RLIM_NLIMITS; r++) {
    struct rlimit rl;
    if (getrlimit(r, &rl) == 0)
      append(&s, &n, "rlimit %d: %llu %llu\n", r, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
  }
  append(&s, &n, "pgid %d sid %d\n", (int)getpgrp(), (int)getsid(0));
  DIR *d = opendir("/proc/self/fd");
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
      continue;
    char path[300], target[PATH_MAX] = "";
    snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
    ssize_t r = readlink(path, target, sizeof(target) - 1);
    int fl = fcntl(atoi(de->d_name), F_GETFD);
    append(&s, &n, "fd %s: %s cloexec %d\n", de->d_name, r > 0 ? target : "?", fl >= 0 && (fl & FD_CLOEXEC));
  }
  if (d)
    closedir(d);
  return s;
}

/* Compares with the snapshot before; prints what changed. */
static void same(const char *before, const char *what) {
  char *now = snapshot();
  bool eq = strcmp(before, now) == 0;
  ok(eq, what);
  if (!eq) {
    /* The lines that differ, for the log. */
    char *a = strdup(before), *b = strdup(now), *sa = NULL, *sb = NULL;
    for (char *l = strtok_r(a, "\n", &sa); l; l = strtok_r(NULL, "\n", &sa))
      if (strstr(now, l) == NULL)
        printf("# before: %s\n", l);
    for (char *l = strtok_r(b, "\n", &sb); l; l = strtok_r(NULL, "\n", &sb))
      if (strstr(before, l) == NULL)
        printf("# after:  %s\n", l);
    free(a);
    free(b);
  }
  free(now);
}

static void report(const char *what, hull_err *e) {
  if (*e)
    printf("# %s: %s (errno %d)\n", what, hull_err_message(*e), hull_err_errno(*e));
  hull_err_free(e);
}

static void close_proc(struct hull_proc *p) {
  if (p->pidfd >= 0)
    close(p->pidfd);
  if (p->pty_master >= 0)
    close(p->pty_master);
  p->pidfd = p->pty_master = -1;
}

/* A new pid namespace: a container that run (start) can make without a sealed caller. */
static bool new_pidns(const struct hull_spec *spec) {
  json_t *nss = json_object_get(json_object_get((json_t *)hull_spec_json(spec), "linux"), "namespaces"), *e;
  size_t i;
  json_array_foreach(nss, i, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    if (type && strcmp(type, "pid") == 0 && json_object_get(e, "path") == NULL)
      return true;
  }
  return false;
}

/* kill, wait, delete: the end of every container here, checked after each call. */
static void end(struct hull_rt *rt, const char *id, const char *before, bool own_child) {
  hull_err e = NULL;
  ok(hull_rt_kill(rt, id, SIGKILL, false, &e) == 0, "kill");
  report("kill", &e);
  same(before, "kill leaves the caller as it was");
  struct hull_exit ex;
  ok(hull_rt_wait(rt, id, 10000, &ex, &e) == 0, "wait");
  report("wait", &e);
  ok(!own_child || (ex.wait_status >= 0 && WIFSIGNALED(ex.wait_status) && WTERMSIG(ex.wait_status) == SIGKILL),
     "wait gives the init's status (killed by SIGKILL)");
  ok(!ex.oom_killed, "no OOM kill recorded");
  same(before, "wait leaves the caller as it was");
  ok(hull_rt_delete(rt, id, false, &e) == 0, "delete");
  report("delete", &e);
  same(before, "delete leaves the caller as it was");
  json_t *st = NULL;
  ok(hull_rt_state(rt, id, &st, &e) < 0 && hull_err_errno(e) == ENOENT, "the container is gone");
  hull_err_free(&e);
}

static void unsealed_phase(struct hull_rt *rt, const struct hull_spec *spec, const char *bundle, const char *id) {
  char *before = snapshot();
  hull_err e = NULL;
  struct hull_create_params p = {.id = id, .bundle = bundle, .stdio = {-1, -1, -1}};
  struct hull_proc proc;
  ok(hull_rt_create(rt, &p, &proc, &e) < 0 && hull_err_errno(e) == HULL_RT_ENEEDSEAL,
     "create (waiting for start) from an unsealed caller fails closed: HULL_RT_ENEEDSEAL");
  report("create", &e);
  json_t *st = NULL;
  ok(hull_rt_state(rt, id, &st, &e) < 0 && hull_err_errno(e) == ENOENT, "and leaves no container");
  hull_err_free(&e);
  same(before, "a refused create leaves the caller as it was");
  /* create + start in one go: the init executes the process through the sealed
   * trampoline, so no sealed caller is needed when it has a pid namespace of its own. */
  p.start = true;
  p.spec = spec;
  if (!new_pidns(spec)) {
    ok(hull_rt_create(rt, &p, &proc, &e) < 0 && hull_err_errno(e) == HULL_RT_ENEEDSEAL,
       "run without a new pid namespace from an unsealed caller fails closed");
    report("run", &e);
    same(before, "a refused run leaves the caller as it was");
    free(before);
    return;
  }
  ok(hull_rt_create(rt, &p, &proc, &e) == 0 && proc.pid > 0 && proc.pidfd >= 0 && proc.pty_master == -1,
     "run (create with start) from an unsealed caller");
  report("run", &e);
  close_proc(&proc);
  same(before, "run leaves the caller as it was");
  /* exec joins the container's pid namespace, where its processes see the new process
   * before it executes anything: that needs a sealed caller. */
  json_t *process = json_pack("{s:[s,s], s:s}", "args", "/payload", "true", "cwd", "/");
  struct hull_proc ex;
  ok(hull_rt_exec(rt, id, process, NULL, &ex, &e) < 0 && hull_err_errno(e) == HULL_RT_ENEEDSEAL && ex.pid == -1,
     "exec from an unsealed caller fails closed: HULL_RT_ENEEDSEAL");
  report("exec", &e);
  json_decref(process);
  same(before, "a refused exec leaves the caller as it was");
  end(rt, id, before, true);
  free(before);
}

static void sealed_phase(struct hull_rt *rt, const char *bundle, const char *id) {
  ok(hull_rt_sealed_p(), "hull_rt_seal_self re-executed the caller from a sealed copy");
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0)
    abort();
  char *before = snapshot();
  hull_err e = NULL;
  struct hull_create_params p = {.id = id, .bundle = bundle, .stdio = {-1, -1, -1}};
  struct hull_proc proc;
  ok(hull_rt_create(rt, &p, &proc, &e) == 0 && proc.pid > 0, "create");
  report("create", &e);
  close_proc(&proc);
  same(before, "create leaves the caller as it was");
  ok(hull_rt_start(rt, id, &e) == 0, "start");
  report("start", &e);
  same(before, "start leaves the caller as it was");
  json_t *process =
      json_pack("{s:[s,s,s], s:[s], s:s}", "args", "/payload", "echo", "from-exec", "env", "PATH=/bin", "cwd", "/");
  int stdio[3] = {-1, out[1], -1};
  ok(hull_rt_exec(rt, id, process, stdio, &proc, &e) == 0 && proc.pid > 0, "exec");
  report("exec", &e);
  json_decref(process);
  int status = -1;
  ok(proc.pid > 0 && waitpid(proc.pid, &status, 0) == proc.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
     "the exec'd process is the caller's child");
  close_proc(&proc);
  char buf[64] = "";
  ssize_t r = read(out[0], buf, sizeof(buf) - 1);
  ok(r > 0 && strncmp(buf, "from-exec", 9) == 0, "the exec'd process wrote to the stdout it was given");
  same(before, "exec leaves the caller as it was");
  close(out[0]);
  close(out[1]);
  free(before);
  before = snapshot();
  end(rt, id, before, true);
  free(before);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: api-caller ROOT BUNDLE ID [sealed]\n");
    return 2;
  }
  bool sealed = argc > 4 && strcmp(argv[4], "sealed") == 0;
  struct hull_rt_config cfg = {.root = argv[1], .log_fd = -1};
  struct hull_rt *rt = NULL;
  hull_err e = NULL;
  if (hull_rt_open(&cfg, &rt, &e) < 0) {
    report("open", &e);
    return 1;
  }
  if (!sealed) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/config.json", argv[2]);
    struct hull_spec *spec = NULL;
    if (hull_spec_load_file(path, &spec, &e) < 0) {
      report("spec", &e);
      return 1;
    }
    unsealed_phase(rt, spec, argv[2], argv[3]);
    hull_spec_free(spec);
    hull_rt_close(rt);
    char *args[] = {argv[0], argv[1], argv[2], argv[3], "sealed", NULL};
    printf("# continued sealed, numbering from %d\n", tap_n + 1);
    fflush(stdout);
    setenv("API_CALLER_TAP_N", ({
             static char n[16];
             snprintf(n, sizeof(n), "%d:%d", tap_n, tap_failed);
             n;
           }),
           1);
    if (hull_rt_seal_self(args, &e) < 0)
      report("seal", &e);
    ok(false, "hull_rt_seal_self re-executes");
    return 1;
  }
  const char *prev = getenv("API_CALLER_TAP_N");
  if (prev)
    sscanf(prev, "%d:%d", &tap_n, &tap_failed);
  sealed_phase(rt, argv[2], argv[3]);
  hull_rt_close(rt);
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}
