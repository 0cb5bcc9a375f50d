// SPDX-License-Identifier: GPL-2.0
/*
 * Ownership and lifetime of masks from bpf_cpumask_create(): stored as
 * kptrs and read under RCU, freed by the kernel's destructor, reference
 * counted, released on another CPU, replaced under readers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_kptr.skel.h"
#include "cpumask_create_dtor.h"

#define REPLACE_MS		500
#define REPLACE_MIN_SWAPS	100
/* a hand-off that takes this long is a failure, not a slow machine */
#define REPLACE_TIMEOUT_MS	30000

static int nr_cpus;

/*
 * The programs see CPUs in windows of 64 (kptr_view.bits); the tests look
 * at the one holding the last CPU, in the last word of a wide mask.
 */
static __u32 bits_base(void)
{
	return (nr_cpus - 1) / 64 * 64;
}

/* Every mask the tests create holds this: the last CPU only. */
static __u64 test_pattern(void)
{
	return 1ULL << (nr_cpus - 1) % 64;
}

static struct cpumask_create_kptr *kptr_load(void)
{
	struct cpumask_create_kptr *skel;

	skel = cpumask_create_kptr__open();
	if (!ASSERT_OK_PTR(skel, "kptr open"))
		return NULL;
	skel->bss->nr_cpus = nr_cpus;
	skel->bss->bits_base = bits_base();
	skel->bss->pattern = test_pattern();
	if (!ASSERT_OK(cpumask_create_kptr__load(skel), "kptr load")) {
		cpumask_create_kptr__destroy(skel);
		return NULL;
	}
	return skel;
}

/*
 * Subtests that do not free the object share one, loaded at the first:
 * each load costs ~0.1 s in a TCG guest, where libbpf parses the kernel's
 * BTF again. Each subtest leaves its slots empty and starts with zeroed
 * reports.
 */
static struct cpumask_create_kptr *shared_skel;

static struct cpumask_create_kptr *kptr_get(void)
{
	if (!shared_skel)
		return shared_skel = kptr_load();
	memset(shared_skel->bss, 0, sizeof(*shared_skel->bss));
	shared_skel->bss->nr_cpus = nr_cpus;
	shared_skel->bss->bits_base = bits_base();
	shared_skel->bss->pattern = test_pattern();
	return shared_skel;
}

/* What a program must have seen: the test's mask, with @refs references. */
static void check_view(const struct kptr_view *v, __u64 mask, int refs, const char *what)
{
	printf("%s: mask %#llx bits %#llx refs %d cpu %u\n", what,
	       (unsigned long long)v->mask, (unsigned long long)v->bits, v->refs, v->cpu);
	ASSERT_EQ(v->found, 1, what);
	ASSERT_EQ(v->errors, 0, "errors");
	if (mask)
		ASSERT_EQ(v->mask, mask, "same mask");
	ASSERT_EQ(v->bits, test_pattern(), "bits the creator set");
	ASSERT_EQ(v->weight, 1, "weight");
	ASSERT_EQ(v->refs, refs, "reference count");
}

/* store, read under RCU, take out and release; then the slot reads empty */
static void test_storage(const char *how)
{
	struct cpumask_create_kptr *skel;
	struct bpf_program *store, *read, *take;
	struct cpumask_create_kptr__bss *bss;
	char names[3][64];
	__u64 mask;

	skel = kptr_get();
	if (!skel)
		return;
	snprintf(names[0], sizeof(names[0]), "store_in_%s", how);
	snprintf(names[1], sizeof(names[1]), "read_%s_under_rcu", how);
	snprintf(names[2], sizeof(names[2]), "take_from_%s", how);
	store = bpf_object__find_program_by_name(skel->obj, names[0]);
	read = bpf_object__find_program_by_name(skel->obj, names[1]);
	take = bpf_object__find_program_by_name(skel->obj, names[2]);
	if (!ASSERT_OK_PTR(store, "store program") || !ASSERT_OK_PTR(read, "read program") ||
	    !ASSERT_OK_PTR(take, "take program"))
		return;
	bss = skel->bss;
	bss->key = 1;
	if (!run_prog_ok(store))
		return;
	ASSERT_EQ(bss->stored.runs, 1, "store ran");
	check_view(&bss->stored, 0, 1, "stored");
	mask = bss->stored.mask;

	if (!run_prog_ok(read))
		return;
	ASSERT_EQ(bss->seen.runs, 1, "read ran");
	check_view(&bss->seen, mask, 1, "read under RCU");

	if (!run_prog_ok(take))
		return;
	ASSERT_EQ(bss->taken.runs, 1, "take ran");
	check_view(&bss->taken, mask, 1, "taken out");

	if (!run_prog_ok(read))
		return;
	ASSERT_EQ(bss->seen.runs, 2, "read ran again");
	ASSERT_EQ(bss->seen.found, 0, "slot empty after take");
}

