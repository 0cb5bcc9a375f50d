/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helpers more than one cpumask_create test needs: which program types
 * may call the kfunc; probes of what this kernel lets the tests do, each
 * returning NULL when the feature is there or the reason it is not, for
 * skip_because() to print; run a program, load one program of
 * an object, pin and restore CPU affinity; name a struct_ops, set a
 * congestion control on the sockets of upstream's network_helpers.h and
 * close a connection with a reset; mount tracefs where it is not.
 */
#ifndef __CPUMASK_CREATE_HELPERS_H
#define __CPUMASK_CREATE_HELPERS_H

#include <sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/filter.h>
#include <bpf/btf.h>

#define CPUMASK_CREATE_NOT_ALLOWED \
	"calling kernel function bpf_cpumask_create is not allowed"

/*
 * Which program types may call bpf_cpumask_create() (and the other cpumask
 * kfuncs) is the one fact no probe can tell apart from a regression: only
 * loading says, and that is the test. So each type has a floor, the release
 * whose upstream first allowed it, and the verdict is: allowed anywhere
 * passes (before the floor: a backport), refused from the floor on fails (a
 * kernel lost it), refused before it skips. A type with no floor (0) is
 * refused everywhere. The release comes from uname() and only ever raises
 * what is required: a kernel that claims to be older (a distribution's
 * numbering, setarch --uname-2.6) is asked for less, never refused more.
 */
#define KERNEL_RELEASE(a, b)	((a) << 8 | (b))

static inline int cpumask_create_allowed_floor(enum bpf_prog_type type)
{
	switch (type) {
	/* the kfunc came in 6.3 with its set registered for these */
	case BPF_PROG_TYPE_TRACING:
	case BPF_PROG_TYPE_LSM:		/* LSM shares TRACING's kfuncs */
	case BPF_PROG_TYPE_STRUCT_OPS:
		return KERNEL_RELEASE(6, 3);
	/* a8e03b6bbb2c ("bpf: Allow invoking kfuncs from BPF_PROG_TYPE_SYSCALL progs") */
	case BPF_PROG_TYPE_SYSCALL:
		return KERNEL_RELEASE(6, 10);
	/* "bpf: allow kfuncs within normal tracepoint programs", perf_event too */
	case BPF_PROG_TYPE_TRACEPOINT:
	case BPF_PROG_TYPE_PERF_EVENT:
		return KERNEL_RELEASE(6, 12);
	/*
	 * btf.c maps RAW_TRACEPOINT to the tracing kfunc hook (refused by
	 * 6.19.14, allowed by 7.0.13)
	 */
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return KERNEL_RELEASE(7, 0);
	default:
		return 0;
	}
}

/* The running kernel's release as uname() reports it; 0 if it cannot tell. */
static inline int kernel_release(void)
{
	struct utsname u;
	int major, minor;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return KERNEL_RELEASE(major, minor);
}

/* @type may be refused here: its floor is above the running kernel's release. */
static inline bool cpumask_create_before_floor(enum bpf_prog_type type)
{
	int floor = cpumask_create_allowed_floor(type);

	return floor && kernel_release() < floor;
}

/*
 * After loading a program of @type that calls the kfunc: the verdict, as
 * above, from @allowed (it loaded) and its verifier @log. Returns true when
 * the program loaded and may, false otherwise (failed here if it must not
 * have been refused).
 */
static inline bool cpumask_create_type_verdict(enum bpf_prog_type type, bool allowed,
					       const char *log)
{
	const char *name = libbpf_bpf_prog_type_str(type);
	int floor = cpumask_create_allowed_floor(type);

	if (allowed) {
		if (cpumask_create_before_floor(type))
			printf("%s: allowed before %d.%d: backported?\n", name,
			       floor >> 8, floor & 0xff);
		if (!floor)
			PRINT_FAIL("%s programs may call bpf_cpumask_create: %s\n", name,
				   "no kernel allowed that");
		return !!floor;
	}
	if (!ASSERT_HAS_SUBSTR(log, CPUMASK_CREATE_NOT_ALLOWED, "refused for the program type"))
		return false;
	if (cpumask_create_before_floor(type))
		printf("%s: refused; allowed from %d.%d on\n", name, floor >> 8, floor & 0xff);
	else if (floor)
		PRINT_FAIL("%s programs may call bpf_cpumask_create from %d.%d on, but: %s\n",
			   name, floor >> 8, floor & 0xff, CPUMASK_CREATE_NOT_ALLOWED);
	return false;
}

/*
 * After a failed load: true when the verifier refused the kfunc to @type,
 * judged by cpumask_create_type_verdict(); the subtest, which needed the
 * program, then skips where the type's floor allows the refusal. False for
 * any other failure, the caller's to report.
 */
