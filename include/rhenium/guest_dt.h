/* SPDX-License-Identifier: MIT */
/*
 * The device tree a guest VM boots with (core/guest_dt.c).
 *
 * The tree mirrors QEMU's virt machine (same node names, compatibles,
 * interrupt specifiers and default addresses) so that kernels and other
 * software built for QEMU virt run unchanged: RAM, PSCI CPUs, a GICv3, the
 * architected timer, a PL011 with its fixed 24 MHz clock, /chosen and
 * /aliases, plus any number of extra MMIO devices (virtio-mmio later).
 * See docs/guest_loading.md.
 */
#ifndef RHENIUM_GUEST_DT_H
#define RHENIUM_GUEST_DT_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

/* QEMU virt's guest physical memory map (hw/arm/virt.c), our defaults. */
#define GUEST_VIRT_GICD_BASE 0x08000000ull
#define GUEST_VIRT_GICR_BASE 0x080a0000ull
#define GUEST_VIRT_UART_BASE 0x09000000ull
#define GUEST_VIRT_UART_SPI 1u /* INTID 33 */
#define GUEST_VIRT_VIRTIO_BASE 0x0a000000ull
#define GUEST_VIRT_VIRTIO_SIZE 0x200ull /* per transport; transport n at base + n * size */
#define GUEST_VIRT_VIRTIO_SPI 16u	/* transport n uses SPI 16 + n */
#define GUEST_VIRT_RAM_BASE 0x40000000ull

/* Frame sizes the GICv3 architecture fixes. */
#define GUEST_GICD_SIZE 0x10000ull
#define GUEST_GICR_SIZE_PER_VCPU 0x20000ull /* RD_base + SGI_base frames */
#define GUEST_UART_SIZE 0x1000ull

#define GUEST_DT_MAX_VCPUS PLATFORM_MAX_CPUS
#define GUEST_DT_MAX_DEVICES 32
/* Linux arm64 COMMAND_LINE_SIZE, including the NUL. */
#define GUEST_DT_BOOTARGS_MAX 2048
#define GUEST_DT_RNG_SEED_MAX 64
/* Enough for any configuration guest_dt_build() accepts (the tests check). */
#define GUEST_DT_MAX_SIZE KiB(64)

/* Trigger in the third cell of a GIC interrupt specifier (arm,gic-v3.yaml). */
enum guest_dt_trigger {
	GUEST_DT_EDGE_RISING = 1, /* virtio-mmio in QEMU virt */
	GUEST_DT_LEVEL_HIGH = 4,  /* the PL011, the timer, the GIC maintenance interrupt */
};

/* An extra MMIO device: "<name>@<base>" with compatible, reg and one SPI. */
struct guest_dt_device {
	const char *name;	/* node name before '@', e.g. "virtio_mmio" */
	const char *compatible; /* one string, e.g. "virtio,mmio" */
	paddr_t base;
	uint64_t size;
	uint32_t spi; /* SPI number: INTID - 32 */
	enum guest_dt_trigger trigger;
};

struct guest_dt_config {
	paddr_t ram_base; /* one bank; base and size 4 KiB aligned */
	uint64_t ram_size;
	unsigned int vcpu_count; /* 1..GUEST_DT_MAX_VCPUS; MPIDRs from guest_dt_vcpu_mpidr() */
	paddr_t gicd_base;	 /* 64 KiB distributor */
	paddr_t gicr_base;	 /* vcpu_count contiguous 128 KiB redistributors */
	paddr_t uart_base;	 /* 4 KiB PL011, also the console */
	uint32_t uart_spi;
	enum psci_conduit psci_conduit; /* SMC or HVC: what the vCPUs' PSCI calls trap from */
	const char *bootargs;		/* NULL: no /chosen/bootargs */
	paddr_t initrd_start;		/* initrd_end == initrd_start: no initrd */
	paddr_t initrd_end;
	const struct guest_dt_device *devices;
	unsigned int device_count;
	/* Optional entropy for the guest; 0 / NULL leaves the property out. */
	/* PMU overflow interrupt as a PPI number (INTID - 16); 0: no /pmu node. */
	uint32_t pmu_ppi;
	uint64_t kaslr_seed;
	const uint8_t *rng_seed;
	size_t rng_seed_len; /* at most GUEST_DT_RNG_SEED_MAX */
};

enum guest_dt_error {
	GUEST_DT_OK = 0,
	GUEST_DT_ERR_CONFIG = -1,  /* the configuration is invalid; the message says why */
	GUEST_DT_ERR_NOSPACE = -2, /* the buffer is too small */
	GUEST_DT_ERR_WRITE = -3,   /* the writer refused something: a bug in guest_dt.c */
};

/*
 * MPIDR affinity of vCPU `index`, and its /cpus/cpu@ reg: Aff0 = index % 16,
 * Aff1 = index / 16. Aff0 stays below 16 because a GICv3 SGI reaches at
 * most 16 Aff0 values per ICC_SGI1R_EL1 write (the same split QEMU virt and
 * KVM use). The vCPU code must report the same value in MPIDR_EL1.
 */
uint64_t guest_dt_vcpu_mpidr(unsigned int index);

/*
 * Checks `cfg` and writes the guest DTB into buf[0, size) (typically
 * straight into guest RAM; the blob needs no particular alignment of `buf`
 * but the guest wants it 8-byte aligned). On success stores the blob's size
 * in *out_size. On failure returns a negative enum guest_dt_error and
 * writes a message to `err` (NUL-terminated if err_len > 0; may be NULL).
 * Uses about 1.5 KiB of stack.
 */
int guest_dt_build(const struct guest_dt_config *cfg, void *buf, size_t size, size_t *out_size,
		   char *err, size_t err_len);

#endif
