#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "cli.h"

int cmd_spec(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  const char *bundle = ".";
  bool rootless = false;
  int c;
  const char *file = NULL;
  while ((c = cli_getopt(g, argc, argv)) != -1) {
    if (c == 'b')
      bundle = optarg;
    else if (c == 'f')
      file = optarg;
    else if (c == OPT_ROOTLESS)
      rootless = true;
    else
      return cli_bad_option(g->cmd, argc, argv, err);
  }
  if (argc - optind != 0)
    return hull_error(err, 0, "spec: takes no arguments");
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
    return hull_error(err, ENAMETOOLONG, "spec: bundle %s", bundle);
  /* crun's --file: the file is taken as given, not from the bundle. */
  if (file != NULL && snprintf(path, sizeof(path), "%s", file) >= (int)sizeof(path))
    return hull_error(err, ENAMETOOLONG, "spec: --file %s", file);
  cleanup_json json_t *j = hull_spec_default_json(rootless);
  cleanup_free char *text = json_dumps(j, JSON_INDENT(2));
  if (text == NULL)
    return hull_error(err, ENOMEM, "spec");
  if (file != NULL && strcmp(file, "-") == 0) {
    puts(text);
    return fflush(stdout) == 0 ? 0 : hull_error_sys(err, "spec: write to stdout");
  }
  /* Like runc: never overwrite an existing config.json. */
  cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return hull_error(err, 0, "spec: file %s exists: remove it first", path);
    return hull_error_sys(err, "spec: create %s", path);
  }
  size_t len = strlen(text);
  text[len] = '\n';
  if (write(fd, text, len + 1) != (ssize_t)(len + 1))
    return hull_error_sys(err, "spec: write %s", path);
  return 0;
}
