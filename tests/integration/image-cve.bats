#!/usr/bin/env bats
# The image attacks others suffered, each carried out against hull's store. Files outside
# the store ($HOST, see canary_setup) must stay exactly as they were; a refused image leaves
# nothing in the store.

bats_require_minimum_version 1.5.0
load lib/image

setup_file() {
	export HULL_LAYER_MAX_BYTES=
}

# load_layers NAME ENTRIES... : one layer per argument group separated by "--".
load_layers() {
	local out="$BATS_TEST_TMPDIR/img.tar" n=0 layers=() entries=()
	for e in "$@" --; do
		if [ "$e" = -- ]; then
			n=$((n + 1))
			mklayer "$BATS_TEST_TMPDIR/layer$n.tar" "${entries[@]}"
			layers+=("$BATS_TEST_TMPDIR/layer$n.tar")
			entries=()
		else
			entries+=("$e")
		fi
	done
	mkimage --tag evil:latest "$out" "${layers[@]}"
	run hull load -i "$out"
}

@test "CVE-2021-32760: layer A plants x -> host file, layer B changes x's mode: the host file is untouched" {
	canary_setup
	load_layers "l:x:$HOST/secret" -- "f:x:pwned:0777" "d:y:0777"
	[ "$status" -eq 0 ]
	canary_check
	# Within one layer too: an entry replacing a symlink replaces it, never writes through it.
	load_layers "l:x:$HOST/secret" "f:x:pwned:0666" "l:z:$HOST/dir" "d:z:0777"
	[ "$status" -eq 0 ]
	canary_check
	[ -z "$(find "$STORE/layers" -name x -type l)" ] || [ -n "$(find "$STORE/layers" -name x -type f)" ]
}

@test "a symlinked parent directory: writes, whiteouts, opaque markers and hard links through it are refused" {
	canary_setup
	for attack in "f:d/new:pwned" "f:d/.wh.victim:" "f:d/.wh..wh..opq:" "h:d/newlink:etc" "d:d/sub"; do
		load_layers d:etc "l:d:$HOST/dir" "$attack"
		[ "$status" -eq 1 ]
		[[ "$output" == *"a parent is not a directory (a symlink is never followed)"* ]]
		canary_check
		[ ! -e "$HOST/dir/new" ]
		[ ! -e "$HOST/dir/sub" ]
		[ ! -e "$HOST/dir/newlink" ]
		[ -z "$(getfattr -n trusted.overlay.opaque "$HOST/dir" 2>/dev/null)" ]
		store_empty
	done
}

@test "hard links out of the layer (through a symlink, with .., absolute) are refused" {
	canary_setup
	load_layers "l:d:$HOST/dir" "h:stolen:d/victim"
	[ "$status" -eq 1 ]
	load_layers "h:stolen:../../../../../../..$HOST/secret"
	[ "$status" -eq 1 ]
	[[ "$output" == *"leaves the layer"* ]]
	load_layers "h:stolen:$HOST/secret"
	[ "$status" -eq 1 ]
	[ "$(stat -c %h "$HOST/secret")" -eq 1 ]
	[ "$(stat -c %h "$HOST/dir/victim")" -eq 1 ]
	canary_check
	store_empty
}

@test "entries with .. are refused; absolute entries stay inside the layer" {
	canary_setup
	load_layers "f:../../../../../../..$HOST/escape:x"
	[ "$status" -eq 1 ]
	[[ "$output" == *"leaves the layer"* ]]
	load_layers "f:a/../../b:x"
	[ "$status" -eq 1 ]
	store_empty
	load_layers "f:$HOST/abs:x"
	[ "$status" -eq 0 ]
	[ ! -e "$HOST/abs" ]
	[ "$(cat "$(ls -d "$STORE"/layers/*/diff)$HOST/abs")" = x ]
	canary_check
}

@test "100k opaque whiteouts take bounded time" {
	load_layers d:d "r:d/.wh..wh..opq:100000"
	[ "$status" -eq 0 ]
	start=$(date +%s)
	load_layers d:e "r:e/.wh..wh..opq:100000" "f:e/x:1"
	[ "$status" -eq 0 ]
	[ $(($(date +%s) - start)) -lt 60 ]
	d=$(dirname "$(find "$STORE/layers" -path '*/diff/e/x')")
	[ "$(getfattr --only-values -n trusted.overlay.opaque "$d")" = y ]
}

@test "a gzip bomb stops at the size limit; too many entries stop at the entry limit" {
	truncate -s 1G "$BATS_TEST_TMPDIR/zero"
	tar -C "$BATS_TEST_TMPDIR" -cf - zero | gzip -9 >"$BATS_TEST_TMPDIR/bomb.tar.gz"
	rm "$BATS_TEST_TMPDIR/zero"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.tar.gz")" -lt 2000000 ]
	run env HULL_LAYER_MAX_BYTES=$((64 << 20)) "$HULL" --root "$STORE" import "$BATS_TEST_TMPDIR/bomb.tar.gz"
	[ "$status" -eq 1 ]
	[[ "$output" == *"layer larger than the limit of 67108864 bytes uncompressed"* ]]
	store_empty
	mklayer "$BATS_TEST_TMPDIR/many.tar" "r:f:1000"
	run env HULL_LAYER_MAX_ENTRIES=100 "$HULL" --root "$STORE" import "$BATS_TEST_TMPDIR/many.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"more than 100 entries"* ]]
	store_empty
}

@test "a file larger than the per-file limit is refused before it is created, even as a sparse entry of a tiny stream" {
	truncate -s 1G "$BATS_TEST_TMPDIR/hole"
	tar -C "$BATS_TEST_TMPDIR" --sparse -cf "$BATS_TEST_TMPDIR/sparse.tar" hole
	rm "$BATS_TEST_TMPDIR/hole"
	# The stream is far below the layer's byte limit: only the per-file limit can stop it.
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/sparse.tar")" -lt 100000 ]
	run env HULL_LAYER_MAX_ENTRY_BYTES=$((16 << 20)) "$HULL" --root "$STORE" import "$BATS_TEST_TMPDIR/sparse.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"hole is larger than the limit of 16777216 bytes per file"* ]]
	store_empty
	[ -z "$(find "$STORE" -name hole)" ]
}

