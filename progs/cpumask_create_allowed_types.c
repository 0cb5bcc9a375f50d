// SPDX-License-Identifier: GPL-2.0
/*
 * One body, loaded as each program type in turn: whether the verifier lets
 * the type call bpf_cpumask_create() depends on the kernel version, so the
 * expectations live in prog_tests/cpumask_create_verifier.c, which loads
 * these programs one at a time ("?": not loaded unless asked for).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

static __always_inline int create_and_release(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(create_in_tp_btf, struct pt_regs *regs, long id)
{
	return create_and_release();
}

SEC("?iter/task")
int create_in_iter(struct bpf_iter__task *ctx)
{
	return create_and_release();
}

SEC("?fentry/bpf_fentry_test1")
int BPF_PROG(create_in_fentry, int a)
{
	return create_and_release();
}

SEC("?fexit/bpf_fentry_test1")
int BPF_PROG(create_in_fexit, int a, int ret)
{
	return create_and_release();
}

SEC("?fmod_ret/bpf_modify_return_test")
int BPF_PROG(create_in_fmod_ret, int a, int *b, int ret)
{
	return create_and_release();
}

SEC("?lsm/file_open")
int BPF_PROG(create_in_lsm, struct file *file)
{
	return create_and_release();
}

SEC("?lsm.s/file_open")
int BPF_PROG(create_in_lsm_sleepable, struct file *file)
{
	return create_and_release();
}

SEC("?syscall")
int create_in_syscall(void *ctx)
{
	return create_and_release();
}

SEC("?tp/syscalls/sys_enter_getpgid")
int create_in_tracepoint(void *ctx)
{
	return create_and_release();
}

SEC("?perf_event")
int create_in_perf_event(void *ctx)
{
	return create_and_release();
}

SEC("?raw_tp/sys_enter")
int create_in_raw_tp(void *ctx)
{
	return create_and_release();
}

SEC("?kprobe/do_nanosleep")
int create_in_kprobe(void *ctx)
{
	return create_and_release();
}

SEC("?xdp")
int create_in_xdp(struct xdp_md *ctx)
{
	create_and_release();
	return XDP_PASS;
}

SEC("?tc")
int create_in_tc(struct __sk_buff *ctx)
{
	return create_and_release();
}

SEC("?socket")
int create_in_socket_filter(struct __sk_buff *ctx)
{
	return create_and_release();
}

SEC("?cgroup_skb/ingress")
int create_in_cgroup_skb(struct __sk_buff *ctx)
{
	create_and_release();
	return 1;
}

SEC("?cgroup/sock_create")
int create_in_cgroup_sock(struct bpf_sock *ctx)
{
	create_and_release();
	return 1;
}

SEC("?sk_lookup")
int create_in_sk_lookup(struct bpf_sk_lookup *ctx)
{
	create_and_release();
	return SK_PASS;
}

SEC("?flow_dissector")
int create_in_flow_dissector(struct __sk_buff *ctx)
{
	create_and_release();
	return BPF_OK;
}

/*
 * STRUCT_OPS: a congestion control whose init creates a mask. The rest is
 * what the kernel requires of one. Loading it does not register it: a
 * .struct_ops.link map is registered only when attached.
 */
SEC("struct_ops")
void BPF_PROG(create_in_struct_ops, struct sock *sk)
{
	create_and_release();
}

SEC("struct_ops")
__u32 BPF_PROG(prog_types_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops")
void BPF_PROG(prog_types_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops")
__u32 BPF_PROG(prog_types_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops prog_types_ca = {
	.init = (void *)create_in_struct_ops,
	.ssthresh = (void *)prog_types_ssthresh,
	.cong_avoid = (void *)prog_types_cong_avoid,
	.undo_cwnd = (void *)prog_types_undo_cwnd,
	.name = "cpumask_pt",
};
