#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the standalone runner as the in-tree lane builds upstream's: a
# pruned copy of the stable tree (KDIR, default 6.12) with our progs/ and
# prog_tests/ dropped in, its own Makefile building test_progs and the
# flavors asked for against the BTF of Debian's kernel of its series (the
# host's newer BTF breaks the 6.12 tree's programs; CO-RE relocates ours).
# cpuv4 needs a clang that knows -mcpu=v4, which the tree's clang-16 does
# not: it builds in a copy of its own with clang-22. The runners link
# statically (but under SAN_CFLAGS), so that a kselftest install or a
# guest needs no library. Each binary is installed as
# OUTPUT/runner/test_progs[.FLAVOR] (no dash: upstream's runner would chdir
# into a flavor subdirectory), fronted by OUTPUT/test_progs[-FLAVOR],
# runner/test_progs.sh with the known failures built in.
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
export SAN_CFLAGS=${SAN_CFLAGS:-}
# -static for the runners alone (not libbpf.so ...): a makefile that make
# reads first (MAKEFILES), naming them
LDFLAGS=
[ -n "$SAN_CFLAGS" ] || LDFLAGS=-static

# build TREE RUNNER...: the runners, in OUTPUT/TREE
build() {
	local tree=$OUTPUT/$1 sel r bin
	shift
	sel=$tree/$SELFTESTS
	tree_copy "$kdir" "$tree"
	tree_prune "$sel"
	# only our tests: upstream's cpumask test too goes
	for f in "$sel"/prog_tests/cpumask*.c "$sel"/progs/cpumask*.c; do
		case ${f##*/} in cpumask_create*) ;; *) rm -f "$f" ;; esac
	done
	tree_sync "$sel"
	# make does not relink for other flags
	if [ "$(cat "$sel/.ldflags" 2>/dev/null)" != "$LDFLAGS" ]; then
		rm -f "$sel"/test_progs "$sel"/test_progs-*
		echo "$LDFLAGS" > "$sel/.ldflags"
	fi
	echo "$(printf "$sel/%s " "$@"): private LDFLAGS += $LDFLAGS" > "$tree.mk"
	MAKEFILES=$tree.mk tree_build "$sel" "$btf" "$tree.log" "$@"
	for r; do
		bin=runner/${r/-/.}
		cp "$sel/$r" "$OUTPUT/$bin.tmp" && mv "$OUTPUT/$bin.tmp" "$OUTPUT/$bin"
		sed -e "s|@BIN@|$bin|" -e '/^@KNOWN_FAILURES@$/{r known-failures' -e 'd}' \
			runner/test_progs.sh > "$OUTPUT/$r.tmp"
		chmod 755 "$OUTPUT/$r.tmp"
		mv "$OUTPUT/$r.tmp" "$OUTPUT/$r"
	done
}

runners=test_progs
cpuv4=
for f in "$@"; do
	if [ "$f" = cpuv4 ]; then cpuv4=1; else runners+=" test_progs-$f"; fi
done
mkdir -p "$OUTPUT/runner"
exec 9> "$OUTPUT/.tree.lock"
flock 9
# shellcheck disable=SC2086 # a list of runners
build tree $runners
if [ -n "$cpuv4" ]; then
	tree_clang() { echo 22; }
	build tree-cpuv4 test_progs-cpuv4
fi
