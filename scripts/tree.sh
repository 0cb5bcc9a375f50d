#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by scripts/in-tree.sh and scripts/patch.sh (which set LANE): a scratch copy of a
# kernel tree in which upstream's test_progs is built with the tree's own
# Makefile. The tree given as KDIR is only ever read.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the selftests build reads outside tools/: scripts/ (sign-file.c,
# checkpatch) and kernel/bpf/ (bpftool compiles its disasm.c); the top
# Makefile says the tree's version.
TREE_PARTS="Makefile tools scripts kernel/bpf"
SELFTESTS=tools/testing/selftests/bpf

# The mutants/ patches MUTANTS names by number ("01 14"; all when unset).
selected_mutants() {
	local p n
	for p in "$(dirname "${BASH_SOURCE[0]}")"/../mutants/[0-9]*.patch; do
		n=${p##*/}; n=${n%%-*}
		[ -z "${MUTANTS:-}" ] || [[ " $MUTANTS " == *" $n "* ]] || continue
		readlink -f "$p"
	done
}

# Our files: every progs/cpumask_create*.[ch] and prog_tests/cpumask_create*.[ch].
our_files() {
	local f
	for f in progs/cpumask_create*.[ch] prog_tests/cpumask_create*.[ch]; do
		[ -f "$f" ] && echo "$f"
	done
	return 0
}

tree_die() { echo "$LANE: $*" >&2; exit 1; }

# tree_series KDIR: the tree's kernel series, e.g. 7.3, from its Makefile.
tree_series() {
	awk '$1 == "VERSION" { v = $3 } $1 == "PATCHLEVEL" { p = $3 }
	     END { if (v != "") print v "." p }' "$1/Makefile"
}

# tree_clang SERIES: the clang a tree's selftests build with. 7.x's link
# libarena, whose BPF code needs clang-22 (clang-16 lacks
# bpf_addr_space_cast, clang-19 its atomics); 6.x's build with clang-16.
tree_clang() {
	case $1 in
	6.*) echo 16 ;;
	*) echo 22 ;;
	esac
}

# tree_dir ARG: the tree ARG names: a series of lib.sh's (6.12: the stable
# tree, 7.3: the current one), a path, or nothing (KDIR if set, else the
# current tree: the one upstream takes patches against).
tree_dir() {
	case ${1:-} in
	"") echo "${KDIR:-$CURRENT_TREE}" ;;
	"$CURRENT_SERIES") echo "$CURRENT_TREE" ;;
	"$STABLE_SERIES") echo "$STABLE_TREE" ;;
	*) echo "$1" ;;
	esac
}

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

# tree_prune DIR: in the selftests dir DIR, drop upstream's tests but its
# cpumask ones, so that test_progs builds a fraction of the tree's programs
# (and editing our header under progs/ does not rebuild every BPF program
# of the tree), and our files are built next to the upstream tests closest to
# them. Kept: upstream's cpumask tests, and every progs/X.c whose name the
# Makefile spells out (light skeletons, linked objects, btf_data.bpf.o for
# resolve_btfids): the Makefile's rules need them whatever tests exist,
# and the tests named after DIR (a patch series' own, e.g. a fix's).
# Idempotent.
tree_prune() {
	local dir=$1 keep own f name
	shift
	own=" $* "
	keep=" $(grep -v -- '-CFLAGS' "$dir/Makefile" |
		 grep -oE '\b[A-Za-z0-9_]+\.(c|bpf\.o)\b' | sed -E 's/\.(c|bpf\.o)$//' |
		 sort -u | tr '\n' ' ')$own"
	for f in "$dir"/progs/*.c; do
		name=${f##*/}; name=${name%.c}
		[[ $name == cpumask* || $keep == *" $name "* ]] || rm -f "$f"
	done
	for f in "$dir"/prog_tests/*.c; do
		name=${f##*/}; name=${name%.c}
		[[ $name == cpumask* || $own == *" $name "* ]] || rm -f "$f"
	done
}

