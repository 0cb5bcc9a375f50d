#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The upstream series on the current tree's own kernel: the fix's tests fail
# unpatched and pass patched, and which mutants upstream's tests and the
# bpf-next series catch (docs/lanes.md, "The series on the tree's own kernel").
#
#   scripts/marginal.sh [--fix] [TREE]   (default: the current tree; --fix: the fix only)
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
LANE=marginal
. "$repo/scripts/tree.sh"
UPSTREAM_TESTS=verifier,kptr,kfunc,struct_ops,cb_refs,exceptions,timer,bpf_loop,for_each,cpumask,rcu_read_lock,linked_list,rbtree,local_storage,sk_storage,map_in_map,bpf_qdisc
FIX_TESTS=struct_ops_kptr_return,struct_ops,bpf_qdisc,cpumask

# The tests that failed in a guest's output FILE ("test" or "test/subtest",
# which may hold spaces); "(kernel)" when the kernel itself went wrong
# (vm.sh's FAILED: an oops, a WARN, a timeout).
failures() {
	sed -En 's/^#[0-9]+(\/[0-9]+)? +(.+):FAIL$/\2/p; s/^vm\.sh: .*: FAILED: .*/(kernel)/p' "$1" |
		sort -u
}

# --guest IMAGE -- ARGS: what mutants.sh boots for a mutant. Upstream's
# cpumask tests first, and only if they catch nothing all of upstream's
# tests (ARGS); then the series' cpumask tests, whose failures that
# upstream's cpumask tests did not have are the series' ("bpf-next:"),
# a kernel that goes wrong only with them included. A run that fails
# with no failure to name says so ("test_progs"). The series' output goes
# to the log prefixed, out of mutants.sh's parsing.
if [ "${1:-}" = --guest ]; then
	image=$2
	shift 3
	out=$(mktemp)
	trap 'rm -f "$out"' EXIT
	deny=(${MARGINAL_DENY:+-d "$MARGINAL_DENY"})
	guest() {	# RUNNER ARGS...: a boot, its output in $out
		TEST_PROGS=$1 "$repo/scripts/vm.sh" "$image" -- "${@:2}" > "$out" 2>&1
	}
	unnamed() { [ -n "$(failures "$out")" ] || echo "#0/0 test_progs:FAIL"; }
	up=0
	guest "$MARGINAL_BASE" -t cpumask "${deny[@]}" || { up=1; unnamed; }
	cat "$out"
	upcpumask=$(failures "$out")
	if [ $up = 0 ]; then
		guest "$MARGINAL_BASE" "$@" || { up=1; unnamed; }
		cat "$out"
	fi
	ser=
	if ! guest "$MARGINAL_NEXT" -t cpumask "${deny[@]}"; then
		ser=$(comm -23 <(failures "$out") <(echo "$upcpumask"))
		[ -n "$(failures "$out")" ] || [ -n "$upcpumask" ] || ser=test_progs
	fi
	sed 's/^/bpf-next| /' "$out"
	while read -r t; do
		[ -z "$t" ] || echo "#0/0 bpf-next:$t:FAIL"
	done <<< "$ser"
	[ $up = 0 ] && [ -z "$ser" ]
	exit
fi

fix_only=0
if [ "${1:-}" = --fix ]; then
	fix_only=1
	shift
fi
kdir=$(tree_dir "${1:-}")
tree_check "$kdir"
kdir=$(readlink -f "$kdir")
series=$(tree_series "$kdir")
name=$(basename "$kdir")
prepo=$CACHE/patch/$name/tree
work=$CACHE/marginal/$name
mkdir -p "$work/logs"
exec 8> "$work.lock"
flock -n 8 || tree_die "another marginal run uses $work"
start=$SECONDS

# 1. The series, as the patch lane writes and checks them.
PATCH_DIR=$work/patches "$repo/scripts/patch.sh" "$kdir" > "$work/logs/patch.log" 2>&1 ||
	{ tail -n 20 "$work/logs/patch.log" >&2; tree_die "the patch lane failed"; }

# 2. The tree's own kernel as BPF CI builds it (its selftests' config,
# config.vm and config.ARCH), with bpf_testmod for upstream's struct_ops tests.
KBUILD_CONFIG="$kdir/$SELFTESTS/config $kdir/$SELFTESTS/config.vm $kdir/$SELFTESTS/config.$(uname -m)"
export KBUILD_CONFIG
image=$(KBUILD_TESTMOD=1 "$repo/scripts/own-kernel.sh" --build "$kdir" 2>> "$work/logs/kernel.log") ||
	tree_die "the own kernel does not build (log: $work/logs/kernel.log)"
