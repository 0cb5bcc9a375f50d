// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() from every program type that may call it, each fired
 * by an event of the test's own: the hook must run, and the mask it built
 * must hold exactly the CPUs it was told to set (plus the CPU it ran on).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <test_progs.h>
#include "network_helpers.h"
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_prog_types.skel.h"

#define TRIGGER_FILE	"/dev/null"
#define CC_BYTES	(4 << 20)	/* sent through the congestion control */
#define PERF_RUNS	3		/* perf_event samples to wait for */

static int nr_cpus;
static char load_log[64 * 1024];

/*
 * Open the object with only @prog_name to load (NULL: only the congestion
 * control), so that a program type this kernel refuses does not stop the
 * others.
 */
static struct cpumask_create_prog_types *open_only(const char *prog_name)
{
	struct cpumask_create_prog_types *skel;
	struct stat st;

	if (!ASSERT_OK(stat(TRIGGER_FILE, &st), "stat " TRIGGER_FILE))
		return NULL;
	skel = cpumask_create_prog_types__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	autoload_only(skel->obj, prog_name, load_log, sizeof(load_log));
	bpf_map__set_autocreate(skel->maps.cpumask_cc, !prog_name);

	skel->bss->nr_cpus = nr_cpus;
	skel->bss->hook_cpus[0] = 0;
	skel->bss->hook_cpus[1] = nr_cpus - 1;
	skel->bss->hook_cpus[2] = nr_cpus;	/* past the end: ignored */
	skel->bss->hook_cpus[3] = UINT_MAX;	/* likewise */
	skel->bss->target_pid = getpid();
	skel->bss->target_ino = st.st_ino;
	return skel;
}

/* Load; false (skel destroyed) when the load failed or the subtest skipped. */
static bool load_or_skip(struct cpumask_create_prog_types *skel, enum bpf_prog_type type)
{
	int err;

	load_log[0] = '\0';
	err = cpumask_create_prog_types__load(skel);
	if (!err)
		return true;
	if (!refused_for_prog_type(type, load_log)) {
		ASSERT_OK(err, "load");
		printf("%s", load_log);
	}
	cpumask_create_prog_types__destroy(skel);
	return false;
}

static struct cpumask_create_prog_types *load_only(const char *prog_name)
{
	struct cpumask_create_prog_types *skel = open_only(prog_name);
	struct bpf_program *prog;

	if (!skel)
		return NULL;
	prog = bpf_object__find_program_by_name(skel->obj, prog_name);
	return load_or_skip(skel, bpf_program__type(prog)) ? skel : NULL;
}

/*
 * The mask must hold the CPU the hook ran on and those of @cpus below
 * nr_cpu_ids, nothing else; a new mask must have been empty.
 */
static void check_report(const struct hook_report *r, const __u32 *cpus, __u32 min_runs)
{
	__u64 hash = CPUMASK_HASH_INIT;
	__u32 cpu, i, weight = 0, first = nr_cpus;
	bool set;

	ASSERT_GE(r->runs, min_runs, "hook runs");
	ASSERT_EQ(r->created, r->runs, "masks created");
	ASSERT_EQ(r->not_empty, 0, "new masks that were not empty");
	if (!ASSERT_LT(r->cpu, nr_cpus, "cpu the hook ran on"))
		return;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		set = cpu == r->cpu;
		for (i = 0; i < HOOK_CPUS; i++)
			set |= cpus[i] == cpu;
		if (!set)
			continue;
		weight++;
		if (first == nr_cpus)
			first = cpu;
		hash = cpumask_hash_step(hash, cpu);
	}
	ASSERT_EQ(r->weight, weight, "weight");
	ASSERT_EQ(r->first, first, "first");
	ASSERT_EQ(r->hash, hash, "hash of the CPUs in the mask");
}

/* fentry, fexit, fmod_ret, lsm, lsm.s: the hook sees the test open a file */
static struct hook_report *run_file_open_hook(struct cpumask_create_prog_types *skel,
					      struct bpf_program *prog,
					      struct hook_report *report)
{
	struct bpf_link *link;
	int fd;

