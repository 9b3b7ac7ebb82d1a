#include "image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "image/durable.h"
#include "image/reference.h"
#include "storage/rmtree.h"

/* Generous defaults that still stop a decompression bomb before it fills the disk. */
#define DEFAULT_MAX_BYTES (64ULL << 30)
#define DEFAULT_MAX_ENTRIES 10000000ULL

void hull_layer_limits(hull_extract_limits *limits) {
  int64_t v;
  const char *b = getenv("HULL_LAYER_MAX_BYTES"), *e = getenv("HULL_LAYER_MAX_ENTRIES");
  limits->max_bytes = b && hull_parse_int64(b, &v) == 0 && v > 0 ? (uint64_t)v : DEFAULT_MAX_BYTES;
  limits->max_entries = e && hull_parse_int64(e, &v) == 0 && v > 0 ? (uint64_t)v : DEFAULT_MAX_ENTRIES;
  const char *f = getenv("HULL_LAYER_MAX_ENTRY_BYTES");
  limits->max_entry_bytes = f && hull_parse_int64(f, &v) == 0 && v > 0 ? (uint64_t)v : DEFAULT_MAX_BYTES;
}

int hull_chain_id(const char *parent, const char *diff_id, char out[HULL_DIGEST_LEN + 1], hull_err *err) {
  if (parent == NULL) {
    snprintf(out, HULL_DIGEST_LEN + 1, "%s", diff_id);
    return 0;
  }
  char buf[2 * HULL_DIGEST_LEN + 2];
  int n = snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
  return hull_sha256_buf(buf, (size_t)n, out, err);
}

const char *hull_layer_media_type_of(int fd) {
  unsigned char m[4] = {0};
  if (pread(fd, m, sizeof(m), 0) == (ssize_t)sizeof(m)) {
    if (m[0] == 0x1f && m[1] == 0x8b)
      return HULL_MEDIA_OCI_LAYER "+gzip";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
      return HULL_MEDIA_OCI_LAYER "+zstd";
  }
  return HULL_MEDIA_OCI_LAYER;
}

static const char *layer_media_type(const char *compression) {
  if (strcmp(compression, "gzip") == 0)
    return HULL_MEDIA_OCI_LAYER "+gzip";
  if (strcmp(compression, "zstd") == 0)
    return HULL_MEDIA_OCI_LAYER "+zstd";
  return HULL_MEDIA_OCI_LAYER;
}

static bool layer_ready(hull_store *s, const char *chain_id, hull_image_layer *layer) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT diff_id, size FROM layers WHERE chain_id = ? AND incomplete = 0", NULL);
  if (st == NULL)
    return false;
  sqlite3_bind_text(st, 1, chain_id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW)
    return false;
  snprintf(layer->chain_id, sizeof(layer->chain_id), "%s", chain_id);
  snprintf(layer->diff_id, sizeof(layer->diff_id), "%s", (const char *)sqlite3_column_text(st, 0));
  layer->size = (uint64_t)sqlite3_column_int64(st, 1);
  return true;
}

/* In exec_bound's numbers: bind NULL. */
#define SQL_NULL INT64_MIN

/* Runs one statement with n parameters: args[i] when set, else nums[i] (or NULL). */
static int exec_bound(hull_store *s, const char *sql, const char *what, hull_err *err, int n, const char *const *args,
                      const int64_t *nums) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, err);
  if (st == NULL)
    return -1;
  for (int i = 0; i < n; i++) {
    if (args[i])
      sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    else if (nums && nums[i] != SQL_NULL)
      sqlite3_bind_int64(st, i + 1, nums[i]);
    else
      sqlite3_bind_null(st, i + 1);
  }
  if (sqlite3_step(st) != SQLITE_DONE)
    return hull_store_sqlerr(s, what, err);
  return 0;
}

