#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../runtime/names.h"
#include "cli.h"

void cli_print_json(json_t *j, int flags) {
  char *s = json_dumps(j, flags);
  if (s) {
    puts(s);
    free(s);
  }
}

int cli_want_args(const char *cmd, int have, int want, const char *usage, hull_err *err) {
  if (have != want)
    return hull_error(err, 0, "%s: expected %d argument%s (%s), got %d", cmd, want, want == 1 ? "" : "s", usage,
                      have);
  return 0;
}

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_NO_PIVOT, OPT_NO_KEYRING, OPT_PRESERVE, OPT_KEEP, OPT_NO_SUBREAPER };

static int parse_create(const char *cmd, int argc, char **argv, struct hull_create_opts *o, hull_err *err) {
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'},         {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"console-socket", required_argument, NULL, OPT_CONSOLE}, {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
      {"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING}, {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"detach", no_argument, NULL, 'd'},               {"keep", no_argument, NULL, OPT_KEEP},
      {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER}, {NULL, 0, NULL, 0}};
  bool is_run = strcmp(cmd, "run") == 0;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, is_run ? "+b:d" : "+b:", opts, NULL)) != -1) {
    switch (c) {
    case 'b':
      o->bundle = optarg;
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_CONSOLE:
      o->console_socket = optarg;
      break;
    case OPT_NO_PIVOT:
      o->no_pivot = true;
      break;
    case OPT_NO_KEYRING:
      o->no_new_keyring = true;
      break;
    case OPT_NO_SUBREAPER:
      break;
    case OPT_PRESERVE: {
      int64_t n;
      if (hull_parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
        return hull_error(err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
      o->preserve_fds = (int)n;
      break;
    }
    case 'd':
      if (!is_run)
        return hull_error(err, 0, "%s: unknown option -d", cmd);
      o->detach = true;
      break;
    case OPT_KEEP:
      if (!is_run)
        return hull_error(err, 0, "%s: unknown option --keep", cmd);
      o->keep = true;
      break;
    default:
      return hull_error(err, 0, "%s: unknown or incomplete option %s", cmd, argv[optind - 1]);
    }
  }
  if (cli_want_args(cmd, argc - optind, 1, "container id", err) < 0)
    return -1;
  o->id = argv[optind];
  return 0;
}

int cmd_create(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  struct hull_create_opts o = {0};
  if (parse_create("create", argc, argv, &o, err) < 0)
    return -1;
  int status = 0;
  return hull_container_create(&g->rt, &o, &status, err) < 0 ? -1 : 0;
}

int cmd_run(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  struct hull_create_opts o = {.run = true};
  if (parse_create("run", argc, argv, &o, err) < 0)
    return -1;
  int status = 0;
  if (hull_container_create(&g->rt, &o, &status, err) < 0)
    return -1;
  return status;
}

static int single_id(const char *cmd, int argc, char **argv, const char **id, hull_err *err) {
  static const struct option opts[] = {{NULL, 0, NULL, 0}};
  opterr = 0;
  if (getopt_long(argc, argv, "+", opts, NULL) != -1)
    return hull_error(err, 0, "%s: unknown option %s", cmd, argv[optind - 1]);
  if (cli_want_args(cmd, argc - optind, 1, "container id", err) < 0)
    return -1;
  *id = argv[optind];
  return 0;
}

int cmd_start(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id("start", argc, argv, &id, err) < 0)
    return -1;
  return hull_container_start(&g->rt, id, err) < 0 ? -1 : 0;
}

int cmd_pause(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id("pause", argc, argv, &id, err) < 0)
    return -1;
  return hull_container_pause(&g->rt, id, true, err) < 0 ? -1 : 0;
}

int cmd_resume(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id("resume", argc, argv, &id, err) < 0)
    return -1;
  return hull_container_pause(&g->rt, id, false, err) < 0 ? -1 : 0;
}

int cmd_state(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id("state", argc, argv, &id, err) < 0)
    return -1;
  json_t *j = hull_container_state(&g->rt, id, err);
  if (j == NULL)
    return -1;
  cli_print_json(j, JSON_INDENT(2));
  json_decref(j);
  return 0;
}

int cmd_kill(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
  bool all = false;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+a", opts, NULL)) != -1) {
    if (c == 'a')
      all = true;
    else
      return hull_error(err, 0, "kill: unknown option %s", argv[optind - 1]);
  }
  int n = argc - optind;
  if (n < 1 || n > 2)
    return hull_error(err, 0, "kill: expected a container id and an optional signal, got %d arguments", n);
  int sig = SIGTERM;
  if (n == 2 && (sig = hull_signal_parse(argv[optind + 1], err)) < 0)
    return -1;
  return hull_container_kill(&g->rt, argv[optind], sig, all, err) < 0 ? -1 : 0;
}

int cmd_delete(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
  bool force = false;
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+f", opts, NULL)) != -1) {
    if (c == 'f')
      force = true;
    else
      return hull_error(err, 0, "delete: unknown option %s", argv[optind - 1]);
  }
  if (argc - optind < 1)
    return hull_error(err, 0, "delete: expected a container id");
  int rc = 0;
  for (int i = optind; i < argc; i++) {
    if (hull_container_delete(&g->rt, argv[i], force, err) < 0) {
      /* runc: deleting a container that is already gone is fine with --force. */
      if (force && *err && strstr((*err)->msg, "does not exist")) {
        hull_error_release(err);
        continue;
      }
      return -1;
    }
  }
  return rc;
}
