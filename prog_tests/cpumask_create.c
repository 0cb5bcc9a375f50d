// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_runtime.skel.h"

/* each round waits for a grace period; a handful usually suffice */
#define REUSE_MAX_ROUNDS	200

static void check_report(const struct report *r, int nr_cpus)
{
	ASSERT_EQ(r->runs, 1, "program ran once");
	ASSERT_TRUE(r->created, "bpf_cpumask_create returned a mask");
	ASSERT_EQ(r->err_line, 0, "first failed check (line in the BPF program)");
	ASSERT_TRUE(r->empty, "new mask is empty");
	ASSERT_EQ(r->weight, 0, "weight of a new mask");
	ASSERT_EQ(r->first, nr_cpus, "first cpu of a new mask is nr_cpu_ids");
	ASSERT_EQ(r->cpus_checked, nr_cpus, "cpus set, tested and cleared");
}

static struct cpumask_create_runtime *open_runtime(int nr_cpus)
{
	struct cpumask_create_runtime *skel;

	skel = cpumask_create_runtime__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	skel->bss->nr_cpus = nr_cpus;
	skel->data->trigger_syscall = SYS_getpgid;
	return skel;
}

static void test_syscall(int nr_cpus)
{
	struct cpumask_create_runtime *skel = open_runtime(nr_cpus);

	if (!skel)
		return;
	if (!ASSERT_OK(cpumask_create_runtime__load(skel), "load"))
		goto out;
	run_prog_ok(skel->progs.create_in_syscall);
	check_report(&skel->bss->syscall_report, nr_cpus);
out:
	cpumask_create_runtime__destroy(skel);
}

static void test_tp_btf(int nr_cpus)
{
	struct cpumask_create_runtime *skel = open_runtime(nr_cpus);
	struct bpf_link *link;

	if (!skel)
		return;
	if (!ASSERT_OK(cpumask_create_runtime__load(skel), "load"))
		goto out;
	skel->bss->target_pid = getpid();
	link = bpf_program__attach(skel->progs.create_in_tp_btf_sys_enter);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	syscall(SYS_getpgid, 0);
	bpf_link__destroy(link);
	check_report(&skel->bss->tp_btf_report, nr_cpus);
out:
	cpumask_create_runtime__destroy(skel);
}

/*
 * Dirty a batch of masks, free it, force an RCU grace period, then check
 * that masks created next are empty. A freed mask waits for a grace period
 * in the allocator's per-CPU cache, which then hands it out again on its
 * next refill: rounds go on until a whole batch's worth of new masks landed
 * in dirtied memory. Pinned to one CPU: the allocator caches per CPU.
 */
static void test_fresh_after_reuse(int nr_cpus)
{
	struct cpumask_create_runtime *skel = open_runtime(nr_cpus);
	cpu_set_t old;
	static __u64 seen[REUSE_MAX_ROUNDS * REUSE_BATCH];
	int round, i, j, reused = 0, nseen = 0;

	if (!skel)
		return;
	if (!ASSERT_OK(sched_getaffinity(0, sizeof(old), &old), "sched_getaffinity"))
		goto out;
	if (!ASSERT_OK(cpumask_create_runtime__load(skel), "load") || !pin_to_cpu(0))
		goto restore;
	for (round = 0; round < REUSE_MAX_ROUNDS && reused < REUSE_BATCH; round++) {
		run_prog_ok(skel->progs.dirty_and_release_batch);
		for (i = 0; i < REUSE_BATCH; i++)
			seen[nseen++] = skel->bss->dirtied[i];
		ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
		run_prog_ok(skel->progs.create_batch_check_empty);
		for (i = 0; i < REUSE_BATCH; i++)
			for (j = 0; j < nseen; j++)
				if (skel->bss->fresh[i] == seen[j]) {
					reused++;
					break;
				}
	}
	printf("%d of %d new masks reused dirtied memory in %d rounds\n", reused,
	       round * REUSE_BATCH, round);
	ASSERT_EQ(skel->bss->dirty_runs, round, "dirtying runs");
	ASSERT_EQ(skel->bss->fresh_runs, round, "checking runs");
	ASSERT_EQ(skel->bss->fresh_created, round * REUSE_BATCH, "masks created");
	ASSERT_EQ(skel->bss->fresh_not_empty, 0, "new masks that were not empty");
	/* without reuse the check above would prove nothing */
	ASSERT_GE(reused, REUSE_BATCH, "new masks placed in dirtied memory");
restore:
	sched_setaffinity(0, sizeof(old), &old);
out:
	cpumask_create_runtime__destroy(skel);
}

/* the kfunc's documentation quotes create_use_release() as its example */
static void test_create_use_release(int nr_cpus)
{
	struct cpumask_create_runtime *skel = open_runtime(nr_cpus);

	if (!skel)
		return;
	if (!ASSERT_OK(cpumask_create_runtime__load(skel), "load"))
		goto out;
	run_prog_ok(skel->progs.create_use_release);
	ASSERT_EQ(skel->bss->example_runs, 1, "example ran");
	ASSERT_TRUE(skel->bss->example_cpu0_set, "cpu 0 set");
	ASSERT_EQ(skel->bss->example_weight, 1, "weight");
out:
	cpumask_create_runtime__destroy(skel);
}

void serial_test_cpumask_create(void)
{
	int nr_cpus = libbpf_num_possible_cpus();

	if (skip_because(cpumask_create_unsupported()))
		return;
	if (!ASSERT_GT(nr_cpus, 0, "libbpf_num_possible_cpus"))
		return;
	if (test__start_subtest("syscall"))
		test_syscall(nr_cpus);
	if (test__start_subtest("tp_btf"))
		test_tp_btf(nr_cpus);
	if (test__start_subtest("fresh_mask_after_reuse"))
		test_fresh_after_reuse(nr_cpus);
	if (test__start_subtest("create_use_release"))
		test_create_use_release(nr_cpus);
}
