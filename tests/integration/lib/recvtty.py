#!/usr/bin/env python3
"""A tiny console-socket receiver for runtime tests (like runc's contrib/recvtty).

    recvtty.py SOCKET [--input TEXT] [--connections N]

Listens on the unix socket SOCKET, accepts a connection from the runtime, receives
the pty master fd over SCM_RIGHTS, optionally writes TEXT to the terminal, and
copies everything the container writes to the terminal to stdout until the pty is
closed (EIO on the master once the last slave fd is gone). With --connections N it
serves N consecutive connections (e.g. a container and then an exec -t into it).
"""
import argparse
import array
import os
import socket
import sys


def recv_fd(conn):
    fds = array.array("i")
    msg, ancdata, _flags, _addr = conn.recvmsg(4096, socket.CMSG_SPACE(4 * fds.itemsize))
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("recvtty: no fd received (message %r)" % msg)
    for extra in fds[1:]:
        os.close(extra)
    return fds[0]


def copy_out(master):
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            break
        if not data:
            break
        out.write(data)
        out.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--input", default=None)
    ap.add_argument("--connections", type=int, default=1)
    args = ap.parse_args()

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = args.socket + ".tmp"
    if os.path.exists(tmp):
        os.unlink(tmp)
    srv.bind(tmp)
    srv.listen(args.connections)
    # Renamed into place only once listening, so waiting for the path is enough.
    os.rename(tmp, args.socket)

    for _ in range(args.connections):
        conn, _addr = srv.accept()
        master = recv_fd(conn)
        conn.close()
        if args.input is not None:
            os.write(master, args.input.encode())
        copy_out(master)
        os.close(master)
    srv.close()
    os.unlink(args.socket)


if __name__ == "__main__":
    main()
