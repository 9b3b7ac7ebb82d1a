#!/bin/sh
# Runs inside the test VM booted with SELinux (tests/vm/run.sh selinux: selinux=1
# security=selinux enforcing=0) and prints TAP on stdout. It loads the minimal policy
# tests/vm/selinux-test.te (compiled by run.sh to /lib/selinux-test.pol) in permissive
# mode: nothing is denied, but the kernel takes only labels the policy defines, shows a
# process's label in /proc/PID/attr/current and a mount's context= in mountinfo. So this
# checks that hull-runtime applies process.selinuxLabel, exec --process-label and
# linux.mountLabel, not what a real policy would allow. The helpers are a small copy of
# guest-tests.sh's.

PLAN=11
echo "1..$PLAN"
n=0
RT=hull-runtime

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() {
	desc=$1
	shift
	if "$@" >&2; then ok "$desc"; else not_ok "$desc"; fi
}
is() {
	[ "$1" = "$2" ] && return 0
	echo "# expected '$1', got '$2'" >&2
	return 1
}

# new_bundle ARGS [LABEL] [MOUNT_LABEL]: /tmp/b from `hull-runtime spec`, rootfs with busybox
# and the payload, process.args = [ARGS], process.selinuxLabel and linux.mountLabel if given.
new_bundle() {
	rm -rf /tmp/b
	mkdir -p /tmp/b/rootfs/bin /tmp/b/rootfs/proc /tmp/b/rootfs/sys /tmp/b/rootfs/dev /tmp/b/rootfs/tmp
	cp /bin/busybox /bin/payload /tmp/b/rootfs/bin/
	(cd /tmp/b && $RT spec) || return 1
	sed -i -e 's/"terminal": true/"terminal": false/' \
		-e '/"args": \[/,/\]/c\    "args": ['"$1"'],' /tmp/b/config.json || return 1
	[ -z "${2:-}" ] || sed -i 's|"process": {|"process": {"selinuxLabel": "'"$2"'",|' /tmp/b/config.json
	[ -z "${3:-}" ] || sed -i 's|"linux": {|"linux": {"mountLabel": "'"$3"'",|' /tmp/b/config.json
}

mountpoint -q /sys/fs/selinux || mount -t selinuxfs selinuxfs /sys/fs/selinux
cat /lib/selinux-test.pol >/sys/fs/selinux/load
check "SELinux is on, permissive, with the test policy loaded (we are u:r:kernel_t)" \
	sh -c '[ "$(cat /sys/fs/selinux/enforce)" = 0 ] && [ "$(cat /proc/self/attr/current | tr -d "\0")" = u:r:kernel_t ]'

new_bundle '"/bin/payload", "cat", "/proc/self/attr/current"' u:r:container_t
out=$(cd /tmp/b && $RT run c-se-cur </dev/null 2>&1 | tr -d '\0')
check "run: the process gets process.selinuxLabel (attr/current '$out')" is u:r:container_t "$out"

new_bundle '"/bin/payload", "cat", "/proc/self/attr/current"'
out=$(cd /tmp/b && $RT run c-se-none </dev/null 2>&1 | tr -d '\0')
check "run without a label: the process keeps the runtime's (control)" is u:r:kernel_t "$out"

new_bundle '"/bin/payload", "mounts"' u:r:container_t u:object_r:container_file_t
out=$(cd /tmp/b && $RT run c-se-mnt </dev/null 2>&1)
echo "$out" | grep ' /dev \| /dev/shm ' >&2
check "run: the /dev tmpfs is mounted with context= linux.mountLabel" \
	sh -c "echo '$out' | grep ' /dev ' | grep -q 'context=\"*u:object_r:container_file_t'"
check "run: /dev/shm and /dev/pts too, not /proc and /sys" \
	sh -c "echo '$out' | grep ' /dev/shm ' | grep -q container_file_t &&
		echo '$out' | grep ' /dev/pts ' | grep -q container_file_t &&
		test \$(echo '$out' | grep ' /proc \| /sys ' | grep -c container_file_t) -eq 0"

new_bundle '"/bin/payload", "true"' u:r:no_such_t
out=$(cd /tmp/b && $RT run c-se-bad </dev/null 2>&1)
rc=$?
echo "# $out" >&2
check "run: a label the policy does not define fails naming it (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && echo '$out' | grep -q 'apply selinux label \"u:r:no_such_t\"' && [ -z \"\$($RT list -q)\" ]"

# CVE-2019-16884: the container's /proc is the image's own directory with planted attr
# files, procfs is mounted at /realproc (see guest-tests.sh's AppArmor test).
new_bundle '"/bin/payload", "cat", "/realproc/self/attr/current"' u:r:container_t
sed -i 's|"destination": "/proc",|"destination": "/realproc",|; s|"maskedPaths"|"x-maskedPaths"|; s|"readonlyPaths"|"x-readonlyPaths"|; s|"readonly": true|"readonly": false|' /tmp/b/config.json
mkdir -p /tmp/b/rootfs/realproc
for d in self thread-self; do
	mkdir -p /tmp/b/rootfs/proc/$d/attr
	: >/tmp/b/rootfs/proc/$d/attr/exec
	: >/tmp/b/rootfs/proc/$d/attr/keycreate
done
out=$(cd /tmp/b && $RT run c-se-fake </dev/null 2>&1 | tr -d '\0')
check "CVE-2019-16884: a planted /proc does not take the label's write ('$out')" \
	sh -c "[ '$out' = u:r:container_t ] && [ -z \"\$(cat /tmp/b/rootfs/proc/*/attr/*)\" ]"

new_bundle '"/bin/payload", "sleep", "forever"' u:r:container_t
ID=c-se-exec
(cd /tmp/b && $RT run -d $ID </dev/null >/dev/null 2>&1)
check "exec: the process gets the container's label" \
	is u:r:container_t "$($RT exec $ID /bin/payload cat /proc/self/attr/current 2>&1 | tr -d '\0')"
check "exec --process-label: the process gets that label instead" \
	is u:r:other_t "$($RT exec --process-label u:r:other_t $ID /bin/payload cat /proc/self/attr/current 2>&1 | tr -d '\0')"
check "exec: the init keeps its label" \
	is u:r:container_t "$(tr -d '\0' </proc/$($RT state $ID | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')/attr/current)"
$RT delete -f $ID >&2
check "no container left after the SELinux tests" is "" "$($RT list -q 2>/dev/null)"

[ $n -eq $PLAN ] || echo "# planned $PLAN tests, ran $n" >&2
