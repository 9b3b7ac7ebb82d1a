# shellcheck shell=bash
# A private containerd (Debian's 1.6) driving an OCI runtime ($RUNTIME) through the runc
# v2 shim. Sourced by bats files:
#
#   setup_file()    { source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"; ctrd_env_setup; }
#   teardown_file() { source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"; ctrd_env_teardown; }
#   @test ...       { ctrd_run --rm "$CTRD_IMAGE" "$id" /payload true; }
#
# Everything lives under $CTRD_DIR: containerd's config, root, state and sockets (grpc,
# ttrpc), the runtime's --root (runc v2 shim option Root, `ctr run --runc-root`), the
# FIFOs of the tasks' stdio and the daemon's log; the exception is the shims' sockets,
# which containerd 1.6 always puts in /run/containerd/s (see clients_note_host_dirs).
# Only the plugins the tests need are loaded (no CRI; see containerd_write_config in
# lib/clients.sh). Containers go into their own cgroup parent ($CTRD_CGROUP_PARENT) and a containerd
# namespace of their own ($CTRD_NS), and have no network namespace of the host's (ctr's
# default spec gives them a new one with only loopback). The shim finds the runtime through
# the task option BinaryName (`ctr run --runc-binary`). The test image is the busybox root
# filesystem of tests/helpers/mkrootfs.sh plus the static test payload, imported offline
# from an OCI archive (lib/clients.sh).
#
# Environment: RUNTIME (default build/hull-runtime; a name is looked up in PATH).
# CTRD_CRI=1 loads containerd's CRI plugin too (tests/integration/containerd-cri.bats):
# the containerd namespace is then the CRI's, k8s.io (private all the same: the daemon's
# root is), the runtime handler "hull" runs RUNTIME, and a sandbox ("pause") image,
# $CTRD_PAUSE_IMAGE (the static payload sleeping), is imported next to the busybox one.

CTRD_ENV_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CTRD_IMAGE=docker.io/library/hull-busybox:latest
CTRD_PAUSE_IMAGE=docker.io/library/hull-pause:latest
# shellcheck source=tests/integration/lib/clients.sh
source "$CTRD_ENV_REPO/tests/integration/lib/clients.sh"

# $RUNTIME as an absolute path; the static test payload (lib/clients.sh).
ctrd_env_runtime() { clients_runtime; }
ctrd_env_payload() { clients_payload "$CTRD_DIR"; }

# ctrd_env_write_config: the daemon's config and the directories the tests pass to ctr.
ctrd_env_write_config() {
	mkdir -p "$CTRD_DIR"/{rt-root,fifo}
	if [ -n "${CTRD_CRI:-}" ]; then
		containerd_write_config "$CTRD_DIR" "$(ctrd_env_runtime)" "$CTRD_PAUSE_IMAGE"
	else
		containerd_write_config "$CTRD_DIR"
	fi
}

# ctrd_ctr ARGS...: ctr talking to the private daemon in the test namespace; a ctr that
# hangs fails after CTRD_TIMEOUT seconds (default 60). `task exec` gets the private FIFO
# directory (ctr's default is /run/containerd/fifo).
ctrd_ctr() {
	case "$1 ${2:-}" in
	"task exec" | "tasks exec") set -- "$1" "$2" --fifo-dir "$CTRD_DIR/fifo" "${@:3}" ;;
	esac
	timeout --kill-after=5 "${CTRD_TIMEOUT:-60}" \
		ctr --address "$CTRD_DIR/containerd.sock" --namespace "$CTRD_NS" "$@"
}

# ctrd_run [OPTIONS] IMAGE ID [ARGS...]: `ctr run` with the shim pointed at $RUNTIME and
# its state in the private runtime root, the container in the private cgroup parent.
# stdin is /dev/null unless the caller redirects it.
ctrd_run() {
	local id="" a prev="" nopt=0
	# The container id is the first argument after the image, i.e. the second non-option.
	for a in "$@"; do
		case $prev in
		--memory-limit | --cgroup | --env | --label | --mount | --cwd | --snapshotter | \
			--runtime | --log-uri | --fifo-dir | --pid-file | --cpus | --cpu-shares | \
			--runc-binary | --runc-root | --annotation | --cap-add | --cap-drop)
			prev=""
			continue
			;;
		esac
		case $a in
		-*) prev=$a ;;
		*)
			nopt=$((nopt + 1))
			if [ "$nopt" -eq 2 ]; then
				id=$a
				break
			fi
			;;
		esac
	done
	ctrd_ctr run --runc-binary "$(ctrd_env_runtime)" --runc-root "$CTRD_DIR/rt-root" \
		--fifo-dir "$CTRD_DIR/fifo" --cgroup "$CTRD_CGROUP_PARENT/$id" "$@"
}

