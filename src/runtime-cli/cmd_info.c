#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cli.h"

#define LIST_COLS 6

/* The cells of row r of the table: the header for r == 0, else container r-1. */
static void row_cells(json_t *list, size_t r, char pid[24], const char *cell[LIST_COLS]) {
  static const char *const head[LIST_COLS] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  static const char *const keys[LIST_COLS] = {"id", "pid", "status", "bundle", "created", "owner"};
  json_t *s = r ? json_array_get(list, r - 1) : NULL;
  for (int c = 0; c < LIST_COLS; c++) {
    const char *v = r ? json_string_value(json_object_get(s, keys[c])) : head[c];
    cell[c] = v ? v : "";
  }
  if (r) {
    snprintf(pid, 24, "%lld", (long long)json_integer_value(json_object_get(s, "pid")));
    cell[1] = pid;
  }
}

/* runc's layout (Go's tabwriter with minwidth 12 and padding 3): each column as wide as
 * its widest cell plus 3, at least 12; the last column unpadded. Long bundle paths widen
 * their column instead of shifting the rest of the line. */
static void print_table(json_t *list) {
  size_t n = json_array_size(list);
  int width[LIST_COLS] = {0};
  char pid[24];
  const char *cell[LIST_COLS];
  for (size_t r = 0; r <= n; r++) {
    row_cells(list, r, pid, cell);
    for (int c = 0; c < LIST_COLS; c++) {
      int w = (int)strlen(cell[c]) + 3;
      if (w > width[c])
        width[c] = w < 12 ? 12 : w;
    }
  }
  for (size_t r = 0; r <= n; r++) {
    row_cells(list, r, pid, cell);
    for (int c = 0; c < LIST_COLS - 1; c++)
      printf("%-*s", width[c], cell[c]);
    printf("%s\n", cell[LIST_COLS - 1]);
  }
}

int cmd_list(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *format = "table";
  bool quiet = false;
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    if (c == 'f')
      format = optarg;
    else if (c == 'q')
      quiet = true;
    else
      return cli_bad_option(g->cmd, argc, argv, err);
  }
  if (argc - optind != 0)
    return hull_error(err, 0, "list: takes no arguments");
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return hull_error(err, 0, "list: --format: unknown format \"%s\" (want table or json)", format);
  cleanup_json json_t *list = NULL;
  if (hull_rt_list(g->rt, &list, err) < 0)
    return -1;
  size_t i;
  json_t *s;
  if (quiet) {
    json_array_foreach(list, i, s) printf("%s\n", json_string_value(json_object_get(s, "id")));
    return 0;
  }
  if (strcmp(format, "json") == 0)
    cli_print_json(list, JSON_COMPACT);
  else
    print_table(list);
  return 0;
}

static bool pid_in(pid_t p, const pid_t *pids, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (pids[i] == p)
      return true;
  return false;
}

/* Table output like runc: run `ps` (default -ef) and keep the lines of our pids. */
static int ps_table(const pid_t *pids, size_t n, int argc, char **argv, hull_err *err) {
  char *def[] = {"ps", "-ef", NULL};
  cleanup_free char **args = calloc((size_t)argc + 2, sizeof(char *));
  if (args == NULL)
    return hull_error(err, ENOMEM, "ps");
  args[0] = "ps";
  for (int i = 0; i < argc; i++)
    args[i + 1] = argv[i];
  int pfd[2];
  if (pipe(pfd) < 0)
    return hull_error_sys(err, "ps: pipe");
  pid_t child = fork();
  if (child < 0)
    return hull_error_sys(err, "ps: fork");
  if (child == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    execvp("ps", argc ? args : def);
    _exit(127);
  }
  close(pfd[1]);
  cleanup_file FILE *f = fdopen(pfd[0], "r");
  char *line = NULL;
  size_t cap = 0;
  int pid_col = -1;
  bool header = true;
  while (getline(&line, &cap, f) > 0) {
    if (header) {
      fputs(line, stdout);
      header = false;
      /* Find the PID column in the header. */
      char *copy = strdup(line), *save = NULL;
      int col = 0;
      for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
        if (strcmp(t, "PID") == 0)
          pid_col = col;
      free(copy);
      continue;
    }
    char *copy = strdup(line), *save = NULL;
    int col = 0;
    for (char *t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++) {
      if (col == pid_col) {
        if (pid_in(atoi(t), pids, n))
          fputs(line, stdout);
        break;
      }
    }
    free(copy);
  }
  free(line);
  int st;
  waitpid(child, &st, 0);
  if (pid_col < 0)
    return hull_error(err, 0, "ps: no PID column in the output of ps");
  return 0;
}

int cmd_ps(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *format = "table";
  int c;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    if (c == 'f')
      format = optarg;
    else
      return cli_bad_option(g->cmd, argc, argv, err);
  }
  if (argc - optind < 1)
    return hull_error(err, 0, "ps: expected a container id");
  if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
    return hull_error(err, 0, "ps: --format: unknown format \"%s\" (want table or json)", format);
  const char *id = argv[optind];
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  if (hull_rt_pids(g->rt, id, &pids, &n, err) < 0)
    return -1;
  if (strcmp(format, "json") == 0) {
    cleanup_json json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, json_integer(pids[i]));
    cli_print_json(a, JSON_COMPACT);
    return 0;
  }
  fflush(stdout);
  return ps_table(pids, n, argc - optind - 1, argv + optind + 1, err) < 0 ? -1 : 0;
}

int cmd_features(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  if (cli_getopt(g, argc, argv) != -1)
    return cli_bad_option(g->cmd, argc, argv, err);
  if (argc - optind != 0)
    return hull_error(err, 0, "features: takes no arguments");
  cleanup_json json_t *j = hull_rt_features();
  if (j == NULL)
    return hull_error(err, ENOMEM, "features");
  cli_print_json(j, JSON_INDENT(4));
  return 0;
}
