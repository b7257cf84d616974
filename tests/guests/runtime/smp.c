// SPDX-License-Identifier: MIT
/*
 * Secondary CPUs: PSCI CPU_ON into start.S's guest_secondary_entry, which
 * takes its stack and index from the struct cpu_boot passed as the context
 * id and calls guest_secondary_start() here.
 */
#include "internal.h"

/* Enough for printf and a nested exception frame or two. */
#define CPU_STACK_SIZE 8192

/* start.S reads the first two fields: keep them first and in this order. */
struct cpu_boot {
	uint64_t stack_top;
	uint64_t index; /* guest_cpu() on that CPU */
	void (*fn)(void *arg);
	void *arg;
};

static uint8_t cpu_stacks[GUEST_MAX_CPUS][CPU_STACK_SIZE] __attribute__((aligned(16)));
static struct cpu_boot cpu_boot[GUEST_MAX_CPUS];

int64_t guest_cpu_start(unsigned index, void (*fn)(void *arg), void *arg)
{
	if (index >= guest_platform.ncpus || index == guest_cpu())
		return PSCI_RET_INVALID_PARAMETERS;

	struct cpu_boot *boot = &cpu_boot[index];

	boot->stack_top = (uint64_t)(uintptr_t)(cpu_stacks[index] + CPU_STACK_SIZE);
	boot->index = index;
	boot->fn = fn;
	boot->arg = arg;
	/* The new CPU reads it with its MMU off, like us: only ordering matters. */
	dsb(sy);
	return (int64_t)smccc_call(PSCI_CPU_ON_64, guest_platform.cpu_mpidr[index],
				   (uint64_t)(uintptr_t)guest_secondary_entry,
				   (uint64_t)(uintptr_t)boot)
		.a0;
}

void guest_secondary_start(struct cpu_boot *boot)
{
	boot->fn(boot->arg);
	irq_disable();
	smccc_call(PSCI_CPU_OFF, 0, 0, 0);
	for (;;)
		wfi();
}
