#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove that "make install" output runs on its own: boot each kernel with
# an initramfs that holds only busybox, a small init and the installed
# directory (no compiler, bpftool, kernel tree or shared library), run its
# run_kselftest.sh there, and check what comes back: exit status 0 and
# KTAP that kunit.py parses (scripts/ktap-check.sh).
#
#   scripts/kselftest-vm.sh [--arch ARCH] INSTALL_DIR [KERNEL...]
#
# KERNEL: a series (scripts/kernel.sh fetches Debian's newest cloud kernel
# of it); default "6.18 CURRENT_SERIES". Each guest's KTAP, console and
# record stay in $VM_LOGS/RELEASE-kselftest.{ktap,console,json}; the record
# (counts, exit status, wall time) is what scripts/docs-update.py kselftest
# writes docs/kselftest.md from.
# --arch ARCH (VM_ARCH): arm64 or s390x kernels, as scripts/vm.sh boots
# them, for a directory installed by "make install ARCH=ARCH".
# Environment: QEMU, VM_TIMEOUT (seconds per guest, default 300; 600 for
# another architecture), VM_MEM, VM_ACCEL (see vm_accel in lib.sh), CACHE.
set -euo pipefail
repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
LANE=kselftest-vm
vm_arch_option "$@"
shift "$VM_ARCH_SHIFT"
VM_TIMEOUT=${VM_TIMEOUT:-$VM_TIMEOUT_DEFAULT}
VM_MEM=${VM_MEM:-2G}
VM_LOGS=${VM_LOGS:-$CACHE/vm-logs}
BUSYBOX=/bin/busybox
[ "$VM_ARCH" = "$HOST_ARCH" ] ||
	BUSYBOX=$("$repo/scripts/setup-arch.sh" "$VM_ARCH")/bin/busybox || exit 1
# As scripts/vm.sh boots its guests.
CMDLINE="console=$VM_CONSOLE rdinit=/init panic=-1 oops=panic lsm=lockdown,capability,bpf"

[ $# -ge 1 ] || die "usage: scripts/kselftest-vm.sh [--arch ARCH] INSTALL_DIR [KERNEL...]"
dir=$(readlink -f "$1")
shift
{ [ -x "$dir/run_kselftest.sh" ] && [ -r "$dir/kselftest-list.txt" ]; } ||
	die "$dir: not a kselftest install (make install INSTALL_PATH=$dir)"
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.18 "$CURRENT_SERIES")
command -v "$QEMU" >/dev/null || die "$QEMU not found: run ./run.sh --setup"
if [ ! -x "$BUSYBOX" ] || readelf -l "$BUSYBOX" | grep -q 'program interpreter'; then
	die "$BUSYBOX is not a static busybox: run ./run.sh --setup (busybox-static)"
fi
# Nothing in the directory may need the dynamic loader: the guest has none.
for f in "$dir"/*; do
	if readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; then
		die "$f is dynamically linked: the guest has no shared libraries"
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kselftest-vm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$VM_LOGS" "$tmp/root"/{bin,dev,proc,sys,tmp,opt}
cp "$BUSYBOX" "$tmp/root/bin/busybox"
cp -a "$dir" "$tmp/root/opt/kselftest"
echo "$VM_RESULT_TTY" > "$tmp/root/port"
# What a test machine has mounted; the KTAP goes out on the second port.
cat > "$tmp/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
ip link set lo up
ulimit -l unlimited
port=/dev/$(cat /port)
# held open: a virtio console (hvc) resets its settings at the last close
exec 3<>"$port"
stty -F "$port" raw -echo
{
	/opt/kselftest/run_kselftest.sh
	echo "kselftest-vm: exit status $?"
} > "$port" 2>/dev/null
poweroff -f
INIT
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$tmp/initramfs.cpio"

accel=$(vm_accel)
echo "kselftest-vm: $(du -sh "$dir" | cut -f1) in $dir; qemu accelerator $accel"
failed=0
for k in "${kernels[@]}"; do
	kdir=$("$repo/scripts/kernel.sh" --arch "$VM_ARCH" "$k") || exit 1
	release=$(cat "$kdir/release")
	image=$kdir/vmlinux
	[ "$VM_ARCH" = "$HOST_ARCH" ] || image=$kdir/image
	out=$VM_LOGS/$release-kselftest
	start=$SECONDS
	rc=0
	rm -f "$out.json" "$tmp/counts.json"
	timeout -k 5 "$VM_TIMEOUT" "$QEMU" -accel "$accel" "${VM_MACHINE[@]}" -smp 2 \
		-m "$VM_MEM" -nodefaults -display none -no-reboot \
		-kernel "$image" -initrd "$tmp/initramfs.cpio" -append "$CMDLINE" \
		-serial "file:$out.console" "${VM_RESULT_DEV[@]//RESULT/$tmp/result}" </dev/null ||
		rc=$?
	status=$(sed -n 's/^kselftest-vm: exit status \([0-9]*\)$/\1/p' "$tmp/result")
	grep -v '^kselftest-vm: exit status ' "$tmp/result" > "$out.ktap" || true
	why=
	if [ "$rc" != 0 ]; then
		why="qemu exited with $rc$([ "$rc" != 124 ] || echo " (timed out after ${VM_TIMEOUT}s)")"
	elif [ "$status" != 0 ]; then
		why="run_kselftest.sh exit status ${status:-missing}"
	elif ! check=$("$repo/scripts/ktap-check.sh" -J "$tmp/counts.json" "$out.ktap"); then
		why="invalid KTAP: $check"
	fi
	wall=$((SECONDS - start))
	echo "=== $release ($wall s)"
	grep -E '^(not ok|ok) |^# (Totals|Summary)' "$out.ktap" || true
	[ -z "${check:-}" ] || echo "$check"
	if [ -n "$why" ]; then
		echo "kselftest-vm: $release: FAILED: $why (console: $out.console)"
		tail -n 20 "$out.console"
		failed=1
	else
		echo "kselftest-vm: $release: ok"
		printf '{"kernel": "%s", "accel": "%s", "exit": %s, "wall_s": %s, %s\n' \
			"$release" "$accel" "$status" "$wall" "$(cut -c2- "$tmp/counts.json")" > "$out.json"
	fi
	check=
done
exit $failed
