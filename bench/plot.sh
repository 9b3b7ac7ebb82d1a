#!/bin/bash
# Plots the lifecycle time distribution of hull-runtime, crun and runc (and
# the floor) from a bench/lifecycle.sh result: the sorted latencies of every
# run as a cumulative distribution (left) and a histogram (right), in one
# PNG.
#
# Usage: bench/plot.sh [LIFECYCLE-JSON]   (default: the latest
# $BENCH_RESULTS_DIR/lifecycle-*.json)
# Environment: PLOT_OUTPUT (default $BENCH_RESULTS_DIR/lifecycle.png),
# BENCH_RESULTS_DIR (default bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_cmd jq
bench_need_cmd gnuplot gnuplot-nox

in=${1:-}
if [ -z "$in" ]; then
	# The names sort by date (lifecycle-YYYYMMDDTHHMMSSZ.json).
	in=$(find "$BENCH_RESULTS_DIR" -maxdepth 1 -name 'lifecycle-*.json' | sort | tail -1)
	[ -n "$in" ] || bench_die "no $BENCH_RESULTS_DIR/lifecycle-*.json: run bench/lifecycle.sh first"
fi
[ -f "$in" ] || bench_die "$in does not exist"
out=${PLOT_OUTPUT:-$BENCH_RESULTS_DIR/lifecycle.png}
jq -e '.hyperfine.results[0].times | length > 0' "$in" >/dev/null ||
	bench_die "$in has no per-run times (.hyperfine.results[].times)"

work=$(mktemp -d /tmp/hull-bench-plot.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# One data file per subject: latency in ms (sorted) and the fraction of runs
# at most that long.
subjects=()
while IFS=$'\t' read -r name median; do
	subjects+=("$name")
	jq -r --arg s "$name" '.hyperfine.results[] | select(.command == $s) | .times
		| map(. * 1000) | sort | length as $n | to_entries[]
		| "\(.value) \((.key + 1) / $n)"' "$in" >"$work/$name.dat"
	printf '%s\n' "$median" >"$work/$name.median"
done < <(jq -r '.hyperfine.results[] | [.command, (.median * 1000)] | @tsv' "$in")

# Histogram bins: 1/60 of the range up to the 99th percentile of all runs.
read -r xmax bin < <(jq -r '[.hyperfine.results[].times[] * 1000] | sort as $t
	| ($t[(($t | length) * 0.99 | floor)] * 1.1) as $x | "\($x) \($x / 60)"' "$in")
# Older results have .runs; since the rounds were introduced, .rounds x .runs_per_round.
title=$(jq -r '(if .runs then "\(.runs) runs each" else "\(.rounds) rounds of \(.runs_per_round) runs each" end) as $r
	| "run of /bin/true, \($r) - \(.host.cpus) CPU \(.host.cpu), kernel \(.host.kernel)"' "$in")
floor_note="floor (dashed): unshare of the same namespaces + chroot + /bin/true, no runtime: the kernel's share of any run"
date=$(basename "$in" .json)
date=${date#lifecycle-}

color() {
	case $1 in
	hull) echo '#d62728' ;;
	crun) echo '#1f77b4' ;;
	runc) echo '#2ca02c' ;;
	floor) echo '#7f7f7f' ;;
	*) echo '#9467bd' ;;
	esac
}
cdf=() hist=()
for s in "${subjects[@]}"; do
	dash=1
	[ "$s" != floor ] || dash=2
	label=$(printf '%s (median %.2f ms)' "$s" "$(cat "$work/$s.median")")
	cdf+=("'$work/$s.dat' using 1:2 with steps lw 2 dt $dash lc rgb '$(color "$s")' title '$label'")
	hist+=("'$work/$s.dat' using (bin(\$1)):(1.0/$(wc -l <"$work/$s.dat")) smooth frequency with histeps lw 2 dt $dash lc rgb '$(color "$s")' title '$s'")
done
join() { local IFS=,; echo "$*"; }

if gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
	term="pngcairo size 1400,600 font 'sans,10'"
else
	term="png size 1400,600"
fi
mkdir -p "$(dirname "$out")"
gnuplot <<EOF
set terminal $term
set output '$out'
set multiplot layout 1,2 title "hull-runtime vs crun vs runc: container lifecycle ($date)\n$title\n$floor_note" font ',11'
set grid
set key right bottom
set xlabel 'time per container (ms)'
set ylabel 'fraction of runs at most this long'
set xrange [0:$xmax]
set yrange [0:1.02]
set title sprintf('cumulative distribution (runs above %.1f ms not shown)', $xmax)
plot $(join "${cdf[@]}")
set key right top
set ylabel 'fraction of runs'
set yrange [0:*]
set title sprintf('histogram (%.2f ms bins; runs above %.1f ms not shown)', $bin, $xmax)
bin(x) = $bin * floor(x / $bin) + $bin / 2
plot $(join "${hist[@]}")
unset multiplot
EOF
echo "plot: $out (from $in)"