/* Extracts into <layers>/<tmp>/diff, recorded incomplete under the placeholder key first. */
static int unpack_into(hull_store *s, const char *tmp, const char *key, const char *parent, const char *diff_id,
                       int blobfd, hull_image_layer *layer, hull_err *err) {
  const char *ins[] = {key, tmp, NULL, NULL};
  int64_t nums[] = {0, 0, getpid(), (int64_t)hull_proc_start_time(getpid())};
  if (exec_bound(s,
                 "INSERT INTO layers (chain_id, diff_id, incomplete, dir, owner_pid, owner_start) "
                 "VALUES (?, '', 1, ?, ?, ?)",
                 "record layer", err, 4, ins, nums) < 0)
    return -1;
  if (mkdirat(s->layersfd, tmp, 0700) < 0)
    return hull_error_sys(err, "mkdir %s/layers/%s", s->root, tmp);
  cleanup_close int tfd = openat(s->layersfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (tfd < 0 || mkdirat(tfd, "diff", 0755) < 0)
    return hull_error_sys(err, "mkdir %s/layers/%s/diff", s->root, tmp);
  cleanup_close int dfd = openat(tfd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return hull_error_sys(err, "open %s/layers/%s/diff", s->root, tmp);
  hull_extract_limits limits;
  hull_layer_limits(&limits);
  hull_extract_result res;
  if (hull_layer_extract(blobfd, dfd, &limits, &res, err) < 0)
    return -1;
  if (diff_id && strcmp(diff_id, res.diff_id) != 0)
    return hull_error(err, 0, "layer digest mismatch: the image says diff id %s, the layer is %s", diff_id,
                      res.diff_id);
  /* Not synced here: the row that completes it also records it as not yet durable, which a
   * later boot treats as incomplete (image/durable.h). */
  char chain[HULL_DIGEST_LEN + 1];
  if (hull_chain_id(parent, res.diff_id, chain, err) < 0)
    return -1;
  snprintf(layer->media_type, sizeof(layer->media_type), "%s", layer_media_type(res.compression));
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (layer_ready(s, chain, layer)) {
    /* Another command unpacked the same layer meanwhile: keep its copy. */
    if (exec_bound(s, "DELETE FROM layers WHERE chain_id = ?", "forget layer", err, 1, (const char *[]){key}, NULL) <
            0 ||
        hull_store_commit(s, err) < 0) {
      hull_store_rollback(s);
      return -1;
    }
    return hull_rm_rf_at(s->layersfd, tmp, err);
  }
  const char *hex = chain + 7;
  /* A directory of that name without a complete row is garbage of a crash. */
  if (hull_rm_rf_at(s->layersfd, hex, err) < 0 || renameat(s->layersfd, tmp, s->layersfd, hex) < 0) {
    if (*err == NULL)
      hull_error_sys(err, "rename layer %s", hex);
    hull_store_rollback(s);
    return -1;
  }
  const char *up[] = {chain, res.diff_id, parent, NULL, NULL, hex, key};
  int64_t upn[] = {0, 0, SQL_NULL, (int64_t)res.size, (int64_t)res.tar_size, 0, 0};
  if (exec_bound(s,
                 "UPDATE layers SET chain_id = ?, diff_id = ?, parent = ?, size = ?, tar_size = ?, incomplete = 0, "
                 "dir = ?, owner_pid = NULL, owner_start = NULL WHERE chain_id = ?",
                 "complete layer", err, 7, up, upn) < 0 ||
      hull_durable_record(s, chain, err) < 0 || hull_store_commit(s, err) < 0) {
    hull_store_rollback(s);
    return -1;
  }
  snprintf(layer->chain_id, sizeof(layer->chain_id), "%s", chain);
  snprintf(layer->diff_id, sizeof(layer->diff_id), "%s", res.diff_id);
  layer->size = res.size;
  return 0;
}

static int unpack_new(hull_store *s, const char *parent, const char *diff_id, int blobfd, hull_image_layer *layer,
                      hull_err *err) {
  unsigned char rnd[8];
  if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
    return hull_error_sys(err, "getrandom");
  char tmp[40], key[64];
  snprintf(tmp, sizeof(tmp), ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
           rnd[6], rnd[7]);
  snprintf(key, sizeof(key), "incomplete:%s", tmp);
  if (unpack_into(s, tmp, key, parent, diff_id, blobfd, layer, err) == 0)
    return 0;
  /* A refused or broken layer leaves nothing behind. The directory goes first: on a full
   * disk it is what gives the database the room to record the removal (the row says
   * incomplete, so it never names a directory anyone needs). Should either fail, the row
   * still says incomplete and the next writer collects it. */
  hull_err e = NULL;
  const char *k[] = {key};
  if (hull_rm_rf_at(s->layersfd, tmp, &e) < 0 ||
      exec_bound(s, "DELETE FROM layers WHERE chain_id = ?", "forget layer", &e, 1, k, NULL) < 0)
    hull_debug("%s (left for the collector)", e->msg);
  hull_error_release(&e);
  return -1;
}

int hull_layer_ensure(hull_store *s, const char *parent, const char *diff_id, int blobfd, hull_image_layer *layer,
                      hull_err *err) {
  if (diff_id && !hull_digest_valid_p(diff_id))
    return hull_error(err, EINVAL, "invalid layer diff id \"%s\"", diff_id);
  if (diff_id) {
    char chain[HULL_DIGEST_LEN + 1];
    if (hull_chain_id(parent, diff_id, chain, err) < 0)
      return -1;
    if (layer_ready(s, chain, layer)) {
      hull_debug("layer %s already unpacked", chain);
      /* The media type still describes this image's blob, not the one first unpacked. */
      snprintf(layer->media_type, sizeof(layer->media_type), "%s", hull_layer_media_type_of(blobfd));
      return 0;
    }
  }
  return unpack_new(s, parent, diff_id, blobfd, layer, err);
}

/* ---- records ---- */

int64_t hull_parse_time(const char *s) {
  if (s == NULL)
    return 0;
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL)
    return 0;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  int64_t t = (int64_t)timegm(&tm);
  if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
    int h = (p[1] - '0') * 10 + (p[2] - '0'), m = (p[4] - '0') * 10 + (p[5] - '0');
    int64_t off = (int64_t)h * 3600 + m * 60;
    t += *p == '+' ? -off : off;
  }
  return t;
}

