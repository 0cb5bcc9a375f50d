/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Standalone stand-in for selftests/bpf's test_progs.h: the same names and
 * meaning, so that prog_tests/ compile unchanged here and in a kernel tree.
 */
#ifndef __TEST_PROGS_H
#define __TEST_PROGS_H

/* upstream's includes that its network_helpers.c relies on among them */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <sys/types.h>
#include <linux/types.h>	/* the tree's tools/include: u16, u32, u64 too */
#include <linux/err.h>
#include <linux/filter.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

enum verbosity {
	VERBOSE_NONE,
	VERBOSE_NORMAL,
	VERBOSE_VERY,
	VERBOSE_SUPER,
};

struct test_env {
	enum verbosity verbosity;
	FILE *stdout_saved;
	FILE *stderr_saved;
};

extern struct test_env env;

bool test__start_subtest(const char *name);
void test__end_subtest(void);
void test__skip(void);
void test__fail(void);

/* as upstream's testing_helpers.h: returns after an RCU grace period */
int kern_sync_rcu(void);

/*
 * Prints "func:PASS:tag" or "func:FAIL:tag <message>" (and fails the test);
 * returns @ok. Every assertion below ends up here.
 */
bool test__report(bool ok, const char *func, const char *tag, const char *fmt, ...);

#define PRINT_FAIL(format...)						\
	({								\
		test__fail();						\
		fprintf(stdout, "%s:FAIL:%d ", __func__, __LINE__);	\
		fprintf(stdout, ##format);				\
	})

#define ASSERT_TRUE(actual, name)					\
	test__report(!!(actual), __func__, name, "got FALSE\n")

#define ASSERT_FALSE(actual, name)					\
	test__report(!(actual), __func__, name, "got TRUE\n")

#define _ASSERT_CMP(actual, expected, op, opname, name) ({		\
	typeof(actual) ___act = (actual);				\
	typeof(expected) ___exp = (expected);				\
	test__report(___act op ___exp, __func__, name,			\
		     "actual %lld " opname " expected %lld\n",		\
		     (long long)___act, (long long)___exp);		\
})

#define ASSERT_EQ(actual, expected, name) _ASSERT_CMP(actual, expected, ==, "!=", name)
#define ASSERT_NEQ(actual, expected, name) _ASSERT_CMP(actual, expected, !=, "==", name)
#define ASSERT_LT(actual, expected, name) _ASSERT_CMP(actual, expected, <, ">=", name)
#define ASSERT_LE(actual, expected, name) _ASSERT_CMP(actual, expected, <=, ">", name)
#define ASSERT_GT(actual, expected, name) _ASSERT_CMP(actual, expected, >, "<=", name)
#define ASSERT_GE(actual, expected, name) _ASSERT_CMP(actual, expected, >=, "<", name)

#define ASSERT_STREQ(actual, expected, name) ({				\
	const char *___act = (actual);					\
	const char *___exp = (expected);				\
	test__report(strcmp(___act, ___exp) == 0, __func__, name,	\
		     "actual '%s' != expected '%s'\n", ___act, ___exp);	\
})

#define ASSERT_STRNEQ(actual, expected, len, name) ({			\
	const char *___act = (actual);					\
	const char *___exp = (expected);				\
	int ___len = (len);						\
	test__report(strncmp(___act, ___exp, ___len) == 0, __func__, name, \
		     "actual '%.*s' != expected '%.*s'\n",		\
		     ___len, ___act, ___len, ___exp);			\
})

#define ASSERT_HAS_SUBSTR(str, substr, name) ({				\
	const char *___str = (str);					\
	const char *___substr = (substr);				\
	test__report(!!strstr(___str, ___substr), __func__, name,	\
		     "'%s' is not a substring of '%s'\n", ___substr, ___str); \
})

#define ASSERT_OK(res, name) ({						\
	long long ___res = (res);					\
	test__report(___res == 0, __func__, name,			\
		     "error %lld (errno %d)\n", ___res, errno);		\
})

#define ASSERT_ERR(res, name) ({					\
	long long ___res = (res);					\
	test__report(___res < 0, __func__, name,			\
		     "success %lld\n", ___res);				\
})

#define ASSERT_OK_PTR(ptr, name) ({					\
	int ___err = libbpf_get_error(ptr);				\
	test__report(___err == 0, __func__, name, "error %d\n", ___err); \
})

#define ASSERT_ERR_PTR(ptr, name) ({					\
	const void *___res = (ptr);					\
	test__report(libbpf_get_error(___res) != 0, __func__, name,	\
		     "pointer %p\n", ___res);				\
})

#define ASSERT_OK_FD(fd, name) ({					\
	int ___fd = (fd);						\
	test__report(___fd >= 0, __func__, name,			\
		     "fd %d (errno %d)\n", ___fd, errno);		\
})

typedef const void *(*skel_elf_bytes_fn)(size_t *sz);

struct test_loader {
	char *log_buf;
	size_t log_buf_sz;
};

void test_loader__run_subtests(struct test_loader *tester,
			       const char *skel_name,
			       skel_elf_bytes_fn elf_bytes_factory);
void test_loader_fini(struct test_loader *tester);

#define RUN_TESTS(skel) ({						\
	struct test_loader tester = {};					\
									\
	test_loader__run_subtests(&tester, #skel, skel##__elf_bytes);	\
	test_loader_fini(&tester);					\
})

#endif /* __TEST_PROGS_H */
