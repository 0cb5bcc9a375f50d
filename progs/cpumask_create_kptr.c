// SPDX-License-Identifier: GPL-2.0
/*
 * Who owns a created mask. A mask is either released with
 * bpf_cpumask_release() or moved with bpf_kptr_xchg() into a __kptr field:
 * of an array, hash (preallocated or not) or LRU hash map value, of a
 * global variable, of a struct nested in a value, of an element of an array
 * of structs. Each storage has three programs: one stores a new mask, a
 * second reads it under bpf_rcu_read_lock(), a third takes it back out and
 * releases it.
 *
 * SEC("syscall") programs are sleepable, so a kptr loaded outside
 * bpf_rcu_read_lock() is untrusted there: the readers must take the lock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

#define NR_SLOTS	4
/* the element of the array of structs the programs use: not the first */
#define SLOT_IN_ARRAY	2

MASK_SLOTS(array_masks, NR_SLOTS);

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NR_SLOTS);
	__type(key, u32);
	__type(value, struct mask_slot);
} hash_masks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NR_SLOTS);
	__type(key, u32);
	__type(value, struct mask_slot);
} lru_hash_masks SEC(".maps");

/* elements allocated on update, freed through the map's bpf_mem_alloc */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NR_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, u32);
	__type(value, struct mask_slot);
} hash_no_prealloc_masks SEC(".maps");

/* Hidden, in a section of its own: see the end of cpumask_create_common.h. */
struct bpf_cpumask __kptr * stored_mask SEC(".bss.masks") __hidden;

struct inner_slot {
	u32 tag;
	struct bpf_cpumask __kptr * mask;
};

struct nested_value {
	u64 id;
	struct inner_slot inner;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct nested_value);
} nested_masks SEC(".maps");

struct slots_value {
	struct mask_slot slots[NR_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slots_value);
} array_of_structs_masks SEC(".maps");

/* set by the test */
u32 nr_cpus;
u32 bits_base;	/* first of the 64 CPUs that pattern and kptr_view.bits stand for */
u64 pattern;	/* CPUs the store programs set in a new mask, from bits_base on */
u32 key;	/* map key (or holder) the next program run uses */

struct kptr_view stored, seen, taken;

/* CPUs bits_base..bits_base + 63 of @mask: any word of a wide mask */
static __always_inline u64 window(struct bpf_cpumask *mask)
{
	u64 bits = 0;
	u32 i;

	bpf_for(i, 0, 64) {
		if (bpf_cpumask_test_cpu(bits_base + i, cast(mask)))
			bits |= 1ULL << i;
	}
	return bits;
}

static __always_inline void fill_view(struct kptr_view *v, struct bpf_cpumask *mask)
{
	v->found = 1;
	v->mask = (u64)mask;
	v->bits = window(mask);
	/* CO-RE relocated (vmlinux.h); the free itself is notrace */
	v->refs = mask->usage.refs.counter;
	v->weight = bpf_cpumask_weight(cast(mask));
}

static __always_inline void start_view(struct kptr_view *v)
{
	v->runs++;
	v->cpu = bpf_get_smp_processor_id();
	v->found = 0;
}

/* Create a mask holding @bits and move it into @slot, which must be empty. */
static __always_inline int store_new_mask(struct bpf_cpumask **slot, u64 bits)
{
	struct bpf_cpumask *mask;
	u32 i;

	start_view(&stored);
	mask = bpf_cpumask_create();
	if (!mask)
		return 1;
	bpf_for(i, 0, 64) {
		if (bits & (1ULL << i))
			bpf_cpumask_set_cpu(bits_base + i, mask);
	}
	fill_view(&stored, mask);
	mask = bpf_kptr_xchg(slot, mask);
	if (mask) {
		stored.errors++;
		bpf_cpumask_release(mask);
	}
	return 0;
}

