#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The examples the documentation quotes are programs the suite runs: every
# ```c block of FILE.md (default: docs/*.md and README.md) that defines a BPF
# program NAME must equal progs/*.c's NAME from its SEC() line to its brace.
#
# Usage: check-docs [FILE.md...]
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
. scripts/lib.sh
LANE=check-docs
[ $# -gt 0 ] || set -- docs/*.md README.md

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
checked=0

# program NAME FILE...: the program NAME of the C files, SEC() line to "}".
program() {
	awk -v name="$1" '
		/^SEC\(/ { sec = $0; next }
		sec != "" && $0 ~ "^(int " name "\\(|[a-z0-9_]+ BPF_PROG\\(" name "[,)])" {
			body = sec "\n" $0; inside = 1; sec = ""; next
		}
		inside { body = body "\n" $0 }
		inside && /^}/ { print body; found = 1; exit }
		{ sec = "" }
		END { exit !found }' "${@:2}"
}

for md in "$@"; do
	[ -f "$md" ] || die "$md: no such file"
	rm -f "$tmp"/block.*
	# Each ```c block to a file of its own.
	awk -v out="$tmp/block." '
		/^```c$/ { n++; inside = 1; next }
		/^```$/ { inside = 0; next }
		inside { print > (out n) }' "$md"
	for block in "$tmp"/block.*; do
		[ -f "$block" ] || continue
		grep -q '^SEC(' "$block" || continue
		name=$(sed -n -E -e 's/^int ([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/p' \
			-e 's/^[a-z0-9_]+ BPF_PROG\(([A-Za-z_][A-Za-z0-9_]*)[,)].*/\1/p' "$block" | head -n1)
		[ -n "$name" ] || continue
		checked=$((checked + 1))
		if ! program "$name" progs/*.c > "$tmp/program"; then
			echo "check-docs: FAIL: $md quotes $name(), which no file in progs/ defines"
			status=1
		elif ! diff -u --label "$md" --label "progs: $name()" "$block" "$tmp/program" \
			> "$tmp/diff"; then
			echo "check-docs: FAIL: $md quotes $name() unlike progs/ has it:"
			sed 's/^/    /' "$tmp/diff"
			status=1
		fi
	done
done
[ "$checked" -gt 0 ] || die "no example program quoted in $*"
[ $status != 0 ] || echo "check-docs: ok ($checked quoted programs equal their source in progs/)"
exit $status
