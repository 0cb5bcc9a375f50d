/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the cpumask_create_* BPF programs (the kfuncs they call) and
 * their tests (what the programs report back).
 */
#ifndef __CPUMASK_CREATE_COMMON_H
#define __CPUMASK_CREATE_COMMON_H

/* cpumask_create_homes: what the fentry programs saw happen to one watched mask. */
struct mask_calls {
	__u32 dtor_calls;	/* the kernel's kptr destructor ran on it */
	__u32 releases;		/* bpf_cpumask_release() ran on it */
	__u32 last_releases;	/* ... and dropped the last reference */
	__u32 last_release_cpu;	/* where the last reference was dropped */
};

/* cpumask_create/fresh_mask_after_reuse: masks dirtied, then created, per run */
#define REUSE_BATCH	64
/*
 * cpumask_create/null_path: masks a program tries to create and hold. The
 * per-CPU cache holds at most 96, but it also refills, without the slab,
 * from masks freed earlier that still wait for an RCU grace period: in a
 * TCG guest, thousands.
 */
#define NULL_PATH_TRIES	65536

/* cpumask_create_sched_ext: what one scheduler callback did */
struct scx_cb_counts {
	__u64 calls;
	__u64 created;		/* bpf_cpumask_create() returned a mask */
	__u64 released;		/* masks it released itself */
	__u64 replaced;		/* masks it found in a slot (and released) */
};

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
