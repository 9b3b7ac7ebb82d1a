#!/usr/bin/env bats
# The engine's container commands end to end: the origin scenarios of issue 15, bad input,
# and the truth after crashes. Run as root: bats tests/integration/engine.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "run -d --name web, ps, logs -f, stop, start, rm (the teaching story)" {
	busybox_image
	run -0 hull run -d --name web busybox sh -c 'trap "echo bye; exit 0" TERM; i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done'
	id=$output
	[[ "$id" =~ ^[0-9a-f]{64}$ ]]
	remember "$id"
	run -0 hull ps
	[[ "${lines[0]}" == "CONTAINER ID"*"IMAGE"*"COMMAND"*"CREATED"*"STATUS"*"PORTS"*"NAMES" ]]
	[[ "${lines[1]}" == "${id:0:12}"*"busybox"*"Up "*"web" ]]
	retry 50 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' logs web | grep -q 'line 3'"
	# logs -f follows until the container stops.
	hull logs -f web >"$BATS_TEST_TMPDIR/follow" 3>&- &
	follower=$!
	sleep 0.3
	run -0 hull stop web
	[ "$output" = web ]
	wait "$follower"
	grep -q 'line 3' "$BATS_TEST_TMPDIR/follow"
	grep -q 'bye' "$BATS_TEST_TMPDIR/follow"
	run -0 hull inspect -f '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}' web
	[ "$output" = "exited 0 false" ]
	run -0 hull ps -a --format '{{.Names}} {{.State}}'
	[ "$output" = "web exited" ]
	run -0 hull start web
	run -0 hull inspect -f '{{.State.Status}}' web
	[ "$output" = running ]
	run -0 hull logs --tail 1 web
	[ "${#lines[@]}" -eq 1 ]
	run -0 hull rm -f web
	run -0 hull ps -aq
	[ -z "$output" ]
}

@test "run -itd -m 128m busybox sh: the host's memory cgroup reads 134217728, usage non-zero" {
	busybox_image
	run -0 hull run -itd -m 128m busybox sh
	id=$output
	remember "$id"
	sleep 0.3
	run -0 hull inspect -f '{{.State.Status}} {{.HostConfig.Memory}} {{.Config.Tty}}' "$id"
	[ "$output" = "running 134217728 true" ]
	if [ -d /sys/fs/cgroup/memory ]; then
		cg=/sys/fs/cgroup/memory/hull/$id
		[ "$(cat "$cg/memory.limit_in_bytes")" = 134217728 ]
		[ "$(cat "$cg/memory.usage_in_bytes")" -gt 0 ]
	else
		cg=/sys/fs/cgroup/hull/$id
		[ "$(cat "$cg/memory.max")" = 134217728 ]
		[ "$(cat "$cg/memory.current")" -gt 0 ]
	fi
	run -0 hull rm -f "$id"
	[ ! -d "$cg" ]
}

@test "stress over the memory limit is OOM-killed: 137 and OOMKilled true; under it, it runs until stopped" {
	busybox_image
	run hull run --name oom -m 100m busybox stress --vm-bytes 200m --vm-keep -m 1
	remember "$(hull inspect -f '{{.Id}}' oom)"
	# The whole container dies, as Docker's: on cgroup v2 by memory.oom.group, on v1 (no
	# group kill: the kernel takes only stress's worker) by the monitor's kill of all.
	[ "$status" -eq 137 ]
	run -0 hull inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' oom
	[ "$output" = "137 true" ]
	# An init that would go on after the kill (here a shell) is killed with the rest.
	run timeout 60 "$HULL" --root "$STORE" --runroot "$RUNROOT" run --network none --name oom2 -m 100m busybox \
		sh -c 'stress --vm-bytes 200m --vm-keep -m 1; sleep 100'
	remember "$(hull inspect -f '{{.Id}}' oom2)"
	echo "oom2: status $status: $output"
	[ "$status" -eq 137 ]
	run -0 hull inspect -f '{{.State.ExitCode}} {{.State.OOMKilled}}' oom2
	[ "$output" = "137 true" ]
	run -0 hull run -d --name ok -m 300m busybox stress --vm-bytes 200m --vm-keep -m 1
	remember "$output"
	sleep 1
	run -0 hull inspect -f '{{.State.Status}} {{.State.OOMKilled}}' ok
	[ "$output" = "running false" ]
	run -0 hull stop -t 1 ok
	run -0 hull inspect -f '{{.State.Status}} {{.State.OOMKilled}}' ok
	[ "$output" = "exited false" ]
}

