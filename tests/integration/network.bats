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
	# The bridge keeps its address when a port with a lower one joins (else every container's
	# ARP entry for the gateway goes stale whenever another container starts).
	mac=$(inhost cat /sys/class/net/hbr0/address)
	inhost ip link add lowmac0 address 02:00:00:00:00:01 type veth peer name lowmac1
	inhost ip link set lowmac0 master hbr0 up
	[ "$(inhost cat /sys/class/net/hbr0/address)" = "$mac" ]
	inhost ip link del lowmac0

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
	[[ "$output" == *"no configured subnet or ip-range contain the IP address 10.94.0.5 (10.94.0.128/25 of network n6)"* ]]
	run -1 nettest alloc "$STORE" n6 c2 4 10.94.0.1
	[[ "$output" == *"no configured subnet or ip-range contain the IP address"* ]]
	[ "$(nettest alloc "$STORE" n6 c2 4 10.94.0.200)" = 10.94.0.200 ]
	run -1 nettest alloc "$STORE" n6 c3 4 10.94.0.200
	[[ "$output" == *"address 10.94.0.200 is already in use on network n6"* ]]
	run -1 nettest alloc "$STORE" n6 c3 6 fd95::3
	[[ "$output" == *"no configured subnet or ip-range contain the IP address"* ]]
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

@test "nat: published ports reach the container from 127.0.0.1, the host's address, another host and by hairpin; udp; 127.0.0.1-only ports stay local" {
	mkctr c1
	mkctr c2
	mkout
	nettest create "$STORE" web subnet=10.97.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222')"
	run -0 nettest connect "$STORE" web aaaa1111 "/run/netns/$PFX-c1" 8080:80 127.0.0.1:8081:80 9999:9999/udp
	[[ "$output" == *" 10.97.0.2 80/tcp -> 0.0.0.0:8080 80/tcp -> 127.0.0.1:8081 9999/udp -> 0.0.0.0:9999" ]]
	nettest connect "$STORE" web bbbb2222 "/run/netns/$PFX-c2" >/dev/null
	httpd c1
	[ "$(get host 127.0.0.1 8080)" = hello-from-c1 ]
	[ "$(get host 127.0.0.1 8081)" = hello-from-c1 ]
	[ "$(get host 192.168.200.1 8080)" = hello-from-c1 ]
	[ "$(get out 192.168.200.1 8080)" = hello-from-c1 ]
	# Hairpin: from the other container and from the container itself, by the host's address.
	[ "$(get c2 192.168.200.1 8080)" = hello-from-c1 ]
	[ "$(get c1 192.168.200.1 8080)" = hello-from-c1 ]
	[ "$(get c1 10.97.0.1 8080)" = hello-from-c1 ]
	# Also where bridged traffic does not pass netfilter (no br_netfilter, or it is off):
	# the answer must still come back through the host, which the masquerade ensures.
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		inhost sysctl -qw net.bridge.bridge-nf-call-iptables=0
		[ "$(get c2 192.168.200.1 8080)" = hello-from-c1 ]
		[ "$(get c2 10.97.0.1 8080)" = hello-from-c1 ]
		inhost sysctl -qw net.bridge.bridge-nf-call-iptables=1
	fi
	# Outbound: the container's connections leave with the host's address (masquerade).
	bg out sh -c 'sleep 5 | busybox nc -l -p 7777'
	sleep 0.3
	bg c2 sh -c 'sleep 2 | busybox nc 192.168.200.2 7777'
	for i in $(seq 20); do
		inctr out busybox netstat -tn | grep -q ':7777 .*192\.168\.200\.1:' && break
		sleep 0.1
	done
	inctr out busybox netstat -tn | grep -q ':7777 .*192\.168\.200\.1:'
	# A port bound to 127.0.0.1 is not published on other addresses...
	[ -z "$(get out 192.168.200.1 8081 2>/dev/null)" ]
	# ...and not reachable by a neighbour that routes 127.0.0.1 to this host (moby#45610):
	# route_localnet on the bridge must not open the host's loopback ports.
	inctr out sh -c 'sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1 &&
		ip route del local 127.0.0.0/8 dev lo table local && ip route del local 127.0.0.1 dev lo table local &&
		ip addr del 127.0.0.1/8 dev lo && ip route add 127.0.0.1/32 via 192.168.200.1 src 192.168.200.2'
	[ -z "$(get out 127.0.0.1 8081 2>/dev/null)" ]
	# udp
	bg c1 python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 9999)); open('$BATS_TEST_TMPDIR/udp', 'wb').write(s.recv(100))"
	sleep 0.3
	inctr out python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'udp-hello', ('192.168.200.1', 9999))"
	for i in $(seq 20); do [ -s "$BATS_TEST_TMPDIR/udp" ] && break; sleep 0.1; done
	[ "$(cat "$BATS_TEST_TMPDIR/udp")" = udp-hello ]
	# The port proxy of [::1] (a process in the host's namespace) goes with the container.
	nettest disconnect "$STORE" - aaaa1111
	nettest disconnect "$STORE" - bbbb2222
}

