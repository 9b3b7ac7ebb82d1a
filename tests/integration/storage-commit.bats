#!/usr/bin/env bats
# The engine's commit, diff and export (src/image/commit.c, src/storage/changes.c,
# src/storage/tree.c) on a mounted container root filesystem, through tests/helpers/storagetool.

bats_require_minimum_version 1.5.0
load lib/image

# "base": layer 1 has /etc/{a,b}, /keep, /gone, /dir/f and /opq/x/old; layer 2 whites out
# /gone and makes /opq opaque with /opq/new. Container c1 is mounted on $M.
setup_container() {
	local d=$BATS_TEST_TMPDIR
	mklayer "$d/l1.tar" d:etc f:etc/a:one f:etc/b:bee d:opq d:opq/x f:opq/x/old:old f:keep:k f:gone:g d:dir f:dir/f:f \
		f:bin/tool:t:0755 d:srv f:srv/x:x
	mklayer "$d/l2.tar" f:.wh.gone: d:opq f:opq/.wh..wh..opq: f:opq/new:new
	mkimage --tag base:latest "$d/base.tar" "$d/l1.tar" "$d/l2.tar"
	hull load -i "$d/base.tar"
	M=$d/c1
	MOUNTS+=("$M")
	storagetool mount c1 base "$M"
}

# The container's changes: one of each kind.
change_things() {
	echo changed >"$M/etc/a"
	echo added >"$M/added"
	ln "$M/added" "$M/hardlink"
	ln -s /etc/shadow "$M/link"
	setfattr -n user.note -v hello "$M/added"
	setfattr -n user.big -v "$(printf 'v%.0s' {1..3000})" "$M/etc/a"
	rm "$M/keep"
	rm -r "$M/dir"
	rm -r "$M/opq"
	mkdir "$M/opq"
	echo fresh >"$M/opq/fresh"
	mkdir -p "$M/new/deeper"
	echo deep >"$M/new/deeper/file"
	chmod 4755 "$M/bin/tool"
}

# A tree's listing: path, type, mode, size, link target, content hash of files.
listing() {
	(cd "$1" && find . -mindepth 1 ! -name . -printf '%p %y %m %s %l\n' | sort) &&
		(cd "$1" && find . -type f -exec sha256sum {} + | sort -k2)
}

@test "diff: Docker's A/C/D list for added, changed and deleted files, whiteouts and an opaque directory" {
	setup_container
	change_things
	run storagetool diff c1
	[ "$status" -eq 0 ]
	# /etc/a changed (its directory's metadata did not: not listed, as Docker); /bin/tool
	# changed mode; /opq was replaced (opaque over a directory below: D, then its new file A).
	expected="A /added
C /bin/tool
C /etc/a
A /hardlink
D /keep
A /link
D /dir
A /new
A /new/deeper
A /new/deeper/file
D /opq
A /opq/fresh"
	# Docker's order is the upper directory's walk, sorted by name.
	[ "$output" = "$(echo "$expected" | sort -k2)" ] || {
		echo "$output" >&2
		false
	}
	# The parent of an added or deleted entry is listed as changed (once, before it) when its
	# own metadata did not change; /srv keeps the mtime of its layer here.
	echo changed >"$M/srv/x"
	mkdir "$M/srv/sub"
	touch -d @1700000000 "$M/srv"
	run storagetool diff c1
	[[ "$output" == *$'\nC /srv\nA /srv/sub\nC /srv/x'* ]] || {
		echo "$output" >&2
		false
	}
}

