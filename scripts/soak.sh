#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run test_progs N times on the host with a busy loop on every CPU beside
# it, then report how often each test or subtest failed, with the log of
# its first failure. A test that only passes on an idle machine fails here.
#
#   scripts/soak.sh [N] [-- TEST_PROGS_ARGS...]     (N default 100)
#
# Exits 1 if any run failed. Environment: TEST_PROGS, OUTPUT.
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
OUTPUT=${OUTPUT:-$repo/build}
TEST_PROGS=${TEST_PROGS:-$OUTPUT/test_progs}

runs=100
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	runs=$1
	shift
fi
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, not '$runs'"
[ "${1:-}" = "--" ] && shift
[ $# -eq 0 ] || [ "${1:0:1}" = "-" ] || die "unexpected argument '$1' (test_progs arguments go after --)"
[ -x "$TEST_PROGS" ] || die "$TEST_PROGS not found: build it first (make)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
busy=()
cleanup() {
	[ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq "$(nproc)"); do
	bash -c 'while :; do :; done' &
	busy+=($!)
done

start=$SECONDS
failed_runs=0
for i in $(seq "$runs"); do
	rc=0
	"$TEST_PROGS" "$@" > "$tmp/out" 2>&1 || rc=$?
	# 0: passed; 4: every selected test skipped (nothing failed)
	[ "$rc" = 0 ] || [ "$rc" = 4 ] || failed_runs=$((failed_runs + 1))
	names=$(sed -En 's/^#[0-9/]+ +([^ ]+):FAIL$/\1/p' "$tmp/out")
	[ "$rc" = 0 ] || [ "$rc" = 4 ] || [ -n "$names" ] || names="(test_progs exit status $rc)"
	for name in $names; do
		key=${name//\//@}
		echo "$name" >> "$tmp/failures"
		[ -e "$tmp/first.$key" ] || cp "$tmp/out" "$tmp/first.$key"
	done
	echo "soak: run $i/$runs: exit $rc${names:+, failed: $(echo $names)}"
done

echo
echo "soak: $runs runs in $((SECONDS - start)) s under $(nproc) busy loops: $failed_runs failed"
[ -e "$tmp/failures" ] || exit 0
echo "failures per test or subtest:"
sort "$tmp/failures" | uniq -c | sort -rn
for f in "$tmp"/first.*; do
	name=${f#"$tmp/first."}
	name=${name//@//}
	echo
	echo "--- first failure of $name:"
	# Its block under "All error logs:", or the whole output (-v, a crash).
	awk -v n="$name" '
		/^All error logs:$/ { inlog = 1; next }
		inlog && /^ *[^ ]+:FAIL$/ { show = ($NF == n ":FAIL") }
		/^Summary: / { show = 0 }
		show { print; found = 1 }
		END { exit !found }
	' "$f" || cat "$f"
done
exit 1
