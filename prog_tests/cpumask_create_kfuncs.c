// SPDX-License-Identifier: GPL-2.0
/*
 * The cpumask kfuncs on masks from bpf_cpumask_create(), checked against a
 * plain C model of a cpumask of nr_cpu_ids bits over random and edge-case
 * patterns (empty, full, one CPU, the last CPU, CPUs at and past nr_cpu_ids,
 * UINT_MAX, CPUs on either side of a word boundary when nr_cpu_ids > 64).
 * The patterns come from a fixed seed, so that every run tests the same
 * ones; CPUMASK_CREATE_SEED=N picks another, CPUMASK_CREATE_SEED=random one
 * from the clock. The seed is printed.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <sched.h>
#include <time.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_kfuncs.skel.h"

#define CASES		1024	/* per kfunc, in batches of KF_BATCH */
#define INTEROP_CASES	64	/* per affinity */
#define MODEL_CPUS	8192	/* the largest NR_CPUS */
#define MAX_REPORTED	5	/* mismatches printed in full */

/* How the return value is judged. */
enum ret_kind {
	RET_NONE,	/* void kfunc */
	RET_EXACT,	/* bool, weight, error code: exactly the model's */
	RET_CPU,	/* first*: the model's CPU, or >= nr_cpu_ids for none */
	RET_MEMBER,	/* any*distribute: any CPU of the model's set, or >= nr_cpu_ids */
};

enum op {
	OP_SET_CPU, OP_CLEAR_CPU, OP_TEST_CPU, OP_TEST_AND_SET_CPU,
	OP_TEST_AND_CLEAR_CPU, OP_SETALL, OP_CLEAR, OP_AND, OP_OR, OP_XOR,
	OP_COPY, OP_EQUAL, OP_INTERSECTS, OP_SUBSET, OP_EMPTY, OP_FULL,
	OP_WEIGHT, OP_FIRST, OP_FIRST_ZERO, OP_FIRST_AND, OP_ANY_DISTRIBUTE,
	OP_ANY_AND_DISTRIBUTE, OP_POPULATE,
};

static const struct {
	const char *name;	/* subtest, the kfunc without "bpf_cpumask_" */
	const char *prog;
	enum ret_kind ret;
} kfuncs[] = {
	[OP_SET_CPU]		= { "set_cpu", "call_set_cpu", RET_NONE },
	[OP_CLEAR_CPU]		= { "clear_cpu", "call_clear_cpu", RET_NONE },
	[OP_TEST_CPU]		= { "test_cpu", "call_test_cpu", RET_EXACT },
	[OP_TEST_AND_SET_CPU]	= { "test_and_set_cpu", "call_test_and_set_cpu", RET_EXACT },
	[OP_TEST_AND_CLEAR_CPU]	= { "test_and_clear_cpu", "call_test_and_clear_cpu", RET_EXACT },
	[OP_SETALL]		= { "setall", "call_setall", RET_NONE },
	[OP_CLEAR]			= { "clear", "call_clear", RET_NONE },
	[OP_AND]			= { "and", "call_and", RET_EXACT },
	[OP_OR]			= { "or", "call_or", RET_NONE },
	[OP_XOR]			= { "xor", "call_xor", RET_NONE },
	[OP_COPY]			= { "copy", "call_copy", RET_NONE },
	[OP_EQUAL]			= { "equal", "call_equal", RET_EXACT },
	[OP_INTERSECTS]		= { "intersects", "call_intersects", RET_EXACT },
	[OP_SUBSET]		= { "subset", "call_subset", RET_EXACT },
	[OP_EMPTY]			= { "empty", "call_empty", RET_EXACT },
	[OP_FULL]			= { "full", "call_full", RET_EXACT },
	[OP_WEIGHT]		= { "weight", "call_weight", RET_EXACT },
	[OP_FIRST]			= { "first", "call_first", RET_CPU },
	[OP_FIRST_ZERO]		= { "first_zero", "call_first_zero", RET_CPU },
	[OP_FIRST_AND]		= { "first_and", "call_first_and", RET_CPU },
	[OP_ANY_DISTRIBUTE]	= { "any_distribute", "call_any_distribute", RET_MEMBER },
	[OP_ANY_AND_DISTRIBUTE]	= { "any_and_distribute", "call_any_and_distribute", RET_MEMBER },
	[OP_POPULATE]		= { "populate", "call_populate", RET_EXACT },
};

