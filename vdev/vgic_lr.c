/* SPDX-License-Identifier: MIT */
/*
 * List register management: which interrupts a vCPU's ICH_LR<n>_EL2 hold
 * while it runs (vgic_flush) and what the guest did to them meanwhile
 * (vgic_sync). The model stays the reference; each LR slot remembers the
 * state flush wrote, and sync applies only the difference the hardware
 * made, so changes made to the model while the vCPU ran are not lost.
 */
#include "vgic_internal.h"

#define VGIC_LR_STATE_P 1u
#define VGIC_LR_STATE_A 2u
#define VGIC_LR_STATE_SHIFT 62

/* The highest-priority candidates, best first. */
struct vgic_lr_pick {
	struct vgic_irq *irq[VGIC_MAX_LRS];
	uint32_t key[VGIC_MAX_LRS];
	bool placed[VGIC_MAX_LRS];
	unsigned int n, max, candidates;
};

/* Pending state the LR of vCPU `vcpu` should show for irq. */
static bool vgic_lr_wants_pending(const struct vgic *vgic, const struct vgic_irq *irq,
				  unsigned int vcpu)
{
	return vgic_irq_pending(irq) && irq->enabled && vgic_irq_group_enabled(vgic, irq) &&
	       irq->target == vcpu;
}

/*
 * Active interrupts always need an LR: the guest's EOI or deactivation has
 * to find one, or the hardware can only count it (ICH_HCR_EL2.EOIcount).
 */
static bool vgic_lr_wanted(const struct vgic *vgic, const struct vgic_irq *irq, unsigned int vcpu)
{
	return irq->active || vgic_lr_wants_pending(vgic, irq, vcpu);
}

/* Active first, then by priority, then lowest INTID (the GIC leaves ties open). */
static uint32_t vgic_lr_key(const struct vgic_irq *irq)
{
	return (irq->active ? 0u : 1u << 24) | (uint32_t)irq->priority << 16 | irq->intid;
}

static void vgic_lr_consider(struct vgic_lr_pick *pick, struct vgic_irq *irq)
{
	uint32_t key = vgic_lr_key(irq);
	unsigned int pos;

	pick->candidates++;
	if (pick->max == 0 || (pick->n == pick->max && key >= pick->key[pick->n - 1]))
		return;
	if (pick->n < pick->max)
		pick->n++;
	for (pos = pick->n - 1; pos > 0 && pick->key[pos - 1] > key; pos--) {
		pick->key[pos] = pick->key[pos - 1];
		pick->irq[pos] = pick->irq[pos - 1];
	}
	pick->key[pos] = key;
	pick->irq[pos] = irq;
}

static void vgic_lr_release(struct vgic *vgic, unsigned int vcpu, unsigned int slot)
{
	struct vgic_lr_slot *s = &vgic->vcpu[vcpu].lr[slot];
	struct vgic_irq *irq = s->irq;

	irq->lr_vcpu = VGIC_NO_VCPU;
	s->irq = NULL;
	/* An SPI rerouted while it sat here can go to its new target now. */
	if (vgic_irq_deliverable(vgic, irq) && irq->target != vcpu)
		vgic_kick(vgic, irq->target);
}

static void vgic_lr_select(struct vgic *vgic, unsigned int vcpu, struct vgic_lr_pick *pick)
{
	struct vgic_vcpu *vc = &vgic->vcpu[vcpu];
	uint32_t priv = vc->live_priv;

	/* Only the interrupts marked live; those found neither pending nor active drop out. */
	while (priv) {
		unsigned int i = (unsigned int)__builtin_ctz(priv);
		struct vgic_irq *irq = &vc->priv[i];

		priv &= priv - 1;
		if (!vgic_irq_pending(irq) && !irq->active)
			vc->live_priv &= ~(1u << i);
		else if (vgic_lr_wanted(vgic, irq, vcpu))
			vgic_lr_consider(pick, irq);
	}
	for (unsigned int w = 0; w * 64 < vgic->nr_spis; w++) {
		uint64_t bits = vgic->live_spi[w];

		while (bits) {
			unsigned int b = (unsigned int)__builtin_ctzll(bits);
			struct vgic_irq *irq = &vgic->spi[w * 64 + b];

			bits &= bits - 1;
			if (!vgic_irq_pending(irq) && !irq->active) {
				vgic->live_spi[w] &= ~(1ull << b);
				continue;
			}
			/* One LR at a time: an SPI another vCPU holds stays there until released. */
			if (irq->lr_vcpu != vcpu &&
			    (irq->lr_vcpu != VGIC_NO_VCPU || irq->target != vcpu))
				continue;
			if (vgic_lr_wanted(vgic, irq, vcpu))
				vgic_lr_consider(pick, irq);
		}
	}
}

