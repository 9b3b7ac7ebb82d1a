/* hull create, run, start, stop, kill, rm, wait, pause, unpause, rename, inspect, port,
 * container prune. ps and logs are in cmd_ps.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "engine/network.h"
#include "network/network.h"

#define HELP_OPT                                                                                                       \
  { "help", no_argument, NULL, 'h' }
#define END_OPT                                                                                                        \
  { NULL, 0, NULL, 0 }

static int hull_cli_engine(hull_cli *g, enum hull_store_mode mode, hull_engine **e, hull_err *err) {
  return hull_engine_open(g->root, g->runroot, mode, e, err);
}

static int opt_or_usage(int c, const char *cmd, const char *usage, char **argv, hull_err *err) {
  return hull_cli_common_opt(c, cmd, usage, argv, err);
}

static int need_args(int argc, const char *cmd, int min, hull_err *err) {
  if (optind + min > argc)
    return hull_args_error(err, cmd, "\"hull %s\" requires at least %d argument%s.", cmd, min, min == 1 ? "" : "s");
  return 0;
}

/* The container a command names, in an engine opened for it. */
static int open_ctr(hull_cli *g, enum hull_store_mode mode, const char *name, hull_engine **e, hull_ctr **ct,
                    hull_err *err) {
  if (hull_cli_engine(g, mode, e, err) < 0)
    return -1;
  return hull_ctr_lookup(*e, name, ct, err);
}

/* What a command over several containers does to one of them: 0 when done (each_ctr then
 * prints the name given, as Docker does, unless the action printed its own line and
 * returned 1), -1 with one error set. */
typedef int (*ctr_action)(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err);

/* Runs fn on each container named from argv[optind] on. A name that fails does not stop
 * the others: its error is one more line of the command's (hull_cli_add_failure), and
 * the exit status is then 1. */
static int each_ctr(hull_cli *g, const char *cmd, enum hull_store_mode mode, int argc, char **argv, ctr_action fn,
                    const void *ctx, hull_err *err) {
  if (need_args(argc, cmd, 1, err) < 0)
    return -1;
  cleanup_engine hull_engine *e = NULL;
  if (hull_cli_engine(g, mode, &e, err) < 0)
    return -1;
  cleanup_err hull_err failed = NULL;
  for (int i = optind; i < argc; i++) {
    cleanup_ctr hull_ctr *ct = NULL;
    hull_err e1 = NULL;
    int r = hull_ctr_lookup(e, argv[i], &ct, &e1);
    if (r == 0)
      r = fn(e, ct, ctx, &e1);
    if (r < 0) {
      hull_cli_add_failure(&failed, &e1);
      continue;
    }
    if (r == 0)
      printf("%s\n", argv[i]);
    fflush(stdout);
  }
  return hull_cli_failures(&failed, err);
}

/* ---- create / run ---- */

static int do_create(hull_cli *g, int argc, char **argv, hull_engine **ep, hull_ctr **cp, hull_run_opts *o,
                     hull_err *err) {
  if (hull_run_opts_parse(argc, argv, o, err) < 0)
    return -1;
  if (o->help) {
    printf("\nUsage:  hull %s %s", argv[0], hull_run_usage());
    return 1;
  }
  struct winsize ws;
  if (o->tty && !o->detach &&
      (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) &&
      json_object_set_new(o->host_config, "ConsoleSize", json_pack("[i, i]", ws.ws_row, ws.ws_col)) < 0)
    return hull_error(err, ENOMEM, "ConsoleSize");
  if (hull_cli_engine(g, HULL_STORE_WRITE, ep, err) < 0 || hull_ctr_create(*ep, o, cp, err) < 0) {
    /* Docker's client: run turns what the daemon refused into 125 (a full disk, a name taken,
     * an unknown image), create passes it on as a plain failure, 1. What the parser above
     * refused is 125 for both. */
    if (strcmp(argv[0], "run") == 0 && (*err)->status == 1)
      (*err)->status = 125;
    else if (strcmp(argv[0], "run") != 0)
      (*err)->status = 1;
    return -1;
  }
  return 0;
}

int cmd_create(hull_cli *g, int argc, char **argv, hull_err *err) {
  hull_run_opts o;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *c = NULL;
  int r = do_create(g, argc, argv, &e, &c, &o, err);
  hull_run_opts_free(&o);
  if (r != 0)
    return r < 0 ? -1 : 0;
  printf("%s\n", c->id);
  return 0;
}

