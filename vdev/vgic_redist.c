/* SPDX-License-Identifier: MIT */
/*
 * Emulated GICv3 Redistributors (GICR_*): one RD_base + SGI_base pair of
 * 64 KiB frames per vCPU, laid out contiguously in vCPU order. No LPIs, so
 * the LPI registers read as zero; the SGI/PPI state lives in the vCPU's
 * private interrupts shared with the list register code.
 */
#include "vgic_internal.h"

#define GICR_CTLR 0x0000u
#define GICR_IIDR 0x0004u
#define GICR_TYPER 0x0008u
#define GICR_STATUSR 0x0010u
#define GICR_WAKER 0x0014u
#define GICR_PROPBASER 0x0070u
#define GICR_PENDBASER 0x0078u
#define GICR_SGI_FRAME 0x10000u

#define GICR_TYPER_LAST (1ull << 4)
#define GICR_TYPER_PROC_SHIFT 8
#define GICR_TYPER_AFF_SHIFT 32

#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

enum vgic_redist_reg {
	RREG_UNKNOWN,
	RREG_RAZWI,
	RREG_IIDR,
	RREG_TYPER,
	RREG_WAKER,
	RREG_ID,
	RREG_BITS,
	RREG_PRIORITY,
	RREG_CONFIG,
};

struct vgic_redist_decode {
	enum vgic_redist_reg reg;
	unsigned int widths;
	uint32_t base; /* register offset within its frame */
};

static struct vgic_redist_decode vgic_redist_decode_rd(uint32_t off)
{
	struct vgic_redist_decode d = { RREG_UNKNOWN, VGIC_W32, off & ~3u };

	switch (off & ~3u) {
	case GICR_CTLR:
	case GICR_STATUSR:
		d.reg = RREG_RAZWI;
		return d;
	case GICR_IIDR:
		d.reg = RREG_IIDR;
		return d;
	case GICR_WAKER:
		d.reg = RREG_WAKER;
		return d;
	case GICR_TYPER:
	case GICR_TYPER + 4:
		d.reg = RREG_TYPER;
		d.widths = VGIC_W32 | VGIC_W64;
		d.base = GICR_TYPER;
		return d;
	case GICR_PROPBASER:
	case GICR_PROPBASER + 4:
	case GICR_PENDBASER:
	case GICR_PENDBASER + 4:
		d.reg = RREG_RAZWI;
		d.widths = VGIC_W32 | VGIC_W64;
		d.base = off & ~7u;
		return d;
	default:
		break;
	}
	if (off >= VGIC_REG_ID_FIRST)
		d.reg = RREG_ID;
	return d;
}

static struct vgic_redist_decode vgic_redist_decode_sgi(uint32_t off)
{
	struct vgic_redist_decode d = { RREG_UNKNOWN, VGIC_W32, off & ~3u };

	switch (off & ~3u) {
	case VGIC_REG_IGROUPR:
	case VGIC_REG_ISENABLER:
	case VGIC_REG_ICENABLER:
	case VGIC_REG_ISPENDR:
	case VGIC_REG_ICPENDR:
	case VGIC_REG_ISACTIVER:
	case VGIC_REG_ICACTIVER:
		d.reg = RREG_BITS;
		return d;
	case VGIC_REG_ICFGR:
	case VGIC_REG_ICFGR + 4:
		d.reg = RREG_CONFIG;
		return d;
	case VGIC_REG_IGRPMODR:
	case VGIC_REG_NSACR:
		d.reg = RREG_RAZWI;
		return d;
	default:
		break;
	}
	if (off >= VGIC_REG_IPRIORITYR && off < VGIC_REG_IPRIORITYR + VGIC_NR_PRIVATE) {
		d.reg = RREG_PRIORITY;
		d.widths = VGIC_W8 | VGIC_W32;
	}
	return d;
}

static uint64_t vgic_redist_typer(const struct vgic *vgic, unsigned int owner)
{
	uint64_t aff = vgic->vcpu[owner].affinity;
	/* GICR_TYPER packs MPIDR's Aff3.Aff2.Aff1.Aff0 into 32 bits. */
	uint64_t packed = (aff & 0xffffff) | ((aff >> 32) & 0xff) << 24;
	uint64_t typer = packed << GICR_TYPER_AFF_SHIFT | (uint64_t)owner << GICR_TYPER_PROC_SHIFT;

	if (owner == vgic->nr_vcpus - 1)
		typer |= GICR_TYPER_LAST;
	return typer;
}

