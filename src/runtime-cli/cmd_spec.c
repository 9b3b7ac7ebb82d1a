#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../runtime/spec.h"
#include "cli.h"

int cmd_spec(struct cli_globals *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"bundle", required_argument, NULL, 'b'}, {"rootless", no_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
  const char *bundle = ".";
  bool rootless = false;
  int c;
  (void)g;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
    if (c == 'b')
      bundle = optarg;
    else if (c == 'r')
      rootless = true;
    else
      return hull_error(err, 0, "spec: unknown option %s", argv[optind - 1]);
  }
  if (argc - optind != 0)
    return hull_error(err, 0, "spec: takes no arguments");
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s/config.json", bundle) >= (int)sizeof(path))
    return hull_error(err, ENAMETOOLONG, "spec: bundle %s", bundle);
  cleanup_json json_t *j = hull_spec_default(rootless);
  cleanup_free char *text = json_dumps(j, JSON_INDENT(2));
  if (text == NULL)
    return hull_error(err, ENOMEM, "spec");
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
