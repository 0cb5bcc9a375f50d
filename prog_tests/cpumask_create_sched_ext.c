// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() where most of its callers live: a sched_ext
 * scheduler (progs/cpumask_create_sched_ext.c). The test attaches it, runs a
 * few threads that change their affinity and sleep, and asserts that it was
 * the system's scheduler meanwhile, that every callback ran, that exit_task
 * released the masks init_task made, that its own checks held (every CPU
 * select_cpu picked was allowed, the exit kind), and that the kptr
 * destructor dropped the global masks once the scheduler went: detached
 * (run) or after scx_bpf_error() (error_exit). Then which callbacks may
 * create masks, sleepable and not (create_in_<callback>), and the
 * verifier's rules for them.
 *
 * Serial: the scheduler replaces the system's for every normal task.
 */
#include <pthread.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_sched_ext.skel.h"

#define SCX_STATE	"/sys/kernel/sched_ext/state"
#define SCX_OPS		"/sys/kernel/sched_ext/root/ops"
#define SCHED_NAME	"cm_sched"
#define THREADS		4
#define ROUNDS		24	/* affinity changes per thread */
#define WAKES		8	/* sleeps (wakeups) per affinity */
#define WAIT_MS		30000	/* for the scheduler to go, its masks to be dropped */
#define UNSUPPORTED_MEMBER	"attach to unsupported member"
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's own, not EOPNOTSUPP */
#endif

/* The first line of a sysfs file, without its newline; "" if unreadable. */
static const char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, len, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static bool wait_state(const char *want)
{
	char state[32];
	int i;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (!strcmp(read_line(SCX_STATE, state, sizeof(state)), want))
			return true;
		usleep(10000);
	}
	return ASSERT_STREQ(state, want, SCX_STATE);
}

/*
 * Open the object with only the struct_ops map @map to create; with none
 * (NULL), the observer: its syscall programs, and the watched map that the
 * scheduler shares, so that it outlives the scheduler's maps.
 */
static struct cpumask_create_sched_ext *open_sched(const char *map)
{
	struct cpumask_create_sched_ext *skel = cpumask_create_sched_ext__open();
	struct bpf_map *m;

	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(m, skel->obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(m, map && !strcmp(bpf_map__name(m), map));
	bpf_program__set_autoload(skel->progs.read_watched, !map);
	bpf_program__set_autoload(skel->progs.probe_error_kfunc, !map);
	return skel;
}

/* True once the first @n watched masks have @refs references each. */
static bool watched_have(struct cpumask_create_sched_ext *observer, int n, int refs)
{
	int i, j;

	for (i = 0; i < WAIT_MS / 10; i++) {
		if (!run_prog_ok(observer->progs.read_watched))
			return false;
		for (j = 0; j < n && observer->bss->watched_refs[j] == refs; j++)
			;
		if (j == n)
			return true;
		kern_sync_rcu();
		usleep(10000);
	}
	return false;
}

static cpu_set_t test_cpus;

/* Each round: every CPU of test_cpus, or all but one; then sleep. */
static void *load_thread(void *arg)
{
	int r, k, cpu, skip;
	cpu_set_t set;

	for (r = 0; r < ROUNDS; r++) {
		set = test_cpus;
		skip = ((long)arg + r) % (CPU_COUNT(&test_cpus) + 1);
		for (cpu = 0; cpu < CPU_SETSIZE && skip; cpu++)
			if (CPU_ISSET(cpu, &set) && !--skip)
				CPU_CLR(cpu, &set);
		if (CPU_COUNT(&set) && sched_setaffinity(0, sizeof(set), &set))
			return (void *)(long)errno;
		for (k = 0; k < WAKES; k++)
			usleep(200);
	}
	return NULL;
}

static void run_load(void)
{
	pthread_t threads[THREADS];
	void *ret;
	long i;

	if (!ASSERT_OK(sched_getaffinity(0, sizeof(test_cpus), &test_cpus), "sched_getaffinity"))
		return;
	for (i = 0; i < THREADS; i++)
		if (!ASSERT_OK(pthread_create(&threads[i], NULL, load_thread, (void *)i),
			       "pthread_create"))
			break;
	while (i-- > 0) {
		pthread_join(threads[i], &ret);
		ASSERT_OK((long)ret, "sched_setaffinity");
	}
}

/* Attach @skel; assert it is the system's scheduler now. */
static struct bpf_link *attach_sched(struct cpumask_create_sched_ext *skel)
{
	struct bpf_link *link;
	char ops[160];

