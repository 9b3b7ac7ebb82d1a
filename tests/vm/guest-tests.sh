#!/bin/sh
# Runs inside the test VM (busybox sh, pure cgroup v2 at /sys/fs/cgroup) and prints TAP on
# stdout. hull-runtime and payload are in /bin; config.json is edited with sed (no jq here).
# Diagnostics go to stderr (the kernel console, saved by run.sh).

PLAN=56
echo "1..$PLAN"
n=0
RT=hull-runtime
CG=/sys/fs/cgroup
PARENT=$CG/hull-runtime
MEM=104857600 # 100 MiB
WEIGHT=$((1 + ((512 - 2) * 9999) / 262142)) # runc's conversion of cpu shares 512

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }

# check DESCRIPTION CMD...: one TAP line for CMD's exit status.
check() {
	desc=$1
	shift
	if "$@" >&2; then ok "$desc"; else not_ok "$desc"; fi
}

# setup DESCRIPTION CMD...: a condition of the VM the tests need, not a test of hull: no
# TAP line when it holds; a bail-out (the remaining tests count as failed) when not.
setup() {
	desc=$1
	shift
	if "$@" >&2; then
		echo "# setup: $desc" >&2
	else
		echo "Bail out! setup: $desc"
		exit 1
	fi
}

# is EXPECTED ACTUAL: equality with a diagnostic on stderr.
is() {
	[ "$1" = "$2" ] && return 0
	echo "# expected '$1', got '$2'" >&2
	return 1
}

# isnt UNEXPECTED ACTUAL: inequality with a diagnostic on stderr.
isnt() {
	[ "$1" != "$2" ] && return 0
	echo "# expected anything but '$1'" >&2
	return 1
}

# new_bundle DIR ARGS [RESOURCES]: a bundle from `hull-runtime spec` whose rootfs holds
# busybox and the payload. ARGS is the JSON inside process.args; RESOURCES, if given, is
# JSON members (ending with a comma) put at the start of linux.resources. The spec's
# device rules (deny all, then the default devices) stay: on v2 they become an eBPF
# program. CGROUPNS=1 adds a cgroup namespace; KMSG=1 adds /dev/kmsg (1:11) as a
# linux.devices node that no rule allows.
new_bundle() {
	rm -rf "$1"
	mkdir -p "$1/rootfs/bin" "$1/rootfs/proc" "$1/rootfs/sys" "$1/rootfs/dev" "$1/rootfs/tmp"
	cp /bin/busybox /bin/payload "$1/rootfs/bin/"
	ln -s busybox "$1/rootfs/bin/sh"
	(cd "$1" && $RT spec) || return 1
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e 's/"hostname": "hull"/"hostname": "vm-guest"/' \
		-e '/"args": \[/,/\]/c\    "args": ['"$2"'],' \
		-e 's|"resources": {|"resources": {'"$3"'|' "$1/config.json" || return 1
	[ "${KMSG:-}" != 1 ] ||
		sed -i 's|"linux": {|"linux": {"devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}],|' "$1/config.json"
	[ "${CGROUPNS:-}" != 1 ] ||
		sed -i 's/"namespaces": \[/"namespaces": [{"type": "cgroup"},/' "$1/config.json"
}

# status ID: the container's status from `state` ("" when there is no such container).
status() {
	$RT state "$1" 2>/dev/null | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p'
}

# wait_status ID STATUS: polls for up to 10 s.
wait_status() {
	i=0
	while [ "$(status "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "# $1: status '$(status "$1")', wanted $2" >&2; return 1; }
		sleep 0.1
	done
}

# run_out ID: `run` in /tmp/b; its stdout in $out, its exit status in $rc.
run_out() {
	out=$(cd /tmp/b && $RT run "$1" </dev/null)
	rc=$?
}

RES='"memory": {"limit": '$MEM', "swap": '$MEM'}, "pids": {"limit": 50}, "cpu": {"shares": 512, "quota": 50000, "period": 100000},'

# --- the machine
setup "cgroup2 at /sys/fs/cgroup with cpu, memory, pids, cpuset, io" \
	sh -c 'cat /sys/fs/cgroup/cgroup.controllers; for c in cpu memory pids cpuset io; do grep -qw $c /sys/fs/cgroup/cgroup.controllers || exit 1; done'
setup "the overlay module is loaded" grep -qw overlay /proc/filesystems

# --- run
new_bundle /tmp/b '"/bin/payload", "write", "/dev/null", "x"'
run_out c-spec
check "the default spec (deny all + default devices as eBPF) runs and /dev/null works" is 0 "$rc"