@test "nat: a container's rules are removed exactly, reconnecting never duplicates them, busy ports and bad -p are refused" {
	mkctr c1
	mkctr c2
	nettest create "$STORE" web subnet=10.97.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222'), ('cccc3333')"
	nettest connect "$STORE" web aaaa1111 "/run/netns/$PFX-c1" 8080:80 >/dev/null
	nettest connect "$STORE" web bbbb2222 "/run/netns/$PFX-c2" 8090:80 >/dev/null
	# The same port again, by another container: refused, and nothing of it is left.
	mkctr c3
	run -1 nettest connect "$STORE" web cccc3333 "/run/netns/$PFX-c3" 8080:80
	[[ "$output" == *"Bind for 0.0.0.0:8080 failed: port is already allocated"* ]]
	run -1 nettest connect "$STORE" web cccc3333 "/run/netns/$PFX-c3" 127.0.0.1:8090:80
	[[ "$output" == *"Bind for 127.0.0.1:8090 failed: port is already allocated"* ]]
	# A port a process of the host listens on.
	bg host busybox nc -l -p 7000
	sleep 0.3
	run -1 nettest connect "$STORE" web cccc3333 "/run/netns/$PFX-c3" 7000:80
	[[ "$output" == *"Bind for 0.0.0.0:7000 failed: port is already allocated"* ]]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM ip_leases WHERE container_id = 'cccc3333'")" -eq 0 ]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM net_objects WHERE container_id = 'cccc3333'")" -eq 0 ]
	run -1 inctr c3 ip link show eth0
	[ -z "$(inhost nft list chain inet hull ports | grep cccc3333)" ]
	for bad in 80:80/sctp 0:80 70000:80 a:80 1.2.3:80:80; do
		run -1 nettest connect "$STORE" web cccc3333 "/run/netns/$PFX-c3" "$bad"
	done
	# A random host port.
	run -0 nettest connect "$STORE" web cccc3333 "/run/netns/$PFX-c3" 80
	[[ "$output" =~ 80/tcp\ -\>\ 0\.0\.0\.0:(49[0-9]{3}|5[0-9]{4}|6[0-5][0-9]{3})$ ]]
	nettest disconnect "$STORE" web cccc3333

	# Connecting again (a restart) replaces the rules; it never adds a second copy.
	nettest disconnect "$STORE" web aaaa1111
	nettest connect "$STORE" web aaaa1111 "/run/netns/$PFX-c1" 8080:80 >/dev/null
	[ "$(inhost nft list table inet hull | grep -c 'dport 8080 dnat')" -eq 1 ]
	# Removal takes exactly the container's chain and jump.
	nettest disconnect "$STORE" web aaaa1111
	[ "$(inhost nft list table inet hull | grep -c 'aaaa1111')" -eq 0 ]
	[ "$(inhost nft list table inet hull | grep -c 'dport 8090 dnat')" -eq 1 ]
	[ "$(inhost nft list chain inet hull ports | grep -c 'comment "ctr:bbbb2222"')" -eq 1 ]
	run -1 inctr c1 ip link show eth0
	nettest disconnect "$STORE" web aaaa1111
	# A network in use cannot be removed; once empty it goes with its bridge and chains.
	run -1 nettest rmnet "$STORE" web
	[[ "$output" == *"has active endpoints (container bbbb2222)"* ]]
	nettest disconnect "$STORE" - bbbb2222
	nettest rmnet "$STORE" web
	[ -z "$(inhost ip -o link show type bridge)" ]
	[ -z "$(inhost ip -o link show type veth)" ]
	[ "$(inhost nft list table inet hull | grep -c 'jump [ncf]-')" -eq 0 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM net_objects') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM port_maps') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM networks')" = "0 0 0" ]
}

@test "nat: --internal networks get no masquerade, forward nothing off the bridge, and their DNS forwards nothing" {
	mkctr c1
	mkout
	# A resolver outside that knows a name: an internal network must not reach it (CVE-2024-29018).
	echo '192.0.2.7 upstream.example' >"$BATS_TEST_TMPDIR/up-hosts"
	bg out "$BUILD/hull-dns" --listen 192.168.200.2 --hosts "$BATS_TEST_TMPDIR/up-hosts"
	echo 'nameserver 192.168.200.2' >"$BATS_TEST_TMPDIR/host-resolv"
	nettest create "$STORE" priv subnet=10.98.0.0/24 internal=1 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111')"
	nettest connect "$STORE" priv aaaa1111 "/run/netns/$PFX-c1" names=me runroot="$BATS_TEST_TMPDIR/run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	inctr c1 busybox ping -c1 -W2 10.98.0.1
	run -1 inctr c1 busybox ping -c1 -W1 192.168.200.2
	[ -z "$(inhost nft list table inet hull | grep 'saddr 10.98.0.0/24 ip daddr != 10.98.0.0/24 masquerade')" ]
	for i in $(seq 30); do inctr c1 busybox nslookup me 10.98.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
	inctr c1 busybox nslookup me 10.98.0.1 | grep -q 'Address: 10.98.0.2'
	# The host itself reaches the resolver; the network's responder does not forward to it.
	inhost busybox nslookup upstream.example 192.168.200.2 | grep -q 'Address: 192.0.2.7'
	run -1 inctr c1 busybox nslookup upstream.example 10.98.0.1
	[[ "$output" != *192.0.2.7* ]]
	nettest disconnect "$STORE" priv aaaa1111
	nettest rmnet "$STORE" priv
}

