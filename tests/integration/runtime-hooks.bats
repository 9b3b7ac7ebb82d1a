#!/usr/bin/env bats
# OCI hooks: when each runs, in which namespaces, what it gets on stdin, and what a failing
# or hanging hook does.

load lib/common

HOOK=""
HOOKOUT=""

setup() {
	common_setup
	HOOKOUT="$HOSTDIR"
	# A host hook: saves its stdin as NAME.json and appends "NAME MNTNS" to order.
	# args: NAME [fail|hang]
	HOOK="$BATS_TEST_TMPDIR/hook.sh"
	cat >"$HOOK" <<-EOF
		#!/bin/sh
		cat >"$HOOKOUT/\$1.json"
		echo "\$1 \$(readlink /proc/self/ns/mnt)" >>"$HOOKOUT/order"
		case "\$2" in
		fail) echo "hook \$1 failing on purpose" >&2; exit 3 ;;
		hang) exec sleep 20 ;;
		esac
		exit 0
	EOF
	chmod 0755 "$HOOK"
	# The same inside the container for startContainer (it runs after pivot_root):
	# /hookout is a bind mount of $HOOKOUT.
	mkdir -p "$BUNDLE/rootfs/hooks"
	cat >"$BUNDLE/rootfs/hooks/hook.sh" <<-'EOF'
		#!/bin/sh
		cat >"/hookout/$1.json"
		echo "$1 $(readlink /proc/self/ns/mnt)" >>/hookout/order
		case "$2" in
		fail) echo "hook $1 failing on purpose" >&2; exit 3 ;;
		esac
		exit 0
	EOF
	chmod 0755 "$BUNDLE/rootfs/hooks/hook.sh"
	bind_host_dir "$HOOKOUT" /hookout
	payload sleep forever
}

# add_hook KIND NAME [MODE] [TIMEOUT]: appends a hook of KIND that records itself as NAME.
add_hook() {
	local kind="$1" name="$2" mode="${3:-}" timeout="${4:-}" path="$HOOK"
	[ "$kind" = startContainer ] && path=/hooks/hook.sh
	update_config '.hooks[$k] += [{"path": $p, "args": ["hook.sh", $n, $m]}
		+ (if $t == "" then {} else {"timeout": ($t | tonumber)} end)]' \
		--arg k "$kind" --arg p "$path" --arg n "$name" --arg m "$mode" --arg t "$timeout"
}

add_all_hooks() {
	local k
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		add_hook "$k" "$k"
	done
}

# order_names: the hook names in the order they ran.
order_names() {
	[ -f "$HOOKOUT/order" ] && awk '{ print $1 }' "$HOOKOUT/order" | tr '\n' ' ' | sed 's/ $//'
}

# hook_mntns NAME: the mount namespace NAME ran in.
hook_mntns() {
	awk -v n="$1" '$1 == n { print $2 }' "$HOOKOUT/order"
}

@test "hooks: all six run, each at its step of the lifecycle" {
	add_all_hooks
	run rt_create "$CID"
	[ "$status" -eq 0 ]
	order_names
	[[ "$(order_names)" == "prestart createRuntime createContainer"* ]]
	[[ "$(order_names)" != *startContainer* ]]
	[[ "$(order_names)" != *poststop* ]]

	run rt start "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test -e "$HOOKOUT/poststart.json"
	[[ "$(order_names)" == *startContainer* ]]
	[[ "$(order_names)" != *poststop* ]]

	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	order_names
	[[ "$(order_names)" == *" poststop" ]]
	[ "$(wc -l <"$HOOKOUT/order")" -eq 6 ]
}

@test "hooks: poststart runs after start, not at create" {
	requires_hull "runc 1.1.5 runs poststart hooks during create, before start"
	add_all_hooks
	rt_create "$CID"
	[ "$(order_names)" = "prestart createRuntime createContainer" ]
	rt start "$CID"
	wait_until 5 test -e "$HOOKOUT/poststart.json"
	[ "$(order_names)" = "prestart createRuntime createContainer startContainer poststart" ]
	jq -e '.status == "running"' "$HOOKOUT/poststart.json"
}

