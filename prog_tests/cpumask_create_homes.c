// SPDX-License-Identifier: GPL-2.0
/*
 * Every home a created mask can live in and every way each home ends: the
 * witness' reference count must go from 2 to 1 exactly once. See
 * docs/homes.md.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <test_progs.h>
#include "cpumask_create_helpers.h"
#include "../progs/cpumask_create_common.h"
#include "cpumask_create_homes.skel.h"

/* the kptr destructor struct bpf_cpumask registers (kernel/bpf/cpumask.c) */
#define DTOR_NAME		"bpf_cpumask_release_dtor"
/* map and object frees run from a workqueue after RCU grace periods */
#define FREE_WAIT_MS		5000
/* a hash's update or delete may leave the mask in freed memory until the map's free */
#define END_WAIT_MS		2000
/* a removed cgroup's storage goes with its css, after grace periods and a work item */
#define OWNER_WAIT_MS		10000
#define USER_PATTERN		0xdeadbeefdeadbeefULL
/* replace_under_readers: this long and this many swaps at least; a hand-off this slow fails */
#define REPLACE_MS		500
#define REPLACE_MIN_SWAPS	100
#define REPLACE_TIMEOUT_MS	30000

enum end {
	LIFE,		/* store, read, take back, release; a hash's emptied element deleted */
	PROG_UPDATE,	/* bpf_map_update_elem() over the slot */
	USER_UPDATE,	/* the same from user space, kptr bytes set to USER_PATTERN */
	PROG_DELETE,
	USER_DELETE,	/* a hash's: then a new element, maybe in the deleted one's memory */
	OWNER_EXIT,	/* the task exits, the cgroup is removed, the socket or file closed */
	DROP,		/* bpf_obj_drop() of the object holding the mask */
	MAP_FREE,	/* the object holding the map is destroyed */
	CREATOR_LAST,	/* refcount: released on another CPU than created, the creator's last */
	CREATOR_FIRST,
	UNDER_READERS,	/* replace */
	NR_ENDS,
};

static const char * const end_names[NR_ENDS] = {
	"life", "prog_update", "user_update", "prog_delete", "user_delete", "owner_exit",
	"drop", "map_free", "release_creator_last", "release_creator_first", "under_readers",
};

#define E(x)		(1U << (x))
#define ARRAY_ENDS	(E(LIFE) | E(PROG_UPDATE) | E(USER_UPDATE) | E(MAP_FREE))
#define HASH_ENDS	(ARRAY_ENDS | E(PROG_DELETE) | E(USER_DELETE))
#define STORAGE_ENDS	(E(LIFE) | E(USER_UPDATE) | E(PROG_DELETE) | E(USER_DELETE) | \
			 E(OWNER_EXIT) | E(MAP_FREE))
#define OBJ_ENDS	(E(LIFE) | E(DROP) | E(MAP_FREE))

enum {
	PERCPU = 1, OUTER = 2, TASK = 4, CGRP = 8, SK = 16, INODE = 32, HASH = 64,
	REQUIRED = 128,	/* every kernel with the kfunc has it: a refusal fails */
};

/* storage: the home's program is attached, the map's key is the owner's fd */
#define STORAGE		(TASK | CGRP | SK | INODE)

/* A home: program home_<name>, map <name>_home. */
struct home {
	const char *name;
	unsigned int flags, ends;
	/* set by the probe */
	const char *refused;
	char why[320];
};

static struct home homes[] = {
	{ "array", REQUIRED, ARRAY_ENDS },
	{ "percpu_array", PERCPU, ARRAY_ENDS },
	{ "hash", HASH | REQUIRED, HASH_ENDS },
	{ "hash_no_prealloc", HASH | REQUIRED, HASH_ENDS },
	{ "percpu_hash", PERCPU | HASH, HASH_ENDS },
	{ "lru_hash", HASH | REQUIRED, HASH_ENDS },
	{ "lru_percpu_hash", PERCPU | HASH, HASH_ENDS },
	{ "global", 0, E(LIFE) | E(MAP_FREE) },
	{ "nested", 0, E(LIFE) | E(MAP_FREE) },
	{ "array_of_structs", 0, E(LIFE) | E(MAP_FREE) },
	{ "task", TASK, STORAGE_ENDS },
	{ "cgrp", CGRP, STORAGE_ENDS },
	{ "inode", INODE, STORAGE_ENDS },
	{ "sk", SK, STORAGE_ENDS },
	{ "array_of_maps", OUTER, E(LIFE) | E(USER_UPDATE) | E(MAP_FREE) },
	{ "hash_of_maps", OUTER, E(LIFE) | E(USER_DELETE) | E(MAP_FREE) },
	{ "obj", 0, OBJ_ENDS },
	{ "list", 0, OBJ_ENDS },
	{ "rbtree", 0, OBJ_ENDS },
	{ "refcount", REQUIRED, E(CREATOR_LAST) | E(CREATOR_FIRST) },
	{ "replace", REQUIRED, E(UNDER_READERS) },
};

