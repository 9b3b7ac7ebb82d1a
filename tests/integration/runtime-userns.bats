#!/usr/bin/env bats
# User namespace: uid/gid mappings, seen from inside and from the host.

load lib/common

# Container root is host uid/gid 100000, 65536 ids wide; the rootfs copy is chowned to match.
setup_userns() {
	make_mapped_rootfs 100000 100000
	add_namespace user
	update_config '.linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
}

# The mapping lines with the kernel's padding squeezed: "0 100000 65536".
squeeze() {
	tr -s ' \t' ' ' | sed 's/^ //; s/ $//'
}

@test "user namespace: uid_map and gid_map inside show the configured mapping" {
	setup_userns
	set_args /bin/sh -c '/payload cat /proc/self/uid_map; echo --; /payload cat /proc/self/gid_map'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output" | squeeze)" = "0 100000 65536" ]
	[ "$(sed -n 3p <<<"$output" | squeeze)" = "0 100000 65536" ]
}

@test "user namespace: root inside is uid 100000 on the host" {
	setup_userns
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	[ "$(stat -c %u:%g "/proc/$pid")" = 100000:100000 ]
	grep -E '^Uid:\s+100000\s' "/proc/$pid/status"
	[ "$(pid_ns "$pid" user)" != "$(host_ns user)" ]

	# The same process is root inside; an exec'd process too.
	run rt exec "$CID" /payload ids
	[ "$status" -eq 0 ]
	[ "$(kv uid)" = 0 ]
	[ "$(kv gid)" = 0 ]
}

@test "user namespace: a non-root user maps by offset" {
	setup_userns
	update_config '.process.user = {"uid":1000,"gid":1000}'
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	[ "$(stat -c %u:%g "/proc/$pid")" = 101000:101000 ]
}

@test "user namespace: files written by container root are owned by the mapped id" {
	setup_userns
	payload write /tmp/from-container hello
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	f="$BATS_TEST_TMPDIR/mapped-rootfs/tmp/from-container"
	[ "$(cat "$f")" = hello ]
	[ "$(stat -c %u:%g "$f")" = 100000:100000 ]
}

@test "user namespace: host-owned files look like nobody inside" {
	setup_userns
	# A file owned by host root (outside the mapping) shows as the overflow id.
	echo secret >"$HOSTDIR/rootfile"
	chmod 0600 "$HOSTDIR/rootfile"
	bind_host_dir "$HOSTDIR" /host
	set_args /bin/sh -c '/payload stat /host/rootfile; /payload cat /host/rootfile'
	run rt_run "$CID"
	[ "$(kv uid)" = 65534 ]
	[ "$(kv gid)" = 65534 ]
	# Mapped root has no power over unmapped files.
	[[ "$output" != *secret* ]]
}

@test "user namespace: container root has full capabilities only inside" {
	setup_userns
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	# sethostname in its own uts namespace works; nothing leaks to the host.
	set_args /bin/sh -c '/payload try sethostname; /payload try mount-tmpfs'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = ok ]
}

# join_first_userns KEEP_MAPPINGS: runs a first container, then sets the bundle up to join its
# user and network namespaces.
join_first_userns() {
	setup_userns
	payload sleep forever
	run_detached "$CID"
	first=$(container_pid "$CID")
	if [ "$1" = no ]; then
		update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	fi
	add_namespace user "/proc/$first/ns/user"
	add_namespace network "/proc/$first/ns/net"
	set_args /bin/sh -c '/payload ns; /payload cat /proc/self/uid_map'
}

@test "user namespace given by path is joined (mappings repeated in config)" {
	join_first_userns yes
	run rt_run "$CID-b"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv user)" = "$(pid_ns "$first" user)" ]
	[ "$(kv net)" = "$(pid_ns "$first" net)" ]
	grep -E '^\s*0\s+100000\s+65536\s*$' <<<"$output"
}

