#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/util.h"

int hull_pty_open(int *master, int *slave, unsigned short rows, unsigned short cols, hull_err *err) {
  cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return hull_error_sys(err, "open /dev/ptmx");
  int unlock = 0;
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
    return hull_error_sys(err, "unlock pty");
  /* TIOCGPTPEER opens the slave through the master, never through a path the
   * container could have replaced. */
  int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return hull_error_sys(err, "open pty slave");
  if (rows && cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    ioctl(s, TIOCSWINSZ, &ws);
  }
  *slave = s;
  *master = take_fd(&m);
  return 0;
}

int hull_pty_make_controlling(int slave, hull_err *err) {
  if (setsid() < 0)
    return hull_error_sys(err, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return hull_error_sys(err, "set controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0)
      return hull_error_sys(err, "dup2 pty to fd %d", fd);
  return 0;
}

int hull_console_socket_connect(const char *path, hull_err *err) {
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

int hull_console_send_master(int sock, int master, hull_err *err) {
  const char name[] = "/dev/ptmx";
  return hull_send_fd(sock, master, name, sizeof(name) - 1, err);
}

int hull_console_socket_send(const char *path, int master, hull_err *err) {
  cleanup_close int fd = hull_console_socket_connect(path, err);
  if (fd < 0)
    return -1;
  if (hull_console_send_master(fd, master, err) < 0)
    return hull_error_wrap(err, "console socket %s", path);
  return 0;
}

static int copy_once(int from, int to) {
  char buf[8192];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0)
    return -1;
  return hull_write_all(to, buf, (size_t)n) < 0 ? -1 : 0;
}

int hull_pty_proxy(int master, int pidfd, hull_err *err) {
  struct termios saved;
  bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    tcsetattr(0, TCSANOW, &t);
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
      ioctl(master, TIOCSWINSZ, &ws);
  }
  struct pollfd p[3] = {{.fd = master, .events = POLLIN}, {.fd = 0, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
  bool stdin_open = true, exited = false;
  for (;;) {
    p[1].fd = stdin_open ? 0 : -1;
    int r = poll(p, 3, exited ? 50 : -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    if (r == 0 && exited)
      break; /* the child is gone and the pty has drained */
    if (p[0].revents & POLLIN) {
      if (copy_once(master, 1) < 0)
        break;
    } else if (p[0].revents & (POLLHUP | POLLERR)) {
      break;
    }
    if (p[1].revents & (POLLIN | POLLHUP)) {
      if (copy_once(0, master) < 0)
        stdin_open = false;
    }
    if (p[2].revents & POLLIN) {
      exited = true;
      p[2].fd = -1;
    }
  }
  if (raw)
    tcsetattr(0, TCSANOW, &saved);
  (void)err;
  return 0;
}
