/* SPDX-License-Identifier: MIT */
/*
 * vGIC delivery: list register flush/sync round trips against a simulated
 * guest CPU interface, level and edge semantics, the HW-linked timer,
 * priority ordering and LR overflow, coherency of register writes with
 * interrupts sitting in LRs, injection and SGI routing, WFI wake-up.
 */
#include "test_vgic.h"

#define NLR 4

/* A VM whose guest has run Linux's GIC probe on every vCPU. */
static struct vgic_fx *booted(unsigned int nr_vcpus, unsigned int nr_spis)
{
	struct vgic_fx *fx = fx_new(nr_vcpus, nr_spis);

	linux_dist_init(fx, 0);
	for (unsigned int v = 0; v < nr_vcpus; v++)
		linux_cpu_init(fx, v, v);
	fx_clear_kicks(fx);
	return fx;
}

static void spi_enable(struct vgic_fx *fx, unsigned int intid)
{
	gicd_w32(fx, 0x0100 + 4 * (intid / 32), 1u << (intid % 32));
}

static void spi_set_edge(struct vgic_fx *fx, unsigned int intid)
{
	uint64_t off = 0x0c00 + 4 * (intid / 16);

	gicd_w32(fx, off, gicd_r32(fx, off) | 2u << (2 * (intid % 16)));
}

static void spi_route(struct vgic_fx *fx, unsigned int intid, uint64_t aff)
{
	gicd_wr(fx, 0x6000 + 8 * intid, 8, aff);
}

static void spi_prio(struct vgic_fx *fx, unsigned int intid, uint8_t prio)
{
	gicd_wr(fx, 0x0400 + intid, 1, prio);
}

static bool ispendr(struct vgic_fx *fx, unsigned int intid)
{
	return (gicd_r32(fx, 0x0200 + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

static bool isactiver(struct vgic_fx *fx, unsigned int intid)
{
	return (gicd_r32(fx, 0x0300 + 4 * (intid / 32)) >> (intid % 32)) & 1;
}

TEST(vgic_uart_level_line_flush_sync)
{
	struct vgic_fx *fx = booted(2, 64);
	uint64_t lrs[NLR] = { 0 }, hcr;
	int i;

	spi_enable(fx, 33);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));

	/* The UART raises its line: vCPU 0 is kicked and gets a pending Group 1 LR. */
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 33, true), VGIC_OK);
	CHECK_EQ(fx->kicks[0], 1);
	CHECK_EQ(fx->kicks[1], 0);
	CHECK(vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	CHECK(!vgic_has_pending(&fx->vgic, 1, VGIC_VMCR_ANY));
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 1);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK_EQ(lrs[0], 33 | (uint64_t)LINUX_DEF_PRI << 48 | VGIC_LR_GROUP1 | VGIC_LR_PENDING);
	CHECK_EQ(lrs[1] | lrs[2] | lrs[3], 0);

	/* Guest acknowledges; an exit (say, the UART register read) syncs it. */
	CHECK_EQ(guest_ack(lrs, NLR), 33);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK(isactiver(fx, 33));
	CHECK(ispendr(fx, 33));				       /* the line is still high */
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY)); /* active: nothing new */
	/* The read drains the UART, which drops its line before the guest re-enters. */
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 33, false), VGIC_OK);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 1);
	CHECK_EQ(lr_state(lrs[0]), 2); /* active only */

	/* EOI invalidates the LR; the next sync retires it. */
	CHECK(guest_eoi(lrs, NLR, 33));
	CHECK_EQ(lrs[0] >> 62, 0);
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 0);
	CHECK_EQ(lrs[0], 0);
	CHECK(!isactiver(fx, 33) && !ispendr(fx, 33));
	CHECK_EQ(fx->vgic.spi[1].lr_vcpu, VGIC_NO_VCPU);

	/* And again, with the EOI happening while the line is still high: level re-pends. */
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 33, true), VGIC_OK);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 33);
	CHECK(guest_eoi(lrs, NLR, 33));
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	i = lr_find(lrs, NLR, 33);
	REQUIRE(i >= 0);
	CHECK_EQ(lr_state(lrs[i]), 1);
	free(fx);
}

TEST(vgic_level_pending_and_active_round_trip)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	spi_enable(fx, 40);
	vgic_set_line(&fx->vgic, 0, 40, true);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 40);
	/* Some unrelated exit while the line is still high: pending+active. */
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 3);
	/* Device handler lowers the line by MMIO: pending goes, active stays. */
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_set_line(&fx->vgic, 0, 40, false);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 2);
	CHECK(guest_eoi(lrs, NLR, 40));
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 0);
	CHECK(!isactiver(fx, 40) && !ispendr(fx, 40));
	free(fx);
}

