/* SPDX-License-Identifier: MIT */
/*
 * ESR_EL2 syndrome decoding; bit positions are those of the Arm ARM
 * (DDI 0487 M.a.a) D24.2.46, section by section below.
 */
#include <rhenium/abort.h>

/* "ISS encoding for an exception from a Data Abort" (instruction abort: subset) */
#define DABT_ISV (1U << 24)
#define DABT_SAS_POS 22
#define DABT_SSE (1U << 21)
#define DABT_SRT_POS 16
#define DABT_SF (1U << 15)
#define DABT_AR (1U << 14)
#define DABT_VNCR (1U << 13)
#define DABT_SET_POS 11
#define DABT_FNV (1U << 10)
#define DABT_EA (1U << 9)
#define DABT_CM (1U << 8)
#define DABT_S1PTW (1U << 7)
#define DABT_WNR (1U << 6)
#define ABT_FSC_BITS 0x3fU

static uint32_t abort_field(uint32_t iss, unsigned int pos, uint32_t bits)
{
	return (iss >> pos) & bits;
}

static struct abort_fault abort_fault_level(enum abort_fault_kind kind, int level)
{
	struct abort_fault f = { kind, true, level };

	return f;
}

static struct abort_fault abort_fault_plain(enum abort_fault_kind kind)
{
	struct abort_fault f = { kind, false, 0 };

	return f;
}

/*
 * The DFSC table. Levels 0..3 sit in the low two bits of four-code groups;
 * levels -1 and -2 (FEAT_LPA2, FEAT_D128) were squeezed into codes that
 * were free, so they are listed one by one.
 */
struct abort_fault abort_fault_decode(unsigned int fsc)
{
	int level = (int)(fsc & 3U);

	fsc &= ABT_FSC_BITS;
	switch (fsc >> 2) {
	case 0x0:
		return abort_fault_level(ABORT_FAULT_ADDR_SIZE, level);
	case 0x1:
		return abort_fault_level(ABORT_FAULT_TRANSLATION, level);
	case 0x2:
		return abort_fault_level(ABORT_FAULT_ACCESS_FLAG, level);
	case 0x3:
		return abort_fault_level(ABORT_FAULT_PERMISSION, level);
	case 0x5:
		return abort_fault_level(ABORT_FAULT_EXTERNAL_WALK, level);
	case 0x7:
		return abort_fault_level(ABORT_FAULT_PARITY_WALK, level);
	case 0x9:
		return abort_fault_level(ABORT_FAULT_GPF_WALK, level);
	default:
		break;
	}
	switch (fsc) {
	case 0x10:
		return abort_fault_plain(ABORT_FAULT_EXTERNAL);
	case 0x11:
		return abort_fault_plain(ABORT_FAULT_TAG_CHECK);
	case 0x12:
		return abort_fault_level(ABORT_FAULT_EXTERNAL_WALK, -2);
	case 0x13:
		return abort_fault_level(ABORT_FAULT_EXTERNAL_WALK, -1);
	case 0x18:
		return abort_fault_plain(ABORT_FAULT_PARITY);
	case 0x1b:
		return abort_fault_level(ABORT_FAULT_PARITY_WALK, -1);
	case 0x21:
		return abort_fault_plain(ABORT_FAULT_ALIGNMENT);
	case 0x22:
		return abort_fault_level(ABORT_FAULT_GPF_WALK, -2);
	case 0x23:
		return abort_fault_level(ABORT_FAULT_GPF_WALK, -1);
	case 0x28:
		return abort_fault_plain(ABORT_FAULT_GPF);
	case 0x29:
		return abort_fault_level(ABORT_FAULT_ADDR_SIZE, -1);
	case 0x2a:
		return abort_fault_level(ABORT_FAULT_TRANSLATION, -2);
	case 0x2b:
		return abort_fault_level(ABORT_FAULT_TRANSLATION, -1);
	case 0x2c:
		return abort_fault_level(ABORT_FAULT_ADDR_SIZE, -2);
	case 0x30:
		return abort_fault_plain(ABORT_FAULT_TLB_CONFLICT);
	case 0x31:
		return abort_fault_plain(ABORT_FAULT_ATOMIC_HW_UPDATE);
	case 0x34:
		return abort_fault_plain(ABORT_FAULT_LOCKDOWN);
	case 0x35:
		return abort_fault_plain(ABORT_FAULT_EXCLUSIVE);
	default:
		return abort_fault_plain(ABORT_FAULT_RESERVED);
	}
}

