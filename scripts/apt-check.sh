#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The private apt configuration (lib.sh) fetches only what verifies; an empty
# or foreign keyring is refused (docs/lanes.md, "Kernels, and how they are verified").
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
LANE=apt-check

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# The real configuration: refresh now, whatever the day's stamp says.
apt_private
grep -q 'trusted=yes' "$APT_DIR/sources.list" && die "$APT_DIR/sources.list trusts unsigned suites"
rm -f "$APT_DIR/lists/.updated"
apt_private_update
[ -f "$APT_DIR/lists/.updated" ] || die "apt-get update did not complete with $APT_KEYRING"
(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -q debian-archive-keyring >/dev/null) ||
	die "apt-get download through the verified sources failed"
echo "apt-check: verified update and download: ok ($(cd "$tmp" && ls -- *.deb))"

# Refused: a throwaway cache whose sources are signed-by an empty keyring,
# then by real keys that do not sign the archive today: Debian's removed
# keys (debian-archive-keyring ships them beside the valid ones).
: > "$tmp/empty.gpg"
wrong=${APT_KEYRING%/*}/debian-archive-removed-keys.gpg
[ -s "$wrong" ] || wrong=
for keyring in "$tmp/empty.gpg" ${wrong:+"$wrong"}; do
	if out=$(CACHE=$tmp/cache APT_KEYRING=$keyring LANE=apt-check bash -c \
		 '. "$1"; apt_private_update; echo "apt-check: not refused"' _ \
		 "$(dirname "$(readlink -f "$0")")/lib.sh" 2>&1); then
		echo "apt-check: sources signed-by $keyring were not refused:"
		echo "$out" | tail -n 5
		failed=1
	elif ! grep -q 'failed verification' <<< "$out"; then
		echo "apt-check: sources signed-by $keyring failed without saying why:"
		echo "$out" | tail -n 5
		failed=1
	elif ls "$tmp"/cache/apt/lists/*_Packages* >/dev/null 2>&1; then
		echo "apt-check: lists from sources signed-by $keyring were kept"
		failed=1
	else
		echo "apt-check: sources signed-by ${keyring##*/}: refused: ok ($(tail -n 1 <<< "$out"))"
	fi
	rm -rf "$tmp/cache"
done
exit $failed
