#!/usr/bin/env bats
# Container lifecycle: create/start/run/state/kill/delete/list/ps/pause.

load lib/common

# The container writes $HOSTDIR/started and then keeps running.
write_then_sleep() {
	bind_host_dir "$HOSTDIR" /host
	set_args /bin/sh -c '/payload write /host/started yes && exec /payload sleep forever'
}

@test "create leaves the process waiting; start runs it" {
	write_then_sleep
	run rt_create "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" .status)" = created ]
	pid=$(container_pid "$CID")
	[ "$pid" -gt 0 ]
	[ -d "/proc/$pid" ]
	# Give a (wrongly) running process time to write its file.
	sleep 0.3
	[ ! -e "$HOSTDIR/started" ]

	run rt start "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test -e "$HOSTDIR/started"
	[ "$(cat "$HOSTDIR/started")" = yes ]
	[ "$(state_field "$CID" .status)" = running ]
	[ "$(container_pid "$CID")" = "$pid" ]
}

@test "state has the OCI fields" {
	payload sleep forever
	rt_create "$CID"
	run rt state "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" --arg b "$BUNDLE" '
		.id == $id and .status == "created" and (.pid | type) == "number" and .pid > 0
		and .bundle == $b and (.ociVersion | type) == "string"'
}

@test "run returns the container's exit status" {
	payload exit 7
	run rt_run "$CID"
	[ "$status" -eq 7 ]
	payload false
	run rt_run "$CID-b"
	[ "$status" -eq 1 ]
	payload true
	run rt_run "$CID-c"
	[ "$status" -eq 0 ]
	# run deletes the container once it has exited.
	run rt state "$CID"
	[ "$status" -ne 0 ]
}

@test "run passes stdout and stderr through" {
	set_args /bin/sh -c 'echo to-stdout; echo to-stderr >&2'
	rt_run "$CID" >"$HOSTDIR/out" 2>"$HOSTDIR/err"
	grep -qx to-stdout "$HOSTDIR/out"
	grep -qx to-stderr "$HOSTDIR/err"
}

@test "run -d and run --detach return while the container runs" {
	payload sleep forever
	run rt_run_d "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" .status)" = running ]
	run _rt_to_file "$(ctr_out_file "$CID-b")" run --detach --bundle "$BUNDLE" "$CID-b"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID-b" .status)" = running ]
}

@test "--pid-file of create and run -d holds the host pid" {
	payload sleep forever
	rt_create --pid-file "$HOSTDIR/pid1" "$CID"
	[ -s "$HOSTDIR/pid1" ]
	[ "$(cat "$HOSTDIR/pid1")" = "$(container_pid "$CID")" ]
	# The host pid, not the pid inside the container's namespace (1).
	[ "$(cat "$HOSTDIR/pid1")" != 1 ]
	rt_run_d --pid-file "$HOSTDIR/pid2" "$CID-b"
	[ "$(cat "$HOSTDIR/pid2")" = "$(container_pid "$CID-b")" ]
	tr '\0' ' ' <"/proc/$(cat "$HOSTDIR/pid2")/cmdline" | grep -q '^/payload sleep forever'
}

@test "create of an existing id fails and leaves the first container alone" {
	payload sleep forever
	rt_create "$CID"
	pid=$(container_pid "$CID")
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exists"* ]]
	[ "$(state_field "$CID" .status)" = created ]
	[ "$(container_pid "$CID")" = "$pid" ]
	# A running one is just as busy.
	rt start "$CID"
	run rt_run_d "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "delete of a running container needs --force" {
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *running* ]]
	[ "$(state_field "$CID" .status)" = running ]
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ ! -d "$STATE_ROOT/$CID" ]
	wait_until 5 test ! -e "/proc/$pid"
}

@test "delete of a created container kills its waiting process" {
	payload sleep forever
	rt_create "$CID"
	pid=$(container_pid "$CID")
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test ! -e "/proc/$pid"
	[ ! -d "$STATE_ROOT/$CID" ]
}

@test "delete of a stopped container works without --force" {
	payload true
	rt_run_d "$CID"
	wait_status "$CID" stopped
	run rt delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -d "$STATE_ROOT/$CID" ]
}

@test "state is stopped after the process exits" {
	payload sleep 0.3
	rt_run_d "$CID"
	wait_status "$CID" stopped
	run rt state "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.status == "stopped"'
}