# ctrd_env_start: starts containerd and waits until it answers.
ctrd_env_start() {
	local d=$CTRD_DIR
	# No inherited descriptor but the log: bats waits for whoever holds its output fds.
	# with-cgroup-mounts.sh: see there; containerd keeps the pid of the background job.
	"$CTRD_ENV_REPO/tests/integration/lib/with-cgroup-mounts.sh" "$d" \
		containerd --config "$d/config.toml" </dev/null >"$d/containerd.log" 2>&1 3>&- 4>&- 5>&- &
	CTRD_PID=$!
	echo "$CTRD_PID" >"$d/containerd.pid"
	export CTRD_PID
	for _ in $(seq 1 200); do
		if ctr --address "$d/containerd.sock" version >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$CTRD_PID" 2>/dev/null; then
			echo "containerd-env: containerd exited:" >&2
			tail -20 "$d/containerd.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "containerd-env: containerd did not answer on $d/containerd.sock within 10s" >&2
	tail -20 "$d/containerd.log" >&2
	return 1
}

# ctrd_env_setup: creates the environment, starts containerd and imports the test image.
# Exports CTRD_DIR, CTRD_NS, CTRD_CGROUP_PARENT, CTRD_IMAGE, CTRD_PID.
ctrd_env_setup() {
	local rt payload img
	rt=$(ctrd_env_runtime)
	if [ -z "$rt" ] || [ ! -x "$rt" ]; then
		echo "containerd-env: runtime ${RUNTIME:-build/hull-runtime} not found" >&2
		return 1
	fi
	CTRD_DIR=$(mktemp -d /tmp/hull-containerd.XXXXXX)
	CTRD_NS=hull-test-$(basename "$CTRD_DIR" | cut -d. -f2)
	CTRD_CGROUP_PARENT=/$CTRD_NS
	# The CRI plugin works in the namespace k8s.io only; the cgroup parent stays ours.
	[ -z "${CTRD_CRI:-}" ] || CTRD_NS=k8s.io
	export CTRD_DIR CTRD_NS CTRD_CGROUP_PARENT CTRD_IMAGE CTRD_PAUSE_IMAGE
	clients_note_host_dirs "$CTRD_DIR"
	ctrd_env_write_config
	payload=$(ctrd_env_payload) || return 1
	"$CTRD_ENV_REPO/tests/helpers/mkrootfs.sh" "$CTRD_DIR/rootfs" --payload "$payload" >/dev/null || return 1
	[ -x "$CTRD_DIR/rootfs/payload" ] || install -m 0755 "$payload" "$CTRD_DIR/rootfs/payload"
	oci_image_archive "$CTRD_DIR/rootfs" "$CTRD_DIR/image.tar" "$CTRD_IMAGE" || return 1
	rm -rf "$CTRD_DIR/rootfs"
	if [ -n "${CTRD_CRI:-}" ]; then
		mkdir "$CTRD_DIR/pause"
		install -m 0755 "$payload" "$CTRD_DIR/pause/payload"
		oci_image_archive "$CTRD_DIR/pause" "$CTRD_DIR/pause.tar" "$CTRD_PAUSE_IMAGE" \
			'["/payload", "sleep", "forever"]' || return 1
		rm -rf "$CTRD_DIR/pause"
	fi
	ctrd_env_start || return 1
	for img in "$CTRD_IMAGE:image.tar" ${CTRD_CRI:+"$CTRD_PAUSE_IMAGE:pause.tar"}; do
		ctrd_ctr image import "$CTRD_DIR/${img##*:}" >/dev/null || return 1
		ctrd_ctr image ls -q | grep -qxF "${img%:*}" || {
			echo "containerd-env: ${img%:*} missing after import" >&2
			return 1
		}
	done
}

# ctrd_env_shims, ctrd_env_mounts, ctrd_env_cgroup_dirs: this daemon's shims, the mounts
# under $CTRD_DIR and its cgroup parents (lib/clients.sh).
ctrd_env_shims() { clients_shims "$CTRD_DIR/containerd.sock "; }
ctrd_env_mounts() { clients_mounts "${CTRD_PID:-}" "$CTRD_DIR"; }
ctrd_env_cgroup_dirs() { clients_cgroup_dirs "${CTRD_PID:-}" "$CTRD_DIR" "$CTRD_CGROUP_PARENT"; }

