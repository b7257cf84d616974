/* SPDX-License-Identifier: MIT */
/*
 * The boundary between generic code and the architecture. Generic code (core/,
 * lib/) calls only what is declared here; arch/aarch64 implements it on the
 * hardware and arch/fake implements it for host unit tests.
 */
#ifndef RHENIUM_ARCH_H
#define RHENIUM_ARCH_H

#include <rhenium/types.h>

/* Index of the calling CPU in platform discovery order (0 = boot CPU). */
unsigned int arch_cpu_index(void);

/* Park the calling CPU for good. */
NORETURN void arch_cpu_halt(void);

/* Hint that a spin loop is waiting for another CPU. */
void arch_cpu_relax(void);

/* Monotonic system counter and its frequency in Hz. */
uint64_t arch_counter_read(void);
uint64_t arch_counter_freq(void);

/* Print every general-purpose register of the caller, for panic(). */
void arch_dump_current_registers(void);

/* Exception level the caller runs at (2 for the hypervisor proper). */
unsigned int arch_current_el(void);

/*
 * One SMC Calling Convention call through the given conduit (enum
 * psci_conduit in platform.h): function id and three arguments, x0 result.
 */
uint64_t arch_smccc_call(int conduit, uint32_t fid, uint64_t a1, uint64_t a2, uint64_t a3);

/* Clean data cache lines of [va, va+size) to the point of coherency. */
void arch_dcache_clean_range(const void *va, size_t size);
/*
 * Discard data cache lines of [va, va+size) without writing them back: for
 * memory written with the caches off, so that stale lines cannot hide it.
 */
void arch_dcache_inval_range(const void *va, size_t size);

/*
 * Zeroes [va, va+size) of normal memory as fast as the CPU can (DC ZVA on
 * AArch64); only with the MMU on. For large ranges such as a VM's RAM.
 */
void arch_memzero(void *va, size_t size);

/* Physical address where CPUs started by PSCI CPU_ON enter (secondary_entry). */
paddr_t arch_secondary_entry_pa(void);

/* Affinity fields of the calling CPU's MPIDR. */
uint64_t arch_cpu_mpidr(void);
/* How many CPUs the image has stacks for. */
unsigned int arch_max_cpus(void);

struct boot_info;
/*
 * Builds the hypervisor's own stage-1 translation tables from pages of the
 * page allocator (identity map: RAM, the image by section permissions, the
 * MMIO Rhenium itself drives) and turns the MMU and caches on for the boot
 * CPU. Returns 0 or a negative error after logging why.
 */
int arch_mmu_init(const struct boot_info *info);
/*
 * Physical interrupt controller: set-up on the boot CPU (which also brings up
 * the console's receive interrupt) and on each CPU; enabling an interrupt
 * (a PPI on the calling CPU, an SPI routed to it); deactivating one that was
 * left active for a guest; kicking another CPU out of a guest or WFI.
 */
struct platform_info;
int arch_irq_init(const struct platform_info *plat);
int arch_irq_cpu_init(void);
void arch_irq_enable(uint32_t intid);
void arch_irq_deactivate(uint32_t intid);
void arch_cpu_kick(unsigned int cpu);
/* Interrupt a CPU uses for kicks (an SGI). */
#define ARCH_KICK_SGI 0

/* One line per mapping of the hypervisor's address space, for the banner. */
void arch_mmu_dump(void);
/*
 * Readies what secondary CPU `cpu` needs before its MMU is on and returns
 * the context id to pass to PSCI CPU_ON (0 if `cpu` is out of range).
 */
uint64_t arch_secondary_prepare(unsigned int cpu);

#endif
