#include "terminal.h"

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
