#!/usr/bin/env bats
# Namespaces and privileges of engine containers (issue 15): --pid/--ipc container:X,
# --ipc none|shareable, exec --privileged, --cap-add widening the default seccomp profile,
# --userns. Run as root: bats tests/integration/engine-ns.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "--pid container:X: the second container sees the first's processes; inspect shows PidMode" {
	busybox_image
	run -0 hull run -d --name first busybox sleep 1000
	first=$output
	remember "$first"
	run -0 hull run --name second --pid container:first busybox sh -c 'ps -o pid,args; readlink /proc/self/ns/pid'
	echo "$output"
	[[ "$output" == *"1 sleep 1000"* ]]
	# The namespace is the first container's, as the host sees it.
	pid=$(hull inspect -f '{{.State.Pid}}' first)
	[ "${lines[-1]}" = "$(readlink "/proc/$pid/ns/pid")" ]
	run -0 hull inspect -f '{{.HostConfig.PidMode}}' second
	[ "$output" = "container:$first" ]
	run -0 hull rm second
}

# CVE-2019-5736: a container that shares a pid namespace (host, or another container's) could
# reach its monitor's binary through /proc, so that monitor runs from a sealed copy of
# itself. monitor.json tells the monitor which case it is (private_pid_ns), in place of a
# parse of the whole config.json.
@test "--pid host and container:X: the monitor runs from a sealed copy of itself; with its own pid namespace it does not" {
	busybox_image
	run -0 hull run -d --pid host --name ph busybox sleep 1000
	remember "$output"
	[[ "$(readlink "/proc/$(cut -d' ' -f1 "$RUNROOT/containers/$output/monitor.pid")/exe")" == /memfd:* ]]
	run -0 hull run -d --pid container:ph --name pc busybox sleep 1000
	remember "$output"
	[[ "$(readlink "/proc/$(cut -d' ' -f1 "$RUNROOT/containers/$output/monitor.pid")/exe")" == /memfd:* ]]
	run -0 hull run -d --name pp busybox sleep 1000
	remember "$output"
	[[ "$(readlink "/proc/$(cut -d' ' -f1 "$RUNROOT/containers/$output/monitor.pid")/exe")" == */hull-monitor ]]
	run -0 hull rm -f pc ph pp
}

@test "--ipc container:X: one IPC namespace; a SysV segment made in the first is in the second" {
	busybox_image
	run -0 hull run -d --name donor --ipc shareable busybox sleep 1000
	donor=$output
	remember "$donor"
	pid=$(hull inspect -f '{{.State.Pid}}' donor)
	shmid=$(nsenter --ipc="/proc/$pid/ns/ipc" ipcmk -M 4096 | grep -o '[0-9]*$')
	[ -n "$shmid" ]
	run -0 hull run --rm --ipc container:donor busybox sh -c 'readlink /proc/self/ns/ipc; cat /proc/sysvipc/shm'
	echo "$output"
	[ "${lines[0]}" = "$(readlink "/proc/$pid/ns/ipc")" ]
	# /proc/sysvipc/shm: key, shmid, ...
	echo "$output" | awk 'NR > 2 {print $2}' | grep -qx "$shmid"
	# A private container (the default) keeps its namespace to itself.
	run -0 hull run --rm busybox cat /proc/sysvipc/shm
	[ "${#lines[@]}" -eq 1 ]
	run -0 hull inspect -f '{{.HostConfig.IpcMode}}' donor
	[ "$output" = shareable ]
}

@test "--ipc container:X of a private container, of a stopped one, of none: 125, nothing left" {
	busybox_image
	run -0 hull run -d --name priv busybox sleep 1000
	remember "$output"
	run -125 hull run --rm --ipc container:priv busybox true
	[[ "$output" == *"non-shareable IPC"* ]]
	run -125 hull run --rm --pid container:nosuch busybox true
	[[ "$output" == *"No such container: nosuch"* ]]
	run -0 hull stop -t 0 priv
	run -125 hull run --rm --pid container:priv busybox true
	[[ "$output" == *"cannot join PID of a non running container: priv"* ]]
	run -0 hull ps -aq
	[ "$(echo "$output" | wc -l)" -eq 1 ]
	# Without --rm the created container stays, as Docker's.
	run -125 hull run --name left --pid container:priv busybox true
	run -0 hull inspect -f '{{.State.Status}}' left
	[ "$output" = created ]
}

