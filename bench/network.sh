#!/bin/bash
# Networking (issue 16's performance goals), in one run on the same machine:
#
#   run     `hull run --rm busybox true` on the default bridge vs `podman --runtime runc run
#           --rm busybox true` on podman's default network (netavark) (hyperfine, RUNS runs
#           after WARMUP); goal: ratio <= 0.15. `hull run --rm --network none` too: the
#           difference is what the bridge costs hull
#   ping    round-trip time between two containers on hull's default bridge vs between two
#           plain namespaces joined by one veth pair (busybox ping -A: the next echo as soon
#           as the reply is in, PINGS of them, the average);
#           goal: within 5%
#   tcp     iperf3 throughput (DURATION seconds, one stream) between the same pairs; goal:
#           within 5%
#   rr      TCP request/response time between the same pairs (bench/tcprr.c rr: RR one-byte
#           exchanges on one connection, the median; netperf's TCP_RR)
#   crr     TCP connect latency between the same pairs (tcprr crr: CRR connections, each timed
#           from connect() to the answer to its first byte, the median; netperf's TCP_CRR):
#           the "connect latency" of issue 16's goal; within 5%
# ping, tcp, rr and crr run the host's busybox ping, iperf3 and tcprr inside the containers'
# network namespaces (nsenter -n), so the same binaries measure both paths; each is the median
# of ROUNDS rounds that alternate which pair goes first (the JSON has every round's value).
# Whether the bench namespace hands bridged frames to netfilter (net.bridge.bridge-nf-call-
# iptables, 1 by default in every namespace where br_netfilter is loaded, and built into this
# machine's kernel) is in the JSON; BRIDGE_NF=0 or 1 sets it (bench/README.md: it costs more
# than the bridge itself).
#
# Everything runs in a network namespace the script makes (nsenter --net, the host's mount
# namespace kept, as tests/integration/engine-network.bats does): hull0, podman's bridge and
# both engines' firewall rules live and die there, and nothing is contacted outside.
#
# Environment: RUNS (20), WARMUP (3), PINGS (500), DURATION (5), ROUNDS (3), RR (20000), CRR
# (2000), BRIDGE_NF (unset: the namespace's default), FASTPATH (0: the default network without
# the same-network fast path), SKIP_PODMAN=1, SKIP_RUN=1 (no run --rm
# measure), HULL (build/hull), BENCH_RESULTS_DIR (bench/results). Run under
# `flock /tmp/hull-clients.lock` on a shared machine (podman is machine-wide).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_own_netns "$@"

RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
PINGS=${PINGS:-500}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
RR=${RR:-20000}
CRR=${CRR:-2000}
HULL_BIN=$(readlink -f "${HULL:-$REPO_DIR/build/hull}")

bench_need_cmd hyperfine
bench_need_cmd jq
bench_need_cmd iperf3
[ -x "$HULL_BIN" ] || bench_die "no $HULL_BIN (make build)"
archive=$REPO_DIR/build/busybox-image.tar
"$REPO_DIR/scripts/busybox-image.sh" -o "$archive" >/dev/null || bench_die "cannot build $archive"

# Short: RUNROOT/containers/<64 hex>/attach.sock must fit in a socket address (108 bytes).
work=$(mktemp -d /tmp/hbn.XXXXXX)
H=("$HULL_BIN" --root "$work/s" --runroot "$work/r")
cc -O2 -o "$work/tcprr" "$BENCH_DIR/tcprr.c" || bench_die "cannot build bench/tcprr.c"
PNS=hbp$$
podman_on=false

