#!/usr/bin/env bats
# The network library with a real container of hull-runtime, as `hull run` will wire them:
# hull_network_setup makes the namespace (by path), connects it and writes hosts,
# resolv.conf and hostname; the bundle joins the namespace by path and bind-mounts the files.
# The "host" is a network namespace of the test's own; nothing leaves the machine.

bats_require_minimum_version 1.5.0
load lib/common

NETTEST=$REPO_ROOT/build/hull-nettest
# No veth waiter (it lingers 2 s: a process left by the test); see lib/network.bash.
export HULL_BIN=/nonexistent/hull
DNSQ=$REPO_ROOT/tests/integration/lib/dnsq.py

setup() {
	common_setup
	NPFX=h8r$$x$BATS_TEST_NUMBER
	HOSTNS=$NPFX-host
	NSTORE=$BATS_TEST_TMPDIR/store
	ip netns add "$HOSTNS"
	ip netns exec "$HOSTNS" ip link set lo up
	ip netns exec "$HOSTNS" sysctl -qw net.ipv4.ip_forward=1
}

teardown() {
	RT_TIMEOUT=20 rt delete --force "$CID" >/dev/null 2>&1 || true
	# The library in the host namespace, in the machine's mount namespace (the bind mounts
	# of the container namespaces live there).
	for c in c1 c2; do nsenter --net="/run/netns/$HOSTNS" "$NETTEST" teardown "$NSTORE" "$c" 2>/dev/null || true; done
	nsenter --net="/run/netns/$HOSTNS" "$NETTEST" rmnet "$NSTORE" app 2>/dev/null || true
	local left
	left=$(ip netns pids "$HOSTNS" 2>/dev/null | tr '\n' ' ')
	[ -z "${left// /}" ] || kill -9 $left 2>/dev/null || true
	ip netns del "$HOSTNS"
	common_teardown
	[ -z "${left// /}" ] || {
		echo "left processes in the host namespace: $left" >&2
		return 1
	}
}

hostnet() { nsenter --net="/run/netns/$HOSTNS" "$@"; }

@test "a hull-runtime container joins the namespace made by hull_network_setup: published port, hosts/resolv.conf/hostname, DNS by name both ways" {
	requires_hull "the network library is hull's"
	hostnet "$NETTEST" reclaim "$NSTORE" >/dev/null
	sqlite3 "$NSTORE/hull.db" "INSERT INTO containers(id, name) VALUES ('c1', 'web'), ('c2', 'client')"
	hostnet "$NETTEST" create "$NSTORE" app subnet=10.77.0.0/24 >/dev/null
	echo 'nameserver 192.0.2.53' >"$BATS_TEST_TMPDIR/host-resolv"
	mkdir -p "$BATS_TEST_TMPDIR/files1" "$BATS_TEST_TMPDIR/files2"
	run -0 hostnet "$NETTEST" setup "$NSTORE" c1 app "$BATS_TEST_TMPDIR/ns1" "$BATS_TEST_TMPDIR/files1" \
		name=web aliases=www hostname=web runroot="$BATS_TEST_TMPDIR/run" resolv="$BATS_TEST_TMPDIR/host-resolv" 8080:80
	[ "$output" = "netns 10.77.0.2 80/tcp -> 0.0.0.0:8080" ]
	run -0 hostnet "$NETTEST" setup "$NSTORE" c2 app "$BATS_TEST_TMPDIR/ns2" "$BATS_TEST_TMPDIR/files2" \
		name=client runroot="$BATS_TEST_TMPDIR/run" resolv="$BATS_TEST_TMPDIR/host-resolv"

	mkdir -p "$BUNDLE/rootfs/www"
	echo hello-from-container >"$BUNDLE/rootfs/www/index.html"
	f=$BATS_TEST_TMPDIR/files1
	update_config '
		.hostname = "web"
		| .linux.namespaces = [.linux.namespaces[] | select(.type != "network")] + [{"type": "network", "path": $ns}]
		| .mounts += [{"destination": "/etc/hosts", "type": "bind", "source": ($f + "/hosts"), "options": ["rbind", "ro"]},
		              {"destination": "/etc/resolv.conf", "type": "bind", "source": ($f + "/resolv.conf"), "options": ["rbind", "ro"]},
		              {"destination": "/etc/hostname", "type": "bind", "source": ($f + "/hostname"), "options": ["rbind", "ro"]}]
		| .process.args = ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]' \
		--arg ns "$BATS_TEST_TMPDIR/ns1" --arg f "$f"
	run_detached "$CID"
	# Inside: its address, its files, its name.
	rt exec "$CID" /bin/busybox ip -o addr show eth0 | grep -q 'inet 10.77.0.2/24'
	[ "$(rt exec "$CID" /bin/busybox hostname)" = web ]
	rt exec "$CID" /bin/busybox cat /etc/hosts | grep -qx '10.77.0.2	web www'
	[ "$(rt exec "$CID" /bin/busybox cat /etc/resolv.conf)" = "nameserver 10.77.0.1" ]
	for i in $(seq 50); do
		rt exec "$CID" /bin/busybox netstat -ltn | grep -q ':80 ' && break
		sleep 0.1
	done
	get() { sh -c "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w2 $1 $2 | tail -1"; }
	# The published port from the host's 127.0.0.1 and from the other container (hairpin).
	[ "$(hostnet sh -c "$(declare -f get); get 127.0.0.1 8080")" = hello-from-container ]
	[ "$(nsenter --net="$BATS_TEST_TMPDIR/ns2" sh -c "$(declare -f get); get 10.77.0.1 8080")" = hello-from-container ]
	# By name through the network's responder, both ways.
	[ "$(nsenter --net="$BATS_TEST_TMPDIR/ns2" python3 "$DNSQ" 10.77.0.1 www)" = 10.77.0.2 ]
	[ "$(nsenter --net="$BATS_TEST_TMPDIR/ns2" sh -c "$(declare -f get); get 10.77.0.2 80")" = hello-from-container ]
	rt exec "$CID" /bin/busybox nslookup client | grep -q 'Address: 10.77.0.3'

	rt delete --force "$CID"
	hostnet "$NETTEST" teardown "$NSTORE" c1
	hostnet "$NETTEST" teardown "$NSTORE" c2
	[ ! -e "$BATS_TEST_TMPDIR/ns1" ]
	# The veths die with their namespaces, asynchronously in the kernel.
	wait_until 5 eval '[ -z "$(hostnet ip -o link show type veth)" ]'
	[ "$(hostnet nft list table inet hull | grep -c 'dnat ip to')" -eq 0 ]
}
