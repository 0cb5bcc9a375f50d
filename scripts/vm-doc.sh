#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Turn the VM lane's JSON (scripts/vm.sh's VM_JSON) into the Markdown page
# of docs/vm-points.md: one row per guest (passed, skipped, failed, known
# failures, wall time), with the date, host kernel and machine of the run,
# and the kernels a cut-short run did not reach.
#
# Usage: scripts/vm-doc.sh [VM_JSON] > docs/vm-points.md
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
LANE=vm-doc

json=${1:-${OUTPUT:-$(dirname "$(readlink -f "$0")")/../build}/vm.json}
[ -f "$json" ] || die "$json: no such file (run ./run.sh --vm first)"
command -v jq >/dev/null || die "jq not found: run ./run.sh --setup"
jq -e '.lane == "vm" and (.guests | type == "array")' "$json" >/dev/null 2>&1 ||
	die "$json: not the VM lane's JSON"

jq -r '
def n: if . == null then "-" else tostring end;
(.guests | map(.kernel)) as $ran |
(.kernels - $ran) as $missing |
(.guests | map(select(.result | test("^(ok|skipped)")))) as $green |
"<!-- SPDX-License-Identifier: GPL-2.0 -->",
"# The suite on every Debian point release",
"",
"Written by `scripts/vm-doc.sh` from the JSON of `./run.sh --vm \(.named)` (scripts/vm.sh);",
"run that again rather than editing this page.",
if .named == "points" then
  "Every point release Debian carries (listed in its package indices) of each cloud kernel",
  "series from 6.12 on, one qemu guest each."
else "Kernels: \(.named)." end,
"\"known\" counts the failures `known-failures` expects on that kernel: they do not fail the",
"guest (test_progs exits 0).",
"",
"- Date: \(.date), \(.elapsed_s / 60 | floor) min \(.elapsed_s % 60) s in all",
"- Host: kernel \(.host_kernel); \(.machine); load average \(.load_at_start) at the start, \(.load_at_end) at the end",
"- Guests: \(.vcpus) vCPUs each, qemu `-accel \(.accel)`, up to \(.jobs) at a time; test_progs arguments: \(if (.test_progs_args | length) == 0 then "none (the whole suite)" else "`\(.test_progs_args | join(" "))`" end)",
"- Result: \(.guests | length) of \(.kernels | length) kernels ran, \($green | length) green (\([.guests[] | select(.known > 0)] | length) of them with known failures), \((.guests | length) - ($green | length)) failed\(if ($missing | length) > 0 then "; not reached (run cut short): \($missing | join(" "))" else "" end)",
"",
"| kernel | release | passed | skipped | failed | known | exit | wall | result |",
"|---|---|---|---|---|---|---|---|---|",
(.guests[] |
 "| \(.kernel) | \(.release) | \(if .passed == null then "-" else "\(.passed)/\(.passed_subtests | n)" end) | \(.skipped | n) | \(.failed | n) | \(.known | n) | \(.exit | n) | \(if .wall_s == null then "-" else "\(.wall_s) s" end) | \(.result) |")
' "$json"
