// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() at run time: a new mask is empty, every possible CPU
 * can be set, tested and cleared in it, it must be released, and it may be
 * NULL.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* set by the test: nr_cpu_ids as user space sees it */
u32 nr_cpus;
u32 runs;

/*
 * A new mask is empty, and each possible CPU, alone in it, is set, tested
 * and cleared. Returns the line of the first failed check, 0 if none.
 */
SEC("syscall")
int create_in_syscall(void *ctx)
{
	struct bpf_cpumask *mask;
	u32 cpu, checked = 0;
	int err = 0;

	runs++;
	mask = bpf_cpumask_create();
	if (!mask)
		return __LINE__;
	if (!bpf_cpumask_empty(cast(mask)) || bpf_cpumask_weight(cast(mask)) ||
	    bpf_cpumask_first(cast(mask)) != nr_cpus)
		err = __LINE__;
	bpf_for(cpu, 0, nr_cpus) {
		if (err)
			break;
		bpf_cpumask_set_cpu(cpu, mask);
		if (!bpf_cpumask_test_cpu(cpu, cast(mask)) ||
		    bpf_cpumask_weight(cast(mask)) != 1 || bpf_cpumask_first(cast(mask)) != cpu)
			err = __LINE__;
		bpf_cpumask_clear_cpu(cpu, mask);
		if (bpf_cpumask_test_cpu(cpu, cast(mask)) || !bpf_cpumask_empty(cast(mask)))
			err = __LINE__;
		checked++;
	}
	if (!err && checked != nr_cpus)
		err = __LINE__;
	bpf_cpumask_release(mask);
	return err;
}

/*
 * The allocator hands freed masks back out. Dirty a batch (every bit set),
 * release it, and check that masks created later are empty all the same;
 * record their addresses so the test can tell memory was really reused.
 */
u64 dirtied[REUSE_BATCH];
u64 fresh[REUSE_BATCH];
u32 dirty_runs, fresh_runs, fresh_created, fresh_not_empty;

SEC("syscall")
int dirty_and_release_batch(void *ctx)
{
	u32 i;

	dirty_runs++;
	bpf_for(i, 0, REUSE_BATCH) {
		struct bpf_cpumask *mask = bpf_cpumask_create();

		if (!mask)
			continue;
		bpf_cpumask_setall(mask);
		dirtied[i] = (u64)mask;
		bpf_cpumask_release(mask);
	}
	return 0;
}

SEC("syscall")
int create_batch_check_empty(void *ctx)
{
	u32 i;

	fresh_runs++;
	bpf_for(i, 0, REUSE_BATCH) {
		struct bpf_cpumask *mask = bpf_cpumask_create();

		if (!mask)
			continue;
		fresh_created++;
		fresh[i] = (u64)mask;
		if (!bpf_cpumask_empty(cast(mask)) || bpf_cpumask_weight(cast(mask)) ||
		    bpf_cpumask_first(cast(mask)) < nr_cpus)
			fresh_not_empty++;
		bpf_cpumask_release(mask);
	}
	return 0;
}

/* The documented example: create, check for NULL, use, release. */
u32 example_runs, example_weight;
bool example_cpu0_set;

SEC("syscall")
int create_use_release(void *ctx)
{
	struct bpf_cpumask *mask;

	example_runs++;
	mask = bpf_cpumask_create();
	if (!mask)			/* out of memory; the verifier insists on the check */
		return 1;
	bpf_cpumask_set_cpu(0, mask);	/* new masks are empty */
	example_cpu0_set = bpf_cpumask_test_cpu(0, (const struct cpumask *)mask);
	example_weight = bpf_cpumask_weight((const struct cpumask *)mask);
	bpf_cpumask_release(mask);	/* or bpf_kptr_xchg() it into a map */
	return 0;
}

/*
 * NULL when the allocator's per-CPU cache is empty and refilling it fails:
 * the test makes the refill's slab allocations fail (failslab), this
 * program holds every mask it gets in a map slot until the cache runs dry,
 * takes its NULL branch and stops.
 */
MASK_SLOTS(held_masks, NULL_PATH_TRIES);

u32 drain_runs, drain_created, drain_nulls, drain_errors;

static int hold_one(u32 i, void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;

	mask = bpf_cpumask_create();
	if (!mask) {
		drain_nulls++;
		return 1;	/* drained: stop, so that few failures are used up */
	}
	drain_created++;
	slot = bpf_map_lookup_elem(&held_masks, &i);
	if (!slot) {
		drain_errors++;
		bpf_cpumask_release(mask);
		return 1;
	}
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		drain_errors++;
		bpf_cpumask_release(old);
	}
	return 0;
}

SEC("syscall")
int hold_until_null(void *ctx)
{
	drain_runs++;
	bpf_loop(NULL_PATH_TRIES, hold_one, NULL, 0);
	return 0;
}
