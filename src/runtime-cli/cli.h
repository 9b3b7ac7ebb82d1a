/* hull-runtime: the runc- and crun-compatible command line, a client of the runtime
 * library's public header (include/hull/runtime.h) and nothing else of src/runtime.
 * Only this layer prints and exits. */
#ifndef HULL_CLI_H
#define HULL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <hull/runtime.h>

#include "../common/error.h"

struct cli_command;

struct cli_globals {
  struct hull_rt_config cfg;
  struct hull_rt *rt;
  char **argv; /* main's: the re-execution from a sealed copy (hull_rt_seal_self) keeps it */
  const char *log;
  const char *log_format;
  const char *log_level;
  bool debug;
  const char *cgroup_manager;
  const char *rootless;
  const struct cli_command *cmd; /* the command being run */
};

typedef int (*cli_cmd_fn)(struct cli_globals *g, int argc, char **argv, hull_err *err);

/* Ids of the options that have no short letter (short ones use the letter itself). */
enum {
  OPT_PID_FILE = 256,
  OPT_CONSOLE,
  OPT_NO_PIVOT,
  OPT_NO_KEYRING,
  OPT_PRESERVE,
  OPT_KEEP,
  OPT_NO_SUBREAPER,
  OPT_CWD,
  OPT_NNP,
  OPT_APPARMOR,
  OPT_LABEL,
  OPT_CGROUP,
  OPT_IGNORE_PAUSED,
  OPT_MEMORY,
  OPT_MEMORY_RES,
  OPT_MEMORY_SWAP,
  OPT_KERNEL,
  OPT_KERNEL_TCP,
  OPT_CPU_SHARES,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPU_RT_PERIOD,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS,
  OPT_BLKIO_WEIGHT,
  OPT_L3,
  OPT_MEM_BW,
  OPT_STATS,
  OPT_INTERVAL,
  OPT_ROOTLESS,
};

/* One option of a command. --help, the man pages and the bash completion are printed from
 * these tables, and every command's getopt loop is built from the same entries
 * (cli_getopt), so a flag cannot be accepted without being documented or the reverse. */
struct cli_opt {
  const char *name; /* the long name, without "--" */
  int val;          /* the short letter, or an OPT_* id for long-only options */
  const char *arg;  /* the value's name ("FILE"), or NULL for a flag without a value */
  const char *help; /* one sentence */
};

struct cli_command {
  const char *name;
  cli_cmd_fn fn;
  const char *args;           /* the positional arguments, as in "ID COMMAND [ARG...]" */
  const char *summary;        /* one line for the command list */
  const char *text;           /* paragraphs separated by "\n\n" for --help and the man page */
  const struct cli_opt *opts; /* NULL-terminated, may be NULL */
  bool enters;                /* runs code in a container: executes from a sealed copy (selfexe.h) */
  bool later;                 /* ... or through hull-exec: decided once config.json is read */
};

/* The commands, in the order of the help text; the global options. */
extern const struct cli_command cli_commands[];
extern const size_t cli_ncommands;
extern const struct cli_opt cli_global_opts[];
const struct cli_command *cli_command_find(const char *name);

/* getopt_long over the options of g->cmd (argv[0] is the command's name). Returns the
 * option's val, -1 at the first operand, or '?' for an unknown option or a missing value;
 * then cli_bad_option sets the error (and, like hull_error, always returns -1). */
int cli_getopt(struct cli_globals *g, int argc, char **argv);
int cli_bad_option(const struct cli_command *c, int argc, char **argv, hull_err *err);

/* True when the command's options (before its first operand) ask for --help or --usage. */
bool cli_help_wanted(const struct cli_command *c, int argc, char **argv, bool *usage_only);
/* hull-runtime --help; COMMAND --help; the man page (roff) of a command, or of
 * hull-runtime itself when c is NULL; the bash completion script. */
void cli_print_usage(FILE *f);
void cli_print_command_help(FILE *f, const struct cli_command *c, bool usage_only);
void cli_print_man(FILE *f, const struct cli_command *c);
void cli_print_completion(FILE *f);

/* Each returns the process exit status (0 on success) or -1 with err set. */
int cmd_create(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_run(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_start(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_kill(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_delete(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_state(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_pause(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_resume(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_list(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_ps(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_features(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_exec(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_update(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_events(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_spec(struct cli_globals *g, int argc, char **argv, hull_err *err);
int cmd_help(struct cli_globals *g, int argc, char **argv, hull_err *err);

/* Prints JSON to stdout with a newline. */
void cli_print_json(json_t *j, int flags);
/* A process that the CLI runs in the foreground (run, exec): the caller's signals are
 * forwarded to it and its pty relayed to the caller's terminal (console, -1 for none)
 * until it exits. Returns its exit status (as a shell gives it), or -1 with err. */
int cli_foreground(struct hull_proc *proc, int console, hull_err *err);
/* After create or exec: sends the pty master to the console socket (console_fd, -1:
 * none) and writes the pid file (NULL: none). */
int cli_hand_over(const struct hull_proc *proc, int console_fd, const char *console_path, const char *pid_file,
                  hull_err *err) HULL_WUR;
/* Requires exactly n positional arguments after option parsing. */
int cli_want_args(const char *cmd, int have, int want, const char *usage, hull_err *err) HULL_WUR;
/* The container ids an argument names: itself, or with --regex every existing container
 * whose id the extended regular expression matches as a whole (crun's kill/delete -r). */
int cli_match_ids(struct cli_globals *g, const char *arg, bool regex, char ***ids, size_t *n, hull_err *err) HULL_WUR;

#endif
