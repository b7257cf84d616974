// SPDX-License-Identifier: MIT
/*
 * pmu: the PMUv3 Performance Monitors (Arm ARM DDI 0487 D13) as an EL1
 * kernel uses them, and their overflow interrupt through the GICv3: what a
 * hypervisor gives a guest when it lets it own the PMU (MDCR_EL2.HPMN = all
 * counters, no PMU traps) and forwards the overflow PPI.
 *
 *  1. ID_AA64DFR0_EL1.PMUVer, PMCR_EL0.N counters, PMCEID0_EL0; the /pmu
 *     node of the DTB names PPI 7 (INTID 23), level triggered.
 *  2. PMCR_EL0.P and .C reset the counters; the cycle counter (PMCCNTR_EL0,
 *     PMCNTENSET_EL0 bit 31, PMCCFILTR_EL0 counting EL1) increases across a
 *     busy loop, stands still with PMCR_EL0.E clear or with PMCCFILTR_EL0.P
 *     (EL1 not counted).
 *  3. Event counter 0 counts CPU_CYCLES (0x11) and, if PMCEID0_EL0 says so,
 *     INST_RETIRED (0x08: QEMU only implements it with -icount). SW_INCR
 *     (0x00) on every counter through PMSELR_EL0/PMXEV*: exactly the writes
 *     to PMSWINC_EL0 while enabled, none while disabled.
 *  4. Overflow interrupt, twice: PMEVCNTR0 = 0xffffffff counting SW_INCR,
 *     PMINTENSET_EL1 bit 0, PPI 23 enabled, one PMSWINC: PMOVSSET_EL0 bit 0,
 *     the PPI pending at the CPU (ISR_EL1.I, ICC_HPPIR1) and in
 *     GICR_ISPENDR0; taken once IRQs are unmasked with ICC_IAR1 = 23; the
 *     handler clears PMOVSCLR_EL0 and EOIs; afterwards 23 is neither pending
 *     nor active. The second round only works if the first was deactivated.
 *  5. An overflow with PMINTENSET_EL1 clear sets PMOVSSET but raises
 *     nothing; setting PMINTENSET then raises it (the request is a level).
 *  6. The cycle counter overflows by itself: PMCCNTR_EL0 preloaded 10^6
 *     cycles short of a 64-bit overflow (PMCR_EL0.LC), IRQs unmasked: the
 *     interrupt arrives with PMOVSSET_EL0 bit 31 (C).
 *  7. Whether the counters can see EL2 (NSH): reported; bootarg
 *     "pmu-el2-hidden" makes "they cannot" a check.
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

const char guest_name[] = "pmu";

#define PMU_PPI 23

#define PMCR_E (1UL << 0)
#define PMCR_P (1UL << 1)
#define PMCR_C (1UL << 2)
#define PMCR_D (1UL << 3)
#define PMCR_LC (1UL << 6)
#define PMCR_N(pmcr) (((pmcr) >> 11) & 0x1f)

#define PMU_C (1UL << 31) /* cycle counter bit of PMCNTEN, PMINTEN, PMOVS */
/* PMEVTYPER / PMCCFILTR: P = 1 stops counting at EL1, U at EL0, NSH = 1 counts at EL2. */
#define PMEVTYPER_P (1UL << 31)
#define PMEVTYPER_U (1UL << 30)
#define PMEVTYPER_NSH (1UL << 27)

#define EV_SW_INCR 0x00
#define EV_INST_RETIRED 0x08
#define EV_CPU_CYCLES 0x11

#define ISR_EL1_I (1UL << 7)

static unsigned nr_counters;

/* ---------------------------------------------------------------- helpers */

static void busy_loop(unsigned n)
{
	__asm__ volatile("1:\tsubs %0, %0, #1\n\t"
			 "b.ne 1b"
			 : "+r"(n)
			 :
			 : "cc");
}

static uint64_t pmcr(void)
{
	return read_sysreg(pmcr_el0);
}

static void set_pmcr(uint64_t v)
{
	write_sysreg(v, pmcr_el0);
	isb();
}

static uint64_t cycles(void)
{
	isb();
	return read_sysreg(pmccntr_el0);
}

static void select_counter(unsigned n)
{
	write_sysreg(n, pmselr_el0);
	isb();
}

static uint64_t counter(unsigned n)
{
	select_counter(n);
	return read_sysreg(pmxevcntr_el0);
}

static void set_counter(unsigned n, uint64_t type, uint64_t value)
{
	select_counter(n);
	write_sysreg(type, pmxevtyper_el0);
	write_sysreg(value, pmxevcntr_el0);
	isb();
}

