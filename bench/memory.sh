#!/bin/bash
# Memory benchmark for hull-runtime, crun and runc:
#  1. peak RSS (`/usr/bin/time -f %M`) of `RUNTIME run --bundle B ID` of
#     /bin/true: the maximum resident set of the runtime process and of the
#     descendants it waited for; median of RSS_RUNS (default 20) runs.
#  2. the smallest linux.resources.memory.limit a container starts in
#     ("starts": `run` of /bin/true exits 0), bisected between 64 KiB and
#     64 MiB to 64 KiB precision; a probe passes only if PROBE_TRIES
#     (default 3) runs in a row pass.
#
# Environment: RSS_RUNS, PROBE_TRIES, HULL_RUNTIME, BENCH_RESULTS_DIR.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_enter_private_ns "$(readlink -f "$0")" "$@"

RSS_RUNS=${RSS_RUNS:-20}
PROBE_TRIES=${PROBE_TRIES:-3}
STEP=65536                 # 64 KiB
MAX_STEPS=1024             # 64 MiB
bench_need_cmd /usr/bin/time time
bench_need_cmd jq

bench_start_work memory hbm$$-

bench_runtimes >"$work/runtimes"
bench_mkbundle "$work/bundle"
mkdir -p "$work/state"
bench_usable_runtimes "$work/runtimes" "$work/bundle" "$work/state" "$prefix"
counter=0

# run_once NAME PATH BUNDLE [TIME-OUTPUT]: one `run` with a fresh id; returns
# the runtime's exit status.
run_once() {
	local name=$1 rt=$2 bundle=$3 tout=${4:-} id rc=0
	counter=$((counter + 1))
	id=$prefix$name-$counter
	if [ -n "$tout" ]; then
		/usr/bin/time -f %M -o "$tout" \
			"$rt" --root "$work/state/$name" run --bundle "$bundle" "$id" \
			</dev/null >/dev/null 2>>"$work/log-$name" || rc=$?
	else
		timeout 60 "$rt" --root "$work/state/$name" run --bundle "$bundle" "$id" \
			</dev/null >/dev/null 2>>"$work/log-$name" || rc=$?
	fi
	bench_cleanup_runtime "$rt" "$work/state/$name" "$id"
	return $rc
}

median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# probe NAME PATH STEPS: does /bin/true start with a limit of STEPS * 64 KiB?
probe() {
	local name=$1 rt=$2 steps=$3 dir=$work/probe-$1-$3 i
	mkdir -p "$dir"
	jq --arg root "$work/bundle/rootfs" --argjson limit $((steps * STEP)) \
		'.root.path = $root | .linux.resources.memory.limit = $limit' \
		"$work/bundle/config.json" >"$dir/config.json"
	for ((i = 0; i < PROBE_TRIES; i++)); do
		run_once "$name" "$rt" "$dir" || return 1
	done
}

# smallest_limit NAME PATH: prints the smallest passing limit in bytes, or
# "null" when even 64 MiB fails.
smallest_limit() {
	local name=$1 rt=$2 lo=1 hi=$MAX_STEPS mid
	if ! probe "$name" "$rt" "$hi"; then
		echo null
		return
	fi
	while [ "$lo" -lt "$hi" ]; do
		mid=$(((lo + hi) / 2))
		if probe "$name" "$rt" "$mid"; then hi=$mid; else lo=$((mid + 1)); fi
	done
	echo $((hi * STEP))
}

bench_log "$BENCH_NS_NOTE"
results=()
while read -r name path; do
	bench_log "$name: peak RSS over $RSS_RUNS runs"
	: >"$work/rss-$name"
	for ((i = 0; i < RSS_RUNS; i++)); do
		run_once "$name" "$path" "$work/bundle" "$work/time.out" ||
			bench_die "$name run failed: $(tail -3 "$work/log-$name")"
		tail -1 "$work/time.out" >>"$work/rss-$name"
	done
	rss=$(median <"$work/rss-$name")
	bench_log "$name: bisecting the smallest memory limit"
	limit=$(smallest_limit "$name" "$path")
	results+=("$(jq -n --arg s "$name" --arg p "$path" --argjson rss "$rss" \
		--argjson samples "$(jq -Rs 'split("\n") | map(select(length > 0) | tonumber)' "$work/rss-$name")" \
		--argjson limit "$limit" \
		'{subject: $s, path: $p, peak_rss_kib_median: $rss, peak_rss_kib_samples: $samples,
		  min_memory_limit_bytes: $limit}')")
done <"$work/runtimes"

mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/memory-$(bench_date).json
printf '%s\n' "${results[@]}" | jq -s --argjson host "$(bench_host_json)" \
	--argjson runs "$RSS_RUNS" --argjson tries "$PROBE_TRIES" '
	(map({key: .subject, value: .}) | from_entries) as $by |
	{
	  benchmark: "memory: peak RSS of RUNTIME run (/bin/true) and smallest memory limit it starts in",
	  host: $host, rss_runs: $runs, probe_tries: $tries,
	  limit_search: "bisection over 64 KiB .. 64 MiB, 64 KiB steps",
	  summary: map(. + {
	    rss_ratio_to_crun: (if $by.crun then .peak_rss_kib_median / $by.crun.peak_rss_kib_median else null end),
	    limit_ratio_to_crun: (if $by.crun and $by.crun.min_memory_limit_bytes and .min_memory_limit_bytes
	                          then .min_memory_limit_bytes / $by.crun.min_memory_limit_bytes else null end)
	  })
	}' >"$out"

printf '\n%-8s %14s %9s %16s %9s\n' subject peak_rss_kib vs_crun min_limit_kib vs_crun
jq -r '.summary[] | [.subject, .peak_rss_kib_median, .rss_ratio_to_crun,
	(if .min_memory_limit_bytes then .min_memory_limit_bytes / 1024 else ">65536" end),
	.limit_ratio_to_crun] | map(if . == null then "-" else tostring end) | @tsv' "$out" |
	while IFS=$'\t' read -r s rss rr lim lr; do
		[ "$rr" = - ] || rr=$(printf %.2f "$rr")
		[ "$lr" = - ] || lr=$(printf %.2f "$lr")
		printf '%-8s %14s %9s %16s %9s\n' "$s" "$rss" "$rr" "$lim" "$lr"
	done
echo "($BENCH_NS_NOTE)"
echo "results: $out"
