/* hull system df, hull system check. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/cleanup.h"
#include "engine/engine.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/store.h"
#include "storage/overlay.h"
#include "storage/rmtree.h"

#define ONLY_HELP                                                                                                      \
  {"help", no_argument, NULL, 'h'}, { NULL, 0, NULL, 0 }

static int64_t query_int(hull_store *s, const char *sql) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, NULL);
  return st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

/* nftw has no context argument; system df is a single-threaded command. */
static uint64_t du_bytes;

static int du_add(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  if (flag == FTW_F || flag == FTW_SL)
    du_bytes += (uint64_t)st->st_size;
  return 0;
}

/* The bytes of the files under dir (Docker's "size" of a container's writable layer or a
 * volume): apparent sizes, symlinks not followed, other mounts not entered, and a missing
 * or unreadable directory counts as empty rather than failing the report. */
static uint64_t dir_bytes(const char *dir) {
  du_bytes = 0;
  if (dir)
    (void)nftw(dir, du_add, 32, FTW_PHYS | FTW_MOUNT);
  return du_bytes;
}

/* For each row of sql (a path under root, bound as ?1, then 1 when the object is in use):
 * the total size and the part not in use. */
static void sum_dirs(hull_store *s, const char *sql, const char *root, uint64_t *size, uint64_t *unused) {
  *size = *unused = 0;
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, NULL);
  if (st)
    sqlite3_bind_text(st, 1, root, -1, SQLITE_STATIC);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    uint64_t n = dir_bytes((const char *)sqlite3_column_text(st, 0));
    *size += n;
    if (!sqlite3_column_int(st, 1))
      *unused += n;
  }
}

/* One row of the table in Docker's words: the reclaimable share in percent only when there
 * is any size at all. */
static void df_row(hull_table *t, const char *type, int64_t total, int64_t active, uint64_t size, uint64_t unused) {
  char sz[32], rec[32], line[256];
  hull_human_size(size, sz, sizeof(sz));
  hull_human_size(unused, rec, sizeof(rec));
  if (size)
    snprintf(line, sizeof(line), "%s\t%lld\t%lld\t%s\t%s (%llu%%)", type, (long long)total, (long long)active, sz, rec,
             (unsigned long long)(unused * 100 / size));
  else
    snprintf(line, sizeof(line), "%s\t%lld\t%lld\t%s\t%s", type, (long long)total, (long long)active, sz, rec);
  hull_table_add_tabbed(t, line);
}

/* "3 minutes ago" for a time in seconds since the epoch. */
static void ago(int64_t when, char *out, size_t len) {
  hull_human_duration((int64_t)time(NULL) - when, out, len);
  strncat(out, " ago", len - strlen(out) - 1);
}

/* Docker's "Images space usage" table: a row per tag (untagged images as <none>), with the
 * size of the image's distinct layers split into the part other images share and the rest. */
