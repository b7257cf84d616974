// SPDX-License-Identifier: MIT
/*
 * mmio: loads and stores of every size and sign-extension form against
 * device registers, as a hypervisor emulating them must decode them from
 * the syndrome (access size SAS, sign extension SSE, register SRT, 64-bit
 * register SF, WnR; Rt = 31 is the zero register).
 *
 * The PL011 (32-bit registers, at most 16 bits wide) serves the 1-, 2- and
 * 4-byte accesses, all at a register's own (word-aligned) address. QEMU
 * implements the PL011 with 32-bit accesses only: a narrower read returns
 * the low bytes of the register it addresses (so byte 1 of IBRD, offset
 * 0x025, reads IBRD's low byte, not its second byte as a byte-lane
 * extracting bus would return), and a narrower write writes the whole
 * register, zero-extended. So narrow reads are only made at register
 * addresses, and the only narrow store is a halfword store to the 16-bit
 * IBRD, which Linux's pl011 driver does itself (16-bit accessors).
 *
 * The GICv3 distributor serves byte stores (GICD_IPRIORITYR is
 * byte-accessible by the architecture), 32-bit values with bit 31 set (for
 * ldrsw) and 64-bit accesses (GICD_IROUTER, GICR_TYPER).
 *
 * Every load into a W register starts from a poisoned X register, so the
 * checks also see that the upper 32 bits are zeroed.
 */
#include "gic.h"
#include "guest.h"

const char guest_name[] = "mmio";

#define POISON 0xdeadbeefcafef00dUL

/* One load instruction INSN ("ldrsb %w0," etc.) into a poisoned register. */
#define LOAD(insn, addr)                                                           \
	({                                                                         \
		uint64_t __v = POISON;                                             \
		__asm__ volatile(insn " [%1]" : "+r"(__v) : "r"(addr) : "memory"); \
		__v;                                                               \
	})

#define UARTIBRD 0x024
#define UARTFBRD 0x028
#define UARTLCR_H 0x02c
#define UARTIMSC 0x038
#define UARTPERIPHID0 0xfe0
#define UARTPCELLID0 0xff0

static const struct {
	const char *name;
	uint32_t offset, mask, value;
} pl011_ids[] = {
	{ "UARTPeriphID0", 0xfe0, 0xff, 0x11 },
	{ "UARTPeriphID1", 0xfe4, 0xff, 0x10 },
	/* PeriphID2[7:4] is the revision (QEMU 0x14, r1p5 silicon 0x34). */
	{ "UARTPeriphID2", 0xfe8, 0x0f, 0x04 },
	{ "UARTPeriphID3", 0xfec, 0xff, 0x00 },
	{ "UARTPCellID0", 0xff0, 0xff, 0x0d },
	{ "UARTPCellID1", 0xff4, 0xff, 0xf0 },
	{ "UARTPCellID2", 0xff8, 0xff, 0x05 },
	{ "UARTPCellID3", 0xffc, 0xff, 0xb1 },
};

static void pl011_ids_and_sign_extension(void)
{
	const uintptr_t cid0 = PL011_BASE + 0xff0, cid1 = PL011_BASE + 0xff4;
	const uintptr_t cid3 = PL011_BASE + 0xffc;

	for (unsigned i = 0; i < ARRAY_SIZE(pl011_ids); i++)
		check_eq(LOAD("ldr %w0,", PL011_BASE + pl011_ids[i].offset) & pl011_ids[i].mask,
			 pl011_ids[i].value, "ldr w: PL011 %s (0x%03x) & 0x%02x is 0x%02x",
			 pl011_ids[i].name, pl011_ids[i].offset, pl011_ids[i].mask,
			 pl011_ids[i].value);
	check_eq(LOAD("ldr %w0,", cid3), 0xb1, "ldr w zero-extends into x (CellID3 0xb1)");

	check_eq(LOAD("ldrb %w0,", cid3), 0xb1, "ldrb: CellID3 is 0xb1, zero-extended");
	check_eq(LOAD("ldrsb %w0,", cid3), 0xffffffb1UL, "ldrsb w: CellID3 gives 0xffffffb1");
	check_eq(LOAD("ldrsb %x0,", cid3), 0xffffffffffffffb1UL,
		 "ldrsb x: CellID3 gives 0xffffffffffffffb1");
	check_eq(LOAD("ldrsb %x0,", cid1), 0xfffffffffffffff0UL,
		 "ldrsb x: CellID1 gives 0xfffffffffffffff0");
	check_eq(LOAD("ldrsb %x0,", cid0), 0x0d, "ldrsb x: CellID0 0x0d stays positive");
	check_eq(LOAD("ldrh %w0,", cid3), 0xb1, "ldrh: CellID3 is 0x00b1");
	check_eq(LOAD("ldrsh %w0,", cid3), 0xb1, "ldrsh w: 0x00b1 stays positive (16-bit sign)");
	check_eq(LOAD("ldrsh %x0,", cid3), 0xb1, "ldrsh x: 0x00b1 stays positive");
	check_eq(LOAD("ldrsw %x0,", cid3), 0xb1, "ldrsw x: 0x000000b1 stays positive");
}

