// SPDX-License-Identifier: MIT
/*
 * micro: what the basic virtualization operations cost, measured from inside
 * a guest. Each operation runs many times between two reads of the virtual
 * counter; under QEMU's -icount shift=0 one tick is one instruction, so the
 * figures are instructions per operation, everything the CPU executed in
 * between included (the guest's loop, and the hypervisor's exit, handling
 * and entry). The same binary runs natively on QEMU, where these operations
 * are QEMU's business and cost the guest almost nothing: the baseline.
 *
 * Not self-checking: it prints one line per figure,
 *   micro: <name> <instructions per op> (<iterations>)
 * for scripts/bench.py, then powers off. `micro-quick` in the bootargs runs
 * each loop a few times only (make bench-smoke).
 *
 *   loop             the empty measuring loop (subtract it mentally)
 *   hvc              SMCCC_VERSION through the PSCI conduit: a trap round trip
 *   mmio-gicd        a read of GICD_TYPER: emulated distributor register
 *   mmio-pl011       a read of UARTFR: emulated UART register
 *   sysreg           a read of ID_AA64PFR0_EL1 (trapped by HCR_EL2.TID3)
 *   sgi-self         ICC_SGI1R write to self, until the handler's EOI returns
 *   eoi              the EOI of that SGI alone (no trap with list registers)
 *   timer-latency    from the virtual timer's deadline to the first
 *                    instruction of the guest's handler
 *   first-touch      the first store to each page of a fresh buffer (a
 *                    Stage-2 fault, where the hypervisor maps lazily)
 */
#include "../runtime/gic.h"
#include "../runtime/guest.h"
#include "../runtime/mmio.h"
#include "../runtime/timer.h"

const char guest_name[] = "micro";

#define SMCCC_VERSION_FID 0x80000000u
#define UARTFR 0x018u
#define SGI_BENCH 3u
#define VTIMER_INTID 27u
#define PAGE 4096u
#define TOUCH_PAGES 64u

static unsigned int iterations = 2000;

static void report(const char *name, uint64_t ticks, unsigned int n)
{
	printf("micro: %s %lu.%02lu (%u)\n", name, ticks / n, (ticks % n) * 100 / n, n);
}

static volatile uint64_t eoi_ticks;
static volatile uint64_t handler_entry;
static volatile unsigned int irqs_seen;

static void bench_irq(void)
{
	uint64_t now = timer_count();
	uint32_t intid = gic_ack();
	uint64_t t0, t1;

	if (intid == GIC_SPURIOUS)
		return;
	if (intid == VTIMER_INTID) {
		handler_entry = now;
		write_sysreg(0, cntv_ctl_el0); /* quiet the line before EOI */
	}
	t0 = timer_count();
	gic_eoi(intid);
	t1 = timer_count();
	eoi_ticks += t1 - t0;
	irqs_seen++;
}

static void bench_traps(void)
{
	volatile uint64_t sink = 0;
	uint64_t t0, t1;

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		__asm__ volatile("nop");
	t1 = timer_count();
	report("loop", t1 - t0, iterations);

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		sink += smccc_call(SMCCC_VERSION_FID, 0, 0, 0).a0;
	t1 = timer_count();
	report("hvc", t1 - t0, iterations);

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		sink += readl(GICD_BASE + GICD_TYPER);
	t1 = timer_count();
	report("mmio-gicd", t1 - t0, iterations);

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		sink += readl(PL011_BASE + UARTFR);
	t1 = timer_count();
	report("mmio-pl011", t1 - t0, iterations);

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		sink += read_sysreg(id_aa64pfr0_el1);
	t1 = timer_count();
	report("sysreg", t1 - t0, iterations);
	(void)sink;
}

static void bench_interrupts(void)
{
	unsigned int n = iterations / 4 ? iterations / 4 : 1;
	uint64_t t0, t1, latency = 0;

	gic_init();
	set_irq_handler(bench_irq);
	gic_set_priority(SGI_BENCH, 0x80);
	gic_enable_irq(SGI_BENCH);
	eoi_ticks = 0;
	irqs_seen = 0;
	irq_enable();
	t0 = timer_count();
	for (unsigned int i = 0; i < n; i++) {
		unsigned int before = irqs_seen;

		gic_send_sgi_self(SGI_BENCH);
		while (irqs_seen == before)
			;
	}
	t1 = timer_count();
	irq_disable();
	report("sgi-self", t1 - t0, n);
	report("eoi", eoi_ticks, n);

	/* Deadline a little ahead, then spin: the handler notes when it ran. */
	gic_set_priority(VTIMER_INTID, 0x80);
	gic_enable_irq(VTIMER_INTID);
	irq_enable();
	for (unsigned int i = 0; i < n; i++) {
		uint64_t deadline = timer_count() + 5000;

		handler_entry = 0;
		write_sysreg(deadline, cntv_cval_el0);
		write_sysreg(1, cntv_ctl_el0); /* ENABLE, not masked */
		isb();
		while (!handler_entry)
			;
		latency += handler_entry - deadline;
	}
	irq_disable();
	gic_disable_irq(VTIMER_INTID);
	report("timer-latency", latency, n);
}

static uint8_t touch_buffer[TOUCH_PAGES * PAGE] __attribute__((aligned(4096)));

static void bench_first_touch(void)
{
	uint64_t t0, t1;

	t0 = timer_count();
	for (unsigned int i = 0; i < TOUCH_PAGES; i++)
		((volatile uint8_t *)touch_buffer)[i * PAGE] = 1;
	t1 = timer_count();
	report("first-touch", t1 - t0, TOUCH_PAGES);
}

void test_main(void)
{
	if (guest_has_arg("micro-quick"))
		iterations = 40;
	bench_first_touch();
	bench_traps();
	bench_interrupts();
}
