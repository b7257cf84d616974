/* SPDX-License-Identifier: MIT */
/* Constants shared between assembly and C. */
#ifndef ARCH_LAYOUT_H
#define ARCH_LAYOUT_H

/* CPUs Rhenium can run on; more in the device tree are reported and left off. */
#define ARCH_MAX_CPUS 32
#define ARCH_STACK_SIZE 16384

/* struct exception_frame: x0..x30, sp, elr, spsr, esr, far */
#define FRAME_X(n) ((n)*8)
#define FRAME_SP (31 * 8)
#define FRAME_ELR (32 * 8)
#define FRAME_SPSR (33 * 8)
#define FRAME_ESR (34 * 8)
#define FRAME_FAR (35 * 8)
#define FRAME_SIZE (36 * 8)

/* struct secondary_boot_args, read by secondary_entry with the MMU off */
#define SBA_STACK_TOP 0
#define SBA_TTBR 8
#define SBA_TCR 16
#define SBA_MAIR 24
#define SBA_SCTLR 32
#define SBA_CPU_INDEX 40
#define SBA_TPIDR 48
#define SBA_SIZE 56

/* struct cpu_local, found through TPIDR_EL2 */
#define CPU_LOCAL_INDEX 0
#define CPU_LOCAL_GUEST_REGS 8
#define CPU_LOCAL_SIZE 64

/* struct vcpu_regs: x0..x30, pc, pstate (saved and restored by vcpu_switch.S) */
#define VREGS_X(n) ((n)*8)
#define VREGS_PC (31 * 8)
#define VREGS_PSTATE (32 * 8)
#define VREGS_SIZE (33 * 8)

/* arch_vcpu_trap() result: back into the guest (not an enum vcpu_exit_kind). */
#define VCPU_TRAP_RESUME 255

#define R_AARCH64_RELATIVE 1027

#endif
