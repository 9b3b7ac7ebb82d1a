#!/bin/bash
# Container lifecycle benchmark: `RUNTIME run --bundle B ID` of /bin/true for
# hull-runtime, crun and runc, plus a floor (unshare with the same namespaces
# + chroot + /bin/true), all measured by one hyperfine invocation.
#
# Environment: RUNS (default 100), WARMUP (default 5), HULL_RUNTIME (default
# build/hull-runtime), BENCH_RESULTS_DIR (default bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_enter_private_ns "$(readlink -f "$0")" "$@"

RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
bench_need_cmd hyperfine
bench_need_cmd jq

bench_start_work lifecycle hbl$$-

bench_runtimes >"$work/runtimes"
bench_mkbundle "$work/bundle"
mkdir -p "$work/state" "$work/bin"
bench_usable_runtimes "$work/runtimes" "$work/bundle" "$work/state" "$prefix"

# One wrapper per subject: it takes a fresh container id from a counter
# (shell builtins only) and execs the runtime.  The floor goes through the
# same wrapper so that every subject pays the same overhead.
mkwrapper() {
	local name=$1 cmd=$2
	echo 0 >"$work/counter-$name"
	cat >"$work/bin/$name" <<EOF
#!/bin/sh
read n <"$work/counter-$name"
n=\$((n + 1))
echo "\$n" >"$work/counter-$name"
exec $cmd
EOF
	chmod +x "$work/bin/$name"
}

args=()
while read -r name path; do
	mkdir -p "$work/state/$name"
	mkwrapper "$name" "$path --root $work/state/$name run --bundle $work/bundle $prefix$name-\$n"
	args+=(-n "$name" "$work/bin/$name")
done <"$work/runtimes"
mkwrapper floor "unshare --mount --uts --ipc --pid --net --cgroup --fork chroot $work/bundle/rootfs /bin/true"
args+=(-n floor "$work/bin/floor")

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
bench_log "runs=$RUNS warmup=$WARMUP"
hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
	--cleanup "$work/bin/cleanup" --export-json "$work/hyperfine.json" "${args[@]}" >&2

mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/lifecycle-$(bench_date).json
jq --argjson host "$(bench_host_json)" --argjson runs "$RUNS" --argjson warmup "$WARMUP" '
	(.results | map({key: .command, value: .median}) | from_entries) as $med |
	{
	  benchmark: "lifecycle: RUNTIME run --bundle B ID of /bin/true (busybox rootfs, default spec)",
	  host: $host, runs: $runs, warmup: $warmup,
	  summary: [.results[] | {
	    subject: .command,
	    median_ms: (.median * 1000), mean_ms: (.mean * 1000), stddev_ms: (.stddev * 1000),
	    min_ms: (.min * 1000), max_ms: (.max * 1000),
	    ratio_to_crun: (if $med.crun then .median / $med.crun else null end),
	    ratio_to_runc: (if $med.runc then .median / $med.runc else null end)
	  }],
	  hyperfine: .
	}' "$work/hyperfine.json" >"$out"

printf '\n%-8s %10s %10s %10s %9s %9s\n' subject median_ms mean_ms stddev_ms vs_crun vs_runc
jq -r '.summary[] | [.subject, .median_ms, .mean_ms, .stddev_ms, .ratio_to_crun, .ratio_to_runc]
	| map(if . == null then "-" else . end) | @tsv' "$out" |
	while IFS=$'\t' read -r s med mean sd rc rr; do
		fmt() { [ "$1" = - ] && echo - || printf "%.${2}f" "$1"; }
		printf '%-8s %10s %10s %10s %9s %9s\n' "$s" "$(fmt "$med" 2)" "$(fmt "$mean" 2)" \
			"$(fmt "$sd" 2)" "$(fmt "$rc" 2)" "$(fmt "$rr" 2)"
	done
echo "($BENCH_NS_NOTE)"
echo "results: $out"
