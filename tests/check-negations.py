#!/usr/bin/env python3
"""Fails on a bare `! cmd` that is not the last command of its block.

bash's `set -e` (under which bats runs every test) never stops on a command negated with `!`,
so `! grep -q secret <<<"$output"` in the middle of a test cannot fail it: only the last
command of a function or test decides its status. Such a line is an assertion that looks real
and checks nothing. Write `run ! cmd`, `[ -z "$(cmd)" ]` or `! cmd || false` instead, or make it
the very last command of the test (not the last of a loop body, which only counts once).

Also fails on a bare `wait` (no pid) in a bats test or helper: bats starts its
BATS_TEST_TIMEOUT watchdog (tests/run-all.sh sets it) as a background job of the test's own
shell, so `wait` waits for the watchdog too and returns only when the test times out. Wait
for the pids the test started (`pids+=($!)` ... `wait "$p"`).

Also fails on a chain of tests `[ a ] && [ b ]` that is not the block's last command: `set -e`
ignores a failure of any command of an && list but the last, so when `a` is false the line
passes silently. Write one test per line.

Checks tests/**/*.bats, tests/integration/lib/*.bash and tests/vm/*.sh (or the files given as arguments). Prints one
`FILE:LINE: ...` per offence and exits 1 if there is any; exits 0 and prints nothing otherwise.
"""
import pathlib
import re
import sys

# The end of a block: `}` at the start of a line (bats tests and top-level functions).
BLOCK_END = re.compile(r"^\}\s*(#.*)?$")
# A negation that is made to count: `! cmd || false`, `|| return 1`, `|| exit 1`, `|| fail ...`.
COUNTED = re.compile(r"\|\|\s*(false|return\b|exit\b|fail\b|\{)")
# A heredoc's start (`<<EOF`, `<<-'EOF'`), not a here-string (`<<<`) nor a shift (`1 << b`).
HEREDOC = re.compile(r"(?<!<)<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def logical_lines(text):
    """(first line number, text) of each logical line: backslash continuations joined,
    heredoc bodies and comment-only lines dropped."""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i]
        i += 1
        m = HEREDOC.search(line)
        if m:
            while i < len(lines) and lines[i].strip() != m.group(2):
                i += 1
            i += 1
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            out.append((start + 1, line))
    return out


def check(path):
    problems = []
    lines = logical_lines(path.read_text())
    for k, (num, line) in enumerate(lines):
        stripped = line.strip()
        if not re.match(r"!\s", stripped):
            continue
        # A `! a; then`/`! a && b; then` condition of a multi-line if/while is fine.
        if re.search(r";\s*(then|do)\s*$", stripped) or stripped.endswith(("&&", "||", "|")):
            continue
        if COUNTED.search(stripped):
            continue
        last = k + 1 < len(lines) and BLOCK_END.match(lines[k + 1][1])
        if not last:
            problems.append(f"{path}:{num}: bare negation is not the block's last command "
                            f"and can never fail: {stripped}")
    return problems


# `wait` with no operand (alone, or followed by a separator, redirection or comment).
BARE_WAIT = re.compile(r"(^|[;&|({]\s*|\b(then|do|else)\s+)wait\s*($|[;&|)}<>#])")


def check_wait(path):
    if path.suffix == ".sh":
        return []
    return [f"{path}:{num}: bare `wait` also waits for bats' timeout watchdog: {line.strip()}"
            for num, line in logical_lines(path.read_text()) if BARE_WAIT.search(line.strip())]


# A line that is only tests joined by &&: `[ a ] && [ b ]`, `[[ a ]] && [ b ]` ...
AND_CHAIN = re.compile(r"^(\[\[?\s.*?\s\]\]?)(\s*&&\s*\[\[?\s.*?\s\]\]?)+$")


def check_and_chain(path):
    problems = []
    lines = logical_lines(path.read_text())
    for k, (num, line) in enumerate(lines):
        stripped = line.strip()
        if "||" in stripped or not AND_CHAIN.match(stripped):
            continue
        last = k + 1 < len(lines) and BLOCK_END.match(lines[k + 1][1])
        if not last:
            problems.append(f"{path}:{num}: only the last test of an && chain can fail the block: {stripped}")
    return problems


def main(argv):
    root = pathlib.Path(__file__).resolve().parent
    if argv:
        files = [pathlib.Path(a) for a in argv]
    else:
        files = (sorted(root.glob("**/*.bats")) + sorted((root / "integration" / "lib").glob("*.bash")) +
                 sorted((root / "vm").glob("*.sh")))
    problems = []
    for f in files:
        problems += check(f) + check_wait(f) + check_and_chain(f)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
