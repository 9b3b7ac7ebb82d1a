#!/usr/bin/env bats
# shellcheck shell=bash source-path=SCRIPTDIR
# containerd's CRI plugin (what the kubelet talks to) with the runtime handler "hull" = the
# runc v2 shim with BinaryName RUNTIME (default build/hull-runtime; RUNTIME=/usr/sbin/runc
# for the reference run). The daemon is private to the file (lib/containerd-env.sh with
# CTRD_CRI=1): its own config, root, state, sockets, runtime root and cgroup parent; the
# busybox image and a sandbox ("pause") image are imported offline. The CRI calls are made
# with tests/helpers/cri/cri.py (crictl is not packaged in Debian 12). Pods use the host's
# network (no CNI); nothing is sent on any network.
#
# Issue 11 §2: a pod volume with Kubernetes' `mountPropagation: Bidirectional` (CRI
# PROPAGATION_BIDIRECTIONAL: containerd asks for an "rshared" bind and rootfsPropagation
# rshared) propagates mounts both ways; HostToContainer (rslave) only from the host.

bats_require_minimum_version 1.5.0

CRI_PY=/usr/bin/python3

# bats 1.8 cannot skip from setup_file: it records why, and setup() skips.
setup_file() {
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	local rt
	rt=$(ctrd_env_runtime)
	if [ "$(id -u)" != 0 ]; then
		export CTRD_SKIP="needs root"
	elif ! command -v containerd >/dev/null || ! command -v ctr >/dev/null ||
		! command -v containerd-shim-runc-v2 >/dev/null; then
		export CTRD_SKIP="containerd is not installed (apt-get install containerd)"
	elif ! command -v protoc >/dev/null ||
		! "$CRI_PY" -c 'import grpc, google.protobuf' 2>/dev/null; then
		export CTRD_SKIP="the CRI client needs protobuf-compiler, python3-grpcio, python3-protobuf"
	elif [ -z "$rt" ] || [ ! -x "$rt" ]; then
		export CTRD_SKIP="runtime ${RUNTIME:-build/hull-runtime} not found (set RUNTIME)"
	else
		export CTRD_CRI=1
		ctrd_env_setup
	fi
}

teardown_file() {
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	ctrd_env_teardown
}

setup() {
	[ -z "${CTRD_SKIP:-}" ] || skip "$CTRD_SKIP"
	source "$BATS_TEST_DIRNAME/lib/containerd-env.sh"
	# The volume's host directory, made a shared mount as the kubelet makes its own
	# directory (/var/lib/kubelet) one. It is mounted in the daemon's mount namespace,
	# which is the host's unless lib/with-cgroup-mounts.sh had to give it its own.
	VOL=$CTRD_DIR/vol-$BATS_TEST_NUMBER
	VOL_MOUNTED=""
}

# Every test removes its pods (and so their containers), the mounts it made and the
# volume, so that a failing test does not make the next ones (or the leak check) fail too.
teardown() {
	[ -z "${CTRD_SKIP:-}" ] || return 0
	local p
	for p in $(cri ListPodSandbox | jq -r '.items[].id'); do
		cri StopPodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null
		cri RemovePodSandbox "{\"pod_sandbox_id\": \"$p\"}" >/dev/null
	done
	if [ -n "$VOL_MOUNTED" ]; then
		host umount -R "$VOL" || host umount -R -l "$VOL"
	fi
	rm -rf "$VOL"
	return 0
}

# cri METHOD [JSON]: one CRI call to the private daemon; the reply as JSON on stdout.
cri() {
	timeout --kill-after=5 90 "$CRI_PY" "$CTRD_ENV_REPO/tests/helpers/cri/cri.py" \
		"$CTRD_DIR/containerd.sock" "$@"
}

# host CMD...: CMD in the daemon's (the kubelet's, the host's) mount namespace.
host() {
	nsenter -t "$CTRD_PID" -m -- "$@"
}

# rt ARGS...: the runtime under test on the state the shim gave it.
rt() {
	timeout 30 "$(ctrd_env_runtime)" --root "$CTRD_DIR/rt-root/$CTRD_NS" "$@"
}

# pod_config NAME: a privileged pod (privileged containers need it) in the host's network
# namespace, its containers in our cgroup parent.
pod_config() {
	jq -cn --arg n "$1" --arg cg "$CTRD_CGROUP_PARENT" --arg logs "$CTRD_DIR/logs/$1" '{
		metadata: {name: $n, uid: ("uid-" + $n), namespace: "hull-test"},
		log_directory: $logs,
		linux: {cgroup_parent: $cg, security_context: {
			privileged: true,
			namespace_options: {network: "NODE", pid: "CONTAINER", ipc: "POD"}}}
	}'
}

