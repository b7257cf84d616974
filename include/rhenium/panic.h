/* SPDX-License-Identifier: MIT */
#ifndef RHENIUM_PANIC_H
#define RHENIUM_PANIC_H

#include <rhenium/types.h>

/* Prints the message and the caller's registers, then stops this CPU. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define ASSERT(cond)                                                                      \
	do {                                                                              \
		if (!(cond))                                                              \
			panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
	} while (0)

#endif
