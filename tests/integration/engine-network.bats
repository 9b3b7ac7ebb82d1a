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
_bb_fill() {
	local d=$1 a
	mkdir -p "$d/bin" "$d/etc" "$d/tmp" "$d/root" "$d/www"
	cp /bin/busybox "$d/bin/busybox"
	for a in $(/bin/busybox --list | grep -vx busybox); do ln -sf busybox "$d/bin/$a"; done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$d/etc/passwd"
	printf 'root:x:0:\n' >"$d/etc/group"
	echo hello-from-web >"$d/www/index.html"
}

bb_image() {
	build_image bb _bb_fill
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
	veths_settled
	out+=$(inhost ip -o link show type veth | cut -d: -f2 | grep -v ' lan[01]@' || true)
	out+=$(inhost nft list table inet hull 2>/dev/null | grep -o 'chain c-[0-9a-f]*' || true)
	out+=$(sqlite3 "$STORE/hull.db" "SELECT 'lease '||address FROM ip_leases; SELECT 'port '||host_port FROM port_maps;
		SELECT kind||' '||name FROM net_objects WHERE container_id IS NOT NULL" 2>/dev/null || true)
	if [ -d "$RUNROOT/netns" ]; then out+=$(ls "$RUNROOT/netns"); fi
	echo -n "$out"
}

teardown() {
	local rc=0 left
	# The namespace holders of a test that failed half-way (hold).
	[ ! -f "$BATS_TEST_TMPDIR/holders" ] || xargs -r kill <"$BATS_TEST_TMPDIR/holders" 2>/dev/null || true
	# The second store of the "nothing of anyone else's" test, should it have failed half-way.
	if [ -d "$BATS_TEST_TMPDIR/store2" ]; then
		local o=(nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$BATS_TEST_TMPDIR/store2" --runroot "$RUNROOT/o")
		# shellcheck disable=SC2046
		"${o[@]}" rm -f $("${o[@]}" ps -aq) >/dev/null 2>&1 || true
		"${o[@]}" network prune -f >/dev/null 2>&1 || true
		inhost nft delete table inet other 2>/dev/null || true
		inhost ip link del hvforeign0 2>/dev/null || true
		inhost ip link del hb-000000000000 2>/dev/null || true
	fi
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
	# -p with host: Docker's warning, and the container runs without them; a bad -p is still 125.
	run -0 --separate-stderr hull run --rm --network host -p 8099:80 -P bb true
	[[ "$stderr" == *"published ports are discarded when using host network mode"* ]]
	[ -z "$(inhost nft list table inet hull 2>/dev/null | grep 'dport 8099')" ]
	run -125 hull run --rm --network host -p 70000:80 bb true
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

# --network none's namespace is the runtime's (no path in config.json, lo brought up by the
# runtime). A container created before that has a config.json that joins the engine's
# namespace by path: its start still makes that namespace, and rm removes it.
@test "--network none: the runtime makes the namespace; a config.json naming the engine's namespace (an older container) still starts" {
	bb_image
	run -0 hull run -d --network none --name n1 bb sleep 100
	remember "$output"
	id=$output
	[ -z "$(ls "$RUNROOT/netns" 2>/dev/null)" ]
	run -0 hull exec n1 cat /sys/class/net/lo/operstate
	[ "$output" = unknown ] # lo is up (a loopback has no carrier state)
	run -0 hull rm -f n1
	run -0 hull create --network none --name n2 bb sh -c 'cat /sys/class/net/lo/operstate; readlink /proc/self/ns/net'
	id=$output
	remember "$id"
	cfg="$STORE/containers/$id/config.json"
	jq --arg p "$RUNROOT/netns/$id" '(.linux.namespaces[] | select(.type == "network")) += {path: $p}' "$cfg" >"$cfg.new"
	mv "$cfg.new" "$cfg"
	run -0 hull start -a n2
	[ "${lines[0]}" = unknown ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/net)" ]
	run -0 hull rm -f n2
	[ -z "$(ls "$RUNROOT/netns" 2>/dev/null)" ]
	[ -z "$(grep " $RUNROOT/netns/" /proc/self/mountinfo)" ]
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
	# Docker's grouping: ports published on their own number first.
	[ "$output" = "0.0.0.0:9999->9999/udp, 0.0.0.0:8080->80/tcp, 127.0.0.1:8081->80/tcp" ]
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

@test "50 parallel run -d -p on one network get 50 distinct addresses and host ports; parallel rm -f of all leaves no lease, veth, rule or namespace" {
	bb_image
	run -0 hull network create par
	pids=()
	for i in $(seq 50); do
		hull run -d --network par -p 80 bb sleep 100 >"$BATS_TEST_TMPDIR/c$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq 50); do remember "$(cat "$BATS_TEST_TMPDIR/c$i")"; done
	[ "$(hull ps -q | wc -l)" = 50 ]
	# shellcheck disable=SC2046
	addrs=$(hull inspect -f '{{.NetworkSettings.Networks.par.IPAddress}}' $(hull ps -q))
	[ "$(echo "$addrs" | grep -c '^10\.')" = 50 ]
	[ "$(echo "$addrs" | sort -u | wc -l)" = 50 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases')" = 50 ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(DISTINCT host_port) FROM port_maps')" = 50 ]
	[ "$(inhost nft list table inet hull | grep -c 'dnat ip to')" = 50 ]
	[ "$(inhost ip -o link show type veth | grep -vc ' lan[01]@')" = 50 ]
	pids=()
	for id in $(hull ps -q); do
		hull rm -f "$id" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	# The lease table empties by itself (the teardowns' waiters): no hull command runs
	# until it is, so nothing but those waiters can have released the leases.
	no_leases() { [ "$(sqlite3 "file:$STORE/hull.db?mode=ro" 'SELECT count(*) FROM ip_leases')" = 0 ]; }
	wait_until 10 no_leases
	[ -z "$(net_leftovers)" ]
	[ "$(inhost nft list table inet hull | grep -c 'dnat ip')" = 0 ]
}

# kill_midway MS ARGS...: runs `hull ARGS` in a session of its own and kills it with -9
# after a random 0 to MS-1 milliseconds.
kill_midway() {
	local ms=$1 pid
	shift
	nsenter --net="/run/netns/$HOSTNS" setsid "$HULL" --root "$STORE" --runroot "$RUNROOT" "$@" >/dev/null 2>&1 &
	pid=$!
	sleep "$(printf '0.%03d' $((RANDOM % ms)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# hold NAME: a process in the network namespace of running container NAME (its pid on
# stdout), which keeps the namespace, and so the container's veth, alive after rm.
hold() {
	local pid
	pid=$(hull inspect -f '{{.State.Pid}}' "$1")
	nsenter --net="/proc/$pid/ns/net" sleep 60 >/dev/null 2>&1 &
	echo $! | tee -a "$BATS_TEST_TMPDIR/holders"
}

@test "rm's lease goes by itself once the veth is gone; a veth kept alive by a namespace holder is deleted by the waiter after 5 s, no hull command in between" {
	bb_image
	run -0 hull network create --subnet 10.97.0.0/24 held
	run -0 hull run -d --name a --network held bb sleep 100
	remember "$output"
	holder=$(hold a)
	run -0 hull rm -f a
	leases() { sqlite3 "file:$STORE/hull.db?mode=ro" 'SELECT count(*) FROM ip_leases'; }
	# The namespace lives on in the holder: so do the veth and, for now, the lease.
	sleep 1
	[ "$(leases)" = 1 ]
	[ "$(inhost ip -o link show type veth | grep -vc ' lan[01]@')" = 1 ]
	no_leases() { [ "$(leases)" = 0 ]; }
	wait_until 10 no_leases
	no_veths
	kill "$holder"
}

# The pids of the store's veth waiters (`hull --root STORE network settle`).
waiters() { pgrep -f -- "--root $STORE network settle" || true; }

@test "one waiter serves a loop of run --rm; killed -9 while a held veth dies, the next teardown's waiter finishes its work, no hull command after" {
	bb_image
	for i in $(seq 5); do
		run -0 hull run --rm bb true
	done
	# One waiter for all five runs (the teardowns that found it alive started none).
	[ "$(waiters | wc -l)" = 1 ]
	no_leases() { [ "$(sqlite3 "file:$STORE/hull.db?mode=ro" 'SELECT count(*) FROM ip_leases')" = 0 ]; }
	wait_until 10 no_leases
	# A veth kept dying by a namespace holder, and its waiter killed -9 meanwhile.
	run -0 hull run -d --name a bb sleep 100
	remember "$output"
	holder=$(hold a)
	run -0 hull rm -f a
	[ "$(sqlite3 "file:$STORE/hull.db?mode=ro" 'SELECT count(*) FROM ip_leases')" = 1 ]
	kill -9 $(waiters)
	wait_until 10 eval '[ -z "$(waiters)" ]'
	# A teardown now finds no waiter and starts one, which takes over the orphaned row too:
	# it deletes the held veth after its 5 s and releases the lease, no hull command after.
	run -0 hull run --rm bb true
	[ "$(waiters | wc -l)" = 1 ]
	wait_until 10 no_leases
	no_veths
	[ "$(sqlite3 "file:$STORE/hull.db?mode=ro" "SELECT count(*) FROM net_objects WHERE data LIKE 'dying:%'")" = 0 ]
	kill "$holder"
	# The waiter leaves once it has had nothing to do for 2 s.
	wait_until 10 eval '[ -z "$(waiters)" ]'
}

@test "a fixed --ip is reused at once after rm -f, 20 times; a /29 filled, emptied and filled again at once; even while namespace holders keep the removed veths alive" {
	bb_image
	run -0 hull network create --subnet 10.96.0.0/24 fixed
	for i in $(seq 20); do
		run -0 hull run -d --name f --network fixed --ip 10.96.0.5 bb sleep 100
		run -0 hull rm -f f
		run -0 hull run --rm --network fixed --ip 10.96.0.5 bb true
	done
	# The removed container's veth held alive: the run that wants its address deletes it.
	run -0 hull run -d --name f --network fixed --ip 10.96.0.5 bb sleep 100
	holder=$(hold f)
	run -0 hull rm -f f
	run -0 hull run -d --name g --network fixed --ip 10.96.0.5 bb sleep 100
	remember "$output"
	# An address a live container holds is still refused.
	run -125 hull run --rm --network fixed --ip 10.96.0.5 bb true
	[[ "$output" == *"address 10.96.0.5 is already in use on network fixed"* ]]
	run -0 hull rm -f g
	kill "$holder"

	# A /29: .1 the gateway, .2-.6 for containers.
	run -0 hull network create --subnet 10.95.0.0/29 small
	fill() {
		local i
		for i in $(seq 5); do
			run -0 hull run -d --name "s$i" --network small bb sleep 100
			remember "$output"
		done
		run -125 hull run --rm --network small bb true
		[[ "$output" == *"no available IP addresses on network small"* ]]
	}
	for round in 1 2; do
		fill
		# shellcheck disable=SC2046
		run -0 hull rm -f s1 s2 s3 s4 s5
	done
	# Again with every removed veth held alive.
	fill
	holders=()
	for i in $(seq 5); do holders+=("$(hold "s$i")"); done
	run -0 hull rm -f s1 s2 s3 s4 s5
	fill
	run -0 hull rm -f s1 s2 s3 s4 s5
	kill "${holders[@]}"
}

@test "kill -9 of run and rm at random points: ps, rm -f, container prune and the next run leave no veth, rule, lease, namespace" {
	bb_image
	run -0 hull network create crash
	for t in $(seq 6); do
		kill_midway 100 run -d --network crash -p "$((7000 + t)):80" bb sleep 100
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
	[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 9 ]
	run -0 hull run --rm bb true
	[ "$(sqlite3 "$STORE/hull.db" "SELECT name FROM networks")" = hull ]
}

@test "system prune: unused networks go (Deleted Networks:), one in use and the default stay; a crashed container's leftovers are collected" {
	bb_image
	# The default network exists once a container has used it.
	run -0 hull run --rm bb true
	run -0 hull network create unused1
	run -0 hull network create busy
	run -0 hull network create stopped
	run -0 hull network create crashed
	run -0 hull run -d --name holder --network busy bb sleep 100
	remember "$output"
	run -0 hull run --name gone --network stopped bb true
	remember "$output"
	# What a container killed with its monitor leaves: a veth on the host and a lease, both
	# recorded for a container whose row no longer exists.
	net=$(hull network inspect -f '{{.Id}}' crashed)
	inhost ip link add hvdead0 type veth peer name hvdead1
	sqlite3 -cmd '.timeout 10000' "$STORE/hull.db" "INSERT INTO net_objects VALUES ('veth', 'hvdead0', 'dead0000', '$net', NULL);
		INSERT INTO ip_leases (network_id, address, family, container_id, names) VALUES ('$net', '10.99.9.9', 2, 'dead0000', 'ghost')"
	run -0 hull system prune -f
	[[ "$output" == *"Deleted Containers:"* ]]
	# Docker's block: the header, one name a line, after the containers.
	nets=$(printf '%s\n' "$output" | sed -n '/^Deleted Networks:$/,/^$/p' | sed '1d;/^$/d' | sort | tr '\n' ' ')
	[ "$nets" = "crashed stopped unused1 " ]
	run -0 hull network ls --format '{{.Name}}'
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "busy hull " ]
	run -1 inhost ip link show hvdead0
	[ -z "$(sqlite3 "$STORE/hull.db" "SELECT 1 FROM ip_leases WHERE container_id = 'dead0000'")" ]
	# The container on busy still reaches its network, and nothing else is pruned a second time.
	run -0 cexec holder ip -o -4 addr show eth0
	run -0 hull system prune -f
	[[ "$output" != *"Deleted Networks:"* ]]
	run -0 hull rm -f holder
	run -0 hull network prune -f
	[ "$output" = $'Deleted Networks:\nbusy' ]
}

@test "network connect/disconnect rewrite a running container's /etc/hosts in place; the network's containers resolve it at once" {
	bb_image
	run -0 hull network create --subnet 10.94.0.0/24 two
	run -0 hull run -d --name c1 --hostname box bb sleep 100
	remember "$output"
	run -0 hull run -d --name peer --network two bb sleep 100
	remember "$output"
	ip1=$(hull inspect -f '{{.NetworkSettings.IPAddress}}' c1)
	ino=$(cexec c1 stat -c %i /etc/hosts)
	run -0 hull network connect --alias al1 two c1
	ip2=$(hull inspect -f '{{.NetworkSettings.Networks.two.IPAddress}}' c1)
	[ -n "$ip2" ]
	# Seen from inside: the new address with the hostname and alias, the first one kept,
	# in the same file (the bind mount still shows it: it was not replaced by a rename).
	run -0 cexec c1 cat /etc/hosts
	[[ "$output" == *$'\n'"$ip1	box"$'\n'* ]]
	printf '%s\n' "$output" | grep -qxF "$ip2	box al1"
	[ "$(cexec c1 stat -c %i /etc/hosts)" = "$ino" ]
	run -0 cexec peer ping -c1 -W2 c1
	run -0 cexec peer ping -c1 -W2 al1
	[[ "$output" == *"($ip2)"* ]]
	run -0 hull network disconnect two c1
	run -0 cexec c1 cat /etc/hosts
	[[ "$output" != *"$ip2"* ]]
	printf '%s\n' "$output" | grep -qxF "$ip1	box"
	run -1 cexec peer ping -c1 -W1 c1
	# Connecting again gives one line, not two.
	run -0 hull network connect two c1
	ip3=$(hull inspect -f '{{.NetworkSettings.Networks.two.IPAddress}}' c1)
	[ "$(cexec c1 grep -c "^$ip3	" /etc/hosts)" = 1 ]
	run -0 hull rm -f c1 peer
}

@test "--network container:NAME shares the other's /etc/hosts, resolv.conf and hostname; --hostname, --dns, --add-host and -p conflict (125)" {
	bb_image
	run -0 hull network create --subnet 10.95.0.0/24 three
	run -0 hull run -d --name first --hostname firsthost --dns 192.0.2.77 bb sleep 100
	remember "$output"
	run -0 hull run -d --name second --network container:first bb sleep 100
	remember "$output"
	[ "$(cexec second hostname)" = firsthost ]
	[ "$(cexec second cat /etc/hostname)" = firsthost ]
	[ "$(cexec second cat /etc/resolv.conf)" = "$(cexec first cat /etc/resolv.conf)" ]
	[[ "$(cexec second cat /etc/resolv.conf)" == *"nameserver 192.0.2.77"* ]]
	[ "$(cexec second cat /etc/hosts)" = "$(cexec first cat /etc/hosts)" ]
	# The hosts file is one file: what a connect of the first writes, the second sees.
	run -0 hull network connect three first
	ip=$(hull inspect -f '{{.NetworkSettings.Networks.three.IPAddress}}' first)
	run -0 cexec second cat /etc/hosts
	[[ "$output" == *"$ip	firsthost"* ]]
	run -125 hull run --rm --network container:first --hostname x bb true
	[[ "$output" == *"conflicting options: hostname and the network mode"* ]]
	run -125 hull run --rm --network container:first --dns 192.0.2.1 bb true
	[[ "$output" == *"conflicting options: dns and the network mode"* ]]
	run -125 hull run --rm --network container:first --add-host a:192.0.2.2 bb true
	[[ "$output" == *"conflicting options: custom host-to-IP mapping and the network mode"* ]]
	run -125 hull run --rm --network container:first -p 8080:80 bb true
	[[ "$output" == *"conflicting options: port publishing and the container type network mode"* ]]
	[ "$(hull ps -aq | wc -l)" = 2 ]
	run -0 hull rm -f second first
}

@test "IPv6 loopback: -p 8080:80 and -p [::1]:8081:80 answer at [::1] (hull-proxy) on dual-stack and IPv4-only networks; the proxy goes with the container" {
	bb_image
	run -0 hull network create --subnet 10.96.0.0/24 --subnet fd96::/64 dual
	run -0 hull run -d --name web6 --network dual -p 8080:80 -p '[::1]:8081:80' bb httpd -f -p 80 -h /www
	remember "$output"
	id6=$output
	run -0 hull run -d --name web4 -p 8082:80 bb httpd -f -p 80 -h /www
	remember "$output"
	id4=$output
	listening web6 80
	listening web4 80
	[ "$(get ::1 8080)" = hello-from-web ]
	[ "$(get ::1 8081)" = hello-from-web ]
	[ "$(get ::1 8082)" = hello-from-web ]
	[ "$(get 127.0.0.1 8080)" = hello-from-web ]
	[ "$(get 127.0.0.1 8082)" = hello-from-web ]
	# A port bound to [::1] is on [::1] only.
	[ -z "$(get 127.0.0.1 8081 2>/dev/null)" ]
	run -0 hull port web6
	[[ "$output" == *"80/tcp -> [::1]:8081"* ]]
	[ -n "$(pgrep -f "^hull-proxy --id $id6")" ]
	# A port the host itself holds on [::1] is refused, and nothing of the container is left.
	inhost python3 -c 'import socket, time; s = socket.socket(socket.AF_INET6); s.bind(("::1", 8090)); s.listen(); time.sleep(60)' &
	for _ in $(seq 50); do inhost ss -ltn | grep -q '\[::1\]:8090' && break; sleep 0.1; done
	run -125 hull run --rm -p 8090:80 bb true
	[[ "$output" == *"Bind for [::1]:8090 failed: port is already allocated"* ]]
	[ "$(hull ps -aq | wc -l)" = 2 ]
	kill %1
	run -0 hull rm -f web6 web4
	[ -z "$(pgrep -f "^hull-proxy --id ($id6|$id4)")" ]
	[ -z "$(get ::1 8080 2>/dev/null)" ]
}

@test "IPv6 loopback UDP: -p 9999:9999/udp and -p [::1]:9998:9998/udp answer at [::1] both ways, one flow per client; a taken [::1] port is refused; the proxy goes with rm" {
	bb_image
	run -0 hull network create --subnet 10.97.0.0/24 --subnet fd97::/64 dual
	# Flows idle for 2 s are closed (90 s without the test hook).
	HULL_PROXY_UDP_IDLE=2 run -0 hull run -d --name u6 --network dual -p 9999:9999/udp -p '[::1]:9998:9998/udp' bb sleep 100
	remember "$output"
	id=$output
	run -0 hull run -d --name u4 -p 9997:9997/udp bb sleep 100
	remember "$output"
	id4=$output
	# busybox's nc has no -u: python echoes in each container's network namespace, prefixed
	# with the peer it saw, so that each client can tell that its answer is its own.
	local -a echoers=()
	for c in u6:9999 u6:9998 u4:9997; do
		nsenter --net="$(hull inspect -f '{{.NetworkSettings.SandboxKey}}' "${c%:*}")" timeout 20 python3 -c "import socket
s = socket.socket(socket.AF_INET6 if '${c%:*}' == 'u6' else socket.AF_INET, socket.SOCK_DGRAM); s.bind(('', ${c#*:}))
while True:
    d, a = s.recvfrom(100); s.sendto(d + b' via ' + str(a[1]).encode(), a)" &
		echoers+=($!)
	done
	sleep 0.5
	# ask PORT MSG...: one client socket per message, each sends and prints the answer.
	ask() {
		inhost python3 -c "import socket, sys
socks = []
for m in sys.argv[2:]:
    c = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); c.settimeout(3)
    c.sendto(m.encode(), ('::1', int(sys.argv[1]))); socks.append(c)
for c in socks: print(c.recv(100).decode())" "$@"
	}
	run -0 ask 9999 one two
	[[ "${lines[0]}" == "one via "* ]]
	[[ "${lines[1]}" == "two via "* ]]
	# Two clients, two flows: the container saw two source ports.
	[ "${lines[0]#one via }" != "${lines[1]#two via }" ]
	run -0 ask 9998 three
	[[ "$output" == "three via "* ]]
	# The two flows of 9999 and the one of 9998 are sockets of the proxy until they idle out.
	proxy=$(pgrep -f "^hull-proxy --id $id")
	socks() { find "/proc/$proxy/fd" -lname 'socket:*' | wc -l; }
	[ "$(socks)" = 5 ]
	for _ in $(seq 50); do [ "$(socks)" = 2 ] && break; sleep 0.1; done
	[ "$(socks)" = 2 ]
	run -0 ask 9999 again
	[[ "$output" == "again via "* ]]
	run -0 ask 9997 four
	[[ "$output" == "four via "* ]]
	# A port bound to [::1] is on [::1] only.
	run ! inhost python3 -c "import socket; c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(1)
c.sendto(b'x', ('127.0.0.1', 9998)); c.recv(100)"
	# A UDP port the host itself holds on [::1] is refused, and nothing of the container is left.
	inhost python3 -c 'import socket, time; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 8091)); time.sleep(60)' &
	hold=$!
	for _ in $(seq 50); do inhost ss -lun | grep -q '\[::1\]:8091' && break; sleep 0.1; done
	run -125 hull run --rm -p 8091:80/udp bb true
	[[ "$output" == *"Bind for [::1]:8091 failed: port is already allocated"* ]]
	[ "$(hull ps -aq | wc -l)" = 2 ]
	kill "$hold"
	run -0 hull rm -f u6 u4
	[ -z "$(pgrep -f "^hull-proxy --id ($id|$id4)")" ]
	run ! ask 9999 gone
	kill "${echoers[@]}" 2>/dev/null || true
	wait "${echoers[@]}" 2>/dev/null || true
}

@test "bad input through hull: overlapping or too small subnets, --gateway or --ip outside, --ip taken, a host port in use, an unknown network, rm of a network in use: a clear error, nothing left" {
	bb_image
	run -0 hull network create --subnet 10.98.0.0/24 --subnet fd98::/64 bad
	net=$(hull network inspect -f '{{.Id}}' bad)
	run -0 hull run -d --name holder --network bad --ip 10.98.0.10 -p 7400:80 bb sleep 100
	remember "$output"
	state() {
		hull network ls --format '{{.Name}}' | sort | tr '\n' ' '
		inhost ip -o link show type bridge | wc -l
		inhost ip -o link show type veth | wc -l
		sqlite3 "$STORE/hull.db" "SELECT count(*) FROM ip_leases; SELECT count(*) FROM port_maps; SELECT count(*) FROM net_objects"
		inhost nft list table inet hull | grep -c 'dnat\|jump c-'
		hull ps -aq | wc -l
	}
	before=$(state)
	# network create: Docker's wording and status 1.
	run -1 hull network create --subnet 10.98.0.128/25 over4
	[[ "$output" == "Error: invalid pool request: Pool overlaps with other one on this address space (10.98.0.128/25 overlaps 10.98.0.0/24 of network bad)" ]]
	run -1 hull network create --subnet 10.99.0.0/24 --subnet fd98::/56 over6
	[[ "$output" == *"Pool overlaps"*"fd98::/56"* ]]
	run -1 hull network create --subnet 10.99.0.0/31 small31
	[[ "$output" == *"subnet 10.99.0.0/31 is too small"* ]]
	run -1 hull network create --subnet 10.99.0.1/32 small32
	[[ "$output" == *"subnet 10.99.0.1/32 is too small"* ]]
	run -1 hull network create --subnet 10.99.0.0/24 --gateway 10.98.0.1 gwout
	[[ "$output" == *"gateway 10.98.0.1 is not in subnet 10.99.0.0/24"* ]]
	[ "$(state)" = "$before" ]
	# run: status 125, as Docker's "Error response from daemon".
	run -125 hull run --rm --network bad --ip 10.97.0.5 bb true
	[[ "$output" == *"no configured subnet or ip-range contain the IP address 10.97.0.5 (10.98.0.0/24 of network bad)"* ]]
	run -125 hull run --rm --network bad --ip 10.98.0.10 bb true
	[[ "$output" == *"address 10.98.0.10 is already in use on network bad"* ]]
	run -125 hull run --rm --network bad -p 7400:80 bb true
	[[ "$output" == *"Bind for 0.0.0.0:7400 failed: port is already allocated"* ]]
	run -125 hull run --rm --network nosuch bb true
	[[ "$output" == *"network nosuch not found"* ]]
	# A plain process of the host listening on the port (TCP, then UDP).
	inhost python3 -c 'import socket, time; s = socket.socket(); s.bind(("0.0.0.0", 7401)); s.listen(); time.sleep(60)' &
	tcp=$!
	inhost python3 -c 'import socket, time; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 7402)); time.sleep(60)' &
	udp=$!
	for _ in $(seq 50); do inhost ss -ltn | grep -q ':7401 ' && inhost ss -lun | grep -q ':7402 ' && break; sleep 0.1; done
	run -125 hull run --rm --network bad -p 7401:80 bb true
	[[ "$output" == *"0.0.0.0:7401"*"already allocated"* ]]
	run -125 hull run --rm --network bad -p 7402:80/udp bb true
	[[ "$output" == *"0.0.0.0:7402"*"already allocated"* ]]
	kill "$tcp" "$udp"
	# network connect: the same checks on a running container.
	run -0 hull run -d --name other bb sleep 100
	remember "$output"
	before=$(state)
	run -1 hull network connect --ip 10.98.0.10 bad other
	[[ "$output" == *"address 10.98.0.10 is already in use on network bad"* ]]
	run -1 hull network connect --ip 10.97.0.5 bad other
	[[ "$output" == *"no configured subnet or ip-range contain the IP address 10.97.0.5 (10.98.0.0/24 of network bad)"* ]]
	run -1 hull network connect nosuch other
	[[ "$output" == *"network nosuch not found"* ]]
	[ "$(state)" = "$before" ]
	# network rm of a network in use: Docker's "has active endpoints", the network kept.
	run -1 hull network rm bad
	[[ "$output" == "Error: error while removing network: network bad id $net has active endpoints"* ]]
	[ "$(state)" = "$before" ]
	run -0 hull rm -f holder other
	run -0 hull network rm bad
}

@test "kill -9 of the monitor, of run and of hull-dns, then restart, start, rm -f and system prune: one DNAT rule per port, no lease, veth or rule left, names resolve again" {
	bb_image
	run -0 hull network create --subnet 10.88.0.0/24 app
	run -0 hull run -d --name web --network app -p 7500:80 -p 7501:7501/udp bb httpd -f -p 80 -h /www
	remember "$output"
	web=$output
	run -0 hull run -d --name db --network app bb sleep 100
	remember "$output"
	listening web 80
	# One DNAT rule per published port, whatever happened before (podman#27516).
	rules() { inhost nft list table inet hull | grep -c 'dport 750[01] dnat'; }
	veths() { inhost ip -o link show type veth | grep -vc ' lan[01]@'; }
	leases() { sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM ip_leases'; }
	[ "$(rules)" = 2 ]
	run -0 hull restart -t 1 web
	[ "$(rules)" = 2 ]
	run -0 hull stop -t 1 web
	[ "$(rules)" = 0 ]
	run -0 hull start web
	[ "$(rules)" = 2 ]
	# The monitor killed: the container outlives it; restart of the survivor still gives one
	# set of rules, one lease, one veth, and a running container (the killed monitor, a
	# zombie no init reaps here, was taken for a live one: restart started nothing).
	kill -9 "$(cut -d' ' -f1 "$RUNROOT/containers/$web/monitor.pid")"
	[ "$(rules)" = 2 ]
	run -0 hull restart -t 1 web
	[ "$(rules)" = 2 ]
	[ "$(veths)" = 2 ]
	[ "$(leases)" = 2 ]
	listening web 80
	[ "$(get 127.0.0.1 7500)" = hello-from-web ]
	# A run on the network killed mid-way leaves nothing once rm -f and prune have run.
	for t in 1 2 3; do
		kill_midway 100 run -d --network app -p 7502:80 bb sleep 100
		# shellcheck disable=SC2046
		for id in $(hull ps -aq --no-trunc | grep -v "^$web" | grep -v "^$(hull inspect -f '{{.Id}}' db)"); do hull rm -f "$id" >/dev/null; done
	done
	run -0 hull system prune -f
	[ "$(rules)" = 2 ]
	[ "$(veths)" = 2 ]
	[ "$(leases)" = 2 ]
	[ "$(inhost nft list table inet hull | grep -c 'dport 7502')" = 0 ]
	# hull-dns killed: names fail until the next command that collects garbage starts it
	# again (system prune here, any run below), without touching the containers.
	dns() { cut -d' ' -f1 "$RUNROOT/networks/"*/dns.pid; }
	resolves() {
		local i
		for i in $(seq 30); do cexec db nslookup web 10.88.0.1 2>/dev/null | grep -q 'Address: 10.88.0.2' && return 0; sleep 0.1; done
		return 1
	}
	resolves
	old=$(dns)
	kill -9 "$old"
	run ! cexec db nslookup web 10.88.0.1
	run -0 hull system prune -f
	[ "$(dns)" != "$old" ]
	resolves
	old=$(dns)
	kill -9 "$old"
	run -0 hull run --rm bb true
	[ "$(dns)" != "$old" ]
	resolves
	[ "$(pgrep -fc -- "--listen 10.88.0.1 ")" = 1 ]
	run -0 hull rm -f web db
	[ -z "$(net_leftovers)" ]
	run -0 hull network rm app
	[ -z "$(pgrep -f -- "--listen 10.88.0.1 ")" ]
}

@test "traffic between two containers of a bridge is not tracked (IPv4, IPv6), bridged frames handed to netfilter or not; hairpin through the gateway and the host's address still works" {
	inhost test -r /proc/net/nf_conntrack || skip "no /proc/net/nf_conntrack (CONFIG_NF_CONNTRACK_PROCFS)"
	bb_image
	run -0 hull network create --subnet 10.95.0.0/24 --subnet fd95::/64 trk
	run -0 hull run -d --name web --network trk -p 8080:80 bb httpd -f -p 80 -h /www
	remember "$output"
	listening web 80
	ip4=$(cexec web ip -4 -o addr show eth0 | awk '{ print $4 }' | cut -d/ -f1)
	ip6=$(cexec web ip -6 -o addr show eth0 scope global | awk '{ print $4 }' | cut -d/ -f1)
	# /proc/net/nf_conntrack writes IPv6 addresses without "::".
	ip6x=$(python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).exploded)' "$ip6")
	# Connections to web's port 80 itself (a hairpin's are to port 8080 of another address).
	tracked() { inhost grep -cE "dst=($ip4|$ip6x) sport=[0-9]+ dport=80 " /proc/net/nf_conntrack || true; }
	for brnf in 1 0; do
		inhost sysctl -qw net.bridge.bridge-nf-call-iptables=$brnf net.bridge.bridge-nf-call-ip6tables=$brnf
		run -0 hull run --rm --network trk bb sh -c "wget -qO- http://$ip4/ && wget -qO- http://[$ip6]/ && ping -c1 -W2 $ip4"
		[ "${lines[0]}" = hello-from-web ]
		[ "${lines[1]}" = hello-from-web ]
		[ "$(tracked)" = 0 ]
		hairpins=$(inhost grep -c 'dport=8080 ' /proc/net/nf_conntrack || true)
		urls=(http://10.95.0.1:8080/ http://192.168.200.1:8080/)
		# IPv6 hairpin needs net.ipv6.conf.all.forwarding, which hull does not turn on: without
		# br_netfilter the DNATed packet is routed back into the bridge and dropped (with it,
		# bridged).
		[ "$brnf" = 0 ] || urls+=('http://[fd95::1]:8080/')
		for url in "${urls[@]}"; do
			run -0 hull run --rm --network trk bb wget -qO- "$url"
			[ "$output" = hello-from-web ]
		done
		# The hairpin's connections are tracked (their answers are un-NATed), and so are web's own.
		[ "$(inhost grep -c 'dport=8080 ' /proc/net/nf_conntrack)" -ge $((hairpins + 2)) ]
		run -0 cexec web wget -qO- http://10.95.0.1:8080/
		[ "$output" = hello-from-web ]
	done
	run -0 hull rm -f web
	run -0 hull network rm trk
	[ -z "$(inhost nft list chain inet hull raw_nets | grep 10.95.0)" ]
}

@test "network connect to a network the container is on is refused and keeps its endpoint; disconnect of a second network keeps the first's ports; disconnect from a network it is not on fails" {
	bb_image
	run -0 hull network create --subnet 10.86.0.0/24 first
	run -0 hull network create --subnet 10.87.0.0/24 second
	run -0 hull run -d --name web --network first -p 127.0.0.1:7600:80 -p 7601:80 bb httpd -f -p 80 -h /www
	remember "$output"
	listening web 80
	state() {
		cexec web ip -o -4 addr show eth0
		sqlite3 "$STORE/hull.db" "SELECT address FROM ip_leases; SELECT host_ip||':'||host_port FROM port_maps ORDER BY 1"
		inhost ip -o link show type veth | grep -vc ' lan[01]@'
		inhost nft list table inet hull | grep -c 'dport 760[01] dnat'
	}
	before=$(state)
	# inspect's MAC addresses are the interface's.
	mac=$(cexec web cat /sys/class/net/eth0/address)
	[ "$(hull inspect -f '{{.NetworkSettings.Networks.first.MacAddress}}' web)" = "$mac" ]
	[ "$(hull network inspect first | jq -r '.[0].Containers[].MacAddress')" = "$mac" ]
	# Docker's error and status; the endpoint that was there stays, whole.
	run -1 hull network connect first web
	[ "$output" = "Error: endpoint with name web already exists in network first" ]
	run -1 hull network connect --alias again first web
	[ "$(state)" = "$before" ]
	[ "$(get 127.0.0.1 7600)" = hello-from-web ]
	# A second network joined and left: the ports of the first are still the container's,
	# so another container cannot take them and add a second DNAT rule (podman#27516).
	run -0 hull network connect second web
	run -0 hull network disconnect second web
	[ "$(state)" = "$before" ]
	run -125 hull run --rm -p 127.0.0.1:7600:80 bb true
	[[ "$output" == *"Bind for 127.0.0.1:7600 failed: port is already allocated"* ]]
	run -125 hull run --rm -p 7601:80 bb true
	[[ "$output" == *"7601 failed: port is already allocated"* ]]
	[ "$(state)" = "$before" ]
	# Not on the network (any more): an error, as Docker's.
	# Ten connects at once: one wins, the others fail without touching its endpoint.
	pids=()
	for i in $(seq 10); do
		hull network connect second web >"$BATS_TEST_TMPDIR/conn$i" 2>&1 &
		pids+=($!)
	done
	ok=0
	for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
	[ "$ok" = 1 ]
	[ "$(grep -l 'endpoint with name web already exists in network second' "$BATS_TEST_TMPDIR"/conn* | wc -l)" = 9 ]
	run -0 cexec web ip -o -4 addr show eth1
	[[ "$output" == *"10.87.0.2/24"* ]]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM ip_leases WHERE address LIKE '10.87.%'")" = 1 ]
	[ "$(inhost ip -o link show type veth | grep -vc ' lan[01]@')" = 2 ]
	run -0 hull network disconnect second web
	[ "$(state)" = "$before" ]
	run -1 hull network disconnect second web
	[ "$output" = "Error: container web is not connected to network second" ]
	[ "$(state)" = "$before" ]
	[ "$(get 127.0.0.1 7600)" = hello-from-web ]
	# Aliases are names of a user network: elsewhere refused rather than dropped.
	for net in bridge hull host none; do
		run -125 hull run --rm --network "$net" --network-alias x bb true
		[[ "$output" == *"network-scoped aliases are only supported for user-defined networks"* ]]
	done
	run -125 hull run --rm --network-alias x bb true
	[ "$(hull ps -aq | wc -l)" = 1 ]
	run -1 hull network connect --alias x bridge web
	[ "$output" = "Error: network-scoped alias is supported only for containers in user defined networks" ]
	[ "$(state)" = "$before" ]
	run -0 hull rm -f web
}

@test "--dns on a user network: resolv.conf names the network's responder, which answers the network's names and forwards the container's other queries to its --dns servers; not another container's, nor an --internal network's" {
	bb_image
	# The container's own resolver, on the host's LAN address: it knows one name.
	echo '192.0.2.7 upstream.example' >"$BATS_TEST_TMPDIR/up-hosts"
	inhost "$(dirname "$HULL")/hull-dns" --listen 192.168.200.1 --hosts "$BATS_TEST_TMPDIR/up-hosts" &
	up=$!
	run -0 hull network create --subnet 10.85.0.0/24 app
	run -0 hull network create --subnet 10.84.0.0/24 --internal priv
	run -0 hull run -d --name db --network app bb sleep 100
	remember "$output"
	run -0 hull run --rm --network app --ip 10.85.0.9 --dns 192.168.200.1 bb sh -c \
		'grep -v "^options\|^search" /etc/resolv.conf; nslookup db | grep "^Address: 10\."; nslookup upstream.example | grep "^Address: 192"'
	[ "${lines[0]}" = "nameserver 10.85.0.1" ]
	[ "${lines[1]}" = "Address: 10.85.0.2" ]
	[ "${lines[2]}" = "Address: 192.0.2.7" ]
	[ "${#lines[@]}" = 3 ]
	# --dns-search, --dns-option and --add-host through hull, with --dns.
	run -0 hull run --rm --network app --dns 192.168.200.1 --dns-search example --dns-option ndots:2 --add-host h:192.0.2.9 \
		--hostname box bb sh -c 'cat /etc/resolv.conf; grep -v "^127\|^::1\|^f" /etc/hosts; cat /etc/hostname'
	[ "$output" = "$(printf 'nameserver 10.85.0.1\nsearch example\noptions ndots:2\n192.0.2.9\th\n%s\tbox\nbox' "$(echo "$output" | sed -n 's/\tbox$//p')")" ]
	[[ "$output" == *$'\n10.85.0.'*$'\tbox\nbox' ]]
	# The same address without --dns: the network's resolvers (the host's, which know no
	# such name), not those of the address's previous holder.
	run -0 hull run --rm --network app --ip 10.85.0.9 bb sh -c 'nslookup db | grep "^Address: 10\."; timeout 3 nslookup upstream.example | grep "^Address: 192" || echo not-forwarded-there'
	[ "${lines[0]}" = "Address: 10.85.0.2" ]
	[ "${lines[1]}" = "not-forwarded-there" ]
	# A second network joined later forwards to the container's --dns too.
	run -0 hull run -d --name c2 --dns 192.168.200.1 bb sleep 100
	remember "$output"
	run -0 hull network connect app c2
	ip2=$(hull inspect -f '{{.NetworkSettings.Networks.app.IPAddress}}' c2)
	run -0 cexec c2 nslookup upstream.example 10.85.0.1
	[[ "$output" == *"Address: 192.0.2.7"* ]]
	# Each resolver in turn: one that refuses (a responder that forwards nothing), one that
	# never answers (no such host), then one that knows the name; over UDP and TCP.
	inhost ip addr add 192.168.200.4/24 dev lan0
	: >"$BATS_TEST_TMPDIR/none"
	inhost "$(dirname "$HULL")/hull-dns" --listen 192.168.200.4 --hosts "$BATS_TEST_TMPDIR/none" --no-forward &
	refuser=$!
	run -0 hull run -d --name c3 --network app --dns 192.168.200.4 --dns 192.168.200.3 --dns 192.168.200.1 bb sleep 100
	remember "$output"
	run -0 cexec c3 nslookup upstream.example
	[[ "$output" == *"Address: 192.0.2.7"* ]]
	sandbox=$(hull inspect -f '{{.NetworkSettings.SandboxKey}}' c3)
	[ "$(nsenter --net="$sandbox" python3 "$BATS_TEST_DIRNAME/lib/dnsq.py" 10.85.0.1 upstream.example A tcp)" = 192.0.2.7 ]
	[ "$(nsenter --net="$sandbox" python3 "$BATS_TEST_DIRNAME/lib/dnsq.py" 10.85.0.1 upstream.example A)" = 192.0.2.7 ]
	kill "$refuser"
	# --internal: nothing is forwarded, --dns or not (CVE-2024-29018).
	run -0 hull run --rm --network priv --dns 192.168.200.1 bb sh -c 'cat /etc/resolv.conf; timeout 3 nslookup upstream.example | grep "^Address: 192" || echo refused'
	[ "${lines[0]}" = "nameserver 10.84.0.1" ]
	[ "${lines[1]}" = "refused" ]
	# The default network has no responder: --dns is the container's resolv.conf, as Docker's.
	run -0 hull run --rm --dns 192.168.200.1 bb sh -c 'cat /etc/resolv.conf; nslookup upstream.example | grep "^Address: 192"'
	[ "${lines[0]}" = "nameserver 192.168.200.1" ]
	[ "${lines[1]}" = "Address: 192.0.2.7" ]
	[ -n "$ip2" ]
	kill "$up"
	run -0 hull rm -f db c2 c3
}

@test "run, rm, network create/rm, prune and gc after a crash: links over netlink only (no ip, iptables, tc or sysctl process), one nft transaction per change, and nothing of anyone else's is touched" {
	bb_image
	# Someone else's objects on the host: an nft table, a veth and a bridge named like
	# hull's, a second hull store's network and container sharing the nft table.
	inhost nft -f - <<-'NFT'
		table inet other {
			chain c { type filter hook forward priority 0; counter accept; }
		}
	NFT
	inhost ip link add hvforeign0 type veth peer name hvforeign1
	inhost ip link add hb-000000000000 type bridge
	other() { nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$BATS_TEST_TMPDIR/store2" --runroot "$RUNROOT/o" "$@"; }
	other import "$BATS_FILE_TMPDIR/bb.tar" bb >/dev/null
	other network create --subnet 10.83.0.0/24 theirs >/dev/null
	other run -d --name keep --network theirs -p 7700:80 bb sleep 100 >/dev/null
	foreign() {
		inhost nft list table inet other | grep -c 'counter'
		inhost ip -o link show hvforeign0 | cut -d: -f2
		inhost ip -o link show hb-000000000000 | cut -d: -f2
		other ps -q | wc -l
		inhost nft list table inet hull | grep -c 'dport 7700 dnat'
		inhost ip -o link show type veth | grep -c ' hv'
	}
	before=$(foreign)
	# The default network exists (its making is a change of its own).
	run -0 hull run --rm bb true
	# Every process run by run --rm -p (the monitor's teardown and the waiter among them):
	# hull's own binaries and nft, and nft writes once to set up and once to tear down.
	strace -f -qq -e trace=execve -e signal=none -o "$BATS_TEST_TMPDIR/trace" \
		nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" run --rm -p 7701:80 -p 7702:80/udp bb true
	execs=$(grep -v ENOENT "$BATS_TEST_TMPDIR/trace" | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//; s,.*/,,' | sort -u | tr '\n' ' ')
	[ "$execs" = "hull hull-monitor hull-proxy nft nsenter true " ]
	[ "$(grep -v ENOENT "$BATS_TEST_TMPDIR/trace" | grep -c 'execve("[^"]*", \["nft", "-j", "-f", "-"\]')" = 2 ]
	[ "$(foreign)" = "$before" ]
	# A user network made and removed: one nft transaction each, and no other process.
	strace -f -qq -e trace=execve -e signal=none -o "$BATS_TEST_TMPDIR/trace" \
		nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" network create mine
	strace -f -qq -e trace=execve -e signal=none -o "$BATS_TEST_TMPDIR/trace2" \
		nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" network rm mine
	cat "$BATS_TEST_TMPDIR/trace2" >>"$BATS_TEST_TMPDIR/trace"
	execs=$(grep -v ENOENT "$BATS_TEST_TMPDIR/trace" | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//; s,.*/,,' | sort -u | tr '\n' ' ')
	[ "$execs" = "hull nft nsenter " ]
	[ "$(grep -c '"nft", "-j", "-f", "-"' "$BATS_TEST_TMPDIR/trace")" = 2 ]
	# Crashes of this store's commands, then its gc and prunes: the others' objects stay.
	run -0 hull network create crash
	for t in 1 2 3; do
		kill_midway 100 run -d --network crash -p "$((7710 + t)):80" bb sleep 100
	done
	# shellcheck disable=SC2046
	[ -z "$(hull ps -aq)" ] || hull rm -f $(hull ps -aq) >/dev/null
	run -0 hull container prune -f
	run -0 hull network prune -f
	run -0 hull system prune -f
	[ "$(foreign)" = "$before" ]
	[ "$(other inspect -f '{{.State.Status}}' keep)" = running ]
	other rm -f keep >/dev/null
	other network rm theirs >/dev/null
	inhost nft delete table inet other
	inhost ip link del hvforeign0
	inhost ip link del hb-000000000000
}

@test "network ls --filter name, id, driver, label, scope, type and dangling as Docker's; -o mtu=N reaches the bridge and the container's eth0" {
	bb_image
	run -0 hull run --rm bb true
	run -0 hull network create --label tier=web --label solo -o mtu=1400 --subnet 10.82.0.0/24 front
	id=$output
	run -0 hull network create --label tier=db back
	run -0 hull run -d --name c --network front bb sleep 100
	remember "$output"
	[[ "$(hull network inspect -f '{{json .Options}}' front)" == *'"com.docker.network.driver.mtu":"1400"'* ]]
	[[ "$(cexec c ip -o link show eth0)" == *"mtu 1400 "* ]]
	[[ "$(inhost ip -o link show "hb-${id:0:12}")" == *"mtu 1400 "* ]]
	ls() { hull network ls "$@" --format '{{.Name}}' | sort | tr '\n' ' '; }
	[ "$(ls -f name=ron)" = "front " ]
	[ "$(ls -f name=front -f name=back)" = "back front " ]
	[ "$(ls -f id="${id:0:6}")" = "front " ]
	[ "$(ls -f driver=bridge)" = "back front hull " ]
	[ "$(ls -f label=tier)" = "back front " ]
	[ "$(ls -f label=tier=db)" = "back " ]
	[ "$(ls -f label=solo -f label=tier=db)" = "back front " ]
	[ "$(ls -f scope=local -f label=tier=web)" = "front " ]
	[ "$(ls -f scope=swarm)" = "" ]
	[ "$(ls -f type=builtin)" = "hull " ]
	[ "$(ls -f type=custom)" = "back front " ]
	[ "$(ls -f dangling=true)" = "back " ]
	[ "$(ls -f dangling=false)" = "front hull " ]
	run -125 hull network ls -f dangling=maybe
	[[ "$output" == *"invalid filter 'dangling=maybe'"* ]]
	run -125 hull network ls -f color=red
	[[ "$output" == *"invalid filter 'color=red'"* ]]
	run -0 hull rm -f c
}

@test "network create and network rm killed with -9 at random points: the network is whole or gone after the next network command, and prune leaves no bridge, chain or record" {
	for t in $(seq 8); do
		kill_midway 100 network create --subnet "10.81.$t.0/24" "k$t"
	done
	echo "# networks recorded $(hull network ls -q | wc -l), bridges $(inhost ip -o link show type bridge | wc -l)" >&3
	# The removals of what was recorded killed too.
	for n in $(hull network ls --format '{{.Name}}' | grep '^k'); do
		kill_midway 50 network rm "$n"
	done
	echo "# networks left $(hull network ls -q | wc -l), bridges $(inhost ip -o link show type bridge | wc -l)" >&3
	run -0 hull network prune -f
	[ -z "$(hull network ls -q)" ]
	[ -z "$(inhost ip -o link show type bridge)" ]
	[ -z "$(inhost nft list table inet hull 2>/dev/null | grep -o 'chain [a-z]-[0-9a-f]*')" ]
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM networks; SELECT count(*) FROM net_objects' | tr '\n' ' ')" = "0 0 " ]
	# And the names are free again.
	run -0 hull network create --subnet 10.81.1.0/24 k1
	run -0 hull network rm k1
}

@test "a run killed with -9 while its nft transaction is under way: the transaction dies with it, so rm -f leaves no DNAT rule or chain" {
	bb_image
	run -0 hull network create slow
	# An nft that takes its time over the container's DNAT rules.
	cat >"$BATS_TEST_TMPDIR/nft" <<-'NFT'
		#!/bin/sh
		input=$(cat)
		case "$input" in *dnat*) touch "$0.started"; sleep 1 ;; esac
		printf '%s' "$input" | exec /usr/sbin/nft "$@"
	NFT
	chmod +x "$BATS_TEST_TMPDIR/nft"
	nsenter --net="/run/netns/$HOSTNS" setsid env HULL_NFT="$BATS_TEST_TMPDIR/nft" "$HULL" --root "$STORE" --runroot "$RUNROOT" \
		run -d --network slow -p 7800:80 bb sleep 100 >/dev/null 2>&1 &
	pid=$!
	started() { [ -e "$BATS_TEST_TMPDIR/nft.started" ]; }
	wait_until 10 started
	kill -9 "$pid"
	wait "$pid" || true
	# shellcheck disable=SC2046
	[ -z "$(hull ps -aq)" ] || hull rm -f $(hull ps -aq) >/dev/null
	# Later than the slow nft would have committed.
	sleep 1.5
	[ "$(inhost nft list table inet hull | grep -c 'dport 7800')" = 0 ]
	[ -z "$(net_leftovers)" ]
}

# ra_send NSPATH DEV: a router advertisement (router lifetime 1800 s, no prefix) sent to
# ff02::1 from the link-local address on DEV in the network namespace NSPATH, as a router on
# the host's LAN sends it.
ra_send() {
	nsenter --net="$1" python3 -c "import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex('$2'))
s.sendto(struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0), ('ff02::1', 0, 0, socket.if_nametoindex('$2')))"
}

@test "IPv6 forwarding: with bridge netfilter off and forwarding 0, hull turns it on; a dual-stack network reaches the outside (masquerade), its ports answer from a neighbour at [::]:PORT and the host's v6 address, hairpin too; RA-learned routes stay (accept_ra=2)" {
	bb_image
	# The host as hull must prepare it: no bridge netfilter (per namespace since Linux 5.3),
	# IPv6 forwarding off.
	inhost sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-ip6tables /proc/sys/net/bridge/bridge-nf-call-iptables; do
		[ ! -e $f ] || echo 0 >$f; done'
	inhost sysctl -qw net.ipv6.conf.all.forwarding=0 net.ipv6.conf.default.forwarding=0
	# A neighbour namespace at fd30::2 on the host's LAN (fd30::1): it has no route to the
	# containers' subnet, so only masquerade brings its answers back.
	out=${HOSTNS}o
	ip netns add "$out"
	ip link add "${out}v" netns "$HOSTNS" type veth peer name eth0 netns "$out"
	inhost sysctl -qw "net.ipv6.conf.${out}v.accept_ra=1" "net.ipv6.conf.${out}v.accept_dad=0" net.ipv6.conf.lan1.accept_ra=0
	inhost ip addr add fd30::1/64 dev "${out}v" nodad
	inhost ip link set "${out}v" up
	ip netns exec "$out" sh -c 'sysctl -qw net.ipv6.conf.eth0.accept_dad=0 && ip link set lo up &&
		ip addr add fd30::2/64 dev eth0 nodad && ip link set eth0 up'
	# The neighbour is the LAN's router: the host learns its default route from an RA.
	for _ in $(seq 50); do
		ip netns exec "$out" ip -6 addr show dev eth0 scope link | grep -q fe80 && break
		sleep 0.1
	done
	ra_send "/run/netns/$out" eth0
	for _ in $(seq 50); do
		inhost ip -6 route show default | grep -q "dev ${out}v proto ra" && break
		sleep 0.1
	done
	inhost ip -6 route show default | grep -q "dev ${out}v proto ra"

	# An IPv4-only network leaves IPv6 forwarding alone; its bridge takes no RA from a
	# container (CVE-2020-13401), though the host does not forward.
	run -0 hull run -d --name ra bb sleep 100
	remember "$output"
	[ "$(inhost sysctl -n net.ipv6.conf.all.forwarding)" = 0 ]
	[ "$(inhost sysctl -n net.ipv6.conf.hull0.accept_ra)" = 0 ]
	for _ in $(seq 50); do
		cexec ra ip -6 addr show dev eth0 | grep -q tentative || break
		sleep 0.1
	done
	ra_send "$(hull inspect -f '{{.NetworkSettings.SandboxKey}}' ra)" eth0
	sleep 0.5
	[ -z "$(inhost ip -6 route show default dev hull0)" ]
	run -0 hull rm -f ra

	run -0 hull network create --subnet 10.95.0.0/24 --subnet fd95::/64 dual
	run -0 hull run -d --name web --network dual -p 8080:80 -p '[::]:8083:80' -p 0.0.0.0:8084:80 bb httpd -f -p 80 -h /www
	remember "$output"
	listening web 80
	# Until its link-local address has passed DAD, the container answers no neighbour
	# solicitation for its IPv6 address (seen: the first connection times out).
	for _ in $(seq 50); do
		cexec web ip -6 addr show dev eth0 | grep -q tentative || break
		sleep 0.1
	done
	[ "$(inhost sysctl -n net.ipv6.conf.all.forwarding)" = 1 ]
	[ "$(inhost sysctl -n net.ipv6.conf.default.forwarding)" = 1 ]
	bridge=$(hull network inspect -f '{{json .Options}}' dual | jq -r '."com.docker.network.bridge.name"')
	[ "$(inhost sysctl -n "net.ipv6.conf.$bridge.accept_ra")" = 0 ]
	# The interface that took RAs takes them still, and kept its default route; the other kept 0.
	[ "$(inhost sysctl -n "net.ipv6.conf.${out}v.accept_ra")" = 2 ]
	[ "$(inhost sysctl -n net.ipv6.conf.lan1.accept_ra)" = 0 ]
	inhost ip -6 route show default | grep -q "dev ${out}v proto ra"

	# Outbound: the neighbour sees the host's address.
	ip netns exec "$out" timeout 20 python3 -c "import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', 7777)); s.listen()
c, a = s.accept(); c.sendall(a[0].encode()); c.close()" &
	spid=$!
	for _ in $(seq 50); do ip netns exec "$out" ss -ltn | grep -q ':7777 ' && break; sleep 0.1; done
	run -0 hull run --rm --network dual bb nc -w3 fd30::2 7777
	[ "$output" = fd30::1 ]
	wait "$spid"
	# Published ports from the neighbour, at the host's v6 address: -p 8080:80 and [::]:8083.
	outget() { ip netns exec "$out" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w2 $1 $2 | tail -1"; }
	[ "$(outget fd30::1 8080)" = hello-from-web ]
	[ "$(outget fd30::1 8083)" = hello-from-web ]
	[ "$(get fd30::1 8080)" = hello-from-web ]
	[ "$(get ::1 8083)" = hello-from-web ]
	# [::]:8083 is IPv6 only, 0.0.0.0:8084 IPv4 only.
	[ -z "$(get 192.168.200.1 8083 2>/dev/null)" ]
	[ "$(get 192.168.200.1 8084)" = hello-from-web ]
	[ -z "$(outget fd30::1 8084 2>/dev/null)" ]
	# Each holds its port on every address of its family against other containers; the other
	# family's port stays free.
	run -125 hull run --rm --network dual -p 127.0.0.1:8084:80 bb true
	[[ "$output" == *"Bind for 127.0.0.1:8084 failed: port is already allocated"* ]]
	run -125 hull run --rm --network dual -p '[fd30::1]:8083:80' bb true
	[[ "$output" == *"Bind for fd30::1:8083 failed: port is already allocated"* ]]
	run -0 hull run --rm --network dual -p '[::]:8084:80' bb true
	# Hairpin: another container of the network reaches the port at the host's v6 address.
	run -0 hull run --rm --network dual bb sh -c 'wget -qO- http://[fd30::1]:8080/ && wget -qO- http://[fd30::1]:8083/'
	[ "$output" = "hello-from-web
hello-from-web" ]
	ip netns del "$out"
	run -0 hull rm -f web
	run -0 hull network rm dual
}

# The host-side veth of container $1 on network $2 (network.c names it hv<ctr:8><net:5>).
host_veth() {
	local c n
	c=$(hull inspect -f '{{.Id}}' "$1")
	n=$(hull network inspect -f '{{.Id}}' "$2")
	echo "hv${c:0:8}${n:0:5}"
}
txp() { inhost cat "/sys/class/net/$1/statistics/tx_packets"; }
# The fast path's packet count for MAC $2 on network $1 (0 without an entry).
fp_packets() {
	hull network inspect "$1" | jq -r --arg m "$2" '[.[0].HullFastPath.Entries[] | select(.MacAddress == $m) | .Packets] | add // 0'
}
# The number of programs at host-side veth $1's tcx ingress (BPF_PROG_QUERY; no bpftool here).
tcx_progs() {
	inhost python3 -c '
import ctypes, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(struct.pack("IIII", socket.if_nametoindex(sys.argv[1]), 46, 0, 0) + bytes(48))
if libc.syscall(321, 16, attr, len(attr)) < 0:  # bpf(BPF_PROG_QUERY), BPF_TCX_INGRESS
    sys.exit("BPF_PROG_QUERY: errno %d" % ctypes.get_errno())
print(struct.unpack_from("I", attr.raw, 24)[0])' "$1"
}
# The number of hull's direct-action bpf filters at host-side veth $1's tc ingress (clsact).
tc_progs() {
	inhost tc filter show dev "$1" ingress | grep -c 'bpf .*hull_fastpath.* direct-action' || true
}
# The fast path's programs on veth $1: "<cls_bpf filters> <tcx programs>". It attaches as a
# cls_bpf filter, never through tcx, whose attach waits a full RCU grace period under
# rtnl_lock (docs/design.md): a tcx program here means a container joining peers pays one.
fp_progs() { echo "$(tc_progs "$1") $(tcx_progs "$1")"; }

@test "fast path: same-network frames skip the bridge (its port counts stay, the map's count moves); -o hull.fastpath=false keeps the bridge path; rm removes the entry" {
	bb_image
	run -0 hull network create --subnet 10.97.0.0/24 fast
	run -0 hull network create --subnet 10.98.0.0/24 -o hull.fastpath=false slow
	for net in fast slow; do
		run -0 hull run -d --name "a$net" --network $net bb sleep 100
		remember "$output"
		# A lone container has no peer: no program on its veth, no map entry.
		[ "$(fp_progs "$(host_veth "a$net" $net)")" = "0 0" ]
		[ "$(hull network inspect $net | jq '.[0].HullFastPath.Entries | length')" = 0 ]
		run -0 hull run -d --name "b$net" --network $net bb sleep 100
		remember "$output"
	done
	# The second container put the program on both veths (the bridge path on slow).
	[ "$(fp_progs "$(host_veth afast fast)")" = "1 0" ]
	[ "$(fp_progs "$(host_veth bfast fast)")" = "1 0" ]
	[ "$(fp_progs "$(host_veth aslow slow)")" = "0 0" ]
	[ "$(fp_progs "$(host_veth bslow slow)")" = "0 0" ]
	run -0 hull network inspect -f '{{.HullFastPath.Enabled}}' slow
	[ "$output" = false ]
	[ "$(hull network inspect slow | jq '.[0].HullFastPath.Entries | length')" = 0 ]
	[ "$(hull network inspect fast | jq '.[0].HullFastPath.Entries | length')" = 2 ]
	for net in fast slow; do
		ip=$(hull inspect -f "{{.NetworkSettings.Networks.$net.IPAddress}}" "b$net")
		v=$(host_veth "b$net" $net)
		before=$(txp "$v")
		run -0 cexec "a$net" ping -c 50 -A -W2 "$ip"
		[[ "$output" == *"50 packets received"* ]]
		sent=$(($(txp "$v") - before))
		echo "$net: $sent frames out of b's bridge port"
		if [ $net = fast ]; then
			# ARP's request is broadcast (the bridge's); the echoes are not.
			[ "$sent" -lt 10 ]
			mac=$(hull inspect -f "{{.NetworkSettings.Networks.$net.MacAddress}}" "b$net")
			[ "$(fp_packets fast "$mac")" -ge 50 ]
		else
			[ "$sent" -ge 50 ]
		fi
	done
	# The other way: afast's entry was entered by bfast's connect (from afast's lease).
	ip=$(hull inspect -f '{{.NetworkSettings.Networks.fast.IPAddress}}' afast)
	mac=$(hull inspect -f '{{.NetworkSettings.Networks.fast.MacAddress}}' afast)
	v=$(host_veth afast fast)
	before=$(txp "$v")
	run -0 cexec bfast ping -c 50 -A -W2 "$ip"
	[[ "$output" == *"50 packets received"* ]]
	[ "$(($(txp "$v") - before))" -lt 10 ]
	[ "$(fp_packets fast "$mac")" -ge 50 ]
	run -0 hull rm -f bfast
	[ "$(hull network inspect fast | jq '.[0].HullFastPath.Entries | length')" = 1 ]
	run -0 hull rm -f afast aslow bslow
	run -0 hull network rm fast slow
}

# The IPv4 packets container $1 has received (Ip: InReceives).
ipin() { cexec "$1" awk '$1 == "Ip:" && $4 ~ /^[0-9]/ { print $4 }' /proc/net/snmp; }

@test "fast path: a stale entry (its veth deleted behind hull's back) delivers nowhere, not into another network's container, and the next connect sweeps it" {
	bb_image
	run -0 hull network create --subnet 10.99.0.0/24 fa
	run -0 hull network create --subnet 10.100.0.0/24 fb
	for c in a1:fa a2:fa b1:fb; do
		run -0 hull run -d --name "${c%:*}" --network "${c#*:}" bb sleep 100
		remember "$output"
	done
	ip2=$(hull inspect -f '{{.NetworkSettings.Networks.fa.IPAddress}}' a2)
	mac2=$(hull inspect -f '{{.NetworkSettings.Networks.fa.MacAddress}}' a2)
	run -0 cexec a1 ping -c 3 -W2 "$ip2"
	# The veth goes without hull: the entry of a2's MAC now names a gone ifindex. a1 keeps
	# a2's MAC as its neighbour (permanent), so its frames still hit the entry.
	inhost ip link del "$(host_veth a2 fa)"
	nsenter -t "$(hull inspect -f '{{.State.Pid}}' a1)" -n ip neigh replace "$ip2" lladdr "$mac2" dev eth0 nud permanent
	before=$(fp_packets fa "$mac2")
	rx=$(ipin b1)
	run -1 cexec a1 ping -c 20 -A -W1 "$ip2"
	[ "$(fp_packets fa "$mac2")" -ge $((before + 20)) ]
	# Not one IPv4 packet reached b1 (its eth0 also sees its bridge's IPv6 multicast).
	[ "$(ipin b1)" = "$rx" ]
	# A new container on fb (a new veth) and one on fa: the connect to fa sweeps the entry.
	run -0 hull run -d --name b2 --network fb bb sleep 100
	remember "$output"
	[ "$(hull network inspect fa | jq --arg m "$mac2" '[.[0].HullFastPath.Entries[] | select(.MacAddress == $m)] | length')" = 1 ]
	run -0 hull run -d --name a3 --network fa bb sleep 100
	remember "$output"
	[ "$(hull network inspect fa | jq --arg m "$mac2" '[.[0].HullFastPath.Entries[] | select(.MacAddress == $m)] | length')" = 0 ]
	run -0 hull rm -f a1 a2 a3 b1 b2
	run -0 hull network rm fa fb
}

@test "fast path: a stopped container whose veth is still dying (its lease held) is not entered again by the next connect to its network" {
	bb_image
	run -0 hull network create --subnet 10.102.0.0/24 fg
	for c in a b; do
		run -0 hull run -d --name $c --network fg bb sleep 100
		remember "$output"
	done
	macb=$(hull inspect -f '{{.NetworkSettings.Networks.fg.MacAddress}}' b)
	vb=$(host_veth b fg)
	# The namespace holder keeps b's veth, and so its lease, after the stop's teardown.
	holder=$(hold b)
	run -0 hull stop -t 0 b
	inhost ip link show "$vb" >/dev/null
	[ "$(sqlite3 "file:$STORE/hull.db?mode=ro" 'SELECT count(*) FROM ip_leases')" = 2 ]
	run -0 hull run -d --name c --network fg bb sleep 100
	remember "$output"
	[ "$(hull network inspect fg | jq '.[0].HullFastPath.Entries | length')" = 2 ]
	[ "$(hull network inspect fg | jq --arg m "$macb" '[.[0].HullFastPath.Entries[] | select(.MacAddress == $m)] | length')" = 0 ]
	kill "$holder"
	run -0 hull rm -f a b c
	run -0 hull network rm fg
}

@test "fast path: a kernel that refuses BPF (bpf(2) failing with EPERM) leaves the bridge path: connect succeeds, traffic flows over the bridge" {
	command -v strace >/dev/null || skip "no strace"
	bb_image
	run -0 hull network create --subnet 10.101.0.0/24 nobpf
	for c in x y; do
		run -0 hull run -d --name $c bb sleep 100
		remember "$output"
		# The connect runs in this process (no monitor): every bpf(2) of it fails. Not -f: the
		# network's DNS responder it starts lives on.
		ASAN_OPTIONS=detect_leaks=0 strace -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EPERM \
			nsenter --net="/run/netns/$HOSTNS" "$HULL" --root "$STORE" --runroot "$RUNROOT" network connect nobpf $c
	done
	[ "$(hull network inspect nobpf | jq '.[0].HullFastPath.Entries | length')" = 0 ]
	ip=$(hull inspect -f '{{.NetworkSettings.Networks.nobpf.IPAddress}}' y)
	v=$(host_veth y nobpf)
	before=$(txp "$v")
	run -0 cexec x ping -c 20 -A -W2 "$ip"
	[[ "$output" == *"20 packets received"* ]]
	[ "$(($(txp "$v") - before))" -ge 20 ]
	run -0 hull rm -f x y
	run -0 hull network rm nobpf
}
