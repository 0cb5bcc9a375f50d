// SPDX-License-Identifier: GPL-2.0
/*
 * The homes of a created mask: every kind of storage a struct bpf_cpumask
 * __kptr can live in. One program per home runs the operation the test puts
 * in "op" on every copy of the home's slot (one per CPU for per-CPU maps).
 * Storing a mask also puts a second reference to it in the witness map,
 * which the test shares between objects: the witness outlives the home, and
 * its reference count tells whether the home dropped its reference, and how
 * often.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf_misc.h"
#include "cpumask_create_common.h"

char _license[] SEC("license") = "GPL";

/*
 * Local objects' kfuncs, as libbpf "flavours" (see bpf_cpumask_populate in
 * cpumask_create_common.h): declared here whether or not vmlinux.h has them.
 */
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
u32 op, nr_copies, target_pid;
u64 target_cgid, target_ino;
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
#define HOME_MAP(name, map_type)				\
	struct {						\
		__uint(type, map_type);				\
		__uint(max_entries, 4);				\
		__type(key, u32);				\
		__type(value, struct mask_slot);		\
	} name SEC(".maps")

HOME_MAP(array_home, BPF_MAP_TYPE_ARRAY);
HOME_MAP(percpu_array_home, BPF_MAP_TYPE_PERCPU_ARRAY);
HOME_MAP(hash_home, BPF_MAP_TYPE_HASH);
HOME_MAP(percpu_hash_home, BPF_MAP_TYPE_PERCPU_HASH);
HOME_MAP(lru_hash_home, BPF_MAP_TYPE_LRU_HASH);
HOME_MAP(lru_percpu_hash_home, BPF_MAP_TYPE_LRU_PERCPU_HASH);

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

/* Local objects: a plain one, kept in a map between runs, a list's and an rbtree's nodes. */
struct homes_obj {
	struct bpf_cpumask __kptr * mask;
};

struct obj_slot {
	struct homes_obj __kptr * obj;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct obj_slot);
} obj_home SEC(".maps");

struct homes_node {
	struct bpf_list_node node;
	struct bpf_cpumask __kptr * mask;
};

struct list_value {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(homes_node, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct list_value);
} list_home SEC(".maps");

struct homes_rb_node {
	struct bpf_rb_node node;
	struct bpf_cpumask __kptr * mask;
};

struct rbtree_value {
	struct bpf_spin_lock lock;
	struct bpf_rb_root root __contains(homes_rb_node, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct rbtree_value);
} rbtree_home SEC(".maps");

static __always_inline struct mask_slot *witness_of(u32 copy)
{
	return bpf_map_lookup_elem(&witness, &copy);
}

/*
 * HOME_STORE: a new mask into @slot, a reference to it into the witness.
 * HOME_READ: @slot holds nothing or the witness' mask: read under RCU, or,
 * where the verifier allows no direct read (a local object's field, @rcu
 * false), taken out, compared and put back.
 * HOME_TAKE: take the mask out and release it.
 */
static __always_inline void step(struct bpf_cpumask **slot, u32 copy, bool rcu)
{
	struct mask_slot *w = witness_of(copy);
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
	} else if (op == HOME_READ && rcu) {
		bpf_rcu_read_lock();
		mask = *slot;
		if (mask) {
			found++;
			held |= 1ULL << (copy & 63);
			if (mask != w->mask)
				FAIL();
		}
		bpf_rcu_read_unlock();
	} else if (op == HOME_READ) {
		mask = bpf_kptr_xchg(slot, NULL);
		if (!mask)
			return;
		found++;
		held |= 1ULL << (copy & 63);
		bpf_rcu_read_lock();
		if (mask != w->mask)
			FAIL();
		bpf_rcu_read_unlock();
		mask = bpf_kptr_xchg(slot, mask);
		if (mask) {
			FAIL();
			bpf_cpumask_release(mask);
		}
	} else if (op == HOME_TAKE) {
		mask = bpf_kptr_xchg(slot, NULL);
		if (mask) {
			found++;
			bpf_cpumask_release(mask);
		}
	}
}

static __always_inline void *lookup0(void *map)
{
	u32 key = 0;

	return bpf_map_lookup_elem(map, &key);
}

/* Store, read, take on key 0 of @map; update or delete it. */
static __always_inline int keyed(void *map, bool percpu, bool hash)
{
	struct mask_slot empty = {};
	struct mask_slot *v;
	u32 key = 0, i;

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
	if (!percpu) {
		v = bpf_map_lookup_elem(map, &key);
		if (v)
			step(&v->mask, 0, true);
		else if (op != HOME_READ)
			FAIL();
		return 0;
	}
	bpf_for(i, 0, nr_copies) {
		v = bpf_map_lookup_percpu_elem(map, &key, i);
		if (v)
			step(&v->mask, i, true);
		else if (op != HOME_READ)
			FAIL();
	}
	return 0;
}

SEC("syscall")
int home_array(void *ctx)
{
	return keyed(&array_home, false, false);
}

SEC("syscall")
int home_percpu_array(void *ctx)
{
	return keyed(&percpu_array_home, true, false);
}

SEC("syscall")
int home_hash(void *ctx)
{
	return keyed(&hash_home, false, true);
}

SEC("syscall")
int home_percpu_hash(void *ctx)
{
	return keyed(&percpu_hash_home, true, true);
}

SEC("syscall")
int home_lru_hash(void *ctx)
{
	return keyed(&lru_hash_home, false, true);
}

