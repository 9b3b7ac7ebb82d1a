#!/usr/bin/env bats
# Faults (issue 15, "Concurrency and faults"): kill -9 of the CLI or of the monitor at
# random points of run, stop and rm; a full disk under the store; --rm after a detach or a
# killed CLI. After each fault `hull ps -a` tells the truth, `hull rm -f` and
# `hull system prune -f` leave nothing behind. Run as root: bats tests/integration/engine-faults.bats

bats_require_minimum_version 1.5.0
load lib/engine

# The engine's teardown, after the full-disk test's store is given its space back (a
# failed test leaves it full, and the teardown's rm -f must find the database), and before
# that store is unmounted.
eval "$(declare -f teardown | sed '1s/^teardown/engine_teardown/')"
teardown() {
	local rc=0
	rm -f "$STORE"/fill* "$STORE"/pad.* 2>/dev/null || true
	engine_teardown || rc=$?
	if [ -n "${DISK_STORE:-}" ]; then
		if mountpoint -q "$DISK_STORE"; then umount "$DISK_STORE"; fi
		rmdir "$DISK_STORE"
	fi
	return $rc
}

# The container's init: sh, named by its $0 (a marker that only it carries once the CLI
# that started it is gone), which ends at once on SIGTERM.
CTR_SCRIPT='trap "exit 0" TERM; sleep 1000 & wait'

# Pids of the init processes carrying marker $1.
inits_of() {
	pgrep -f -- "^sh -c .* $1\$" || true
}

# True while an init carrying marker $1 lives (for retry).
has_init() {
	[ -n "$(inits_of "$1")" ]
}

# The monitors of the test's store.
monitors() {
	pgrep -f -- "hull-monitor $STORE/" || true
}

# Every id of the test that may have left something: rows, directories, runtime state.
seen_ids() {
	{
		all_ids
		ls "$STORE/containers" 2>/dev/null
		ls "$RUNROOT/containers" 2>/dev/null
		ls "$RUNROOT/runtime" 2>/dev/null | grep -vx .seccomp-cache
	} | sort -u
}

# `hull ps -a` tells the truth about the container of marker $1: "running" iff its init
# process exists. A transition (the monitor writing the exit file) may show for a moment;
# a lie that lasts 3 s is a ghost.
ps_truthful() {
	local marker=$1 n=30 state alive1 alive2
	while :; do
		alive1=$(inits_of "$marker")
		state=$(hull ps -a --format '{{.State}}')
		alive2=$(inits_of "$marker")
		if [ -n "$alive1" ] && [ -n "$alive2" ]; then
			# Alive throughout: exactly one row, shown as running.
			[ "$state" = running ] && return 0
		elif [ -z "$alive1" ]; then
			# Gone before ps looked: no row may say running (or paused, restarting); a
			# create whose start never came is "created", as Docker's.
			case "$state" in *running* | *paused* | *restarting*) ;; *) return 0 ;; esac
		else
			return 0 # it ended while ps looked: nothing to conclude
		fi
		n=$((n - 1))
		if [ "$n" -eq 0 ]; then
			echo "ps -a says '$state' while the init of $marker is ${alive2:+alive}${alive2:-gone}" >&2
			hull ps -a >&2
			return 1
		fi
		sleep 0.1
	done
}

