#include "image/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/sources.h"

static void say(const hull_push_opts *o, const char *id, const char *status) {
  if (o->progress)
    o->progress(o->ctx, id, status);
}

/* Remembers that the repository has the blob now, for later pushes to mount it from there.
 * A failure costs only that hint, so it is logged rather than failing the push. */
static void remember(hull_store *s, hull_registry *r, const char *repo, const char *digest) {
  hull_err e = NULL;
  if (hull_blob_sources_add(s, hull_registry_domain(r), repo, &digest, 1, &e) < 0) {
    hull_debug("blob %s: %s", digest, e->msg);
    hull_error_release(&e);
  }
}

/* One blob of the store to the registry, unless it is there already; mounted from another
 * repository of the registry that is known to have it, when there is one. */
static int push_blob(hull_store *s, hull_registry *r, const char *repo, const char *digest, bool layer,
                     const hull_push_opts *o, hull_err *err) {
  char short_id[13];
  snprintf(short_id, sizeof(short_id), "%.12s", digest + 7);
  if (layer)
    say(o, short_id, "Preparing");
  int have = hull_registry_blob_exists(r, digest, err);
  if (have < 0)
    return -1;
  if (have) {
    if (layer)
      say(o, short_id, "Layer already exists");
    remember(s, r, repo, digest);
    return 0;
  }
  cleanup_free char *from = hull_blob_source_find(s, digest, hull_registry_domain(r), repo, err);
  if (from == NULL && *err)
    return -1;
  cleanup_close int fd = hull_blob_open(s, digest, err);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return fd < 0 ? -1 : hull_error_sys(err, "stat blob %s", digest);
  int mounted = hull_registry_blob_upload(r, digest, from, fd, (size_t)st.st_size, err);
  if (mounted < 0)
    return -1;
  remember(s, r, repo, digest);
  if (layer && mounted) {
    cleanup_free char *msg = NULL;
    say(o, short_id, asprintf(&msg, "Mounted from %s", from) < 0 ? "Mounted" : msg);
  } else if (layer) {
    say(o, short_id, "Pushed");
  }
  return 0;
}

int hull_image_push(hull_store *s, const char *name, const hull_push_opts *o, hull_push_result *res, hull_err *err) {
  memset(res, 0, sizeof(*res));
  hull_ref ref;
  if (hull_ref_parse(name, &ref, err) < 0)
    return -1;
  int rc = -1;
  hull_registry *r = NULL;
  cleanup_free char *full = hull_ref_string(&ref);
  cleanup_free char *text = NULL;
  cleanup_json json_t *m = NULL;
  cleanup_stmt sqlite3_stmt *st = NULL;
  char id[HULL_DIGEST_LEN + 1];
  if (ref.tag == NULL) {
    hull_error(err, EINVAL, "push %s: a tag is needed, not a digest", name);
    goto out;
  }
  if (hull_image_resolve(s, full, id, NULL, err) < 0)
    goto out;
  st = hull_store_prepare(s, "SELECT manifest FROM images WHERE id = ?", err);
  if (st == NULL)
    goto out;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    hull_error_code(err, ENOENT, "No such image: %s", name);
    goto out;
  }
  size_t len = 0;
  text = hull_blob_read(s, (const char *)sqlite3_column_text(st, 0), &len, err);
  if (text == NULL)
    goto out;
  m = json_loadb(text, len, 0, NULL);
  json_t *layers = json_object_get(m, "layers");
  const char *config = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
  if (m == NULL || !hull_digest_valid_p(config)) {
    hull_error(err, EINVAL, "image %s: its stored manifest is unreadable", id);
    goto out;
  }
  r = hull_registry_new(&ref, o->insecure, err);
  if (r == NULL || hull_registry_load_login(r, o->authfile, err) < 0)
    goto out;
  size_t i;
  json_t *d;
  json_array_foreach(layers, i, d) {
    const char *digest = json_string_value(json_object_get(d, "digest"));
    if (!hull_digest_valid_p(digest)) {
      hull_error(err, EINVAL, "image %s: invalid layer digest in its manifest", id);
      goto out;
    }
    if (push_blob(s, r, ref.path, digest, true, o, err) < 0)
      goto out;
  }
  if (push_blob(s, r, ref.path, config, false, o, err) < 0)
    goto out;
  const char *mt = json_string_value(json_object_get(m, "mediaType"));
  if (hull_registry_put_manifest(r, ref.tag, mt ? mt : HULL_MEDIA_OCI_MANIFEST, text, len, err) < 0)
    goto out;
  if (hull_sha256_buf(text, len, res->digest, err) < 0)
    goto out;
  res->size = len;
  res->tag = strdup(ref.tag);
  rc = 0;
out:
  hull_registry_free(r);
  hull_ref_free(&ref);
  return rc;
}
