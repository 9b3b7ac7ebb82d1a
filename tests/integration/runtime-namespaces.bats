#!/usr/bin/env bats
# Namespaces: new ones are new, listed paths are joined, unlisted ones are inherited.

load lib/common

# ns_of TYPE: TYPE's inode from `payload ns` output in $output.
ns_of() {
	kv "$1"
}

@test "new pid namespace: the process is pid 1" {
	payload pid
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv pid)" = 1 ]
	[ "$(kv ppid)" = 0 ]
}

@test "every listed namespace is new (pid, net, ipc, uts, mnt)" {
	update_config '.linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]'
	payload ns
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	for t in pid net ipc uts mnt; do
		echo "checking $t: container $(ns_of $t) host $(host_ns $t)"
		[ -n "$(ns_of $t)" ]
		[ "$(ns_of $t)" != "$(host_ns $t)" ]
	done
}

@test "namespaces that are not listed are inherited from the runtime" {
	update_config '.linux.namespaces = [{"type":"mount"}]'
	# Without a private network and uts namespace the host's hostname stays.
	update_config 'del(.hostname)'
	payload ns
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	for t in pid net ipc uts cgroup user; do
		echo "checking $t: container $(ns_of $t) host $(host_ns $t)"
		[ "$(ns_of $t)" = "$(host_ns $t)" ]
	done
	[ "$(ns_of mnt)" != "$(host_ns mnt)" ]
}

@test "uts namespace: hostname comes from config.json" {
	update_config '.hostname = "hull-uts-test"'
	payload hostname
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = hull-uts-test ]
	[ "$(hostname)" != hull-uts-test ]
}

@test "net namespace: only lo exists" {
	set_args /bin/ls /sys/class/net
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

# As runc and crun: a network namespace the runtime creates has its loopback up (the
# engine's --network none relies on it: lo alone, up, as Docker's).
@test "net namespace: lo is up" {
	set_args /bin/cat /sys/class/net/lo/flags
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	# IFF_UP | IFF_LOOPBACK (and IFF_RUNNING once up).
	[ $((output & 0x1)) -eq 1 ]
}

@test "ipc namespace: host SysV objects are not visible" {
	# A System V message queue on the host must not show up in the container.
	key=$((0x48554c00 + RANDOM % 255))
	qid=$(python3 -c 'import ctypes,sys; l=ctypes.CDLL(None); print(l.msgget(int(sys.argv[1]), 0o1600))' "$key")
	[ "$qid" -ge 0 ]
	grep -q "$qid" /proc/sysvipc/msg
	payload cat /proc/sysvipc/msg
	run rt_run "$CID"
	python3 -c 'import ctypes,sys; l=ctypes.CDLL(None); l.msgctl(int(sys.argv[1]), 0, None)' "$qid"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ] # only the header
}

@test "cgroup namespace: the container sees its cgroup as /" {
	add_namespace cgroup
	set_args /bin/sh -c '/payload ns; cat /proc/self/cgroup'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(ns_of cgroup)" != "$(host_ns cgroup)" ]
	# Every hierarchy line ends in ":/" inside the new cgroup namespace.
	grep -E '^[0-9]+:' <<<"$output"
	[ -z "$(grep -E '^[0-9]+:' <<<"$output" | grep -v ':/$')" ]
}

@test "time namespace is new when listed" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	requires_hull "runc 1.1.5 does not know the time namespace type"
	add_namespace time
	payload ns
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ -n "$(ns_of time)" ]
	[ "$(ns_of time)" != "$(host_ns time)" ]
}

@test "namespaces given by path are joined (net, uts, ipc)" {
	update_config '.hostname = "hull-first"'
	payload sleep forever
	run_detached "$CID"
	first=$(container_pid "$CID")

	update_config 'del(.hostname)'
	add_namespace network "/proc/$first/ns/net"
	add_namespace uts "/proc/$first/ns/uts"
	add_namespace ipc "/proc/$first/ns/ipc"
	set_args /bin/sh -c '/payload ns; echo hostname=$(/payload hostname)'
	run rt_run "$CID-b"
	[ "$status" -eq 0 ]
	for t in net uts ipc; do
		echo "checking $t: second $(ns_of $t) first $(pid_ns "$first" $t)"
		[ "$(ns_of $t)" = "$(pid_ns "$first" $t)" ]
	done
	# Namespaces that were not given by path are still new.
	[ "$(ns_of pid)" != "$(pid_ns "$first" pid)" ]
	[ "$(ns_of mnt)" != "$(pid_ns "$first" mnt)" ]
	[ "$(kv hostname)" = hull-first ]
}

@test "a pid namespace given by path is joined" {
	payload sleep forever
	run_detached "$CID"
	first=$(container_pid "$CID")
	add_namespace pid "/proc/$first/ns/pid"
	set_args /bin/sh -c '/payload ns; /payload pid'
	run rt_run "$CID-b"
	[ "$status" -eq 0 ]
	[ "$(ns_of pid)" = "$(pid_ns "$first" pid)" ]
	[ "$(kv pid)" != 1 ]
}

