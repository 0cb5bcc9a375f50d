#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write the upstream patch series of this suite and prove them: two series,
# each on the pristine tree, each with its own cover letter and prefix:
#
#   bpf       the kernel fix of patches/ with its selftests ([PATCH bpf]),
#             for the bpf tree (the current tree only)
#   bpf-next  the test additions scripts/series describes ([PATCH bpf-next])
#
# checkpatch --strict reports nothing on any patch, every subject line is
# at most 75 columns with its prefix, each series applies with git am to
# the pristine tree and test_progs builds after each patch, and the
# bpf-next series also applies and builds on top of the bpf one.
#
#   ./run.sh --patch [KDIR|SERIES]   series in $PATCH_DIR/bpf and
#                                    $PATCH_DIR/bpf-next (default
#                                    PATCH_DIR: $OUTPUT/patches)
#
# The base is the current tree (7.3: what bpf and bpf-next take) unless
# KDIR or SERIES (6.12: the stable tree, bpf-next series only) names
# another. Every patch is authored and signed off by the identity of git
# config user.name and user.email, the person who runs this: the files of
# patches/ carry no identity (a commit message, "---", a diff). The series
# are also left as the branches "bpf" and "bpf-next" of a git repository
# of the base tree ($CACHE/patch/TREE/tree), for git log, git rebase -i
# and git send-email.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
OUTPUT=${OUTPUT:-$PWD/build}
out=${PATCH_DIR:-$OUTPUT/patches}
LANE="patch"
. scripts/tree.sh

# A Signed-off-by is the Developer's Certificate of Origin of a person:
# never made up.
who_name=$(git config user.name || true)
who_email=$(git config user.email || true)
[ -n "$who_name" ] && [ -n "$who_email" ] ||
	tree_die "no git identity to sign the patches off with: set git config user.name and user.email"
kdir=$(tree_dir "${1:-}")
tree_check "$kdir"
series=$(tree_series "$kdir")
btf=${VMLINUX_BTF:-$(scripts/kernel.sh "$series")/vmlinux}

name=$(basename "$(readlink -f "$kdir")")
scratch=$CACHE/patch/$name
mkdir -p "$CACHE/patch"
exec 9> "$scratch.lock"
flock 9
repo=$scratch/tree
sel=$repo/$SELFTESTS
work=$scratch/series
die() { tree_die "$*"; }

g() {
	git -C "$repo" -c user.name="$who_name" -c user.email="$who_email" \
		-c commit.gpgsign=false -c core.hooksPath=/dev/null "$@"
}

# 1. scripts/series -> $work/N.{kind,subject,files,extends,body}, N = 1, 2, ...
rm -rf "$work"
mkdir -p "$work"
awk -v dir="$work" '
	function fail(msg) {
		printf "scripts/series:%d: %s\n", NR, msg > "/dev/stderr"; bad = 1; exit 1
	}
	state == 2 && $0 == "---" { state = 0; next }
	state == 2 { print > (dir "/" n ".body"); next }
	state == 1 && /^Files:/ { sub(/^Files:[ \t]*/, ""); print > (dir "/" n ".files"); next }
	state == 1 && /^\t/ { print > (dir "/" n ".files"); next }
	state == 1 && /^Extends: ./ { sub(/^Extends: /, ""); print > (dir "/" n ".extends"); next }
	state == 1 && /^$/ { state = 2; next }
	state == 1 { fail("expected Files:, Extends:, a tab-indented line or a blank line") }
	/^#/ || /^$/ { next }
	/^(Cover|Subject|Local): ./ {
		n++; state = 1
		kind = $1; sub(/:$/, "", kind); print kind > (dir "/" n ".kind")
		sub(/^[A-Za-z]+: /, ""); print > (dir "/" n ".subject")
		next
	}
	{ fail("expected Cover:, Subject: or Local:") }
	END {
		if (!bad && state) fail("stanza not ended by ---")
		print n + 0 > (dir "/count")
	}
' scripts/series
count=$(cat "$work/count")
[ "$count" -gt 0 ] || die "scripts/series has no patch"

