#include <stdlib.h>
#include <string.h>

#include "image/reference.h"
#include "tap.h"

static void good(const char *in, const char *want) {
  hull_ref r;
  hull_err e = NULL;
  char *got = NULL;
  if (hull_ref_parse(in, &r, &e) == 0) {
    got = hull_ref_string(&r);
    hull_ref_free(&r);
  }
  ok(got && strcmp(got, want) == 0, "%s -> %s (got %s%s)", in, want, got ? got : "error: ", got ? "" : e->msg);
  free(got);
  hull_error_release(&e);
}

static void bad(const char *in, const char *why) {
  hull_ref r;
  hull_err e = NULL;
  int rc = hull_ref_parse(in, &r, &e);
  ok(rc < 0 && e && (why == NULL || strstr(e->msg, why)), "\"%s\" refused%s%s (%s)", in, why ? ": " : "",
     why ? why : "", e ? e->msg : "accepted");
  if (rc == 0)
    hull_ref_free(&r);
  hull_error_release(&e);
}

int main(void) {
  const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  good("busybox", "docker.io/library/busybox:latest");
  good("busybox:1.36", "docker.io/library/busybox:1.36");
  good("library/busybox", "docker.io/library/busybox:latest");
  good("docker.io/busybox", "docker.io/library/busybox:latest");
  good("index.docker.io/library/busybox:x", "docker.io/library/busybox:x");
  good("user/app:v1.2-rc_3", "docker.io/user/app:v1.2-rc_3");
  good("localhost/app", "localhost/app:latest");
  good("localhost:5000/a/b/c:t", "localhost:5000/a/b/c:t");
  good("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest");
  good("quay.io/x/y", "quay.io/x/y:latest");
  good("[::1]:5000/app:v1", "[::1]:5000/app:v1");
  good("[fe80::1]/a/b", "[fe80::1]/a/b:latest");
  good("Registry.Example/x", "Registry.Example/x:latest");
  good("a__b/c-d.e", "docker.io/a__b/c-d.e:latest");
  good("a---b", "docker.io/library/a---b:latest");
  good("localhost:5000", "docker.io/library/localhost:5000");
  char buf[200];
  snprintf(buf, sizeof(buf), "busybox@%s", d);
  char want[200];
  snprintf(want, sizeof(want), "docker.io/library/busybox@%s", d);
  good(buf, want);
  snprintf(buf, sizeof(buf), "host:1/app:tag@%s", d);
  good(buf, "host:1/app:tag");

  bad("", NULL);
  bad("Busybox", "must be lowercase");
  bad("busybox:", "invalid tag");
  bad("busybox:-x", "invalid tag");
  bad("a/../b", NULL);
  bad("/busybox", NULL);
  bad("busybox/", NULL);
  bad("a_-b", NULL);
  bad("a.", NULL);
  bad("busybox@sha256:abc", "invalid digest");
  bad("busybox@sha256:../../../../etc/passwd", "invalid digest");
  bad("busybox@SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "invalid digest");
  bad("busybox@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "invalid digest");
  bad("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "64-byte hexadecimal");
  bad("-host:5000/x", "invalid domain");
  bad("host:99999999/x", "invalid domain");
  bad("[]:5000/x", "invalid domain");
  bad("[::1/x", "invalid domain");
  bad("[::g]/x", "invalid domain");
  bad("[::1]x/y", "invalid domain");
  char tag[200] = "x:";
  memset(tag + 2, 'a', 129);
  tag[131] = '\0';
  bad(tag, "invalid tag");
  char longname[300];
  memset(longname, 'a', 260);
  longname[260] = '\0';
  bad(longname, "255");

  ok(strcmp(hull_ref_familiar("docker.io/library/busybox:latest"), "busybox:latest") == 0, "familiar library");
  ok(strcmp(hull_ref_familiar("docker.io/user/app"), "user/app") == 0, "familiar user repo");
  ok(strcmp(hull_ref_familiar("docker.io/library/a/b"), "library/a/b") == 0, "library with a path stays");
  ok(strcmp(hull_ref_familiar("quay.io/x/y:t"), "quay.io/x/y:t") == 0, "other domain kept");
  ok(hull_digest_valid_p(d), "valid digest");
  ok(!hull_digest_valid_p("sha256:0123"), "short digest");
  ok(!hull_digest_valid_p("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
     "other algorithm");
  return tap_done();
}
