// SPDX-License-Identifier: GPL-2.0
/*
 * One program per home runs "op" on every copy of the home's slot; the
 * witness map, shared between objects, holds a second reference to each
 * stored mask. See docs/homes.md.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/* Flavours: the object loads where vmlinux.h or the kernel lacks some of them */
void *bpf_obj_new_impl___homes(u64 local_type_id, void *meta) __weak __ksym;
void bpf_obj_drop_impl___homes(void *kptr, void *meta) __weak __ksym;
int bpf_list_push_back_impl___homes(struct bpf_list_head *head, struct bpf_list_node *node,
				    void *meta, u64 off) __weak __ksym;
struct bpf_list_node *bpf_list_pop_front___homes(struct bpf_list_head *head) __weak __ksym;
int bpf_rbtree_add_impl___homes(struct bpf_rb_root *root, struct bpf_rb_node *node,
				bool (*less)(struct bpf_rb_node *, const struct bpf_rb_node *),
				void *meta, u64 off) __weak __ksym;
struct bpf_rb_node *bpf_rbtree_first___homes(struct bpf_rb_root *root) __weak __ksym;
struct bpf_rb_node *bpf_rbtree_remove___homes(struct bpf_rb_root *root,
					      struct bpf_rb_node *node) __weak __ksym;
struct cgroup *bpf_cgroup_from_id___homes(u64 cgid) __weak __ksym;
void bpf_cgroup_release___homes(struct cgroup *cgrp) __weak __ksym;

#define obj_new(type) \
	((type *)bpf_obj_new_impl___homes(bpf_core_type_id_local(type), NULL))
#define obj_drop(p)	bpf_obj_drop_impl___homes(p, NULL)
#define __contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))

/* set by the test */
u32 op, nr_copies, target_pid, getppid_nr, key, cpu_bit, run_cpu;
u64 target_cgid, target_ino;
bool creator_last;
/* reported: runs of the home's program, slots that held the witness' mask, which */
u32 runs, found;
u64 held;
int err;		/* the line of the first check that failed */
/* witness_refs: each witness' reference count (-1: none) and address */
int refs[HOME_COPIES];
u64 masks[HOME_COPIES];

#define FAIL()	do { if (!err) err = __LINE__; } while (0)

/* copy i's mask, shared with every object the test loads (bpf_map__reuse_fd) */
MASK_SLOTS(witness, HOME_COPIES);

/* an LRU hash's update needs a free element even when the key exists */
#define HOME_MAP(name, map_type, flags)				\
	struct {						\
		__uint(type, map_type);				\
		__uint(max_entries, 4);				\
		__uint(map_flags, flags);			\
		__type(key, u32);				\
		__type(value, struct mask_slot);		\
	} name SEC(".maps")

HOME_MAP(array_home, BPF_MAP_TYPE_ARRAY, 0);
HOME_MAP(percpu_array_home, BPF_MAP_TYPE_PERCPU_ARRAY, 0);
HOME_MAP(hash_home, BPF_MAP_TYPE_HASH, 0);
/* elements allocated at the update, freed through the map's bpf_mem_alloc */
HOME_MAP(hash_no_prealloc_home, BPF_MAP_TYPE_HASH, BPF_F_NO_PREALLOC);
HOME_MAP(percpu_hash_home, BPF_MAP_TYPE_PERCPU_HASH, 0);
HOME_MAP(lru_hash_home, BPF_MAP_TYPE_LRU_HASH, 0);
HOME_MAP(lru_percpu_hash_home, BPF_MAP_TYPE_LRU_PERCPU_HASH, 0);

#define STORAGE_MAP(name, map_type)				\
	struct {						\
		__uint(type, map_type);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);		\
		__type(key, int);				\
		__type(value, struct mask_slot);		\
	} name SEC(".maps")

STORAGE_MAP(task_home, BPF_MAP_TYPE_TASK_STORAGE);
STORAGE_MAP(cgrp_home, BPF_MAP_TYPE_CGRP_STORAGE);
STORAGE_MAP(inode_home, BPF_MAP_TYPE_INODE_STORAGE);
STORAGE_MAP(sk_home, BPF_MAP_TYPE_SK_STORAGE);

/* Map in map: the test puts an inner array, made from this template, at key 0. */
#define OUTER_MAP(name, map_type)				\
	struct {						\
		__uint(type, map_type);				\
		__uint(max_entries, 1);				\
		__type(key, u32);				\
		__array(values, struct {			\
			__uint(type, BPF_MAP_TYPE_ARRAY);	\
			__uint(max_entries, 1);			\
			__type(key, u32);			\
			__type(value, struct mask_slot);	\
		});						\
	} name SEC(".maps")

