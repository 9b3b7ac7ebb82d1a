#!/bin/sh
# Install the Debian packages hull needs, for one purpose or all of them.
#
#   scripts/install-deps.sh [build|test|demo|all]   (default: build)
#
# Idempotent: when every package is already installed (checked with dpkg-query)
# apt-get is not run at all, so this is cheap to call from every make target.
set -eu

BUILD_PKGS="gcc meson ninja-build pkg-config libjansson-dev libseccomp-dev libcap-dev libsystemd-dev
	libclang-rt-14-dev clang libsqlite3-dev libarchive-dev libssl-dev libcurl4-openssl-dev libzstd-dev libisal-dev libmnl-dev"
# The demo runs a busybox rootfs and Debian's stress inside it; jq edits config.json.
DEMO_PKGS="busybox-static stress jq"
# Integration tests, podman tests and benchmarks (python3: the console-socket receiver and
# tests/check-negations.py). Podman runs as root here, so
# it uses the kernel's overlayfs and needs no fuse-overlayfs. containerd and
# docker.io: the client tests start private daemons of their own (the packages'
# system services are not used). criu: podman checks for it before it asks
# the runtime about checkpoint/restore (tests/integration/podman.bats). python3-grpcio,
# python3-protobuf, protobuf-compiler: the CRI client of tests/integration/containerd-cri.bats
# (tests/helpers/cri/cri.py; crictl is not packaged). apache2-utils: htpasswd for the
# registry behind basic auth (tests/integration/image-registry.bats). python3-cryptography:
# the JWT token issuer in front of docker-registry (tests/helpers/tokenissuer.py). iperf3 and
# netavark: bench/network.sh (throughput over the bridge; podman's default network as upstream
# has it). nghttp2-proxy: nghttpx, the TLS + HTTP/2 front of docker-registry in
# image-registry.bats ("HTTP/2 where offered"; Debian's nghttp2-server has only nghttpd).
TEST_PKGS="qemu-system-x86 mmdebstrap e2fsprogs bats jq python3 crun runc podman uidmap iproute2 hyperfine util-linux procps psmisc
	containerd docker.io criu skopeo docker-registry attr zstd sqlite3 python3-grpcio python3-protobuf protobuf-compiler apache2-utils nftables
	python3-cryptography iperf3 netavark nghttp2-proxy"

usage() {
	echo "usage: $0 [build|test|demo|all]" >&2
	exit 2
}

[ $# -le 1 ] || usage
case "${1:-build}" in
build) pkgs="$BUILD_PKGS" ;;
demo) pkgs="$BUILD_PKGS $DEMO_PKGS" ;;
test) pkgs="$BUILD_PKGS $DEMO_PKGS $TEST_PKGS" ;;
all) pkgs="$BUILD_PKGS $DEMO_PKGS $TEST_PKGS" ;;
*) usage ;;
esac

missing=""
for p in $pkgs; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "install-deps ${1:-build}: all $(echo "$pkgs" | wc -w) packages already installed"
	exit 0
fi

echo "install-deps ${1:-build}: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root to install packages" >&2
	exit 1
fi
apt-get update -qq
# shellcheck disable=SC2086 # one argument per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
