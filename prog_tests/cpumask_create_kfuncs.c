// SPDX-License-Identifier: GPL-2.0
/*
 * The cpumask kfuncs on masks from bpf_cpumask_create(), at the edges:
 * each program checks itself and reports the line of its first failed check.
 */
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "cpumask_create_kfuncs.skel.h"

static const char *const progs[] = {
	"set_test_clear_cpu",
	"cpus_past_end_ignored",
	"setall_clear_full_empty",
	"and_or_xor_copy",
	"equal_intersects_subset",
	"first_and_distribute",
	"populate",
	"task_cpus_ptr",
};

static void test_kfuncs_prog(const char *name, int nr_cpus)
{
	static char log[64 * 1024];
	struct cpumask_create_kfuncs *skel;
	struct bpf_program *prog;
	int err;

	/* bpf_cpumask_populate() came with Linux 6.15 */
	if (!strcmp(name, "populate") && skip_because(probe_btf_func("bpf_cpumask_populate")))
		return;
	skel = cpumask_create_kfuncs__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	prog = autoload_only(skel->obj, name, log, sizeof(log));
	skel->bss->nr_cpus = nr_cpus;
	err = cpumask_create_kfuncs__load(skel);
	if (err) {
		if (!refused_for_prog_type(BPF_PROG_TYPE_SYSCALL, log) && !ASSERT_OK(err, "load"))
			printf("VERIFIER LOG:\n%s\n", log);
		goto out;
	}
	run_prog_ok(prog);
	ASSERT_EQ(skel->bss->runs, 1, "runs");
	ASSERT_EQ(skel->bss->err, 0, "line of the first failed check");
out:
	cpumask_create_kfuncs__destroy(skel);
}

void test_cpumask_create_kfuncs(void)
{
	int i, nr_cpus = libbpf_num_possible_cpus();

	if (skip_because(cpumask_create_unsupported()) ||
	    !ASSERT_GT(nr_cpus, 0, "libbpf_num_possible_cpus"))
		return;
	printf("nr_cpu_ids %d\n", nr_cpus);
	for (i = 0; i < ARRAY_SIZE(progs); i++)
		if (test__start_subtest(progs[i]))
			test_kfuncs_prog(progs[i], nr_cpus);
}
