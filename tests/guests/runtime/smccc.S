/* SPDX-License-Identifier: MIT */
/*
 * SMC Calling Convention conduits (Arm DEN 0028).
 *
 *   void hvc_regs(struct smccc_regs *r);   void smc_regs(struct smccc_regs *r);
 *     x0..x17 loaded from r->x[0..17], HVC #0 / SMC #0, x0..x17 stored back
 *     (covers SMCCC 1.2's eighteen argument and result registers).
 *
 *   uint64_t hvc_clobber_mask(uint64_t fid, uint64_t a1);   (and smc_...)
 *     calls fid with x1 = a1, x2 = x3 = 0 and every register x4..x30 set to
 *     a known pattern; returns a mask with bit n set if xn changed. SMCCC
 *     1.1+ preserves x4..x17 (unless they carry results), every version
 *     preserves x18..x30; the results x0..x3 are ignored here.
 */

.macro regs_call name, insn
	.global \name
	.type \name, %function
\name:
	stp	x29, x30, [sp, #-32]!
	mov	x29, sp
	str	x0, [sp, #16]
	mov	x30, x0
	ldp	x0, x1, [x30, #0]
	ldp	x2, x3, [x30, #16]
	ldp	x4, x5, [x30, #32]
	ldp	x6, x7, [x30, #48]
	ldp	x8, x9, [x30, #64]
	ldp	x10, x11, [x30, #80]
	ldp	x12, x13, [x30, #96]
	ldp	x14, x15, [x30, #112]
	ldp	x16, x17, [x30, #128]
	\insn	#0
	ldr	x30, [sp, #16]
	stp	x0, x1, [x30, #0]
	stp	x2, x3, [x30, #16]
	stp	x4, x5, [x30, #32]
	stp	x6, x7, [x30, #48]
	stp	x8, x9, [x30, #64]
	stp	x10, x11, [x30, #80]
	stp	x12, x13, [x30, #96]
	stp	x14, x15, [x30, #112]
	stp	x16, x17, [x30, #128]
	ldp	x29, x30, [sp], #32
	ret
	.size \name, . - \name
.endm

/* xN = 0xa5a5_0000_0000_01NN */
.macro pattern reg, n
	movz	\reg, #(0x100 + \n)
	movk	\reg, #0xa5a5, lsl #48
.endm

/* x0 |= 1 << n if xN no longer holds its pattern (x1 is scratch). */
.macro check reg, n
	pattern	x1, \n
	cmp	\reg, x1
	b.eq	.Lsame\@
	orr	x0, x0, #(1 << \n)
.Lsame\@:
.endm

.macro clobber_call name, insn
	.global \name
	.type \name, %function
\name:
	sub	sp, sp, #112
	stp	x18, x19, [sp, #0]
	stp	x20, x21, [sp, #16]
	stp	x22, x23, [sp, #32]
	stp	x24, x25, [sp, #48]
	stp	x26, x27, [sp, #64]
	stp	x28, x29, [sp, #80]
	str	x30, [sp, #96]
	mov	x2, xzr
	mov	x3, xzr
	pattern	x4, 4
	pattern	x5, 5
	pattern	x6, 6
	pattern	x7, 7
	pattern	x8, 8
	pattern	x9, 9
	pattern	x10, 10
	pattern	x11, 11
	pattern	x12, 12
	pattern	x13, 13
	pattern	x14, 14
	pattern	x15, 15
	pattern	x16, 16
	pattern	x17, 17
	pattern	x18, 18
	pattern	x19, 19
	pattern	x20, 20
	pattern	x21, 21
	pattern	x22, 22
	pattern	x23, 23
	pattern	x24, 24
	pattern	x25, 25
	pattern	x26, 26
	pattern	x27, 27
	pattern	x28, 28
	pattern	x29, 29
	pattern	x30, 30
	\insn	#0
	mov	x0, xzr
	check	x4, 4
	check	x5, 5
	check	x6, 6
	check	x7, 7
	check	x8, 8
	check	x9, 9
	check	x10, 10
	check	x11, 11
	check	x12, 12
	check	x13, 13
	check	x14, 14
	check	x15, 15
	check	x16, 16
	check	x17, 17
	check	x18, 18
	check	x19, 19
	check	x20, 20
	check	x21, 21
	check	x22, 22
	check	x23, 23
	check	x24, 24
	check	x25, 25
	check	x26, 26
	check	x27, 27
	check	x28, 28
	check	x29, 29
	check	x30, 30
	ldp	x18, x19, [sp, #0]
	ldp	x20, x21, [sp, #16]
	ldp	x22, x23, [sp, #32]
	ldp	x24, x25, [sp, #48]
	ldp	x26, x27, [sp, #64]
	ldp	x28, x29, [sp, #80]
	ldr	x30, [sp, #96]
	add	sp, sp, #112
	ret
	.size \name, . - \name
.endm

	.text
	regs_call	hvc_regs, hvc
	regs_call	smc_regs, smc
	clobber_call	hvc_clobber_mask, hvc
	clobber_call	smc_clobber_mask, smc