TEST(vgic_edge_interrupts_latch)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	spi_set_edge(fx, 50);
	spi_enable(fx, 50);
	/* A rising edge latches; the line going down again does not clear it. */
	vgic_set_line(&fx->vgic, 0, 50, true);
	vgic_set_line(&fx->vgic, 0, 50, true); /* no new edge */
	vgic_set_line(&fx->vgic, 0, 50, false);
	CHECK(ispendr(fx, 50));
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 1);
	CHECK_EQ(guest_ack(lrs, NLR), 50);

	/* A new edge after the guest acknowledged (vCPU still running)... */
	fx_clear_kicks(fx);
	CHECK_EQ(vgic_inject_edge(&fx->vgic, 0, 50), VGIC_OK);
	CHECK_EQ(fx->kicks[0], 1); /* ...forces an exit: the LR copy is stale */
	/* ...survives the sync that sees the acknowledgement of the old one. */
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 3);
	CHECK(guest_eoi(lrs, NLR, 50));
	CHECK_EQ(lr_state(lrs[0]), 1); /* the hardware re-presents it */
	CHECK_EQ(guest_ack(lrs, NLR), 50);
	CHECK(guest_eoi(lrs, NLR, 50));
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 0);
	CHECK(!ispendr(fx, 50) && !isactiver(fx, 50));
	free(fx);
}

TEST(vgic_more_pending_than_lrs)
{
	struct vgic_fx *fx = booted(1, 64);
	static const uint8_t prio[6] = { 0x80, 0x40, 0xc0, 0x20, 0x60, 0xa0 };
	uint64_t lrs[NLR] = { 0 }, hcr;
	unsigned int seen[6] = { 0 };
	unsigned int order[6], n = 0;

	for (unsigned int i = 0; i < 6; i++) {
		spi_set_edge(fx, 40 + i);
		spi_prio(fx, 40 + i, prio[i]);
		spi_enable(fx, 40 + i);
		vgic_inject_edge(&fx->vgic, 0, 40 + i);
	}
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), NLR);
	/* The four best priorities (0x20, 0x40, 0x60, 0x80) are in; UIE and NPIE are set. */
	CHECK(lr_find(lrs, NLR, 43) >= 0 && lr_find(lrs, NLR, 41) >= 0);
	CHECK(lr_find(lrs, NLR, 44) >= 0 && lr_find(lrs, NLR, 40) >= 0);
	CHECK(lr_find(lrs, NLR, 45) < 0 && lr_find(lrs, NLR, 42) < 0);
	CHECK_EQ(hcr, VGIC_HCR_EN | VGIC_HCR_UIE | VGIC_HCR_NPIE);
	for (unsigned int i = 0; i < NLR; i++)
		CHECK(!(lrs[i] & VGIC_LR_EOI));

	/* The guest drains everything the LRs offer, one after another. */
	for (uint32_t id; (id = guest_ack(lrs, NLR)) != 1023;) {
		order[n++] = id;
		CHECK(guest_eoi(lrs, NLR, id));
	}
	CHECK_EQ(n, 4);
	/* UIE fired (<= 1 valid LR): exit, and the remaining two come in. */
	CHECK_EQ(lr_count_valid(lrs, NLR), 0);
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK_EQ(lr_count_valid(lrs, NLR), 2);
	for (uint32_t id; (id = guest_ack(lrs, NLR)) != 1023;) {
		order[n++] = id;
		CHECK(guest_eoi(lrs, NLR, id));
	}
	REQUIRE(n == 6);
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 0);
	/* Each exactly once, in priority order. */
	for (unsigned int i = 0; i < 6; i++) {
		seen[order[i] - 40]++;
		if (i > 0)
			CHECK(prio[order[i - 1] - 40] < prio[order[i] - 40]);
	}
	for (unsigned int i = 0; i < 6; i++)
		CHECK_EQ(seen[i], 1);
	free(fx);
}

TEST(vgic_priority_order_and_active_first)
{
	struct vgic_fx *fx = booted(1, 64);
	uint64_t lrs[2] = { 0 }, hcr;

	/* Equal priorities: lowest INTID first. */
	for (unsigned int id = 60; id >= 56; id--) {
		spi_set_edge(fx, id);
		spi_enable(fx, id);
		vgic_inject_edge(&fx->vgic, 0, id);
	}
	vgic_flush(&fx->vgic, 0, lrs, 2, &hcr);
	CHECK(lr_find(lrs, 2, 56) >= 0 && lr_find(lrs, 2, 57) >= 0);
	/* The guest takes 56 and keeps it active... */
	CHECK_EQ(guest_ack(lrs, 2), 56);
	vgic_sync(&fx->vgic, 0, lrs, 2);
	/* ...then something more urgent arrives: it gets an LR, the active one keeps its. */
	spi_set_edge(fx, 70);
	spi_prio(fx, 70, 0x10);
	spi_enable(fx, 70);
	vgic_inject_edge(&fx->vgic, 0, 70);
	vgic_flush(&fx->vgic, 0, lrs, 2, &hcr);
	CHECK(lr_find(lrs, 2, 56) >= 0);
	CHECK(lr_find(lrs, 2, 70) >= 0);
	CHECK(lr_find(lrs, 2, 57) < 0);
	CHECK(hcr & VGIC_HCR_UIE);
	/* SGIs and PPIs compete with SPIs on priority alone. */
	sgi_w32(fx, 0, 0x0400, 0x08); /* SGI 0 priority 0x08 */
	vgic_inject_edge(&fx->vgic, 0, 0);
	vgic_sync(&fx->vgic, 0, lrs, 2);
	vgic_flush(&fx->vgic, 0, lrs, 2, &hcr);
	CHECK(lr_find(lrs, 2, 56) >= 0);
	CHECK(lr_find(lrs, 2, 0) >= 0);
	CHECK_EQ(lr_prio(lrs[lr_find(lrs, 2, 0)]), 0x08);
	free(fx);
}

