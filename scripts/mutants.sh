#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Seed each bug of mutants/*.patch into a copy of the one file it changes,
# build the tree's own kernel with it, boot it and run test_progs: a score
# (./run.sh --mutants; docs/lanes.md, "Mutants").
#
#   scripts/mutants.sh [TREE] [-- TEST_PROGS_ARGS...]
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
LANE=mutants
. "$repo/scripts/tree.sh"

arg=$STABLE_SERIES
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	arg=$1
	shift
fi
[ $# -eq 0 ] || [ "$1" = "--" ] || die "unexpected argument '$1' (test_progs arguments go after --)"
[ "${1:-}" = "--" ] && shift
kdir=$(tree_dir "$arg")
[ -f "$kdir/kernel/bpf/cpumask.c" ] || die "$kdir: no kernel/bpf/cpumask.c (not a kernel tree? run ./run.sh --setup)"
kdir=$(readlink -f "$kdir")
series=$(tree_series "$kdir")
stable=0
[ "$kdir" = "$(readlink -f "$STABLE_TREE")" ] && stable=1
for tool in patch jq; do
	command -v $tool >/dev/null || die "$tool not found (apt-get install $tool)"
done

mapfile -t patches < <(selected_mutants)
[ ${#patches[@]} -gt 0 ] || die "no mutant selected (MUTANTS='${MUTANTS:-}')"

# The pristine tree's own build first (incremental if ./run.sh --kernel
# ran), then the mutants' build directory, a copy of it (own-kernel.sh
# KBUILD_DIR): each mutant recompiles one file and relinks. The mutated file
# is a copy outside the tree, bind-mounted over the tree's file only inside
# the build's private mount namespace (own-kernel.sh KBUILD_OVERLAY): the
# tree is never written.
image=$("$repo/scripts/own-kernel.sh" --build "$kdir") || die "the unchanged tree does not build"
pristine=${image%/arch/x86/boot/bzImage}
# Another runner (MUTANTS_NAME) builds in a copy of its own, so that it may
# run beside this lane.
work=$CACHE/ownkernel/mutants/$(basename "$pristine")${MUTANTS_NAME:+-$MUTANTS_NAME}
out=$work/kbuild
mkdir -p "$work/src"
# The object a mutant was last built into, if any: removed before the next
# build, so that it is rebuilt from the tree's file (also after a run that
# was interrupted).
dirty=$work/dirty

# patch_file PATCH: the file of the tree a mutant changes.
patch_file() {
	sed -n 's|^--- a/||p' "$1" | head -n1
}

# build [FILE MUTATED]: build the copy, with MUTATED in place of FILE.
build() {
	local obj

	if [ -s "$dirty" ]; then
		obj=$(cat "$dirty")
		rm -f "$out/$obj"
		rm -f "$dirty"
	fi
	if [ $# -eq 0 ]; then
		"$repo/scripts/own-kernel.sh" --build "$kdir"
		return
	fi
	echo "${1%.c}.o" > "$dirty"
	KBUILD_OVERLAY="$1:$2" "$repo/scripts/own-kernel.sh" --build "$kdir"
}

# run NAME [FILE MUTATED]: build and boot; sets $verdict and $failed.
run() {
	local name=$1 log=$logs/$1.log why
	shift

	failed=
	if ! image=$(KBUILD_DIR=$out build "$@" 2>>"$log"); then
		verdict="error: build failed: $(grep -m1 'error:' "$log" || tail -n1 "$log")"
		return
	fi
	if $vm "$image" -- "${targs[@]}" >>"$log" 2>&1; then
		verdict=passed
		return
	fi
	failed=$(sed -En 's/^#[0-9]+(\/[0-9]+)? +([^ ]+):FAIL$/\2/p' "$log" | sort -u | tr '\n' ' ')
	failed=${failed% }
	why=$(sed -En 's/^vm\.sh: .*: FAILED: //; T; s/; console .*//; p' "$log" | head -n1)
	verdict="caught${why:+ [$why]}"
}

# The table and the score, from the JSON.
table() {
	jq -r '
	def count(f): [.mutants[] | select(.verdict | f)] | length;
	"| mutant | file | rule it breaks | verdict | tests that failed |",
	"|---|---|---|---|---|",
	(.mutants[] | "| \(.mutant) | \(.file | sub("^kernel/bpf/"; "")) | \(.rule) | \(.verdict) | \(.failed | join(", ")) |"),
	"",
	"Score: \(count(startswith("caught"))) of \(.mutants | length) caught, " +
	"\(count(startswith("survived, justified"))) survived (justified), " +
	"\(count(. == "SURVIVED")) survived, \(count(startswith("skipped"))) skipped, " +
	"\(count(startswith("error"))) errors; \(.seconds) s in all" +
	(if (.mutants | length) < .selected
	 then " (\(.mutants | length) of the \(.selected) selected mutants run so far)." else "." end)' "$json"
}

# write: the JSON of the mutants run so far.
write() {
	jq -s --arg tree "$kdir" --arg series "$series" --arg release "$release" \
	      --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg machine "$machine" \
	      --arg seconds "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')" \
	      --arg args "${targs[*]}" --arg selected "${#patches[@]}" --arg subset "${MUTANTS:-}" \
	      '{tree: $tree, series: $series, release: $release, date: $date, machine: $machine,
		seconds: ($seconds | tonumber), test_progs_args: $args,
		selected: ($selected | tonumber), subset: $subset, mutants: .}' "$rows" > "$json"
}

targs=("$@")
machine="$(uname -m), $(nproc) CPUs, $(free -g | awk '/^Mem:/ { print $2 }') GiB, host kernel $(uname -r); guests: qemu TCG"
release=$(awk -v s="$series" '$1 == "SUBLEVEL" { print s "." $3; exit }' "$kdir/Makefile")
vm=${MUTANTS_VM:-$repo/scripts/vm.sh}
tag=${MUTANTS_NAME:-mutants}
json=$work/$tag.json
rows=$work/$tag.rows.jsonl
logs=$work/logs/$tag
mkdir -p "$logs"
start=$EPOCHREALTIME
echo "mutants: unchanged $kdir ($release, build $out)" >&2
: > "$logs/unchanged.log"
run unchanged
[ "$verdict" = passed ] ||
	die "the unchanged tree does not pass ($verdict), see $logs/unchanged.log: no score"

: > "$rows"
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	# the tree's own version of it, where the code moved
	[ ! -f "$repo/mutants/$series/$name.patch" ] || p=$repo/mutants/$series/$name.patch
	file=$(patch_file "$p")
	rule=$(sed -n 's/^# Breaks //p' "$p" | head -n1)
	log=$logs/$name.log
	t0=$EPOCHREALTIME
	echo "mutants: $name ($file)" >&2
	mutated=$work/src/$(basename "$file")
	rm -f "$mutated"
	failed=
	if [ -z "$file" ] || [ ! -f "$kdir/$file" ]; then
		verdict="error: no file to mutate"
	elif ! cp "$kdir/$file" "$mutated" ||
	     ! patch -s --forward -r - "$mutated" <"$p" >"$log" 2>&1; then
		if [ $stable = 1 ]; then
			verdict="error: does not apply to $kdir"
		else
			verdict="skipped: does not apply to the $series tree"
		fi
	else
		run "$name" "$file" "$mutated"
	fi
	if [ "$verdict" = passed ]; then
		why=$(sed -En 's/^# (Invisible|Allowed): /\1: /p' "$p")
		if [ -n "$why" ]; then
			verdict="survived, justified: $why"
		else
			verdict="SURVIVED"
		fi
	fi
	jq -nc --arg m "$name" --arg f "$file" --arg r "$rule" --arg v "$verdict" --arg t "$failed" \
	       --arg s "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')" \
	       '{mutant: $m, file: $f, rule: $r, verdict: $v,
		 failed: ($t | split(" ") | map(select(. != ""))), seconds: ($s | tonumber)}' >> "$rows"
	echo "mutants: $name: $verdict${failed:+ ($failed)}" >&2
	write
done

echo
table
[ -n "${MUTANTS_VM:-}" ] || "$repo/scripts/docs-update.py" mutants "$json" >&2
jq -e '(.mutants | length) as $n |
       [.mutants[] | select(.verdict | test("^(caught|survived, justified|skipped)"))] |
       length == $n' "$json" >/dev/null
