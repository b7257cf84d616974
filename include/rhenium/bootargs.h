/* SPDX-License-Identifier: MIT */
/*
 * Options for Rhenium itself on the /chosen bootargs line: space-separated
 * words "rhenium.<key>" or "rhenium.<key>=<value>". Words for anyone else are
 * ignored, so the same line can carry a guest's options later.
 */
#ifndef RHENIUM_BOOTARGS_H
#define RHENIUM_BOOTARGS_H

#include <rhenium/types.h>

/*
 * Finds "rhenium.<key>" (last occurrence wins, as on Linux). On success sets
 * *value and *value_len to the text after '=' (empty for a bare flag) and returns
 * true. The value is not NUL-terminated: it points into args.
 */
bool bootargs_find(const char *args, const char *key, const char **value, size_t *value_len);
/* True if the option is present and its value equals want ("" for a bare flag). */
bool bootargs_equals(const char *args, const char *key, const char *want);

#endif
