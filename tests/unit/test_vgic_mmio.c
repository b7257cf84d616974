/* SPDX-License-Identifier: MIT */
/*
 * vGIC Distributor and Redistributor registers: what Linux's GICv3 driver
 * reads and writes while probing, every register's reset value and access
 * rules, and the handling of accesses the model does not implement.
 */
#include "test_vgic.h"

TEST(vgic_init_rejects_bad_configs)
{
	struct vgic *vgic = calloc(1, sizeof(*vgic));
	struct vgic_config cfg = { .nr_vcpus = 2, .nr_spis = 64, .pri_bits = 5, .mpidr = { 0, 1 } };

	REQUIRE(vgic);
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_OK);
	CHECK_EQ(vgic_redist_size(vgic), 2 * 0x20000);
	CHECK_EQ(vgic_init(NULL, &cfg), VGIC_EINVAL);
	CHECK_EQ(vgic_init(vgic, NULL), VGIC_EINVAL);
	cfg.nr_vcpus = 0;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.nr_vcpus = VGIC_MAX_VCPUS + 1;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.nr_vcpus = 2;
	cfg.nr_spis = VGIC_MAX_SPIS + 1;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.nr_spis = VGIC_MAX_SPIS;
	cfg.pri_bits = 4;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.pri_bits = 9;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.pri_bits = 8;
	/* Only the affinity fields count: these two are the same PE. */
	cfg.mpidr[0] = 0x80000001;
	cfg.mpidr[1] = 0x00000001;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_EINVAL);
	cfg.mpidr[1] = 0x100000001ull;
	CHECK_EQ(vgic_init(vgic, &cfg), VGIC_OK);
	/* No ops at all is allowed: nothing to call. */
	CHECK_EQ(vgic_set_line(vgic, 0, 40, true), VGIC_OK);
	free(vgic);
}

