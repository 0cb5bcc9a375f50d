// SPDX-License-Identifier: GPL-2.0
/*
 * A small test_progs-compatible runner: same CLI subset, same output shape,
 * same selection rules, so results compare 1:1 with upstream's test_progs.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include "test_progs.h"

/* long options without a short one */
#define OPT_KTAP	0x100

struct test_def {
	const char *name;
	void (*run)(void);
	bool serial;	/* serial_test_: changes global state, runs alone */
};

/* tests.h: a prototype per test, then TEST_LIST of DEFINE_TEST(name, serial_ or nothing) */
#include "tests.h"

#define DEFINE_TEST(name, serial) { #name, serial##test_##name, sizeof(#serial) > 1 },
static const struct test_def tests[] = {
	TEST_LIST
};

struct filter {
	char *test;
	char *subtest;	/* NULL: every subtest */
};

struct filter_set {
	struct filter *f;
	int cnt;
};

struct num_set {
	bool *set;
	int len;
};

struct test_env env;

static struct filter_set allow, deny;
static struct num_set test_nums, subtest_nums;
static bool list_only;
static int workers;	/* -j: tests not marked serial_ run this many at a time */

/* state of the test (and subtest) currently running */
static struct {
	const char *name;
	int num;
	int error_cnt, skip_cnt, sub_succ_cnt, subtest_num;
	int known_errors;	/* errors of subtests that failed as known */
	char *log;
	size_t log_cnt;
	FILE *log_f;
	/* current subtest */
	char *sub_name;
	bool sub_skip;
	int sub_errors_before;
	char *sub_log;
	size_t sub_log_cnt;
	FILE *sub_log_f;
} cur;

static int succ_cnt, sub_succ_cnt, skip_cnt, fail_cnt;
/* tests whose every failure is a known one, and entries that passed */
static int known_cnt, xpass_cnt;
/* tests that ran and skipped all they had: if all did, nothing was tested */
static int skipped_tests;

/* failed entries for -J and the end-of-run log dump */
struct failure {
	char *name;
	int num, subnum;	/* subnum 0: the test itself */
	char *log;
};

static struct failure *failures;
static int failure_cnt;

/*
 * The known failures: the one list of tests that fail on kernels with a
 * known bug (known-failures at the top of the source tree, built in; or
 * --known-failures FILE). A line is "TEST[/SUBTEST] KERNELS REASON": KERNELS
 * a comma list of series (6.18) or releases (6.18.44), matched against the
 * running kernel's release as /proc/sys/kernel/osrelease gives it. Such a
 * failure is reported as XFAIL, with its reason, and does not fail the run;
 * such a test passing is reported as XPASS: the entry is stale.
 */
#include "known_failures.h"

struct known {
	char *name;	/* TEST or TEST/SUBTEST */
	char *reason;
	int line;
};

static struct known *known;
static int known_len;
static const char *known_src = "known-failures";
static char release[128];

/* @rel is @entry, or @entry followed by a separator: 6.18 matches 6.18.44-x */
static bool release_matches(const char *entry, const char *rel)
{
	size_t n = strlen(entry);

	return n && !strncmp(entry, rel, n) && strchr(".-+", rel[n]) != NULL;
}

static int known_parse(const char *text)
{
	char *copy = strdup(text), *ln, *line_end;
	int lineno = 0;

	if (!copy)
		return -ENOMEM;
	for (ln = copy; ln && *ln; ln = line_end) {
		char name[256], kernels[256], *k, *ksave = NULL;
		struct known *grown;
		int off = 0;
		bool hit = false;

		line_end = strchr(ln, '\n');
		if (line_end)
			*line_end++ = '\0';
		lineno++;
		ln += strspn(ln, " \t");
		if (!*ln || *ln == '#')
			continue;
		if (sscanf(ln, "%255s %255s %n", name, kernels, &off) != 2 || !ln[off]) {
			fprintf(stderr, "test_progs: %s:%d: expected TEST KERNELS REASON\n",
				known_src, lineno);
			free(copy);
			return -EINVAL;
		}
		for (k = strtok_r(kernels, ",", &ksave); k; k = strtok_r(NULL, ",", &ksave))
			hit |= release_matches(k, release);
		if (!hit)
			continue;
		grown = realloc(known, sizeof(*known) * (known_len + 1));
		if (!grown) {
			free(copy);
			return -ENOMEM;
		}
		known = grown;
		known[known_len].name = strdup(name);
		known[known_len].reason = strdup(ln + off);
		known[known_len].line = lineno;
		known_len++;
	}
	free(copy);
	return 0;
}

