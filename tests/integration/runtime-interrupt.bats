#!/usr/bin/env bats
# An interrupted runtime never leaves debris (issue 11 §5): whatever is killed, at any
# moment of run -d, create, exec or delete, the container stays visible to `state` (or
# nothing of it exists), `delete -f` removes all of it (state, cgroups in every
# hierarchy, processes, mounts) and the id can be used again at once.

load lib/common
bats_require_minimum_version 1.5.0

setup() {
	common_setup
	update_config '.process.args = ["/payload", "sleep", "forever"]'
	FROZEN=
}

teardown() {
	# A failed frozen-cgroup test leaves its processes frozen: thaw them so that the
	# common teardown can kill them (and report the cgroup).
	if [ -n "$FROZEN" ] && [ -d "$FROZEN" ]; then
		echo THAWED >"$FROZEN/freezer.state" 2>/dev/null || echo 0 >"$FROZEN/cgroup.freeze" 2>/dev/null
	fi
	common_teardown
}

# The processes of container $1: in a cgroup named after it, or with the bundle's rootfs
# as their root.
_procs_of() {
	local id="$1"
	grep -l -E -- "/$id(/|\$)" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
	find /proc/[0-9]*/root -maxdepth 0 -lname "$BUNDLE/rootfs" 2>/dev/null | cut -d/ -f3
}

# Whether pid $1 is a live process (the machine's pid 1 may be slow to reap zombies).
alive() {
	[ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# Whether container $1 has at least $2 processes.
_procs_at_least() {
	[ "$(_procs_of "$1" | sort -u | wc -l)" -ge "$2" ]
}

# cgroup directories of container $1 in any hierarchy.
_cgroups_of() {
	find /sys/fs/cgroup/ -mindepth 1 -maxdepth 6 -type d -name "$1" 2>/dev/null
}

# What is left of container $1 (nothing printed: nothing). A process may take a moment
# to go after a kill -9 of the runtime (an init reading EOF on its sync socket). With
# "invisible", an empty state directory does not count: a delete killed between its
# last unlink and its rmdir leaves one, which holds no container (the next create of
# the id replaces it, delete -f removes it).
leftovers() {
	local id="$1" deadline=$((SECONDS + 3)) procs
	while procs=$(_procs_of "$id") && [ -n "$procs" ] && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.05
	done
	[ -z "$procs" ] || echo "processes of $id: $(echo $procs)"
	if [ -e "$STATE_ROOT/$id" ] && { [ "${2:-}" != invisible ] || [ -n "$(ls -A "$STATE_ROOT/$id")" ]; }; then
		echo "state of $id: $(ls -A "$STATE_ROOT/$id" | tr '\n' ' ')"
	fi
	_cgroups_of "$id" | sed 's/^/cgroup: /'
	awk -v p="$BUNDLE/rootfs/" 'index($5, p) == 1 { print "mount: " $5 }' /proc/self/mountinfo
}

# Unpublished state directories of runtimes no longer running (`list` sweeps them).
stale_new_dirs() {
	rt list -q >/dev/null
	ls -A "$STATE_ROOT" | grep '^\.new\.' || true
}

# trial OP ID LOG: prepares what OP needs, runs it, kills the runtime (and, one time in
# three, its whole process group: its children too) with SIGKILL after 0-20 ms, then
# checks that the container is visible or gone entirely, deletes it with --force and
# checks that nothing is left. Prints what went wrong. The kill comes from timeout(1),
# the runtime's parent, so that it can never hit a pid that was reused meanwhile.
trial() {
	local op="$1" id="$2" log="$3" ms st
	local R=("$RUNTIME" --root "$STATE_ROOT")
	case "$op" in
	exec | delete)
		"${R[@]}" run -d --bundle "$BUNDLE" "$id" </dev/null >>"$log" 2>&1 || {
			echo "$op: run -d $id failed: $(tail -3 "$log")"
			return
		}
		;;
	esac
	local args
	case "$op" in
	run) args=(run -d --bundle "$BUNDLE" "$id") ;;
	create) args=(create --bundle "$BUNDLE" "$id") ;;
	exec) args=(exec "$id" /payload sleep forever) ;;
	delete) args=(delete --force "$id") ;;
	esac
	ms=$((RANDOM % 21))
	# 0 would disable the timeout: 0.1 ms to 20.1 ms.
	local T=(timeout -s KILL --foreground "$(printf '0.%03d1' "$ms")")
	if [ $((RANDOM % 3)) -eq 0 ]; then
		T=(timeout -s KILL "$(printf '0.%03d1' "$ms")")
	fi
	"${T[@]}" "${R[@]}" "${args[@]}" </dev/null >>"$log" 2>&1
	if st=$("${R[@]}" state "$id" 2>>"$log"); then
		echo "$op $(echo "$st" | jq -r .status)" >>"$log.seen"
		case "$(echo "$st" | jq -r .status)" in
		creating | created | running | paused | stopped) ;;
		*) echo "$op at ${ms}ms: state says $st" ;;
		esac
		"${R[@]}" list -q 2>>"$log" | grep -qx -- "$id" || echo "$op at ${ms}ms: list does not show $id"
	else
		# Invisible is fine only when nothing of it exists.
		echo "$op gone" >>"$log.seen"
		local left
		left=$(leftovers "$id" invisible)
		[ -z "$left" ] || echo "$op at ${ms}ms: state says it does not exist, yet: $left"
	fi
	"${R[@]}" delete --force "$id" </dev/null >>"$log" 2>&1 || echo "$op at ${ms}ms: delete -f failed: $(tail -3 "$log")"
	local left
	left=$(leftovers "$id")
	[ -z "$left" ] || echo "$op at ${ms}ms: after delete -f: $left"
}