TEST(vgic_linux_probe_sequence)
{
	struct vgic_fx *fx = fx_new(4, 256);
	unsigned int lines;
	uint32_t iidr;

	/* GICD_TYPER as the driver decodes it. */
	uint32_t typer = gicd_r32(fx, 0x0004);
	CHECK_EQ(typer & 0x1f, 8);	   /* 32 * 9 = 288 INTIDs */
	CHECK_EQ((typer >> 5) & 7, 3);	   /* CPUNumber */
	CHECK_EQ((typer >> 19) & 0x1f, 9); /* IDbits: 10-bit INTIDs */
	CHECK_EQ(typer & (1u << 17), 0);   /* LPIS */
	CHECK_EQ(typer & (1u << 16), 0);   /* MBIS */
	CHECK_EQ(typer & (1u << 8), 0);	   /* ESPI */
	CHECK_EQ(typer & (1u << 10), 0);   /* SecurityExtn: DS = 1 */
	CHECK(typer & (1u << 24));	   /* A3V */
	CHECK_EQ(gicd_r32(fx, 0x000c), 0); /* TYPER2 */
	iidr = gicd_r32(fx, 0x0008);
	CHECK(iidr != 0);			  /* HIP07 quirk matches 0 */
	CHECK(iidr != 0x0204043b);		  /* HIP06 */
	CHECK((iidr & 0xe8f00fff) != 0xa000034c); /* Cavium 38539 */
	CHECK_EQ(iidr & 0xfff, 0x43b);

	lines = linux_dist_init(fx, 0);
	CHECK_EQ(lines, 288);
	/* CTLR: ARE and DS read as one, both groups on, RWP clear. */
	CHECK_EQ(gicd_r32(fx, 0x0000), (1u << 6) | (1u << 4) | 3u);
	CHECK_EQ(gicd_r32(fx, 0x0080 + 4), ~0u);	  /* IGROUPR1 */
	CHECK_EQ(gicd_r32(fx, 0x0080 + 4 * 8), ~0u);	  /* IGROUPR8: SPIs 256-287 */
	CHECK_EQ(gicd_r32(fx, 0x0400 + 32), 0xa0a0a0a0u); /* IPRIORITYR8 */
	CHECK_EQ(gicd_r32(fx, 0x0100 + 4), 0);		  /* all disabled */
	CHECK_EQ(gicd_rd(fx, 0x6000 + 8 * 287, 8), 0);	  /* IROUTER287 */

	/* Each CPU finds its own redistributor by scanning TYPERs to Last. */
	for (unsigned int v = 0; v < 4; v++) {
		CHECK_EQ(gicr_rd_by(fx, v, GICR_RD(v) + 0x0014, 4), 6); /* asleep */
		linux_cpu_init(fx, v, v);
		CHECK_EQ(gicr_rd_by(fx, v, GICR_RD(v) + 0x0014, 4), 0);
		CHECK_EQ(sgi_r32(fx, v, 0x0080), ~0u);
		CHECK_EQ(sgi_r32(fx, v, 0x0100), 0xffff);
		CHECK_EQ(sgi_r32(fx, v, 0x041c), 0xa0a0a0a0u);
	}
	/* An affinity with no redistributor is not found. */
	CHECK_EQ(linux_find_rdist(fx, 0, 0x55), -1);

	/* Then request_irq() for the UART (SPI 1, level) and the virtual timer (PPI 11). */
	gicd_w32(fx, 0x0c00 + 8, gicd_r32(fx, 0x0c00 + 8) & ~(2u << 2));
	gicd_w32(fx, 0x0100 + 4, 1u << 1);
	sgi_w32(fx, 0, 0x0c04, sgi_r32(fx, 0, 0x0c04) & ~(2u << 22));
	sgi_w32(fx, 0, 0x0100, 1u << 27);
	CHECK_EQ(gicd_r32(fx, 0x0100 + 4), 2);
	CHECK_EQ(sgi_r32(fx, 0, 0x0100), 0xffffu | (1u << 27));
	CHECK_EQ(fx->nr_log, 0);
	CHECK_EQ(fx->vgic.stats.unknown_accesses + fx->vgic.stats.bad_accesses, 0);
	free(fx);
}

TEST(vgic_linux_probe_with_few_spis)
{
	/* 40 SPIs: TYPER says 96 INTIDs; the 24 beyond the last SPI are RAZ/WI. */
	struct vgic_fx *fx = fx_new(1, 40);

	CHECK_EQ(linux_dist_init(fx, 0), 96);
	CHECK_EQ(gicd_r32(fx, 0x0080 + 8), 0xff); /* IGROUPR2: INTIDs 64..71 */
	gicd_w32(fx, 0x0100 + 8, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0100 + 8), 0xff);
	CHECK_EQ(gicd_r32(fx, 0x0400 + 72), 0);	      /* IPRIORITYR for 72..75 */
	CHECK_EQ(gicd_rd(fx, 0x6000 + 8 * 72, 8), 0); /* IROUTER72 */
	gicd_wr(fx, 0x6000 + 8 * 72, 8, 1);
	CHECK_EQ(gicd_rd(fx, 0x6000 + 8 * 72, 8), 0);
	gicd_w32(fx, 0x0c00 + 4 * 4, ~0u); /* ICFGR4: 64..79 */
	CHECK_EQ(gicd_r32(fx, 0x0c00 + 4 * 4), 0xaaaa);
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 72, true), VGIC_EINVAL);
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 71, true), VGIC_OK);
	free(fx);
}