cleanup() {
	set +e
	local ids
	ids=$("${H[@]}" ps -aq --no-trunc 2>/dev/null)
	# shellcheck disable=SC2086 # one id per word
	[ -z "$ids" ] || "${H[@]}" rm -f $ids >/dev/null 2>&1
	"${H[@]}" network prune -f >/dev/null 2>&1
	if $podman_on; then
		podman_cmd rm -af -t 0 >/dev/null 2>&1
		podman_env_teardown || bench_log "podman left state behind (see above)"
	fi
	ip netns del "$PNS-a" 2>/dev/null
	ip netns del "$PNS-b" 2>/dev/null
	[ ! -f "$work/tcprr.pids" ] || xargs -r kill <"$work/tcprr.pids" 2>/dev/null
	# The veth waiters `run --rm` started (hull network settle, up to 5 s) write to the store:
	# removing it under them leaves its lock and WAL behind.
	for _ in $(seq 100); do pgrep -f -- "--root $work/s network settle" >/dev/null || break; sleep 0.1; done
	grep -q " $work/" /proc/self/mountinfo && awk -v d="$work/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"${H[@]}" load -i "$archive" >/dev/null || bench_die "hull load failed"
# FASTPATH=0: the default network made first with the fast path off (src/network/fastpath.c),
# for a same-minutes comparison of the bridge path.
if [ "${FASTPATH:-1}" = 0 ]; then
	"${H[@]}" network create --subnet 10.66.0.0/16 -o com.docker.network.bridge.name=hull0 \
		-o hull.fastpath=false hull >/dev/null || bench_die "network create failed"
fi
"${H[@]}" run --rm busybox true || bench_die "hull run --rm busybox true failed"

P=()
if [ -n "${BRIDGE_NF:-}" ]; then
	for f in iptables ip6tables arptables; do sysctl -qw "net.bridge.bridge-nf-call-$f=$BRIDGE_NF"; done
fi
bridge_nf=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo none)
bench_log "net.bridge.bridge-nf-call-iptables: $bridge_nf"

if [ "${SKIP_RUN:-0}" != 1 ] && [ "${SKIP_PODMAN:-0}" != 1 ] && command -v podman >/dev/null && command -v runc >/dev/null; then
	export RUNTIME
	RUNTIME=$(command -v runc)
	export PODMAN_STORAGE_DRIVER=${PODMAN_STORAGE_DRIVER:-overlay}
	# shellcheck source=tests/integration/lib/podman-env.sh
	. "$REPO_DIR/tests/integration/lib/podman-env.sh"
	PODMAN_ENV_DIR=$(mktemp -d /tmp/hull-podman.XXXXXX)
	PODMAN_CGROUP_PARENT=/hull-podman-bench-$(basename "$PODMAN_ENV_DIR" | cut -d. -f2)
	export PODMAN_ENV_DIR PODMAN_CGROUP_PARENT
	podman_env_write_config
	# podman's default network as upstream ships it: netavark, not the CNI fallback.
	sed -i '/^\[network\]/a network_backend = "netavark"' "$PODMAN_ENV_DIR/conf/containers.conf"
	podman_on=true
	img=$(podman_cmd load -q -i "$archive" 2>/dev/null | sed -n 's/^Loaded image[^:]*: //p' | tail -1)
	podman_env_argv run --rm "$img" true
	# podman-env's --network none out: podman's default network.
	for a in "${PODMAN_ARGV[@]}"; do
		if [ "$a" = --network ]; then skip=1; elif [ "${skip:-0}" = 1 ]; then skip=0; else P+=("$a"); fi
	done
	if [ -n "$img" ] && "${P[@]}"; then
		bench_log "podman network backend: $(podman_cmd info --format '{{.Host.NetworkBackend}}' 2>/dev/null)"
	else
		P=()
		bench_log "podman with runc cannot run the image on its default network; podman is skipped"
	fi
else
	bench_log "podman or runc missing (or SKIP_PODMAN=1); podman is skipped"
fi

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "load at start: $load_start"

