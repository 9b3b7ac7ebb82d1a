#!/usr/bin/env bash
# Runs every test of hull and ends with one line: "N passed, N failed, N skipped".
#   unit tests (C, TAP) from the sanitizer build,
#   integration tests (bats, TAP, as root) against build/hull-runtime,
#   the code blocks of README.md and docs/clients.md, run as written (tests/docs),
#   the runtime integration tests again against the sanitizer build's hull-runtime (a subset),
#   fuzz smoke runs (with clang).
# A section that cannot run counts as failed (a missing build) or as skipped with its reason
# (SKIP_ASAN_INTEGRATION, SKIP_FUZZ, SKIP_VM set, or no clang): nothing leaves the totals
# silently.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
LOG=${TEST_LOG_DIR:-$REPO/$BUILD/test-logs}
mkdir -p "$LOG"
passed=0 failed=0 skipped=0
failures=()

# count_tap NAME FILE: adds a TAP stream's results to the totals.
count_tap() {
	local name=$1 file=$2 p f s plan ran
	p=$(grep -cE '^ok [0-9]+' "$file" | head -1)
	s=$(grep -cE '^ok [0-9]+.*# (skip|SKIP)' "$file" | head -1)
	f=$(grep -cE '^not ok [0-9]+' "$file" | head -1)
	p=$((p - s))
	plan=$(grep -oE '^1\.\.[0-9]+' "$file" | head -1 | cut -d. -f3)
	ran=$((p + s + f))
	if [ -n "$plan" ] && [ "$ran" -lt "$plan" ]; then
		# A stream that stopped early (crash, timeout, bail out) counts its missing tests
		# as failed.
		f=$((f + plan - ran))
		echo "$name: only $ran of $plan tests reported" >&2
	elif [ -n "$plan" ] && [ "$ran" -gt "$plan" ]; then
		# More results than planned: the plan or the numbering is wrong, so the count
		# cannot be trusted either.
		f=$((f + 1))
		echo "$name: $ran results for a plan of $plan" >&2
	elif [ -z "$plan" ]; then
		f=$((f + 1))
		echo "$name: no TAP plan (crashed?)" >&2
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -gt 0 ] && failures+=("$name")
	printf '%-40s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
	grep -E '^not ok|# skip|# SKIP|^Bail out!' "$file" | sed 's/^/    /' | head -40
}

# skip_section NAME COUNT REASON: a section that did not run counts its COUNT tests as
# skipped, with the reason, instead of vanishing from the totals.
skip_section() {
	skipped=$((skipped + $2))
	printf '%-40s %4d passed %4d failed %4d skipped\n' "$1" 0 0 "$2"
	echo "    # SKIP $3"
}

# fail_section NAME REASON: a section that cannot run although it should counts as one
# failure.
fail_section() {
	failed=$((failed + 1))
	failures+=("$1")
	printf '%-40s %4d passed %4d failed %4d skipped\n' "$1" 0 1 0
	echo "    not ok: $2"
}

echo "== test hygiene"
# A bare `! cmd` in the middle of a test never fails it, a bare `wait` waits for bats' timeout
# watchdog too (tests/check-negations.py).
if python3 tests/check-negations.py >"$LOG/check-negations.out" 2>&1; then
	passed=$((passed + 1))
	printf '%-40s %4d passed %4d failed %4d skipped\n' lint/negations 1 0 0
else
	fail_section lint/negations "bare negations that can never fail, or bare waits:"
	sed 's/^/    /' "$LOG/check-negations.out" | head -20
fi

echo "== unit tests (ASan/UBSan build)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every tests/unit/test_*.c must have run; a missing build makes each a failure.
for src in tests/unit/test_*.c; do
	base=$(basename "$src" .c)
	t=$ASAN_BUILD/tests/unit/$base
	name=unit/$base
	if ! [ -x "$t" ] || ! [ -f "$t" ]; then
		fail_section "$name" "$t is not built (make build-asan)"
		continue
	fi
	(cd "$REPO/$ASAN_BUILD" && timeout 300 "$REPO/$t") >"$LOG/$base.tap" 2>"$LOG/$base.err"
	count_tap "$name" "$LOG/$base.tap"
done

