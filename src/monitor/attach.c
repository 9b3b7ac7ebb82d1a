/* attach.sock: live output to any number of clients, stdin from one.
 *
 * Protocol (CONTRACT §3, docs/design.md "The monitor"):
 * - monitor -> client: the container's output from the moment of connecting. Without a
 *   tty every chunk is framed as Docker's attach multiplexing (stdcopy): 1 byte stream
 *   (1 stdout, 2 stderr), 3 zero bytes, the length as 4 bytes big-endian, the bytes.
 *   With a tty the pty's output is sent raw.
 * - client -> monitor: raw bytes for the container's stdin. Only the first connected
 *   client (while it stays connected) owns stdin; the input of others is dropped. With a
 *   tty, a chunk that is exactly xterm's "resize" control sequence ESC [ 8 ; ROWS ; COLS t
 *   (one write) resizes the pty instead: it is terminal *output* syntax, which no keyboard
 *   sends as input.
 * - Detaching (ctrl-p ctrl-q) is the client's business: it closes its connection; the
 *   container goes on. With stdin_once, the owner's end of input closes the container's
 *   stdin (docker run -i: `echo x | hull run -i IMAGE cat`).
 * - When the container exits, every connection is closed after its last output.
 * - With attach_window_ms (a foreground run: the CLI connects after `started`), what the
 *   container writes before the first client connects is kept and sent to it first
 *   (main.c: up to 256 KiB, then the container waits; the monitor waits that long for the
 *   client even after the container ended). */
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
#include "../common/log.h"
#include "../common/util.h"
#include "monitor.h"

#define MAX_CLIENTS 32

struct client {
  int fd;
  bool input_done;
};

struct mon_attach {
  int listen_fd;
  char *path;
  struct client clients[MAX_CLIENTS];
  size_t n;
  int stdin_owner; /* fd of the client that owns stdin, -1 */
};

int mon_attach_listen(const char *path, struct mon_attach **out, hull_err *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof(sa.sun_path))
    return hull_error(err, ENAMETOOLONG, "attach socket %s", path);
  strcpy(sa.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return hull_error_sys(err, "attach socket %s", path);
  /* A socket left by a monitor that was killed is stale: nobody else serves this path. */
  if (unlink(path) < 0 && errno != ENOENT)
    return hull_error_sys(err, "remove stale %s", path);
  mode_t old = umask(0077);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
  umask(old);
  if (rc < 0)
    return hull_error_sys(err, "bind %s", path);
  if (listen(fd, 16) < 0)
    return hull_error_sys(err, "listen %s", path);
  struct mon_attach *a = calloc(1, sizeof(*a));
  if (a == NULL || (a->path = strdup(path)) == NULL) {
    free(a);
    return hull_error(err, ENOMEM, "attach socket %s", path);
  }
  a->listen_fd = take_fd(&fd);
  a->stdin_owner = -1;
  *out = a;
  return 0;
}

static void drop_client(struct mon_attach *a, size_t i) {
  if (a->clients[i].fd == a->stdin_owner)
    a->stdin_owner = -1;
  close(a->clients[i].fd);
  a->clients[i] = a->clients[--a->n];
}

size_t mon_attach_clients(const struct mon_attach *a) { return a ? a->n : 0; }

void mon_attach_hangup(struct mon_attach *a) {
  while (a && a->n > 0)
    drop_client(a, a->n - 1);
}

void mon_attach_close(struct mon_attach *a) {
  if (a == NULL)
    return;
  mon_attach_hangup(a);
  close(a->listen_fd);
  unlink(a->path);
  free(a->path);
  free(a);
}

size_t mon_attach_fds(struct mon_attach *a, struct pollfd *pfd, size_t max) {
  size_t n = 0;
  if (max == 0)
    return 0;
  pfd[n++] = (struct pollfd){.fd = a->listen_fd, .events = a->n < MAX_CLIENTS ? POLLIN : 0};
  /* A client whose input ended is still watched for its hangup (events 0 still
   * reports POLLHUP and POLLERR). */
  for (size_t i = 0; i < a->n && n < max; i++)
    pfd[n++] = (struct pollfd){.fd = a->clients[i].fd, .events = a->clients[i].input_done ? 0 : POLLIN};
  return n;
}

