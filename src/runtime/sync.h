/* The parent<->child protocol over a unix stream socketpair: framed messages,
 * optionally carrying one fd. Errors in the child before execve travel back as
 * HULL_SYNC_ERROR and become an ordinary hull_err in the parent. */
#ifndef HULL_SYNC_H
#define HULL_SYNC_H

#include <stdint.h>

#include "../common/error.h"

enum hull_sync_type {
  HULL_SYNC_GO = 1,       /* parent -> child: carry on */
  HULL_SYNC_USERMAP,      /* child -> parent: write my uid/gid maps (value: pid, 0 = sender) */
  HULL_SYNC_PID,          /* child -> parent: the container init's pid (value) */
  HULL_SYNC_HOOKS,        /* child -> parent: run prestart/createRuntime hooks now */
  HULL_SYNC_STATE,        /* parent -> child: payload is the state JSON for in-container hooks */
  HULL_SYNC_PTY,          /* child -> parent: fd is the pty master */
  HULL_SYNC_READY,        /* child -> parent: set up; waiting for start (or execing) */
  HULL_SYNC_ERROR,        /* child -> parent: value = errno, payload = message */
  HULL_SYNC_CGROUP,       /* parent -> child: value 1: the cgroup exists; 2: you are in it */
  HULL_SYNC_EXEC_ERROR,   /* hull-exec -> parent: value = errno of execve, payload = "exec PATH" */
  HULL_SYNC_SECCOMP,      /* child -> parent: fd is the seccomp listener (SCMP_ACT_NOTIFY) */
  HULL_SYNC_CGROUP_TASKS, /* parent -> child: fd is hierarchy `value`'s v1 tasks file, to enter at stage 2 */
};
/* hull-exec (trampoline/hull-exec.c) is freestanding and writes this number itself. */
_Static_assert(HULL_SYNC_EXEC_ERROR == 10, "hull-exec.c has HULL_SYNC_EXEC_ERROR 10");

struct hull_sync_msg {
  uint32_t type;
  int32_t value;
  uint32_t len;
  char *payload; /* NUL-terminated, may be NULL */
  int fd;
};

int hull_sync_send(int sock, enum hull_sync_type type, int32_t value, const char *payload, int fd,
                   hull_err *err) HULL_WUR;
/* Receives one message; a closed peer gives EPIPE. */
int hull_sync_recv(int sock, struct hull_sync_msg *msg, hull_err *err) HULL_WUR;
/* Receives a message of the expected type; an HULL_SYNC_ERROR becomes *err. */
int hull_sync_expect(int sock, enum hull_sync_type type, struct hull_sync_msg *msg, hull_err *err) HULL_WUR;
void hull_sync_msg_clear(struct hull_sync_msg *msg);
/* In the child: forwards err to the parent (and releases it). */
void hull_sync_send_error(int sock, hull_err *err);

#endif