/* Report the mask in @slot, if any, without taking a reference. */
static __always_inline int read_under_rcu(struct bpf_cpumask **slot, struct kptr_view *v)
{
	struct bpf_cpumask *mask;

	start_view(v);
	bpf_rcu_read_lock();
	mask = *slot;
	if (mask)
		fill_view(v, mask);
	bpf_rcu_read_unlock();
	return 0;
}

/* Take the mask out of @slot, report it, release it. */
static __always_inline int take_and_release(struct bpf_cpumask **slot, struct kptr_view *v)
{
	struct bpf_cpumask *mask;

	start_view(v);
	mask = bpf_kptr_xchg(slot, NULL);
	if (!mask)
		return 0;
	fill_view(v, mask);
	bpf_cpumask_release(mask);
	return 0;
}

static __always_inline void *elem_at(void *map, u32 k)
{
	return bpf_map_lookup_elem(map, &k);
}

/* Hash maps need the element before a mask can be moved into it. */
static __always_inline struct mask_slot *hash_slot(void *map, u32 k)
{
	struct mask_slot empty = {};

	bpf_map_update_elem(map, &k, &empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, &k);
}

/* Array map value */
SEC("syscall")
int store_in_array_map(void *ctx)
{
	struct mask_slot *v = elem_at(&array_masks, key);

	return v ? store_new_mask(&v->mask, pattern) : 1;
}

SEC("syscall")
int read_array_map_under_rcu(void *ctx)
{
	struct mask_slot *v = elem_at(&array_masks, key);

	return v ? read_under_rcu(&v->mask, &seen) : 1;
}

SEC("syscall")
int take_from_array_map(void *ctx)
{
	struct mask_slot *v = elem_at(&array_masks, key);

	return v ? take_and_release(&v->mask, &taken) : 1;
}

/* Hash map value */
SEC("syscall")
int store_in_hash_map(void *ctx)
{
	struct mask_slot *v = hash_slot(&hash_masks, key);

	return v ? store_new_mask(&v->mask, pattern) : 1;
}

SEC("syscall")
int read_hash_map_under_rcu(void *ctx)
{
	struct mask_slot *v = elem_at(&hash_masks, key);

	return v ? read_under_rcu(&v->mask, &seen) : 1;
}

SEC("syscall")
int take_from_hash_map(void *ctx)
{
	struct mask_slot *v = elem_at(&hash_masks, key);

	return v ? take_and_release(&v->mask, &taken) : 1;
}

/* LRU hash map value */
SEC("syscall")
int store_in_lru_hash_map(void *ctx)
{
	struct mask_slot *v = hash_slot(&lru_hash_masks, key);

	return v ? store_new_mask(&v->mask, pattern) : 1;
}

SEC("syscall")
int read_lru_hash_map_under_rcu(void *ctx)
{
	struct mask_slot *v = elem_at(&lru_hash_masks, key);

	return v ? read_under_rcu(&v->mask, &seen) : 1;
}

SEC("syscall")
int take_from_lru_hash_map(void *ctx)
{
	struct mask_slot *v = elem_at(&lru_hash_masks, key);

	return v ? take_and_release(&v->mask, &taken) : 1;
}

/* Hash map value, elements not preallocated */
SEC("syscall")
int store_in_hash_no_prealloc_map(void *ctx)
{
	struct mask_slot *v = hash_slot(&hash_no_prealloc_masks, key);

	return v ? store_new_mask(&v->mask, pattern) : 1;
}

SEC("syscall")
int read_hash_no_prealloc_map_under_rcu(void *ctx)
{
	struct mask_slot *v = elem_at(&hash_no_prealloc_masks, key);

	return v ? read_under_rcu(&v->mask, &seen) : 1;
}

SEC("syscall")
int take_from_hash_no_prealloc_map(void *ctx)
{
	struct mask_slot *v = elem_at(&hash_no_prealloc_masks, key);

	return v ? take_and_release(&v->mask, &taken) : 1;
}

/* Global variable */
SEC("syscall")
int store_in_global_kptr(void *ctx)
{
	return store_new_mask(&stored_mask, pattern);
}

SEC("syscall")
int read_global_kptr_under_rcu(void *ctx)
{
	return read_under_rcu(&stored_mask, &seen);
}