TEST(vgic_gicd_ctlr_bits)
{
	struct vgic_fx *fx = fx_new(2, 32);

	CHECK_EQ(gicd_r32(fx, 0x0000), (1u << 6) | (1u << 4));
	/* ARE and DS are RAO/WI; E1NWF, RWP and the rest RAZ/WI. */
	gicd_w32(fx, 0x0000, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0000), (1u << 6) | (1u << 4) | 3u);
	gicd_w32(fx, 0x0000, 2);
	CHECK_EQ(gicd_r32(fx, 0x0000), (1u << 6) | (1u << 4) | 2u);
	CHECK(!fx->vgic.grp0_enabled && fx->vgic.grp1_enabled);
	/* STATUSR, SGIR and the SGI pending registers do nothing with ARE = 1. */
	gicd_w32(fx, 0x0010, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0010), 0);
	gicd_w32(fx, 0x0f00, 0x01000001); /* would be SGI 1 to CPU 0 */
	CHECK(!fx->vgic.vcpu[0].priv[1].latch);
	gicd_wr(fx, 0x0f20, 1, 0xff);
	CHECK_EQ(gicd_rd(fx, 0x0f20, 1), 0);
	CHECK_EQ(gicd_r32(fx, 0x0f1c), 0);
	free(fx);
}

TEST(vgic_gicd_private_range_is_raz_wi)
{
	struct vgic_fx *fx = fx_new(2, 32);

	/* With ARE = 1 INTIDs 0-31 belong to the redistributors. */
	for (uint64_t off = 0x0080; off < 0x0400; off += 0x80) {
		gicd_w32(fx, off, ~0u);
		CHECK_EQ(gicd_r32(fx, off), 0);
	}
	gicd_w32(fx, 0x0400, ~0u);
	gicd_wr(fx, 0x041f, 1, 0xff);
	CHECK_EQ(gicd_r32(fx, 0x0400), 0);
	CHECK_EQ(gicd_rd(fx, 0x041f, 1), 0);
	gicd_w32(fx, 0x0c04, 0);
	CHECK_EQ(gicd_r32(fx, 0x0c00), 0);
	CHECK_EQ(gicd_r32(fx, 0x0c04), 0);
	/* The redistributor copies were not touched. */
	CHECK_EQ(sgi_r32(fx, 0, 0x0100), 0xffff);
	CHECK_EQ(sgi_r32(fx, 1, 0x0400), 0);
	CHECK_EQ(sgi_r32(fx, 0, 0x0c04), 0);
	CHECK(!fx->vgic.vcpu[0].priv[0].active);
	free(fx);
}

