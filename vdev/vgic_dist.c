/* SPDX-License-Identifier: MIT */
/*
 * Emulated GICv3 Distributor (GICD_*), as seen with GICD_CTLR.DS = 1 (one
 * Security state) and ARE = 1 (affinity routing, always on). SGIs and PPIs
 * live in the redistributors, so their slots in the per-interrupt registers
 * here are RAZ/WI.
 */
#include "vgic_internal.h"

#define GICD_CTLR 0x0000u
#define GICD_TYPER 0x0004u
#define GICD_IIDR 0x0008u
#define GICD_TYPER2 0x000cu
#define GICD_STATUSR 0x0010u
#define GICD_ITARGETSR 0x0800u
#define GICD_SGIR 0x0f00u
#define GICD_CPENDSGIR 0x0f10u
#define GICD_SPENDSGIR 0x0f20u
#define GICD_SGIR_END 0x0f30u
#define GICD_IROUTER 0x6000u
#define GICD_IROUTER_END 0x7fe0u /* IROUTER<1019> ends here */

#define GICD_CTLR_ENABLE_GRP0 (1u << 0)
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)

#define GICD_TYPER_CPUNUMBER_SHIFT 5
#define GICD_TYPER_IDBITS_SHIFT 19
#define GICD_TYPER_A3V (1u << 24)
#define GICD_TYPER_RSS (1u << 26)

/* Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]; the rest is RES0. */
#define GICD_IROUTER_MASK 0xff80ffffffull

enum vgic_dist_reg {
	DREG_UNKNOWN,
	DREG_RAZWI,
	DREG_CTLR,
	DREG_TYPER,
	DREG_IIDR,
	DREG_BITS,
	DREG_PRIORITY,
	DREG_CONFIG,
	DREG_IROUTER,
	DREG_ID,
};

struct vgic_dist_decode {
	enum vgic_dist_reg reg;
	unsigned int widths;
	uint32_t base; /* offset of the register (or register pair) holding `offset` */
};

static struct vgic_dist_decode vgic_dist_decode(uint64_t offset)
{
	struct vgic_dist_decode d = { DREG_UNKNOWN, VGIC_W32, (uint32_t)(offset & ~3ull) };

	if (offset >= VGIC_DIST_SIZE)
		return d;
	switch (offset & ~3ull) {
	case GICD_CTLR:
		d.reg = DREG_CTLR;
		return d;
	case GICD_TYPER:
		d.reg = DREG_TYPER;
		return d;
	case GICD_IIDR:
		d.reg = DREG_IIDR;
		return d;
	case GICD_TYPER2:
	case GICD_STATUSR:
	case GICD_SGIR:
		d.reg = DREG_RAZWI;
		return d;
	default:
		break;
	}
	if (offset >= VGIC_REG_IGROUPR && offset < VGIC_REG_BITS_END)
		d.reg = DREG_BITS;
	else if (offset >= VGIC_REG_IPRIORITYR && offset < VGIC_REG_IPRIORITYR + 1020) {
		d.reg = DREG_PRIORITY;
		d.widths = VGIC_W8 | VGIC_W32;
	} else if (offset >= GICD_ITARGETSR && offset < GICD_ITARGETSR + 1020) {
		/* Byte-accessible but meaningless with affinity routing. */
		d.reg = DREG_RAZWI;
		d.widths = VGIC_W8 | VGIC_W32;
	} else if (offset >= VGIC_REG_ICFGR && offset < VGIC_REG_ICFGR + 0x100)
		d.reg = DREG_CONFIG;
	else if ((offset >= VGIC_REG_IGRPMODR && offset < VGIC_REG_IGRPMODR + 0x80) ||
		 (offset >= VGIC_REG_NSACR && offset < VGIC_REG_NSACR + 0x100))
		d.reg = DREG_RAZWI;
	else if (offset >= GICD_CPENDSGIR && offset < GICD_SGIR_END) {
		d.reg = DREG_RAZWI;
		d.widths = VGIC_W8 | VGIC_W32;
	} else if (offset >= GICD_IROUTER + 8 * VGIC_NR_PRIVATE && offset < GICD_IROUTER_END) {
		d.reg = DREG_IROUTER;
		d.widths = VGIC_W32 | VGIC_W64;
		d.base = (uint32_t)(offset & ~7ull);
	} else if (offset >= VGIC_REG_ID_FIRST)
		d.reg = DREG_ID;
	return d;
}

static uint32_t vgic_dist_typer(const struct vgic *vgic)
{
	uint32_t lines = (vgic->nr_spis + 31) / 32;

	/* No LPIs, MBIS, ESPI or NMI; DS = 1 makes SecurityExtn RAZ; 1-of-N supported. */
	return lines | (vgic->nr_vcpus - 1) << GICD_TYPER_CPUNUMBER_SHIFT |
	       9u << GICD_TYPER_IDBITS_SHIFT | GICD_TYPER_A3V | GICD_TYPER_RSS;
}

