/* The flags of `hull run` and `hull create`, parsed into Docker's own shapes: the Config and
 * HostConfig objects that `docker inspect` shows. They are what the container record stores
 * and what the bundle generator (engine/bundle.h) reads, so inspect and config.json can never
 * disagree. Parsing is pure (no store, no files except --env-file), hence unit-tested. */
#ifndef HULL_ENGINE_FLAGS_H
#define HULL_ENGINE_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

typedef struct hull_run_opts {
  json_t *config;      /* Docker's Config (flags only; the image's defaults are merged later) */
  json_t *host_config; /* Docker's HostConfig */
  char *image;         /* as the user wrote it */
  char *name;          /* --name, NULL for a generated one */
  bool detach, interactive, tty, rm, help;
  bool entrypoint_set; /* --entrypoint given (even ""): the image's Cmd is then not used */
  bool no_sig_proxy;   /* --sig-proxy=false */
  char *detach_keys;   /* --detach-keys, NULL: ctrl-p,ctrl-q */
} hull_run_opts;

/* Parses argv (argv[0] is the command name, "run" or "create") up to and including IMAGE;
 * the rest is the command. Errors are usage errors (status 125) worded like Docker's, e.g.
 * `invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`. With --help,
 * opts->help is set and nothing else is required. */
int hull_run_opts_parse(int argc, char **argv, hull_run_opts *opts, hull_err *err) HULL_WUR;
void hull_run_opts_free(hull_run_opts *opts);
/* The usage text of run/create. */
const char *hull_run_usage(void);

/* go-units RAMInBytes: "128m", "1.5g", "100", "2GiB"... (binary units). */
int hull_parse_size(const char *s, int64_t *out) HULL_WUR;
/* HostConfig.LogConfig.Config's max-size in bytes (0 when unset); -1 when it does not parse. */
int hull_log_max_size(const json_t *host_config, int64_t *out) HULL_WUR;
/* A signal by name ("SIGTERM", "TERM", "term") or number; -1 when unknown. */
int hull_parse_signal(const char *s);

#endif