OUTER_MAP(array_of_maps_home, BPF_MAP_TYPE_ARRAY_OF_MAPS);
OUTER_MAP(hash_of_maps_home, BPF_MAP_TYPE_HASH_OF_MAPS);

/* A global; a kptr away from its value's start: in a nested struct, in an array of structs. */
struct bpf_cpumask __kptr * global_home SEC(".bss.masks") __hidden;

struct nested_value {
	u64 id;
	u32 tag;
	struct mask_slot inner;
};

struct array_of_structs_value {
	struct mask_slot slots[4];
};

#define VALUE_MAP(name, value_type)				\
	struct {						\
		__uint(type, BPF_MAP_TYPE_ARRAY);		\
		__uint(max_entries, 1);				\
		__type(key, u32);				\
		__type(value, value_type);			\
	} name SEC(".maps")

VALUE_MAP(nested_home, struct nested_value);
VALUE_MAP(array_of_structs_home, struct array_of_structs_value);

/* Local objects: a plain one, kept in a map between runs, a list's and an rbtree's nodes. */
struct homes_obj {
	struct bpf_cpumask __kptr * mask;
};

struct obj_slot {
	struct homes_obj __kptr * obj;
};

VALUE_MAP(obj_home, struct obj_slot);

struct homes_node {
	struct bpf_list_node node;
	struct bpf_cpumask __kptr * mask;
};

struct list_value {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(homes_node, node);
};

VALUE_MAP(list_home, struct list_value);

struct homes_rb_node {
	struct bpf_rb_node node;
	struct bpf_cpumask __kptr * mask;
};

struct rbtree_value {
	struct bpf_spin_lock lock;
	struct bpf_rb_root root __contains(homes_rb_node, node);
};

VALUE_MAP(rbtree_home, struct rbtree_value);

static __always_inline void *slot_at(void *map, u32 k)
{
	return bpf_map_lookup_elem(map, &k);
}

/* @mask holds the CPU cpu_bit only, and @refs references */
static __always_inline bool intact(struct bpf_cpumask *mask, int refs)
{
	return bpf_cpumask_test_cpu(cpu_bit, cast(mask)) &&
	       bpf_cpumask_weight(cast(mask)) == 1 && mask->usage.refs.counter == refs;
}

/*
 * STORE: a new mask into @slot, a reference into the witness. READ: @slot
 * holds nothing or the witness' mask, intact (a local object's field, !@rcu,
 * is taken out and put back). TAKE: take the mask out and release it.
 */
static __always_inline void step(struct bpf_cpumask **slot, u32 copy, bool rcu)
{
	struct mask_slot *w = slot_at(&witness, copy);
	struct bpf_cpumask *mask, *ref;

	if (!w) {
		FAIL();
		return;
	}
	if (op == HOME_STORE) {
		mask = bpf_cpumask_create();
		if (!mask) {
			FAIL();
			return;
		}
		bpf_cpumask_set_cpu(cpu_bit, mask);
		ref = bpf_kptr_xchg(&w->mask, bpf_cpumask_acquire(mask));
		if (ref) {
			FAIL();
			bpf_cpumask_release(ref);
		}
		mask = bpf_kptr_xchg(slot, mask);
		if (mask) {
			FAIL();
			bpf_cpumask_release(mask);
		}
	} else if (op == HOME_READ) {
		bpf_rcu_read_lock();
		mask = rcu ? *slot : bpf_kptr_xchg(slot, NULL);
		if (mask) {
			found++;
			held |= 1ULL << (copy & 63);
			if (mask != w->mask || !intact(mask, 2))
				FAIL();
		}
		if (!rcu && mask) {
			mask = bpf_kptr_xchg(slot, mask);
			if (mask) {
				FAIL();
				bpf_cpumask_release(mask);
			}
		}
		bpf_rcu_read_unlock();
	} else if (op == HOME_TAKE) {
		mask = bpf_kptr_xchg(slot, NULL);
		if (mask) {
			found++;
			bpf_cpumask_release(mask);
		}
	}
}

/* Run step() on the slot of value @v, which only HOME_READ may miss. */
static __always_inline int on_value(struct mask_slot *v)
{
	if (v)
		step(&v->mask, 0, true);
	else if (op != HOME_READ)
		FAIL();
	return 0;
}