static void df_images_verbose(hull_store *s) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "WITH il AS (SELECT DISTINCT image_id, chain_id FROM image_layers) "
      "SELECT i.id, i.created, t.name, "
      "(SELECT coalesce(sum(l.size), 0) FROM layers l JOIN il ON il.chain_id = l.chain_id WHERE il.image_id = i.id), "
      "(SELECT coalesce(sum(l.size), 0) FROM layers l JOIN il ON il.chain_id = l.chain_id WHERE il.image_id = i.id "
      " AND EXISTS (SELECT 1 FROM il o WHERE o.chain_id = l.chain_id AND o.image_id != i.id)), "
      "(SELECT count(*) FROM containers c WHERE c.image_id = i.id) "
      "FROM images i LEFT JOIN tags t ON t.image_id = i.id ORDER BY i.created DESC, i.id, t.name",
      NULL);
  hull_table t = {0};
  hull_table_add_tabbed(&t, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS");
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0), *tag = (const char *)sqlite3_column_text(st, 2);
    uint64_t size = (uint64_t)sqlite3_column_int64(st, 3), shared = (uint64_t)sqlite3_column_int64(st, 4);
    char repo[512] = "<none>", tg[160] = "<none>", since[64], sz[32], sh[32], un[32], line[1024];
    if (tag) {
      const char *fam = hull_ref_familiar(tag), *colon = strrchr(fam, ':');
      if (colon && !strchr(colon, '/')) {
        snprintf(repo, sizeof(repo), "%.*s", (int)(colon - fam), fam);
        snprintf(tg, sizeof(tg), "%s", colon + 1);
      }
    }
    ago(sqlite3_column_int64(st, 1), since, sizeof(since));
    hull_human_size(size, sz, sizeof(sz));
    hull_human_size(shared, sh, sizeof(sh));
    hull_human_size(size - shared, un, sizeof(un));
    snprintf(line, sizeof(line), "%s\t%s\t%.12s\t%s\t%s\t%s\t%s\t%lld", repo, tg, id && strlen(id) > 7 ? id + 7 : "",
             since, sz, sh, un, (long long)sqlite3_column_int64(st, 5));
    hull_table_add_tabbed(&t, line);
  }
  printf("Images space usage:\n\n");
  hull_table_print(&t, stdout);
  hull_table_free(&t);
}

/* Docker's "Containers space usage" table: ps's columns with the writable layer's size and
 * the number of volumes each container mounts. */
static void df_containers_verbose(hull_cli *g, hull_store *s, hull_engine *e, hull_ctr **list, size_t n) {
  hull_table t = {0};
  hull_table_add_tabbed(&t, "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES");
  cleanup_stmt sqlite3_stmt *vol =
      hull_store_prepare(s, "SELECT count(*) FROM container_volumes WHERE ctr_id = ?", NULL);
  for (size_t i = 0; i < n; i++) {
    const hull_ctr *c = list[i];
    char cmd[512] = "", quoted[600], sz[32], since[64], status[128], line[2048];
    size_t k, len = 0;
    json_t *v;
    const char *keys[] = {"Entrypoint", "Cmd"};
    for (int j = 0; j < 2; j++)
      json_array_foreach(json_object_get(c->config, keys[j]), k, v) len += (size_t)snprintf(
          cmd + len, len < sizeof(cmd) ? sizeof(cmd) - len : 0, "%s%s", len ? " " : "", json_string_value(v));
    if (strlen(cmd) > 20)
      snprintf(quoted, sizeof(quoted), "\"%.19s…\"", cmd);
    else
      snprintf(quoted, sizeof(quoted), "\"%s\"", cmd);
    int64_t nvol = 0;
    if (vol) {
      sqlite3_reset(vol);
      sqlite3_bind_text(vol, 1, c->id, -1, SQLITE_STATIC);
      nvol = sqlite3_step(vol) == SQLITE_ROW ? sqlite3_column_int64(vol, 0) : 0;
    }
    cleanup_free char *upper = NULL;
    hull_human_size(asprintf(&upper, "%s/overlay/c/%s/upper", g->root, c->id) < 0 ? 0 : dir_bytes(upper), sz,
                    sizeof(sz));
    ago(c->created / 1000000000, since, sizeof(since));
    hull_cli_ctr_status(e, c, status, sizeof(status));
    const char *img = c->image_name && *c->image_name ? c->image_name : c->image_id;
    snprintf(line, sizeof(line), "%.12s\t%s\t%s\t%lld\t%s\t%s\t%s\t%s", c->id, img ? img : "", quoted, (long long)nvol,
             sz, since, status, c->name ? c->name : "");
    hull_table_add_tabbed(&t, line);
  }
  printf("\nContainers space usage:\n\n");
  hull_table_print(&t, stdout);
  hull_table_free(&t);
}

/* Docker's "Local Volumes space usage" table (LINKS: the containers that mount it) and its
 * build cache section, empty: hull has no builder. */
