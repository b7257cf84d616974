/* SPDX-License-Identifier: MIT */
#include <arch/gicv3.h>
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/log.h>
#include <rhenium/spinlock.h>

/* Distributor registers (IHI 0069, 12.9) */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ICPENDR 0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000
#define GICD_CTLR_RWP (1U << 31)
/* Bit 4 is ARE (single security state) or ARE_NS (Non-secure view); bit 1 enables Group 1. */
#define GICD_CTLR_ARE (1U << 4)
#define GICD_CTLR_ENABLE_G1 (1U << 1)

/* Redistributor RD_base and SGI_base frames (IHI 0069, 12.10, 12.11) */
#define GICR_FRAME_SIZE 0x20000
#define GICR_CTLR 0x0000
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_TYPER_LAST (1ULL << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)
#define GICR_SGI 0x10000
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)
#define GICR_ISACTIVER0 (GICR_SGI + 0x0300)
#define GICR_ICACTIVER0 (GICR_SGI + 0x0380)

#define GIC_PRIORITY_DEFAULT 0xa0
#define GIC_POLL_LIMIT 10000000

/* ICC_SRE_EL2: SRE (system register interface), DFB, DIB, Enable (lower ELs may use SRE) */
#define ICC_SRE_EL2_VALUE 0xf
#define ICC_CTLR_EOIMODE (1U << 1)

static paddr_t gicd_base;
static const struct platform_info *gic_plat;
static struct spinlock gicd_lock = SPINLOCK_INIT;
static paddr_t gicr_base_of_cpu[64];

static inline uint32_t mmio_read32(paddr_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write32(paddr_t addr, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)addr = val;
}

static inline uint64_t mmio_read64(paddr_t addr)
{
	return *(volatile uint64_t *)(uintptr_t)addr;
}

static inline void mmio_write64(paddr_t addr, uint64_t val)
{
	*(volatile uint64_t *)(uintptr_t)addr = val;
}

static bool gicd_wait_rwp(void)
{
	for (unsigned int i = 0; i < GIC_POLL_LIMIT; i++) {
		if (!(mmio_read32(gicd_base + GICD_CTLR) & GICD_CTLR_RWP))
			return true;
	}
	return false;
}

int gicv3_init(const struct platform_info *plat)
{
	uint32_t typer;
	unsigned int lines;

	if (!plat->gicd.size || !plat->gicr_count) {
		LOG_ERROR("gicv3: no distributor or redistributor in the device tree");
		return -1;
	}
	gic_plat = plat;
	gicd_base = plat->gicd.base;
	typer = mmio_read32(gicd_base + GICD_TYPER);
	lines = ((typer & 0x1f) + 1) * 32;

	mmio_write32(gicd_base + GICD_CTLR,
		     mmio_read32(gicd_base + GICD_CTLR) | GICD_CTLR_ARE | GICD_CTLR_ENABLE_G1);
	if (!gicd_wait_rwp()) {
		LOG_ERROR("gicv3: distributor stuck in register write pending");
		return -1;
	}
	/* SPIs start disabled, Group 1, default priority; each is enabled when used. */
	for (unsigned int intid = 32; intid < lines && intid < 1020; intid += 32) {
		mmio_write32(gicd_base + GICD_ICENABLER + intid / 8, 0xffffffffU);
		mmio_write32(gicd_base + GICD_ICPENDR + intid / 8, 0xffffffffU);
		mmio_write32(gicd_base + GICD_IGROUPR + intid / 8, 0xffffffffU);
	}
	for (unsigned int intid = 32; intid < lines && intid < 1020; intid += 4)
		mmio_write32(gicd_base + GICD_IPRIORITYR + intid,
			     GIC_PRIORITY_DEFAULT * 0x01010101U);
	gicd_wait_rwp();
	LOG_INFO("gicv3: distributor at 0x%llx, %u interrupt lines, %u list registers",
		 (unsigned long long)gicd_base, lines, gicv3_nr_lrs());
	return 0;
}

