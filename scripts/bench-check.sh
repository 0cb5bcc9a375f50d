#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check one run of the benchmark lane: its table, JSON and plot are complete
# and every ratio is a finite number above zero (no timing threshold).
#
#   scripts/bench-check.sh TABLE JSON SVG
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
LANE=bench-check
. "$repo/scripts/lib.sh"

[ $# -eq 3 ] || die "usage: $0 TABLE JSON SVG"
table=$1 json=$2 svg=$3
for f in "$table" "$json" "$svg"; do
	[ -s "$f" ] || die "$f: missing or empty"
done

# Every scenario, burst and CPU count in the table.
for row in empty create_release create_set_test create_copy obj_new_drop kptr_reuse \
	   percpu_bits 'fill 1 ' 'drain 1 ' 'fill 65536' 'drain 65536' '1 '; do
	grep -q "^$row" "$table" || die "$table: no '$row' row"
done

# The JSON: three sections, each entry's figures present; every ratio (and
# scaling factor) a finite number above zero.
awk -v f="$json" '
	function fail(msg) { print f ": " msg > "/dev/stderr"; bad = 1 }
	/"scenarios": \[/ { sec = "s" } /"bursts": \[/ { sec = "b" } /"scaling": \[/ { sec = "c" }
	sec == "s" && /"name":/ { ns++; if (!/"ns_per_op":/ && !/"skip":/) fail("scenario without figures: " $0) }
	sec == "b" && /"fill":/ { nf++ } sec == "b" && /"drain":/ { nd++ }
	sec == "c" && /"cpus":/ { nc++ }
	{
		line = $0
		while (match(line, /"(ratio|vs_create|scaling)": [^,}[ ]+/)) {
			v = substr(line, RSTART, RLENGTH); sub(/^[^:]*: /, "", v)
			if (v !~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ || v + 0 <= 0)
				fail("ratio not finite and positive: " substr(line, RSTART, RLENGTH))
			nr++
			line = substr(line, RSTART + RLENGTH)
		}
	}
	END {
		if (ns != 7) fail("want 7 scenarios, found " ns + 0)
		if (!nf || nf != nd) fail("bursts: " nf + 0 " fills, " nd + 0 " drains")
		if (!nc) fail("no concurrency results")
		if (!bad) printf "bench-check: %d scenarios, %d bursts, %d CPU counts, %d ratios: all finite and positive\n", ns, nf, nc, nr
		exit bad
	}
' "$json"

grep -q '<svg' "$svg" || die "$svg: not an SVG"
