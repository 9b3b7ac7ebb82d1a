#include "image/digest.h"

#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "image/lazy.h"

int hull_sha256_init(hull_sha256 *h, hull_err *err) {
  h->ctx = NULL;
  if (hull_lazy_crypto(err) < 0)
    return -1;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    h->ctx = NULL;
    return hull_error(err, ENOMEM, "sha256: cannot create a digest context");
  }
  h->ctx = ctx;
  return 0;
}

void hull_sha256_update(hull_sha256 *h, const void *data, size_t len) {
  if (len)
    EVP_DigestUpdate(h->ctx, data, len);
}

void hull_sha256_final(hull_sha256 *h, char out[HULL_DIGEST_LEN + 1]) {
  unsigned char md[32];
  unsigned int n = 0;
  EVP_DigestFinal_ex(h->ctx, md, &n);
  int off = snprintf(out, HULL_DIGEST_LEN + 1, "sha256:");
  for (unsigned i = 0; i < 32; i++)
    off += snprintf(out + off, HULL_DIGEST_LEN + 1 - (size_t)off, "%02x", md[i]);
  hull_sha256_free(h);
}

void hull_sha256_free(hull_sha256 *h) {
  if (h->ctx == NULL)
    return; /* never initialised, maybe not even loaded */
  EVP_MD_CTX_free(h->ctx);
  h->ctx = NULL;
}

int hull_sha256_buf(const void *data, size_t len, char out[HULL_DIGEST_LEN + 1], hull_err *err) {
  hull_sha256 h;
  if (hull_sha256_init(&h, err) < 0)
    return -1;
  hull_sha256_update(&h, data, len);
  hull_sha256_final(&h, out);
  return 0;
}
