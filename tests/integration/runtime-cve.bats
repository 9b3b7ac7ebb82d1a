#!/usr/bin/env bats
# Regression suite of known container escapes (issue 4, "Regression suite"): one test per
# entry, each attempting the attack against a real bundle (a hostile rootfs and/or a
# hostile process in the container) and checking from the host that it did not work:
# host-side canary files unchanged, no mount landed outside the container's root, and a
# clear error where the runtime must refuse.
#
# CVE-2024-21626 (process.cwd /proc/self/fd/N for N in 3..64, and the fds of a started
# container) is tested in runtime-process.bats ("cwd /proc/self/fd/N never escapes the
# root (CVE-2024-21626)", "created container: the process gets only stdio fds"); this file
# adds `exec --cwd /proc/self/fd/N` and the fds of the init of a created container.
#
# Nothing here may touch the host: the runtime binary attacked in CVE-2019-5736 is a copy
# in the test's tmpdir, and every "escape" target is a canary file made by the test.

load lib/common

# ---------------------------------------------------------------------------
# helpers

# make_canary FILE: a file with unique content; canary_intact FILE checks it is unchanged.
make_canary() {
	printf 'canary %s %s\n' "$BATS_TEST_NAME" "$RANDOM$RANDOM" >"$1"
	cp "$1" "$1.orig"
}
canary_intact() {
	if ! cmp -s "$1" "$1.orig"; then
		echo "canary $1 was changed: $(head -c 200 "$1")" >&2
		return 1
	fi
}

