#include "image/pull.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "image/curl-lazy.h"
#include "image/image.h"
#include "image/reference.h"
#include "image/registry.h"
#include "image/sources.h"

#define MAX_LAYERS 256
#define PARALLEL 6
/* Byte counts are reported at most this often per layer (a terminal redraws each). */
#define PROGRESS_MS 100

typedef struct layer_job {
  const char *digest; /* of the blob (compressed) */
  const char *diff_id;
  char parent[HULL_DIGEST_LEN + 1];
  char short_id[13];
  hull_blob_writer w;
  CURL *easy;
  struct curl_slist *headers;
  bool needed, downloaded, thread_started;
  _Atomic bool unpacked; /* the thread is done; it can be joined without waiting */
  uint64_t total;        /* the blob's size, from the manifest */
  uint64_t resume_from;  /* bytes an earlier pull left, asked for with a Range */
  bool body_started;
  uint64_t last_report_ms;
  pthread_t thread;
  const char *root;
  const hull_pull_opts *opts;
  hull_image_layer layer;
  hull_err err;
} layer_job;

static void say(const hull_pull_opts *o, const char *id, const char *status) {
  if (o->progress) {
    hull_pull_progress p = {.id = id, .status = status};
    o->progress(o->ctx, &p);
  }
}

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A byte count, unless this layer reported one less than PROGRESS_MS ago. */
static void say_bytes(layer_job *j, const char *status, uint64_t current) {
  uint64_t now = now_ms();
  if (j->opts->progress == NULL || (j->last_report_ms && now - j->last_report_ms < PROGRESS_MS))
    return;
  j->last_report_ms = now;
  hull_pull_progress p = {.id = j->short_id, .status = status, .current = current, .total = j->total};
  j->opts->progress(j->opts->ctx, &p);
}

static size_t on_layer_data(char *data, size_t size, size_t n, void *opaque) {
  layer_job *j = opaque;
  long status = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200 && status != 206)
    return size * n; /* an error body: the status is reported when the transfer ends */
  /* A Range the server ignored: it sends the whole blob, which replaces the part we had. */
  if (status == 200 && j->resume_from && !j->body_started && hull_blob_writer_restart(&j->w, &j->err) < 0)
    return 0;
  j->body_started = true;
  if (hull_blob_writer_write(&j->w, data, size * n, &j->err) < 0)
    return 0;
  say_bytes(j, "Downloading", j->w.size);
  return size * n;
}

/* Unpacks one downloaded (and verified) layer, in its own thread with its own database
 * connection; then fsyncs the blob and names it. The fsync comes last: the blob's
 * writeback, started while it arrived, completes while the layer is unpacked, instead of
 * the download loop waiting for it and holding up the other transfers. */
static void *unpack_thread(void *arg) {
  layer_job *j = arg;
  hull_store *s = NULL;
  if (hull_store_open(j->root, HULL_STORE_READ, &s, &j->err) == 0) {
    say(j->opts, j->short_id, "Extracting");
    if (lseek(j->w.fd, 0, SEEK_SET) < 0)
      hull_error_sys(&j->err, "seek layer %s", j->digest);
    else if (hull_layer_ensure(s, j->parent[0] ? j->parent : NULL, j->diff_id, j->w.fd, &j->layer, &j->err) == 0 &&
             hull_blob_writer_sync(&j->w, &j->err) == 0 && hull_blob_writer_commit(s, &j->w, &j->err) == 0)
      say(j->opts, j->short_id, "Pull complete");
    hull_store_close(s);
  }
  j->unpacked = true;
  return NULL;
}

static int start_unpack(layer_job *j, hull_err *err);

/* A blob that has all arrived: verified and handed to a thread that unpacks it (and then
 * syncs and names it). A partial download that turns out corrupt is removed, so that the
 * next pull starts over. */
static int downloaded(hull_store *s, layer_job *j, hull_err *err) {
  if (hull_blob_writer_verify(&j->w, j->digest, err) < 0) {
    if (j->w.partial)
      hull_blob_partial_remove(s, j->digest);
    return hull_error_wrap(err, "layer %s", j->short_id);
  }
  return start_unpack(j, err);
}

