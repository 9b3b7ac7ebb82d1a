# shellcheck shell=bash
#
# Shared setup for tests/integration/network.bats: the network library is driven through
# build/hull-nettest (and build/hull for `hull network`) inside network namespaces that
# each test creates, so nothing a test does is visible on the machine's own network:
#
#   $HOSTNS   the namespace that plays the host (its bridge, nft table, published ports);
#             `inhost CMD` runs a command in it
#   mkctr N   creates namespace $PFX-N playing container N (nsfs path /run/netns/$PFX-N)
#   $STORE    a private --root for the test (the SQLite database)
# teardown deletes every namespace of the test and fails the test when a namespace, a
# process started in one, or a file under /run/netns of the test is left.

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${BUILD:=$REPO_ROOT/build}"
NETTEST=$BUILD/hull-nettest
LIBDIR=$REPO_ROOT/tests/integration/lib
HULL=$BUILD/hull
# The library's teardown starts the engine's veth waiter (`hull network settle`), which
# lingers 2 s after its last veth and would be a process left by the test; these tests
# check the library and its gc, which they run themselves (engine-network.bats checks the
# waiter). A HULL_BIN that does not exist starts none.
export HULL_BIN=/nonexistent/hull

setup() {
	PFX=h8n$$x${BATS_TEST_NUMBER}
	HOSTNS=$PFX-host
	STORE=$BATS_TEST_TMPDIR/store
	ip netns add "$HOSTNS"
	inhost ip link set lo up
	inhost sysctl -qw net.ipv4.ip_forward=1
}

inhost() { ip netns exec "$HOSTNS" "$@"; }
inctr() {
	local n=$1
	shift
	ip netns exec "$PFX-$n" "$@"
}
mkctr() {
	ip netns add "$PFX-$1"
	ip netns exec "$PFX-$1" ip link set lo up
}
nettest() { inhost "$NETTEST" "$@"; }

# bg NS CMD...: starts CMD in namespace NS ("host" or a container's name) in the
# background; teardown stops it.
bg() {
	local ns=$1
	shift
	[ "$ns" = host ] && ns=$HOSTNS || ns=$PFX-$ns
	# A session of its own, so that teardown stops the command's children with it.
	setsid ip netns exec "$ns" "$@" >/dev/null 2>&1 </dev/null 3>&- &
	echo $! >>"$BATS_TEST_TMPDIR/bg.pids"
}

# get NS ADDR PORT: the last line of an HTTP answer from ADDR:PORT, fetched in NS.
get() {
	local ns=$1
	[ "$ns" = host ] && ns=$HOSTNS || ns=$PFX-$ns
	ip netns exec "$ns" sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc -w2 $2 $3 | tail -1"
}

# A namespace "out" that reaches the host namespace at 192.168.200.1 (as another machine
# on the host's network would).
mkout() {
	mkctr out
	ip link add "${PFX}o" netns "$HOSTNS" type veth peer name eth0 netns "$PFX-out"
	inhost ip addr add 192.168.200.1/24 dev "${PFX}o"
	inhost ip link set "${PFX}o" up
	inctr out ip addr add 192.168.200.2/24 dev eth0
	inctr out ip link set eth0 up
}

# httpd N: busybox httpd on port 80 in container N, serving "hello-from-N".
httpd() {
	mkdir -p "$BATS_TEST_TMPDIR/www-$1"
	echo "hello-from-$1" >"$BATS_TEST_TMPDIR/www-$1/index.html"
	bg "$1" busybox httpd -f -p 80 -h "$BATS_TEST_TMPDIR/www-$1"
	local i
	for i in $(seq 50); do
		inctr "$1" sh -c 'busybox netstat -ltn | grep -q ":80 "' && return 0
		sleep 0.1
	done
	return 1
}
hullnet() { inhost "$HULL" --root "$STORE" --runroot "$BATS_TEST_TMPDIR/run" "$@"; }

# Processes whose network namespace is one of the test's.
_test_pids() {
	local ns pid
	# Namespaces the library made under the test's directory (hull_netns_create).
	local m
	for m in $(findmnt -rn -o TARGET | grep "^$BATS_TEST_TMPDIR/" || true); do
		umount -l "$m" && leftover="$leftover mount $m"
	done
	for ns in /run/netns/"$PFX"-*; do
		[ -e "$ns" ] || continue
		ip netns pids "$(basename "$ns")" 2>/dev/null
	done
}

teardown() {
	local pids leftover=""
	if [ -f "$BATS_TEST_TMPDIR/bg.pids" ]; then
		# shellcheck disable=SC2046 # one pid per word
		for pid in $(cat "$BATS_TEST_TMPDIR/bg.pids"); do kill -9 -- "-$pid" 2>/dev/null || true; done
		sleep 0.1
	fi
	pids=$(_test_pids | tr '\n' ' ')
	if [ -n "${pids// /}" ]; then
		leftover="processes $pids"
		# shellcheck disable=SC2086 # one pid per word
		kill -9 $pids 2>/dev/null || true
	fi
	for ns in /run/netns/"$PFX"-*; do
		[ -e "$ns" ] && ip netns del "$(basename "$ns")"
	done
	[ -z "$leftover" ] || {
		echo "test left $leftover" >&2
		return 1
	}
}
