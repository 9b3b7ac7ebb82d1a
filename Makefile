# The front door: make build | demo | check | bench | install | fuzz
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local

.PHONY: all build build-asan demo check check-unit check-integration check-clients bench install fuzz clean deps-build deps-test

all: build

deps-build:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release

build: deps-build $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The sanitizer build used by the tests (ASan + UBSan, no recovery from UB).
$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	  -Dc_args=-fno-sanitize-recover=undefined

build-asan: deps-build $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

demo: build
	@scripts/install-deps.sh demo
	@scripts/demo.sh $(BUILD)/hull-runtime

# Every test; the last line of the output is "N passed, N failed, N skipped".
check: deps-test build build-asan
	@tests/run-all.sh

bench: build
	@scripts/install-deps.sh test
	bench/lifecycle.sh
	bench/split.sh
	bench/memory.sh
	bench/throughput.sh
	bench/plot.sh

install: build
	install -D -m 0755 $(BUILD)/hull-runtime $(DESTDIR)$(PREFIX)/bin/hull-runtime
	install -D -m 0755 $(BUILD)/hull $(DESTDIR)$(PREFIX)/bin/hull

fuzz: build
	fuzz/run.sh $${FUZZ_SECONDS:-300}

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