static int known_load(const char *path)
{
	FILE *f;
	char *text = NULL;
	size_t len = 0;
	int err;

	f = fopen("/proc/sys/kernel/osrelease", "r");
	if (!f || !fgets(release, sizeof(release), f)) {
		fprintf(stderr, "test_progs: cannot read the kernel release: %s\n",
			strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	release[strcspn(release, "\n")] = '\0';
	if (!path)
		return known_parse(known_failures_builtin);
	known_src = path;
	f = fopen(path, "r");
	if (!f || getdelim(&text, &len, '\0', f) < 0) {
		fprintf(stderr, "test_progs: cannot read %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		free(text);
		return -1;
	}
	fclose(f);
	err = known_parse(text);
	free(text);
	return err;
}

/* The entry for @name (TEST/SUBTEST, or TEST) on this kernel, or NULL. */
static const struct known *known_entry(const char *name)
{
	size_t n;
	int i;

	for (i = 0; i < known_len; i++) {
		if (!strcmp(known[i].name, name))
			return &known[i];
		/* a TEST entry covers its subtests */
		n = strlen(known[i].name);
		if (!strchr(known[i].name, '/') && !strncmp(known[i].name, name, n) &&
		    name[n] == '/')
			return &known[i];
	}
	return NULL;
}

static void known_note(FILE *f, const struct known *k, bool failed, const char *name)
{
	if (failed)
		fprintf(f, "KNOWN: %s (%s:%d)\n", k->reason, known_src, k->line);
	else
		fprintf(f, "XPASS: %s passed on %s, where %s:%d expects it to fail: %s\n",
			name, release, known_src, k->line, "remove the entry if the kernel is fixed");
}

static bool verbose(void)
{
	return env.verbosity > VERBOSE_NONE;
}

static void record_failure(const char *name, int num, int subnum, const char *log)
{
	struct failure *f;

	f = realloc(failures, sizeof(*f) * (failure_cnt + 1));
	if (!f)
		return;
	failures = f;
	f = &failures[failure_cnt++];
	f->name = strdup(name);
	f->num = num;
	f->subnum = subnum;
	f->log = strdup(log ? log : "");
}

static void print_log(const char *log, size_t cnt)
{
	if (!cnt)
		return;
	fputs(log, env.stdout_saved);
	if (log[cnt - 1] != '\n')
		fputc('\n', env.stdout_saved);
}

static void redirect(FILE *f)
{
	fflush(stdout);
	stdout = f;
	stderr = f;
}

/* A comma list of TEST or TEST/SUBTEST; an empty name selects nothing: an error. */
static int parse_filters(struct filter_set *set, const char *arg, bool glob)
{
	char *s = strdup(arg), *save = NULL, *tok;
	int err = -EINVAL;

	if (!s)
		return -ENOMEM;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(tok, '/');
		struct filter *f;

		if (slash)
			*slash = '\0';
		if (!tok[0] || (slash && !slash[1])) {
			err = -EINVAL;
			break;
		}
		err = -ENOMEM;
		f = realloc(set->f, sizeof(*f) * (set->cnt + 1));
		if (!f)
			break;
		set->f = f;
		f = &set->f[set->cnt++];
		/* -t and -b match substrings, -a and -d match whole names */
		if (glob) {
			f->test = strdup(tok);
			f->subtest = slash ? strdup(slash + 1) : NULL;
			if (!f->test || (slash && !f->subtest))
				break;
		} else {
			if (asprintf(&f->test, "*%s*", tok) < 0)
				break;
			f->subtest = NULL;
			if (slash && asprintf(&f->subtest, "*%s*", slash + 1) < 0)
				break;
		}
		err = 0;
	}
	free(s);
	if (err == -EINVAL)
		fprintf(stderr, "invalid test selection: '%s'\n", arg);
	return err;
}

static int parse_nums(const char *arg, struct num_set *tests, struct num_set *subs)
{
	char *s = strdup(arg), *save = NULL, *tok;
	int err = -EINVAL;

	if (!s)
		return -ENOMEM;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct num_set *set = tests;
		char *end, *slash = strchr(tok, '/');
		long a, b;

		err = -EINVAL;
		if (slash) {
			*slash = '\0';
			/* "N/M": the subtest numbers apply within test N */
			a = strtol(tok, &end, 10);
			if (*end || a <= 0 || !subs || parse_nums(tok, tests, NULL))
				break;
			tok = slash + 1;
			set = subs;
		}
		a = strtol(tok, &end, 10);
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (end == tok || *end || a <= 0 || b < a || b > 100000)
			break;
		if (b >= set->len) {
			bool *n = realloc(set->set, b + 1);

			err = -ENOMEM;
			if (!n)
				break;
			memset(n + set->len, 0, b + 1 - set->len);
			set->set = n;
			set->len = b + 1;
		}
		for (; a <= b; a++)
			set->set[a] = true;
		err = 0;
	}
	free(s);
	return err;
}

static bool match(const char *pat, const char *name)
{
	return fnmatch(pat, name, 0) == 0;
}

static bool should_run(int num, const char *name)
{
	int i;

	for (i = 0; i < deny.cnt; i++)
		if (!deny.f[i].subtest && match(deny.f[i].test, name))
			return false;
	for (i = 0; i < allow.cnt; i++)
		if (match(allow.f[i].test, name))
			return true;
	if (!allow.cnt && !test_nums.set)
		return true;
	return num < test_nums.len && test_nums.set[num];
}

static bool match_sub(struct filter_set *set, const char *test, const char *sub)
{
	int i;

	for (i = 0; i < set->cnt; i++) {
		if (!match(set->f[i].test, test))
			continue;
		if (!set->f[i].subtest || match(set->f[i].subtest, sub))
			return true;
	}
	return false;
}

static bool should_run_subtest(int num, const char *sub)
{
	if (match_sub(&deny, cur.name, sub))
		return false;
	if (match_sub(&allow, cur.name, sub))
		return true;
	if (!allow.cnt && !subtest_nums.set)
		return true;
	return num < subtest_nums.len && subtest_nums.set[num];
}

/*
 * --ktap: KTAP v1 (Documentation/dev-tools/ktap.rst) on stdout instead of
 * the test_progs lines, for kselftest's tooling. Each test is one result,
 * its subtests nested under it; a subtest block's plan needs its count,
 * so a test's subtest lines are held until the test ends. Numbers count
 * what ran, from 1 at each level, as the format requires.
 */
static struct {
	bool on;
	int test_num, sub_num;
	char *subs;		/* the current test's subtest lines */
	size_t subs_cnt;
	FILE *subs_f;
	char *skip_reason;	/* the current test's first subtest skip reason */
	int pass, fail, xfail, xpass, skip;
} ktap;

/* log's lines as diagnostic lines ("# ...") at @indent */
static void ktap_diag(FILE *f, const char *indent, const char *log, size_t cnt)
{
	const char *end = log + cnt, *nl;

	while (log < end) {
		nl = memchr(log, '\n', end - log);
		if (!nl)
			nl = end;
		fprintf(f, "%s#%s%.*s\n", indent, nl > log ? " " : "", (int)(nl - log), log);
		log = nl + 1;
	}
}

/* the reason a (sub)test skipped: its last "SKIP: reason" log line */
static char *ktap_skip_reason(const char *log, size_t cnt)
{
	const char *p = log, *end = log + cnt, *nl, *reason = NULL;
	int len = 0;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if (nl - p > 6 && !strncmp(p, "SKIP: ", 6)) {
			reason = p + 6;
			len = nl - reason;
		}
	}
	return reason ? strndup(reason, len) : NULL;
}

