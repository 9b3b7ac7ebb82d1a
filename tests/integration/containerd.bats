#!/usr/bin/env bats
# shellcheck shell=bash source-path=SCRIPTDIR
# containerd (Debian's 1.6) with the runc v2 shim pointed at an OCI runtime: RUNTIME
# (default build/hull-runtime; RUNTIME=/usr/sbin/runc for the reference run). The daemon
# is private to the file (tests/integration/lib/containerd-env.sh): its own config, root,
# state, sockets, containerd namespace and cgroup parent; the busybox image (with the
# static test payload) is imported offline from an OCI archive.

bats_require_minimum_version 1.5.0

# bats 1.8 cannot skip from setup_file: it records why, and setup() skips.
setup_file() {
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	local rt
	rt=$(ctrd_env_runtime)
	if [ "$(id -u)" != 0 ]; then
		export CTRD_SKIP="needs root"
	elif ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
		! command -v containerd-shim-runc-v2 >/dev/null; then
		export CTRD_SKIP="containerd is not installed (apt-get install containerd)"
	elif [ -z "$rt" ] || [ ! -x "$rt" ]; then
		export CTRD_SKIP="runtime ${RUNTIME:-build/hull-runtime} not found (set RUNTIME)"
	else
		ctrd_env_setup
	fi
}

teardown_file() {
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	ctrd_env_teardown
}

setup() {
	[ -z "${CTRD_SKIP:-}" ] || skip "$CTRD_SKIP"
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	ID=c$BATS_TEST_NUMBER
	EVENTS_PID=""
	IMAGE_MOUNT=""
}

# Every test removes its tasks and containers, so that a failing test does not make the
# next ones (or the leak check) fail too.
teardown() {
	[ -z "${CTRD_SKIP:-}" ] || return 0
	if [ -n "$EVENTS_PID" ]; then
		kill "$EVENTS_PID" 2>/dev/null
		wait "$EVENTS_PID" 2>/dev/null
	fi
	local id
	[ -z "${IMAGE_MOUNT:-}" ] || ctrd_ctr images unmount "$IMAGE_MOUNT" >/dev/null 2>&1
	for id in $(ctrd_ctr task ls -q 2>/dev/null); do
		ctrd_ctr task kill -s KILL "$id" >/dev/null 2>&1
		ctrd_ctr task delete -f "$id" >/dev/null 2>&1
	done
	for id in $(ctrd_ctr container ls -q 2>/dev/null); do
		ctrd_ctr container delete "$id" >/dev/null 2>&1
	done
	return 0
}

# rt ARGS...: the runtime under test on the state the shim gave it.
rt() {
	timeout 30 "$(ctrd_env_runtime)" --root "$CTRD_DIR/rt-root/$CTRD_NS" "$@"
}

# task_field ID COLUMN: PID (2) or STATUS (3) of `ctr task ls`.
task_field() {
	ctrd_ctr task ls | awk -v id="$1" -v c="$2" '$1 == id { print $c }'
}

task_status_is() {
	[ "$(task_field "$1" 3)" = "$2" ]
}

# wait_until SECONDS CMD...: polls CMD every 50ms.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# run_d ID ARGS...: a detached container whose shell exits 0 on SIGTERM; waits for RUNNING.
run_d() {
	local id=$1
	shift
	ctrd_run -d --null-io "$@" "$CTRD_IMAGE" "$id" \
		sh -c 'trap "exit 0" TERM; sleep 1000 & wait' </dev/null >/dev/null || return 1
	wait_until 10 task_status_is "$id" RUNNING
}

@test "ctr run: output and exit status of the container's process" {
	run -0 ctrd_run --rm "$CTRD_IMAGE" "$ID" /payload true
	run -0 ctrd_run --rm "$CTRD_IMAGE" "$ID" sh -c 'echo hello from hull; hostname'
	[ "${lines[0]}" = "hello from hull" ]
	run -3 ctrd_run --rm "$CTRD_IMAGE" "$ID" sh -c 'echo out; echo err >&2; exit 3'
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	# The container runs the image's root filesystem in its own pid namespace.
	run -0 ctrd_run --rm "$CTRD_IMAGE" "$ID" sh -c 'echo $$; test -x /payload && echo payload'
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = payload ]
}

