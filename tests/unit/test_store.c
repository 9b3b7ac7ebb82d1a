/* The image store's lock: a writer keeps its shared lock when it looks for an idle store.
 * Where blobs came from (image/sources.c): the repository seen last, never the one pushed to. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/sources.h"
#include "image/store.h"
#include "tap.h"

static hull_store *open_writer(const char *root) {
  hull_store *s = NULL;
  hull_err e = NULL;
  if (hull_store_open(root, HULL_STORE_WRITE, &s, &e) < 0) {
    printf("# open %s: %s\n", root, e->msg);
    hull_error_release(&e);
    return NULL;
  }
  return s;
}

/* Another writer opening the store collects garbage only if no writer holds the lock. */
static bool survives_other_writer(const char *root, int layersfd, const char *name) {
  if (mkdirat(layersfd, name, 0700) < 0)
    return false;
  hull_store *other = open_writer(root);
  hull_store_close(other);
  struct stat st;
  return other != NULL && fstatat(layersfd, name, &st, 0) == 0;
}

static void blob_sources(hull_store *s) {
  const char *d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  const char *d2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
  const char *both[] = {d1, d2};
  hull_err e = NULL;
  ok(hull_blob_sources_add(s, "reg:5000", "a/x", both, 2, &e) == 0, "record two blobs of a/x");
  ok(hull_blob_sources_add(s, "reg:5000", "a/x", both, 2, &e) == 0, "recording them again is fine");
  ok(hull_blob_sources_add(s, "other:5000", "o/x", &d1, 1, &e) == 0, "and one at another registry");
  hull_error_release(&e);
  char *r = hull_blob_source_find(s, d1, "reg:5000", "b/x", &e);
  ok(r && strcmp(r, "a/x") == 0, "d1 at reg:5000 is in a/x (got %s)", r ? r : "NULL");
  free(r);
  r = hull_blob_source_find(s, d1, "reg:5000", "a/x", &e);
  ok(r == NULL && e == NULL, "not the repository being pushed to itself");
  r = hull_blob_source_find(s, d2, "other:5000", "b/x", &e);
  ok(r == NULL && e == NULL, "nor one of another registry");
  /* The one seen last wins. */
  sqlite3_exec(s->db, "UPDATE blob_sources SET seen = seen - 10", NULL, NULL, NULL);
  ok(hull_blob_sources_add(s, "reg:5000", "c/x", &d1, 1, &e) == 0, "d1 pushed to c/x later");
  r = hull_blob_source_find(s, d1, "reg:5000", "b/x", &e);
  ok(r && strcmp(r, "c/x") == 0, "the repository seen last (got %s)", r ? r : "NULL");
  free(r);
  hull_error_release(&e);
}

int main(void) {
  char root[] = "/tmp/hull-test-store-XXXXXX";
  if (mkdtemp(root) == NULL)
    return 1;
  hull_store *a = open_writer(root), *b = open_writer(root);
  ok(a && b, "two writers open the store");
  if (a == NULL || b == NULL)
    return tap_done();
  /* With b active, a may not collect; it must still hold its shared lock afterwards (a
   * failed flock(2) conversion would have dropped it, and the next writer to open would
   * collect what a is still working on). */
  hull_store_collect_if_idle(a);
  hull_store_close(b);
  ok(survives_other_writer(root, a->layersfd, "busy"), "a writer that found the store busy keeps its lock");
  /* Alone, a collects, and holds its shared lock again afterwards. */
  hull_store_collect_if_idle(a);
  struct stat st;
  ok(fstatat(a->layersfd, "busy", &st, 0) < 0, "an idle writer collects");
  ok(survives_other_writer(root, a->layersfd, "after"), "and keeps its shared lock after collecting");
  hull_store_close(a);
  hull_store *c = open_writer(root);
  ok(c && fstatat(c->layersfd, "after", &st, 0) < 0, "the next writer alone collects");
  if (c)
    blob_sources(c);
  hull_store_close(c);
  char cmd[64];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
  if (system(cmd) != 0)
    return 1;
  return tap_done();
}