/* the witnesses' object: loaded once, its witness map shared with every home's */
static struct cpumask_create_homes *wit;
/* the fentry programs counting destructor calls and releases, where they load */
static struct cpumask_create_homes *dtor;
static int nr_cpus;

/* One life in one home: its own object, so that nothing left in it reaches the next. */
struct life {
	struct home *h;
	struct cpumask_create_homes *skel;
	struct bpf_program *prog;
	struct bpf_map *map;
	int n;			/* copies of the slot */
	int key_fd;		/* the owner's fd: storage maps' key */
	pid_t pid;		/* task storage's owner */
	char cgroup[256];	/* cgroup storage's owner, a cgroup of the test's own */
	char reopen[32];	/* inode storage's owner: its unlinked file, by /proc */
	__u32 inner[3];		/* inner map's BTF key and value ids, value size */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* the verifier's log of the last load; a full one, or the load fails with ENOSPC */
static char verifier_log[1 << 18];

/* Load the home's maps and program (and the shared witness); NULL or why not */
static const char *open_home(struct life *l)
{
	static char why[160];
	struct bpf_map *m;
	char name[64];
	int err;

	l->skel = cpumask_create_homes__open();
	if (!l->skel)
		return "open failed";
	snprintf(name, sizeof(name), "%s_home", l->h->name);
	bpf_object__for_each_map(m, l->skel->obj) {
		bool mine = !strcmp(bpf_map__name(m), name);

		if (mine)
			l->map = m;
		if (!bpf_map__is_internal(m))
			bpf_map__set_autocreate(m, mine || m == l->skel->maps.witness);
	}
	snprintf(name, sizeof(name), "home_%s", l->h->name);
	l->prog = autoload_only(l->skel->obj, name, verifier_log, sizeof(verifier_log));
	/* libbpf frees an outer map's template once it made the map */
	m = l->map ? bpf_map__inner_map(l->map) : NULL;
	if (m) {
		l->inner[0] = bpf_map__btf_key_type_id(m);
		l->inner[1] = bpf_map__btf_value_type_id(m);
		l->inner[2] = bpf_map__value_size(m);
	}
	if (wit && bpf_map__reuse_fd(l->skel->maps.witness, bpf_map__fd(wit->maps.witness)))
		return "reuse witness";
	l->skel->bss->nr_copies = l->n;
	l->skel->bss->target_pid = syscall(SYS_gettid);
	l->skel->bss->getppid_nr = SYS_getppid;
	/* in the last word of a wide mask */
	l->skel->bss->cpu_bit = nr_cpus - 1;
	verifier_log[0] = '\0';
	err = cpumask_create_homes__load(l->skel);
	if (err) {
		printf("%s: verifier log:\n%s\n", name, verifier_log);
		snprintf(why, sizeof(why), "load: %s", strerror(-err));
		return why;
	}
	if ((l->h->flags & STORAGE) && cpumask_create_homes__attach(l->skel)) {
		snprintf(why, sizeof(why), "attach: %s", strerror(errno));
		return why;
	}
	return NULL;
}

/* An inner array at key 0 of the outer map, from its template */
static bool put_inner(struct life *l)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_fd = bpf_object__btf_fd(l->skel->obj),
		    .btf_key_type_id = l->inner[0], .btf_value_type_id = l->inner[1]);
	__u32 key = 0;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "homes_inner", 4, l->inner[2], 1, &opts);
	if (!ASSERT_OK_FD(fd, "inner map"))
		return false;
	/* the outer map holds the only reference: removing it frees the inner one */
	err = bpf_map_update_elem(bpf_map__fd(l->map), &key, &fd, BPF_ANY);
	close(fd);
	return ASSERT_OK(err, "inner map into the outer");
}

