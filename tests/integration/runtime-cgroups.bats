#!/usr/bin/env bats
# cgroups under load: the memory limit against Debian's stress (the project's origin
# scenario), OOM kills and how `events` reports them, `events --stats`, ps of exec'd
# processes, force-deleting a paused container, and `update` rejecting bad values without
# changing anything. runtime-cgroup-basic.bats covers placement and the plain resource files;
# `kill --all` is covered in runtime-lifecycle.bats.

load lib/common

MIB=1048576

# The test rootfs of common.bash has no stress: these tests run on a rootfs built with
# --with-stress (once per bats run, shared by parallel files like the lib's own).
setup_file() {
	common_setup_file || return 1
	[ -x /usr/bin/stress ] || {
		echo "/usr/bin/stress not found (apt-get install stress)" >&2
		return 1
	}
	# common_setup mounts each test's overlay over $ROOTFS.
	ROOTFS=$(shared_rootfs rootfs-stress --with-stress) || return 1
	export ROOTFS
}

is_v2() {
	[ -f /sys/fs/cgroup/cgroup.controllers ]
}

# mem_dir ID: the host directory of the container's memory cgroup (cgroupsPath /ID).
mem_dir() {
	if is_v2; then echo "/sys/fs/cgroup/$1"; else echo "/sys/fs/cgroup/memory/$1"; fi
}

# mem_limit BYTES: cgroupsPath /$CID, memory.limit BYTES and swap limited to the same value
# so that the container cannot swap (v1: memory+swap = limit, when swap accounting exists;
# v2: the runtime turns swap == limit into memory.swap.max 0).
mem_limit() {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	if is_v2 || [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		update_config '.linux.resources.memory = {"limit": $l, "swap": $l}' --argjson l "$1"
	else
		update_config '.linux.resources.memory = {"limit": $l}' --argjson l "$1"
	fi
}

# oom_kills ID: the oom_kill counter of the container's memory cgroup.
oom_kills() {
	local f
	if is_v2; then f="$(mem_dir "$1")/memory.events"; else f="$(mem_dir "$1")/memory.oom_control"; fi
	awk '$1 == "oom_kill" { print $2 }' "$f"
}

# lines_at_least N FILE
lines_at_least() {
	[ "$(wc -l <"$2")" -ge "$1" ]
}

@test "origin scenario: stress 200m under a 100 MiB limit is OOM-killed (limit seen from host and inside)" {
	mem_limit $((100 * MIB))
	payload sleep forever
	run_detached "$CID"
	d=$(mem_dir "$CID")
	if is_v2; then
		[ "$(cat "$d/memory.max")" = $((100 * MIB)) ]
		[ "$(cat "$d/memory.swap.max")" = 0 ]
	else
		[ "$(cat "$d/memory.limit_in_bytes")" = $((100 * MIB)) ]
		if [ -e "$d/memory.memsw.limit_in_bytes" ]; then
			[ "$(cat "$d/memory.memsw.limit_in_bytes")" = $((100 * MIB)) ]
		fi
	fi
	before=$(oom_kills "$CID")

	if ! is_v2; then
		# The default spec mounts the cgroup hierarchies: the container reads its own limit.
		run rt exec "$CID" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
		[ "$status" -eq 0 ]
		[ "$output" = $((100 * MIB)) ]
	fi

	SECONDS=0
	run rt exec "$CID" stress --vm-bytes 200m --vm-keep -m 1 --timeout 10s
	echo "status=$status after ${SECONDS}s: $output"
	[ "$status" -ne 0 ]
	# stress reports its worker's death by signal 9 (the OOM killer), well before --timeout.
	[[ "$output" == *"signal 9"* ]]
	[ "$SECONDS" -lt 10 ]
	[ "$(oom_kills "$CID")" -gt "$before" ]
	# The OOM killer took the hog, not the container's init.
	[ "$(state_field "$CID" .status)" = running ]
}

@test "origin scenario: stress 200m under a 300 MiB limit runs until its timeout and exits 0" {
	mem_limit $((300 * MIB))
	if is_v2; then
		set_args /bin/sh -c 'cat /sys/fs/cgroup/memory.max; exec stress --vm-bytes 200m --vm-keep -m 1 --timeout 3s'
	else
		set_args /bin/sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; exec stress --vm-bytes 200m --vm-keep -m 1 --timeout 3s'
	fi
	SECONDS=0
	run rt_run "$CID"
	echo "status=$status after ${SECONDS}s: $output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $((300 * MIB)) ]
	[[ "$output" == *"successful run completed"* ]]
	[ "$SECONDS" -ge 3 ]
}

@test "a hog as init under 100 MiB: run exits 137, the cgroup recorded the OOM kill" {
	mem_limit $((100 * MIB))
	payload hog 200
	run rt run --keep --bundle "$BUNDLE" "$CID" </dev/null
	echo "status=$status $output"
	[ "$status" -eq 137 ]
	[ "$(state_field "$CID" .status)" = stopped ]
	# Kept: the cgroup is still there to be read until delete.
	[ "$(oom_kills "$CID")" -ge 1 ]
	# events needs a live container, as in runc.
	run rt events --stats "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(_test_cgroups)" ]
}

