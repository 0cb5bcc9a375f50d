// SPDX-License-Identifier: GPL-2.0
/*
 * A struct_ops operator that returns void (or a scalar) and exits with a
 * created mask in R0 must be refused with "Unreleased reference": nothing
 * ever frees that mask. Since 8d9f547f74c7 ("bpf: Allow struct_ops prog to
 * return referenced kptr") the verifier leaves a reference in R0 of a
 * struct_ops program to the return-value check, which looks at it only for
 * operators that return a pointer: the program loads, and every call leaks
 * a mask. A kernel that loads it fails the test (known-failures lists the
 * kernels and the fix). Each operator's twin, the same body releasing the
 * mask, must load.
 */
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "cpumask_create_struct_ops_leak.skel.h"

#define LEAK_MSG	"Unreleased reference"

static char load_log[64 * 1024];

/* One operator: the struct_ops maps of its leaking program and its twin. */
static const struct leak_case {
	const char *subtest, *op;
	const char *leaky, *leaky_prog, *twin;
	const char *needs;	/* a kfunc the struct_ops type brings along */
} cases[] = {
	{ "tcp_cc_init", "tcp_congestion_ops.init",
	  "init_leaky_cc", "cc_init_leaky", "init_twin_cc" },
	{ "tcp_cc_release", "tcp_congestion_ops.release",
	  "release_leaky_cc", "cc_release_leaky", "release_twin_cc" },
	{ "tcp_cc_ssthresh", "tcp_congestion_ops.ssthresh",
	  "ssthresh_leaky_cc", "cc_ssthresh_leaky", "ssthresh_twin_cc" },
	/* the finding is the verifier's, not TCP's (BPF qdiscs: CONFIG_NET_SCH_BPF) */
	{ "qdisc_reset", "Qdisc_ops.reset",
	  "reset_leaky_qdisc", "qdisc_reset_leaky", "reset_twin_qdisc", "bpf_qdisc_skb_drop" },
};

/*
 * Load struct_ops map @name alone, with the programs it holds; nothing
 * registers it. The verifier's log of program @prog goes to load_log.
 */
static int load_alone(const char *name, const char *prog)
{
	struct cpumask_create_struct_ops_leak *skel;
	struct bpf_map *map;
	int err;

	skel = cpumask_create_struct_ops_leak__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return -EINVAL;
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, !strcmp(bpf_map__name(map), name));
	if (prog)
		bpf_program__set_log_buf(bpf_object__find_program_by_name(skel->obj, prog),
					 load_log, sizeof(load_log));
	load_log[0] = '\0';
	err = cpumask_create_struct_ops_leak__load(skel);
	cpumask_create_struct_ops_leak__destroy(skel);
	return err;
}

static void test_leak(const struct leak_case *c)
{
	if (!load_alone(c->leaky, c->leaky_prog))
		PRINT_FAIL("%s: %s; every call leaks a mask\n", c->op,
			   "loads with a reference in R0 at exit, but returns no pointer to hand it over");
	else if (ASSERT_HAS_SUBSTR(load_log, LEAK_MSG, "why the leaking operator is refused"))
		printf("refused: %s leaving a mask in R0: %s\n", c->op, LEAK_MSG);
	else
		printf("VERIFIER LOG:\n%s\n", load_log);
	ASSERT_OK(load_alone(c->twin, NULL), "twin loads");
}

void test_cpumask_create_struct_ops_leak(void)
{
	const struct leak_case *c;

	if (skip_because(cpumask_create_unsupported()))
		return;
	for (c = cases; c < cases + ARRAY_SIZE(cases); c++)
		if (test__start_subtest(c->subtest) &&
		    !skip_because(c->needs ? probe_btf_func(c->needs) : NULL))
			test_leak(c);
}
