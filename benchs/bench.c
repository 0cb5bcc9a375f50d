// SPDX-License-Identifier: GPL-2.0
/*
 * bench: what bpf_cpumask_create() costs, next to the alternatives.
 *
 * Every figure is timed inside BPF (progs/cpumask_create_bench.c): one
 * BPF_PROG_TEST_RUN runs a batch of operations between two
 * bpf_ktime_get_ns(), on a CPU this thread is pinned to. A repeat takes a
 * number of batches of every scenario in turn, so that all figures of one
 * repeat see the same machine; the batches' per-operation times are
 * filtered (IQR fences) and their median is the repeat's figure. Repeats
 * go on until the coefficient of variation of every figure's repeat
 * medians is under the target, or the repeats run out (then it says so).
 * Ratios divide two figures of the same run: they hold across machines
 * where nanoseconds do not (emulated guests, loaded hosts).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../progs/cpumask_create_bench.h"
#include "cpumask_create_bench.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_SAMPLES	4096
#define MAX_REPEATS	1000
#define MAX_BURSTS	16
#define BURST_CYCLES	8	/* most fill + drain cycles of a burst per repeat */
#define KICK_OPS	1000	/* create + release after a burst's release */
#define MAX_ITERS	(8U * 1024 * 1024)	/* bpf_loop()'s limit */

static struct {
	double batch_us;	/* target time of one batch */
	int samples;		/* batches per scenario per repeat */
	int min_repeats, max_repeats;
	double cv_target;	/* percent */
	int cpu;		/* where single-CPU scenarios run */
	__u32 bursts[MAX_BURSTS];
	int nr_bursts;
	int max_cpus;		/* concurrency: 1..max_cpus */
	int settle_ms;		/* longest wait for freed memory to come back */
	const char *json, *plot;
	bool quiet;
} cfg = {
	.batch_us = 200, .samples = 41, .min_repeats = 3, .max_repeats = 20,
	.cv_target = 2.0, .cpu = -1,
	.bursts = { 1, 64, 4096, 65536 }, .nr_bursts = 4,
	.settle_ms = 2000,
};

static atomic_int stop;
static struct cpumask_create_bench *skel;
static int cpus[CPU_SETSIZE], nr_cpus;

/* The figures of one series of repeats. */
struct figure {
	double med[MAX_REPEATS];	/* per-repeat median, ns/op */
	double p99[MAX_REPEATS];
	int n;				/* repeats so far */
	long samples, outliers;
	/* results */
	double ns, cv, p99_ns;
	double rcv;		/* CV of the repeats' ratios to the baseline */
};

enum { S_EMPTY, S_CREATE, S_SET_TEST, S_COPY, S_OBJ, S_REUSE, S_BITS, NR_SCEN };

static struct scenario {
	const char *name, *what;
	struct bpf_program **prog;
	__u32 iters;
	struct figure f;
	bool skip;
	const char *skip_why;
} scen[NR_SCEN] = {
	[S_EMPTY]    = { "empty", "bpf_loop iteration (baseline)" },
	[S_CREATE]   = { "create_release", "create + release" },
	[S_SET_TEST] = { "create_set_test", "create + set + test + release" },
	[S_COPY]     = { "create_copy", "create + copy task->cpus_ptr + release" },
	[S_OBJ]      = { "obj_new_drop", "bpf_obj_new + bpf_obj_drop, same size" },
	[S_REUSE]    = { "kptr_reuse", "kptr_xchg out + clear + set + test + back" },
	[S_BITS]     = { "percpu_bits", "per-CPU array bits: set + test + clear" },
};

static struct burst {
	__u32 n;
	int cycles;		/* fill+drain cycles per repeat */
	struct figure fill, drain;
	long nulls;		/* creates that found no memory */
	/* memory counter, bytes */
	long long before, held, after, kicked;
	int settle_ms, kick_ms;
	bool mem_done;
} bursts[MAX_BURSTS];

static struct scale {
	int cpus;
	struct figure per_cpu;	/* ns/op on each CPU */
	double mops[MAX_REPEATS];
	double mops_med;
} scales[CPU_SETSIZE];

static const char *mem_counter;

static const char *const usage_text[] = {
	"Usage: bench [OPTIONS]",
	"Times bpf_cpumask_create() and its alternatives inside BPF; prints a table.",
	"  -c, --cpu N          CPU of the single-CPU scenarios (default: first allowed)",
	"  -b, --batch-us US    target time of one timed batch (default 200)",
	"  -s, --samples N      batches per scenario per repeat (default 41)",
	"  -r, --repeats MIN[:MAX]  repeats (default 3:20); stops at MIN once CV is met",
	"      --cv PCT         CV target of the repeat medians, percent (default 2)",
	"  -B, --bursts LIST    burst sizes, comma list, each 1..65536 (default 1,64,4096,65536)",
	"  -C, --max-cpus N     concurrency from 1 to N CPUs (default: all allowed)",
	"      --settle-ms MS   longest wait for freed masks to come back (default 2000)",
	"      --short          a few seconds: -b 200 -s 5 -r 3:3 --settle-ms 500",
	"  -J, --json FILE      write the results as JSON",
	"      --plot FILE.svg  draw the burst and scaling curves (gnuplot)",
	"  -q, --quiet          no progress lines",
	"  -h, --help",
};

