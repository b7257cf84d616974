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
 * With QEMU's -icount the counter is the whole machine's: every CPU's
 * instructions advance it, at EL1 and at EL2 alike, while a CPU in WFI adds
 * nothing. So with two CPUs (the ipi row) a figure is everything both ran,
 * which is what the operation cost the machine; the other rows run on CPU 0
 * while CPU 1 is still off.
 *
 *   loop             the empty measuring loop (subtract it mentally)
 *   hvc              SMCCC_VERSION through the PSCI conduit (the runtime's
 *                    smccc_call: 73 instructions of it natively): a trap round trip
 *   mmio-gicd        a read of GICD_TYPER: emulated distributor register
 *   mmio-pl011       a read of UARTFR: emulated UART register
 *   sysreg           a read of ID_AA64PFR0_EL1 (trapped by HCR_EL2.TID3)
 *   sgi-self         ICC_SGI1R write to self, until the handler's EOI returns
 *   eoi              the EOI of that SGI alone (no trap with list registers)
 *   timer-latency    from the virtual timer's deadline to the first
 *                    instruction of the guest's handler
 *   first-touch      the first store to each page of a fresh buffer (a
 *                    Stage-2 fault, where the hypervisor maps lazily)
 *   ipi              a virtual IPI between two vCPUs: CPU 0's counter from
 *                    just before its ICC_SGI1R write (an SGI to CPU 1)
 *                    until it sees CPU 1's acknowledgement flag, i.e. the
 *                    send, delivery to CPU 1, its IRQ handler's acknowledge
 *                    (IAR) and EOI, the flag store, and CPU 0 seeing it.
 *                    CPU 1 is running (a cpu_relax() loop with IRQs
 *                    unmasked), as in kvm-unit-tests' micro-bench.
 *   ipi-idle         the same with CPU 1 idle in WFI: the hypervisor must
 *                    also wake it (and, under one, it blocked the vCPU).
 *
 * The two ipi rows need a second CPU (the DTB's next /cpus entry, started
 * with PSCI CPU_ON); without one, or if it does not answer, one line
 * "micro: ipi skipped: <why>" instead of their figures.
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
#define SGI_IPI 5u
/* Spins of CPU 0 before it gives up on CPU 1: far beyond any round trip. */
#define IPI_SPIN_LIMIT 10000000u

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
	/* From the DTB (a load each): out of the loops, as constants were. */
	const uintptr_t gicd_typer = GICD_BASE + GICD_TYPER, uartfr = PL011_BASE + UARTFR;
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
		sink += readl(gicd_typer);
	t1 = timer_count();
	report("mmio-gicd", t1 - t0, iterations);

	t0 = timer_count();
	for (unsigned int i = 0; i < iterations; i++)
		sink += readl(uartfr);
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

/*
 * A spin-wait hint, as Linux's cpu_relax(): a no-op to the hardware, but
 * QEMU's -icount runs all CPUs round-robin on one host thread and a CPU
 * keeps it until it waits (WFI), yields or spends its time slice (tens of
 * millions of instructions): without it the waiting CPU would spin out its
 * slice before the other CPU even sees the interrupt.
 */
static inline void cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

/* Written by CPU 1 only, read by CPU 0 (MMU off: Device memory, no caches). */
static volatile bool ipi_peer_ready;
static volatile uint32_t ipi_acks;
/* Written by CPU 0: whether CPU 1 waits in WFI rather than spinning. */
static volatile bool ipi_peer_idle;

static void ipi_handler(void)
{
	uint32_t intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	gic_eoi(intid);
	if (intid == SGI_IPI)
		ipi_acks = ipi_acks + 1;
}

/* CPU 1: its redistributor and CPU interface, the SGI on, then wait for it. */
static void ipi_peer(void *arg)
{
	(void)arg;
	gic_init_cpu();
	gic_set_priority(SGI_IPI, 0x80);
	gic_enable_irq(SGI_IPI);
	dsb(sy);
	ipi_peer_ready = true;
	irq_enable();
	for (;;) {
		if (ipi_peer_idle)
			wfi();
		else
			cpu_relax();
	}
}

/* Index of a CPU other than this one in guest_platform, or -1. */
static int other_cpu(void)
{
	for (unsigned int i = 0; i < guest_platform.ncpus; i++)
		if (i != guest_cpu())
			return (int)i;
	return -1;
}

/* N round trips to TARGET in *TICKS; false if it stopped answering. */
static bool ipi_round_trips(uint64_t target, unsigned int n, uint64_t *ticks)
{
	uint32_t acks = ipi_acks;
	unsigned int spins = IPI_SPIN_LIMIT;
	uint64_t t0 = timer_count();

	for (unsigned int i = 0; i < n && spins; i++) {
		acks++;
		gic_send_sgi(SGI_IPI, target);
		while (ipi_acks != acks && --spins)
			cpu_relax();
	}
	*ticks = timer_count() - t0;
	return spins != 0;
}

static void bench_ipi(void)
{
	unsigned int n = iterations / 4 ? iterations / 4 : 1;
	int peer = other_cpu();
	uint64_t ticks, deadline, target;
	int64_t rc;

	if (peer < 0) {
		printf("micro: ipi skipped: the DTB lists one CPU only\n");
		return;
	}
	target = guest_platform.cpu_mpidr[peer];
	set_irq_handler(ipi_handler);
	rc = guest_cpu_start((unsigned int)peer, ipi_peer, NULL);
	if (rc != SMCCC_RET_SUCCESS) {
		printf("micro: ipi skipped: PSCI CPU_ON of 0x%lx returned %ld\n", target, rc);
		return;
	}
	deadline = timer_count() + timer_ticks_from_us(100000);
	while (!ipi_peer_ready && timer_count() < deadline)
		cpu_relax();
	if (!ipi_peer_ready) {
		printf("micro: ipi skipped: CPU 0x%lx did not come up in 100 ms\n", target);
		return;
	}

	/* One unmeasured round trip first: CPU 1 is then in the state measured. */
	for (int idle = 0; idle <= 1; idle++) {
		ipi_peer_idle = idle;
		if (!ipi_round_trips(target, 1, &ticks) || !ipi_round_trips(target, n, &ticks)) {
			printf("micro: ipi skipped: CPU 0x%lx stopped answering after %u SGIs\n",
			       target, (unsigned int)ipi_acks);
			return;
		}
		report(idle ? "ipi-idle" : "ipi", ticks, n);
	}
}

void test_main(void)
{
	if (guest_has_arg("micro-quick"))
		iterations = 40;
	bench_first_touch();
	bench_traps();
	bench_interrupts();
	bench_ipi();
}