TEST(vgic_gicd_per_interrupt_registers)
{
	struct vgic_fx *fx = fx_new(2, 64);

	/* IGROUPR: reset Group 1, writable per bit. */
	CHECK_EQ(gicd_r32(fx, 0x0084), ~0u);
	gicd_w32(fx, 0x0084, 0xfffffff0u);
	CHECK_EQ(gicd_r32(fx, 0x0084), 0xfffffff0u);
	CHECK(!fx->vgic.spi[0].group1 && fx->vgic.spi[4].group1);

	/* Set/clear enable: writing zeros changes nothing. */
	gicd_w32(fx, 0x0104, 0x00000005u);
	gicd_w32(fx, 0x0104, 0);
	CHECK_EQ(gicd_r32(fx, 0x0104), 5);
	CHECK_EQ(gicd_r32(fx, 0x0184), 5);
	gicd_w32(fx, 0x0184, 1);
	CHECK_EQ(gicd_r32(fx, 0x0104), 4);

	/* Pending: ISPENDR latches, ICPENDR clears the latch but not a high level. */
	gicd_w32(fx, 0x0208, 0x3);
	CHECK_EQ(gicd_r32(fx, 0x0208), 3);
	CHECK_EQ(gicd_r32(fx, 0x0288), 3);
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 65, true), VGIC_OK);
	gicd_w32(fx, 0x0288, 0x3);
	CHECK_EQ(gicd_r32(fx, 0x0208), 2);
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 65, false), VGIC_OK);
	CHECK_EQ(gicd_r32(fx, 0x0208), 0);

	/* Active. */
	gicd_w32(fx, 0x0304, 1u << 31);
	CHECK_EQ(gicd_r32(fx, 0x0304), 1u << 31);
	CHECK_EQ(gicd_r32(fx, 0x0384), 1u << 31);
	gicd_w32(fx, 0x0384, 1u << 31);
	CHECK_EQ(gicd_r32(fx, 0x0304), 0);

	/* IPRIORITYR: bytes and words, 5 implemented bits. */
	gicd_wr(fx, 0x0400 + 40, 1, 0xff);
	CHECK_EQ(gicd_rd(fx, 0x0400 + 40, 1), 0xf8);
	gicd_w32(fx, 0x0400 + 44, 0x11223344u);
	CHECK_EQ(gicd_r32(fx, 0x0400 + 44), 0x10203040u);
	CHECK_EQ(gicd_rd(fx, 0x0400 + 46, 1), 0x20);
	CHECK_EQ(fx->vgic.spi[45 - 32].priority, 0x30);

	/* ICFGR: 2 bits per interrupt, only the upper one is meaningful. */
	CHECK_EQ(gicd_r32(fx, 0x0c08), 0);
	gicd_w32(fx, 0x0c08, 0xffffffffu);
	CHECK_EQ(gicd_r32(fx, 0x0c08), 0xaaaaaaaau);
	gicd_w32(fx, 0x0c08, 0x00000008u); /* INTID 33 edge */
	CHECK_EQ(gicd_r32(fx, 0x0c08), 8);
	CHECK(fx->vgic.spi[1].edge && !fx->vgic.spi[0].edge);

	/* ITARGETSR, IGRPMODR, NSACR: RAZ/WI under ARE and DS. */
	gicd_wr(fx, 0x0800 + 40, 1, 0x01);
	gicd_w32(fx, 0x0820, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0820), 0);
	CHECK_EQ(gicd_rd(fx, 0x0800 + 40, 1), 0);
	gicd_w32(fx, 0x0d04, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0d04), 0);
	gicd_w32(fx, 0x0e08, ~0u);
	CHECK_EQ(gicd_r32(fx, 0x0e08), 0);
	free(fx);
}

TEST(vgic_gicd_irouter)
{
	static const uint64_t mpidr[] = { 0x0, 0x100, 0x10000, 0x100000000ull };
	struct vgic_fx *fx = fx_new_mpidr(4, 32, mpidr);
	const uint64_t r40 = 0x6000 + 8 * 40;

	/* Reset: routed to vCPU 0. */
	CHECK_EQ(gicd_rd(fx, r40, 8), 0);
	CHECK_EQ(fx->vgic.spi[8].target, 0);
	gicd_wr(fx, r40, 8, 0x100);
	CHECK_EQ(fx->vgic.spi[8].target, 1);
	gicd_wr(fx, r40, 8, 0x10000);
	CHECK_EQ(fx->vgic.spi[8].target, 2);
	/* 32-bit halves: Aff3 lives in the upper word. */
	gicd_wr(fx, r40, 4, 0);
	gicd_wr(fx, r40 + 4, 4, 1);
	CHECK_EQ(gicd_rd(fx, r40, 8), 0x100000000ull);
	CHECK_EQ(gicd_rd(fx, r40 + 4, 4), 1);
	CHECK_EQ(gicd_rd(fx, r40, 4), 0);
	CHECK_EQ(fx->vgic.spi[8].target, 3);
	/* RES0 bits stay zero; IRM reads back and means "vCPU 0". */
	gicd_wr(fx, r40, 8, ~0ull);
	CHECK_EQ(gicd_rd(fx, r40, 8), 0xff80ffffffull);
	CHECK_EQ(fx->vgic.spi[8].target, 0);
	/* An affinity no vCPU has: the SPI goes nowhere. */
	gicd_wr(fx, r40, 8, 0x7);
	CHECK_EQ(fx->vgic.spi[8].target, VGIC_NO_VCPU);
	/* IROUTER<0..31> do not exist. */
	{
		uint64_t v = 1;

		CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x6000 + 8 * 5, 8, true, &v),
			 VGIC_MMIO_UNKNOWN);
		CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x7fe0, 8, false, &v), VGIC_MMIO_UNKNOWN);
		CHECK_EQ(v, 0);
	}
	free(fx);
}