static void close_home(struct life *l)
{
	cpumask_create_homes__destroy(l->skel);
	l->skel = NULL;
	if (l->key_fd >= 0)
		close(l->key_fd);
	l->key_fd = -1;
	if (l->cgroup[0])
		rmdir(l->cgroup);
	l->cgroup[0] = '\0';
}

/* Run the home's program once with @op, through the owner's syscall for storage */
static bool run_op(struct life *l, enum home_op op)
{
	struct cpumask_create_homes__bss *bss = l->skel->bss;
	__u32 runs = bss->runs;

	bss->op = op;
	bss->found = 0;
	bss->held = 0;
	if (l->h->flags & (TASK | CGRP)) {
		if (l->pid && !ASSERT_OK(kill(l->pid, SIGUSR1), "wake the owner"))
			return false;
		if (!l->pid)
			syscall(SYS_getppid);
		/* the owner's getppid() runs the program */
		for (int i = 0; l->pid && bss->runs == runs && i < 500; i++)
			usleep(10000);
	} else if (l->h->flags & SK) {
		/* listen() runs the program; shutdown() makes the socket listen anew */
		if (!ASSERT_OK(listen(l->key_fd, 1), "listen") ||
		    !ASSERT_OK(shutdown(l->key_fd, SHUT_RDWR), "shutdown the listener"))
			return false;
	} else if (l->h->flags & INODE) {
		/* open() runs the program */
		int fd = open(l->reopen, O_RDONLY | O_CLOEXEC);

		if (!ASSERT_OK_FD(fd, "open the file"))
			return false;
		close(fd);
	} else if (!run_prog_ok(l->prog)) {
		return false;
	}
	return ASSERT_EQ(bss->runs, runs + 1, "the home's program ran") &&
	       ASSERT_EQ(bss->err, 0, "error line in the home's program");
}

/* The witnesses' reference counts; quiet, as it polls */
static bool witness_refs(int n, int *refs)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	__u32 runs = wit->bss->runs;
	int err;

	wit->bss->op = HOME_READ;
	wit->bss->nr_copies = n;
	err = bpf_prog_test_run_opts(bpf_program__fd(wit->progs.witness_refs), &opts);
	if (err || wit->bss->runs != runs + 1 || wit->bss->err) {
		PRINT_FAIL("%s: err %d, runs %u, error line %d\n", __func__, err,
			   wit->bss->runs - runs, wit->bss->err);
		return false;
	}
	memcpy(refs, wit->bss->refs, n * sizeof(*refs));
	return true;
}

/* Poll up to @ms until @want witnesses hold the last reference; how many do */
static int wait_dropped(int n, int want, int ms)
{
	long long deadline = now_ms() + ms;
	int refs[HOME_COPIES], i, dropped;

	for (;;) {
		if (!witness_refs(n, refs))
			return -1;
		for (i = 0, dropped = 0; i < n; i++) {
			if (refs[i] != 1 && refs[i] != 2) {
				PRINT_FAIL("copy %d: witness refs %d, not 1 or 2\n", i, refs[i]);
				return -1;
			}
			dropped += refs[i] == 1;
		}
		if (dropped >= want || now_ms() >= deadline)
			return dropped;
		usleep(10000);
	}
}

/* User space reads the kptr as 0, and its update never lands in the field */
static void check_user_view(struct life *l, const void *key)
{
	size_t size = bpf_map__value_size(l->map), stride = (size + 7) / 8 * 8;
	__u64 value[HOME_COPIES] = {};
	int i;

	if (!ASSERT_OK(bpf_map_lookup_elem(bpf_map__fd(l->map), key, value), "user lookup"))
		return;
	for (i = 0; i < l->n; i++)
		ASSERT_EQ(value[i * stride / 8], 0, "user space reads the kptr as 0");
	/* the mask is there all the same */
	if (run_op(l, HOME_READ))
		ASSERT_EQ(l->skel->bss->found, l->n, "slots holding the mask after the lookup");
	for (i = 0; i < l->n; i++)
		value[i * stride / 8] = USER_PATTERN;
	ASSERT_OK(bpf_map_update_elem(bpf_map__fd(l->map), key, value, BPF_EXIST),
		  "user update");
}

