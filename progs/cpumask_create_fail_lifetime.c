// SPDX-License-Identifier: GPL-2.0
/*
 * A created mask may be used while the program holds a reference to it:
 * releasing it, or moving it into a map, ends that, and only a pointer that
 * holds a reference can be released or acquired. Each rejected program has
 * a twin that differs only in the rule it breaks and loads: the next program
 * that loads, or the one its comment names.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/* Put a new mask holding CPU 0 in the slot, for the program to find. */
static __always_inline struct __cpumask_map_value *seeded_slot(void)
{
	struct bpf_cpumask *mask;
	struct __cpumask_map_value *v;

	v = cpumask_map_value_lookup();
	if (!v)
		return NULL;
	mask = bpf_cpumask_create();
	if (!mask)
		return NULL;
	bpf_cpumask_set_cpu(0, mask);
	mask = bpf_kptr_xchg(&v->cpumask, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return v;
}

/*
 * A release turns every copy of the pointer into a scalar. The mask is
 * checked for NULL, so the rejection is at the second call, which finds a
 * scalar where it wants memory (or, on some kernels, a pointer that must be
 * referenced); from 7.2 the verifier names the rule. Its twin is
 * release_created_mask in cpumask_create_fail_leak.c.
 */
#define RELEASED_TWICE_MSG \
	"{{(R1 type=scalar expected=fp|R1 must be referenced or trusted|expects referenced PTR_TO_BTF_ID passed to R1)}}"

SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_release#")
__msg(RELEASED_TWICE_MSG)
int release_twice_after_null_check(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release(mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* Its twin is release_created_mask in cpumask_create_fail_leak.c. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_set_cpu#")
__msg("R2 type=scalar expected=fp")
int mutate_after_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release(mask);
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

/* Moving the mask into a map gives its reference away, like a release. */
SEC("syscall")
__failure
__msg("call bpf_kptr_xchg#")
__msg("call bpf_cpumask_set_cpu#")
__msg("R2 type=scalar expected=fp")
int mutate_after_kptr_xchg(void *ctx)
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
	bpf_cpumask_set_cpu(0, mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

SEC("syscall")
__success __retval(0)
int mutate_before_kptr_xchg(void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	old = bpf_kptr_xchg(&slot->cpumask, mask);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

/*
 * Read back under RCU, a stored mask carries no reference of the program's:
 * only bpf_kptr_xchg() takes one out of the map.
 */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("{{(R1 must be referenced or trusted|expects referenced PTR_TO_BTF_ID passed to R1)}}")
int release_stored_mask_without_xchg(void *ctx)
{
	struct bpf_cpumask *mask;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = slot->cpumask;
	if (mask)
		bpf_cpumask_release(mask);
	bpf_rcu_read_unlock();
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_stored_mask_after_xchg(void *ctx)
{
	struct bpf_cpumask *mask;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = bpf_kptr_xchg(&slot->cpumask, NULL);
	if (mask)
		bpf_cpumask_release(mask);
	bpf_rcu_read_unlock();
	return 0;
}

/*
 * Such a mask may still be queried, inside the RCU section only: a
 * sleepable program reads a kptr under bpf_rcu_read_lock() only.
 */
SEC("syscall")
__failure __msg("R2 must be a rcu pointer")
int read_kptr_without_rcu_lock(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *mask;
	int ret = -1;

	if (!v)
		return -1;
	mask = v->cpumask;
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	return ret;
}

SEC("syscall")
__success __retval(1)
int read_kptr_under_rcu_lock(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *mask;
	int ret = -1;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	mask = v->cpumask;
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	bpf_rcu_read_unlock();
	return ret;
}

/*
 * bpf_cpumask_acquire() wants a trusted pointer: a kptr read under RCU is
 * not one; the mask taken out with bpf_kptr_xchg() is. Returns 2 when the
 * new reference reads the slot's mask, which holds CPU 0.
 */
SEC("syscall")
__failure __msg("R1 must be referenced or trusted")
int acquire_kptr_read_under_rcu(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *mask, *ref;
	int refs = -1;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	mask = v->cpumask;
	if (mask) {
		ref = bpf_cpumask_acquire(mask);
		refs = bpf_cpumask_test_cpu(0, cast(ref)) + 1;
		bpf_cpumask_release(ref);
	}
	bpf_rcu_read_unlock();
	return refs;
}

SEC("syscall")
__success __retval(2)
int acquire_kptr_taken_out(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *mask, *ref;
	int refs = -1;

	if (!v)
		return -1;
	mask = bpf_kptr_xchg(&v->cpumask, NULL);
	if (mask) {
		ref = bpf_cpumask_acquire(mask);
		refs = bpf_cpumask_test_cpu(0, cast(ref)) + 1;
		bpf_cpumask_release(ref);
		mask = bpf_kptr_xchg(&v->cpumask, mask);
		if (mask)
			bpf_cpumask_release(mask);
	}
	return refs;
}

/*
 * The task's own mask was never acquired by the program: not its to
 * release. Its twin is copy_from_task_cpumask in cpumask_create_fail_type.c.
 */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("{{(R1 must be referenced or trusted|expects referenced PTR_TO_BTF_ID passed to R1)}}")
int release_task_cpumask(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	bpf_cpumask_release((struct bpf_cpumask *)task->cpus_ptr);
	bpf_rcu_read_unlock();
	bpf_cpumask_release(mask);
	return 0;
}

/* Nor can it take a reference on it: acquire wants a referenced pointer. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_acquire#")
__msg("R1 must be referenced or trusted")
int acquire_task_cpumask(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create(), *ref;

	if (!mask)
		return 1;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	ref = bpf_cpumask_acquire((struct bpf_cpumask *)task->cpus_ptr);
	bpf_rcu_read_unlock();
	bpf_cpumask_release(ref);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int acquire_copy_of_task_cpumask(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create(), *ref;

	if (!mask)
		return 1;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	ref = bpf_cpumask_acquire(mask);
	bpf_rcu_read_unlock();
	bpf_cpumask_release(ref);
	bpf_cpumask_release(mask);
	return 0;
}

/*
 * A copy on the stack is a copy like any other: the release turns it into a
 * scalar too.
 */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_weight#")
__msg("R1 type=scalar expected=fp")
int spilled_mask_read_after_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *spilled;

	if (!mask)
		return 1;
	spilled = mask;
	/* keep the copy in its stack slot: reload it from there below */
	asm volatile("" : : "r"(&spilled) : "memory");
	bpf_cpumask_release(mask);
	return bpf_cpumask_weight(cast(spilled));
}

SEC("syscall")
__success __retval(0)
int spilled_mask_read_before_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *spilled;
	u32 weight;

	if (!mask)
		return 1;
	spilled = mask;
	asm volatile("" : : "r"(&spilled) : "memory");
	weight = bpf_cpumask_weight(cast(spilled));
	bpf_cpumask_release(mask);
	return weight;
}

/*
 * bpf_rcu_read_unlock() ends what a kptr read in the section may be used
 * for: after it the mask is untrusted. Its twin is read_kptr_under_rcu_lock.
 */
SEC("syscall")
__failure
__msg("call bpf_rcu_read_unlock#")
__msg("R2 must be a rcu pointer")
int query_kptr_after_rcu_unlock(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *mask;
	int ret = -1;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	mask = v->cpumask;
	bpf_rcu_read_unlock();
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	return ret;
}

static __noinline int release_arg(struct bpf_cpumask *mask)
{
	bpf_cpumask_release(mask);
	return 0;
}

/* A release in a subprogram invalidates the caller's copy too. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_weight#")
__msg("R1 type=scalar expected=fp")
int query_after_release_in_subprog(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	release_arg(mask);
	return bpf_cpumask_weight(cast(mask));
}

SEC("syscall")
__success __retval(0)
int query_before_release_in_subprog(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 weight;

	if (!mask)
		return 1;
	weight = bpf_cpumask_weight(cast(mask));
	release_arg(mask);
	return weight;
}

/*
 * A mask whose last reference goes while an RCU reader may still see it is
 * freed after a grace period: a mask created inside the reader's section
 * never gets its memory. 1 if it does.
 */
SEC("syscall")
__success __retval(0)
int released_mask_not_reused_under_rcu(void *ctx)
{
	struct __cpumask_map_value *v = seeded_slot();
	struct bpf_cpumask *seen, *mask;
	int ret;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	seen = v->cpumask;
	mask = bpf_kptr_xchg(&v->cpumask, NULL);
	if (!seen || !mask) {
		if (mask)
			bpf_cpumask_release(mask);
		bpf_rcu_read_unlock();
		return -2;
	}
	/* the map's reference, the last one */
	bpf_cpumask_release(mask);
	mask = bpf_cpumask_create();
	if (!mask) {
		bpf_rcu_read_unlock();
		return -3;
	}
	ret = (unsigned long)mask == (unsigned long)seen;
	bpf_cpumask_release(mask);
	bpf_rcu_read_unlock();
	return ret;
}
