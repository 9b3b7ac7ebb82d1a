#!/usr/bin/env bats
# `make demo`'s scripts run here, so that the demo cannot rot: the engine's story
# (scripts/demo-engine.sh, in a private store) and the runtime's (scripts/demo.sh).
# Run as root: bats tests/integration/demo.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "the engine's demo (scripts/demo-engine.sh) passes every check and leaves no container" {
	# In the test's network namespace: the default bridge network must not touch the host's.
	run nsenter --net="/run/netns/$HOSTNS" env HULL_ROOT="$STORE" HULL_RUNROOT="$RUNROOT" \
		"$REPO_ROOT/scripts/demo-engine.sh" "$HULL"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"PASS: the host's cgroup of the container holds 134217728"* ]]
	[[ "$output" == *"PASS: the kernel killed it: OOMKilled true"* ]]
	[[ "${lines[-1]}" =~ ^"demo: all "[0-9]+" engine checks passed" ]]
	[ -z "$(hull ps -aq)" ]
}

@test "the runtime's demo (scripts/demo.sh) passes every check" {
	run "$REPO_ROOT/scripts/demo.sh" "$(dirname "$HULL")/hull-runtime"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"demo: all "*" checks passed"* ]]
}
