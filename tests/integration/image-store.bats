#!/usr/bin/env bats
# hull's image store and image commands: import, images, tag, rmi, inspect, load, save,
# system df/check; crash leftovers, a full disk, concurrent writers.

bats_require_minimum_version 1.5.0
load lib/image

@test "import a rootfs tarball: images shows Docker's table, -q, --format json and templates" {
	mkrootfs_tgz
	run hull import --change 'CMD ["/bin/sh"]' --change 'ENV A=b' --change 'ONBUILD RUN make' "$BATS_TEST_TMPDIR/rootfs.tgz" busybox
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=${output#sha256:}
	run hull images
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	[[ "${lines[1]}" =~ ^busybox\ +latest\ +${id:0:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds)\ ago\ +[0-9.]+MB$ ]]
	[ "$(hull images -q)" = "${id:0:12}" ]
	[ "$(hull images --no-trunc -q)" = "sha256:$id" ]
	[ "$(hull images --format '{{.Repository}}:{{.Tag}}')" = "busybox:latest" ]
	# As Docker, flags may follow the arguments.
	[ "$(hull images busybox -q)" = "${id:0:12}" ]
	[ "$(hull image inspect busybox -f '{{.Os}}')" = linux ]
	[ "$(hull history busybox -q)" = "${id:0:12}" ]
	hull images --format json | jq -e --arg id "${id:0:12}" '.ID == $id and .Repository == "busybox" and .Tag == "latest"'
	[ "$(hull image inspect -f '{{json .Config.Cmd}} {{.Os}}' busybox)" = '["/bin/sh"] linux' ]
	hull image inspect busybox | jq -e --arg id "sha256:$id" '.[0].Id == $id and .[0].RepoTags == ["busybox:latest"] and .[0].Config.Env == ["A=b"] and .[0].Config.OnBuild == ["RUN make"]'
	# As Docker: the images found are printed, then one error line per missing name, exit 1.
	run hull image inspect nope busybox nope2
	[ "$status" -eq 1 ]
	[[ "$output" == *'"RepoTags"'* ]]
	[[ "$output" == *"Error: No such image: nope"* && "$output" == *"Error: No such image: nope2"* ]]
	[[ "$output" != *"No such file"* ]]
	[ "$(hull images --format table | head -1 | awk '{print $1, $2}')" = "REPOSITORY TAG" ]
	# The layer is unpacked once, owner and mode kept; the store is root's alone.
	layer=$(hull image inspect -f '{{json .RootFS.Layers}}' busybox | jq -r '.[0]')
	[ -x "$STORE/layers/${layer#sha256:}/diff/bin/busybox" ]
	[ "$(readlink "$STORE/layers/${layer#sha256:}/diff/bin/sh")" = busybox ]
	[ "$(stat -c %a "$STORE")" = 700 ]
	# As docker import: "-" reads the tarball from stdin; the same layer, one more image.
	run bash -c "'$HULL' --root '$STORE' import -m 'from stdin' - piped:v1 <'$BATS_TEST_TMPDIR/rootfs.tgz'"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$(hull image inspect -f '{{json .RootFS.Layers}}' piped:v1 | jq -r '.[0]')" = "$layer" ]
	[ "$(hull image inspect -f '{{.Comment}}' piped:v1)" = "from stdin" ]
	run hull system check
	[ "$status" -eq 0 ]
	[ "$output" = "No problems found" ]
}

@test "tag and rmi: an extra tag is only untagged, an id with two tags needs -f, the last tag removes layers and blobs" {
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox
	hull tag busybox 127.0.0.1:5000/x/y:v1
	hull tag busybox:latest mine
	[ "$(hull images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "127.0.0.1:5000/x/y:v1 busybox:latest mine:latest " ]
	id=$(hull images -q | head -1)
	run hull rmi mine
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: mine:latest" ]
	run hull rmi "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unable to delete $id (must be forced) - image is referenced in multiple repositories"* ]]
	run hull rmi 127.0.0.1:5000/x/y:v1
	[ "$output" = "Untagged: 127.0.0.1:5000/x/y:v1" ]
	run hull rmi busybox
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Untagged: busybox:latest" ]
	[[ "${lines[1]}" == "Deleted: sha256:$id"* ]]
	store_empty
	run hull rmi busybox
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: busybox:latest"* ]]
	run hull tag nothing x
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nothing:latest"* ]]
}

@test "rmi refuses an image a container uses or another image has as parent" {
	mkrootfs_tgz
	id=$(hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox)
	# The engine records containers in the same database; stand in for it.
	sqlite3 "$STORE/hull.db" "INSERT INTO containers (id, name, image_id) VALUES ('c0ffee00c0ffee', 'web', '$id')"
	# As Docker: its last tag goes only with -f, the image never (not by id, not with -f).
	run hull rmi busybox
	[ "$status" -eq 1 ]
	[[ "$output" == *"conflict: unable to remove repository reference \"busybox\" (must force) - container c0ffee00c0ff is using its referenced image ${id:7:12}"* ]]
	for f in "" -f; do
		run hull rmi $f "$id"
		[ "$status" -eq 1 ]
		[[ "$output" == *"(cannot be forced) - image is being used by container c0ffee00c0ff"* ]]
	done
	run hull rmi -f busybox
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: busybox:latest" ]
	[ "$(hull images -a -q --no-trunc)" = "$id" ]
	hull tag "$id" busybox
	sqlite3 "$STORE/hull.db" "DELETE FROM containers"
	sqlite3 "$STORE/hull.db" "INSERT INTO images (id, manifest, created, added, size, parent) VALUES ('sha256:$(printf '1%.0s' {1..64})', 'm', 0, 0, 0, '$id')"
	run hull rmi "$id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"image has dependent child images"* ]]
	[ -n "$(hull images -q --filter reference=busybox)" ]
	# By its last tag (as Docker): the tag goes, the image stays for its child.
	run hull rmi busybox
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: busybox:latest" ]
	[ "$(hull images -a -q --no-trunc | sort)" = "$(printf '%s\n' "$id" "sha256:$(printf '1%.0s' {1..64})" | sort)" ]
	# Without -a, Docker hides such an intermediate image.
	[ "$(hull images -q --no-trunc)" = "sha256:$(printf '1%.0s' {1..64})" ]
}

@test "save and load round trip (docker-archive and oci-archive), ids and tags kept" {
	mkrootfs_tgz
	id=$(hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox)
	hull tag busybox other:v2
	for fmt in docker-archive oci-archive; do
		hull save --format "$fmt" -o "$BATS_TEST_TMPDIR/$fmt.tar" busybox other:v2
		tar tf "$BATS_TEST_TMPDIR/$fmt.tar" | grep -qx index.json
		run "$HULL" --root "$BATS_TEST_TMPDIR/s-$fmt" load -i "$BATS_TEST_TMPDIR/$fmt.tar"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "Loaded image: busybox:latest" ]
		[ "${lines[1]}" = "Loaded image: other:v2" ]
		# As Docker, -q silences progress only: the loaded images are still printed.
		run "$HULL" --root "$BATS_TEST_TMPDIR/s-$fmt" load -q -i "$BATS_TEST_TMPDIR/$fmt.tar"
		[ "$status" -eq 0 ]
		[ "$output" = "$(printf 'Loaded image: busybox:latest\nLoaded image: other:v2')" ]
		[ "$("$HULL" --root "$BATS_TEST_TMPDIR/s-$fmt" image inspect -f '{{.Id}}' other:v2)" = "$id" ]
		"$HULL" --root "$BATS_TEST_TMPDIR/s-$fmt" system check
	done
	tar tf "$BATS_TEST_TMPDIR/docker-archive.tar" | grep -qx manifest.json
	run ! tar tf "$BATS_TEST_TMPDIR/oci-archive.tar" manifest.json
	# save never leaves a partial archive under the name asked for.
	run hull save -o "$BATS_TEST_TMPDIR/bad.tar" busybox nothing
	[ "$status" -eq 1 ]
	[ ! -e "$BATS_TEST_TMPDIR/bad.tar" ]
	# Nor on stdout: every name is resolved before a byte is written, as Docker does.
	run bash -c "'$HULL' --root '$STORE' save busybox nothing >'$BATS_TEST_TMPDIR/partial.tar'"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nothing"* ]]
	[ ! -s "$BATS_TEST_TMPDIR/partial.tar" ]
	# As Docker, -o may follow the image names.
	hull save other:v2 -o "$BATS_TEST_TMPDIR/after.tar"
	tar tf "$BATS_TEST_TMPDIR/after.tar" | grep -qx manifest.json
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep hull-tmp)" ]
}

