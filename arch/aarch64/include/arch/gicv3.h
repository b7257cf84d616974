/* SPDX-License-Identifier: MIT */
/*
 * The physical GICv3 as the hypervisor uses it (Arm IHI 0069): the
 * Distributor and this CPU's Redistributor through MMIO, the CPU interface
 * through ICC_* system registers with EOImode = 1, so that dropping priority
 * (EOIR) and deactivating (DIR) are separate steps: an interrupt forwarded to
 * a guest with the list-register HW bit stays active until the guest's
 * virtual EOI deactivates it.
 */
#ifndef ARCH_GICV3_H
#define ARCH_GICV3_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

#define GIC_INTID_SPURIOUS 1023
#define GIC_PPI_MAINTENANCE 25

/* Distributor set-up, once, on the boot CPU. */
int gicv3_init(const struct platform_info *plat);
/* Redistributor wake-up and CPU interface, on each CPU. */
int gicv3_cpu_init(void);

/* Enables a PPI on the calling CPU's redistributor, or an SPI routed to mpidr. */
void gicv3_enable_ppi(uint32_t intid);
void gicv3_enable_spi(uint32_t intid, uint64_t mpidr, bool level);

/* Active state of a PPI in the calling CPU's redistributor. */
bool gicv3_ppi_active(uint32_t intid);
void gicv3_ppi_set_active(uint32_t intid, bool active);

/* Acknowledge the highest-priority pending Group 1 interrupt (IAR1). */
uint32_t gicv3_ack(void);
/* Priority drop only (EOImode = 1). */
void gicv3_eoi(uint32_t intid);
void gicv3_deactivate(uint32_t intid);
/* SGI to one CPU, by MPIDR. */
void gicv3_send_sgi(uint32_t intid, uint64_t mpidr);

/* Number of list registers (ICH_VTR_EL2.ListRegs + 1) and priority bits. */
unsigned int gicv3_nr_lrs(void);
unsigned int gicv3_vpri_bits(void);
uint64_t gicv3_read_lr(unsigned int n);
void gicv3_write_lr(unsigned int n, uint64_t value);

#endif
