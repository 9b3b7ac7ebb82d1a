#!/usr/bin/env bats
# The runtime as a library (include/hull/runtime.h, issue 12): build/api-caller embeds it
# and checks after every call (create, start, exec, kill, wait, delete) that its own
# process is exactly as before: capability sets, namespaces, dumpable flag, signal
# dispositions and mask, cwd, umask, fds, rlimits, CPU affinity, cgroup. It also checks
# that CVE-2019-5736's protection fails closed for an unsealed caller.
# API_CALLER=build-asan/api-caller runs the sanitizer build of it.

load lib/common

API_CALLER="${API_CALLER:-$REPO_ROOT/build/api-caller}"

setup() {
	requires_hull "the library of hull-runtime"
	[ -x "$API_CALLER" ] || skip "build/api-caller is not built"
	common_setup
	payload sleep forever
}

# api_caller: runs the embedder on $BUNDLE with this file's state root; its TAP output
# is printed on failure.
api_caller() {
	run timeout 120 "$API_CALLER" "$STATE_ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"1.."* ]]
	[[ "$output" != *"not ok"* ]]
}

@test "api: the default container leaves its caller untouched (create, start, exec, kill, wait, delete)" {
	api_caller
}

# Hooks are forked and fed the state on stdin: one that does not read it must not cost
# the caller a SIGPIPE disposition (hooks.c once ignored SIGPIPE in the whole process).
# The bounding set drop, which create once made in the caller before clone, is exercised
# by every config with capabilities.
@test "api: hooks that do not read their stdin leave the caller's signal dispositions alone" {
	update_config '.hooks = {"prestart": [{"path": "/bin/true"}], "poststart": [{"path": "/bin/true"}],
		"poststop": [{"path": "/bin/true"}]}'
	api_caller
}

# A time namespace applies to children only: create with offsets, and exec into a
# container with one but without a pid namespace, once joined it in the caller.
@test "api: a time namespace with offsets, and exec into it without a pid namespace" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	add_namespace time
	drop_namespace pid
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}}'
	api_caller
}

@test "api: a user namespace" {
	add_namespace user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	api_caller
}
