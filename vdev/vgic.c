/* SPDX-License-Identifier: MIT */
/*
 * vGICv3 interrupt state: set-up, the per-interrupt rules shared by the
 * Distributor and Redistributor registers, and the injection entry points.
 * The MMIO decoders are in vgic_dist.c and vgic_redist.c, the list register
 * management in vgic_lr.c; docs/vgic.md explains the model.
 */
#include <rhenium/format.h>
#include <rhenium/string.h>

#include "vgic_internal.h"

/* MPIDR_EL1 affinity fields: Aff3 [39:32], Aff2 [23:16], Aff1 [15:8], Aff0 [7:0]. */
#define VGIC_AFF_MASK 0xff00ffffffull
#define VGIC_IROUTER_IRM (1ull << 31)

/*
 * Identification. The implementer is Arm's JEP106 code, as other emulated
 * GICs use; the product id 0x52 ('R') matches none of the IIDR values Linux
 * keys errata workarounds on (among them 0 and Arm's GIC-600/700 ids).
 */
#define VGIC_IIDR_VALUE ((0x52u << 24) | 0x43bu)
#define VGIC_PART_NUMBER 0x052u

/* ---------------------------------------------------------------------------
 * Locking and deferred work
 */

void vgic_lock(struct vgic *vgic)
{
	spinlock_lock(&vgic->lock);
}

void vgic_unlock(struct vgic *vgic)
{
	uint32_t kicks = vgic->kick_mask;
	bool log = vgic->log_pending;
	char msg[sizeof(vgic->log_msg)];

	if (log)
		memcpy(msg, vgic->log_msg, sizeof(msg));
	vgic->kick_mask = 0;
	vgic->log_pending = false;
	spinlock_unlock(&vgic->lock);

	/* Callbacks run unlocked: a kick may well ask vgic_has_pending(). */
	if (!vgic->ops)
		return;
	if (log && vgic->ops->log)
		vgic->ops->log(vgic->ctx, msg);
	for (unsigned int v = 0; kicks && vgic->ops->kick; v++, kicks >>= 1) {
		if (kicks & 1)
			vgic->ops->kick(vgic->ctx, v);
	}
}

void vgic_kick(struct vgic *vgic, unsigned int vcpu)
{
	if (vcpu < vgic->nr_vcpus)
		vgic->kick_mask |= 1u << vcpu;
}

/* ---------------------------------------------------------------------------
 * Interrupt state
 */

struct vgic_snap vgic_irq_snap(const struct vgic *vgic, const struct vgic_irq *irq)
{
	struct vgic_snap s;

	s.deliverable = vgic_irq_deliverable(vgic, irq);
	s.view = (uint32_t)vgic_irq_pending(irq) | (uint32_t)irq->enabled << 1 |
		 (uint32_t)irq->active << 2 | (uint32_t)irq->group1 << 3 |
		 (uint32_t)vgic_irq_group_enabled(vgic, irq) << 4 | (uint32_t)irq->priority << 8 |
		 (uint32_t)irq->target << 16;
	s.seq = irq->seq;
	return s;
}

/* irq may be pending or active now: vgic_flush must look at it. */
static void vgic_mark_live(struct vgic *vgic, const struct vgic_irq *irq)
{
	if (irq->intid < VGIC_NR_PRIVATE) {
		/* A private interrupt lives in its owner's struct vgic_vcpu. */
		size_t owner = (size_t)((const char *)irq - (const char *)vgic->vcpu) /
			       sizeof(vgic->vcpu[0]);

		vgic->vcpu[owner].live_priv |= 1u << irq->intid;
	} else {
		unsigned int spi = irq->intid - VGIC_NR_PRIVATE;

		vgic->live_spi[spi / 64] |= 1ull << (spi % 64);
	}
}

void vgic_irq_commit(struct vgic *vgic, struct vgic_irq *irq, struct vgic_snap before,
		     unsigned int accessor)
{
	struct vgic_snap now = vgic_irq_snap(vgic, irq);

	if (vgic_irq_pending(irq) || irq->active)
		vgic_mark_live(vgic, irq);
	if (now.deliverable && (!before.deliverable || now.view != before.view) &&
	    irq->target != accessor)
		vgic_kick(vgic, irq->target);
	/*
	 * A running vCPU's LRs hold a copy taken at its last flush; make it
	 * exit so the next flush replaces the copy (the "dirty" mechanism).
	 */
	if (irq->lr_vcpu != VGIC_NO_VCPU && irq->lr_vcpu != accessor &&
	    (now.view != before.view || now.seq != before.seq))
		vgic_kick(vgic, irq->lr_vcpu);
}

