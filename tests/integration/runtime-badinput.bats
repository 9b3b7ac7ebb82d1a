#!/usr/bin/env bats
# Bad input: every case fails with a non-zero status, says what is wrong (naming the id,
# path or field), and leaves nothing behind (teardown checks state dir, cgroups, mounts).

load lib/common

# fails_cleanly ID: the last `run` failed and no state was left for ID.
fails_cleanly() {
	echo "status=$status output=$output"
	[ "$status" -ne 0 ]
	[ ! -e "$STATE_ROOT/$1" ]
	! rt state "$1" >/dev/null 2>&1
}

@test "malformed config.json" {
	echo '{ "ociVersion": "1.0.2", not json' >"$BUNDLE/config.json"
	run rt_run "$CID"
	fails_cleanly "$CID"
	run rt_create "$CID"
	fails_cleanly "$CID"
}

@test "malformed config.json: the error names config.json" {
	requires_hull "runc prints only the JSON decoder's message"
	echo '{ "ociVersion": "1.0.2", not json' >"$BUNDLE/config.json"
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *config.json* ]]
}

@test "missing config.json names it" {
	rm "$BUNDLE/config.json"
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *config.json* ]]
}

@test "a field of the wrong type names the field" {
	update_config '.process.args = "/payload true"'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *args* ]]
}

@test "empty or missing process.args" {
	update_config '.process.args = []'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *args* ]]
	update_config 'del(.process.args)'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *args* ]]
}

@test "missing process or root" {
	update_config 'del(.process)'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *process* ]]
	cp "$SPEC_TEMPLATE/config.json" "$BUNDLE/config.json"
	update_config 'del(.root)'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *root* ]]
}

@test "ociVersion 2.0.0 is rejected, naming ociVersion" {
	requires_hull "runc 1.1.5 accepts any ociVersion"
	update_config '.ociVersion = "2.0.0"'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *ociVersion* || "$output" == *2.0.0* ]]
}

@test "ociVersion 1.x newer than the runtime's is accepted" {
	update_config '.ociVersion = "1.9.0"'
	run rt_run "$CID"
	[ "$status" -eq 0 ]
}

@test "unknown properties and annotations are ignored" {
	update_config '.hullNoSuchProperty = {"x": [1, 2]} | .process.hullUnknown = true
		| .annotations = {"org.example.key": "value"}'
	payload echo ok
	run rt_run "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "missing rootfs directory names the path" {
	update_config '.root.path = "/nonexistent-hull-rootfs"'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */nonexistent-hull-rootfs* ]]
}

@test "missing bundle directory names the path" {
	run rt create --bundle "$BATS_TEST_TMPDIR/no-such-bundle" "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *no-such-bundle* ]]
}

@test "bad signal name names the signal" {
	payload sleep forever
	run_detached "$CID"
	run rt kill "$CID" SIGHULLBOGUS
	[ "$status" -ne 0 ]
	[[ "$output" == *SIGHULLBOGUS* ]]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "bad container ids are rejected and nothing is created outside the state dir" {
	long=$(printf 'a%.0s' $(seq 1024))
	for id in '../hull-escape' '' 'a/b' '.' '..' 'has space' 'x:y' "$long"; do
		run rt_create "$id"
		echo "id '${id:0:30}': status=$status ${output:0:200}"
		[ "$status" -ne 0 ]
	done
	[ ! -e "$BATS_FILE_TMPDIR/hull-escape" ]
	[ ! -e "$STATE_ROOT/a" ]
	[ -z "$(state_left)" ]
}

@test "bad container ids: the error names the id" {
	requires_hull "runc says only 'invalid container ID format'"
	for id in '../hull-escape' 'a/b' 'has space'; do
		run rt_create "$id"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$id"* ]]
	done
}

@test "a good id with every allowed character works" {
	payload true
	run rt_run "$CID-Az09_.-x"
	[ "$status" -eq 0 ]
}

@test "a busy id: create fails and the existing container is untouched" {
	payload sleep forever
	run_detached "$CID"
	pid=$(container_pid "$CID")
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *exist* ]]
	[ "$(container_pid "$CID")" = "$pid" ]
	[ "$(state_field "$CID" .status)" = running ]
}

