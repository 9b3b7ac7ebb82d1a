#!/usr/bin/env bats
# The network library (src/network): links over netlink, address leases, NAT and published
# ports in nftables, /etc/hosts and resolv.conf, the DNS responder, crash safety. Every test
# works inside network namespaces it creates (lib/network.bash); nothing leaves the machine.

bats_require_minimum_version 1.5.0
load lib/network

@test "netlink: bridge (idempotent, MTU, v4+v6 addresses), veth into a namespace by path, routes, delete" {
	mkctr c1
	nettest bridge hbr0 10.89.0.1/24 fd89::1/64 1400
	# Again: an existing bridge is fine; a link of that name that is no bridge is not.
	nettest bridge hbr0 10.89.0.1/24 1400
	inhost ip link add xx0 type veth peer name xx1
	run -1 nettest bridge xx0 10.1.0.1/24
	[[ "$output" == *"create bridge xx0: a link of that name exists and is a veth"* ]]
	[ "$(inhost ip -o link show hbr0 | grep -o 'mtu [0-9]*')" = "mtu 1400" ]

	nettest veth hv1 eth0 "/run/netns/$PFX-c1" hbr0 10.89.0.2/24 10.89.0.1 fd89::2/64 fd89::1 1400
	# The peer was made inside the container's namespace under its final name.
	run -1 inhost ip link show eth0
	inhost ip -d link show hv1 | grep -q 'master hbr0'
	inhost ip -d link show hv1 | grep -q 'hairpin on'
	inctr c1 ip -o addr show eth0 | grep -q 'inet 10.89.0.2/24'
	inctr c1 ip -o addr show eth0 | grep -q 'inet6 fd89::2/64'
	[ "$(inctr c1 ip route show default)" = "default via 10.89.0.1 dev eth0 " ]
	inctr c1 ip -6 route show default | grep -q 'default via fd89::1 dev eth0'
	[ "$(inctr c1 ip -o link show eth0 | grep -o 'mtu [0-9]*')" = "mtu 1400" ]
	inctr c1 busybox ping -c1 -W2 10.89.0.1
	inctr c1 busybox ping -c1 -W2 fd89::1
	# A second veth of the same name is an error, not a silent reuse.
	run -1 nettest veth hv1 eth0 "/run/netns/$PFX-c1" hbr0 10.89.0.2/24 10.89.0.1
	[[ "$output" == *"create veth hv1 (peer eth0 in /run/netns/$PFX-c1): File exists"* ]]

	# Deleting the host end takes the peer with it; deleting it again is fine.
	nettest del hv1
	run -1 inctr c1 ip link show eth0
	nettest del hv1
	run -1 inhost ip link show hv1
}

