#!/usr/bin/env python3
"""Builds an image archive from layer tarballs (tests of hull load).

  mkimage.py [--format docker|oci] [--tag NAME:TAG] OUT.tar LAYER...

docker: the classic `docker save` layout (manifest.json, <hex>.json, <hex>/layer.tar);
oci:    an OCI image layout (oci-layout, index.json, blobs/sha256/...), layers as given
        (gzip/zstd detected by their magic bytes for the media type).

Hostile variants (each an attack hull must refuse):
  --config-name NAME        docker: manifest.json names the config NAME (e.g. "../../x")
  --layer-name NAME         docker: manifest.json names the first layer NAME
  --extra-entry NAME=DATA   one more archive entry, named exactly NAME
  --manifest-extra JSON     oci: keys merged into the image manifest (e.g. '{"manifests": []}')
  --index-digest DIGEST     oci: index.json points at DIGEST instead of the manifest's digest
  --swap-first-layer        oci: the first layer blob holds other content than its name says
  --index                   oci: index.json points at an image index of two platforms,
                            linux/arm64 (listed first) and linux/amd64, over the same layers
  --arm64-only              oci, with --index: the index lists linux/arm64 alone
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
    ap.add_argument("--config-name")
    ap.add_argument("--layer-name")
    ap.add_argument("--extra-entry", action="append", default=[])
    ap.add_argument("--manifest-extra")
    ap.add_argument("--index-digest")
    ap.add_argument("--swap-first-layer", action="store_true")
    ap.add_argument("--index", action="store_true")
    ap.add_argument("--arm64-only", action="store_true")
    ap.add_argument("out")
    ap.add_argument("layers", nargs="*")
    a = ap.parse_args()
    layers = [open(p, "rb").read() for p in a.layers]
    def make_config(arch):
        return json.dumps({
            "architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
            "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(uncompressed(l)) for l in layers]},
            "history": [{"created_by": "mkimage.py"} for _ in layers],
        }, sort_keys=True).encode()

    config = make_config("amd64")
    with tarfile.open(a.out, "w") as tf:
        for e in a.extra_entry:
            name, data = e.split("=", 1)
            add(tf, name, data.encode())
        if a.format == "docker":
            names = []
            for l in layers:
                h = sha(l)
                add(tf, h + "/layer.tar", l)
                names.append(h + "/layer.tar")
            add(tf, sha(config) + ".json", config)
            if a.layer_name:
                names[0] = a.layer_name
            add(tf, "manifest.json", json.dumps([{"Config": a.config_name or sha(config) + ".json",
                                                 "RepoTags": a.tag, "Layers": names}]).encode())
            return
        m = {
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + sha(config),
                       "size": len(config)},
            "layers": [{"mediaType": media(l), "digest": "sha256:" + sha(l), "size": len(l)} for l in layers],
        }
        if a.manifest_extra:
            m.update(json.loads(a.manifest_extra))
        manifest = json.dumps(m).encode()
        for i, blob in enumerate(layers + [config, manifest]):
            content = blob
            if i == 0 and a.swap_first_layer:
                content = blob[:-1] + bytes([blob[-1] ^ 1])
            add(tf, "blobs/sha256/" + sha(blob), content)
        desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + sha(manifest),
                "size": len(manifest)}
        if a.index:
            config_arm = make_config("arm64")
            m["config"] = dict(m["config"], digest="sha256:" + sha(config_arm), size=len(config_arm))
            manifest_arm = json.dumps(m).encode()
            add(tf, "blobs/sha256/" + sha(config_arm), config_arm)
            add(tf, "blobs/sha256/" + sha(manifest_arm), manifest_arm)
            index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": [
                                    {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                     "digest": "sha256:" + sha(manifest_arm), "size": len(manifest_arm),
                                     "platform": {"os": "linux", "architecture": "arm64"}},
                                    dict(desc, platform={"os": "linux", "architecture": "amd64"})][:1 if a.arm64_only else 2]
                                }).encode()
            add(tf, "blobs/sha256/" + sha(index), index)
            desc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + sha(index),
                    "size": len(index)}
        if a.index_digest:
            desc["digest"] = a.index_digest
        if a.tag:
            desc["annotations"] = {"org.opencontainers.image.ref.name": a.tag[0]}
        add(tf, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(tf, "index.json", json.dumps({"schemaVersion": 2, "manifests": [desc]}).encode())


if __name__ == "__main__":
    main()