/* Walks the redistributor regions for the frame whose GICR_TYPER affinity matches ours. */
static paddr_t gicr_find(uint64_t mpidr)
{
	uint64_t aff = ((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff);

	for (unsigned int r = 0; r < gic_plat->gicr_count; r++) {
		uint64_t stride = gic_plat->gicr_stride ? gic_plat->gicr_stride : GICR_FRAME_SIZE;

		for (paddr_t frame = gic_plat->gicr[r].base;
		     frame + GICR_FRAME_SIZE <= gic_plat->gicr[r].base + gic_plat->gicr[r].size;
		     frame += stride) {
			uint64_t typer = mmio_read64(frame + GICR_TYPER);

			if ((typer >> 32) == aff)
				return frame;
			if (typer & GICR_TYPER_LAST)
				break;
		}
	}
	return 0;
}

static paddr_t gicr_this_cpu(void)
{
	return gicr_base_of_cpu[arch_cpu_index()];
}

int gicv3_cpu_init(void)
{
	unsigned int cpu = arch_cpu_index();
	paddr_t gicr = gicr_find(arch_cpu_mpidr());
	unsigned int i;

	if (!gicr || cpu >= ARRAY_SIZE(gicr_base_of_cpu)) {
		LOG_ERROR("gicv3: no redistributor for MPIDR 0x%llx",
			  (unsigned long long)arch_cpu_mpidr());
		return -1;
	}
	gicr_base_of_cpu[cpu] = gicr;

	mmio_write32(gicr + GICR_WAKER,
		     mmio_read32(gicr + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	for (i = 0; i < GIC_POLL_LIMIT; i++) {
		if (!(mmio_read32(gicr + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP))
			break;
	}
	if (i == GIC_POLL_LIMIT) {
		LOG_ERROR("gicv3: redistributor at 0x%llx does not wake up",
			  (unsigned long long)gicr);
		return -1;
	}
	mmio_write32(gicr + GICR_ICENABLER0, 0xffffffffU);
	mmio_write32(gicr + GICR_IGROUPR0, 0xffffffffU);
	for (i = 0; i < 32; i += 4)
		mmio_write32(gicr + GICR_IPRIORITYR + i, GIC_PRIORITY_DEFAULT * 0x01010101U);

	sysreg_write(S3_4_C12_C9_5, ICC_SRE_EL2_VALUE); /* ICC_SRE_EL2 */
	isb();
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1: let every priority through */
	sysreg_write(S3_0_C12_C12_3, 0);  /* ICC_BPR1_EL1 */
	sysreg_write(S3_0_C12_C12_4, ICC_CTLR_EOIMODE); /* ICC_CTLR_EL1 */
	sysreg_write(S3_0_C12_C12_7, 1);		/* ICC_IGRPEN1_EL1 */
	isb();
	return 0;
}

void gicv3_enable_ppi(uint32_t intid)
{
	paddr_t gicr = gicr_this_cpu();

	if (gicr && intid < 32)
		mmio_write32(gicr + GICR_ISENABLER0, 1U << intid);
}

void gicv3_enable_spi(uint32_t intid, uint64_t mpidr, bool level)
{
	uint32_t shift = (intid % 16) * 2;
	paddr_t cfg = gicd_base + GICD_ICFGR + (intid / 16) * 4;

	if (intid < 32 || intid >= 1020)
		return;
	spinlock_lock(&gicd_lock);
	/* ICFGR bit 1 of each field: 1 = edge-triggered. */
	if (level)
		mmio_write32(cfg, mmio_read32(cfg) & ~(2U << shift));
	else
		mmio_write32(cfg, mmio_read32(cfg) | (2U << shift));
	mmio_write64(gicd_base + GICD_IROUTER + intid * 8,
		     ((mpidr >> 32) & 0xff) << 32 | (mpidr & 0xffffff));
	mmio_write32(gicd_base + GICD_ISENABLER + (intid / 32) * 4, 1U << (intid % 32));
	gicd_wait_rwp();
	spinlock_unlock(&gicd_lock);
}

bool gicv3_ppi_active(uint32_t intid)
{
	paddr_t gicr = gicr_this_cpu();

	return gicr && intid < 32 && (mmio_read32(gicr + GICR_ISACTIVER0) >> intid) & 1;
}

void gicv3_ppi_set_active(uint32_t intid, bool active)
{
	paddr_t gicr = gicr_this_cpu();

	if (!gicr || intid >= 32)
		return;
	mmio_write32(gicr + (active ? GICR_ISACTIVER0 : GICR_ICACTIVER0), 1U << intid);
	dsb_sy();
}

uint32_t gicv3_ack(void)
{
	uint32_t intid = (uint32_t)sysreg_read(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */

	dsb_sy();
	return intid;
}

void gicv3_eoi(uint32_t intid)
{
	sysreg_write(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
	isb();
}

void gicv3_deactivate(uint32_t intid)
{
	sysreg_write(S3_0_C12_C11_1, intid); /* ICC_DIR_EL1 */
	isb();
}

void gicv3_send_sgi(uint32_t intid, uint64_t mpidr)
{
	uint64_t aff1 = (mpidr >> 8) & 0xff;
	uint64_t aff2 = (mpidr >> 16) & 0xff;
	uint64_t aff3 = (mpidr >> 32) & 0xff;
	uint64_t aff0 = mpidr & 0xf;
	/* ICC_SGI1R_EL1: TargetList covers Aff0 0-15 (RS = Aff0 / 16). */
	uint64_t rs = (mpidr & 0xff) >> 4;
	uint64_t val = (aff3 << 48) | (rs << 44) | (aff2 << 32) | ((uint64_t)(intid & 0xf) << 24) |
		       (aff1 << 16) | (1ULL << aff0);

	dsb_ish();
	sysreg_write(S3_0_C12_C11_5, val);
	isb();
}

unsigned int gicv3_nr_lrs(void)
{
	return (unsigned int)(sysreg_read(S3_4_C12_C11_1) & 0x1f) + 1; /* ICH_VTR_EL2.ListRegs */
}

unsigned int gicv3_vpri_bits(void)
{
	return (unsigned int)((sysreg_read(S3_4_C12_C11_1) >> 29) & 0x7) +
	       1; /* ICH_VTR_EL2.PRIbits */
}

/* ICH_LR<n>_EL2 is S3_4_C12_C12_<n> for n < 8 and S3_4_C12_C13_<n-8> above. */
/* clang-format off */
#define LR_CASE_READ(n, enc) \
	case n: \
		return sysreg_read(enc)
#define LR_CASE_WRITE(n, enc) \
	case n: \
		sysreg_write(enc, value); \
		break
/* clang-format on */

uint64_t gicv3_read_lr(unsigned int n)
{
	switch (n) {
		LR_CASE_READ(0, S3_4_C12_C12_0);
		LR_CASE_READ(1, S3_4_C12_C12_1);
		LR_CASE_READ(2, S3_4_C12_C12_2);
		LR_CASE_READ(3, S3_4_C12_C12_3);
		LR_CASE_READ(4, S3_4_C12_C12_4);
		LR_CASE_READ(5, S3_4_C12_C12_5);
		LR_CASE_READ(6, S3_4_C12_C12_6);
		LR_CASE_READ(7, S3_4_C12_C12_7);
		LR_CASE_READ(8, S3_4_C12_C13_0);
		LR_CASE_READ(9, S3_4_C12_C13_1);
		LR_CASE_READ(10, S3_4_C12_C13_2);
		LR_CASE_READ(11, S3_4_C12_C13_3);
		LR_CASE_READ(12, S3_4_C12_C13_4);
		LR_CASE_READ(13, S3_4_C12_C13_5);
		LR_CASE_READ(14, S3_4_C12_C13_6);
		LR_CASE_READ(15, S3_4_C12_C13_7);
	default:
		return 0;
	}
}

void gicv3_write_lr(unsigned int n, uint64_t value)
{
	switch (n) {
		LR_CASE_WRITE(0, S3_4_C12_C12_0);
		LR_CASE_WRITE(1, S3_4_C12_C12_1);
		LR_CASE_WRITE(2, S3_4_C12_C12_2);
		LR_CASE_WRITE(3, S3_4_C12_C12_3);
		LR_CASE_WRITE(4, S3_4_C12_C12_4);
		LR_CASE_WRITE(5, S3_4_C12_C12_5);
		LR_CASE_WRITE(6, S3_4_C12_C12_6);
		LR_CASE_WRITE(7, S3_4_C12_C12_7);
		LR_CASE_WRITE(8, S3_4_C12_C13_0);
		LR_CASE_WRITE(9, S3_4_C12_C13_1);
		LR_CASE_WRITE(10, S3_4_C12_C13_2);
		LR_CASE_WRITE(11, S3_4_C12_C13_3);
		LR_CASE_WRITE(12, S3_4_C12_C13_4);
		LR_CASE_WRITE(13, S3_4_C12_C13_5);
		LR_CASE_WRITE(14, S3_4_C12_C13_6);
		LR_CASE_WRITE(15, S3_4_C12_C13_7);
	default:
		break;
	}
}
