#!/bin/bash
# Resident memory of an idle per-container monitor: hull-monitor against conmon (Podman's
# monitor; with runc, as Podman here must use it).
#
# N (default 5) containers of `sleep` are started under each monitor; each container first
# writes a few log lines, then sits idle. After IDLE seconds (default 4: hull-monitor gives
# its start-up pages back after 2 s of quiet) every monitor's VmRSS (/proc/PID/status) and
# Rss/Pss/Anonymous (smaps_rollup) are read; the medians and the ratios hull/conmon print.
# No pass or fail (the budget, 1 MiB of VmRSS, is checked by tests/integration/monitor.bats).
#
# Environment: N, IDLE, HULL_MONITOR (build/hull-monitor), HULL_RUNTIME, BENCH_RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_own_netns "$@"
N=${N:-5}
IDLE=${IDLE:-4}
MONITOR=${HULL_MONITOR:-$REPO_DIR/build/hull-monitor}
[ -x "$MONITOR" ] || bench_die "$MONITOR is missing (make build)"
bench_need_cmd jq
command -v conmon >/dev/null || bench_die "conmon is missing (apt-get install conmon)"
command -v runc >/dev/null || bench_die "runc is missing"

bench_start_work monitor hbmon$$-
: >"$work/runtimes"
mon_pids=()
bench_stop_own() {
	local p id
	for p in "${mon_pids[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
	for id in $(runc --root "$work/state/runc" list -q 2>/dev/null); do
		runc --root "$work/state/runc" delete -f "$id" 2>/dev/null || true
	done
	for id in $("$(bench_hull_runtime)" --root "$work/state/hull" list -q 2>/dev/null); do
		"$(bench_hull_runtime)" --root "$work/state/hull" delete -f "$id" 2>/dev/null || true
	done
}

bench_mkbundle "$work/bundle" \
	'.process.args = ["/bin/sh", "-c", "i=0; while [ $i -lt 20 ]; do echo log line $i; i=$((i+1)); done; exec sleep 3600"]'
mkdir -p "$work/state/runc" "$work/state/hull"

# The bundle per container (its own config, the shared rootfs).
mkbundle() {
	mkdir -p "$1"
	jq --arg r "$work/bundle/rootfs" '.root.path = $r' "$work/bundle/config.json" >"$1/config.json"
}

start_hull() {
	local id=$1 d=$work/hull/$1
	mkbundle "$d"
	jq -n --arg id "$id" --arg d "$d" --arg r "$work/state/hull" '{id: $id, bundle: $d, runtime_root: $r,
		log_path: ($d + "/ctr.log"), attach_socket: ($d + "/attach.sock"), exit_file: ($d + "/exit.json"),
		pid_file: ($d + "/monitor.pid")}' >"$d/monitor.json"
	"$MONITOR" "$d/monitor.json" 3>"$d/report" </dev/null >/dev/null 2>"$d/monitor.err" &
	mon_pids+=($!)
	for _ in $(seq 100); do
		grep -q . "$d/report" 2>/dev/null && break
		sleep 0.05
	done
	grep -q '^started' "$d/report" || bench_die "hull-monitor: $(cat "$d/report" "$d/monitor.err")"
	cat "$d/monitor.pid"
}

start_conmon() {
	local id=$1 d=$work/conmon/$1
	mkbundle "$d"
	mkdir -p "$d/exits" "$d/socks"
	conmon --api-version 1 -c "$id" -u "$id" -n "$id" -r "$(command -v runc)" \
		--runtime-arg --root --runtime-arg "$work/state/runc" -b "$d" -p "$d/ctr.pid" \
		-P "$d/conmon.pid" -l "k8s-file:$d/ctr.log" --exit-dir "$d/exits" --socket-dir-path "$d/socks" \
		--log-level error </dev/null >/dev/null 2>"$d/conmon.err"
	for _ in $(seq 100); do
		[ -s "$d/conmon.pid" ] && break
		sleep 0.05
	done
	[ -s "$d/conmon.pid" ] || bench_die "conmon: $(cat "$d/conmon.err")"
	mon_pids+=("$(cat "$d/conmon.pid")")
	cat "$d/conmon.pid"
}

# measure PID: "VmRSS Rss Pss Anonymous" in KiB.
measure() {
	local v r p a
	v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status")
	r=$(awk '/^Rss:/ { print $2 }' "/proc/$1/smaps_rollup")
	p=$(awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup")
	a=$(awk '/^Anonymous:/ { print $2 }' "/proc/$1/smaps_rollup")
	echo "$v $r $p $a"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

hull_pids=() conmon_pids=()
for i in $(seq "$N"); do
	hull_pids+=("$(start_hull "${prefix}h$i")")
	conmon_pids+=("$(start_conmon "${prefix}c$i")")
done
bench_log "$N containers under each monitor; idle for ${IDLE}s"
sleep "$IDLE"

: >"$work/hull.txt"
: >"$work/conmon.txt"
for p in "${hull_pids[@]}"; do measure "$p" >>"$work/hull.txt"; done
for p in "${conmon_pids[@]}"; do measure "$p" >>"$work/conmon.txt"; done

printf '%-14s %10s %10s %10s %10s\n' monitor "VmRSS kB" "Rss kB" "Pss kB" "Anon kB"
declare -A med
for m in hull conmon; do
	for col in 1 2 3 4; do
		med[$m$col]=$(awk -v c=$col '{ print $c }' "$work/$m.txt" | median)
	done
	printf '%-14s %10s %10s %10s %10s\n' "$([ $m = hull ] && echo hull-monitor || echo conmon)" \
		"${med[${m}1]}" "${med[${m}2]}" "${med[${m}3]}" "${med[${m}4]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '%-14s %10sx %9sx %9sx %9sx\n' "hull/conmon" "$(ratio "${med[hull1]}" "${med[conmon1]}")" \
	"$(ratio "${med[hull2]}" "${med[conmon2]}")" "$(ratio "${med[hull3]}" "${med[conmon3]}")" \
	"$(ratio "${med[hull4]}" "${med[conmon4]}")"

out_dir=${BENCH_RESULTS_DIR:-$REPO_DIR/bench/results}
mkdir -p "$out_dir"
jq -n --argjson n "$N" --argjson idle "$IDLE" \
	--argjson h "[${med[hull1]}, ${med[hull2]}, ${med[hull3]}, ${med[hull4]}]" \
	--argjson c "[${med[conmon1]}, ${med[conmon2]}, ${med[conmon3]}, ${med[conmon4]}]" \
	'{n: $n, idle_s: $idle, columns: ["VmRSS_kB", "Rss_kB", "Pss_kB", "Anonymous_kB"], hull_monitor: $h, conmon: $c}' \
	>"$out_dir/monitor-$(bench_date).json"
