// SPDX-License-Identifier: GPL-2.0
/*
 * Every cpumask kfunc on masks from bpf_cpumask_create(), at the edges: the
 * first and last CPU, both sides of a word boundary, CPUs at and past
 * nr_cpu_ids (which must be ignored), empty and full masks. Each program
 * checks what it sees and reports the line of its first failed check.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

u32 nr_cpus;	/* set by the test: nr_cpu_ids */
u32 runs;
int err;

#define CHECK(cond)				\
	do {					\
		if (!(cond) && !err)		\
			err = __LINE__;		\
	} while (0)

#ifndef EACCES
#define EACCES 13
#endif

/* A new mask holding @a and @b (either may be past the end: ignored). */
static __always_inline struct bpf_cpumask *mask_of(u32 a, u32 b)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask) {
		CHECK(false);
		return NULL;
	}
	bpf_cpumask_set_cpu(a, mask);
	bpf_cpumask_set_cpu(b, mask);
	return mask;
}

static __always_inline void put(struct bpf_cpumask *mask)
{
	if (mask)
		bpf_cpumask_release(mask);
}

/* Each single-CPU kfunc on one valid @cpu of a new mask. */
static __always_inline void cpu_round_trip(u32 cpu)
{
	struct bpf_cpumask *mask;

	if (cpu >= nr_cpus)
		return;
	mask = bpf_cpumask_create();
	if (!mask) {
		CHECK(false);
		return;
	}
	CHECK(!bpf_cpumask_test_and_set_cpu(cpu, mask));
	CHECK(bpf_cpumask_test_cpu(cpu, cast(mask)));
	CHECK(bpf_cpumask_test_and_set_cpu(cpu, mask));
	CHECK(bpf_cpumask_weight(cast(mask)) == 1);
	CHECK(bpf_cpumask_first(cast(mask)) == cpu);
	CHECK(bpf_cpumask_test_and_clear_cpu(cpu, mask));
	CHECK(!bpf_cpumask_test_and_clear_cpu(cpu, mask));
	CHECK(!bpf_cpumask_test_cpu(cpu, cast(mask)));
	bpf_cpumask_set_cpu(cpu, mask);
	CHECK(bpf_cpumask_test_cpu(cpu, cast(mask)));
	bpf_cpumask_clear_cpu(cpu, mask);
	CHECK(bpf_cpumask_empty(cast(mask)));
	bpf_cpumask_release(mask);
}

SEC("syscall")
int set_test_clear_cpu(void *ctx)
{
	runs++;
	cpu_round_trip(0);
	cpu_round_trip(63);
	cpu_round_trip(64);
	cpu_round_trip(nr_cpus - 1);
	return 0;
}

/* A CPU at or past nr_cpu_ids is never set, found, or cleared. */
static __always_inline void cpu_past_end(u32 cpu)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask) {
		CHECK(false);
		return;
	}
	CHECK(!bpf_cpumask_test_and_set_cpu(cpu, mask));
	CHECK(!bpf_cpumask_test_and_set_cpu(cpu, mask));
	bpf_cpumask_set_cpu(cpu, mask);
	CHECK(!bpf_cpumask_test_cpu(cpu, cast(mask)));
	CHECK(!bpf_cpumask_test_and_clear_cpu(cpu, mask));
	CHECK(bpf_cpumask_empty(cast(mask)));
	bpf_cpumask_setall(mask);
	CHECK(!bpf_cpumask_test_cpu(cpu, cast(mask)));
	bpf_cpumask_clear_cpu(cpu, mask);
	CHECK(bpf_cpumask_full(cast(mask)));
	bpf_cpumask_release(mask);
}

SEC("syscall")
int cpus_past_end_ignored(void *ctx)
{
	runs++;
	cpu_past_end(nr_cpus);
	cpu_past_end(nr_cpus + 1);
	cpu_past_end(0xffffffff);
	return 0;
}

SEC("syscall")
int setall_clear_full_empty(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();
	u32 last = nr_cpus - 1;

	runs++;
	if (!mask) {
		CHECK(false);
		return 0;
	}
	CHECK(bpf_cpumask_empty(cast(mask)));
	CHECK(!bpf_cpumask_full(cast(mask)));
	CHECK(bpf_cpumask_weight(cast(mask)) == 0);
	CHECK(bpf_cpumask_first(cast(mask)) >= nr_cpus);
	CHECK(bpf_cpumask_first_zero(cast(mask)) == 0);
	bpf_cpumask_setall(mask);
	CHECK(bpf_cpumask_full(cast(mask)));
	CHECK(!bpf_cpumask_empty(cast(mask)));
	CHECK(bpf_cpumask_weight(cast(mask)) == nr_cpus);
	CHECK(bpf_cpumask_first(cast(mask)) == 0);
	CHECK(bpf_cpumask_first_zero(cast(mask)) >= nr_cpus);
	bpf_cpumask_clear_cpu(last, mask);
	CHECK(!bpf_cpumask_full(cast(mask)));
	CHECK(bpf_cpumask_first_zero(cast(mask)) == last);
	CHECK(bpf_cpumask_weight(cast(mask)) == last);
	bpf_cpumask_clear(mask);
	CHECK(bpf_cpumask_empty(cast(mask)));
	CHECK(bpf_cpumask_first(cast(mask)) >= nr_cpus);
	bpf_cpumask_release(mask);
	return 0;
}

