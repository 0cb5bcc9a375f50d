#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs every cpumask-* bench of ./bench side by side and reports each median
# as a ratio to cpumask-empty (an empty bpf_loop() iteration) of the same
# run and to cpumask-create-release: ratios hold across machines where
# nanoseconds do not (loaded hosts, emulated guests). POSIX sh and awk, so
# that it runs in a guest with busybox alone.
#
#   run_bench_cpumask_create.sh [-b BENCH] [-w SEC] [-d SEC] [-p N]
#	[--bursts LIST] [--short] [-J FILE] [--plot FILE.svg] [-q]
set -eu

bench=$(dirname "$0")/bench
[ -x "$bench" ] || bench=$(dirname "$0")/../bench
warmup=1 duration=5 cpus=$(nproc) bursts="1 64 4096 65536" json='' plot='' quiet=''
usage() {
	sed -n 's/^#   //p; s/^#\t/\t/p' "$0"
	cat <<USAGE
-b: the bench binary; -w, -d: bench's warmup and duration (default 1, 5 s);
-p: create + release on 1..N CPUs at once (default all); --bursts: masks held
at once (default 1,64,4096,65536); --short: -d 1; -J: results as JSON;
--plot: burst and concurrency curves (gnuplot); -q: no progress lines
USAGE
}
while [ $# -gt 0 ]; do
	case $1 in
	-b) bench=$2; shift ;;
	-w) warmup=$2; shift ;;
	-d) duration=$2; shift ;;
	-p) cpus=$2; shift ;;
	--bursts) bursts=$(echo "$2" | tr , ' '); shift ;;
	--short) duration=1 ;;
	-J) json=$2; shift ;;
	--plot) plot=$2; shift ;;
	-q) quiet=1 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

raw=$(mktemp)
trap 'rm -f "$raw" "$raw.out"' EXIT

# run KIND KEY BENCH_ARGS...: one bench run; its figures go to $raw as
# "KIND KEY median stddev p99 samples", a skip as "KIND KEY SKIP reason".
run() {
	kind=$1 key=$2
	shift 2
	[ -n "$quiet" ] || echo "run_bench: bench $*" >&2
	if ! "$bench" -q -a -w "$warmup" -d "$duration" "$@" > "$raw.out" 2>&1; then
		cat "$raw.out" >&2
		echo "run_bench: bench $* failed" >&2
		exit 1
	fi
	awk -v k="$kind $key" '
		/^SKIP: / { sub(/^SKIP: /, ""); print k, "SKIP", $0; found = 1 }
		/: median [0-9.]+ ns\/op, / {
			gsub(/[,(]/, ""); print k, $3, $6, $8, $9; found = 1 }
		/: memory: [0-9.]+ B\/mask/ {
			gsub(/%/, ""); print "m", substr(k, 3), $3, $6, $12 }
		END { exit !found }
	' "$raw.out" >> "$raw" || {
		cat "$raw.out" >&2
		echo "run_bench: bench $*: no result" >&2
		exit 1
	}
}

run s empty cpumask-empty
if grep -q '^s empty SKIP' "$raw"; then
	sed -n 's/^s empty SKIP /SKIP: /p' "$raw"
	exit 4
fi
for s in create-release create-set-test create-copy obj-new-drop kptr-reuse percpu-bits; do
	run s "$(echo "$s" | tr - _)" "cpumask-$s"
done
for n in $bursts; do
	run f "$n" --burst "$n" cpumask-burst-fill
	run d "$n" --burst "$n" cpumask-burst-drain
done
n=2
while [ "$n" -le "$cpus" ]; do
	run c "$n" -p "$n" cpumask-create-release
	n=$((n + 1))
done

awk -v json="$json" -v kernel="$(uname -r)" -v nr_cpus="$(nproc)" \
    -v load="$(cut -d' ' -f1 /proc/loadavg)" -v warmup="$warmup" -v duration="$duration" '
