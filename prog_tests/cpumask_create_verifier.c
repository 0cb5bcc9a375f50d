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