@test "files: /etc/hosts, /etc/resolv.conf (host's resolvers without loopback ones, or the network's responder), /etc/hostname" {
	d=$BATS_TEST_TMPDIR/files
	mkdir -p "$d"
	printf 'nameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\nsearch example.com\noptions edns0\n' >"$d/host-resolv"
	"$NETTEST" files "$d" web1 ip=10.97.0.2 aliases=w,www add-host=db:10.0.0.9 resolv="$d/host-resolv" domain=corp
	[ "$(cat "$d/hostname")" = web1 ]
	grep -qx '127.0.0.1	localhost' "$d/hosts"
	grep -qx '10.0.0.9	db' "$d/hosts"
	grep -qx '10.97.0.2	web1 web1.corp w www' "$d/hosts"
	[ "$(cat "$d/resolv.conf")" = "$(printf 'nameserver 10.0.0.2\nsearch example.com\noptions edns0')" ]
	# A user network: its responder alone; --dns-search replaces the host's search.
	"$NETTEST" files "$d" web1 dns-server=10.97.0.1 resolv="$d/host-resolv" search=a.b,c.d
	[ "$(cat "$d/resolv.conf")" = "$(printf 'nameserver 10.97.0.1\noptions edns0\nsearch a.b c.d')" ]
	# --dns replaces the resolvers; a host with only a local stub resolver gets Docker's fallback.
	"$NETTEST" files "$d" web1 dns=10.1.1.1,10.1.1.2 resolv="$d/host-resolv"
	[ "$(grep nameserver "$d/resolv.conf" | tr '\n' ' ')" = "nameserver 10.1.1.1 nameserver 10.1.1.2 " ]
	echo 'nameserver 127.0.0.53' >"$d/host-resolv"
	"$NETTEST" files "$d" web1 resolv="$d/host-resolv"
	[ "$(grep nameserver "$d/resolv.conf" | tr '\n' ' ')" = "nameserver 8.8.8.8 nameserver 8.8.4.4 " ]
	run -1 "$NETTEST" files "$d" web1 add-host=bad
	[[ "$output" == *'invalid argument "bad" for "--add-host" flag'* ]]
}

@test "dns: hull-dns answers names and aliases on a user network, sees joins and leaves at once, forwards the rest, stops with the network" {
	mkctr c1
	mkctr c2
	mkctr c3
	mkout
	# The "host's resolver": another hull-dns in the out namespace that knows one name.
	echo '192.0.2.7 upstream.example' >"$BATS_TEST_TMPDIR/up-hosts"
	bg out "$BUILD/hull-dns" --listen 192.168.200.2 --hosts "$BATS_TEST_TMPDIR/up-hosts"
	echo 'nameserver 192.168.200.2' >"$BATS_TEST_TMPDIR/host-resolv"
	nettest create "$STORE" app subnet=10.99.0.0/24 subnet6=fd99::/64 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222'), ('cccc3333')"
	run=$BATS_TEST_TMPDIR/run
	nettest connect "$STORE" app aaaa1111 "/run/netns/$PFX-c1" names="web w1" runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	nettest connect "$STORE" app bbbb2222 "/run/netns/$PFX-c2" names="db" runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	for i in $(seq 30); do inctr c2 busybox nslookup web 10.99.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
	inctr c2 busybox nslookup web 10.99.0.1 | grep -q 'Address: 10.99.0.2'
	inctr c2 busybox nslookup w1 10.99.0.1 | grep -q 'Address: 10.99.0.2'
	inctr c2 busybox nslookup -type=AAAA web 10.99.0.1 | grep -q 'Address: fd99::2'
	inctr c1 busybox nslookup db 10.99.0.1 | grep -q 'Address: 10.99.0.3'
	inctr c1 busybox ping -c1 -W2 "$(inctr c1 busybox nslookup db 10.99.0.1 | awk '/^Address: 10/ {print $2}')"
	# Forwarded to the host's resolvers.
	inctr c1 busybox nslookup upstream.example 10.99.0.1 | grep -q 'Address: 192.0.2.7'
	# Over TCP too (what a client does after a truncated answer), local and forwarded.
	[ "$(inctr c1 python3 "$LIBDIR/dnsq.py" 10.99.0.1 db A tcp)" = 10.99.0.3 ]
	[ "$(inctr c1 python3 "$LIBDIR/dnsq.py" 10.99.0.1 web AAAA tcp)" = fd99::2 ]
	[ "$(inctr c1 python3 "$LIBDIR/dnsq.py" 10.99.0.1 upstream.example A tcp)" = 192.0.2.7 ]
	[ "$(inctr c1 python3 "$LIBDIR/dnsq.py" 10.99.0.1 upstream.example A)" = 192.0.2.7 ]
	run -1 inctr c1 python3 "$LIBDIR/dnsq.py" 10.99.0.1 nosuch.example A tcp
	# A third container is resolvable at once, without restarting anything.
	pid=$(cut -d' ' -f1 "$run/networks/"*/dns.pid)
	nettest connect "$STORE" app cccc3333 "/run/netns/$PFX-c3" names="late" runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	inctr c1 busybox nslookup late 10.99.0.1 | grep -q 'Address: 10.99.0.4'
	[ "$(cut -d' ' -f1 "$run/networks/"*/dns.pid)" = "$pid" ]
	# ...and gone once it leaves.
	nettest disconnect "$STORE" app cccc3333
	run -1 inctr c1 busybox nslookup late 10.99.0.1
	# Queries during a burst of changes are all answered (the file is replaced atomically).
	(for i in $(seq 40); do nettest disconnect "$STORE" app bbbb2222; nettest connect "$STORE" app bbbb2222 "/run/netns/$PFX-c2" names="db" runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null; done) &
	changer=$!
	fails=0
	for i in $(seq 60); do inctr c1 busybox nslookup web 10.99.0.1 >"$BATS_TEST_TMPDIR/ns" 2>&1 || { fails=$((fails + 1)); cat "$BATS_TEST_TMPDIR/ns"; }; done
	wait "$changer"
	[ "$fails" -eq 0 ]
	# The responder goes with the network.
	nettest disconnect "$STORE" - aaaa1111
	nettest disconnect "$STORE" - bbbb2222
	nettest rmnet "$STORE" app
	[ ! -e "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"
	[ ! -e "$run/networks" ] || [ -z "$(ls "$run/networks")" ]
}

# The state of the host namespace that a test may compare before and after.
hoststate() {
	inhost ip -o link show type veth | awk '{print $2}' | sort
	inhost nft list table inet hull 2>/dev/null | grep -v '^\s*$' | sed 's/ # handle [0-9]*//'
	# Not the network's fast path row: one per network, written by its first connect (the
	# kernel ids of its program and map), gone with the network.
	sqlite3 "$STORE/hull.db" "SELECT * FROM ip_leases ORDER BY 1, 2; SELECT * FROM port_maps ORDER BY 1; SELECT * FROM net_objects WHERE kind <> 'fastpath' ORDER BY 1, 2"
	# The processes of the host's namespace: the port proxies of [::1] among them.
	ip netns pids "$HOSTNS" | while read -r p; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null && echo; done | sort
}

@test "gc: a connect killed midway (after the veth, before its DNAT rules) leaves nothing after gc, and the neighbours keep theirs" {
	mkctr keep
	mkctr c1
	nettest create "$STORE" web subnet=10.97.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('keep0000'), ('dead0001')"
	nettest connect "$STORE" web keep0000 "/run/netns/$PFX-keep" 8080:80 >/dev/null
	hoststate >"$BATS_TEST_TMPDIR/before"
	# An nft that kills the command at the moment it would add the DNAT rules.
	cat >"$BATS_TEST_TMPDIR/nft" <<-'NFT'
		#!/bin/sh
		input=$(cat)
		case "$input" in *dead0001*dnat*) kill -9 $PPID; exit 1 ;; esac
		printf '%s' "$input" | exec /usr/sbin/nft "$@"
	NFT
	chmod +x "$BATS_TEST_TMPDIR/nft"
	run -137 inhost env HULL_NFT="$BATS_TEST_TMPDIR/nft" "$NETTEST" connect "$STORE" web dead0001 "/run/netns/$PFX-c1" 9090:80
	# Left: the veth (alive in both namespaces), the lease, the port row, the records.
	inhost ip -o link | grep -q hvdead0001
	inctr c1 ip link show eth0
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM ip_leases WHERE container_id = 'dead0001'")" -eq 1 ]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM port_maps WHERE container_id = 'dead0001'")" -eq 1 ]
	# While its container row exists, gc leaves it alone (the container may be starting).
	[ "$(nettest gc "$STORE")" = 0 ]
	inctr c1 ip link show eth0
	# Its row gone: gc removes exactly what it left.
	sqlite3 "$STORE/hull.db" "DELETE FROM containers WHERE id = 'dead0001'"
	[ "$(nettest gc "$STORE")" -gt 0 ]
	run -1 inctr c1 ip link show eth0
	hoststate >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	# And again: nothing more to do.
	[ "$(nettest gc "$STORE")" = 0 ]
	nettest disconnect "$STORE" - keep0000
}

