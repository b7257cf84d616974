/* SPDX-License-Identifier: MIT */
/*
 * Filling struct platform_info from the boot device tree (core/platform.c).
 */
#ifndef RHENIUM_PLATFORM_DISCOVER_H
#define RHENIUM_PLATFORM_DISCOVER_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

enum platform_error {
	PLATFORM_OK = 0,
	PLATFORM_ERR_FDT = -1,	   /* the blob itself is malformed */
	PLATFORM_ERR_INVALID = -2, /* well-formed, but a property is inconsistent */
	PLATFORM_ERR_LIMIT = -3,   /* more than struct platform_info can hold */
	PLATFORM_ERR_MISSING = -4, /* no memory or no cpu nodes */
};

/*
 * Parses the DTB at `dtb` (at most `dtb_len` readable bytes) into `out`,
 * which is zeroed first. Returns PLATFORM_OK or a negative enum
 * platform_error; on error `out` is partially filled and must not be used,
 * and a message naming the node and property ("/memory@40000000: reg: length
 * 12 not a multiple of 16") is written to `err` (always NUL-terminated if
 * err_len > 0; `err` may be NULL). Uses about 3 KiB of stack.
 */
int platform_discover(const void *dtb, size_t dtb_len, struct platform_info *out, char *err,
		      size_t err_len);

#endif
