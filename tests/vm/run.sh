#!/usr/bin/env bash
# Pure cgroup v2 and AppArmor tests in a VM: boots Debian's kernel (linux-image-amd64, extracted, never
# installed) under qemu with TCG (-enable-kvm hangs on these machines) and an initramfs of
# busybox-static, a static hull-runtime, the static payload, overlay.ko and brd.ko; runs
# tests/vm/guest-tests.sh inside and prints its TAP on stdout. Everything else (progress,
# the kernel console) goes to stderr or to build/vm-cache/console.log.
#
# `tests/vm/run.sh` boots with AppArmor (apparmor=1 security=apparmor) and runs
# guest-tests.sh; `tests/vm/run.sh selinux` boots with SELinux in permissive mode and runs
# guest-selinux.sh instead, with the test policy tests/vm/selinux-test.te (one major LSM
# per boot).
set -euo pipefail
LSM=${1:-apparmor}
case $LSM in
apparmor) LSM_ARGS="apparmor=1 security=apparmor" GUEST=tests/vm/guest-tests.sh ;;
selinux) LSM_ARGS="selinux=1 security=selinux enforcing=0" GUEST=tests/vm/guest-selinux.sh ;;
*)
	echo "usage: $0 [apparmor|selinux]" >&2
	exit 2
	;;
esac
cd "$(dirname "$0")/../.."
REPO=$(pwd)
CACHE=${VM_CACHE:-$REPO/build/vm-cache}
STATIC=${STATIC_BUILD:-$REPO/build-static}
mkdir -p "$CACHE"
log() { echo "vm: $*" >&2; }

# qemu (not part of install-deps.sh yet)
if ! command -v qemu-system-x86_64 >/dev/null; then
	log "installing qemu-system-x86"
	apt-get install -y --no-install-recommends qemu-system-x86 >&2
fi

# busybox must be static: it is the whole userland of the VM and of the container rootfs.
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	log "installing busybox-static"
	apt-get install -y busybox-static >&2
	BUSYBOX=/bin/busybox
fi

# The kernel: the .deb that linux-image-amd64 depends on, extracted into the cache.
KDIR=$CACHE/kernel
if ! ls "$KDIR"/boot/vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$pkg" ] || { log "cannot resolve linux-image-amd64"; exit 1; }
	log "downloading $pkg"
	(cd "$CACHE" && apt-get download "$pkg" >&2)
	rm -rf "$KDIR"
	dpkg-deb -x "$CACHE/$pkg"_*.deb "$KDIR"
fi
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
MODS=$KDIR/lib/modules/$KVER/kernel

# A static hull-runtime and payload (libjansson, libseccomp and libcap have .a files).
if [ ! -f "$STATIC/build.ninja" ]; then
	log "configuring $STATIC"
	meson setup "$STATIC" --buildtype=release -Dprefer_static=true -Dc_link_args=-static >&2
fi
ninja -C "$STATIC" hull-runtime payload hull-monitor >&2
for b in hull-runtime payload hull-monitor; do
	if ldd "$STATIC/$b" >/dev/null 2>&1; then
		log "$STATIC/$b is not static"
		exit 1
	fi
done

# The initramfs.
ROOT=$CACHE/initramfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,dev,proc,sys,tmp,run,lib/modules}
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp "$STATIC/hull-runtime" "$STATIC/payload" "$STATIC/hull-monitor" "$ROOT/bin/"
cp tests/vm/init "$ROOT/init"
cp "$GUEST" "$ROOT/guest-tests.sh"
chmod 755 "$ROOT/init" "$ROOT/guest-tests.sh"
# brd: RAM disks (/dev/ram0), a block device for the io.max checks.
for m in fs/overlayfs/overlay.ko drivers/block/brd.ko; do
	f=$MODS/$m
	[ -f "$f" ] || f=$(ls "$f".* 2>/dev/null | head -1) # compressed in newer kernels
	case $f in
	*.ko) cp "$f" "$ROOT/lib/modules/" ;;
	*.ko.xz) xz -dc "$f" >"$ROOT/lib/modules/$(basename "$m")" ;;
	*.ko.zst) zstd -qdc "$f" >"$ROOT/lib/modules/$(basename "$m")" ;;
	*) log "no module $m" ;;
	esac
done
# AppArmor's parser for the LSM tests (the guest boots with AppArmor on): Debian's apparmor
# package, extracted like the kernel, with the host's dynamic loader and libc next to it
# (the guest runs it as /lib/aa/ld-linux-x86-64.so.2 --library-path /lib/aa ...).
AADIR=$CACHE/apparmor
if [ ! -x "$AADIR/sbin/apparmor_parser" ]; then
	log "downloading apparmor"
	rm -f "$CACHE"/apparmor_*.deb
	(cd "$CACHE" && apt-get download apparmor >&2)
	rm -rf "$AADIR"
	dpkg-deb -x "$CACHE"/apparmor_*.deb "$AADIR"
fi
mkdir -p "$ROOT/lib/aa"
cp "$AADIR/sbin/apparmor_parser" "$ROOT/lib/aa/"
for l in $(ldd "$AADIR/sbin/apparmor_parser" | awk '/=>/ { print $3 } /^[ \t]*\// { print $1 }'); do
	cp -L "$l" "$ROOT/lib/aa/"
done
# The SELinux test policy, compiled by Debian's checkpolicy (extracted like apparmor).
if [ "$LSM" = selinux ]; then
	CPDIR=$CACHE/checkpolicy
	if [ ! -x "$CPDIR/usr/bin/checkpolicy" ]; then
		log "downloading checkpolicy"
		rm -f "$CACHE"/checkpolicy_*.deb
		(cd "$CACHE" && apt-get download checkpolicy >&2)
		rm -rf "$CPDIR"
		dpkg-deb -x "$CACHE"/checkpolicy_*.deb "$CPDIR"
	fi
	"$CPDIR/usr/bin/checkpolicy" -U allow -c 33 -o "$ROOT/lib/selinux-test.pol" tests/vm/selinux-test.te >&2
fi
(cd "$ROOT" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1) >"$CACHE/initrd.gz"

# Boot. The kernel console is ttyS0 (a log file); the tests write TAP to ttyS1.
CONSOLE=$CACHE/console.log
TAP=$CACHE/tap.out
rm -f "$CONSOLE" "$TAP"
log "booting $KVER (TCG, $LSM); console in $CONSOLE"
start=$SECONDS
rc=0
timeout "${VM_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
	-display none -monitor none -no-reboot \
	-serial "file:$CONSOLE" -serial "file:$TAP" \
	-kernel "$VMLINUZ" -initrd "$CACHE/initrd.gz" \
	-append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init $LSM_ARGS" </dev/null >&2 || rc=$?
log "VM finished in $((SECONDS - start)) s (qemu status $rc)"
[ "$rc" -eq 124 ] && log "timed out"

# Only TAP lines reach stdout.
tr -d '\r' <"$TAP" | grep -E '^(1\.\.[0-9]+|(not )?ok [0-9]+|Bail out!)' || true
