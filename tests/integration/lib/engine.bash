# shellcheck shell=bash
#
# Shared setup for the engine tests (tests/integration/engine*.bats), run against build/hull
# (HULL= to change). Every test gets its own store ($STORE) and runroot ($RUNROOT) and
#   hull ARGS          runs $HULL --root $STORE --runroot $RUNROOT
#   busybox_image      imports the offline busybox image (Debian's static busybox, the
#                      stress binary with its libraries, a passwd/group) as "busybox"
#   build_image NAME FILL   imports an image from a directory a function fills (once a file)
# hull runs in a network namespace the test makes ($HOSTNS, entered with nsenter --net).
# teardown removes every container with `hull rm -f` and then fails the test if anything is
# left: a row, a container directory, runtime state, a mount below the test's directory,
# a cgroup named after one of the test's containers, or a monitor process.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${HULL:=$REPO_ROOT/build/hull}"

setup() {
	# Containers get the default bridge network: every hull command runs with its network
	# namespace switched to one the test makes (nsenter --net only: the mounts hull makes
	# stay in the test's mount namespace), so no bridge or rule ever reaches the machine's.
	HOSTNS=hulle$$x${BATS_TEST_NUMBER}
	ip netns add "$HOSTNS"
	ip netns exec "$HOSTNS" ip link set lo up
	# Whether the machine has a hull0 of its own (a real hull, make demo): a test must not
	# make one (a hull command run without nsenter would).
	HOST_HULL0=$(ip link show hull0 >/dev/null 2>&1 && echo y || true)
	STORE="$BATS_TEST_TMPDIR/store"
	# Short: the monitor's attach socket is <runroot>/containers/<64 hex>/attach.sock, and
	# a unix socket's path has at most 107 bytes.
	RUNROOT=$(mktemp -d /tmp/hr.XXXXXX)
	IDS_FILE="$BATS_TEST_TMPDIR/ids"
	[ -x "$HULL" ] || {
		echo "no hull binary at $HULL (make build)" >&2
		return 1
	}
}

hull() {
	nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" "$@"
}

# A removed container's veth dies with its network namespace, asynchronously in the kernel's
# cleanup_net worker (src/network/network.c, "veths left to die"), and the waiter its teardown
# started (`hull network settle`) releases its lease and row once the veth is gone, with no
# later hull command. Checks of what containers left wait for both, bounded (the kernel takes
# well under a second when nothing holds the namespace; the waiter deletes a veth still there
# after 5 s), reading the store with sqlite3 only: no hull command collects anything between.
# wait_until SECONDS CMD...: CMD succeeds within SECONDS.
# shellcheck source=tests/integration/lib/wait.bash
source "$(dirname "${BASH_SOURCE[0]}")/wait.bash"
no_veths() { [ -z "$(ip -n "$HOSTNS" -o link show type veth 2>/dev/null | grep -v ' lan[01]@')" ]; }
no_dying() {
	[ ! -e "$STORE/hull.db" ] || [ "$(sqlite3 "file:$STORE/hull.db?mode=ro" "SELECT count(*) FROM net_objects WHERE data LIKE 'dying:%'" 2>&1)" = 0 ]
}
veths_settled() {
	wait_until 10 no_veths || true
	wait_until 10 no_dying || true
}

# Removes the test's network namespace (after its containers are gone) with the networks'
# DNS responders and anything else still running in it.
remove_hostns() {
	[ -n "${HOSTNS:-}" ] && [ -e "/run/netns/$HOSTNS" ] || return 0
	hull network prune -f >/dev/null 2>&1 || true
	ip netns pids "$HOSTNS" | xargs -r kill -9
	ip netns del "$HOSTNS"
}

# build_image NAME FILL [IMPORT-FLAGS...]: imports image NAME from the directory
# $BATS_FILE_TMPDIR/NAME-rootfs, which the function FILL (given that directory) fills the
# first time; the tarball is made once per test file.
build_image() {
	local name=$1 fill=$2 d="$BATS_FILE_TMPDIR/$1-rootfs" tar="$BATS_FILE_TMPDIR/$1.tar"
	shift 2
	if [ ! -f "$tar" ]; then
		rm -rf "$d"
		mkdir -p "$d"
		"$fill" "$d" || return 1
		tar -C "$d" -cf "$tar" .
	fi
	hull import "$@" "$tar" "$name" >/dev/null
}

