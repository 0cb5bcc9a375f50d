// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() next to what a program could use instead, timed in
 * BPF by progs/cpumask_create_bench.c and reported by bench_bpf_timing: the
 * median ns per operation of a CPU's batches. Ratios between the benches
 * (benchs/run_bench_cpumask_create.sh) hold across machines where
 * nanoseconds do not.
 */
#include <argp.h>
#include <linux/membarrier.h>
#include <bpf/btf.h>
#include "bench.h"
#include "bench_bpf_timing.h"
#include "cpumask_create_bench.skel.h"

#define BURST_MAX	65536
#define LOOP_MAX	(8U * 1024 * 1024)	/* bpf_loop()'s limit */
#define SETTLE_MS	2000

static struct ctx {
	struct cpumask_create_bench *skel;
	struct bpf_bench_timing timing;
	int prog_fd;
	bool burst;
	long long before, held, after, next;
} ctx;

static struct {
	__u32 burst;
} args = {
	.burst = 4096,
};

enum {
	ARG_BURST = 9000,
};

static const struct argp_option opts[] = {
	{ "burst", ARG_BURST, "N", 0, "cpumask-burst-*: masks held at once (1-65536)" },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	long n;

	switch (key) {
	case ARG_BURST:
		n = strtol(arg, NULL, 10);
		if (n < 1 || n > BURST_MAX) {
			fprintf(stderr, "invalid --burst: %s\n", arg);
			argp_usage(state);
		}
		args.burst = n;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp bench_cpumask_create_argp = {
	.options = opts,
	.parser = parse_arg,
};

static void validate(void)
{
	if (env.consumer_cnt) {
		fprintf(stderr, "benchmark doesn't support consumers\n");
		exit(1);
	}
}

static void burst_validate(void)
{
	validate();
	/* producers would share the burst's slots */
	if (env.producer_cnt != 1) {
		fprintf(stderr, "cpumask-burst-* runs one producer\n");
		exit(1);
	}
}

static void run_once(void *unused)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	bpf_prog_test_run_opts(ctx.prog_fd, &topts);
}

/*
 * Bytes of every kmalloc slab cache: masks come from a bpf_mem_alloc that
 * refills with kmalloc() in a size class that depends on NR_CPUS, plain or
 * memcg-accounted, so no narrower counter fits every kernel.
 */
static long long slab_bytes(void)
{
	long long sum = 0, active, size;
	char line[512], name[128];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %*d %lld %lld", name, &active, &size) == 3 &&
		    !strncmp(name, "kmalloc", 7))
			sum += active * size;
	fclose(f);
	return sum;
}

/*
 * Released masks come back after RCU grace periods; MEMBARRIER_CMD_GLOBAL
 * waits for one. Polls until the burst's bytes are back within 1%, or
 * SETTLE_MS ran out.
 */
static long long settle(void)
{
	long long cur, slack = (ctx.held - ctx.before) / 100;
	int ms;

	for (ms = 0; ; ms += 20) {
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
		cur = slab_bytes();
		if (cur <= ctx.before + slack || ms >= SETTLE_MS)
			return cur;
		usleep(20000);
	}
}

/* Memory a burst holds, and how much of it comes back, before timing. */
static void burst_memory(void)
{
	struct cpumask_create_bench__bss *bss = ctx.skel->bss;

	ctx.before = slab_bytes();
	bss->no_drain = true;
	run_once(NULL);
	ctx.held = slab_bytes();
	bss->no_drain = false;
	bss->no_fill = true;
	run_once(NULL);
	ctx.after = settle();
	bss->no_fill = false;
	run_once(NULL);
	ctx.next = settle();
}

static void skip(const char *why)
{
	printf("SKIP: %s\n", why);
	exit(0);
}