static void usage(FILE *f)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(usage_text); i++)
		fprintf(f, "%s\n", usage_text[i]);
}

static void bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (bench -h lists the options)\n");
	exit(2);
}

static long parse_long(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench: %s: '%s' is not a number from %ld to %ld", what, s, lo, hi);
		fprintf(stderr, " (bench -h lists the options)\n");
		exit(2);
	}
	return v;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "batch-us", required_argument, NULL, 'b' },
		{ "samples", required_argument, NULL, 's' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "cv", required_argument, NULL, 'v' },
		{ "bursts", required_argument, NULL, 'B' },
		{ "max-cpus", required_argument, NULL, 'C' },
		{ "settle-ms", required_argument, NULL, 'S' },
		{ "short", no_argument, NULL, 'x' },
		{ "json", required_argument, NULL, 'J' },
		{ "plot", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	char *tok, *save, *copy, *colon, *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:b:s:r:B:C:J:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cfg.cpu = parse_long(optarg, 0, CPU_SETSIZE - 1, "--cpu");
			break;
		case 'b':
			cfg.batch_us = parse_long(optarg, 10, 1000000, "--batch-us");
			break;
		case 's':
			cfg.samples = parse_long(optarg, 1, MAX_SAMPLES, "--samples");
			break;
		case 'r':
			copy = strdup(optarg);
			colon = strchr(copy, ':');
			if (colon)
				*colon++ = 0;
			cfg.min_repeats = parse_long(copy, 1, MAX_REPEATS, "--repeats MIN");
			cfg.max_repeats = colon ? parse_long(colon, 1, MAX_REPEATS, "--repeats MAX")
						: cfg.min_repeats;
			if (cfg.max_repeats < cfg.min_repeats)
				bad("--repeats %s: MAX is below MIN", optarg);
			free(copy);
			break;
		case 'v':
			errno = 0;
			cfg.cv_target = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(cfg.cv_target > 0) ||
			    cfg.cv_target > 100)
				bad("--cv %s: want a percentage above 0", optarg);
			break;
		case 'B':
			cfg.nr_bursts = 0;
			copy = strdup(optarg);
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (cfg.nr_bursts == MAX_BURSTS)
					bad("--bursts %s: too many sizes", optarg);
				cfg.bursts[cfg.nr_bursts++] = parse_long(tok, 1, BENCH_BURST_MAX,
									 "--bursts");
			}
			free(copy);
			if (!cfg.nr_bursts)
				bad("--bursts '%s': empty list", optarg);
			qsort(cfg.bursts, cfg.nr_bursts, sizeof(cfg.bursts[0]), cmp_u32);
			break;
		case 'C':
			cfg.max_cpus = parse_long(optarg, 1, CPU_SETSIZE, "--max-cpus");
			break;
		case 'S':
			cfg.settle_ms = parse_long(optarg, 0, 600000, "--settle-ms");
			break;
		case 'x':
			cfg.batch_us = 200;
			cfg.samples = 5;
			cfg.min_repeats = 3;
			cfg.max_repeats = 3;
			cfg.settle_ms = 500;
			break;
		case 'J':
			cfg.json = optarg;
			break;
		case 'p':
			cfg.plot = optarg;
			break;
		case 'q':
			cfg.quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "bench: bench -h lists the options\n");
			exit(2);
		}
	}
	if (optind < argc)
		bad("unexpected argument '%s'", argv[optind]);
}

