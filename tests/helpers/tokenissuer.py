#!/usr/bin/env python3
"""A bearer token issuer for Debian's docker-registry (auth: token), for the push tests of
tests/integration/image-registry.bats. It signs JWTs (RS256) with a key it makes at start,
whose self-signed certificate goes into the token's x5c header and to STATEDIR/cert.pem for
the registry's rootcertbundle.

  tokenissuer.py STATEDIR

Anyone gets a token (anonymous); it grants every scope asked for, except pull of the
repositories listed in STATEDIR/deny (one a line, read on every request): with the file
STATEDIR/refuse present a request for such a scope is refused (401), otherwise the scope is
left out of the token, as token servers do with scopes an account may not have. Each request's
query is appended to STATEDIR/token.log; STATEDIR/port gets the port once listening.

With STATEDIR/refresh present only an identity token (OAuth2 refresh token) equal to its
content gets a token: a POST of grant_type=refresh_token, as Docker sends one (logged as
"POST " and the form's fields but the token); a GET is refused then.
"""
import base64
import datetime
import json
import os
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

ISSUER = "hull-test-issuer"
state = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hull-test-token-issuer")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
with open(state + "/cert.pem", "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
X5C = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def denied():
    try:
        with open(state + "/deny") as f:
            return {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        return set()


def sign(service, access):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    t = int(time.time())
    claims = {"iss": ISSUER, "sub": "", "aud": service, "exp": t + 600, "nbf": t - 60, "iat": t,
              "jti": uuid.uuid4().hex, "access": access}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


class Token(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        form = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        q = parse_qs(form)
        with open(state + "/token.log", "a") as f:
            f.write("POST %s\n" % "&".join(p for p in form.split("&") if not p.startswith("refresh_token=")))
        try:
            with open(state + "/refresh") as f:
                want = f.read().strip()
        except FileNotFoundError:
            want = None
        if q.get("grant_type") != ["refresh_token"] or q.get("refresh_token") != [want]:
            return self.send(401, b'{"details":"invalid refresh token"}')
        self.grant(q)

    def do_GET(self):
        u = urlparse(self.path)
        with open(state + "/token.log", "a") as f:
            f.write("%s\n" % u.query)
        if os.path.exists(state + "/refresh"):
            return self.send(401, b'{"details":"an identity token is needed"}')
        self.grant(parse_qs(u.query))

    def grant(self, q):
        deny = denied()
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                kind, _, rest = one.partition(":")
                repo, _, actions = rest.rpartition(":")
                acts = actions.split(",")
                if repo in deny and "pull" in acts:
                    if os.path.exists(state + "/refuse"):
                        return self.send(401, b'{"details":"access to %s denied"}' % repo.encode())
                    continue
                access.append({"type": kind, "name": repo, "actions": acts})
        token = sign(q.get("service", [""])[0], access)
        self.send(200, json.dumps({"token": token, "access_token": token, "expires_in": 600}).encode())


server = ThreadingHTTPServer(("127.0.0.1", 0), Token)
with open(state + "/port.tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(state + "/port.tmp", state + "/port")
server.serve_forever()