TEST(vgic_lrs_keep_their_slot)
{
	struct vgic_fx *fx = booted(1, 64);
	uint64_t lrs[NLR] = { 0 }, hcr;
	int a, b;

	spi_enable(fx, 33);
	spi_enable(fx, 34);
	vgic_set_line(&fx->vgic, 0, 34, true);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 34);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	/* A better-priority interrupt arrives; 34 stays where it was. */
	spi_prio(fx, 33, 0x00);
	vgic_set_line(&fx->vgic, 0, 33, true);
	a = lr_find(lrs, NLR, 34);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_find(lrs, NLR, 34), a);
	b = lr_find(lrs, NLR, 33);
	CHECK(b >= 0 && b != a);
	/* Flushing twice without running is harmless and stable. */
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_find(lrs, NLR, 34), a);
	CHECK_EQ(lr_find(lrs, NLR, 33), b);
	/* So is a sync of untouched LRs. */
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK(isactiver(fx, 34) && ispendr(fx, 33) && ispendr(fx, 34));
	/* An interrupt is never in two LRs. */
	CHECK_EQ(lr_count_valid(lrs, NLR), 2);
	free(fx);
}

TEST(vgic_lr_gap_left_by_an_eoi)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	spi_enable(fx, 33);
	spi_enable(fx, 34);
	spi_prio(fx, 33, 0x10);
	vgic_set_line(&fx->vgic, 0, 33, true);
	vgic_set_line(&fx->vgic, 0, 34, true);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 2);
	REQUIRE(lr_find(lrs, NLR, 33) == 0 && lr_find(lrs, NLR, 34) == 1);
	/* 33 handled and its line dropped; 34 stays in LR 1, so LR 0 is a hole. */
	CHECK_EQ(guest_ack(lrs, NLR), 33);
	CHECK(guest_eoi(lrs, NLR, 33));
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_set_line(&fx->vgic, 0, 33, false);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 2);
	CHECK_EQ(lrs[0], 0);
	CHECK_EQ(lr_intid(lrs[1]), 34);
	free(fx);
}

TEST(vgic_many_orphaned_hw_interrupts)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	/* Ten passthrough-style SPIs left pending, then all cleared by the guest. */
	for (unsigned int i = 0; i < 10; i++)
		CHECK_EQ(vgic_inject_hw(&fx->vgic, 0, 40 + i, 100 + i), VGIC_OK);
	fx_clear_kicks(fx);
	gicd_w32(fx, 0x0284, 0x3ffu << 8);
	CHECK_EQ(fx->kicks[0], 0); /* SPIs: any flush will do, and vCPU 0 is the writer */
	/* Eight per flush; the flush asks to be run again for the rest. */
	vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr);
	CHECK_EQ(fx->nr_deact, 8);
	CHECK_EQ(fx->kicks[1], 1);
	vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr);
	CHECK_EQ(fx->nr_deact, 10);
	for (unsigned int i = 0; i < 10; i++) {
		CHECK_EQ(fx->deact_pintid[i], 100 + i);
		CHECK_EQ(fx->deact_vcpu[i], 1);
	}
	free(fx);
}

TEST(vgic_hw_timer_injection)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;
	int i;

	/* The guest's timer driver: PPI 27 level, enabled. */
	sgi_w32(fx, 1, 0x0100, 1u << 27);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 1, 27, 27), VGIC_OK);
	CHECK_EQ(fx->kicks[1], 1);
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr), 1);
	CHECK_EQ(lrs[0], 27 | 27ull << 32 | (uint64_t)LINUX_DEF_PRI << 48 | VGIC_LR_GROUP1 |
				 VGIC_LR_HW | VGIC_LR_PENDING);
	/* The other vCPU's PPI 27 is separate. */
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs + 0, 0, &hcr), 0);
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));

	CHECK_EQ(guest_ack(lrs, NLR), 27);
	fx_cycle(fx, 1, lrs, NLR, &hcr);
	CHECK_EQ(lrs[0], 27 | 27ull << 32 | (uint64_t)LINUX_DEF_PRI << 48 | VGIC_LR_GROUP1 |
				 VGIC_LR_HW | VGIC_LR_ACTIVE);
	/* The guest's EOI deactivates the physical interrupt through the link. */
	CHECK(guest_eoi(lrs, NLR, 27));
	CHECK_EQ(fx_cycle(fx, 1, lrs, NLR, &hcr), 0);
	CHECK(!fx->vgic.vcpu[1].priv[27].phys_active);
	CHECK_EQ(fx->nr_deact, 0); /* nothing for the hypervisor to do */

	/* Next expiry: same again, and a pending virtual interrupt with no physical
	 * one behind it (guest ISPENDR) goes in without the HW bit. */
	vgic_inject_hw(&fx->vgic, 1, 27, 27);
	vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 27);
	CHECK(guest_eoi(lrs, NLR, 27));
	vgic_sync(&fx->vgic, 1, lrs, NLR);
	sgi_w32(fx, 1, 0x0200, 1u << 27);
	vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr);
	i = lr_find(lrs, NLR, 27);
	REQUIRE(i >= 0);
	CHECK(!(lrs[i] & VGIC_LR_HW));
	free(fx);
}