/*
 * One result line, after the (sub)test's log as diagnostics when it failed
 * or under -v. @res is the runner's verdict: OK, FAIL, SKIP, XFAIL (a known
 * failure: "ok", as kselftest's ksft_test_result_xfail() prints it) or XPASS.
 */
static void ktap_result(FILE *f, const char *indent, int num, const char *name,
			const char *res, const char *why, const char *log, size_t cnt)
{
	bool failed = !strcmp(res, "FAIL");

	if (failed || verbose())
		ktap_diag(f, indent, log, cnt);
	fprintf(f, "%s%s %d %s", indent, failed ? "not ok" : "ok", num, name);
	if (!strcmp(res, "SKIP") || !strcmp(res, "XFAIL") || !strcmp(res, "XPASS"))
		fprintf(f, " # %s%s%s", res, why ? " " : "", why ?: "");
	fputc('\n', f);
}

/*
 * A known-failures entry in KTAP: its failure as XFAIL with the entry's
 * reason in @why, a pass as XPASS (the entry is stale); @why is empty
 * otherwise. Returns the result to print.
 */
static const char *ktap_known(const struct known *k, const char *res, char *why, size_t len)
{
	why[0] = '\0';
	if (!k)
		return res;
	if (!strcmp(res, "XFAIL")) {
		snprintf(why, len, "%s (%s:%d)", k->reason, known_src, k->line);
	} else if (!strcmp(res, "OK")) {
		snprintf(why, len, "%s:%d expects a failure on %s: %s", known_src, k->line,
			 release, "remove the entry if the kernel is fixed");
		res = "XPASS";
	}
	return res;
}

