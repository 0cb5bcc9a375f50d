#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian cloud kernel into the cache and print its directory.
#
#   scripts/kernel.sh SERIES     e.g. 6.1 or 6.12: newest linux-image-SERIES.*-cloud-amd64-unsigned
#
# The directory holds vmlinuz, vmlinux (extracted: PVH entry, .BTF), the
# modules tree (lib/modules/...) and a file "release" with `uname -r`.
# Downloaded once with apt-get download; reused offline afterwards.
set -euo pipefail

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpumask-selftests}
KDIR=${KDIR:-$CACHE/linux}

die() { echo "kernel.sh: $*" >&2; exit 1; }

[ $# = 1 ] || die "usage: scripts/kernel.sh SERIES (e.g. 6.12)"
series=$1
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "bad kernel series '$series' (want e.g. 6.12)"

esc=${series//./\\.}
flavour=cloud-amd64-unsigned
pkg=$(apt-cache search --names-only "^linux-image-$esc\.[0-9].*-$flavour\$" 2>/dev/null |
	awk '{ print $1 }' | sort -V | tail -n1 || true)
if [ -z "$pkg" ]; then
	# Offline and no package lists: take the newest one already cached.
	pkg=$(cd "$CACHE/kernels" 2>/dev/null &&
		ls -d "linux-image-$series".*-$flavour 2>/dev/null | sort -V | tail -n1 ||
		true)
	[ -n "$pkg" ] || die "no Debian cloud kernel for $series in apt (run ./run.sh --setup)"
fi

dir=$CACHE/kernels/$pkg
if [ ! -f "$dir/.done" ]; then
	command -v dpkg >/dev/null || die "dpkg not found"
	[ -x "$KDIR/scripts/extract-vmlinux" ] ||
		die "$KDIR/scripts/extract-vmlinux missing: run ./run.sh --setup"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	(cd "$dir.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
		die "apt-get download $pkg failed"
	dpkg -x "$dir.tmp"/*.deb "$dir.tmp/root"
	vmlinuz=$(ls "$dir.tmp"/root/boot/vmlinuz-* | head -n1)
	release=${vmlinuz##*/vmlinuz-}
	mkdir -p "$dir"
	mv "$vmlinuz" "$dir/vmlinuz"
	mv "$dir.tmp/root/lib" "$dir/lib"
	[ -f "$dir.tmp/root/boot/config-$release" ] &&
		mv "$dir.tmp/root/boot/config-$release" "$dir/config"
	echo "$release" > "$dir/release"
	"$KDIR/scripts/extract-vmlinux" "$dir/vmlinuz" > "$dir/vmlinux" ||
		die "cannot extract vmlinux from $pkg"
	rm -rf "$dir.tmp"
	touch "$dir/.done"
fi
echo "$dir"
