// SPDX-License-Identifier: GPL-2.0
/*
 * A program may leave by other ways than its last exit; a created mask must
 * be released or stored before each. Here bpf_tail_call() and the exit of an
 * asynchronous (timer) callback; the ways that need exceptions (bpf_throw(),
 * the exception callback's exit) are in cpumask_create_fail_throw.c, the
 * plain exit and a bpf_loop() callback's in cpumask_create_fail_leak.c. Each
 * rejected program sits next to a twin that differs only in the rule it
 * breaks and loads.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "bpf_misc.h"
#include "cpumask_common.h"

char _license[] SEC("license") = "GPL";

/*
 * 6.12 to 7.3 print the leaked reference, then what would leak it. The id
 * and the instruction are left open: they depend on the kernel and on the
 * compiler.
 */
#define LEAK_MSG "Unreleased reference id={{[0-9]+}} alloc_insn={{[0-9]+}}"
#define TAIL_CALL_LEAK_MSG "tail_call would lead to reference leak"

/* Left empty: a tail call into it fails and the program goes on. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} exit_jmp_table SEC(".maps");

/*
 * A tail call that succeeds never comes back: the mask would be left
 * behind. In tp_btf: sleepable programs, SEC("syscall") among them, may not
 * use a program array, and no program type that may call both the kfunc and
 * bpf_tail_call() can be run by BPF_PROG_TEST_RUN, so the twin only loads.
 */
SEC("tp_btf/sys_enter")
__failure __msg(LEAK_MSG) __msg(TAIL_CALL_LEAK_MSG)
int tail_call_holding_mask(u64 *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(0, mask);
	bpf_tail_call(ctx, &exit_jmp_table, 0);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("tp_btf/sys_enter")
__success
int release_before_tail_call(u64 *ctx)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	bpf_tail_call(ctx, &exit_jmp_table, 0);
	return 0;
}

/*
 * A timer callback is verified as a program of its own, from a state of its
 * own: unlike a bpf_loop() callback's (leak_in_loop_callback), a mask it
 * leaves behind can never come back to the caller, so the leak must be
 * refused at the callback's exit. The log holds the caller's path up to
 * bpf_timer_set_callback(), then the callback's.
 */
#define CLOCK_MONOTONIC 1

struct exit_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct exit_timer);
} exit_timers SEC(".maps");

static int timer_cb_leaking_mask(void *map, int *key, struct bpf_timer *timer)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(0, mask);
	return 0;
}

SEC("syscall")
__failure __msg("call bpf_timer_set_callback#") __msg(LEAK_MSG)
int timer_callback_holding_mask(void *ctx)
{
	struct exit_timer *t;
	u32 key = 0;

	t = bpf_map_lookup_elem(&exit_timers, &key);
	if (!t)
		return 1;
	if (bpf_timer_init(&t->timer, &exit_timers, CLOCK_MONOTONIC))
		return 2;
	bpf_timer_set_callback(&t->timer, timer_cb_leaking_mask);
	return 0;
}

static int timer_cb_releasing_mask(void *map, int *key, struct bpf_timer *timer)
{
	struct bpf_cpumask *mask = bpf_cpumask_create();

	if (!mask)
		return 0;
	bpf_cpumask_set_cpu(0, mask);
	bpf_cpumask_release(mask);
	return 0;
}

SEC("syscall")
__success __retval(0)
int timer_callback_releasing_mask(void *ctx)
{
	struct exit_timer *t;
	u32 key = 0;

	t = bpf_map_lookup_elem(&exit_timers, &key);
	if (!t)
		return 1;
	if (bpf_timer_init(&t->timer, &exit_timers, CLOCK_MONOTONIC))
		return 2;
	bpf_timer_set_callback(&t->timer, timer_cb_releasing_mask);
	return 0;
}