_busybox_fill() {
	local d=$1 a lib
	mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/usr/bin"
	cp /bin/busybox "$d/bin/busybox"
	for a in sh echo cat sleep ls id true false env pwd hostname ps top grep wc mkdir rm touch head kill; do
		ln -sf busybox "$d/bin/$a"
	done
	cp /usr/bin/stress "$d/usr/bin/stress"
	for lib in $(ldd /usr/bin/stress | grep -o '/[^ ]*'); do
		mkdir -p "$d$(dirname "$lib")"
		cp -L "$lib" "$d$lib"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$d/etc/passwd"
	printf 'root:x:0:\nwww:x:33:\nextra:x:500:www\nnogroup:x:65534:\n' >"$d/etc/group"
	printf '#!/bin/sh\necho not executable\n' >"$d/bin/noexec"
	chmod 0644 "$d/bin/noexec"
}

busybox_image() {
	build_image busybox _busybox_fill
}

# busybox_rootfs_copy DIR: DIR gets the files of the busybox image (for images built on it).
busybox_rootfs_copy() {
	busybox_image && cp -a "$BATS_FILE_TMPDIR/busybox-rootfs/." "$1"
}

# Ids of every container of the test (rows), one per line.
all_ids() {
	hull ps -aq --no-trunc 2>/dev/null
}

teardown() {
	local problems="" ids id cg
	ids=$(all_ids)
	if [ -n "$ids" ]; then
		echo "$ids" >>"$IDS_FILE"
		# shellcheck disable=SC2086
		hull rm -f $ids >/dev/null 2>&1 || true
	fi
	[ -z "$(all_ids)" ] || problems+="rows left: $(all_ids | tr '\n' ' ')"$'\n'
	if [ -d "$STORE/containers" ] && [ -n "$(ls -A "$STORE/containers")" ]; then
		problems+="container directories left: $(ls "$STORE/containers")"$'\n'
	fi
	if [ -d "$STORE/overlay/c" ] && [ -n "$(ls -A "$STORE/overlay/c")" ]; then
		problems+="overlay storage left: $(ls "$STORE/overlay/c")"$'\n'
	fi
	# The runtime's seccomp BPF cache (.seccomp-cache) stays on purpose.
	if [ -d "$RUNROOT/runtime" ] && [ -n "$(ls -A "$RUNROOT/runtime" | grep -vx .seccomp-cache)" ]; then
		problems+="runtime state left: $(ls -A "$RUNROOT/runtime")"$'\n'
	fi
	if grep -q " $BATS_TEST_TMPDIR" /proc/self/mountinfo; then
		problems+="mounts left: $(grep " $BATS_TEST_TMPDIR" /proc/self/mountinfo | cut -d' ' -f5 | tr '\n' ' ')"$'\n'
		grep " $BATS_TEST_TMPDIR" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l
	fi
	if [ -f "$IDS_FILE" ]; then
		while read -r id; do
			[ -n "$id" ] || continue
			for cg in /sys/fs/cgroup/*/hull/"$id" /sys/fs/cgroup/hull/"$id"; do
				[ -d "$cg" ] && problems+="cgroup left: $cg"$'\n'
			done
		done <"$IDS_FILE"
	fi
	if pgrep -f -- "--runroot $RUNROOT" >/dev/null; then
		problems+="processes left: $(pgrep -af -- "--runroot $RUNROOT")"$'\n'
	fi
	if [ -z "$HOST_HULL0" ] && ip link show hull0 >/dev/null 2>&1; then
		problems+="the test made hull0 in the machine's network namespace (a hull command without nsenter)"$'\n'
	fi
	remove_hostns
	rm -rf "$RUNROOT"
	if [ -n "$problems" ]; then
		echo "$problems" >&2
		return 1
	fi
}

# Remembers a container id for the teardown's cgroup check.
remember() {
	echo "$1" >>"$IDS_FILE"
}

# Waits until CMD succeeds (up to $1 tenths of a second).
retry() {
	local n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@"
}

# True when the test has no container left (for retry).
no_containers() {
	[ -z "$(hull ps -aq)" ]
}