KMSG=1 new_bundle /tmp/b '"/bin/payload", "cat", "/dev/kmsg"'
out=$(cd /tmp/b && $RT run c-kmsg </dev/null 2>&1)
echo "# $out" >&2
check "a device node no rule allows is created but cannot be opened (eBPF device program)" \
	is "Operation not permitted" "$(echo "$out" | grep -o 'Operation not permitted' | head -1)"

new_bundle /tmp/b '"/bin/payload", "cat", "/sys/fs/cgroup/cgroup.procs"'
run_out c-cgmount
check "the spec's cgroup mount works without a cgroup namespace (bind of cgroup2)" is 0 "$rc"

CGROUPNS=1 new_bundle /tmp/b '"/bin/payload", "cat", "/proc/self/cgroup"'
run_out c-cgns
check "in a cgroup namespace /proc/self/cgroup is 0::/" is "0::/" "$out"

new_bundle /tmp/b '"/bin/payload", "true"'
run_out c-true
check "run /payload true exits 0" is 0 "$rc"

new_bundle /tmp/b '"/bin/payload", "exit", "7"'
run_out c-exit
check "the exit status passes through (7)" is 7 "$rc"

new_bundle /tmp/b '"/bin/payload", "pid"'
run_out c-pid
check "the process is PID 1 in its PID namespace" is "pid=1" "$(echo "$out" | grep '^pid=')"

new_bundle /tmp/b '"/bin/payload", "hostname"'
run_out c-host
check "the hostname is set" is vm-guest "$out"

new_bundle /tmp/b '"/bin/payload", "cat", "/proc/self/cgroup"' "$RES"
run_out c-self
check "/proc/self/cgroup inside is the container's cgroup" is "0::/hull-runtime/c-self" "$out"

