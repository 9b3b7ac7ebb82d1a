#!/bin/bash
# The engine's demo: what a container is, told with `hull` commands on the offline busybox
# image (scripts/busybox-image.sh).
#
#   scripts/demo-engine.sh [HULL]     (default: build/hull)
#
# Environment: HULL_ROOT (default /var/lib/hull) and HULL_RUNROOT (default /run/hull), the
# store and state directories; the image is loaded into HULL_ROOT when it is missing.
#
# Steps: run -itd -m 128m and the limit read from the host's memory cgroup; isolation
# (hostname, PID 1, mounts); ps; logs; exec (when this hull has it); stop; a memory hog
# killed by the kernel (OOMKilled true); commit (when this hull has it); rm. Every
# container it made is removed on exit, even on failure or Ctrl-C. Exits non-zero if any
# check fails.
set -u

cd "$(dirname "$0")/.." || exit 1

hull_bin=${1:-build/hull}
[ -x "$hull_bin" ] || { echo "demo: $hull_bin not found; build it first (make build)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: must run as root" >&2; exit 1; }
root=${HULL_ROOT:-/var/lib/hull}
runroot=${HULL_RUNROOT:-/run/hull}
prefix="demo-$$"
checks=0
failed=0
skipped=0

hull() { "$hull_bin" --root "$root" --runroot "$runroot" "$@"; }

heading() { printf '\n== %s ==\n' "$*"; }
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
skip() { printf 'SKIP: %s\n' "$*"; skipped=$((skipped + 1)); }

# show WHERE ARGS...: prints the command as typed, runs it, leaves its output in $out
# and its exit status in $status.
show() {
	local where=$1 arg line=""
	shift
	for arg in "$@"; do
		if [[ $arg =~ ^[A-Za-z0-9_./=:,+%@-]+$ ]]; then line+=" $arg"; else line+=" '${arg//\'/\'\\\'\'}'"; fi
	done
	printf '%-5s$%s\n' "$where" "$line"
	if [ "$where" = host ]; then out=$("$@" 2>&1); else out=$(hull "$@" 2>&1 </dev/null); fi
	status=$?
	[ -z "$out" ] || printf '%s\n' "$out" | indent
}

cleanup() {
	local rc=$? ids left
	ids=$(hull ps -a --format '{{.ID}} {{.Names}}' 2>/dev/null | awk -v p="$prefix-" 'index($2, p) == 1 { print $1 }')
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || hull rm -f $ids >/dev/null 2>&1
	hull rmi "$prefix-committed" >/dev/null 2>&1
	left=$(hull ps -a --format '{{.Names}}' 2>/dev/null | grep "^$prefix-")
	if [ -n "$left" ]; then
		printf '\nFAIL: left behind after cleanup: %s\n' "$left" >&2
		rc=1
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

heading "Setup: the offline busybox image"
if ! hull image inspect busybox >/dev/null 2>&1; then
	scripts/busybox-image.sh -o build/busybox-image.tar --hull "$hull_bin" --root "$root" || exit 1
fi
show hull images busybox

heading "1. run -itd -m 128m: the limit as the host's memory cgroup holds it"
show hull run -itd -m 128m --name "$prefix-web" busybox sh
id=$out
check "run -itd printed the container's id" eval '[ "$status" = 0 ] && [[ "$id" =~ ^[0-9a-f]{64}$ ]]'
if [ -d /sys/fs/cgroup/memory ]; then
	limit_file=/sys/fs/cgroup/memory/hull/$id/memory.limit_in_bytes
else
	limit_file=/sys/fs/cgroup/hull/$id/memory.max
fi
show host cat "$limit_file"
check "the host's cgroup of the container holds 134217728 (128 MiB)" test "$out" = 134217728

heading "2. Isolation: hostname, PID 1, mounts"
show host uname -n
host_name=$out
show hull run --rm busybox hostname
check "the container has its own hostname ($out, host: $host_name)" \
	test "$status" = 0 -a -n "$out" -a "$out" != "$host_name"
# "; true" keeps the shell alive: busybox sh would otherwise exec ps itself.
show hull run --rm busybox sh -c 'ps; true'
pid1=$(printf '%s\n' "$out" | awk '$1 == 1 { print $3 }')
check "the shell is PID 1 in its container (ps shows its own processes only)" \
	test "$status" = 0 -a "$pid1" = sh -a "$(printf '%s\n' "$out" | wc -l)" -le 4
show host readlink /proc/self/ns/mnt
# shellcheck disable=SC2034 # read by the eval of the check below
host_mnt=$out
show hull run --rm busybox sh -c 'readlink /proc/self/ns/mnt; grep " / " /proc/self/mounts'
check "the container has its own mount namespace and an overlay root" \
	eval '[ "$(head -1 <<<"$out")" != "$host_mnt" ] && grep -q "^overlay / overlay" <<<"$out"'

heading "3. ps and logs"
show hull run -d --name "$prefix-log" busybox sh -c 'for i in 1 2 3; do echo "hello $i from $(hostname)"; done; sleep 1000'
sleep 0.5
show hull ps
check "ps lists both running containers" \
	eval 'grep -q "Up .*$prefix-web" <<<"$out" && grep -q "Up .*$prefix-log" <<<"$out"'
show hull logs "$prefix-log"
check "logs shows what the container printed" grep -q "hello 3" <<<"$out"

heading "4. exec: a second process in a running container"
if hull exec --help >/dev/null 2>&1; then
	show hull exec "$prefix-web" sh -c 'echo "pid $$ in $(hostname)"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	check "exec runs inside the container (its hostname)" grep -q "in ${id:0:12}" <<<"$out"
else
	skip "this hull has no exec command yet"
fi

heading "5. stop"
show hull stop -t 1 "$prefix-log"
show hull ps -a --filter "name=$prefix-log" --format '{{.Names}} {{.Status}}'
check "the stopped container is exited" grep -q "Exited" <<<"$out"

heading "6. A memory hog over its 64 MiB limit (dd with a 128 MiB buffer)"
show hull run --name "$prefix-hog" -m 64m busybox dd if=/dev/zero of=/dev/null bs=128M count=1
show hull inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' "$prefix-hog"
check "the kernel killed it: OOMKilled true" eval '[ "${out#* }" = true ]'

heading "7. commit: a container's changes as a new image"
if hull commit --help >/dev/null 2>&1; then
	show hull exec "$prefix-web" sh -c 'echo made in the demo >/greeting'
	show hull commit "$prefix-web" "$prefix-committed"
	show hull run --rm "$prefix-committed" cat /greeting
	check "the committed image has the container's file" test "$out" = "made in the demo"
else
	skip "this hull has no commit command yet"
fi

heading "8. rm"
show hull rm -f "$prefix-web" "$prefix-log" "$prefix-hog"
check "rm -f removed all three" eval '[ "$status" = 0 ] && [ -z "$(hull ps -aq --filter "name=$prefix-")" ]'
check "the memory cgroup is gone with the container" test ! -e "$limit_file"

heading "Summary"
if [ "$failed" = 0 ]; then
	echo "demo: all $checks engine checks passed ($skipped skipped)"
else
	echo "demo: $failed of $checks engine checks FAILED"
	exit 1
fi