# stream N ID LOG: N trials on one id (each reuses the id the last one deleted).
stream() {
	local n="$1" id="$2" log="$3" i ops=(run create exec delete)
	# A stream runs in a subshell: failures are reported as text, not by errexit
	# (which bats sets and a background subshell inherits).
	set +e
	for ((i = 0; i < n; i++)); do
		trial "${ops[i % 4]}" "$id" "$log"
	done
}

@test "100 random kill -9 points (0-20 ms) in run -d, create, exec, delete: delete -f removes everything" {
	requires_hull "runc leaves cgroups (and crun state) after a killed create"
	local problems
	problems=$(stream 100 "$CID" "$BATS_TEST_TMPDIR/rt.log")
	echo "$problems"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/rt.log.seen")" -eq 100 ]
	# What the kills left before delete -f, for the record (TAP comment).
	echo "# seen after the kill: $(sort "$BATS_TEST_TMPDIR/rt.log.seen" | uniq -c | tr -s ' \n' ' ')" >&3
	[ -z "$problems" ]
	[ -z "$(stale_new_dirs)" ]
	[ -z "$(ls -A "$STATE_ROOT")" ]
}

@test "the same in 16 parallel streams" {
	requires_hull "runc leaves cgroups (and crun state) after a killed create"
	local s
	for s in $(seq 1 16); do
		stream 8 "$CID-$s" "$BATS_TEST_TMPDIR/rt-$s.log" >"$BATS_TEST_TMPDIR/problems-$s" &
		BG_PIDS+=($!)
	done
	for s in "${BG_PIDS[@]}"; do
		wait "$s" || true
	done
	BG_PIDS=()
	cat "$BATS_TEST_TMPDIR"/problems-*
	# Every trial of every stream ran to its end.
	[ "$(cat "$BATS_TEST_TMPDIR"/rt-*.log.seen | wc -l)" -eq 128 ]
	echo "# seen after the kill: $(cat "$BATS_TEST_TMPDIR"/rt-*.log.seen | sort | uniq -c | tr -s ' \n' ' ')" >&3
	[ -z "$(cat "$BATS_TEST_TMPDIR"/problems-*)" ]
	[ -z "$(stale_new_dirs)" ]
	[ -z "$(ls -A "$STATE_ROOT")" ]
}