/*
 * A mask stored in a map element that user space updates or deletes is
 * either destroyed then, or left in the element's memory until that memory
 * is reused (the new element holds it) or the map is freed: kptr
 * destructors are not NMI-safe, so since a3a81d247651 ("bpf: Cancel special
 * fields on map value recycle", 7.1.5 and kernels that took it) the kernel
 * does the latter. Both keep the contract, and the tests accept either:
 * what they assert is that every mask is destroyed exactly once, none
 * leaks, and a slot hands back only the mask stored in it.
 *
 * Here user space writes the value of an array element holding a mask; the
 * kptr's bytes in what it writes are ignored either way.
 */
static void test_update_from_user_space(void)
{
	struct cpumask_create_kptr *skel = kptr_get();
	__u64 value = 0xdeadbeef, mask;
	__u32 key = 1;

	if (!skel)
		return;
	skel->bss->key = key;
	if (!run_prog_ok(skel->progs.store_in_array_map))
		return;
	mask = skel->bss->stored.mask;
	if (!ASSERT_OK(bpf_map__lookup_elem(skel->maps.array_masks, &key, sizeof(key),
					    &value, sizeof(value), 0), "lookup"))
		return;
	ASSERT_EQ(value, 0, "user space reads the kptr as 0");

	value = 0xdeadbeef;
	if (!ASSERT_OK(bpf_map__update_elem(skel->maps.array_masks, &key, sizeof(key),
					    &value, sizeof(value), BPF_ANY), "update"))
		return;
	if (!run_prog_ok(skel->progs.read_array_map_under_rcu))
		return;
	/* either behaviour of write_keeps_mask(); the slot holds only what it held */
	printf("update from user space: the mask %s\n",
	       skel->bss->seen.found ? "stayed in the slot" : "was destroyed");
	if (skel->bss->seen.found) {
		check_view(&skel->bss->seen, mask, 1, "the mask the update left");
		run_prog_ok(skel->progs.take_from_array_map);
		ASSERT_EQ(skel->bss->taken.mask, mask, "taken out: the mask stored");
	}
}

/*
 * Reference counts: k references taken by one program, dropped by another,
 * the creator's reference dropped last or first. The mask keeps its bits
 * until the last reference goes. With @dtor, also watch the kernel's
 * bpf_cpumask_release(): only the very last call drops the last reference.
 */
static void test_refcount(bool creator_last, struct cpumask_create_dtor *dtor)
{
	struct cpumask_create_kptr *skel = kptr_get();
	struct cpumask_create_kptr__bss *bss;
	struct mask_calls calls = {};
	int k, i;
	__u64 mask;

	if (!skel)
		return;
	bss = skel->bss;
	k = bpf_map__max_entries(skel->maps.refs_holders);
	if (!run_prog_ok(skel->progs.create_refcounted_mask))
		return;
	check_view(&bss->stored, 0, 1, "created");
	mask = bss->stored.mask;
	if (dtor && !ASSERT_OK(bpf_map__update_elem(dtor->maps.watched, &mask, sizeof(mask),
						    &calls, sizeof(calls), BPF_NOEXIST),
			       "watch"))
		return;

	for (i = 0; i < k; i++) {
		bss->key = i;
		if (!run_prog_ok(skel->progs.acquire_into_holder) ||
		    !run_prog_ok(skel->progs.read_home_under_rcu))
			return;
		check_view(&bss->acquired, mask, i + 2, "acquired");
		check_view(&bss->seen, mask, i + 2, "read after acquire");
	}

	if (creator_last) {
		for (i = 0; i < k; i++) {
			bss->key = i;
			if (!run_prog_ok(skel->progs.release_holder) ||
			    !run_prog_ok(skel->progs.read_home_under_rcu))
				return;
			check_view(&bss->taken, mask, k + 1 - i, "holder before release");
			check_view(&bss->seen, mask, k - i, "creator's after release");
		}
		if (!run_prog_ok(skel->progs.release_home))
			return;
		check_view(&bss->taken, mask, 1, "creator's before release");
	} else {
		if (!run_prog_ok(skel->progs.release_home))
			return;
		check_view(&bss->taken, mask, k + 1, "creator's before release");
		for (i = 0; i < k; i++) {
			bss->key = i;
			if (!run_prog_ok(skel->progs.release_holder))
				return;
			check_view(&bss->taken, mask, k - i, "holder before release");
			if (i == k - 1)
				break;
			bss->key = k - 1;
			if (!run_prog_ok(skel->progs.read_holder_under_rcu))
				return;
			check_view(&bss->seen, mask, k - 1 - i, "last holder's after release");
		}
	}
	if (!ASSERT_EQ(bss->taken.runs, k + 1, "releases"))
		return;

	if (!run_prog_ok(skel->progs.read_home_under_rcu))
		return;
	ASSERT_EQ(bss->seen.found, 0, "creator's slot empty");
	for (i = 0; i < k; i++) {
		bss->key = i;
		if (!run_prog_ok(skel->progs.read_holder_under_rcu))
			return;
		ASSERT_EQ(bss->seen.found, 0, "holder's slot empty");
	}

	if (dtor) {
		if (!ASSERT_OK(bpf_map__lookup_elem(dtor->maps.watched, &mask, sizeof(mask),
						    &calls, sizeof(calls), 0), "watched"))
			return;
		ASSERT_EQ(calls.releases, k + 1, "bpf_cpumask_release() calls");
		ASSERT_EQ(calls.last_releases, 1, "calls that dropped the last reference");
		ASSERT_EQ(calls.dtor_calls, 0, "destructor calls");
	}
}

