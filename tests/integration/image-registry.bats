#!/usr/bin/env bats
# hull pull against a real registry (Debian's docker-registry) that the test starts on a
# random loopback port, seeded with skopeo from OCI archives built offline.

bats_require_minimum_version 1.5.0
load lib/image

# start_registry DIR [htpasswd FILE | token REALM CERT]: Debian's docker-registry on a random
# loopback port, storage and log below DIR, its pid in DIR/pid; prints "127.0.0.1:PORT". With
# REG_LOG_LEVEL=info its log has an access line per request.
start_registry() {
	local dir=$1 port auth=""
	mkdir -p "$dir"
	if [ "${2:-}" = htpasswd ]; then
		auth=$(printf 'auth:\n  htpasswd:\n    realm: hull-test\n    path: %s\n' "$3")
	elif [ "${2:-}" = token ]; then
		auth=$(printf 'auth:\n  token:\n    realm: %s\n    service: hull-test\n    issuer: hull-test-issuer\n    rootcertbundle: %s\n' "$3" "$4")
	fi
	for _ in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 30000))
		cat >"$dir/config.yml" <<-EOF
			version: 0.1
			log:
			  level: ${REG_LOG_LEVEL:-error}
			storage:
			  filesystem:
			    rootdirectory: $dir/data
			  delete:
			    enabled: true
			http:
			  addr: 127.0.0.1:$port
			$auth
		EOF
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
		echo $! >"$dir/pid"
		for _ in $(seq 1 100); do
			curl -s -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null && break
			sleep 0.05
		done
		if curl -s -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then
			echo "127.0.0.1:$port"
			return 0
		fi
		kill "$(cat "$dir/pid")" 2>/dev/null || true
	done
	return 1
}

