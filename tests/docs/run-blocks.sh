#!/bin/bash
# tests/docs/run-blocks.sh [FILE...]: runs every fenced code block of the documentation as
# written, so that what README.md and docs/clients.md tell a reader cannot rot. TAP output,
# one test per block (default files: README.md docs/clients.md).
#
#   ```sh      run with `bash -e -o pipefail` from the repository's top directory (a
#              scratch copy of it made of links: what the block creates is thrown away)
#   ```json    parsed with jq;  ```toml  with python3's tomllib;  ```yaml  with PyYAML
#   other      not run (reported as skipped)
#
# A comment on the line before the opening fence changes that:
#   <!-- docs-test: skip REASON -->      not run; the reason is printed
#   <!-- docs-test: podman -->           run where `podman` is the isolated podman of
#                                        tests/integration/lib/podman-env.sh
#   <!-- docs-test: containerd -->       run where `ctr` talks to a private containerd
#                                        (tests/integration/lib/containerd-env.sh)
#   <!-- docs-test: docker -->           run as is; the daemons it leaves in the background,
#                                        its directory $d and cgroup parent are removed after
# The blocks share one private mount namespace in which /usr/local/bin holds
# build/hull-runtime (where `make install` would put it) and /run/hull-runtime and
# /run/containerd are fresh tmpfs mounts, so the documented paths work and nothing of the
# host's is touched (/run/docker too). Blocks that use
# the machine-wide client services run under flock /tmp/hull-clients.lock.
# Environment: RUNTIME (default build/hull-runtime).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
RUNTIME=${RUNTIME:-$REPO/build/hull-runtime}
export REPO RUNTIME

if [ "${HULL_DOCS_IN_NS:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || {
		echo "1..0 # skip the documentation blocks run as root"
		exit 0
	}
	[ -x "$RUNTIME" ] || {
		echo "Bail out! $RUNTIME is not built"
		exit 1
	}
	export HULL_DOCS_IN_NS=1
	exec unshare --mount --propagation private -- "$0" "$@"
fi

# Inside the private mount namespace: the installed paths.
mount -t tmpfs -o mode=0755 hull-docs-bin /usr/local/bin
install -m 0755 "$RUNTIME" /usr/local/bin/hull-runtime
mkdir -p /run/hull-runtime
mount -t tmpfs -o mode=0711 hull-docs-state /run/hull-runtime
# What containerd's shim writes whatever the daemon's configuration (the runtime's root
# /run/containerd/runc/NAMESPACE, sockets in s/, FIFOs in fifo/) stays in the namespace too.
made_run_containerd= made_run_docker=
[ -d /run/containerd ] || { mkdir /run/containerd && made_run_containerd=1; }
mount -t tmpfs -o mode=0711 hull-docs-containerd /run/containerd
# dockerd makes /run/docker (plugins/) whatever its --exec-root.
[ -d /run/docker ] || { mkdir /run/docker && made_run_docker=1; }
mount -t tmpfs -o mode=0711 hull-docs-docker /run/docker

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(README.md docs/clients.md)

# Splits FILE into blocks: for each, a line "LANG MARKER LINE PATH" (separated by \037, as
# a tab would be collapsed when MARKER is empty) on stdout and the body in PATH.
extract() {
	local file=$1 dir=$2
	awk -v dir="$dir" -v file="$file" '
		/^<!-- docs-test:/ { marker = $0; sub(/^<!-- docs-test: */, "", marker); sub(/ *-->.*$/, "", marker); next }
		!inblock && /^```/ {
			lang = substr($0, 4); n++; path = dir "/block" n; inblock = 1; start = NR
			printf "" >path
			printf "%s\037%s\037%d\037%s\n", lang, marker, NR, path
			marker = ""; next
		}
		inblock && /^```/ { inblock = 0; close(path); next }
		inblock { print >path; next }
		NF { marker = "" }
	' "$REPO/$file"
}

# The environment a block runs in: a shell prelude.
prelude() {
	case $1 in
	podman)
		cat <<'PRE'
source "$REPO/tests/integration/lib/podman-env.sh"
# podman run without --cgroup-parent makes libpod_parent (and libpod_parent/conmon) in every
# hierarchy: removed again when this block made them.
libpod_new=
[ -d /sys/fs/cgroup/memory/libpod_parent ] || [ -d /sys/fs/cgroup/libpod_parent ] || libpod_new=1
podman_env_setup >&2 || exit 1
trap 'rc=$?; set +e; podman_env_teardown >&2 || rc=1
	if [ -n "$libpod_new" ]; then
		for c in /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/libpod_parent; do
			[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	exit $rc' EXIT
podman() { podman_cmd "$@"; }
PRE
		;;
	containerd)
		cat <<'PRE'
