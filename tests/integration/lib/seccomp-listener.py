#!/usr/bin/env python3
"""seccomp-listener.py SOCKET STATEFILE ERRNO: a linux.seccomp.listenerPath receiver.

Accepts one connection on the unix socket SOCKET, takes the seccomp listener fd (SCM_RIGHTS)
and the container process state JSON sent with it (runtime-spec), writes the JSON to
STATEFILE, then answers every notified system call with -ERRNO until no process uses the
filter any more (the listener fd hangs up)."""
import array
import fcntl
import os
import select
import socket
import struct
import sys

# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp).
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, seccomp_data (nr, arch, ip, args[6])


def main():
    sock_path, state_file, answer = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    conn, _ = srv.accept()
    msg, anc, _, _ = conn.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 4))
    fds = array.array("i")
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % 4])
    conn.close()
    srv.close()
    with open(state_file + ".tmp", "wb") as f:
        f.write(msg)
    os.rename(state_file + ".tmp", state_file)
    if len(fds) != 1:
        sys.exit("expected one fd, got %d" % len(fds))
    fd = fds[0]
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        events = poller.poll(30000)
        if not events or events[0][1] & (select.POLLHUP | select.POLLERR):
            return
        buf = bytearray(NOTIF_SIZE)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, buf)
        except OSError:
            continue  # the caller went away in between
        notif_id = struct.unpack_from("Q", buf, 0)[0]
        try:
            fcntl.ioctl(fd, NOTIF_SEND, struct.pack("QqiI", notif_id, 0, -answer, 0))
        except OSError:
            pass


if __name__ == "__main__":
    main()
