/* exec: runc's flags become an OCI process object (the container's own process with
 * args, env, cwd, user and terminal overridden, or --process FILE), which the library
 * starts; a foreground process is then waited for here. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cli.h"
#include "console.h"

struct exec_flags {
  const char *process_file; /* --process: a process JSON; else the fields below */
  char **args;
  char **env; /* appended to the container's env */
  const char *cwd;
  const char *user; /* uid[:gid] */
  char **additional_gids;
  char **cap_add;
  int tty; /* -1: from the process, 0/1 forced */
  bool detach;
  bool no_new_privs_set, no_new_privs;
  const char *pid_file;
  const char *console_socket;
  const char *apparmor;      /* --apparmor: process.apparmorProfile */
  const char *process_label; /* --process-label: process.selinuxLabel */
  struct hull_exec_params p;
};

static int push(char ***v, size_t *n, const char *s) {
  char **nv = realloc(*v, (*n + 2) * sizeof(char *));
  if (nv == NULL)
    return -1;
  nv[(*n)++] = (char *)s;
  nv[*n] = NULL;
  *v = nv;
  return 0;
}

/* The object at key of j, made when missing. */
static json_t *object_at(json_t *j, const char *key) {
  json_t *o = json_object_get(j, key);
  if (!json_is_object(o)) {
    o = json_object();
    json_object_set_new(j, key, o);
  }
  return o;
}

/* -u uid[:gid] and --additional-gids. */
static int set_user(const struct exec_flags *o, json_t *j, hull_err *err) {
  if (o->user) {
    unsigned uid = 0, gid = 0;
    int n = sscanf(o->user, "%u:%u", &uid, &gid);
    if (n < 1)
      return hull_error(err, 0, "--user %s: expected uid[:gid]", o->user);
    json_t *u = object_at(j, "user");
    json_object_set_new(u, "uid", json_integer(uid));
    json_object_set_new(u, "gid", json_integer(n == 2 ? gid : 0));
    json_object_del(u, "additionalGids");
  }
  if (o->additional_gids) {
    json_t *gids = json_array();
    for (char **g = o->additional_gids; *g; g++) {
      int64_t v;
      if (hull_parse_int64(*g, &v) < 0 || v < 0 || v >= UINT32_MAX) {
        json_decref(gids);
        return hull_error(err, 0, "--additional-gids: invalid gid \"%s\"", *g);
      }
      json_array_append_new(gids, json_integer(v));
    }
    json_object_set_new(object_at(j, "user"), "additionalGids", gids);
  }
  return 0;
}

/* --cap NAME: added to the bounding, effective and permitted sets (a process without
 * capabilities gets only those). NAME with or without CAP_, in any case. */
static int add_caps(const struct exec_flags *o, json_t *j, hull_err *err) {
  if (o->cap_add == NULL)
    return 0;
  json_t *caps = object_at(j, "capabilities");
  static const char *const sets[] = {"bounding", "effective", "permitted"};
  for (char **c = o->cap_add; *c; c++) {
    char name[64];
    bool prefixed = strncasecmp(*c, "CAP_", 4) == 0;
    if (snprintf(name, sizeof(name), "%s%s", prefixed ? "" : "CAP_", *c) >= (int)sizeof(name))
      return hull_error(err, 0, "--cap: unknown capability \"%s\"", *c);
    for (char *p = name; *p; p++)
      *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    for (size_t i = 0; i < 3; i++) {
      json_t *a = json_object_get(caps, sets[i]);
      if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(caps, sets[i], a);
      }
      json_array_append_new(a, json_string(name));
    }
  }
  return 0;
}

/* Builds the exec'd process: --process FILE as is, else the container's process with
 * args, env, cwd, user and terminal overridden (what runc does). */
static json_t *build_process(struct cli_globals *g, const char *id, const struct exec_flags *o, hull_err *err) {
  cleanup_json json_t *j = NULL;
  if (o->process_file) {
    json_error_t je;
    j = json_load_file(o->process_file, 0, &je);
    if (j == NULL) {
      hull_error(err, 0, "--process %s: %s (line %d)", o->process_file, je.text, je.line);
      return NULL;
    }
    if (o->tty >= 0)
      json_object_set_new(j, "terminal", json_boolean(o->tty == 1));
  } else {
    cleanup_json json_t *config = NULL;
    if (hull_rt_config(g->rt, id, &config, err) < 0)
      return NULL;
    j = json_deep_copy(json_object_get(config, "process"));
    if (j == NULL)
      j = json_pack("{s:s}", "cwd", "/");
    json_t *args = json_array();
    for (char **a = o->args; *a; a++)
      json_array_append_new(args, json_string(*a));
    json_object_set_new(j, "args", args);
    json_t *env = json_object_get(j, "env");
    if (!json_is_array(env)) {
      env = json_array();
      json_object_set_new(j, "env", env);
    }
    /* -e NAME=VALUE replaces NAME from config.json (the last one wins). */
    for (char **e = o->env; e && *e; e++) {
      size_t nl = strcspn(*e, "=");
      for (size_t i = json_array_size(env); i-- > 0;) {
        const char *cur = json_string_value(json_array_get(env, i));
        if (cur && strncmp(cur, *e, nl) == 0 && (cur[nl] == '=' || cur[nl] == '\0'))
          json_array_remove(env, i);
      }
      json_array_append_new(env, json_string(*e));
    }
    if (o->cwd)
      json_object_set_new(j, "cwd", json_string(o->cwd));
    json_object_set_new(j, "terminal", json_boolean(o->tty == 1));
    if (set_user(o, j, err) < 0)
      return NULL;
    if (o->no_new_privs_set)
      json_object_set_new(j, "noNewPrivileges", json_boolean(o->no_new_privs));
  }
  /* Unlike runc, which ignores them next to --process, the flags win over the file too:
   * a flag that is accepted must do what it says. */
  if (o->apparmor)
    json_object_set_new(j, "apparmorProfile", json_string(o->apparmor));
  if (o->process_label)
    json_object_set_new(j, "selinuxLabel", json_string(o->process_label));
  if (add_caps(o, j, err) < 0)
    return NULL;
  return steal_pointer(&j);
}

