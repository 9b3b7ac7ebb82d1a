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
HULL=$BUILD/hull

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
hullnet() { inhost "$HULL" --root "$STORE" --runroot "$BATS_TEST_TMPDIR/run" "$@"; }

# Processes whose network namespace is one of the test's.
_test_pids() {
	local ns pid
	for ns in /run/netns/"$PFX"-*; do
		[ -e "$ns" ] || continue
		ip netns pids "$(basename "$ns")" 2>/dev/null
	done
}

teardown() {
	local pids leftover=""
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
