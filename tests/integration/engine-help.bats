#!/usr/bin/env bats
# hull's help table (src/cli/help.c): --help for every command, the options it lists are
# the ones each command accepts, man pages that groff reads without a warning, and a bash
# completion that completes commands, subcommands and options.
# Run as root: bats tests/integration/engine-help.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "help: every command of hull --help and of each group has --help from the table" {
	run -0 hull --help
	cmds=$(echo "$output" | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
	[ "$(echo "$cmds" | wc -l)" -ge 25 ]
	for c in $cmds; do
		run -0 hull "$c" --help
		[[ "${lines[0]}" == "Usage:  hull "* ]] || { echo "$c: ${lines[0]}"; return 1; }
		# The text is the table's (what the man page and completion are made from).
		[ "$output" = "$(hull help "$c")" ] || { echo "$c --help is not the table's"; return 1; }
	done
	for g in container image network system volume; do
		run -0 hull "$g" --help
		subs=$(echo "$output" | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
		[ -n "$subs" ]
		for s in $subs; do
			run -0 hull "$g" "$s" --help
			[[ "${lines[0]}" == "Usage:  hull "* ]] || { echo "$g $s: ${lines[0]}"; return 1; }
			[ "$output" = "$(hull help "$g" "$s")" ] || { echo "$g $s --help is not the table's"; return 1; }
		done
	done
	# The monitor's internal command stays out of the help.
	run -0 hull network --help
	[[ "$output" != *teardown* ]]
	run -0 hull help --completion bash
	[[ "$output" != *teardown* ]]
	# --help after an option's value reaches the command's getopt: the same table text.
	run -0 hull exec -u x --help
	[ "$output" = "$(hull help exec)" ]
	# run's -h is --hostname (Docker's), so only --help means help there.
	run -0 hull volume ls -h
	[[ "${lines[0]}" == "Usage:  hull volume ls [OPTIONS]" ]]
	run -0 hull help stats
	[[ "$output" == *"--no-stream"* ]]
}

@test "help: every option the table lists is one its command accepts" {
	bad=""
	while IFS=$'\t' read -r path opt arg; do
		[ -n "$opt" ] || continue
		v=()
		[ -z "$arg" ] || v=(x)
		# shellcheck disable=SC2086
		out=$(hull $path "$opt" "${v[@]}" --zz-not-a-flag </dev/null 2>&1) || true
		[[ "$out" != *"unknown flag: $opt"* ]] || bad+="$path $opt; "
	done < <(hull help --list)
	[ -z "$bad" ] || { echo "not accepted: $bad"; return 1; }
	# The check itself sees an option the table invents.
	run -125 hull volume ls --zz-not-a-flag
	[[ "$output" == *"unknown flag: --zz-not-a-flag"* ]]
}

# Options Docker accepts but does not list (hidden in its own --help: deprecated or old
# names), which hull accepts for scripts written against Docker and lists no more than
# Docker does: --net (run/create: the old name of --network), volume create --name (the
# volume's name as an option; Docker takes it as the argument). -h/--help are everyone's.
HIDDEN_OPTIONS=("run --net" "container run --net" "create --net" "container create --net" "volume create --name")

@test "help: every option a command accepts is one its help lists (but Docker's hidden ones)" {
	# The accepted set comes from the parser's own tables: tests/helpers/optdump.c stands
	# in for getopt_long, and the command's first call prints the short option letters and
	# the long option table it was given, then ends the process before anything is done.
	local shim path opt dump listed bad="" n=0
	shim="$(dirname "$HULL")/liboptdump.so"
	[ -f "$shim" ]
	while IFS= read -r path; do
		# shellcheck disable=SC2016,SC2086
		dump=$(ASAN_OPTIONS=verify_asan_link_order=0 nsenter --net="/run/netns/$HOSTNS" bash -c 'LD_PRELOAD=$0 exec "$@"' \
			"$shim" "$HULL" --root "$STORE" --runroot "$RUNROOT" $path </dev/null 2>&1) || true
		# Every command reaches its parser first: a line that is no option is the command
		# having run.
		if grep -qv -- '^-' <<<"$dump" || ! grep -qx -- --help <<<"$dump"; then
			bad+="$path did not reach getopt_long (${dump:0:80}); "
			continue
		fi
		# shellcheck disable=SC2086
		listed=$(hull help --list | awk -F'\t' -v p="$path" '$1 == p && $2 != "" { print $2 }'
			hull help $path | sed -n 's/^  \(-[A-Za-z0-9]\), --.*/\1/p')
		for opt in $dump; do
			n=$((n + 1))
			case $opt in -h | --help) continue ;; esac
			[[ "|$(IFS='|'; echo "${HIDDEN_OPTIONS[*]}")|" != *"|$path $opt|"* ]] || continue
			grep -qx -- "$opt" <<<"$listed" || bad+="$path $opt; "
		done
	done < <(hull help --list | awk -F'\t' '$2 == "" { print $1 }')
	echo "# $n options accepted by the commands of the table" >&3
	[ -z "$bad" ] || { echo "accepted but not in the help: $bad"; return 1; }
	[ "$n" -gt 400 ]
}

@test "help: man pages read by groff without warnings; bash completion completes" {
	run -0 hull help --man
	[[ "${lines[0]}" == ".TH HULL 1 "* ]]
	while IFS=$'\t' read -r path opt arg; do
		[ -z "$opt" ] || continue
		# shellcheck disable=SC2086
		hull help --man $path >"$BATS_TEST_TMPDIR/page"
		run -0 groff -man -Tutf8 -ww -z "$BATS_TEST_TMPDIR/page"
		[ -z "$output" ] || { echo "$path: $output"; return 1; }
	done < <(hull help --list)
	hull help --completion bash >"$BATS_TEST_TMPDIR/comp"
	run -0 bash -c "
		source '$BATS_TEST_TMPDIR/comp'
		c() { COMP_WORDS=(\"\$@\"); COMP_CWORD=\$((\$# - 1)); COMPREPLY=(); _hull; echo \"\${COMPREPLY[*]}\"; }
		c hull vol
		c hull volume ''
		c hull stats --no
		c hull --root /x container l
		c hull network ''
		c hull network create --ip
	"
	[ "${lines[0]}" = volume ]
	[[ " ${lines[1]} " == *" create "*" prune "* && " ${lines[1]} " == *" rm "* ]]
	[ "${lines[2]}" = "--no-stream --no-trunc" ]
	[[ "${lines[3]}" == "logs ls list" ]]
	[ "${lines[4]}" = "--help connect create disconnect inspect ls prune rm list remove" ]
	[ "${lines[5]}" = "--ip-range --ipv6" ]
}
