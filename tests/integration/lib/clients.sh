# shellcheck shell=bash
# Helpers shared by the client tests (containerd-env.sh, docker-env.sh, podman-env.sh).
#
# oci_image_archive builds a one-layer container image archive from a root filesystem
# directory, offline:
#
#   oci_image_archive ROOTFS OUT.tar NAME [CMD_JSON]
#
# OUT.tar is an OCI image layout (oci-layout, index.json, blobs/sha256/...) that also
# carries a Docker "docker save" manifest.json pointing at the same blobs, so the one
# file loads with `ctr image import` (which reads the OCI index when oci-layout is
# present) and with `docker load` (which reads manifest.json). The layer is an
# uncompressed tar, so its digest is also its diff id. NAME is a full reference such as
# docker.io/library/hull-busybox:latest; CMD_JSON defaults to ["/bin/sh"].

CLIENTS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)

# clients_runtime: $RUNTIME as an absolute path (default build/hull-runtime; a name is
# looked up in PATH).
clients_runtime() {
	local rt=${RUNTIME:-$CLIENTS_REPO/build/hull-runtime}
	case $rt in
	*/*) readlink -f "$rt" ;;
	*) command -v "$rt" ;;
	esac
}

# clients_payload DIR: the static test payload: next to the runtime (a meson build dir has
# both), build/payload, or compiled into DIR.
clients_payload() {
	local rt cand src=$CLIENTS_REPO/tests/helpers/payload.c
	rt=$(clients_runtime)
	for cand in "$(dirname "$rt")/payload" "$CLIENTS_REPO/build/payload"; do
		if [ -x "$cand" ] && [ "$cand" -nt "$src" ]; then
			echo "$cand"
			return 0
		fi
	done
	gcc -static -O2 -o "$1/payload" "$src" >&2 || return 1
	echo "$1/payload"
}

# _oci_blob FILE DIR: moves FILE into DIR/blobs/sha256/<digest>; prints the hex digest.
_oci_blob() {
	local f=$1 dir=$2 hex
	hex=$(sha256sum "$f" | cut -d' ' -f1) || return 1
	mkdir -p "$dir/blobs/sha256"
	mv "$f" "$dir/blobs/sha256/$hex"
	echo "$hex"
}

oci_image_archive() {
	local rootfs=$1 out=$2 name=$3 cmd=${4:-'["/bin/sh"]'} dir layer_hex layer_size
	local cfg_hex cfg_size mf_hex mf_size arch tag repo
	dir=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX") || return 1
	case $(uname -m) in
	x86_64) arch=amd64 ;;
	aarch64) arch=arm64 ;;
	*) arch=$(uname -m) ;;
	esac

	# Numeric owners, sorted names and a fixed mtime: the same rootfs gives the same digest.
	tar --sort=name --numeric-owner --mtime=@0 --exclude=./.complete \
		--exclude=./.mkrootfs-stamp -C "$rootfs" -cf "$dir/layer.tar" . || return 1
	layer_size=$(stat -c %s "$dir/layer.tar")
	layer_hex=$(_oci_blob "$dir/layer.tar" "$dir") || return 1

	jq -cn --arg arch "$arch" --arg diff "sha256:$layer_hex" --argjson cmd "$cmd" '{
		architecture: $arch, os: "linux", created: "1970-01-01T00:00:00Z",
		config: {
			Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
			Cmd: $cmd, WorkingDir: "/"
		},
		rootfs: {type: "layers", diff_ids: [$diff]},
		history: [{created: "1970-01-01T00:00:00Z", created_by: "hull tests: busybox rootfs"}]
	}' >"$dir/config.json" || return 1
	cfg_size=$(stat -c %s "$dir/config.json")
	cfg_hex=$(_oci_blob "$dir/config.json" "$dir") || return 1

	jq -cn --arg c "sha256:$cfg_hex" --argjson cs "$cfg_size" \
		--arg l "sha256:$layer_hex" --argjson ls "$layer_size" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]
	}' >"$dir/manifest" || return 1
	mf_size=$(stat -c %s "$dir/manifest")
	mf_hex=$(_oci_blob "$dir/manifest" "$dir") || return 1

	tag=${name##*:}
	repo=${name%:*}
	jq -cn --arg m "sha256:$mf_hex" --argjson ms "$mf_size" --arg name "$name" --arg tag "$tag" '{
		schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{
			mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $m, size: $ms,
			annotations: {"io.containerd.image.name": $name, "org.opencontainers.image.ref.name": $tag}
		}]
	}' >"$dir/index.json" || return 1
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	# Docker names images on the default registry without "docker.io/library/".
	repo=${repo#docker.io/}
	repo=${repo#library/}
	jq -cn --arg c "blobs/sha256/$cfg_hex" --arg l "blobs/sha256/$layer_hex" --arg t "$repo:$tag" \
		'[{Config: $c, RepoTags: [$t], Layers: [$l]}]' >"$dir/manifest.json" || return 1

	tar -C "$dir" -cf "$out" oci-layout index.json manifest.json blobs || return 1
	rm -rf "$dir"
}

# oci_pid_alive PID: PID exists and is not a zombie (a daemon started in the background by
# the same shell stays a zombie until waited for).
oci_pid_alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# containerd_write_config DIR [CRI_RUNTIME CRI_SANDBOX_IMAGE]: DIR/config.toml for a
# private containerd (1.6, config version 2) with its root, state and sockets
# (containerd.sock, containerd.sock.ttrpc) under DIR. Plugins not needed are disabled so
# the daemon starts fast and touches nothing of the host's: CRI (and with it CNI) unless
# CRI_RUNTIME is given, the snapshotters other than overlayfs, tracing, and "opt" (which
# would create /opt/containerd). The v1 runtime plugin stays: 1.6's tasks service does not
# load without it. With CRI_RUNTIME (an absolute path) the CRI plugin is loaded, see
# _containerd_cri_config.
containerd_write_config() {
	local d=$1 cri_rt=${2:-} disabled='"io.containerd.grpc.v1.cri",'
	[ -z "$cri_rt" ] || disabled=""
	mkdir -p "$d"/{root,state}
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = [
  $disabled
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.native",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""
EOF
	[ -z "$cri_rt" ] || _containerd_cri_config "$d" "$cri_rt" "$3" >>"$d/config.toml"
}

# _containerd_cri_config DIR RUNTIME SANDBOX_IMAGE: the CRI plugin's section. Pods run with
# the runtime handler "hull" (the default handler too): the runc v2 shim with BinaryName
# RUNTIME and the runtime's --root DIR/rt-root (the shim adds the namespace, k8s.io).
# Nothing of the host's is used or changed: the sandbox image is imported offline, the
# CNI directories are private and empty (the tests' pods use the host's network, which
# needs no CNI), AppArmor is off (otherwise the plugin would load its profile into the
# host's kernel), and the streaming server (exec/attach/port-forward URLs, which the tests
# do not use) listens on a free port of the loopback address. restrict_oom_score_adj: the
# sandbox asks for oomScoreAdj -998, which needs CAP_SYS_RESOURCE (the test machines'
# root has none, and no runtime can then write it); the plugin raises every container's
# value to the daemon's own instead.
_containerd_cri_config() {
	local d=$1
	mkdir -p "$d"/cni/{bin,net.d}
	cat <<EOF

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$3"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  disable_tcp_service = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "hull"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hull]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.hull.options]
        BinaryName = "$2"
        Root = "$d/rt-root"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$d/cni/bin"
    conf_dir = "$d/cni/net.d"
EOF
}

# The runc v2 shim of containerd 1.6 puts its socket in /run/containerd/s/<hash> whatever
# the daemon's configuration, and dockerd 20.10 creates /run/docker/plugins. These mark
# DIR when such a directory is absent at setup and remove it (when empty) at teardown.
clients_note_host_dirs() {
	[ -d /run/containerd ] || touch "$1/remove-run-containerd"
	[ -d /run/docker ] || touch "$1/remove-run-docker"
}

clients_remove_host_dirs() {
	if [ -e "$1/remove-run-containerd" ]; then
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null
	fi
	if [ -e "$1/remove-run-docker" ]; then
		rmdir /run/docker/plugins /run/docker 2>/dev/null
	fi
	return 0
}

# What the containerd and docker environments share to find and remove what a daemon's
# containers left. The daemon may run in a mount namespace of its own (see
# with-cgroup-mounts.sh): PID is its pid (empty: not known), DIR the environment's dir.

# clients_shims ADDRESS: pids of the runc v2 shims whose -address starts with ADDRESS.
clients_shims() {
	local p
	# The kernel truncates containerd-shim-runc-v2 to "containerd-shim" in comm.
	for p in $(pgrep -x containerd-shim 2>/dev/null); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-address $1" && echo "$p"
	done
	return 0
}

# clients_mounts PID DIR: mounts under DIR, deepest first, as the daemon sees them.
clients_mounts() {
	local mi=/proc/${1:-self}/mountinfo
	[ -r "$mi" ] || mi=/proc/self/mountinfo
	awk -v d="$2/" 'index($5, d) == 1 { print $5 }' "$mi" | sort -r
}

# clients_cgroup_dirs PID DIR PARENT: the cgroup parent in every hierarchy the daemon sees.
clients_cgroup_dirs() {
	local c
	# Hierarchies mounted only in the daemon's mount namespace are reached through
	# /proc/PID/root, which resolves paths in that namespace.
	for c in /sys/fs/cgroup/*/"${3#/}" /sys/fs/cgroup/"${3#/}" "/proc/${1:-0}/root$2"/cgroup/*/"${3#/}"; do
		[ -d "$c" ] && echo "$c"
	done
	return 0
}

# clients_cgroup_leaks PARENT DIRS...: one line per cgroup left below the parent DIRS.
clients_cgroup_leaks() {
	local parent=$1 c n
	shift
	for c in "$@"; do
		find "$c" -mindepth 1 -type d -printf '%P\n'
	done | sort | uniq -c | while read -r n c; do
		echo "cgroup $parent/$c (in $n hierarchies)"
	done
}

# clients_remove_cgroups DIRS...: kills what is left below each cgroup parent and removes it.
clients_remove_cgroups() {
	local c
	for c in "$@"; do
		find "$c" -mindepth 1 -type d -exec sh -c 'xargs -r kill -9 <"$1/cgroup.procs"' _ {} \; 2>/dev/null
		find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
	done
}

# cgroup_file PID CONTROLLER FILE: FILE of PID's cgroup for a v1 CONTROLLER (or of its
# cgroup2 directory when the controller is not on a v1 hierarchy).
cgroup_file() {
	local path
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$1/cgroup")
	if [ -n "$path" ] && [ -d "/sys/fs/cgroup/$2" ]; then
		cat "/sys/fs/cgroup/$2$path/$3"
	else
		path=$(awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup$path/$3"
	fi
}
