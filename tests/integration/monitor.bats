#!/usr/bin/env bats
# hull-monitor without the engine: each test writes a bundle (the runtime tests' busybox +
# payload rootfs) and a monitor.json by hand (CONTRACT §3), starts the monitor with fd 3 a
# file, and checks what it leaves: ctr.log, exit.json, health.json, the attach socket, the
# teardown commands, and the runtime's state (common.bash's teardown fails a test that
# leaves a container, a cgroup or a mount).
#
#   bats tests/integration/monitor.bats      # build/hull-monitor (MONITOR= to override)

load lib/common

: "${MONITOR:=$REPO_ROOT/build/hull-monitor}"

setup() {
	common_setup
	D="$BATS_TEST_TMPDIR/ctr"
	mkdir -p "$D"
	MON_PID=
}

teardown() {
	# A monitor still running is asked to stop its container, then killed; its container
	# is deleted by common_teardown.
	if [ -n "$MON_PID" ] && kill -0 "$MON_PID" 2>/dev/null; then
		kill "$MON_PID" 2>/dev/null
		sleep 0.5
		kill -9 "$MON_PID" 2>/dev/null
	fi
	common_teardown
}

# mon_config [JQ_FILTER [JQ_ARGS...]]: writes $D/monitor.json (the filter edits the defaults).
mon_config() {
	local filter="${1:-.}"
	shift || true
	jq -n --arg id "$CID" --arg b "$BUNDLE" --arg r "$STATE_ROOT" --arg d "$D" '{
		id: $id, bundle: $b, runtime_root: $r, systemd_cgroup: false,
		log_path: ($d + "/ctr.log"), log_max_size: 0, log_max_file: 1,
		attach_socket: ($d + "/attach.sock"), exit_file: ($d + "/exit.json"),
		pid_file: ($d + "/monitor.pid"), interactive: false, tty: false,
		restart: {policy: "no", max_retries: 0}, stop_signal: 15, auto_remove: false}' |
		jq "$filter" "$@" >"$D/monitor.json"
}

# mon_start: starts the monitor in the background (fd 3 = $D/report) and waits for its
# report line; MON_PID is its pid.
mon_start() {
	# Emptied here: the redirection below happens in the background job, which a previous
	# run's report could otherwise beat to the wait.
	: >"$D/report"
	"$MONITOR" "$D/monitor.json" 3>"$D/report" </dev/null >/dev/null 2>"$D/monitor.err" &
	MON_PID=$!
	wait_until 20 grep -qs . "$D/report"
}

# mon_wait: waits for the monitor to end; MON_RC is its exit status.
mon_wait() {
	local i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$MON_PID" 2>/dev/null || break
		sleep 0.05
	done
	MON_RC=0
	wait "$MON_PID" || MON_RC=$?
	# Shown when the test fails.
	echo "monitor exited $MON_RC; its stderr:"
	cat "$D/monitor.err" "$D/report" 2>/dev/null || true
}

# log_lines_ge N: ctr.log has at least N lines. health_is STATUS: health.json's Status.
log_lines_ge() {
	[ "$(grep -c . "$D/ctr.log" 2>/dev/null)" -ge "$1" ]
}
health_is() {
	[ "$(jq -r .Status "$D/health.json" 2>/dev/null)" = "$1" ]
}

# mon_rss_kb: the monitor's VmRSS in KiB.
mon_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$MON_PID/status"
}

