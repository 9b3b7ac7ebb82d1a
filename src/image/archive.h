/* Image archives: `load` (docker-archive as `docker save` writes it, old and new, and OCI
 * layouts / oci-archive), `save` and `import` of a root filesystem tarball. */
#ifndef HULL_IMAGE_ARCHIVE_H
#define HULL_IMAGE_ARCHIVE_H

#include <stdbool.h>

#include "image/image.h"
#include "image/store.h"

/* Loads every image of the archive in fd (tar, maybe gzip/zstd); *loaded gets one line per
 * image as Docker prints them ("Loaded image: busybox:latest", "Loaded image ID: sha256:..."),
 * NULL-terminated. */
int hull_image_load(hull_store *s, int fd, char ***loaded, hull_err *err) __attribute__((warn_unused_result));

enum hull_save_format { HULL_SAVE_DOCKER, HULL_SAVE_OCI };
/* Writes the images (names or ids) to fd as one archive. The docker-archive format is the
 * one Docker 25 writes: an OCI layout plus manifest.json, so both kinds of readers load it;
 * layers are written uncompressed, as docker-archive readers expect. */
int hull_image_save(hull_store *s, const char *const *names, size_t n, enum hull_save_format format, int fd,
                    hull_err *err) __attribute__((warn_unused_result));

/* Imports a root filesystem tarball (maybe compressed) from fd as a one-layer image, with
 * Dockerfile-like changes ("CMD ...", "ENV K=V", ...) and a comment; tag may be NULL.
 * id gets the new image id. */
int hull_image_import(hull_store *s, int fd, const char *source, const char *tag, const char *const *changes,
                      size_t n_changes, const char *message, char id[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));

/* Stores an OCI manifest for the image as stored (config and layer blobs as they are);
 * digest gets its digest. */
int hull_image_put_manifest(hull_store *s, const char *config_digest, uint64_t config_size, hull_image_layer *layers,
                            size_t n, char digest[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));

#endif
