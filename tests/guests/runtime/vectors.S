/* SPDX-License-Identifier: MIT */
/*
 * EL1 exception vectors. Every entry saves the full register frame
 * (struct exc_frame in guest.h) on the current stack and calls
 * guest_exception(frame, kind) with kind = the vector's index (0..15: SP0
 * sync/irq/fiq/serror, SPx ..., lower EL AArch64 ..., lower EL AArch32 ...).
 * The C handler may change frame->elr (to skip a faulting instruction);
 * everything in the frame is restored before the eret.
 */

#define FRAME_SIZE 288		/* 31 x-registers, elr, spsr, sp, esr, far */

.macro vector kind
	.balign	0x80
	sub	sp, sp, #FRAME_SIZE
	stp	x0, x1, [sp, #0]
	mov	x0, #\kind
	b	exception_common
.endm

	.section .text.vectors, "ax"
	.balign	2048
	.global guest_vectors
guest_vectors:
	vector	0
	vector	1
	vector	2
	vector	3
	vector	4
	vector	5
	vector	6
	vector	7
	vector	8
	vector	9
	vector	10
	vector	11
	vector	12
	vector	13
	vector	14
	vector	15

exception_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el1
	stp	x30, x1, [sp, #240]
	mrs	x2, spsr_el1
	add	x3, sp, #FRAME_SIZE
	stp	x2, x3, [sp, #256]
	mrs	x2, esr_el1
	mrs	x3, far_el1
	stp	x2, x3, [sp, #272]

	mov	x1, x0
	mov	x0, sp
	mov	x29, xzr		/* end of the frame-pointer chain */
	bl	guest_exception

	ldp	x1, x2, [sp, #248]	/* elr, spsr */
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	add	sp, sp, #FRAME_SIZE
	eret
