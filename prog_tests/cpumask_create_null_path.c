// SPDX-License-Identifier: GPL-2.0
/*
 * Programs survive bpf_cpumask_create() returning NULL. The NULL comes from
 * the kernel itself: failslab (CONFIG_FAILSLAB, debugfs) makes the
 * non-sleeping slab allocations that refill the BPF allocator's per-CPU
 * cache fail, a bounded number of times, while one program drains that
 * cache on one CPU. Then the docs example runs there and must take its
 * NULL branch.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_null_path.skel.h"
#include "cpumask_create_runtime.skel.h"

#define FAILSLAB	"/sys/kernel/debug/failslab/"
/*
 * Failures injected at most: if the runner is killed while they are armed,
 * the window still closes by itself after that many.
 */
#define FAILSLAB_TIMES	"2000"
/* creates that may still find the cache empty once failures are off */
#define RECOVERY_TRIES	8

static const char *const knobs[] = {
	"probability", "interval", "times", "space", "verbose",
	"task-filter", "cache-filter", "ignore-gfp-wait",
};

static int knob_open(const char *knob, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "%s", knob);
	return open(path, flags);
}

static bool knob_read(const char *knob, char *buf, size_t len)
{
	int fd = knob_open(knob, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

static bool knob_write(const char *knob, const char *val)
{
	int fd = knob_open(knob, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val);
}

/* Every non-sleeping slab allocation fails, silently, FAILSLAB_TIMES at most. */
static bool failslab_arm(void)
{
	return knob_write("task-filter", "N") && knob_write("cache-filter", "N") &&
	       knob_write("ignore-gfp-wait", "Y") && knob_write("verbose", "0") &&
	       knob_write("space", "0") && knob_write("interval", "1") &&
	       knob_write("times", FAILSLAB_TIMES) && knob_write("probability", "100");
}

void serial_test_cpumask_create_null_path(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, drain);
	LIBBPF_OPTS(bpf_test_run_opts, example);
	char saved[ARRAY_SIZE(knobs)][32];
	static char log[16384];
	struct cpumask_create_null_path *skel = NULL;
	struct cpumask_create_runtime *rt = NULL;
	int drain_err = -1, example_err = -1;
	bool armed = false;
	cpu_set_t old;
	size_t i;

	if (skip_because(cpumask_create_unsupported()))
		return;
	if (skip_because(access(FAILSLAB "probability", W_OK) ?
			 "failslab not available (CONFIG_FAILSLAB, debugfs)" : NULL))
		return;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (!ASSERT_TRUE(knob_read(knobs[i], saved[i], sizeof(saved[i])), knobs[i]))
			return;

	skel = cpumask_create_null_path__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_program__set_log_buf(skel->progs.hold_until_null, log, sizeof(log));
	if (cpumask_create_null_path__load(skel)) {
		/* SYSCALL programs may call the kfunc from 6.10 on */
		if (!refused_for_prog_type(BPF_PROG_TYPE_SYSCALL, log))
			PRINT_FAIL("load: %s\n", log);
		goto out;
	}
	rt = cpumask_create_runtime__open_and_load();
	if (!ASSERT_OK_PTR(rt, "runtime open_and_load"))
		goto out;
	/* the allocator caches per CPU: drain and run the example on one */
	if (!save_affinity(&old))
		goto out;
	if (!pin_to_cpu(0))
		goto restore_affinity;

	armed = failslab_arm();
	if (ASSERT_TRUE(armed, "arm failslab")) {
		drain_err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.hold_until_null),
						   &drain);
		example_err = bpf_prog_test_run_opts(bpf_program__fd(rt->progs.create_use_release),
						     &example);
	}
	/* probability first: from here on nothing fails */
	knob_write("probability", "0");
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		ASSERT_TRUE(knob_write(knobs[i], saved[i]), "restore failslab");
	if (!armed)
		goto restore_affinity;

	printf("%u masks created, %u NULL returns\n", skel->bss->created, skel->bss->nulls);
	ASSERT_OK(drain_err, "drain test_run");
	ASSERT_EQ(drain.retval, 0, "drain retval");
	ASSERT_EQ(skel->bss->drain_runs, 1, "drain ran once");
	ASSERT_EQ(skel->bss->errors, 0, "slot errors");
	ASSERT_EQ(skel->bss->nulls, 1, "NULL returns taken");
	ASSERT_LT(skel->bss->created, NULL_PATH_TRIES, "masks held before the NULL");
	/* the docs example, on the drained CPU: its NULL branch returns 1 */
	ASSERT_OK(example_err, "example test_run");
	ASSERT_EQ(rt->bss->example_runs, 1, "example ran once");
	ASSERT_EQ(example.retval, 1, "example took its NULL branch");

	/*
	 * Failures off, the cache refills: a create that finds it empty
	 * queues the refill and returns NULL, the next one gets a mask. Also
	 * leaves the CPU able to serve the tests that follow.
	 */
	for (i = 0; i < RECOVERY_TRIES; i++) {
		example.retval = -1;
		if (!ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(rt->progs.create_use_release),
						      &example), "example test_run") ||
		    example.retval == 0)
			break;
	}
	printf("example created a mask again after %zu NULL returns\n", i);
	ASSERT_EQ(example.retval, 0, "example created a mask again");
	ASSERT_EQ(rt->bss->example_weight, 1, "new mask's weight");
restore_affinity:
	restore_affinity(&old);
out:
	cpumask_create_runtime__destroy(rt);
	cpumask_create_null_path__destroy(skel);
}