kbuild=${image%/arch/x86/boot/bzImage}
btf=$kbuild/vmlinux
release=$(cat "$kbuild/include/config/kernel.release")
files="$kbuild/test_kmods/bpf_testmod.ko $kbuild/.config:/boot/config-$release"

# 3. A runner per branch, with the tests it runs and their skeletons.
runner() {	# DIR BRANCH TESTS: build DIR's test_progs from BRANCH
	local dir=$1 branch=$2 tests=$3 sel=$1/$SELFTESTS keep f p
	# the patch lane may have made its repository anew since the last run
	if ! git -C "$dir" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		rm -rf "$dir"
		git -C "$prepo" worktree prune
		git -C "$prepo" worktree add -q --detach "$dir" "$branch"
	fi
	git -C "$dir" checkout -q -f --detach "$branch"
	keep=
	for f in "$sel"/prog_tests/*.c; do
		f=${f##*/}; f=${f%.c}
		for p in ${tests//,/ }; do
			[[ $f != *"$p"* ]] && continue
			keep="$keep $f $(tree_skels "$sel/prog_tests/$f.c")"
			break
		done
	done
	# shellcheck disable=SC2086 # a list of names
	tree_prune "$sel" $keep
	tree_build "$sel" "$btf" "$work/logs/build-${dir##*/}.log" test_progs
	echo "marginal: built $sel/test_progs ($branch)" >&2
}
runner "$work/base" base "$UPSTREAM_TESTS"
runner "$work/bpf" am-bpf "$FIX_TESTS"
runner "$work/bpf-next" am-bpf-next cpumask
export MARGINAL_BASE=$work/base/$SELFTESTS/test_progs
export MARGINAL_NEXT=$work/bpf-next/$SELFTESTS/test_progs
export VM_FILES="$files"

# boot LOG IMAGE RUNNER ARGS...: test_progs in a guest; the failed tests.
boot() {
	local log=$1 img=$2 tp=$3
	shift 3
	local rc=0
	TEST_PROGS=$tp "$repo/scripts/vm.sh" "$img" -- "$@" > "$log" 2>&1 || rc=$?
	grep -q '^Summary: ' "$log" || tree_die "no test_progs summary in $log"
	# a run that fails naming nothing says so, as the guest mode does
	if [ $rc != 0 ] && [ -z "$(failures "$log")" ]; then echo "(test_progs)"; fi
	failures "$log"
}

# 4. The fix. Its new tests are the _fail__ programs the bpf series adds.
fixwt=$work/bpf
fixdir=$CACHE/marginal/kbuild-fix
mapfile -t new < <(git -C "$prepo" diff --name-only base am-bpf -- "$SELFTESTS/progs/" |
		   sed -nE 's|.*/struct_ops_(kptr_return_fail__[a-z_]+)\.c$|\1|p')
