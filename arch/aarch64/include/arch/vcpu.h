/* SPDX-License-Identifier: MIT */
/*
 * Per-vCPU architectural state that lives in the CPU while the vCPU is
 * loaded (arch_vcpu_load) and in memory otherwise (arch_vcpu_put).
 */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <rhenium/types.h>

#define ARCH_VGIC_MAX_LRS 16
#define ARCH_MAX_BREAKPOINTS 16
#define ARCH_MAX_WATCHPOINTS 16
#define ARCH_MAX_PMU_COUNTERS 31

struct arch_fpsimd {
	uint64_t q[32][2];
	uint64_t fpsr;
	uint64_t fpcr;
};

struct arch_el1_sysregs {
	uint64_t sctlr, actlr, cpacr, ttbr0, ttbr1, tcr, esr, afsr0, afsr1, far, mair, amair, vbar,
		contextidr, tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr, spsr, par,
		cntkctl, csselr, mdscr;
	uint64_t apiakey[2], apibkey[2], apdakey[2], apdbkey[2], apgakey[2];
};

struct arch_debug {
	uint64_t bvr[ARCH_MAX_BREAKPOINTS], bcr[ARCH_MAX_BREAKPOINTS];
	uint64_t wvr[ARCH_MAX_WATCHPOINTS], wcr[ARCH_MAX_WATCHPOINTS];
	uint64_t mdccint;
	bool os_lock; /* OSLSR_EL1.OSLK: set at reset, as on a cold-reset CPU */
};

struct arch_pmu {
	uint64_t pmcr, pmcntenset, pmintenset, pmovsset, pmselr, pmuserenr, pmccntr, pmccfiltr;
	uint64_t evcntr[ARCH_MAX_PMU_COUNTERS], evtyper[ARCH_MAX_PMU_COUNTERS];
};

struct arch_vcpu {
	/* Trap and stage-2 controls, fixed when the vCPU is created. */
	uint64_t hcr;
	uint64_t vttbr;
	uint64_t vtcr;
	uint64_t vmpidr;
	uint64_t mdcr;
	uint64_t cptr;
	uint64_t cnthctl;
	uint64_t parange; /* ID_AA64MMFR0_EL1.PARange shown to the guest: its IPA size */

	struct arch_el1_sysregs el1;
	struct arch_fpsimd fp;
	uint64_t cntv_ctl, cntv_cval;
	struct arch_debug debug;
	struct arch_pmu pmu;

	/* GIC virtual CPU interface: list registers are refilled on every entry. */
	uint64_t lr[ARCH_VGIC_MAX_LRS];
	unsigned int lr_used; /* leading entries of lr[] the last vgic_flush may have filled */
	uint64_t ich_hcr;
	uint64_t ich_vmcr;
	uint64_t ich_ap0r[4], ich_ap1r[4];

	bool loaded;
	bool first_run;
	/* Physical PPIs left active for the guest when it was put (HW-linked forwarding). */
	bool vtimer_active;
	bool pmu_active;
};

#endif
