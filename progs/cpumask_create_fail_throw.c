// SPDX-License-Identifier: GPL-2.0
/*
 * The ways out of a program that exceptions add: bpf_throw() unwinds every
 * frame, and the exception callback exits as a program of its own. A created
 * mask must be released before each. Each rejected program sits next to a
 * twin that differs only in the rule it breaks, loads and runs.
 * Exceptions need bpf_throw() (6.7+) and a JIT that supports them:
 * prog_tests/cpumask_create_verifier.c runs these only where a program that
 * throws loads, and skips them, with the reason, where none does.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/* As bpf_experimental.h declares them, which this file does not include. */
extern void bpf_throw(u64 cookie) __ksym __weak;
#ifndef __exception_cb
#define __exception_cb(name) __attribute__((btf_decl_tag("exception_callback:" #name)))
#endif

/*
 * 6.12 prints only the leaked reference at a bpf_throw() or at the
 * exception callback's exit; 6.18 and 7.3 go on with "bpf_throw would lead
 * to reference leak" and "BPF_EXIT instruction in main prog would lead to
 * reference leak". So each program pins the leak after the instruction
 * that identifies the exit: the call of bpf_throw(), or the start of the
 * exception callback's verification (a log holds only the refused path).
 */
#define LEAK_MSG "Unreleased reference id={{[0-9]+}} alloc_insn={{[0-9]+}}"
#define THROW_MSG "call bpf_throw#"

/*
 * bpf_throw() leaves at once: nothing after it runs. The default exception
 * callback returns the cookie, so a twin's __retval tells that it threw.
 */
SEC("syscall")
__failure __msg(THROW_MSG) __msg(LEAK_MSG)
int throw_holding_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_throw(2);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(2)
int release_before_throw(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	bpf_throw(2);
	return 0;
}

/* A throw in a subprogram unwinds its caller too, with the caller's mask. */
static __noinline int throw_now(u64 cookie)
{
	bpf_throw(cookie);
	return 0;
}

SEC("syscall")
__failure __msg(THROW_MSG) __msg(LEAK_MSG)
int throw_in_subprog_holding_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	throw_now(2);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(2)
int release_before_throw_in_subprog(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	throw_now(2);
	return 0;
}

/*
 * The exception callback is verified as a program of its own (global, so
 * "Validating <name>() func#N..." starts its part of the log) and its exit
 * is the program's last: a mask it creates must be released there.
 */
__noinline int exception_cb_leaking_mask(u64 cookie)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	return cookie + 1;
}

SEC("syscall")
__exception_cb(exception_cb_leaking_mask)
__failure __msg("Validating exception_cb_leaking_mask() func#{{[0-9]+}}") __msg(LEAK_MSG)
int exception_cb_exit_holding_mask(void *ctx)
{
	bpf_throw(2);
	return 0;
}

__noinline int exception_cb_releasing_mask(u64 cookie)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return cookie + 1;
}

SEC("syscall")
__exception_cb(exception_cb_releasing_mask)
__success __retval(3)
int exception_cb_exit_releasing_mask(void *ctx)
{
	bpf_throw(2);
	return 0;
}
