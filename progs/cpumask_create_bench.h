/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by progs/cpumask_create_bench.c and its driver in benchs/: one
 * timed batch, handed to a SYSCALL program through BPF_PROG_TEST_RUN's ctx.
 */
#ifndef __CPUMASK_CREATE_BENCH_H
#define __CPUMASK_CREATE_BENCH_H

/* Burst sizes go up to this many masks held at once. */
#define BENCH_BURST_MAX		65536
/* Slots of the reused masks, one per CPU. */
#define BENCH_MAX_CPUS		1024

struct bench_batch {
	__u32 iters;		/* in: operations to time */
	__u32 ops;		/* out: operations that completed */
	__u32 errors;		/* out: operations that failed (no memory, ...) */
	__u32 cpu;		/* out: the CPU the batch ran on */
	__u64 ns;		/* out: bpf_ktime_get_ns() around the whole batch */
};

#endif /* __CPUMASK_CREATE_BENCH_H */
