#!/usr/bin/env bats
# shellcheck shell=bash source-path=SCRIPTDIR
# Podman driving an OCI runtime: RUNTIME (default build/hull-runtime; e.g.
# RUNTIME=runc or RUNTIME=/usr/sbin/runc for the reference).  Podman runs in an
# isolated environment (tests/integration/lib/podman-env.sh): its own config,
# storage, cgroup parent, no network, a busybox image imported offline.

bats_require_minimum_version 1.5.0

# bats 1.8 cannot skip from setup_file: it records why, and setup() skips.
setup_file() {
	source "$BATS_TEST_DIRNAME/lib/podman-env.sh"
	local rt
	rt=$(podman_env_runtime)
	if [ "$(id -u)" != 0 ]; then
		export PODMAN_SKIP="needs root"
	elif ! command -v podman >/dev/null; then
		export PODMAN_SKIP="podman is not installed"
	elif [ -z "$rt" ] || [ ! -x "$rt" ]; then
		export PODMAN_SKIP="runtime ${RUNTIME:-build/hull-runtime} not found (set RUNTIME)"
	else
		podman_env_setup
	fi
}

teardown_file() {
	source "$BATS_TEST_DIRNAME/lib/podman-env.sh"
	podman_env_teardown
}

setup() {
	[ -z "${PODMAN_SKIP:-}" ] || skip "$PODMAN_SKIP"
	source "$BATS_TEST_DIRNAME/lib/podman-env.sh"
}

# cgroup_file ID CONTROLLER FILE: prints FILE of the running container's
# cgroup for CONTROLLER, as seen from the host (v1 hierarchy or v2).
cgroup_file() {
	local pid path
	pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$1")
	[ "$pid" -gt 0 ] || return 1
	path=$(awk -F: -v c="$2" '$2 == c { print $3 }' "/proc/$pid/cgroup")
	if [ -n "$path" ]; then
		cat "/sys/fs/cgroup/$2$path/$3"
	else
		path=$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
		cat "/sys/fs/cgroup$path/$3"
	fi
}

@test "podman run true exits 0" {
	run -0 podman_cmd run --rm "$PODMAN_IMAGE" true
}

@test "podman run passes the exit status through" {
	run -3 podman_cmd run --rm "$PODMAN_IMAGE" sh -c 'exit 3'
}

@test "podman run: /etc/hostname matches the container's hostname" {
	run -0 podman_cmd run --rm "$PODMAN_IMAGE" sh -c 'cat /etc/hostname; echo; hostname'
	[ "${#lines[@]}" -eq 2 ]
	[ -n "${lines[0]}" ]
	[ "${lines[0]}" = "${lines[1]}" ]
	run -0 podman_cmd run --rm --hostname hull-box "$PODMAN_IMAGE" cat /etc/hostname
	[[ "$output" == hull-box* ]]
}

@test "podman run -t gives the container a terminal" {
	# script(1) provides the pty podman needs for -t.
	run -0 script -qec "$(podman_cmd_line run --rm -t "$PODMAN_IMAGE" \
		sh -c 'tty; stty -g && [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys')" /dev/null
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" =~ [0-9a-f]+:[0-9a-f]+:[0-9a-f]+ ]] # tcgetattr works on it
	[[ "$output" == *all-ttys* ]]
	[[ "$output" == *$'\r\n'* ]] # the pty's onlcr turned \n into \r\n
	run -5 script -qec "$(podman_cmd_line run --rm -t "$PODMAN_IMAGE" sh -c 'exit 5')" /dev/null
}

@test "podman run -d, exec, stop, rm" {
	local id
	# The shell exits 0 on SIGTERM, so a graceful stop is visible in the
	# exit code (137 would mean podman had to fall back to SIGKILL).
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait')
	[ -n "$id" ]
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]

	run -0 podman_cmd exec "$id" sh -c 'echo hello from exec; cat /proc/1/cmdline | tr "\0" " "'
	[[ "$output" == *"hello from exec"* ]]
	[[ "$output" == *"trap"* ]]
	run -4 podman_cmd exec "$id" sh -c 'exit 4'

	run -0 podman_cmd stop -t 10 "$id"
	run -0 podman_cmd inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
	[ "$output" = "exited 0" ]

	run -0 podman_cmd rm "$id"
	run -0 podman_cmd ps -aq --no-trunc
	[[ "$output" != *"$id"* ]]
	run ! "$(podman_env_runtime)" state "$id"
}

@test "podman run --memory 64m sets the memory cgroup limit" {
	run -0 podman_cmd run --rm --memory 64m "$PODMAN_IMAGE" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	[ "$output" = 67108864 ]

	local id
	id=$(podman_cmd run -d --memory 64m "$PODMAN_IMAGE" sleep 1000)
	run -0 cgroup_file "$id" memory memory.limit_in_bytes
	if [ ! -d /sys/fs/cgroup/memory ]; then
		run -0 cgroup_file "$id" memory memory.max
	fi
	[ "$output" = 67108864 ]
	run -0 podman_cmd rm -f -t 0 "$id"
}

@test "podman run --pids-limit 50 sets and enforces the pids limit" {
	run -0 podman_cmd run --rm --pids-limit 50 "$PODMAN_IMAGE" sh -c \
		'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
	[ "$output" = 50 ]

	local id
	id=$(podman_cmd run -d --pids-limit 50 "$PODMAN_IMAGE" sleep 1000)
	run -0 cgroup_file "$id" pids pids.max
	[ "$output" = 50 ]
	run -0 podman_cmd rm -f -t 0 "$id"

	# 60 background sleeps cannot all fork.
	# shellcheck disable=SC2016 # expanded by the container's shell
	run podman_cmd run --rm --pids-limit 50 "$PODMAN_IMAGE" sh -c \
		'i=0; while [ $i -lt 60 ]; do sleep 3 & i=$((i + 1)); done; echo forked-all'
	[[ "$output" != *forked-all* ]]
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "nothing is left behind once podman removed the containers" {
	run -0 podman_cmd rm -af -t 0
	run -0 podman_env_leaks
	[ -z "$output" ]
}
