/* SPDX-License-Identifier: MIT */
/*
 * ESR_EL2 decoding. Syndromes are built field by field from the Arm ARM
 * layout (D24.2.46) by the helpers below, and a few are the literal values
 * a CPU reports for Linux's MMIO accessors.
 */
#include <string.h>

#include <rhenium/abort.h>

#include "test.h"

#define IL (1ULL << 25)

static uint64_t esr(unsigned int ec, uint32_t iss)
{
	return ((uint64_t)ec << 26) | IL | iss;
}

/* ISS of a data abort with a valid instruction syndrome. */
static uint32_t dabt_iss(unsigned int sas, bool sse, unsigned int srt, bool sf, bool ar, bool wnr,
			 unsigned int dfsc)
{
	return (1U << 24) | (sas << 22) | ((sse ? 1U : 0U) << 21) | (srt << 16) |
	       ((sf ? 1U : 0U) << 15) | ((ar ? 1U : 0U) << 14) | ((wnr ? 1U : 0U) << 6) | dfsc;
}

TEST(abort_esr_fields)
{
	uint64_t v = (0x5aULL << 32) | esr(ESR_EC_DABT_LOW, 0x1234567);

	CHECK_EQ(abort_esr_ec(v), 0x24);
	CHECK(abort_esr_il32(v));
	CHECK_EQ(abort_esr_iss(v), 0x1234567);
	CHECK_EQ(abort_esr_iss2(v), 0x5a);
	CHECK(!abort_esr_il32(v & ~IL));
	CHECK_EQ(abort_esr_ec(0xfc000000ULL), 0x3f);
	CHECK_EQ(abort_esr_iss2(0xffffff0000000000ULL), 0xffff00);
	CHECK_EQ(abort_esr_iss2(0x00ffffff00000000ULL), 0xffffff);
}

/* ldr w0, [x1] and str w1, [x0] faulting at stage 2, level 3: Linux's readl/writel. */
TEST(abort_dabt_linux_readl_writel)
{
	struct abort_dabt d;

	REQUIRE(abort_dabt_decode(0x93800007ULL, &d) == 0);
	CHECK(d.isv && !d.write && !d.same_el && d.il32);
	CHECK_EQ(d.size, 4);
	CHECK_EQ(d.reg, 0);
	CHECK(!d.reg64 && !d.sign_extend && !d.acquire_release);
	CHECK_EQ(d.dfsc, 7);
	CHECK(d.fault.kind == ABORT_FAULT_TRANSLATION && d.fault.has_level && d.fault.level == 3);
	CHECK(abort_dabt_can_emulate(&d));

	REQUIRE(abort_dabt_decode(0x93810047ULL, &d) == 0);
	CHECK(d.isv && d.write);
	CHECK_EQ(d.size, 4);
	CHECK_EQ(d.reg, 1);
	CHECK(d.fault.kind == ABORT_FAULT_TRANSLATION);
}

TEST(abort_dabt_syndrome_fields)
{
	static const struct {
		unsigned int sas, srt;
		bool sse, sf, ar, wnr;
		unsigned int size;
	} cases[] = {
		{ 0, 3, true, false, false, false, 1 },	 /* ldrsb w3 */
		{ 0, 5, true, true, false, false, 1 },	 /* ldrsb x5 */
		{ 1, 7, false, false, false, true, 2 },	 /* strh w7 */
		{ 1, 8, true, true, false, false, 2 },	 /* ldrsh x8 */
		{ 2, 9, true, true, false, false, 4 },	 /* ldrsw x9 */
		{ 3, 30, false, true, false, false, 8 }, /* ldr x30 */
		{ 3, 2, false, true, true, true, 8 },	 /* stlr x2 */
		{ 2, 31, false, false, false, true, 4 }, /* str wzr */
		{ 2, 31, false, false, true, false, 4 }, /* ldar wzr */
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct abort_dabt d;
		uint32_t iss = dabt_iss(cases[i].sas, cases[i].sse, cases[i].srt, cases[i].sf,
					cases[i].ar, cases[i].wnr, 0x06);

		REQUIRE(abort_dabt_decode(esr(ESR_EC_DABT_LOW, iss), &d) == 0);
		CHECK(d.isv);
		CHECK_EQ(d.size, cases[i].size);
		CHECK_EQ(d.reg, cases[i].srt);
		CHECK_EQ(d.sign_extend, cases[i].sse);
		CHECK_EQ(d.reg64, cases[i].sf);
		CHECK_EQ(d.acquire_release, cases[i].ar);
		CHECK_EQ(d.write, cases[i].wnr);
		CHECK(d.fault.kind == ABORT_FAULT_TRANSLATION && d.fault.level == 2);
	}
}

