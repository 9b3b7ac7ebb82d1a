#!/usr/bin/env bash
# Pull + unpack of a multi-layer image (about 200 MiB uncompressed, made of installed Debian
# files) from a local registry (Debian's docker-registry on a random loopback port, seeded
# with skopeo): hull pull vs podman pull, fresh stores each run, in the same run; gzip and
# zstd layers. Also `hull images` / `hull image inspect` with 500 images stored.
# Prints times and ratios; never passes or fails.
#
#   sudo bench/pull.sh          RUNS=3 by default; HULL=build/hull
#   HULL_B=/path/to/other/hull  also times another build of hull in the same runs (A/B)
#   SETTLE=65   seconds to wait after each store's removal: ext4 without a journal (this
#               machine's root) skips, one lookup at a time, every inode freed in the last
#               60 s when it allocates, so a pull right after a removal pays for it (hull
#               spreads its layers away from them, podman does not); SETTLE=65 times each
#               pull with no removal of the previous one still counted
set -euo pipefail
cd "$(dirname "$0")/.."
HULL=${HULL:-$PWD/build/hull}
RUNS=${RUNS:-3}
T=$(mktemp -d /var/tmp/hull-bench-pull.XXXXXX)
REG_PID=
cleanup() {
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 30000))
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\nhttp:\n  addr: 127.0.0.1:%s\n' \
	"$T" "$port" >"$T/config.yml"
docker-registry serve "$T/config.yml" >"$T/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
REG=127.0.0.1:$port

# Four layers of installed files.
i=0
for dirs in "usr/lib/x86_64-linux-gnu/perl usr/lib/x86_64-linux-gnu/gconv" "usr/share/doc usr/share/i18n" \
	"usr/share/locale" "usr/lib/python3 usr/share/perl"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # one argument per directory
	tar -C / -cf "$T/l$i.tar" $dirs 2>/dev/null || true
done
echo "layers (uncompressed): $(du -cb "$T"/l*.tar | tail -1 | cut -f1 | numfmt --to=iec)"
for c in gzip zstd; do
	for f in "$T"/l?.tar; do
		if [ $c = gzip ]; then gzip -c "$f" >"$f.gz"; else zstd -q -c "$f" >"$f.zst"; fi
	done
	ext=$([ $c = gzip ] && echo gz || echo zst)
	python3 tests/helpers/mkimage.py --format oci "$T/img-$c.tar" "$T"/l?.tar.$ext
	skopeo copy -q --dest-tls-verify=false "oci-archive:$T/img-$c.tar" "docker://$REG/bench/img:$c"
done

ms() { echo "$(($(date +%s%N) / 1000000))"; }
# timed VAR CMD...: adds CMD's time in ms to VAR. hull syncs the file system before it
# records the image (podman does not sync): every pull starts after a sync, and the store it
# made is removed (and that synced) before the next one, so that no pull pays for the
# previous one's dirty pages or deletions.
timed() {
	local var=$1 s
	shift
	sync
	s=$(ms)
	"$@" >/dev/null
	eval "$var=\$((\$$var + \$(ms) - s))"
	rm -rf "$T/hs" "$T/bs"
	podman --root "$T/ps" --runroot "$T/pr" rmi -a -f >/dev/null 2>&1 || true
	rm -rf "$T/ps" "$T/pr"
	sync
	sleep "${SETTLE:-0}"
}
for c in gzip zstd; do
	h=0 p=0 b=0
	for r in $(seq "$RUNS"); do
		# With HULL_B, the two hulls take turns at going first.
		if [ -n "${HULL_B:-}" ] && [ $((r % 2)) = 1 ]; then
			timed b "$HULL_B" --root "$T/bs" pull -q "$REG/bench/img:$c"
		fi
		timed h "$HULL" --root "$T/hs" pull -q "$REG/bench/img:$c"
		if [ -n "${HULL_B:-}" ] && [ $((r % 2)) = 0 ]; then
			timed b "$HULL_B" --root "$T/bs" pull -q "$REG/bench/img:$c"
		fi
		timed p podman --root "$T/ps" --runroot "$T/pr" pull -q --tls-verify=false "$REG/bench/img:$c"
	done
	echo "pull $c: hull $((h / RUNS)) ms, podman $((p / RUNS)) ms, ratio $(echo "scale=2; $h / $p" | bc)"
	if [ -n "${HULL_B:-}" ]; then
		echo "pull $c: HULL_B $((b / RUNS)) ms, ratio to podman $(echo "scale=2; $b / $p" | bc)"
	fi
done

[ -n "${SKIP_MANY:-}" ] && exit 0
# 500 images: images and image inspect.
rm -rf "$T/many"
for n in $(seq 500); do
	python3 tests/helpers/mklayer.py "$T/m.tar" "f:file:$n"
	"$HULL" --root "$T/many" import "$T/m.tar" "many/img$n:v1" >/dev/null
done
s=$(ms)
for _ in $(seq 20); do "$HULL" --root "$T/many" images >/dev/null; done
echo "images (500 images): $((($(ms) - s) / 20)) ms"
s=$(ms)
for _ in $(seq 20); do "$HULL" --root "$T/many" image inspect many/img250:v1 >/dev/null; done
echo "image inspect (500 images): $((($(ms) - s) / 20)) ms"
