// SPDX-License-Identifier: GPL-2.0
/*
 * RUN_TESTS(): load each program of a skeleton's object on its own and check
 * the outcome against the bpf_misc.h annotations, which the BPF object carries
 * as BTF decl tags on the program's function ("comment:test_...").
 */
#include <regex.h>
#include <bpf/btf.h>
#include "test_progs.h"

#define TAG_PFX			"comment:test_"
#define LOG_BUF_SZ		(16 * 1024 * 1024)
#define TEST_DATA_LEN		64

struct expect_msg {
	int order;
	const char *text;
	bool is_regex;
	regex_t regex;
};

struct spec {
	const char *prog_name;
	bool expect_failure;
	bool execute;
	int retval;
	struct expect_msg *msgs;
	int msg_cnt;
	bool valid;
};

static int cmp_msg(const void *a, const void *b)
{
	return ((const struct expect_msg *)a)->order - ((const struct expect_msg *)b)->order;
}

static int parse_int(const char *s, long long *val)
{
	char *end;

	errno = 0;
	*val = strtoll(s, &end, 0);
	return (errno || *end || end == s) ? -EINVAL : 0;
}

static int parse_tag(struct spec *spec, const char *tag)
{
	const char *v;
	long long n;

	if (strncmp(tag, TAG_PFX, strlen(TAG_PFX)))
		return 0;	/* not ours */
	tag += strlen(TAG_PFX);

	if (!strcmp(tag, "expect_failure")) {
		spec->expect_failure = true;
	} else if (!strcmp(tag, "expect_success")) {
		spec->expect_failure = false;
	} else if (!strncmp(tag, "expect_msg=", 11)) {
		struct expect_msg *m;
		char *end;

		v = tag + 11;
		m = realloc(spec->msgs, sizeof(*m) * (spec->msg_cnt + 1));
		if (!m)
			return -ENOMEM;
		spec->msgs = m;
		m = &m[spec->msg_cnt++];
		m->is_regex = false;
		/* "<__COUNTER__>=<text>" keeps source order, BTF does not */
		m->order = strtol(v, &end, 10);
		if (end == v || *end != '=')
			return -EINVAL;
		m->text = end + 1;
	} else if (!strncmp(tag, "retval=", 7)) {
		v = tag + 7;
		if (!strcmp(v, "_INT_MIN") || !strcmp(v, "INT_MIN"))
			n = -2147483648LL;
		else if (parse_int(v, &n))
			return -EINVAL;
		spec->retval = (int)n;
		spec->execute = true;
	} else {
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * As upstream: text inside "{{" "}}" is a POSIX extended regular expression,
 * the rest of the pattern is matched literally.
 */
static int compile_msg(struct expect_msg *m)
{
	static const char special[] = ".[]\\()*+?{}|^$";
	const char *p = m->text;
	bool in_regex = false;
	char *buf, *out;
	int err;

	if (!strstr(p, "{{"))
		return 0;
	buf = malloc(2 * strlen(p) + 1);
	if (!buf)
		return -ENOMEM;
	for (out = buf; *p; ) {
		if (!strncmp(p, in_regex ? "}}" : "{{", 2)) {
			in_regex = !in_regex;
			p += 2;
			continue;
		}
		if (!in_regex && strchr(special, *p))
			*out++ = '\\';
		*out++ = *p++;
	}
	*out = '\0';
	err = in_regex ? REG_EBRACE : regcomp(&m->regex, buf, REG_EXTENDED | REG_NEWLINE);
	free(buf);
	if (err) {
		PRINT_FAIL("bad regex in expected message '%s'\n", m->text);
		return -EINVAL;
	}
	m->is_regex = true;
	return 0;
}

static int parse_spec(struct bpf_object *obj, struct bpf_program *prog, struct spec *spec)
{
	struct btf *btf = bpf_object__btf(obj);
	int func_id, id, n, i, err;

	memset(spec, 0, sizeof(*spec));
	spec->prog_name = bpf_program__name(prog);
	func_id = btf__find_by_name_kind(btf, spec->prog_name, BTF_KIND_FUNC);
	if (func_id < 0) {
		PRINT_FAIL("no BTF for program %s\n", spec->prog_name);
		return -ENOENT;
	}
	n = btf__type_cnt(btf);
	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tag;

		if (!btf_is_decl_tag(t) || t->type != (__u32)func_id ||
		    btf_decl_tag(t)->component_idx != -1)
			continue;
		tag = btf__name_by_offset(btf, t->name_off);
		err = parse_tag(spec, tag);
		if (err) {
			PRINT_FAIL("program %s: bad annotation '%s'\n", spec->prog_name, tag);
			return err;
		}
	}
	if (spec->msg_cnt)
		qsort(spec->msgs, spec->msg_cnt, sizeof(*spec->msgs), cmp_msg);
	for (i = 0; i < spec->msg_cnt; i++) {
		err = compile_msg(&spec->msgs[i]);
		if (err)
			return err;
	}
	spec->valid = true;
	return 0;
}

/* every message must appear, in order, each after the previous match */
static void validate_msgs(const char *log, const struct spec *spec)
{
	const char *pos = log, *hit;
	regmatch_t match;
	int i;

	for (i = 0; i < spec->msg_cnt; i++) {
		const struct expect_msg *m = &spec->msgs[i];

		if (m->is_regex) {
			hit = regexec(&m->regex, pos, 1, &match, 0) ? NULL : pos + match.rm_so;
			if (hit)
				pos += match.rm_eo;
		} else {
			hit = strstr(pos, m->text);
			if (hit)
				pos = hit + strlen(m->text);
		}
		if (!hit) {
			PRINT_FAIL("expect_msg\n");
			printf("EXPECTED %s: '%s'\n", m->is_regex ? "REGEX" : "MSG", m->text);
			printf("VERIFIER LOG:\n=============\n%s=============\n", log);
			return;
		}
	}
}

static __u32 testing_prog_flags(void)
{
	static const __u32 candidates[] = { BPF_F_TEST_RND_HI32, BPF_F_TEST_REG_INVARIANTS };
	static const struct bpf_insn insns[] = {
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};
	static int cached = -1;
	size_t i;
	int fd;

	if (cached >= 0)
		return cached;
	cached = 0;
	for (i = 0; i < ARRAY_SIZE(candidates); i++) {
		LIBBPF_OPTS(bpf_prog_load_opts, opts, .prog_flags = candidates[i]);

		fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
				   ARRAY_SIZE(insns), &opts);
		if (fd >= 0) {
			cached |= candidates[i];
			close(fd);
		}
	}
	return cached;
}