@test "run in the foreground: output, exit code, --rm leaves nothing" {
	busybox_image
	run -3 --separate-stderr hull run --rm busybox sh -c 'echo out; echo err >&2; exit 3'
	[ "$output" = out ]
	[ "$stderr" = err ]
	run -0 hull ps -aq
	[ -z "$output" ]
	run -0 hull run --rm -e FOO=bar -w /tmp -u www busybox sh -c 'echo $FOO $(pwd) $(id -u):$(id -g) $(id -G)'
	[ "$output" = "bar /tmp 33:33 33 500" ]
	run -0 hull run --rm busybox sh -c 'hostname; cat /etc/hostname'
	[ "${lines[0]}" = "${lines[1]}" ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
}

# ext4 without a journal (this host's root) skips, one buffer lookup each, every inode freed in
# the last 30 s of the block group it allocates in. The directories whose children come and go
# with every container are marked chattr +T (util.h, hull_dir_spread), so that each
# container's directories land in a block group of their own choosing instead of on the inodes
# the last containers freed: 32 `run --rm` 16 at a time took 450 ms without, 305 ms with.
@test "the directories containers come and go in are spread over ext4's block groups (chattr +T)" {
	busybox_image
	[ "$(stat -f -c %T "$STORE")" = ext2/ext3 ] || skip "the store is not on ext4 ($(stat -f -c %T "$STORE"))"
	[ "$(stat -f -c %T "$RUNROOT")" = ext2/ext3 ] || skip "the runroot is not on ext4 ($(stat -f -c %T "$RUNROOT"))"
	run -0 hull run --rm --network none busybox true
	for d in "$STORE/containers" "$STORE/overlay/c" "$STORE/layers" "$RUNROOT/containers" "$RUNROOT/runtime"; do
		run -0 lsattr -d "$d"
		[[ "${output%% *}" == *T* ]] || { echo "not +T: $output"; false; }
	done
}

# The hot path's durability (docs/design.md, "The engine's run path"): a writing command
# syncs the WAL once when it closes the store, SQLite's checkpoint at close is off, and
# exit.json of a container removed right after is not fsynced. A reading command syncs
# nothing.
@test "run --rm syncs the store's WAL once and nothing else; ps syncs nothing" {
	command -v strace >/dev/null || skip "strace is missing"
	command -v sqlite3 >/dev/null || skip "sqlite3 is missing"
	busybox_image
	# A WAL far from the automatic checkpoint (256 pages; a run adds about 24).
	sqlite3 "$STORE/hull.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	hull run --rm --network none busybox true
	local log="$BATS_TEST_TMPDIR/strace"
	nsenter --net="/run/netns/$HOSTNS" strace -f -qq -y -o "$log" -e trace=fsync,fdatasync,syncfs,sync,sync_file_range \
		"$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --network none busybox true
	cat "$log"
	# The commits of create and start are written out while the container runs (a write-back
	# without a wait), so that the sync at the end has less to write.
	grep -E '^[0-9]+ +(sync_file_range|fdatasync)\(' "$log" | head -n 1 | grep -q 'sync_file_range([0-9]*<[^>]*hull\.db-wal>, 0, 0, SYNC_FILE_RANGE_WRITE)'
	[ "$(grep -c '^[0-9]\+ \+fdatasync([0-9]*<[^>]*hull\.db-wal>' "$log")" -eq 1 ]
	# Nothing else: the store directory was synced once after the WAL was made (the WAL's
	# user.hull.dirsynced mark says so), not at every close as SQLite's own sync did.
	[ "$(grep -c -E '^[0-9]+ +(fsync|fdatasync|syncfs|sync)\(' "$log")" -eq 1 ]
	# A WAL made anew (here SQLite removed it when the journal mode changed) is a directory
	# entry that may not be on disk yet: the writer that made it syncs the directory at its
	# close (fsync; SQLite's own syncs of the directory in the mode change are fdatasyncs),
	# after the WAL, and marks the WAL.
	sqlite3 "$STORE/hull.db" 'PRAGMA journal_mode=DELETE' >/dev/null
	[ ! -e "$STORE/hull.db-wal" ]
	nsenter --net="/run/netns/$HOSTNS" strace -f -qq -y -o "$log" -e trace=fsync,fdatasync,syncfs,sync \
		"$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --network none busybox true
	cat "$log"
	grep -E '^[0-9]+ +(fsync|fdatasync)\(' "$log" | tail -n 2 >"$BATS_TEST_TMPDIR/last"
	grep -q -E "^[0-9]+ +fdatasync\\([0-9]+<$STORE/hull.db-wal>\\)" <(head -n 1 "$BATS_TEST_TMPDIR/last")
	grep -q -E "^[0-9]+ +fsync\\([0-9]+<$STORE>\\)" <(tail -n 1 "$BATS_TEST_TMPDIR/last")
	[ "$(getfattr --only-values -n user.hull.dirsynced "$STORE/hull.db-wal")" = "$(stat -c %d:%i "$STORE/hull.db-wal")" ]
	# A mark naming another file (a copy of the store with its xattrs) does not count.
	setfattr -n user.hull.dirsynced -v "1:$(stat -c %i "$STORE/hull.db-wal")" "$STORE/hull.db-wal"
	nsenter --net="/run/netns/$HOSTNS" strace -f -qq -y -o "$log" -e trace=fsync,fdatasync,syncfs,sync \
		"$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --network none busybox true
	cat "$log"
	[ "$(grep -c -E "^[0-9]+ +fsync\\([0-9]+<$STORE>\\)" "$log")" -eq 1 ]
	run -0 hull ps -aq
	[ -z "$output" ]
	nsenter --net="/run/netns/$HOSTNS" strace -f -qq -y -o "$log" -e trace=fsync,fdatasync,syncfs,sync \
		"$HULL" --root "$STORE" --runroot "$RUNROOT" ps -a
	[ "$(grep -c -E '^[0-9]+ +(fsync|fdatasync|syncfs|sync)\(' "$log")" -eq 0 ]
}

# The end of a foreground run --rm overlaps (docs/design.md, "The engine's hot path"): the
# monitor tells the CLI of the exit before the runtime's delete (the cgroups, the state
# directory), which it does while the CLI removes the rest; the CLI waits for that delete
# before the container's row goes, so nothing is left when it returns. The test holds the
# lock of the runtime's state directory for 2 s: the monitor's delete waits for it, and so
# must the run.
@test "run --rm returns only after the runtime's delete that its monitor does meanwhile" {
	busybox_image
	local out="$BATS_TEST_TMPDIR/run.out"
	hull run --rm --name overlap --network none busybox sleep 1 >"$out" 2>&1 &
	local run=$!
	retry 50 sh -c "[ -n \"\$(ls '$RUNROOT/runtime' | grep -v '^\.')\" ]"
	local id
	id=$(ls "$RUNROOT/runtime" | grep -v '^\.')
	remember "$id"
	local t0
	t0=$(date +%s%N)
	flock "$RUNROOT/runtime/$id" sleep 2 &
	local holder=$!
	wait "$run"
	local took=$((($(date +%s%N) - t0) / 1000000))
	local left
	left=$(ls -d "$RUNROOT/runtime/$id" /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/hull/"$id" 2>/dev/null || true)
	wait "$holder"
	cat "$out"
	echo "run returned after $took ms; left then: $left"
	[ -z "$left" ]
	[ "$took" -ge 1900 ]
	run -0 hull ps -aq
	[ -z "$output" ]
}

# Every file or directory a run makes on the store's and runroot's file system is an inode
# allocated and freed: on ext4 without a journal each allocation scans past the inodes
# freed in the last minute (bench/README.md, "Session 8"), so a run makes no file it does
# not need. Counted: successful creations under the store and the runroot, outside the
# container's root filesystem (the mount points the init makes there depend on the
# image). 18 in session 8: the container and overlay directories (5), config.json, the
# two logs, exit.json, hostname, hosts, resolv.conf, the run directory, monitor.pid,
# attach.sock, the runtime's state directory and its state.json twice. monitor.json
# reaches the monitor as a memfd; --network none's namespace is the runtime's (no file).
# Not counted, as the store's lock and database: settle.lock, the veth waiter's lock, made
# once per store and only opened by later runs. Nor what the kernel makes: overlay's
# work/work, and for a --rm container's volatile mount work/work/incompat/volatile.
@test "run --rm creates at most 18 files and directories on disk; the runtime keeps no copy of config.json" {
	command -v strace >/dev/null || skip "strace is missing"
	busybox_image
	hull run --rm --network none busybox true
	local log="$BATS_TEST_TMPDIR/strace"
	# -ff: a file per process, so that no call is split into "unfinished" and "resumed".
	nsenter --net="/run/netns/$HOSTNS" strace -ff -qq -y -o "$log" -e trace=mkdir,mkdirat,openat,mknodat,symlinkat,bind \
		"$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --network none busybox true
	cat "$log".* | grep -E '(mkdir|mkdirat|mknodat|symlinkat)\(|O_CREAT|bind\(' | grep -v -e '= -1' |
		grep -e "$STORE" -e "$RUNROOT" | grep -v -E '/rootfs[/>]|hull\.db|"lock"|"settle\.lock"|events\.jsonl' >"$log.made" || true
	cat "$log.made"
	[ "$(wc -l <"$log.made")" -le 18 ]
	# hostname, hosts and resolv.conf are written once, by the start's network setup, in
	# place: the first start of a container the same command created has none of them yet.
	[ "$(grep -c -E '"(\.hosts\.[0-9a-f]+\.tmp|hosts)", O_' "$log.made")" -eq 1 ]
	[ "$(grep -c -E '"\.(hosts|resolv\.conf|hostname|config\.json)\.[0-9a-f]+\.tmp"' "$log.made")" -eq 0 ]
	run -0 hull run -d --name cfg busybox sleep 100
	remember "$output"
	[ -e "$STORE/containers/$output/config.json" ]
	[ -z "$(ls "$RUNROOT"/runtime/*/config.json 2>/dev/null)" ]
	# exec reads the bundle's config.json instead.
	run -0 hull exec cfg sh -c 'echo $PATH'
	[ "$output" = /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ]
	run -0 hull rm -f cfg
}

# The monitor outlives the command that started it (src/engine/runtime.c, posix_spawn's file
# actions): none of the command's files stay open in it (a caller reading the command's
# output until its end would wait for the container's), and it leads a session of its own.
@test "the monitor keeps none of the CLI's files: /dev/null on 0 and 1, monitor.log on 2, a session of its own" {
	busybox_image
	# An fd the CLI inherits without close-on-exec, as from a careless caller.
	exec 7>"$BATS_TEST_TMPDIR/held"
	run -0 hull run -d busybox sleep 100
	exec 7>&-
	local id=$output mon
	remember "$id"
	mon=$(cut -d' ' -f1 "$RUNROOT/containers/$id/monitor.pid")
	[ "$(readlink "/proc/$mon/fd/0")" = /dev/null ]
	[ "$(readlink "/proc/$mon/fd/1")" = /dev/null ]
	[ "$(readlink "/proc/$mon/fd/2")" = "$STORE/containers/$id/monitor.log" ]
	[ -z "$(find "/proc/$mon/fd" -lname "$BATS_TEST_TMPDIR/held")" ]
	[ "$(cut -d' ' -f6 "/proc/$mon/stat")" = "$mon" ]
	run -0 hull rm -f "$id"
}

# The monitor of a foreground `run --rm` leaves the teardown to the CLI that removes the
# container, but only while that CLI lives.
@test "run --rm whose CLI is killed: the monitor unmounts and removes it when the container ends" {
	busybox_image
	# Not through the hull function: $! must be hull itself (nsenter executes it).
	nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --name fg busybox sleep 1 &
	local cli=$!
	local id
	retry 100 eval 'id=$(hull inspect -f "{{.Id}}" fg 2>/dev/null)'
	remember "$id"
	retry 100 eval '[ "$(hull inspect -f "{{.State.Status}}" fg)" = running ]'
	grep -q " $STORE/containers/$id/rootfs " /proc/self/mountinfo
	kill -9 "$cli"
	wait "$cli" || true
	# Its CLI gone, the monitor removes it (as Docker's daemon does) once it has ended.
	retry 100 no_containers
	retry 100 eval '! pgrep -f "hull-monitor $STORE/containers/$id/" >/dev/null'
	[ -z "$(grep " $STORE/containers/$id/rootfs " /proc/self/mountinfo)" ]
	[ ! -e "$STORE/containers/$id" ]
}

# A --rm container's writable layer is mounted "volatile" (as Podman's): overlay then skips
# the sync of the whole file system under it when the mount goes, on the critical path of
# `run --rm` (bench/README.md, "Session 9"). Overlay refuses to mount a work directory that
# a volatile mount used again: a second mount of the same container (a --rm container
# whose monitor was killed, started again) clears that marker first.
@test "run --rm mounts its writable layer volatile, a kept container's is not; a --rm container mounts again" {
	busybox_image
	run -0 hull run --rm --network none busybox grep ' / ' /proc/mounts
	[[ "$output" == *volatile* ]]
	run -0 hull run --name kept --network none busybox grep ' / ' /proc/mounts
	[[ "$output" != *volatile* ]]
	run -0 hull rm kept
	run -0 hull create --rm --name again --network none busybox echo hello
	local id=$output
	remember "$id"
	[ -d "$STORE/overlay/c/$id/work/work/incompat/volatile" ]
	umount "$STORE/containers/$id/rootfs"
	run -0 hull start -a again
	[ "$output" = hello ]
	retry 50 no_containers
}

# The marker is cleared only for a mount of the same boot (the boot id recorded on the
# storage before each volatile mount): after a reboot, which may have been a crash that
# left the unsynced upper directory inconsistent, the container is not run again.
@test "a --rm container whose volatile mount was of an earlier boot is not mounted again" {
	busybox_image
	run -0 hull create --rm --name again --network none busybox echo hello
	local id=$output
	remember "$id"
	local c="$STORE/overlay/c/$id"
	[ "$(getfattr --only-values -n trusted.hull.volatile_boot "$c")" = "$(cat /proc/sys/kernel/random/boot_id)" ]
	umount "$STORE/containers/$id/rootfs"
	# As if the host had booted since.
	setfattr -n trusted.hull.volatile_boot -v 00000000-0000-0000-0000-000000000000 "$c"
	run -1 hull start -a again
	[[ "$output" == *"mounted volatile before the host last booted"* ]]
	[ -d "$c/work/work/incompat/volatile" ]
	[ -z "$(grep " $STORE/containers/$id/rootfs " /proc/self/mountinfo)" ]
	run -0 hull rm -f again
}

@test "detached --rm removes the container when it exits" {
	busybox_image
	run -0 hull run -d --rm busybox sh -c 'sleep 0.3'
	remember "$output"
	retry 50 no_containers
}

# Docker's restart of a --rm container marks the stop as a manual restart and skips the
# removal for it (moby's HasBeenManuallyRestarted): the container runs again, still --rm, and
# goes when it later exits or is stopped. A plain stop removes it, and restart or start of a
# --rm container that has exited finds nothing.
@test "restart of a run -d --rm container runs it again, still removed when it exits or is stopped" {
	busybox_image
	run -0 hull run -d --rm --name rr --network none busybox sh -c 'echo up; sleep 30'
	local id=$output
	remember "$id"
	local first
	first=$(hull inspect -f '{{.State.Pid}}' rr)
	run -0 hull restart -t 1 rr
	[ "$output" = rr ]
	[ "$(hull inspect -f '{{.State.Status}} {{.HostConfig.AutoRemove}}' rr)" = "running true" ]
	[ "$(hull inspect -f '{{.State.Pid}}' rr)" != "$first" ]
	[ "$(hull logs rr)" = "up
up" ]
	# Again, then a stop removes it as it would have before.
	run -0 hull restart -t 1 rr
	[ "$(hull inspect -f '{{.State.Status}}' rr)" = running ]
	run -0 hull stop -t 1 rr
	retry 50 no_containers
	[ ! -e "$STORE/containers/$id" ]
	[ -z "$(grep " $STORE/containers/$id/rootfs " /proc/self/mountinfo)" ]
	run -1 hull start rr
	[ "$output" = "Error: No such container: rr" ]
	# Restarted, it is removed when it exits on its own.
	run -0 hull run -d --rm --name short --network none busybox sh -c 'sleep 1'
	remember "$output"
	run -0 hull restart -t 1 short
	[ "$(hull inspect -f '{{.State.Status}}' short)" = running ]
	retry 50 no_containers
	# One that already exited is gone: restart finds nothing, as Docker's.
	run -0 hull run -d --rm --name ended --network none busybox true
	remember "$output"
	retry 50 no_containers
	run -1 hull restart ended
	[ "$output" = "Error: No such container: ended" ]
}

# Restarted just as it ended, while its monitor removes it: Docker's errors, and nothing left
# (the start used to mount a rootfs into the directory being removed, fail on /proc, and
# leave the container behind).
@test "restart of a --rm container that just ended, while its monitor removes it: Docker's errors, nothing left" {
	busybox_image
	local i id
	for i in $(seq 1 20); do
		id=$(hull run -d --rm --network none busybox sh -c 'sleep 0.2')
		remember "$id"
		# The moment its monitor has written the exit file, before its removal begins.
		while [ ! -e "$STORE/containers/$id/exit.json" ] && [ -d "$STORE/containers/$id" ]; do :; done
		run -1 hull restart "$id"
		[[ "$output" == "Error: No such container: $id" ||
			"$output" == "Error: container $id is marked for removal and cannot be started" ]]
	done
	retry 50 no_containers
}

@test "bad input: a clear error, Docker's exit codes, nothing left behind" {
	busybox_image
	run -125 hull run --bogus busybox true
	[[ "$output" == *"unknown flag: --bogus"* ]]
	# A missing argument or an unknown command is 1 in Docker's client, only flags are 125.
	run -1 hull run
	[[ "$output" == *'"hull run" requires at least 1 argument.'* ]]
	run -1 hull logs
	[[ "$output" == *'"hull logs" requires exactly 1 argument.'* ]]
	run -1 hull bogus
	[[ "$output" == *"'bogus' is not a hull command."* ]]
	run -125 hull run -m 12x busybox true
	[[ "$output" == *"invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'"* ]]
	[[ "$output" == *"See 'hull run --help'." ]]
	run -125 hull create --cpus x busybox true
	[[ "$output" == *"See 'hull create --help'." ]]
	run -125 hull run nosuchimage true
	[[ "$output" == *"Unable to find image 'nosuchimage'"* ]]
	run -127 hull run busybox /no/such/command
	[[ "$output" == *"/no/such/command"* ]]
	run -126 hull run busybox /bin/noexec
	run -125 hull run -v /nonexistent-h5-source:/data busybox true
	[[ "$output" == *"bind source path does not exist"* ]]
	run -125 hull run -v /tmp:/proc busybox true
	[[ "$output" == *"/proc"* ]]
	run -125 hull run -u nobody2 busybox true
	[[ "$output" == *"unable to find user nobody2"* ]]
	# The failed runs left their records (as Docker's do) but nothing mounted or running.
	[ -z "$(hull ps -q)" ]
	run -0 hull container prune -f
	[ -z "$(hull ps -aq)" ]
	run -0 hull run -d --name taken busybox sleep 100
	remember "$output"
	run -125 hull run --name taken busybox true
	[[ "$output" == *"Conflict. The container name \"/taken\" is already in use"* ]]
	# create passes what the engine refused on as 1 (Docker's client: only run makes it 125).
	run -1 hull create --name taken busybox true
	[[ "$output" == *"Conflict. The container name \"/taken\" is already in use"* ]]
	run -1 hull create nosuchimage true
	[[ "$output" == *"Unable to find image 'nosuchimage'"* ]]
	run -1 hull rm taken
	[[ "$output" == *"container is running"* ]]
	run -1 hull inspect nosuchcontainer
	[[ "$output" == *"No such container: nosuchcontainer"* ]]
	# Several names: what exists is printed, then a line per name that failed, status 1.
	run -1 --separate-stderr hull inspect -f '{{.Name}}' nosuch1 taken nosuch2
	[ "$output" = /taken ]
	[ "$stderr" = "Error: No such container: nosuch1
Error: No such container: nosuch2" ]
	run -125 hull inspect -f '{{.Name' taken
	[[ "$output" == "Error: template parsing error: unclosed action in template"* ]]
}

@test "an image in use cannot be removed" {
	busybox_image
	run -0 hull create --name c busybox true
	remember "$output"
	run -1 hull rmi busybox
	[[ "$output" == *"unable to remove repository reference \"busybox\" (must force) - container "* ]]
	run -1 hull rmi "$(hull image inspect -f '{{.Id}}' busybox)"
	[[ "$output" == *"(cannot be forced) - image is being used by container"* ]]
	run -0 hull rm c
	run -0 hull rmi busybox
}

@test "truth after crashes: the monitor killed, the container killed, rm -f cleans up" {
	busybox_image
	run -0 hull run -d --name a busybox sleep 1000
	id=$output
	remember "$id"
	mpid=$(awk '{print $1}' "$RUNROOT/containers/$id/monitor.pid")
	kill -9 "$mpid"
	sleep 0.2
	# The container outlived its monitor: still running, and says so.
	run -0 hull inspect -f '{{.State.Status}} {{.State.Running}}' a
	[ "$output" = "running true" ]
	run -0 hull ps -q
	[ "$output" = "${id:0:12}" ]
	# Now the container dies too, with nobody to record it: exited, status unknown (255).
	pid=$(hull inspect -f '{{.State.Pid}}' a)
	kill -9 "$pid"
	retry 30 sh -c "[ \"\$('$HULL' --root '$STORE' --runroot '$RUNROOT' inspect -f '{{.State.Status}}' a)\" = exited ]"
	run -0 hull inspect -f '{{.State.ExitCode}}' a
	[ "$output" = 255 ]
	run -0 hull rm -f a
	# A second one whose monitor dies while the container runs: rm -f still removes all.
	run -0 hull run -d --name b busybox sleep 1000
	id=$output
	remember "$id"
	mpid=$(awk '{print $1}' "$RUNROOT/containers/$id/monitor.pid")
	kill -9 "$mpid"
	run -0 hull rm -f b
	[ -z "$(hull ps -aq)" ]
}

@test "a create killed half-way leaves a record that rm -f removes" {
	busybox_image
	# A row in state 'creating' whose owner is gone, as a kill -9 of `hull create` leaves it.
	run -0 hull create --name half busybox true
	id=$output
	remember "$id"
	python3 - "$STORE/hull.db" "$id" <<-'PY'
		import sqlite3, sys
		db = sqlite3.connect(sys.argv[1])
		db.execute("UPDATE containers SET state='creating', pid=999999, pid_start=1 WHERE id=?", (sys.argv[2],))
		db.commit()
	PY
	run -0 hull ps -a --format '{{.Names}} {{.State}}'
	[ "$output" = "half dead" ]
	run -0 hull rm -f half
	[ -z "$(hull ps -aq)" ]
}

@test "pause, unpause, kill, wait, rename, restart" {
	busybox_image
	run -0 hull run -d --name p busybox sh -c 'trap "exit 7" USR1; while :; do sleep 0.1; done'
	remember "$output"
	run -0 hull pause p
	run -0 hull inspect -f '{{.State.Status}} {{.State.Paused}}' p
	[ "$output" = "paused true" ]
	run -0 hull ps --format '{{.Status}}'
	[[ "$output" == *"(Paused)" ]]
	run -0 hull unpause p
	run -0 hull rename p q
	run -0 hull inspect -f '{{.Name}}' q
	[ "$output" = /q ]
	run -0 hull create --name other busybox true
	other=$output
	remember "$other"
	run -1 hull rename q other
	[ "$output" = "Error: Error when allocating new name: Conflict. The container name \"/other\" is already in use by container \"$other\". You have to remove (or rename) that container to be able to reuse that name." ]
	run -0 hull rm other
	run -0 hull restart -t 1 q
	run -0 hull inspect -f '{{.State.Status}}' q
	[ "$output" = running ]
	hull wait q >"$BATS_TEST_TMPDIR/wait" 3>&- &
	waiter=$!
	run -0 hull kill -s USR1 q
	run -1 hull kill -s BOGUS q
	[ "$output" = "Error: Invalid signal: BOGUS" ]
	wait "$waiter"
	[ "$(cat "$BATS_TEST_TMPDIR/wait")" = 7 ]
	# Several names: each that worked is printed (wait: its exit code), then one error line
	# per name that failed, status 1.
	run -1 --separate-stderr hull wait nosuch1 q nosuch2
	[ "$output" = 7 ]
	[ "$stderr" = "Error: No such container: nosuch1
Error: No such container: nosuch2" ]
	run -1 --separate-stderr hull start nosuch1 q nosuch2
	[ "$output" = q ]
	[ "$stderr" = "Error: No such container: nosuch1
Error: No such container: nosuch2" ]
	run -1 --separate-stderr hull rm nosuch q
	[ -z "$output" ]
	[[ "$stderr" == "Error: No such container: nosuch
Error: cannot remove container \"/q\": container is running"* ]]
}

@test "a database of schema version 1 is migrated; its containers table gains the engine's columns" {
	mkdir -p "$STORE"
	python3 - "$STORE/hull.db" <<-'PY'
		import sqlite3, sys
		db = sqlite3.connect(sys.argv[1])
		db.executescript("""
		CREATE TABLE layers (chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,
		  size INTEGER NOT NULL DEFAULT 0, tar_size INTEGER NOT NULL DEFAULT 0, incomplete INTEGER NOT NULL DEFAULT 1,
		  dir TEXT NOT NULL UNIQUE, owner_pid INTEGER, owner_start INTEGER);
		CREATE TABLE images (id TEXT PRIMARY KEY, manifest TEXT NOT NULL, created INTEGER NOT NULL,
		  added INTEGER NOT NULL, size INTEGER NOT NULL, parent TEXT);
		CREATE TABLE image_layers (image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
		  chain_id TEXT NOT NULL REFERENCES layers(chain_id), blob TEXT NOT NULL, media_type TEXT NOT NULL,
		  PRIMARY KEY (image_id, idx));
		CREATE TABLE image_blobs (image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, digest TEXT NOT NULL,
		  PRIMARY KEY (image_id, digest));
		CREATE TABLE tags (name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));
		CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT UNIQUE, image_id TEXT REFERENCES images(id));
		PRAGMA user_version = 1;
		""")
		db.commit()
	PY
	run -0 hull ps -a
	run -0 python3 -c "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); print(db.execute('PRAGMA user_version').fetchone()[0]); print(','.join(r[1] for r in db.execute('PRAGMA table_info(containers)')))" "$STORE/hull.db"
	[ "${lines[0]}" = 9 ]
	[[ "${lines[1]}" == *state*config*host_config*pid*started_at* ]]
	busybox_image
	run -0 hull run --rm busybox true
}

# old_store SHAPE DB: DB becomes a store database as a past hull left it. Schema version
# numbers were given out on parallel branches before they were merged into one order, so a
# version number alone does not say which tables a store has: each shape is one that code
# of the project's history made (the commit named). v1 is the oldest schema, verbatim
# (9ac9d8a); the others are today's tables with what that code did not have taken away.
old_store() {
	local shape=$1 db=$2 net="DROP TABLE net_objects; DROP TABLE port_maps; DROP TABLE ip_leases; DROP TABLE networks;"
	local v1ctr="DROP TABLE containers; CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT UNIQUE, image_id TEXT REFERENCES images(id));"
	local late="DROP TABLE blob_sources; DROP TABLE userns_ranges; DROP TABLE layers_pending;"
	local vols="DROP TABLE container_volumes; DROP TABLE volumes;" stor="DROP TABLE storage_layers; DROP TABLE storage;"
	rm -f "$db" "$db-wal" "$db-shm"
	if [ "$shape" = v1 ]; then
		sqlite3 "$db" "
		CREATE TABLE IF NOT EXISTS layers (chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,
		  size INTEGER NOT NULL DEFAULT 0, tar_size INTEGER NOT NULL DEFAULT 0, incomplete INTEGER NOT NULL DEFAULT 1,
		  dir TEXT NOT NULL UNIQUE, owner_pid INTEGER, owner_start INTEGER);
		CREATE TABLE IF NOT EXISTS images (id TEXT PRIMARY KEY, manifest TEXT NOT NULL, created INTEGER NOT NULL,
		  added INTEGER NOT NULL, size INTEGER NOT NULL, parent TEXT);
		CREATE TABLE IF NOT EXISTS image_layers (image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
		  idx INTEGER NOT NULL, chain_id TEXT NOT NULL REFERENCES layers(chain_id), blob TEXT NOT NULL,
		  media_type TEXT NOT NULL, PRIMARY KEY (image_id, idx));
		CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);
		CREATE TABLE IF NOT EXISTS image_blobs (image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
		  digest TEXT NOT NULL, PRIMARY KEY (image_id, digest));
		CREATE INDEX IF NOT EXISTS image_blobs_digest ON image_blobs(digest);
		CREATE TABLE IF NOT EXISTS tags (name TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id));
		CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
		CREATE TABLE IF NOT EXISTS containers (id TEXT PRIMARY KEY, name TEXT UNIQUE, image_id TEXT REFERENCES images(id));
		PRAGMA user_version = 1;"
		return
	fi
	cp "$BATS_TEST_TMPDIR/current.db" "$db"
	case $shape in
	# The network branch's first tables (ea58474): its leases had no names.
	net2) sqlite3 "$db" "$late $vols $stor $v1ctr ALTER TABLE ip_leases DROP COLUMN names; PRAGMA user_version = 2" ;;
	# The storage branch's (beb841f).
	storage2) sqlite3 "$db" "$late $vols $net $v1ctr PRAGMA user_version = 2" ;;
	# The volumes branch's (001a599): volumes were step 4, before the networks.
	vol4) sqlite3 "$db" "$late $net PRAGMA user_version = 4" ;;
	# Three branches' step 6: blob sources (c71f9d4), pending layers (4deffda), user
	# namespace ranges (f493a47).
	sources6) sqlite3 "$db" "DROP TABLE userns_ranges; DROP TABLE layers_pending; PRAGMA user_version = 6" ;;
	pending6) sqlite3 "$db" "DROP TABLE userns_ranges; DROP TABLE blob_sources; PRAGMA user_version = 6" ;;
	userns6) sqlite3 "$db" "DROP TABLE blob_sources; DROP TABLE layers_pending; PRAGMA user_version = 6" ;;
	# Today's version without the network tables: this machine's /var/lib/hull was so, of
	# unknown origin; the tables are counted at open, not only the version read.
	nonet8) sqlite3 "$db" "$net" ;;
	*) return 1 ;;
	esac
}

