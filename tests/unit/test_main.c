/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static struct test_case *test_list;
static struct test_case **test_tail = &test_list;
static int current_failures;
static const char *fixture_dir = "build/fixtures";

void test_register(struct test_case *tc)
{
	/* Constructors run in link order; keep that order so output is stable. */
	*test_tail = tc;
	test_tail = &tc->next;
}

void test_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, expr);
	current_failures++;
}

const char *test_fixture_dir(void)
{
	return fixture_dir;
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int passed = 0;
	int failed = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc)
			fixture_dir = argv[++i];
		else
			filter = argv[i];
	}

	for (struct test_case *tc = test_list; tc; tc = tc->next) {
		if (filter && !strstr(tc->name, filter))
			continue;
		current_failures = 0;
		tc->fn();
		if (current_failures) {
			printf("FAIL %s\n", tc->name);
			failed++;
		} else {
			printf("ok   %s\n", tc->name);
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
