#!/usr/bin/env bats
# hull commit, diff, export, top and run --init (issue 15), end to end with Docker's output.
# Run as root: bats tests/integration/engine-commit.bats

bats_require_minimum_version 1.5.0
load lib/engine

# Starts the detached container c1 that adds /etc/new, deletes /etc/passwd, makes /tmp/d and
# sleeps; returns once its changes are made.
changed_container() {
	busybox_image
	run -0 hull run -d --name c1 busybox sh -c 'echo new >/etc/new; rm /etc/passwd; mkdir /tmp/d; touch /tmp/ready; sleep 1000'
	remember "$output"
	retry 50 hull exec c1 cat /tmp/ready
}

@test "commit: a running container's change becomes an image that runs; the container keeps running" {
	changed_container
	run -0 hull commit c1 mine:v1
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	id=$output
	# --pause (the default) froze it for the commit and thawed it.
	run -0 hull inspect -f '{{.State.Status}}' c1
	[ "$output" = running ]
	run -0 hull images -q --no-trunc mine:v1
	[ "$output" = "$id" ]
	run -0 hull run --rm mine:v1 cat /etc/new
	[ "$output" = new ]
	run -1 hull run --rm mine:v1 cat /etc/passwd
	run -0 hull run --rm mine:v1 ls -d /tmp/d
	# --pause=false: no freeze; the image id is printed as well.
	run -0 hull commit --pause=false c1
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 hull rm -f c1
}

@test "commit -c CMD/ENV, -a, -m of a stopped container" {
	busybox_image
	run -0 hull run --name c2 busybox sh -c 'echo stopped >/f'
	remember "$(hull inspect -f '{{.Id}}' c2)"
	run -0 hull commit -c 'CMD ["cat", "/f"]' -c 'ENV FOO=bar' -a 'Jane <j@x>' -m 'my change' c2 mine:v2
	run -0 hull run --rm mine:v2
	[ "$output" = stopped ]
	run -0 hull run --rm mine:v2 sh -c 'echo $FOO'
	[ "$output" = bar ]
	run -0 hull image inspect -f '{{.Author}}|{{.Comment}}' mine:v2
	[ "$output" = "Jane <j@x>|my change" ]
	run -0 hull rm c2
}

@test "diff: Docker's A, C and D lines, for a running and a stopped container" {
	changed_container
	run -0 hull diff c1
	[[ "$output" == *$'C /etc\n'* ]]
	[[ "$output" == *$'A /etc/new\n'* ]]
	[[ "$output" == *$'D /etc/passwd\n'* ]]
	[[ "$output" == *$'C /tmp\n'* ]]
	[[ "$output" == *$'A /tmp/d\n'* ]]
	# Nothing else: not the mount points hull added (/dev, /proc, /sys are not in this image;
	# /etc/hostname, hosts, resolv.conf), which Docker's init layer hides.
	[ "$output" = $'C /etc\nA /etc/new\nD /etc/passwd\nC /tmp\nA /tmp/d\nA /tmp/ready' ]
	running=$output
	run -0 hull stop -t 1 c1
	run -0 hull diff c1
	[ "$output" = "$running" ]
	run -0 hull container diff c1
	[ "$output" = "$running" ]
	run -0 hull run -d --name fresh busybox sleep 1000
	remember "$output"
	run -0 hull diff fresh
	[ -z "$output" ]
	run -0 hull rm -f fresh
	run -0 hull rm c1
}