# run_pod NAME: RunPodSandbox with the handler "hull"; sets POD and POD_CONFIG.
run_pod() {
	POD_CONFIG=$(pod_config "$1")
	POD=$(cri RunPodSandbox "$(jq -cn --argjson c "$POD_CONFIG" '{config: $c, runtime_handler: "hull"}')" |
		jq -r .pod_sandbox_id)
	[ -n "$POD" ] && [ "$POD" != null ]
}

# run_ctr NAME [MOUNTS_JSON]: creates and starts a privileged busybox container in $POD
# (a privileged container is what Kubernetes requires for Bidirectional); sets CID.
run_ctr() {
	local cfg
	cfg=$(jq -cn --arg n "$1" --arg img "$CTRD_IMAGE" --argjson m "${2:-[]}" '{
		metadata: {name: $n},
		image: {image: $img},
		command: ["sh", "-c", "trap \"exit 0\" TERM; sleep 1000 & wait"],
		log_path: ($n + ".log"),
		mounts: $m,
		linux: {security_context: {privileged: true,
			namespace_options: {network: "NODE", pid: "CONTAINER", ipc: "POD"}}}
	}')
	CID=$(cri CreateContainer "$(jq -cn --arg p "$POD" --argjson c "$cfg" --argjson s "$POD_CONFIG" \
		'{pod_sandbox_id: $p, config: $c, sandbox_config: $s}')" | jq -r .container_id)
	[ -n "$CID" ] && [ "$CID" != null ] || return 1
	cri StartContainer "{\"container_id\": \"$CID\"}" >/dev/null
}

# in_ctr CMD...: ExecSync in $CID; prints its stdout, fails with its exit code.
in_ctr() {
	local r code cmd a
	# Not jq --args: jq 1.6 takes an argument such as -c for an option of its own.
	cmd=$(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -sc .)
	r=$(cri ExecSync "$(jq -cn --arg c "$CID" --argjson cmd "$cmd" \
		'{container_id: $c, cmd: $cmd, timeout: 30}')") || return 1
	jq -r '.stdout | @base64d' <<<"$r"
	jq -r '.stderr | @base64d' <<<"$r" >&2
	code=$(jq -r .exit_code <<<"$r")
	return "$code"
}

# shared_volume: $VOL as a shared mount of its own in the daemon's mount namespace (the
# CRI plugin refuses Bidirectional on a host path whose mount is not shared).
shared_volume() {
	mkdir -p "$VOL"
	host mount --bind "$VOL" "$VOL"
	VOL_MOUNTED=1
	host mount --make-shared "$VOL"
}

# host_has_mount PATH SOURCE: the daemon's namespace has a mount of SOURCE at PATH.
host_has_mount() {
	awk -v p="$1" -v s="$2" '$5 == p { for (i = 7; $i != "-"; i++) ; if ($(i + 2) == s) f = 1 }
		END { exit !f }' "/proc/$CTRD_PID/mountinfo"
}

@test "CRI: RunPodSandbox + CreateContainer + StartContainer run with the runtime under test" {
	run -0 cri Version
	[ "$(jq -r .runtime_name <<<"$output")" = containerd ]
	run_pod p1
	run -0 cri PodSandboxStatus "{\"pod_sandbox_id\": \"$POD\"}"
	[ "$(jq -r .status.state <<<"$output")" = SANDBOX_READY ]
	[ "$(jq -r .status.runtime_handler <<<"$output")" = hull ]
	# The sandbox ("pause") container is the runtime's, under the handler's root.
	run -0 rt state "$POD"
	[ "$(jq -r .status <<<"$output")" = running ]

	run_ctr c1
	run -0 cri ContainerStatus "{\"container_id\": \"$CID\", \"verbose\": true}"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_RUNNING ]
	local pid
	pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")
	[ "$pid" -gt 0 ]
	# The shim created the container with $RUNTIME: its state is there, with the same pid.
	run -0 rt state "$CID"
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$pid" ]
	# ExecSync goes through the runtime's exec: same namespaces as the container's pid 1.
	run -0 in_ctr sh -c 'echo hello from cri; readlink /proc/1/ns/mnt; readlink /proc/self/ns/mnt'
	[ "${lines[0]}" = "hello from cri" ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/mnt")" ]
	[ "${lines[2]}" = "${lines[1]}" ]
	run -3 in_ctr sh -c 'exit 3'

	run -0 cri StopContainer "{\"container_id\": \"$CID\", \"timeout\": 10}"
	run -0 cri ContainerStatus "{\"container_id\": \"$CID\"}"
	[ "$(jq -r .status.state <<<"$output")" = CONTAINER_EXITED ]
	[ "$(jq -r .status.exit_code <<<"$output")" = 0 ]
	run -0 cri RemoveContainer "{\"container_id\": \"$CID\"}"
	run ! rt state "$CID"
	[[ "$output" == *"does not exist"* ]]
}

