#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write the upstream series of patches/bpf and patches/bpf-next and prove
# them on the tree they are written for (docs/lanes.md, "Patch series").
#
#   ./run.sh --patch [KDIR|SERIES]   series in $PATCH_DIR/{bpf,bpf-next}
#                                    (default PATCH_DIR: $OUTPUT/patches)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
OUTPUT=${OUTPUT:-$PWD/build}
out=${PATCH_DIR:-$OUTPUT/patches}
VM_SH=${VM_SH:-scripts/vm.sh}
LANE="patch"
. scripts/tree.sh
die() { tree_die "$*"; }

# A Signed-off-by is the Developer's Certificate of Origin of a person:
# never made up.
who_name=$(git config user.name || true)
who_email=$(git config user.email || true)
[ -n "$who_name" ] && [ -n "$who_email" ] ||
	die "no git identity to sign the patches off with: set git config user.name and user.email"
kdir=$(tree_dir "${1:-}")
tree_check "$kdir"
series=$(tree_series "$kdir")
[ "$series" = "$CURRENT_SERIES" ] ||
	die "the series are written for the $CURRENT_SERIES tree (its exact messages), not $series"
guest=$(scripts/kernel.sh "$series") || die "no Debian kernel of the tree's series $series"
btf=${VMLINUX_BTF:-$guest/vmlinux}

name=$(basename "$(readlink -f "$kdir")")
scratch=$CACHE/patch/$name
mkdir -p "$CACHE/patch"
exec 9> "$scratch.lock"
flock 9
repo=$scratch/tree
sel=$repo/$SELFTESTS
work=$scratch/series
rm -rf "$work"
mkdir -p "$work"

g() {
	git -C "$repo" -c user.name="$who_name" -c user.email="$who_email" \
		-c commit.gpgsign=false -c core.hooksPath=/dev/null "$@"
}

# 1. A git repository of the pristine tree: tag base.
tree_copy "$kdir" "$repo"
if ! g rev-parse -q --verify refs/tags/base > /dev/null 2>&1; then
	echo "patch: making $repo a git repository"
	rm -rf "$repo/.git"
	g init -q
	g add -A -f .
	g commit -q -m "$name"
	g tag base
fi

# 2. One branch per series off base, a commit per patch file, with the
# runner's identity; the cover letter is the branch's description.
branches="bpf bpf-next"
for b in $branches; do
	[ -s "patches/$b/cover" ] || die "patches/$b/cover: no cover letter"
	compgen -G "patches/$b/[0-9]*.patch" > /dev/null || die "patches/$b: no patch"
	g checkout -q -f -B "$b" base
	g clean -q -f -d -- "$SELFTESTS"
	for p in "patches/$b"/[0-9]*.patch; do
		sed '/^---$/,$d' "$p" > "$work/msg"
		if grep -qiE '^(From|Date|Signed-off-by|Co-developed-by):' "$work/msg"; then
			die "$p carries an identity (From:, Date:, Signed-off-by:): the runner's is added"
		fi
		[ -s "$work/msg" ] && [ "$(sed -n 2p "$work/msg")" = "" ] ||
			die "$p: want a subject line, a blank line, the body, a line \"---\" and the diff"
		echo "Signed-off-by: $who_name <$who_email>" >> "$work/msg"
		g apply --index "$PWD/$p" || die "$p does not apply to the $series tree"
		g commit -q -F "$work/msg"
	done
	g config "branch.$b.description" "$(cat "patches/$b/cover")"
done

max=${SERIES_MAX_LINES:-400}
lines=$(g diff --numstat base bpf-next | awk '{ n += $1 } END { print n + 0 }')
echo "patch: the bpf-next series adds $lines lines (at most $max)"
[ "$lines" -le "$max" ] || die "the bpf-next series adds $lines lines, more than $max"

rm -rf "$out"
for b in $branches; do
	g format-patch -q --subject-prefix="PATCH $b" --cover-letter \
		--cover-from-description=subject -o "$out/$b" "base..$b"
	echo "patch: wrote $(ls "$out/$b"/0*.patch | sed '/\/0000-/d' | wc -l) patches and a" \
	     "cover letter to $out/$b"
done