@test "start of a running or stopped container fails" {
	payload sleep forever
	run_detached "$CID"
	run rt start "$CID"
	[ "$status" -ne 0 ]
	rt kill "$CID" KILL
	wait_status "$CID" stopped
	run rt start "$CID"
	[ "$status" -ne 0 ]
}

@test "kill accepts KILL, SIGKILL and 9" {
	payload sleep forever
	for sig in KILL SIGKILL 9; do
		run_detached "$CID-$sig"
	done
	for sig in KILL SIGKILL 9; do
		run rt kill "$CID-$sig" "$sig"
		[ "$status" -eq 0 ]
	done
	for sig in KILL SIGKILL 9; do
		wait_status "$CID-$sig" stopped
	done
}

@test "kill delivers TERM by default and by name" {
	bind_host_dir "$HOSTDIR" /host
	for how in default TERM SIGTERM 15; do
		payload signal-wait TERM "/host/ready-$how"
		run_detached "$CID-$how"
		wait_until 5 test -e "$HOSTDIR/ready-$how"
		if [ "$how" = default ]; then
			run rt kill "$CID-$how"
		else
			run rt kill "$CID-$how" "$how"
		fi
		[ "$status" -eq 0 ]
		wait_status "$CID-$how" stopped
		ctr_out "$CID-$how" | grep -qx 'got SIGTERM'
	done
}

@test "kill with a bad signal name is rejected and the container keeps running" {
	payload sleep forever
	run_detached "$CID"
	for sig in SIGFOO FOO 0x9 -1 999; do
		run rt kill "$CID" "$sig"
		[ "$status" -ne 0 ]
	done
	sleep 0.1
	[ "$(state_field "$CID" .status)" = running ]
}

@test "kill of a stopped container is an error" {
	payload true
	rt_run_d "$CID"
	wait_status "$CID" stopped
	run rt kill "$CID" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
}

@test "kill --all reaches every process of the container" {
	bind_host_dir "$HOSTDIR" /host
	# Without a pid namespace, killing the init does not take its children with it.
	drop_namespace pid
	set_args /bin/sh -c '/payload sleep forever & echo $! >/host/child; exec /payload sleep forever'
	run_detached "$CID"
	wait_until 5 test -s "$HOSTDIR/child"
	child=$(cat "$HOSTDIR/child")
	init=$(container_pid "$CID")
	[ -d "/proc/$child" ]
	run rt kill --all "$CID" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID" stopped
	wait_until 5 test ! -e "/proc/$child"
	wait_until 5 test ! -e "/proc/$init"
}

@test "editing config.json after create changes nothing" {
	bind_host_dir "$HOSTDIR" /host
	payload write /host/out original
	rt_create "$CID"
	payload write /host/out edited
	update_config '.process.env += ["EDITED=1"]'
	run rt start "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test -s "$HOSTDIR/out"
	wait_status "$CID" stopped
	[ "$(cat "$HOSTDIR/out")" = original ]
}

@test "pause freezes and resume thaws the container" {
	payload sleep forever
	run_detached "$CID"
	run rt pause "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" .status)" = paused ]
	pid=$(container_pid "$CID")
	run rt resume "$CID"
	[ "$status" -eq 0 ]
	[ "$(state_field "$CID" .status)" = running ]
	[ -d "/proc/$pid" ]
}

@test "delete of a paused container needs --force, and --force works" {
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	rt pause "$CID"
	run rt delete "$CID"
	[ "$status" -ne 0 ]
	[ "$(state_field "$CID" .status)" = paused ]
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	wait_until 5 test ! -e "/proc/$pid"
}

@test "list shows the container as a table, as JSON and with -q" {
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")

	run rt list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED* ]]
	line=$(grep "^$CID " <<<"$output")
	[[ "$line" == *" $pid "* ]]
	[[ "$line" == *running* ]]
	[[ "$line" == *"$BUNDLE"* ]]

	run rt list --format json
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$CID" --argjson pid "$pid" --arg b "$BUNDLE" '
		type == "array" and
		(map(select(.id == $id)) | length == 1 and .[0].pid == $pid and .[0].status == "running"
		 and .[0].bundle == $b)'

	run rt list -q
	[ "$status" -eq 0 ]
	[ "$output" = "$CID" ]
}

