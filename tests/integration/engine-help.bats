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