static inline bool refused_for_prog_type(enum bpf_prog_type type, const char *log)
{
	int floor = cpumask_create_allowed_floor(type);

	if (!strstr(log, CPUMASK_CREATE_NOT_ALLOWED))
		return false;
	cpumask_create_type_verdict(type, false, log);
	if (cpumask_create_before_floor(type)) {
		printf("SKIP: %s programs may call bpf_cpumask_create from %d.%d on: %s\n",
		       libbpf_bpf_prog_type_str(type), floor >> 8, floor & 0xff,
		       CPUMASK_CREATE_NOT_ALLOWED);
		test__skip();
	}
	return true;
}

static inline const char *probe_btf_func(const char *name)
{
	static char reason[128];
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf) {
		snprintf(reason, sizeof(reason), "no kernel BTF: %s", strerror(errno));
		return reason;
	}
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0) {
		snprintf(reason, sizeof(reason), "%s not available", name);
		return reason;
	}
	return NULL;
}

/* Everything here needs root and the kfunc itself (Linux 6.3+). */
static inline const char *cpumask_create_unsupported(void)
{
	static const char *reason;
	static bool probed;

	if (!probed) {
		probed = true;
		if (geteuid() != 0)
			reason = "not root: loading BPF programs needs root";
		else
			reason = probe_btf_func("bpf_cpumask_create");
		printf("probe: bpf_cpumask_create: %s\n", reason ?: "available");
	}
	return reason;
}

/*
 * fentry, fexit, fmod_ret and LSM programs need BPF trampolines; some hosts
 * refuse them (EPERM at load). Load and attach a do-nothing fentry program.
 */
static inline const char *trampoline_unsupported(void)
{
	static const struct bpf_insn insns[] = {
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	static char reason[160];
	static bool probed;
	static const char *ret;
	struct btf *btf;
	int id, fd, link;

	if (probed)
		return ret;
	probed = true;
	ret = cpumask_create_unsupported();
	if (ret)
		return ret;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return ret = "no kernel BTF";
	id = btf__find_by_name_kind(btf, "bpf_cpumask_create", BTF_KIND_FUNC);
	btf__free(btf);
	{
		LIBBPF_OPTS(bpf_prog_load_opts, opts,
			    .expected_attach_type = BPF_TRACE_FENTRY,
			    .attach_btf_id = id);

		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fentry_probe", "GPL",
				   insns, ARRAY_SIZE(insns), &opts);
	}
	if (fd < 0) {
		snprintf(reason, sizeof(reason),
			 "kernel refuses trampoline programs (fentry load: %s)", strerror(errno));
		printf("probe: trampolines: %s\n", reason);
		return ret = reason;
	}
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0)
		snprintf(reason, sizeof(reason),
			 "kernel refuses trampoline programs (fentry attach: %s)", strerror(errno));
	else
		close(link);
	close(fd);
	ret = link < 0 ? reason : NULL;
	printf("probe: trampolines: %s\n", ret ?: "available");
	return ret;
}

/* NULL when BPF LSM programs run here, or why not */
static inline const char *bpf_lsm_inactive(void)
{
	static char reason[320];
	char lsms[256] = "";
	FILE *f;

	if (trampoline_unsupported())
		return trampoline_unsupported();
	/* securityfs may not be mounted: then the hook has to prove it ran */
	f = fopen("/sys/kernel/security/lsm", "r");
	if (!f)
		return NULL;
	if (!fgets(lsms, sizeof(lsms), f))
		lsms[0] = '\0';
	fclose(f);
	if (strstr(lsms, "bpf"))
		return NULL;
	snprintf(reason, sizeof(reason), "BPF LSM not active (lsm=%s)", lsms);
	return reason;
}

/* Run @prog once with BPF_PROG_TEST_RUN: true when it ran and returned 0. */
static inline bool run_prog_ok(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	return ASSERT_OK(err, bpf_program__name(prog)) &&
	       ASSERT_EQ(opts.retval, 0, bpf_program__name(prog));
}

/*
 * Of the programs of an opened @obj, load only @name (none if NULL), its
 * verifier log into @log. Returns the program, NULL if there is none.
 */
static inline struct bpf_program *autoload_only(struct bpf_object *obj, const char *name,
						char *log, size_t log_sz)
{
	struct bpf_program *prog, *found = NULL;

	bpf_object__for_each_program(prog, obj) {
		bool wanted = name && !strcmp(bpf_program__name(prog), name);

		bpf_program__set_autoload(prog, wanted);
		if (!wanted)
			continue;
		found = prog;
		bpf_program__set_log_buf(prog, log, log_sz);
		log[0] = '\0';
	}
	return found;
}

