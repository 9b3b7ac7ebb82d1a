#!/usr/bin/env bats
# shellcheck shell=bash source-path=SCRIPTDIR
# dockerd (Debian's docker.io 20.10) with an OCI runtime registered as "hull": RUNTIME
# (default build/hull-runtime; RUNTIME=/usr/sbin/runc for the reference run). The daemon
# is private to the file (tests/integration/lib/docker-env.sh): its own socket, data and
# exec roots, containerd, cgroup parent, no host networking; the busybox image (with the
# static test payload) is loaded offline with `docker load`.

bats_require_minimum_version 1.5.0

# bats 1.8 cannot skip from setup_file: it records why, and setup() skips.
setup_file() {
	source "$BATS_TEST_DIRNAME/lib/docker-env.sh"
	local rt
	rt=$(docker_env_runtime)
	if [ "$(id -u)" != 0 ]; then
		export DOCKER_SKIP="needs root"
	elif ! command -v dockerd >/dev/null || [ -z "$DOCKER_BIN" ]; then
		export DOCKER_SKIP="dockerd is not installed (apt-get install docker.io)"
	elif [ -z "$rt" ] || [ ! -x "$rt" ]; then
		export DOCKER_SKIP="runtime ${RUNTIME:-build/hull-runtime} not found (set RUNTIME)"
	else
		docker_env_setup
	fi
}

teardown_file() {
	source "$BATS_TEST_DIRNAME/lib/docker-env.sh"
	docker_env_teardown
}

setup() {
	[ -z "${DOCKER_SKIP:-}" ] || skip "$DOCKER_SKIP"
	source "$BATS_TEST_DIRNAME/lib/docker-env.sh"
}

# Every test removes its containers, so that a failing test does not make the next ones
# (or the leak check) fail too.
teardown() {
	[ -z "${DOCKER_SKIP:-}" ] || return 0
	local ids
	ids=$(docker_cmd ps -aq 2>/dev/null)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || docker_cmd rm -f $ids >/dev/null 2>&1
	return 0
}

# drun ARGS...: docker run with the runtime under test and no network.
drun() {
	docker_cmd run --runtime hull --network none "$@"
}

@test "docker run --rm --runtime hull: output and exit status" {
	run -0 drun --rm "$DOCKER_IMAGE" echo hi
	[ "$output" = hi ]
	run -3 drun --rm "$DOCKER_IMAGE" sh -c 'echo out; echo err >&2; exit 3'
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	run -0 drun --rm "$DOCKER_IMAGE" sh -c 'echo $$; hostname; test -x /payload && echo payload'
	[ "${lines[0]}" = 1 ]
	[ -n "${lines[1]}" ]
	[ "${lines[2]}" = payload ]
	# Docker's default capability set (14 capabilities, no CAP_SYS_ADMIN), as set by the
	# runtime from the spec dockerd wrote.
	run -0 drun --rm "$DOCKER_IMAGE" /payload caps
	[[ "$output" == *eff=00000000a80425fb* ]]
	[[ "$output" == *bnd=00000000a80425fb* ]]
}

@test "docker run -t: the container gets a terminal" {
	command -v script >/dev/null || skip "script(1) is not installed (util-linux)"
	local cmd
	cmd=$(printf '%q ' env DOCKER_CONFIG="$DOCKER_ENV_DIR/cli" "$DOCKER_BIN" \
		-H "unix://$DOCKER_ENV_DIR/docker.sock" run --rm -t --runtime hull --network none \
		"$DOCKER_IMAGE" sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-ttys; exit 5')
	run -5 timeout 60 script -qec "$cmd" /dev/null </dev/null
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *all-ttys* ]]
}

@test "docker run -d, exec, stop, rm" {
	local id pid
	# The shell exits 0 on SIGTERM: a graceful stop shows as exit code 0 (137 would mean
	# docker had to fall back to SIGKILL).
	id=$(drun -d "$DOCKER_IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait')
	[ -n "$id" ]
	run -0 docker_cmd inspect --format '{{.State.Status}} {{.State.Pid}}' "$id"
	[ "${output%% *}" = running ]
	pid=${output##* }
	# The shim created it with the runtime under test: its state is there, same pid.
	run -0 docker_env_rt "$id" state "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$pid" ]
	# The process's start time (field 22 of /proc/PID/stat; the fields after the command
	# name in parentheses): after rm, PID is gone or belongs to a newer process.
	local started
	started=$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f20)
	[ -n "$started" ]

	run -0 docker_cmd exec "$id" sh -c 'echo hello from exec; tr "\0" " " </proc/1/cmdline'
	[ "${lines[0]}" = "hello from exec" ]
	[[ "${lines[1]}" == *trap* ]]
	run -4 docker_cmd exec "$id" sh -c 'exit 4'
	run -0 docker_cmd exec -u 1000 "$id" id -u
	[ "$output" = 1000 ]
	run ! docker_cmd exec "$id" /no/such/binary

	run -0 docker_cmd stop -t 10 "$id"
	run -0 docker_cmd inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
	[ "$output" = "exited 0" ]
	run -0 docker_cmd rm "$id"
	run -0 docker_cmd ps -aq --no-trunc
	[[ "$output" != *"$id"* ]]
	[ ! -e "/proc/$pid" ] || [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20)" != "$started" ]
}

