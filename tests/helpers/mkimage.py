#!/usr/bin/env python3
"""Builds an image archive from layer tarballs (tests of hull load).

  mkimage.py [--format docker|oci] [--tag NAME:TAG] OUT.tar LAYER...

docker: the classic `docker save` layout (manifest.json, <hex>.json, <hex>/layer.tar);
oci:    an OCI image layout (oci-layout, index.json, blobs/sha256/...), layers as given
        (gzip/zstd detected by their magic bytes for the media type).
"""
import argparse
import gzip
import hashlib
import io
import json
import subprocess
import tarfile


def uncompressed(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
    return data


def media(data):
    base = "application/vnd.oci.image.layer.v1.tar"
    if data[:2] == b"\x1f\x8b":
        return base + "+gzip"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return base + "+zstd"
    return base


def sha(data):
    return hashlib.sha256(data).hexdigest()


def add(tf, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    tf.addfile(info, io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", default="docker")
    ap.add_argument("--tag", action="append", default=[])
    ap.add_argument("out")
    ap.add_argument("layers", nargs="*")
    a = ap.parse_args()
    layers = [open(p, "rb").read() for p in a.layers]
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(uncompressed(l)) for l in layers]},
        "history": [{"created_by": "mkimage.py"} for _ in layers],
    }, sort_keys=True).encode()
    with tarfile.open(a.out, "w") as tf:
        if a.format == "docker":
            names = []
            for l in layers:
                h = sha(l)
                add(tf, h + "/layer.tar", l)
                names.append(h + "/layer.tar")
            add(tf, sha(config) + ".json", config)
            add(tf, "manifest.json", json.dumps([{"Config": sha(config) + ".json", "RepoTags": a.tag,
                                                 "Layers": names}]).encode())
            return
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(config),
                       "size": len(config)},
            "layers": [{"mediaType": media(l), "digest": "sha256:" + sha(l), "size": len(l)} for l in layers],
        }).encode()
        for blob in layers + [config, manifest]:
            add(tf, "blobs/sha256/" + sha(blob), blob)
        desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest),
                "size": len(manifest)}
        if a.tag:
            desc["annotations"] = {"org.opencontainers.image.ref.name": a.tag[0]}
        add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tf, "index.json", json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode())


if __name__ == "__main__":
    main()
