// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() + release, and what a program could use instead,
 * one scenario per run, timed inside BPF (bench_bpf_timing):
 *
 *   ./bench -p 1 -a cpumask-create --scenario create-release
 *
 * Run the "empty" scenario too and divide: the ratios hold across machines
 * where the nanoseconds do not.
 */
#include <argp.h>
#include "bench.h"
#include "bench_bpf_timing.h"
#include "cpumask_create_timing.skel.h"
#include "bpf_util.h"

static const char * const scenarios[] = {
	"empty", "create-release", "create-set-test", "create-copy",
	"kptr-reuse", "percpu-bits",
};

static struct {
	int scenario;
} args = { .scenario = 1 };

static struct ctx {
	struct cpumask_create_timing *skel;
	struct bpf_bench_timing timing;
	int prog_fd;
} ctx;

enum { ARG_SCENARIO = 9100 };

static const struct argp_option opts[] = {
	{ "scenario", ARG_SCENARIO, "NAME", 0,
	  "create-release (default), create-set-test, create-copy,\n"
	  "kptr-reuse, percpu-bits or empty" },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	unsigned int i;

	if (key != ARG_SCENARIO)
		return ARGP_ERR_UNKNOWN;
	for (i = 0; i < ARRAY_SIZE(scenarios); i++) {
		if (!strcmp(arg, scenarios[i])) {
			args.scenario = i;
			return 0;
		}
	}
	fprintf(stderr, "unknown scenario: %s\n", arg);
	argp_usage(state);
	return 0;
}

const struct argp bench_cpumask_create_argp = {
	.options = opts,
	.parser = parse_arg,
};

static void cpumask_create_validate(void)
{
	if (env.consumer_cnt) {
		fprintf(stderr, "benchmark doesn't support consumers\n");
		exit(1);
	}
}

static int run_once(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);

	if (bpf_prog_test_run_opts(ctx.prog_fd, &topts))
		return -errno;
	return topts.retval;
}

static void cpumask_create_run_once(void *unused __always_unused)
{
	run_once();
}

static void cpumask_create_setup(void)
{
	struct bpf_program *progs[] = { NULL, NULL, NULL, NULL, NULL, NULL };
	int err;

	setup_libbpf();
	ctx.skel = cpumask_create_timing__open();
	if (!ctx.skel) {
		fprintf(stderr, "failed to open skeleton\n");
		exit(1);
	}
	err = cpumask_create_timing__load(ctx.skel);
	if (err) {
		fprintf(stderr, "failed to load skeleton: %s\n", strerror(-err));
		goto err_out;
	}
	progs[0] = ctx.skel->progs.bench_empty;
	progs[1] = ctx.skel->progs.bench_create_release;
	progs[2] = ctx.skel->progs.bench_create_set_test;
	progs[3] = ctx.skel->progs.bench_create_copy;
	progs[4] = ctx.skel->progs.bench_kptr_reuse;
	progs[5] = ctx.skel->progs.bench_percpu_bits;
	ctx.prog_fd = bpf_program__fd(progs[args.scenario]);

	/* the untimed last iteration says whether the scenario works */
	err = run_once();
	if (err != 1) {
		fprintf(stderr, "scenario %s failed: %d\n", scenarios[args.scenario], err);
		goto err_out;
	}

	BENCH_TIMING_INIT(&ctx.timing, ctx.skel, 0);
	bpf_bench_calibrate(&ctx.timing, cpumask_create_run_once, NULL);
	/* the timing library ends the run once it has its samples */
	env.duration_sec = 600;
	return;
err_out:
	cpumask_create_timing__destroy(ctx.skel);
	exit(1);
}

static void *cpumask_create_producer(void *input)
{
	while (true)
		run_once();
	return NULL;
}

static void cpumask_create_measure(struct bench_res *res)
{
	bpf_bench_timing_measure(&ctx.timing, res);
}

static void cpumask_create_report_final(struct bench_res res[], int res_cnt)
{
	char name[64];

	snprintf(name, sizeof(name), "cpumask-create/%s", scenarios[args.scenario]);
	bpf_bench_timing_report(&ctx.timing, name, NULL);
}

const struct bench bench_cpumask_create = {
	.name		= "cpumask-create",
	.argp		= &bench_cpumask_create_argp,
	.validate	= cpumask_create_validate,
	.setup		= cpumask_create_setup,
	.producer_thread = cpumask_create_producer,
	.measure	= cpumask_create_measure,
	.report_final	= cpumask_create_report_final,
};