# --- a container created into another's pid namespace. This kernel has no pidns option
# for proc (Linux 6.18), so an unprivileged helper inside that namespace makes the proc
# context (procfs.c, context_from_inside): /proc of the second container shows the first
# container's processes, its pid 1 the first one's sleep.
new_bundle /tmp/a '"/bin/payload", "sleep", "forever"'
(cd /tmp/a && $RT run -d c-first </dev/null >/dev/null 2>&1)
FIRST=$($RT state c-first | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
new_bundle /tmp/b '"/bin/payload", "cat", "/proc/1/cmdline"'
sed -i 's|"type": "pid"|"type": "pid", "path": "/proc/'"$FIRST"'/ns/pid"|' /tmp/b/config.json
(cd /tmp/b && $RT run c-joiner </dev/null >/tmp/joiner.out 2>&1)
rc=$?
out=$(tr '\0' ' ' </tmp/joiner.out)
echo "# $out" >&2
check "create into another container's pid namespace works without proc's pidns option" is 0 "$rc"
check "its /proc is that namespace's (pid 1 is the first container's sleep)" is "/bin/payload sleep forever " "$out"
$RT delete -f c-first >&2

# --- limits and the lifecycle of one container
new_bundle /tmp/b '"/bin/payload", "sleep", "forever"' "$RES"
ID=c-life
D=$PARENT/$ID
(cd /tmp/b && $RT create $ID </dev/null >/dev/null)
check "create: state is created" is created "$(status $ID)"
PID=$($RT state $ID | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
check "the cgroup is $D and holds the init process" grep -qx "$PID" "$D/cgroup.procs"
check "memory.max is the memory limit" is $MEM "$(cat $D/memory.max)"
check "memory.swap.max is 0 (swap = limit)" is 0 "$(cat $D/memory.swap.max)"
check "pids.max is the pids limit" is 50 "$(cat $D/pids.max)"
check "cpu.max is quota and period" is "50000 100000" "$(cat $D/cpu.max)"
check "cpu.weight is converted from shares 512 ($WEIGHT)" is $WEIGHT "$(cat $D/cpu.weight)"
$RT start $ID >&2
check "start: state is running" wait_status $ID running
$RT pause $ID >&2
check "pause: state is paused and cgroup.freeze is 1" \
	sh -c "[ \"\$($RT state $ID | grep -c '\"paused\"')\" = 1 ] && [ \$(cat $D/cgroup.freeze) = 1 ]"
$RT resume $ID >&2
check "resume: state is running and cgroup.freeze is 0" \
	sh -c "[ \"\$($RT state $ID | grep -c '\"running\"')\" = 1 ] && [ \$(cat $D/cgroup.freeze) = 0 ]"
$RT update --memory 209715200 $ID >&2
check "update --memory changes memory.max" is 209715200 "$(cat $D/memory.max)"
$RT kill $ID KILL >&2
check "kill KILL: state is stopped" wait_status $ID stopped
$RT delete $ID >&2
check "delete: the container is gone" is "" "$(status $ID)"
check "delete: its cgroup directory is gone" test ! -e "$D"

# --- the memory limit holds
new_bundle /tmp/b '"/bin/payload", "hog", "200"' "$RES"
run_out c-hog
check "a process using 200 MiB over a 100 MiB limit is killed (137)" is 137 "$rc"

ID=c-oom
D=$PARENT/$ID
(cd /tmp/b && $RT create $ID </dev/null >/dev/null)
$RT start $ID >&2
wait_status $ID stopped
ook=$(sed -n 's/^oom_kill //p' $D/memory.events)
check "memory.events counts the OOM kill (oom_kill $ook)" test "${ook:-0}" -ge 1
$RT delete $ID >&2
check "delete of a stopped container removes its cgroup" test ! -e "$D"

# --- v2 equivalents of the v1-only checks in runtime-cgroup-resources.bats
RAMDEV=$(cat /sys/block/ram0/dev 2>/dev/null)
MAJ=${RAMDEV%:*}
MIN=${RAMDEV#*:}
IOW=$((1 + (500 - 10) * 9999 / 990)) # runc's conversion of blkio weight 500
RES2='"memory": {"limit": '$MEM', "reservation": 52428800}, "cpu": {"idle": 1},'
RES2=$RES2' "hugepageLimits": [{"pageSize": "2MB", "limit": 8388608}],'
[ -z "$RAMDEV" ] || RES2=$RES2' "blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": '$MAJ', "minor": '$MIN', "rate": 1048576}], "throttleWriteIOPSDevice": [{"major": '$MAJ', "minor": '$MIN', "rate": 200}]},'
new_bundle /tmp/b '"/bin/payload", "sleep", "forever"' "$RES2"
ID=c-res
D=$PARENT/$ID
setup "a RAM disk is there for io.max (/dev/ram0 = $RAMDEV)" test -n "$RAMDEV"
(cd /tmp/b && $RT run -d $ID </dev/null >/dev/null 2>&1)
check "blockIO weight 500 is io.weight $IOW" grep -qx "default $IOW" "$D/io.weight"
check "blockIO throttles are one io.max line" \
	grep -qx "$RAMDEV rbps=1048576 wbps=max riops=max wiops=200" "$D/io.max"
check "io.max seen from inside" \
	sh -c "$RT exec $ID /bin/payload cat /sys/fs/cgroup/io.max | grep -q rbps=1048576"
check "hugepageLimits 2MB is hugetlb.2MB.max" is 8388608 "$(cat $D/hugetlb.2MB.max 2>&1)"
check "cpu idle is cpu.idle" is 1 "$(cat $D/cpu.idle 2>&1)"
check "memory reservation is memory.low" is 52428800 "$(cat $D/memory.low)"
$RT delete -f $ID >&2

# --- OOM events by inotify on memory.events, and bad updates leave the container as it was
new_bundle /tmp/b '"/bin/payload", "sleep", "forever"' '"memory": {"limit": 67108864, "swap": 67108864}, "cpu": {"quota": 50000, "period": 100000},'
ID=c-ev
D=$PARENT/$ID
(cd /tmp/b && $RT run -d $ID </dev/null >/dev/null 2>&1)
$RT --debug --log /tmp/ev.log events --interval 1m $ID >/tmp/ev.out 2>&1 &
EV=$!
sleep 0.5
$RT exec $ID /bin/payload hog 200 >&2
rc=$?
i=0
while ! grep -q '"oom"' /tmp/ev.out && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# The exec'd hog is OOM-killed (137), and events, still running, reported it.
check "events reports an OOM kill in the running container (exec exit $rc)" \
	sh -c "[ $rc -eq 137 ] && grep -q '\"type\":\"oom\"' /tmp/ev.out"
check "events, still running, waits on notification (inotify), not polling" \
	sh -c "kill -0 $EV && grep -q 'waiting for OOM notifications' /tmp/ev.log"
out=$(echo '{"unified": {"bogus.knob": "1"}}' | $RT update --resources - $ID 2>&1)
rc=$?
echo "# status $rc: $out" >&2
check "update with an unknown unified key fails (status $rc) naming it" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'bogus.knob to 1'"
out=$($RT update --memory 209715200 --cpu-quota 500 $ID 2>&1)
rc=$?
echo "# status $rc: $out" >&2
check "update with quota 500 fails (status $rc) naming cpu.max and leaves memory.max" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'cpu.max' && [ \$(cat $D/memory.max) = 67108864 ] && [ \"\$(cat $D/cpu.max)\" = '50000 100000' ]"
$RT kill $ID KILL >&2
i=0
while kill -0 $EV 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# Still running after 5 s: killed, and its status (143) fails the check.
kill -0 $EV 2>/dev/null && kill $EV
wait $EV
rc=$?
check "events ends with status 0 (got $rc) when the container stops" is 0 "$rc"
$RT delete -f $ID >&2

# --- nothing left behind
# The shared parent stays, empty (like Docker's /docker): no cgroup is left below it.
check "the shared parent cgroup $PARENT has no child cgroup left" \
	sh -c "[ -d $PARENT ] && [ -z \"\$(find $PARENT -mindepth 1 -type d 2>/dev/null)\" ]"
check "no container left in list" is "" "$($RT list -q 2>/dev/null)"
check "no container cgroup left under $PARENT" \
	sh -c "! ls -d $PARENT/c-* 2>/dev/null"

# --- AppArmor (run.sh boots the kernel with apparmor=1 security=apparmor and puts Debian's
# apparmor_parser in /lib/aa). hull-test denies /etc/hull-denied and allows everything else;
# hull-other denies /etc/hull-other-denied.
mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security
AAP="/lib/aa/ld-linux-x86-64.so.2 --library-path /lib/aa /lib/aa/apparmor_parser"
for p in hull-test:/etc/hull-denied hull-other:/etc/hull-other-denied; do
	printf '%s\n' "profile ${p%%:*} flags=(attach_disconnected,mediate_deleted) {" \
		"  file," "  capability," "  network," "  signal," "  mount," "  umount," "  pivot_root," \
		"  ptrace," "  unix," "  deny ${p#*:} rw," "}"
done >/tmp/hull.aa
$AAP -r -K /tmp/hull.aa >&2
check "AppArmor is enabled and the test profiles are loaded" \
	sh -c 'grep -qx Y /sys/module/apparmor/parameters/enabled && grep -q "^hull-test " /sys/kernel/security/apparmor/profiles'

# aa_bundle ARGS [PROFILE]: new_bundle with process.apparmorProfile, and the files
# /etc/hull-denied, /etc/hull-other-denied and /etc/hull-allowed in the rootfs.
aa_bundle() {
	new_bundle /tmp/b "$1" || return 1
	[ -z "${2:-}" ] || sed -i 's|"process": {|"process": {"apparmorProfile": "'"$2"'",|' /tmp/b/config.json
	mkdir -p /tmp/b/rootfs/etc
	for f in hull-denied hull-other-denied hull-allowed; do echo "$f" >/tmp/b/rootfs/etc/$f; done
}

aa_bundle '"/bin/payload", "cat", "/proc/self/attr/current"' hull-test
run_out c-aa-cur
check "run: the process is confined by process.apparmorProfile (attr/current '$out')" \
	is "hull-test (enforce)" "$out"

aa_bundle '"/bin/payload", "cat", "/etc/hull-denied"' hull-test
out=$(cd /tmp/b && $RT run c-aa-deny </dev/null 2>&1)
rc=$?
echo "# $out" >&2
check "run: the path the profile denies cannot be read (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Permission denied'"

aa_bundle '"/bin/payload", "cat", "/etc/hull-allowed"' hull-test
run_out c-aa-allow
check "run: other paths can be read under the profile" is hull-allowed "$out"

aa_bundle '"/bin/payload", "cat", "/etc/hull-denied"'
run_out c-aa-none
check "run without a profile: the process is unconfined (control)" is hull-denied "$out"

aa_bundle '"/bin/payload", "true"' hull-missing
out=$(cd /tmp/b && $RT run c-aa-missing </dev/null 2>&1)
rc=$?
echo "# $out" >&2
check "run with a profile that is not loaded fails and says so (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'hull-missing.*no such profile is loaded' && [ -z \"\$($RT list -q)\" ]"

# CVE-2019-16884: the container's /proc is the image's own directory with planted
# self/attr/exec files (the config mounts procfs elsewhere; mounting anything but procfs
# on /proc is refused before this matters; masked and read-only paths are dropped, since
# they are mounted through /proc/self/fd; the root is writable, as in most images). The
# runtime writes through its own procfs, so the profile applies all the same and nothing
# lands in the planted files.
aa_bundle '"/bin/payload", "cat", "/etc/hull-denied"' hull-test
sed -i 's|"destination": "/proc",|"destination": "/realproc",|; s|"maskedPaths"|"x-maskedPaths"|; s|"readonlyPaths"|"x-readonlyPaths"|; s|"readonly": true|"readonly": false|' /tmp/b/config.json
mkdir -p /tmp/b/rootfs/realproc
for d in self thread-self; do
	mkdir -p /tmp/b/rootfs/proc/$d/attr/apparmor
	: >/tmp/b/rootfs/proc/$d/attr/exec
	: >/tmp/b/rootfs/proc/$d/attr/apparmor/exec
done
out=$(cd /tmp/b && $RT run c-aa-fake </dev/null 2>&1)
rc=$?
echo "# $out" >&2
check "CVE-2019-16884: a planted /proc does not take the profile's write (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Permission denied' && [ -z \"\$(cat /tmp/b/rootfs/proc/*/attr/exec /tmp/b/rootfs/proc/*/attr/apparmor/exec)\" ]"

aa_bundle '"/bin/payload", "sleep", "forever"' hull-test
ID=c-aa-exec
(cd /tmp/b && $RT run -d $ID </dev/null >/dev/null 2>&1)
check "exec: the process gets the container's profile" \
	is "hull-test (enforce)" "$($RT exec $ID /bin/payload cat /proc/self/attr/current 2>&1)"
out=$($RT exec $ID /bin/payload cat /etc/hull-denied 2>&1)
rc=$?
echo "# $out" >&2
check "exec: the path the profile denies cannot be read (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'Permission denied'"
check "exec --apparmor: the process gets that profile instead" \
	is "hull-other (enforce)" "$($RT exec --apparmor hull-other $ID /bin/payload cat /proc/self/attr/current 2>&1)"
check "exec --apparmor: that profile's rules hold (hull-denied readable, hull-other-denied not)" \
	sh -c "$RT exec --apparmor hull-other $ID /bin/payload cat /etc/hull-denied &&
		if $RT exec --apparmor hull-other $ID /bin/payload cat /etc/hull-other-denied; then false; fi"
$RT delete -f $ID >&2
check "no container left after the AppArmor tests" is "" "$($RT list -q 2>/dev/null)"

# The engine's monitor (hull-monitor, static) lowers its own oom_score_adj to -1000 so that
# it outlives an OOM of the machine and records its container's end. That takes
# CAP_SYS_RESOURCE, which the host's test sandbox withholds from root; the guest's root has
# it. The container's process must not inherit -1000: it keeps the default 0.
new_bundle /tmp/bmon '"/bin/payload", "sleep", "forever"'
rm -rf /tmp/mon
mkdir -p /tmp/mon
cat >/tmp/mon/monitor.json <<EOF
{"id": "c-monitor", "bundle": "/tmp/bmon", "runtime_root": "/run/hull-runtime",
 "log_path": "/tmp/mon/ctr.log", "attach_socket": "/tmp/mon/attach.sock",
 "exit_file": "/tmp/mon/exit.json", "pid_file": "/tmp/mon/monitor.pid"}
EOF
hull-monitor /tmp/mon/monitor.json 3>/tmp/mon/report 2>/tmp/mon/err </dev/null &
i=0
while ! grep -q '^started ' /tmp/mon/report 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
cat /tmp/mon/report /tmp/mon/err >&2
mpid=$(cat /tmp/mon/monitor.pid 2>/dev/null)
cpid=$(sed -n 's/^started //p' /tmp/mon/report)
check "the monitor's oom_score_adj is -1000 where CAP_SYS_RESOURCE is held" \
	is -1000 "$(cat /proc/${mpid:-0}/oom_score_adj 2>&1)"
check "the container's process keeps oom_score_adj 0" is 0 "$(cat /proc/${cpid:-0}/oom_score_adj 2>&1)"
# A stop: the monitor sends SIGTERM, which the payload as pid 1 ignores, so the KILL the
# engine would send after its timeout, then the monitor records the end and exits.
[ -n "$mpid" ] && kill -TERM "$mpid"
$RT kill c-monitor KILL >/dev/null 2>&1
wait
$RT delete -f c-monitor >/dev/null 2>&1

[ $n -eq $PLAN ] || echo "# planned $PLAN tests, ran $n" >&2
