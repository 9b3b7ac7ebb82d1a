/* hull: the engine's CLI. Global flags come before the command:
 *   hull [--root DIR] [--runroot DIR] [--log-level LEVEL] [-D] COMMAND [ARGS...] */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hull/runtime.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "hull-config.h"
#include "image/store.h"

static int usage_error(hull_err *err, int status, const char *cmd, const char *fmt, va_list ap) {
  char *msg = NULL;
  int r = vasprintf(&msg, fmt, ap);
  hull_error(err, 0, "%s\nSee 'hull %s --help'.", r >= 0 ? msg : "usage", cmd);
  free(msg);
  if (*err)
    (*err)->status = status;
  return -1;
}

int hull_usage_error(hull_err *err, const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  usage_error(err, HULL_EXIT_USAGE, cmd, fmt, ap);
  va_end(ap);
  return -1;
}

int hull_args_error(hull_err *err, const char *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  usage_error(err, 1, cmd, fmt, ap);
  va_end(ap);
  return -1;
}

int hull_cli_tls_verify(const char *cmd, const char *value, bool *insecure, hull_err *err) {
  /* The words Go's strconv.ParseBool takes, as podman and skopeo read this flag with it. */
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
    if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
      *insecure = strcmp(value, no[i]) == 0;
      return 0;
    }
  }
  return hull_usage_error(err, cmd, "invalid value \"%s\" for --tls-verify (want true or false)", value);
}

int hull_cli_print_inspect(const char *cmd, json_t *all, const char *format, hull_err *err) {
  if (format) {
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) {
      const char *terr = NULL;
      cleanup_free char *line = hull_template_render(format, o, &terr);
      if (line == NULL)
        return hull_usage_error(err, cmd, "template parsing error: %s", terr);
      printf("%s\n", line);
    }
    return 0;
  }
  cleanup_free char *text = json_dumps(all, JSON_INDENT(4));
  if (text)
    printf("%s\n", text);
  return 0;
}

void hull_cli_add_failure(hull_err *failed, hull_err *one) {
  if (*failed == NULL) {
    *failed = steal_pointer(one);
    return;
  }
  /* main puts "Error: " before the first line; the others get theirs here. */
  char *msg = NULL;
  if (asprintf(&msg, "%s\nError: %s", (*failed)->msg, (*one)->msg) >= 0) {
    free((*failed)->msg);
    (*failed)->msg = msg;
  }
  (*failed)->status = 1;
  hull_error_release(one);
}

int hull_cli_failures(hull_err *failed, hull_err *err) {
  if (*failed == NULL)
    return 0;
  *err = steal_pointer(failed);
  return -1;
}

int hull_cli_common_opt(int c, const char *cmd, const char *usage, char **argv, hull_err *err) {
  if (c == 'h') {
    /* The help table is the one text; a command's own usage only where it has no entry. */
    const hull_help_entry *e = hull_help_find(cmd);
    if (e)
      hull_help_print(stdout, e);
    else
      printf("\nUsage:  hull %s\n", usage);
    return 1;
  }
  if (c == '?' || c == ':') {
    const char *bad = argv[optind - 1] ? argv[optind - 1] : "";
    if (c == ':')
      return hull_usage_error(err, cmd, "flag needs an argument: %s", bad);
    return hull_usage_error(err, cmd, "unknown flag: %s", bad);
  }
  return 0;
}

typedef struct command {
  const char *name;
  hull_cmd_fn fn;
  const char *help;
} command;

