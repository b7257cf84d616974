// SPDX-License-Identifier: MIT
/*
 * sgi: software-generated interrupts to self through ICC_SGI1R_EL1, and the
 * GICv3 CPU interface around them (IAR/EOIR, HPPIR, RPR, PMR) and the
 * redistributor's view (ISPENDR0, ISACTIVER0, enables).
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

const char guest_name[] = "sgi";

#define ISR_EL1_I (1UL << 7)
#define MAX_SEEN 8

static volatile unsigned seen;
static volatile uint32_t seen_intid[MAX_SEEN];
static volatile uint32_t seen_rpr[MAX_SEEN];

static void sgi_irq(void)
{
	uint32_t intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (seen < MAX_SEEN) {
		seen_intid[seen] = intid;
		seen_rpr[seen] = gic_running_priority();
		seen = seen + 1;
	}
	gic_eoi(intid);
}

/* Spin (IRQs masked) until the CPU sees an interrupt pending, for up to 100 ms. */
static bool wait_pending(void)
{
	uint64_t end = timer_count() + timer_ticks_from_us(100000);

	while (timer_count() < end)
		if (read_sysreg(isr_el1) & ISR_EL1_I)
			return true;
	return false;
}

/* Let pending interrupts in for a moment. */
static void take_interrupts(void)
{
	irq_enable();
	udelay(1000);
	irq_disable();
}

static void one_sgi(void)
{
	seen = 0;
	gic_set_priority(1, 0xa0);
	gic_enable_irq(1);
	gic_send_sgi_self(1);
	check(wait_pending(), "SGI 1 to self: pending at the CPU (ISR_EL1.I)");
	check_eq(gic_highest_pending(), 1, "SGI 1: ICC_HPPIR1 is 1");
	check(gic_irq_pending(1), "SGI 1: GICR_ISPENDR0 bit 1 set");
	check_eq(seen, 0, "SGI 1: not taken while PSTATE.I is set");
	take_interrupts();
	check_eq(seen, 1, "SGI 1: taken once IRQs are unmasked");
	check_eq(seen_intid[0], 1, "SGI 1: ICC_IAR1 gave INTID 1");
	check_eq(seen_rpr[0], 0xa0, "SGI 1: running priority 0xa0 while handling it");
	check(!gic_irq_pending(1) && !gic_irq_active(1),
	      "SGI 1: neither pending nor active after EOI");
	check_eq(gic_running_priority(), 0xff, "SGI 1: running priority idle after EOI");
	check_eq(gic_ack(), GIC_SPURIOUS, "nothing pending: ICC_IAR1 gives 1023");
}

static void priority_order(void)
{
	seen = 0;
	gic_set_priority(2, 0xc0);
	gic_set_priority(3, 0x80);
	gic_enable_irq(2);
	gic_enable_irq(3);
	gic_send_sgi_self(2);
	gic_send_sgi_self(3);
	check(wait_pending(), "SGIs 2 (priority 0xc0) and 3 (0x80): pending");
	check_eq(gic_highest_pending(), 3, "ICC_HPPIR1 is the higher-priority SGI 3");
	take_interrupts();
	check_eq(seen, 2, "both SGIs taken");
	check(seen_intid[0] == 3 && seen_intid[1] == 2, "SGI 3 first, then SGI 2 (got %u, %u)",
	      (unsigned)seen_intid[0], (unsigned)seen_intid[1]);
}

static void disabled_sgi(void)
{
	seen = 0;
	gic_disable_irq(4);
	gic_send_sgi_self(4);
	udelay(1000);
	check(gic_irq_pending(4), "disabled SGI 4: pending in GICR_ISPENDR0");
	check(!(read_sysreg(isr_el1) & ISR_EL1_I), "disabled SGI 4: not signalled to the CPU");
	take_interrupts();
	check_eq(seen, 0, "disabled SGI 4: not taken");
	gic_enable_irq(4);
	check(wait_pending(), "SGI 4 enabled: now signalled");
	take_interrupts();
	check(seen == 1 && seen_intid[0] == 4, "SGI 4 enabled: taken");
}

static void priority_mask(void)
{
	seen = 0;
	gic_set_priority(5, 0xa0);
	gic_enable_irq(5);
	write_sysreg(0x80, icc_pmr_el1);
	isb();
	gic_send_sgi_self(5);
	udelay(1000);
	check(!(read_sysreg(isr_el1) & ISR_EL1_I), "PMR 0x80 masks SGI 5 of priority 0xa0");
	take_interrupts();
	check_eq(seen, 0, "PMR 0x80: SGI 5 not taken");
	write_sysreg(0xff, icc_pmr_el1);
	isb();
	check(wait_pending(), "PMR 0xff: SGI 5 signalled");
	take_interrupts();
	check(seen == 1 && seen_intid[0] == 5, "PMR 0xff: SGI 5 taken");
}

static void many_sgis(void)
{
	unsigned ok = 0;

	gic_set_priority(6, 0xa0);
	gic_enable_irq(6);
	for (unsigned i = 0; i < 100; i++) {
		seen = 0;
		gic_send_sgi_self(6);
		wait_pending();
		take_interrupts();
		ok += seen == 1 && seen_intid[0] == 6;
	}
	check_eq(ok, 100, "100 SGIs in a row, each taken once");
}

void test_main(void)
{
	gic_init();
	set_irq_handler(sgi_irq);
	one_sgi();
	priority_order();
	disabled_sgi();
	priority_mask();
	many_sgis();
}
