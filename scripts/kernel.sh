#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian cloud kernel into the cache and print its directory
# (docs/lanes.md: "Kernels, and how they are verified", "Other architectures").
#
#   scripts/kernel.sh [--arch ARCH] SERIES|RELEASE|--list|--points
set -euo pipefail
. "$(dirname "$(readlink -f "$0")")/lib.sh"
KDIR=${KDIR:-$STABLE_TREE}
if [ "${1:-}" = --arch ]; then
	[ $# -ge 2 ] || die "--arch needs arm64 or s390x"
	VM_ARCH=$2
	shift 2
fi
VM_ARCH=${VM_ARCH:-$HOST_ARCH}
case $VM_ARCH in
amd64)	FLAVOUR=cloud-amd64 ;;
arm64)	FLAVOUR=cloud-arm64 ;;
s390x)	FLAVOUR=s390x ;;
*)	die "unknown architecture '$VM_ARCH' (amd64, arm64 or s390x)" ;;
esac
export APT_ARCH=$VM_ARCH

# Versioned cloud kernel image packages: not -dbg, not metapackages
# (linux-image-6.12-cloud-amd64), not release candidates.
IMAGE_RE='^linux-image-[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9.]+)?-'$FLAVOUR'(-unsigned)?$'
INDEX=$APT_DIR/cloud-kernels
[ "$VM_ARCH" = amd64 ] || INDEX=$APT_DIR/kernels-$VM_ARCH

