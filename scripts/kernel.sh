#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian cloud kernel into the cache and print its directory.
#
#   scripts/kernel.sh SERIES     e.g. 6.1, 6.12, 7.3: Debian's newest cloud kernel of it
#   scripts/kernel.sh --list     every series Debian carries, oldest first
#
# Any suite: bookworm (6.1), bookworm-backports/-security (6.12), trixie,
# trixie-backports, sid, experimental (6.16 ... newest), reached through
# the private apt configuration of scripts/lib.sh. However the series is
# packaged (linux-image-*-unsigned with /boot/vmlinuz; linux-image plus
# linux-binary with /boot or /usr/lib/modules/RELEASE/vmlinuz; config in
# linux-image or linux-base) the directory ends up holding vmlinuz, vmlinux
# (extracted: PVH entry, .BTF), config and "release" (uname -r).
# Downloaded once with apt-get download; reused offline afterwards.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
KDIR=${KDIR:-$STABLE_TREE}

# Versioned cloud kernel packages, not -dbg, not metapackages.
IMAGE_RE='^linux-image-[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)?-cloud-amd64(-unsigned)?$'

images() {
	apt-cache "${APT_OPTS[@]}" pkgnames linux-image- 2>/dev/null | grep -E "$IMAGE_RE" || true
}

[ $# = 1 ] || die "usage: scripts/kernel.sh SERIES (e.g. 6.12) | --list"
apt_private_update

if [ "$1" = --list ]; then
	images | sed -E 's/^linux-image-([0-9]+\.[0-9]+)\..*/\1/' | sort -uV
	exit 0
fi
series=$1
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "bad kernel series '$series' (want e.g. 6.12)"

pkg=$(images | grep -F "linux-image-$series." | sort -V | tail -n1)
if [ -z "$pkg" ]; then
	# Offline and no package lists: take the newest one already cached.
	pkg=$(cd "$CACHE/kernels" 2>/dev/null &&
		ls -d "linux-image-$series".* 2>/dev/null | sort -V | tail -n1 || true)
	[ -n "$pkg" ] || die "Debian carries no cloud kernel of series $series (see --list)"
fi

dir=$CACHE/kernels/$pkg
if [ ! -f "$dir/.done" ]; then
	command -v dpkg >/dev/null || die "dpkg not found"
	[ -x "$KDIR/scripts/extract-vmlinux" ] ||
		die "$KDIR/scripts/extract-vmlinux missing: run ./run.sh --setup"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	# From 6.19 linux-image-* is a metapackage: the image is in
	# linux-binary-*, the config in linux-base-*.
	ver=${pkg#linux-image-}; ver=${ver%-unsigned}
	pkgs=("$pkg")
	for extra in "linux-binary-$ver" "linux-base-$ver"; do
		apt-cache "${APT_OPTS[@]}" pkgnames "$extra" 2>/dev/null | grep -qxF "$extra" &&
			pkgs+=("$extra")
	done
	(cd "$dir.tmp" && apt-get "${APT_OPTS[@]}" download -q "${pkgs[@]}" >/dev/null) ||
		die "apt-get download ${pkgs[*]} failed"
	for deb in "$dir.tmp"/*.deb; do
		dpkg -x "$deb" "$dir.tmp/root"
	done
	vmlinuz=$(find "$dir.tmp/root" -type f \( -name 'vmlinuz-*' -o -name vmlinuz \) | head -n1)
	[ -n "$vmlinuz" ] || die "no vmlinuz in ${pkgs[*]}"
	case $vmlinuz in
	*/vmlinuz-*) release=${vmlinuz##*/vmlinuz-} ;;
	*/modules/*/vmlinuz) release=${vmlinuz%/vmlinuz}; release=${release##*/} ;;
	esac
	mkdir -p "$dir"
	mv "$vmlinuz" "$dir/vmlinuz"
	config=$(find "$dir.tmp/root" -type f \
		\( -name "config-$release" -o -path "*/$release/config" \) | head -n1)
	[ -z "$config" ] || mv "$config" "$dir/config"
	echo "$release" > "$dir/release"
	"$KDIR/scripts/extract-vmlinux" "$dir/vmlinuz" > "$dir/vmlinux" ||
		die "cannot extract vmlinux from $pkg"
	rm -rf "$dir.tmp"
	touch "$dir/.done"
fi
echo "$dir"
