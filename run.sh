#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The one entry point of the bpf_cpumask_create() selftests.
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")"
. scripts/lib.sh
OUTPUT=${OUTPUT:-$PWD/build}

usage() {
	cat <<USAGE
Usage: ./run.sh [--flavor F] [TEST_PROGS_ARGS...]
       ./run.sh [--flavor F] MODE [MODE_ARGS...] [-- TEST_PROGS_ARGS...]

--flavor F (or FLAVOR=F): run test_progs-F, upstream's flavor F of test_progs
(no_alu32: BPF ISA v2, cpuv4: v4; "make flavors" builds them all), on the
host and in the lanes that run test_progs (--vm, --kernel, --mutants, --soak,
--kill-test)

Modes:
  (none)              build, then run test_progs on the running kernel
  --setup             install the toolchain (Debian packages) and unpack the kernel tree
  --setup --arch ARCH also the cross compiler, qemu and a sysroot for arm64 or s390x guests
  --vm [--arch ARCH] [--cpus N] [--jobs N] [KERNEL...]
                      run test_progs inside Debian kernels under qemu (default: $VM_DEFAULT_SERIES);
                      --arch arm64|s390x: that architecture's kernels (TCG), runner cross-built
                      KERNEL: a series (6.12), a point release (6.18.5), all (every series),
                      points (every point release from $STABLE_SERIES on) or a bzImage path;
                      --jobs N boots up to N guests at a time
  --in-tree [TREE]    run our tests with upstream's test_progs, in a copy of a kernel tree
  --patch             write the upstream series (7.3), checkpatch, git am, build, run it
                      (TREE: a kernel tree's path, 6.12 or 7.3; default: the 7.3 tree)
  --marginal [--fix] [TREE]
                      the series on the 7.3 tree's own kernel: the fix fails unpatched and
                      passes patched; which mutants upstream's tests catch, which the series
                      (--fix: the fix only)
  --kernel [KDIR]     build KDIR's own kernel (out of tree), boot it under qemu, run test_progs
  --mutants [KDIR]    seed each bug of mutants/ into a copy of KDIR, build, boot, run: score
  --soak [N]          run test_progs N times (default 100) with every CPU busy
  --kill-test [N]     SIGKILL test_progs N times (default 50); check nothing is left
  --bench             build upstream's bench and run ours side by side (-- ARGS, -h lists them)
  --vm [KERNEL...] --bench   the benchmark inside those kernels
  -h, --help          this help

TEST_PROGS_ARGS go to test_progs unchanged, e.g. ./run.sh -v -t cpumask_create
Environment: KDIR, VMLINUX_BTF, OUTPUT, CLANG, BPFTOOL, CACHE, TEST_PROGS, VM_TIMEOUT,
             VM_CPUS (or --vm --cpus N: vCPUs per guest, default 2), VM_JOBS (or --jobs N),
             VM_JSON (the VM lane's results, default \$OUTPUT/vm.json)
USAGE
}

need_toolchain() {
	local tool
	for tool in "${CLANG:-clang-16}" "${BPFTOOL:-bpftool}" make gcc; do
		command -v "$tool" >/dev/null ||
			{ echo "run.sh: $tool not found: run ./run.sh --setup first" >&2; exit 1; }
	done
}

# make TARGET...: one make at a time in a build directory, so that runs
# started side by side (two guests, a soak beside a lane) wait for each
# other's build instead of overwriting its files.
build() {
	need_toolchain
	mkdir -p "$OUTPUT"
	flock "$OUTPUT/.build.lock" make -s -j"$(nproc)" OUTPUT="$OUTPUT" FLAVOR="$FLAVOR" "$@" >&2
}

FLAVOR=${FLAVOR:-}
if [ "${1:-}" = --flavor ]; then
	[ $# -ge 2 ] || { usage >&2; exit 2; }
	FLAVOR=$2; shift 2
fi
# The flavor's runner, for the host run and every lane that runs one.
runner=$OUTPUT/test_progs${FLAVOR:+-$FLAVOR}
[ -z "$FLAVOR" ] || export TEST_PROGS=${TEST_PROGS:-$runner}

mode=host
case "${1:-}" in
--setup)
	if [ "${2:-}" = --arch ]; then
		scripts/setup.sh
		exec scripts/setup-arch.sh "${3:-}"
	fi
	exec scripts/setup.sh
	;;
--vm)		mode=vm; shift ;;
--in-tree)	mode=in-tree; shift ;;
--patch)	mode="patch"; shift ;;
--marginal)	mode=marginal; shift ;;
--kernel)	mode=kernel; shift ;;
--mutants)	mode=mutants; shift ;;
--soak)		mode=soak; shift ;;
--kill-test)	mode=kill-test; shift ;;
--bench)	mode=bench; shift ;;
-h|--help)	usage; exit 0 ;;
--)		shift ;;
esac