# 2. Every file of ours in exactly one patch; every name matches a file.
declare -A owner=()
for f in $(our_files); do owner[$f]=; done
cover=
for ((i = 1; i <= count; i++)); do
	touch "$work/$i.files" "$work/$i.body" "$work/$i.extends"
	sed -i -e '/./,$!d' "$work/$i.body"	# no blank lines before the body
	[ -s "$work/$i.body" ] || die "scripts/series: '$(cat "$work/$i.subject")' has no body"
	if [ "$(cat "$work/$i.kind")" = Cover ]; then
		[ "$i" = 1 ] || die "scripts/series: the cover letter must come first"
		[ ! -s "$work/$i.files" ] || die "scripts/series: the cover letter names files"
		cover=1
		continue
	fi
	[ "$(cat "$work/$i.kind")" = Subject ] || [ ! -s "$work/$i.extends" ] ||
		die "scripts/series: '$(cat "$work/$i.subject")' is local: it extends nothing"
	for pat in $(cat "$work/$i.files"); do
		if [ "$pat" = config ]; then
			[ -z "${owner[config]:-}" ] || die "scripts/series: config named twice"
			owner[config]=$i
			continue
		fi
		matched=$(compgen -G "$pat" || true)
		[ -n "$matched" ] || die "scripts/series: '$pat' matches no file"
		for f in $matched; do
			[ "${owner[$f]+set}" ] ||
				die "scripts/series: $f is none of our progs/, prog_tests/ files"
			[ -z "${owner[$f]}" ] || die "scripts/series: $f is named twice"
			owner[$f]=$i
		done
	done
	[ -s "$work/$i.files" ] || die "scripts/series: '$(cat "$work/$i.subject")' names no file"
done
for f in $(our_files); do
	[ -n "${owner[$f]}" ] ||
		die "scripts/series: no patch adds $f: name it in a stanza that says what it tests"
done

# 3. The options of ./config the tree's selftests config lacks, inserted
# where they sort, so that the patch touches nothing else.
tree_config=$kdir/$SELFTESTS/config
added=
while read -r line; do
	opt=$(sed -E 's/^# //; s/[= ].*//' <<< "$line")
	theirs=$(grep -E "^$opt=|^# $opt is not set" "$tree_config" || true)
	if [ -z "$theirs" ]; then
		added+="$line"$'\n'
	elif [ "$theirs" != "$line" ]; then
		die "config wants '$line', the tree's $SELFTESTS/config has '$theirs'"
	fi
done < <(grep -E '^(CONFIG_|# CONFIG_)' config)
added=${added%$'\n'}
if [ -n "$added" ] && [ -n "${owner[config]:-}" ] &&
   [ "$(cat "$work/${owner[config]}.kind")" = Local ]; then
	added=
elif [ -n "$added" ]; then
	[ -n "${owner[config]:-}" ] ||
		die "the tree's config lacks $(tr '\n' ' ' <<< "$added"): name config in a stanza"
	for opt in $(sed -E 's/^# //; s/[= ].*//' <<< "$added"); do
		grep -qw "$opt" "$work/${owner[config]}.body" ||
			die "scripts/series: the body of the config patch must say why it adds $opt"
	done
elif [ -n "${owner[config]:-}" ] && [ "$(cat "$work/${owner[config]}.kind")" != Local ]; then
	die "scripts/series: names config, but the tree's config has every option already"
fi
merge_config() {
	LC_ALL=C awk 'function key(l) { sub(/^# /, "", l); sub(/[= ].*/, "", l); return l }
		NR == FNR { add[++n] = $0; next }
		{ while (i < n && key(add[i + 1]) < key($0)) print add[++i]; print }
		END { while (i < n) print add[++i] }' \
		<(sed -E 's/^(# )?(CONFIG_[A-Za-z0-9_]+)/\2 &/' <<< "$added" | LC_ALL=C sort |
		  cut -d' ' -f2-) "$tree_config"
}

# What a file of ours that extends an upstream file (Extends:) adds to it:
# everything after its license line, leading blank lines dropped. Its
# #include lines must all be the upstream file's: it compiles there as is.
fragment_body() {
	awk 'body && (started || NF) { started = 1; print; next }
	     /^char _license\[\] SEC\("license"\) = "GPL";$/ { body = 1 }' "$1"
}
includes() { sed -n -E 's/^#include [<"]([^>"]+)[>"].*/\1/p' "$1" | sort -u; }
for ((i = 1; i <= count; i++)); do
	up=$(cat "$work/$i.extends")
	[ -n "$up" ] || continue
	[ -f "$kdir/$SELFTESTS/$up" ] || die "scripts/series: the tree has no $SELFTESTS/$up to extend"
	for f in "${!owner[@]}"; do
		[ "${owner[$f]}" = "$i" ] || continue
		[ -n "$(fragment_body "$f")" ] || die "$f: no license line, or nothing after it, to add to $up"
		missing=$(comm -23 <(includes "$f") <(includes "$kdir/$SELFTESTS/$up"))
		[ -z "$missing" ] || die "$f includes $(echo $missing), which $up does not: it extends $up"
	done
