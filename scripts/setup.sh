#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the toolchain from Debian packages and unpack the kernel trees
# once: the stable one (linux-source-6.12) and the current one (the newest
# linux-source, downloaded through lib.sh's private apt configuration).
# Idempotent: a second run only checks.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
LANE=setup

# clang-16 builds our programs and the 6.12 tree's selftests; the current
# tree's (libarena: bpf_addr_space_cast, arena atomics) need clang-22
# (bookworm-security). gnuplot-nox draws the benchmarks; flex ... libssl-dev
# build a kernel of the tree's own (and the tree's sign-file); libzstd-dev
# links the current tree's test_progs; jq reads bpftool's JSON (kill lane, runner check).
# rsync: the selftests Makefile copies each test_progs flavor's extra files with it.
PKGS="clang-16 llvm-16 lld-16 clang-19 clang-22 llvm-22 lld-22
	libelf-dev zlib1g-dev libzstd-dev libssl-dev make gcc pkg-config kmod cpio xz-utils
	qemu-system-x86 busybox-static python3 git gnuplot-nox flex bison bc dwarves jq rsync"
BPO_PKGS="bpftool linux-source-$STABLE_SERIES"

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

# shellcheck disable=SC2086 # lists of packages
missing=$(missing_pkgs $PKGS $BPO_PKGS)
if [ -n "$missing" ] || ! bpftool version 2>/dev/null | grep -q 'v7\.[5-9]'; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends $PKGS >/dev/null ||
		die "apt-get install failed"
	apt-get install -y -qq --no-install-recommends -t bookworm-backports bpftool >/dev/null ||
		die "apt-get install bpftool from bookworm-backports failed"
	apt-get install -y -qq --no-install-recommends "linux-source-$STABLE_SERIES" >/dev/null ||
		die "apt-get install linux-source-$STABLE_SERIES failed"
fi
command -v bpftool >/dev/null || die "bpftool missing after install"
mkdir -p "$CACHE"

# unpack TARBALL LINK: unpack a linux-source tarball into the cache once
# (a .unpacked marker says it finished) and point LINK at it.
unpack() {
	local tarball=$1 link=$2 base
	base=$(basename "$tarball"); base=${base%.tar.*}
	if [ ! -f "$CACHE/$base/.unpacked" ]; then
		echo "setup: unpacking $tarball into $CACHE"
		rm -rf "${CACHE:?}/$base"
		tar -C "$CACHE" -xf "$tarball"
		touch "$CACHE/$base/.unpacked"
	fi
	ln -sfn "$base" "$link"
}

# The stable tree: the newest linux-source-6.12 tarball installed.
tarball=$(ls /usr/src/linux-source-"$STABLE_SERIES"*.tar.* 2>/dev/null | sort -V | tail -n1)
[ -n "$tarball" ] || die "linux-source-$STABLE_SERIES tarball not found in /usr/src"
unpack "$tarball" "$STABLE_TREE"

# The current tree: downloaded (never installed) through the private apt
# configuration; the .deb is kept in the cache, so this works offline later.
if [ ! -f "$CURRENT_TREE/.unpacked" ]; then
	src=$CACHE/src
	mkdir -p "$src"
	deb=$(ls "$src"/linux-source-"$CURRENT_SERIES"_*.deb 2>/dev/null |
	      sort -V | tail -n1 || true)
	if [ -z "$deb" ]; then
		apt_private_update
		(cd "$src" && apt-get "${APT_OPTS[@]}" download -q \
			"linux-source-$CURRENT_SERIES" >/dev/null) ||
			die "apt-get download linux-source-$CURRENT_SERIES failed"
		deb=$(ls "$src"/linux-source-"$CURRENT_SERIES"_*.deb | sort -V | tail -n1)
	fi
	rm -rf "$src/root"
	dpkg -x "$deb" "$src/root"
	tarball=$(ls "$src"/root/usr/src/linux-source-"$CURRENT_SERIES"*.tar.* | tail -n1)
	unpack "$tarball" "$CURRENT_TREE"
	rm -rf "$src/root"
fi
echo "setup: ok (clang-16, clang-22, bpftool $(bpftool version | awk 'NR==1{print $2}')," \
     "trees $STABLE_TREE and $CURRENT_TREE)"
