// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal sched_ext scheduler that creates masks where schedulers do:
 * global masks in ops.init, kept in __kptrs; a mask per task in
 * ops.init_task, kept in task local storage and released in ops.exit_task;
 * a transient mask in ops.select_cpu, built from the task's allowed CPUs
 * and the idle ones, to pick a CPU from. Tasks it does not dispatch go to
 * the global DSQ. Every create, release and pick is counted.
 *
 * vmlinux.h may come from a kernel without sched_ext (the host's, Debian
 * 6.12's), so the sched_ext types are our own, with a "___cm" flavour:
 * libbpf matches struct_ops types and CO-RE relocations to the kernel's by
 * their name up to the "___".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

#define ENOMEM		12	/* no errno.h for BPF */

enum scx_exit_kind___cm { SCX_EXIT_NONE___cm };

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
 * 7.x hides an implicit aux argument of the getter and of the error
 * kfunc; in some kernels' BTF they keep it, untagged, and do not resolve
 * (docs/kernel-findings.md), so the programs ask for them.
 */
const struct cpumask *scx_bpf_get_idle_cpumask___cm(void) __weak __ksym;
void scx_bpf_put_idle_cpumask___cm(const struct cpumask *cpumask) __weak __ksym;
void scx_bpf_error_bstr___cm(char *fmt, unsigned long long *data, u32 data__sz) __weak __ksym;

/* Set before load: record created masks for count_release (needs fentry). */
__u32 track_masks;

struct scx_cb_counts cb_init, cb_init_task, cb_exit_task, cb_select;
__u64 exit_calls, exit_kind;
__u64 picks_lost, untracked, no_storage, errors_raised;
__u64 picks_from_idle;	/* select_cpu calls that had the idle mask */
struct scx_worker workers[SCX_WORKERS];	/* written by the test's threads */
__u32 error_requested;			/* the test asks for scx_bpf_error() */

/* what count_release saw freed, by origin */
__u64 freed[SCX_NR_ORIGINS];

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

/* select_cpu's picks for the test's threads, by thread and generation */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct scx_pick_key);
	__type(value, struct scx_picks);
} picks SEC(".maps");

/* masks not freed yet: address -> enum scx_origin */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} live_masks SEC(".maps");

/* The test's accounting of a mask a callback created. */
static __always_inline void count_created(struct scx_cb_counts *c, struct bpf_cpumask *mask,
					  __u32 origin)
{
	__u64 addr = (__u64)mask;

	__sync_fetch_and_add(&c->created, 1);
	if (track_masks && bpf_map_update_elem(&live_masks, &addr, &origin, BPF_ANY))
		__sync_fetch_and_add(&untracked, 1);
}

/*
 * The global masks, each with a reference of the test's own in watched: a
 * map of the observer copy of this object, which outlives the scheduler,
 * so that read_watched sees the scheduler's reference go (the destructor's
 * work) without a trampoline.
 */
#define SCX_WATCHED	4	/* two masks per ops.init, two inits */
MASK_SLOTS(watched, SCX_WATCHED);
__u32 watched_next, watch_lost;
__s32 watched_refs[SCX_WATCHED];

static __always_inline void watch(struct bpf_cpumask *mask)
{
	struct bpf_cpumask *ref = bpf_cpumask_acquire(mask);
	/* only ops.init watches, never concurrently: no fetching atomic (v2) */
	__u32 idx = watched_next++;
	struct mask_slot *slot = bpf_map_lookup_elem(&watched, &idx);

	if (slot)
		ref = bpf_kptr_xchg(&slot->mask, ref);
	else
		__sync_fetch_and_add(&watch_lost, 1);
	if (ref)
		bpf_cpumask_release(ref);
}

/* Put @mask in @slot; release what the slot held (a map outlives a scheduler). */
static __always_inline int install(struct bpf_cpumask __kptr * *slot, struct bpf_cpumask *mask)
{
	struct bpf_cpumask *old = bpf_kptr_xchg(slot, mask);

	if (!old)
		return 0;
	bpf_cpumask_release(old);
	return 1;
}

