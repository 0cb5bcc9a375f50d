#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Check the runner's KTAP with a parser this suite does not write, the
# current tree's kunit.py parse (docs/lanes.md, "kselftest lane").
#
#   ktap-check.py [-J JSON] KTAP_FILE [PLAIN_FILE]
import argparse, json, os, re, subprocess, sys, tempfile

ap = argparse.ArgumentParser()
ap.add_argument("-J", dest="json")
ap.add_argument("ktap")
ap.add_argument("plain", nargs="?")
args = ap.parse_args()
for f in filter(None, (args.ktap, args.plain)):
    if not os.access(f, os.R_OK):
        sys.exit(f"ktap-check: {f}: cannot read")
lib = os.path.join(os.path.dirname(os.path.realpath(__file__)), "lib.sh")
tree = subprocess.run(["bash", "-c", '. "$0" && echo "$CURRENT_TREE"', lib],
                      capture_output=True, text=True, check=True).stdout.strip()
kunit = os.path.join(tree, "tools/testing/kunit/kunit.py")
if not os.path.isfile(kunit):
    sys.exit(f"ktap-check: {kunit} missing: run ./run.sh --setup")

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "ktap.json")
    # kunit.py exits 1 when a test failed: the verdicts are compared below.
    log = subprocess.run([sys.executable, kunit, "parse", "--json=" + out,
                          os.path.realpath(args.ktap)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).stdout
    if not os.path.exists(out) or not os.path.getsize(out):
        sys.stderr.write(log)
        sys.exit("ktap-check: kunit.py parse wrote no result")
    root = json.load(open(out))

leaves, errors, groups = {}, 0, [(root, "")]
while groups:
    group, prefix = groups.pop()
    errors += group["misc"]["errors"]
    for case in group["test_cases"]:
        leaves[prefix + case["name"]] = case["status"]
    groups += [(sub, prefix + sub["name"] + "/") for sub in group["sub_groups"]]
bad = []
if errors:
    bad.append(f"kunit.py parse reported {errors} error(s)")
if not leaves:
    bad.append("kunit.py parse found no test")

if args.plain:
    want, tops, subs = {}, {}, set()
    verdict = {"OK": "PASS", "XFAIL": "PASS", "SKIP": "SKIP", "FAIL": "FAIL"}
    for line in open(args.plain):
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
      + (", the same as the runner's own output" if args.plain and not bad else ""))

# Known failures among the leaves: a result line is a parent when a
# nested block (a version line one level deeper) came before it.
known, parent = 0, set()
for line in open(args.ktap):
    depth = (len(line) - len(line.lstrip(" "))) // 2
    text = line.strip()
    if text.startswith("KTAP version") and depth:
        parent.add(depth - 1)
    elif re.match(r"(not )?ok \d+ ", text):
        if depth in parent:
            parent.discard(depth)
        elif " # XFAIL" in text:
            known += 1
if args.json:
    with open(args.json, "w") as f:
        json.dump({"passed": counts["PASS"] - known, "known": known,
                   "failed": counts["FAIL"], "skipped": counts["SKIP"]}, f)
if bad:
    why = [line for line in log.splitlines() if re.search("ERROR|Expected|Could not", line)]
    sys.stderr.write("".join(line + "\n" for line in why[:20]))
sys.exit(1 if bad else 0)