function fig(kind, key) { return (kind SUBSEP key) in med }
function row(name, kind, key, extra) {
	printf "%-16s %9.2f %6.1f%% %9.2f %8.2f %8.2f %7d%s\n", name, med[kind, key],
	       sd[kind, key] / med[kind, key] * 100, p99[kind, key], med[kind, key] / base,
	       med[kind, key] / cr, cnt[kind, key], extra
}
function jfig(kind, key) {
	return sprintf("\"ns_per_op\": %.3f, \"sd_pct\": %.3f, \"p99_ns\": %.3f, " \
		       "\"samples\": %d, \"ratio\": %.4f, \"vs_create\": %.4f",
		       med[kind, key], sd[kind, key] / med[kind, key] * 100, p99[kind, key],
		       cnt[kind, key], med[kind, key] / base, med[kind, key] / cr)
}
$1 == "m" { held[$2] = $3; back[$2] = $4; next_[$2] = $5; next }
$3 == "SKIP" { why[$1, $2] = substr($0, index($0, "SKIP") + 5); order[$1, ++n[$1]] = $2; next }
{ med[$1, $2] = $3; sd[$1, $2] = $4; p99[$1, $2] = $5; cnt[$1, $2] = $6; order[$1, ++n[$1]] = $2 }
END {
	what["empty"] = "bpf_loop iteration (baseline)"
	what["create_release"] = "create + release"
	what["create_set_test"] = "create + set + test + release"
	what["create_copy"] = "create + copy task->cpus_ptr + release"
	what["obj_new_drop"] = "bpf_obj_new + bpf_obj_drop, same size"
	what["kptr_reuse"] = "kptr_xchg out + clear + set + test + back"
	what["percpu_bits"] = "per-CPU array bits: set + test + clear"
	base = med["s", "empty"]; cr = med["s", "create_release"]
	med["c", 1] = cr; sd["c", 1] = sd["s", "create_release"]
	p99["c", 1] = p99["s", "create_release"]; cnt["c", 1] = cnt["s", "create_release"]

	printf "kernel %s, %d CPUs, load %.2f, bench -a -w %d -d %d\n", kernel, nr_cpus, load,
	       warmup, duration
	printf "ns/op: median of the batches; sd: their stddev over the median; ratio: to\n"
	printf "empty of this run; vs cr.: to create_release\n\n"
	printf "%-16s %9s %7s %9s %8s %8s %7s  %s\n", "scenario", "ns/op", "sd", "p99",
	       "ratio", "vs cr.", "samples", "what"
	for (i = 1; i <= n["s"]; i++) {
		k = order["s", i]
		if (("s" SUBSEP k) in why)
			printf "%-16s SKIP: %s\n", k, why["s", k]
		else
			row(k, "s", k, "  " what[k])
	}
	printf "\nburst: N masks created and held in a map, then released (ns per mask)\n"
	printf "memory: kmalloc* slab bytes (/proc/slabinfo); B/mask: held per mask; back:\n"
	printf "share of it returned after release + RCU wait, then after the next burst\n"
	printf "%-16s %9s %7s %9s %8s %8s %7s %8s %6s %6s\n", "burst", "ns/op", "sd", "p99",
	       "ratio", "vs cr.", "samples", "B/mask", "back", "next"
	for (i = 1; i <= n["f"]; i++) {
		k = order["f", i]
		row("fill " k, "f", k, k in held ? sprintf(" %8.1f %5d%% %5d%%", held[k],
		    back[k], next_[k]) : "        -      -      -")
		row("drain " k, "d", k, "")
	}
	printf "\nconcurrency: create + release on 1..%d CPUs at once\n", n["c"] + 1
	printf "%-16s %9s %7s %9s %8s %8s %7s %8s %8s\n", "cpus", "ns/op/cpu", "sd", "p99",
	       "ratio", "vs cr.", "samples", "Mops/s", "scaling"
	for (c = 1; c <= n["c"] + 1; c++)
		row(c, "c", c, sprintf(" %8.3f %8.2f", c * 1000 / med["c", c],
					c * cr / med["c", c]))
	if (json == "")
		exit
	printf "{\n  \"kernel\": \"%s\", \"nr_cpus\": %d, \"load1\": %.2f,\n", kernel, nr_cpus,
	       load > json
	printf "  \"warmup_s\": %d, \"duration_s\": %d, \"baseline\": \"empty\",\n", warmup,
	       duration > json
	printf "  \"memory_counter\": \"/proc/slabinfo: kmalloc* caches\",\n" > json
	printf "  \"scenarios\": [\n" > json
	for (i = 1; i <= n["s"]; i++) {
		k = order["s", i]
		printf "    { \"name\": \"%s\", \"what\": \"%s\", %s }%s\n", k, what[k],
		       (("s" SUBSEP k) in why) ? "\"skip\": \"" why["s", k] "\"" : jfig("s", k),
		       i < n["s"] ? "," : "" > json
	}
	printf "  ],\n  \"bursts\": [\n" > json
	for (i = 1; i <= n["f"]; i++) {
		k = order["f", i]
		printf "    { \"n\": %d, ", k > json
		if (k in held)
			printf "\"bytes_per_mask\": %.1f, \"returned_pct\": %d, " \
			       "\"returned_after_next_use_pct\": %d,\n", held[k], back[k],
			       next_[k] > json
		else
			printf "\"bytes_per_mask\": null, \"returned_pct\": null, " \
			       "\"returned_after_next_use_pct\": null,\n" > json
		printf "      \"fill\": { %s },\n      \"drain\": { %s } }%s\n", jfig("f", k),
		       jfig("d", k), i < n["f"] ? "," : "" > json
	}
	printf "  ],\n  \"scaling\": [\n" > json
	for (c = 1; c <= n["c"] + 1; c++)
		printf "    { \"cpus\": %d, \"mops\": %.4f, \"scaling\": %.4f, %s }%s\n", c,
		       c * 1000 / med["c", c], c * cr / med["c", c], jfig("c", c),
		       c <= n["c"] ? "," : "" > json
	printf "  ]\n}\n" > json
}' "$raw"