/* Keeps chosen interrupts in the LR they already have, releases the rest, fills gaps. */
static void vgic_lr_assign(struct vgic *vgic, unsigned int vcpu, struct vgic_lr_pick *pick,
			   unsigned int nr, unsigned int prev_used)
{
	struct vgic_vcpu *vc = &vgic->vcpu[vcpu];
	unsigned int slot = 0;

	for (unsigned int j = 0; j < pick->n; j++)
		pick->placed[j] = false;
	/* Slots from the last flush's lr_used on are empty (sync only ever empties slots). */
	for (unsigned int i = 0; i < prev_used; i++) {
		struct vgic_irq *irq = vc->lr[i].irq;
		bool keep = false;

		if (!irq)
			continue;
		for (unsigned int j = 0; j < pick->n && i < nr; j++) {
			if (pick->irq[j] == irq) {
				pick->placed[j] = keep = true;
				break;
			}
		}
		if (!keep)
			vgic_lr_release(vgic, vcpu, i);
	}
	for (unsigned int j = 0; j < pick->n; j++) {
		if (pick->placed[j])
			continue;
		while (vc->lr[slot].irq)
			slot++;
		vc->lr[slot].irq = pick->irq[j];
		pick->irq[j]->lr_vcpu = (uint8_t)vcpu;
		pick->irq[j]->lr_slot = (uint8_t)slot;
	}
}

/* Physical interrupts orphaned by ICPENDR/ICACTIVER that this CPU may deactivate. */
static unsigned int vgic_lr_collect_deact(struct vgic *vgic, unsigned int vcpu, uint32_t *out,
					  unsigned int max)
{
	unsigned int n = 0;

	/* Rare (a guest clearing a forwarded interrupt by hand): not worth a scan per entry. */
	for (unsigned int i = VGIC_NR_SGIS;
	     vgic->nr_hw_deact && i < VGIC_NR_PRIVATE + vgic->nr_spis && n < max; i++) {
		struct vgic_irq *irq = vgic_get_irq(vgic, vcpu, i);

		if (irq->hw_deact) {
			irq->hw_deact = false;
			vgic->nr_hw_deact--;
			out[n++] = irq->pintid;
		}
	}
	return n;
}

bool vgic_vcpu_quiet(const struct vgic *vgic, unsigned int vcpu)
{
	/*
	 * No live bit means no occupied LR either: a slot's interrupt keeps its
	 * bit until a flush finds it idle, and that flush releases the slot.
	 * Read without the lock: a bit another CPU sets right after this look
	 * comes with a kick (vgic_irq_commit), which makes the vCPU exit at once
	 * and flush again, as if the change had come a moment after the flush.
	 */
	if (vcpu >= vgic->nr_vcpus ||
	    __atomic_load_n(&vgic->vcpu[vcpu].live_priv, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&vgic->nr_hw_deact, __ATOMIC_RELAXED))
		return false;
	for (unsigned int w = 0; w * 64 < vgic->nr_spis; w++) {
		if (__atomic_load_n(&vgic->live_spi[w], __ATOMIC_RELAXED))
			return false;
	}
	return true;
}

static unsigned int vgic_flush_live(struct vgic *vgic, unsigned int vcpu, uint64_t *lrs,
				    unsigned int nr, uint64_t *hcr, unsigned int prev_used)
{
	struct vgic_vcpu *vc = &vgic->vcpu[vcpu];
	/* Not an initializer: that would zero all the arrays, and only the first n are used. */
	struct vgic_lr_pick pick;
	uint32_t deact[8];
	unsigned int nr_deact, used = 0;
	bool overflow, any_pending = false;

	pick.n = 0;
	pick.max = nr;
	pick.candidates = 0;
	vgic_lock(vgic);
	vgic_lr_select(vgic, vcpu, &pick);
	overflow = pick.candidates > pick.n;
	vgic_lr_assign(vgic, vcpu, &pick, nr, prev_used);

	for (unsigned int i = 0; i < nr; i++) {
		struct vgic_lr_slot *s = &vc->lr[i];
		struct vgic_irq *irq = s->irq;

		if (!irq)
			continue;
		s->state = (vgic_lr_wants_pending(vgic, irq, vcpu) ? VGIC_LR_STATE_P : 0) |
			   (irq->active ? VGIC_LR_STATE_A : 0);
		s->hw = irq->hw && irq->phys_active;
		s->seq = irq->seq;
		/*
		 * The pending state of an HW interrupt belongs to the physical
		 * side, so an HW LR is never pending+active: show it active and
		 * ask for an exit to deliver the new pending state afterwards.
		 */
		if (s->hw && s->state == (VGIC_LR_STATE_P | VGIC_LR_STATE_A)) {
			s->state = VGIC_LR_STATE_A;
			overflow = true;
		}
		any_pending |= s->state & VGIC_LR_STATE_P;
		used = i + 1;
	}

	for (unsigned int i = 0; i < used; i++) {
		const struct vgic_lr_slot *s = &vc->lr[i];
		uint64_t lr;

		if (!s->irq)
			continue;
		lr = s->irq->intid | (uint64_t)s->irq->priority << VGIC_LR_PRIORITY_SHIFT |
		     (uint64_t)s->state << VGIC_LR_STATE_SHIFT;
		if (s->irq->group1)
			lr |= VGIC_LR_GROUP1;
		if (s->hw)
			lr |= VGIC_LR_HW | (uint64_t)s->irq->pintid << VGIC_LR_PINTID_SHIFT;
		else if (overflow && s->state == VGIC_LR_STATE_A)
			lr |= VGIC_LR_EOI; /* exit when it is deactivated, to refill */
		lrs[i] = lr;
	}

	/*
	 * More candidates than LRs: ask for a maintenance interrupt when the
	 * guest has drained them. Neither may be true on entry, or the vCPU
	 * would exit before running an instruction, forever: UIE (at most one
	 * LR valid) needs two valid LRs, NPIE (no LR pending) a pending one.
	 */
	if (overflow && pick.n >= 2)
		*hcr |= VGIC_HCR_UIE;
	if (overflow && any_pending)
		*hcr |= VGIC_HCR_NPIE;

	nr_deact = vgic_lr_collect_deact(vgic, vcpu, deact, ARRAY_SIZE(deact));
	/* More orphans than fit: come back for them at the next entry. */
	if (nr_deact == ARRAY_SIZE(deact))
		vgic_kick(vgic, vcpu);
	vgic_unlock(vgic);

	for (unsigned int i = 0; i < nr_deact && vgic->ops && vgic->ops->deactivate_hw; i++)
		vgic->ops->deactivate_hw(vgic->ctx, vcpu, deact[i]);
	return used;
}

