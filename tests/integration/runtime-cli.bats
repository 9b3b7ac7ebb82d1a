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

# ---------------------------------------------------------------------------
# help, man pages, completion; runc's and crun's flags (issue 20 §2, issue 11 §4)

ALL_COMMANDS="create start run state kill delete list ps exec pause resume update events spec features"

@test "every command's --help exits 0 and prints its usage; help and help COMMAND too" {
	for c in $ALL_COMMANDS; do
		run "$RUNTIME" "$c" --help
		echo "$c --help: $status"
		[ "$status" -eq 0 ]
		[[ "$output" == *"$c"* ]]
		run "$RUNTIME" help "$c"
		[ "$status" -eq 0 ]
		[[ "$output" == *"$c"* ]]
	done
	run "$RUNTIME" help
	[ "$status" -eq 0 ]
	[[ "$output" == *create* && "$output" == *exec* ]]
}

@test "-h after a command's operand belongs to the container's command, not to --help" {
	requires_hull "runc's exec passes it on as well, but its help text differs"
	run rt exec "$CID-missing" ls -h
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run rt exec "$CID-missing" ls --help
	[[ "$output" == *"does not exist"* ]]
}

# runc_flags CMD: the flags `runc CMD --help` (1.1) and `crun CMD --help` (1.8) list.
runc_flags() {
	case $1 in
	create) echo --bundle -b --console-socket --pid-file --no-pivot --no-new-keyring --preserve-fds --config -f --no-subreaper ;;
	run) echo --bundle -b --console-socket --detach -d --keep --pid-file --no-subreaper --no-pivot --no-new-keyring --preserve-fds --config -f ;;
	kill) echo --all -a --regex -r ;;
	delete) echo --force -f --regex -r ;;
	list) echo --format -f --quiet -q ;;
	ps) echo --format -f ;;
	exec) echo --console-socket --cwd --env -e --tty -t --user -u --additional-gids -g --process -p --detach -d \
		--pid-file --process-label --apparmor --no-new-privs --cap -c --preserve-fds --cgroup --ignore-paused ;;
	update) echo --resources -r --blkio-weight --cpu-period --cpu-quota --cpu-share --cpu-rt-period --cpu-rt-runtime \
		--cpuset-cpus --cpuset-mems --memory --memory-reservation --memory-swap --pids-limit --l3-cache-schema \
		--mem-bw-schema --kernel-memory --kernel-memory-tcp ;;
	events) echo --interval --stats ;;
	spec) echo --bundle -b --rootless --file -f ;;
	esac
}

@test "every flag runc and crun list for a command is in hull-runtime's --help and is accepted" {
	requires_hull "crun's flags (--config, --regex, spec --file) are not runc's"
	local c f help
	for c in $ALL_COMMANDS; do
		help=$("$RUNTIME" "$c" --help)
		for f in $(runc_flags "$c"); do
			if [[ $f == --* ]]; then
				grep -Eq -- "(^|[ ,])$f( |$)" <<<"$help" || {
					echo "$c --help does not list $f"
					false
				}
			else
				grep -Eq -- "^ +$f, --" <<<"$help" || {
					echo "$c --help does not list $f"
					false
				}
			fi
			# Accepted: whatever fails afterwards, it is not the option.
			run rt "$c" "$f" 1 "$CID-missing" </dev/null
			echo "$c $f: $output"
			[[ "$output" != *"unknown option"* ]]
		done
	done
}

@test "an unknown option is an error naming it (status 1); an unknown command exits 3, as runc" {
	run rt start --no-such-flag "$CID"
	[ "$status" -eq 1 ]
	[[ "$output" == *no-such-flag* ]]
	run rt list -Z
	[ "$status" -eq 1 ]
	[[ "$output" == *Z* ]]
	run rt no-such-command
	[ "$status" -eq 3 ]
	[[ "$output" == *no-such-command* ]]
}

@test "a flag hull-runtime cannot honour is refused, naming it" {
	requires_hull "runc implements these (or ignores them)"
	payload sleep 100
	run_detached "$CID"
	# exec --apparmor and --process-label are applied (runtime-exec.bats, tests/vm).
	run rt --rootless true list
	[ "$status" -ne 0 ]
	[[ "$output" == *"--rootless true"* ]]
	run rt --cgroup-manager disabled list
	[ "$status" -ne 0 ]
	[[ "$output" == *disabled* ]]
	run rt --criu /usr/sbin/criu list
	[ "$status" -ne 0 ]
	[[ "$output" == *--criu* ]]
	run rt update --l3-cache-schema L3:0=f "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *l3-cache-schema* ]]
	# The accepted-and-harmless cases stay accepted.
	run rt --rootless auto --cgroup-manager cgroupfs list -q
	[ "$status" -eq 0 ]
	run rt exec --apparmor= "$CID" /payload true
	[ "$status" -eq 0 ]
}