@test "monitor: logs as json-file lines, exit code 3 in exit.json" {
	set_args sh -c 'echo out1; echo err1 >&2; printf "no newline"; exit 3'
	mon_config
	mon_start
	run cat "$D/report"
	echo "report: $output"
	[[ "$output" =~ ^started\ [0-9]+$ ]]
	mon_wait
	[ "$MON_RC" -eq 3 ]
	run jq -c '[.log, .stream]' "$D/ctr.log"
	[[ "$output" == *'["out1\n","stdout"]'* ]]
	[[ "$output" == *'["err1\n","stderr"]'* ]]
	[[ "$output" == *'["no newline","stdout"]'* ]]
	run jq -r .time "$D/ctr.log"
	for t in "${lines[@]}"; do
		[[ "$t" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$ ]]
	done
	[ "$(jq .exit_code "$D/exit.json")" = 3 ]
	[ "$(jq .oom_killed "$D/exit.json")" = false ]
	[ "$(jq .restart_count "$D/exit.json")" = 0 ]
	[[ "$(jq -r .started_at "$D/exit.json")" =~ ^20[0-9-]+T ]]
	[[ "$(jq -r .finished_at "$D/exit.json")" =~ ^20[0-9-]+T ]]
	# The runtime's container is gone, and so are the pid file and the socket.
	[ -z "$(rt list -q)" ]
	[ ! -e "$D/monitor.pid" ]
	[ ! -e "$D/attach.sock" ]
}

