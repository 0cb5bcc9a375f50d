#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stress test_progs on the host (docs/lanes.md, "Soak, kill and sanitizers").
#
#   scripts/stress.sh soak [N] [-- TEST_PROGS_ARGS...]     (N default 100)
#   scripts/stress.sh kill [N] [-- TEST_PROGS_ARGS...]     (N default 50)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
OUTPUT=${OUTPUT:-$repo/build}
TEST_PROGS=${TEST_PROGS:-$OUTPUT/test_progs}
BPFTOOL=${BPFTOOL:-bpftool}
KILL_SETTLE=${KILL_SETTLE:-10}

# LANE names the output lines and die()'s messages (lib.sh).
case ${1:-} in
soak)	LANE=soak runs=100 ;;
kill)	LANE=kill-test runs=50 ;;
*)	die "usage: scripts/stress.sh soak|kill [N] [-- TEST_PROGS_ARGS...]" ;;
esac
shift
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	runs=$1
	shift
fi
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "N must be a positive number, not '$runs'"
[ "${1:-}" = "--" ] && shift
[ $# -eq 0 ] || [ "${1:0:1}" = "-" ] || die "unexpected argument '$1' (test_progs arguments go after --)"
[ -x "$TEST_PROGS" ] || die "$TEST_PROGS not found: build it first (make)"
if [ "$LANE" = kill-test ]; then
	for tool in "$BPFTOOL" jq; do
		command -v "$tool" >/dev/null || die "$tool not found: run ./run.sh --setup"
	done
	[ "$(id -u)" = 0 ] || die "needs root (bpftool lists every BPF object)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$LANE.XXXXXX")
