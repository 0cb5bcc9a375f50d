/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standalone stand-in for selftests/bpf's progs/bpf_misc.h. The annotations
 * become BTF decl tags on the program's function, in the same encoding as
 * upstream, so that test_loader.c here and upstream's read them alike.
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
#define __description(desc)	__attribute__((btf_decl_tag("comment:test_description=" desc)))
#define __log_level(lvl)	__attribute__((btf_decl_tag("comment:test_log_level="#lvl)))
#define __flag(flag)		__attribute__((btf_decl_tag("comment:test_prog_flags="#flag)))
#define __retval(val)		__attribute__((btf_decl_tag("comment:test_retval="#val)))
#define __auxiliary		__attribute__((btf_decl_tag("comment:test_auxiliary")))

/* programs written in inline assembly, as upstream writes them */
#define __naked			__attribute__((naked))
#define __clobber_all		"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

#endif /* __BPF_MISC_H__ */