/* Store, read, take at @key of @map; update or delete it. */
static __always_inline int keyed(void *map, bool percpu, bool hash)
{
	struct mask_slot empty = {};
	u32 i;

	runs++;
	if (op == HOME_UPDATE) {
		if (bpf_map_update_elem(map, &key, &empty, BPF_EXIST))
			FAIL();
		return 0;
	}
	if (op == HOME_DELETE) {
		if (bpf_map_delete_elem(map, &key))
			FAIL();
		return 0;
	}
	if (hash && op == HOME_STORE)
		bpf_map_update_elem(map, &key, &empty, BPF_NOEXIST);
	if (!percpu)
		return on_value(bpf_map_lookup_elem(map, &key));
	bpf_for(i, 0, nr_copies) {
		struct mask_slot *v = bpf_map_lookup_percpu_elem(map, &key, i);

		if (v)
			step(&v->mask, i, true);
		else if (op != HOME_READ)
			FAIL();
	}
	return 0;
}

#define KEYED_HOME(name, percpu, hash)				\
	SEC("syscall")						\
	int home_##name(void *ctx)				\
	{							\
		return keyed(&name##_home, percpu, hash);	\
	}

KEYED_HOME(array, false, false)
KEYED_HOME(percpu_array, true, false)
KEYED_HOME(hash, false, true)
KEYED_HOME(hash_no_prealloc, false, true)
KEYED_HOME(percpu_hash, true, true)
KEYED_HOME(lru_hash, false, true)
KEYED_HOME(lru_percpu_hash, true, true)

/* The inner array at key 0 of an outer map; its own key 0 holds the mask. */
static __always_inline int inner(void *outer)
{
	void *map = slot_at(outer, 0);

	runs++;
	return on_value(map ? slot_at(map, 0) : NULL);
}

SEC("syscall")
int home_array_of_maps(void *ctx)
{
	return inner(&array_of_maps_home);
}

SEC("syscall")
int home_hash_of_maps(void *ctx)
{
	return inner(&hash_of_maps_home);
}

SEC("syscall")
int home_global(void *ctx)
{
	runs++;
	step(&global_home, 0, true);
	return 0;
}

SEC("syscall")
int home_nested(void *ctx)
{
	struct nested_value *v = slot_at(&nested_home, 0);

	runs++;
	return on_value(v ? &v->inner : NULL);
}

/* not the first element: bpf_kptr_xchg() needs a constant offset */
SEC("syscall")
int home_array_of_structs(void *ctx)
{
	struct array_of_structs_value *v = slot_at(&array_of_structs_home, 0);

	runs++;
	return on_value(v ? &v->slots[2] : NULL);
}

static __always_inline u64 create_flag(void)
{
	return op == HOME_STORE ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0;
}

static __always_inline int deleted(long ret)
{
	if (ret)
		FAIL();
	return 0;
}

/* Task and cgroup storage: from target_pid's getppid() */
static __always_inline bool from_target(long id)
{
	return bpf_get_current_task_btf()->pid == target_pid && id == getppid_nr;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(home_task, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!from_target(id))
		return 0;
	runs++;
	if (op == HOME_DELETE)
		return deleted(bpf_task_storage_delete(&task_home, task));
	return on_value(bpf_task_storage_get(&task_home, task, NULL, create_flag()));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(home_cgrp, struct pt_regs *regs, long id)
{
	struct cgroup *cgrp;

	if (!from_target(id))
		return 0;
	runs++;
	cgrp = bpf_cgroup_from_id___homes(target_cgid);
	if (!cgrp) {
		FAIL();
		return 0;
	}
	if (op == HOME_DELETE)
		deleted(bpf_cgrp_storage_delete(&cgrp_home, cgrp));
	else
		on_value(bpf_cgrp_storage_get(&cgrp_home, cgrp, NULL, create_flag()));
	bpf_cgroup_release___homes(cgrp);
	return 0;
}

/* Socket storage: from the test's listen(); tp_btf may call bpf_sk_storage_get() */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(home_sk, struct sock *sk, int oldstate, int newstate)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (task->pid != target_pid || newstate != BPF_TCP_LISTEN)
		return 0;
	runs++;
	if (op == HOME_DELETE)
		return deleted(bpf_sk_storage_delete(&sk_home, sk));
	return on_value(bpf_sk_storage_get(&sk_home, sk, NULL, create_flag()));
}

/* Inode storage, LSM only: from the test's open() of target_ino */
SEC("lsm/file_open")
int BPF_PROG(home_inode, struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *inode = file->f_inode;

	if (task->pid != target_pid || !inode || inode->i_ino != target_ino)
		return 0;
	runs++;
	if (op == HOME_DELETE)
		return deleted(bpf_inode_storage_delete(&inode_home, inode));
	return on_value(bpf_inode_storage_get(&inode_home, inode, NULL, create_flag()));
}

/*
 * A local object taken out of its home (new for STORE): true when the caller
 * is to step() on its mask and put it back; DROP drops it.
 */
static __always_inline bool kept(void *node)
{
	if (!node) {
		if (op != HOME_READ)
			FAIL();
		return false;
	}
	if (op == HOME_DROP) {
		obj_drop(node);
		return false;
	}
	return true;
}

/* A plain local object, kept in obj_home between runs */
SEC("syscall")
int home_obj(void *ctx)
{
	struct obj_slot *s = slot_at(&obj_home, 0);
	struct homes_obj *o;

	runs++;
	if (!s) {
		FAIL();
		return 0;
	}
	o = bpf_kptr_xchg(&s->obj, NULL);
	if (!o && op == HOME_STORE)
		o = obj_new(struct homes_obj);
	if (!kept(o))
		return 0;
	step(&o->mask, 0, false);
	o = bpf_kptr_xchg(&s->obj, o);
	if (o) {
		FAIL();
		obj_drop(o);
	}
	return 0;
}

/* A list's node: popped, worked on outside the lock, pushed back */
SEC("syscall")
int home_list(void *ctx)
{
	struct list_value *v = slot_at(&list_home, 0);
	struct bpf_list_node *n = NULL;
	struct homes_node *node;

	runs++;
	if (!v) {
		FAIL();
		return 0;
	}
	if (op == HOME_STORE) {
		node = obj_new(struct homes_node);
	} else {
		bpf_spin_lock(&v->lock);
		n = bpf_list_pop_front___homes(&v->head);
		bpf_spin_unlock(&v->lock);
		node = n ? container_of(n, struct homes_node, node) : NULL;
	}
	if (!kept(node))
		return 0;
	step(&node->mask, 0, false);
	bpf_spin_lock(&v->lock);
	bpf_list_push_back_impl___homes(&v->head, &node->node, NULL, 0);
	bpf_spin_unlock(&v->lock);
	return 0;
}

static bool rb_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return false;
}