static __u32 nr_cpus;
/* the patterns every run tests unless CPUMASK_CREATE_SEED says otherwise */
#define DEFAULT_SEED	0x6370756d61736bULL
static __u64 seed, rng;
static char load_log[64 * 1024];

static __u64 rnd(void)
{
	/* splitmix64 */
	__u64 z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The model: a cpumask of nr_cpu_ids bits. CPUs past the end do nothing. */
struct model {
	__u64 w[MODEL_CPUS / 64];
};

static void m_set(struct model *m, __u32 cpu)
{
	if (cpu < nr_cpus)
		m->w[cpu / 64] |= 1ULL << (cpu % 64);
}

static void m_clear(struct model *m, __u32 cpu)
{
	if (cpu < nr_cpus)
		m->w[cpu / 64] &= ~(1ULL << (cpu % 64));
}

static bool m_test(const struct model *m, __u32 cpu)
{
	return cpu < nr_cpus && (m->w[cpu / 64] >> (cpu % 64)) & 1;
}

static void m_fill(struct model *m)
{
	__u32 cpu;

	memset(m, 0, sizeof(*m));
	for (cpu = 0; cpu < nr_cpus; cpu++)
		m_set(m, cpu);
}

static void m_build(struct model *m, const struct kf_pattern *p)
{
	__u32 i;

	if (p->full)
		m_fill(m);
	else
		memset(m, 0, sizeof(*m));
	for (i = 0; i < p->nr_flips; i++)
		if (p->full)
			m_clear(m, p->flips[i]);
		else
			m_set(m, p->flips[i]);
}

static __u32 m_weight(const struct model *m)
{
	__u32 cpu, n = 0;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		n += m_test(m, cpu);
	return n;
}

/* first CPU that is (@set) or is not in @m; nr_cpus if none */
static __u32 m_first(const struct model *m, bool set)
{
	__u32 cpu;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		if (m_test(m, cpu) == set)
			break;
	return cpu;
}

static __u64 m_hash(const struct model *m)
{
	__u64 h = CPUMASK_HASH_INIT;
	__u32 cpu;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		if (m_test(m, cpu))
			h = cpumask_hash_step(h, cpu);
	return h;
}

enum combine { M_AND, M_OR, M_XOR, M_ANDNOT };

static void m_combine(struct model *d, const struct model *x, const struct model *y,
		      enum combine how)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(d->w); i++)
		switch (how) {
		case M_AND:
			d->w[i] = x->w[i] & y->w[i];
			break;
		case M_OR:
			d->w[i] = x->w[i] | y->w[i];
			break;
		case M_XOR:
			d->w[i] = x->w[i] ^ y->w[i];
			break;
		case M_ANDNOT:
			d->w[i] = x->w[i] & ~y->w[i];
			break;
		}
}

/* bytes bpf_cpumask_populate() needs: whole longs for nr_cpu_ids bits */
static __u32 populate_size(void)
{
	__u32 bits = 8 * sizeof(long);

	return (nr_cpus + bits - 1) / bits * sizeof(long);
}

/*
 * A CPU next to a word boundary of the bitmap (63/64, 127/128, ...) that
 * lies below nr_cpu_ids, or the last CPU when the mask has one word only.
 */
static __u32 boundary_cpu(void)
{
	__u32 words = (nr_cpus + 63) / 64, cpu;

	if (words < 2)
		return nr_cpus - 1;
	cpu = 64 * (1 + rnd() % (words - 1)) - (rnd() & 1);
	return cpu < nr_cpus ? cpu : nr_cpus - 1;
}