@test "load: docker save's classic layout and OCI layouts with gzip and zstd layers, shared layers unpacked once" {
	mklayer "$BATS_TEST_TMPDIR/l1.tar" d:etc f:etc/one:1
	mklayer "$BATS_TEST_TMPDIR/l2.tar" f:etc/two:2 f:etc/.wh.one:
	gzip -k "$BATS_TEST_TMPDIR/l1.tar"
	zstd -q "$BATS_TEST_TMPDIR/l2.tar"
	mkimage --format docker --tag a:1 "$BATS_TEST_TMPDIR/a.tar" "$BATS_TEST_TMPDIR/l1.tar" "$BATS_TEST_TMPDIR/l2.tar"
	mkimage --format oci --tag docker.io/library/b:2 "$BATS_TEST_TMPDIR/b.tar" "$BATS_TEST_TMPDIR/l1.tar.gz" "$BATS_TEST_TMPDIR/l2.tar.zst"
	run hull load -i "$BATS_TEST_TMPDIR/a.tar"
	[ "$output" = "Loaded image: a:1" ]
	run hull load < "$BATS_TEST_TMPDIR/b.tar"
	[ "$output" = "Loaded image: b:2" ]
	# Same diff ids: the same two layers, unpacked once for both images.
	[ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
	[ "$(hull image inspect -f '{{.Id}}' a:1)" = "$(hull image inspect -f '{{.Id}}' b:2)" ]
	top=$(hull image inspect -f '{{json .RootFS.Layers}}' b:2 | jq -r '.[0]')
	[ "$(cat "$STORE/layers/${top#sha256:}/diff/etc/one")" = 1 ]
	# An OCI whiteout becomes an overlay whiteout (a 0:0 character device).
	for d in "$STORE"/layers/*/diff; do
		[ -e "$d/etc/two" ] || continue
		[ "$(stat -c '%F %t:%T' "$d/etc/one")" = "character special file 0:0" ]
	done
	hull system check
	hull rmi a:1
	[ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
	hull rmi b:2
	store_empty
}

@test "round trips with podman: hull save -> podman load -> podman save (both formats) -> hull load" {
	command -v podman || skip "podman not installed"
	mkrootfs_tgz
	id=$(hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox)
	P=(podman --root "$BATS_TEST_TMPDIR/p" --runroot "$BATS_TEST_TMPDIR/pr" --storage-driver vfs)
	hull save -o "$BATS_TEST_TMPDIR/h.tar" busybox
	# podman reads the archive as OCI; skopeo's docker-archive transport reads manifest.json.
	skopeo copy -q "docker-archive:$BATS_TEST_TMPDIR/h.tar" "oci:$BATS_TEST_TMPDIR/sk:busybox"
	[ "$(skopeo inspect --config "oci:$BATS_TEST_TMPDIR/sk:busybox" | jq -r .rootfs.diff_ids[0])" = \
		"$(hull image inspect -f '{{json .RootFS.Layers}}' busybox | jq -r '.[0]')" ]
	"${P[@]}" load -i "$BATS_TEST_TMPDIR/h.tar"
	[ "$("${P[@]}" image inspect -f '{{.Id}}' busybox)" = "${id#sha256:}" ]
	"${P[@]}" save --format docker-archive -o "$BATS_TEST_TMPDIR/p-docker.tar" busybox
	"${P[@]}" save --format oci-archive -o "$BATS_TEST_TMPDIR/p-oci.tar" busybox
	"${P[@]}" rmi -a -f >/dev/null
	run "$HULL" --root "$BATS_TEST_TMPDIR/s2" load -i "$BATS_TEST_TMPDIR/p-docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	[ "$("$HULL" --root "$BATS_TEST_TMPDIR/s2" image inspect -f '{{.Id}}' busybox)" = "$id" ]
	run "$HULL" --root "$BATS_TEST_TMPDIR/s3" load -i "$BATS_TEST_TMPDIR/p-oci.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: busybox:latest" ]
	"$HULL" --root "$BATS_TEST_TMPDIR/s3" system check
	d=$(ls -d "$BATS_TEST_TMPDIR"/s3/layers/*/diff)
	cmp "$d/bin/busybox" /bin/busybox
}

@test "system df counts images and their shared layers" {
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" a
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" b
	run hull system df
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	[[ "${lines[1]}" =~ ^Images\ +2\ +0\ +[0-9.]+MB\ +[0-9.]+MB\ \(100%\)$ ]]
	[ "$(ls "$STORE/layers" | wc -l)" -eq 1 ]
}

@test "kill -9 in the middle of unpacking: the incomplete layer is reported, then collected by the next command" {
	# Many small files: unpacking takes long enough to be caught in the middle.
	python3 - "$BATS_TEST_TMPDIR/big.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    for d in range(300):
		        for f in range(200):
		            i = tarfile.TarInfo("d%d/f%d" % (d, f)); i.size = 10
		            tf.addfile(i, io.BytesIO(b"0123456789"))
	PY
	hull images >/dev/null
	"$HULL" --root "$STORE" import "$BATS_TEST_TMPDIR/big.tar" big &
	pid=$!
	for _ in $(seq 1 2000); do
		ls -A "$STORE/layers" 2>/dev/null | grep -q '^\.tmp-' && break
		sleep 0.002
	done
	kill -9 "$pid" || true
	wait "$pid" || true
	[ -n "$(ls -A "$STORE/layers")" ] || skip "the import finished before it could be killed"
	ls -A "$STORE/layers" | grep -q '^\.tmp-'
	# Readers are not disturbed; check names the leftover; a writer collects it.
	[ -z "$(hull images -q)" ]
	run hull system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"incomplete"* ]]
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" small
	[ "$(ls -A "$STORE/layers" | wc -l)" -eq 1 ]
	run ls -A "$STORE/layers"
	[[ "$output" != *.tmp-* ]]
	hull system check
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers WHERE incomplete = 1')" -eq 0 ]
}