@test "events reports the OOM kill of the init as {\"type\":\"oom\"} and ends when the container stops" {
	requires_hull "runc 1.1.5's events keeps running after the container stopped"
	mem_limit $((100 * MIB))
	payload hog 200
	# create + start rather than run -d: events must be watching before the hog is killed.
	rt_create "$CID"
	rt events --interval 1m "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	BG_PIDS+=("$ev")
	sleep 0.3
	rt start "$CID"
	wait_status "$CID" stopped
	# events ends on its own (status 0) once the container has stopped.
	wait_until 5 bash -c "! kill -0 $ev 2>/dev/null"
	wait "$ev"
	cat "$BATS_TEST_TMPDIR/events"
	jq -e --arg id "$CID" 'select(.type == "oom") | .id == $id' "$BATS_TEST_TMPDIR/events"
	[ "$(jq -s 'map(select(.type == "oom")) | length' "$BATS_TEST_TMPDIR/events")" -ge 1 ]
}

@test "events --stats of a running container: one stats object in runc's shape" {
	mem_limit $((100 * MIB))
	payload sleep forever
	run_detached "$CID"
	run rt events --stats "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "$output" | jq -e --arg id "$CID" '
		.type == "stats" and .id == $id and
		.data.memory.usage.usage > 0 and .data.memory.usage.limit == 104857600 and
		.data.pids.current >= 1 and
		(.data.cpu.usage.total | type == "number") and
		(.data.blkio == null or (.data.blkio | type == "object"))'
	# As runc (omitempty): a list is left out when it is empty, so no I/O accounting is {}.
	echo "$output" | jq -e '(.data.blkio // {}) | all(.[]; length > 0)'
}

@test "events streams a stats line every --interval and stops with the container" {
	payload sleep forever
	run_detached "$CID"
	rt events --interval 200ms "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	ev=$!
	BG_PIDS+=("$ev")
	wait_until 5 lines_at_least 3 "$BATS_TEST_TMPDIR/events"
	# Every line is a complete JSON object (flushed line by line).
	jq -e --arg id "$CID" 'select(.type == "stats") | .id == $id and .data.pids.current >= 1' \
		"$BATS_TEST_TMPDIR/events" >/dev/null
	rt kill "$CID" KILL
	if is_hull; then
		wait_until 5 bash -c "! kill -0 $ev 2>/dev/null"
		wait "$ev"
	fi
}

@test "events: bad input" {
	run rt events --stats "$CID-nosuch"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	payload sleep forever
	run_detached "$CID"
	for bad in 0s 5x -1s ""; do
		run rt events --interval "$bad" "$CID"
		echo "$bad: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *interval* || "$output" == *duration* ]]
	done
}

@test "ps lists a process started with exec" {
	payload sleep forever
	run_detached "$CID"
	init=$(container_pid "$CID")
	rt_exec_d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" /payload sleep forever
	wait_until 5 test -s "$BATS_TEST_TMPDIR/exec.pid"
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	run rt ps --format json "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson i "$init" --argjson e "$epid" \
		'type == "array" and index($i) != null and index($e) != null'
	run rt ps "$CID"
	[ "$status" -eq 0 ]
	awk 'NR > 1 { print $2 }' <<<"$output" | grep -qx "$epid"
}

