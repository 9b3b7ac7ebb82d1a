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