/* Copies the container's log lines to our stdout/stderr until it exits (a foreground run
 * without an attach socket: the log is the stream). */
int hull_cli_follow_output(hull_engine *e, hull_ctr *c) {
  cleanup_free char *lp = hull_ctr_path(e, c->id, "ctr.log");
  FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  for (;;) {
    if (f == NULL)
      f = fopen(lp, "re");
    bool done = false;
    if (f) {
      ssize_t n;
      while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') {
          fseek(f, -n, SEEK_CUR);
          break;
        }
        cleanup_json json_t *j = json_loads(line, 0, NULL);
        const char *s = json_string_value(json_object_get(j, "stream"));
        const char *l = json_string_value(json_object_get(j, "log"));
        if (l) {
          FILE *out = s && strcmp(s, "stderr") == 0 ? stderr : stdout;
          fwrite(l, 1, json_string_length(json_object_get(j, "log")), out);
          fflush(out);
        }
      }
      clearerr(f);
    }
    hull_ctr_refresh(e, c);
    done = c->status != HULL_CTR_RUNNING && c->status != HULL_CTR_PAUSED;
    if (done) {
      /* One more pass picks up what was written just before the exit file. */
      if (f) {
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0) {
          cleanup_json json_t *j = json_loads(line, 0, NULL);
          const char *s = json_string_value(json_object_get(j, "stream"));
          const char *l = json_string_value(json_object_get(j, "log"));
          if (l)
            fwrite(l, 1, json_string_length(json_object_get(j, "log")), s && !strcmp(s, "stderr") ? stderr : stdout);
        }
        fclose(f);
      }
      fflush(stdout);
      return c->exit_code;
    }
    usleep(10000);
  }
}

int cmd_run(hull_cli *g, int argc, char **argv, hull_err *err) {
  hull_run_opts o;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *c = NULL;
  int r = do_create(g, argc, argv, &e, &c, &o, err);
  bool detach = o.detach, rm = o.rm;
  /* Docker forwards the signals we get to the container (--sig-proxy, on by default
   * without a terminal: with one, ctrl-c is a key the container's terminal handles). */
  hull_attach_opts ao = {.tty = o.tty, .stdin = o.interactive, .sig_proxy = !o.no_sig_proxy && !o.tty};
  cleanup_free char *keys = steal_pointer(&o.detach_keys);
  ao.detach_keys = keys;
  hull_run_opts_free(&o);
  if (r != 0)
    return r < 0 ? -1 : 0;
  unsigned char kb[16];
  size_t nk;
  if (!detach && ao.stdin && hull_parse_detach_keys(keys, kb, sizeof(kb), &nk, err) < 0) {
    (*err)->status = HULL_EXIT_USAGE;
    hull_err e2 = NULL;
    if (hull_ctr_remove(e, c, true, true, &e2) < 0)
      hull_error_release(&e2); /* the usage error is the one to report */
    return -1;
  }
  if (hull_ctr_start_ex(e, c, detach, err) < 0) {
    if ((*err)->status == 1)
      (*err)->status = 125; /* the engine's own failure, as Docker's */
    /* A failed start leaves the record, as Docker's, except with --rm and on a full disk:
     * a container that could not even be started there is removed again, so that a `run`
     * that failed for want of space leaves nothing behind, wherever in create or start the
     * space ran out (engine-faults.bats). */
    if (rm || (*err)->errno_ == ENOSPC) {
      hull_err e2 = NULL;
      if (hull_ctr_remove(e, c, true, true, &e2) < 0)
        hull_error_release(&e2); /* the start error is the one to report */
    }
    return -1;
  }
  if (detach) {
    printf("%s\n", c->id);
    return 0;
  }
  int code = 0;
  bool attached = hull_cli_attach(e, c, &ao, &code, err) == 0;
  hull_ctr_refresh(e, c);
  bool running = c->status == HULL_CTR_RUNNING || c->status == HULL_CTR_PAUSED;
  /* After a detach the container goes on: --rm is then its monitor's business (it
   * removes the container at its end once we are gone), so only a stopped one is
   * removed here. */
  /* A restart from another command keeps the container (engine.h, hull_ctr_restart): the
   * monitor it starts removes it at the next end. The monitor's own decision, once in its
   * exit file, stands: a restart marked after it said "removing" must not keep a container
   * that nobody would then remove. */
  if (rm && !running && (c->removal_pending || !hull_ctr_restart_pending_p(e, c->id))) {
    hull_err e2 = NULL;
    if (hull_ctr_remove(e, c, true, true, &e2) < 0) {
      fprintf(stderr, "Error: %s\n", e2->msg);
      hull_error_release(&e2);
    }
  }
  if (!attached)
    return -1;
  return hull_cli_exit_with(code, err);
}

