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
 * The bodies are written in assembly so that R0 at exit is the mask itself,
 * whatever the compiler would do with a value a void function drops.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
__u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
__u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

/* masks the operators created: address -> made by the twin */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u32);
} created_masks SEC(".maps");

/* calls of the leaking operator and of its twin, their masks, their frees */
__u32 leaky_runs, leaky_created, leaky_released;
__u32 twin_runs, twin_created, twin_released;

static __always_inline void record_mask(struct bpf_cpumask *mask, bool twin)
{
	__u64 addr = (__u64)mask;
	__u32 value = twin;

	__sync_fetch_and_add(twin ? &twin_runs : &leaky_runs, 1);
	if (!mask)
		return;
	__sync_fetch_and_add(twin ? &twin_created : &leaky_created, 1);
	bpf_map_update_elem(&created_masks, &addr, &value, BPF_ANY);
}

/* Called from the assembly below: r1 is the mask, or NULL. */
static __noinline int record_leaky(struct bpf_cpumask *mask)
{
	record_mask(mask, false);
	return 0;
}

static __noinline int record_twin(struct bpf_cpumask *mask)
{
	record_mask(mask, true);
	return 0;
}

/*
 * What the assembly calls must be called from C too: kfuncs get a BTF
 * record only then, which libbpf needs to resolve them, and the compiler
 * would drop the two functions above. Nothing runs this function.
 */
void asm_callees(void)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	record_leaky(mask);
	record_twin(mask);
	if (mask)
		bpf_cpumask_release(mask);
}

/* r0 = bpf_cpumask_create(); record it; exit with the mask in R0 */
#define LEAK_MASK_ASM			\
	"call %[create];"		\
	"r6 = r0;"			\
	"r1 = r0;"			\
	"call record_leaky;"		\
	"r0 = r6;"			\
	"exit;"

/* the same, but the mask is released before the exit, which returns @ret */
#define RELEASE_MASK_ASM(ret)		\
	"call %[create];"		\
	"r6 = r0;"			\
	"r1 = r0;"			\
	"call record_twin;"		\
	"r1 = r6;"			\
	"if r1 == 0 goto 1f;"		\
	"call %[release];"		\
	"1: r0 = " #ret ";"		\
	"exit;"

/* void (*init)(struct sock *sk) */
SEC("struct_ops")
__naked void cc_init_leaky(void)
{
	asm volatile (LEAK_MASK_ASM
		      :
		      : [create]"i"(bpf_cpumask_create)
		      : __clobber_all);
}

SEC("struct_ops")
__naked void cc_init_twin(void)
{
	asm volatile (RELEASE_MASK_ASM(0)
		      :
		      : [create]"i"(bpf_cpumask_create), [release]"i"(bpf_cpumask_release)
		      : __clobber_all);
}

/* void (*release)(struct sock *sk) */
SEC("struct_ops")
__naked void cc_release_leaky(void)
{
	asm volatile (LEAK_MASK_ASM
		      :
		      : [create]"i"(bpf_cpumask_create)
		      : __clobber_all);
}

SEC("struct_ops")
__naked void cc_release_twin(void)
{
	asm volatile (RELEASE_MASK_ASM(0)
		      :
		      : [create]"i"(bpf_cpumask_create), [release]"i"(bpf_cpumask_release)
		      : __clobber_all);
}

/*
 * u32 (*ssthresh)(struct sock *sk): an operator returning a scalar takes
 * the mask's address for a number (loaders that may leak pointers only).
 * Only loaded: Reno's threshold for a window of two is two.
 */
SEC("struct_ops")
__naked void cc_ssthresh_leaky(void)
{
	asm volatile (LEAK_MASK_ASM
		      :
		      : [create]"i"(bpf_cpumask_create)
		      : __clobber_all);
}

SEC("struct_ops")
__naked void cc_ssthresh_twin(void)
{
	asm volatile (RELEASE_MASK_ASM(2)
		      :
		      : [create]"i"(bpf_cpumask_create), [release]"i"(bpf_cpumask_release)
		      : __clobber_all);
}

/* void (*reset)(struct Qdisc *sch), another struct_ops type (6.16+) */
SEC("struct_ops")
__naked void qdisc_reset_leaky(void)
{
	asm volatile (LEAK_MASK_ASM
		      :
		      : [create]"i"(bpf_cpumask_create)
		      : __clobber_all);
}

SEC("struct_ops")
__naked void qdisc_reset_twin(void)
{
	asm volatile (RELEASE_MASK_ASM(0)
		      :
		      : [create]"i"(bpf_cpumask_create), [release]"i"(bpf_cpumask_release)
		      : __clobber_all);
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

/* .link: unregistered when the link goes, even if the test dies */
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

/* only loaded, never registered: no qdisc runs them */
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

/*
 * Where a mask is freed: bpf_cpumask_release() dropping its last reference.
 * Counts the releases of the masks the operators created (these masks hold
 * one reference each), and forgets the address: once freed, the allocator
 * may hand it to a mask of anybody else's, which must not count. Needs a
 * trampoline.
 */
SEC("fentry/bpf_cpumask_release")
int BPF_PROG(count_release, struct bpf_cpumask *mask)
{
	__u64 addr = (__u64)mask;
	__u32 *twin, by_twin;

	twin = bpf_map_lookup_elem(&created_masks, &addr);
	if (!twin)
		return 0;
	by_twin = *twin;
	bpf_map_delete_elem(&created_masks, &addr);
	__sync_fetch_and_add(by_twin ? &twin_released : &leaky_released, 1);
	return 0;
}
