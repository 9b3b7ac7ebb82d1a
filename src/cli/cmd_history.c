/* hull history, hull image prune. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "image/image.h"
#include "image/prune.h"
#include "image/store.h"

#define ONLY_HELP                                                                                                      \
  {"help", no_argument, NULL, 'h'}, { NULL, 0, NULL, 0 }

/* ---- history ---- */

static const char *const history_titles[] = {
    "ID",         "IMAGE", "CreatedSince", "CREATED", "CreatedAt", "CREATED AT", "CreatedBy",
    "CREATED BY", "Size",  "SIZE",         "Comment", "COMMENT",   NULL};

/* Docker's Ellipsis: at most max characters (UTF-8 aware), the last one "…" when cut. */
static char *ellipsis(const char *s, size_t max) {
  size_t chars = 0, i = 0;
  for (; s[i]; i++)
    if (((unsigned char)s[i] & 0xc0) != 0x80)
      chars++;
  if (chars <= max)
    return strdup(s);
  size_t n = 0;
  for (i = 0; s[i]; i++) {
    if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max - 1)
      break;
  }
  char *out = malloc(i + 4);
  if (out) {
    memcpy(out, s, i);
    memcpy(out + i, "\xe2\x80\xa6", 4);
  }
  return out;
}

static void rfc3339(int64_t t, char *out, size_t len) {
  struct tm tm;
  time_t tt = (time_t)t;
  gmtime_r(&tt, &tm);
  strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One row as Docker's --format sees it (keys in the order its json prints them). */
static json_t *history_row(json_t *h, bool human, bool trunc) {
  int64_t created = (int64_t)json_integer_value(json_object_get(h, "Created"));
  json_int_t size = json_integer_value(json_object_get(h, "Size"));
  char at[64], since[80], sz[32], idbuf[80];
  rfc3339(created, at, sizeof(at));
  if (human) {
    hull_human_duration((int64_t)time(NULL) - created, since, sizeof(since));
    strncat(since, " ago", sizeof(since) - strlen(since) - 1);
    hull_human_size((uint64_t)size, sz, sizeof(sz));
  } else {
    snprintf(since, sizeof(since), "%s", at);
    snprintf(sz, sizeof(sz), "%lld", (long long)size);
  }
  const char *id = json_string_value(json_object_get(h, "Id"));
  const char *colon = strchr(id, ':');
  snprintf(idbuf, sizeof(idbuf), "%s", trunc && colon ? colon + 1 : id);
  if (trunc)
    idbuf[12 < strlen(idbuf) ? 12 : strlen(idbuf)] = '\0';
  cleanup_free char *by = strdup(json_string_value(json_object_get(h, "CreatedBy")));
  for (char *p = by; p && *p; p++)
    if (*p == '\t')
      *p = ' ';
  cleanup_free char *shown = by && trunc ? ellipsis(by, 45) : NULL;
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", json_string_value(json_object_get(h, "Comment")),
                   "CreatedAt", at, "CreatedBy",
                   shown ? shown
                   : by  ? by
                         : "",
                   "CreatedSince", since, "ID", idbuf, "Size", sz);
}

static int parse_bool(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
    *out = true;
  else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

int cmd_history(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"human", optional_argument, NULL, 'H'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"format", required_argument, NULL, 'F'},
                                       ONLY_HELP};
  bool human = true, trunc = true, quiet = false;
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":Hqh", opts, NULL)) != -1) {
    if (c == 'H') {
      if (parse_bool(optarg, &human) < 0)
        return hull_usage_error(err, "history", "invalid argument \"%s\" for \"-H, --human\" flag", optarg);
    } else if (c == 'T') {
      trunc = false;
    } else if (c == 'q') {
      quiet = true;
    } else if (c == 'F') {
      format = optarg;
    } else {
      int r = hull_cli_common_opt(c, "history", "history [OPTIONS] IMAGE", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind != 1)
    return hull_args_error(err, "history", "\"hull history\" requires exactly 1 argument.");
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_READ, &s, err) < 0)
    return -1;
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_resolve(s, argv[optind], id, NULL, err) < 0)
    return -1;
  cleanup_json json_t *rows = hull_image_history(s, id, err);
  if (rows == NULL)
    return -1;
  /* -q is the IDs, one a line: a template without a table. */
  hull_listing l;
  hull_listing_start(&l, quiet ? "{{.ID}}" : format,
                     "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", history_titles, false);
  size_t i;
  json_t *h;
  int rc = 0;
  json_array_foreach(rows, i, h) {
    cleanup_json json_t *row = history_row(h, human, trunc);
    const char *terr;
    if (hull_listing_add(&l, row, &terr) < 0) {
      rc = row ? hull_usage_error(err, "history", "template parsing error: %s", terr)
               : hull_error(err, ENOMEM, "history");
      break;
    }
  }
  hull_listing_end(&l, rc == 0);
  return rc;
}

/* ---- image prune ---- */

void hull_cli_print_deleted_images(const hull_rmi_report *rep) {
  for (size_t i = 0; i < rep->n; i++) {
    const char *l = rep->lines[i];
    if (i == 0)
      printf("Deleted Images:\n");
    if (strncmp(l, "Untagged: ", 10) == 0)
      printf("untagged: %s\n", l + 10);
    else if (strncmp(l, "Deleted: ", 9) == 0)
      printf("deleted: %s\n", l + 9);
    else
      printf("%s\n", l);
  }
  if (rep->n)
    printf("\n");
}

int cmd_image_prune(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"force", no_argument, NULL, 'f'},
                                       {"filter", required_argument, NULL, 'F'},
                                       ONLY_HELP};
  cleanup_prune_filter hull_prune_filter f = {0};
  bool all = false, force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":afh", opts, NULL)) != -1) {
    if (c == 'a') {
      all = true;
    } else if (c == 'f') {
      force = true;
    } else if (c == 'F') {
      if (hull_prune_filter_add(&f, "image prune", optarg, err) < 0)
        return -1;
    } else {
      int r = hull_cli_common_opt(c, "image prune", "image prune [OPTIONS]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind != argc)
    return hull_usage_error(err, "image prune", "\"hull image prune\" accepts no arguments.");
  if (hull_prune_filter_parse(&f, HULL_PRUNE_LABEL | HULL_PRUNE_UNTIL | HULL_PRUNE_DANGLING, all, hull_now_ns(), err) <
      0)
    return -1;
  hull_rmi_report rep = {0};
  if (force ||
      hull_confirm(all ? "WARNING! This will remove all images without at least one container associated to "
                         "them.\nAre you sure you want to continue?"
                       : "WARNING! This will remove all dangling images.\nAre you sure you want to continue?")) {
    cleanup_store hull_store *s = NULL;
    if (hull_store_open(g->root, HULL_STORE_EXCLUSIVE, &s, err) < 0)
      return -1;
    if (hull_image_prune(s, &f, &rep, err) < 0) {
      hull_rmi_report_free(&rep);
      return -1;
    }
  }
  hull_cli_print_deleted_images(&rep);
  char sz[32];
  hull_human_size_digits(rep.reclaimed, 4, sz, sizeof(sz)); /* Docker's HumanSize */
  printf("Total reclaimed space: %s\n", sz);
  hull_rmi_report_free(&rep);
  return 0;
}