static int parse_exec(struct cli_globals *g, int argc, char **argv, struct exec_flags *o, char ***env, char ***caps,
                      char ***gids, char ***cgroups, hull_err *err) {
  size_t nenv = 0, ncaps = 0, ngids = 0, ncgroups = 0;
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    switch (c) {
    case 'p':
      o->process_file = optarg;
      break;
    case 'd':
      o->detach = true;
      break;
    case 't':
      o->tty = 1;
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_CONSOLE:
      o->console_socket = optarg;
      break;
    case OPT_CWD:
      o->cwd = optarg;
      break;
    case 'e':
      if (push(env, &nenv, optarg) < 0)
        return hull_error(err, ENOMEM, "exec: arguments");
      break;
    case 'u':
      o->user = optarg;
      break;
    case 'c':
      if (push(caps, &ncaps, optarg) < 0)
        return hull_error(err, ENOMEM, "exec: arguments");
      break;
    case 'g': {
      /* runc takes the flag repeatedly or a comma-separated list */
      char *save = NULL;
      for (char *t = strtok_r(optarg, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (push(gids, &ngids, t) < 0)
          return hull_error(err, ENOMEM, "exec: arguments");
      break;
    }
    case OPT_NNP:
      o->no_new_privs_set = o->no_new_privs = true;
      break;
    case OPT_PRESERVE: {
      int64_t n;
      if (hull_parse_int64(optarg, &n) < 0 || n < 0 || n > 65536)
        return hull_error(err, 0, "--preserve-fds: invalid number \"%s\"", optarg);
      o->p.preserve_fds = (int)n;
      break;
    }
    case OPT_APPARMOR:
      o->apparmor = optarg;
      break;
    case OPT_LABEL:
      o->process_label = optarg;
      break;
    case OPT_CGROUP:
      if (push(cgroups, &ncgroups, optarg) < 0)
        return hull_error(err, ENOMEM, "exec: arguments");
      break;
    case OPT_IGNORE_PAUSED:
      o->p.ignore_paused = true;
      break;
    default:
      return cli_bad_option(g->cmd, argc, argv, err);
    }
  }
  if (argc - optind < 1)
    return hull_error(err, 0, "exec: expected a container id");
  o->args = argv + optind + 1;
  if (o->process_file == NULL && o->args[0] == NULL)
    return hull_error(err, 0, "exec: a command (or --process FILE) is required");
  o->env = *env;
  o->cap_add = *caps;
  o->additional_gids = *gids;
  o->p.sub_cgroups = (const char *const *)*cgroups;
  return 0;
}

/* Starts the process and, unless detached, waits for it: its exit status. */
static int exec_process(struct cli_globals *g, const char *id, struct exec_flags *o, hull_err *err) {
  cleanup_json json_t *process = build_process(g, id, o, err);
  if (process == NULL)
    return -1;
  bool terminal = json_is_true(json_object_get(process, "terminal"));
  if (terminal && o->detach && !o->console_socket)
    return hull_error(err, 0, "exec: a detached terminal needs --console-socket");
  cleanup_close int console = -1, console_fd = -1;
  if (terminal && !o->console_socket && (console = cli_host_console(err)) < 0)
    return -1;
  o->p.process = process;
  o->p.stdio[0] = o->p.stdio[1] = o->p.stdio[2] = -1;
  struct hull_proc proc;
  if (hull_rt_exec_params(g->rt, id, &o->p, &proc, err) < 0)
    return -1;
  cleanup_close int pidfd = proc.pidfd;
  if ((o->console_socket && proc.pty_master >= 0 && (console_fd = cli_console_connect(o->console_socket, err)) < 0) ||
      cli_hand_over(&proc, console_fd, o->console_socket, o->pid_file, err) < 0) {
    if (proc.pty_master >= 0)
      close(proc.pty_master);
    kill(proc.pid, SIGKILL); /* our unreaped child: the pid is still its own */
    waitpid(proc.pid, NULL, 0);
    return -1;
  }
  if (o->detach) {
    if (proc.pty_master >= 0)
      close(proc.pty_master);
    return 0;
  }
  int status = cli_foreground(&proc, console, err);
  if (proc.pty_master >= 0)
    close(proc.pty_master);
  return status;
}

int cmd_exec(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  struct exec_flags o = {.tty = -1};
  cleanup_free char **env = NULL;
  cleanup_free char **caps = NULL;
  cleanup_free char **gids = NULL;
  cleanup_free char **cgroups = NULL;
  if (parse_exec(g, argc, argv, &o, &env, &caps, &gids, &cgroups, err) < 0)
    return -1;
  int status = exec_process(g, argv[optind], &o, err);
  /* runc's status when the process could not be run, so that callers can tell it from
   * a process that ran and exited 1. */
  if (status < 0 && *err)
    (*err)->status = 255;
  return status;
}