@test "help --man prints a man page for hull-runtime and each command that groff renders without warnings" {
	requires_hull "runc ships its man pages as markdown"
	command -v groff >/dev/null || skip "groff is not installed"
	for c in "" $ALL_COMMANDS help; do
		"$RUNTIME" help --man $c >"$BATS_TEST_TMPDIR/page.8"
		grep -q '^\.TH HULL\\-RUNTIME' "$BATS_TEST_TMPDIR/page.8"
		run groff -man -Tutf8 -ww -z "$BATS_TEST_TMPDIR/page.8"
		echo "page ${c:-hull-runtime}: $output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
	done
	# The man page and --help come from one table: every flag of --help is in the page.
	for f in $("$RUNTIME" exec --help | grep -oE -- '--[a-z-]+' | sort -u); do
		"$RUNTIME" help --man exec | grep -qF -- "${f//-/\\-}" || {
			echo "exec's man page lacks $f"
			false
		}
	done
}

@test "scripts/install.sh (make install) installs the binary, a man page per command and the bash completion" {
	requires_hull "hull's install"
	dest="$BATS_TEST_TMPDIR/prefix"
	build=$(dirname "$RUNTIME")
	run "$REPO_ROOT/scripts/install.sh" "$build" "$dest"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -x "$dest/bin/hull-runtime" ]
	[ -s "$dest/share/man/man8/hull-runtime.8" ]
	for c in $ALL_COMMANDS; do
		[ -s "$dest/share/man/man8/hull-runtime-$c.8" ]
	done
	if command -v man >/dev/null; then
		MANPATH="$dest/share/man" man -w hull-runtime-exec
	fi
	comp="$dest/share/bash-completion/completions/hull-runtime"
	# The completion: commands, a command's options, values of --format, container ids.
	payload sleep 100
	run_detached "$CID"
	run bash -c '
		source "$1"
		rt_bin=$2
		hull-runtime() { "$rt_bin" "$@"; }
		c() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _hull_runtime; echo "${COMPREPLY[*]}"; }
		c hull-runtime ex
		c hull-runtime exec --cw
		c hull-runtime list --format ""
		c hull-runtime --root "$3" kill ""
	' _ "$comp" "$RUNTIME" "$STATE_ROOT"
	echo "$output"
	[ "${lines[0]}" = exec ]
	[ "${lines[1]}" = --cwd ]
	[ "${lines[2]}" = "table json" ]
	[ "${lines[3]}" = "$CID" ]
}

@test "create and run --config FILE read FILE instead of the bundle's config.json (crun's flag)" {
	requires_hull "runc has no --config"
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/other.json"
	CONFIG="$BATS_TEST_TMPDIR/other.json" update_config '.process.args = ["/payload", "echo", "from other"]'
	payload echo from-config.json
	cd "$BATS_TEST_TMPDIR"
	run rt run --bundle "$BUNDLE" --config other.json "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "from other" ]
	run rt run --bundle "$BUNDLE" -f no-such.json "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such.json* ]]
	# create copies the file it read: exec later uses the same process defaults.
	CONFIG="$BATS_TEST_TMPDIR/other.json" update_config '.process.args = ["/payload", "sleep", "100"] | .process.env += ["FROM=other"]'
	rt_create --config "$BATS_TEST_TMPDIR/other.json" "$CID"
	rt start "$CID"
	run rt exec "$CID" /payload env
	[[ "$output" == *FROM=other* ]]
}

@test "spec --file FILE writes FILE, - the standard output (crun's flag)" {
	requires_hull "runc has no spec --file"
	run "$RUNTIME" spec --file "$BATS_TEST_TMPDIR/x.json"
	[ "$status" -eq 0 ]
	jq -e '.root.path == "rootfs"' "$BATS_TEST_TMPDIR/x.json"
	run "$RUNTIME" spec -f -
	[ "$status" -eq 0 ]
	jq -e '.ociVersion' <<<"$output"
}

@test "kill and delete --regex act on every container whose whole id matches (crun's flag)" {
	requires_hull "runc has no --regex"
	payload sleep 100
	run_detached "$CID-a1"
	run_detached "$CID-a2"
	run_detached "$CID-b"
	run rt kill --regex "$CID-a[0-9]" KILL
	[ "$status" -eq 0 ]
	wait_status "$CID-a1" stopped
	wait_status "$CID-a2" stopped
	status_is "$CID-b" running
	run rt delete -r "$CID-a.*"
	[ "$status" -eq 0 ]
	[ "$(rt list -q | sort)" = "$CID-b" ]
	# Anchored: a prefix alone matches nothing.
	run rt delete --force --regex "$CID"
	[ "$status" -eq 0 ]
	status_is "$CID-b" running
	run rt delete --regex "("
	[ "$status" -ne 0 ]
	[[ "$output" == *regex* ]]
}

