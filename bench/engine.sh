#!/bin/bash
# The engine against podman (issue 15's performance goals), in one run on the same machine:
#
#   run    `hull run --rm busybox true` (and `hull run --rm --network none busybox true`,
#          hull-none) vs `podman --runtime runc run --rm --network none busybox true`
#          (hyperfine, RUNS runs after WARMUP)
#   par    PAR_N containers `run --rm` with PAR_J in parallel (xargs -P), total wall time,
#          the median of PAR_ROUNDS rounds
#   ps     `hull ps -a` and `hull ps` with PS_N created containers (goal: under 20 ms)
#   load   the latency of `run --rm true` (median of LAT_RUNS) with N containers already
#          running (`run -d --network none busybox sleep`), N in STEPS for hull and
#          PODMAN_STEPS for podman (both 0 100 ... 500 by default). Three series: hull and
#          podman both with `--network none` (like for like), and hull on its default bridge
#          (measured at the same steps, among the same running containers). The running
#          containers are started FILL_J at a time (xargs -P): the filling is not measured.
#          Plotted with gnuplot (PNG and the dumb terminal's ASCII) by bench/engine-plot.sh
#
# Both engines load the same offline busybox archive (scripts/busybox-image.sh) into a
# private store under /tmp. podman is set up like tests/integration/podman.bats
# (tests/integration/lib/podman-env.sh: its own containers.conf with default_ulimits that fit
# this host, its own storage, a private cgroup parent, --network none) but drives runc,
# since podman's default crun refuses this hybrid cgroup host; its storage driver is
# overlay, like hull's. Neither runs in bench/lib.sh's private mount namespace: the engine
# uses the host's cgroup view as it does in production.
#
# Environment: RUNS (30), WARMUP (3), PAR_N (32), PAR_J (16), PAR_ROUNDS (3), PS_N (500),
# STEPS ("0 100 200 300 400 500"), PODMAN_STEPS (STEPS), LAT_RUNS (5), FILL_J (8),
# SKIP_PODMAN=1, HULL (build/hull), BENCH_RESULTS_DIR (bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
PAR_N=${PAR_N:-32}
PAR_J=${PAR_J:-16}
PAR_ROUNDS=${PAR_ROUNDS:-3}
PS_N=${PS_N:-500}
STEPS=${STEPS:-"0 100 200 300 400 500"}
PODMAN_STEPS=${PODMAN_STEPS:-$STEPS}
LAT_RUNS=${LAT_RUNS:-5}
FILL_J=${FILL_J:-8}
HULL_BIN=$(readlink -f "${HULL:-$REPO_DIR/build/hull}")

bench_need_root
bench_own_netns "$@"
bench_need_cmd hyperfine
bench_need_cmd jq
[ -x "$HULL_BIN" ] || bench_die "no $HULL_BIN (make build)"
archive=$REPO_DIR/build/busybox-image.tar
"$REPO_DIR/scripts/busybox-image.sh" -o "$archive" >/dev/null || bench_die "cannot build $archive"

# Short: RUNROOT/containers/<64 hex>/attach.sock must fit in a socket address (108 bytes).
work=$(mktemp -d /tmp/hbe.XXXXXX)
H=("$HULL_BIN" --root "$work/s" --runroot "$work/r")
podman_on=false

# leftovers: the processes (hull-monitor, conmon, the containers' sleep) whose command line
# names this run's directories, their pids on one line.
leftovers() {
	local d
	for d in "$work/" ${PODMAN_ENV_DIR:+"$PODMAN_ENV_DIR/"}; do
		pgrep -f -- "$d"
	done | sort -un | paste -sd' '
}

