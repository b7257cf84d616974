/* SPDX-License-Identifier: MIT */
#include <rhenium/console.h>

static const struct console_driver *console_driver;

void console_set_driver(const struct console_driver *drv)
{
	console_driver = drv;
}

void console_write(const char *s, size_t len)
{
	const struct console_driver *drv = console_driver;

	if (!drv)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			drv->putc(drv->ctx, '\r');
		drv->putc(drv->ctx, s[i]);
	}
}