# The host's mount points that a misplaced mount of this test could create: "/" and
# everything below the test's tmpdir (other tests may mount elsewhere meanwhile). Bash
# only, as it runs once per round of the 1000-round race.
host_mountpoints() {
	local _a _b _c _d mp
	while read -r _a _b _c _d mp _; do
		if [[ "$mp" == / || "$mp" == "$BATS_TEST_TMPDIR"/* ]]; then echo "$mp"; fi
	done </proc/self/mountinfo
}

# copy_libs BINARY: the shared libraries and the loader BINARY needs, copied into the
# bundle's rootfs at the same paths (what an image with a libc provides anyway).
copy_libs() {
	local f
	for f in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$f")"
		cp -L "$f" "$BUNDLE/rootfs$f"
	done
}

# no_default_dev: config.json without the /dev tmpfs, so the rootfs's own /dev is used.
no_default_dev() {
	update_config '.mounts |= map(select(.destination != "/dev"))'
}

# proc_overmounted PID: something is mounted over PID's /proc.
proc_overmounted() {
	[ "$(awk '$5 == "/proc"' "/proc/$1/mountinfo" | wc -l)" -ge 2 ]
}

# rt_exec ARGS...: exec with stdin from /dev/null.
rt_exec() {
	rt exec "$@" </dev/null
}

# Fails unless $output (a runtime's error) names $1.
error_names() {
	if [[ "$output" != *"$1"* ]]; then
		echo "the runtime's error does not name $1: $output" >&2
		return 1
	fi
}

# ---------------------------------------------------------------------------

# CVE-2016-9962: runc's init joined the container with host fds open while it was
# dumpable, so a container process could ptrace it or open /proc/PID/fd/N and reach the
# host. An attacker in the container watches /proc for the runtime's process during a
# series of `exec`s: without CAP_SYS_PTRACE it must never open its /proc/PID/exe (the
# process is non-dumpable), and even with CAP_SYS_PTRACE it must not reach a host file
# through /proc/PID/root, /proc/PID/cwd or any path fd (above stdio) it holds. The only
# path fds allowed are the container's own: its root, a procfs of its pid namespace (the
# private procfs the runtime switches to, see procfs.h) or a file of the container's
# /proc (libcap reads /proc/sys/kernel/cap_last_cap), or one closed before the spy could
# open it; the spy classifies each fd and tries to reach the host canary through it. A
# control shows that the spy does catch a process of the container's pid namespace that
# holds host access.
@test "CVE-2016-9962: the process joining with exec is non-dumpable and holds no host access" {
	make_canary "$HOSTDIR/canary"
	payload sleep forever
	run_detached "$CID"
	local name phase out spy n init
	init=$(container_pid "$CID")
	# The control: a decoy entered into the container's pid namespace from the host,
	# holding the host's root, a host directory and the host's /proc. It has its name
	# before the spy starts (the spy looks at each pid once); it dies with the container.
	make_canary "$HOSTDIR/decoy-canary"
	DECOY=hull-decoy-spy nsenter --target "$init" --pid -- bash -c 'exec 7<"$1" 8</proc; exec -a "$DECOY" sleep 30' _ "$HOSTDIR" &
	BG_PIDS+=($!)
	wait_until 10 pgrep -f '^hull-decoy-spy 30$' >/dev/null
	_rt_to_file "$BATS_TEST_TMPDIR/decoy.out" exec -d --pid-file "$BATS_TEST_TMPDIR/spy.pid" --cap CAP_SYS_PTRACE \
		"$CID" /payload proc-spy hull-decoy-spy 2 "$HOSTDIR/decoy-canary"
	spy=$(cat "$BATS_TEST_TMPDIR/spy.pid")
	wait_until 10 test ! -e "/proc/$spy"
	output=$(cat "$BATS_TEST_TMPDIR/decoy.out")
	echo "control: $output"
	[ "$(kv caught)" -gt 0 ]
	[ "$(kv escaped)" -gt 0 ]
	grep -q "^fd=7 $HOSTDIR kind=host-dir" <<<"$output"
	grep -q '^fd=8 /proc kind=host-proc' <<<"$output"
	grep -qx escaped "$HOSTDIR/decoy-canary"

	name=$(basename "$RUNTIME")
	for phase in noptrace ptrace; do
		out="$BATS_TEST_TMPDIR/spy-$phase.out"
		local caps=()
		[ "$phase" = noptrace ] || caps=(--cap CAP_SYS_PTRACE)
		_rt_to_file "$out" exec -d --pid-file "$BATS_TEST_TMPDIR/spy.pid" "${caps[@]}" "$CID" \
			/payload proc-spy "$name" 6 "$HOSTDIR/canary"
		spy=$(cat "$BATS_TEST_TMPDIR/spy.pid")
		n=0
		while kill -0 "$spy" 2>/dev/null; do
			rt_exec "$CID" /payload true >/dev/null 2>&1 || true
			n=$((n + 1))
		done
		output=$(cat "$out")
		echo "phase $phase ($n execs):"
		echo "$output"
		# The attack really ran: the runtime's process was seen in the container.
		[ "$(kv seen)" -gt 0 ]
		[ "$(kv escaped)" = 0 ]
		if [ "$phase" = noptrace ]; then
			[ "$(kv caught)" = 0 ]
			[ "$(kv protected)" -gt 0 ]
		else
			# The spy did look into the runtime's process (its fds were checked).
			[ "$(kv caught)" -gt 0 ]
		fi
		# No fd above stdio of the runtime's process leads outside the container.
		[ -z "$(grep '^fd=' <<<"$output" | grep -vE ' kind=(container-(root|proc|proc-file)|gone) ')" ]
		canary_intact "$HOSTDIR/canary"
	done
}

# CVE-2019-5736: the container's /bin/sh is /proc/self/exe (a symlink, or a script whose
# interpreter it is), so `exec /bin/sh` runs the runtime's own binary inside the
# container; an attacker keeps /proc/PID/exe open and writes to it once the process is
# gone. The runtime under attack is a copy in the test's tmpdir; its loader blocks on the
# rootfs's /etc/ld.so.preload, a FIFO, until the attacker holds its exe. The copy must
# stay byte-identical, and what the attacker holds must be hull's sealed copy of it (a
# memfd: /memfd:..., no link, F_SEAL_WRITE). The control runs the same attack against a
# tool that enters the container without such protection, a copy of nsenter: there the
# attacker must write the binary.
@test "CVE-2019-5736: /proc/self/exe of the runtime cannot be overwritten from the container" {
	local copy sum variant id bad="" nsenter nsum
	copy="$BATS_TEST_TMPDIR/rt-copy/$(basename "$RUNTIME")"
	mkdir -p "$(dirname "$copy")"
	cp "$RUNTIME" "$copy"
	sum=$(sha256sum <"$copy")
	copy_libs "$copy"
	payload exe-attack /etc/ld.so.preload 20

	# The control: nsenter (a copy) execs /bin/sh -> /proc/self/exe in the container's
	# mount and pid namespaces, which runs nsenter's own unsealed binary there. It keeps
	# the host's full capability set (runc's exec had dropped to the container's), so the
	# attacker needs CAP_SYS_PTRACE to open its /proc/PID/exe.
	nsenter="$BATS_TEST_TMPDIR/nsenter-copy/nsenter"
	mkdir -p "$(dirname "$nsenter")"
	cp "$(command -v nsenter)" "$nsenter"
	nsum=$(sha256sum <"$nsenter")
	copy_libs "$nsenter"
	rm -f "$BUNDLE/rootfs/bin/sh" "$BUNDLE/rootfs/etc/ld.so.preload"
	ln -s /proc/self/exe "$BUNDLE/rootfs/bin/sh"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.json.orig"
	update_config '.process.capabilities.bounding += ["CAP_SYS_PTRACE"] | .process.capabilities.effective += ["CAP_SYS_PTRACE"]
		| .process.capabilities.permitted += ["CAP_SYS_PTRACE"]'
	run_detached "$CID-control"
	cp "$BATS_TEST_TMPDIR/config.json.orig" "$BUNDLE/config.json"
	wait_until 5 test -p "$BUNDLE/rootfs/etc/ld.so.preload"
	timeout 30 "$nsenter" --target "$(container_pid "$CID-control")" --mount --pid /bin/sh -c true \
		</dev/null >/dev/null 2>&1 || true
	wait_status "$CID-control" stopped 25
	output=$(ctr_out "$CID-control")
	echo "control (nsenter): $output"
	[ "$(kv found)" = 1 ]
	[ "$(kv write)" = ok ]
	[ "$(sha256sum <"$nsenter")" != "$nsum" ]
	rt delete "$CID-control"

	for variant in symlink script; do
		id="$CID-$variant"
		rm -f "$BUNDLE/rootfs/bin/sh" "$BUNDLE/rootfs/etc/ld.so.preload"
		if [ "$variant" = symlink ]; then
			ln -s /proc/self/exe "$BUNDLE/rootfs/bin/sh"
		else
			printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/sh"
			chmod 0755 "$BUNDLE/rootfs/bin/sh"
		fi
		RUNTIME="$copy" run_detached "$id"
		wait_until 5 test -p "$BUNDLE/rootfs/etc/ld.so.preload"
		# The runtime's binary runs as /bin/sh, and waits in its loader for the attacker.
		RUNTIME="$copy" RT_TIMEOUT=30 rt exec "$id" /bin/sh -c true </dev/null >/dev/null 2>&1 || true
		wait_status "$id" stopped 25
		output=$(ctr_out "$id")
		echo "$variant: $output"
		# The attacker did get hold of the runtime's binary (else the test proves nothing).
		[ "$(kv found)" = 1 ] || bad+="$variant: the attacker never saw the runtime's binary"$'\n'
		# What it holds is the sealed copy, not the file the copy was made from.
		[[ "$(kv exe)" == /memfd:* ]] || bad+="$variant: the attacker holds $(kv exe), not a memfd"$'\n'
		[ "$(kv nlink)" = 0 ] || bad+="$variant: the binary held has $(kv nlink) links"$'\n'
		[[ "$(kv seals)" == 0x* ]] && (($(kv seals) & 8)) || bad+="$variant: seals $(kv seals) lack F_SEAL_WRITE"$'\n'
		[[ "$(kv write)" == errno=* ]] || bad+="$variant: the attacker wrote to the binary"$'\n'
		if [ "$(sha256sum <"$copy")" != "$sum" ]; then
			bad+="$variant: the runtime binary was changed"$'\n'
			cp "$RUNTIME" "$copy"
		fi
		rt delete "$id"
	done
	echo -n "$bad"
	[ -z "$bad" ]
}

# CVE-2019-5736 through `run`: the container's own process is /bin/sh -> /proc/self/exe.
# `run` of a container with a new pid namespace does not re-execute the runtime from a
# sealed copy; its init executes the process through hull-exec, from a sealed memfd
# (selfexe.h). So the image the kernel finds behind /proc/self/exe is hull-exec: given
# "2 /payload payload echo ..." it runs the payload (the runtime's binary would refuse
# "2" as a command and print its usage), and given anything else it exits 126 at once.
@test "CVE-2019-5736: a container whose process is /proc/self/exe runs hull-exec, not the runtime" {
	rm -f "$BUNDLE/rootfs/bin/sh"
	ln -s /proc/self/exe "$BUNDLE/rootfs/bin/sh"
	set_args /bin/sh 2 /payload payload echo through-hull-exec
	run rt_run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = through-hull-exec ]

	set_args /bin/sh
	run rt_run "$CID-bare"
	echo "$output"
	[ "$status" -eq 126 ]
	[ -z "$output" ]

	# A script whose interpreter is /proc/self/exe: hull-exec sees "/bin/sh" where it
	# wants its fd number, and exits.
	rm -f "$BUNDLE/rootfs/bin/sh"
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/bin/sh"
	chmod 0755 "$BUNDLE/rootfs/bin/sh"
	set_args /bin/sh 2 /payload payload echo no
	run rt_run "$CID-script"
	echo "$output"
	[ "$status" -eq 126 ]
	[ -z "$output" ]
}

# Where hull-exec cannot work (a seccomp profile that refuses execveat), or where the
# init is not alone in a new pid namespace, `run` executes from a sealed copy of the
# runtime instead: the process still runs, and the debug log says which way was taken.
@test "CVE-2019-5736: run takes the sealed copy of the runtime where hull-exec cannot do" {
	payload echo ok
	run "$RUNTIME" --root "$STATE_ROOT" --debug --log "$BATS_TEST_TMPDIR/fast.log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	grep -q 'through hull-exec' "$BATS_TEST_TMPDIR/fast.log"

	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["execveat"], "action": "SCMP_ACT_ERRNO"}]}'
	run "$RUNTIME" --root "$STATE_ROOT" --debug --log "$BATS_TEST_TMPDIR/seccomp.log" run --bundle "$BUNDLE" "$CID-seccomp" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	grep -q 'runs from a sealed copy' "$BATS_TEST_TMPDIR/seccomp.log"
	[ -z "$(grep 'through hull-exec' "$BATS_TEST_TMPDIR/seccomp.log")" ]

	update_config 'del(.linux.seccomp) | .linux.namespaces |= map(select(.type != "pid"))'
	run "$RUNTIME" --root "$STATE_ROOT" --debug --log "$BATS_TEST_TMPDIR/hostpid.log" run --bundle "$BUNDLE" "$CID-hostpid" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	grep -q 'runs from a sealed copy' "$BATS_TEST_TMPDIR/hostpid.log"
}

# CVE-2019-16884: a fake /proc (planted files where the runtime writes) must never
# receive the runtime's writes. The targets are files hull does write through procfs:
# oom_score_adj (process.oomScoreAdj), two sysctls (linux.sysctl) and timens_offsets
# (linux.timeOffsets; hull writes no LSM attributes, so attr/* could never change). The
# rootfs's /proc is a directory full of planted files: real procfs is mounted over it,
# and the process shows that every value reached the real procfs. A volume mounted on
# /proc after procfs (how the original attack got its fake /proc) is refused.
@test "CVE-2019-16884: writes meant for procfs never land in a fake /proc" {
	local f targets="self/oom_score_adj self/timens_offsets sys/kernel/shmmax sys/kernel/msgmax"
	mkdir -p "$BUNDLE/rootfs/proc/self" "$BUNDLE/rootfs/proc/sys/kernel" "$HOSTDIR/fakeproc/self" \
		"$HOSTDIR/fakeproc/sys/kernel"
	for f in $targets; do
		make_canary "$BUNDLE/rootfs/proc/$f"
		make_canary "$HOSTDIR/fakeproc/$f"
	done
	add_namespace time
	update_config '.process.oomScoreAdj = 123 | .linux.sysctl = {"kernel.shmmax": "4096000", "kernel.msgmax": "4096"}
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}}'
	set_args /bin/sh -c 'for f in self/oom_score_adj sys/kernel/shmmax sys/kernel/msgmax self/timens_offsets; do
		/payload cat /proc/$f; done'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 123 ]
	[ "${lines[1]}" = 4096000 ]
	[ "${lines[2]}" = 4096 ]
	[[ "${lines[3]}" == "monotonic"*"86400 "* ]]
	for f in $targets; do
		canary_intact "$BUNDLE/rootfs/proc/$f"
	done

	bind_host_dir "$HOSTDIR/fakeproc" /proc
	run rt_run "$CID-vol"
	echo "$output"
	# Running is allowed only if the writes went to the real procfs (checked below).
	[ "$status" -eq 0 ] || error_names /proc
	for f in $targets; do
		canary_intact "$HOSTDIR/fakeproc/$f"
	done
	[ ! -e "$STATE_ROOT/$CID-vol" ]
}

# CVE-2019-19921 / CVE-2023-27561: a rootfs whose /proc (or /sys) is a symlink, so that
# procfs would be mounted wherever the link points (the rootfs's root, or a host-looking
# path). The runtime must refuse with an error naming the path, and mount nothing.
@test "CVE-2019-19921/CVE-2023-27561: a rootfs /proc or /sys that is a symlink is refused" {
	local before target dir n=0
	mkdir -p "$HOSTDIR/procdir" "$BUNDLE/rootfs$HOSTDIR/procdir" "$BUNDLE/rootfs/fakeproc"
	before=$(host_mountpoints)
	for dir in proc sys; do
		for target in .. / /fakeproc "$HOSTDIR/procdir" "../../../../../../../..$HOSTDIR/procdir"; do
			n=$((n + 1))
			rm -rf "${BUNDLE:?}/rootfs/$dir"
			ln -s "$target" "$BUNDLE/rootfs/$dir"
			payload true
			run rt_run "$CID-$n"
			echo "/$dir -> $target: status $status: $output"
			[ "$status" -ne 0 ]
			error_names "/$dir"
			[ ! -e "$STATE_ROOT/$CID-$n" ]
			[ -z "$(find "$HOSTDIR/procdir" "$BUNDLE/rootfs$HOSTDIR/procdir" "$BUNDLE/rootfs/fakeproc" -mindepth 1)" ]
			[ "$(host_mountpoints)" = "$before" ]
		done
		rm -f "$BUNDLE/rootfs/$dir"
		mkdir "$BUNDLE/rootfs/$dir"
	done
}

# CVE-2021-30465: two containers share a volume. The racer in container A keeps swapping
# (renameat2 RENAME_EXCHANGE) the directory that container B's config uses as a bind
# mount target with symlinks to "/" and to a host directory. B is created and deleted
# 1000 times; in no round may B's mount land on its root or on the host directory (seen
# through a later rbind of that directory), nor may the host gain a mount. The race is
# shown to be on: the host sees the raced path as a symlink in some rounds, and some
# creates are refused (the runtime caught the swap).
@test "CVE-2021-30465: a mount target swapped with a symlink never takes the mount outside (1000 rounds)" {
	local vol="$HOSTDIR/vol" before i pid racer ok=0 refused=0 swapped=0 deadline bad=""
	mkdir -p "$vol/dir" "$HOSTDIR/src" "$HOSTDIR/probe"
	touch "$HOSTDIR/src/MOUNTED"
	ln -s / "$vol/link1"
	ln -s "$HOSTDIR/probe" "$vol/link2"
	# Container A: the racer, on the same rootfs (it only writes to the volume).
	mkdir -p "$BATS_TEST_TMPDIR/racer"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/racer/config.json"
	CONFIG="$BATS_TEST_TMPDIR/racer/config.json" update_config \
		'.root.path = $r | .process.args = ["/payload", "exchange-race", "/vol/dir", "/vol/link1", "/vol/link2"]' \
		--arg r "$BUNDLE/rootfs"
	CONFIG="$BATS_TEST_TMPDIR/racer/config.json" bind_host_dir "$vol" /vol
	_rt_to_file "$BATS_TEST_TMPDIR/racer.out" run -d --bundle "$BATS_TEST_TMPDIR/racer" "$CID-racer"
	wait_status "$CID-racer" running
	# Container B: the volume, a bind mount on the raced path, then the host directory
	# the symlink points to (where a misplaced mount would show up).
	bind_host_dir "$vol" /vol
	bind_host_dir "$HOSTDIR/src" /vol/dir
	update_config '.mounts += [{"type": "bind", "source": $p, "destination": "/probe", "options": ["rbind"]}]' \
		--arg p "$HOSTDIR/probe"
	racer=$(container_pid "$CID-racer")
	before=$(host_mountpoints)
	deadline=$((SECONDS + 600))
	for i in $(seq 1 1000); do
		[ -L "$vol/dir" ] && swapped=$((swapped + 1))
		if rt create --pid-file "$BATS_TEST_TMPDIR/b.pid" --bundle "$BUNDLE" "$CID" </dev/null \
			>"$BATS_TEST_TMPDIR/b.out" 2>&1; then
			ok=$((ok + 1))
			pid=$(<"$BATS_TEST_TMPDIR/b.pid")
			[ -e "/proc/$pid/root/MOUNTED" ] && bad+="round $i: the mount landed on the container's root"$'\n'
			[ -e "/proc/$pid/root/probe/MOUNTED" ] && bad+="round $i: the mount landed on the host directory"$'\n'
			[ -e "$HOSTDIR/probe/MOUNTED" ] && bad+="round $i: the mount reached the host"$'\n'
			rt delete --force "$CID" >/dev/null 2>&1
		else
			refused=$((refused + 1))
			# A refusal must be clear: it names the mount destination.
			grep -q '/vol/dir' "$BATS_TEST_TMPDIR/b.out" ||
				bad+="round $i: unclear error: $(head -c 300 "$BATS_TEST_TMPDIR/b.out")"$'\n'
		fi
		[ "$(host_mountpoints)" = "$before" ] || bad+="round $i: the host's mounts changed"$'\n'
		[ -z "$bad" ] || break
		[ "$SECONDS" -lt "$deadline" ] || {
			bad+="timeout after $i rounds"$'\n'
			break
		}
		kill -0 "$racer" || {
			bad+="the racer died: $(cat "$BATS_TEST_TMPDIR/racer.out")"$'\n'
			break
		}
	done
	echo "rounds: created $ok, refused $refused; the raced path was a symlink in $swapped"
	echo -n "$bad"
	[ -z "$bad" ]
	[ $((ok + refused)) -eq 1000 ]
	[ "$swapped" -gt 0 ]
	[ "$refused" -gt 0 ]
}

# CVE-2022-29162: runc gave exec'd processes (and containers) inheritable capabilities,
# so a program with inheritable file capabilities gained them across execve even as a
# non-root user. With an empty inheritable set in config.json, the init, a plain exec and
# an exec --cap all have CapInh 0, and a file with +ei file capabilities gains nothing.
@test "CVE-2022-29162: no inheritable capabilities; file capabilities cannot be gained through them" {
	command -v setcap >/dev/null || skip "setcap (libcap2-bin) is not installed"
	cp "$BUNDLE/rootfs/payload" "$BUNDLE/rootfs/payload-fcap"
	setcap cap_net_admin,cap_sys_admin+ei "$BUNDLE/rootfs/payload-fcap" || skip "the rootfs cannot hold file capabilities"
	getcap "$BUNDLE/rootfs/payload-fcap" | grep -q cap_net_admin
	update_config '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c, "inheritable": [],
		"ambient": []}' --argjson c '["CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP"]'
	payload sleep forever
	run_detached "$CID"
	local init
	init=$(container_pid "$CID")
	grep -q '^CapInh:[[:space:]]*0000000000000000$' "/proc/$init/status"
	run rt_exec "$CID" /payload caps
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv inh)" = 0000000000000000 ]
	run rt_exec --cap CAP_NET_RAW "$CID" /payload caps
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv inh)" = 0000000000000000 ]
	# A non-root user running the file-capability binary gets no capability at all.
	run rt_exec -u 1000:1000 "$CID" /payload-fcap caps
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv prm)" = 0000000000000000 ]
	[ "$(kv eff)" = 0000000000000000 ]
	run rt_exec -u 1000:1000 --cap CAP_NET_RAW "$CID" /payload-fcap caps
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(kv prm)" = 0000000000000000 ]
}

# CVE-2024-21626 (process.cwd is in runtime-process.bats): `exec --cwd /proc/self/fd/N`
# must never give the process a cwd outside the container through a leaked runtime fd,
# and the init of a *created* container (still runtime code, waiting for start) holds no
# fd to a host directory or file beyond its stdio.
@test "CVE-2024-21626: exec --cwd /proc/self/fd/N and the fds of a created container's init" {
	payload sleep forever
	rt_create "$CID"
	local init fd target
	init=$(container_pid "$CID")
	for fd in /proc/"$init"/fd/*; do
		target=$(readlink "$fd") || continue
		echo "init fd ${fd##*/} -> $target"
		[ "${fd##*/}" -le 2 ] && continue
		case "$target" in
		socket:* | pipe:* | anon_inode:* | /dev/null | "$STATE_ROOT/$CID/exec.fifo") [ ! -d "$fd" ] ;;
		/1/fd)
			# hull: the init's own fd directory in a private procfs of the container's
			# pid namespace (it reopens exec.fifo through it). Acceptable only if that
			# procfs shows nothing but the container's own processes.
			[ "$(stat -L -f -c %T "$fd")" = proc ]
			[ "$(ls "$fd/../.." | grep -E '^[0-9]+$' | tr '\n' ' ')" = "1 " ]
			;;
		*)
			echo "the created container's init holds fd ${fd##*/} -> $target" >&2
			return 1
			;;
		esac
	done
	rt start "$CID"
	wait_status "$CID" running
	for n in $(seq 3 64); do
		run rt_exec --cwd "/proc/self/fd/$n" "$CID" /payload cwd
		if [ "$status" -eq 0 ]; then
			[[ "$output" == /* ]]
			[[ "$output" != *unreachable* ]]
		fi
	done
}

# CVE-2025-31133: maskedPaths bind /dev/null over files; if the container's /dev/null is
# a symlink to another file (here: a host canary the container can see; in the real
# attack /proc/sys/kernel/core_pattern), the masked path becomes a writable bind of that
# file. The container's /dev comes from a shared volume. The runtime must bind only a
# real char device 1:3 or refuse clearly; the canary must stay unchanged.
@test "CVE-2025-31133: masking never binds what a /dev/null symlink points to" {
	make_canary "$HOSTDIR/canary"
	mkdir -p "$HOSTDIR/devvol"
	ln -s /canary "$HOSTDIR/devvol/null"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	bind_host_dir "$HOSTDIR/devvol" /dev
	update_config '.mounts += [{"type": "bind", "source": $c, "destination": "/canary", "options": ["bind"]}]' \
		--arg c "$HOSTDIR/canary"
	update_config '.linux.maskedPaths = ["/proc/kcore", "/proc/timer_list", "/proc/keys"]'
	set_args /bin/sh -c '/payload stat /proc/timer_list; for f in /proc/kcore /proc/timer_list /proc/keys; do echo pwned >"$f"; done; true'
	run rt_run "$CID"
	echo "$output"
	canary_intact "$HOSTDIR/canary"
	if [ "$status" -eq 0 ]; then
		[ "$(kv type)" = chr ]
		[ "$(kv rdev)" = 1:3 ]
	else
		error_names /dev/null
	fi
	# Without /dev/null at all, masking fails clearly or masks with a real device: it must
	# not silently skip (the process would see /proc/timer_list, a regular file).
	rm "$HOSTDIR/devvol/null"
	payload stat /proc/timer_list
	run rt_run "$CID-b"
	echo "$output"
	if [ "$status" -eq 0 ]; then
		[ "$(kv type)" = chr ]
		[ "$(kv rdev)" = 1:3 ]
	else
		error_names /dev/null
	fi
	canary_intact "$HOSTDIR/canary"
}

# CVE-2025-52565: with process.terminal the pty is bound on /dev/console. A rootfs whose
# /dev/console is a symlink (to a file the container can write, to a host path, or
# escaping with ..) must not get the pty bound on the link's target: /dev/console is a
# pts device, the targets are unchanged and not mount points.
@test "CVE-2025-52565: the console is never bound through a /dev/console symlink" {
	local target n=0 sock="$BATS_TEST_TMPDIR/console.sock" init
	make_canary "$HOSTDIR/canary"
	make_canary "$BUNDLE/rootfs/etc/canary"
	no_default_dev
	update_config '.process.terminal = true'
	set_args /bin/sh -c '/payload stat /dev/console; echo pwned >/dev/console; /payload mounts; sleep 1000'
	for target in /etc/canary "$HOSTDIR/canary" "../../../../../../../..$HOSTDIR/canary"; do
		n=$((n + 1))
		rm -f "$BUNDLE/rootfs/dev/console"
		ln -s "$target" "$BUNDLE/rootfs/dev/console"
		start_recvtty "$sock" "$BATS_TEST_TMPDIR/tty-$n.out"
		run rt_create --console-socket "$sock" "$CID-$n"
		echo "/dev/console -> $target: $output"
		if [ "$status" -ne 0 ]; then
			error_names /dev/console
			continue
		fi
		init=$(container_pid "$CID-$n")
		# Nothing is mounted on the link's target inside the container.
		[ -z "$(awk '{ print $5 }' "/proc/$init/mountinfo" | grep -x -e /etc/canary -e "$HOSTDIR/canary")" ]
		rt start "$CID-$n"
		wait_until 10 grep -q 'rdev=' "$BATS_TEST_TMPDIR/tty-$n.out"
		output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty-$n.out")
		[ "$(kv type)" = chr ]
		[ "$(kv rdev | cut -d: -f1)" = 136 ]
		rt delete --force "$CID-$n"
		canary_intact "$HOSTDIR/canary"
		canary_intact "$BUNDLE/rootfs/etc/canary"
	done
}

# CVE-2025-52881: the runtime's writes to procfs (oom_score_adj, sysctl; runc's were LSM
# attributes too, which hull never writes) redirected by a fake mounted over /proc or over
# a /proc/sys file. A container process with CAP_SYS_ADMIN mounts a fake /proc (from a
# volume) and waits for `exec`, whose one procfs write is oom_score_adj; a config mounts a
# file over /proc/sys/kernel/shmmax before the sysctl is written. The runtime must write
# only through a verified procfs (or refuse clearly); the canaries stay unchanged.
@test "CVE-2025-52881: procfs writes cannot be redirected by a fake /proc" {
	mkdir -p "$HOSTDIR/fake/self" "$HOSTDIR/fake/sys/kernel"
	local f pid
	for f in self/oom_score_adj sys/kernel/shmmax; do
		make_canary "$HOSTDIR/fake/$f"
	done
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | .process.oomScoreAdj = 321'
	bind_host_dir "$HOSTDIR/fake" /fake
	set_args /bin/sh -c 'mount --bind /fake /proc && exec /payload sleep forever'
	run_detached "$CID"
	wait_until 5 proc_overmounted "$(container_pid "$CID")"
	run rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$CID" /payload sleep 30 </dev/null
	echo "exec: $status $output"
	canary_intact "$HOSTDIR/fake/self/oom_score_adj"
	if [ "$status" -eq 0 ]; then
		pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
		[ "$(cat "/proc/$pid/oom_score_adj")" = 321 ]
	else
		error_names /proc
	fi
	rt delete --force "$CID"

	# A sysctl whose /proc/sys file has something else mounted over it.
	make_canary "$HOSTDIR/shmmax"
	update_config '.process.capabilities.bounding -= ["CAP_SYS_ADMIN"] | .process.capabilities.effective -= ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted -= ["CAP_SYS_ADMIN"] | .linux.sysctl = {"kernel.shmmax": "4096000"}
		| .mounts |= map(select(.destination != "/fake"))'
	update_config '.mounts += [{"type": "bind", "source": $c, "destination": "/proc/sys/kernel/shmmax", "options": ["bind"]}]' \
		--arg c "$HOSTDIR/shmmax"
	payload cat /proc/sys/kernel/shmmax
	run rt_run "$CID-b"
	echo "$output"
	canary_intact "$HOSTDIR/shmmax"
	if [ "$status" -ne 0 ]; then
		error_names /proc/sys/kernel/shmmax
	fi
}

# CVE-2026-41579 (runc GHSA-xjvp-4fhw-gc47) and its kind: a rootfs whose /dev is a
# symlink to a directory outside it (absolute, or escaping with ..). With the default
# /dev tmpfs and with the rootfs's own /dev, no device node, symlink or mount may appear
# in the outside directory.
@test "a rootfs /dev that is a symlink to an outside directory gets no devices there" {
	local target cfg n=0
	mkdir -p "$HOSTDIR/devout"
	for cfg in default rootfs-dev; do
		[ "$cfg" = default ] || no_default_dev
		for target in "$HOSTDIR/devout" "../../../../../../../..$HOSTDIR/devout"; do
			n=$((n + 1))
			rm -rf "${BUNDLE:?}/rootfs/dev"
			ln -s "$target" "$BUNDLE/rootfs/dev"
			payload stat /dev/null
			run rt_run "$CID-$n"
			echo "$cfg, /dev -> $target: status $status: $output"
			[ -z "$(ls -A "$HOSTDIR/devout")" ]
			if [ "$status" -eq 0 ]; then
				[ "$(kv type)" = chr ]
				[ "$(kv rdev)" = 1:3 ]
			else
				error_names /dev
			fi
		done
	done
}

# A rootfs whose /dev/null and /dev/console are symlinks to host files (absolute and
# escaping with ..), with the rootfs's own /dev: the runtime makes real devices, and the
# process writing to /dev/null and /dev/console changes no host file.
@test "/dev/null and /dev/console symlinked to host files: the host files are unchanged" {
	local target n=0 sock="$BATS_TEST_TMPDIR/console.sock"
	make_canary "$HOSTDIR/canary"
	no_default_dev
	update_config '.process.terminal = true'
	set_args /bin/sh -c '/payload stat /dev/null; echo pwned >/dev/null; echo pwned >/dev/console'
	for target in "$HOSTDIR/canary" "../../../../../../../..$HOSTDIR/canary"; do
		n=$((n + 1))
		rm -f "$BUNDLE/rootfs/dev/null" "$BUNDLE/rootfs/dev/console"
		ln -s "$target" "$BUNDLE/rootfs/dev/null"
		ln -s "$target" "$BUNDLE/rootfs/dev/console"
		start_recvtty "$sock" "$BATS_TEST_TMPDIR/tty-$n.out"
		run rt_run_d --console-socket "$sock" "$CID-$n"
		echo "-> $target: $output"
		if [ "$status" -eq 0 ]; then
			wait_recvtty
			output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty-$n.out")
			echo "$output"
			[ "$(kv type)" = chr ]
			[ "$(kv rdev)" = 1:3 ]
			rt delete --force "$CID-$n"
		else
			error_names /dev/
		fi
		canary_intact "$HOSTDIR/canary"
	done
}

# CVE-2022-0492: cgroup v1 release_agent runs a program on the host as root. From a
# default container, writing any release_agent (the mounted ones, a freshly mounted v1
# hierarchy, and the same after unshare -UrmC) must fail. Each write puts back the value
# already there, so the host is unchanged even if the kernel let it through. The control
# is the same container with CAP_SYS_ADMIN: there the write path works (the kernel lets
# a process with CAP_SYS_ADMIN in the host's user namespace mount a v1 hierarchy and
# write its release_agent), so in a default container each attempt fails because of what
# hull did: no CAP_SYS_ADMIN (the mounts fail with EPERM), a cgroup mount that shows only
# the container's own cgroup (no release_agent in it: ENOENT). After unshare -UrmC the
# mounts of existing hierarchies work, but they show the new cgroup namespace's root,
# the container's cgroup, which has no release_agent either (ENOENT).
@test "CVE-2022-0492: release_agent cannot be written from a default container" {
	[ -n "$(awk '$9 == "cgroup" { print }' /proc/self/mountinfo)" ] || skip "no cgroup v1 hierarchy on this host"
	local mode bad
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	payload release-agent
	run rt_run "$CID-control"
	echo "control (CAP_SYS_ADMIN): $output"
	[ "$status" -eq 0 ]
	grep -q '^agent-mounted-.*=ok$' <<<"$output"

	cp "$SPEC_TEMPLATE/config.json" "$BUNDLE/config.json"
	for mode in plain userns; do
		if [ "$mode" = plain ]; then payload release-agent; else payload release-agent userns; fi
		run rt_run "$CID-$mode"
		echo "$mode: $output"
		[ "$status" -eq 0 ]
		# Release_agents and mounts were attempted, and each failed for hull's reason.
		grep -q '^agent-' <<<"$output"
		if [ "$mode" = plain ]; then
			grep -q '^mount-.*=errno=EPERM$' <<<"$output"
			bad=$(grep -E '^(agent|mount)-' <<<"$output" |
				grep -vE '^agent-[a-z_,]+=errno=ENOENT$|^mount-[a-z]+=(errno=EPERM|not-v1)$' || true)
		else
			[ "$(kv unshare)" = ok ]
			grep -q '^agent-mounted-.*=errno=ENOENT$' <<<"$output"
			bad=$(grep -E '^(agent|mount)-' <<<"$output" |
				grep -vE '^agent-[a-z_,-]+=errno=ENOENT$|^mount-[a-z]+=(ok|errno=EPERM|not-v1)$' || true)
		fi
		echo "unexpected: $bad"
		[ -z "$bad" ]
	done
}

# A container on the host network namespace sees the host's /proc/net/unix. The runtime
# must not listen on abstract unix sockets (only socketpairs and paths in private
# directories): while hull creates, starts and execs other containers, the container
# finds no abstract socket named after the runtime and can connect to none; and the
# runtime's own processes hold no socket bound to an abstract name.
@test "abstract sockets: a host-network container reaches no runtime socket" {
	local name out="$BATS_TEST_TMPDIR/spy.out" i pid inode abstract
	name=$(basename "$RUNTIME")
	name=${name%%-*}
	drop_namespace network
	set_args /payload abstract-unix "$name" 8
	_rt_to_file "$out" run -d --bundle "$BUNDLE" "$CID"
	mkdir -p "$BATS_TEST_TMPDIR/b"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/b/config.json"
	CONFIG="$BATS_TEST_TMPDIR/b/config.json" update_config '.root.path = $r | .process.args = ["/payload", "sleep", "forever"]' \
		--arg r "$BUNDLE/rootfs"
	abstract=$(awk 'NR > 1 && $8 ~ /^@/ { print $7 }' /proc/net/unix | sort -u)
	for i in 1 2 3 4 5; do
		rt create --bundle "$BATS_TEST_TMPDIR/b" "$CID-b$i" </dev/null >/dev/null 2>&1
		# The init of a created container is runtime code: no abstract socket among its fds.
		pid=$(container_pid "$CID-b$i")
		for inode in $(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n'); do
			if awk -v i="$inode" 'NR > 1 && $7 == i && $8 ~ /^@/' /proc/net/unix | grep -q .; then
				echo "the runtime's process $pid holds an abstract socket (inode $inode)" >&2
				return 1
			fi
		done
		rt start "$CID-b$i"
		rt_exec "$CID-b$i" /payload true
		rt delete --force "$CID-b$i"
	done
	wait_status "$CID" stopped 15
	output=$(cat "$out")
	echo "$output"
	[ "$(kv matching)" = 0 ]
	[ "$(kv connected)" = 0 ]
}

# Issue 17 §2 / issue 19 §2: the seccomp filter is loaded before the init reports ready,
# so a created container waits for `start` filtered (runc: `Seccomp: 2`), and a process
# exec'd into it with CAP_SYS_PTRACE cannot make the waiting init run a syscall the
# profile denies: it attaches to the init (pid 1), makes it call mkdir and reads the
# result. Before the fix the init was unfiltered until `start` and the mkdir went through.
deny_mkdir_with_ptrace() {
	update_config '.process.noNewPrivileges = $n
		| .process.capabilities |= with_entries(if .key == "ambient" then . else .value += ["CAP_SYS_PTRACE"] end)
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}' --argjson n "$1"
}

@test "seccomp before the exec fifo: a created init is filtered and a ptracer cannot make it mkdir" {
	[ "$(uname -m)" = x86_64 ] || skip "the injector is x86_64 only"
	local nnp pid id
	for nnp in true false; do
		id="$CID-$nnp"
		deny_mkdir_with_ptrace "$nnp"
		payload true
		rt_create "$id"
		pid=$(container_pid "$id")
		grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status"
		# Blocked opening exec.fifo (openat is 257 on x86_64).
		wait_until 5 grep -q '^257 ' "/proc/$pid/syscall"
		run rt exec "$id" /payload ptrace-inject 1 /injected
		echo "noNewPrivileges=$nnp: $output"
		[ "$status" -eq 0 ]
		[ "$(kv inject)" = errno=EPERM ]
		[ ! -e "$BUNDLE/rootfs/injected" ]
		# A process exec'd into the created container is filtered too.
		run rt exec "$id" /payload seccomp
		[ "$output" = 2 ]
		# The init went back to waiting and starts normally.
		rt start "$id"
		wait_status "$id" stopped
		rt delete "$id"
	done
}

# Issue 17 §2: startContainer hooks run in the container after the filter is loaded, so
# they and anything they leave behind are filtered like the process, with and without
# no_new_privs, through create+start and through run. A hook that is an image binary
# tries mkdir and leaves a background process that tries it later, after the hook has
# exited; everything reports to files in the container's root.
@test "seccomp before startContainer hooks: every process the runtime starts in the container is filtered" {
	local nnp mode id f
	for nnp in true false; do
		for mode in create run; do
			id="$CID-$nnp-$mode"
			rm -f "$BUNDLE"/rootfs/hook.out "$BUNDLE"/rootfs/bg.out
			deny_mkdir_with_ptrace "$nnp"
			update_config '.hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c",
					"{ echo hook-seccomp=$(/payload seccomp); echo hook-mkdir=$(/payload try mkdir); } >/hook.out; (sleep 0.3; { echo bg-seccomp=$(/payload seccomp); echo bg-mkdir=$(/payload try mkdir); } >/bg.tmp; mv /bg.tmp /bg.out) >/dev/null 2>&1 </dev/null &"]}]}'
			set_args /bin/sh -c 'i=0; while [ ! -e /bg.out ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; echo proc-seccomp=$(/payload seccomp); echo proc-mkdir=$(/payload try mkdir)'
			if [ "$mode" = create ]; then
				rt_create "$id"
				rt start "$id"
			else
				rt_run_d "$id"
			fi
			wait_status "$id" stopped 15
			output="$(cat "$BUNDLE/rootfs/hook.out" "$BUNDLE/rootfs/bg.out"; ctr_out "$id")"
			echo "noNewPrivileges=$nnp $mode: $output"
			for f in hook bg proc; do
				[ "$(kv "$f-seccomp")" = 2 ]
				[ "$(kv "$f-mkdir")" = errno=EPERM ]
			done
			rt delete "$id"
		done
	done
}

# ---------------------------------------------------------------------------
# CVE-2016-9962 with CAP_SYS_PTRACE (issue 17 §1): non-dumpable stops no tracer that has
# CAP_SYS_PTRACE, so no process the container can see may hold privileges or host paths.
# The attacker (`payload ptrace-hijack`) scans /proc for a process with CAP_SYS_ADMIN in
# CapEff, attaches and makes it write the host canary (a path resolved from its root) and
# open release_agent of the host's memory cgroup hierarchy. Each test first runs 100
# rounds of the runtime under attack, then, as a positive control while the same attacker
# still runs, puts a privileged host process (nsenter'd `sleep`, on the host's root) into
# the container's pid namespace and expects exactly that one to be hijacked.

# hijack_control PID OUT: the positive control against the container whose init is PID,
# with the attacker writing to OUT; stops the attacker through the rootfs's stop file.
hijack_control() {
	local pid="$1" out="$2"
	(cd "$HOSTDIR" && exec nsenter --target "$pid" --pid -- sleep 60) &
	BG_PIDS+=($!)
	wait_until 20 grep -q '^victim=' "$out"
	touch "$BUNDLE/rootfs/hijack-stop"
	wait_until 20 grep -q '^seen=' "$out"
	output=$(cat "$out")
	echo "$output"
	[ "$(kv hijacked)" = 1 ]
	[ "$(kv escaped)" = 1 ]
	grep -q '^hijacked$' "$HOSTDIR/canary"
	# The victim was the weakened target (caught as nsenter's child or as sleep).
	grep -Eq '^victim=[0-9]+ (nsenter .*)?sleep 60$' <<<"$output"
}

# hijack_clean OUT: nothing was hijacked so far, the canary is intact.
hijack_clean() {
	if grep '^victim=' "$1"; then
		echo "a process of the runtime was hijacked" >&2
		return 1
	fi
	canary_intact "$HOSTDIR/canary"
}

@test "CVE-2016-9962 with CAP_SYS_PTRACE: no process of exec is privileged where the container sees it (100 execs)" {
	make_canary "$HOSTDIR/canary"
	payload sleep forever
	run_detached "$CID"
	local out="$BATS_TEST_TMPDIR/hijack.out" i failed=0
	_rt_to_file "$out" exec -d --cap CAP_SYS_PTRACE "$CID" /payload ptrace-hijack 300 "$HOSTDIR/canary" /hijack-stop
	for i in $(seq 100); do
		rt_exec "$CID" /payload true >/dev/null 2>&1 || failed=$((failed + 1))
	done
	echo "failed execs: $failed"
	hijack_clean "$out"
	[ "$failed" = 0 ]
	hijack_control "$(container_pid "$CID")" "$out"
}

@test "CVE-2016-9962 with CAP_SYS_PTRACE: a container joining another's pid namespace is set up unseen, hooks too (100 rounds)" {
	make_canary "$HOSTDIR/canary"
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
	local out="$BATS_TEST_TMPDIR/hijack.out" i failed=0 pid
	payload ptrace-hijack 300 "$HOSTDIR/canary" /hijack-stop
	_rt_to_file "$out" run -d --bundle "$BUNDLE" "$CID" >/dev/null
	wait_status "$CID" running
	pid=$(container_pid "$CID")
	mkdir -p "$BATS_TEST_TMPDIR/b"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/b/config.json"
	# B also has a createContainer hook (root, all capabilities, in B's namespaces), which
	# lives long enough to be attacked were it in the shared pid namespace.
	CONFIG="$BATS_TEST_TMPDIR/b/config.json" update_config \
		'.root.path = $r | .process.args = ["/payload", "true"] | .process.capabilities = {} |
		 .linux.namespaces |= map(select(.type != "pid")) + [{"type": "pid", "path": $p}] |
		 .hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 0.05"]}]' \
		--arg r "$BUNDLE/rootfs" --arg p "/proc/$pid/ns/pid"
	# Every other round mounts proc as on kernels before 6.18 (HULL_TEST_PROC_HELPER), where
	# an unprivileged helper has to be in the pid namespace for it.
	for i in $(seq 100); do
		if [ $((i % 2)) = 0 ]; then
			rt run --bundle "$BATS_TEST_TMPDIR/b" "$CID-b" </dev/null >/dev/null 2>&1 || failed=$((failed + 1))
		else
			HULL_TEST_PROC_HELPER=1 rt run --bundle "$BATS_TEST_TMPDIR/b" "$CID-b" </dev/null >/dev/null 2>&1 ||
				failed=$((failed + 1))
		fi
		rt delete --force "$CID-b" >/dev/null 2>&1 || true
	done
	echo "failed runs: $failed"
	hijack_clean "$out"
	[ "$failed" = 0 ]
	hijack_control "$pid" "$out"
}

# The process that `exec` forks into the container's pid namespace is visible there from
# its first instruction; under no_new_privs it used to load the seccomp filter only right
# before execve, so a tracer could run it unfiltered. The first stage now loads the filter
# before it forks it: the spy (reading /proc/PID/status, no capability needed) never sees
# a process of the runtime with Seccomp: 0 during 100 execs.
@test "CVE-2016-9962 with CAP_SYS_PTRACE: the process exec forks into the container is filtered from its start (100 execs)" {
	local name out="$BATS_TEST_TMPDIR/spy.out" i failed=0
	name=$(basename "$RUNTIME")
	update_config '.process.noNewPrivileges = true | .linux.seccomp = $p[0]' \
		--slurpfile p "$REPO_ROOT/profiles/seccomp-default.json"
	payload sleep forever
	run_detached "$CID"
	_rt_to_file "$out" exec -d "$CID" /payload filter-spy "$name" 300 /spy-stop >/dev/null
	for i in $(seq 100); do
		rt_exec "$CID" /payload true >/dev/null 2>&1 || failed=$((failed + 1))
	done
	touch "$BUNDLE/rootfs/spy-stop"
	wait_until 20 grep -q '^seen=' "$out"
	output=$(cat "$out")
	echo "$output"
	echo "failed execs: $failed"
	[ "$failed" = 0 ]
	# The spy did see the runtime's processes, none unfiltered.
	[ "$(kv seen)" -gt 0 ]
	[ "$(kv unfiltered)" = 0 ]
}

# Issue 17 §3: the runtime writes the pid file (and the log, and connects the console
# socket) on a path its caller names, often in a directory a container shares (a volume
# holding the bundle or a pid dir). The container plants symlinks there to host files
# and directories: `exec -d --pid-file`, `create --pid-file`, `--log` and
# `--console-socket` must follow none of them, and every host canary stays unchanged.
@test "pid file, log and console socket in a container's volume follow no planted symlink" {
	requires_hull "runc follows a symlink at the log path and at the console socket"
	local vol="$BATS_TEST_TMPDIR/vol" c="$HOSTDIR/canary" f
	mkdir -p "$vol"
	make_canary "$c"
	bind_host_dir "$vol" /vol
	# What a root process in the container does to its volume: a symlink at every name the
	# runtime might create or open there, each pointing at the host's canary (as the host
	# resolves it), a directory symlink to the host directory that holds the canary, and a
	# fifo where a log may be opened.
	set_args /bin/sh -c "for n in exec.pid.tmp create.pid.tmp .exec.pid.tmp log.json console.sock; do
		ln -s '$c' /vol/\$n; done; ln -s '$HOSTDIR' /vol/sub; mkfifo /vol/fifo.log; echo planted
		exec /payload sleep forever"
	rt_run_d "$CID"
	wait_until 5 test -p "$vol/fifo.log"
	# 1. The attack of the issue: exec -d --pid-file with the planted exec.pid.tmp.
	rt_exec_d --pid-file "$vol/exec.pid" "$CID" /payload sleep forever
	canary_intact "$c"
	# The pid file is a regular file with the exec'd process's pid, and no temporary is left.
	[ -f "$vol/exec.pid" ]
	[ ! -L "$vol/exec.pid" ]
	[ "$(cat "/proc/$(cat "$vol/exec.pid")/comm")" = payload ]
	[ -z "$(find "$vol" -name '.exec.pid.*.tmp')" ]
	# 2. The pid file itself a symlink to the canary: replaced, not written through.
	ln -s "$c" "$vol/exec2.pid"
	rt_exec_d --pid-file "$vol/exec2.pid" "$CID" /payload sleep forever
	canary_intact "$c"
	[ -f "$vol/exec2.pid" ]
	[ ! -L "$vol/exec2.pid" ]
	# 3. The pid file's directory a symlink to a host directory: refused, nothing written there.
	run rt_exec_d --pid-file "$vol/sub/canary" "$CID" /payload true
	echo "$output"
	[ "$status" -ne 0 ]
	canary_intact "$c"
	[ "$(ls "$HOSTDIR")" = "$(printf 'canary\ncanary.orig')" ]
	# 4. create --pid-file of a second container, with create.pid.tmp planted.
	rt_create --pid-file "$vol/create.pid" "$CID-b"
	canary_intact "$c"
	[ "$(cat "$vol/create.pid")" = "$(container_pid "$CID-b")" ]
	rt delete --force "$CID-b"
	# 5. --log planted as a symlink: refused, the canary gets no log line.
	run rt --log "$vol/log.json" --debug state "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	canary_intact "$c"
	# 6. --log planted as a fifo nobody reads: refused at once instead of blocking.
	local start=$SECONDS
	run rt --log "$vol/fifo.log" state "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ $((SECONDS - start)) -lt 10 ]
	# 7. --console-socket planted as a symlink to a listening socket on the host: the pty
	# master must not go there.
	start_recvtty "$HOSTDIR/real.sock" "$BATS_TEST_TMPDIR/real.out"
	rm -f "$vol/console.sock"
	ln -s "$HOSTDIR/real.sock" "$vol/console.sock"
	run rt exec -d -t --console-socket "$vol/console.sock" "$CID" /payload tty </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	sleep 0.3
	[ -z "$(cat "$BATS_TEST_TMPDIR/real.out")" ]
	for f in exec.pid exec2.pid; do
		kill -9 "$(cat "$vol/$f")"
	done
}
# ---------------------------------------------------------------------------
# Issue 17 §4: sysctls (and the hostname) written into the host's namespaces. A config
# that joins a namespace by path can name the runtime's own: /proc/<host pid>/ns/net. A
# sysctl of that namespace would then change the host's kernel. The runtime compares each
# joined namespace with its own (device and inode) and refuses; a namespace the config
# does not list at all is inherited, the host's too, and refused the same way.

# sysctl_attack FILE VALUE: the sysctl /proc/sys/FILE must keep its host value through a
# run of the current config, which sets it to VALUE; a changed value is put back (and
# fails). $output is the runtime's.
sysctl_attack() {
	local f="/proc/sys/$1" before after
	before=$(cat "$f")
	run rt_run "$CID-$2"
	echo "$1=$2: status $status: $output"
	after=$(cat "$f")
	if [ "$after" != "$before" ]; then
		echo "$before" >"$f"
		echo "the host's $1 was changed from $before to $after" >&2
		return 1
	fi
}

@test "issue 17: sysctls of the host's network namespace and kernel.hostname in its uts namespace are refused" {
	local v
	payload true
	# Joined by path: the host's network namespace, a net sysctl.
	add_namespace network "/proc/$$/ns/net"
	v=$(($(cat /proc/sys/net/ipv4/tcp_fin_timeout) + 1))
	update_config '.linux.sysctl = {"net.ipv4.tcp_fin_timeout": $v}' --arg v "$v"
	sysctl_attack net/ipv4/tcp_fin_timeout "$v"
	[ "$status" -ne 0 ]
	error_names net.ipv4.tcp_fin_timeout
	# No network namespace at all: inherited, the host's.
	drop_namespace network
	sysctl_attack net/ipv4/tcp_fin_timeout "$v"
	[ "$status" -ne 0 ]
	error_names net.ipv4.tcp_fin_timeout
	# The host's uts namespace: kernel.hostname (runc refuses it in any uts namespace).
	add_namespace network
	add_namespace uts "/proc/$$/ns/uts"
	update_config '.linux.sysctl = {"kernel.hostname": "hulltest-pwned"} | del(.hostname)'
	sysctl_attack kernel/hostname hulltest-pwned
	[ "$status" -ne 0 ]
	error_names kernel.hostname
	[ "$(hostname)" != hulltest-pwned ]
}

@test "issue 17: ipc sysctls, kernel.domainname and the hostname never land in the host's namespaces" {
	requires_hull "runc 1.1.5 writes ipc sysctls and the domainname into a joined host namespace"
	local v other
	payload true
	# The host's ipc namespace, joined by path: kernel.shmmni and an fs.mqueue one.
	add_namespace ipc "/proc/$$/ns/ipc"
	v=$(($(cat /proc/sys/kernel/shmmni) - 1))
	update_config '.linux.sysctl = {"kernel.shmmni": $v}' --arg v "$v"
	sysctl_attack kernel/shmmni "$v"
	[ "$status" -ne 0 ]
	error_names kernel.shmmni
	error_names "/proc/$$/ns/ipc"
	v=$(($(cat /proc/sys/fs/mqueue/msg_max) - 1))
	update_config '.linux.sysctl = {"fs.mqueue.msg_max": $v}' --arg v "$v"
	sysctl_attack fs/mqueue/msg_max "$v"
	[ "$status" -ne 0 ]
	error_names fs.mqueue.msg_max
	# The host's uts namespace: kernel.domainname, and the hostname and domainname fields.
	add_namespace ipc
	add_namespace uts "/proc/$$/ns/uts"
	update_config 'del(.hostname) | .linux.sysctl = {"kernel.domainname": "hulltest-pwned"}'
	sysctl_attack kernel/domainname hulltest-pwned
	[ "$status" -ne 0 ]
	error_names kernel.domainname
	update_config 'del(.linux.sysctl) | .hostname = "hulltest-pwned"'
	sysctl_attack kernel/hostname x
	[ "$status" -ne 0 ]
	error_names hostname
	error_names "/proc/$$/ns/uts"
	update_config 'del(.hostname) | .domainname = "hulltest-pwned"'
	sysctl_attack kernel/domainname y
	[ "$status" -ne 0 ]
	error_names domainname
	# A joined namespace that is not the host's is fine: another process's network, ipc
	# and uts namespaces get the sysctls.
	unshare --net --ipc --uts sleep 1000 &
	other=$!
	BG_PIDS+=("$other")
	wait_until 5 sh -c "[ \"\$(stat -L -c %i /proc/$other/ns/net)\" != $(host_ns net) ]"
	add_namespace network "/proc/$other/ns/net"
	add_namespace ipc "/proc/$other/ns/ipc"
	add_namespace uts "/proc/$other/ns/uts"
	update_config 'del(.domainname) | .linux.sysctl = {"net.ipv4.tcp_fin_timeout": "33", "kernel.shmmni": "1234",
		"kernel.domainname": "hulltest-other"}'
	payload cat /proc/sys/net/ipv4/tcp_fin_timeout
	sysctl_attack net/ipv4/tcp_fin_timeout 33
	[ "$status" -eq 0 ]
	[ "$output" = 33 ]
	[ "$(nsenter -t "$other" -n cat /proc/sys/net/ipv4/tcp_fin_timeout)" = 33 ]
	[ "$(nsenter -t "$other" -i cat /proc/sys/kernel/shmmni)" = 1234 ]
	[ "$(nsenter -t "$other" -u cat /proc/sys/kernel/domainname)" = hulltest-other ]
}

# ---------------------------------------------------------------------------
# Issue 17 §5: masked, read-only and tmpfs targets redirected by a racer. Container A
# swaps /vol/dir of a shared volume with symlinks to "/" and to /probe (another mount of
# container B) as fast as it can; B has a tmpfs, a masked path or a read-only path on
# /vol/dir. In every round that B is created, A is stopped and B's mount table is read:
# the mount must be on the directory (under whichever name the racer left it), and
# neither B's root nor /probe may be masked, read-only or covered. A refusal must name
# /vol/dir. Nothing may reach the host's mount table.

# race_check PID KIND: the victim PID's mount of KIND (tmpfs, masked, readonly) is on the
# raced directory and nowhere else; prints what is wrong.
race_check() {
	local pid=$1 kind=$2 name="" n mp opts fstype _a _b _c _d _e rest wrong=""
	for n in dir link1 link2; do
		[ -d "$HOSTDIR/vol/$n" ] && [ ! -L "$HOSTDIR/vol/$n" ] && name=$n
	done
	local on_dir=0
	while read -r _a _b _c _d mp opts rest; do
		fstype=" $rest"
		fstype=${fstype#* - }
		fstype=${fstype%% *}
		case "$mp" in
		/)
			[[ "$opts" == ro* ]] && wrong+="the root is read-only; "
			[ "$fstype" = tmpfs ] && wrong+="a tmpfs is on the root; "
			;;
		/probe)
			[[ "$opts" == ro* ]] && wrong+="/probe is read-only; "
			[ "$fstype" = tmpfs ] && wrong+="a tmpfs is on /probe; "
			;;
		"/vol/$name")
			case "$kind" in
			tmpfs | masked) [ "$fstype" = tmpfs ] && on_dir=1 ;;
			readonly) [[ "$opts" == ro* ]] && on_dir=1 ;;
			esac
			;;
		/vol/*) wrong+="a mount on $mp ($fstype $opts); " ;;
		esac
	done <"/proc/$pid/mountinfo"
	[ "$on_dir" = 1 ] || wrong+="the directory (now /vol/$name) has no $kind mount; "
	[ -e "/proc/$pid/root/payload" ] || wrong+="the root is covered; "
	[ -e "/proc/$pid/root/probe/PROBE" ] || wrong+="/probe is covered; "
	[ -z "$wrong" ] || wrong+="$(ls -la --time-style=+ "$HOSTDIR/vol" | tail -n +2 | tr '\n' ' ') "
	[ -z "$wrong" ] || wrong+=$(awk '$5 == "/" || $5 == "/probe" || $5 ~ /^\/vol/ { printf "[%s %s %s] ", $5, $6, $(NF - 2) }' "/proc/$pid/mountinfo")
	echo -n "$wrong"
}

@test "issue 17: tmpfs, masked and read-only targets swapped with symlinks never land elsewhere (500 rounds)" {
	requires_hull "runc 1.1.5 masks / and makes it read-only through the symlinks"
	local vol="$HOSTDIR/vol" before i pid racer ok=0 refused=0 deadline bad="" kind kinds=(tmpfs masked readonly) w
	local nosys=$REPO_ROOT/build/nosys api wrap
	[ -x "$nosys" ] || fail "$nosys is missing (make build makes it)"
	mkdir -p "$vol/dir" "$HOSTDIR/probe"
	touch "$vol/dir/SECRET" "$HOSTDIR/probe/PROBE"
	ln -s / "$vol/link1"
	ln -s /probe "$vol/link2"
	mkdir -p "$BATS_TEST_TMPDIR/racer"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/racer/config.json"
	CONFIG="$BATS_TEST_TMPDIR/racer/config.json" update_config \
		'.root.path = $r | .process.args = ["/payload", "exchange-race", "/vol/dir", "/vol/link1", "/vol/link2"]' \
		--arg r "$BUNDLE/rootfs"
	CONFIG="$BATS_TEST_TMPDIR/racer/config.json" bind_host_dir "$vol" /vol
	_rt_to_file "$BATS_TEST_TMPDIR/racer.out" run -d --bundle "$BATS_TEST_TMPDIR/racer" "$CID-racer"
	wait_status "$CID-racer" running
	racer=$(container_pid "$CID-racer")
	bind_host_dir "$vol" /vol
	bind_host_dir "$HOSTDIR/probe" /probe
	for kind in "${kinds[@]}"; do
		cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/$kind.json"
		CONFIG="$BATS_TEST_TMPDIR/$kind.json"
		case $kind in
		tmpfs) update_config '.mounts += [{"type": "tmpfs", "source": "tmpfs", "destination": "/vol/dir"}]' ;;
		masked) update_config '.linux.maskedPaths += ["/vol/dir"]' ;;
		readonly) update_config '.linux.readonlyPaths += ["/vol/dir"]' ;;
		esac
		unset CONFIG
	done
	before=$(host_mountpoints || true)
	deadline=$((SECONDS + 300))
	for i in $(seq 1 500); do
		# Every kind with the mount API and with mount(2) (the API made ENOSYS).
		kind=${kinds[i % 3]}
		api=new wrap=()
		if ((i % 2)); then
			api=old wrap=("$nosys" open_tree,move_mount,mount_setattr,fsopen,fsconfig,fsmount)
		fi
		cp "$BATS_TEST_TMPDIR/$kind.json" "$BUNDLE/config.json"
		if timeout 60 "${wrap[@]}" "$RUNTIME" --root "$STATE_ROOT" create --pid-file "$BATS_TEST_TMPDIR/b.pid" \
			--bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/b.out" 2>&1; then
			ok=$((ok + 1))
			pid=$(<"$BATS_TEST_TMPDIR/b.pid")
			kill -STOP "$racer"
			# SIGSTOP takes effect asynchronously: wait until the racer is stopped.
			wait_until 5 grep -q '^State:[[:space:]]*T' "/proc/$racer/status"
			w=$(race_check "$pid" "$kind")
			kill -CONT "$racer"
			[ -z "$w" ] || bad+="round $i ($kind, $api API): $w"$'\n'
			rt delete --force "$CID" >/dev/null 2>&1
		else
			refused=$((refused + 1))
			sed -n 's|.*/vol/dir[^:]*: ||p' "$BATS_TEST_TMPDIR/b.out" | head -n 1 >>"$BATS_TEST_TMPDIR/reasons"
			grep -q '/vol/dir' "$BATS_TEST_TMPDIR/b.out" ||
				bad+="round $i ($kind, $api API): unclear error: $(head -c 300 "$BATS_TEST_TMPDIR/b.out")"$'\n'
		fi
		[ "$(host_mountpoints)" = "$before" ] || bad+="round $i: the host's mounts changed"$'\n'
		[ -z "$bad" ] || break
		[ "$SECONDS" -lt "$deadline" ] || {
			bad+="timeout after $i rounds"$'\n'
			break
		}
		kill -0 "$racer" || {
			bad+="the racer died: $(cat "$BATS_TEST_TMPDIR/racer.out")"$'\n'
			break
		}
	done
	echo "rounds: created $ok, refused $refused in $SECONDS s; the refusals:"
	sort "$BATS_TEST_TMPDIR/reasons" 2>/dev/null | uniq -c
	echo -n "$bad"
	[ -z "$bad" ]
	[ $((ok + refused)) -eq 500 ]
}

# Issue 17 "Also": devices under a /dev that is a volume another container can write. In
# it wait a FIFO, a symlink to a host file and a directory where the config's devices
# go. With a user namespace the devices are binds of the host's (a target file is made
# and the device bound over it), without one they are made with mknod. The runtime must
# neither hang on the FIFO (opening it for writing waits for a reader) nor follow the
# symlink, and every device the container gets is the right one.
@test "issue 17: devices in a shared /dev volume: a planted FIFO, symlink or directory" {
	requires_hull "runc 1.1.5 keeps a planted FIFO at /dev/zero (the process's write to it hangs)"
	local mode n=0
	make_canary "$HOSTDIR/canary"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	update_config '.linux.devices = [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3},
		{"path": "/dev/zero", "type": "c", "major": 1, "minor": 5},
		{"path": "/dev/full", "type": "c", "major": 1, "minor": 7}]'
	bind_host_dir "$HOSTDIR/devvol" /dev
	set_args /bin/sh -c 'for d in null zero full; do /payload stat /dev/$d; done; echo pwned >/dev/zero'
	for mode in mknod userns; do
		if [ "$mode" = userns ]; then
			make_mapped_rootfs 100000 100000
			add_namespace user
			update_config '.linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
				| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
		fi
		for planted in fifo symlink dir; do
			n=$((n + 1))
			rm -rf "$HOSTDIR/devvol"
			mkdir -m 777 "$HOSTDIR/devvol"
			case $planted in
			fifo) mkfifo -m 666 "$HOSTDIR/devvol/null" "$HOSTDIR/devvol/zero" ;;
			symlink) ln -s "$HOSTDIR/canary" "$HOSTDIR/devvol/zero" ;;
			dir) mkdir "$HOSTDIR/devvol/zero" ;;
			esac
			RT_TIMEOUT=20 run rt_run "$CID-$n"
			echo "$mode, $planted: status $status: $output"
			# Not hung (timeout's status, or its KILL):
			[ "$status" -ne 124 ]
			[ "$status" -ne 137 ]
			canary_intact "$HOSTDIR/canary"
			if [ "$status" -eq 0 ]; then
				[ "$(sed -n 's/^rdev=//p' <<<"$output" | tr '\n' ' ')" = "1:3 1:5 1:7 " ]
			else
				error_names /dev/
			fi
		done
	done
	# A directory of devices (/dev/net) that is a symlink to the root or to another mount
	# (a host directory): no device node may appear there.
	mkdir -p "$HOSTDIR/probe"
	update_config '.linux.devices = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]'
	bind_host_dir "$HOSTDIR/probe" /probe
	for planted in / /probe; do
		n=$((n + 1))
		rm -rf "$HOSTDIR/devvol"
		mkdir -m 777 "$HOSTDIR/devvol"
		ln -s "$planted" "$HOSTDIR/devvol/net"
		run rt_run "$CID-$n"
		echo "/dev/net -> $planted: status $status: $output"
		[ ! -e "$HOSTDIR/probe/tun" ]
		[ ! -e "$BATS_TEST_TMPDIR/mapped-rootfs/tun" ]
		[ "$status" -ne 0 ]
		error_names /dev/net
	done
}

