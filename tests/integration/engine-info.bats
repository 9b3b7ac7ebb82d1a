#!/usr/bin/env bats
# hull version, hull info (storage, cgroups, runtime, counts), the config file
# ($HULL_CONFIG, flags win over it) and hull system prune.
# Run as root: bats tests/integration/engine-info.bats

bats_require_minimum_version 1.5.0
load lib/engine

@test "version and info: counts of containers by state and images, storage and cgroup facts" {
	run -0 hull version
	[[ "${lines[0]}" == "Client:" ]]
	[[ "${lines[1]}" =~ ^\ Version:\ +[0-9]+\.[0-9]+ ]]
	run -0 hull version --format '{{.Client.Os}}/{{.Client.Arch}}'
	[[ "$output" == linux/* ]]
	busybox_image
	run -0 hull run -d --name r1 busybox sleep 1000
	remember "$output"
	run -0 hull run -d --name p1 busybox sleep 1000
	remember "$output"
	run -0 hull pause p1
	run -0 hull create --name s1 busybox true
	remember "$output"
	run -0 hull info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}} {{.Driver}} {{.DockerRootDir}}'
	[ "$output" = "3 1 1 1 1 overlay $STORE" ]
	cgv=1
	[ -f /sys/fs/cgroup/cgroup.controllers ] && cgv=2
	run -0 hull info
	[[ "$output" == *" Containers: 3"$'\n'"  Running: 1"$'\n'"  Paused: 1"$'\n'"  Stopped: 1"$'\n'" Images: 1"* ]]
	[[ "$output" == *" Storage Driver: overlay"* ]]
	[[ "$output" == *" Cgroup Driver: cgroupfs"* ]]
	[[ "$output" == *" Cgroup Version: $cgv"* ]]
	[[ "$output" == *" Default Runtime: hull-runtime"* ]]
	run -0 hull unpause p1
}

@test "config file: root, runroot, cgroup-driver defaults; flags win; a bad key is an error" {
	conf="$BATS_TEST_TMPDIR/hull.conf"
	cat >"$conf" <<-EOF2
		# defaults for this test
		root = "$STORE"
		runroot = "$RUNROOT"
		cgroup-driver = "systemd"
		log-level = warn
	EOF2
	run -0 env HULL_CONFIG="$conf" "$HULL" info --format '{{.DockerRootDir}} {{.RunRoot}} {{.CgroupDriver}} {{.ConfigFile}}'
	[ "$output" = "$STORE $RUNROOT systemd $conf" ]
	run -0 env HULL_CONFIG="$conf" "$HULL" --root "$BATS_TEST_TMPDIR/other" info --format '{{.DockerRootDir}}'
	[ "$output" = "$BATS_TEST_TMPDIR/other" ]
	rm -rf "$BATS_TEST_TMPDIR/other"
	echo 'roots = "/x"' >>"$conf"
	run -125 env HULL_CONFIG="$conf" "$HULL" info
	[[ "$output" == *"hull.conf:6: unknown key \"roots\""* ]]
	run -125 env HULL_CONFIG="$BATS_TEST_TMPDIR/missing.conf" "$HULL" info
	[[ "$output" == *"missing.conf"* ]]
}

@test "system prune: stopped containers, dangling images, anonymous volumes with --volumes" {
	busybox_image
	mkdir -p "$BATS_TEST_TMPDIR/d"
	echo x >"$BATS_TEST_TMPDIR/d/x"
	tar -C "$BATS_TEST_TMPDIR/d" -cf "$BATS_TEST_TMPDIR/dangling.tar" .
	run -0 hull import "$BATS_TEST_TMPDIR/dangling.tar"
	dangling=$output
	run -0 hull run -d --name keep busybox sleep 1000
	keep=$output
	remember "$keep"
	run -0 hull create --name gone -v /anon busybox true
	gone=$output
	remember "$gone"
	run -0 hull volume create named
	run -0 hull system prune -f --volumes
	[[ "$output" == "Deleted Containers:"$'\n'"$gone"* ]]
	[[ "$output" == *"Deleted Volumes:"$'\n'* ]]
	[[ "$output" == *"Deleted Images:"$'\n'"deleted: $dangling"* ]]
	[[ "$output" == *"Total reclaimed space: "* ]]
	run -0 hull ps -aq --no-trunc
	[ "$output" = "$keep" ]
	run -0 hull volume ls -q
	[ "$output" = named ]
	run -0 hull images -q
	[ "${#lines[@]}" -eq 1 ]
	# Without -f it asks; anything but y keeps everything.
	run -0 hull create --name second busybox true
	remember "$output"
	run -0 sh -c "echo n | '$HULL' --root '$STORE' --runroot '$RUNROOT' system prune"
	[[ "$output" == "WARNING! This will remove:"* ]]
	[ "$(hull ps -aq | wc -l)" -eq 2 ]
	# Docker's PromptForConfirmation: only "y" or "Y" is a yes, "yes" is not.
	run -0 sh -c "echo yes | '$HULL' --root '$STORE' --runroot '$RUNROOT' system prune"
	[ "$(hull ps -aq | wc -l)" -eq 2 ]
	run -0 sh -c "echo y | '$HULL' --root '$STORE' --runroot '$RUNROOT' system prune"
	[[ "$output" == *"continue? [y/N] Deleted Containers:"* ]]
	[ "$(hull ps -aq | wc -l)" -eq 1 ]
	run -0 hull volume rm named
}
