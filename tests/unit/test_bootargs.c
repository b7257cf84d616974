/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <rhenium/bootargs.h>

#include "test.h"

TEST(bootargs_flag_and_value)
{
	const char *v;
	size_t len;
	const char *args = "console=ttyAMA0 rhenium.poweroff rhenium.log=debug";

	REQUIRE(bootargs_find(args, "poweroff", &v, &len));
	CHECK_EQ(len, 0);
	REQUIRE(bootargs_find(args, "log", &v, &len));
	CHECK_EQ(len, 5);
	CHECK(strncmp(v, "debug", len) == 0);
	CHECK(bootargs_equals(args, "log", "debug"));
	CHECK(!bootargs_equals(args, "log", "info"));
	CHECK(bootargs_equals(args, "poweroff", ""));
}

TEST(bootargs_rejects_prefixes_and_foreign_words)
{
	const char *v;
	size_t len;

	CHECK(!bootargs_find("rhenium.logx=1", "log", &v, &len));
	CHECK(!bootargs_find("xrhenium.log=1 log=2", "log", &v, &len));
	CHECK(!bootargs_find("rhenium.", "log", &v, &len));
	CHECK(!bootargs_find("", "log", &v, &len));
	CHECK(!bootargs_find("   \t ", "log", &v, &len));
}

TEST(bootargs_last_occurrence_wins)
{
	CHECK(bootargs_equals("rhenium.log=info  rhenium.log=warn\t", "log", "warn"));
	CHECK(bootargs_equals("rhenium.selftest=", "selftest", ""));
}
