/* hull-runtime's terminals and foreground processes (console.c). */
#ifndef HULL_CLI_CONSOLE_H
#define HULL_CLI_CONSOLE_H

#include <sys/types.h>

#include "../common/error.h"

/* Sends the master over a connected console socket (runc's protocol: SCM_RIGHTS
 * with the name "/dev/ptmx"). */
int cli_console_send(int sock, int master, hull_err *err) HULL_WUR;
/* Connects to the unix socket at path and sends the master there. */
int cli_console_socket_send(const char *path, int master, hull_err *err) HULL_WUR;
/* Connects to the console socket early (so a bad path fails before anything is created). */
int cli_console_connect(const char *path, hull_err *err) HULL_WUR;
/* For a foreground process with a terminal and no console socket: the caller's
 * terminal (a dup of whichever of stderr, stdout, stdin is one, else /dev/tty), or -1
 * with "open /dev/tty: No such device or address" when there is none, as runc. */
int cli_host_console(hull_err *err) HULL_WUR;
/* Forwards the signals a foreground runtime gets (INT, TERM, HUP, QUIT, USR1, USR2,
 * ALRM, CONT) to pid, which must be our own unreaped child; SIGWINCH resizes the pty
 * in cli_pty_proxy instead. pid 0 restores the defaults. */
void cli_forward_signals(pid_t pid);
/* Copies between our stdin/stdout and master until the child exits (pidfd readable),
 * then drains for at most 200 ms and 1 MiB. console (from cli_host_console, or -1) is
 * put in raw mode meanwhile and its window size copied to the pty. stdin's EOF is
 * passed on as the terminal's EOF character. Fails only when the relay itself cannot go
 * on (poll fails); the end of either side's data is not an error. The caller still
 * waits for the child. */
int cli_pty_proxy(int master, int pidfd, int console, hull_err *err) HULL_WUR;

#endif
