/* SPDX-License-Identifier: MIT */
/*
 * Decoding of the ESR_EL2 syndromes a hypervisor acts on: data and
 * instruction aborts (stage-2 faults, MMIO emulation), trapped MSR/MRS,
 * HVC/SMC and WFI/WFE. Field layouts follow the Arm ARM (DDI 0487 M.a.a),
 * D24.2.46 "ESR_EL2, Exception Syndrome Register (EL2)". Pure functions on
 * the syndrome value: nothing here reads a system register, so the exit
 * handler passes in the ESR it saved.
 *
 * Every decoder checks the exception class first and returns
 * ABORT_ERR_CLASS for a syndrome of another class, leaving *out untouched.
 */
#ifndef RHENIUM_ABORT_H
#define RHENIUM_ABORT_H

#include <rhenium/types.h>

/* ESR_EL2.EC values this module decodes (an enum, so it cannot collide with arch macros). */
enum esr_ec {
	ESR_EC_UNKNOWN = 0x00,
	ESR_EC_WFX = 0x01,
	ESR_EC_HVC64 = 0x16,
	ESR_EC_SMC64 = 0x17,
	ESR_EC_SYS64 = 0x18,
	ESR_EC_IABT_LOW = 0x20, /* instruction abort from a lower EL (the guest) */
	ESR_EC_IABT_CUR = 0x21,
	ESR_EC_DABT_LOW = 0x24, /* data abort from a lower EL (the guest) */
	ESR_EC_DABT_CUR = 0x25,
};

#define ABORT_ERR_CLASS (-1) /* the syndrome is not of the class the decoder handles */

/* The general-purpose register number that means XZR/WZR in a load/store syndrome. */
#define ABORT_REG_ZR 31U

/* The syndrome's fields, inline: every exit asks for its class first. */
static inline unsigned int abort_esr_ec(uint64_t esr)
{
	return (unsigned int)((esr >> 26) & 0x3f); /* EC, bits [31:26] */
}

/* IL: the trapped instruction is 32 bits long (always, for A64). */
static inline bool abort_esr_il32(uint64_t esr)
{
	return (esr & (1ULL << 25)) != 0;
}

static inline uint32_t abort_esr_iss(uint64_t esr)
{
	return (uint32_t)(esr & 0x1ffffffULL); /* ISS, bits [24:0] */
}

/* ISS2, ESR_EL2[55:32]: extra syndrome of newer features (LS64, THE, POE, GCS). */
static inline uint32_t abort_esr_iss2(uint64_t esr)
{
	return (uint32_t)((esr >> 32) & 0xffffffULL);
}

/* ---- fault status codes (DFSC and IFSC share one encoding) ---- */

enum abort_fault_kind {
	ABORT_FAULT_ADDR_SIZE,	   /* output or input address too large (has a level) */
	ABORT_FAULT_TRANSLATION,   /* no valid descriptor (has a level) */
	ABORT_FAULT_ACCESS_FLAG,   /* descriptor with AF == 0 (has a level) */
	ABORT_FAULT_PERMISSION,	   /* (has a level) */
	ABORT_FAULT_EXTERNAL,	   /* synchronous external abort on the access itself */
	ABORT_FAULT_EXTERNAL_WALK, /* ... on a translation table walk or update (has a level) */
	ABORT_FAULT_PARITY,	   /* parity/ECC error on the access (no FEAT_RAS) */
	ABORT_FAULT_PARITY_WALK,   /* ... on a walk (has a level) */
	ABORT_FAULT_TAG_CHECK,	   /* MTE synchronous tag check fault (data only) */
	ABORT_FAULT_ALIGNMENT,
	ABORT_FAULT_GPF,      /* granule protection fault on the access (FEAT_RME) */
	ABORT_FAULT_GPF_WALK, /* ... on a walk (has a level) */
	ABORT_FAULT_TLB_CONFLICT,
	ABORT_FAULT_ATOMIC_HW_UPDATE, /* unsupported atomic hardware update of a descriptor */
	ABORT_FAULT_LOCKDOWN,	      /* IMPLEMENTATION DEFINED */
	ABORT_FAULT_EXCLUSIVE,	      /* IMPLEMENTATION DEFINED: unsupported exclusive/atomic */
	ABORT_FAULT_RESERVED,	      /* an encoding the architecture does not define */
};

struct abort_fault {
	enum abort_fault_kind kind;
	bool has_level;
	int level; /* lookup level -2..3 when has_level, else 0 */
};

/* Classifies a 6-bit DFSC/IFSC (bits above [5:0] are ignored). */
struct abort_fault abort_fault_decode(unsigned int fsc);
const char *abort_fault_kind_name(enum abort_fault_kind kind);

/* ---- data abort (EC 0x24 / 0x25) ---- */

