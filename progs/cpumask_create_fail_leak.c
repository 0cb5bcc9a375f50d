// SPDX-License-Identifier: GPL-2.0
/*
 * A mask from bpf_cpumask_create() holds a reference: on every path it must
 * be released or moved into a map with bpf_kptr_xchg(). Each rejected program
 * sits next to a twin that differs only in the rule it breaks and loads.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/*
 * The whole line as 6.12 and 6.18 print it. The id and the instruction are
 * left open: they depend on the kernel and on the compiler. 6.18 goes on with
 * "BPF_EXIT instruction in main prog would lead to reference leak", which
 * 6.12 does not print.
 */
#define LEAK_MSG "Unreleased reference id={{[0-9]+}} alloc_insn={{[0-9]+}}"

/* Not released at all. */
SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_created_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_created_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* Every path counts, not just the likely one. */
SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_on_one_branch(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	if (bpf_get_prandom_u32() & 1)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_on_both_branches(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	if (bpf_get_prandom_u32() & 1)
		bpf_cpumask_release(mask);
	else
		bpf_cpumask_release(mask);
	return 0;
}

/*
 * A mask created in a bpf_loop() callback must be released there: 6.12 reports
 * the leak at the callback's exit, 6.18 at the program's.
 */
static int leak_in_callback(u32 index, void *data)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_in_loop_callback(void *ctx)
{
	bpf_loop(1, leak_in_callback, NULL, 0);
	return 0;
}

static int release_in_callback(u32 index, void *data)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_in_loop_callback(void *ctx)
{
	bpf_loop(1, release_in_callback, NULL, 0);
	return 0;
}

/* A static subprog is checked with its caller: the leak shows at the exit. */
static __noinline int create_and_leak(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_in_static_subprog(void *ctx)
{
	return create_and_leak();
}

static __noinline int create_and_release(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_in_static_subprog(void *ctx)
{
	return create_and_release();
}

/* bpf_cpumask_acquire() adds a reference that needs its own release. */
SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_acquired_reference(void *ctx)
{
	struct bpf_cpumask *mask, *ref;

	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	ref = bpf_cpumask_acquire(mask);
	bpf_cpumask_set_cpu(0, ref);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_acquired_reference(void *ctx)
{
	struct bpf_cpumask *mask, *ref;

	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	ref = bpf_cpumask_acquire(mask);
	bpf_cpumask_set_cpu(0, ref);
	bpf_cpumask_release(ref);
	bpf_cpumask_release(mask);
	return 0;
}

/* bpf_kptr_xchg() hands back the mask it replaced: a reference of its own. */
SEC("syscall")
__failure __msg(LEAK_MSG)
int leak_old_mask_from_kptr_xchg(void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	old = bpf_kptr_xchg(&slot->cpumask, mask);
	if (old)
		bpf_cpumask_set_cpu(0, old);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_old_mask_from_kptr_xchg(void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	old = bpf_kptr_xchg(&slot->cpumask, mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

/*
 * Pruning keeps reference state apart. The join at 2: is reached first
 * without a reference (the verifier walks the not-taken branch first, and
 * it is long enough for a state to be kept at the join), then holding a new
 * mask. The two states differ only in that reference: were the second
 * pruned against the first, the leak would go unseen. In assembly, so that
 * the path without a reference is the one verified first.
 */
#define JOIN_AFTER_CREATE(release)		\
	"call %[prandom];"			\
	"r0 &= 1;"				\
	"if r0 != 0 goto 1f;"			\
	"r0 = 0;"				\
	"r0 = 0;"				\
	"r0 = 0;"				\
	"r0 = 0;"				\
	"r0 = 0;"				\
	"r0 = 0;"				\
	"goto 2f;"				\
	"1: call %[create];"			\
	"if r0 == 0 goto 2f;"			\
	release					\
	"2: r0 = 0;"				\
	"exit;"

SEC("syscall")
__failure __msg(LEAK_MSG)
__naked int leak_past_pruning_point(void)
{
	asm volatile (JOIN_AFTER_CREATE("")
		      :
		      : [prandom]"i"(bpf_get_prandom_u32), [create]"i"(bpf_cpumask_create)
		      : __clobber_all);
}

SEC("syscall")
__success __retval(0)
__naked int release_before_pruning_point(void)
{
	asm volatile (JOIN_AFTER_CREATE("r1 = r0; call %[release];")
		      :
		      : [prandom]"i"(bpf_get_prandom_u32), [create]"i"(bpf_cpumask_create),
			[release]"i"(bpf_cpumask_release)
		      : __clobber_all);
}