setup_file() {
	command -v docker-registry >/dev/null && command -v skopeo >/dev/null || skip "docker-registry or skopeo missing"
	REG_DIR="$BATS_FILE_TMPDIR/registry"
	REG=$(start_registry "$REG_DIR")
	export REG REG_DIR
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
	# Not a terminal: plain lines, no cursor movement, no bars.
	[[ "$output" != *$'\e'* && "$output" != *"Downloading ["* ]]
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

@test "pull on a terminal: a line per layer redrawn in place, with Docker's progress bar" {
	run script -qfec "$HULL --root $STORE pull $REG/test/img:v1" /dev/null
	[ "$status" -eq 0 ]
	# Each layer's line is redrawn: cursor up, clear line, the new status.
	[[ "$output" == *$'\e[1A\e[2K\r'* ]]
	grep -qE '^.*[0-9a-f]{12}: Downloading \[=*> *\] +[0-9.]+k?B/[0-9.]+k?B' <<<"$output"
	[ "$(grep -oE '[0-9a-f]{12}: Downloading \[[^]]*\]' <<<"$output" | head -1 | sed 's/.*\[//; s/\]//' | wc -c)" -eq 52 ]
	[ "$(grep -c ': Pull complete' <<<"$output")" -eq 2 ]
	[[ "$output" == *"Status: Downloaded newer image for $REG/test/img:v1"* ]]
	hull system check
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
	# The corrupt download is not kept for a resume. (The other layer's may be: the pull
	# stopped while it was in flight, which is what resume is for.)
	ls -lA "$STORE/downloads"
	[ ! -e "$STORE/downloads/${layer#sha256:}" ]
	[ "$(ls -A "$STORE/downloads" | wc -l)" -le 1 ]
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

# The registry's access lines (REG_LOG_LEVEL=info) logged since mark_log: "METHOD PATH STATUS".
mark_log() {
	LOG_MARK=$(wc -l <"$1/log")
}
access_since() {
	tail -n +$((LOG_MARK + 1)) "$1/log" | sed -nE 's/.*"(GET|HEAD|POST|PUT|PATCH|DELETE) ([^ ]*) HTTP\/[0-9.]+" ([0-9]+) .*/\1 \2 \3/p'
}

@test "push: a blob another repository of the registry has is mounted from there (201), no layer bytes uploaded again; skopeo pulls identical digests" {
	t="$BATS_TEST_TMPDIR"
	MREG=$(REG_LOG_LEVEL=info start_registry "$t/mreg")
	BG_PIDS+=("$(cat "$t/mreg/pid")")
	mkrootfs_tgz
	hull import "$t/rootfs.tgz" "$MREG/a/img:v1" >/dev/null
	run -0 hull push "$MREG/a/img:v1"
	[[ "${lines[2]}" == *": Pushed" ]]
	# The store remembers where each blob went (schema version 6; 8 is the latest).
	[ "$(sqlite3 "$STORE/hull.db" 'PRAGMA user_version')" = 9 ]
	[ "$(sqlite3 "$STORE/hull.db" "SELECT count(*) FROM blob_sources WHERE registry = '$MREG' AND repository = 'a/img'")" = 2 ]
	hull tag "$MREG/a/img:v1" "$MREG/b/img:v1"
	mark_log "$t/mreg"
	run -0 hull push "$MREG/b/img:v1"
	[[ "${lines[2]}" == *": Mounted from a/img" ]]
	access_since "$t/mreg" >"$t/b.log"
	cat "$t/b.log"
	layer=$(skopeo inspect --tls-verify=false "docker://$MREG/a/img:v1" | jq -r '.Layers[0]')
	# The layer and the config: each a mount POST answered 201; no PATCH or PUT of blob data.
	grep -qx "POST /v2/b/img/blobs/uploads/?mount=$layer&from=a%2Fimg 201" "$t/b.log"
	[ "$(grep -c '^POST /v2/b/img/blobs/uploads/?mount=.* 201$' "$t/b.log")" -eq 2 ]
	[ -z "$(grep -E '^(PATCH|PUT) /v2/b/img/blobs/' "$t/b.log")" ]
	[ -z "$(grep -E '^POST /v2/b/img/blobs/uploads/ ' "$t/b.log")" ]
	grep -q '^PUT /v2/b/img/manifests/v1 201$' "$t/b.log"
	# skopeo pulls b: the same manifest and layer digests as a.
	[ "$(skopeo inspect --tls-verify=false "docker://$MREG/b/img:v1" | jq -c '[.Digest, .Layers]')" = \
		"$(skopeo inspect --tls-verify=false "docker://$MREG/a/img:v1" | jq -c '[.Digest, .Layers]')" ]
	skopeo copy -q --src-tls-verify=false "docker://$MREG/b/img:v1" "oci:$t/oci:b"
	# A stale hint (a repository that never had the blobs): the registry answers the mount with
	# 202 and the upload it started, which carries the bytes; no second upload is started.
	sqlite3 "$STORE/hull.db" "UPDATE blob_sources SET repository = 'gone/img', seen = seen + 100 WHERE repository = 'b/img'"
	hull tag "$MREG/a/img:v1" "$MREG/f/img:v1"
	mark_log "$t/mreg"
	run -0 hull push "$MREG/f/img:v1"
	[[ "${lines[2]}" == *": Pushed" ]]
	access_since "$t/mreg" >"$t/f.log"
	cat "$t/f.log"
	[ "$(grep -c '^POST /v2/f/img/blobs/uploads/?mount=.*&from=gone%2Fimg 202$' "$t/f.log")" -eq 2 ]
	[ "$(grep -c '^PUT /v2/f/img/blobs/uploads/.* 201$' "$t/f.log")" -eq 2 ]
	[ -z "$(grep -E '^POST /v2/f/img/blobs/uploads/ ' "$t/f.log")" ]
	# A pull records its source too: another store pulls a, and its push to c mounts from a.
	"$HULL" --root "$t/s2" pull -q "$MREG/a/img:v1" >/dev/null
	"$HULL" --root "$t/s2" tag "$MREG/a/img:v1" "$MREG/c/img:v1"
	mark_log "$t/mreg"
	run -0 "$HULL" --root "$t/s2" push "$MREG/c/img:v1"
	[[ "${lines[2]}" == *": Mounted from a/img" ]]
	[ -z "$(access_since "$t/mreg" | grep -E '^(PATCH|PUT) /v2/c/img/blobs/')" ]
	hull system check
	# The hints go with their blobs: rmi of the only image leaves no row.
	[ "$(sqlite3 "$t/s2/hull.db" 'SELECT count(*) FROM blob_sources')" -ge 2 ]
	"$HULL" --root "$t/s2" rmi -f "$MREG/a/img:v1" "$MREG/c/img:v1" >/dev/null
	[ "$(sqlite3 "$t/s2/hull.db" 'SELECT count(*) FROM blob_sources')" = 0 ]
}

# docker-registry behind the token issuer (tests/helpers/tokenissuer.py); sets TREG and TOK.
start_token_registry() {
	TOK="$BATS_TEST_TMPDIR/tok"
	mkdir -p "$TOK"
	python3 "$REPO_ROOT/tests/helpers/tokenissuer.py" "$TOK" &
	BG_PIDS+=("$!")
	for _ in $(seq 1 200); do [ -f "$TOK/port" ] && break; sleep 0.05; done
	TREG=$(REG_LOG_LEVEL=info start_registry "$BATS_TEST_TMPDIR/treg" token "http://127.0.0.1:$(cat "$TOK/port")/token" "$TOK/cert.pem")
	BG_PIDS+=("$(cat "$BATS_TEST_TMPDIR/treg/pid")")
}

@test "push with bearer tokens: the mount's token asks for both repositories' scopes; a refused source scope falls back to an upload that succeeds" {
	t="$BATS_TEST_TMPDIR"
	start_token_registry
	mkrootfs_tgz
	hull import "$t/rootfs.tgz" "$TREG/a/img:v1" >/dev/null
	run -0 hull push "$TREG/a/img:v1"
	[[ "${lines[2]}" == *": Pushed" ]]
	# The token server leaves pull of a/img out of its tokens: the mount is refused (401) and
	# the blob is uploaded instead.
	echo a/img >"$TOK/deny"
	hull tag "$TREG/a/img:v1" "$TREG/b/img:v1"
	: >"$TOK/token.log"
	mark_log "$t/treg"
	run -0 hull push "$TREG/b/img:v1"
	[[ "${lines[2]}" == *": Pushed" ]]
	cat "$TOK/token.log"
	grep -E '(^|&)scope=repository%3Ab%2Fimg%3Apull%2Cpush(&|$)' "$TOK/token.log" | grep -qE '(^|&)scope=repository%3Aa%2Fimg%3Apull(&|$)'
	access_since "$t/treg" >"$t/b.log"
	cat "$t/b.log"
	grep -q '^POST /v2/b/img/blobs/uploads/?mount=.* 401$' "$t/b.log"
	[ -z "$(grep '^POST /v2/b/img/blobs/uploads/?mount=.* 20[12]$' "$t/b.log")" ]
	[ "$(grep -c '^PUT /v2/b/img/blobs/uploads/.* 201$' "$t/b.log")" -eq 2 ]
	# The token server refuses any token that includes a source's scope (b has the blobs now
	# too, and may be the source hull picks): an upload too.
	echo b/img >>"$TOK/deny"
	touch "$TOK/refuse"
	hull tag "$TREG/a/img:v1" "$TREG/c/img:v1"
	mark_log "$t/treg"
	run -0 hull push "$TREG/c/img:v1"
	[[ "${lines[2]}" == *": Pushed" ]]
	[ "$(access_since "$t/treg" | grep -c '^PUT /v2/c/img/blobs/uploads/.* 201$')" -eq 2 ]
	# Allowed again: the token carries both scopes and the registry mounts.
	rm "$TOK/deny" "$TOK/refuse"
	hull tag "$TREG/a/img:v1" "$TREG/d/img:v1"
	mark_log "$t/treg"
	run -0 hull push "$TREG/d/img:v1"
	[[ "${lines[2]}" == *": Mounted from "* ]]
	access_since "$t/treg" >"$t/d.log"
	[ "$(grep -c '^POST /v2/d/img/blobs/uploads/?mount=.* 201$' "$t/d.log")" -eq 2 ]
	[ -z "$(grep -E '^(PATCH|PUT) /v2/d/img/blobs/' "$t/d.log")" ]
	# A registry whose challenge names the target repository alone (a proxy narrows
	# docker-registry's): hull adds the source's pull scope to the token request itself.
	mkdir "$t/proxy"
	touch "$t/proxy/narrow"
	python3 "$REPO_ROOT/tests/helpers/slowproxy.py" "${TREG##*:}" 1000000 "$t/proxy" &
	BG_PIDS+=("$!")
	for _ in $(seq 1 100); do [ -f "$t/proxy/port" ] && break; sleep 0.05; done
	PREG="127.0.0.1:$(cat "$t/proxy/port")"
	hull tag "$TREG/a/img:v1" "$PREG/a/img:v1"
	hull tag "$TREG/a/img:v1" "$PREG/e/img:v1"
	run -0 hull push "$PREG/a/img:v1"
	[[ "${lines[2]}" == *": Layer already exists" ]]
	: >"$TOK/token.log"
	run -0 hull push "$PREG/e/img:v1"
	[[ "${lines[2]}" == *": Mounted from a/img" ]]
	cat "$TOK/token.log"
	grep -E '(^|&)scope=repository%3Ae%2Fimg%3Apull%2Cpush(&|$)' "$TOK/token.log" | grep -qE '(^|&)scope=repository%3Aa%2Fimg%3Apull(&|$)'
	[ "$(grep -c '^POST /v2/e/img/blobs/uploads/?mount=.* 201 ' "$t/proxy/proxy.log")" -eq 2 ]
	for r in b c d e; do
		[ "$(skopeo inspect --tls-verify=false "docker://$TREG/$r/img:v1" | jq -c '[.Digest, .Layers]')" = \
			"$(skopeo inspect --tls-verify=false "docker://$TREG/a/img:v1" | jq -c '[.Digest, .Layers]')" ]
	done
	skopeo copy -q --src-tls-verify=false "docker://$TREG/b/img:v1" "oci:$t/oci:b"
	hull system check
}

@test "round trips with podman through the registry: hull push -> podman pull -> podman push -> hull pull" {
	command -v podman >/dev/null || skip "podman not installed"
	P=(podman --root "$BATS_TEST_TMPDIR/p" --runroot "$BATS_TEST_TMPDIR/pr" --storage-driver vfs)
	mkrootfs_tgz
	id=$(hull import --change 'CMD ["/bin/sh"]' "$BATS_TEST_TMPDIR/rootfs.tgz" "$REG/rt/hull:v1")
	hull push -q "$REG/rt/hull:v1" >/dev/null
	"${P[@]}" pull -q --tls-verify=false "$REG/rt/hull:v1" >/dev/null
	# The same image to podman: its id is the config digest hull made.
	[ "sha256:$("${P[@]}" image inspect -f '{{.Id}}' "$REG/rt/hull:v1")" = "$id" ]
	[ "$("${P[@]}" image inspect -f '{{json .Config.Cmd}}' "$REG/rt/hull:v1")" = '["/bin/sh"]' ]
	"${P[@]}" tag "$REG/rt/hull:v1" "$REG/rt/podman:v2"
	"${P[@]}" push -q --tls-verify=false "$REG/rt/podman:v2"
	"${P[@]}" rmi -a -f >/dev/null
	run "$HULL" --root "$BATS_TEST_TMPDIR/s2" pull "$REG/rt/podman:v2"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image for $REG/rt/podman:v2"* ]]
	[ "$("$HULL" --root "$BATS_TEST_TMPDIR/s2" image inspect -f '{{.Id}}' "$REG/rt/podman:v2")" = "$id" ]
	"$HULL" --root "$BATS_TEST_TMPDIR/s2" system check
	d=$(ls -d "$BATS_TEST_TMPDIR"/s2/layers/*/diff)
	cmp "$d/bin/busybox" /bin/busybox
	[ "$(cat "$d/etc/hello")" = hello ]
}

# The 200+ MiB image of installed Debian files (three gzip layers and a small one), built
# offline once into build/test-big-image/ (an OCI archive and its layers) and reused: the
# layers are compared with what hull unpacked, so a host that changed since does not matter.
big_image() {
	local c="$REPO_ROOT/build/test-big-image" i=0 dirs
	[ -f "$c/img.tar" ] && return 0
	rm -rf "$c.tmp"
	mkdir -p "$c.tmp"
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$c.tmp/l0.tar" d:etc f:etc/big-image:1
	gzip -1 "$c.tmp/l0.tar"
	for dirs in "usr/lib/x86_64-linux-gnu/perl usr/lib/x86_64-linux-gnu/gconv usr/share/perl" "usr/share/doc" \
		"usr/share/i18n usr/lib/python3"; do
		i=$((i + 1))
		# shellcheck disable=SC2086 # one argument per directory
		tar -C / -cf - $dirs 2>/dev/null | gzip -1 >"$c.tmp/l$i.tar.gz"
	done
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$c.tmp/img.tar" "$c.tmp"/l?.tar.gz
	rm -rf "$c"
	mv "$c.tmp" "$c"
}

@test "a multi-layer image of 200+ MiB of Debian files: pushed with skopeo, pulled by hull, unpacked as the layers say" {
	big_image
	c="$REPO_ROOT/build/test-big-image"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$c/img.tar" "docker://$REG/test/big:v1"
	start=$(date +%s)
	hull pull -q "$REG/test/big:v1"
	echo "pull took $(($(date +%s) - start)) s"
	layers=$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/big:v1")
	[ "$(jq length <<<"$layers")" -eq 4 ]
	size=$(hull image inspect -f '{{.Size}}' "$REG/test/big:v1")
	[ "$size" -ge $((200 * 1024 * 1024)) ]
	# Every layer directory holds exactly its tarball's files (tar --compare: contents,
	# modes, owners, times, link targets).
	for i in 0 1 2 3; do
		chain=$(sqlite3 "$STORE/hull.db" "SELECT il.chain_id FROM image_layers il JOIN tags t ON t.image_id = il.image_id WHERE t.name = '$REG/test/big:v1' AND il.idx = $i")
		dir=$(sqlite3 "$STORE/hull.db" "SELECT dir FROM layers WHERE chain_id = '$chain'")
		tar -C "$STORE/layers/$dir/diff" --compare -zf "$c/l$i.tar.gz"
		[ "$(tar -tzf "$c/l$i.tar.gz" | grep -cv '/$')" -eq "$(cd "$STORE/layers/$dir/diff" && find . ! -type d | wc -l)" ]
	done
	run hull system check
	[ "$output" = "No problems found" ]
	hull rmi "$REG/test/big:v1" >/dev/null
	store_empty
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

# A registry behind htpasswd basic auth (docker-registry), with the image pushed by skopeo.
start_auth_registry() {
	htpasswd -Bbn hulluser 'pa55-w0rd:5ecret' >"$BATS_TEST_TMPDIR/htpasswd"
	AREG=$(start_registry "$BATS_TEST_TMPDIR/areg" htpasswd "$BATS_TEST_TMPDIR/htpasswd")
	BG_PIDS+=("$(cat "$BATS_TEST_TMPDIR/areg/pid")")
	skopeo copy -q --dest-tls-verify=false --dest-creds 'hulluser:pa55-w0rd:5ecret' \
		"oci-archive:$BATS_FILE_TMPDIR/img.tar" "docker://$AREG/test/img:v1"
}

@test "login: basic auth against docker-registry with htpasswd; stored 0600 in Docker's config.json; pull and push use it; logout" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	start_auth_registry
	secret='pa55-w0rd:5ecret'
	b64=$(printf 'hulluser:%s' "$secret" | base64 -w0)
	# Anonymous: refused with a hint.
	run hull pull "$AREG/test/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized: authentication required (hull login $AREG)"* ]]
	store_empty
	# A wrong password: a clear error, exit 1, nothing stored.
	run "$HULL" login -u hulluser --password-stdin "$AREG" <<<"wrong"
	[ "$status" -eq 1 ]
	[[ "$output" == *"login to $AREG: $AREG: unauthorized: incorrect username or password"* ]]
	[ ! -e "$DOCKER_CONFIG/config.json" ]
	# No password and no terminal: Docker's error.
	run "$HULL" login -u hulluser "$AREG" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"Cannot perform an interactive login from a non TTY device"* ]]
	run "$HULL" login -u hulluser --password-stdin "$AREG" <<<"$secret"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "Login Succeeded" ]
	[ "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 ]
	[ "$(jq -r --arg r "$AREG" '.auths[$r].auth' "$DOCKER_CONFIG/config.json")" = "$b64" ]
	# pull and push with the stored credentials; none of them in any output, debug included.
	run "$HULL" --root "$STORE" --log-level debug pull "$AREG/test/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image for $AREG/test/img:v1"* ]]
	[[ "$output" != *"$secret"* && "$output" != *"$b64"* ]]
	hull tag "$AREG/test/img:v1" "$AREG/test/copy:v2"
	run "$HULL" --root "$STORE" --debug push "$AREG/test/copy:v2"
	[ "$status" -eq 0 ]
	[[ "$output" != *"$secret"* && "$output" != *"$b64"* ]]
	skopeo inspect --tls-verify=false --creds "hulluser:$secret" "docker://$AREG/test/copy:v2" >/dev/null
	# Login again without flags: the stored credentials are checked.
	run "$HULL" login "$AREG" </dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Authenticating with existing credentials..." ]
	# A stored password that became wrong: pull fails clearly.
	jq --arg r "$AREG" --arg a "$(printf 'hulluser:bad' | base64 -w0)" '.auths[$r].auth = $a' \
		"$DOCKER_CONFIG/config.json" >"$BATS_TEST_TMPDIR/c.json"
	cp "$BATS_TEST_TMPDIR/c.json" "$DOCKER_CONFIG/config.json"
	run "$HULL" --root "$BATS_TEST_TMPDIR/s2" pull "$AREG/test/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unauthorized: incorrect username or password"* ]]
	run "$HULL" logout "$AREG"
	[ "$status" -eq 0 ]
	[ "$output" = "Removing login credentials for $AREG" ]
	[ "$(jq -c '.auths' "$DOCKER_CONFIG/config.json")" = "{}" ]
	run "$HULL" logout "$AREG"
	[ "$output" = "Not logged in to $AREG" ]
	# Podman's auth.json, named by --authfile or REGISTRY_AUTH_FILE, is read (and written).
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$AREG" "$b64" >"$BATS_TEST_TMPDIR/auth.json"
	"$HULL" --root "$BATS_TEST_TMPDIR/s3" pull -q --authfile "$BATS_TEST_TMPDIR/auth.json" "$AREG/test/img:v1"
	REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/auth.json" "$HULL" --root "$BATS_TEST_TMPDIR/s4" pull -q "$AREG/test/img:v1"
	run "$HULL" logout --authfile "$BATS_TEST_TMPDIR/auth.json" "http://$AREG/v2/"
	[ "$output" = "Removing login credentials for $AREG" ]
	hull system check
}

# Credential helpers the test writes into $BATS_TEST_TMPDIR/bin (put first on PATH):
# docker-credential-NAME keeps its credentials in $BATS_TEST_TMPDIR/NAME.json (server ->
# {Username, Secret}) and logs each call's argv to NAME.log; docker-credential-broken fails.
make_cred_helpers() {
	local b="$BATS_TEST_TMPDIR/bin" name
	mkdir -p "$b"
	for name in "$@"; do
		cat >"$b/docker-credential-$name" <<-EOF
			#!/bin/bash
			store="$BATS_TEST_TMPDIR/$name.json"
			[ -f "\$store" ] || echo '{}' >"\$store"
			echo "\$0 \$*" >>"$BATS_TEST_TMPDIR/$name.log"
			in=\$(cat)
			case "\$1" in
			get)
				jq -e --arg s "\$in" 'has(\$s)' "\$store" >/dev/null || { echo "credentials not found in native keychain"; exit 1; }
				jq -c --arg s "\$in" '.[\$s] + {ServerURL: \$s}' "\$store" ;;
			store)
				jq --argjson e "\$in" '.[\$e.ServerURL] = {Username: \$e.Username, Secret: \$e.Secret}' "\$store" >"\$store.new"
				mv "\$store.new" "\$store" ;;
			erase)
				jq -e --arg s "\$in" 'has(\$s)' "\$store" >/dev/null || { echo "credentials not found in native keychain"; exit 1; }
				jq --arg s "\$in" 'del(.[\$s])' "\$store" >"\$store.new"
				mv "\$store.new" "\$store" ;;
			*) echo "unknown action"; exit 1 ;;
			esac
		EOF
		chmod +x "$b/docker-credential-$name"
	done
	printf '#!/bin/sh\ncat >/dev/null\necho "boom: the keychain is locked"\nexit 1\n' >"$b/docker-credential-broken"
	chmod +x "$b/docker-credential-broken"
	export PATH="$b:$PATH"
}

@test "credential helpers: login stores through credsStore (nothing in auths), pull and push get from it, logout erases; the secret never in argv or output" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	t="$BATS_TEST_TMPDIR"
	start_auth_registry
	make_cred_helpers fake
	secret='pa55-w0rd:5ecret'
	mkdir -p "$DOCKER_CONFIG"
	echo '{"credsStore": "fake"}' >"$DOCKER_CONFIG/config.json"
	run -0 "$HULL" login -u hulluser --password-stdin "$AREG" <<<"$secret"
	[ "$output" = "Login Succeeded" ]
	# The helper has the credentials; the file has none (and keeps its credsStore).
	[ "$(jq -c --arg r "$AREG" '.[$r]' "$t/fake.json")" = '{"Username":"hulluser","Secret":"pa55-w0rd:5ecret"}' ]
	[ "$(jq -c '.auths // {}' "$DOCKER_CONFIG/config.json")" = "{}" ]
	[ "$(jq -r .credsStore "$DOCKER_CONFIG/config.json")" = fake ]
	run -0 "$HULL" --root "$STORE" --debug pull "$AREG/test/img:v1"
	[[ "$output" == *"Downloaded newer image for $AREG/test/img:v1"* ]]
	[[ "$output" != *"$secret"* ]]
	hull tag "$AREG/test/img:v1" "$AREG/test/helper:v1"
	run -0 "$HULL" --root "$STORE" --debug push "$AREG/test/helper:v1"
	[[ "$output" != *"$secret"* ]]
	skopeo inspect --tls-verify=false --creds "hulluser:$secret" "docker://$AREG/test/helper:v1" >/dev/null
	# Every call: the action alone in argv, the server or secret on stdin only.
	cat "$t/fake.log"
	[ "$(grep -c " store$" "$t/fake.log")" -eq 1 ]
	grep -q " get$" "$t/fake.log"
	[ -z "$(grep -vE 'docker-credential-fake (get|store)$' "$t/fake.log")" ]
	run -0 "$HULL" logout "$AREG"
	[ "$output" = "Removing login credentials for $AREG" ]
	[ "$(jq -c . "$t/fake.json")" = "{}" ]
	grep -q " erase$" "$t/fake.log"
	run -0 "$HULL" logout "$AREG"
	[ "$output" = "Not logged in to $AREG" ]
	run -1 "$HULL" --root "$t/s2" pull "$AREG/test/img:v1"
	[[ "$output" == *"unauthorized: authentication required"* ]]
	hull system check
}

@test "credential helpers: credHelpers overrides credsStore; a helper that fails or is missing is a clear error naming it" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	t="$BATS_TEST_TMPDIR"
	start_auth_registry
	make_cred_helpers fake
	mkdir -p "$DOCKER_CONFIG"
	jq -n --arg r "$AREG" '{($r): {Username: "hulluser", Secret: "pa55-w0rd:5ecret"}}' >"$t/fake.json"
	jq -n --arg r "$AREG" '{credsStore: "broken", credHelpers: {($r): "fake"}}' >"$DOCKER_CONFIG/config.json"
	run -0 hull pull -q "$AREG/test/img:v1"
	grep -q " get$" "$t/fake.log"
	# credsStore alone: the broken helper is asked, and its failure is the command's.
	jq -n '{credsStore: "broken"}' >"$DOCKER_CONFIG/config.json"
	run -1 "$HULL" --root "$t/s2" pull "$AREG/test/img:v1"
	[[ "$output" == *"credential helper docker-credential-broken get: exit status 1: boom: the keychain is locked"* ]]
	run -1 "$HULL" login -u hulluser --password-stdin "$AREG" <<<"pa55-w0rd:5ecret"
	[[ "$output" == *"credential helper docker-credential-broken store: exit status 1: boom: the keychain is locked"* ]]
	[[ "$output" != *"pa55-w0rd"* ]]
	run -1 "$HULL" logout "$AREG"
	[[ "$output" == *"docker-credential-broken erase: exit status 1"* ]]
	# A helper that is not on PATH.
	jq -n --arg r "$AREG" '{credHelpers: {($r): "missing"}}' >"$DOCKER_CONFIG/config.json"
	run -1 "$HULL" --root "$t/s2" pull "$AREG/test/img:v1"
	[[ "$output" == *"credential helper docker-credential-missing: not found in PATH"* ]]
	# A name that is a path is no helper.
	jq -n --arg r "$AREG" '{credHelpers: {($r): "../bin/x"}}' >"$DOCKER_CONFIG/config.json"
	run -1 "$HULL" --root "$t/s2" pull "$AREG/test/img:v1"
	[[ "$output" == *'credential helper "../bin/x": not a helper name'* ]]
	"$HULL" --root "$t/s2" system check
}

@test "credential helpers: a Username of <token> makes the Secret an identity token, sent to the token server in an OAuth2 POST" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	t="$BATS_TEST_TMPDIR"
	start_token_registry
	make_cred_helpers fake
	mkrootfs_tgz
	hull import "$t/rootfs.tgz" "$TREG/id/img:v1" >/dev/null
	hull push -q "$TREG/id/img:v1" >/dev/null
	# From now on the token server wants this identity token, and only in a POST.
	echo "id-t0ken-5ecret" >"$TOK/refresh"
	mkdir -p "$DOCKER_CONFIG"
	echo '{"credsStore": "fake"}' >"$DOCKER_CONFIG/config.json"
	run -1 "$HULL" --root "$t/s2" pull "$TREG/id/img:v1"
	[[ "$output" == *"unauthorized: authentication required"* ]]
	jq -n --arg r "$TREG" '{($r): {Username: "<token>", Secret: "wrong"}}' >"$t/fake.json"
	run -1 "$HULL" --root "$t/s2" pull "$TREG/id/img:v1"
	[[ "$output" == *"unauthorized: the identity token was refused"* ]]
	jq -n --arg r "$TREG" '{($r): {Username: "<token>", Secret: "id-t0ken-5ecret"}}' >"$t/fake.json"
	: >"$TOK/token.log"
	run -0 "$HULL" --root "$t/s2" --debug pull "$TREG/id/img:v1"
	[[ "$output" != *"id-t0ken-5ecret"* ]]
	cat "$TOK/token.log"
	grep -q '^POST grant_type=refresh_token&client_id=hull&service=hull-test&scope=repository%3Aid%2Fimg%3Apull$' "$TOK/token.log"
	[ -z "$(grep -v '^POST ' "$TOK/token.log")" ]
	"$HULL" --root "$t/s2" system check
}

@test "login: credentials go to the registry (basic) or its token server (bearer), never to a redirect's host, never printed" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	secret='s3cr3t-pw'
	for mode in basic bearer; do
		t="$BATS_TEST_TMPDIR/$mode"
		mkdir -p "$t"
		python3 "$REPO_ROOT/tests/helpers/fakeregistry.py" "$BATS_FILE_TMPDIR/img.tar" x/y v1 "$t" "$mode:u1:$secret" &
		fake=$!
		BG_PIDS+=("$fake")
		for _ in $(seq 1 100); do [ -f "$t/ports" ] && break; sleep 0.05; done
		read -r rport tport sport <"$t/ports"
		run "$HULL" login -u u1 --password-stdin "127.0.0.1:$rport" <<<"nope"
		[ "$status" -eq 1 ]
		[[ "$output" == *"unauthorized: incorrect username or password"* ]]
		if [ $mode = basic ]; then
			# On a terminal: Docker's prompts, the password not echoed.
			run script -qfec "$HULL login 127.0.0.1:$rport" /dev/null < <(sleep 1; printf 'u1\n'; sleep 1; printf '%s\n' "$secret"; sleep 2)
			[ "$status" -eq 0 ]
			[[ "$output" == *"Username: u1"*"Password: "*"Login Succeeded"* ]]
			[[ "$output" != *"$secret"* ]]
			rm -r "$DOCKER_CONFIG"
		fi
		run "$HULL" login -u u1 -p "$secret" "127.0.0.1:$rport"
		[ "$status" -eq 0 ]
		[[ "$output" == *"WARNING! Using --password via the CLI is insecure"* ]]
		[ "${lines[-1]}" = "Login Succeeded" ]
		run "$HULL" --root "$t/store" --debug pull "127.0.0.1:$rport/x/y:v1"
		kill "$fake"
		wait "$fake" || true
		[ "$status" -eq 0 ]
		[[ "$output" != *"$secret"* && "$output" != *"hull-test-token-5ecret"* ]]
		basic="Basic $(printf 'u1:%s' "$secret" | base64 -w0)"
		grep -q "^storage " "$t/auth.log"
		[ -z "$(grep '^storage ' "$t/auth.log" | grep -v ' -$')" ]
		if [ $mode = basic ]; then
			grep -q "^registry /v2/x/y/manifests/v1 $basic$" "$t/auth.log"
			[ -z "$(grep '^token ' "$t/auth.log")" ]
		else
			grep -q "^token /token?service=fake&scope=repository%3Ax%2Fy%3Apull&account=u1 $basic$" "$t/auth.log"
			[ -z "$(grep "^registry .*Basic" "$t/auth.log")" ]
		fi
	done
}

@test "CVE-2020-15157: layer descriptors whose urls name another host are pulled from the registry; the urls' host gets no request, no credentials" {
	export DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker"
	t="$BATS_TEST_TMPDIR"
	secret='s3cr3t-pw'
	FAKE_FOREIGN_URLS=1 python3 "$REPO_ROOT/tests/helpers/fakeregistry.py" "$BATS_FILE_TMPDIR/img.tar" x/y v1 "$t" "basic:u1:$secret" &
	fake=$!
	BG_PIDS+=("$fake")
	for _ in $(seq 1 100); do [ -f "$t/ports" ] && break; sleep 0.05; done
	read -r rport tport sport <"$t/ports"
	run "$HULL" login -u u1 --password-stdin "127.0.0.1:$rport" <<<"$secret"
	[ "$status" -eq 0 ]
	run "$HULL" --root "$STORE" --debug pull "127.0.0.1:$rport/x/y:v1"
	kill "$fake"
	wait "$fake" || true
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image"* ]]
	[[ "$output" != *"$secret"* ]]
	# The manifest served really carries the foreign urls, and the layers came from the registry
	# (through its storage redirect), never from the urls' host.
	[ -s "$t/foreign-port" ]
	grep -q "^registry /v2/x/y/manifests/v1 Basic " "$t/auth.log"
	[ -z "$(grep '^foreign ' "$t/auth.log")" ]
	grep -q "^storage " "$t/auth.log"
	[ -z "$(grep -E '^(storage|foreign) ' "$t/auth.log" | grep -v ' -$')" ]
	hull system check
}

@test "resume: a pull killed mid-layer asks only for the rest (HTTP Range); a layer that had arrived is not downloaded again" {
	t="$BATS_TEST_TMPDIR"
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/small.tar" f:small:1
	mkdir "$t/bigdir"
	head -c 6000000 /dev/urandom >"$t/bigdir/big"
	tar -C "$t/bigdir" -cf "$t/big.tar" big
	gzip -1 "$t/small.tar" "$t/big.tar"
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$t/img.tar" "$t/small.tar.gz" "$t/big.tar.gz"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$t/img.tar" "docker://$REG/test/big:v1"
	small=$(sha256sum "$t/small.tar.gz" | cut -d' ' -f1)
	big=$(sha256sum "$t/big.tar.gz" | cut -d' ' -f1)
	total=$(stat -c %s "$t/big.tar.gz")
	# The registry behind a proxy that counts what it sends and sends blobs at 1 MB/s.
	mkdir "$t/proxy"
	touch "$t/proxy/slow"
	python3 "$REPO_ROOT/tests/helpers/slowproxy.py" "${REG##*:}" 1000000 "$t/proxy" &
	BG_PIDS+=("$!")
	for _ in $(seq 1 100); do [ -f "$t/proxy/port" ] && break; sleep 0.05; done
	PREG="127.0.0.1:$(cat "$t/proxy/port")"
	"$HULL" --root "$STORE" pull -q "$PREG/test/big:v1" >/dev/null 2>&1 &
	pull=$!
	BG_PIDS+=("$pull")
	for _ in $(seq 1 300); do
		[ "$(stat -c %s "$STORE/downloads/$big" 2>/dev/null || echo 0)" -ge 2000000 ] && break
		sleep 0.05
	done
	kill -9 "$pull"
	wait "$pull" || true
	have=$(stat -c %s "$STORE/downloads/$big")
	[ "$have" -ge 2000000 ]
	[ "$have" -lt "$total" ]
	rm "$t/proxy/slow"
	run hull pull "$PREG/test/big:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image"* ]]
	# The big blob: the second request asked for the rest only, and got only that.
	grep "^GET /v2/test/big/blobs/sha256:$big " "$t/proxy/proxy.log" >"$t/big.log"
	[ "$(wc -l <"$t/big.log")" -eq 2 ]
	[ "$(sed -n 2p "$t/big.log")" = "GET /v2/test/big/blobs/sha256:$big bytes=$have- 206 $((total - have))" ]
	# The small layer had all arrived before the kill: verified locally, not fetched again.
	[ "$(grep -c "^GET /v2/test/big/blobs/sha256:$small " "$t/proxy/proxy.log")" -eq 1 ]
	# Done: no partial download left; the image is whole.
	ls -lA "$STORE/downloads"; echo "corrupt: $layer"
	[ -z "$(ls -A "$STORE/downloads")" ]
	cmp "$t/bigdir/big" "$(find "$STORE/layers" -path '*/diff/big')"
	hull system check
}

@test "resume: a server that ignores Range sends the whole blob, which replaces the part; a corrupt complete partial is downloaded anew" {
	t="$BATS_TEST_TMPDIR"
	python3 "$REPO_ROOT/tests/helpers/fakeregistry.py" "$BATS_FILE_TMPDIR/img.tar" x/y v1 "$t" &
	fake=$!
	BG_PIDS+=("$fake")
	for _ in $(seq 1 100); do [ -f "$t/ports" ] && break; sleep 0.05; done
	read -r rport tport sport <"$t/ports"
	mkdir -p "$t/oci"
	tar -C "$t/oci" -xf "$BATS_FILE_TMPDIR/img.tar"
	manifest=$(jq -r '.manifests[0].digest' "$t/oci/index.json")
	l1=$(jq -r '.layers[0].digest' "$t/oci/blobs/sha256/${manifest#sha256:}")
	l2=$(jq -r '.layers[1].digest' "$t/oci/blobs/sha256/${manifest#sha256:}")
	b1="$t/oci/blobs/sha256/${l1#sha256:}"
	b2="$t/oci/blobs/sha256/${l2#sha256:}"
	mkdir -p "$STORE/downloads"
	# Layer 1: its first half, which the fake's storage server (no Range support) resends whole.
	head -c $(($(stat -c %s "$b1") / 2)) "$b1" >"$STORE/downloads/${l1#sha256:}"
	# Layer 2: as long as the blob, but wrong.
	head -c "$(stat -c %s "$b2")" /dev/zero >"$STORE/downloads/${l2#sha256:}"
	run "$HULL" --root "$STORE" --debug pull "127.0.0.1:$rport/x/y:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resuming at byte"* ]]
	[[ "$output" == *"the earlier partial download is corrupt"* ]]
	[ "$(grep -c "^storage /storage/$l2 " "$t/auth.log")" -eq 1 ]
	ls -lA "$STORE/downloads"; echo "corrupt: $layer"
	[ -z "$(ls -A "$STORE/downloads")" ]
	hull system check
}

@test "resume: partial downloads a day old are collected, recent ones kept for the next pull" {
	mkrootfs_tgz
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" x >/dev/null
	old=$(printf 'a%.0s' $(seq 64))
	new=$(printf 'b%.0s' $(seq 64))
	mkdir -p "$STORE/downloads"
	echo part >"$STORE/downloads/$old"
	echo part >"$STORE/downloads/$new"
	touch -d '2 days ago' "$STORE/downloads/$old"
	hull import "$BATS_TEST_TMPDIR/rootfs.tgz" y >/dev/null
	[ ! -e "$STORE/downloads/$old" ]
	[ -e "$STORE/downloads/$new" ]
}

@test "plain HTTP only for loopback addresses (127.0.0.0/8, localhost, [::1]) and --tls-verify=false: not for a name that merely starts with 127." {
	run "$HULL" --root "$STORE" --debug pull 127.0.0.1.invalid/x/y:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET https://127.0.0.1.invalid/v2/x/y/manifests/v1"* ]]
	run "$HULL" --root "$STORE" --debug pull 127.0.0.1:1/x/y:v1
	[[ "$output" == *"GET http://127.0.0.1:1/v2/x/y/manifests/v1"* ]]
	run "$HULL" --root "$STORE" --debug pull localhost:1/x/y:v1
	[[ "$output" == *"GET http://localhost:1/v2/x/y/manifests/v1"* ]]
	run "$HULL" --root "$STORE" --debug pull '[::1]:1/x/y:v1'
	[[ "$output" == *"GET http://[::1]:1/v2/x/y/manifests/v1"* ]]
	run "$HULL" --root "$STORE" --debug pull '[::2]:1/x/y:v1'
	[[ "$output" == *"GET https://[::2]:1/v2/x/y/manifests/v1"* ]]
	# A registry the user names as insecure, and only then.
	run "$HULL" --root "$STORE" --debug pull --tls-verify=false 127.0.0.1.invalid/x/y:v1
	[ "$status" -eq 1 ]
	[[ "$output" == *"GET http://127.0.0.1.invalid/v2/x/y/manifests/v1"* ]]
	run "$HULL" --root "$STORE" --debug push --tls-verify=false 127.0.0.1.invalid/x/y:v1
	[ "$status" -eq 1 ]
	run "$HULL" --root "$STORE" pull --tls-verify=maybe 127.0.0.1.invalid/x/y:v1
	[ "$status" -eq 125 ]
	[[ "$output" == *'invalid value "maybe" for --tls-verify'* ]]
}

@test "bad input: a truncated blob in the registry, an index with another platform only: clear error, store as before" {
	layer=$(skopeo inspect --tls-verify=false "docker://$REG/test/img:v1" | jq -r '.Layers[0]')
	data="$REG_DIR/data/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
	cp "$data" "$BATS_TEST_TMPDIR/good"
	truncate -s $(($(stat -c %s "$data") / 2)) "$data"
	run hull pull "$REG/test/img:v1"
	cp "$BATS_TEST_TMPDIR/good" "$data"
	[ "$status" -eq 1 ]
	# docker-registry serves what it has, so the short blob arrives whole: its digest is wrong.
	[[ "$output" == *"layer ${layer:7:12}: digest mismatch: expected $layer, got sha256:"* ]]
	store_empty
	hull system check
	# The registry has the image for linux/arm64 only.
	local t=$BATS_TEST_TMPDIR
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/a.tar" f:a:1
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci --index --arm64-only "$t/arm.tar" "$t/a.tar"
	skopeo copy -q --all --dest-tls-verify=false "oci-archive:$t/arm.tar" "docker://$REG/test/armonly:v1"
	run hull pull "$REG/test/armonly:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no image for linux/amd64 in"* ]]
	store_empty
	hull system check
	hull pull -q --platform linux/arm64 "$REG/test/armonly:v1"
	[ "$(hull image inspect -f '{{.Architecture}}' "$REG/test/armonly:v1")" = arm64 ]
}

@test "kill -9 at random points of pull (8 trials): only the crash's leftovers are reported, the next writer collects them, the next pull completes" {
	local t=$BATS_TEST_TMPDIR
	python3 - "$t/many.tar" <<-'PY'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], "w") as tf:
		    # 3000 small files: a pull takes long enough for the kill to land mid-unpacking.
		    for d in range(30):
		        for f in range(100):
		            i = tarfile.TarInfo("d%d/f%d" % (d, f)); i.size = 10
		            tf.addfile(i, io.BytesIO(b"0123456789"))
	PY
	python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/small.tar" f:x:1
	head -c 3000000 /dev/urandom >"$t/rand"
	tar -C "$t" -cf "$t/rand.tar" rand
	gzip "$t/many.tar" "$t/rand.tar"
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$t/img.tar" "$t/small.tar" "$t/many.tar.gz" "$t/rand.tar.gz"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$t/img.tar" "docker://$REG/test/kill:v1"
	for trial in $(seq 1 8); do
		"$HULL" --root "$STORE" pull -q "$REG/test/kill:v1" >/dev/null 2>&1 &
		pid=$!
		# Odd trials land early (manifest, downloads), even ones late (unpacking, commit).
		if [ $((trial % 2)) -eq 1 ]; then sleep "0.0$((RANDOM % 10))"; else sleep "0.$((RANDOM % 10))$((RANDOM % 10))"; fi
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" || true
		# check names nothing but the killed pull's leftovers (incomplete layers, and
		# layers that no image uses yet), which the next writer collects; the image is
		# there complete, or not at all.
		only_crash_leftovers
		# Any writer collects them, even one that then fails (no such image).
		hull tag nothing x 2>/dev/null || true
		run hull system check
		[ "$output" = "No problems found" ]
		if [ -n "$(hull images -q)" ]; then
			[ "$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/kill:v1" | jq length)" = 3 ]
		else
			store_empty
		fi
		# A pull then completes, and all is consistent.
		hull pull -q "$REG/test/kill:v1" >/dev/null
		run hull system check
		[ "$output" = "No problems found" ]
		hull rmi "$REG/test/kill:v1" >/dev/null
		store_empty
	done
}

