// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_runtime.skel.h"

/* each round waits for a grace period; a handful usually suffice */
#define REUSE_MAX_ROUNDS	200

#define FAILSLAB	"/sys/kernel/debug/failslab/"
/* at most this many failures: a killed runner leaves the window closing */
#define FAILSLAB_TIMES	"2000"
/* creates that may still find the cache empty once failures are off */
#define RECOVERY_TRIES	8

static struct cpumask_create_runtime *open_runtime(int nr_cpus)
{
	struct cpumask_create_runtime *skel;

	skel = cpumask_create_runtime__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	skel->bss->nr_cpus = nr_cpus;
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
	ASSERT_EQ(skel->bss->runs, 1, "runs");
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

static const char *const knobs[] = {
	"probability", "interval", "times", "space", "verbose",
	"task-filter", "cache-filter", "ignore-gfp-wait",
};

static bool knob_io(const char *knob, char *buf, size_t len, bool write_it)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FAILSLAB "%s", knob);
	fd = open(path, write_it ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		return false;
	n = write_it ? write(fd, buf, strlen(buf)) : read(fd, buf, len - 1);
	close(fd);
	if (write_it)
		return n == (ssize_t)strlen(buf);
	if (n <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

/* Every non-sleeping slab allocation fails, silently, FAILSLAB_TIMES at most. */
static bool failslab_arm(void)
{
	static const char *const arm[][2] = {
		{ "task-filter", "N" }, { "cache-filter", "N" }, { "ignore-gfp-wait", "Y" },
		{ "verbose", "0" }, { "space", "0" }, { "interval", "1" },
		{ "times", FAILSLAB_TIMES }, { "probability", "100" },
	};
	char val[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(arm); i++) {
		snprintf(val, sizeof(val), "%s", arm[i][1]);
		if (!knob_io(arm[i][0], val, 0, true))
			return false;
	}
	return true;
}

/*
 * The NULL comes from the kernel itself: failslab makes the slab
 * allocations that refill the BPF allocator's per-CPU cache fail while one
 * program drains that cache on one CPU. Then the docs example runs there
 * and must take its NULL branch, and once failures are off, create again.
 */
static void test_null_path(int nr_cpus)
{
	LIBBPF_OPTS(bpf_test_run_opts, drain);
	LIBBPF_OPTS(bpf_test_run_opts, example);
	struct cpumask_create_runtime *skel;
	char saved[ARRAY_SIZE(knobs)][32];
	int drain_err = -1, example_err = -1;
	int drain_fd, example_fd;
	bool armed;
	cpu_set_t old;
	size_t i;

	if (skip_because(access(FAILSLAB "probability", W_OK) ?
			 "failslab not available (CONFIG_FAILSLAB, debugfs)" : NULL))
		return;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (!ASSERT_TRUE(knob_io(knobs[i], saved[i], sizeof(saved[i]), false), knobs[i]))
			return;
	skel = open_runtime(nr_cpus);
	if (!skel)
		return;
	if (!ASSERT_OK(cpumask_create_runtime__load(skel), "load") || !save_affinity(&old))
		goto out;
	drain_fd = bpf_program__fd(skel->progs.hold_until_null);
	example_fd = bpf_program__fd(skel->progs.create_use_release);
	/* the allocator caches per CPU: drain and run the example on one */
	if (!pin_to_cpu(0))
		goto restore;
	armed = failslab_arm();
	if (ASSERT_TRUE(armed, "arm failslab")) {
		drain_err = bpf_prog_test_run_opts(drain_fd, &drain);
		example_err = bpf_prog_test_run_opts(example_fd, &example);
	}
	/* probability first: from here on nothing fails */
	knob_io("probability", (char[]){ "0" }, 0, true);
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		ASSERT_TRUE(knob_io(knobs[i], saved[i], 0, true), "restore failslab");
	if (!armed)
		goto restore;

	printf("%u masks created, %u NULL returns\n", skel->bss->drain_created,
	       skel->bss->drain_nulls);
	ASSERT_OK(drain_err, "drain test_run");
	ASSERT_EQ(skel->bss->drain_runs, 1, "drain ran once");
	ASSERT_EQ(skel->bss->drain_errors, 0, "slot errors");
	ASSERT_EQ(skel->bss->drain_nulls, 1, "NULL returns taken");
	ASSERT_LT(skel->bss->drain_created, NULL_PATH_TRIES, "masks held before the NULL");
	ASSERT_OK(example_err, "example test_run");
	ASSERT_EQ(skel->bss->example_runs, 1, "example ran once");
	ASSERT_EQ(example.retval, 1, "example took its NULL branch");

	/*
	 * Failures off, the cache refills: a create that finds it empty queues
	 * the refill and returns NULL, a later one gets a mask.
	 */
	for (i = 0; i < RECOVERY_TRIES; i++) {
		example.retval = -1;
		if (!ASSERT_OK(bpf_prog_test_run_opts(example_fd, &example), "example test_run") ||
		    example.retval == 0)
			break;
	}
	printf("example created a mask again after %zu NULL returns\n", i);
	ASSERT_EQ(example.retval, 0, "example created a mask again");
	ASSERT_EQ(skel->bss->example_weight, 1, "new mask's weight");
restore:
	restore_affinity(&old);
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
	if (test__start_subtest("fresh_mask_after_reuse"))
		test_fresh_after_reuse(nr_cpus);
	if (test__start_subtest("create_use_release"))
		test_create_use_release(nr_cpus);
	if (test__start_subtest("null_path"))
		test_null_path(nr_cpus);
}