@test "rmi works on a full disk (the store's reserve is given back)" {
	mkdir -p "$STORE"
	mount -t tmpfs -o size=24m tmpfs "$STORE"
	MOUNTS+=("$STORE")
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox
	hull tag busybox other
	# Fill the file system to the last byte.
	run dd if=/dev/zero of="$STORE/fill" bs=64k
	[ "$(df --output=avail "$STORE" | tail -1)" -eq 0 ]
	run hull rmi other
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: other:latest" ]
	run hull rmi busybox
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "Deleted: sha256:"* ]]
	rm -f "$STORE/fill"
	store_empty
	umount "$STORE"
	MOUNTS=()
}

@test "concurrent imports and loads of the same layers: all succeed, one copy, consistent store" {
	# Each command is waited for by its pid, and must succeed: a bare `wait` also waits for
	# the watchdog bats starts in the background when BATS_TEST_TIMEOUT is set
	# (tests/run-all.sh), so it returned only when the test timed out.
	local pids=() p
	mkrootfs_tgz
	for i in 1 2 3 4 5 6; do
		hull import "$BATS_TEST_TMPDIR/rootfs.tgz" "img$i" >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(hull images -q | wc -l)" -eq 6 ]
	[ "$(ls -A "$STORE/layers" | wc -l)" -eq 1 ]
	hull system check
	pids=()
	for i in 1 2 3 4 5 6; do
		hull rmi "img$i" >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	store_empty
}