static uint64_t vgic_dist_read(struct vgic *vgic, const struct vgic_dist_decode *d, uint64_t offset,
			       unsigned int size)
{
	unsigned int intid;
	uint64_t val = 0;

	switch (d->reg) {
	case DREG_CTLR:
		return (vgic->grp0_enabled ? GICD_CTLR_ENABLE_GRP0 : 0) |
		       (vgic->grp1_enabled ? GICD_CTLR_ENABLE_GRP1 : 0) | GICD_CTLR_ARE |
		       GICD_CTLR_DS;
	case DREG_TYPER:
		return vgic_dist_typer(vgic);
	case DREG_IIDR:
		return vgic_iidr();
	case DREG_ID:
		return vgic_id_read(d->base);
	case DREG_BITS:
		intid = (unsigned int)(offset % 0x80) * 8;
		if (intid < VGIC_NR_PRIVATE)
			return 0;
		return vgic_bits_read(vgic, 0, intid, (enum vgic_bits)(offset / 0x80 - 1));
	case DREG_PRIORITY:
		intid = (unsigned int)(offset - VGIC_REG_IPRIORITYR);
		for (unsigned int i = 0; i < size; i++) {
			if (intid + i >= VGIC_NR_PRIVATE)
				val |= (uint64_t)vgic_prio_read(vgic, 0, intid + i) << (8 * i);
		}
		return val;
	case DREG_CONFIG:
		intid = (unsigned int)(offset - VGIC_REG_ICFGR) * 4;
		return intid < VGIC_NR_PRIVATE ? 0 : vgic_cfg_read(vgic, 0, intid);
	case DREG_IROUTER:
		intid = (d->base - GICD_IROUTER) / 8;
		if (intid - VGIC_NR_PRIVATE >= vgic->nr_spis)
			return 0;
		return vgic_extract(vgic->irouter[intid - VGIC_NR_PRIVATE], offset - d->base, size);
	default:
		return 0;
	}
}

static void vgic_dist_write(struct vgic *vgic, unsigned int accessor,
			    const struct vgic_dist_decode *d, uint64_t offset, unsigned int size,
			    uint64_t val)
{
	unsigned int intid;

	switch (d->reg) {
	case DREG_CTLR: {
		bool g0 = val & GICD_CTLR_ENABLE_GRP0, g1 = val & GICD_CTLR_ENABLE_GRP1;

		if (g0 == vgic->grp0_enabled && g1 == vgic->grp1_enabled)
			return;
		vgic->grp0_enabled = g0;
		vgic->grp1_enabled = g1;
		/* Delivery changes for any interrupt: let every other vCPU re-flush. */
		for (unsigned int v = 0; v < vgic->nr_vcpus; v++) {
			if (v != accessor)
				vgic_kick(vgic, v);
		}
		return;
	}
	case DREG_BITS:
		intid = (unsigned int)(offset % 0x80) * 8;
		if (intid >= VGIC_NR_PRIVATE)
			vgic_bits_write(vgic, 0, accessor, intid,
					(enum vgic_bits)(offset / 0x80 - 1), (uint32_t)val);
		return;
	case DREG_PRIORITY:
		intid = (unsigned int)(offset - VGIC_REG_IPRIORITYR);
		for (unsigned int i = 0; i < size; i++) {
			if (intid + i >= VGIC_NR_PRIVATE)
				vgic_prio_write(vgic, 0, accessor, intid + i,
						(uint8_t)(val >> (8 * i)));
		}
		return;
	case DREG_CONFIG:
		intid = (unsigned int)(offset - VGIC_REG_ICFGR) * 4;
		if (intid >= VGIC_NR_PRIVATE)
			vgic_cfg_write(vgic, 0, accessor, intid, (uint32_t)val);
		return;
	case DREG_IROUTER: {
		unsigned int spi;
		struct vgic_snap before;

		intid = (d->base - GICD_IROUTER) / 8;
		spi = intid - VGIC_NR_PRIVATE;
		if (spi >= vgic->nr_spis)
			return;
		before = vgic_irq_snap(vgic, &vgic->spi[spi]);
		vgic->irouter[spi] = vgic_deposit(vgic->irouter[spi], offset - d->base, size, val) &
				     GICD_IROUTER_MASK;
		vgic_spi_route(vgic, spi);
		vgic_irq_commit(vgic, &vgic->spi[spi], before, accessor);
		return;
	}
	default:
		return;
	}
}

enum vgic_mmio_result vgic_dist_mmio(struct vgic *vgic, unsigned int vcpu, uint64_t offset,
				     unsigned int size, bool write, uint64_t *value)
{
	struct vgic_dist_decode d = vgic_dist_decode(offset);
	enum vgic_mmio_result res = VGIC_MMIO_OK;

	vgic_lock(vgic);
	if (d.reg == DREG_UNKNOWN)
		res = VGIC_MMIO_UNKNOWN;
	else if (!vgic_width_ok(offset, size, d.widths))
		res = VGIC_MMIO_BAD_ACCESS;

	if (res != VGIC_MMIO_OK) {
		vgic_note_access(vgic, VGIC_FRAME_GICD, vcpu, offset, size, write, res);
		if (!write)
			*value = 0;
	} else if (write) {
		vgic_dist_write(vgic, vcpu, &d, offset, size, *value);
	} else {
		*value = vgic_dist_read(vgic, &d, offset, size);
	}
	vgic_unlock(vgic);
	return res;
}
