// SPDX-License-Identifier: MIT
/*
 * exitcost: how much one trap costs, measured from inside a guest. Each
 * operation runs ITERATIONS times between two reads of the virtual counter;
 * under QEMU's -icount shift=0 one counter tick is one instruction, so the
 * per-iteration figure is the instructions a round trip costs (the loop's own
 * few included). Natively the same binary gives the baseline: there the
 * operations are handled by QEMU and cost nothing in guest instructions.
 *
 * Not a self-checking guest: it prints "exitcost: <name> <ticks per op>"
 * lines for scripts (make bench will read them) and powers off.
 */
#include "../runtime/guest.h"
#include "../runtime/mmio.h"
#include "../runtime/timer.h"

const char guest_name[] = "exitcost";

#define ITERATIONS 2000u
#define UART_FR 0x09000018u
#define GICD_TYPER 0x08000004u

static uint64_t hvc_version(void)
{
	register uint64_t x0 __asm__("x0") = SMCCC_VERSION;

	__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	return x0;
}

static void report(const char *name, uint64_t start, uint64_t end)
{
	uint64_t total = end - start;

	printf("exitcost: %s %lu.%02lu\n", name, total / ITERATIONS,
	       (total % ITERATIONS) * 100 / ITERATIONS);
}

void test_main(void)
{
	uint64_t t0, t1;
	volatile uint32_t sink = 0;

	t0 = timer_count();
	for (unsigned int i = 0; i < ITERATIONS; i++)
		__asm__ volatile("nop");
	t1 = timer_count();
	report("empty-loop", t0, t1);

	t0 = timer_count();
	for (unsigned int i = 0; i < ITERATIONS; i++)
		sink += (uint32_t)hvc_version();
	t1 = timer_count();
	report("hvc-smccc-version", t0, t1);

	t0 = timer_count();
	for (unsigned int i = 0; i < ITERATIONS; i++)
		sink += readl(UART_FR);
	t1 = timer_count();
	report("mmio-read-pl011", t0, t1);

	t0 = timer_count();
	for (unsigned int i = 0; i < ITERATIONS; i++)
		sink += readl(GICD_TYPER);
	t1 = timer_count();
	report("mmio-read-gicd", t0, t1);
	(void)sink;
}
