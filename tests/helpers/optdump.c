/* An LD_PRELOAD shim for tests/integration/engine-help.bats: it stands in for getopt_long,
 * and the first call a command makes prints the options that call would accept (the
 * command's own table, as the parser sees it) and ends the process before the command does
 * anything. One line an option: "-X" for a letter of the short option string, "--name" for
 * an entry of the long option table. hull's main parses its global options by hand, so the
 * first call is the command's. The project builds with -fvisibility=hidden: the stand-in is
 * exported by name. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((visibility("default"))) int getopt_long(int argc, char *const argv[], const char *shortopts,
                                                       const struct option *longopts, int *longindex) {
  (void)argc;
  (void)argv;
  (void)longindex;
  for (const char *p = shortopts; *p; p++)
    if (*p != ':' && *p != '+' && *p != '-')
      printf("-%c\n", *p);
  for (const struct option *o = longopts; o && o->name; o++)
    printf("--%s\n", o->name);
  fflush(stdout);
  _exit(0);
}