# Issue 17 "Also", the console: /dev is a volume shared with container A, which swaps
# /dev/console with symlinks to a rootfs file of B (/etc/canary) and to a file on another
# mount of B (/probe/file) while B is created with a terminal, 100 times (the links are
# planted again before each round: the runtime replaces a symlink at /dev/console). The
# terminal may only ever be bound on the file the runtime made or found at /dev/console,
# never on either target; a refusal names /dev/console.
@test "issue 17: the console is never bound elsewhere when /dev is a shared volume raced with symlinks (100 rounds)" {
	requires_hull "runc 1.1.5 binds the console through a /dev/console symlink (CVE-2025-52565)"
	local dev="$HOSTDIR/devvol" sock="$BATS_TEST_TMPDIR/console.sock" racer pid i ok=0 refused=0 bad="" mps
	make_canary "$BUNDLE/rootfs/etc/canary"
	mkdir -p "$dev" "$HOSTDIR/probe"
	make_canary "$HOSTDIR/probe/file"
	mknod -m 666 "$dev/null" c 1 3
	mkdir "$dev/pts"
	ln -s pts/ptmx "$dev/ptmx"
	update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
	bind_host_dir "$dev" /dev
	add_mount '{"destination": "/dev/pts", "type": "devpts", "source": "devpts",
		"options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}'
	mkdir -p "$BATS_TEST_TMPDIR/racer"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/racer/config.json"
	CONFIG="$BATS_TEST_TMPDIR/racer/config.json" update_config \
		'.root.path = $r | .process.args = ["/payload", "exchange-race", "/dev/console", "/dev/l1", "/dev/l2"]' \
		--arg r "$BUNDLE/rootfs"
	_rt_to_file "$BATS_TEST_TMPDIR/racer.out" run -d --bundle "$BATS_TEST_TMPDIR/racer" "$CID-racer"
	wait_status "$CID-racer" running
	racer=$(container_pid "$CID-racer")
	bind_host_dir "$HOSTDIR/probe" /probe
	update_config '.process.terminal = true'
	payload sleep forever
	for i in $(seq 1 100); do
		kill -STOP "$racer"
		wait_until 5 grep -q '^State:[[:space:]]*T' "/proc/$racer/status"
		rm -f "$dev/console" "$dev/l1" "$dev/l2"
		touch "$dev/console"
		ln -s /etc/canary "$dev/l1"
		ln -s /probe/file "$dev/l2"
		kill -CONT "$racer"
		start_recvtty "$sock" "$BATS_TEST_TMPDIR/tty.out"
		if rt create --console-socket "$sock" --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/b.out" 2>&1; then
			ok=$((ok + 1))
			pid=$(container_pid "$CID")
			mps=$(awk '{ print $5 }' "/proc/$pid/mountinfo")
			grep -qx -e /etc/canary -e /probe/file <<<"$mps" && bad+="round $i: the terminal was bound on a symlink's target"$'\n'
			rt delete --force "$CID" >/dev/null 2>&1
		else
			refused=$((refused + 1))
			grep -q /dev/console "$BATS_TEST_TMPDIR/b.out" ||
				bad+="round $i: unclear error: $(head -c 300 "$BATS_TEST_TMPDIR/b.out")"$'\n'
		fi
		canary_intact "$BUNDLE/rootfs/etc/canary" || bad+="round $i: /etc/canary changed"$'\n'
		canary_intact "$HOSTDIR/probe/file" || bad+="round $i: /probe/file changed"$'\n'
		[ -z "$bad" ] || break
		kill -0 "$racer" || {
			bad+="the racer died: $(cat "$BATS_TEST_TMPDIR/racer.out")"$'\n'
			break
		}
	done
	echo "rounds: created $ok, refused $refused in $SECONDS s"
	echo -n "$bad"
	[ -z "$bad" ]
	[ $((ok + refused)) -eq 100 ]
}