@test "monitor: log rotation keeps log_max_file files of at most log_max_size" {
	# 300 lines of ~70 bytes each in the log: ~30 KB through 3 files of 2000 bytes.
	set_args sh -c 'i=0; while [ $i -lt 300 ]; do echo "line-$i-xxxxxxxxxxxxxxxx"; i=$((i+1)); done'
	mon_config '.log_max_size = 2000 | .log_max_file = 3'
	mon_start
	mon_wait
	[ "$MON_RC" -eq 0 ]
	[ -s "$D/ctr.log" ]
	[ -s "$D/ctr.log.1" ]
	[ -s "$D/ctr.log.2" ]
	[ ! -e "$D/ctr.log.3" ]
	for f in "$D/ctr.log" "$D/ctr.log.1" "$D/ctr.log.2"; do
		[ "$(stat -c %s "$f")" -le 2000 ]
		jq -e . "$f" >/dev/null
	done
	# The newest lines are in ctr.log, the ones before in .1 then .2, without a gap.
	[ "$(tail -n 1 "$D/ctr.log" | jq .log)" = '"line-299-xxxxxxxxxxxxxxxx\n"' ]
	run sh -c "cat '$D/ctr.log.2' '$D/ctr.log.1' '$D/ctr.log' | jq -r .log | sed 's/^line-\([0-9]*\)-.*/\1/'"
	local first=${lines[0]} i
	for ((i = 0; i < ${#lines[@]}; i++)); do
		[ "${lines[i]}" -eq $((first + i)) ]
	done
	[ "${lines[-1]}" -eq 299 ]
}

@test "monitor: a SIGKILLed container is recorded as 137" {
	payload sleep forever
	mon_config
	mon_start
	grep -q '^started ' "$D/report"
	rt kill "$CID" KILL
	mon_wait
	[ "$MON_RC" -eq 137 ]
	[ "$(jq .exit_code "$D/exit.json")" = 137 ]
	[ "$(jq .oom_killed "$D/exit.json")" = false ]
}

@test "monitor: an OOM kill is recorded in exit.json" {
	update_config '.linux.resources.memory = {"limit": 33554432}'
	payload hog 200
	mon_config
	mon_start
	mon_wait
	[ "$MON_RC" -eq 137 ]
	[ "$(jq .exit_code "$D/exit.json")" = 137 ]
	[ "$(jq .oom_killed "$D/exit.json")" = true ]
}

@test "monitor: a command that is not found or not executable: error on fd 3, 127 / 126" {
	set_args /no/such/command
	mon_config
	mon_start
	run cat "$D/report"
	[[ "$output" =~ ^error\ 2\ 127\ .*no/such/command ]]
	mon_wait
	[ "$MON_RC" -eq 127 ]
	[ ! -e "$D/exit.json" ]

	set_args /etc/passwd
	mon_start
	run cat "$D/report"
	[[ "$output" =~ ^error\ 13\ 126\  ]]
	mon_wait
	[ "$MON_RC" -eq 126 ]
	[ -z "$(rt list -q)" ]
}

# attach_client SOCKET SEND [DELAY [shut]]: connects (then creates $ATTACH_READY if set),
# sends SEND (if not empty) after DELAY seconds, half-closes with "shut", and prints the
# frames received until the monitor closes the connection, as "STREAM:TEXT".
attach_client() {
	python3 - "$@" <<'EOF'
import os, socket, struct, sys, time
path, send = sys.argv[1], sys.argv[2]
delay = float(sys.argv[3]) if len(sys.argv) > 3 else 0
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(20)
if os.environ.get("ATTACH_READY"):
    open(os.environ["ATTACH_READY"], "w").close()
if send:
    time.sleep(delay)
    s.sendall(send.encode())
if len(sys.argv) > 4 and sys.argv[4] == "shut":
    s.shutdown(socket.SHUT_WR)
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
while len(buf) >= 8:
    stream, n = buf[0], struct.unpack(">I", buf[4:8])[0]
    print("%d:%s" % (stream, buf[8:8 + n].decode()), end="")
    buf = buf[8 + n:]
EOF
}

@test "monitor: attach sends output to every client and stdin from the first" {
	set_args sh -c 'read line; echo "got:$line"; echo "to-stderr" >&2'
	mon_config '.interactive = true'
	mon_start
	# The first client owns stdin and sends late; the second sends at once, and is ignored.
	ATTACH_READY="$D/client1.ready" attach_client "$D/attach.sock" $'hello\n' 1 >"$D/client1" &
	local c1=$!
	wait_until 20 test -e "$D/client1.ready"
	attach_client "$D/attach.sock" $'ignored\n' >"$D/client2" &
	local c2=$!
	mon_wait
	[ "$MON_RC" -eq 0 ]
	wait "$c1"
	wait "$c2"
	run cat "$D/client1"
	[[ "$output" == *"1:got:hello"* ]]
	[[ "$output" == *"2:to-stderr"* ]]
	run cat "$D/client2"
	[[ "$output" == *"1:got:hello"* ]]
	[[ "$output" != *ignored* ]]
	[ "$(jq -r 'select(.stream == "stdout") | .log' "$D/ctr.log")" = "got:hello" ]
}

@test "monitor: with stdin_once the end of the client's input is the container's" {
	set_args cat
	mon_config '.interactive = true | .stdin_once = true'
	mon_start
	run attach_client "$D/attach.sock" "abc" 0 shut
	[ "$output" = "1:abc" ]
	mon_wait
	[ "$MON_RC" -eq 0 ]
}

@test "monitor: restart on-failure:2 restarts twice, then records the last exit" {
	set_args sh -c 'echo run; exit 1'
	mon_config '.restart = {policy: "on-failure", max_retries: 2}'
	mon_start
	mon_wait
	[ "$MON_RC" -eq 1 ]
	[ "$(jq -r .log "$D/ctr.log" | grep -c '^run$')" -eq 3 ]
	[ "$(jq .restart_count "$D/exit.json")" = 2 ]
	[ "$(jq .exit_code "$D/exit.json")" = 1 ]
	[ "$(jq .restarting "$D/exit.json")" = false ]
}

@test "monitor: restart always: back-off doubles; SIGTERM to the monitor stops for good" {
	set_args sh -c 'echo run; exit 0'
	mon_config '.restart = {policy: "always"}'
	mon_start
	# 100 + 200 + 400 + 800 ms of back-off between 5 runs: the log's timestamps show it.
	wait_until 20 log_lines_ge 5
	run python3 -c '
import json, sys, datetime
t = [json.loads(l)["time"] for l in open(sys.argv[1])]
p = lambda s: datetime.datetime.fromisoformat(s.rstrip("Z")[:26])
g = [(p(t[i + 1]) - p(t[i])).total_seconds() for i in range(4)]
print(" ".join("%.3f" % x for x in g))
ok = all(0.09 < g[i] for i in range(4)) and g[3] > 0.75 and g[3] < 4 and g[2] > 0.35
sys.exit(0 if ok else 1)' "$D/ctr.log"
	echo "gaps: $output"
	[ "$status" -eq 0 ]
	kill -TERM "$MON_PID"
	mon_wait
	[ "$MON_RC" -eq 0 ]
	local runs
	runs=$(grep -c . "$D/ctr.log")
	sleep 0.5
	[ "$(grep -c . "$D/ctr.log")" -eq "$runs" ]
}

@test "monitor: SIGTERM sends stop_signal to the container; no restart" {
	set_args sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done'
	mon_config '.stop_signal = 10 | .restart = {policy: "always"}'
	mon_start
	wait_until 10 grep -q ready "$D/ctr.log"
	kill -TERM "$MON_PID"
	mon_wait
	[ "$MON_RC" -eq 7 ]
	[ "$(jq .exit_code "$D/exit.json")" = 7 ]
	[ "$(jq .restart_count "$D/exit.json")" = 0 ]
	grep -q got-usr1 "$D/ctr.log"
}

@test "monitor: health check turns healthy, then unhealthy after retries failures" {
	set_args sh -c 'sleep 1; touch /tmp/ok; sleep 3; rm /tmp/ok; sleep 30'
	mon_config '.health = {cmd: ["CMD-SHELL", "echo probe; test -e /tmp/ok"], interval_ns: 200000000, timeout_ns: 5000000000, retries: 2, start_period_ns: 0}'
	mon_start
	[ "$(jq -r .Status "$D/health.json")" = starting ]
	wait_until 20 health_is healthy
	[ "$(jq .FailingStreak "$D/health.json")" = 0 ]
	[ "$(jq -r '.Log[-1].Output' "$D/health.json")" = probe ]
	[ "$(jq '.Log[-1].ExitCode' "$D/health.json")" = 0 ]
	wait_until 20 health_is unhealthy
	[ "$(jq .FailingStreak "$D/health.json")" -ge 2 ]
	[ "$(jq '.Log[-1].ExitCode' "$D/health.json")" = 1 ]
	[ "$(jq '.Log | length' "$D/health.json")" -le 5 ]
	rt kill "$CID" KILL
	mon_wait
	[ "$(jq -r .health.Status "$D/exit.json")" = unhealthy ]
}

@test "monitor: unmount, then the teardown commands in order" {
	set_args true
	mkdir "$D/mnt"
	mount -t tmpfs tmpfs "$D/mnt"
	mon_config '.unmount = "\($d)/mnt" | .teardown = [["/bin/sh", "-c", "mountpoint -q \($d)/mnt || echo teardown >> \($d)/order"],
		["/bin/sh", "-c", "echo teardown2 >> \($d)/order"]]' --arg d "$D"
	mon_start
	mon_wait
	[ "$MON_RC" -eq 0 ]
	run ! mountpoint -q "$D/mnt"
	[ "$(cat "$D/order")" = $'teardown\nteardown2' ]
}

@test "monitor: with auto_remove, remove_cmd instead of the teardown; a failed remove_cmd gets it after" {
	set_args true
	mon_config '.teardown = [["/bin/sh", "-c", "echo teardown >> \($d)/order"]]
		| .auto_remove = true | .remove_cmd = ["/bin/sh", "-c", "test -e \($d)/exit.json && echo remove >> \($d)/order"]' --arg d "$D"
	mon_start
	mon_wait
	[ "$MON_RC" -eq 0 ]
	[ "$(cat "$D/order")" = remove ]
	rm "$D/order"
	mon_config '.teardown = [["/bin/sh", "-c", "echo teardown >> \($d)/order"]]
		| .auto_remove = true | .remove_cmd = ["/bin/sh", "-c", "echo remove >> \($d)/order; exit 1"]' --arg d "$D"
	mon_start
	mon_wait
	[ "$(cat "$D/order")" = $'remove\nteardown' ]
}

# A foreground `run --rm` removes the container itself once it ended: its monitor tears
# nothing down while that engine (its parent) lives, and everything once it is gone.
@test "monitor: engine_removes skips the teardown while the engine lives, not after it died" {
	set_args true
	mon_config '.engine_removes = true | .engine_pid = $p | .teardown = [["/bin/sh", "-c", "echo teardown >> \($d)/order"]]' \
		--arg d "$D" --argjson p "$BASHPID"
	mon_start
	mon_wait
	[ "$MON_RC" -eq 0 ]
	[ ! -e "$D/order" ]
	# Durable or not, the exit file is there.
	[ "$(jq .exit_code "$D/exit.json")" = 0 ]
	# The engine gone before the container ends: the monitor, re-parented, does it all.
	set_args sleep 1
	rm -f "$D/report"
	(
		mon_config '.engine_removes = true | .engine_pid = $p | .teardown = [["/bin/sh", "-c", "echo teardown >> \($d)/order"]]' \
			--arg d "$D" --argjson p "$BASHPID"
		"$MONITOR" "$D/monitor.json" 3>"$D/report" </dev/null >/dev/null 2>"$D/monitor.err" &
		echo $! >"$D/pid"
	)
	MON_PID=$(cat "$D/pid")
	wait_until 20 grep -qs . "$D/report"
	wait_until 100 test -e "$D/order"
	[ "$(cat "$D/order")" = teardown ]
	wait_until 20 sh -c "! kill -0 $MON_PID 2>/dev/null"
}

@test "monitor: without auto_remove, remove_cmd does not run" {
	set_args true
	mon_config '.remove_cmd = ["/bin/sh", "-c", "echo remove >> \($d)/order"]' --arg d "$D"
	mon_start
	mon_wait
	[ ! -e "$D/order" ]
}

@test "monitor: an idle monitor's resident memory is at most 1 MiB" {
	case "$(file -b "$MONITOR")" in
	*statically*) ;;
	*) skip "the size budget is for the release build's static hull-monitor" ;;
	esac
	set_args sh -c 'i=0; while [ $i -lt 100 ]; do echo "line $i"; i=$((i+1)); done; sleep 60'
	mon_config
	mon_start
	wait_until 10 log_lines_ge 100
	# An attach client comes and goes; then the monitor is idle (it shrinks after 2 s).
	python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2)' "$D/attach.sock"
	sleep 3
	local rss
	rss=$(mon_rss_kb)
	echo "VmRSS ${rss} kB"
	[ "$rss" -le 1024 ]
	rt kill "$CID" KILL
	mon_wait
}