static void pl011_read_write(void)
{
	const uintptr_t ibrd = PL011_BASE + UARTIBRD, fbrd = PL011_BASE + UARTFBRD;
	const uintptr_t lcr_h = PL011_BASE + UARTLCR_H, imsc = PL011_BASE + UARTIMSC;
	uint32_t saved_ibrd = readl(ibrd), saved_fbrd = readl(fbrd);
	uint32_t saved_lcr_h = readl(lcr_h), saved_imsc = readl(imsc);

	writel(0x8081, ibrd);
	check_eq(LOAD("ldr %w0,", ibrd), 0x8081, "str w / ldr w: IBRD 0x8081");
	check_eq(LOAD("ldrh %w0,", ibrd), 0x8081, "ldrh: IBRD 0x8081");
	check_eq(LOAD("ldrsh %w0,", ibrd), 0xffff8081UL, "ldrsh w: IBRD gives 0xffff8081");
	check_eq(LOAD("ldrsh %x0,", ibrd), 0xffffffffffff8081UL,
		 "ldrsh x: IBRD gives 0xffffffffffff8081");
	check_eq(LOAD("ldrb %w0,", ibrd), 0x81, "ldrb: IBRD low byte 0x81");
	check_eq(LOAD("ldrsb %w0,", ibrd), 0xffffff81UL, "ldrsb w: IBRD gives 0xffffff81");
	check_eq(LOAD("ldrsb %x0,", ibrd), 0xffffffffffffff81UL,
		 "ldrsb x: IBRD gives 0xffffffffffffff81");

	writew(0x1234, ibrd);
	check_eq(readl(ibrd), 0x1234, "strh: IBRD 0x1234");

	writel(0x2a, fbrd);
	check_eq(readl(fbrd), 0x2a, "str w / ldr w: FBRD 0x2a");
	writel(0x70, lcr_h);
	check_eq(readl(lcr_h), 0x70, "str w / ldr w: LCR_H 0x70 (8 bits, FIFOs on)");
	writel(0x7f0, imsc);
	check_eq(readl(imsc), 0x7f0, "str w / ldr w: IMSC 0x7f0");
	__asm__ volatile("str wzr, [%0]" : : "r"(imsc) : "memory");
	check_eq(readl(imsc), 0, "str wzr (Rt = 31 is zero): IMSC 0");

	/* Rt = 31 in a load discards the value: it must not land in SP. */
	uint64_t sp_before, sp_after;
	__asm__ volatile("mov %0, sp\n\tldr wzr, [%2]\n\tmov %1, sp"
			 : "=&r"(sp_before), "=&r"(sp_after)
			 : "r"(PL011_BASE + UARTPERIPHID0)
			 : "memory");
	check_eq(sp_after, sp_before, "ldr wzr (Rt = 31) leaves SP alone");

	writel(saved_imsc, imsc);
	writel(saved_lcr_h, lcr_h);
	writel(saved_fbrd, fbrd);
	writel(saved_ibrd, ibrd);
	check(readl(ibrd) == saved_ibrd && readl(fbrd) == saved_fbrd &&
		      readl(lcr_h) == saved_lcr_h && readl(imsc) == saved_imsc,
	      "PL011 IBRD, FBRD, LCR_H, IMSC restored");
}

