#include "image/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image/lazy.h"

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/changes.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/tarwriter.h"

#define MAX_JSON (16 << 20)
#define MAX_ENTRIES 100000

/* One file of the archive, already written to an unnamed blob file and hashed. Names are
 * only ever keys here: nothing in an archive becomes a path on the host. */
typedef struct entry {
  char *name;
  char *link; /* a symlink entry (old docker save links repeated layers) */
  hull_blob_writer w;
  bool committed;
} entry;

typedef struct loader {
  hull_store *s;
  entry *e;
  size_t n;
  char **out;
  size_t n_out;
} loader;

static void loader_free(loader *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->e[i].name);
    free(l->e[i].link);
    hull_blob_writer_free(&l->e[i].w);
  }
  free(l->e);
  for (size_t i = 0; i < l->n_out; i++)
    free(l->out[i]);
  free(l->out);
}

static const char *clean_name(const char *n) {
  for (;;) {
    if (n[0] == '.' && n[1] == '/')
      n += 2;
    else if (n[0] == '/')
      n++;
    else
      return n;
  }
}

/* Finds an entry by name, following symlink entries (relative to their directory) a few
 * times; the lexical join never touches the file system. */
static entry *find(loader *l, const char *name) {
  cleanup_free char *cur = strdup(clean_name(name));
  for (int depth = 0; cur && depth < 8; depth++) {
    entry *hit = NULL;
    for (size_t i = 0; i < l->n && !hit; i++)
      if (strcmp(l->e[i].name, cur) == 0)
        hit = &l->e[i];
    if (hit == NULL || hit->link == NULL)
      return hit;
    const char *slash = strrchr(cur, '/');
    char *next = NULL;
    if (hit->link[0] == '/' || slash == NULL) {
      next = strdup(clean_name(hit->link));
    } else {
      /* "a/layer.tar" -> "../b/layer.tar" gives "b/layer.tar" */
      const char *t = hit->link;
      int up = 0;
      while (strncmp(t, "../", 3) == 0) {
        t += 3;
        up++;
      }
      size_t keep = (size_t)(slash - cur);
      for (; up > 0; up--) {
        while (keep > 0 && cur[keep - 1] != '/')
          keep--;
        if (keep > 0)
          keep--;
      }
      if (asprintf(&next, "%.*s%s%s", (int)keep, cur, keep ? "/" : "", t) < 0)
        next = NULL;
    }
    free(cur);
    cur = next;
  }
  return NULL;
}

static int read_entries(loader *l, int fd, hull_err *err) {
  if (hull_lazy_archive(err) < 0)
    return -1;
  struct archive *a = archive_read_new();
  if (a == NULL)
    return hull_error(err, ENOMEM, "read archive");
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  int rc = -1;
  static char buf[1 << 17];
  if (archive_read_open_fd(a, fd, 1 << 17) != ARCHIVE_OK) {
    hull_error(err, 0, "read archive: %s", archive_error_string(a));
    goto out;
  }
  for (;;) {
    struct archive_entry *ae;
    int r = archive_read_next_header(a, &ae);
    if (r == ARCHIVE_EOF)
      break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      hull_error(err, 0, "read archive: %s", archive_error_string(a));
      goto out;
    }
    mode_t type = archive_entry_filetype(ae);
    if (type != AE_IFREG && type != AE_IFLNK)
      continue;
    if (l->n == MAX_ENTRIES) {
      hull_error(err, EFBIG, "read archive: more than %d files", MAX_ENTRIES);
      goto out;
    }
    entry *ne = realloc(l->e, (l->n + 1) * sizeof(*ne));
    if (ne == NULL) {
      hull_error(err, ENOMEM, "read archive");
      goto out;
    }
    l->e = ne;
    entry *e = &l->e[l->n];
    memset(e, 0, sizeof(*e));
    e->w.fd = -1;
    e->name = strdup(clean_name(archive_entry_pathname(ae) ? archive_entry_pathname(ae) : ""));
    l->n++;
    if (type == AE_IFLNK) {
      e->link = strdup(archive_entry_symlink(ae) ? archive_entry_symlink(ae) : "");
      continue;
    }
    if (hull_blob_writer_open(l->s, &e->w, err) < 0)
      goto out;
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof(buf))) > 0)
      if (hull_blob_writer_write(&e->w, buf, (size_t)n, err) < 0)
        goto out;
    if (n < 0) {
      hull_error(err, 0, "read archive: %s: %s", e->name, archive_error_string(a));
      goto out;
    }
    if (hull_blob_writer_finish(&e->w, NULL, err) < 0)
      goto out;
  }
  rc = 0;
