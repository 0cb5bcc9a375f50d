# SPDX-License-Identifier: GPL-2.0
# Sourced by every script: the one home of the cache, the kernel series the
# lanes default to, die(), and the private apt configuration through which
# Debian's newer suites are reached without touching the system's sources.

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpumask-selftests}
export CACHE
# The machine's own architecture (Debian's name), the lanes' default.
HOST_ARCH=$(dpkg --print-architecture)

# Kernel trees: the stable tree (6.12 LTS, bookworm-backports) and the
# current one (newest linux-source Debian carries). KDIR defaults to the
# stable tree, unpacked by --setup.
STABLE_SERIES=6.12
CURRENT_SERIES=7.3
STABLE_TREE=$CACHE/linux
CURRENT_TREE=$CACHE/linux-$CURRENT_SERIES
# The tree whose selftests Makefile builds upstream's bench for the
# benchmark lane: it needs bench_bpf_timing, which the 6.12 tree lacks.
BENCH_SERIES=$CURRENT_SERIES
# What ./run.sh --vm runs when no kernel is named: the oldest Debian kernel
# (no kfunc: every test skips), the stable tree, the host's series and the
# newest.
VM_DEFAULT_SERIES="6.1 $STABLE_SERIES 6.18 $CURRENT_SERIES"

die() { echo "${LANE:-${0##*/}}: $*" >&2; exit 1; }

# missing_pkgs PKG...: those of the Debian packages not installed, each
# after a space.
missing_pkgs() {
	local p
	for p; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			printf ' %s' "$p"
	done
}

# runner_binary TEST_PROGS: upstream's binary that TEST_PROGS, our runner
# script (runner/test_progs.sh, "bin=$here/PATH"), runs; nothing for a
# binary.
runner_binary() {
	local inner
	head -c 2 "$1" 2>/dev/null | grep -q '#!' || return 0
	inner=$(sed -n 's|^bin=\$here/||p' "$1" | head -n 1)
	[ -z "$inner" ] || echo "$(dirname "$1")/$inner"
}

# qemu's accelerator for the guests, printed: kvm when /dev/kvm opens and a
# probe guest runs under it for a second (a /dev/kvm can open and still
# fail at the first vCPU), else TCG with one thread for all vCPUs: with a
# thread per vCPU, a vCPU can run code another one is patching and trip
# the kernel's int3 text patching ("Oops: int3" at boot and mid-run, 2
# vCPUs), which no real CPU does; one thread cost no guest time measured.
# VM_ACCEL= forces a qemu -accel value.
vm_accel() {
	local qemu=${QEMU:-qemu-system-x86_64}

	if [ -n "${VM_ACCEL:-}" ]; then
		echo "$VM_ACCEL"
	elif [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	     ( { sleep 1; echo quit; } | timeout 20 "$qemu" -accel kvm -cpu max -m 64M \
		-nodefaults -display none -monitor stdio ) >/dev/null 2>&1; then
		echo kvm
	else
		echo tcg,thread=single
	fi
}

# Private apt configuration in the cache: bookworm (the system's suites)
# plus trixie, trixie-backports, sid and experimental, built from the URIs
# already in debian.sources. Used only for "apt-get download"; nothing from
# it is installed, and the system's sources are never changed. Every suite
# is verified against Debian's archive keyring (APT_KEYRING), so a package
# list or a package that does not verify is refused, never used.
APT_DIR=$CACHE/apt
APT_KEYRING=${APT_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
apt_private() {
	local uri sec suite
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
	      /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	sec=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' \
	      /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian archive URI in /etc/apt/sources.list.d/debian.sources"
	[ -r "$APT_KEYRING" ] ||
		die "no Debian archive keyring at $APT_KEYRING: install debian-archive-keyring"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	{
		for suite in bookworm bookworm-updates bookworm-backports trixie \
			     trixie-backports sid experimental; do
			echo "deb [signed-by=$APT_KEYRING] $uri $suite main"
		done
		[ -z "$sec" ] || echo "deb [signed-by=$APT_KEYRING] $sec bookworm-security main"
	} > "$APT_DIR/sources.list.new"
	# Lists fetched under other sources (another key) are fetched again.
	if cmp -s "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"; then
		rm -f "$APT_DIR/sources.list.new"
	else
		mv "$APT_DIR/sources.list.new" "$APT_DIR/sources.list"
		rm -f "$APT_DIR/lists/.updated"
	fi
	APT_LISTS=$APT_DIR/lists
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
		  -o Dir::Etc::SourceParts=/dev/null
		  -o "Dir::State::Lists=$APT_LISTS"
		  -o "Dir::Cache=$APT_DIR/cache"
		  -o Dir::State::Status=/dev/null
		  -o APT::Sandbox::User=root)
	# APT_ARCH (arm64, s390x): that architecture's lists, kept apart
	# from the host's so that neither update drops the other's.
	if [ -n "${APT_ARCH:-}" ] && [ "$APT_ARCH" != "$HOST_ARCH" ]; then
		APT_LISTS=$APT_DIR/lists-$APT_ARCH
		mkdir -p "$APT_LISTS/partial"
		cmp -s "$APT_DIR/sources.list" "$APT_LISTS/.sources" ||
			rm -f "$APT_LISTS/.updated"
		APT_OPTS+=(-o "Dir::State::Lists=$APT_LISTS"
			   -o "APT::Architecture=$APT_ARCH"
			   -o "APT::Architectures::=$APT_ARCH")
	fi
}

# apt_private_update: refresh the private lists, at most once a day. A list
# that fails verification stops the lane with apt's own words; a list that
# cannot be fetched at all (offline) leaves the last verified lists in use.
apt_private_update() {
	local out
	apt_private
	[ -z "$(find "$APT_LISTS/.updated" -mmin -1440 2>/dev/null)" ] || return 0
	if out=$(flock "$APT_DIR/.lock" apt-get "${APT_OPTS[@]}" --error-on=any update -q 2>&1); then
		[ "$APT_LISTS" = "$APT_DIR/lists" ] || cp "$APT_DIR/sources.list" "$APT_LISTS/.sources"
		touch "$APT_LISTS/.updated"
		return 0
	fi
	if grep -Eq 'NO_PUBKEY|EXPKEYSIG|BADSIG|not signed|signatures (were invalid|couldn.t be verified)|verif|Hash Sum mismatch' <<< "$out"; then
		grep -E '^(E|W): ' <<< "$out" | head -n 4 | sed 's/^/  /' >&2
		die "apt-get update: Debian's package lists failed verification against $APT_KEYRING: refusing them"
	fi
	ls "$APT_LISTS"/*_InRelease >/dev/null 2>&1 || {
		grep -E '^(E|W): ' <<< "$out" | head -n 4 | sed 's/^/  /' >&2
		die "apt-get update failed and there are no package lists yet"
	}
	echo "${LANE:-${0##*/}}: apt-get update failed (offline?): using the lists fetched before" >&2
}

