// SPDX-License-Identifier: GPL-2.0
#include <test_progs.h>
#include "cpumask_create_probe.h"
#include "cpumask_create_fail_leak.skel.h"
#include "cpumask_create_fail_null.skel.h"
#include "cpumask_create_fail_lifetime.skel.h"
#include "cpumask_create_fail_type.skel.h"
#include "cpumask_create_fail_context.skel.h"
#include "cpumask_create_allowed_types.skel.h"

void test_cpumask_create_fail_leak(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_leak);
}

void test_cpumask_create_fail_null(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_null);
}

void test_cpumask_create_fail_lifetime(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_lifetime);
}

void test_cpumask_create_fail_type(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_type);
}

void test_cpumask_create_fail_context(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_context);
}

#define NEVER		0

/*
 * Which program types may call bpf_cpumask_create(), by the first kernel
 * that lets them (NEVER: none yet). The kfunc came in 6.3 with its kfunc set
 * registered for TRACING (which LSM programs share) and STRUCT_OPS.
 */
static const struct {
	const char *type;	/* the subtest; its program is create_in_<type> */
	int since;
	bool trampoline;	/* needs a BPF trampoline to load */
	const char *why;
} prog_types[] = {
	{ "tp_btf", KVER(6, 3), false, "TRACING since 6.3" },
	{ "iter", KVER(6, 3), false, "TRACING since 6.3" },
	{ "fentry", KVER(6, 3), true, "TRACING since 6.3" },
	{ "fexit", KVER(6, 3), true, "TRACING since 6.3" },
	{ "fmod_ret", KVER(6, 3), true, "TRACING since 6.3" },
	{ "lsm", KVER(6, 3), true, "LSM shares TRACING's kfuncs, since 6.3" },
	{ "lsm_sleepable", KVER(6, 3), true, "LSM shares TRACING's kfuncs, since 6.3" },
	{ "struct_ops", KVER(6, 3), false, "STRUCT_OPS since 6.3" },
	/* a8e03b6bbb2c ("bpf: Allow invoking kfuncs from BPF_PROG_TYPE_SYSCALL progs") */
	{ "syscall", KVER(6, 10), false, "SYSCALL since 6.10" },
	/* "bpf: allow kfuncs within normal tracepoint programs" (and perf_event) */
	{ "tracepoint", KVER(6, 12), false, "TRACEPOINT shares TRACING's kfuncs since 6.12" },
	{ "perf_event", KVER(6, 12), false, "PERF_EVENT shares TRACING's kfuncs since 6.12" },
	/*
	 * "bpf: allow calling kfuncs from raw_tp programs", posted to bpf-next
	 * in December 2025, after 6.19's merge window: 7.0 at the earliest.
	 */
	{ "raw_tp", KVER(7, 0), false, "RAW_TRACEPOINT shares TRACING's kfuncs from 7.0" },
	{ "kprobe", NEVER, false, "no cpumask kfuncs for KPROBE" },
	{ "xdp", NEVER, false, "no cpumask kfuncs for XDP" },
	{ "tc", NEVER, false, "no cpumask kfuncs for SCHED_CLS" },
	{ "socket_filter", NEVER, false, "no cpumask kfuncs for SOCKET_FILTER" },
	{ "cgroup_skb", NEVER, false, "no cpumask kfuncs for CGROUP_SKB" },
	{ "cgroup_sock", NEVER, false, "no cpumask kfuncs for CGROUP_SOCK" },
	{ "sk_lookup", NEVER, false, "no kfuncs at all for SK_LOOKUP" },
	{ "flow_dissector", NEVER, false, "no kfuncs at all for FLOW_DISSECTOR" },
};

static void test_prog_type(int i, int kver, char *log, size_t log_sz)
{
	struct cpumask_create_allowed_types *skel;
	bool allowed = prog_types[i].since != NEVER && kver >= prog_types[i].since;
	bool struct_ops = !strcmp(prog_types[i].type, "struct_ops");
	struct bpf_program *prog;
	char name[64];
	int err;

	if (prog_types[i].trampoline && skip_because(trampoline_unsupported()))
		return;
	skel = cpumask_create_allowed_types__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	snprintf(name, sizeof(name), "create_in_%s", prog_types[i].type);
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!ASSERT_OK_PTR(prog, name))
		goto out;
	/* struct_ops programs load with their map; the others without it */
	if (!struct_ops)
		bpf_program__set_autoload(prog, true);
	bpf_map__set_autocreate(skel->maps.prog_types_ca, struct_ops);
	bpf_program__set_log_buf(prog, log, log_sz);
	log[0] = '\0';

	err = cpumask_create_allowed_types__load(skel);
	printf("%s: %s on %d.%d (%s)\n", prog_types[i].type,
	       allowed ? "allowed" : "not allowed", kver >> 8, kver & 0xff, prog_types[i].why);
	if (allowed) {
		if (!ASSERT_OK(err, "load"))
			printf("VERIFIER LOG:\n=============\n%s=============\n", log);
		ASSERT_OK_FD(bpf_program__fd(prog), name);
	} else {
		/* the verifier's EACCES, not a refusal before it ran */
		ASSERT_EQ(err, -EACCES, "load error");
		ASSERT_HAS_SUBSTR(log, "calling kernel function bpf_cpumask_create is not allowed",
				  "verifier log");
	}
out:
	cpumask_create_allowed_types__destroy(skel);
}

void test_cpumask_create_allowed_types(void)
{
	static char log[64 * 1024];
	int kver = running_kernel();
	size_t i;

	if (skip_because(cpumask_create_unsupported()))
		return;
	if (!ASSERT_GT(kver, 0, "kernel version from uname"))
		return;
	for (i = 0; i < ARRAY_SIZE(prog_types); i++)
		if (test__start_subtest(prog_types[i].type))
			test_prog_type(i, kver, log, sizeof(log));
}
