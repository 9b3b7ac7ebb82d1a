#!/usr/bin/env python3
"""A counting, throttling HTTP proxy in front of a registry on loopback, for the tests of
resumed pulls (tests/integration/image-registry.bats): a client talks to it as to the
registry itself.

  slowproxy.py UPSTREAM_PORT BYTES_PER_SECOND STATEDIR

Writes STATEDIR/port once listening. While the file STATEDIR/slow exists, blob bodies go
out at BYTES_PER_SECOND; otherwise at full speed. Every request is logged, when it ends or
the client goes away, to STATEDIR/proxy.log as
"METHOD PATH RANGE STATUS BYTES" (RANGE is the Range header or "-", BYTES the body bytes
that reached the client). While STATEDIR/narrow exists, a bearer challenge keeps only the
scopes of the repository the request is for, as registries whose challenge names the target
repository alone.
"""
import http.client
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, rate, state = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
log_lock = threading.Lock()
CHUNK = 16384


def log(line):
    with log_lock, open(state + "/proxy.log", "a") as f:
        f.write(line + "\n")


def narrow(challenge, path):
    """The challenge with only the scopes of the repository the request is for."""
    m = re.match(r"/v2/(.+?)/(blobs|manifests|tags)/", path)
    repo = m.group(1) if m else ""

    def keep(match):
        scopes = [sc for sc in match.group(1).split(" ") if sc.startswith("repository:%s:" % repo)]
        return 'scope="%s"' % " ".join(scopes)
    return re.sub(r'scope="([^"]*)"', keep, challenge)


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def forward(self):
        body = None
        if "Content-Length" in self.headers:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        conn = http.client.HTTPConnection("127.0.0.1", upstream)
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() == "www-authenticate" and os.path.exists(state + "/narrow"):
                v = narrow(v, self.path)
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        data = resp.read()
        if "content-length" not in (k.lower() for k, _ in resp.getheaders()):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        sent = 0
        try:
            if self.command != "HEAD":
                slow = "/blobs/" in self.path
                for i in range(0, len(data), CHUNK):
                    self.wfile.write(data[i:i + CHUNK])
                    self.wfile.flush()
                    sent += len(data[i:i + CHUNK])
                    if slow and os.path.exists(state + "/slow"):
                        time.sleep(CHUNK / rate)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            log("%s %s %s %d %d" % (self.command, self.path, self.headers.get("Range") or "-", resp.status, sent))
            conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
with open(state + "/port.tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(state + "/port.tmp", state + "/port")
server.serve_forever()