static void gic_accesses(void)
{
	/* Priorities of SPIs 32..35 (disabled: nothing is ever delivered). */
	const uintptr_t prio = GICD_BASE + GICD_IPRIORITYR + 32;
	const uintptr_t irouter = GICD_BASE + GICD_IROUTER + 8 * 32;
	uint32_t saved_prio = readl(prio);
	uint64_t saved_irouter = readq(irouter);

	uint32_t pidr2 = readl(GICD_BASE + GICD_PIDR2);
	check(((pidr2 >> 4) & 0xf) == 3 || ((pidr2 >> 4) & 0xf) == 4,
	      "ldr w: GICD_PIDR2.ArchRev is GICv3 or GICv4 (0x%x)", pidr2);

	/* Priority values with their low 4 bits clear survive any implementation. */
	writeb(0x80, prio);
	writeb(0xa0, prio + 1);
	writeb(0xc0, prio + 2);
	writeb(0xf0, prio + 3);
	check_eq(LOAD("ldr %w0,", prio), 0xf0c0a080UL, "strb x4 / ldr w: IPRIORITYR 0xf0c0a080");
	check_eq(LOAD("ldrsw %x0,", prio), 0xfffffffff0c0a080UL,
		 "ldrsw x: IPRIORITYR gives 0xfffffffff0c0a080");
	check_eq(LOAD("ldrb %w0,", prio + 3), 0xf0, "ldrb: IPRIORITYR byte 3 is 0xf0");
	check_eq(LOAD("ldrsb %w0,", prio + 3), 0xfffffff0UL, "ldrsb w: byte 3 gives 0xfffffff0");
	check_eq(LOAD("ldrsb %x0,", prio + 1), 0xffffffffffffffa0UL,
		 "ldrsb x: byte 1 gives 0xffffffffffffffa0");
	writel(0x10203040, prio);
	check_eq(readb(prio + 1), 0x30, "str w then ldrb: byte lanes are little-endian");
	writeb(0, prio + 2);
	check_eq(readl(prio), 0x10003040, "strb wzr-sourced 0 to byte 2 only changes byte 2");

	/* 64-bit: IROUTER (Aff3 only where GICD_TYPER.A3V says it exists). */
	bool a3v = readl(GICD_BASE + GICD_TYPER) & (1U << 24);
	uint64_t route = (a3v ? 0x12UL << 32 : 0) | 0x00050304UL;
	writeq(route, irouter);
	check_eq(LOAD("ldr %x0,", irouter), route, "str x / ldr x: GICD_IROUTER32 0x%lx", route);
	check_eq(LOAD("ldr %w0,", irouter), route & 0xffffffff, "ldr w: IROUTER32 low half");
	check_eq(LOAD("ldr %w0,", irouter + 4), route >> 32, "ldr w: IROUTER32 high half");
	__asm__ volatile("str xzr, [%0]" : : "r"(irouter) : "memory");
	check_eq(readq(irouter), 0, "str xzr (Rt = 31 is zero): IROUTER32 0");

	uintptr_t rd = GICR_BASE;
	for (unsigned i = 0; i < 123; i++) {
		uint64_t t = readq(rd + GICR_TYPER);
		if ((uint32_t)(t >> 32) == mpidr_affinity() || (t & GICR_TYPER_LAST))
			break;
		rd += (t & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
	}
	uint64_t typer = LOAD("ldr %x0,", rd + GICR_TYPER);
	check_eq(typer >> 32, mpidr_affinity(), "ldr x: GICR_TYPER affinity is our MPIDR's");
	check_eq(LOAD("ldr %w0,", rd + GICR_TYPER + 4), typer >> 32,
		 "ldr w: GICR_TYPER high half matches the 64-bit read");
	check_eq(LOAD("ldr %w0,", rd + GICR_TYPER), typer & 0xffffffff,
		 "ldr w: GICR_TYPER low half matches the 64-bit read");

	writeq(saved_irouter, irouter);
	writel(saved_prio, prio);
	check(readq(irouter) == saved_irouter && readl(prio) == saved_prio,
	      "GICD IPRIORITYR8 and IROUTER32 restored");
}

void test_main(void)
{
	pl011_ids_and_sign_extension();
	pl011_read_write();
	gic_accesses();
}
