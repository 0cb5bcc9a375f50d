// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() returns NULL when the BPF allocator's per-CPU cache
 * is empty and refilling it fails. The test makes the refill's slab
 * allocations fail (failslab); this program keeps creating masks, holding
 * each in a map slot, until the cache runs dry: it must see NULL, take its
 * NULL branch and stop.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

MASK_SLOTS(held_masks, NULL_PATH_TRIES);

u32 drain_runs, created, nulls, errors;

static int hold_one(u32 i, void *ctx)
{
	struct bpf_cpumask *mask, *old;
	struct mask_slot *slot;

	mask = bpf_cpumask_create();
	if (!mask) {
		nulls++;
		return 1;	/* drained: stop, so that few failures are used up */
	}
	created++;
	slot = bpf_map_lookup_elem(&held_masks, &i);
	if (!slot) {
		errors++;
		bpf_cpumask_release(mask);
		return 1;
	}
	old = bpf_kptr_xchg(&slot->mask, mask);
	if (old) {
		errors++;
		bpf_cpumask_release(old);
	}
	return 0;
}

SEC("syscall")
int hold_until_null(void *ctx)
{
	drain_runs++;
	bpf_loop(NULL_PATH_TRIES, hold_one, NULL, 0);
	return 0;
}
