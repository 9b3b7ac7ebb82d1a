#!/usr/bin/env bats
# Root filesystem and mounts: pivot_root/--no-pivot, readonly root, propagation, the mount
# types and options, masked and readonly paths, hostname/domainname, sysctl.

load lib/common

# The last line of `payload mounts` ($output) whose mount point is exactly $1.
mnt_line() {
	awk -v mp="$1" '$5 == mp { line = $0 } END { print line }' <<<"$output"
}

# Per-mount options (field 6) of the mount at $1.
mnt_opts() {
	mnt_line "$1" | awk '{ print $6 }'
}

# Filesystem type of the mount at $1 (the field after " - ").
mnt_fstype() {
	mnt_line "$1" | awk '{ for (i = 7; $i != "-"; i++); print $(i + 1) }'
}

# Super block options of the mount at $1.
mnt_superopts() {
	mnt_line "$1" | awk '{ for (i = 7; $i != "-"; i++); print $(i + 3) }'
}

# Optional fields (shared:N master:N ...) of the mount at $1.
mnt_optional() {
	mnt_line "$1" | awk '{ s = ""; for (i = 7; $i != "-"; i++) s = s " " $i; print s }'
}

# has_opt LIST OPT: OPT is one of the comma separated LIST.
has_opt() {
	[[ ",$1," == *",$2,"* ]]
}

@test "pivot_root: / is the rootfs and no host mount is visible" {
	set_args /bin/sh -c 'cat /etc/hostname; /payload mounts'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hull-rootfs ]
	[ -n "$(mnt_line /)" ]
	# Nothing of the host's tree (this test's tmpdir, the host's /work) is a mount point inside.
	[ -z "$(grep -E "^\S+ \S+ \S+ \S+ (/tmp/bats|/work)" <<<"$output")" ]
	# The old root is gone: every mount point is /, or below /proc, /dev or /sys.
	[ -z "$(awk 'NF > 6 { print $5 }' <<<"$output" | grep -vE '^/$|^/(proc|dev|sys)(/|$)')" ]
}

@test "--no-pivot runs the container in the rootfs" {
	set_args /bin/sh -c 'cat /etc/hostname; /payload cwd; ls /'
	run rt run --no-pivot --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hull-rootfs ]
	[ "${lines[1]}" = / ]
	grep -qx payload <<<"$output"
}

@test "root.readonly: writing to / fails with EROFS" {
	update_config '.root.readonly = true'
	set_args /bin/sh -c '/payload mountopts /; /payload write /newfile x'
	run rt_run "$CID"
	[ "$status" -ne 0 ]
	has_opt "${lines[0]}" ro
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$BUNDLE/rootfs/newfile" ]
}

@test "root.readonly: mounts on top of the root stay writable" {
	update_config '.root.readonly = true'
	add_mount '{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid"]}'
	payload write /tmp/ok yes
	run rt_run "$CID"
	[ "$status" -eq 0 ]
}

@test "writable root: files written land in the bundle rootfs" {
	payload write /written-by-container yes
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$BUNDLE/rootfs/written-by-container")" = yes ]
}

@test "rootfsPropagation default (rslave): / is a slave of the host mount" {
	host_mount --make-shared "$BUNDLE/rootfs"
	payload mounts
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	echo "/: $(mnt_optional /)"
	[[ "$(mnt_optional /)" == *master:* ]]
	[[ "$(mnt_optional /)" != *shared:* ]]
}

@test "rootfsPropagation rslave: / is a slave" {
	host_mount --make-shared "$BUNDLE/rootfs"
	update_config '.linux.rootfsPropagation = "rslave"'
	payload mounts
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[[ "$(mnt_optional /)" == *master:* ]]
}

@test "rootfsPropagation private: / has no propagation" {
	host_mount --make-shared "$BUNDLE/rootfs"
	for p in private rprivate; do
		update_config '.linux.rootfsPropagation = $p' --arg p "$p"
		payload mounts
		run rt_run "$CID-$p"
		[ "$status" -eq 0 ]
		echo "$p /: '$(mnt_optional /)'"
		[ -z "$(mnt_optional /)" ]
	done
}

