// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal sched_ext scheduler that creates masks where schedulers do:
 * global masks in ops.init, kept in __kptrs; one per task in ops.init_task,
 * kept in task local storage and released in ops.exit_task; a transient one
 * in ops.select_cpu to pick a CPU from. Tasks it does not dispatch go to the
 * global DSQ. It counts what each callback created and released, and checks
 * its picks and its exit kind itself: err is the line of the first failed
 * check.
 *
 * vmlinux.h may come from a kernel without sched_ext, so the sched_ext types
 * are our own, with a "___cm" flavour: libbpf matches types, members and
 * enumerators to the kernel's by their name up to the "___".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

enum scx_exit_kind___cm { SCX_EXIT_UNREG___cm, SCX_EXIT_ERROR_BPF___cm };

struct scx_exit_info___cm {
	enum scx_exit_kind___cm kind;
} __attribute__((preserve_access_index));

/* The members this file sets; libbpf finds the others' places itself. */
struct sched_ext_ops___cm {
	s32 (*select_cpu)(struct task_struct *p, s32 prev_cpu, u64 wake_flags);
	s32 (*init_task)(struct task_struct *p, void *args);
	void (*exit_task)(struct task_struct *p, void *args);
	s32 (*init)(void);
	void (*exit)(struct scx_exit_info___cm *info);
	char name[128];
};

/*
 * Weak, and the flavours never clash with a vmlinux.h that declares them.
 * Some kernels' BTF keeps 7.x's hidden aux argument of these untagged, and
 * they do not resolve (docs/kernel-findings.md): the programs ask for them.
 */
const struct cpumask *scx_bpf_get_idle_cpumask___cm(void) __weak __ksym;
void scx_bpf_put_idle_cpumask___cm(const struct cpumask *cpumask) __weak __ksym;
void scx_bpf_error_bstr___cm(char *fmt, unsigned long long *data, u32 data__sz) __weak __ksym;

struct scx_cb_counts cb_init, cb_init_task, cb_exit_task, cb_select;
__u64 exit_calls, no_storage, errors_raised;
__u32 error_requested;	/* the test asks for scx_bpf_error() */

/* global masks, replaced by every ops.init */
struct bpf_cpumask __kptr * all_cpus SEC(".bss.masks") __hidden;
struct bpf_cpumask __kptr * first_cpu SEC(".bss.masks") __hidden;

struct task_mask {
	struct bpf_cpumask __kptr * mask;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_mask);
} task_masks SEC(".maps");

/*
 * The global masks, each with a reference of the test's own in watched, a
 * map of the observer copy of this object: it outlives the scheduler's
 * maps, so read_watched sees the destructor drop the scheduler's reference.
 */
#define SCX_WATCHED	4	/* two masks per ops.init, two inits */
MASK_SLOTS(watched, SCX_WATCHED);
__u32 watched_next;
__s32 watched_refs[SCX_WATCHED];

static __always_inline void watch(struct bpf_cpumask *mask)
{
	struct bpf_cpumask *ref = bpf_cpumask_acquire(mask);
	/* only ops.init watches, never concurrently: no fetching atomic (v2) */
	__u32 idx = watched_next++;
	struct mask_slot *slot = bpf_map_lookup_elem(&watched, &idx);

	if (slot)
		ref = bpf_kptr_xchg(&slot->mask, ref);
	if (ref)
		bpf_cpumask_release(ref);
}

/* A new global mask in @slot; a map outlives a scheduler: release the old. */
static __always_inline int install(struct bpf_cpumask __kptr * *slot, s32 cpu)
{
	struct bpf_cpumask *mask = bpf_cpumask_create(), *old;

	if (!mask)
		return -ENOMEM;
	__sync_fetch_and_add(&cb_init.created, 1);
	if (cpu < 0)
		bpf_cpumask_setall(mask);
	else
		bpf_cpumask_set_cpu(cpu, mask);
	watch(mask);
	old = bpf_kptr_xchg(slot, mask);
	if (old) {
		bpf_cpumask_release(old);
		__sync_fetch_and_add(&cb_init.replaced, 1);
	}
	return 0;
}

SEC("struct_ops.s/init")
s32 BPF_PROG(cm_init)
{
	__sync_fetch_and_add(&cb_init.calls, 1);
	return install(&all_cpus, -1) ?: install(&first_cpu, 0);
}

SEC("struct_ops.s/init_task")
s32 BPF_PROG(cm_init_task, struct task_struct *p, void *args)
{
	struct bpf_cpumask *mask, *old;
	struct task_mask *tm;

	__sync_fetch_and_add(&cb_init_task.calls, 1);
	tm = bpf_task_storage_get(&task_masks, p, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tm)
		return -ENOMEM;
	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;
	__sync_fetch_and_add(&cb_init_task.created, 1);
	/* sleepable: p->cpus_ptr is an RCU pointer */
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, p->cpus_ptr);
	bpf_rcu_read_unlock();
	/* the slot may hold a mask already: release it */
	old = bpf_kptr_xchg(&tm->mask, mask);
	if (old) {
		bpf_cpumask_release(old);
		__sync_fetch_and_add(&cb_init_task.replaced, 1);
	}
	return 0;
}

SEC("struct_ops/exit_task")
void BPF_PROG(cm_exit_task, struct task_struct *p, void *args)
{
	struct bpf_cpumask *mask;
	struct task_mask *tm;

	__sync_fetch_and_add(&cb_exit_task.calls, 1);
	tm = bpf_task_storage_get(&task_masks, p, NULL, 0);
	if (!tm) {
		__sync_fetch_and_add(&no_storage, 1);
		return;
	}
	mask = bpf_kptr_xchg(&tm->mask, NULL);
	if (!mask)
		return;
	bpf_cpumask_release(mask);
	__sync_fetch_and_add(&cb_exit_task.released, 1);
}

