#!/bin/bash
# Runs in the systemd guest (tests/vm/systemd/run.sh) as a oneshot service and prints TAP
# on stdout (the second serial port); diagnostics go to stderr (journal and console).
# Checks hull-runtime's systemd cgroup driver with systemctl and the cgroup files, then
# Podman (cgroup_manager = "systemd") and containerd (SystemdCgroup) using hull-runtime,
# then measures create+start+delete with both drivers beside runc's systemd driver.
# The unit starts it with /bin/sh (dash): the bench's arrays need bash.
[ -n "${BASH_VERSION:-}" ] || exec /bin/bash "$0" "$@"
export PATH=/hull:/usr/sbin:/usr/bin:/sbin:/bin
RT="hull-runtime --systemd-cgroup"
CG=/sys/fs/cgroup
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() {
	local desc=$1
	shift
	if "$@" >&2; then ok "$desc"; else not_ok "$desc"; fi
}
is() {
	[ "$1" = "$2" ] && return 0
	echo "# expected '$1', got '$2'" >&2
	return 1
}
has() {
	grep -q -- "$1" <<<"$2" && return 0
	echo "# '$2' does not contain '$1'" >&2
	return 1
}
prop() { systemctl show -P "$2" "$1" 2>/dev/null; }

# new_bundle DIR ARGS CGROUPSPATH [RESOURCES]: busybox + payload rootfs.
new_bundle() {
	rm -rf "$1"
	mkdir -p "$1/rootfs/bin" "$1/rootfs/proc" "$1/rootfs/sys" "$1/rootfs/dev" "$1/rootfs/tmp"
	cp /bin/busybox /hull/payload "$1/rootfs/bin/"
	for a in sh sleep cat true; do ln -s busybox "$1/rootfs/bin/$a"; done
	(cd "$1" && hull-runtime spec) || return 1
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e '/"args": \[/,/\]/c\    "args": ['"$2"'],' \
		-e 's|"linux": {|"linux": {"cgroupsPath": "'"$3"'",|' \
		-e 's|"resources": {|"resources": {'"${4:-}"'|' "$1/config.json"
}

echo "# systemd guest: $(uname -r), PID 1 $(cat /proc/1/comm), $(systemctl --version | head -1)" >&2
check "PID 1 is systemd" is systemd "$(cat /proc/1/comm)"
check "pure cgroup v2" is cgroup2fs "$(stat -fc %T $CG)"