@test "a writer racing another to create the store waits for its database lock (no 'database is locked')" {
	# Another connection holds the write lock of the new database while hull turns it into
	# WAL: SQLite refuses that at once instead of calling the busy handler, so hull retries.
	mkrootfs_tgz
	mkdir -p "$STORE"
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(1.5)
c.execute("COMMIT")
' "$STORE/hull.db" "$BATS_TEST_TMPDIR/locked" &
	holder=$!
	while [ ! -e "$BATS_TEST_TMPDIR/locked" ]; do sleep 0.05; done
	run hull import "$BATS_TEST_TMPDIR/rootfs.tgz" img
	wait "$holder"
	[ "$status" -eq 0 ]
	[ "$(hull images -q | wc -l)" -eq 1 ]
	hull system check
	hull rmi img >/dev/null
	store_empty
}

@test "bad input: unknown flags exit 125, missing arguments 1 (as Docker's CLI), a corrupt or foreign archive fails cleanly and leaves nothing" {
	run hull images --bogus
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown flag: --bogus"* ]]
	run hull rmi
	[ "$status" -eq 1 ]
	[[ "$output" == *'"hull rmi" requires at least 1 argument'* ]]
	run hull tag a
	[ "$status" -eq 1 ]
	[[ "$output" == *'"hull tag" requires exactly 2 arguments'* ]]
	run hull rmi 'Bad:Name'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid reference format"* ]]
	head -c 100000 /dev/urandom >"$BATS_TEST_TMPDIR/junk"
	run hull load -i "$BATS_TEST_TMPDIR/junk"
	[ "$status" -eq 1 ]
	[[ "$output" == *"load $BATS_TEST_TMPDIR/junk"* ]]
	mkrootfs_tgz
	run hull load -i "$BATS_TEST_TMPDIR/rootfs.tgz"
	[ "$status" -eq 1 ]
	[[ "$output" == *"neither manifest.json"* ]]
	# A truncated archive: half of a valid one.
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:a:1
	mkimage "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	head -c 2000 "$BATS_TEST_TMPDIR/i.tar" >"$BATS_TEST_TMPDIR/half.tar"
	run hull load -i "$BATS_TEST_TMPDIR/half.tar"
	[ "$status" -eq 1 ]
	run hull import "$BATS_TEST_TMPDIR/junk"
	[ "$status" -eq 1 ]
	store_empty
	hull system check
}

