#!/usr/bin/env bats
# hull history, image prune and images: Docker's columns, flags, filters, prompts and rules.

bats_require_minimum_version 1.5.0
load lib/image

# "base:latest" (2 layers from mkimage.py) and "child:v1", committed from a container of
# base with one more file (parent recorded).
base_and_child() {
	local d=$BATS_TEST_TMPDIR
	mklayer "$d/l1.tar" f:a:aaaa
	mklayer "$d/l2.tar" f:b:bb
	mkimage --tag base:latest "$d/base.tar" "$d/l1.tar" "$d/l2.tar"
	hull load -i "$d/base.tar"
	MOUNTS+=("$d/c1")
	storagetool mount c1 base "$d/c1"
	head -c 12345 /dev/zero >"$d/c1/big"
	storagetool commit c1 base -a "Jane" -m "add big" -b "/bin/sh -c head -c 12345 /dev/zero > /big # and a long tail" child:v1 >/dev/null
	storagetool umount "$d/c1"
	storagetool remove c1
}

@test "history: Docker's table, newest first, parents' ids and <missing>; -q, --no-trunc, -H=false, --format" {
	base_and_child
	child=$(hull image inspect -f '{{.Id}}' child:v1)
	base=$(hull image inspect -f '{{.Id}}' base)
	run hull history child:v1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
	[[ "${lines[1]}" =~ ^${child:7:12}\ +(Less\ than\ a\ second|[0-9]+\ seconds)\ ago\ +/bin/sh\ -c\ head\ -c\ 12345\ /dev/zero\ \>\ /big\ #\ …\ +12.3kB\ +add\ big$ ]]
	[[ "${lines[2]}" =~ ^${base:7:12}\ +[0-9]+\ (years|months)\ ago\ +mkimage.py\ +2B\ *$ ]]
	[[ "${lines[3]}" =~ ^\<missing\>\ +[0-9]+\ (years|months)\ ago\ +mkimage.py\ +4B\ *$ ]]
	# The CREATED BY column is 45 characters wide at most ("…" is one of them).
	[ "$(hull history --format '{{.CreatedBy}}' child:v1 | head -1 | wc -m)" -eq 46 ]
	[ "$(hull history -q child:v1 | tr '\n' ' ')" = "${child:7:12} ${base:7:12} <missing> " ]
	[ "$(hull history -q --no-trunc child:v1 | tr '\n' ' ')" = "$child $base <missing> " ]
	run hull history --no-trunc child:v1
	[[ "${lines[1]}" == *"/bin/sh -c head -c 12345 /dev/zero > /big # and a long tail"* ]]
	run hull history --human=false child:v1
	[[ "${lines[1]}" =~ ^${child:7:12}\ +20[0-9-]+T[0-9:]+Z\ .*\ 12345\ +add\ big$ ]]
	[[ "${lines[2]}" =~ ^${base:7:12}\ +1970-01-01T00:00:00Z\ +mkimage.py\ +2\ * ]] # no "created" in its history
	[ "$(hull history --format '{{.ID}}|{{.Size}}|{{.Comment}}' child:v1 | head -1)" = "${child:7:12}|12.3kB|add big" ]
	hull history --format json child:v1 | head -1 | jq -e --arg id "${child:7:12}" \
		'keys == ["Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"] and .ID == $id and .Size == "12.3kB"'
	run hull history --format 'table {{.ID}}\t{{.CreatedAt}}' base
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ AT$ ]]
	[[ "${lines[1]}" =~ ^${base:7:12}\ +1970-01-01T00:00:00Z$ ]]
	run hull history nothing
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nothing:latest"* ]]
	run hull history
	[ "$status" -eq 1 ] # a missing argument: 1 in Docker's client, as an unknown image
	run hull history --human=maybe base
	[ "$status" -eq 125 ]
}

@test "history: an imported image has one row with its message" {
	mkrootfs_tgz
	hull import -m "from a tarball" "$BATS_TEST_TMPDIR/rootfs.tgz" imported
	run hull history imported
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +.*\ ago\ +[0-9.]+MB\ +from\ a\ tarball$ ]]
}

# imp NAME [--change ...]: an image of a tiny tarball (untagged when NAME is "-").
imp() {
	local name=$1
	shift
	[ -f "$BATS_TEST_TMPDIR/t.tar" ] || {
		mkdir -p "$BATS_TEST_TMPDIR/t"
		echo x >"$BATS_TEST_TMPDIR/t/x"
		tar -C "$BATS_TEST_TMPDIR/t" -cf "$BATS_TEST_TMPDIR/t.tar" .
	}
	if [ "$name" = - ]; then
		hull import "$@" "$BATS_TEST_TMPDIR/t.tar"
	else
		hull import "$@" "$BATS_TEST_TMPDIR/t.tar" "$name"
	fi
}