/* a = {0, last}, b = {last}, c = {0}; on one CPU all three are {0}. */
SEC("syscall")
int and_or_xor_copy(void *ctx)
{
	u32 last = nr_cpus - 1, one = last != 0;
	struct bpf_cpumask *a, *b, *c, *dst;

	runs++;
	a = mask_of(0, last);
	b = mask_of(last, nr_cpus);
	c = mask_of(0, nr_cpus);
	dst = mask_of(0, last);
	if (!a || !b || !c || !dst)
		goto out;
	CHECK(bpf_cpumask_and(dst, cast(a), cast(b)));
	CHECK(bpf_cpumask_equal(cast(dst), cast(b)));
	CHECK(bpf_cpumask_and(dst, cast(b), cast(c)) == !one);
	CHECK(bpf_cpumask_empty(cast(dst)) == one);
	bpf_cpumask_or(dst, cast(b), cast(c));
	CHECK(bpf_cpumask_equal(cast(dst), cast(a)));
	bpf_cpumask_xor(dst, cast(a), cast(b));
	CHECK(bpf_cpumask_weight(cast(dst)) == one);
	CHECK(!one || bpf_cpumask_equal(cast(dst), cast(c)));
	bpf_cpumask_xor(dst, cast(a), cast(a));
	CHECK(bpf_cpumask_empty(cast(dst)));
	bpf_cpumask_copy(dst, cast(a));
	CHECK(bpf_cpumask_equal(cast(dst), cast(a)));
	bpf_cpumask_setall(dst);
	bpf_cpumask_copy(dst, cast(b));
	CHECK(bpf_cpumask_equal(cast(dst), cast(b)));
out:
	put(a);
	put(b);
	put(c);
	put(dst);
	return 0;
}

SEC("syscall")
int equal_intersects_subset(void *ctx)
{
	u32 last = nr_cpus - 1, one = last != 0;
	struct bpf_cpumask *a, *b, *b2, *c, *e, *f;

	runs++;
	a = mask_of(0, last);
	b = mask_of(last, last);
	b2 = mask_of(last, nr_cpus);	/* b, spelled with a CPU past the end */
	c = mask_of(0, 0);
	e = mask_of(nr_cpus, 0xffffffff);
	f = bpf_cpumask_create();
	if (!a || !b || !b2 || !c || !e || !f)
		goto out;
	bpf_cpumask_setall(f);
	CHECK(bpf_cpumask_equal(cast(a), cast(a)));
	CHECK(bpf_cpumask_equal(cast(b), cast(b2)));
	CHECK(bpf_cpumask_equal(cast(a), cast(b)) == !one);
	CHECK(bpf_cpumask_empty(cast(e)));
	CHECK(bpf_cpumask_intersects(cast(a), cast(b)));
	CHECK(bpf_cpumask_intersects(cast(b), cast(c)) == !one);
	CHECK(!bpf_cpumask_intersects(cast(e), cast(f)));
	CHECK(bpf_cpumask_subset(cast(b), cast(a)));
	CHECK(bpf_cpumask_subset(cast(a), cast(b)) == !one);
	CHECK(bpf_cpumask_subset(cast(e), cast(a)));
	CHECK(bpf_cpumask_subset(cast(a), cast(f)));
	CHECK(bpf_cpumask_subset(cast(f), cast(a)) == (nr_cpus <= 2));
out:
	put(a);
	put(b);
	put(b2);
	put(c);
	put(e);
	put(f);
	return 0;
}

