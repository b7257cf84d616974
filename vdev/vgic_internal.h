/* SPDX-License-Identifier: MIT */
/*
 * Shared between the vgic source files (vgic.c: state and injection,
 * vgic_dist.c / vgic_redist.c: MMIO, vgic_lr.c: list registers). Everything
 * here expects the caller to hold vgic->lock unless it says otherwise.
 */
#ifndef RHENIUM_VGIC_INTERNAL_H
#define RHENIUM_VGIC_INTERNAL_H

#include <rhenium/vgic.h>

/* Per-interrupt register families at the same offsets in GICD and GICR SGI_base. */
#define VGIC_REG_IGROUPR 0x0080u
#define VGIC_REG_ISENABLER 0x0100u
#define VGIC_REG_ICENABLER 0x0180u
#define VGIC_REG_ISPENDR 0x0200u
#define VGIC_REG_ICPENDR 0x0280u
#define VGIC_REG_ISACTIVER 0x0300u
#define VGIC_REG_ICACTIVER 0x0380u
#define VGIC_REG_BITS_END 0x0400u
#define VGIC_REG_IPRIORITYR 0x0400u
#define VGIC_REG_ICFGR 0x0c00u
#define VGIC_REG_IGRPMODR 0x0d00u
#define VGIC_REG_NSACR 0x0e00u
#define VGIC_REG_ID_FIRST 0xffd0u /* PIDR4 .. CIDR3 */

/* Which state a 1-bit-per-interrupt register shows; order = offset / 0x80 - 1. */
enum vgic_bits {
	VGIC_BITS_GROUP = 0,
	VGIC_BITS_SENABLE,
	VGIC_BITS_CENABLE,
	VGIC_BITS_SPEND,
	VGIC_BITS_CPEND,
	VGIC_BITS_SACTIVE,
	VGIC_BITS_CACTIVE,
};

/* Allowed access widths, as a mask of sizes. */
#define VGIC_W8 (1u << 1)
#define VGIC_W32 (1u << 4)
#define VGIC_W64 (1u << 8)

/* Where an ignored access went, for the log line and the once-only filter. */
enum vgic_frame {
	VGIC_FRAME_GICD = 0,
	VGIC_FRAME_GICR_RD,
	VGIC_FRAME_GICR_SGI,
	VGIC_FRAME_GICR_NONE, /* beyond the last vCPU's frames */
};

/* The state of one interrupt that matters to delivery, taken before a change. */
struct vgic_snap {
	bool deliverable;
	uint32_t view;
	uint32_t seq;
};

void vgic_lock(struct vgic *vgic);
/* Drops the lock, then runs the kicks and the log line queued under it. */
void vgic_unlock(struct vgic *vgic);
void vgic_kick(struct vgic *vgic, unsigned int vcpu);

/*
 * The small predicates below are inline: vgic_flush asks them of every live
 * interrupt before every entry.
 */

/* NULL if intid does not exist; `vcpu` picks the owner of SGIs and PPIs. */
static inline struct vgic_irq *vgic_get_irq(struct vgic *vgic, unsigned int vcpu,
					    unsigned int intid)
{
	if (intid < VGIC_NR_PRIVATE)
		return vcpu < vgic->nr_vcpus ? &vgic->vcpu[vcpu].priv[intid] : NULL;
	if (intid - VGIC_NR_PRIVATE < vgic->nr_spis)
		return &vgic->spi[intid - VGIC_NR_PRIVATE];
	return NULL;
}

static inline bool vgic_irq_pending(const struct vgic_irq *irq)
{
	return irq->latch || (!irq->edge && irq->line);
}

static inline bool vgic_irq_group_enabled(const struct vgic *vgic, const struct vgic_irq *irq)
{
	return irq->group1 ? vgic->grp1_enabled : vgic->grp0_enabled;
}

/* Pending, enabled, group enabled, not active and routed somewhere. */
static inline bool vgic_irq_deliverable(const struct vgic *vgic, const struct vgic_irq *irq)
{
	return vgic_irq_pending(irq) && irq->enabled && !irq->active &&
	       vgic_irq_group_enabled(vgic, irq) && irq->target != VGIC_NO_VCPU;
}

struct vgic_snap vgic_irq_snap(const struct vgic *vgic, const struct vgic_irq *irq);
/*
 * After changing irq: kicks its target if it became deliverable (or changed
 * while deliverable), and the vCPU whose list registers hold a stale copy.
 * `accessor` is the vCPU that made the change (it is in an exit and will
 * flush anyway) or VGIC_NO_VCPU.
 */
void vgic_irq_commit(struct vgic *vgic, struct vgic_irq *irq, struct vgic_snap before,
		     unsigned int accessor);

/* Recomputes an SPI's target vCPU from its IROUTER value. */
void vgic_spi_route(struct vgic *vgic, unsigned int spi);
/* vCPU whose affinity (Aff3 [39:32], Aff2..Aff0 [23:0]) is aff, or VGIC_NO_VCPU. */
unsigned int vgic_vcpu_by_affinity(const struct vgic *vgic, uint64_t aff);

/* Register families shared by GICD and GICR SGI_base; `owner` picks SGIs/PPIs. */
uint32_t vgic_bits_read(struct vgic *vgic, unsigned int owner, unsigned int first_intid,
			enum vgic_bits kind);
void vgic_bits_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		     unsigned int first_intid, enum vgic_bits kind, uint32_t val);
uint8_t vgic_prio_read(struct vgic *vgic, unsigned int owner, unsigned int intid);
void vgic_prio_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		     unsigned int intid, uint8_t val);
uint32_t vgic_cfg_read(struct vgic *vgic, unsigned int owner, unsigned int first_intid);
void vgic_cfg_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		    unsigned int first_intid, uint32_t val);
/* PIDR/CIDR block at 0xffd0..0xfffc of GICD and GICR RD_base. */
uint32_t vgic_id_read(uint32_t offset);
uint32_t vgic_iidr(void);

/*
 * Counts an ignored access and queues a log line for the first one at each
 * (frame, offset); `vcpu` names the redistributor for GICR frames.
 */
void vgic_note_access(struct vgic *vgic, enum vgic_frame frame, unsigned int vcpu, uint64_t offset,
		      unsigned int size, bool write, enum vgic_mmio_result result);
/* Checks size against the allowed widths and natural alignment. */
bool vgic_width_ok(uint64_t offset, unsigned int size, unsigned int widths);
/* Read result of `size` bytes starting `shift` bytes into a 64-bit register. */
uint64_t vgic_extract(uint64_t reg, unsigned int shift, unsigned int size);
/* reg with `size` bytes at byte `shift` replaced by val. */
uint64_t vgic_deposit(uint64_t reg, unsigned int shift, unsigned int size, uint64_t val);

#endif
