#!/usr/bin/env bats
# hull cp: both directions, tar streams, -a, -L, Docker's destination rules, and the
# symlink-exchange race of CVE-2018-15664 (a container swapping a directory with a symlink
# to "/" while cp runs must never make cp read or write a host file outside the rootfs).
# Run as root: bats tests/integration/engine-cp.bats

bats_require_minimum_version 1.5.0
load lib/engine

# busybox plus the static test payload (its exchange-race command) at /payload.
_cp_fill() {
	busybox_rootfs_copy "$1" && cp "$REPO_ROOT/build/payload" "$1/payload"
}

cp_image() {
	busybox_image
	build_image cpimage _cp_fill
}

@test "cp: out of and into a running container, files and directories, Docker's destination rules" {
	cp_image
	run -0 hull run -d --name c1 cpimage sh -c 'mkdir -p /data/sub && echo hello >/data/f && echo deep >/data/sub/g && ln -s /etc/passwd /data/link && sleep 1000'
	remember "$output"
	retry 30 hull cp c1:/data/sub/g "$BATS_TEST_TMPDIR/g"
	# A file to a new name, into an existing directory, a directory to a new name, contents with "/.".
	run -0 hull cp c1:/data/f "$BATS_TEST_TMPDIR/f1"
	[ "$(cat "$BATS_TEST_TMPDIR/f1")" = hello ]
	mkdir "$BATS_TEST_TMPDIR/into"
	run -0 hull cp c1:/data "$BATS_TEST_TMPDIR/into"
	[ "$(cat "$BATS_TEST_TMPDIR/into/data/sub/g")" = deep ]
	# Without -L a symlink stays a symlink (its target is the container's, not followed on the host).
	[ "$(readlink "$BATS_TEST_TMPDIR/into/data/link")" = /etc/passwd ]
	run -0 hull cp c1:/data "$BATS_TEST_TMPDIR/newdir"
	[ "$(cat "$BATS_TEST_TMPDIR/newdir/f")" = hello ]
	mkdir "$BATS_TEST_TMPDIR/contents"
	run -0 hull cp c1:/data/. "$BATS_TEST_TMPDIR/contents"
	[ "$(cat "$BATS_TEST_TMPDIR/contents/sub/g")" = deep ]
	# -L follows the link inside the container: the container's passwd, not the host's.
	run -0 hull cp -L c1:/data/link "$BATS_TEST_TMPDIR/passwd"
	grep -q '^www:x:33:33' "$BATS_TEST_TMPDIR/passwd"
	run -0 hull cp c1:/data/link "$BATS_TEST_TMPDIR/link"
	[ -L "$BATS_TEST_TMPDIR/link" ]
	# Into the container.
	mkdir -p "$BATS_TEST_TMPDIR/up/d"
	echo in >"$BATS_TEST_TMPDIR/up/d/x"
	chown 1234:5678 "$BATS_TEST_TMPDIR/up/d/x"
	chmod 0640 "$BATS_TEST_TMPDIR/up/d/x"
	run -0 hull cp "$BATS_TEST_TMPDIR/up/d" c1:/tmp
	# (hull exec is h5's: the tar stream shows owner and mode as they are in the container.)
	run -0 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' cp c1:/tmp/d/x - | tar -tvf - --numeric-owner"
	[[ "$output" == "-rw-r----- 0/0 "*" x" ]]
	run -0 hull cp -a "$BATS_TEST_TMPDIR/up/d/x" c1:/tmp/kept
	run -0 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' cp c1:/tmp/kept - | tar -tvf - --numeric-owner"
	[[ "$output" == "-rw-r----- 1234/5678 "*" kept" ]]
	run -0 hull cp c1:/tmp/kept "$BATS_TEST_TMPDIR/kept"
	[ "$(cat "$BATS_TEST_TMPDIR/kept")" = in ]
	# Errors as Docker's.
	run -1 hull cp "$BATS_TEST_TMPDIR/f1" "$BATS_TEST_TMPDIR/f2"
	[[ "$output" == *"must specify at least one container source"* ]]
	run -1 hull cp c1:/a c1:/b
	[[ "$output" == *"copying between containers is not supported"* ]]
	run -1 hull cp c1:/nonexistent "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"Could not find the file /nonexistent"* ]]
	run -1 hull cp c1:/data "$BATS_TEST_TMPDIR/f1"
	[[ "$output" == *"cannot copy a directory to a file"* ]]
	run -1 hull cp nosuch:/a "$BATS_TEST_TMPDIR/x"
	[[ "$output" == *"No such container: nosuch"* ]]
}

