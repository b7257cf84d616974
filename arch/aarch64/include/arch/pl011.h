/* SPDX-License-Identifier: MIT */
#ifndef ARCH_PL011_H
#define ARCH_PL011_H

#include <rhenium/console.h>
#include <rhenium/types.h>

struct pl011 {
	paddr_t base;
	struct console_driver console;
};

void pl011_init(struct pl011 *uart, paddr_t base);

#endif