static int start_unpack(layer_job *j, hull_err *err) {
  say(j->opts, j->short_id, "Download complete");
  j->downloaded = true;
  j->last_report_ms = 0;
  /* Rewound here, not in the thread, so that the offset the extraction progress reads
   * never shows the download's end. */
  if (lseek(j->w.fd, 0, SEEK_SET) < 0)
    return hull_error_sys(err, "rewind layer %s", j->digest);
  if (pthread_create(&j->thread, NULL, unpack_thread, j) != 0)
    return hull_error(err, EAGAIN, "start unpacking layer %s", j->digest);
  j->thread_started = true;
  return 0;
}

static int transfer_done(hull_store *s, layer_job *j, CURLcode code, hull_err *err) {
  long status = 0;
  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
  if (j->err) {
    *err = j->err;
    j->err = NULL;
    return -1;
  }
  if (code != CURLE_OK)
    return hull_error(err, 0, "download layer %s: %s", j->digest, curl_easy_strerror(code));
  if (status != 200 && status != 206) {
    /* A refused Range (416) must not refuse every later pull too: the partial file goes. */
    hull_err e = NULL;
    if (j->resume_from && hull_blob_writer_restart(&j->w, &e) < 0)
      hull_debug("layer %s: %s", j->short_id, e->msg);
    hull_error_release(&e); /* best effort: the HTTP status is the error to report */
    return hull_error(err, status == 404 ? ENOENT : EIO, "download layer %s: HTTP %ld", j->digest, status);
  }
  return downloaded(s, j, err);
}

/* Picks up what an interrupted pull left of the blob: all of it (verified locally, nothing
 * downloaded: 1), or a part, the rest asked for with a Range (0). */
static int resume(hull_store *s, layer_job *j, hull_err *err) {
  uint64_t have = 0;
  if (hull_blob_writer_resume(s, &j->w, j->digest, j->total, &have, err) < 0)
    return -1;
  if (have > 0 && have == j->total) {
    hull_err e = NULL;
    if (hull_blob_writer_verify(&j->w, j->digest, &e) == 0) {
      hull_debug("layer %s: complete from an earlier pull", j->short_id);
      if (start_unpack(j, err) < 0)
        return -1;
      return 1;
    }
    hull_debug("layer %s: the earlier partial download is corrupt: %s", j->short_id, e->msg);
    hull_error_release(&e); /* downloaded anew, from the start */
    if (hull_blob_writer_restart(&j->w, err) < 0)
      return -1;
    have = 0;
  }
  j->resume_from = have;
  if (have > 0) {
    char range[32];
    snprintf(range, sizeof(range), "%llu-", (unsigned long long)have);
    curl_easy_setopt(j->easy, CURLOPT_RANGE, range);
    hull_debug("layer %s: resuming at byte %llu", j->short_id, (unsigned long long)have);
  }
  return 0;
}

/* How far each unpacking thread has read its blob: the offset of the fd it reads. */
static void report_extracting(layer_job *jobs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    layer_job *j = &jobs[i];
    if (j->thread_started && !j->unpacked) {
      off_t at = lseek(j->w.fd, 0, SEEK_CUR);
      if (at > 0)
        say_bytes(j, "Extracting", (uint64_t)at);
    }
  }
}

/* Joins the unpacking threads, reporting their progress while they run. */
static void join_all(layer_job *jobs, size_t n) {
  for (;;) {
    bool pending = false;
    for (size_t i = 0; i < n; i++)
      pending |= jobs[i].thread_started && !jobs[i].unpacked;
    if (!pending)
      break;
    report_extracting(jobs, n);
    struct timespec ts = {0, PROGRESS_MS * 1000000L};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < n; i++)
    if (jobs[i].thread_started)
      pthread_join(jobs[i].thread, NULL);
}

