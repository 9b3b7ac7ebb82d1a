# shellcheck shell=bash
# Shared helpers for the hull benchmarks (sourced by bench/*.sh).
#
# Every benchmark runs all of its subjects under the same conditions: inside
# one private mount namespace in which /sys/fs/cgroup/unified is unmounted.
# crun 1.8.1 refuses to run on hybrid cgroup hosts (v1 hierarchies plus a
# cgroup2 mount at /sys/fs/cgroup/unified); with that mount hidden every
# runtime sees a plain cgroup v1 host.  The host's own mounts are untouched.
# Every runtime's state directory (--root) is on a tmpfs mounted there, as the
# defaults (/run/runc, /run/crun, /run/hull-runtime) are on /run.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
BENCH_RESULTS_DIR=${BENCH_RESULTS_DIR:-$BENCH_DIR/results}
BENCH_NS_NOTE="all subjects ran inside one private mount namespace with /sys/fs/cgroup/unified unmounted (crun 1.8.1 refuses hybrid cgroups), so runtimes saw cgroup v1 only; every --root was on a tmpfs, like /run"

bench_log() { printf 'bench: %s\n' "$*" >&2; }
bench_die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

bench_need_root() {
	[ "$(id -u)" = 0 ] || bench_die "must run as root"
}

# bench_own_netns "$@": runs the calling script again inside a network namespace of its own
# (made here, deleted at the end), so that hull's default bridge, its nft table and podman's
# network live and die there and nothing is left in the machine's namespace. Call it right
# after bench_need_root; in the inner run it returns at once.
bench_own_netns() {
	[ -z "${HULL_BENCH_NETNS:-}" ] || return 0
	local ns=hbn$$ rc=0
	ip netns add "$ns"
	# shellcheck disable=SC2064 # the name is fixed now
	trap "ip netns del '$ns' 2>/dev/null || true" EXIT
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	HULL_BENCH_NETNS=$ns nsenter --net="/run/netns/$ns" "$0" "$@" || rc=$?
	exit $rc
}

# bench_need_pkg PKG: installs the Debian package PKG if it is missing.
# Without the recommended packages (gnuplot's pull in ImageMagick and Ghostscript, 44
# packages instead of 4), and saying which packages are installed before doing it.
bench_need_pkg() {
	local pkgs
	dpkg -s "$1" >/dev/null 2>&1 && return 0
	pkgs=$(apt-get -s install --no-install-recommends "$1" 2>/dev/null | awk '/^Inst / { printf "%s ", $2 }')
	if [ -z "$pkgs" ]; then
		apt-get update -q >/dev/null 2>&1 || true
		pkgs=$(apt-get -s install --no-install-recommends "$1" 2>/dev/null | awk '/^Inst / { printf "%s ", $2 }')
	fi
	bench_log "installing $1 without recommends: ${pkgs:-$1}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" >/dev/null 2>&1 ||
		bench_die "cannot install $1"
}

# bench_need_cmd CMD [DEBIAN-PACKAGE]: installs the package if CMD is missing.
bench_need_cmd() {
	if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	bench_need_pkg "${2:-$1}"
}

# bench_enter_private_ns SCRIPT ARGS...: re-executes SCRIPT inside a private
# mount namespace with /sys/fs/cgroup/unified unmounted.  Returns (without
# doing anything) when already inside it.
bench_enter_private_ns() {
	if [ "${HULL_BENCH_IN_NS:-}" = 1 ]; then
		return 0
	fi
	export HULL_BENCH_IN_NS=1
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec unshare --mount --propagation private -- bash -c '
		if mountpoint -q /sys/fs/cgroup/unified 2>/dev/null; then
			umount /sys/fs/cgroup/unified || exit 1
		fi
		exec "$0" "$@"' "$@"
}