static void ktap_begin(int planned)
{
	printf("KTAP version 1\n1..%d\n", planned);
}

static void ktap_subtest(const char *name, const char *res, const char *why,
			 const char *log, size_t cnt)
{
	char *reason = NULL;

	if (!ktap.subs_f) {
		ktap.subs_f = open_memstream(&ktap.subs, &ktap.subs_cnt);
		if (!ktap.subs_f) {
			fprintf(env.stderr_saved, "open_memstream: %s\n", strerror(errno));
			exit(1);
		}
	}
	if (!strcmp(res, "SKIP") && !why) {
		reason = ktap_skip_reason(log, cnt);
		why = reason;
	}
	if (!strcmp(res, "SKIP") && why && !ktap.skip_reason)
		ktap.skip_reason = strdup(why);
	ktap_result(ktap.subs_f, "  ", ++ktap.sub_num, name, res, why, log, cnt);
	free(reason);
}

static void ktap_test(const char *name, const char *res, const char *why,
		      const char *log, size_t cnt)
{
	char *reason = NULL;

	if (ktap.subs_f) {
		fclose(ktap.subs_f);
		printf("  KTAP version 1\n  1..%d\n", ktap.sub_num);
		fputs(ktap.subs, stdout);
		free(ktap.subs);
	}
	if (!strcmp(res, "SKIP") && !why && !ktap.skip_reason) {
		reason = ktap_skip_reason(log, cnt);
		why = reason;
	} else if (!strcmp(res, "SKIP") && !why) {
		why = ktap.skip_reason;
	}
	ktap_result(stdout, "", ++ktap.test_num, name, res, why, log, cnt);
	if (!strcmp(res, "FAIL"))
		ktap.fail++;
	else if (!strcmp(res, "SKIP"))
		ktap.skip++;
	else if (!strcmp(res, "XFAIL"))
		ktap.xfail++;
	else if (!strcmp(res, "XPASS"))
		ktap.xpass++;
	else
		ktap.pass++;
	free(reason);
	free(ktap.skip_reason);
	ktap.skip_reason = NULL;
	ktap.subs_f = NULL;
	ktap.subs = NULL;
	ktap.sub_num = 0;
}

/* kselftest's closing line, which its tooling counts */
static void ktap_end(void)
{
	printf("# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:0\n",
	       ktap.pass, ktap.fail, ktap.xfail, ktap.xpass, ktap.skip);
}

void test__end_subtest(void)
{
	bool failed, verbose_log = verbose();
	const struct known *k;
	const char *res;
	char num[32], why[512];

	if (!cur.sub_name)
		return;
	failed = cur.error_cnt > cur.sub_errors_before;
	redirect(cur.log_f);
	fclose(cur.sub_log_f);
	k = known_entry(cur.sub_name);
	if (failed && k) {
		res = "XFAIL";
		cur.known_errors += cur.error_cnt - cur.sub_errors_before;
	} else if (failed) {
		res = "FAIL";
		record_failure(cur.sub_name, cur.num, cur.subtest_num, cur.sub_log);
	} else if (cur.sub_skip) {
		res = "SKIP";
		cur.skip_cnt++;
	} else {
		res = "OK";
		cur.sub_succ_cnt++;
	}
	if (k && !failed && !cur.sub_skip)
		xpass_cnt++;
	if (ktap.on) {
		res = ktap_known(k, res, why, sizeof(why));
		ktap_subtest(strchr(cur.sub_name, '/') + 1, res, why[0] ? why : NULL,
			     cur.sub_log, cur.sub_log_cnt);
	} else {
		if (failed || verbose_log)
			print_log(cur.sub_log, cur.sub_log_cnt);
		if (k && (failed || !cur.sub_skip))
			known_note(env.stdout_saved, k, failed, cur.sub_name);
		snprintf(num, sizeof(num), "%d/%d", cur.num, cur.subtest_num);
		fprintf(env.stdout_saved, "#%-7s %s:%s\n", num, cur.sub_name, res);
	}
	free(cur.sub_log);
	free(cur.sub_name);
	cur.sub_name = NULL;
	cur.sub_log = NULL;
}

