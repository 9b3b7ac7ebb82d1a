#!/usr/bin/env bats
# Containers on networks through `hull run` (src/engine/network.c over src/network). Every
# hull command runs with its network namespace switched to one the test creates ($HOSTNS,
# playing the host: bridges, nft table, published ports, DNS responders), by nsenter --net
# only (lib/engine.bash), so that the mounts hull makes (the container's namespace file, its
# rootfs) are in the test's own mount namespace; nothing leaves the machine. Teardown removes every container
# with `hull rm -f`, then fails the test if a veth, a container's nft chain, a lease, a port
# row, a namespace file or a network object of a container is left.

bats_require_minimum_version 1.5.0
load lib/engine

eval "engine_setup() $(declare -f setup | tail -n +2)"
eval "engine_teardown() $(declare -f teardown | tail -n +2)"

setup() {
	engine_setup
	inhost sysctl -qw net.ipv4.ip_forward=1
	# The host's own address, as on a machine's LAN.
	inhost ip link add lan0 type veth peer name lan1
	inhost ip link set lan1 up
	inhost ip addr add 192.168.200.1/24 dev lan0
	inhost ip link set lan0 up
	printf 'nameserver 192.0.2.53\n' >"$BATS_TEST_TMPDIR/resolv"
}

inhost() { ip netns exec "$HOSTNS" "$@"; }
# cexec NAME CMD...: runs CMD inside the running container NAME (all its namespaces).
cexec() {
	local pid
	pid=$(hull inspect -f '{{.State.Pid}}' "$1")
	shift
	nsenter -t "$pid" -a "$@"
}

# The image "bb": Debian's static busybox with every applet (ping, wget, nc, httpd, ip).
bb_image() {
	local tar="$BATS_FILE_TMPDIR/bb.tar" d="$BATS_FILE_TMPDIR/bb-rootfs" a
	if [ ! -f "$tar" ]; then
		rm -rf "$d"
		mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/www"
		cp /bin/busybox "$d/bin/busybox"
		for a in $(/bin/busybox --list | grep -vx busybox); do ln -sf busybox "$d/bin/$a"; done
		printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
		printf 'root:x:0:\n' >"$d/etc/group"
		echo hello-from-web >"$d/www/index.html"
		tar -C "$d" -cf "$tar" .
	fi
	hull import "$tar" bb >/dev/null
}

# get ADDR PORT: the body of an HTTP answer fetched in the host namespace.
get() {
	inhost sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w2 $1 $2 | tail -1"
}

