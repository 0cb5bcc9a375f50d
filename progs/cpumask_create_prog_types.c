// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() in every program type that may call it, each program
 * fired by a real event the test causes: it creates a mask, sets CPUs in it,
 * reads it back through the query kfuncs, releases it and reports what it
 * saw. The test loads one program at a time, so a kernel that refuses one
 * type (trampolines on some hosts) still runs the others.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* set by the test */
u32 nr_cpus;
u32 hook_cpus[HOOK_CPUS];
int target_pid;		/* tgid of the test: events of other processes do not count */
u64 target_ino;		/* the file the test opens to fire the file_open hooks */
long target_syscall = -1;

struct hook_report fentry_report, fexit_report, fmod_ret_report, tp_btf_report,
	iter_report, lsm_report, lsm_s_report, cc_init_report, cc_cong_avoid_report,
	syscall_report, tracepoint_report, perf_event_report;

void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
__u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
__u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

static __always_inline bool from_test(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

static __always_inline bool opened_by_test(struct file *file)
{
	return from_test() && file->f_inode->i_ino == target_ino;
}

/*
 * Create a mask, check that it starts empty, set the current CPU and @cpus
 * in it, and report its weight, first CPU and a hash of the CPUs that
 * bpf_cpumask_test_cpu() finds in it.
 */
static __always_inline void build_and_report(struct hook_report *r, const u32 *cpus)
{
	u32 i, this_cpu = bpf_get_smp_processor_id();
	u64 hash = CPUMASK_HASH_INIT;
	struct bpf_cpumask *mask;

	r->runs++;
	mask = bpf_cpumask_create();
	if (!mask)
		return;
	r->created++;
	if (!bpf_cpumask_empty(cast(mask)))
		r->not_empty++;

	bpf_cpumask_set_cpu(this_cpu, mask);
	for (i = 0; i < HOOK_CPUS; i++)
		bpf_cpumask_set_cpu(cpus[i], mask);

	r->cpu = this_cpu;
	r->weight = bpf_cpumask_weight(cast(mask));
	r->first = bpf_cpumask_first(cast(mask));
	bpf_for(i, 0, nr_cpus) {
		if (bpf_cpumask_test_cpu(i, cast(mask)))
			hash = cpumask_hash_step(hash, i);
	}
	r->hash = hash;
	bpf_cpumask_release(mask);
}

/* TRACING: fentry, fexit and fmod_ret on the LSM entry point of open(2) */
SEC("fentry/security_file_open")
int BPF_PROG(create_in_fentry, struct file *file)
{
	if (opened_by_test(file))
		build_and_report(&fentry_report, hook_cpus);
	return 0;
}

SEC("fexit/security_file_open")
int BPF_PROG(create_in_fexit, struct file *file, int ret)
{
	if (!opened_by_test(file))
		return 0;
	fexit_report.ctx_value = ret;
	build_and_report(&fexit_report, hook_cpus);
	return 0;
}

/* Returns 0: let security_file_open() run and decide. */
SEC("fmod_ret/security_file_open")
int BPF_PROG(create_in_fmod_ret, struct file *file, int ret)
{
	if (!opened_by_test(file))
		return 0;
	fmod_ret_report.ctx_value = ret;
	build_and_report(&fmod_ret_report, hook_cpus);
	return 0;
}

/* TRACING: a BTF tracepoint, the test's own getpgid(pid) */
SEC("tp_btf/sys_enter")
int BPF_PROG(create_in_tp_btf, struct pt_regs *regs, long id)
{
	if (id != target_syscall || !from_test())
		return 0;
	tp_btf_report.ctx_value = PT_REGS_PARM1_CORE_SYSCALL(regs);
	build_and_report(&tp_btf_report, hook_cpus);
	return 0;
}

/* TRACING: an iterator the test reads; it reports on the test's own task. */
SEC("iter/task")
int create_in_iter_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task || task->tgid != target_pid || task->pid != target_pid)
		return 0;
	/* cpus_ptr is the task's one CPU while it is preempted migrate-disabled */
	if (task->cpus_ptr == &task->cpus_mask)
		iter_report.ctx_value = bpf_cpumask_weight(task->cpus_ptr);
	else
		iter_report.ctx_value = -1;
	build_and_report(&iter_report, hook_cpus);
	return 0;
}

/* LSM: must not change the outcome of open(2) */
SEC("lsm/file_open")
int BPF_PROG(create_in_lsm_file_open, struct file *file)
{
	if (opened_by_test(file))
		build_and_report(&lsm_report, hook_cpus);
	return 0;
}

SEC("lsm.s/file_open")
int BPF_PROG(create_in_lsm_s_file_open, struct file *file)
{
	if (opened_by_test(file))
		build_and_report(&lsm_s_report, hook_cpus);
	return 0;
}

/*
 * STRUCT_OPS: Reno, whose init and cong_avoid callbacks also create masks.
 * Only the test's sockets select it, so every call counts.
 */
SEC("struct_ops")
void BPF_PROG(create_in_cc_init, struct sock *sk)
{
	cc_init_report.ctx_value = sk->__sk_common.skc_dport;
	build_and_report(&cc_init_report, hook_cpus);
}

SEC("struct_ops")
void BPF_PROG(create_in_cc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	build_and_report(&cc_cong_avoid_report, hook_cpus);
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
struct tcp_congestion_ops cpumask_cc = {
	.init		= (void *)create_in_cc_init,
	.cong_avoid	= (void *)create_in_cc_cong_avoid,
	.ssthresh	= (void *)cc_ssthresh,
	.undo_cwnd	= (void *)cc_undo_cwnd,
	.name		= "cpumask_cc",
};

/* SYSCALL: BPF_PROG_TEST_RUN, without and with a context from user space */
SEC("syscall")
int create_in_syscall(void *ctx)
{
	build_and_report(&syscall_report, hook_cpus);
	return 0;
}

SEC("syscall")
int create_in_syscall_from_ctx(struct hook_ctx *ctx)
{
	u32 cpus[HOOK_CPUS];

	__builtin_memcpy(cpus, ctx->cpus, sizeof(cpus));
	build_and_report(&ctx->report, cpus);
	return 0;
}

/*
 * TRACEPOINT: the test's own getppid(). The context is the event's record as
 * tracefs describes it (events/syscalls/sys_enter_getppid/format); reading
 * past its end makes the attach fail with EACCES.
 */
struct sys_enter_getppid_record {
	__u64 common;
	int id;
};

SEC("tp/syscalls/sys_enter_getppid")
int create_in_tracepoint(struct sys_enter_getppid_record *ctx)
{
	if (!from_test())
		return 0;
	tracepoint_report.ctx_value = ctx->id;
	build_and_report(&tracepoint_report, hook_cpus);
	return 0;
}

/* PERF_EVENT: a cpu-clock event on the test's task */
SEC("perf_event")
int create_in_perf_event(struct bpf_perf_event_data *ctx)
{
	if (!from_test())
		return 0;
	perf_event_report.ctx_value = ctx->sample_period;
	build_and_report(&perf_event_report, hook_cpus);
	return 0;
}
