#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove that "make install" output runs on its own, in guests that hold only
# busybox and the installed directory: scripts/vm.sh --kselftest.
#
#   scripts/kselftest-vm.sh [--arch ARCH] INSTALL_DIR [KERNEL...]
exec "$(dirname "$(readlink -f "$0")")/vm.sh" --kselftest "$@"
