#!/usr/bin/env bats
# The --filter of container, volume, network and system prune (image prune's are in
# image-history.bats): Docker's keys for each (label=, label!=, until=, volume prune's all=),
# dockerd's "invalid filter 'KEY'" for any other, and what a filter spares stays.
# Run as root: bats tests/integration/engine-prune.bats

bats_require_minimum_version 1.5.0
load lib/engine

names() {
	hull ps -a --format '{{.Names}}' | sort | tr '\n' ' '
}

@test "container prune --filter: label=, label!= (Docker's rule for several), until=; other keys refused, nothing removed" {
	busybox_image
	run -0 hull create --network none --name old --label stage=old busybox true
	run -0 hull create --network none --name keep --label stage=keep --label pin=1 busybox true
	run -0 hull create --network none --name both --label stage=x --label pin=1 busybox true
	run -0 hull create --network none --name half --label stage=half busybox true
	run -0 hull create --network none --name plain busybox true
	old=$(hull inspect -f '{{.Id}}' old)
	# Refused, and nothing goes: an unknown key, a bad format (a flag error), two untils.
	run -1 hull container prune -f --filter dangling=true
	[ "$output" = "Error: invalid filter 'dangling'" ]
	run -125 hull container prune -f --filter label
	[ "$output" = 'Error: invalid argument "label" for "--filter" flag: bad format of filter (expected name=value)
See '"'hull container prune --help'." ]
	run -1 hull container prune -f --filter until=1h --filter until=2h
	[ "$output" = "Error: more than one until filter specified" ]
	run -1 hull container prune -f --filter until=yesterday
	[ "$output" = 'Error: failed to parse value as time or duration: "yesterday"' ]
	[ "$(names)" = "both half keep old plain " ]
	run -0 hull container prune -f --filter label=stage=old
	[ "$output" = "Deleted Containers:
$old

Total reclaimed space: 0B" ]
	[ "$(names)" = "both half keep plain " ]
	# Created within the hour: an until an hour back spares all of them.
	run -0 hull container prune -f --filter until=1h
	[ "$(names)" = "both half keep plain " ]
	# Docker keeps an object only when it has every label!= given: half has one of them.
	run -0 hull container prune -f --filter 'label!=stage' --filter 'label!=pin'
	[ "$(names)" = "both keep " ]
	run -0 hull container prune -f --filter 'label!=stage=keep' --filter 'Label = pin'
	[ "$(names)" = "keep " ]
	run -0 hull container prune -f --filter "until=$(($(date +%s) + 60))"
	[ -z "$(names)" ]
}

@test "volume prune --filter: label=, label!=, all=; until and other keys refused" {
	run -0 hull volume create --label a=b v1
	run -0 hull volume create --label a=c v2
	run -0 hull volume create v3
	run -1 hull volume prune -af --filter until=1h
	[ "$output" = "Error: invalid filter 'until'" ]
	run -1 hull volume prune -f --filter all=maybe
	[ "$output" = "Error: invalid filter 'all': strconv.ParseBool: parsing \"maybe\": invalid syntax" ]
	run -1 hull volume prune -f --filter all=true --filter all=false
	[ "$output" = "Error: invalid filter 'all=[false true]': only one value is expected" ]
	# Named volumes go only with -a or all=true.
	run -0 hull volume prune -f --filter label=a=b
	[ "$output" = "Total reclaimed space: 0B" ]
	run -0 hull volume prune -f --filter all=1 --filter label=a=b
	[ "${lines[0]}" = "Deleted Volumes:" ]
	[ "${lines[1]}" = v1 ]
	[ "$(hull volume ls -q | tr '\n' ' ')" = "v2 v3 " ]
	run -0 hull volume prune -af --filter 'label!=a'
	[ "${lines[1]}" = v3 ]
	[ "$(hull volume ls -q)" = v2 ]
	run -1 hull volume prune -af --filter all=true
	[ "$output" = "Error: conflicting options: cannot specify both --all and --filter all=1" ]
	[ "$(hull volume ls -q)" = v2 ]
	run -0 hull volume prune -f --filter all=true
	[ -z "$(hull volume ls -q)" ]
}

@test "network prune --filter: label=, label!=, until=; other keys refused" {
	run -0 hull network create --label x=y n1
	run -0 hull network create --label x=z n2
	run -0 hull network create n3
	nets() { hull network ls --format '{{.Name}}' | grep -v '^bridge$' | sort | tr '\n' ' '; }
	run -1 hull network prune -f --filter dangling=true
	[ "$output" = "Error: invalid filter 'dangling'" ]
	[ "$(nets)" = "n1 n2 n3 " ]
	run -0 hull network prune -f --filter label=x=y
	[ "$output" = "Deleted Networks:
n1" ]
	# Docker's blank line ends the list (run's $output loses trailing newlines).
	[ "$(hull network prune -f --filter 'label!=x' | od -An -c | tr -d ' \n')" = 'DeletedNetworks:\nn3\n\n' ]
	run -0 hull network prune -f --filter until=1h
	[ -z "$output" ]
	[ "$(nets)" = "n2 " ]
	run -0 hull network prune -f --filter "until=$(($(date +%s) + 60))"
	[ "$(nets)" = "" ]
}

@test "system prune --filter: label and until reach every part, Docker's prompt lists them, until is refused with --volumes" {
	busybox_image
	run -0 hull create --network none --name old --label stage=old busybox true
	run -0 hull create --network none --name keep busybox true
	run -0 hull network create --label stage=old nold
	run -0 hull network create nkeep
	run -0 hull volume create vkeep
	# An anonymous volume left by a removed container: it has no label, so label= spares it.
	run -0 hull create --network none --name anon -v /data busybox true
	run -0 hull rm anon
	anon=$(hull volume ls -q | grep -vx vkeep)
	[[ "$anon" =~ ^[0-9a-f]{64}$ ]]
	run -1 hull system prune -f --volumes --filter until=1h
	[ "$output" = "Error: The \"until\" filter is not supported with \"--volumes\"" ]
	run -1 hull system prune -f --filter all=true
	[ "$output" = "Error: invalid filter 'all'" ]
	run -0 hull system prune --filter until=10m --filter 'label!=a' --filter label=stage=old <<<n
	[ "$output" = "WARNING! This will remove:
  - all stopped containers
  - all networks not used by at least one container
  - all dangling images

  Items to be pruned will be filtered with:
  - label!=a
  - label=stage=old
  - until=10m

Are you sure you want to continue? [y/N] " ]
	[ "$(names)" = "keep old " ]
	run -0 hull system prune -f -a --filter until=1h
	[ "$(names)" = "keep old " ]
	[ "$(hull network ls --format '{{.Name}}' | grep -vx bridge | sort | tr '\n' ' ')" = "nkeep nold " ]
	run -0 hull system prune -f --volumes -a --filter label=stage=old
	[[ "$output" == *"Deleted Networks:
nold"* ]]
	[ "$(names)" = "keep " ]
	[ "$(hull network ls --format '{{.Name}}' | grep -vx bridge)" = nkeep ]
	[ "$(hull volume ls -q | sort | tr '\n' ' ')" = "$(printf '%s\n' "$anon" vkeep | sort | tr '\n' ' ')" ]
	[ "$(hull images --format '{{.Repository}}')" = busybox ]
	run -0 hull rm keep
	run -0 hull network rm nkeep
	run -0 hull volume rm vkeep "$anon"
}

@test "container and volume prune ask without -f, as Docker's client: only y or Y removes, n or EOF keeps everything" {
	busybox_image
	run -0 hull create --network none --name gone busybox true
	run -0 hull volume create vol
	# Nothing on stdin (EOF) and "n": Docker 28 cancels quietly with status 0.
	run -0 hull container prune </dev/null
	[ "$output" = "WARNING! This will remove all stopped containers.
Are you sure you want to continue? [y/N] " ]
	run -0 hull container prune <<<n
	run -0 hull container prune <<<yes
	[ "$(names)" = "gone " ]
	run -0 hull volume prune -a </dev/null
	[ "$output" = "WARNING! This will remove all local volumes not used by at least one container.
Are you sure you want to continue? [y/N] " ]
	run -0 hull volume prune <<<n
	[ "$output" = "WARNING! This will remove anonymous local volumes not used by at least one container.
Are you sure you want to continue? [y/N] " ]
	run -0 hull volume prune -a <<<N
	[ "$(hull volume ls -q)" = "vol" ]
	run -0 hull container prune <<<y
	[[ "$output" == *"Deleted Containers:"* ]]
	[ -z "$(names)" ]
	run -0 hull volume prune -a <<<Y
	[[ "$output" == *"Deleted Volumes:"*vol* ]]
	[ -z "$(hull volume ls -q)" ]
}