/* The lowest and highest CPU the test may use: NULL, or why not two */
static const char *first_and_last_cpu(int *first, int *last)
{
	cpu_set_t set;
	int cpu;

	*first = *last = -1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return "sched_getaffinity failed";
	for (cpu = 0; cpu < nr_cpus && cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (*first < 0)
			*first = cpu;
		*last = cpu;
	}
	return *first >= 0 && *first != *last ? NULL : "needs two CPUs to run on";
}

/* task_owner_exit's owner: a child calling getppid() at each SIGUSR1 */
static void on_usr1(int sig)
{
	syscall(SYS_getppid);
}

static pid_t start_owner(void)
{
	pid_t pid, parent = getpid();
	int ready[2];
	char c;

	if (!ASSERT_OK(pipe(ready), "pipe"))
		return -1;
	pid = fork();
	if (pid == 0) {
		/* never outlives the test, even one killed */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGUSR1, on_usr1);
		close(ready[0]);
		close(ready[1]);	/* the handler is set */
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) < 0)
		pid = -1;
	close(ready[0]);
	return pid;
}

static void stop_owner(struct life *l)
{
	if (l->pid <= 0)
		return;
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	l->pid = 0;
}

/* The test's own cgroup v2 directory: NULL if none */
static const char *cgroup2_dir(void)
{
	static char dir[200];
	char line[512], mnt[200], own[200] = "", fs[32];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	dir[0] = '\0';
	/* mountinfo: ID PARENT DEV ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE ... */
	while (f && !dir[0] && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %199s %*s%*[^-]- %31s", mnt, fs) == 2 &&
		    !strcmp(fs, "cgroup2"))
			snprintf(dir, sizeof(dir), "%s", mnt);
	if (f)
		fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3) && strcmp(line, "0::/\n"))
			snprintf(own, sizeof(own), "%.*s", (int)strcspn(line + 3, "\n"), line + 3);
	if (f)
		fclose(f);
	if (dir[0])
		strncat(dir, own, sizeof(dir) - strlen(dir) - 1);
	return dir[0] ? dir : NULL;
}

/* Cgroups a killed run left behind */
static void remove_stale_cgroups(const char *dir)
{
	char path[300];
	glob_t g;
	size_t i;
	int pid;

	snprintf(path, sizeof(path), "%s/cpumask_homes_*", dir);
	if (glob(path, GLOB_ONLYDIR, NULL, &g))
		return;
	for (i = 0; i < g.gl_pathc; i++)
		if (sscanf(strrchr(g.gl_pathv[i], '/'), "/cpumask_homes_%d", &pid) == 1 &&
		    kill(pid, 0) && errno == ESRCH)
			rmdir(g.gl_pathv[i]);
	globfree(&g);
}

/* A cgroup under the test's own, as storage's owner */
static bool make_cgroup(struct life *l)
{
	const char *dir = cgroup2_dir();
	struct stat st;

	if (skip_because(dir ? NULL : "no cgroup v2 mount"))
		return false;
	remove_stale_cgroups(dir);
	snprintf(l->cgroup, sizeof(l->cgroup), "%s/cpumask_homes_%d", dir, getpid());
	if (!ASSERT_OK(mkdir(l->cgroup, 0755), "mkdir cgroup")) {
		l->cgroup[0] = '\0';
		return false;
	}
	l->key_fd = open(l->cgroup, O_RDONLY | O_DIRECTORY);
	if (!ASSERT_OK_FD(l->key_fd, "cgroup fd") || !ASSERT_OK(fstat(l->key_fd, &st), "stat"))
		return false;
	l->skel->bss->target_cgid = st.st_ino;
	return true;
}

/* A TCP socket on loopback, never connected, as storage's owner */
static bool make_socket(struct life *l)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	l->key_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return ASSERT_OK_FD(l->key_fd, "socket") &&
	       ASSERT_OK(bind(l->key_fd, (void *)&addr, sizeof(addr)), "bind to loopback");
}

