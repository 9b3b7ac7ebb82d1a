/* attach: the CLI's end of the monitor's attach.sock (docs/design.md "The monitor").
 *
 * The monitor sends the container's output: raw with a tty, else framed as Docker's
 * stdcopy (1 byte stream, 3 zero bytes, 4 bytes big-endian length, the bytes), which is
 * demultiplexed here to our stdout and stderr. Our stdin goes the other way; its end is a
 * shutdown of our writing side (the monitor then closes the container's stdin when the
 * container was started with StdinOnce, Docker's `run -i`). A terminal's size goes as
 * xterm's resize sequence ESC [ 8 ; ROWS ; COLS t, in one write of its own. The detach
 * keys are looked for in our stdin and never reach the container; reading them all ends
 * the attach and leaves the container running, as Docker's escape proxy does. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/engine.h"

#define MAX_DETACH_KEYS 16

/* The signals --sig-proxy forwards: what a user or a supervisor sends to stop, reload or
 * poke a process. SIGCHLD, SIGPIPE, SIGWINCH and the job-control stops are ours. */
static const int proxied[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM};

struct attach {
  hull_engine *e;
  hull_ctr *c;
  const hull_attach_opts *o;
  int sock, sfd;
  bool stdin_open, detached;
  unsigned char keys[MAX_DETACH_KEYS];
  size_t nkeys, matched; /* detach keys, and how many of them the input just matched */
  /* stdcopy demultiplexing: the header being read, then the payload's rest. */
  unsigned char hdr[8];
  size_t hdr_len;
  uint32_t remaining;
};

int hull_parse_detach_keys(const char *spec, unsigned char *keys, size_t max, size_t *len, hull_err *err) {
  *len = 0;
  if (spec == NULL)
    spec = "ctrl-p,ctrl-q";
  cleanup_free char *copy = strdup(spec);
  if (copy == NULL)
    return hull_error(err, ENOMEM, "--detach-keys");
  char *save = NULL;
  for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
    int b = -1;
    if (strlen(k) == 1) {
      b = (unsigned char)k[0];
    } else if (strncmp(k, "ctrl-", 5) == 0 && strlen(k) == 6) {
      /* ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\, ctrl-], ctrl-^, ctrl-_ (Docker's set). */
      char ch = k[5];
      if (ch >= 'a' && ch <= 'z')
        b = ch - 'a' + 1;
      else if (ch == '@' || ch == '[' || ch == '\\' || ch == ']' || ch == '^' || ch == '_')
        b = ch & 0x1f;
    }
    if (b < 0 || *len >= max)
      return hull_error_code(err, EINVAL, "Invalid detach keys (%s) provided", spec);
    keys[(*len)++] = (unsigned char)b;
  }
  return 0;
}

static void send_size(struct attach *a) {
  struct winsize ws;
  if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
    return;
  char seq[32];
  int n = snprintf(seq, sizeof(seq), "\033[8;%u;%ut", ws.ws_row, ws.ws_col);
  if (hull_send_all(a->sock, seq, (size_t)n) < 0)
    hull_debug("attach: send the terminal's size: %s", strerror(errno));
}

/* The container's output, as much as one read gives. False at its end. */
static bool output(struct attach *a) {
  unsigned char buf[16384];
  ssize_t r = read(a->sock, buf, sizeof(buf));
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0)
    return false;
  if (a->o->tty) {
    if (hull_write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
      hull_debug("attach: write stdout: %s", strerror(errno));
    return true;
  }
  for (size_t i = 0; i < (size_t)r;) {
    if (a->remaining == 0) {
      a->hdr[a->hdr_len++] = buf[i++];
      if (a->hdr_len == sizeof(a->hdr)) {
        a->remaining = (uint32_t)a->hdr[4] << 24 | (uint32_t)a->hdr[5] << 16 | (uint32_t)a->hdr[6] << 8 | a->hdr[7];
        a->hdr_len = 0;
      }
      continue;
    }
    size_t n = (size_t)r - i < a->remaining ? (size_t)r - i : a->remaining;
    /* A closed stdout (| head) is no reason to stop: the container's end is. */
    if (hull_write_all(a->hdr[0] == 2 ? STDERR_FILENO : STDOUT_FILENO, buf + i, n) < 0)
      hull_debug("attach: write stream %d: %s", a->hdr[0], strerror(errno));
    i += n;
    a->remaining -= (uint32_t)n;
  }
  return true;
}

/* Our input: the detach keys are held back until they either all come (detach) or
 * another byte shows they were input. False when the socket is gone. */
