// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cpumask_create() where most of its callers live: a sched_ext
 * scheduler (progs/cpumask_create_sched_ext.c). The test attaches it, makes
 * it schedule threads whose affinity keeps changing, and asserts that it
 * was the system's scheduler meanwhile, that every callback ran and made
 * its masks, that every CPU select_cpu picked was one its task was allowed
 * at that moment, and that every mask made was freed once the scheduler
 * went: detached (run) or after scx_bpf_error() (error_exit). Then which
 * callbacks may create masks, sleepable and not (create_in_<callback>),
 * and that a mask outlives a callback only through a kptr (keep_in_kptr).
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
#define GENS		24	/* affinity changes per thread */
#define WAKES		8	/* sleeps (wakeups) per generation */
#define WAIT_MS		30000	/* for the scheduler to go, its masks to be freed */
#define UNSUPPORTED_MEMBER	"attach to unsupported member"
#ifndef ENOTSUPP
#define ENOTSUPP	524	/* the kernel's own, not EOPNOTSUPP */
#endif

static const char *sched_ext_unsupported(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id = btf ? btf__find_by_name_kind(btf, "sched_ext_ops", BTF_KIND_STRUCT) : -1;

	btf__free(btf);
	if (id < 0 || access(SCX_STATE, R_OK))
		return "sched_ext not available";
	return NULL;
}

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

/* The value of enumerator @name of the kernel's enum scx_exit_kind, -1 if none. */
static long long exit_kind(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_enum *e;
	const struct btf_type *t;
	long long val = -1;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, "scx_exit_kind", BTF_KIND_ENUM) : -1;
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (i = 0, e = t ? btf_enum(t) : NULL; e && i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			val = e->val;
	btf__free(btf);
	return val;
}

/* Open the object with only the struct_ops map @name (none: NULL) to create. */
static struct cpumask_create_sched_ext *open_only(const char *name)
{
	struct bpf_map *map;
	struct cpumask_create_sched_ext *skel;

	skel = cpumask_create_sched_ext__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(map, skel->obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, name && !strcmp(bpf_map__name(map), name));
	bpf_program__set_autoload(skel->progs.count_release, false);
	bpf_program__set_autoload(skel->progs.read_watched, false);
	bpf_program__set_autoload(skel->progs.probe_error_kfunc, false);
	return skel;
}

/*
 * The observer: a second copy of the object, loaded first, that owns the
 * maps the scheduler shares (live_masks, watched), so that it outlives the
 * scheduler's own maps; it counts releases with count_release unless the
 * kernel refuses trampolines (@no_counter), and reads watched masks.
 */
static struct cpumask_create_sched_ext *open_observer(const char *no_counter)
{
	struct cpumask_create_sched_ext *skel = open_only(NULL);

	if (!skel)
		return NULL;
	bpf_program__set_autoload(skel->progs.count_release, !no_counter);
	bpf_program__set_autoload(skel->progs.read_watched, true);
	bpf_program__set_autoload(skel->progs.probe_error_kfunc, true);
	if (!ASSERT_OK(cpumask_create_sched_ext__load(skel), "load observer") ||
	    !run_prog_ok(skel->progs.probe_error_kfunc))
		goto fail;
	if (!no_counter) {
		skel->links.count_release = bpf_program__attach(skel->progs.count_release);
		if (!ASSERT_OK_PTR(skel->links.count_release, "attach release counter"))
			goto fail;
	}
	return skel;
fail:
	cpumask_create_sched_ext__destroy(skel);
	return NULL;
}

/* How many references @n watched masks have: true when all have @refs. */
static bool watched_have(struct cpumask_create_sched_ext *observer, int n, int refs)
{
	int i;

	if (!run_prog_ok(observer->progs.read_watched))
		return false;
	for (i = 0; i < n; i++)
		if (observer->bss->watched_refs[i] != refs)
			return false;
	return true;
}

/* One thread of the load: its affinity per generation, 0 the inherited one. */
struct worker {
	pthread_t thread;
	struct scx_worker *shared;	/* in the scheduler's .bss */
	cpu_set_t masks[GENS + 1];
	int err;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	int g, k;

