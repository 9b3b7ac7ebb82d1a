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

For the tests of parallel pulls: while STATEDIR/delay exists, every blob GET waits that many
seconds (a float in the file) before it is answered; while STATEDIR/hold exists, a blob GET
whose path contains the file's text waits (up to 30 s) until STATEDIR/release exists. Each
blob GET's [start, end) on one monotonic clock goes to STATEDIR/intervals.log as
"START END PATH". With the environment's SLOWPROXY_CERT and SLOWPROXY_KEY (PEM files), the
proxy speaks HTTPS.
"""
import http.client
import os
import re
import ssl
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

    def wait_for_test(self):
        """Delays and holds of blob GETs that the test asked for, as the docstring says."""
        try:
            with open(state + "/delay") as f:
                time.sleep(float(f.read().strip() or 0))
        except FileNotFoundError:
            pass
        try:
            with open(state + "/hold") as f:
                held = f.read().strip()
        except FileNotFoundError:
            held = ""
        if held and held in self.path:
            for _ in range(600):
                if os.path.exists(state + "/release"):
                    break
                time.sleep(0.05)

    def forward(self):
        start = time.monotonic()
        blob_get = self.command == "GET" and "/blobs/" in self.path
        if blob_get:
            self.wait_for_test()
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
            if blob_get:
                with log_lock, open(state + "/intervals.log", "a") as f:
                    f.write("%.3f %.3f %s\n" % (start, time.monotonic(), self.path))
            conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = forward


server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
if os.environ.get("SLOWPROXY_CERT"):
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(os.environ["SLOWPROXY_CERT"], os.environ["SLOWPROXY_KEY"])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
with open(state + "/port.tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(state + "/port.tmp", state + "/port")
server.serve_forever()
