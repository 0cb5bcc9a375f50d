# SPDX-License-Identifier: GPL-2.0
# The pipeline:  KDIR -> libbpf.a
#                VMLINUX_BTF -> vmlinux.h -> progs/*.bpf.o -> *.skel.h
#                prog_tests/*.c + harness/*.c + skeletons
#                  + the tree's network_helpers.c -> test_progs
#                the same for each flavor F: F/ -> test_progs-F ("make flavors")
#                test_progs -> "make vm": run in Debian kernels under qemu
#                test_progs (static) -> "make install": kselftest's directory

CACHE		?= $(HOME)/.cache/cpumask-selftests
KDIR		?= $(CACHE)/linux
VMLINUX_BTF	?= /sys/kernel/btf/vmlinux
OUTPUT		?= $(CURDIR)/build
CLANG		?= clang-16
BPFTOOL		?= bpftool
CC		?= gcc

# Another architecture: ARCH=arm64, or ARCH=s390x (s390), as
# "./run.sh --vm --arch ARCH" builds it. Debian's cross compiler links the
# runner statically against the target's libelf and zlib, from the sysroot
# scripts/setup-arch.sh unpacks into the cache; the BPF objects are in the
# target's byte order; OUTPUT is its own (build/ARCH). VMLINUX_BTF should
# be the target kernel's BTF (scripts/kernel.sh --arch ARCH puts it in the
# kernel's directory as "btf").
CROSS_TRIPLE_arm64 := aarch64-linux-gnu
CROSS_TRIPLE_s390x := s390x-linux-gnu
CROSS_ARCH	:= $(patsubst s390,s390x,$(filter-out x86 x86_64 amd64,$(ARCH)))
ifneq ($(CROSS_ARCH),)
CROSS_TRIPLE	:= $(CROSS_TRIPLE_$(CROSS_ARCH))
$(if $(CROSS_TRIPLE),,$(error ARCH=$(ARCH): arm64 or s390x))
ifeq ($(origin OUTPUT),file)
OUTPUT		:= $(CURDIR)/build/$(CROSS_ARCH)
endif
CC		:= $(CROSS_TRIPLE)-gcc
SYSROOT		?= $(CACHE)/sysroot/$(CROSS_ARCH)
endif

override OUTPUT := $(abspath $(OUTPUT))
LIBBPF_SRC	:= $(KDIR)/tools/lib/bpf
LIBBPF_A	:= $(OUTPUT)/libbpf/libbpf.a
INCLUDE		:= $(OUTPUT)/usr/include
TOOLS_INCLUDE	:= $(KDIR)/tools/include
UAPI		:= $(TOOLS_INCLUDE)/uapi

# Upstream's helpers our programs use, taken from the stable tree (whose
# cpumask_common.h declares no bpf_cpumask_populate() to clash with the
# running kernel's vmlinux.h): progs/cpumask_common.h, and the dummy
# gnu/stubs.h that lets its <errno.h> compile for --target=bpf.
UPSTREAM_SEL	?= $(CACHE)/linux/tools/testing/selftests/bpf
UPSTREAM_HDRS	:= $(OUTPUT)/upstream/cpumask_common.h $(OUTPUT)/upstream/gnu/stubs.h

