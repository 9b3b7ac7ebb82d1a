#!/bin/bash
# tests/helpers/mkimage.sh OUT.tar [NAME]: an OCI image archive of the busybox root
# filesystem of mkrootfs.sh, made offline, for `ctr image import`, `docker load` or
# `podman load`. NAME defaults to docker.io/library/busybox:latest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
name=${2:-docker.io/library/busybox:latest}
# shellcheck source=tests/integration/lib/clients.sh
. "$here/../integration/lib/clients.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hull-mkimage.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$here/mkrootfs.sh" "$tmp/rootfs" >/dev/null
oci_image_archive "$tmp/rootfs" "$out" "$name"
echo "$out: $name"
