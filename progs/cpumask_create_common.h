/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the cpumask_create_* BPF programs (the kfuncs they call) and
 * their tests (what the programs report back).
 */
#ifndef __CPUMASK_CREATE_COMMON_H
#define __CPUMASK_CREATE_COMMON_H

/* What a program saw of one mask it created, for the test to assert. */
struct report {
	__u32 runs;		/* the program ran */
	__u32 err_line;		/* first check that failed, 0: none */
	bool created;		/* bpf_cpumask_create() returned a mask */
	bool empty;		/* bpf_cpumask_empty() on the new mask */
	__u32 weight;		/* bpf_cpumask_weight() on the new mask */
	__u32 first;		/* bpf_cpumask_first() on the new mask */
	__u32 cpus_checked;	/* CPUs that set/test/clear handled right */
};

/* cpumask_create_homes: what the fentry programs saw happen to one watched mask. */
struct mask_calls {
	__u32 dtor_calls;	/* the kernel's kptr destructor ran on it */
	__u32 releases;		/* bpf_cpumask_release() ran on it */
	__u32 last_releases;	/* ... and dropped the last reference */
	__u32 last_release_cpu;	/* where the last reference was dropped */
};

/*
 * cpumask_create_prog_types: what one hook saw of the mask it built. The hook
 * sets the CPU it runs on plus HOOK_CPUS CPUs the test chose (some past
 * nr_cpu_ids, which must be ignored) in a new mask and reads it back.
 */
#define HOOK_CPUS	4

struct hook_report {
	__u32 runs;		/* the hook ran for the test's own event */
	__u32 created;		/* bpf_cpumask_create() returned a mask */
	__u32 not_empty;	/* new masks that were not empty */
	__u32 cpu;		/* CPU of the last run, set in its mask */
	__u32 weight;		/* bpf_cpumask_weight() of the last mask */
	__u32 first;		/* bpf_cpumask_first() of it */
	__u64 hash;		/* its CPUs, folded with cpumask_hash_step() */
	__s64 ctx_value;	/* a value the hook read from its context */
};

/* SYSCALL program context: CPUs in, report out (BPF_PROG_TEST_RUN ctx) */
struct hook_ctx {
	__u32 cpus[HOOK_CPUS];
	struct hook_report report;
};

/*
 * cpumask_create_kfuncs: one call of one kfunc on masks built from patterns
 * chosen in user space, compared there with a plain C model. A pattern is a
 * new (empty) or bpf_cpumask_setall() mask with up to KF_FLIPS CPUs set or
 * cleared; flipped CPUs may lie at or past nr_cpu_ids.
 */
#define KF_FLIPS	8
#define KF_WORDS	8	/* bitmap handed to bpf_cpumask_populate() */
#define KF_BATCH	256	/* cases per program run */

struct kf_pattern {
	__u32 full;
	__u32 nr_flips;
	__u32 flips[KF_FLIPS];
};

struct kf_case {
	struct kf_pattern a, b, dst;	/* src1, src2, the old content of dst */
	__u32 cpu;			/* argument of the *_cpu kfuncs */
	__u32 src_size;			/* bytes of words[] given to populate */
	__u64 words[KF_WORDS];
	/* written by the program */
	__u32 done;
	__u32 ret;			/* the kfunc's return value */
	__u64 hash_a, hash_b, hash_dst;	/* the three masks after the call */
};

/* Interop: created masks against current->cpus_ptr, one pattern per case. */
struct kf_interop {
	struct kf_pattern a;
	__u32 done;
	__u32 cpus_ptr_is_mask;		/* cpus_ptr == &cpus_mask (not migrate-disabled) */
	__u32 cpu;			/* where it ran: cpus_ptr's one CPU otherwise */
	__u32 weight;			/* weight(cpus_ptr) */
	__u32 copy_equal;		/* equal(copy of cpus_ptr, cpus_ptr) */
	__u32 and_ret;			/* and(dst, a, cpus_ptr) */
	__u32 subset_a;			/* subset(a, cpus_ptr) */
	__u32 subset_cpus;		/* subset(cpus_ptr, a) */
	__u32 intersects;		/* intersects(a, cpus_ptr) */
	__u64 hash_copy, hash_and, hash_or;
};