TEST(vgic_hw_interrupt_orphaned_by_guest)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	sgi_w32(fx, 0, 0x0100, 1u << 27);
	/* ICPENDR before the guest took it: the physical one needs deactivating here. */
	vgic_inject_hw(&fx->vgic, 0, 27, 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	sgi_w32(fx, 0, 0x0280, 1u << 27);
	CHECK_EQ(fx->nr_deact, 0); /* only from the owner's flush */
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK_EQ(fx->nr_deact, 1);
	CHECK_EQ(fx->deact_vcpu[0], 0);
	CHECK_EQ(fx->deact_pintid[0], 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(fx->nr_deact, 1); /* once */

	/* ICACTIVER from another vCPU while the guest handles it: owner kicked, then deactivates. */
	vgic_inject_hw(&fx->vgic, 0, 27, 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 27);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	fx_clear_kicks(fx);
	gicr_wr_by(fx, 1, GICR_SGI(0) + 0x0380, 4, 1u << 27);
	CHECK(fx->kicks[0] >= 1);
	CHECK_EQ(fx->kicks[1], 0);
	/* vCPU 0 exits with its LR still active; the flush drops it and deactivates. */
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK_EQ(fx->nr_deact, 2);
	CHECK_EQ(fx->deact_pintid[1], 27);

	/* ICACTIVER on an inactive HW interrupt, ICPENDR on an active one: nothing to undo. */
	vgic_inject_hw(&fx->vgic, 0, 27, 27);
	sgi_w32(fx, 0, 0x0380, 1u << 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 27);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	sgi_w32(fx, 0, 0x0280, 1u << 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(fx->nr_deact, 2);
	CHECK_EQ(lrs[0] & (VGIC_LR_HW | VGIC_LR_ACTIVE), VGIC_LR_HW | VGIC_LR_ACTIVE);
	free(fx);
}

TEST(vgic_hw_lr_is_never_pending_and_active)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	sgi_w32(fx, 0, 0x0100, 1u << 27);
	vgic_inject_hw(&fx->vgic, 0, 27, 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 27);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	/* The virtual interrupt becomes pending again while the physical is active. */
	sgi_w32(fx, 0, 0x0200, 1u << 27);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 2);
	CHECK(lrs[0] & VGIC_LR_HW);
	/* Alone in the LRs: UIE would hold the vCPU in maintenance exits, so no. */
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK(guest_eoi(lrs, NLR, 27));
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 1);
	CHECK(!(lrs[0] & VGIC_LR_HW));

	/* With company it does ask for an exit once the LRs drain. */
	CHECK_EQ(guest_ack(lrs, NLR), 27);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_inject_hw(&fx->vgic, 0, 27, 27); /* physical fired again (say, after a reload) */
	spi_enable(fx, 33);
	vgic_set_line(&fx->vgic, 0, 33, true);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 2);
	CHECK_EQ(lr_state(lrs[lr_find(lrs, NLR, 27)]), 2);
	CHECK_EQ(hcr, VGIC_HCR_EN | VGIC_HCR_UIE | VGIC_HCR_NPIE);
	free(fx);
}