	link = bpf_program__attach(prog);
	if (!ASSERT_OK_PTR(link, "attach"))
		return NULL;
	fd = open(TRIGGER_FILE, O_RDONLY);
	/* the hook must not change the outcome */
	ASSERT_OK_FD(fd, "open " TRIGGER_FILE);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	check_report(report, skel->bss->hook_cpus, 1);
	ASSERT_EQ(report->runs, 1, "hook runs for one open");
	return report;
}

/*
 * Programs on security_file_open() that differ only in data: which program,
 * its report, what it must need, and what it saw as its context's value
 * (the return value so far; no check for fentry and lsm).
 */
struct file_open_hook {
	const char *subtest;
	const char *prog;
	size_t report;			/* offset in the skeleton's bss */
	const char *(*unsupported)(void);
	bool check_ctx;
	const char *ctx_what;
};

#define REPORT(r)	offsetof(struct cpumask_create_prog_types__bss, r)

static const struct file_open_hook file_open_hooks[] = {
	{ "fentry", "create_in_fentry", REPORT(fentry_report), trampoline_unsupported },
	{ "fexit", "create_in_fexit", REPORT(fexit_report), trampoline_unsupported,
	  true, "security_file_open() returned" },
	{ "fmod_ret", "create_in_fmod_ret", REPORT(fmod_ret_report), trampoline_unsupported,
	  true, "return value of earlier fmod_ret programs" },
	{ "lsm_file_open", "create_in_lsm_file_open", REPORT(lsm_report), bpf_lsm_inactive },
	{ "lsm_s_file_open", "create_in_lsm_s_file_open", REPORT(lsm_s_report),
	  bpf_lsm_inactive },
};

static void test_file_open_hook(const struct file_open_hook *h)
{
	struct cpumask_create_prog_types *skel;
	struct hook_report *r;

	if (skip_because(h->unsupported()))
		return;
	skel = load_only(h->prog);
	if (!skel)
		return;
	r = run_file_open_hook(skel, bpf_object__find_program_by_name(skel->obj, h->prog),
			       (void *)skel->bss + h->report);
	if (r && h->check_ctx)
		ASSERT_EQ(r->ctx_value, 0, h->ctx_what);
	cpumask_create_prog_types__destroy(skel);
}

static void test_tp_btf(void)
{
	struct cpumask_create_prog_types *skel;
	struct hook_report *r;
	struct bpf_link *link;

	skel = load_only("create_in_tp_btf");
	if (!skel)
		return;
	skel->data->target_syscall = SYS_getpgid;
	link = bpf_program__attach(skel->progs.create_in_tp_btf);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	syscall(SYS_getpgid, getpid());
	bpf_link__destroy(link);
	r = &skel->bss->tp_btf_report;
	check_report(r, skel->bss->hook_cpus, 1);
	ASSERT_EQ(r->runs, 1, "hook runs for one getpgid()");
	ASSERT_EQ(r->ctx_value, getpid(), "getpgid() argument");
out:
	cpumask_create_prog_types__destroy(skel);
}

static int affinity_weight(void)
{
	cpu_set_t *set = CPU_ALLOC(nr_cpus);
	size_t size = CPU_ALLOC_SIZE(nr_cpus);
	int weight = -1;

	if (set && !sched_getaffinity(0, size, set))
		weight = CPU_COUNT_S(size, set);
	CPU_FREE(set);
	return weight;
}

static void test_iter_task(void)
{
	struct cpumask_create_prog_types *skel;
	struct hook_report *r;
	struct bpf_link *link;
	char buf[64];
	int fd, n, tries;

	skel = load_only("create_in_iter_task");
	if (!skel)
		return;
	link = bpf_program__attach_iter(skel->progs.create_in_iter_task, NULL);
	if (!ASSERT_OK_PTR(link, "attach_iter"))
		goto out;
	r = &skel->bss->iter_report;
	/*
	 * A task preempted while migration is disabled (as while running a BPF
	 * program) shows cpus_ptr as its one CPU; the program reports -1 then.
	 */
	for (tries = 0; tries < 3; tries++) {
		fd = bpf_iter_create(bpf_link__fd(link));
		if (!ASSERT_OK_FD(fd, "bpf_iter_create"))
			break;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		ASSERT_OK(n, "read iterator");
		close(fd);
		if (r->ctx_value != -1)
			break;
	}
	bpf_link__destroy(link);
	check_report(r, skel->bss->hook_cpus, 1);
	ASSERT_EQ(r->ctx_value, affinity_weight(), "weight of task->cpus_ptr");
out:
	cpumask_create_prog_types__destroy(skel);
}

