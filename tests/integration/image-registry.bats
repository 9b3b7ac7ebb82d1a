#!/usr/bin/env bats
# hull pull against a real registry (Debian's docker-registry) that the test starts on a
# random loopback port, seeded with skopeo from OCI archives built offline.

bats_require_minimum_version 1.5.0
load lib/image

setup_file() {
	command -v docker-registry >/dev/null && command -v skopeo >/dev/null || skip "docker-registry or skopeo missing"
	REG_DIR="$BATS_FILE_TMPDIR/registry"
	mkdir -p "$REG_DIR"
	local port
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 30000))
		cat >"$REG_DIR/config.yml" <<-EOF
			version: 0.1
			log:
			  level: error
			storage:
			  filesystem:
			    rootdirectory: $REG_DIR/data
			  delete:
			    enabled: true
			http:
			  addr: 127.0.0.1:$port
		EOF
		docker-registry serve "$REG_DIR/config.yml" >"$REG_DIR/log" 2>&1 &
		echo $! >"$REG_DIR/pid"
		for _ in $(seq 1 100); do
			curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
			sleep 0.05
		done
		if curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
			break
		fi
		kill "$(cat "$REG_DIR/pid")" 2>/dev/null || true
	done
	export REG="127.0.0.1:$port" REG_DIR
	# Two layers (gzip and zstd), as one image and as an index of two platforms.
	local t="$BATS_FILE_TMPDIR"
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/l1.tar" d:etc f:etc/one:1 f:etc/gone:x
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/l2.tar" f:etc/two:2 f:etc/.wh.gone:
	gzip "$t/l1.tar"
	zstd -q --rm "$t/l2.tar"
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$t/img.tar" "$t/l1.tar.gz" "$t/l2.tar.zst"
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci --index "$t/idx.tar" "$t/l1.tar.gz" "$t/l2.tar.zst"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$t/img.tar" "docker://$REG/test/img:v1"
	skopeo copy -q --all --dest-tls-verify=false "oci-archive:$t/idx.tar" "docker://$REG/test/multi:v1"
	# Docker schema 2 has no zstd: a gzip-only image for it.
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$t/gz.tar" "$t/l1.tar.gz"
	skopeo copy -q --format v2s2 --dest-tls-verify=false "oci-archive:$t/gz.tar" "docker://$REG/test/v2s2:v1"
}

teardown_file() {
	[ -f "$REG_DIR/pid" ] && kill "$(cat "$REG_DIR/pid")" 2>/dev/null
	true
}

@test "pull by tag: Docker's progress lines, layers unpacked with whiteouts, a second pull is up to date" {
	run hull pull "$REG/test/img:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "v1: Pulling from $REG/test/img" ]
	[ "$(grep -c ': Pull complete$' <<<"$output")" -eq 2 ]
	[[ "$output" == *"Status: Downloaded newer image for $REG/test/img:v1"* ]]
	[ "${lines[-1]}" = "$REG/test/img:v1" ]
	digest=$(skopeo inspect --tls-verify=false "docker://$REG/test/img:v1" | jq -r .Digest)
	[[ "$output" == *"Digest: $digest"* ]]
	[ "$(hull images --format '{{.Repository}}:{{.Tag}}')" = "$REG/test/img:v1" ]
	top=$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/img:v1" | jq -r '.[1]')
	one=$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/img:v1" | jq -r '.[0]')
	chain2=$(python3 -c 'import hashlib,sys; print(hashlib.sha256((sys.argv[1] + " " + sys.argv[2]).encode()).hexdigest())' "$one" "$top")
	[ "$(cat "$STORE/layers/${one#sha256:}/diff/etc/one")" = 1 ]
	[ "$(stat -c '%F %t:%T' "$STORE/layers/$chain2/diff/etc/gone")" = "character special file 0:0" ]
	hull system check
	run hull pull "$REG/test/img:v1"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Already exists$' <<<"$output")" -eq 2 ]
	[[ "$output" == *"Status: Image is up to date for $REG/test/img:v1"* ]]
	run hull pull -q "$REG/test/img:v1"
	[ "$output" = "$REG/test/img:v1" ]
}

@test "pull of a Docker schema 2 manifest" {
	[ "$(skopeo inspect --raw --tls-verify=false "docker://$REG/test/v2s2:v1" | jq -r .mediaType)" = \
		application/vnd.docker.distribution.manifest.v2+json ]
	run hull pull "$REG/test/v2s2:v1"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Pull complete$' <<<"$output")" -eq 1 ]
	layer=$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/v2s2:v1" | jq -r '.[0]')
	[ "$(cat "$STORE/layers/${layer#sha256:}/diff/etc/one")" = 1 ]
	hull system check
}

@test "pull by digest, and save of a pulled image loads back with the same id" {
	digest=$(skopeo inspect --tls-verify=false "docker://$REG/test/img:v1" | jq -r .Digest)
	run hull pull "$REG/test/img@$digest"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$REG/test/img@$digest" ]
	id=$(hull image inspect -f '{{.Id}}' "$REG/test/img@$digest")
	hull tag "$id" pulled:1
	hull save -o "$BATS_TEST_TMPDIR/p.tar" pulled:1
	"$HULL" --root "$BATS_TEST_TMPDIR/s2" load -i "$BATS_TEST_TMPDIR/p.tar"
	[ "$("$HULL" --root "$BATS_TEST_TMPDIR/s2" image inspect -f '{{.Id}}' pulled:1)" = "$id" ]
}

@test "pull from an index picks linux/amd64, --platform another; a platform not there is an error" {
	hull pull -q "$REG/test/multi:v1"
	[ "$(hull image inspect -f '{{.Architecture}}' "$REG/test/multi:v1")" = amd64 ]
	run hull pull --platform linux/arm64 "$REG/test/multi:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image"* ]]
	[ "$(hull image inspect -f '{{.Architecture}}' "$REG/test/multi:v1")" = arm64 ]
	run hull pull --platform linux/s390x "$REG/test/multi:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image for linux/s390x"* ]]
}