@test "rootfsPropagation rshared: / is shared" {
	requires_hull "runc 1.1.5 leaves / without a shared: peer group under rootfsPropagation rshared"
	update_config '.linux.rootfsPropagation = "rshared"'
	payload mounts
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[[ "$(mnt_optional /)" == *shared:* ]]
}

@test "bind mount of a host directory, read-write both ways" {
	echo from-host >"$HOSTDIR/in"
	bind_host_dir "$HOSTDIR" /mnt/bind
	set_args /bin/sh -c '/payload cat /mnt/bind/in && /payload write /mnt/bind/out from-container'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$HOSTDIR/out")" = from-container ]
}

@test "bind mount of a single file" {
	echo single >"$BATS_TEST_TMPDIR/file"
	add_mount "{\"destination\":\"/etc/single\",\"type\":\"bind\",\"source\":\"$BATS_TEST_TMPDIR/file\",\"options\":[\"bind\",\"ro\"]}"
	set_args /bin/sh -c '/payload cat /etc/single; /payload stat /etc/single'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = single ]
	[ "$(kv type)" = file ]
}

@test "ro bind: writes fail with EROFS and the options say ro" {
	bind_host_dir "$HOSTDIR" /mnt/ro ro
	set_args /bin/sh -c '/payload mountopts /mnt/ro; /payload write /mnt/ro/x y'
	run rt_run "$CID"
	[ "$status" -ne 0 ]
	has_opt "${lines[0]}" ro
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$HOSTDIR/x" ]
}

@test "bind vs rbind: submounts come along only with rbind" {
	mkdir -p "$HOSTDIR/sub"
	host_mount -t tmpfs -o size=1m tmpfs "$HOSTDIR/sub"
	echo in-submount >"$HOSTDIR/sub/marker"
	bind_host_dir "$HOSTDIR" /mnt/bind
	add_mount "{\"destination\":\"/mnt/rbind\",\"type\":\"bind\",\"source\":\"$HOSTDIR\",\"options\":[\"rbind\"]}"
	set_args /bin/sh -c 'ls /mnt/bind/sub; echo --; ls /mnt/rbind/sub'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = -- ]
	[ "${lines[1]}" = marker ]
}

@test "bind mount options nosuid, nodev, noexec are applied" {
	bind_host_dir "$HOSTDIR" /mnt/opts nosuid nodev noexec
	bind_host_dir "$HOSTDIR" /mnt/plain
	set_args /bin/sh -c '/payload mountopts /mnt/opts; /payload mountopts /mnt/plain'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	for o in nosuid nodev noexec; do
		has_opt "${lines[0]}" "$o"
		! has_opt "${lines[1]}" "$o" || false
	done
}

@test "noexec bind: executing from it fails" {
	cp "$ROOTFS/payload" "$HOSTDIR/payload-copy"
	bind_host_dir "$HOSTDIR" /mnt/noexec noexec
	set_args /mnt/noexec/payload-copy true
	run rt_run "$CID"
	[ "$status" -ne 0 ]
}

@test "bind propagation rslave: host mounts made later show up inside" {
	host_mount --bind "$HOSTDIR" "$HOSTDIR"
	mount --make-shared "$HOSTDIR"
	mkdir -p "$HOSTDIR/late"
	bind_host_dir "$HOSTDIR" /mnt/slave rslave
	bind_host_dir "$HOSTDIR" /mnt/private rprivate
	bind_host_dir "$BATS_TEST_TMPDIR" /mnt/ctl
	set_args /bin/sh -c 'until [ -e /mnt/ctl/go ]; do sleep 0.05; done; ls /mnt/slave/late; echo --; ls /mnt/private/late; /payload mounts'
	run_detached "$CID"
	host_mount -t tmpfs -o size=1m tmpfs "$HOSTDIR/late"
	touch "$HOSTDIR/late/propagated"
	touch "$BATS_TEST_TMPDIR/go"
	wait_status "$CID" stopped
	output=$(ctr_out "$CID")
	echo "$output"
	[ "$(sed -n 1p <<<"$output")" = propagated ]
	[ "$(sed -n 2p <<<"$output")" = -- ]
	[[ "$(mnt_optional /mnt/slave)" == *master:* ]]
	[ -z "$(mnt_optional /mnt/private)" ]
}

