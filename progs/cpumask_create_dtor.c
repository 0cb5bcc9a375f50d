// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's side of a mask's lifetime, seen from fentry programs. When a
 * map value (or global) holding a mask is deleted, overwritten or freed, the
 * kernel calls the kptr destructor registered for struct bpf_cpumask. A mask
 * is freed when bpf_cpumask_release() drops its last reference. Only the
 * masks the test watches are counted, so other users of cpumasks on the
 * machine do not disturb the counts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* address of a watched mask -> what happened to it */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, struct mask_calls);
} watched SEC(".maps");

u32 dtor_calls_all;

/*
 * The destructor's name differs between kernels (bpf_cpumask_release_dtor
 * in 6.12): the test sets the attach target from the kernel's BTF. It takes
 * a void *, so the reference count is read with CO-RE.
 */
SEC("fentry")
int BPF_PROG(count_dtor_calls, void *cpumask)
{
	u64 addr = (u64)cpumask;
	struct mask_calls *c;

	__sync_fetch_and_add(&dtor_calls_all, 1);
	c = bpf_map_lookup_elem(&watched, &addr);
	if (!c)
		return 0;
	/*
	 * dtor_last_ref first: the test waits for dtor_calls to change, then
	 * reads dtor_last_ref, which must be final by then.
	 */
	if (BPF_CORE_READ((struct bpf_cpumask *)cpumask, usage.refs.counter) == 1)
		__sync_fetch_and_add(&c->dtor_last_ref, 1);
	__sync_fetch_and_add(&c->dtor_calls, 1);
	return 0;
}

SEC("fentry/bpf_cpumask_release")
int BPF_PROG(count_releases, struct bpf_cpumask *cpumask)
{
	u64 addr = (u64)cpumask;
	struct mask_calls *c;

	c = bpf_map_lookup_elem(&watched, &addr);
	if (!c)
		return 0;
	__sync_fetch_and_add(&c->releases, 1);
	if (cpumask->usage.refs.counter == 1) {
		__sync_fetch_and_add(&c->last_releases, 1);
		c->last_release_cpu = bpf_get_smp_processor_id();
	}
	return 0;
}