@test "cp: tar streams both ways with -, and a stopped container" {
	cp_image
	run -0 hull create --name c2 cpimage true
	remember "$output"
	mkdir -p "$BATS_TEST_TMPDIR/t/dir"
	echo one >"$BATS_TEST_TMPDIR/t/dir/one"
	ln "$BATS_TEST_TMPDIR/t/dir/one" "$BATS_TEST_TMPDIR/t/dir/hard"
	tar -C "$BATS_TEST_TMPDIR/t" -cf - dir | hull cp - c2:/tmp
	hull cp c2:/tmp/dir - >"$BATS_TEST_TMPDIR/out.tar"
	run -0 tar -tvf "$BATS_TEST_TMPDIR/out.tar"
	[[ "$output" == *"dir/one"* ]]
	[[ "$output" == *"dir/hard link to dir/one"* || "$output" == *"dir/one link to dir/hard"* ]]
	mkdir "$BATS_TEST_TMPDIR/x"
	tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/out.tar"
	[ "$(cat "$BATS_TEST_TMPDIR/x/dir/one")" = one ]
	# A stream naming ".." is refused, and nothing lands outside.
	python3 - "$BATS_TEST_TMPDIR/evil.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as t:
		    i = tarfile.TarInfo("../../../../../../tmp/hull-cp-evil"); i.size = 4
		    t.addfile(i, io.BytesIO(b"evil"))
	PY
	run ! hull cp - c2:/tmp <"$BATS_TEST_TMPDIR/evil.tar"
	[[ "$output" == *"refusing tar entry"* ]]
	[ ! -e /tmp/hull-cp-evil ]
	run -1 hull cp - c2:/tmp/dir/one <"$BATS_TEST_TMPDIR/out.tar"
	[[ "$output" == *"must be a directory"* ]]
}

# The container swaps /w/d (a directory) with /w/l (a symlink to "/") as fast as it can
# while cp copies /w/d/canary out and a file into /w/d; cp must only ever touch the
# container's files: the host's canary is never read and the host's /w/d is never written.
@test "cp: symlink-exchange race (CVE-2018-15664) reads and writes nothing outside the rootfs" {
	cp_image
	hostdir="$BATS_TEST_TMPDIR/hostw"
	mkdir -p "$hostdir/d"
	echo HOST-SECRET >"$hostdir/d/canary"
	# The link points at the host's copy of the same path: followed on the host it would
	# reach $hostdir/d.
	run -0 hull run -d --name racer cpimage sh -c "mkdir -p /w/d '$hostdir' && echo container >/w/d/canary && ln -s '$hostdir' /w/l.tmp && mv /w/l.tmp /w/x && ln -s '$hostdir/d' /w/l && exec /payload exchange-race /w/d /w/l"
	remember "$output"
	retry 30 hull cp racer:/w/x "$BATS_TEST_TMPDIR/started"
	echo payload >"$BATS_TEST_TMPDIR/in"
	for i in $(seq 1 300); do
		rm -f "$BATS_TEST_TMPDIR/got"
		if hull cp racer:/w/d/canary "$BATS_TEST_TMPDIR/got" 2>/dev/null; then
			run ! grep -q HOST-SECRET "$BATS_TEST_TMPDIR/got"
		fi
		hull cp "$BATS_TEST_TMPDIR/in" racer:/w/d/written 2>/dev/null || true
	done
	[ ! -e "$hostdir/d/written" ]
	[ "$(cat "$hostdir/d/canary")" = HOST-SECRET ]
	# The race really ran: the swapper is still swapping.
	run -0 hull inspect -f '{{.State.Status}}' racer
	[ "$output" = running ]
}