/* The task's CPU affinity, to put back with restore_affinity(). */
static inline bool save_affinity(cpu_set_t *saved)
{
	return ASSERT_OK(sched_getaffinity(0, sizeof(*saved), saved), "sched_getaffinity");
}

static inline void restore_affinity(const cpu_set_t *saved)
{
	ASSERT_OK(sched_setaffinity(0, sizeof(*saved), saved), "restore affinity");
}

/* sched_setaffinity() to @cpu alone; the caller restores what it saved. */
static inline bool pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return ASSERT_OK(sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
}

/* Skip the running test (or subtest) when @reason is set; say why. */
static inline bool skip_because(const char *reason)
{
	if (!reason)
		return false;
	printf("SKIP: %s\n", reason);
	test__skip();
	return true;
}

/*
 * struct_ops names (congestion controls) are global: give @map's a name of
 * this process's own, "cm<tag>_<pid>", in the member "name" that the
 * object's BTF places in the map's initial value (the skeleton's shadow
 * type holds only the programs).
 */
static inline bool set_struct_ops_name(struct bpf_object *obj, struct bpf_map *map,
				       const char *tag, char *name, size_t len)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_member *m;
	const struct btf_type *t;
	char *data;
	int i;

	snprintf(name, len, "cm%s_%d", tag, getpid());
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(map));
	data = bpf_map__initial_value(map, NULL);
	for (i = 0, m = t ? btf_members(t) : NULL; m && data && i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), "name"))
			continue;
		memset(data + m->offset / 8, 0, len);
		memcpy(data + m->offset / 8, name, strlen(name));
		return true;
	}
	PRINT_FAIL("%s: no member 'name'\n", bpf_map__name(map));
	return false;
}

/*
 * network_helper_opts.post_socket_cb: the socket uses the congestion
 * control named by @name (cb_opts), as in upstream's bpf_tcp_ca tests.
 */
static inline int cc_post_socket_cb(int fd, void *name)
{
	return ASSERT_OK(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, strlen(name)),
			 "setsockopt TCP_CONGESTION") ? 0 : -1;
}

/*
 * Close a connected @fd with a reset, not FIN: when close() returns, no
 * socket of the connection is left closing (FIN_WAIT, LAST_ACK) with its
 * congestion control still able to run, nor in TIME_WAIT for a minute.
 */
static inline void close_with_reset(int fd)
{
	struct linger linger = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof(linger));
	close(fd);
}

/*
 * libbpf attaches tp/ programs through tracefs. Where it is not mounted (as
 * on some hosts), mount it in a mount namespace of this process's own, made
 * private first: the mount is seen by nothing else. tracefs_leave() goes
 * back to the namespace the process came from (and its working directory,
 * which setns() resets), and the private one goes away with its mount.
 */
struct tracefs_saved {
	int mnt_ns, cwd;
};

static inline struct tracefs_saved *tracefs_saved(void)
{
	static struct tracefs_saved saved = { -1, -1 };

	return &saved;
}

static inline void tracefs_leave(void)
{
	struct tracefs_saved *saved = tracefs_saved();

	if (saved->mnt_ns < 0)
		return;
	ASSERT_OK(setns(saved->mnt_ns, CLONE_NEWNS), "setns to the original mount ns");
	ASSERT_OK(fchdir(saved->cwd), "fchdir to the original working directory");
	close(saved->mnt_ns);
	close(saved->cwd);
	saved->mnt_ns = -1;
	saved->cwd = -1;
}

static inline const char *tracefs_enter(void)
{
	struct tracefs_saved *saved = tracefs_saved();
	static char reason[160];
	int mnt_ns, cwd;

	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return NULL;
	mnt_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mnt_ns < 0 || cwd < 0) {
		snprintf(reason, sizeof(reason), "tracefs not mounted; saving the mount ns: %s",
			 strerror(errno));
		if (mnt_ns >= 0)
			close(mnt_ns);
		if (cwd >= 0)
			close(cwd);
		return reason;
	}
	if (unshare(CLONE_NEWNS)) {
		snprintf(reason, sizeof(reason), "tracefs not mounted; unshare(CLONE_NEWNS): %s",
			 strerror(errno));
		close(mnt_ns);
		close(cwd);
		return reason;
	}
	saved->mnt_ns = mnt_ns;
	saved->cwd = cwd;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		snprintf(reason, sizeof(reason), "tracefs not mounted; private mounts: %s",
			 strerror(errno));
	else if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
		snprintf(reason, sizeof(reason), "tracefs not mounted and cannot be: %s",
			 strerror(errno));
	else
		return NULL;
	tracefs_leave();
	return reason;
}

#endif /* __CPUMASK_CREATE_HELPERS_H */