@test "user namespace given by path is joined (no mappings in config)" {
	requires_hull "runc 1.1.5 insists on uidMappings even when joining a user namespace by path"
	join_first_userns no
	run rt_run "$CID-b"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv user)" = "$(pid_ns "$first" user)" ]
	grep -E '^\s*0\s+100000\s+65536\s*$' <<<"$output"
}

@test "user namespace without mappings is rejected" {
	add_namespace user
	update_config 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$CID" ]
}

# Issue 19 §4: create + start in a user namespace joined by path without mappings in
# config.json: the runtime reads the namespace's maps to give exec.fifo to the host ids
# of process.user (before: create exited 0 and the init died on the fifo).
@test "user namespace given by path without mappings: create + start as root and as uid 1000" {
	requires_hull "runc 1.1.5 insists on uidMappings even when joining a user namespace by path"
	join_first_userns no
	local user i=0
	for user in '{"uid": 0, "gid": 0}' '{"uid": 1000, "gid": 1000}'; do
		i=$((i + 1))
		update_config '.process.user = $u' --argjson u "$user"
		payload ids
		rt_create "$CID-b$i"
		rt start "$CID-b$i"
		wait_status "$CID-b$i" stopped
		output=$(ctr_out "$CID-b$i")
		echo "$user: $output"
		[ "$(kv uid)" = "$(jq .uid <<<"$user")" ]
		rt delete "$CID-b$i"
	done
}

# The mapping of issue 11 §3: root -> host 1000 (2000 uids, 3000 gids), the rootfs owned by
# host root, read-only for the container's root.
setup_userns_1000() {
	add_namespace user
	update_config '.linux.uidMappings = [{"containerID":0,"hostID":1000,"size":2000}]
		| .linux.gidMappings = [{"containerID":0,"hostID":1000,"size":3000}]'
	chmod 0755 "$BUNDLE"
}

# issue 11 §3: this container used to die before `start` (exec.fifo was host root's 0600,
# which host uid 1000 cannot reopen: fixed with the fifo's owner, issue 19). runc runs it too.
@test "user namespace 0->1000 (2000 uids, 3000 gids), rootfs owned by host root: create, start, runs" {
	setup_userns_1000
	# runc needs the directories above the bundle traversable (see the next test).
	d="$BATS_TEST_TMPDIR"
	while [ "$d" != / ]; do
		chmod go+x "$d"
		d=$(dirname "$d")
	done
	set_args /bin/sh -c '/payload ids; /payload cat /proc/self/gid_map'
	rt_create "$CID"
	[ "$(state_field "$CID" .status)" = created ]
	rt start "$CID"
	wait_status "$CID" stopped
	output=$(ctr_out "$CID")
	echo "$output"
	[ "$(kv uid)" = 0 ]
	[[ "$(squeeze <<<"$output")" == *"0 1000 3000"* ]]
	rt delete "$CID"
}

