/* hull images, tag, rmi, image inspect, load, save, import. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/events.h"
#include "image/archive.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/store.h"

#define ONLY_HELP                                                                                                      \
  {"help", no_argument, NULL, 'h'}, { NULL, 0, NULL, 0 }

static int open_store(hull_cli *g, enum hull_store_mode mode, hull_store **s, hull_err *err) {
  return hull_store_open(g->root, mode, s, err);
}

/* ---- images ---- */

static const char *const image_titles[] = {"Repository", "REPOSITORY",   "Tag",     "TAG",       "ID",
                                           "IMAGE ID",   "CreatedSince", "CREATED", "CreatedAt", "CREATED AT",
                                           "Size",       "SIZE",         "Digest",  "DIGEST",    NULL};

/* One row of `images` as the object Docker's --format sees. Digest is the manifest's, the
 * one NAME@DIGEST resolves to. */
static json_t *image_row(const char *id, int64_t created, uint64_t size, const char *tag, const char *manifest,
                         bool no_trunc) {
  char since[64], sz[32], at[64], idbuf[80];
  hull_human_duration((int64_t)time(NULL) - created, since, sizeof(since));
  strncat(since, " ago", sizeof(since) - strlen(since) - 1);
  hull_human_size(size, sz, sizeof(sz));
  struct tm tm;
  time_t t = (time_t)created;
  gmtime_r(&t, &tm);
  strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  snprintf(idbuf, sizeof(idbuf), "%s", no_trunc ? id : id + 7);
  if (!no_trunc)
    idbuf[12] = '\0';
  char repo[512] = "<none>", tg[160] = "<none>";
  if (tag) {
    const char *fam = hull_ref_familiar(tag);
    const char *colon = strrchr(fam, ':');
    if (colon && !strchr(colon, '/')) {
      snprintf(repo, sizeof(repo), "%.*s", (int)(colon - fam), fam);
      snprintf(tg, sizeof(tg), "%s", colon + 1);
    }
  }
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A", "CreatedAt", at,
                   "CreatedSince", since, "Digest", manifest ? manifest : "<none>", "ID", idbuf, "Repository", repo,
                   "SharedSize", "N/A", "Size", sz, "Tag", tg, "UniqueSize", "N/A", "VirtualSize", sz);
}

/* Docker's `images --filter`: every kind given must match; labels all, references any. */
typedef struct image_filter {
  const char *dangling;
  const char *references[16];
  size_t n_references;
  const char *labels[16];
  size_t n_labels;
  int64_t before, since; /* creation times (exclusive bounds), 0 for none */
} image_filter;

/* A label filter over the image's config (see hull_labels_match). */
static bool image_has_label(hull_store *s, const char *id, const char *want) {
  size_t len;
  hull_err e = NULL;
  cleanup_free char *text = hull_blob_read(s, id, &len, &e);
  hull_error_release(&e); /* an unreadable config has no labels (system check reports it) */
  cleanup_json json_t *c = text ? json_loadb(text, len, 0, NULL) : NULL;
  return hull_labels_match(json_object_get(json_object_get(c, "config"), "Labels"), want);
}

/* A reference filter is a shell pattern over NAME or NAME:TAG, as Docker matches it. */
static bool reference_matches(json_t *row, const char *pattern) {
  const char *repo = json_string_value(json_object_get(row, "Repository"));
  char full[700];
  snprintf(full, sizeof(full), "%s:%s", repo, json_string_value(json_object_get(row, "Tag")));
  return fnmatch(pattern, repo, 0) == 0 || fnmatch(pattern, full, 0) == 0;
}

static bool row_matches(hull_store *s, const char *id, int64_t created, json_t *row, const image_filter *f) {
  bool untagged = strcmp(json_string_value(json_object_get(row, "Tag")), "<none>") == 0;
  if (f->dangling && (strcmp(f->dangling, "true") == 0) != untagged)
    return false;
  if ((f->before && created >= f->before) || (f->since && created <= f->since))
    return false;
  bool any = f->n_references == 0;
  for (size_t i = 0; !any && i < f->n_references; i++)
    any = reference_matches(row, f->references[i]);
  if (!any)
    return false;
  for (size_t i = 0; i < f->n_labels; i++)
    if (!image_has_label(s, id, f->labels[i]))
      return false;
  return true;
}

