#!/bin/sh
# Runs a daemon (containerd, dockerd) so that every cgroup v1 hierarchy the kernel has is
# mounted where the daemon can see it.
#
#   with-cgroup-mounts.sh DIR COMMAND [ARG...]
#
# containerd's cgroup v1 code (github.com/containerd/cgroups, used by the runc v2 shim for
# `ctr task metrics`, `docker stats` and OOM events) maps every line of /proc/PID/cgroup to
# a mount point in /proc/self/mountinfo and gives up ("cgroups: cannot find cgroup mount
# destination") when one hierarchy is not mounted. A v1 hierarchy outlives its last
# unmount while processes are in it, which is always the case, so one test that mounted,
# say, net_cls,net_prio and unmounted it again leaves such a hierarchy until the next
# boot. When that is so, COMMAND runs in a private mount namespace (propagation slave:
# the host's mounts are still seen) in which each missing hierarchy is mounted below
# DIR/cgroup; otherwise it simply runs. Either way COMMAND keeps this process's pid.
set -eu

[ $# -ge 2 ] || {
	echo "usage: $0 DIR COMMAND [ARG...]" >&2
	exit 2
}

# missing: the controller lists (as in /proc/self/cgroup) of v1 hierarchies no mount shows.
missing() {
	while IFS=: read -r id ctls _; do
		[ "$id" != 0 ] || continue
		[ -n "$ctls" ] || continue
		# A mount of the hierarchy lists each of its controllers in the super options.
		awk -v want="$ctls" '
			{ for (i = 1; i <= NF; i++) if ($i == "-") break
			  if ($(i + 1) != "cgroup") next
			  n = split($(i + 3), o, ","); split(want, w, ",")
			  ok = 1
			  for (k in w) { f = 0; for (j = 1; j <= n; j++) if (o[j] == w[k]) f = 1; if (!f) ok = 0 }
			  if (ok) { found = 1; exit } }
			END { exit !found }' /proc/self/mountinfo || echo "$ctls"
	done </proc/self/cgroup
}

if [ "${1:-}" = --inner ]; then
	shift
	dir=$1
	shift
	for ctls in $(missing); do
		mp=$dir/cgroup/$(echo "$ctls" | tr ',=' '__')
		mkdir -p "$mp"
		case $ctls in
		name=*) mount -t cgroup -o "none,$ctls" cgroup "$mp" ;;
		*) mount -t cgroup -o "$ctls" cgroup "$mp" ;;
		esac
	done
	exec "$@"
fi

dir=$1
shift
if [ -z "$(missing)" ]; then
	exec "$@"
fi
exec unshare -m --propagation slave "$0" --inner "$dir" "$@"