SEC("syscall")
int home_lru_percpu_hash(void *ctx)
{
	return keyed(&lru_percpu_hash_home, true, true);
}

/* The inner array at key 0 of an outer map; its own key 0 holds the mask. */
static __always_inline int inner(void *outer)
{
	void *map = lookup0(outer);
	struct mask_slot *v;

	runs++;
	v = map ? lookup0(map) : NULL;
	if (v)
		step(&v->mask, 0, true);
	else if (op != HOME_READ)
		FAIL();
	return 0;
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

/*
 * Task and cgroup storage: from the test's getppid(), of the calling task
 * (target_pid) or of the cgroup target_cgid.
 */
SEC("tp/syscalls/sys_enter_getppid")
int home_task(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mask_slot *v;

	if (task->pid != target_pid)
		return 0;
	runs++;
	if (op == HOME_DELETE) {
		if (bpf_task_storage_delete(&task_home, task))
			FAIL();
		return 0;
	}
	v = bpf_task_storage_get(&task_home, task, NULL,
				 op == HOME_STORE ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (v)
		step(&v->mask, 0, true);
	else if (op != HOME_READ)
		FAIL();
	return 0;
}

SEC("tp/syscalls/sys_enter_getppid")
int home_cgrp(void *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mask_slot *v;
	struct cgroup *cgrp;

	if (task->pid != target_pid)
		return 0;
	runs++;
	cgrp = bpf_cgroup_from_id___homes(target_cgid);
	if (!cgrp) {
		FAIL();
		return 0;
	}
	if (op == HOME_DELETE) {
		if (bpf_cgrp_storage_delete(&cgrp_home, cgrp))
			FAIL();
	} else {
		v = bpf_cgrp_storage_get(&cgrp_home, cgrp, NULL,
					 op == HOME_STORE ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (v)
			step(&v->mask, 0, true);
		else if (op != HOME_READ)
			FAIL();
	}
	bpf_cgroup_release___homes(cgrp);
	return 0;
}

/*
 * Socket storage: from the test's listen() on a TCP socket of its own (the
 * only move to TCP_LISTEN the test's thread makes), of that socket. A
 * tp_btf program (BPF_TRACE_RAW_TP) may call bpf_sk_storage_get().
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(home_sk, struct sock *sk, int oldstate, int newstate)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mask_slot *v;

	if (task->pid != target_pid || newstate != BPF_TCP_LISTEN)
		return 0;
	runs++;
	if (op == HOME_DELETE) {
		if (bpf_sk_storage_delete(&sk_home, sk))
			FAIL();
		return 0;
	}
	v = bpf_sk_storage_get(&sk_home, sk, NULL,
			       op == HOME_STORE ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (v)
		step(&v->mask, 0, true);
	else if (op != HOME_READ)
		FAIL();
	return 0;
}

/*
 * Inode storage, for LSM programs only: from the test's open() of a file of
 * its own (inode number target_ino), of that file's inode.
 */
SEC("lsm/file_open")
int BPF_PROG(home_inode, struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *inode = file->f_inode;
	struct mask_slot *v;

	if (task->pid != target_pid || !inode || inode->i_ino != target_ino)
		return 0;
	runs++;
	if (op == HOME_DELETE) {
		if (bpf_inode_storage_delete(&inode_home, inode))
			FAIL();
		return 0;
	}
	v = bpf_inode_storage_get(&inode_home, inode, NULL,
				  op == HOME_STORE ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (v)
		step(&v->mask, 0, true);
	else if (op != HOME_READ)
		FAIL();
	return 0;
}

/* A plain local object, kept in obj_home between runs; HOME_DROP drops it. */
SEC("syscall")
int home_obj(void *ctx)
{
	struct obj_slot *s = lookup0(&obj_home);
	struct homes_obj *o;

	runs++;
	if (!s) {
		FAIL();
		return 0;
	}
	o = bpf_kptr_xchg(&s->obj, NULL);
	if (!o && op == HOME_STORE)
		o = obj_new(struct homes_obj);
	if (!o) {
		if (op != HOME_READ)
			FAIL();
		return 0;
	}
	if (op == HOME_DROP) {
		obj_drop(o);
		return 0;
	}
	step(&o->mask, 0, false);
	o = bpf_kptr_xchg(&s->obj, o);
	if (o) {
		FAIL();
		obj_drop(o);
	}
	return 0;
}

/*
 * A list's node: HOME_STORE pushes a new node holding a mask; the other
 * operations pop it, work on it outside the lock, and push it back, but
 * HOME_DROP, which drops it.
 */
SEC("syscall")
int home_list(void *ctx)
{
	struct list_value *v = lookup0(&list_home);
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
	if (!node) {
		if (op != HOME_READ)
			FAIL();
		return 0;
	}
	if (op == HOME_DROP) {
		obj_drop(node);
		return 0;
	}
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
	struct rbtree_value *v = lookup0(&rbtree_home);
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
	if (!node) {
		if (op != HOME_READ)
			FAIL();
		return 0;
	}
	if (op == HOME_DROP) {
		obj_drop(node);
		return 0;
	}
	step(&node->mask, 0, false);
	bpf_spin_lock(&v->lock);
	bpf_rbtree_add_impl___homes(&v->root, &node->node, rb_less, NULL, 0);
	bpf_spin_unlock(&v->lock);
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
		w = witness_of(i);
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