case $mode in
host|vm|kernel|mutants|soak|kill-test) ;;
*) [ -z "$FLAVOR" ] || { echo "run.sh: --flavor: not for --$mode" >&2; exit 2; } ;;
esac

# Mode arguments come before "--", test_progs arguments after it.
margs=()
while [ "$mode" != host ] && [ $# -gt 0 ] && [ "$1" != "--" ]; do
	margs+=("$1"); shift
done
[ "${1:-}" = "--" ] && shift

# The benchmark: on this kernel, or (--vm ... --bench) in the guests.
vm_bench=
if [ "$mode" = vm ]; then
	for i in "${!margs[@]}"; do
		[ "${margs[$i]}" = --bench ] && { vm_bench=1; unset "margs[$i]"; }
	done
	margs=("${margs[@]}")
fi
# --vm --arch ARCH: another architecture's guests, its runner cross-built
# in build/ARCH against the BTF of the first kernel named (default the
# newest series): vmlinux.h is the target's. A kernel whose BTF has no
# struct bpf_cpumask (built without the BPF JIT, as Debian's s390x
# kernels are: no kfunc there) cannot declare the programs' types; then
# they come from this host's BTF, and CO-RE relocates against the guest's.
if [ "$mode" = vm ] && [ "${margs[0]:-}" = --arch ]; then
	[ ${#margs[@]} -ge 2 ] || { echo "run.sh: --arch needs arm64 or s390x" >&2; exit 2; }
	export VM_ARCH=${margs[1]}
	margs=("${margs[@]:2}")
	[ -z "$vm_bench" ] || { echo "run.sh: --bench runs on this architecture only" >&2; exit 2; }
	[ "$OUTPUT" != "$PWD/build" ] || OUTPUT=$PWD/build/$VM_ARCH
	scripts/setup-arch.sh "$VM_ARCH" >/dev/null
	first=$CURRENT_SERIES skip=
	for k in "${margs[@]}"; do
		case $skip$k in
		--cpus|--jobs) skip=1 ;;
		1*|all|points) skip= ;;
		*) first=$k; break ;;
		esac
	done
	kdir=$(scripts/kernel.sh --arch "$VM_ARCH" "$first")
	export VMLINUX_BTF=$kdir/btf
	if ! bpftool btf dump file "$kdir/btf" | grep "^\[[0-9]*\] STRUCT 'bpf_cpumask' " >/dev/null; then
		echo "run.sh: $(cat "$kdir/release") has no struct bpf_cpumask in its BTF" \
		     "(no BPF JIT: no cpumask kfuncs): the header adds this host's" >&2
	fi
	build ARCH="$VM_ARCH"
	exec scripts/vm.sh "${margs[@]}" -- "$@"
fi

case $mode in
bench)
	# The JSON and the plot land in $OUTPUT unless the arguments say
	# otherwise (the last -J/--plot wins); paths are the caller's.
	mkdir -p "$OUTPUT"
	repo=$PWD
	cd "$OLDPWD"
	exec "$repo/scripts/bench.sh" -J "$OUTPUT/bench.json" --plot "$OUTPUT/bench.svg" "$@"
	;;
host)
	build
	exec "$runner" "$@"
	;;
vm)
	if [ -n "$vm_bench" ]; then
		# The guest runs the runner script with upstream's bench beside
		# it, and the libraries bench links at their paths.
		bench=$(scripts/bench.sh --build)
		files=$bench
		for lib in $(ldd "$bench" | grep -o '/[^ ]*'); do files+=" $lib:$lib"; done
		VM_TIMEOUT=${VM_TIMEOUT:-900} VM_FILES="${VM_FILES:-} $files" \
			TEST_PROGS=$PWD/benchs/run_bench_cpumask_create.sh \
			exec scripts/vm.sh "${margs[@]}" -- "$@"
	fi
	build
	exec scripts/vm.sh "${margs[@]}" -- "$@"
	;;
in-tree)
	exec scripts/in-tree.sh "${margs[@]}" -- "$@"
	;;
patch)
	exec scripts/patch.sh "${margs[@]}"
	;;
marginal)
	exec scripts/marginal.sh "${margs[@]}"
	;;
kernel)
	build
	exec scripts/own-kernel.sh "${margs[@]}" -- "$@"
	;;
mutants)
	build
	exec scripts/mutants.sh "${margs[@]}" -- "$@"
	;;
soak|kill-test)
	build
	exec scripts/stress.sh "${mode%-test}" "${margs[@]}" -- "$@"
	;;
esac
