#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Set-up for another architecture's guests: its cross compiler and qemu
# (installed once), and a sysroot of the target's static libraries and busybox
# in the cache, whose path it prints (docs/lanes.md, "Other architectures").
#
#   scripts/setup-arch.sh arm64|s390x
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
LANE=setup-arch

[ $# = 1 ] || die "usage: scripts/setup-arch.sh arm64|s390x"
arch=$1
case $arch in
arm64)	triple=aarch64-linux-gnu qemu=qemu-system-arm ;;
s390x)	triple=s390x-linux-gnu qemu=qemu-system-misc ;;
*)	die "unknown architecture '$arch' (arm64 or s390x)" ;;
esac

# the target's libc headers are only a recommendation of the cross gcc
missing=$(missing_pkgs "gcc-$triple" "libc6-dev-$arch-cross" "$qemu")
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root to install$missing"
	echo "setup-arch: installing$missing" >&2
	# shellcheck disable=SC2086 # a list of packages
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $missing >/dev/null || die "apt-get install$missing failed"
fi

sysroot=$CACHE/sysroot/$arch
if [ ! -f "$sysroot/.done" ]; then
	export APT_ARCH=$arch
	apt_private_update
	rm -rf "$sysroot" "$sysroot.tmp"
	mkdir -p "$sysroot.tmp/debs"
	# bookworm's: linked against the cross compiler's glibc (bookworm's)
	(cd "$sysroot.tmp/debs" && apt-get "${APT_OPTS[@]}" download -q \
		libelf-dev/bookworm libelf1/bookworm zlib1g-dev/bookworm zlib1g/bookworm \
		busybox-static/bookworm >/dev/null) || die "apt-get download for $arch failed"
	for deb in "$sysroot.tmp"/debs/*.deb; do
		dpkg -x "$deb" "$sysroot.tmp"
	done
	rm -rf "$sysroot.tmp/debs"
	if [ ! -f "$sysroot.tmp/usr/lib/$triple/libelf.a" ] || [ ! -x "$sysroot.tmp/bin/busybox" ]; then
		die "no libelf.a or busybox in the $arch packages"
	fi
	mv "$sysroot.tmp" "$sysroot"
	touch "$sysroot/.done"
fi
echo "$sysroot"