unsigned int vgic_vcpu_by_affinity(const struct vgic *vgic, uint64_t aff)
{
	for (unsigned int v = 0; v < vgic->nr_vcpus; v++) {
		if (vgic->vcpu[v].affinity == aff)
			return v;
	}
	return VGIC_NO_VCPU;
}

void vgic_spi_route(struct vgic *vgic, unsigned int spi)
{
	uint64_t r = vgic->irouter[spi];
	uint64_t aff = (r & 0xffffffull) | (r & (0xffull << 32));

	/* 1-of-N: any participating PE may take it; vCPU 0 always participates. */
	if (r & VGIC_IROUTER_IRM)
		vgic->spi[spi].target = 0;
	else
		vgic->spi[spi].target = (uint8_t)vgic_vcpu_by_affinity(vgic, aff);
}

static void vgic_set_latch(struct vgic_irq *irq, bool on)
{
	irq->latch = on;
	irq->seq++;
}

/* ---------------------------------------------------------------------------
 * Register families shared by GICD and GICR SGI_base
 */

static bool vgic_bits_get(const struct vgic_irq *irq, enum vgic_bits kind)
{
	switch (kind) {
	case VGIC_BITS_GROUP:
		return irq->group1;
	case VGIC_BITS_SENABLE:
	case VGIC_BITS_CENABLE:
		return irq->enabled;
	case VGIC_BITS_SPEND:
	case VGIC_BITS_CPEND:
		return vgic_irq_pending(irq);
	default:
		return irq->active;
	}
}

uint32_t vgic_bits_read(struct vgic *vgic, unsigned int owner, unsigned int first_intid,
			enum vgic_bits kind)
{
	uint32_t val = 0;

	for (unsigned int i = 0; i < 32; i++) {
		const struct vgic_irq *irq = vgic_get_irq(vgic, owner, first_intid + i);

		if (irq && vgic_bits_get(irq, kind))
			val |= 1u << i;
	}
	return val;
}

/* ICPENDR/ICACTIVER took away the state an HW LR would have deactivated pintid with. */
static void vgic_hw_orphan(struct vgic *vgic, struct vgic_irq *irq, unsigned int accessor)
{
	if (!irq->hw || !irq->phys_active)
		return;
	irq->phys_active = false;
	if (!irq->hw_deact)
		vgic->nr_hw_deact++;
	irq->hw_deact = true;
	/*
	 * Any flush deactivates an SPI, and the writer flushes before it
	 * re-enters; a PPI needs its owner's flush (its own redistributor).
	 */
	if (irq->intid < VGIC_NR_PRIVATE && irq->target != accessor)
		vgic_kick(vgic, irq->target);
}

void vgic_bits_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		     unsigned int first_intid, enum vgic_bits kind, uint32_t val)
{
	for (unsigned int i = 0; i < 32; i++) {
		struct vgic_irq *irq = vgic_get_irq(vgic, owner, first_intid + i);
		bool bit = (val >> i) & 1;
		struct vgic_snap before;

		if (!irq || (!bit && kind != VGIC_BITS_GROUP))
			continue;
		before = vgic_irq_snap(vgic, irq);
		switch (kind) {
		case VGIC_BITS_GROUP:
			irq->group1 = bit;
			break;
		case VGIC_BITS_SENABLE:
			irq->enabled = true;
			break;
		case VGIC_BITS_CENABLE:
			irq->enabled = false;
			break;
		case VGIC_BITS_SPEND:
			vgic_set_latch(irq, true);
			break;
		case VGIC_BITS_CPEND:
			vgic_set_latch(irq, false);
			if (!irq->active)
				vgic_hw_orphan(vgic, irq, accessor);
			break;
		case VGIC_BITS_SACTIVE:
			irq->active = true;
			break;
		case VGIC_BITS_CACTIVE:
			if (irq->active)
				vgic_hw_orphan(vgic, irq, accessor);
			irq->active = false;
			break;
		}
		vgic_irq_commit(vgic, irq, before, accessor);
	}
}

uint8_t vgic_prio_read(struct vgic *vgic, unsigned int owner, unsigned int intid)
{
	const struct vgic_irq *irq = vgic_get_irq(vgic, owner, intid);

	return irq ? irq->priority : 0;
}