bool test__start_subtest(const char *name)
{
	char *full;

	if (cur.sub_name)
		test__end_subtest();
	cur.subtest_num++;
	if (!name || !name[0]) {
		fprintf(env.stderr_saved, "test %s: subtest #%d has no name\n",
			cur.name, cur.subtest_num);
		return false;
	}
	if (!should_run_subtest(cur.subtest_num, name))
		return false;
	if (asprintf(&full, "%s/%s", cur.name, name) < 0)
		return false;
	cur.sub_name = full;
	cur.sub_skip = false;
	cur.sub_errors_before = cur.error_cnt;
	cur.sub_log_f = open_memstream(&cur.sub_log, &cur.sub_log_cnt);
	if (!cur.sub_log_f) {
		free(full);
		cur.sub_name = NULL;
		return false;
	}
	redirect(cur.sub_log_f);
	return true;
}

void test__skip(void)
{
	if (cur.sub_name)
		cur.sub_skip = true;
	else
		cur.skip_cnt++;
}

void test__fail(void)
{
	cur.error_cnt++;
}

bool test__report(bool ok, const char *func, const char *tag, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (ok) {
		printf("%s:PASS:%s 0 nsec\n", func, tag);
	} else {
		test__fail();
		printf("%s:FAIL:%s unexpected %s: ", func, tag, tag);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	errno = saved_errno;
	return ok;
}

/* MEMBARRIER_CMD_SHARED waits in synchronize_rcu() */
int kern_sync_rcu(void)
{
	return syscall(__NR_membarrier, MEMBARRIER_CMD_SHARED, 0, 0);
}

static void run_test(const struct test_def *t, int num)
{
	const struct known *k;
	bool known_only;
	const char *res;
	char why[512];

	memset(&cur, 0, sizeof(cur));
	cur.name = t->name;
	cur.num = num;
	cur.log_f = open_memstream(&cur.log, &cur.log_cnt);
	if (!cur.log_f) {
		fprintf(env.stderr_saved, "open_memstream: %s\n", strerror(errno));
		exit(1);
	}
	redirect(cur.log_f);
	t->run();
	test__end_subtest();
	redirect(env.stdout_saved);
	fclose(cur.log_f);
	stderr = env.stderr_saved;

	/* failed, but only where the known-failures list says it does */
	k = cur.subtest_num ? NULL : known_entry(t->name);
	known_only = cur.error_cnt && (cur.error_cnt == cur.known_errors || k);
	if (known_only)
		res = "XFAIL";
	else if (cur.error_cnt)
		res = "FAIL";
	else if (!cur.skip_cnt)
		res = "OK";
	else if (cur.skip_cnt == cur.subtest_num || !cur.subtest_num)
		res = "SKIP";
	else
		res = NULL;
	if (k && !cur.error_cnt && !cur.skip_cnt)
		xpass_cnt++;
	if (ktap.on) {
		res = ktap_known(k, res ?: "OK", why, sizeof(why));
		ktap_test(t->name, res, why[0] ? why : NULL, cur.log, cur.log_cnt);
	} else {
		if (cur.error_cnt || verbose())
			print_log(cur.log, cur.log_cnt);
		if (k && (cur.error_cnt || !cur.skip_cnt))
			known_note(stdout, k, cur.error_cnt, t->name);
		if (res)
			printf("#%-7d %s:%s\n", num, t->name, res);
		else
			printf("#%-7d %s:OK (SKIP: %d/%d)\n", num, t->name,
			       cur.skip_cnt, cur.subtest_num);
	}
	fflush(stdout);

	if (known_only) {
		known_cnt++;
	} else if (cur.error_cnt) {
		fail_cnt++;
		record_failure(t->name, num, 0, cur.log);
	} else {
		succ_cnt++;
		if (res && !strcmp(res, "SKIP"))
			skipped_tests++;
	}
	sub_succ_cnt += cur.sub_succ_cnt;
	skip_cnt += cur.skip_cnt;
	free(cur.log);
}

/*
 * -j: each test not marked serial_ runs in a child process of its own, up
 * to @workers at a time. The child's output goes to one file, its counts
 * and failures to another; the parent prints the output and adds up the
 * results as each child ends (upstream's order: as tests complete). The
 * serial_ tests run afterwards in this process, alone.
 */
struct job {
	pid_t pid;
	int num;
	FILE *out, *res;
};

static void job_write_str(FILE *f, const char *str)
{
	size_t len = strlen(str);

	fwrite(&len, sizeof(len), 1, f);
	fwrite(str, 1, len, f);
}

static char *job_read_str(FILE *f)
{
	size_t len;
	char *str;

	if (fread(&len, sizeof(len), 1, f) != 1)
		return NULL;
	str = malloc(len + 1);
	if (!str)
		return NULL;
	if (fread(str, 1, len, f) != len) {
		free(str);
		return NULL;
	}
	str[len] = '\0';
	return str;
}

static void job_start(struct job *job, const struct test_def *t, int num)
{
	int counts[7], i;

	job->num = num;
	job->out = tmpfile();
	job->res = tmpfile();
	if (!job->out || !job->res) {
		fprintf(stderr, "tmpfile: %s\n", strerror(errno));
		exit(1);
	}
	fflush(stdout);
	job->pid = fork();
	if (job->pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		exit(1);
	}
	if (job->pid)
		return;
	/* this process reports only its own test */
	env.stdout_saved = job->out;
	env.stderr_saved = job->out;
	redirect(job->out);
	succ_cnt = 0;
	sub_succ_cnt = 0;
	skip_cnt = 0;
	fail_cnt = 0;
	skipped_tests = 0;
	known_cnt = 0;
	xpass_cnt = 0;
	failure_cnt = 0;
	run_test(t, num);
	counts[0] = succ_cnt;
	counts[1] = sub_succ_cnt;
	counts[2] = skip_cnt;
	counts[3] = fail_cnt;
	counts[4] = skipped_tests;
	counts[5] = known_cnt;
	counts[6] = xpass_cnt;
	fwrite(counts, sizeof(counts), 1, job->res);
	fwrite(&failure_cnt, sizeof(failure_cnt), 1, job->res);
	for (i = 0; i < failure_cnt; i++) {
		fwrite(&failures[i].subnum, sizeof(int), 1, job->res);
		job_write_str(job->res, failures[i].name);
		job_write_str(job->res, failures[i].log);
	}
	fflush(job->out);
	_exit(fflush(job->res) ? 1 : 0);
}

/* Print a finished job's output, take in its results. */
static void job_end(struct job *job, int status, const char *name)
{
	int counts[7], cnt = -1, subnum, i, c;
	char *fname, *log;

	rewind(job->out);
	while ((c = fgetc(job->out)) != EOF)
		putchar(c);
	rewind(job->res);
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    fread(counts, sizeof(counts), 1, job->res) != 1 ||
	    fread(&cnt, sizeof(cnt), 1, job->res) != 1) {
		printf("#%-7d %s:FAIL (worker process %s %d)\n", job->num, name,
		       WIFSIGNALED(status) ? "killed by signal" : "exited with",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		fail_cnt++;
		record_failure(name, job->num, 0, "worker process died\n");
		cnt = 0;
	} else {
		succ_cnt += counts[0];
		sub_succ_cnt += counts[1];
		skip_cnt += counts[2];
		fail_cnt += counts[3];
		skipped_tests += counts[4];
		known_cnt += counts[5];
		xpass_cnt += counts[6];
	}
	for (i = 0; i < cnt; i++) {
		if (fread(&subnum, sizeof(subnum), 1, job->res) != 1)
			break;
		fname = job_read_str(job->res);
		log = job_read_str(job->res);
		if (fname && log)
			record_failure(fname, job->num, subnum, log);
		free(fname);
		free(log);
	}
	fflush(stdout);
	fclose(job->out);
	fclose(job->res);
	job->pid = 0;
}

static void run_parallel(void)
{
	struct job *jobs = calloc(workers, sizeof(*jobs));
	int i, j, status, running = 0;
	pid_t pid;

	if (!jobs) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	for (i = 0; i <= (int)ARRAY_SIZE(tests); i++) {
		if (i < (int)ARRAY_SIZE(tests) &&
		    (tests[i].serial || !should_run(i + 1, tests[i].name)))
			continue;
		/* a free slot for test i, or (after the last) every job ended */
		while (running == workers || (i == (int)ARRAY_SIZE(tests) && running)) {
			pid = wait(&status);
			if (pid < 0) {
				fprintf(stderr, "wait: %s\n", strerror(errno));
				exit(1);
			}
			for (j = 0; j < workers; j++)
				if (jobs[j].pid == pid) {
					job_end(&jobs[j], status, tests[jobs[j].num - 1].name);
					running--;
				}
		}
		if (i == (int)ARRAY_SIZE(tests))
			break;
		for (j = 0; jobs[j].pid; j++)
			;
		job_start(&jobs[j], &tests[i], i + 1);
		running++;
	}
	free(jobs);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/*
 * -J: opened before any test runs, so that a bad path fails at once. A
 * regular file is written to a temporary beside it and renamed into place,
 * so that it is never seen half written; anything else (/dev/stdout) is
 * written directly.
 */
static struct {
	const char *path;
	char *tmp;
	FILE *f;
} json;

static int json_open(const char *path)
{
	struct stat st;
	mode_t mask;
	int fd;

	json.path = path;
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		json.f = fopen(path, "w");
	} else if (asprintf(&json.tmp, "%s.XXXXXX", path) >= 0) {
		fd = mkstemp(json.tmp);
		mask = umask(0);
		umask(mask);
		if (fd >= 0 && fchmod(fd, 0666 & ~mask))
			fd = -1;
		json.f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!json.f) {
			unlink(json.tmp);
			free(json.tmp);
			json.tmp = NULL;
		}
	}
	if (json.f)
		return 0;
	fprintf(stderr, "test_progs: cannot write %s: %s\n", path, strerror(errno));
	return -1;
}