/* Digits after a decimal point as ns (at most 9 count); *p moves past all of them. */
static int64_t fraction_ns(const char **p) {
  int64_t ns = 0, scale = 100000000;
  for (; **p >= '0' && **p <= '9'; (*p)++, scale /= 10)
    ns += (**p - '0') * scale;
  return ns;
}

/* secs and ns (0..999999999) as ns since the epoch. A time after 2262, which int64 ns cannot
 * hold, is the latest there is: as an until filter it selects everything, as Docker's would. */
static int64_t epoch_ns(int64_t secs, int64_t ns) {
  if (secs >= INT64_MAX / 1000000000)
    return INT64_MAX;
  if (secs <= INT64_MIN / 1000000000)
    return INT64_MIN;
  return secs * 1000000000 + ns;
}

int hull_parse_timestamp_ns(const char *s, int64_t now_ns, int64_t *out) {
  int64_t d;
  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp(s, "0") != 0 && hull_parse_duration_ns(s, &d) == 0) {
    *out = now_ns - d;
    return 0;
  }
  if (strspn(s, "0123456789.") == strlen(s)) {
    char *end;
    errno = 0;
    long long secs = strtoll(s, &end, 10);
    const char *p = end;
    int64_t ns = 0;
    if (*p == '.') {
      p++;
      ns = fraction_ns(&p);
    }
    /* Seconds beyond int64 are strconv.ParseInt's range error in Docker's client. */
    if (end == s || *p != '\0' || errno == ERANGE)
      return -1;
    *out = epoch_ns(secs, ns);
    return 0;
  }
  struct tm tm = {0};
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL) {
    p = strptime(s, "%Y-%m-%d", &tm);
    if (p == NULL || *p != '\0')
      return -1;
  }
  int64_t secs = (int64_t)timegm(&tm), ns = 0;
  if (*p == '.') {
    p++;
    ns = fraction_ns(&p);
  }
  if (*p == '+' || *p == '-') {
    int hh = 0, mm = 0, len = 0;
    if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &len) != 2 || p[1 + len] != '\0')
      return -1;
    secs -= (*p == '+' ? 1 : -1) * ((int64_t)hh * 3600 + mm * 60);
  } else if (*p == '\0') {
    /* No zone: Docker's client (GetTimestamp) reads the time in the local zone, with the
     * offset the zone has now (a fixed zone made from the reference time), not the one it had
     * on that date, so a winter date read in summer shifts by the summer offset as it does
     * there. TZ is honoured through localtime_r. */
    time_t now_s = (time_t)(now_ns / 1000000000);
    struct tm local;
    if (localtime_r(&now_s, &local) == NULL)
      return -1;
    secs -= (int64_t)local.tm_gmtoff;
  } else if (*p != 'Z' || p[1] != '\0') {
    return -1;
  }
  *out = epoch_ns(secs, ns);
  return 0;
}

char *hull_now_rfc3339(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64], *out = NULL;
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