static __u32 random_cpu(void)
{
	switch (rnd() % 10) {
	case 0:
		return 0;
	case 1:
		return nr_cpus - 1;
	case 2:
		return nr_cpus;			/* the first CPU past the end */
	case 3:
		return UINT_MAX;
	case 4:
		return nr_cpus + rnd() % 1024;	/* past the end */
	case 5:
		return rnd();
	case 6:
		return boundary_cpu();
	default:
		return rnd() % nr_cpus;
	}
}

static void random_pattern(struct kf_pattern *p)
{
	__u32 i;

	memset(p, 0, sizeof(*p));
	switch (rnd() % 10) {
	case 0:						/* empty */
		break;
	case 1:						/* full */
		p->full = 1;
		break;
	case 2:						/* one CPU */
		p->nr_flips = 1;
		p->flips[0] = rnd() % nr_cpus;
		break;
	case 3:						/* the last CPU */
		p->nr_flips = 1;
		p->flips[0] = nr_cpus - 1;
		break;
	case 4:						/* all but one */
		p->full = 1;
		p->nr_flips = 1;
		p->flips[0] = rnd() % nr_cpus;
		break;
	case 5:			/* both sides of a word boundary, or the last CPU */
		p->full = rnd() & 1;
		p->nr_flips = 2;
		p->flips[0] = boundary_cpu();
		p->flips[1] = p->flips[0] % 64 ? p->flips[0] + 1 : p->flips[0] - 1;
		break;
	default:
		p->full = rnd() & 1;
		p->nr_flips = rnd() % (KF_FLIPS + 1);
		for (i = 0; i < p->nr_flips; i++)
			p->flips[i] = random_cpu();
	}
}

static void random_case(struct kf_case *c)
{
	__u32 i, need = populate_size();

	memset(c, 0, sizeof(*c));
	random_pattern(&c->a);
	switch (rnd() % 4) {
	case 0:			/* the same mask */
		c->b = c->a;
		break;
	case 1:			/* the same mask, spelled with CPUs past the end */
		c->b = c->a;
		if (c->b.nr_flips < KF_FLIPS)
			c->b.flips[c->b.nr_flips++] = nr_cpus + rnd() % 64;
		break;
	default:
		random_pattern(&c->b);
	}
	random_pattern(&c->dst);
	c->cpu = random_cpu();

	for (i = 0; i < KF_WORDS; i++)
		switch (rnd() % 4) {
		case 0:
			c->words[i] = 0;
			break;
		case 1:
			c->words[i] = ~0ULL;
			break;
		default:
			c->words[i] = rnd();
		}
	switch (rnd() % 3) {
	case 0:			/* exactly enough */
		c->src_size = need;
		break;
	case 1:			/* too little */
		c->src_size = need > 1 ? 1 + rnd() % (need - 1) : 1;
		break;
	default:
		c->src_size = 1 + rnd() % sizeof(c->words);
	}
	if (c->src_size > sizeof(c->words))
		c->src_size = sizeof(c->words);
}

/* what the kfunc must have done to one case */
struct expect {
	struct model a, b, dst, ret_set;	/* ret_set: for RET_CPU and RET_MEMBER */
	__u32 ret;
};

