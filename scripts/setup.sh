#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the toolchain from Debian packages and unpack the kernel tree once.
# Idempotent: a second run only checks.
set -euo pipefail

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpumask-selftests}
PKGS="clang-16 llvm-16 lld-16 libelf-dev zlib1g-dev make gcc pkg-config kmod cpio xz-utils
	qemu-system-x86 busybox-static python3 git"
BPO_PKGS="bpftool linux-source-6.12"

die() { echo "setup: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get install, BPF)"
[ -r /etc/os-release ] && . /etc/os-release
[ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] ||
	die "needs Debian 12 (bookworm), found ${PRETTY_NAME:-unknown}"

# Backports: reuse the archive URI this machine already uses, so no
# mirror name is ever written down here.
bpo=/etc/apt/sources.list.d/bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources \
		2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' \
			       /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian archive URI found in /etc/apt"
	cat > "$bpo" <<-EOF
	Types: deb
	URIs: $uri
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	echo "setup: added bookworm-backports ($bpo)"
fi

missing=""
for p in $PKGS $BPO_PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ] || ! bpftool version 2>/dev/null | grep -q 'v7\.[5-9]'; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends $PKGS >/dev/null ||
		die "apt-get install failed"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports bpftool >/dev/null ||
		die "apt-get install bpftool from bookworm-backports failed"
	apt-get install -y -qq --no-install-recommends linux-source-6.12 >/dev/null ||
		die "apt-get install linux-source-6.12 failed"
fi
command -v bpftool >/dev/null || die "bpftool missing after install"

# Unpack the newest linux-source-6.12 tarball once.
tarball=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | sort -V | tail -n1)
[ -n "$tarball" ] || die "linux-source-6.12 tarball not found in /usr/src"
mkdir -p "$CACHE"
base=$(basename "$tarball"); base=${base%.tar.*}
if [ ! -f "$CACHE/$base/.unpacked" ]; then
	echo "setup: unpacking $tarball into $CACHE"
	rm -rf "${CACHE:?}/$base"
	tar -C "$CACHE" -xf "$tarball"
	touch "$CACHE/$base/.unpacked"
fi
ln -sfn "$base" "$CACHE/linux"
echo "setup: ok (clang-16, bpftool $(bpftool version | awk 'NR==1{print $2}'), tree $CACHE/linux)"
