/* hull-runtime: the runc-compatible command line. Only this layer prints and exits. */
#ifndef HULL_CLI_H
#define HULL_CLI_H

#include <stdbool.h>

#include "../common/error.h"
#include "../runtime/container.h"

struct cli_globals {
  struct hull_runtime rt;
  const char *log;
  const char *log_format;
  bool debug;
  const char *cgroup_manager;
  const char *rootless;
};

typedef int (*cli_cmd_fn)(struct cli_globals *g, int argc, char **argv, hull_err *err);

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

/* Prints JSON to stdout with a newline. */
void cli_print_json(json_t *j, int flags);
/* Requires exactly n positional arguments after option parsing. */
int cli_want_args(const char *cmd, int have, int want, const char *usage, hull_err *err);

#endif