TEST(vgic_id_registers)
{
	struct vgic_fx *fx = fx_new(2, 32);
	static const uint32_t expect[][2] = {
		{ 0xffd0, 0x44 }, { 0xffd4, 0 },    { 0xffd8, 0 },    { 0xffdc, 0 },
		{ 0xffe0, 0x52 }, { 0xffe4, 0xb0 }, { 0xffe8, 0x3b }, { 0xffec, 0 },
		{ 0xfff0, 0x0d }, { 0xfff4, 0xf0 }, { 0xfff8, 0x05 }, { 0xfffc, 0xb1 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(expect); i++) {
		CHECK_EQ(gicd_r32(fx, expect[i][0]), expect[i][1]);
		CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(1) + expect[i][0], 4), expect[i][1]);
	}
	/* Read-only. */
	gicd_w32(fx, 0xffe8, 0);
	CHECK_EQ(gicd_r32(fx, 0xffe8), 0x3b);
	free(fx);
}

TEST(vgic_gicr_rd_frame)
{
	static const uint64_t mpidr[] = { 0x80000000ull, 0x80000101ull, 0x8000000000ull | 0x20304 };
	struct vgic_fx *fx = fx_new_mpidr(3, 32, mpidr);

	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 8, 8), 0);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(1) + 8, 8), 0x0000010100000100ull);
	/* Aff3 goes to [63:56]; Last on the final frame; processor number 2. */
	CHECK_EQ(gicr_rd_by(fx, 2, GICR_RD(2) + 8, 8), 0x8002030400000210ull);
	CHECK_EQ(gicr_rd_by(fx, 2, GICR_RD(2) + 8, 4), 0x210);
	CHECK_EQ(gicr_rd_by(fx, 2, GICR_RD(2) + 12, 4), 0x80020304);
	/* Read-only. */
	gicr_wr_by(fx, 0, GICR_RD(2) + 8, 8, 0);
	CHECK_EQ(gicr_rd_by(fx, 2, GICR_RD(2) + 8, 4), 0x210);

	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 4, 4), gicd_r32(fx, 0x0008)); /* IIDR */
	/* CTLR (no LPIs, RWP/UWP 0), STATUSR, PROPBASER, PENDBASER: RAZ/WI. */
	gicr_wr_by(fx, 0, GICR_RD(0) + 0x0000, 4, ~0u);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 0x0000, 4), 0);
	gicr_wr_by(fx, 0, GICR_RD(0) + 0x0010, 4, ~0u);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 0x0010, 4), 0);
	gicr_wr_by(fx, 0, GICR_RD(0) + 0x0070, 8, ~0ull);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 0x0070, 8), 0);
	gicr_wr_by(fx, 0, GICR_RD(0) + 0x007c, 4, ~0u);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_RD(0) + 0x0078, 8), 0);

	/* WAKER: ChildrenAsleep follows ProcessorSleep immediately. */
	CHECK_EQ(gicr_rd_by(fx, 1, GICR_RD(1) + 0x14, 4), 6);
	gicr_wr_by(fx, 1, GICR_RD(1) + 0x14, 4, 0);
	CHECK_EQ(gicr_rd_by(fx, 1, GICR_RD(1) + 0x14, 4), 0);
	gicr_wr_by(fx, 1, GICR_RD(1) + 0x14, 4, 2);
	CHECK_EQ(gicr_rd_by(fx, 1, GICR_RD(1) + 0x14, 4), 6);
	CHECK_EQ(gicr_rd_by(fx, 1, GICR_RD(0) + 0x14, 4), 6); /* others untouched */
	free(fx);
}

