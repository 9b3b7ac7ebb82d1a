#!/usr/bin/env python3
"""ctty.py PIDFILE CMD [ARG...]: runs CMD in a new session whose controlling terminal is a
new pty, with CMD's stdio left as the caller gave them (redirected, so none is a tty), as
a shell started from a terminal with `<in >out 2>err` has. The pid of CMD goes to PIDFILE;
what is written to the pty is read and dropped. Exits with CMD's status (128+N for
signal N)."""
import fcntl
import os
import select
import sys
import termios
import time


def main():
    pidfile, cmd = sys.argv[1], sys.argv[2:]
    master, slave = os.openpty()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        os.close(master)
        os.close(slave)
        os.execvp(cmd[0], cmd)
    os.close(slave)
    with open(pidfile + ".new", "w") as f:
        f.write(str(pid))
    os.rename(pidfile + ".new", pidfile)
    while True:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                os.read(master, 65536)
            except OSError:
                time.sleep(0.05)  # nobody has the pty open (EIO)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


main()
