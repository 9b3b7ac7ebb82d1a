#!/usr/bin/env bats
# A container's root filesystem (src/storage/overlay.c): overlay mounts of an image's layers
# through short names, the upper directory, read-only mounts, removal, crash leftovers.

bats_require_minimum_version 1.5.0
load lib/image

# A 3-layer image "three": layer 2 whites out /gone, makes /opq opaque (hiding /opq/x) and
# changes /etc/a; layer 3 adds /top and a symlink.
three_layers() {
	local d=$BATS_TEST_TMPDIR
	mklayer "$d/l1.tar" d:etc f:etc/a:one f:etc/b:bee d:opq d:opq/x f:opq/x/old:old f:keep:k f:gone:g d:dir f:dir/f:f
	mklayer "$d/l2.tar" f:.wh.gone: d:opq f:opq/.wh..wh..opq: f:opq/new:new f:etc/a:two
	mklayer "$d/l3.tar" f:top:t l:lnk:/etc/a
	mkimage --tag three:latest "$d/three.tar" "$d/l1.tar" "$d/l2.tar" "$d/l3.tar"
	hull load -i "$d/three.tar"
}

# mount_ctr [--ro] [--init] CTR IMAGE: mounts on $BATS_TEST_TMPDIR/CTR (unmounted by teardown).
mount_ctr() {
	local opts=()
	while [ "$1" = --ro ] || [ "$1" = --init ]; do
		opts+=("$1")
		shift
	done
	MOUNTS+=("$BATS_TEST_TMPDIR/$1")
	storagetool mount "${opts[@]}" "$1" "$2" "$BATS_TEST_TMPDIR/$1"
}