static const char *two_cpus_missing(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(0, &set) ||
	    !CPU_ISSET(1, &set))
		return "needs CPUs 0 and 1";
	return NULL;
}

/* The lowest and the highest CPU the test may run on; NULL, or why not two. */
static const char *first_and_last_cpu(int *first, int *last)
{
	size_t size = CPU_ALLOC_SIZE(nr_cpus);
	cpu_set_t *set = CPU_ALLOC(nr_cpus);
	int cpu;

	*first = *last = -1;
	if (set && !sched_getaffinity(0, size, set))
		for (cpu = 0; cpu < nr_cpus; cpu++)
			if (CPU_ISSET_S(cpu, size, set)) {
				if (*first < 0)
					*first = cpu;
				*last = cpu;
			}
	CPU_FREE(set);
	return *first >= 0 && *first != *last ? NULL : "needs two CPUs to run on";
}

/*
 * Create a mask on the lowest CPU the test may use, store it, take it out
 * and release it on the highest (in another word of a wide mask), or the
 * other way round.
 */
static void test_cross_cpu(bool first_to_last)
{
	struct cpumask_create_kptr *skel;
	int first, last, from, to;
	cpu_set_t saved;

	if (skip_because(first_and_last_cpu(&first, &last)))
		return;
	from = first_to_last ? first : last;
	to = first_to_last ? last : first;
	skel = kptr_get();
	if (!skel)
		return;
	if (!save_affinity(&saved))
		return;
	skel->bss->bits_base = from / 64 * 64;
	if (!pin_to_cpu(from) || !run_prog_ok(skel->progs.create_on_this_cpu))
		goto restore;
	ASSERT_EQ(skel->bss->stored.cpu, from, "created on");
	ASSERT_EQ(skel->bss->stored.bits, 1ULL << from % 64, "bits: the creating CPU");
	ASSERT_EQ(skel->bss->stored.refs, 1, "reference count");

	if (!pin_to_cpu(to) || !run_prog_ok(skel->progs.release_on_this_cpu))
		goto restore;
	ASSERT_EQ(skel->bss->taken.found, 1, "taken out");
	ASSERT_EQ(skel->bss->taken.cpu, to, "released on");
	ASSERT_EQ(skel->bss->taken.mask, skel->bss->stored.mask, "same mask");
	ASSERT_EQ(skel->bss->taken.bits, 1ULL << from % 64, "bits intact");
	/* one reference when taken: this release freed it */
	ASSERT_EQ(skel->bss->taken.refs, 1, "reference count");

	if (!run_prog_ok(skel->progs.release_on_this_cpu))
		goto restore;
	ASSERT_EQ(skel->bss->taken.found, 0, "slot empty");
restore:
	restore_affinity(&saved);
}

/*
 * The writer hands each new mask to the reader: after a swap it waits until
 * a read that started after the swap has finished, so every pattern is read
 * at least once. The reader never waits: its next read runs while the writer
 * swaps in the next mask and releases the one the reader may be looking at.
 */
struct replace_sync {
	atomic_long swapped;	/* swaps done */
	atomic_long read_after;	/* swaps done when the last finished read started */
	atomic_bool stop;
};