# Nothing of the test's containers is left: rows (and their leases, storage, ports,
# network objects, volume uses), directories, runtime state, mounts, cgroups, veths,
# monitors, container processes.
nothing_left() {
	local ids=$1 marker=$2 problems="" id cg t n
	veths_settled
	[ -z "$(all_ids)" ] || problems+="rows: $(all_ids | tr '\n' ' ')"$'\n'
	# The default network's own objects (its bridge) stay: only a container's count.
	for t in containers storage ip_leases port_maps "net_objects WHERE container_id IS NOT NULL" container_volumes; do
		n=$(sqlite3 "file:$STORE/hull.db?mode=ro" "SELECT count(*) FROM $t" 2>&1)
		[ "$n" = 0 ] || problems+="$t: $n rows"$'\n'
	done
	for d in "$STORE/containers" "$STORE/overlay/c" "$RUNROOT/containers" "$RUNROOT/netns"; do
		[ -z "$(ls -A "$d" 2>/dev/null)" ] || problems+="left in $d: $(ls -A "$d")"$'\n'
	done
	[ -z "$(ls -A "$RUNROOT/runtime" 2>/dev/null | grep -vx .seccomp-cache)" ] ||
		problems+="runtime state: $(ls -A "$RUNROOT/runtime")"$'\n'
	if grep -E " ($STORE|$RUNROOT)/" /proc/self/mountinfo; then
		problems+="mounts: $(grep -E " ($STORE|$RUNROOT)/" /proc/self/mountinfo | cut -d' ' -f5 | tr '\n' ' ')"$'\n'
	fi
	for id in $ids; do
		for cg in /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/hull/"$id"; do
			[ ! -d "$cg" ] || problems+="cgroup: $cg"$'\n'
		done
	done
	[ -z "$(ip -n "$HOSTNS" -o link show type veth 2>/dev/null)" ] ||
		problems+="veths: $(ip -n "$HOSTNS" -o link show type veth)"$'\n'
	[ -z "$(monitors)" ] || problems+="monitors: $(monitors | tr '\n' ' ')"$'\n'
	[ -z "$(inits_of "$marker")" ] || problems+="container processes: $(inits_of "$marker")"$'\n'
	if [ -n "$problems" ]; then
		echo "$problems" >&2
		return 1
	fi
}

# Milliseconds a command takes (for the spread of the kill's delay).
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# One trial: operation $1 (run, stop, rm), victim $2 (cli, monitor), network $3 (none or
# bridge), kill delay $4 (ms) from the start of the CLI or (anchor $6 = monitor) of its
# monitor, trial number $5.
fault_trial() {
	local op=$1 victim=$2 net=$3 delay=$4 i=$5 anchor=${6:-cli} marker="hfault$5" pid ids netopt=(--network none)
	[ "$net" = none ] || netopt=()
	echo "trial $i: $op, kill -9 the $victim ${delay} ms after the $anchor's start, network $net" >&2
	if [ "$op" = restart ]; then
		hull run -d --rm "${netopt[@]}" --name "c$i" busybox sh -c "$CTR_SCRIPT" "$marker" >/dev/null
	elif [ "$op" != run ]; then
		hull run -d "${netopt[@]}" --name "c$i" busybox sh -c "$CTR_SCRIPT" "$marker" >/dev/null
	fi
	local cmd=(nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT")
	case $op in
	run) cmd+=(run -d "${netopt[@]}" --name "c$i" busybox sh -c "$CTR_SCRIPT" "$marker") ;;
	stop) cmd+=(stop -t 2 "c$i") ;;
	rm) cmd+=(rm -f "c$i") ;;
	restart) cmd+=(restart -t 2 "c$i") ;;
	esac
	# A simple command in the background: $! is hull itself (nsenter execs it).
	"${cmd[@]}" >/dev/null 2>&1 3>&- &
	pid=$!
	if [ "$anchor" = monitor ]; then
		# The delay counts from the monitor's start: the few ms of the container's
		# create and start, which a delay from the CLI's start rarely hits.
		local n=1000
		while [ -z "$(monitors)" ] && [ -d "/proc/$pid" ] && [ "$n" -gt 0 ]; do
			sleep 0.002
			n=$((n - 1))
		done
	fi
	sleep "$(printf '0.%03d' "$delay")"
	if [ "$victim" = cli ]; then
		kill -9 "$pid" 2>/dev/null || true
	else
		# shellcheck disable=SC2046
		kill -9 $(monitors) 2>/dev/null || true
	fi
	wait "$pid" || true
	ps_truthful "$marker"
	ids=$(seen_ids)
	# rm -f of every listed container succeeds, then prune leaves nothing.
	# shellcheck disable=SC2046
	[ -z "$(all_ids)" ] || hull rm -f $(all_ids) >/dev/null
	hull system prune -f >/dev/null
	nothing_left "$ids" "$marker"
}