/* An unlinked file as storage's owner: its inode goes with its last fd */
static bool make_file(struct life *l)
{
	char path[] = "/tmp/cpumask_homes_XXXXXX";
	struct stat st;

	l->key_fd = mkostemp(path, O_CLOEXEC);
	if (!ASSERT_OK_FD(l->key_fd, "mkostemp"))
		return false;
	unlink(path);
	snprintf(l->reopen, sizeof(l->reopen), "/proc/self/fd/%d", l->key_fd);
	if (!ASSERT_OK(fstat(l->key_fd, &st), "fstat"))
		return false;
	l->skel->bss->target_ino = st.st_ino;
	return true;
}

static bool watch(__u64 mask)
{
	struct mask_calls calls = {};

	return ASSERT_OK(bpf_map__update_elem(dtor->maps.watched, &mask, sizeof(mask), &calls,
					      sizeof(calls), BPF_NOEXIST), "watch");
}

static struct mask_calls calls_on(__u64 mask)
{
	struct mask_calls calls = {};

	ASSERT_OK(bpf_map__lookup_elem(dtor->maps.watched, &mask, sizeof(mask), &calls,
				       sizeof(calls), 0), "watched");
	return calls;
}

/*
 * Released one by one on another CPU than the creator's (the program asserts
 * the counts); where counted, only the last release dropped the last
 * reference, there, and the destructor never ran.
 */
static void run_refcount(struct life *l, bool creator_last)
{
	struct cpumask_create_homes__bss *bss = l->skel->bss;
	int first, last, from, to;
	struct mask_calls c;
	const char *why;
	cpu_set_t saved;
	__u64 mask = 0;

	if (!save_affinity(&saved))
		return;
	why = first_and_last_cpu(&first, &last);
	if (why)
		printf("%s: created and released on CPU %d\n", why, last = first);
	from = creator_last ? first : last;
	to = creator_last ? last : first;
	bss->creator_last = creator_last;
	bss->cpu_bit = from;
	bss->run_cpu = from;
	if (!pin_to_cpu(from) || !run_op(l, HOME_STORE))
		goto out;
	mask = bss->masks[0];
	if (dtor && !watch(mask))
		mask = 0;
	bss->run_cpu = to;
	if (!pin_to_cpu(to) || !run_op(l, HOME_TAKE) || !dtor || !mask)
		goto out;
	c = calls_on(mask);
	ASSERT_EQ(c.releases, HOME_REFS, "bpf_cpumask_release() calls");
	ASSERT_EQ(c.last_releases, 1, "calls that dropped the last reference");
	ASSERT_EQ(c.last_release_cpu, to, "CPU of the last");
	ASSERT_EQ(c.dtor_calls, 0, "destructor calls");
out:
	restore_affinity(&saved);
	if (dtor && mask)
		bpf_map__delete_elem(dtor->maps.watched, &mask, sizeof(mask), 0);
}

/* replace_under_readers: swaps done; swaps done when the last finished read started */
static atomic_long swapped, read_after;
static atomic_bool stop;

struct replacer {
	int fd, cpu;
	bool writer;
	long runs, errors;
};

/*
 * The writer waits after each swap until a read started after it finished,
 * so that every pattern is read; the reader never waits.
 */
static void *replacer(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	long long until = now_ms() + REPLACE_MS, deadline = now_ms() + REPLACE_TIMEOUT_MS;
	struct replacer *t = arg;
	cpu_set_t set;
	long seen;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		t->errors++;
	while (!t->errors && !atomic_load(&stop)) {
		seen = atomic_load(&swapped);
		if (bpf_prog_test_run_opts(t->fd, &opts) || opts.retval)
			t->errors++;
		t->runs++;
		if (!t->writer) {
			atomic_store(&read_after, seen);
			continue;
		}
		atomic_store(&swapped, t->runs);
		while (!t->errors && atomic_load(&read_after) < t->runs && !atomic_load(&stop)) {
			if (now_ms() > deadline)
				t->errors++;
			sched_yield();
		}
		if (t->runs >= REPLACE_MIN_SWAPS && now_ms() >= until)
			break;
	}
	atomic_store(&stop, true);
	return NULL;
}

