# shellcheck shell=bash
# A private dockerd (Debian's docker.io 20.10) with an OCI runtime ($RUNTIME) registered
# as the runtime "hull" (`--add-runtime hull=PATH`). Sourced by bats files:
#
#   setup_file()    { source "$BATS_TEST_DIRNAME/lib/docker-env.sh"; docker_env_setup; }
#   teardown_file() { source "$BATS_TEST_DIRNAME/lib/docker-env.sh"; docker_env_teardown; }
#   @test ...       { docker_cmd run --rm --runtime hull "$DOCKER_IMAGE" true; }
#
# Everything lives under $DOCKER_ENV_DIR: its own daemon.json (so /etc/docker/daemon.json
# is not read), the API socket, --data-root, --exec-root (with the runtime's --root,
# exec-root/runtime-runc), a private containerd for it (--containerd; lib/clients.sh),
# --pidfile, the trust key ("deprecated-key-path" in daemon.json; otherwise dockerd writes
# /etc/docker/key.json) and the client's DOCKER_CONFIG. dockerd touches no host network:
# no bridge, no iptables, no forwarding or masquerading; containers run with --network
# none. Containers go into their own cgroup parent ($DOCKER_CGROUP_PARENT, cgroupfs driver).
# The image is the busybox root filesystem of tests/helpers/mkrootfs.sh plus the static test
# payload, loaded offline with `docker load` (lib/clients.sh).
#
# Outside the environment dockerd 20.10 creates /run/docker/plugins (a hard-coded plugin
# discovery directory) and containerd's shims /run/containerd/s; teardown removes them when
# setup did not find them (clients_note_host_dirs).
#
# Environment: RUNTIME (default build/hull-runtime; a name is looked up in PATH).

DOCKER_ENV_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
DOCKER_IMAGE=hull-busybox:latest
# Debian's client matches Debian's daemon; another docker in PATH may be a different one.
DOCKER_BIN=/usr/bin/docker
[ -x "$DOCKER_BIN" ] || DOCKER_BIN=$(command -v docker 2>/dev/null)
# shellcheck source=tests/integration/lib/clients.sh
source "$DOCKER_ENV_REPO/tests/integration/lib/clients.sh"

# $RUNTIME as an absolute path; the static test payload (lib/clients.sh).
docker_env_runtime() { clients_runtime; }
docker_env_payload() { clients_payload "$DOCKER_ENV_DIR"; }

# docker_cmd ARGS...: the docker client on the private daemon; one that hangs fails after
# DOCKER_TIMEOUT seconds (default 60).
docker_cmd() {
	DOCKER_CONFIG=$DOCKER_ENV_DIR/cli timeout --kill-after=5 "${DOCKER_TIMEOUT:-60}" \
		"$DOCKER_BIN" -H "unix://$DOCKER_ENV_DIR/docker.sock" "$@"
}

# docker_env_rt ID ARGS...: the runtime on the state dockerd's shim gave it for container
# ID: the runc v2 shim option Root, read from the task's options.json (20.10 uses
# exec-root/runtime-runc for every runtime), then the containerd namespace "moby".
docker_env_rt() {
	local id=$1 root
	root=$(jq -r .root "$DOCKER_ENV_DIR/containerd/state/io.containerd.runtime.v2.task/moby/$id/options.json") || return 1
	shift
	timeout 30 "$(docker_env_runtime)" --root "$root/moby" "$@"
}

