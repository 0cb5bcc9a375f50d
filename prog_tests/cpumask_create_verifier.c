// SPDX-License-Identifier: GPL-2.0
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "cpumask_create_fail_leak.skel.h"
#include "cpumask_create_fail_null.skel.h"
#include "cpumask_create_fail_lifetime.skel.h"
#include "cpumask_create_fail_type.skel.h"
#include "cpumask_create_fail_context.skel.h"
#include "cpumask_create_allowed_types.skel.h"

/*
 * Every rule of the verifier's contract, each rejection next to (or naming)
 * a twin that differs only in the rule it breaks and loads.
 */
void test_cpumask_create_verifier(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_leak);
	RUN_TESTS(cpumask_create_fail_null);
	RUN_TESTS(cpumask_create_fail_lifetime);
	RUN_TESTS(cpumask_create_fail_type);
	RUN_TESTS(cpumask_create_fail_context);
}

/*
 * Releasing a pointer without a reference is rejected on every kernel, but
 * how changed in 7.2 (see release_checks_reference()): the message pinned
 * in progs/ accepts both, this checks which one, and the errno, per kernel.
 */
static const struct {
	const char *prog;
	const char *before_7_2;	/* the message up to 7.1 */
	int errno_before_7_2;
} release_unreferenced[] = {
	{ "release_twice_after_null_check", "R1 type=scalar expected=fp", EACCES },
	{ "release_stored_mask_without_xchg", "R1 must be referenced or trusted", EINVAL },
	{ "release_task_cpumask", "R1 must be referenced or trusted", EINVAL },
};

static void test_release_unreferenced_one(int i, char *log, size_t log_sz)
{
	bool named = release_checks_reference();
	struct cpumask_create_fail_lifetime *skel;
	struct bpf_program *prog;
	int err;

	skel = cpumask_create_fail_lifetime__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	prog = autoload_only(skel->obj, release_unreferenced[i].prog, log, log_sz);
	if (!ASSERT_OK_PTR(prog, release_unreferenced[i].prog))
		goto out;
	err = cpumask_create_fail_lifetime__load(skel);
	ASSERT_EQ(err, named ? -EINVAL : -release_unreferenced[i].errno_before_7_2, "load error");
	ASSERT_HAS_SUBSTR(log, named ? RELEASE_UNREFERENCED : release_unreferenced[i].before_7_2,
			  "verifier log");
out:
	cpumask_create_fail_lifetime__destroy(skel);
}

void test_cpumask_create_release_unreferenced(void)
{
	static char log[64 * 1024];
	size_t i;

	if (skip_because(cpumask_create_unsupported()))
		return;
	for (i = 0; i < ARRAY_SIZE(release_unreferenced); i++)
		if (test__start_subtest(release_unreferenced[i].prog))
			test_release_unreferenced_one(i, log, sizeof(log));
}

/*
 * One body loaded as each program type: allowed or refused by the verifier
 * as cpumask_create_allowed_since() says for the running kernel. The subtest
 * is the type; its program is create_in_<type>.
 */
static const struct {
	const char *type;
	bool trampoline;	/* needs a BPF trampoline to load */
} prog_types[] = {
	{ "tp_btf" }, { "iter" },
	{ "fentry", true }, { "fexit", true }, { "fmod_ret", true },
	{ "lsm", true }, { "lsm_sleepable", true },
	{ "struct_ops" }, { "syscall" }, { "tracepoint" }, { "perf_event" },
	{ "raw_tp" }, { "kprobe" }, { "xdp" }, { "tc" }, { "socket_filter" },
	{ "cgroup_skb" }, { "cgroup_sock" }, { "sk_lookup" }, { "flow_dissector" },
};

static void test_prog_type(int i, int kver, char *log, size_t log_sz)
{
	struct cpumask_create_allowed_types *skel;
	bool struct_ops = !strcmp(prog_types[i].type, "struct_ops");
	struct bpf_program *prog;
	bool allowed;
	char name[64];
	int err, since;

	if (prog_types[i].trampoline && skip_because(trampoline_unsupported()))
		return;
	skel = cpumask_create_allowed_types__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	snprintf(name, sizeof(name), "create_in_%s", prog_types[i].type);
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!ASSERT_OK_PTR(prog, name))
		goto out;
	since = cpumask_create_allowed_since(bpf_program__type(prog));
	allowed = since && kver >= since;
	/* struct_ops programs load with their map; the others without it */
	if (!struct_ops)
		bpf_program__set_autoload(prog, true);
	bpf_map__set_autocreate(skel->maps.prog_types_ca, struct_ops);
	bpf_program__set_log_buf(prog, log, log_sz);
	log[0] = '\0';

	err = cpumask_create_allowed_types__load(skel);
	printf("%s: expect %s (allowed since %d.%d, 0.0: never; running %d.%d)\n",
	       libbpf_bpf_prog_type_str(bpf_program__type(prog)),
	       allowed ? "allowed" : "refused", since >> 8, since & 0xff, kver >> 8, kver & 0xff);
	if (allowed) {
		if (!ASSERT_OK(err, "load"))
			printf("VERIFIER LOG:\n=============\n%s=============\n", log);
		ASSERT_OK_FD(bpf_program__fd(prog), name);
	} else {
		/* the verifier's EACCES, not a refusal before it ran */
		ASSERT_EQ(err, -EACCES, "load error");
		ASSERT_HAS_SUBSTR(log, CPUMASK_CREATE_NOT_ALLOWED, "verifier log");
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