static void df_volumes_verbose(hull_cli *g, hull_store *s) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT v.name, ?1 || '/volumes/' || v.name || '/_data', (SELECT count(*) FROM container_volumes cv WHERE "
      "cv.name = v.name) FROM volumes v ORDER BY v.name",
      NULL);
  if (st)
    sqlite3_bind_text(st, 1, g->root, -1, SQLITE_STATIC);
  hull_table t = {0};
  hull_table_add_tabbed(&t, "VOLUME NAME\tLINKS\tSIZE");
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    char sz[32], line[1024];
    hull_human_size(dir_bytes((const char *)sqlite3_column_text(st, 1)), sz, sizeof(sz));
    snprintf(line, sizeof(line), "%s\t%lld\t%s", (const char *)sqlite3_column_text(st, 0),
             (long long)sqlite3_column_int64(st, 2), sz);
    hull_table_add_tabbed(&t, line);
  }
  printf("\nLocal Volumes space usage:\n\n");
  hull_table_print(&t, stdout);
  hull_table_free(&t);
  printf("\nBuild cache usage: 0B\n\n");
  hull_table_add_tabbed(&t, "CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED");
  hull_table_print(&t, stdout);
  hull_table_free(&t);
}

int cmd_system_df(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {{"verbose", no_argument, NULL, 'v'}, ONLY_HELP};
  int c;
  bool verbose = false;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
    if (c == 'v') {
      verbose = true;
      continue;
    }
    int r = hull_cli_common_opt(c, "system df", "system df [OPTIONS]", argv, err);
    if (r != 0)
      return r < 0 ? -1 : 0;
  }
  cleanup_store hull_store *s = NULL;
  if (hull_store_open(g->root, HULL_STORE_READ, &s, err) < 0)
    return -1;
  if (verbose) {
    /* Docker's -v: a table per kind of object instead of the summary. */
    cleanup_engine hull_engine *e = NULL;
    hull_ctr **list = NULL;
    size_t n = 0;
    if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0 || hull_ctr_list(e, &list, &n, err) < 0)
      return -1;
    df_images_verbose(s);
    df_containers_verbose(g, s, e, list, n);
    hull_ctr_list_free(list, n);
    df_volumes_verbose(g, s);
    return 0;
  }
  int64_t images = query_int(s, "SELECT count(*) FROM images");
  int64_t active = query_int(s, "SELECT count(DISTINCT image_id) FROM containers WHERE image_id IS NOT NULL");
  /* Layers are shared: the images' size is that of the distinct layers they use. */
  int64_t size = query_int(s, "SELECT coalesce(sum(size), 0) FROM layers WHERE incomplete = 0");
  int64_t used = query_int(s, "SELECT coalesce(sum(size), 0) FROM layers WHERE chain_id IN (SELECT chain_id FROM "
                              "image_layers WHERE image_id IN (SELECT image_id FROM containers))");
  hull_table t = {0};
  hull_table_add_tabbed(&t, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE");
  df_row(&t, "Images", images, active, (uint64_t)size, (uint64_t)(size - used));
  /* Containers: their writable upper directories; a running one's is not reclaimable. */
  /* Containers: their writable upper directories; a running one's is not reclaimable. The
   * engine derives the status (the row says "running" until someone looks). */
  cleanup_engine hull_engine *e = NULL;
  hull_ctr **list = NULL;
  size_t n = 0;
  if (hull_engine_open(g->root, g->runroot, HULL_STORE_READ, &e, err) < 0 || hull_ctr_list(e, &list, &n, err) < 0) {
    hull_table_free(&t);
    return -1;
  }
  uint64_t csize = 0, cunused = 0, vsize, vunused;
  int64_t running = 0;
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *upper = NULL;
    bool live = list[i]->status == HULL_CTR_RUNNING || list[i]->status == HULL_CTR_PAUSED ||
                list[i]->status == HULL_CTR_RESTARTING;
    uint64_t b = asprintf(&upper, "%s/overlay/c/%s/upper", g->root, list[i]->id) < 0 ? 0 : dir_bytes(upper);
    csize += b;
    cunused += live ? 0 : b;
    running += live;
  }
  hull_ctr_list_free(list, n);
  df_row(&t, "Containers", (int64_t)n, running, csize, cunused);
  sum_dirs(s,
           "SELECT ?1 || '/volumes/' || v.name || '/_data', EXISTS (SELECT 1 FROM container_volumes cv WHERE "
           "cv.name = v.name) FROM volumes v",
           g->root, &vsize, &vunused);
  df_row(&t, "Local Volumes", query_int(s, "SELECT count(*) FROM volumes"),
         query_int(s, "SELECT count(DISTINCT name) FROM container_volumes"), vsize, vunused);
  hull_table_add_tabbed(&t, "Build Cache\t0\t0\t0B\t0B");
  hull_table_print(&t, stdout);
  hull_table_free(&t);
  return 0;
}