/* Folds one set CPU into a hash of a mask's CPUs, lowest CPU first. */
#define CPUMASK_HASH_INIT	0xcbf29ce484222325ULL

static inline __u64 cpumask_hash_step(__u64 hash, __u32 cpu)
{
	return (hash ^ (cpu + 1)) * 0x100000001b3ULL;
}

/* cpumask_create/fresh_mask_after_reuse: masks dirtied, then created, per run */
#define REUSE_BATCH	64
/*
 * cpumask_create_null_path: masks a program tries to create and hold. The
 * per-CPU cache holds at most 96, but it also refills, without the slab,
 * from masks freed earlier that still wait for an RCU grace period: in a
 * TCG guest, after the kfuncs test, thousands.
 */
#define NULL_PATH_TRIES	65536

/*
 * cpumask_create_sched_ext: what one scheduler callback did, where the picks
 * of select_cpu went for each of the test's threads and affinity generations,
 * and where the masks came from.
 */
struct scx_cb_counts {
	__u64 calls;
	__u64 created;		/* bpf_cpumask_create() returned a mask */
	__u64 released;		/* masks it released itself */
	__u64 replaced;		/* masks it found in a slot (and released) */
};

#define SCX_WORKERS	4
#define SCX_GEN_MOVING	0x80000000U	/* sched_setaffinity() under way */

struct scx_worker {
	__u32 tid;
	__u32 gen;		/* affinity generation user space has set */
};

struct scx_pick_key {
	__u32 tid;
	__u32 gen;
};

struct scx_picks {
	__u64 cpus;		/* CPUs 0-63 picked */
	__u64 count;
	__u64 beyond;		/* picks of CPU 64 or above */
};

enum scx_origin { SCX_ORIGIN_INIT, SCX_ORIGIN_INIT_TASK, SCX_ORIGIN_SELECT, SCX_NR_ORIGINS };

/*
 * cpumask_create_homes: what the next run of a home's program does, on up to
 * HOME_COPIES copies of its slot (one per CPU in per-CPU maps).
 */
enum home_op { HOME_STORE = 1, HOME_READ, HOME_TAKE, HOME_UPDATE, HOME_DELETE, HOME_DROP };
#define HOME_COPIES	64
/* cpumask_create_homes/refcount_*: references to one mask, the creator's and others */
#define HOME_REFS	4

#ifdef __bpf__

/*
 * Upstream's helpers: the cpumask kfuncs (weak, so that an object still
 * opens on a kernel without one; the user side checks the kernel's BTF and
 * skips before loading such a program) and cast().
 */
#include "cpumask_common.h"

/*
 * Linux 6.15+. vmlinux.h and 7.3's cpumask_common.h declare it too, where
 * the kernel has it, but not always alike: struct cpumask * in 6.18's,
 * struct bpf_cpumask * in 7.3's. Ours is a libbpf "flavour" (libbpf resolves
 * the name up to "___"), so it never clashes with one they have, or lack.
 */
int bpf_cpumask_populate___any(struct cpumask *cpumask, void *src,
			       size_t src__sz) __weak __ksym;
#define bpf_cpumask_populate bpf_cpumask_populate___any

/* A map value holding one mask: bpf_kptr_xchg() moves masks in and out. */
struct mask_slot {
	struct bpf_cpumask __kptr * mask;
};

/* An array map of @n mask slots, keyed 0..@n-1. */
#define MASK_SLOTS(name, n)				\
	struct {					\
		__uint(type, BPF_MAP_TYPE_ARRAY);	\
		__type(key, u32);			\
		__type(value, struct mask_slot);	\
		__uint(max_entries, n);			\
	} name SEC(".maps")

/*
 * A global __kptr goes in a section of its own, with hidden linkage:
 *	struct bpf_cpumask __kptr *mask SEC(".bss.masks") __hidden;
 * libbpf cannot mmap a data section that holds a kptr, so keep such
 * sections apart from the ones the test reads through the skeleton.
 */

#endif /* __bpf__ */

#endif /* __CPUMASK_CREATE_COMMON_H */
