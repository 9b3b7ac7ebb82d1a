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