SEC("syscall")
int take_from_global_kptr(void *ctx)
{
	return take_and_release(&stored_mask, &taken);
}

/* Struct nested in a map value */
SEC("syscall")
int store_in_nested_struct(void *ctx)
{
	struct nested_value *v = elem_at(&nested_masks, 0);

	return v ? store_new_mask(&v->inner.mask, pattern) : 1;
}

SEC("syscall")
int read_nested_struct_under_rcu(void *ctx)
{
	struct nested_value *v = elem_at(&nested_masks, 0);

	return v ? read_under_rcu(&v->inner.mask, &seen) : 1;
}

SEC("syscall")
int take_from_nested_struct(void *ctx)
{
	struct nested_value *v = elem_at(&nested_masks, 0);

	return v ? take_and_release(&v->inner.mask, &taken) : 1;
}

/* Element of an array of structs in a map value; kptr_xchg needs a constant offset */
SEC("syscall")
int store_in_array_of_structs(void *ctx)
{
	struct slots_value *v = elem_at(&array_of_structs_masks, 0);

	return v ? store_new_mask(&v->slots[SLOT_IN_ARRAY].mask, pattern) : 1;
}

SEC("syscall")
int read_array_of_structs_under_rcu(void *ctx)
{
	struct slots_value *v = elem_at(&array_of_structs_masks, 0);

	return v ? read_under_rcu(&v->slots[SLOT_IN_ARRAY].mask, &seen) : 1;
}

SEC("syscall")
int take_from_array_of_structs(void *ctx)
{
	struct slots_value *v = elem_at(&array_of_structs_masks, 0);

	return v ? take_and_release(&v->slots[SLOT_IN_ARRAY].mask, &taken) : 1;
}

/*
 * Reference counting. One program creates the mask into "home", another
 * takes k more references into "holders", a third drops them one by one; the
 * readers watch the count and the bits in between.
 */
MASK_SLOTS(refs_home, 1);

MASK_SLOTS(refs_holders, NR_SLOTS);

struct kptr_view acquired;

SEC("syscall")
int create_refcounted_mask(void *ctx)
{
	struct mask_slot *home = elem_at(&refs_home, 0);

	return home ? store_new_mask(&home->mask, pattern) : 1;
}

/*
 * A kptr read under RCU is not trusted enough for bpf_cpumask_acquire():
 * take the mask out, acquire, and put it back.
 */
SEC("syscall")
int acquire_into_holder(void *ctx)
{
	struct mask_slot *home = elem_at(&refs_home, 0);
	struct mask_slot *holder = elem_at(&refs_holders, key);
	struct bpf_cpumask *mask, *ref;

	start_view(&acquired);
	if (!home || !holder)
		return 1;
	mask = bpf_kptr_xchg(&home->mask, NULL);
	if (!mask)
		return 0;
	ref = bpf_cpumask_acquire(mask);
	mask = bpf_kptr_xchg(&home->mask, mask);
	if (mask) {
		acquired.errors++;
		bpf_cpumask_release(mask);
	}
	fill_view(&acquired, ref);
	ref = bpf_kptr_xchg(&holder->mask, ref);
	if (ref) {
		acquired.errors++;
		bpf_cpumask_release(ref);
	}
	return 0;
}

SEC("syscall")
int release_holder(void *ctx)
{
	struct mask_slot *holder = elem_at(&refs_holders, key);

	return holder ? take_and_release(&holder->mask, &taken) : 1;
}

SEC("syscall")
int release_home(void *ctx)
{
	struct mask_slot *home = elem_at(&refs_home, 0);

	return home ? take_and_release(&home->mask, &taken) : 1;
}

SEC("syscall")
int read_home_under_rcu(void *ctx)
{
	struct mask_slot *home = elem_at(&refs_home, 0);

	return home ? read_under_rcu(&home->mask, &seen) : 1;
}