struct replace_thread {
	struct bpf_program *prog;
	int cpu;
	struct replace_sync *sync;
	long runs, errors;
	bool timed_out;
};

static bool replace_run(struct replace_thread *t)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	t->runs++;
	if (!bpf_prog_test_run_opts(bpf_program__fd(t->prog), &opts) && !opts.retval)
		return true;
	t->errors++;
	return false;
}

static bool replace_pin(struct replace_thread *t)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (!sched_setaffinity(0, sizeof(set), &set))
		return true;
	t->errors++;
	return false;
}

static void *replace_reader(void *arg)
{
	struct replace_thread *t = arg;
	long swapped;

	if (!replace_pin(t))
		goto out;
	while (!atomic_load(&t->sync->stop)) {
		swapped = atomic_load(&t->sync->swapped);
		if (!replace_run(t))
			break;
		atomic_store(&t->sync->read_after, swapped);
	}
out:
	atomic_store(&t->sync->stop, true);
	return NULL;
}

static void *replace_writer(void *arg)
{
	struct replace_thread *t = arg;
	long long until = now_ms() + REPLACE_MS;
	long long deadline = now_ms() + REPLACE_TIMEOUT_MS;

	if (!replace_pin(t))
		goto out;
	while (t->runs < REPLACE_MIN_SWAPS || now_ms() < until) {
		if (!replace_run(t))
			break;
		atomic_store(&t->sync->swapped, t->runs);
		while (atomic_load(&t->sync->read_after) < t->runs &&
		       !atomic_load(&t->sync->stop)) {
			if (now_ms() > deadline) {
				t->timed_out = true;
				goto out;
			}
			sched_yield();
		}
		if (atomic_load(&t->sync->stop))
			break;
	}
out:
	atomic_store(&t->sync->stop, true);
	return NULL;
}

/*
 * A writer on CPU 0 swaps new masks into a slot and releases the old ones
 * while a reader on CPU 1 reads the slot under RCU: for REPLACE_MS and at
 * least REPLACE_MIN_SWAPS swaps.
 */
static void test_replace_under_readers(void)
{
	struct cpumask_create_kptr *skel;
	struct cpumask_create_kptr__bss *bss;
	struct replace_sync sync = {};
	struct replace_thread writer = {}, reader = {};
	pthread_t wt, rt;
	int i;

	if (skip_because(two_cpus_missing()))
		return;
	skel = kptr_get();
	if (!skel)
		return;
	bss = skel->bss;
	bss->swap_patterns[0] = 1;			/* CPU 0 */
	bss->swap_patterns[1] = test_pattern();		/* the last CPU */
	bss->swap_patterns[2] = 1 | test_pattern();	/* both */
	for (i = 0; i < NR_PATTERNS; i++)
		bss->swap_weights[i] = __builtin_popcountll(bss->swap_patterns[i]);

	writer = (struct replace_thread){ skel->progs.swap_in_new_mask, 0, &sync };
	reader = (struct replace_thread){ skel->progs.read_swapped_mask_under_rcu, 1, &sync };
	if (!ASSERT_OK(pthread_create(&wt, NULL, replace_writer, &writer), "writer"))
		return;
	if (!ASSERT_OK(pthread_create(&rt, NULL, replace_reader, &reader), "reader")) {
		atomic_store(&sync.stop, true);
		pthread_join(wt, NULL);
		return;
	}
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	run_prog_ok(skel->progs.take_swapped_mask);

	printf("writer: %ld swaps; reader: %ld reads, %u found a mask, ", writer.runs,
	       reader.runs, bss->reads_found);
	printf("%u of them released meanwhile, patterns seen %#x\n",
	       bss->released_under_reader, bss->patterns_seen);
	ASSERT_EQ(writer.errors, 0, "writer errors");
	ASSERT_EQ(reader.errors, 0, "reader errors");
	ASSERT_FALSE(writer.timed_out, "writer waited for a read for too long");
	ASSERT_GE(writer.runs, REPLACE_MIN_SWAPS, "writer ran");
	ASSERT_EQ(bss->swaps, writer.runs, "swap program runs");
	ASSERT_EQ(bss->swap_errors, 0, "failed creates");
	ASSERT_EQ(bss->swap_created, bss->swaps, "masks created");
	ASSERT_EQ(bss->swap_released, bss->swap_created, "masks released");
	ASSERT_EQ(bss->reads, reader.runs, "read program runs");
	ASSERT_GE(bss->reads_found, writer.runs, "reads that found a mask");
	if (!ASSERT_EQ(bss->bad_reads, 0, "reads of a mask not written"))
		printf("last bad read: bits %#llx\n", (unsigned long long)bss->bad_bits);
	/* each swap was read before the next: the reader saw every pattern */
	ASSERT_EQ(bss->patterns_seen, (1 << NR_PATTERNS) - 1, "patterns the reader saw");
}