[ ${#new[@]} -gt 0 ] || tree_die "the bpf series adds no struct_ops_kptr_return_fail__ program"
# A MUTANTS subset run reuses what an earlier one recorded with the same
# runners and kernels: the fix's verdict, the unchanged kernel's failures.
fresh() {	# FILE DEP...: FILE is newer than every DEP
	local f=$1 d
	shift
	[ -n "${MUTANTS:-}" ] && [ -s "$f" ] && [ "$f" -nt "$0" ] || return 1
	for d; do [ "$f" -nt "$d" ] || return 1; done
}

check_fix() {
	# Both kernels run the same tests: what fails on both fails for this guest
	# (a config, a tool it lacks) and is listed; the patch must turn exactly the
	# new tests from failing (loading) to passing and fail nothing else.
	unpatched=$(boot "$work/logs/fix-unpatched.log" "$image" "$fixwt/$SELFTESTS/test_progs" \
			 -t "$FIX_TESTS")
	fiximage=$(KBUILD_DIR=$fixdir KBUILD_TESTMOD="" \
		   KBUILD_OVERLAY="kernel/bpf/verifier.c:$fixwt/kernel/bpf/verifier.c" \
		   "$repo/scripts/own-kernel.sh" --build "$kdir" 2>> "$work/logs/kernel.log") ||
		tree_die "the patched kernel does not build (log: $work/logs/kernel.log)"
	patched=$(boot "$work/logs/fix-patched.log" "$fiximage" "$fixwt/$SELFTESTS/test_progs" \
		       -t "$FIX_TESTS")
	want=$(printf 'struct_ops_kptr_return/%s\n' "${new[@]}" | sort)
	flipped=$(comm -23 <(echo "$unpatched") <(echo "$patched") | grep -vx struct_ops_kptr_return || true)
	broken=$(comm -13 <(echo "$unpatched") <(echo "$patched") | grep . || true)
	fix_ok=true
	[ "$flipped" = "$want" ] || { echo "marginal: FAIL: the patch turned these from failing to passing:" \
					    $flipped "; want:" $want >&2; fix_ok=false; }
	[ -z "$broken" ] || { echo "marginal: FAIL: fail only with the patch:" $broken >&2; fix_ok=false; }
	summary() { grep '^Summary: ' "$1" | tail -n1 | sed 's/^Summary: //'; }
	jq -n --argjson ok "$fix_ok" --arg new "${new[*]}" --arg unpatched "$unpatched" \
	      --arg patched "$patched" --arg tests "$FIX_TESTS" \
	      --arg su "$(summary "$work/logs/fix-unpatched.log")" \
	      --arg sp "$(summary "$work/logs/fix-patched.log")" \
	      '{ok: $ok, new: ($new | split(" ")), tests: $tests,
		unpatched: {failed: ($unpatched | split("\n") | map(select(. != ""))), summary: $su},
		patched: {failed: ($patched | split("\n") | map(select(. != ""))), summary: $sp}}' \
		> "$work/fix.json"
	echo "marginal: the fix: $([ $fix_ok = true ] && echo ok || echo FAILED)" \
	     "(unpatched: $(summary "$work/logs/fix-unpatched.log"); patched:" \
	     "$(summary "$work/logs/fix-patched.log"))"
}
if fresh "$work/fix.json" "$fixwt/$SELFTESTS/test_progs" "$image" \
	 "$fixdir/${image#"$kbuild"/}"; then
	fix_ok=$(jq -r .ok "$work/fix.json")
	echo "marginal: the fix: as recorded in $work/fix.json (ok: $fix_ok)"
else
	check_fix
fi

# 5. What fails unchanged is denied; then every mutant.
json=$work/marginal.json
if [ $fix_only = 1 ]; then
	jq -n --slurpfile fix "$work/fix.json" --arg release "$release" --arg series "$series" \
	      --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
	      --arg machine "$(uname -m), $(nproc) CPUs, host kernel $(uname -r); guests: qemu TCG" \
	      '{fix: $fix[0], kernel: $release, series: $series, date: $date, machine: $machine,
		mutants: [], denied: [], seconds: 0, test_progs_args: ""}' > "$json"
	"$repo/scripts/docs-update.py" upstream "$json"
	[ $fix_ok = true ]
	exit
fi
# What test_progs -d can deny of the FAILURES on stdin: a subtest, or its
# whole test where the subtest cannot be named (a ',' or '/' in it) or the
# test failed outside its subtests; never a test whose subtests failed
# for it.
deniable() {
	awk '{ f[NR] = $0; i = index($0, "/")
	       if (!i) { top[$0] = 1; next }
	       p = substr($0, 1, i - 1); subs[p] = 1
	       if (substr($0, i + 1) ~ /[,\/]/) whole[p] = 1 }
	     END { for (t in top) if (!(t in subs)) whole[t] = 1
		   for (t in whole) print t
		   for (n = 1; n <= NR; n++) { i = index(f[n], "/")
			if (i && !(substr(f[n], 1, i - 1) in whole)) print f[n] } }' | sort -u
}
# Those of the DENIED on stdin that no test of them covers whole.
roots() { awk '{ d[NR] = $0; w[$0] = 1 } END { for (n = 1; n <= NR; n++) {
		i = index(d[n], "/"); if (!i || !(substr(d[n], 1, i - 1) in w)) print d[n] } }'; }
# The unchanged kernel with both runners, again with what failed denied,
# until nothing fails: the denied list is proven, not assumed.
if fresh "$work/denied" "$MARGINAL_BASE" "$MARGINAL_NEXT" "$image"; then
	denied=$(cat "$work/denied")
