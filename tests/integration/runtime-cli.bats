#!/usr/bin/env bats
# The command line itself: --version, help, spec, features, --log/--log-format, --root,
# argument checking.

load lib/common

@test "--version prints exactly 3 lines: version, commit, spec" {
	requires_hull "runc prints 5 lines (adds go and libseccomp versions)"
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *version* ]]
	grep -Eq '^spec: [0-9]+\.[0-9]+\.[0-9]+' <<<"$output"
}

@test "--version and -v succeed and name a version" {
	run "$RUNTIME" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *version* ]]
	run "$RUNTIME" -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *version* ]]
}

@test "--help lists the OCI commands" {
	run "$RUNTIME" --help
	[ "$status" -eq 0 ]
	for c in create start run exec kill delete state list ps spec features pause resume; do
		grep -Eq "^\s+$c\b" <<<"$output" || {
			echo "missing command $c"
			false
		}
	done
}

@test "an unknown command fails" {
	run "$RUNTIME" no-such-command
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-command* ]]
}

@test "commands that need an id fail without one" {
	for c in create start state kill delete ps pause resume; do
		run rt "$c" </dev/null
		echo "$c: $status $output"
		[ "$status" -ne 0 ]
	done
}

@test "spec writes a valid config.json into the current directory" {
	dir="$BATS_TEST_TMPDIR/spec"
	mkdir -p "$dir"
	cd "$dir"
	run "$RUNTIME" spec
	[ "$status" -eq 0 ]
	jq -e '(.ociVersion | test("^1\\.")) and .root.path == "rootfs" and (.process.args | length) > 0
		and (.process.cwd == "/") and ([.linux.namespaces[].type] | index("mount") != null)
		and ([.mounts[].destination] | index("/proc") != null)' config.json
}

@test "spec does not overwrite an existing config.json" {
	dir="$BATS_TEST_TMPDIR/spec"
	mkdir -p "$dir"
	echo '{"keep": true}' >"$dir/config.json"
	cd "$dir"
	run "$RUNTIME" spec
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
	jq -e '.keep == true' config.json
}

@test "spec --bundle DIR writes DIR/config.json" {
	dir="$BATS_TEST_TMPDIR/spec-bundle"
	mkdir -p "$dir"
	cd /
	run "$RUNTIME" spec --bundle "$dir"
	[ "$status" -eq 0 ]
	jq -e '.root.path == "rootfs"' "$dir/config.json"
	[ ! -e /config.json ]
}

@test "spec --rootless adds a user namespace mapping the current user" {
	dir="$BATS_TEST_TMPDIR/spec-rootless"
	mkdir -p "$dir"
	run "$RUNTIME" spec --rootless --bundle "$dir"
	[ "$status" -eq 0 ]
	jq -e --argjson uid "$(id -u)" --argjson gid "$(id -g)" '
		([.linux.namespaces[].type] | index("user") != null)
		and ([.linux.namespaces[].type] | index("network") == null)
		and .linux.uidMappings == [{"containerID": 0, "hostID": $uid, "size": 1}]
		and .linux.gidMappings == [{"containerID": 0, "hostID": $gid, "size": 1}]' "$dir/config.json"
}

@test "the spec output runs as is (with terminal off)" {
	dir="$BATS_TEST_TMPDIR/spec-run"
	mkdir -p "$dir"
	"$RUNTIME" spec --bundle "$dir"
	CONFIG="$dir/config.json" update_config '.process.terminal = false | .process.args = ["/payload", "echo", "spec ok"]
		| .root.path = $r' --arg r "$BUNDLE/rootfs"
	run rt run --bundle "$dir" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "spec ok" ]
}

@test "features prints JSON with ociVersionMin and ociVersionMax" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '(.ociVersionMin | test("^1\\.0\\.")) and (.ociVersionMax | test("^1\\."))'
	echo "$output" | jq -e '.hooks | index("prestart") != null and index("poststop") != null'
	echo "$output" | jq -e '.linux.namespaces | index("pid") != null and index("user") != null'
	echo "$output" | jq -e '.mountOptions | index("nosuid") != null and index("rbind") != null'
}

@test "--log FILE --log-format json writes JSON lines with level, msg, time on an error" {
	log="$BATS_TEST_TMPDIR/runtime.log"
	run "$RUNTIME" --root "$STATE_ROOT" --log "$log" --log-format json state "$CID-missing"
	[ "$status" -ne 0 ]
	[ -s "$log" ]
	cat "$log"
	# Every line is a JSON object; one of them is the error.
	jq -e -s 'length > 0 and all(has("level") and has("msg") and has("time"))' "$log"
	jq -e -s 'any(.level == "error")' "$log"
}

@test "--log-format text (the default) also writes the error to the log" {
	log="$BATS_TEST_TMPDIR/runtime.log"
	run "$RUNTIME" --root "$STATE_ROOT" --log "$log" state "$CID-missing"
	[ "$status" -ne 0 ]
	grep -q 'level=error' "$log"
}

@test "--log FILE is appended to, and successful commands accept the flags" {
	log="$BATS_TEST_TMPDIR/runtime.log"
	echo '{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}' >"$log"
	run "$RUNTIME" --root "$STATE_ROOT" --log "$log" --log-format json list
	[ "$status" -eq 0 ]
	run "$RUNTIME" --root "$STATE_ROOT" --log "$log" --log-format json state "$CID-missing"
	[ "$(head -1 "$log")" = '{"level":"info","msg":"earlier","time":"2020-01-01T00:00:00Z"}' ]
	[ "$(wc -l <"$log")" -ge 2 ]
}

@test "a bad --log-format is rejected" {
	run "$RUNTIME" --root "$STATE_ROOT" --log-format yaml list
	[ "$status" -ne 0 ]
	[[ "$output" == *yaml* ]]
}

@test "--root that does not exist yet is created on use" {
	root="$BATS_TEST_TMPDIR/new-root/deeper"
	payload true
	run "$RUNTIME" --root "$root" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ -d "$root" ]
	run "$RUNTIME" --root "$root" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "--debug is accepted" {
	run "$RUNTIME" --root "$STATE_ROOT" --debug list
	[ "$status" -eq 0 ]
}

@test "global flags work before the command; the bundle defaults to the cwd" {
	payload echo from-cwd-bundle
	cd "$BUNDLE"
	run "$RUNTIME" --root "$STATE_ROOT" run "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = from-cwd-bundle ]
}

@test "state of a missing container: error, status 1" {
	run rt state "$CID-missing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"does not exist"* || "$output" == *"not found"* ]]
}

@test "errors about a missing container name it" {
	requires_hull "runc says only 'container does not exist'"
	for c in state start delete kill ps pause resume; do
		run rt "$c" "$CID-missing"
		echo "$c: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$CID-missing"* ]]
	done
}

@test "features: apparmor and selinux are supported (as in runc: built in, whatever the host has)" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.linux.apparmor.enabled == true and .linux.selinux.enabled == true'
}
