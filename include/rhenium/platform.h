/* SPDX-License-Identifier: MIT */
/*
 * What Rhenium learns about the machine from the device tree it was booted
 * with. Filled once by platform_discover() (core/platform.c, generic and
 * host-tested) and read-only afterwards.
 */
#ifndef RHENIUM_PLATFORM_H
#define RHENIUM_PLATFORM_H

#include <rhenium/types.h>

#define PLATFORM_MAX_MEM_BANKS 16
#define PLATFORM_MAX_RESERVED 32
#define PLATFORM_MAX_CPUS 64
#define PLATFORM_MAX_GICR_REGIONS 8
#define PLATFORM_MAX_VIRTIO_MMIO 32
#define PLATFORM_BOOTARGS_MAX 512
#define PLATFORM_PATH_MAX 128

struct mem_range {
	paddr_t base;
	uint64_t size;
};

/* One "virtio,mmio" transport (VIRTIO 1.2 section 4.2); what sits behind it is read at run time. */
struct platform_virtio_mmio {
	paddr_t base;
	uint64_t size; /* at least the 0x100-byte register block */
	uint32_t irq;  /* GIC INTID, 0 if unknown */
};

enum psci_conduit {
	PSCI_CONDUIT_NONE = 0,
	PSCI_CONDUIT_SMC,
	PSCI_CONDUIT_HVC,
};

struct platform_info {
	struct mem_range mem[PLATFORM_MAX_MEM_BANKS];
	unsigned int mem_count;

	/* /memreserve/ entries and /reserved-memory children with a reg. */
	struct mem_range reserved[PLATFORM_MAX_RESERVED];
	unsigned int reserved_count;

	uint64_t cpu_mpidr[PLATFORM_MAX_CPUS]; /* affinity fields of each /cpus/cpu@ reg */
	unsigned int cpu_count;

	enum psci_conduit psci_conduit;
	bool psci_0_2; /* compatible includes arm,psci-0.2 or later: standard function IDs */

	struct mem_range uart; /* PL011 ("arm,pl011"); size 0 if none */
	uint32_t uart_irq;     /* GIC INTID (SPI number + 32), 0 if unknown */

	struct mem_range gicd;
	struct mem_range gicr[PLATFORM_MAX_GICR_REGIONS];
	unsigned int gicr_count;
	uint64_t gicr_stride; /* "redistributor-stride", 0 = architectural default */

	/* Timer PPIs as GIC INTIDs (PPI number + 16); 0 if absent. */
	uint32_t timer_sec_phys_irq;
	uint32_t timer_phys_irq;
	uint32_t timer_virt_irq;
	uint32_t timer_hyp_phys_irq;
	uint32_t timer_hyp_virt_irq;

	/* Available "virtio,mmio" nodes in device-tree order (QEMU virt: ascending addresses). */
	struct platform_virtio_mmio virtio_mmio[PLATFORM_MAX_VIRTIO_MMIO];
	unsigned int virtio_mmio_count;

	char bootargs[PLATFORM_BOOTARGS_MAX];
	char stdout_path[PLATFORM_PATH_MAX];
	paddr_t initrd_start;
	paddr_t initrd_end; /* 0/0 if no initrd */
};

#endif