TEST(vgic_group_enables)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	spi_enable(fx, 40);
	vgic_set_line(&fx->vgic, 0, 40, true);
	/* Group 1 off in GICD_CTLR: nothing delivered, nothing to wake for. */
	gicd_w32(fx, 0x0000, 1);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	CHECK(ispendr(fx, 40));
	/* Turning it on (from vCPU 1) kicks vCPU 0. */
	fx_clear_kicks(fx);
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 1, 0x0000, 4, true, &(uint64_t){ 3 }), VGIC_MMIO_OK);
	CHECK_EQ(fx->kicks[0], 1);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 1);

	/* Group 0 interrupt: delivered with Group = 0, and only while EnableGrp0 is set. */
	gicd_w32(fx, 0x0084, ~(1u << 9)); /* INTID 41 Group 0 */
	spi_enable(fx, 41);
	vgic_set_line(&fx->vgic, 0, 41, true);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	REQUIRE(lr_find(lrs, NLR, 41) >= 0);
	CHECK(!(lrs[lr_find(lrs, NLR, 41)] & VGIC_LR_GROUP1));
	CHECK(lrs[lr_find(lrs, NLR, 40)] & VGIC_LR_GROUP1);
	gicd_w32(fx, 0x0000, 2);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK(lr_find(lrs, NLR, 41) < 0);
	CHECK(lr_find(lrs, NLR, 40) >= 0);

	/* An interrupt that is already active keeps its LR when its group goes off. */
	CHECK_EQ(guest_ack(lrs, NLR), 40);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	gicd_w32(fx, 0x0000, 0);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	REQUIRE(lr_find(lrs, NLR, 40) >= 0);
	CHECK_EQ(lr_state(lrs[lr_find(lrs, NLR, 40)]), 2);
	free(fx);
}

TEST(vgic_register_writes_while_in_lrs)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;
	uint64_t v;

	spi_set_edge(fx, 44);
	spi_enable(fx, 44);
	vgic_inject_edge(&fx->vgic, 0, 44);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	REQUIRE(lr_find(lrs, NLR, 44) == 0);

	/* vCPU 1 clears it while vCPU 0 runs with it pending in an LR. */
	fx_clear_kicks(fx);
	v = 1u << 12;
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 1, 0x0284, 4, true, &v), VGIC_MMIO_OK);
	CHECK_EQ(fx->kicks[0], 1);
	vgic_sync(&fx->vgic, 0, lrs, NLR); /* the guest had not taken it */
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK(!ispendr(fx, 44));

	/* Disabled while in an LR: withdrawn at the next flush, comes back on enable. */
	vgic_inject_edge(&fx->vgic, 0, 44);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	fx_clear_kicks(fx);
	v = 1u << 12;
	vgic_dist_mmio(&fx->vgic, 1, 0x0184, 4, true, &v);
	CHECK_EQ(fx->kicks[0], 1);
	CHECK_EQ(fx_cycle(fx, 0, lrs, NLR, &hcr), 0);
	CHECK(ispendr(fx, 44));
	spi_enable(fx, 44);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 1);

	/* Priority change while in an LR: the next flush carries the new one. */
	fx_clear_kicks(fx);
	v = 0x30;
	vgic_dist_mmio(&fx->vgic, 1, 0x0400 + 44, 1, true, &v);
	CHECK_EQ(fx->kicks[0], 1);
	fx_cycle(fx, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_prio(lrs[0]), 0x30);

	/* Guest acknowledged, then someone clears the active state: the LR goes. */
	CHECK_EQ(guest_ack(lrs, NLR), 44);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	gicd_w32(fx, 0x0384, 1u << 12);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	/* ISACTIVER makes it active again: it occupies an LR, for the EOI to find. */
	gicd_w32(fx, 0x0304, 1u << 12);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(lr_state(lrs[0]), 2);
	free(fx);
}

TEST(vgic_spi_rerouted_while_in_an_lr)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs0[NLR] = { 0 }, lrs1[NLR] = { 0 }, hcr;

	spi_enable(fx, 36);
	vgic_set_line(&fx->vgic, 0, 36, true);
	vgic_flush(&fx->vgic, 0, lrs0, NLR, &hcr);
	REQUIRE(lr_find(lrs0, NLR, 36) >= 0);

	/* Routed to vCPU 1 while pending in vCPU 0's LR: both are told. */
	fx_clear_kicks(fx);
	spi_route(fx, 36, 1);
	CHECK_EQ(fx->kicks[1], 1);
	/* vCPU 1 may not take it while vCPU 0 still holds it. */
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs1, NLR, &hcr), 0);
	CHECK(vgic_has_pending(&fx->vgic, 1, VGIC_VMCR_ANY));
	/* vCPU 0 exits: it gives it up and vCPU 1 is kicked to take it. */
	fx_clear_kicks(fx);
	CHECK_EQ(fx_cycle(fx, 0, lrs0, NLR, &hcr), 0);
	CHECK_EQ(fx->kicks[1], 1);
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs1, NLR, &hcr), 1);
	CHECK_EQ(lr_intid(lrs1[0]), 36);

	/* Active on vCPU 1, then routed back to 0: it stays on 1 until deactivated. */
	CHECK_EQ(guest_ack(lrs1, NLR), 36);
	vgic_sync(&fx->vgic, 1, lrs1, NLR);
	spi_route(fx, 36, 0);
	vgic_flush(&fx->vgic, 1, lrs1, NLR, &hcr);
	CHECK_EQ(lr_state(lrs1[0]), 2); /* the pending part now belongs to vCPU 0 */
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs0, NLR, &hcr), 0);
	fx_clear_kicks(fx);
	CHECK(guest_eoi(lrs1, NLR, 36));
	CHECK_EQ(fx_cycle(fx, 1, lrs1, NLR, &hcr), 0);
	CHECK_EQ(fx->kicks[0], 1);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs0, NLR, &hcr), 1);

	/* An SPI routed to no vCPU is never delivered. */
	vgic_sync(&fx->vgic, 0, lrs0, NLR);
	spi_route(fx, 36, 0x99);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs0, NLR, &hcr), 0);
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs1, NLR, &hcr), 0);
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	CHECK(ispendr(fx, 36));
	free(fx);
}

