// SPDX-License-Identifier: GPL-2.0
/*
 * What bpf_cpumask_create() costs, next to what a program could use
 * instead: the BPF side of benchs/bench_cpumask_create.c. Each program runs
 * batch_iters operations in a bpf_loop() and records the batch's time in
 * the globals benchs/bench_bpf_timing.c reads, as bench_bpf_timing.bpf.h
 * does. That header is not included: every test_progs build of progs/
 * compiles this file, including trees without it (6.12), and its
 * <linux/bpf.h> clashes with vmlinux.h. cpumask_empty times the loop
 * alone: the baseline. An operation that fails counts in errors, which
 * the bench checks.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

#define BENCH_NR_SAMPLES	4096
#define BENCH_NR_CPUS		256
#define BURST_MAX		65536

char _license[] SEC("license") = "GPL";

__u64 timing_samples[BENCH_NR_CPUS][BENCH_NR_SAMPLES];
__u32 timing_idx[BENCH_NR_CPUS];
__u32 batch_iters;
__u32 timing_enabled;

__u32 errors;
/* cpumask_burst: which half is timed; no_fill, no_drain: hold, then drain */
bool time_drain, no_fill, no_drain;

static void record_sample(__u64 ns)
{
	__u32 cpu = bpf_get_smp_processor_id() & (BENCH_NR_CPUS - 1);
	__u32 idx = timing_idx[cpu];

	if (!timing_enabled || idx >= BENCH_NR_SAMPLES)
		return;
	timing_samples[cpu][idx] = ns;
	timing_idx[cpu] = idx + 1;
}

static __always_inline int timed(void *fn)
{
	__u64 start = bpf_ktime_get_ns();

	bpf_loop(batch_iters, fn, NULL, 0);
	record_sample(bpf_ktime_get_ns() - start);
	return 0;
}

static int op_failed(void)
{
	__sync_fetch_and_add(&errors, 1);
	return 1;
}

/* The allocator bpf_obj_new() draws from, for an object like a mask. */
void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __weak __ksym;
void bpf_obj_drop_impl(void *kptr, void *meta) __weak __ksym;

/*
 * Objects of the size of a struct bpf_cpumask (NR_CPUS / 8 bytes of bits and
 * a refcount) for the kernels' usual NR_CPUS, each with its program; the
 * bench loads the one of the running kernel's size.
 */
#define OBJ(nr_cpus) struct obj_##nr_cpus { __u64 words[(nr_cpus) / 64]; __u32 refs; }
OBJ(64);
OBJ(256);
OBJ(512);
OBJ(1024);
OBJ(8192);

/* A mask per CPU, taken out, cleared and put back. */
MASK_SLOTS(reuse, BENCH_NR_CPUS);

/* A plain bit array per CPU: 8192 bits, like Debian's NR_CPUS. */
struct bits {
	__u64 words[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bits);
} percpu_bits SEC(".maps");

/* Masks a burst holds until it drains them. */
MASK_SLOTS(burst, BURST_MAX);

static int empty_cb(__u32 i, void *ctx)
{
	return 0;
}

static int create_release_cb(__u32 i, void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return op_failed();
	bpf_cpumask_release(mask);
	return 0;
}

static int create_set_test_cb(__u32 i, void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	__u32 cpu = bpf_get_smp_processor_id();

	if (!mask)
		return op_failed();
	bpf_cpumask_set_cpu(cpu, mask);
	if (!bpf_cpumask_test_cpu(cpu, cast(mask)))
		op_failed();
	bpf_cpumask_release(mask);
	return 0;
}

/* A sleepable (SYSCALL) program must hold the RCU read lock for cpus_ptr. */
static int create_copy_cb(__u32 i, void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return op_failed();
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	bpf_rcu_read_unlock();
	if (!bpf_cpumask_test_cpu(bpf_get_smp_processor_id(), cast(mask)))
		op_failed();
	bpf_cpumask_release(mask);
	return 0;
}

