#include "sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/util.h"

struct wire {
  uint32_t type;
  int32_t value;
  uint32_t len;
  uint32_t has_fd;
};

#define MAX_PAYLOAD (4u << 20)

int hull_sync_send(int sock, enum hull_sync_type type, int32_t value, const char *payload, int fd, hull_err *err) {
  struct wire w = {.type = type, .value = value, .len = payload ? (uint32_t)strlen(payload) : 0, .has_fd = fd >= 0};
  if (fd >= 0) {
    if (hull_send_fd(sock, fd, &w, sizeof(w), err) < 0)
      return -1;
  } else if (hull_write_all(sock, &w, sizeof(w)) < 0) {
    return hull_error_sys(err, "sync: send message %u", type);
  }
  if (w.len && hull_write_all(sock, payload, w.len) < 0)
    return hull_error_sys(err, "sync: send message %u", type);
  return 0;
}

int hull_sync_recv(int sock, struct hull_sync_msg *msg, hull_err *err) {
  struct wire w;
  memset(msg, 0, sizeof(*msg));
  msg->fd = -1;
  /* The header comes with the fd (if any) in one recvmsg; a header is small enough
   * that a stream socket delivers it whole. */
  int fd = -1;
  struct iovec iov = {.iov_base = &w, .iov_len = sizeof(w)};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
  ssize_t r;
  do
    r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return hull_error_sys(err, "sync: receive");
  if (r == 0)
    return hull_error(err, EPIPE, "sync: the container's init process exited during setup");
  if ((size_t)r < sizeof(w))
    return hull_error(err, EPROTO, "sync: short message");
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      memcpy(&fd, CMSG_DATA(c), sizeof(int));
  msg->type = w.type;
  msg->value = w.value;
  msg->len = w.len;
  msg->fd = fd;
  if (w.len > MAX_PAYLOAD) {
    hull_sync_msg_clear(msg);
    return hull_error(err, EPROTO, "sync: message too large");
  }
  if (w.len) {
    msg->payload = malloc(w.len + 1);
    if (msg->payload == NULL || hull_read_all(sock, msg->payload, w.len) != (ssize_t)w.len) {
      hull_sync_msg_clear(msg);
      return hull_error(err, EPROTO, "sync: truncated message");
    }
    msg->payload[w.len] = '\0';
  }
  return 0;
}

void hull_sync_msg_clear(struct hull_sync_msg *msg) {
  free(msg->payload);
  msg->payload = NULL;
  if (msg->fd >= 0)
    close(msg->fd);
  msg->fd = -1;
}

int hull_sync_expect(int sock, enum hull_sync_type type, struct hull_sync_msg *msg, hull_err *err) {
  if (hull_sync_recv(sock, msg, err) < 0)
    return -1;
  if (msg->type == HULL_SYNC_ERROR) {
    hull_error_from_msg(err, msg->value, 0, msg->payload);
    hull_sync_msg_clear(msg);
    return -1;
  }
  if (msg->type != (uint32_t)type) {
    uint32_t got = msg->type;
    hull_sync_msg_clear(msg);
    return hull_error(err, EPROTO, "sync: expected message %d, got %u", type, got);
  }
  return 0;
}

void hull_sync_send_error(int sock, hull_err *err) {
  hull_err ignored = NULL;
  if (hull_sync_send(sock, HULL_SYNC_ERROR, err && *err ? (*err)->errno_ : 0,
                     err && *err ? (*err)->msg : "unknown error", -1, &ignored) < 0)
    hull_error_release(&ignored); /* nothing more can be done if the parent is gone */
  hull_error_release(err);
}