@test "--ipc none has no /dev/shm; private and shareable have their own" {
	busybox_image
	run -1 hull run --rm --ipc none busybox grep -q ' /dev/shm ' /proc/self/mounts
	run -0 hull run --rm --ipc shareable busybox grep -q ' /dev/shm ' /proc/self/mounts
	run -0 hull run --rm busybox grep -q ' /dev/shm ' /proc/self/mounts
	run -125 hull run --rm --ipc bogus busybox true
	[[ "$output" == *"--ipc"* ]]
}

@test "exec --privileged: every capability hull has, the container's seccomp filter stays; plain exec: Docker's set" {
	busybox_image
	run -0 hull run -d --name box busybox sleep 1000
	remember "$output"
	own=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	run -0 hull exec --privileged box grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status
	echo "$output"
	[[ "$output" == *"CapEff:	$own"* ]]
	[[ "$output" == *"CapBnd:	$own"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	run -0 hull exec box grep -E '^(CapEff|Seccomp):' /proc/self/status
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
	# run --privileged: the same set, no filter.
	run -0 hull run --rm --privileged busybox grep -E '^(CapEff|Seccomp):' /proc/self/status
	[[ "$output" == *"CapEff:	$own"* ]]
	[[ "$output" == *"Seccomp:	0"* ]]
}

@test "--cap-add SYS_ADMIN widens the default seccomp profile: mount and unshare work; without the cap EPERM" {
	busybox_image
	run -0 hull run --rm --cap-add SYS_ADMIN busybox sh -c 'mount -t tmpfs none /tmp && grep " /tmp " /proc/self/mounts && busybox umount /tmp && busybox unshare -m true && echo ok'
	echo "$output"
	[[ "$output" == *"tmpfs"*ok ]]
	run -1 hull run --rm busybox busybox mount -t tmpfs none /tmp
	echo "$output"
	[[ "$output" == *"denied"* || "$output" == *"not permitted"* ]]
	# The seccomp filter, not the capability alone, decided: with the capability but
	# without the widening (a profile given by file), mount is refused.
	prof="$BATS_TEST_TMPDIR/profile.json"
	cp "$REPO_ROOT/profiles/seccomp-default.json" "$prof"
	run -1 hull run --rm --cap-add SYS_ADMIN --security-opt "seccomp=$prof" busybox busybox mount -t tmpfs none /tmp
	# CAP_SYS_PTRACE brings ptrace's relatives (kcmp, pidfd_getfd, process_madvise) into the
	# filter of the generated config.
	run -0 hull create --name pt --cap-add SYS_PTRACE busybox true
	remember "$output"
	grep -q '"kcmp"' "$STORE/containers/$output/config.json"
	run -0 hull create --name plain busybox true
	remember "$output"
	run ! grep -q '"kcmp"' "$STORE/containers/$output/config.json"
}

# The first line of /proc/self/uid_map in a container: "0 HOST SIZE".
first_map() {
	hull "$@" | awk 'NR == 1 {print $1, $2, $3}'
}

@test "--userns auto: a non-identity map, / owned by 0 inside, id 0; the upper's files are the mapped root's on the host" {
	busybox_image
	run -0 hull run -d --name u1 --userns auto busybox sh -c 'touch /made; sleep 1000'
	id=$output
	remember "$id"
	run -0 hull exec u1 sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; stat -c "%u:%g" / /bin /etc/passwd'
	echo "$output"
	read -r c h s <<<"${lines[0]}"
	[ "$c" = 0 ]
	[ "$h" -ge 100000 ]
	[ "$s" = 65536 ]
	[ "$(echo "${lines[1]}" | awk '{print $1}')" = 0 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" = 0:0 ]
	[ "${lines[5]}" = 0:0 ]
	[ "${lines[6]}" = 0:0 ]
	# The container's root is the mapped id on the host, and so are its writes.
	pid=$(hull inspect -f '{{.State.Pid}}' u1)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$h" ]
	retry 20 test -e "$STORE/overlay/c/$id/upper/made"
	[ "$(stat -c %u "$STORE/overlay/c/$id/upper/made")" = "$h" ]
	[ "$(stat -c %u "$STORE/overlay/c/$id/upper")" = "$h" ]
	# The shared layer is untouched: its files still belong to the host's root.
	[ -z "$(find "$STORE/layers" -path '*/diff/*' ! -uid 0 | head -1)" ]
	run -0 hull inspect -f '{{.HostConfig.UsernsMode}}' u1
	[ "$output" = auto ]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM userns_ranges WHERE ctr_id = '$id'")" = 1 ]
	run -0 hull rm -f u1
	# rm releases the range.
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM userns_ranges')" = 0 ]
	# A fresh volume belongs to the mapped root, so root inside can write to it; a bind
	# mount keeps its host ownership (host root's directory is nobody's inside).
	mkdir "$BATS_TEST_TMPDIR/bind"
	run -0 hull run --rm --userns auto -v /data -v "$BATS_TEST_TMPDIR/bind:/bind" busybox sh -c 'touch /data/f && stat -c %u /data /bind'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 65534 ]
}

# "OWNER NAME" of each entry of a tar stream on stdin, ids numeric.
tar_owners() {
	tar -tv --numeric-owner -f - | awk '{print $2, $6}'
}

@test "--userns auto: commit, export and cp carry the ids the container sees, not its mapped host ids" {
	busybox_image
	run -0 hull run -d --name uc --userns auto busybox sh -c 'mkdir /d && echo r >/d/root && echo u >/d/user && chown 1000:1001 /d/user && ln -s root /d/link && echo h >/d/host && touch /ready && sleep 1000'
	id=$output
	remember "$id"
	upper="$STORE/overlay/c/$id/upper"
	retry 20 test -e "$upper/ready"
	hu=$(hull exec uc cat /proc/self/uid_map | awk '{print $2}')
	hg=$(hull exec uc cat /proc/self/gid_map | awk '{print $2}')
	[ "$hu" -ge 100000 ]
	[ "$hg" -ge 100000 ]
	# On disk the files have the mapped host ids.
	[ "$(stat -c %u:%g "$upper/d/root" "$upper/d/user")" = "$hu:$hg"$'\n'"$((hu + 1000)):$((hg + 1001))" ]
	# A host id the container does not map: nobody inside, as the kernel shows it.
	chown 1234:1234 "$upper/d/host"
	# File capabilities (cap_net_bind_service) as a process in the container writes them: v3,
	# rooted at the host id of its root; d/user's rooted at a host id it does not map.
	le32() { local h; h=$(printf '%08x' "$1"); echo "${h:6:2}${h:4:2}${h:2:2}${h:0:2}"; }
	setfattr -n security.capability -v "0x0100000300040000000000000000000000000000$(le32 "$hu")" "$upper/d/root"
	setfattr -n security.capability -v "0x0100000300040000000000000000000000000000$(le32 1234)" "$upper/d/user"
	run -0 hull exec uc sh -c 'stat -c "%u:%g %n" /d/root /d/user /d/link /d/host'
	[ "$output" = $'0:0 /d/root\n1000:1001 /d/user\n0:0 /d/link\n65534:65534 /d/host' ]

	# commit: the new layer has the container's ids (the image runs without a user namespace).
	run -0 hull commit uc uimg
	run -0 hull run --rm uimg sh -c 'stat -c "%u:%g %n" /d /d/root /d/user /d/link /d/host /bin/busybox'
	echo "$output"
	[ "$output" = $'0:0 /d\n0:0 /d/root\n1000:1001 /d/user\n0:0 /d/link\n65534:65534 /d/host\n0:0 /bin/busybox' ]
	# ... and so does the layer in a saved archive.
	layer=$(hull image inspect -f '{{json .RootFS.Layers}}' uimg | jq -r '.[-1]')
	# The capability is the container root's: v2, as the container sees it; the one of a host
	# id outside its map is left out.
	ldir=$(sqlite3 "$STORE/hull.db" "SELECT dir FROM layers WHERE diff_id = '$layer'")
	[ "$(getfattr -n security.capability -e hex "$STORE/layers/$ldir/diff/d/root" | sed -n 's/^security.capability=//p')" = 0x0100000200040000000000000000000000000000 ]
	run ! getfattr -n security.capability "$STORE/layers/$ldir/diff/d/user"
	hull save -o "$BATS_TEST_TMPDIR/uimg.tar" uimg
	mkdir "$BATS_TEST_TMPDIR/saved"
	tar -xf "$BATS_TEST_TMPDIR/uimg.tar" -C "$BATS_TEST_TMPDIR/saved"
	run -0 tar_owners <"$BATS_TEST_TMPDIR/saved/blobs/sha256/${layer#sha256:}"
	echo "$output"
	[[ "$output" == *"1000/1001 d/user"* && "$output" == *"0/0 d/root"* && "$output" == *"65534/65534 d/host"* ]]
	[ -z "$(grep -E "^($hu|$((hu + 1000)))/" <<<"$output")" ]

	# export: the whole filesystem as the container sees it, the image's files too.
	hull export uc >"$BATS_TEST_TMPDIR/export.tar"
	run -0 tar_owners <"$BATS_TEST_TMPDIR/export.tar"
	[[ "$output" == *"0/0 bin/busybox"* && "$output" == *"0/0 d/"* && "$output" == *"0/0 d/root"* ]]
	[[ "$output" == *"1000/1001 d/user"* && "$output" == *"0/0 d/link"* && "$output" == *"65534/65534 d/host"* ]]
	[ -z "$(grep -E "^($hu|$((hu + 1000)))/" <<<"$output")" ]

	# cp out: a tar stream and -a have the container's ids; without -a the caller owns the copy.
	hull cp uc:/d - >"$BATS_TEST_TMPDIR/cp.tar"
	run -0 tar_owners <"$BATS_TEST_TMPDIR/cp.tar"
	echo "$output"
	[ "$(sort <<<"$output")" = "$(printf '%s\n' '0/0 d' '0/0 d/link' '0/0 d/root' '1000/1001 d/user' '65534/65534 d/host' | sort)" ]
	hull cp -a uc:/d "$BATS_TEST_TMPDIR/out-a"
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/out-a/root" "$BATS_TEST_TMPDIR/out-a/user")" = $'0:0\n1000:1001' ]
	hull cp uc:/d/user "$BATS_TEST_TMPDIR/out"
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/out")" = 0:0 ]

	# cp in: the container's root owns the copy (its mapped id on disk); -a keeps the source's
	# ids as container ids; an id the container does not map is refused, nothing created.
	echo in >"$BATS_TEST_TMPDIR/in"
	echo in2 >"$BATS_TEST_TMPDIR/in2"
	chown 1000:1001 "$BATS_TEST_TMPDIR/in2"
	echo in3 >"$BATS_TEST_TMPDIR/in3"
	chown 70000:70000 "$BATS_TEST_TMPDIR/in3"
	hull cp "$BATS_TEST_TMPDIR/in" uc:/in
	hull cp "$BATS_TEST_TMPDIR/in2" uc:/in-plain
	hull cp -a "$BATS_TEST_TMPDIR/in2" uc:/in2
	tar -C "$BATS_TEST_TMPDIR" -c --owner=5 --group=5 in | hull cp - uc:/tmp
	run -0 hull exec uc sh -c 'stat -c "%u:%g %n" /in /in-plain /in2 /tmp/in'
	[ "$output" = $'0:0 /in\n0:0 /in-plain\n1000:1001 /in2\n0:0 /tmp/in' ]
	run ! hull cp -a "$BATS_TEST_TMPDIR/in3" uc:/in3
	[[ "$output" == *"uid 70000 is not mapped"* ]]
	run -1 hull exec uc sh -c 'test -e /in3'
	[ "$(stat -c %u:%g "$upper/in" "$upper/in2")" = "$hu:$hg"$'\n'"$((hu + 1000)):$((hg + 1001))" ]
	run -0 hull rm -f uc

	# --uidmap/--gidmap: ids through the given ranges.
	run -0 hull run --name um --uidmap 0:300000:70000 --gidmap 0:400000:70000 busybox sh -c 'echo >/f; chown 5:6 /f'
	remember "$output"
	run -0 hull commit um umap
	run -0 hull run --rm umap sh -c 'stat -c %u:%g /f'
	[ "$output" = 5:6 ]
	run -0 hull rm um
}