static int download_all(hull_store *s, hull_registry *r, layer_job *jobs, size_t n, hull_err *err) {
  CURLM *m = curl_multi_init();
  if (m == NULL)
    return hull_error(err, ENOMEM, "download");
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)PARALLEL);
  curl_multi_setopt(m, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  int rc = -1, running = 0;
  for (size_t i = 0; i < n; i++) {
    layer_job *j = &jobs[i];
    if (!j->needed)
      continue;
    cleanup_free char *url = hull_registry_blob_url(r, j->digest);
    if (url == NULL || (j->easy = curl_easy_init()) == NULL) {
      hull_error(err, ENOMEM, "download");
      goto out;
    }
    say(j->opts, j->short_id, "Pulling fs layer");
    int done = resume(s, j, err);
    if (done < 0)
      goto out;
    if (done) {
      curl_easy_cleanup(j->easy);
      j->easy = NULL;
      continue;
    }
    if (hull_registry_auth_header(r))
      j->headers = curl_slist_append(NULL, hull_registry_auth_header(r));
    curl_easy_setopt(j->easy, CURLOPT_URL, url);
    curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
    /* Blobs are often redirected to a storage host: the registry's token must not follow
     * (CVE-2020-15157); curl drops the header on a change of host unless told otherwise. */
    curl_easy_setopt(j->easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(j->easy, CURLOPT_UNRESTRICTED_AUTH, 0L);
    curl_easy_setopt(j->easy, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(j->easy, CURLOPT_WRITEFUNCTION, on_layer_data);
    curl_easy_setopt(j->easy, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
    curl_easy_setopt(j->easy, CURLOPT_USERAGENT, "hull");
    curl_easy_setopt(j->easy, CURLOPT_CONNECTTIMEOUT, 30L);
    /* All transfers start at once: without waiting for the first connection's ALPN, each
     * would open a connection of its own even where the registry offers HTTP/2 (seen: six
     * blobs, six connections). Over TLS the answer comes with the handshake; plain HTTP
     * never multiplexes here and the wait would last until the first blob is complete. */
    if (strncmp(url, "https://", 8) == 0)
      curl_easy_setopt(j->easy, CURLOPT_PIPEWAIT, 1L);
    if (hull_registry_insecure(r)) {
      curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(j->easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_multi_add_handle(m, j->easy);
  }
  do {
    if (curl_multi_perform(m, &running) != CURLM_OK) {
      hull_error(err, EIO, "download");
      goto out;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      layer_job *j = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
      if (transfer_done(s, j, msg->data.result, err) < 0)
        goto out;
    }
    report_extracting(jobs, n);
    if (running && curl_multi_poll(m, NULL, 0, PROGRESS_MS, NULL) != CURLM_OK) {
      hull_error(err, EIO, "download");
      goto out;
    }
  } while (running);
  rc = 0;
out:
  for (size_t i = 0; i < n; i++) {
    if (jobs[i].easy) {
      curl_multi_remove_handle(m, jobs[i].easy);
      curl_easy_cleanup(jobs[i].easy);
      jobs[i].easy = NULL;
    }
    curl_slist_free_all(jobs[i].headers);
    jobs[i].headers = NULL;
  }
  curl_multi_cleanup(m);
  return rc;
}

static bool platform_p(json_t *d, const hull_pull_opts *o) {
  json_t *p = json_object_get(d, "platform");
  const char *os = json_string_value(json_object_get(p, "os"));
  const char *arch = json_string_value(json_object_get(p, "architecture"));
  return os && arch && strcmp(os, o->os ? o->os : "linux") == 0 && strcmp(arch, o->arch ? o->arch : "amd64") == 0;
}

/* The image manifest for the platform: the document itself, or the one its index names. */
static json_t *fetch_manifest(hull_registry *r, const char *reference, const hull_pull_opts *o, char **raw,
                              size_t *raw_len, hull_err *err) {
  for (int depth = 0; depth < 2; depth++) {
    cleanup_free char *mt = NULL;
    char *body = NULL;
    size_t len = 0;
    if (hull_registry_manifest(r, reference, &body, &len, &mt, err) < 0)
      return NULL;
    json_t *m = json_loadb(body, len, 0, NULL);
    if (m == NULL) {
      free(body);
      hull_error(err, EINVAL, "manifest %s: not JSON", reference);
      return NULL;
    }
    json_t *manifests = json_object_get(m, "manifests");
    bool is_manifest = json_object_get(m, "config") || json_object_get(m, "layers");
    if (manifests && is_manifest) {
      json_decref(m);
      free(body);
      hull_error(err, EINVAL, "manifest %s is ambiguous (manifest and index at once)", reference);
      return NULL;
    }
    if (!manifests) {
      if (json_integer_value(json_object_get(m, "schemaVersion")) != 2 || !is_manifest) {
        json_decref(m);
        free(body);
        hull_error(err, EINVAL, "manifest %s: unsupported (schema %lld, type %s)", reference,
                   (long long)json_integer_value(json_object_get(m, "schemaVersion")), mt ? mt : "none");
        return NULL;
      }
      *raw = body;
      *raw_len = len;
      return m;
    }
    free(body);
    size_t i;
    json_t *d;
    const char *pick = NULL;
    json_array_foreach(manifests, i, d) if (pick == NULL && platform_p(d, o)) pick =
        json_string_value(json_object_get(d, "digest"));
    if (!hull_digest_valid_p(pick)) {
      json_decref(m);
      hull_error(err, 0, "no image for %s/%s in %s", o->os ? o->os : "linux", o->arch ? o->arch : "amd64", reference);
      return NULL;
    }
    static __thread char next[HULL_DIGEST_LEN + 1];
    snprintf(next, sizeof(next), "%s", pick);
    json_decref(m);
    reference = next;
  }
  hull_error(err, EINVAL, "indexes nested too deep");
  return NULL;
}

static bool blob_exists(hull_store *s, const char *digest) {
  hull_err e = NULL;
  int fd = hull_blob_open(s, digest, &e);
  hull_error_release(&e);
  if (fd >= 0)
    close(fd);
  return fd >= 0;
}

/* Remembers that the repository has the image's blobs, so that a push of them to another
 * repository of the registry mounts them instead of uploading them. Only a hint: failing
 * to record it fails no pull. */
static void record_sources(hull_store *s, const hull_ref *ref, const layer_job *jobs, size_t n, const char *config) {
  const char **digests = calloc(n + 1, sizeof(*digests));
  hull_err e = NULL;
  if (digests == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    digests[i] = jobs[i].digest;
  digests[n] = config;
  if (hull_blob_sources_add(s, ref->domain, ref->path, digests, n + 1, &e) < 0) {
    hull_debug("record where %s came from: %s", ref->path, e->msg);
    hull_error_release(&e);
  }
  free(digests);
}

int hull_image_pull(hull_store *s, const char *reference, const hull_pull_opts *o, hull_pull_result *res,
                    hull_err *err) {
  memset(res, 0, sizeof(*res));
  hull_ref ref;
  if (hull_ref_parse(reference, &ref, err) < 0)
    return -1;
  res->name = hull_ref_string(&ref);
  cleanup_free char *full_tag = ref.tag ? hull_ref_string(&ref) : NULL;
  hull_registry *r = hull_registry_new(&ref, o->insecure, err);
  int rc = -1;
  cleanup_free char *raw = NULL;
  cleanup_free char *config_text = NULL;
  cleanup_json json_t *manifest = NULL;
  cleanup_json json_t *config = NULL;
  layer_job *jobs = NULL;
  cleanup_free hull_image_layer *il = NULL;
  size_t n = 0;
  if (r == NULL || hull_registry_load_login(r, o->authfile, err) < 0)
    goto out;
  size_t raw_len = 0;
  manifest = fetch_manifest(r, ref.digest ? ref.digest : ref.tag, o, &raw, &raw_len, err);
  if (manifest == NULL)
    goto out;
  if (hull_sha256_buf(raw, raw_len, res->manifest_digest, err) < 0)
    goto out;
  const char *config_digest = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
  if (!hull_digest_valid_p(config_digest)) {
    hull_error(err, EINVAL, "manifest %s: invalid config digest", res->manifest_digest);
    goto out;
  }
  size_t config_len = 0;
  config_text = hull_registry_blob_small(r, config_digest, &config_len, err);
  if (config_text == NULL)
    goto out;
  config = json_loadb(config_text, config_len, 0, NULL);
  json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  json_t *layers = json_object_get(manifest, "layers");
  n = json_array_size(layers);
  if (config == NULL || json_array_size(diff_ids) != n || n > MAX_LAYERS) {
    hull_error(err, EINVAL, "image config %s does not match its manifest's %zu layers", config_digest, n);
    goto out;
  }
  jobs = calloc(n ? n : 1, sizeof(*jobs));
  if (jobs == NULL) {
    hull_error(err, ENOMEM, "pull");
    goto out;
  }
  char parent[HULL_DIGEST_LEN + 1] = "";
  size_t needed = 0;
  for (size_t i = 0; i < n; i++) {
    layer_job *j = &jobs[i];
    j->w.fd = -1;
    j->root = s->root;
    j->opts = o;
    j->digest = json_string_value(json_object_get(json_array_get(layers, i), "digest"));
    j->diff_id = json_string_value(json_array_get(diff_ids, i));
    json_int_t size = json_integer_value(json_object_get(json_array_get(layers, i), "size"));
    j->total = size > 0 ? (uint64_t)size : 0;
    if (!hull_digest_valid_p(j->digest) || !hull_digest_valid_p(j->diff_id)) {
      hull_error(err, EINVAL, "manifest %s: invalid layer digest", res->manifest_digest);
      goto out;
    }
    snprintf(j->short_id, sizeof(j->short_id), "%.12s", j->digest + 7);
    snprintf(j->parent, sizeof(j->parent), "%s", parent);
    if (hull_chain_id(parent[0] ? parent : NULL, j->diff_id, parent, err) < 0)
      goto out;
    snprintf(j->layer.chain_id, sizeof(j->layer.chain_id), "%s", parent);
    snprintf(j->layer.diff_id, sizeof(j->layer.diff_id), "%s", j->diff_id);
    /* A layer already unpacked whose blob is stored is neither downloaded nor unpacked. */
    cleanup_stmt sqlite3_stmt *st =
        hull_store_prepare(s, "SELECT size FROM layers WHERE chain_id = ? AND incomplete = 0", err);
    if (st == NULL)
      goto out;
    sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && blob_exists(s, j->digest)) {
      j->layer.size = (uint64_t)sqlite3_column_int64(st, 0);
      say(o, j->short_id, "Already exists");
    } else {
      j->needed = true;
      needed++;
    }
  }
  int dl = needed ? download_all(s, r, jobs, n, err) : 0;
  /* Every unpacking thread ends before anything is reported or freed. */
  join_all(jobs, n);
  for (size_t i = 0; i < n; i++) {
    if (dl == 0 && jobs[i].err && *err == NULL) {
      *err = jobs[i].err;
      jobs[i].err = NULL;
    }
    hull_error_release(&jobs[i].err);
  }
  if (dl < 0 || *err)
    goto out;
  il = calloc(n ? n : 1, sizeof(*il));
  if (il == NULL) {
    hull_error(err, ENOMEM, "pull");
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    il[i] = jobs[i].layer;
    const char *mt = json_string_value(json_object_get(json_array_get(layers, i), "mediaType"));
    snprintf(il[i].blob, sizeof(il[i].blob), "%s", jobs[i].digest);
    snprintf(il[i].media_type, sizeof(il[i].media_type), "%s",
             mt && strstr(mt, "zstd")   ? HULL_MEDIA_OCI_LAYER "+zstd"
             : mt && strstr(mt, "gzip") ? HULL_MEDIA_OCI_LAYER "+gzip"
                                        : HULL_MEDIA_OCI_LAYER);
  }
  char cd[HULL_DIGEST_LEN + 1], md[HULL_DIGEST_LEN + 1];
  if (hull_blob_put(s, config_text, config_len, cd, err) < 0 || hull_blob_put(s, raw, raw_len, md, err) < 0)
    goto out;
  /* Up to date: the tag already named this very image. */
  if (full_tag) {
    cleanup_stmt sqlite3_stmt *st = hull_store_prepare(s, "SELECT image_id FROM tags WHERE name = ?", err);
    if (st == NULL)
      goto out;
    sqlite3_bind_text(st, 1, full_tag, -1, SQLITE_STATIC);
    res->up_to_date = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), cd) == 0;
  }
  const char *tags[] = {full_tag};
  hull_image_new img = {.config_digest = cd,
                        .manifest_digest = md,
                        .config = config,
                        .layers = il,
                        .n_layers = n,
                        .tags = tags,
                        .n_tags = full_tag ? 1 : 0};
  if (hull_image_commit(s, &img, err) < 0)
    goto out;
  record_sources(s, &ref, jobs, n, cd);
  snprintf(res->id, sizeof(res->id), "%s", cd);
  rc = 0;
out:
  /* A partial download stays for the next pull unless the image is complete (its blob is
   * named in the store now) or nothing of it arrived. Removed while still locked. */
  for (size_t i = 0; jobs && i < n; i++) {
    if (jobs[i].w.partial && (rc == 0 || jobs[i].w.size == 0))
      hull_blob_partial_remove(s, jobs[i].digest);
    hull_blob_writer_free(&jobs[i].w);
  }
  if (rc < 0)
    hull_store_collect_if_idle(s); /* the layers and blobs of a failed pull */
  free(jobs);
  hull_registry_free(r);
  hull_ref_free(&ref);
  if (rc < 0) {
    free(res->name);
    res->name = NULL;
  }
  return rc;
}