@test "ctr run -t: the container gets a terminal through the console socket" {
	command -v script >/dev/null || skip "script(1) is not installed (util-linux)"
	local cmd
	cmd=$(printf '%q ' ctr --address "$CTRD_DIR/containerd.sock" --namespace "$CTRD_NS" \
		run -t --rm --runc-binary "$(ctrd_env_runtime)" --runc-root "$CTRD_DIR/rt-root" \
		--fifo-dir "$CTRD_DIR/fifo" --cgroup "$CTRD_CGROUP_PARENT/$ID" \
		"$CTRD_IMAGE" "$ID" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-ttys; exit 5')
	run -5 timeout 60 script -qec "$cmd" /dev/null </dev/null
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *all-ttys* ]]
}

@test "ctr run -d is managed by the runtime under test; task exec runs in it" {
	run_d "$ID"
	local pid
	pid=$(task_field "$ID" 2)
	[ "$pid" -gt 0 ]
	# The shim created the container with $RUNTIME: its state is there, same pid.
	run -0 rt state "$ID"
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$pid" ]

	run -0 ctrd_ctr task exec --exec-id e1 "$ID" sh -c 'echo hello from exec; tr "\0" " " </proc/1/cmdline'
	[ "${lines[0]}" = "hello from exec" ]
	[[ "${lines[1]}" == *trap* ]]
	run -4 ctrd_ctr task exec --exec-id e2 "$ID" sh -c 'exit 4'
	# The exec'd process shares the container's namespaces.
	run -0 ctrd_ctr task exec --exec-id e3 "$ID" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt'
	[ "${lines[0]}" = "$(readlink "/proc/$pid/ns/pid")" ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/mnt")" ]
	# An exec of a missing binary fails and leaves the container running.
	run ! ctrd_ctr task exec --exec-id e4 "$ID" /no/such/binary
	task_status_is "$ID" RUNNING
}

@test "ctr task ps lists the container's processes" {
	run_d "$ID"
	local pid
	pid=$(task_field "$ID" 2)
	run -0 ctrd_ctr task ps "$ID"
	[[ "$output" == *PID* ]]
	grep -qw "$pid" <<<"$output"
	# sh and its sleep child
	[ "$(grep -cE '^[0-9]+' <<<"$output")" -ge 2 ]
}

@test "ctr task kill + task delete: the exit status, the runtime state is gone" {
	run_d "$ID"
	run -0 ctrd_ctr task kill "$ID"
	wait_until 10 task_status_is "$ID" STOPPED
	run -0 ctrd_ctr task delete "$ID"
	run -0 ctrd_ctr task ls -q
	[[ "$output" != *"$ID"* ]]
	run ! rt state "$ID"
	[[ "$output" == *"does not exist"* ]]
	run -0 ctrd_ctr container delete "$ID"

	# SIGKILL: the task's exit status is 137.
	run_d "$ID"
	run -0 ctrd_ctr task kill -s SIGKILL "$ID"
	wait_until 10 task_status_is "$ID" STOPPED
	# ctr reports a non-zero exit status as a warning (and exits 0).
	run -0 ctrd_ctr task delete "$ID"
	[[ "$output" == *"exit code 137"* ]]
	run -0 ctrd_ctr container delete "$ID"
}

@test "ctr task kill --all and task delete --force of a running task" {
	run_d "$ID"
	run -0 ctrd_ctr task exec --exec-id e1 "$ID" sh -c 'echo exec-done'
	run -0 ctrd_ctr task kill --all -s KILL "$ID"
	wait_until 10 task_status_is "$ID" STOPPED
	# ctr reports a non-zero exit status as a warning (and exits 0).
	run -0 ctrd_ctr task delete "$ID"
	[[ "$output" == *"exit code 137"* ]]
	run -0 ctrd_ctr container delete "$ID"

	run_d "$ID"
	run -0 ctrd_ctr task delete --force "$ID"
	run ! rt state "$ID"
	run -0 ctrd_ctr container delete "$ID"
}