TEST(vgic_gicr_sgi_frame)
{
	struct vgic_fx *fx = fx_new(2, 32);

	/* SGIs are always edge: ICFGR0 reads all-edge and ignores writes. */
	CHECK_EQ(sgi_r32(fx, 0, 0x0c00), 0xaaaaaaaau);
	sgi_w32(fx, 0, 0x0c00, 0);
	CHECK_EQ(sgi_r32(fx, 0, 0x0c00), 0xaaaaaaaau);
	/* PPIs reset level and are configurable. */
	CHECK_EQ(sgi_r32(fx, 0, 0x0c04), 0);
	sgi_w32(fx, 0, 0x0c04, 2u << 4);
	CHECK_EQ(sgi_r32(fx, 0, 0x0c04), 2u << 4);
	CHECK(fx->vgic.vcpu[0].priv[18].edge);
	CHECK(!fx->vgic.vcpu[1].priv[18].edge);

	/* Each frame is its own vCPU's: vCPU 1 writes vCPU 0's registers. */
	gicr_wr_by(fx, 1, GICR_SGI(0) + 0x0100, 4, 1u << 20);
	CHECK_EQ(sgi_r32(fx, 0, 0x0100), 0xffffu | (1u << 20));
	CHECK_EQ(sgi_r32(fx, 1, 0x0100), 0xffff);
	sgi_w32(fx, 0, 0x0180, 0x1);
	CHECK_EQ(sgi_r32(fx, 0, 0x0100), 0xfffeu | (1u << 20));
	sgi_w32(fx, 1, 0x0080, 0xffff0000u);
	CHECK_EQ(sgi_r32(fx, 1, 0x0080), 0xffff0000u);
	sgi_w32(fx, 0, 0x0200, 1u << 3);
	CHECK_EQ(sgi_r32(fx, 0, 0x0200), 1u << 3);
	sgi_w32(fx, 0, 0x0280, 1u << 3);
	CHECK_EQ(sgi_r32(fx, 0, 0x0280), 0);
	sgi_w32(fx, 0, 0x0300, 1u << 30);
	CHECK_EQ(sgi_r32(fx, 0, 0x0380), 1u << 30);
	sgi_w32(fx, 0, 0x0380, 1u << 30);
	CHECK_EQ(sgi_r32(fx, 0, 0x0300), 0);

	/* Priorities: byte and word access. */
	gicr_wr_by(fx, 0, GICR_SGI(0) + 0x0400 + 27, 1, 0x83);
	CHECK_EQ(gicr_rd_by(fx, 0, GICR_SGI(0) + 0x0400 + 27, 1), 0x80);
	CHECK_EQ(sgi_r32(fx, 0, 0x0418), 0x80000000u);
	sgi_w32(fx, 1, 0x0400, 0x08102040u);
	CHECK_EQ(sgi_r32(fx, 1, 0x0400), 0x08102040u);

	/* IGRPMODR0 and NSACR: RAZ/WI. */
	sgi_w32(fx, 0, 0x0d00, ~0u);
	CHECK_EQ(sgi_r32(fx, 0, 0x0d00), 0);
	sgi_w32(fx, 0, 0x0e00, ~0u);
	CHECK_EQ(sgi_r32(fx, 0, 0x0e00), 0);
	CHECK_EQ(fx->nr_log, 0);
	free(fx);
}