/* A writer swaps masks in on one CPU, a reader reads under RCU on another */
static void run_replace(struct life *l)
{
	struct cpumask_create_homes__bss *bss = l->skel->bss;
	struct replacer w = { .writer = true }, r = {};
	pthread_t wt, rt;

	if (skip_because(first_and_last_cpu(&w.cpu, &r.cpu)))
		return;
	w.fd = bpf_program__fd(l->prog);
	r.fd = w.fd;
	bss->run_cpu = w.cpu;
	bss->op = HOME_UPDATE;
	atomic_store(&swapped, 0);
	atomic_store(&read_after, 0);
	atomic_store(&stop, false);
	if (!ASSERT_OK(pthread_create(&wt, NULL, replacer, &w), "writer"))
		return;
	if (ASSERT_OK(pthread_create(&rt, NULL, replacer, &r), "reader"))
		pthread_join(rt, NULL);
	else
		atomic_store(&stop, true);
	pthread_join(wt, NULL);
	printf("writer: %ld swaps; reader: %ld reads, %u found a mask, %u released meanwhile\n",
	       w.runs, r.runs, bss->found, bss->released_under_reader);
	ASSERT_EQ(w.errors, 0, "writer errors (or a read waited for too long)");
	ASSERT_EQ(r.errors, 0, "reader errors");
	ASSERT_GE(w.runs, REPLACE_MIN_SWAPS, "swaps");
	ASSERT_EQ(bss->swaps, w.runs, "runs of the writer");
	ASSERT_GE(bss->found, w.runs, "reads that found a mask");
	/* each swap was read before the next: the reader saw every pattern */
	ASSERT_EQ(bss->patterns_seen, 0xe, "patterns the reader saw");
	run_op(l, HOME_TAKE);
}