else
	# A MUTANTS subset run, which adds rows to the kernel's record, starts
	# from the list recorded there (for the same release and series): it
	# saves the rounds that find it again, and is still proven below.
	denied=
	[ -z "${MUTANTS:-}" ] ||
		denied=$(jq -r --arg s "$series" 'select(.series == $s) | .denied[]' \
			    "$repo/docs/data/upstream/$release.json" 2>/dev/null || true)
	for round in 1 2 3; do
		d=$(tr '\n' ',' <<< "$denied" | sed 's/,$//')
		failed=$({ boot "$work/logs/unchanged-$round.log" "$image" "$MARGINAL_BASE" \
			   -t "$UPSTREAM_TESTS" ${d:+-d "$d"}
			   boot "$work/logs/unchanged-bpf-next-$round.log" "$image" "$MARGINAL_NEXT" \
			   -t cpumask ${d:+-d "$d"}; } | sort -u)
		[ -n "$failed" ] || break
		! grep -qxE '\((kernel|test_progs)\)' <<< "$failed" ||
			tree_die "the unchanged kernel went wrong, see $work/logs/unchanged*-$round.log"
		denied=$(printf '%s\n' "$denied" "$(deniable <<< "$failed")" | grep . | sort -u | roots)
	done
	[ -z "$failed" ] ||
		tree_die "still failing on the unchanged kernel: $(paste -sd, <<< "$failed")"
	echo "$denied" > "$work/denied"
fi
echo "marginal: $(grep -c . <<< "$denied") tests fail on the unchanged kernel: denied"
MARGINAL_DENY=$(tr '\n' ',' <<< "$denied" | sed 's/,$//')
export MARGINAL_DENY
# MARGINAL_JOBS: mutants.sh beside itself, in build copies of its own
# (a TCG guest keeps one CPU busy), the mutants dealt out in turn.
jobs=${MARGINAL_JOBS:-1}
mapfile -t all < <(selected_mutants | sed 's|.*/||; s|-.*||')
[ ${#all[@]} -gt 0 ] && [ "$jobs" -ge 1 ] ||
	tree_die "no mutant selected (MUTANTS='${MUTANTS:-}', MARGINAL_JOBS=$jobs)"
rc=0 pids=() mjsons=()
# background jobs ignore SIGINT: stop them with the lane
trap 'trap - INT TERM; kill 0; exit 130' INT TERM
for ((j = 0; j < jobs && j < ${#all[@]}; j++)); do
	sub=
	for ((i = j; i < ${#all[@]}; i += jobs)); do sub="$sub ${all[i]}"; done
	tag=marginal$([ $j = 0 ] || echo "-$((j + 1))")
	mjsons+=("$CACHE/ownkernel/mutants/$(basename "$kbuild")-$tag/$tag.json")
	rm -f "${mjsons[-1]}"
	MUTANTS=${sub# } MUTANTS_NAME=$tag MUTANTS_VM="$repo/scripts/marginal.sh --guest" \
	VM_LOGS=$work/vm-logs-$tag VM_JSON=$work/vm-$tag.json \
		"$repo/scripts/mutants.sh" "$kdir" -- -t "$UPSTREAM_TESTS" ${MARGINAL_DENY:+-d "$MARGINAL_DENY"} \
		> "$work/logs/$tag.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
for f in "${mjsons[@]}"; do
	[ -f "$f" ] || { tail -n 20 "$work/logs/marginal"*.log >&2; tree_die "no $f"; }
done

# 6. The page, from the JSON.
jq -s --slurpfile fix "$work/fix.json" --arg denied "$denied" --arg release "$release" \
      --arg subset "${MUTANTS:-}" \
   '.[0] + {mutants: (map(.mutants[]) | sort_by(.mutant)), selected: (map(.selected) | add),
	    seconds: (map(.seconds) | max), subset: $subset, fix: $fix[0],
	    denied: ($denied | split("\n") | map(select(. != ""))), kernel: $release}' \
   "${mjsons[@]}" > "$json"
"$repo/scripts/docs-update.py" upstream "$json"
echo "marginal: $([ $fix_ok = true ] && [ $rc = 0 ] && echo ok || echo FAILED)" \
     "($((SECONDS - start)) s); docs/upstream.md written"
[ $fix_ok = true ] && [ $rc = 0 ]