@test "export: a tar of the container's filesystem to stdout or -o; a terminal is refused" {
	changed_container
	hull export c1 >"$BATS_TEST_TMPDIR/c1.tar"
	run -0 tar tf "$BATS_TEST_TMPDIR/c1.tar"
	[[ "$output" == *$'\netc/new\n'* ]]
	[[ "$output" == *$'\nbin/busybox\n'* ]]
	[[ "$output" != *"etc/passwd"* ]]
	[ "$(tar xOf "$BATS_TEST_TMPDIR/c1.tar" etc/new)" = new ]
	run -0 hull stop -t 1 c1
	run -0 hull export -o "$BATS_TEST_TMPDIR/stopped.tar" c1
	[ -z "$output" ]
	[ "$(tar xOf "$BATS_TEST_TMPDIR/stopped.tar" etc/new)" = new ]
	# Docker's refusal of a terminal stdout (script gives the command one).
	run -0 script -qec "nsenter --net=/run/netns/$HOSTNS $HULL --root $STORE --runroot $RUNROOT export c1; echo rc=\$?" /dev/null
	[[ "$output" == *"cowardly refusing to save to a terminal. Use the -o flag or redirect"* ]]
	[[ "$output" == *"rc=1"* ]]
	run -0 hull rm c1
}

@test "commit: a deleted file is a whiteout in the new layer" {
	changed_container
	run -0 hull commit c1 mine:wh
	run -0 hull save -o "$BATS_TEST_TMPDIR/save.tar" mine:wh
	mkdir "$BATS_TEST_TMPDIR/x"
	tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/save.tar"
	layer=$(jq -r '.[0].Layers[-1]' "$BATS_TEST_TMPDIR/x/manifest.json")
	run -0 tar tf "$BATS_TEST_TMPDIR/x/$layer"
	[[ "$output" == *"etc/.wh.passwd"* ]]
	[[ "$output" == *"etc/new"* ]]
	run -0 hull rm -f c1
}

@test "commit of a container whose image lost its tag" {
	busybox_image
	run -0 hull run --name c3 busybox sh -c 'echo kept >/kept'
	remember "$(hull inspect -f '{{.Id}}' c3)"
	# Another image takes the name: the container's image is now untagged.
	mkdir "$BATS_TEST_TMPDIR/other"
	echo other >"$BATS_TEST_TMPDIR/other/marker"
	tar -C "$BATS_TEST_TMPDIR/other" -cf "$BATS_TEST_TMPDIR/other.tar" .
	hull import "$BATS_TEST_TMPDIR/other.tar" busybox >/dev/null
	run -0 hull images --filter dangling=true -q
	[ -n "$output" ]
	run -0 hull commit c3 fromuntagged
	run -0 hull run --rm fromuntagged cat /kept
	[ "$output" = kept ]
	run -0 hull rm c3
}

@test "commit, diff, export, top: bad input exits 1 with Docker's words" {
	busybox_image
	for cmd in commit diff export top; do
		run -1 hull "$cmd" nope
		[ "$output" = "Error: No such container: nope" ]
	done
	run -1 hull commit
	[[ "$output" == *'"hull commit" requires at least 1 and at most 2 arguments.'* ]]
	run -125 hull commit --pause=maybe x
	run -0 hull create --name idle busybox true
	remember "$output"
	run -1 hull top idle
	[[ "$output" == "Error: Container "*" is not running" ]]
	run -0 hull rm idle
}

@test "top: ps -ef of the container's processes on the host, and ps options" {
	busybox_image
	run -0 hull run -d --name t1 busybox sh -c 'sleep 1000 & sleep 2000; echo done'
	remember "$output"
	retry 50 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' top t1 | grep -q 'sleep 2000'"
	run -0 hull top t1
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
	[ "${#lines[@]}" -eq 4 ]
	[[ "$output" == *"sleep 1000"* && "$output" == *"sleep 2000"* && "$output" == *"sh -c sleep 1000 & sleep 2000; echo done"* ]]
	# Only the container's processes: not this test's own shell.
	[[ "$output" != *"bats"* ]]
	pid=$(hull inspect -f '{{.State.Pid}}' t1)
	run -0 hull top t1 -o pid,comm
	[[ "${lines[0]}" =~ ^PID\ +COMMAND$ ]]
	[[ "$output" == *$'\n'"$pid"*" sh"* ]]
	run -1 hull top t1 -o comm
	[ "$output" = "Error: Couldn't find PID field in ps output" ]
	run -0 hull rm -f t1
}