static void run_life(struct home *h, enum end end)
{
	struct life l = { .h = h, .key_fd = -1 };
	__u64 masks[HOME_COPIES] = {}, zero = 0;
	__u32 key = 0, new_key = 1, found = 0;
	const void *ukey = &key;
	int dropped, i, cpu = -1, refs[HOME_COPIES];
	bool new_elem = false;
	const char *why;
	cpu_set_t saved;
	__u64 held = 0;

	if (h->refused && h->flags & REQUIRED) {
		PRINT_FAIL("refused: %s\n", h->refused);
		return;
	}
	if (skip_because(h->refused))
		return;
	l.n = h->flags & PERCPU ? nr_cpus : 1;
	why = open_home(&l);
	if (why) {
		PRINT_FAIL("load the home: %s\n", why);
		goto out;
	}
	if (end == UNDER_READERS || end == CREATOR_LAST || end == CREATOR_FIRST) {
		if (end == UNDER_READERS)
			run_replace(&l);
		else
			run_refcount(&l, end == CREATOR_LAST);
		goto out;
	}
	if (h->flags & OUTER && !put_inner(&l))
		goto out;
	if (h->flags & CGRP && !make_cgroup(&l))
		goto out;
	if (h->flags & SK && !make_socket(&l))
		goto out;
	if (h->flags & INODE && !make_file(&l))
		goto out;
	if (h->flags & TASK && end == OWNER_EXIT) {
		l.pid = start_owner();
		if (!ASSERT_GT(l.pid, 0, "fork the owner"))
			goto out;
		l.skel->bss->target_pid = l.pid;
	}
	if (h->flags & TASK) {
		l.key_fd = syscall(SYS_pidfd_open, l.pid ?: getpid(), 0);
		if (!ASSERT_OK_FD(l.key_fd, "pidfd"))
			goto out;
	}
	if (h->flags & STORAGE)
		ukey = &l.key_fd;

	if (!run_op(&l, HOME_STORE) ||
	    !ASSERT_EQ(wait_dropped(l.n, 0, 0), 0, "stored: two references each"))
		goto out;
	memcpy(masks, wit->bss->masks, l.n * sizeof(*masks));
	for (i = 0; dtor && i < l.n; i++)
		watch(masks[i]);
	if (!run_op(&l, HOME_READ) || !ASSERT_EQ(l.skel->bss->found, l.n, "read: the stored mask"))
		goto out;

	switch (end) {
	case LIFE:
		if (!run_op(&l, HOME_TAKE) || !ASSERT_EQ(l.skel->bss->found, l.n, "taken"))
			goto out;
		/* the element emptied: its delete has no mask to destroy */
		if (h->flags & HASH)
			ASSERT_OK(bpf_map_delete_elem(bpf_map__fd(l.map), ukey), "delete");
		break;
	case PROG_UPDATE:
		/* a per-CPU map's: on another CPU than the first, whose copy it must leave */
		if (l.n > 1 && !skip_because(first_and_last_cpu(&i, &cpu)) &&
		    save_affinity(&saved) && pin_to_cpu(cpu)) {
			run_op(&l, HOME_UPDATE);
			restore_affinity(&saved);
		} else if (l.n == 1) {
			run_op(&l, HOME_UPDATE);
		}
		break;
	case USER_UPDATE:
		if (h->flags & OUTER)
			put_inner(&l);	/* a new inner map replaces the one holding the mask */
		else
			check_user_view(&l, ukey);
		break;
	case PROG_DELETE:
		run_op(&l, HOME_DELETE);
		break;
	case USER_DELETE:
		/* on one CPU, where the hash's free lists hand back the element just freed */
		new_elem = h->flags & HASH && !(h->flags & PERCPU);
		if (new_elem && (!save_affinity(&saved) || !pin_to_cpu(sched_getcpu())))
			goto out;
		ASSERT_OK(bpf_map_delete_elem(bpf_map__fd(l.map), ukey), "user delete");
		if (new_elem) {
			ASSERT_OK(bpf_map_update_elem(bpf_map__fd(l.map), &new_key, &zero,
						      BPF_NOEXIST), "a new element");
			restore_affinity(&saved);
		}
		break;
	case OWNER_EXIT:
		if (h->flags & TASK) {
			stop_owner(&l);
		} else if (h->flags & (SK | INODE)) {
			/* the socket; the unlinked file's only fd */
			close(l.key_fd);
			l.key_fd = -1;
		} else if (ASSERT_OK(rmdir(l.cgroup), "rmdir cgroup")) {
			l.cgroup[0] = '\0';
		}
		break;
	case DROP:
		run_op(&l, HOME_DROP);
		break;
	case MAP_FREE:
		cpumask_create_homes__destroy(l.skel);
		l.skel = NULL;
		break;
	default:
		break;
	}
	if (l.skel && end != OWNER_EXIT) {
		/* whatever the slot holds now: nothing, or the mask stored */
		if (!run_op(&l, HOME_READ))
			goto out;
		if (end == PROG_DELETE || end == USER_DELETE)
			ASSERT_EQ(l.skel->bss->found, 0, "a deleted slot is gone");
		/* the new element: empty, or holding the deleted key's mask whole */
		if (new_elem) {
			l.skel->bss->key = new_key;
			if (!run_op(&l, HOME_READ))
				goto out;
			printf("the new element %s\n", l.skel->bss->found ?
			       "holds the deleted key's mask" : "is empty");
		}
		found = l.skel->bss->found;
		held = l.skel->bss->held;
		if (cpu >= 0)
			ASSERT_EQ(held | 1ULL << cpu, ~0ULL >> (64 - l.n),
				  "copies a program's update on one CPU leaves");
	}
	dropped = wait_dropped(l.n, l.n - found, end == OWNER_EXIT ? OWNER_WAIT_MS :
			       end == MAP_FREE ? FREE_WAIT_MS : END_WAIT_MS);
	printf("%s/%s: %u of %d copies still in the slot, %d dropped%s\n", h->name,
	       end_names[end], found, l.n, dropped,
	       dropped >= 0 && dropped < l.n - found ? ", the rest at the map's free" : "");
	if (dropped < 0 || !ASSERT_LE(dropped, l.n - found, "dropped only what left the slot"))
		goto out;
	if (end == LIFE || end == OWNER_EXIT || end == MAP_FREE || end == DROP)
		ASSERT_EQ(dropped, l.n - found, "dropped when the home ended");
	/* a copy still holding its mask holds its reference too */
	if (!witness_refs(l.n, refs))
		goto out;
	for (i = 0; i < l.n; i++)
		if (held & 1ULL << i && !ASSERT_EQ(refs[i], 2, "refs of a mask still held"))
			printf("copy %d\n", i);
	/* the rest: taken back, or dropped by the map's free at the latest */
	if (found && !run_op(&l, HOME_TAKE))
		goto out;
	close_home(&l);
	stop_owner(&l);
	ASSERT_OK(kern_sync_rcu(), "kern_sync_rcu");
	ASSERT_EQ(wait_dropped(l.n, l.n, FREE_WAIT_MS), l.n, "every copy dropped exactly once");
	if (dtor) {
		__u32 calls = 0, want = end == LIFE ? 0 : l.n - found;

		for (i = 0; i < l.n; i++)
			calls += calls_on(masks[i]).dtor_calls;
		ASSERT_EQ(calls, want, "destructor calls");
	}
out:
	stop_owner(&l);
	close_home(&l);
	if (wit) {
		wit->bss->op = HOME_TAKE;
		wit->bss->nr_copies = HOME_COPIES;
		run_prog_ok(wit->progs.witness_refs);
	}
	for (i = 0; dtor && i < HOME_COPIES && masks[i]; i++)
		bpf_map__delete_elem(dtor->maps.watched, &masks[i], sizeof(masks[i]), 0);
}