/* a failed test's or subtest's entry, upstream's shape */
static void json_entry(FILE *f, const char *name, int num, const char *log)
{
	fputs("{\"name\":", f);
	json_str(f, name);
	fprintf(f, ",\"number\":%d,\"message\":", num);
	json_str(f, log);
	fputs(",\"failed\":true", f);
}

/* upstream's -J shape: counts, then only the failed tests and their failed subtests */
static int json_write(void)
{
	FILE *f = json.f;
	const char *sep = "";
	int i, j, err;

	fprintf(f, "{\"success\":%d,\"success_subtest\":%d,", succ_cnt, sub_succ_cnt);
	fprintf(f, "\"skipped\":%d,\"failed\":%d,\"results\":[", skip_cnt, fail_cnt);
	for (i = 0; i < failure_cnt; i++) {
		struct failure *t = &failures[i];
		const char *subsep = "";

		if (t->subnum)
			continue;
		fputs(sep, f);
		sep = ",";
		json_entry(f, t->name, t->num, t->log);
		fputs(",\"subtests\":[", f);
		for (j = 0; j < failure_cnt; j++) {
			struct failure *s = &failures[j];

			if (!s->subnum || s->num != t->num)
				continue;
			fputs(subsep, f);
			subsep = ",";
			json_entry(f, strchr(s->name, '/') + 1, s->subnum, s->log);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
	err = fflush(f) || ferror(f) ? errno ?: EIO : 0;
	if (fclose(f) && !err)
		err = errno;
	if (!err && json.tmp && rename(json.tmp, json.path))
		err = errno;
	if (json.tmp && err)
		unlink(json.tmp);
	free(json.tmp);
	if (err)
		fprintf(stderr, "test_progs: cannot write %s: %s\n", json.path, strerror(err));
	return err ? -1 : 0;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (env.verbosity < VERBOSE_VERY && level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stdout, fmt, args);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: test_progs [OPTION...]\n"
		"  -t, --name=NAMES        run tests whose name contains one of NAMES\n"
		"                          (comma list; TEST/SUBTEST selects subtests)\n"
		"  -b, --name-blacklist=NAMES  skip tests whose name contains NAMES\n"
		"  -a, --allow=NAMES       run tests whose name matches NAMES exactly (globs)\n"
		"  -d, --deny=NAMES        skip tests whose name matches NAMES exactly (globs)\n"
		"  -n, --num=NUMS          run tests by number: 1,3-5,2/1\n"
		"  -v, --verbose[=LEVEL]   verbose output (use -vv or -vvv for progressively\n"
		"                          verbose output)\n"
		"  -l, --list              list test names and exit\n"
		"  -J, --json-summary=FILE write a JSON summary to FILE\n"
		"  -j, --num-workers[=N]   run tests not marked serial_ in N processes at a\n"
		"                          time (default: the number of CPUs)\n"
		"      --ktap              print KTAP v1 (kselftest's format) instead\n"
		"      --known-failures=FILE  the known-failures list to use instead of\n"
		"                          the one built in\n"
		"  -h, --help              show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 't' },
		{ "name-blacklist", required_argument, NULL, 'b' },
		{ "allow", required_argument, NULL, 'a' },
		{ "deny", required_argument, NULL, 'd' },
		{ "num", required_argument, NULL, 'n' },
		{ "verbose", optional_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "json-summary", required_argument, NULL, 'J' },
		{ "num-workers", optional_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "ktap", no_argument, NULL, OPT_KTAP },
		{ "known-failures", required_argument, NULL, 'K' },
		{}
	};
	const char *known_path = NULL;
	int c, i, err = 0, ran;

	env.stdout_saved = stdout;
	env.stderr_saved = stderr;
	while ((c = getopt_long(argc, argv, "t:b:a:d:n:v::lJ:j::h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			err = parse_filters(&allow, optarg, false);
			break;
		case 'b':
			err = parse_filters(&deny, optarg, false);
			break;
		case 'a':
			err = parse_filters(&allow, optarg, true);
			break;
		case 'd':
			err = parse_filters(&deny, optarg, true);
			break;
		case 'n':
			err = parse_nums(optarg, &test_nums, &subtest_nums);
			if (err)
				fprintf(stderr, "invalid test number list: %s\n", optarg);
			break;
		case 'v':
			env.verbosity = VERBOSE_NORMAL;
			if (optarg && strcmp(optarg, "v") == 0) {
				env.verbosity = VERBOSE_VERY;
			} else if (optarg && strcmp(optarg, "vv") == 0) {
				env.verbosity = VERBOSE_SUPER;
			} else if (optarg) {
				fprintf(stderr, "unrecognized verbosity: -v%s\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'l':
			list_only = true;
			break;
		case 'J':
			json.path = optarg;
			break;
		case 'K':
			known_path = optarg;
			break;
		case OPT_KTAP:
			ktap.on = true;
			break;
		case 'j':
			workers = optarg ? atoi(optarg) : sysconf(_SC_NPROCESSORS_ONLN);
			if (workers < 1) {
				fprintf(stderr, "invalid number of workers: %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (err)
			return 2;
	}
	if (ktap.on && workers) {
		/* KTAP numbers the tests as they end, in one process */
		fprintf(stderr, "--ktap and -j do not go together\n");
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (list_only) {
		for (i = 0, ran = 0; i < (int)ARRAY_SIZE(tests); i++) {
			if (should_run(i + 1, tests[i].name)) {
				printf("%s\n", tests[i].name);
				ran++;
			}
		}
		if (ran)
			return 0;
		fprintf(stderr, "test_progs: no test matched the selection\n");
		return 2;
	}

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr,
			"test_progs: kernel BTF (/sys/kernel/btf/vmlinux) is missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y\n");
		return 1;
	}
	if (known_load(known_path))
		return 2;
	if (json.path && json_open(json.path))
		return 2;

	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(libbpf_print_fn);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (ktap.on) {
		for (i = 0, ran = 0; i < (int)ARRAY_SIZE(tests); i++)
			ran += should_run(i + 1, tests[i].name);
		ktap_begin(ran);
	}
	if (workers)
		run_parallel();
	for (i = 0; i < (int)ARRAY_SIZE(tests); i++) {
		if (!should_run(i + 1, tests[i].name) || (workers && !tests[i].serial))
			continue;
		run_test(&tests[i], i + 1);
	}

	if (!ktap.on && !verbose() && fail_cnt) {
		printf("\nAll error logs:\n");
		for (i = 0; i < failure_cnt; i++)
			printf("%s %s:FAIL\n%s", failures[i].subnum ? "  " : "",
			       failures[i].name, failures[i].log);
	}
	if (json.f && json_write())
		err = 1;
	if (ktap.on)
		ktap_end();
	printf("%sSummary: %d/%d PASSED, %d SKIPPED, %d FAILED", ktap.on ? "# " : "",
	       succ_cnt, sub_succ_cnt, skip_cnt, fail_cnt);
	if (known_cnt)
		printf(", %d KNOWN", known_cnt);
	if (xpass_cnt)
		printf(", %d XPASS", xpass_cnt);
	printf("\n");

	/* kselftest's exit statuses: 4 when all that ran skipped */
	ran = succ_cnt + fail_cnt + known_cnt;
	if (!ran) {
		fprintf(stderr, "test_progs: no test matched the selection\n");
		return 2;
	}
	if (fail_cnt || err)
		return 1;
	if (skipped_tests == ran) {
		fprintf(stderr, "test_progs: every test skipped (-v says why)\n");
		return 4;
	}
	return 0;
}