@test "gc: connects killed at random moments, then gc: no veth, lease, port, rule or record of the dead is left" {
	mkctr keep
	nettest create "$STORE" web subnet=10.97.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('keep0000')"
	nettest connect "$STORE" web keep0000 "/run/netns/$PFX-keep" 8080:80 >/dev/null
	hoststate >"$BATS_TEST_TMPDIR/before"
	for t in $(seq 8); do
		mkctr "k$t"
		sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('kill000$t')"
		# A session of its own: the kill reaches the command and the nft it may be running.
		setsid ip netns exec "$HOSTNS" "$NETTEST" connect "$STORE" web "kill000$t" "/run/netns/$PFX-k$t" "909$t:80" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))"
		kill -9 -- "-$pid" 2>/dev/null || true
		wait "$pid" || true
		[ ! -e "/proc/$pid" ]
		sqlite3 -cmd '.timeout 5000' "$STORE/hull.db" "DELETE FROM containers WHERE id = 'kill000$t'"
		echo "# trial $t: veths $(inhost ip -o link show type veth | wc -l) leases $(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM ip_leases") objects $(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM net_objects")" >&3
		nettest gc "$STORE" >/dev/null
		run -1 inctr "k$t" ip link show eth0
		hoststate >"$BATS_TEST_TMPDIR/after"
		diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
	done
	nettest disconnect "$STORE" - keep0000
}

