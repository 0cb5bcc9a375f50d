#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run test_progs inside other kernels, one qemu guest per kernel booted from
# a busybox initramfs, or with --kselftest an installed kselftest directory
# (docs/lanes.md: "VM lane", "Other architectures", "kselftest lane").
#
#   scripts/vm.sh [--arch ARCH] [--cpus N] [--jobs N] [KERNEL...] [-- TEST_PROGS_ARGS...]
#   scripts/vm.sh --kselftest [--arch ARCH] INSTALL_DIR [KERNEL...]
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
. "$repo/scripts/lib.sh"
export KDIR=${KDIR:-$STABLE_TREE}
ksdir=
# shellcheck disable=SC2034 # LANE: the prefix of die() (lib.sh)
[ "${1:-}" != --kselftest ] || { LANE=kselftest-vm ksdir=-; shift; }
vm_arch_option "$@"
shift "$VM_ARCH_SHIFT"
if [ -n "$ksdir" ]; then
	[ $# -ge 1 ] || die "usage: scripts/kselftest-vm.sh [--arch ARCH] INSTALL_DIR [KERNEL...]"
	ksdir=$(readlink -f "$1")
	shift
	{ [ -x "$ksdir/run_kselftest.sh" ] && [ -r "$ksdir/kselftest-list.txt" ]; } ||
		die "$ksdir: not a kselftest install (make install INSTALL_PATH=$ksdir)"
	# Nothing in the directory may need the dynamic loader: the guest has none.
	for f in "$ksdir"/*; do
		if readelf -l "$f" 2>/dev/null | grep -q 'program interpreter'; then
			die "$f is dynamically linked: the guest has no shared libraries"
		fi
	done
fi
OUTPUT=${OUTPUT:-$repo/build$([ "$VM_ARCH" = "$HOST_ARCH" ] || echo "/$VM_ARCH")}
TEST_PROGS=${TEST_PROGS:-$OUTPUT/test_progs}
timeout_given=${VM_TIMEOUT:-}
VM_TIMEOUT=${VM_TIMEOUT:-$VM_TIMEOUT_DEFAULT}
VM_MEM=${VM_MEM:-2G}
VM_CPUS=${VM_CPUS:-2}
VM_JOBS=${VM_JOBS:-1}
VM_LOGS=${VM_LOGS:-$CACHE/vm-logs}
VM_JSON=${VM_JSON:-$OUTPUT/vm.json}
[ -n "$ksdir" ] || mkdir -p "$(dirname "$VM_JSON")" ||
	die "cannot make the directory of VM_JSON=$VM_JSON"
BUSYBOX=/bin/busybox
# A panic ends the guest at once (-no-reboot), and so does an oops; the bpf
# LSM is active whatever the kernel's CONFIG_LSM says.
CMDLINE="console=$VM_CONSOLE rdinit=/init panic=-1 oops=panic lsm=lockdown,capability,bpf"
# Console lines that mean the guest kernel itself went wrong.
# (lockdep's and RCU's reports in a kernel built with them, as BPF CI's is;
# a WARN as "WARNING: CPU: N PID: ..." before 7.x, "WARNING: FILE:LINE at
# FUNC, CPU#N: ..." since).
KERNEL_ERRORS='Kernel panic|Oops|BUG:|general protection fault|WARNING: (CPU|(.* )?at .*, CPU#[0-9]+|suspicious RCU usage|possible (circular|recursive) locking|inconsistent lock state)'

kernels=() named=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
	case $1 in
	--cpus|--jobs)
		[ $# -ge 2 ] || die "$1 needs a number"
		if [ "$1" = --cpus ]; then VM_CPUS=$2; else VM_JOBS=$2; fi
		shift
		;;
	all|points)
		[ "$1" = all ] && list=--list || list=--points
		list=$("$repo/scripts/kernel.sh" "$list") || exit 1
		mapfile -t -O ${#kernels[@]} kernels <<< "$list"
		named+=("$1")
		;;
	-*)
		die "unknown option '$1' (kernels and --cpus/--jobs before '--'," \
		    "test_progs' options after it)"
		;;
	*)
		kernels+=("$1")
		named+=("$1")
		;;
	esac
	shift
done
[ "${1:-}" = "--" ] && shift
[ -z "$ksdir" ] || [ $# -eq 0 ] || die "run_kselftest.sh takes no test_progs arguments"
[ ${#kernels[@]} -gt 0 ] || [ -z "$ksdir" ] || kernels=(6.18 "$CURRENT_SERIES")
# shellcheck disable=SC2206 # a list of series
[ ${#kernels[@]} -gt 0 ] || kernels=($VM_DEFAULT_SERIES)

[[ $VM_CPUS =~ ^[1-9][0-9]*$ ]] || die "VM_CPUS/--cpus: '$VM_CPUS' is not a number of CPUs"
[[ $VM_JOBS =~ ^[1-9][0-9]*$ ]] || die "VM_JOBS/--jobs: '$VM_JOBS' is not a number of guests"
# KVM when it works, else TCG (see vm_accel). Wide TCG guests (more vCPUs
# than host cores): lpj= skips calibrating each vCPU's delay loop, and
# nosoftlockup keeps a vCPU the host did not schedule for a while from
# reading as a kernel bug. Each vCPU still slows the boot.
ACCEL=$(vm_accel)
if [ -n "$ksdir" ]; then
	echo "kselftest-vm: $(du -sh "$ksdir" | cut -f1) in $ksdir; qemu accelerator $ACCEL"
else
	echo "vm.sh: qemu accelerator $ACCEL$([ "$ACCEL" = kvm ] || echo ' (no usable KVM)')"
fi
if [ "$VM_CPUS" -gt 2 ] && [ "$ACCEL" != kvm ]; then
	CMDLINE+=" lpj=4000000 nosoftlockup"
	[ -n "$timeout_given" ] || VM_TIMEOUT=$((VM_TIMEOUT + 8 * VM_CPUS))
fi

command -v "$QEMU" >/dev/null || die "$QEMU not found: run ./run.sh --setup"
if [ ! -x "$BUSYBOX" ] || readelf -l "$BUSYBOX" | grep 'program interpreter' >/dev/null; then
	die "$BUSYBOX is not a static busybox: run ./run.sh --setup (busybox-static)"
fi
if [ -z "$ksdir" ]; then
	[ -x "$TEST_PROGS" ] || die "$TEST_PROGS not found: build it first (make, or TEST_PROGS=)"
	TEST_PROGS=$(readlink -f "$TEST_PROGS")
fi
if [ "$VM_ARCH" != "$HOST_ARCH" ]; then
	BUSYBOX=$("$repo/scripts/setup-arch.sh" "$VM_ARCH")/bin/busybox || exit 1
fi
if [ -z "$ksdir" ] && [ "$VM_ARCH" != "$HOST_ARCH" ]; then
	[ "${VM_UNAME26:-}" != 1 ] || die "VM_UNAME26 needs the host's architecture"
	machine_want=$(readelf -h "$BUSYBOX" | sed -n 's/^ *Machine: *//p')
	bin=$(runner_binary "$TEST_PROGS")
	bin=${bin:-$TEST_PROGS}
	if [ "$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')" != "$machine_want" ] ||
	   readelf -l "$bin" | grep -q 'program interpreter'; then
		die "$TEST_PROGS is not a static $VM_ARCH binary: make ARCH=$VM_ARCH (./run.sh --vm --arch)"
	fi
fi

mkdir -p "$VM_LOGS" || die "cannot create $VM_LOGS"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vm.XXXXXX")
qpid='' gpids=()
cleanup() {
	[ ${#gpids[@]} = 0 ] || kill "${gpids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
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
	# glibc loads libgcc_s for pthread_exit(), which ldd does not list
	lib=$(grep -o '/[^ ]*/libc\.so\.6' <<< "$libs" || true)
	[ -z "$lib" ] || [ ! -e "${lib%/*}/libgcc_s.so.1" ] || libs+=" ${lib%/*}/libgcc_s.so.1"
	for lib in $(grep -o '/[^ ]*' <<< "$libs"); do
		mkdir -p "$2$(dirname "$lib")"
		cp -L "$lib" "$2$lib"
	done
}

# The initramfs, shared by every kernel: busybox, the init, and the
# kselftest directory or test_progs.
build_initramfs() {
	local root=$tmp/root

	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,opt}
	cp "$BUSYBOX" "$root/bin/busybox"
	[ -z "$ksdir" ] || cp -a "$ksdir" "$root/opt/kselftest"
	[ -n "$ksdir" ] || add_test_progs "$@"
	echo "$VM_RESULT_TTY" > "$root/port"
	[ "$VM_ARCH" = "$HOST_ARCH" ] || touch "$root/foreign"
	write_init > "$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet) > "$tmp/initramfs.cpio"
}

# test_progs, VM_FILES, the libraries test_progs links (at the paths the
# dynamic loader looks in), the kernels' configs, the arguments one per line.
add_test_progs() {
	local root=$tmp/root f dest inner

	mkdir "$root/opt/test_progs"
	cp "$TEST_PROGS" "$root/opt/test_progs/test_progs"
	for f in ${VM_FILES:-}; do
		dest=/opt/test_progs/
		if [[ $f == *:* ]]; then
			dest=${f#*:}
			f=${f%%:*}
			mkdir -p "$root$(dirname "$dest")"
		fi
		cp "$f" "$root$dest" || die "VM_FILES: cannot copy $f"
	done
	copy_libs "$TEST_PROGS" "$root"
	# Our runner is a script in front of upstream's binary: the binary
	# goes where the script looks for it, with its libraries.
	inner=$(runner_binary "$TEST_PROGS")
	if [ -n "$inner" ]; then
		dest=$root/opt/test_progs/${inner#"$(dirname "$TEST_PROGS")"/}
		mkdir -p "$(dirname "$dest")"
		cp "$inner" "$dest"
		copy_libs "$inner" "$root"
	fi
	# Each kernel's config where libbpf looks for it (__kconfig externs).
	mkdir -p "$root/boot"
	for f in "${configs[@]}"; do
		cp "${f%%:*}" "$root/boot/config-${f#*:}"
	done
	if [ "${VM_UNAME26:-}" = 1 ]; then
		cp "$(command -v setarch)" "$root/usr/bin/setarch"
		copy_libs "$root/usr/bin/setarch" "$root"
		echo "/usr/bin/setarch x86_64 --uname-2.6" > "$root/wrap"
	fi
	[ $# -eq 0 ] || printf '%s\n' "$@" > "$root/args"
}

# What a test machine has mounted; the results go out on the second port.
write_init() {
	cat <<'INIT'
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
echo "vm.sh: lsm=$(cat /sys/kernel/security/lsm) running $(ls /opt) $*"
port=/dev/$(cat /port)
# held open: a virtio console (hvc) resets its settings at the last close
exec 3<>"$port"
stty -F "$port" raw -echo
if [ -d /opt/kselftest ]; then
	{
		/opt/kselftest/run_kselftest.sh
		echo "vm.sh: exit status $?"
	} > "$port" 2>/dev/null
	poweroff -f
fi
cd /opt/test_progs
possible=$(cat /sys/devices/system/cpu/possible)
{
	echo "vm.sh: nr_cpu_ids $((${possible##*[-,]} + 1))"
	# Another architecture: the machine, and the byte order its kernel
	# writes (the magic 0xeb9f of its BTF), as the guest sees them.
	if [ -f /foreign ]; then
		case $(head -c2 /sys/kernel/btf/vmlinux | od -An -tx1 | tr -d ' ') in
		9feb) order=little-endian ;;
		eb9f) order=big-endian ;;
		*) order=unknown-endian ;;
		esac
		echo "vm.sh: machine $(uname -m), $order"
	fi
	[ ! -f /wrap ] || echo "vm.sh: uname -r says $($(cat /wrap) uname -r)"
	$(cat /wrap 2>/dev/null) ./test_progs "$@"
	echo "vm.sh: exit status $?"
} > "$port" 2>&1
poweroff -f
INIT
}

# KERNEL -> release and image (what qemu boots), appended to the lists.
add_kernel() {
	local k=$1 dir vmlinux image release config pvh='Xen .*(\(0x00000012\)|PHYS32_ENTRY)'

	if [[ $k =~ ^[0-9]+\.[0-9]+ ]] && [ ! -f "$k" ]; then
		dir=$("$repo/scripts/kernel.sh" --arch "$VM_ARCH" "$k") || exit 1
		vmlinux=$dir/vmlinux image=$dir/vmlinux release=$(cat "$dir/release")
		config=$dir/config
		if [ "$VM_ARCH" != "$HOST_ARCH" ]; then
			image=$dir/image
			[ -s "$dir/btf" ] ||
				die "$k ($release): kernel has no BTF (needs CONFIG_DEBUG_INFO_BTF=y)"
			names+=("$k") releases+=("$release") images+=("$image")
			[ ! -f "$config" ] || configs+=("$config:$release")
			return
		fi
	elif [ "$VM_ARCH" != "$HOST_ARCH" ]; then
		die "$k: a kernel image path boots only on $HOST_ARCH (want a series or release)"
	else
		[ -f "$k" ] || die "$k: no such kernel image" \
			"(want a series like 6.12, a release like 6.18.5, all, points or a path)"
		[ -x "$KDIR/scripts/extract-vmlinux" ] ||
			die "$KDIR/scripts/extract-vmlinux missing: run ./run.sh --setup"
		vmlinux=$tmp/vmlinux.${#images[@]}
		"$KDIR/scripts/extract-vmlinux" "$k" > "$vmlinux" 2>/dev/null &&
			readelf -h "$vmlinux" >/dev/null 2>&1 ||
			die "$k: not a kernel image (extract-vmlinux found no vmlinux in it)"
		release=$(strings "$vmlinux" | sed -n 's/^Linux version \([^ ]*\) .*/\1/p')
		release=${release%%$'\n'*}
		[ -n "$release" ] || die "$k: no 'Linux version' string in its vmlinux"
		# A kernel built in a tree or build directory has its .config there.
		config=${k%/arch/*}/.config
		# Boot the vmlinux through its PVH entry if it has one: no decompressor.
		image=$k
		if readelf -n "$vmlinux" | grep -E "$pvh" >/dev/null; then
			image=$vmlinux
		fi
	fi
	readelf -SW "$vmlinux" | grep -E ' \.BTF ' >/dev/null ||
		die "$k ($release): kernel has no BTF (needs CONFIG_DEBUG_INFO_BTF=y)"
	names+=("$k")
	[ ! -f "$config" ] || configs+=("$config:$release")
	releases+=("$release")
	images+=("$image")
}

# The first line of FILE that says the guest kernel went wrong, if any.
kernel_error() {
	grep -Em1 "$KERNEL_ERRORS" "$1" 2>/dev/null | sed 's/^\[[^]]*\] *//; s/\r$//'
}

# One guest's verdict (run_guest's variables): its exit status, and in why
# what went wrong with the guest itself, if anything.
guest_verdict() {
	status=$(sed -n 's/^vm\.sh: exit status \([0-9]*\)$/\1/p' "$result" | tail -n1)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="guest timed out after ${VM_TIMEOUT}s"
	elif [ "$rc" != 0 ]; then
		why="qemu exited with $rc"
	elif why=$(kernel_error "$console") && [ -n "$why" ]; then
		why="guest kernel error: $why"
	elif [ -z "$status" ]; then
		why="no exit status from the guest"
	fi
}

# The kselftest lane's verdict on one guest: exit status 0 and KTAP that
# kunit.py parses; the record only for a pass.
kselftest_verdict() {
	local check=''

	grep -v '^vm\.sh: exit status ' "$result" > "$log.ktap" || true
	rm -f "$log.json"
	guest_verdict
	if [ -z "$why" ] && [ "$status" != 0 ]; then
		why="run_kselftest.sh exit status $status"
	elif [ -z "$why" ] &&
	     ! check=$("$repo/scripts/ktap-check.py" -J "$out.counts" "$log.ktap"); then
		why="invalid KTAP: $check"
	fi
	echo "=== $release (${wall%.*} s)"
	grep -E '^(not ok|ok) |^# (Totals|Summary)' "$log.ktap" || true
	[ -z "$check" ] || echo "$check"
	if [ -n "$why" ]; then
		echo "kselftest-vm: $release: FAILED: $why (console: $log.console)"
		tail -n 20 "$console"
		touch "$out.failed"
	else
		echo "kselftest-vm: $release: ok"
		printf '{"kernel": "%s", "accel": "%s", "exit": %s, "wall_s": %s, %s\n' "$release" \
			"$ACCEL" "$status" "${wall%.*}" "$(cut -c2- "$out.counts")" > "$log.json"
	fi
	: > "$out.row"
}

# run_guest NAME RELEASE IMAGE OUT: boot one guest, print its output; its
# row of the table goes to OUT.row, its JSON record to OUT.json, and
# OUT.failed marks a failure.
run_guest() {
	local name=$1 release=$2 image=$3 out=$4 console=$4.console result=$4.result
	local start wall rc=0 status why='' first sum passed='-' skipped='-' nfailed='-'
	local known='-' xpass='-' ncpus skipped_all='' boots march log

	log=$VM_LOGS/$release-$([ -n "$ksdir" ] && echo kselftest || echo "${VM_CPUS}cpu")

	for boots in 1 2; do
		rm -f "$console" "$result"
		rc=0
		start=$EPOCHREALTIME
		timeout -k 5 "$VM_TIMEOUT" "$QEMU" -accel "$ACCEL" "${VM_MACHINE[@]}" -smp "$VM_CPUS" \
			-m "$VM_MEM" -nodefaults -display none -no-reboot \
			-kernel "$image" -initrd "$tmp/initramfs.cpio" \
			-append "$CMDLINE" \
			-serial "file:$console" "${VM_RESULT_DEV[@]//RESULT/$result}" </dev/null &
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
		cp "$console" "$log.boot-error.console"
		echo "vm.sh: $release: kernel error before init, no test ran:" \
		     "$(kernel_error "$console"); booting again (console: $VM_LOGS)"
	done

	touch "$result"
	cp "$console" "$log.console" 2>/dev/null || true
	if [ -n "$ksdir" ]; then
		kselftest_verdict
		return
	fi
	cp "$result" "$log.out"
	ncpus=$(sed -n 's/^vm.sh: nr_cpu_ids \([0-9]*\)$/\1/p' "$result" | head -n1)
	# "aarch64, little-endian" -> "arm64, little-endian"
	march=$(sed -n 's/^vm.sh: machine \(.*\)$/\1/p' "$result" | head -n1 |
		sed 's/^aarch64,/arm64,/')
	echo "=== $release (nr_cpu_ids ${ncpus:-?}${march:+, $march})"
	grep -Ev '^vm.sh: (exit status|nr_cpu_ids|machine) ' "$result" || true
	guest_verdict
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
	# "Summary: 7/129 PASSED, 25 SKIPPED, 0 FAILED[, 2 KNOWN][, 1 XPASS]"
	sum='^Summary: ([0-9]+/[0-9]+) PASSED, ([0-9]+) SKIPPED, ([0-9]+) FAILED'
	sum+='(, ([0-9]+) KNOWN)?(, ([0-9]+) XPASS)?$'
	if [[ $(grep -E "$sum" "$result" | tail -n1) =~ $sum ]]; then
		passed=${BASH_REMATCH[1]} skipped=${BASH_REMATCH[2]} nfailed=${BASH_REMATCH[3]}
		known=${BASH_REMATCH[5]:-0} xpass=${BASH_REMATCH[7]:-0}
	fi
	[ -z "$why" ] || touch "$out.failed"
	[ -n "$why" ] || [ -z "$skipped_all" ] || why=skipped
	why=${why:-ok}
	[[ ! $known =~ ^[1-9] ]] || why+=", $known known"
	[[ ! $xpass =~ ^[1-9] ]] || why+=", $xpass xpass (stale known-failures entry)"
	# The names of the tests and subtests that reported a result: what
	# docs/vm-points.md's check compares with the suite of a later run.
	sed -n -E 's/^#[0-9]+(\/[0-9]+)?[[:space:]]+([^:]+):[A-Z].*/\2/p' "$result" | sort -u |
		jq -R . | jq -sc . > "$out.tests"
	jq -n --arg name "$name" --arg release "$release" --arg image "$image" \
		--arg passed "$passed" --slurpfile tests "$out.tests" \
		--arg skipped "$skipped" --arg failed "$nfailed" --arg known "$known" \
		--arg xpass "$xpass" --arg exit "$status" --arg wall "$wall" \
		--arg cpus "${ncpus:-}" --arg boots "$boots" --arg result "$why" \
		--arg arch "$VM_ARCH" --arg machine "${march:-}" '
		def num: tonumber? // null;
		{kernel: $name, release: $release, arch: $arch, machine: $machine, image: $image,
		 passed: ($passed | split("/")[0] | num),
		 passed_subtests: ($passed | split("/")[1] // "" | num),
		 skipped: ($skipped | num), failed: ($failed | num),
		 known: ($known | num), xpass: ($xpass | num), exit: ($exit | num),
		 wall_s: ($wall | num), nr_cpu_ids: ($cpus | num), boots: ($boots | num),
		 tests: $tests[0], result: $result}' > "$out.json"
	# Last: the row says the guest is done.
	printf '%-32s %9s %8s %7s %6s %5s %7ss  %s\n' "$release" "$passed" "$skipped" \
		"$nfailed" "$known" "$status" "$wall" "$why" > "$out.row"
}

# The results so far, in the order the kernels were named, to VM_JSON.
write_results() {
	local json=() n

	for n in "${!images[@]}"; do
		[ ! -f "$tmp/$n.json" ] || json+=("$tmp/$n.json")
	done
	jq -n --arg date "$date" --arg host "$(uname -r)" \
		--arg load "$load" --arg end_load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		--arg accel "$ACCEL" --arg cpus "$VM_CPUS" --arg jobs "$VM_JOBS" \
		--arg qemu "$("$QEMU" --version | head -n1)" \
		--arg elapsed "$((SECONDS - started))" \
		--arg named "${named[*]:-$VM_DEFAULT_SERIES}" \
		--argjson kernels "$(printf '%s\n' "${names[@]}" | jq -R . | jq -sc .)" \
		--argjson args "$(printf '%s\n' "${test_args[@]}" | jq -R . | jq -sc 'map(select(. != ""))')" '
		{lane: "vm", date: $date, host_kernel: $host,
		 elapsed_s: ($elapsed | tonumber), load_at_start: $load,
		 load_at_end: $end_load, accel: $accel, qemu: $qemu,
		 vcpus: ($cpus | tonumber), jobs: ($jobs | tonumber), named: $named,
		 test_progs_args: $args, kernels: $kernels, guests: [inputs]}' \
		"${json[@]}" < /dev/null > "$VM_JSON.tmp" && mv "$VM_JSON.tmp" "$VM_JSON"
}

# Print the output of each guest that ended, in order, up to the first one
# still running.
flush() {
	while [ "$shown" -lt ${#images[@]} ]; do
		if [ ! -f "$tmp/$shown.row" ]; then
			# Not started, still running, or ended without a verdict (a bug).
			[ -n "${gpids[$shown]:-}" ] || return 0
			! kill -0 "${gpids[$shown]}" 2>/dev/null || return 0
			printf '%-32s %9s %8s %7s %6s %5s %8s  %s\n' "${releases[$shown]}" \
				- - - - - - "vm.sh error" > "$tmp/$shown.row"
			jq -n --arg name "${names[$shown]}" --arg release "${releases[$shown]}" \
				'{kernel: $name, release: $release, result: "vm.sh error"}' \
				> "$tmp/$shown.json"
			touch "$tmp/$shown.failed"
		fi
		cat "$tmp/$shown.out"
		[ ! -f "$tmp/$shown.failed" ] || failed=1
		table+=("$(cat "$tmp/$shown.row")")
		shown=$((shown + 1))
		[ -n "$ksdir" ] || write_results
	done
}

names=() releases=() images=() configs=()
for k in "${kernels[@]}"; do
	add_kernel "$k"
done
test_args=("$@")
build_initramfs "$@"

date=$(date -u '+%Y-%m-%d %H:%M UTC') started=$SECONDS
load=$(cut -d' ' -f1-3 /proc/loadavg)
failed=0 shown=0
table=()
for i in "${!images[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$VM_JOBS" ]; do
		wait -n || true
		flush
	done
	(
		trap '[ -z "$qpid" ] || kill "$qpid" 2>/dev/null; exit 130' INT TERM
		run_guest "${names[$i]}" "${releases[$i]}" "${images[$i]}" "$tmp/$i" \
			> "$tmp/$i.out" 2>&1
	) &
	gpids[i]=$!
	flush
done
wait || true
flush
if [ "$shown" != ${#images[@]} ]; then
	echo "vm.sh: only $shown of ${#images[@]} guests reported"
	failed=1
fi
[ -z "$ksdir" ] || exit $failed

echo
printf '%-32s %9s %8s %7s %6s %5s %8s  %s\n' kernel passed skipped failed known exit wall result
printf '%s\n' "${table[@]}"
echo "vm.sh: results in $VM_JSON"
exit $failed