# --- run --rm on the default network ---------------------------------------------------------
# hull-none: the same without a network (only lo), so that the bridge's share shows.
cmds=(-n hull "${H[*]} run --rm busybox true" -n hull-none "${H[*]} run --rm --network none busybox true")
[ ${#P[@]} -gt 0 ] && cmds+=(-n podman-runc "${P[*]}")
if [ "${SKIP_RUN:-0}" != 1 ]; then
	hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/run.json" "${cmds[@]}" >&2
else
	echo '{"results": []}' >"$work/run.json"
fi

# --- two containers on the bridge vs two namespaces on one veth pair -------------------------
ids=()
for _ in 1 2; do
	ids+=("$("${H[@]}" run -d busybox sleep 36000)")
done
pid_a=$("${H[@]}" inspect -f '{{.State.Pid}}' "${ids[0]}")
pid_b=$("${H[@]}" inspect -f '{{.State.Pid}}' "${ids[1]}")
ip_b=$("${H[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' "${ids[1]}")

ip netns add "$PNS-a"
ip netns add "$PNS-b"
ip link add "${PNS}va" netns "$PNS-a" type veth peer name "${PNS}vb" netns "$PNS-b"
ip -n "$PNS-a" addr add 10.210.0.1/24 dev "${PNS}va"
ip -n "$PNS-b" addr add 10.210.0.2/24 dev "${PNS}vb"
for n in a b; do
	ip -n "$PNS-$n" link set lo up
	ip -n "$PNS-$n" link set "${PNS}v$n" up
done

# in_a PAIR CMD / in_b PAIR CMD: CMD in the pair's first / second namespace.
in_a() { if [ "$1" = bridge ]; then nsenter -t "$pid_a" -n "${@:2}"; else ip netns exec "$PNS-a" "${@:2}"; fi; }
in_b() { if [ "$1" = bridge ]; then nsenter -t "$pid_b" -n "${@:2}"; else ip netns exec "$PNS-b" "${@:2}"; fi; }
peer() { if [ "$1" = bridge ]; then echo "$ip_b"; else echo 10.210.0.2; fi; }

# ping_avg PAIR: the average round trip in ms.
ping_avg() {
	in_a "$1" busybox ping -q -A -c "$PINGS" "$(peer "$1")" | sed -n 's|^round-trip [^=]*= [^/]*/\([^/]*\)/.*|\1|p'
}
# tcp_gbits PAIR: iperf3's received rate in Gbit/s.
tcp_gbits() {
	in_b "$1" iperf3 -s -1 -D -I "$work/iperf3-$1.pid" >/dev/null
	sleep 0.3
	in_a "$1" iperf3 -c "$(peer "$1")" -t "$DURATION" -J | jq '.end.sum_received.bits_per_second / 1e9 * 1000 | round / 1000'
	[ ! -f "$work/iperf3-$1.pid" ] || kill "$(cat "$work/iperf3-$1.pid")" 2>/dev/null || true
}
# rr_us PAIR / crr_us PAIR: tcprr's median in microseconds (its server runs in the second
# namespace for the whole run).
rr_us() { in_a "$1" "$work/tcprr" rr "$(peer "$1")" 5001 "$RR" | cut -d' ' -f1; }
crr_us() { in_a "$1" "$work/tcprr" crr "$(peer "$1")" 5001 "$CRR" | cut -d' ' -f1; }
for pair in bridge veth; do
	# Not through a function: $! must be the server (nsenter and ip netns exec exec it).
	if [ "$pair" = bridge ]; then
		nsenter -t "$pid_b" -n "$work/tcprr" server 5001 &
	else
		ip netns exec "$PNS-b" "$work/tcprr" server 5001 &
	fi
	echo $! >>"$work/tcprr.pids"
done
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for f in ping-bridge ping-veth tcp-bridge tcp-veth rr-bridge rr-veth crr-bridge crr-veth; do : >"$work/$f"; done
for r in $(seq "$ROUNDS"); do
	order="bridge veth"
	[ $((r % 2)) = 0 ] && order="veth bridge"
	for pair in $order; do
		ping_avg "$pair" >>"$work/ping-$pair"
		tcp_gbits "$pair" >>"$work/tcp-$pair"
		rr_us "$pair" >>"$work/rr-$pair"
		crr_us "$pair" >>"$work/crr-$pair"
	done
	bench_log "round $r: ping bridge $(tail -1 "$work/ping-bridge") veth $(tail -1 "$work/ping-veth") ms;" \
		"tcp bridge $(tail -1 "$work/tcp-bridge") veth $(tail -1 "$work/tcp-veth") Gbit/s;" \
		"rr bridge $(tail -1 "$work/rr-bridge") veth $(tail -1 "$work/rr-veth") us;" \
		"crr bridge $(tail -1 "$work/crr-bridge") veth $(tail -1 "$work/crr-veth") us"
done

# --- result --------------------------------------------------------------------------------
mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/network-$(date -u +%Y%m%dT%H%M%SZ).json
jq -n --slurpfile run "$work/run.json" \
	--argjson ping_bridge "$(median <"$work/ping-bridge")" --argjson ping_veth "$(median <"$work/ping-veth")" \
	--argjson tcp_bridge "$(median <"$work/tcp-bridge")" --argjson tcp_veth "$(median <"$work/tcp-veth")" \
	--argjson rr_bridge "$(median <"$work/rr-bridge")" --argjson rr_veth "$(median <"$work/rr-veth")" \
	--argjson crr_bridge "$(median <"$work/crr-bridge")" --argjson crr_veth "$(median <"$work/crr-veth")" \
	--argjson rounds "$(for f in ping tcp rr crr; do for p in bridge veth; do
		jq -sc --arg k "$f-$p" '{($k): .}' "$work/$f-$p"
	done; done | jq -sc add)" --arg bridge_nf "$bridge_nf" --arg fastpath "${FASTPATH:-1}" \
	--arg load_start "$load_start" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" --arg podman "$(podman --version 2>/dev/null)" \
	--argjson cfg "{\"runs\":$RUNS,\"warmup\":$WARMUP,\"pings\":$PINGS,\"duration\":$DURATION,\"rounds\":$ROUNDS,\"rr\":$RR,\"crr\":$CRR}" '
	def ms: . * 1000 | . * 10 | round / 10;
	def r3: . * 1000 | round / 1000;
	($run[0].results | map({(.command): {median_ms: (.median | ms), mean_ms: (.mean | ms), min_ms: (.min | ms)}}) | add) as $r
	| {host: {kernel: $kernel, cpus: $cpus, load_start: $load_start, load_end: $load_end, podman: $podman,
	          bridge_nf_call_iptables: $bridge_nf, fastpath: $fastpath,
	          conditions: "both engines in one network namespace made for the run; podman --runtime runc, netavark, overlay, private containers.conf"},
	   config: $cfg,
	   run_rm: ($r + {ratio: (if $r["podman-runc"] then ($r.hull.median_ms / $r["podman-runc"].median_ms | r3) else null end)}),
	   ping_ms: {bridge: $ping_bridge, veth: $ping_veth, ratio: ($ping_bridge / $ping_veth | r3)},
	   tcp_gbits: {bridge: $tcp_bridge, veth: $tcp_veth, ratio: ($tcp_bridge / $tcp_veth | r3)},
	   tcp_rr_us: {bridge: $rr_bridge, veth: $rr_veth, ratio: ($rr_bridge / $rr_veth | r3)},
	   tcp_crr_us: {bridge: $crr_bridge, veth: $crr_veth, ratio: ($crr_bridge / $crr_veth | r3)},
	   rounds: $rounds,
	   hyperfine: {run: $run[0]}}' >"$out"
jq -r '"run --rm busybox true (default network): hull \(.run_rm.hull.median_ms // "-") ms, podman+runc \(.run_rm["podman-runc"].median_ms // "-") ms, ratio \(.run_rm.ratio // "-") (goal <= 0.15)",
	"  hull --network none \(.run_rm["hull-none"].median_ms // "-") ms: the bridge costs hull \(if .run_rm.hull then (.run_rm.hull.median_ms - .run_rm["hull-none"].median_ms | . * 10 | round / 10) else "-" end) ms",
	"ping rtt avg: bridge \(.ping_ms.bridge) ms, veth pair \(.ping_ms.veth) ms, ratio \(.ping_ms.ratio) (goal <= 1.05)",
	"tcp (iperf3, 1 stream): bridge \(.tcp_gbits.bridge) Gbit/s, veth pair \(.tcp_gbits.veth) Gbit/s, ratio \(.tcp_gbits.ratio) (goal >= 0.95)",
	"tcp request/response: bridge \(.tcp_rr_us.bridge) us, veth pair \(.tcp_rr_us.veth) us, ratio \(.tcp_rr_us.ratio) (goal <= 1.05)",
	"tcp connect + first byte: bridge \(.tcp_crr_us.bridge) us, veth pair \(.tcp_crr_us.veth) us, ratio \(.tcp_crr_us.ratio) (goal <= 1.05)",
	"net.bridge.bridge-nf-call-iptables: \(.host.bridge_nf_call_iptables)",
	"load \(.host.load_start) -> \(.host.load_end)"' "$out"
bench_log "result: $out"