@test "a store of any earlier schema, of any branch, works with every command: ps, images, network ls, volume ls, system df, info, run --rm" {
	local shape cmd stores="$BATS_TEST_TMPDIR/old"
	# Today's tables, to take the old shapes from.
	STORE="$stores/current"
	run -0 hull images
	# (A copy through SQLite: the last commits may still be in the WAL only.)
	sqlite3 "$STORE/hull.db" ".backup '$BATS_TEST_TMPDIR/current.db'"
	# As many tables as src/image/store.c's schema_tables lists (a table added without
	# being listed there would go unchecked at open).
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'")" = 17 ]
	for shape in v1 net2 storage2 vol4 sources6 pending6 userns6 nonet8; do
		# Each command is the first to open the old store.
		for cmd in "ps -a" images "network ls" "volume ls" "system df" info; do
			STORE="$stores/$shape-${cmd// /-}"
			mkdir -p "$STORE"
			old_store "$shape" "$STORE/hull.db"
			echo "store $shape, first command: hull $cmd"
			# shellcheck disable=SC2086
			run -0 hull $cmd
		done
		[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 9 ]
		STORE="$stores/$shape"
		mkdir -p "$STORE"
		old_store "$shape" "$STORE/hull.db"
		echo "store $shape: run, network, volume"
		busybox_image
		run -0 hull run --rm busybox echo ran
		[ "$output" = ran ]
		run -0 hull network ls --format '{{.Name}}'
		[[ "$output" == *hull* ]]
		run -0 hull volume create vol
		run -0 hull volume rm vol
	done
}

