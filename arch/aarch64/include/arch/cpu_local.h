/* SPDX-License-Identifier: MIT */
/*
 * Per-physical-CPU data, reached through TPIDR_EL2 so that the exception
 * vectors can find the running vCPU's register save area without a stack.
 */
#ifndef ARCH_CPU_LOCAL_H
#define ARCH_CPU_LOCAL_H

#include <arch/layout.h>
#include <arch/sysreg.h>

#include <rhenium/types.h>

struct vcpu_regs;

struct cpu_local {
	uint64_t index;
	/* Where vcpu_switch.S saves guest registers on an exit; NULL when no guest runs. */
	struct vcpu_regs *guest_regs;
	uint64_t pad[6];
};

_Static_assert(sizeof(struct cpu_local) == CPU_LOCAL_SIZE, "layout shared with assembly");

extern struct cpu_local cpu_locals[ARCH_MAX_CPUS];

static inline struct cpu_local *cpu_local_get(void)
{
	return (struct cpu_local *)(uintptr_t)sysreg_read(tpidr_el2);
}

#endif
