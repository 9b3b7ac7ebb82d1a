/* sha256 digests of streams (OpenSSL libcrypto), written as "sha256:<64 hex>". */
#ifndef HULL_IMAGE_DIGEST_H
#define HULL_IMAGE_DIGEST_H

#include <stddef.h>

#include "common/error.h"

#define HULL_DIGEST_LEN 71 /* "sha256:" + 64 hex, without the NUL */

typedef struct hull_sha256 {
  void *ctx; /* EVP_MD_CTX */
} hull_sha256;

int hull_sha256_init(hull_sha256 *h, hull_err *err) __attribute__((warn_unused_result));
void hull_sha256_update(hull_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (HULL_DIGEST_LEN + 1 bytes) and frees the context. */
void hull_sha256_final(hull_sha256 *h, char out[HULL_DIGEST_LEN + 1]);
void hull_sha256_free(hull_sha256 *h);
/* The digest of a buffer. */
int hull_sha256_buf(const void *data, size_t len, char out[HULL_DIGEST_LEN + 1], hull_err *err)
    __attribute__((warn_unused_result));

#endif
