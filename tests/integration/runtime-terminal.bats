#!/usr/bin/env bats
# process.terminal with --console-socket: the pty master goes to the socket (received by
# lib/recvtty.py), the container gets the slave as stdio and /dev/console.

load lib/common

SOCK=""
TTYOUT=""

setup() {
	common_setup
	SOCK="$BATS_TEST_TMPDIR/console.sock"
	TTYOUT="$BATS_TEST_TMPDIR/tty.out"
	update_config '.process.terminal = true'
}

# tty_output: what the container wrote to its terminal, without the carriage returns.
tty_output() {
	tr -d '\r' <"$TTYOUT"
}

@test "terminal: stdio is a tty and the master goes to the console socket" {
	payload tty
	start_recvtty "$SOCK" "$TTYOUT"
	run rt_create --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	rt start "$CID"
	wait_recvtty
	output=$(tty_output)
	echo "$output"
	[ "$(kv isatty0)" = 1 ]
	[ "$(kv isatty1)" = 1 ]
	[ "$(kv isatty2)" = 1 ]
	[[ "$(kv ttyname)" == /dev/pts/* ]]
}

@test "terminal: /dev/console is the container's pty" {
	payload stat /dev/console
	start_recvtty "$SOCK" "$TTYOUT"
	rt_run_d --console-socket "$SOCK" "$CID"
	wait_recvtty
	output=$(tty_output)
	echo "$output"
	[ "$(kv type)" = chr ]
	# Unix98 pty slaves have majors 136-143.
	major=$(kv rdev | cut -d: -f1)
	[ "$major" -ge 136 ] && [ "$major" -le 143 ]
}

@test "terminal: input typed on the master reaches the process" {
	set_args /bin/sh -c 'read line; echo "got=$line"'
	start_recvtty "$SOCK" "$TTYOUT" --input $'hello hull\n'
	rt_run_d --console-socket "$SOCK" "$CID"
	wait_recvtty
	output=$(tty_output)
	echo "$output"
	[ "$(kv got)" = "hello hull" ]
}

@test "terminal: consoleSize sets the window size" {
	update_config '.process.consoleSize = {"height": 40, "width": 100}'
	set_args /bin/stty size
	start_recvtty "$SOCK" "$TTYOUT"
	rt_run_d --console-socket "$SOCK" "$CID"
	wait_recvtty
	[ "$(tty_output)" = "40 100" ]
}

@test "terminal: foreground run uses the caller's terminal and returns the exit status" {
	command -v script >/dev/null || skip "script(1) from util-linux is missing"
	set_args /bin/sh -c '/payload tty; exit 5'
	# script(1) gives the runtime a pty of its own as stdio; -e returns the child's status.
	run script -qefc "$(printf '%q ' "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID")" /dev/null </dev/null
	echo "$output"
	[ "$status" -eq 5 ]
	# The pty echoes what script(1) forwards from stdin (e.g. "^@"), so match anywhere.
	[[ "$output" == *isatty0=1* ]]
	[[ "$output" == *isatty1=1* ]]
}

@test "terminal: the process has the tty as its controlling terminal" {
	# /proc/self/stat field 7 (tty_nr) is non-zero only with a controlling terminal;
	# busybox ps -o tty shows it as pts/N.
	set_args /bin/sh -c 'cut -d" " -f7 /proc/self/stat; /payload pid'
	start_recvtty "$SOCK" "$TTYOUT"
	rt_run_d --console-socket "$SOCK" "$CID"
	wait_recvtty
	output=$(tty_output)
	echo "$output"
	[ "${lines[0]}" != 0 ]
}

@test "terminal without --console-socket is refused by create and run -d" {
	payload true
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *console* ]]
	run rt_run_d "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "--console-socket without terminal is refused" {
	update_config '.process.terminal = false'
	start_recvtty "$SOCK" "$TTYOUT"
	run rt_create --console-socket "$SOCK" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *console* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "--console-socket that is not a socket fails" {
	payload true
	touch "$BATS_TEST_TMPDIR/not-a-socket"
	run rt_create --console-socket "$BATS_TEST_TMPDIR/not-a-socket" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *not-a-socket* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

# Joining another container's pid namespace, the runtime opens the pty and binds it on
# /dev/console from a first stage outside that namespace (init.c, setup_unseen), where
# the new root's /proc/self does not resolve; the process forked into the namespace makes
# it its controlling terminal.
@test "terminal: a container created into another's pid namespace gets its pty and /dev/console" {
	local first
	update_config '.process.terminal = false'
	payload sleep forever
	run_detached "$CID-first"
	first=$(container_pid "$CID-first")
	update_config '.process.terminal = true'
	add_namespace pid "/proc/$first/ns/pid"
	set_args /bin/sh -c '/payload tty; /payload stat /dev/console'
	start_recvtty "$SOCK" "$TTYOUT"
	run rt_create --console-socket "$SOCK" "$CID"
	[ "$status" -eq 0 ]
	rt start "$CID"
	wait_recvtty
	output=$(tty_output)
	echo "$output"
	[ "$(kv isatty0)" = 1 ]
	[[ "$(kv ttyname)" == /dev/pts/* ]]
	[ "$(kv type)" = chr ]
	major=$(kv rdev | cut -d: -f1)
	[ "$major" -ge 136 ] && [ "$major" -le 143 ]
}

# Issue 20 §3, issue 19 §3: foreground -t (no --console-socket) as runc.
# with_ctty NAME CMD...: runs CMD (the runtime) in a session whose controlling terminal is
# a pty while its stdio are the redirections the caller gives; its pid goes to
# $BATS_TEST_TMPDIR/NAME.pid.
with_ctty() {
	local name="$1"
	shift
	python3 "$LIBDIR/ctty.py" "$BATS_TEST_TMPDIR/$name.pid" "$@"
}

@test "terminal: foreground run -t and exec -t without any terminal fail at once, like runc" {
	local start
	set_args /bin/sh
	start=$SECONDS
	# setsid: no controlling terminal; stdio are files.
	run setsid -w timeout --kill-after=2 10 "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ "$status" -ne 137 ]
	[[ "$output" == *"open /dev/tty"* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
	update_config '.process.terminal = false'
	payload sleep forever
	rt_run_d "$CID-b"
	run setsid -w timeout --kill-after=2 10 "$RUNTIME" --root "$STATE_ROOT" exec -t "$CID-b" /bin/sh </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ "$status" -ne 137 ]
	[[ "$output" == *"open /dev/tty"* ]]
	[ $((SECONDS - start)) -lt 8 ]
}

@test "terminal: stdin's end reaches the process as the terminal's EOF (run -t, exec -t)" {
	local out="$BATS_TEST_TMPDIR/out"
	printf 'hello from a file\n' >"$BATS_TEST_TMPDIR/in"
	set_args /bin/sh -c 'cat >/dev/null; echo cat-done'
	# A controlling terminal, stdio redirected: the runtime proxies the container's pty to
	# them, and passes the file's end on; without that, cat would wait forever.
	run with_ctty run timeout --kill-after=2 15 "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID" \
		<"$BATS_TEST_TMPDIR/in"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *cat-done* ]]
	update_config '.process.terminal = false'
	payload sleep forever
	rt_run_d "$CID-b"
	run with_ctty exec timeout --kill-after=2 15 "$RUNTIME" --root "$STATE_ROOT" exec -t "$CID-b" \
		/bin/sh -c 'cat >/dev/null; echo cat-done' <"$BATS_TEST_TMPDIR/in"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *cat-done* ]]
	# A partial last line (no newline) ends too.
	printf 'no newline' >"$BATS_TEST_TMPDIR/in"
	run with_ctty exec2 timeout --kill-after=2 15 "$RUNTIME" --root "$STATE_ROOT" exec -t "$CID-b" \
		/bin/sh -c 'cat >/dev/null; echo cat-done' <"$BATS_TEST_TMPDIR/in"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *cat-done* ]]
}

@test "terminal: a foreground run -t / exec -t forwards SIGTERM to the process" {
	local out="$BATS_TEST_TMPDIR/fg.out" mode
	update_config '.process.terminal = false'
	payload sleep forever
	rt_run_d "$CID-b"
	update_config '.process.terminal = true'
	set_args /bin/sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	for mode in run exec; do
		: >"$out"
		rm -f "$BATS_TEST_TMPDIR/$mode.pid"
		if [ "$mode" = run ]; then
			with_ctty "$mode" timeout --kill-after=2 20 "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID" \
				</dev/null >"$out" 2>&1 &
		else
			with_ctty "$mode" timeout --kill-after=2 20 "$RUNTIME" --root "$STATE_ROOT" exec -t "$CID-b" \
				/bin/sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
				</dev/null >"$out" 2>&1 &
		fi
		local bg=$!
		wait_until 10 grep -q ready "$out"
		# The runtime is the child of timeout(1), itself the process ctty.py started.
		kill -TERM "$(pgrep -P "$(cat "$BATS_TEST_TMPDIR/$mode.pid")")"
		local rc=0
		wait "$bg" || rc=$?
		cat "$out"
		echo "$mode: $rc"
		[ "$rc" -eq 7 ]
		grep -q got-term "$out"
	done
}

@test "terminal: run -t and exec -t return when the process exits although a child keeps writing to the terminal" {
	local start
	update_config '.process.terminal = false'
	payload sleep forever
	rt_run_d "$CID"
	start=$(date +%s%N)
	# Into a file, as fast as it comes: the child writes megabytes a second.
	local rc=0
	with_ctty exec timeout --kill-after=2 20 "$RUNTIME" --root "$STATE_ROOT" exec -t "$CID" \
		/bin/sh -c '(trap "" HUP; exec yes) & sleep 0.2; exit 0' </dev/null >"$BATS_TEST_TMPDIR/yes.out" 2>&1 || rc=$?
	local ms=$((($(date +%s%N) - start) / 1000000))
	echo "status $rc after $ms ms, $(stat -c %s "$BATS_TEST_TMPDIR/yes.out") bytes"
	[ "$rc" -eq 0 ]
	[ "$ms" -lt 3000 ]
	# run -t in the host's pid namespace, where the child outlives the init (the cgroup's
	# removal ends it afterwards).
	drop_namespace pid
	update_config '.process.terminal = true'
	set_args /bin/sh -c '(trap "" HUP; exec yes) & sleep 0.2; exit 0'
	start=$(date +%s%N)
	rc=0
	with_ctty run timeout --kill-after=2 20 "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-b" \
		</dev/null >"$BATS_TEST_TMPDIR/yes.out" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "run: status $rc after $ms ms, $(stat -c %s "$BATS_TEST_TMPDIR/yes.out") bytes"
	[ "$rc" -eq 0 ]
	[ "$ms" -lt 3000 ]
}
