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
/*
 * Writes len bytes, turning "\n" into "\r\n" for terminals, as one unit: once
 * console_enable_locking() was called (MMU on), writers on different CPUs
 * never interleave within a call.
 */
void console_write(const char *s, size_t len);
void console_enable_locking(void);
/* Writes bytes exactly as given: a guest's UART output already has its own line endings. */
void console_output_raw(const char *s, size_t len);

/*
 * Input from the physical console: the UART interrupt handler pushes bytes,
 * whoever owns the input (a VM's emulated UART) reads them. Bytes that do not
 * fit in the buffer are dropped and counted.
 */
#define CONSOLE_INPUT_SIZE 1024
void console_input_push(const uint8_t *buf, size_t len);
size_t console_input_read(uint8_t *buf, size_t max);
/* True if console_input_read would return something (a racy peek, cheap enough for every exit). */
bool console_input_pending(void);
uint64_t console_input_dropped(void);

#endif