# CVE-2019-14271: docker cp ran a helper chrooted into the container, which resolved names
# with the container's libnss_*.so. The image here plants libraries whose constructor
# leaves a marker (at $BATS_FILE_TMPDIR/nss-pwned, a directory that exists on the host and
# in the image) and prints NSS-PWNED, under every name and directory the loader would try,
# and an nsswitch.conf that asks for them; a dynamic getent in the image shows they do run
# when a process looks a name up inside the container.
_nss_fill() {
	local d=$1 dir lib
	busybox_rootfs_copy "$d" || return 1
	mkdir -p "$d$BATS_FILE_TMPDIR"
	cp /usr/bin/getent "$d/usr/bin/getent"
	for lib in $(ldd /usr/bin/getent | grep -o '/[^ ]*'); do
		mkdir -p "$d$(dirname "$lib")"
		cp -L "$lib" "$d$lib"
	done
	cat >"$BATS_FILE_TMPDIR/evil.c" <<-C
		#include <fcntl.h>
		#include <unistd.h>
		__attribute__((constructor)) static void pwn(void) {
		  int fd = open("$BATS_FILE_TMPDIR/nss-pwned", O_WRONLY | O_CREAT, 0644);
		  if (fd >= 0)
		    close(fd);
		  (void)!write(2, "NSS-PWNED\n", 10);
		}
	C
	gcc -shared -fPIC -o "$BATS_FILE_TMPDIR/evil.so" "$BATS_FILE_TMPDIR/evil.c" || return 1
	for dir in /lib /lib64 /usr/lib /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
		mkdir -p "$d$dir"
		for lib in files compat evil; do
			cp "$BATS_FILE_TMPDIR/evil.so" "$d$dir/libnss_$lib.so.2"
		done
	done
	printf 'passwd: evil files\ngroup: evil files\nshadow: evil files\nhosts: evil files\n' >"$d/etc/nsswitch.conf"
}

@test "cp: CVE-2019-14271: no library of the container is loaded by hull cp, either way, with -a and named owners" {
	busybox_image
	build_image nssimage _nss_fill
	marker=$BATS_FILE_TMPDIR/nss-pwned
	rm -f "$marker"
	run -0 hull run -d --name n1 nssimage sh -c 'mkdir -p /data && echo x >/data/f && chown www:extra /data/f && sleep 1000'
	remember "$output"
	retry 30 hull cp n1:/data/f "$BATS_TEST_TMPDIR/ready"
	# Positive control: a name lookup in the container runs the planted code (there).
	run -0 hull exec n1 getent passwd www
	[[ "$output" == *NSS-PWNED* ]]
	run -0 hull exec n1 sh -c "test -e '$marker' && rm '$marker'"
	[ ! -e "$marker" ]
	# Out of the container: a file owned by named users, with and without -a, a directory,
	# the tar stream; into it: a file owned by a host user with a name, with -a.
	run -0 hull cp -a n1:/data/f "$BATS_TEST_TMPDIR/fa"
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/fa")" = 33:500 ]
	run -0 hull cp n1:/data "$BATS_TEST_TMPDIR/d"
	run -0 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' cp n1:/etc - >'$BATS_TEST_TMPDIR/etc.tar'"
	[[ "$output" != *NSS-PWNED* ]]
	tar -tf "$BATS_TEST_TMPDIR/etc.tar" | grep -qx etc/nsswitch.conf
	run -0 hull cp -L n1:/etc/passwd "$BATS_TEST_TMPDIR/p"
	echo in >"$BATS_TEST_TMPDIR/in"
	chown daemon:daemon "$BATS_TEST_TMPDIR/in"
	run -0 hull cp -a "$BATS_TEST_TMPDIR/in" n1:/data/in
	run -0 hull cp "$BATS_TEST_TMPDIR/in" n1:/data/in2
	run -0 sh -c "tar -C '$BATS_TEST_TMPDIR' -cf - in | '$HULL' --root '$STORE' --runroot '$RUNROOT' cp - n1:/tmp"
	[[ "$output" != *NSS-PWNED* ]]
	# And a stopped container (its rootfs mounted by cp itself).
	run -0 hull stop -t 0 n1
	run -0 hull cp -a n1:/data/f "$BATS_TEST_TMPDIR/fb"
	run -0 hull cp -a "$BATS_TEST_TMPDIR/in" n1:/data/in3
	# Nothing ran: no marker on the host nor in the container, no line from the constructor.
	[ ! -e "$marker" ]
	run -0 hull start n1
	run -0 hull exec n1 sh -c "[ ! -e '$marker' ] && stat -c %u:%g /data/in /data/in2 /data/in3 /tmp/in"
	# -a keeps the numeric owner; without it (a tar stream too) the container's root owns it, as Docker's.
	[ "$(echo $output)" = "$(id -u daemon):$(id -g daemon) 0:0 $(id -u daemon):$(id -g daemon) 0:0" ]
	run -0 hull rm -f n1
}
