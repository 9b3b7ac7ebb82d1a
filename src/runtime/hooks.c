#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../common/util.h"

static const char *const hook_kinds[] = {"prestart", "createRuntime", "createContainer", "startContainer",
                                         "poststart", "poststop"};

static char **json_strv(json_t *a) {
  size_t n = json_array_size(a);
  char **v = calloc(n + 1, sizeof(char *));
  for (size_t i = 0; v && i < n; i++)
    v[i] = (char *)json_string_value(json_array_get(a, i)); /* borrowed */
  return v;
}

int hull_hooks_validate(json_t *hooks, hull_err *err) {
  if (hooks == NULL)
    return 0;
  for (size_t k = 0; k < sizeof(hook_kinds) / sizeof(hook_kinds[0]); k++) {
    json_t *list = json_object_get(hooks, hook_kinds[k]);
    if (list == NULL || json_is_null(list))
      continue;
    if (!json_is_array(list))
      return hull_error(err, 0, "hooks.%s: expected an array", hook_kinds[k]);
    size_t i;
    json_t *h;
    json_array_foreach(list, i, h) {
      json_t *path = json_object_get(h, "path");
      if (!json_is_string(path) || json_string_value(path)[0] != '/')
        return hull_error(err, 0, "hooks.%s[%zu].path: must be an absolute path", hook_kinds[k], i);
      json_t *t = json_object_get(h, "timeout");
      if (t != NULL && !json_is_null(t) && (!json_is_integer(t) || json_integer_value(t) <= 0))
        return hull_error(err, 0, "hooks.%s[%zu].timeout: must be a positive integer", hook_kinds[k], i);
      const char *keys[] = {"args", "env"};
      for (int kk = 0; kk < 2; kk++) {
        json_t *a = json_object_get(h, keys[kk]);
        if (a == NULL || json_is_null(a))
          continue;
        size_t x;
        json_t *s;
        if (!json_is_array(a))
          return hull_error(err, 0, "hooks.%s[%zu].%s: expected an array", hook_kinds[k], i, keys[kk]);
        json_array_foreach(a, x, s) if (!json_is_string(s)) return hull_error(
            err, 0, "hooks.%s[%zu].%s[%zu]: expected a string", hook_kinds[k], i, keys[kk], x);
      }
    }
  }
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Copies what is in the hook's output pipe to our stderr. Returns false at EOF (or on an
 * error): nothing more will come. At most max bytes per call, so that a hook flooding
 * the pipe cannot keep us past its deadline. */
static bool relay_output(int out, size_t max) {
  char buf[4096];
  size_t done = 0;
  while (done < max) {
    ssize_t n = read(out, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN)
      return true;
    if (n <= 0)
      return false;
    /* A hook's output must not corrupt a caller parsing our stdout: it goes to stderr. */
    if (hull_write_all(2, buf, (size_t)n) < 0)
      return false;
    done += (size_t)n;
  }
  return true;
}

/* Starts the hook in a process group of its own, with the state on stdin and stdout and
 * stderr on a pipe we own (*out): its children never hold the caller's streams. */
static pid_t spawn_hook(const char *path, char **args, char **env, const char *kind, const char *state_json, int *out,
                        hull_err *err) {
  int in[2], o[2];
  /* stdin is a socket, not a pipe: the state is sent with MSG_NOSIGNAL, so that a hook
   * that does not read it costs an EPIPE, never a SIGPIPE that the library would have to
   * ignore in its caller's process. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0)
    return hull_error_sys(err, "hook %s %s: socketpair", kind, path);
  if (pipe2(o, O_CLOEXEC) < 0) {
    hull_error_sys(err, "hook %s %s: pipe", kind, path);
    close(in[0]);
    close(in[1]);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    hull_error_sys(err, "hook %s %s: fork", kind, path);
    close(in[0]);
    close(in[1]);
    close(o[0]);
    close(o[1]);
    return -1;
  }
  if (pid == 0) {
    /* Failing (a seccomp profile denying setpgid) leaves the hook in our group; the
     * timeout then kills the hook itself. */
    setpgid(0, 0);
    dup2(in[0], 0);
    dup2(o[1], 1);
    dup2(o[1], 2);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    execve(path, args, env);
    fprintf(stderr, "hook %s %s: %s\n", kind, path, strerror(errno));
    _exit(127);
  }
  /* Also here: the group must exist before a timeout can kill it. */
  setpgid(pid, pid);
  close(o[1]);
  fcntl(o[0], F_SETFL, O_NONBLOCK);
  close(in[0]);
  for (size_t off = 0, len = strlen(state_json); off < len;) {
    ssize_t n = send(in[1], state_json + off, len - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; /* The hook may not read stdin: EPIPE is ignored. */
    off += (size_t)n;
  }
  close(in[1]);
  *out = o[0];
  return pid;
}

