#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
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

int cli_match_ids(struct cli_globals *g, const char *arg, bool regex, char ***ids, size_t *n, hull_err *err) {
  *ids = NULL;
  *n = 0;
  if (!regex) {
    char **v = calloc(2, sizeof(char *));
    if (v == NULL || (v[0] = strdup(arg)) == NULL) {
      free(v);
      return hull_error(err, ENOMEM, "container id %s", arg);
    }
    *ids = v;
    *n = 1;
    return 0;
  }
  /* Anchored, as crun does: "web" must not also pick "web-2". */
  cleanup_free char *anchored = NULL;
  if (asprintf(&anchored, "^(%s)$", arg) < 0)
    return hull_error(err, ENOMEM, "--regex %s", arg);
  regex_t re;
  int rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char msg[256];
    regerror(rc, &re, msg, sizeof(msg));
    return hull_error(err, EINVAL, "--regex %s: %s", arg, msg);
  }
  cleanup_json json_t *list = hull_container_list(&g->rt, err);
  if (list == NULL) {
    regfree(&re);
    return -1;
  }
  char **v = calloc(json_array_size(list) + 1, sizeof(char *));
  if (v == NULL) {
    regfree(&re);
    return hull_error(err, ENOMEM, "--regex %s", arg);
  }
  size_t i, k = 0;
  json_t *s;
  json_array_foreach(list, i, s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    if (id && regexec(&re, id, 0, NULL, 0) == 0 && (v[k] = strdup(id)) != NULL)
      k++;
  }
  regfree(&re);
  *ids = v;
  *n = k;
  return 0;
}

static void free_ids(char **ids) {
  for (size_t i = 0; ids && ids[i]; i++)
    free(ids[i]);
  free(ids);
}

static int parse_create(struct cli_globals *g, int argc, char **argv, struct hull_create_opts *o, hull_err *err) {
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    switch (c) {
    case 'b':
      o->bundle = optarg;
      break;
    case 'f': {
      /* As crun: a relative path is taken from the current directory, not the bundle.
       * Static: o->config is read long after this function returns. */
      static char config[PATH_MAX];
      if (realpath(optarg, config) == NULL)
        return hull_error_sys(err, "--config %s", optarg);
      o->config = config;
      break;
    }
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
      /* hull-runtime never calls PR_SET_CHILD_SUBREAPER: what the flag turns off is off. */
      break;
    case OPT_PRESERVE: {
      int64_t n;
      if (hull_parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
        return hull_error(err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
      o->preserve_fds = (int)n;
      break;
    }
    case 'd':
      o->detach = true;
      break;
    case OPT_KEEP:
      o->keep = true;
      break;
    default:
      return cli_bad_option(g->cmd, argc, argv, err);
    }
  }
  if (cli_want_args(g->cmd->name, argc - optind, 1, "container id", err) < 0)
    return -1;
  o->id = argv[optind];
  return 0;
}

/* As runc: a caller without root gets the reason and what to do, not the first
 * operation that failed ("drop CAP_CHOWN from the bounding set: Operation not
 * permitted"). With a user namespace the runtime tries; without one it cannot work. */
static int check_rootless(const struct hull_create_opts *o, hull_err *err) {
  if (geteuid() == 0)
    return 0;
  char path[PATH_MAX];
  if (o->config)
    snprintf(path, sizeof(path), "%s", o->config);
  else if (snprintf(path, sizeof(path), "%s/config.json", o->bundle ? o->bundle : ".") >= (int)sizeof(path))
    return 0; /* the runtime names the path that is too long */
  cleanup_json json_t *j = json_load_file(path, 0, NULL);
  if (j == NULL)
    return 0; /* the runtime reports the unreadable config */
  json_t *ns = json_object_get(json_object_get(j, "linux"), "namespaces"), *e;
  size_t i;
  json_array_foreach(ns, i, e) {
    const char *type = json_string_value(json_object_get(e, "type"));
    if (type && strcmp(type, "user") == 0)
      return 0;
  }
  return hull_error(err, EPERM,
                    "rootless container requires user namespaces: hull-runtime runs as uid %u, not root; run it as "
                    "root, or add a user namespace with uidMappings and gidMappings to config.json (hull-runtime "
                    "spec --rootless writes one)",
                    (unsigned)geteuid());
}

int cmd_create(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  struct hull_create_opts o = {0};
  if (parse_create(g, argc, argv, &o, err) < 0 || check_rootless(&o, err) < 0)
    return -1;
  int status = 0;
  return hull_container_create(&g->rt, &o, &status, err) < 0 ? -1 : 0;
}

int cmd_run(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  struct hull_create_opts o = {.run = true};
  if (parse_create(g, argc, argv, &o, err) < 0 || check_rootless(&o, err) < 0)
    return -1;
  int status = 0;
  if (hull_container_create(&g->rt, &o, &status, err) < 0)
    return -1;
  return status;
}

static int single_id(struct cli_globals *g, int argc, char **argv, const char **id, hull_err *err) {
  if (cli_getopt(g, argc, argv) != -1)
    return cli_bad_option(g->cmd, argc, argv, err);
  if (cli_want_args(g->cmd->name, argc - optind, 1, "container id", err) < 0)
    return -1;
  *id = argv[optind];
  return 0;
}

int cmd_start(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  return hull_container_start(&g->rt, id, err) < 0 ? -1 : 0;
}

int cmd_pause(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  return hull_container_pause(&g->rt, id, true, err) < 0 ? -1 : 0;
}

int cmd_resume(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  return hull_container_pause(&g->rt, id, false, err) < 0 ? -1 : 0;
}

int cmd_state(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  json_t *j = hull_container_state(&g->rt, id, err);
  if (j == NULL)
    return -1;
  cli_print_json(j, JSON_INDENT(2));
  json_decref(j);
  return 0;
}

int cmd_kill(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  bool all = false, regex = false;
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    if (c == 'a')
      all = true;
    else if (c == 'r')
      regex = true;
    else
      return cli_bad_option(g->cmd, argc, argv, err);
  }
  int n = argc - optind;
  if (n < 1 || n > 2)
    return hull_error(err, 0, "kill: expected a container id and an optional signal, got %d arguments", n);
  int sig = SIGTERM;
  if (n == 2 && (sig = hull_signal_parse(argv[optind + 1], err)) < 0)
    return -1;
  char **ids = NULL;
  size_t nids = 0;
  if (cli_match_ids(g, argv[optind], regex, &ids, &nids, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < nids && rc == 0; i++)
    rc = hull_container_kill(&g->rt, ids[i], sig, all, err) < 0 ? -1 : 0;
  free_ids(ids);
  return rc;
}

int cmd_delete(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  bool force = false, regex = false;
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    if (c == 'f')
      force = true;
    else if (c == 'r')
      regex = true;
    else
      return cli_bad_option(g->cmd, argc, argv, err);
  }
  if (argc - optind < 1)
    return hull_error(err, 0, "delete: expected a container id");
  for (int a = optind; a < argc; a++) {
    char **ids = NULL;
    size_t nids = 0;
    if (cli_match_ids(g, argv[a], regex, &ids, &nids, err) < 0)
      return -1;
    for (size_t i = 0; i < nids; i++) {
      if (hull_container_delete(&g->rt, ids[i], force, err) < 0) {
        /* runc: deleting a container that is already gone is fine with --force. The
         * errno says so (ENOENT: no such container), never the message's text. */
        if (force && *err && (*err)->errno_ == ENOENT) {
          hull_error_release(err);
          continue;
        }
        free_ids(ids);
        return -1;
      }
    }
    free_ids(ids);
  }
  return 0;
}