out:
  archive_read_free(a);
  return rc;
}

static json_t *entry_json(entry *e, hull_err *err) {
  if (e->w.size > MAX_JSON) {
    hull_error(err, EFBIG, "archive: %s is too large for JSON", e->name);
    return NULL;
  }
  cleanup_free char *text = malloc(e->w.size + 1);
  if (text == NULL || pread(e->w.fd, text, e->w.size, 0) != (ssize_t)e->w.size) {
    hull_error_sys(err, "archive: read %s", e->name);
    return NULL;
  }
  json_error_t jerr;
  json_t *j = json_loadb(text, e->w.size, 0, &jerr);
  if (j == NULL)
    hull_error(err, 0, "archive: %s: %s", e->name, jerr.text);
  return j;
}

static int commit_entry(loader *l, entry *e, hull_err *err) {
  if (e->committed)
    return 0;
  if (hull_blob_writer_commit(l->s, &e->w, err) < 0)
    return -1;
  e->committed = true;
  return 0;
}

/* One line of output: "what: arg". */
static void say(loader *l, const char *what, const char *arg) {
  char **o = realloc(l->out, (l->n_out + 2) * sizeof(*o));
  if (o == NULL)
    return;
  l->out = o;
  if (asprintf(&l->out[l->n_out], "%s: %s", what, arg) >= 0)
    l->out[++l->n_out] = NULL;
}

int hull_image_put_manifest(hull_store *s, const char *config_digest, uint64_t config_size, hull_image_layer *layers,
                            size_t n, char digest[HULL_DIGEST_LEN + 1], hull_err *err) {
  cleanup_json json_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType",
                                     HULL_MEDIA_OCI_MANIFEST, "config", "mediaType", HULL_MEDIA_OCI_CONFIG, "digest",
                                     config_digest, "size", (json_int_t)config_size, "layers");
  if (m == NULL)
    return hull_error(err, ENOMEM, "manifest");
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    cleanup_close int fd = hull_blob_open(s, layers[i].blob, err);
    if (fd < 0 || fstat(fd, &st) < 0)
      return fd < 0 ? -1 : hull_error_sys(err, "stat blob %s", layers[i].blob);
    json_array_append_new(json_object_get(m, "layers"),
                          json_pack("{s:s, s:s, s:I}", "mediaType", layers[i].media_type, "digest", layers[i].blob,
                                    "size", (json_int_t)st.st_size));
  }
  cleanup_free char *text = json_dumps(m, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "manifest");
  return hull_blob_put(s, text, strlen(text), digest, err);
}

