/* The credentials file of login (src/image/auth.c): server names, Docker's keys, round
 * trips that keep the file's other keys, 0600, and files that are not what they should be. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/auth.h"
#include "tap.h"

static void norm(const char *in, const char *want) {
  char *got = hull_auth_normalize(in);
  ok(got && strcmp(got, want) == 0, "normalize %s -> %s (got %s)", in, want, got ? got : "NULL");
  free(got);
}

static int write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (f == NULL)
    return -1;
  fputs(text, f);
  return fclose(f);
}

int main(void) {
  norm("127.0.0.1:5000", "127.0.0.1:5000");
  norm("http://127.0.0.1:5000/v2/", "127.0.0.1:5000");
  norm("https://index.docker.io/v1/", "docker.io");
  norm("registry-1.docker.io", "docker.io");
  norm("docker.io", "docker.io");

  char dir[] = "/tmp/hull-test-auth.XXXXXX";
  if (mkdtemp(dir) == NULL)
    return 1;
  char path[256], other[256];
  snprintf(path, sizeof(path), "%s/sub/config.json", dir);
  snprintf(other, sizeof(other), "%s/other.json", dir);
  unsetenv("REGISTRY_AUTH_FILE");
  setenv("DOCKER_CONFIG", dir, 1);
  hull_err e = NULL;
  char *user = NULL, *pass = NULL;

  ok(hull_auth_get(path, "r.example:5000", &user, &pass, &e) == 0 && e == NULL, "no file: no credentials");
  ok(hull_auth_set(path, "r.example:5000", "u", "p:a:ss", &e) == 0, "stored");
  struct stat st;
  ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600 (%o)", st.st_mode & 0777);
  ok(hull_auth_get(path, "r.example:5000", &user, &pass, &e) == 1 && strcmp(user, "u") == 0 &&
         strcmp(pass, "p:a:ss") == 0,
     "read back, a colon in the password kept");
  free(user);
  free(pass);
  ok(hull_auth_set(path, "docker.io", "hub", "x", &e) == 0, "Docker Hub stored");
  char *text = NULL;
  size_t cap = 0;
  FILE *f = fopen(path, "r");
  ssize_t n = f ? getdelim(&text, &cap, '\0', f) : -1;
  if (f)
    fclose(f);
  ok(n > 0 && strstr(text, "\"https://index.docker.io/v1/\"") && strstr(text, "\"auth\": \"aHViOng=\""),
     "under Docker's key, base64 of user:password");
  free(text);

  /* Keys in any spelling match; other keys of the file survive a change. */
  write_text(other,
             "{\"credHelpers\":{\"x\":\"y\"},\"auths\":{\"http://r.example:5000/v2/\":{\"auth\":\"dTE6cDE=\"}}}");
  ok(hull_auth_get(other, "r.example:5000", &user, &pass, &e) == 1 && strcmp(user, "u1") == 0 &&
         strcmp(pass, "p1") == 0,
     "a key with scheme and path matches");
  free(user);
  free(pass);
  ok(hull_auth_remove(other, "r.example:5000", &e) == 1, "removed");
  ok(hull_auth_remove(other, "r.example:5000", &e) == 0, "a second removal finds nothing");
  f = fopen(other, "r");
  text = NULL;
  n = f ? getdelim(&text, &cap, '\0', f) : -1;
  if (f)
    fclose(f);
  ok(n > 0 && strstr(text, "credHelpers"), "other keys kept");
  free(text);

  /* The authfile is read first, then Docker's config ($DOCKER_CONFIG/config.json). */
  snprintf(path, sizeof(path), "%s/config.json", dir);
  ok(hull_auth_set(path, "d.example", "du", "dp", &e) == 0, "stored in Docker's config");
  ok(hull_auth_get(other, "d.example", &user, &pass, &e) == 1 && strcmp(user, "du") == 0,
     "found in Docker's config after the authfile");
  free(user);
  free(pass);

  write_text(other, "{\"auths\":{\"b.example\":{\"auth\":\"bm9jb2xvbg==\"}}}");
  ok(hull_auth_get(other, "b.example", &user, &pass, &e) < 0 && e && strstr(e->msg, "not user:password"),
     "no colon: an error (%s)", e ? e->msg : "none");
  hull_error_release(&e);
  write_text(other, "{\"auths\":{\"b.example\":{\"auth\":\"!!!\"}}}");
  ok(hull_auth_get(other, "b.example", &user, &pass, &e) < 0 && e && strstr(e->msg, "base64"), "bad base64: an error");
  hull_error_release(&e);
  write_text(other, "[1]");
  ok(hull_auth_get(other, "b.example", &user, &pass, &e) < 0 && e && strstr(e->msg, "not a credentials file"),
     "not an object: an error");
  hull_error_release(&e);

  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  if (system(cmd) != 0)
    return 1;
  return tap_done();
}