@test "a busy id: the error names the id" {
	requires_hull "runc says 'container with given ID already exists'"
	payload sleep forever
	run_detached "$CID"
	run rt_create "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$CID"* ]]
}

@test "a missing binary in the container: create and run fail naming the path" {
	set_args /no/such/hull-binary
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */no/such/hull-binary* ]]
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */no/such/hull-binary* ]]
}

@test "a binary not found in PATH names it" {
	set_args no-such-hull-command
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *no-such-hull-command* ]]
}

# run executes the process through hull-exec, and the final state.json is written aside while
# the init execs, then renamed into place (container.c, record): an execve that fails in
# hull-exec (ENOEXEC passes the lookup the init makes) must leave neither the container nor
# that temporary, and a run that succeeds must leave no temporary either.
@test "run: an execve that fails in hull-exec leaves nothing, not even the state written aside" {
	requires_hull "hull-exec and the state written aside are hull's"
	printf 'not a program\n' >"$BUNDLE/rootfs/not-a-program"
	chmod 0755 "$BUNDLE/rootfs/not-a-program"
	set_args /not-a-program
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *"not-a-program"*"Exec format error"* ]]
	[ -z "$(state_left)" ]
	payload sleep forever
	run_detached "$CID"
	[ "$(rt state "$CID" | jq -r .status)" = running ]
	[ -z "$(find "$STATE_ROOT/$CID" -name '.state.json.*')" ]
}

@test "a file that is not executable names it" {
	set_args /etc/passwd
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */etc/passwd* ]]
}

@test "a cwd that is not a directory names it" {
	update_config '.process.cwd = "/payload"'
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */payload* ]]
}

@test "a relative cwd is rejected" {
	update_config '.process.cwd = "relative/dir"'
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *relative/dir* || "$output" == *[Cc]wd* ]]
}

@test "an unknown mount type fails and names the mount" {
	add_mount '{"destination": "/mnt/hullbad", "type": "hullnosuchfs", "source": "none"}'
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == */mnt/hullbad* ]]
}

@test "a failed create leaves no process behind" {
	set_args /no/such/hull-binary
	before=$(pgrep -c -f "$CID" || true)
	run rt_create "$CID"
	fails_cleanly "$CID"
	sleep 0.2
	[ "$(pgrep -c -f "$CID" || true)" = "$before" ]
}

# Security bad input (docs/security.md): refused before anything is created, naming
# the field and the value (an unknown capability: runtime-process.bats).
@test "an unknown syscall name in a deny rule names it" {
	requires_hull "runc skips unknown syscall names, even in deny rules"
	update_config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["hull_nope"],"action":"SCMP_ACT_ERRNO"}]}'
	run rt_run "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *'linux.seccomp.syscalls[0].names[0]'*hull_nope* ]]
}

@test "an unknown syscall name in an allow rule is skipped" {
	# The default action (LOG) is not the rule's (ALLOW), so the rule is compiled.
	update_config '.linux.seccomp = {"defaultAction":"SCMP_ACT_LOG","syscalls":[{"names":["hull_nope","getpid"],"action":"SCMP_ACT_ALLOW"}]}'
	run rt_run "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "an architecture the host cannot run names it" {
	update_config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_S390X"]}'
	run rt_run "$CID"
	fails_cleanly "$CID"
	if is_hull; then
		[[ "$output" == *'linux.seccomp.architectures[0]'*SCMP_ARCH_S390X* ]]
	fi
}

@test "a seccomp profile that would stop the runtime itself is refused before create" {
	requires_hull "runc creates the container and fails at execve"
	update_config '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["execve"],"action":"SCMP_ACT_KILL"}]}'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *'linux.seccomp'*execve*SCMP_ACT_KILL* ]]
	update_config '.process.noNewPrivileges = false | .linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["capset"],"action":"SCMP_ACT_ERRNO"}]}'
	run rt_create "$CID"
	fails_cleanly "$CID"
	[[ "$output" == *capset*noNewPrivileges* ]]
}