done

# 4. A git repository of the pristine tree: tag base.
tree_copy "$kdir" "$repo"
if ! g rev-parse -q --verify refs/tags/base > /dev/null 2>&1; then
	echo "patch: making $repo a git repository"
	rm -rf "$repo/.git"
	g init -q
	g add -A -f .
	g commit -q -m "$name"
	g tag base
fi
fresh_branch() {
	g checkout -q -f -B "$1" base
	g clean -q -f -d -- "$SELFTESTS/progs" "$SELFTESTS/prog_tests"
}

# 5. Two branches off base. "bpf": the fix of patches/ (the current tree
# only), each NNNN-*.patch a commit message, a line "---" and a diff,
# committed with the runner's identity as author and sign-off; its cover
# letter is patches/cover. "bpf-next": one commit per stanza of
# scripts/series. The bpf-next series does not depend on the fix (the
# files it extends are not the fix's), so it goes to bpf-next as it is,
# without waiting for bpf to be merged there; step 7 proves that it also
# applies on top of the fix.
branches=bpf-next
fixes=()
if [ "$series" = "$CURRENT_SERIES" ]; then
	for p in patches/[0-9]*.patch; do
		[ -f "$p" ] && fixes+=("$p")
	done
fi
if [ ${#fixes[@]} -gt 0 ]; then
	[ -s patches/cover ] || die "patches/cover: no cover letter for the bpf series"
	branches="bpf bpf-next"
fi
fresh_branch bpf
for p in "${fixes[@]}"; do
	sed '/^---$/,$d' "$p" > "$work/fix.msg"
	if grep -qiE '^(From|Date|Signed-off-by|Co-developed-by):' "$work/fix.msg"; then
		die "$p carries an identity (From:, Date:, Signed-off-by:): the runner's is added"
	fi
	[ -s "$work/fix.msg" ] && [ "$(sed -n 2p "$work/fix.msg")" = "" ] ||
		die "$p: want a subject line, a blank line, the body, a line \"---\" and the diff"
	echo "Signed-off-by: $who_name <$who_email>" >> "$work/fix.msg"
	g apply --index "$PWD/$p" || die "$p does not apply to the $series tree"
	g commit -q -F "$work/fix.msg"
done
fresh_branch bpf-next
for ((i = 1; i <= count; i++)); do
	[ "$(cat "$work/$i.kind")" = Subject ] || continue
	up=$(cat "$work/$i.extends")
	paths=()
	for f in $(our_files) config; do
		[ "${owner[$f]:-}" = "$i" ] || continue
		if [ "$f" = config ]; then
			merge_config > "$sel/config.new"
			mv "$sel/config.new" "$sel/config"
			paths+=("$SELFTESTS/config")
		elif [ -n "$up" ]; then
			{ echo; fragment_body "$f"; } >> "$sel/$up"
			paths+=("$SELFTESTS/$up")
		else
			cp "$f" "$sel/$f"
			paths+=("$SELFTESTS/$f")
		fi
	done
	{ cat "$work/$i.subject"; echo; cat "$work/$i.body"
	  echo; echo "Signed-off-by: $who_name <$who_email>"; } > "$work/$i.msg"
	g add -- "${paths[@]}"
	g commit -q -F "$work/$i.msg"
done

# The tests the bpf-next series adds: at most SERIES_MAX_LINES added lines.
max=${SERIES_MAX_LINES:-1500}
lines=$(g diff --numstat base bpf-next | awk '{ n += $1 } END { print n + 0 }')
echo "patch: the bpf-next series adds $lines lines of tests (at most $max)"
[ "$lines" -le "$max" ] || die "the bpf-next series adds $lines lines of tests, more than $max"

# The cover letters are git's: the branch description gives the subject
# (first paragraph) and the body.
if [ -n "$cover" ]; then
	g config branch.bpf-next.description "$(cat "$work/1.subject"; echo; cat "$work/1.body")"
fi
[ ${#fixes[@]} -eq 0 ] || g config branch.bpf.description "$(cat patches/cover)"
rm -rf "$out"
patches=
for b in $branches; do
	withcover=1
	[ $b = bpf ] || [ -n "$cover" ] || withcover=
	g format-patch -q --subject-prefix="PATCH $b" \
		${withcover:+--cover-letter --cover-from-description=subject} -o "$out/$b" base..$b
	echo "patch: wrote $(ls "$out/$b"/0*.patch | sed '/\/0000-/d' | wc -l) patches" \
	     "${withcover:+and a cover letter }to $out/$b"
	patches="$patches $(ls "$out/$b"/0*.patch | sed '/\/0000-/d' | tr '\n' ' ')"
done

# 6. checkpatch --strict: nothing at all. FILE_PATH_CHANGES ("added, moved
# or deleted file(s), does MAINTAINERS need updating?") fires on any patch
# that adds a file; get_maintainer.pl answers it instead: a BPF entry of
# MAINTAINERS must already cover the files such a patch adds.
# UNKNOWN_COMMIT_ID: a fix's Fixes: tag names an upstream commit, which the
# git repository made here from Debian's tarball (one commit) cannot know.
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
for p in $patches; do
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

# 7. git am of each series on the pristine tree, and of bpf-next on top of
# bpf; test_progs built after each patch.
# The tests any patch adds or changes are built too, not pruned, and so
# are the programs whose skeletons those tests include.
own=
for b in $branches; do
	own="$own $(g diff --name-only base $b -- "$SELFTESTS/progs/*.c" "$SELFTESTS/prog_tests/*.c" |
		    sed -E 's|.*/||; s/\.c$//' | tr '\n' ' ')"
	for f in $(g diff --name-only base $b -- "$SELFTESTS/prog_tests/*.c"); do
		own="$own $(g show "$b:$f" |
			    sed -nE 's/^#include "([A-Za-z0-9_]+)\.skel\.h"$/\1/p' | tr '\n' ' ')"
	done
done
am_series() {	# BRANCH: apply $out/BRANCH's patches to the current branch
	local p
	for p in $(ls "$out/$1"/0*.patch | sed '/\/0000-/d'); do
		g am -q "$p" || { g am --abort || true; die "$1/${p##*/} does not apply with git am"; }
		tree_prune "$sel" $own
		start=$SECONDS
		tree_build "$sel" "$btf" "$scratch/build.log"
		echo "patch: git am $1/${p##*/}: applies, test_progs builds ($((SECONDS - start)) s)"
	done
}
for b in $branches; do
	fresh_branch am-$b
	am_series $b
	g diff --quiet $b am-$b -- || die "git am did not reproduce the $b series"
done
if [ "$branches" = "bpf bpf-next" ]; then
	echo "patch: the bpf-next series on top of the bpf series"
	g checkout -q -f -B am-both am-bpf
	am_series bpf-next
fi
g checkout -q -f am-bpf-next
expect=$scratch/expect
rm -rf "$expect"
mkdir -p "$expect"
for ((i = 1; i <= count; i++)); do
	[ "$(cat "$work/$i.kind")" = Subject ] || continue
	up=$(cat "$work/$i.extends")
	for f in $(our_files) config; do
		[ "${owner[$f]:-}" = "$i" ] || continue
		if [ "$f" = config ]; then
			cmp -s <(merge_config) "$sel/config" || die "the tree's config is not ours merged"
		elif [ -n "$up" ]; then
			[ -f "$expect/$up" ] || { mkdir -p "$expect/$(dirname "$up")"
						  g show "base:$SELFTESTS/$up" > "$expect/$up"; }
			{ echo; fragment_body "$f"; } >> "$expect/$up"
		else
			cmp -s "$f" "$sel/$f" || die "$f in the tree differs from ours"
		fi
	done
done
for f in $(cd "$expect" && find . -type f | sed 's|^\./||'); do
	cmp -s "$expect/$f" "$sel/$f" || die "$SELFTESTS/$f in the tree is not upstream's with ours appended"
done
echo "patch: $([ $status = 0 ] && echo ok || echo FAILED): series ${branches// / and } on the" \
     "$series tree in $out (git branches of $repo)"
exit $status