@test "list of an empty state dir prints only the header, and [] as JSON" {
	run rt list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rt list --format json
	[ "$status" -eq 0 ]
	# runc prints "null" for no containers; an empty array is also fine.
	echo "$output" | jq -e '. == null or . == []'
}

@test "ps lists the container's processes as a table and as JSON" {
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")

	run rt ps "$CID"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	# The host pid of the init is in the PID column.
	awk 'NR > 1 { print $2 }' <<<"$output" | grep -qx "$pid"

	run rt ps --format json "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --argjson pid "$pid" 'type == "array" and index($pid) != null'
}

@test "run --keep leaves the stopped container" {
	payload exit 3
	run rt run --keep --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 3 ]
	[ "$(state_field "$CID" .status)" = stopped ]
	rt list -q | grep -qx "$CID"
	run rt delete "$CID"
	[ "$status" -eq 0 ]
}

@test "a container's id, bundle and status survive a second runtime invocation" {
	payload sleep forever
	rt_create "$CID"
	# Another working directory and no --bundle: state comes from the state dir only.
	cd /
	[ "$(state_field "$CID" .bundle)" = "$BUNDLE" ]
	rt start "$CID"
	[ "$(state_field "$CID" .status)" = running ]
}

# Issue 19 §4: create + start (the path containerd and Docker take) with a process.user
# other than root. The init reopens exec.fifo with the process's credentials, so the fifo
# belongs to that user (still 0600); with a user namespace, to the host ids the user maps
# to. Supplementary groups and user namespaces as variants.
@test "create + start as a non-root user, with supplementary groups and in a user namespace" {
	local user id i=0 want_owner
	for user in '{"uid": 1000, "gid": 1000}' '{"uid": 1000, "gid": 1000, "additionalGids": [10, 2000]}' \
		'{"uid": 65534, "gid": 65534}' 'userns-root' 'userns-1000'; do
		i=$((i + 1))
		id="$CID-$i"
		want_owner=$(jq -r '"\(.uid):\(.gid)"' <<<"$user" 2>/dev/null || true)
		case "$user" in
		userns-*)
			if [ ! -d "$BATS_TEST_TMPDIR/mapped-rootfs" ]; then
				make_mapped_rootfs 100000 100000
				add_namespace user
				update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
					| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
			fi
			if [ "$user" = userns-root ]; then
				update_config '.process.user = {"uid": 0, "gid": 0}'
				want_owner=100000:100000
			else
				update_config '.process.user = {"uid": 1000, "gid": 1000}'
				want_owner=101000:101000
			fi
			;;
		*) update_config '.process.user = $u' --argjson u "$user" ;;
		esac
		payload ids
		rt_create "$id"
		status_is "$id" created
		# runc makes it 0622 and leaves it to root.
		if is_hull; then
			[ "$(stat -c '%a %u:%g' "$STATE_ROOT/$id/exec.fifo")" = "600 $want_owner" ]
		fi
		rt start "$id"
		wait_status "$id" stopped
		output=$(ctr_out "$id")
		echo "$user: $output"
		case "$user" in
		userns-root) [ "$(kv uid)" = 0 ] ;;
		userns-1000) [ "$(kv uid)" = 1000 ] ;;
		*)
			[ "$(kv uid)" = "$(jq .uid <<<"$user")" ]
			[ "$(kv gid)" = "$(jq .gid <<<"$user")" ]
			[ "$(kv groups)" = "$(jq -r '.additionalGids // [] | join(",")' <<<"$user")" ]
			;;
		esac
		rt delete "$id"
	done
}

