/* Image and layer records in the store: unpacking a layer once per chain id, committing an
 * image (its layers, blobs and tags in one transaction), resolving names, tagging and
 * removing. */
#ifndef HULL_IMAGE_IMAGE_H
#define HULL_IMAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "image/store.h"
#include "storage/extract.h"

#define HULL_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define HULL_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define HULL_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define HULL_MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define HULL_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define HULL_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

typedef struct hull_image_layer {
  char chain_id[HULL_DIGEST_LEN + 1];
  char diff_id[HULL_DIGEST_LEN + 1];
  char blob[HULL_DIGEST_LEN + 1]; /* the layer archive as stored (maybe compressed) */
  char media_type[80];
  uint64_t size; /* bytes of file content */
} hull_image_layer;

/* Limits for every layer unpacked (HULL_LAYER_MAX_BYTES / HULL_LAYER_MAX_ENTRIES /
 * HULL_LAYER_MAX_ENTRY_BYTES override). */
void hull_layer_limits(hull_extract_limits *limits);

/* Makes sure the layer of diff id `diff_id` (NULL: unknown until unpacked) on top of
 * `parent` (a chain id or NULL) is unpacked, reading the archive from blobfd if it is not.
 * Fills layer->chain_id, diff_id, size and the media type of what blobfd held. */
int hull_layer_ensure(hull_store *s, const char *parent, const char *diff_id, int blobfd, hull_image_layer *layer,
                      hull_err *err) __attribute__((warn_unused_result));
/* The OCI media type of the layer archive in fd, from its magic bytes (gzip, zstd or tar). */
const char *hull_layer_media_type_of(int fd);
/* The chain id of diff_id on top of parent (NULL for the first layer). */
int hull_chain_id(const char *parent, const char *diff_id, char out[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));

typedef struct hull_image_new {
  const char *config_digest; /* the image id */
  const char *manifest_digest;
  json_t *config;
  hull_image_layer *layers;
  size_t n_layers;
  const char *const *tags; /* full names "domain/path:tag" */
  size_t n_tags;
  const char *parent; /* the image id it was committed from, or NULL */
} hull_image_new;

/* Records the image, its layers, blobs and tags in one transaction. Tags that named
 * another image move to this one (that image stays, untagged). */
int hull_image_commit(hull_store *s, const hull_image_new *img, hull_err *err) __attribute__((warn_unused_result));

/* Resolves a name, full or short id, or name@digest to an image id ("sha256:..."). On a
 * name, *tag gets the full tag name if matched by tag (caller frees), else NULL. */
int hull_image_resolve(hull_store *s, const char *name, char id[HULL_DIGEST_LEN + 1], char **tag, hull_err *err)
    __attribute__((warn_unused_result));
/* Points the full tag name at image id. */
int hull_image_tag(hull_store *s, const char *id, const char *full_tag, hull_err *err)
    __attribute__((warn_unused_result));

/* What rmi did, line by line ("Untagged: busybox:latest", "Deleted: sha256:..."). */
typedef struct hull_rmi_report {
  char **lines;
  size_t n;
  uint64_t reclaimed; /* bytes of the layers removed */
} hull_rmi_report;
void hull_rmi_report_free(hull_rmi_report *r);
/* Docker's rmi of one argument: a tag of an image with more tags is only untagged;
 * otherwise the image goes with its tags, and its layers and blobs no other image uses.
 * Refused for an image a container uses or another image has as parent; an id naming an
 * image with several tags needs force. */
int hull_image_remove(hull_store *s, const char *name, bool force, hull_rmi_report *rep, hull_err *err)
    __attribute__((warn_unused_result));

/* The chain ids of an image's layers, top first as an overlay mount wants them
 * (NULL-terminated; caller frees; empty for an image without layers). */
char **hull_image_layers(hull_store *s, const char *id, hull_err *err);

/* Docker's history of an image id (its API's rows, newest first): objects with Id
 * ("<missing>" when not stored), Created (Unix time), CreatedBy, Size, Comment, Tags. */
json_t *hull_image_history(hull_store *s, const char *id, hull_err *err);

/* Docker's `image inspect` object for an image id. */
json_t *hull_image_inspect(hull_store *s, const char *id, hull_err *err);

/* The current time as an image config writes it ("2024-01-02T03:04:05.123456789Z"). */
char *hull_now_rfc3339(void);

/* Parses an RFC 3339 time ("2024-01-02T03:04:05.123Z", "+01:00"); 0 when it cannot. */
int64_t hull_parse_time(const char *s);

/* Docker's timestamps of --since/--until and the until prune filter, into ns since the
 * epoch: a Go duration back from now_ns ("10m", "1h30m"; not "0"), Unix seconds with an
 * optional fraction ("1700000000.5"), a date ("2006-01-02", UTC) or an RFC 3339 time with
 * an optional fraction and zone. -1 when s is none of them or a duration or number of
 * seconds too large for int64 ns; a time after 2262 is INT64_MAX. */
int hull_parse_timestamp_ns(const char *s, int64_t now_ns, int64_t *out) __attribute__((warn_unused_result));

#endif