int hull_image_commit(hull_store *s, const hull_image_new *img, hull_err *err) {
  uint64_t size = 0;
  for (size_t i = 0; i < img->n_layers; i++)
    size += img->layers[i].size;
  int64_t created = hull_parse_time(json_string_value(json_object_get(img->config, "created")));
  /* No sync before the row: layers not yet on disk have rows in layers_pending, and a later
   * boot removes the images over them (image/durable.h). The syncer starts below. */
  if (hull_store_begin(s, err) < 0)
    return -1;
  const char *a[] = {img->config_digest, img->manifest_digest, NULL, NULL, NULL, img->parent};
  int64_t n[] = {0, 0, created, (int64_t)time(NULL), (int64_t)size, SQL_NULL};
  if (exec_bound(s,
                 "INSERT OR IGNORE INTO images (id, manifest, created, added, size, parent) VALUES (?, ?, ?, ?, ?, ?)",
                 "record image", err, 6, a, n) < 0)
    goto fail;
  for (size_t i = 0; i < img->n_layers; i++) {
    const hull_image_layer *l = &img->layers[i];
    const char *la[] = {img->config_digest, NULL, l->chain_id, l->blob, l->media_type};
    int64_t ln[] = {0, (int64_t)i, 0, 0, 0};
    if (exec_bound(s,
                   "INSERT OR REPLACE INTO image_layers (image_id, idx, chain_id, blob, media_type) "
                   "VALUES (?, ?, ?, ?, ?)",
                   "record image layer", err, 5, la, ln) < 0)
      goto fail;
    const char *ba[] = {img->config_digest, l->blob};
    if (exec_bound(s, "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)", "record blob", err, 2, ba,
                   NULL) < 0)
      goto fail;
  }
  const char *own[] = {img->config_digest, img->manifest_digest};
  for (int i = 0; i < 2; i++) {
    const char *ba[] = {img->config_digest, own[i]};
    if (exec_bound(s, "INSERT OR IGNORE INTO image_blobs (image_id, digest) VALUES (?, ?)", "record blob", err, 2, ba,
                   NULL) < 0)
      goto fail;
  }
  for (size_t i = 0; i < img->n_tags; i++) {
    const char *ta[] = {img->tags[i], img->config_digest};
    if (exec_bound(s, "INSERT OR REPLACE INTO tags (name, image_id) VALUES (?, ?)", "record tag", err, 2, ta, NULL) < 0)
      goto fail;
  }
  if (hull_store_commit(s, err) < 0)
    return -1;
  hull_durable_sync_background(s);
  return 0;
fail:
  hull_store_rollback(s);
  return -1;
}

static bool all_hex(const char *s) {
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

static int lookup_one(hull_store *s, const char *sql, const char *arg, char id[HULL_DIGEST_LEN + 1], hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, err);
  if (st == NULL)
    return -1;
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  int found = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (found++)
      return -2;
    snprintf(id, HULL_DIGEST_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
  }
  return found;
}

int hull_image_resolve(hull_store *s, const char *name, char id[HULL_DIGEST_LEN + 1], char **tag, hull_err *err) {
  if (tag)
    *tag = NULL;
  if (hull_digest_valid_p(name)) {
    int r = lookup_one(s, "SELECT id FROM images WHERE id = ?", name, id, err);
    if (r < 0)
      return -1;
    if (r == 1)
      return 0;
    return hull_error_code(err, ENOENT, "No such image: %s", name);
  }
  hull_ref ref;
  hull_err perr = NULL;
  if (hull_ref_parse(name, &ref, &perr) == 0) {
    cleanup_free char *full = hull_ref_string(&ref);
    int r;
    if (ref.tag) {
      r = lookup_one(s, "SELECT image_id FROM tags WHERE name = ?", full, id, err);
    } else {
      r = lookup_one(s, "SELECT id FROM images WHERE manifest = ?", ref.digest, id, err);
    }
    hull_ref_free(&ref);
    if (r < 0) {
      hull_error_release(&perr);
      return -1;
    }
    if (r == 1) {
      hull_error_release(&perr);
      if (tag && strchr(full, '@') == NULL)
        *tag = steal_pointer(&full);
      return 0;
    }
  }
  if (strlen(name) <= 64 && all_hex(name)) {
    char pattern[80];
    snprintf(pattern, sizeof(pattern), "sha256:%s%%", name);
    int r = lookup_one(s, "SELECT id FROM images WHERE id LIKE ?", pattern, id, err);
    if (r == -2) {
      hull_error_release(&perr);
      return hull_error(err, EINVAL, "short image id %s is ambiguous", name);
    }
    if (r == 1) {
      hull_error_release(&perr);
      return 0;
    }
  }
  if (perr) {
    *err = perr;
    return -1;
  }
  cleanup_free char *shown = NULL;
  if (hull_ref_parse(name, &ref, NULL) == 0) {
    cleanup_free char *full = hull_ref_string(&ref);
    shown = full ? strdup(hull_ref_familiar(full)) : NULL;
    hull_ref_free(&ref);
  }
  return hull_error_code(err, ENOENT, "No such image: %s", shown ? shown : name);
}