# docker_env_start: starts a private containerd and dockerd on it (--containerd: dockerd
# would otherwise start one with containerd's default plugins, whose "opt" plugin creates
# /opt/containerd), both in the same mount namespace, and waits until dockerd answers.
docker_env_start() {
	local d=$DOCKER_ENV_DIR
	containerd_write_config "$d/containerd"
	# No inherited descriptor but the logs: bats waits for whoever holds its output fds.
	# with-cgroup-mounts.sh: see there; dockerd keeps the pid of the background job, and
	# containerd (its pid in containerd.pid) is started first, in the same namespace.
	# shellcheck disable=SC2016 # expanded by that shell
	"$DOCKER_ENV_REPO/tests/integration/lib/with-cgroup-mounts.sh" "$d" sh -c '
		containerd --config "$1/containerd/config.toml" >"$1/containerd.log" 2>&1 &
		echo $! >"$1/containerd.pid"
		i=0
		while [ ! -S "$1/containerd/containerd.sock" ] && [ $i -lt 200 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		shift
		exec "$@"' sh "$d" \
		dockerd --config-file "$d/daemon.json" -H "unix://$d/docker.sock" \
		--containerd "$d/containerd/containerd.sock" \
		--data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/docker.pid" \
		--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
		--userland-proxy=false --storage-driver overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "$DOCKER_CGROUP_PARENT" \
		--add-runtime "hull=$(docker_env_runtime)" \
		</dev/null >"$d/dockerd.log" 2>&1 3>&- 4>&- 5>&- &
	DOCKERD_PID=$!
	echo "$DOCKERD_PID" >"$d/dockerd.bg.pid"
	export DOCKERD_PID
	for _ in $(seq 1 300); do
		if DOCKER_TIMEOUT=5 docker_cmd version >/dev/null 2>&1; then
			return 0
		fi
		if ! oci_pid_alive "$DOCKERD_PID"; then
			echo "docker-env: dockerd exited:" >&2
			grep -hE 'level=(error|fatal)|failed' "$d/dockerd.log" "$d/containerd.log" | tail -20 >&2
			return 1
		fi
		sleep 0.1
	done
	echo "docker-env: dockerd did not answer on $d/docker.sock within 30s" >&2
	tail -20 "$d/dockerd.log" "$d/containerd.log" >&2
	return 1
}

# docker_env_setup: creates the environment, starts dockerd and loads the test image.
# Exports DOCKER_ENV_DIR, DOCKER_CGROUP_PARENT, DOCKER_IMAGE, DOCKERD_PID.
docker_env_setup() {
	local rt payload
	rt=$(docker_env_runtime)
	if [ -z "$rt" ] || [ ! -x "$rt" ]; then
		echo "docker-env: runtime ${RUNTIME:-build/hull-runtime} not found" >&2
		return 1
	fi
	DOCKER_ENV_DIR=$(mktemp -d /tmp/hull-docker.XXXXXX)
	DOCKER_CGROUP_PARENT=/hull-docker-$(basename "$DOCKER_ENV_DIR" | cut -d. -f2)
	export DOCKER_ENV_DIR DOCKER_CGROUP_PARENT DOCKER_IMAGE
	clients_note_host_dirs "$DOCKER_ENV_DIR"
	mkdir -p "$DOCKER_ENV_DIR"/{data,exec,cli}
	# The trust key path is a daemon.json setting only (no command line flag in 20.10).
	jq -n --arg k "$DOCKER_ENV_DIR/key.json" '{"deprecated-key-path": $k}' >"$DOCKER_ENV_DIR/daemon.json"
	payload=$(docker_env_payload) || return 1
	"$DOCKER_ENV_REPO/tests/helpers/mkrootfs.sh" "$DOCKER_ENV_DIR/rootfs" --payload "$payload" >/dev/null || return 1
	[ -x "$DOCKER_ENV_DIR/rootfs/payload" ] || install -m 0755 "$payload" "$DOCKER_ENV_DIR/rootfs/payload"
	oci_image_archive "$DOCKER_ENV_DIR/rootfs" "$DOCKER_ENV_DIR/image.tar" "docker.io/library/$DOCKER_IMAGE" || return 1
	rm -rf "$DOCKER_ENV_DIR/rootfs"
	docker_env_start || return 1
	docker_cmd load -q -i "$DOCKER_ENV_DIR/image.tar" >/dev/null || return 1
	docker_cmd image inspect "$DOCKER_IMAGE" >/dev/null || {
		echo "docker-env: $DOCKER_IMAGE missing after docker load" >&2
		return 1
	}
}

# docker_env_shims, docker_env_mounts, docker_env_cgroup_dirs: the shims of the daemon's
# containerd, the mounts under $DOCKER_ENV_DIR and its cgroup parents (lib/clients.sh).
docker_env_shims() { clients_shims "$DOCKER_ENV_DIR/"; }
docker_env_mounts() { clients_mounts "${DOCKERD_PID:-}" "$DOCKER_ENV_DIR"; }
docker_env_cgroup_dirs() { clients_cgroup_dirs "${DOCKERD_PID:-}" "$DOCKER_ENV_DIR" "$DOCKER_CGROUP_PARENT"; }

# docker_env_leaks: what removed containers left behind: containers, runtime state,
# container cgroups, container mounts (rootfs, network namespace files). The overlay2
# driver's own bind mount of its home is the daemon's. Prints nothing when clean.
docker_env_leaks() {
	local m
	docker_cmd ps -aq 2>/dev/null | sed 's/^/container /'
	find "$DOCKER_ENV_DIR"/exec/runtime-* -mindepth 2 -maxdepth 2 ! -name .seccomp-cache 2>/dev/null | sed 's/^/runtime state /'
	# shellcheck disable=SC2046 # one directory per line, no spaces
	clients_cgroup_leaks "$DOCKER_CGROUP_PARENT" $(docker_env_cgroup_dirs)
	for m in $(docker_env_mounts); do
		case $m in
		"$DOCKER_ENV_DIR/data" | "$DOCKER_ENV_DIR/data/overlay2" | "$DOCKER_ENV_DIR"/cgroup/*) ;;
		*) echo "mount $m" ;;
		esac
	done
	return 0
}

# docker_env_remove_cgroups: kills what is left in the cgroup parent and removes it, in every
# hierarchy the daemon sees.
docker_env_remove_cgroups() {
	# shellcheck disable=SC2046 # one directory per line, no spaces
	clients_remove_cgroups $(docker_env_cgroup_dirs)
}

# docker_env_teardown: removes every container, image, shim, mount, cgroup and file of the
# environment and stops dockerd (which stops its containerd). Fails (after cleaning up all
# it can) when the containers leaked anything (see docker_env_leaks).
docker_env_teardown() {
	if [ -z "${DOCKER_ENV_DIR:-}" ] || [ ! -d "$DOCKER_ENV_DIR" ]; then
		return 0
	fi
	local leaks="" m p d rt ids
	rt=$(docker_env_runtime)
	DOCKERD_PID=${DOCKERD_PID:-$(cat "$DOCKER_ENV_DIR/dockerd.bg.pid" 2>/dev/null)}
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		leaks=$(docker_env_leaks)
		ids=$(DOCKER_TIMEOUT=20 docker_cmd ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # one id per word
		[ -z "$ids" ] || DOCKER_TIMEOUT=30 docker_cmd rm -f $ids >/dev/null 2>&1
		DOCKER_TIMEOUT=20 docker_cmd rmi -f "$DOCKER_IMAGE" >/dev/null 2>&1
		# While the daemon's mount namespace still exists (with-cgroup-mounts.sh).
		docker_env_remove_cgroups
		kill -TERM "$DOCKERD_PID" 2>/dev/null
		for _ in $(seq 1 200); do
			oci_pid_alive "$DOCKERD_PID" || break
			sleep 0.1
		done
		kill -KILL "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	# Then the environment's containerd.
	p=$(cat "$DOCKER_ENV_DIR/containerd.pid" 2>/dev/null)
	if [ -n "$p" ] && oci_pid_alive "$p" &&
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "$DOCKER_ENV_DIR/"; then
		kill -TERM "$p"
		for _ in $(seq 1 100); do
			oci_pid_alive "$p" || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
	fi
	p=$(docker_env_shims)
	if [ -n "$p" ]; then
		leaks+=${leaks:+$'\n'}"shims ${p//$'\n'/ }"
		# shellcheck disable=SC2086 # one pid per word
		kill -KILL $p 2>/dev/null
	fi
	for d in "$DOCKER_ENV_DIR"/exec/runtime-*/*/*; do
		[ -d "$d" ] || continue
		"$rt" --root "$(dirname "$d")" delete -f "$(basename "$d")" >/dev/null 2>&1
	done
	for m in $(docker_env_mounts); do
		umount -l "$m" 2>/dev/null || true
	done
	docker_env_remove_cgroups
	clients_remove_host_dirs "$DOCKER_ENV_DIR"
	rm -rf "$DOCKER_ENV_DIR"
	if [ -n "$leaks" ]; then
		printf '%s\n' "$leaks" | sed 's/^/docker-env: leaked /' >&2
		return 1
	fi
}
