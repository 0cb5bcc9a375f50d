// SPDX-License-Identifier: GPL-2.0
/*
 * A struct_ops operator that returns void (or a scalar) and exits with a
 * created mask in R0 must be refused with "Unreleased reference": nothing
 * ever frees that mask. Since 8d9f547f74c7 ("bpf: Allow struct_ops prog to
 * return referenced kptr"), in 6.15 (first seen here on Debian's 6.16; 6.12
 * refuses it), the verifier leaves a reference in R0 of a struct_ops
 * program to the return-value check, which looks at it only for operators
 * that return a pointer: the program loads, and every call leaks a mask.
 *
 * The test asserts the refusal, and its twin (the same body, releasing the
 * mask) loading and running, its masks all freed. A kernel that loads the
 * leaking operator fails it (known-failures lists the kernels and the fix);
 * the test then shows the leak: the operator runs on loopback connections
 * and creates a mask per call, and none of those masks is ever freed,
 * counted where masks are freed (bpf_cpumask_release()) like the twin's.
 */
#include <test_progs.h>
#include "network_helpers.h"
#include "cpumask_create_helpers.h"
#include "cpumask_create_struct_ops_leak.skel.h"

#define LEAK_CONNECTIONS	8	/* loopback connections per operator */
#define LEAK_MSG		"Unreleased reference"
#define LEAK_BUG \
	"loads with a reference in R0 at exit, but returns no pointer to hand it over"

static char load_log[64 * 1024];

/* One leaking operator: the struct_ops maps and the program, by name. */
struct leak_case {
	const char *op;			/* the operator, for messages */
	const char *leaky, *twin;	/* its struct_ops map, and the twin's */
	const char *leaky_prog;
};

static const struct leak_case cc_init = {
	"tcp_congestion_ops.init", "init_leaky_cc", "init_twin_cc", "cc_init_leaky",
};

static const struct leak_case cc_release = {
	"tcp_congestion_ops.release", "release_leaky_cc", "release_twin_cc", "cc_release_leaky",
};

static const struct leak_case cc_ssthresh = {
	"tcp_congestion_ops.ssthresh", "ssthresh_leaky_cc", "ssthresh_twin_cc",
	"cc_ssthresh_leaky",
};

static const struct leak_case qdisc_reset = {
	"Qdisc_ops.reset", "reset_leaky_qdisc", "reset_twin_qdisc", "qdisc_reset_leaky",
};

static struct bpf_map *map_of(struct cpumask_create_struct_ops_leak *skel, const char *name)
{
	return bpf_object__find_map_by_name(skel->obj, name);
}

/*
 * Open the object with only the struct_ops maps given (and the programs
 * they use) to load; the release counter too when @count_frees.
 */
static struct cpumask_create_struct_ops_leak *
open_with(const struct leak_case *c, bool leaky, bool twin, bool count_frees)
{
	struct cpumask_create_struct_ops_leak *skel;
	struct bpf_map *map;

	skel = cpumask_create_struct_ops_leak__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(map, skel->obj) {
		const char *name = bpf_map__name(map);

		if (bpf_map__type(map) == BPF_MAP_TYPE_STRUCT_OPS)
			bpf_map__set_autocreate(map, (leaky && !strcmp(name, c->leaky)) ||
						(twin && !strcmp(name, c->twin)));
	}
	bpf_program__set_autoload(skel->progs.count_release, count_frees);
	bpf_program__set_log_buf(bpf_object__find_program_by_name(skel->obj, c->leaky_prog),
				 load_log, sizeof(load_log));
	load_log[0] = '\0';
	return skel;
}

/*
 * Load the leaking operator alone. Returns 1 when the verifier refuses it
 * for the reference left in R0 (6.12, or a kernel with the fix), 0 when it
 * accepts it (the bug: a failure), -1 on anything else.
 */
static int leaky_verdict(const struct leak_case *c)
{
	struct cpumask_create_struct_ops_leak *skel;
	int err;

	skel = open_with(c, true, false, false);
	if (!skel)
		return -1;
	err = cpumask_create_struct_ops_leak__load(skel);
	cpumask_create_struct_ops_leak__destroy(skel);
	if (!err) {
		PRINT_FAIL("%s: %s; every call leaks a mask\n", c->op, LEAK_BUG);
		return 0;
	}
	if (!ASSERT_HAS_SUBSTR(load_log, LEAK_MSG, "why the leaking operator is refused")) {
		printf("VERIFIER LOG:\n%s\n", load_log);
		return -1;
	}
	printf("refused: %s leaving a mask in R0: %s\n", c->op, LEAK_MSG);
	return 1;
}