@test "dns: a responder killed with -9 is started again by the next connect, which sees every name" {
	mkctr c1
	mkctr c2
	nettest create "$STORE" app subnet=10.99.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222')"
	run=$BATS_TEST_TMPDIR/run
	echo 'nameserver 192.0.2.1' >"$BATS_TEST_TMPDIR/host-resolv"
	nettest connect "$STORE" app aaaa1111 "/run/netns/$PFX-c1" names=web runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	pid=$(cut -d' ' -f1 "$run/networks/"*/dns.pid)
	kill -9 "$pid"
	nettest connect "$STORE" app bbbb2222 "/run/netns/$PFX-c2" names=db runroot="$run" resolv="$BATS_TEST_TMPDIR/host-resolv" >/dev/null
	[ "$(cut -d' ' -f1 "$run/networks/"*/dns.pid)" != "$pid" ]
	for i in $(seq 30); do inctr c2 busybox nslookup web 10.99.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
	inctr c2 busybox nslookup web 10.99.0.1 | grep -q 'Address: 10.99.0.2'
	inctr c1 busybox nslookup db 10.99.0.1 | grep -q 'Address: 10.99.0.3'
	# The container rows gone, gc releases everything, and the network can go.
	sqlite3 "$STORE/hull.db" "DELETE FROM containers"
	nettest gc "$STORE" >/dev/null
	nettest rmnet "$STORE" app
	[ -z "$(ls "$run/networks")" ]
	[ -z "$(inhost ip -o link show type veth)" ]
}

@test "hull network create/ls/inspect/rm/prune: Docker's output, bad input refused with nothing left" {
	run -0 hullnet network create --subnet 10.70.0.0/24 --gateway 10.70.0.254 --ip-range 10.70.0.128/25 --label a=b -o com.docker.network.driver.mtu=1400 web
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	hullnet network create --internal --subnet 10.71.0.0/24 --subnet fd71::/64 priv >/dev/null
	run -0 hullnet network ls
	[[ "${lines[0]}" =~ ^NETWORK\ ID\ +NAME\ +DRIVER\ +SCOPE$ ]]
	[[ "${lines[2]}" =~ ^${id:0:12}\ +web\ +bridge\ +local$ ]]
	[ "$(hullnet network ls -q --no-trunc | tail -1)" = "$id" ]
	[ "$(hullnet network ls --format '{{.Name}} {{.Internal}} {{.IPv6}}' | tr '\n' ' ')" = "priv true true web false false " ]
	[ "$(hullnet network ls -f name=pr -q | wc -l)" -eq 1 ]
	hullnet network inspect web | jq -e --arg id "$id" '.[0] | .Id == $id and .Driver == "bridge" and .Internal == false
		and .IPAM.Config == [{"Subnet": "10.70.0.0/24", "Gateway": "10.70.0.254", "IPRange": "10.70.0.128/25"}]
		and .Labels == {"a": "b"} and .Options["com.docker.network.driver.mtu"] == "1400" and .Containers == {}'
	[ "$(hullnet network inspect -f '{{.Name}} {{.EnableIPv6}}' priv)" = "priv true" ]
	# The bridges exist, with the gateway address and the MTU.
	inhost ip -o addr show "hb-${id:0:12}" | grep -q 'inet 10.70.0.254/24'
	inhost ip -o link show "hb-${id:0:12}" | grep -q 'mtu 1400'

	# Bad input: a clear error, a non-zero status, nothing recorded or made.
	run -1 hullnet network create web
	[ "$output" = "Error: network with name web already exists" ]
	run -1 hullnet network create --subnet 10.70.0.0/16 other
	[ "$output" = "Error: invalid pool request: Pool overlaps with other one on this address space (10.70.0.0/16 overlaps 10.70.0.0/24 of network web)" ]
	run -1 hullnet network create --subnet 10.72.0.0/31 other
	[[ "$output" == *"subnet 10.72.0.0/31 is too small"* ]]
	run -1 hullnet network create --subnet 10.72.0.0/24 --gateway 10.73.0.1 other
	[[ "$output" == *"gateway 10.73.0.1 is not in subnet 10.72.0.0/24"* ]]
	run -125 hullnet network create --gateway 10.73.0.1 other
	run -125 hullnet network create -o foo=bar other
	run -1 hullnet network create -d macvlan other
	run -1 hullnet network create --subnet 10.72.0.0/24 'bad/name'
	[ "$(hullnet network ls -q | wc -l)" -eq 2 ]
	[ "$(inhost ip -o link show type bridge | wc -l)" -eq 2 ]
	run -1 hullnet network inspect nosuch
	[ "$output" = $'[]\nError: network nosuch not found' ]
	# As Docker: what was found is printed, then an error line per missing name.
	run -1 hullnet network inspect -f '{{.Name}}' nosuch priv nosuch2
	[[ "$output" == *priv* && "$output" == *"network nosuch not found"* && "$output" == *"network nosuch2 not found"* ]]

	# Without --subnet: the first 10.67.N.0/24 that no network and no route of the host uses.
	inhost ip route add blackhole 10.67.0.0/24
	run -0 hullnet network create auto1
	[ "$(hullnet network inspect -f '{{json .IPAM.Config}}' auto1)" = '[{"Subnet":"10.67.1.0/24","Gateway":"10.67.1.1"}]' ]
	run -0 hullnet network create auto2
	[ "$(hullnet network inspect -f '{{json .IPAM.Config}}' auto2)" = '[{"Subnet":"10.67.2.0/24","Gateway":"10.67.2.1"}]' ]
	hullnet network rm auto1 auto2
	inhost ip route del blackhole 10.67.0.0/24

	# rm of a network in use is refused; prune keeps it and removes the unused one.
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id, name) VALUES ('c1', 'ctr1')"
	mkctr c1
	nettest connect "$STORE" web c1 "/run/netns/$PFX-c1" >/dev/null
	run -0 hullnet network inspect -f '{{json .Containers}}' web
	[ "$(jq -c '.c1.EndpointID = "E"' <<<"$output")" = '{"c1":{"Name":"ctr1","EndpointID":"E","MacAddress":"02:42:0a:46:00:80","IPv4Address":"10.70.0.128/24","IPv6Address":""}}' ]
	[[ "$(jq -r .c1.EndpointID <<<"$output")" =~ ^[0-9a-f]{64}$ ]]
	run -1 hullnet network rm web
	[[ "$output" == "Error: error while removing network: network web id $id has active endpoints (container c1)" ]]
	run -0 hullnet network prune -f
	[ "$output" = "$(printf 'Deleted Networks:\npriv')" ]
	[ "$(hullnet network ls -q | wc -l)" -eq 1 ]
	# Once the container is gone (its row removed), its leftovers are collected and rm works.
	sqlite3 "$STORE/hull.db" "DELETE FROM containers"
	run -0 hullnet network rm web
	[ "$output" = web ]
	[ -z "$(inhost ip -o link)" ] || [ "$(inhost ip -o link | grep -vc ' lo:')" -eq 0 ]
	[ "$(hullnet network ls -q | wc -l)" -eq 0 ]
	[ "$(inhost nft list table inet hull | grep -c 'jump [ncf]-')" -eq 0 ]
	run -0 hullnet network rm -f web
	run -1 hullnet network rm web
}

