#!/usr/bin/env python3
"""dnsq.py SERVER NAME [A|AAAA] [tcp]: one DNS query; prints the addresses of the answer and
exits 0, or prints the response code and exits 1 (for hull-dns over TCP, which busybox
nslookup does not speak)."""
import random
import socket
import struct
import sys

server, name = sys.argv[1], sys.argv[2]
qtype = {"A": 1, "AAAA": 28}[sys.argv[3] if len(sys.argv) > 3 else "A"]
tcp = len(sys.argv) > 4 and sys.argv[4] == "tcp"
qid = random.randrange(65536)
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
q += struct.pack(">HH", qtype, 1)
fam = socket.AF_INET6 if ":" in server else socket.AF_INET
if tcp:
    s = socket.create_connection((server, 53), timeout=3)
    s.sendall(struct.pack(">H", len(q)) + q)
    buf = b""
    while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
        chunk = s.recv(65535)
        if not chunk:
            break
        buf += chunk
    r = buf[2:]
else:
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(q, (server, 53))
    r = s.recv(65535)
rid, flags, qd, an = struct.unpack(">HHHH", r[:8])
assert rid == qid, "wrong id"
if flags & 0xF:
    print("rcode", flags & 0xF)
    sys.exit(1)
p = len(q)
out = []
for _ in range(an):
    # every answer's name is a 2-byte pointer (hull-dns) or labels (others)
    while r[p] != 0 and r[p] & 0xC0 != 0xC0:
        p += r[p] + 1
    p += 2 if r[p] & 0xC0 == 0xC0 else 1
    t, _, _, rdlen = struct.unpack(">HHIH", r[p:p + 10])
    p += 10
    if t in (1, 28):
        out.append(socket.inet_ntop(socket.AF_INET if t == 1 else socket.AF_INET6, r[p:p + rdlen]))
    p += rdlen
print(" ".join(out))
sys.exit(0 if out else 1)
