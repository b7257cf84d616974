/* SPDX-License-Identifier: MIT */
/*
 * The world switch between the hypervisor and a guest vCPU, general
 * registers only: everything else (EL1 system registers, FP/SIMD, timer, GIC
 * list registers) stays live in the CPU while a vCPU is loaded on it and is
 * switched in C by vcpu_load()/vcpu_put().
 *
 * uint64_t vcpu_enter(struct vcpu_regs *regs)
 *   Pushes the hypervisor's callee-saved registers, records regs in
 *   cpu_local.guest_regs, loads the guest's registers and ERETs. It "returns"
 *   when the guest exits, through vcpu_exit below, with the exception kind
 *   (enum vcpu_exit_kind) in x0.
 *
 * A synchronous exception (a trap) first takes the short way, vcpu_trap:
 * arch_vcpu_trap() handles it right there, below vcpu_enter's frame, and
 * most traps go straight back into the guest (vcpu_handle_exit_fast).
 */
#include <arch/layout.h>

#define HYP_FRAME 96

	.text
	.global vcpu_enter
vcpu_enter:
	stp	x29, x30, [sp, #-HYP_FRAME]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]

	mrs	x1, tpidr_el2
	str	x0, [x1, #CPU_LOCAL_GUEST_REGS]

/* Loads the guest's registers from x0 (struct vcpu_regs) and enters it. */
vcpu_resume:
	ldp	x1, x2, [x0, #VREGS_PC]
	msr	elr_el2, x1
	msr	spsr_el2, x2

	ldp	x2, x3, [x0, #VREGS_X(2)]
	ldp	x4, x5, [x0, #VREGS_X(4)]
	ldp	x6, x7, [x0, #VREGS_X(6)]
	ldp	x8, x9, [x0, #VREGS_X(8)]
	ldp	x10, x11, [x0, #VREGS_X(10)]
	ldp	x12, x13, [x0, #VREGS_X(12)]
	ldp	x14, x15, [x0, #VREGS_X(14)]
	ldp	x16, x17, [x0, #VREGS_X(16)]
	ldp	x18, x19, [x0, #VREGS_X(18)]
	ldp	x20, x21, [x0, #VREGS_X(20)]
	ldp	x22, x23, [x0, #VREGS_X(22)]
	ldp	x24, x25, [x0, #VREGS_X(24)]
	ldp	x26, x27, [x0, #VREGS_X(26)]
	ldp	x28, x29, [x0, #VREGS_X(28)]
	ldr	x30, [x0, #VREGS_X(30)]
	ldp	x0, x1, [x0, #VREGS_X(0)]
	eret
	/* Nothing speculates past ERET into hypervisor code. */
	dsb	nsh
	isb

/* Saves every guest register into the struct vcpu_regs at x0; the guest's x0/x1 are on the stack. */
.macro save_guest_regs
	stp	x2, x3, [x0, #VREGS_X(2)]
	stp	x4, x5, [x0, #VREGS_X(4)]
	stp	x6, x7, [x0, #VREGS_X(6)]
	stp	x8, x9, [x0, #VREGS_X(8)]
	stp	x10, x11, [x0, #VREGS_X(10)]
	stp	x12, x13, [x0, #VREGS_X(12)]
	stp	x14, x15, [x0, #VREGS_X(14)]
	stp	x16, x17, [x0, #VREGS_X(16)]
	stp	x18, x19, [x0, #VREGS_X(18)]
	stp	x20, x21, [x0, #VREGS_X(20)]
	stp	x22, x23, [x0, #VREGS_X(22)]
	stp	x24, x25, [x0, #VREGS_X(24)]
	stp	x26, x27, [x0, #VREGS_X(26)]
	stp	x28, x29, [x0, #VREGS_X(28)]
	str	x30, [x0, #VREGS_X(30)]
	ldp	x2, x3, [sp], #16
	stp	x2, x3, [x0, #VREGS_X(0)]
	mrs	x2, elr_el2
	mrs	x3, spsr_el2
	stp	x2, x3, [x0, #VREGS_PC]
.endm

/*
 * Entered from a lower-EL vector with the guest's x0/x1 pushed on SP_EL2 and
 * the exception kind in x1.
 */
	.global vcpu_exit
vcpu_exit:
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_LOCAL_GUEST_REGS]
	save_guest_regs
	mov	x0, x1
/* Back into vcpu_enter's caller with the exit kind in x0. */
vcpu_return:
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #HYP_FRAME
	ret

/*
 * Entered from the lower-EL synchronous vectors with the guest's x0/x1
 * pushed on SP_EL2. Every register is saved first (the handler may read or
 * write any of them: an MMIO load into x20, say), then arch_vcpu_trap()
 * decides: VCPU_TRAP_RESUME re-enters the guest, anything else is the exit
 * kind vcpu_enter returns.
 */
	.global vcpu_trap
vcpu_trap:
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_LOCAL_GUEST_REGS]
	save_guest_regs
	bl	arch_vcpu_trap
	cmp	x0, #VCPU_TRAP_RESUME
	b.ne	vcpu_return
	mrs	x0, tpidr_el2
	ldr	x0, [x0, #CPU_LOCAL_GUEST_REGS]
	b	vcpu_resume