@test "--log-level debug logs the debug lines, error drops the rest (crun's flag)" {
	requires_hull "runc has no --log-level"
	log="$BATS_TEST_TMPDIR/l.log"
	run rt --log "$log" --log-level debug list
	[ "$status" -eq 0 ]
	grep -q 'level=debug' "$log"
	# A failing poststop hook is a warning: logged by default, not with --log-level error.
	update_config '.hooks.poststop = [{"path": "/bin/false"}]'
	: >"$log"
	run rt --log "$log" run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	grep -q 'level=warning' "$log"
	: >"$log"
	run rt --log "$log" --debug --log-level error run --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	cat "$log"
	[ ! -s "$log" ]
	run rt --log-level verbose list
	[ "$status" -ne 0 ]
	[[ "$output" == *verbose* ]]
}

# ---------------------------------------------------------------------------
# runc's outputs and exit codes (issue 20 §3)

@test "list: OWNER is root and the columns stay aligned with a long bundle path" {
	payload sleep 100
	run_detached "$CID"
	long="$BATS_TEST_TMPDIR/a-rather-long-directory-name-for-the-bundle-of-a-container/bundle"
	mkdir -p "$long/rootfs"
	cp "$BUNDLE/config.json" "$long/config.json"
	CONFIG="$long/config.json" update_config '.root.path = $r' --arg r "$BUNDLE/rootfs"
	rt_run_d --bundle "$long" "$CID-long" >/dev/null
	run rt list
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	# Each column starts at the same offset on every line; OWNER is root.
	local col head
	for col in PID STATUS BUNDLE CREATED OWNER; do
		head=${lines[0]%%"$col"*}
		for l in 1 2; do
			[ "${lines[l]:${#head}:1}" != " " ]
			[ "${lines[l]:$((${#head} - 1)):1}" = " " ]
		done
	done
	[ "$(awk 'NR > 1 { print $NF }' <<<"$output" | sort -u)" = root ]
	rt list --format json | jq -e 'all(.owner == "root")'
}

@test "events --stats: runc's keys (cpu kernel/user, percpu_kernel on v1, cpuset, hugetlb, network_interfaces, blkio)" {
	payload sleep 100
	run_detached "$CID"
	# Some CPU time in the container, so that the counters can be told from zeros.
	rt exec "$CID" sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; cat /proc/self/status >/dev/null'
	run rt events --stats "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	jq -e '.type == "stats" and (.data | has("cpu") and has("memory") and has("pids") and has("blkio")
		and has("hugetlb") and has("network_interfaces"))' <<<"$output"
	jq -e '.data.cpu.usage | has("kernel") and has("user") and .total > 0 and (.kernel + .user) > 0' <<<"$output"
	jq -e '.data.hugetlb | type == "object"' <<<"$output"
	# No empty lists: runc's omitempty gives {} where nothing was counted.
	jq -e '.data.blkio | type == "object" and all(.[]; length > 0)' <<<"$output"
	if grep -q ':cpuset:' "/proc/$(container_pid "$CID")/cgroup"; then
		jq -e '.data.cpu.usage | (.percpu_kernel | length) > 0' <<<"$output"
		jq -e '.data.cpuset | (.cpus | length) > 0 and (.mems | length) > 0 and has("sched_load_balance")' <<<"$output"
	fi
}

@test "exec: a process that cannot be started exits 255 (as runc), a process's own status is passed on" {
	payload sleep 100
	run_detached "$CID"
	run rt exec "$CID" /no-such-binary
	[ "$status" -eq 255 ]
	[[ "$output" == *no-such-binary* ]]
	run rt exec "$CID-missing" /payload true
	[ "$status" -eq 255 ]
	run rt exec "$CID" /payload exit 7
	[ "$status" -eq 7 ]
}

@test "a non-root create without a user namespace: 'rootless container requires user namespaces'" {
	command -v setpriv >/dev/null || skip "setpriv is not installed"
	dir=$(mktemp -d /tmp/hull-rootless.XXXXXX)
	chmod 0755 "$dir"
	cp "$BUNDLE/config.json" "$dir/config.json"
	chmod 0644 "$dir/config.json"
	mkdir -m 0777 "$dir/state"
	mkdir -m 0755 "$dir/rootfs"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$RUNTIME" --root "$dir/state/r" create --bundle "$dir" "$CID"
	rm -rf "$dir"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"rootless container requires user namespaces"* ]]
}

