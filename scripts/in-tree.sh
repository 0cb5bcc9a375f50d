#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Our progs/ and prog_tests/ in a copy of a kernel tree, built and run by
# upstream's test_progs, which must report what our runner reports
# (docs/lanes.md, "In-tree lane").
#
#   ./run.sh --in-tree [KDIR|SERIES] [-- TEST_PROGS_ARGS...]
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
export OUTPUT=${OUTPUT:-$PWD/build}
VM_SH=${VM_SH:-scripts/vm.sh}
LANE=in-tree
. scripts/tree.sh

arg=
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	arg=$1; shift
fi
[ $# = 0 ] || [ "$1" != "--" ] || shift
[ $# -gt 0 ] || set -- -t cpumask_create
kdir=$(tree_dir "$arg")
tree_check "$kdir"
series=$(tree_series "$kdir")

# The tree's selftests need the BTF of a kernel of their own version (the
# host's 6.18 BTF breaks the 6.12 tree's; the 7.3 tree's call kfuncs 6.12
# lacks).
guest=$(scripts/kernel.sh "$series") ||
	tree_die "no Debian kernel of the tree's series $series"
btf=${VMLINUX_BTF:-$guest/vmlinux}

name=$(basename "$(readlink -f "$kdir")")
scratch=$CACHE/in-tree/$name
mkdir -p "$CACHE/in-tree"
exec 9> "$scratch.lock"
flock 9
logs=$scratch/logs
sel=$scratch/tree/$SELFTESTS
status=0

fail() { echo "in-tree: FAIL: $*"; status=1; }

# Result lines ("test/subtest:RESULT") and the summary, in a stable order
# (test_progs -j prints results as they come). Without numbers: upstream's
# cpumask test, built beside ours, shifts them. 7.3's summary says failed
# tests/subtests ("4/13 FAILED"), 6.12's failed tests: compare the tests.
# Upstream's runner has no known-failures list: what ours calls XFAIL (and
# counts as KNOWN) it calls FAIL.
results() {
	sed -n -E 's/^#[0-9]+(\/[0-9]+)?[[:space:]]+(.*):XFAIL$/\2:FAIL/p; t
		   s/^#[0-9]+(\/[0-9]+)?[[:space:]]+//p
		   s/^(Summary: .*, [0-9]+)\/[0-9]+ FAILED$/\1 FAILED/p
		   /^Summary: .* [0-9]+ FAILED(, [0-9]+ (KNOWN|XPASS))*$/p' "$1" |
	awk '/^Summary: / {
		known = 0
		if (match($0, /, [0-9]+ KNOWN/))
			known = substr($0, RSTART + 2, RLENGTH - 8)
		sub(/(, [0-9]+ (KNOWN|XPASS))+$/, "")
		n = split($0, w, " ")
		w[n - 1] += known
		line = w[1]
		for (i = 2; i <= n; i++)
			line = line " " w[i]
		$0 = line
	} { print }' | sort -u
}

# A failure of upstream's runner fails the lane unless ours, on the same
# kernel, failed nothing but known failures; compare() then checks that
# the two agree on what failed.
known_only() {
	grep -q '^KNOWN: ' "$1" && ! grep -Eq ':FAIL$' "$1"
}

# only_tests OURS THEIRS [-v]: THEIRS's result lines of the tests OURS has
# (of the others with -v), no summary.
only_tests() {
	awk -v others="${3:-}" '
	{ n = $0; sub(/[\/:].*/, "", n) }
	/^Summary/ { next }
	NR == FNR { ours[n] = 1; next }
	(n in ours) != (others == "-v")' <(results "$1") <(results "$2")
}

# compare UPSTREAM OURS WHERE: same tests, subtests, results and summary.
# Upstream's own tests that a selection like -t cpumask adds (ours has none
# of them) must pass; the rest is then compared without the summaries.
compare() {
	local extra

	if [ -z "$(results "$1")" ]; then
		fail "$3: upstream's test_progs reported no test"
		return
	fi
	extra=$(only_tests "$2" "$1" -v)
	if grep -q ':FAIL$' <<<"$extra"; then
		fail "$3: upstream's own tests failed:"
		grep ':FAIL$' <<<"$extra" | sed 's/^/    /'
	elif [ -n "$extra" ]; then
		echo "in-tree: $3: upstream's own tests passed ($(wc -l <<<"$extra") results)"
	fi
	# shared LOG: LOG's results, summary included only when nothing is extra
	shared() { if [ -n "$extra" ]; then only_tests "$2" "$1"; else results "$1"; fi; }
	if diff -u --label "upstream test_progs ($3)" --label "our runner ($3)" \
		<(shared "$1" "$2") <(shared "$2" "$2") > "$logs/diff"; then
		echo "in-tree: $3: our runner reports the same" \
		     "$(only_tests "$2" "$2" | wc -l) results$([ -n "$extra" ] || echo ' and summary')"
	else
		fail "$3: our runner differs from upstream's test_progs:"
		sed 's/^/    /' "$logs/diff"
	fi
}

# same_as_base BASE FLAVOR WHERE RUNNER: the flavor's run (FLAVOR, with exit
# status in FLAVOR.rc) reports test_progs' results, summary and exit status.
same_as_base() {
	if diff -u --label "test_progs ($3)" --label "$4 ($3)" \
		<(results "$1"; cat "$1.rc") <(results "$2"; cat "$2.rc") > "$logs/diff"; then
		echo "in-tree: $3: $4 reports the same $(results "$2" | grep -vc '^Summary: ')" \
		     "results, summary and exit status as test_progs"
	else
		fail "$3: $4 differs from test_progs (log: $2):"
		sed 's/^/    /' "$logs/diff"
	fi
}

# in_sel ARGS...: TEST_PROGS run in the selftests dir, as upstream's runs.
in_sel() { (cd "$sel" && "$TEST_PROGS" "$@"); }

# run_flavors WHERE BASE CMD...: each flavor but test_progs, its runner's
# path put after CMD (a guest's through TEST_PROGS), compared with BASE.
run_flavors() {
	local where=$1 base=$2 r out rc
	shift 2
	for r in $TREE_RUNNERS; do
		[ "$r" != test_progs ] || continue
		out=$logs/upstream-$where-$r.out
		rc=0
		TEST_PROGS=$sel/$r "$@" > "$out" 2>&1 || rc=$?
		echo $rc > "$out.rc"
		same_as_base "$base" "$out" "$where" "$r"
	done
}

scripts/config-check.sh "$kdir" "$series" || status=1

start=$SECONDS
tree_copy "$kdir" "$scratch/tree"
tree_prune "$sel"
tree_sync "$sel"
mkdir -p "$logs"
tree_build "$sel" "$btf" "$logs/build.log"
echo "in-tree: built upstream's $TREE_RUNNERS ($series tree, clang-$(tree_clang "$series")," \
     "BTF of $(cat "$guest/release")) in $sel ($((SECONDS - start)) s)"

# Our runner, built as ./run.sh builds it.
make -s -j2 OUTPUT="$OUTPUT" > "$logs/ours-build.log" 2>&1 || {
	cat "$logs/ours-build.log" >&2
	tree_die "building our runner failed"
}

echo "=== in-tree: host $(uname -r): upstream's test_progs $*"
rc=0
(cd "$sel" && ./test_progs "$@") | tee "$logs/upstream-host.out" || rc=$?
echo $rc > "$logs/upstream-host.out.rc"
"$OUTPUT/test_progs" "$@" > "$logs/ours-host.out" 2>&1 ||
	fail "host: our runner failed (log: $logs/ours-host.out)"
if [ $rc != 0 ]; then
	if known_only "$logs/ours-host.out"; then
		echo "in-tree: host: upstream's test_progs failed where known-failures expects it"
	else
		fail "host: upstream's test_progs failed"
	fi
fi
compare "$logs/upstream-host.out" "$logs/ours-host.out" host
run_flavors host "$logs/upstream-host.out" in_sel "$@"

if [ -x "$VM_SH" ]; then
	echo "=== in-tree: Debian $series guest: upstream's test_progs $*"
	rc=0
	TEST_PROGS=$sel/test_progs "$VM_SH" "$series" -- "$@" | tee "$logs/upstream-vm.out" ||
		rc=$?
	echo $rc > "$logs/upstream-vm.out.rc"
	env -u TEST_PROGS "$VM_SH" "$series" -- "$@" > "$logs/ours-vm.out" 2>&1 ||
		fail "vm: our runner failed in the $series guest (log: $logs/ours-vm.out)"
	if [ $rc != 0 ]; then
		if known_only "$logs/ours-vm.out"; then
			echo "in-tree: $series guest: upstream's test_progs failed where" \
			     "known-failures expects it"
		else
			fail "vm: upstream's test_progs failed in the $series guest"
		fi
	fi
	compare "$logs/upstream-vm.out" "$logs/ours-vm.out" "$series guest"
	run_flavors "$series-guest" "$logs/upstream-vm.out" "$VM_SH" "$series" -- "$@"
else
	echo "in-tree: $VM_SH not found: the guest part of this lane did not run"
fi

echo "in-tree: $([ $status = 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s; logs: $logs)"
exit $status
