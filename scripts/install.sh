#!/bin/sh
# scripts/install.sh BUILD_DIR DEST: installs hull, hull-runtime, hull-runtime's man pages and its bash completion
# under DEST (e.g. $(DESTDIR)$(PREFIX)), as `make install` does. The man pages and the completion
# are printed by the binary itself from the table its --help uses (src/runtime-cli/commands.c),
# so they always list the options of the binary installed next to them.
set -eu
build=$1
dest=$2
bin="$build/hull-runtime"
install -D -m 0755 "$bin" "$dest/bin/hull-runtime"
# hull, the engine's CLI, beside the runtime.
install -D -m 0755 "$build/hull" "$dest/bin/hull"
# hull-monitor, one per container; the engine finds it next to its own binary.
install -D -m 0755 "$build/hull-monitor" "$dest/bin/hull-monitor"
# hull-dns, the DNS responder of user networks; also found next to hull.
install -D -m 0755 "$build/hull-dns" "$dest/bin/hull-dns"
# hull-proxy, the userland proxy of ports published on [::1]; also found next to hull.
install -D -m 0755 "$build/hull-proxy" "$dest/bin/hull-proxy"
# hull-init, the pid 1 of `run --init`, bind-mounted into containers from next to hull.
install -D -m 0755 "$build/hull-init" "$dest/bin/hull-init"
mandir="$dest/share/man/man8"
mkdir -p "$mandir"
"$bin" help --man >"$mandir/hull-runtime.8"
for cmd in $("$bin" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	"$bin" help --man "$cmd" >"$mandir/hull-runtime-$cmd.8"
done
compdir="$dest/share/bash-completion/completions"
mkdir -p "$compdir"
"$bin" help --completion bash >"$compdir/hull-runtime"
# hull's own pages (section 1) and completion, likewise from its help table (src/cli/help.c).
man1="$dest/share/man/man1"
mkdir -p "$man1"
"$build/hull" help --man >"$man1/hull.1"
"$build/hull" help --list | awk -F '\t' '$2 == "" { print $1 }' | while read -r path; do
	# shellcheck disable=SC2086
	"$build/hull" help --man $path >"$man1/hull-$(echo "$path" | tr ' ' '-').1"
done
"$build/hull" help --completion bash >"$compdir/hull"
echo "installed $dest/bin/hull-runtime, $dest/bin/hull, $dest/bin/hull-monitor, $dest/bin/hull-dns, $dest/bin/hull-proxy, $dest/bin/hull-init, $(ls "$mandir" | grep -c '^hull-runtime') man pages in $mandir," \
	"$(ls "$man1" | grep -c '^hull') in $man1, bash completion in $compdir/hull-runtime and $compdir/hull"
