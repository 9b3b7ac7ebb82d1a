#!/bin/bash
# Container lifecycle benchmark: `RUNTIME run --bundle B ID` of /bin/true for
# hull-runtime, crun and runc, plus a floor (unshare with the same namespaces
# + chroot + /bin/true), measured by hyperfine in rounds of rotated order.
#
# Environment: RUNS (runs per subject and round, default 50), ROUNDS (default 3),
# WARMUP (default 5), HULL_RUNTIME (default build/hull-runtime), BENCH_RESULTS_DIR
# (default bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_enter_private_ns "$(readlink -f "$0")" "$@"

RUNS=${RUNS:-50}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5}
bench_need_cmd hyperfine
bench_need_cmd jq

bench_start_work lifecycle hbl$$-

bench_runtimes >"$work/runtimes"
bench_mkbundle "$work/bundle"
mkdir -p "$work/state" "$work/bin"
bench_usable_runtimes "$work/runtimes" "$work/bundle" "$work/state" "$prefix"

# Every subject is run by hyperfine directly (-N: no shell, no wrapper), with one
# fixed container id: a foreground `run` deletes its container before it exits, so
# the id is free again for the next run (a runtime that left anything behind would
# fail its next run, and hyperfine would stop). The floor is the same namespaces with
# unshare, chroot and /bin/true, without any runtime work.
names=() cmds=()
while read -r name path; do
	mkdir -p "$work/state/$name"
	names+=("$name")
	cmds+=("$path --root $work/state/$name run --bundle $work/bundle $prefix$name")
done <"$work/runtimes"
names+=(floor)
cmds+=("unshare --mount --uts --ipc --pid --net --cgroup --fork chroot $work/bundle/rootfs /bin/true")

# Leftovers of a subject are removed after its runs.
cat >"$work/bin/cleanup" <<EOF
#!/bin/bash
. "$BENCH_DIR/lib.sh"
while read -r name path; do
	bench_cleanup_runtime "\$path" "$work/state/\$name" "$prefix"
done <"$work/runtimes"
EOF
chmod +x "$work/bin/cleanup"

bench_log "$BENCH_NS_NOTE"
bench_log "rounds=$ROUNDS runs=$RUNS per round warmup=$WARMUP"
# hyperfine measures one subject after the other, and this VM's speed drifts by
# several percent within seconds. So the runs are split into rounds, each starting
# with another subject (round r: the subjects rotated by r), so that no subject
# always runs at the same point of the drift; the samples of all rounds are pooled.
n=${#names[@]}
for ((r = 0; r < ROUNDS; r++)); do
	args=()
	for ((k = 0; k < n; k++)); do
		i=$(((k + r) % n))
		args+=(-n "${names[$i]}" "${cmds[$i]}")
	done
	hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
		--cleanup "$work/bin/cleanup" --export-json "$work/round-$r.json" "${args[@]}" >&2
done

mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/lifecycle-$(bench_date).json
jq -s --argjson host "$(bench_host_json)" --argjson runs "$RUNS" --argjson warmup "$WARMUP" '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def stats: {median: median, mean: (add / length), min: min, max: max,
		stddev: ((add / length) as $m | (map((. - $m) * (. - $m)) | add / (length - 1)) | sqrt)};
	. as $rounds |
	[$rounds[0].results[].command] as $subjects |
	[$subjects[] as $s | {command: $s, times: [$rounds[].results[] | select(.command == $s) | .times[]]}
		| . + (.times | stats)] as $pooled |
	($pooled | map({key: .command, value: .median}) | from_entries) as $med |
	{
	  benchmark: "lifecycle: RUNTIME run --bundle B ID of /bin/true (busybox rootfs, default spec)",
	  host: $host, rounds: ($rounds | length), runs_per_round: $runs, warmup: $warmup,
	  summary: [$pooled[] | {
	    subject: .command,
	    median_ms: (.median * 1000), mean_ms: (.mean * 1000), stddev_ms: (.stddev * 1000),
	    min_ms: (.min * 1000), max_ms: (.max * 1000),
	    ratio_to_crun: (if $med.crun then .median / $med.crun else null end),
	    ratio_to_runc: (if $med.runc then .median / $med.runc else null end)
	  }],
	  per_round: [$rounds[] | (.results | map({key: .command, value: .median}) | from_entries) as $m |
	    {order: [.results[].command], median_ms: ($m | map_values(. * 1000)),
	     hull_to_crun: (if $m.hull and $m.crun then $m.hull / $m.crun else null end)}],
	  hyperfine: {results: $pooled, rounds: $rounds}
	}' "$work"/round-*.json >"$out"

printf '\n%-8s %10s %10s %10s %9s %9s\n' subject median_ms mean_ms stddev_ms vs_crun vs_runc
jq -r '.summary[] | [.subject, .median_ms, .mean_ms, .stddev_ms, .ratio_to_crun, .ratio_to_runc]
	| map(if . == null then "-" else . end) | @tsv' "$out" |
	while IFS=$'\t' read -r s med mean sd rc rr; do
		fmt() { [ "$1" = - ] && echo - || printf "%.${2}f" "$1"; }
		printf '%-8s %10s %10s %10s %9s %9s\n' "$s" "$(fmt "$med" 2)" "$(fmt "$mean" 2)" \
			"$(fmt "$sd" 2)" "$(fmt "$rc" 2)" "$(fmt "$rr" 2)"
	done
jq -r '.per_round[] | "round (\(.order | join(", "))): hull/crun \(if .hull_to_crun then (.hull_to_crun * 100 | round / 100) else "-" end)"' "$out"
echo "($BENCH_NS_NOTE)"
echo "results: $out"