@test "CVE-2021-41190: a manifest that is also an index (or contradicts its descriptor) is refused" {
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:a:1
	mkimage --format oci --manifest-extra '{"manifests": []}' "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/i.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"ambiguous"* ]]
	mkimage --format oci --manifest-extra '{"mediaType": "application/vnd.oci.image.index.v1+json"}' "$BATS_TEST_TMPDIR/j.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/j.tar"
	[ "$status" -eq 1 ]
	store_empty
}

@test "CVE-2024-3727: digests like sha256:../x, short or upper-case hex are refused; content must match its digest" {
	canary_setup
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:a:1
	for d in "sha256:../../../../../..$HOST/secret" sha256:1234 "sha256:$(printf 'A%.0s' {1..64})" \
		"sha512:$(printf 'a%.0s' {1..64})"; do
		mkimage --format oci --index-digest "$d" "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
		run hull load -i "$BATS_TEST_TMPDIR/i.tar"
		[ "$status" -eq 1 ]
		[[ "$output" == *"invalid digest"* ]]
	done
	mkimage --format oci --swap-first-layer "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/i.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"has digest"* ]]
	run hull image inspect "sha256:../../x"
	[ "$status" -eq 1 ]
	canary_check
	store_empty
}

@test "load of an archive with ../ in names or ids: nothing outside is read or written" {
	canary_setup
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:a:1
	mkimage --config-name "../../../../../../..$HOST/secret" "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/i.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not in the archive"* ]]
	mkimage --layer-name "../../../../../../..$HOST/secret" "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/i.tar"
	[ "$status" -eq 1 ]
	mkimage --extra-entry "../../../../../../..$HOST/dir/planted=x" --tag ok:1 "$BATS_TEST_TMPDIR/i.tar" "$BATS_TEST_TMPDIR/l.tar"
	run hull load -i "$BATS_TEST_TMPDIR/i.tar"
	[ "$status" -eq 0 ]
	[ ! -e "$HOST/dir/planted" ]
	canary_check
	hull rmi ok:1
	store_empty
}

@test "layer contents by policy: trusted.overlay xattrs dropped, user xattrs kept, no device nodes, setuid kept" {
	load_layers "x:f:user.hull=1,trusted.overlay.opaque=y,trusted.overlay.redirect=/etc" "c:mem:1,1" "f:suid:x:4755" "p:fifo"
	[ "$status" -eq 0 ]
	d=$(ls -d "$STORE"/layers/*/diff)
	[ "$(getfattr --only-values -n user.hull "$d/f")" = 1 ]
	[ -z "$(getfattr -m - -d "$d/f" 2>/dev/null | grep trusted)" ]
	[ ! -e "$d/mem" ]
	[ "$(stat -c %a "$d/suid")" = 4755 ]
	[ -p "$d/fifo" ]
}

@test "CVE-2021-41091: the store is not traversable by other users" {
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:suid:x:4755
	hull import "$BATS_TEST_TMPDIR/l.tar" x
	[ "$(stat -c %a "$STORE")" = 700 ]
	[ "$(stat -c %a "$STORE/layers")" = 700 ]
	[ "$(stat -c %a "$STORE/blobs")" = 700 ]
	run setpriv --reuid=65534 --regid=65534 --clear-groups ls "$STORE/layers"
	[ "$status" -ne 0 ]
}

@test "CVE-2022-23648: config Volumes with /../.. are data to the store; cleaned they stay below the root" {
	canary_setup
	mklayer "$BATS_TEST_TMPDIR/l.tar" f:a:1 "l:vol:$HOST/dir"
	run hull import --change "VOLUME [\"/../../../../../..$HOST/dir\", \"/data/../../../../..$HOST/secret\", \"/vol/x\"]" "$BATS_TEST_TMPDIR/l.tar" evil:latest
	[ "$status" -eq 0 ]
	# Kept verbatim (an image's config is what its digest says), through save and load too.
	hull save -o "$BATS_TEST_TMPDIR/evil.tar" evil
	hull rmi evil >/dev/null
	hull load -i "$BATS_TEST_TMPDIR/evil.tar"
	hull image inspect -f '{{json .Config.Volumes}}' evil | jq -e --arg h "$HOST" 'keys == ["/../../../../../..\($h)/dir", "/data/../../../../..\($h)/secret", "/vol/x"]'
	# A container's storage of it: nothing is made for the volumes, nothing outside changes.
	MOUNTS+=("$BATS_TEST_TMPDIR/m")
	storagetool mount c1 evil "$BATS_TEST_TMPDIR/m"
	[ "$(ls -A "$BATS_TEST_TMPDIR/m" | tr '\n' ' ')" = "a vol " ]
	storagetool umount "$BATS_TEST_TMPDIR/m"
	storagetool remove c1
	canary_check
	# The engine's view (hull_config_volumes, tests/unit/test_changes.c): paths inside the
	# container, never above its root; /vol/x must then be resolved in-root, since vol is a
	# symlink to the host.
	hull rmi evil >/dev/null
	store_empty
}