@test "ctr task pause and resume" {
	run_d "$ID"
	local pid
	pid=$(task_field "$ID" 2)
	run -0 ctrd_ctr task pause "$ID"
	wait_until 5 task_status_is "$ID" PAUSED
	[ "$(rt state "$ID" | jq -r .status)" = paused ]
	run -0 cgroup_file "$pid" freezer freezer.state
	[ "$output" = FROZEN ]
	run -0 ctrd_ctr task resume "$ID"
	wait_until 5 task_status_is "$ID" RUNNING
	[ "$(rt state "$ID" | jq -r .status)" = running ]
	run -0 ctrd_ctr task exec --exec-id e1 "$ID" echo alive
	[ "$output" = alive ]
}

@test "ctr task metrics: memory, cpu and pids of the container's cgroup" {
	run_d "$ID" --memory-limit 67108864
	local pid
	pid=$(task_field "$ID" 2)
	run -0 cgroup_file "$pid" memory memory.limit_in_bytes
	[ "$output" = 67108864 ]
	run -0 ctrd_ctr task metrics --format json "$ID"
	local m=$output
	# cgroup v1 (and hybrid) hosts report the v1 metrics type, v2 hosts the v2 one.
	if jq -e '.memory.usage' >/dev/null <<<"$m"; then
		[ "$(jq -r .memory.usage.limit <<<"$m")" = 67108864 ]
		[ "$(jq -r .memory.usage.usage <<<"$m")" -gt 0 ]
		[ "$(jq -r .pids.current <<<"$m")" -ge 2 ]
		[ "$(jq -r .cpu.usage.total <<<"$m")" -gt 0 ]
	else
		[ "$(jq -r .memory.usage_limit <<<"$m")" = 67108864 ]
		[ "$(jq -r .memory.usage <<<"$m")" -gt 0 ]
		[ "$(jq -r .pids.current <<<"$m")" -ge 2 ]
	fi
	run -0 ctrd_ctr task metrics "$ID"
	[[ "$output" == *memory.usage_in_bytes* || "$output" == *memory.usage* ]]

	# The shim's Update (CRI's UpdateContainerResources; ctr 1.6 has no command for it)
	# runs `update --resources -` with the LinuxResources JSON on stdin: do the same.
	run -0 rt update --resources - "$ID" <<<'{"memory":{"limit":134217728},"pids":{"limit":77}}'
	run -0 cgroup_file "$pid" memory memory.limit_in_bytes
	[ "$output" = 134217728 ]
	run -0 cgroup_file "$pid" pids pids.max
	[ "$output" = 77 ]
	run -0 ctrd_ctr task metrics --format json "$ID"
	[[ "$output" == *134217728* ]]
}

@test "the runtime answers the shim with runc's error texts" {
	# containerd's runc shim matches on these substrings of the runtime's error (from its
	# --log JSON): "container not running" and "does not exist" mean the process or the
	# container is already gone (kill, delete), not a failure.
	run_d "$ID"
	run -0 ctrd_ctr task pause "$ID"
	wait_until 5 task_status_is "$ID" PAUSED
	run ! rt start "$ID"
	[[ "$output" == *"cannot start a container in the paused state"* ]]
	run ! rt exec "$ID" true
	[[ "$output" == *"cannot exec in a paused container"* ]]
	run ! rt pause "$ID"
	[[ "$output" == *"container not running"* ]]
	run -0 ctrd_ctr task resume "$ID"
	wait_until 5 task_status_is "$ID" RUNNING
	run ! rt resume "$ID"
	[[ "$output" == *"container not paused"* ]]

	run -0 ctrd_ctr task kill -s KILL "$ID"
	wait_until 10 task_status_is "$ID" STOPPED
	run ! rt kill "$ID" KILL
	[[ "$output" == *"container not running"* ]]
	# kill --all of a stopped container signals what is left in its cgroup: nothing here.
	run -0 rt kill --all "$ID" KILL
	run ! rt pause "$ID"
	[[ "$output" == *"container not running"* ]]
	run ! rt resume "$ID"
	[[ "$output" == *"container not paused"* ]]
	run ! rt exec "$ID" true
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	run ! rt start "$ID"
	[[ "$output" == *"cannot start a container that has stopped"* ]]
	run -0 ctrd_ctr task delete "$ID"
	run ! rt state "$ID"
	[[ "$output" == *"does not exist"* ]]
	run ! rt kill "$ID" KILL
	[[ "$output" == *"does not exist"* ]]
	run -0 ctrd_ctr container delete "$ID"
}

