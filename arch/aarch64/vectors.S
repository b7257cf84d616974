/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors (Arm ARM D1.3.1: VBAR_EL2 + 0x000..0x780).
 * Exceptions taken from EL2 itself are never expected: the entry saves the
 * full register state into a struct exception_frame and reports it. Entries
 * from a lower EL are guest exits: vcpu_switch.S saves the guest's registers
 * and returns from vcpu_enter() with the kind of exception, and C code
 * dispatches it by exception class (core/vcpu.c). Synchronous ones (traps)
 * first try the short way back into the guest (vcpu_trap).
 */
#include <arch/layout.h>

#define KIND_SYNC 0
#define KIND_IRQ 1
#define KIND_FIQ 2
#define KIND_SERROR 3
#define FROM_SP0 0
#define FROM_SPX 4
#define FROM_LOWER64 8
#define FROM_LOWER32 12

.macro vector_entry kind
	.balign	128
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	mov	x0, #\kind
	b	exception_save_and_report
.endm

/*
 * A guest was running: SP_EL2 still points at the frame vcpu_enter() pushed.
 * Keep guest x0/x1 there for a moment and branch to the common exit path.
 */
.macro guest_exit_entry kind
	.balign	128
	stp	x0, x1, [sp, #-16]!
	mov	x1, #\kind
	b	vcpu_exit
.endm

/* A trap: vcpu_trap tries to handle it without leaving vcpu_enter's frame. */
.macro guest_trap_entry
	.balign	128
	stp	x0, x1, [sp, #-16]!
	b	vcpu_trap
.endm

	.text
	.balign	2048
	.global el2_vectors
el2_vectors:
	vector_entry FROM_SP0 + KIND_SYNC
	vector_entry FROM_SP0 + KIND_IRQ
	vector_entry FROM_SP0 + KIND_FIQ
	vector_entry FROM_SP0 + KIND_SERROR
	vector_entry FROM_SPX + KIND_SYNC
	vector_entry FROM_SPX + KIND_IRQ
	vector_entry FROM_SPX + KIND_FIQ
	vector_entry FROM_SPX + KIND_SERROR
	/* Anything from a lower EL is a guest exit (AArch32 only at guest EL0). */
	guest_trap_entry
	guest_exit_entry KIND_IRQ
	guest_exit_entry KIND_FIQ
	guest_exit_entry KIND_SERROR
	guest_trap_entry
	guest_exit_entry KIND_IRQ
	guest_exit_entry KIND_FIQ
	guest_exit_entry KIND_SERROR

/* Save x2..x30, the interrupted sp and the exception registers; x0 = kind. */
.macro save_frame
	stp	x2, x3, [sp, #FRAME_X(2)]
	stp	x4, x5, [sp, #FRAME_X(4)]
	stp	x6, x7, [sp, #FRAME_X(6)]
	stp	x8, x9, [sp, #FRAME_X(8)]
	stp	x10, x11, [sp, #FRAME_X(10)]
	stp	x12, x13, [sp, #FRAME_X(12)]
	stp	x14, x15, [sp, #FRAME_X(14)]
	stp	x16, x17, [sp, #FRAME_X(16)]
	stp	x18, x19, [sp, #FRAME_X(18)]
	stp	x20, x21, [sp, #FRAME_X(20)]
	stp	x22, x23, [sp, #FRAME_X(22)]
	stp	x24, x25, [sp, #FRAME_X(24)]
	stp	x26, x27, [sp, #FRAME_X(26)]
	stp	x28, x29, [sp, #FRAME_X(28)]
	str	x30, [sp, #FRAME_X(30)]
	add	x1, sp, #FRAME_SIZE
	str	x1, [sp, #FRAME_SP]
.endm

exception_save_and_report:
	save_frame
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [sp, #FRAME_ELR]
	mrs	x1, esr_el2
	mrs	x2, far_el2
	stp	x1, x2, [sp, #FRAME_ESR]
	mov	x1, x0
	mov	x0, sp
	/* Frame record so a debugger can unwind into the interrupted code. */
	mov	x29, sp
	bl	exception_unexpected
1:	wfi
	b	1b

/*
 * void arch_dump_current_registers(void): snapshot the caller's registers in
 * the same frame format (elr = return address, no exception registers) and
 * print them. Returns with every callee-saved register intact.
 */
	.global arch_dump_current_registers
arch_dump_current_registers:
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #FRAME_X(0)]
	save_frame
	stp	x30, xzr, [sp, #FRAME_ELR]
	stp	xzr, xzr, [sp, #FRAME_ESR]
	mov	x0, sp
	bl	exception_dump_frame
	ldp	x29, x30, [sp, #FRAME_X(29)]
	ldp	x19, x20, [sp, #FRAME_X(19)]
	ldp	x21, x22, [sp, #FRAME_X(21)]
	ldp	x23, x24, [sp, #FRAME_X(23)]
	ldp	x25, x26, [sp, #FRAME_X(25)]
	ldp	x27, x28, [sp, #FRAME_X(27)]
	add	sp, sp, #FRAME_SIZE
	ret
