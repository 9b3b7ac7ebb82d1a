/* hull volume create/ls/inspect/rm/prune, with Docker's output (engine/volume.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "engine/volume.h"

#define HELP_OPT                                                                                                       \
  { "help", no_argument, NULL, 'h' }
#define END_OPT                                                                                                        \
  { NULL, 0, NULL, 0 }

static int open_engine(hull_cli *g, enum hull_store_mode mode, hull_engine **e, hull_err *err) {
  return hull_engine_open(g->root, g->runroot, mode, e, err);
}

static int other_opt(int c, const char *cmd, const char *usage, char **argv, hull_err *err) {
  int r = hull_cli_common_opt(c, cmd, usage, argv, err);
  return r;
}

static int volume_create(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"driver", required_argument, NULL, 'd'},
                                       {"label", required_argument, NULL, 'l'},
                                       {"opt", required_argument, NULL, 'o'},
                                       {"name", required_argument, NULL, 'n'},
                                       HELP_OPT,
                                       END_OPT};
  cleanup_json json_t *labels = json_object();
  const char *name = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:d:o:h", opts, NULL)) != -1) {
    if (c == 'd') {
      if (strcmp(optarg, "local") != 0)
        return hull_error_code(err, EINVAL, "plugin \"%s\" not found", optarg);
    } else if (c == 'l') {
      const char *eq = strchr(optarg, '=');
      cleanup_free char *k = strndup(optarg, eq ? (size_t)(eq - optarg) : strlen(optarg));
      json_object_set_new(labels, k, json_string(eq ? eq + 1 : ""));
    } else if (c == 'o') {
      return hull_error_code(err, EINVAL, "hull's local volumes take no driver options (%s)", optarg);
    } else if (c == 'n') {
      name = optarg;
    } else {
      int r = other_opt(c, "volume create",
                        "volume create [OPTIONS] [VOLUME]\n\nCreate a volume\n\nOptions:\n"
                        "  -d, --driver string   Specify volume driver name (default \"local\")\n"
                        "      --label list      Set metadata for a volume\n",
                        argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind < argc)
    name = argv[optind];
  char anon[65];
  if (name == NULL) {
    if (hull_new_id(anon, err) < 0)
      return -1;
    name = anon;
  }
  cleanup_engine hull_engine *e = NULL;
  if (open_engine(g, HULL_STORE_WRITE, &e, err) < 0 || hull_volume_create(e, name, labels, false, err) < 0)
    return -1;
  printf("%s\n", name);
  return 0;
}

static bool matches(const hull_volume *v, char **filters, size_t nf) {
  for (size_t i = 0; i < nf; i++) {
    const char *f = filters[i];
    bool used = v->users && v->users[0];
    if (strncmp(f, "dangling=", 9) == 0) {
      bool want = strcmp(f + 9, "true") == 0 || strcmp(f + 9, "1") == 0;
      if (want == used)
        return false;
    } else if (strncmp(f, "name=", 5) == 0) {
      if (strstr(v->name, f + 5) == NULL)
        return false;
    } else if (strncmp(f, "label=", 6) == 0) {
      if (!hull_labels_match(v->labels, f + 6))
        return false;
    } else if (strncmp(f, "driver=", 7) == 0) {
      if (strcmp(f + 7, "local") != 0)
        return false;
    }
  }
  return true;
}

static int volume_ls(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"filter", required_argument, NULL, 'f'},
                                       {"format", required_argument, NULL, 'F'},
                                       HELP_OPT,
                                       END_OPT};
  bool quiet = false;
  const char *format = NULL;
  char *filters[16];
  size_t nf = 0;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:qf:h", opts, NULL)) != -1) {
    if (c == 'q') {
      quiet = true;
    } else if (c == 'f') {
      static const char *const keys[] = {"dangling", "name", "label", "driver", NULL};
      if (nf == 16 || !hull_filter_key_p(optarg, keys))
        return hull_usage_error(err, "volume ls", "invalid filter '%s'", optarg);
      filters[nf++] = optarg;
    } else if (c == 'F') {
      format = optarg;
    } else {
      int r = other_opt(c, "volume ls",
                        "volume ls [OPTIONS]\n\nList volumes\n\nOptions:\n"
                        "  -f, --filter filter   Provide filter values (e.g. \"dangling=true\")\n"
                        "      --format string   Format output using a custom template or json\n"
                        "  -q, --quiet           Only display volume names\n",
                        argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  cleanup_engine hull_engine *e = NULL;
  hull_volume *v = NULL;
  size_t n = 0;
  if (open_engine(g, HULL_STORE_READ, &e, err) < 0 || hull_volume_list(e, &v, &n, err) < 0)
    return -1;
  static const char *const titles[] = {"Driver", "DRIVER", "Name", "VOLUME NAME", "Mountpoint", "MOUNTPOINT", NULL};
  hull_listing l;
  hull_listing_start(&l, format, "{{.Driver}}\t{{.Name}}", titles, quiet);
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (!matches(&v[i], filters, nf))
      continue;
    if (quiet) {
      printf("%s\n", v[i].name);
      continue;
    }
    cleanup_json json_t *obj = hull_volume_inspect(e, &v[i]);
    json_object_set_new(obj, "Scope", json_string("local"));
    const char *terr;
    if (hull_listing_add(&l, obj, &terr) < 0)
      rc = hull_usage_error(err, "volume ls", "template: %s", terr ? terr : "bad template");
  }
  hull_listing_end(&l, rc == 0);
  hull_volume_list_free(v, n);
  return rc;
}

static int volume_inspect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, HELP_OPT, END_OPT};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
    if (c == 'f') {
      format = optarg;
    } else {
      int r = other_opt(c, "volume inspect",
                        "volume inspect [OPTIONS] VOLUME [VOLUME...]\n\nDisplay detailed information on one or more "
                        "volumes\n\nOptions:\n  -f, --format string   Format output using a custom template\n",
                        argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind >= argc)
    return hull_args_error(err, "volume inspect", "\"hull volume inspect\" requires at least 1 argument.");
  cleanup_engine hull_engine *e = NULL;
  if (open_engine(g, HULL_STORE_READ, &e, err) < 0)
    return -1;
  cleanup_json json_t *all = json_array();
  cleanup_err hull_err failed = NULL;
  for (int i = optind; i < argc; i++) {
    hull_volume v = {0};
    hull_err e2 = NULL;
    if (hull_volume_get(e, argv[i], &v, &e2) < 0) {
      hull_cli_add_failure(&failed, &e2);
      continue;
    }
    json_array_append_new(all, hull_volume_inspect(e, &v));
    hull_volume_free(&v);
  }
  if (hull_cli_print_inspect("volume inspect", all, format, err) < 0)
    return -1;
  return hull_cli_failures(&failed, err);
}

static int volume_rm(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, HELP_OPT, END_OPT};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
    if (c == 'f') {
      force = true;
    } else {
      int r = other_opt(c, "volume rm",
                        "volume rm [OPTIONS] VOLUME [VOLUME...]\n\nRemove one or more volumes. You cannot remove a "
                        "volume that is in use by a container.\n\nOptions:\n"
                        "  -f, --force   Force the removal of one or more volumes\n",
                        argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind >= argc)
    return hull_args_error(err, "volume rm", "\"hull volume rm\" requires at least 1 argument.");
  cleanup_engine hull_engine *e = NULL;
  if (open_engine(g, HULL_STORE_WRITE, &e, err) < 0)
    return -1;
  bool failed = false;
  for (int i = optind; i < argc; i++) {
    hull_err e2 = NULL;
    if (hull_volume_remove(e, argv[i], &e2) < 0) {
      /* -f: a missing volume is not an error (Docker's); one in use still is. */
      if (!(force && e2->errno_ == ENOENT)) {
        fprintf(stderr, "Error response from daemon: %s\n", e2->msg);
        failed = true;
      }
      hull_error_release(&e2);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  if (failed) {
    hull_error(err, 0, "%s", "");
    return -1;
  }
  return 0;
}