static void model_case(enum op op, const struct kf_case *c, struct expect *e)
{
	struct model tmp;
	__u32 i;

	m_build(&e->a, &c->a);
	m_build(&e->b, &c->b);
	m_build(&e->dst, &c->dst);
	e->ret = 0;
	switch (op) {
	case OP_SET_CPU:
		m_set(&e->dst, c->cpu);
		break;
	case OP_CLEAR_CPU:
		m_clear(&e->dst, c->cpu);
		break;
	case OP_TEST_CPU:
		e->ret = m_test(&e->a, c->cpu);
		break;
	case OP_TEST_AND_SET_CPU:
		e->ret = m_test(&e->dst, c->cpu);
		m_set(&e->dst, c->cpu);
		break;
	case OP_TEST_AND_CLEAR_CPU:
		e->ret = m_test(&e->dst, c->cpu);
		m_clear(&e->dst, c->cpu);
		break;
	case OP_SETALL:
		m_fill(&e->dst);
		break;
	case OP_CLEAR:
		memset(&e->dst, 0, sizeof(e->dst));
		break;
	case OP_AND:
		m_combine(&e->dst, &e->a, &e->b, M_AND);
		e->ret = m_weight(&e->dst) != 0;
		break;
	case OP_OR:
		m_combine(&e->dst, &e->a, &e->b, M_OR);
		break;
	case OP_XOR:
		m_combine(&e->dst, &e->a, &e->b, M_XOR);
		break;
	case OP_COPY:
		e->dst = e->a;
		break;
	case OP_EQUAL:
		m_combine(&tmp, &e->a, &e->b, M_XOR);
		e->ret = m_weight(&tmp) == 0;
		break;
	case OP_INTERSECTS:
		m_combine(&tmp, &e->a, &e->b, M_AND);
		e->ret = m_weight(&tmp) != 0;
		break;
	case OP_SUBSET:
		m_combine(&tmp, &e->a, &e->b, M_ANDNOT);
		e->ret = m_weight(&tmp) == 0;
		break;
	case OP_EMPTY:
		e->ret = m_weight(&e->a) == 0;
		break;
	case OP_FULL:
		e->ret = m_weight(&e->a) == nr_cpus;
		break;
	case OP_WEIGHT:
		e->ret = m_weight(&e->a);
		break;
	case OP_FIRST:
	case OP_ANY_DISTRIBUTE:
		e->ret_set = e->a;
		break;
	case OP_FIRST_ZERO:
		m_fill(&tmp);
		m_combine(&e->ret_set, &tmp, &e->a, M_ANDNOT);
		break;
	case OP_FIRST_AND:
	case OP_ANY_AND_DISTRIBUTE:
		m_combine(&e->ret_set, &e->a, &e->b, M_AND);
		break;
	case OP_POPULATE:
		if (c->src_size < populate_size()) {
			e->ret = -EACCES;
			break;
		}
		memset(&e->dst, 0, sizeof(e->dst));
		for (i = 0; i < nr_cpus; i++)
			if ((c->words[i / 64] >> (i % 64)) & 1)
				m_set(&e->dst, i);
		break;
	}
}

/* A pattern flips CPUs on both sides of a word boundary below nr_cpu_ids. */
static bool straddles(const struct kf_pattern *p)
{
	__u32 i, j;

	for (i = 0; i < p->nr_flips; i++)
		for (j = 0; j < p->nr_flips; j++)
			if (p->flips[i] % 64 == 63 && p->flips[j] == p->flips[i] + 1 &&
			    p->flips[j] < nr_cpus)
				return true;
	return false;
}

static void print_pattern(const char *name, const struct kf_pattern *p)
{
	__u32 i;

	printf(" %s=%s", name, p->full ? "full" : "empty");
	for (i = 0; i < p->nr_flips; i++)
		printf("%c%u", p->full ? '-' : '+', p->flips[i]);
}

/* Checks one case; returns true when it matches the model. */
static bool check_case(enum op op, const struct kf_case *c, __u32 idx, int *reported)
{
	enum ret_kind kind = kfuncs[op].ret;
	struct expect e;
	bool ok;

	model_case(op, c, &e);
	ok = c->done && c->hash_a == m_hash(&e.a) && c->hash_b == m_hash(&e.b) &&
	     c->hash_dst == m_hash(&e.dst);
	switch (kind) {
	case RET_NONE:
		break;
	case RET_EXACT:
		ok &= c->ret == e.ret;
		break;
	case RET_CPU:
		if (m_weight(&e.ret_set))
			ok &= c->ret == m_first(&e.ret_set, true);
		else
			ok &= c->ret >= nr_cpus;
		break;
	case RET_MEMBER:
		if (m_weight(&e.ret_set))
			ok &= m_test(&e.ret_set, c->ret);
		else
			ok &= c->ret >= nr_cpus;
		break;
	}
	if (!ok && (*reported)++ < MAX_REPORTED) {
		printf("case %u: done=%u", idx, c->done);
		print_pattern("a", &c->a);
		print_pattern("b", &c->b);
		print_pattern("dst", &c->dst);
		printf(" cpu=%u size=%u: ret %u (model %u, set of %u), hashes %s%s%s\n",
		       c->cpu, c->src_size, c->ret, e.ret, m_weight(&e.ret_set),
		       c->hash_a == m_hash(&e.a) ? "" : "a-differs ",
		       c->hash_b == m_hash(&e.b) ? "" : "b-differs ",
		       c->hash_dst == m_hash(&e.dst) ? "" : "dst-differs");
	}
	return ok;
}

