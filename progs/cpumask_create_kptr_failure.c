// SPDX-License-Identifier: GPL-2.0
/*
 * What the verifier demands of a program that reads a created mask back out
 * of a kptr. Each rejected program sits next to a twin that differs only in
 * the rule it breaks and loads and runs. SEC("syscall") programs are
 * sleepable: a kptr is only an RCU pointer inside bpf_rcu_read_lock().
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct mask_slot);
} slot SEC(".maps");

/* Put a new mask holding CPU 0 in the slot, for the program to find. */
static __always_inline struct mask_slot *seeded_slot(void)
{
	struct bpf_cpumask *mask;
	struct mask_slot *v;
	u32 key = 0;

	v = bpf_map_lookup_elem(&slot, &key);
	if (!v)
		return NULL;
	mask = bpf_cpumask_create();
	if (!mask)
		return NULL;
	bpf_cpumask_set_cpu(0, mask);
	mask = bpf_kptr_xchg(&v->mask, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return v;
}

/* A sleepable program reads a kptr under bpf_rcu_read_lock() only. */
SEC("syscall")
__failure __msg("R2 must be a rcu pointer")
int read_kptr_without_rcu_lock(void *ctx)
{
	struct mask_slot *v = seeded_slot();
	struct bpf_cpumask *mask;
	int ret = -1;

	if (!v)
		return -1;
	mask = v->mask;
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	return ret;
}

SEC("syscall")
__success __retval(1)
int read_kptr_under_rcu_lock(void *ctx)
{
	struct mask_slot *v = seeded_slot();
	struct bpf_cpumask *mask;
	int ret = -1;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	mask = v->mask;
	if (mask)
		ret = bpf_cpumask_test_cpu(0, cast(mask));
	bpf_rcu_read_unlock();
	return ret;
}

/*
 * bpf_cpumask_acquire() wants a trusted pointer: a kptr read under RCU is
 * not one; the mask taken out with bpf_kptr_xchg() is. Returns the count.
 */
SEC("syscall")
__failure __msg("R1 must be referenced or trusted")
int acquire_kptr_read_under_rcu(void *ctx)
{
	struct mask_slot *v = seeded_slot();
	struct bpf_cpumask *mask, *ref;
	int refs = -1;

	if (!v)
		return -1;
	bpf_rcu_read_lock();
	mask = v->mask;
	if (mask) {
		ref = bpf_cpumask_acquire(mask);
		refs = ref->usage.refs.counter;
		bpf_cpumask_release(ref);
	}
	bpf_rcu_read_unlock();
	return refs;
}

SEC("syscall")
__success __retval(2)
int acquire_kptr_taken_out(void *ctx)
{
	struct mask_slot *v = seeded_slot();
	struct bpf_cpumask *mask, *ref;
	int refs = -1;

	if (!v)
		return -1;
	mask = bpf_kptr_xchg(&v->mask, NULL);
	if (mask) {
		ref = bpf_cpumask_acquire(mask);
		refs = ref->usage.refs.counter;
		bpf_cpumask_release(ref);
		mask = bpf_kptr_xchg(&v->mask, mask);
		if (mask)
			bpf_cpumask_release(mask);
	}
	return refs;
}