struct abort_dabt {
	bool same_el; /* EC 0x25 (taken from EL2 itself) rather than 0x24 */
	bool il32;
	/*
	 * Instruction syndrome, meaningful only when isv: the hardware provides it
	 * for stage-2 aborts on single-register loads and stores without
	 * writeback, which is exactly what MMIO accessors compile to. With
	 * isv == false these fields are all zero.
	 */
	bool isv;
	unsigned int size;    /* SAS: 1, 2, 4 or 8 bytes */
	bool sign_extend;     /* SSE: a load sign-extends the data item */
	unsigned int reg;     /* SRT: Wt/Xt; ABORT_REG_ZR (31) is the zero register */
	bool reg64;	      /* SF: Xt rather than Wt */
	bool acquire_release; /* AR */
	/* Always decoded. */
	bool vncr;	  /* fault on an access through VNCR_EL2 (FEAT_NV2) */
	unsigned int set; /* bits [12:11]: SET for external aborts (RAS), LST for LS64 */
	bool fnv;	  /* FAR not valid (external aborts only) */
	bool ea;	  /* IMPLEMENTATION DEFINED external abort type */
	bool cm;	  /* from a cache maintenance or address translation instruction */
	bool s1ptw;	  /* stage-2 fault on a stage-1 table walk: not a data access */
	bool write;	  /* WnR (also 1 for CM faults) */
	unsigned int dfsc;
	struct abort_fault fault;
};

int abort_dabt_decode(uint64_t esr, struct abort_dabt *out);
/*
 * True if the access can be emulated from the syndrome alone: a valid
 * instruction syndrome, a real data access (not a page-table walk, not cache
 * maintenance).
 */
bool abort_dabt_can_emulate(const struct abort_dabt *d);

/*
 * What a load writes to its register: the low `size` bytes of `data`,
 * sign-extended (sign_extend) or zero-extended to the register width; for a W
 * register bits [63:32] of X are zero, as for any A64 write to Wt.
 */
uint64_t abort_load_extend(uint64_t data, unsigned int size, bool sign_extend, bool reg64);
/* What a store sends: the low `size` bytes of the register. */
uint64_t abort_store_truncate(uint64_t reg, unsigned int size);
uint64_t abort_dabt_load_value(const struct abort_dabt *d, uint64_t data);
uint64_t abort_dabt_store_value(const struct abort_dabt *d, uint64_t reg);

/* x[0..30] of a saved guest context; register 31 reads as zero and ignores writes. */
uint64_t abort_gpr_get(const uint64_t x[31], unsigned int reg);
void abort_gpr_set(uint64_t x[31], unsigned int reg, uint64_t value);

/* ---- instruction abort (EC 0x20 / 0x21) ---- */

struct abort_iabt {
	bool same_el;
	bool il32;
	unsigned int set;
	bool fnv;
	bool ea;
	bool s1ptw;
	unsigned int ifsc;
	struct abort_fault fault;
};

int abort_iabt_decode(uint64_t esr, struct abort_iabt *out);

/* ---- trapped MSR, MRS or system instruction (EC 0x18) ---- */

struct abort_sysreg {
	unsigned int op0, op1, crn, crm, op2;
	unsigned int rt; /* 31 is XZR */
	bool read;	 /* Direction 1: MRS (or SYSL); 0: MSR (or SYS) */
};

/*
 * One number per system register, in the ISS bit positions with Rt and
 * Direction cleared, so a handler can switch on abort_sysreg_key() with
 * constant cases built by this macro.
 */
#define ABORT_SYSREG_KEY(op0, op1, crn, crm, op2)                       \
	((((uint32_t)(op0)&3U) << 20) | (((uint32_t)(op2)&7U) << 17) |  \
	 (((uint32_t)(op1)&7U) << 14) | (((uint32_t)(crn)&15U) << 10) | \
	 (((uint32_t)(crm)&15U) << 1))

int abort_sysreg_decode(uint64_t esr, struct abort_sysreg *out);
uint32_t abort_sysreg_key(const struct abort_sysreg *s);

/* ---- HVC and SMC from AArch64 (EC 0x16 / 0x17) ---- */

struct abort_call {
	/*
	 * An HVC's preferred return address is the next instruction; a trapped
	 * SMC (HCR_EL2.TSC) returns to the SMC itself, so the caller must skip it.
	 */
	bool smc;
	uint16_t imm; /* the instruction's imm16 (0 for SMCCC calls) */
};

int abort_call_decode(uint64_t esr, struct abort_call *out);

/* ---- trapped WFI, WFE, WFIT, WFET (EC 0x01) ---- */

enum abort_wfx_kind {
	ABORT_WFI = 0,
	ABORT_WFE = 1,
	ABORT_WFIT = 2, /* FEAT_WFxT: with a timeout in register rn */
	ABORT_WFET = 3,
};

struct abort_wfx {
	enum abort_wfx_kind kind; /* TI */
	bool rv;		  /* RV: rn is valid (set for WFIT/WFET) */
	unsigned int rn;	  /* RN: register holding the timeout (CNTVCT_EL0 value) */
	bool cv;		  /* CV/COND are for AArch32; AArch64 reports CV 1, COND 0b1110 */
	unsigned int cond;
};

int abort_wfx_decode(uint64_t esr, struct abort_wfx *out);

#endif