BPF_SRCS	:= $(wildcard progs/*.c)
TEST_SRCS	:= $(wildcard prog_tests/*.c)
HARNESS_SRCS	:= $(wildcard harness/*.c)
# Upstream's network helpers, linked into the runner as into upstream's.
NET_HELPERS	:= $(OUTPUT)/obj/upstream/network_helpers.o

# Upstream's flavors of test_progs (its Makefile's DEFINE_TEST_RUNNER): the
# same programs and tests, the BPF code compiled for another BPF ISA, each
# flavor's objects, skeletons and tests in its own directory. The flags are
# set where each flavor is defined, below. test_progs-cpuv4 needs a clang
# that knows -mcpu=v4 (17+): CLANG if it does, else clang-22 if installed;
# with neither there is no cpuv4 flavor, as upstream's Makefile decides.
ifeq ($(origin CLANG_CPUV4),undefined)
CLANG_CPUV4	:= $(firstword $(foreach c,$(CLANG) clang-22,$(if $(shell \
		   $(c) --target=bpf -mcpu=help 2>&1 | grep -w v4),$(c))))
endif
FLAVORS		:= $(strip no_alu32 $(if $(CLANG_CPUV4),cpuv4))
# FLAVOR=F: "make", "make install" and the lanes use test_progs-F.
FLAVOR		?=
ifneq ($(filter-out $(FLAVORS),$(FLAVOR)),)
$(error FLAVOR=$(FLAVOR): not one of: $(FLAVORS)$(if $(CLANG_CPUV4),, (cpuv4 needs a clang with -mcpu=v4)))
endif
# fdir/fbin/fobjs FLAVOR: a flavor's directory, runner and objects
fdir		= $(OUTPUT)$(if $1,/$1)
fbin		= $(OUTPUT)/test_progs$(if $1,-$1)
fobjs		= $(patsubst %.c,$(call fdir,$1)/obj/%.o,$(TEST_SRCS) $(HARNESS_SRCS))
RUNNER		:= $(call fbin,$(FLAVOR))

BPF_CFLAGS	:= -g -O2 --target=bpf -D__TARGET_ARCH_x86 \
		   -fms-extensions -Wno-microsoft-anon-tag \
		   -I$(OUTPUT) -I$(INCLUDE) -Iharness -I$(OUTPUT)/upstream \
		   -idirafter /usr/include/$(shell $(CC) -dumpmachine) -Wall -Werror \
		   -Wno-compare-distinct-pointer-types
CFLAGS		?= -g -O2
# SANITIZE=1: the runner and libbpf with ASan and UBSan, stopping at the
# first report (use a separate OUTPUT)
comma		:= ,
SAN_FLAGS	:= $(if $(SANITIZE),-fsanitize=address$(comma)undefined \
		   -fno-sanitize-recover=all -fno-omit-frame-pointer)
# As upstream's: the tree's tools/include (linux/filter.h's instruction
# macros, u64 ...), and its selftests directory for its helpers' headers
# (network_helpers.h), after the system's and ours (harness/test_progs.h).
USER_CFLAGS	:= $(CFLAGS) $(SAN_FLAGS) -Wall -Werror -MMD -MP -I$(OUTPUT) -I$(INCLUDE) \
		   -I$(TOOLS_INCLUDE) -I$(UAPI) -Iharness -Iprog_tests -idirafter $(UPSTREAM_SEL) \
		   -D_GNU_SOURCE=
LDLIBS		:= -lelf -lz -lpthread

# The target's byte order, __TARGET_ARCH_ (bpf_tracing.h) and headers;
# libbpf built for it by the cross compiler.
ifneq ($(CROSS_ARCH),)
BPF_TARGET_arm64 := bpfel
BPF_TARGET_s390x := bpfeb
SRCARCH_arm64	:= arm64
SRCARCH_s390x	:= s390
BPF_CFLAGS	:= $(patsubst --target=bpf,--target=$(BPF_TARGET_$(CROSS_ARCH)), \
		   $(patsubst -D__TARGET_ARCH_x86,-D__TARGET_ARCH_$(SRCARCH_$(CROSS_ARCH)), \
		   $(patsubst /usr/include/$(CROSS_TRIPLE),/usr/include/$(shell gcc -dumpmachine), \
		   $(BPF_CFLAGS))))
USER_CFLAGS	+= -I$(SYSROOT)/usr/include
LDLIBS		:= -static -L$(SYSROOT)/usr/lib/$(CROSS_TRIPLE) $(LDLIBS)
LIBBPF_CROSS	:= CC=$(CC) LD=$(CROSS_TRIPLE)-ld AR=$(CROSS_TRIPLE)-ar ARCH=$(SRCARCH_$(CROSS_ARCH)) \
		   EXTRA_CFLAGS="-g -O2 -I$(SYSROOT)/usr/include"
# The other byte order (s390x): Debian's bpftool 7.5 (libbpf 1.5) refuses
# to open a big-endian object ("Endian mismatch"); libbpf 1.6 opens either,
# so the skeletons come from the bootstrap bpftool of the current tree,
# built for this host, as upstream's selftests build their own.
ifeq ($(CROSS_ARCH),s390x)
BPFTOOL_TREE	?= $(CACHE)/linux-7.3
BPFTOOL		:= $(OUTPUT)/bpftool/bootstrap/bpftool
$(BPFTOOL):
	$(Q)test -d $(BPFTOOL_TREE)/tools/bpf/bpftool || \
		{ echo "no $(BPFTOOL_TREE)/tools/bpf/bpftool: run ./run.sh --setup" >&2; exit 1; }
	$(Q)echo "  BPFTOOL  $@"
	$(Q)mkdir -p $(OUTPUT)/bpftool
	$(Q)$(MAKE) -s -C $(BPFTOOL_TREE)/tools/bpf/bpftool ARCH= CROSS_COMPILE= \
		OUTPUT=$(OUTPUT)/bpftool/ bootstrap >/dev/null
$(SKELS) $(OUTPUT)/vmlinux.h: | $(BPFTOOL)
endif
# Kernels of one architecture share build/ARCH: another kernel's BTF
# (an older file) regenerates vmlinux.h too.
.DEFAULT_GOAL	:= all
$(OUTPUT)/vmlinux.h: $(OUTPUT)/vmlinux-btf.path
$(OUTPUT)/vmlinux-btf.path: FORCE | $(OUTPUT)
	$(Q)echo "$(abspath $(VMLINUX_BTF))" > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@
$(if $(wildcard $(SYSROOT)/usr/lib/$(CROSS_TRIPLE)/libelf.a),, \
	$(error no $(SYSROOT)/usr/lib/$(CROSS_TRIPLE)/libelf.a: run scripts/setup-arch.sh $(CROSS_ARCH)))
endif

Q		:= $(if $(V),,@)

.PHONY: all flavors vm clean check-kdir in-tree patch check-docs bench install run_tests FORCE
.DELETE_ON_ERROR:

all: $(RUNNER)

# Every flavor, as upstream's default target builds them.
flavors: $(call fbin) $(foreach f,$(FLAVORS),$(call fbin,$f))

check-kdir:
	@test -d $(LIBBPF_SRC) || { echo "KDIR=$(KDIR) has no tools/lib/bpf: run ./run.sh --setup" >&2; exit 1; }

$(LIBBPF_A): | check-kdir
	$(Q)echo "  LIBBPF   $@"
	$(Q)mkdir -p $(OUTPUT)/libbpf
	$(Q)$(MAKE) -s -C $(LIBBPF_SRC) OUTPUT=$(OUTPUT)/libbpf/ DESTDIR=$(OUTPUT)/usr \
		prefix= BUILD_STATIC_ONLY=1 $(if $(SAN_FLAGS),EXTRA_CFLAGS="-g -O2 $(SAN_FLAGS)") \
		$(LIBBPF_CROSS) $(LIBBPF_A) install_headers >/dev/null

$(OUTPUT)/vmlinux.h: $(VMLINUX_BTF)
	$(Q)test -r $< || { echo "no kernel BTF at $<" >&2; exit 1; }
	$(Q)echo "  GEN      $@"
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $< format c > $@

$(VMLINUX_BTF):
	@echo "no kernel BTF at $@: the kernel needs CONFIG_DEBUG_INFO_BTF=y, or pass VMLINUX_BTF=" >&2; exit 1

$(OUTPUT)/upstream/cpumask_common.h: $(UPSTREAM_SEL)/progs/cpumask_common.h
	$(Q)mkdir -p $(@D) && cp $< $@

$(OUTPUT)/upstream/gnu/stubs.h: $(UPSTREAM_SEL)/gnu/stubs.h
	$(Q)mkdir -p $(@D) && cp $< $@

$(UPSTREAM_SEL)/%:
	@echo "no $@: run ./run.sh --setup" >&2; exit 1

# Tests are found the way upstream finds them: by their entry points, and
# numbered in the order upstream's sort of "DEFINE_TEST(name)" lines gives.
# Regenerated on every run (and replaced only when it changes), so that a
# deleted test file drops its test too.
$(OUTPUT)/tests.h: $(TEST_SRCS) FORCE | $(OUTPUT)
	$(Q)sed -n -E 's/^void (serial_)?test_([a-zA-Z0-9_]+)\((void)?\).*/DEFINE_TEST(\2) \2 \1/p' \
		$(TEST_SRCS) | sort -k1,1 | \
		awk '{ n = $$2; s = $$3; \
		       printf "void %stest_%s(void);\n", s, n; \
		       list = list sprintf(" \\\n\tDEFINE_TEST(%s, %s)", n, s) } \
		     END { printf "#define TEST_LIST%s\n", list }' > $@.tmp
	$(Q)cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

# The known-failures list, built into the runner as a C string, so that
# every copy of test_progs (a guest, an installed directory) carries it.
$(OUTPUT)/known_failures.h: known-failures | $(OUTPUT)
	$(Q)sed -e 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $< | \
		{ echo 'static const char known_failures_builtin[] ='; cat; echo '\t"";'; } > $@

$(OUTPUT):
	$(Q)mkdir -p $@

# FLAVOR_RULES F CLANG BPF_FLAGS: flavor F's programs, skeletons, tests and
# runners (test_progs-F, and its static twin for "make install"), in
# $(OUTPUT)/F; F empty: test_progs, in $(OUTPUT).
define FLAVOR_RULES
$(patsubst progs/%.c,$(call fdir,$1)/%.bpf.o,$(BPF_SRCS)): $(call fdir,$1)/%.bpf.o: progs/%.c \
		$(wildcard progs/*.h) harness/bpf_misc.h $(OUTPUT)/vmlinux.h $(UPSTREAM_HDRS) $(LIBBPF_A)
	$$(Q)echo "  CLANG-BPF $$@"
	$$(Q)mkdir -p $$(@D)
	$$(Q)$2 $$(BPF_CFLAGS) $3 -c $$< -o $$@

$(patsubst progs/%.c,$(call fdir,$1)/%.skel.h,$(BPF_SRCS)): $(call fdir,$1)/%.skel.h: \
		$(call fdir,$1)/%.bpf.o
	$$(Q)echo "  GEN-SKEL $$@"
	$$(Q)$$(BPFTOOL) gen skeleton $$< name $$* > $$@

.SECONDARY: $(patsubst progs/%.c,$(call fdir,$1)/%.bpf.o,$(BPF_SRCS)) \
	    $(patsubst progs/%.c,$(call fdir,$1)/%.skel.h,$(BPF_SRCS))

$(call fobjs,$1): $(call fdir,$1)/obj/%.o: %.c $(OUTPUT)/tests.h | \
		$(patsubst progs/%.c,$(call fdir,$1)/%.skel.h,$(BPF_SRCS)) $(LIBBPF_A)
	$$(Q)echo "  CC       $$@"
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) -I$(call fdir,$1) $$(USER_CFLAGS) -c $$< -o $$@

$(call fdir,$1)/obj/harness/test_progs.o: $(OUTPUT)/known_failures.h

$(call fbin,$1): $(call fobjs,$1) $(NET_HELPERS) $(LIBBPF_A)
	$$(Q)echo "  LINK     $$@"
	$$(Q)$$(CC) $$(CFLAGS) $$(SAN_FLAGS) -o $$@ $$(filter %.o %.a,$$^) $$(LDLIBS)

$(OUTPUT)/static/$(notdir $(call fbin,$1)): $(call fobjs,$1) $(NET_HELPERS) $(LIBBPF_A)
	$$(Q)$$(if $$(SANITIZE),echo "install: SANITIZE=1 cannot link statically" >&2; exit 1)
	$$(Q)echo "  LINK     $$@"
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CC) $$(CFLAGS) -static -o $$@ $$(filter %.o %.a,$$^) $$(LDLIBS)

-include $(patsubst %.o,%.d,$(call fobjs,$1))
endef

# test_progs: BPF ISA v3 (32-bit subregisters, atomics).
$(eval $(call FLAVOR_RULES,,$(CLANG),-mcpu=v3 -DENABLE_ATOMICS_TESTS))
# test_progs-no_alu32: v2, no 32-bit subregisters, no atomics but the
# fetch-less add; programs that need more test ENABLE_ATOMICS_TESTS.
$(eval $(call FLAVOR_RULES,no_alu32,$(CLANG),-mcpu=v2))
# test_progs-cpuv4: v4 (sign extension, signed division, gotol ...).
ifneq ($(CLANG_CPUV4),)
$(eval $(call FLAVOR_RULES,cpuv4,$(CLANG_CPUV4),-mcpu=v4 -DENABLE_ATOMICS_TESTS))
endif

# network_helpers.c is compiled from a copy: in its own directory, its
# #include "test_progs.h" would find upstream's runner, not ours.
$(OUTPUT)/obj/upstream/network_helpers.c: $(UPSTREAM_SEL)/network_helpers.c
	$(Q)mkdir -p $(@D) && cp $< $@

$(NET_HELPERS): $(OUTPUT)/obj/upstream/network_helpers.c | $(LIBBPF_A)
	$(Q)echo "  CC       $@"
	$(Q)$(CC) $(USER_CFLAGS) -c $< -o $@

# The benchmark is upstream's bench, built by a kernel tree's own Makefile
# with benchs/bench_cpumask_create.c registered in it (scripts/bench.sh).
bench:
	scripts/bench.sh --build

# kselftest's targets. "make install INSTALL_PATH=DIR" puts in DIR all a
# test machine needs, with no compiler, bpftool or kernel tree there: the
# runner linked statically (its BPF objects are inside it, in the
# skeletons), the entry point run_kselftest.sh, kselftest-list.txt, the
# config fragment and the known failures. "make run_tests" installs into
# the build directory and runs that: KTAP on stdout. The entry point exits
# 0, 1 (a test failed) or 4 (every test skipped); make fails only on a
# failure, as kselftest counts a run that skipped everything as a skip.
INSTALL_PATH	?= $(OUTPUT)/kselftest
override INSTALL_PATH := $(abspath $(INSTALL_PATH))

install: $(OUTPUT)/static/$(notdir $(RUNNER))
	$(Q)echo "  INSTALL  $(INSTALL_PATH)"
	$(Q)mkdir -p $(INSTALL_PATH)
	$(Q)install -m 755 $< harness/run_kselftest.sh $(INSTALL_PATH)/
	$(Q)install -m 644 config $(wildcard known-failures) $(INSTALL_PATH)/
	$(Q)echo "bpf_cpumask_create:$(notdir $(RUNNER))" > $(INSTALL_PATH)/kselftest-list.txt

run_tests: install
	$(Q)$(INSTALL_PATH)/run_kselftest.sh $(TEST_ARGS) || [ $$? = 4 ]

# VM_KERNELS: series (6.1, 6.12) or image paths; empty: scripts/vm.sh's default.
vm: $(RUNNER)
	$(Q)CACHE=$(CACHE) KDIR=$(KDIR) OUTPUT=$(OUTPUT) TEST_PROGS=$(RUNNER) scripts/vm.sh $(VM_KERNELS) -- $(TEST_ARGS)

clean:
	$(Q)rm -rf $(OUTPUT)

# The lanes that use a kernel tree (TREE: a path, 6.12 or 7.3; default the
# current tree): upstream's test_progs running our tests in a scratch copy
# of it, and the patch series that adds them to it.
in-tree:
	scripts/in-tree.sh $(TREE)

patch:
	OUTPUT=$(OUTPUT) scripts/patch.sh $(TREE)

# The examples the documentation quotes are the programs in progs/.
check-docs:
	scripts/check-docs.sh

-include $(NET_HELPERS:.o=.d)