/* The hook's output is relayed until the hook exits (and at most 64 KiB more that was
 * already written); on timeout its whole process group is killed. The pipe is closed
 * either way, so a child the hook left behind never holds the caller waiting. */
static int run_one(json_t *h, const char *kind, size_t idx, const char *state_json, hull_err *err) {
  const char *path = json_string_value(json_object_get(h, "path"));
  json_t *targs = json_object_get(h, "args"), *tenv = json_object_get(h, "env");
  json_t *t = json_object_get(h, "timeout");
  long long timeout_ms = json_is_integer(t) ? json_integer_value(t) * 1000LL : -1;
  cleanup_free char **args = json_strv(targs);
  cleanup_free char **env = json_strv(tenv);
  char *default_args[] = {(char *)path, NULL};
  if (args == NULL || env == NULL)
    return hull_error(err, ENOMEM, "hook %s[%zu] %s", kind, idx, path);
  cleanup_close int out = -1;
  pid_t pid = spawn_hook(path, args && args[0] ? args : default_args, env, kind, state_json, &out, err);
  if (pid < 0)
    return hull_error_wrap(err, "hook %s[%zu]", kind, idx);
  long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
  int status = 0;
  cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  bool output_open = true;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      break;
    if (r < 0 && errno != EINTR)
      return hull_error_sys(err, "hook %s[%zu] %s: wait", kind, idx, path);
    long long left = deadline < 0 ? 1000 : deadline - now_ms();
    if (deadline >= 0 && left <= 0) {
      /* The group's id is the hook's pid, which stays ours until we reap the hook. */
      if (kill(-pid, SIGKILL) < 0)
        kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return hull_error(err, ETIMEDOUT, "hook %s[%zu] %s: timed out after %lld s", kind, idx, path, timeout_ms / 1000);
    }
    struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN}, {.fd = output_open ? out : -1, .events = POLLIN}};
    /* Without a pidfd (a filter denying pidfd_open) the exit is noticed by polling. */
    int wait_ms = pidfd < 0 && left > 10 ? 10 : (int)(left > 1000 ? 1000 : left);
    if (poll(p, 2, wait_ms) > 0 && (p[1].revents & (POLLIN | POLLHUP)))
      output_open = relay_output(out, 1 << 16);
  }
  if (output_open)
    relay_output(out, 1 << 16);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFSIGNALED(status))
    return hull_error(err, 0, "hook %s[%zu] %s: killed by signal %d", kind, idx, path, WTERMSIG(status));
  return hull_error(err, 0, "hook %s[%zu] %s: exited with status %d", kind, idx, path, WEXITSTATUS(status));
}

bool hull_hooks_any(json_t *hooks, const char *const kinds[]) {
  for (size_t i = 0; hooks != NULL && kinds[i] != NULL; i++)
    if (json_array_size(json_object_get(hooks, kinds[i])) > 0)
      return true;
  return false;
}

int hull_hooks_run(json_t *hooks, const char *kind, const char *state_json, hull_err *err) {
  json_t *list = hooks ? json_object_get(hooks, kind) : NULL;
  size_t i;
  json_t *h;
  json_array_foreach(list, i, h) {
    if (run_one(h, kind, i, state_json, err) < 0)
      return -1;
  }
  return 0;
}

void hull_hooks_run_warn(json_t *hooks, const char *kind, const char *state_json) {
  hull_err e = NULL;
  if (hull_hooks_run(hooks, kind, state_json, &e) < 0) {
    /* poststart/poststop failures must not fail the command (runtime-spec): warn. */
    hull_warn("%s", e->msg);
    if (hull_log_fd() >= 0)
      fprintf(stderr, "hull-runtime: warning: %s\n", e->msg);
    hull_error_release(&e);
  }
}