# tree_skels FILE...: the skeletons (their programs' names) the C files include.
tree_skels() {
	sed -nE 's/^#include "([A-Za-z0-9_]+)\.skel\.h"$/\1/p' "$@" | tr '\n' ' '
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

# tree_make DIR MAKE_ARGS...: make in the selftests dir DIR of a scratch
# copy, with the clang tree_clang names and no LLVM disassembler in
# test_progs (it only serves the JIT dump tests and would need LLVM's
# static libraries). Environment variables, because the tree's feature
# checks run make from $(shell). OUTPUT is ours, not the tree's, and the
# tree's lib.mk only picks its own OUTPUT in a top-level make: forget a
# make that runs this script.
tree_make() {
	local dir=$1 v
	shift
	v=$(tree_clang "$(tree_series "$dir/../../../..")")
	env -u OUTPUT -u MAKELEVEL -u MAKEFLAGS -u MFLAGS \
		CLANG="clang-$v" LLC="llc-$v" LLVM_CONFIG=false \
		LLVM_STRIP="llvm-strip-$v" LLVM_OBJCOPY="llvm-objcopy-$v" \
		make -C "$dir" "$@"
}

# tree_runners DIR VMLINUX_BTF: the runners of test_progs' flavors that
# the tree's default target builds, as its Makefile decides with its clang:
# test_progs, test_progs-no_alu32, test_progs-cpuv4 when that clang knows
# -mcpu=v4 (not clang-16), test_progs-bpf_gcc with a BPF GCC. Asked with an
# empty OUTPUT: the Makefile remakes the dependency files it includes, and
# in DIR that would build (and hide the errors of) every skeleton.
tree_runners() {
	local tmp list
	tmp=$(mktemp -d)
	# shellcheck disable=SC2016 # make's variables, for make
	list=$(echo 'tree-runners: ; @echo $(filter test_progs test_progs-%,$(notdir $(TEST_GEN_PROGS)))' |
	       tree_make "$1" -s -f Makefile -f - OUTPUT="$tmp" VMLINUX_BTF="$2" tree-runners 2>&1) ||
		true
	rm -rf "$tmp"
	grep -E '^test_progs( |$)' <<<"$list" || { tail -n 5 <<<"$list" >&2; return 1; }
}

# tree_build DIR VMLINUX_BTF LOG [RUNNER...]: build every flavor of
# upstream's test_progs that the tree's default target builds (tree_runners;
# they are left in TREE_RUNNERS), or only the RUNNERs given, in DIR with
# the tree's Makefile, so that our programs are compiled by each flavor's
# rule (-mcpu=v2 for no_alu32 ...).
# The rest of the default target (test_maps, bench ...) needs the
# programs tree_prune removes. The test modules (bpf_testmod.ko and the
# others the Makefile lists) need a configured kernel build; empty files
# stand in for them and make -o keeps make from rebuilding them
# (test_progs then warns that it cannot load bpf_testmod).
tree_build() {
	local dir=$1 btf=$2 log=$3 mod skip=() stamp d dep
	shift 3
	# A dependency file naming a source of ours that is gone (a renamed
	# header) stops make with "No rule to make target": drop it and its
	# object, which make then rebuilds. Flavors build in subdirectories.
	for d in "$dir"/cpumask_create*.d "$dir"/*/cpumask_create*.d; do
		[ -e "$d" ] || continue
		for dep in $(grep -oE '[^ :\\]*(progs|prog_tests)/cpumask_create[^ :\\]*' "$d"); do
			[ -e "$dep" ] || [ -e "$dir/$dep" ] || { rm -f "$d" "${d%.d}.o"; break; }
		done
	done
	for mod in $(grep -oE '\bbpf_[a-z0-9_]+\.ko\b' "$dir/Makefile" | sort -u); do
		[ -f "$dir/$mod" ] || : > "$dir/$mod"
		skip+=(-o "$dir/$mod")
	done
	# The Makefile regenerates vmlinux.h only when the BTF file is newer:
	# another BTF than last time must regenerate it too.
	stamp="$(readlink -f "$btf") $(stat -c '%s %Y' "$btf")"
	if [ "$(cat "$dir/.vmlinux_btf" 2>/dev/null)" != "$stamp" ]; then
		rm -f "$dir/tools/include/vmlinux.h"
		echo "$stamp" > "$dir/.vmlinux_btf"
	fi
	TREE_RUNNERS=${*:-$(tree_runners "$dir" "$btf")} ||
		tree_die "$dir/Makefile: cannot tell which test_progs runners it builds"
	# shellcheck disable=SC2086 # a list of targets
	tree_make "$dir" -j2 VMLINUX_BTF="$btf" "${skip[@]}" $TREE_RUNNERS > "$log" 2>&1 || {
		tail -n 40 "$log" >&2
		tree_die "building $TREE_RUNNERS in $dir failed (log: $log)"
	}
}