/* The common end of both formats: unpack the layers, record the image. */
static int load_image(loader *l, entry *config_e, json_t *config, entry **layer_e, size_t n_layers,
                      const char *manifest_digest, char **tags, size_t n_tags, hull_err *err) {
  json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  if (!json_is_array(diff_ids) || json_array_size(diff_ids) != n_layers)
    return hull_error(err, EINVAL, "image config %s: rootfs.diff_ids does not match the %zu layers", config_e->w.digest,
                      n_layers);
  cleanup_free hull_image_layer *layers = calloc(n_layers ? n_layers : 1, sizeof(*layers));
  if (layers == NULL)
    return hull_error(err, ENOMEM, "load");
  for (size_t i = 0; i < n_layers; i++) {
    const char *diff_id = json_string_value(json_array_get(diff_ids, i));
    if (!hull_digest_valid_p(diff_id))
      return hull_error(err, EINVAL, "image config %s: invalid diff id", config_e->w.digest);
    if (lseek(layer_e[i]->w.fd, 0, SEEK_SET) < 0)
      return hull_error_sys(err, "seek %s", layer_e[i]->name);
    if (hull_layer_ensure(l->s, i ? layers[i - 1].chain_id : NULL, diff_id, layer_e[i]->w.fd, &layers[i], err) < 0)
      return hull_error_wrap(err, "layer %s", layer_e[i]->name);
    if (commit_entry(l, layer_e[i], err) < 0)
      return -1;
    snprintf(layers[i].blob, sizeof(layers[i].blob), "%s", layer_e[i]->w.digest);
  }
  if (commit_entry(l, config_e, err) < 0)
    return -1;
  char mdigest[HULL_DIGEST_LEN + 1];
  if (manifest_digest == NULL) {
    if (hull_image_put_manifest(l->s, config_e->w.digest, config_e->w.size, layers, n_layers, mdigest, err) < 0)
      return -1;
    manifest_digest = mdigest;
  }
  hull_image_new img = {.config_digest = config_e->w.digest,
                        .manifest_digest = manifest_digest,
                        .config = config,
                        .layers = layers,
                        .n_layers = n_layers,
                        .tags = (const char *const *)tags,
                        .n_tags = n_tags};
  if (hull_image_commit(l->s, &img, err) < 0)
    return -1;
  for (size_t i = 0; i < n_tags; i++)
    say(l, "Loaded image", hull_ref_familiar(tags[i]));
  if (n_tags == 0)
    say(l, "Loaded image ID", config_e->w.digest);
  return 0;
}

static int parse_tag(const char *name, char **out, hull_err *err) {
  hull_ref ref;
  if (hull_ref_parse(name, &ref, err) < 0)
    return -1;
  *out = hull_ref_string(&ref);
  hull_ref_free(&ref);
  return *out ? 0 : hull_error(err, ENOMEM, "tag");
}

static void free_tags(char **tags, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(tags[i]);
}

static int load_docker(loader *l, entry *manifest_e, hull_err *err) {
  cleanup_json json_t *m = entry_json(manifest_e, err);
  if (m == NULL)
    return -1;
  if (!json_is_array(m))
    return hull_error(err, EINVAL, "archive: manifest.json is not a list");
  size_t i;
  json_t *item;
  json_array_foreach(m, i, item) {
    const char *cname = json_string_value(json_object_get(item, "Config"));
    entry *ce = cname ? find(l, cname) : NULL;
    if (ce == NULL || ce->link)
      return hull_error(err, ENOENT, "archive: config \"%s\" is not in the archive", cname ? cname : "");
    cleanup_json json_t *config = entry_json(ce, err);
    if (config == NULL)
      return -1;
    json_t *lnames = json_object_get(item, "Layers");
    size_t n = json_array_size(lnames);
    cleanup_free entry **le = calloc(n ? n : 1, sizeof(*le));
    if (le == NULL)
      return hull_error(err, ENOMEM, "load");
    for (size_t k = 0; k < n; k++) {
      const char *ln = json_string_value(json_array_get(lnames, k));
      le[k] = ln ? find(l, ln) : NULL;
      if (le[k] == NULL || le[k]->link)
        return hull_error(err, ENOENT, "archive: layer \"%s\" is not in the archive", ln ? ln : "");
    }
    json_t *rt = json_object_get(item, "RepoTags");
    size_t nt = json_array_size(rt);
    char *tags[64];
    if (nt > 64)
      return hull_error(err, EINVAL, "archive: too many tags");
    for (size_t k = 0; k < nt; k++) {
      const char *t = json_string_value(json_array_get(rt, k));
      if (t == NULL || parse_tag(t, &tags[k], err) < 0) {
        free_tags(tags, k);
        return t ? -1 : hull_error(err, EINVAL, "archive: bad RepoTags");
      }
    }
    int r = load_image(l, ce, config, le, n, NULL, tags, nt, err);
    free_tags(tags, nt);
    if (r < 0)
      return -1;
  }
  return 0;
}