static void on_signal(int sig)
{
	stop = 1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* One timed batch; -1 if the run failed or an operation did. */
static int run_batch(struct bpf_program *prog, __u32 iters, struct bench_batch *b)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = b, .ctx_size_in = sizeof(*b));
	int err;

	memset(b, 0, sizeof(*b));
	b->iters = iters;
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	if (err) {
		fprintf(stderr, "bench: %s: BPF_PROG_TEST_RUN: %s\n",
			bpf_program__name(prog), strerror(errno));
		return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Sorts v, drops values outside Tukey's fences (1.5 IQR past the quartiles)
 * and returns how many are left, at the start of v.
 */
static int drop_outliers(double *v, int n)
{
	double q1, q3, lo, hi;
	int i, k = 0;

	qsort(v, n, sizeof(*v), cmp_double);
	if (n < 4)
		return n;
	q1 = v[n / 4];
	q3 = v[(3 * n) / 4];
	lo = q1 - 1.5 * (q3 - q1);
	hi = q3 + 1.5 * (q3 - q1);
	for (i = 0; i < n; i++)
		if (v[i] >= lo && v[i] <= hi)
			v[k++] = v[i];
	return k;
}

static double pct(const double *sorted, int n, double p)
{
	int i = (int)ceil(p / 100.0 * n) - 1;

	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Adds one repeat's samples (ns/op) to a figure. */
static void add_repeat(struct figure *f, double *v, int n)
{
	int k = drop_outliers(v, n);

	f->samples += n;
	f->outliers += n - k;
	f->med[f->n] = k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
	f->p99[f->n] = pct(v, k, 99);
	f->n++;
}

/* Median over repeats, and the CV (percent) of the repeat medians. */
static void summarize(struct figure *f)
{
	double v[MAX_REPEATS], mean = 0, var = 0;
	int i, n = f->n;

	if (!n)
		return;
	memcpy(v, f->med, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	f->ns = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	for (i = 0; i < n; i++)
		mean += f->med[i] / n;
	for (i = 0; i < n; i++)
		var += (f->med[i] - mean) * (f->med[i] - mean);
	f->cv = n > 1 && mean > 0 ? sqrt(var / (n - 1)) / mean * 100 : 0;
	memcpy(v, f->p99, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	f->p99_ns = v[n / 2];
}

/* Picks a batch size that takes about batch_us. */
static int calibrate(struct scenario *s)
{
	struct bench_batch b;
	__u32 iters = 100;
	double per_op;
	int i;

	/* warm the caches and the allocator, then time */
	for (i = 0; i < 3; i++)
		if (run_batch(*s->prog, iters, &b))
			return -1;
	if (b.ops != iters) {
		fprintf(stderr, "bench: %s: %u of %u operations done (%u failed)\n",
			s->name, b.ops, iters, b.errors);
		return -1;
	}
	per_op = b.ns / (double)iters;
	if (per_op < 0.1)
		per_op = 0.1;
	s->iters = cfg.batch_us * 1000 / per_op;
	if (s->iters < 100)
		s->iters = 100;
	if (s->iters > MAX_ITERS)
		s->iters = MAX_ITERS;
	return 0;
}

/*
 * One repeat of the single-CPU scenarios, a batch of each in turn, so that
 * a change of load hits all of them alike and their ratios stay put.
 */
static int sample_scenarios(void)
{
	static double v[NR_SCEN][MAX_SAMPLES];
	struct bench_batch b;
	struct scenario *s;
	int i, k;

	for (k = 0; k < cfg.samples && !stop; k++) {
		for (i = 0; i < NR_SCEN; i++) {
			s = &scen[i];
			if (s->skip)
				continue;
			if (run_batch(*s->prog, s->iters, &b))
				return -1;
			if (b.ops != s->iters || b.errors) {
				fprintf(stderr, "bench: %s: %u of %u operations done (%u failed)\n",
					s->name, b.ops, s->iters, b.errors);
				return -1;
			}
			v[i][k] = b.ns / (double)s->iters;
		}
	}
	for (i = 0; i < NR_SCEN && !stop; i++)
		if (!scen[i].skip)
			add_repeat(&scen[i].f, v[i], cfg.samples);
	return 0;
}

/*
 * The memory counter: bytes in every kmalloc slab cache. The masks come from
 * a bpf_mem_alloc, which refills with kmalloc() (a size class holding
 * sizeof(struct bpf_cpumask) plus a list node); which class, and whether it
 * is a memcg-accounted (kmalloc-cg-*) or randomized copy, depends on the
 * kernel, so every kmalloc cache counts. /proc/meminfo's Slab is the fallback.
 */
static long long mem_bytes(void)
{
	long long sum = 0, active, size;
	char line[512], name[128];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (f) {
		mem_counter = "/proc/slabinfo: slab objects x size, kmalloc* caches";
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%127s %*d %lld %lld", name, &active, &size) == 3 &&
			    !strncmp(name, "kmalloc", 7))
				sum += active * size;
		fclose(f);
		return sum;
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	mem_counter = "/proc/meminfo: Slab";
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &size) == 1)
			sum = size * 1024;
	fclose(f);
	return sum;
}

/*
 * Released masks come back after RCU grace periods (bpf_mem_alloc frees
 * through call_rcu_tasks_trace and call_rcu), and only slabs left empty go
 * back to the system. MEMBARRIER_CMD_GLOBAL waits for an RCU grace period;
 * poll until the counter is back within 1% of the held bytes above where it
 * started (a burst's memory came back), or settle_ms ran out.
 */
static long long settle(long long before, long long held, int *waited_ms)
{
	long long cur, slack = (held - before) / 100;
	double start = now_ns();

	for (;;) {
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		cur = mem_bytes();
		*waited_ms = (now_ns() - start) / 1e6;
		if (cur <= before + slack || *waited_ms >= cfg.settle_ms || stop)
			return cur;
		usleep(20000);
	}
}

/* One repeat of one burst size: cycles of fill + drain. */
static int sample_burst(struct burst *u)
{
	double fill[MAX_SAMPLES], drain[MAX_SAMPLES];
	struct bench_batch b;
	bool mem = !u->mem_done;
	__u32 filled;
	int i;

	for (i = 0; i < u->cycles; i++) {
		if (mem && !i)
			u->before = mem_bytes();
		if (run_batch(skel->progs.bench_burst_fill, u->n, &b))
			return -1;
		u->nulls += b.errors;
		if (b.ops + b.errors != u->n) {
			fprintf(stderr, "bench: burst %u: fill ran %u of %u\n",
				u->n, b.ops + b.errors, u->n);
			return -1;
		}
		fill[i] = b.ns / (double)u->n;
		if (mem && !i)
			u->held = mem_bytes();
		filled = b.ops;
		if (run_batch(skel->progs.bench_burst_drain, u->n, &b))
			return -1;
		if (b.ops != filled) {
			fprintf(stderr, "bench: burst %u: drained %u of %u masks held\n",
				u->n, b.ops, filled);
			return -1;
		}
		drain[i] = b.ns / (double)u->n;
		if (mem && !i) {
			u->after = settle(u->before, u->held, &u->settle_ms);
			/*
			 * bpf_mem_alloc hands freed objects to RCU a batch
			 * at a time, from irq_work that frees and allocations
			 * raise: what it still holds moves on at its next use.
			 */
			if (run_batch(*scen[S_CREATE].prog, KICK_OPS, &b))
				return -1;
			u->kicked = settle(u->before, u->held, &u->kick_ms);
			u->mem_done = true;
		}
	}
	add_repeat(&u->fill, fill, u->cycles);
	add_repeat(&u->drain, drain, u->cycles);
	return 0;
}

struct worker {
	pthread_t thread;
	int cpu;
	pthread_barrier_t *barrier;
	double v[MAX_SAMPLES];
	double start, end;
	long ops;
	int err;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct scenario *s = &scen[S_CREATE];
	struct bench_batch b;
	int i;

	if (pin(w->cpu)) {
		w->err = errno;
		pthread_barrier_wait(w->barrier);
		return NULL;
	}
	pthread_barrier_wait(w->barrier);
	w->start = now_ns();
	for (i = 0; i < cfg.samples; i++) {
		if (run_batch(*s->prog, s->iters, &b) || b.ops != s->iters) {
			w->err = EIO;
			break;
		}
		w->v[i] = b.ns / (double)s->iters;
		w->ops += b.ops;
	}
	w->end = now_ns();
	return NULL;
}

/* create + release on k CPUs at once */
static int sample_scale(struct scale *sc)
{
	static struct worker w[CPU_SETSIZE];
	pthread_barrier_t barrier;
	double all[MAX_SAMPLES], start = 1e300, end = 0;
	long ops = 0;
	int i, k = sc->cpus, n = 0;

	pthread_barrier_init(&barrier, NULL, k);
	for (i = 0; i < k; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cpu = cpus[i];
		w[i].barrier = &barrier;
		if (pthread_create(&w[i].thread, NULL, worker_fn, &w[i])) {
			fprintf(stderr, "bench: pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < k; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&barrier);
	for (i = 0; i < k; i++) {
		if (w[i].err) {
			fprintf(stderr, "bench: concurrency %d: CPU %d: %s\n", k, w[i].cpu,
				strerror(w[i].err));
			return -1;
		}
		start = fmin(start, w[i].start);
		end = fmax(end, w[i].end);
		ops += w[i].ops;
	}
	/* every CPU's samples pooled: a per-CPU cost */
	for (i = 0; i < k * cfg.samples; i++)
		all[n++] = w[i / cfg.samples].v[i % cfg.samples];
	sc->mops[sc->per_cpu.n] = ops / (end - start) * 1e3;
	add_repeat(&sc->per_cpu, all, n);
	return 0;
}

/* CV (percent) of f's per-repeat ratio to the same repeat's baseline. */
static double ratio_cv(const struct figure *f, const struct figure *base)
{
	double r[MAX_REPEATS], mean = 0, var = 0;
	int i, n = f->n < base->n ? f->n : base->n;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		r[i] = f->med[i] / base->med[i];
		mean += r[i] / n;
	}
	for (i = 0; i < n; i++)
		var += (r[i] - mean) * (r[i] - mean);
	return sqrt(var / (n - 1)) / mean * 100;
}

static bool all_stable(int nr_scales)
{
	bool ok = true;
	int i;

	for (i = 0; i < NR_SCEN; i++) {
		if (scen[i].skip)
			continue;
		summarize(&scen[i].f);
		ok &= scen[i].f.cv < cfg.cv_target;
	}
	for (i = 0; i < cfg.nr_bursts; i++) {
		summarize(&bursts[i].fill);
		summarize(&bursts[i].drain);
		ok &= bursts[i].fill.cv < cfg.cv_target && bursts[i].drain.cv < cfg.cv_target;
	}
	for (i = 0; i < nr_scales; i++) {
		summarize(&scales[i].per_cpu);
		ok &= scales[i].per_cpu.cv < cfg.cv_target;
	}
	for (i = 0; i < NR_SCEN; i++)
		scen[i].f.rcv = ratio_cv(&scen[i].f, &scen[S_EMPTY].f);
	for (i = 0; i < cfg.nr_bursts; i++) {
		bursts[i].fill.rcv = ratio_cv(&bursts[i].fill, &scen[S_EMPTY].f);
		bursts[i].drain.rcv = ratio_cv(&bursts[i].drain, &scen[S_EMPTY].f);
	}
	for (i = 0; i < nr_scales; i++)
		scales[i].per_cpu.rcv = ratio_cv(&scales[i].per_cpu, &scen[S_EMPTY].f);
	return ok;
}

static double median_of(const double *v, int n)
{
	double s[MAX_REPEATS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The NR_CPUS that progs/cpumask_create_bench.c has an object for. */
static const int obj_cpus[] = { 64, 256, 512, 1024, 8192 };

static struct bpf_program **obj_new_prog(int nr_cpus)
{
	switch (nr_cpus) {
	case 64:
		return &skel->progs.bench_obj_new_drop_64;
	case 256:
		return &skel->progs.bench_obj_new_drop_256;
	case 512:
		return &skel->progs.bench_obj_new_drop_512;
	case 1024:
		return &skel->progs.bench_obj_new_drop_1024;
	default:
		return &skel->progs.bench_obj_new_drop_8192;
	}
}

static bool kernel_has(struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

static char release[128];
static double load1 = -1;
static int repeats_done;
static bool stable;

static void print_fig(const char *name, const struct figure *f, double base, double create)
{
	printf("%-16s %9.2f %6.2f%% %9.2f %8.2f %6.2f%% %8.2f %4d\n", name, f->ns, f->cv,
	       f->p99_ns, f->ns / base, f->rcv, f->ns / create, f->n);
}

static void print_table(int nr_scales)
{
	double base = scen[S_EMPTY].f.ns, create = scen[S_CREATE].f.ns;
	const struct burst *u;
	int i;

	printf("\nkernel %s, %d CPUs, single-CPU scenarios on CPU %d, load %.2f\n",
	       release, nr_cpus, cpus[0], load1);
	printf("CV: of the repeats' medians; ratio: to the empty iteration of this run,\n");
	printf("rCV: its CV over the repeats; vs cr.: to create_release; rep: repeats\n\n");
	printf("%-16s %9s %7s %9s %8s %7s %8s %4s  %s\n", "scenario", "ns/op", "CV",
	       "p99", "ratio", "rCV", "vs cr.", "rep", "what");
	for (i = 0; i < NR_SCEN; i++) {
		if (scen[i].skip) {
			printf("%-16s SKIP: %s\n", scen[i].name, scen[i].skip_why);
			continue;
		}
		printf("%-16s %9.2f %6.2f%% %9.2f %8.2f %6.2f%% %8.2f %4d  %s\n", scen[i].name,
		       scen[i].f.ns, scen[i].f.cv, scen[i].f.p99_ns, scen[i].f.ns / base,
		       scen[i].f.rcv, scen[i].f.ns / create, scen[i].f.n, scen[i].what);
	}

	printf("\nburst: N masks created and held in a map, then released (ns per mask)\n");
	printf("memory: %s\n", mem_counter ? mem_counter : "none readable");
	printf("B/mask: held per mask; back: share of it returned after release + RCU wait,\n");
	printf("then after %d more create + release (the allocator's next use)\n", KICK_OPS);
	printf("%-16s %9s %7s %9s %8s %7s %8s %4s %6s %8s %7s %7s\n", "burst", "ns/op", "CV",
	       "p99", "ratio", "rCV", "vs cr.", "rep", "nulls", "B/mask", "back", "next");
	for (i = 0; i < cfg.nr_bursts; i++) {
		char name[32];
		long long held;

		u = &bursts[i];
		held = u->held - u->before;
		snprintf(name, sizeof(name), "fill %u", u->n);
		printf("%-16s %9.2f %6.2f%% %9.2f %8.2f %6.2f%% %8.2f %4d %6ld %8.1f ", name,
		       u->fill.ns, u->fill.cv, u->fill.p99_ns, u->fill.ns / base,
		       u->fill.rcv, u->fill.ns / create, u->fill.n, u->nulls,
		       (double)held / u->n);
		if (held > 0)
			printf("%6.0f%% %6.0f%%\n", 100.0 * (u->held - u->after) / held,
			       100.0 * (u->held - u->kicked) / held);
		else
			printf("%7s %7s\n", "-", "-");
		snprintf(name, sizeof(name), "drain %u", u->n);
		print_fig(name, &u->drain, base, create);
	}

	printf("\nconcurrency: create + release on 1..%d CPUs at once\n", nr_scales);
	printf("%-16s %9s %7s %9s %8s %7s %8s %4s %9s %8s\n", "cpus", "ns/op/cpu", "CV", "p99",
	       "ratio", "rCV", "vs cr.", "rep", "Mops/s", "scaling");
	for (i = 0; i < nr_scales; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%d", scales[i].cpus);
		printf("%-16s %9.2f %6.2f%% %9.2f %8.2f %6.2f%% %8.2f %4d %9.3f %8.2f\n", name,
		       scales[i].per_cpu.ns, scales[i].per_cpu.cv, scales[i].per_cpu.p99_ns,
		       scales[i].per_cpu.ns / base, scales[i].per_cpu.rcv,
		       scales[i].per_cpu.ns / create,
		       scales[i].per_cpu.n, scales[i].mops_med,
		       scales[i].mops_med / scales[0].mops_med);
	}
	printf("\n%s after %d repeats (CV target %.1f%%)\n",
	       stable ? "stable: every CV under target" :
			"NOT stable: some CV stayed at or above target", repeats_done,
	       cfg.cv_target);
}

static void json_fig(FILE *f, const struct figure *g, double base, double create)
{
	fprintf(f, "\"ns_per_op\": %.3f, \"cv_pct\": %.3f, \"cv_ok\": %s, ",
		g->ns, g->cv, g->cv < cfg.cv_target ? "true" : "false");
	fprintf(f, "\"p99_ns\": %.3f, \"ratio\": %.4f, \"ratio_cv_pct\": %.3f, ",
		g->p99_ns, g->ns / base, g->rcv);
	fprintf(f, "\"vs_create\": %.4f, ", g->ns / create);
	fprintf(f, "\"repeats\": %d, \"samples\": %ld, \"outliers\": %ld",
		g->n, g->samples, g->outliers);
}

static int write_json(const char *path, int nr_scales)
{
	double base = scen[S_EMPTY].f.ns, create = scen[S_CREATE].f.ns;
	FILE *f = fopen(path, "w");
	int i;

	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n  \"kernel\": \"%s\", \"nr_cpus\": %d, \"cpu\": %d, \"load1\": %.2f,\n",
		release, nr_cpus, cpus[0], load1);
	fprintf(f, "  \"baseline\": \"empty\", \"cv_target_pct\": %.2f, ", cfg.cv_target);
	fprintf(f, "\"repeats\": %d, \"stable\": %s,\n", repeats_done, stable ? "true" : "false");
	fprintf(f, "  \"memory_counter\": \"%s\",\n  \"scenarios\": [\n",
		mem_counter ? mem_counter : "");
	for (i = 0; i < NR_SCEN; i++) {
		fprintf(f, "    { \"name\": \"%s\", \"what\": \"%s\", ",
			scen[i].name, scen[i].what);
		if (scen[i].skip)
			fprintf(f, "\"skip\": \"%s\"", scen[i].skip_why);
		else
			json_fig(f, &scen[i].f, base, create);
		fprintf(f, " }%s\n", i < NR_SCEN - 1 ? "," : "");
	}
	fprintf(f, "  ],\n  \"bursts\": [\n");
	for (i = 0; i < cfg.nr_bursts; i++) {
		const struct burst *u = &bursts[i];
		long long held = u->held - u->before;

		fprintf(f, "    { \"n\": %u, \"nulls\": %ld, ", u->n, u->nulls);
		fprintf(f, "\"mem_before\": %lld, \"mem_held\": %lld, \"mem_after\": %lld, ",
			u->before, u->held, u->after);
		fprintf(f, "\"mem_after_next_use\": %lld, \"bytes_per_mask\": %.1f, ",
			u->kicked, (double)held / u->n);
		fprintf(f, "\"settle_ms\": %d, \"next_use_settle_ms\": %d, ",
			u->settle_ms, u->kick_ms);
		if (held > 0)
			fprintf(f, "\"returned_pct\": %.1f, \"returned_after_next_use_pct\": %.1f",
				100.0 * (u->held - u->after) / held,
				100.0 * (u->held - u->kicked) / held);
		else
			fprintf(f, "\"returned_pct\": null, \"returned_after_next_use_pct\": null");
		fprintf(f, ",\n      \"fill\": { ");
		json_fig(f, &u->fill, base, create);
		fprintf(f, " },\n      \"drain\": { ");
		json_fig(f, &u->drain, base, create);
		fprintf(f, " } }%s\n", i < cfg.nr_bursts - 1 ? "," : "");
	}
	fprintf(f, "  ],\n  \"scaling\": [\n");
	for (i = 0; i < nr_scales; i++) {
		fprintf(f, "    { \"cpus\": %d, \"mops\": %.4f, \"scaling\": %.4f, ",
			scales[i].cpus, scales[i].mops_med,
			scales[i].mops_med / scales[0].mops_med);
		json_fig(f, &scales[i].per_cpu, base, create);
		fprintf(f, " }%s\n", i < nr_scales - 1 ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	if (fclose(f)) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Burst and scaling curves, drawn by gnuplot from inline data. */
static int write_plot(const char *path, int nr_scales)
{
	double base = scen[S_EMPTY].f.ns, lo = 1e9, hi = 0;
	const struct burst *u;
	FILE *g;
	int i, j, status;

	if (system("command -v gnuplot >/dev/null 2>&1")) {
		fprintf(stderr, "bench: --plot needs gnuplot (Debian package gnuplot-nox)\n");
		return -1;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		fprintf(stderr, "bench: gnuplot: %s\n", strerror(errno));
		return -1;
	}
	fprintf(g, "set terminal svg size 1000,700 dynamic font 'sans,11'\n");
	fprintf(g, "set output '%s'\n", path);
	fprintf(g, "set multiplot layout 2,2 title 'bpf\\_cpumask\\_create() on %s, ", release);
	fprintf(g, "ratio: to an empty bpf\\_loop iteration'\n");
	fprintf(g, "set grid\nset key top left\nset logscale x 4\nset yrange [0:*]\nset xtics (");
	for (i = 0; i < cfg.nr_bursts; i++)
		fprintf(g, "%s\"%u\" %u", i ? ", " : "", bursts[i].n, bursts[i].n);
	for (i = 0; i < cfg.nr_bursts; i++) {
		lo = fmin(lo, cfg.bursts[i]);
		hi = fmax(hi, cfg.bursts[i]);
	}
	fprintf(g, ")\nset xrange [%f:%f]\n", lo / 1.5, hi * 1.5);
	fprintf(g, "set title 'burst: cost per mask'\nset xlabel 'masks held (N)'\n"
		"set ylabel 'ratio'\n");
	fprintf(g, "plot '-' using 1:2 with linespoints title 'create + store', ");
	fprintf(g, "'-' using 1:2 with linespoints title 'take + release'\n");
	for (j = 0; j < 2; j++) {
		for (i = 0; i < cfg.nr_bursts; i++)
			fprintf(g, "%u %.4f\n", bursts[i].n,
				(j ? bursts[i].drain.ns : bursts[i].fill.ns) / base);
		fprintf(g, "e\n");
	}
	fprintf(g, "set title 'burst: kernel memory while held'\nset ylabel 'bytes per mask'\n");
	fprintf(g, "set yrange [*:*]\n");
	fprintf(g, "plot '-' using 1:2 with linespoints title 'held', ");
	fprintf(g, "'-' using 1:2 with linespoints title 'left after release + RCU', ");
	fprintf(g, "'-' using 1:2 with linespoints title 'left after next use'\n");
	for (j = 0; j < 3; j++) {
		for (i = 0; i < cfg.nr_bursts; i++) {
			u = &bursts[i];
			fprintf(g, "%u %.1f\n", u->n,
				(double)((j == 0 ? u->held : j == 1 ? u->after : u->kicked) -
					 u->before) / u->n);
		}
		fprintf(g, "e\n");
	}
	fprintf(g, "unset logscale x\nset autoscale x\nset xtics 1\n");
	fprintf(g, "set xlabel 'CPUs at once'\nset yrange [0:*]\n");
	fprintf(g, "set title 'concurrency: create + release per CPU'\nset ylabel 'ratio'\n");
	fprintf(g, "plot '-' using 1:2 with linespoints title 'per-CPU cost'\n");
	for (i = 0; i < nr_scales; i++)
		fprintf(g, "%d %.4f\n", scales[i].cpus, scales[i].per_cpu.ns / base);
	fprintf(g, "e\n");
	fprintf(g, "set title 'concurrency: throughput'\nset ylabel 'x one CPU'\n");
	fprintf(g, "plot '-' using 1:2 with linespoints title 'total', ");
	fprintf(g, "x with lines dashtype 2 title 'linear'\n");
	for (i = 0; i < nr_scales; i++)
		fprintf(g, "%d %.4f\n", scales[i].cpus, scales[i].mops_med / scales[0].mops_med);
	fprintf(g, "e\nunset multiplot\n");
	status = pclose(g);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "bench: gnuplot failed writing %s\n", path);
		return -1;
	}
	return 0;
}

static void read_load(void)
{
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &load1) != 1)
			load1 = -1;
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	struct bpf_program **progs[NR_SCEN] = {};
	struct btf *btf;
	struct utsname u;
	cpu_set_t allowed;
	int i, r, nr_scales, bytes, err = 1;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (uname(&u) == 0)
		snprintf(release, sizeof(release), "%s", u.release);

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		perror("bench: sched_getaffinity");
		return 1;
	}
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &allowed))
			cpus[nr_cpus++] = i;
	if (cfg.cpu >= 0) {
		if (!CPU_ISSET(cfg.cpu, &allowed)) {
			fprintf(stderr, "bench: --cpu %d: not a CPU this process may run on\n",
				cfg.cpu);
			return 2;
		}
		/* the chosen CPU first: single-CPU runs and 1-CPU scaling use it */
		for (i = 0; cpus[i] != cfg.cpu; i++)
			;
		cpus[i] = cpus[0];
		cpus[0] = cfg.cpu;
	}
	if (cfg.max_cpus > nr_cpus) {
		fprintf(stderr, "bench: --max-cpus %d: only %d CPUs allowed\n", cfg.max_cpus,
			nr_cpus);
		return 2;
	}
	nr_scales = cfg.max_cpus ? cfg.max_cpus : nr_cpus;
	if (pin(cpus[0])) {
		perror("bench: sched_setaffinity");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	btf = btf__load_vmlinux_btf();
	if (!kernel_has(btf, "bpf_cpumask_create", BTF_KIND_FUNC)) {
		printf("SKIP: bpf_cpumask_create not available\n");
		btf__free(btf);
		return 0;
	}
	skel = cpumask_create_bench__open();
	if (!skel) {
		fprintf(stderr, "bench: opening the BPF object failed\n");
		goto out;
	}
	/* bpf_obj_new() of a struct bpf_cpumask's size on this kernel */
	i = btf__find_by_name_kind(btf, "bpf_cpumask", BTF_KIND_STRUCT);
	bytes = i > 0 ? btf__resolve_size(btf, i) : -1;
	for (i = 0; i < (int)ARRAY_SIZE(obj_cpus); i++) {
		if (bytes == obj_cpus[i] / 8 + 8)
			progs[S_OBJ] = obj_new_prog(obj_cpus[i]);
		else
			bpf_program__set_autoload(*obj_new_prog(obj_cpus[i]), false);
	}
	if (!progs[S_OBJ]) {
		scen[S_OBJ].skip = true;
		scen[S_OBJ].skip_why = "no object of struct bpf_cpumask's size built in";
	}
	if (!kernel_has(btf, "bpf_obj_new_impl", BTF_KIND_FUNC)) {
		scen[S_OBJ].skip = true;
		scen[S_OBJ].skip_why = "bpf_obj_new not available";
		if (progs[S_OBJ])
			bpf_program__set_autoload(*progs[S_OBJ], false);
	}
	btf__free(btf);
	btf = NULL;

	progs[S_EMPTY] = &skel->progs.bench_empty;
	progs[S_CREATE] = &skel->progs.bench_create_release;
	progs[S_SET_TEST] = &skel->progs.bench_create_set_test;
	progs[S_COPY] = &skel->progs.bench_create_copy;
	progs[S_REUSE] = &skel->progs.bench_kptr_reuse;
	progs[S_BITS] = &skel->progs.bench_percpu_bits;
	for (i = 0; i < NR_SCEN; i++)
		scen[i].prog = progs[i];

	if (cpumask_create_bench__load(skel)) {
		fprintf(stderr, "bench: loading the BPF programs failed\n");
		goto out;
	}

	for (i = 0; i < NR_SCEN; i++)
		if (!scen[i].skip && calibrate(&scen[i]))
			goto out;
	for (i = 0; i < cfg.nr_bursts; i++) {
		bursts[i].n = cfg.bursts[i];
		bursts[i].cycles = BENCH_BURST_MAX / bursts[i].n;
		if (bursts[i].cycles > BURST_CYCLES)
			bursts[i].cycles = BURST_CYCLES;
	}
	for (i = 0; i < nr_scales; i++)
		scales[i].cpus = i + 1;

	read_load();
	for (r = 0; r < cfg.max_repeats && !stop; r++) {
		if (sample_scenarios())
			goto out;
		for (i = 0; i < cfg.nr_bursts && !stop; i++)
			if (sample_burst(&bursts[i]))
				goto out;
		for (i = 0; i < nr_scales && !stop; i++)
			if (sample_scale(&scales[i]))
				goto out;
		if (stop)
			break;
		repeats_done = r + 1;
		stable = all_stable(nr_scales);
		if (!cfg.quiet)
			fprintf(stderr, "bench: repeat %d: create %.2f, empty %.2f ns/op, %s\n",
				r + 1, scen[S_CREATE].f.ns,
				scen[S_EMPTY].f.ns, stable ? "stable" : "CV above target");
		if (repeats_done >= cfg.min_repeats && stable)
			break;
	}
	if (stop) {
		fprintf(stderr, "bench: interrupted\n");
		goto out;
	}
	for (i = 0; i < nr_scales; i++)
		scales[i].mops_med = median_of(scales[i].mops, scales[i].per_cpu.n);

	print_table(nr_scales);
	err = 0;
	if (cfg.json && write_json(cfg.json, nr_scales))
		err = 1;
	if (cfg.plot && write_plot(cfg.plot, nr_scales))
		err = 1;
out:
	btf__free(btf);
	cpumask_create_bench__destroy(skel);
	return err;
}