static int start_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  (void)ctx;
  return hull_ctr_start_ex(e, ct, true, err);
}

int cmd_start(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"attach", no_argument, NULL, 'a'}, {"interactive", no_argument, NULL, 'i'}, HELP_OPT, END_OPT};
  bool attach = false, interactive = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:aih", opts, NULL)) != -1) {
    if (c == 'a')
      attach = true;
    else if (c == 'i')
      interactive = true;
    else {
      int r = opt_or_usage(c, "start",
                           "start [OPTIONS] CONTAINER [CONTAINER...]\n\nStart one or more stopped containers\n\n"
                           "Options:\n  -a, --attach        Attach STDOUT/STDERR\n  -i, --interactive   Attach STDIN\n",
                           argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (need_args(argc, "start", 1, err) < 0)
    return -1;
  /* -a attaches to a single container only; with several, they start detached. */
  if (!attach || argc - optind != 1)
    return each_ctr(g, "start", HULL_STORE_WRITE, argc, argv, start_one, NULL, err);
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_WRITE, argv[optind], &e, &ct, err) < 0 || hull_ctr_start_ex(e, ct, false, err) < 0)
    return -1;
  bool tty = json_is_true(json_object_get(ct->config, "Tty"));
  hull_attach_opts ao = {
      .tty = tty, .stdin = interactive && json_is_true(json_object_get(ct->config, "OpenStdin")), .sig_proxy = !tty};
  int code = 0;
  if (hull_cli_attach(e, ct, &ao, &code, err) < 0)
    return -1;
  hull_ctr_refresh(e, ct);
  if (ct->status != HULL_CTR_RUNNING && json_is_true(json_object_get(ct->host_config, "AutoRemove")) &&
      (ct->removal_pending || !hull_ctr_restart_pending_p(e, ct->id))) {
    hull_err e2 = NULL;
    if (hull_ctr_remove(e, ct, true, true, &e2) < 0)
      hull_error_release(&e2); /* the container's exit code is what start -a reports */
  }
  return hull_cli_exit_with(code, err);
}

/* ---- stop / kill / rm / pause / unpause / wait ---- */

/* The flags of stop, restart, kill and rm, for their actions. */
typedef struct verb_opts {
  int timeout, sig;
  bool force, volumes;
} verb_opts;

static int stop_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  return hull_ctr_stop(e, ct, ((const verb_opts *)ctx)->timeout, err);
}

static int restart_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  return hull_ctr_restart(e, ct, ((const verb_opts *)ctx)->timeout, err);
}

static int kill_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  return hull_ctr_kill(e, ct, ((const verb_opts *)ctx)->sig, err);
}

static int rm_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  const verb_opts *o = ctx;
  return hull_ctr_remove(e, ct, o->force, o->volumes, err);
}

static int pause_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  (void)ctx;
  return hull_ctr_pause(e, ct, true, err);
}

static int unpause_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  (void)ctx;
  return hull_ctr_pause(e, ct, false, err);
}

/* wait prints the exit code in place of the name. */
static int wait_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  (void)ctx;
  int code = hull_ctr_wait(e, ct, -1, err);
  if (code < 0)
    return -1;
  printf("%d\n", code);
  return 1;
}

