#!/usr/bin/env bats
# The image's shared init layer (src/storage/initlayer.h): the mount points of the engine's
# config that the image lacks, made once per image, below every container's upper directory.
# Run as root: bats tests/integration/engine-initlayer.bats

bats_require_minimum_version 1.5.0
load lib/engine

# The hex of the image's top layer (its chain id), where its init layer lives.
top_hex() {
	local id
	id=$(hull image inspect -f '{{.Id}}' "$1") || return 1
	sqlite3 "file:$STORE/hull.db?mode=ro" \
		"SELECT chain_id FROM image_layers WHERE image_id = '$id' ORDER BY idx DESC LIMIT 1" | cut -c8-
}

# The container's upper directory on the host.
upper_of() {
	echo "$STORE/overlay/c/$(hull inspect -f '{{.Id}}' "$1")/upper"
}

@test "init layer: a run writes nothing into its upper directory; the image's init layer has the mount points it lacks, /etc as the image has it" {
	busybox_image
	# A user xattr on the image's /etc (as a layer may carry) must show through the init
	# layer's /etc, overlay's own must not: an opaque /etc would hide the image's.
	hex=$(top_hex busybox)
	setfattr -n user.mark -v yes "$STORE/layers/$hex/diff/etc"
	setfattr -n trusted.overlay.opaque -v y "$STORE/layers/$hex/diff/etc"
	run -0 hull create --name x1 busybox true
	remember "$output"
	[ "$(getfattr --only-values -n user.mark "$STORE/containers/$output/rootfs/etc")" = yes ]
	run -0 hull rm x1
	run -0 hull run --name c1 busybox sh -c 'cat /etc/hostname; stat -c "%a %u %g %Y" /etc; ls /etc; ls -d /proc/1 /sys/fs/cgroup /dev/null'
	remember "$(hull inspect -f '{{.Id}}' c1)"
	# Nothing copied up, nothing made: not /etc, not its files, not /proc, /sys or /dev.
	[ -z "$(ls -A "$(upper_of c1)")" ]
	init="$STORE/layers/$hex/init"
	[ -z "$(getfattr -m trusted. -d "$init/etc")" ]
	run -0 sh -c "cd '$init' && find . | sort"
	[ "$output" = $'.\n./dev\n./etc\n./etc/hostname\n./etc/hosts\n./etc/resolv.conf\n./proc\n./sys' ]
	# The container saw its own hostname and /etc with the image's owner, mode and mtime.
	run -0 hull logs c1
	[ "${lines[0]}" = "$(hull inspect -f '{{.Config.Hostname}}' c1)" ]
	[ "${lines[1]}" = "$(stat -c '%a %u %g %Y' "$STORE/layers/$hex/diff/etc")" ]
	[ "${lines[2]}" = group ]
	# Its files are empty: the container's own are bound over them.
	[ -z "$(find "$init" -type f -size +0)" ]
	# A second container of the image shares it and leaves its upper empty too.
	run -0 hull run --rm busybox true
	run -0 sh -c "cd '$STORE/layers/$hex' && ls"
	[ "$output" = $'diff\ninit' ]
	# diff shows nothing, and commit has nothing to commit (an empty layer: the new image
	# shares the top layer, and so the init layer).
	run -0 hull diff c1
	[ -z "$output" ]
	run -0 hull commit c1 mine:v0
	[ "$(top_hex mine:v0)" = "$hex" ]
	run -0 hull rm c1
	# A change is committed alone (before the init layer, the mount points came with it), and
	# the new image gets an init layer of its own at its first run.
	run -0 hull run --name c2 busybox sh -c 'echo x >/tmp/x'
	remember "$(hull inspect -f '{{.Id}}' c2)"
	run -0 hull commit c2 mine:v1
	new=$(top_hex mine:v1)
	[ "$new" != "$hex" ]
	run -0 sh -c "cd '$STORE/layers/$new/diff' && find . | sort"
	[ "$output" = $'.\n./tmp\n./tmp/x' ]
	[ ! -e "$STORE/layers/$new/init" ]
	run -0 hull run --rm mine:v1 cat /tmp/x
	[ "$output" = x ]
	[ -f "$STORE/layers/$new/init/etc/hosts" ]
	run -0 hull rm c2
}

# An image whose /etc has hosts as a file, resolv.conf as a symlink (to a file: a dangling
# one fails the mount, with the init layer as before) and no hostname.
_etc_fill() {
	busybox_rootfs_copy "$1" && echo mine >"$1/etc/hosts" && ln -s /tmp/r.conf "$1/etc/resolv.conf" &&
		touch "$1/tmp/r.conf" && mkdir "$1/proc"
}
# An image whose /etc is a symlink to /usr/etc.
_etclink_fill() {
	busybox_rootfs_copy "$1" && mv "$1/etc" "$1/usr/etc" && ln -s usr/etc "$1/etc"
}

# An image whose layer has a whiteout for /etc/hosts.
_whiteout_fill() {
	busybox_rootfs_copy "$1" && touch "$1/etc/.wh.hosts"
}

