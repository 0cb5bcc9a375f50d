// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() from each program type: one body, loaded as the
 * type. A type the kernel allows must load (cpumask_create_type_verdict()),
 * then the test fires its hook and the body must have run and found its
 * mask right; a type it refuses must be refused with the verifier's message.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <test_progs.h>
#include "network_helpers.h"
#include "cpumask_create_helpers.h"
#include "cpumask_create_prog_types.skel.h"

#define TRIGGER_FILE	"/dev/null"
#define CC_BYTES	(64 << 10)	/* through the congestion control */
#define PERF_RUNS	3		/* perf_event samples to wait for */

static char cc_name[16];	/* the congestion control's, of this process */

static bool attach_and(struct bpf_program *prog, void (*trigger)(void))
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!ASSERT_OK_PTR(link, "attach"))
		return false;
	trigger();
	bpf_link__destroy(link);
	return true;
}

static void open_file(void)
{
	int fd = open(TRIGGER_FILE, O_RDONLY);

	/* the hook must not change the outcome */
	if (ASSERT_OK_FD(fd, "open " TRIGGER_FILE))
		close(fd);
}

static void call_getpgid(void)
{
	syscall(SYS_getpgid, 0);
}

static void call_getppid(void)
{
	syscall(SYS_getppid);
}

static bool fire_file_open(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	return attach_and(prog, open_file);
}

static bool fire_lsm(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	return !skip_because(bpf_lsm_inactive()) && attach_and(prog, open_file);
}

static bool fire_sys_enter(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	return attach_and(prog, call_getpgid);
}

/* libbpf attaches tp/ through tracefs */
static bool fire_tracepoint(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	bool ok;

	if (skip_because(tracefs_enter()))
		return false;
	ok = attach_and(prog, call_getppid);
	tracefs_leave();
	return ok;
}

static bool fire_syscall(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	return run_prog_ok(prog);
}

static bool fire_iter(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	char buf[64];
	int fd, n = -1;

	if (!ASSERT_OK_PTR(link, "attach_iter"))
		return false;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (ASSERT_OK_FD(fd, "bpf_iter_create")) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		close(fd);
	}
	bpf_link__destroy(link);
	return ASSERT_OK(n, "read iterator");
}

/* a cpu-clock event on the test's task, fed CPU time until it fired */
static bool fire_perf_event(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = 100000,	/* ns */
	};
	struct bpf_link *link;
	struct timespec t0, t;
	int pfd;

	pfd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (!ASSERT_OK_FD(pfd, "perf_event_open"))
		return false;
	link = bpf_program__attach_perf_event(prog, pfd);
	if (!ASSERT_OK_PTR(link, "attach_perf_event")) {
		close(pfd);
		return false;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (__atomic_load_n(&skel->bss->runs, __ATOMIC_RELAXED) < PERF_RUNS &&
		 t.tv_sec - t0.tv_sec < 5);
	bpf_link__destroy(link);
	return true;
}

/*
 * A loopback connection whose server side inherits the congestion control
 * from the listener: init runs once, when it is established.
 */
static bool fire_struct_ops(struct cpumask_create_prog_types *skel, struct bpf_program *prog)
{
	struct network_helper_opts opts = {
		.post_socket_cb = cc_post_socket_cb,
		.cb_opts = cc_name,
	};
	struct bpf_link *link;
	int lfd, fd;

	link = bpf_map__attach_struct_ops(skel->maps.cpumask_cc);
	if (!ASSERT_OK_PTR(link, "attach_struct_ops"))
		return false;
	lfd = start_server_str(AF_INET, SOCK_STREAM, "127.0.0.1", 0, &opts);
	if (ASSERT_OK_FD(lfd, "start_server_str")) {
		fd = connect_to_fd_opts(lfd, NULL);
		if (ASSERT_OK_FD(fd, "connect_to_fd_opts"))
			ASSERT_OK(send_recv_data(lfd, fd, CC_BYTES), "send_recv_data");
		/* no socket of it is left closing with the congestion control */
		close_with_reset(fd);
		close(lfd);
	}
	bpf_link__destroy(link);
	return true;
}