/*
 * One set of fentry programs serves every destructor subtest, attached at
 * the first one: attaching and detaching trampolines takes ~0.2 s in a TCG
 * guest. Each subtest starts with nothing watched.
 */
static struct cpumask_create_dtor *dtor_skel;

static struct cpumask_create_dtor *dtor_get(void)
{
	__u64 key;

	if (skip_because(dtor_unsupported()))
		return NULL;
	if (!dtor_skel) {
		dtor_skel = dtor_attach();
		return dtor_skel;
	}
	while (!bpf_map__get_next_key(dtor_skel->maps.watched, NULL, &key, sizeof(key)))
		if (!ASSERT_OK(bpf_map__delete_elem(dtor_skel->maps.watched, &key,
						    sizeof(key), 0), "unwatch"))
			return NULL;
	dtor_skel->bss->dtor_calls_all = 0;
	return dtor_skel;
}

/* What the destructor did to a set of watched masks, in all. */
struct dtor_seen {
	__u32 calls;	/* destructor calls */
	__u32 frees;	/* bpf_cpumask_release() calls that dropped the last reference */
};

/*
 * Wait (bounded) until the destructor ran @expected times on @masks in all,
 * and as many masks were freed: frees from a workqueue or after an RCU
 * grace period come late, and the destructor's bpf_cpumask_release()
 * comes after its call was counted. Returns what was seen then.
 */
static struct dtor_seen wait_for_dtor(struct cpumask_create_dtor *dtor, const __u64 *masks,
				      int n, __u32 expected)
{
	long long deadline = now_ms() + DTOR_WAIT_MS, start = now_ms();
	struct dtor_seen seen;
	struct mask_calls c;
	int i;

	for (;;) {
		seen = (struct dtor_seen){};
		for (i = 0; i < n; i++) {
			c = calls_on(dtor, masks[i]);
			seen.calls += c.dtor_calls;
			seen.frees += c.last_releases;
		}
		if ((seen.calls >= expected && seen.frees >= expected) || now_ms() >= deadline)
			break;
		usleep(10000);
	}
	printf("destructor: %u calls, %u frees of %d watched masks in %lld ms (%u calls in all)\n",
	       seen.calls, seen.frees, n, now_ms() - start, dtor->bss->dtor_calls_all);
	return seen;
}

/*
 * The destructor ran @expected times on @masks, each time on a mask whose
 * last reference the map held, and so freed each: calling it is not enough,
 * it must drop that reference.
 */
static void expect_destroyed(struct cpumask_create_dtor *dtor, const __u64 *masks, int n,
			     __u32 expected, const char *what)
{
	struct dtor_seen seen = wait_for_dtor(dtor, masks, n, expected);

	ASSERT_EQ(seen.calls, expected, what);
	ASSERT_EQ(seen.frees, expected, "masks freed by the destructor");
}

/* Store a mask with @store (at bss->key), watch it; 0 on failure. */
static __u64 store_watched(struct cpumask_create_kptr *skel, struct bpf_program *store,
			   struct cpumask_create_dtor *dtor)
{
	if (!run_prog_ok(store) || !ASSERT_EQ(skel->bss->stored.found, 1, "stored") ||
	    !ASSERT_EQ(skel->bss->stored.errors, 0, "store errors"))
		return 0;
	return watch(dtor, skel->bss->stored.mask) ? skel->bss->stored.mask : 0;
}

/* A map whose elements are found by key, with its three programs. */
struct keyed {
	const char *name;	/* array_map, hash_map, ... */
	struct bpf_map *map;
	struct bpf_program *store, *read, *take;
};

static bool keyed_get(struct cpumask_create_kptr *skel, const char *name, struct keyed *k)
{
	char buf[64];

	k->name = name;
	snprintf(buf, sizeof(buf), "%.*s_masks", (int)(strlen(name) - 4), name);
	k->map = bpf_object__find_map_by_name(skel->obj, buf);
	snprintf(buf, sizeof(buf), "store_in_%s", name);
	k->store = bpf_object__find_program_by_name(skel->obj, buf);
	snprintf(buf, sizeof(buf), "read_%s_under_rcu", name);
	k->read = bpf_object__find_program_by_name(skel->obj, buf);
	snprintf(buf, sizeof(buf), "take_from_%s", name);
	k->take = bpf_object__find_program_by_name(skel->obj, buf);
	return ASSERT_OK_PTR(k->map, name) && ASSERT_OK_PTR(k->store, "store program") &&
	       ASSERT_OK_PTR(k->read, "read program") && ASSERT_OK_PTR(k->take, "take program");
}

