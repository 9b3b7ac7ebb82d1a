#include "image/credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"

extern char **environ;

/* What docker-credential-helpers prints (and exits 1) when it has nothing for a server. */
#define NOT_FOUND "credentials not found in native keychain"

static void wipe_free(char *s, size_t len) {
  if (s)
    explicit_bzero(s, len);
  free(s);
}

/* The helper's stdout with surrounding white space gone, for an error message. */
static const char *trimmed(char *out) {
  if (out == NULL)
    return "";
  size_t n = strlen(out);
  while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
    out[--n] = '\0';
  return out;
}

/* Runs docker-credential-HELPER ACTION with input on its stdin and returns its stdout
 * (NUL-terminated, the caller's) and its exit status in *status (-1: killed by a signal).
 * stdin is a socket, so that a helper exiting without reading it cannot kill us with
 * SIGPIPE (send with MSG_NOSIGNAL); stderr is the helper's own, as with Docker. */
static char *run_helper(const char *helper, const char *action, const char *input, size_t *len, int *status,
                        hull_err *err) {
  if (*helper == '\0' || strchr(helper, '/') || strlen(helper) > 128) {
    hull_error(err, EINVAL, "credential helper \"%s\": not a helper name", helper);
    return NULL;
  }
  cleanup_free char *prog = NULL;
  if (asprintf(&prog, "docker-credential-%s", helper) < 0) {
    hull_error(err, ENOMEM, "credential helper");
    return NULL;
  }
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    hull_error_sys(err, "credential helper %s", prog);
    if (in[0] >= 0) {
      close(in[0]);
      close(in[1]);
    }
    return NULL;
  }
  cleanup_close int to_child = in[0], child_in = in[1], from_child = out[0], child_out = out[1];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, child_in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, child_out, STDOUT_FILENO);
  /* The helper starts with no signal blocked and SIGPIPE at its default, whatever hull
   * set for itself. */
  posix_spawnattr_t attr;
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *argv[] = {prog, (char *)action, NULL};
  pid_t pid;
  hull_debug("credential helper: %s %s", prog, action);
  int e = posix_spawnp(&pid, prog, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (e != 0) {
    errno = e;
    if (e == ENOENT)
      hull_error_code(err, e, "credential helper %s: not found in PATH", prog);
    else
      hull_error_sys(err, "credential helper %s: run", prog);
    return NULL;
  }
  close(child_in);
  close(child_out);
  child_in = child_out = -1;
  size_t n = strlen(input);
  for (size_t done = 0; done < n;) {
    ssize_t w = send(to_child, input + done, n - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      break; /* it did not read its input: its exit status says why */
    done += (size_t)w;
  }
  shutdown(to_child, SHUT_WR);
  hull_err re = NULL;
  char *text = hull_read_fd(from_child, prog, len, &re);
  int ws;
  while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
    ;
  *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
  if (text == NULL) {
    *err = re;
    return NULL;
  }
  return text;
}

/* The error for a helper that failed: its exit status and what it printed. */
static int helper_failed(const char *helper, const char *action, int status, char *out, hull_err *err) {
  if (status < 0)
    return hull_error(err, 0, "credential helper docker-credential-%s %s: killed by a signal", helper, action);
  const char *msg = trimmed(out);
  return hull_error(err, 0, "credential helper docker-credential-%s %s: exit status %d%s%s", helper, action, status,
                    *msg ? ": " : "", msg);
}

int hull_credhelper_get(const char *helper, const char *server, char **user, char **secret, hull_err *err) {
  *user = *secret = NULL;
  size_t len = 0;
  int status;
  char *out = run_helper(helper, "get", server, &len, &status, err);
  if (out == NULL)
    return -1;
  int rc = -1;
  cleanup_json json_t *j = NULL;
  if (status != 0) {
    rc = strcmp(trimmed(out), NOT_FOUND) == 0 ? 0 : helper_failed(helper, "get", status, out, err);
    goto out;
  }
  j = json_loadb(out, len, 0, NULL);
  const char *u = json_string_value(json_object_get(j, "Username"));
  const char *s = json_string_value(json_object_get(j, "Secret"));
  if (!json_is_object(j) || u == NULL || s == NULL) {
    hull_error(err, EINVAL, "credential helper docker-credential-%s get: not a {Username, Secret} object", helper);
    goto out;
  }
  if (*u == '\0' && *s == '\0') {
    rc = 0; /* an empty answer: nothing stored, as Docker reads it */
    goto out;
  }
  *user = strdup(u);
  *secret = strdup(s);
  if (*user == NULL || *secret == NULL) {
    free(*user);
    wipe_free(*secret, *secret ? strlen(*secret) : 0);
    *user = *secret = NULL;
    hull_error(err, ENOMEM, "credentials");
    goto out;
  }
  rc = 1;
out:
  if (j) {
    /* jansson keeps its own copy of the secret: wiped before it is freed. */
    const char *s2 = json_string_value(json_object_get(j, "Secret"));
    if (s2)
      explicit_bzero((char *)s2, strlen(s2));
  }
  wipe_free(out, len);
  return rc;
}

int hull_credhelper_store(const char *helper, const char *server, const char *user, const char *secret, hull_err *err) {
  cleanup_json json_t *j = json_pack("{s:s, s:s, s:s}", "ServerURL", server, "Username", user, "Secret", secret);
  char *in = j ? json_dumps(j, JSON_COMPACT) : NULL;
  if (j) {
    const char *s = json_string_value(json_object_get(j, "Secret"));
    explicit_bzero((char *)s, strlen(s));
  }
  if (in == NULL)
    return hull_error(err, ENOMEM, "credentials");
  size_t len = 0;
  int status;
  char *out = run_helper(helper, "store", in, &len, &status, err);
  wipe_free(in, strlen(in));
  if (out == NULL)
    return -1;
  int rc = status == 0 ? 0 : helper_failed(helper, "store", status, out, err);
  free(out);
  return rc;
}

int hull_credhelper_erase(const char *helper, const char *server, hull_err *err) {
  size_t len = 0;
  int status;
  char *out = run_helper(helper, "erase", server, &len, &status, err);
  if (out == NULL)
    return -1;
  int rc = status == 0                            ? 1
           : strcmp(trimmed(out), NOT_FOUND) == 0 ? 0
                                                  : helper_failed(helper, "erase", status, out, err);
  free(out);
  return rc;
}
