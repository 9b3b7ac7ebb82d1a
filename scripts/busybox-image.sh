#!/bin/bash
# Builds a busybox:latest image offline, from Debian's busybox-static, laid out like the
# official image: every applet a hard link in /bin, root/daemon/bin/.../nobody in
# /etc/passwd, /etc/group and /etc/shadow, /tmp (1777), /root (0700), /home, /var/spool/mail,
# /var/www, CMD ["sh"] and the usual PATH.
#
#   scripts/busybox-image.sh [-o FILE] [--hull HULL] [--root DIR]
#
#   -o FILE      the image as a docker-archive (default build/busybox-image.tar); kept when
#                it is from the same busybox binary and this script (FILE.stamp), so that
#                tests and the demo pay for it once
#   --hull HULL  also load it with this hull binary (default: build/hull when --root is given)
#   --root DIR   ... into this store (hull --root DIR load -i FILE)
#
# The archive is reproducible (fixed times, owners and order): the same busybox binary
# gives the same image id everywhere.
set -euo pipefail

cd "$(dirname "$0")/.."
out=build/busybox-image.tar
hull=""
root=""
while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	--hull) hull=$2; shift 2 ;;
	--root) root=$2; shift 2 ;;
	*) echo "usage: $0 [-o FILE] [--hull HULL] [--root DIR]" >&2; exit 2 ;;
	esac
done
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "busybox-image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
	echo "busybox-image: $busybox is dynamically linked; install busybox-static" >&2
	exit 1
fi

stamp=$(sha256sum "$0" "$busybox" | awk '{ print $1 }' | sha256sum | cut -d' ' -f1)
if [ ! -f "$out" ] || [ "$(cat "$out.stamp" 2>/dev/null)" != "$stamp" ]; then
	mkdir -p "$(dirname "$out")"
	tmp=$(mktemp -d "$(dirname "$out")/.busybox-image.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	r=$tmp/rootfs
	mkdir -p "$r"/{bin,dev,etc/network/if-up.d,etc/network/if-down.d,home,proc,root,sys,tmp,usr/sbin,var/spool/mail,var/www}
	chmod 0755 "$r" "$r"/*
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
	cp "$busybox" "$r/bin/busybox"
	chmod 0755 "$r/bin/busybox"
	for applet in $("$busybox" --list); do
		[ -e "$r/bin/$applet" ] || ln "$r/bin/busybox" "$r/bin/$applet"
	done
	cat >"$r/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		bin:x:2:2:bin:/bin:/bin/false
		sys:x:3:3:sys:/dev:/bin/false
		sync:x:4:100:sync:/bin:/bin/sync
		mail:x:8:8:mail:/var/spool/mail:/bin/false
		www-data:x:33:33:www-data:/var/www:/bin/false
		operator:x:37:37:Operator:/var:/bin/false
		nobody:x:65534:65534:nobody:/home:/bin/false
	EOF
	cat >"$r/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		bin:x:2:
		sys:x:3:
		adm:x:4:
		tty:x:5:
		disk:x:6:
		lp:x:7:
		mail:x:8:
		kmem:x:9:
		wheel:x:10:root
		cdrom:x:11:
		dialout:x:18:
		floppy:x:19:
		video:x:28:
		audio:x:29:
		tape:x:32:
		www-data:x:33:
		operator:x:37:
		utmp:x:43:
		plugdev:x:46:
		staff:x:50:
		lock:x:54:
		netdev:x:82:
		users:x:100:
		nogroup:x:65534:
	EOF
	awk -F: '{ print $1 ":*::0:::::" }' "$r/etc/passwd" >"$r/etc/shadow"
	chmod 0640 "$r/etc/shadow"
	printf 'hosts:\t\tfiles dns\nnetworks:\tfiles\n' >"$r/etc/nsswitch.conf"
	# Reproducible: one time for everything (the busybox binary's), root's, sorted.
	epoch=$(stat -c %Y "$busybox")
	tar -C "$r" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=ustar -cf "$tmp/layer.tar" .
	python3 - "$tmp/layer.tar" "$tmp/image.tar" "$epoch" <<-'PY'
		import datetime, hashlib, io, json, sys, tarfile
		layer_path, out, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
		layer = open(layer_path, "rb").read()
		diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
		created = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
		config = json.dumps({
		    "architecture": "amd64", "os": "linux", "created": created,
		    "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
		    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
		    "history": [
		        {"created": created, "created_by": "BusyBox (Debian busybox-static), scripts/busybox-image.sh"},
		        {"created": created, "created_by": "CMD [\"sh\"]", "empty_layer": True},
		    ],
		}, sort_keys=True, separators=(",", ":")).encode()
		config_hex = hashlib.sha256(config).hexdigest()
		layer_name = diff_id[7:] + "/layer.tar"
		manifest = json.dumps([{"Config": config_hex + ".json", "RepoTags": ["busybox:latest"],
		                        "Layers": [layer_name]}]).encode()
		with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tf:
		    for name, data in ((config_hex + ".json", config), (layer_name, layer), ("manifest.json", manifest)):
		        info = tarfile.TarInfo(name)
		        info.size, info.mtime, info.mode = len(data), epoch, 0o644
		        tf.addfile(info, io.BytesIO(data))
	PY
	mv "$tmp/image.tar" "$out"
	echo "$stamp" >"$out.stamp"
fi
if [ -n "$root" ]; then
	"${hull:-build/hull}" --root "$root" load -i "$out"
fi