@test "monitor: killing the monitor leaves a container the runtime can still delete" {
	payload sleep forever
	mon_config
	mon_start
	local pid
	pid=$(sed -n 's/^started //p' "$D/report")
	kill -9 "$MON_PID"
	mon_wait
	# The container runs on (reparented), its state is intact, and delete --force works.
	[ "$(state_field "$CID" .status)" = running ]
	[ "$(state_field "$CID" .pid)" = "$pid" ]
	rt delete --force "$CID"
	run rt state "$CID"
	[ "$status" -ne 0 ]
	[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
}

@test "monitor: with a tty, attach is raw, a resize sequence sizes the pty, logs say stdout" {
	update_config '.process.terminal = true'
	set_args sh -c 'read x; stty size; echo "got:$x"'
	mon_config '.interactive = true | .tty = true'
	mon_start
	run python3 - "$D/attach.sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(20)
time.sleep(0.2)
s.sendall(b"\x1b[8;33;111t")
time.sleep(0.3)
s.sendall(b"hello\r")
buf = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    buf += d
sys.stdout.write(buf.decode().replace("\r", ""))
PY
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"33 111"* ]]
	[[ "$output" == *"got:hello"* ]]
	# Raw: no stdcopy frame header (stream byte 1, three zeros) in front.
	[[ "$output" != *$'\x01\x00\x00\x00'* ]]
	mon_wait
	[ "$MON_RC" -eq 0 ]
	jq -r .log "$D/ctr.log" | grep -q "got:hello"
	[ -z "$(jq -r 'select(.stream != "stdout") | .stream' "$D/ctr.log")" ]
}

