/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standalone stand-in for selftests/bpf's progs/bpf_misc.h: the annotations
 * our tests use, as BTF decl tags on the program's function, which
 * test_loader.c reads. The encoding is 6.12's; 7.3 changed it
 * ("comment:N:test_..."). In a kernel tree the tree's own bpf_misc.h and
 * test_loader.c take the place of both, so the two never meet.
 */
#ifndef __BPF_MISC_H__
#define __BPF_MISC_H__

#define XSTR(s) STR(s)
#define STR(s) #s

/* __COUNTER__ keeps several __msg() of one program in source order */
#define __msg(msg)		\
	__attribute__((btf_decl_tag("comment:test_expect_msg=" XSTR(__COUNTER__) "=" msg)))
#define __failure		__attribute__((btf_decl_tag("comment:test_expect_failure")))
#define __success		__attribute__((btf_decl_tag("comment:test_expect_success")))
#define __retval(val)		__attribute__((btf_decl_tag("comment:test_retval="#val)))

/* programs written in inline assembly, as upstream writes them */
#define __naked			__attribute__((naked))
#define __clobber_all		"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

#endif /* __BPF_MISC_H__ */
