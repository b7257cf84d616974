/* SPDX-License-Identifier: MIT */
/*
 * GICv3 helpers for the test guests: distributor at GICD_BASE, each CPU's
 * redistributor found by walking the frames from GICR_BASE for its MPIDR,
 * CPU interface through the ICC_*_EL1 system registers (Group 1,
 * non-secure view).
 */
#ifndef GUEST_GIC_H
#define GUEST_GIC_H

#include <stdbool.h>
#include <stdint.h>

/* Distributor registers (offsets from GICD_BASE). */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR 0x0c00
#define GICD_IROUTER 0x6000 /* + 8 * intid, SPIs only */
#define GICD_PIDR2 0xffe8
#define GICD_CTLR_RWP (1U << 31)
#define GICD_CTLR_ARE_NS (1U << 4)
#define GICD_CTLR_ENABLE_G1A (1U << 1)
#define GICD_CTLR_ENABLE_G1 (1U << 0)

/* Redistributor RD_base frame. */
#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008 /* 64-bit */
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_TYPER_VLPIS (1UL << 1)
#define GICR_TYPER_LAST (1UL << 4)
#define GICR_WAKER_PROCESSOR_SLEEP (1U << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1U << 2)
/* Redistributor SGI_base frame (RD_base + 64 KiB). */
#define GICR_SGI_OFFSET 0x10000
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_ISPENDR0 0x0200
#define GICR_ICPENDR0 0x0280
#define GICR_ISACTIVER0 0x0300
#define GICR_ICACTIVER0 0x0380
#define GICR_IPRIORITYR 0x0400
#define GICR_ICFGR0 0x0c00
#define GICR_ICFGR1 0x0c04

#define GIC_SPURIOUS 1023
#define GIC_DEFAULT_PRIORITY 0xa0

/* PPIs of the generic timer (the ones QEMU virt and Rhenium's VMs use). */
#define PPI_HYP_TIMER 26
#define PPI_VIRT_TIMER 27
#define PPI_SEC_PHYS_TIMER 29
#define PPI_PHYS_TIMER 30

/*
 * Distributor: affinity routing and Group 1 on. This CPU's redistributor:
 * awake, SGIs/PPIs Group 1, all disabled, not pending, default priority.
 * CPU interface: system registers on, PMR open (0xff), BPR 0, EOImode 0,
 * Group 1 enabled. PSTATE.I is left as it is (masked at entry).
 */
void gic_init(void);
/*
 * The same for this CPU's redistributor and CPU interface only: what a CPU
 * started by guest_cpu_start() calls once the boot CPU has run gic_init().
 */
void gic_init_cpu(void);
/* This CPU's redistributor RD_base (0 before its gic_init or if none matched). */
uintptr_t gic_rdist(void);
uintptr_t gic_sgi_base(void);

void gic_set_priority(unsigned intid, uint8_t prio);
void gic_enable_irq(unsigned intid);
void gic_disable_irq(unsigned intid);
bool gic_irq_enabled(unsigned intid);
bool gic_irq_pending(unsigned intid);
bool gic_irq_active(unsigned intid);
void gic_clear_pending(unsigned intid);

/* CPU interface. */
uint32_t gic_ack(void);		     /* ICC_IAR1_EL1 */
void gic_eoi(uint32_t intid);	     /* ICC_EOIR1_EL1 */
uint32_t gic_highest_pending(void);  /* ICC_HPPIR1_EL1 */
uint32_t gic_running_priority(void); /* ICC_RPR_EL1 */
/* ICC_SGI1R_EL1 with this CPU's affinity as the only target. */
void gic_send_sgi_self(unsigned sgi);
/* ICC_SGI1R_EL1 to the one CPU with affinity MPIDR (MPIDR_EL1's layout). */
void gic_send_sgi(unsigned sgi, uint64_t mpidr);

#endif
