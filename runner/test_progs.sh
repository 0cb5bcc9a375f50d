#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# test_progs: upstream's test_progs (@BIN@ beside this script), its arguments
# and output unchanged but for what upstream's runner lacks and this suite
# relies on (docs/runner.md). POSIX sh and awk only: it runs in busybox
# guests and kselftest installs.
LC_ALL=C
export LC_ALL
here=$(cd "$(dirname "$0")" && pwd -P) || exit 2
bin=$here/@BIN@

die() { echo "test_progs: $*" >&2; exit "${2:-2}"; }

ktap=
subsel=
list=
known_file=
json=
verbose=
# arguments for upstream's runner, quoted for eval
args=
add() {
	for a; do
		args="$args '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
	done
}
# An empty name or list element selects nothing: an error, as for a
# name that matches nothing.
check_sel() {
	case ",$1," in
	*,,*|*,/*|*/,*) die "invalid test selection: '$1'" ;;
	*/*) subsel=1 ;;
	esac
}
while [ $# -gt 0 ]; do
	case $1 in
	--ktap) ktap=1 ;;
	--known-failures) [ $# -ge 2 ] || die "$1 needs a file"; known_file=$2; shift ;;
	--known-failures=*) known_file=${1#*=} ;;
	-J|--json-summary) [ $# -ge 2 ] || die "$1 needs a file"; json=$2; shift ;;
	--json-summary=*) json=${1#*=} ;;
	-J*) json=${1#-J} ;;
	-t|-a|-b|-d|-n|--name|--allow|--deny|--name-blacklist|--num)
		[ $# -ge 2 ] || die "$1 needs an argument"
		check_sel "$2"; add "$1" "$2"; shift ;;
	-[tabdn]?*) check_sel "${1#-?}"; add "$1" ;;
	--name=*|--allow=*|--deny=*|--name-blacklist=*|--num=*)
		check_sel "${1#*=}"; add "$1" ;;
	-v*|--verbose*) verbose=1; add "$1" ;;
	-l|--list) list=1; add "$1" ;;
	-h|--help)
		"$bin" --help
		echo "  --ktap                     KTAP v1 (kselftest's format) instead"
		echo "  --known-failures=FILE      this known-failures list, not the built-in one"
		exit 0 ;;
	*) add "$1" ;;
	esac
	shift
done
[ -x "$bin" ] || die "$bin not found: build it first (make)" 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_progs.XXXXXX") || die "cannot make a temporary directory" 1
json_tmp=
trap 'rm -rf "$tmp"; [ -z "$json_tmp" ] || rm -f "$json_tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# -J: upstream's runner writes a file that replaces PATH when it is done;
# beside PATH for a regular file (mv), in tmp for anything else (cat).
if [ -n "$json" ]; then
	if [ -e "$json" ] && [ ! -f "$json" ]; then
		[ -w "$json" ] || die "cannot write $json: Permission denied"
		json_tmp=$tmp/summary.json
	else
		json_tmp=$(mktemp "$json.XXXXXX" 2>/dev/null) ||
			die "cannot write $json: $(dirname "$json"): no such writable directory"
		chmod 644 "$json_tmp"
	fi
	add -J "$json_tmp"
fi

# json_done: the summary replaces the -J path
json_done() {
	[ -n "$json_tmp" ] || return 0
	if [ ! -s "$json_tmp" ]; then
		echo "test_progs: no summary for $json" >&2
		return 1
	elif [ "$json_tmp" = "$tmp/summary.json" ]; then
		cat "$json_tmp" > "$json" 2>/dev/null ||
			{ echo "test_progs: cannot write $json" >&2; return 1; }
	else
		mv "$json_tmp" "$json" || return 1
	fi
}

if [ -n "$known_file" ]; then
	[ -r "$known_file" ] || die "cannot read $known_file"
	cp "$known_file" "$tmp/known"
	known_src=$known_file
else
	cat > "$tmp/known" <<'KNOWN_FAILURES'
@KNOWN_FAILURES@
KNOWN_FAILURES
	known_src=known-failures
fi
release=$(cat /proc/sys/kernel/osrelease) || die "cannot read the kernel release" 1

# The plan of a KTAP document: how many tests the selection runs.
planned=0
if [ -n "$ktap" ]; then
	eval "set -- $args"
	planned=$("$bin" -l "$@" 2>/dev/null | grep -c '^[A-Za-z0-9_]*$')
	[ "$planned" -gt 0 ] || die "no test matched the selection"
	add -v
fi
if [ -z "$list" ]; then
	[ -r /sys/kernel/btf/vmlinux ] ||
		die "no kernel BTF (/sys/kernel/btf/vmlinux): CONFIG_DEBUG_INFO_BTF=y is needed" 1
	# Upstream's runner restores its network namespace after each test
	# and exits when it cannot: without CAP_SYS_ADMIN (not root) it runs
	# nothing, which kselftest counts as a skip.
	cap=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	if [ $(( (0x${cap:-0} >> 21) & 1 )) = 0 ]; then
		why="test_progs needs CAP_SYS_ADMIN (root)"
		if [ -n "$ktap" ]; then
			printf 'KTAP version 1\n1..0 # SKIP %s\n' "$why"
		else
			echo "SKIP: $why"
			echo "Summary: 0/0 PASSED, 0 SKIPPED, 0 FAILED"
		fi
		[ -z "$json_tmp" ] || echo '{"success":0,"success_subtest":0,"skipped":0,' \
			'"failed":0,"results":[]}' | tr -d ' ' > "$json_tmp"
		json_done || exit 1
		echo "test_progs: every test skipped: $why" >&2
		exit 4
	fi
fi

eval "set -- $args"
{ "$bin" "$@" 2>&1; echo "$?" > "$tmp/rc"; } | awk \
	-v known_file="$tmp/known" -v known_src="$known_src" -v release="$release" \
	-v ktap="$ktap" -v subsel="$subsel" -v verbose="$verbose" -v planned="$planned" \
	-v counts="$tmp/counts" '
# known-failures: TEST[/SUBTEST] KERNELS REASON; KERNELS a comma list of
# series (6.18) or releases (6.18.44), matched against this release.
function load(   line, n, f, k, i, hit, c, rest) {
	while ((getline line < known_file) > 0) {
		n++
		if (line ~ /^[ \t]*(#|$)/)
			continue
		if (split(line, f, /[ \t]+/) < 3) {
			print "test_progs: " known_src ":" n ": expected TEST KERNELS REASON" \
				> "/dev/stderr"
			exit 2
		}
		hit = 0
		c = split(f[2], k, ",")
		for (i = 1; i <= c; i++)
			if (index(release, k[i]) == 1 &&
			    (length(release) == length(k[i]) ||
			     index(".-+", substr(release, length(k[i]) + 1, 1))))
				hit = 1
		if (!hit)
			continue
		rest = line
		sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]+/, "", rest)
		reason[f[1]] = rest
		lineno[f[1]] = n
	}
}
# the entry for TEST/SUBTEST (its own, or its test'"'"'s) or TEST, or ""
function entry(name,   t) {
	if (name in reason)
		return name
	t = name
	if (sub(/\/.*/, "", t) && (t in reason))
		return t
	return ""
}
function note(k, failed, name) {
	if (failed)
		return "KNOWN: " reason[k] " (" known_src ":" lineno[k] ")"
	return "XPASS: " name " passed on " release ", where " known_src ":" lineno[k] \
	       " expects it to fail: remove the entry if the kernel is fixed"
}
function out(s) {
	if (errlog)
		held = held s "\n"
	else if (ktap)
		logbuf = logbuf s "\n"
	else {
		# line by line, as the runner prints (a reader times the lines)
		print s
		fflush()
	}
}
# KTAP: the last "SKIP: reason" line of a log
function skip_reason(lg,   n, l, i, r) {
	n = split(lg, l, "\n")
	for (i = 1; i <= n; i++)
		if (l[i] ~ /^SKIP: ./)
			r = substr(l[i], 7)
	return r
}
function diag(indent, lg,   n, l, i, s) {
	n = split(lg, l, "\n")
	if (n && l[n] == "")
		n--
	for (i = 1; i <= n; i++)
		s = s indent "#" (l[i] == "" ? "" : " ") l[i] "\n"
	return s
}
function kline(indent, num, name, res, why, lg) {
	return ((res == "FAIL" || verbose) ? diag(indent, lg) : "") indent \
	       (res == "FAIL" ? "not ok " : "ok ") num " " name \
	       (res ~ /^(SKIP|XFAIL|XPASS)$/ ? " # " res (why != "" ? " " why : "") : "") "\n"
}
function kwhy(k, res) {
	if (k == "")
		return ""
	if (res == "XFAIL")
		return reason[k] " (" known_src ":" lineno[k] ")"
	return known_src ":" lineno[k] " expects a failure on " release \
	       ": remove the entry if the kernel is fixed"
}
BEGIN {
	load()
	if (ktap)
		printf "KTAP version 1\n1..%d\n", planned
}
/^[^#].*bpf_testmod\.ko/ { next }
# upstream prints "\nAll error logs:\n" and each failed test again; the
# known-only ones are left out, and the header too when nothing is left
pending_blank { pending_blank = 0; if ($0 != "All error logs:") out("") }
/^$/ && !errlog { pending_blank = 1; next }
/^All error logs:$/ { errlog = 1; held = ""; next }
/^#[0-9]+\/[0-9]+ / {
	num = $1; sub(/^#/, "", num); t = num; sub(/\/.*/, "", t)
	name = $0; sub(/^#[^ ]+ +/, "", name)
	res = name; sub(/.*:/, "", res); sub(/:[^:]*$/, "", name)
	k = entry(name)
	if (res == "FAIL" && k != "") {
		res = "XFAIL"
		if (!errlog) { known_sub[t]++; }
		out(note(k, 1, name))
	} else if (res == "FAIL") {
		if (!errlog) unknown[t] = 1
	} else if (res == "OK" && k != "" && !errlog) {
		xpass++
		if (!ktap) out(note(k, 0, name))
		else res = "XPASS"
	}
	if (!errlog) nsub[t]++
	if (ktap) {
		why = res == "SKIP" ? skip_reason(logbuf) : (res ~ /^X/ ? kwhy(k, res) : "")
		if (res == "SKIP" && firstskip == "") firstskip = why
		subs = subs kline("  ", ++ksub, substr(name, index(name, "/") + 1), res, why,
				  logbuf)
		logbuf = ""
		next
	}
	out(sprintf("#%-7s %s:%s", num, name, res))
	next
}
/^#[0-9]+ / {
	num = substr($1, 2)
	name = $0; sub(/^#[^ ]+ +/, "", name)
	res = name; sub(/^[^:]*:/, "", res); sub(/:.*/, "", name)
	# a test-level entry covers a test without subtests; with subtests
	# selected, one that printed none may have had them all filtered out
	k = nsub[num] || subsel ? "" : entry(name)
	if (errlog) {
		if (!(num in known_only)) {
			if (!errlog_out++)
				print "\nAll error logs:"
			printf "%s", held
			print
		}
		held = ""
		next
	}
	if (res == "FAIL" && (k != "" || (known_sub[num] && !unknown[num]))) {
		res = "XFAIL"
		known_only[num] = 1
		known_cnt++
		if (k != "")
			out(note(k, 1, name))
	} else if (res == "FAIL") {
		fail_cnt++
	} else {
		succ_cnt++
		if (res == "SKIP")
			skipped++
		if (k != "" && res == "OK") {
			xpass++
			if (ktap) res = "XPASS"
			else out(note(k, 0, name))
		}
	}
	if (ktap) {
		if (ksub)
			printf "  KTAP version 1\n  1..%d\n%s", ksub, subs
		why = res ~ /^X/ ? kwhy(k, res) : ""
		if (res ~ /^SKIP/)
			why = firstskip != "" ? firstskip : skip_reason(logbuf)
		res = res ~ /^OK/ ? "OK" : res
		printf "%s", kline("", ++ktests, name, res, why, logbuf)
		kres[res]++
		subs = ""; ksub = 0; logbuf = ""; firstskip = ""
		next
	}
	out(sprintf("#%-7s %s:%s", num, name, res))
	next
}
/^Summary: [0-9]+\/[0-9]+ PASSED, [0-9]+ SKIPPED, [0-9]+ FAILED$/ {
	if (errlog) { errlog = 0; held = "" }
	split($0, w, " ")
	line = sprintf("Summary: %s PASSED, %s SKIPPED, %d FAILED", w[2], w[4], w[6] - known_cnt)
	if (known_cnt) line = line ", " known_cnt " KNOWN"
	if (xpass) line = line ", " xpass " XPASS"
	if (ktap) {
		printf "# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:0\n",
		       kres["OK"], kres["FAIL"], kres["XFAIL"], kres["XPASS"], kres["SKIP"]
		line = "# " line
	}
	print line
	summary = 1
	next
}
{ out($0) }
END {
	if (ktap && logbuf != "")
		printf "%s", diag("", logbuf)
	print (summary ? "yes" : "none"), succ_cnt + 0, fail_cnt + 0, known_cnt + 0,
	      skipped + 0 > counts
}'
rc=$(cat "$tmp/rc" 2>/dev/null) || rc=1
[ -s "$tmp/counts" ] || exit 1
read -r summary succ fail known skipped < "$tmp/counts"

if [ -n "$list" ]; then
	[ "$rc" = 0 ] || die "no test matched the selection"
	exit 0
fi
# upstream: 64 (argp) or 234 (-EINVAL) bad arguments, 2 nothing ran, 1 a
# test failed; no summary otherwise: its own error or a crash
if [ "$summary" = none ] && { [ "$rc" = 64 ] || [ "$rc" = 234 ]; }; then
	exit 2
fi
[ "$summary" != none ] || die "$bin exited $rc without a summary" 1
ran=$((succ + fail + known))
[ "$rc" != 2 ] && [ "$ran" != 0 ] || die "no test matched the selection"
status=0
[ "$fail" = 0 ] || status=1
json_done || status=1
if [ "$status" = 0 ] && [ "$skipped" = "$ran" ]; then
	echo "test_progs: every test skipped (-v says why)" >&2
	exit 4
fi
exit $status
