# shellcheck shell=bash
# A podman environment fully isolated from the host's podman state, driving an
# arbitrary OCI runtime ($RUNTIME).  Sourced by bats files:
#
#   setup_file()    { source "$BATS_TEST_DIRNAME/lib/podman-env.sh"; podman_env_setup; }
#   teardown_file() { source "$BATS_TEST_DIRNAME/lib/podman-env.sh"; podman_env_teardown; }
#   @test ...       { podman_cmd run --rm "$PODMAN_IMAGE" true; }
#
# Everything podman writes lives under $PODMAN_ENV_DIR: its own
# containers.conf, storage.conf (vfs driver), registries.conf, graph root,
# run root, libpod tmp dir, volumes, network config, events log and file
# locks.  (Podman still reads the host's /etc/containers/policy.json; only
# pull/push/build take --signature-policy.)  Containers get their own cgroup
# parent ($PODMAN_CGROUP_PARENT, cgroupfs manager) and no network (--network
# none), so neither netavark nor the host's networks are involved.  The test
# image is a busybox root filesystem imported offline with `podman import`.
# The runtime keeps its state in its default --root (see podman_env_argv).
#
# Environment: RUNTIME (default build/hull-runtime; a name is looked up in
# PATH), PODMAN_STORAGE_DRIVER (default vfs; overlay works too).

PODMAN_ENV_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
PODMAN_IMAGE=localhost/hull-busybox:latest

# shellcheck source=tests/integration/lib/clients.sh
source "$PODMAN_ENV_REPO/tests/integration/lib/clients.sh"

# $RUNTIME as an absolute path (lib/clients.sh).
podman_env_runtime() { clients_runtime; }

# podman_env_ulimits: default_ulimits for containers.conf.  Podman's rootful
# defaults (nofile 1048576, nproc 4194304) exceed the hard limits here and the
# process lacks CAP_SYS_RESOURCE, so podman would fail on every run; use
# values that fit under the current hard limits.
podman_env_ulimits() {
	local hn hu nofile=1024 nproc=4096
	hn=$(ulimit -Hn)
	hu=$(ulimit -Hu)
	[ "$hn" != unlimited ] && [ "$hn" -lt "$nofile" ] && nofile=$hn
	[ "$hu" != unlimited ] && [ "$hu" -lt "$nproc" ] && nproc=$hu
	printf '"nofile=%s:%s", "nproc=%s:%s"' "$nofile" "$nofile" "$nproc" "$nproc"
}

podman_env_write_config() {
	local d=$PODMAN_ENV_DIR rt name
	rt=$(podman_env_runtime)
	name=$(basename "$rt")
	mkdir -p "$d"/{root,runroot,tmp,volumes,networks,conf,cache}
	cat >"$d/conf/containers.conf" <<EOF
[containers]
default_ulimits = [ $(podman_env_ulimits) ]
netns = "none"
log_driver = "k8s-file"
cgroupns = "private"
pids_limit = 2048

[network]
network_config_dir = "$d/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
lock_type = "file"
tmp_dir = "$d/tmp"
static_dir = "$d/root/libpod"
volume_path = "$d/volumes"
runtime = "$name"
runtime_supports_json = ["crun", "runc", "hull-runtime", "hull", "$name"]
no_pivot_root = false

[engine.runtimes]
$name = [ "$rt" ]
EOF
	cat >"$d/conf/storage.conf" <<EOF
[storage]
driver = "${PODMAN_STORAGE_DRIVER:-vfs}"
graphroot = "$d/root"
runroot = "$d/runroot"
EOF
	cat >"$d/conf/registries.conf" <<EOF
unqualified-search-registries = []
short-name-mode = "disabled"
EOF
}

# podman_env_argv ARGS...: sets PODMAN_ARGV to the full command line (env
# assignments, podman, global flags, ARGS).  `run` and `create` additionally
# get the private cgroup parent and --network none (a later --network in ARGS
# wins).  The runtime is called with its default --root, as podman does in
# production: podman does not pass --runtime-flag on to the exit command of
# conmon, so a private runtime root would make `podman container cleanup`
# miss the container.  podman_env_teardown checks that runtime state.
podman_env_argv() {
	local d=$PODMAN_ENV_DIR
	case ${1:-} in
	run | create)
		set -- "$1" --cgroup-parent "$PODMAN_CGROUP_PARENT" --network none "${@:2}"
		;;
	esac
	PODMAN_ARGV=(
		env
		CONTAINERS_CONF="$d/conf/containers.conf"
		CONTAINERS_STORAGE_CONF="$d/conf/storage.conf"
		CONTAINERS_REGISTRIES_CONF="$d/conf/registries.conf"
		XDG_CONFIG_HOME="$d/conf/xdg" XDG_CACHE_HOME="$d/cache" TMPDIR="$d/tmp"
		podman
		--root "$d/root" --runroot "$d/runroot" --tmpdir "$d/tmp"
		--storage-driver "${PODMAN_STORAGE_DRIVER:-vfs}"
		--runtime "$(podman_env_runtime)"
		--cgroup-manager cgroupfs --events-backend file
		--network-config-dir "$d/networks" --volumepath "$d/volumes"
		"$@"
	)
}

# podman_cmd ARGS...: podman with the isolated configuration and $RUNTIME.
podman_cmd() {
	local PODMAN_ARGV
	podman_env_argv "$@"
	"${PODMAN_ARGV[@]}"
}

