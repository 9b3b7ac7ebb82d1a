#define HULL_LAZY_NO_MACROS 1
#include "image/lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

struct hull_archive_api hull_archive_api;
struct hull_crypto_api hull_crypto_api;

typedef struct sym {
  const char *name;
  size_t off;
} sym;

#define HULL_LAZY_ARCHIVE_SYM(f) {#f, offsetof(struct hull_archive_api, f)},
#define HULL_LAZY_CRYPTO_SYM(f) {#f, offsetof(struct hull_crypto_api, f)},
static const sym archive_syms[] = {HULL_ARCHIVE_SYMS(HULL_LAZY_ARCHIVE_SYM)};
static const sym crypto_syms[] = {HULL_CRYPTO_SYMS(HULL_LAZY_CRYPTO_SYM)};

/* What went wrong, kept for every caller (pthread_once runs the loader once). */
static char archive_error[256], crypto_error[256];

static void load(const char *lib, const sym *syms, size_t n, void *api, char *error, size_t error_len) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    snprintf(error, error_len, "load %s: %s", lib, dlerror());
    return;
  }
  for (size_t i = 0; i < n; i++) {
    void *f = dlsym(h, syms[i].name);
    if (f == NULL) {
      snprintf(error, error_len, "load %s: %s missing", lib, syms[i].name);
      return;
    }
    *(void **)((char *)api + syms[i].off) = f;
  }
}

static void load_archive(void) {
  load("libarchive.so.13", archive_syms, sizeof(archive_syms) / sizeof(archive_syms[0]), &hull_archive_api,
       archive_error, sizeof(archive_error));
}

static void load_crypto(void) {
  load("libcrypto.so.3", crypto_syms, sizeof(crypto_syms) / sizeof(crypto_syms[0]), &hull_crypto_api, crypto_error,
       sizeof(crypto_error));
}

int hull_lazy_archive(hull_err *err) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, load_archive);
  return archive_error[0] ? hull_error(err, ENOENT, "%s", archive_error) : 0;
}

int hull_lazy_crypto(hull_err *err) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, load_crypto);
  return crypto_error[0] ? hull_error(err, ENOENT, "%s", crypto_error) : 0;
}