echo "== integration tests (root, bats) against $BUILD/hull-runtime"
export RUNTIME=$REPO/$BUILD/hull-runtime
export MONITOR=$REPO/$BUILD/hull-monitor
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
for f in tests/integration/*.bats; do
	name=integration/$(basename "$f" .bats)
	timeout 900 bats --tap "$f" >"$LOG/$(basename "$f").tap" 2>&1
	count_tap "$name" "$LOG/$(basename "$f").tap"
done

echo "== documentation blocks (README.md, docs/clients.md) run as written"
RUNTIME=$REPO/$BUILD/hull-runtime timeout 1800 tests/docs/run-blocks.sh >"$LOG/docs.tap" 2>&1
count_tap "docs/run-blocks" "$LOG/docs.tap"

echo "== runtime lifecycle tests against the ASan/UBSan hull-runtime"
if [ -n "${SKIP_ASAN_INTEGRATION:-}" ]; then
	skip_section asan/runtime-lifecycle "$(bats --count tests/integration/runtime-lifecycle.bats)" \
		"SKIP_ASAN_INTEGRATION is set"
elif ! [ -x "$ASAN_BUILD/hull-runtime" ]; then
	fail_section asan/runtime-lifecycle "$ASAN_BUILD/hull-runtime is not built (make build-asan)"
else
	# Leaks are checked in the unit tests; the runtime exits through execve or _exit in
	# its children, where LeakSanitizer has nothing meaningful to say.
	RUNTIME=$REPO/$ASAN_BUILD/hull-runtime ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		timeout 900 bats --tap tests/integration/runtime-lifecycle.bats >"$LOG/asan-lifecycle.tap" 2>&1
	count_tap "asan/runtime-lifecycle" "$LOG/asan-lifecycle.tap"
fi

echo "== monitor tests against the ASan/UBSan hull-monitor"
if [ -n "${SKIP_ASAN_INTEGRATION:-}" ]; then
	skip_section asan/monitor "$(bats --count tests/integration/monitor.bats)" "SKIP_ASAN_INTEGRATION is set"
elif ! [ -x "$ASAN_BUILD/hull-monitor" ]; then
	fail_section asan/monitor "$ASAN_BUILD/hull-monitor is not built (make build-asan)"
else
	# The monitor is long-lived and returns from main: leaks are reported too (its stderr
	# is in each test's output when the test fails).
	MONITOR=$REPO/$ASAN_BUILD/hull-monitor ASAN_OPTIONS=abort_on_error=1 \
		timeout 900 bats --tap tests/integration/monitor.bats >"$LOG/asan-monitor.tap" 2>&1
	count_tap "asan/monitor" "$LOG/asan-monitor.tap"
fi

echo "== fuzz smoke runs (libFuzzer, ASan/UBSan; make fuzz runs longer)"
nfuzz=$(ls fuzz/fuzz_*.c | wc -l)
if [ -n "${SKIP_FUZZ:-}" ]; then
	skip_section fuzz "$nfuzz" "SKIP_FUZZ is set"
elif ! command -v clang >/dev/null; then
	skip_section fuzz "$nfuzz" "clang is not installed (scripts/install-deps.sh test)"
else
	timeout 300 fuzz/run.sh "${FUZZ_SECONDS:-15}" >"$LOG/fuzz.tap" 2>&1
	count_tap "fuzz" "$LOG/fuzz.tap"
	grep '^ok' "$LOG/fuzz.tap" | sed 's/^/    /'
fi

echo "== cgroup v2 and AppArmor VM"
nvm=$(sed -n 's/^PLAN=\([0-9]*\).*/\1/p' tests/vm/guest-tests.sh)
nselinux=$(sed -n 's/^PLAN=\([0-9]*\).*/\1/p' tests/vm/guest-selinux.sh)
if [ -n "${SKIP_VM:-}" ]; then
	skip_section vm/cgroup-v2 "${nvm:-1}" "SKIP_VM is set"
	skip_section vm/selinux "${nselinux:-1}" "SKIP_VM is set"
elif ! [ -x tests/vm/run.sh ]; then
	fail_section vm/cgroup-v2 "tests/vm/run.sh is not executable"
else
	timeout 900 tests/vm/run.sh >"$LOG/vm.tap" 2>"$LOG/vm.err"
	count_tap "vm/cgroup-v2" "$LOG/vm.tap"
	echo "== SELinux VM (permissive, the test policy)"
	timeout 900 tests/vm/run.sh selinux >"$LOG/vm-selinux.tap" 2>"$LOG/vm-selinux.err"
	count_tap "vm/selinux" "$LOG/vm-selinux.tap"
fi

echo "== systemd VM (systemd as PID 1: the systemd cgroup driver, Podman, containerd)"
if [ -n "${SKIP_VM:-}${SKIP_VM_SYSTEMD:-}" ]; then
	# The guest prints its plan at the end (its checks depend on what the guest has): the
	# skipped section counts as one.
	skip_section vm/systemd 1 "SKIP_VM or SKIP_VM_SYSTEMD is set"
elif ! [ -x tests/vm/systemd/run.sh ]; then
	fail_section vm/systemd "tests/vm/systemd/run.sh is not executable"
else
	timeout 1200 tests/vm/systemd/run.sh >"$LOG/vm-systemd.tap" 2>"$LOG/vm-systemd.err"
	count_tap "vm/systemd" "$LOG/vm-systemd.tap"
	grep '^# bench' "$LOG/vm-systemd.tap" | sed 's/^/    /'
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $LOG)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
