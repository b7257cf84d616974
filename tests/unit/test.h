/* SPDX-License-Identifier: MIT */
/*
 * A deliberately tiny unit-test harness for host builds of generic code.
 * Each test is a function registered with TEST(); CHECK() records a failure
 * and continues, REQUIRE() records a failure and leaves the test. The runner
 * ends with a "N passed, N failed" line that CI parses.
 */
#ifndef RHENIUM_TEST_H
#define RHENIUM_TEST_H

#include <stdbool.h>
#include <stdio.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *expr);
/* Directory holding build-generated fixtures (DTBs compiled by dtc, QEMU's dump). */
const char *test_fixture_dir(void);

#define TEST(name)                                                               \
	static void test_##name(void);                                           \
	static struct test_case test_case_##name = { #name, test_##name, NULL }; \
	__attribute__((constructor)) static void test_register_##name(void)      \
	{                                                                        \
		test_register(&test_case_##name);                                \
	}                                                                        \
	static void test_##name(void)

#define CHECK(expr)                                           \
	do {                                                  \
		if (!(expr))                                  \
			test_fail(__FILE__, __LINE__, #expr); \
	} while (0)

#define REQUIRE(expr)                                         \
	do {                                                  \
		if (!(expr)) {                                \
			test_fail(__FILE__, __LINE__, #expr); \
			return;                               \
		}                                             \
	} while (0)

#define CHECK_EQ(a, b)                                                                    \
	do {                                                                              \
		unsigned long long check_a_ = (unsigned long long)(a);                    \
		unsigned long long check_b_ = (unsigned long long)(b);                    \
		if (check_a_ != check_b_) {                                               \
			fprintf(stderr, "  %s = 0x%llx, %s = 0x%llx\n", #a, check_a_, #b, \
				check_b_);                                                \
			test_fail(__FILE__, __LINE__, #a " == " #b);                      \
		}                                                                         \
	} while (0)

#endif
