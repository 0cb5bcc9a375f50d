#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build upstream's test_progs and the flavors given (no_alu32, cpuv4) from
# the stable tree with our tests, fronted by runner/test_progs.sh (docs/runner.md).
#
# Arguments: the flavors besides test_progs. Environment: OUTPUT, KDIR,
# VMLINUX_BTF, SAN_CFLAGS, ARCH.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
LANE=build
. scripts/tree.sh
OUTPUT=${OUTPUT:-$PWD/build}
kdir=${KDIR:-$STABLE_TREE}
tree_check "$kdir"
series=$(tree_series "$kdir")
btf=${VMLINUX_BTF:-$(scripts/kernel.sh "$series")/vmlinux}
export SAN_CFLAGS=${SAN_CFLAGS:-}
# -static for the runners alone (not libbpf.so ...): a makefile that make
# reads first (MAKEFILES), naming them; in LDLIBS, as make exports an
# environment variable (LDFLAGS) with its value for the target
static=-static
if [ -n "$SAN_CFLAGS" ]; then
	static=
	# The host tools link the sanitized libbpf.a too. UBSan stops
	# bpftool's skeleton generation at a signed overflow in libbpf's
	# btf.c: the skeletons come from Debian's bpftool (7.5, the tree's
	# own version), uninstrumented.
	export LDFLAGS=$SAN_CFLAGS KBUILD_HOSTLDFLAGS=$SAN_CFLAGS
	export BPFTOOL=${BPFTOOL:-$(command -v bpftool)}
fi

# ARCH=arm64|s390x: cross-built by Debian's cross compiler, statically
# against the target's libelf and zlib from scripts/setup-arch.sh's sysroot
case ${ARCH:-} in
""|x86|x86_64|amd64) unset ARCH ;;
arm64|s390x|s390)
	[ "$ARCH" != s390x ] || ARCH=s390
	triple=$([ "$ARCH" = arm64 ] && echo aarch64 || echo s390x)-linux-gnu
	sysroot=${SYSROOT:-$CACHE/sysroot/${ARCH/%s390/s390x}}
	[ -f "$sysroot/usr/lib/$triple/libelf.a" ] ||
		tree_die "no $sysroot/usr/lib/$triple/libelf.a: run scripts/setup-arch.sh"
	[ -n "$static" ] || tree_die "SANITIZE=1: not for ARCH=$ARCH"
	export ARCH CROSS_COMPILE=$triple- CFLAGS="-I$sysroot/usr/include" \
		LDFLAGS="-L$sysroot/usr/lib/$triple"
	# The other byte order: the stable tree's bpftool (libbpf 1.5)
	# refuses a big-endian object ("Endian mismatch"); the current
	# tree's (libbpf 1.6) generates its skeleton, built for this host.
	if [ "$ARCH" = s390 ] && [ -z "${BPFTOOL:-}" ]; then
		[ -d "$CURRENT_TREE/tools/bpf/bpftool" ] ||
			tree_die "no $CURRENT_TREE/tools/bpf/bpftool: run ./run.sh --setup"
		mkdir -p "$OUTPUT/bpftool"
		env -u ARCH -u CROSS_COMPILE -u CFLAGS -u LDFLAGS \
			make -s -C "$CURRENT_TREE/tools/bpf/bpftool" \
			OUTPUT="$OUTPUT/bpftool/" bootstrap > "$OUTPUT/bpftool.log" 2>&1 ||
			tree_die "building the bootstrap bpftool failed (log: $OUTPUT/bpftool.log)"
		export BPFTOOL=$OUTPUT/bpftool/bootstrap/bpftool
	fi
	;;
*) tree_die "ARCH=$ARCH: arm64 or s390x" ;;
esac

# A kernel without the kfuncs (no BPF JIT: Debian's s390x) has no struct
# bpf_cpumask in its BTF: the header takes this host's, so that our
# programs build (and skip there); upstream's need the target's types.
if [ -n "${ARCH:-}" ] &&
   ! bpftool btf dump file "$btf" | grep "^\[[0-9]*\] STRUCT 'bpf_cpumask' " > /dev/null; then
	mkdir -p "$OUTPUT"
	add=$(bpftool btf dump file /sys/kernel/btf/vmlinux format c |
	      awk '/^struct bpf_cpumask \{/,/^\};/')
	[ -n "$add" ] || tree_die "neither $btf nor this host's BTF has struct bpf_cpumask"
	bpftool btf dump file "$btf" format c | awk -v add="$add" '
		/^#ifndef BPF_NO_PRESERVE_ACCESS_INDEX$/ { n++ }
		n == 2 && !done { print add; print ""; done = 1 }
		{ print }' > "$OUTPUT/vmlinux.h.tmp"
	# the same header again rebuilds nothing
	if cmp -s "$OUTPUT/vmlinux.h.tmp" "$OUTPUT/vmlinux.h"; then
		rm -f "$OUTPUT/vmlinux.h.tmp"
	else
		mv "$OUTPUT/vmlinux.h.tmp" "$OUTPUT/vmlinux.h"
	fi
	export VMLINUX_H=$OUTPUT/vmlinux.h