	__atomic_store_n(&w->shared->gen, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&w->shared->tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	for (g = 1; g <= GENS && !w->err; g++) {
		/* picks while the mask changes are checked against both */
		__atomic_store_n(&w->shared->gen, g | SCX_GEN_MOVING, __ATOMIC_SEQ_CST);
		if (sched_setaffinity(0, sizeof(w->masks[g]), &w->masks[g]))
			w->err = errno;
		__atomic_store_n(&w->shared->gen, g, __ATOMIC_SEQ_CST);
		for (k = 0; k < WAKES; k++)
			usleep(200);
	}
	return NULL;
}

static __u64 bits_of(const cpu_set_t *set)
{
	__u64 bits = 0;
	int cpu;

	for (cpu = 0; cpu < 64; cpu++)
		if (CPU_ISSET(cpu, set))
			bits |= 1ULL << cpu;
	return bits;
}

/*
 * Run SCX_WORKERS threads through GENS affinities each (fixed patterns over
 * the CPUs this process may use, below 64), then check every pick.
 */
static void run_load(struct cpumask_create_sched_ext *skel, struct worker *w)
{
	int cpus[64], n = 0, i, g, cpu;
	cpu_set_t all;

	if (!ASSERT_OK(sched_getaffinity(0, sizeof(all), &all), "sched_getaffinity"))
		return;
	for (cpu = 0; cpu < 64; cpu++)
		if (CPU_ISSET(cpu, &all))
			cpus[n++] = cpu;
	if (!ASSERT_GT(n, 0, "CPUs below 64"))
		return;
	memset(w, 0, sizeof(*w) * SCX_WORKERS);
	memset(skel->bss->workers, 0, sizeof(skel->bss->workers));
	for (i = 0; i < SCX_WORKERS; i++) {
		w[i].shared = &skel->bss->workers[i];
		w[i].masks[0] = all;
		for (g = 1; g <= GENS; g++) {
			/* a non-empty subset of cpus[], different each time */
			__u32 pattern = 1 + (i + g) % ((1U << (n < 16 ? n : 16)) - 1);
			int b;

			CPU_ZERO(&w[i].masks[g]);
			for (b = 0; b < n && b < 16; b++)
				if (pattern & (1U << b))
					CPU_SET(cpus[b], &w[i].masks[g]);
		}
	}
	for (i = 0; i < SCX_WORKERS; i++)
		if (!ASSERT_OK(pthread_create(&w[i].thread, NULL, worker_fn, &w[i]),
			       "pthread_create"))
			break;
	while (i-- > 0) {
		pthread_join(w[i].thread, NULL);
		ASSERT_OK(w[i].err, "worker sched_setaffinity");
	}
}

/*
 * Every pick recorded for a thread was a CPU it was allowed then; some were
 * made while its affinity stood still, unless @few (the scheduler stops at
 * the first).
 */
static void check_picks(struct cpumask_create_sched_ext *skel, struct worker *w, bool few)
{
	int fd = bpf_map__fd(skel->maps.picks);
	__u64 exact = 0, moving = 0, bad = 0;
	struct scx_pick_key key, next;
	struct scx_picks v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u32 g = next.gen & ~SCX_GEN_MOVING;
		__u64 allowed = 0;
		int i;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v)) {
			PRINT_FAIL("lookup pick: %s\n", strerror(errno));
			return;
		}
		for (i = 0; i < SCX_WORKERS; i++)
			if (w[i].shared->tid == key.tid)
				break;
		if (i == SCX_WORKERS || g > GENS) {
			PRINT_FAIL("pick of thread %u gen %u: no such thread or generation\n",
				   key.tid, g);
			continue;
		}
		allowed = bits_of(&w[i].masks[g]);
		if (key.gen & SCX_GEN_MOVING) {
			allowed |= bits_of(&w[i].masks[g - 1]);
			moving += v.count;
		} else {
			exact += v.count;
		}
		if (v.beyond || (v.cpus & ~allowed)) {
			bad += v.count;
			PRINT_FAIL("thread %u gen %u%s: picked %#llx (%llu > 63), allowed %#llx\n",
				   key.tid, g, key.gen & SCX_GEN_MOVING ? " (changing)" : "",
				   (unsigned long long)v.cpus, (unsigned long long)v.beyond,
				   (unsigned long long)allowed);
		}
	}
	printf("select_cpu picks of the test's threads: %llu checked, %llu moving, %llu bad\n",
	       (unsigned long long)exact, (unsigned long long)moving, (unsigned long long)bad);
	ASSERT_GT(exact + moving, 0, "picks checked");
	if (!few)
		ASSERT_GT(exact, 0, "picks checked against a settled affinity");
	ASSERT_EQ(bad, 0, "picks of CPUs not allowed");
	ASSERT_EQ(skel->bss->picks_lost, 0, "picks not recorded");
}

static void print_counts(const char *cb, const struct scx_cb_counts *c)
{
	printf("%-10s calls %llu, masks created %llu, released %llu, replaced %llu\n", cb,
	       (unsigned long long)c->calls, (unsigned long long)c->created,
	       (unsigned long long)c->released, (unsigned long long)c->replaced);
}

/* What the scheduler's .bss said when it went. */
struct sched_counts {
	struct scx_cb_counts init, init_task, exit_task, select;
	__u64 exit_calls, exit_kind, untracked, no_storage, errors_raised;
};