@test "ps: -q, -n, -l, --no-trunc, --filter, --format json" {
	busybox_image
	run -0 hull create --name one -l app=x busybox true
	one=$output
	remember "$one"
	run -0 hull run -d --name two busybox sleep 1000
	two=$output
	remember "$two"
	run -0 hull ps -q
	[ "$output" = "${two:0:12}" ]
	run -0 hull ps -aq --no-trunc
	[ "${lines[0]}" = "$two" ]
	[ "${lines[1]}" = "$one" ]
	run -0 hull ps -lq
	[ "$output" = "${two:0:12}" ]
	run -0 hull ps -n 2 -q
	[ "${#lines[@]}" -eq 2 ]
	run -0 hull ps -a --filter status=created --format '{{.Names}}'
	[ "$output" = one ]
	run -0 hull ps -a --filter label=app=x -q
	[ "$output" = "${one:0:12}" ]
	run -0 hull ps --format json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["Names"]=="two" and d["State"]=="running", d' "$output"
	run -0 hull ps -a --format 'table {{.Names}}\t{{.State}}'
	[ "$output" = "NAMES     STATE
two       running
one       created" ]
	run -0 hull ps -s
	[[ "${lines[0]}" == "CONTAINER ID "*" NAMES     SIZE" ]]
	[[ "${lines[1]}" == *" two       "*"B (virtual "*"B)" ]]
	# COMMAND: Docker quotes an argument with a space in it, then truncates to 20 characters.
	run -0 hull create --name quoted busybox sh -c 'echo a  b; exit 3'
	remember "$output"
	run -0 hull ps -a --filter name=quoted --format '{{.Command}}'
	[ "$output" = "\"sh -c 'echo a  b; e…\"" ]
	run -0 hull ps -a --no-trunc --filter name=quoted --format '{{.Command}}'
	[ "$output" = "\"sh -c 'echo a  b; exit 3'\"" ]
	run -125 hull ps --filter bogus=1
}

@test "100 parallel run -d, then 100 parallel rm -f: all succeed, names unique, nothing left" {
	busybox_image
	seq 100 | xargs -P 16 -I{} nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" run -d busybox sleep 1000 >"$BATS_TEST_TMPDIR/ids.out"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids.out")" -eq 100 ]
	cat "$BATS_TEST_TMPDIR/ids.out" >>"$IDS_FILE"
	run -0 hull ps -q
	[ "${#lines[@]}" -eq 100 ]
	[ "$(hull ps --format '{{.Names}}' | sort -u | wc -l)" -eq 100 ]
	xargs -P 16 -n 1 nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" rm -f <"$BATS_TEST_TMPDIR/ids.out" >/dev/null
	[ -z "$(hull ps -aq)" ]
}

