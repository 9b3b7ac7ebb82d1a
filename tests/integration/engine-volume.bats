#!/usr/bin/env bats
# Named and anonymous volumes: volume create/ls/inspect/rm/prune with Docker's output,
# -v name:/path, -v /path and the image's VOLUMEs (copied up from the image), rm -v, and
# a volume in use that cannot be removed. Run as root: bats tests/integration/engine-volume.bats

bats_require_minimum_version 1.5.0
load lib/engine

# busybox with /data holding a file and declared a VOLUME in the image's config.
_volume_fill() {
	busybox_rootfs_copy "$1" || return 1
	mkdir -p "$1/data" "$1/seed"
	echo from-image >"$1/data/seeded"
	echo seed >"$1/seed/s"
}

volume_image() {
	busybox_image
	build_image volimg _volume_fill -c 'VOLUME /data'
}

@test "volume create, ls, inspect, rm with Docker's output" {
	run -0 hull volume create v1
	[ "$output" = v1 ]
	run -0 hull volume create --label a=b v2
	run -0 hull volume ls
	[ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
	[ "${lines[1]}" = "local     v1" ]
	[ "${lines[2]}" = "local     v2" ]
	run -0 hull volume ls -q --filter label=a=b
	[ "$output" = v2 ]
	run -0 hull volume inspect v1
	[ "$(echo "$output" | jq -r '.[0].Name, .[0].Driver, .[0].Mountpoint, .[0].Scope')" = "v1
local
$STORE/volumes/v1/_data
local" ]
	[[ "$(echo "$output" | jq -r '.[0].CreatedAt')" =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	run -0 hull volume inspect -f '{{.Labels.a}}' v2
	[ "$output" = b ]
	run -1 --separate-stderr hull volume inspect -f '{{.Name}}' nosuch1 v2 nosuch2
	[ "$output" = v2 ]
	[ "$stderr" = "Error: get nosuch1: no such volume
Error: get nosuch2: no such volume" ]
	[ -d "$STORE/volumes/v1/_data" ]
	run -0 hull volume rm v1 v2
	[ "$output" = "v1
v2" ]
	[ ! -e "$STORE/volumes/v1" ]
	run -1 hull volume rm v1
	[[ "$output" == *"no such volume"* ]]
	run -0 hull volume rm -f v1
	run -1 hull volume create 'bad/name'
	[[ "$output" == *"includes invalid characters for a local volume name"* ]]
	run -0 hull volume create
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run -0 hull volume rm "$output"
}

@test "-v name:/path shares data, is copied up from the image once, and cannot be removed in use" {
	volume_image
	run -0 hull run --rm -v shared:/seed volimg sh -c 'cat /seed/s; echo more >/seed/t'
	[ "$output" = seed ]
	run -0 hull run --rm -v shared:/other volimg cat /other/s /other/t
	[ "$output" = "seed
more" ]
	run -0 hull create --name user -v shared:/x volimg true
	remember "$output"
	run -1 hull volume rm shared
	[[ "$output" == *"volume is in use - ["*"]"* ]]
	[ -d "$STORE/volumes/shared/_data" ]
	run -0 hull volume ls -q --filter dangling=false
	[[ "$output" == *shared* ]]
	run -0 hull rm user
	run -0 hull volume rm shared
}

@test "anonymous volumes from VOLUME and -v /path: copied up, listed, removed by rm -v and prune" {
	volume_image
	run -0 hull create --name a1 -v /anon volimg cat /data/seeded
	remember "$output"
	run -0 hull volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	run -0 hull start -a a1
	[ "$output" = from-image ]
	run -0 hull inspect -f '{{json .HostConfig.Mounts}}' a1
	# The container's anonymous volume for /data holds the image's file (copy-up).
	name=$(echo "$output" | jq -r '.[] | select(.Target == "/data") | .Source')
	[ "$(cat "$STORE/volumes/$name/_data/seeded")" = from-image ]
	run -0 hull rm -v a1
	run -0 hull volume ls -q
	[ -z "$output" ]
	# Without -v they stay, and prune removes them (anonymous ones only, unless -a).
	run -0 hull create --name a2 volimg true
	remember "$output"
	run -0 hull volume create keep
	run -0 hull rm a2
	run -0 hull volume prune -f
	[[ "${lines[0]}" == "Deleted Volumes:" ]]
	[[ "${lines[1]}" =~ ^[0-9a-f]{64}$ ]]
	[[ "$output" == *"Total reclaimed space: "* ]]
	run -0 hull volume ls -q
	[ "$output" = keep ]
	# A filter spares what it does not select (engine-prune.bats has every key).
	run -0 hull volume prune -af --filter label=spare
	run -0 hull volume ls -q
	[ "$output" = keep ]
	run -0 hull volume prune -af
	run -0 hull volume ls -q
	[ -z "$output" ]
}