# issue 11 §3: a bundle under a directory only host root may traverse (mktemp -d,
# containers/storage and containerd make them 0700), the container's root an unprivileged
# host uid: the rootfs and the bind sources are reached on the host side before the init
# enters the user namespace. crun runs it; runc 1.1 fails with "permission denied".
@test "user namespace: a bundle and a bind source under 0700 directories (root -> host 1000)" {
	requires_hull "runc 1.1 cannot reach a rootfs under a 0700 parent from the user namespace (crun can)"
	setup_userns_1000
	chmod 0700 "$BATS_TEST_TMPDIR"
	mkdir -m 0700 "$BATS_TEST_TMPDIR/private"
	mkdir -m 0755 "$BATS_TEST_TMPDIR/private/vol"
	echo from-host >"$BATS_TEST_TMPDIR/private/vol/in"
	echo single >"$BATS_TEST_TMPDIR/private/file"
	chmod 0644 "$BATS_TEST_TMPDIR/private/file"
	bind_host_dir "$BATS_TEST_TMPDIR/private/vol" /mnt rbind
	add_mount "{\"destination\":\"/etc/hostname\",\"type\":\"bind\",\"source\":\"$BATS_TEST_TMPDIR/private/file\",\"options\":[\"bind\",\"ro\"]}"
	set_args /bin/sh -c '/payload ids; cat /mnt/in /etc/hostname'
	for opt in "" --no-pivot; do
		run rt_run $opt "$CID$opt"
		echo "$opt: $output"
		[ "$status" -eq 0 ]
		[ "$(kv uid)" = 0 ]
		[[ "$output" == *from-host*single* ]]
	done
	# With rootfsPropagation rshared the mount that holds the rootfs is found from there too.
	update_config '.linux.rootfsPropagation = "rshared"'
	run rt_run "$CID-shared"
	echo "rshared: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *from-host*single* ]]
	update_config 'del(.linux.rootfsPropagation)'
	# create + start too.
	rt_create "$CID-c"
	rt start "$CID-c"
	wait_status "$CID-c" stopped
	[[ "$(ctr_out "$CID-c")" == *from-host*single* ]]
	rt delete "$CID-c"
}

# issue 11 §3: once `start` released it, the init has no log and no parent left; a failure
# of its execve (here ENOEXEC: a file with x bits that is not a program, which passes the
# lookup create makes) reaches `start` through exec.fifo instead of vanishing.
@test "an init that fails its execve after start is reported by start (user namespace)" {
	requires_hull "runc 1.1 start exits 0 and the container dies silently"
	setup_userns_1000
	printf 'not a program\n' >"$BUNDLE/rootfs/not-a-program"
	chmod 0755 "$BUNDLE/rootfs/not-a-program"
	set_args /not-a-program
	rt_create "$CID"
	run rt start "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not-a-program"*"Exec format error"* ]]
	# A process that starts is still reported as started.
	set_args /payload true
	rt_create "$CID-b"
	rt start "$CID-b"
}

# issue 11 §3: idmapped bind mounts (mounts[].uidMappings/gidMappings, or the idmap option
# with the container's mappings): files of host root show as the container's root, and what
# the container's root writes there belongs to host root; explicit mappings shift ids.
@test "user namespace: idmapped bind mounts (idmap option, and explicit mappings)" {
	requires_hull "runc 1.1 has no idmapped mounts"
	setup_userns_1000
	echo secret >"$HOSTDIR/f"
	chmod 0600 "$HOSTDIR/f"
	mkdir "$HOSTDIR/sub"
	add_mount "{\"destination\":\"/mnt\",\"type\":\"bind\",\"source\":\"$HOSTDIR\",\"options\":[\"bind\",\"idmap\"]}"
	add_mount "{\"destination\":\"/home\",\"type\":\"bind\",\"source\":\"$HOSTDIR/sub\",\"options\":[\"bind\"],
		\"uidMappings\":[{\"containerID\":0,\"hostID\":1005,\"size\":1}],
		\"gidMappings\":[{\"containerID\":0,\"hostID\":1007,\"size\":1}]}"
	set_args /bin/sh -c '/payload stat /mnt/f; cat /mnt/f; echo w >/mnt/new; echo --; /payload stat /home'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv uid)" = 0 ]
	[[ "$output" == *secret* ]]
	[ "$(stat -c %u:%g "$HOSTDIR/new")" = 0:0 ]
	[ "$(sed -n '/^--$/,$p' <<<"$output" | sed -n 's/^uid=//p')" = 5 ]
	[ "$(sed -n '/^--$/,$p' <<<"$output" | sed -n 's/^gid=//p')" = 7 ]

	# Only bind mounts can be idmapped.
	update_config '.mounts += [{"destination":"/srv","type":"tmpfs","source":"tmpfs","options":["idmap"]}]'
	run rt_run "$CID-b"
	[ "$status" -ne 0 ]
	[[ "$output" == *"idmapped mount must be a bind mount"* ]]
}
