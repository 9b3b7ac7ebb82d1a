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
#include "../common/log.h"
#include "../common/util.h"
#include "cli.h"
#include "console.h"

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
  cleanup_json json_t *list = NULL;
  if (hull_rt_list(g->rt, &list, err) < 0) {
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

/* create and run: the library's parameters and what the CLI does around the call. */
struct create_flags {
  struct hull_create_params p;
  const char *pid_file;
  const char *console_socket;
  bool detach; /* run: return after start */
  bool keep;   /* run: keep the stopped container */
};

static int parse_create(struct cli_globals *g, int argc, char **argv, struct create_flags *f, hull_err *err) {
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    switch (c) {
    case 'b':
      f->p.bundle = optarg;
      break;
    case 'f': {
      /* As crun: a relative path is taken from the current directory, not the bundle.
       * Static: it is read long after this function returns. */
      static char config[PATH_MAX];
      if (realpath(optarg, config) == NULL)
        return hull_error_sys(err, "--config %s", optarg);
      f->p.config_path = config;
      break;
    }
    case OPT_PID_FILE:
      f->pid_file = optarg;
      break;
    case OPT_CONSOLE:
      f->console_socket = optarg;
      break;
    case OPT_NO_PIVOT:
      f->p.no_pivot = true;
      break;
    case OPT_NO_KEYRING:
      f->p.no_new_keyring = true;
      break;
    case OPT_NO_SUBREAPER:
      /* hull-runtime never calls PR_SET_CHILD_SUBREAPER: what the flag turns off is off. */
      break;
    case OPT_PRESERVE: {
      int64_t n;
      if (hull_parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
        return hull_error(err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
      f->p.preserve_fds = (int)n;
      break;
    }
    case 'd':
      f->detach = true;
      break;
    case OPT_KEEP:
      f->keep = true;
      break;
    default:
      return cli_bad_option(g->cmd, argc, argv, err);
    }
  }
  if (cli_want_args(g->cmd->name, argc - optind, 1, "container id", err) < 0)
    return -1;
  f->p.id = argv[optind];
  return 0;
}

/* The checks that need config.json before anything is created: as runc, a caller
 * without root gets the reason and what to do, not the first operation that failed
 * ("drop CAP_CHOWN from the bounding set: Operation not permitted"), and a terminal
 * needs somewhere to go. An unreadable config is left to the library to report. */
static int check_config(const struct create_flags *f, bool foreground, bool *terminal_out, hull_err *err) {
  char path[PATH_MAX];
  if (f->p.config_path)
    snprintf(path, sizeof(path), "%s", f->p.config_path);
  else if (snprintf(path, sizeof(path), "%s/config.json", f->p.bundle ? f->p.bundle : ".") >= (int)sizeof(path))
    return 0; /* the runtime names the path that is too long */
  cleanup_json json_t *j = json_load_file(path, 0, NULL);
  if (j == NULL)
    return 0;
  bool terminal = json_is_true(json_object_get(json_object_get(j, "process"), "terminal"));
  *terminal_out = terminal;
  if (terminal && !f->console_socket && !foreground)
    return hull_error(err, 0, "process.terminal is true: --console-socket is required");
  if (!terminal && f->console_socket)
    return hull_error(err, 0, "--console-socket %s: process.terminal is false, there is no terminal to send",
                      f->console_socket);
  if (geteuid() == 0)
    return 0;
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

static void close_proc(struct hull_proc *proc) {
  if (proc->pidfd >= 0)
    close(proc->pidfd);
  if (proc->pty_master >= 0)
    close(proc->pty_master);
  proc->pidfd = proc->pty_master = -1;
}

/* A container whose creation the CLI could not complete (console socket, pid file) is
 * deleted, so that a failed create leaves nothing, as before the library's call. */
static void undo_create(struct cli_globals *g, const char *id) {
  hull_err e = NULL;
  if (hull_rt_delete(g->rt, id, true, &e) < 0) {
    hull_warn("%s", hull_err_message(e));
    hull_err_free(&e); /* the create's own error is the one to report */
  }
}

static int create_or_run(struct cli_globals *g, int argc, char **argv, bool run, hull_err *err) {
  struct create_flags f = {.p = {.stdio = {-1, -1, -1}, .start = run}};
  if (parse_create(g, argc, argv, &f, err) < 0)
    return -1;
  bool foreground = run && !f.detach;
  bool terminal = false;
  if (check_config(&f, foreground, &terminal, err) < 0)
    return -1;
  /* Both before anything is created: a bad socket path, or a foreground -t without a
   * terminal of ours, fails the command at once. */
  cleanup_close int console_fd = -1, host_console = -1;
  if (f.console_socket && (console_fd = cli_console_connect(f.console_socket, err)) < 0)
    return -1;
  if (foreground && terminal && !f.console_socket && (host_console = cli_host_console(err)) < 0)
    return -1;
  struct hull_proc proc;
  if (hull_rt_create(g->rt, &f.p, &proc, err) < 0) {
    /* run chooses between hull-exec and a sealed copy once config.json is read: the
     * library asks for the copy, and nothing was made yet. */
    if (run && hull_err_errno(*err) == HULL_RT_ENEEDSEAL && !hull_rt_sealed_p()) {
      hull_err_free(err);
      hull_debug("run: re-executing from a sealed copy");
      if (hull_rt_seal_self(g->argv, err) == 0)
        hull_error(err, EPROTO, "run: the sealed copy did not start");
    }
    return -1;
  }
  if (cli_hand_over(&proc, console_fd, f.console_socket, f.pid_file, err) < 0) {
    close_proc(&proc);
    undo_create(g, f.p.id);
    return -1;
  }
  if (!foreground) {
    close_proc(&proc);
    return 0;
  }
  hull_debug("run: started");
  int status = cli_foreground(&proc, host_console, err);
  hull_debug("run: exited");
  close_proc(&proc);
  /* The end of a foreground run: what `delete --force` does. A failure is a warning:
   * the container's exit status is what `run` returns. */
  if (!f.keep)
    undo_create(g, f.p.id);
  return status;
}

int cmd_create(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  return create_or_run(g, argc, argv, false, err);
}

int cmd_run(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  return create_or_run(g, argc, argv, true, err);
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
  return hull_rt_start(g->rt, id, err) < 0 ? -1 : 0;
}

int cmd_pause(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  return hull_rt_pause(g->rt, id, true, err) < 0 ? -1 : 0;
}

int cmd_resume(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  return hull_rt_pause(g->rt, id, false, err) < 0 ? -1 : 0;
}

int cmd_state(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *id = NULL;
  if (single_id(g, argc, argv, &id, err) < 0)
    return -1;
  json_t *j = NULL;
  if (hull_rt_state(g->rt, id, &j, err) < 0)
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
  if (n == 2 && (sig = hull_rt_signal_parse(argv[optind + 1], err)) < 0)
    return -1;
  char **ids = NULL;
  size_t nids = 0;
  if (cli_match_ids(g, argv[optind], regex, &ids, &nids, err) < 0)
    return -1;
  int rc = 0;
  for (size_t i = 0; i < nids && rc == 0; i++)
    rc = hull_rt_kill(g->rt, ids[i], sig, all, err) < 0 ? -1 : 0;
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
      if (hull_rt_delete(g->rt, ids[i], force, err) < 0) {
        /* runc: deleting a container that is already gone is fine with --force. The
         * errno says so (ENOENT: no such container), never the message's text. */
        if (force && hull_err_errno(*err) == ENOENT) {
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
