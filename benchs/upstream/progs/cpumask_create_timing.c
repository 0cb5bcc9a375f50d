// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() + release and what a program could use instead,
 * timed in batches by bench_bpf_timing.bpf.h; benchs/bench_cpumask_create.c
 * runs one program per scenario. Every body returns 1 when it did its work,
 * so a batch's last, untimed result tells the bench the scenario works.
 */
#include "vmlinux.h"
/* vmlinux.h already has the UAPI that bench_bpf_timing.bpf.h includes */
#define _UAPI__LINUX_BPF_H__
#define __LINUX_BPF_H__
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bench_bpf_timing.bpf.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mask_slot);
} reuse SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[128]);
} bits SEC(".maps");

static __always_inline int create_release(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 0;
	bpf_cpumask_release(mask);
	return 1;
}

static __always_inline int create_set_test(__u32 cpu)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	int ret;

	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(cpu, mask);
	ret = bpf_cpumask_test_cpu(cpu, cast(mask));
	bpf_cpumask_release(mask);
	return ret;
}

/* A sleepable (SYSCALL) program must hold the RCU read lock for cpus_ptr. */
static __always_inline int create_copy(__u32 cpu)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();
	int ret;

	if (!mask)
		return 0;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	bpf_rcu_read_unlock();
	ret = bpf_cpumask_test_cpu(cpu, cast(mask));
	bpf_cpumask_release(mask);
	return ret;
}

/* Take the one stored mask, clear it, use it, put it back. */
static __always_inline int kptr_reuse(__u32 cpu)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;
	__u32 key = 0;
	int ret;

	slot = bpf_map_lookup_elem(&reuse, &key);
	if (!slot)
		return 0;
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	if (!mask)
		mask = bpf_cpumask_create();
	if (!mask)
		return 0;
	bpf_cpumask_clear(mask);
	bpf_cpumask_set_cpu(cpu, mask);
	ret = bpf_cpumask_test_cpu(cpu, cast(mask));
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		bpf_cpumask_release(old);
		return 0;
	}
	return ret;
}

static __always_inline int percpu_bits(__u32 cpu)
{
	__u32 key = 0, word = (cpu / 64) & 127;
	__u64 bit = 1ULL << (cpu % 64), *b;
	int ret;

	b = bpf_map_lookup_elem(&bits, &key);
	if (!b)
		return 0;
	b[word] |= bit;
	ret = !!(b[word] & bit);
	b[word] &= ~bit;
	return ret;
}

SEC("syscall")
int bench_empty(void *ctx)
{
	return BENCH_BPF_LOOP(1, ({}));
}

SEC("syscall")
int bench_create_release(void *ctx)
{
	return BENCH_BPF_LOOP(create_release(), ({}));
}

SEC("syscall")
int bench_create_set_test(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return BENCH_BPF_LOOP(create_set_test(cpu), ({}));
}

SEC("syscall")
int bench_create_copy(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return BENCH_BPF_LOOP(create_copy(cpu), ({}));
}

SEC("syscall")
int bench_kptr_reuse(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return BENCH_BPF_LOOP(kptr_reuse(cpu), ({}));
}

SEC("syscall")
int bench_percpu_bits(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return BENCH_BPF_LOOP(percpu_bits(cpu), ({}));
}
