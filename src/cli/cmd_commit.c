/* hull commit, diff, export and top (engine/commit.c does the work). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "engine/commit.h"
#include "engine/engine.h"

#define MAX_CHANGES 64

/* The engine for writing and the named container; -1 with Docker's "No such container". */
static int open_ctr(hull_cli *g, const char *ref, hull_engine **e, hull_ctr **ctr, hull_err *err) {
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_WRITE, e, err) < 0)
    return -1;
  return hull_ctr_lookup(*e, ref, ctr, err);
}

int cmd_commit(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"author", required_argument, NULL, 'a'},  {"change", required_argument, NULL, 'c'},
      {"message", required_argument, NULL, 'm'}, {"pause", optional_argument, NULL, 'p'},
      {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
  const char *changes[MAX_CHANGES];
  hull_ctr_commit_opts o = {.changes = changes, .pause = true};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":a:c:m:ph", opts, NULL)) != -1) {
    if (c == 'a') {
      o.author = optarg;
    } else if (c == 'm') {
      o.message = optarg;
    } else if (c == 'c') {
      if (o.n_changes == MAX_CHANGES)
        return hull_usage_error(err, "commit", "too many --change flags");
      changes[o.n_changes++] = optarg;
    } else if (c == 'p') {
      /* A boolean flag as Docker's: -p, --pause, --pause=false. */
      if (optarg && strcmp(optarg, "true") != 0 && strcmp(optarg, "false") != 0 && strcmp(optarg, "1") != 0 &&
          strcmp(optarg, "0") != 0)
        return hull_usage_error(err, "commit", "invalid argument \"%s\" for \"-p, --pause\" flag", optarg);
      o.pause = optarg == NULL || strcmp(optarg, "true") == 0 || strcmp(optarg, "1") == 0;
    } else {
      int r = hull_cli_common_opt(c, "commit", "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  int n = argc - optind;
  if (n < 1 || n > 2)
    return hull_args_error(err, "commit", "\"hull commit\" requires at least 1 and at most 2 arguments.");
  o.tag = n == 2 ? argv[optind + 1] : NULL;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ctr = NULL;
  char id[HULL_DIGEST_LEN + 1];
  if (open_ctr(g, argv[optind], &e, &ctr, err) < 0 || hull_ctr_commit(e, ctr, &o, id, err) < 0)
    return -1;
  printf("%s\n", id);
  return 0;
}

/* The commands that take exactly one container and no option but --help. */
static int one_container(const char *cmd, const char *usage, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = hull_cli_common_opt(c, cmd, usage, argv, err);
    if (r != 0)
      return r < 0 ? -1 : 1;
  }
  if (argc - optind != 1)
    return hull_args_error(err, cmd, "\"hull %s\" requires exactly 1 argument.", cmd);
  return 0;
}

int cmd_diff(hull_cli *g, int argc, char **argv, hull_err *err) {
  int r = one_container("diff", "diff CONTAINER", argc, argv, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ctr = NULL;
  hull_change *ch = NULL;
  size_t n = 0;
  if (open_ctr(g, argv[optind], &e, &ctr, err) < 0 || hull_ctr_diff(e, ctr, &ch, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    printf("%c %s\n", ch[i].kind, ch[i].path);
  hull_changes_free(ch, n);
  return 0;
}

int cmd_export(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *output = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'o') {
      output = optarg;
    } else {
      int r = hull_cli_common_opt(c, "export", "export [OPTIONS] CONTAINER", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "export", "\"hull export\" requires exactly 1 argument.");
  /* Docker's refusal: a tar stream is of no use on a terminal and can wreck it. */
  if (output == NULL && isatty(STDOUT_FILENO))
    return hull_error(err, 0, "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ctr = NULL;
  if (open_ctr(g, argv[optind], &e, &ctr, err) < 0)
    return -1;
  if (output == NULL)
    return hull_ctr_export(e, ctr, STDOUT_FILENO, err);
  cleanup_close int fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0)
    return hull_error_sys(err, "failed to export container: open %s", output);
  if (hull_ctr_export(e, ctr, fd, err) < 0) {
    unlink(output); /* no half archive left behind under the name asked for */
    return -1;
  }
  if (fsync(fd) < 0)
    return hull_error_sys(err, "write %s", output);
  return 0;
}

/* Docker's table (Go's tabwriter, minimum width 20, padding 3): every column but the last
 * padded to its widest cell. */
static void print_table(const json_t *top) {
  const json_t *titles = json_object_get(top, "Titles"), *procs = json_object_get(top, "Processes");
  size_t nt = json_array_size(titles);
  cleanup_free size_t *w = calloc(nt ? nt : 1, sizeof(size_t));
  if (w == NULL)
    return;
  for (size_t i = 0; i < nt; i++)
    w[i] = strlen(json_string_value(json_array_get(titles, i)));
  size_t r;
  json_t *row;
  json_array_foreach(procs, r, row) for (size_t i = 0; i < nt; i++) {
    size_t l = strlen(json_string_value(json_array_get(row, i)) ?: "");
    if (l > w[i])
      w[i] = l;
  }
  for (size_t k = 0; k <= json_array_size(procs); k++) {
    const json_t *cells = k == 0 ? titles : json_array_get(procs, k - 1);
    for (size_t i = 0; i < nt; i++) {
      const char *s = json_string_value(json_array_get(cells, i)) ?: "";
      int width = (int)(w[i] + 3 < 20 ? 20 : w[i] + 3);
      if (i + 1 < nt)
        printf("%-*s", width, s);
      else
        printf("%s\n", s);
    }
  }
}

int cmd_top(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    int r = hull_cli_common_opt(c, "top", "top CONTAINER [ps OPTIONS]", argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (argc - optind < 1)
    return hull_args_error(err, "top", "\"hull top\" requires at least 1 argument.");
  cleanup_engine hull_engine *e = NULL;
  cleanup_ctr hull_ctr *ctr = NULL;
  if (open_ctr(g, argv[optind], &e, &ctr, err) < 0)
    return -1;
  cleanup_json json_t *top = hull_ctr_top(e, ctr, (const char *const *)argv + optind + 1, err);
  if (top == NULL)
    return -1;
  print_table(top);
  return 0;
}
