#!/usr/bin/python3
"""A minimal CRI client for the hull tests (crictl is not packaged in Debian 12).

    cri.py SOCKET METHOD [REQUEST_JSON]

Calls runtime.v1.RuntimeService/METHOD on the CRI server at the unix socket SOCKET (e.g.
containerd's, with its CRI plugin) with the request given as JSON (protobuf's JSON
mapping: field names as in api.proto or in lowerCamelCase, enums by name; default "{}"),
and prints the reply as one line of JSON with the proto's field names and default values
included (bytes fields, such as ExecSync's stdout, are base64 as the mapping says: jq's
@base64d decodes them). A gRPC error is printed on stderr as "CODE: details" and exits 1;
a usage or JSON error exits 2.

The messages come from api.proto next to this file (a subset of k8s.io/cri-api), compiled
at every call with Debian's protoc into a private temporary directory, so that the
generated module always matches the installed python3-protobuf; no stub compiler
(grpc_tools) is needed because each call is made with the channel's generic unary_unary.

Runs with Debian's /usr/bin/python3 (python3-grpcio, python3-protobuf, protobuf-compiler:
scripts/install-deps.sh test).
"""

import importlib
import json
import os
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICE = "runtime.v1.RuntimeService"


def load_api(tmp):
    """Compiles api.proto into tmp and imports the generated module."""
    subprocess.run(
        ["protoc", "-I", HERE, "--python_out=" + tmp, os.path.join(HERE, "api.proto")],
        check=True,
    )
    sys.path.insert(0, tmp)
    return importlib.import_module("api_pb2")


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: " + __doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    sock, method = argv[1], argv[2]
    body = argv[3] if len(argv) == 4 else "{}"
    with tempfile.TemporaryDirectory(prefix="hull-cri.") as tmp:
        api = load_api(tmp)
        svc = api.DESCRIPTOR.services_by_name[SERVICE.split(".")[-1]]
        m = svc.methods_by_name.get(method)
        if m is None:
            print("cri.py: no method %s in %s" % (method, SERVICE), file=sys.stderr)
            return 2
        req_cls = getattr(api, m.input_type.name)
        resp_cls = getattr(api, m.output_type.name)
        try:
            req = json_format.Parse(body, req_cls())
        except json_format.ParseError as e:
            print("cri.py: %s request: %s" % (method, e), file=sys.stderr)
            return 2
        # A deadline, so that a hung daemon fails the call with DEADLINE_EXCEEDED (and a
        # message saying which call) before the caller's own timeout kills the client.
        with grpc.insecure_channel("unix://" + sock) as ch:
            call = ch.unary_unary(
                "/%s/%s" % (SERVICE, method),
                request_serializer=req_cls.SerializeToString,
                response_deserializer=resp_cls.FromString,
            )
            try:
                resp = call(req, timeout=60)
            except grpc.RpcError as e:
                print("%s: %s" % (e.code().name, e.details()), file=sys.stderr)
                return 1
        print(
            json.dumps(
                json_format.MessageToDict(
                    resp,
                    preserving_proto_field_name=True,
                    including_default_value_fields=True,
                ),
                sort_keys=True,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