SEC("syscall")
int first_and_distribute(void *ctx)
{
	u32 last = nr_cpus - 1, one = last != 0, n, cpu, i;
	struct bpf_cpumask *a, *b, *c, *e, *w;

	runs++;
	a = mask_of(0, last);
	b = mask_of(last, last);
	c = mask_of(0, 0);
	e = bpf_cpumask_create();
	w = bpf_cpumask_create();
	if (!a || !b || !c || !e || !w)
		goto out;
	CHECK(bpf_cpumask_first(cast(b)) == last);
	CHECK(bpf_cpumask_first_and(cast(a), cast(b)) == last);
	CHECK(!one || bpf_cpumask_first_and(cast(b), cast(c)) >= nr_cpus);
	CHECK(bpf_cpumask_first_and(cast(a), cast(e)) >= nr_cpus);
	cpu = bpf_cpumask_first_zero(cast(c));
	CHECK(one ? cpu == 1 : cpu >= nr_cpus);
	CHECK(bpf_cpumask_any_distribute(cast(b)) == last);
	CHECK(bpf_cpumask_any_distribute(cast(e)) >= nr_cpus);
	cpu = bpf_cpumask_any_distribute(cast(a));
	CHECK(cpu == 0 || cpu == last);
	CHECK(bpf_cpumask_any_and_distribute(cast(a), cast(b)) == last);
	CHECK(!one || bpf_cpumask_any_and_distribute(cast(b), cast(c)) >= nr_cpus);
	/* the first word full: first_zero crosses into the next */
	n = nr_cpus < 64 ? nr_cpus : 64;
	bpf_for(i, 0, n)
		bpf_cpumask_set_cpu(i, w);
	CHECK(bpf_cpumask_weight(cast(w)) == n);
	cpu = bpf_cpumask_first_zero(cast(w));
	CHECK(nr_cpus > 64 ? cpu == 64 : cpu >= nr_cpus);
out:
	put(a);
	put(b);
	put(c);
	put(e);
	put(w);
	return 0;
}

/* Linux 6.15+: nr_cpu_ids bits from BPF memory, in whole longs. */
u64 words[8];

SEC("syscall")
int populate(void *ctx)
{
	u32 need = (nr_cpus + 63) / 64 * 8, last = nr_cpus - 1, i;
	struct bpf_cpumask *mask;
	int ret;

	runs++;
	if (!bpf_ksym_exists(bpf_cpumask_populate)) {
		CHECK(false);
		return 0;
	}
	mask = mask_of(0, 0);
	if (!mask)
		return 0;
	/* the last CPU, and the first past the end: ignored */
	bpf_for(i, 0, 8) {
		words[i] = 0;
		if (i == last / 64)
			words[i] |= 1ULL << (last % 64);
		if (i == nr_cpus / 64)
			words[i] |= 1ULL << (nr_cpus % 64);
	}
	/* too short for nr_cpu_ids bits: refused, the mask unchanged */
	ret = bpf_cpumask_populate((struct cpumask *)mask, words, 1);
	CHECK(ret == -EACCES);
	CHECK(bpf_cpumask_test_cpu(0, cast(mask)));
	ret = bpf_cpumask_populate((struct cpumask *)mask, words, sizeof(words));
	if (need > sizeof(words)) {
		CHECK(ret == -EACCES);
	} else {
		CHECK(ret == 0);
		CHECK(bpf_cpumask_weight(cast(mask)) == 1);
		CHECK(bpf_cpumask_first(cast(mask)) == last);
	}
	bpf_cpumask_release(mask);
	return 0;
}

/*
 * Created masks against a trusted kernel mask, the task's cpus_ptr, read
 * once: a sleepable program holds the RCU read lock to use it.
 */
SEC("syscall")
int task_cpus_ptr(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct bpf_cpumask *copy, *dst, *f;
	const struct cpumask *cpus;

	runs++;
	copy = bpf_cpumask_create();
	dst = bpf_cpumask_create();
	f = bpf_cpumask_create();
	if (!copy || !dst || !f) {
		CHECK(false);
		goto out;
	}
	bpf_cpumask_setall(f);
	bpf_rcu_read_lock();
	cpus = task->cpus_ptr;
	bpf_cpumask_copy(copy, cpus);
	CHECK(bpf_cpumask_equal(cast(copy), cpus));
	CHECK(bpf_cpumask_subset(cast(copy), cpus) && bpf_cpumask_subset(cpus, cast(copy)));
	CHECK(bpf_cpumask_weight(cast(copy)) == bpf_cpumask_weight(cpus));
	CHECK(bpf_cpumask_intersects(cast(f), cpus));
	CHECK(bpf_cpumask_first_and(cast(f), cpus) == bpf_cpumask_first(cpus));
	CHECK(bpf_cpumask_and(dst, cast(f), cpus));
	CHECK(bpf_cpumask_equal(cast(dst), cpus));
	bpf_rcu_read_unlock();
	CHECK(!bpf_cpumask_empty(cast(copy)));
	bpf_cpumask_clear(dst);
	bpf_cpumask_or(dst, cast(dst), cast(copy));
	CHECK(bpf_cpumask_equal(cast(dst), cast(copy)));
out:
	put(copy);
	put(dst);
	put(f);
	return 0;
}