# podman_cmd_line ARGS...: the same command as one shell-quoted string, for
# `script -qec "$(podman_cmd_line run -t ...)" /dev/null` (a pty).
podman_cmd_line() {
	local PODMAN_ARGV
	podman_env_argv "$@"
	printf '%q ' "${PODMAN_ARGV[@]}"
}

# podman_env_mkrootfs OUT: a busybox root filesystem (tests/helpers/mkrootfs.sh
# when present, otherwise the fallback in bench/lib.sh).
podman_env_mkrootfs() {
	local out=$1 helper=$PODMAN_ENV_REPO/tests/helpers/mkrootfs.sh
	mkdir -p "$out"
	if [ -f "$helper" ] && sh "$helper" "$out" >/dev/null 2>&1 && [ -x "$out/bin/sh" ]; then
		return 0
	fi
	(
		# shellcheck source=bench/lib.sh
		. "$PODMAN_ENV_REPO/bench/lib.sh"
		bench_mkrootfs "$out"
	)
}

# podman_env_setup: creates the environment and imports the test image.
# Exports PODMAN_ENV_DIR, PODMAN_CGROUP_PARENT and PODMAN_IMAGE.
podman_env_setup() {
	local rt
	rt=$(podman_env_runtime)
	if [ -z "$rt" ] || [ ! -x "$rt" ]; then
		echo "podman-env: runtime ${RUNTIME:-build/hull-runtime} not found" >&2
		return 1
	fi
	PODMAN_ENV_DIR=$(mktemp -d /tmp/hull-podman.XXXXXX)
	PODMAN_CGROUP_PARENT=/hull-podman-test-$(basename "$PODMAN_ENV_DIR" | cut -d. -f2)
	export PODMAN_ENV_DIR PODMAN_CGROUP_PARENT PODMAN_IMAGE
	podman_env_write_config
	podman_env_mkrootfs "$PODMAN_ENV_DIR/rootfs" || return 1
	tar -C "$PODMAN_ENV_DIR/rootfs" -cf "$PODMAN_ENV_DIR/busybox.tar" . || return 1
	rm -rf "$PODMAN_ENV_DIR/rootfs"
	podman_cmd import --quiet --change 'CMD ["/bin/sh"]' \
		"$PODMAN_ENV_DIR/busybox.tar" "$PODMAN_IMAGE" >/dev/null || return 1
}

# podman_env_container_ids: ids of all containers created in the environment
# (from the events log).
podman_env_container_ids() {
	[ -f "$PODMAN_ENV_DIR/events.log" ] || return 0
	jq -r 'select(.Type == "container" and .Status == "create") | .ID' \
		"$PODMAN_ENV_DIR/events.log" 2>/dev/null | sort -u
}

# podman_env_mounts: mounts under $PODMAN_ENV_DIR, deepest first.
podman_env_mounts() {
	awk -v d="$PODMAN_ENV_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# podman_env_cgroup_dirs: the cgroup parent in every hierarchy.
podman_env_cgroup_dirs() {
	local c
	for c in /sys/fs/cgroup/*/"${PODMAN_CGROUP_PARENT#/}" /sys/fs/cgroup/"${PODMAN_CGROUP_PARENT#/}"; do
		[ -d "$c" ] && echo "$c"
	done
	return 0
}

# podman_env_leaks: prints what the containers left behind once podman has
# removed them: mounts under the environment (except the graph root's own
# private bind, which storage keeps while in use), container cgroups
# (podman's "conmon" cgroup under the parent is its own) and containers
# still known to the runtime.  Prints nothing when clean.
podman_env_leaks() {
	local m c id rt
	rt=$(podman_env_runtime)
	for m in $(podman_env_mounts); do
		case $m in
		"$PODMAN_ENV_DIR/root" | "$PODMAN_ENV_DIR/root/overlay") ;;
		*) echo "mount $m" ;;
		esac
	done
	for c in $(podman_env_cgroup_dirs); do
		find "$c" -mindepth 1 -type d ! -path "$c/conmon" ! -path "$c/conmon/*" -printf '%P\n'
	done | sort | uniq -c | while read -r n c; do
		echo "cgroup $PODMAN_CGROUP_PARENT/$c (in $n hierarchies)"
	done
	for id in $(podman_env_container_ids); do
		"$rt" state "$id" >/dev/null 2>&1 && echo "runtime state $id"
	done
	return 0
}

# podman_env_teardown: removes every container, image, mount, cgroup and file
# of the environment.  Fails (after cleaning up all it can) if the containers
# leaked anything (see podman_env_leaks).
podman_env_teardown() {
	if [ -z "${PODMAN_ENV_DIR:-}" ] || [ ! -d "$PODMAN_ENV_DIR" ]; then
		return 0
	fi
	local leaks m c id rt
	rt=$(podman_env_runtime)
	podman_cmd rm -af -t 0 >/dev/null 2>&1 || true
	leaks=$(podman_env_leaks)
	podman_cmd rmi -af >/dev/null 2>&1 || true
	for id in $(podman_env_container_ids); do
		"$rt" delete -f "$id" >/dev/null 2>&1 || true
	done
	for m in $(podman_env_mounts); do
		umount -l "$m" 2>/dev/null || true
	done
	for c in $(podman_env_cgroup_dirs); do
		find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
	rm -rf "$PODMAN_ENV_DIR"
	if [ -n "$leaks" ]; then
		printf '%s\n' "$leaks" | sed 's/^/podman-env: leaked /' >&2
		return 1
	fi
}