@test "tmpfs mount with size and mode" {
	add_mount '{"destination":"/mnt/tmpfs","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1m","mode=1770"]}'
	set_args /bin/sh -c '/payload stat /mnt/tmpfs; /payload mounts'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(kv mode)" = 1770 ]
	[ "$(kv type)" = dir ]
	[ "$(mnt_fstype /mnt/tmpfs)" = tmpfs ]
	has_opt "$(mnt_superopts /mnt/tmpfs)" size=1024k
	has_opt "$(mnt_opts /mnt/tmpfs)" nosuid
	has_opt "$(mnt_opts /mnt/tmpfs)" nodev
}

@test "default filesystems: proc, sysfs, devpts, mqueue, shm, cgroup" {
	payload mounts
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(mnt_fstype /proc)" = proc ]
	[ "$(mnt_fstype /sys)" = sysfs ]
	[ "$(mnt_fstype /dev)" = tmpfs ]
	[ "$(mnt_fstype /dev/pts)" = devpts ]
	[ "$(mnt_fstype /dev/shm)" = tmpfs ]
	[ "$(mnt_fstype /dev/mqueue)" = mqueue ]
	# The spec mounts sysfs read-only.
	has_opt "$(mnt_opts /sys)" ro
	# cgroup: v1 hierarchies below a tmpfs, or cgroup2.
	grep -E '^\S+ \S+ \S+ \S+ /sys/fs/cgroup(/\S+)? .* - (cgroup|cgroup2) ' <<<"$output"
	# devpts is a new instance: ptmxmode and gid=5 from the spec's options.
	has_opt "$(mnt_superopts /dev/pts)" ptmxmode=666
}

@test "the cgroup mount shows the container's own cgroup" {
	set_args /bin/sh -c 'ls /sys/fs/cgroup/pids/ 2>/dev/null || ls /sys/fs/cgroup/'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	grep -qx cgroup.procs <<<"$output"
	# Only the container's subtree: no other container or host cgroup is in there.
	! grep -qx "$CID" <<<"$output"
}

@test "mount destinations are created as needed, also for files" {
	echo f >"$BATS_TEST_TMPDIR/file"
	add_mount '{"destination":"/new/deep/dir","type":"tmpfs","source":"tmpfs"}'
	add_mount "{\"destination\":\"/other/new/file\",\"type\":\"bind\",\"source\":\"$BATS_TEST_TMPDIR/file\",\"options\":[\"bind\"]}"
	set_args /bin/sh -c '/payload stat /new/deep/dir; /payload stat /other/new/file; /payload cat /other/new/file'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$(sed -n 's/^type=//p' <<<"$output" | head -1)" = dir ]
	[ "$(sed -n 's/^type=//p' <<<"$output" | tail -1)" = file ]
	[ "${lines[-1]}" = f ]
}

@test "a mount destination through a symlink stays inside the rootfs" {
	# /escape -> the host dir (absolute): resolved in the rootfs, not on the host.
	mkdir -p "$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" "$BUNDLE/rootfs/escape"
	add_mount '{"destination":"/escape/mnt","type":"tmpfs","source":"tmpfs"}'
	set_args /bin/sh -c '/payload write /escape/mnt/f x; true'
	run rt_run "$CID"
	echo "$output"
	# Whatever the runtime did, it did it inside the rootfs.
	[ ! -e "$BATS_TEST_TMPDIR/outside/mnt" ]
	[ -z "$(_test_mounts | grep outside)" ]
}