@test "pull without a blocking sync: layers not yet on disk when the system went down are removed with their image in the next boot, and the next pull fetches them again" {
	mkdir -p "$STORE/durable" # the syncer cannot record: the pulled layers stay pending
	hull pull -q "$REG/test/img:v1" >/dev/null
	[ "$(sqlite3 "$STORE/hull.db" 'SELECT count(*) FROM layers_pending')" -eq 2 ]
	# The same boot: the image is there and used as it is.
	[ "$(hull images -q | wc -l)" -eq 1 ]
	# A later boot (as after a power cut): the image goes, the next writer collects the rest.
	sqlite3 "$STORE/hull.db" "UPDATE layers_pending SET boot_id = '00000000-0000-0000-0000-000000000000'"
	run hull images -q
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed: its layers were unpacked but not yet on disk"* ]]
	[ -z "$(hull images -q 2>&1)" ]
	hull tag nothing x 2>/dev/null || true
	run hull system check
	[ "$output" = "No problems found" ]
	store_empty
	rmdir "$STORE/durable"
	run hull pull "$REG/test/img:v1"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': Pull complete$' <<<"$output")" -eq 2 ]
	[ "$(cat "$STORE/layers/$(hull image inspect -f '{{json .RootFS.Layers}}' "$REG/test/img:v1" | jq -r '.[0]' | cut -c8-)/diff/etc/one")" = 1 ]
	hull system check
}

