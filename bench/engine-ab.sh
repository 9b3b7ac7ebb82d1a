#!/bin/bash
# Builds of hull against each other on `hull run --rm ARGS` (default `--network none
# busybox true`), interleaved: build 1, 2, 3, 1, 2, 3, ... N times, so that every build sees
# the same load. On this shared 2-CPU machine the load moves the wall time of a run by more
# than a change is worth, and hyperfine runs one command's runs after the other's; a run of
# each build in turn, many times, compares them under the same conditions.
#
#   BUILDS="base=/path/to/build new=/work/wt/h1/build" bench/engine-ab.sh
#
# Each DIR holds hull and hull-monitor (e.g. a `meson setup` of `git archive COMMIT`). The
# names must differ in their first letter (a store each, under a short path: RUNROOT/
# containers/<64 hex>/attach.sock must fit in a socket address). Prints the 25th
# percentile, median and mean of each, and writes bench/results/engine-ab-<date>.json.
#
# Environment: BUILDS (required), N (300), ARGS, BENCH_RESULTS_DIR (bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

N=${N:-300}
ARGS=${ARGS:---network none busybox true}
[ -n "${BUILDS:-}" ] || bench_die "BUILDS=\"name=dir ...\" is required"
bench_need_root
bench_own_netns "$@"
bench_need_cmd jq
bench_need_cmd bc
archive=$REPO_DIR/build/busybox-image.tar
"$REPO_DIR/scripts/busybox-image.sh" -o "$archive" >/dev/null || bench_die "cannot build $archive"

work=$(mktemp -d /tmp/hab.XXX)
cleanup() {
	set +e
	awk -v d="$work/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

names=()
dirs=()
for b in $BUILDS; do
	n=${b%%=*} d=${b#*=}
	if [ ! -x "$d/hull" ] || [ ! -x "$d/hull-monitor" ]; then bench_die "$d: no hull and hull-monitor"; fi
	for o in "${names[@]}"; do [ "${o:0:1}" != "${n:0:1}" ] || bench_die "$o and $n: first letters must differ"; done
	names+=("$n")
	dirs+=("$d")
	s=$work/${n:0:1}
	"$d/hull" --root "$s/s" --runroot "$s/r" load -i "$archive" >/dev/null
	# shellcheck disable=SC2086 # ARGS is words
	for _ in 1 2 3; do "$d/hull" --root "$s/s" --runroot "$s/r" run --rm $ARGS || bench_die "$n: run failed"; done
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "load at start: $load_before"
for _ in $(seq "$N"); do
	for k in "${!names[@]}"; do
		n=${names[$k]} s=$work/${names[$k]:0:1}
		t0=$EPOCHREALTIME
		# shellcheck disable=SC2086 # ARGS is words
		"${dirs[$k]}/hull" --root "$s/s" --runroot "$s/r" run --rm $ARGS || bench_die "$n: run failed"
		t1=$EPOCHREALTIME
		echo "$n $(echo "($t1 - $t0) * 1000" | bc -l)" >>"$work/times"
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "load at end: $load_after"
mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/engine-ab-$(bench_date).json
jq -R -s --arg args "$ARGS" --arg builds "$BUILDS" --arg lb "$load_before" --arg la "$load_after" \
	--argjson host "$(bench_host_json)" '
	split("\n") | map(select(length > 0) | split(" ") | {build: .[0], ms: (.[1] | tonumber)})
	| group_by(.build) | map((map(.ms) | sort) as $t | {build: .[0].build, runs: ($t | length),
		p25_ms: $t[($t | length) / 4 | floor], median_ms: $t[($t | length) / 2 | floor],
		mean_ms: (($t | add) / ($t | length)), times_ms: map(.ms)})
	| {benchmark: "engine-ab", command: ("hull run --rm " + $args), builds: $builds,
	   load_start: $lb, load_end: $la, host: $host, results: .}' "$work/times" >"$out"
jq -r '.results[] | "\(.build): p25 \(.p25_ms * 10 | floor / 10) ms, median \(.median_ms * 10 | floor / 10) ms, mean \(.mean_ms * 10 | floor / 10) ms (\(.runs) runs)"' "$out"
bench_log "results: $out"