# Waits until container $1 listens on TCP port $2.
listening() {
	local i
	for i in $(seq 50); do
		cexec "$1" sh -c "netstat -ltn | grep -q ':$2 '" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# What containers leave in the host namespace and the store: nothing once they are gone.
net_leftovers() {
	local out=""
	out+=$(inhost ip -o link show type veth | cut -d: -f2 | grep -v ' lan[01]@' || true)
	out+=$(inhost nft list table inet hull 2>/dev/null | grep -o 'chain c-[0-9a-f]*' || true)
	out+=$(sqlite3 "$STORE/hull.db" "SELECT 'lease '||address FROM ip_leases; SELECT 'port '||host_port FROM port_maps;
		SELECT kind||' '||name FROM net_objects WHERE container_id IS NOT NULL" 2>/dev/null || true)
	if [ -d "$RUNROOT/netns" ]; then out+=$(ls "$RUNROOT/netns"); fi
	echo -n "$out"
}

teardown() {
	local rc=0 left
	# What the containers left, checked before the engine's teardown removes the namespace.
	# shellcheck disable=SC2046
	[ -z "$(all_ids)" ] || hull rm -f $(all_ids) >/dev/null 2>&1 || true
	left=$(net_leftovers)
	if [ -n "$left" ]; then
		echo "network objects left: $left" >&2
		rc=1
	fi
	# The neighbour namespace of the moby#45610 test, should that test have failed half-way.
	ip netns del "${HOSTNS}o" 2>/dev/null || true
	engine_teardown || rc=1
	return $rc
}

@test "user network: containers reach each other by name and alias (ping, wget, nc); a third started later resolves at once" {
	bb_image
	run -0 hull network create app
	run -0 hull run -d --name web --network app --network-alias www bb httpd -f -p 80 -h /www
	remember "$output"
	run -0 hull run -d --name db --network app bb sh -c 'while true; do echo db-answer | nc -l -p 5000; done'
	remember "$output"
	listening web 80
	listening db 5000
	run -0 hull run --rm --network app bb sh -c 'ping -c1 -W2 web >/dev/null && ping -c1 -W2 www >/dev/null &&
		ping -c1 -W2 db >/dev/null && wget -qO- http://web/ && wget -qO- http://www/ && nc -w2 db 5000 </dev/null'
	[ "${lines[0]}" = hello-from-web ]
	[ "${lines[1]}" = hello-from-web ]
	[ "${lines[2]}" = db-answer ]
	# The web container resolves db, and a container started after both is resolvable at once.
	run -0 cexec web sh -c 'nc -w2 db 5000 </dev/null'
	[ "$output" = db-answer ]
	run -0 hull run -d --name late --network app bb sleep 100
	remember "$output"
	run -0 cexec web ping -c1 -W2 late
	[[ "$output" == *"1 packets received"* ]]
	# Its address is the one inspect reports, and distinct from the others'.
	ip_late=$(hull inspect -f '{{.NetworkSettings.Networks.app.IPAddress}}' late)
	ip_web=$(hull inspect -f '{{.NetworkSettings.Networks.app.IPAddress}}' web)
	[[ "$output" == *"($ip_late)"* ]]
	[ "$ip_late" != "$ip_web" ]
	# The default network has no names: only the user network resolves them.
	run ! hull run --rm bb ping -c1 -W1 web
	run -0 hull rm -f web db late
}

@test "--network none has only lo (up); host shares the host's interfaces; container:NAME shares another's" {
	bb_image
	run -0 hull run --rm --network none bb sh -c 'ls /sys/class/net; ip -o addr show lo | grep -c 127.0.0.1'
	[ "${lines[0]}" = lo ]
	[ "${lines[1]}" = 1 ]
	[ "${#lines[@]}" = 2 ]
	run -0 hull run --rm --network host bb ip -o addr show lan0
	[[ "$output" == *"192.168.200.1/24"* ]]
	run -0 hull run -d --name first bb sleep 100
	remember "$output"
	ip_first=$(hull inspect -f '{{.NetworkSettings.IPAddress}}' first)
	[ -n "$ip_first" ]
	run -0 hull run --rm --network container:first bb ip -o -4 addr show eth0
	[[ "$output" == *"$ip_first/"* ]]
	# A stopped container holds no network (the monitor's teardown); start makes it again.
	run -0 hull stop -t 1 first
	[ -z "$(net_leftovers)" ]
	run -0 hull start first
	[ "$(hull inspect -f '{{.NetworkSettings.IPAddress}}' first)" = "$ip_first" ]
	run -0 hull rm -f first
}

@test "-p 8080:80 answers at 127.0.0.1, at the host's address and from another container (hairpin); -p udp; hull port" {
	bb_image
	run -0 hull run -d --name web -p 8080:80 -p 127.0.0.1:8081:80 -p 9999:9999/udp bb httpd -f -p 80 -h /www
	remember "$output"
	listening web 80
	[ "$(get 127.0.0.1 8080)" = hello-from-web ]
	[ "$(get 127.0.0.1 8081)" = hello-from-web ]
	[ "$(get 192.168.200.1 8080)" = hello-from-web ]
	run -0 hull run --rm bb sh -c 'wget -qO- http://192.168.200.1:8080/'
	[ "$output" = hello-from-web ]
	run -0 hull port web
	[ "${lines[0]}" = "80/tcp -> 0.0.0.0:8080" ]
	[ "${lines[1]}" = "80/tcp -> 127.0.0.1:8081" ]
	[ "${lines[2]}" = "9999/udp -> 0.0.0.0:9999" ]
	run -0 hull port web 80/tcp
	[ "${lines[0]}" = "0.0.0.0:8080" ]
	run -0 hull ps --format '{{.Ports}}'
	[ "$output" = "0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp, 0.0.0.0:9999->9999/udp" ]
	# udp: busybox's nc has no -u, so python receives in the container's network namespace.
	nsenter --net="$(hull inspect -f '{{.NetworkSettings.SandboxKey}}' web)" timeout 5 python3 -c "import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', 9999))
open('$BATS_TEST_TMPDIR/udp', 'wb').write(s.recv(100))" &
	upid=$!
	sleep 0.5
	inhost python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'udp-hello', ('192.168.200.1', 9999))"
	wait "$upid"
	[ "$(cat "$BATS_TEST_TMPDIR/udp")" = udp-hello ]
	# -p PORT takes a free host port; -P publishes what --expose (or the image) exposes.
	run -0 hull run -d --name rnd -p 80 --expose 81 -P bb httpd -f -p 80 -h /www
	remember "$output"
	run -0 hull port rnd
	[ "${#lines[@]}" = 2 ]
	port=$(hull port rnd 80 | cut -d: -f2)
	[ "$port" -ge 49153 ]
	listening rnd 80
	[ "$(get 127.0.0.1 "$port")" = hello-from-web ]
	run -0 hull rm -f web rnd
}

@test "a port bound to 127.0.0.1 is not reachable from a second namespace that routes to this one (moby#45610)" {
	bb_image
	run -0 hull run -d --name web -p 127.0.0.1:8081:80 -p 8080:80 bb httpd -f -p 80 -h /www
	remember "$output"
	listening web 80
	out=${HOSTNS}o
	ip netns add "$out"
	ip link add "${out}v" netns "$HOSTNS" type veth peer name eth0 netns "$out"
	inhost ip addr add 192.168.201.1/24 dev "${out}v"
	inhost ip link set "${out}v" up
	ip netns exec "$out" sh -c 'ip link set lo up && ip addr add 192.168.201.2/24 dev eth0 && ip link set eth0 up &&
		sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1 &&
		ip route del local 127.0.0.0/8 dev lo table local && ip route del local 127.0.0.1 dev lo table local &&
		ip addr del 127.0.0.1/8 dev lo && ip route add 127.0.0.1/32 via 192.168.201.1 src 192.168.201.2'
	outget() { ip netns exec "$out" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w2 $1 $2 | tail -1"; }
	# The port on every address is reachable from the neighbour; the 127.0.0.1 one is not.
	[ "$(outget 192.168.201.1 8080)" = hello-from-web ]
	[ -z "$(outget 127.0.0.1 8081 2>/dev/null)" ]
	[ -z "$(outget 192.168.201.1 8081 2>/dev/null)" ]
	[ "$(get 127.0.0.1 8081)" = hello-from-web ]
	ip netns del "$out"
	run -0 hull rm -f web
}

@test "20 parallel run -d on one network get 20 distinct addresses; rm -f of all leaves nothing" {
	bb_image
	run -0 hull network create par
	pids=()
	for i in $(seq 20); do
		hull run -d --network par bb sleep 100 >"$BATS_TEST_TMPDIR/c$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 20); do remember "$(cat "$BATS_TEST_TMPDIR/c$i")"; done
	[ "$(hull ps -q | wc -l)" = 20 ]
	# shellcheck disable=SC2046
	addrs=$(hull inspect -f '{{.NetworkSettings.Networks.par.IPAddress}}' $(hull ps -q))
	[ "$(echo "$addrs" | grep -c '^10\.')" = 20 ]
	[ "$(echo "$addrs" | sort -u | wc -l)" = 20 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases')" = 20 ]
	pids=()
	for id in $(hull ps -q); do
		hull rm -f "$id" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	[ -z "$(net_leftovers)" ]
}

@test "kill -9 of run and rm at random points: ps, rm -f, container prune and the next run leave no veth, rule, lease, namespace" {
	bb_image
	run -0 hull network create crash
	for t in $(seq 6); do
		nsenter --net="/run/netns/$HOSTNS" setsid "$HULL" --root "$STORE" --runroot "$RUNROOT" run -d --network crash -p "$((7000 + t)):80" bb sleep 100 >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# Some may have started: rm -f half of them killed mid-way too.
	for id in $(hull ps -aq | head -3); do
		hull rm -f "$id" >/dev/null 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 5))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	run -0 hull ps -a
	# The monitor of one is killed too: its container's network stays until rm -f.
	run -0 hull run -d --name orphan --network crash -p 7100:80 bb sleep 100
	remember "$output"
	kill -9 "$(cut -d' ' -f1 "$RUNROOT/containers/$output/monitor.pid")"
	run -0 hull container prune -f
	# shellcheck disable=SC2046
	[ -z "$(hull ps -aq)" ] || hull rm -f $(hull ps -aq) >/dev/null
	[ -z "$(net_leftovers)" ]
	# The next run gets the same host port: nothing of the killed ones holds it.
	run -0 hull run --rm --network crash -p 7001:80 -p 7100:80 bb true
	[ -z "$(net_leftovers)" ]
}

@test "network connect/disconnect of a running container; bad input is refused with nothing left" {
	bb_image
	run -0 hull network create --subnet 10.91.0.0/24 one
	run -0 hull run -d --name c1 bb sleep 100
	remember "$output"
	run -0 hull network connect --alias extra one c1
	run -0 cexec c1 ip -o -4 addr show eth1
	[[ "$output" == *"10.91.0.2/24"* ]]
	run -0 hull run --rm --network one bb ping -c1 -W2 extra
	run -0 hull network disconnect one c1
	run ! cexec c1 ip -o addr show eth1
	# Bad input: a clear error, status 125, nothing made.
	run -125 hull run --rm --network nosuch bb true
	[[ "$output" == *"network nosuch not found"* ]]
	run -125 hull run --rm -p 70000:80 bb true
	run -125 hull run --rm --network one --ip 10.92.0.5 bb true
	[[ "$output" == *10.92.0.5* ]]
	run -125 hull run --rm --network none -p 80:80 bb true
	run -125 hull run --rm --network container:nosuch bb true
	run -0 hull run -d --name holder -p 7300:80 bb sleep 100
	remember "$output"
	run -125 hull run --rm -p 7300:80 bb true
	[[ "$output" == *"already allocated"* ]]
	[ "$(hull ps -aq | wc -l)" = 2 ]
	run -0 hull rm -f c1 holder
}

@test "schema: a version-3 store gets the network tables (step 4) on the next open, its images kept" {
	bb_image
	sqlite3 "$STORE/hull.db" "DROP TABLE net_objects; DROP TABLE port_maps; DROP TABLE ip_leases; DROP TABLE networks;
		PRAGMA user_version = 3"
	[ "$(hull images --format '{{.Repository}}')" = bb ]
	[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 6 ]
	run -0 hull run --rm bb true
	[ "$(sqlite3 "$STORE/hull.db" "SELECT name FROM networks")" = hull ]
}
