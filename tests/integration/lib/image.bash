# shellcheck shell=bash
#
# Shared setup for the image store tests (tests/integration/image-*.bats), run against
# build/hull (HULL= to change). Every test gets a store of its own in $STORE and
#   hull ARGS        runs $HULL --root $STORE
#   mklayer OUT ...  tests/helpers/mklayer.py (hostile layers included)
#   mkimage ...      tests/helpers/mkimage.py (docker-archive or OCI layout)
#   storagetool ...  tests/helpers/storagetool.c on $STORE (overlay mounts, diff, commit, export)
#   busybox_image    loads busybox:latest (scripts/busybox-image.sh, cached in build/) into $STORE
#   canary_setup / canary_check   files outside the store that no attack may change
# teardown kills what a test started in the background ($BG_PIDS), unmounts what it mounted
# ($MOUNTS) and fails if anything is still mounted below the test's directory.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${HULL:=$REPO_ROOT/build/hull}"
: "${STORAGETOOL:=$(dirname "$HULL")/storagetool}"

setup() {
	STORE="$BATS_TEST_TMPDIR/store"
	MOUNTS=()
	BG_PIDS=()
	[ -x "$HULL" ] || {
		echo "no hull binary at $HULL (make build)" >&2
		return 1
	}
}

teardown() {
	local m p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for m in "${MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null || true
	done
	if grep -q " $BATS_TEST_TMPDIR" /proc/self/mountinfo; then
		echo "mounts left below $BATS_TEST_TMPDIR" >&2
		return 1
	fi
}

hull() {
	"$HULL" --root "$STORE" "$@"
}

# The storage library (overlay mounts, diff, commit, export) on the test's store.
storagetool() {
	"$STORAGETOOL" "$STORE" "$@"
}

# The offline busybox:latest, built once into build/busybox-image.tar and loaded into $STORE.
busybox_image() {
	"$REPO_ROOT/scripts/busybox-image.sh" -o "$REPO_ROOT/build/busybox-image.tar" --hull "$HULL" --root "$STORE"
}

mklayer() {
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$@"
}

mkimage() {
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" "$@"
}

# A small root filesystem tarball with busybox, gzip-compressed: $BATS_TEST_TMPDIR/rootfs.tgz
mkrootfs_tgz() {
	local d="$BATS_TEST_TMPDIR/rootfs"
	mkdir -p "$d/bin" "$d/etc"
	cp /bin/busybox "$d/bin/busybox"
	ln -sf busybox "$d/bin/sh"
	echo hello >"$d/etc/hello"
	tar -C "$d" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
}

# Files outside the store that layers try to reach: $HOST/secret (0600), $HOST/dir/victim.
canary_setup() {
	HOST="$BATS_TEST_TMPDIR/host"
	mkdir -p "$HOST/dir"
	echo secret >"$HOST/secret"
	chmod 0600 "$HOST/secret"
	echo victim >"$HOST/dir/victim"
	CANARY_SUM=$(cd "$HOST" && find . -printf '%p %m %s %l\n' | sort | sha256sum)
}

canary_check() {
	local now
	now=$(cd "$HOST" && find . -printf '%p %m %s %l\n' | sort | sha256sum)
	[ "$now" = "$CANARY_SUM" ] || {
		echo "files outside the store changed:" >&2
		(cd "$HOST" && find . -printf '%p %m %s %l\n') >&2
		return 1
	}
	[ "$(cat "$HOST/secret")" = secret ] && [ "$(cat "$HOST/dir/victim")" = victim ]
}

# After a kill -9: system check names nothing but the killed command's leftovers
# (incomplete layers, layers no image uses yet), which the next writer collects.
only_crash_leftovers() {
	local out
	out=$(hull system check 2>&1) || true
	[ -z "$(grep -v -e ': incomplete (left by' -e ': used by no image$' -e 'problems\? found' <<<"$out")" ] || {
		echo "system check after the kill: $out" >&2
		return 1
	}
}

# The store holds no image, layer or blob (after rmi of everything, or a refused load).
store_empty() {
	[ -z "$(hull images -q)" ] &&
		[ -z "$(ls -A "$STORE/layers")" ] &&
		[ -z "$(ls -A "$STORE/blobs/sha256")" ] || {
		echo "left in the store:" >&2
		ls -lA "$STORE/layers" "$STORE/blobs/sha256" >&2
		sqlite3 "$STORE/hull.db" 'SELECT * FROM layers' >&2
		return 1
	}
}
