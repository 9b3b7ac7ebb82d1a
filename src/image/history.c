/* `history`: Docker's rows, newest first. Each history entry of the image config is a row;
 * a row that made a layer has the layer's size; the top row is the image itself and the
 * rows below it the image's parents (commit records them), as far as they are stored;
 * the rest are "<missing>", as Docker shows pulled images. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "image/image.h"
#include "image/reference.h"

static char *parent_of(hull_store *s, const char *id) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT parent FROM images WHERE id = ?", NULL);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
    return NULL;
  return strdup((const char *)sqlite3_column_text(st, 0));
}

static json_t *tags_of(hull_store *s, const char *id) {
  json_t *a = json_array();
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT name FROM tags WHERE image_id = ? ORDER BY name", NULL);
  if (st == NULL)
    return a;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  while (sqlite3_step(st) == SQLITE_ROW)
    json_array_append_new(a, json_string(hull_ref_familiar((const char *)sqlite3_column_text(st, 0))));
  return a;
}

json_t *hull_image_history(hull_store *s, const char *id, hull_err *err) {
  size_t len;
  cleanup_free char *text = hull_blob_read(s, id, &len, err);
  if (text == NULL)
    return NULL;
  json_error_t jerr;
  cleanup_json json_t *config = json_loadb(text, len, 0, &jerr);
  if (config == NULL) {
    hull_error(err, EINVAL, "image config %s: %s", id, jerr.text);
    return NULL;
  }
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s,
                                                     "SELECT l.size FROM image_layers il JOIN layers l USING "
                                                     "(chain_id) WHERE il.image_id = ? ORDER BY il.idx",
                                                     err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  cleanup_json json_t *rows = json_array();
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(config, "history"), i, h) {
    json_int_t size = 0;
    if (!json_is_true(json_object_get(h, "empty_layer")) && sqlite3_step(st) == SQLITE_ROW)
      size = (json_int_t)sqlite3_column_int64(st, 0);
    const char *by = json_string_value(json_object_get(h, "created_by"));
    const char *comment = json_string_value(json_object_get(h, "comment"));
    json_t *row = json_pack("{s:s, s:I, s:s, s:I, s:s, s:[]}", "Id", "<missing>", "Created",
                            (json_int_t)hull_parse_time(json_string_value(json_object_get(h, "created"))), "CreatedBy",
                            by ? by : "", "Size", size, "Comment", comment ? comment : "", "Tags");
    if (row == NULL || json_array_insert_new(rows, 0, row) < 0) {
      hull_error(err, ENOMEM, "history");
      return NULL;
    }
  }
  cleanup_free char *cur = strdup(id);
  json_array_foreach(rows, i, h) {
    if (cur == NULL)
      break;
    json_object_set_new(h, "Id", json_string(cur));
    json_object_set_new(h, "Tags", tags_of(s, cur));
    char *next = parent_of(s, cur);
    free(cur);
    cur = next;
  }
  return steal_pointer(&rows);
}
