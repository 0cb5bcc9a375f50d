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
static=-static
if [ -n "$SAN_CFLAGS" ]; then
	static=
	# The host tools link the sanitized libbpf.a too (LDFLAGS below);
	# UBSan stops bpftool's skeleton generation at a signed overflow in
	# libbpf's btf.c: the skeletons come from Debian's bpftool (7.5, the
	# tree's own version), uninstrumented.
	export BPFTOOL=${BPFTOOL:-$(command -v bpftool)}
fi

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
	if [ "$(cat "$sel/.ldflags" 2>/dev/null)" != "$static" ]; then
		rm -f "$sel"/test_progs "$sel"/test_progs-*
		echo "$static" > "$sel/.ldflags"
	fi
	echo "$(printf "$sel/%s " "$@"): private LDFLAGS += $static" > "$tree.mk"
	# clang links liburandom_read.so, and clang-16 has no sanitizer
	# runtime: no test here uses it, build it uninstrumented
	[ -z "$SAN_CFLAGS" ] || SAN_CFLAGS= tree_make "$sel" -s VMLINUX_BTF="$btf" \
		"$sel/liburandom_read.so" "$sel/urandom_read" >> "$tree.log" 2>&1 ||
		tree_die "building urandom_read in $sel failed (log: $tree.log)"
	LDFLAGS=$SAN_CFLAGS KBUILD_HOSTLDFLAGS=$SAN_CFLAGS MAKEFILES=$tree.mk tree_build "$sel" "$btf" "$tree.log" "$@"
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