static const command commands[] = {
    {"commit", cmd_commit, "Create a new image from a container's changes"},
    {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
    {"create", cmd_create, "Create a new container"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
    {"events", cmd_events, "Get real time events from the server"},
    {"export", cmd_export, "Export a container's filesystem as a tar archive"},
    {"history", cmd_history, "Show the history of an image"},
    {"images", cmd_images, "List images"},
    {"info", cmd_info, "Display system-wide information"},
    {"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
    {"inspect", cmd_inspect, "Return low-level information on containers"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"load", cmd_load, "Load an image from a tar archive"},
    {"login", cmd_login, "Log in to a registry"},
    {"logout", cmd_logout, "Log out from a registry"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"pause", cmd_pause, "Pause all processes within one or more containers"},
    {"port", cmd_port, "List port mappings or a specific mapping for the container"},
    {"ps", cmd_ps, "List containers"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"push", cmd_push, "Upload an image to a registry"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_stop, "Restart one or more containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"rmi", cmd_rmi, "Remove one or more images"},
    {"run", cmd_run, "Create and run a new container from an image"},
    {"save", cmd_save, "Save one or more images to a tar archive"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
    {"top", cmd_top, "Display the running processes of a container"},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
    {NULL, NULL, NULL},
};
static const command container_commands[] = {
    {"commit", cmd_commit, "Create a new image from a container's changes"},
    {"attach", cmd_attach, "Attach local standard input, output, and error streams to a running container"},
    {"cp", cmd_cp, "Copy files/folders between a container and the local filesystem"},
    {"create", cmd_create, "Create a new container"},
    {"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
    {"exec", cmd_exec, "Execute a command in a running container"},
    {"export", cmd_export, "Export a container's filesystem as a tar archive"},
    {"inspect", cmd_inspect, "Display detailed information on one or more containers"},
    {"kill", cmd_kill, "Kill one or more running containers"},
    {"logs", cmd_logs, "Fetch the logs of a container"},
    {"ls", cmd_ps, "List containers"},
    {"list", cmd_ps, NULL},
    {"ps", cmd_ps, NULL},
    {"pause", cmd_pause, "Pause all processes within one or more containers"},
    {"port", cmd_port, "List port mappings for the container"},
    {"prune", cmd_container_prune, "Remove all stopped containers"},
    {"rename", cmd_rename, "Rename a container"},
    {"restart", cmd_stop, "Restart one or more containers"},
    {"rm", cmd_rm, "Remove one or more containers"},
    {"run", cmd_run, "Create and run a new container from an image"},
    {"start", cmd_start, "Start one or more stopped containers"},
    {"stats", cmd_stats, "Display a live stream of container(s) resource usage statistics"},
    {"stop", cmd_stop, "Stop one or more running containers"},
    {"top", cmd_top, "Display the running processes of a container"},
    {"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
    {"update", cmd_update, "Update configuration of one or more containers"},
    {"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
    {NULL, NULL, NULL},
};
static const command image_commands[] = {
    {"ls", cmd_images, "List images"},
    {"list", cmd_images, NULL},
    {"history", cmd_history, "Show the history of an image"},
    {"inspect", cmd_image_inspect, "Display detailed information on one or more images"},
    {"prune", cmd_image_prune, "Remove unused images"},
    {"rm", cmd_rmi, "Remove one or more images"},
    {"tag", cmd_tag, "Create a tag"},
    {"load", cmd_load, "Load an image from a tar archive"},
    {"save", cmd_save, "Save images to a tar archive"},
    {"import", cmd_import, "Import a tarball as an image"},
    {"pull", cmd_pull, "Download an image from a registry"},
    {"push", cmd_push, "Upload an image to a registry"},
    {NULL, NULL, NULL},
};
static const command system_commands[] = {
    {"events", cmd_events, "Get real time events from the server"},
    {"df", cmd_system_df, "Show disk usage"},
    {"check", cmd_system_check, "Check the store's consistency (--repair to fix)"},
    {"info", cmd_info, "Display system-wide information"},
    {"prune", cmd_system_prune, "Remove unused data"},
    {NULL, NULL, NULL},
};

static const command network_commands[] = {
    {"create", cmd_network_create, "Create a network"},
    {"ls", cmd_network_ls, "List networks"},
    {"list", cmd_network_ls, NULL},
    {"inspect", cmd_network_inspect, "Display detailed information on one or more networks"},
    {"rm", cmd_network_rm, "Remove one or more networks"},
    {"remove", cmd_network_rm, NULL},
    {"prune", cmd_network_prune, "Remove all unused networks"},
    {"connect", cmd_network_connect, "Connect a container to a network"},
    {"disconnect", cmd_network_disconnect, "Disconnect a container from a network"},
    {"teardown", cmd_network_teardown, NULL},
    {"settle", cmd_network_settle, NULL},
    {NULL, NULL, NULL},
};

void hull_main_usage(FILE *out) {
  fprintf(out, "\nUsage:  hull [OPTIONS] COMMAND\n\nA daemonless container engine\n\n"
               "Options:\n      --root string       Store directory (default \"" HULL_DEFAULT_ROOT "\")\n"
               "      --runroot string    Runtime state directory (default \"/run/hull\")\n"
               "      --log-level string  debug, info, warn or error (default \"warn\")\n"
               "  -D, --debug             Debug output\n  -v, --version           Print version information\n\n"
               "Management Commands:\n  container   Manage containers\n  image       Manage images\n"
               "  network     Manage networks\n  system      Manage hull\n  volume      Manage volumes\n\nCommands:\n");
  for (const command *c = commands; c->name; c++)
    fprintf(out, "  %-11s %s\n", c->name, c->help);
  fprintf(out, "  %-11s %s\n", "version", "Show the hull version information");
}

/* `hull CMD --help` for every command, from the help table: --help (or -h where the command
 * has no -h of its own, unlike run's --hostname) before the first argument that is not an
 * option. */
static bool help_wanted(int cargc, char **cargv) {
  static const char *const groups[] = {"container", "image", "network", "system", "volume", NULL};
  char path[64];
  int first = 1;
  snprintf(path, sizeof(path), "%s", cargv[0]);
  for (size_t i = 0; groups[i]; i++)
    if (strcmp(cargv[0], groups[i]) == 0 && cargc >= 2 && cargv[1][0] != '-') {
      snprintf(path, sizeof(path), "%s %s", cargv[0], cargv[1]);
      first = 2;
    }
  const hull_help_entry *e = hull_help_find(path);
  if (e == NULL)
    return false;
  bool own_h = e->options == NULL || strstr(e->options, "  -h, ") != NULL;
  for (int i = first; i < cargc && strcmp(cargv[i], "--") != 0 && cargv[i][0] == '-'; i++)
    if (strcmp(cargv[i], "--help") == 0 || (!own_h && strcmp(cargv[i], "-h") == 0)) {
      hull_help_print(stdout, e);
      return true;
    }
  return false;
}

static const command *find(const command *table, const char *name) {
  for (const command *c = table; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

static int group(hull_cli *g, const char *gname, const command *table, int argc, char **argv, hull_err *err) {
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    printf("\nUsage:  hull %s COMMAND\n\nCommands:\n", gname);
    for (const command *c = table; c->name; c++)
      if (c->help)
        printf("  %-9s %s\n", c->name, c->help);
    return 0;
  }
  const command *c = find(table, argv[1]);
  if (c == NULL)
    return hull_usage_error(err, gname, "unknown command \"%s\" for \"hull %s\"", argv[1], gname);
  return c->fn(g, argc - 1, argv + 1, err);
}

int main(int argc, char **argv) {
  hull_cli g = {.root = HULL_DEFAULT_ROOT, .runroot = "/run/hull", .cgroup_driver = "cgroupfs"};
  const char *level = NULL;
  hull_err cerr = NULL;
  if (hull_cli_load_config(&g, &level, &cerr) < 0) {
    fprintf(stderr, "Error: %s\n", cerr->msg);
    hull_error_release(&cerr);
    return HULL_EXIT_USAGE;
  }
  if (getenv("HULL_LOG_LEVEL"))
    level = getenv("HULL_LOG_LEVEL");
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *a = argv[i], *v = NULL;
    const char *eq = strchr(a, '=');
    size_t an = eq ? (size_t)(eq - a) : strlen(a);
#define FLAG(name) (an == strlen(name) && strncmp(a, name, an) == 0)
    if (FLAG("--root") || FLAG("--runroot") || FLAG("--log-level")) {
      v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
      if (v == NULL) {
        fprintf(stderr, "flag needs an argument: %.*s\nSee 'hull --help'.\n", (int)an, a);
        return HULL_EXIT_USAGE;
      }
      if (FLAG("--root"))
        g.root = v;
      else if (FLAG("--runroot"))
        g.runroot = v;
      else
        level = v;
    } else if (FLAG("-D") || FLAG("--debug")) {
      g.debug = true;
    } else if (FLAG("-h") || FLAG("--help")) {
      hull_main_usage(stdout);
      return 0;
    } else if (FLAG("-v") || FLAG("--version")) {
      printf("hull version %s, build %s\n", HULL_VERSION, HULL_COMMIT);
      return 0;
    } else {
      fprintf(stderr, "unknown flag: %s\nSee 'hull --help'.\n", a);
      return HULL_EXIT_USAGE;
    }
#undef FLAG
  }
  /* Docker's levels (logrus): a typo is an error, not silently "warn". Only debug changes
   * what hull prints; info, warn, error and fatal all print warnings and errors. */
  static const char *const levels[] = {"debug", "info", "warn", "warning", "error", "fatal", "panic"};
  bool known = level == NULL;
  for (size_t k = 0; !known && k < sizeof(levels) / sizeof(levels[0]); k++)
    known = strcasecmp(level, levels[k]) == 0;
  if (!known) {
    fprintf(stderr, "Unable to parse logging level: %s\n", level);
    return 1;
  }
  if (level && strcasecmp(level, "debug") == 0)
    g.debug = true;
  /* To stderr, in text: nothing is opened, so this cannot fail. */
  if (hull_log_init(NULL, "text", g.debug) < 0)
    return 1;
  if (i == argc) {
    hull_main_usage(stderr);
    return HULL_EXIT_USAGE;
  }
  char **cargv = argv + i;
  int cargc = argc - i;
  hull_err err = NULL;
  int r;
  const command *c = find(commands, cargv[0]);
  if (help_wanted(cargc, cargv))
    return 0;
  /* exec runs a process in a container as our child: the runtime library does that only
   * for a caller running from a sealed copy of its binary (CVE-2019-5736), so exec
   * re-executes hull from one first. Nothing is open yet that the new image would miss,
   * and every other command keeps running from the file: they pay nothing. */
  if (strcmp(cargv[0], "exec") == 0 ||
      (cargc > 1 && strcmp(cargv[0], "container") == 0 && strcmp(cargv[1], "exec") == 0)) {
    if (hull_rt_seal_self(argv, &err) < 0) {
      fprintf(stderr, "Error: %s\n", hull_err_message(err));
      hull_err_free(&err);
      return 125;
    }
  }
  if (strcmp(cargv[0], "help") == 0) {
    r = cmd_help(&g, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "version") == 0) {
    r = cmd_version(&g, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "image") == 0) {
    r = group(&g, "image", image_commands, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "container") == 0) {
    r = group(&g, "container", container_commands, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "network") == 0) {
    r = group(&g, "network", network_commands, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "volume") == 0) {
    r = cmd_volume(&g, cargc, cargv, &err);
  } else if (strcmp(cargv[0], "system") == 0) {
    r = group(&g, "system", system_commands, cargc, cargv, &err);
  } else if (c) {
    r = c->fn(&g, cargc, cargv, &err);
  } else {
    fprintf(stderr, "hull: '%s' is not a hull command.\nSee 'hull --help'\n", cargv[0]);
    return 1; /* Docker's client: an unknown command is no flag error (125) */
  }
  if (r < 0) {
    int status = err ? err->status : 1;
    /* An empty message carries only a status: the exit code of a container run in the
     * foreground, which Docker passes on without a word. */
    /* What the command printed comes first, as Docker's "[]" before "Error: No such ...". */
    fflush(stdout);
    if (err == NULL || err->msg[0] != '\0')
      fprintf(stderr, "Error: %s\n", err ? err->msg : "unknown error");
    hull_error_release(&err);
    return status;
  }
  return 0;
}
