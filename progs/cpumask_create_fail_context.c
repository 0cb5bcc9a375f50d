// SPDX-License-Identifier: GPL-2.0
/*
 * Where bpf_cpumask_create() may be called at all. Each rejected program sits
 * next to a twin that differs only in the rule it breaks and loads. Which
 * program types may call it depends on the kernel version: see
 * prog_tests/cpumask_create_prog_types.c.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

struct locked {
	struct bpf_spin_lock lock;
	u32 cpus;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct locked);
	__uint(max_entries, 1);
} locks SEC(".maps");

/* No kfunc but the lock-aware graph ones may run under a bpf_spin_lock. */
SEC("syscall")
__failure
__msg("call bpf_spin_lock#")
__msg("call bpf_cpumask_create#")
__msg("function calls are not allowed while holding a lock")
int create_under_spin_lock(void *ctx)
{
	struct bpf_cpumask *mask;
	struct locked *val;
	u32 key = 0;

	val = bpf_map_lookup_elem(&locks, &key);
	if (!val)
		return 1;
	bpf_spin_lock(&val->lock);
	mask = bpf_cpumask_create();
	val->cpus++;
	bpf_spin_unlock(&val->lock);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int create_after_spin_unlock(void *ctx)
{
	struct bpf_cpumask *mask;
	struct locked *val;
	u32 key = 0;

	val = bpf_map_lookup_elem(&locks, &key);
	if (!val)
		return 1;
	bpf_spin_lock(&val->lock);
	val->cpus++;
	bpf_spin_unlock(&val->lock);
	mask = bpf_cpumask_create();
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/* XDP may not call it on any kernel; SYSCALL may (since 6.10), same body. */
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