static void test_syscall(void)
{
	struct cpumask_create_prog_types *skel;

	LIBBPF_OPTS(bpf_test_run_opts, opts);

	skel = load_only("create_in_syscall");
	if (!skel)
		return;
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.create_in_syscall), &opts),
		  "test_run");
	ASSERT_EQ(opts.retval, 0, "retval");
	check_report(&skel->bss->syscall_report, skel->bss->hook_cpus, 1);
	ASSERT_EQ(skel->bss->syscall_report.runs, 1, "runs");
	cpumask_create_prog_types__destroy(skel);
}

/* The CPUs come in through the context, the report goes out through it. */
static void test_syscall_ctx(void)
{
	struct cpumask_create_prog_types *skel;
	struct hook_ctx ctx = {
		.cpus = { nr_cpus / 2, nr_cpus - 1, nr_cpus + 1, UINT_MAX - 1 },
	};
	/* SYSCALL programs write the context back to ctx_in */
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx));

	skel = load_only("create_in_syscall_from_ctx");
	if (!skel)
		return;
	ASSERT_OK(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.create_in_syscall_from_ctx),
					 &opts), "test_run");
	ASSERT_EQ(opts.retval, 0, "retval");
	check_report(&ctx.report, ctx.cpus, 1);
	ASSERT_EQ(ctx.report.runs, 1, "runs");
	cpumask_create_prog_types__destroy(skel);
}

static bool cc_listed(const char *name)
{
	char buf[1024], *tok, *save;
	FILE *f;
	bool found = false;

	f = fopen("/proc/sys/net/ipv4/tcp_available_congestion_control", "r");
	if (!ASSERT_OK_PTR(f, "open tcp_available_congestion_control"))
		return false;
	if (fgets(buf, sizeof(buf), f))
		for (tok = strtok_r(buf, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save))
			found |= !strcmp(tok, name);
	fclose(f);
	return found;
}

/*
 * A loopback connection whose server side uses the BPF congestion control,
 * inherited by the accepted socket from the listener: it is initialised
 * when the connection is established, and its cong_avoid runs for the
 * ACKs of the data send_recv_data() sends from that side. @port: the
 * client's (network order), the destination port that init sees.
 */
static void run_connection(const char *name, __u16 *port)
{
	struct network_helper_opts opts = {
		.post_socket_cb = cc_post_socket_cb,
		.cb_opts = (void *)name,
	};
	char seen[16] = "";
	socklen_t len = sizeof(seen);
	int lfd, fd, cli_port;

	lfd = start_server_str(AF_INET, SOCK_STREAM, "127.0.0.1", 0, &opts);
	if (!ASSERT_OK_FD(lfd, "start_server_str"))
		return;
	ASSERT_OK(getsockopt(lfd, IPPROTO_TCP, TCP_CONGESTION, seen, &len), "getsockopt");
	ASSERT_STREQ(seen, name, "congestion control of the listener");
	fd = connect_to_fd_opts(lfd, NULL);
	if (ASSERT_OK_FD(fd, "connect_to_fd_opts")) {
		cli_port = get_socket_local_port(fd);
		if (ASSERT_GT(cli_port, 0, "client port"))
			*port = cli_port;
		ASSERT_OK(send_recv_data(lfd, fd, CC_BYTES), "send_recv_data");
	}
	/* send_recv_data() closed the server's side; a reset ends it at once */
	close_with_reset(fd);
	close(lfd);
}