@test "kill -9 of the CLI or the monitor at random points of run, stop and rm (100 trials): ps tells the truth, rm -f and prune leave nothing" {
	busybox_image
	# The spread of the delays: each operation's real duration here, measured now.
	local d_run d_stop d_rm ops=(run stop rm) victims=(cli monitor) i op victim net max
	d_run=$(ms_of hull run -d --network none --name m1 busybox sh -c "$CTR_SCRIPT" hfaultm)
	d_stop=$(ms_of hull stop -t 2 m1)
	d_rm=$(ms_of hull rm -f m1)
	echo "measured: run -d ${d_run} ms, stop ${d_stop} ms, rm -f ${d_rm} ms" >&2
	nothing_left "" hfaultm
	for i in $(seq 1 100); do
		op=${ops[RANDOM % 3]}
		victim=${victims[RANDOM % 2]}
		# Every tenth trial on the default bridge (in the test's network namespace).
		net=none
		[ $((i % 10)) -ne 0 ] || net=bridge
		case $op in run) max=$d_run ;; stop) max=$d_stop ;; rm) max=$d_rm ;; esac
		# A little past the measured end too: a kill after the end is a trial as well.
		max=$((max + max / 4 + 1))
		[ "$max" -le 999 ] || max=999
		if [ "$op" = run ] && [ $((RANDOM % 2)) -eq 0 ]; then
			fault_trial "$op" "$victim" "$net" $((RANDOM % 30)) "$i" monitor
		else
			fault_trial "$op" "$victim" "$net" $((RANDOM % max)) "$i"
		fi
	done
}

# restart of a --rm container marks the restart in the container's directory so that the
# stop's end does not remove it (engine.h, hull_ctr_restart): a kill of the restarting CLI
# or of either monitor at any point must leave a container that ps tells truthfully
# (running, or exited and kept because the mark's owner died after the stop) and that rm -f
# and prune remove.
@test "kill -9 of the CLI or the monitor at random points of restart of a run -d --rm container (40 trials): ps tells the truth, rm -f and prune leave nothing" {
	busybox_image
	local d_restart victims=(cli monitor) i max
	hull run -d --rm --network none --name m1 busybox sh -c "$CTR_SCRIPT" hfaultm >/dev/null
	d_restart=$(ms_of hull restart -t 2 m1)
	echo "measured: restart ${d_restart} ms" >&2
	[ "$(hull inspect -f '{{.State.Status}}' m1)" = running ]
	hull stop -t 2 m1 >/dev/null
	retry 50 no_containers
	nothing_left "" hfaultm
	max=$((d_restart + d_restart / 4 + 1))
	[ "$max" -le 999 ] || max=999
	for i in $(seq 1 40); do
		fault_trial restart "${victims[RANDOM % 2]}" none $((RANDOM % max)) "$i"
	done
	# Unharmed, a restarted --rm container is still removed at its end.
	run -0 hull run -d --rm --network none --name last busybox sh -c "$CTR_SCRIPT" hfaultl
	remember "$output"
	run -0 hull restart -t 2 last
	run -0 hull stop -t 2 last
	retry 50 no_containers
	nothing_left "$(cat "$IDS_FILE")" hfaultl
}

# The two ends of a restart killed half-way, made on purpose: the mark of a restart whose
# CLI died before the stop spares nothing; one whose CLI died between the stop and the start
# leaves an exited container, shown so and removed by rm -f or prune.
@test "restart of a --rm container killed before its stop or before its start: the mark of a dead CLI spares nothing, a kept container is exited and prunable" {
	busybox_image
	# The init ignores SIGTERM: the restart's stop waits its 5 s, and the CLI dies in them.
	run -0 hull run -d --rm --network none --name slow busybox sh -c 'trap "" TERM; sleep 1000 & wait' hfaults
	local id=$output
	remember "$id"
	nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" restart -t 5 slow >/dev/null 2>&1 3>&- &
	local pid=$!
	retry 50 test -e "$STORE/containers/$id/restart.owner"
	kill -9 "$pid"
	wait "$pid" || true
	[ "$(hull inspect -f '{{.State.Status}}' slow)" = running ]
	# Its mark names a dead process: this stop removes the container as any other.
	run -0 hull stop -t 1 slow
	retry 50 no_containers
	nothing_left "$id" hfaults
	# A live owner whose restart never comes (killed after the stop): the stop's end keeps
	# the container, which ps then shows as exited, and prune removes.
	run -0 hull run -d --rm --network none --name kept busybox sh -c "$CTR_SCRIPT" hfaultkept
	id=$output
	remember "$id"
	sleep 1000 &
	local owner=$!
	echo "$owner $(cut -d' ' -f22 "/proc/$owner/stat")" >"$STORE/containers/$id/restart.owner"
	run -0 hull stop -t 2 kept
	kill -9 "$owner"
	wait "$owner" || true
	sleep 0.5
	run -0 hull ps -a --format '{{.Names}} {{.State}}'
	[ "$output" = "kept exited" ]
	run -0 hull container prune -f
	[ -z "$(all_ids)" ]
	nothing_left "$id" hfaultkept
}