# start_proxy DIR: slowproxy.py in front of $REG with its state in DIR (created); sets PREG to
# its address. Files the test puts in DIR (delay, hold, release) steer it.
start_proxy() {
	mkdir -p "$1"
	python3 "$REPO_ROOT/tests/helpers/slowproxy.py" "${REG##*:}" 1000000000 "$1" &
	BG_PIDS+=("$!")
	for _ in $(seq 1 100); do [ -f "$1/port" ] && break; sleep 0.05; done
	PREG="127.0.0.1:$(cat "$1/port")"
}

# push_layers NAME N: an image of N small gzip layers (layer i holds the file pN/i) pushed to
# $REG/test/NAME:v1; their blob digests in $BATS_TEST_TMPDIR/digests, bottom first.
push_layers() {
	local t="$BATS_TEST_TMPDIR" i layers=()
	for i in $(seq 1 "$2"); do
		python3 "$REPO_ROOT/tests/helpers/mklayer.py" "$t/$1-$i.tar" "d:p$1" "f:p$1/$i:$i"
		gzip "$t/$1-$i.tar"
		layers+=("$t/$1-$i.tar.gz")
		sha256sum "$t/$1-$i.tar.gz" | cut -d' ' -f1 >>"$t/digests"
	done
	python3 "$REPO_ROOT/tests/helpers/mkimage.py" --format oci "$t/$1.tar" "${layers[@]}"
	skopeo copy -q --dest-tls-verify=false "oci-archive:$t/$1.tar" "docker://$REG/test/$1:v1"
}

