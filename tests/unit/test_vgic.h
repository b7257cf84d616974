/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the vGIC tests: a VM-sized fixture that records the callbacks,
 * MMIO shorthands, the probe sequence of Linux's GICv3 driver, and a tiny
 * stand-in for the guest side of the hardware virtual CPU interface
 * (acknowledge and EOI on an array of list register values).
 */
#ifndef RHENIUM_TEST_VGIC_H
#define RHENIUM_TEST_VGIC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhenium/vgic.h>

#include "test.h"

struct vgic_fx {
	struct vgic vgic;
	unsigned int kicks[VGIC_MAX_VCPUS];
	unsigned int nr_deact;
	uint32_t deact_pintid[16];
	unsigned int deact_vcpu[16];
	unsigned int nr_log;
	char last_log[160];
};

static inline void fx_kick(void *ctx, unsigned int vcpu)
{
	struct vgic_fx *fx = ctx;

	if (vcpu >= VGIC_MAX_VCPUS)
		abort();
	fx->kicks[vcpu]++;
	/* Callbacks run unlocked: calling back in must not deadlock. */
	(void)vgic_has_pending(&fx->vgic, vcpu, VGIC_VMCR_ANY);
}

static inline void fx_deact(void *ctx, unsigned int vcpu, uint32_t pintid)
{
	struct vgic_fx *fx = ctx;

	if (fx->nr_deact < 16) {
		fx->deact_vcpu[fx->nr_deact] = vcpu;
		fx->deact_pintid[fx->nr_deact] = pintid;
	}
	fx->nr_deact++;
}

static inline void fx_log(void *ctx, const char *msg)
{
	struct vgic_fx *fx = ctx;

	fx->nr_log++;
	snprintf(fx->last_log, sizeof(fx->last_log), "%s", msg);
}

static const struct vgic_ops fx_ops = { fx_kick, fx_deact, fx_log };

static inline struct vgic_fx *fx_new_mpidr(unsigned int nr_vcpus, unsigned int nr_spis,
					   const uint64_t *mpidr)
{
	struct vgic_fx *fx = calloc(1, sizeof(*fx));
	struct vgic_config cfg = { 0 };

	if (!fx)
		abort();
	cfg.nr_vcpus = nr_vcpus;
	cfg.nr_spis = nr_spis;
	cfg.pri_bits = 5;
	for (unsigned int i = 0; i < nr_vcpus; i++)
		cfg.mpidr[i] = mpidr ? mpidr[i] : (0x80000000ull | i); /* MPIDR.RES1 set */
	cfg.ops = &fx_ops;
	cfg.ctx = fx;
	if (vgic_init(&fx->vgic, &cfg) != VGIC_OK)
		abort();
	return fx;
}

static inline struct vgic_fx *fx_new(unsigned int nr_vcpus, unsigned int nr_spis)
{
	return fx_new_mpidr(nr_vcpus, nr_spis, NULL);
}

static inline void fx_clear_kicks(struct vgic_fx *fx)
{
	memset(fx->kicks, 0, sizeof(fx->kicks));
}

static inline unsigned int fx_total_kicks(const struct vgic_fx *fx)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VGIC_MAX_VCPUS; i++)
		n += fx->kicks[i];
	return n;
}

/* ---------------------------------------------------------------- MMIO */

static inline uint64_t gicd_rd(struct vgic_fx *fx, uint64_t off, unsigned int size)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, off, size, false, &v), VGIC_MMIO_OK);
	return v;
}

static inline void gicd_wr(struct vgic_fx *fx, uint64_t off, unsigned int size, uint64_t v)
{
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, off, size, true, &v), VGIC_MMIO_OK);
}

static inline uint32_t gicd_r32(struct vgic_fx *fx, uint64_t off)
{
	return (uint32_t)gicd_rd(fx, off, 4);
}

static inline void gicd_w32(struct vgic_fx *fx, uint64_t off, uint32_t v)
{
	gicd_wr(fx, off, 4, v);
}

