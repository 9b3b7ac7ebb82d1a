#!/bin/bash
# create / start / delete split and exec latency for hull-runtime, crun and
# runc, measured in the same run by hyperfine (one invocation per phase):
#
#   create  RUNTIME create --bundle B ID     (process: /bin/sleep 1000)
#   start   RUNTIME start ID                 (of a container just created)
#   delete  RUNTIME delete ID                (of a container that was
#                                             created, started, sent SIGKILL
#                                             and seen "stopped" by `state`)
#   exec    RUNTIME exec ID /bin/true        (into one running container)
#
# Each phase's state is made by an untimed hyperfine --prepare hook.  This is
# the sequence a runc user sees (create, start, kill KILL, wait, delete):
# `delete` is timed on a stopped container, without -f; the kill and the
# wait for "stopped" are not timed.
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
PHASES="create start delete exec"
bench_need_cmd hyperfine
bench_need_cmd jq

bench_start_work split hbs$$-

bench_runtimes >"$work/runtimes"
bench_mkbundle "$work/bundle"
# The split's bundle: the same rootfs and config, with a process that stays
# running until it is killed.
mkdir -p "$work/sleep" "$work/state" "$work/bin"
jq --arg root "$work/bundle/rootfs" '.root.path = $root | .process.args = ["/bin/sleep", "1000"]' \
	"$work/bundle/config.json" >"$work/sleep/config.json"
bench_usable_runtimes "$work/runtimes" "$work/bundle" "$work/state" "$prefix"

# The untimed hook run before every timed run: `prep PHASE NAME PATH` takes
# the next id from the phase's counter, removes what the previous run left
# and makes the state the timed command needs.  Its output goes to
# $work/log-NAME.
cat >"$work/bin/prep" <<EOF
#!/bin/bash
set -euo pipefail
phase=\$1 name=\$2 rt=\$3
root=$work/state/\$name
counter=$work/counter-\$phase-\$name
exec </dev/null >>"$work/log-\$name" 2>&1
id() { echo "$prefix\$name-\${phase:0:1}-\$1"; }
rt() { "\$rt" --root "\$root" "\$@"; }
read -r n <"\$counter"
case \$phase in
create) # the container created by the previous run
	[ "\$n" = 0 ] || rt delete -f "\$(id "\$n")"
	echo \$((n + 1)) >"\$counter" ;;
start) # the container started by the previous run; a new created one
	[ "\$n" = 0 ] || rt delete -f "\$(id "\$n")"
	n=\$((n + 1))
	echo "\$n" >"\$counter"
	rt create --bundle "$work/sleep" "\$(id "\$n")" ;;
delete) # a created, started, killed and stopped container
	n=\$((n + 1))
	echo "\$n" >"\$counter"
	rt create --bundle "$work/sleep" "\$(id "\$n")"
	rt start "\$(id "\$n")"
	rt kill "\$(id "\$n")" KILL
	for ((i = 0; i < 1000; i++)); do
		case \$(rt state "\$(id "\$n")") in *'"stopped"'*) exit 0 ;; esac
		sleep 0.01
	done
	echo "prep: \$(id "\$n") is not stopped 10 s after SIGKILL"
	exit 1 ;;
exec) # one running container for all the runs of this runtime
	[ "\$n" = 0 ] || exit 0
	echo 1 >"\$counter"
	rt create --bundle "$work/sleep" "\$(id 1)"
	rt start "\$(id 1)" ;;
esac
EOF
chmod +x "$work/bin/prep"

# The timed commands: one tiny /bin/sh wrapper per phase and runtime that
# reads the id from the counter (shell builtins only) and execs the runtime,
# so that every subject pays the same wrapper cost.
mkwrapper() {
	local phase=$1 name=$2 path=$3 op
	local id="$prefix$name-${phase:0:1}-\$n"
	case $phase in
	create) op="create --bundle $work/sleep $id" ;;
	start) op="start $id" ;;
	delete) op="delete $id" ;;
	exec) op="exec $id /bin/true" ;;
	esac
	echo 0 >"$work/counter-$phase-$name"
	cat >"$work/bin/$phase-$name" <<EOF
#!/bin/sh
read n <"$work/counter-$phase-$name"
exec $path --root $work/state/$name $op
EOF
	chmod +x "$work/bin/$phase-$name"
}

# After all the runs of one subject: its leftovers of this phase.
cat >"$work/bin/cleanup" <<EOF
#!/bin/bash
. "$BENCH_DIR/lib.sh"
while read -r name path; do
	bench_cleanup_runtime "\$path" "$work/state/\$name" "$prefix\$name-\${1:0:1}-"
done <"$work/runtimes"
EOF
chmod +x "$work/bin/cleanup"

