// SPDX-License-Identifier: GPL-2.0
/*
 * Struct_ops operators that return void (or a scalar), exiting with a
 * created mask still in R0. Struct_ops programs may hand a referenced kptr
 * back to the kernel when their operator returns a pointer, so the verifier
 * does not count a reference in R0 at exit as leaked and leaves it to the
 * return-value check, which looks at it only for operators returning a
 * pointer: such a program loads, and every call leaks the mask. Each
 * leaking operator has a twin that releases the mask instead.
 *
 * A leaking body compiles to the kfunc call and the exit in every flavor,
 * so R0 at exit is the mask; were the compiler to drop or change that, the
 * test would fail on the kernels that refuse the leak.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
__u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
__u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

static __always_inline void create_release(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		bpf_cpumask_release(mask);
}

/* void (*init)(struct sock *sk) */
SEC("struct_ops")
void BPF_PROG(cc_init_leaky, struct sock *sk)
{
	bpf_cpumask_create();
}

SEC("struct_ops")
void BPF_PROG(cc_init_twin, struct sock *sk)
{
	create_release();
}

/* void (*release)(struct sock *sk) */
SEC("struct_ops")
void BPF_PROG(cc_release_leaky, struct sock *sk)
{
	bpf_cpumask_create();
}

SEC("struct_ops")
void BPF_PROG(cc_release_twin, struct sock *sk)
{
	create_release();
}

/*
 * u32 (*ssthresh)(struct sock *sk): an operator returning a scalar takes
 * the mask's address for a number (loaders that may leak pointers only).
 */
SEC("struct_ops")
__u32 BPF_PROG(cc_ssthresh_leaky, struct sock *sk)
{
	return (unsigned long)bpf_cpumask_create();
}

SEC("struct_ops")
__u32 BPF_PROG(cc_ssthresh_twin, struct sock *sk)
{
	create_release();
	return tcp_reno_ssthresh(sk);
}

/* void (*reset)(struct Qdisc *sch), another struct_ops type */
SEC("struct_ops")
void BPF_PROG(qdisc_reset_leaky)
{
	bpf_cpumask_create();
}

SEC("struct_ops")
void BPF_PROG(qdisc_reset_twin)
{
	create_release();
}

/* Reno for everything else a congestion control must have */
SEC("struct_ops")
void BPF_PROG(cc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	tcp_reno_cong_avoid(sk, ack, acked);
}

SEC("struct_ops")
__u32 BPF_PROG(cc_ssthresh, struct sock *sk)
{
	return tcp_reno_ssthresh(sk);
}

SEC("struct_ops")
__u32 BPF_PROG(cc_undo_cwnd, struct sock *sk)
{
	return tcp_reno_undo_cwnd(sk);
}

/* Only loaded, never registered: .link maps register at attach only. */
SEC(".struct_ops.link")
struct tcp_congestion_ops init_leaky_cc = {
	.init		= (void *)cc_init_leaky,
	.cong_avoid	= (void *)cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_init_leaky",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops init_twin_cc = {
	.init		= (void *)cc_init_twin,
	.cong_avoid	= (void *)cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_init_twin",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops release_leaky_cc = {
	.release	= (void *)cc_release_leaky,
	.cong_avoid	= (void *)cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_rel_leaky",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops release_twin_cc = {
	.release	= (void *)cc_release_twin,
	.cong_avoid	= (void *)cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_rel_twin",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops ssthresh_leaky_cc = {
	.ssthresh	= (void *)cc_ssthresh_leaky,
	.cong_avoid	= (void *)cc_cong_avoid,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_ssth_leaky",
};

SEC(".struct_ops.link")
struct tcp_congestion_ops ssthresh_twin_cc = {
	.ssthresh	= (void *)cc_ssthresh_twin,
	.cong_avoid	= (void *)cc_cong_avoid,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cm_ssth_twin",
};

SEC(".struct_ops.link")
struct Qdisc_ops reset_leaky_qdisc = {
	.reset		= (void *)qdisc_reset_leaky,
	.id		= "cm_reset_leaky",
};

SEC(".struct_ops.link")
struct Qdisc_ops reset_twin_qdisc = {
	.reset		= (void *)qdisc_reset_twin,
	.id		= "cm_reset_twin",
};