@test "exec: output and exit code, -e -u -w, stdin with -i, 126/127, not running" {
	busybox_image
	run -0 hull run -d --name x busybox sleep 1000
	remember "$output"
	run -4 hull exec x sh -c 'echo in $(hostname); exit 4'
	[[ "$output" == "in "* ]]
	run -0 hull exec -e FOO=bar -u www -w /tmp x sh -c 'echo $FOO $(id -u) $(pwd)'
	[ "$output" = "bar 33 /tmp" ]
	run -0 sh -c "echo piped | '$HULL' --root '$STORE' --runroot '$RUNROOT' exec -i x cat"
	[ "$output" = piped ]
	run -127 hull exec x /no/such
	run -126 hull exec x /bin/noexec
	run -0 hull stop -t 1 x
	run -1 hull exec x true
	[[ "$output" == *"is not running"* ]]
}

@test "--restart always: the monitor restarts it, ps and inspect follow the new process, stop ends it for good" {
	busybox_image
	run -0 hull run -d --name r --restart always busybox sh -c 'echo run; sleep 0.3; exit 3'
	remember "$output"
	sleep 1.5
	[ "$(hull logs r | grep -c run)" -ge 2 ]
	run -0 hull inspect -f '{{.State.Status}}' r
	[[ "$output" == running || "$output" == restarting ]]
	run -0 hull stop -t 1 r
	run -0 hull inspect -f '{{.State.Status}} {{.State.Running}}' r
	[ "$output" = "exited false" ]
	n=$(hull logs r | grep -c run)
	sleep 1
	[ "$(hull logs r | grep -c run)" -eq "$n" ]
	run -0 hull inspect -f '{{.State.Status}}' r
	[ "$output" = exited ]
}