/*
 * The destructor has not run on @mask: checked after a grace period, so
 * that a free deferred past one would have shown.
 */
static void assert_no_dtor_call(struct cpumask_create_dtor *dtor, __u64 mask, const char *what)
{
	ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
	ASSERT_EQ(wait_for_dtor(dtor, &mask, 1, 0).calls, 0, what);
}

/*
 * Whether the destructor ran on @mask at a write that just returned: it
 * runs there synchronously or not at all (it is then left to the memory's
 * reuse or the map's free). Fails on anything but none or one call.
 */
static bool destroyed_at_write(struct cpumask_create_dtor *dtor, __u64 mask)
{
	struct dtor_seen seen;

	ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
	seen = wait_for_dtor(dtor, &mask, 1, 0);
	ASSERT_LE(seen.calls, 1, "destructor calls at the write");
	if (seen.calls) {
		expect_destroyed(dtor, &mask, 1, 1, "destructor calls at the write");
		ASSERT_EQ(calls_on(dtor, mask).dtor_last_ref, 1, "it held the last ref");
	}
	printf("the mask was %s\n", seen.calls ? "destroyed at the write" :
	       "left in the element's memory");
	return seen.calls;
}

/*
 * User space updates (@delete: deletes) key 1 of @name while it holds a
 * mask. Either way the kernel goes (see test_update_from_user_space()), the
 * mask is destroyed exactly once by the time the map is freed, and an
 * updated element holds it only if it was left there in place (an array's;
 * a hash's is replaced by a new element). Each subtest has a map of its
 * own: a mask left in memory would turn up in later subtests.
 */
static void test_dtor_on_write(const char *name, bool delete)
{
	bool array = !strcmp(name, "array_map");
	struct cpumask_create_kptr *skel;
	struct cpumask_create_dtor *dtor;
	__u64 value = 0;	/* a struct mask_slot; user space writes no kptr */
	struct keyed k;
	__u32 key = 1;
	bool kept;
	__u64 mask;
	int err;

	dtor = dtor_get();
	if (!dtor)
		return;
	skel = kptr_load();
	if (!skel || !keyed_get(skel, name, &k))
		goto out;
	skel->bss->key = key;
	mask = store_watched(skel, k.store, dtor);
	if (!mask)
		goto out;
	if (delete)
		err = bpf_map__delete_elem(k.map, &key, sizeof(key), 0);
	else
		err = bpf_map__update_elem(k.map, &key, sizeof(key), &value, sizeof(value),
					   BPF_EXIST);
	if (!ASSERT_OK(err, delete ? "delete" : "update"))
		goto out;
	kept = !destroyed_at_write(dtor, mask);
	if (!delete) {
		/* an array's element is updated in place, a hash's replaced */
		if (!run_prog_ok(k.read))
			goto out;
		ASSERT_EQ(skel->bss->seen.found, kept && array, "mask in the slot");
		if (skel->bss->seen.found)
			check_view(&skel->bss->seen, mask, 1, "the mask left in place");
	}
	cpumask_create_kptr__destroy(skel);
	skel = NULL;
	expect_destroyed(dtor, &mask, 1, 1, "destructor calls, map freed");
out:
	cpumask_create_kptr__destroy(skel);
}

/* The twin: a mask the program took out is released, not destroyed. */
static void test_delete_after_take(void)
{
	struct cpumask_create_kptr *skel;
	struct cpumask_create_dtor *dtor;
	struct mask_calls calls;
	__u64 mask;
	__u32 key = 2;

	dtor = dtor_get();
	if (!dtor)
		return;
	skel = kptr_get();
	if (!skel)
		return;
	skel->bss->key = key;
	mask = store_watched(skel, skel->progs.store_in_hash_map, dtor);
	if (!mask || !run_prog_ok(skel->progs.take_from_hash_map) ||
	    !ASSERT_EQ(skel->bss->taken.mask, mask, "taken out"))
		return;
	if (!ASSERT_OK(bpf_map__delete_elem(skel->maps.hash_masks, &key, sizeof(key), 0),
		       "delete emptied element"))
		return;
	assert_no_dtor_call(dtor, mask, "taken out: destructor calls");
	calls = calls_on(dtor, mask);
	ASSERT_EQ(calls.last_releases, 1, "taken out: freed by its release");
}