# vm_arch ARCH: how qemu boots a guest of ARCH (the host's, arm64 or
# s390x), for the lanes that boot guests. Sets QEMU (unless given),
# VM_MACHINE (qemu's machine and CPU options), VM_CONSOLE (the kernel's
# console, the first port), VM_RESULT_DEV (qemu options adding the port
# a guest writes its results to; RESULT stands for the file) and
# VM_RESULT_TTY (that port in the guest). arm64's virt machine has one
# UART and s390x none, so a virtio console (hvc0) carries the results.
# shellcheck disable=SC2034 # set for the scripts that source this file
vm_arch() {
	VM_MACHINE=(-cpu max) VM_CONSOLE=ttyS0 VM_RESULT_TTY=ttyS1
	VM_RESULT_DEV=(-serial "file:RESULT")
	case $1 in
	"$HOST_ARCH")
		QEMU=${QEMU:-qemu-system-x86_64}
		;;
	arm64)
		# pauth-impdef: pointer authentication, far cheaper to emulate
		QEMU=${QEMU:-qemu-system-aarch64} VM_CONSOLE=ttyAMA0
		VM_MACHINE=(-M virt -cpu "max,pauth-impdef=on")
		VM_RESULT_DEV=(-device virtio-serial-pci -chardev "file,id=result,path=RESULT"
			       -device "virtconsole,chardev=result") VM_RESULT_TTY=hvc0
		;;
	s390x)
		QEMU=${QEMU:-qemu-system-s390x} VM_CONSOLE=ttysclp0
		VM_MACHINE=(-M s390-ccw-virtio -cpu max)
		VM_RESULT_DEV=(-device virtio-serial-ccw -chardev "file,id=result,path=RESULT"
			       -device "virtconsole,chardev=result") VM_RESULT_TTY=hvc0
		;;
	*)
		die "architecture '$1': want $HOST_ARCH, arm64 or s390x"
		;;
	esac
}

# vm_arch_option ARGS...: the guest architecture of a lane that boots
# guests, from its leading "--arch ARCH" (else VM_ARCH, else the host's),
# set up by vm_arch. Sets VM_ARCH_SHIFT, the arguments it took, and
# VM_TIMEOUT_DEFAULT, seconds per guest: foreign guests run slower (TCG).
vm_arch_option() {
	VM_ARCH=${VM_ARCH:-$HOST_ARCH} VM_ARCH_SHIFT=0
	if [ "${1:-}" = --arch ]; then
		[ $# -ge 2 ] || die "--arch needs arm64 or s390x"
		VM_ARCH=$2 VM_ARCH_SHIFT=2
	fi
	vm_arch "$VM_ARCH"
	VM_TIMEOUT_DEFAULT=$([ "$VM_ARCH" = "$HOST_ARCH" ] && echo 300 || echo 600)
}