SEC("syscall")
int read_holder_under_rcu(void *ctx)
{
	struct mask_slot *holder = elem_at(&refs_holders, key);

	return holder ? read_under_rcu(&holder->mask, &seen) : 1;
}

/*
 * Across CPUs: the test pins itself to one CPU to create and store a mask
 * holding that CPU's bit, and to another to take it out and release it.
 */
MASK_SLOTS(cross_cpu_slot, 1);

SEC("syscall")
int create_on_this_cpu(void *ctx)
{
	struct mask_slot *v = elem_at(&cross_cpu_slot, 0);
	u32 cpu = bpf_get_smp_processor_id();

	if (!v || cpu < bits_base || cpu - bits_base >= 64)
		return 1;
	return store_new_mask(&v->mask, 1ULL << (cpu - bits_base));
}

SEC("syscall")
int release_on_this_cpu(void *ctx)
{
	struct mask_slot *v = elem_at(&cross_cpu_slot, 0);

	return v ? take_and_release(&v->mask, &taken) : 1;
}

/*
 * Replace under readers: a writer swaps new masks into one slot and releases
 * what it swaps out, while a reader on another CPU looks at the slot under
 * RCU. The writer cycles through NR_PATTERNS patterns; a reader must only
 * ever see one of them, the same at the start and the end of its read.
 */

MASK_SLOTS(swap_slot, 1);

u64 swap_patterns[NR_PATTERNS];
u32 swap_weights[NR_PATTERNS];
u32 swaps, swap_created, swap_released, swap_errors, next_pattern;
u32 reads, reads_found, bad_reads, patterns_seen, released_under_reader;
u64 bad_bits;

SEC("syscall")
int swap_in_new_mask(void *ctx)
{
	struct mask_slot *v = elem_at(&swap_slot, 0);
	struct bpf_cpumask *mask;
	u32 cpu, i;
	u64 bits;

	if (!v)
		return 1;
	swaps++;
	i = next_pattern;
	if (i >= NR_PATTERNS)
		i = 0;
	next_pattern = i + 1;
	bits = swap_patterns[i];
	mask = bpf_cpumask_create();
	if (!mask) {
		swap_errors++;
		return 1;
	}
	swap_created++;
	bpf_for(cpu, 0, nr_cpus) {
		if (cpu < 64 && (bits & (1ULL << cpu)))
			bpf_cpumask_set_cpu(cpu, mask);
	}
	mask = bpf_kptr_xchg(&v->mask, mask);
	if (mask) {
		swap_released++;
		bpf_cpumask_release(mask);
	}
	return 0;
}

SEC("syscall")
int read_swapped_mask_under_rcu(void *ctx)
{
	struct mask_slot *v = elem_at(&swap_slot, 0);
	struct bpf_cpumask *mask;
	u64 first, last;
	u32 i, weight;
	int refs;

	if (!v)
		return 1;
	reads++;
	bpf_rcu_read_lock();
	mask = v->mask;
	if (mask) {
		bool ok = false;

		reads_found++;
		first = mask->cpumask.bits[0];
		weight = bpf_cpumask_weight(cast(mask));
		refs = mask->usage.refs.counter;
		last = mask->cpumask.bits[0];
		/* swapped out and released by the writer while we read: still intact */
		if (refs == 0)
			released_under_reader++;
		bpf_for(i, 0, NR_PATTERNS) {
			if (first == swap_patterns[i] && weight == swap_weights[i]) {
				patterns_seen |= 1 << i;
				ok = true;
			}
		}
		if (!ok || first != last || refs < 0 || refs > 1) {
			bad_reads++;
			bad_bits = first;
		}
	}
	bpf_rcu_read_unlock();
	return 0;
}

SEC("syscall")
int take_swapped_mask(void *ctx)
{
	struct mask_slot *v = elem_at(&swap_slot, 0);
	struct bpf_cpumask *mask;

	if (!v)
		return 1;
	mask = bpf_kptr_xchg(&v->mask, NULL);
	if (mask) {
		swap_released++;
		bpf_cpumask_release(mask);
	}
	return 0;
}
