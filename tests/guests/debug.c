// SPDX-License-Identifier: MIT
/*
 * debug: AArch64 self-hosted debug at EL1, debug exceptions taken to EL1
 * (Arm ARM DDI 0487 D2): what a hypervisor must leave to an EL1 kernel
 * (MDCR_EL2.TDE/TDA/TDOSA clear, the debug registers switched with the vCPU).
 *
 * Set-up: OS Lock cleared (OSLAR_EL1 = 0), MDSCR_EL1.MDE (breakpoints and
 * watchpoints) and KDE (debug exceptions at the EL they target), PSTATE.D
 * cleared. Then:
 *  1. every hardware breakpoint (ID_AA64DFR0_EL1.BRPs) on the address of a
 *     function, EL1 only: calling it is a Breakpoint exception, EC 0x31
 *     (without a change of EL), ELR the function; the hook disables the
 *     breakpoint and resumes there, so the function then runs. A breakpoint
 *     that is disabled, or for EL0 only, or with PSTATE.D set, or
 *     MDSCR_EL1.KDE clear, does not fire. (Nor should one with the OS Lock
 *     locked, but QEMU gets that wrong: reported, not checked.)
 *  2. every watchpoint (WRPs) on a doubleword, stores at EL1: a store is a
 *     Watchpoint exception, EC 0x35, WnR 1, FAR in the doubleword, ELR the
 *     store, which completes once the hook has disabled the watchpoint and
 *     resumed at it. A load watchpoint: loads fire (WnR 0), stores do not.
 *     Byte address select: a store to the one watched byte fires with that
 *     byte's address in FAR, a store to its neighbour does not.
 *  3. software step: MDSCR_EL1.SS and an ERET with SPSR_EL1.SS set run one
 *     instruction, then a Software Step exception, EC 0x33, ISV 1, ELR the
 *     next instruction (a branch's target after a taken branch); stepping
 *     three instructions in a row, then running on.
 *  4. BRK #imm: EC 0x3c, ISS the immediate, ELR the BRK, also with PSTATE.D
 *     set and the OS Lock locked (BRK cannot be masked).
 */
#include "gic.h"
#include "guest.h"
#include "timer.h"

const char guest_name[] = "debug";

#define MDSCR_SS (1UL << 0)
#define MDSCR_KDE (1UL << 13)
#define MDSCR_MDE (1UL << 15)
#define OSLSR_OSLK (1UL << 1)
#define PSTATE_SS (1UL << 21)

/* DBGBCR<n>_EL1 / DBGWCR<n>_EL1 fields (D19: E, PMC/PAC, BAS, LSC). */
#define DBGxCR_E (1UL << 0)
#define DBGxCR_EL1_ONLY (1UL << 1) /* PMC/PAC 0b01, HMC 0, SSC 0b00: EL1 */
#define DBGxCR_EL0_ONLY (2UL << 1) /* PMC/PAC 0b10: EL0 */
#define DBGBCR_BAS_A64 (0xfUL << 5)
#define DBGWCR_LSC_LOAD (1UL << 3)
#define DBGWCR_LSC_STORE (2UL << 3)
#define DBGWCR_BAS(bytes) ((uint64_t)(bytes) << 5)

/* ISS of breakpoint, step and watchpoint exceptions: IFSC/DFSC "debug exception". */
#define FSC_DEBUG 0x22
#define ISS_SS_ISV (1UL << 24)
#define ISS_SS_EX (1UL << 6)

#define DBG_REGS(op)                                                                            \
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13) \
		op(14) op(15)

static unsigned nr_brps, nr_wrps;
/* Breakpoint exceptions taken with the OS Lock locked (see breakpoints()). */
static unsigned oslock_events;

