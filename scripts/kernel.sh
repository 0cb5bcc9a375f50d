#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian cloud kernel into the cache and print its directory.
#
#   scripts/kernel.sh SERIES     e.g. 6.1, 6.12, 7.3: Debian's newest cloud kernel of it
#   scripts/kernel.sh RELEASE    e.g. 6.18.5, 6.1.170: that point release (its newest
#                                Debian build), or a Debian release (uname -r) such as
#                                6.12.90+deb12.1-cloud-amd64
#   scripts/kernel.sh --list     every series Debian carries, oldest first
#   scripts/kernel.sh --points   every point release Debian carries of each series
#                                from STABLE_SERIES (lib.sh) on, oldest first
#
# Any suite: bookworm (6.1), bookworm-backports/-security (6.12), trixie,
# trixie-backports, sid, experimental (6.16 ... newest), reached through
# the private apt configuration of scripts/lib.sh. "Carries" means listed
# in those suites' package indices today: a point release the archive
# dropped is gone. A point release is the upstream version of the package
# (6.1.0-57-cloud-amd64 is 6.1.192), not its name. However the series is
# packaged (linux-image-*-unsigned with /boot/vmlinuz; linux-image plus
# linux-binary with /boot or /usr/lib/modules/RELEASE/vmlinuz; config in
# linux-image or linux-base) the directory ends up holding vmlinuz, vmlinux
# (extracted: PVH entry, .BTF), config, "release" (uname -r) and
# "version" (the package's). Downloaded once with apt-get download; reused
# offline afterwards.
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
KDIR=${KDIR:-$STABLE_TREE}

# Versioned cloud kernel image packages: not -dbg, not metapackages
# (linux-image-6.12-cloud-amd64), not release candidates.
IMAGE_RE='^linux-image-[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9.]+)?-cloud-amd64(-unsigned)?$'
INDEX=$APT_DIR/cloud-kernels

# index: "POINT_RELEASE DEBIAN_VERSION PACKAGE" for every image package the
# indices list, oldest first. Derived from the package lists once after
# each update (apt-cache takes seconds a call), or, offline, from the
# kernels already in the cache. The first line of INDEX names the lists it
# came from (apt dates a list by the archive's clock, so not by mtime).
index() {
	local lists=$APT_DIR/lists key

	if compgen -G "$lists/*_Packages*" >/dev/null; then
		key="# $(stat -c '%n %s %Y' "$lists"/*_Packages* | md5sum | cut -d' ' -f1)"
		if [ "$(head -n1 "$INDEX" 2>/dev/null)" != "$key" ]; then
			{
				echo "$key"
				apt-cache "${APT_OPTS[@]}" search --names-only \
					'^linux-image-[0-9].*-cloud-amd64' |
					awk '{ print $1 }' | grep -E "$IMAGE_RE" |
					xargs -r apt-cache "${APT_OPTS[@]}" madison |
					awk -F'|' '{ gsub(/ /, ""); v = $2; sub(/-[^-]*$/, "", v)
						     print v, $2, $1 }' |
					grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | sort -u
			} > "$INDEX.$$" ||
				{ rm -f "$INDEX.$$"; die "cannot read the package lists in $lists"; }
			mv "$INDEX.$$" "$INDEX"
		fi
		tail -n +2 "$INDEX" | sort -k1,1V -k2,2V -k3,3
	else
		local d v
		for d in "$CACHE"/kernels/linux-image-*/.done; do
			[ -f "$d" ] || continue
			d=${d%/.done}
			v=$(cat "$d/version" 2>/dev/null ||
			    sed -E 's/^linux-image-([0-9]+\.[0-9]+\.[0-9]+).*/\1/' <<< "${d##*/}")
			echo "${v%-*} $v ${d##*/}"
		done | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | sort -k1,1V -k2,2V -k3,3 || true
	fi
}

series_of() { sed -E 's/^([0-9]+\.[0-9]+)\..*/\1/'; }

# The newest package of each point release.
points() { index | awk '{ pkg[$1] = $3 } END { for (v in pkg) print v, pkg[v] }' | sort -V; }

all_series() { index | cut -d' ' -f1 | series_of | sort -uV; }

# carried WHAT: what exists, for an error message about WHAT.
carried() {
	local series

	series=$(series_of <<< "$1")
	if all_series | grep -qxF "$series"; then
		echo "point releases of $series: $(points |
			awk -v s="$series." 'index($1, s) == 1 { print $1 }' | paste -sd' ')"
	else
		echo "series: $(all_series | paste -sd' ')"
	fi
}

[ $# = 1 ] || die "usage: scripts/kernel.sh SERIES (6.12) | RELEASE (6.18.5) | --list | --points"
apt_private_update
[ -n "$(index | head -n1)" ] ||
	die "no package lists in $APT_DIR/lists and no kernel in $CACHE/kernels (offline?)"

case $1 in
--list)
	all_series
	exit 0
	;;
--points)
	points | cut -d' ' -f1 | awk -v from="$STABLE_SERIES" '
		{ split($1, v, "."); split(from, f, ".") }
		v[1] > f[1] || (v[1] == f[1] && v[2] >= f[2])'
	exit 0
	;;
esac

want=$1
if [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
	pkg=$(points | awk -v s="$want." 'index($1, s) == 1 { p = $2 } END { print p }')
	[ -n "$pkg" ] ||
		die "Debian carries no cloud kernel of series $want; $(carried "$want")"
elif [[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	pkg=$(points | awk -v r="$want" '$1 == r { print $2 }')
	[ -n "$pkg" ] || die "Debian carries no cloud kernel $want; $(carried "$want")"
elif [[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+[-+][0-9a-z.+-]*-cloud-amd64$ ]]; then
	# A Debian release (uname -r): its package, signed or not.
	pkg=$(index | awk -v a="linux-image-$want" -v b="linux-image-$want-unsigned" \
		'$3 == a || $3 == b { p = $3 } END { print p }')
	[ -n "$pkg" ] || die "Debian carries no cloud kernel $want; $(carried "$want")"
else
	die "bad kernel '$want' (want a series like 6.12 or a release like 6.18.5);" \
	    "$(carried 0.0)"
fi

dir=$CACHE/kernels/$pkg
mkdir -p "$CACHE/kernels"
# Lanes started side by side may want the same kernel: fetch it once.
exec 9> "$dir.lock"
flock 9
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
	version=$(dpkg-deb -f "$dir.tmp/${pkg}_"*.deb Version)
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
	echo "$version" > "$dir/version"
	"$KDIR/scripts/extract-vmlinux" "$dir/vmlinuz" > "$dir/vmlinux" ||
		die "cannot extract vmlinux from $pkg"
	rm -rf "$dir.tmp"
	touch "$dir/.done"
fi
echo "$dir"
