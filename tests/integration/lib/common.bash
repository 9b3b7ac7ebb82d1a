# shellcheck shell=bash
#
# Shared setup for the OCI runtime integration tests (tests/integration/runtime-*.bats).
#
# The tests are written against runc's command line so that they can be proven
# with runc first and then validate hull-runtime:
#
#   RUNTIME=/usr/bin/runc bats tests/integration/runtime-*.bats   # reference run
#   bats tests/integration/runtime-*.bats                         # build/hull-runtime
#
# Environment:
#   RUNTIME       the runtime binary (default: build/hull-runtime in the repository)
#   TEST_ROOTFS   an already built test rootfs to use as is (default: built once per
#                 bats run into $BATS_RUN_TMPDIR/rootfs with tests/helpers/mkrootfs.sh)
#   PAYLOAD       the static payload binary (default: build/payload when it is newer than
#                 tests/helpers/payload.c, else compiled into $BATS_RUN_TMPDIR)
#   RT_TIMEOUT    seconds before one runtime invocation counts as hung (default 60)
#
# Tests that runc 1.1.5 fails but hull must pass call `requires_hull "why"`; under another
# runtime they are skipped as "# skip hull-only: why" (count: grep -c 'skip hull-only').
# tests/integration/NOTES-runc-behaviour.md lists them and what runc does.
#
# Every test gets:
#   $CID          a unique container id prefix; extra containers use "$CID-b" etc.
#   $BUNDLE       a bundle directory with config.json (from `$RUNTIME spec`, made
#                 non-interactive: terminal false, writable root, args /payload true)
#                 and rootfs/ = an overlayfs over the cached rootfs (upper in the test's
#                 tmpdir), unmounted again in teardown.
#   rt ARGS       runs $RUNTIME with a private --root state dir for the test file.
# teardown deletes (--force) every container in that state dir and then fails the test
# if anything is left: a state dir, a cgroup directory named after one of the test's ids,
# or a mount below the test's tmpdir.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export REPO_ROOT
: "${RUNTIME:=$REPO_ROOT/build/hull-runtime}"
export RUNTIME
LIBDIR="$REPO_ROOT/tests/integration/lib"

# ---------------------------------------------------------------------------
# runtime identity and skips

# True when the runtime under test is hull's (hull-only tests run only then).
is_hull() {
	case "$(basename "$RUNTIME")" in
	hull-runtime*) return 0 ;;
	esac
	return 1
}

# requires_hull "why": skips the test unless the runtime is hull-runtime. The reason is
# printed in the TAP output as "# skip hull-only: why" (grep for "hull-only" to count).
requires_hull() {
	if ! is_hull; then
		skip "hull-only: $*"
	fi
}


# ---------------------------------------------------------------------------
# the test rootfs and payload