static const struct {
	const char *name;	/* the subtest; its program is create_in_<name> */
	const char *(*unsupported)(void);	/* what loading needs */
	/* NULL: refused everywhere */
	bool (*fire)(struct cpumask_create_prog_types *skel, struct bpf_program *prog);
	__u32 runs;		/* body runs per firing; 0: at least PERF_RUNS */
} types[] = {
	{ "fentry", trampoline_unsupported, fire_file_open, 1 },
	{ "fexit", trampoline_unsupported, fire_file_open, 1 },
	{ "fmod_ret", trampoline_unsupported, fire_file_open, 1 },
	{ "lsm", trampoline_unsupported, fire_lsm, 1 },
	{ "lsm_sleepable", trampoline_unsupported, fire_lsm, 1 },
	{ "tp_btf", NULL, fire_sys_enter, 1 },
	{ "raw_tp", NULL, fire_sys_enter, 1 },
	{ "iter", NULL, fire_iter, 1 },
	{ "syscall", NULL, fire_syscall, 1 },
	{ "tracepoint", NULL, fire_tracepoint, 1 },
	{ "perf_event", NULL, fire_perf_event, 0 },
	{ "struct_ops", NULL, fire_struct_ops, 1 },
	{ "kprobe" }, { "xdp" }, { "tc" }, { "socket_filter" }, { "cgroup_skb" },
	{ "cgroup_sock" }, { "sk_lookup" }, { "flow_dissector" },
};

static void test_prog_type(int i, int nr_cpus)
{
	bool struct_ops = !strcmp(types[i].name, "struct_ops");
	static char log[64 * 1024];
	struct bpf_program *prog;
	char name[64];
	struct stat st;
	struct cpumask_create_prog_types *skel;
	int err;

	if (types[i].unsupported && skip_because(types[i].unsupported()))
		return;
	if (!ASSERT_OK(stat(TRIGGER_FILE, &st), "stat " TRIGGER_FILE))
		return;
	skel = cpumask_create_prog_types__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	snprintf(name, sizeof(name), "create_in_%s", types[i].name);
	/* struct_ops programs load with their map, the others alone */
	autoload_only(skel->obj, struct_ops ? NULL : name, log, sizeof(log));
	prog = bpf_object__find_program_by_name(skel->obj, name);
	if (!ASSERT_OK_PTR(prog, name))
		goto out;
	bpf_program__set_log_buf(prog, log, sizeof(log));
	bpf_map__set_autocreate(skel->maps.cpumask_cc, struct_ops);
	if (struct_ops && !set_struct_ops_name(skel->obj, skel->maps.cpumask_cc, "", cc_name,
					       sizeof(cc_name)))
		goto out;
	skel->bss->nr_cpus = nr_cpus;
	skel->bss->target_pid = getpid();
	skel->bss->target_ino = st.st_ino;
	skel->data->target_syscall = SYS_getpgid;

	log[0] = '\0';
	err = cpumask_create_prog_types__load(skel);
	if (err) {
		/* refused: the verifier's EACCES, with its message, before the type's floor */
		if (strstr(log, CPUMASK_CREATE_NOT_ALLOWED)) {
			cpumask_create_type_verdict(bpf_program__type(prog), false, log);
			ASSERT_EQ(err, -EACCES, "load error");
		} else if (!ASSERT_OK(err, "load")) {
			printf("VERIFIER LOG:\n%s\n", log);
		}
		goto out;
	}
	if (!cpumask_create_type_verdict(bpf_program__type(prog), true, log) ||
	    !types[i].fire(skel, prog))
		goto out;
	if (types[i].runs)
		ASSERT_EQ(skel->bss->runs, types[i].runs, "runs");
	else
		ASSERT_GE(skel->bss->runs, PERF_RUNS, "runs");
	ASSERT_EQ(skel->bss->err, 0, "first failed check");
out:
	cpumask_create_prog_types__destroy(skel);
}

void serial_test_cpumask_create_prog_types(void)
{
	int i, nr_cpus = libbpf_num_possible_cpus();

	if (skip_because(cpumask_create_unsupported()) ||
	    !ASSERT_GT(nr_cpus, 0, "libbpf_num_possible_cpus"))
		return;
	for (i = 0; i < ARRAY_SIZE(types); i++)
		if (test__start_subtest(types[i].name))
			test_prog_type(i, nr_cpus);
}
