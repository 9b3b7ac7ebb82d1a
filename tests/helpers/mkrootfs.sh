#!/bin/sh
# Build a busybox root filesystem for tests and the demo, offline.
#
#   tests/helpers/mkrootfs.sh OUTDIR [--payload PATH] [--with-stress]
#
# OUTDIR gets Debian's static busybox with a symlink per applet, the usual top
# level directories, passwd/group entries for root, u1000 (1000:1000, also in
# group extra=2000) and nobody, and optionally:
#   --payload PATH   the static test payload, copied to OUTDIR/payload
#   --with-stress    Debian's /usr/bin/stress with the libraries ldd lists and
#                    the dynamic loader, at the same paths as on the host
#
# The result is recorded in OUTDIR/.mkrootfs-stamp (a digest of this script and
# of every binary copied in); when it matches, nothing is done. Otherwise the
# tree is built next to OUTDIR and renamed into place, so a reader never sees
# a half-built rootfs.
set -eu

usage() {
	echo "usage: $0 OUTDIR [--payload PATH] [--with-stress]" >&2
	exit 2
}

die() {
	echo "mkrootfs: $*" >&2
	exit 1
}

[ $# -ge 1 ] || usage
out=${1%/}
shift
payload=""
stress=0
while [ $# -gt 0 ]; do
	case "$1" in
	--payload)
		[ $# -ge 2 ] || usage
		payload=$2
		shift 2
		;;
	--with-stress)
		stress=1
		shift
		;;
	*) usage ;;
	esac
done
[ -n "$out" ] || usage
# Absolute paths: the tree is built from inside a temporary directory.
out=$(realpath -m "$out")
[ -z "$payload" ] || payload=$(realpath -m "$payload")

busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
# A dynamically linked busybox (package "busybox") would not run in the rootfs.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked; install busybox-static"
fi
[ -z "$payload" ] || [ -f "$payload" ] || die "payload $payload not found"
if [ "$stress" = 1 ]; then
	[ -x /usr/bin/stress ] || die "/usr/bin/stress not found (apt-get install stress)"
	# "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the bare loader line.
	stress_files=$(ldd /usr/bin/stress | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	stress_files="/usr/bin/stress $stress_files"
else
	stress_files=""
fi

# shellcheck disable=SC2086 # stress_files is a list of paths without blanks
stamp=$(sha256sum "$0" "$busybox" ${payload:+"$payload"} $stress_files | awk '{ print $1 }' | sha256sum | cut -d' ' -f1)
stamp="$stamp payload=${payload:+yes} stress=$stress"
if [ -f "$out/.mkrootfs-stamp" ] && [ "$(cat "$out/.mkrootfs-stamp")" = "$stamp" ]; then
	exit 0
fi
# Refuse to replace a directory this script did not make.
if [ -e "$out" ] && [ ! -f "$out/.mkrootfs-stamp" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	die "$out exists and was not made by mkrootfs.sh; remove it first"
fi

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "$out.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
chmod 0755 "$tmp"

cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev etc root var/tmp run mnt tmp home/u1000
chmod 1777 tmp var/tmp
chmod 0700 root
ln -s ../run var/run
cp "$busybox" bin/busybox
chmod 0755 bin/busybox
# One symlink per applet, at the path busybox itself names (bin/sh, usr/bin/awk, ...).
for applet in $(bin/busybox --list-full); do
	[ "$applet" = bin/busybox ] || [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
u1000:x:1000:1000:u1000:/home/u1000:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
u1000:x:1000:
extra:x:2000:u1000
nogroup:x:65534:
EOF
echo hull-rootfs >etc/hostname
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >etc/hosts
chown 1000:1000 home/u1000

if [ -n "$payload" ]; then
	cp "$payload" payload
	chmod 0755 payload
fi

for f in $stress_files; do
	mkdir -p ".$(dirname "$f")"
	cp -L "$f" ".$f"
done

echo "$stamp" >.mkrootfs-stamp
cd /

if [ -e "$out" ]; then
	old=$(mktemp -d "$out.old.XXXXXX")
	mv "$out" "$old/"
	mv "$tmp" "$out"
	rm -rf "$old"
else
	mv "$tmp" "$out"
fi
trap - EXIT