/* ---- check ---- */

typedef struct checker {
  hull_store *s;
  unsigned problems;
  char **broken; /* images to remove with --repair */
  size_t n_broken;
} checker;

static void problem(checker *k, const char *image, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(checker *k, const char *image, const char *fmt, ...) {
  k->problems++;
  va_list ap;
  va_start(ap, fmt);
  printf("  ");
  vprintf(fmt, ap);
  printf("\n");
  va_end(ap);
  if (image == NULL)
    return;
  for (size_t i = 0; i < k->n_broken; i++)
    if (strcmp(k->broken[i], image) == 0)
      return;
  char **nb = realloc(k->broken, (k->n_broken + 1) * sizeof(*nb));
  if (nb == NULL)
    return;
  k->broken = nb;
  k->broken[k->n_broken++] = strdup(image);
}

/* Rehashes a blob: its content must still be what its name says. */
static int verify_blob(hull_store *s, const char *digest, hull_err *err) {
  cleanup_close int fd = hull_blob_open(s, digest, err);
  if (fd < 0)
    return -1;
  hull_sha256 h;
  if (hull_sha256_init(&h, err) < 0)
    return -1;
  static char buf[1 << 17];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    hull_sha256_update(&h, buf, (size_t)n);
  char got[HULL_DIGEST_LEN + 1];
  hull_sha256_final(&h, got);
  if (n < 0)
    return hull_error_sys(err, "read blob %s", digest);
  if (strcmp(got, digest) != 0)
    return hull_error(err, EIO, "blob %s has content %s", digest, got);
  return 0;
}

static void check_blobs(checker *k) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(k->s, "SELECT image_id, digest FROM image_blobs", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *image = (const char *)sqlite3_column_text(st, 0);
    const char *digest = (const char *)sqlite3_column_text(st, 1);
    hull_err e = NULL;
    if (verify_blob(k->s, digest, &e) < 0)
      problem(k, image, "image %.19s: %s", image, e->msg);
    hull_error_release(&e);
  }
}

static void check_layers(checker *k) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(k->s, "SELECT chain_id, dir, incomplete FROM layers ORDER BY chain_id", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *chain = (const char *)sqlite3_column_text(st, 0);
    const char *dir = (const char *)sqlite3_column_text(st, 1);
    if (sqlite3_column_int(st, 2)) {
      problem(k, NULL, "layer %s: incomplete (left by an interrupted command)%s", chain, "");
      continue;
    }
    char path[160];
    snprintf(path, sizeof(path), "%s/diff", dir);
    struct stat sb;
    if (fstatat(k->s->layersfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode)) {
      cleanup_stmt sqlite3_stmt *users =
          hull_store_prepare(k->s, "SELECT image_id FROM image_layers WHERE chain_id = ?", NULL);
      sqlite3_bind_text(users, 1, chain, -1, SQLITE_STATIC);
      bool any = false;
      while (users && sqlite3_step(users) == SQLITE_ROW) {
        problem(k, (const char *)sqlite3_column_text(users, 0), "layer %s: directory %s missing", chain, dir);
        any = true;
      }
      if (!any)
        problem(k, NULL, "layer %s: directory %s missing", chain, dir);
    }
  }
  /* Layers no image uses, and directories no layer owns. */
  cleanup_stmt sqlite3_stmt *unused = hull_store_prepare(
      k->s,
      "SELECT chain_id FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers) AND chain_id NOT IN "
      "(SELECT chain_id FROM storage_layers)",
      NULL);
  while (unused && sqlite3_step(unused) == SQLITE_ROW)
    problem(k, NULL, "layer %s: used by no image%s", (const char *)sqlite3_column_text(unused, 0), "");
}

