// SPDX-License-Identifier: GPL-2.0
/*
 * One body, loaded as each program type in turn ("?": only what the test
 * asks for). Where the kernel allows the type, the test fires the hook and
 * the body checks the mask it built; where it does not, the load must fail.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* set by the test */
u32 nr_cpus;
int target_pid;		/* events of other processes do not count */
u64 target_ino;		/* the file the test opens for the file_open hooks */
long target_syscall = -1;

u32 runs;
int err;		/* the first check that failed */

void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
__u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
__u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

#define CHECK(cond, code)		\
	do {				\
		if (!(cond) && !err)	\
			err = (code);	\
	} while (0)

/*
 * A new mask is empty; the CPU it runs on and the last CPU can be set in
 * it, nr_cpu_ids is ignored.
 */
static __always_inline int create_and_check(void)
{
	u32 cpu = bpf_get_smp_processor_id();
	struct bpf_cpumask *mask;

	runs++;
	mask = bpf_cpumask_create();
	if (!mask) {
		CHECK(false, 1);
		return 0;
	}
	CHECK(bpf_cpumask_empty(cast(mask)), 2);
	bpf_cpumask_set_cpu(cpu, mask);
	bpf_cpumask_set_cpu(nr_cpus - 1, mask);
	bpf_cpumask_set_cpu(nr_cpus, mask);
	CHECK(bpf_cpumask_test_cpu(cpu, cast(mask)), 3);
	CHECK(bpf_cpumask_weight(cast(mask)) == 1 + (cpu != nr_cpus - 1), 4);
	CHECK(bpf_cpumask_first(cast(mask)) == cpu, 5);
	bpf_cpumask_release(mask);
	return 0;
}

static __always_inline bool from_test(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline int on_file_open(struct file *file)
{
	if (from_test() && file->f_inode->i_ino == target_ino)
		create_and_check();
	return 0;
}

static __always_inline int on_sys_enter(long id)
{
	if (id == target_syscall && from_test())
		create_and_check();
	return 0;
}

SEC("?fentry/security_file_open")
int BPF_PROG(create_in_fentry, struct file *file)
{
	return on_file_open(file);
}

SEC("?fexit/security_file_open")
int BPF_PROG(create_in_fexit, struct file *file, int ret)
{
	return on_file_open(file);
}

/* returns 0: security_file_open() runs and decides */
SEC("?fmod_ret/security_file_open")
int BPF_PROG(create_in_fmod_ret, struct file *file, int ret)
{
	return on_file_open(file);
}

SEC("?lsm/file_open")
int BPF_PROG(create_in_lsm, struct file *file)
{
	return on_file_open(file);
}

SEC("?lsm.s/file_open")
int BPF_PROG(create_in_lsm_sleepable, struct file *file)
{
	return on_file_open(file);
}

SEC("?tp_btf/sys_enter")
int BPF_PROG(create_in_tp_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(id);
}

SEC("?raw_tp/sys_enter")
int BPF_PROG(create_in_raw_tp, struct pt_regs *regs, long id)
{
	return on_sys_enter(id);
}

SEC("?iter/task")
int create_in_iter(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (task && task->tgid == target_pid && task->pid == target_pid)
		create_and_check();
	return 0;
}

SEC("?syscall")
int create_in_syscall(void *ctx)
{
	return create_and_check();
}

SEC("?tp/syscalls/sys_enter_getppid")
int create_in_tracepoint(void *ctx)
{
	if (from_test())
		create_and_check();
	return 0;
}

SEC("?perf_event")
int create_in_perf_event(void *ctx)
{
	if (from_test())
		create_and_check();
	return 0;
}

/* Refused everywhere: loaded, never run. */
SEC("?kprobe/do_nanosleep")
int create_in_kprobe(void *ctx)
{
	return create_and_check();
}

SEC("?xdp")
int create_in_xdp(struct xdp_md *ctx)
{
	return create_and_check();
}

SEC("?tc")
int create_in_tc(struct __sk_buff *ctx)
{
	return create_and_check();
}

SEC("?socket")
int create_in_socket_filter(struct __sk_buff *ctx)
{
	return create_and_check();
}

SEC("?cgroup_skb/ingress")
int create_in_cgroup_skb(struct __sk_buff *ctx)
{
	return create_and_check();
}

SEC("?cgroup/sock_create")
int create_in_cgroup_sock(struct bpf_sock *ctx)
{
	return create_and_check();
}

SEC("?sk_lookup")
int create_in_sk_lookup(struct bpf_sk_lookup *ctx)
{
	return create_and_check();
}

SEC("?flow_dissector")
int create_in_flow_dissector(struct __sk_buff *ctx)
{
	return create_and_check();
}

/*
 * STRUCT_OPS: Reno, whose init creates a mask. Only the test's sockets
 * select it, so every call counts; .link: gone with the link.
 */
SEC("struct_ops")
void BPF_PROG(create_in_struct_ops, struct sock *sk)
{
	create_and_check();
}

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

SEC(".struct_ops.link")
struct tcp_congestion_ops cpumask_cc = {
	.init		= (void *)create_in_struct_ops,
	.cong_avoid	= (void *)cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cpumask_cc",
};