static void save_counts(struct cpumask_create_sched_ext *skel, struct sched_counts *s)
{
	s->init = skel->bss->cb_init;
	s->init_task = skel->bss->cb_init_task;
	s->exit_task = skel->bss->cb_exit_task;
	s->select = skel->bss->cb_select;
	s->exit_calls = skel->bss->exit_calls;
	s->exit_kind = skel->bss->exit_kind;
	s->untracked = skel->bss->untracked;
	s->no_storage = skel->bss->no_storage;
	s->errors_raised = skel->bss->errors_raised;
	print_counts("init", &s->init);
	print_counts("init_task", &s->init_task);
	print_counts("exit_task", &s->exit_task);
	print_counts("select_cpu", &s->select);
	printf("exit       calls %llu, kind %llu\n", (unsigned long long)s->exit_calls,
	       (unsigned long long)s->exit_kind);
}

/* Attach @skel; assert it is the system's scheduler now. */
static struct bpf_link *attach_sched(struct cpumask_create_sched_ext *skel, const char *name)
{
	struct bpf_link *link;
	char ops[160];

	link = bpf_map__attach_struct_ops(skel->maps.cm_sched);
	if (!ASSERT_OK_PTR(link, "attach scheduler"))
		return NULL;
	if (wait_state("enabled"))
		printf("scheduler loaded: %s: enabled, %s: %s\n", SCX_STATE, SCX_OPS,
		       read_line(SCX_OPS, ops, sizeof(ops)));
	ASSERT_STREQ(read_line(SCX_OPS, ops, sizeof(ops)), name, SCX_OPS);
	return link;
}

/*
 * After the scheduler went: the masks the callbacks created were released
 * by them (select_cpu, exit_task); once its maps are freed, the global
 * ones by the kptr destructor: seen by @observer as the scheduler's
 * reference gone from each, and, unless @no_counter, every mask created
 * counted at its release.
 */
static void check_freed(const struct sched_counts *s, struct cpumask_create_sched_ext *observer,
			const char *no_counter)
{
	__u64 want[SCX_NR_ORIGINS] = {
		s->init.created, s->init_task.created, s->select.created,
	};
	__u64 *freed = observer->bss->freed, key;
	int i, fd, left, n = s->init.created;
	bool dtor_ran = false;

	ASSERT_GT(s->select.created, 0, "select_cpu created masks");
	ASSERT_EQ(s->select.released, s->select.created, "select_cpu released its masks");
	ASSERT_GT(s->init_task.created, 0, "init_task created masks");
	ASSERT_EQ(s->exit_task.released + s->init_task.replaced, s->init_task.created,
		  "per-task masks released by exit_task");
	ASSERT_EQ(s->no_storage, 0, "exit_task without init_task's storage");
	if (!ASSERT_LE(n, ARRAY_SIZE(observer->bss->watched_refs), "global masks watched"))
		return;
	for (i = 0; i < WAIT_MS / 10; i++) {
		dtor_ran = watched_have(observer, n, 1);
		if (dtor_ran && (no_counter || !memcmp(freed, want, sizeof(want))))
			break;
		kern_sync_rcu();
		usleep(10000);
	}
	printf("global masks left with only the test's reference: %s (%d masks)\n",
	       dtor_ran ? "all" : "not all", n);
	ASSERT_TRUE(dtor_ran, "scheduler's references to global masks dropped at map free");
	if (skip_because(no_counter))
		return;
	printf("masks freed: init %llu/%llu, init_task %llu/%llu, select_cpu %llu/%llu\n",
	       (unsigned long long)freed[0], (unsigned long long)want[0],
	       (unsigned long long)freed[1], (unsigned long long)want[1],
	       (unsigned long long)freed[2], (unsigned long long)want[2]);
	ASSERT_EQ(s->untracked, 0, "masks not tracked");
	for (i = 0; i < SCX_NR_ORIGINS; i++)
		ASSERT_EQ(freed[i], want[i], "masks released, by origin");
	fd = bpf_map__fd(observer->maps.live_masks);
	for (left = 0; !bpf_map_get_next_key(fd, left ? &key : NULL, &key); left++)
		;
	ASSERT_EQ(left, 0, "masks never released");
}

static struct cpumask_create_sched_ext *
load_sched(struct cpumask_create_sched_ext *observer, bool track, char *name, size_t len)
{
	struct cpumask_create_sched_ext *skel = open_only("cm_sched");

	if (!skel)
		return NULL;
	skel->bss->track_masks = track;
	if (!ASSERT_OK(bpf_map__reuse_fd(skel->maps.live_masks,
					 bpf_map__fd(observer->maps.live_masks)), "live_masks") ||
	    !ASSERT_OK(bpf_map__reuse_fd(skel->maps.watched,
					 bpf_map__fd(observer->maps.watched)), "watched") ||
	    !set_struct_ops_name(skel->obj, skel->maps.cm_sched, "s", name, len) ||
	    !ASSERT_OK(cpumask_create_sched_ext__load(skel), "load scheduler")) {
		cpumask_create_sched_ext__destroy(skel);
		return NULL;
	}
	return skel;
}

