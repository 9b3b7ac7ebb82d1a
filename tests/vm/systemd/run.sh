#!/usr/bin/env bash
# The systemd guest: boots Debian's kernel under qemu (TCG) on a Debian bookworm root whose
# PID 1 is systemd on pure cgroup v2 (build-root.sh, cached), and runs tests/vm/systemd/
# guest.sh there: hull-runtime's systemd cgroup driver checked with systemctl and the cgroup
# files, Podman with cgroup_manager = "systemd" and --runtime hull-runtime, containerd with
# SystemdCgroup = true, and the create+start+delete bench beside runc's systemd driver.
# Prints the guest's TAP on stdout; progress and the console go to stderr / console.log.
#
# A small busybox initramfs loads the modules the root needs (all are modules in Debian's
# kernel), copies hull-runtime and the tests into /hull of the root and switch_roots to
# systemd. The disk is used with snapshot=on: the cached image is never written.
set -euo pipefail
cd "$(dirname "$0")/../../.."
REPO=$(pwd)
CACHE=${VM_CACHE:-$REPO/build/vm-cache}
BUILD=${BUILD_DIR:-$REPO/build}
mkdir -p "$CACHE/systemd"
log() { echo "vm-systemd: $*" >&2; }
total=$SECONDS

command -v qemu-system-x86_64 >/dev/null || apt-get install -y --no-install-recommends qemu-system-x86 >&2
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	apt-get install -y busybox-static >&2
	BUSYBOX=/bin/busybox
fi

# The kernel, shared with tests/vm/run.sh's cache.
KDIR=$CACHE/kernel
if ! ls "$KDIR"/boot/vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { log "cannot resolve linux-image-amd64"; exit 1; }
	(cd "$CACHE" && apt-get download "$pkg" >&2)
	rm -rf "$KDIR"
	dpkg-deb -x "$CACHE/$pkg"_*.deb "$KDIR"
fi
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
MODS=$KDIR/lib/modules/$KVER/kernel

IMG=$(tests/vm/systemd/build-root.sh)

# hull-runtime as built for this host (Debian bookworm, like the guest: same libraries).
ninja -C "$BUILD" hull-runtime payload >&2

# The initramfs: busybox, the modules in load order (dependencies first, read from each
# module's modinfo "depends="), the init script and what goes to /hull.
ROOT=$CACHE/systemd/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,newroot,hull,lib/modules}
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp tests/vm/systemd/init "$ROOT/init"
cp "$BUILD/hull-runtime" "$BUILD/payload" tests/vm/systemd/guest.sh "$ROOT/hull/"
chmod 755 "$ROOT/init"
declare -A seen=()
order=()
add_module() {
	local m=$1 f d
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	f=$(find "$MODS" -name "$m.ko*" | head -1)
	[ -n "$f" ] || { log "no module $m"; return 0; }
	case $f in
	*.ko) cp "$f" "$ROOT/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$ROOT/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$ROOT/lib/modules/$m.ko" ;;
	esac
	for d in $(strings "$ROOT/lib/modules/$m.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
		add_module "$d"
	done
	order+=("$m")
}
for m in virtio_pci virtio_blk crc32c_generic ext4 overlay brd veth bridge; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$ROOT/lib/modules/order"
(cd "$ROOT" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) >"$CACHE/systemd/initrd.gz"

CONSOLE=$CACHE/systemd/console.log
TAP=$CACHE/systemd/tap.out
rm -f "$CONSOLE" "$TAP"
log "booting $KVER with systemd (TCG); console in $CONSOLE"
start=$SECONDS
rc=0
timeout "${VM_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
	-display none -monitor none -no-reboot \
	-serial "file:$CONSOLE" -serial "file:$TAP" \
	-drive "file=$IMG,if=virtio,format=raw,snapshot=on" \
	-kernel "$VMLINUZ" -initrd "$CACHE/systemd/initrd.gz" \
	-append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init systemd.unified_cgroup_hierarchy=1 systemd.show_status=0" \
	</dev/null >&2 || rc=$?
log "VM finished in $((SECONDS - start)) s (qemu status $rc); whole stage $((SECONDS - total)) s"
[ "$rc" -eq 124 ] && log "timed out"
tr -d '\r' <"$TAP" | grep -E '^(1\.\.[0-9]+|(not )?ok [0-9]+|# )' || true
