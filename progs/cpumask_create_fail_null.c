// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() may return NULL (no memory): every consumer of the
 * result needs it checked first. Each rejected program sits next to a twin
 * that differs only in the check and loads.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/* A mutator (KF_RCU arg, never NULL). */
SEC("syscall")
__failure
__msg("call bpf_cpumask_set_cpu#")
__msg("Possibly NULL pointer passed to trusted {{(arg1|R2)}}")
int mutate_unchecked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	bpf_cpumask_set_cpu(0, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int mutate_checked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_set_cpu(0, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* A query. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_weight#")
__msg("Possibly NULL pointer passed to trusted {{(arg0|R1)}}")
int query_unchecked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 weight;

	weight = bpf_cpumask_weight(cast(mask));
	if (mask)
		bpf_cpumask_release(mask);
	return weight;
}

SEC("syscall")
__success __retval(0)
int query_checked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 weight = 1;

	if (mask)
		weight = bpf_cpumask_weight(cast(mask));
	if (mask)
		bpf_cpumask_release(mask);
	return weight;
}

/* Release. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("Possibly NULL pointer passed to trusted {{(arg0|R1)}}")
int release_unchecked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_checked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* Acquire. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_acquire#")
__msg("Possibly NULL pointer passed to trusted {{(arg0|R1)}}")
int acquire_unchecked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *ref;

	ref = bpf_cpumask_acquire(mask);
	bpf_cpumask_release(ref);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int acquire_checked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *ref;

	if (!mask)
		return 1;
	ref = bpf_cpumask_acquire(mask);
	bpf_cpumask_release(ref);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int read_checked_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	unsigned long bits;

	if (!mask)
		return 1;
	bits = mask->cpumask.bits[0];
	bpf_cpumask_release(mask);
	return bits;
}

/*
 * bpf_kptr_xchg() hands back what the slot held: the old mask, or NULL when
 * it was empty. Releasing that needs the check too.
 */
SEC("syscall")
__failure
__msg("call bpf_kptr_xchg#")
__msg("call bpf_cpumask_release#")
__msg("Possibly NULL pointer passed to trusted {{(arg0|R1)}}")
int release_kptr_xchg_result_unchecked(void *ctx)
{
	struct bpf_cpumask *old;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	old = bpf_kptr_xchg(&slot->cpumask, NULL);
	bpf_cpumask_release(old);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_kptr_xchg_result_checked(void *ctx)
{
	struct bpf_cpumask *old;
	struct __cpumask_map_value *slot;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	old = bpf_kptr_xchg(&slot->cpumask, NULL);
	if (old)
		bpf_cpumask_release(old);
	return 0;
}

/* So may a mask read from a map under RCU: the slot may be empty. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_test_cpu#")
__msg("Possibly NULL pointer passed to trusted {{(arg1|R2)}}")
int query_kptr_unchecked_under_rcu(void *ctx)
{
	struct bpf_cpumask *mask;
	struct __cpumask_map_value *slot;
	int ret;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = slot->cpumask;
	ret = bpf_cpumask_test_cpu(0, cast(mask));
	bpf_rcu_read_unlock();
	return ret;
}

SEC("syscall")
__success __retval(0)
int query_kptr_checked_under_rcu(void *ctx)
{
	struct bpf_cpumask *mask;
	struct __cpumask_map_value *slot;
	int ret = 0;

	slot = cpumask_map_value_lookup();
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = slot->cpumask;
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	bpf_rcu_read_unlock();
	return ret;
}