# index: "POINT_RELEASE DEBIAN_VERSION PACKAGE" for every image package the
# indices list, oldest first. Derived from the package lists once after
# each update (apt-cache takes seconds a call), or, offline, from the
# kernels already in the cache. The first line of INDEX names the lists it
# came from (apt dates a list by the archive's clock, so not by mtime).
index() {
	local lists=$APT_LISTS key

	if compgen -G "$lists/*_Packages*" >/dev/null; then
		key="# $(stat -c '%n %s %Y' "$lists"/*_Packages* | md5sum | cut -d' ' -f1)"
		if [ "$(head -n1 "$INDEX" 2>/dev/null)" != "$key" ]; then
			{
				echo "$key"
				apt-cache "${APT_OPTS[@]}" search --names-only \
					"^linux-image-[0-9].*-$FLAVOUR" |
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
		for d in "$CACHE"/kernels/linux-image-*-"$FLAVOUR"{,-unsigned}/.done; do
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

[ $# = 1 ] ||
	die "usage: scripts/kernel.sh [--arch ARCH] SERIES (6.12) | RELEASE (6.18.5) | --list | --points"
apt_private_update
[ -n "$(index | head -n1)" ] ||
	die "no package lists in $APT_LISTS and no $VM_ARCH kernel in $CACHE/kernels (offline?)"

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
	# Every build of the series, newest first: the newest that downloads;
	# if none does, the newest of an older series that does.
	pkgs=$(index | awk -v s="$want." 'index($1, s) == 1 { print $3 }' | tac)
	[ -n "$pkgs" ] ||
		die "Debian carries no $FLAVOUR kernel of series $want; $(carried "$want")"
	older=$(index | awk -v w="$want" '{ split($1, v, "."); split(w, s, ".")
		if (v[1] < s[1] || (v[1] == s[1] && v[2] < s[2])) print $3 }' | tac)
elif [[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	pkgs=$(points | awk -v r="$want" '$1 == r { print $2 }')
	[ -n "$pkgs" ] || die "Debian carries no $FLAVOUR kernel $want; $(carried "$want")"
elif [[ $want =~ ^[0-9]+\.[0-9]+\.[0-9]+[-+][0-9a-z.+-]*-$FLAVOUR$ ]]; then
	# A Debian release (uname -r): its package, signed or not.
	pkgs=$(index | awk -v a="linux-image-$want" -v b="linux-image-$want-unsigned" \
		'$3 == a || $3 == b { p = $3 } END { print p }')
	[ -n "$pkgs" ] || die "Debian carries no $FLAVOUR kernel $want; $(carried "$want")"
else
	die "bad kernel '$want' (want a series like 6.12 or a release like 6.18.5);" \
	    "$(carried 0.0)"
fi

# fetch PKG: unpack PKG into the cache once; fails (saying why) only when
# it cannot be downloaded.
fetch() {
	local pkg=$1 dir=$CACHE/kernels/$1 ver extra deb version vmlinuz release config
	local debs=("$1")

	mkdir -p "$CACHE/kernels"
	# Lanes started side by side may want the same kernel: fetch it once.
	exec 9> "$dir.lock"
	flock 9
	[ ! -f "$dir/.done" ] || return 0
	# A package the mirror did not serve is asked for again a day later.
	[ -z "$(find "$dir.unavailable" -mmin -1440 2>/dev/null)" ] || return 1
	command -v dpkg >/dev/null || die "dpkg not found"
	[ "$VM_ARCH" != amd64 ] || [ -x "$KDIR/scripts/extract-vmlinux" ] ||
		die "$KDIR/scripts/extract-vmlinux missing: run ./run.sh --setup"
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	# From 6.19 linux-image-* is a metapackage: the image is in
	# linux-binary-*, the config in linux-base-*.
	ver=${pkg#linux-image-}; ver=${ver%-unsigned}
	for extra in "linux-binary-$ver" "linux-base-$ver"; do
		apt-cache "${APT_OPTS[@]}" pkgnames "$extra" 2>/dev/null | grep -qxF "$extra" &&
			debs+=("$extra")
	done
	if ! (cd "$dir.tmp" && apt-get "${APT_OPTS[@]}" download -q "${debs[@]}" 2>&1 >/dev/null |
	      grep -E '^E: ' >&2; [ "${PIPESTATUS[0]}" = 0 ]); then
		rm -rf "$dir.tmp"
		echo "kernel.sh: apt-get download ${debs[*]} failed" >&2
		touch "$dir.unavailable"
		return 1
	fi
	for deb in "$dir.tmp"/*.deb; do
		dpkg -x "$deb" "$dir.tmp/root"
	done
	version=$(dpkg-deb -f "$dir.tmp/${pkg}_"*.deb Version)
	vmlinuz=$(find "$dir.tmp/root" -type f \( -name 'vmlinuz-*' -o -name vmlinuz \) | head -n1)
	[ -n "$vmlinuz" ] || die "no vmlinuz in ${debs[*]}"
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
	if [ "$VM_ARCH" = amd64 ]; then
		"$KDIR/scripts/extract-vmlinux" "$dir/vmlinuz" > "$dir/vmlinux" ||
			die "cannot extract vmlinux from $pkg"
	else
		# qemu boots an arm64 Image (Debian's vmlinuz, or its
		# gunzipped contents) and an s390 image as they are.
		if [ "$(head -c2 "$dir/vmlinuz" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
			gzip -dc < "$dir/vmlinuz" > "$dir/image"
		else
			ln -s vmlinuz "$dir/image"
		fi
		python3 "$(dirname "$(readlink -f "$0")")/extract-btf.py" "$dir/image" \
			"$dir/btf" >/dev/null || { rm -rf "$dir" "$dir.tmp"; die "no BTF in $pkg"; }
	fi
	rm -rf "$dir.tmp" "$dir.unavailable"
	touch "$dir/.done"
}

for pkg in $pkgs ${older:-}; do
	if fetch "$pkg"; then
		[ "$pkg" = "${pkgs%%$'\n'*}" ] ||
			echo "kernel.sh: $want: using $pkg, the newest that downloads:" \
			     "Debian's index lists ${pkgs%%$'\n'*} but the mirror does not serve it" >&2
		echo "$CACHE/kernels/$pkg"
		exit 0
	fi
done
die "no $FLAVOUR kernel of '$want' downloads (tried: ${pkgs//$'\n'/ } ${older//$'\n'/ })"