TEST(abort_dabt_other_bits)
{
	struct abort_dabt d;

	/* From EL2 itself, with every non-syndrome flag set. */
	REQUIRE(abort_dabt_decode(esr(ESR_EC_DABT_CUR, (1U << 13) | (3U << 11) | (1U << 10) |
							       (1U << 9) | (1U << 8) | (1U << 7) |
							       (1U << 6) | 0x10),
				  &d) == 0);
	CHECK(d.same_el && d.vncr && d.fnv && d.ea && d.cm && d.s1ptw && d.write);
	CHECK_EQ(d.set, 3);
	CHECK(d.fault.kind == ABORT_FAULT_EXTERNAL && !d.fault.has_level);
	CHECK(!d.isv && !abort_dabt_can_emulate(&d));

	/* A stage-2 fault on a stage-1 walk is not the instruction's access. */
	REQUIRE(abort_dabt_decode(esr(ESR_EC_DABT_LOW,
				      dabt_iss(2, false, 1, false, false, false, 5) | (1U << 7)),
				  &d) == 0);
	CHECK(d.isv && d.s1ptw && !abort_dabt_can_emulate(&d));

	/* DC CIVAC on an emulated address: CM, WnR 1. */
	REQUIRE(abort_dabt_decode(esr(ESR_EC_DABT_LOW, (1U << 8) | (1U << 6) | 0x07), &d) == 0);
	CHECK(d.cm && d.write && !abort_dabt_can_emulate(&d));
}

/* Without ISV, bits [23:14] mean other things (FnP, WU, TopLevel, PFV) and must not leak. */
TEST(abort_dabt_no_isv_clears_syndrome)
{
	struct abort_dabt d;
	uint32_t iss = dabt_iss(3, true, 17, true, true, true, 0x0f) & ~(1U << 24);

	REQUIRE(abort_dabt_decode(esr(ESR_EC_DABT_LOW, iss) & ~IL, &d) == 0);
	CHECK(!d.isv && !d.il32);
	CHECK_EQ(d.size, 0);
	CHECK_EQ(d.reg, 0);
	CHECK(!d.sign_extend && !d.reg64 && !d.acquire_release);
	CHECK(d.write);
	CHECK(d.fault.kind == ABORT_FAULT_PERMISSION && d.fault.level == 3);
	CHECK_EQ(abort_dabt_load_value(&d, 0xff), 0);
	CHECK_EQ(abort_dabt_store_value(&d, 0xff), 0);
}

