#!/usr/bin/env bats
# /dev: the default device nodes and symlinks, linux.devices, the device cgroup.

load lib/common

@test "default device nodes with the right type and major:minor" {
	script=''
	for d in null zero full random urandom tty; do
		script+="echo == $d; /payload stat /dev/$d; "
	done
	set_args /bin/sh -c "$script"
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	check() {
		local block
		block=$(sed -n "/^== $1\$/,/^==/p" <<<"$output")
		echo "$block"
		grep -qx type=chr <<<"$block"
		grep -qx "rdev=$2" <<<"$block"
		grep -qx mode=0666 <<<"$block"
	}
	check null 1:3
	check zero 1:5
	check full 1:7
	check random 1:8
	check urandom 1:9
	check tty 5:0
}

@test "default device nodes work" {
	set_args /bin/sh -c '/payload write /dev/null x && head -c 4 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c && /payload write /dev/full x'
	run rt_run "$CID"
	echo "$output"
	[ "${lines[0]}" = " 00 00 00 00" ]
	[ "${lines[1]}" = 8 ]
	[[ "${lines[2]}" == *"No space left on device"* ]]
}

@test "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr symlinks" {
	set_args /bin/sh -c 'for l in fd stdin stdout stderr; do echo $l=$(readlink /dev/$l); done'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv fd)" = /proc/self/fd ]
	[ "$(kv stdin)" = /proc/self/fd/0 ]
	[ "$(kv stdout)" = /proc/self/fd/1 ]
	[ "$(kv stderr)" = /proc/self/fd/2 ]
}

@test "/dev/ptmx leads to the container's own devpts" {
	set_args /bin/sh -c 'readlink /dev/ptmx; /payload stat /dev/pts/ptmx; /payload mountopts /dev/pts'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	# A symlink to pts/ptmx (what runc does) or a bind of it: either way the pts instance's.
	[ "${lines[0]}" = pts/ptmx ] || [ "${lines[0]}" = /dev/pts/ptmx ]
	[ "$(kv rdev)" = 5:2 ]
}

@test "/dev/shm is a writable tmpfs and /dev/mqueue exists" {
	set_args /bin/sh -c '/payload write /dev/shm/x y && /payload cat /dev/shm/x && echo && /payload stat /dev/mqueue'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = y ]
	[ "$(kv type)" = dir ]
}

@test "/dev is a fresh tmpfs: no host device nodes" {
	set_args /bin/sh -c '/bin/ls /dev; /payload mounts'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	# /dev is a mount point of its own, and a tmpfs (mountinfo: "- FSTYPE" after the
	# optional fields).
	[ "$(awk '$5 == "/dev" { sub(/.* - /, ""); print $1 }' <<<"$output")" = tmpfs ]
	[ -z "$(grep -xE 'vda|kmsg|mem' <<<"$output")" ]
}

@test "linux.devices: a char device with major/minor/fileMode/uid/gid" {
	# fileMode 0640 = 416
	update_config '.linux.devices = [{"path":"/dev/hulltest","type":"c","major":1,"minor":3,"fileMode":416,"uid":1000,"gid":2000}]'
	payload stat /dev/hulltest
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv type)" = chr ]
	[ "$(kv rdev)" = 1:3 ]
	[ "$(kv mode)" = 0640 ]
	[ "$(kv uid)" = 1000 ]
	[ "$(kv gid)" = 2000 ]
}

@test "linux.devices: the owner can use the device" {
	update_config '.linux.devices = [{"path":"/dev/hulltest","type":"c","major":1,"minor":3,"fileMode":384,"uid":1000,"gid":1000}]'
	update_config '.process.user = {"uid":1000,"gid":1000}'
	payload write /dev/hulltest x
	run rt_run "$CID"
	[ "$status" -eq 0 ]
}

@test "linux.devices: block device, fifo, and a nested path" {
	update_config '.linux.devices = [
		{"path":"/dev/sub/dir/blk","type":"b","major":7,"minor":0},
		{"path":"/dev/hullfifo","type":"p"}]'
	set_args /bin/sh -c '/payload stat /dev/sub/dir/blk; echo --; /payload stat /dev/hullfifo'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv type)" = blk ]
	[ "$(kv rdev)" = 7:0 ]
	[ "$(sed -n '/^--$/,$p' <<<"$output" | sed -n 's/^type=//p')" = fifo ]
}

# /dev/kmsg (1:11) is not in the default allow list, and opening it write-only needs no
# capability (a write adds one line to the host's kernel log).
@test "device cgroup: a node that is not allowed cannot be opened" {
	update_config '.linux.devices = [{"path":"/dev/hullkmsg","type":"c","major":1,"minor":11}]'
	payload write /dev/hullkmsg "hull device cgroup test: must not appear"
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"open /dev/hullkmsg: Operation not permitted"* ]]
}

@test "device cgroup: an allow rule in linux.resources.devices opens it" {
	update_config '.linux.devices = [{"path":"/dev/hullkmsg","type":"c","major":1,"minor":11}]'
	update_config '.linux.resources.devices += [{"allow":true,"type":"c","major":1,"minor":11,"access":"w"}]'
	payload write /dev/hullkmsg "hull device cgroup test: allowed"
	run rt_run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "mknod without CAP_MKNOD is refused" {
	payload try mknod
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = errno=EPERM ]
}
