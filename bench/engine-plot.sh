#!/bin/bash
# Plots `run --rm` latency against the number of containers already running, for hull and
# podman, from a bench/engine.sh result: a PNG (gnuplot) and the same plot as ASCII on stdout.
#
# Usage: bench/engine-plot.sh [ENGINE-JSON]   (default: the latest $BENCH_RESULTS_DIR/engine-*.json)
# Environment: PLOT_OUTPUT (default $BENCH_RESULTS_DIR/engine-latency.png).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_cmd jq
bench_need_cmd gnuplot gnuplot-nox

in=${1:-}
if [ -z "$in" ]; then
	in=$(find "$BENCH_RESULTS_DIR" -maxdepth 1 -name 'engine-*.json' | sort | tail -1)
	[ -n "$in" ] || bench_die "no $BENCH_RESULTS_DIR/engine-*.json: run bench/engine.sh first"
fi
out=${PLOT_OUTPUT:-$BENCH_RESULTS_DIR/engine-latency.png}
work=$(mktemp -d /tmp/hull-bench-plot.XXXXXX)
trap 'rm -rf "$work"' EXIT

for e in hull podman; do
	jq -r --arg e "$e" '.latency_vs_running[$e][] | "\(.running) \(.ms)"' "$in" >"$work/$e.dat"
done
plots="'$work/hull.dat' using 1:2 with linespoints title 'hull run --rm'"
[ -s "$work/podman.dat" ] &&
	plots+=", '$work/podman.dat' using 1:2 with linespoints title 'podman --runtime runc run --rm'"
common="set xlabel 'containers already running'; set ylabel 'run --rm busybox true (ms, median)';
	set yrange [0:*]; set key top left; set grid"
gnuplot -e "set terminal pngcairo size 900,500 noenhanced; set output '$out'; $common;
	set title 'run latency vs running containers ($(basename "$in"))'; plot $plots" 2>/dev/null ||
	gnuplot -e "set terminal png size 900,500; set output '$out'; $common; plot $plots"
gnuplot -e "set terminal dumb size 100,30; $common; plot $plots"
bench_log "plot: $out"
