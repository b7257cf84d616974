// SPDX-License-Identifier: MIT
/*
 * wfi: the EL1 virtual timer (CNTV, PPI 27) through the GICv3, and WFI.
 *
 * 1. Timer 10 ms ahead, IRQs unmasked, WFI: the interrupt arrives, no
 *    earlier than its deadline, and is acknowledged, EOI'd and gone.
 * 2. The same with PSTATE.I masked: WFI must still wake (a pending
 *    interrupt wakes WFI whatever the mask), ISR_EL1.I and ICC_HPPIR1 show
 *    it, and it is taken once unmasked.
 * 3. A deadline already in the past fires at once.
 * 4. CNTV_CTL.IMASK holds the interrupt back while ISTATUS shows the
 *    condition; clearing IMASK delivers it.
 *
 * A timer interrupt that never comes leaves the guest in WFI: the harness
 * running the guest times out (there is no second timer as a watchdog, so
 * that a hypervisor need not emulate the EL1 physical timer for this test).
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

const char guest_name[] = "wfi";

#define ISR_EL1_I (1UL << 7)

static volatile unsigned fired;
static volatile uint32_t last_intid;
static volatile uint64_t fired_at, fired_ctl;

static void timer_irq(void)
{
	uint32_t intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	last_intid = intid;
	if (intid == PPI_VIRT_TIMER) {
		fired_at = timer_count();
		fired_ctl = vtimer_ctl();
		vtimer_disable(); /* drop the level before the EOI */
		fired++;
	}
	gic_eoi(intid);
}

static void check_delivered(const char *what, uint64_t start, uint64_t cval, unsigned before)
{
	check_eq(fired, before + 1, "%s: one timer interrupt taken", what);
	check_eq(last_intid, PPI_VIRT_TIMER, "%s: ICC_IAR1 gave INTID 27", what);
	check(fired_ctl & CNT_CTL_ISTATUS, "%s: CNTV_CTL.ISTATUS set in the handler", what);
	check(fired_at >= cval, "%s: not before the deadline (%lu ticks late)", what,
	      fired_at - cval);
	uint64_t us = timer_us_from_ticks(fired_at - start);
	check(us >= 10000 && us < 1000000, "%s: after %lu us (10 ms asked, < 1 s)", what, us);
	check(!gic_irq_active(PPI_VIRT_TIMER) && !gic_irq_pending(PPI_VIRT_TIMER),
	      "%s: PPI 27 neither active nor pending after EOI", what);
	check_eq(gic_running_priority(), 0xff, "%s: running priority idle again", what);
}

static void wfi_unmasked(uint64_t ten_ms)
{
	unsigned before = fired;
	uint64_t start = timer_count(), cval = start + ten_ms;

	vtimer_arm(cval);
	irq_enable();
	while (fired == before)
		wfi();
	irq_disable();
	check_delivered("WFI, IRQs unmasked", start, cval, before);
}

static void wfi_masked(uint64_t ten_ms)
{
	unsigned before = fired;
	uint64_t start = timer_count(), cval = start + ten_ms;

	vtimer_arm(cval);
	while (!(read_sysreg(isr_el1) & ISR_EL1_I))
		wfi();
	uint64_t woke = timer_count();
	check(woke >= cval, "WFI, IRQs masked: woke at the deadline (%lu us)",
	      timer_us_from_ticks(woke - start));
	check_eq(gic_highest_pending(), PPI_VIRT_TIMER, "WFI, IRQs masked: ICC_HPPIR1 is 27");
	check_eq(fired, before, "WFI, IRQs masked: not taken while masked");
	irq_enable();
	isb();
	irq_disable();
	check_delivered("WFI, IRQs masked", start, cval, before);
}

static void deadline_in_the_past(void)
{
	unsigned before = fired;
	uint64_t now = timer_count();

	vtimer_arm(now - 1);
	check(vtimer_ctl() & CNT_CTL_ISTATUS, "past deadline: ISTATUS set at once");
	for (unsigned i = 0; i < 1000000 && !(read_sysreg(isr_el1) & ISR_EL1_I); i++)
		;
	irq_enable();
	for (unsigned i = 0; i < 1000000 && fired == before; i++)
		;
	irq_disable();
	check_eq(fired, before + 1, "past deadline: interrupt taken at once");
	check(fired_at - now < timer_ticks_from_us(100000), "past deadline: within 100 ms (%lu us)",
	      timer_us_from_ticks(fired_at - now));
}

static void imask(void)
{
	unsigned before = fired;

	write_sysreg(timer_count() - 1, cntv_cval_el0);
	write_sysreg(CNT_CTL_ENABLE | CNT_CTL_IMASK, cntv_ctl_el0);
	isb();
	irq_enable();
	udelay(2000);
	irq_disable();
	check(vtimer_ctl() & CNT_CTL_ISTATUS, "IMASK: ISTATUS shows the condition");
	check_eq(fired, before, "IMASK: no interrupt while masked");
	check(!(read_sysreg(isr_el1) & ISR_EL1_I), "IMASK: nothing pending at the CPU");

	write_sysreg(CNT_CTL_ENABLE, cntv_ctl_el0);
	isb();
	irq_enable();
	for (unsigned i = 0; i < 1000000 && fired == before; i++)
		;
	irq_disable();
	check_eq(fired, before + 1, "IMASK cleared: interrupt taken");
}

void test_main(void)
{
	uint64_t freq = timer_freq();

	diag("CNTFRQ_EL0 %lu Hz", freq);
	check(freq >= 1000000, "CNTFRQ_EL0 is set (>= 1 MHz)");
	uint64_t a = timer_count();
	udelay(1000);
	uint64_t b = timer_count();
	check(b - a >= freq / 1000, "CNTVCT_EL0 counts (1 ms busy wait: %lu ticks)", b - a);

	gic_init();
	set_irq_handler(timer_irq);
	gic_set_priority(PPI_VIRT_TIMER, GIC_DEFAULT_PRIORITY);
	gic_enable_irq(PPI_VIRT_TIMER);
	check(gic_irq_enabled(PPI_VIRT_TIMER), "PPI 27 enabled in the redistributor");

	uint64_t ten_ms = timer_ticks_from_us(10000);
	wfi_unmasked(ten_ms);
	wfi_masked(ten_ms);
	deadline_in_the_past();
	imask();

	vtimer_disable();
	gic_disable_irq(PPI_VIRT_TIMER);
}