@test "system check finds a corrupted blob and a missing layer directory; --repair removes the broken images" {
	mklayer "$BATS_TEST_TMPDIR/a.tar" f:a:1
	mklayer "$BATS_TEST_TMPDIR/b.tar" f:b:2
	hull import "$BATS_TEST_TMPDIR/a.tar" a
	hull import "$BATS_TEST_TMPDIR/b.tar" b
	hull import "$BATS_TEST_TMPDIR/a.tar" c
	hull system check
	# a: its layer blob gets other content; b: its unpacked layer disappears.
	blob=$(sqlite3 "$STORE/hull.db" "SELECT blob FROM image_layers il JOIN tags t ON t.image_id = il.image_id WHERE t.name = 'docker.io/library/a:latest'")
	printf 'X' | dd of="$STORE/blobs/sha256/${blob#sha256:}" bs=1 seek=3 conv=notrunc status=none
	layer=$(hull image inspect -f '{{json .RootFS.Layers}}' b | jq -r '.[0]')
	rm -rf "$STORE/layers/${layer#sha256:}"
	run hull system check
	[ "$status" -eq 1 ]
	[[ "$output" == *"blob $blob has content sha256:"* ]]
	[[ "$output" == *"layer $layer: directory ${layer#sha256:} missing"* ]]
	[[ "$output" == *"3 problems found"* || "$output" == *"problems found"* ]]
	run hull system check --repair
	[ "$status" -eq 0 ]
	[ "$(grep -c '^Removed broken image' <<<"$output")" -eq 3 ]
	hull system check
	store_empty
}

