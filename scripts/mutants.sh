#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How much of kernel/bpf/cpumask.c the suite guards (./run.sh --mutants):
# seed each bug of mutants/*.patch, one at a time, into a copy of the
# file, build the tree with it incrementally (scripts/own-kernel.sh), boot
# it and run test_progs. A mutant is caught when test_progs fails or the guest
# oopses, hangs or panics; a mutant that does not apply or build is an
# error, never a catch.
#
#   scripts/mutants.sh [KDIR] [-- TEST_PROGS_ARGS...]
#
# The unchanged copy runs first: if it fails, no score is given. A
# survivor whose patch says "# Invisible: WHY" is reported as justified.
# Exits 0 only if every mutant is caught or justified.
#
# Environment: MUTANTS (numbers to run, e.g. "01 05"; default all), and
# what own-kernel.sh and vm.sh read.
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
FILE=kernel/bpf/cpumask.c

kdir=$STABLE_TREE
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	kdir=$1
	shift
fi
[ $# -eq 0 ] || [ "$1" = "--" ] || die "unexpected argument '$1' (test_progs arguments go after --)"
[ "${1:-}" = "--" ] && shift
[ -f "$kdir/$FILE" ] || die "$kdir: no $FILE (not a kernel tree?)"
kdir=$(readlink -f "$kdir")
command -v patch >/dev/null || die "patch not found (apt-get install patch)"

patches=()
for p in "$repo"/mutants/[0-9]*.patch; do
	n=$(basename "$p"); n=${n%%-*}
	[ -z "${MUTANTS:-}" ] || [[ " $MUTANTS " == *" $n "* ]] || continue
	patches+=("$p")
done
[ ${#patches[@]} -gt 0 ] || die "no mutant selected (MUTANTS='${MUTANTS:-}')"

# The pristine tree's own build first (incremental if ./run.sh --kernel
# ran), then a copy of its build directory for the mutants: each mutant
# recompiles one file and relinks. The mutated file is a copy outside the
# tree, bind-mounted over the tree's file only inside the build's private
# mount namespace (own-kernel.sh KBUILD_OVERLAY): the tree is never written.
image=$("$repo/scripts/own-kernel.sh" --build "$kdir") || die "the unchanged tree does not build"
pristine=${image%/arch/x86/boot/bzImage}
work=$CACHE/ownkernel/mutants/$(basename "$pristine")
out=$work/kbuild
if ! cmp -s "$pristine/.config-stamp" "$out/.config-stamp" 2>/dev/null; then
	rm -rf "$out"
	mkdir -p "$work"
	rm -rf "$out.tmp"
	cp -a "$pristine" "$out.tmp" || die "cannot copy $pristine to $out"
	mv "$out.tmp" "$out"
fi
mkdir -p "$work/logs" "$work/src/${FILE%/*}"
mutated=$work/src/$FILE
# A fresh copy: newer than any object, so the file always recompiles.
restore() {
	rm -f "$mutated"
	cp "$kdir/$FILE" "$mutated"
}

# run NAME: build with the mutated file and boot; sets $verdict.
run() {
	local name=$1 log=$work/logs/$1.log failed why
	shift

	if ! image=$(KBUILD_DIR=$out KBUILD_OVERLAY="$FILE:$mutated" \
		     "$repo/scripts/own-kernel.sh" --build "$kdir" 2>>"$log"); then
		verdict="error: build failed: $(grep -m1 'error:' "$log" || tail -n1 "$log")"
		return
	fi
	if "$repo/scripts/vm.sh" "$image" -- "$@" >>"$log" 2>&1; then
		verdict=passed
		return
	fi
	failed=$(sed -En 's/^#[0-9]+(\/[0-9]+)? +([^ ]+):FAIL$/\2/p' "$log" | sort -u | tr '\n' ' ')
	why=$(sed -En 's/^vm\.sh: .*: FAILED: //p' "$log" | head -n1)
	verdict="caught:${failed:+ $failed}${why:+ [$why]}"
}

start=$EPOCHREALTIME
restore
echo "mutants: unchanged $kdir (build $out)" >&2
: > "$work/logs/unchanged.log"
run unchanged "$@"
[ "$verdict" = passed ] ||
	die "the unchanged tree does not pass ($verdict), see $work/logs/unchanged.log: no score"

rows=() caught=0 justified=0 errors=0
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	restore
	echo "mutants: $name" >&2
	if ! patch -s --forward -r - "$mutated" <"$p" >"$work/logs/$name.log" 2>&1; then
		verdict="error: does not apply to $kdir"
	else
		run "$name" "$@"
	fi
	case $verdict in
	caught*) caught=$((caught + 1)) ;;
	error*) errors=$((errors + 1)) ;;
	passed)
		why=$(sed -n 's/^# Invisible: //p' "$p")
		if [ -n "$why" ]; then
			verdict="survived, justified: $why"
			justified=$((justified + 1))
		else
			verdict="SURVIVED"
		fi
		;;
	esac
	rows+=("$(printf '%-32s %s' "$name" "$verdict")")
	echo "mutants: $name: $verdict" >&2
done

echo
printf '%-32s %s\n' mutant verdict
printf '%s\n' "${rows[@]}"
total=${#patches[@]}
awk -v c=$caught -v j=$justified -v e=$errors -v t="$total" -v k="$kdir" \
    -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {
	printf "score: %d of %d caught, %d survived (justified), %d survived, %d errors; %s, %.0f s\n",
	       c, t, j, t - c - j - e, e, k, b - a }'
[ $((caught + justified)) = "$total" ]
