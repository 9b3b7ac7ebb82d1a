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
		# Every test below would pass with any runtime: make sure podman runs ours.
		local used
		used=$(podman_cmd info --format '{{.Host.OCIRuntime.Path}}' 2>&1)
		[ "$used" = "$rt" ] || export PODMAN_WRONG_RUNTIME="podman's OCI runtime is '$used', not $rt"
	fi
}

teardown_file() {
	source "$BATS_TEST_DIRNAME/lib/podman-env.sh"
	podman_env_teardown
}

setup() {
	[ -z "${PODMAN_SKIP:-}" ] || skip "$PODMAN_SKIP"
	if [ -n "${PODMAN_WRONG_RUNTIME:-}" ]; then
		echo "$PODMAN_WRONG_RUNTIME" >&2
		return 1
	fi
	source "$BATS_TEST_DIRNAME/lib/podman-env.sh"
}

# A test that failed half-way leaves no container running into the next one
# (paused ones included: rm -f kills and removes them too).
teardown() {
	[ -z "${PODMAN_SKIP:-}" ] || return 0
	[ -n "${PODMAN_ENV_DIR:-}" ] || return 0
	podman_cmd rm -af -t 0 >/dev/null 2>&1 || true
}

# ctr_cgroup_file ID CONTROLLER FILE: prints FILE of the running container's
# cgroup for CONTROLLER, as seen from the host (v1 hierarchy or v2). (lib/clients.sh's cgroup_file takes a pid)
ctr_cgroup_file() {
	local pid
	pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$1")
	[ "$pid" -gt 0 ] || return 1
	cgroup_file "$pid" "$2" "$3"
}

# cgroup_value ID V1CONTROLLER V1FILE V2FILE: the running container's cgroup
# file, V1FILE in the v1 hierarchy of V1CONTROLLER when the host has one,
# otherwise V2FILE in its cgroup2 directory.
cgroup_value() {
	if [ -d "/sys/fs/cgroup/$2" ]; then
		ctr_cgroup_file "$1" "$2" "$3"
	else
		ctr_cgroup_file "$1" "$2" "$4"
	fi
}