/* Everything off and clear, counters reset, PMCR_EL0.E clear. */
static void pmu_quiesce(void)
{
	write_sysreg(~0UL, pmcntenclr_el0);
	write_sysreg(~0UL, pmintenclr_el1);
	write_sysreg(~0UL, pmovsclr_el0);
	set_pmcr((pmcr() & ~(PMCR_E | PMCR_D)) | PMCR_P | PMCR_C | PMCR_LC);
}

/* ---------------------------------------------------------------- interrupt */

#define MAX_SEEN 4

static volatile unsigned seen;
static volatile uint32_t seen_intid[MAX_SEEN];
static volatile uint64_t seen_pmovs[MAX_SEEN];

static void pmu_irq(void)
{
	uint32_t intid = gic_ack();

	if (intid == GIC_SPURIOUS)
		return;
	if (seen < MAX_SEEN) {
		seen_intid[seen] = intid;
		seen_pmovs[seen] = read_sysreg(pmovsset_el0);
	}
	seen = seen + 1;
	if (intid == PMU_PPI) {
		/* Drop the request (a level) before the EOI deactivates it. */
		write_sysreg(read_sysreg(pmovsset_el0), pmovsclr_el0);
		isb();
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

static void take_interrupts(void)
{
	irq_enable();
	udelay(1000);
	irq_disable();
}

static void after_eoi_checks(const char *what)
{
	check_eq(read_sysreg(pmovsset_el0), 0, "%s: PMOVSSET_EL0 clear after PMOVSCLR", what);
	check(!gic_irq_pending(PMU_PPI) && !gic_irq_active(PMU_PPI),
	      "%s: PPI 23 neither pending nor active after EOI (pending %d, active %d)", what,
	      gic_irq_pending(PMU_PPI), gic_irq_active(PMU_PPI));
	check_eq(gic_running_priority(), 0xff, "%s: running priority idle again", what);
	check(!(read_sysreg(isr_el1) & ISR_EL1_I), "%s: nothing left pending at the CPU", what);
}

/* ---------------------------------------------------------------- tests */

static bool identify(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned pmuver = (dfr0 >> 8) & 0xf;

	if (!check(pmuver != 0 && pmuver != 0xf, "ID_AA64DFR0_EL1.PMUVer is PMUv3 (%u)", pmuver))
		return false;
	uint64_t v = pmcr();
	nr_counters = PMCR_N(v);
	uint64_t ceid0 = read_sysreg(pmceid0_el0);
	diag("PMUVer %u, PMCR_EL0 0x%lx: IMP 0x%lx, IDCODE 0x%lx, N %u; PMCEID0_EL0 0x%lx", pmuver,
	     v, (v >> 24) & 0xff, (v >> 16) & 0xff, nr_counters, ceid0);
	check(nr_counters >= 1 && nr_counters <= 31, "PMCR_EL0.N: %u event counters", nr_counters);
	check(ceid0 & (1UL << EV_SW_INCR), "PMCEID0_EL0: SW_INCR (0x00) implemented");
	check(ceid0 & (1UL << EV_CPU_CYCLES), "PMCEID0_EL0: CPU_CYCLES (0x11) implemented");

	uint32_t len = 0;
	const uint8_t *irq = guest_dt_prop("/pmu", "interrupts", &len);
	uint32_t compat_len = 0;
	const char *compat = guest_dt_prop("/pmu", "compatible", &compat_len);
	bool pmuv3 = false;
	/* A string list: "arm,<core>-pmu\0arm,armv8-pmuv3\0" is fine too. */
	if (compat && (compat_len == 0 || compat[compat_len - 1] != '\0'))
		compat = NULL; /* not a NUL-terminated string list */
	for (uint32_t off = 0; compat && off < compat_len; off += strlen(compat + off) + 1)
		pmuv3 |= strncmp(compat + off, "arm,armv8-pmuv3", compat_len - off) == 0;
	if (check(irq && len >= 12, "DTB has /pmu with interrupts (%u bytes)", (unsigned)len)) {
		uint32_t cell[3];
		for (unsigned i = 0; i < 3; i++)
			cell[i] = (uint32_t)irq[4 * i] << 24 | (uint32_t)irq[4 * i + 1] << 16 |
				  (uint32_t)irq[4 * i + 2] << 8 | irq[4 * i + 3];
		check(cell[0] == 1 && cell[1] + 16 == PMU_PPI && (cell[2] & 0xf) == 4,
		      "/pmu interrupts: PPI 7 (INTID 23), level high (<%u %u 0x%x>)", cell[0],
		      cell[1], cell[2]);
		check(pmuv3, "/pmu compatible with \"arm,armv8-pmuv3\" (first \"%s\")",
		      compat ? compat : "(none)");
	}
	return nr_counters >= 1;
}

static void cycle_counter(void)
{
	pmu_quiesce();
	check_eq(cycles(), 0, "PMCR_EL0.C resets PMCCNTR_EL0");
	write_sysreg(0, pmccfiltr_el0); /* count at EL0 and EL1, not EL2 */
	write_sysreg(PMU_C, pmcntenset_el0);
	check(read_sysreg(pmcntenset_el0) & PMU_C, "PMCNTENSET_EL0 bit 31 reads back set");
	set_pmcr(pmcr() | PMCR_E);
	check(pmcr() & PMCR_E, "PMCR_EL0.E reads back set");

	uint64_t c0 = cycles();
	busy_loop(100000);
	uint64_t c1 = cycles();
	busy_loop(100000);
	uint64_t c2 = cycles();
	diag("cycle counter: %lu, then %lu, %lu cycles for 100000 iterations", c0, c1 - c0,
	     c2 - c1);
	check(c1 > c0 && c2 > c1, "PMCCNTR_EL0 increases across busy loops (%lu -> %lu -> %lu)", c0,
	      c1, c2);

	set_pmcr(pmcr() & ~PMCR_E);
	c0 = cycles();
	busy_loop(100000);
	c1 = cycles();
	check_eq(c1, c0, "PMCR_EL0.E clear: PMCCNTR_EL0 stands still");

	set_pmcr(pmcr() | PMCR_E);
	write_sysreg(PMEVTYPER_P, pmccfiltr_el0);
	isb();
	c0 = cycles();
	busy_loop(100000);
	c1 = cycles();
	check_eq(c1, c0, "PMCCFILTR_EL0.P: EL1 cycles not counted");
	write_sysreg(0, pmccfiltr_el0);
	isb();
	c0 = cycles();
	busy_loop(100000);
	check(cycles() > c0, "PMCCFILTR_EL0.P clear: counting again");

	write_sysreg(PMU_C, pmcntenclr_el0);
	isb();
	c0 = cycles();
	busy_loop(100000);
	check_eq(cycles(), c0, "PMCNTENCLR_EL0 bit 31: PMCCNTR_EL0 stands still");

	set_pmcr(pmcr() | PMCR_C);
	check(cycles() < c0 || c0 == 0, "PMCR_EL0.C resets a running count");
}

static void event_counters(void)
{
	uint64_t ceid0 = read_sysreg(pmceid0_el0);

	pmu_quiesce();
	/* PMCR_EL0.P resets every event counter. */
	for (unsigned n = 0; n < nr_counters; n++)
		set_counter(n, EV_SW_INCR, 0x1000 + n);
	check_eq(counter(nr_counters - 1), 0x1000 + nr_counters - 1,
		 "PMXEVCNTR_EL0 of counter %u reads back", nr_counters - 1);
	set_pmcr(pmcr() | PMCR_P);
	bool zero = true;
	for (unsigned n = 0; n < nr_counters; n++)
		zero &= counter(n) == 0;
	check(zero, "PMCR_EL0.P resets all %u event counters", nr_counters);

	/* Counter 0 counts CPU cycles, through its own PMEVTYPER0/PMEVCNTR0 registers. */
	write_sysreg(EV_CPU_CYCLES, pmevtyper0_el0);
	write_sysreg(0, pmevcntr0_el0);
	write_sysreg(1, pmcntenset_el0);
	set_pmcr(pmcr() | PMCR_E);
	busy_loop(100000);
	set_pmcr(pmcr() & ~PMCR_E); /* stop it, so both views read the same count */
	uint64_t c = read_sysreg(pmevcntr0_el0);
	check_eq(read_sysreg(pmevtyper0_el0) & 0xffff, EV_CPU_CYCLES,
		 "PMEVTYPER0_EL0 reads back CPU_CYCLES");
	check(c > 0, "event counter 0 counts CPU_CYCLES (0x11) at EL1: %lu", c);
	check_eq(counter(0), c, "PMXEVCNTR_EL0 with PMSELR_EL0 0 is PMEVCNTR0_EL0");

	/* CPU_CYCLES with EL1 filtered out: nothing. */
	write_sysreg(EV_CPU_CYCLES | PMEVTYPER_P, pmevtyper0_el0);
	write_sysreg(0, pmevcntr0_el0);
	set_pmcr(pmcr() | PMCR_E);
	busy_loop(100000);
	set_pmcr(pmcr() & ~PMCR_E);
	check_eq(read_sysreg(pmevcntr0_el0), 0,
		 "CPU_CYCLES with PMEVTYPER0_EL0.P: EL1 not counted");

	if (ceid0 & (1UL << EV_INST_RETIRED)) {
		write_sysreg(EV_INST_RETIRED, pmevtyper0_el0);
		write_sysreg(0, pmevcntr0_el0);
		set_pmcr(pmcr() | PMCR_E);
		busy_loop(10000); /* 2 instructions per iteration */
		set_pmcr(pmcr() & ~PMCR_E);
		c = read_sysreg(pmevcntr0_el0);
		check(c >= 20000 && c < 40000,
		      "INST_RETIRED (0x08): %lu for a 20000-instruction loop", c);
	} else {
		diag("INST_RETIRED (0x08) not implemented here (QEMU: only with -icount)");
	}

	/* SW_INCR on every counter: exactly the increments written while enabled. */
	write_sysreg(~0UL, pmcntenclr_el0);
	set_pmcr(pmcr() | PMCR_P | PMCR_E);
	unsigned good = 0;
	for (unsigned n = 0; n < nr_counters; n++) {
		set_counter(n, EV_SW_INCR, 0);
		write_sysreg(1UL << n, pmswinc_el0); /* disabled: no count */
		write_sysreg(1UL << n, pmcntenset_el0);
		isb();
		for (unsigned i = 0; i < 3; i++)
			write_sysreg(1UL << n, pmswinc_el0);
		isb();
		uint64_t got = counter(n);
		write_sysreg(1UL << n, pmcntenclr_el0);
		isb();
		if (got == 3)
			good++;
		else
			diag("SW_INCR on counter %u: %lu, expected 3", n, got);
	}
	check_eq(good, nr_counters, "SW_INCR: every counter counts exactly 3 PMSWINC_EL0 writes");

	/* Several counters at once, one PMSWINC write. */
	unsigned m = nr_counters < 3 ? nr_counters : 3;
	uint64_t mask = (1UL << m) - 1;
	for (unsigned n = 0; n < m; n++)
		set_counter(n, EV_SW_INCR, 10 * n);
	write_sysreg(mask & ~1UL, pmcntenset_el0); /* counter 0 stays disabled */
	isb();
	write_sysreg(mask, pmswinc_el0);
	isb();
	bool ok = counter(0) == 0;
	for (unsigned n = 1; n < m; n++)
		ok &= counter(n) == 10 * n + 1;
	check(ok, "one PMSWINC_EL0 write increments every enabled counter it names, not others");
	pmu_quiesce();
}

/*
 * Can the guest count what runs at EL2? PMCCFILTR_EL0.NSH and
 * PMEVTYPER0_EL0.NSH ask for EL2 to be counted, P and U leave EL1 and EL0
 * out, and every HVC runs hypervisor code at EL2 (natively there is no EL2
 * and nothing counts). The architecture lets a hypervisor allow it; one that
 * keeps itself out of its guests' view sets MDCR_EL2.HPMD (FEAT_PMUv3p1: no
 * counting at EL2 by counters below HPMN) and MDCR_EL2.HCCD (FEAT_PMUv3p5:
 * no cycle counting at EL2). Reported as a comment; checked only with the
 * bootarg "pmu-el2-hidden".
 */
static void el2_visibility(void)
{
	const uint64_t only_el2 = PMEVTYPER_P | PMEVTYPER_U | PMEVTYPER_NSH;

	pmu_quiesce();
	write_sysreg(only_el2, pmccfiltr_el0);
	set_counter(0, only_el2 | EV_CPU_CYCLES, 0);
	write_sysreg(PMU_C | 1, pmcntenset_el0);
	set_pmcr(pmcr() | PMCR_E);
	for (unsigned i = 0; i < 100; i++)
		smccc_call(PSCI_VERSION, 0, 0, 0);
	set_pmcr(pmcr() & ~PMCR_E);
	uint64_t cyc = cycles(), ev = read_sysreg(pmevcntr0_el0);
	diag("counting EL2 only (NSH, P, U) across 100 PSCI_VERSION calls: PMCCNTR_EL0 %lu, "
	     "CPU_CYCLES on counter 0 %lu",
	     cyc, ev);
	if (guest_has_arg("pmu-el2-hidden"))
		check(cyc == 0 && ev == 0,
		      "EL2 is not counted by the guest's counters (cycle %lu, event %lu)", cyc, ev);
	pmu_quiesce();
	write_sysreg(0, pmccfiltr_el0);
}

/* Overflow of counter 0 by SW_INCR; interrupt taken with IRQs masked, then unmasked. */
static void overflow_round(unsigned round)
{
	char what[32];

	snprintf(what, sizeof(what), "overflow %u", round);
	pmu_quiesce();
	seen = 0;
	set_counter(0, EV_SW_INCR, 0xffffffffUL);
	write_sysreg(1, pmintenset_el1);
	write_sysreg(1, pmcntenset_el0);
	set_pmcr(pmcr() | PMCR_E);

	write_sysreg(1, pmswinc_el0);
	isb();
	check_eq(read_sysreg(pmovsset_el0), 1, "%s: PMOVSSET_EL0 bit 0 after SW_INCR past 2^32",
		 what);
	check_eq(read_sysreg(pmevcntr0_el0) & 0xffffffffUL, 0, "%s: PMEVCNTR0 wrapped to 0", what);
	check(wait_pending(), "%s: interrupt pending at the CPU (ISR_EL1.I)", what);
	check_eq(gic_highest_pending(), PMU_PPI, "%s: ICC_HPPIR1 is 23", what);
	check(gic_irq_pending(PMU_PPI), "%s: GICR_ISPENDR0 bit 23 set", what);
	check_eq(seen, 0, "%s: not taken while PSTATE.I is set", what);
	take_interrupts();
	check_eq(seen, 1, "%s: taken once IRQs are unmasked", what);
	check_eq(seen_intid[0], PMU_PPI, "%s: ICC_IAR1 gave INTID 23", what);
	check_eq(seen_pmovs[0], 1, "%s: PMOVSSET_EL0 bit 0 set in the handler", what);
	after_eoi_checks(what);
	pmu_quiesce();
}

static void overflow_without_inten(void)
{
	const char *what = "PMINTENSET clear";

	pmu_quiesce();
	seen = 0;
	set_counter(0, EV_SW_INCR, 0xffffffffUL);
	write_sysreg(1, pmcntenset_el0);
	set_pmcr(pmcr() | PMCR_E);
	write_sysreg(1, pmswinc_el0);
	isb();
	udelay(1000);
	check_eq(read_sysreg(pmovsset_el0), 1, "%s: overflow still sets PMOVSSET_EL0", what);
	check(!gic_irq_pending(PMU_PPI) && !(read_sysreg(isr_el1) & ISR_EL1_I),
	      "%s: no interrupt requested", what);
	take_interrupts();
	check_eq(seen, 0, "%s: nothing taken", what);

	what = "PMINTENSET set late";
	write_sysreg(1, pmintenset_el1);
	isb();
	check(wait_pending(), "%s: the pending overflow now raises the interrupt", what);
	take_interrupts();
	check(seen == 1 && seen_intid[0] == PMU_PPI && seen_pmovs[0] == 1,
	      "%s: taken, INTID 23, PMOVSSET bit 0 (seen %u)", what, seen);
	after_eoi_checks(what);
	pmu_quiesce();
}

static void cycle_overflow(void)
{
	const char *what = "cycle counter overflow";

	pmu_quiesce();
	seen = 0;
	write_sysreg(0, pmccfiltr_el0);
	write_sysreg(-1000000UL, pmccntr_el0); /* LC is set: a 64-bit overflow */
	write_sysreg(PMU_C, pmintenset_el1);
	write_sysreg(PMU_C, pmcntenset_el0);
	set_pmcr(pmcr() | PMCR_E | PMCR_LC);
	isb();
	irq_enable();
	uint64_t end = timer_count() + timer_ticks_from_us(1000000);
	while (!seen && timer_count() < end)
		;
	irq_disable();
	uint64_t after = cycles();
	check_eq(seen, 1, "%s: one interrupt within 1 s", what);
	check_eq(seen_intid[0], PMU_PPI, "%s: ICC_IAR1 gave INTID 23", what);
	check_eq(seen_pmovs[0], PMU_C, "%s: PMOVSSET_EL0 bit 31 (C) in the handler", what);
	check(after < 1000000000UL, "%s: PMCCNTR_EL0 wrapped (now %lu)", what, after);
	after_eoi_checks(what);
	pmu_quiesce();
}

void test_main(void)
{
	if (!identify())
		return;
	cycle_counter();
	event_counters();
	el2_visibility();

	gic_init();
	set_irq_handler(pmu_irq);
	gic_set_priority(PMU_PPI, GIC_DEFAULT_PRIORITY);
	gic_enable_irq(PMU_PPI);
	overflow_round(1);
	overflow_round(2);
	overflow_without_inten();
	cycle_overflow();
	gic_disable_irq(PMU_PPI);
	check_eq(exception_count(), 4, "four interrupts in all, no stray exceptions");
}
