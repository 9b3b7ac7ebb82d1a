# The front door: make build | demo | check | bench | install | fuzz
BUILD ?= build
ASAN_BUILD ?= build-asan
DEBUG_BUILD ?= build-debug
PREFIX ?= /usr/local

.PHONY: all build build-asan build-debug busybox-image demo check check-unit check-integration check-clients check-vm-systemd bench install fuzz clean deps-build deps-test

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

# What a contributor's first `meson setup` gives: -O0, no sanitizers. gcc warns
# differently without optimization (-Wformat-truncation broke it once), so check builds it
# too, compile only.
$(DEBUG_BUILD)/build.ninja:
	meson setup $(DEBUG_BUILD) --buildtype=debug

build-debug: deps-build $(DEBUG_BUILD)/build.ninja
	ninja -C $(DEBUG_BUILD)

# The default image of a fresh machine, built offline from Debian's busybox-static into
# $(BUILD)/busybox-image.tar and loaded into the store (HULL_ROOT): `hull run busybox ...`.
HULL_ROOT ?= /var/lib/hull
busybox-image: build
	@scripts/install-deps.sh demo
	scripts/busybox-image.sh -o $(BUILD)/busybox-image.tar --hull $(BUILD)/hull --root $(HULL_ROOT)

# The engine's story with `hull` on the busybox image (scripts/demo-engine.sh), then the
# runtime's own demo with hull-runtime and a bundle (scripts/demo.sh).
demo: build busybox-image
	@scripts/install-deps.sh demo
	@HULL_ROOT=$(HULL_ROOT) scripts/demo-engine.sh $(BUILD)/hull
	@scripts/demo.sh $(BUILD)/hull-runtime

# Every test; the last line of the output is "N passed, N failed, N skipped".
check: deps-test build build-asan build-debug
	@tests/run-all.sh

# The systemd guest alone (tests/vm/systemd: systemd as PID 1, pure cgroup v2; also run by check).
check-vm-systemd: deps-test build
	@tests/vm/systemd/run.sh

bench: build
	@scripts/install-deps.sh test
	bench/lifecycle.sh
	bench/split.sh
	bench/memory.sh
	bench/throughput.sh
	bench/monitor.sh
	bench/engine.sh
	bench/plot.sh

# The binary, one man page per command (man8) and the bash completion.
install: build
	scripts/install.sh $(BUILD) "$(DESTDIR)$(PREFIX)"

fuzz: build
	fuzz/run.sh $${FUZZ_SECONDS:-300}

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(DEBUG_BUILD) build-fuzz
