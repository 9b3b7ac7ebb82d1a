/* libcurl, loaded only by the commands that talk to a registry. Linking it would load its
 * ~30 libraries (TLS, GSSAPI, LDAP, SSH, ...) into every hull process, `images` and
 * `inspect` included, which costs more than those commands do themselves. Files that use
 * curl include this header instead of <curl/curl.h> and call hull_curl_load() first; the
 * curl_* names below then go through the loaded library. */
#ifndef HULL_IMAGE_CURL_LAZY_H
#define HULL_IMAGE_CURL_LAZY_H

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "common/error.h"

struct hull_curl_api {
  CURLcode (*global_init)(long);
  CURL *(*easy_init)(void);
  void (*easy_cleanup)(CURL *);
  void (*easy_reset)(CURL *);
  CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
  CURLcode (*easy_perform)(CURL *);
  CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
  const char *(*easy_strerror)(CURLcode);
  char *(*easy_escape)(CURL *, const char *, int);
  void (*free)(void *);
  struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
  void (*slist_free_all)(struct curl_slist *);
  CURLM *(*multi_init)(void);
  CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
  CURLMcode (*multi_add_handle)(CURLM *, CURL *);
  CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
  CURLMcode (*multi_perform)(CURLM *, int *);
  CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
  CURLMsg *(*multi_info_read)(CURLM *, int *);
  CURLMcode (*multi_cleanup)(CURLM *);
};
extern struct hull_curl_api hull_curl;

/* Loads libcurl.so.4 and curl_global_init()s it, once (call from the main thread). */
int hull_curl_load(hull_err *err) __attribute__((warn_unused_result));

/* curl.h wraps these three in macros checking their argument count. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init hull_curl.global_init
#define curl_easy_init hull_curl.easy_init
#define curl_easy_cleanup hull_curl.easy_cleanup
#define curl_easy_reset hull_curl.easy_reset
#define curl_easy_setopt hull_curl.easy_setopt
#define curl_easy_perform hull_curl.easy_perform
#define curl_easy_getinfo hull_curl.easy_getinfo
#define curl_easy_strerror hull_curl.easy_strerror
#define curl_easy_escape hull_curl.easy_escape
#define curl_free hull_curl.free
#define curl_slist_append hull_curl.slist_append
#define curl_slist_free_all hull_curl.slist_free_all
#define curl_multi_init hull_curl.multi_init
#define curl_multi_setopt hull_curl.multi_setopt
#define curl_multi_add_handle hull_curl.multi_add_handle
#define curl_multi_remove_handle hull_curl.multi_remove_handle
#define curl_multi_perform hull_curl.multi_perform
#define curl_multi_poll hull_curl.multi_poll
#define curl_multi_info_read hull_curl.multi_info_read
#define curl_multi_cleanup hull_curl.multi_cleanup

#endif