@test "exec -t and -it: a pty sized as the caller's terminal, resized on SIGWINCH, stdin relayed" {
	busybox_image
	run -0 hull run -d --name x busybox sleep 1000
	remember "$output"
	local h="'$HULL' --root '$STORE' --runroot '$RUNROOT'"
	run -0 hull exec -t x busybox readlink /proc/self/fd/0
	[[ "$output" == /dev/pts/* ]]
	# script(1) gives hull a terminal; its size changes after a second (the kernel then
	# sends hull SIGWINCH), which the process sees on its own pty.
	run -0 script -qec "stty rows 30 cols 100; (sleep 1; stty rows 40 cols 120 </dev/tty) & $h exec -t x sh -c 'busybox stty size; sleep 2; busybox stty size'" /dev/null
	[ "$(echo "$output" | tr -d '\r' | tr '\n' ' ')" = "30 100 40 120 " ]
	run -3 sh -c "printf 'echo hi-\$((1+2))\nexit 3\n' | script -qec \"$h exec -it x sh\" /dev/null"
	[[ "$output" == *hi-3* ]]
	# -d: returns at once, the process runs on with /dev/null as its stdio.
	run -0 hull exec -d x sh -c 'sleep 0.2; echo detached >/tmp/d'
	[ -z "$output" ]
	sleep 0.6
	run -0 hull exec x cat /tmp/d
	[ "$output" = detached ]
	# A signal to hull while it waits goes to the process (Docker's CLI forwards them).
	"$HULL" --root "$STORE" --runroot "$RUNROOT" exec x sh -c 'trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done' >"$BATS_TEST_TMPDIR/sig" &
	local p=$! i
	for i in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/sig" && break; sleep 0.1; done
	kill -TERM "$p"
	for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null && { echo "hull exec ignored SIGTERM"; return 1; }
	local st=0
	wait "$p" || st=$?
	[ "$st" -eq 7 ]
	grep -q got-term "$BATS_TEST_TMPDIR/sig"
	run -0 hull stop -t 1 x
}

@test "durability: a container runs only on synced layers; a later boot removes an image over unsynced layers, never the running container's" {
	mkdir -p "$STORE/durable" # the detached syncer cannot record: new layers stay pending
	busybox_image
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers_pending')" -eq 1 ]
	run -0 hull run -d --name dur busybox sleep 100
	remember "$output"
	# Its storage synced the layer first.
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers_pending')" -eq 0 ]
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$BATS_TEST_TMPDIR/other.tar" f:x:1
	hull import "$BATS_TEST_TMPDIR/other.tar" other >/dev/null
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers_pending')" -eq 1 ]
	# As after a power cut: the rows name another boot.
	sqlite3 "$STORE/hull.db" "UPDATE layers_pending SET boot_id = '00000000-0000-0000-0000-000000000000'"
	run -0 hull images --format '{{.Repository}}'
	[[ "$output" == *"removed: its layers were unpacked but not yet on disk"* ]]
	[ "${lines[-1]}" = busybox ]
	run -0 hull ps --format '{{.Names}} {{.State}}'
	[ "$output" = "dur running" ]
	run -0 hull exec dur cat /etc/passwd
	[[ "$output" == root:* ]]
	hull rm -f dur >/dev/null
	rmdir "$STORE/durable"
}
