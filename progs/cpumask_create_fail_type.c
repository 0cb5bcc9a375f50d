// SPDX-License-Identifier: GPL-2.0
/*
 * A created mask is a struct bpf_cpumask: a mutable, refcounted object the
 * program may only handle through kfuncs and bpf_kptr_xchg(). Each rejected
 * program has a twin that differs only in the rule it breaks and loads: the
 * next program that loads, or the one its comment names.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/* One map value with a field of each kind bpf_kptr_xchg() may be aimed at. */
struct fields {
	struct bpf_cpumask __kptr * mask;
	struct bpf_cpumask *plain;
	struct bpf_cpumask __kptr_untrusted * untrusted;
	struct task_struct __kptr * task;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct fields);
	__uint(max_entries, 1);
} field_slots SEC(".maps");

/*
 * Mutators want a struct bpf_cpumask, which only bpf_cpumask_create() makes;
 * a plain struct cpumask, like a task's, can only be read. (One line of the
 * log, pinned in two consecutive parts to keep the source lines short.)
 */
SEC("syscall")
__failure
__msg("kernel function bpf_cpumask_copy {{(args#0|R1)}} expected pointer to STRUCT bpf_cpumask")
__msg(" but R1 has a pointer to STRUCT cpumask")
int copy_into_task_cpumask(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_rcu_read_lock();
	bpf_cpumask_copy((struct bpf_cpumask *)task->cpus_ptr, cast(mask));
	bpf_rcu_read_unlock();
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int copy_from_task_cpumask(void *ctx)
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

/*
 * Pointer arithmetic leaves a pointer into the middle of the mask, which is
 * no struct bpf_cpumask any more...
 * Its twin is release_created_mask in cpumask_create_fail_leak.c.
 */
SEC("syscall")
__failure
__msg("kernel function bpf_cpumask_set_cpu {{(args#1|R2)}} expected pointer to STRUCT bpf_cpumask")
__msg(" but R2 has a pointer to STRUCT bpf_cpumask")
int mutate_offset_pointer(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, (struct bpf_cpumask *)((void *)mask + 8));
	bpf_cpumask_release(mask);
	return 0;
}

/*
 * ...and that the release needs to see exactly as it was created. Its twin
 * is release_created_mask in cpumask_create_fail_leak.c.
 */
SEC("syscall")
__failure
__msg("R1 must have zero offset when passed to release func or trusted arg to kfunc")
int release_offset_pointer(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_release((struct bpf_cpumask *)((void *)mask + 8));
	return 0;
}

/*
 * The mask can be read directly, but written through kfuncs only. Its twin
 * is read_checked_mask in cpumask_create_fail_null.c.
 */
SEC("syscall")
__failure
__msg("only read is supported")
int write_through_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	mask->cpumask.bits[0] = 1;
	bpf_cpumask_release(mask);
	return 0;
}

/* A referenced mask goes into a map with bpf_kptr_xchg() only... */
SEC("syscall")
__failure
__msg("store to referenced kptr disallowed")
int store_mask_without_kptr_xchg(void *ctx)
{
	struct bpf_cpumask *mask;
	struct fields *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&field_slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	slot->mask = mask;
	return 0;
}

/* ...into a field tagged __kptr... */
SEC("syscall")
__failure
__msg("off=8 doesn't point to kptr")
int kptr_xchg_into_plain_field(void *ctx)
{
	struct bpf_cpumask *mask;
	struct fields *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&field_slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	mask = bpf_kptr_xchg(&slot->plain, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* ...not __kptr_untrusted, which holds no reference... */
SEC("syscall")
__failure
__msg("off=16 kptr isn't referenced kptr")
int kptr_xchg_into_untrusted_kptr(void *ctx)
{
	struct bpf_cpumask *mask;
	struct fields *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&field_slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	mask = bpf_kptr_xchg(&slot->untrusted, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* ...and declared as a struct bpf_cpumask. */
SEC("syscall")
__failure
__msg("invalid kptr access, R2 type={{(trusted_)?}}ptr_bpf_cpumask expected=ptr_task_struct")
int kptr_xchg_into_task_kptr(void *ctx)
{
	struct bpf_cpumask *mask;
	struct fields *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&field_slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	mask = bpf_kptr_xchg((struct bpf_cpumask **)&slot->task, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* The twin of the four above: each differs from it only in the store. */
SEC("syscall")
__success __retval(0)
int kptr_xchg_into_cpumask_kptr(void *ctx)
{
	struct bpf_cpumask *mask;
	struct fields *slot;
	u32 key = 0;

	slot = bpf_map_lookup_elem(&field_slots, &key);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	mask = bpf_kptr_xchg(&slot->mask, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}
