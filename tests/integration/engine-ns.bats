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