	link = bpf_map__attach_struct_ops(skel->maps.cm_sched);
	if (!ASSERT_OK_PTR(link, "attach scheduler"))
		return NULL;
	wait_state("enabled");
	ASSERT_STREQ(read_line(SCX_OPS, ops, sizeof(ops)), SCHED_NAME, SCX_OPS);
	return link;
}

static void check_counts(const char *cb, const struct scx_cb_counts *c)
{
	printf("%-10s calls %llu, masks created %llu, released %llu, replaced %llu\n", cb,
	       (unsigned long long)c->calls, (unsigned long long)c->created,
	       (unsigned long long)c->released, (unsigned long long)c->replaced);
	ASSERT_GT(c->calls, 0, cb);
}

/* @error: end through scx_bpf_error() instead of detaching. */
static void test_run(bool error)
{
	struct cpumask_create_sched_ext *skel = NULL, *observer;
	struct cpumask_create_sched_ext__bss *bss;
	struct bpf_link *link;
	char state[32];
	int n;

	if (!ASSERT_STREQ(read_line(SCX_STATE, state, sizeof(state)), "disabled",
			  "no other sched_ext scheduler"))
		return;
	observer = open_sched(NULL);
	if (!observer || !ASSERT_OK(cpumask_create_sched_ext__load(observer), "load observer") ||
	    !run_prog_ok(observer->progs.probe_error_kfunc))
		goto out;
	if (error && skip_because(observer->bss->has_error_kfunc ? NULL :
				  "scx_bpf_error_bstr not available"))
		goto out;
	skel = open_sched("cm_sched");
	if (!skel ||
	    !ASSERT_OK(bpf_map__reuse_fd(skel->maps.watched, bpf_map__fd(observer->maps.watched)),
		       "share watched") ||
	    !ASSERT_OK(cpumask_create_sched_ext__load(skel), "load scheduler"))
		goto out;
	bss = skel->bss;

	link = attach_sched(skel);
	if (!link)
		goto out;
	/* init's masks, held by the scheduler and by the observer */
	ASSERT_TRUE(watched_have(observer, 2, 2), "global masks have two references");
	bss->error_requested = error;
	run_load();
	if (error) {
		/* the kernel disables the scheduler itself */
		wait_state("disabled");
		ASSERT_GT(bss->errors_raised, 0, "scx_bpf_error() called");
	} else {
		ASSERT_STREQ(read_line(SCX_STATE, state, sizeof(state)), "enabled",
			     "still enabled after the load");
	}
	bpf_link__destroy(link);
	ASSERT_TRUE(wait_state("disabled"), "disabled after detach");
	ASSERT_EQ(bss->exit_calls, 1, "exit ran");
	ASSERT_EQ(bss->cb_init.replaced, 0, "first init found the slots empty");
	if (!error) {
		/* again: ops.init finds the first one's masks in the slots */
		link = attach_sched(skel);
		bpf_link__destroy(link);
		ASSERT_TRUE(wait_state("disabled"), "disabled after the second detach");
		ASSERT_EQ(bss->cb_init.replaced, 2, "second init released the first's masks");
		ASSERT_EQ(bss->exit_calls, 2, "exit ran per attach");
	}
	ASSERT_EQ(bss->err, 0, "line of the scheduler's first failed check");
	check_counts("init", &bss->cb_init);
	check_counts("init_task", &bss->cb_init_task);
	check_counts("exit_task", &bss->cb_exit_task);
	check_counts("select_cpu", &bss->cb_select);
	ASSERT_EQ(bss->cb_init.calls, error ? 1 : 2, "init ran per attach");
	ASSERT_EQ(bss->cb_init.created, 2 * bss->cb_init.calls, "init's masks");
	ASSERT_GT(bss->cb_select.created, 0, "select_cpu created masks");
	ASSERT_GT(bss->cb_init_task.created, 0, "init_task created masks");
	ASSERT_EQ(bss->cb_exit_task.released + bss->cb_init_task.replaced,
		  bss->cb_init_task.created, "per-task masks released by exit_task");
	ASSERT_EQ(bss->no_storage, 0, "exit_task without init_task's storage");

	/* the scheduler's maps go with it: its global masks by the destructor */
	n = bss->cb_init.created;
	if (!ASSERT_LE(n, ARRAY_SIZE(observer->bss->watched_refs), "global masks watched"))
		goto out;
	cpumask_create_sched_ext__destroy(skel);
	skel = NULL;
	ASSERT_TRUE(watched_have(observer, n, 1), "scheduler's references dropped at map free");
out:
	cpumask_create_sched_ext__destroy(skel);
	cpumask_create_sched_ext__destroy(observer);
}

/* Load a struct_ops map alone; return the load error, its verifier log in @log. */
static int load_alone(const char *map, const char *prog, char *log, size_t len)
{
	struct cpumask_create_sched_ext *skel = open_sched(map);
	int err;

	if (!skel)
		return -ENOENT;
	log[0] = '\0';
	bpf_program__set_log_buf(bpf_object__find_program_by_name(skel->obj, prog), log, len);
	err = cpumask_create_sched_ext__load(skel);
	cpumask_create_sched_ext__destroy(skel);
	return err;
}

/* sched_ext's own rules for masks: each refusal, and its twin that loads */
static const struct {
	const char *subtest;
	const char *map, *prog, *msg;	/* refused, and why */
	const char *twin_map, *twin_prog;
} rules[] = {
	/* a mask outlives a (non-sleepable) callback only in a kptr */
	{ "keep_in_kptr", "keep_plain_sched", "keep_plain_select_cpu", "Unreleased reference id=",
	  "keep_kptr_sched", "keep_kptr_select_cpu" },
	/* sleepable callbacks read p->cpus_ptr only under bpf_rcu_read_lock() */
	{ "sleepable_cpus_ptr_under_rcu", "copy_unlocked_sched", "copy_unlocked_init_task",
	  "R2 must be a rcu pointer", "copy_locked_sched", "copy_locked_init_task" },
};

static void test_rule(int i, char *log, size_t len)
{
	if (ASSERT_ERR(load_alone(rules[i].map, rules[i].prog, log, len), rules[i].prog) &&
	    !ASSERT_HAS_SUBSTR(log, rules[i].msg, "verifier log"))
		printf("VERIFIER LOG:\n%s\n", log);
	ASSERT_OK(load_alone(rules[i].twin_map, rules[i].twin_prog, log, len), rules[i].twin_prog);
}

/*
 * A callback that creates a mask and releases it, as a raw program: the
 * kfuncs by their BTF ids, attached to member @member of sched_ext_ops.
 */
static int load_create_in(int ops_id, int member, bool sleepable, int create, int release,
			  char *log, size_t len)
{
	struct bpf_insn insns[] = {
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, create),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_REG(BPF_REG_1, BPF_REG_0),
		BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, release),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = member,
		    .attach_btf_id = ops_id,
		    .prog_flags = sleepable ? BPF_F_SLEEPABLE : 0,
		    .log_buf = log, .log_size = len, .log_level = 1);
	int fd;

	log[0] = '\0';
	fd = bpf_prog_load(BPF_PROG_TYPE_STRUCT_OPS, "cm_create_in", "GPL", insns,
			   ARRAY_SIZE(insns), &opts);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/*
 * Every callback of the kernel's sched_ext_ops may create (and release) a
 * mask; the sleepable ones too, where sched_ext lets the callback sleep,
 * refused elsewhere for the sleeping, not for the mask.
 */
