// SPDX-License-Identifier: GPL-2.0
/*
 * Every query and mutator kfunc on masks from bpf_cpumask_create(). Each
 * program runs one kfunc over a batch of cases made in user space: it builds
 * the masks a case describes, calls the kfunc once, and reports the return
 * value and the CPUs of all three masks afterwards. User space compares the
 * lot with a plain C model of a cpumask of nr_cpu_ids bits.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* set by the test */
u32 nr_cpus;
u32 nr_cases;
struct kf_case cases[KF_BATCH];
struct kf_interop interop[KF_BATCH];

u32 runs;
bool has_populate;

/* a new mask, or a full one, with some CPUs flipped; NULL if out of memory */
static __always_inline struct bpf_cpumask *mask_from_pattern(const struct kf_pattern *p)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 i;

	if (!mask)
		return NULL;
	if (p->full)
		bpf_cpumask_setall(mask);
	bpf_for(i, 0, KF_FLIPS) {
		if (i >= p->nr_flips)
			break;
		if (p->full)
			bpf_cpumask_clear_cpu(p->flips[i], mask);
		else
			bpf_cpumask_set_cpu(p->flips[i], mask);
	}
	return mask;
}

/* the CPUs bpf_cpumask_test_cpu() finds in the mask, folded */
static __always_inline u64 mask_hash(const struct cpumask *mask)
{
	u64 h = CPUMASK_HASH_INIT;
	u32 cpu;

	bpf_for(cpu, 0, nr_cpus) {
		if (bpf_cpumask_test_cpu(cpu, mask))
			h = cpumask_hash_step(h, cpu);
	}
	return h;
}

/*
 * Run @call for each case with a, b and dst built from the case; @call may
 * use c (the case), a, b, dst and set c->ret. Out of memory leaves the case
 * not done, which the test reports.
 */
#define FOR_EACH_CASE(call)						\
	do {								\
		struct bpf_cpumask *a, *b, *dst;			\
		struct kf_case *c;					\
		u32 i;							\
									\
		runs++;							\
		bpf_for(i, 0, KF_BATCH) {				\
			if (i >= nr_cases)				\
				break;					\
			c = &cases[i];					\
			a = mask_from_pattern(&c->a);			\
			b = mask_from_pattern(&c->b);			\
			dst = mask_from_pattern(&c->dst);		\
			if (a && b && dst) {				\
				call;					\
				c->hash_a = mask_hash(cast(a));		\
				c->hash_b = mask_hash(cast(b));		\
				c->hash_dst = mask_hash(cast(dst));	\
				c->done = 1;				\
			}						\
			if (a)						\
				bpf_cpumask_release(a);			\
			if (b)						\
				bpf_cpumask_release(b);			\
			if (dst)					\
				bpf_cpumask_release(dst);		\
		}							\
	} while (0)

SEC("syscall")
int call_set_cpu(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_set_cpu(c->cpu, dst));
	return 0;
}

SEC("syscall")
int call_clear_cpu(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_clear_cpu(c->cpu, dst));
	return 0;
}

SEC("syscall")
int call_test_cpu(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_test_cpu(c->cpu, cast(a)));
	return 0;
}

SEC("syscall")
int call_test_and_set_cpu(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_test_and_set_cpu(c->cpu, dst));
	return 0;
}

SEC("syscall")
int call_test_and_clear_cpu(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_test_and_clear_cpu(c->cpu, dst));
	return 0;
}

SEC("syscall")
int call_setall(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_setall(dst));
	return 0;
}

SEC("syscall")
int call_clear(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_clear(dst));
	return 0;
}

SEC("syscall")
int call_and(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_and(dst, cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_or(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_or(dst, cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_xor(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_xor(dst, cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_copy(void *ctx)
{
	FOR_EACH_CASE(bpf_cpumask_copy(dst, cast(a)));
	return 0;
}

SEC("syscall")
int call_equal(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_equal(cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_intersects(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_intersects(cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_subset(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_subset(cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_empty(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_empty(cast(a)));
	return 0;
}

SEC("syscall")
int call_full(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_full(cast(a)));
	return 0;
}

SEC("syscall")
int call_weight(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_weight(cast(a)));
	return 0;
}

SEC("syscall")
int call_first(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_first(cast(a)));
	return 0;
}

SEC("syscall")
int call_first_zero(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_first_zero(cast(a)));
	return 0;
}

SEC("syscall")
int call_first_and(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_first_and(cast(a), cast(b)));
	return 0;
}

SEC("syscall")
int call_any_distribute(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_any_distribute(cast(a)));
	return 0;
}

SEC("syscall")
int call_any_and_distribute(void *ctx)
{
	FOR_EACH_CASE(c->ret = bpf_cpumask_any_and_distribute(cast(a), cast(b)));
	return 0;
}

/* Linux 6.15+: copies nr_cpu_ids bits from BPF memory into the mask. */
static __always_inline int populate(struct bpf_cpumask *dst, struct kf_case *c)
{
	u32 size = c->src_size;

	if (size < 1)
		size = 1;
	if (size > sizeof(c->words))
		size = sizeof(c->words);
	return bpf_cpumask_populate((struct cpumask *)dst, c->words, size);
}

SEC("syscall")
int call_populate(void *ctx)
{
	has_populate = bpf_ksym_exists(bpf_cpumask_populate);
	if (!has_populate)
		return 0;
	FOR_EACH_CASE(c->ret = populate(dst, c));
	return 0;
}

/*
 * Created masks against a trusted kernel mask: the calling task's
 * cpus_ptr, and a copy of it. Sleepable (SYSCALL) programs must hold the
 * RCU read lock to use cpus_ptr.
 */
SEC("syscall")
int interop_task_cpus(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *a, *copy, *dst;
	const struct cpumask *cpus;
	struct kf_interop *c;
	u32 i;

	runs++;
	bpf_for(i, 0, KF_BATCH) {
		if (i >= nr_cases)
			break;
		c = &interop[i];
		a = mask_from_pattern(&c->a);
		copy = bpf_cpumask_create();
		dst = bpf_cpumask_create();
		if (a && copy && dst) {
			bpf_rcu_read_lock();
			cpus = task->cpus_ptr;
			c->cpus_ptr_is_mask = cpus == &task->cpus_mask;
			c->cpu = bpf_get_smp_processor_id();
			c->weight = bpf_cpumask_weight(cpus);
			bpf_cpumask_copy(copy, cpus);
			c->copy_equal = bpf_cpumask_equal(cast(copy), cpus);
			c->subset_a = bpf_cpumask_subset(cast(a), cpus);
			c->subset_cpus = bpf_cpumask_subset(cpus, cast(a));
			c->intersects = bpf_cpumask_intersects(cast(a), cpus);
			c->and_ret = bpf_cpumask_and(dst, cast(a), cpus);
			bpf_rcu_read_unlock();
			c->hash_and = mask_hash(cast(dst));
			/* the copy stands in for cpus_ptr from here on */
			bpf_cpumask_or(dst, cast(a), cast(copy));
			c->hash_or = mask_hash(cast(dst));
			c->hash_copy = mask_hash(cast(copy));
			c->done = 1;
		}
		if (a)
			bpf_cpumask_release(a);
		if (copy)
			bpf_cpumask_release(copy);
		if (dst)
			bpf_cpumask_release(dst);
	}
	return 0;
}