int cmd_stop(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"time", required_argument, NULL, 't'},
                                       {"timeout", required_argument, NULL, 't'},
                                       {"signal", required_argument, NULL, 's'},
                                       HELP_OPT,
                                       END_OPT};
  bool restart = strcmp(argv[0], "restart") == 0;
  int timeout = -1, c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:t:s:h", opts, NULL)) != -1) {
    if (c == 't') {
      char *end;
      timeout = (int)strtol(optarg, &end, 10);
      if (*end || end == optarg)
        return hull_usage_error(err, argv[0], "invalid argument \"%s\" for \"-t, --time\" flag", optarg);
    } else if (c != 's') {
      int r =
          opt_or_usage(c, argv[0],
                       restart ? "restart [OPTIONS] CONTAINER [CONTAINER...]\n\nRestart one or more containers\n\n"
                                 "Options:\n  -t, --time int   Seconds to wait before killing the container\n"
                               : "stop [OPTIONS] CONTAINER [CONTAINER...]\n\nStop one or more running containers\n\n"
                                 "Options:\n  -t, --time int   Seconds to wait before killing the container\n",
                       argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  verb_opts o = {.timeout = timeout};
  return each_ctr(g, argv[0], HULL_STORE_WRITE, argc, argv, restart ? restart_one : stop_one, &o, err);
}

int cmd_kill(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"signal", required_argument, NULL, 's'}, HELP_OPT, END_OPT};
  int sig = SIGKILL, c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:s:h", opts, NULL)) != -1) {
    if (c == 's') {
      sig = hull_parse_signal(optarg);
      /* Docker's client passes the name on and the daemon refuses it: its words, status 1. */
      if (sig < 0)
        return hull_error_code(err, EINVAL, "Invalid signal: %s", optarg);
    } else {
      int r = opt_or_usage(c, "kill",
                           "kill [OPTIONS] CONTAINER [CONTAINER...]\n\nKill one or more running containers\n\n"
                           "Options:\n  -s, --signal string   Signal to send to the container (default \"KILL\")\n",
                           argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  verb_opts o = {.sig = sig};
  return each_ctr(g, "kill", HULL_STORE_WRITE, argc, argv, kill_one, &o, err);
}

int cmd_rm(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"volumes", no_argument, NULL, 'v'},
                                       {"link", no_argument, NULL, 'l'},
                                       HELP_OPT,
                                       END_OPT};
  bool force = false, volumes = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fvlh", opts, NULL)) != -1) {
    if (c == 'f')
      force = true;
    else if (c == 'v')
      volumes = true;
    else if (c != 'l') {
      int r = opt_or_usage(c, "rm",
                           "rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers\n\nOptions:\n"
                           "  -f, --force     Force the removal of a running container (uses SIGKILL)\n"
                           "  -v, --volumes   Remove anonymous volumes associated with the container\n",
                           argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  verb_opts o = {.force = force, .volumes = volumes};
  return each_ctr(g, "rm", HULL_STORE_DELETE, argc, argv, rm_one, &o, err);
}

/* pause, unpause and wait: no flags but --help. */
static int simple(hull_cli *g, ctr_action fn, enum hull_store_mode mode, const char *cmd, const char *usage, int argc,
                  char **argv, hull_err *err) {
  static const struct option opts[] = {HELP_OPT, END_OPT};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = opt_or_usage(c, cmd, usage, argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  return each_ctr(g, cmd, mode, argc, argv, fn, NULL, err);
}

int cmd_pause(hull_cli *g, int argc, char **argv, hull_err *err) {
  return simple(g, pause_one, HULL_STORE_WRITE, "pause",
                "pause CONTAINER [CONTAINER...]\n\nPause all processes within one or more containers\n", argc, argv,
                err);
}
int cmd_unpause(hull_cli *g, int argc, char **argv, hull_err *err) {
  return simple(g, unpause_one, HULL_STORE_WRITE, "unpause",
                "unpause CONTAINER [CONTAINER...]\n\nUnpause all processes within one or more containers\n", argc, argv,
                err);
}
int cmd_wait(hull_cli *g, int argc, char **argv, hull_err *err) {
  return simple(
      g, wait_one, HULL_STORE_READ, "wait",
      "wait CONTAINER [CONTAINER...]\n\nBlock until one or more containers stop, then print their exit codes\n", argc,
      argv, err);
}

int cmd_rename(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {HELP_OPT, END_OPT};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = opt_or_usage(c, "rename", "rename CONTAINER NEW_NAME\n\nRename a container\n", argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (argc - optind != 2)
    return hull_args_error(err, "rename", "\"hull rename\" requires exactly 2 arguments.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_WRITE, argv[optind], &e, &ct, err) < 0)
    return -1;
  return hull_ctr_rename(e, ct, argv[optind + 1], err);
}

int cmd_port(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {HELP_OPT, END_OPT};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = opt_or_usage(c, "port", "port CONTAINER [PRIVATE_PORT[/PROTO]]\n\nList port mappings for the container\n",
                         argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (need_args(argc, "port", 1, err) < 0)
    return -1;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_READ, argv[optind], &e, &ct, err) < 0)
    return -1;
  cleanup_json json_t *ports = hull_ctr_ports(e, ct->id, err);
  if (ports == NULL)
    return -1;
  /* PRIVATE_PORT[/PROTO]: only its host addresses, as Docker prints them. */
  const char *want = optind + 1 < argc ? argv[optind + 1] : NULL;
  char wkey[32] = "";
  if (want)
    snprintf(wkey, sizeof(wkey), "%s%s", want, strchr(want, '/') ? "" : "/tcp");
  size_t i, shown = 0;
  json_t *v;
  json_array_foreach(ports, i, v) {
    char key[32];
    const char *hip = json_string_value(json_object_get(v, "host_ip"));
    bool v6 = strchr(hip, ':') != NULL;
    snprintf(key, sizeof(key), "%d/%s", (int)json_integer_value(json_object_get(v, "ctr_port")),
             json_string_value(json_object_get(v, "proto")));
    if (want && strcmp(key, wkey) != 0)
      continue;
    if (!want)
      printf("%s -> ", key);
    printf("%s%s%s:%d\n", v6 ? "[" : "", hip, v6 ? "]" : "", (int)json_integer_value(json_object_get(v, "host_port")));
    shown++;
  }
  /* The port as the user gave it, as the docker client prints it ('81', not '81/tcp'). */
  if (want && shown == 0)
    return hull_error_code(err, ENOENT, "No public port '%s' published for %s", want, ct->name);
  return 0;
}

/* ---- network connect / disconnect / teardown (the container side of `hull network`) ---- */

int cmd_network_connect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"ip", required_argument, NULL, 'i'},
                                       {"ip6", required_argument, NULL, '6'},
                                       {"alias", required_argument, NULL, 'a'},
                                       HELP_OPT,
                                       END_OPT};
  const char *ip = NULL, *ip6 = NULL;
  const char *aliases[33] = {NULL};
  size_t na = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    if (c == 'i') {
      ip = optarg;
    } else if (c == '6') {
      ip6 = optarg;
    } else if (c == 'a') {
      if (na == 32)
        return hull_usage_error(err, "network connect", "at most 32 aliases");
      aliases[na++] = optarg;
    } else {
      int r = opt_or_usage(c, "network connect", "network connect [OPTIONS] NETWORK CONTAINER", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 2)
    return hull_args_error(err, "network connect", "\"hull network connect\" requires exactly 2 arguments.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_WRITE, argv[optind + 1], &e, &ct, err) < 0)
    return -1;
  return hull_ctr_net_connect(e, ct, argv[optind], ip, ip6, aliases, err);
}

int cmd_network_disconnect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, HELP_OPT, END_OPT};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
    if (c != 'f') {
      int r = opt_or_usage(c, "network disconnect", "network disconnect [OPTIONS] NETWORK CONTAINER", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 2)
    return hull_args_error(err, "network disconnect", "\"hull network disconnect\" requires exactly 2 arguments.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_WRITE, argv[optind + 1], &e, &ct, err) < 0)
    return -1;
  return hull_ctr_net_disconnect(e, ct, argv[optind], err);
}

/* The monitor's teardown command (not listed in the help): the container's network goes
 * once it has exited for good. A container id only, never a name (which may have been
 * given to another container since). */
int cmd_network_teardown(hull_cli *g, int argc, char **argv, hull_err *err) {
  if (argc != 2 || strlen(argv[1]) != 64)
    return hull_args_error(err, "network teardown", "\"hull network teardown\" requires a full container id.");
  cleanup_engine hull_engine *e = NULL;
  if (hull_cli_engine(g, HULL_STORE_WRITE, &e, err) < 0)
    return -1;
  return hull_ctr_net_down(e, argv[1], err);
}

/* The waiter a container's teardown leaves (not listed in the help): releases the leases of
 * the veths left to die once they are gone (src/network/network.c). Only the store: no
 * engine, no runroot. Arguments after it are ignored (the waiters of earlier versions
 * took a container and its veths; one waiter now serves the whole store). */
int cmd_network_settle(hull_cli *g, int argc, char **argv, hull_err *err) {
  (void)argc;
  (void)argv;
  return hull_network_settle(g->root, err);
}

/* ---- inspect ---- */

int cmd_inspect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"size", no_argument, NULL, 's'},
                                       {"type", required_argument, NULL, 'T'},
                                       HELP_OPT,
                                       END_OPT};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:f:sh", opts, NULL)) != -1) {
    if (c == 'f')
      format = optarg;
    else if (c != 's' && c != 'T') {
      int r =
          opt_or_usage(c, "inspect",
                       "inspect [OPTIONS] CONTAINER [CONTAINER...]\n\nReturn low-level information on containers\n\n"
                       "Options:\n  -f, --format string   Format output using a custom template\n"
                       "  -s, --size            Display total file sizes\n",
                       argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (need_args(argc, "inspect", 1, err) < 0)
    return -1;
  cleanup_engine hull_engine *e = NULL;
  if (hull_cli_engine(g, HULL_STORE_READ, &e, err) < 0)
    return -1;
  cleanup_json json_t *all = json_array();
  cleanup_err hull_err failed = NULL;
  for (int i = optind; i < argc; i++) {
    cleanup_ctr hull_ctr *ct = NULL;
    hull_err e1 = NULL;
    json_t *j = NULL;
    if (hull_ctr_lookup(e, argv[i], &ct, &e1) < 0 || (j = hull_ctr_inspect(e, ct, &e1)) == NULL) {
      hull_cli_add_failure(&failed, &e1);
      continue;
    }
    json_array_append_new(all, j);
  }
  if (hull_cli_print_inspect("inspect", all, format, err) < 0)
    return -1;
  return hull_cli_failures(&failed, err);
}

/* ---- container prune ---- */

int cmd_container_prune(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"filter", required_argument, NULL, 'F'}, HELP_OPT, END_OPT};
  cleanup_prune_filter hull_prune_filter f = {0};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
    if (c == 'F') {
      if (hull_prune_filter_add(&f, "container prune", optarg, err) < 0)
        return -1;
    } else if (c == 'f') {
      force = true;
    } else {
      int r = opt_or_usage(c, "container prune",
                           "container prune [OPTIONS]\n\nRemove all stopped containers\n\n"
                           "Options:\n"
                           "      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
                           "  -f, --force           Do not prompt for confirmation\n",
                           argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (hull_prune_filter_parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_UNTIL, false, hull_now_ns(), err) < 0)
    return -1;
  /* Docker's client asks unless -f; an answer other than y (or EOF) cancels quietly, exit 0. */
  if (!force && !hull_confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"))
    return 0;
  cleanup_engine hull_engine *e = NULL;
  if (hull_cli_engine(g, HULL_STORE_DELETE, &e, err) < 0)
    return -1;
  hull_ctr **list = NULL;
  size_t n = 0;
  if (hull_ctr_list(e, &list, &n, err) < 0)
    return -1;
  printf("Deleted Containers:\n");
  cleanup_err hull_err failed = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!hull_ctr_prunable_p(list[i], &f))
      continue;
    hull_err e1 = NULL;
    if (hull_ctr_remove(e, list[i], true, true, &e1) < 0) {
      hull_cli_add_failure(&failed, &e1);
      continue;
    }
    printf("%s\n", list[i]->id);
  }
  hull_ctr_list_free(list, n);
  printf("\nTotal reclaimed space: 0B\n");
  return hull_cli_failures(&failed, err);
}

