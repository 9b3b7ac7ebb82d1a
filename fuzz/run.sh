#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for SECONDS (default 60;
# `make check` uses a short run). Prints one TAP line per target: ok when no crash.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${1:-60}
OUT=build-fuzz
mkdir -p "$OUT"
SRC="src/common/error.c src/common/util.c src/common/log.c src/runtime/spec.c src/runtime/spec-default.c src/runtime/names.c"
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -Isrc -I$OUT"
# spec.c and names.c need hull-config.h from the Meson build.
cfg=$(ls build/hull-config.h build-asan/hull-config.h 2>/dev/null | head -1)
[ -n "$cfg" ] && cp "$cfg" "$OUT/hull-config.h"
targets=(fuzz_spec fuzz_names)
echo "1..${#targets[@]}"
i=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	if ! clang $CFLAGS -o "$OUT/$t" "fuzz/$t.c" $SRC $(pkg-config --cflags --libs jansson) >"$OUT/$t.build.log" 2>&1; then
		echo "not ok $i - $t: build failed (see $OUT/$t.build.log)"
		continue
	fi
	corpus="$OUT/corpus-$t"
	mkdir -p "$corpus"
	[ "$t" = fuzz_spec ] && [ ! -e "$corpus/default.json" ] && build/hull-runtime spec --bundle "$corpus" 2>/dev/null &&
		mv "$corpus/config.json" "$corpus/default.json"
	log="$OUT/$t.log"
	if "$OUT/$t" -max_total_time="$SECONDS_PER" -max_len=8192 "$corpus" >"$log" 2>&1; then
		execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}')
		[ -z "$execs" ] && execs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#')
		echo "ok $i - $t: ${SECONDS_PER}s, ${execs:-?} execs, no crash"
	else
		echo "not ok $i - $t: crash (see $log)"
		grep -E 'ERROR|SUMMARY' "$log" | head -5 | sed 's/^/# /'
	fi
done
