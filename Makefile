# SPDX-License-Identifier: GPL-2.0
# The runner is upstream's test_progs: runner/build.sh builds it with the
# stable tree's own build, libbpf and bpftool, in a pruned copy of the
# tree (OUTPUT/tree) with progs/ and prog_tests/ dropped in, as the in-tree
# lane does. OUTPUT/test_progs[-FLAVOR] is runner/test_progs.sh in front
# of it: known failures, KTAP, kselftest's exit statuses (docs/runner.md).
#
#   test_progs -> "make vm": run in Debian kernels under qemu
#   test_progs -> "make install": kselftest's directory

CACHE		?= $(HOME)/.cache/cpumask-selftests
KDIR		?= $(CACHE)/linux
OUTPUT		?= $(CURDIR)/build
override OUTPUT := $(abspath $(OUTPUT))
export CACHE KDIR OUTPUT
# VMLINUX_BTF: the BTF the programs are compiled against; default the
# BTF of Debian's kernel of the tree's series (runner/build.sh).
ifneq ($(VMLINUX_BTF),)
export VMLINUX_BTF
endif
# ARCH=arm64|s390x: cross-built (runner/build.sh), as "./run.sh --vm --arch"
ifneq ($(ARCH),)
export ARCH
endif

# Upstream's flavors: no_alu32 (BPF ISA v2), cpuv4 (v4, built by clang-22
# in a tree of its own: the stable tree's clang-16 lacks -mcpu=v4).
FLAVORS		:= no_alu32 cpuv4
FLAVOR		?=
ifneq ($(filter-out $(FLAVORS),$(FLAVOR)),)
$(error FLAVOR=$(FLAVOR): not one of: $(FLAVORS))
endif
RUNNER		:= $(OUTPUT)/test_progs$(if $(FLAVOR),-$(FLAVOR))

# SANITIZE=1: test_progs and libbpf with ASan and UBSan, stopping at the
# first report (use a separate OUTPUT), through upstream's SAN_CFLAGS.
ifneq ($(SANITIZE),)
export SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
		     -fno-omit-frame-pointer
endif

Q		:= $(if $(V),,@)

.PHONY: all flavors vm clean in-tree patch check-docs bench install run_tests
.DEFAULT_GOAL	:= all

all:
	$(Q)runner/build.sh $(FLAVOR)

flavors:
	$(Q)runner/build.sh $(FLAVORS)

# kselftest's targets. "make install INSTALL_PATH=DIR" puts in DIR the
# runner (runner/ and the test_progs in front of it), the entry point
# run_kselftest.sh, kselftest-list.txt, the config fragment and the known
# failures. "make run_tests" installs into the build directory and runs
# that: KTAP on stdout. The entry point exits 0, 1 (a test failed) or 4
# (every test skipped); make fails only on a failure, as kselftest counts
# a run that skipped everything as a skip.
INSTALL_PATH	?= $(OUTPUT)/kselftest
override INSTALL_PATH := $(abspath $(INSTALL_PATH))

install: all
	$(Q)echo "  INSTALL  $(INSTALL_PATH)"
	$(Q)mkdir -p $(INSTALL_PATH)/runner
	$(Q)install -m 755 $(RUNNER) runner/run_kselftest.sh $(INSTALL_PATH)/
	$(Q)install -m 755 $(OUTPUT)/runner/$(subst -,.,$(notdir $(RUNNER))) $(INSTALL_PATH)/runner/
	$(Q)install -m 644 config known-failures $(INSTALL_PATH)/
	$(Q)echo "bpf_cpumask_create:$(notdir $(RUNNER))" > $(INSTALL_PATH)/kselftest-list.txt

run_tests: install
	$(Q)$(INSTALL_PATH)/run_kselftest.sh $(TEST_ARGS) || [ $$? = 4 ]

# VM_KERNELS: series (6.1, 6.12) or image paths; empty: scripts/vm.sh's default.
vm: all
	$(Q)TEST_PROGS=$(RUNNER) scripts/vm.sh $(VM_KERNELS) -- $(TEST_ARGS)

clean:
	$(Q)rm -rf $(OUTPUT)

# The lanes that use a kernel tree (TREE: a path, 6.12 or 7.3; default the
# current tree): upstream's test_progs running our tests in a scratch copy
# of it, and the patch series that adds them to it.
in-tree:
	scripts/in-tree.sh $(TREE)

patch:
	scripts/patch.sh $(TREE)

# The benchmark is upstream's bench, built by a kernel tree's own build
# with benchs/bench_cpumask_create.c registered in it (scripts/bench.sh).
bench:
	scripts/bench.sh --build

# The examples the documentation quotes are the programs in progs/.
check-docs:
	scripts/check-docs.sh