@test "CRI: a PROPAGATION_BIDIRECTIONAL volume propagates mounts from the container to the host and back" {
	shared_volume
	mkdir "$VOL"/from-ctr "$VOL"/from-host
	run_pod p2
	run_ctr c2 "$(jq -cn --arg h "$VOL" '[{container_path: "/vol", host_path: $h,
		propagation: "PROPAGATION_BIDIRECTIONAL"}]')"
	# containerd asked the runtime for what Kubernetes' Bidirectional means.
	local cfg=$CTRD_DIR/state/io.containerd.runtime.v2.task/k8s.io/$CID/config.json
	[ "$(jq -r .linux.rootfsPropagation "$cfg")" = rshared ]
	jq -e --arg h "$VOL" '.mounts[] | select(.source == $h) | .options | index("rshared")' "$cfg"

	# A mount made inside the container under the volume appears on the host ...
	run -0 in_ctr sh -c 'mount -t tmpfs -o size=64k hull-from-ctr /vol/from-ctr &&
		echo made-inside >/vol/from-ctr/marker'
	host_has_mount "$VOL/from-ctr" hull-from-ctr
	[ "$(host cat "$VOL/from-ctr/marker")" = made-inside ]
	# ... and a mount made on the host under the volume appears inside.
	host mount -t tmpfs -o size=64k hull-from-host "$VOL/from-host"
	host sh -c "echo made-on-host >$VOL/from-host/marker"
	run -0 in_ctr cat /vol/from-host/marker
	[ "$output" = made-on-host ]
	# shellcheck disable=SC2016 # awk fields, not shell variables
	run -0 in_ctr awk '$5 == "/vol/from-host" { print $5 }' /proc/self/mountinfo
	[ "$output" = /vol/from-host ]
	# An unmount inside propagates too.
	run -0 in_ctr umount /vol/from-ctr
	run ! host_has_mount "$VOL/from-ctr" hull-from-ctr
}

@test "CRI: a PROPAGATION_HOST_TO_CONTAINER volume propagates mounts from the host only" {
	shared_volume
	mkdir "$VOL"/from-ctr "$VOL"/from-host
	run_pod p3
	run_ctr c3 "$(jq -cn --arg h "$VOL" '[{container_path: "/vol", host_path: $h,
		propagation: "PROPAGATION_HOST_TO_CONTAINER"}]')"
	local cfg=$CTRD_DIR/state/io.containerd.runtime.v2.task/k8s.io/$CID/config.json
	jq -e --arg h "$VOL" '.mounts[] | select(.source == $h) | .options | index("rslave")' "$cfg"

	host mount -t tmpfs -o size=64k hull-from-host "$VOL/from-host"
	host sh -c "echo made-on-host >$VOL/from-host/marker"
	run -0 in_ctr cat /vol/from-host/marker
	[ "$output" = made-on-host ]
	# The container's own mount stays inside.
	run -0 in_ctr sh -c 'mount -t tmpfs -o size=64k hull-from-ctr /vol/from-ctr &&
		echo made-inside >/vol/from-ctr/marker && cat /vol/from-ctr/marker'
	[ "$output" = made-inside ]
	run ! host_has_mount "$VOL/from-ctr" hull-from-ctr
	[ ! -e "$VOL/from-ctr/marker" ]
}

@test "CRI: pods removed with StopPodSandbox + RemovePodSandbox leave nothing behind" {
	run_pod p4
	run_ctr c4
	run -0 cri StopPodSandbox "{\"pod_sandbox_id\": \"$POD\"}"
	run -0 cri RemovePodSandbox "{\"pod_sandbox_id\": \"$POD\"}"
	run -0 cri ListPodSandbox
	[ "$(jq '.items | length' <<<"$output")" = 0 ]
	run -0 cri ListContainers
	[ "$(jq '.containers | length' <<<"$output")" = 0 ]
	run ! rt state "$CID"
	run ! rt state "$POD"
	run -0 ctrd_env_leaks
	[ -z "$output" ]
}