@test "run --init: pid 1 is hull-init, the exit status passes through, SIGTERM reaches the command" {
	busybox_image
	run -0 hull run --rm --init busybox ps -o pid,args
	[ "${lines[1]}" = "    1 /sbin/hull-init -- ps -o pid,args" ]
	[ "${lines[2]}" = "    2 ps -o pid,args" ]
	run -0 hull run --rm --init busybox sh -c 'echo $$'
	[ "$output" = 2 ]
	run -7 hull run --rm --init busybox sh -c 'exit 7'
	run -0 hull run --rm busybox ps -o pid,args
	[ "${lines[1]}" = "    1 ps -o pid,args" ]
	run -0 hull run -d --init --name i1 busybox sh -c 'trap "echo got-term; exit 3" TERM; touch /tmp/ready; while :; do sleep 0.1; done'
	remember "$output"
	retry 50 hull exec i1 cat /tmp/ready
	run -0 hull stop -t 10 i1
	run -0 hull inspect -f '{{.State.ExitCode}}' i1
	[ "$output" = 3 ]
	run -0 hull logs i1
	[ "$output" = got-term ]
	run -0 hull rm i1
}

@test "run --init: orphaned zombies are reaped" {
	busybox_image
	# The subshell exits at once: its sleep is re-parented to pid 1, which must reap it
	# when it ends. The command itself never waits for anything.
	run -0 hull run -d --init --name z1 busybox sh -c '(sleep 0.2 &); exec sleep 1000'
	remember "$output"
	pid=$(hull inspect -f '{{.State.Pid}}' z1)
	sleep 1
	# The children of the container's pid 1 on the host: the command, and no zombie.
	run -0 ps -o stat=,comm= --ppid "$pid"
	[[ "$output" == *sleep* ]]
	[[ "$output" != Z* && "$output" != *$'\nZ'* ]]
	run -0 hull rm -f z1
}

@test "system df: containers by their writable layers (running ones not reclaimable), volumes by their data" {
	busybox_image
	run -0 hull system df
	[[ "${lines[2]}" =~ ^Containers\ +0\ +0\ +0B\ +0B$ ]]
	[[ "${lines[3]}" =~ ^Local\ Volumes\ +0\ +0\ +0B\ +0B$ ]]
	run -0 hull run -d --name up busybox sh -c 'head -c 300000 /dev/zero >/big; touch /ready; sleep 1000'
	remember "$output"
	retry 50 hull exec up cat /ready
	run -0 hull volume create v1
	run -0 hull run --name down -v v1:/data busybox sh -c 'head -c 200000 /dev/zero >/data/f; head -c 100000 /dev/zero >/x'
	remember "$(hull inspect -f '{{.Id}}' down)"
	run -0 hull volume create v2
	run -0 hull system df
	# Docker's words: 400kB written, the exited container's 100kB reclaimable (25%).
	[[ "${lines[2]}" =~ ^Containers\ +2\ +1\ +40[0-9]kB\ +10[0-9]kB\ \(2[0-9]%\)$ ]]
	# v1 is used by a container (also a stopped one), v2 by none and empty.
	[[ "${lines[3]}" =~ ^Local\ Volumes\ +2\ +1\ +20[0-9]kB\ +0B\ \(0%\)$ ]]
	# -v: Docker's table per kind. An image committed from "down" shares busybox's layers:
	# busybox's whole size is shared, the new image's own layer (the 100kB file) unique.
	run -0 hull commit down snap
	run -0 hull system df -v
	out=$output
	[[ "$out" == "Images space usage:"$'\n\n'"REPOSITORY "* ]]
	grep -Eq '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$' <<<"$out"
	bsize=$(grep -E '^busybox ' <<<"$out" | awk '{print $(NF-3)}')
	grep -Eq "^busybox +latest +[0-9a-f]{12} +.* ago +$bsize +$bsize +0B +2$" <<<"$out"
	grep -Eq "^snap +latest +[0-9a-f]{12} +.* ago +[0-9.]+[kM]B +$bsize +10[0-9]kB +0$" <<<"$out"
	grep -Eq '^CONTAINER ID +IMAGE +COMMAND +LOCAL VOLUMES +SIZE +CREATED +STATUS +NAMES$' <<<"$out"
	grep -Eq '^[0-9a-f]{12} +busybox +"sh -c .*…" +0 +30[0-9]kB +.* ago +Up .* +up$' <<<"$out"
	grep -Eq '^[0-9a-f]{12} +busybox +"sh -c .*…" +1 +10[0-9]kB +.* ago +Exited \(0\) .* ago +down$' <<<"$out"
	[[ "$out" == *$'\n\nLocal Volumes space usage:\n\n'* ]]
	grep -Eq '^VOLUME NAME +LINKS +SIZE$' <<<"$out"
	grep -Eq '^v1 +1 +20[0-9]kB$' <<<"$out"
	grep -Eq '^v2 +0 +0B$' <<<"$out"
	[[ "$out" == *$'\n\nBuild cache usage: 0B\n\nCACHE ID'* ]]
	run -0 hull rm -f up down
	run -0 hull rmi snap
	run -0 hull volume rm v1 v2
}