/* Redistributor region offsets, accessed by vCPU `by`. */
static inline uint64_t gicr_rd_by(struct vgic_fx *fx, unsigned int by, uint64_t off,
				  unsigned int size)
{
	uint64_t v = 0xdeadbeefdeadbeefull;

	CHECK_EQ(vgic_redist_mmio(&fx->vgic, by, off, size, false, &v), VGIC_MMIO_OK);
	return v;
}

static inline void gicr_wr_by(struct vgic_fx *fx, unsigned int by, uint64_t off, unsigned int size,
			      uint64_t v)
{
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, by, off, size, true, &v), VGIC_MMIO_OK);
}

#define GICR_RD(vcpu) ((uint64_t)(vcpu)*VGIC_REDIST_STRIDE)
#define GICR_SGI(vcpu) (GICR_RD(vcpu) + 0x10000)

/* vCPU `v` programming its own SGI_base frame. */
static inline uint32_t sgi_r32(struct vgic_fx *fx, unsigned int v, uint64_t off)
{
	return (uint32_t)gicr_rd_by(fx, v, GICR_SGI(v) + off, 4);
}

static inline void sgi_w32(struct vgic_fx *fx, unsigned int v, uint64_t off, uint32_t val)
{
	gicr_wr_by(fx, v, GICR_SGI(v) + off, 4, val);
}

/* ---------------------------------------------------------------- Linux's GICv3 driver */

#define LINUX_DEF_PRI 0xa0u

/* gic_dist_init(): returns the number of INTIDs the driver derived from GICD_TYPER. */
static inline unsigned int linux_dist_init(struct vgic_fx *fx, uint64_t boot_affinity)
{
	uint32_t typer = gicd_r32(fx, 0x0004);
	unsigned int lines = MIN(((typer & 0x1f) + 1) * 32, 1020u);
	unsigned int polls = 0;

	CHECK_EQ((gicd_r32(fx, 0xffe8) >> 4) & 0xf, 3); /* GIC_PIDR2_ARCH_GICv3 */
	(void)gicd_r32(fx, 0x0008);			/* IIDR, for quirks */
	gicd_w32(fx, 0x0000, 0);
	while ((gicd_r32(fx, 0x0000) & (1u << 31)) && ++polls < 10) /* RWP */
		;
	for (unsigned int i = 32; i < lines; i += 32)
		gicd_w32(fx, 0x0080 + i / 8, ~0u);
	/* gic_dist_config() */
	for (unsigned int i = 32; i < lines; i += 16)
		gicd_w32(fx, 0x0c00 + i / 4, 0); /* level, active low */
	for (unsigned int i = 32; i < lines; i += 4)
		gicd_w32(fx, 0x0400 + i, LINUX_DEF_PRI * 0x01010101u);
	for (unsigned int i = 32; i < lines; i += 32) {
		gicd_w32(fx, 0x0380 + i / 8, ~0u);
		gicd_w32(fx, 0x0180 + i / 8, ~0u);
	}
	while ((gicd_r32(fx, 0x0000) & (1u << 31)) && ++polls < 10)
		;
	CHECK(polls == 0);
	gicd_w32(fx, 0x0000, (1u << 4) | (1u << 1) | (1u << 0)); /* ARE_NS | G1A | G1 */
	for (unsigned int i = 32; i < lines; i++)
		gicd_wr(fx, 0x6000 + 8 * i, 8, boot_affinity);
	return lines;
}

/* gic_populate_rdist(): the frame whose GICR_TYPER matches, or -1. */
static inline int linux_find_rdist(struct vgic_fx *fx, unsigned int by, uint32_t aff)
{
	uint64_t ptr = 0;
	uint64_t typer;

	if (((gicr_rd_by(fx, by, 0xffe8, 4) >> 4) & 0xf) != 3)
		return -1;
	do {
		typer = gicr_rd_by(fx, by, ptr + 0x0008, 8);
		if ((typer >> 32) == aff)
			return (int)(ptr / VGIC_REDIST_STRIDE);
		ptr += 0x20000;
	} while (!(typer & (1u << 4)));
	return -1;
}

