#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../common/log.h"
#include "cli.h"
#include "hull-config.h"

static void version(void) {
  printf("hull-runtime version %s\ncommit: %s\nspec: %s\n", HULL_VERSION, HULL_COMMIT, HULL_OCI_SPEC);
}

/* Global flags come before the command, as with runc: --flag VALUE or --flag=VALUE. */
static int parse_globals(int argc, char **argv, struct cli_globals *g, int *next, hull_err *err) {
  int i = 1;
  for (; i < argc; i++) {
    char *a = argv[i];
    if (a[0] != '-')
      break;
    if (a[1] == '-' && a[2] == '\0') {
      i++;
      break;
    }
    const char *name = a + (a[1] == '-' ? 2 : 1);
    char *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    const char *value = eq ? eq + 1 : NULL;
#define IS(s) (nl == strlen(s) && strncmp(name, s, nl) == 0)
#define TAKE()                                                                                                       \
  do {                                                                                                               \
    if (value == NULL) {                                                                                             \
      if (i + 1 >= argc)                                                                                             \
        return hull_error(err, 0, "option %s needs a value", a);                                                    \
      value = argv[++i];                                                                                             \
    }                                                                                                                \
  } while (0)
    if (IS("root")) {
      TAKE();
      g->cfg.root = value;
    } else if (IS("log")) {
      TAKE();
      g->log = value;
    } else if (IS("log-format")) {
      TAKE();
      g->log_format = value;
    } else if (IS("log-level")) {
      TAKE();
      g->log_level = value;
    } else if (IS("criu")) {
      return hull_error(err, 0, "--criu: checkpoint and restore are not implemented in hull-runtime");
    } else if (IS("debug")) {
      g->debug = value == NULL || strcmp(value, "true") == 0;
    } else if (IS("systemd-cgroup")) {
      g->cfg.systemd_cgroup = value == NULL || strcmp(value, "true") == 0;
    } else if (IS("cgroup-manager")) {
      TAKE();
      g->cgroup_manager = value;
    } else if (IS("rootless")) {
      TAKE();
      g->rootless = value;
    } else if (IS("v") || IS("version")) {
      version();
      exit(0);
    } else if (IS("h") || IS("help")) {
      cli_print_usage(stdout);
      exit(0);
    } else {
      return hull_error(err, 0, "unknown global option %s (see hull-runtime --help)", a);
    }
#undef IS
#undef TAKE
  }
  *next = i;
  return 0;
}

static int check_globals(struct cli_globals *g, hull_err *err) {
  if (g->cgroup_manager) {
    if (strcmp(g->cgroup_manager, "systemd") == 0)
      g->cfg.systemd_cgroup = true;
    else if (strcmp(g->cgroup_manager, "disabled") == 0)
      return hull_error(err, 0,
                        "--cgroup-manager disabled is not supported: hull-runtime always puts a container "
                        "in its own cgroup (use cgroupfs)");
    else if (strcmp(g->cgroup_manager, "cgroupfs") != 0)
      return hull_error(err, 0, "--cgroup-manager: unknown manager \"%s\" (want cgroupfs or systemd)",
                        g->cgroup_manager);
  }
  /* runc's --rootless true ignores cgroup permission errors; hull-runtime has no such mode, and
   * accepting the flag would promise what it does not do. */
  if (g->rootless && strcmp(g->rootless, "true") == 0)
    return hull_error(err, 0, "--rootless true is not supported: hull-runtime has no rootless mode yet (use auto)");
  if (g->rootless && strcmp(g->rootless, "false") != 0 && strcmp(g->rootless, "auto") != 0)
    return hull_error(err, 0, "--rootless: invalid value \"%s\" (want auto or false)", g->rootless);
  if (g->log_level) {
    static const char *const levels[] = {"debug", "info", "warning", "error"};
    size_t i = 0;
    while (i < 4 && strcmp(g->log_level, levels[i]) != 0)
      i++;
    if (i == 4)
      return hull_error(err, 0, "--log-level: unknown level \"%s\" (want debug, info, warning or error)", g->log_level);
    if (i == 0)
      g->debug = true;
    hull_log_min_level((enum hull_log_level)i);
  }
  return 0;
}

/* The library's messages, as hull-runtime has always printed them: to --log (text or
 * json lines), else to stderr as "hull-runtime: LEVEL: MSG". */
static void cli_log(void *ud, enum hull_rt_log_level level, const char *msg) {
  hull_log_standard(ud, (enum hull_log_level)level, msg);
}

int main(int argc, char **argv) {
  struct cli_globals g = {.cfg = {.root = "/run/hull-runtime", .log_fd = -1}, .argv = argv};
  hull_err err = NULL;
  int next = 1, rc = 1;
  /* A reader that goes away (a closed pipe) is an error on write, not a silent death. */
  signal(SIGPIPE, SIG_IGN);
  /* config.json is trusted input: a fixed hash seed spares reading /dev/urandom. */
  json_object_seed(1);
  if (parse_globals(argc, argv, &g, &next, &err) < 0 || check_globals(&g, &err) < 0)
    goto fail;
  if (next >= argc) {
    cli_print_usage(stderr);
    return 1;
  }
  const char *cmd = argv[next];
  const struct cli_command *c = cli_command_find(cmd);
  if (c == NULL) {
    /* runc's status for a command it does not know; a script can tell it from a failure. */
    hull_error(&err, 0, "unknown command \"%s\" (see hull-runtime --help)", cmd);
    err->status = 3;
    goto fail;
  }
  bool usage_only = false;
  if (cli_help_wanted(c, argc - next, argv + next, &usage_only)) {
    cli_print_command_help(stdout, c, usage_only);
    return 0;
  }
  /* Before anything else is opened: the re-execution keeps only argv and environ. (run
   * decides once config.json is read: cmd_run.) */
  if (c->enters && !c->later && hull_rt_seal_self(argv, &err) < 0)
    goto fail;
  if (hull_log_init(g.log, g.log_format, g.debug) < 0)
    return 1;
  g.cfg.log = cli_log;
  g.cfg.log_debug = hull_log_standard_debug();
  g.cfg.log_fd = hull_log_standard_fd();
  if (hull_rt_open(&g.cfg, &g.rt, &err) < 0)
    goto fail;
  hull_debug("main: started");
  g.cmd = c;
  /* Commands see argv from their own name on, as getopt expects. */
  optind = 0;
  rc = c->fn(&g, argc - next, argv + next, &err);
  if (rc < 0)
    goto fail;
  hull_debug("main: done");
  hull_rt_close(g.rt);
  return rc;
fail:
  hull_rt_close(g.rt);
  hull_log(HULL_LOG_ERROR, "%s", err ? err->msg : "unknown error");
  fprintf(stderr, "hull-runtime: %s\n", err ? err->msg : "unknown error");
  rc = err && err->status > 1 ? err->status : 1;
  hull_error_release(&err);
  return rc;
}
