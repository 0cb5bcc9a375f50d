#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run test_progs inside other kernels: one qemu (TCG) guest per kernel.
#
#   scripts/vm.sh [--cpus N] [KERNEL...] [-- TEST_PROGS_ARGS...]
#
# KERNEL is a series (6.1, 7.3: Debian's newest cloud kernel, fetched and
# cached by scripts/kernel.sh), "all" (every series Debian carries) or the
# path to a bzImage/vmlinuz with BTF. Default: VM_DEFAULT_SERIES (lib.sh).
# The guest boots from a busybox initramfs that holds test_progs and the
# libraries it links; test_progs' output and exit status
# come back on a second serial port, the kernel's console on the first.
#
# --cpus N (or VM_CPUS=N) gives each guest N vCPUs, default 2. nr_cpu_ids
# follows the vCPUs: above 64 every cpumask spans more than one word.
#
# Prints per kernel "=== RELEASE (nr_cpu_ids N)" and test_progs' output,
# then a table. Each guest's console and test_progs output stay in
# $VM_LOGS/RELEASE-Ncpu.{console,out} (default $CACHE/vm-logs) until the
# next guest of that kernel and width.
# Exits non-zero if any guest failed: test_progs failed, or the guest hung,
# oopsed, panicked or never reported an exit status; a guest whose kernel
# failed before init, with no test run, is booted once more. test_progs'
# exit status 4 (every test skipped, kselftest's skip) is "skipped", not a
# failure.
#
# Environment: TEST_PROGS (default $OUTPUT/test_progs), OUTPUT, CACHE, KDIR,
# VM_UNAME26 (1: run test_progs under setarch --uname-2.6, a release string
# that lies, to show no verdict depends on it), QEMU, VM_TIMEOUT (seconds per guest, default 300, and 8 more per vCPU
# in a wide guest), VM_MEM (default 2G), VM_CPUS (default 2).
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
export KDIR=${KDIR:-$STABLE_TREE}
OUTPUT=${OUTPUT:-$repo/build}
TEST_PROGS=${TEST_PROGS:-$OUTPUT/test_progs}
QEMU=${QEMU:-qemu-system-x86_64}
timeout_given=${VM_TIMEOUT:-}
VM_TIMEOUT=${VM_TIMEOUT:-300}
VM_MEM=${VM_MEM:-2G}
VM_CPUS=${VM_CPUS:-2}
VM_LOGS=${VM_LOGS:-$CACHE/vm-logs}
BUSYBOX=/bin/busybox
# A panic ends the guest at once (-no-reboot), and so does an oops; the bpf
# LSM is active whatever the kernel's CONFIG_LSM says.
CMDLINE="console=ttyS0 rdinit=/init panic=-1 oops=panic lsm=lockdown,capability,bpf"
# Console lines that mean the guest kernel itself went wrong.
KERNEL_ERRORS='Kernel panic|Oops|BUG:|general protection fault|WARNING: CPU'

