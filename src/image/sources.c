#include "image/sources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"

int hull_blob_sources_add(hull_store *s, const char *registry, const char *repository, const char *const *digests,
                          size_t n, hull_err *err) {
  if (n == 0)
    return 0;
  if (hull_store_begin(s, err) < 0)
    return -1;
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "INSERT INTO blob_sources (digest, registry, repository, seen) VALUES (?, ?, ?, ?)"
                         " ON CONFLICT (digest, registry, repository) DO UPDATE SET seen = excluded.seen",
                         err);
  if (st == NULL) {
    hull_store_rollback(s);
    return -1;
  }
  sqlite3_int64 now = (sqlite3_int64)time(NULL);
  for (size_t i = 0; i < n; i++) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, digests[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, repository, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE) {
      hull_store_sqlerr(s, "record blob sources", err);
      hull_store_rollback(s);
      return -1;
    }
  }
  return hull_store_commit(s, err);
}

char *hull_blob_source_find(hull_store *s, const char *digest, const char *registry, const char *not_repo,
                            hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT repository FROM blob_sources WHERE digest = ? AND registry = ? AND repository != ?"
                         " ORDER BY seen DESC, repository LIMIT 1",
                         err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, registry, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, not_repo, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW) {
    hull_store_sqlerr(s, "look up blob sources", err);
    return NULL;
  }
  char *repo = strdup((const char *)sqlite3_column_text(st, 0));
  if (repo == NULL)
    hull_error(err, ENOMEM, "blob sources");
  return repo;
}
