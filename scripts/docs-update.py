#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the measured results in docs/ from the lanes' JSON.

    scripts/docs-update.py bench BENCH_JSON      (./run.sh --bench -J, on this machine)
    scripts/docs-update.py kselftest RECORD...   ($VM_LOGS/*-kselftest.json)
    scripts/docs-update.py vm-points VM_JSON     (build/vm.json of ./run.sh --vm points)
    scripts/docs-update.py upstream JSON         (marginal.json of ./run.sh --marginal)
    scripts/docs-update.py mutants JSON...       (mutants.json of ./run.sh --mutants, full or subset)
    scripts/docs-update.py                       (rewrite every page from docs/data)
    scripts/docs-update.py --check VM_JSON       (does docs/vm-points.md cover that run?)

Each record is kept in docs/data/LANE/KERNEL.json, stamped with the date
and this machine when it is added (run it where the lane ran), and the
lane's page docs/LANE.md is rewritten from all of that lane's records:
the newest per kernel. Nothing in those pages is typed by hand. Mutants rows are merged
by name into docs/data/mutants/SERIES.json, whence also docs/earn.md.
"""
import collections
import datetime
import glob
import itertools
import json
import os
import platform
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(REPO, "docs", "data")


def machine():
    model, mem = "unknown CPU", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // (1024 * 1024)
    return (f"{os.cpu_count()} x {model}, {mem} GiB, "
            f"{platform.system()} {platform.release()}")


SPDX = "<!-- SPDX-License-Identifier: GPL-2.0 -->"


def header(title, source):
    return [SPDX, f"# {title}", "",
            f"Written by `scripts/docs-update.py` from {source}; do not edit by hand.",
            "Each entry names its date, kernel and machine.", ""]


def fmt(x, nd=1, unit=""):
    return "-" if x is None else f"{x:.{nd}f}{unit}"


def bench_page(records):
    out = header("Benchmark results",
                 "`./run.sh --bench -J` output (`benchs/run_bench_cpumask_create.sh`)")
    out += ["Ratios are to an empty `bpf_loop()` iteration of the same run, then to create +",
            "release. Records before upstream's bench (`repeats` in the run line) give the CV",
            "of their repeats and mark a figure whose CV stayed above the target `*`; newer",
            "ones give the stddev of the samples as a share of the median (sd).", ""]
    for r in records:
        if "repeats" in r:
            run = (f"{r['repeats']} repeats, CV target {r['cv_target_pct']}%,"
                   f" {'stable' if r['stable'] else 'NOT stable'}.")
        else:
            run = f"bench -a -w {r['warmup_s']} -d {r['duration_s']}."
        out += [f"## {r['kernel']}, {r['date']}", "",
                f"Machine: {r['machine']}. CPUs {r['nr_cpus']}, load {r['load1']}, {run}", "",
                "| scenario | ns/op | ratio (spread) | vs create |", "|---|---|---|---|"]
        for s in r["scenarios"]:
            if "skip" in s:
                out.append(f"| {s['what']} | SKIP: {s['skip']} | - | - |")
                continue
            star = "" if s.get("cv_ok", True) else " *"
            spread = (f"rCV {fmt(s['ratio_cv_pct'])}%" if "ratio_cv_pct" in s
                      else f"sd {fmt(s['sd_pct'])}%")
            out.append(f"| {s['what']} | {fmt(s['ns_per_op'])}{star} | "
                       f"{fmt(s['ratio'], 2)} ({spread}) | {fmt(s['vs_create'], 2)} |")
        out += ["", "| burst N | fill ns/mask | drain ns/mask | B/mask held | back after RCU | after next use |",
                "|---|---|---|---|---|---|"]
        for b in r["bursts"]:
            out.append(f"| {b['n']} | {fmt(b['fill']['ns_per_op'])} | {fmt(b['drain']['ns_per_op'])} | "
                       f"{fmt(b['bytes_per_mask'])} | {fmt(b['returned_pct'], 0, '%')} | "
                       f"{fmt(b['returned_after_next_use_pct'], 0, '%')} |")
        out += ["", "| CPUs at once | ns/op per CPU | Mops/s | scaling |", "|---|---|---|---|"]
        for c in r["scaling"]:
            out.append(f"| {c['cpus']} | {fmt(c['ns_per_op'])} | {fmt(c['mops'], 2)} | "
                       f"{fmt(c['scaling'], 2)} |")
        out.append("")
    return out


def kselftest_page(records):
    out = header("The installed kselftest directory in guests",
                 "`scripts/kselftest-vm.sh` records")
    out += ["`make install`, then `run_kselftest.sh` in a qemu guest (2 vCPUs, on the machine",
            "named) that holds only busybox and the installed directory. Results count leaves (subtests, and tests without",
            "subtests); known failures count as known, not failed.", "",
            "| kernel | date | machine | accelerator | exit | passed | failed | known | skipped | guest wall |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        out.append(f"| {r['kernel']} | {r['date']} | {r['machine']} | {r['accel']} | {r['exit']} | "
                   f"{r['passed']} | {r['failed']} | {r.get('known', 0)} | {r['skipped']} | "
                   f"{r['wall_s']} s |")
    out.append("")
    return out


def vm_points_page(records):
    out = header("Every Debian point release in a guest",
                 "`build/vm.json` of `./run.sh --vm points` (`scripts/vm.sh`)")
    out += ["The whole suite in one qemu guest per point release Debian carries of each",
            "cloud kernel series from 6.12 on (`scripts/kernel.sh --points`). passed: tests/subtests;",
            "known: failures `known-failures` expects on that kernel, which leave the guest green;",
            "wall: the guest's, boot to power-off, on a machine shared with other work.", ""]
    green = [r for r in records if str(r.get("result", "")).startswith(("ok", "skipped"))]
    out += [f"{len(records)} point releases: {len(green)} green"
            f" ({sum(1 for r in green if r.get('known'))} of them with known failures),"
            f" {len(records) - len(green)} failed.", "", "Runs:", ""]
    runs = {}
    for r in records:
        runs.setdefault((r["date"], r["machine"], r.get("accel"), r.get("vcpus"),
                         r.get("jobs"), r.get("load_at_start"), r.get("qemu", "")),
                        []).append(r["point"])
    for (date, mach, accel, vcpus, jobs, load, qemu), points in sorted(runs.items()):
        out.append(f"- {date}: {mach}; {qemu or 'qemu'} {accel}, {vcpus} vCPUs a guest, up to {jobs}"
                   f" guests at a time, load averages {load} at the start"
                   f" ({len(points)} releases)")
    out += ["", "| release | Debian release | date | passed | skipped | failed | known | exit | wall |"
            " result |", "|---|---|---|---|---|---|---|---|---|---|"]
    def val(r, key):
        return "-" if r.get(key) is None else r[key]

    for r in records:
        passed = "-" if r.get("passed") is None else f"{r['passed']}/{r.get('passed_subtests')}"
        out.append(f"| {r['point']} | {r['kernel']} | {r['date']} | {passed} | "
                   f"{val(r, 'skipped')} | {val(r, 'failed')} | {val(r, 'known')} | "
                   f"{val(r, 'exit')} | {fmt(r.get('wall_s'), 1, ' s')} | {r['result'].strip()} |")
    out.append("")
    return out


def vm_records(path, run, whole=True):
    """The VM lane's JSON: one record per guest, with what the run says of all."""
    if run.get("lane") != "vm" or not isinstance(run.get("guests"), list):
        sys.exit(f"docs-update: {path}: not the VM lane's JSON (build/vm.json)")
    if whole and run["test_progs_args"]:
        sys.exit(f"docs-update: {path}: test_progs ran with {' '.join(run['test_progs_args'])},"
                 " not the whole suite")
    for g in run["guests"]:
        # a guest's "machine" is its CPU and byte order; the page's is the host's
        rec = {k: v for k, v in g.items() if k not in ("image", "kernel", "release", "machine")}
        if g.get("machine"):
            rec["guest_machine"] = g["machine"]
        rec.update({k: run[k] for k in ("date", "host_kernel", "accel", "vcpus", "jobs",
                                         "load_at_start") if k in run})
        if "qemu" in run:
            rec["qemu"] = run["qemu"]
        rec.update(kernel=g["release"], point=g["kernel"], result=g["result"].strip())
        yield rec


def names(tests, limit=6):
    """Leaves only (a test that failed because a subtest did is not repeated)."""
    leaves = [t for t in tests if not any(u.startswith(t + "/") for u in tests)]
    return ", ".join(leaves[:limit]) + (f" (+{len(leaves) - limit})" if len(leaves) > limit else "")


def upstream_page(records):
    out = header("Upstream's tests and the series on the tree's own kernel",
                 "`./run.sh --marginal` records (`scripts/marginal.sh`)")
    out += ["The tree's own kernel built as BPF CI builds it (the tree's selftests `config`,",
            "`config.vm` and `config.x86_64`), with bpf_testmod, under qemu. **The fix**: the bpf",
            "series' runner, on the unpatched kernel and on the kernel with patch 1. **Mutants**:",
            "each seeded bug of `mutants/` in that kernel. Upstream's verdict: the pristine tree's",
            "cpumask tests, and, if they catch nothing, all of its tests of the areas a created mask",
            "goes through; a kernel that goes wrong there (in brackets) counts. The series' catch:",
            "a cpumask test of the bpf-next series' runner that fails where upstream's cpumask",
            "tests did not, or `(kernel)`: the kernel went wrong only there.", ""]
    for r in records:
        fix, ms = r["fix"], r["mutants"]
        new = set(fix["new"])
        out += [f"## {r['kernel']} ({r['series']} tree), {r['date']}", "",
                f"Machine: {r['machine']}; {r['seconds']} s for the mutants.", "",
                "### The fix", "",
                f"`test_progs -t {fix['tests']}` on both kernels. A test that fails on both fails"
                " for this guest (its config, a tool it lacks), not for the fix.", "",
                "| kernel | new tests that failed | other tests that failed | summary |",
                "|---|---|---|---|"]
        for k in ("unpatched", "patched"):
            failed = fix[k]["failed"]
            mine = [t.split("/", 1)[1] for t in failed if t.split("/", 1)[-1] in new]
            other = [t for t in failed if t.split("/", 1)[-1] not in new and
                     not any(u.startswith(t + "/") for u in failed)]
            out.append(f"| {k} | {len(mine)} of {len(new)}{': ' if mine else ''}"
                       f"{', '.join(mine)} | {', '.join(other) or 'none'} | {fix[k]['summary']} |")
        out += ["", f"The fix is {'proven' if fix['ok'] else '**NOT proven**'}: it turns exactly the "
                "new tests from failing (loading) to passing and fails nothing else.", "",
                "### Mutants", ""]
        if not ms:
            out += ["Not run in this record (`./run.sh --marginal --fix`).", ""]
            continue
        out += [f"`test_progs {r['test_progs_args'].split(' -d ')[0]}`; denied, as they fail on the"
                f" unchanged kernel in this guest: {', '.join(r['denied']) or 'none'}.", "",
                "| mutant | rule it breaks | upstream's tests that failed | the series besides |",
                "|---|---|---|---|"]
        up_n = add_n = 0
        only = []
        for m in ms:
            v, failed = m["verdict"], m["failed"]
            up = [t for t in failed if not t.startswith("bpf-next:")]
            ser = [t[len("bpf-next:"):] for t in failed if t.startswith("bpf-next:")]
            ran = not (v.startswith("skipped") or v.startswith("error"))
            # upstream's run failed a test, or its kernel went wrong ("caught [why]")
            upcaught = ran and bool(up or v.startswith("caught [") or
                                    (v.startswith("caught") and not ser))
            cell = names(up) or (v if not ran or upcaught else "none")
            if upcaught:
                up_n += 1
            elif ran and ser:
                add_n += 1
                only.append(m["mutant"])
            out.append(f"| {m['mutant']} | {m['rule']} | {cell} | {names(ser) or '-'} |")
        total = len(glob.glob(os.path.join(REPO, "mutants", "[0-9]*.patch")))
        out += ["", f"Upstream's tests catch {up_n} of {len(ms)} mutants; the series catches "
                f"{add_n} more: {', '.join(only) or 'none'}."
                + (f" {total - len(ms)} of the {total} mutants have not run here yet."
                   if len(ms) < total else ""), ""]
    return out


def merge_upstream(rec):
    """A --fix or MUTANTS subset run keeps the kernel's other mutant rows."""
    p = os.path.join(DATA, "upstream", rec["kernel"] + ".json")
    if not os.path.exists(p):
        return
    with open(p) as f:
        old = json.load(f)
    rows = {m["mutant"]: m for m in old["mutants"]}
    stamp = {k: rec[k] for k in ("date", "seconds") if k in rec}
    rows.update({m["mutant"]: dict(m, **stamp) for m in rec["mutants"]})
    if not rec["mutants"]:
        rec.update({k: old[k] for k in ("denied", "test_progs_args", "seconds") if k in old})
    rec["mutants"] = [rows[k] for k in sorted(rows)]


RUN = ("date", "tree", "release", "machine", "test_progs_args", "subset", "run_seconds")


def mutant_rows(series):
    """A series' mutant rows, less those whose patch is gone from mutants/."""
    with open(os.path.join(DATA, "mutants", series + ".json")) as f:
        rows = json.load(f)["mutants"]
    return [r for r in rows if os.path.exists(os.path.join(REPO, "mutants", r["mutant"] + ".patch"))]


def add_mutants(path, run):
    if not isinstance(run.get("mutants"), list) or "series" not in run:
        sys.exit(f"docs-update: {path}: not the mutants lane's JSON")
    p = os.path.join(DATA, "mutants", run["series"] + ".json")
    rows = {r["mutant"]: r for r in (mutant_rows(run["series"]) if os.path.exists(p) else [])}
    for m in run["mutants"]:
        rows[m["mutant"]] = dict(m, run_seconds=run["seconds"], **{k: run[k] for k in RUN[:-1]})
    os.makedirs(os.path.dirname(p), exist_ok=True)
    rec = {"series": run["series"], "mutants": [rows[k] for k in sorted(rows)]}
    with open(p, "w") as f:
        json.dump(rec, f, indent=1, sort_keys=True)
        f.write("\n")


def mutants_page(series, rows):
    runs = collections.Counter(tuple(r[k] for k in RUN) for r in rows)
    key = max(runs, key=lambda k: (runs[k], k[0]))
    main = dict(zip(RUN, key))
    shown = lambda r: (r["date"], r["release"], r["machine"], f"test_progs {r['test_progs_args']}"
                       if r["test_progs_args"] else "the whole suite")
    out = [SPDX, f"# Mutants, {series} tree", "",
           "Written by `scripts/docs-update.py` from the JSON of `./run.sh --mutants` "
           f"(scripts/mutants.sh) in `docs/data/mutants/{series}.json`: {main['date']}, "
           f"tree {main['tree']} ({main['release']}), {main['machine']}"
           + (f"; only MUTANTS=\"{main['subset']}\"" if main["subset"] else "; every mutant")
           + f"; {shown(main)[3]}. Each mutant is one seeded bug (mutants/NAME.patch); caught means"
           " test_progs failed in a guest running the mutated kernel (the tests that failed are named)"
           " or the guest oopsed, warned or hung (in brackets). The verifier rules are listed with the"
           " programs that prove them in docs/verifier-rules.md."
           + (" A row of another run names its date, and its release, machine or test_progs"
              " arguments where they differ." if len(runs) > 1 else ""), "",
           "| mutant | file | rule it breaks | verdict | tests that failed |", "|---|---|---|---|---|"]
    for r in rows:
        note = ", ".join(x for i, x in enumerate(shown(r)) if i == 0 or x != shown(main)[i])
        note = f" ({note})" if tuple(r[k] for k in RUN) != key else ""
        out.append(f"| {r['mutant']} | {r['file'].removeprefix('kernel/bpf/')} | {r['rule']} | "
                   f"{r['verdict']}{note} | {', '.join(r['failed'])} |")
    n = lambda v: sum(r["verdict"].startswith(v) for r in rows)
    out += ["", f"Score: {n('caught')} of {len(rows)} caught, {n('survived, justified')} survived"
            f" (justified), {n('SURVIVED')} survived, {n('skipped')} skipped, {n('error')} errors;"
            f" {sum(k[-1] for k in runs)} s in all" + (f" over {len(runs)} runs." if len(runs) > 1 else "."), ""]
    return out


def rules():
    out, cols = [], None
    with open(os.path.join(REPO, "docs", "verifier-rules.md")) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|"):
                cols = None
            elif any(c.startswith("refusing program") for c in cells):
                cols = [i for i, c in enumerate(cells) if c.startswith(("refusing program", "twin"))]
            elif cols and not line.startswith("|---"):
                progs = [re.findall(r"`([a-z_][a-z0-9_]*)`", cells[i]) for i in cols]
                out.append((cells[0], progs[0], sum(progs, [])))
    return out


def earn_page(records):
    top = set(re.findall(r"void (?:serial_)?test_(cpumask_create[a-z_]*)", "".join(
        open(p).read() for p in glob.glob(os.path.join(REPO, "prog_tests", "*.c")))))
    test = lambda p: p if p in top else "cpumask_create_verifier/" + p
    rl = [(rule, {test(p) for p in ref}, {test(p) for p in every}) for rule, ref, every in rules()]
    everything = top.union(*(r["failed"] for rows in records.values() for r in rows),
                           *(every for _, _, every in rl))
    out = [SPDX, "# Every test earns its place", "",
           "Written by `scripts/docs-update.py` from `docs/data/mutants/*.json` (the runs are named in"
           " `docs/mutants-*.md`) and `docs/verifier-rules.md`; do not edit by hand.", "",
           "A test **alone catches** a mutant of a tree when the mutant was caught there and the tests"
           " that failed, reduced to the table's level (top-level tests, or leaves: subtests and tests"
           " without any), are that one test: without it the suite misses the mutant (one caught by an"
           " oops or a warning alone has no such test). A program **alone pins** a rule (a table row"
           " of `docs/verifier-rules.md`) when it is the only program the row's refusing-program column"
           " names (twins pin nothing); a top-level test, when all of them are its own. Verifier"
           " programs are `cpumask_create_verifier`'s subtests; a test newer than a tree's mutants run"
           " catches nothing in its record; a test removed since a record still shows in it, marked"
           " \"removed since\" (its mutant is due a new run). A test that earns nothing here may still be kept because"
           " it proves a documented behaviour (README's \"What is tested where\"): the reader judges.",
           ""]
    cands = []
    for level, reduce in (("top-level test", lambda ts: {t.split("/")[0] for t in ts}),
                          ("leaf subtest", lambda ts: {t for t in ts if not any(
                              u.startswith(t + "/") for u in ts)})):
        earn = collections.defaultdict(lambda: collections.defaultdict(list))
        for s, rows in records.items():
            for r in rows:
                if r["verdict"].startswith("caught") and len(reduce(r["failed"])) == 1:
                    earn[reduce(r["failed"]).pop()][s].append(r["mutant"].split("-")[0])
        for rule, ref, _ in rl:
            if len(reduce(ref)) == 1:
                earn[reduce(ref).pop()]["rules"].append(rule)
        tests = sorted(reduce(everything))
        # a test removed since a record was made still shows in that record
        gone = {t for t in tests if t.split("/")[0] not in top}
        none = [t for t in tests if not any(earn[t].values()) and t not in gone]
        out += [f"## {level.capitalize()}s", "",
                f"{len(tests)} {level}s: {sum(any(earn[t][s] for s in records) for t in tests)}"
                f" alone catch a mutant, {sum(bool(earn[t]['rules']) for t in tests)} alone pin a"
                f" rule, {len(none)} neither"
                + (f"; {len(gone)} of them removed since their records" if gone else "") + ".", "",
                "| test | " + " | ".join(f"mutants it alone catches, {s}" for s in records)
                + " | rules it alone pins |", "|---" * (len(records) + 2) + "|"]
        for t in tests:
            if t not in none and (t not in gone or any(earn[t].values())):
                v = earn[t]["rules"]
                out.append(f"| {t}{' (removed since)' if t in gone else ''} | " + " | ".join(", ".join(earn[t][s]) for s in records) + " | "
                           + (f"{len(v)}" if level[0] == "t" else "; ".join(v)) + " |")
        out.append("")
        cands += [f"{level.capitalize()}s that alone catch no mutant and pin no rule ({len(none)}):", ""]
        for g, v in itertools.groupby(none, lambda t: t.split("/")[0]):
            sub = ", ".join(t[len(g) + 1:] for t in v if t != g)
            cands.append(f"- {g}" + (f": {sub}" if sub else ""))
        cands.append("")
    return out + ["## Candidates to merge or remove: neither", ""] + cands


def write_mutants():
    records = {os.path.basename(p)[:-5]: mutant_rows(os.path.basename(p)[:-5])
               for p in sorted(glob.glob(os.path.join(DATA, "mutants", "*.json")))}
    for page, lines in [(f"mutants-{s}", mutants_page(s, rows)) for s, rows in records.items()] + \
            [("earn", earn_page(records))]:
        with open(os.path.join(REPO, "docs", page + ".md"), "w") as f:
            f.write("\n".join(lines))
        print(f"docs-update: docs/{page}.md")


PAGES = {"bench": bench_page, "kselftest": kselftest_page, "vm-points": vm_points_page,
         "upstream": upstream_page}


def add(lane, path):
    try:
        with open(path) as f:
            recs = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"docs-update: {path}: {e}")
    if lane == "mutants":
        return add_mutants(path, recs)
    recs = list(vm_records(path, recs)) if lane == "vm-points" else [recs]
    for rec in recs:
        if "kernel" not in rec:
            sys.exit(f"docs-update: {path}: no 'kernel' in the record")
        if lane == "upstream":
            merge_upstream(rec)
        rec.setdefault("date",
                       datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"))
        rec.setdefault("machine", machine())
        os.makedirs(os.path.join(DATA, lane), exist_ok=True)
        with open(os.path.join(DATA, lane, rec["kernel"] + ".json"), "w") as f:
            json.dump(rec, f, indent=1, sort_keys=True)
            f.write("\n")


def write(lane):
    d = os.path.join(DATA, lane)
    names = sorted(os.listdir(d)) if os.path.isdir(d) else []
    if not names:
        return
    records = []
    for n in names:
        with open(os.path.join(d, n)) as f:
            records.append(json.load(f))
    records.sort(key=lambda r: [int(x) if x.isdigit() else x
                                for x in r["kernel"].replace("-", ".").replace("+", ".").split(".")])
    with open(os.path.join(REPO, "docs", lane + ".md"), "w") as f:
        f.write("\n".join(PAGES[lane](records)))
    print(f"docs-update: docs/{lane}.md")


def series(release):
    return ".".join(release.split(".")[:2])


def check_points(path):
    """Every test and subtest a guest of the VM run at PATH reported must be in
    docs/vm-points.md's record of the same release (else the newest of its
    series): a page recorded before a test existed is stale."""
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"docs-update: {path}: {e}")
    d = os.path.join(DATA, "vm-points")
    records = {}
    for n in sorted(os.listdir(d)):
        with open(os.path.join(d, n)) as f:
            r = json.load(f)
        records[r["kernel"]] = r
    newest = {}
    for r in records.values():
        s = series(r["point"])
        if s not in newest or [int(x) for x in r["point"].split(".")] > \
                [int(x) for x in newest[s]["point"].split(".")]:
            newest[s] = r
    bad = checked = 0
    for g in vm_records(path, run, whole=False):
        rec = records.get(g["kernel"]) or newest.get(series(g["point"]))
        if rec is None:
            continue
        checked += 1
        missing = sorted(set(g.get("tests") or []) - set(rec.get("tests") or []))
        if "tests" not in rec or missing:
            bad = 1
            print(f"docs-update: docs/vm-points.md: {rec['kernel']} ({rec['date']}) lacks"
                  f" {len(missing) if 'tests' in rec else 'the names of'} tests {g['kernel']}"
                  f" ran now: {' '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    if not checked:
        sys.exit(f"docs-update: {path}: no guest of a series docs/vm-points.md records")
    if bad:
        sys.exit("docs-update: docs/vm-points.md is stale: ./run.sh --vm --jobs 2 points,"
                 " then scripts/docs-update.py vm-points build/vm.json")
    print(f"docs-update: docs/vm-points.md covers every test {checked} guests ran")


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        check_points(argv[2])
        return
    if len(argv) > 1 and argv[1] not in list(PAGES) + ["mutants"]:
        sys.exit(f"usage: {argv[0]} [{'|'.join(PAGES)}|mutants JSON...]")
    if len(argv) > 1:
        if len(argv) < 3:
            sys.exit(f"docs-update: {argv[1]}: which JSON?")
        for path in argv[2:]:
            add(argv[1], path)
        lanes = [argv[1]]
    else:
        lanes = list(PAGES) + ["mutants"]
    for lane in lanes:
        write_mutants() if lane == "mutants" else write(lane)


if __name__ == "__main__":
    main(sys.argv)
