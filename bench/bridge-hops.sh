#!/bin/bash
# What a Linux bridge costs between two network namespaces, without hull (issue 16's "within 5%
# of a plain veth pair"): the same measures over
#
#   veth     two namespaces joined by one veth pair (the goal's reference)
#   br1      two namespaces, each on a veth into one bridge (what hull, Docker and podman do)
#   br2      the same with two bridges joined by a third veth pair (one bridge and one veth hop
#            more than br1), so that br2 - br1 is the cost of one hop measured, not guessed
#   fwd      two namespaces on veths into this namespace, no bridge: an nft netdev ingress rule
#            on each host end forwards every frame to the other (`fwd to`), so fwd - br1 is
#            what the bridge itself costs and fwd - veth what the second veth pair costs
#
# under MODES, one after the other (each a setting of the bridges' namespace):
#
#   plain    net.bridge.bridge-nf-call-{iptables,ip6tables,arptables} = 0: no netfilter hook
#            sees a bridged packet (what hull's bridges get: see docs/design.md)
#   brnf     those sysctls at 1, the kernel's default in every namespace: bridged IPv4 and IPv6
#            packets go through the inet family's prerouting/forward/postrouting hooks
#   brnf-ct  brnf with a table holding a nat chain (as hull's, Docker's and netavark's), which
#            makes conntrack track every bridged packet, and an empty raw prerouting chain
#   brnf-notrack  brnf-ct with a notrack rule for traffic between the namespaces' addresses at
#            raw priority (what hull's table has for traffic between two containers)
#
# Measures (ROUNDS rounds, the topologies in a rotating order in each; medians of the rounds):
# busybox ping -A average (PINGS echoes), tcprr rr (RR one-byte exchanges on one TCP connection,
# netperf's TCP_RR), tcprr crr (CRR connections, each connect + one byte there and back + close,
# netperf's TCP_CRR) and iperf3 (one stream, DURATION seconds). Everything lives in a network
# namespace the script makes and deletes. Environment: ROUNDS (5), PINGS (2000), RR (20000),
# CRR (2000), DURATION (3), MODES ("plain brnf brnf-ct brnf-notrack"), BENCH_RESULTS_DIR (bench/results).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need_root
bench_own_netns "$@"

ROUNDS=${ROUNDS:-5}
PINGS=${PINGS:-2000}
RR=${RR:-20000}
CRR=${CRR:-2000}
DURATION=${DURATION:-3}
MODES=${MODES:-plain brnf brnf-ct brnf-notrack}
bench_need_cmd iperf3
bench_need_cmd jq
bench_need_cmd nft

work=$(mktemp -d /tmp/hbh.XXXXXX)
P=hbh$$
TOPOS="veth br1 br2 fwd"
cleanup() {
	set +e
	for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	for t in $TOPOS; do
		ip netns del "$P-$t-a" 2>/dev/null
		ip netns del "$P-$t-b" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cc -O2 -o "$work/tcprr" "$BENCH_DIR/tcprr.c" || bench_die "cannot build bench/tcprr.c"

# ns T a|b: the name of topology T's first or second namespace.
ns() { echo "$P-$1-$2"; }
# in_ns T a|b CMD...: CMD in that namespace.
in_ns() { ip netns exec "$(ns "$1" "$2")" "${@:3}"; }
addr() { case $1 in veth) echo "10.201.0.$2" ;; br1) echo "10.202.0.$2" ;; br2) echo "10.203.0.$2" ;; fwd) echo "10.204.0.$2" ;; esac; }

# port T a|b BRIDGE: a veth from the namespace into BRIDGE (in this namespace).
port() {
	local n=$1-$2
	ip link add "${P}${n}h" type veth peer name eth0 netns "$(ns "$1" "$2")"
	ip link set "${P}${n}h" master "$3" up
}
for t in $TOPOS; do
	ip netns add "$(ns "$t" a)"
	ip netns add "$(ns "$t" b)"
done
ip link add eth0 netns "$(ns veth a)" type veth peer name eth0 netns "$(ns veth b)"
ip link add "${P}b1" type bridge
ip link add "${P}b2" type bridge
ip link add "${P}b3" type bridge
for b in b1 b2 b3; do ip link set "${P}$b" up; done
port br1 a "${P}b1"
port br1 b "${P}b1"
port br2 a "${P}b2"
port br2 b "${P}b3"
ip link add "${P}x2" type veth peer name "${P}x3"
ip link set "${P}x2" master "${P}b2" up
ip link set "${P}x3" master "${P}b3" up
for s in a b; do
	ip link add "${P}f$s" type veth peer name eth0 netns "$(ns fwd $s)"
	ip link set "${P}f$s" up
done
nft -f - <<EOF
table netdev hopsfwd {
	chain a {
		type filter hook ingress device ${P}fa priority 0; policy accept
		fwd to ${P}fb
	}
	chain b {
		type filter hook ingress device ${P}fb priority 0; policy accept
		fwd to ${P}fa
	}
}
EOF
for t in $TOPOS; do
	i=1
	for s in a b; do
		in_ns "$t" "$s" ip link set lo up
		in_ns "$t" "$s" ip addr add "$(addr "$t" $i)/24" dev eth0
		in_ns "$t" "$s" ip link set eth0 up
		i=$((i + 1))
	done
	# Not through in_ns: $! must be the server itself (ip netns exec execs it), not a subshell.
	ip netns exec "$(ns "$t" b)" "$work/tcprr" server 5001 &
	echo $! >"$work/tcprr-$t.pid"