const char *abort_fault_kind_name(enum abort_fault_kind kind)
{
	switch (kind) {
	case ABORT_FAULT_ADDR_SIZE:
		return "address size fault";
	case ABORT_FAULT_TRANSLATION:
		return "translation fault";
	case ABORT_FAULT_ACCESS_FLAG:
		return "access flag fault";
	case ABORT_FAULT_PERMISSION:
		return "permission fault";
	case ABORT_FAULT_EXTERNAL:
		return "synchronous external abort";
	case ABORT_FAULT_EXTERNAL_WALK:
		return "synchronous external abort on table walk";
	case ABORT_FAULT_PARITY:
		return "parity/ECC error";
	case ABORT_FAULT_PARITY_WALK:
		return "parity/ECC error on table walk";
	case ABORT_FAULT_TAG_CHECK:
		return "tag check fault";
	case ABORT_FAULT_ALIGNMENT:
		return "alignment fault";
	case ABORT_FAULT_GPF:
		return "granule protection fault";
	case ABORT_FAULT_GPF_WALK:
		return "granule protection fault on table walk";
	case ABORT_FAULT_TLB_CONFLICT:
		return "TLB conflict abort";
	case ABORT_FAULT_ATOMIC_HW_UPDATE:
		return "unsupported atomic hardware update";
	case ABORT_FAULT_LOCKDOWN:
		return "lockdown abort";
	case ABORT_FAULT_EXCLUSIVE:
		return "unsupported exclusive or atomic access";
	case ABORT_FAULT_RESERVED:
		break;
	}
	return "reserved fault status";
}

int abort_dabt_decode(uint64_t esr, struct abort_dabt *out)
{
	unsigned int ec = abort_esr_ec(esr);
	uint32_t iss = abort_esr_iss(esr);
	bool isv = (iss & DABT_ISV) != 0;

	if (ec != ESR_EC_DABT_LOW && ec != ESR_EC_DABT_CUR)
		return ABORT_ERR_CLASS;
	/*
	 * Field by field into *out, every field written: this runs on every
	 * MMIO trap, and a zeroed local copied out cost a memset and a memcpy.
	 */
	out->same_el = ec == ESR_EC_DABT_CUR;
	out->il32 = abort_esr_il32(esr);
	out->isv = isv;
	/* Without ISV, bits [23:14] carry other fields (TopLevel, WU, FnP, PFV): keep them out. */
	out->size = isv ? 1U << abort_field(iss, DABT_SAS_POS, 3) : 0;
	out->sign_extend = isv && (iss & DABT_SSE) != 0;
	out->reg = isv ? abort_field(iss, DABT_SRT_POS, 0x1f) : 0;
	out->reg64 = isv && (iss & DABT_SF) != 0;
	out->acquire_release = isv && (iss & DABT_AR) != 0;
	out->vncr = (iss & DABT_VNCR) != 0;
	out->set = abort_field(iss, DABT_SET_POS, 3);
	out->fnv = (iss & DABT_FNV) != 0;
	out->ea = (iss & DABT_EA) != 0;
	out->cm = (iss & DABT_CM) != 0;
	out->s1ptw = (iss & DABT_S1PTW) != 0;
	out->write = (iss & DABT_WNR) != 0;
	out->dfsc = iss & ABT_FSC_BITS;
	out->fault = abort_fault_decode(out->dfsc);
	return 0;
}

bool abort_dabt_can_emulate(const struct abort_dabt *d)
{
	return d->isv && !d->s1ptw && !d->cm;
}

