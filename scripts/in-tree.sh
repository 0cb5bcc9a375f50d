#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-tree lane: our progs/ and prog_tests/ files (nothing of harness/)
# dropped into a scratch copy of a kernel tree's tools/testing/selftests/bpf,
# built by the tree's own Makefile and run by upstream's test_progs, on the
# running kernel and, when scripts/vm.sh exists, in the Debian 6.12 guest.
# Our runner then runs the same selection, and both must report the same
# tests, subtests and results.
#
#   ./run.sh --in-tree [KDIR] [-- TEST_PROGS_ARGS...]   (default: -t cpumask_create)
#
# Only upstream's test_progs prints to stdout; our runner's output goes to
# the log directory and shows only where the two differ.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpumask-selftests}
export OUTPUT=${OUTPUT:-$PWD/build}
VM_SH=${VM_SH:-scripts/vm.sh}
LANE=in-tree
. scripts/tree.sh

kdir=${KDIR:-$CACHE/linux}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	kdir=$1; shift
fi
[ $# = 0 ] || [ "$1" != "--" ] || shift
[ $# -gt 0 ] || set -- -t cpumask_create
tree_check "$kdir"

# test_progs is built against the BTF of Debian's 6.12 kernel: the tree's
# selftests need a kernel of their own version (6.18's BTF breaks more files).
btf=${VMLINUX_BTF:-$(scripts/kernel.sh 6.12)/vmlinux}

name=$(basename "$(readlink -f "$kdir")")
scratch=$CACHE/in-tree/$name
mkdir -p "$CACHE/in-tree"
exec 9> "$scratch.lock"
flock 9
logs=$scratch/logs
sel=$scratch/tree/$SELFTESTS
status=0

fail() { echo "in-tree: FAIL: $*"; status=1; }

# Result lines and the summary, in a stable order (test_progs -j prints
# results as they come).
results() {
	sed -n -E 's/^(#[0-9]+(\/[0-9]+)?)[[:space:]]+/\1 /p; /^Summary: /p' "$1" | sort
}

# compare UPSTREAM OURS WHERE: same tests, subtests, numbers and results.
# The scratch tree holds no tests but ours, so upstream's numbers are the
# ones our runner must give.
compare() {
	if [ -z "$(results "$1")" ]; then
		fail "$3: upstream's test_progs reported no test"
	elif diff -u --label "upstream test_progs ($3)" --label "our runner ($3)" \
		  <(results "$1") <(results "$2") > "$logs/diff"; then
		echo "in-tree: $3: our runner reports the same" \
		     "$(results "$1" | grep -vc '^Summary') results and summary"
	else
		fail "$3: our runner differs from upstream's test_progs:"
		sed 's/^/    /' "$logs/diff"
	fi
}

scripts/config-check.sh "$kdir" || status=1

start=$SECONDS
tree_copy "$kdir" "$scratch/tree"
tree_prune "$sel"
tree_sync "$sel"
mkdir -p "$logs"
tree_build "$sel" "$btf" "$logs/build.log"
echo "in-tree: built upstream's test_progs in $sel ($((SECONDS - start)) s)"

# Our runner, built as ./run.sh builds it.
make -s -j2 OUTPUT="$OUTPUT" > "$logs/ours-build.log" 2>&1 || {
	cat "$logs/ours-build.log" >&2
	tree_die "building our runner failed"
}

echo "=== in-tree: host $(uname -r): upstream's test_progs $*"
(cd "$sel" && ./test_progs "$@") | tee "$logs/upstream-host.out" ||
	fail "host: upstream's test_progs failed"
"$OUTPUT/test_progs" "$@" > "$logs/ours-host.out" 2>&1 ||
	fail "host: our runner failed (log: $logs/ours-host.out)"
compare "$logs/upstream-host.out" "$logs/ours-host.out" host

if [ -x "$VM_SH" ]; then
	echo "=== in-tree: Debian 6.12 guest: upstream's test_progs $*"
	TEST_PROGS=$sel/test_progs "$VM_SH" 6.12 -- "$@" | tee "$logs/upstream-vm.out" ||
		fail "vm: upstream's test_progs failed in the 6.12 guest"
	env -u TEST_PROGS "$VM_SH" 6.12 -- "$@" > "$logs/ours-vm.out" 2>&1 ||
		fail "vm: our runner failed in the 6.12 guest (log: $logs/ours-vm.out)"
	compare "$logs/upstream-vm.out" "$logs/ours-vm.out" "6.12 guest"
else
	echo "in-tree: $VM_SH not found: the guest part of this lane did not run"
fi

echo "in-tree: $([ $status = 0 ] && echo ok || echo FAILED) ($((SECONDS - start)) s; logs: $logs)"
exit $status
