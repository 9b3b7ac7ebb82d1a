#!/usr/bin/env bats
# hull events: the journal of container, image and volume events, --since/--until,
# --filter, --format json, and following new events until interrupted.
# Run as root: bats tests/integration/engine-events.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "events: a container's life in order, filters, json, --since/--until" {
	busybox_image
	start=$(date +%s.%N)
	run -0 hull run -d --name ev -l tier=web busybox sleep 1000
	id=$output
	remember "$id"
	run -0 hull stop -t 1 ev
	run -0 hull volume create evvol
	run -0 hull rm ev
	run -0 hull volume rm evvol
	run -0 hull tag busybox mine:1
	run -0 hull rmi mine:1
	sleep 0.1
	end=$(date +%s.%N)
	run -0 hull events --since "$start" --until "$end" --filter type=container --format '{{.Action}}'
	# busybox's sleep as pid 1 ignores SIGTERM: stop kills it after its second.
	[ "$(echo "$output" | tr '\n' ' ')" = "create start kill kill die stop destroy " ]
	run -0 hull events --since "$start" --until "$end" --filter event=die --format json
	[ "$(echo "$output" | jq -r '.Actor.ID, .Actor.Attributes.exitCode, .Type, .status, .Actor.Attributes.name')" = "$id
137
container
die
ev" ]
	run -0 hull events --since "$start" --until "$end" --filter type=volume
	[[ "${lines[0]}" =~ ^20[0-9-]+T[0-9:.]+Z\ volume\ create\ evvol$ ]]
	[[ "${lines[1]}" == *" volume destroy evvol" ]]
	run -0 hull events --since "$start" --until "$end" --filter type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	[ "$output" = "tag mine:1
untag mine:1" ]
	run -0 hull events --since "$start" --until "$end" --filter container=ev --filter event=start
	[[ "$output" == *" container start $id (image=busybox, name=ev, tier=web)" ]]
	# The container's labels are attributes of its events, as dockerd's, and filter them.
	run -0 hull events --since "$start" --until "$end" --filter label=tier=web --format '{{.Action}}'
	[ "$(echo "$output" | tr '\n' ' ')" = "create start kill kill die stop destroy " ]
	run -0 hull events --since "$start" --until "$end" --filter label=tier=db
	[ -z "$output" ]
	# --until before anything: nothing.
	run -0 hull events --since 1 --until "$start"
	[ -z "$output" ]
	run -125 hull events --since yesterday
	run -125 hull events --filter bogus=1
}

@test "events: without --since it streams only new events until interrupted" {
	busybox_image
	run -0 hull run --rm --name old busybox true
	"$HULL" --root "$STORE" --runroot "$RUNROOT" events --format '{{.Action}} {{.Actor.Attributes.name}}' \
		>"$BATS_TEST_TMPDIR/stream" 3>&- &
	pid=$!
	sleep 0.5
	run -0 hull create --name new busybox true
	remember "$output"
	sleep 0.5
	kill -INT "$pid"
	wait "$pid"
	[ "$(cat "$BATS_TEST_TMPDIR/stream")" = "create new" ]
}