kernels=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	if [ "$1" = --cpus ]; then
		[ $# -ge 2 ] || die "--cpus needs a number"
		VM_CPUS=$2
		shift
	elif [ "$1" = all ]; then
		mapfile -t -O ${#kernels[@]} kernels < <("$repo/scripts/kernel.sh" --list)
	else
		kernels+=("$1")
	fi
	shift
done
[ "${1:-}" = "--" ] && shift
# shellcheck disable=SC2206 # a list of series
[ ${#kernels[@]} -gt 0 ] || kernels=($VM_DEFAULT_SERIES)

[[ $VM_CPUS =~ ^[1-9][0-9]*$ ]] || die "VM_CPUS/--cpus: '$VM_CPUS' is not a number of CPUs"
# KVM when it works, else TCG. Wide TCG guests (more vCPUs than host
# cores): one TCG thread runs all vCPUs, since a thread per vCPU lets them
# race the kernel's int3 text patching; lpj= skips calibrating each vCPU's
# delay loop, and nosoftlockup keeps a vCPU the host did not schedule for
# a while from reading as a kernel bug. Each vCPU still slows the boot.
ACCEL=$(vm_accel)
echo "vm.sh: qemu accelerator $ACCEL$([ "$ACCEL" = kvm ] || echo ' (no usable KVM)')"
if [ "$VM_CPUS" -gt 2 ] && [ "$ACCEL" = tcg ]; then
	ACCEL=tcg,thread=single
	CMDLINE+=" lpj=4000000 nosoftlockup"
	[ -n "$timeout_given" ] || VM_TIMEOUT=$((VM_TIMEOUT + 8 * VM_CPUS))
fi

command -v "$QEMU" >/dev/null || die "$QEMU not found: run ./run.sh --setup"
for tool in cpio readelf strings timeout; do
	command -v $tool >/dev/null || die "$tool not found: run ./run.sh --setup"
done
if [ ! -x "$BUSYBOX" ] || readelf -l "$BUSYBOX" | grep 'program interpreter' >/dev/null; then
	die "$BUSYBOX is not a static busybox: run ./run.sh --setup (busybox-static)"
fi
[ -x "$TEST_PROGS" ] || die "$TEST_PROGS not found: build it first (make, or TEST_PROGS=)"
TEST_PROGS=$(readlink -f "$TEST_PROGS")

mkdir -p "$VM_LOGS" || die "cannot create $VM_LOGS"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm.XXXXXX")
qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$qpid" ] || wait "$qpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# copy_libs BINARY ROOT: the libraries BINARY links, at their paths in ROOT.
copy_libs() {
	local libs lib missing

	libs=$(ldd "$1" 2>/dev/null || true)
	missing=$(grep 'not found' <<< "$libs" | tr -s '\t\n' '  ' || true)
	[ -z "$missing" ] || die "$1: libraries not found:$missing"
	for lib in $(grep -o '/[^ ]*' <<< "$libs"); do
		mkdir -p "$2$(dirname "$lib")"
		cp -L "$lib" "$2$lib"
	done
}

# The initramfs, shared by every kernel: busybox, test_progs, its libraries
# (at the paths the dynamic loader looks in), the arguments one per line.
build_initramfs() {
	local root=$tmp/root

	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,opt/test_progs}
	cp "$BUSYBOX" "$root/bin/busybox"
	cp "$TEST_PROGS" "$root/opt/test_progs/test_progs"
	copy_libs "$TEST_PROGS" "$root"
	if [ "${VM_UNAME26:-}" = 1 ]; then
		cp "$(command -v setarch)" "$root/usr/bin/setarch"
		copy_libs "$root/usr/bin/setarch" "$root"
		echo "/usr/bin/setarch x86_64 --uname-2.6" > "$root/wrap"
	fi
	[ $# -eq 0 ] || printf '%s\n' "$@" > "$root/args"
	cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
for fs in securityfs:/sys/kernel/security debugfs:/sys/kernel/debug \
	  tracefs:/sys/kernel/tracing cgroup2:/sys/fs/cgroup; do
	mount -t "${fs%%:*}" "${fs%%:*}" "${fs#*:}" 2>/dev/null
done
ip link set lo up
ulimit -l unlimited
set --
[ -f /args ] && while IFS= read -r arg; do set -- "$@" "$arg"; done < /args
echo "vm.sh: lsm=$(cat /sys/kernel/security/lsm) running test_progs $*"
stty -F /dev/ttyS1 raw -echo
cd /opt/test_progs
possible=$(cat /sys/devices/system/cpu/possible)
{
	echo "vm.sh: nr_cpu_ids $((${possible##*[-,]} + 1))"
	[ ! -f /wrap ] || echo "vm.sh: uname -r says $($(cat /wrap) uname -r)"
	$(cat /wrap 2>/dev/null) ./test_progs "$@"
	echo "vm.sh: exit status $?"
} > /dev/ttyS1 2>&1
poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$tmp/initramfs.cpio"
}

# KERNEL -> release and image (what qemu boots), appended to the lists.
add_kernel() {
	local k=$1 dir vmlinux image release pvh='Xen .*(\(0x00000012\)|PHYS32_ENTRY)'

	if [[ $k =~ ^[0-9]+\.[0-9]+$ ]]; then
		dir=$("$repo/scripts/kernel.sh" "$k") || exit 1
		vmlinux=$dir/vmlinux image=$dir/vmlinux release=$(cat "$dir/release")
	else
		[ -f "$k" ] || die "$k: no such kernel image (want a series like 6.12 or a path)"
		[ -x "$KDIR/scripts/extract-vmlinux" ] ||
			die "$KDIR/scripts/extract-vmlinux missing: run ./run.sh --setup"
		vmlinux=$tmp/vmlinux.${#images[@]}
		"$KDIR/scripts/extract-vmlinux" "$k" > "$vmlinux" 2>/dev/null &&
			readelf -h "$vmlinux" >/dev/null 2>&1 ||
			die "$k: not a kernel image (extract-vmlinux found no vmlinux in it)"
		release=$(strings "$vmlinux" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p')
		release=${release%%$'\n'*}
		[ -n "$release" ] || die "$k: no 'Linux version' string in its vmlinux"
		# Boot the vmlinux through its PVH entry if it has one: no decompressor.
		image=$k
		if readelf -n "$vmlinux" | grep -E "$pvh" >/dev/null; then
			image=$vmlinux
		fi
	fi
	readelf -SW "$vmlinux" | grep -E ' \.BTF ' >/dev/null ||
		die "$k ($release): kernel has no BTF (needs CONFIG_DEBUG_INFO_BTF=y)"
	releases+=("$release")
	images+=("$image")
}

# Boot one guest; fills in the verdict for the table.
run_guest() {
	local release=$1 image=$2 console=$tmp/console result=$tmp/result
	local start wall rc=0 status why='' first sum passed skipped nfailed ncpus skipped_all= boots

	for boots in 1 2; do
		rm -f "$console" "$result"
		rc=0
		start=$EPOCHREALTIME
		timeout -k 5 "$VM_TIMEOUT" "$QEMU" -accel "$ACCEL" -cpu max -smp "$VM_CPUS" \
			-m "$VM_MEM" -nodefaults -display none -no-reboot \
			-kernel "$image" -initrd "$tmp/initramfs.cpio" \
			-append "$CMDLINE" \
			-serial "file:$console" -serial "file:$result" </dev/null &
		qpid=$!
		wait "$qpid" || rc=$?
		qpid=
		wall=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
		# A kernel error before init started ran no test, and wide TCG
		# guests can fault at boot where no real CPU would (emulation,
		# not the kernel under test). Boot such a guest once more,
		# saying so; an error once init ran is never retried.
		if [ "$boots" = 2 ] || ! grep -Eq "$KERNEL_ERRORS" "$console" 2>/dev/null ||
		   grep -q '^vm\.sh: lsm=' "$console"; then
			break
		fi
		cp "$console" "$VM_LOGS/$release-${VM_CPUS}cpu.boot-error.console"
		echo "vm.sh: $release: kernel error before init, no test ran:" \
		     "$(grep -Em1 "$KERNEL_ERRORS" "$console" | sed 's/^\[[^]]*\] *//');" \
		     "booting again (console: $VM_LOGS)"
	done

	touch "$result"
	cp "$console" "$VM_LOGS/$release-${VM_CPUS}cpu.console" 2>/dev/null || true
	cp "$result" "$VM_LOGS/$release-${VM_CPUS}cpu.out"
	ncpus=$(sed -n 's/^vm.sh: nr_cpu_ids \([0-9]*\)$/\1/p' "$result" | head -n1)
	echo "=== $release (nr_cpu_ids ${ncpus:-?})"
	grep -Ev '^vm.sh: (exit status|nr_cpu_ids) ' "$result" || true
	status=$(sed -n 's/^vm.sh: exit status \([0-9]*\)$/\1/p' "$result" | tail -n1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="guest timed out after ${VM_TIMEOUT}s"
	elif [ "$rc" != 0 ]; then
		why="qemu exited with $rc"
	elif grep -Eq "$KERNEL_ERRORS" "$console" 2>/dev/null; then
		why=$(grep -Em1 "$KERNEL_ERRORS" "$console" | sed 's/^\[[^]]*\] *//')
		why="guest kernel error: $why"
	elif [ -z "$status" ]; then
		why="no exit status from the guest"
	fi
	if [ -n "$why" ]; then
		# From just before the first error line, or the last lines.
		first=$(grep -Enm1 "$KERNEL_ERRORS" "$console" | cut -d: -f1 || true)
		echo "vm.sh: $release: FAILED: $why; console ($VM_LOGS):"
		if [ -n "$first" ]; then
			first=$((first > 10 ? first - 10 : 1))
			sed -n "$first,$((first + 150))p" "$console"
		else
			tail -n 40 "$console" 2>/dev/null || true
		fi
		status=${status:--}
	elif [ "$status" = 4 ]; then
		# kselftest's skip: every test skipped (a kernel without the kfunc)
		skipped_all=1
	elif [ "$status" != 0 ]; then
		why="test_progs failed"
	fi
	sum='^Summary: ([0-9/]+) PASSED, ([0-9]+) SKIPPED, ([0-9]+) FAILED$'
	read -r passed skipped nfailed < <(sed -En "s|$sum|\1 \2 \3|p" "$result"; echo - - -)
	[ -z "$why" ] || failed=1
	[ -n "$why" ] || [ -z "$skipped_all" ] || why=skipped
	table+=("$(printf '%-32s %9s %8s %7s %5s %7ss  %s' "$release" "$passed" "$skipped" \
		"$nfailed" "$status" "$wall" "${why:-ok}")")
}

releases=() images=()
for k in "${kernels[@]}"; do
	add_kernel "$k"
done
build_initramfs "$@"

failed=0
table=()
for i in "${!images[@]}"; do
	run_guest "${releases[$i]}" "${images[$i]}"
done

echo
printf '%-32s %9s %8s %7s %5s %8s  %s\n' kernel passed skipped failed exit wall result
printf '%s\n' "${table[@]}"
exit $failed