@test "50 containers connected in parallel with published ports get 50 addresses; after 50 parallel disconnects no lease, veth, port or rule is left" {
	nettest create "$STORE" par subnet=10.96.0.0/24 >/dev/null
	hoststate >"$BATS_TEST_TMPDIR/before"
	for i in $(seq 1 50); do
		mkctr "p$i"
		echo "INSERT INTO containers(id) VALUES ('par$(printf %05d "$i")');"
	done | sqlite3 "$STORE/hull.db"
	pids=()
	for i in $(seq 1 50); do
		nettest connect "$STORE" par "par$(printf %05d "$i")" "/run/netns/$PFX-p$i" "$((20000 + i)):80" >"$BATS_TEST_TMPDIR/c$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(cat "$BATS_TEST_TMPDIR"/c* | awk '{print $2}' | grep -c '^10\.96\.0\.')" -eq 50 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/c* | awk '{print $2}' | sort -u | wc -l)" -eq 50 ]
	[ "$(inhost ip -o link show type veth | wc -l)" -eq 50 ]
	[ "$(inhost nft list table inet hull | grep -c ' dnat ip to 10\.96\.0\.')" -eq 50 ]
	inctr p50 busybox ping -c1 -W2 10.96.0.1
	pids=()
	for i in $(seq 1 50); do
		nettest disconnect "$STORE" par "par$(printf %05d "$i")" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases')" -eq 0 ]
	hoststate >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "nat: two networks are isolated from each other; both reach the outside" {
	mkctr a
	mkctr b
	mkout
	nettest create "$STORE" neta subnet=10.81.0.0/24 >/dev/null
	nettest create "$STORE" netb subnet=10.82.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222')"
	nettest connect "$STORE" neta aaaa1111 "/run/netns/$PFX-a" >/dev/null
	nettest connect "$STORE" netb bbbb2222 "/run/netns/$PFX-b" >/dev/null
	inctr a busybox ping -c1 -W2 192.168.200.2
	inctr b busybox ping -c1 -W2 192.168.200.2
	run -1 inctr a busybox ping -c1 -W1 10.82.0.2
	run -1 inctr b busybox ping -c1 -W1 10.81.0.2
	# Removing a network takes its bridge out of the set.
	nettest disconnect "$STORE" - aaaa1111
	nettest rmnet "$STORE" neta
	[ -z "$(inhost nft -j list set inet hull bridges | jq -r '.nftables[1].set.elem // [] | if type == "string" then [.] else . end | .[]' | grep -v "^hb-")" ]
	[ "$(inhost nft -j list set inet hull bridges | jq -r '.nftables[1].set.elem // [] | if type == "string" then [.] else . end | length')" -eq 1 ]
	nettest disconnect "$STORE" - bbbb2222
	nettest rmnet "$STORE" netb
	[ "$(inhost nft -j list set inet hull bridges | jq -r '.nftables[1].set.elem // [] | length')" -eq 0 ]
}