/* @error: end through scx_bpf_error() instead of detaching. */
static void test_run(bool error)
{
	const char *no_counter = trampoline_unsupported();
	struct worker w[SCX_WORKERS];
	struct cpumask_create_sched_ext *skel = NULL, *observer;
	struct sched_counts s;
	struct bpf_link *link;
	char name[16], state[32];
	__u64 replaced;

	if (!ASSERT_STREQ(read_line(SCX_STATE, state, sizeof(state)), "disabled",
			  "no other sched_ext scheduler"))
		return;
	observer = open_observer(no_counter);
	if (!observer)
		return;
	if (error && skip_because(observer->bss->has_error_kfunc ? NULL :
				  "scx_bpf_error_bstr not available"))
		goto out;
	skel = load_sched(observer, !no_counter, name, sizeof(name));
	if (!skel)
		goto out;

	link = attach_sched(skel, name);
	if (!link)
		goto out;
	/* the watcher works: init's masks, held by the scheduler and by us */
	ASSERT_TRUE(watched_have(observer, 2, 2), "global masks have two references");
	if (error)
		skel->bss->error_requested = 1;
	run_load(skel, w);
	if (error) {
		/* the kernel disables the scheduler itself, from a worker */
		wait_state("disabled");
		ASSERT_GT(skel->bss->errors_raised, 0, "scx_bpf_error() called");
		ASSERT_EQ(skel->bss->exit_calls, 1, "exit ran");
		ASSERT_EQ(skel->bss->exit_kind, exit_kind("SCX_EXIT_ERROR_BPF"),
			  "exit kind SCX_EXIT_ERROR_BPF");
	} else {
		char state[32];

		ASSERT_STREQ(read_line(SCX_STATE, state, sizeof(state)), "enabled",
			     "still enabled after the load");
	}
	bpf_link__destroy(link);
	ASSERT_TRUE(wait_state("disabled"), "disabled after detach");
	check_picks(skel, w, error);

	if (!error) {
		ASSERT_EQ(skel->bss->exit_kind, exit_kind("SCX_EXIT_UNREG"),
			  "exit kind SCX_EXIT_UNREG");
		/* again: ops.init finds the masks of the first in the slots */
		replaced = skel->bss->cb_init.replaced;
		link = attach_sched(skel, name);
		if (!link)
			goto out;
		bpf_link__destroy(link);
		ASSERT_TRUE(wait_state("disabled"), "disabled after the second detach");
		ASSERT_EQ(skel->bss->cb_init.calls, 2, "init ran per attach");
		ASSERT_EQ(replaced, 0, "first init found the slots empty");
		ASSERT_EQ(skel->bss->cb_init.replaced, 2, "second init released the first's masks");
		ASSERT_EQ(skel->bss->exit_calls, 2, "exit ran per attach");
	} else {
		ASSERT_EQ(skel->bss->cb_init.calls, 1, "init ran");
	}
	ASSERT_EQ(skel->bss->cb_init.created, 2 * skel->bss->cb_init.calls, "init's masks");
	save_counts(skel, &s);
	ASSERT_GT(s.init_task.calls, 0, "init_task ran");
	ASSERT_GT(s.exit_task.calls, 0, "exit_task ran");
	ASSERT_GT(s.select.calls, 0, "select_cpu ran");
	/* the idle mask getter resolves for every call or for none */
	if (skel->bss->picks_from_idle)
		ASSERT_EQ(skel->bss->picks_from_idle, s.select.created, "picks from the idle mask");
	else if (s.select.created)
		printf("%s: no scx_bpf_get_idle_cpumask kfunc: picks from allowed CPUs alone\n",
		       __func__);
	/* the scheduler's maps go with it: global masks by their destructor */
	cpumask_create_sched_ext__destroy(skel);
	skel = NULL;
	check_freed(&s, observer, no_counter);
out:
	cpumask_create_sched_ext__destroy(skel);
	cpumask_create_sched_ext__destroy(observer);
}

/* Load a struct_ops map alone; return the load error, its verifier log in @log. */
static int load_alone(const char *map, const char *prog, char *log, size_t len)
{
	struct cpumask_create_sched_ext *skel = open_only(map);
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
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = create },
		{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 2 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = release },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
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

	if (skip_because(cpumask_create_unsupported()) || skip_because(sched_ext_unsupported()))
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
