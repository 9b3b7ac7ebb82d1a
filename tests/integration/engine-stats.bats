#!/usr/bin/env bats
# hull stats: Docker's table and JSON, the memory limit and usage of the cgroup, CPU % of a
# busy container, -a with stopped containers, and the live stream until interrupted.
# Run as root: bats tests/integration/engine-stats.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "stats --no-stream: -m 128m shows the limit and a non-zero usage, a busy loop shows CPU" {
	busybox_image
	run -0 hull run -d --name busy -m 128m busybox sh -c 'sleep 1000 & while :; do :; done'
	remember "$output"
	sleep 0.3
	run -0 hull stats --no-stream
	# NET I/O is as wide as its widest value (Docker's tabwriter: padding 3, at least 10).
	[[ "${lines[0]}" == "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O "*" BLOCK I/O   PIDS" ]]
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +busy\ +[0-9.]+%\ +[0-9.]+[KM]iB\ /\ 128MiB\ +[0-9.]+%\ +[0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B\ +[0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B\ +2$ ]]
	run -0 hull stats --no-stream --format json busy
	[ "$(echo "$output" | jq -r .Name)" = busy ]
	[[ "$(echo "$output" | jq -r .MemUsage)" == *" / 128MiB" ]]
	[ "$(echo "$output" | jq -r .MemUsage)" != "0B / 128MiB" ]
	cpu=$(echo "$output" | jq -r .CPUPerc | tr -d %)
	# A spinning shell on a shared 2-core machine: well above idle, at most one core.
	awk -v c="$cpu" 'BEGIN { exit !(c > 5 && c < 110) }'
	run -0 hull stats --no-stream --format '{{.Name}}: {{.PIDs}}' busy
	[ "$output" = "busy: 2" ]
}

@test "stats -a shows stopped containers with zeros; the stream refreshes until interrupted" {
	busybox_image
	run -0 hull create --name idle busybox true
	remember "$output"
	run -0 hull run -d --name live busybox sleep 1000
	remember "$output"
	run -0 hull stats --no-stream --format '{{.Name}}'
	[ "$output" = live ]
	run -0 hull stats --no-stream -a --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}'
	[[ "$output" == *"idle 0.00% 0B / "*" 0"* ]]
	# The binary itself in the background (a function would run in a subshell that ignores SIGINT).
	"$HULL" --root "$STORE" --runroot "$RUNROOT" stats --format '{{.Name}}' live >"$BATS_TEST_TMPDIR/stream" 3>&- &
	pid=$!
	sleep 3
	kill -INT "$pid"
	wait "$pid"
	[ "$(grep -c '^live$' "$BATS_TEST_TMPDIR/stream")" -ge 2 ]
	run -1 hull stats --no-stream nosuch
	[[ "$output" == *"No such container: nosuch"* ]]
}

@test "stats NET I/O: the bytes of the container's interfaces but lo, as Docker's; none and host show 0B / 0B" {
	busybox_image
	run -0 hull run -d --name br busybox sleep 1000
	remember "$output"
	run -0 hull run -d --name no --network none busybox sleep 1000
	remember "$output"
	run -0 hull run -d --name ho --network host busybox sleep 1000
	remember "$output"
	gw=$(hull inspect -f '{{.NetworkSettings.Gateway}}' br)
	[ -n "$gw" ]
	# 20 pings of 1000 bytes each way: at least 20 kB received and sent on eth0.
	run -0 hull exec br busybox ping -c 20 -i 0.05 -s 1000 -W 1 "$gw"
	run -0 hull stats --no-stream --format '{{.Name}} {{.NetIO}}' br no ho
	[[ "${lines[0]}" =~ ^br\ ([0-9.]+)kB\ /\ ([0-9.]+)kB$ ]]
	awk -v r="${BASH_REMATCH[1]}" -v t="${BASH_REMATCH[2]}" 'BEGIN { exit !(r >= 20 && t >= 20) }'
	[ "${lines[1]}" = "no 0B / 0B" ]
	[ "${lines[2]}" = "ho 0B / 0B" ]
	run -0 hull stats --no-stream --format json br
	[[ "$(echo "$output" | jq -r .NetIO)" == *kB" / "*kB ]]
}

@test "top: the container's processes (from the runtime's pids) in ps -ef's columns; a stopped one is refused" {
	busybox_image
	# "; true": sh would otherwise replace itself with the last sleep.
	run -0 hull run -d --name tp busybox sh -c 'sleep 1001 & sleep 1002; true'
	remember "$output"
	sleep 0.3
	run -0 hull top tp
	[[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]]
	[ "${#lines[@]}" -eq 4 ]
	# Host pids: pid 1 of the container is the monitor's child, the sleeps are its children.
	init=$(hull inspect -f '{{.State.Pid}}' tp)
	[[ "${lines[1]}" =~ ^root\ +$init\ +[0-9]+\ +[0-9]+\ +[0-9:A-Za-z]+\ +\?\ +00:00:00\ +sh\ -c\ sleep\ 1001\ \&\ sleep\ 1002\;\ true$ ]]
	echo "$output" | grep -E "^root +[0-9]+ +$init .* sleep 1001$"
	echo "$output" | grep -E "^root +[0-9]+ +$init .* sleep 1002$"
	run -0 hull container top tp
	[ "${#lines[@]}" -eq 4 ]
	run -0 hull stop -t 1 tp
	run -1 hull top tp
	[[ "$output" == *"is not running"* ]]
}