# ---- hull-runtime, a nested slice and resources as unit properties
RES='"memory": {"limit": 104857600}, "pids": {"limit": 64}, "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0"},'
new_bundle /tmp/b '"sleep", "600"' "hulltest-a.slice:hull:c1" "$RES"
UNIT=hull-c1.scope
SCOPE=/hulltest.slice/hulltest-a.slice/$UNIT
check "create with --systemd-cgroup" $RT create --bundle /tmp/b c1
pid=$(hull-runtime state c1 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
check "scope is active" is active "$(prop $UNIT ActiveState)"
check "scope has Delegate=yes" is yes "$(prop $UNIT Delegate)"
check "scope is in the nested slice" is "$SCOPE" "$(prop $UNIT ControlGroup)"
check "init is in the scope before start" is "0::$SCOPE" "$(cat /proc/$pid/cgroup)"
check "MemoryMax property" is 104857600 "$(prop $UNIT MemoryMax)"
check "TasksMax property" is 64 "$(prop $UNIT TasksMax)"
check "CPUWeight property (runc's shares conversion)" is 20 "$(prop $UNIT CPUWeight)"
check "CPUQuotaPerSecUSec property" is 500ms "$(prop $UNIT CPUQuotaPerSecUSec)"
check "AllowedCPUs property" is 0 "$(prop $UNIT AllowedCPUs)"
check "memory.max file" is 104857600 "$(cat $CG$SCOPE/memory.max)"
check "pids.max file" is 64 "$(cat $CG$SCOPE/pids.max)"
check "cpu.max file" is "50000 100000" "$(cat $CG$SCOPE/cpu.max)"
check "cpu.weight file" is 20 "$(cat $CG$SCOPE/cpu.weight)"
check "start" $RT start c1
new_bundle /tmp/b5 '"true"' "hulltest-a.slice:hull:c1"
out=$(cd /tmp/b5 && $RT run c5 2>&1)
check "a second container for the same scope is refused" has 'the unit exists already (another container with this cgroupsPath' "$out"
check "and its cleanup leaves the first one running" is active "$(prop $UNIT ActiveState)"
check "the first one's init is still there" kill -0 "$pid"
check "exec joins the scope" is "0::$SCOPE" "$($RT exec c1 cat /proc/self/cgroup)"
check "update sets the property" $RT update --memory 209715200 --pids-limit 99 c1
check "update: MemoryMax" is 209715200 "$(prop $UNIT MemoryMax)"
check "update: memory.max" is 209715200 "$(cat $CG$SCOPE/memory.max)"
check "update: TasksMax" is 99 "$(prop $UNIT TasksMax)"
check "pause" $RT pause c1
check "paused: cgroup.freeze" is 1 "$(cat $CG$SCOPE/cgroup.freeze)"
check "paused: state" is paused "$(hull-runtime state c1 | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')"
check "resume" $RT resume c1
check "events --stats" bash -c "$RT events --stats c1 | grep -q '\"pids\"'"
$RT exec -d c1 sleep 600
check "kill --all" $RT kill --all c1 KILL
sleep 0.5
check "delete" $RT delete -f c1
check "delete: the scope is gone" is not-found "$(prop $UNIT LoadState)"
check "delete: no failed unit" is "" "$(systemctl list-units --failed --no-legend 'hull*' | tr -d ' ')"
check "delete: the cgroup is gone" test ! -e "$CG$SCOPE"

# ---- delete of a stopped container whose scope still holds a process (the host's pid
# namespace, so nothing killed it with the init): delete kills it and the scope goes.
new_bundle /tmp/b8 '"sleep", "600"' "system.slice:hull:c8"
sed -i 's|"type": "pid"|"type": "pid", "path": "/proc/1/ns/pid"|' /tmp/b8/config.json
$RT create --bundle /tmp/b8 c8 && $RT start c8 && $RT exec -d c8 sleep 601
kill -9 "$(hull-runtime state c8 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')"
sleep 0.5
check "a leftover process keeps the scope active" is active "$(prop hull-c8.scope ActiveState)"
check "delete of the stopped container" $RT delete c8
check "delete: the leftover process is gone" bash -c "! pgrep -f 'sleep 601'"
check "delete: the scope is gone" is not-found "$(prop hull-c8.scope LoadState)"

# ---- the default cgroupsPath (system.slice:hull-runtime:ID), a foreground run
new_bundle /tmp/b2 '"cat", "/proc/self/cgroup"' ""
check "run with the default path" is "0::/system.slice/hull-runtime-c2.scope" "$(cd /tmp/b2 && $RT run c2)"
check "run: the scope is gone" is not-found "$(prop hull-runtime-c2.scope LoadState)"
# A user namespace: the init is forked by a first stage, which is what the scope starts with.
new_bundle /tmp/b6 '"cat", "/proc/self/cgroup"' "system.slice:hull:c6"
sed -i -e 's/"namespaces": \[/"namespaces": [{"type": "user"},/' \
	-e 's|"linux": {|"linux": {"uidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}], "gidMappings": [{"containerID": 0, "hostID": 0, "size": 65536}],|' \
	/tmp/b6/config.json
check "a user namespace container (two-stage init) runs in its scope" is "0::/system.slice/hull-c6.scope" "$(cd /tmp/b6 && $RT run c6)"
check "and its scope is gone after" is not-found "$(prop hull-c6.scope LoadState)"
new_bundle /tmp/b3 '"true"' "/not/a/slice"
out=$(cd /tmp/b3 && $RT run c3 2>&1)
check "a cgroupfs path is refused with a clear error" has 'slice:prefix:name' "$out"
check "a refused path leaves no container" bash -c "! hull-runtime state c3"
# A failure after the scope started (a cgroup file the kernel does not have): create's
# cleanup stops the scope, and no failed unit stays.
new_bundle /tmp/b4 '"true"' "system.slice:hull:c4" '"unified": {"memory.nosuchfile": "1"},'
out=$(cd /tmp/b4 && $RT run c4 2>&1)
check "a resource the files refuse fails the create" has 'memory.nosuchfile' "$out"
check "and the scope it had started is gone" is not-found "$(prop hull-c4.scope LoadState)"
check "and no failed unit" is "" "$(systemctl list-units --failed --no-legend 'hull*' | tr -d ' ')"
check "and no cgroup" test ! -e $CG/system.slice/hull-c4.scope

# ---- Podman with its default systemd cgroup manager and --runtime hull-runtime
if command -v podman >/dev/null; then
	P="podman --runtime /hull/hull-runtime --cgroup-manager systemd"
	rm -rf /tmp/img && mkdir -p /tmp/img/bin && cp /bin/busybox /tmp/img/bin/
	for a in sh sleep cat true top; do ln -s busybox /tmp/img/bin/$a; done
	tar -C /tmp/img -c . | podman import - localhost/bb >/dev/null 2>&1
	check "podman: cgroup manager is systemd" is systemd "$(podman info --format '{{.Host.CgroupManager}}')"
	check "podman run --rm" is hi "$($P run --rm --network none localhost/bb sh -c 'echo hi')"
	id=$($P run -d --network none --memory 64m --cpus 0.5 --pids-limit 50 localhost/bb sleep 600)
	check "podman run -d" test -n "$id"
	U=libpod-$id.scope
	check "podman: container in its scope" is active "$(prop $U ActiveState)"
	cgp=$(prop $U ControlGroup)
	check "podman --memory" is 67108864 "$(cat $CG$cgp/memory.max)"
	check "podman --cpus" is "50000 100000" "$(cat $CG$cgp/cpu.max)"
	check "podman --pids-limit" is 50 "$(cat $CG$cgp/pids.max)"
	check "podman exec" is hi "$($P exec $id sh -c 'echo hi')"
	check "podman pause" $P pause $id
	check "podman paused" is 1 "$(cat $CG$cgp/cgroup.freeze)"
	check "podman unpause" $P unpause $id
	check "podman stats" bash -c "$P stats --no-stream --format '{{.MemUsage}}' $id | grep -q /"
	check "podman stop" $P stop -t 1 $id
	check "podman rm" $P rm $id
	check "podman: scope gone" is not-found "$(prop $U LoadState)"
	check "podman: no failed unit" is "" "$(systemctl list-units --failed --no-legend | tr -d ' ')"
else
	not_ok "podman is installed"
fi

# ---- containerd with SystemdCgroup = true (runc shim, hull-runtime as its binary)
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
	mkdir -p /tmp/ctd
	cat >/tmp/ctd/config.toml <<TOML
version = 2
root = "/tmp/ctd/root"
state = "/tmp/ctd/state"
[grpc]
  address = "/tmp/ctd/ctd.sock"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "/hull/hull-runtime"
  SystemdCgroup = true
TOML
	containerd --config /tmp/ctd/config.toml >/tmp/ctd/log 2>&1 &
	cpid=$!
	C="ctr --address /tmp/ctd/ctd.sock"
	for i in $(seq 100); do $C version >/dev/null 2>&1 && break; sleep 0.1; done
	tar -C /tmp/img -c . >/tmp/ctd/bb.tar
	# ctr has no rootfs import: the bundle's rootfs is given as a directory (--rootfs).
	out=$($C run --rm --runc-binary /hull/hull-runtime --runc-systemd-cgroup \
		--cgroup "system.slice:ctd:x1" --rootfs /tmp/img x1 cat /proc/self/cgroup 2>&1)
	check "containerd (ctr --runc-systemd-cgroup) runs with hull-runtime" is "0::/system.slice/ctd-x1.scope" "$out"
	check "containerd: scope gone" is not-found "$(prop ctd-x1.scope LoadState)"
	kill $cpid
	wait $cpid 2>/dev/null
else
	not_ok "containerd is installed"
fi

# ---- bench: create+start+delete in this guest, 3 rounds of 5 per subject in rotated order
# (TCG: the absolute numbers are slow, the ratios are what to read).
declare -A total=()
subjects=(hull-sd hull-fs runc-sd)
bench_rt() {
	case $1 in
	hull-sd) echo "hull-runtime --systemd-cgroup system.slice:hb:x" ;;
	hull-fs) echo "hull-runtime :" ;;
	runc-sd) echo "runc --systemd-cgroup system.slice:rb:x" ;;
	esac
}
for s in "${subjects[@]}"; do total[$s]=0; done
for round in 0 1 2; do
	for k in 0 1 2; do
		s=${subjects[$(((k + round) % 3))]}
		set -- $(bench_rt "$s")
		path=${*: -1}
		[ "$path" = : ] && path=""
		rt=${*:1:$#-1}
		command -v "${rt%% *}" >/dev/null || continue
		new_bundle /tmp/bb '"true"' "$path"
		t0=$(date +%s%N)
		for i in 1 2 3 4 5; do
			(cd /tmp/bb && $rt create bn$i >/dev/null && $rt start bn$i && $rt delete -f bn$i) >&2
		done
		t1=$(date +%s%N)
		total[$s]=$((total[$s] + (t1 - t0) / 1000000))
	done
done
ms() { echo $((total[$1] / 15)); }
ratio=$(awk -v a="$(ms hull-sd)" -v b="$(ms runc-sd)" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
echo "# bench create+start+delete, ms per container (TCG guest, 15 each): hull systemd $(ms hull-sd), hull cgroupfs $(ms hull-fs), runc systemd $(ms runc-sd); hull/runc (systemd) $ratio"
check "bench: every subject ran" test "${total[hull-sd]}" -gt 0 -a "${total[hull-fs]}" -gt 0 -a "${total[runc-sd]}" -gt 0
check "bench: nothing left" is "" "$(systemctl list-units --no-legend 'hb-*' 'rb-*' | tr -d ' ')"

# ---- without a D-Bus daemon: systemd's private socket (root only) instead of the system bus
systemctl stop dbus.socket dbus.service
new_bundle /tmp/b7 '"cat", "/proc/self/cgroup"' "system.slice:hull:c7"
check "no D-Bus daemon: the scope through /run/systemd/private" is "0::/system.slice/hull-c7.scope" "$(cd /tmp/b7 && $RT run c7)"
check "no D-Bus daemon: the scope is gone after" is not-found "$(prop hull-c7.scope LoadState)"
echo "1..$n"
