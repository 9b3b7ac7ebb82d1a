#!/bin/sh
# Create an OCI bundle from a root filesystem made by mkrootfs.sh.
#
#   tests/helpers/mkbundle.sh BUNDLE ROOTFS [RUNTIME]
#
# BUNDLE/config.json comes from `RUNTIME spec` (default: $RUNTIME, else runc),
# with process.terminal=false and process.args set from the environment:
#   ARGS       JSON array of the process arguments (default ["/payload","true"])
#   CONFIG_JQ  an extra jq filter applied to config.json last, e.g.
#              CONFIG_JQ='.root.readonly=false | .hostname="t1"'
# BUNDLE/rootfs is a fresh copy of ROOTFS (cp -a; a busybox rootfs is a few MB),
# so a container may write to it without touching ROOTFS or other bundles.
set -eu

usage() {
	echo "usage: $0 BUNDLE ROOTFS [RUNTIME]" >&2
	exit 2
}

die() {
	echo "mkbundle: $*" >&2
	exit 1
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
bundle=$1
rootfs=$2
runtime=${3:-${RUNTIME:-runc}}
args=${ARGS:-'["/payload","true"]'}
extra=${CONFIG_JQ:-.}

[ -d "$rootfs" ] || die "rootfs $rootfs is not a directory"
[ -x "$rootfs/bin/busybox" ] || [ -x "$rootfs/payload" ] || die "$rootfs does not look like a rootfs"
printf '%s' "$args" | jq -e 'type == "array" and length > 0 and all(type == "string")' >/dev/null ||
	die "ARGS must be a non-empty JSON array of strings, got: $args"

# `spec` runs inside the bundle directory, so a relative runtime path must be made absolute.
case "$runtime" in
*/*) runtime=$(realpath "$runtime") ;;
*) ;;
esac

mkdir -p "$bundle"
bundle=$(cd "$bundle" && pwd)
if mountpoint -q "$bundle/rootfs"; then
	die "$bundle/rootfs is a mount point; unmount it first"
fi
rm -rf "$bundle/rootfs" "$bundle/config.json"

# `spec` refuses to overwrite config.json and writes into the current directory.
(cd "$bundle" && "$runtime" spec) || die "$runtime spec failed"
jq --argjson args "$args" ".process.terminal = false | .process.args = \$args | $extra" \
	"$bundle/config.json" >"$bundle/config.json.tmp" || die "jq failed on $bundle/config.json"
mv "$bundle/config.json.tmp" "$bundle/config.json"

cp -a "$rootfs" "$bundle/rootfs"
