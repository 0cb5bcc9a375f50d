# SPDX-License-Identifier: GPL-2.0
# Sourced by every script: the one home of the cache, the kernel series the
# lanes default to, die(), and the private apt configuration through which
# Debian's newer suites are reached without touching the system's sources.

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cpumask-selftests}
export CACHE

# Kernel trees: the stable tree (6.12 LTS, bookworm-backports) and the
# current one (newest linux-source Debian carries). KDIR defaults to the
# stable tree, unpacked by --setup.
STABLE_SERIES=6.12
CURRENT_SERIES=7.3
STABLE_TREE=$CACHE/linux
CURRENT_TREE=$CACHE/linux-$CURRENT_SERIES
# What ./run.sh --vm runs when no kernel is named: the oldest Debian kernel
# (no kfunc: every test skips), the stable tree, the host's series and the
# newest.
VM_DEFAULT_SERIES="6.1 $STABLE_SERIES 6.18 $CURRENT_SERIES"

die() { echo "${LANE:-${0##*/}}: $*" >&2; exit 1; }

# Private apt configuration in the cache: bookworm (the system's suites)
# plus trixie, trixie-backports, sid and experimental, built from the URIs
# already in debian.sources. Used only for "apt-get download"; nothing from
# it is installed, and the system's sources are never changed.
APT_DIR=$CACHE/apt
apt_private() {
	local uri sec suite
	uri=$(awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' \
	      /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	sec=$(awk '/^URIs:/ && $2 ~ /security/ { print $2; exit }' \
	      /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || die "no Debian archive URI in /etc/apt/sources.list.d/debian.sources"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	{
		for suite in bookworm bookworm-updates bookworm-backports trixie \
			     trixie-backports sid experimental; do
			echo "deb [trusted=yes] $uri $suite main"
		done
		[ -z "$sec" ] || echo "deb [trusted=yes] $sec bookworm-security main"
	} > "$APT_DIR/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
		  -o Dir::Etc::SourceParts=/dev/null
		  -o "Dir::State::Lists=$APT_DIR/lists"
		  -o "Dir::Cache=$APT_DIR/cache"
		  -o Dir::State::Status=/dev/null
		  -o APT::Sandbox::User=root)
}

# apt_private_update: refresh the private lists, at most once a day.
apt_private_update() {
	apt_private
	if [ -z "$(find "$APT_DIR/lists/.updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get "${APT_OPTS[@]}" update -qq >/dev/null 2>&1 &&
			touch "$APT_DIR/lists/.updated"
	fi
	return 0
}
