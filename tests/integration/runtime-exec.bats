#!/usr/bin/env bats
# exec: a new process in a running container's namespaces, cgroup and settings.

load lib/common

setup() {
	common_setup
	update_config '.process.env += ["HULL_FROM_CONFIG=1"]'
	payload sleep forever
	run_detached "$CID"
	INIT=$(container_pid "$CID")
}

# rt_exec ARGS...: exec with stdin from /dev/null (foreground exec passes stdio through).
rt_exec() {
	rt exec "$@" </dev/null
}

@test "exec: args and output" {
	run rt_exec "$CID" /payload echo "hello  exec" x
	[ "$status" -eq 0 ]
	[ "$output" = "hello  exec x" ]
}

@test "exec: the exit status is propagated" {
	run rt_exec "$CID" /payload exit 42
	[ "$status" -eq 42 ]
	run rt_exec "$CID" /payload false
	[ "$status" -eq 1 ]
	run rt_exec "$CID" /payload true
	[ "$status" -eq 0 ]
}

@test "exec: the process is in all of the container's namespaces" {
	run rt_exec "$CID" /payload ns
	[ "$status" -eq 0 ]
	for t in mnt net ipc uts pid user cgroup; do
		echo "$t: exec $(kv $t) init $(pid_ns "$INIT" $t)"
		[ "$(kv $t)" = "$(pid_ns "$INIT" $t)" ]
	done
}

@test "exec: a new pid in the container's pid namespace, not 1" {
	run rt_exec "$CID" /payload pid
	[ "$status" -eq 0 ]
	[ "$(kv pid)" != 1 ]
	[ "$(kv ppid)" = 0 ]
}

@test "exec: env, cwd, user and capabilities come from config.json by default" {
	run rt_exec "$CID" /bin/sh -c '/payload env HULL_FROM_CONFIG; /payload cwd; /payload ids; /payload caps; /payload nnp'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = / ]
	[ "$(kv uid)" = 0 ]
	[ "$(kv eff)" = "$(awk '/^CapEff:/ { print $2 }' "/proc/$INIT/status")" ]
	[ "$(kv bnd)" = "$(awk '/^CapBnd:/ { print $2 }' "/proc/$INIT/status")" ]
	[ "${lines[-1]}" = 1 ]
}

@test "exec: -e adds environment variables" {
	run rt_exec -e HULL_EXEC=yes -e "HULL_SPACE=a b" "$CID" /payload env
	[ "$status" -eq 0 ]
	grep -qx HULL_EXEC=yes <<<"$output"
	grep -qx "HULL_SPACE=a b" <<<"$output"
	grep -qx HULL_FROM_CONFIG=1 <<<"$output"
}

@test "exec: -e overrides a variable from config.json" {
	run rt_exec -e HULL_FROM_CONFIG=2 "$CID" /payload env
	[ "$status" -eq 0 ]
	grep -qx HULL_FROM_CONFIG=2 <<<"$output"
	! grep -qx HULL_FROM_CONFIG=1 <<<"$output"
}

@test "exec: --cwd" {
	run rt_exec --cwd /etc "$CID" /payload cwd
	[ "$status" -eq 0 ]
	[ "$output" = /etc ]
}

@test "exec: -u uid:gid and --additional-gids" {
	run rt_exec -u 1000:1000 "$CID" /payload ids
	[ "$status" -eq 0 ]
	[ "$(kv uid)" = 1000 ]
	[ "$(kv gid)" = 1000 ]
	[ "$(kv groups)" = "" ]
	run rt_exec -u 1000:1000 --additional-gids 2000 "$CID" /payload ids
	[ "$status" -eq 0 ]
	[ "$(kv groups)" = 2000 ]
}

@test "exec: --process FILE" {
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
		{
			"terminal": false,
			"user": {"uid": 1000, "gid": 1000},
			"args": ["/bin/sh", "-c", "/payload ids; /payload cwd; /payload env HULL_P"],
			"env": ["PATH=/bin", "HULL_P=from-process-json"],
			"cwd": "/tmp",
			"capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
			"noNewPrivileges": true
		}
	EOF
	run rt_exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv uid)" = 1000 ]
	[ "$(kv gid)" = 1000 ]
	[ "${lines[-2]}" = /tmp ]
	[ "${lines[-1]}" = from-process-json ]
}

