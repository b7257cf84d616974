/* SPDX-License-Identifier: MIT */
#include <rhenium/irq.h>
#include <rhenium/log.h>

struct irq_slot {
	irq_handler_fn handler;
	void *ctx;
};

static struct irq_slot irq_table[IRQ_MAX_INTID];
static uint64_t irq_unhandled;

int irq_register(uint32_t intid, irq_handler_fn handler, void *ctx)
{
	if (intid >= IRQ_MAX_INTID || !handler)
		return -1;
	if (irq_table[intid].handler && irq_table[intid].handler != handler)
		return -1;
	irq_table[intid].ctx = ctx;
	irq_table[intid].handler = handler;
	return 0;
}

bool irq_dispatch(uint32_t intid)
{
	const struct irq_slot *slot;

	if (intid >= IRQ_MAX_INTID || !irq_table[intid].handler) {
		/* Deactivating keeps one stray interrupt from blocking its priority forever. */
		if (__atomic_fetch_add(&irq_unhandled, 1, __ATOMIC_RELAXED) < 8)
			LOG_WARN("interrupt %u has no handler", intid);
		return true;
	}
	slot = &irq_table[intid];
	return slot->handler(intid, slot->ctx);
}

uint64_t irq_unhandled_count(void)
{
	return __atomic_load_n(&irq_unhandled, __ATOMIC_RELAXED);
}