/*
 * Which way a case went (true/false, a CPU found or none, dst changed or
 * not), to show that the cases reach both sides of each kfunc.
 */
static int case_side(enum op op, const struct kf_case *c)
{
	struct model before;
	struct expect e;

	model_case(op, c, &e);
	switch (kfuncs[op].ret) {
	case RET_CPU:
	case RET_MEMBER:
		return m_weight(&e.ret_set) != 0;
	case RET_EXACT:
		return e.ret != 0;
	default:
		m_build(&before, &c->dst);
		return memcmp(&before, &e.dst, sizeof(before)) != 0;
	}
}

/* Open with only @prog to load; NULL when it failed or the subtest skipped. */
static struct cpumask_create_kfuncs *load_only(const char *prog_name)
{
	struct cpumask_create_kfuncs *skel;
	int err;

	skel = cpumask_create_kfuncs__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	autoload_only(skel->obj, prog_name, load_log, sizeof(load_log));
	skel->bss->nr_cpus = nr_cpus;
	err = cpumask_create_kfuncs__load(skel);
	if (!err)
		return skel;
	if (!refused_for_prog_type(BPF_PROG_TYPE_SYSCALL, load_log)) {
		ASSERT_OK(err, "load");
		printf("%s", load_log);
	}
	cpumask_create_kfuncs__destroy(skel);
	return NULL;
}

static void test_kfunc(enum op op)
{
	struct cpumask_create_kfuncs *skel;
	int batch, i, bad = 0, reported = 0, done = 0, sides[2] = {}, straddling = 0;
	struct bpf_program *prog;

	/* bpf_cpumask_populate() came with Linux 6.15 */
	if (op == OP_POPULATE && skip_because(probe_btf_func("bpf_cpumask_populate")))
		return;
	skel = load_only(kfuncs[op].prog);
	if (!skel)
		return;
	prog = bpf_object__find_program_by_name(skel->obj, kfuncs[op].prog);
	/* a stream of its own per kfunc: one subtest alone repeats */
	rng = seed ^ (op + 1) * 0xd1b54a32d192ed03ULL;
	for (batch = 0; batch < CASES / KF_BATCH; batch++) {
		skel->bss->nr_cases = KF_BATCH;
		for (i = 0; i < KF_BATCH; i++)
			random_case(&skel->bss->cases[i]);
		if (!run_prog_ok(prog))
			break;
		for (i = 0; i < KF_BATCH; i++) {
			const struct kf_case *c = &skel->bss->cases[i];

			done += c->done;
			bad += !check_case(op, c, batch * KF_BATCH + i, &reported);
			sides[case_side(op, c)]++;
			straddling += straddles(&c->a) || straddles(&c->b) || straddles(&c->dst);
		}
	}
	ASSERT_EQ(skel->bss->runs, CASES / KF_BATCH, "program runs");
	ASSERT_EQ(done, CASES, "cases run (all masks created)");
	ASSERT_EQ(bad, 0, "cases that differ from the model");
	ASSERT_GT(sides[0], 0, "cases on one side (e.g. false, no CPU, out of range)");
	if (nr_cpus > 64)
		ASSERT_GT(straddling, 0, "cases with CPUs on both sides of a word boundary");
	/* populate can only succeed where KF_WORDS longs hold nr_cpu_ids bits */
	if (op != OP_POPULATE || populate_size() <= sizeof(skel->bss->cases[0].words))
		ASSERT_GT(sides[1], 0, "cases on the other side");
	if (op == OP_POPULATE)
		ASSERT_TRUE(skel->bss->has_populate, "bpf_ksym_exists(bpf_cpumask_populate)");
	cpumask_create_kfuncs__destroy(skel);
}