TEST(abort_wrong_class_untouched)
{
	struct abort_dabt d = { .size = 77 };
	struct abort_iabt ia = { .ifsc = 77 };
	struct abort_sysreg s = { .rt = 77 };
	struct abort_call c = { .imm = 77 };
	struct abort_wfx w = { .rn = 77 };

	CHECK_EQ(abort_dabt_decode(esr(ESR_EC_IABT_LOW, 0x7), &d), ABORT_ERR_CLASS);
	CHECK_EQ(abort_iabt_decode(esr(ESR_EC_DABT_LOW, 0x7), &ia), ABORT_ERR_CLASS);
	CHECK_EQ(abort_sysreg_decode(esr(ESR_EC_HVC64, 0), &s), ABORT_ERR_CLASS);
	CHECK_EQ(abort_call_decode(esr(ESR_EC_SYS64, 0), &c), ABORT_ERR_CLASS);
	CHECK_EQ(abort_call_decode(esr(0x15, 0), &c), ABORT_ERR_CLASS); /* SVC */
	CHECK_EQ(abort_wfx_decode(esr(ESR_EC_UNKNOWN, 0), &w), ABORT_ERR_CLASS);
	CHECK_EQ(d.size, 77);
	CHECK_EQ(ia.ifsc, 77);
	CHECK_EQ(s.rt, 77);
	CHECK_EQ(c.imm, 77);
	CHECK_EQ(w.rn, 77);
}

TEST(abort_fault_table)
{
	static const struct {
		unsigned int fsc;
		enum abort_fault_kind kind;
		bool has_level;
		int level;
	} cases[] = {
		{ 0x00, ABORT_FAULT_ADDR_SIZE, true, 0 },
		{ 0x03, ABORT_FAULT_ADDR_SIZE, true, 3 },
		{ 0x29, ABORT_FAULT_ADDR_SIZE, true, -1 },
		{ 0x2c, ABORT_FAULT_ADDR_SIZE, true, -2 },
		{ 0x04, ABORT_FAULT_TRANSLATION, true, 0 },
		{ 0x05, ABORT_FAULT_TRANSLATION, true, 1 },
		{ 0x06, ABORT_FAULT_TRANSLATION, true, 2 },
		{ 0x07, ABORT_FAULT_TRANSLATION, true, 3 },
		{ 0x2b, ABORT_FAULT_TRANSLATION, true, -1 },
		{ 0x2a, ABORT_FAULT_TRANSLATION, true, -2 },
		{ 0x08, ABORT_FAULT_ACCESS_FLAG, true, 0 },
		{ 0x09, ABORT_FAULT_ACCESS_FLAG, true, 1 },
		{ 0x0b, ABORT_FAULT_ACCESS_FLAG, true, 3 },
		{ 0x0c, ABORT_FAULT_PERMISSION, true, 0 },
		{ 0x0d, ABORT_FAULT_PERMISSION, true, 1 },
		{ 0x0e, ABORT_FAULT_PERMISSION, true, 2 },
		{ 0x0f, ABORT_FAULT_PERMISSION, true, 3 },
		{ 0x10, ABORT_FAULT_EXTERNAL, false, 0 },
		{ 0x11, ABORT_FAULT_TAG_CHECK, false, 0 },
		{ 0x12, ABORT_FAULT_EXTERNAL_WALK, true, -2 },
		{ 0x13, ABORT_FAULT_EXTERNAL_WALK, true, -1 },
		{ 0x14, ABORT_FAULT_EXTERNAL_WALK, true, 0 },
		{ 0x17, ABORT_FAULT_EXTERNAL_WALK, true, 3 },
		{ 0x18, ABORT_FAULT_PARITY, false, 0 },
		{ 0x1b, ABORT_FAULT_PARITY_WALK, true, -1 },
		{ 0x1c, ABORT_FAULT_PARITY_WALK, true, 0 },
		{ 0x1f, ABORT_FAULT_PARITY_WALK, true, 3 },
		{ 0x21, ABORT_FAULT_ALIGNMENT, false, 0 },
		{ 0x22, ABORT_FAULT_GPF_WALK, true, -2 },
		{ 0x23, ABORT_FAULT_GPF_WALK, true, -1 },
		{ 0x24, ABORT_FAULT_GPF_WALK, true, 0 },
		{ 0x27, ABORT_FAULT_GPF_WALK, true, 3 },
		{ 0x28, ABORT_FAULT_GPF, false, 0 },
		{ 0x30, ABORT_FAULT_TLB_CONFLICT, false, 0 },
		{ 0x31, ABORT_FAULT_ATOMIC_HW_UPDATE, false, 0 },
		{ 0x34, ABORT_FAULT_LOCKDOWN, false, 0 },
		{ 0x35, ABORT_FAULT_EXCLUSIVE, false, 0 },
		{ 0x47, ABORT_FAULT_TRANSLATION, true, 3 }, /* bits above [5:0] ignored */
	};
	static const unsigned int reserved[] = { 0x19, 0x1a, 0x20, 0x2d, 0x2e, 0x2f,
						 0x32, 0x33, 0x36, 0x3d, 0x3e, 0x3f };

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct abort_fault f = abort_fault_decode(cases[i].fsc);

		if (f.kind != cases[i].kind || f.has_level != cases[i].has_level ||
		    f.level != cases[i].level)
			fprintf(stderr, "  fsc 0x%02x: kind %d level %d/%d\n", cases[i].fsc,
				(int)f.kind, f.has_level, f.level);
		CHECK(f.kind == cases[i].kind);
		CHECK_EQ(f.has_level, cases[i].has_level);
		CHECK(f.level == cases[i].level);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(reserved); i++)
		CHECK(abort_fault_decode(reserved[i]).kind == ABORT_FAULT_RESERVED);
	/* Every code has a name, and the kinds are told apart by it. */
	for (unsigned int fsc = 0; fsc < 64; fsc++)
		CHECK(abort_fault_kind_name(abort_fault_decode(fsc).kind)[0] != '\0');
	CHECK(strcmp(abort_fault_kind_name(ABORT_FAULT_TRANSLATION), "translation fault") == 0);
	CHECK(strcmp(abort_fault_kind_name(ABORT_FAULT_PERMISSION), "permission fault") == 0);
	CHECK(strcmp(abort_fault_kind_name(ABORT_FAULT_ACCESS_FLAG), "access flag fault") == 0);
	CHECK(strcmp(abort_fault_kind_name(ABORT_FAULT_RESERVED), "reserved fault status") == 0);
	CHECK(strcmp(abort_fault_kind_name(ABORT_FAULT_EXCLUSIVE),
		     abort_fault_kind_name(ABORT_FAULT_LOCKDOWN)) != 0);
}