cleanup() {
	set +e
	local left
	"${H[@]}" ps -aq --no-trunc 2>/dev/null | xargs -r -n 50 -P "$FILL_J" "${H[@]}" rm -f >/dev/null 2>&1
	if $podman_on; then
		podman_env_teardown || bench_log "podman left state behind (see above)"
	fi
	left=$(leftovers)
	if [ -n "$left" ]; then
		bench_log "left running, killed now: $(ps -o pid=,args= -p "${left// /,}" | head -5)"
		# shellcheck disable=SC2086 # one pid per word
		kill -9 $left
	fi
	grep -q " $work/" /proc/self/mountinfo && awk -v d="$work/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${H[@]}" load -i "$archive" >/dev/null || bench_die "hull load failed"
"${H[@]}" run --rm busybox true || bench_die "hull run --rm busybox true failed"

P=()
if [ "${SKIP_PODMAN:-0}" != 1 ] && command -v podman >/dev/null && command -v runc >/dev/null; then
	export RUNTIME
	RUNTIME=$(command -v runc)
	export PODMAN_STORAGE_DRIVER=${PODMAN_STORAGE_DRIVER:-overlay}
	# shellcheck source=tests/integration/lib/podman-env.sh
	. "$REPO_DIR/tests/integration/lib/podman-env.sh"
	PODMAN_ENV_DIR=$(mktemp -d /tmp/hull-podman.XXXXXX)
	PODMAN_CGROUP_PARENT=/hull-podman-bench-$(basename "$PODMAN_ENV_DIR" | cut -d. -f2)
	export PODMAN_ENV_DIR PODMAN_CGROUP_PARENT
	podman_env_write_config
	podman_on=true
	img=$(podman_cmd load -q -i "$archive" 2>/dev/null | sed -n 's/^Loaded image[^:]*: //p' | tail -1)
	if [ -n "$img" ] && podman_cmd run --rm "$img" true; then
		podman_env_argv run --rm "$img" true
		P=("${PODMAN_ARGV[@]}")
	else
		bench_log "podman with runc cannot run the image; podman is skipped"
	fi
else
	bench_log "podman or runc missing (or SKIP_PODMAN=1); podman is skipped"
fi
have_podman() { [ ${#P[@]} -gt 0 ]; }

# run_rm_cmd ENGINE: the `run --rm busybox true` command line of ENGINE, one string
# (hyperfine -N splits it on white space; no path here has any).
run_rm_cmd() {
	case $1 in
	hull) echo "${H[*]} run --rm busybox true" ;;
	hull-none) echo "${H[*]} run --rm --network none busybox true" ;;
	*) echo "${P[*]}" ;;
	esac
}

# rm_all: removes every hull container of the benchmark, FILL_J commands of 50 at a time.
rm_all() {
	"${H[@]}" ps -aq --no-trunc | xargs -r -n 50 -P "$FILL_J" "${H[@]}" rm -f >/dev/null
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# median: the median of the numbers on stdin.
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bench_log "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- run --rm ---------------------------------------------------------------------------
# hull-none: hull with podman's --network none. `hull` alone has the default bridge network
# (a veth pair on the bridge, an address, their removal), which podman is not given here.
cmds=(-n hull "$(run_rm_cmd hull)" -n hull-none "${H[*]} run --rm --network none busybox true")
have_podman && cmds+=(-n podman-runc "$(run_rm_cmd podman)")
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/run.json" "${cmds[@]}" >&2

# --- PAR_N in PAR_J parallel -------------------------------------------------------------
# par ENGINE: the median wall time (ms) of PAR_ROUNDS rounds.
par() {
	local cmd t0
	cmd=$(run_rm_cmd "$1")
	for _ in $(seq "$PAR_ROUNDS"); do
		t0=$(now_ms)
		# shellcheck disable=SC2086 # the command line is split on purpose
		seq "$PAR_N" | xargs -P "$PAR_J" -I{} $cmd >/dev/null 2>&1 || bench_log "$1: a parallel run failed"
		echo $(($(now_ms) - t0))
	done | median
}
par_hull=$(par hull)
# Issue 15 compares with podman's --network none: the same for hull.
par_hull_none=$(par hull-none)
par_podman=null
have_podman && par_podman=$(par podman)
bench_log "$PAR_N run --rm, $PAR_J in parallel: hull ${par_hull} ms (--network none ${par_hull_none} ms), podman ${par_podman} ms"

# --- ps with PS_N created ------------------------------------------------------------------
for _ in $(seq "$PS_N"); do
	"${H[@]}" create busybox true >/dev/null
done
hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$work/ps.json" \
	-n "ps -a" -n "ps" "${H[*]} ps -a" "${H[*]} ps" >&2
rm_all

# --- latency vs running containers ---------------------------------------------------------
# running ENGINE: how many containers ENGINE has running.
running() {
	if [ "$1" = podman ]; then
		podman_cmd ps -q | wc -l
	else
		"${H[@]}" ps -q | wc -l
	fi
}

# fill ENGINE N: starts `sleep` containers with --network none, FILL_J at a time, until ENGINE
# has N running (two more tries for any that failed), and prints how many run. Parallel, as
# one at a time podman took minutes per hundred: the filling is not what is measured.
fill() {
	local engine=$1 n=$2 have try
	local -a argv
	if [ "$engine" = podman ]; then
		# podman_env_argv adds --network none (and the private cgroup parent) to run.
		podman_env_argv run -d "$img" sleep 36000
		argv=("${PODMAN_ARGV[@]}")
	else
		argv=("${H[@]}" run -d --network none busybox sleep 36000)
	fi
	for try in 1 2 3; do
		have=$(running "$engine")
		[ "$have" -lt "$n" ] || break
		[ "$try" = 1 ] || bench_log "$engine: $have of $n running; starting the rest again"
		seq $((n - have)) | xargs -P "$FILL_J" -I{} "${argv[@]}" >/dev/null 2>"$work/fill.err" ||
			bench_log "$engine: a run -d failed: $(tail -1 "$work/fill.err")"
	done
	have=$(running "$engine")
	[ "$have" -ge "$n" ] || bench_log "$engine: only $have of $n containers run"
	echo "$have"
}

# latency ENGINE N: "N median-ms" of LAT_RUNS runs of ENGINE's `run --rm`.
latency() {
	local engine=$1 n=$2 cmd t0
	cmd=$(run_rm_cmd "$engine")
	for _ in $(seq "$LAT_RUNS"); do
		t0=$(date +%s%N)
		# shellcheck disable=SC2086 # the command line is split on purpose
		$cmd >/dev/null 2>&1 || bench_log "$engine: run failed at $n running"
		echo $((($(date +%s%N) - t0) / 1000))
	done | median | awk -v n="$n" '{ printf "%d %.1f\n", n, $1 / 1000 }'
}

: >"$work/lat-hull.dat"
: >"$work/lat-hull-none.dat"
: >"$work/lat-podman.dat"
for n in $STEPS; do
	t0=$(now_ms)
	have=$(fill hull "$n")
	bench_log "hull: $have running (filled in $(($(now_ms) - t0)) ms)"
	latency hull-none "$have" >>"$work/lat-hull-none.dat"
	latency hull "$have" >>"$work/lat-hull.dat"
done
rm_all
if have_podman; then
	for n in $PODMAN_STEPS; do
		t0=$(now_ms)
		have=$(fill podman "$n")
		bench_log "podman: $have running (filled in $(($(now_ms) - t0)) ms)"
		latency podman "$have" >>"$work/lat-podman.dat"
	done
	t0=$(now_ms)
	podman_cmd rm -af -t 0 >/dev/null 2>&1 || bench_log "podman rm -af failed"
	bench_log "podman rm -af: $(($(now_ms) - t0)) ms, $(podman_cmd ps -aq | wc -l) containers left"
fi

# --- result --------------------------------------------------------------------------------
mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/engine-$(date -u +%Y%m%dT%H%M%SZ).json
dat_json() { jq -R -s 'split("\n") | map(select(length > 0) | split(" ") | {running: (.[0] | tonumber), ms: (.[1] | tonumber)})' "$1"; }
jq -n --slurpfile run "$work/run.json" --slurpfile ps "$work/ps.json" \
	--argjson lat_hull "$(dat_json "$work/lat-hull.dat")" --argjson lat_hull_none "$(dat_json "$work/lat-hull-none.dat")" \
	--argjson lat_podman "$(dat_json "$work/lat-podman.dat")" \
	--argjson par_hull "$par_hull" --argjson par_hull_none "$par_hull_none" --argjson par_podman "$par_podman" \
	--arg load_start "$load_start" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg podman "$(podman --version 2>/dev/null)" \
	--arg runc "$(runc --version 2>/dev/null | head -1)" \
	--argjson cfg "{\"runs\":$RUNS,\"warmup\":$WARMUP,\"par_n\":$PAR_N,\"par_j\":$PAR_J,\"par_rounds\":$PAR_ROUNDS,\"ps_n\":$PS_N,\"lat_runs\":$LAT_RUNS,\"fill_j\":$FILL_J}" '
	def ms: . * 1000 | . * 10 | round / 10;
	($run[0].results | map({(.command): {median_ms: (.median | ms), mean_ms: (.mean | ms), min_ms: (.min | ms)}}) | add) as $r
	| {host: {kernel: $kernel, cpus: $cpus, load_start: $load_start, load_end: $load_end, podman: $podman, runc: $runc,
	          conditions: "podman --runtime runc, overlay storage, --network none, private containers.conf (tests/integration/lib/podman-env.sh); both engines on the host cgroup view"},
	   config: $cfg,
	   run_rm: ($r + {ratio: (if $r["podman-runc"] then ($r.hull.median_ms / $r["podman-runc"].median_ms * 1000 | round / 1000) else null end),
	                  ratio_none: (if $r["podman-runc"] and $r["hull-none"] then ($r["hull-none"].median_ms / $r["podman-runc"].median_ms * 1000 | round / 1000) else null end)}),
	   parallel: {hull_ms: $par_hull, hull_none_ms: $par_hull_none, podman_ms: $par_podman,
	              ratio: (if $par_podman then ($par_hull / $par_podman * 1000 | round / 1000) else null end),
	              ratio_none: (if $par_podman then ($par_hull_none / $par_podman * 1000 | round / 1000) else null end)},
	   ps: ($ps[0].results | map({(.command): {median_ms: (.median | ms), max_ms: (.max | ms)}}) | add),
	   latency_vs_running: {hull_none: $lat_hull_none, podman: $lat_podman, hull: $lat_hull,
	                       note: "hull_none and podman: run --rm --network none; hull: run --rm on the default bridge; the running containers: run -d --network none busybox sleep"},
	   hyperfine: {run: $run[0], ps: $ps[0]}}' >"$out"
jq -r '"run --rm busybox true: hull \(.run_rm.hull.median_ms) ms, podman+runc \(.run_rm["podman-runc"].median_ms // "-") ms, ratio \(.run_rm.ratio // "-") (goal <= 0.1)",
	"the same, both --network none: hull \(.run_rm["hull-none"].median_ms // "-") ms, ratio \(.run_rm.ratio_none // "-")",
	"\(.config.par_n) run --rm, \(.config.par_j) parallel: hull \(.parallel.hull_ms) ms, podman \(.parallel.podman_ms // "-") ms, ratio \(.parallel.ratio // "-") (goal <= 0.1)",
	"the same, both --network none: hull \(.parallel.hull_none_ms) ms, ratio \(.parallel.ratio_none // "-")",
	"ps -a with \(.config.ps_n) created: \(.ps["ps -a"].median_ms) ms median (goal < 20 ms); ps: \(.ps.ps.median_ms) ms",
	"latency vs running (ms): hull --network none \(.latency_vs_running.hull_none | map("\(.running):\(.ms)") | join(" "))",
	"                         podman --network none \(.latency_vs_running.podman | map("\(.running):\(.ms)") | join(" "))",
	"                         hull on its bridge \(.latency_vs_running.hull | map("\(.running):\(.ms)") | join(" "))",
	"load \(.host.load_start) -> \(.host.load_end)"' "$out"
bench_log "result: $out"
"$BENCH_DIR/engine-plot.sh" "$out" || bench_log "no plot"
