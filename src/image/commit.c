#include "image/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/archive.h"
#include "image/changes.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/tarwriter.h"
#include "storage/tree.h"

static int blob_sink(void *ud, const void *buf, size_t len, hull_err *err) {
  return hull_blob_writer_write(ud, buf, len, err);
}

/* The parent image's layers as stored (chain ids, blobs, media types, sizes). */
static hull_image_layer *parent_layers(hull_store *s, const char *id, size_t *n, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s,
                         "SELECT il.chain_id, l.diff_id, il.blob, il.media_type, l.size FROM image_layers il "
                         "JOIN layers l USING (chain_id) WHERE il.image_id = ? ORDER BY il.idx",
                         err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  cleanup_free hull_image_layer *v = NULL;
  *n = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    hull_image_layer *nv = realloc(v, (*n + 2) * sizeof(*v));
    if (nv == NULL) {
      hull_error(err, ENOMEM, "commit");
      return NULL;
    }
    v = nv;
    hull_image_layer *l = &v[(*n)++];
    memset(l, 0, sizeof(*l));
    snprintf(l->chain_id, sizeof(l->chain_id), "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(l->diff_id, sizeof(l->diff_id), "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(l->blob, sizeof(l->blob), "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(l->media_type, sizeof(l->media_type), "%s", (const char *)sqlite3_column_text(st, 3));
    l->size = (uint64_t)sqlite3_column_int64(st, 4);
  }
  if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL) {
    hull_error(err, ENOMEM, "commit");
    return NULL;
  }
  return steal_pointer(&v);
}

/* The upper directory as a layer blob (uncompressed, so its digest is its diff id): made
 * and unpacked into the store; *empty when nothing changed. */
static int make_layer(hull_store *s, const char *upper, const hull_idmaps *ids, const char *parent_chain,
                      hull_image_layer *layer, bool *empty, hull_err *err) {
  cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (ufd < 0)
    return hull_error_sys(err, "open %s", upper);
  hull_blob_writer w;
  if (hull_blob_writer_open(s, &w, err) < 0)
    return -1;
  hull_tarw t = {.what = "layer", .sink = blob_sink, .sink_ud = &w};
  hull_tree_stats stats;
  int r = -1;
  if (hull_tree_tar(ufd, HULL_TREE_LAYER, ids, &t, &stats, err) < 0 || hull_tarw_finish(&t, err) < 0 ||
      hull_blob_writer_finish(&w, NULL, err) < 0)
    goto out;
  *empty = stats.entries == 0;
  if (*empty) {
    r = 0;
    goto out;
  }
  /* Unpacked from the blob like any other layer: the same checks, the same form. */
  if (lseek(w.fd, 0, SEEK_SET) < 0) {
    hull_error_sys(err, "seek layer");
    goto out;
  }
  if (hull_layer_ensure(s, parent_chain, w.digest, w.fd, layer, err) < 0 || hull_blob_writer_commit(s, &w, err) < 0)
    goto out;
  snprintf(layer->blob, sizeof(layer->blob), "%s", w.digest);
  r = 0;
out:
  hull_blob_writer_free(&w);
  return r;
}

/* The new image config: the parent's, with the container's config and the changes, and
 * Docker's commit fields. */
