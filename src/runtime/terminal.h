/* Terminals: the pty is created inside the container (its devpts); its master goes to
 * the library's caller (hull_proc.pty_master). */
#ifndef HULL_TERMINAL_H
#define HULL_TERMINAL_H

#include <sys/types.h>

#include "../common/error.h"

/* In the child: opens /dev/ptmx, returns the master; *slave gets the slave fd. */
int hull_pty_open(int *master, int *slave, unsigned short rows, unsigned short cols, hull_err *err) HULL_WUR;
/* In the child: makes slave the controlling terminal and stdio. */
int hull_pty_make_controlling(int slave, hull_err *err) HULL_WUR;
#endif