@test "parallel downloads: the layers' blob requests overlap in time (each held 1 s by the proxy)" {
	push_layers par 4
	start_proxy "$BATS_TEST_TMPDIR/proxy"
	echo 1 >"$BATS_TEST_TMPDIR/proxy/delay"
	run hull pull -q "$PREG/test/par:v1"
	[ "$status" -eq 0 ]
	# The layers' requests (not the config's, fetched before them).
	grep -Ff "$BATS_TEST_TMPDIR/digests" "$BATS_TEST_TMPDIR/proxy/intervals.log" >"$BATS_TEST_TMPDIR/layers.log"
	cat "$BATS_TEST_TMPDIR/layers.log"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/layers.log")" -eq 4 ]
	# The most layer requests in flight at one moment: all four when they run in parallel,
	# one when they run one after another.
	most=$(awk '{ print $1, 1; print $2, -1 }' "$BATS_TEST_TMPDIR/layers.log" | sort -k1,1n -k2,2n |
		awk '{ n += $2; if (n > m) m = n } END { print m }')
	echo "most in flight: $most"
	[ "$most" -eq 4 ]
	for i in 1 2 3 4; do
		[ "$(cat "$(find "$STORE/layers" -path "*/diff/ppar/$i")")" = "$i" ]
	done
}

