#!/usr/bin/env bash
# Runs every test of hull and ends with one line: "N passed, N failed, N skipped".
#   unit tests (C, TAP) from the sanitizer build,
#   integration tests (bats, TAP, as root) against build/hull-runtime,
#   the runtime integration tests again against the sanitizer build's hull-runtime (a subset),
#   fuzz smoke runs where a fuzz build exists.
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
		# A stream that stopped early (crash, timeout) counts its missing tests as failed.
		f=$((f + plan - ran))
		echo "$name: only $ran of $plan tests reported" >&2
	elif [ -z "$plan" ]; then
		f=$((f + 1))
		echo "$name: no TAP plan (crashed?)" >&2
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -gt 0 ] && failures+=("$name")
	printf '%-40s %4d passed %4d failed %4d skipped\n' "$name" "$p" "$f" "$s"
	grep -E '^not ok|# skip|# SKIP' "$file" | sed 's/^/    /' | head -40
}

echo "== unit tests (ASan/UBSan build)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "$ASAN_BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	name=unit/$(basename "$t")
	(cd "$REPO/$ASAN_BUILD" && timeout 300 "$REPO/$t") >"$LOG/$(basename "$t").tap" 2>"$LOG/$(basename "$t").err"
	count_tap "$name" "$LOG/$(basename "$t").tap"
done

echo "== integration tests (root, bats) against $BUILD/hull-runtime"
export RUNTIME=$REPO/$BUILD/hull-runtime
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-120}
for f in tests/integration/*.bats; do
	name=integration/$(basename "$f" .bats)
	timeout 900 bats --tap "$f" >"$LOG/$(basename "$f").tap" 2>&1
	count_tap "$name" "$LOG/$(basename "$f").tap"
done

if [ -x "$ASAN_BUILD/hull-runtime" ] && [ -z "${SKIP_ASAN_INTEGRATION:-}" ]; then
	echo "== runtime lifecycle tests against the ASan/UBSan hull-runtime"
	# Leaks are checked in the unit tests; the runtime exits through execve or _exit in
	# its children, where LeakSanitizer has nothing meaningful to say.
	RUNTIME=$REPO/$ASAN_BUILD/hull-runtime ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		timeout 900 bats --tap tests/integration/runtime-lifecycle.bats >"$LOG/asan-lifecycle.tap" 2>&1
	count_tap "asan/runtime-lifecycle" "$LOG/asan-lifecycle.tap"
fi

if [ -z "${SKIP_FUZZ:-}" ] && command -v clang >/dev/null; then
	echo "== fuzz smoke runs (libFuzzer, ASan/UBSan; make fuzz runs longer)"
	timeout 300 fuzz/run.sh "${FUZZ_SECONDS:-15}" >"$LOG/fuzz.tap" 2>&1
	count_tap "fuzz" "$LOG/fuzz.tap"
	grep '^ok' "$LOG/fuzz.tap" | sed 's/^/    /'
fi

if [ -x tests/vm/run.sh ] && [ -z "${SKIP_VM:-}" ]; then
	echo "== cgroup v2 VM"
	timeout 900 tests/vm/run.sh >"$LOG/vm.tap" 2>"$LOG/vm.err"
	count_tap "vm/cgroup-v2" "$LOG/vm.tap"
fi

if [ -x tests/vm/systemd/run.sh ] && [ -z "${SKIP_VM:-}${SKIP_VM_SYSTEMD:-}" ]; then
	echo "== systemd VM (systemd as PID 1: the systemd cgroup driver, Podman, containerd)"
	timeout 1200 tests/vm/systemd/run.sh >"$LOG/vm-systemd.tap" 2>"$LOG/vm-systemd.err"
	count_tap "vm/systemd" "$LOG/vm-systemd.tap"
	grep '^# bench' "$LOG/vm-systemd.tap" | sed 's/^/    /'
fi

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]} (logs in $LOG)"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