TEST(vgic_single_list_register)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lr[1] = { 0 }, hcr;

	spi_set_edge(fx, 33);
	spi_set_edge(fx, 34);
	spi_enable(fx, 33);
	spi_enable(fx, 34);
	vgic_inject_edge(&fx->vgic, 0, 33);
	vgic_inject_edge(&fx->vgic, 0, 34);
	/* UIE would fire at once with one LR: NPIE waits for the guest to take it. */
	vgic_flush(&fx->vgic, 0, lr, 1, &hcr);
	CHECK_EQ(hcr, VGIC_HCR_EN | VGIC_HCR_NPIE);
	CHECK_EQ(guest_ack(lr, 1), 33);
	/* NPIE fired; now the LR is active: ask for an EOI maintenance interrupt. */
	fx_cycle(fx, 0, lr, 1, &hcr);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK_EQ(lr[0] & (VGIC_LR_EOI | VGIC_LR_ACTIVE | VGIC_LR_PENDING),
		 VGIC_LR_EOI | VGIC_LR_ACTIVE);
	CHECK(guest_eoi(lr, 1, 33));
	fx_cycle(fx, 0, lr, 1, &hcr);
	CHECK_EQ(lr_intid(lr[0]), 34);
	CHECK_EQ(lr_state(lr[0]), 1);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	free(fx);
}

TEST(vgic_flush_and_sync_edge_cases)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[20], hcr = 0;

	for (unsigned int i = 0; i < 20; i++)
		lrs[i] = ~0ull;
	/* More LRs than the architecture has: the extra ones are just zeroed. */
	spi_enable(fx, 35);
	vgic_set_line(&fx->vgic, 0, 35, true);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, 20, &hcr), 1);
	for (unsigned int i = 1; i < 20; i++)
		CHECK_EQ(lrs[i], 0);
	/* A vCPU that does not exist: nothing, but a sane ICH_HCR. */
	lrs[0] = ~0ull;
	CHECK_EQ(vgic_flush(&fx->vgic, 5, lrs, 1, &hcr), 0);
	CHECK_EQ(lrs[0], 0);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	vgic_sync(&fx->vgic, 5, lrs, 1);
	CHECK(!vgic_has_pending(&fx->vgic, 5, VGIC_VMCR_ANY));

	/* The hypervisor hands back an LR that is not what was flushed. */
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	lrs[0] = 99 | VGIC_LR_ACTIVE;
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK_EQ(fx->vgic.stats.lr_mismatches, 1);
	CHECK(ispendr(fx, 35) && !isactiver(fx, 35));
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 1);

	/* Fewer LRs than last time: what no longer fits is given back. */
	CHECK_EQ(guest_ack(lrs, NLR), 35);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, 0, &hcr), 0);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	CHECK_EQ(fx->vgic.spi[3].lr_vcpu, VGIC_NO_VCPU);
	CHECK(isactiver(fx, 35));
	free(fx);
}

TEST(vgic_has_pending_honours_vmcr)
{
	struct vgic_fx *fx = booted(1, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;
	const uint64_t eng1 = VGIC_VMCR_VENG1;

	spi_enable(fx, 40);
	spi_prio(fx, 40, 0xa0);
	vgic_set_line(&fx->vgic, 0, 40, true);
	CHECK(vgic_has_pending(&fx->vgic, 0, eng1 | 0xf0ull << 24));
	CHECK(!vgic_has_pending(&fx->vgic, 0, eng1 | 0xa0ull << 24)); /* equal: masked */
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_VENG0 | 0xf0ull << 24));
	CHECK(vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	/* Group 0 needs VENG0. */
	gicd_w32(fx, 0x0084, 0);
	CHECK(!vgic_has_pending(&fx->vgic, 0, eng1 | 0xf0ull << 24));
	CHECK(vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_VENG0 | 0xf0ull << 24));
	/* Once the guest has it active, the same interrupt does not wake it. */
	gicd_w32(fx, 0x0084, ~0u);
	vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr);
	CHECK_EQ(guest_ack(lrs, NLR), 40);
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	/* A private interrupt counts too. */
	vgic_inject_edge(&fx->vgic, 0, 3);
	CHECK(vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	free(fx);
}