@test "hooks: stdin is the state JSON (id, pid, status, bundle)" {
	add_all_hooks
	rt_create "$CID"
	pid=$(container_pid "$CID")
	rt start "$CID"
	wait_until 5 test -e "$HOOKOUT/poststart.json"
	rt delete --force "$CID"
	for h in prestart createRuntime createContainer startContainer poststart poststop; do
		echo "$h: $(cat "$HOOKOUT/$h.json")"
		jq -e --arg id "$CID" --arg b "$BUNDLE" \
			'.id == $id and .bundle == $b and (.ociVersion | type) == "string"' "$HOOKOUT/$h.json"
	done
	# Hooks in the runtime's namespaces get the container's host pid.
	for h in prestart createRuntime poststart; do
		jq -e --argjson pid "$pid" '.pid == $pid' "$HOOKOUT/$h.json"
	done
	for h in createContainer startContainer; do
		jq -e '(.pid | type) == "number" and .pid > 0' "$HOOKOUT/$h.json"
	done
	for h in prestart createRuntime createContainer; do
		jq -e '.status == "creating"' "$HOOKOUT/$h.json"
	done
	jq -e '.status == "created"' "$HOOKOUT/startContainer.json"
	jq -e '.status == "created" or .status == "running"' "$HOOKOUT/poststart.json"
	jq -e '.status == "stopped"' "$HOOKOUT/poststop.json"
}

@test "hooks: runtime hooks run in the host's mount namespace, container hooks in the container's" {
	add_all_hooks
	rt_create "$CID"
	ctr_mnt=$(readlink "/proc/$(container_pid "$CID")/ns/mnt")
	host_mnt=$(readlink /proc/self/ns/mnt)
	rt start "$CID"
	wait_until 5 test -e "$HOOKOUT/poststart.json"
	rt delete --force "$CID"
	cat "$HOOKOUT/order"
	for h in prestart createRuntime poststart poststop; do
		[ "$(hook_mntns $h)" = "$host_mnt" ]
	done
	for h in createContainer startContainer; do
		[ "$(hook_mntns $h)" = "$ctr_mnt" ]
	done
}

@test "hooks: args and env are passed as configured" {
	cat >"$BATS_TEST_TMPDIR/argenv.sh" <<-EOF
		#!/bin/sh
		echo "argv0=\$0" >"$HOOKOUT/argenv"
		echo "args=\$*" >>"$HOOKOUT/argenv"
		env >>"$HOOKOUT/argenv"
	EOF
	chmod 0755 "$BATS_TEST_TMPDIR/argenv.sh"
	update_config '.hooks.createRuntime = [{"path": $p, "args": ["argenv", "one", "two words"],
		"env": ["HULL_HOOK_VAR=set", "PATH=/usr/bin:/bin"]}]' --arg p "$BATS_TEST_TMPDIR/argenv.sh"
	HULL_LEAK=leaked rt_create "$CID"
	cat "$HOOKOUT/argenv"
	grep -qx 'args=one two words' "$HOOKOUT/argenv"
	grep -qx 'HULL_HOOK_VAR=set' "$HOOKOUT/argenv"
	! grep -q HULL_LEAK "$HOOKOUT/argenv"
}

# A failing create hook: create fails, names the problem, and leaves nothing (teardown).
create_hook_fails() {
	add_hook "$1" "$1" fail
	run rt_create "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *hook* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
	! rt state "$CID"
}

@test "hooks: a failing prestart hook fails create and leaves nothing" {
	create_hook_fails prestart
}

@test "hooks: a failing createRuntime hook fails create and leaves nothing" {
	create_hook_fails createRuntime
}

@test "hooks: a failing createContainer hook fails create and leaves nothing" {
	create_hook_fails createContainer
}

@test "hooks: later hooks do not run after a failing one" {
	add_hook createRuntime first fail
	add_hook createRuntime second
	add_hook createContainer third
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[ "$(order_names)" = first ]
}

@test "hooks: a failing startContainer hook keeps the process from running" {
	add_hook startContainer startContainer fail
	payload write /hookout/process-ran yes
	rt_create "$CID"
	run rt start "$CID"
	echo "$output"
	sleep 0.3
	[ ! -e "$HOOKOUT/process-ran" ]
	wait_status "$CID" stopped
}