static json_t *new_config(hull_store *s, const char *parent_id, const hull_commit_params *p, const char *diff_id,
                          hull_err *err) {
  size_t len;
  cleanup_free char *text = hull_blob_read(s, parent_id, &len, err);
  if (text == NULL)
    return NULL;
  json_error_t jerr;
  cleanup_json json_t *c = json_loadb(text, len, 0, &jerr);
  if (!json_is_object(c)) {
    hull_error(err, EINVAL, "image config %s: %s", parent_id, c ? "not an object" : jerr.text);
    return NULL;
  }
  json_t *cfg = p->config ? json_deep_copy(p->config) : json_deep_copy(json_object_get(c, "config"));
  if (!json_is_object(cfg)) {
    json_decref(cfg);
    cfg = json_object();
  }
  json_object_set_new(c, "config", cfg);
  for (size_t i = 0; i < p->n_changes; i++)
    if (hull_config_apply_change(cfg, p->changes[i], err) < 0)
      return NULL;
  cleanup_free char *created = hull_now_rfc3339();
  if (created == NULL) {
    hull_error(err, ENOMEM, "commit");
    return NULL;
  }
  json_object_set_new(c, "created", json_string(created));
  json_object_del(c, "author");
  json_object_del(c, "comment");
  json_object_del(c, "container");
  if (p->author && *p->author)
    json_object_set_new(c, "author", json_string(p->author));
  if (p->message && *p->message)
    json_object_set_new(c, "comment", json_string(p->message));
  if (p->container_id)
    json_object_set_new(c, "container", json_string(p->container_id));
  json_t *h = json_pack("{s:s, s:s}", "created", created, "created_by", p->created_by ? p->created_by : "");
  if (p->author && *p->author)
    json_object_set_new(h, "author", json_string(p->author));
  if (p->message && *p->message)
    json_object_set_new(h, "comment", json_string(p->message));
  if (diff_id == NULL)
    json_object_set_new(h, "empty_layer", json_true());
  json_t *history = json_object_get(c, "history");
  if (!json_is_array(history))
    json_object_set_new(c, "history", history = json_array());
  json_array_append_new(history, h);
  json_t *rootfs = json_object_get(c, "rootfs");
  if (!json_is_object(rootfs))
    json_object_set_new(c, "rootfs", rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids"));
  json_t *diff_ids = json_object_get(rootfs, "diff_ids");
  if (!json_is_array(diff_ids))
    json_object_set_new(rootfs, "diff_ids", diff_ids = json_array());
  if (diff_id)
    json_array_append_new(diff_ids, json_string(diff_id));
  return steal_pointer(&c);
}

int hull_image_commit_upper(hull_store *s, const hull_commit_params *p, char id[HULL_DIGEST_LEN + 1], hull_err *err) {
  cleanup_free char *full_tag = NULL;
  if (p->tag) {
    hull_ref ref;
    if (hull_ref_parse(p->tag, &ref, err) < 0)
      return -1;
    full_tag = hull_ref_string(&ref);
    bool digest = ref.tag == NULL;
    hull_ref_free(&ref);
    if (digest || full_tag == NULL)
      return full_tag ? hull_error(err, EINVAL, "commit: refusing to create a tag with a digest reference")
                      : hull_error(err, ENOMEM, "commit");
  }
  char parent[HULL_DIGEST_LEN + 1];
  if (hull_image_resolve(s, p->image, parent, NULL, err) < 0)
    return -1;
  size_t n = 0;
  cleanup_free hull_image_layer *layers = parent_layers(s, parent, &n, err);
  if (layers == NULL)
    return -1;
  bool empty = true;
  if (make_layer(s, p->upper, p->ids, n ? layers[n - 1].chain_id : NULL, &layers[n], &empty, err) < 0)
    return hull_error_wrap(err, "commit %s", p->upper);
  if (!empty)
    n++;
  cleanup_json json_t *config = new_config(s, parent, p, empty ? NULL : layers[n - 1].diff_id, err);
  if (config == NULL)
    return -1;
  cleanup_free char *text = json_dumps(config, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "commit");
  char config_digest[HULL_DIGEST_LEN + 1], manifest_digest[HULL_DIGEST_LEN + 1];
  if (hull_blob_put(s, text, strlen(text), config_digest, err) < 0 ||
      hull_image_put_manifest(s, config_digest, strlen(text), layers, n, manifest_digest, err) < 0)
    return -1;
  const char *tags[] = {full_tag};
  hull_image_new img = {.config_digest = config_digest,
                        .manifest_digest = manifest_digest,
                        .config = config,
                        .layers = layers,
                        .n_layers = n,
                        .tags = tags,
                        .n_tags = full_tag ? 1 : 0,
                        .parent = parent};
  if (hull_image_commit(s, &img, err) < 0)
    return -1;
  snprintf(id, HULL_DIGEST_LEN + 1, "%s", config_digest);
  return 0;
}
