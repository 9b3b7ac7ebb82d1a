#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "cli.h"

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
  struct hull_exec_opts o = {.tty = -1};
  char **env = NULL, **caps = NULL, **gids = NULL, **cgroups = NULL;
  size_t nenv = 0, ncaps = 0, ngids = 0, ncgroups = 0;
  int rc = -1, c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
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
      if (push(&env, &nenv, optarg) < 0)
        goto nomem;
      break;
    case 'u':
      o.user = optarg;
      break;
    case 'c':
      if (push(&caps, &ncaps, optarg) < 0)
        goto nomem;
      break;
    case 'g': {
      /* runc takes the flag repeatedly or a comma-separated list */
      char *save = NULL;
      for (char *t = strtok_r(optarg, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (push(&gids, &ngids, t) < 0)
          goto nomem;
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
      if (push(&cgroups, &ncgroups, optarg) < 0)
        goto nomem;
      break;
    case OPT_IGNORE_PAUSED:
      o.ignore_paused = true;
      break;
    default:
      cli_bad_option(g->cmd, argc, argv, err);
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
  o.sub_cgroups = cgroups;
  int status = 0;
  if (hull_container_exec(&g->rt, &o, &status, err) < 0) {
    /* runc's status when the process could not be run, so that callers can tell it from
     * a process that ran and exited 1. */
    (*err)->status = 255;
    goto out;
  }
  rc = status;
  goto out;
nomem:
  hull_error(err, ENOMEM, "exec: arguments");
out:
  free(env);
  free(caps);
  free(gids);
  free(cgroups);
  return rc;
}
