// SPDX-License-Identifier: GPL-2.0
/*
 * What the verifier demands of bpf_cpumask_create()'s result. Each rejected
 * program sits next to a twin that differs only in the rule it breaks and
 * must load (and, for SYSCALL programs, run), so a rejection proves the rule.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* The reference must be released (or stored as a kptr). */
SEC("syscall")
__failure __msg("Unreleased reference")
int leak_created_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int release_created_mask(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* The result may be NULL: it must be checked before any use. */
SEC("syscall")
__failure __msg("Possibly NULL pointer passed to trusted arg1")
int use_without_null_check(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	bpf_cpumask_set_cpu(0, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int use_after_null_check(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 1;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

/* XDP may not call it at all; SYSCALL may (since 6.10), same body. */
SEC("xdp")
__failure __msg("calling kernel function bpf_cpumask_create is not allowed")
int create_in_xdp(struct xdp_md *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_release(mask);
	return XDP_PASS;
}

SEC("syscall")
__success __retval(2)
int create_in_syscall_like_xdp(void *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_release(mask);
	return XDP_PASS;
}