static uint64_t vgic_redist_read(struct vgic *vgic, unsigned int owner,
				 const struct vgic_redist_decode *d, uint32_t off,
				 unsigned int size)
{
	uint64_t val = 0;

	switch (d->reg) {
	case RREG_IIDR:
		return vgic_iidr();
	case RREG_TYPER:
		return vgic_extract(vgic_redist_typer(vgic, owner), off - d->base, size);
	case RREG_WAKER:
		/* The children fall asleep and wake at once: no handshake delay. */
		return vgic->vcpu[owner].asleep
			       ? GICR_WAKER_PROCESSOR_SLEEP | GICR_WAKER_CHILDREN_ASLEEP
			       : 0;
	case RREG_ID:
		return vgic_id_read(d->base);
	case RREG_BITS:
		return vgic_bits_read(vgic, owner, 0, (enum vgic_bits)(off / 0x80 - 1));
	case RREG_PRIORITY:
		for (unsigned int i = 0; i < size; i++)
			val |= (uint64_t)vgic_prio_read(vgic, owner, off - VGIC_REG_IPRIORITYR + i)
			       << (8 * i);
		return val;
	case RREG_CONFIG:
		return vgic_cfg_read(vgic, owner, (off - VGIC_REG_ICFGR) * 4);
	default:
		return 0;
	}
}

static void vgic_redist_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
			      const struct vgic_redist_decode *d, uint32_t off, unsigned int size,
			      uint64_t val)
{
	switch (d->reg) {
	case RREG_WAKER:
		vgic->vcpu[owner].asleep = val & GICR_WAKER_PROCESSOR_SLEEP;
		return;
	case RREG_BITS:
		vgic_bits_write(vgic, owner, accessor, 0, (enum vgic_bits)(off / 0x80 - 1),
				(uint32_t)val);
		return;
	case RREG_PRIORITY:
		for (unsigned int i = 0; i < size; i++)
			vgic_prio_write(vgic, owner, accessor, off - VGIC_REG_IPRIORITYR + i,
					(uint8_t)(val >> (8 * i)));
		return;
	case RREG_CONFIG:
		vgic_cfg_write(vgic, owner, accessor, (off - VGIC_REG_ICFGR) * 4, (uint32_t)val);
		return;
	default:
		return;
	}
}

enum vgic_mmio_result vgic_redist_mmio(struct vgic *vgic, unsigned int vcpu, uint64_t offset,
				       unsigned int size, bool write, uint64_t *value)
{
	uint64_t frame_index = offset / VGIC_REDIST_STRIDE;
	uint32_t within = (uint32_t)(offset % VGIC_REDIST_STRIDE);
	bool sgi = within >= GICR_SGI_FRAME;
	uint32_t off = sgi ? within - GICR_SGI_FRAME : within;
	unsigned int owner = (unsigned int)MIN(frame_index, (uint64_t)VGIC_NO_VCPU);
	struct vgic_redist_decode d = { RREG_UNKNOWN, VGIC_W32, 0 };
	enum vgic_mmio_result res = VGIC_MMIO_OK;
	enum vgic_frame frame = sgi ? VGIC_FRAME_GICR_SGI : VGIC_FRAME_GICR_RD;

	vgic_lock(vgic);
	if (frame_index < vgic->nr_vcpus)
		d = sgi ? vgic_redist_decode_sgi(off) : vgic_redist_decode_rd(off);
	else
		frame = VGIC_FRAME_GICR_NONE;

	if (d.reg == RREG_UNKNOWN)
		res = VGIC_MMIO_UNKNOWN;
	else if (!vgic_width_ok(off, size, d.widths))
		res = VGIC_MMIO_BAD_ACCESS;

	if (res != VGIC_MMIO_OK) {
		vgic_note_access(vgic, frame, owner, frame == VGIC_FRAME_GICR_NONE ? offset : off,
				 size, write, res);
		if (!write)
			*value = 0;
	} else if (write) {
		vgic_redist_write(vgic, owner, vcpu, &d, off, size, *value);
	} else {
		*value = vgic_redist_read(vgic, owner, &d, off, size);
	}
	vgic_unlock(vgic);
	return res;
}
