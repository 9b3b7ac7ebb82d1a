#!/usr/bin/env bats
# Where hull's networking shows what Docker shows (docs/network-vs-docker.md compares the two side by
# side): --ip/--ip6 outside user networks, dual-stack ports in `port`, `ps` and inspect, the
# endpoint fields of both inspects. As engine-network.bats, every hull command runs in a
# network namespace the test creates ($HOSTNS), and teardown fails a test that leaves a veth,
# a container's nft chain, a lease or a port row.

bats_require_minimum_version 1.5.0
load lib/engine

eval "engine_setup() $(declare -f setup | tail -n +2)"
eval "engine_teardown() $(declare -f teardown | tail -n +2)"

setup() {
	engine_setup
	inhost sysctl -qw net.ipv4.ip_forward=1
}

inhost() { ip netns exec "$HOSTNS" "$@"; }

_bb_fill() {
	local d=$1 a
	mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/www"
	cp /bin/busybox "$d/bin/busybox"
	for a in $(/bin/busybox --list | grep -vx busybox); do ln -sf busybox "$d/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
	echo hello-from-web >"$d/www/index.html"
}

bb_image() { build_image bb _bb_fill; }

teardown() {
	local rc=0 left
	# shellcheck disable=SC2046
	[ -z "$(all_ids)" ] || hull rm -f $(all_ids) >/dev/null 2>&1 || true
	veths_settled
	left=$(inhost ip -o link show type veth | cut -d: -f2)
	left+=$(inhost nft list table inet hull 2>/dev/null | grep -o 'chain c-[0-9a-f]*' || true)
	left+=$(sqlite3 "$STORE/hull.db" "SELECT 'lease '||address FROM ip_leases; SELECT 'port '||host_port FROM port_maps" 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "network objects left: $left" >&2
		rc=1
	fi
	engine_teardown || rc=1
	return $rc
}

@test "--ip and --ip6 outside a user network: Docker's error (125), nothing made; --ip6 on a dual-stack network is the container's; connect --ip/--ip6 to the default network refused" {
	bb_image
	local net
	for net in "" "--network bridge" "--network host" "--network none"; do
		# shellcheck disable=SC2086 # the flag and its value are two words
		run -125 hull run --rm $net --ip 10.88.0.9 bb true
		[[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
		# shellcheck disable=SC2086
		run -125 hull run --rm $net --ip6 fd88::9 bb true
		[[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
	done
	[ -z "$(hull ps -aq)" ]
	run -0 hull network create --subnet 10.93.0.0/24 --subnet fd93::/64 dual
	run -0 hull network create --subnet 10.94.0.0/24 v4only
	run -0 hull run --rm --network dual --ip 10.93.0.7 --ip6 fd93::7 bb ip -o addr show eth0
	[[ "$output" == *"inet 10.93.0.7/24"* ]]
	[[ "$output" == *"inet6 fd93::7/64"* ]]
	run -125 hull run --rm --network v4only --ip6 fd93::8 bb true
	[[ "$output" == *"network v4only has no IPv6 subnet"* ]]
	run -125 hull run --rm --network dual --ip6 10.93.0.8 bb true
	[[ "$output" == *"invalid IPv6 address: 10.93.0.8"* ]]
	run -0 hull run -d --name c --network dual bb sleep 100
	remember "$output"
	run -1 hull network connect --ip 10.88.0.9 bridge c
	[[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
	run -1 hull network connect --ip6 fd88::9 hull c
	[[ "$output" == *"user specified IP address is supported on user defined networks only"* ]]
	run -0 hull network create --subnet 10.95.0.0/24 --subnet fd95::/64 second
	run -0 hull network connect --ip6 fd95::5 second c
	[ "$(hull inspect -f '{{.NetworkSettings.Networks.second.GlobalIPv6Address}}' c)" = fd95::5 ]
	run -0 hull rm -f c
	# network prune's list ends with an empty line, as the docker client's.
	hull network prune -f >"$BATS_TEST_TMPDIR/prune"
	[ "$(cat -A "$BATS_TEST_TMPDIR/prune")" = 'Deleted Networks:$
dual$
second$
v4only$
$' ]
}

@test "a dual-stack publish lists 0.0.0.0 and [::] in hull port, ps and inspect as Docker 28 (its output, side by side); -p and --expose ranges; an IPv4-only network lists 0.0.0.0 only" {
	bb_image
	run -0 hull network create --subnet 10.93.0.0/24 --subnet fd93::/64 dual
	run -0 hull run -d --name d --network dual -p 8080:80 -p 127.0.0.1:8081:80 -p '[::]:8082:82' -p 9999:9999/udp \
		-p 8000-8001:90-91 -p 7000-7001:7000-7001 -p 127.0.0.1::92-93/udp bb sleep 100
	remember "$output"
	# What docker 28 printed for the same flags (docs/network-vs-docker.md); the random host ports of
	# 92-93/udp aside.
	run -0 hull port d
	[ "$(grep -v '^9[23]/udp' <<<"$output")" = "80/tcp -> 0.0.0.0:8080
80/tcp -> 127.0.0.1:8081
80/tcp -> [::]:8080
82/tcp -> [::]:8082
90/tcp -> 0.0.0.0:8000
90/tcp -> [::]:8000
91/tcp -> 0.0.0.0:8001
91/tcp -> [::]:8001
7000/tcp -> 0.0.0.0:7000
7000/tcp -> [::]:7000
7001/tcp -> 0.0.0.0:7001
7001/tcp -> [::]:7001
9999/udp -> 0.0.0.0:9999
9999/udp -> [::]:9999" ]
	[[ "${lines[8]}" == "92/udp -> 127.0.0.1:"* ]]
	[[ "${lines[9]}" == "93/udp -> 127.0.0.1:"* ]]
	run -0 hull port d 80
	[ "$output" = "0.0.0.0:8080
127.0.0.1:8081
[::]:8080" ]
	run -1 hull port d 81
	[ "$output" = "Error: No public port '81' published for d" ]
	run -0 hull ps --format '{{.Ports}}'
	[ "$(sed 's/, 127.0.0.1:[0-9]*->92.*//' <<<"$output")" = "0.0.0.0:7000-7001->7000-7001/tcp, [::]:7000-7001->7000-7001/tcp, 0.0.0.0:9999->9999/udp, [::]:9999->9999/udp, 0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp, [::]:8080->80/tcp, [::]:8082->82/tcp, 0.0.0.0:8000->90/tcp, [::]:8000->90/tcp, 0.0.0.0:8001->91/tcp, [::]:8001->91/tcp" ]
	run -0 hull inspect -f '{{json .NetworkSettings.Ports}}' d
	[ "$(jq -c '{"80/tcp": .["80/tcp"], "82/tcp": .["82/tcp"], "9999/udp": .["9999/udp"]}' <<<"$output")" = '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"},{"HostIp":"127.0.0.1","HostPort":"8081"},{"HostIp":"::","HostPort":"8080"}],"82/tcp":[{"HostIp":"::","HostPort":"8082"}],"9999/udp":[{"HostIp":"0.0.0.0","HostPort":"9999"},{"HostIp":"::","HostPort":"9999"}]}' ]
	# The [::] it lists answers: the DNAT rule of the IPv6 family is there.
	inhost nft list chain inet hull "c-$(hull inspect -f '{{.Id}}' d | cut -c1-12)" | grep -q 'ip6 daddr != ::1 tcp dport 8080 dnat ip6 to \[fd93::'
	inhost nft list chain inet hull "c-$(hull inspect -f '{{.Id}}' d | cut -c1-12)" | grep -q 'tcp dport 7001 dnat ip to 10.93.0.2:7001'
	# The default network has no IPv6 subnet: 0.0.0.0 only. --expose ranges and -P.
	run -0 hull run -d --name f -p 8090:80 --expose 95-96 -P bb sleep 100
	remember "$output"
	run -0 hull port f
	[ "${lines[0]}" = "80/tcp -> 0.0.0.0:8090" ]
	[[ "${lines[1]}" == "95/tcp -> 0.0.0.0:"* ]]
	[[ "${lines[2]}" == "96/tcp -> 0.0.0.0:"* ]]
	[ "${#lines[@]}" = 3 ]
	# Exposed, unpublished ports of a running container on a network: docker 28's output for
	# the same flags; none with --network none, or once stopped.
	run -0 hull run -d --name x --expose 95-96 --expose 80/udp -p 8085:85 bb sleep 100
	remember "$output"
	run -0 hull run -d --name xn --network none --expose 95 bb sleep 100
	remember "$output"
	[ "$(hull ps --filter name=x --format '{{.Names}}:{{.Ports}}' | sort)" = "x:80/udp, 95-96/tcp, 0.0.0.0:8085->85/tcp
xn:" ]
	[ "$(hull inspect -f '{{json .NetworkSettings.Ports}}' x)" = '{"85/tcp":[{"HostIp":"0.0.0.0","HostPort":"8085"}],"95/tcp":null,"96/tcp":null,"80/udp":null}' ]
	[ "$(hull port x)" = "85/tcp -> 0.0.0.0:8085" ]
	run -0 hull stop -t 0 x
	[ "$(hull ps -a --filter name=x --format '{{.Names}}:{{.Ports}}' | sort)" = "x:
xn:" ]
	[ "$(hull inspect -f '{{json .NetworkSettings.Ports}}' x)" = '{}' ]
	run -0 hull rm -f x xn
	# Ranges of different lengths are refused as Docker's.
	run -125 hull run --rm -p 8000-8002:90-91 bb true
	[[ "$output" == *"invalid ranges specified for container and host Ports"* ]]
	run -0 hull rm -f d f
	run -0 hull network rm dual
}

@test "EndpointID: 64 hex digits, the same in both inspects and over the endpoint's life, a new one for a new endpoint; NetworkID, Gateway, IPPrefixLen, IPv6 fields and DNSNames as Docker's" {
	bb_image
	run -0 hull network create --subnet 10.93.0.0/24 --gateway 10.93.0.254 --subnet fd93::/64 dual
	netid=$(hull network inspect -f '{{.Id}}' dual)
	run -0 hull run -d --name e --network dual --network-alias web bb sleep 100
	remember "$output"
	id=$output
	eid=$(hull inspect -f '{{.NetworkSettings.Networks.dual.EndpointID}}' e)
	[[ "$eid" =~ ^[0-9a-f]{64}$ ]]
	[ "$(hull network inspect dual | jq -r ".[0].Containers[\"$id\"].EndpointID")" = "$eid" ]
	[ "$(hull inspect -f '{{.NetworkSettings.Networks.dual.EndpointID}}' e)" = "$eid" ]
	run -0 hull inspect -f '{{json .NetworkSettings.Networks.dual}}' e
	ep=$output
	[ "$(jq -r .NetworkID <<<"$ep")" = "$netid" ]
	[ "$(jq -r .Gateway <<<"$ep")" = 10.93.0.254 ]
	[ "$(jq -r .IPPrefixLen <<<"$ep")" = 24 ]
	[ "$(jq -r .IPv6Gateway <<<"$ep")" = fd93::1 ]
	[[ "$(jq -r .GlobalIPv6Address <<<"$ep")" == fd93::* ]]
	[ "$(jq -r .GlobalIPv6PrefixLen <<<"$ep")" = 64 ]
	[ "$(jq -c .DNSNames <<<"$ep")" = "[\"e\",\"web\",\"${id:0:12}\"]" ]
	[ "$(jq -c .Aliases <<<"$ep")" = '["web"]' ]
	# DNSNames are what the responder serves: the short id resolves, as with Docker.
	run -0 hull run --rm --network dual bb nslookup "${id:0:12}"
	[[ "$output" == *"Address: 10.93.0."* ]]
	# The default network: no DNSNames (Docker's null), an id of its own.
	run -0 hull network connect hull e
	[ "$(hull inspect -f '{{json .NetworkSettings.Networks.hull.DNSNames}}' e)" = null ]
	eid2=$(hull inspect -f '{{.NetworkSettings.Networks.hull.EndpointID}}' e)
	[[ "$eid2" =~ ^[0-9a-f]{64}$ ]]
	[ "$eid2" != "$eid" ]
	# Stable while the endpoint lives; a new endpoint (disconnect, connect) gets a new id.
	[ "$(hull inspect -f '{{.NetworkSettings.Networks.dual.EndpointID}}' e)" = "$eid" ]
	run -0 hull network disconnect dual e
	run -0 hull network connect dual e
	eid3=$(hull inspect -f '{{.NetworkSettings.Networks.dual.EndpointID}}' e)
	[[ "$eid3" =~ ^[0-9a-f]{64}$ ]]
	[ "$eid3" != "$eid" ]
	run -0 hull rm -f e
	run -0 hull network rm dual
}

@test "schema 9: a version-8 store's leases get endpoint ids on the next open, one per endpoint (IPv4 and IPv6 lease alike)" {
	bb_image
	run -0 hull network create --subnet 10.93.0.0/24 --subnet fd93::/64 dual
	run -0 hull run -d --name m --network dual bb sleep 100
	remember "$output"
	# Back to version 8: the column goes (SQLite 3.35+ drops columns).
	sqlite3 "$STORE/hull.db" "ALTER TABLE ip_leases DROP COLUMN endpoint_id; PRAGMA user_version = 8"
	[ "$(hull inspect -f '{{.State.Status}}' m)" = running ]
	[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 9 ]
	run -0 sqlite3 "$STORE/hull.db" "SELECT count(*), count(DISTINCT endpoint_id), min(length(endpoint_id)) FROM ip_leases"
	[ "$output" = "2|1|64" ]
	eid=$(hull inspect -f '{{.NetworkSettings.Networks.dual.EndpointID}}' m)
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT endpoint_id FROM ip_leases LIMIT 1')" = "$eid" ]
	run -0 hull rm -f m
	run -0 hull network rm dual
}