static void test_struct_ops(void)
{
	struct cpumask_create_prog_types *skel;
	struct bpf_link *link;
	char name[16];
	__u16 port = 0;
	struct hook_report *r;

	skel = open_only(NULL);
	if (!skel)
		return;
	if (!set_struct_ops_name(skel->obj, skel->maps.cpumask_cc, "", name, sizeof(name))) {
		cpumask_create_prog_types__destroy(skel);
		return;
	}
	if (!load_or_skip(skel, BPF_PROG_TYPE_STRUCT_OPS))
		return;
	ASSERT_FALSE(cc_listed(name), "listed before attach");
	link = bpf_map__attach_struct_ops(skel->maps.cpumask_cc);
	if (!ASSERT_OK_PTR(link, "attach_struct_ops"))
		goto out;
	ASSERT_TRUE(cc_listed(name), "listed while attached");
	run_connection(name, &port);
	bpf_link__destroy(link);
	ASSERT_FALSE(cc_listed(name), "listed after the link is gone");

	r = &skel->bss->cc_init_report;
	check_report(r, skel->bss->hook_cpus, 1);
	ASSERT_EQ(r->runs, 1, "init runs for one connection");
	ASSERT_EQ(r->ctx_value, port, "destination port seen by init");
	check_report(&skel->bss->cc_cong_avoid_report, skel->bss->hook_cpus, 1);
	printf("cong_avoid ran %u times for %d bytes\n", skel->bss->cc_cong_avoid_report.runs,
	       CC_BYTES);
out:
	cpumask_create_prog_types__destroy(skel);
}

static struct bpf_link *attach_perf(struct bpf_program *prog, struct perf_event_attr *attr)
{
	struct bpf_link *link;
	int pfd;

	/* the test's own task, any CPU */
	pfd = syscall(__NR_perf_event_open, attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (!ASSERT_OK_FD(pfd, "perf_event_open"))
		return NULL;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!ASSERT_OK_PTR(link, "attach_perf_event")) {
		close(pfd);
		return NULL;
	}
	return link;
}

static void test_tracepoint(void)
{
	struct cpumask_create_prog_types *skel;
	struct hook_report *r;
	struct bpf_link *link;

	skel = load_only("create_in_tracepoint");
	if (!skel)
		return;
	/* the load above proves the verifier's consent; now fire it */
	if (skip_because(tracefs_enter()))
		goto out;
	link = bpf_program__attach(skel->progs.create_in_tracepoint);
	if (!ASSERT_OK_PTR(link, "attach"))
		goto out;
	syscall(SYS_getppid);
	bpf_link__destroy(link);
	tracefs_leave();
	r = &skel->bss->tracepoint_report;
	check_report(r, skel->bss->hook_cpus, 1);
	ASSERT_EQ(r->runs, 1, "hook runs for one getppid()");
	ASSERT_EQ(r->ctx_value, SYS_getppid, "syscall number");
out:
	tracefs_leave();
	cpumask_create_prog_types__destroy(skel);
}

static void test_perf_event(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 100000,	/* ns of CPU time */
	};
	struct cpumask_create_prog_types *skel;
	struct hook_report *r;
	struct bpf_link *link;
	struct timespec t0, t;

	skel = load_only("create_in_perf_event");
	if (!skel)
		return;
	link = attach_perf(skel->progs.create_in_perf_event, &attr);
	if (!link)
		goto out;
	r = &skel->bss->perf_event_report;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {	/* burn CPU time until the event fired a few times */
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (__atomic_load_n(&r->runs, __ATOMIC_RELAXED) < PERF_RUNS &&
		 t.tv_sec - t0.tv_sec < 5);
	bpf_link__destroy(link);
	check_report(r, skel->bss->hook_cpus, PERF_RUNS);
	ASSERT_EQ(r->ctx_value, attr.sample_period, "sample period");
out:
	cpumask_create_prog_types__destroy(skel);
}

void serial_test_cpumask_create_prog_types(void)
{
	size_t i;

	if (skip_because(cpumask_create_unsupported()))
		return;
	nr_cpus = libbpf_num_possible_cpus();
	if (!ASSERT_GT(nr_cpus, 0, "libbpf_num_possible_cpus"))
		return;
	for (i = 0; i < ARRAY_SIZE(file_open_hooks); i++)
		if (test__start_subtest(file_open_hooks[i].subtest))
			test_file_open_hook(&file_open_hooks[i]);
	if (test__start_subtest("tp_btf"))
		test_tp_btf();
	if (test__start_subtest("iter_task"))
		test_iter_task();
	if (test__start_subtest("struct_ops_tcp_cc"))
		test_struct_ops();
	if (test__start_subtest("syscall"))
		test_syscall();
	if (test__start_subtest("syscall_ctx"))
		test_syscall_ctx();
	if (test__start_subtest("tracepoint"))
		test_tracepoint();
	if (test__start_subtest("perf_event"))
		test_perf_event();
}