TEST(vgic_injection_arguments)
{
	struct vgic_fx *fx = booted(2, 32);

	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 5, true), VGIC_EINVAL);  /* SGI */
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 64, true), VGIC_EINVAL); /* past the SPIs */
	CHECK_EQ(vgic_set_line(&fx->vgic, 2, 20, true), VGIC_EINVAL); /* no vCPU 2 */
	CHECK_EQ(vgic_set_line(&fx->vgic, 7, 40, true), VGIC_OK);     /* SPIs ignore vcpu */
	CHECK_EQ(vgic_inject_edge(&fx->vgic, 0, 1020), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_edge(&fx->vgic, 3, 0), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 0, 3, 3), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 0, 27, 1020), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 0, 27, 8), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 0, 64, 64), VGIC_EINVAL);
	CHECK_EQ(vgic_inject_hw(&fx->vgic, 9, 27, 27), VGIC_EINVAL);
	CHECK_EQ(vgic_send_sgi(&fx->vgic, 2, 1), VGIC_EINVAL);
	/* A PPI line of one vCPU. */
	sgi_w32(fx, 1, 0x0100, 1u << 23);
	CHECK_EQ(vgic_set_line(&fx->vgic, 1, 23, true), VGIC_OK);
	CHECK_EQ(fx->kicks[1], 1);
	CHECK(vgic_has_pending(&fx->vgic, 1, VGIC_VMCR_ANY));
	CHECK(!vgic_has_pending(&fx->vgic, 0, VGIC_VMCR_ANY));
	/* An SPI routed to vCPU 1 kicks vCPU 1 only. */
	spi_enable(fx, 50);
	spi_route(fx, 50, 1);
	fx_clear_kicks(fx);
	vgic_set_line(&fx->vgic, 0, 50, true);
	CHECK_EQ(fx->kicks[1], 1);
	CHECK_EQ(fx_total_kicks(fx), 1);
	/* Already pending: a repeated level is not news. */
	vgic_set_line(&fx->vgic, 0, 50, true);
	CHECK_EQ(fx_total_kicks(fx), 1);
	free(fx);
}

/* 8 vCPUs in a topology that exercises every affinity field and RS. */
static const uint64_t sgi_mpidr[8] = {
	0x80000000ull,	 /* 0: 0.0.0.0 */
	0x80000001ull,	 /* 1: 0.0.0.1 */
	0x80000002ull,	 /* 2: 0.0.0.2 */
	0x80000100ull,	 /* 3: 0.0.1.0 */
	0x80000101ull,	 /* 4: 0.0.1.1 */
	0x80010000ull,	 /* 5: 0.1.0.0 */
	0x0180000000ull, /* 6: 1.0.0.0 */
	0x80000012ull,	 /* 7: 0.0.0.18 (RS 1, bit 2) */
};

static uint32_t sgi_pending_mask(struct vgic_fx *fx, unsigned int intid)
{
	uint32_t mask = 0;

	for (unsigned int v = 0; v < 8; v++) {
		if (fx->vgic.vcpu[v].priv[intid].latch)
			mask |= 1u << v;
		fx->vgic.vcpu[v].priv[intid].latch = false;
	}
	return mask;
}

static uint64_t sgi1r(unsigned int intid, unsigned int aff3, unsigned int aff2, unsigned int aff1,
		      unsigned int rs, uint16_t tl)
{
	return (uint64_t)aff3 << 48 | (uint64_t)rs << 44 | (uint64_t)aff2 << 32 |
	       (uint64_t)intid << 24 | (uint64_t)aff1 << 16 | tl;
}

TEST(vgic_sgi_routing)
{
	struct vgic_fx *fx = fx_new_mpidr(8, 32, sgi_mpidr);

	gicd_w32(fx, 0x0000, 2); /* EnableGrp1, so that deliveries kick */
	fx_clear_kicks(fx);

	/* Target list in cluster 0.0.0: bits 0 and 2 (and 5, which is nobody). */
	CHECK_EQ(vgic_send_sgi(&fx->vgic, 1, sgi1r(1, 0, 0, 0, 0, 0x25)), VGIC_OK);
	CHECK_EQ(sgi_pending_mask(fx, 1), (1u << 0) | (1u << 2));
	CHECK_EQ(fx->vgic.stats.sgis_dropped, 1);
	/* Aff1 = 1. */
	vgic_send_sgi(&fx->vgic, 0, sgi1r(2, 0, 0, 1, 0, 0x3));
	CHECK_EQ(sgi_pending_mask(fx, 2), (1u << 3) | (1u << 4));
	/* Aff2 = 1, Aff3 = 1. */
	vgic_send_sgi(&fx->vgic, 0, sgi1r(3, 0, 1, 0, 0, 0x1));
	CHECK_EQ(sgi_pending_mask(fx, 3), 1u << 5);
	vgic_send_sgi(&fx->vgic, 0, sgi1r(4, 1, 0, 0, 0, 0x1));
	CHECK_EQ(sgi_pending_mask(fx, 4), 1u << 6);
	/* Range selector: Aff0 = 16 * RS + bit. */
	vgic_send_sgi(&fx->vgic, 0, sgi1r(5, 0, 0, 0, 1, 0x4));
	CHECK_EQ(sgi_pending_mask(fx, 5), 1u << 7);
	/* To self. */
	vgic_send_sgi(&fx->vgic, 3, sgi1r(6, 0, 0, 1, 0, 0x1));
	CHECK_EQ(sgi_pending_mask(fx, 6), 1u << 3);
	/* IRM: everyone but the sender; the target list and affinity are ignored. */
	fx_clear_kicks(fx);
	vgic_send_sgi(&fx->vgic, 2, sgi1r(7, 1, 1, 1, 1, 0xffff) | 1ull << 40);
	CHECK_EQ(sgi_pending_mask(fx, 7), 0xffu & ~(1u << 2));
	/* SGIs are enabled from reset, so all seven were kicked. */
	CHECK_EQ(fx_total_kicks(fx), 7);
	CHECK_EQ(fx->kicks[2], 0);
	/* Empty target list: nothing. */
	vgic_send_sgi(&fx->vgic, 0, sgi1r(8, 0, 0, 0, 0, 0));
	CHECK_EQ(sgi_pending_mask(fx, 8), 0);
	/* A target whose SGI is Group 0 does not take a Group 1 SGI. */
	gicr_wr_by(fx, 0, GICR_SGI(1) + 0x0080, 4, ~(1u << 9));
	vgic_send_sgi(&fx->vgic, 0, sgi1r(9, 0, 0, 0, 0, 0x6));
	CHECK_EQ(sgi_pending_mask(fx, 9), 1u << 2);
	CHECK_EQ(fx->vgic.stats.sgis_dropped, 2);
	free(fx);
}