# Issue 19 §4: create never exits 0 with an init that cannot go on. A profile that refuses
# to open files for writing (openat with O_WRONLY; the runtime's own check sees only
# openat's read-only form) stops the init's reopening of exec.fifo: create fails, says
# why, and leaves nothing (before: exit 0, then "cannot start a container that has
# stopped").
@test "create fails cleanly when the init could not wait for start" {
	requires_hull "runc 1.1.5 prints the init's error but exits 0, leaving a stopped container"
	local nnp
	for nnp in true false; do
		update_config '.process.noNewPrivileges = $n | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["openat"], "action": "SCMP_ACT_ERRNO",
				"args": [{"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]}' --argjson n "$nnp"
		run rt_create "$CID-$nnp"
		echo "noNewPrivileges=$nnp: status $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *exec.fifo* ]]
		[ ! -e "$STATE_ROOT/$CID-$nnp" ]
		[ -z "$(rt state "$CID-$nnp" 2>/dev/null)" ]
	done
}

# Issue 19 §1: a recorded pid that an unrelated process reused must never be signalled.
# in_private_pidns SCRIPT: runs SCRIPT (bash) as pid 1 of a new pid namespace with its own
# /proc, where the test decides which process gets which pid (ns_last_pid). rt and
# reuse_pid are defined there; everything in the namespace dies when SCRIPT ends.
in_private_pidns() {
	RUNTIME="$RUNTIME" STATE_ROOT="$STATE_ROOT" BUNDLE="$BUNDLE" CID="$CID" \
		timeout --kill-after=5 60 unshare --pid --fork --mount-proc bash -c '
rt() { "$RUNTIME" --root "$STATE_ROOT" "$@"; }
# reuse_pid PID: kills PID (pid 1, this shell, reaps it) and starts a `sleep` that gets
# the same pid, in $victim (not printed: a command substitution would wait for the sleep).
reuse_pid() {
	local p=$1 i
	kill -9 "$p"
	for i in $(seq 500); do [ -e "/proc/$p" ] || break; sleep 0.01; done
	for i in $(seq 20); do
		echo $((p - 1)) >/proc/sys/kernel/ns_last_pid
		sleep 1000 </dev/null >/dev/null 2>&1 9<&- &
		victim=$!
		[ "$victim" = "$p" ] && return 0
		kill -9 "$victim"
	done
	return 1
}
'"$1"
}

@test "delete --force waiting for the lock never kills a process that reused the init's pid" {
	payload sleep forever
	run in_private_pidns '
rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
pid=$(rt state "$CID" | jq -r .pid)
[ "${pid:-0}" -gt 0 ] || { echo "run -d failed"; exit 1; }
# Another command holds the lock; delete --force starts and waits for it.
exec 9<"$STATE_ROOT/$CID"
flock 9
rt delete --force "$CID" 9<&- & del=$!
sleep 0.5
# Meanwhile the init dies and an unrelated process gets its pid.
reuse_pid "$pid" || { echo "pid $pid not reused"; exit 1; }
echo "reused=$victim"
exec 9<&-
wait "$del"; echo "delete=$?"
if kill -0 "$victim" 2>/dev/null; then echo victim=alive; else echo victim=killed; fi
[ -e "$STATE_ROOT/$CID" ] && echo state=left || echo state=gone'
	echo "$output"
	[ "$status" -eq 0 ]
	[ -n "$(kv reused)" ]
	[ "$(kv victim)" = alive ]
	[ "$(kv delete)" = 0 ]
	[ "$(kv state)" = gone ]
}

@test "kill never signals a process that reused the init's pid between its check and its signal" {
	command -v strace >/dev/null || skip "strace is missing"
	payload sleep forever
	# strace holds the runtime for 3 s right after its first pidfd_open, i.e. after the
	# status was derived and before the signal, and logs the call as DELAYED; meanwhile
	# the init dies and its pid is reused. A runtime with no pidfd_open signals at once.
	run in_private_pidns '
rt run -d --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1
pid=$(rt state "$CID" | jq -r .pid)
[ "${pid:-0}" -gt 0 ] || { echo "run -d failed"; exit 1; }
log=$(mktemp)
strace -qq -o "$log" -e trace=pidfd_open -e inject=pidfd_open:delay_exit=3000000:when=1 \
	"$RUNTIME" --root "$STATE_ROOT" kill "$CID" KILL 2>&1 & tracer=$!
for i in $(seq 500); do
	grep -q DELAYED "$log" && break
	kill -0 "$tracer" 2>/dev/null || break
	sleep 0.01
done
echo "held=$(grep -c DELAYED "$log")"
reuse_pid "$pid" || { echo "pid $pid not reused"; exit 1; }
echo "reused=$victim"
wait "$tracer"; echo "kill=$?"
if kill -0 "$victim" 2>/dev/null; then echo victim=alive; else echo victim=killed; fi
rm -f "$log"
rt delete --force "$CID"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv held)" = 1 ]
	[ -n "$(kv reused)" ]
	[ "$(kv victim)" = alive ]
	# The container counts as stopped: kill fails as runc does for a stopped container.
	[ "$(kv kill)" != 0 ]
	[[ "$output" == *"not running"* ]]
}
