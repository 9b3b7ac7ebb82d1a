/* hull attach, and the attached part of a foreground run and of start -a: the
 * container's output on our stdout/stderr, our stdin to it, its exit code as ours
 * (engine/attach.c does the streaming). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "engine/engine.h"

int hull_cli_attach(hull_engine *e, hull_ctr *c, const hull_attach_opts *o, int *code, hull_err *err) {
  bool detached = false;
  hull_err local = NULL;
  if (hull_ctr_attach(e, c, o, code, &detached, &local) < 0) {
    /* No attach socket (its monitor is gone, or closed it when the container ended):
     * the output is followed in the log instead. */
    if (local->errno_ != ENOENT && local->errno_ != ECONNREFUSED) {
      *err = local;
      return -1;
    }
    hull_error_release(&local);
    *code = hull_cli_follow_output(e, c);
    return 0;
  }
  if (detached) {
    /* Docker's words, on its stderr; the command succeeds. */
    fprintf(stderr, "read escape sequence\n");
    *code = 0;
  }
  return 0;
}

/* The container's exit code as ours: an error with an empty message carries only it. */
int hull_cli_exit_with(int code, hull_err *err) {
  if (code == 0)
    return 0;
  hull_error(err, 0, "%s", "");
  (*err)->status = code;
  (*err)->msg[0] = '\0';
  return -1;
}

static const char attach_usage[] =
    "attach [OPTIONS] CONTAINER\n\nAttach local standard input, output, and error streams to a running container\n\n"
    "Options:\n"
    "      --detach-keys string   Override the key sequence for detaching a container\n"
    "      --no-stdin             Do not attach STDIN\n"
    "      --sig-proxy            Proxy all received signals to the process (default true)\n";

int cmd_attach(hull_cli *g, int argc, char **argv, hull_err *err) {
  enum { O_DETACH_KEYS = 256, O_NO_STDIN, O_SIG_PROXY };
  static const struct option opts[] = {{"detach-keys", required_argument, NULL, O_DETACH_KEYS},
                                       {"no-stdin", no_argument, NULL, O_NO_STDIN},
                                       {"sig-proxy", optional_argument, NULL, O_SIG_PROXY},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *keys = NULL;
  bool no_stdin = false, sig_proxy = true;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    if (c == O_DETACH_KEYS) {
      keys = optarg;
    } else if (c == O_NO_STDIN) {
      no_stdin = true;
    } else if (c == O_SIG_PROXY) {
      sig_proxy = optarg == NULL || !(strcmp(optarg, "false") == 0 || strcmp(optarg, "0") == 0);
    } else {
      int r = hull_cli_common_opt(c, "attach", attach_usage, argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "attach", "\"hull attach\" requires exactly 1 argument.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ct = NULL;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0 ||
      hull_ctr_lookup(e, argv[optind], &ct, err) < 0)
    return -1;
  hull_ctr_refresh(e, ct);
  if (ct->status != HULL_CTR_RUNNING)
    return hull_error_code(err, EINVAL, "You cannot attach to a stopped container, start it first");
  bool tty = json_is_true(json_object_get(ct->config, "Tty"));
  hull_attach_opts o = {.tty = tty,
                        .stdin = !no_stdin && json_is_true(json_object_get(ct->config, "OpenStdin")),
                        .sig_proxy = sig_proxy && !tty,
                        .detach_keys = keys};
  int code = 0;
  if (hull_cli_attach(e, ct, &o, &code, err) < 0)
    return -1;
  return hull_cli_exit_with(code, err);
}