@test "ipam: --subnet/--gateway/--ip-range/--ip validated, leases unique, released, reclaimed when the container row is gone" {
	nettest netcreate "$STORE" n1 subnet=10.90.0.0/29 >/dev/null
	run -1 nettest netcreate "$STORE" n2 subnet=10.90.0.0/16
	[[ "$output" == *"Pool overlaps with other one on this address space (10.90.0.0/16 overlaps 10.90.0.0/29 of network n1)"* ]]
	run -1 nettest netcreate "$STORE" n1 subnet=10.95.0.0/24
	[[ "$output" == *"network with name n1 already exists"* ]]
	run -1 nettest netcreate "$STORE" n3 subnet=10.91.0.0/31
	[[ "$output" == *"subnet 10.91.0.0/31 is too small"* ]]
	run -1 nettest netcreate "$STORE" n4 subnet=10.92.0.0/24 gateway=10.93.0.1
	[[ "$output" == *"gateway 10.93.0.1 is not in subnet 10.92.0.0/24"* ]]
	run -1 nettest netcreate "$STORE" n4 subnet=10.92.0.1/24
	[[ "$output" == *"host bits are set (did you mean 10.92.0.0/24?)"* ]]
	run -1 nettest netcreate "$STORE" n4 subnet=10.92.0.0/24 ip-range=10.93.0.0/25
	[[ "$output" == *"ip-range 10.93.0.0/25 is not inside subnet 10.92.0.0/24"* ]]
	# Nothing of the failed creates was recorded.
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT name FROM networks')" = n1 ]
	nettest netcreate "$STORE" n6 subnet=10.94.0.0/24 ip-range=10.94.0.128/25 subnet6=fd94::/64 >/dev/null

	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('c1'),('c2'),('c3'),('c4'),('c5'),('c6'),('c7')"
	# A /29: .1 is the gateway, .7 the broadcast address, so .2-.6 and then nothing.
	for c in c1 c2 c3 c4 c5; do nettest alloc "$STORE" n1 $c; done >"$BATS_TEST_TMPDIR/got"
	[ "$(tr '\n' ' ' <"$BATS_TEST_TMPDIR/got")" = "10.90.0.2 10.90.0.3 10.90.0.4 10.90.0.5 10.90.0.6 " ]
	run -1 nettest alloc "$STORE" n1 c6
	[[ "$output" == *"no available IP addresses on network n1 (10.90.0.0/29)"* ]]
	# A container asking again gets its own address back.
	[ "$(nettest alloc "$STORE" n1 c1)" = 10.90.0.2 ]
	# --ip-range and --ip; IPv6 beside IPv4.
	[ "$(nettest alloc "$STORE" n6 c1)" = 10.94.0.128 ]
	[ "$(nettest alloc "$STORE" n6 c1 6)" = fd94::2 ]
	run -1 nettest alloc "$STORE" n6 c2 4 10.94.0.5
	[[ "$output" == *"address 10.94.0.5 is not usable in 10.94.0.128/25 of network n6"* ]]
	run -1 nettest alloc "$STORE" n6 c2 4 10.94.0.1
	[[ "$output" == *"not usable"* ]]
	[ "$(nettest alloc "$STORE" n6 c2 4 10.94.0.200)" = 10.94.0.200 ]
	run -1 nettest alloc "$STORE" n6 c3 4 10.94.0.200
	[[ "$output" == *"address 10.94.0.200 is already in use on network n6"* ]]
	run -1 nettest alloc "$STORE" n6 c3 6 fd95::3
	[[ "$output" == *"not usable"* ]]
	# A lease needs its container's row.
	run -1 nettest alloc "$STORE" n6 nosuch
	[[ "$output" == *"no such container: nosuch"* ]]

	# Release; reclaim takes exactly the leases of containers whose row is gone.
	nettest release "$STORE" c5
	[ "$(nettest alloc "$STORE" n1 c6)" = 10.90.0.6 ]
	sqlite3 "$STORE/hull.db" "DELETE FROM containers WHERE id IN ('c2', 'c3')"
	[ "$(nettest reclaim "$STORE")" = 3 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT DISTINCT container_id FROM ip_leases ORDER BY 1' | tr '\n' ' ')" = "c1 c4 c6 " ]
	[ "$(nettest alloc "$STORE" n1 c7)" = 10.90.0.3 ]
}

@test "ipam: 50 parallel allocations on one network get 50 distinct addresses" {
	nettest netcreate "$STORE" par subnet=10.96.0.0/24 >/dev/null
	for i in $(seq 1 50); do echo "INSERT INTO containers(id) VALUES ('p$i');"; done | sqlite3 "$STORE/hull.db"
	pids=()
	for i in $(seq 1 50); do
		nettest alloc "$STORE" par "p$i" >"$BATS_TEST_TMPDIR/a$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	cat "$BATS_TEST_TMPDIR"/a* | sort >"$BATS_TEST_TMPDIR/all"
	[ "$(grep -c '^10\.96\.0\.' "$BATS_TEST_TMPDIR/all")" -eq 50 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/all" | wc -l)" -eq 50 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(DISTINCT address) FROM ip_leases')" -eq 50 ]
	for i in $(seq 1 50); do nettest release "$STORE" "p$i"; done
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases')" -eq 0 ]
}