@test "a bind mount whose source does not exist fails and names it" {
	add_mount '{"destination":"/mnt/x","type":"bind","source":"/nonexistent-hull-src","options":["bind"]}'
	run rt_run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *nonexistent-hull-src* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "maskedPaths: files read empty, directories are empty read-only tmpfs" {
	update_config '.linux.maskedPaths += ["/home"]'
	masked_files=()
	for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
		[ -e "$f" ] && masked_files+=("$f")
	done
	[ "${#masked_files[@]}" -gt 0 ]
	script=''
	for f in "${masked_files[@]}"; do
		script+="echo \"== $f\"; /payload cat $f; /payload stat $f | grep rdev; "
	done
	script+='echo "== /home"; ls -A /home; /payload mountopts /home; /payload write /home/x y'
	set_args /bin/sh -c "$script"
	run rt_run "$CID"
	echo "$output"
	for f in "${masked_files[@]}"; do
		# The header, then directly "rdev=1:3" (/dev/null): nothing was read.
		block=$(sed -n "/^== ${f//\//\\/}\$/,/^==/p" <<<"$output")
		echo "$block"
		[ "$(sed -n 2p <<<"$block")" = rdev=1:3 ]
	done
	home=$(sed -n '/^== \/home$/,$p' <<<"$output")
	echo "$home"
	[ "$(sed -n 2p <<<"$home")" != u1000 ]
	has_opt "$(sed -n 2p <<<"$home")" ro
	[[ "$home" == *"Read-only file system"* ]]
}

@test "readonlyPaths: /proc/sys and a configured path are read-only" {
	update_config '.linux.readonlyPaths += ["/var"]'
	set_args /bin/sh -c '/payload write /proc/sys/kernel/hostname x; /payload write /var/x y; /payload mountopts /var'
	run rt_run "$CID"
	[ "$(grep -c 'Read-only file system' <<<"$output")" -eq 2 ]
	has_opt "${lines[-1]}" ro
	[ ! -e "$BUNDLE/rootfs/var/x" ]
}

@test "without the new mount API (older kernels): the same mounts, masked and read-only paths" {
	# hull makes masked and read-only paths, the cgroup tree and its private procfs with
	# open_tree/move_mount/mount_setattr/fsmount where the kernel has them, with mount(2)
	# where not: both ways must give the container the same mount table.
	nosys=$REPO_ROOT/build/nosys
	[ -x "$nosys" ] || fail "$nosys is missing (make build makes it)"
	update_config '.linux.maskedPaths += ["/home"] | .linux.readonlyPaths += ["/var"]'
	set_args /bin/sh -c 'cat /proc/self/mountinfo; /payload write /proc/sys/kernel/hostname x; /payload write /var/x y; /payload write /home/x y; true'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	with=$output
	run "$nosys" open_tree,move_mount,mount_setattr,fsopen,fsconfig,fsmount \
		"$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$CID-old" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	without=$output
	# Mount ids, parents and device numbers differ between any two containers, and the
	# cgroup path has the id.
	norm() { sed -E -e 's/^[0-9]+ [0-9]+ [0-9]+:[0-9]+ //' -e "s|/$CID-old |/$CID |" <<<"$1"; }
	diff <(norm "$with") <(norm "$without")
	[ "$(grep -c 'Read-only file system' <<<"$without")" -eq 3 ]
	grep -q ' /proc/sys ro,' <<<"$without"
	grep -q ' /home ro,.* - tmpfs ' <<<"$without"
}

@test "hostname from config.json" {
	update_config '.hostname = "hull-host"'
	payload hostname
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = hull-host ]
}

@test "domainname from config.json" {
	requires_hull "runc 1.1.5 ignores .domainname (the container shows (none))"
	update_config '.domainname = "hull.example"'
	payload domainname
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = hull.example ]
}

@test "sysctl: net.ipv4.ip_forward in the netns and kernel.msgmax in the ipc ns" {
	host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
	host_msgmax=$(cat /proc/sys/kernel/msgmax)
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}'
	set_args /bin/sh -c '/payload cat /proc/sys/net/ipv4/ip_forward; /payload cat /proc/sys/kernel/msgmax'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 4096 ]
	# The host keeps its values.
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
	[ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "sysctl outside the container's namespaces is rejected" {
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	run rt_run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *vm.swappiness* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}

@test "a net sysctl without a network namespace is rejected" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	drop_namespace network
	run rt_run "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *net.ipv4.ip_forward* ]]
	[ ! -e "$STATE_ROOT/$CID" ]
}
