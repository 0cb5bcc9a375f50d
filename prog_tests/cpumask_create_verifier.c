// SPDX-License-Identifier: GPL-2.0
#include <test_progs.h>
#include "cpumask_create_probe.h"
#include "cpumask_create_fail_leak.skel.h"
#include "cpumask_create_fail_null.skel.h"
#include "cpumask_create_fail_lifetime.skel.h"
#include "cpumask_create_fail_type.skel.h"
#include "cpumask_create_fail_context.skel.h"

void test_cpumask_create_fail_leak(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_leak);
}

void test_cpumask_create_fail_null(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_null);
}

void test_cpumask_create_fail_lifetime(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_lifetime);
}

void test_cpumask_create_fail_type(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_type);
}

void test_cpumask_create_fail_context(void)
{
	if (skip_because(cpumask_create_unsupported()))
		return;
	RUN_TESTS(cpumask_create_fail_context);
}
