#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "cli.h"

enum { OPT_PROCESS = 256, OPT_PID_FILE, OPT_CONSOLE, OPT_CWD, OPT_PRESERVE, OPT_NNP, OPT_APPARMOR, OPT_LABEL, OPT_CGROUP,
       OPT_IGNORE_PAUSED };

static int push(char ***v, size_t *n, const char *s) {
  char **nv = realloc(*v, (*n + 2) * sizeof(char *));
  if (nv == NULL)
    return -1;
  nv[(*n)++] = (char *)s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

int cmd_exec(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"process", required_argument, NULL, 'p'},     {"detach", no_argument, NULL, 'd'},
      {"tty", no_argument, NULL, 't'},               {"pid-file", required_argument, NULL, OPT_PID_FILE},
      {"console-socket", required_argument, NULL, OPT_CONSOLE}, {"cwd", required_argument, NULL, OPT_CWD},
      {"env", required_argument, NULL, 'e'},         {"user", required_argument, NULL, 'u'},
      {"cap", required_argument, NULL, 'c'},         {"preserve-fds", required_argument, NULL, OPT_PRESERVE},
      {"no-new-privs", no_argument, NULL, OPT_NNP},  {"apparmor", required_argument, NULL, OPT_APPARMOR},
      {"process-label", required_argument, NULL, OPT_LABEL}, {"cgroup", required_argument, NULL, OPT_CGROUP},
      {"ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED}, {"additional-gids", required_argument, NULL, 'g'},
      {NULL, 0, NULL, 0}};
  struct hull_exec_opts o = {.tty = -1};
  char **env = NULL, **caps = NULL, **gids = NULL;
  size_t nenv = 0, ncaps = 0, ngids = 0;
  int rc = -1, c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+p:dte:u:c:g:", opts, NULL)) != -1) {
    switch (c) {
    case 'p':
      o.process_file = optarg;
      break;
    case 'd':
      o.detach = true;
      break;
    case 't':
      o.tty = 1;
      break;
    case OPT_PID_FILE:
      o.pid_file = optarg;
      break;
    case OPT_CONSOLE:
      o.console_socket = optarg;
      break;
    case OPT_CWD:
      o.cwd = optarg;
      break;
    case 'e':
      push(&env, &nenv, optarg);
      break;
    case 'u':
      o.user = optarg;
      break;
    case 'c':
      push(&caps, &ncaps, optarg);
      break;
    case 'g': {
      /* runc takes the flag repeatedly or a comma-separated list */
      char *save = NULL;
      for (char *t = strtok_r(optarg, ",", &save); t; t = strtok_r(NULL, ",", &save))
        push(&gids, &ngids, t);
      break;
    }
    case OPT_NNP:
      o.no_new_privs_set = o.no_new_privs = true;
      break;
    case OPT_PRESERVE: {
      int64_t n;
      if (hull_parse_int64(optarg, &n) < 0 || n < 0 || n > 65536) {
        hull_error(err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
        goto out;
      }
      o.preserve_fds = (int)n;
      break;
    }
    case OPT_APPARMOR:
      o.apparmor = optarg;
      break;
    case OPT_LABEL:
      o.process_label = optarg;
      break;
    case OPT_CGROUP:
    case OPT_IGNORE_PAUSED:
      break; /* accepted for compatibility; no sub-cgroup support yet */
    default:
      hull_error(err, 0, "exec: unknown or incomplete option %s", argv[optind - 1]);
      goto out;
    }
  }
  if (argc - optind < 1) {
    hull_error(err, 0, "exec: expected a container id");
    goto out;
  }
  o.id = argv[optind];
  o.args = argv + optind + 1;
  if (o.process_file == NULL && o.args[0] == NULL) {
    hull_error(err, 0, "exec: a command (or --process FILE) is required");
    goto out;
  }
  o.env = env;
  o.cap_add = caps;
  o.additional_gids = gids;
  int status = 0;
  if (hull_container_exec(&g->rt, &o, &status, err) < 0)
    goto out;
  rc = status;
out:
  free(env);
  free(caps);
  free(gids);
  return rc;
}