/* ---- exec ---- */

int cmd_exec(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"interactive", no_argument, NULL, 'i'},
                                       {"tty", no_argument, NULL, 't'},
                                       {"detach", no_argument, NULL, 'd'},
                                       {"env", required_argument, NULL, 'e'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"workdir", required_argument, NULL, 'w'},
                                       {"privileged", no_argument, NULL, 'P'},
                                       HELP_OPT,
                                       END_OPT};
  hull_exec_opts o = {0};
  cleanup_strv char **env = calloc((size_t)argc + 1, sizeof(char *));
  size_t nenv = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:itde:u:w:h", opts, NULL)) != -1) {
    switch (c) {
    case 'i':
      o.interactive = true;
      break;
    case 't':
      o.tty = true;
      break;
    case 'd':
      o.detach = true;
      break;
    case 'e':
      if (strchr(optarg, '=') == NULL) {
        const char *v = getenv(optarg);
        if (v && asprintf(&env[nenv], "%s=%s", optarg, v) >= 0)
          nenv++;
      } else {
        env[nenv++] = strdup(optarg);
      }
      break;
    case 'u':
      o.user = optarg;
      break;
    case 'w':
      o.workdir = optarg;
      break;
    case 'P':
      o.privileged = true;
      break;
    default: {
      int r = opt_or_usage(c, "exec", "exec [OPTIONS] CONTAINER COMMAND [ARG...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
    }
  }
  if (need_args(argc, "exec", 2, err) < 0)
    return -1;
  o.env = env;
  o.args = argv + optind + 1;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (open_ctr(g, HULL_STORE_READ, argv[optind], &e, &ct, err) < 0)
    return -1;
  int status = 0;
  if (hull_ctr_exec(e, ct, &o, &status, err) < 0)
    return -1;
  if (status != 0) {
    hull_error(err, 0, "%s", "");
    (*err)->status = status;
    return -1;
  }
  return 0;
}

