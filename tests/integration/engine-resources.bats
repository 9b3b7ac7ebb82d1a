#!/usr/bin/env bats
# run flags of issue 15 checked end to end: through `hull run`, read back from inside the
# container (/proc/self/status, /proc/self/limits, mountinfo, id) and from the host's cgroup
# files of the container, and dockerd's errors (exit 125) for values it refuses.
# Run as root: bats tests/integration/engine-resources.bats

bats_require_minimum_version 1.5.0
load lib/engine

# cg CONTROLLER FILE ID: a file of the container's v1 cgroup (this suite's host is v1 or
# hybrid; on a unified host the v2 names are read by the callers).
cg() {
	cat "/sys/fs/cgroup/$1/hull/$3/$2"
}

v1() { [ -d /sys/fs/cgroup/memory ]; }

@test "-m, --memory-swap, --memory-reservation, --cpu-shares/quota/period, --cpuset-cpus/mems reach the container's cgroup" {
	busybox_image
	run -0 hull run -d --name res -m 64m --memory-swap 128m --memory-reservation 32m --cpu-shares 512 \
		--cpu-quota 50000 --cpu-period 200000 --cpuset-cpus 0 --cpuset-mems 0 busybox sh -c 'while :; do sleep 0.1; done'
	id=$output
	remember "$id"
	if v1; then
		[ "$(cg memory memory.limit_in_bytes "$id")" = 67108864 ]
		[ "$(cg memory memory.memsw.limit_in_bytes "$id")" = 134217728 ]
		[ "$(cg memory memory.soft_limit_in_bytes "$id")" = 33554432 ]
		[ "$(cg cpu cpu.shares "$id")" = 512 ]
		[ "$(cg cpu cpu.cfs_quota_us "$id")" = 50000 ]
		[ "$(cg cpu cpu.cfs_period_us "$id")" = 200000 ]
		[ "$(cg cpuset cpuset.cpus "$id")" = 0 ]
		[ "$(cg cpuset cpuset.mems "$id")" = 0 ]
	else
		d=/sys/fs/cgroup/hull/$id
		[ "$(cat "$d/memory.max")" = 67108864 ]
		[ "$(cat "$d/memory.swap.max")" = 67108864 ]
		[ "$(cat "$d/memory.low")" = 33554432 ]
		[ "$(cat "$d/cpu.max")" = "50000 200000" ]
		[ "$(cat "$d/cpuset.cpus")" = 0 ]
	fi
	# Inside: the cpuset is the process's affinity.
	run -0 hull exec res grep Cpus_allowed_list /proc/self/status
	[ "$(echo $output)" = "Cpus_allowed_list: 0" ]
	run -0 hull inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.MemoryReservation}} {{.HostConfig.CpuShares}} {{.HostConfig.CpuQuota}} {{.HostConfig.CpuPeriod}} {{.HostConfig.CpusetCpus}} {{.HostConfig.CpusetMems}}' res
	[ "$output" = "67108864 134217728 33554432 512 50000 200000 0 0" ]
	run -0 hull rm -f res
}

@test "dockerd's refusals of resource values: its messages, exit 125, nothing created" {
	busybox_image
	ncpu=$(nproc)
	while IFS='|' read -r flags msg; do
		# shellcheck disable=SC2086
		run -125 hull run --rm $flags busybox true
		[[ "$output" == *"$msg"* ]] || {
			echo "$flags: $output" >&2
			false
		}
	done <<-EOF
		-m 4m|Minimum memory limit allowed is 6MB
		--memory-swap 100m|You should always set the Memory limit when using Memoryswap limit, see usage
		-m 100m --memory-swap 50m|Minimum memoryswap limit should be larger than memory limit, see usage
		--memory-reservation 1m|Minimum memory reservation allowed is 6MB
		-m 50m --memory-reservation 100m|Minimum memory limit can not be less than memory reservation limit, see usage
		--cpu-period 500|CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)
		--cpu-period 2000000|CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)
		--cpu-quota 500|CPU cfs quota can not be less than 1ms (i.e. 1000)
		--cpus 0.5 --cpu-period 100000|Conflicting options: Nano CPUs and CPU Period cannot both be set
		--cpus 0.5 --cpu-quota 50000|Conflicting options: Nano CPUs and CPU Quota cannot both be set
		--cpus $((ncpu + 1))|Range of CPUs is from 0.01 to $ncpu.00, as there are only $ncpu CPUs available
		--cpuset-cpus 4095|Requested CPUs are not available - requested 4095, available: 
		--cpuset-cpus 1-0|Invalid value 1-0 for cpuset cpus
		--cpuset-mems 4095|Requested memory nodes are not available - requested 4095, available: 
		--blkio-weight 5|range of blkio weight is from 10 to 1000
		--oom-score-adj 1001|Invalid value 1001, range for oom score adj is [-1000, 1000]
		--shm-size -1|--shm-size
		--ulimit nofile=10:5|ulimit soft limit must be less than or equal to hard limit: 10 > 5
		--ulimit foo=1|invalid ulimit type: foo
		--mount type=bind,source=/nonexistent-h4,target=/x|invalid mount config for type "bind": bind source path does not exist: /nonexistent-h4
		--mount type=bind,target=/x|source is required when specifying bind mount
		--mount type=tmpfs,target=/x,foo=1|unexpected key 'foo' in 'foo=1'
		--mount type=tmpfs,target=/x,tmpfs-mode=9|invalid tmpfs-mode
		--cap-drop NOSUCH|unknown capability: "CAP_NOSUCH"
		--group-add nosuchgroup|unable to find group nosuchgroup
	EOF
	[ -z "$(hull ps -aq)" ]
	# update checks the merged settings the same way (and allows swap without memory there).
	run -0 hull run -d --name up -m 64m busybox sleep 100
	remember "$output"
	run -1 hull update --memory-reservation 128m up
	[[ "$output" == *"Minimum memory limit can not be less than memory reservation limit"* ]]
	run -0 hull rm -f up
}

