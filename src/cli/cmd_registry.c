/* hull pull, hull push. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/cleanup.h"
#include "engine/events.h"
#include "image/pull.h"
#include "image/push.h"
#include "image/reference.h"
#include "image/store.h"

#define ONLY_HELP                                                                                                      \
  {"help", no_argument, NULL, 'h'}, { NULL, 0, NULL, 0 }

/* Docker's progress lines as a non-terminal sees them ("<id>: Pull complete"). */
static void print_progress(void *ctx, const char *id, const char *status) {
  if (*(bool *)ctx)
    return;
  if (id)
    printf("%s: %s\n", id, status);
  else
    printf("%s\n", status);
  fflush(stdout);
}

int cmd_pull(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"platform", required_argument, NULL, 'p'},
                                       {"tls-verify", required_argument, NULL, 't'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       ONLY_HELP};
  bool quiet = false;
  hull_pull_opts o = {.progress = print_progress, .ctx = &quiet};
  cleanup_free char *platform = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:qah", opts, NULL)) != -1) {
    if (c == 'q') {
      quiet = true;
    } else if (c == 'a') {
      return hull_usage_error(err, "pull", "--all-tags is not supported yet");
    } else if (c == 't') {
      o.insecure = strcmp(optarg, "false") == 0;
    } else if (c == 'p') {
      free(platform);
      platform = strdup(optarg);
      char *slash = platform ? strchr(platform, '/') : NULL;
      if (slash == NULL)
        return hull_usage_error(err, "pull", "invalid platform \"%s\" (want OS/ARCH)", optarg);
      *slash = '\0';
      o.os = platform;
      o.arch = slash + 1;
      slash = strchr(slash + 1, '/');
      if (slash)
        *slash = '\0'; /* the variant is not matched yet */
    } else {
      int r = hull_cli_common_opt(c, "pull", "pull [OPTIONS] NAME[:TAG|@DIGEST]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_usage_error(err, "pull", "\"hull pull\" requires exactly 1 argument.");
  hull_ref ref;
  if (hull_ref_parse(argv[optind], &ref, err) < 0)
    return -1;
  cleanup_free char *name = hull_ref_name(&ref);
  if (!quiet && name)
    printf("%s: Pulling from %s\n", ref.tag ? ref.tag : ref.digest, hull_ref_familiar(name) + 0);
  hull_ref_free(&ref);
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  hull_pull_result res;
  if (hull_image_pull(s, argv[optind], &o, &res, err) < 0)
    return -1;
  if (!quiet) {
    printf("Digest: %s\n", res.manifest_digest);
    printf("Status: %s for %s\n", res.up_to_date ? "Image is up to date" : "Downloaded newer image",
           hull_ref_familiar(res.name));
  }
  printf("%s\n", res.name);
  cleanup_json json_t *a = json_pack("{s:s}", "name", hull_ref_familiar(res.name));
  hull_event_at(g->root, "image", "pull", res.name, a);
  free(res.name);
  return 0;
}

int cmd_push(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"tls-verify", required_argument, NULL, 't'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       ONLY_HELP};
  bool quiet = false;
  hull_push_opts o = {.progress = print_progress, .ctx = &quiet};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, "+:qah", opts, NULL)) != -1) {
    if (c == 'q') {
      quiet = true;
    } else if (c == 'a') {
      return hull_usage_error(err, "push", "--all-tags is not supported yet");
    } else if (c == 't') {
      o.insecure = strcmp(optarg, "false") == 0;
    } else {
      int r = hull_cli_common_opt(c, "push", "push [OPTIONS] NAME[:TAG]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_usage_error(err, "push", "\"hull push\" requires exactly 1 argument.");
  hull_ref ref;
  if (hull_ref_parse(argv[optind], &ref, err) < 0)
    return -1;
  cleanup_free char *name = hull_ref_name(&ref);
  hull_ref_free(&ref);
  if (!quiet && name)
    printf("The push refers to repository [%s]\n", hull_ref_familiar(name));
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  hull_push_result res;
  if (hull_image_push(s, argv[optind], &o, &res, err) < 0)
    return -1;
  if (!quiet)
    printf("%s: digest: %s size: %zu\n", res.tag, res.digest, res.size);
  free(res.tag);
  return 0;
}
