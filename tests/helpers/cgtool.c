/* cgtool: drives the cgroup manager by hand, for root tests of src/runtime/cgroup*.c.
 *
 *   cgtool create STATE ID CGROUPS_PATH|- RESOURCES.json|-   create, print nothing, save STATE
 *   cgtool update STATE RESOURCES.json
 *   cgtool enter STATE PID
 *   cgtool spawn STATE CMD [ARG...]    fork, join the cgroup before exec (v2: clone3-free
 *                                     path: enter from the parent), print the pid
 *   cgtool pids|stats|oom|path|destroy STATE
 *   cgtool kill STATE SIGNAL
 *   cgtool freeze|thaw|frozen STATE
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "runtime/cgroup.h"

static int fail(hull_err *err) {
  fprintf(stderr, "cgtool: %s\n", (*err)->msg);
  hull_error_release(err);
  return 1;
}

static int load(const char *state, hull_cgroup **cg, hull_err *err) {
  json_error_t je;
  json_t *j = json_load_file(state, 0, &je);
  if (j == NULL)
    return hull_error(err, 0, "load %s: %s", state, je.text);
  int r = hull_cgroup_from_json(j, cg, err);
  json_decref(j);
  return r;
}

static int save(const char *state, hull_cgroup *cg, hull_err *err) {
  json_t *j = hull_cgroup_to_json(cg);
  int r = j ? json_dump_file(j, state, JSON_COMPACT) : -1;
  json_decref(j);
  return r < 0 ? hull_error(err, EIO, "save %s", state) : 0;
}

static json_t *load_res(const char *file, hull_err *err) {
  if (strcmp(file, "-") == 0)
    return NULL;
  json_error_t je;
  json_t *j = json_load_file(file, 0, &je);
  if (j == NULL)
    hull_error(err, 0, "load %s: %s", file, je.text);
  return j;
}

static int spawn(hull_cgroup *cg, char **argv, hull_err *err) {
  int p[2];
  if (pipe(p) < 0)
    return hull_error_sys(err, "pipe");
  pid_t pid = fork();
  if (pid < 0)
    return hull_error_sys(err, "fork");
  if (pid == 0) {
    char c;
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
      _exit(126); /* the parent failed to place us: do not run outside the cgroup */
    setsid();
    /* Let a shell's $(cgtool spawn ...) finish: the child must not hold its stdout. */
    freopen("/dev/null", "r", stdin);
    freopen("/dev/null", "w", stdout);
    execvp(argv[0], argv);
    _exit(127);
  }
  close(p[0]);
  if (hull_cgroup_enter(cg, pid, err) < 0) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(p[1]);
    return -1;
  }
  if (write(p[1], "x", 1) != 1)
    return hull_error_sys(err, "release child");
  close(p[1]);
  printf("%d\n", (int)pid);
  return 0;
}

int main(int argc, char **argv) {
  hull_err err = NULL;
  hull_cgroup *cg = NULL;
  if (argc < 3) {
    fprintf(stderr, "usage: see tests/helpers/cgtool.c\n");
    return 2;
  }
  const char *cmd = argv[1], *state = argv[2];
  if (strcmp(cmd, "create") == 0) {
    if (argc != 6)
      return 2;
    json_t *res = load_res(argv[5], &err);
    if (err)
      return fail(&err);
    int r = hull_cgroup_new(strcmp(argv[4], "-") ? argv[4] : NULL, argv[3], &cg, &err);
    if (r == 0)
      r = hull_cgroup_create(cg, res, &err);
    if (r == 0)
      r = save(state, cg, &err);
    json_decref(res);
    hull_cgroup_free(cg);
    return r < 0 ? fail(&err) : 0;
  }
  if (load(state, &cg, &err) < 0)
    return fail(&err);
  int r = 0;
  if (strcmp(cmd, "update") == 0 && argc == 4) {
    json_t *res = load_res(argv[3], &err);
    r = err ? -1 : hull_cgroup_update(cg, res, &err);
    json_decref(res);
  } else if (strcmp(cmd, "enter") == 0 && argc == 4) {
    r = hull_cgroup_enter(cg, (pid_t)atoi(argv[3]), &err);
  } else if (strcmp(cmd, "spawn") == 0 && argc >= 4) {
    r = spawn(cg, argv + 3, &err);
  } else if (strcmp(cmd, "pids") == 0) {
    pid_t *pids = NULL;
    size_t n = 0;
    r = hull_cgroup_pids(cg, &pids, &n, &err);
    for (size_t i = 0; r == 0 && i < n; i++)
      printf("%d\n", (int)pids[i]);
    free(pids);
  } else if (strcmp(cmd, "stats") == 0) {
    json_t *s = hull_cgroup_stats(cg, &err);
    if (s == NULL)
      r = -1;
    else
      json_dumpf(s, stdout, JSON_INDENT(1)), putchar('\n'), json_decref(s);
  } else if (strcmp(cmd, "oom") == 0) {
    printf("%lld\n", hull_cgroup_oom_kills(cg));
  } else if (strcmp(cmd, "path") == 0) {
    printf("%s\n", hull_cgroup_path(cg));
  } else if (strcmp(cmd, "kill") == 0 && argc == 4) {
    r = hull_cgroup_kill(cg, atoi(argv[3]), &err);
  } else if (strcmp(cmd, "freeze") == 0 || strcmp(cmd, "thaw") == 0) {
    r = hull_cgroup_freeze(cg, cmd[0] == 'f', &err);
  } else if (strcmp(cmd, "frozen") == 0) {
    printf("%s\n", hull_cgroup_frozen_p(cg) ? "frozen" : "not frozen");
  } else if (strcmp(cmd, "destroy") == 0) {
    r = hull_cgroup_destroy(cg, &err);
    if (r == 0)
      r = save(state, cg, &err);
  } else if (strcmp(cmd, "v2fd") == 0) {
    int fd = hull_cgroup_v2_dirfd(cg);
    printf("%d\n", fd);
  } else {
    fprintf(stderr, "cgtool: unknown command or arguments: %s\n", cmd);
    r = 2;
  }
  hull_cgroup_free(cg);
  if (r == 2)
    return 2;
  return r < 0 ? fail(&err) : 0;
}