@test "hooks: a failing startContainer hook makes start fail" {
	requires_hull "runc 1.1.5 returns 0 from start when a startContainer hook fails"
	add_hook startContainer startContainer fail
	rt_create "$CID"
	run rt start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *hook* ]]
}

@test "hooks: a failing poststart hook only warns" {
	requires_hull "runc 1.1.5 runs poststart during create and fails create when it fails"
	add_hook poststart poststart fail
	run rt_create "$CID"
	[ "$status" -eq 0 ]
	run rt start "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *poststart* || "$output" == *hook* ]]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "hooks: a failing poststop hook only warns, delete succeeds" {
	add_hook poststop poststop fail
	run_detached "$CID"
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt delete "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *hook* ]]
	[ "$(order_names)" = poststop ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "hooks: poststop also runs on delete --force of a running container" {
	add_hook poststop poststop
	run_detached "$CID"
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	[ "$(order_names)" = poststop ]
	jq -e --arg id "$CID" '.id == $id' "$HOOKOUT/poststop.json"
}

@test "hooks: the timeout is enforced" {
	add_hook prestart prestart hang 1
	start=$SECONDS
	run rt_create "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ $((SECONDS - start)) -lt 10 ]
	[[ "$output" == *timeout* || "$output" == *timed* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "hooks: a hook path that does not exist fails create and names it" {
	update_config '.hooks.prestart = [{"path": "/nonexistent/hull-hook"}]'
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == */nonexistent/hull-hook* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

# Issue 19 §5: a hook's children. The hook below starts a child that ignores SIGHUP and
# SIGTERM and holds the hook's stdout and stderr, records its pid, prints a line on each
# stream, then hangs (MODE hang) or exits at once (MODE exit).
forking_hook() {
	cat >"$BATS_TEST_TMPDIR/forker.sh" <<-EOF
		#!/bin/sh
		(trap "" HUP TERM; exec sleep 30) &
		echo "\$!" >"$HOOKOUT/child-\$1"
		echo "hook \$1 says hello on stdout"
		echo "hook \$1 says hello on stderr" >&2
		[ "\$2" = hang ] && exec sleep 30
		exit 0
	EOF
	chmod 0755 "$BATS_TEST_TMPDIR/forker.sh"
	update_config '.hooks[$k] += [{"path": $p, "args": ["forker.sh", $k, $m]}
		+ (if $t == "" then {} else {"timeout": ($t | tonumber)} end)]' \
		--arg k "$1" --arg p "$BATS_TEST_TMPDIR/forker.sh" --arg m "$2" --arg t "${3:-}"
}

@test "hooks: a timed-out hook's children are killed and never hold the caller's stderr" {
	forking_hook prestart hang 2
	local start=$SECONDS out
	# The caller reads the runtime's stdout and stderr to their end, as a shim does.
	out=$(rt create --bundle "$BUNDLE" "$CID" </dev/null 2>&1) && false
	echo "$out"
	echo "took $((SECONDS - start)) s"
	[ $((SECONDS - start)) -lt 8 ]
	[[ "$out" == *"timed out after 2 s"* ]]
	# The hook's output reached the runtime's stderr through the runtime's pipe.
	[[ "$out" == *"hook prestart says hello on stdout"* ]]
	[[ "$out" == *"hook prestart says hello on stderr"* ]]
	# The child is gone with the whole process group (at most a zombie its new parent
	# has not reaped yet).
	local child
	child=$(cat "$HOOKOUT/child-prestart")
	wait_until 2 sh -c "[ ! -e /proc/$child ] || [ \"\$(awk '{ print \$3 }' /proc/$child/stat)\" = Z ]"
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "hooks: a child left by a hook that succeeded does not hold the caller's stderr" {
	forking_hook poststart exit
	rt_create "$CID"
	local start=$SECONDS out child
	out=$(rt start "$CID" </dev/null 2>&1)
	echo "$out"
	echo "took $((SECONDS - start)) s"
	[ $((SECONDS - start)) -lt 8 ]
	[[ "$out" == *"hook poststart says hello on stderr"* ]]
	# A hook may leave a daemon behind on success (nothing kills it); it just no longer
	# holds the runtime's streams.
	child=$(cat "$HOOKOUT/child-poststart")
	kill -9 "$child"
}