static void run_subtest(struct test_loader *tester, const void *bytes, size_t sz,
			const char *skel_name, struct spec *specs, struct spec *spec)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = skel_name);
	struct bpf_program *prog, *tprog = NULL;
	struct bpf_object *obj;
	int i = 0, err;

	if (!test__start_subtest(spec->prog_name))
		return;

	obj = bpf_object__open_mem(bytes, sz, &open_opts);
	if (!ASSERT_OK_PTR(obj, "obj_open_mem"))
		goto out;
	bpf_object__for_each_program(prog, obj) {
		struct spec *s = &specs[i++];
		bool load = s->valid && !strcmp(s->prog_name, spec->prog_name);

		if (!strcmp(bpf_program__name(prog), spec->prog_name))
			tprog = prog;
		bpf_program__set_autoload(prog, load);
	}

	/* -v asks for the verifier log, -vvv for the full one, as upstream */
	bpf_program__set_log_buf(tprog, tester->log_buf, tester->log_buf_sz);
	bpf_program__set_log_level(tprog, env.verbosity > VERBOSE_VERY ? 2 :
					  env.verbosity > VERBOSE_NONE);
	bpf_program__set_flags(tprog, bpf_program__flags(tprog) | testing_prog_flags());
	tester->log_buf[0] = '\0';

	err = bpf_object__load(obj);
	if (spec->expect_failure) {
		if (!ASSERT_ERR(err, "unexpected_load_success"))
			goto close;
	} else if (!ASSERT_OK(err, "unexpected_load_failure")) {
		printf("VERIFIER LOG:\n=============\n%s=============\n", tester->log_buf);
		goto close;
	}
	if (env.verbosity > VERBOSE_NONE)
		printf("VERIFIER LOG:\n=============\n%s=============\n", tester->log_buf);
	validate_msgs(tester->log_buf, spec);

	if (spec->execute && !spec->expect_failure) {
		__u8 in[TEST_DATA_LEN] = {}, out[TEST_DATA_LEN * 4] = {};

		LIBBPF_OPTS(bpf_test_run_opts, topts);

		/* SYSCALL programs take no packet; the others get a zeroed one */
		if (bpf_program__type(tprog) != BPF_PROG_TYPE_SYSCALL) {
			topts.data_in = in;
			topts.data_size_in = sizeof(in);
			topts.data_out = out;
			topts.data_size_out = sizeof(out);
			topts.repeat = 1;
		}
		err = bpf_prog_test_run_opts(bpf_program__fd(tprog), &topts);
		if (!ASSERT_OK(err, "bpf_prog_test_run"))
			goto close;
		if (topts.retval != (__u32)spec->retval)
			PRINT_FAIL("Unexpected retval: %d != %d\n", (int)topts.retval,
				   spec->retval);
	}
close:
	bpf_object__close(obj);
out:
	test__end_subtest();
}

void test_loader__run_subtests(struct test_loader *tester, const char *skel_name,
			       skel_elf_bytes_fn elf_bytes_factory)
{
	struct spec *specs = NULL;
	struct bpf_program *prog;
	struct bpf_object *obj;
	const void *bytes;
	size_t sz;
	int n = 0, i, j;

	bytes = elf_bytes_factory(&sz);
	if (!tester->log_buf) {
		tester->log_buf = malloc(LOG_BUF_SZ);
		tester->log_buf_sz = LOG_BUF_SZ;
		if (!ASSERT_OK_PTR(tester->log_buf, "log_buf"))
			return;
	}
	obj = bpf_object__open_mem(bytes, sz, NULL);
	if (!ASSERT_OK_PTR(obj, "obj_open_mem"))
		return;
	bpf_object__for_each_program(prog, obj)
		n++;
	specs = calloc(n, sizeof(*specs));
	if (!ASSERT_OK_PTR(specs, "specs"))
		goto out;
	i = 0;
	bpf_object__for_each_program(prog, obj)
		if (parse_spec(obj, prog, &specs[i++]))
			goto out;
	for (i = 0; i < n; i++)
		if (specs[i].valid)
			run_subtest(tester, bytes, sz, skel_name, specs, &specs[i]);
out:
	for (i = 0; specs && i < n; i++) {
		for (j = 0; j < specs[i].msg_cnt; j++)
			if (specs[i].msgs[j].is_regex)
				regfree(&specs[i].msgs[j].regex);
		free(specs[i].msgs);
	}
	free(specs);
	bpf_object__close(obj);
}

void test_loader_fini(struct test_loader *tester)
{
	free(tester->log_buf);
	tester->log_buf = NULL;
}