@test "commit: the upper directory becomes a layer with OCI whiteouts; the new image mounts as the container was" {
	setup_container
	change_things
	run storagetool commit c1 base -a "Jane <j@x>" -m "my change" -b "/bin/sh -c make" committed:v1
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	parent=$(hull image inspect -f '{{.Id}}' base)
	hull image inspect committed:v1 | jq -e --arg p "$parent" '.[0].Parent == $p and .[0].Author == "Jane <j@x>" and .[0].Comment == "my change" and (.[0].RootFS.Layers | length) == 3'
	# The layer blob: OCI whiteouts, the opaque marker after its directory, a hard link, the
	# xattr as a pax record, no overlay xattrs.
	layer=$(sqlite3 "$STORE/hull.db" "SELECT blob FROM image_layers WHERE image_id = '$id' AND idx = 2")
	blob=$STORE/blobs/sha256/${layer#sha256:}
	run tar -tf "$blob"
	[[ "$output" == *".wh.keep"* && "$output" == *".wh.dir"* ]]
	[[ "$output" == *$'opq/\nopq/.wh..wh..opq\nopq/fresh'* ]]
	python3 - "$blob" <<-'PY'
		import sys, tarfile
		t = {m.name: m for m in tarfile.open(sys.argv[1])}
		assert t["hardlink"].islnk() and t["hardlink"].linkname == "added", t["hardlink"].linkname
		assert t["added"].pax_headers.get("SCHILY.xattr.user.note") == "hello", t["added"].pax_headers
		assert t["etc/a"].pax_headers.get("SCHILY.xattr.user.big") == "v" * 3000, "a 3000-byte xattr"
		assert t["link"].issym() and t["link"].linkname == "/etc/shadow"
		assert t["bin/tool"].mode == 0o4755, oct(t["bin/tool"].mode)
		assert not any("trusted" in k for m in t.values() for k in m.pax_headers), "overlay xattrs leaked"
	PY
	# The history: the parent's entries and one more, Docker's fields.
	hull image inspect committed:v1 >/dev/null
	cfg=$STORE/blobs/sha256/${id#sha256:}
	jq -e '.history[-1] | .created_by == "/bin/sh -c make" and .author == "Jane <j@x>" and .comment == "my change" and (has("empty_layer") | not)' "$cfg"
	jq -e '.container == "c1" and .comment == "my change" and (.rootfs.diff_ids | length) == 3' "$cfg"
	# A container of the new image sees what c1 saw.
	MOUNTS+=("$BATS_TEST_TMPDIR/c2")
	storagetool mount c2 committed:v1 "$BATS_TEST_TMPDIR/c2"
	[ "$(listing "$BATS_TEST_TMPDIR/c2")" = "$(listing "$M")" ]
	[ "$(getfattr --only-values -n user.note "$BATS_TEST_TMPDIR/c2/added")" = hello ]
	[ "$(getfattr --only-values -n user.big "$BATS_TEST_TMPDIR/c2/etc/a" | wc -c)" = 3000 ]
	[ "$(stat -c %i "$BATS_TEST_TMPDIR/c2/added")" = "$(stat -c %i "$BATS_TEST_TMPDIR/c2/hardlink")" ]
	# The parent cannot go while its child exists (by its last tag, it only loses the tag).
	run hull rmi "$parent"
	[ "$status" -eq 1 ]
	[[ "$output" == *"image has dependent child images"* ]]
	run hull rmi base
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: base:latest" ]
	run hull system check
	[ "$output" = "No problems found" ]
}

@test "commit: --change applies Docker's instructions; no change to the files adds no layer" {
	setup_container
	run storagetool commit c1 base -c 'CMD ["/bin/app", "-x"]' -c 'ENTRYPOINT /bin/entry' -c 'ENV A=1 B="two words"' \
		-c 'ENV A 3' -c 'EXPOSE 80 53/udp' -c 'LABEL k=v "l 2"=w' -c 'USER 1000:1000' -c 'WORKDIR /srv' \
		-c 'VOLUME ["/data", "/logs"]' -c 'VOLUME /more' -c 'STOPSIGNAL SIGINT' -c 'ONBUILD RUN make' -b "" empty
	[ "$status" -eq 0 ]
	cfg=$STORE/blobs/sha256/${output#sha256:}
	jq -e '.config == {"Cmd": ["/bin/app", "-x"], "Entrypoint": ["/bin/sh", "-c", "/bin/entry"], "Env": ["PATH=/bin", "A=3", "B=two words"], "ExposedPorts": {"80/tcp": {}, "53/udp": {}}, "Labels": {"k": "v", "l 2": "w"}, "User": "1000:1000", "WorkingDir": "/srv", "Volumes": {"/data": {}, "/logs": {}, "/more": {}}, "StopSignal": "SIGINT", "OnBuild": ["RUN make"]}' "$cfg" || {
		jq .config "$cfg" >&2
		false
	}
	jq -e '(.rootfs.diff_ids | length) == 2 and .history[-1].empty_layer == true' "$cfg"
	[ "$(hull image inspect empty | jq '.[0].RootFS.Layers | length')" = 2 ]
	run storagetool commit c1 base -c 'HEALTHCHECK NONE'
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid change "HEALTHCHECK NONE": HEALTHCHECK is not supported'* ]]
	run storagetool commit c1 base -c 'ENV'
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid change "ENV"'* ]]
}

@test "export: the merged root filesystem as one tar, without whiteouts, through no symlink, not into other mounts" {
	setup_container
	change_things
	mkfifo "$M/fifo"
	mkdir "$M/mnt"
	MOUNTS+=("$M/mnt")
	mount -t tmpfs tmpfs "$M/mnt"
	echo hidden >"$M/mnt/on-tmpfs"
	storagetool export "$M" >"$BATS_TEST_TMPDIR/export.tar"
	run tar -tf "$BATS_TEST_TMPDIR/export.tar"
	[[ "$output" != *".wh."* ]]
	[[ "$output" != *"on-tmpfs"* ]]
	[[ "$output" == *"mnt/"* ]]
	[[ "$output" == *"fifo"* ]]
	umount "$M/mnt"
	rmdir "$M/mnt"
	rm "$M/fifo"
	mkdir "$BATS_TEST_TMPDIR/x"
	tar --xattrs --xattrs-include='user.*' -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/export.tar"
	rmdir "$BATS_TEST_TMPDIR/x/mnt"
	rm "$BATS_TEST_TMPDIR/x/fifo"
	[ "$(listing "$BATS_TEST_TMPDIR/x")" = "$(listing "$M")" ]
	[ "$(getfattr --only-values -n user.note "$BATS_TEST_TMPDIR/x/added")" = hello ]
	# The symlink to /etc/shadow is a symlink in the archive, never the host's file.
	[ "$(tar -tvf "$BATS_TEST_TMPDIR/export.tar" link)" = "$(tar -tvf "$BATS_TEST_TMPDIR/export.tar" link | grep '^l.*link -> /etc/shadow$')" ]
	! tar -xOf "$BATS_TEST_TMPDIR/export.tar" link 2>/dev/null | grep -q root:
}

@test "commit and export of a hostile tree: long names, deep directories, a symlinked parent, a fifo (no hang)" {
	setup_container
	long=$(printf 'n%.0s' {1..200})
	deep=$(printf 'd/%.0s' {1..60})
	mkdir -p "$M/$deep"
	echo deep >"$M/${deep}file"
	echo long >"$M/$long"
	ln -s "$long" "$M/longlink-$(printf 'x%.0s' {1..120})"
	ln -s / "$M/hostroot"
	mkfifo "$M/pipe"
	id=$(timeout 60 "$STORAGETOOL" "$STORE" commit c1 base hostile)
	layer=$(sqlite3 "$STORE/hull.db" "SELECT blob FROM image_layers WHERE image_id = '$id' AND idx = 2")
	run tar -tf "$STORE/blobs/sha256/${layer#sha256:}"
	[[ "$output" == *"$long"* ]]
	[[ "$output" == *"${deep}file"* ]]
	[[ "$output" != *"hostroot/"* ]]
	MOUNTS+=("$BATS_TEST_TMPDIR/c3")
	storagetool mount c3 hostile "$BATS_TEST_TMPDIR/c3"
	[ "$(cat "$BATS_TEST_TMPDIR/c3/$long")" = long ]
	[ "$(cat "$BATS_TEST_TMPDIR/c3/${deep}file")" = deep ]
	[ "$(readlink "$BATS_TEST_TMPDIR/c3/longlink-$(printf 'x%.0s' {1..120})")" = "$long" ]
	[ -p "$BATS_TEST_TMPDIR/c3/pipe" ]
	timeout 60 "$STORAGETOOL" "$STORE" export "$M" | tar -t >"$BATS_TEST_TMPDIR/list"
	[ "$(grep -c '^hostroot' "$BATS_TEST_TMPDIR/list")" = 1 ]
}

@test "kill -9 at random points of commit (6 trials): the image is there complete or not at all, the next writer collects" {
	setup_container
	python3 - "$BATS_TEST_TMPDIR/many.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    for d in range(40):
		        for f in range(100):
		            i = tarfile.TarInfo("many/d%d/f%d" % (d, f)); i.size = 10
		            tf.addfile(i, io.BytesIO(b"0123456789"))
	PY
	tar -C "$M" -xf "$BATS_TEST_TMPDIR/many.tar"
	for trial in $(seq 1 6); do
		"$STORAGETOOL" "$STORE" commit c1 base "trial:$trial" >/dev/null 2>&1 &
		pid=$!
		sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		if [ -n "$(hull images -q --filter reference=trial)" ]; then
			[ "$(hull image inspect -f '{{len .RootFS.Layers}}' "trial:$trial" 2>/dev/null || hull image inspect "trial:$trial" | jq '.[0].RootFS.Layers | length')" = 3 ]
			hull rmi "trial:$trial" >/dev/null
		fi
		# The next writer that finds the store idle collects what the killed one left.
		hull tag base "again:$trial"
		run hull system check --quick
		[ "$output" = "No problems found" ] || {
			echo "trial $trial: $output" >&2
			false
		}
		[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM layers")" = 2 ]
		[ "$(ls "$STORE/layers" | wc -l)" = 2 ]
	done
	# The container's storage survived every trial.
	[ "$(cat "$M/many/d39/f99")" = 0123456789 ]
}
