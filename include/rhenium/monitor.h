/* SPDX-License-Identifier: MIT */
/*
 * The monitor console: one physical UART shared by every VM and a command
 * prompt. Input goes to the VM in focus; Ctrl-] (0x1d) switches to the
 * monitor prompt and back. Output of the VM in focus is passed through as it
 * is; other VMs' output is collected per line and printed prefixed with the
 * VM's name, so it stays readable.
 *
 * Commands: help, list, switch NAME, stop NAME, start NAME, restart NAME, mem.
 */
#ifndef RHENIUM_MONITOR_H
#define RHENIUM_MONITOR_H

#include <rhenium/types.h>

struct vm;

#define MONITOR_ESCAPE 0x1d /* Ctrl-] */

/* Focus on the first running VM, or on the prompt if none runs. */
void monitor_init(void);
/* Takes pending console input (boot CPU only): routes it or runs commands. */
void monitor_poll(void);
/* One byte a VM's UART sent. */
void monitor_vm_output(struct vm *vm, uint8_t c);
/* Runs one command line as if typed at the prompt (tests use it). */
void monitor_execute(const char *line);

#endif