source "$REPO/tests/integration/lib/clients.sh"
source "$REPO/tests/integration/lib/containerd-env.sh"
ctrd_env_setup >&2 || exit 1
trap 'rc=$?; set +e; ctrd_env_teardown >&2 || rc=1; exit $rc' EXIT
ctr() { ctrd_ctr "$@"; }
PRE
		;;
	docker)
		cat <<'PRE'
# The recipe starts containerd and dockerd in the background and leaves them running: stop
# them, and remove what they made ($d, the cgroup parent), when the block ends.
hd_new=
[ -d /sys/fs/cgroup/memory/hull-docker ] || [ -d /sys/fs/cgroup/hull-docker ] || hd_new=1
trap 'rc=$?; set +e
	[ -n "${d:-}" ] && [ -f "$d/docker.pid" ] && kill "$(cat "$d/docker.pid")"
	for i in $(seq 100); do [ -e "${d:-/nonexistent}/docker.pid" ] || break; sleep 0.1; done
	kill $(jobs -pr) 2>/dev/null
	wait
	if [ -n "${d:-}" ]; then
		awk -v d="$d/" "index(\$5, d) == 1 { print \$5 }" /proc/self/mountinfo | sort -r | xargs -r umount -l
		rm -rf "$d"
	fi
	if [ -n "$hd_new" ]; then
		for c in /sys/fs/cgroup/*/hull-docker /sys/fs/cgroup/hull-docker; do
			[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	fi
	exit $rc' EXIT
PRE
		;;
	esac
}

# Whatever a block leaves running: the containers of the private state root.
cleanup() {
	local id
	for id in $(/usr/local/bin/hull-runtime list -q 2>/dev/null); do
		/usr/local/bin/hull-runtime delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$work"
	if [ -n "$made_run_containerd" ]; then
		umount /run/containerd && rmdir /run/containerd
	fi
	if [ -n "$made_run_docker" ]; then
		umount /run/docker && rmdir /run/docker
	fi
}

n=0
results=()
work=$(mktemp -d /tmp/hull-docs.XXXXXX)
trap cleanup EXIT
# Blocks run "from the repository's top directory": a scratch directory with a link to
# each of its entries, so that what a block creates there (mybundle/) is not in the tree.
mkdir "$work/top"
for e in "$REPO"/* "$REPO"/.[!.]*; do
	[ -e "$e" ] && ln -s "$e" "$work/top/"
done
for f in "${files[@]}"; do
	mkdir -p "$work/$f"
	while IFS=$'\037' read -r lang marker line path; do
		n=$((n + 1))
		name="$f:$line ($lang)"
		case $marker in
		skip*)
			results+=("ok $n $name # skip ${marker#skip }")
			continue
			;;
		esac
		case $lang in
		sh | bash | console)
			out=$work/out$n
			{
				prelude "$marker"
				cat "$path"
			} >"$path.run"
			if [ -n "$marker" ]; then
				(cd "$work/top" && flock /tmp/hull-clients.lock timeout 600 bash -e -o pipefail "$path.run") </dev/null >"$out" 2>&1
			else
				(cd "$work/top" && timeout 600 bash -e -o pipefail "$path.run") </dev/null >"$out" 2>&1
			fi
			rc=$?
			if [ $rc -eq 0 ]; then
				results+=("ok $n $name")
			else
				results+=("not ok $n $name
$(sed 's/^/# /' "$out" | tail -40)
# (exit status $rc)")
			fi
			;;
		json)
			if err=$(jq -e . "$path" 2>&1 >/dev/null); then
				results+=("ok $n $name")
			else
				results+=("not ok $n $name
# $err")
			fi
			;;
		toml)
			if err=$(python3 -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$path" 2>&1); then
				results+=("ok $n $name")
			else
				results+=("not ok $n $name
# ${err##*$'\n'}")
			fi
			;;
		yaml)
			if ! python3 -c 'import yaml' 2>/dev/null; then
				results+=("ok $n $name # skip PyYAML is not installed")
			elif err=$(python3 -c 'import sys, yaml; list(yaml.safe_load_all(open(sys.argv[1])))' "$path" 2>&1); then
				results+=("ok $n $name")
			else
				results+=("not ok $n $name
# ${err##*$'\n'}")
			fi
			;;
		*)
			results+=("ok $n $name # skip not a runnable block")
			;;
		esac
	done < <(extract "$f" "$work/$f")
done
echo "1..$n"
failed=0
for r in "${results[@]}"; do
	echo "$r"
	[[ $r == "not ok"* ]] && failed=1
done
exit $failed
