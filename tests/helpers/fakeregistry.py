#!/usr/bin/env python3
"""A small registry for the tests the real one cannot play (tests/integration/image-registry.bats):
bearer tokens from a token server on another port, and layer blobs redirected to a storage
server on a third port, as registries that keep blobs on S3 do. Every Authorization header
each server receives is logged, so a test can prove where credentials went.

  fakeregistry.py OCI_ARCHIVE REPO TAG STATEDIR [basic:USER:PASS | bearer:USER:PASS]

Serves the image of the OCI archive as REPO:TAG. With basic:USER:PASS the registry itself
asks for basic auth; with bearer:USER:PASS the token server does (anonymous tokens otherwise). Writes STATEDIR/ports ("registry token
storage") once listening and appends "server path authorization" lines to STATEDIR/auth.log.
With FAKE_FOREIGN_URLS=1 in the environment, every layer descriptor of the manifest also lists
`urls` on a fourth ("foreign") server, whose port goes to STATEDIR/foreign-port and whose
requests are logged as "foreign ..." (CVE-2020-15157: a client must not fetch them with the
registry's credentials).
"""
import json
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import base64  # noqa: E402
import hashlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402

TOKEN = "hull-test-token-5ecret"
archive, repo, tag, state = sys.argv[1:5]
mode, creds = (sys.argv[5].split(":", 1) + [""])[:2] if len(sys.argv) > 5 else ("anonymous", "")
BASIC = "Basic " + base64.b64encode(creds.encode()).decode()
blobs = {}
with tarfile.open(archive) as tf:
    for m in tf.getmembers():
        if m.isfile():
            blobs[m.name] = tf.extractfile(m).read()
index = json.loads(blobs["index.json"])
manifest_digest = index["manifests"][0]["digest"]
foreign = None
if os.environ.get("FAKE_FOREIGN_URLS") == "1":
    # The port is taken before the manifest is written, as the urls must name it.
    foreign = socket.socket()
    foreign.bind(("127.0.0.1", 0))
    fport = foreign.getsockname()[1]
    m = json.loads(blobs["blobs/sha256/" + manifest_digest.split(":", 1)[1]])
    for layer in m["layers"]:
        layer["urls"] = ["http://127.0.0.1:%d/foreign/%s" % (fport, layer["digest"])]
    raw = json.dumps(m).encode()
    manifest_digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    blobs["blobs/sha256/" + manifest_digest.split(":", 1)[1]] = raw
log_lock = threading.Lock()
ports = {}


def log(server, path, auth):
    with log_lock, open(state + "/auth.log", "a") as f:
        f.write("%s %s %s\n" % (server, path, auth or "-"))


def blob(digest):
    return blobs.get("blobs/sha256/" + digest.split(":", 1)[-1])


class Base(BaseHTTPRequestHandler):
    server_name = "?"

    def log_message(self, *a):
        pass

    def send(self, code, body=b"", ctype="application/octet-stream", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()


class Registry(Base):
    def do_GET(self):
        auth = self.headers.get("Authorization")
        log("registry", self.path, auth)
        if mode == "basic" and auth != BASIC:
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                             "application/json", [("WWW-Authenticate", 'Basic realm="fake"')])
        if mode != "basic" and auth != "Bearer " + TOKEN:
            challenge = 'Bearer realm="http://127.0.0.1:%d/token",service="fake",scope="repository:%s:pull"' % (
                ports["token"], repo)
            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token needed"}]}',
                             "application/json", [("WWW-Authenticate", challenge)])
        prefix = "/v2/%s/" % repo
        if self.path == "/v2/":
            return self.send(200, b"{}", "application/json")
        if self.path in (prefix + "manifests/" + tag, prefix + "manifests/" + manifest_digest):
            return self.send(200, blob(manifest_digest), "application/vnd.oci.image.manifest.v1+json")
        if self.path.startswith(prefix + "blobs/"):
            digest = self.path[len(prefix + "blobs/"):]
            data = blob(digest)
            if data is None:
                return self.send(404)
            if json.loads(blob(manifest_digest))["config"]["digest"] == digest:
                return self.send(200, data)
            return self.send(307, headers=[("Location", "http://127.0.0.1:%d/storage/%s" % (ports["storage"], digest))])
        self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', "application/json")


class Token(Base):
    def do_GET(self):
        log("token", self.path, self.headers.get("Authorization"))
        if mode == "bearer" and self.headers.get("Authorization") != BASIC:
            return self.send(401, b'{"details":"incorrect username or password"}', "application/json")
        self.send(200, json.dumps({"token": TOKEN}).encode(), "application/json")


class Storage(Base):
    def do_GET(self):
        log("storage", self.path, self.headers.get("Authorization"))
        data = blob(self.path.rsplit("/", 1)[-1])
        self.send(200 if data is not None else 404, data or b"")


class Foreign(Base):
    def do_GET(self):
        log("foreign", self.path, self.headers.get("Authorization"))
        data = blob(self.path.rsplit("/", 1)[-1])
        self.send(200 if data is not None else 404, data or b"")


servers = {}
if foreign is not None:
    foreign.close()
    servers["foreign"] = ThreadingHTTPServer(("127.0.0.1", fport), Foreign)
    threading.Thread(target=servers["foreign"].serve_forever, daemon=True).start()
    with open(state + "/foreign-port", "w") as f:
        f.write("%d\n" % fport)
for name, cls in (("registry", Registry), ("token", Token), ("storage", Storage)):
    servers[name] = ThreadingHTTPServer(("127.0.0.1", 0), cls)
    ports[name] = servers[name].server_address[1]
for name in ("token", "storage"):
    threading.Thread(target=servers[name].serve_forever, daemon=True).start()
with open(state + "/ports.tmp", "w") as f:
    f.write("%d %d %d\n" % (ports["registry"], ports["token"], ports["storage"]))
os.rename(state + "/ports.tmp", state + "/ports")
servers["registry"].serve_forever()