@test "kill -9 at random points of load and rmi (8 trials): system check names only the leftovers, the next command finds a consistent store" {
	python3 - "$BATS_TEST_TMPDIR/l.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    # 4000 files: a load takes about a second, so that the kill (0-0.99 s) lands
		    # mid-unpacking; 20000 made the 8 trials outlast the 120 s test timeout on a
		    # loaded machine (each file's creation is an openat of ~0.4 ms there).
		    for d in range(40):
		        for f in range(100):
		            i = tarfile.TarInfo("d%d/f%d" % (d, f)); i.size = 10
		            tf.addfile(i, io.BytesIO(b"0123456789"))
	PY
	mklayer "$BATS_TEST_TMPDIR/small.tar" f:x:1
	mkimage --tag big:1 "$BATS_TEST_TMPDIR/img.tar" "$BATS_TEST_TMPDIR/small.tar" "$BATS_TEST_TMPDIR/l.tar"
	for trial in $(seq 1 8); do
		"$HULL" --root "$STORE" load -i "$BATS_TEST_TMPDIR/img.tar" >/dev/null 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		only_crash_leftovers
		# Either the image is there, complete, or nothing is.
		if [ -n "$(hull images -q)" ]; then
			hull system check --quick
			"$HULL" --root "$STORE" rmi big:1 >/dev/null 2>&1 &
			pid=$!
			sleep "0.00$((RANDOM % 10))"
			kill -9 "$pid" 2>/dev/null || true
			wait "$pid" || true
			only_crash_leftovers
		fi
		# The next writer collects whatever the killed one left; then all is consistent.
		hull load -i "$BATS_TEST_TMPDIR/img.tar" >/dev/null
		hull system check --quick
		hull rmi big:1 >/dev/null
		store_empty
	done
}

@test "disk full during unpack (a small loop-mounted ext4 as the store): a clear error, the store as before" {
	truncate -s 24M "$BATS_TEST_TMPDIR/disk.img"
	mkfs.ext4 -q -F "$BATS_TEST_TMPDIR/disk.img"
	mkdir -p "$STORE"
	mount -o loop "$BATS_TEST_TMPDIR/disk.img" "$STORE"
	MOUNTS+=("$STORE")
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" small
	before=$(hull images --no-trunc -q)
	# 40 MB that gzip makes small: the blob fits, its unpacked file does not.
	mkdir "$BATS_TEST_TMPDIR/big"
	yes 'hull fills the disk' | head -c 40000000 >"$BATS_TEST_TMPDIR/big/file"
	tar -C "$BATS_TEST_TMPDIR/big" -czf "$BATS_TEST_TMPDIR/big.tgz" .
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/big.tgz")" -lt 1000000 ]
	run hull import "$BATS_TEST_TMPDIR/big.tgz" big
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[[ "$output" == *"file"* ]]
	# The store as before: the old image, no partial one, no orphan layer or blob.
	[ "$(hull images --no-trunc -q)" = "$before" ]
	run hull system check
	echo "$output"
	[ "$output" = "No problems found" ]
	[ "$(ls -A "$STORE/layers" | wc -l)" -eq 1 ]
	# The same with load (an OCI layout), then a smaller image still fits.
	mklayer "$BATS_TEST_TMPDIR/s.tar" f:s:1
	python3 -c 'import tarfile,sys; t=tarfile.open(sys.argv[1],"w"); t.add(sys.argv[2], "file"); t.close()' "$BATS_TEST_TMPDIR/l.tar" "$BATS_TEST_TMPDIR/big/file"
	gzip "$BATS_TEST_TMPDIR/l.tar"
	mkimage --format oci --tag big:1 "$BATS_TEST_TMPDIR/img.tar" "$BATS_TEST_TMPDIR/s.tar" "$BATS_TEST_TMPDIR/l.tar.gz"
	run hull load -i "$BATS_TEST_TMPDIR/img.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[ "$(hull images --no-trunc -q)" = "$before" ]
	run hull system check
	echo "$output"
	[ "$output" = "No problems found" ]
	[ "$(ls -A "$STORE/layers" | wc -l)" -eq 1 ]
	hull rmi small
	store_empty
	umount "$STORE"
	MOUNTS=()
}

