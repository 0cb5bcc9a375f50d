#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check the runner's KTAP with a parser this suite does not write: the
# current tree's tools/testing/kunit (kunit.py parse), which kernel CI
# systems' parsers follow.
#
#   scripts/ktap-check.sh [-J JSON] KTAP_FILE [PLAIN_FILE]
#
# Fails when the parser reports any error (a bad version, plan, number,
# nesting) or finds no test. With PLAIN_FILE, the default output of a run
# of the same tests on the same kernel, every leaf (a subtest, or a test
# without subtests) must be there with the same verdict: OK and XFAIL
# ("ok # XFAIL") read as passed, SKIP as skipped, FAIL as failed.
# -J writes the leaves' counts: passed, known (XFAIL), failed, skipped.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
LANE=ktap-check

json=
if [ "${1:-}" = -J ]; then
	[ $# -ge 2 ] || die "-J needs a file"
	json=$2
	shift 2
fi
{ [ $# -ge 1 ] && [ $# -le 2 ]; } || die "usage: scripts/ktap-check.sh [-J JSON] KTAP_FILE [PLAIN_FILE]"
for f in "$@"; do
	[ -r "$f" ] || die "$f: cannot read"
done
kunit=$CURRENT_TREE/tools/testing/kunit/kunit.py
[ -f "$kunit" ] || die "$kunit missing: run ./run.sh --setup"
command -v python3 >/dev/null || die "python3 not found"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# kunit.py exits 1 when a test failed: the verdicts are compared below.
python3 "$kunit" parse --json="$tmp/ktap.json" "$(readlink -f "$1")" > "$tmp/parse.log" 2>&1 || true
[ -s "$tmp/ktap.json" ] || { cat "$tmp/parse.log" >&2; die "kunit.py parse wrote no result"; }

python3 - "$tmp/ktap.json" "$1" "${2:-}" "$json" <<'PY' || { grep -E 'ERROR|Expected|Could not' "$tmp/parse.log" | head -n 20 >&2; exit 1; }
import json, re, sys

root = json.load(open(sys.argv[1]))
leaves, errors = {}, 0

def walk(group, prefix):
    global errors
    errors += group["misc"]["errors"]
    for case in group["test_cases"]:
        leaves[prefix + case["name"]] = case["status"]
    for sub in group["sub_groups"]:
        walk(sub, prefix + sub["name"] + "/")

walk(root, "")
bad = []
if errors:
    bad.append(f"kunit.py parse reported {errors} error(s)")
if not leaves:
    bad.append("kunit.py parse found no test")

if sys.argv[3]:
    want, tops, subs = {}, {}, set()
    verdict = {"OK": "PASS", "XFAIL": "PASS", "SKIP": "SKIP", "FAIL": "FAIL"}
    for line in open(sys.argv[3]):
        m = re.match(r"^#(\d+)(/\d+)?\s+(\S+):(OK|XFAIL|SKIP|FAIL)\b", line)
        if not m:
            continue
        if m.group(2):
            subs.add(m.group(1))
            want[m.group(3)] = verdict[m.group(4)]
        else:
            tops[m.group(1)] = (m.group(3), verdict[m.group(4)])
    for num, (name, res) in tops.items():
        if num not in subs:
            want[name] = res
    for name in sorted(set(want) | set(leaves)):
        if want.get(name) != leaves.get(name):
            bad.append(f"{name}: runner {want.get(name, 'absent')}, KTAP {leaves.get(name, 'absent')}")

counts = {s: list(leaves.values()).count(s) for s in ("PASS", "FAIL", "SKIP")}
for b in bad:
    print("ktap-check: " + b)
print(f"ktap-check: {'FAILED' if bad else 'ok'}: {len(leaves)} results parsed by kunit.py"
      f" ({counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped)"
      + (", the same as the runner's own output" if sys.argv[3] and not bad else ""))

# Known failures among the leaves: a result line is a parent when a
# nested block (a version line one level deeper) came before it.
known, parent = 0, set()
for line in open(sys.argv[2]):
    depth = (len(line) - len(line.lstrip(" "))) // 2
    text = line.strip()
    if text.startswith("KTAP version") and depth:
        parent.add(depth - 1)
    elif re.match(r"(not )?ok \d+ ", text):
        if depth in parent:
            parent.discard(depth)
        elif " # XFAIL" in text:
            known += 1
if sys.argv[4]:
    with open(sys.argv[4], "w") as f:
        json.dump({"passed": counts["PASS"] - known, "known": known,
                   "failed": counts["FAIL"], "skipped": counts["SKIP"]}, f)
sys.exit(1 if bad else 0)
PY