@test "--blkio-weight: in the blkio cgroup where the kernel weighs block I/O, else dropped with Docker's warning" {
	busybox_image
	run -0 --separate-stderr hull run -d --name bw --blkio-weight 300 busybox sleep 100
	id=$output
	remember "$id"
	B=/sys/fs/cgroup/blkio
	if [ -d "$B" ] && { [ -e "$B/blkio.weight" ] || [ -e "$B/blkio.bfq.weight" ]; }; then
		wf=blkio.weight
		[ -e "$B/$wf" ] || wf=blkio.bfq.weight
		[[ "$(cat "$B/hull/$id/$wf")" == *300* ]]
		return 0
	fi
	if [ ! -d "$B" ] && grep -qw io /sys/fs/cgroup/cgroup.controllers; then
		[[ "$(cat "/sys/fs/cgroup/hull/$id/io.weight" 2>/dev/null || cat "/sys/fs/cgroup/hull/$id/io.bfq.weight")" == *300* ]]
		return 0
	fi
	# As dockerd: the container runs, without the weight, and the caller is told.
	[[ "$stderr" == *"Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded."* ]]
	run -0 hull inspect -f '{{.State.Status}} {{.HostConfig.BlkioWeight}}' bw
	[ "$output" = "running 0" ]
	run -0 hull rm -f bw
	skip "this kernel has no block I/O weights (neither blkio.weight nor blkio.bfq.weight, no io controller): only the warning and the dropped value were checked"
}

@test "--ulimit, --shm-size, --oom-score-adj seen from inside the container" {
	busybox_image
	run -0 hull run --rm --ulimit nofile=100:200 --ulimit nproc=50:60 --ulimit core=0 --shm-size 16m --oom-score-adj 300 \
		busybox sh -c 'grep -E "^Max (open files|processes|core file size)" /proc/self/limits; cat /proc/self/oom_score_adj; grep " /dev/shm " /proc/self/mountinfo'
	[ "$(echo ${lines[0]})" = "Max core file size 0 0 bytes" ]
	[ "$(echo ${lines[1]})" = "Max processes 50 60 processes" ]
	[ "$(echo ${lines[2]})" = "Max open files 100 200 files" ]
	[ "${lines[3]}" = 300 ]
	[[ "${lines[4]}" == *" - tmpfs shm rw,"*"size=16384k"* ]]
	# Docker's default /dev/shm is 64 MiB.
	run -0 hull run --rm busybox grep " /dev/shm " /proc/self/mountinfo
	[[ "$output" == *"size=65536k"* ]]
}