_build_payload() {
	local src="$REPO_ROOT/tests/helpers/payload.c" out
	if [ -n "${PAYLOAD:-}" ]; then
		[ -x "$PAYLOAD" ] || {
			echo "PAYLOAD=$PAYLOAD is not executable" >&2
			return 1
		}
		echo "$PAYLOAD"
		return 0
	fi
	[ -f "$src" ] || {
		echo "missing $src" >&2
		return 1
	}
	if [ -x "$REPO_ROOT/build/payload" ] && [ "$REPO_ROOT/build/payload" -nt "$src" ]; then
		echo "$REPO_ROOT/build/payload"
		return 0
	fi
	out="$BATS_RUN_TMPDIR/payload"
	if [ ! -x "$out" ]; then
		gcc -static -O2 -o "$out.tmp" "$src" >&2 || return 1
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# The test rootfs (TEST_ROOTFS= to give one), built once per bats run.
_ensure_rootfs() {
	if [ -n "${TEST_ROOTFS:-}" ]; then
		[ -x "$TEST_ROOTFS/payload" ] || {
			echo "TEST_ROOTFS=$TEST_ROOTFS has no /payload" >&2
			return 1
		}
		echo "$TEST_ROOTFS"
		return 0
	fi
	shared_rootfs rootfs
}

# shared_rootfs NAME [MKROOTFS-FLAGS...]: prints the directory of a rootfs with the payload
# built by mkrootfs.sh with those flags, once per bats run: all files share
# $BATS_RUN_TMPDIR/NAME, and a lock makes parallel files (bats -j) wait for the first builder.
shared_rootfs() {
	local dir="$BATS_RUN_TMPDIR/$1" payload
	shift
	(
		flock 9
		if [ ! -e "$dir/.complete" ]; then
			payload=$(_build_payload) || exit 1
			rm -rf "$dir"
			"$REPO_ROOT/tests/helpers/mkrootfs.sh" "$dir" --payload "$payload" "$@" >&2 || exit 1
			[ -x "$dir/payload" ] || install -m 0755 "$payload" "$dir/payload"
			touch "$dir/.complete"
		fi
	) 9>"$dir.lock" || return 1
	echo "$dir"
}

# ---------------------------------------------------------------------------
# setup / teardown

common_setup_file() {
	[ "$(id -u)" -eq 0 ] || {
		echo "the runtime tests must run as root" >&2
		return 1
	}
	[ -x "$RUNTIME" ] || {
		echo "RUNTIME=$RUNTIME is not executable (build it, or set RUNTIME=/usr/bin/runc)" >&2
		return 1
	}
	ROOTFS=$(_ensure_rootfs) || return 1
	export ROOTFS
	STATE_ROOT="$BATS_FILE_TMPDIR/state"
	mkdir -p "$STATE_ROOT"
	export STATE_ROOT
	# One spec per file: every test copies it.
	SPEC_TEMPLATE="$BATS_FILE_TMPDIR/spec"
	mkdir -p "$SPEC_TEMPLATE"
	(cd "$SPEC_TEMPLATE" && "$RUNTIME" spec) || {
		echo "$RUNTIME spec failed" >&2
		return 1
	}
	jq '.process.terminal = false | .root.readonly = false | .process.args = ["/payload", "true"]' \
		"$SPEC_TEMPLATE/config.json" >"$SPEC_TEMPLATE/config.json.new" &&
		mv "$SPEC_TEMPLATE/config.json.new" "$SPEC_TEMPLATE/config.json"
	export SPEC_TEMPLATE
}

# state_left [DIR]: the entries of the runtime's state root (default $STATE_ROOT) but its
# seccomp BPF cache (.seccomp-cache, kept on purpose across containers).
state_left() {
	ls -A "${1:-$STATE_ROOT}" 2>/dev/null | grep -vx '.seccomp-cache' || true
}

common_teardown_file() {
	local left
	left=$(state_left)
	rm -rf "$STATE_ROOT"
	if [ -n "$left" ]; then
		echo "state left in $STATE_ROOT: $left" >&2
		return 1
	fi
}

common_setup() {
	CID="hulltest-${BATS_SUITE_TEST_NUMBER:-$BATS_TEST_NUMBER}-$$"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	HOSTDIR="$BATS_TEST_TMPDIR/host"
	BG_PIDS=()
	HOST_MOUNTS=()
	mkdir -p "$BUNDLE/rootfs" "$HOSTDIR" "$BATS_TEST_TMPDIR/ovl/upper" "$BATS_TEST_TMPDIR/ovl/work"
	mount -t overlay overlay \
		-o "lowerdir=$ROOTFS,upperdir=$BATS_TEST_TMPDIR/ovl/upper,workdir=$BATS_TEST_TMPDIR/ovl/work" \
		"$BUNDLE/rootfs"
	cp "$SPEC_TEMPLATE/config.json" "$BUNDLE/config.json"
}

# Everything below $BATS_TEST_TMPDIR that is still mounted, deepest first.
_test_mounts() {
	awk -v p="$BATS_TEST_TMPDIR" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# cgroup directories named after one of this test's ids, anywhere in any hierarchy.
_test_cgroups() {
	find /sys/fs/cgroup/*/ -maxdepth 8 -type d \( -name "$CID" -o -name "$CID-*" \) 2>/dev/null | sort -r
}

common_teardown() {
	local id problems="" p m cg

	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done

	# Everything in the private state dir belongs to this file; after a test only
	# this test's containers can be there.
	for id in $(RT_TIMEOUT=20 rt list -q 2>/dev/null) $CID; do
		RT_TIMEOUT=20 rt delete --force "$id" >/dev/null 2>&1
	done

	for p in "$STATE_ROOT"/*; do
		[ -e "$p" ] || continue
		problems+="state dir left: $p"$'\n'
		rm -rf "$p"
	done
	for cg in $(_test_cgroups); do
		problems+="cgroup left: $cg"$'\n'
		# Kill what is still in it, then remove it, so later tests start clean.
		xargs -r kill -9 <"$cg/cgroup.procs" 2>/dev/null
		sleep 0.1
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done

	# Mounts the test made on purpose (host_mount), newest first.
	local i
	for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${HOST_MOUNTS[i]}" 2>/dev/null || umount -l "${HOST_MOUNTS[i]}" 2>/dev/null
	done

	if mountpoint -q "$BUNDLE/rootfs"; then
		umount "$BUNDLE/rootfs" || umount -l "$BUNDLE/rootfs"
	fi
	for m in $(_test_mounts); do
		problems+="mount left: $m"$'\n'
		umount -l "$m" 2>/dev/null
	done

	if [ -n "$problems" ]; then
		echo "teardown found leftovers:" >&2
		echo "$problems" >&2
		return 1
	fi
}

setup_file() { common_setup_file; }
teardown_file() { common_teardown_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# ---------------------------------------------------------------------------
# running the runtime

# rt ARGS: the runtime under test with this file's private state dir. A runtime that hangs
# fails the test after RT_TIMEOUT seconds (default 60) instead of stalling the suite.
rt() {
	timeout --kill-after=5 "${RT_TIMEOUT:-60}" "$RUNTIME" --root "$STATE_ROOT" "$@"
}

# Foreground run of the bundle; stdin is /dev/null so nothing waits on the terminal.
rt_run() {
	rt run --bundle "$BUNDLE" "$@" </dev/null
}

# ---------------------------------------------------------------------------
# config.json editing

# update_config JQ_EXPR [JQ_ARGS...]: edits $BUNDLE/config.json (or $CONFIG if set).
update_config() {
	local cfg="${CONFIG:-$BUNDLE/config.json}" expr="$1"
	shift
	jq "$expr" "$cfg" "$@" >"$cfg.new" && mv "$cfg.new" "$cfg"
}

# json_array ARG...: a JSON array of the arguments as strings (jq --args would take
# arguments like "-c" as its own options).
json_array() {
	local a jqargs=() expr="" i=0
	for a in "$@"; do
		jqargs+=(--arg "a$i" "$a")
		expr+="${expr:+,}\$a$i"
		i=$((i + 1))
	done
	jq -cn "${jqargs[@]}" "[$expr]"
}

# set_args ARG...: process.args = [ARG...]
set_args() {
	update_config '.process.args = $a' --argjson a "$(json_array "$@")"
}

# payload ARG...: process.args = ["/payload", ARG...]
payload() {
	set_args /payload "$@"
}

# add_mount JSON: appends one entry to .mounts.
add_mount() {
	update_config ".mounts += [$1]"
}

# bind_host_dir HOSTDIR DEST [OPTION...]: a bind mount of a host directory.
bind_host_dir() {
	local src="$1" dst="$2"
	shift 2
	local opts
	opts=$(json_array bind "$@")
	add_mount "{\"type\":\"bind\",\"source\":\"$src\",\"destination\":\"$dst\",\"options\":$opts}"
}

# drop_namespace TYPE / add_namespace TYPE [PATH]
drop_namespace() {
	update_config '.linux.namespaces |= map(select(.type != $t))' --arg t "$1"
}
add_namespace() {
	drop_namespace "$1"
	if [ -n "${2:-}" ]; then
		update_config '.linux.namespaces += [{"type": $t, "path": $p}]' --arg t "$1" --arg p "$2"
	else
		update_config '.linux.namespaces += [{"type": $t}]' --arg t "$1"
	fi
}

# ---------------------------------------------------------------------------
# reading results

# kv KEY: the value of "KEY=value" in $output (first match).
kv() {
	sed -n "s/^$1=//p" <<<"$output" | head -n 1
}

# host_ns TYPE: the inode of the host's (this shell's) namespace of TYPE.
host_ns() {
	stat -L -c %i "/proc/self/ns/$1"
}

# pid_ns PID TYPE: the inode of PID's namespace of TYPE.
pid_ns() {
	stat -L -c %i "/proc/$1/ns/$2"
}

# state_field ID JQ: a field of `rt state ID`.
state_field() {
	rt state "$1" | jq -r "$2"
}

container_pid() {
	state_field "$1" .pid
}

# wait_until TIMEOUT_SECONDS CMD...: polls CMD every 50ms.
# shellcheck source=tests/integration/lib/wait.bash
source "$(dirname "${BASH_SOURCE[0]}")/wait.bash"

status_is() {
	[ "$(state_field "$1" .status 2>/dev/null)" = "$2" ]
}

wait_status() {
	wait_until "${3:-10}" status_is "$1" "$2"
}

# A created or detached container (or exec -d process) inherits the runtime's stdio, so it
# must never be a pipe that bats (`run`, `$(...)`) waits on. These wrappers send the
# runtime's and the container's stdout+stderr to a file, then print what is there so far
# (the runtime's messages) and return the runtime's status.
_rt_to_file() {
	local f="$1" rc
	shift
	rt "$@" </dev/null >>"$f" 2>&1
	rc=$?
	cat "$f"
	return $rc
}

# ctr_out_file ID: where rt_create/rt_run_d send the container's output.
ctr_out_file() {
	echo "$BATS_TEST_TMPDIR/$(printf %s "$1" | tr '/' '_' | cut -c1-100).out"
}

# rt_create [OPTIONS] ID: create from $BUNDLE.
rt_create() {
	_rt_to_file "$(ctr_out_file "${*: -1}")" create --bundle "$BUNDLE" "$@"
}

# rt_run_d [OPTIONS] ID: run -d from $BUNDLE.
rt_run_d() {
	_rt_to_file "$(ctr_out_file "${*: -1}")" run -d --bundle "$BUNDLE" "$@"
}

# rt_exec_d [OPTIONS] ID ARGS...: exec -d; output in $BATS_TEST_TMPDIR/exec-d.out.
rt_exec_d() {
	_rt_to_file "$BATS_TEST_TMPDIR/exec-d.out" exec -d "$@"
}

# ctr_out ID: what the container (and the runtime) wrote to its output file.
ctr_out() {
	cat "$(ctr_out_file "$1")"
}

# run_detached ID: run -d, then wait for "running".
run_detached() {
	rt_run_d "$1" >/dev/null || return 1
	wait_status "$1" running
}

# cgroup_path_of PID CONTROLLER: the host path of PID's cgroup in a v1 hierarchy
# (CONTROLLER like memory, pids, cpu) or "unified" for the v2 one.
cgroup_path_of() {
	local pid="$1" ctl="$2" rel
	if [ "$ctl" = unified ]; then
		rel=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
	else
		rel=$(awk -F: -v c="$ctl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	fi
	local mnt="/sys/fs/cgroup/$ctl"
	[ -d "$mnt" ] || return 1
	echo "$mnt$rel"
}

# ---------------------------------------------------------------------------
# test fixtures

# host_mount MOUNT_ARGS... TARGET: mount(8) on the host; teardown unmounts TARGET.
host_mount() {
	mount "$@" || return 1
	HOST_MOUNTS+=("${*: -1}")
}

# make_mapped_rootfs UID_OFFSET GID_OFFSET: a private copy of the rootfs with every owner
# shifted by the offsets, for user namespace tests; sets .root.path to it.
make_mapped_rootfs() {
	local uoff="$1" goff="$2" dir="$BATS_TEST_TMPDIR/mapped-rootfs" d
	# Mapped root is an unprivileged user on the host: it needs search permission on every
	# directory above the rootfs (mktemp made bats' run dir 0700).
	d="$BATS_TEST_TMPDIR"
	while [ "$d" != / ]; do
		chmod go+x "$d"
		d=$(dirname "$d")
	done
	cp -a "$ROOTFS" "$dir"
	chown -R -h "$uoff:$goff" "$dir"
	# The few entries not owned by root keep their relative ids (u1000's home -> 1000+offset).
	local u g p
	while read -r u g p; do
		chown -h "$((u + uoff)):$((g + goff))" "$dir/$p"
	done < <(find "$ROOTFS" \( ! -uid 0 -o ! -gid 0 \) -printf '%U %G %P\n')
	update_config '.root.path = $p' --arg p "$dir"
}

# start_recvtty SOCKET OUTFILE [INPUT]: a background console-socket receiver that writes
# the container's terminal output to OUTFILE (and types INPUT into it, if given).
start_recvtty() {
	local sock="$1" out="$2"
	shift 2
	rm -f "$sock"
	python3 "$LIBDIR/recvtty.py" "$sock" "$@" >"$out" 2>"$out.err" &
	BG_PIDS+=($!)
	wait_until 5 test -S "$sock"
}

# Waits for the recvtty started last to exit (the terminal was closed).
wait_recvtty() {
	local p="${BG_PIDS[-1]}"
	local deadline=$((SECONDS + ${1:-10}))
	while kill -0 "$p" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	wait "$p" 2>/dev/null || true
}