# ctrd_env_leaks: what containers left behind once containerd deleted them: tasks,
# containers, runtime state, container cgroups, mounts other than the daemon's own.
# Prints nothing when clean.
ctrd_env_leaks() {
	local m
	ctrd_ctr task ls -q 2>/dev/null | sed 's/^/task /'
	ctrd_ctr container ls -q 2>/dev/null | sed 's/^/container /'
	find "$CTRD_DIR/rt-root" -mindepth 2 -maxdepth 2 ! -name .seccomp-cache 2>/dev/null | sed 's/^/runtime state /'
	# shellcheck disable=SC2046 # one directory per line, no spaces
	clients_cgroup_leaks "$CTRD_CGROUP_PARENT" $(ctrd_env_cgroup_dirs)
	for m in $(ctrd_env_mounts); do
		case $m in
		"$CTRD_DIR"/root/io.containerd.snapshotter.v1.overlayfs/snapshots/*) echo "mount $m" ;;
		"$CTRD_DIR"/state/*) echo "mount $m" ;;
		esac
	done
	return 0
}

# ctrd_env_remove_cgroups: kills what is left in the cgroup parent and removes it, in every
# hierarchy the daemon sees.
ctrd_env_remove_cgroups() {
	# shellcheck disable=SC2046 # one directory per line, no spaces
	clients_remove_cgroups $(ctrd_env_cgroup_dirs)
}

# ctrd_env_teardown: removes every task, container, image, shim, mount, cgroup and file of
# the environment and stops containerd. Fails (after cleaning up all it can) when the
# containers leaked anything (see ctrd_env_leaks).
ctrd_env_teardown() {
	if [ -z "${CTRD_DIR:-}" ] || [ ! -d "$CTRD_DIR" ]; then
		return 0
	fi
	local leaks="" id m p d rt
	rt=$(ctrd_env_runtime)
	CTRD_PID=${CTRD_PID:-$(cat "$CTRD_DIR/containerd.pid" 2>/dev/null)}
	if [ -n "$CTRD_PID" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		leaks=$(ctrd_env_leaks)
		for id in $(CTRD_TIMEOUT=20 ctrd_ctr task ls -q 2>/dev/null); do
			CTRD_TIMEOUT=20 ctrd_ctr task kill -s KILL "$id" >/dev/null 2>&1
			CTRD_TIMEOUT=20 ctrd_ctr task delete -f "$id" >/dev/null 2>&1
		done
		for id in $(CTRD_TIMEOUT=20 ctrd_ctr container ls -q 2>/dev/null); do
			CTRD_TIMEOUT=20 ctrd_ctr container delete "$id" >/dev/null 2>&1
		done
		CTRD_TIMEOUT=20 ctrd_ctr image rm "$CTRD_IMAGE" ${CTRD_CRI:+"$CTRD_PAUSE_IMAGE"} >/dev/null 2>&1
		# While the daemon's mount namespace still exists (with-cgroup-mounts.sh).
		ctrd_env_remove_cgroups
		kill -TERM "$CTRD_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			oci_pid_alive "$CTRD_PID" || break
			sleep 0.1
		done
		kill -KILL "$CTRD_PID" 2>/dev/null
		wait "$CTRD_PID" 2>/dev/null
	fi
	# Shims outlive the daemon by design; ours are the ones serving our socket.
	p=$(ctrd_env_shims)
	if [ -n "$p" ]; then
		leaks+=${leaks:+$'\n'}"shims ${p//$'\n'/ }"
		# shellcheck disable=SC2086 # one pid per word
		kill -KILL $p 2>/dev/null
	fi
	for d in "$CTRD_DIR"/rt-root/*/*; do
		[ -d "$d" ] || continue
		"$rt" --root "$(dirname "$d")" delete -f "$(basename "$d")" >/dev/null 2>&1
	done
	for m in $(ctrd_env_mounts); do
		umount -l "$m" 2>/dev/null || true
	done
	ctrd_env_remove_cgroups
	clients_remove_host_dirs "$CTRD_DIR"
	rm -rf "$CTRD_DIR"
	if [ -n "$leaks" ]; then
		printf '%s\n' "$leaks" | sed 's/^/containerd-env: leaked /' >&2
		return 1
	fi
}