# A trial of the whole sequence; a runtime that fails it is skipped.
trial() {
	local name=$1 path=$2 id=${prefix}$1-trial i
	local rt=("$path" --root "$work/state/$name")
	"${rt[@]}" create --bundle "$work/sleep" "$id" &&
		"${rt[@]}" start "$id" &&
		"${rt[@]}" exec "$id" /bin/true &&
		"${rt[@]}" kill "$id" KILL || return 1
	for ((i = 0; i < 1000; i++)); do
		case $("${rt[@]}" state "$id") in
		*'"stopped"'*) "${rt[@]}" delete "$id"; return ;;
		esac
		sleep 0.01
	done
	return 1
}
while read -r name path; do
	mkdir -p "$work/state/$name"
	if trial "$name" "$path" </dev/null >"$work/log-$name" 2>&1; then
		echo "$name $path"
	else
		bench_log "skipping $name: create/start/exec/kill/delete failed: $(tail -2 "$work/log-$name")"
	fi
	bench_cleanup_runtime "$path" "$work/state/$name" "$prefix"
done <"$work/runtimes" >"$work/runtimes.ok"
mv "$work/runtimes.ok" "$work/runtimes"
[ -s "$work/runtimes" ] || bench_die "no runtime to measure"

bench_log "$BENCH_NS_NOTE"
bench_log "runs=$RUNS warmup=$WARMUP"
for phase in $PHASES; do
	args=()
	while read -r name path; do
		mkwrapper "$phase" "$name" "$path"
		args+=(--prepare "$work/bin/prep $phase $name $path" -n "$name" "$work/bin/$phase-$name")
	done <"$work/runtimes"
	bench_log "phase: $phase"
	hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
		--cleanup "$work/bin/cleanup $phase" --export-json "$work/hyperfine-$phase.json" \
		"${args[@]}" >&2 ||
		bench_die "hyperfine failed in phase $phase; runtime logs: $(tail -n 3 "$work"/log-* 2>/dev/null)"
	"$work/bin/cleanup" "$phase"
done

mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/split-$(bench_date).json
jq -n --argjson host "$(bench_host_json)" --argjson runs "$RUNS" --argjson warmup "$WARMUP" \
	--slurpfile create "$work/hyperfine-create.json" --slurpfile start "$work/hyperfine-start.json" \
	--slurpfile delete "$work/hyperfine-delete.json" --slurpfile exec "$work/hyperfine-exec.json" '
	{create: $create[0], start: $start[0], delete: $delete[0], exec: $exec[0]} as $hf |
	def ratio($m; $by): if $m[$by] then . / $m[$by] else null end;
	[["create", "start", "delete", "exec"][] as $p | $hf[$p].results |
	 (map({key: .command, value: .median}) | from_entries) as $med |
	 .[] | {
	   phase: $p, subject: .command,
	   median_ms: (.median * 1000), mean_ms: (.mean * 1000), stddev_ms: (.stddev * 1000),
	   min_ms: (.min * 1000), max_ms: (.max * 1000),
	   ratio_to_crun: (.median | ratio($med; "crun")),
	   ratio_to_runc: (.median | ratio($med; "runc"))
	 }] as $summary |
	($summary | map(select(.phase != "exec")) | group_by(.subject) |
	 map({key: .[0].subject, value: (map(.median_ms) | add)}) | from_entries) as $sum |
	[$summary[] | select(.phase == "create") | .subject] as $order |
	{
	  benchmark: "split: RUNTIME create / start / delete of /bin/sleep 1000 and RUNTIME exec ID /bin/true into a running container (busybox rootfs, default spec)",
	  method: "one hyperfine invocation per phase; the state each timed command needs is made by an untimed --prepare hook: start is timed on a container just created; delete (without -f) on a container created, started, sent SIGKILL and reported stopped by state; exec into one running container per runtime",
	  host: $host, runs: $runs, warmup: $warmup,
	  summary: $summary,
	  create_start_delete: [$order[] | {
	    subject: ., sum_of_medians_ms: $sum[.],
	    ratio_to_crun: ($sum[.] | ratio($sum; "crun")),
	    ratio_to_runc: ($sum[.] | ratio($sum; "runc"))
	  }],
	  hyperfine: $hf
	}' >"$out"

printf '\n%-8s %-8s %10s %10s %10s %9s %9s\n' phase subject median_ms mean_ms stddev_ms vs_crun vs_runc
fmt() { [ "$1" = - ] && echo - || printf "%.${2}f" "$1"; }
jq -r '(.summary[] | [.phase, .subject, .median_ms, .mean_ms, .stddev_ms, .ratio_to_crun, .ratio_to_runc]),
	(.create_start_delete[] | ["c+s+d", .subject, .sum_of_medians_ms, null, null, .ratio_to_crun, .ratio_to_runc])
	| map(if . == null then "-" else . end) | @tsv' "$out" |
	while IFS=$'\t' read -r p s med mean sd rc rr; do
		printf '%-8s %-8s %10s %10s %10s %9s %9s\n' "$p" "$s" "$(fmt "$med" 2)" "$(fmt "$mean" 2)" \
			"$(fmt "$sd" 2)" "$(fmt "$rc" 2)" "$(fmt "$rr" 2)"
	done
echo "(c+s+d: sum of the create, start and delete medians; $BENCH_NS_NOTE)"
echo "results: $out"
