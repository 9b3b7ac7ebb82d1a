#!/bin/bash
# The engine's operations on a running container, which used to fork+exec hull-runtime
# each and now call the runtime library in-process (issue 15): `hull exec CTR true`,
# `hull kill CTR` and `hull rm -f CTR`; and the lifecycle around them: `run -d`, `stop -t 0`
# and `start` (hyperfine, RUNS runs after WARMUP). BEFORE=other/hull
# measures another build in the same hyperfine runs, on the same store (its hull-runtime,
# if it executes one, next to it): e.g. a build of the commit before the change.
#
# Environment: RUNS (20), WARMUP (2), HULL (build/hull), BEFORE (none),
# BENCH_RESULTS_DIR (bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-20}
WARMUP=${WARMUP:-2}
HULL_BIN=$(readlink -f "${HULL:-$REPO_DIR/build/hull}")

bench_need_root
bench_own_netns "$@"
bench_need_cmd hyperfine
bench_need_cmd jq
[ -x "$HULL_BIN" ] || bench_die "no $HULL_BIN (make build)"
archive=$REPO_DIR/build/busybox-image.tar
"$REPO_DIR/scripts/busybox-image.sh" -o "$archive" >/dev/null || bench_die "cannot build $archive"

# Short: RUNROOT/containers/<64 hex>/attach.sock must fit in a socket address (108 bytes).
work=$(mktemp -d /tmp/hbo.XXXXXX)
H="$HULL_BIN --root $work/s --runroot $work/r"
B=
[ -z "${BEFORE:-}" ] || B="$(readlink -f "$BEFORE") --root $work/s --runroot $work/r"

cleanup() {
	set +e
	local ids
	ids=$($H ps -aq --no-trunc 2>/dev/null)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || $H rm -f $ids >/dev/null 2>&1
	grep -q " $work/" /proc/self/mountinfo && awk -v d="$work/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

$H load -i "$archive" >/dev/null || bench_die "hull load failed"
$H run -d --name ex busybox sleep 100000 >/dev/null || bench_die "hull run -d failed"
$H exec ex true || bench_die "hull exec ex true failed"

mkdir -p "$BENCH_RESULTS_DIR"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
bench_log "hull: $HULL_BIN${BEFORE:+, before: $BEFORE}; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
# Each operation in one hyperfine run for both builds (the same conditions on a machine
# whose load changes by the minute). The containers are made by HULL before every run
# (not timed): kill's is made again (sleep as pid 1 ignores SIGTERM: KILL), rm -f's is a
# running one.
# PREPARE may name the build with @H@: it is then each build's own (a container stopped or
# started by a build is that build's monitor's).
op() { # NAME PREPARE ARGS...
	local name=$1 prep=$2 cmds=() preps=()
	shift 2
	cmds+=(-n "$name" "$H $*")
	preps+=(--prepare "${prep//@H@/$H}")
	if [ -n "$B" ]; then
		cmds+=(-n "$name (before)" "$B $*")
		[[ "$prep" != *@H@* ]] || preps+=(--prepare "${prep//@H@/$B}")
	fi
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" "${preps[@]}" \
		--export-json "$BENCH_RESULTS_DIR/engine-ops-$name-$stamp.json" "${cmds[@]}" >/dev/null
	jq -r '.results[] | "\(.command)\tmedian \(.median * 1000 | floor) ms\tmean \(.mean * 1000 | floor) ms\tuser \(.user * 1000 | floor) ms\tsys \(.system * 1000 | floor) ms"' \
		"$BENCH_RESULTS_DIR/engine-ops-$name-$stamp.json"
}
op exec true exec ex true
op kill "sh -c '$H rm -f k >/dev/null 2>&1; $H run -d --name k busybox sleep 100000 >/dev/null'" kill k
op rm "sh -c '$H run -d --name r busybox sleep 100000 >/dev/null'" rm -f r
op run-d "sh -c '$H rm -f d >/dev/null 2>&1; true'" run -d --name d busybox sleep 100000
# stop waits for the monitor's end, its teardown included.
op stop "sh -c '@H@ rm -f s >/dev/null 2>&1; @H@ run -d --name s busybox sleep 100000 >/dev/null'" stop -t 0 s
op start "sh -c '@H@ stop -t 0 st >/dev/null 2>&1 || @H@ create --name st busybox sleep 100000 >/dev/null'" start st
bench_log "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