/* An OCI blob of the layout by descriptor; the content's digest must be the descriptor's. */
static entry *oci_blob(loader *l, json_t *desc, hull_err *err) {
  const char *digest = json_string_value(json_object_get(desc, "digest"));
  if (!hull_digest_valid_p(digest)) {
    hull_error(err, EINVAL, "archive: invalid digest \"%s\"", digest ? digest : "");
    return NULL;
  }
  char name[128];
  snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
  entry *e = find(l, name);
  if (e == NULL || e->link) {
    hull_error(err, ENOENT, "archive: blob %s is not in the archive", digest);
    return NULL;
  }
  if (strcmp(e->w.digest, digest) != 0) {
    hull_error(err, EINVAL, "archive: blob %s has digest %s", digest, e->w.digest);
    return NULL;
  }
  return e;
}

static bool platform_wanted(json_t *desc) {
  json_t *p = json_object_get(desc, "platform");
  if (p == NULL)
    return true;
  const char *os = json_string_value(json_object_get(p, "os"));
  const char *arch = json_string_value(json_object_get(p, "architecture"));
  return os && arch && strcmp(os, "linux") == 0 && strcmp(arch, "amd64") == 0;
}

static int load_oci_manifest(loader *l, json_t *desc, char **tags, size_t nt, int depth, hull_err *err) {
  entry *me = oci_blob(l, desc, err);
  if (me == NULL)
    return -1;
  cleanup_json json_t *m = entry_json(me, err);
  if (m == NULL)
    return -1;
  const char *mt = json_string_value(json_object_get(m, "mediaType"));
  const char *dmt = json_string_value(json_object_get(desc, "mediaType"));
  bool is_index = json_object_get(m, "manifests") != NULL;
  bool is_manifest = json_object_get(m, "config") != NULL || json_object_get(m, "layers") != NULL;
  /* CVE-2021-41190: a document that is both, or whose type contradicts its descriptor, is
   * refused rather than read one way here and another way elsewhere. */
  if ((is_index && is_manifest) || (mt && dmt && strcmp(mt, dmt) != 0))
    return hull_error(err, EINVAL, "archive: %s is ambiguous (manifest and index at once)", me->w.digest);
  if (is_index) {
    if (depth > 2)
      return hull_error(err, EINVAL, "archive: indexes nested too deep");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(m, "manifests"), i, d) {
      if (platform_wanted(d))
        return load_oci_manifest(l, d, tags, nt, depth + 1, err);
    }
    return hull_error(err, ENOENT, "archive: no manifest for linux/amd64 in %s", me->w.digest);
  }
  entry *ce = oci_blob(l, json_object_get(m, "config"), err);
  if (ce == NULL)
    return -1;
  cleanup_json json_t *config = entry_json(ce, err);
  if (config == NULL)
    return -1;
  json_t *layers = json_object_get(m, "layers");
  size_t n = json_array_size(layers);
  cleanup_free entry **le = calloc(n ? n : 1, sizeof(*le));
  if (le == NULL)
    return hull_error(err, ENOMEM, "load");
  for (size_t k = 0; k < n; k++)
    if ((le[k] = oci_blob(l, json_array_get(layers, k), err)) == NULL)
      return -1;
  if (commit_entry(l, me, err) < 0)
    return -1;
  return load_image(l, ce, config, le, n, me->w.digest, tags, nt, err);
}

static int load_oci(loader *l, entry *index_e, hull_err *err) {
  cleanup_json json_t *idx = entry_json(index_e, err);
  if (idx == NULL)
    return -1;
  size_t i;
  json_t *d;
  json_array_foreach(json_object_get(idx, "manifests"), i, d) {
    json_t *ann = json_object_get(d, "annotations");
    const char *full = json_string_value(json_object_get(ann, "io.containerd.image.name"));
    const char *ref = json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
    if (full == NULL && ref && strpbrk(ref, "/:"))
      full = ref;
    char *tags[1];
    size_t nt = 0;
    if (full) {
      if (parse_tag(full, &tags[0], err) < 0)
        return -1;
      nt = 1;
    }
    int r = load_oci_manifest(l, d, tags, nt, 0, err);
    free_tags(tags, nt);
    if (r < 0)
      return -1;
  }
  return 0;
}