unsigned int vgic_flush(struct vgic *vgic, unsigned int vcpu, uint64_t *lrs, unsigned int nr_lrs,
			uint64_t *hcr)
{
	unsigned int nr = MIN(nr_lrs, (unsigned int)VGIC_MAX_LRS);
	struct vgic_vcpu *vc;
	unsigned int prev_used;

	for (unsigned int i = 0; i < nr_lrs; i++)
		lrs[i] = 0;
	*hcr = VGIC_HCR_EN;
	if (vcpu >= vgic->nr_vcpus)
		return 0;
	vc = &vgic->vcpu[vcpu];
	/* A smaller nr than last time (never on one machine) leaves slots to release. */
	prev_used = vc->nr_lrs > nr ? VGIC_MAX_LRS : vc->lr_used;
	vc->nr_lrs = nr;
	vc->lr_used = 0;
	/* The common entry (after a trap that left interrupts alone) ends here. */
	if (vgic_vcpu_quiet(vgic, vcpu))
		return 0;
	vc->lr_used = vgic_flush_live(vgic, vcpu, lrs, nr, hcr, prev_used);
	return vc->lr_used;
}

static void vgic_lr_fold(struct vgic *vgic, unsigned int vcpu, unsigned int slot, uint64_t lr)
{
	struct vgic_lr_slot *s = &vgic->vcpu[vcpu].lr[slot];
	struct vgic_irq *irq = s->irq;
	unsigned int now = (unsigned int)(lr >> VGIC_LR_STATE_SHIFT);

	if ((lr & VGIC_LR_VINTID_MASK) != irq->intid) {
		/* Not what flush wrote: trust the model and take the LR back. */
		vgic->stats.lr_mismatches++;
		vgic_lr_release(vgic, vcpu, slot);
		return;
	}
	/*
	 * Pending went away: the guest acknowledged it. That consumes the
	 * latch, unless a new edge arrived after the flush (seq moved); the
	 * line of a level-sensitive interrupt is not consumed at all.
	 */
	if ((s->state & VGIC_LR_STATE_P) && !(now & VGIC_LR_STATE_P) && irq->seq == s->seq)
		irq->latch = false;
	/* Acknowledge (0 -> 1) or deactivation (1 -> 0) by the guest. */
	if ((s->state & VGIC_LR_STATE_A) != (now & VGIC_LR_STATE_A))
		irq->active = now & VGIC_LR_STATE_A;
	/* Deactivating an HW LR deactivated the physical interrupt too. */
	if (s->hw && now == 0)
		irq->phys_active = false;

	if (now == 0)
		vgic_lr_release(vgic, vcpu, slot);
	else
		s->state = (uint8_t)now;
}

void vgic_sync(struct vgic *vgic, unsigned int vcpu, const uint64_t *lrs, unsigned int nr_lrs)
{
	struct vgic_vcpu *vc;
	unsigned int nr;

	if (vcpu >= vgic->nr_vcpus)
		return;
	vc = &vgic->vcpu[vcpu];
	/* Slots change only in this vCPU's own flush and sync: no lock needed to see them all empty. */
	nr = MIN(MIN(nr_lrs, vc->nr_lrs), vc->lr_used);
	if (nr == 0)
		return;
	vgic_lock(vgic);
	for (unsigned int i = 0; i < nr; i++) {
		if (vc->lr[i].irq)
			vgic_lr_fold(vgic, vcpu, i, lrs[i]);
	}
	vgic_unlock(vgic);
}