/* before=/since= name an image; its creation time is the bound. */
static int filter_time(hull_store *s, const char *name, int64_t *out, hull_err *err) {
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_resolve(s, name, id, NULL, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT created FROM images WHERE id = ?", err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return hull_error_code(err, ENOENT, "No such image: %s", name);
  *out = sqlite3_column_int64(st, 0);
  return 0;
}

/* Parses one --filter; the image-naming ones are resolved once the store is open. */
static int parse_filter(const char *arg, image_filter *f, const char **before, const char **since, hull_err *err) {
  if (strncmp(arg, "dangling=", 9) == 0 && (strcmp(arg + 9, "true") == 0 || strcmp(arg + 9, "false") == 0))
    f->dangling = arg + 9;
  else if (strncmp(arg, "reference=", 10) == 0 && f->n_references < 16)
    f->references[f->n_references++] = arg + 10;
  else if (strncmp(arg, "label=", 6) == 0 && arg[6] && f->n_labels < 16)
    f->labels[f->n_labels++] = arg + 6;
  else if (strncmp(arg, "before=", 7) == 0 && arg[7])
    *before = arg + 7;
  else if (strncmp(arg, "since=", 6) == 0 && arg[6])
    *since = arg + 6;
  else
    return hull_usage_error(err, "images", "invalid filter '%s'", arg);
  return 0;
}

/* Rows newest first; "intermediate" is an untagged image that is another's parent, which
 * Docker lists only with -a. The parents are collected once (a correlated EXISTS per row
 * scanned all images for each: 21 ms instead of 7 with 500 images). */
static const char images_query[] =
    "SELECT i.id, i.created, i.size, t.name, i.manifest, t.name IS NULL AND p.parent IS NOT NULL "
    "FROM images i LEFT JOIN tags t ON t.image_id = i.id "
    "LEFT JOIN (SELECT DISTINCT parent FROM images WHERE parent IS NOT NULL) p ON p.parent = i.id "
    "ORDER BY i.created DESC, i.id, t.name";

static const char *images_default(bool digests) {
  return digests ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                 : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
}

int cmd_images(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"no-trunc", no_argument, NULL, 'T'},
                                       {"digests", no_argument, NULL, 'd'},
                                       {"format", required_argument, NULL, 'F'},
                                       {"filter", required_argument, NULL, 'f'},
                                       ONLY_HELP};
  bool quiet = false, no_trunc = false, all = false, digests = false;
  const char *format = NULL, *before = NULL, *since = NULL;
  image_filter f = {0};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":aqf:h", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      all = true;
      break;
    case 'd':
      digests = true;
      break;
    case 'q':
      quiet = true;
      break;
    case 'T':
      no_trunc = true;
      break;
    case 'F':
      format = optarg;
      break;
    case 'f':
      if (parse_filter(optarg, &f, &before, &since, err) < 0)
        return -1;
      break;
    default: {
      int r = hull_cli_common_opt(c, "images", "images [OPTIONS] [REPOSITORY[:TAG]]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
    }
  }
  if (optind < argc && f.n_references < 16)
    f.references[f.n_references++] = argv[optind];
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_READ, &s, err) < 0)
    return -1;
  if ((before && filter_time(s, before, &f.before, err) < 0) || (since && filter_time(s, since, &f.since, err) < 0))
    return -1;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, images_query, err);
  if (st == NULL)
    return -1;
  hull_listing l;
  hull_listing_start(&l, format, images_default(digests), image_titles, quiet);
  int rc = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    int64_t created = sqlite3_column_int64(st, 1);
    if (!all && sqlite3_column_int(st, 5))
      continue;
    cleanup_json json_t *row =
        image_row(id, created, (uint64_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
                  (const char *)sqlite3_column_text(st, 4), no_trunc);
    if (row == NULL || !row_matches(s, id, created, row, &f))
      continue;
    if (quiet) {
      /* One line per row, as Docker prints them (an image with two tags appears twice). */
      printf("%s\n", json_string_value(json_object_get(row, "ID")));
      continue;
    }
    const char *terr;
    if (hull_listing_add(&l, row, &terr) < 0) {
      rc = hull_usage_error(err, "images", "template parsing error: %s", terr);
      break;
    }
  }
  hull_listing_end(&l, rc == 0);
  return rc;
}

/* ---- tag ---- */

