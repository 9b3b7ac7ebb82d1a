/* hull pull, hull push. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#define MAX_IDS 256
/* Plain output: one "Downloading" line per this many bytes of a layer. */
#define PLAIN_EVERY (32 << 20)
#define BAR_WIDTH 50

/* pull's progress as Docker draws it: on a terminal one line per layer, redrawn in place
 * with a bar ("abc: Downloading [==>   ]  12.3MB/45.6MB"); otherwise plain lines, the
 * byte counts only every PLAIN_EVERY. Events come from several threads. */
typedef struct pull_out {
  bool quiet, tty;
  pthread_mutex_t lock;
  size_t n;
  char ids[MAX_IDS][16];
  uint64_t next_plain[MAX_IDS];
} pull_out;

/* Docker's sizes: decimal units, 4 significant digits ("12.35MB"). */
static void human(uint64_t v, char *out, size_t len) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB"};
  double d = (double)v;
  size_t u = 0;
  while (d >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
    d /= 1000;
    u++;
  }
  snprintf(out, len, "%.4g%s", d, units[u]);
}

static void bar(const hull_pull_progress *p, char *out, size_t len) {
  char cur[16], tot[16];
  human(p->current, cur, sizeof(cur));
  if (p->total == 0 || p->current > p->total) {
    snprintf(out, len, " %8s", cur);
    return;
  }
  human(p->total, tot, sizeof(tot));
  int done = (int)(p->current * BAR_WIDTH / p->total);
  char b[BAR_WIDTH + 2];
  memset(b, '=', (size_t)done);
  b[done] = '>';
  memset(b + done + 1, ' ', (size_t)(BAR_WIDTH - done));
  b[BAR_WIDTH + 1] = '\0';
  snprintf(out, len, " [%s] %8s/%s", b, cur, tot);
}

static size_t line_of(pull_out *o, const char *id, bool *is_new) {
  *is_new = false;
  for (size_t i = 0; i < o->n; i++)
    if (strcmp(o->ids[i], id) == 0)
      return i;
  if (o->n == MAX_IDS)
    return MAX_IDS;
  snprintf(o->ids[o->n], sizeof(o->ids[0]), "%s", id);
  *is_new = true;
  o->next_plain[o->n] = PLAIN_EVERY;
  return o->n++;
}

static void print_pull_progress(void *ctx, const hull_pull_progress *p) {
  pull_out *o = ctx;
  if (o->quiet)
    return;
  char extra[128] = "";
  bool counted = p->current || p->total;
  if (counted)
    bar(p, extra, sizeof(extra));
  pthread_mutex_lock(&o->lock);
  bool is_new = false;
  size_t line = p->id ? line_of(o, p->id, &is_new) : MAX_IDS;
  if (p->id == NULL || line == MAX_IDS) {
    printf("%s%s%s\n", p->id ? p->id : "", p->id ? ": " : "", p->status);
  } else if (o->tty) {
    /* Up to the layer's line, clear it, write, and back down (Docker's jsonmessage). */
    size_t up = o->n - line - (is_new ? 1 : 0);
    if (!is_new && up)
      printf("\033[%zuA", up);
    printf("\033[2K\r%s: %s%s\n", p->id, p->status, extra);
    if (!is_new && up > 1)
      printf("\033[%zuB", up - 1);
  } else if (!counted) {
    printf("%s: %s\n", p->id, p->status);
  } else if (p->current >= o->next_plain[line]) {
    char cur[16];
    human(p->current, cur, sizeof(cur));
    printf("%s: %s %s\n", p->id, p->status, cur);
    o->next_plain[line] = p->current + PLAIN_EVERY;
  }
  if (!counted && line < MAX_IDS)
    o->next_plain[line] = PLAIN_EVERY; /* the next phase's first line after PLAIN_EVERY bytes */
  fflush(stdout);
  pthread_mutex_unlock(&o->lock);
}

/* The options pull and push share (-q, --tls-verify, --authfile, --all-tags): 1 when c was
 * one of them, 0 when it was not, -1 with the error set for a bad value. */
static int registry_opt(int c, const char *cmd, bool *quiet, bool *insecure, const char **authfile, hull_err *err) {
  switch (c) {
  case 'q':
    *quiet = true;
    return 1;
  case 'a':
    return hull_usage_error(err, cmd, "--all-tags is not supported yet");
  case 't':
    return hull_cli_tls_verify(cmd, optarg, insecure, err) < 0 ? -1 : 1;
  case 'A':
    *authfile = optarg;
    return 1;
  default:
    return 0;
  }
}

int cmd_pull(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                       {"platform", required_argument, NULL, 'p'},
                                       {"tls-verify", required_argument, NULL, 't'},
                                       {"authfile", required_argument, NULL, 'A'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       ONLY_HELP};
  static pull_out out = {.lock = PTHREAD_MUTEX_INITIALIZER};
  out.tty = isatty(STDOUT_FILENO);
  bool quiet = false;
  hull_pull_opts o = {.progress = print_pull_progress, .ctx = &out};
  cleanup_free char *platform = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":qah", opts, NULL)) != -1) {
    int r = registry_opt(c, "pull", &quiet, &o.insecure, &o.authfile, err);
    if (r < 0)
      return -1;
    if (r > 0)
      continue;
    if (c == 'p') {
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
      r = hull_cli_common_opt(c, "pull", "pull [OPTIONS] NAME[:TAG|@DIGEST]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "pull", "\"hull pull\" requires exactly 1 argument.");
  out.quiet = quiet;
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
                                       {"authfile", required_argument, NULL, 'A'},
                                       {"all-tags", no_argument, NULL, 'a'},
                                       ONLY_HELP};
  bool quiet = false;
  hull_push_opts o = {.progress = print_progress, .ctx = &quiet};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":qah", opts, NULL)) != -1) {
    int r = registry_opt(c, "push", &quiet, &o.insecure, &o.authfile, err);
    if (r < 0)
      return -1;
    if (r == 0) {
      r = hull_cli_common_opt(c, "push", "push [OPTIONS] NAME[:TAG]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "push", "\"hull push\" requires exactly 1 argument.");
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