@test "blob_sources: rmi forgets where the blobs it removes came from, in its transaction; a blob another image keeps keeps its rows; the collector drops orphans" {
	mklayer "$BATS_TEST_TMPDIR/a.tar" f:a:1
	hull import "$BATS_TEST_TMPDIR/a.tar" a
	hull import "$BATS_TEST_TMPDIR/a.tar" c
	zero="sha256:$(printf '0%.0s' {1..64})"
	# The rows a pull or push would have written, for every blob of both images (the layer
	# is shared), and one for a blob no image has (what a store older than this rule kept).
	sqlite3 "$STORE/hull.db" "INSERT INTO blob_sources SELECT DISTINCT digest, 'reg.example', 'x/y', 1 FROM image_blobs;
		INSERT INTO blob_sources VALUES ('$zero', 'reg.example', 'x/y', 1)"
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM blob_sources')" -eq 6 ]
	c_blobs=$(sqlite3 "$STORE/hull.db" "SELECT digest FROM image_blobs ib JOIN tags t ON t.image_id = ib.image_id
		WHERE t.name = 'docker.io/library/c:latest' ORDER BY digest")
	[ "$(wc -l <<<"$c_blobs")" -eq 3 ]
	# rmi a: its config and manifest lose their rows; c's blobs, the shared layer too, keep
	# theirs; the orphan goes with the collector the command runs on an idle store.
	run -0 hull rmi a
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT digest FROM blob_sources ORDER BY digest')" = "$c_blobs" ]
	run -0 hull rmi c
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM blob_sources')" -eq 0 ]
	# The next writer finding the store idle collects an orphan row.
	sqlite3 "$STORE/hull.db" "INSERT INTO blob_sources VALUES ('$zero', 'reg.example', 'x/y', 1)"
	hull import "$BATS_TEST_TMPDIR/a.tar" a
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM blob_sources')" -eq 0 ]
	# system check --repair removes a broken image through rmi: its rows go with it.
	sqlite3 "$STORE/hull.db" "INSERT INTO blob_sources SELECT DISTINCT digest, 'reg.example', 'x/y', 1 FROM image_blobs"
	layer=$(hull image inspect -f '{{json .RootFS.Layers}}' a | jq -r '.[0]')
	rm -rf "$STORE/layers/${layer#sha256:}"
	run -0 hull system check --repair
	[[ "$output" == *"Removed broken image"* ]]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM blob_sources')" -eq 0 ]
	store_empty
}

# pending: the number of layers recorded as not yet durable.
pending() {
	sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers_pending'
}

# Two images sharing a base layer: a (one layer) and b (a's layer and one more).
two_images() {
	local d=$BATS_TEST_TMPDIR
	mklayer "$d/a.tar" f:a:1
	mklayer "$d/b.tar" f:b:2
	mkimage --tag a:latest "$d/a-img.tar" "$d/a.tar"
	mkimage --tag b:latest "$d/b-img.tar" "$d/a.tar" "$d/b.tar"
}

# A boot id other than this boot's, for the rows not yet durable: as after a power cut.
other_boot() {
	sqlite3 "$STORE/hull.db" "UPDATE layers_pending SET boot_id = '00000000-0000-0000-0000-000000000000'"
}

@test "durability without a blocking sync: the syncer marks new layers durable; a later boot removes the images over layers it never marked, a new load makes them again" {
	two_images
	hull load -i "$BATS_TEST_TMPDIR/a-img.tar"
	# The command does not wait for the sync: a detached syncer records in $STORE/durable
	# what it covered, and the next command drops those rows.
	for _ in $(seq 1 200); do
		hull images >/dev/null
		[ "$(pending)" -eq 0 ] && break
		sleep 0.05
	done
	[ "$(pending)" -eq 0 ]
	grep -Eq '^[0-9]{20} [0-9a-f]{8}$' "$STORE/durable"
	# A syncer that cannot record (its file is a directory): b's new layer stays pending.
	rm "$STORE/durable"
	mkdir "$STORE/durable"
	hull load -i "$BATS_TEST_TMPDIR/b-img.tar"
	sleep 0.3
	[ "$(pending)" -eq 1 ]
	# In the same boot the page cache has it: nothing is removed.
	[ "$(hull images --format '{{.Repository}}' | sort | tr '\n' ' ')" = "a b " ]
	[ "$(pending)" -eq 1 ]
	other_boot
	run hull images --format '{{.Repository}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"image sha256:"*" removed: its layers were unpacked but not yet on disk"* ]]
	[ "${lines[-1]}" = a ]
	[ "$(pending)" -eq 0 ]
	# No half-present image: b and its own layer are gone, a and the shared layer stay.
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers')" -eq 1 ]
	hull system check
	rmdir "$STORE/durable"
	hull load -i "$BATS_TEST_TMPDIR/b-img.tar"
	[ "$(hull images --format '{{.Repository}}' | sort | tr '\n' ' ')" = "a b " ]
	[ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
	hull system check
}

@test "durability: a container's storage syncs its layers first, and a later boot never removes a layer a container is mounted from" {
	two_images
	mkdir -p "$STORE/durable" # the syncer cannot record: every new layer stays pending
	hull load -i "$BATS_TEST_TMPDIR/a-img.tar"
	[ "$(pending)" -eq 1 ]
	MOUNTS+=("$BATS_TEST_TMPDIR/c1")
	storagetool mount c1 a "$BATS_TEST_TMPDIR/c1"
	[ "$(pending)" -eq 0 ]
	hull load -i "$BATS_TEST_TMPDIR/b-img.tar"
	[ "$(pending)" -eq 1 ]
	# As an older hull could have left it: the container's own layer pending too.
	sqlite3 "$STORE/hull.db" "INSERT INTO layers_pending (chain_id, boot_id, added) SELECT chain_id, 'x', 0 FROM storage_layers"
	[ "$(pending)" -eq 2 ]
	other_boot
	run hull images --format '{{.Repository}}'
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = a ]
	[ "$(pending)" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/c1/a")" = 1 ]
	hull import "$BATS_TEST_TMPDIR/b.tar" other >/dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/c1/a")" = 1 ]
	[ -d "$STORE/layers/$(sqlite3 "$STORE/hull.db" 'SELECT chain_id FROM storage_layers' | cut -c8-)/diff" ]
}