/* gic_cpu_init() on vCPU v, whose packed affinity is aff. */
static inline void linux_cpu_init(struct vgic_fx *fx, unsigned int v, uint32_t aff)
{
	int frame = linux_find_rdist(fx, v, aff);
	uint64_t rd;
	uint32_t waker;
	unsigned int polls = 0;

	REQUIRE(frame == (int)v);
	rd = GICR_RD(v);
	/* gic_enable_redist(true) */
	waker = (uint32_t)gicr_rd_by(fx, v, rd + 0x0014, 4);
	gicr_wr_by(fx, v, rd + 0x0014, 4, waker & ~(1u << 1));
	while ((gicr_rd_by(fx, v, rd + 0x0014, 4) & (1u << 2)) && ++polls < 10)
		;
	sgi_w32(fx, v, 0x0080, ~0u); /* IGROUPR0 */
	/* gic_cpu_config() */
	sgi_w32(fx, v, 0x0380, ~0u);
	sgi_w32(fx, v, 0x0180, ~0u);
	for (unsigned int i = 0; i < 32; i += 4)
		sgi_w32(fx, v, 0x0400 + i, LINUX_DEF_PRI * 0x01010101u);
	sgi_w32(fx, v, 0x0100, 0x0000ffffu);					/* enable SGIs */
	while ((gicr_rd_by(fx, v, rd + 0x0000, 4) & (1u << 3)) && ++polls < 10) /* GICR_CTLR.RWP */
		;
	CHECK(polls == 0);
}

/* ---------------------------------------------------------------- guest CPU interface */

static inline unsigned int lr_state(uint64_t lr)
{
	return (unsigned int)(lr >> 62);
}

static inline uint32_t lr_intid(uint64_t lr)
{
	return (uint32_t)lr;
}

static inline unsigned int lr_prio(uint64_t lr)
{
	return (unsigned int)(lr >> 48) & 0xff;
}

/* Index of the LR holding intid (any state), or -1. */
static inline int lr_find(const uint64_t *lrs, unsigned int n, uint32_t intid)
{
	for (unsigned int i = 0; i < n; i++) {
		if (lr_state(lrs[i]) && lr_intid(lrs[i]) == intid)
			return (int)i;
	}
	return -1;
}

static inline unsigned int lr_count_valid(const uint64_t *lrs, unsigned int n)
{
	unsigned int c = 0;

	for (unsigned int i = 0; i < n; i++)
		c += lr_state(lrs[i]) != 0;
	return c;
}

/* ICV_IAR1_EL1: highest-priority pending (not active) LR becomes active; 1023 if none. */
static inline uint32_t guest_ack(uint64_t *lrs, unsigned int n)
{
	int best = -1;

	for (unsigned int i = 0; i < n; i++) {
		if (lr_state(lrs[i]) != 1)
			continue;
		if (best < 0 || lr_prio(lrs[i]) < lr_prio(lrs[best]))
			best = (int)i;
	}
	if (best < 0)
		return 1023;
	lrs[best] = (lrs[best] & ~(3ull << 62)) | (2ull << 62);
	return lr_intid(lrs[best]);
}

/* ICV_EOIR1_EL1 with EOImode 0: the active LR for intid loses its active state. */
static inline bool guest_eoi(uint64_t *lrs, unsigned int n, uint32_t intid)
{
	for (unsigned int i = 0; i < n; i++) {
		if ((lr_state(lrs[i]) & 2) && lr_intid(lrs[i]) == intid) {
			lrs[i] &= ~(2ull << 62);
			return true;
		}
	}
	return false;
}

/* One exit/entry round trip: sync what the guest left, flush anew. */
static inline unsigned int fx_cycle(struct vgic_fx *fx, unsigned int v, uint64_t *lrs,
				    unsigned int n, uint64_t *hcr)
{
	vgic_sync(&fx->vgic, v, lrs, n);
	return vgic_flush(&fx->vgic, v, lrs, n, hcr);
}

#endif