/* writable: the kfunc takes a char * */
char error_fmt[] = "cpumask_create_sched_ext: error requested by the test (pid %llu)";
__u32 has_error_kfunc;

/* Whether this kernel lets a program call scx_bpf_error_bstr(). */
SEC("syscall")
int probe_error_kfunc(void *ctx)
{
	has_error_kfunc = bpf_ksym_exists(scx_bpf_error_bstr___cm);
	return 0;
}

SEC("struct_ops/select_cpu")
s32 BPF_PROG(cm_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	unsigned long long data[1] = { p->pid };
	const struct cpumask *idle;
	struct bpf_cpumask *mask;
	u32 cpu;

	__sync_fetch_and_add(&cb_select.calls, 1);
	mask = bpf_cpumask_create();
	if (!mask)
		return prev_cpu;
	__sync_fetch_and_add(&cb_select.created, 1);
	/* an idle CPU the task may use, else any CPU it may use */
	if (bpf_ksym_exists(scx_bpf_get_idle_cpumask___cm)) {
		idle = scx_bpf_get_idle_cpumask___cm();
		if (!bpf_cpumask_and(mask, p->cpus_ptr, idle))
			bpf_cpumask_copy(mask, p->cpus_ptr);
		scx_bpf_put_idle_cpumask___cm(idle);
	} else {
		bpf_cpumask_copy(mask, p->cpus_ptr);
	}
	cpu = bpf_cpumask_any_distribute(cast(mask));
	bpf_cpumask_release(mask);
	/* exact: the caller holds p->pi_lock, which affinity changes take too */
	if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr) && !err)
		err = __LINE__;
	if (error_requested && bpf_ksym_exists(scx_bpf_error_bstr___cm)) {
		__sync_fetch_and_add(&errors_raised, 1);
		scx_bpf_error_bstr___cm(error_fmt, data, sizeof(data));
	}
	return cpu;
}

SEC("struct_ops/exit")
void BPF_PROG(cm_exit, struct scx_exit_info___cm *info)
{
	s64 want = error_requested ?
		bpf_core_enum_value(enum scx_exit_kind___cm, SCX_EXIT_ERROR_BPF___cm) :
		bpf_core_enum_value(enum scx_exit_kind___cm, SCX_EXIT_UNREG___cm);

	__sync_fetch_and_add(&exit_calls, 1);
	if (info->kind != want && !err)
		err = __LINE__;
}

/* .link: the scheduler goes when its link does, even if the test dies */
SEC(".struct_ops.link")
struct sched_ext_ops___cm cm_sched = {
	.select_cpu	= (void *)cm_select_cpu,
	.init_task	= (void *)cm_init_task,
	.exit_task	= (void *)cm_exit_task,
	.init		= (void *)cm_init,
	.exit		= (void *)cm_exit,
	.name		= "cm_sched",
};

/*
 * A mask created in a non-sleepable callback outlives the call only through
 * a kptr: kept as a plain pointer, it is a leaked reference. Only loaded.
 */
__u64 kept_plain;
struct bpf_cpumask __kptr * kept_kptr SEC(".bss.masks") __hidden;

SEC("struct_ops/select_cpu")
s32 BPF_PROG(keep_plain_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		kept_plain = (__u64)mask;
	return prev_cpu;
}

SEC("struct_ops/select_cpu")
s32 BPF_PROG(keep_kptr_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (mask)
		mask = bpf_kptr_xchg(&kept_kptr, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return prev_cpu;
}

SEC(".struct_ops.link")
struct sched_ext_ops___cm keep_plain_sched = {
	.select_cpu	= (void *)keep_plain_select_cpu,
	.name		= "cm_keep_plain",
};

SEC(".struct_ops.link")
struct sched_ext_ops___cm keep_kptr_sched = {
	.select_cpu	= (void *)keep_kptr_select_cpu,
	.name		= "cm_keep_kptr",
};

/*
 * Sleepable callbacks run outside RCU: a task's cpus_ptr, trusted in the
 * others, may be read there only under bpf_rcu_read_lock(). Only loaded.
 */
SEC("struct_ops.s/init_task")
s32 BPF_PROG(copy_unlocked_init_task, struct task_struct *p, void *args)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return -ENOMEM;
	bpf_cpumask_copy(mask, p->cpus_ptr);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("struct_ops.s/init_task")
s32 BPF_PROG(copy_locked_init_task, struct task_struct *p, void *args)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return -ENOMEM;
	bpf_rcu_read_lock();
	bpf_cpumask_copy(mask, p->cpus_ptr);
	bpf_rcu_read_unlock();
	bpf_cpumask_release(mask);
	return 0;
}

SEC(".struct_ops.link")
struct sched_ext_ops___cm copy_unlocked_sched = {
	.init_task	= (void *)copy_unlocked_init_task,
	.name		= "cm_copy_unlocked",
};

SEC(".struct_ops.link")
struct sched_ext_ops___cm copy_locked_sched = {
	.init_task	= (void *)copy_locked_init_task,
	.name		= "cm_copy_locked",
};

/* The references each watched mask has now; -1: none there. */
SEC("syscall")
int read_watched(void *ctx)
{
	struct bpf_cpumask *mask;
	struct mask_slot *slot;
	__u32 i, key;

	for (i = 0; i < SCX_WATCHED; i++) {
		key = i;	/* not i itself: its bounds would be lost */
		slot = bpf_map_lookup_elem(&watched, &key);
		if (!slot)
			return 1;
		bpf_rcu_read_lock();
		mask = slot->mask;
		watched_refs[i] = mask ? mask->usage.refs.counter : -1;
		bpf_rcu_read_unlock();
	}
	return 0;
}