@test "monitor: a health check that outlives its timeout counts as a failure (-1)" {
	payload sleep forever
	mon_config '.health = {cmd: ["CMD", "/bin/sleep", "10"], interval_ns: 100000000, timeout_ns: 300000000, retries: 1}'
	mon_start
	# Well before the probe's own 10 s: it was stopped at its timeout.
	wait_until 5 health_is unhealthy
	[ "$(jq '.Log[-1].ExitCode' "$D/health.json")" = -1 ]
	[[ "$(jq -r '.Log[-1].Output' "$D/health.json")" == "Health check exceeded timeout"* ]]
	# Each timed-out probe is killed in the container: they do not pile up (one every
	# ~0.4 s would be 4 or more by now).
	sleep 1.5
	local left
	left=$(rt ps "$CID" | grep -c "sleep 10" || true)
	echo "probes running: $left"
	[ "$left" -le 1 ]
	rt kill "$CID" KILL
	mon_wait
}

@test "monitor: failures within the health start period do not count" {
	payload sleep forever
	mon_config '.health = {cmd: ["CMD", "/bin/false"], interval_ns: 100000000, timeout_ns: 5000000000, retries: 1, start_period_ns: 2500000000}'
	mon_start
	# Probes fail from 0.1 s on; until 2.5 s the status stays "starting".
	sleep 1.5
	[ "$(jq '.Log | length' "$D/health.json")" -ge 2 ]
	[ "$(jq -r .Status "$D/health.json")" = starting ]
	[ "$(jq .FailingStreak "$D/health.json")" = 0 ]
	wait_until 10 health_is unhealthy
	rt kill "$CID" KILL
	mon_wait
}