static void check_images(checker *k) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(k->s, "SELECT id FROM images", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    size_t len;
    hull_err e = NULL;
    cleanup_free char *text = hull_blob_read(k->s, id, &len, &e);
    hull_error_release(&e);
    cleanup_json json_t *config = text ? json_loadb(text, len, 0, NULL) : NULL;
    if (config == NULL) {
      problem(k, id, "image %s: config unreadable%s", id, "");
      continue;
    }
    json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
    cleanup_stmt sqlite3_stmt *ls =
        hull_store_prepare(k->s, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx", NULL);
    sqlite3_bind_text(ls, 1, id, -1, SQLITE_STATIC);
    size_t i = 0;
    char chain[HULL_DIGEST_LEN + 1] = "";
    bool bad = false;
    while (ls && sqlite3_step(ls) == SQLITE_ROW) {
      const char *diff = json_string_value(json_array_get(diff_ids, i++));
      char want[HULL_DIGEST_LEN + 1];
      hull_err ce = NULL;
      if (diff == NULL || hull_chain_id(i > 1 ? chain : NULL, diff, want, &ce) < 0 ||
          strcmp(want, (const char *)sqlite3_column_text(ls, 0)) != 0)
        bad = true;
      hull_error_release(&ce);
      snprintf(chain, sizeof(chain), "%s", (const char *)sqlite3_column_text(ls, 0));
    }
    if (bad || i != json_array_size(diff_ids))
      problem(k, id, "image %s: layers do not match its config%s", id, "");
  }
}

/* Container storage: rows of interrupted commands, rows whose directory is gone (repair
 * forgets them) and directories no row names (repair removes them). */