# hull as a shell word list, for commands given a terminal (in the test's network
# namespace as the hull function does).
hcmd() {
	echo "nsenter --net=/run/netns/$HOSTNS $HULL --root $STORE --runroot $RUNROOT"
}

@test "run --rm -it, detached with ctrl-p ctrl-q: the CLI exits 0, the container runs on; its monitor removes it when it is stopped or exits" {
	busybox_image
	# script gives hull a terminal; the keys come a second after the start.
	run -0 bash -c "{ sleep 1; printf '\020\021'; sleep 2; } | timeout -s KILL 20 script -qfec '$(hcmd) run --rm -it --name fg busybox sh' /dev/null"
	[[ "$output" == *"read escape sequence"* ]]
	remember "$(hull inspect -f '{{.Id}}' fg)"
	run -0 hull inspect -f '{{.State.Status}}' fg
	[ "$output" = running ]
	run -0 hull stop -t 1 fg
	retry 50 no_containers
	nothing_left "$(cat "$IDS_FILE")" none
	# One that exits by itself a while after the detach.
	run -0 bash -c "{ sleep 1; printf '\020\021'; sleep 1; } | timeout -s KILL 20 script -qfec '$(hcmd) run --rm -it --name fg2 busybox sh -c \"sleep 3\"' /dev/null"
	remember "$(hull inspect -f '{{.Id}}' fg2)"
	run -0 hull inspect -f '{{.State.Status}}' fg2
	[ "$output" = running ]
	retry 100 no_containers
	nothing_left "$(cat "$IDS_FILE")" none
}

@test "run --rm -d, then stop: gone" {
	busybox_image
	run -0 hull run --rm -d --network none busybox sh -c "$CTR_SCRIPT" hfaultd
	remember "$output"
	run -0 hull stop "$output"
	retry 50 no_containers
	nothing_left "$(cat "$IDS_FILE")" hfaultd
}

@test "run --rm with its CLI killed by SIGKILL while the container runs: the monitor removes it at the exit" {
	busybox_image
	nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm --network none --name k \
		busybox sh -c 'sleep 2 & wait' hfaultk >/dev/null 2>&1 3>&- &
	pid=$!
	retry 50 has_init hfaultk
	remember "$(hull inspect -f '{{.Id}}' k)"
	kill -9 "$pid"
	wait "$pid" || true
	run -0 hull inspect -f '{{.State.Status}}' k
	[ "$output" = running ]
	retry 100 no_containers
	nothing_left "$(cat "$IDS_FILE")" hfaultk
	# A foreground --rm that ends normally: its CLI still removes it, with the exit code.
	run -3 hull run --rm --network none busybox sh -c 'exit 3'
	retry 50 no_containers
}

# Fills the filesystem of $STORE: big writes, then small ones, until nothing fits.
fill_disk() {
	local n=0
	dd if=/dev/zero of="$STORE/fill.$RANDOM" bs=1M 2>/dev/null || true
	dd if=/dev/zero of="$STORE/fill.$RANDOM" bs=1k 2>/dev/null || true
	while [ "$n" -lt 1000 ] && echo x 2>/dev/null >"$STORE/fillfile.$n"; do
		n=$((n + 1))
	done
}

