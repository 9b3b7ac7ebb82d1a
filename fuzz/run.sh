#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60;
# `make check` uses a short run, `make fuzz` FUZZ_SECONDS, default 300), one after the other.
# Prints one TAP line per target (ok when no crash) and a summary line per target, which it
# also writes to build-fuzz/summary.txt.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Seeds are read from fuzz/corpus/<target>/ (committed, never written); what a run finds is
# kept in build-fuzz/corpus-<target>/ for the next run. fuzz/<target>.dict, when present, is
# passed as a libFuzzer dictionary. A crashing input is saved as build-fuzz/<target>-crash-*
# (leak-*, timeout-*, oom-*); reproduce it with `build-fuzz/<target> FILE`.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-60}
shift $(($# > 0 ? 1 : 0))
OUT=build-fuzz
mkdir -p "$OUT/obj"
SRC="src/common/error.c src/common/util.c src/common/log.c src/common/json.c src/runtime/spec.c src/runtime/spec-default.c
     src/runtime/names.c src/runtime/seccomp.c src/runtime/hooks.c src/runtime/cgroup-fs.c src/runtime/cgroup-mounts.c src/runtime/cgroup.c
     src/runtime/cgroup-resources.c src/runtime/cgroup-devices.c src/runtime/cgroup-systemd.c src/image/reference.c"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE $SAN -I. -Isrc -Iinclude -I$OUT"
LIBS=$(pkg-config --cflags --libs jansson libseccomp)
# The targets themselves are held to the project's warnings (meson.build).
WARN="-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 -Wformat-security
      -Wswitch-default -Wno-unused-parameter -Wno-missing-field-initializers -Wpointer-arith -Wundef -Wvla"
# spec.c and names.c need hull-config.h from the Meson build.
cfg=$(ls build/hull-config.h build-asan/hull-config.h 2>/dev/null | head -1)
[ -n "$cfg" ] && cp "$cfg" "$OUT/hull-config.h"
if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=(fuzz_spec fuzz_names fuzz_seccomp fuzz_cgroup fuzz_reference)
fi
echo "1..${#targets[@]}"
summary="$OUT/summary.txt"
echo "# fuzz/run.sh $SECONDS_PER s per target, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(clang --version | head -1)" >"$summary"

# The library sources are compiled once (instrumented for coverage, not linked with the
# fuzzer's main) and shared by every target.
objs=()
lib_ok=1
: >"$OUT/lib.build.log"
for f in $SRC; do
	o="$OUT/obj/$(basename "${f%.c}").o"
	if ! clang $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" "$f" $(pkg-config --cflags jansson libseccomp) \
		>>"$OUT/lib.build.log" 2>&1; then
		lib_ok=0
	fi
	objs+=("$o")
done

# Scratch space of the targets (fuzz_spec's bundle, fuzz_seccomp's BPF cache), removed after
# each target even when it crashed.
if [ -w /dev/shm ]; then
	export HULL_FUZZ_TMP=/dev/shm/hull-fuzz.$$
else
	export HULL_FUZZ_TMP=$PWD/$OUT/tmp.$$
fi
trap 'rm -rf "$HULL_FUZZ_TMP"' EXIT

i=0
for t in "${targets[@]}"; do
	mkdir -p "$HULL_FUZZ_TMP"
	i=$((i + 1))
	if [ $lib_ok = 0 ] || ! clang $CFLAGS $WARN -fsanitize=fuzzer -o "$OUT/$t" "fuzz/$t.c" "${objs[@]}" $LIBS \
		>"$OUT/$t.build.log" 2>&1; then
		echo "not ok $i - $t: build failed (see $OUT/lib.build.log, $OUT/$t.build.log)"
		echo "$t seconds=$SECONDS_PER execs=0 crashes=? build-failed" >>"$summary"
		continue
	fi
	corpus="$OUT/corpus-$t"
	mkdir -p "$corpus"
	seeds=()
	[ -d "fuzz/corpus/$t" ] && seeds=("fuzz/corpus/$t")
	[ "$t" = fuzz_spec ] && [ ! -e "$corpus/default.json" ] && [ -x build/hull-runtime ] &&
		build/hull-runtime spec --bundle "$corpus" 2>/dev/null && mv "$corpus/config.json" "$corpus/default.json"
	dict=()
	[ -f "fuzz/$t.dict" ] && dict=("-dict=fuzz/$t.dict")
	log="$OUT/$t.log"
	rm -f "$OUT/$t"-{crash,leak,timeout,oom}-*
	"$OUT/$t" -max_total_time="$SECONDS_PER" -max_len=8192 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUT/$t-" "${dict[@]}" "$corpus" "${seeds[@]}" >"$log" 2>&1
	rc=$?
	rm -rf "$HULL_FUZZ_TMP"
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
	[ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	cov=$(grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1 | grep -oE 'cov: [0-9]+' | awk '{print $2}')
	crashes=$(find "$OUT" -maxdepth 1 -name "$t-*" \( -name "$t-crash-*" -o -name "$t-leak-*" -o -name "$t-timeout-*" \
		-o -name "$t-oom-*" \) | wc -l)
	[ $rc -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
	units=$(find "$corpus" -type f | wc -l)
	echo "$t seconds=$SECONDS_PER execs=${execs:-?} crashes=$crashes cov=${cov:-?} corpus=$units" >>"$summary"
	if [ $rc -eq 0 ]; then
		echo "ok $i - $t: ${SECONDS_PER}s, ${execs:-?} execs, no crash"
	else
		echo "not ok $i - $t: ${SECONDS_PER}s, ${execs:-?} execs, $crashes crash(es) (see $log)"
		grep -E 'ERROR|SUMMARY|runtime error|invariant' "$log" | head -5 | sed 's/^/# /'
	fi
done
sed 's/^/# /' "$summary"