/* Which homes this kernel accepts: each loaded alone */
static void probe_homes(void)
{
	const char *why;
	int i;

	for (i = 0; i < ARRAY_SIZE(homes); i++) {
		struct life l = { .h = &homes[i], .key_fd = -1, .n = 1 };

		why = homes[i].flags & INODE ? bpf_lsm_inactive() : NULL;
		why = why ?: open_home(&l);
		if (why) {
			snprintf(homes[i].why, sizeof(homes[i].why), "%s", why);
			homes[i].refused = homes[i].why;
		}
		close_home(&l);
		printf("home: %s: %s%s%s\n", homes[i].name, why ? "refused (" : "accepted",
		       why ?: "", why ? ")" : "");
	}
}

/* The witness map and witness_refs; or (@counter) the fentry counters, attached */
static struct cpumask_create_homes *load_part(bool counter)
{
	struct cpumask_create_homes *skel = cpumask_create_homes__open();
	struct bpf_program *p;
	struct bpf_map *m;

	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_autocreate(m, bpf_map__is_internal(m) ||
					m == (counter ? skel->maps.watched : skel->maps.witness));
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, counter ? p == skel->progs.count_dtor_calls ||
					  p == skel->progs.count_releases :
					  p == skel->progs.witness_refs);
	if (ASSERT_OK(cpumask_create_homes__load(skel), "load") &&
	    (!counter || ASSERT_OK(cpumask_create_homes__attach(skel), "attach")))
		return skel;
	cpumask_create_homes__destroy(skel);
	return NULL;
}

void serial_test_cpumask_create_homes(void)
{
	const char *no_dtor;
	char name[64];
	int i, e;

	if (skip_because(cpumask_create_unsupported()))
		return;
	nr_cpus = libbpf_num_possible_cpus();
	if (!ASSERT_GT(nr_cpus, 0, "nr_cpus"))
		return;
	wit = load_part(false);
	if (!wit)
		return;
	probe_homes();
	for (i = 0; i < ARRAY_SIZE(homes); i++) {
		if (!(homes[i].flags & PERCPU))
			continue;
		if (nr_cpus > HOME_COPIES)
			homes[i].refused = "more CPUs than the test has copies for";
		else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL,
						 BPF_FUNC_map_lookup_percpu_elem, NULL) <= 0)
			homes[i].refused = "bpf_map_lookup_percpu_elem missing";
	}
	/* destructor calls need fentry, and the destructor under its name */
	no_dtor = trampoline_unsupported() ?: probe_btf_func(DTOR_NAME);
	printf("destructor: %s\n", no_dtor ?: "counted");
	if (!no_dtor)
		dtor = load_part(true);
	for (i = 0; i < ARRAY_SIZE(homes); i++)
		for (e = 0; e < NR_ENDS; e++) {
			if (!(homes[i].ends & E(e)))
				continue;
			snprintf(name, sizeof(name), "%s_%s", homes[i].name, end_names[e]);
			if (test__start_subtest(name))
				run_life(&homes[i], e);
		}
	cpumask_create_homes__destroy(dtor);
	dtor = NULL;
	cpumask_create_homes__destroy(wit);
	wit = NULL;
}
