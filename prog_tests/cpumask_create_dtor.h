/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Watching the kptr destructor of struct bpf_cpumask with the fentry
 * programs of progs/cpumask_create_dtor.c, for the tests of where masks
 * live and how they are freed (cpumask_create_ownership, _homes).
 */
#ifndef __CPUMASK_CREATE_DTOR_H
#define __CPUMASK_CREATE_DTOR_H

#include <time.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_dtor.skel.h"

/* the kptr destructor struct bpf_cpumask registers (kernel/bpf/cpumask.c) */
#define DTOR_NAME		"bpf_cpumask_release_dtor"
/* map and skeleton frees run from a workqueue after RCU grace periods */
#define DTOR_WAIT_MS		5000

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Destructor observations need fentry, and the destructor under its name. */
static inline const char *dtor_unsupported(void)
{
	return trampoline_unsupported() ?: probe_btf_func(DTOR_NAME);
}

static inline struct cpumask_create_dtor *dtor_attach(void)
{
	struct cpumask_create_dtor *skel;

	skel = cpumask_create_dtor__open();
	if (!ASSERT_OK_PTR(skel, "dtor open"))
		return NULL;
	if (!ASSERT_OK(bpf_program__set_attach_target(skel->progs.count_dtor_calls, 0,
						      DTOR_NAME), "attach target") ||
	    !ASSERT_OK(cpumask_create_dtor__load(skel), "dtor load") ||
	    !ASSERT_OK(cpumask_create_dtor__attach(skel), "dtor attach")) {
		cpumask_create_dtor__destroy(skel);
		return NULL;
	}
	return skel;
}

static inline bool watch(struct cpumask_create_dtor *dtor, __u64 mask)
{
	struct mask_calls calls = {};

	return ASSERT_OK(bpf_map__update_elem(dtor->maps.watched, &mask, sizeof(mask),
					      &calls, sizeof(calls), BPF_NOEXIST), "watch");
}

static inline struct mask_calls calls_on(struct cpumask_create_dtor *dtor, __u64 mask)
{
	struct mask_calls calls = {};

	ASSERT_OK(bpf_map__lookup_elem(dtor->maps.watched, &mask, sizeof(mask),
				       &calls, sizeof(calls), 0), "watched");
	return calls;
}

#endif /* __CPUMASK_CREATE_DTOR_H */
