#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check what test_progs tells its caller: kselftest exit statuses and the -J
# summary of a passing, a failing and a skipping run (docs/lanes.md, "Soak, kill and sanitizers").
#
#   scripts/runner-check.sh        (root; TEST_PROGS, OUTPUT)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
OUTPUT=${OUTPUT:-$repo/build}
TEST_PROGS=${TEST_PROGS:-$OUTPUT/test_progs}
# one small test, which passes on every kernel with the kfunc
ONE=cpumask_create_kfuncs

[ -x "$TEST_PROGS" ] || die "$TEST_PROGS not found: build it first (make)"
[ "$(id -u)" = 0 ] || die "needs root (it runs the suite as root, without capabilities and as nobody)"
for tool in jq runuser unshare; do
	command -v $tool >/dev/null || die "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# nobody must reach the binary and write its summary
chmod 755 "$tmp"
cp "$TEST_PROGS" "$tmp/test_progs"
# and upstream's binary behind it, where test_progs looks for it
inner=$(runner_binary "$TEST_PROGS")
if [ -n "$inner" ]; then
	inner_dest=$tmp/${inner#"$(dirname "$TEST_PROGS")"/}
	mkdir -p "$(dirname "$inner_dest")"
	cp "$inner" "$inner_dest"
fi
mkdir -m 777 "$tmp/out"
tp=$tmp/test_progs
bad=0

# expect STATUS WHAT CMD...: CMD exits STATUS
expect() {
	local want=$1 what=$2 rc=0

	shift 2
	"$@" > "$tmp/log" 2>&1 || rc=$?
	if [ "$rc" = "$want" ]; then
		echo "runner-check: ok: $what: exit $rc"
		return 0
	fi
	echo "runner-check: FAIL: $what: exit $rc, want $want; output:"
	tail -n 20 "$tmp/log" | sed 's/^/    /'
	bad=1
	return 1
}

# json FILE WHAT JQ_TEST: FILE parses and has upstream's shape, and JQ_TEST holds
json() {
	local file=$1 what=$2 test=$3 shape

	shape='(keys == ["failed", "results", "skipped", "success", "success_subtest"]) and
	       ([.failed, .skipped, .success, .success_subtest] | all(type == "number")) and
	       (.results | all(.[]; (keys == ["failed", "message", "name", "number", "subtests"])
				and .failed == true and
				(.subtests | all(.[]; keys == ["failed", "message", "name", "number"]))))'
	if ! jq empty "$file" > /dev/null 2>&1; then
		echo "runner-check: FAIL: $what: $file is not JSON"
		bad=1
	elif ! jq -e "($shape) and ($test)" "$file" > /dev/null; then
		echo "runner-check: FAIL: $what: $file has not upstream's shape or not '$test':"
		head -c 600 "$file" | sed 's/^/    /'
		echo
		bad=1
	elif ls "$file".* > /dev/null 2>&1; then
		echo "runner-check: FAIL: $what: a temporary file was left beside $file"
		bad=1
	else
		echo "runner-check: ok: $what: $(jq -c 'del(.results) + {results: (.results | length)}' "$file")"
	fi
}

# Selections that select nothing are errors, -l's too.
expect 2 "-t ''" "$tp" -t ''
expect 2 "-t ','" "$tp" -t ','
expect 2 "-t '/'" "$tp" -t '/'
expect 2 "-n ''" "$tp" -n ''
expect 2 "-t no_such_test" "$tp" -t no_such_test
expect 2 "-l -t no_such_test" "$tp" -l -t no_such_test

# A summary that cannot be written: at once, before any test; or at the end.
if expect 2 "-J into a missing directory" "$tp" -t "$ONE" -J "$tmp/missing/s.json" &&
   grep -q '^#' "$tmp/log"; then
	echo "runner-check: FAIL: -J into a missing directory: tests ran before the error"
	bad=1
fi
if expect 1 "-J /dev/full" "$tp" -t "$ONE" -J /dev/full && ! grep -q 'cannot write /dev/full' "$tmp/log"; then
	echo "runner-check: FAIL: -J /dev/full: no message"
	bad=1
fi

expect 0 "passing run" "$tp" -t "$ONE" -J "$tmp/out/pass.json" &&
	json "$tmp/out/pass.json" "passing run" '.failed == 0 and .success == 1 and .results == []'
expect 1 "failing run (user namespace)" unshare -Urn \
	"$tp" -t "$ONE" -J "$tmp/out/fail.json" &&
	json "$tmp/out/fail.json" "failing run" \
	     '.failed == 1 and (.results | length) == 1 and (.results[0].subtests | length) > 0'
if expect 4 "skipping run (nobody)" runuser -u nobody -- "$tp" -J "$tmp/out/skip.json" &&
   ! grep -qx 'SKIP: test_progs needs CAP_SYS_ADMIN (root)' "$tmp/log"; then
	echo "runner-check: FAIL: skipping run (nobody): no 'SKIP:' line says why"
	bad=1
fi
json "$tmp/out/skip.json" "skipping run" \
     '.failed == 0 and .skipped == .success and .results == []'

[ "$bad" = 0 ] && echo "runner-check: all good"
exit $bad