/* Connect to a loopback listener with congestion control @name, then reset. */
static bool run_connection(const char *name)
{
	struct network_helper_opts opts = {
		.post_socket_cb = cc_post_socket_cb,
		.cb_opts = (void *)name,
	};
	bool ok = false;
	int lfd, fd;

	lfd = start_server_str(AF_INET, SOCK_STREAM, "127.0.0.1", 0, NULL);
	if (!ASSERT_OK_FD(lfd, "start_server_str"))
		return false;
	/*
	 * Let go of ours before the close: .release runs once, now. (6.12
	 * runs it twice when a reset closes the socket: in tcp_disconnect()
	 * and on destroy.)
	 */
	fd = connect_to_fd_opts(lfd, &opts);
	if (ASSERT_OK_FD(fd, "connect_to_fd_opts"))
		ok = ASSERT_OK(setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4),
			       "setsockopt TCP_CONGESTION reno");
	close_with_reset(fd);
	close(lfd);
	return ok;
}

/* Register @map, run LEAK_CONNECTIONS connections through it, unregister. */
static void run_cc(struct bpf_map *map, const char *name)
{
	struct bpf_link *link;
	int i;

	link = bpf_map__attach_struct_ops(map);
	if (!ASSERT_OK_PTR(link, "attach_struct_ops"))
		return;
	for (i = 0; i < LEAK_CONNECTIONS; i++)
		if (!run_connection(name))
			break;
	bpf_link__destroy(link);
}

static void test_cc(const struct leak_case *c)
{
	const char *no_frees = trampoline_unsupported();
	struct cpumask_create_struct_ops_leak *skel;
	char leaky_name[16], twin_name[16];
	int fixed = leaky_verdict(c);
	struct bpf_map *leaky, *twin;

	if (fixed < 0)
		return;
	skel = open_with(c, !fixed, true, !no_frees);
	if (!skel)
		return;
	leaky = map_of(skel, c->leaky);
	twin = map_of(skel, c->twin);
	if (!set_struct_ops_name(skel->obj, leaky, "l", leaky_name, sizeof(leaky_name)) ||
	    !set_struct_ops_name(skel->obj, twin, "t", twin_name, sizeof(twin_name)) ||
	    !ASSERT_OK(cpumask_create_struct_ops_leak__load(skel), "load"))
		goto out;
	/* not the skeleton's attach: it would register the struct_ops maps too */
	if (!no_frees) {
		skel->links.count_release = bpf_program__attach(skel->progs.count_release);
		if (!ASSERT_OK_PTR(skel->links.count_release, "attach release counter"))
			goto out;
	}

	if (!fixed)
		run_cc(leaky, leaky_name);
	run_cc(twin, twin_name);
	/* every socket and both congestion controls are gone now */

	ASSERT_EQ(skel->bss->twin_runs, LEAK_CONNECTIONS, "twin runs per connection");
	ASSERT_EQ(skel->bss->twin_created, LEAK_CONNECTIONS, "twin creates a mask per run");
	if (!fixed) {
		ASSERT_EQ(skel->bss->leaky_runs, LEAK_CONNECTIONS, "leaking operator runs");
		ASSERT_EQ(skel->bss->leaky_created, LEAK_CONNECTIONS,
			  "leaking operator creates a mask per run");
	}
	if (no_frees) {
		printf("SKIP: cannot count the masks freed: %s\n", no_frees);
		test__skip();
		goto out;
	}
	/* the counter sees frees: the twin's masks are all freed ... */
	ASSERT_EQ(skel->bss->twin_released, skel->bss->twin_created, "twin's masks freed");
	if (fixed)
		goto out;
	/* ... the leaking operator's, on a kernel that loaded it, never */
	printf("%s: %u masks created, %u freed %s\n", c->op,
	       skel->bss->leaky_created, skel->bss->leaky_released,
	       "after the sockets and the congestion control are gone");
out:
	cpumask_create_struct_ops_leak__destroy(skel);
}

/* Operators nothing here runs: the verdict, and the twin loads. */
static void test_load(const struct leak_case *c)
{
	struct cpumask_create_struct_ops_leak *skel;

	if (leaky_verdict(c) < 0)
		return;
	skel = open_with(c, false, true, false);
	if (!skel)
		return;
	ASSERT_OK(cpumask_create_struct_ops_leak__load(skel), "twin loads");
	cpumask_create_struct_ops_leak__destroy(skel);
}

void test_cpumask_create_struct_ops_leak(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	if (test__start_subtest("tcp_cc_init"))
		test_cc(&cc_init);
	if (test__start_subtest("tcp_cc_release"))
		test_cc(&cc_release);
	if (test__start_subtest("tcp_cc_ssthresh"))
		test_load(&cc_ssthresh);
	/*
	 * Another struct_ops type: the finding is the verifier's, not TCP's.
	 * BPF qdiscs (CONFIG_NET_SCH_BPF, 6.16+) bring their kfuncs along.
	 */
	if (test__start_subtest("qdisc_reset") &&
	    !skip_because(probe_btf_func("bpf_qdisc_skb_drop")))
		test_load(&qdisc_reset);
}
