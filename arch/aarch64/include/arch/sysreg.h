/* SPDX-License-Identifier: MIT */
/*
 * System register access and the bit fields Rhenium programs at EL2.
 * Field positions follow the Arm ARM (DDI 0487), chapter D19 (AArch64 system
 * register descriptions).
 */
#ifndef ARCH_SYSREG_H
#define ARCH_SYSREG_H

#include <rhenium/types.h>

#define STR_(x) #x
#define STR(x) STR_(x)

#define sysreg_read(reg)                                                    \
	({                                                                  \
		uint64_t sysreg_rval_;                                      \
		__asm__ volatile("mrs %0, " STR(reg) : "=r"(sysreg_rval_)); \
		sysreg_rval_;                                               \
	})

#define sysreg_write(reg, val)                                                          \
	do {                                                                            \
		uint64_t sysreg_val_ = (uint64_t)(val);                                 \
		__asm__ volatile("msr " STR(reg) ", %0" ::"r"(sysreg_val_) : "memory"); \
	} while (0)

static inline void isb(void)
{
	__asm__ volatile("isb" ::: "memory");
}

static inline void dsb_sy(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline void dsb_ish(void)
{
	__asm__ volatile("dsb ish" ::: "memory");
}

static inline void dsb_ishst(void)
{
	__asm__ volatile("dsb ishst" ::: "memory");
}

/* CurrentEL.EL, bits [3:2] */
#define CURRENT_EL_SHIFT 2

/* MPIDR_EL1: affinity fields; Aff3 lives apart from the others at [39:32]. */
#define MPIDR_AFF_MASK 0xff00ffffffULL

/* SCTLR_EL2 (nVHE layout) */
#define SCTLR_EL2_M (1ULL << 0)	   /* stage-1 MMU */
#define SCTLR_EL2_A (1ULL << 1)	   /* alignment check */
#define SCTLR_EL2_C (1ULL << 2)	   /* data cacheability */
#define SCTLR_EL2_SA (1ULL << 3)   /* SP alignment check */
#define SCTLR_EL2_I (1ULL << 12)   /* instruction cacheability */
#define SCTLR_EL2_WXN (1ULL << 19) /* writable implies execute-never */
#define SCTLR_EL2_EE (1ULL << 25)
/* Bits that are RES1 in the nVHE SCTLR_EL2 layout: 4,5,11,16,18,22,23,28,29. */
#define SCTLR_EL2_RES1                                                                           \
	((1ULL << 4) | (1ULL << 5) | (1ULL << 11) | (1ULL << 16) | (1ULL << 18) | (1ULL << 22) | \
	 (1ULL << 23) | (1ULL << 28) | (1ULL << 29))

/* HCR_EL2 */
#define HCR_EL2_RW (1ULL << 31) /* EL1 is AArch64 */
#define HCR_EL2_E2H (1ULL << 34)

/* TCR_EL2 (nVHE layout) */
#define TCR_EL2_T0SZ(bits) ((uint64_t)(64 - (bits)))
#define TCR_EL2_IRGN0_WBWA (1ULL << 8)
#define TCR_EL2_ORGN0_WBWA (1ULL << 10)
#define TCR_EL2_SH0_INNER (3ULL << 12)
#define TCR_EL2_TG0_4K (0ULL << 14)
#define TCR_EL2_PS_SHIFT 16
#define TCR_EL2_RES1 ((1ULL << 31) | (1ULL << 23))

/* ID_AA64MMFR0_EL1.PARange */
#define ID_AA64MMFR0_PARANGE_MASK 0xfULL

/* MAIR attribute encodings, index chosen by the AttrIndx in descriptors. */
#define MAIR_ATTR_DEVICE_nGnRnE 0x00ULL
#define MAIR_ATTR_DEVICE_nGnRE 0x04ULL
#define MAIR_ATTR_NORMAL_NC 0x44ULL
#define MAIR_ATTR_NORMAL_WB 0xffULL

/* ESR_ELx */
#define ESR_EC_SHIFT 26
#define ESR_EC_MASK 0x3fULL
#define ESR_IL (1ULL << 25)
#define ESR_ISS_MASK 0x1ffffffULL

#endif