SEC("syscall")
int home_rbtree(void *ctx)
{
	struct rbtree_value *v = slot_at(&rbtree_home, 0);
	struct bpf_rb_node *n = NULL;
	struct homes_rb_node *node;

	runs++;
	if (!v) {
		FAIL();
		return 0;
	}
	if (op == HOME_STORE) {
		node = obj_new(struct homes_rb_node);
	} else {
		bpf_spin_lock(&v->lock);
		n = bpf_rbtree_first___homes(&v->root);
		if (n)
			n = bpf_rbtree_remove___homes(&v->root, n);
		bpf_spin_unlock(&v->lock);
		node = n ? container_of(n, struct homes_rb_node, node) : NULL;
	}
	if (!kept(node))
		return 0;
	step(&node->mask, 0, false);
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add_impl___homes(&v->root, &node->node, rb_less, NULL, 0);
	bpf_spin_unlock(&v->lock);
	return 0;
}

/*
 * STORE: a mask in slot 0, a reference in each other; TAKE, on another CPU,
 * releases them one by one. The last release must not free the mask under
 * a reader: one created in the same RCU read section gets other memory.
 */
MASK_SLOTS(refcount_home, HOME_REFS);

SEC("syscall")
int home_refcount(void *ctx)
{
	struct mask_slot *s, *last = slot_at(&refcount_home, creator_last ? 0 : HOME_REFS - 1);
	struct bpf_cpumask *mask, *ref, *seen;
	u32 i;

	runs++;
	if (!last || bpf_get_smp_processor_id() != run_cpu) {
		FAIL();
		return 0;
	}
	if (op == HOME_STORE) {
		mask = bpf_cpumask_create();
		if (!mask) {
			FAIL();
			return 0;
		}
		bpf_cpumask_set_cpu(cpu_bit, mask);
		masks[0] = (u64)mask;
		bpf_for(i, 1, HOME_REFS) {
			s = slot_at(&refcount_home, i);
			ref = s ? bpf_kptr_xchg(&s->mask, bpf_cpumask_acquire(mask)) : NULL;
			if (!s || ref || mask->usage.refs.counter != i + 1)
				FAIL();
			if (ref)
				bpf_cpumask_release(ref);
		}
		s = slot_at(&refcount_home, 0);
		ref = s ? bpf_kptr_xchg(&s->mask, mask) : mask;
		if (ref) {
			FAIL();
			bpf_cpumask_release(ref);
		}
		return 0;
	}
	bpf_for(i, 0, HOME_REFS - 1) {
		s = slot_at(&refcount_home, creator_last ? HOME_REFS - 1 - i : i);
		mask = s ? bpf_kptr_xchg(&s->mask, NULL) : NULL;
		if (!mask) {
			FAIL();
			break;
		}
		bpf_cpumask_release(mask);
		bpf_rcu_read_lock();
		mask = last->mask;
		if (!mask || !intact(mask, HOME_REFS - 1 - i))
			FAIL();
		bpf_rcu_read_unlock();
	}
	bpf_rcu_read_lock();
	seen = last->mask;
	mask = bpf_kptr_xchg(&last->mask, NULL);
	if (mask) {
		bpf_cpumask_release(mask);
		mask = bpf_cpumask_create();
		if (!mask || mask == seen)
			FAIL();
		if (mask)
			bpf_cpumask_release(mask);
	} else {
		FAIL();
	}
	bpf_rcu_read_unlock();
	return 0;
}