/* ---- update ---- */

static int update_one(hull_engine *e, hull_ctr *ct, const void *ctx, hull_err *err) {
  return hull_ctr_update(e, ct, ctx, err);
}

/* update's flags are run's resource flags: they go through run's parser (one set of
 * values and errors), and only the HostConfig keys they set are changed. */
static const struct update_flag {
  const char *flag, *key;
} update_flags[] = {
    {"--memory", "Memory"},        {"--memory-swap", "MemorySwap"},   {"--memory-reservation", "MemoryReservation"},
    {"--cpus", "NanoCpus"},        {"--cpu-shares", "CpuShares"},     {"--cpu-quota", "CpuQuota"},
    {"--cpu-period", "CpuPeriod"}, {"--cpuset-cpus", "CpusetCpus"},   {"--cpuset-mems", "CpusetMems"},
    {"--pids-limit", "PidsLimit"}, {"--blkio-weight", "BlkioWeight"}, {"--restart", "RestartPolicy"},
};
#define N_UPDATE_FLAGS (sizeof(update_flags) / sizeof(update_flags[0]))

int cmd_update(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"memory", required_argument, NULL, 0},
                                       {"memory-swap", required_argument, NULL, 1},
                                       {"memory-reservation", required_argument, NULL, 2},
                                       {"cpus", required_argument, NULL, 3},
                                       {"cpu-shares", required_argument, NULL, 4},
                                       {"cpu-quota", required_argument, NULL, 5},
                                       {"cpu-period", required_argument, NULL, 6},
                                       {"cpuset-cpus", required_argument, NULL, 7},
                                       {"cpuset-mems", required_argument, NULL, 8},
                                       {"pids-limit", required_argument, NULL, 9},
                                       {"blkio-weight", required_argument, NULL, 10},
                                       {"restart", required_argument, NULL, 11},
                                       HELP_OPT,
                                       END_OPT};
  /* Each option adds at most two words (-m128m becomes --memory 128m). */
  cleanup_free char **run_argv = calloc(2 * (size_t)argc + 3, sizeof(char *));
  if (run_argv == NULL)
    return hull_error(err, ENOMEM, "update");
  bool set[N_UPDATE_FLAGS] = {false};
  int run_argc = 0, c;
  run_argv[run_argc++] = "update"; /* run's parser names it in its errors */
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:m:c:h", opts, NULL)) != -1) {
    int i = c == 'm' ? 0 : c == 'c' ? 4 : c;
    if (i >= 0 && i < (int)N_UPDATE_FLAGS) {
      set[i] = true;
      run_argv[run_argc++] = (char *)update_flags[i].flag;
      run_argv[run_argc++] = optarg;
      continue;
    }
    int r = opt_or_usage(c, "update", "update [OPTIONS] CONTAINER [CONTAINER...]", argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (run_argc == 1)
    return hull_usage_error(err, "update", "You must provide one or more flags when using \"hull update\".");
  int first = optind; /* run's parser runs getopt again */
  run_argv[run_argc++] = "update-image";
  hull_run_opts o;
  if (hull_run_opts_parse(run_argc, run_argv, &o, err) < 0) {
    hull_run_opts_free(&o);
    return -1;
  }
  cleanup_json json_t *changes = json_object();
  for (size_t i = 0; i < N_UPDATE_FLAGS; i++)
    if (set[i])
      json_object_set(changes, update_flags[i].key, json_object_get(o.host_config, update_flags[i].key));
  hull_run_opts_free(&o);
  optind = first;
  return each_ctr(g, "update", HULL_STORE_WRITE, argc, argv, update_one, changes, err);
}
