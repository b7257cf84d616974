/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own console: one output driver chosen at boot (the PL011
 * found in the device tree). Before a driver is set, output is dropped.
 */
#ifndef RHENIUM_CONSOLE_H
#define RHENIUM_CONSOLE_H

#include <rhenium/types.h>

struct console_driver {
	const char *name;
	void (*putc)(void *ctx, char c);
	void *ctx;
};

void console_set_driver(const struct console_driver *drv);
/* Writes len bytes, turning "\n" into "\r\n" for terminals. Not locked. */
void console_write(const char *s, size_t len);

#endif
