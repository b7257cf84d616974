/* SPDX-License-Identifier: MIT */
/*
 * Second opinion on blobs we write: save them under the fixture directory
 * and have dtc decompile them. dtc runs its full set of checks on the
 * decompiled tree, so "no output" means no warnings, not just "parses".
 * popen() is POSIX: define _POSIX_C_SOURCE before the first #include.
 */
#ifndef RHENIUM_DTC_UTIL_H
#define RHENIUM_DTC_UTIL_H

#include <stdio.h>
#include <string.h>

#include "test.h"

/* Writes blob to <fixture dir>/<name>; false (and a note) on failure. */
static inline bool save_fixture(const char *name, const void *blob, size_t len)
{
	char path[512];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", test_fixture_dir(), name);
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "  cannot create %s\n", path);
		return false;
	}
	ok = fwrite(blob, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

/* True if `dtc -I dtb -O dts` accepts <fixture dir>/<name> without a word. */
static inline bool dtc_decompiles_cleanly(const char *name)
{
	char cmd[600], line[512];
	bool quiet = true;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null '%s/%s' 2>&1",
		 test_fixture_dir(), name);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p)) {
		fprintf(stderr, "  dtc: %s", line);
		quiet = false;
	}
	return pclose(p) == 0 && quiet;
}

/* Both of the above. */
static inline bool dtc_check_blob(const char *name, const void *blob, size_t len)
{
	return save_fixture(name, blob, len) && dtc_decompiles_cleanly(name);
}

#endif
