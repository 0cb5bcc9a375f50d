// SPDX-License-Identifier: GPL-2.0
/*
 * A created mask may be used while the program holds a reference to it:
 * releasing it, or moving it into a map, ends that, and only a pointer that
 * holds a reference can be released or acquired. Each rejected program sits
 * next to a twin that differs only in the rule it breaks and loads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct mask_slot);
	__uint(max_entries, 1);
} slots SEC(".maps");

/*
 * A release turns every copy of the pointer into a scalar. The mask is
 * checked for NULL, so the rejection is at the second call, which finds a
 * scalar where it wants memory; from 7.2 the verifier names the rule. The
 * three releases of an unreferenced pointer here are also checked per
 * kernel version, errno included, by cpumask_create_verifier.c.
 */
SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_release#")
__msg("{{(R1 type=scalar expected=fp|expects referenced PTR_TO_BTF_ID passed to R1)}}")
int release_twice_after_null_check(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release(mask);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_once_after_null_check(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__failure
__msg("call bpf_cpumask_release#")
__msg("call bpf_cpumask_weight#")
__msg("R1 type=scalar expected=fp")
int query_after_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release(mask);
	return bpf_cpumask_weight(cast(mask));
}

SEC("syscall")
__success __retval(0)
int query_before_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 weight;

	if (!mask)
		return 1;
	weight = bpf_cpumask_weight(cast(mask));
	bpf_cpumask_release(mask);
	return weight;
}

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

SEC("syscall")
__success __retval(0)
int mutate_before_release(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
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
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	old = bpf_kptr_xchg(&slot->mask, mask);
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
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	old = bpf_kptr_xchg(&slot->mask, mask);
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
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = slot->mask;
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
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	if (mask)
		bpf_cpumask_release(mask);
	bpf_rcu_read_unlock();
	return 0;
}

/* Such a mask may still be queried, inside the RCU section only. */
SEC("syscall")
__failure
__msg("call bpf_cpumask_weight#")
__msg("R1 must be a rcu pointer")
int query_stored_mask_outside_rcu(void *ctx)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	mask = slot->mask;
	if (!mask)
		return 0;
	return bpf_cpumask_weight(cast(mask));
}

SEC("syscall")
__success __retval(0)
int query_stored_mask_inside_rcu(void *ctx)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;
	u32 weight = 0;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&slots, &key);
	if (!slot)
		return 1;
	bpf_rcu_read_lock();
	mask = slot->mask;
	if (mask)
		weight = bpf_cpumask_weight(cast(mask));
	bpf_rcu_read_unlock();
	return weight;
}

/* The task's own mask was never acquired by the program: not its to release. */
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

SEC("syscall")
__success __retval(0)
int release_copy_of_task_cpumask(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
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
