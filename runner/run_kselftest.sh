#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs the installed bpf_cpumask_create() selftests the kselftest way: KTAP
# on stdout, exit 0, 1 (a test failed) or 4 (every test skipped). Needs a
# POSIX shell and the files beside it only (docs/lanes.md, "kselftest lane").
#
#   ./run_kselftest.sh [-l] [-h] [TEST_PROGS_ARGS...]
BASE_DIR=$(cd "$(dirname "$0")" && pwd -P) || exit 1
cd "$BASE_DIR" || exit 1
LIST=kselftest-list.txt

die() { echo "run_kselftest.sh: $*" >&2; exit 1; }

[ -r "$LIST" ] || die "no $LIST in $BASE_DIR"
prog=
while IFS=: read -r _ name; do
	[ -z "$prog" ] || die "$LIST names more than one program"
	prog=$name
done < "$LIST"
[ -x "./$prog" ] || die "$LIST names '$prog', which is not an executable here"

case "${1:-}" in
-l|--list)
	cat "$LIST"
	exit 0
	;;
-h|--help)
	echo "Usage: $0 [-l] [TEST_PROGS_ARGS...]  (./$prog -h lists them)"
	exit 0
	;;
esac
if [ -r known-failures ]; then
	exec "./$prog" --ktap --known-failures known-failures "$@"
fi
exec "./$prog" --ktap "$@"