static bool set_affinity(const struct model *m)
{
	size_t size = CPU_ALLOC_SIZE(nr_cpus);
	cpu_set_t *set = CPU_ALLOC(nr_cpus);
	bool ok = false;
	__u32 cpu;

	if (!ASSERT_OK_PTR(set, "CPU_ALLOC"))
		return false;
	CPU_ZERO_S(size, set);
	for (cpu = 0; cpu < nr_cpus; cpu++)
		if (m_test(m, cpu))
			CPU_SET_S(cpu, size, set);
	ok = ASSERT_OK(sched_setaffinity(0, size, set), "sched_setaffinity");
	CPU_FREE(set);
	return ok;
}

static bool get_affinity(struct model *m)
{
	size_t size = CPU_ALLOC_SIZE(nr_cpus);
	cpu_set_t *set = CPU_ALLOC(nr_cpus);
	bool ok;
	__u32 cpu;

	if (!ASSERT_OK_PTR(set, "CPU_ALLOC"))
		return false;
	memset(m, 0, sizeof(*m));
	ok = ASSERT_OK(sched_getaffinity(0, size, set), "sched_getaffinity");
	for (cpu = 0; ok && cpu < nr_cpus; cpu++)
		if (CPU_ISSET_S(cpu, size, set))
			m_set(m, cpu);
	CPU_FREE(set);
	return ok;
}

/* One batch of patterns against the affinity the test has now. */
static void check_interop(struct cpumask_create_kfuncs *skel, int *bad, int *mask_cases)
{
	struct model affinity, cpus, a, tmp;
	int i, tries, moved;

	if (!get_affinity(&affinity))
		return;
	skel->bss->nr_cases = INTEROP_CASES;
	for (i = 0; i < INTEROP_CASES; i++) {
		memset(&skel->bss->interop[i], 0, sizeof(skel->bss->interop[i]));
		random_pattern(&skel->bss->interop[i].a);
	}
	/*
	 * Preempted while migration is disabled (as in a BPF program), a task's
	 * cpus_ptr is the one CPU it runs on for a while: those cases are checked
	 * against that CPU. Run again if no case saw cpus_mask itself.
	 */
	for (tries = 0; tries < 5; tries++) {
		if (!run_prog_ok(skel->progs.interop_task_cpus))
			return;
		for (i = 0, moved = 0; i < INTEROP_CASES; i++)
			moved += !skel->bss->interop[i].cpus_ptr_is_mask;
		if (moved < INTEROP_CASES)
			break;
	}
	*mask_cases += INTEROP_CASES - moved;
	for (i = 0; i < INTEROP_CASES; i++) {
		const struct kf_interop *c = &skel->bss->interop[i];
		bool ok;

		cpus = affinity;
		if (!c->cpus_ptr_is_mask) {
			memset(&cpus, 0, sizeof(cpus));
			m_set(&cpus, c->cpu);
		}
		m_build(&a, &c->a);
		ok = c->done && (c->cpus_ptr_is_mask || m_test(&affinity, c->cpu));
		ok &= c->weight == m_weight(&cpus);
		ok &= c->copy_equal && c->hash_copy == m_hash(&cpus);
		m_combine(&tmp, &a, &cpus, M_ANDNOT);
		ok &= c->subset_a == !m_weight(&tmp);
		m_combine(&tmp, &cpus, &a, M_ANDNOT);
		ok &= c->subset_cpus == !m_weight(&tmp);
		m_combine(&tmp, &a, &cpus, M_AND);
		ok &= c->intersects == !!m_weight(&tmp);
		ok &= c->and_ret == !!m_weight(&tmp);
		ok &= c->hash_and == m_hash(&tmp);
		m_combine(&tmp, &a, &cpus, M_OR);
		ok &= c->hash_or == m_hash(&tmp);
		if (!ok && (*bad)++ < MAX_REPORTED) {
			printf("interop case %d: done=%u", i, c->done);
			print_pattern("a", &c->a);
			printf(" cpus_ptr %s (CPU %u) of %u: weight %u equal %u subset %u/%u",
			       c->cpus_ptr_is_mask ? "cpus_mask" : "one CPU", c->cpu,
			       m_weight(&cpus), c->weight, c->copy_equal, c->subset_a,
			       c->subset_cpus);
			printf(" intersects %u and %u\n", c->intersects, c->and_ret);
		}
	}
}