@test "--userns auto: containers made in parallel get disjoint ranges; a released range is reused" {
	busybox_image
	local -a pids=()
	for i in 1 2 3 4 5 6; do
		hull create --name "p$i" --userns "auto:size=$((1000 * i))" busybox true >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	run -0 sqlite3 "$STORE/hull.db" 'SELECT uid_start, size FROM userns_ranges ORDER BY uid_start'
	echo "$output"
	[ "${#lines[@]}" -eq 6 ]
	prev_end=0
	for l in "${lines[@]}"; do
		start=${l%|*} size=${l#*|}
		[ "$start" -ge "$prev_end" ]
		prev_end=$((start + size))
	done
	# A running container and a new one show disjoint maps.
	a=$(hull run --rm --userns auto busybox cat /proc/self/uid_map | awk '{print $2}')
	run -0 hull run -d --name keep --userns auto busybox sleep 1000
	remember "$output"
	b=$(hull exec keep cat /proc/self/uid_map | awk '{print $2}')
	c=$(hull run --rm --userns auto busybox cat /proc/self/uid_map | awk '{print $2}')
	[ "$b" != "$c" ]
	[ $((b + 65536)) -le "$c" ] || [ $((c + 65536)) -le "$b" ]
	# The --rm container's range was free again when keep was made.
	[ "$a" = "$b" ]
}

@test "--uidmap/--gidmap CONTAINER:HOST:SIZE and --userns ns:PATH; bad values are 125 naming the flag" {
	busybox_image
	run -0 hull run --rm --uidmap 0:300000:70000 --gidmap 0:400000:70000 busybox sh -c 'cat /proc/self/uid_map /proc/self/gid_map; stat -c %u:%g /bin'
	echo "$output"
	[ "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" = "0 300000 70000" ]
	[ "$(echo "${lines[1]}" | awk '{print $1, $2, $3}')" = "0 400000 70000" ]
	[ "${lines[2]}" = 0:0 ]
	# --uidmap alone maps the groups alike (podman).
	run -0 hull run --rm --uidmap 0:300000:70000 busybox cat /proc/self/gid_map
	[ "$(echo "$output" | awk '{print $2}')" = 300000 ]
	# ns:PATH joins a running container's user namespace, with its maps.
	run -0 hull run -d --name owner --userns auto busybox sleep 1000
	remember "$output"
	pid=$(hull inspect -f '{{.State.Pid}}' owner)
	run -0 hull run --rm --userns "ns:/proc/$pid/ns/user" busybox sh -c 'readlink /proc/self/ns/user; stat -c %u /bin'
	[ "${lines[0]}" = "$(readlink "/proc/$pid/ns/user")" ]
	[ "${lines[1]}" = 0 ]
	run -125 hull run --rm --uidmap 0:300000 busybox true
	[[ "$output" == *'"--uidmap" flag'* ]]
	run -125 hull run --rm --gidmap 0:300000:0 busybox true
	[[ "$output" == *'"--gidmap" flag'* ]]
	run -125 hull run --rm --uidmap 0:4294967295:2 busybox true
	[[ "$output" == *'"--uidmap" flag'* ]]
	run -125 hull run --rm --userns auto:size=x busybox true
	[[ "$output" == *'"--userns" flag'* ]]
	run -125 hull run --rm --userns auto --uidmap 0:1:1 busybox true
	[[ "$output" == *"mutually exclusive"* ]]
	run -125 hull run --rm --userns ns:/proc/self/ns/net busybox true
	[[ "$output" == *"not a user namespace"* ]]
	run -0 hull run --rm --userns host busybox cat /proc/self/uid_map
	[ "$(echo "$output" | awk '{print $1, $2, $3}')" = "0 0 4294967295" ]
}