static void set_breakpoint(unsigned n, uint64_t bvr, uint64_t bcr)
{
	switch (n) {
#define BP(i)                                       \
	case i:                                     \
		write_sysreg(bvr, dbgbvr##i##_el1); \
		write_sysreg(bcr, dbgbcr##i##_el1); \
		break;
		DBG_REGS(BP)
#undef BP
	default:
		break;
	}
	isb();
}

static void set_watchpoint(unsigned n, uint64_t wvr, uint64_t wcr)
{
	switch (n) {
#define WP(i)                                       \
	case i:                                     \
		write_sysreg(wvr, dbgwvr##i##_el1); \
		write_sysreg(wcr, dbgwcr##i##_el1); \
		break;
		DBG_REGS(WP)
#undef WP
	default:
		break;
	}
	isb();
}

static void disable_all(void)
{
	for (unsigned n = 0; n < nr_brps; n++)
		set_breakpoint(n, 0, 0);
	for (unsigned n = 0; n < nr_wrps; n++)
		set_watchpoint(n, 0, 0);
}

/* ---------------------------------------------------------------- the hook */

#define MAX_EVENTS 8

struct debug_event {
	uint64_t esr, far, elr, spsr;
};

static volatile unsigned nr_events;
static volatile struct debug_event events[MAX_EVENTS];
/* Software step: how many more steps the hook re-arms before stopping. */
static volatile unsigned steps_left;

/*
 * Breakpoint, watchpoint and software step exceptions from EL1: record
 * them, then undo the cause so that resuming at ELR makes progress
 * (breakpoints and watchpoints off; stepping re-armed or stopped), and
 * resume at ELR itself: the breakpointed instruction or the watchpointed
 * access has not executed yet, and after a step ELR is the next one.
 */
static bool debug_hook(struct exc_frame *f, unsigned kind)
{
	uint64_t ec = ESR_EC(f->esr);

	if (kind != EXC_CURRENT_SPX + EXC_SYNC ||
	    (ec != EC_BREAKPT_CUR && ec != EC_WATCHPT_CUR && ec != EC_SOFTSTP_CUR))
		return false;
	if (nr_events < MAX_EVENTS) {
		volatile struct debug_event *e = &events[nr_events];

		e->esr = f->esr;
		e->far = f->far;
		e->elr = f->elr;
		e->spsr = f->spsr;
	}
	nr_events = nr_events + 1;
	if (ec == EC_SOFTSTP_CUR) {
		if (steps_left > 0) {
			steps_left = steps_left - 1;
			f->spsr |= PSTATE_SS; /* one more instruction, then step again */
		} else {
			write_sysreg(read_sysreg(mdscr_el1) & ~MDSCR_SS, mdscr_el1);
			f->spsr &= ~PSTATE_SS;
		}
	} else {
		disable_all();
	}
	return true;
}

static void reset_events(void)
{
	nr_events = 0;
	for (unsigned i = 0; i < MAX_EVENTS; i++)
		events[i].esr = events[i].far = events[i].elr = events[i].spsr = 0;
}

static inline void debug_mask(void)
{
	__asm__ volatile("msr daifset, #8" ::: "memory");
}

static inline void debug_unmask(void)
{
	__asm__ volatile("msr daifclr, #8" ::: "memory");
}

/* ---------------------------------------------------------------- targets */

static volatile unsigned target_calls;

/* noipa: a real, separate function at its own address, called as such. */
__attribute__((noipa)) static uint64_t bp_target(uint64_t x)
{
	target_calls = target_calls + 1;
	return x * 3 + 1;
}

static uint64_t (*volatile bp_target_ptr)(uint64_t) = bp_target;

static volatile uint64_t watched __attribute__((aligned(16)));
static volatile uint64_t watched_neighbour __attribute__((aligned(16)));

/* One store or load at ADDR, at the instruction whose address goes to *pc. */
static uint64_t store64_at(uintptr_t addr, uint64_t val)
{
	uint64_t pc;

	__asm__ volatile("adr %0, 1f\n"
			 "1:\tstr %1, [%2]"
			 : "=&r"(pc)
			 : "r"(val), "r"(addr)
			 : "memory");
	return pc;
}

static uint64_t store8_at(uintptr_t addr, uint8_t val)
{
	uint64_t pc;

	__asm__ volatile("adr %0, 1f\n"
			 "1:\tstrb %w1, [%2]"
			 : "=&r"(pc)
			 : "r"((uint32_t)val), "r"(addr)
			 : "memory");
	return pc;
}

static uint64_t load64_at(uintptr_t addr, uint64_t *val)
{
	uint64_t pc, v;

	__asm__ volatile("adr %0, 1f\n"
			 "1:\tldr %1, [%2]"
			 : "=&r"(pc), "=&r"(v)
			 : "r"(addr)
			 : "memory");
	*val = v;
	return pc;
}

/*
 * Software step: step_sequence(spsr) ERETs to step_insn1 with SPSR_EL1 =
 * spsr (EL1h, so SS set makes the first instruction a step), and returns
 * x0 = 2: two adds run, the add of 100 is branched over.
 */
#define hidden __attribute__((visibility("hidden")))
extern char step_sequence[] hidden, step_insn1[] hidden, step_insn2[] hidden, step_insn3[] hidden,
	step_insn4[] hidden, step_insn5[] hidden;
uint64_t step_call(uint64_t spsr) hidden;

__asm__(".pushsection .text.step_sequence, \"ax\"\n"
	".global step_call\n"
	".type step_call, %function\n"
	"step_call:\n"
	"	adr	x1, step_insn1\n"
	"	msr	elr_el1, x1\n"
	"	msr	spsr_el1, x0\n"
	"	mov	x0, #0\n"
	"	eret\n"
	".global step_sequence\n"
	"step_sequence:\n"
	".global step_insn1\n"
	"step_insn1:	add	x0, x0, #1\n"
	".global step_insn2\n"
	"step_insn2:	b	step_insn4\n"
	".global step_insn3\n"
	"step_insn3:	add	x0, x0, #100\n"
	".global step_insn4\n"
	"step_insn4:	add	x0, x0, #1\n"
	".global step_insn5\n"
	"step_insn5:	nop\n"
	"	ret\n"
	".size step_call, . - step_call\n"
	".popsection\n");

/*
 * Stepping one instruction that a hypervisor may trap and emulate:
 * step_<name>(spsr, 0, arg) ERETs to step_<name>_insn with x0 = arg and
 * SPSR_EL1 = spsr, and returns the x0 the instruction left. The step
 * exception must come at step_<name>_next, right after it.
 */
#define STEPPER(name)                                                         \
	extern char step_##name##_insn[] hidden, step_##name##_next[] hidden; \
	uint64_t step_##name(uint64_t spsr, uint64_t unused, uint64_t arg) hidden;
STEPPER(mmio)
STEPPER(idreg)
STEPPER(hvc)
STEPPER(wfi)

__asm__(".macro stepper name, insn\n"
	".pushsection .text.step_\\name, \"ax\"\n"
	".global step_\\name\n"
	".type step_\\name, %function\n"
	"step_\\name:\n"
	"	adr	x1, step_\\name\\()_insn\n"
	"	msr	elr_el1, x1\n"
	"	msr	spsr_el1, x0\n"
	"	mov	x0, x2\n"
	"	eret\n"
	".global step_\\name\\()_insn\n"
	"step_\\name\\()_insn:\n"
	"	\\insn\n"
	".global step_\\name\\()_next\n"
	"step_\\name\\()_next:\n"
	"	nop\n"
	"	nop\n"
	"	ret\n"
	".size step_\\name, . - step_\\name\n"
	".popsection\n"
	".endm\n"
	"stepper mmio, \"ldr w0, [x0]\"\n"
	"stepper idreg, \"mrs x0, id_aa64pfr0_el1\"\n"
	"stepper hvc, \"hvc #0\"\n"
	"stepper wfi, \"wfi\"\n");

/* EL1h, A/I/F masked, D clear (debug exceptions on at EL1), plus SS. */
#define SPSR_EL1H_D_CLEAR 0x1c5UL

/* ---------------------------------------------------------------- tests */

static void id_registers(void)
{
	uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
	unsigned debugver = dfr0 & 0xf;

	nr_brps = (unsigned)((dfr0 >> 12) & 0xf) + 1;
	nr_wrps = (unsigned)((dfr0 >> 20) & 0xf) + 1;
	diag("ID_AA64DFR0_EL1 0x%lx: DebugVer %u, %u breakpoints (%u context-aware), "
	     "%u watchpoints, PMUVer %u",
	     dfr0, debugver, nr_brps, (unsigned)((dfr0 >> 28) & 0xf) + 1, nr_wrps,
	     (unsigned)((dfr0 >> 8) & 0xf));
	check(debugver >= 6, "ID_AA64DFR0_EL1.DebugVer is Armv8 debug or later (%u)", debugver);
	check(nr_brps >= 2 && nr_wrps >= 2,
	      "at least 2 breakpoints and 2 watchpoints (%u, %u), as the architecture requires",
	      nr_brps, nr_wrps);
}

static void enable_self_hosted_debug(void)
{
	uint64_t oslsr = read_sysreg(oslsr_el1);

	diag("at entry: OSLSR_EL1 0x%lx, MDSCR_EL1 0x%lx, OSDLR_EL1 0x%lx", oslsr,
	     read_sysreg(mdscr_el1), read_sysreg(osdlr_el1));
	disable_all();
	write_sysreg(0, oslar_el1);
	isb();
	check_eq(read_sysreg(oslsr_el1) & OSLSR_OSLK, 0, "OSLAR_EL1 = 0 clears OSLSR_EL1.OSLK");
	check_eq(read_sysreg(osdlr_el1) & 1, 0, "OS Double Lock not locked");
	write_sysreg((read_sysreg(mdscr_el1) & ~MDSCR_SS) | MDSCR_MDE | MDSCR_KDE, mdscr_el1);
	isb();
	check_eq(read_sysreg(mdscr_el1) & (MDSCR_MDE | MDSCR_KDE | MDSCR_SS), MDSCR_MDE | MDSCR_KDE,
		 "MDSCR_EL1.MDE and KDE set, SS clear");
	set_exception_hook(debug_hook);
	debug_unmask();
	check_eq(read_sysreg(daif) & (1UL << 9), 0, "PSTATE.D cleared");
}

/* Calls the target with breakpoint N armed as BCR; returns the number of events. */
static unsigned call_with_breakpoint(unsigned n, uint64_t bcr, uint64_t *ret)
{
	reset_events();
	target_calls = 0;
	set_breakpoint(n, (uintptr_t)bp_target, bcr);
	*ret = bp_target_ptr(5);
	set_breakpoint(n, 0, 0);
	return nr_events;
}

static void breakpoints(void)
{
	uint64_t ret;
	uint64_t addr = (uintptr_t)bp_target;
	uint64_t bcr = DBGxCR_E | DBGxCR_EL1_ONLY | DBGBCR_BAS_A64;

	unsigned n = call_with_breakpoint(0, bcr, &ret);
	check_eq(n, 1, "breakpoint 0 on bp_target: one exception when it is called");
	check_eq(ESR_EC(events[0].esr), EC_BREAKPT_CUR,
		 "breakpoint 0: ESR_EL1.EC 0x31 (breakpoint, same EL)");
	check_eq(events[0].esr & (ESR_IL | 0x3f), ESR_IL | FSC_DEBUG,
		 "breakpoint 0: IL 1, IFSC 0x22 (debug exception)");
	check_eq(events[0].elr, addr, "breakpoint 0: ELR_EL1 is the function's address");
	check_eq(events[0].spsr & (1UL << 9), 0, "breakpoint 0: SPSR_EL1.D was clear");
	check(ret == 16 && target_calls == 1,
	      "breakpoint 0: the function ran once after the handler disabled it (ret %lu)", ret);

	/* Every other breakpoint, one check each. */
	for (unsigned i = 1; i < nr_brps && i < 16; i++) {
		n = call_with_breakpoint(i, bcr, &ret);
		check(n == 1 && ESR_EC(events[0].esr) == EC_BREAKPT_CUR && events[0].elr == addr &&
			      ret == 16 && target_calls == 1,
		      "breakpoint %u fires at the function, which then runs (%u exceptions, EC "
		      "0x%lx, ELR 0x%lx)",
		      i, n, ESR_EC(events[0].esr), events[0].elr);
	}

	/* Things that must keep a breakpoint from firing. */
	n = call_with_breakpoint(0, bcr & ~DBGxCR_E, &ret);
	check(n == 0 && ret == 16, "breakpoint with DBGBCR.E clear: no exception");
	n = call_with_breakpoint(0, (bcr & ~DBGxCR_EL1_ONLY) | DBGxCR_EL0_ONLY, &ret);
	check(n == 0 && ret == 16, "breakpoint for EL0 only (PMC 0b10): no exception at EL1");

	debug_mask();
	n = call_with_breakpoint(0, bcr, &ret);
	debug_unmask();
	check(n == 0 && ret == 16, "PSTATE.D set: breakpoint ignored");

	write_sysreg(read_sysreg(mdscr_el1) & ~MDSCR_KDE, mdscr_el1);
	isb();
	n = call_with_breakpoint(0, bcr, &ret);
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_KDE, mdscr_el1);
	isb();
	check(n == 0 && ret == 16, "MDSCR_EL1.KDE clear: breakpoint ignored at EL1");

	/*
	 * The OS Lock disables every debug exception but BRK
	 * (AArch64.GenerateDebugExceptionsFrom). Only reported, not checked:
	 * QEMU 10 tests OSLSR_EL1 bit 0 (OSLM[0]) instead of OSLK (bit 1) in
	 * arm_generate_debug_exceptions(), so natively the breakpoint fires.
	 */
	write_sysreg(1, oslar_el1);
	isb();
	check(read_sysreg(oslsr_el1) & OSLSR_OSLK, "OSLAR_EL1 = 1 sets OSLSR_EL1.OSLK");
	n = call_with_breakpoint(0, bcr, &ret);
	write_sysreg(0, oslar_el1);
	isb();
	oslock_events = n;
	diag("OS Lock locked: breakpoint %s (architecturally it must not fire)",
	     n ? "fired" : "ignored");
	check(ret == 16 && !(read_sysreg(oslsr_el1) & OSLSR_OSLK),
	      "OS Lock unlocked again (OSLSR_EL1 0x%lx)", read_sysreg(oslsr_el1));

	/* And all is as before. */
	n = call_with_breakpoint(0, bcr, &ret);
	check(n == 1 && events[0].elr == addr && ret == 16,
	      "breakpoint 0 fires again with everything restored");
}

static void watchpoint_store_checks(const char *what, uint64_t pc, uintptr_t lo, uintptr_t hi)
{
	check_eq(nr_events, 1, "%s: one exception", what);
	check_eq(ESR_EC(events[0].esr), EC_WATCHPT_CUR, "%s: ESR_EL1.EC 0x35 (watchpoint, same EL)",
		 what);
	check_eq(events[0].esr & (ESR_IL | ESR_DABT_WNR | 0x3f), ESR_IL | ESR_DABT_WNR | FSC_DEBUG,
		 "%s: IL 1, WnR 1, DFSC 0x22 (debug exception)", what);
	check(events[0].far >= lo && events[0].far <= hi,
	      "%s: FAR_EL1 0x%lx is the watched address (0x%lx..0x%lx)", what, events[0].far,
	      (uint64_t)lo, (uint64_t)hi);
	check_eq(events[0].elr, pc, "%s: ELR_EL1 is the store", what);
}

static void watchpoints(void)
{
	uintptr_t addr = (uintptr_t)&watched;
	uint64_t wcr = DBGxCR_E | DBGxCR_EL1_ONLY | DBGWCR_LSC_STORE | DBGWCR_BAS(0xff);
	uint64_t pc, val;

	/* 1. Store watchpoint 0 on the doubleword; an 8-byte store to it. */
	watched = 0;
	reset_events();
	set_watchpoint(0, addr, wcr);
	pc = store64_at(addr, 0x1122334455667788UL);
	set_watchpoint(0, 0, 0);
	watchpoint_store_checks("store watchpoint 0", pc, addr, addr + 7);
	check_eq(watched, 0x1122334455667788UL,
		 "store watchpoint 0: the store completed after the handler disabled it");
	diag("watchpoint FAR_EL1 0x%lx for a store to 0x%lx", events[0].far, (uint64_t)addr);

	/* 2. Every other watchpoint, one check each. */
	for (unsigned i = 1; i < nr_wrps && i < 16; i++) {
		reset_events();
		set_watchpoint(i, addr, wcr);
		pc = store64_at(addr, i);
		set_watchpoint(i, 0, 0);
		check(nr_events == 1 && ESR_EC(events[0].esr) == EC_WATCHPT_CUR &&
			      events[0].elr == pc && watched == i,
		      "watchpoint %u fires on a store, which then completes (%u exceptions, EC "
		      "0x%lx)",
		      i, nr_events, ESR_EC(events[0].esr));
	}

	/* 3. Load watchpoint: stores pass, loads fire with WnR 0. */
	reset_events();
	set_watchpoint(0, addr, DBGxCR_E | DBGxCR_EL1_ONLY | DBGWCR_LSC_LOAD | DBGWCR_BAS(0xff));
	store64_at(addr, 42);
	check_eq(nr_events, 0, "load watchpoint: a store does not fire");
	pc = load64_at(addr, &val);
	set_watchpoint(0, 0, 0);
	check(nr_events == 1 && ESR_EC(events[0].esr) == EC_WATCHPT_CUR &&
		      !(events[0].esr & ESR_DABT_WNR) && events[0].elr == pc,
	      "load watchpoint: a load fires, WnR 0, ELR the load (%u exceptions, ESR 0x%lx)",
	      nr_events, events[0].esr);
	check_eq(val, 42, "load watchpoint: the load completed after the handler");

	/* 4. Byte address select: only byte 5 of the doubleword is watched. */
	reset_events();
	set_watchpoint(0, addr, DBGxCR_E | DBGxCR_EL1_ONLY | DBGWCR_LSC_STORE | DBGWCR_BAS(1 << 5));
	store8_at(addr + 4, 0xaa);
	store8_at(addr + 6, 0xbb);
	store64_at((uintptr_t)&watched_neighbour, 1);
	check_eq(nr_events, 0, "BAS byte 5: stores to bytes 4, 6 and the next doubleword pass");
	pc = store8_at(addr + 5, 0xcc);
	set_watchpoint(0, 0, 0);
	watchpoint_store_checks("BAS byte 5: strb to it", pc, addr + 5, addr + 5);
	check_eq(watched, 0x00bbccaa0000002aUL, "BAS byte 5: all three byte stores landed");

	/* 5. PSTATE.D masks watchpoints too. */
	reset_events();
	set_watchpoint(0, addr, wcr);
	debug_mask();
	store64_at(addr, 7);
	debug_unmask();
	set_watchpoint(0, 0, 0);
	check(nr_events == 0 && watched == 7, "PSTATE.D set: watchpoint ignored");
}

static void software_step(void)
{
	uint64_t x;

	/* One step: the first instruction runs, then the exception at the next. */
	reset_events();
	steps_left = 0;
	debug_mask(); /* SS with PSTATE.D clear would step us right here */
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_SS, mdscr_el1);
	isb();
	x = step_call(SPSR_EL1H_D_CLEAR | PSTATE_SS);
	check_eq(nr_events, 1, "software step: one exception after one instruction");
	check_eq(ESR_EC(events[0].esr), EC_SOFTSTP_CUR,
		 "software step: ESR_EL1.EC 0x33 (software step, same EL)");
	check_eq(events[0].esr & (ESR_IL | ISS_SS_ISV | ISS_SS_EX | 0x3f),
		 ESR_IL | ISS_SS_ISV | FSC_DEBUG, "software step: IL 1, ISV 1, EX 0, IFSC 0x22");
	check_eq(events[0].elr, (uintptr_t)step_insn2,
		 "software step: ELR_EL1 is the instruction after the stepped one");
	check_eq(events[0].spsr & PSTATE_SS, 0, "software step: SPSR_EL1.SS is 0 (active-pending)");
	check_eq(x, 2, "software step: the sequence then ran to its end");
	check_eq(read_sysreg(mdscr_el1) & MDSCR_SS, 0, "software step: MDSCR_EL1.SS cleared again");
	check_eq(read_sysreg(daif) & (1UL << 9), 0, "software step: PSTATE.D clear afterwards");

	/* Three steps in a row: an add, a taken branch, an add. */
	reset_events();
	steps_left = 2;
	debug_mask();
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_SS, mdscr_el1);
	isb();
	x = step_call(SPSR_EL1H_D_CLEAR | PSTATE_SS);
	check_eq(nr_events, 3, "three steps: three exceptions");
	check(events[0].elr == (uintptr_t)step_insn2 && events[1].elr == (uintptr_t)step_insn4 &&
		      events[2].elr == (uintptr_t)step_insn5,
	      "three steps: ELRs are insn2, the branch target insn4, insn5 "
	      "(offsets %ld, %ld, %ld from insn1)",
	      (long)(events[0].elr - (uintptr_t)step_insn1),
	      (long)(events[1].elr - (uintptr_t)step_insn1),
	      (long)(events[2].elr - (uintptr_t)step_insn1));
	bool all_ec = true;
	for (unsigned i = 0; i < 3; i++)
		all_ec &= ESR_EC(events[i].esr) == EC_SOFTSTP_CUR;
	check(all_ec, "three steps: each EC 0x33");
	check_eq(x, 2, "three steps: the branched-over add did not run");
	(void)step_sequence;
	(void)step_insn3;
}

static uint32_t sgi_seen;

static void sgi_irq(void)
{
	uint32_t intid = gic_ack();

	if (intid != GIC_SPURIOUS) {
		sgi_seen = intid;
		gic_eoi(intid);
	}
}

static void step_one(const char *what, uint64_t (*fn)(uint64_t, uint64_t, uint64_t), uint64_t arg,
		     const char *next, uint64_t *ret)
{
	reset_events();
	steps_left = 0;
	debug_mask();
	write_sysreg(read_sysreg(mdscr_el1) | MDSCR_SS, mdscr_el1);
	isb();
	*ret = fn(SPSR_EL1H_D_CLEAR | PSTATE_SS, 0, arg);
	long off = (long)(events[0].elr - (uintptr_t)next);

	check(nr_events == 1 && ESR_EC(events[0].esr) == EC_SOFTSTP_CUR && off == 0,
	      "step over %s: one step exception, at the next instruction "
	      "(%u exceptions, EC 0x%lx, ELR - next = %ld)",
	      what, nr_events, ESR_EC(events[0].esr), off);
}

/*
 * Stepping instructions a hypervisor traps and emulates (or that leave EL1):
 * one step is one instruction, wherever it was executed. A hypervisor that
 * emulates a trapped instruction and advances the PC must also advance the
 * step state machine (clear SPSR_EL2.SS), or the guest runs one more
 * instruction before its step exception.
 */
static void step_trapped(void)
{
	uint64_t v;

	step_one("an MMIO load (PL011 PeriphID0)", step_mmio, PL011_BASE + 0xfe0, step_mmio_next,
		 &v);
	check_eq(v & 0xff, 0x11, "step over the MMIO load: it loaded PeriphID0");
	step_one("an ID register read (MRS ID_AA64PFR0_EL1)", step_idreg, 0, step_idreg_next, &v);
	step_one("an HVC (PSCI_VERSION)", step_hvc, PSCI_VERSION, step_hvc_next, &v);
	check(v != (uint64_t)-1 && v >= 0x10000, "step over the HVC: PSCI_VERSION answered 0x%lx",
	      v);

	/* WFI with an interrupt pending (masked by PSTATE.I) completes at once. */
	gic_init();
	set_irq_handler(sgi_irq);
	gic_enable_irq(1);
	gic_send_sgi_self(1);
	uint64_t end = timer_count() + timer_ticks_from_us(100000);
	while (!(read_sysreg(isr_el1) & (1UL << 7)) && timer_count() < end)
		;
	step_one("a WFI with an SGI pending", step_wfi, 0, step_wfi_next, &v);
	irq_enable();
	udelay(1000);
	irq_disable();
	check_eq(sgi_seen, 1, "the SGI that ended the WFI is taken afterwards");
	gic_disable_irq(1);
}

static void brk_insn(void)
{
	struct exc_record rec;
	uint64_t pc;

	expect_exception();
	__asm__ volatile("adr %0, 1f\n"
			 "1:\tbrk #0x1234"
			 : "=r"(pc)::"memory");
	if (check(exception_taken(&rec), "BRK #0x1234: exception taken")) {
		check_eq(ESR_EC(rec.esr), EC_BRK64, "BRK: ESR_EL1.EC 0x3c");
		check_eq(ESR_ISS(rec.esr), 0x1234, "BRK: ISS is the immediate 0x1234");
		check(rec.esr & ESR_IL, "BRK: IL 1");
		check_eq(rec.elr, pc, "BRK: ELR_EL1 is the BRK instruction");
	}

	/* BRK is not a maskable debug event. */
	debug_mask();
	write_sysreg(1, oslar_el1);
	isb();
	expect_exception();
	__asm__ volatile("brk #0xbeef" ::: "memory");
	bool taken = exception_taken(&rec);
	write_sysreg(0, oslar_el1);
	isb();
	debug_unmask();
	check(taken && ESR_EC(rec.esr) == EC_BRK64 && ESR_ISS(rec.esr) == 0xbeef,
	      "BRK #0xbeef with PSTATE.D set and the OS Lock locked: still taken");
}

void test_main(void)
{
	id_registers();
	enable_self_hosted_debug();
	breakpoints();
	watchpoints();
	software_step();
	step_trapped();
	brk_insn();
	check_eq(exception_count(), (nr_brps + 1 + oslock_events) + (nr_wrps + 2) + 4 + 5 + 2,
		 "every debug exception was counted, no stray ones");
	disable_all();
	debug_mask();
	set_exception_hook(NULL);
}