@test "--cap-drop (a name, lower case, ALL) and --group-add (a number and a name from the image's /etc/group)" {
	busybox_image
	run -0 hull run --rm busybox grep CapEff /proc/self/status
	dflt=$((16#$(echo "$output" | awk '{print $2}')))
	# CAP_CHOWN is bit 0, CAP_NET_RAW bit 13.
	[ $((dflt & 1)) = 1 ]
	[ $((dflt & (1 << 13))) != 0 ]
	run -0 hull run --rm --cap-drop NET_RAW --cap-drop chown busybox grep CapEff /proc/self/status
	eff=$((16#$(echo "$output" | awk '{print $2}')))
	[ "$eff" = $((dflt & ~1 & ~(1 << 13))) ]
	run -0 hull run --rm --cap-drop ALL busybox grep -E '^Cap(Eff|Prm|Bnd)' /proc/self/status
	[ "$(echo $output)" = "CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000000000000000" ]
	# As root, dropping CHOWN takes chown away.
	run -1 hull run --rm --cap-drop chown busybox busybox chown 33 /tmp
	# www is in "extra" (500) in the image; nogroup (65534) by name and 1234 by number are added.
	run -0 hull run --rm -u www --group-add nogroup --group-add 1234 busybox sh -c 'grep ^Groups /proc/self/status; id'
	[ "$(echo ${lines[0]})" = "Groups: 500 1234 65534" ]
	[ "${lines[1]}" = "uid=33(www) gid=33(www) groups=500(extra),1234,65534(nogroup)" ]
}

@test "run --privileged: every capability root has here, the host's devices, a writable /sys, no seccomp" {
	busybox_image
	bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	run -0 hull run --rm --privileged busybox sh -c 'grep -E "^(CapEff|CapBnd|Seccomp):" /proc/self/status; grep " / /sys " /proc/self/mountinfo; [ -c /dev/loop-control ] && echo loop-control; ls /dev | wc -l; touch /proc/sys/vm/overcommit_ratio && echo procsys-writable'
	[ "$(echo ${lines[0]})" = "CapEff: $bnd" ]
	[ "$(echo ${lines[1]})" = "CapBnd: $bnd" ]
	[ "$(echo ${lines[2]})" = "Seccomp: 0" ]
	[[ "${lines[3]}" == *" /sys rw,"* ]]
	[ "${lines[4]}" = loop-control ]
	[ "${lines[5]}" -gt 30 ]
	[ "${lines[6]}" = procsys-writable ]
	# Without it: the default set, seccomp's filter, /sys read-only, no host devices.
	run -0 hull run --rm busybox sh -c 'grep -E "^(Seccomp):" /proc/self/status; grep " / /sys " /proc/self/mountinfo; [ -e /dev/loop-control ] || echo no-loop-control'
	[ "$(echo ${lines[0]})" = "Seccomp: 2" ]
	[[ "${lines[1]}" == *" /sys ro,"* ]]
	[ "${lines[2]}" = no-loop-control ]
}

@test "--mount: bind (readonly), named and anonymous volumes, tmpfs with size and mode, seen in mountinfo" {
	busybox_image
	mkdir "$BATS_TEST_TMPDIR/src"
	echo from-host >"$BATS_TEST_TMPDIR/src/f"
	run -0 hull run --name m1 --mount "type=bind,source=$BATS_TEST_TMPDIR/src,target=/b" \
		--mount "type=bind,src=$BATS_TEST_TMPDIR/src,dst=/bro,readonly" \
		--mount type=volume,source=vol1,target=/v --mount type=volume,target=/anon \
		--mount type=tmpfs,target=/t,tmpfs-size=8m,tmpfs-mode=1770 \
		busybox sh -c 'cat /b/f; echo made >/b/new; touch /bro/x 2>/dev/null || echo bro-readonly; echo kept >/v/k; touch /anon/a;
			stat -c %a /t; grep -E " /(b|bro|v|anon|t) " /proc/self/mountinfo'
	remember "$(hull inspect -f '{{.Id}}' m1)"
	[ "${lines[0]}" = from-host ]
	[ "${lines[1]}" = bro-readonly ]
	[ "${lines[2]}" = 1770 ]
	mi() { printf '%s\n' "$output" | grep " $1 "; }
	[[ "$(mi /b)" == *" /b rw,"* ]]
	[[ "$(mi /bro)" == *" /bro ro,"* ]]
	[[ "$(mi /v)" == *" /v rw,"* ]]
	[[ "$(mi /anon)" == *" /anon rw,"* ]]
	[[ "$(mi /t)" == *" /t rw,nosuid,nodev,noexec,"*" - tmpfs "*"size=8192k,mode=1770"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/src/new")" = made ]
	# The named volume outlives the container; inspect lists the mounts.
	run -0 hull inspect -f '{{json .HostConfig.Mounts}}' m1
	[ "$(echo "$output" | jq -r '[.[] | "\(.Type):\(.Target):\(.ReadOnly // false)"] | join(" ")')" = \
		"bind:/b:false bind:/bro:true volume:/v:false volume:/anon:false tmpfs:/t:false" ]
	[ "$(echo "$output" | jq -c '.[4].TmpfsOptions')" = '{"SizeBytes":8388608,"Mode":1016}' ]
	run -0 hull rm -f m1
	run -1 hull run --rm --mount type=volume,source=vol1,target=/v,readonly busybox sh -c 'cat /v/k; touch /v/x'
	[ "${lines[0]}" = kept ]
	[[ "$output" == *"Read-only file system"* ]]
	run -0 hull volume rm vol1
}
