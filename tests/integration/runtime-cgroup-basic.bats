#!/usr/bin/env bats
# cgroups: the container is in its own cgroup (cgroupsPath), linux.resources are written
# there, limits hold, and delete removes the cgroup. Works on v1/hybrid (the machines here)
# and on pure v2 (tests/vm).

bats_require_minimum_version 1.5.0
load lib/common

# Pure cgroup v2: cgroup2 mounted at /sys/fs/cgroup itself.
is_v2() {
	[ -f /sys/fs/cgroup/cgroup.controllers ]
}

# cg_dir PID CONTROLLER: PID's cgroup directory for CONTROLLER on the host.
cg_dir() {
	if is_v2; then
		echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
	else
		cgroup_path_of "$1" "$2"
	fi
}

# cg_read PID CONTROLLER V1FILE V2FILE
cg_read() {
	local d
	d=$(cg_dir "$1" "$2")
	if is_v2; then cat "$d/$4"; else cat "$d/$3"; fi
}

set_resources() {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config '.linux.resources.memory = {"limit": 104857600}
		| .linux.resources.pids = {"limit": 50}
		| .linux.resources.cpu = {"shares": 512, "quota": 50000, "period": 100000}'
}

@test "cgroupsPath: the process is in that cgroup in every controller" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	cat "/proc/$pid/cgroup"
	if is_v2; then
		grep -qx "0::/$CID" "/proc/$pid/cgroup"
		grep -qx "$pid" "/sys/fs/cgroup/$CID/cgroup.procs"
	else
		for c in memory pids cpu cpuacct devices freezer blkio cpuset; do
			[ "$(cgroup_path_of "$pid" $c)" = "/sys/fs/cgroup/$c/$CID" ]
			grep -qx "$pid" "/sys/fs/cgroup/$c/$CID/cgroup.procs"
		done
	fi
}

# The layout is read from listmount/statmount (cgroup-mounts.c) where the kernel has them
# (6.10 for a v1 hierarchy's controllers), never from the whole of /proc/self/mountinfo;
# where listmount fails (ENOSYS, as before 6.8) the runtime reads mountinfo and the
# container's cgroups are the same.
@test "cgroup mounts: listed by listmount/statmount, and from mountinfo where listmount fails" {
	requires_hull "how hull-runtime finds the cgroup mounts"
	command -v strace >/dev/null || skip "strace is missing"
	[ "$(printf '6.10\n%s\n' "$(uname -r)" | sort -V | head -1)" = 6.10 ] || skip "kernel before 6.10"
	local nosys=$REPO_ROOT/build/nosys
	[ -x "$nosys" ] || fail "$nosys is missing (make build makes it)"
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	set_args /bin/sh -c 'cat /proc/self/cgroup'
	local log="$BATS_TEST_TMPDIR/strace"
	run -0 strace -f -qq -o "$log.fast" -e trace=openat "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" \
		"$CID" </dev/null
	local fast=$output
	[ -n "$fast" ]
	[ -z "$(grep mountinfo "$log.fast")" ]
	# listmount is 458 in the generic system call table (x86-64, arm64).
	run -0 strace -f -qq -o "$log.slow" -e trace=openat "$nosys" 458 "$RUNTIME" --root "$STATE_ROOT" run \
		--bundle "$BUNDLE" "$CID" </dev/null
	[ "$output" = "$fast" ]
	grep -q '"/proc/self/mountinfo"' "$log.slow"
}

@test "resources: memory, pids and cpu values in the cgroup files (host view)" {
	set_resources
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	[ "$(cg_read "$pid" memory memory.limit_in_bytes memory.max)" = 104857600 ]
	[ "$(cg_read "$pid" pids pids.max pids.max)" = 50 ]
	if is_v2; then
		[ "$(cat "$(cg_dir "$pid" cpu)/cpu.max")" = "50000 100000" ]
		# shares 512 -> some weight below the default 100.
		w=$(cat "$(cg_dir "$pid" cpu)/cpu.weight")
		[ "$w" -lt 100 ]
	else
		[ "$(cg_read "$pid" cpu cpu.shares -)" = 512 ]
		[ "$(cg_read "$pid" cpu cpu.cfs_quota_us -)" = 50000 ]
		[ "$(cg_read "$pid" cpu cpu.cfs_period_us -)" = 100000 ]
	fi
}

