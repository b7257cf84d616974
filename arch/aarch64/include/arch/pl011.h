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
/* Receive and receive-timeout interrupts on: input is taken by interrupt, not polling. */
void pl011_enable_rx_irq(struct pl011 *uart);
/* Up to max received bytes, without waiting; 0 if the FIFO is empty. */
size_t pl011_read_input(struct pl011 *uart, uint8_t *buf, size_t max);

#endif