pids=()		# the busy loops, or the test_progs about to be killed
# (bash would report the kills on stderr)
cleanup() {
	{
		[ ${#pids[@]} -eq 0 ] || kill -9 "${pids[@]}" || true
		wait || true
	} 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

soak() {
	for _ in $(seq "$(nproc)"); do
		bash -c 'while :; do :; done' &
		pids+=($!)
	done

	start=$SECONDS
	failed_runs=0
	for i in $(seq "$runs"); do
		rc=0
		"$TEST_PROGS" "$@" > "$tmp/out" 2>&1 || rc=$?
		# 0: passed; 4: every selected test skipped (nothing failed)
		[ "$rc" = 0 ] || [ "$rc" = 4 ] || failed_runs=$((failed_runs + 1))
		names=$(sed -En 's/^#[0-9/]+ +([^ ]+):FAIL$/\1/p' "$tmp/out")
		[ "$rc" = 0 ] || [ "$rc" = 4 ] || [ -n "$names" ] || names="(test_progs exit status $rc)"
		while IFS= read -r name; do
			key=${name//\//@}
			[ -z "$name" ] || echo "$name" >> "$tmp/failures"
			[ -z "$name" ] || [ -e "$tmp/first.$key" ] || cp "$tmp/out" "$tmp/first.$key"
		done <<< "$names"
		names=${names//$'\n'/ }
		echo "soak: run $i/$runs: exit $rc${names:+, failed: $names}"
	done

	echo
	echo "soak: $runs runs in $((SECONDS - start)) s under $(nproc) busy loops: $failed_runs failed"
	[ -e "$tmp/failures" ] || exit 0
	echo "failures per test or subtest:"
	sort "$tmp/failures" | uniq -c | sort -rn
	for f in "$tmp"/first.*; do
		name=${f#"$tmp/first."}
		name=${name//@//}
		echo
		echo "--- first failure of $name:"
		# Its block under "All error logs:", or the whole output (-v, a crash).
		awk -v n="$name" '
			/^All error logs:$/ { inlog = 1; next }
			inlog && /^ *[^ ]+:FAIL$/ { show = ($NF == n ":FAIL") }
			/^Summary: / { show = 0 }
			show { print; found = 1 }
			END { exit !found }
		' "$f" || cat "$f"
	done
	exit 1
}

# What the kernel holds that no process does, one line per thing. A process
# holds what its fds name in /proc/PID/fdinfo, a link's program, a perf
# event's program (bpftool perf), and the maps of the programs it holds.
snapshot() {
	local held

	# the objects first, then who holds them: what a process creates
	# meanwhile is not in the lists, so it cannot look unheld
	{
		echo '{"kind":"prog","list":'
		"$BPFTOOL" -j prog show 2>/dev/null || echo '[]'
		echo '}{"kind":"map","list":'
		"$BPFTOOL" -j map show 2>/dev/null || echo '[]'
		echo '}{"kind":"link","list":'
		"$BPFTOOL" -j link show 2>/dev/null || echo '[]'
		echo '}{"kind":"perf","list":'
		"$BPFTOOL" -j perf show 2>/dev/null || echo '[]'
		echo '}{"kind":"struct_ops","list":'
		"$BPFTOOL" -j struct_ops show 2>/dev/null | jq -s -c 'flatten' || echo '[]'
		echo '}'
	} > "$tmp/objects"
	# processes come and go while grep reads /proc: its errors are expected
	held=$({ grep -hE '^(prog|map|link)_id:' /proc/[0-9]*/fdinfo/* 2>/dev/null || true; } |
	       jq -R -s -c '[split("\n")[] | select(length > 0) | split(":\t")] |
			    reduce .[] as $f ({}; .[$f[0]] += [$f[1] | tonumber])')
	jq -r -s --argjson held "$held" '
		(.[] | select(.kind == "prog").list) as $progs |
		(($held.prog_id // []) + [.[] | select(.kind == "link").list[] |
		  select(.id as $i | $held.link_id // [] | index($i)) | .prog_id] +
		 [.[] | select(.kind == "perf").list[] | .prog_id]) as $hp |
		(($held.map_id // []) + [$progs[] | select(.id as $i | $hp | index($i)) |
		  .map_ids // [] | .[]]) as $hm |
		.[] | select(.kind != "perf") | .kind as $k | .list[] |
		select(.id as $i |
		       if $k == "prog" then $hp elif $k == "link" then $held.link_id // []
		       else $hm end | index($i) | not) |
		"\($k) \(.id) \(.type // .kernel_struct_ops // "") \(.name // "")"' "$tmp/objects"
	find /sys/fs/bpf -mindepth 1 -printf 'pin %p\n' 2>/dev/null || true
	echo "cc $(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"
	sed 's/^/mount /' /proc/mounts
	find /tmp -maxdepth 1 -name 'cpumask_*' -printf 'tmp %p\n' 2>/dev/null || true
}

# Wait until nothing is there that $tmp/before lacks; print what still is.
# Only what every look finds counts: other BPF users' objects come and go
# (ids are never reused).
settled() {
	local deadline=$((SECONDS + KILL_SETTLE))

	snapshot | sort > "$tmp/after"
	comm -13 "$tmp/before" "$tmp/after" > "$tmp/new"
	while [ -s "$tmp/new" ]; do
		if [ $SECONDS -ge $deadline ]; then
			sed 's/^/    left: /' "$tmp/new"
			return 1
		fi
		sleep 0.5
		snapshot | sort > "$tmp/after"
		comm -12 "$tmp/new" "$tmp/after" > "$tmp/still"
		mv "$tmp/still" "$tmp/new"
	done
	return 0
}

kill_test() {
	# One whole run: the result lines and when each came, for the kill points.
	echo "kill-test: a first, whole run of test_progs $*"
	snapshot | sort > "$tmp/before"
	start=$EPOCHREALTIME
	"$TEST_PROGS" "$@" 2>&1 | while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done > "$tmp/reference" || true
	total=$(awk -v s="$start" 'END { printf "%.3f", $1 - s }' "$tmp/reference")
	# "prefix-of-the-line-before delay-window name" per subtest (or test without subtests)
	awk -v s="$start" '
		NR == 1 { last = s }
		$2 ~ /^#[0-9]/ {
			name = $3; sub(/:.*/, "", name)
			if (!(name in done)) printf "%s %.3f %s\n", prev == "" ? "-" : prev, $1 - last, name
			done[name] = 1; prev = $2; last = $1
		}
	' "$tmp/reference" > "$tmp/targets"
	ntargets=$(wc -l < "$tmp/targets")
	[ "$ntargets" -gt 0 ] || die "test_progs printed no result lines: $(tail -n 3 "$tmp/reference")"
	settled > "$tmp/diff" || { echo "kill-test: the whole run left:"; cat "$tmp/diff"; exit 1; }
	shuf "$tmp/targets" > "$tmp/order"
	echo "kill-test: ${total}s, $ntargets subtests; $runs kills, one in four at a random time"

	left=0
	for i in $(seq "$runs"); do
		if [ $((i % 4)) = 1 ]; then
			trigger=- window=$total target="a random time"
		else
			read -r trigger window target < <(sed -n "$(( (i - 1) % ntargets + 1 ))p" "$tmp/order")
			target="inside $target"
		fi
		delay=$(awk -v w="$window" -v r="$RANDOM" 'BEGIN { printf "%.3f", w * r / 32768 }')
		snapshot | sort > "$tmp/before"
		# its own process group, so that a kill reaches the runner behind
		# test_progs (runner/test_progs.sh) too
		coproc TP { exec setsid "$TEST_PROGS" "$@" 2>&1; }
		tp=$TP_PID
		pids=("$tp")
		fd=${TP[0]}
		if [ "$trigger" != - ]; then
			while IFS= read -r line <&"$fd"; do
				[ "${line%% *}" != "$trigger" ] || break
			done
		fi
		sleep "$delay"
		status=killed
		# (bash would report the kill of its coprocess on stderr)
		{
			kill -9 -- "-$tp" || status="had ended"
			cat <&"$fd" > /dev/null || true
			wait "$tp" || true
		} 2>/dev/null
		pids=()
		if settled > "$tmp/diff"; then
			echo "kill-test: $i/$runs: $target +${delay}s: $status, nothing left"
		else
			echo "kill-test: $i/$runs: $target +${delay}s: $status, LEFT BEHIND:"
			cat "$tmp/diff"
			left=$((left + 1))
		fi
	done
	echo "kill-test: $runs kills, $left left something behind"
	[ "$left" = 0 ]
}

if [ "$LANE" = soak ]; then
	soak "$@"
else
	kill_test "$@"
fi