[ -n "$plot" ] || exit 0
command -v gnuplot >/dev/null || { echo "run_bench: --plot needs gnuplot" >&2; exit 1; }
awk -v out="$plot" -v kernel="$(uname -r)" '
$1 == "s" && $2 == "empty" { base = $3 } $1 == "s" && $2 == "create_release" { cr = $3 }
$1 == "f" { f[$2] = $3; ns = ns " " $2 } $1 == "d" { d[$2] = $3 } $1 == "m" { m[$2] = $3 }
$1 == "c" { c[$2] = $3; nc = $2 }
END {
	print "set terminal svg size 1000,350 dynamic font \"sans,11\""
	print "set output \"" out "\""
	print "set multiplot layout 1,3 title \"bpf\\\\_cpumask\\\\_create() on " kernel \
	      ", ratio: to an empty bpf\\\\_loop iteration\""
	k = split(ns, b, " ")
	print "set grid\nset key top left\nset logscale x 4\nset yrange [0:*]"
	print "set xrange [" b[1] / 1.5 ":" b[k] * 1.5 "]"
	print "set title \"burst: cost per mask\"\nset xlabel \"masks held (N)\""
	print "set ylabel \"ratio\"\nplot \"-\" with linespoints title \"create + store\", \\"
	print "\"-\" with linespoints title \"take + release\""
	for (i = 1; i <= k; i++) print b[i], f[b[i]] / base
	print "e"
	for (i = 1; i <= k; i++) print b[i], d[b[i]] / base
	print "e"
	print "set title \"burst: kernel memory held\"\nset ylabel \"bytes per mask\""
	# a counter that did not grow (a busy machine) leaves no point
	for (i = 1; i <= k; i++) pts = pts (b[i] in m ? b[i] " " m[b[i]] "\n" : "")
	if (pts == "")
		print "set yrange [0:1]\nplot 1/0 title \"held: no growth measured\""
	else
		printf "set yrange [*:*]\nplot \"-\" with linespoints title \"held\"\n%se\n", pts
	print "set yrange [0:*]\nset autoscale x"
	print "unset logscale x\nset xtics 1\nset xlabel \"CPUs at once\""
	print "set title \"concurrency: throughput\"\nset ylabel \"x one CPU\""
	print "plot \"-\" with linespoints title \"create + release\", \\"
	print "x with lines dashtype 2 title \"linear\""
	print 1, 1
	for (i = 2; i <= nc; i++) print i, i * cr / c[i]
	print "e\nunset multiplot"
}' "$raw" | gnuplot