done
# The bridges forward once their ports are past the forward delay (no STP: at once) and the
# peers have each other's neighbour entry.
for t in $TOPOS; do
	for _ in $(seq 50); do in_ns "$t" a ping -c1 -W1 "$(addr "$t" 2)" >/dev/null 2>&1 && break; sleep 0.1; done
done

set_mode() {
	local v=1
	[ "$1" = plain ] && v=0
	for f in iptables ip6tables arptables; do sysctl -qw "net.bridge.bridge-nf-call-$f=$v"; done
	nft delete table inet hops 2>/dev/null || true
	if [ "$1" = brnf-ct ] || [ "$1" = brnf-notrack ]; then
		nft -f - <<-'EOF'
			table inet hops {
				chain natpost {
					type nat hook postrouting priority 100; policy accept
				}
				chain filterfwd {
					type filter hook forward priority 0; policy accept
				}
			}
		EOF
	fi
	if [ "$1" = brnf-ct ] || [ "$1" = brnf-notrack ]; then
		# Both have the chain (hull's raw_pre is always there): the rule is the difference.
		nft add chain inet hops raw '{ type filter hook prerouting priority -300; }'
	fi
	if [ "$1" = brnf-notrack ]; then
		nft add rule inet hops raw ip saddr 10.200.0.0/13 ip daddr 10.200.0.0/13 notrack
	fi
}

ping_ms() { in_ns "$1" a busybox ping -q -A -c "$PINGS" "$(addr "$1" 2)" | sed -n 's|^round-trip [^=]*= [^/]*/\([^/]*\)/.*|\1|p'; }
rr_us() { in_ns "$1" a "$work/tcprr" rr "$(addr "$1" 2)" 5001 "$RR" | cut -d' ' -f1; }
crr_us() { in_ns "$1" a "$work/tcprr" crr "$(addr "$1" 2)" 5001 "$CRR" | cut -d' ' -f1; }
tcp_gbits() {
	in_ns "$1" b iperf3 -s -1 -D -p 5201 -I "$work/iperf3.pid" >/dev/null
	sleep 0.2
	in_ns "$1" a iperf3 -c "$(addr "$1" 2)" -p 5201 -t "$DURATION" -J | jq '.end.sum_received.bits_per_second / 1e9 * 1000 | round / 1000'
	[ ! -f "$work/iperf3.pid" ] || kill "$(cat "$work/iperf3.pid")" 2>/dev/null || true
	rm -f "$work/iperf3.pid"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spread() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_log "load at start: $load_start"
read -ra topos <<<"$TOPOS"
for mode in $MODES; do
	set_mode "$mode"
	for r in $(seq "$ROUNDS"); do
		# A rotating order: each topology is measured first, second, ... equally often.
		for k in "${!topos[@]}"; do
			t=${topos[$(((r + k) % ${#topos[@]}))]}
			ping_ms "$t" >>"$work/$mode-$t-ping"
			rr_us "$t" >>"$work/$mode-$t-rr"
			crr_us "$t" >>"$work/$mode-$t-crr"
			tcp_gbits "$t" >>"$work/$mode-$t-tcp"
		done
		bench_log "$mode round $r: $(for t in $TOPOS; do printf '%s ping %s ms rr %s us crr %s us tcp %s Gbit/s; ' "$t" \
			"$(tail -1 "$work/$mode-$t-ping")" "$(tail -1 "$work/$mode-$t-rr")" "$(tail -1 "$work/$mode-$t-crr")" \
			"$(tail -1 "$work/$mode-$t-tcp")"; done)"
	done
done
set_mode plain

# {mode: {topo: {measure: {median, spread}}}}
json=$(for mode in $MODES; do for t in $TOPOS; do for m in ping rr crr tcp; do
	printf '{"mode":"%s","topo":"%s","m":"%s","median":%s,"spread":"%s"}\n' "$mode" "$t" "$m" \
		"$(median <"$work/$mode-$t-$m")" "$(spread <"$work/$mode-$t-$m")"
done; done; done | jq -s 'reduce .[] as $x ({}; .[$x.mode][$x.topo][$x.m] = {median: $x.median, spread: $x.spread})')
mkdir -p "$BENCH_RESULTS_DIR"
out=$BENCH_RESULTS_DIR/bridge-hops-$(date -u +%Y%m%dT%H%M%SZ).json
jq -n --argjson r "$json" --arg load_start "$load_start" --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
	--arg kernel "$(uname -r)" --arg cpus "$(nproc)" \
	--argjson cfg "{\"rounds\":$ROUNDS,\"pings\":$PINGS,\"rr\":$RR,\"crr\":$CRR,\"duration\":$DURATION}" \
	'{host: {kernel: $kernel, cpus: $cpus, load_start: $load_start, load_end: $load_end}, config: $cfg,
	  units: {ping: "ms (busybox ping -A average)", rr: "us (median exchange)", crr: "us (median connection)", tcp: "Gbit/s (iperf3, 1 stream)"},
	  results: $r}' >"$out"
jq -r '.results | to_entries[] | .key as $mode | .value | to_entries[] |
	"\($mode)\t\(.key)\tping \(.value.ping.median) ms (\(.value.ping.spread))\trr \(.value.rr.median) us (\(.value.rr.spread))\tcrr \(.value.crr.median) us (\(.value.crr.spread))\ttcp \(.value.tcp.median) Gbit/s (\(.value.tcp.spread))"' "$out"
bench_log "result: $out"