TEST(abort_load_extend_cases)
{
	static const struct {
		uint64_t data;
		unsigned int size;
		bool sse, sf;
		uint64_t expect;
	} cases[] = {
		{ 0x80, 1, true, false, 0xffffff80ULL },	      /* ldrsb w */
		{ 0x80, 1, true, true, 0xffffffffffffff80ULL },	      /* ldrsb x */
		{ 0x80, 1, false, false, 0x80 },		      /* ldrb */
		{ 0x7f, 1, true, true, 0x7f },			      /* positive stays */
		{ 0xdeadbe80, 1, true, false, 0xffffff80ULL },	      /* device noise above */
		{ 0xdeadbe7f, 1, false, true, 0x7f },		      /* ... is dropped */
		{ 0x8000, 2, true, false, 0xffff8000ULL },	      /* ldrsh w */
		{ 0x8000, 2, true, true, 0xffffffffffff8000ULL },     /* ldrsh x */
		{ 0x18000, 2, false, false, 0x8000 },		      /* ldrh */
		{ 0x80000000, 4, true, true, 0xffffffff80000000ULL }, /* ldrsw */
		{ 0x80000000, 4, false, false, 0x80000000ULL },	      /* ldr w */
		{ 0x80000000, 4, true, false, 0x80000000ULL },	      /* 32 into 32 */
		{ 0x1234567880000000ULL, 4, false, true, 0x80000000ULL },
		{ 0x8000000000000001ULL, 8, false, true, 0x8000000000000001ULL },
		{ 0x8000000000000001ULL, 8, true, true, 0x8000000000000001ULL },
		{ 0xffffffff12345678ULL, 8, false, false,
		  0x12345678ULL }, /* W write clears [63:32] */
		{ 0xff, 0, true, true, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(abort_load_extend(cases[i].data, cases[i].size, cases[i].sse, cases[i].sf),
			 cases[i].expect);
}

TEST(abort_store_and_gpr)
{
	uint64_t x[31];
	struct abort_dabt d;

	for (unsigned int i = 0; i < 31; i++)
		x[i] = 0x1111111111111111ULL * (i % 15 + 1);
	CHECK_EQ(abort_store_truncate(0x1122334455667788ULL, 1), 0x88);
	CHECK_EQ(abort_store_truncate(0x1122334455667788ULL, 2), 0x7788);
	CHECK_EQ(abort_store_truncate(0x1122334455667788ULL, 4), 0x55667788);
	CHECK_EQ(abort_store_truncate(0x1122334455667788ULL, 8), 0x1122334455667788ULL);

	/* strb w4 */
	REQUIRE(abort_dabt_decode(
			esr(ESR_EC_DABT_LOW, dabt_iss(0, false, 4, false, false, true, 7)), &d) ==
		0);
	CHECK_EQ(abort_dabt_store_value(&d, abort_gpr_get(x, d.reg)), 0x55);
	/* str xzr: the zero register, not x31 or SP */
	REQUIRE(abort_dabt_decode(
			esr(ESR_EC_DABT_LOW, dabt_iss(3, false, 31, true, false, true, 7)), &d) ==
		0);
	CHECK_EQ(d.reg, ABORT_REG_ZR);
	CHECK_EQ(abort_dabt_store_value(&d, abort_gpr_get(x, d.reg)), 0);
	/* ldrsb w30 */
	REQUIRE(abort_dabt_decode(
			esr(ESR_EC_DABT_LOW, dabt_iss(0, true, 30, false, false, false, 7)), &d) ==
		0);
	abort_gpr_set(x, d.reg, abort_dabt_load_value(&d, 0xf0));
	CHECK_EQ(x[30], 0xfffffff0ULL);
	/* ldr wzr: the load happens (device side effects) but nothing is written */
	abort_gpr_set(x, ABORT_REG_ZR, 0xabc);
	abort_gpr_set(x, 40, 0xabc);
	CHECK_EQ(x[30], 0xfffffff0ULL);
	CHECK_EQ(x[0], 0x1111111111111111ULL);
	CHECK_EQ(abort_gpr_get(x, 0), 0x1111111111111111ULL);
	CHECK_EQ(abort_gpr_get(x, 40), 0);
}

TEST(abort_iabt)
{
	struct abort_iabt a;

	REQUIRE(abort_iabt_decode(esr(ESR_EC_IABT_LOW, 0x0f), &a) == 0);
	CHECK(!a.same_el && a.il32);
	CHECK(a.fault.kind == ABORT_FAULT_PERMISSION && a.fault.level == 3);
	CHECK(!a.s1ptw && !a.fnv && !a.ea);

	REQUIRE(abort_iabt_decode(esr(ESR_EC_IABT_CUR,
				      (2U << 11) | (1U << 10) | (1U << 9) | (1U << 7) | 0x10),
				  &a) == 0);
	CHECK(a.same_el && a.fnv && a.ea && a.s1ptw);
	CHECK_EQ(a.set, 2);
	CHECK_EQ(a.ifsc, 0x10);
	CHECK(a.fault.kind == ABORT_FAULT_EXTERNAL);
}

static uint32_t sys_iss(unsigned int op0, unsigned int op1, unsigned int crn, unsigned int crm,
			unsigned int op2, unsigned int rt, bool read)
{
	return (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) |
	       (read ? 1U : 0U);
}

TEST(abort_sysreg)
{
	struct abort_sysreg s;

	/* mrs x3, ID_AA64PFR0_EL1 (S3_0_C0_C4_0) */
	REQUIRE(abort_sysreg_decode(esr(ESR_EC_SYS64, sys_iss(3, 0, 0, 4, 0, 3, true)), &s) == 0);
	CHECK(s.read);
	CHECK_EQ(s.op0, 3);
	CHECK_EQ(s.op1, 0);
	CHECK_EQ(s.crn, 0);
	CHECK_EQ(s.crm, 4);
	CHECK_EQ(s.op2, 0);
	CHECK_EQ(s.rt, 3);
	CHECK_EQ(abort_sysreg_key(&s), ABORT_SYSREG_KEY(3, 0, 0, 4, 0));

	/* msr ICC_SGI1R_EL1, x5 (S3_0_C12_C11_5) */
	REQUIRE(abort_sysreg_decode(esr(ESR_EC_SYS64, sys_iss(3, 0, 12, 11, 5, 5, false)), &s) ==
		0);
	CHECK(!s.read);
	CHECK_EQ(s.crn, 12);
	CHECK_EQ(s.crm, 11);
	CHECK_EQ(s.op2, 5);
	CHECK_EQ(s.rt, 5);
	CHECK_EQ(abort_sysreg_key(&s), ABORT_SYSREG_KEY(3, 0, 12, 11, 5));
	CHECK(abort_sysreg_key(&s) != ABORT_SYSREG_KEY(3, 0, 12, 11, 6));

	/* Every field at its maximum, Rt = XZR: no field bleeds into another. */
	REQUIRE(abort_sysreg_decode(esr(ESR_EC_SYS64, sys_iss(3, 7, 15, 15, 7, 31, true)), &s) ==
		0);
	CHECK_EQ(s.op1, 7);
	CHECK_EQ(s.crn, 15);
	CHECK_EQ(s.crm, 15);
	CHECK_EQ(s.op2, 7);
	CHECK_EQ(s.rt, 31);
	/* The key is the ISS without Rt and Direction. */
	CHECK_EQ(abort_sysreg_key(&s), sys_iss(3, 7, 15, 15, 7, 0, false));
}

TEST(abort_hvc_smc)
{
	struct abort_call c;

	REQUIRE(abort_call_decode(esr(ESR_EC_HVC64, 0), &c) == 0);
	CHECK(!c.smc);
	CHECK_EQ(c.imm, 0);
	REQUIRE(abort_call_decode(esr(ESR_EC_HVC64, 0x1ff1234), &c) == 0); /* RES0 bits ignored */
	CHECK_EQ(c.imm, 0x1234);
	REQUIRE(abort_call_decode(esr(ESR_EC_SMC64, 0xffff), &c) == 0);
	CHECK(c.smc);
	CHECK_EQ(c.imm, 0xffff);
}

TEST(abort_wfx)
{
	struct abort_wfx w;
	uint32_t aarch64 = (1U << 24) | (0xeU << 20);

	REQUIRE(abort_wfx_decode(esr(ESR_EC_WFX, aarch64), &w) == 0);
	CHECK(w.kind == ABORT_WFI && !w.rv && w.cv);
	CHECK_EQ(w.cond, 0xe);
	REQUIRE(abort_wfx_decode(esr(ESR_EC_WFX, aarch64 | 1), &w) == 0);
	CHECK(w.kind == ABORT_WFE && !w.rv);
	REQUIRE(abort_wfx_decode(esr(ESR_EC_WFX, aarch64 | (7U << 5) | (1U << 2) | 2), &w) == 0);
	CHECK(w.kind == ABORT_WFIT && w.rv);
	CHECK_EQ(w.rn, 7);
	REQUIRE(abort_wfx_decode(esr(ESR_EC_WFX, aarch64 | (31U << 5) | (1U << 2) | 3), &w) == 0);
	CHECK(w.kind == ABORT_WFET && w.rv);
	CHECK_EQ(w.rn, 31);
}