/*
 * The writer (on run_cpu) cycles masks {0}, {cpu_bit}, {0, cpu_bit} through
 * the slot; a reader must see one of them whole, even one released meanwhile.
 */
MASK_SLOTS(replace_home, 1);

u32 swaps, released, patterns_seen, released_under_reader;

static __always_inline u32 pattern(struct bpf_cpumask *mask)
{
	return bpf_cpumask_test_cpu(0, cast(mask)) | bpf_cpumask_test_cpu(cpu_bit, cast(mask)) << 1;
}

SEC("syscall")
int home_replace(void *ctx)
{
	struct mask_slot *s = slot_at(&replace_home, 0);
	struct bpf_cpumask *mask;
	u32 p, weight;

	runs++;
	if (!s) {
		FAIL();
		return 0;
	}
	if (op == HOME_TAKE || bpf_get_smp_processor_id() == run_cpu) {
		mask = NULL;
		if (op != HOME_TAKE) {
			p = swaps++ % 3 + 1;
			mask = bpf_cpumask_create();
			if (!mask) {
				FAIL();
				return 0;
			}
			if (p & 1)
				bpf_cpumask_set_cpu(0, mask);
			if (p & 2)
				bpf_cpumask_set_cpu(cpu_bit, mask);
		}
		mask = bpf_kptr_xchg(&s->mask, mask);
		if (mask) {
			released++;
			bpf_cpumask_release(mask);
		}
		if (op == HOME_TAKE && released != swaps)
			FAIL();
		return 0;
	}
	bpf_rcu_read_lock();
	mask = s->mask;
	if (mask) {
		found++;
		p = pattern(mask);
		weight = bpf_cpumask_weight(cast(mask));
		if (!mask->usage.refs.counter)
			released_under_reader++;
		if (!p || weight != (p == 3 ? 2 : 1) || pattern(mask) != p ||
		    mask->usage.refs.counter > 1)
			FAIL();
		patterns_seen |= 1 << p;
	}
	bpf_rcu_read_unlock();
	return 0;
}

/* Each witness' reference count under RCU; HOME_TAKE releases the witnesses. */
SEC("syscall")
int witness_refs(void *ctx)
{
	struct bpf_cpumask *mask;
	struct mask_slot *w;
	u32 i;

	runs++;
	bpf_for(i, 0, nr_copies) {
		w = slot_at(&witness, i);
		if (!w || i >= HOME_COPIES) {
			FAIL();
			break;
		}
		if (op == HOME_TAKE) {
			mask = bpf_kptr_xchg(&w->mask, NULL);
			if (mask)
				bpf_cpumask_release(mask);
			continue;
		}
		bpf_rcu_read_lock();
		mask = w->mask;
		refs[i] = mask ? mask->usage.refs.counter : -1;
		masks[i] = (u64)mask;
		bpf_rcu_read_unlock();
	}
	return 0;
}

/* Destructor and bpf_cpumask_release() calls on the masks the test watches */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, struct mask_calls);
} watched SEC(".maps");

SEC("fentry/bpf_cpumask_release_dtor")
int BPF_PROG(count_dtor_calls, void *cpumask)
{
	u64 addr = (u64)cpumask;
	struct mask_calls *c = bpf_map_lookup_elem(&watched, &addr);

	if (c)
		__sync_fetch_and_add(&c->dtor_calls, 1);
	return 0;
}

SEC("fentry/bpf_cpumask_release")
int BPF_PROG(count_releases, struct bpf_cpumask *cpumask)
{
	u64 addr = (u64)cpumask;
	struct mask_calls *c = bpf_map_lookup_elem(&watched, &addr);

	if (!c)
		return 0;
	__sync_fetch_and_add(&c->releases, 1);
	if (cpumask->usage.refs.counter == 1) {
		__sync_fetch_and_add(&c->last_releases, 1);
		c->last_release_cpu = bpf_get_smp_processor_id();
	}
	return 0;
}