void vgic_prio_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		     unsigned int intid, uint8_t val)
{
	struct vgic_irq *irq = vgic_get_irq(vgic, owner, intid);
	struct vgic_snap before;

	if (!irq)
		return;
	before = vgic_irq_snap(vgic, irq);
	/* Unimplemented low-order priority bits are RAZ/WI. */
	irq->priority = val & vgic->pri_mask;
	vgic_irq_commit(vgic, irq, before, accessor);
}

uint32_t vgic_cfg_read(struct vgic *vgic, unsigned int owner, unsigned int first_intid)
{
	uint32_t val = 0;

	for (unsigned int i = 0; i < 16; i++) {
		const struct vgic_irq *irq = vgic_get_irq(vgic, owner, first_intid + i);

		if (irq && irq->edge)
			val |= 2u << (2 * i);
	}
	return val;
}

void vgic_cfg_write(struct vgic *vgic, unsigned int owner, unsigned int accessor,
		    unsigned int first_intid, uint32_t val)
{
	for (unsigned int i = 0; i < 16; i++) {
		struct vgic_irq *irq = vgic_get_irq(vgic, owner, first_intid + i);
		struct vgic_snap before;

		/* SGIs are always edge-triggered (ICFGR0 is read-only). */
		if (!irq || first_intid + i < VGIC_NR_SGIS)
			continue;
		before = vgic_irq_snap(vgic, irq);
		irq->edge = (val >> (2 * i + 1)) & 1;
		vgic_irq_commit(vgic, irq, before, accessor);
	}
}

uint32_t vgic_iidr(void)
{
	return VGIC_IIDR_VALUE;
}

uint32_t vgic_id_read(uint32_t offset)
{
	/* CoreSight-style ID block; Linux only looks at PIDR2.ArchRev. */
	switch (offset) {
	case 0xffd0:
		return 0x44; /* PIDR4: 64 KiB (4 x 4 KiB blocks, log2), JEP106 cont. 4 */
	case 0xffe0:
		return VGIC_PART_NUMBER & 0xff; /* PIDR0: part[7:0] */
	case 0xffe4:
		return 0xb0 | (VGIC_PART_NUMBER >> 8); /* PIDR1: JEP106 id[3:0] */
	case 0xffe8:
		return 0x30 | 0x08 | 0x3; /* PIDR2: ArchRev 3 (GICv3), JEDEC, id[6:4] */
	case 0xfff0:
		return 0x0d; /* CIDR0..3: component preamble */
	case 0xfff4:
		return 0xf0;
	case 0xfff8:
		return 0x05;
	case 0xfffc:
		return 0xb1;
	default:
		return 0; /* PIDR5-7, PIDR3 */
	}
}

/* ---------------------------------------------------------------------------
 * Ignored accesses
 */

bool vgic_width_ok(uint64_t offset, unsigned int size, unsigned int widths)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return false;
	return (widths & (1u << size)) && offset % size == 0;
}

uint64_t vgic_extract(uint64_t reg, unsigned int shift, unsigned int size)
{
	reg >>= 8 * shift;
	return size >= 8 ? reg : reg & ((1ull << (8 * size)) - 1);
}

uint64_t vgic_deposit(uint64_t reg, unsigned int shift, unsigned int size, uint64_t val)
{
	uint64_t mask = size >= 8 ? ~0ull : ((1ull << (8 * size)) - 1);

	return (reg & ~(mask << (8 * shift))) | ((val & mask) << (8 * shift));
}

void vgic_note_access(struct vgic *vgic, enum vgic_frame frame, unsigned int vcpu, uint64_t offset,
		      unsigned int size, bool write, enum vgic_mmio_result result)
{
	static const char *const frame_name[] = { "GICD", "GICR RD_base", "GICR SGI_base",
						  "GICR region" };
	uint32_t key = (uint32_t)frame << 24 | (uint32_t)(offset & 0xffffff);
	char who[8] = "";

	if (result == VGIC_MMIO_UNKNOWN)
		vgic->stats.unknown_accesses++;
	else
		vgic->stats.bad_accesses++;
	for (unsigned int i = 0; i < vgic->nr_logged; i++) {
		if (vgic->logged[i] == key)
			return;
	}
	/* A guest probing many offsets must not flood the console: the table caps it. */
	if (vgic->nr_logged == VGIC_LOG_ONCE_MAX)
		return;
	vgic->logged[vgic->nr_logged++] = key;
	if (frame == VGIC_FRAME_GICR_RD || frame == VGIC_FRAME_GICR_SGI)
		fmt_snprintf(who, sizeof(who), "%u", vcpu);
	fmt_snprintf(vgic->log_msg, sizeof(vgic->log_msg),
		     "%s%s %s at 0x%llx, %u bytes: %s, RAZ/WI", frame_name[frame], who,
		     write ? "write" : "read", (unsigned long long)offset, size,
		     result == VGIC_MMIO_UNKNOWN ? "unimplemented" : "bad width or alignment");
	vgic->log_pending = true;
}