int hull_image_load(hull_store *s, int fd, char ***loaded, hull_err *err) {
  loader l = {.s = s};
  int rc = -1;
  if (read_entries(&l, fd, err) < 0)
    goto out;
  entry *m = find(&l, "manifest.json");
  entry *idx = find(&l, "index.json");
  if (m && !m->link)
    rc = load_docker(&l, m, err);
  else if (idx && !idx->link)
    rc = load_oci(&l, idx, err);
  else
    hull_error(err, EINVAL, "archive: neither manifest.json (docker-archive) nor index.json (OCI) found");
  if (rc == 0 && l.n_out == 0) {
    rc = -1;
    hull_error(err, EINVAL, "archive: no image in it");
  }
  if (rc == 0) {
    *loaded = l.out;
    l.out = NULL;
    l.n_out = 0;
  }
out:
  loader_free(&l);
  if (rc < 0)
    hull_store_collect_if_idle(s); /* layers of the images before the one that failed */
  return rc;
}

/* ---- import ---- */

int hull_image_import(hull_store *s, int fd, const char *source, const char *tag, const char *const *changes,
                      size_t n_changes, const char *message, char id[HULL_DIGEST_LEN + 1], hull_err *err) {
  cleanup_free char *full_tag = NULL;
  if (tag && parse_tag(tag, &full_tag, err) < 0)
    return -1;
  cleanup_json json_t *cfg = json_object();
  for (size_t i = 0; i < n_changes; i++)
    if (hull_config_apply_change(cfg, changes[i], err) < 0)
      return -1;
  cleanup_free char *created = NULL;
  cleanup_free char *comment = NULL;
  cleanup_json json_t *config = NULL;
  cleanup_free char *text = NULL;
  hull_blob_writer w;
  if (hull_blob_writer_open(s, &w, err) < 0)
    return -1;
  static char buf[1 << 17];
  int rc = -1;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      hull_error_sys(err, "read %s", source);
      goto out;
    }
    if (n == 0)
      break;
    if (hull_blob_writer_write(&w, buf, (size_t)n, err) < 0)
      goto out;
  }
  if (hull_blob_writer_finish(&w, NULL, err) < 0 || lseek(w.fd, 0, SEEK_SET) < 0)
    goto out;
  hull_image_layer layer = {0};
  if (hull_layer_ensure(s, NULL, NULL, w.fd, &layer, err) < 0)
    goto out;
  if (hull_blob_writer_commit(s, &w, err) < 0)
    goto out;
  snprintf(layer.blob, sizeof(layer.blob), "%s", w.digest);
  created = hull_now_rfc3339();
  if (asprintf(&comment, "%s", message && *message ? message : "") < 0 || created == NULL) {
    hull_error(err, ENOMEM, "import");
    goto out;
  }
  config = json_pack("{s:s, s:s, s:O, s:s, s:[{s:s, s:s}], s:s, s:{s:s, s:[s]}}", "architecture", "amd64", "comment",
                     comment, "config", cfg, "created", created, "history", "created", created, "comment", comment,
                     "os", "linux", "rootfs", "type", "layers", "diff_ids", layer.diff_id);
  text = config ? json_dumps(config, JSON_COMPACT) : NULL;
  if (text == NULL) {
    hull_error(err, ENOMEM, "import");
    goto out;
  }
  char config_digest[HULL_DIGEST_LEN + 1], manifest_digest[HULL_DIGEST_LEN + 1];
  if (hull_blob_put(s, text, strlen(text), config_digest, err) < 0 ||
      hull_image_put_manifest(s, config_digest, strlen(text), &layer, 1, manifest_digest, err) < 0)
    goto out;
  const char *tags[] = {full_tag};
  hull_image_new img = {.config_digest = config_digest,
                        .manifest_digest = manifest_digest,
                        .config = config,
                        .layers = &layer,
                        .n_layers = 1,
                        .tags = tags,
                        .n_tags = full_tag ? 1 : 0};
  if (hull_image_commit(s, &img, err) < 0)
    goto out;
  snprintf(id, HULL_DIGEST_LEN + 1, "%s", config_digest);
  rc = 0;
out:
  hull_blob_writer_free(&w);
  return rc;
}

/* ---- save ---- */