TEST(vgic_access_widths)
{
	struct vgic_fx *fx = fx_new(2, 64);
	static const struct {
		bool redist;
		uint64_t off;
		unsigned int size;
		enum vgic_mmio_result res;
	} cases[] = {
		/* GICD: 32-bit registers refuse 8, 16 and 64-bit and misaligned accesses. */
		{ false, 0x0000, 1, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0000, 2, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0000, 8, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0004, 8, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0102, 4, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0104, 1, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0104, 8, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0c08, 2, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0d00, 1, VGIC_MMIO_BAD_ACCESS },
		{ false, 0xffe8, 1, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0104, 3, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0104, 0, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0104, 16, VGIC_MMIO_BAD_ACCESS },
		/* Byte-accessible ones still refuse halfwords and doublewords. */
		{ false, 0x0421, 1, VGIC_MMIO_OK },
		{ false, 0x0420, 2, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0420, 8, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0421, 4, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x0823, 1, VGIC_MMIO_OK },
		{ false, 0x0f21, 1, VGIC_MMIO_OK },
		/* IROUTER: 64-bit aligned, or either 32-bit half. */
		{ false, 0x6100, 8, VGIC_MMIO_OK },
		{ false, 0x6104, 4, VGIC_MMIO_OK },
		{ false, 0x6104, 8, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x6101, 1, VGIC_MMIO_BAD_ACCESS },
		{ false, 0x6100, 2, VGIC_MMIO_BAD_ACCESS },
		/* GICR. */
		{ true, 0x0008, 8, VGIC_MMIO_OK },
		{ true, 0x000c, 4, VGIC_MMIO_OK },
		{ true, 0x000c, 8, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x0008, 2, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x0014, 1, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x0000, 8, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x0070, 8, VGIC_MMIO_OK },
		{ true, 0x0074, 4, VGIC_MMIO_OK },
		{ true, 0x10100, 8, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x10100, 1, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x10401, 1, VGIC_MMIO_OK },
		{ true, 0x10402, 2, VGIC_MMIO_BAD_ACCESS },
		{ true, 0x10c04, 8, VGIC_MMIO_BAD_ACCESS },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 0x5555555555555555ull;
		enum vgic_mmio_result r = cases[i].redist
						  ? vgic_redist_mmio(&fx->vgic, 0, cases[i].off,
								     cases[i].size, false, &v)
						  : vgic_dist_mmio(&fx->vgic, 0, cases[i].off,
								   cases[i].size, false, &v);

		if (r != cases[i].res)
			fprintf(stderr, "  case %u: %s 0x%llx size %u\n", i,
				cases[i].redist ? "GICR" : "GICD", (unsigned long long)cases[i].off,
				cases[i].size);
		CHECK_EQ(r, cases[i].res);
		if (r != VGIC_MMIO_OK)
			CHECK_EQ(v, 0); /* RAZ */
	}
	/* A refused write has no effect. */
	{
		uint64_t v = ~0ull;

		CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x0104, 1, true, &v), VGIC_MMIO_BAD_ACCESS);
		CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x0000, 8, true, &v), VGIC_MMIO_BAD_ACCESS);
		CHECK_EQ(gicd_r32(fx, 0x0104), 0);
		CHECK_EQ(gicd_r32(fx, 0x0000), (1u << 6) | (1u << 4));
	}
	free(fx);
}

