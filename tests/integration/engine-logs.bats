#!/usr/bin/env bats
# hull logs and the json-file log options: --log-opt max-size/max-file rotation through the
# engine (the monitor's side is in monitor.bats), and logs -t, --since, --until, --tail over
# rotated files. Run as root: bats tests/integration/engine-logs.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "--log-opt max-size/max-file: ctr.log rotates; logs shows the kept files oldest first, --tail counts over them" {
	busybox_image
	run -0 hull run -d --name rot --log-opt max-size=2k --log-opt max-file=3 busybox \
		sh -c 'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; sleep 100'
	id=$output
	remember "$id"
	run -0 hull inspect -f '{{.HostConfig.LogConfig.Type}} {{json .HostConfig.LogConfig.Config}}' rot
	[ "$output" = 'json-file {"max-size":"2k","max-file":"3"}' ] || [ "$output" = 'json-file {"max-file":"3","max-size":"2k"}' ]
	dir=$STORE/containers/$id
	wait_until 10 grep -q '"line 299\\n"' "$dir/ctr.log"
	# Three files at most, each within 2000 bytes (decimal, as Docker's json-file).
	[ -f "$dir/ctr.log.1" ]
	[ -f "$dir/ctr.log.2" ]
	[ ! -e "$dir/ctr.log.3" ]
	for f in "$dir"/ctr.log*; do
		[ "$(stat -c %s "$f")" -le 2000 ]
	done
	kept=$(cat "$dir/ctr.log.2" "$dir/ctr.log.1" "$dir/ctr.log" | wc -l)
	# logs: every kept line, in order, ending with the last one written.
	run -0 hull logs rot
	[ "${#lines[@]}" -eq "$kept" ]
	[ "${lines[-1]}" = "line 299" ]
	first=${lines[0]#line }
	[ "$first" -gt 0 ]
	for ((k = 0; k < kept; k++)); do
		[ "${lines[k]}" = "line $((first + k))" ]
	done
	run -0 hull logs --tail "$((kept - 2))" rot
	[ "${#lines[@]}" -eq "$((kept - 2))" ]
	[ "${lines[0]}" = "line $((first + 2))" ]
	run -0 hull rm -f rot
}

@test "--log-opt: an unknown key, a bad max-size or max-file is 125 naming it, nothing created" {
	busybox_image
	run -125 hull run -d --log-opt max-size=lots busybox true
	[[ "$output" == *"max-size"* ]]
	run -125 hull run -d --log-opt max-file=0 busybox true
	[[ "$output" == *"max-file"* ]]
	run -125 hull create --log-opt compress-everything=yes busybox true
	[[ "$output" == *"unknown log opt 'compress-everything' for json-file log driver"* ]]
	run -0 hull ps -aq
	[ -z "$output" ]
}

@test "logs -t, --since, --until: RFC 3339 timestamps; lines selected by time, absolute or relative" {
	busybox_image
	run -0 hull run -d --name ts busybox sh -c 'echo one; sleep 1.2; echo two; sleep 1.2; echo three; sleep 100'
	remember "$output"
	retry 50 sh -c "'$HULL' --root '$STORE' --runroot '$RUNROOT' logs ts | grep -q three"
	run -0 hull logs -t ts
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]+Z\ one$ ]]
	[[ "${lines[1]}" == *" two" ]]
	[[ "${lines[2]}" == *" three" ]]
	t2=${lines[1]%% *}
	run -0 hull logs --since "$t2" ts
	[ "$output" = "$(printf 'two\nthree')" ]
	run -0 hull logs --until "$t2" ts
	[ "$output" = "$(printf 'one\ntwo')" ]
	run -0 hull logs --since "$t2" --until "$t2" ts
	[ "$output" = two ]
	# Relative durations: every line is younger than a minute.
	run -0 hull logs --since 60s ts
	[ "$output" = "$(printf 'one\ntwo\nthree')" ]
	run -0 hull logs --until 60s ts
	[ -z "$output" ]
	run -125 hull logs --since yesterday-ish ts
	run -0 hull rm -f ts
}