@test "parallel extraction: a layer is unpacked while another is still downloading" {
	push_layers ext 3
	start_proxy "$BATS_TEST_TMPDIR/proxy"
	# The top layer's blob is held back until the test sees the bottom layer's file unpacked
	# in the store: a pull that unpacked only after every download would never get it.
	tail -1 "$BATS_TEST_TMPDIR/digests" >"$BATS_TEST_TMPDIR/proxy/hold"
	"$HULL" --root "$STORE" pull -q "$PREG/test/ext:v1" >"$BATS_TEST_TMPDIR/pull.out" 2>&1 &
	pull=$!
	BG_PIDS+=("$pull")
	seen=""
	for _ in $(seq 1 400); do
		# find fails when a directory it walks is renamed or removed under it (the pull
		# moves a layer's staging directory into place): look again then.
		seen=$(find "$STORE/layers" -path '*/pext/1' 2>/dev/null || true)
		[ -n "$seen" ] && break
		sleep 0.05
	done
	echo "bottom layer's file while the top blob was held: ${seen:-none}"
	# Still downloading the top layer, while the bottom one is on disk.
	run ! grep -q "$(tail -1 "$BATS_TEST_TMPDIR/digests") " "$BATS_TEST_TMPDIR/proxy/proxy.log"
	touch "$BATS_TEST_TMPDIR/proxy/release"
	wait "$pull"
	[ -n "$seen" ]
	[ "$(cat "$(find "$STORE/layers" -path '*/diff/pext/3')")" = 3 ]
	hull system check
}