uint64_t abort_load_extend(uint64_t data, unsigned int size, bool sign_extend, bool reg64)
{
	unsigned int bits = size >= 8 ? 64 : size * 8;
	uint64_t value = abort_store_truncate(data, size);

	if (bits == 0)
		return 0;
	if (sign_extend && bits < 64 && (value >> (bits - 1)) & 1)
		value |= ~0ULL << bits;
	/* Every A64 write to a W register clears the upper half of the X register. */
	if (!reg64)
		value &= 0xffffffffULL;
	return value;
}

uint64_t abort_store_truncate(uint64_t reg, unsigned int size)
{
	if (size >= 8)
		return reg;
	return reg & ((1ULL << (size * 8)) - 1);
}

uint64_t abort_dabt_load_value(const struct abort_dabt *d, uint64_t data)
{
	return abort_load_extend(data, d->size, d->sign_extend, d->reg64);
}

uint64_t abort_dabt_store_value(const struct abort_dabt *d, uint64_t reg)
{
	return abort_store_truncate(reg, d->size);
}

uint64_t abort_gpr_get(const uint64_t x[31], unsigned int reg)
{
	return reg < ABORT_REG_ZR ? x[reg] : 0;
}

void abort_gpr_set(uint64_t x[31], unsigned int reg, uint64_t value)
{
	if (reg < ABORT_REG_ZR)
		x[reg] = value;
}

int abort_iabt_decode(uint64_t esr, struct abort_iabt *out)
{
	unsigned int ec = abort_esr_ec(esr);
	uint32_t iss = abort_esr_iss(esr);
	struct abort_iabt a = { 0 };

	if (ec != ESR_EC_IABT_LOW && ec != ESR_EC_IABT_CUR)
		return ABORT_ERR_CLASS;
	a.same_el = ec == ESR_EC_IABT_CUR;
	a.il32 = abort_esr_il32(esr);
	a.set = abort_field(iss, DABT_SET_POS, 3);
	a.fnv = (iss & DABT_FNV) != 0;
	a.ea = (iss & DABT_EA) != 0;
	a.s1ptw = (iss & DABT_S1PTW) != 0;
	a.ifsc = iss & ABT_FSC_BITS;
	a.fault = abort_fault_decode(a.ifsc);
	*out = a;
	return 0;
}

/*
 * "ISS encoding for an exception from MSR, MRS, or System instruction
 * execution in AArch64 state"
 */
int abort_sysreg_decode(uint64_t esr, struct abort_sysreg *out)
{
	uint32_t iss = abort_esr_iss(esr);

	if (abort_esr_ec(esr) != ESR_EC_SYS64)
		return ABORT_ERR_CLASS;
	out->op0 = abort_field(iss, 20, 3);
	out->op2 = abort_field(iss, 17, 7);
	out->op1 = abort_field(iss, 14, 7);
	out->crn = abort_field(iss, 10, 15);
	out->rt = abort_field(iss, 5, 0x1f);
	out->crm = abort_field(iss, 1, 15);
	out->read = (iss & 1U) != 0;
	return 0;
}

uint32_t abort_sysreg_key(const struct abort_sysreg *s)
{
	return ABORT_SYSREG_KEY(s->op0, s->op1, s->crn, s->crm, s->op2);
}

/* "ISS encoding for an exception from HVC or SVC instruction execution" and the SMC one */
int abort_call_decode(uint64_t esr, struct abort_call *out)
{
	unsigned int ec = abort_esr_ec(esr);

	if (ec != ESR_EC_HVC64 && ec != ESR_EC_SMC64)
		return ABORT_ERR_CLASS;
	out->smc = ec == ESR_EC_SMC64;
	out->imm = (uint16_t)(abort_esr_iss(esr) & 0xffff);
	return 0;
}

/* "ISS encoding for an exception from a WF* instruction" */
int abort_wfx_decode(uint64_t esr, struct abort_wfx *out)
{
	uint32_t iss = abort_esr_iss(esr);

	if (abort_esr_ec(esr) != ESR_EC_WFX)
		return ABORT_ERR_CLASS;
	out->kind = (enum abort_wfx_kind)(iss & 3U);
	out->rv = (iss & (1U << 2)) != 0;
	out->rn = abort_field(iss, 5, 0x1f);
	out->cv = (iss & (1U << 24)) != 0;
	out->cond = abort_field(iss, 20, 15);
	return 0;
}
