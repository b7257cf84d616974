/* SPDX-License-Identifier: MIT */
/* Host stand-in for the per-vCPU architectural state. */
#ifndef ARCH_VCPU_H
#define ARCH_VCPU_H

#include <rhenium/types.h>

#define ARCH_VGIC_MAX_LRS 16

struct arch_vcpu {
	uint64_t lr[ARCH_VGIC_MAX_LRS];
	unsigned int lr_used;
	uint64_t ich_hcr;
	uint64_t skipped; /* instructions skipped, for tests */
	uint64_t injected_aborts;
	uint64_t injected_undefs;
	uint64_t last_abort_far;
	uint64_t timer_deadline; /* 0: timer off */
};

#endif