@test "bad input: unknown image, registry down, a blob whose content does not match: clear error, store as before" {
	run hull pull "$REG/test/nothing:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP 404"*"manifest unknown"* ]]
	run hull pull "127.0.0.1:1/test/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Couldn't connect to server"* ]]
	store_empty
	# Corrupt one layer blob inside the registry's storage: same length, other content.
	layer=$(skopeo inspect --tls-verify=false "docker://$REG/test/img:v1" | jq -r '.Layers[1]')
	data="$REG_DIR/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
	cp "$data" "$BATS_TEST_TMPDIR/good"
	printf 'X' | dd of="$data" bs=1 seek=10 conv=notrunc status=none
	run hull pull "$REG/test/img:v1"
	cp "$BATS_TEST_TMPDIR/good" "$data"
	[ "$status" -eq 1 ]
	[[ "$output" == *"digest mismatch: expected $layer"* ]]
	store_empty
	hull system check
}

@test "push: layers uploaded once, the manifest under its tag; skopeo and a fresh hull store pull it back" {
	mkrootfs_tgz
	id=$(hull import "$BATS_TEST_TMPDIR/rootfs.tgz" busybox)
	hull tag busybox "$REG/pushed/bb:v1"
	run hull push "$REG/pushed/bb:v1"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "The push refers to repository [$REG/pushed/bb]" ]
	[[ "${lines[2]}" == *": Pushed" ]]
	[[ "${lines[-1]}" =~ ^v1:\ digest:\ (sha256:[0-9a-f]{64})\ size:\ [0-9]+$ ]]
	digest=${BASH_REMATCH[1]}
	[ "$(skopeo inspect --tls-verify=false "docker://$REG/pushed/bb:v1" | jq -r .Digest)" = "$digest" ]
	run hull push "$REG/pushed/bb:v1"
	[ "$status" -eq 0 ]
	[[ "${lines[2]}" == *": Layer already exists" ]]
	skopeo copy -q --src-tls-verify=false "docker://$REG/pushed/bb:v1" "oci:$BATS_TEST_TMPDIR/oci:bb"
	"$HULL" --root "$BATS_TEST_TMPDIR/s2" pull -q "$REG/pushed/bb:v1"
	[ "$("$HULL" --root "$BATS_TEST_TMPDIR/s2" image inspect -f '{{.Id}}' "$REG/pushed/bb:v1")" = "$id" ]
	run hull push "$REG/pushed/nothing:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image"* ]]
}

@test "bearer tokens: fetched from the realm, sent only to the registry (not the token server, not a redirect's host), never printed" {
	t="$BATS_TEST_TMPDIR"
	python3 "$REPO_ROOT/tests/helpers/fakeregistry.py" "$BATS_FILE_TMPDIR/img.tar" x/y v1 "$t" &
	fake=$!
	BG_PIDS+=("$fake")
	for _ in $(seq 1 100); do [ -f "$t/ports" ] && break; sleep 0.05; done
	read -r rport tport sport <"$t/ports"
	run "$HULL" --root "$STORE" --debug pull "127.0.0.1:$rport/x/y:v1"
	kill "$fake"
	wait "$fake" || true
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image"* ]]
	[[ "$output" != *"hull-test-token-5ecret"* ]]
	# The token went to the registry only; the token server and the storage host behind the
	# redirect never saw an Authorization header.
	grep -q "^registry .* Bearer hull-test-token-5ecret$" "$t/auth.log"
	grep -q "^token /token?service=fake&scope=repository%3Ax%2Fy%3Apull -$" "$t/auth.log"
	grep -q "^storage " "$t/auth.log"
	[ -z "$(grep -E '^(token|storage) ' "$t/auth.log" | grep -v ' -$')" ]
	hull system check
}