static void accept_client(struct mon_attach *a) {
  int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  if (a->n >= MAX_CLIENTS) {
    close(fd);
    return;
  }
  /* Output is written blocking (a slow client slows the container, as Docker's attach
   * does), but a client that takes nothing for 5 s is dropped rather than stall the
   * monitor and the logs for good. */
  struct timeval tv = {.tv_sec = 5};
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
    hull_warn("attach: SO_SNDTIMEO: %s", strerror(errno));
  a->clients[a->n++] = (struct client){.fd = fd};
  if (a->stdin_owner < 0)
    a->stdin_owner = fd;
}

/* xterm's CSI 8 ; rows ; cols t, the whole chunk. */
static bool parse_resize(const char *buf, size_t len, struct winsize *ws) {
  char tmp[32];
  if (len < 7 || len >= sizeof(tmp) || buf[0] != '\033' || buf[1] != '[' || buf[2] != '8' || buf[3] != ';' ||
      buf[len - 1] != 't')
    return false;
  memcpy(tmp, buf, len);
  tmp[len] = '\0';
  unsigned rows, cols;
  char end;
  if (sscanf(tmp + 4, "%u;%u%c", &rows, &cols, &end) != 3 || end != 't' || rows > 0xffff || cols > 0xffff)
    return false;
  *ws = (struct winsize){.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  return true;
}

/* Writes to the container's stdin (non-blocking): a container that does not read its
 * input gets at most a second of waiting per chunk before the rest is dropped, so that
 * the monitor keeps serving its output. */
static void write_stdin(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, buf, len);
    if (w > 0) {
      buf += w;
      len -= (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {.fd = fd, .events = POLLOUT};
      if (poll(&p, 1, 1000) > 0)
        continue;
    }
    hull_warn("attach: %zu bytes of input dropped: the container does not read its stdin", len);
    return;
  }
}

static bool client_input(struct mon_attach *a, size_t i, int stdin_fd, int pty_fd, bool *stdin_eof) {
  char buf[4096];
  struct client *c = &a->clients[i];
  ssize_t r = read(c->fd, buf, sizeof(buf));
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0) {
    /* End of input (a shutdown(SHUT_WR) or a disconnect): the client may still read. */
    c->input_done = true;
    if (c->fd == a->stdin_owner) {
      *stdin_eof = true;
      a->stdin_owner = -1;
    }
    return r == 0;
  }
  if (c->fd != a->stdin_owner)
    return true;
  struct winsize ws;
  if (pty_fd >= 0 && parse_resize(buf, (size_t)r, &ws)) {
    if (ioctl(pty_fd, TIOCSWINSZ, &ws) < 0)
      hull_warn("attach: resize the terminal: %s", strerror(errno));
    return true;
  }
  if (stdin_fd >= 0)
    write_stdin(stdin_fd, buf, (size_t)r);
  return true;
}

void mon_attach_handle(struct mon_attach *a, const struct pollfd *pfd, size_t n, int stdin_fd, int pty_fd,
                       bool *stdin_eof) {
  if (n == 0)
    return;
  /* Clients first, by fd (the array moves as clients go), then new connections. */
  for (size_t k = 1; k < n; k++) {
    if (pfd[k].revents == 0)
      continue;
    size_t i = 0;
    while (i < a->n && a->clients[i].fd != pfd[k].fd)
      i++;
    if (i == a->n)
      continue;
    bool keep = true;
    if (pfd[k].revents & POLLIN)
      keep = client_input(a, i, stdin_fd, pty_fd, stdin_eof);
    if (!keep || (pfd[k].revents & (POLLERR | POLLNVAL)) || ((pfd[k].revents & POLLHUP) && !(pfd[k].revents & POLLIN)))
      drop_client(a, i);
  }
  if (pfd[0].revents & POLLIN)
    accept_client(a);
}

void mon_attach_broadcast(struct mon_attach *a, int stream, const char *data, size_t len, bool tty) {
  unsigned char hdr[8] = {(unsigned char)(stream + 1),
                          0,
                          0,
                          0,
                          (unsigned char)(len >> 24),
                          (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8),
                          (unsigned char)len};
  for (size_t i = 0; i < a->n;) {
    int fd = a->clients[i].fd;
    bool ok = (tty || hull_send_all(fd, hdr, sizeof(hdr)) >= 0) && hull_send_all(fd, data, len) >= 0;
    if (!ok)
      drop_client(a, i);
    else
      i++;
  }
}
