/* hull-runtime's side of terminals and foreground processes: the console socket
 * (runc's protocol), the caller's own terminal, signal forwarding and the pty relay of a
 * foreground `run` or `exec`. CLI behaviour: the library returns the pty master and
 * leaves all of this to its caller. */
#include "console.h"

#include <hull/runtime.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"
#include "cli.h"

int cli_console_connect(const char *path, hull_err *err) {
  /* The socket may live in a directory a container shares: a symlink planted at the
   * path (to another socket on the host, which would then get the pty) is not
   * followed. The socket is reached through the O_PATH fd we checked. */
  cleanup_close int pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0)
    return hull_error_sys(err, "connect to console socket %s", path);
  struct stat sb;
  if (fstat(pfd, &sb) < 0)
    return hull_error_sys(err, "console socket %s: stat", path);
  if (!S_ISSOCK(sb.st_mode))
    return hull_error(err, ENOTSOCK, "console socket %s: not a socket", path);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d", pfd);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hull_error_sys(err, "console socket %s: socket", path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
    return hull_error_sys(err, "connect to console socket %s", path);
  return take_fd(&fd);
}

int cli_console_send(int sock, int master, hull_err *err) {
  const char name[] = "/dev/ptmx";
  return hull_send_fd(sock, master, name, sizeof(name) - 1, err);
}

int cli_console_socket_send(const char *path, int master, hull_err *err) {
  cleanup_close int fd = cli_console_connect(path, err);
  if (fd < 0)
    return -1;
  if (cli_console_send(fd, master, err) < 0)
    return hull_error_wrap(err, "console socket %s", path);
  return 0;
}

int cli_host_console(hull_err *err) {
  /* As runc: any of stdio that is a terminal (they may be redirected one by one), else
   * the controlling terminal. Without any, a foreground -t fails before anything is
   * created instead of running a shell nobody can reach. */
  static const int stdio[] = {2, 1, 0};
  for (size_t i = 0; i < sizeof(stdio) / sizeof(stdio[0]); i++) {
    if (!isatty(stdio[i]))
      continue;
    int fd = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
      return hull_error_sys(err, "dup the terminal on fd %d", stdio[i]);
    return fd;
  }
  int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return hull_error_sys(err, "open /dev/tty");
  return fd;
}

/* The foreground process signals go to (our own unreaped child: its pid cannot have
 * been reused), and whether the caller's terminal changed size meanwhile. */
static volatile pid_t forward_pid = 0;
static volatile sig_atomic_t window_changed = 0;
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCONT, SIGWINCH};

static void on_signal(int sig) {
  /* As runc: a window change resizes the pty (the kernel then signals the terminal's
   * foreground process group); everything else goes to the process. */
  int saved = errno; /* the interrupted code may be about to read it */
  if (sig == SIGWINCH)
    window_changed = 1;
  else if (forward_pid > 0)
    kill(forward_pid, sig);
  errno = saved;
}