@test "an unpublished state directory is swept once its creator is gone, even when its pid is reused" {
	requires_hull "the .new.PID.START directories are hull's"
	# A live process that is not a create stands for one that reused a dead creator's pid
	# (pid_max is 32768 here: a full suite reuses pids within minutes).
	sleep 1000 &
	local other=$! start
	BG_PIDS+=("$other")
	start=$(sed 's/.*) //' "/proc/$other/stat" | cut -d' ' -f20)
	[ -n "$start" ]
	mkdir -p "$STATE_ROOT"
	# The pid with another start time: its creator is gone, the directory goes.
	mkdir "$STATE_ROOT/.new.$other.$((start + 1))" "$STATE_ROOT/.new.$other.$((start + 1))/x"
	# The pid with its start time: that process may still be creating, it stays.
	mkdir "$STATE_ROOT/.new.$other.$start"
	# An older version's name, pid alone: kept while a process has the pid, swept when
	# none does.
	mkdir "$STATE_ROOT/.new.$other"
	sh -c 'exit 0' &
	local dead=$!
	wait "$dead"
	mkdir "$STATE_ROOT/.new.$dead"
	# Names hull never makes are left alone.
	mkdir "$STATE_ROOT/.new.$other.x"
	rt list -q
	run ls -A "$STATE_ROOT"
	echo "$output"
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "$(printf '%s\n' ".new.$other" ".new.$other.$start" ".new.$other.x" | sort | tr '\n' ' ')" ]
	# The creator's end (here the stand-in's) frees the directory of the new name.
	kill "$other"
	wait "$other" || true
	BG_PIDS=()
	rt list -q
	[ "$(ls -A "$STATE_ROOT")" = ".new.$other.x" ]
	rmdir "$STATE_ROOT/.new.$other.x"
}

@test "a concurrent create of the same id fails cleanly and leaves the other's container intact" {
	local i a b pid cg
	for i in $(seq 1 10); do
		rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/a" 2>&1 &
		a=$!
		rt create --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/b" 2>&1 &
		b=$!
		local ra=0 rb=0
		wait "$a" || ra=$?
		wait "$b" || rb=$?
		cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
		# Exactly one wins; the other says the id is taken.
		[ $((ra == 0)) -ne $((rb == 0)) ]
		grep -q "already exists" "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
		# The winner's container is whole: created, its init alive in its cgroup.
		[ "$(state_field "$CID" .status)" = created ]
		pid=$(container_pid "$CID")
		alive "$pid"
		cg=$(cgroup_path_of "$pid" pids)
		[ "$(basename "$cg")" = "$CID" ]
		grep -qx "$pid" "$cg/cgroup.procs"
		rt delete --force "$CID"
		[ -z "$(leftovers "$CID")" ]
	done
}

@test "delete -f of a container whose processes were moved into a frozen cgroup elsewhere" {
	update_config '.process.args = ["/bin/sh", "-c", "/payload sleep forever & exec /payload sleep forever"]'
	run_detached "$CID"
	local pid mode
	pid=$(container_pid "$CID")
	wait_until 5 _procs_at_least "$CID" 2
	if [ -d /sys/fs/cgroup/freezer ]; then
		mode=v1
		FROZEN=/sys/fs/cgroup/freezer/$CID-frozen
	else
		mode=v2
		FROZEN=/sys/fs/cgroup/$CID-frozen
	fi
	mkdir "$FROZEN"
	if [ $mode = v1 ]; then
		# Every process of the container; they stay in its other hierarchies.
		for p in $(cat "$(cgroup_path_of "$pid" freezer)/cgroup.procs"); do
			echo "$p" >"$FROZEN/cgroup.procs"
		done
		echo FROZEN >"$FROZEN/freezer.state"
		wait_until 5 grep -qx FROZEN "$FROZEN/freezer.state"
	else
		echo "$pid" >"$FROZEN/cgroup.procs"
		echo 1 >"$FROZEN/cgroup.freeze"
		wait_until 5 grep -qx "frozen 1" "$FROZEN/cgroup.events"
	fi
	grep -qx "$pid" "$FROZEN/cgroup.procs"

	run rt delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(leftovers "$CID")" ]
	run ! alive "$pid"
	rmdir "$FROZEN"
}

@test "create whose init is killed during setup fails at once and leaves nothing" {
	# A createRuntime hook kills the init (its pid is in the state on stdin) while the
	# runtime waits for it to go on: the runtime must see it die, not wait forever.
	local hook='kill -9 $(sed -n "s/.*\"pid\":\([0-9]*\).*/\1/p")'
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", $hook]}]' --arg hook "$hook"
	RT_TIMEOUT=20 run rt_create "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	# Not the timeout (124, or 137 after --kill-after).
	[ "$status" -ne 124 ]
	[ "$status" -ne 137 ]
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(leftovers "$CID")" ]
}