# 3. checkpatch --strict: nothing at all. FILE_PATH_CHANGES ("added, moved
# or deleted file(s), does MAINTAINERS need updating?") fires on any patch
# that adds a file; get_maintainer.pl answers it instead: a BPF entry of
# MAINTAINERS must already cover the files such a patch adds.
# UNKNOWN_COMMIT_ID: a Fixes: tag names an upstream commit, which the git
# repository made here from Debian's tarball (one commit) cannot know.
# Subjects, cover letters' too: at most 75 columns with the prefix.
status=0
for p in "$out"/*/0*.patch; do
	subject=$(awk '/^Subject: /{ s = substr($0, 10); getline
			   while ($0 ~ /^[ \t]/) { sub(/^[ \t]+/, " "); s = s $0; getline }
			   print s; exit }' "$p")
	if [ ${#subject} -gt 75 ]; then
		echo "patch: FAIL: ${p#"$out"/}: subject of ${#subject} columns (at most 75): $subject"
		status=1
	fi
done
for p in $(ls "$out"/*/0*.patch | sed '/\/0000-/d'); do
	report=$(cd "$(dirname "$p")" && "$kdir/scripts/checkpatch.pl" --strict \
		 --ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p" 2>&1) && rc=0 || rc=$?
	total=$(grep '^total: ' <<< "$report" || true)
	echo "patch: checkpatch --strict ${p#"$out"/}: ${total:-no total line}"
	if [ $rc != 0 ] || [[ $total != "total: 0 errors, 0 warnings, 0 checks, "* ]]; then
		sed 's/^/    /' <<< "$report"
		status=1
	fi
	grep -q '^new file mode' "$p" || continue
	maint=$(cd "$kdir" && scripts/get_maintainer.pl --no-git --no-git-fallback --no-email \
		--subsystem --no-rolestats "$p" 2>&1 || true)
	if ! grep -q '^BPF ' <<< "$maint"; then
		echo "patch: FAIL: no BPF entry of MAINTAINERS covers the files of ${p#"$out"/}:"
		sed 's/^/    /' <<< "$maint"
		status=1
	fi
done

# 4. git am of each series on the pristine tree, and of bpf-next on top of
# bpf; every flavor built after each patch. The tests the series add or
# change are built too, not pruned, and so are the programs whose
# skeletons those tests include.
own=
for b in $branches; do
	own="$own $(g diff --name-only base "$b" -- "$SELFTESTS/progs/*.c" \
		    "$SELFTESTS/prog_tests/*.c" | sed -E 's|.*/||; s/\.c$//' | tr '\n' ' ')"
	for f in $(g diff --name-only base "$b" -- "$SELFTESTS/prog_tests/*.c"); do
		own="$own $(g show "$b:$f" | tree_skels -)"
	done
done
am_series() {	# BRANCH: apply $out/BRANCH's patches to the current branch
	local p start
	for p in $(ls "$out/$1"/0*.patch | sed '/\/0000-/d'); do
		g am -q "$p" || { g am --abort || true; die "$1/${p##*/} does not apply with git am"; }
		# shellcheck disable=SC2086 # a list of names
		tree_prune "$sel" $own
		start=$SECONDS
		tree_build "$sel" "$btf" "$scratch/build.log"
		echo "patch: git am $1/${p##*/}: applies, $TREE_RUNNERS build" \
		     "($((SECONDS - start)) s)"
	done
}
for b in $branches; do
	g checkout -q -f -B "am-$b" base
	am_series "$b"
	g diff --quiet "$b" "am-$b" -- || die "git am did not reproduce the $b series"
done
echo "patch: the bpf-next series on top of the bpf series"
g checkout -q -f -B am-both am-bpf
am_series bpf-next

# 5. The bpf-next tests pass on Debian's kernel of the tree's series, in
# every flavor (vm.sh gives the guest its kernel's config for __kconfig).
g checkout -q -f am-bpf-next
# shellcheck disable=SC2086 # a list of names
tree_prune "$sel" $own
tree_build "$sel" "$btf" "$scratch/build.log"
for runner in $TREE_RUNNERS; do
	echo "=== patch: bpf-next in the Debian $series guest: $runner -t cpumask"
	if ! TEST_PROGS=$sel/$runner "$VM_SH" "$series" -- -t cpumask > "$work/$runner.out" 2>&1; then
		grep -E '^(#|Summary|vm\.sh)' "$work/$runner.out" | grep -Ev ':OK$' | sed 's/^/    /'
		echo "patch: FAIL: $runner -t cpumask in the $series guest (log: $work/$runner.out)"
		status=1
	else
		echo "patch: $runner: $(grep -E '^Summary: ' "$work/$runner.out" | tail -n1)"
	fi
done
echo "patch: $([ $status = 0 ] && echo ok || echo FAILED): series ${branches// / and } on the" \
     "$series tree in $out (git branches of $repo)"
exit $status