@test "overlay: a 3-layer image with whiteouts and an opaque directory mounts with the right contents" {
	three_layers
	mount_ctr c1 three
	m=$BATS_TEST_TMPDIR/c1
	[ "$(cd "$m" && find . | sort | tr '\n' ' ')" = ". ./dir ./dir/f ./etc ./etc/a ./etc/b ./keep ./lnk ./opq ./opq/new ./top " ]
	[ "$(cat "$m/etc/a")" = two ]
	[ "$(readlink "$m/lnk")" = /etc/a ]
	# A directory keeps the time its layer gives it, also with files created in it after it.
	[ "$(stat -c %Y "$m/dir")" = 1700000000 ]
	[ "$(stat -c %Y "$m/opq")" = 1700000000 ]
	# The lower directories are the short names, not the layers' long paths.
	opts=$(awk -v m="$m" '$5 == m { print $NF }' /proc/self/mountinfo)
	[[ "$opts" =~ lowerdir=l/[A-Z2-7]{26}:l/[A-Z2-7]{26}:l/[A-Z2-7]{26},upperdir=c/c1/upper,workdir=c/c1/work ]]
	for l in "$STORE"/overlay/l/*; do
		[[ "$(readlink "$l")" =~ ^\.\./\.\./layers/[0-9a-f]{64}/diff$ ]]
		[ -d "$l/" ]
	done
	[ "$(ls "$STORE/overlay/l" | wc -l)" -eq 3 ]
}

@test "overlay: writes land in the upper directory, the layers stay as they were; restart reuses the upper" {
	three_layers
	mount_ctr c1 three
	m=$BATS_TEST_TMPDIR/c1
	layers_before=$(cd "$STORE/layers" && find . -printf '%p %s %m\n' | sort | sha256sum)
	echo new >"$m/etc/a"
	echo added >"$m/added"
	rm "$m/keep"
	rm -r "$m/dir"
	upper=$(storagetool upper c1)
	[ "$upper" = "$STORE/overlay/c/c1/upper" ]
	[ "$(cat "$upper/etc/a")" = new ]
	[ "$(cat "$upper/added")" = added ]
	[ "$(stat -c %F:%t:%T "$upper/keep")" = "character special file:0:0" ]
	[ "$(stat -c %F:%t:%T "$upper/dir")" = "character special file:0:0" ]
	[ "$(cd "$STORE/layers" && find . -printf '%p %s %m\n' | sort | sha256sum)" = "$layers_before" ]
	# A restart: unmounted and mounted again over the same upper directory.
	storagetool umount "$m"
	[ -z "$(ls -A "$m")" ]
	storagetool mount c1 three "$m"
	[ "$(cat "$m/added")" = added ]
	[ ! -e "$m/keep" ]
	# The same storage for other layers is refused.
	mklayer "$BATS_TEST_TMPDIR/o.tar" f:other:o
	mkimage --tag other:latest "$BATS_TEST_TMPDIR/other.tar" "$BATS_TEST_TMPDIR/o.tar"
	hull load -i "$BATS_TEST_TMPDIR/other.tar"
	run storagetool mount c1 other "$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"container c1: its storage exists for other layers"* ]]
}

@test "overlay: a read-only mount has no upper directory and refuses every write (one layer and three)" {
	three_layers
	mount_ctr --ro r1 three
	m=$BATS_TEST_TMPDIR/r1
	[ "$(cat "$m/etc/a")" = two ]
	run touch "$m/x"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run rm "$m/keep"
	[ "$status" -ne 0 ]
	[ ! -e "$STORE/overlay/c/r1/upper" ]
	run storagetool upper r1
	[ "$status" -eq 1 ]
	[[ "$output" == *"container r1 has no writable storage"* ]]
	# One layer alone (overlay needs two lower directories without an upper one).
	mklayer "$BATS_TEST_TMPDIR/o.tar" f:only:o
	mkimage --tag one:latest "$BATS_TEST_TMPDIR/one.tar" "$BATS_TEST_TMPDIR/o.tar"
	hull load -i "$BATS_TEST_TMPDIR/one.tar"
	mount_ctr --ro r2 one
	[ "$(cat "$BATS_TEST_TMPDIR/r2/only")" = o ]
	run mkdir "$BATS_TEST_TMPDIR/r2/d"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$STORE/overlay/empty")" ]
}

# Layers FROM..TO, each with a file of its own and "top", into the caller's array layers
# (archives under the caller's $d).
add_layers() {
	local i
	for i in $(seq "$1" "$2"); do
		mklayer "$d/l$i.tar" "f:f$i:$i" "f:top:$i"
		layers+=("$d/l$i.tar")
	done
}

@test "overlay: 128 layers fit into one mount" {
	local d=$BATS_TEST_TMPDIR layers=()
	add_layers 1 128
	mkimage --tag many:latest "$d/many.tar" "${layers[@]}"
	hull load -i "$d/many.tar"
	[ "$(hull image inspect -f '{{len .RootFS.Layers}}' many)" = 128 ] || [ "$(hull image inspect many | jq '.[0].RootFS.Layers | length')" = 128 ]
	mount_ctr c128 many
	m=$d/c128
	[ "$(ls "$m" | wc -l)" -eq 129 ]
	[ "$(cat "$m/top")" = 128 ]
	[ "$(cat "$m/f1")" = 1 ]
	echo w >"$m/w"
	[ -f "$STORE/overlay/c/c128/upper/w" ]
	# The init layer's short name fits as well.
	mount_ctr --init i128 many
	[ "$(cat "$d/i128/top")" = 128 ]
	[ -d "$d/i128/proc" ]
	# 138 layers fit, but not with the init layer's name: the mount goes on without it.
	add_layers 129 138
	mkimage --tag more:latest "$d/more.tar" "${layers[@]}"
	hull load -i "$d/more.tar"
	mount_ctr --init i138 more
	[ "$(cat "$d/i138/top")" = 138 ]
	[ ! -e "$d/i138/proc" ]
}

@test "overlay: the init layer sits between the layers and the upper directory, and neither diff nor the upper sees it" {
	three_layers
	mount_ctr --init c1 three
	m=$BATS_TEST_TMPDIR/c1
	# The image's /etc merged with the init layer's, whiteouts and opaque directories kept.
	[ "$(cat "$m/etc/a")" = two ]
	[ "$(cat "$m/etc/b")" = bee ]
	[ -f "$m/etc/hosts" ]
	[ -f "$m/etc/hostname" ]
	[ -f "$m/etc/resolv.conf" ]
	[ -d "$m/proc" ]
	[ -d "$m/sys" ]
	[ -d "$m/dev" ]
	[ ! -e "$m/gone" ]
	[ "$(ls "$m/opq")" = new ]
	[ -z "$(ls -A "$STORE/overlay/c/c1/upper")" ]
	run -0 storagetool diff c1
	[ -z "$output" ]
	# A write into /etc copies the merged /etc up with the image's attributes.
	echo x >"$m/etc/new"
	run -0 storagetool diff c1
	[ "$output" = $'C /etc\nA /etc/new' ]
	# A read-only mount of one layer needs no empty lower with the init layer above it.
	mklayer "$BATS_TEST_TMPDIR/one.tar" d:etc f:etc/passwd:p
	mkimage --tag one:latest "$BATS_TEST_TMPDIR/one.tar.img" "$BATS_TEST_TMPDIR/one.tar"
	hull load -i "$BATS_TEST_TMPDIR/one.tar.img"
	mount_ctr --ro --init r1 one
	[ -f "$BATS_TEST_TMPDIR/r1/etc/hosts" ]
	[ "$(cat "$BATS_TEST_TMPDIR/r1/etc/passwd")" = p ]
	run ! touch "$BATS_TEST_TMPDIR/r1/x"
}

@test "overlay: unmount and remove leave nothing; removing twice is fine; rmi then takes the layers" {
	three_layers
	mount_ctr c1 three
	m=$BATS_TEST_TMPDIR/c1
	echo x >"$m/x"
	# The layers stay while a container's storage uses them.
	run hull rmi three
	[ "$status" -eq 1 ]
	[[ "$output" == *"image is being used by container c1"* ]]
	storagetool umount "$m"
	storagetool umount "$m" # not mounted: fine
	run ! mountpoint -q "$m"
	storagetool remove c1
	[ -z "$(ls -A "$STORE/overlay/c")" ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM storage; SELECT count(*) FROM storage_layers')" = $'0\n0' ]
	storagetool remove c1
	hull rmi three
	store_empty
	# The short names of removed layers are collected by the next writer.
	hull tag nothing x 2>/dev/null || true
	[ -z "$(ls -A "$STORE/overlay/l")" ]
	run hull system check
	[ "$output" = "No problems found" ]
}

@test "overlay: a crash before the storage is complete leaves garbage that system check reports and the collector removes" {
	three_layers
	layer=$(sqlite3 "$STORE/hull.db" "SELECT chain_id FROM image_layers WHERE idx = 0 LIMIT 1")
	# What a command killed between recording and completing the storage leaves: an
	# incomplete row (its owner gone) with a half-made directory, and a directory without a row.
	sqlite3 "$STORE/hull.db" "INSERT INTO storage (id, incomplete, created, owner_pid, owner_start) VALUES ('dead', 1, 0, 999999999, 1);
		INSERT INTO storage_layers (id, idx, chain_id) VALUES ('dead', 0, '$layer')"
	mkdir -p "$STORE/overlay/c/dead/upper" "$STORE/overlay/c/stray/upper"
	run hull system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"container storage dead: incomplete (left by an interrupted command)"* ]]
	[[ "$output" == *"directory overlay/c/stray: no container storage"* ]]
	# A complete row whose directory is gone.
	mount_ctr c2 three
	storagetool umount "$BATS_TEST_TMPDIR/c2"
	rm -rf "$STORE/overlay/c/c2"
	run hull system check
	[[ "$output" == *"container storage c2: directory overlay/c/c2/upper missing"* ]]
	run hull system check --repair
	[ "$status" -eq 0 ]
	[[ "$output" == *"Removed broken container storage c2"* ]]
	[ -z "$(ls -A "$STORE/overlay/c")" ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM storage')" = 0 ]
	run hull system check
	[ "$output" = "No problems found" ]
	# Without --repair, the next writer that finds the store idle collects the same garbage.
	sqlite3 "$STORE/hull.db" "INSERT INTO storage (id, incomplete, created, owner_pid, owner_start) VALUES ('dead', 1, 0, 999999999, 1)"
	mkdir -p "$STORE/overlay/c/dead/work" "$STORE/overlay/c/stray2"
	hull tag three again
	[ -z "$(ls -A "$STORE/overlay/c")" ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM storage')" = 0 ]
}

@test "overlay: bad container ids and targets are refused before anything is made" {
	three_layers
	for id in "" . .. a/b 'a,b' 'a:b' "$(printf 'x%.0s' {1..65})"; do
		run storagetool mount "$id" three "$BATS_TEST_TMPDIR/t"
		[ "$status" -eq 1 ]
		[[ "$output" == *"invalid container id"* ]]
	done
	run storagetool mount c1 three relative/target
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not an absolute path"* ]]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM storage')" = 0 ]
	[ -z "$(ls -A "$STORE/overlay/c" 2>/dev/null)" ]
}

@test "the offline busybox image: laid out like the official one, and a container of it works (chroot)" {
	busybox_image
	[ "$(hull images --format '{{.Repository}}:{{.Tag}}')" = busybox:latest ]
	[ "$(hull image inspect -f '{{json .Config.Cmd}}' busybox)" = '["sh"]' ]
	# Reproducible: the cached archive loads with the same id as a fresh build.
	id=$(hull image inspect -f '{{.Id}}' busybox)
	rm -f "$BATS_TEST_TMPDIR/again.tar"
	"$REPO_ROOT/scripts/busybox-image.sh" -o "$BATS_TEST_TMPDIR/again.tar"
	cmp "$REPO_ROOT/build/busybox-image.tar" "$BATS_TEST_TMPDIR/again.tar"
	mount_ctr bb busybox
	m=$BATS_TEST_TMPDIR/bb
	# Every applet is a hard link of /bin/busybox, in /bin.
	[ "$(stat -c %h "$m/bin/busybox")" -gt 200 ]
	[ "$(stat -c %i "$m/bin/sh")" = "$(stat -c %i "$m/bin/busybox")" ]
	[ "$(head -1 "$m/etc/passwd")" = "root:x:0:0:root:/root:/bin/sh" ]
	grep -q '^nobody:x:65534:65534:' "$m/etc/passwd"
	grep -q '^nogroup:x:65534:' "$m/etc/group"
	[ "$(stat -c %a "$m/tmp")" = 1777 ]
	[ "$(stat -c %a "$m/root")" = 700 ]
	[ -d "$m/var/spool/mail" ]
	[ -d "$m/home" ]
	[ -d "$m/proc" ]
	[ -d "$m/sys" ]
	[ -d "$m/dev" ]
	run chroot "$m" /bin/sh -c 'echo hello > /tmp/x; id -un; ls /bin | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = root ]
	[ "${lines[1]}" -gt 200 ]
	[ "$(cat "$STORE/overlay/c/bb/upper/tmp/x")" = hello ]
}

@test "overlay: a short layer name that points elsewhere is refused, a missing one is made again" {
	three_layers
	mount_ctr c1 three
	storagetool umount "$BATS_TEST_TMPDIR/c1"
	link=$(ls "$STORE/overlay/l" | head -1)
	target=$(readlink "$STORE/overlay/l/$link")
	other=$(readlink "$STORE/overlay/l/$(ls "$STORE/overlay/l" | tail -1)")
	# Another layer that exists (a name whose layer is gone is collected, then made again).
	ln -sfn "$other" "$STORE/overlay/l/$link"
	MOUNTS+=("$BATS_TEST_TMPDIR/c2")
	run storagetool mount c2 three "$BATS_TEST_TMPDIR/c2"
	[ "$status" -eq 1 ]
	[[ "$output" == *"overlay/l/$link names another layer ($other, not $target)"* ]]
	run ! mountpoint -q "$BATS_TEST_TMPDIR/c2"
	ln -sfn ../../layers/gone/diff "$STORE/overlay/l/$link"
	mount_ctr c2 three
	[ "$(readlink "$STORE/overlay/l/$link")" = "$target" ]
	[ "$(cat "$BATS_TEST_TMPDIR/c2/etc/a")" = two ]
}

@test "a store of schema version 2 gets the storage tables on the next open, its images kept" {
	three_layers
	# Version 2 (the engine's container columns, which step 2 cannot add twice), before the
	# storage tables of step 3.
	sqlite3 "$STORE/hull.db" "DROP TABLE storage_layers; DROP TABLE storage; PRAGMA user_version = 2"
	[ "$(hull images --format '{{.Repository}}')" = three ]
	[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 9 ]
	mount_ctr c1 three
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT id FROM storage')" = c1 ]
}