@test "netns: a container's namespace made by path (lo up), wired, and removed by gc with its veth once the container is gone" {
	nettest create "$STORE" web subnet=10.97.0.0/24 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111')"
	ns=$BATS_TEST_TMPDIR/ns-aaaa1111
	# Not inside `ip netns exec`, whose private mount namespace would take the bind mount with it.
	"$NETTEST" netns "$STORE" aaaa1111 "$ns"
	[ "$(stat -f -c %T "$ns")" = nsfs ]
	[ "$(readlink /proc/self/ns/net)" != "$(nsenter --net="$ns" readlink /proc/self/ns/net)" ]
	nsenter --net="$ns" ip -o link show lo | grep -q 'UP'
	run -1 "$NETTEST" netns "$STORE" aaaa1111 "$ns"
	[[ "$output" == *"create $ns: File exists"* ]]
	nettest connect "$STORE" web aaaa1111 "$ns" >/dev/null
	nsenter --net="$ns" busybox ping -c1 -W2 10.97.0.1
	[ "$(nettest gc "$STORE")" = 0 ]
	sqlite3 "$STORE/hull.db" "DELETE FROM containers"
	[ "$(nettest gc "$STORE")" -gt 0 ]
	[ ! -e "$ns" ]
	[ -z "$(inhost ip -o link show type veth)" ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM net_objects WHERE container_id IS NOT NULL')" -eq 0 ]
}

# nettest in the host namespace but the machine's mount namespace (`ip netns exec` has a
# private one, which would take a namespace's bind mount with it).
nsnettest() { nsenter --net="/run/netns/$HOSTNS" "$NETTEST" "$@"; }

@test "teardown: the veth dies with the namespace; its lease is kept while something holds the namespace, and gc deletes the veth after the grace period" {
	nettest reclaim "$STORE" >/dev/null # creates the store
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id, name) VALUES ('aaaa1111', 'one'), ('bbbb2222', 'two'), ('cccc3333', 'three')"
	for c in a b c; do mkdir -p "$BATS_TEST_TMPDIR/files-$c"; done
	# Nothing holds a's namespace after teardown: the kernel destroys the pair by itself and
	# the next gc releases the lease.
	run -0 nsnettest setup "$STORE" aaaa1111 bridge "$BATS_TEST_TMPDIR/ns-a" "$BATS_TEST_TMPDIR/files-a"
	[ "$output" = "netns 10.66.0.2" ]
	nsnettest teardown "$STORE" aaaa1111
	[ ! -e "$BATS_TEST_TMPDIR/ns-a" ]
	for _ in $(seq 100); do [ -n "$(inhost ip -o link show type veth)" ] || break; sleep 0.05; done
	[ -z "$(inhost ip -o link show type veth)" ]
	nettest gc "$STORE" >/dev/null
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM net_objects WHERE container_id IS NOT NULL')" = "0 0" ]
	# A process still in b's namespace keeps its veth alive after teardown: the address stays
	# leased (c gets another one) until gc, after the grace period, deletes the veth by name.
	run -0 nsnettest setup "$STORE" bbbb2222 bridge "$BATS_TEST_TMPDIR/ns-b" "$BATS_TEST_TMPDIR/files-b"
	[ "$output" = "netns 10.66.0.2" ]
	setsid nsenter --net="$BATS_TEST_TMPDIR/ns-b" sleep 60 </dev/null >/dev/null 2>&1 &
	echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
	for _ in $(seq 50); do [ "$(readlink /proc/$!/ns/net)" = "$(readlink /proc/self/ns/net)" ] || break; sleep 0.05; done
	nsnettest teardown "$STORE" bbbb2222
	[ ! -e "$BATS_TEST_TMPDIR/ns-b" ]
	sleep 0.5
	inhost ip -o link show type veth | grep -q ': hvbbbb2222'
	[ "$(nettest gc "$STORE")" = 0 ]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT address FROM ip_leases WHERE container_id = 'bbbb2222'")" = 10.66.0.2 ]
	run -0 nsnettest setup "$STORE" cccc3333 bridge "$BATS_TEST_TMPDIR/ns-c" "$BATS_TEST_TMPDIR/files-c"
	[ "$output" = "netns 10.66.0.3" ]
	sleep 5
	[ "$(nettest gc "$STORE")" = 1 ]
	[ -z "$(inhost ip -o link show type veth | grep hvbbbb2222)" ]
	[ -z "$(sqlite3 "$STORE/hull.db" "SELECT 1 FROM ip_leases WHERE container_id = 'bbbb2222'")" ]
	nsnettest teardown "$STORE" cccc3333
	for _ in $(seq 100); do [ -n "$(inhost ip -o link show type veth)" ] || break; sleep 0.05; done
	[ -z "$(inhost ip -o link show type veth)" ]
	nettest gc "$STORE" >/dev/null
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM net_objects WHERE container_id IS NOT NULL')" = "0 0" ]
}

