/* hull_config_volumes: an image config's Volumes cleaned as paths inside the container,
 * never above its root (containerd CVE-2022-23648's "/../../" keys). */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "image/changes.h"
#include "tap.h"

static void good(const char *key, const char *want) {
  cleanup_json json_t *cfg = json_pack("{s:{s:{}}}", "Volumes", key);
  hull_err e = NULL;
  cleanup_strv char **v = hull_config_volumes(cfg, &e);
  ok(v && v[0] && strcmp(v[0], want) == 0 && v[1] == NULL, "\"%s\" -> %s (got %s)", key, want,
     v ? (v[0] ? v[0] : "nothing") : e->msg);
  hull_error_release(&e);
}

static void bad(json_t *cfg, const char *what, const char *why) {
  hull_err e = NULL;
  cleanup_strv char **v = hull_config_volumes(cfg, &e);
  ok(v == NULL && e && strstr(e->msg, why), "%s refused: %s (%s)", what, why, e ? e->msg : "accepted");
  hull_error_release(&e);
  json_decref(cfg);
}

int main(void) {
  good("/data", "/data");
  good("/data/", "/data");
  good("/../../etc", "/etc");
  good("/../../../../../../etc/shadow", "/etc/shadow");
  good("/a/./b//c/../d/.", "/a/b/d");
  good("/a/../../../../host/x", "/host/x");
  good("/a/..b/c..", "/a/..b/c..");
  good("//var/lib/../lib/x", "/var/lib/x");
  bad(json_pack("{s:{s:{}}}", "Volumes", "/.."), "\"/..\"", "is the root directory");
  bad(json_pack("{s:{s:{}}}", "Volumes", "/a/b/../../."), "\"/a/b/../../.\"", "is the root directory");
  bad(json_pack("{s:{s:{}}}", "Volumes", "../etc"), "a relative path", "not an absolute path");
  bad(json_pack("{s:{s:{}}}", "Volumes", ""), "an empty path", "not an absolute path");
  json_t *nul = json_pack("{s:{}}", "Volumes");
  json_object_setn_new(json_object_get(nul, "Volumes"), "/data\0/../../etc", 16, json_object());
  bad(nul, "a key with a NUL", "not an absolute path");
  hull_err e = NULL;
  cleanup_json json_t *none = json_pack("{s:[]}", "Cmd");
  cleanup_strv char **v = hull_config_volumes(none, &e);
  ok(v && v[0] == NULL, "no Volumes: an empty vector");
  cleanup_json json_t *two = json_pack("{s:{s:{}, s:{}}}", "Volumes", "/x/../y", "/z");
  cleanup_strv char **w = hull_config_volumes(two, &e);
  ok(w && w[0] && w[1] && w[2] == NULL && strcmp(w[0], "/y") == 0 && strcmp(w[1], "/z") == 0, "two volumes, in order");
  hull_error_release(&e);
  return tap_done();
}