/*
 * A created mask and current->cpus_ptr (and a copy of it) through and, or,
 * copy, equal, subset and intersects, against sched_getaffinity() of the
 * same task, for its own affinity and for narrower ones it sets.
 */
static void test_interop(void)
{
	struct cpumask_create_kfuncs *skel;
	struct model orig, one;
	__u32 first, last;
	int bad = 0, mask_cases = 0;

	skel = load_only("interop_task_cpus");
	if (!skel)
		return;
	if (!get_affinity(&orig) || !ASSERT_GT(m_weight(&orig), 0, "affinity"))
		goto out;
	rng = seed ^ 0x5851f42d4c957f2dULL;
	/* set it explicitly first: cpus_mask may hold CPUs getaffinity hides */
	if (!set_affinity(&orig))
		goto out;
	check_interop(skel, &bad, &mask_cases);

	first = m_first(&orig, true);
	for (last = nr_cpus - 1; !m_test(&orig, last); last--)
		;
	memset(&one, 0, sizeof(one));
	m_set(&one, first);
	if (set_affinity(&one))
		check_interop(skel, &bad, &mask_cases);
	memset(&one, 0, sizeof(one));
	m_set(&one, last);
	if (set_affinity(&one))
		check_interop(skel, &bad, &mask_cases);
	if (m_weight(&orig) > 2) {
		one = orig;
		m_clear(&one, first);
		if (set_affinity(&one))
			check_interop(skel, &bad, &mask_cases);
	}
	ASSERT_EQ(bad, 0, "interop cases that differ from the model");
	ASSERT_GT(mask_cases, 0, "cases where cpus_ptr was cpus_mask");
	ASSERT_GE(skel->bss->runs, 3, "program runs");
	set_affinity(&orig);
out:
	cpumask_create_kfuncs__destroy(skel);
}

void test_cpumask_create_kfuncs(void)
{
	const char *env_seed = getenv("CPUMASK_CREATE_SEED");
	char *end;
	int op, n;

	if (skip_because(cpumask_create_unsupported()))
		return;
	n = libbpf_num_possible_cpus();
	if (!ASSERT_GT(n, 0, "libbpf_num_possible_cpus") ||
	    !ASSERT_LE(n, MODEL_CPUS, "nr_cpu_ids the model holds"))
		return;
	nr_cpus = n;
	if (!env_seed) {
		seed = DEFAULT_SEED;
	} else if (!strcmp(env_seed, "random")) {
		seed = (__u64)time(NULL) ^ getpid();
	} else {
		errno = 0;
		seed = strtoull(env_seed, &end, 0);
		if (!ASSERT_TRUE(!errno && *env_seed && !*end,
				 "CPUMASK_CREATE_SEED is a number or random"))
			return;
	}
	printf("seed %llu (CPUMASK_CREATE_SEED=%llu repeats this run), nr_cpu_ids %u\n",
	       (unsigned long long)seed, (unsigned long long)seed, nr_cpus);

	for (op = 0; op < ARRAY_SIZE(kfuncs); op++)
		if (test__start_subtest(kfuncs[op].name))
			test_kfunc(op);
	if (test__start_subtest("interop_task_cpus"))
		test_interop();
}