@test "resources: the container sees its cgroup in /proc/self/cgroup" {
	set_resources
	payload cat /proc/self/cgroup
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	if is_v2; then
		grep -qx "0::/$CID" <<<"$output"
	else
		grep -Eq "^[0-9]+:memory:/$CID\$" <<<"$output"
		grep -Eq "^[0-9]+:pids:/$CID\$" <<<"$output"
		grep -Eq "^[0-9]+:(cpu,cpuacct|cpu):/$CID\$" <<<"$output"
	fi
}

@test "resources: the container reads its limits through its cgroup mount" {
	is_v2 && skip "v1 file names"
	set_resources
	set_args /bin/sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 104857600 ]
	[ "${lines[1]}" = 50 ]
}

@test "delete removes the cgroup directories" {
	set_resources
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	dirs=()
	if is_v2; then
		dirs=("$(cg_dir "$pid" memory)")
	else
		for c in memory pids cpu devices freezer; do dirs+=("$(cgroup_path_of "$pid" $c)"); done
	fi
	for d in "${dirs[@]}"; do [ -d "$d" ]; done
	run rt delete --force "$CID"
	[ "$status" -eq 0 ]
	for d in "${dirs[@]}"; do [ ! -e "$d" ]; done
}

@test "cgroups are removed after a run ends on its own" {
	set_resources
	payload true
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(_test_cgroups)" ]
}

@test "without cgroupsPath the container still gets its own cgroup, removed on delete" {
	update_config 'del(.linux.cgroupsPath)'
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	mine=$(cg_dir $$ memory)
	theirs=$(cg_dir "$pid" memory)
	echo "runtime caller: $mine container: $theirs"
	[ "$theirs" != "$mine" ]
	[ -d "$theirs" ]
	rt delete --force "$CID"
	[ ! -e "$theirs" ]
}