int cmd_tag(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {ONLY_HELP};
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    int r = hull_cli_common_opt(c, "tag", "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  if (argc - optind != 2)
    return hull_args_error(err, "tag", "\"hull tag\" requires exactly 2 arguments.");
  hull_ref ref;
  if (hull_ref_parse(argv[optind + 1], &ref, err) < 0)
    return -1;
  cleanup_free char *full = hull_ref_string(&ref);
  bool digest = ref.tag == NULL;
  hull_ref_free(&ref);
  if (digest)
    return hull_error(err, EINVAL, "refusing to create a tag with a digest reference");
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_resolve(s, argv[optind], id, NULL, err) < 0 || hull_image_tag(s, id, full, err) < 0)
    return -1;
  cleanup_json json_t *a = json_pack("{s:s}", "name", hull_ref_familiar(full));
  hull_event_at(g->root, "image", "tag", id, a);
  return 0;
}

/* ---- rmi ---- */

int cmd_rmi(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"force", no_argument, NULL, 'f'}, {"no-prune", no_argument, NULL, 'P'}, ONLY_HELP};
  bool force = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
    if (c == 'f') {
      force = true;
    } else if (c != 'P') {
      int r = hull_cli_common_opt(c, "rmi", "rmi [OPTIONS] IMAGE [IMAGE...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind == argc)
    return hull_args_error(err, "rmi", "\"hull rmi\" requires at least 1 argument.");
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_EXCLUSIVE, &s, err) < 0)
    return -1;
  /* Like Docker: every argument is tried, errors are printed as they come, and the exit
   * status says whether any failed. */
  int failed = 0;
  for (int i = optind; i < argc; i++) {
    hull_rmi_report rep = {0};
    hull_err e = NULL;
    int r = hull_image_remove(s, argv[i], force, &rep, &e);
    for (size_t k = 0; k < rep.n; k++) {
      printf("%s\n", rep.lines[k]);
      /* Docker's image events: untag, then delete, named by the line's object. */
      const char *l = rep.lines[k];
      bool untag = strncmp(l, "Untagged: ", 10) == 0, del = strncmp(l, "Deleted: ", 9) == 0;
      if (untag || del) {
        cleanup_json json_t *a = json_pack("{s:s}", "name", argv[i]);
        hull_event_at(g->root, "image", untag ? "untag" : "delete", l + (untag ? 10 : 9), a);
      }
    }
    hull_rmi_report_free(&rep);
    if (r < 0) {
      if (i + 1 == argc && failed == 0) {
        *err = e;
        return -1;
      }
      fprintf(stderr, "Error: %s\n", e->msg);
      hull_error_release(&e);
      failed++;
    }
  }
  if (failed)
    return hull_error(err, 0, "%d of %d images could not be removed", failed, argc - optind);
  return 0;
}

/* ---- image inspect ---- */

int cmd_image_inspect(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, ONLY_HELP};
  const char *format = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
    if (c == 'f') {
      format = optarg;
    } else {
      int r = hull_cli_common_opt(c, "image inspect", "image inspect [OPTIONS] IMAGE [IMAGE...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind == argc)
    return hull_args_error(err, "image inspect", "\"hull image inspect\" requires at least 1 argument.");
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_READ, &s, err) < 0)
    return -1;
  /* As Docker: what was found is printed, then an error line per name that was not. */
  cleanup_json json_t *all = json_array();
  cleanup_err hull_err failed = NULL;
  for (int i = optind; i < argc; i++) {
    char id[HULL_DIGEST_LEN + 1];
    hull_err e1 = NULL;
    json_t *o = NULL;
    if (hull_image_resolve(s, argv[i], id, NULL, &e1) < 0 || (o = hull_image_inspect(s, id, &e1)) == NULL) {
      hull_cli_add_failure(&failed, &e1);
      continue;
    }
    json_array_append_new(all, o);
  }
  if (hull_cli_print_inspect("image inspect", all, format, err) < 0)
    return -1;
  return hull_cli_failures(&failed, err);
}

/* ---- load / save / import ---- */

