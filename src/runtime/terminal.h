/* Terminals: the pty is created inside the container (its devpts), the master goes
 * to the caller over --console-socket (SCM_RIGHTS) or, for a foreground `run`
 * without one, is proxied to the runtime's own stdio. */
#ifndef HULL_TERMINAL_H
#define HULL_TERMINAL_H

#include <sys/types.h>

#include "../common/error.h"

/* In the child: opens /dev/ptmx, returns the master; *slave gets the slave fd. */
int hull_pty_open(int *master, int *slave, unsigned short rows, unsigned short cols, hull_err *err) HULL_WUR;
/* In the child: makes slave the controlling terminal and stdio. */
int hull_pty_make_controlling(int slave, hull_err *err) HULL_WUR;
/* Sends the master over a connected console socket (runc's protocol: SCM_RIGHTS
 * with the name "/dev/ptmx"). */
int hull_console_send_master(int sock, int master, hull_err *err) HULL_WUR;
/* Connects to the unix socket at path and sends the master there. */
int hull_console_socket_send(const char *path, int master, hull_err *err) HULL_WUR;
/* Connects to the console socket early (so a bad path fails before anything is created). */
int hull_console_socket_connect(const char *path, hull_err *err) HULL_WUR;
/* For a foreground process with a terminal and no console socket: the caller's
 * terminal (a dup of whichever of stderr, stdout, stdin is one, else /dev/tty), or -1
 * with "open /dev/tty: No such device or address" when there is none, as runc. */
int hull_host_console(hull_err *err) HULL_WUR;
/* Forwards the signals a foreground runtime gets (INT, TERM, HUP, QUIT, USR1, USR2,
 * ALRM, CONT) to pid, which must be our own unreaped child; SIGWINCH resizes the pty
 * in hull_pty_proxy instead. pid 0 restores the defaults. */
void hull_forward_signals(pid_t pid);
/* Copies between our stdin/stdout and master until the child exits (pidfd readable),
 * then drains for at most 200 ms and 1 MiB. console (from hull_host_console, or -1) is
 * put in raw mode meanwhile and its window size copied to the pty. stdin's EOF is
 * passed on as the terminal's EOF character. Fails only when the relay itself cannot go
 * on (poll fails); the end of either side's data is not an error. The caller still
 * waits for the child. */
int hull_pty_proxy(int master, int pidfd, int console, hull_err *err) HULL_WUR;

#endif