/* Docker 23's rule: anonymous unused volumes, or every unused one with -a or all=true;
 * label= and label!= choose among them. */
static int volume_prune(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                       {"all", no_argument, NULL, 'a'},
                                       {"filter", required_argument, NULL, 'F'},
                                       HELP_OPT,
                                       END_OPT};
  cleanup_prune_filter hull_prune_filter f = {0};
  bool all = false, force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:fah", opts, NULL)) != -1) {
    if (c == 'a') {
      all = true;
    } else if (c == 'F') {
      if (hull_prune_filter_add(&f, "volume prune", optarg, err) < 0)
        return -1;
    } else if (c == 'f') {
      force = true;
    } else {
      int r = other_opt(c, "volume prune",
                        "volume prune [OPTIONS]\n\nRemove unused local volumes\n\nOptions:\n"
                        "  -a, --all             Remove all unused volumes, not just anonymous ones\n"
                        "      --filter filter   Provide filter values (e.g. \"label=<label>\")\n"
                        "  -f, --force           Do not prompt for confirmation\n",
                        argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  /* dockerd's keys for volumes: no until (Docker's volumes have no creation filter). */
  if (hull_prune_filter_parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_ALL, all, 0, err) < 0)
    return -1;
  /* Docker 28's client asks unless -f, naming all volumes only for -a (not for all=true, which
   * it passes on as a filter); any answer but y cancels quietly with exit 0. */
  if (!force && !hull_confirm(all ? "WARNING! This will remove all local volumes not used by at least one container.\n"
                                    "Are you sure you want to continue?"
                                  : "WARNING! This will remove anonymous local volumes not used by at least one "
                                    "container.\nAre you sure you want to continue?"))
    return 0;
  cleanup_engine hull_engine *e = NULL;
  if (open_engine(g, HULL_STORE_WRITE, &e, err) < 0)
    return -1;
  uint64_t reclaimed = 0;
  if (hull_volumes_prune(e, &f, stdout, &reclaimed, err) < 0)
    return -1;
  char sz[32];
  hull_human_size(reclaimed, sz, sizeof(sz));
  printf("Total reclaimed space: %s\n", sz);
  return 0;
}

int cmd_volume(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct {
    const char *name;
    hull_cmd_fn fn;
    const char *help;
  } sub[] = {{"create", volume_create, "Create a volume"},
             {"inspect", volume_inspect, "Display detailed information on one or more volumes"},
             {"ls", volume_ls, "List volumes"},
             {"list", volume_ls, NULL},
             {"prune", volume_prune, "Remove unused local volumes"},
             {"rm", volume_rm, "Remove one or more volumes"},
             {"remove", volume_rm, NULL}};
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    printf("\nUsage:  hull volume COMMAND\n\nManage volumes\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
      if (sub[i].help)
        printf("  %-9s %s\n", sub[i].name, sub[i].help);
    return 0;
  }
  for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
    if (strcmp(sub[i].name, argv[1]) == 0)
      return sub[i].fn(g, argc - 1, argv + 1, err);
  return hull_usage_error(err, "volume", "unknown command \"%s\" for \"hull volume\"", argv[1]);
}