# The runtime mounts proc for a joined pid namespace from outside it (proc's pidns option,
# Linux 6.18). HULL_TEST_PROC_HELPER makes it take the way of older kernels: an
# unprivileged helper inside the namespace creates the filesystem context. Either way
# the container's /proc shows the joined namespace, in create/start and run.
@test "a pid namespace given by path: /proc shows it, with the pidns option and with the helper of older kernels" {
	local first way
	payload sleep forever
	run_detached "$CID"
	first=$(container_pid "$CID")
	add_namespace pid "/proc/$first/ns/pid"
	set_args /bin/sh -c '/payload ns; /payload pid; /payload cat /proc/1/cmdline; echo; /payload stat /proc/self'
	for way in option helper; do
		if [ "$way" = option ]; then
			run rt_run "$CID-b"
		else
			HULL_TEST_PROC_HELPER=1 run rt_run "$CID-b"
		fi
		echo "$way: $output"
		[ "$status" -eq 0 ]
		# The namespace (first pid= line, of `payload ns`) is the first container's, where
		# the process is not pid 1 (second pid= line, of `payload pid`).
		[ "$(kv pid)" = "$(pid_ns "$first" pid)" ]
		[ "$(grep '^pid=' <<<"$output" | sed -n 2p)" != pid=1 ]
		# pid 1 of that /proc is the first container's sleep.
		grep -q '^/payloadsleepforever$' <<<"$(tr -d '\0' <<<"$output")"
	done
}

@test "a namespace path of the wrong type is rejected" {
	payload sleep forever
	run_detached "$CID"
	first=$(container_pid "$CID")
	add_namespace network "/proc/$first/ns/uts"
	payload true
	run rt_run "$CID-b"
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$CID-b" ]
}

@test "a namespace path that does not exist is rejected" {
	add_namespace network "/proc/self/ns/no-such-ns"
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-ns* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "the same namespace type listed twice is rejected" {
	update_config '.linux.namespaces += [{"type":"network"}]'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "an unknown namespace type is rejected" {
	update_config '.linux.namespaces += [{"type":"bogus"}]'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *bogus* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

# issue 11 §2: Kubernetes' Bidirectional mount propagation is rootfsPropagation rshared
# with an rshared bind: a mount made on either side under the volume shows on the other.
@test "rootfsPropagation rshared with an rshared bind: mounts propagate host->container and container->host" {
	host_mount -t tmpfs -o size=1m tmpfs "$HOSTDIR"
	mount --make-shared "$HOSTDIR"
	mkdir -p "$HOSTDIR/from-host" "$HOSTDIR/from-ctr" "$BATS_TEST_TMPDIR/ctl"
	update_config '.linux.rootfsPropagation = "rshared"
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	bind_host_dir "$HOSTDIR" /mnt/vol rbind rshared
	bind_host_dir "$BATS_TEST_TMPDIR/ctl" /mnt/ctl
	set_args /bin/sh -c 'until [ -e /mnt/ctl/go ]; do sleep 0.05; done
		ls /mnt/vol/from-host
		mount -t tmpfs -o size=1m tmpfs /mnt/vol/from-ctr && touch /mnt/vol/from-ctr/made-inside
		touch /mnt/ctl/mounted
		until [ -e /mnt/ctl/end ]; do sleep 0.05; done'
	run_detached "$CID"
	host_mount -t tmpfs -o size=1m tmpfs "$HOSTDIR/from-host"
	touch "$HOSTDIR/from-host/made-outside"
	touch "$BATS_TEST_TMPDIR/ctl/go"
	wait_until 10 test -e "$BATS_TEST_TMPDIR/ctl/mounted"
	# The container's mount is the host's to remove now.
	HOST_MOUNTS+=("$HOSTDIR/from-ctr")
	ls -la "$HOSTDIR/from-ctr"
	mountpoint -q "$HOSTDIR/from-ctr"
	[ -e "$HOSTDIR/from-ctr/made-inside" ]
	touch "$BATS_TEST_TMPDIR/ctl/end"
	wait_status "$CID" stopped
	run ctr_out "$CID"
	echo "$output"
	[ "$output" = made-outside ]
	# The rootfs and the container's own mounts stayed in the container.
	[ -z "$(awk -v p="$BUNDLE/rootfs/" 'index($5, p) == 1' /proc/self/mountinfo)" ]
}

# host_root_propagation: the optional fields (shared:N, master:N) of the host's "/".
host_root_propagation() {
	awk '$5 == "/" { s = ""; for (i = 7; $i != "-"; i++) s = s " " $i; print s }' /proc/self/mountinfo
}

# issue 11 §2. runc 1.1 does the same mounts and chroot, but first makes the runtime's "/"
# rslave and never removes the mounts (seen by hand inside `unshare -m`): run for hull only,
# since with runc this would change the test machine's own mount table.
@test "no mount namespace: the runtime's is inherited, the process is chrooted, delete removes the mounts" {
	requires_hull "runc 1.1 makes the runtime's / rslave and leaves the container's mounts after delete"
	before=$(host_root_propagation)
	update_config '.linux.namespaces = [{"type":"pid"}] | del(.hostname)'
	set_args /bin/sh -c '/payload ns; ls /payload; sleep 100'
	run_detached "$CID" || { ctr_out "$CID"; false; }
	pid=$(container_pid "$CID")
	[ "$(pid_ns "$pid" mnt)" = "$(host_ns mnt)" ]
	[ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ]
	# The config's mounts are in the runtime's namespace, on the container's root.
	mountpoint -q "$BUNDLE/rootfs/proc"
	mountpoint -q "$BUNDLE/rootfs/dev"
	wait_until 10 grep -q '^/payload$' "$(ctr_out_file "$CID")"
	# exec runs in the same root, not the runtime's.
	run rt exec "$CID" /bin/ls /
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *payload* ]]
	rt delete -f "$CID"
	[ -z "$(awk -v p="$BUNDLE/rootfs/" 'index($5, p) == 1' /proc/self/mountinfo)" ]
	[ "$(host_root_propagation)" = "$before" ]

	# No namespace at all, in the foreground.
	update_config '.linux.namespaces = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	set_args /bin/sh -c '/payload ns; ls /payload'
	run rt_run "$CID-b"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(ns_of mnt)" = "$(host_ns mnt)" ]
	[ "$(ns_of pid)" = "$(host_ns pid)" ]
	[[ "$output" == */payload* ]]
	[ -z "$(awk -v p="$BUNDLE/rootfs/" 'index($5, p) == 1' /proc/self/mountinfo)" ]
}

# issue 11 §2: a mount namespace given by path is joined and the rootfs set up in it (runc
# does too, with pivot_root; hull chroots, which leaves the other processes there alone).
@test "a mount namespace given by path is joined and the rootfs is set up in it" {
	unshare -m --propagation private sleep 100 &
	holder=$!
	BG_PIDS+=("$holder")
	# A function, so that every try reads the namespace again (a $(...) in the arguments
	# was read once, before unshare had run under load, and never changed).
	holder_unshared() { [ "$(pid_ns "$holder" mnt)" != "$(host_ns mnt)" ]; }
	wait_until 5 holder_unshared
	add_namespace mount "/proc/$holder/ns/mnt"
	set_args /bin/sh -c '/payload ns; ls /payload; sleep 100'
	run_detached "$CID"
	pid=$(container_pid "$CID")
	[ "$(pid_ns "$pid" mnt)" = "$(pid_ns "$holder" mnt)" ]
	wait_until 10 grep -q '^/payload$' "$(ctr_out_file "$CID")"
	# The mounts are in the joined namespace, not the host's; the holder's root is unchanged.
	grep -q " $BUNDLE/rootfs/proc " "/proc/$holder/mountinfo"
	[ -z "$(awk -v p="$BUNDLE/rootfs/" 'index($5, p) == 1' /proc/self/mountinfo)" ]
	[ "$(readlink "/proc/$holder/root")" = / ]
	[ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ]
	run rt exec "$CID" /bin/ls /
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *payload* ]]
}