/*
 * A new element, made by user space under another key after the element
 * holding a mask was deleted. Pinned to one CPU, the map's free lists hand
 * back the element just freed, so where the kernel leaves the mask in the
 * deleted element's memory the new element holds it. Either way: the new
 * element holds nothing or exactly the deleted key's mask, which
 * bpf_kptr_xchg() hands back whole; and (where the destructor can be
 * watched) that mask is destroyed exactly once, by the destructor or by
 * the release of whoever took it out.
 */
static void test_new_element_after_delete(const char *name)
{
	struct cpumask_create_dtor *dtor = NULL;
	struct cpumask_create_kptr *skel;
	__u64 value = 0;	/* a struct mask_slot; user space writes no kptr */
	__u32 key = 1, new_key = 2;
	struct mask_calls calls;
	bool found = false;
	cpu_set_t saved;
	struct keyed k;
	__u64 mask;

	if (!dtor_unsupported()) {
		dtor = dtor_get();
		if (!dtor)
			return;
	}
	if (!save_affinity(&saved))
		return;
	skel = kptr_load();
	if (!skel || !keyed_get(skel, name, &k) || !pin_to_cpu(0))
		goto out;
	skel->bss->key = key;
	if (!run_prog_ok(k.store) || !ASSERT_EQ(skel->bss->stored.found, 1, "stored"))
		goto out;
	mask = skel->bss->stored.mask;
	if (dtor && !watch(dtor, mask))
		goto out;
	if (!ASSERT_OK(bpf_map__delete_elem(k.map, &key, sizeof(key), 0), "delete") ||
	    !ASSERT_OK(bpf_map__update_elem(k.map, &new_key, sizeof(new_key), &value,
					    sizeof(value), BPF_NOEXIST), "new element"))
		goto out;
	skel->bss->key = new_key;
	if (!run_prog_ok(k.read))
		goto out;
	found = skel->bss->seen.found;
	printf("the new element %s\n", found ? "holds the deleted key's mask" : "is empty");
	if (found) {
		check_view(&skel->bss->seen, mask, 1, "the deleted key's mask");
		if (!run_prog_ok(k.take) || !ASSERT_EQ(skel->bss->taken.mask, mask, "taken out"))
			goto out;
	}
	cpumask_create_kptr__destroy(skel);
	skel = NULL;
	if (!dtor)
		goto out;
	if (found) {
		/* the program's release freed it; nothing was left to destroy */
		ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
		calls = calls_on(dtor, mask);
		ASSERT_EQ(calls.dtor_calls, 0, "taken out: destructor calls");
		ASSERT_EQ(calls.last_releases, 1, "taken out: freed by its release");
	} else {
		expect_destroyed(dtor, &mask, 1, 1, "destructor calls, map freed");
	}
out:
	restore_affinity(&saved);
	cpumask_create_kptr__destroy(skel);
}

/*
 * Freeing maps with masks in every slot, one key of each hash deleted
 * before, runs the destructor once per mask stored: a deleted key's at the
 * delete or at the map's free, every other at the map's free.
 */
static void test_dtor_on_map_free(void)
{
	static const char * const names[] = {
		"array_map", "hash_map", "hash_no_prealloc_map", "lru_hash_map",
	};
	struct cpumask_create_kptr *skel = NULL;
	struct cpumask_create_dtor *dtor;
	__u64 masks[4 * 4];
	int n = 0, i, j, slots;
	struct keyed k;
	__u32 key = 0;

	dtor = dtor_get();
	if (!dtor)
		return;
	skel = kptr_load();
	if (!skel)
		goto out;
	slots = bpf_map__max_entries(skel->maps.array_masks);
	if (!ASSERT_LE(ARRAY_SIZE(names) * slots, ARRAY_SIZE(masks), "slots"))
		goto out;
	for (j = 0; j < ARRAY_SIZE(names); j++) {
		if (!keyed_get(skel, names[j], &k))
			goto out;
		for (i = 0; i < slots; i++) {
			skel->bss->key = i;
			masks[n] = store_watched(skel, k.store, dtor);
			if (!masks[n++])
				goto out;
		}
		if (j && !ASSERT_OK(bpf_map__delete_elem(k.map, &key, sizeof(key), 0), "delete"))
			goto out;
	}
	/* none yet but, where the delete destroys them, the deleted keys' (key 0 of each hash) */
	ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
	for (i = 0; i < n; i++)
		ASSERT_LE(calls_on(dtor, masks[i]).dtor_calls, i >= slots && i % slots == 0,
			  "destructor calls before the map's free");
	cpumask_create_kptr__destroy(skel);
	skel = NULL;
	expect_destroyed(dtor, masks, n, n, "destructor calls after");
	for (i = 0; i < n; i++)
		ASSERT_EQ(calls_on(dtor, masks[i]).dtor_calls, 1, "calls on each mask");
out:
	cpumask_create_kptr__destroy(skel);
}