TEST(vgic_unknown_offsets_are_raz_wi_and_logged_once)
{
	struct vgic_fx *fx = fx_new(2, 32);
	struct vgic_stats st;
	uint64_t v = 0x1234;

	/* MBIS SETSPI: not implemented here. */
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x0040, 4, true, &v), VGIC_MMIO_UNKNOWN);
	CHECK_EQ(fx->nr_log, 1);
	CHECK(strstr(fx->last_log, "GICD write at 0x40") != NULL);
	CHECK(strstr(fx->last_log, "unimplemented") != NULL);
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 1, 0x0040, 4, false, &v), VGIC_MMIO_UNKNOWN);
	CHECK_EQ(v, 0);
	CHECK_EQ(fx->nr_log, 1); /* same offset: counted, not logged again */
	/* Extended SPI range, beyond the 64 KiB frame, the reserved IROUTER<0..31>. */
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x1000, 4, false, &v), VGIC_MMIO_UNKNOWN);
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x10000, 4, false, &v), VGIC_MMIO_UNKNOWN);
	CHECK_EQ(vgic_dist_mmio(&fx->vgic, 0, 0x0f80, 4, false, &v), VGIC_MMIO_UNKNOWN);
	CHECK_EQ(fx->nr_log, 4);

	/* GICR: LPI registers, an SGI frame hole, and past the last frame. */
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, 0, GICR_RD(1) + 0x0040, 8, true, &v),
		 VGIC_MMIO_UNKNOWN);
	CHECK(strstr(fx->last_log, "GICR RD_base1 write at 0x40") != NULL);
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, 0, GICR_SGI(0) + 0x0084, 4, false, &v),
		 VGIC_MMIO_UNKNOWN);
	CHECK(strstr(fx->last_log, "GICR SGI_base0 read at 0x84") != NULL);
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, 0, GICR_SGI(0) + 0xffe8, 4, false, &v),
		 VGIC_MMIO_UNKNOWN);
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, 0, GICR_RD(2) + 0x0008, 8, false, &v),
		 VGIC_MMIO_UNKNOWN);
	CHECK(strstr(fx->last_log, "GICR region read at 0x40008") != NULL);
	CHECK_EQ(v, 0);
	CHECK_EQ(fx->nr_log, 8);

	/* A bad width is logged with its own wording. */
	CHECK_EQ(vgic_redist_mmio(&fx->vgic, 1, GICR_RD(0) + 0x0014, 2, true, &v),
		 VGIC_MMIO_BAD_ACCESS);
	CHECK(strstr(fx->last_log, "bad width") != NULL);
	vgic_get_stats(&fx->vgic, &st);
	CHECK_EQ(st.unknown_accesses, 9);
	CHECK_EQ(st.bad_accesses, 1);

	/* A guest sweeping the frame is logged a bounded number of times. */
	for (uint64_t off = 0x1000; off < 0x6000; off += 4)
		(void)vgic_dist_mmio(&fx->vgic, 0, off, 4, false, &v);
	CHECK_EQ(fx->nr_log, VGIC_LOG_ONCE_MAX);
	vgic_get_stats(&fx->vgic, &st);
	CHECK_EQ(st.unknown_accesses, 9 + (0x6000 - 0x1000) / 4);
	free(fx);
}

TEST(vgic_gicd_writes_kick_the_right_vcpus)
{
	struct vgic_fx *fx = fx_new(3, 32);
	const uint64_t r40 = 0x6000 + 8 * 40;

	gicd_w32(fx, 0x0000, 2);
	CHECK_EQ(fx->kicks[0], 0); /* the writer is in an exit already */
	CHECK_EQ(fx->kicks[1], 1);
	CHECK_EQ(fx->kicks[2], 1);
	fx_clear_kicks(fx);
	gicd_w32(fx, 0x0000, 2); /* no change, no kick */
	CHECK_EQ(fx_total_kicks(fx), 0);

	/* SPI 40 pending, routed to vCPU 2: enabling it kicks vCPU 2 only. */
	gicd_wr(fx, r40, 8, 2);
	CHECK_EQ(vgic_set_line(&fx->vgic, 0, 40, true), VGIC_OK);
	CHECK_EQ(fx_total_kicks(fx), 0); /* not enabled yet */
	gicd_w32(fx, 0x0104, 1u << 8);
	CHECK_EQ(fx->kicks[2], 1);
	CHECK_EQ(fx_total_kicks(fx), 1);
	/* Rerouting it to vCPU 1 kicks vCPU 1. */
	gicd_wr(fx, r40, 8, 1);
	CHECK_EQ(fx->kicks[1], 1);
	/* A priority change of a deliverable interrupt kicks its target (preemption). */
	gicd_wr(fx, 0x0400 + 40, 1, 0x10);
	CHECK_EQ(fx->kicks[1], 2);
	/* The same value again: nothing changed. */
	gicd_wr(fx, 0x0400 + 40, 1, 0x10);
	CHECK_EQ(fx->kicks[1], 2);
	free(fx);
}