typedef struct saver {
  hull_store *s;
  hull_tarw t;
  char **written; /* digests already in the archive */
  size_t n_written;
  json_t *index;    /* index.json */
  json_t *manifest; /* manifest.json */
} saver;

static bool mark_written(saver *sv, const char *digest) {
  for (size_t i = 0; i < sv->n_written; i++)
    if (strcmp(sv->written[i], digest) == 0)
      return false;
  char **w = realloc(sv->written, (sv->n_written + 1) * sizeof(*w));
  if (w == NULL)
    return true;
  sv->written = w;
  sv->written[sv->n_written] = strdup(digest);
  if (sv->written[sv->n_written])
    sv->n_written++;
  return true;
}

static int save_blob_copy(saver *sv, const char *digest, uint64_t *size, hull_err *err) {
  cleanup_close int fd = hull_blob_open(sv->s, digest, err);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return fd < 0 ? -1 : hull_error_sys(err, "stat blob %s", digest);
  *size = (uint64_t)st.st_size;
  if (!mark_written(sv, digest))
    return 0;
  char name[128];
  snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
  if (hull_tarw_header(&sv->t, name, '0', *size, err) < 0)
    return -1;
  static char buf[1 << 17];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return hull_error_sys(err, "read blob %s", digest);
    if (n == 0)
      break;
    if (hull_tarw_data(&sv->t, buf, (size_t)n, err) < 0)
      return -1;
  }
  return hull_tarw_end_entry(&sv->t, err);
}

/* A compressed layer goes into the archive as the tar it holds, checked against its diff id. */
static int save_layer_uncompressed(saver *sv, const char *blob, const char *diff_id, uint64_t tar_size, hull_err *err) {
  if (!mark_written(sv, diff_id))
    return 0;
  cleanup_close int fd = hull_blob_open(sv->s, blob, err);
  if (fd < 0)
    return -1;
  hull_decompressor *d = hull_decompressor_open(fd, err);
  if (d == NULL)
    return -1;
  char name[128];
  snprintf(name, sizeof(name), "blobs/sha256/%s", diff_id + 7);
  hull_sha256 h;
  int rc = -1;
  if (hull_sha256_init(&h, err) < 0)
    goto out;
  if (hull_tarw_header(&sv->t, name, '0', tar_size, err) < 0)
    goto out;
  static char buf[1 << 17];
  long n;
  while ((n = hull_decompressor_read(d, buf, sizeof(buf), err)) > 0) {
    hull_sha256_update(&h, buf, (size_t)n);
    if (hull_tarw_data(&sv->t, buf, (size_t)n, err) < 0)
      goto out;
  }
  if (n < 0)
    goto out;
  char got[HULL_DIGEST_LEN + 1];
  hull_sha256_final(&h, got);
  if (strcmp(got, diff_id) != 0) {
    hull_error(err, EIO, "layer %s: stored blob %s decompresses to %s", diff_id, blob, got);
    goto out;
  }
  rc = hull_tarw_end_entry(&sv->t, err);
out:
  if (h.ctx)
    hull_sha256_free(&h);
  hull_decompressor_close(d);
  return rc;
}