#define NEW_DROP(nr_cpus)						\
static int new_drop_##nr_cpus##_cb(__u32 i, void *ctx)			\
{									\
	struct obj_##nr_cpus *o;					\
									\
	o = bpf_obj_new_impl(bpf_core_type_id_local(struct obj_##nr_cpus), NULL); \
	if (!o)								\
		return op_failed();						\
	o->refs = 1;							\
	bpf_obj_drop_impl(o, NULL);					\
	return 0;							\
}									\
									\
SEC("syscall")								\
int cpumask_obj_new_drop_##nr_cpus(void *ctx)				\
{									\
	return timed(new_drop_##nr_cpus##_cb);				\
}

NEW_DROP(64)
NEW_DROP(256)
NEW_DROP(512)
NEW_DROP(1024)
NEW_DROP(8192)

static int kptr_reuse_cb(__u32 i, void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;

	slot = bpf_map_lookup_elem(&reuse, &cpu);
	if (!slot)
		return op_failed();
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	/* the first use on this CPU creates it */
	if (!mask)
		mask = bpf_cpumask_create();
	if (!mask)
		return op_failed();
	bpf_cpumask_clear(mask);
	bpf_cpumask_set_cpu(cpu, mask);
	if (!bpf_cpumask_test_cpu(cpu, cast(mask)))
		op_failed();
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		op_failed();
		bpf_cpumask_release(old);
	}
	return 0;
}

static int percpu_bits_cb(__u32 i, void *ctx)
{
	__u32 key = 0, cpu = bpf_get_smp_processor_id() & 8191;
	struct bits *b;

	b = bpf_map_lookup_elem(&percpu_bits, &key);
	if (!b)
		return op_failed();
	b->words[cpu / 64] |= 1ULL << (cpu % 64);
	if (!(b->words[cpu / 64] & (1ULL << (cpu % 64))))
		op_failed();
	b->words[cpu / 64] &= ~(1ULL << (cpu % 64));
	return 0;
}

static int burst_fill_cb(__u32 i, void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;

	slot = bpf_map_lookup_elem(&burst, &i);
	if (!slot)
		return op_failed();
	mask = bpf_cpumask_create();
	if (!mask)
		return op_failed();
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		op_failed();
		bpf_cpumask_release(old);
	}
	return 0;
}

static int burst_drain_cb(__u32 i, void *ctx)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;

	slot = bpf_map_lookup_elem(&burst, &i);
	if (!slot)
		return op_failed();
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	if (!mask)
		return op_failed();
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
int cpumask_empty(void *ctx)
{
	return timed(empty_cb);
}

SEC("syscall")
int cpumask_create_release(void *ctx)
{
	return timed(create_release_cb);
}

SEC("syscall")
int cpumask_create_set_test(void *ctx)
{
	return timed(create_set_test_cb);
}

SEC("syscall")
int cpumask_create_copy(void *ctx)
{
	return timed(create_copy_cb);
}

SEC("syscall")
int cpumask_kptr_reuse(void *ctx)
{
	return timed(kptr_reuse_cb);
}

SEC("syscall")
int cpumask_percpu_bits(void *ctx)
{
	return timed(percpu_bits_cb);
}

/*
 * batch_iters masks created into slots 0..batch_iters-1 and held, then
 * taken and released; time_drain says which half is recorded.
 */
SEC("syscall")
int cpumask_burst(void *ctx)
{
	__u64 start;

	if (!no_fill) {
		start = bpf_ktime_get_ns();
		bpf_loop(batch_iters, burst_fill_cb, NULL, 0);
		if (!time_drain)
			record_sample(bpf_ktime_get_ns() - start);
	}
	if (!no_drain) {
		start = bpf_ktime_get_ns();
		bpf_loop(batch_iters, burst_drain_cb, NULL, 0);
		if (time_drain)
			record_sample(bpf_ktime_get_ns() - start);
	}
	return 0;
}