@test "image prune: dangling images only, untagged parents after their children, prompt without -f" {
	base_and_child
	d1=$(imp -)
	d2=$(imp -)
	imp tagged:v1 >/dev/null
	# An untagged parent with an untagged child: both go (the child first).
	hull tag child:v1 keepme:x
	hull rmi child:v1 keepme:x >/dev/null
	# Declined: nothing goes.
	run bash -c "echo n | '$HULL' --root '$STORE' image prune"
	[ "$status" -eq 0 ]
	[ "$output" = "WARNING! This will remove all dangling images.
Are you sure you want to continue? [y/N] Total reclaimed space: 0B" ]
	[ "$(hull images -q | wc -l)" -eq 4 ]
	run bash -c "echo y | '$HULL' --root '$STORE' image prune"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Are you sure you want to continue? [y/N] Deleted Images:"* ]]
	[[ "$output" == *"deleted: $d1"* && "$output" == *"deleted: $d2"* ]]
	[[ "$output" == *$'\n\nTotal reclaimed space: '* ]]
	[ "$(hull images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ')" = "base:latest tagged:v1 " ]
	run hull image prune -f
	[ "$output" = "Total reclaimed space: 0B" ]
	run hull system check
	[ "$output" = "No problems found" ]
}

@test "image prune: untagged parent chain goes child first; a used image stays; -a removes tagged unused images" {
	base_and_child
	# base loses its tag: it is dangling but the parent of child:v1, so it stays.
	hull tag base:latest other:x
	hull rmi base:latest other:x >/dev/null
	hull image prune -f
	[ -n "$(hull images -q --filter reference=child)" ]
	[ "$(hull images -a -q | wc -l)" -eq 2 ]
	# Docker lists an untagged parent (an intermediate image) only with -a.
	[ "$(hull images -q | wc -l)" -eq 1 ]
	# child loses its tag to another image: both go, the child first.
	child=$(hull image inspect -f '{{.Id}}' child:v1)
	base=$(sqlite3 "$STORE/hull.db" "SELECT parent FROM images WHERE id = '$child'")
	newer=$(imp -)
	hull tag "$newer" child:v1
	run hull image prune -f
	[[ "$output" == *"deleted: $child"*"deleted: $base"* ]]
	[ "$(hull images -q --no-trunc)" = "$newer" ]
	[[ "$output" =~ Total\ reclaimed\ space:\ 12.3[0-9]*kB$ ]]
	hull rmi child:v1
	store_empty
	# -a: tagged images go too, except one a container uses and one a container's storage uses.
	used=$(imp used:v1)
	imp unused:v1 >/dev/null
	imp mounted:v1 >/dev/null
	sqlite3 "$STORE/hull.db" "INSERT INTO containers (id, name, image_id) VALUES ('c0ffee', 'web', '$used')"
	MOUNTS+=("$BATS_TEST_TMPDIR/m")
	mklayer "$BATS_TEST_TMPDIR/own.tar" f:own:o
	mkimage --tag own:latest "$BATS_TEST_TMPDIR/own.tar.img" "$BATS_TEST_TMPDIR/own.tar"
	hull load -i "$BATS_TEST_TMPDIR/own.tar.img"
	storagetool mount m own "$BATS_TEST_TMPDIR/m"
	run bash -c "echo y | '$HULL' --root '$STORE' image prune -a"
	[ "$status" -eq 0 ]
	[[ "$output" == "WARNING! This will remove all images without at least one container associated to them."* ]]
	[[ "$output" == *"untagged: unused:v1"* && "$output" == *"untagged: mounted:v1"* ]]
	[ "$(hull images --format '{{.Repository}}' | sort | tr '\n' ' ')" = "own used " ]
	sqlite3 "$STORE/hull.db" "DELETE FROM containers"
}

@test "image prune: --filter until= and label=, label!=; other keys refused (dockerd's message)" {
	old=$(imp - --change 'LABEL stage=old')
	keep=$(imp - --change 'LABEL stage=keep')
	plain=$(imp -)
	run hull image prune -f --filter until=1h
	[ "$output" = "Total reclaimed space: 0B" ]
	run hull image prune -f --filter "until=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --filter label=stage=old
	[ "$output" = "Deleted Images:
deleted: $old

Total reclaimed space: 0B" ] || [[ "$output" == *"deleted: $old"* && "$output" != *"$keep"* && "$output" != *"$plain"* ]]
	run hull image prune -f --filter 'label!=stage'
	[[ "$output" == *"deleted: $plain"* && "$output" != *"$keep"* ]]
	run hull image prune -f --filter label=stage --filter "until=$(($(date +%s) + 60))"
	[[ "$output" == *"deleted: $keep"* ]]
	[ -z "$(hull images -q)" ]
	# Docker's client adds dangling=true (false with -a) to what is given; dockerd wants one.
	run -1 hull image prune -f --filter dangling=false
	[ "$output" = "Error: invalid filter 'dangling=[false true]'" ]
	run -0 hull image prune -af --filter dangling=false
	run -1 hull image prune -f --filter all=true
	[ "$output" = "Error: invalid filter 'all'" ]
	run hull image prune -f --filter until=yesterday
	[ "$status" -eq 1 ]
	[ "$output" = 'Error: failed to parse value as time or duration: "yesterday"' ]
}

@test "images: -a shows untagged parents; --digests; --filter reference, dangling, label, before, since; image inspect -f" {
	base_and_child
	sleep 1
	lab=$(imp lab:v1 --change 'LABEL stage=test' --change 'LABEL tier=web')
	dang=$(imp - --change 'LABEL stage=dangling')
	repos() { hull images --format '{{.Repository}}' "$@" | LC_ALL=C sort | tr '\n' ' '; }
	# before/since name an image; its creation time is the exclusive bound.
	[ "$(repos --filter since=base:latest)" = "<none> child lab " ]
	[ "$(repos --filter before=lab:v1)" = "base child " ]
	# Labels: all must match; a key alone matches any value.
	[ "$(repos --filter label=stage)" = "<none> lab " ]
	[ "$(repos --filter label=stage=test --filter label=tier=web)" = "lab " ]
	[ -z "$(repos --filter label=stage=test --filter label=tier=db)" ]
	# References are shell patterns over NAME or NAME:TAG; any of several matches.
	[ "$(repos --filter 'reference=ba*')" = "base " ]
	[ "$(repos --filter 'reference=*:v1')" = "child lab " ]
	[ "$(repos --filter reference=base --filter reference=lab)" = "base lab " ]
	[ "$(repos child)" = "child " ]
	[ "$(hull images -q --no-trunc --filter dangling=true)" = "$dang" ]
	[ "$(repos --filter dangling=false)" = "base child lab " ]
	# --digests adds Docker's DIGEST column: the manifest digest NAME@DIGEST resolves to.
	run hull images --digests lab
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
	[[ "${lines[1]}" =~ ^lab\ +v1\ +(sha256:[0-9a-f]{64})\ +${lab:7:12}\ + ]]
	digest=${BASH_REMATCH[1]}
	[ "$(hull image inspect -f '{{.Id}}' "lab@$digest")" = "$lab" ]
	[ "$(hull images --format '{{.Digest}}' lab:v1)" = "$digest" ]
	[ "$(hull image inspect -f '{{.Config.Labels.tier}} {{json .RepoTags}} {{.Parent}}' lab:v1)" = 'web ["lab:v1"] ' ]
	child=$(hull image inspect -f '{{.Id}}' child:v1)
	base=$(hull image inspect -f '{{.Id}}' base:latest)
	[ "$(hull image inspect -f '{{.Parent}}' child:v1)" = "$base" ]
	# base loses its tags: an intermediate image, listed with -a only (also as dangling).
	hull tag base:latest other:x
	hull rmi base:latest other:x >/dev/null
	[ "$(hull images -q --no-trunc | sort | tr '\n' ' ')" = "$(printf '%s\n' "$child" "$lab" "$dang" | sort | tr '\n' ' ')" ]
	[ "$(hull images -a -q --no-trunc | sort | tr '\n' ' ')" = "$(printf '%s\n' "$base" "$child" "$lab" "$dang" | sort | tr '\n' ' ')" ]
	[ "$(hull images -a -q --no-trunc --filter dangling=true | sort | tr '\n' ' ')" = "$(printf '%s\n' "$base" "$dang" | sort | tr '\n' ' ')" ]
	# Bad filters: a usage error, or the image a bound names is not there.
	run hull images --filter color=red
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid filter 'color=red'"* ]]
	run hull images --filter dangling=maybe
	[ "$status" -eq 125 ]
	run hull images --filter before=nothing
	[ "$status" -eq 1 ]
	[[ "$output" == *"No such image: nothing"* ]]
}