static void setup(const char *prog, bool time_drain)
{
	struct bpf_program *p, *found = NULL;
	char name[64];
	struct btf *btf;
	int id;

	setup_libbpf();
	btf = btf__load_vmlinux_btf();
	if (!btf || btf__find_by_name_kind(btf, "bpf_cpumask_create", BTF_KIND_FUNC) < 0)
		skip("bpf_cpumask_create not available");
	snprintf(name, sizeof(name), "cpumask_%s", prog);
	if (!strcmp(prog, "obj_new_drop")) {
		if (btf__find_by_name_kind(btf, "bpf_obj_new_impl", BTF_KIND_FUNC) < 0)
			skip("bpf_obj_new not available");
		/* an object of struct bpf_cpumask's size: NR_CPUS / 8 + 8 bytes */
		id = btf__find_by_name_kind(btf, "bpf_cpumask", BTF_KIND_STRUCT);
		snprintf(name, sizeof(name), "cpumask_obj_new_drop_%d",
			 (int)(btf__resolve_size(btf, id) - 8) * 8);
	}
	btf__free(btf);

	ctx.skel = cpumask_create_bench__open();
	if (!ctx.skel) {
		fprintf(stderr, "failed to open skeleton\n");
		exit(1);
	}
	bpf_object__for_each_program(p, ctx.skel->obj) {
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), name));
		if (!strcmp(bpf_program__name(p), name))
			found = p;
	}
	if (!found)
		skip("no object of struct bpf_cpumask's size built in");
	if (cpumask_create_bench__load(ctx.skel)) {
		fprintf(stderr, "failed to load skeleton\n");
		exit(1);
	}
	ctx.skel->bss->time_drain = time_drain;
	ctx.prog_fd = bpf_program__fd(found);

	BENCH_TIMING_INIT(&ctx.timing, ctx.skel, 0);
	if (ctx.burst) {
		/* a batch is one burst: the median is ns per mask */
		ctx.timing.batch_iters = args.burst;
		ctx.skel->bss->batch_iters = args.burst;
		burst_memory();
		return;
	}
	bpf_bench_calibrate(&ctx.timing, run_once, NULL);
	if (ctx.timing.batch_iters > LOOP_MAX) {
		ctx.timing.batch_iters = LOOP_MAX;
		ctx.skel->bss->batch_iters = LOOP_MAX;
	}
}

static void *producer(void *input)
{
	while (true)
		run_once(NULL);
	return NULL;
}

static void measure(struct bench_res *res)
{
	bpf_bench_timing_measure(&ctx.timing, res);
}

static void report_final(struct bench_res res[], int res_cnt)
{
	long long held = ctx.held - ctx.before;

	if (ctx.skel->bss->errors) {
		fprintf(stderr, "%s: %u operations failed\n", bench->name, ctx.skel->bss->errors);
		exit(1);
	}
	bpf_bench_timing_report(&ctx.timing, bench->name, NULL);
	if (!ctx.burst)
		return;
	if (ctx.before < 0 || held <= 0) {
		printf("%s: memory: kmalloc slab bytes did not grow while held\n", bench->name);
		return;
	}
	printf("%s: memory: %.1f B/mask held, %.0f%% back after release + RCU, ",
	       bench->name, (double)held / args.burst, 100.0 * (ctx.held - ctx.after) / held);
	printf("%.0f%% after the next burst\n", 100.0 * (ctx.held - ctx.next) / held);
}

#define CPUMASK_BENCH(_id, _name, _validate, _burst, _drain)		\
static void _id##_setup(void)						\
{									\
	ctx.burst = _burst;						\
	setup(ctx.burst ? "burst" : #_id, _drain);			\
}									\
									\
const struct bench bench_cpumask_##_id = {				\
	.name = "cpumask-" _name,					\
	.argp = &bench_cpumask_create_argp,				\
	.validate = _validate,						\
	.setup = _id##_setup,						\
	.producer_thread = producer,					\
	.measure = measure,						\
	.report_final = report_final,					\
}

/* the baseline: an empty bpf_loop() iteration */
CPUMASK_BENCH(empty, "empty", validate, false, false);
CPUMASK_BENCH(create_release, "create-release", validate, false, false);
CPUMASK_BENCH(create_set_test, "create-set-test", validate, false, false);
CPUMASK_BENCH(create_copy, "create-copy", validate, false, false);
/* bpf_obj_new() + bpf_obj_drop() of an object of struct bpf_cpumask's size */
CPUMASK_BENCH(obj_new_drop, "obj-new-drop", validate, false, false);
/* one stored mask per CPU, taken with bpf_kptr_xchg(), used and put back */
CPUMASK_BENCH(kptr_reuse, "kptr-reuse", validate, false, false);
/* a bit set, tested and cleared in a per-CPU array map */
CPUMASK_BENCH(percpu_bits, "percpu-bits", validate, false, false);
/* --burst masks created and held in an array map, then released */
CPUMASK_BENCH(burst_fill, "burst-fill", burst_validate, true, false);
CPUMASK_BENCH(burst_drain, "burst-drain", burst_validate, true, true);
