#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark lane: upstream's bench with ours registered, built in a copy
# of BENCH_SERIES's tree, run by benchs/run_bench_cpumask_create.sh (docs/lanes.md).
#
#   --build              build; print the bench binary's path
#   [RUNNER_ARGS...]     build, then run (-h: the runner's options)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
LANE=bench
. "$repo/scripts/tree.sh"

kdir=$(tree_dir "$BENCH_SERIES")
tree_check "$kdir"
dir=$CACHE/bench/$BENCH_SERIES
sel=$dir/$SELFTESTS
# The tree's programs (libarena's) need its series' kfuncs in vmlinux.h:
# the BTF of Debian's kernel of that series; CO-RE relocates elsewhere.
btf=${VMLINUX_BTF:-$("$repo/scripts/kernel.sh" "$BENCH_SERIES")/vmlinux} ||
	die "no Debian $BENCH_SERIES kernel for its BTF"

# cp_changed SRC DEST: copy only a changed file, so that make rebuilds only
# what changed.
cp_changed() { cmp -s "$1" "$2" || cp "$1" "$2"; }

build() {
	local skels names tmp
	tree_copy "$kdir" "$dir" >&2
	# Keep only the BPF programs the bench binary links (the skeletons its
	# rules name) and ours: "make bench" then builds about twenty programs.
	skels=$(sed -n '/^# Benchmark runner/,/^$/p' "$kdir/$SELFTESTS/Makefile" |
		grep -oE '[a-z0-9_]+\.skel\.h' | sed 's/\.skel\.h$//' | sort -u)
	# shellcheck disable=SC2086 # a list of names
	tree_prune "$sel" $skels
	tree_sync "$sel"
	cp_changed benchs/bench_cpumask_create.c "$sel/benchs/bench_cpumask_create.c"
	cp_changed benchs/run_bench_cpumask_create.sh "$sel/benchs/run_bench_cpumask_create.sh"

	# Register the benches as upstream does: bench.c declares and lists
	# each struct bench, the Makefile links the object and names its
	# skeleton. Edited from the tree's pristine files each time.
	names=$(sed -nE 's/^CPUMASK_BENCH\(([a-z0-9_]+),.*/bench_cpumask_\1/p' \
		benchs/bench_cpumask_create.c)
	[ -n "$names" ] || die "benchs/bench_cpumask_create.c defines no struct bench"
	tmp=$(mktemp -d)
	awk -v names="$names" '
		BEGIN { n = split(names, b, "\n") }
		/^extern const struct bench bench_xdp_lb;$/ {
			print
			for (i = 1; i <= n; i++) print "extern const struct bench " b[i] ";"
			done++; next }
		/^\t&bench_xdp_lb,$/ {
			print; for (i = 1; i <= n; i++) print "\t&" b[i] ","; done++; next }
		/^extern struct argp bench_xdp_lb_argp;$/ {
			print; print "extern struct argp bench_cpumask_create_argp;"; done++; next }
		/^\t\{ &bench_xdp_lb_argp, / {
			print; printf "\t{ &bench_cpumask_create_argp, 0, "
			print "\"bpf_cpumask_create benchmark\", 0 },"
			done++; next }
		{ print }
		END { exit done != 4 }
	' "$kdir/$SELFTESTS/bench.c" > "$tmp/bench.c" ||
		die "$kdir/$SELFTESTS/bench.c: no bench_xdp_lb to register ours beside"
	awk '
		/^\$\(OUTPUT\)\/bench_xdp_lb.o: / {
			print; printf "$(OUTPUT)/bench_cpumask_create.o: "
			print "$(OUTPUT)/cpumask_create_bench.skel.h bench_bpf_timing.h"
			done++; next }
		/^\t\t \$\(OUTPUT\)\/bench_xdp_lb.o \\$/ {
			print; print "\t\t $(OUTPUT)/bench_cpumask_create.o \\"; done++; next }
		{ print }
		END { exit done != 2 }
	' "$kdir/$SELFTESTS/Makefile" > "$tmp/Makefile" ||
		die "$kdir/$SELFTESTS/Makefile: no bench_xdp_lb rules to add ours beside"
	cp_changed "$tmp/bench.c" "$sel/bench.c"
	cp_changed "$tmp/Makefile" "$sel/Makefile"
	rm -rf "$tmp"
	tree_build "$sel" "$btf" "$dir/build.log" bench
}

# one build at a time in the copy
mkdir -p "$CACHE"
exec 9>"$CACHE/bench.lock"
flock 9
(cd "$repo" && build)
exec 9>&-
if [ "${1:-}" = --build ]; then
	echo "$sel/bench"
	exit 0
fi
exec "$sel/benchs/run_bench_cpumask_create.sh" -b "$sel/bench" "$@"