@test "an rlimit the kernel refuses is named in the error (RLIMIT_NOFILE, not 7)" {
	requires_hull "runc says 'error setting rlimit type 7'"
	nr_open=$(cat /proc/sys/fs/nr_open)
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": ($n + 1)}]' --argjson n "$nr_open"
	run rt_run "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *RLIMIT_NOFILE* ]]
}

@test "exec --cgroup runs the process in an existing sub-cgroup (every hierarchy, or the v1 ones named)" {
	payload sleep 100
	run_detached "$CID"
	pid=$(container_pid "$CID")
	dirs=()
	while IFS=: read -r _ ctl path; do
		case $ctl in
		"") d=$(cgroup_path_of "$pid" unified) ;;
		name=*) d=/sys/fs/cgroup/${ctl#name=}$path ;;
		*) d=$(cgroup_path_of "$pid" "${ctl%%,*}") ;;
		esac
		[ -n "$d" ] && [ -d "$d" ] || continue
		mkdir -p "$d/sub"
		dirs+=("$d/sub")
		# A new v1 cpuset has no CPUs and memory nodes: no task can join it before they are set.
		if [ -f "$d/cpuset.cpus" ]; then
			cat "$d/cpuset.cpus" >"$d/sub/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/sub/cpuset.mems"
		fi
	done <"/proc/$pid/cgroup"
	[ "${#dirs[@]}" -gt 0 ]
	run rt exec --cgroup sub "$CID" /payload cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	# Every line of /proc/self/cgroup ends in /sub.
	[ -z "$(grep -v '/sub$' <<<"$output")" ]
	if grep -q ':memory:' "/proc/$pid/cgroup"; then
		run rt exec --cgroup memory:sub "$CID" /payload cat /proc/self/cgroup
		echo "$output"
		[ "$status" -eq 0 ]
		grep -q ':memory:.*/sub$' <<<"$output"
		[ -z "$(grep -v ':memory:' <<<"$output" | grep '/sub$')" ]
	fi
	run rt exec --cgroup no-such-sub "$CID" /payload true
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-sub* ]]
	for d in "${dirs[@]}"; do
		rmdir "$d"
	done
}

@test "exec --ignore-paused into a paused container: the process runs once the container is resumed (as runc)" {
	payload sleep 100
	run_detached "$CID"
	rt pause "$CID"
	run rt exec "$CID" /payload true
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot exec in a paused container"* ]]
	rt exec --ignore-paused "$CID" /payload echo after-resume >"$BATS_TEST_TMPDIR/ex.out" 2>&1 </dev/null &
	ex=$!
	BG_PIDS+=("$ex")
	sleep 1
	# Still waiting, nothing printed: the process is frozen with the container.
	kill -0 "$ex"
	[ ! -s "$BATS_TEST_TMPDIR/ex.out" ]
	rt resume "$CID"
	wait "$ex"
	[ "$(cat "$BATS_TEST_TMPDIR/ex.out")" = after-resume ]
}

@test "delete --force of a missing container exits 0: decided on the errno (ENOENT), not the error's text" {
	run rt delete --force "$CID-missing"
	[ "$status" -eq 0 ]
	run rt delete "$CID-missing"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	requires_hull "hull's own --root layout"
	# A state root whose path says "does not exist", holding a file where the container's
	# directory would be: the lookup fails with ENOTDIR and a message naming that path.
	# That is not a missing container, and --force must not hide it.
	root="$BATS_TEST_TMPDIR/does not exist"
	mkdir -p "$root"
	touch "$root/$CID"
	run "$RUNTIME" --root "$root" delete --force "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist/$CID"*"Not a directory"* ]]
}

@test "a --root so long that <root>/<id>/exec.fifo does not fit in PATH_MAX: create fails cleanly, nothing is left" {
	requires_hull "the error's text"
	payload sleep 100
	# <root>/<id> is 4090 bytes: it fits, <root>/<id>/exec.fifo does not. A path cut
	# short used to be used as is: the fifo was made under another name and the created
	# container could be neither started nor deleted.
	root=$BATS_TEST_TMPDIR/long
	comp=$(printf 'r%.0s' $(seq 200))
	while [ $((${#root} + 1 + 200 + 1 + 1 + ${#CID})) -lt 4090 ]; do root=$root/$comp; done
	root=$root/$(printf 'p%.0s' $(seq $((4090 - ${#root} - 1 - 1 - ${#CID}))))
	[ $((${#root} + 1 + ${#CID})) -eq 4090 ]
	# Output to a file: a container left behind would hold a pipe open.
	st=0
	"$RUNTIME" --root "$root" create --bundle "$BUNDLE" "$CID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -ne 0 ]
	grep -q "File name too long" "$BATS_TEST_TMPDIR/out"
	[ -z "$(ls -A "$root")" ]
}