/* ---------------------------------------------------------------------------
 * Set-up
 */

int vgic_init(struct vgic *vgic, const struct vgic_config *cfg)
{
	if (!vgic || !cfg || cfg->nr_vcpus == 0 || cfg->nr_vcpus > VGIC_MAX_VCPUS ||
	    cfg->nr_spis > VGIC_MAX_SPIS || cfg->pri_bits < 5 || cfg->pri_bits > 8)
		return VGIC_EINVAL;
	for (unsigned int a = 0; a < cfg->nr_vcpus; a++) {
		for (unsigned int b = a + 1; b < cfg->nr_vcpus; b++) {
			if ((cfg->mpidr[a] & VGIC_AFF_MASK) == (cfg->mpidr[b] & VGIC_AFF_MASK))
				return VGIC_EINVAL;
		}
	}

	memset(vgic, 0, sizeof(*vgic));
	vgic->nr_vcpus = cfg->nr_vcpus;
	vgic->nr_spis = cfg->nr_spis;
	vgic->pri_mask = (uint8_t)(0xffu << (8 - cfg->pri_bits));
	vgic->ops = cfg->ops;
	vgic->ctx = cfg->ctx;

	for (unsigned int v = 0; v < cfg->nr_vcpus; v++) {
		struct vgic_vcpu *vc = &vgic->vcpu[v];

		vc->affinity = cfg->mpidr[v] & VGIC_AFF_MASK;
		vc->asleep = true;
		for (unsigned int i = 0; i < VGIC_NR_PRIVATE; i++) {
			struct vgic_irq *irq = &vc->priv[i];

			irq->intid = (uint16_t)i;
			irq->target = (uint8_t)v;
			irq->lr_vcpu = VGIC_NO_VCPU;
			/*
			 * Group 1 and enabled SGIs: what a guest that never
			 * programs them (it believes it is Non-secure) expects.
			 */
			irq->group1 = true;
			irq->edge = i < VGIC_NR_SGIS;
			irq->enabled = i < VGIC_NR_SGIS;
		}
	}
	for (unsigned int s = 0; s < cfg->nr_spis; s++) {
		struct vgic_irq *irq = &vgic->spi[s];

		irq->intid = (uint16_t)(VGIC_NR_PRIVATE + s);
		irq->lr_vcpu = VGIC_NO_VCPU;
		irq->group1 = true;
		vgic->irouter[s] = vgic->vcpu[0].affinity;
		vgic_spi_route(vgic, s);
	}
	return VGIC_OK;
}

uint64_t vgic_redist_size(const struct vgic *vgic)
{
	return (uint64_t)vgic->nr_vcpus * VGIC_REDIST_STRIDE;
}

void vgic_get_stats(struct vgic *vgic, struct vgic_stats *out)
{
	vgic_lock(vgic);
	*out = vgic->stats;
	vgic_unlock(vgic);
}

/* ---------------------------------------------------------------------------
 * Injection
 */

int vgic_set_line(struct vgic *vgic, unsigned int vcpu, unsigned int intid, bool level)
{
	struct vgic_irq *irq;
	struct vgic_snap before;

	if (intid < VGIC_NR_SGIS)
		return VGIC_EINVAL;
	vgic_lock(vgic);
	irq = vgic_get_irq(vgic, vcpu, intid);
	if (!irq) {
		vgic_unlock(vgic);
		return VGIC_EINVAL;
	}
	before = vgic_irq_snap(vgic, irq);
	if (irq->edge && level && !irq->line)
		vgic_set_latch(irq, true);
	irq->line = level;
	vgic_irq_commit(vgic, irq, before, VGIC_NO_VCPU);
	vgic_unlock(vgic);
	return VGIC_OK;
}