SEC("struct_ops.s/init")
s32 BPF_PROG(cm_init)
{
	struct bpf_cpumask *all, *first;

	__sync_fetch_and_add(&cb_init.calls, 1);
	all = bpf_cpumask_create();
	if (!all)
		return -ENOMEM;
	count_created(&cb_init, all, SCX_ORIGIN_INIT);
	bpf_cpumask_setall(all);
	watch(all);
	cb_init.replaced += install(&all_cpus, all);

	first = bpf_cpumask_create();
	if (!first)
		return -ENOMEM;
	count_created(&cb_init, first, SCX_ORIGIN_INIT);
	bpf_cpumask_set_cpu(0, first);
	watch(first);
	cb_init.replaced += install(&first_cpu, first);
	return 0;
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
	count_created(&cb_init_task, mask, SCX_ORIGIN_INIT_TASK);
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

/* Returns true when @p is one of the test's threads. */
static __always_inline bool record_pick(struct task_struct *p, s32 cpu)
{
	struct scx_picks zero = {}, *v;
	struct scx_pick_key key;
	int i;

	for (i = 0; i < SCX_WORKERS; i++) {
		if (!workers[i].tid || workers[i].tid != p->pid)
			continue;
		key.tid = p->pid;
		key.gen = workers[i].gen;
		v = bpf_map_lookup_elem(&picks, &key);
		if (!v) {
			bpf_map_update_elem(&picks, &key, &zero, BPF_NOEXIST);
			v = bpf_map_lookup_elem(&picks, &key);
		}
		if (!v) {
			__sync_fetch_and_add(&picks_lost, 1);
			return true;
		}
		if (cpu >= 0 && cpu < 64)
			__sync_fetch_and_or(&v->cpus, 1ULL << cpu);
		else
			__sync_fetch_and_add(&v->beyond, 1);
		__sync_fetch_and_add(&v->count, 1);
		return true;
	}
	return false;
}

/* writable: the kfunc takes a char * */
char error_fmt[] = "cpumask_create_sched_ext: error requested by the test (pid %llu)";

static __always_inline void raise_error(struct task_struct *p)
{
	unsigned long long data[1] = { p->pid };

	if (!bpf_ksym_exists(scx_bpf_error_bstr___cm))
		return;
	__sync_fetch_and_add(&errors_raised, 1);
	scx_bpf_error_bstr___cm(error_fmt, data, sizeof(data));
}

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
	const struct cpumask *idle;
	struct bpf_cpumask *mask;
	s32 cpu;

	__sync_fetch_and_add(&cb_select.calls, 1);
	mask = bpf_cpumask_create();
	if (!mask)
		return prev_cpu;
	count_created(&cb_select, mask, SCX_ORIGIN_SELECT);
	/* an idle CPU the task may use, else any CPU it may use */
	if (bpf_ksym_exists(scx_bpf_get_idle_cpumask___cm)) {
		idle = scx_bpf_get_idle_cpumask___cm();
		if (!bpf_cpumask_and(mask, p->cpus_ptr, idle))
			bpf_cpumask_copy(mask, p->cpus_ptr);
		scx_bpf_put_idle_cpumask___cm(idle);
		__sync_fetch_and_add(&picks_from_idle, 1);
	} else {
		bpf_cpumask_copy(mask, p->cpus_ptr);
	}
	cpu = bpf_cpumask_any_distribute(cast(mask));
	bpf_cpumask_release(mask);
	__sync_fetch_and_add(&cb_select.released, 1);
	/* once one of the test's threads was placed, if the test asks */
	if (record_pick(p, cpu) && error_requested)
		raise_error(p);
	return cpu;
}

SEC("struct_ops/exit")
void BPF_PROG(cm_exit, struct scx_exit_info___cm *info)
{
	__sync_fetch_and_add(&exit_calls, 1);
	exit_kind = info->kind;
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

/*
 * Where masks are freed: bpf_cpumask_release() dropping the last reference,
 * from a program or from the kptr destructor at map free. Loaded from a
 * second copy of this object that shares live_masks, so that it outlives
 * the scheduler's maps. Needs a trampoline.
 */
SEC("fentry/bpf_cpumask_release")
int BPF_PROG(count_release, struct bpf_cpumask *mask)
{
	__u64 addr = (__u64)mask;
	__u32 *origin;

	origin = bpf_map_lookup_elem(&live_masks, &addr);
	if (!origin)
		return 0;
	if (*origin < SCX_NR_ORIGINS)
		__sync_fetch_and_add(&freed[*origin], 1);
	bpf_map_delete_elem(&live_masks, &addr);
	return 0;
}

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
