// SPDX-License-Identifier: GPL-2.0
/*
 * What bpf_cpumask_create() costs, next to what a program could use
 * instead. Each program times one batch of ctx->iters operations with
 * bpf_ktime_get_ns() around a bpf_loop(); bench_empty times the loop alone,
 * the baseline every other figure is compared with. Every operation that
 * did its work counts in ctx->ops, so the driver can prove a batch ran.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"
#include "cpumask_create_bench.h"

char _license[] SEC("license") = "GPL";

/* The allocator bpf_obj_new() draws from, for an object like a mask. */
void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __weak __ksym;
void bpf_obj_drop_impl(void *kptr, void *meta) __weak __ksym;

/*
 * Objects of the size of a struct bpf_cpumask (NR_CPUS / 8 bytes of bits, a
 * refcount, padding) for the kernels' usual NR_CPUS, each with its program;
 * the driver loads the one of the running kernel's size.
 */
#define OBJ(nr_cpus) struct obj_##nr_cpus { __u64 words[(nr_cpus) / 64]; __u32 refs; }
OBJ(64);
OBJ(256);
OBJ(512);
OBJ(1024);
OBJ(8192);

/* A mask per CPU, taken out, cleared and put back. */
MASK_SLOTS(reuse, BENCH_MAX_CPUS);

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

/* Masks held by a burst until it is drained. */
MASK_SLOTS(burst, BENCH_BURST_MAX);

struct loop_state {
	__u32 ops;
	__u32 errors;
	__u32 cpu;
};

static __always_inline int timed(struct bench_batch *b, void *fn)
{
	struct loop_state st = { .cpu = bpf_get_smp_processor_id() };
	__u64 start;

	start = bpf_ktime_get_ns();
	bpf_loop(b->iters, fn, &st, 0);
	b->ns = bpf_ktime_get_ns() - start;
	b->ops = st.ops;
	b->errors = st.errors;
	b->cpu = st.cpu;
	return 0;
}

static int empty_cb(__u32 i, struct loop_state *st)
{
	st->ops++;
	return 0;
}

static int create_release_cb(__u32 i, struct loop_state *st)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask) {
		st->errors++;
		return 0;
	}
	bpf_cpumask_release(mask);
	st->ops++;
	return 0;
}

static int create_set_test_cb(__u32 i, struct loop_state *st)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask) {
		st->errors++;
		return 0;
	}
	bpf_cpumask_set_cpu(st->cpu, mask);
	if (bpf_cpumask_test_cpu(st->cpu, cast(mask)))
		st->ops++;
	else
		st->errors++;
	bpf_cpumask_release(mask);
	return 0;
}

/* A sleepable (SYSCALL) program must hold the RCU read lock for cpus_ptr. */
static int create_copy_cb(__u32 i, struct loop_state *st)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask) {
		st->errors++;
		return 0;
	}
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, task->cpus_ptr);
	bpf_rcu_read_unlock();
	if (bpf_cpumask_test_cpu(st->cpu, cast(mask)))
		st->ops++;
	else
		st->errors++;
	bpf_cpumask_release(mask);
	return 0;
}

#define NEW_DROP(nr_cpus)						\
static int new_drop_##nr_cpus##_cb(__u32 i, struct loop_state *st)	\
{									\
	struct obj_##nr_cpus *o;					\
									\
	o = bpf_obj_new_impl(bpf_core_type_id_local(struct obj_##nr_cpus), NULL); \
	if (!o) {							\
		st->errors++;						\
		return 0;						\
	}								\
	o->refs = 1;							\
	bpf_obj_drop_impl(o, NULL);					\
	st->ops++;							\
	return 0;							\
}									\
									\
SEC("syscall")								\
int bench_obj_new_drop_##nr_cpus(struct bench_batch *b)		\
{									\
	return timed(b, new_drop_##nr_cpus##_cb);			\
}

NEW_DROP(64)
NEW_DROP(256)
NEW_DROP(512)
NEW_DROP(1024)
NEW_DROP(8192)

static int kptr_reuse_cb(__u32 i, struct loop_state *st)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;
	__u32 key = st->cpu;

	slot = bpf_map_lookup_elem(&reuse, &key);
	if (!slot) {
		st->errors++;
		return 1;
	}
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	if (!mask) {
		/* the first use on this CPU */
		mask = bpf_cpumask_create();
		if (!mask) {
			st->errors++;
			return 0;
		}
	}
	bpf_cpumask_clear(mask);
	bpf_cpumask_set_cpu(st->cpu, mask);
	if (bpf_cpumask_test_cpu(st->cpu, cast(mask)))
		st->ops++;
	else
		st->errors++;
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		st->errors++;
		bpf_cpumask_release(old);
	}
	return 0;
}

static int percpu_bits_cb(__u32 i, struct loop_state *st)
{
	__u32 key = 0, cpu = st->cpu & 8191;
	struct bits *b;

	b = bpf_map_lookup_elem(&percpu_bits, &key);
	if (!b) {
		st->errors++;
		return 1;
	}
	b->words[cpu / 64] |= 1ULL << (cpu % 64);
	if (b->words[cpu / 64] & (1ULL << (cpu % 64)))
		st->ops++;
	else
		st->errors++;
	b->words[cpu / 64] &= ~(1ULL << (cpu % 64));
	return 0;
}

static int burst_fill_cb(__u32 i, struct loop_state *st)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;

	slot = bpf_map_lookup_elem(&burst, &i);
	if (!slot)
		return 1;
	mask = bpf_cpumask_create();
	if (!mask) {
		st->errors++;
		return 0;
	}
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		st->errors++;
		bpf_cpumask_release(old);
	}
	st->ops++;
	return 0;
}

static int burst_drain_cb(__u32 i, struct loop_state *st)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;

	slot = bpf_map_lookup_elem(&burst, &i);
	if (!slot)
		return 1;
	mask = bpf_kptr_xchg(&slot->mask, NULL);
	if (!mask)
		return 0;	/* the fill found no memory for this one */
	bpf_cpumask_release(mask);
	st->ops++;
	return 0;
}

SEC("syscall")
int bench_empty(struct bench_batch *b)
{
	return timed(b, empty_cb);
}

SEC("syscall")
int bench_create_release(struct bench_batch *b)
{
	return timed(b, create_release_cb);
}

SEC("syscall")
int bench_create_set_test(struct bench_batch *b)
{
	return timed(b, create_set_test_cb);
}

SEC("syscall")
int bench_create_copy(struct bench_batch *b)
{
	return timed(b, create_copy_cb);
}

SEC("syscall")
int bench_kptr_reuse(struct bench_batch *b)
{
	return timed(b, kptr_reuse_cb);
}

SEC("syscall")
int bench_percpu_bits(struct bench_batch *b)
{
	return timed(b, percpu_bits_cb);
}

/* iters masks into slots 0..iters-1, held until bench_burst_drain */
SEC("syscall")
int bench_burst_fill(struct bench_batch *b)
{
	return timed(b, burst_fill_cb);
}

SEC("syscall")
int bench_burst_drain(struct bench_batch *b)
{
	return timed(b, burst_drain_cb);
}