static bool input(struct attach *a) {
  unsigned char buf[4096], out[4096 + MAX_DETACH_KEYS];
  ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (r <= 0) {
    a->stdin_open = false;
    if (a->matched > 0 && hull_send_all(a->sock, a->keys, a->matched) < 0)
      return false;
    a->matched = 0;
    shutdown(a->sock, SHUT_WR);
    return true;
  }
  size_t n = 0;
  for (ssize_t i = 0; i < r; i++) {
    unsigned char b = buf[i];
    if (a->nkeys > 0 && b == a->keys[a->matched]) {
      if (++a->matched == a->nkeys) {
        a->detached = true;
        break;
      }
      continue;
    }
    memcpy(out + n, a->keys, a->matched);
    n += a->matched;
    a->matched = 0;
    if (a->nkeys > 0 && b == a->keys[0]) {
      a->matched = 1;
      continue;
    }
    out[n++] = b;
  }
  return n == 0 || hull_send_all(a->sock, out, n) >= 0;
}

static void on_signal(struct attach *a) {
  struct signalfd_siginfo si;
  while (read(a->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGWINCH) {
      send_size(a);
      continue;
    }
    hull_err e = NULL;
    if (hull_ctr_kill(a->e, a->c, (int)si.ssi_signo, &e) < 0) {
      hull_debug("sig-proxy %u: %s", si.ssi_signo, e->msg);
      hull_error_release(&e); /* the container may just have ended */
    }
  }
}

static int connect_socket(hull_engine *e, const hull_ctr *c, hull_err *err) {
  cleanup_free char *path = hull_ctr_run_path(e, c->id, "attach.sock");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (path == NULL)
    return hull_error(err, ENOMEM, "attach socket");
  if (strlen(path) >= sizeof(sa.sun_path))
    return hull_error(err, ENAMETOOLONG, "attach socket %s", path);
  strcpy(sa.sun_path, path);
  cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return hull_error_sys(err, "attach socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
    return hull_error_sys(err, "attach to %.12s", c->id);
  return take_fd(&fd);
}

static int pump(struct attach *a) {
  for (;;) {
    struct pollfd p[3] = {{.fd = a->sock, .events = POLLIN},
                          {.fd = a->stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                          {.fd = a->sfd, .events = POLLIN}};
    int r = poll(p, 3, -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    if (p[2].revents)
      on_signal(a);
    if (p[1].revents && !input(a))
      return 0;
    if (a->detached)
      return 0;
    if (p[0].revents && !output(a))
      return 0;
  }
}

int hull_ctr_attach(hull_engine *e, hull_ctr *c, const hull_attach_opts *o, int *exit_code, bool *detached,
                    hull_err *err) {
  *detached = false;
  *exit_code = 0;
  struct attach a = {.e = e, .c = c, .o = o, .sock = -1, .sfd = -1, .stdin_open = o->stdin};
  if (o->stdin && hull_parse_detach_keys(o->detach_keys, a.keys, MAX_DETACH_KEYS, &a.nkeys, err) < 0)
    return -1;
  cleanup_close int sock = connect_socket(e, c, err);
  if (sock < 0)
    return -1;
  a.sock = sock;
  sigset_t mask, old;
  sigemptyset(&mask);
  if (o->tty)
    sigaddset(&mask, SIGWINCH);
  for (size_t i = 0; o->sig_proxy && i < sizeof(proxied) / sizeof(proxied[0]); i++)
    sigaddset(&mask, proxied[i]);
  sigprocmask(SIG_BLOCK, &mask, &old);
  cleanup_close int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  a.sfd = sfd;
  /* The caller's terminal in raw mode: every key (ctrl-c too) goes to the container's
   * terminal, which does the echo and the line editing. */
  struct termios saved;
  bool raw = o->tty && o->stdin && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (raw) {
    struct termios t = saved;
    cfmakeraw(&t);
    raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
  }
  if (o->tty)
    send_size(&a);
  /* The run's commits so far (create, start) are written out while the container runs. */
  hull_store_write_back(e->store);
  int rc = pump(&a);
  int saved_errno = errno;
  if (raw)
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (rc < 0) {
    errno = saved_errno;
    return hull_error_sys(err, "attach to %.12s", c->id);
  }
  if (a.detached) {
    *detached = true;
    return 0;
  }
  /* The monitor closes the socket after it wrote exit.json. */
  int code = hull_ctr_wait(e, c, -1, err);
  if (code < 0)
    return -1;
  *exit_code = code;
  return 0;
}