@test "setup: --network bridge (default network hull0), none, host and a user network; teardown leaves nothing" {
	nettest reclaim "$STORE" >/dev/null # creates the store
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id, name) VALUES ('aaaa1111', 'one'), ('bbbb2222', 'two'), ('cccc3333', 'three'), ('dddd4444', 'four')"
	echo 'nameserver 192.0.2.53' >"$BATS_TEST_TMPDIR/host-resolv"
	for c in a b c d; do mkdir -p "$BATS_TEST_TMPDIR/files-$c"; done
	hoststate >"$BATS_TEST_TMPDIR/before"
	# The default network is made on first use: bridge hull0, 10.66.0.0/16, no DNS responder.
	run -0 nsnettest setup "$STORE" aaaa1111 bridge "$BATS_TEST_TMPDIR/ns-a" "$BATS_TEST_TMPDIR/files-a" name=one resolv="$BATS_TEST_TMPDIR/host-resolv" 8080:80
	[ "$output" = "netns 10.66.0.2 80/tcp -> 0.0.0.0:8080" ]
	inhost ip -o addr show hull0 | grep -q "inet 10.66.0.1/16"
	nsenter --net="$BATS_TEST_TMPDIR/ns-a" busybox ping -c1 -W2 10.66.0.1
	[ "$(cat "$BATS_TEST_TMPDIR/files-a/hostname")" = aaaa1111 ]
	grep -qx "10.66.0.2	aaaa1111" "$BATS_TEST_TMPDIR/files-a/hosts"
	[ "$(cat "$BATS_TEST_TMPDIR/files-a/resolv.conf")" = "nameserver 192.0.2.53" ]
	# none: a namespace with lo alone.
	run -0 nsnettest setup "$STORE" bbbb2222 none "$BATS_TEST_TMPDIR/ns-b" "$BATS_TEST_TMPDIR/files-b"
	[ "$output" = "netns -" ]
	[ "$(nsenter --net="$BATS_TEST_TMPDIR/ns-b" ip -o link | wc -l)" -eq 1 ]
	run -1 nsnettest setup "$STORE" bbbb2222 none "$BATS_TEST_TMPDIR/ns-b2" "$BATS_TEST_TMPDIR/files-b" 80:80
	# host: no namespace at all; published ports make no sense.
	run -0 nsnettest setup "$STORE" cccc3333 host "$BATS_TEST_TMPDIR/ns-c" "$BATS_TEST_TMPDIR/files-c" hostname=h
	[ "$output" = "host -" ]
	[ ! -e "$BATS_TEST_TMPDIR/ns-c" ]
	[ "$(cat "$BATS_TEST_TMPDIR/files-c/hostname")" = h ]
	# A user network: the responder's address in resolv.conf, the name and aliases served.
	nettest create "$STORE" app subnet=10.99.0.0/24 >/dev/null
	run -0 nsnettest setup "$STORE" dddd4444 app "$BATS_TEST_TMPDIR/ns-d" "$BATS_TEST_TMPDIR/files-d" name=four aliases=api runroot="$BATS_TEST_TMPDIR/run" resolv="$BATS_TEST_TMPDIR/host-resolv"
	[ "$output" = "netns 10.99.0.2" ]
	[ "$(cat "$BATS_TEST_TMPDIR/files-d/resolv.conf")" = "nameserver 10.99.0.1" ]
	for i in $(seq 30); do nsenter --net="$BATS_TEST_TMPDIR/ns-d" busybox nslookup api 10.99.0.1 >/dev/null 2>&1 && break; sleep 0.1; done
	nsenter --net="$BATS_TEST_TMPDIR/ns-d" busybox nslookup api 10.99.0.1 | grep -q 'Address: 10.99.0.2'
	# An unknown network: an error and nothing left of the attempt.
	run -1 nsnettest setup "$STORE" cccc3333 nosuch "$BATS_TEST_TMPDIR/ns-x" "$BATS_TEST_TMPDIR/files-c"
	[ "$output" = "Error: network nosuch not found" ]
	[ ! -e "$BATS_TEST_TMPDIR/ns-x" ]

	for c in aaaa1111 bbbb2222 cccc3333 dddd4444; do nsnettest teardown "$STORE" "$c"; done
	for c in a b d; do [ ! -e "$BATS_TEST_TMPDIR/ns-$c" ]; done
	# The veths die with their namespaces, asynchronously in the kernel; the gc releases
	# their leases once they are gone.
	for _ in $(seq 100); do [ -n "$(inhost ip -o link show type veth)" ] || break; sleep 0.05; done
	[ -z "$(inhost ip -o link show type veth)" ]
	nettest gc "$STORE" >/dev/null
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM port_maps') $(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM net_objects WHERE container_id IS NOT NULL')" = "0 0 0" ]
	[ "$(inhost nft list table inet hull | grep -c 'dnat ip to')" -eq 0 ]
	nettest rmnet "$STORE" app
	nettest rmnet "$STORE" hull
	[ -z "$(inhost ip -o link show type bridge)" ]
}

@test "nat: a dual-stack network publishes ports on IPv6 too, hairpin included" {
	mkctr c1
	mkctr c2
	mkout
	inhost ip addr add fd20::1/64 dev "${PFX}o" nodad
	inctr out ip addr add fd20::2/64 dev eth0 nodad
	# Neither the host's IPv6 forwarding nor bridge netfilter: setting the network up turns
	# forwarding on.
	inhost sysctl -qw net.ipv6.conf.all.forwarding=0
	[ ! -e /proc/sys/net/bridge/bridge-nf-call-ip6tables ] || inhost sysctl -qw net.bridge.bridge-nf-call-ip6tables=0
	nettest create "$STORE" dual subnet=10.83.0.0/24 subnet6=fd83::/64 >/dev/null
	[ "$(inhost sysctl -n net.ipv6.conf.all.forwarding)" = 1 ]
	sqlite3 "$STORE/hull.db" "INSERT INTO containers(id) VALUES ('aaaa1111'), ('bbbb2222')"
	nettest connect "$STORE" dual aaaa1111 "/run/netns/$PFX-c1" 8080:80 '[fd20::1]:8081:80' >/dev/null
	nettest connect "$STORE" dual bbbb2222 "/run/netns/$PFX-c2" >/dev/null
	httpd c1
	[ "$(get out 192.168.200.1 8080)" = hello-from-c1 ]
	# The test's own link to "out" answers neighbour solicitations once its link-local
	# addresses are out of duplicate address detection.
	for i in $(seq 50); do
		inhost ip -6 addr show dev "${PFX}o" | grep -q tentative || inctr out ip -6 addr show dev eth0 | grep -q tentative || break
		sleep 0.1
	done
	[ "$(get out fd20::1 8080)" = hello-from-c1 ]
	[ "$(get out fd20::1 8081)" = hello-from-c1 ]
	[ -z "$(get out 192.168.200.1 8081 2>/dev/null)" ]
	[ "$(get c2 fd20::1 8080)" = hello-from-c1 ]
	[ "$(inhost nft list chain inet hull c-aaaa1111 | grep -c 'dnat ip6 to \[fd83::2\]:80')" -eq 2 ]
	nettest disconnect "$STORE" - aaaa1111
	nettest disconnect "$STORE" - bbbb2222
	[ "$(inhost nft list table inet hull | grep -c 'dnat ip6 to')" -eq 0 ]
}