@test "a nested cgroupsPath creates the parents" {
	parent="hulltest-parent-$$-${BATS_SUITE_TEST_NUMBER:-0}"
	update_config '.linux.cgroupsPath = $p' --arg p "/$parent/$CID"
	update_config '.linux.resources.pids = {"limit": 20}'
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	d=$(cg_dir "$pid" pids)
	[ "${d##*/}" = "$CID" ]
	[[ "$d" == */$parent/$CID ]]
	[ "$(cat "$d/pids.max")" = 20 ]
	rt delete --force "$CID"
	[ ! -e "$d" ]
	# The parent is ours to remove (runc leaves it).
	for p in /sys/fs/cgroup/*/"$parent" /sys/fs/cgroup/"$parent"; do
		[ -d "$p" ] && rmdir "$p"
	done
	true
}

@test "the memory limit holds: a hog beyond it is OOM-killed" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	payload hog 200
	run rt_run "$CID"
	echo "status=$status $output"
	[ "$status" -eq 137 ]
	[[ "$output" != *ok* ]]
}

@test "the pids limit holds: forks beyond it fail" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config '.linux.resources.pids = {"limit": 16}'
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	# The forking shell is exec'd (busybox sh exits when a fork fails); its children must not
	# hold the output pipe.
	run rt exec "$CID" /bin/sh -c 'i=0; while [ $i -lt 30 ]; do /payload sleep forever >/dev/null 2>&1 & i=$((i + 1)); done; echo spawned'
	echo "status=$status $output"
	[ "$status" -ne 0 ]
	[[ "$output" == *fork* ]]
	[ "$(cg_read "$pid" pids pids.current pids.current)" -le 16 ]
}

@test "update changes the limits of a running container" {
	set_resources
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	run rt update --pids-limit 77 --memory 209715200 "$CID"
	[ "$status" -eq 0 ]
	[ "$(cg_read "$pid" pids pids.max pids.max)" = 77 ]
	[ "$(cg_read "$pid" memory memory.limit_in_bytes memory.max)" = 209715200 ]
}

@test "cpuset: cpus and mems" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config '.linux.resources.cpu = {"cpus": "0", "mems": "0"}'
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	[ "$(cg_read "$pid" cpuset cpuset.cpus cpuset.cpus)" = 0 ]
	[ "$(cg_read "$pid" cpuset cpuset.mems cpuset.mems)" = 0 ]
	grep -E '^Cpus_allowed_list:\s+0$' "/proc/$pid/status"
}

@test "the process is in its cgroup before it runs (created state)" {
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	payload sleep forever
	rt_create "$CID"
	pid=$(container_pid "$CID")
	d=$(cg_dir "$pid" pids)
	[ "$d" = "$(is_v2 && echo "/sys/fs/cgroup/$CID" || echo "/sys/fs/cgroup/pids/$CID")" ]
	grep -qx "$pid" "$d/cgroup.procs"
}

# entered_itself LOG PID: strace's LOG shows PID (a pattern) writing "0" to the container's
# `tasks` file in every v1 hierarchy (their mount points: the test's own mount namespace is
# the host's), and nobody writing a cgroup.procs file.
entered_itself() {
	local c n=0
	while read -r c; do
		grep -E "^$2 +write\([0-9]+<$c/$CID/tasks>, \"0\", 1\) = 1\$" "$1"
		n=$((n + 1))
	done < <(findmnt -rn -t cgroup -o TARGET)
	[ "$n" -gt 0 ]
	[ -z "$(grep 'cgroup.procs>' "$1")" ]
}

# A migration by pid (cgroup.procs) makes the kernel take its global threadgroup lock for
# writing, an RCU grace period (~6 ms); a thread writing "0" to a v1 `tasks` file moves
# itself without it, and clone3 places the child in the cgroup2 one at birth. The parent
# opens the files, the child writes; nobody writes cgroup.procs.
@test "the init enters its cgroup itself: \"0\" to each v1 tasks file, clone3 into cgroup2, no cgroup.procs write" {
	requires_hull "how hull-runtime enters the cgroup"
	command -v strace >/dev/null || skip "strace is missing"
	if is_v2; then skip "no cgroup v1 hierarchy here"; fi
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	set_args /bin/cat /proc/self/cgroup
	local log="$BATS_TEST_TMPDIR/strace"
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -y -s 64 -o "$log" -e trace=write,clone3 -e signal=none "$RUNTIME" --root "$STATE_ROOT" \
		run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	# The container is in its cgroup in every hierarchy, the unified one included.
	[ -z "$(grep -v ":/$CID\$" <<<"$output")" ]
	local main init
	main=$(head -1 "$log" | cut -d' ' -f1)
	init=$(sed -n "s/^$main \+clone3(.*CLONE_INTO_CGROUP.*) = \([0-9]\+\)\$/\1/p" "$log" | head -1)
	if grep -q ' - cgroup2 ' /proc/self/mountinfo; then
		[ -n "$init" ]
	else
		init=$(sed -n "s/^$main \+clone3(.*) = \([0-9]\+\)\$/\1/p" "$log" | head -1)
	fi
	[ -n "$init" ]
	[ "$init" != "$main" ]
	entered_itself "$log" "$init"
}

# With cgroup v1 hierarchies only the cgroup2 directory must exist at clone3; the v1 ones
# are made before the clone while the namespace thread works, the rest while the init
# mounts (container.c, cgroup_v1_late). Without new network, IPC and UTS namespaces there
# is no thread: all are made after the clone, their `tasks` files (opened by the parent
# after the clone3) reach the init over the sync socket, and the limits are in place
# before the process runs.
@test "v1 cgroups made while the init mounts: it enters them itself, and its limits apply before it runs" {
	requires_hull "how hull-runtime makes and enters the cgroup"
	command -v strace >/dev/null || skip "strace is missing"
	if is_v2; then skip "no cgroup v1 hierarchy here"; fi
	set_resources
	update_config 'del(.hostname) | .linux.namespaces |= map(select(.type != "network" and .type != "ipc" and .type != "uts"))'
	set_args /bin/sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
	local log="$BATS_TEST_TMPDIR/strace"
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -y -s 64 -o "$log" -e trace=write,clone3,openat -e signal=none \
		"$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ -z "$(grep -v -e ":/$CID\$" -e '^104857600$' -e '^50$' <<<"$output")" ]
	[ "$(tail -2 <<<"$output" | tr '\n' ' ')" = "104857600 50 " ]
	local main init
	main=$(head -1 "$log" | cut -d' ' -f1)
	init=$(sed -n "s/^$main \+clone3(.*) = \([0-9]\+\)\$/\1/p" "$log" | head -1)
	[ -n "$init" ]
	grep -v ' openat(' "$log" >"$log.writes"
	entered_itself "$log.writes" "$init"
	# The parent opened the memory hierarchy's tasks file after the clone.
	[ -n "$(sed -n "/^$main \+clone3(/,\$ p" "$log" | grep -E "^$main +openat\(.*/memory/$CID/tasks\"")" ]
}

