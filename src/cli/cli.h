/* hull, the engine's command line: Docker's command names, flags, output and exit codes.
 * Only main() prints errors and exits; commands return -1 with one error set. */
#ifndef HULL_CLI_CLI_H
#define HULL_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "common/error.h"

/* Docker's exit status for the CLI's own failures (bad flags, usage). */
#define HULL_EXIT_USAGE 125

typedef struct hull_cli {
  const char *root;
  const char *runroot;
  bool debug;
  const char *cgroup_driver; /* "cgroupfs" (default) or "systemd", from the config file */
  const char *config_path;   /* the config file read, NULL if none */
} hull_cli;

#define HULL_CONFIG_DEFAULT "/etc/hull/hull.conf"

/* Reads the config file (config.c) into g and *log_level: defaults the flags override. */
int hull_cli_load_config(hull_cli *g, const char **log_level, hull_err *err);

typedef int (*hull_cmd_fn)(hull_cli *g, int argc, char **argv, hull_err *err);

/* Sets a usage error (exit status 125) naming the command, as Docker's CLI words it. */
int hull_usage_error(hull_err *err, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for a wrong number of arguments, which Docker's client (cobra's argument checks)
 * exits with 1, not with a flag error's 125. */
int hull_args_error(hull_err *err, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reads --tls-verify's value (a boolean as podman spells it) into *insecure; anything
 * else is cmd's usage error rather than a silent "true". */
HULL_WUR int hull_cli_tls_verify(const char *cmd, const char *value, bool *insecure, hull_err *err);
/* Handles a getopt result that is not a command's own option: '?' (unknown flag, usage
 * error) or 'h' (help printed, returns 1); 0 for anything else. */
int hull_cli_common_opt(int c, const char *cmd, const char *usage, char **argv, hull_err *err);
/* What `inspect` prints for the objects in all: each through the -f template, or all as
 * one indented JSON array; a bad template is cmd's usage error. */
int hull_cli_print_inspect(const char *cmd, json_t *all, const char *format, hull_err *err);
/* For commands over several named objects, which go on past a name that fails: adds that
 * failure (*one, taken) to *failed. One failure stays the error it is; each further one
 * becomes another "Error: ..." line of it, so main prints a line per failed name, as
 * Docker's CLI does, and the exit status is 1. */
void hull_cli_add_failure(hull_err *failed, hull_err *one);
/* The end of such a command: 0 when nothing failed, else -1 with *failed moved to *err. */
int hull_cli_failures(hull_err *failed, hull_err *err) HULL_WUR;

int cmd_images(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_tag(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_rmi(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_image_inspect(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_load(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_save(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_import(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_push(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_pull(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_history(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_image_prune(hull_cli *g, int argc, char **argv, hull_err *err);
/* The "Deleted Images:" block of image prune and system prune (cmd_history.c). */
struct hull_rmi_report;
void hull_cli_print_deleted_images(const struct hull_rmi_report *rep);
int cmd_login(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_logout(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_system_df(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_system_check(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_create(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_ls(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_inspect(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_rm(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_prune(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_connect(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_disconnect(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_teardown(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_network_settle(hull_cli *g, int argc, char **argv, hull_err *err);

/* Attaching (cmd_attach.c), for run, start -a and attach. */
struct hull_engine;
struct hull_ctr;
struct hull_attach_opts;
int cmd_attach(hull_cli *g, int argc, char **argv, hull_err *err);
/* Attaches (or follows the log when no attach socket serves the container); *code: its
 * exit code, 0 when the detach keys were read. */
int hull_cli_attach(struct hull_engine *e, struct hull_ctr *c, const struct hull_attach_opts *o, int *code,
                    hull_err *err) HULL_WUR;
/* 0 for code 0, else -1 with an error that carries only the exit status. */
int hull_cli_exit_with(int code, hull_err *err);
/* Copies the container's log to our stdout/stderr until it exits; its exit code. */
int hull_cli_follow_output(struct hull_engine *e, struct hull_ctr *c);

/* Container commands (cmd_container.c, cmd_ps.c). */
int cmd_create(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_run(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_start(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_stop(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_kill(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_rm(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_wait(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_pause(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_unpause(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_update(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_rename(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_port(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_inspect(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_container_prune(hull_cli *g, int argc, char **argv, hull_err *err);
/* What container prune and system prune remove: a stopped container (exited, dead, or
 * created and not being created now). */
int cmd_ps(hull_cli *g, int argc, char **argv, hull_err *err);
/* ps's STATUS column ("Up 2 minutes", "Exited (0) 3 seconds ago", ...); system df -v too. */
void hull_cli_ctr_status(struct hull_engine *e, const struct hull_ctr *c, char *out, size_t len);
int cmd_logs(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_exec(hull_cli *g, int argc, char **argv, hull_err *err);

/* cmd_commit.c */
int cmd_commit(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_diff(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_export(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_top(hull_cli *g, int argc, char **argv, hull_err *err);

/* h9's commands (cmd_cp.c, ...). */
int cmd_cp(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_volume(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_stats(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_events(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_version(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_info(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_system_prune(hull_cli *g, int argc, char **argv, hull_err *err);
int cmd_help(hull_cli *g, int argc, char **argv, hull_err *err);

/* The help table (help.c): one entry per command ("volume ls"); args NULL and options NULL
 * take run/create's text from engine/flags.c. */
typedef struct hull_help_entry {
  const char *name, *args, *desc, *options;
} hull_help_entry;
const hull_help_entry *hull_help_entries(void);
/* The entry of a command path, aliases ("container ls") resolved; NULL if none. */
const hull_help_entry *hull_help_find(const char *path);
void hull_help_print(FILE *f, const hull_help_entry *e);
/* `hull --help` (main.c). */
void hull_main_usage(FILE *out);

#endif
