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
#include "../runtime/selfexe.h"
#include "cli.h"
#include "hull-config.h"

static const struct {
  const char *name;
  cli_cmd_fn fn;
  const char *help;
  bool enters; /* runs code in a container: executes from a sealed copy (selfexe.h) */
  bool later;  /* ... or through hull-exec: decided once config.json is read */
} commands[] = {
    {"create", cmd_create, "create a container", true},
    {"start", cmd_start, "start a created container"},
    {"run", cmd_run, "create and start a container", true, true},
    {"state", cmd_state, "output the state of a container"},
    {"kill", cmd_kill, "send a signal to the container's init process"},
    {"delete", cmd_delete, "delete a container"},
    {"list", cmd_list, "list containers"},
    {"ps", cmd_ps, "list processes of a container"},
    {"exec", cmd_exec, "run a process in a running container", true},
    {"pause", cmd_pause, "suspend every process of a container"},
    {"resume", cmd_resume, "resume a paused container"},
    {"update", cmd_update, "update the resource limits of a container"},
    {"events", cmd_events, "display container events (stats, OOM) as JSON lines"},
    {"spec", cmd_spec, "write a default config.json"},
    {"features", cmd_features, "show the features of this runtime"},
};

static void usage(FILE *f) {
  fprintf(f, "usage: hull-runtime [global options] COMMAND [options] [arguments]\n\n"
             "hull-runtime is an OCI runtime with runc's command line.\n\nCommands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
  fprintf(f, "\nGlobal options:\n"
             "  --root DIR              state directory (default /run/hull-runtime)\n"
             "  --log FILE              log file (default: stderr)\n"
             "  --log-format text|json  log format (default text)\n"
             "  --debug                 debug logging\n"
             "  --systemd-cgroup        a transient systemd scope per container\n"
             "  --cgroup-manager cgroupfs|systemd|disabled\n"
             "  --rootless true|false|auto\n"
             "  -v, --version           print the version\n"
             "  -h, --help              this help\n");
}

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
      g->rt.root = value;
    } else if (IS("log")) {
      TAKE();
      g->log = value;
    } else if (IS("log-format")) {
      TAKE();
      g->log_format = value;
    } else if (IS("debug")) {
      g->debug = value == NULL || strcmp(value, "true") == 0;
    } else if (IS("systemd-cgroup")) {
      g->rt.systemd_cgroup = value == NULL || strcmp(value, "true") == 0;
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
      usage(stdout);
      exit(0);
    } else {
      return hull_error(err, 0, "unknown global option %s", a);
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
      g->rt.systemd_cgroup = true;
    else if (strcmp(g->cgroup_manager, "cgroupfs") != 0 && strcmp(g->cgroup_manager, "disabled") != 0)
      return hull_error(err, 0, "--cgroup-manager: unknown manager \"%s\" (want cgroupfs, systemd or disabled)",
                        g->cgroup_manager);
  }
  if (g->rootless && strcmp(g->rootless, "true") != 0 && strcmp(g->rootless, "false") != 0 &&
      strcmp(g->rootless, "auto") != 0)
    return hull_error(err, 0, "--rootless: invalid value \"%s\" (want true, false or auto)", g->rootless);
  return 0;
}

int main(int argc, char **argv) {
  struct cli_globals g = {.rt = {.root = "/run/hull-runtime"}};
  hull_err err = NULL;
  int next = 1, rc = 1;
  /* A reader that goes away (a closed pipe) is an error on write, not a silent death. */
  signal(SIGPIPE, SIG_IGN);
  /* config.json is trusted input: a fixed hash seed spares reading /dev/urandom. */
  json_object_seed(1);
  if (parse_globals(argc, argv, &g, &next, &err) < 0 || check_globals(&g, &err) < 0)
    goto fail;
  if (next >= argc) {
    usage(stderr);
    return 1;
  }
  const char *cmd = argv[next];
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(cmd, commands[i].name) != 0)
      continue;
    /* Before anything else is opened: the re-execution keeps only argv and environ. */
    if (commands[i].later)
      hull_selfexe_defer(argv);
    else if (commands[i].enters && hull_selfexe_protect(argv, &err) < 0)
      goto fail;
    if (hull_log_init(g.log, g.log_format, g.debug) < 0)
      return 1;
    hull_debug("main: started");
    /* Commands see argv from their own name on, as getopt expects. */
    optind = 0;
    rc = commands[i].fn(&g, argc - next, argv + next, &err);
    if (rc < 0)
      goto fail;
    hull_debug("main: done");
    return rc;
  }
  hull_error(&err, 0, "unknown command \"%s\" (see hull-runtime --help)", cmd);
fail:
  hull_log(HULL_LOG_ERROR, "%s", err ? err->msg : "unknown error");
  fprintf(stderr, "hull-runtime: %s\n", err ? err->msg : "unknown error");
  rc = err && err->status > 1 ? err->status : 1;
  hull_error_release(&err);
  return rc;
}