int cmd_load(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"input", required_argument, NULL, 'i'}, {"quiet", no_argument, NULL, 'q'}, ONLY_HELP};
  const char *input = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":i:qh", opts, NULL)) != -1) {
    if (c == 'i') {
      input = optarg;
    } else if (c == 'q') {
      /* Docker's -q silences only the progress bars, which load does not draw: the
       * "Loaded image" lines are still printed, and scripts read them. */
    } else {
      int r = hull_cli_common_opt(c, "load", "load [OPTIONS]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind != argc)
    return hull_usage_error(err, "load", "\"hull load\" accepts no arguments.");
  cleanup_close int fd = input ? open(input, O_RDONLY | O_CLOEXEC) : dup(0);
  if (fd < 0)
    return hull_error_sys(err, "open %s", input ? input : "stdin");
  if (!input && isatty(fd))
    return hull_usage_error(err, "load", "requested load from stdin, but stdin is empty");
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  cleanup_strv char **loaded = NULL;
  if (hull_image_load(s, fd, &loaded, err) < 0)
    return hull_error_wrap(err, "load %s", input ? input : "stdin");
  for (size_t i = 0; loaded[i]; i++)
    printf("%s\n", loaded[i]);
  return 0;
}

int cmd_save(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"format", required_argument, NULL, 'F'}, ONLY_HELP};
  const char *output = NULL;
  enum hull_save_format format = HULL_SAVE_DOCKER;
  int c;
  optind = 0;
  /* No "+": as Docker, flags may follow the image names (`save busybox -o x.tar`); an
   * image name never starts with '-'. */
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'o') {
      output = optarg;
    } else if (c == 'F') {
      if (strcmp(optarg, "docker-archive") == 0)
        format = HULL_SAVE_DOCKER;
      else if (strcmp(optarg, "oci-archive") == 0)
        format = HULL_SAVE_OCI;
      else
        return hull_usage_error(err, "save", "unknown format \"%s\" (docker-archive or oci-archive)", optarg);
    } else {
      int r = hull_cli_common_opt(c, "save", "save [OPTIONS] IMAGE [IMAGE...]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (optind == argc)
    return hull_args_error(err, "save", "\"hull save\" requires at least 1 argument.");
  if (output == NULL && isatty(1))
    return hull_usage_error(err, "save", "cowardly refusing to save to a terminal. Use the -o flag or redirect");
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  /* As Docker, every name is resolved before a byte is written, so that stdout gets no
   * partial archive for a name that does not exist. */
  for (int i = optind; i < argc; i++) {
    char id[HULL_DIGEST_LEN + 1];
    cleanup_free char *tag = NULL;
    if (hull_image_resolve(s, argv[i], id, &tag, err) < 0)
      return -1;
  }
  /* The archive appears under its name only when complete. */
  cleanup_free char *tmp = NULL;
  if (output && asprintf(&tmp, "%s.hull-tmp-%d", output, (int)getpid()) < 0)
    return hull_error(err, ENOMEM, "save");
  cleanup_close int fd = output ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644) : dup(1);
  if (fd < 0)
    return hull_error_sys(err, "open %s", output ? tmp : "stdout");
  if (hull_image_save(s, (const char *const *)argv + optind, (size_t)(argc - optind), format, fd, err) < 0 ||
      (output && (fsync(fd) < 0 || rename(tmp, output) < 0))) {
    if (*err == NULL)
      hull_error_sys(err, "write %s", output);
    if (output)
      unlink(tmp);
    return -1;
  }
  return 0;
}

int cmd_import(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
                                       {"message", required_argument, NULL, 'm'},
                                       {"platform", required_argument, NULL, 'p'},
                                       ONLY_HELP};
  const char *changes[64];
  size_t n_changes = 0;
  const char *message = NULL;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":c:m:h", opts, NULL)) != -1) {
    if (c == 'c') {
      if (n_changes == 64)
        return hull_usage_error(err, "import", "too many --change flags");
      changes[n_changes++] = optarg;
    } else if (c == 'm') {
      message = optarg;
    } else if (c == 'p') {
      if (strcmp(optarg, "linux/amd64") != 0)
        return hull_error(err, EINVAL, "import: platform %s is not supported (linux/amd64 only)", optarg);
    } else {
      int r = hull_cli_common_opt(c, "import", "import [OPTIONS] file|- [REPOSITORY[:TAG]]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  if (argc - optind < 1 || argc - optind > 2)
    return hull_args_error(err, "import", "\"hull import\" requires at least 1 and at most 2 arguments.");
  const char *src = argv[optind];
  const char *tag = argc - optind == 2 ? argv[optind + 1] : NULL;
  cleanup_close int fd = strcmp(src, "-") == 0 ? dup(0) : open(src, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open %s", src);
  cleanup_store hull_store *s = NULL;
  if (open_store(g, HULL_STORE_WRITE, &s, err) < 0)
    return -1;
  char id[HULL_DIGEST_LEN + 1];
  if (hull_image_import(s, fd, src, tag, changes, n_changes, message, id, err) < 0)
    return hull_error_wrap(err, "import %s", src);
  printf("%s\n", id);
  return 0;
}