/* A global kptr left set is destroyed with the object. */
static void test_dtor_on_global(void)
{
	struct cpumask_create_kptr *skel = NULL;
	struct cpumask_create_dtor *dtor;
	__u64 mask;

	dtor = dtor_get();
	if (!dtor)
		return;
	skel = kptr_load();
	if (!skel)
		goto out;
	mask = store_watched(skel, skel->progs.store_in_global_kptr, dtor);
	if (!mask)
		goto out;
	cpumask_create_kptr__destroy(skel);
	skel = NULL;
	expect_destroyed(dtor, &mask, 1, 1, "destructor calls");
	ASSERT_EQ(calls_on(dtor, mask).dtor_last_ref, 1, "it held the last ref");
out:
	cpumask_create_kptr__destroy(skel);
}

static void test_last_release_frees(void)
{
	struct cpumask_create_dtor *dtor;

	dtor = dtor_get();
	if (!dtor)
		return;
	test_refcount(true, dtor);
	test_refcount(false, dtor);
}

void serial_test_cpumask_create_ownership(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	nr_cpus = libbpf_num_possible_cpus();
	if (!ASSERT_GT(nr_cpus, 0, "libbpf_num_possible_cpus"))
		return;

	if (test__start_subtest("storage_array"))
		test_storage("array_map");
	if (test__start_subtest("storage_hash"))
		test_storage("hash_map");
	if (test__start_subtest("storage_lru_hash"))
		test_storage("lru_hash_map");
	if (test__start_subtest("storage_global"))
		test_storage("global_kptr");
	if (test__start_subtest("storage_nested_struct"))
		test_storage("nested_struct");
	if (test__start_subtest("storage_array_of_structs"))
		test_storage("array_of_structs");
	if (test__start_subtest("update_from_user_space"))
		test_update_from_user_space();
	if (test__start_subtest("refcount_release_creator_last"))
		test_refcount(true, NULL);
	if (test__start_subtest("refcount_release_creator_first"))
		test_refcount(false, NULL);
	if (test__start_subtest("cross_cpu_first_to_last"))
		test_cross_cpu(true);
	if (test__start_subtest("cross_cpu_last_to_first"))
		test_cross_cpu(false);
	if (test__start_subtest("replace_under_readers"))
		test_replace_under_readers();
	if (test__start_subtest("dtor_on_update_array"))
		test_dtor_on_write("array_map", false);
	if (test__start_subtest("dtor_on_update_hash"))
		test_dtor_on_write("hash_map", false);
	if (test__start_subtest("dtor_on_update_hash_no_prealloc"))
		test_dtor_on_write("hash_no_prealloc_map", false);
	if (test__start_subtest("dtor_on_update_lru_hash"))
		test_dtor_on_write("lru_hash_map", false);
	if (test__start_subtest("dtor_on_delete_hash"))
		test_dtor_on_write("hash_map", true);
	if (test__start_subtest("dtor_on_delete_hash_no_prealloc"))
		test_dtor_on_write("hash_no_prealloc_map", true);
	if (test__start_subtest("dtor_on_delete_lru_hash"))
		test_dtor_on_write("lru_hash_map", true);
	if (test__start_subtest("no_dtor_on_delete_after_take"))
		test_delete_after_take();
	if (test__start_subtest("dtor_on_map_free"))
		test_dtor_on_map_free();
	if (test__start_subtest("dtor_on_global"))
		test_dtor_on_global();
	if (test__start_subtest("last_release_frees"))
		test_last_release_frees();
	if (test__start_subtest("new_element_after_delete_hash"))
		test_new_element_after_delete("hash_map");
	if (test__start_subtest("new_element_after_delete_hash_no_prealloc"))
		test_new_element_after_delete("hash_no_prealloc_map");
	if (test__start_subtest("new_element_after_delete_lru_hash"))
		test_new_element_after_delete("lru_hash_map");
	cpumask_create_dtor__destroy(dtor_skel);
	dtor_skel = NULL;
	cpumask_create_kptr__destroy(shared_skel);
	shared_skel = NULL;
}
