#!/usr/bin/env bash
# Builds (once, cached) the systemd guest's disk: a Debian bookworm root made by mmdebstrap
# from Debian's packages, with systemd as PID 1, D-Bus, Podman, runc and containerd, and a
# unit that runs /hull/guest.sh (copied in at boot by the initramfs) and powers off.
# Prints the image's path. The cache key is this file's and the package list's hash, so
# editing either rebuilds the image.
set -euo pipefail
cd "$(dirname "$0")/../../.."
CACHE=${VM_CACHE:-$PWD/build/vm-cache}/systemd
mkdir -p "$CACHE"
log() { echo "vm-systemd: $*" >&2; }

PKGS=systemd,systemd-sysv,dbus,libjansson4,libseccomp2,libcap2,libsystemd0,busybox-static,podman,runc,containerd,iproute2,ca-certificates
KEY=$(cat "$0" | sha256sum | cut -c1-16)
IMG=$CACHE/root-$KEY.ext4
if [ -f "$IMG" ]; then
	echo "$IMG"
	exit 0
fi
if ! command -v mmdebstrap >/dev/null; then
	log "installing mmdebstrap"
	apt-get install -y --no-install-recommends mmdebstrap >&2
fi
ROOT=$CACHE/root.tmp
rm -rf "$ROOT"
log "building the Debian root (mmdebstrap, once)"
start=$SECONDS
# The host's apt sources (a Debian mirror it may reach) are the guest's.
mmdebstrap --variant=minbase --include="$PKGS" --skip=check/empty \
	--setup-hook='for f in /etc/apt/sources.list.d/*; do [ -f "$f" ] && cp "$f" "$1/etc/apt/sources.list.d/"; done' \
	bookworm "$ROOT" "" >&2
log "mmdebstrap took $((SECONDS - start)) s"

# Boot fast and headless: no gettys, no waiting for the network, the tests as the only job.
cat >"$ROOT/etc/systemd/system/hull-tests.service" <<'UNIT'
[Unit]
Description=hull systemd-driver tests
After=dbus.service
Wants=dbus.service

[Service]
Type=oneshot
StandardOutput=file:/dev/ttyS1
StandardError=journal+console
ExecStart=/bin/sh /hull/guest.sh
ExecStopPost=/bin/systemctl poweroff --force --force
UNIT
ln -sf /etc/systemd/system/hull-tests.service "$ROOT/etc/systemd/system/multi-user.target.wants/hull-tests.service"
for u in getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service apt-daily.timer \
	apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer man-db.timer containerd.service \
	podman-restart.service podman.socket systemd-networkd-wait-online.service; do
	ln -sf /dev/null "$ROOT/etc/systemd/system/$u"
done
echo hull-systemd-guest >"$ROOT/etc/hostname"
: >"$ROOT/etc/machine-id"
printf '/dev/vda / ext4 rw 0 1\n' >"$ROOT/etc/fstab"
# Podman in the guest: the host-like defaults (systemd cgroup manager), no network backend needed.
mkdir -p "$ROOT/etc/containers"
printf '[engine]\ncgroup_manager = "systemd"\nevents_logger = "file"\n' >"$ROOT/etc/containers/containers.conf"
mkdir -p "$ROOT/hull"
rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*

log "making $IMG"
rm -f "$CACHE"/root-*.ext4
mkfs.ext4 -q -F -L hullroot -d "$ROOT" "$IMG.tmp" 2G >&2
mv "$IMG.tmp" "$IMG"
rm -rf "$ROOT"
echo "$IMG"
