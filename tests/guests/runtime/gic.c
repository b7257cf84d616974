// SPDX-License-Identifier: MIT
/* GICv3 helpers for the test guests; see gic.h. */
#include "gic.h"

#include "guest.h"

/* Redistributor frames: RD_base + SGI_base, plus VLPI + reserved on GICv4. */
#define GICR_FRAME_SIZE 0x20000UL
#define GICR_FRAME_SIZE_V4 0x40000UL
/* No QEMU virt machine has more redistributors than this in its first region. */
#define GICR_MAX_FRAMES 123

/* Each CPU's redistributor RD_base, by guest_cpu(). */
static uintptr_t rdist[GUEST_MAX_CPUS];

static void gicd_wait_rwp(void)
{
	for (unsigned i = 0; i < 1000000 && (readl(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP); i++)
		;
}

static uintptr_t find_rdist(void)
{
	uint32_t aff = mpidr_affinity();
	uintptr_t frame = GICR_BASE;

	for (unsigned i = 0; i < GICR_MAX_FRAMES; i++) {
		uint64_t typer = readq(frame + GICR_TYPER);

		if ((uint32_t)(typer >> 32) == aff)
			return frame;
		if (typer & GICR_TYPER_LAST)
			break;
		frame += (typer & GICR_TYPER_VLPIS) ? GICR_FRAME_SIZE_V4 : GICR_FRAME_SIZE;
	}
	return 0;
}

uintptr_t gic_rdist(void)
{
	return rdist[guest_cpu()];
}

uintptr_t gic_sgi_base(void)
{
	uintptr_t rd = gic_rdist();

	return rd ? rd + GICR_SGI_OFFSET : 0;
}

void gic_init(void)
{
	uint32_t ctlr = readl(GICD_BASE + GICD_CTLR);

	writel(ctlr | GICD_CTLR_ARE_NS | GICD_CTLR_ENABLE_G1A | GICD_CTLR_ENABLE_G1,
	       GICD_BASE + GICD_CTLR);
	gicd_wait_rwp();
	gic_init_cpu();
}

void gic_init_cpu(void)
{
	uintptr_t rd = find_rdist();

	if (!rd)
		guest_fatal("no GICv3 redistributor with affinity 0x%x from 0x%lx",
			    (unsigned)mpidr_affinity(), GICR_BASE);
	rdist[guest_cpu()] = rd;

	uint32_t waker = readl(rd + GICR_WAKER);
	writel(waker & ~GICR_WAKER_PROCESSOR_SLEEP, rd + GICR_WAKER);
	for (unsigned i = 0; i < 1000000 && (readl(rd + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP);
	     i++)
		;

	uintptr_t sgi = rd + GICR_SGI_OFFSET;
	writel(0xffffffffU, sgi + GICR_ICENABLER0);
	writel(0xffffffffU, sgi + GICR_ICPENDR0);
	writel(0xffffffffU, sgi + GICR_ICACTIVER0);
	writel(0xffffffffU, sgi + GICR_IGROUPR0);
	for (unsigned i = 0; i < 32; i += 4)
		writel(0x01010101U * GIC_DEFAULT_PRIORITY, sgi + GICR_IPRIORITYR + i);

	/* CPU interface: SRE (with IRQ/FIQ bypass disabled), open priority mask. */
	write_sysreg(read_sysreg(icc_sre_el1) | 0x7, icc_sre_el1);
	isb();
	write_sysreg(0xff, icc_pmr_el1);
	write_sysreg(0, icc_bpr1_el1);
	write_sysreg(0, icc_ctlr_el1);
	write_sysreg(1, icc_igrpen1_el1);
	isb();
}

static bool is_private(unsigned intid)
{
	return intid < 32;
}

void gic_set_priority(unsigned intid, uint8_t prio)
{
	if (is_private(intid))
		writeb(prio, gic_sgi_base() + GICR_IPRIORITYR + intid);
	else
		writeb(prio, GICD_BASE + GICD_IPRIORITYR + intid);
}

static uintptr_t bitmap_reg(unsigned intid, uint32_t gicr_off, uint32_t gicd_off)
{
	if (is_private(intid))
		return gic_sgi_base() + gicr_off;
	return GICD_BASE + gicd_off + (intid / 32) * 4;
}

void gic_enable_irq(unsigned intid)
{
	writel(1U << (intid % 32), bitmap_reg(intid, GICR_ISENABLER0, GICD_ISENABLER));
}

void gic_disable_irq(unsigned intid)
{
	writel(1U << (intid % 32), bitmap_reg(intid, GICR_ICENABLER0, GICD_ICENABLER));
	if (is_private(intid)) {
		for (unsigned i = 0; i < 1000000 && (readl(gic_rdist() + GICR_CTLR) & (1U << 3));
		     i++)
			;
	} else {
		gicd_wait_rwp();
	}
}

bool gic_irq_enabled(unsigned intid)
{
	return readl(bitmap_reg(intid, GICR_ISENABLER0, GICD_ISENABLER)) & (1U << (intid % 32));
}

bool gic_irq_pending(unsigned intid)
{
	return readl(bitmap_reg(intid, GICR_ISPENDR0, GICD_ISPENDR)) & (1U << (intid % 32));
}

bool gic_irq_active(unsigned intid)
{
	return readl(bitmap_reg(intid, GICR_ISACTIVER0, GICD_ISACTIVER)) & (1U << (intid % 32));
}

void gic_clear_pending(unsigned intid)
{
	writel(1U << (intid % 32), bitmap_reg(intid, GICR_ICPENDR0, GICD_ICPENDR));
}

uint32_t gic_ack(void)
{
	uint32_t intid = (uint32_t)read_sysreg(icc_iar1_el1) & 0xffffff;

	dsb(sy);
	return intid;
}

void gic_eoi(uint32_t intid)
{
	write_sysreg(intid, icc_eoir1_el1);
	isb();
}

uint32_t gic_highest_pending(void)
{
	return (uint32_t)read_sysreg(icc_hppir1_el1) & 0xffffff;
}

uint32_t gic_running_priority(void)
{
	return (uint32_t)read_sysreg(icc_rpr_el1) & 0xff;
}

void gic_send_sgi_self(unsigned sgi)
{
	gic_send_sgi(sgi, read_sysreg(mpidr_el1));
}

void gic_send_sgi(unsigned sgi, uint64_t mpidr)
{
	uint64_t aff0 = mpidr & 0xff, aff1 = (mpidr >> 8) & 0xff;
	uint64_t aff2 = (mpidr >> 16) & 0xff, aff3 = (mpidr >> 32) & 0xff;
	/* TargetList covers Aff0 16n..16n+15 with RS = n. */
	uint64_t val = (aff3 << 48) | ((aff0 >> 4) << 44) | (aff2 << 32) |
		       ((uint64_t)(sgi & 0xf) << 24) | (aff1 << 16) | (1UL << (aff0 & 0xf));

	dsb(ishst);
	write_sysreg(val, icc_sgi1r_el1);
	isb();
}