TEST(vgic_sgi_delivery_round_trip)
{
	struct vgic_fx *fx = booted(2, 32);
	uint64_t lrs[NLR] = { 0 }, hcr;

	/* Linux's IPI: vCPU 0 sends SGI 1 to vCPU 1 (Aff0 = 1). */
	vgic_send_sgi(&fx->vgic, 0, sgi1r(1, 0, 0, 0, 0, 1u << 1));
	CHECK_EQ(fx->kicks[1], 1);
	CHECK(vgic_has_pending(&fx->vgic, 1, VGIC_VMCR_ANY));
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr), 1);
	CHECK_EQ(lrs[0], 1 | (uint64_t)LINUX_DEF_PRI << 48 | VGIC_LR_GROUP1 | VGIC_LR_PENDING);
	CHECK_EQ(guest_ack(lrs, NLR), 1);
	CHECK(guest_eoi(lrs, NLR, 1));
	CHECK_EQ(fx_cycle(fx, 1, lrs, NLR, &hcr), 0);
	CHECK_EQ(sgi_r32(fx, 1, 0x0200), 0);
	/* Disabled SGIs stay pending. */
	sgi_w32(fx, 1, 0x0180, 1u << 1);
	vgic_send_sgi(&fx->vgic, 0, sgi1r(1, 0, 0, 0, 0, 1u << 1));
	CHECK_EQ(vgic_flush(&fx->vgic, 1, lrs, NLR, &hcr), 0);
	CHECK_EQ(sgi_r32(fx, 1, 0x0200), 1u << 1);
	free(fx);
}

TEST(vgic_quiet_vcpu_short_cuts)
{
	struct vgic_fx *fx = booted(2, 64);
	uint64_t lrs[NLR], hcr;

	/* Nothing live: quiet, and flush writes only empty LRs and En. */
	CHECK(vgic_vcpu_quiet(&fx->vgic, 0));
	lrs[0] = 0xdead;
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK_EQ(lrs[0], 0);
	CHECK_EQ(hcr, VGIC_HCR_EN);
	/* With no LR used by that flush, sync ignores whatever the LRs read back as. */
	lrs[0] = 33 | 1ull << 62;
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	CHECK(!isactiver(fx, 33) && !ispendr(fx, 33));

	/* A pending SPI routed to vCPU 0 ends the quiet, for vCPU 1 too (live SPIs are shared). */
	spi_enable(fx, 33);
	vgic_set_line(&fx->vgic, 0, 33, true);
	CHECK(!vgic_vcpu_quiet(&fx->vgic, 0));
	CHECK(!vgic_vcpu_quiet(&fx->vgic, 1));
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 1);
	CHECK_EQ(lr_intid(lrs[0]), 33);
	/* Handled, EOId and the line dropped: the next flush finds it idle, and all is quiet again. */
	CHECK_EQ(guest_ack(lrs, NLR), 33);
	CHECK(guest_eoi(lrs, NLR, 33));
	vgic_sync(&fx->vgic, 0, lrs, NLR);
	vgic_set_line(&fx->vgic, 0, 33, false);
	CHECK(!vgic_vcpu_quiet(&fx->vgic, 0)); /* live bits are cleared by a flush, lazily */
	CHECK_EQ(vgic_flush(&fx->vgic, 0, lrs, NLR, &hcr), 0);
	CHECK(vgic_vcpu_quiet(&fx->vgic, 0));
	CHECK(vgic_vcpu_quiet(&fx->vgic, 1));
	free(fx);
}