# in_private_etc HOSTS BUNDLE CMD...: CMD in a mount namespace of its own where HOSTS is
# /etc/hosts and, unless BUNDLE is "-", BUNDLE is the system's CA bundle (the file libcurl
# reads by default): the host's own trust is never changed.
in_private_etc() {
	local hosts=$1 bundle=$2
	shift 2
	unshare -m --propagation private sh -ec '
		mount --bind "$1" /etc/hosts
		[ "$2" = - ] || mount --bind "$2" /etc/ssl/certs/ca-certificates.crt
		shift 2
		exec "$@"' sh "$hosts" "$bundle" "$@"
}

@test "HTTPS with the system's CAs: a registry whose CA is unknown is refused (certificate error, nothing stored), trusted once the CA is in the system bundle; --tls-verify=false skips the check" {
	[ -f /etc/ssl/certs/ca-certificates.crt ] || skip "no system CA bundle"
	t="$BATS_TEST_TMPDIR"
	# A CA of the test's own and a certificate for hull-tls.test signed by it.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hull-test-ca -keyout "$t/ca.key" -out "$t/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=hull-tls.test -keyout "$t/srv.key" -out "$t/srv.csr" 2>/dev/null
	printf 'subjectAltName=DNS:hull-tls.test\n' >"$t/ext"
	openssl x509 -req -in "$t/srv.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial -days 2 \
		-extfile "$t/ext" -out "$t/srv.crt" 2>/dev/null
	# A TLS front for the registry, under a name that is not a loopback name (those are
	# spoken to in plain HTTP), resolved to 127.0.0.1 in the test's own /etc/hosts.
	SLOWPROXY_CERT="$t/srv.crt" SLOWPROXY_KEY="$t/srv.key" start_proxy "$t/proxy"
	port=${PREG##*:}
	{ cat /etc/hosts; echo "127.0.0.1 hull-tls.test"; } >"$t/hosts"
	sum=$(sha256sum /etc/ssl/certs/ca-certificates.crt)
	# The CA unknown: a certificate error, named, and nothing stored.
	run in_private_etc "$t/hosts" - "$HULL" --root "$STORE" pull "hull-tls.test:$port/test/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"https://hull-tls.test:$port/v2/"* ]]
	[[ "$output" == *[Cc]ertificate* ]]
	store_empty
	# The CA in the bundle libcurl reads by default (hull names no CA file of its own).
	cat /etc/ssl/certs/ca-certificates.crt "$t/ca.crt" >"$t/bundle.crt"
	run in_private_etc "$t/hosts" "$t/bundle.crt" "$HULL" --root "$STORE" pull "hull-tls.test:$port/test/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image for hull-tls.test:$port/test/img:v1"* ]]
	[ "$(cat "$(find "$STORE/layers" -path '*/diff/etc/one')")" = 1 ]
	hull rmi "hull-tls.test:$port/test/img:v1"
	hull system check
	# The CA unknown again, but the user said not to verify.
	run in_private_etc "$t/hosts" - "$HULL" --root "$STORE" pull --tls-verify=false "hull-tls.test:$port/test/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Downloaded newer image for hull-tls.test:$port/test/img:v1"* ]]
	# An insecure registry that speaks plain HTTP only, under the same name: HTTPS first
	# (it fails), then HTTP, as Docker and podman do.
	hull rmi "hull-tls.test:$port/test/img:v1"
	run in_private_etc "$t/hosts" - "$HULL" --root "$STORE" --debug pull --tls-verify=false "hull-tls.test:${REG##*:}/test/img:v1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"GET https://hull-tls.test:${REG##*:}/v2/test/img/manifests/v1"*"GET http://hull-tls.test:${REG##*:}/v2/test/img/manifests/v1"* ]]
	[[ "$output" == *"Downloaded newer image for hull-tls.test:${REG##*:}/test/img:v1"* ]]
	# Without --tls-verify=false, never plain HTTP to a name that is not a loopback one.
	run in_private_etc "$t/hosts" - "$HULL" --root "$STORE" --debug pull "hull-tls.test:${REG##*:}/test/img:v1"
	[ "$status" -eq 1 ]
	[[ "$output" != *"GET http://"* ]]
	# The host's trust was never touched.
	[ "$(sha256sum /etc/ssl/certs/ca-certificates.crt)" = "$sum" ]
	grep -q "^GET /v2/test/img/manifests/v1 " "$t/proxy/proxy.log"
}