static void test_callbacks(char *log, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int ops_id, create, release, i, err, callbacks = 0;
	const struct btf_member *m;
	const struct btf_type *t;
	char subtest[64];

	if (!ASSERT_OK_PTR(btf, "vmlinux BTF"))
		return;
	ops_id = btf__find_by_name_kind(btf, "sched_ext_ops", BTF_KIND_STRUCT);
	create = btf__find_by_name_kind(btf, "bpf_cpumask_create", BTF_KIND_FUNC);
	release = btf__find_by_name_kind(btf, "bpf_cpumask_release", BTF_KIND_FUNC);
	t = btf__type_by_id(btf, ops_id);
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		const char *cb = btf__name_by_offset(btf, m->name_off);
		const struct btf_type *mt = btf__type_by_id(btf, m->type);

		while (mt && btf_is_mod(mt))
			mt = btf__type_by_id(btf, mt->type);
		if (!mt || !btf_is_ptr(mt) || !btf_is_func_proto(btf__type_by_id(btf, mt->type)))
			continue;
		err = load_create_in(ops_id, i, false, create, release, log, len);
		/* a member without a stub in the kernel: no callback to run */
		if (err == -ENOTSUPP && strstr(log, UNSUPPORTED_MEMBER)) {
			printf("%s: no callback in sched_ext_ops (ENOTSUPP): no subtest\n", cb);
			continue;
		}
		callbacks++;
		snprintf(subtest, sizeof(subtest), "create_in_%s", cb);
		if (!test__start_subtest(subtest))
			continue;
		if (!ASSERT_OK(err, "non-sleepable callback creates a mask")) {
			printf("VERIFIER LOG:\n%s\n", log);
			continue;
		}
		err = load_create_in(ops_id, i, true, create, release, log, len);
		if (err && !ASSERT_HAS_SUBSTR(log, UNSUPPORTED_MEMBER, "sleepable refused")) {
			printf("VERIFIER LOG:\n%s\n", log);
			continue;
		}
		printf("%s: may create masks: non-sleepable yes, sleepable %s\n", cb,
		       err ? "no (" UNSUPPORTED_MEMBER ")" : "yes");
	}
	btf__free(btf);
	/* at least those the scheduler above implements */
	ASSERT_GE(callbacks, 5, "callbacks found in sched_ext_ops");
}

void serial_test_cpumask_create_sched_ext(void)
{
	static char log[64 * 1024];
	size_t i;

	if (skip_because(cpumask_create_unsupported()) ||
	    skip_because(access(SCX_STATE, R_OK) ? "sched_ext not available" : NULL))
		return;
	if (test__start_subtest("run"))
		test_run(false);
	if (test__start_subtest("error_exit"))
		test_run(true);
	for (i = 0; i < ARRAY_SIZE(rules); i++)
		if (test__start_subtest(rules[i].subtest))
			test_rule(i, log, sizeof(log));
	test_callbacks(log, sizeof(log));
}
