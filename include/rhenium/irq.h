/* SPDX-License-Identifier: MIT */
/*
 * Physical interrupt handlers. The architecture acknowledges an interrupt
 * and drops its priority, then calls irq_dispatch(); the handler's return
 * value says whether to deactivate it now (true) or leave it active because
 * it was forwarded to a guest with a hardware link, whose virtual EOI will
 * deactivate it (false).
 */
#ifndef RHENIUM_IRQ_H
#define RHENIUM_IRQ_H

#include <rhenium/types.h>

#define IRQ_MAX_INTID 1020

typedef bool (*irq_handler_fn)(uint32_t intid, void *ctx);

/* PPIs (INTID < 32) are per CPU: the handler sees the interrupt of the CPU it runs on. */
int irq_register(uint32_t intid, irq_handler_fn handler, void *ctx);
bool irq_dispatch(uint32_t intid);
/* Interrupts that arrived with no handler, for diagnostics. */
uint64_t irq_unhandled_count(void);

#endif
