#!/usr/bin/env bats
# gzip layers through ISA-L's igzip (libisal, loaded on first use) and through the zlib
# fallback (HULL_GZIP=zlib): the same layer contents and diff ids, multi-member streams read
# whole, truncated and corrupt streams refused.

bats_require_minimum_version 1.5.0
load lib/image

# A tar of a few MB (busybox and text), its gzip, and a multi-member gzip of the same tar
# (pigz and concatenated gzip files look like this).
mkgz() {
	local t="$BATS_TEST_TMPDIR" i
	mkdir -p "$t/d/bin" "$t/d/etc"
	cp /bin/busybox "$t/d/bin/busybox"
	for i in $(seq 1 2000); do echo "line $i of a compressible file"; done >"$t/d/etc/text"
	tar -C "$t/d" -cf "$t/l.tar" .
	gzip -c "$t/l.tar" >"$t/l.tgz"
	split -b 500000 "$t/l.tar" "$t/part."
	for i in "$t"/part.*; do gzip -c "$i"; done >"$t/multi.tgz"
	[ "$(ls "$t"/part.* | wc -l)" -gt 2 ]
	DIFF_ID=sha256:$(sha256sum "$t/l.tar" | cut -d' ' -f1)
}

diff_id() {
	"$HULL" --root "$1" image inspect -f '{{json .RootFS.Layers}}' "$2" | jq -r '.[0]'
}

@test "gzip: igzip when libisal is there, zlib with HULL_GZIP=zlib; same diff ids and files, multi-member streams whole" {
	[ -e /usr/lib/x86_64-linux-gnu/libisal.so.2 ] || skip "libisal2 not installed"
	mkgz
	t="$BATS_TEST_TMPDIR"
	for f in l.tgz multi.tgz; do
		run "$HULL" --root "$t/isal-$f" --debug import "$t/$f" "img:$f"
		[ "$status" -eq 0 ]
		[[ "$output" == *"gzip: igzip (ISA-L)"* ]]
		[ "$(diff_id "$t/isal-$f" "img:$f")" = "$DIFF_ID" ]
		run env HULL_GZIP=zlib "$HULL" --root "$t/zlib-$f" --debug import "$t/$f" "img:$f"
		[ "$status" -eq 0 ]
		[[ "$output" != *"igzip"* ]]
		[ "$(diff_id "$t/zlib-$f" "img:$f")" = "$DIFF_ID" ]
		cmp /bin/busybox "$(find "$t/isal-$f/layers" -path '*/diff/bin/busybox')"
		cmp "$t/d/etc/text" "$(find "$t/isal-$f/layers" -path '*/diff/etc/text')"
	done
	# save decompresses the stored gzip layer through igzip too: the tar comes back as it was.
	"$HULL" --root "$t/isal-l.tgz" save -o "$t/saved.tar" img:l.tgz
	mkdir "$t/saved"
	tar -C "$t/saved" -xf "$t/saved.tar"
	cmp "$t/l.tar" "$t/saved/blobs/sha256/${DIFF_ID#sha256:}"
}

@test "gzip: a truncated stream is an error with both decompressors, a wrong CRC with igzip; the store as before" {
	mkgz
	t="$BATS_TEST_TMPDIR"
	size=$(stat -c %s "$t/l.tgz")
	head -c $((size / 2)) "$t/l.tgz" >"$t/trunc.tgz"
	# The trailer's CRC changed: all data decompresses, the check fails.
	cp "$t/l.tgz" "$t/crc.tgz"
	printf '\x00\x00\x00\x00' | dd of="$t/crc.tgz" bs=1 seek=$((size - 8)) conv=notrunc status=none
	# libarchive's zlib filter does not check a member's CRC (the digests of the blob and of
	# the uncompressed stream are what protect a pulled layer); igzip does.
	for run in isal:trunc isal:crc zlib:trunc; do
		run env HULL_GZIP="${run%%:*}" "$HULL" --root "$STORE" import "$t/${run#*:}.tgz" x
		[ "$status" -eq 1 ]
		[[ "$output" == *"import $t/${run#*:}.tgz: decompress layer: "* ]]
		store_empty
	done
	[[ "$output" == *"truncated gzip input"* ]]
	run "$HULL" --root "$STORE" import "$t/crc.tgz" x
	[[ "$output" == *"gzip: checksum mismatch"* ]]
	hull system check
}