@test "readers take no lock: images, image inspect and system df answer while a deleter holds the store lock and a writer its transaction" {
	mkrootfs_tgz
	id=$(hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox)
	# A deleter's exclusive OFD lock on the store's lock file, and a writer's open SQLite
	# write transaction (uncommitted), both held while the readers run.
	python3 - "$STORE" "$BATS_TEST_TMPDIR/held" <<-'PY' &
		import fcntl, os, sqlite3, struct, sys, time
		fd = os.open(sys.argv[1] + "/lock", os.O_RDWR)
		fcntl.fcntl(fd, 37, struct.pack("hhxxxxqqixxxx", fcntl.F_WRLCK, 0, 0, 0, 0))  # F_OFD_SETLK
		db = sqlite3.connect(sys.argv[1] + "/hull.db", isolation_level=None)
		db.execute("BEGIN IMMEDIATE")
		db.execute("DELETE FROM tags")
		open(sys.argv[2], "w").close()
		time.sleep(20)
	PY
	holder=$!
	for _ in $(seq 100); do [ -e "$BATS_TEST_TMPDIR/held" ] && break; sleep 0.1; done
	[ -e "$BATS_TEST_TMPDIR/held" ]
	# A writer waits for the lock (it would block here); the readers answer at once and
	# see the last committed state (the tag the uncommitted delete removes).
	run timeout 1 "$HULL" --root "$STORE" tag busybox other
	[ "$status" -eq 124 ]
	run timeout 3 "$HULL" --root "$STORE" images -q --no-trunc busybox
	[ "$status" -eq 0 ]
	[ "$output" = "$id" ]
	run timeout 3 "$HULL" --root "$STORE" image inspect -f '{{.Id}}' busybox
	[ "$status" -eq 0 ]
	[ "$output" = "$id" ]
	run timeout 3 "$HULL" --root "$STORE" system df
	[ "$status" -eq 0 ]
	kill "$holder"
	wait "$holder" || true
	hull tag busybox other
	hull system check
}
