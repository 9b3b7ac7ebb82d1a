#!/usr/bin/env bash
# Storage: what preparing a container's root filesystem costs, and the image listing with
# many images stored. Prints numbers (and writes bench/results/storage-DATE.json); never
# passes or fails.
#
#   sudo bench/storage.sh        ROUNDS=200 IMAGES=500 RUNS=50 by default
#
# - overlay setup of a 20-layer image (tests/helpers/storagetool bench-mount, in-process,
#   ROUNDS rounds): the whole prepare of a new container (record the storage, make the
#   upper and work directories, the short layer names, mount), the mount of an existing
#   container's storage (a restart), and mount(2) alone with the same options (the floor);
# - `hull images` and `hull image inspect` with IMAGES images stored (hyperfine, RUNS runs),
#   and for scale, the same with one image.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_need_root
bench_need_cmd hyperfine
bench_need_cmd jq
HULL=${HULL:-$PWD/build/hull}
STORAGETOOL=${STORAGETOOL:-$(dirname "$HULL")/storagetool}
ROUNDS=${ROUNDS:-200}
IMAGES=${IMAGES:-500}
RUNS=${RUNS:-50}
LAYERS=${LAYERS:-20}
[ -x "$HULL" ] && [ -x "$STORAGETOOL" ] || bench_die "build first (make build): $HULL, $STORAGETOOL"
# On the disk the default store lives on (/var/lib/hull), not a tmpfs.
T=$(mktemp -d /var/tmp/hull-bench-storage.XXXXXX)
cleanup() {
	umount -l "$T/mnt" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
# Copies: a rebuild during the run must not change (or break) what is measured.
mkdir -p "$T/bin"
cp "$HULL" "$STORAGETOOL" "$T/bin/"
HULL=$T/bin/$(basename "$HULL")
STORAGETOOL=$T/bin/$(basename "$STORAGETOOL")

# A 20-layer image: each layer a few files in a directory of its own and one shared file.
layers=()
for i in $(seq "$LAYERS"); do
	python3 tests/helpers/mklayer.py "$T/l$i.tar" "d:layer$i" "f:layer$i/a:$i" "f:layer$i/b:$i" "f:etc/shared:$i"
	layers+=("$T/l$i.tar")
done
python3 tests/helpers/mkimage.py --tag bench/layers:20 "$T/img.tar" "${layers[@]}"
"$HULL" --root "$T/store" load -i "$T/img.tar" >/dev/null
mkdir -p "$T/mnt"
bench_log "overlay: $ROUNDS rounds of a $LAYERS-layer image"
overlay=$("$STORAGETOOL" "$T/store" bench-mount bench/layers:20 "$T/mnt" "$ROUNDS")
echo "$overlay"
median() { echo "$overlay" | awk -v k="$1" 'index($0, k) == 1 { for (i = 1; i <= NF; i++) if ($i == "median") print $(i + 1) }'; }
prep=$(median prepare)
again=$(median "mount of existing")
raw=$(median "mount(2)")

bench_log "images: importing $IMAGES images"
python3 tests/helpers/mklayer.py "$T/one.tar" "f:file:1"
for n in $(seq "$IMAGES"); do
	python3 tests/helpers/mklayer.py "$T/m.tar" "f:file:$n"
	"$HULL" --root "$T/many" import "$T/m.tar" "many/img$n:v1" >/dev/null
done
"$HULL" --root "$T/few" import "$T/one.tar" "many/img1:v1" >/dev/null
hyperfine -N -w 5 -r "$RUNS" --export-json "$T/h.json" \
	-n "images ($IMAGES)" "$HULL --root $T/many images" \
	-n "image inspect ($IMAGES)" "$HULL --root $T/many image inspect many/img$((IMAGES / 2)):v1" \
	-n "images (1)" "$HULL --root $T/few images" \
	-n "image inspect (1)" "$HULL --root $T/few image inspect many/img1:v1" >/dev/null
ms() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000 | . * 100 | round / 100' "$T/h.json"; }
printf '\n%-40s %10s\n' "storage" "median"
printf '%-40s %8s us\n' "overlay prepare ($LAYERS layers, new)" "$prep" "overlay mount ($LAYERS layers, existing)" "$again" \
	"mount(2) alone ($LAYERS layers)" "$raw"
for n in "images ($IMAGES)" "image inspect ($IMAGES)" "images (1)" "image inspect (1)"; do
	printf '%-40s %8s ms\n' "$n" "$(ms "$n")"
done
mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/storage-$(date -u +%Y%m%dT%H%M%SZ).json
jq -n --arg prep "$prep" --arg again "$again" --arg raw "$raw" --argjson layers "$LAYERS" --argjson rounds "$ROUNDS" \
	--argjson images "$IMAGES" --slurpfile h "$T/h.json" --arg kernel "$(uname -r)" \
	'{host: {kernel: $kernel}, overlay: {layers: $layers, rounds: $rounds, prepare_us: ($prep | tonumber),
	  mount_existing_us: ($again | tonumber), mount_syscall_us: ($raw | tonumber)}, images: $images, hyperfine: $h[0]}' >"$out"
bench_log "results: $out"