# bench_mkrootfs OUTDIR: a busybox root filesystem.  Uses the project's
# tests/helpers/mkrootfs.sh when present, otherwise builds a minimal one from
# Debian's busybox-static.
bench_mkrootfs() {
	local out=$1 helper=$REPO_DIR/tests/helpers/mkrootfs.sh rc
	mkdir -p "$out"
	if [ -f "$helper" ]; then
		rc=0
		sh "$helper" "$out" >/dev/null 2>&1 || rc=$?
		# The helper exits 130 on SIGINT: a Ctrl-C, not a reason to fall back.
		[ "$rc" != 130 ] || exit 130
		if [ "$rc" = 0 ] && [ -x "$out/bin/true" ]; then
			return 0
		fi
	fi
	# Debian's busybox-static installs a static /bin/busybox.
	local bb=/bin/busybox
	bench_need_pkg busybox-static
	mkdir -p "$out"/{bin,dev,etc,proc,sys,tmp,root,run,var,usr}
	cp "$bb" "$out/bin/busybox"
	local a
	for a in $("$out/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$out/bin/$a"
	done
	ln -sfn bin "$out/sbin"
	ln -sfn ../bin "$out/usr/bin"
	ln -sfn ../bin "$out/usr/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$out/etc/passwd"
	printf 'root:x:0:\nnobody:x:65534:\n' >"$out/etc/group"
	chmod 1777 "$out/tmp"
}

# bench_spec_runtime: the runtime whose `spec` output is the benchmark config.
# runc's is used by default so that every subject gets the very same
# config.json; BENCH_SPEC_RUNTIME overrides it.
bench_spec_runtime() {
	if [ -n "${BENCH_SPEC_RUNTIME:-}" ]; then
		echo "$BENCH_SPEC_RUNTIME"
	elif command -v runc >/dev/null 2>&1; then
		command -v runc
	elif command -v crun >/dev/null 2>&1; then
		command -v crun
	else
		bench_hull_runtime
	fi
}

# bench_mkbundle DIR [JQ-FILTER]: DIR/rootfs (busybox) and DIR/config.json,
# the default `spec` config with terminal=false and args ["/bin/true"],
# then JQ-FILTER (if given) applied to it.
bench_mkbundle() {
	local dir=$1 filter=${2:-.} spec
	mkdir -p "$dir"
	[ -x "$dir/rootfs/bin/true" ] || bench_mkrootfs "$dir/rootfs"
	spec=$(bench_spec_runtime)
	rm -f "$dir/config.json"
	(cd "$dir" && "$spec" spec) || bench_die "$spec spec failed"
	jq '.process.terminal = false | .process.args = ["/bin/true"]' "$dir/config.json" |
		jq "$filter" >"$dir/config.json.new" || bench_die "jq on config.json failed"
	mv "$dir/config.json.new" "$dir/config.json"
}

bench_hull_runtime() {
	echo "${HULL_RUNTIME:-$REPO_DIR/build/hull-runtime}"
}

# bench_runtimes: prints "NAME PATH" lines for the runtimes available, in
# the order hull, crun, runc.  A missing runtime is reported on stderr.
bench_runtimes() {
	local hull p
	hull=$(bench_hull_runtime)
	if [ -x "$hull" ]; then
		echo "hull $hull"
	else
		bench_log "skipping hull: $hull does not exist (build it, or set HULL_RUNTIME)"
	fi
	for p in crun runc; do
		if command -v "$p" >/dev/null 2>&1; then
			echo "$p $(command -v "$p")"
		else
			bench_log "skipping $p: not installed"
		fi
	done
}

# bench_usable_runtimes RUNTIMES-FILE BUNDLE STATE-DIR PREFIX: keeps in
# RUNTIMES-FILE only the runtimes for which one `run` of BUNDLE exits 0, so
# that a broken runtime is reported and skipped instead of aborting the
# whole benchmark.
bench_usable_runtimes() {
	local file=$1 bundle=$2 state=$3 prefix=$4 name path err
	while read -r name path; do
		mkdir -p "$state/$name"
		if err=$("$path" --root "$state/$name" run --bundle "$bundle" "${prefix}check-$name" 2>&1 </dev/null >/dev/null); then
			echo "$name $path"
		else
			bench_log "skipping $name: a test run failed: $(printf '%s' "$err" | tail -2)"
		fi
		bench_cleanup_runtime "$path" "$state/$name" "$prefix"
	done <"$file" >"$file.ok"
	mv "$file.ok" "$file"
}

# bench_cleanup_runtime PATH STATE-ROOT PREFIX: force-deletes containers left
# under STATE-ROOT and removes the cgroups named PREFIX* left behind (up to
# two levels below each hierarchy's root).  A process still in such a cgroup
# (a container whose runtime was interrupted before it wrote its state, e.g.
# by Ctrl-C) is killed first.
bench_cleanup_runtime() {
	local rt=$1 root=$2 prefix=$3 id d pids _
	if [ -d "$root" ]; then
		for id in $("$rt" --root "$root" list -q 2>/dev/null); do
			case $id in "$prefix"*) "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true ;; esac
		done
	fi
	# /<id> (crun, runc) and /hull-runtime/<id> (hull) in each hierarchy.
	for d in /sys/fs/cgroup/*/*/"$prefix"* /sys/fs/cgroup/*/"$prefix"* /sys/fs/cgroup/"$prefix"*; do
		[ -d "$d" ] || continue
		# Not a cgroup: crun 1.8.1 on the cgroup v1 view also joins the
		# "unified" hierarchy: it makes /sys/fs/cgroup/unified/ID and writes
		# ID/cgroup.procs, which with the cgroup2 mount hidden land in the
		# tmpfs beneath it.  Never removed by crun, invisible from the host
		# namespace (shadowed by the cgroup2 mount).
		if [ "$(stat -f -c %T "$d")" = tmpfs ]; then
			rm -rf "$d"
			continue
		fi
		rmdir "$d" 2>/dev/null && continue
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pids=$(cat "$d/cgroup.procs" 2>/dev/null || true)
			if [ -n "$pids" ]; then
				# shellcheck disable=SC2086 # one pid per word
				kill -KILL $pids 2>/dev/null || true
			fi
			rmdir "$d" 2>/dev/null && break
			sleep 0.1
		done
	done
}

# bench_kill_strays DIR: kills the processes whose command line names DIR,
# the benchmark's own temp dir.  A runtime interrupted while it creates a
# container (Ctrl-C) can leave its child behind, blocked for ever (seen with
# hull-runtime's init waiting on its sync socket after its parent died).
bench_kill_strays() {
	local dir=$1 f pid pids=()
	# The pattern comes from a file so that grep does not find itself.
	while read -r f; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = $$ ] || [ "$pid" = "${BASHPID:-}" ] || pids+=("$pid")
	done < <(grep -laF -f <(printf '%s\n' "$dir") /proc/[0-9]*/cmdline 2>/dev/null || true)
	if [ "${#pids[@]}" -gt 0 ]; then
		kill -KILL "${pids[@]}" 2>/dev/null || true
	fi
}