@test "delete --force of a paused container kills everything and leaves no cgroup in any hierarchy" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	payload sleep forever
	run_detached "$CID"
	init=$(container_pid "$CID")
	rt_exec_d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" /payload sleep forever
	wait_until 5 test -s "$BATS_TEST_TMPDIR/exec.pid"
	epid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ -n "$(_test_cgroups)" ]
	rt pause "$CID"
	[ "$(state_field "$CID" .status)" = paused ]
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test ! -e "/proc/$init"
	wait_until 5 test ! -e "/proc/$epid"
	[ -z "$(_test_cgroups)" ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "update --cpu-quota below the kernel minimum fails and leaves the quota" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config '.linux.resources.cpu = {"quota": 50000, "period": 100000}'
	payload sleep forever
	run_detached "$CID"
	if is_v2; then f="/sys/fs/cgroup/$CID/cpu.max"; else f="/sys/fs/cgroup/cpu/$CID/cpu.cfs_quota_us"; fi
	before=$(cat "$f")
	run rt update --cpu-quota 500 "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *cpu*quota* || "$output" == *cpu.max* ]]
	[ "$(cat "$f")" = "$before" ]
}

@test "update --memory below the current usage fails and leaves the limit" {
	is_v2 && skip "v2 reclaims down to memory.max instead of refusing it"
	mem_limit $((100 * MIB))
	payload sleep forever
	run_detached "$CID"
	f="/sys/fs/cgroup/memory/$CID/memory.limit_in_bytes"
	[ "$(cat "/sys/fs/cgroup/memory/$CID/memory.usage_in_bytes")" -gt 1024 ]
	run rt update --memory 1k "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	# hull names the file (memory.limit_in_bytes), runc says "memory limit".
	[[ "$output" == *memory.limit* || "$output" == *"memory limit"* ]]
	[ "$(cat "$f")" = $((100 * MIB)) ]
	[ "$(state_field "$CID" .status)" = running ]
}

# start_with_cpuset_file: a running container at cgroupsPath /$CID; $f is the file
# that shows its cpus (cpuset.cpus on v1, cpuset.cpus.effective on v2).
start_with_cpuset_file() {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	payload sleep forever
	run_detached "$CID"
	if is_v2; then f="/sys/fs/cgroup/$CID/cpuset.cpus.effective"; else f="/sys/fs/cgroup/cpuset/$CID/cpuset.cpus"; fi
}

@test "update --cpuset-cpus with a cpu that does not exist fails naming cpuset and the value" {
	start_with_cpuset_file
	before=$(cat "$f")
	run rt update --cpuset-cpus 99 "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *cpuset* ]]
	[[ "$output" == *99* ]]
	[ "$(cat "$f")" = "$before" ]
}

@test "update --cpuset-cpus with a malformed list is refused before anything is written" {
	start_with_cpuset_file
	before=$(cat "$f")
	run rt update --cpuset-cpus 1-0 "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	if is_hull; then [[ "$output" == *'cpu.cpus'*'"1-0"'*descending* ]]; fi
	[ "$(cat "$f")" = "$before" ]
}

@test "update --memory -1 makes the limit unlimited (runc's meaning)" {
	is_v2 && skip "checked as memory.max in the VM"
	mem_limit $((100 * MIB))
	payload sleep forever
	run_detached "$CID"
	run rt update --memory -1 "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "/sys/fs/cgroup/memory/$CID/memory.limit_in_bytes")" -gt $((1 << 40)) ]
}

# The runtime's own footprint during create must fit a tiny limit: the init is in its
# cgroup before it runs container code, so everything it touches then is charged there.
# The process reads the limit of its own cgroup (the container's cgroup mount shows only
# that one), so the test fails if the limit was never written.
@test "a container starts under a 512 KiB memory limit" {
	mem_limit $((512 * 1024))
	if is_v2; then
		payload cat /sys/fs/cgroup/memory.max
	else
		payload cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	fi
	run rt_run "$CID"
	echo "status=$status $output"
	[ "$status" -eq 0 ]
	[ "$output" = $((512 * 1024)) ]
}

@test "unified resources on a host without that file in cgroup v2 are an error naming the key" {
	if is_v2; then
		skip "pure cgroup v2 host: unified keys apply (covered by the VM tests)"
	fi
	update_config '.linux.resources.unified = {"memory.high": "50000000"}'
	payload true
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *memory.high* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
	[ -z "$(_test_cgroups)" ]
}
