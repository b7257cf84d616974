/* SPDX-License-Identifier: MIT */
/*
 * Test guest entry: the arm64 Linux Image header, the boot CPU's entry, and
 * the entry of the CPUs the guest starts itself (guest_cpu_start).
 *
 * Boot protocol (Documentation/arch/arm64/booting.rst, the same as Linux):
 * entered at EL1 with the MMU and D-cache off, x0 = physical address of the
 * DTB, at the image's first byte. The header says text_offset 0, "4 KiB
 * pages, anywhere in RAM", so QEMU -kernel loads it at RAM base + 2 MiB
 * (0x40200000 on virt) and a hypervisor may load it at any 2 MiB aligned
 * guest address: the image is linked at 0 as a position-independent
 * executable and applies its own R_AARCH64_RELATIVE relocations below.
 */

#define R_AARCH64_RELATIVE 1027
/* SCTLR_EL1: RES1 bits, MMU/caches/alignment checks off, SP alignment check on. */
#define SCTLR_EL1_BOOT 0x30d00808

.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .text.head, "ax"
	.global _start
_start:
	b	entry
	.long	0
	.quad	0			/* text_offset */
	.quad	__image_size		/* image_size: file plus bss and stack */
	.quad	0xa			/* flags: little endian, 4 KiB pages, anywhere */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* no PE/COFF header */

	.text
entry:
	mov	x19, x0			/* DTB */
	msr	daifset, #0xf

	/* Known EL1 state; harmless (and unused) if we were entered at EL2. */
	ldr	x0, =SCTLR_EL1_BOOT
	msr	sctlr_el1, x0
	adr_l	x0, guest_vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, xzr		/* guest_cpu(), until platform_init knows better */
	isb

	/* bss (with the stack) first: C globals live there. */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	/* Relocate ourselves to the address we were loaded at. */
	adr_l	x9, __image_start
	adr_l	x10, __rela_start
	adr_l	x11, __rela_end
3:	cmp	x10, x11
	b.hs	5f
	ldp	x12, x13, [x10], #16	/* r_offset, r_info */
	ldr	x14, [x10], #8		/* r_addend */
	cmp	x13, #R_AARCH64_RELATIVE
	b.ne	4f
	add	x14, x14, x9
	str	x14, [x12, x9]
4:	b	3b
5:
	adr_l	x0, guest_stack_top
	mov	sp, x0
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	guest_start
6:	wfi
	b	6b

/*
 * A CPU started by PSCI CPU_ON: EL1, MMU off, x0 = the context id, here its
 * struct cpu_boot (smp.c): stack top at +0, CPU index at +8. The image is
 * already relocated and bss cleared by the boot CPU.
 */
	.global guest_secondary_entry
guest_secondary_entry:
	msr	daifset, #0xf
	ldr	x1, =SCTLR_EL1_BOOT
	msr	sctlr_el1, x1
	adr_l	x1, guest_vectors
	msr	vbar_el1, x1
	ldp	x1, x2, [x0]
	msr	tpidr_el1, x2
	isb
	mov	sp, x1
	mov	x29, xzr
	mov	x30, xzr
	bl	guest_secondary_start
7:	wfi
	b	7b
	.ltorg