@test "docker run --memory 64m: the limit is in the container's cgroup" {
	run -0 drun --rm --memory 64m "$DOCKER_IMAGE" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	[ "$output" = 67108864 ]

	local id pid
	id=$(drun -d --memory 64m --pids-limit 50 "$DOCKER_IMAGE" sleep 1000)
	pid=$(docker_cmd inspect --format '{{.State.Pid}}' "$id")
	[ "$pid" -gt 0 ]
	if [ -d /sys/fs/cgroup/memory ]; then
		run -0 cgroup_file "$pid" memory memory.limit_in_bytes
	else
		run -0 cgroup_file "$pid" memory memory.max
	fi
	[ "$output" = 67108864 ]
	run -0 cgroup_file "$pid" pids pids.max
	[ "$output" = 50 ]
	# Under dockerd's cgroup parent.
	grep -q "$DOCKER_CGROUP_PARENT/$id" "/proc/$pid/cgroup"
	run -0 docker_cmd rm -f "$id"
}

@test "docker pause, unpause, top, stats" {
	local id
	id=$(drun -d "$DOCKER_IMAGE" sh -c 'sleep 1000 & wait')
	run -0 docker_cmd top "$id"
	[[ "$output" == *"sleep 1000"* ]]
	run -0 docker_cmd pause "$id"
	run -0 docker_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = paused ]
	[ "$(docker_env_rt "$id" state "$id" | jq -r .status)" = paused ]
	run -0 docker_cmd unpause "$id"
	run -0 docker_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 docker_cmd exec "$id" echo alive
	[ "$output" = alive ]
	# dockerd reads the metrics the shim takes from the container's cgroup.
	run -0 docker_cmd stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' "$id"
	[[ "$output" =~ ^[0-9.]+[KMG]i?B\ /\ .*\ [0-9]+$ ]]
	[[ "$output" != 0B* ]]
	[ "${output##* }" -ge 2 ]
	run -0 docker_cmd rm -f "$id"
}

@test "docker run --memory 32m: an OOM kill is reported (exit 137, OOMKilled)" {
	local id
	id=$(drun -d --memory 32m "$DOCKER_IMAGE" /payload hog 100)
	run -0 docker_cmd wait "$id"
	[ "$output" = 137 ]
	run -0 docker_cmd inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' "$id"
	[ "$output" = "true 137" ]
	run -0 docker_cmd rm "$id"
}

@test "containers run by dockerd leave nothing behind" {
	run -0 drun --rm "$DOCKER_IMAGE" true
	local id
	id=$(drun -d "$DOCKER_IMAGE" sleep 1000)
	run -0 docker_cmd rm -f "$id"
	run -0 docker_env_leaks
	[ -z "$output" ]
}

# Issue 19 §4: dockerd (through containerd) creates, then starts, under Docker's default
# seccomp profile: a non-root user, with supplementary groups, gets through the exec fifo.
@test "docker run -u 1000:1000: create + start as a non-root user, with groups" {
	run -0 drun --rm -u 1000:1000 "$DOCKER_IMAGE" /payload ids
	[[ "$output" == *uid=1000* ]]
	[[ "$output" == *gid=1000* ]]
	run -0 drun --rm -u 1000:1000 --group-add 10 --group-add 2000 "$DOCKER_IMAGE" /payload ids
	echo "$output"
	# Docker lists the primary gid among the supplementary ones too.
	[[ "$(sed -n 's/^groups=//p' <<<"$output" | tr , '\n' | sort -n | tr '\n' ' ')" == "10 1000 2000 " ]]
	run -0 drun --rm -u 1000:1000 "$DOCKER_IMAGE" /payload seccomp
	[ "$output" = 2 ]
}