@test "exec: --process with a bad file fails and names it" {
	echo '{ not json' >"$BATS_TEST_TMPDIR/bad-process.json"
	run rt_exec --process "$BATS_TEST_TMPDIR/bad-process.json" "$CID"
	[ "$status" -ne 0 ]
	run rt_exec --process "$BATS_TEST_TMPDIR/missing-process.json" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *missing-process.json* ]]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "exec: -d with --pid-file returns at once; the pid is a host pid in the container" {
	run rt_exec_d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" /payload sleep forever
	[ "$status" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ -d "/proc/$pid" ]
	[ "$pid" != "$INIT" ]
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q '^/payload sleep forever'
	for t in mnt net pid ipc uts; do
		[ "$(pid_ns "$pid" $t)" = "$(pid_ns "$INIT" $t)" ]
	done
	# Same cgroup as the init in every hierarchy.
	diff "/proc/$pid/cgroup" "/proc/$INIT/cgroup"
	# It shows up in ps.
	rt ps --format json "$CID" | jq -e --argjson p "$pid" 'index($p) != null'
}

@test "exec: the exec'd process dies with the container" {
	rt_exec_d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" /payload sleep forever
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	wait_until 5 test ! -e "/proc/$pid"
}

@test "exec: -t with --console-socket gives the process a terminal" {
	sock="$BATS_TEST_TMPDIR/exec.sock"
	start_recvtty "$sock" "$BATS_TEST_TMPDIR/tty.out"
	run rt_exec_d -t --console-socket "$sock" "$CID" /payload tty
	[ "$status" -eq 0 ]
	wait_recvtty
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	echo "$output"
	[ "$(kv isatty0)" = 1 ]
	[ "$(kv isatty1)" = 1 ]
	[[ "$(kv ttyname)" == /dev/pts/* ]]
}

@test "exec: without -t the process has no terminal" {
	run rt_exec "$CID" /payload tty
	[ "$status" -eq 0 ]
	[ "$(kv isatty0)" = 0 ]
	[ "$(kv isatty1)" = 0 ]
}

@test "exec: a missing binary fails and names the path" {
	run rt_exec "$CID" /nonexistent/hull-binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == */nonexistent/hull-binary* ]]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "exec: into a stopped or unknown container fails" {
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt_exec "$CID" /payload true
	[ "$status" -ne 0 ]
	[[ "$output" == *stopped* || "$output" == *running* ]]
	run rt_exec "$CID-nope" /payload true
	[ "$status" -ne 0 ]
}

@test "exec: into a created container works (runc allows it)" {
	payload sleep forever
	rt_create "$CID-b"
	run rt_exec "$CID-b" /payload echo in-created
	[ "$status" -eq 0 ]
	[ "$output" = in-created ]
	# The init still waits for start.
	[ "$(state_field "$CID-b" .status)" = created ]
}

@test "exec: no fds leak from the runtime" {
	run rt_exec "$CID" /payload fds 5</etc/hostname
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 1 2" ]
}

@test "exec: --apparmor and --process-label on a host without them fail, and the container runs on" {
	if grep -qx Y /sys/module/apparmor/parameters/enabled 2>/dev/null; then skip "this host has AppArmor"; fi
	[ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" != selinux ] || skip "this host has SELinux"
	run rt_exec --apparmor docker-default "$CID" /payload echo ran
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" != *ran* ]]
	[[ "$output" == *apparmor* ]]
	run rt_exec --process-label system_u:system_r:container_t:s0 "$CID" /payload echo ran
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"selinux label is specified in config, but selinux is disabled or not supported"* ]]
	# The same flags with --process (runc ignores them there; hull applies them).
	if is_hull; then
		echo '{"args": ["/payload", "echo", "ran"], "cwd": "/"}' >"$BATS_TEST_TMPDIR/p.json"
		run rt_exec --process "$BATS_TEST_TMPDIR/p.json" --apparmor docker-default "$CID"
		[ "$status" -ne 0 ]
		[[ "$output" == *apparmor* ]]
	fi
	[ "$(state_field "$CID" .status)" = running ]
	run rt_exec "$CID" /payload echo still
	[ "$output" = still ]
}
