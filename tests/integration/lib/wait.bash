# shellcheck shell=bash
#
# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds (0) or SECONDS have
# passed (1). Sourced by lib/common.bash and lib/engine.bash, which both need it.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ! "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}