# wait_for TRIES CMD...: runs CMD every 0.1 s until it succeeds (at most
# TRIES times).
wait_for() {
	local i
	for ((i = 0; i < $1; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	"${@:2}"
}

# logs_contain ID TEXT: podman logs ID (stdout and stderr) contains TEXT.
logs_contain() {
	[[ "$(podman_cmd logs "$1" 2>&1)" == *"$2"* ]]
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
	local id pid
	# The shell exits 0 on SIGTERM, so a graceful stop is visible in the
	# exit code (137 would mean podman had to fall back to SIGKILL).
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'trap "exit 0" TERM; sleep 1000 & wait')
	[ -n "$id" ]
	run -0 podman_cmd inspect --format '{{.State.Status}} {{.State.Pid}}' "$id"
	[ "${output%% *}" = running ]
	pid=${output##* }
	# hull-runtime created it (podman calls it with its default --root): its state
	# holds the container, running, with the same pid.
	run -0 "$(podman_env_runtime)" state "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$pid" ]

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
	run -0 ctr_cgroup_file "$id" memory memory.limit_in_bytes
	if [ ! -d /sys/fs/cgroup/memory ]; then
		run -0 ctr_cgroup_file "$id" memory memory.max
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
	run -0 ctr_cgroup_file "$id" pids pids.max
	[ "$output" = 50 ]
	run -0 podman_cmd rm -f -t 0 "$id"

	# 60 background sleeps cannot all fork.
	# shellcheck disable=SC2016 # expanded by the container's shell
	run podman_cmd run --rm --pids-limit 50 "$PODMAN_IMAGE" sh -c \
		'i=0; while [ $i -lt 60 ]; do sleep 3 & i=$((i + 1)); done; echo forked-all'
	[[ "$output" != *forked-all* ]]
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "podman run -it passes stdin through the terminal" {
	# script(1) copies its stdin to the pty podman reads with -i.
	# shellcheck disable=SC2016 # expanded by the container's shell
	run -0 script -qec "$(podman_cmd_line run --rm -it "$PODMAN_IMAGE" \
		sh -c 'read -r line; echo "got:$line"; tty')" /dev/null <<<"hello-stdin"
	[[ "$output" == *"got:hello-stdin"* ]]
	[[ "$output" == */dev/pts/* ]]
}

@test "podman logs shows a detached container's stdout and stderr" {
	local id
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'echo out-1; echo err-1 >&2; echo out-2; sleep 1000')
	run -0 wait_for 50 logs_contain "$id" out-2
	run -0 --separate-stderr podman_cmd logs "$id"
	[ "$output" = $'out-1\nout-2' ]
	# shellcheck disable=SC2154 # set by run --separate-stderr
	[ "$stderr" = err-1 ]
	run -0 podman_cmd rm -f -t 0 "$id"

	# A container that already exited: its output and exit status are kept.
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'echo last words; exit 7')
	run -0 podman_cmd wait "$id"
	[ "$output" = 7 ]
	run -0 podman_cmd logs "$id"
	[ "$output" = "last words" ]
	run -0 podman_cmd rm "$id"

	# With -t the output comes through the console (conmon holds the pty
	# master it received on the console socket).
	id=$(podman_cmd run -d -t "$PODMAN_IMAGE" sh -c 'echo tty-out; tty; sleep 1000')
	run -0 wait_for 50 logs_contain "$id" /dev/pts/
	run -0 podman_cmd logs "$id"
	[[ "$output" == *$'tty-out\r\n/dev/pts/'* ]]
	run -0 podman_cmd rm -f -t 0 "$id"
}

@test "podman run --cap-drop removes capabilities (CapEff inside, host, inspect)" {
	local def id pid want
	# shellcheck disable=SC2016 # awk's $2
	run -0 podman_cmd run --rm "$PODMAN_IMAGE" awk '/^CapEff/ { print $2 }' /proc/self/status
	def=$output
	# Podman 4.3's default set includes CAP_NET_RAW (bit 13).
	[ $((0x$def & (1 << 13))) -ne 0 ]
	want=$(printf '%016x' $((0x$def & ~(1 << 13))))

	run -0 podman_cmd run --rm --cap-drop NET_RAW "$PODMAN_IMAGE" grep ^Cap /proc/self/status
	[[ "$output" == *"CapEff:	$want"* ]]
	[[ "$output" == *"CapPrm:	$want"* ]]
	[[ "$output" == *"CapBnd:	$want"* ]]
	# Without CAP_NET_RAW ping cannot open its raw socket (with it, it gets
	# as far as "Network is unreachable": --network none).
	run podman_cmd run --rm --cap-drop NET_RAW "$PODMAN_IMAGE" ping -c 1 127.0.0.1
	[ "$status" -ne 0 ]
	[[ "$output" == *"permission denied"* ]]

	id=$(podman_cmd run -d --cap-drop NET_RAW "$PODMAN_IMAGE" sleep 1000)
	pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$id")
	run -0 grep ^CapEff "/proc/$pid/status"
	[ "$output" = "CapEff:	$want" ]
	run -0 podman_cmd inspect --format '{{.EffectiveCaps}} {{.BoundingCaps}} {{.HostConfig.CapDrop}}' "$id"
	[[ "$output" == *CAP_CHOWN* ]]
	[[ "$output" == *"[CAP_NET_RAW]" ]] # only in CapDrop
	[ "$(grep -o CAP_NET_RAW <<<"$output" | wc -l)" -eq 1 ]
	run -0 podman_cmd rm -f -t 0 "$id"

	run -0 podman_cmd run --rm --cap-drop all "$PODMAN_IMAGE" grep ^Cap /proc/self/status
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapBnd:	0000000000000000"* ]]
	run podman_cmd run --rm --cap-drop all "$PODMAN_IMAGE" chown 1 /tmp
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	id=$(podman_cmd run -d --cap-drop all "$PODMAN_IMAGE" sleep 1000)
	run -0 podman_cmd inspect --format '{{.EffectiveCaps}}|{{.BoundingCaps}}' "$id"
	[ "$output" = "[]|[]" ]
	run -0 podman_cmd rm -f -t 0 "$id"
}

# counter ID: the count the pause test's container writes to /tmp/count.
counter() {
	local pid
	pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$1")
	cat "/proc/$pid/root/tmp/count"
}

# counter_moves ID: the counter changes within a second.
counter_moves() {
	local a b
	a=$(counter "$1")
	sleep 1
	b=$(counter "$1")
	[ "$a" != "$b" ]
}

@test "podman pause and unpause freeze and thaw the container" {
	local id rt a b
	rt=$(podman_env_runtime)
	# shellcheck disable=SC2016 # expanded by the container's shell
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c \
		'i=0; while :; do i=$((i + 1)); echo $i >/tmp/c; mv /tmp/c /tmp/count; sleep 0.2; done')
	run -0 wait_for 50 counter "$id"
	run -0 counter_moves "$id"

	run -0 podman_cmd pause "$id"
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = paused ]
	run -0 "$rt" state "$id"
	[ "$(jq -r .status <<<"$output")" = paused ]
	run -0 cgroup_value "$id" freezer freezer.state cgroup.freeze
	[[ "$output" == FROZEN || "$output" == 1 ]]
	a=$(counter "$id")
	sleep 1
	b=$(counter "$id")
	[ "$a" = "$b" ]
	# podman refuses to exec into a paused container itself.
	run ! podman_cmd exec "$id" true
	[[ "$output" == *"container state improper"* ]]

	run -0 podman_cmd unpause "$id"
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 "$rt" state "$id"
	[ "$(jq -r .status <<<"$output")" = running ]
	run -0 cgroup_value "$id" freezer freezer.state cgroup.freeze
	[[ "$output" == THAWED || "$output" == 0 ]]
	run -0 counter_moves "$id"
	run -0 podman_cmd exec "$id" true

	# rm -f of a paused container kills and removes it.
	run -0 podman_cmd pause "$id"
	run -0 podman_cmd rm -f -t 0 "$id"
	run ! "$rt" state "$id"
}

@test "podman update changes the limits of a running container" {
	local id
	run -0 podman update --help
	if [[ "$output" != *--memory* ]]; then
		skip "podman $(podman --version | awk '{ print $3 }') has no update --memory"
	fi
	id=$(podman_cmd run -d --memory 64m "$PODMAN_IMAGE" sleep 1000)
	run -0 cgroup_value "$id" memory memory.limit_in_bytes memory.max
	[ "$output" = 67108864 ]

	# podman 4.3 calls `RUNTIME update --resources=FILE ID`.
	run -0 podman_cmd update --memory 128m --cpu-shares 512 "$id"
	run -0 cgroup_value "$id" memory memory.limit_in_bytes memory.max
	[ "$output" = 134217728 ]
	run -0 cgroup_value "$id" cpu cpu.shares cpu.weight
	[[ "$output" == 512 || "$output" == 20 ]] # v2: runc's shares -> weight
	run -0 podman_cmd exec "$id" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'
	[ "$output" = 134217728 ]
	if podman update --help | grep -q -- --pids-limit; then
		run -0 podman_cmd update --pids-limit 77 "$id"
		run -0 cgroup_value "$id" pids pids.max pids.max
		[ "$output" = 77 ]
	fi

	# A limit the kernel refuses: podman reports the runtime's error and
	# the container keeps its limits.
	run -125 podman_cmd update --cpu-period 100000 --cpu-quota 500 "$id"
	[[ "$output" == *"update --resources"*"failed"* ]]
	[[ "$output" == *cfs_quota_us* ]]
	run -0 cgroup_value "$id" cpu cpu.cfs_quota_us cpu.max
	[[ "$output" == -1 || "$output" == "max "* ]]
	run -0 cgroup_value "$id" memory memory.limit_in_bytes memory.max
	[ "$output" = 134217728 ]
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 podman_cmd rm -f -t 0 "$id"
}

@test "podman stats --no-stream reports memory, its limit and pids" {
	local id
	id=$(podman_cmd run -d --memory 64m "$PODMAN_IMAGE" sh -c 'sleep 1000 & sleep 1001 & wait')
	run -0 wait_for 50 test "$(podman_cmd top "$id" pid 2>/dev/null | wc -l)" -eq 4
	run -0 podman_cmd stats --no-stream --format json "$id"
	[ "$(jq -r '.[0].id' <<<"$output")" = "${id:0:12}" ]
	[ "$(jq -r '.[0].pids' <<<"$output")" = 3 ]
	# e.g. "630.8kB / 67.11MB": some usage, the 64 MiB limit.
	[[ "$(jq -r '.[0].mem_usage' <<<"$output")" =~ ^[0-9.]+[kMG]?B\ /\ 67\.11MB$ ]]
	[[ "$(jq -r '.[0].mem_usage' <<<"$output")" != "0B /"* ]]
	[[ "$(jq -r '.[0].cpu_time' <<<"$output")" =~ ^[0-9.]+(ns|µs|ms|s)$ ]]
	run -0 podman_cmd stats --no-stream --format '{{.ID}} {{.PIDs}}' "$id"
	[ "$output" = "${id:0:12} 3" ]
	run -0 podman_cmd rm -f -t 0 "$id"
}

@test "podman top lists the container's processes" {
	local id pid
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'sleep 1000 & sleep 1001 & wait')
	pid=$(podman_cmd inspect --format '{{.State.Pid}}' "$id")
	run -0 wait_for 50 test "$(podman_cmd top "$id" pid 2>/dev/null | wc -l)" -eq 4
	run -0 podman_cmd top "$id"
	[[ "${lines[0]}" == USER*PID*PPID*COMMAND ]]
	[[ "$output" == *"sh -c sleep 1000 & sleep 1001 & wait"* ]]
	run -0 podman_cmd top "$id" pid ppid hpid args
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[1]}" =~ ^1\ +0\ +$pid\ +sh\ -c ]] # pid 1 in its pid namespace
	[[ "$output" =~ $'\n'[0-9]+\ +1\ +[0-9]+\ +sleep\ 1000 ]]
	[[ "$output" =~ $'\n'[0-9]+\ +1\ +[0-9]+\ +sleep\ 1001 ]]
	run -0 podman_cmd rm -f -t 0 "$id"
}

# Podman checks for criu (>= 3.11), then asks `RUNTIME checkpoint --help`: a
# runtime for which that fails "does not support checkpoint/restore" and is
# never called to checkpoint.
@test "podman container checkpoint is refused cleanly (hull-runtime has no checkpoint)" {
	local id rt
	rt=$(podman_env_runtime)
	command -v criu >/dev/null || skip "criu is not installed (podman checks for it first)"
	if "$rt" checkpoint --help >/dev/null 2>&1; then
		skip "$rt implements checkpoint (see the next test)"
	fi
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sleep 1000)
	run -125 podman_cmd container checkpoint "$id"
	[[ "$output" == *"configured runtime does not support checkpoint/restore"* ]]
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 podman_cmd exec "$id" true
	run -0 podman_cmd rm -f -t 0 "$id"
}

@test "podman container checkpoint and restore" {
	local id rt
	rt=$(podman_env_runtime)
	"$rt" checkpoint --help >/dev/null 2>&1 ||
		skip "$(basename "$rt") does not implement checkpoint/restore"
	command -v criu >/dev/null || skip "criu is not installed"
	if ! criu check >/dev/null 2>&1; then
		skip "criu cannot checkpoint on this host: $(criu check 2>&1 | grep -m1 Error)"
	fi
	# shellcheck disable=SC2016 # expanded by the container's shell
	id=$(podman_cmd run -d "$PODMAN_IMAGE" sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.2; done')
	run -0 podman_cmd container checkpoint "$id"
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = exited ]
	run -0 podman_cmd container restore "$id"
	run -0 podman_cmd inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run -0 podman_cmd exec "$id" cat /tmp/count
	[ "$output" -gt 0 ]
	run -0 podman_cmd rm -f -t 0 "$id"
}

# issue 11 §3: with --uidmap the container's root is an unprivileged host uid, and podman's
# storage (the rootfs, /etc/hosts, /etc/resolv.conf and the other bind sources) sits under
# 0700 directories: the runtime reaches them before the init enters the user namespace.
@test "podman run --uidmap: root maps to host uid 100000, the storage under 0700 directories" {
	run -0 stat -c %a "$PODMAN_ENV_DIR/root/vfs"
	echo "vfs dir mode: $output"
	run -0 podman_cmd run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$PODMAN_IMAGE" \
		sh -c 'id -u; cat /proc/self/uid_map; cat /etc/hostname; grep -c . /etc/hosts'
	echo "$output"
	[ "${lines[0]}" = 0 ]
	[[ "$(tr -s ' ' <<<"${lines[1]}")" == *"0 100000 65536"* ]]
	[ -n "${lines[2]}" ]
	# A volume from a 0700 directory, written by the container's root.
	mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
	mkdir "$BATS_TEST_TMPDIR/private/vol"
	chown 100000:100000 "$BATS_TEST_TMPDIR/private/vol"
	run -0 podman_cmd run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
		-v "$BATS_TEST_TMPDIR/private/vol:/vol" "$PODMAN_IMAGE" sh -c 'echo hi >/vol/f && cat /vol/f'
	[ "$output" = hi ]
	[ "$(stat -c %u "$BATS_TEST_TMPDIR/private/vol/f")" = 100000 ]
}

# --userns=auto takes a free range of the ids /etc/subuid gives the user named in
# storage.conf: a test-only entry, removed afterwards.
@test "podman run --userns=auto: root maps to a range of /etc/subuid" {
	local conf="$PODMAN_ENV_DIR/conf/storage.conf"
	cp "$conf" "$BATS_TEST_TMPDIR/storage.conf.orig"
	cp /etc/subuid "$BATS_TEST_TMPDIR/subuid.orig"
	cp /etc/subgid "$BATS_TEST_TMPDIR/subgid.orig"
	echo "root:200000:131072" >>/etc/subuid
	echo "root:200000:131072" >>/etc/subgid
	printf '[storage.options]\nroot-auto-userns-user = "root"\n' >>"$conf"
	run podman_cmd run --rm --userns=auto:size=65536 "$PODMAN_IMAGE" sh -c 'id -u; cat /proc/self/uid_map'
	cp "$BATS_TEST_TMPDIR/subuid.orig" /etc/subuid
	cp "$BATS_TEST_TMPDIR/subgid.orig" /etc/subgid
	cp "$BATS_TEST_TMPDIR/storage.conf.orig" "$conf"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	host=$(awk '{ print $2 }' <<<"${lines[1]}")
	[ "$host" -ge 200000 ] && [ "$host" -lt 331072 ]
}

@test "nothing is left behind once podman removed the containers" {
	run -0 podman_cmd rm -af -t 0
	run -0 podman_env_leaks
	[ -z "$output" ]
}