# pid_is_live ID: state and list report the container's real host pid, never 0.
pid_is_live() {
	local pid listed
	pid=$(container_pid "$1")
	listed=$(rt list --format json | jq -r --arg id "$1" '.[] | select(.id == $id) | .pid')
	echo "$1: state pid $pid, list pid $listed"
	[ "$pid" -gt 0 ]
	[ "$listed" = "$pid" ]
	[ -d "/proc/$pid" ]
	# It is the container's process: its root is the rootfs.
	[ "$(readlink "/proc/$pid/root")" = "$BUNDLE/rootfs" ] || [ "$(stat -L -c %i "/proc/$pid/root")" = "$(stat -c %i "$BUNDLE/rootfs")" ]
}

# issue 11 §2: every way a container is made reports its real pid in state and list.
@test "state and list report the real pid: run -d, create, user namespace, joined pid namespace, no pid namespace" {
	payload sleep forever
	run_detached "$CID"
	pid_is_live "$CID"
	rt_create "$CID-c"
	pid_is_live "$CID-c"
	first=$(container_pid "$CID")

	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/orig.json"
	add_namespace pid "/proc/$first/ns/pid"
	run_detached "$CID-j"
	pid_is_live "$CID-j"
	rt_create "$CID-jc"
	pid_is_live "$CID-jc"

	cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
	drop_namespace pid
	run_detached "$CID-n"
	pid_is_live "$CID-n"

	cp "$BATS_TEST_TMPDIR/orig.json" "$BUNDLE/config.json"
	add_namespace user
	update_config '.linux.uidMappings = [{"containerID":0,"hostID":1000,"size":2000}]
		| .linux.gidMappings = [{"containerID":0,"hostID":1000,"size":3000}]'
	d="$BATS_TEST_TMPDIR"
	while [ "$d" != / ]; do
		chmod go+x "$d"
		d=$(dirname "$d")
	done
	run_detached "$CID-u"
	pid_is_live "$CID-u"
	rt_create "$CID-uc"
	pid_is_live "$CID-uc"
	rt start "$CID-uc"
	wait_status "$CID-uc" running
	pid_is_live "$CID-uc"
}