void cli_forward_signals(pid_t pid) {
  forward_pid = pid;
  struct sigaction sa = {.sa_handler = pid > 0 ? on_signal : SIG_DFL, .sa_flags = SA_RESTART};
  sigemptyset(&sa.sa_mask);
  for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
    sigaction(forwarded[i], &sa, NULL);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* stdin reached its end: what a user typing ^D would send. In canonical mode one EOF
 * character ends the input at the start of a line; a pending partial line needs a
 * second one. In raw mode the program reads bytes, and nothing is sent. */
static void send_eof(int master, bool at_line_start) {
  struct termios t;
  if (tcgetattr(master, &t) < 0 || !(t.c_lflag & ICANON))
    return;
  char eof[2] = {(char)t.c_cc[VEOF], (char)t.c_cc[VEOF]};
  if (hull_write_all(master, eof, at_line_start ? 1 : 2) < 0) {
    /* The process closed its terminal: there is no one left to tell. */
  }
}

static void copy_window_size(int console, int master) {
  struct winsize ws;
  if (console >= 0 && ioctl(console, TIOCGWINSZ, &ws) == 0)
    ioctl(master, TIOCSWINSZ, &ws);
}

/* After the process exits, what it (or a child it left on the terminal) still writes
 * is relayed for at most this long and this much, then the master is closed: a
 * background writer must not hold the caller (docker exec -t, kubectl exec). */
#define DRAIN_MS 200
#define DRAIN_BYTES (1 << 20)

int cli_pty_proxy(int master, int pidfd, int console, hull_err *err) {
  int rc = 0;
  struct termios saved;
  bool raw = console >= 0 && tcgetattr(console, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(console, TCSANOW, &t);
  }
  copy_window_size(console, master);
  struct pollfd p[3] = {{.fd = master, .events = POLLIN}, {.fd = 0, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  bool stdin_open = true, at_line_start = true;
  long long drain_end = -1;
  size_t drained = 0;
  for (;;) {
    if (window_changed) {
      window_changed = 0;
      copy_window_size(console, master);
    }
    int wait = -1;
    if (drain_end >= 0) {
      long long left = drain_end - now_ms();
      if (left <= 0 || drained >= DRAIN_BYTES)
        break;
      wait = left < 50 ? (int)left : 50;
    }
    p[1].fd = stdin_open ? 0 : -1;
    int r = poll(p, 3, wait);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      rc = hull_error_sys(err, "poll the container's terminal");
      break;
    }
    if (r == 0 && drain_end >= 0)
      break; /* the process is gone and the pty is quiet */
    if (p[0].revents & POLLIN) {
      char buf[8192];
      ssize_t n = read(master, buf, sizeof(buf));
      if (n <= 0 || hull_write_all(1, buf, (size_t)n) < 0)
        break;
      if (drain_end >= 0)
        drained += (size_t)n;
    } else if (p[0].revents & (POLLHUP | POLLERR)) {
      break;
    }
    if (p[1].revents & (POLLIN | POLLHUP)) {
      char buf[8192];
      ssize_t n = read(0, buf, sizeof(buf));
      if (n > 0 && hull_write_all(master, buf, (size_t)n) >= 0) {
        at_line_start = buf[n - 1] == '\n' || buf[n - 1] == '\r';
      } else {
        if (n == 0)
          send_eof(master, at_line_start);
        stdin_open = false;
      }
    }
    if (p[2].revents & POLLIN) {
      drain_end = now_ms() + DRAIN_MS;
      p[2].fd = -1;
    }
  }
  if (raw)
    tcsetattr(console, TCSANOW, &saved);
  return rc;
}

int cli_hand_over(const struct hull_proc *proc, int console_fd, const char *console_path, const char *pid_file,
                  hull_err *err) {
  if (console_fd >= 0 && proc->pty_master >= 0 && cli_console_send(console_fd, proc->pty_master, err) < 0)
    return hull_error_wrap(err, "console socket %s", console_path);
  if (pid_file && hull_write_pid_file(pid_file, proc->pid, err) < 0)
    return -1;
  return 0;
}

int cli_foreground(struct hull_proc *proc, int console, hull_err *err) {
  /* As runc: signals to the runtime go to the process (our child). */
  cli_forward_signals(proc->pid);
  int proxied = 0;
  if (proc->pty_master >= 0) {
    proxied = cli_pty_proxy(proc->pty_master, proc->pidfd, console, err);
    /* Closed now: a process the container left on the terminal gets EIO and the
     * caller's terminal is no longer shared with it. */
    close(take_fd(&proc->pty_master));
  }
  int status = hull_wait_exit_status(proc->pid);
  cli_forward_signals(0);
  /* The process is reaped whether or not its terminal could be relayed; a relay that
   * failed is then the error (err is set exactly when proxied < 0). */
  if (proxied < 0)
    return -1;
  return status < 0 ? 255 : status;
}
