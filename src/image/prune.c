#include "image/prune.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/log.h"

static bool labels_match(hull_store *s, const char *id, const hull_prune_filter *f) {
  if (f->n_labels == 0 && f->n_nlabels == 0)
    return true;
  size_t len;
  hull_err e = NULL;
  cleanup_free char *text = hull_blob_read(s, id, &len, &e);
  hull_error_release(&e); /* an unreadable config has no labels (system check reports it) */
  cleanup_json json_t *c = text ? json_loadb(text, len, 0, NULL) : NULL;
  return hull_prune_labels_match(f, json_object_get(json_object_get(c, "config"), "Labels"));
}

static bool in_list(char **v, size_t n, const char *s) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

/* One pass: the images that may go now (no child, no container, dangling unless all). */
static int prune_pass(hull_store *s, const hull_prune_filter *f, hull_rmi_report *rep, char ***kept, size_t *n_kept,
                      size_t *removed, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      s,
      "SELECT id, created FROM images WHERE id NOT IN (SELECT parent FROM images WHERE parent IS NOT NULL) "
      "AND id NOT IN (SELECT image_id FROM containers WHERE image_id IS NOT NULL) "
      "AND (?1 OR id NOT IN (SELECT image_id FROM tags)) ORDER BY created DESC, id",
      err);
  if (st == NULL)
    return -1;
  sqlite3_bind_int(st, 1, f->all);
  cleanup_strv char **ids = calloc(1, sizeof(char *));
  size_t n = 0;
  while (ids && sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (!hull_prune_until_match(f, sqlite3_column_int64(st, 1) * 1000000000) || in_list(*kept, *n_kept, id))
      continue;
    char **nv = realloc(ids, (n + 2) * sizeof(char *));
    if (nv == NULL)
      break;
    ids = nv;
    ids[n] = strdup(id);
    ids[n + 1] = NULL;
    if (ids[n])
      n++;
  }
  sqlite3_reset(st); /* no read transaction open while removing */
  if (ids == NULL)
    return hull_error(err, ENOMEM, "prune");
  for (size_t i = 0; i < n; i++) {
    hull_err e = NULL;
    if (labels_match(s, ids[i], f) && hull_image_remove(s, ids[i], true, rep, &e) == 0) {
      (*removed)++;
      continue;
    }
    if (e)
      hull_debug("prune: %s", e->msg);
    hull_error_release(&e);
    /* Left for good: a filter does not select it or it is in use. */
    char **nk = realloc(*kept, (*n_kept + 1) * sizeof(char *));
    if (nk == NULL)
      return hull_error(err, ENOMEM, "prune");
    *kept = nk;
    if (((*kept)[*n_kept] = strdup(ids[i])) == NULL)
      return hull_error(err, ENOMEM, "prune");
    (*n_kept)++;
  }
  return 0;
}

int hull_image_prune(hull_store *s, const hull_prune_filter *f, hull_rmi_report *rep, hull_err *err) {
  char **kept = NULL;
  size_t n_kept = 0;
  int r = 0;
  for (;;) {
    size_t removed = 0;
    r = prune_pass(s, f, rep, &kept, &n_kept, &removed, err);
    if (r < 0 || removed == 0)
      break;
  }
  for (size_t i = 0; i < n_kept; i++)
    free(kept[i]);
  free(kept);
  return r;
}
