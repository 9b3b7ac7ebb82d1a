#!/bin/bash
# Plots `run --rm` latency against the number of containers already running, for hull and
# podman (both --network none) and hull on its default bridge, from a bench/engine.sh result: a PNG (gnuplot) and the same plot as ASCII on stdout.
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
	in=$(find "$BENCH_RESULTS_DIR" -maxdepth 1 -name 'engine-2*.json' | sort | tail -1)
	[ -n "$in" ] || bench_die "no $BENCH_RESULTS_DIR/engine-*.json: run bench/engine.sh first"
fi
out=${PLOT_OUTPUT:-$BENCH_RESULTS_DIR/engine-latency.png}
work=$(mktemp -d /tmp/hull-bench-plot.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The series, in the legend's order: KEY in .latency_vs_running, its colour and its title. Results before
# session 9 have no hull_none, and their podman line is the only --network none one.
series=(
	"hull_none|#0060ad|hull run --rm --network none"
	"podman|#dd181f|podman (runc) run --rm --network none"
	"hull|#00a050|hull run --rm (default bridge)"
)
plots=""
for s in "${series[@]}"; do
	key=${s%%|*}
	jq -r --arg e "$key" '(.latency_vs_running[$e] // [])[] | "\(.running) \(.ms)"' "$in" >"$work/$key.dat"
	[ -s "$work/$key.dat" ] || continue
	rest=${s#*|}
	plots+="${plots:+, }'$work/$key.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '${rest%%|*}' title '${rest#*|}'"
done
[ -n "$plots" ] || bench_die "$in has no latency_vs_running series"
load=$(jq -r '"load \(.host.load_start | split(" ")[0]) -> \(.host.load_end | split(" ")[0])"' "$in")
common="set xlabel 'containers already running (busybox sleep)';
	set ylabel 'run --rm busybox true, median (ms)'; set yrange [0:*]; set xrange [0:*];
	set key below height 1; set grid"
title="run latency vs containers running: hull and podman ($(basename "$in"), $load)"
gnuplot -e "set terminal pngcairo size 1000,560 noenhanced; set output '$out'; $common;
	set title '$title'; plot $plots" 2>/dev/null ||
	gnuplot -e "set terminal png size 1000,560 noenhanced; set output '$out'; $common; set title '$title'; plot $plots"
gnuplot -e "set terminal dumb size 100,30; $common; plot $plots"
bench_log "plot: $out"
