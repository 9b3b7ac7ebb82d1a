#!/usr/bin/env bats
# Attaching (issue 15): a foreground run and `hull attach` through the monitor's
# attach.sock: stdin (-i), a terminal (-t), detach keys, several clients, exit codes and
# --sig-proxy. Run as root: bats tests/integration/engine-attach.bats

bats_require_minimum_version 1.5.0
load lib/engine

# hull as a shell word list, for commands that pipe into it or give it a terminal (in the
# test's network namespace as the hull function does).
hcmd() {
	echo "nsenter --net=/run/netns/$HOSTNS $HULL --root $STORE --runroot $RUNROOT"
}

# The name's container id, remembered for the teardown.
keep() {
	remember "$(hull inspect -f '{{.Id}}' "$1")"
}

@test "run -i: piped stdin reaches cat, its end ends the container (exit 0)" {
	busybox_image
	run -0 bash -c "printf 'one\ntwo\n' | timeout -s KILL 20 $(hcmd) run -i --name cat busybox cat"
	keep cat
	[ "$output" = "$(printf 'one\ntwo')" ]
	run -0 hull inspect -f '{{.State.Status}} {{.State.ExitCode}}' cat
	[ "$output" = "exited 0" ]
}

@test "run without -i: stdout and stderr demultiplexed, nothing lost before the attach" {
	busybox_image
	hull run --name split busybox sh -c 'echo out; echo err >&2; echo out2' >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
	keep split
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = "$(printf 'out\nout2')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err ]
}

@test "exit codes 0, 3 and 137 through a foreground run" {
	busybox_image
	run -0 hull run --rm busybox true
	run -3 hull run --rm busybox sh -c 'exit 3'
	# pid 1 of a pid namespace ignores a SIGKILL from inside: a child is killed.
	run -137 hull run --rm busybox sh -c 'sh -c "kill -9 \$\$"; exit $?'
}

@test "run -t under a terminal: raw mode, output, size, exit code" {
	busybox_image
	# script gives hull a terminal; the container's terminal echoes and translates.
	run -5 script -qfec "stty cols 123 rows 45; $(hcmd) run -t --name tty busybox sh -c 'stty size; [ -t 0 ] && echo isatty; exit 5'" /dev/null
	keep tty
	[[ "$output" == *"45 123"* ]]
	[[ "$output" == *isatty* ]]
	# Raw: typed input is echoed once, by the container's terminal (a cooked caller's
	# terminal would echo it too), and ctrl-c is a byte for the container, not a SIGINT
	# for hull.
	run -0 bash -c "{ sleep 3; printf 'hello\r'; sleep 2; printf '\003'; } | script -qfec \"$(hcmd) run -it --rm busybox sh -c 'read l; echo got \\\$l; trap \\\"echo int; exit 0\\\" INT; sleep 5 & wait'\" /dev/null"
	[ "$(grep -o hello <<<"$output" | wc -l)" -eq 2 ]
	[[ "$output" == *"got hello"* ]]
	[[ "$output" == *int* ]]
	# The caller's terminal is back in cooked mode afterwards: script's own would show
	# raw (-icanon) if hull had not restored it; checked in the same terminal.
	run -0 script -qfec "$(hcmd) run -it --rm busybox true; stty -a | grep -o -- '-\?icanon'" /dev/null
	[[ "$output" == *icanon* ]]
	[[ "$output" != *-icanon* ]]
}

@test "detach keys leave it running; attach again sees new output" {
	busybox_image
	run -0 hull run -d -i --name det busybox sh -c 'while read l; do echo "got $l"; done'
	keep det
	# ctrl-p ctrl-q after a line: the line arrives, the keys do not, attach returns 0.
	run -0 bash -c "{ echo hello; sleep 0.5; printf '\020\021'; sleep 5; } | timeout -s KILL 20 $(hcmd) attach det"
	[[ "$output" == *"got hello"* ]]
	[[ "$output" == *"read escape sequence"* ]]
	run -0 hull inspect -f '{{.State.Status}}' det
	[ "$output" = running ]
	# Own keys: a,b.
	run -0 bash -c "{ echo again; sleep 0.5; printf 'ab'; sleep 5; } | timeout -s KILL 20 $(hcmd) attach --detach-keys a,b det"
	[[ "$output" == *"got again"* ]]
	[[ "$output" != *"got hello"* ]]
	run -0 hull inspect -f '{{.State.Status}}' det
	[ "$output" = running ]
	# A foreground run detached with the keys keeps running too.
	run -0 bash -c "{ sleep 0.5; printf '\020\021'; sleep 5; } | timeout -s KILL 20 $(hcmd) run -i --name fg busybox sh -c 'while true; do sleep 1; done'"
	keep fg
	run -0 hull inspect -f '{{.State.Status}}' fg
	[ "$output" = running ]
}

@test "attach of two clients: both see the output" {
	busybox_image
	run -0 hull run -d --name two busybox sh -c 'sleep 1; for i in 1 2 3; do echo tick $i; sleep 0.2; done'
	keep two
	hull attach two >"$BATS_TEST_TMPDIR/a" 3>&- &
	p1=$!
	hull attach two >"$BATS_TEST_TMPDIR/b" 3>&- &
	p2=$!
	wait "$p1"
	wait "$p2"
	grep -q 'tick 3' "$BATS_TEST_TMPDIR/a"
	grep -q 'tick 3' "$BATS_TEST_TMPDIR/b"
}

@test "sig-proxy: SIGTERM to a foreground run reaches the container" {
	busybox_image
	# exec: the signal goes to timeout and hull, not to a shell around them.
	# timeout passes the TERM on, and kills hull if the container never ends.
	bash -c "exec timeout -s KILL 20 $(hcmd) run --name sp busybox sh -c 'trap \"echo caught; exit 7\" TERM; echo ready; while true; do sleep 0.1; done'" >"$BATS_TEST_TMPDIR/o" 3>&- &
	pid=$!
	retry 50 grep -q ready "$BATS_TEST_TMPDIR/o"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	keep sp
	[ "$rc" -eq 7 ]
	grep -q caught "$BATS_TEST_TMPDIR/o"
}

@test "--sig-proxy=false: SIGTERM ends the foreground run, not the container" {
	busybox_image
	bash -c "exec timeout -s KILL 20 $(hcmd) run --sig-proxy=false --name nsp busybox sh -c 'trap \"echo caught; exit 7\" TERM; echo ready; while true; do sleep 0.1; done'" >"$BATS_TEST_TMPDIR/o" 3>&- &
	pid=$!
	retry 50 grep -q ready "$BATS_TEST_TMPDIR/o"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	keep nsp
	[ "$rc" -ne 7 ]
	[ "$rc" -ne 137 ]
	sleep 0.3
	run -0 hull inspect -f '{{.State.Running}}' nsp
	[ "$output" = true ]
	run -0 hull logs nsp
	[ "$output" = ready ]
	run -0 hull rm -f nsp
}