# The container's freezer state as the host sees it: FROZEN, FREEZING or THAWED (cgroup v1's
# words; on cgroup v2, cgroup.events' "frozen 1" is FROZEN).
freezer_state() {
	local id=$1
	if [ -f "/sys/fs/cgroup/freezer/hull/$id/freezer.state" ]; then
		cat "/sys/fs/cgroup/freezer/hull/$id/freezer.state"
	elif [ -f "/sys/fs/cgroup/hull/$id/cgroup.events" ]; then
		grep -q '^frozen 1' "/sys/fs/cgroup/hull/$id/cgroup.events" && echo FROZEN || echo THAWED
	else
		echo NONE
	fi
}

@test "commit --pause: the container is frozen while the commit runs (Docker's default) and thawed after; --pause=false does not freeze it" {
	busybox_image
	# 64 MiB of random bytes in the upper directory make the commit take a while; then a
	# line is appended to a counter file every 5 ms.
	run -0 hull run -d --name c1 busybox sh -c 'head -c 67108864 /dev/urandom >/big; touch /tmp/ready; while :; do echo x >>/tmp/count; sleep 0.005; done'
	remember "$output"
	id=$(hull inspect -f '{{.Id}}' c1)
	retry 100 hull exec c1 cat /tmp/ready
	[ "$(freezer_state "$id")" != NONE ]
	for pause in true false; do
		states="$BATS_TEST_TMPDIR/states-$pause"
		: >"$states"
		hull commit --pause=$pause c1 "mine:$pause" >"$BATS_TEST_TMPDIR/commit.out" &
		commit=$!
		BG_PIDS+=("$commit")
		# The freezer state polled from the host for as long as the commit runs.
		while kill -0 "$commit" 2>/dev/null; do
			freezer_state "$id" >>"$states"
			sleep 0.01
		done
		wait "$commit"
		echo "pause=$pause: $(sort "$states" | uniq -c | tr '\n' ' ')"
		[ "$(freezer_state "$id")" = THAWED ]
		if [ $pause = true ]; then
			grep -qx FROZEN "$states"
		else
			[ -z "$(grep -v THAWED "$states")" ]
		fi
		# Running again: the counter moves.
		a=$(hull exec c1 wc -l /tmp/count | cut -d' ' -f1)
		sleep 0.2
		b=$(hull exec c1 wc -l /tmp/count | cut -d' ' -f1)
		[ "$b" -gt "$a" ]
		run -0 hull inspect -f '{{.State.Status}}' c1
		[ "$output" = running ]
	done
	run -0 hull rm -f c1
	run -0 hull rmi mine:true mine:false
}
