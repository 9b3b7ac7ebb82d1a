#!/usr/bin/env bats
# run flags of issue 15 that the unit tests only check in the generated config.json: their
# effect through hull, end to end. Run as root: bats tests/integration/engine-runflags.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "--env-file, --entrypoint, --stop-signal, --stop-timeout through hull" {
	busybox_image
	printf '# a comment\nA=from-file\n\nB=two words\nPATH\n' >"$BATS_TEST_TMPDIR/env"
	run -0 hull run --rm --env-file "$BATS_TEST_TMPDIR/env" -e B=flag busybox sh -c 'echo "$A|$B"'
	[ "$output" = "from-file|flag" ]
	run -0 hull run --rm --entrypoint /bin/echo busybox hello
	[ "$output" = hello ]
	# The stop signal reaches the container (its trap names it); SIGTERM would be ignored.
	run -0 hull run -d --name sig --stop-signal USR1 busybox sh -c 'trap "echo got-usr1; exit 7" USR1; trap "" TERM; while :; do sleep 0.1; done'
	remember "$output"
	sleep 0.3
	run -0 hull stop sig
	run -0 hull inspect -f '{{.State.ExitCode}} {{.Config.StopSignal}}' sig
	[ "$output" = "7 USR1" ]
	run -0 hull logs sig
	[ "$output" = got-usr1 ]
	# --stop-timeout 1: a container ignoring its stop signal is killed after 1 s, not 10.
	run -0 hull run -d --name slow --stop-timeout 1 busybox sh -c 'trap "" TERM; while :; do sleep 0.1; done'
	remember "$output"
	sleep 0.3
	start=$(date +%s%N)
	run -0 hull stop slow
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]
	run -0 hull inspect -f '{{.State.ExitCode}}' slow
	[ "$output" = 137 ]
	run -0 hull rm -f sig slow
}

@test "--health-cmd: inspect's State.Health turns healthy, then unhealthy when the check fails" {
	busybox_image
	run -0 hull run -d --name hc --health-cmd 'test ! -e /tmp/broken' --health-interval 200ms \
		--health-retries 2 --health-timeout 1s busybox sh -c 'while :; do sleep 0.1; done'
	remember "$output"
	wait_until 10 sh -c "[ \"\$('$HULL' --root '$STORE' --runroot '$RUNROOT' inspect -f '{{.State.Health.Status}}' hc)\" = healthy ]"
	run -0 hull ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == "hc Up "*"(healthy)" ]]
	run -0 hull exec hc touch /tmp/broken
	wait_until 10 sh -c "[ \"\$('$HULL' --root '$STORE' --runroot '$RUNROOT' inspect -f '{{.State.Health.Status}}' hc)\" = unhealthy ]"
	run -0 hull inspect -f '{{.State.Health.FailingStreak}}' hc
	[ "$output" -ge 2 ]
	run -0 hull ps --format '{{.Status}}'
	[[ "$output" == "Up "*"(unhealthy)" ]]
	run -0 hull rm -f hc
}