@test "HTTP/2 where offered: behind a TLS front speaking h2 (nghttpx), every request goes over HTTP/2 and the blobs share one connection" {
	command -v nghttpx >/dev/null || skip "nghttpx (nghttp2-proxy) missing"
	[ -f /etc/ssl/certs/ca-certificates.crt ] || skip "no system CA bundle"
	t="$BATS_TEST_TMPDIR"
	push_layers h2 6
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=hull-test-ca -keyout "$t/ca.key" -out "$t/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=hull-h2.test -keyout "$t/srv.key" -out "$t/srv.csr" 2>/dev/null
	printf 'subjectAltName=DNS:hull-h2.test\n' >"$t/ext"
	openssl x509 -req -in "$t/srv.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial -days 2 \
		-extfile "$t/ext" -out "$t/srv.crt" 2>/dev/null
	{ cat /etc/hosts; echo "127.0.0.1 hull-h2.test"; } >"$t/hosts"
	cat /etc/ssl/certs/ca-certificates.crt "$t/ca.crt" >"$t/bundle.crt"
	# nghttpx offers the ALPN list given and speaks HTTP/1.1 to the registry; its log names
	# each request's protocol and the client's port, one port per TCP connection.
	for alpn in h2,http/1.1 http/1.1; do
		for _ in 1 2 3 4 5; do
			port=$((20000 + RANDOM % 30000))
			nghttpx --conf=/dev/null --workers=1 --npn-list="$alpn" -f"127.0.0.1,$port" -b"127.0.0.1,${REG##*:}" \
				--accesslog-file="$t/access.log" --accesslog-format='$alpn $remote_port $method $path $status' \
				--errorlog-file="$t/error.log" "$t/srv.key" "$t/srv.crt" &
			ngx=$!
			BG_PIDS+=("$ngx")
			for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/v2/" && break; sleep 0.05; done
			curl -sk -o /dev/null "https://127.0.0.1:$port/v2/" && break
			kill "$ngx" 2>/dev/null || true
		done
		: >"$t/access.log"
		run in_private_etc "$t/hosts" "$t/bundle.crt" "$HULL" --root "$STORE" pull "hull-h2.test:$port/test/h2:v1"
		kill "$ngx"
		wait "$ngx" || true
		[ "$status" -eq 0 ]
		[[ "$output" == *"Downloaded newer image for hull-h2.test:$port/test/h2:v1"* ]]
		run -0 hull rmi "hull-h2.test:$port/test/h2:v1"
		# Every request: the manifest, the config and the six layers' blobs.
		[ "$(grep -c ' GET /v2/test/h2/blobs/sha256:' "$t/access.log")" -eq 7 ]
		layer_conns=$(grep ' GET /v2/test/h2/blobs/' "$t/access.log" | tail -n 6 | cut -d' ' -f2 | sort -u | wc -l)
		if [ "$alpn" = h2,http/1.1 ]; then
			# All over HTTP/2, and connections reused: the manifest and the config share the
			# registry client's, and the six layers, fetched in parallel, are streams of one
			# more (without CURLOPT_PIPEWAIT each layer opened its own: seven in all).
			[ -z "$(grep -v '^h2 ' "$t/access.log")" ]
			[ "$(cut -d' ' -f2 "$t/access.log" | sort -u | wc -l)" -le 2 ]
			[ "$layer_conns" -eq 1 ]
		else
			# A TLS registry without HTTP/2: waiting for the handshake's answer must not make
			# the layers queue behind one HTTP/1.1 connection.
			[ -z "$(grep -v '^http/1.1 ' "$t/access.log")" ]
			[ "$layer_conns" -ge 2 ]
		fi
	done
	hull system check
}