int vgic_inject_edge(struct vgic *vgic, unsigned int vcpu, unsigned int intid)
{
	struct vgic_irq *irq;
	struct vgic_snap before;

	vgic_lock(vgic);
	irq = vgic_get_irq(vgic, vcpu, intid);
	if (!irq) {
		vgic_unlock(vgic);
		return VGIC_EINVAL;
	}
	before = vgic_irq_snap(vgic, irq);
	vgic_set_latch(irq, true);
	vgic_irq_commit(vgic, irq, before, VGIC_NO_VCPU);
	vgic_unlock(vgic);
	return VGIC_OK;
}

int vgic_inject_hw(struct vgic *vgic, unsigned int vcpu, unsigned int intid, unsigned int pintid)
{
	struct vgic_irq *irq;
	struct vgic_snap before;

	/* pINTID is 13 bits wide; LPIs cannot be linked. */
	if (intid < VGIC_NR_SGIS || pintid < VGIC_NR_SGIS || pintid >= 1020)
		return VGIC_EINVAL;
	vgic_lock(vgic);
	irq = vgic_get_irq(vgic, vcpu, intid);
	if (!irq) {
		vgic_unlock(vgic);
		return VGIC_EINVAL;
	}
	before = vgic_irq_snap(vgic, irq);
	irq->hw = true;
	irq->pintid = (uint16_t)pintid;
	irq->phys_active = true;
	if (irq->hw_deact)
		vgic->nr_hw_deact--;
	irq->hw_deact = false;
	vgic_set_latch(irq, true);
	vgic_irq_commit(vgic, irq, before, VGIC_NO_VCPU);
	vgic_unlock(vgic);
	return VGIC_OK;
}

static void vgic_sgi_deliver(struct vgic *vgic, unsigned int sender, unsigned int target,
			     unsigned int intid)
{
	struct vgic_irq *irq = &vgic->vcpu[target].priv[intid];
	struct vgic_snap before;

	/* SGI1R generates Group 1 SGIs, which a Group 0 SGI does not accept. */
	if (!irq->group1) {
		vgic->stats.sgis_dropped++;
		return;
	}
	before = vgic_irq_snap(vgic, irq);
	vgic_set_latch(irq, true);
	vgic_irq_commit(vgic, irq, before, sender);
}

int vgic_send_sgi(struct vgic *vgic, unsigned int sender, uint64_t sgi1r)
{
	unsigned int intid = (unsigned int)(sgi1r >> 24) & 0xf;

	if (sender >= vgic->nr_vcpus)
		return VGIC_EINVAL;
	vgic_lock(vgic);
	if (sgi1r & (1ull << 40)) {
		for (unsigned int v = 0; v < vgic->nr_vcpus; v++) {
			if (v != sender)
				vgic_sgi_deliver(vgic, sender, v, intid);
		}
	} else {
		uint64_t cluster = ((sgi1r >> 16) & 0xff) << 8 | ((sgi1r >> 32) & 0xff) << 16 |
				   ((sgi1r >> 48) & 0xff) << 32;
		unsigned int rs = (unsigned int)(sgi1r >> 44) & 0xf;

		for (unsigned int bit = 0; bit < 16; bit++) {
			unsigned int target;

			if (!(sgi1r & (1u << bit)))
				continue;
			target = vgic_vcpu_by_affinity(vgic, cluster | (rs * 16 + bit));
			if (target == VGIC_NO_VCPU)
				vgic->stats.sgis_dropped++;
			else
				vgic_sgi_deliver(vgic, sender, target, intid);
		}
	}
	vgic_unlock(vgic);
	return VGIC_OK;
}

bool vgic_has_pending(struct vgic *vgic, unsigned int vcpu, uint64_t vmcr)
{
	unsigned int pmr = (unsigned int)(vmcr >> VGIC_VMCR_VPMR_SHIFT) & 0xff;
	bool found = false;

	if (vcpu >= vgic->nr_vcpus)
		return false;
	vgic_lock(vgic);
	for (unsigned int i = 0; i < VGIC_NR_PRIVATE + vgic->nr_spis && !found; i++) {
		const struct vgic_irq *irq = vgic_get_irq(vgic, vcpu, i);

		if (!irq || irq->target != vcpu || !vgic_irq_deliverable(vgic, irq))
			continue;
		if (!(vmcr & (irq->group1 ? VGIC_VMCR_VENG1 : VGIC_VMCR_VENG0)))
			continue;
		found = irq->priority < pmr;
	}
	vgic_unlock(vgic);
	return found;
}