@test "monitor: attach_window_ms keeps the output for a client that connects late" {
	set_args sh -c 'echo early; echo early-err >&2'
	mon_config '.attach_window_ms = 10000'
	mon_start
	# The container has long ended when the client comes; the monitor waited for it.
	sleep 1
	[ "$(jq .exit_code "$D/exit.json")" = 0 ]
	run attach_client "$D/attach.sock" ""
	echo "$output"
	[[ "$output" == *"1:early"* ]]
	[[ "$output" == *"2:early-err"* ]]
	mon_wait
	[ "$MON_RC" -eq 0 ]
}

@test "monitor: without attach_window_ms a late client gets nothing and the monitor does not wait" {
	set_args sh -c 'echo early'
	mon_config
	local t0=$SECONDS
	mon_start
	mon_wait
	[ "$MON_RC" -eq 0 ]
	[ $((SECONDS - t0)) -le 5 ]
	[ ! -e "$D/attach.sock" ]
}

@test "monitor: resident memory between health probes (every 0.5 s) is at most 1 MiB" {
	case "$(file -b "$MONITOR")" in
	*statically*) ;;
	*) skip "the size budget is for the release build's static hull-monitor" ;;
	esac
	payload sleep forever
	mon_config '.health = {cmd: ["CMD", "/bin/true"], interval_ns: 500000000, retries: 3}'
	mon_start
	wait_until 10 health_is healthy
	# While a probe runs (a few tens of ms of every 500) the monitor is not idle and holds
	# ~1.1 MiB: the median of 30 samples is what it holds between probes.
	local i samples=()
	for i in $(seq 30); do
		samples+=("$(mon_rss_kb)")
		sleep 0.05
	done
	local median
	median=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 15p)
	echo "VmRSS samples: ${samples[*]}; median $median kB"
	[ "$median" -le 1024 ]
	rt kill "$CID" KILL
	mon_wait
}