fi

# helpers VAR=VALUE FILE...: FILEs of sel, made with VAR=VALUE
helpers() {
	local v=$1
	shift
	# shellcheck disable=SC2046 # a list of files
	LDFLAGS='' tree_make "$sel" -s VMLINUX_BTF="$btf" "$v" $(printf "$sel/%s " "$@") \
		> "$OUTPUT/helpers.log" 2>&1 ||
		tree_die "building $* in $sel failed (log: $OUTPUT/helpers.log)"
}

# build TREE RUNNER...: the runners, in OUTPUT/TREE
build() {
	local tree=$OUTPUT/$1 sel r bin
	shift
	sel=$tree/$SELFTESTS
	tree_copy "$kdir" "$tree"
	# libbpf includes the target's uapi headers from arch/
	if [ -n "${ARCH:-}" ] && [ ! -d "$tree/arch/$ARCH/include/uapi" ]; then
		mkdir -p "$tree/arch/$ARCH/include"
		cp -a "$kdir/arch/$ARCH/include/uapi" "$tree/arch/$ARCH/include/"
	fi
	tree_prune "$sel"
	# only our tests: upstream's cpumask test too goes
	for f in "$sel"/prog_tests/cpumask*.c "$sel"/progs/cpumask*.c; do
		case ${f##*/} in cpumask_create*) ;; *) rm -f "$f" ;; esac
	done
	tree_sync "$sel"
	# make does not relink for other flags
	if [ "$(cat "$sel/.ldflags" 2>/dev/null)" != "$static" ]; then
		rm -f "$sel"/test_progs "$sel"/test_progs-*
		echo "$static" > "$sel/.ldflags"
	fi
	echo "$(printf "$sel/%s " "$@"): private LDLIBS += $static" > "$tree.mk"
	# a newer kernel's vmlinux.h (7.x: anonymous members of a tagged
	# struct type): each program's own flags, upstream's progs/X.c-CFLAGS
	for f in "$sel"/progs/*.c; do
		printf 'progs/%s-CFLAGS += %s\n' "${f##*/}" \
			"-fms-extensions -Wno-microsoft-anon-tag -DBPF_NO_KFUNC_PROTOTYPES"
	done >> "$tree.mk"
	# Helpers of upstream's tests, which ours never run, built without
	# what they cannot have: clang-16 has no sanitizer runtime to link
	# liburandom_read.so, the sysroot no openssl for sign-file.
	[ -z "$SAN_CFLAGS" ] || helpers SAN_CFLAGS= liburandom_read.so urandom_read
	[ -z "${ARCH:-}" ] || helpers CC=gcc sign-file
	MAKEFILES=$tree.mk tree_build "$sel" "$btf" "$tree.log" "$@"
	for r; do
		bin=runner/${r/-/.}
		cp "$sel/$r" "$OUTPUT/$bin.tmp" && mv "$OUTPUT/$bin.tmp" "$OUTPUT/$bin"
		sed -e "s|@BIN@|$bin|" -e '/^@KNOWN_FAILURES@$/{r known-failures' -e 'd}' \
			runner/test_progs.sh > "$OUTPUT/$r.tmp"
		chmod 755 "$OUTPUT/$r.tmp"
		mv "$OUTPUT/$r.tmp" "$OUTPUT/$r"
	done
}

runners=test_progs
cpuv4=
for f in "$@"; do
	if [ "$f" = cpuv4 ]; then cpuv4=1; else runners+=" test_progs-$f"; fi
done
mkdir -p "$OUTPUT/runner"
exec 9> "$OUTPUT/.tree.lock"
flock 9
# shellcheck disable=SC2086 # a list of runners
build tree $runners
if [ -n "$cpuv4" ]; then
	tree_clang() { echo 22; }
	build tree-cpuv4 test_progs-cpuv4
fi