@test "an OOM kill is delivered as a /tasks/oom event" {
	local ev=$BATS_TEST_TMPDIR/events
	# ctr events streams every namespace's events; it holds no bats descriptor.
	ctr --address "$CTRD_DIR/containerd.sock" events >"$ev" 2>&1 </dev/null 3>&- &
	EVENTS_PID=$!
	sleep 0.3
	# 32 MiB limit, the payload touches 100 MiB: the kernel OOM-kills it (exit 137).
	run -137 ctrd_run --rm --memory-limit 33554432 "$CTRD_IMAGE" "$ID" /payload hog 100
	wait_until 10 grep -q "$CTRD_NS /tasks/oom .*\"$ID\"" "$ev"
	grep -q "$CTRD_NS /tasks/exit .*\"$ID\"" "$ev"
	# Under the limit the same payload runs.
	run -0 ctrd_run -d --null-io --memory-limit 67108864 "$CTRD_IMAGE" "$ID-b" /payload hog 16 </dev/null
	wait_until 10 task_status_is "$ID-b" RUNNING
	sleep 0.5
	task_status_is "$ID-b" RUNNING
}

@test "containers started with ctr run leave nothing behind" {
	run -0 ctrd_run --rm "$CTRD_IMAGE" "$ID" /payload true
	run_d "$ID-b"
	run -0 ctrd_ctr task kill -s KILL "$ID-b"
	wait_until 10 task_status_is "$ID-b" STOPPED
	run -0 ctrd_ctr task delete "$ID-b"
	[[ "$output" == *"exit code 137"* ]]
	run -0 ctrd_ctr container delete "$ID-b"
	run -0 ctrd_env_leaks
	[ -z "$output" ]
}

# Issue 19 §4: containerd creates, then starts: the init reopens the exec fifo with the
# process's credentials (before: create exited 0 with a dead init and start failed).
# ctr 1.6 has no --user: the spec comes from `ctr oci spec` with process.user set, and
# without effective capabilities (CAP_DAC_OVERRIDE would open any fifo), as Docker does.
@test "ctr run --config with process.user 1000:1000: create + start as a non-root user" {
	local cfg="$BATS_TEST_TMPDIR/config.json" user root="$BATS_TEST_TMPDIR/rootfs"
	mkdir "$root"
	ctrd_ctr images mount "$CTRD_IMAGE" "$root" >/dev/null
	IMAGE_MOUNT=$root
	for user in '{"uid": 1000, "gid": 1000}' '{"uid": 1000, "gid": 1000, "additionalGids": [10, 2000]}'; do
		ctrd_ctr oci spec | jq --argjson u "$user" '.process.user = $u | .process.args = ["/payload", "ids"]
			| .process.terminal = false | .process.capabilities.effective = [] | .process.capabilities.permitted = []
			| .root = {"path": $r, "readonly": true}' --arg r "$root" >"$cfg"
		run ctrd_run --rm --config "$cfg" "$ID"
		echo "$user: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *uid=1000* ]]
		[[ "$output" == *gid=1000* ]]
		[ "$(sed -n 's/^groups=//p' <<<"$output")" = "$(jq -r '.additionalGids // [] | join(",")' <<<"$user")" ]
	done
}
