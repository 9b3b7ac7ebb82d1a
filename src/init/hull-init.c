/* hull-init: the tiny pid 1 of `hull run --init` (Docker's docker-init, tini). It is
 * bind-mounted read-only at /sbin/hull-init and run as `/sbin/hull-init -- CMD [ARG...]`:
 * it forks the command, forwards the signals it receives to it, reaps every zombie that is
 * re-parented to it, and exits with the command's status (128 + the signal when a signal
 * killed it), as a shell or an application that never calls wait(2) would not.
 *
 * Built static with the compiler alone (meson.build), because the image it runs in may have
 * no C library at all; it uses only a few system calls, so it stays small. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_of(int ws) {
  if (WIFEXITED(ws))
    return WEXITSTATUS(ws);
  if (WIFSIGNALED(ws))
    return 128 + WTERMSIG(ws);
  return 1;
}

/* Reaps every child that has exited; returns the command's exit status once it is among
 * them, else -1. */
static int reap(pid_t cmd) {
  int result = -1, ws;
  pid_t p;
  while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
    if (p == cmd)
      result = status_of(ws);
  return result;
}

int main(int argc, char **argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0)
    first++;
  if (first >= argc) {
    fprintf(stderr, "usage: hull-init [--] COMMAND [ARG...]\n");
    return 2;
  }
  /* Every signal is blocked before the fork and taken with sigwaitinfo, so that none is
   * lost between the fork and the wait; the command gets the mask it would have had. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t cmd = fork();
  if (cmd < 0) {
    perror("hull-init: fork");
    return 1;
  }
  if (cmd == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    execvp(argv[first], argv + first);
    int e = errno;
    fprintf(stderr, "hull-init: exec %s: %s\n", argv[first], strerror(e));
    /* Docker's codes: 127 for a command that does not exist, 126 for one that cannot run. */
    _exit(e == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    int sig = sigwaitinfo(&all, &si);
    if (sig < 0)
      continue; /* EINTR */
    if (sig == SIGCHLD) {
      int st = reap(cmd);
      if (st >= 0) {
        /* Zombies of the command's children reparented at its exit are reaped too. */
        (void)reap(cmd);
        return st;
      }
    } else {
      /* The command may have exited just now: then ESRCH, and its SIGCHLD is pending. */
      (void)kill(cmd, sig);
    }
  }
}
