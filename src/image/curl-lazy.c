#include "image/curl-lazy.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

struct hull_curl_api hull_curl;

int hull_curl_load(hull_err *err) {
  static int loaded;
  if (loaded)
    return 0;
  void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return hull_error(err, ENOENT, "load libcurl (needed to talk to registries): %s", dlerror());
  static const struct {
    const char *name;
    size_t off;
  } syms[] = {
#define SYM(field, name) {name, offsetof(struct hull_curl_api, field)}
      SYM(global_init, "curl_global_init"),
      SYM(easy_init, "curl_easy_init"),
      SYM(easy_cleanup, "curl_easy_cleanup"),
      SYM(easy_reset, "curl_easy_reset"),
      SYM(easy_setopt, "curl_easy_setopt"),
      SYM(easy_perform, "curl_easy_perform"),
      SYM(easy_getinfo, "curl_easy_getinfo"),
      SYM(easy_strerror, "curl_easy_strerror"),
      SYM(easy_escape, "curl_easy_escape"),
      SYM(free, "curl_free"),
      SYM(slist_append, "curl_slist_append"),
      SYM(slist_free_all, "curl_slist_free_all"),
      SYM(multi_init, "curl_multi_init"),
      SYM(multi_setopt, "curl_multi_setopt"),
      SYM(multi_add_handle, "curl_multi_add_handle"),
      SYM(multi_remove_handle, "curl_multi_remove_handle"),
      SYM(multi_perform, "curl_multi_perform"),
      SYM(multi_poll, "curl_multi_poll"),
      SYM(multi_info_read, "curl_multi_info_read"),
      SYM(multi_cleanup, "curl_multi_cleanup"),
#undef SYM
  };
  for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
    void *f = dlsym(h, syms[i].name);
    if (f == NULL)
      return hull_error(err, ENOENT, "load libcurl: %s missing", syms[i].name);
    *(void **)((char *)&hull_curl + syms[i].off) = f;
  }
  if (hull_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return hull_error(err, 0, "curl_global_init failed");
  loaded = 1;
  return 0;
}
