#!/bin/bash
# Show what a container is, with an OCI runtime and a busybox rootfs.
#
#   scripts/demo.sh [RUNTIME]      (default: build/hull-runtime; e.g. runc)
#
# Steps: install the demo packages, build build/demo/rootfs (busybox + stress),
# then run one container per check and compare what it sees with the host:
# hostname, processes, mounts, network devices, and a memory limit that
# OOM-kills stress at 100 MiB but lets it finish at 300 MiB. Every container is
# deleted on exit, even on failure or Ctrl-C. Exits non-zero if any check fails.
set -u

cd "$(dirname "$0")/.." || exit 1

runtime=${1:-build/hull-runtime}
case "$runtime" in
*/*) [ -x "$runtime" ] || { echo "demo: $runtime not found; build it first (make) or pass a runtime, e.g. scripts/demo.sh runc" >&2; exit 1; } ;;
*) command -v "$runtime" >/dev/null || { echo "demo: $runtime not found in PATH" >&2; exit 1; } ;;
esac
[ "$(id -u)" = 0 ] || { echo "demo: must run as root" >&2; exit 1; }

prefix="demo-$$"
bundles=build/demo/bundles
rootfs=build/demo/rootfs
ids=()
checks=0
failed=0

# --- output helpers ---------------------------------------------------------

heading() { printf '\n== %s ==\n' "$*"; }

# Prints WHERE$ ARGS... as one would type it (single-quoting where needed).
show_cmd() {
	local where=$1 arg line=""
	shift
	for arg in "$@"; do
		if [[ $arg =~ ^[A-Za-z0-9_./=:,+%@-]+$ ]]; then
			line+=" $arg"
		else
			line+=" '${arg//\'/\'\\\'\'}'"
		fi
	done
	printf '%-9s$%s\n' "$where" "$line"
}
indent() { sed 's/^/    /'; }

check() { # check DESCRIPTION COMMAND...
	checks=$((checks + 1))
	if "${@:2}"; then
		printf 'PASS: %s\n' "$1"
	else
		printf 'FAIL: %s\n' "$1"
		failed=$((failed + 1))
	fi
}

# --- containers -------------------------------------------------------------

cleanup() {
	local rc=$? id leftovers
	for id in "${ids[@]}"; do
		"$runtime" delete -f "$id" >/dev/null 2>&1
		rm -rf "${bundles:?}/$id"
	done
	rmdir "$bundles" 2>/dev/null
	leftovers=$("$runtime" list 2>/dev/null | awk -v p="$prefix-" 'NR > 1 && index($1, p) == 1 { print $1 }')
	leftovers+=${leftovers:+$'\n'}$(find /sys/fs/cgroup -maxdepth 6 -type d -name "$prefix-*" 2>/dev/null)
	if [ -n "$leftovers" ]; then
		printf '\nFAIL: left behind after cleanup:\n%s\n' "$leftovers" >&2
		rc=1
	elif [ "${#ids[@]}" -gt 0 ]; then
		printf 'cleanup: deleted %d containers (%s-*); no state or cgroups left behind\n' "${#ids[@]}" "$prefix"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# run_container NAME JQ_FILTER ARG...: runs ARGs in a new container whose
# config.json is the runtime's default spec edited by JQ_FILTER. Shows the
# command, leaves its output in $out and its exit status in $status.
run_container() {
	local id="$prefix-$1" filter=$2 args
	shift 2
	ids+=("$id")
	args=$(printf '%s\n' "$@" | jq -R . | jq -cs .)
	ARGS=$args CONFIG_JQ=$filter tests/helpers/mkbundle.sh "$bundles/$id" "$rootfs" "$runtime" >/dev/null ||
		{ echo "demo: cannot create bundle $bundles/$id" >&2; exit 1; }
	[ "$filter" = . ] || printf '  (config.json: %s)\n' "$filter"
	show_cmd container "$@"
	printf '  (%s run --bundle %s %s)\n' "$runtime" "$bundles/$id" "$id"
	out=$("$runtime" run --bundle "$bundles/$id" "$id" </dev/null 2>&1)
	status=$?
	[ -z "$out" ] || printf '%s\n' "$out" | indent
	printf '    [exit status %d]\n' "$status"
}

run_host() {
	show_cmd host "$@"
	out=$("$@" 2>&1)
	printf '%s\n' "$out" | indent
}

# --- setup --------------------------------------------------------------------

heading "Setup"
scripts/install-deps.sh demo || exit 1
show_cmd host tests/helpers/mkrootfs.sh "$rootfs" --with-stress
tests/helpers/mkrootfs.sh "$rootfs" --with-stress || exit 1
echo "    busybox rootfs with stress: $(du -sh "$rootfs" | cut -f1)"
mkdir -p "$bundles"

# --- 1. isolation ---------------------------------------------------------------

heading "1. Hostname (UTS namespace)"
run_host uname -n
host_name=$out
run_container hostname '.hostname = "hull-demo"' hostname
check "the container has its own hostname (hull-demo, host: $host_name)" \
	test "$status" = 0 -a "$out" = hull-demo -a "$out" != "$host_name"

heading "2. Processes (PID namespace)"
run_host sh -c 'ls -d /proc/[0-9]* | wc -l'
host_procs=$out
# "; true" keeps the shell alive: busybox sh would otherwise exec ps directly.
run_container ps . sh -c 'ps; true'
pid1=$(printf '%s\n' "$out" | awk '$1 == 1 { print $3 }')
nprocs=$(printf '%s\n' "$out" | awk 'NR > 1' | wc -l)
check "the shell is PID 1 in the container and it sees $nprocs processes (host: $host_procs)" \
	test "$status" = 0 -a "$pid1" = sh -a "$nprocs" = 2

heading "3. Mounts (mount namespace)"
run_host sh -c 'readlink /proc/self/ns/mnt; wc -l </proc/self/mountinfo'
host_mnt=$(head -1 <<<"$out")
run_container mounts . sh -c 'readlink /proc/self/ns/mnt; wc -l </proc/self/mountinfo; mount'
ctr_mnt=$(head -1 <<<"$out")
check "the container has its own mount table ($ctr_mnt, host: $host_mnt)" \
	test "$status" = 0 -a -n "$ctr_mnt" -a "$ctr_mnt" != "$host_mnt"

heading "4. Network (network namespace)"
run_host ls /sys/class/net
host_nets=$(tr '\n' ' ' <<<"$out")
run_container net . sh -c 'ls /sys/class/net; ip link'
ctr_nets=$(head -1 <<<"$out")
check "the container sees only lo (host: $host_nets)" \
	test "$status" = 0 -a "$ctr_nets" = lo

# --- 2. memory limit -------------------------------------------------------------

# Without swap accounting a process over its limit would be swapped out instead
# of killed; forbid swap where the host has some.
memory_filter() {
	local bytes=$(($1 * 1024 * 1024))
	if [ "$(wc -l </proc/swaps)" -gt 1 ]; then
		echo ".linux.resources.memory = {\"limit\": $bytes, \"swap\": $bytes}"
	else
		echo ".linux.resources.memory = {\"limit\": $bytes}"
	fi
}

heading "5. Memory limit 100 MiB: stress wants 200 MiB (cgroup memory controller)"
run_container oom "$(memory_filter 100)" stress --vm-bytes 200m --vm-keep -m 1 --timeout 10s
# shellcheck disable=SC2016 # expanded by eval, when check runs it
check "stress's worker is OOM-killed (signal 9) and stress fails" \
	eval '[ "$status" != 0 ] && grep -q "got signal 9" <<<"$out"'

heading "6. Memory limit 300 MiB: stress wants 200 MiB"
run_container fits "$(memory_filter 300)" stress --vm-bytes 200m --vm-keep -m 1 --timeout 3s
# shellcheck disable=SC2016 # expanded by eval, when check runs it
check "stress keeps its 200 MiB until its 3 s timeout and succeeds" \
	eval '[ "$status" = 0 ] && grep -q "successful run completed" <<<"$out"'

# --- summary -----------------------------------------------------------------------

heading "Summary"
if [ "$failed" = 0 ]; then
	echo "demo: all $checks checks passed with $runtime"
else
	echo "demo: $failed of $checks checks FAILED with $runtime"
	exit 1
fi
