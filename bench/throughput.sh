#!/bin/bash
# Throughput under load for hull-runtime, crun and runc, one runtime after
# the other: STREAMS (default 2) parallel loops of
# `RUNTIME run --bundle B ID` of /bin/true with unique ids, for DURATION
# (default 30) seconds; counts the containers that completed (exit 0).
#
# A stream starts no new container once DURATION has passed, but the one it
# is running is finished and counted; the rate is
# completed / (end of the last stream - start).
#
# Environment: DURATION, STREAMS, HULL_RUNTIME, BENCH_RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_enter_private_ns "$(readlink -f "$0")" "$@"

DURATION=${DURATION:-30}
STREAMS=${STREAMS:-2}
bench_need_cmd jq

streams=()
# The streams finish the container they are running, then stop.
bench_stop_own() {
	if [ "${#streams[@]}" -gt 0 ]; then
		kill -TERM "${streams[@]}" 2>/dev/null || true
		wait "${streams[@]}" 2>/dev/null || true
	fi
}
bench_start_work throughput hbt$$-

bench_runtimes >"$work/runtimes"
bench_mkbundle "$work/bundle"
mkdir -p "$work/state"
bench_usable_runtimes "$work/runtimes" "$work/bundle" "$work/state" "$prefix"
[ -s "$work/runtimes" ] || bench_die "no runtime to measure"

# usec: the current time in microseconds.
usec() { echo "${EPOCHREALTIME/./}"; }

# stream NAME PATH K DEADLINE-USEC: runs containers one after the other until
# the deadline; writes "completed failed end-usec" to $work/result-NAME-K.
# SIGTERM stops it after the current container.
stream() {
	local name=$1 rt=$2 k=$3 deadline=$4 stop=0 ok=0 fail=0 i=0 id
	trap 'stop=1' TERM
	while [ "$stop" = 0 ] && [ "$(usec)" -lt "$deadline" ]; do
		i=$((i + 1))
		id=$prefix$name-s$k-$i
		if "$rt" --root "$work/state/$name" run --bundle "$work/bundle" "$id" \
			</dev/null >/dev/null 2>>"$work/log-$name-$k"; then
			ok=$((ok + 1))
		else
			fail=$((fail + 1))
			bench_cleanup_runtime "$rt" "$work/state/$name" "$id"
		fi
	done
	echo "$ok $fail $(usec)" >"$work/result-$name-$k"
}

bench_log "$BENCH_NS_NOTE"
bench_log "duration=${DURATION}s streams=$STREAMS"
results=()
while read -r name path; do
	bench_log "$name: $STREAMS streams of run for ${DURATION}s"
	start=$(usec)
	deadline=$((start + DURATION * 1000000))
	streams=()
	for ((k = 0; k < STREAMS; k++)); do
		stream "$name" "$path" "$k" "$deadline" &
		streams+=($!)
	done
	wait "${streams[@]}"
	streams=()
	bench_cleanup_runtime "$path" "$work/state/$name" "$prefix"
	per=()
	last=$start
	for ((k = 0; k < STREAMS; k++)); do
		read -r ok fail end <"$work/result-$name-$k"
		[ "$end" -le "$last" ] || last=$end
		per+=("$(jq -n --argjson ok "$ok" --argjson fail "$fail" '{completed: $ok, failed: $fail}')")
	done
	failed=$(printf '%s\n' "${per[@]}" | jq -s 'map(.failed) | add')
	if [ "$failed" -gt 0 ]; then
		bench_log "$name: $failed runs failed; last errors: $(cat "$work"/log-"$name"-* | tail -2)"
	fi
	results+=("$(printf '%s\n' "${per[@]}" | jq -s --arg s "$name" --arg p "$path" \
		--argjson elapsed_us $((last - start)) '{
		  subject: $s, path: $p,
		  completed: (map(.completed) | add), failed: (map(.failed) | add),
		  elapsed_s: ($elapsed_us / 1e6),
		  containers_per_second: ((map(.completed) | add) / ($elapsed_us / 1e6)),
		  streams: .
		}')")
done <"$work/runtimes"

mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/throughput-$(bench_date).json
printf '%s\n' "${results[@]}" | jq -s --argjson host "$(bench_host_json)" \
	--argjson duration "$DURATION" --argjson streams "$STREAMS" '
	(map({key: .subject, value: .containers_per_second}) | from_entries) as $rate |
	def ratio($by): if $rate[$by] and $rate[$by] > 0 then . / $rate[$by] else null end;
	{
	  benchmark: "throughput: \($streams) parallel streams of RUNTIME run --bundle B ID of /bin/true (unique ids) for \($duration) s, runtimes one after another",
	  method: "a stream starts no new container after the deadline; the running one is finished and counted; rate = completed / (end of the last stream - start)",
	  host: $host, duration_s: $duration, streams: $streams,
	  summary: map(. + {
	    ratio_to_crun: (.containers_per_second | ratio("crun")),
	    ratio_to_runc: (.containers_per_second | ratio("runc"))
	  })
	}' >"$out"

printf '\n%-8s %14s %10s %7s %10s %9s %9s\n' subject containers/s completed failed elapsed_s vs_crun vs_runc
jq -r '.summary[] | [.subject, .containers_per_second, .completed, .failed, .elapsed_s,
	.ratio_to_crun, .ratio_to_runc] | map(if . == null then "-" else . end) | @tsv' "$out" |
	while IFS=$'\t' read -r s rate n f el rc rr; do
		fmt() { [ "$1" = - ] && echo - || printf "%.${2}f" "$1"; }
		printf '%-8s %14s %10s %7s %10s %9s %9s\n' "$s" "$(fmt "$rate" 1)" "$n" "$f" \
			"$(fmt "$el" 2)" "$(fmt "$rc" 2)" "$(fmt "$rr" 2)"
	done
echo "($STREAMS parallel streams, ${DURATION}s per runtime; $BENCH_NS_NOTE)"
echo "results: $out"