static int save_one(saver *sv, const char *name, hull_err *err) {
  char id[HULL_DIGEST_LEN + 1];
  cleanup_free char *tag = NULL;
  if (hull_image_resolve(sv->s, name, id, &tag, err) < 0)
    return -1;
  uint64_t config_size;
  if (save_blob_copy(sv, id, &config_size, err) < 0)
    return -1;
  cleanup_json json_t *m =
      json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[]}", "schemaVersion", 2, "mediaType", HULL_MEDIA_OCI_MANIFEST,
                "config", "mediaType", HULL_MEDIA_OCI_CONFIG, "digest", id, "size", (json_int_t)config_size, "layers");
  json_t *dlayers = json_array();
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(
      sv->s,
      "SELECT il.blob, il.media_type, l.diff_id, l.tar_size FROM image_layers il JOIN layers l USING (chain_id) "
      "WHERE il.image_id = ? ORDER BY il.idx",
      err);
  if (st == NULL || m == NULL || dlayers == NULL) {
    json_decref(dlayers);
    return st ? hull_error(err, ENOMEM, "save") : -1;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *blob = (const char *)sqlite3_column_text(st, 0);
    const char *mt = (const char *)sqlite3_column_text(st, 1);
    const char *diff_id = (const char *)sqlite3_column_text(st, 2);
    uint64_t size = (uint64_t)sqlite3_column_int64(st, 3);
    int r = strcmp(mt, HULL_MEDIA_OCI_LAYER) == 0 ? save_blob_copy(sv, blob, &size, err)
                                                  : save_layer_uncompressed(sv, blob, diff_id, size, err);
    if (r < 0) {
      json_decref(dlayers);
      return -1;
    }
    json_array_append_new(json_object_get(m, "layers"), json_pack("{s:s, s:s, s:I}", "mediaType", HULL_MEDIA_OCI_LAYER,
                                                                  "digest", diff_id, "size", (json_int_t)size));
    char lname[128];
    snprintf(lname, sizeof(lname), "blobs/sha256/%s", diff_id + 7);
    json_array_append_new(dlayers, json_string(lname));
  }
  cleanup_free char *text = json_dumps(m, JSON_COMPACT);
  char mdigest[HULL_DIGEST_LEN + 1];
  if (text == NULL || hull_sha256_buf(text, strlen(text), mdigest, err) < 0) {
    json_decref(dlayers);
    return *err ? -1 : hull_error(err, ENOMEM, "save");
  }
  char mname[128], cname[128];
  snprintf(mname, sizeof(mname), "blobs/sha256/%s", mdigest + 7);
  snprintf(cname, sizeof(cname), "blobs/sha256/%s", id + 7);
  if (mark_written(sv, mdigest) && hull_tarw_file(&sv->t, mname, text, strlen(text), err) < 0) {
    json_decref(dlayers);
    return -1;
  }
  json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", HULL_MEDIA_OCI_MANIFEST, "digest", mdigest, "size",
                           (json_int_t)strlen(text));
  json_t *repotags = json_array();
  if (tag) {
    const char *colon = strrchr(tag, ':');
    json_object_set_new(desc, "annotations",
                        json_pack("{s:s, s:s}", "io.containerd.image.name", tag, "org.opencontainers.image.ref.name",
                                  colon ? colon + 1 : "latest"));
    json_array_append_new(repotags, json_string(hull_ref_familiar(tag)));
  }
  json_array_append_new(json_object_get(sv->index, "manifests"), desc);
  json_array_append_new(sv->manifest,
                        json_pack("{s:s, s:o, s:o}", "Config", cname, "RepoTags", repotags, "Layers", dlayers));
  return 0;
}

static int write_json(saver *sv, const char *name, json_t *j, hull_err *err) {
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  if (text == NULL)
    return hull_error(err, ENOMEM, "save %s", name);
  return hull_tarw_file(&sv->t, name, text, strlen(text), err);
}

int hull_image_save(hull_store *s, const char *const *names, size_t n, enum hull_save_format format, int fd,
                    hull_err *err) {
  saver sv = {.s = s, .t = {.fd = fd, .what = "archive"}};
  sv.index = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", HULL_MEDIA_OCI_INDEX, "manifests");
  sv.manifest = json_array();
  int rc = -1;
  if (sv.index == NULL || sv.manifest == NULL) {
    hull_error(err, ENOMEM, "save");
    goto out;
  }
  if (hull_tarw_header(&sv.t, "blobs/", '5', 0, err) < 0 || hull_tarw_header(&sv.t, "blobs/sha256/", '5', 0, err) < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    if (save_one(&sv, names[i], err) < 0)
      goto out;
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (hull_tarw_file(&sv.t, "oci-layout", layout, sizeof(layout) - 1, err) < 0 ||
      write_json(&sv, "index.json", sv.index, err) < 0)
    goto out;
  if (format == HULL_SAVE_DOCKER && write_json(&sv, "manifest.json", sv.manifest, err) < 0)
    goto out;
  rc = hull_tarw_finish(&sv.t, err);
out:
  for (size_t i = 0; i < sv.n_written; i++)
    free(sv.written[i]);
  free(sv.written);
  json_decref(sv.index);
  json_decref(sv.manifest);
  return rc;
}
