#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the standalone runner as the in-tree lane builds upstream's: a
# pruned copy of the stable tree (KDIR, default 6.12) with our progs/ and
# prog_tests/ dropped in, its own Makefile building test_progs and the
# flavors asked for against the BTF of Debian's kernel of its series (the
# host's newer BTF breaks the 6.12 tree's programs; CO-RE relocates ours).
# Each binary is installed as OUTPUT/runner/test_progs[.FLAVOR] (no dash:
# upstream's runner would chdir into a flavor subdirectory), fronted by
# OUTPUT/test_progs[-FLAVOR], runner/test_progs.sh with the known failures
# built in.
#
#   runner/build.sh [FLAVOR...]          (OUTPUT, KDIR, VMLINUX_BTF, SAN_CFLAGS)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
LANE=build
. scripts/tree.sh
OUTPUT=${OUTPUT:-$PWD/build}
kdir=${KDIR:-$STABLE_TREE}
tree_check "$kdir"
series=$(tree_series "$kdir")
btf=${VMLINUX_BTF:-$(scripts/kernel.sh "$series")/vmlinux}
sel=$OUTPUT/tree/$SELFTESTS
runners=test_progs
for f in "$@"; do
	runners+=" test_progs-$f"
done

mkdir -p "$OUTPUT/runner"
exec 9> "$OUTPUT/.tree.lock"
flock 9
tree_copy "$kdir" "$OUTPUT/tree"
tree_prune "$sel"
# only our tests: upstream's cpumask test too goes
for f in "$sel"/prog_tests/cpumask*.c "$sel"/progs/cpumask*.c; do
	case ${f##*/} in cpumask_create*) ;; *) rm -f "$f" ;; esac
done
tree_sync "$sel"
# shellcheck disable=SC2086 # a list of runners
SAN_CFLAGS=${SAN_CFLAGS:-} tree_build "$sel" "$btf" "$OUTPUT/tree.log" $runners

for r in $runners; do
	bin=runner/${r/-/.}
	cp "$sel/$r" "$OUTPUT/$bin.tmp" && mv "$OUTPUT/$bin.tmp" "$OUTPUT/$bin"
	sed -e "s|@BIN@|$bin|" -e '/^@KNOWN_FAILURES@$/{r known-failures' -e 'd}' \
		runner/test_progs.sh > "$OUTPUT/$r.tmp"
	chmod 755 "$OUTPUT/$r.tmp"
	mv "$OUTPUT/$r.tmp" "$OUTPUT/$r"
done