int hull_image_tag(hull_store *s, const char *id, const char *full_tag, hull_err *err) {
  const char *a[] = {full_tag, id};
  return exec_bound(s, "INSERT OR REPLACE INTO tags (name, image_id) VALUES (?, ?)", "tag", err, 2, a, NULL);
}

void hull_rmi_report_free(hull_rmi_report *r) {
  for (size_t i = 0; i < r->n; i++)
    free(r->lines[i]);
  free(r->lines);
  r->lines = NULL;
  r->n = 0;
}

static void report(hull_rmi_report *r, const char *what, const char *name) {
  char **l = realloc(r->lines, (r->n + 1) * sizeof(*l));
  if (l == NULL)
    return;
  r->lines = l;
  if (asprintf(&r->lines[r->n], "%s: %s", what, name) >= 0)
    r->n++;
}

static char **column_strings(hull_store *s, const char *sql, const char *arg, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, sql, err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
  size_t n = 0;
  cleanup_strv char **v = calloc(1, sizeof(char *));
  int r;
  while (v && (r = sqlite3_step(st)) == SQLITE_ROW) {
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (nv == NULL)
      break;
    v = nv;
    v[n] = strdup((const char *)sqlite3_column_text(st, 0));
    v[++n] = NULL;
  }
  if (v == NULL) {
    hull_error(err, ENOMEM, "query");
    return NULL;
  }
  return steal_pointer(&v);
}

