#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build a kernel tree's own kernel out of tree, boot it under qemu and run
# test_progs in it (./run.sh --kernel; docs/lanes.md, "Own-kernel lane").
#
#   scripts/own-kernel.sh [KDIR] [-- TEST_PROGS_ARGS...]
#   scripts/own-kernel.sh --build [KDIR]      build only, print the bzImage
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
KBUILD_JOBS=${KBUILD_JOBS:-2}
# Every link alike: with a build timestamp set, the tree's Makefile.btf runs
# pahole (before 1.27) without -j, whose BTF varies from link to link (a
# second, plain FUNC bpf_lsm_mmap_file beside the one with file__nullable,
# first or not): a mutant's relinked kernel must differ from the unchanged
# one in the mutant alone.
export KBUILD_BUILD_TIMESTAMP="${KBUILD_BUILD_TIMESTAMP:-2000-01-01 00:00:00 UTC}"
# and the same build number (else each link bumps .version, "#N")
export KBUILD_BUILD_VERSION="${KBUILD_BUILD_VERSION:-1}"
FRAGMENTS=("$repo/config" "$repo/scripts/kernel-guest.config")
# KBUILD_CONFIG="FRAGMENT...": another kernel, in a directory of its own:
# these fragments alone, merged onto an empty config as upstream's
# vmtest.sh does, in place of tinyconfig and ours.
base=tinyconfig
if [ -n "${KBUILD_CONFIG:-}" ]; then
	read -r -a FRAGMENTS <<< "$KBUILD_CONFIG"
	base=
	[ ${#FRAGMENTS[@]} -gt 0 ] || die "KBUILD_CONFIG='$KBUILD_CONFIG': no fragment"
fi
for i in "${!FRAGMENTS[@]}"; do
	[ -f "${FRAGMENTS[i]}" ] || die "no config fragment ${FRAGMENTS[i]}"
	# resolved: the build directory is named by them, however spelt
	FRAGMENTS[i]=$(readlink -f "${FRAGMENTS[i]}")
done

build_only=0
if [ "${1:-}" = --build ]; then
	build_only=1
	shift
fi
kdir=$STABLE_TREE
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	kdir=$1
	shift
fi
[ $# -eq 0 ] || [ "$1" = "--" ] || die "unexpected argument '$1' (test_progs arguments go after --)"
[ "${1:-}" = "--" ] && shift

if [ ! -f "$kdir/Makefile" ] || [ ! -f "$kdir/kernel/bpf/cpumask.c" ]; then
	die "$kdir: not a kernel tree with kernel/bpf/cpumask.c (run ./run.sh --setup?)"
fi
kdir=$(readlink -f "$kdir")
# Kbuild refuses O= for a tree that was configured or built in place.
if [ -e "$kdir/.config" ] || [ -d "$kdir/include/config" ]; then
	die "$kdir has been configured in place (.config, include/config): out-of-tree builds need a pristine tree ('make mrproper' in a copy of it)"
fi

# Tools the kernel build needs beyond gcc and make.
missing=()
for tool in gcc make flex bison bc pahole perl openssl; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
[ -f /usr/include/gelf.h ] || missing+=(libelf-dev)
[ ${#missing[@]} -eq 0 ] ||
	die "missing build tools: ${missing[*]} (apt-get install flex bison bc dwarves libssl-dev libelf-dev, or ./run.sh --setup)"

name=$(basename "$kdir")-$(echo "$kdir" | sha1sum | cut -c1-8)
[ -n "$base" ] || name=$name-$(echo "${FRAGMENTS[*]}" | sha1sum | cut -c1-8)
own=$CACHE/kbuild/$name
out=${KBUILD_DIR:-$own}
if [ "$out" != "$own" ] && [ -f "$own/.config-stamp" ] &&
   ! cmp -s "$own/.config-stamp" "$out/.config-stamp" 2>/dev/null; then
	rm -rf "$out" "$out.tmp"
	mkdir -p "$(dirname "$out")"
	flock "$own/.lock" cp -a "$own" "$out.tmp" || die "cannot copy $own to $out"
	mv "$out.tmp" "$out"
fi
mkdir -p "$out"
# Two makes in one O= directory corrupt it: one build at a time, the
# second waiting for the first.
exec 9>"$out/.lock"
if ! flock -n 9; then
	echo "kernel: waiting for another build in $out" >&2
	flock 9
fi
log=$out/build.log
kmake() {
	if [ -z "${KBUILD_OVERLAY:-}" ]; then
		make -C "$kdir" O="$out" -j"$KBUILD_JOBS" "$@"
		return
	fi
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec make "$@"' \
		sh "${KBUILD_OVERLAY#*:}" "$kdir/${KBUILD_OVERLAY%%:*}" \
		-C "$kdir" O="$out" -j"$KBUILD_JOBS" "$@"
}
if [ -n "${KBUILD_OVERLAY:-}" ]; then
	if [ ! -f "$kdir/${KBUILD_OVERLAY%%:*}" ] || [ ! -f "${KBUILD_OVERLAY#*:}" ]; then
		die "KBUILD_OVERLAY=$KBUILD_OVERLAY: want PATH:FILE, PATH in $kdir, FILE a file"
	fi
	command -v unshare >/dev/null || die "unshare not found (util-linux)"
fi

# NAME VALUE for every line of the fragments; VALUE n for "is not set".
wanted() {
	sed -n -E 's/^(CONFIG_[A-Za-z0-9_]+)=(.*)/\1 \2/p;
		   s/^# (CONFIG_[A-Za-z0-9_]+) is not set/\1 n/p' "${FRAGMENTS[@]}"
}

configure() {
	local name want have lost=() symbols

	if [ -n "$base" ]; then
		kmake "$base" >>"$log" 2>&1 || die "make $base failed, see $log"
	else
		: > "$out/.config"
	fi
	# merge_config.sh makes its temporary files in the current directory.
	(cd "$out" && "$kdir/scripts/kconfig/merge_config.sh" -m -O "$out" \
		"$out/.config" "${FRAGMENTS[@]}") >>"$log" 2>&1 ||
		die "merge_config.sh failed, see $log"
	kmake olddefconfig >>"$log" 2>&1 || die "make olddefconfig failed, see $log"
	# An option no Kconfig file of this tree defines was renamed or
	# dropped (PROC_SYSCTL became SYSCTL in 7.x): the fragment lists both.
	symbols=$(find "$kdir" -name 'Kconfig*' -type f -print0 |
		  xargs -0 sed -n -E 's/^[[:space:]]*(menu)?config[[:space:]]+(\w+).*/CONFIG_\2/p')
	while read -r name want; do
		grep -qxF "$name" <<< "$symbols" || continue
		have=$(sed -n -E "s/^$name=(.*)/\1/p" "$out/.config")
		[ -n "$have" ] || ! grep -q "^# $name is not set" "$out/.config" || have=n
		[ -n "$have" ] || have=n
		[ "$have" = "$want" ] || lost+=("$name=$want (got $have)")
	done < <(wanted)
	[ ${#lost[@]} -eq 0 ] || [ -z "$base" ] ||
		die "options lost by olddefconfig in $kdir: ${lost[*]}"
	# Upstream's fragments are upstream's: what they lose, they lose in BPF CI too.
	[ ${#lost[@]} -eq 0 ] || echo "kernel: options lost by olddefconfig: ${lost[*]}" | tee -a "$log" >&2
}

# Reconfigure when a fragment or any Kconfig file of the tree changed.
stamp=$( { cat "${FRAGMENTS[@]}"; find "$kdir" -name 'Kconfig*' -newer "$kdir/Makefile" \
	   -printf '%p %T@\n' | sort; } | sha1sum | cut -c1-40)
: > "$log"
start=$EPOCHREALTIME
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.config-stamp" 2>/dev/null)" != "$stamp" ]; then
	rm -f "$out/.config-stamp"
	configure
	echo "$stamp" > "$out/.config-stamp"
fi
# make goes by mtime, and an overlay file may be older than the object
# built from the tree's own file: build that object anew.
if [ -n "${KBUILD_OVERLAY:-}" ]; then
	obj=${KBUILD_OVERLAY%%:*}
	rm -f "$out/${obj%.c}.o"
fi
echo "kernel: building $kdir in $out (-j$KBUILD_JOBS, log $log)" >&2
kmake bzImage >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "build of $kdir failed, see $log"; }
image=$out/arch/x86/boot/bzImage
awk -v a="$start" -v b="$EPOCHREALTIME" -v i="$image" \
	'BEGIN { printf "kernel: %s built in %.0f s\n", i, b - a }' >&2

# External modules need the kernel's Module.symvers (make modules), and a
# directory of their own to build in: a copy of the tree's test_kmods.
if [ "${KBUILD_TESTMOD:-}" = 1 ]; then
	kmods=$kdir/tools/testing/selftests/bpf/test_kmods
	[ -f "$kmods/bpf_testmod.c" ] || die "$kdir has no $kmods/bpf_testmod.c"
	kmake modules >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "make modules failed, see $log"; }
	rm -rf "$out/test_kmods"
	cp -r "$kmods" "$out/test_kmods"
	kmake M="$out/test_kmods" obj-m=bpf_testmod.o modules >>"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "building bpf_testmod.ko failed, see $log"; }
	release=$(cat "$out/include/config/kernel.release")
	export VM_FILES="${VM_FILES:+$VM_FILES }$out/test_kmods/bpf_testmod.ko $out/.config:/boot/config-$release"
	echo "kernel: built $out/test_kmods/bpf_testmod.ko" >&2
fi

if [ $build_only = 1 ]; then
	echo "$image"
	exit 0
fi
exec "$repo/scripts/vm.sh" "$image" -- "$@"
