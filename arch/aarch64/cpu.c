/* SPDX-License-Identifier: MIT */
#include <arch/cpu_local.h>
#include <arch/layout.h>
#include <arch/sysreg.h>

#include <rhenium/arch.h>
#include <rhenium/string.h>
#include <rhenium/platform.h>

uint64_t smccc_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
uint64_t smccc_hvc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3);
void secondary_entry(void);

unsigned int arch_current_el(void)
{
	return (unsigned int)((sysreg_read(CurrentEL) >> CURRENT_EL_SHIFT) & 3);
}

struct cpu_local cpu_locals[ARCH_MAX_CPUS] __attribute__((aligned(CPU_LOCAL_SIZE)));

unsigned int arch_cpu_index(void)
{
	/* TPIDR_EL2 only exists for us at EL2; a wrong-EL boot is single-CPU. */
	if (arch_current_el() != 2)
		return 0;
	return (unsigned int)cpu_local_get()->index;
}

void arch_cpu_halt(void)
{
	for (;;)
		__asm__ volatile("wfi");
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

uint64_t arch_counter_read(void)
{
	isb();
	return sysreg_read(cntpct_el0);
}

uint64_t arch_counter_freq(void)
{
	return sysreg_read(cntfrq_el0);
}

uint64_t arch_smccc_call(int conduit, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	if (conduit == PSCI_CONDUIT_SMC)
		return smccc_smc(fid, a1, a2, a3);
	if (conduit == PSCI_CONDUIT_HVC)
		return smccc_hvc(fid, a1, a2, a3);
	return (uint64_t)-1; /* SMCCC NOT_SUPPORTED */
}

static uint64_t cpu_dcache_line_size(void)
{
	/* CTR_EL0.DminLine: log2 of the number of 4-byte words in the smallest line. */
	return 4ULL << ((sysreg_read(ctr_el0) >> 16) & 0xf);
}

void arch_dcache_clean_range(const void *va, size_t size)
{
	uint64_t line = cpu_dcache_line_size();
	uintptr_t addr = (uintptr_t)va & ~(uintptr_t)(line - 1);
	uintptr_t end = (uintptr_t)va + size;

	for (; addr < end; addr += line)
		__asm__ volatile("dc cvac, %0" ::"r"(addr) : "memory");
	dsb_sy();
}

void arch_dcache_inval_range(const void *va, size_t size)
{
	uint64_t line = cpu_dcache_line_size();
	uintptr_t addr = (uintptr_t)va & ~(uintptr_t)(line - 1);
	uintptr_t end = (uintptr_t)va + size;

	for (; addr < end; addr += line)
		__asm__ volatile("dc ivac, %0" ::"r"(addr) : "memory");
	dsb_sy();
}

paddr_t arch_secondary_entry_pa(void)
{
	/* Identity-mapped, so the link-time-relocated address is physical. */
	return (paddr_t)(uintptr_t)secondary_entry;
}

uint64_t arch_cpu_mpidr(void)
{
	return sysreg_read(mpidr_el1) & MPIDR_AFF_MASK;
}

void arch_memzero(void *va, size_t size)
{
	uint64_t dczid = sysreg_read(dczid_el0);
	uint64_t block = 4ULL << (dczid & 0xf);
	uintptr_t p = (uintptr_t)va;
	uintptr_t end = p + size;

	/* DZP set: DC ZVA is prohibited; fall back to stores. */
	if (dczid & (1ULL << 4)) {
		memset(va, 0, size);
		return;
	}
	while (p < end && (p & (block - 1))) {
		*(volatile uint8_t *)p = 0;
		p++;
	}
	/* Eight blocks a turn: a VM's RAM is zeroed at every (re)boot, hundreds of MiB. */
	for (; end - p >= 8 * block; p += 8 * block) {
		__asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 2 * block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 3 * block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 4 * block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 5 * block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 6 * block) : "memory");
		__asm__ volatile("dc zva, %0" ::"r"(p + 7 * block) : "memory");
	}
	for (; end - p >= block; p += block)
		__asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
	if (p < end)
		memset((void *)p, 0, end - p);
}
