// SPDX-License-Identifier: GPL-2.0
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "cpumask_create_fail_leak.skel.h"
#include "cpumask_create_fail_null.skel.h"
#include "cpumask_create_fail_lifetime.skel.h"
#include "cpumask_create_fail_type.skel.h"
#include "cpumask_create_fail_context.skel.h"
#include "cpumask_create_fail_exit.skel.h"
#include "cpumask_create_fail_throw.skel.h"

/*
 * Exceptions need the bpf_throw() kfunc (6.7+) and a JIT that supports them:
 * the verifier refuses the call otherwise. Load a program that throws; only
 * those two reasons skip, any other refusal is left for the tests to report.
 */
#define NO_JIT_EXCEPTIONS "JIT does not support calling kfunc bpf_throw"

static const char *exceptions_unsupported(void)
{
	static char log[4096];
	static const char *ret;
	static bool probed;
	struct btf *btf;
	int id, fd;

	if (probed)
		return ret;
	probed = true;
	ret = probe_btf_func("bpf_throw");
	if (ret)
		goto out;
	btf = btf__load_vmlinux_btf();
	id = btf ? btf__find_by_name_kind(btf, "bpf_throw", BTF_KIND_FUNC) : -1;
	btf__free(btf);
	{
		const struct bpf_insn insns[] = {
			BPF_MOV64_IMM(BPF_REG_1, 0),
			BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id),
			BPF_MOV64_IMM(BPF_REG_0, 0),
			BPF_EXIT_INSN(),
		};
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = BPF_F_SLEEPABLE,
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);

		log[0] = '\0';
		fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, "throw_probe", "GPL",
				   insns, ARRAY_SIZE(insns), &opts);
	}
	if (fd >= 0)
		close(fd);
	else if (strstr(log, NO_JIT_EXCEPTIONS))
		ret = NO_JIT_EXCEPTIONS;
	else
		printf("probe: a program that calls bpf_throw: %s\nVERIFIER LOG:\n%s\n",
		       strerror(errno), log);
out:
	printf("probe: exceptions: %s\n", ret ?: "available");
	return ret;
}

/*
 * Where exceptions are missing, each program of the exceptions' file is
 * still a subtest of its own, as RUN_TESTS() would name it, skipped with
 * @reason.
 */
static void skip_programs(const void *bytes, size_t sz, const char *reason)
{
	struct bpf_program *prog;
	struct bpf_object *obj;

	obj = bpf_object__open_mem(bytes, sz, NULL);
	if (!ASSERT_OK_PTR(obj, "obj_open_mem"))
		return;
	bpf_object__for_each_program(prog, obj) {
		if (!test__start_subtest(bpf_program__name(prog)))
			continue;
		skip_because(reason);
		test__end_subtest();
	}
	bpf_object__close(obj);
}

/*
 * Every rule of the verifier's contract, each rejection next to (or naming)
 * a twin that differs only in the rule it breaks and loads.
 */
void test_cpumask_create_verifier(void)
{
	const char *no_exceptions;
	const void *bytes;
	size_t sz;

	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_leak);
	RUN_TESTS(cpumask_create_fail_null);
	RUN_TESTS(cpumask_create_fail_lifetime);
	RUN_TESTS(cpumask_create_fail_type);
	RUN_TESTS(cpumask_create_fail_context);
	RUN_TESTS(cpumask_create_fail_exit);
	no_exceptions = exceptions_unsupported();
	if (!no_exceptions) {
		RUN_TESTS(cpumask_create_fail_throw);
	} else {
		bytes = cpumask_create_fail_throw__elf_bytes(&sz);
		skip_programs(bytes, sz, no_exceptions);
	}
}

/*
 * Releasing a pointer without a reference is refused on every kernel, in
 * one of these wordings, each with its errno (the pins in progs/ accept
 * them all): which one a kernel prints is not the rule, but the errno must
 * be the wording's, and the log must stop at the offending release.
 */
static const struct {
	const char *msg;
	int err;
} unreferenced_msgs[] = {
	/* the pointer was released: its register became a scalar (6.3 to 7.1) */
	{ "R1 type=scalar expected=fp", EACCES },
	/* never referenced (6.3 to 7.1), or released already (6.18.44) */
	{ "R1 must be referenced or trusted", EINVAL },
	/* the rule named (7.2 on) */
	{ "release kfunc bpf_cpumask_release expects referenced PTR_TO_BTF_ID passed to R1",
	  EINVAL },
};

static const struct {
	const char *prog;
	int releases;	/* bpf_cpumask_release() calls up to the refused one */
} release_unreferenced[] = {
	{ "release_twice_after_null_check", 2 },
	{ "release_stored_mask_without_xchg", 1 },
	{ "release_task_cpumask", 1 },
};

/*
 * The last instruction the verifier printed before @msg, which must be the
 * @n-th call of bpf_cpumask_release() in @log: it stopped at the release.
 */
static void check_stops_at_release(const char *log, const char *msg, int n)
{
	const char *end = strstr(log, msg), *p, *last = NULL;
	int calls = 0;

	for (p = log; end && (p = strstr(p, ": (85) call ")) && p < end; p++) {
		last = p;
		calls += !strncmp(p + strlen(": (85) call "), "bpf_cpumask_release#", 20);
	}
	if (!ASSERT_OK_PTR(last, "an instruction before the refusal"))
		return;
	ASSERT_STRNEQ(last + strlen(": (85) call "), "bpf_cpumask_release#", 20,
		      "refused at a release");
	ASSERT_EQ(calls, n, "refused at the release that lacks a reference");
}

static void test_release_unreferenced_one(int i, char *log, size_t log_sz)
{
	struct cpumask_create_fail_lifetime *skel;
	struct bpf_program *prog;
	const char *msg = NULL;
	int err, want = 0;
	size_t m;

	skel = cpumask_create_fail_lifetime__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	prog = autoload_only(skel->obj, release_unreferenced[i].prog, log, log_sz);
	if (!ASSERT_OK_PTR(prog, release_unreferenced[i].prog))
		goto out;
	err = cpumask_create_fail_lifetime__load(skel);
	for (m = 0; m < ARRAY_SIZE(unreferenced_msgs) && !msg; m++) {
		if (strstr(log, unreferenced_msgs[m].msg)) {
			msg = unreferenced_msgs[m].msg;
			want = -unreferenced_msgs[m].err;
		}
	}
	if (!ASSERT_OK_PTR(msg, "a known wording of the refusal")) {
		printf("VERIFIER LOG:\n%s\n", log);
		goto out;
	}
	printf("%s: %s (%s)\n", release_unreferenced[i].prog, msg, strerror(-err));
	ASSERT_EQ(err, want, "the wording's load error");
	check_stops_at_release(log, msg, release_unreferenced[i].releases);
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