bench_date() { date -u +%Y%m%dT%H%M%SZ; }

# bench_host_json: a JSON object describing the machine and the versions.
bench_host_json() {
	local crun_v runc_v
	crun_v=$(crun --version 2>/dev/null | head -1 || true)
	runc_v=$(runc --version 2>/dev/null | head -1 || true)
	jq -n --arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
		--arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" \
		--arg crun "$crun_v" --arg runc "$runc_v" --arg note "$BENCH_NS_NOTE" \
		--arg commit "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)" \
		'{kernel: $kernel, cpus: ($cpus|tonumber), cpu: $cpu, crun: $crun, runc: $runc,
		  hull_commit: $commit, conditions: $note}'
}

# bench_start_work NAME PREFIX: sets $work (a temp dir) and $prefix (the id prefix of
# every container the script makes). On exit, also after Ctrl-C (a child may handle
# SIGINT itself: runc forwards it to the container and exits 0), bench_stop_work
# removes every leftover container, cgroup and stray process and the temp dir. A
# script that runs children of its own stops them first in a bench_stop_own function.
bench_start_work() {
	work=$(mktemp -d "/tmp/hull-bench-$1.XXXXXX")
	prefix=$2
	# The state roots: on a tmpfs, like /run (the temp dir may be on a disk, where
	# creating the files of each container's state costs more than on /run).
	mkdir "$work/state"
	mount -t tmpfs -o mode=0700,size=256m hull-bench-state "$work/state" || bench_die "mount a tmpfs on $work/state"
	trap bench_stop_work EXIT
	trap 'exit 130' INT TERM
}

bench_stop_work() {
	local name path
	if declare -F bench_stop_own >/dev/null; then
		bench_stop_own
	fi
	bench_kill_strays "$work/"
	while read -r name path; do
		bench_cleanup_runtime "$path" "$work/state/$name" "$prefix"
	done <"$work/runtimes" 2>/dev/null || true
	umount "$work/state" 2>/dev/null || true
	rm -rf "$work"
}