static size_t strv_len(char **v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* The database part of a removal: one transaction; *dirs and *blobs get what to remove
 * from disk after the commit. */
static int remove_rows(hull_store *s, const char *name, bool force, hull_rmi_report *rep, char ***dirs, char ***blobs,
                       hull_err *err) {
  char id[HULL_DIGEST_LEN + 1];
  cleanup_free char *by_tag = NULL;
  cleanup_strv char **tags = NULL;
  cleanup_strv char **users = NULL;
  cleanup_strv char **children = NULL;
  cleanup_strv char **chains = NULL;
  cleanup_strv char **mounted = NULL;
  cleanup_stmt sqlite3_stmt *sz = NULL;
  if (hull_store_begin(s, err) < 0)
    return -1;
  if (hull_image_resolve(s, name, id, &by_tag, err) < 0)
    goto fail;
  tags = column_strings(s, "SELECT name FROM tags WHERE image_id = ? ORDER BY name", id, err);
  if (tags == NULL)
    goto fail;
  size_t ntags = strv_len(tags);
  children = column_strings(s, "SELECT id FROM images WHERE parent = ?", id, err);
  if (children == NULL)
    goto fail;
  users = column_strings(s, "SELECT id FROM containers WHERE image_id = ?", id, err);
  if (users == NULL)
    goto fail;
  /* As Docker: the last tag of an image a container uses goes only with -f, and then the
   * image stays (dangling) for the container; an image in use is never removed. */
  if (by_tag && ntags == 1 && users[0] && !force) {
    hull_error(err, 0,
               "conflict: unable to remove repository reference \"%s\" (must force) - container %.12s is using its "
               "referenced image %.12s",
               name, users[0], id + 7);
    goto fail;
  }
  /* As Docker: removing a tag removes the image only with its last tag, and an image that
   * is another's parent or a container's image then merely loses the tag. */
  if (by_tag && (ntags > 1 || children[0] || users[0])) {
    const char *a[] = {by_tag};
    if (exec_bound(s, "DELETE FROM tags WHERE name = ?", "untag", err, 1, a, NULL) < 0)
      goto fail;
    report(rep, "Untagged", hull_ref_familiar(by_tag));
    return hull_store_commit(s, err);
  }
  if (!by_tag && ntags > 1 && !force) {
    hull_error(err, 0,
               "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories",
               id + 7);
    goto fail;
  }
  if (users[0]) {
    hull_error(err, 0, "conflict: unable to delete %.12s (cannot be forced) - image is being used by container %.12s",
               id + 7, users[0]);
    goto fail;
  }
  if (children[0]) {
    hull_error(err, 0, "conflict: unable to delete %.12s (cannot be forced) - image has dependent child images",
               id + 7);
    goto fail;
  }
  /* The layers a container's storage is mounted from stay while it exists, also when the
   * engine's container row names another image that has the same layers. */
  mounted = column_strings(
      s,
      "SELECT DISTINCT id FROM storage_layers WHERE chain_id IN (SELECT chain_id FROM image_layers WHERE image_id "
      "= ?1) AND chain_id NOT IN (SELECT chain_id FROM image_layers WHERE image_id != ?1) ORDER BY id",
      id, err);
  if (mounted == NULL)
    goto fail;
  if (mounted[0]) {
    hull_error(err, 0, "conflict: unable to delete %.12s (cannot be forced) - image is being used by container %.12s",
               id + 7, mounted[0]);
    goto fail;
  }
  *dirs = column_strings(s,
                         "SELECT dir FROM layers WHERE chain_id IN (SELECT chain_id FROM image_layers WHERE image_id = "
                         "?1) AND chain_id NOT IN (SELECT chain_id FROM image_layers WHERE image_id != ?1)",
                         id, err);
  *blobs = column_strings(s,
                          "SELECT digest FROM image_blobs WHERE image_id = ?1 AND digest NOT IN "
                          "(SELECT digest FROM image_blobs WHERE image_id != ?1)",
                          id, err);
  if (*dirs == NULL || *blobs == NULL)
    goto fail;
  const char *a[] = {id};
  /* Where the blobs going with the image came from goes with them, in this transaction:
   * a hint about a blob the store no longer has would only grow the table. */
  if (exec_bound(s,
                 "DELETE FROM blob_sources WHERE digest IN (SELECT digest FROM image_blobs WHERE image_id = ?1 AND "
                 "digest NOT IN (SELECT digest FROM image_blobs WHERE image_id != ?1))",
                 "forget blob sources", err, 1, a, NULL) < 0)
    goto fail;
  if (exec_bound(s, "DELETE FROM tags WHERE image_id = ?", "untag", err, 1, a, NULL) < 0)
    goto fail;
  for (size_t i = 0; i < ntags; i++)
    report(rep, "Untagged", hull_ref_familiar(tags[i]));
  chains = column_strings(s,
                          "SELECT chain_id FROM image_layers WHERE image_id = ?1 AND chain_id NOT "
                          "IN (SELECT chain_id FROM image_layers WHERE image_id != ?1)",
                          id, err);
  if (chains == NULL)
    goto fail;
  sz = hull_store_prepare(s,
                          "SELECT coalesce(sum(size), 0) FROM layers WHERE chain_id IN "
                          "(SELECT chain_id FROM image_layers WHERE image_id = ?1) AND "
                          "chain_id NOT IN (SELECT chain_id FROM image_layers WHERE "
                          "image_id != ?1)",
                          err);
  if (sz == NULL)
    goto fail;
  sqlite3_bind_text(sz, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(sz) == SQLITE_ROW)
    rep->reclaimed += (uint64_t)sqlite3_column_int64(sz, 0);
  sqlite3_reset(sz);
  if (exec_bound(s, "DELETE FROM images WHERE id = ?", "remove image", err, 1, a, NULL) < 0)
    goto fail;
  report(rep, "Deleted", id);
  for (size_t i = 0; chains[i]; i++) {
    const char *c[] = {chains[i]};
    if (exec_bound(s, "DELETE FROM layers WHERE chain_id = ?", "remove layer", err, 1, c, NULL) < 0)
      goto fail;
    report(rep, "Deleted", chains[i]);
  }
  return hull_store_commit(s, err);
fail:
  hull_store_rollback(s);
  return -1;
}

int hull_image_remove(hull_store *s, const char *name, bool force, hull_rmi_report *rep, hull_err *err) {
  cleanup_strv char **dirs = NULL;
  cleanup_strv char **blobs = NULL;
  size_t before = rep->n;
  uint64_t reclaimed_before = rep->reclaimed;
  if (remove_rows(s, name, force, rep, &dirs, &blobs, err) < 0) {
    /* A full disk must not keep anyone from freeing space (Podman #16614): the store's
     * reserve goes back to the file system and the removal is tried once more. */
    if ((*err)->errno_ != ENOSPC || !hull_store_release_reserve(s))
      return -1;
    hull_error_release(err);
    cleanup_strv char **d2 = steal_pointer(&dirs);
    cleanup_strv char **b2 = steal_pointer(&blobs);
    while (rep->n > before)
      free(rep->lines[--rep->n]);
    rep->reclaimed = reclaimed_before;
    if (remove_rows(s, name, force, rep, &dirs, &blobs, err) < 0)
      return -1;
  }
  /* The rows are gone: what fails to be removed now is garbage for the collector. */
  for (size_t i = 0; dirs && dirs[i]; i++) {
    hull_err e = NULL;
    if (hull_rm_rf_at(s->layersfd, dirs[i], &e) < 0)
      hull_warn("%s (left for the collector)", e->msg);
    hull_error_release(&e);
  }
  for (size_t i = 0; blobs && blobs[i]; i++) {
    hull_err e = NULL;
    if (hull_blob_remove(s, blobs[i], &e) < 0)
      hull_warn("%s (left for the collector)", e->msg);
    hull_error_release(&e);
  }
  return 0;
}

char **hull_image_layers(hull_store *s, const char *id, hull_err *err) {
  return column_strings(s, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx DESC", id, err);
}

static char *format_time(int64_t t) {
  char buf[64];
  struct tm tm;
  time_t tt = (time_t)t;
  gmtime_r(&tt, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return strdup(buf);
}

json_t *hull_image_inspect(hull_store *s, const char *id, hull_err *err) {
  cleanup_stmt sqlite3_stmt *st =
      hull_store_prepare(s, "SELECT manifest, created, size, parent, added FROM images WHERE id = ?", err);
  if (st == NULL)
    return NULL;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) {
    hull_error_code(err, ENOENT, "No such image: %s", id);
    return NULL;
  }
  size_t len;
  cleanup_free char *text = hull_blob_read(s, id, &len, err);
  if (text == NULL)
    return NULL;
  json_error_t jerr;
  cleanup_json json_t *config = json_loadb(text, len, 0, &jerr);
  if (config == NULL) {
    hull_error(err, 0, "image config %s: %s", id, jerr.text);
    return NULL;
  }
  cleanup_strv char **tags = column_strings(s, "SELECT name FROM tags WHERE image_id = ? ORDER BY name", id, err);
  if (tags == NULL)
    return NULL;
  json_t *repotags = json_array();
  for (size_t i = 0; tags[i]; i++)
    json_array_append_new(repotags, json_string(hull_ref_familiar(tags[i])));
  json_t *layers = json_array();
  json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  size_t i;
  json_t *v;
  json_array_foreach(diff_ids, i, v) json_array_append(layers, v);
  const char *parent = (const char *)sqlite3_column_text(st, 3);
  cleanup_free char *created = format_time(sqlite3_column_int64(st, 1));
  cleanup_free char *added = format_time(sqlite3_column_int64(st, 4));
  json_t *cfg = json_object_get(config, "config");
  json_t *o = json_pack(
      "{s:s, s:o, s:[], s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, s:{s:s, s:o}, s:{s:s}}", "Id", id, "RepoTags",
      repotags, "RepoDigests", "Parent", parent ? parent : "", "Comment",
      json_string_value(json_object_get(config, "comment")) ? json_string_value(json_object_get(config, "comment"))
                                                            : "",
      "Created",
      json_string_value(json_object_get(config, "created")) ? json_string_value(json_object_get(config, "created"))
                                                            : created,
      "DockerVersion", "", "Author",
      json_string_value(json_object_get(config, "author")) ? json_string_value(json_object_get(config, "author")) : "",
      "Config", cfg ? cfg : json_null(), "Architecture",
      json_string_value(json_object_get(config, "architecture"))
          ? json_string_value(json_object_get(config, "architecture"))
          : "",
      "Os", json_string_value(json_object_get(config, "os")) ? json_string_value(json_object_get(config, "os")) : "",
      "Size", (json_int_t)sqlite3_column_int64(st, 2), "RootFS", "Type", "layers", "Layers", layers, "Metadata",
      "LastTagTime", added);
  if (o == NULL)
    hull_error(err, ENOMEM, "inspect %s", id);
  return o;
}