# The limits written after the clone can fail: the error is create's, and the init (in the
# cgroup2 directory by then), the directories and the state are all gone.
@test "v1 cgroups made while the init mounts: a limit refused there fails the run and leaves nothing" {
	requires_hull "how hull-runtime makes the cgroup"
	if is_v2; then skip "no cgroup v1 hierarchy here"; fi
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	update_config 'del(.hostname) | .linux.namespaces |= map(select(.type != "network" and .type != "ipc" and .type != "uts"))
		| .linux.resources.cpu = {"quota": 500, "period": 100000}'
	set_args /bin/true
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cpu.cfs_quota_us to 500"* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
	[ -z "$(_test_cgroups)" ]
}

@test "exec: the process enters the container's cgroup itself, or is moved into --cgroup's sub-cgroup" {
	requires_hull "how hull-runtime enters the cgroup"
	command -v strace >/dev/null || skip "strace is missing"
	if is_v2; then skip "no cgroup v1 hierarchy here"; fi
	update_config '.linux.cgroupsPath = $p' --arg p "/$CID"
	payload sleep forever
	run_detached "$CID"
	local log="$BATS_TEST_TMPDIR/strace" c
	ASAN_OPTIONS=detect_leaks=0 run -0 strace -f -qq -y -s 64 -o "$log" -e trace=write -e signal=none "$RUNTIME" \
		--root "$STATE_ROOT" exec "$CID" cat /proc/self/cgroup
	echo "$output"
	[ -z "$(grep -v ":/$CID\$" <<<"$output")" ]
	entered_itself "$log" '[0-9]+'
	# Into a sub-cgroup the runtime moves it by pid, after its entry (else its own write
	# of "0" would take it back out).
	while read -r c; do
		mkdir "$c/$CID/sub"
		if [ -e "$c/$CID/sub/cpuset.cpus" ]; then # v1 cpuset: empty until given some
			cat "$c/$CID/cpuset.cpus" >"$c/$CID/sub/cpuset.cpus"
			cat "$c/$CID/cpuset.mems" >"$c/$CID/sub/cpuset.mems"
		fi
	done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET)
	run -0 rt exec --cgroup sub "$CID" cat /proc/self/cgroup
	echo "$output"
	[ -z "$(grep -v ":/$CID/sub\$" <<<"$output")" ]
}

@test "--systemd-cgroup on a host without systemd fails naming what is missing, and leaves nothing" {
	requires_hull "the error text is hull-runtime's"
	[ ! -d /run/systemd/system ] || skip "systemd runs this host: tests/vm/systemd covers the driver"
	update_config '.linux.cgroupsPath = "system.slice:hulltest:x"'
	payload true
	for flag in --systemd-cgroup "--cgroup-manager=systemd"; do
		run timeout 60 "$RUNTIME" --root "$STATE_ROOT" "$flag" run --bundle "$BUNDLE" "$CID" </dev/null
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"needs systemd as PID 1"*"(no /run/systemd/system)"*"--cgroup-manager cgroupfs"* ]]
		run rt state "$CID"
		[ "$status" -ne 0 ]
	done
}