static void check_storage(checker *k) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(k->s, "SELECT id, incomplete, read_only FROM storage ORDER BY id", NULL);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    char path[HULL_OVERLAY_ID_MAX + 32];
    snprintf(path, sizeof(path), "overlay/c/%s%s", id, sqlite3_column_int(st, 2) ? "" : "/upper");
    struct stat sb;
    if (sqlite3_column_int(st, 1))
      problem(k, NULL, "container storage %s: incomplete (left by an interrupted command)%s", id, "");
    else if (fstatat(k->s->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
      problem(k, NULL, "container storage %s: directory %s missing", id, path);
  }
  cleanup_close int cfd = openat(k->s->rootfd, "overlay/c", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = cfd >= 0 ? fdopendir(take_fd(&cfd)) : NULL;
  cleanup_stmt sqlite3_stmt *row = hull_store_prepare(k->s, "SELECT 1 FROM storage WHERE id = ?", NULL);
  struct dirent *de;
  while (d && row && (de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    sqlite3_reset(row);
    sqlite3_bind_text(row, 1, de->d_name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(row) != SQLITE_ROW)
      problem(k, NULL, "directory overlay/c/%s: no container storage%s", de->d_name, "");
  }
}

/* Forgets complete storage rows whose directory is gone (the container cannot run). */
static int repair_storage(checker *k, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(k->s, "SELECT id, read_only FROM storage WHERE incomplete = 0", err);
  if (st == NULL)
    return -1;
  cleanup_strv char **gone = calloc(1, sizeof(char *));
  size_t n = 0;
  while (gone && sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    char path[HULL_OVERLAY_ID_MAX + 32];
    snprintf(path, sizeof(path), "overlay/c/%s%s", id, sqlite3_column_int(st, 1) ? "" : "/upper");
    struct stat sb;
    if (fstatat(k->s->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode))
      continue;
    char **ng = realloc(gone, (n + 2) * sizeof(char *));
    if (ng == NULL)
      break;
    gone = ng;
    gone[n] = strdup(id);
    gone[n + 1] = NULL;
    if (gone[n])
      n++;
  }
  sqlite3_reset(st);
  for (size_t i = 0; i < n; i++) {
    if (hull_overlay_remove(k->s, gone[i], err) < 0)
      return -1;
    printf("Removed broken container storage %s\n", gone[i]);
  }
  return 0;
}

static int repair(checker *k, hull_err *err) {
  if (repair_storage(k, err) < 0)
    return -1;
  for (size_t i = 0; i < k->n_broken; i++) {
    /* A broken image loses its tags with it: better no image than one that cannot run. */
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(k->s, "DELETE FROM tags WHERE image_id = ?", err);
    if (st == NULL)
      return -1;
    sqlite3_bind_text(st, 1, k->broken[i], -1, SQLITE_STATIC);
    sqlite3_step(st);
    hull_rmi_report rep = {0};
    int r = hull_image_remove(k->s, k->broken[i], true, &rep, err);
    hull_rmi_report_free(&rep);
    if (r < 0)
      return -1;
    printf("Removed broken image %s\n", k->broken[i]);
  }
  if (hull_store_exec(
          k->s,
          "DELETE FROM layers WHERE chain_id NOT IN (SELECT chain_id FROM image_layers) AND chain_id NOT IN "
          "(SELECT chain_id FROM storage_layers)",
          "remove unused layers", err) < 0)
    return -1;
  unsigned removed = 0;
  if (hull_store_collect(k->s, &removed, err) < 0)
    return -1;
  printf("Removed %u unreferenced items\n", removed);
  return 0;
}

int cmd_system_check(hull_cli *g, int argc, char **argv, hull_err *err) {
  static const struct option opts[] = {
      {"repair", no_argument, NULL, 'r'}, {"quick", no_argument, NULL, 'Q'}, ONLY_HELP};
  bool do_repair = false, quick = false;
  int c;
  optind = 0;
  while ((c = getopt_long(argc, argv, ":rh", opts, NULL)) != -1) {
    if (c == 'r') {
      do_repair = true;
    } else if (c == 'Q') {
      quick = true;
    } else {
      int r = hull_cli_common_opt(c, "system check", "system check [--repair] [--quick]", argv, err);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  }
  cleanup_store hull_store *s = NULL;
  /* Alone in the store: an incomplete layer is then certainly a leftover. The collector
   * runs on open only for writers that find the store idle; check reports first. */
  if (hull_store_open(g->root, HULL_STORE_READ, &s, err) < 0)
    return -1;
  if (hull_store_lock(s, F_WRLCK, true) < 0)
    return hull_error_sys(err, "lock %s/lock", g->root);
  checker k = {.s = s};
  cleanup_stmt sqlite3_stmt *ic = hull_store_prepare(s, "PRAGMA quick_check", err);
  if (ic == NULL)
    return -1;
  while (sqlite3_step(ic) == SQLITE_ROW)
    if (strcmp((const char *)sqlite3_column_text(ic, 0), "ok") != 0)
      problem(&k, NULL, "database: %s%s", (const char *)sqlite3_column_text(ic, 0), "");
  check_layers(&k);
  check_images(&k);
  check_storage(&k);
  if (!quick)
    check_blobs(&k);
  int rc = 0;
  if (k.problems == 0) {
    printf("No problems found\n");
  } else if (do_repair) {
    rc = repair(&k, err);
  } else {
    rc = hull_error(err, 0, "%u problems found (hull system check --repair removes what is broken)", k.problems);
  }
  for (size_t i = 0; i < k.n_broken; i++)
    free(k.broken[i]);
  free(k.broken);
  return rc;
}