@test "a full disk under the store: run fails with 125 and no space left, leaving nothing; rm -f works; a logging container's monitor survives" {
	truncate -s 48M "$BATS_TEST_TMPDIR/disk.img"
	# No blocks reserved for root: the test runs as root and must fill the disk. 4 KiB
	# blocks, as on any real filesystem (mkfs picks 1 KiB for one this small): SQLite grows
	# its mmapped -shm file by writing one byte per 4 KiB page, which with 1 KiB blocks
	# allocates a quarter of each page, and a later store into the rest of that page on a
	# full disk is a SIGBUS (seen here).
	mkfs.ext4 -q -F -m 0 -b 4096 "$BATS_TEST_TMPDIR/disk.img"
	# Outside the test's directory, whose mounts the engine's teardown counts as leaks
	# before this file's teardown unmounts the disk; nothing_left looks below it.
	DISK_STORE=$(mktemp -d /tmp/hfs.XXXXXX)
	STORE=$DISK_STORE
	mount -o loop "$BATS_TEST_TMPDIR/disk.img" "$STORE"
	busybox_image
	keep=$(hull run -d --network none --name keep busybox sh -c "$CTR_SCRIPT" hfaultkeep)
	remember "$keep"
	# shellcheck disable=SC2016
	logger=$(hull run -d --network none --name logger busybox sh -c 'i=0; while :; do echo line $i; i=$((i+1)); sleep 0.01; done' hfaultlog)
	remember "$logger"
	retry 50 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' logs logger | grep -q 'line 3'"
	# Pads of 4 KiB to 1 MiB, freed one by one below: the disk full to different degrees.
	for k in 4 16 64 256 1024; do
		dd if=/dev/zero of="$STORE/pad.$k" bs=1k count="$k" 2>/dev/null
	done
	fill_disk
	# The logger writes into the full disk for a while.
	sleep 1
	run hull run --network none busybox true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "${output,,}" == *"no space left"* ]]
	# The logger and its monitor go on (or it ended cleanly: then its exit file says so).
	has_init hfaultlog
	[ "$(monitors | wc -l)" -eq 2 ]
	# Deleting needs no space: rm -f of the running container works on the full disk.
	run -0 hull rm -f keep
	[ ! -e "$STORE/containers/$keep" ]
	[ -z "$(inits_of hfaultkeep)" ]
	run -0 hull ps -a --format '{{.Names}}'
	[ "$output" = logger ]
	[ "$(ls "$STORE/containers")" = "$logger" ]
	[ "$(ls "$STORE/overlay/c")" = "$logger" ]
	# What the logger wrote is there, from its first line, and only whole lines (those
	# written while the disk was full are lost, no line is torn).
	run -0 hull logs logger
	[ "${lines[0]}" = "line 0" ]
	sleep 0.5
	hull logs logger >"$BATS_TEST_TMPDIR/logs"
	run grep -cvxE 'line [0-9]+' "$BATS_TEST_TMPDIR/logs"
	[ "$output" = 0 ] || { grep -vxE 'line [0-9]+' "$BATS_TEST_TMPDIR/logs" | head -3; false; }
	# Full again, with the store's reserve that the rm gave up made again by the next
	# command that opens the store for writing (as on a machine whose disk fills up while
	# hull is in use); then a little room at a time: each run either works or fails with
	# 125 and "no space left", and a failed one leaves nothing (its cleanup may use the
	# reserve).
	[ ! -e "$STORE/reserve" ]
	hull container prune -f >/dev/null
	[ -f "$STORE/reserve" ]
	fill_disk
	for k in 4 16 64 256 1024; do
		rm -f "$STORE/pad.$k"
		run hull run -d --network none --name "try$k" busybox sh -c "$CTR_SCRIPT" "hfaulttry$k"
		echo "with $k KiB free: $status $output"
		if [ "$status" -eq 0 ]; then
			remember "$output"
			run -0 hull rm -f "try$k"
			fill_disk
		else
			[ "$status" -eq 125 ]
			[[ "${output,,}" == *"no space left"* ]]
		fi
		[ "$(ls "$STORE/containers")" = "$logger" ]
		[ "$(ls "$STORE/overlay/c")" = "$logger" ]
		[ -z "$(inits_of "hfaulttry$k")" ]
	done
	has_init hfaultlog
	run -0 hull rm -f logger
	[ -z "$(hull ps -aq)" ]
	nothing_left "$(cat "$IDS_FILE")" hfaultlog
}
