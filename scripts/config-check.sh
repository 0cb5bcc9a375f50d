#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check our kselftest config fragment: every option of ./config exists in
# KDIR's Kconfig, and which options the running kernel and Debian's guest
# kernel of SERIES (default 6.12) miss (docs/lanes.md, "In-tree lane").
#
#   config-check [KDIR [SERIES]]       (run by ./run.sh --in-tree)
set -euo pipefail

cd "$(dirname "$(readlink -f "$0")")/.."
. scripts/lib.sh
kdir=${1:-${KDIR:-$STABLE_TREE}}
series=${2:-$STABLE_SERIES}
status=0

# The fragment as "NAME VALUE" lines; VALUE n for "# CONFIG_X is not set".
wanted() {
	sed -n -E 's/^(CONFIG_[A-Za-z0-9_]+)=(.*)/\1 \2/p;
		   s/^# (CONFIG_[A-Za-z0-9_]+) is not set/\1 n/p' config
}

symbols=$(find -H "$kdir" -name 'Kconfig*' -type f -print0 |
	  xargs -0 sed -n -E 's/^[[:space:]]*(menu)?config[[:space:]]+(\w+).*/CONFIG_\2/p' |
	  sort -u)
missing=$(wanted | cut -d' ' -f1 | sort -u | comm -23 - <(echo "$symbols"))
if [ -n "$missing" ]; then
	echo "config: FAIL: not defined by any Kconfig file in $kdir:" $missing
	status=1
else
	echo "config: all $(wanted | wc -l) options of config exist in $kdir's Kconfig"
fi

# satisfied WHAT CONFIG_TEXT: print which options a kernel config misses.
satisfied() {
	local what=$1 text=$2 name want have lacks=""
	while read -r name want; do
		have=$(sed -n -E "s/^$name=(.*)/\1/p" <<< "$text")
		case $want:$have in
		n:|n:n|y:y|m:y|m:m) ;;
		*) [ "$want" = "$have" ] || lacks="$lacks $name=$want (has ${have:-not set})";;
		esac
	done < <(wanted)
	if [ -n "$lacks" ]; then
		echo "config: $what lacks:$lacks"
	else
		echo "config: $what satisfies config"
	fi
}

if [ -r /proc/config.gz ]; then
	satisfied "running kernel $(uname -r) (/proc/config.gz)" "$(zcat /proc/config.gz)"
elif [ -r "/boot/config-$(uname -r)" ]; then
	satisfied "running kernel $(uname -r)" "$(cat "/boot/config-$(uname -r)")"
else
	echo "config: running kernel $(uname -r): no /proc/config.gz, no /boot/config-$(uname -r)"
fi

if guest=$(scripts/kernel.sh "$series" 2>/dev/null) && [ -r "$guest/config" ]; then
	satisfied "guest $(cat "$guest/release")" "$(cat "$guest/config")"
else
	echo "config: no Debian $series guest kernel config (scripts/kernel.sh $series)"
fi
exit $status
