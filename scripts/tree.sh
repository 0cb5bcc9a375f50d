#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/in-tree.sh and scripts/patch.sh (which set LANE): a scratch copy of a
# kernel tree in which upstream's test_progs is built with the tree's own
# Makefile. The tree given as KDIR is only ever read.

# What the selftests build reads outside tools/: scripts/ (sign-file.c,
# checkpatch) and kernel/bpf/ (bpftool compiles its disasm.c).
TREE_PARTS="tools scripts kernel/bpf"
SELFTESTS=tools/testing/selftests/bpf

# Our files: every progs/cpumask_create*.[ch] and prog_tests/cpumask_create*.[ch].
our_files() {
	local f
	for f in progs/cpumask_create*.[ch] prog_tests/cpumask_create*.[ch]; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

tree_die() { echo "$LANE: $*" >&2; exit 1; }

# tree_check KDIR: KDIR is a kernel tree with BPF selftests.
tree_check() {
	[ -f "$1/$SELFTESTS/Makefile" ] && [ -f "$1/scripts/checkpatch.pl" ] ||
		tree_die "$1 is not a kernel tree with $SELFTESTS (run ./run.sh --setup)"
}

# tree_copy KDIR DEST: make DEST a copy of the parts of KDIR the build needs,
# unless it already is one. DEST/.source records the tree and this file's
# hash; a new tree, a file of KDIR changed since the copy, or a change here
# makes a new copy (and a cold build).
tree_copy() {
	local kdir=$1 dest=$2 key part
	key="$(readlink -f "$kdir") $(sha1sum < "${BASH_SOURCE[0]}" | cut -c1-12)"
	if [ -f "$dest/.source" ] && [ "$(cat "$dest/.source")" = "$key" ] &&
	   [ -z "$(cd "$kdir" && find $TREE_PARTS -newer "$dest/.source" -print -quit)" ]; then
		return 0
	fi
	echo "$LANE: copying $TREE_PARTS of $kdir to $dest"
	rm -rf "$dest" "$dest.tmp"
	mkdir -p "$dest.tmp"
	for part in $TREE_PARTS; do
		mkdir -p "$dest.tmp/$(dirname "$part")"
		cp -a "$kdir/$part" "$dest.tmp/$part"
	done
	echo "$key" > "$dest.tmp/.source"
	mv "$dest.tmp" "$dest"
}

# tree_prune DIR: in the selftests dir DIR, drop upstream's tests, so that
# test_progs holds our tests only and builds in about a minute instead of
# three to six (and editing our header under progs/ does not rebuild all
# ~810 BPF programs). Kept: every progs/X.c whose name the Makefile spells
# out (light skeletons, linked objects, btf_data.bpf.o for resolve_btfids):
# the Makefile's rules need them whatever tests exist. Idempotent.
tree_prune() {
	local dir=$1 keep f name
	keep=" $(grep -v -- '-CFLAGS' "$dir/Makefile" |
		 grep -oE '\b[A-Za-z0-9_]+\.(c|bpf\.o)\b' | sed -E 's/\.(c|bpf\.o)$//' |
		 sort -u | tr '\n' ' ')"
	for f in "$dir"/progs/*.c; do
		name=${f##*/}; name=${name%.c}
		[[ $name == cpumask_create* || $keep == *" $name "* ]] || rm -f "$f"
	done
	for f in "$dir"/prog_tests/*.c; do
		name=${f##*/}
		[[ $name == cpumask_create* ]] || rm -f "$f"
	done
}

# tree_sync DIR: make DIR's cpumask_create* files exactly ours. A file is
# copied only when its content differs, so make rebuilds only what changed.
tree_sync() {
	local dir=$1 f
	for f in "$dir"/progs/cpumask_create* "$dir"/prog_tests/cpumask_create*; do
		[ -e "$f" ] || continue
		if [ ! -f "${f#"$dir"/}" ]; then
			rm -f "$f"
			# tests.h only depends on the test files that exist
			rm -f "$dir/prog_tests/tests.h"
		fi
	done
	for f in $(our_files); do
		cmp -s "$f" "$dir/$f" || cp "$f" "$dir/$f"
	done
}

# tree_build DIR VMLINUX_BTF LOG: build upstream's test_progs in DIR with the
# tree's Makefile. The bpf_testmod*.ko modules need a configured kernel
# build; empty files stand in for them and make -o keeps make from
# rebuilding them (test_progs then warns that it cannot load bpf_testmod).
tree_build() {
	local dir=$1 btf=$2 log=$3 mod skip=()
	for mod in bpf_testmod bpf_test_no_cfi bpf_test_modorder_x bpf_test_modorder_y; do
		[ -f "$dir/$mod.ko" ] || : > "$dir/$mod.ko"
		skip+=(-o "$dir/$mod.ko")
	done
	# clang 16 for BPF; no LLVM disassembler in test_progs (it only serves the
	# JIT dump tests and would need LLVM's static libraries): environment
	# variables, because the tree's feature checks run make from $(shell).
	# OUTPUT is ours, not the tree's, and the tree's lib.mk only picks its
	# own OUTPUT in a top-level make: forget a make that runs this script.
	env -u OUTPUT -u MAKELEVEL -u MAKEFLAGS -u MFLAGS \
		CLANG="${CLANG:-clang-16}" LLC="${LLC:-llc-16}" LLVM_CONFIG=false \
		LLVM_STRIP="${LLVM_STRIP:-llvm-strip-16}" \
		LLVM_OBJCOPY="${LLVM_OBJCOPY:-llvm-objcopy-16}" \
		make -C "$dir" -j2 VMLINUX_BTF="$btf" "${skip[@]}" test_progs > "$log" 2>&1 || {
		tail -n 40 "$log" >&2
		tree_die "building test_progs in $dir failed (log: $log)"
	}
}