@test "init layer: never shadows what the image has (a file, a symlink, /etc as a symlink, a whiteout)" {
	build_image etcimg _etc_fill
	run -0 hull run --rm etcimg sh -c 'ls -d /proc/1 && readlink /etc/resolv.conf'
	[ "${lines[1]}" = /tmp/r.conf ]
	init="$STORE/layers/$(top_hex etcimg)/init"
	run -0 sh -c "cd '$init' && find . | sort"
	[ "$output" = $'.\n./dev\n./etc\n./etc/hostname\n./sys' ]
	# The image's file stays below the engine's bind mount, as before.
	run -0 hull run --name e1 etcimg true
	remember "$(hull inspect -f '{{.Id}}' e1)"
	run -0 hull rm e1

	build_image etclink _etclink_fill
	run -0 hull run --rm etclink sh -c 'cat /etc/hostname >/dev/null && readlink /etc'
	[ "$output" = usr/etc ]
	init="$STORE/layers/$(top_hex etclink)/init"
	run -0 sh -c "cd '$init' && find . | sort"
	[ "$output" = $'.\n./dev\n./proc\n./sys' ]

	# A layer that deletes /etc/hosts (a whiteout): the merged view lacks it, so the init
	# layer has it.
	build_image whiteout _whiteout_fill
	[ "$(stat -c %F "$STORE/layers/$(top_hex whiteout)/diff/etc/hosts")" = "character special file" ]
	run -0 hull run --rm whiteout cat /etc/hostname
	[ -f "$STORE/layers/$(top_hex whiteout)/init/etc/hosts" ]
}

@test "init layer: --read-only, volumes onto /etc paths and a bind onto /etc/hosts work as before" {
	busybox_image
	run -0 hull run --rm --read-only busybox sh -c 'cat /etc/hostname >/dev/null && ! touch /etc/x'
	mkdir "$BATS_TEST_TMPDIR/vol"
	echo data >"$BATS_TEST_TMPDIR/vol/f"
	echo '10.9.9.9 mine' >"$BATS_TEST_TMPDIR/hosts"
	run -0 hull run --rm -v "$BATS_TEST_TMPDIR/vol:/etc/extra" -v "$BATS_TEST_TMPDIR/hosts:/etc/hosts:ro" busybox \
		sh -c 'cat /etc/extra/f /etc/hosts'
	[ "$output" = $'data\n10.9.9.9 mine' ]
	run -0 hull run --name v1 -v vname:/etc/named busybox sh -c 'echo x >/etc/named/y; ls /etc'
	remember "$(hull inspect -f '{{.Id}}' v1)"
	[[ "$output" == *named* ]]
	# The volume's mount point is the only thing in the upper directory.
	run -0 sh -c "cd '$(upper_of v1)' && find . | sort"
	[ "$output" = $'.\n./etc\n./etc/named' ]
	run -0 hull rm -v v1
	run -0 hull volume rm vname
}

# A second image of its own (its top layer differs from busybox's).
_other_fill() {
	busybox_rootfs_copy "$1" && echo other >"$1/other"
}

@test "init layer: concurrent first runs of an image all work, one init layer, no temporary directory left" {
	busybox_image
	build_image other _other_fill
	local pids=() i img
	# Two images, so that two races of 16 first runs each make the layer (losing one is not
	# certain in a single round here).
	for img in busybox other; do
		for i in $(seq 16); do
			hull run --rm --network none "$img" cat /etc/hostname >"$BATS_TEST_TMPDIR/out$i" 2>&1 &
			pids+=($!)
		done
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done
	for img in busybox other; do
		run -0 sh -c "cd '$STORE/layers/$(top_hex "$img")' && ls -a"
		[ "$output" = $'.\n..\ndiff\ninit' ]
	done
	[ -z "$(ls -A "$STORE/overlay/c")" ]
	run -0 hull system check
}

@test "init layer: a container whose upper has the mount points already (made before the init layer) still runs" {
	busybox_image
	run -0 hull create --name old busybox cat /etc/hostname
	remember "$output"
	# What the code before the init layer left in the upper directory of a container it ran,
	# written with the rootfs unmounted (as after a reboot).
	umount "$STORE/containers/$output/rootfs"
	up=$(upper_of old)
	mkdir -p "$up/etc" "$up/proc" "$up/sys" "$up/dev"
	touch "$up/etc/hosts" "$up/etc/hostname" "$up/etc/resolv.conf"
	run -0 hull start -a old
	[ "$output" = "$(hull inspect -f '{{.Config.Hostname}}' old)" ]
	run -0 hull rm old
}

@test "init layer: rmi and system prune remove it with its layer and its short name" {
	busybox_image
	run -0 hull run --rm busybox true
	hex=$(top_hex busybox)
	[ -d "$STORE/layers/$hex/init" ]
	sid=$(cd "$STORE/overlay/l" && for l in *-i; do [ "$(readlink "$l")" = "../../layers/$hex/init" ] && echo "$l"; done)
	[ -n "$sid" ]
	run -0 hull rmi busybox
	[ ! -e "$STORE/layers/$hex" ]
	run -0 hull system prune -af
	[ ! -L "$STORE/overlay/l/$sid" ]
	[ -z "$(ls -A "$STORE/layers")" ]
	[ -z "$(find "$STORE/overlay/l" -xtype l)" ]
}

@test "init layer: a build killed half-way leaves a temporary directory that system check reports and the next writer collects" {
	busybox_image
	# What a command killed while it made the init layer leaves (the name has no storage row).
	mkdir -p "$STORE/overlay/c/.init-0123456789abcdef/etc"
	touch "$STORE/overlay/c/.init-0123456789abcdef/etc/hosts"
	run hull system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"directory overlay/c/.init-0123456789abcdef: no container storage"* ]]
	run -0 hull run --rm --network none busybox true
	[ -z "$(ls -A "$STORE/overlay/c")" ]
	[ -d "$STORE/layers/$(top_hex busybox)/init/etc" ]
	run -0 hull system check
}
