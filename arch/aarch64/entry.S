/* SPDX-License-Identifier: MIT */
/*
 * First instructions: the arm64 Linux Image header (Documentation/arch/arm64/
 * booting.rst), then the primary and secondary CPU entry points.
 *
 * The primary CPU arrives with the MMU off and x0 = physical address of the
 * DTB (from QEMU -kernel or TF-A's BL31 for BL33). Secondaries arrive through
 * PSCI CPU_ON at secondary_entry with x0 = the context id we passed, which is
 * the physical address of their struct secondary_boot_args.
 */
#include <arch/layout.h>

/* SCTLR_EL2 with the MMU and data cache off: RES1 bits and the I-cache. */
#define SCTLR_EL2_BOOT 0x30c51830
/* HCR_EL2.RW: lower ELs are AArch64; E2H clear so EL2 registers have the nVHE layout. */
#define HCR_EL2_BOOT (1 << 31)

.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

	.section .text.head, "ax"
	.global _start
_start:
	b	primary_entry
	.long	0
	.quad	0			/* text_offset: load at a 2 MiB aligned base */
	.quad	__image_size		/* image_size: includes bss and stacks */
	.quad	0xa			/* flags: little endian, 4 KiB pages, anywhere in RAM */
	.quad	0
	.quad	0
	.quad	0
	.ascii	"ARM\x64"
	.long	0

	.text
primary_entry:
	mov	x19, x0

	/* Zero bss first: the stacks and every C global live there. */
	adr_l	x0, __bss_start
	adr_l	x1, __bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	/* Apply R_AARCH64_RELATIVE relocations for the address we were loaded at. */
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
	/*
	 * Our writes went to memory with the data cache off; drop any stale
	 * lines the loader left for the image so cacheable reads see them.
	 */
	adr_l	x0, __image_start
	adr_l	x1, __image_end
	bl	early_dcache_inval_range

	adr_l	x0, boot_stacks
	add	sp, x0, #ARCH_STACK_SIZE

	mrs	x20, CurrentEL
	lsr	x20, x20, #2
	cmp	x20, #2
	b.ne	wrong_el

	adr_l	x0, cpu_locals		/* boot CPU is index 0, its slot already zeroed */
	msr	tpidr_el2, x0
	ldr	x0, =SCTLR_EL2_BOOT
	msr	sctlr_el2, x0
	ldr	x0, =HCR_EL2_BOOT
	msr	hcr_el2, x0
	adr_l	x0, el2_vectors
	msr	vbar_el2, x0
	isb

	mov	x0, x19
	bl	boot_primary
	b	park

wrong_el:
	mov	x0, x19
	mov	x1, x20
	bl	boot_wrong_el
park:
	wfi
	b	park

/*
 * PSCI CPU_ON lands here, MMU off, caches off, at EL2.
 * x0: struct secondary_boot_args (physical, cleaned to PoC by the boot CPU).
 */
	.global secondary_entry
secondary_entry:
	ldr	x1, [x0, #SBA_TPIDR]
	msr	tpidr_el2, x1
	ldr	x1, =SCTLR_EL2_BOOT
	msr	sctlr_el2, x1
	ldr	x1, =HCR_EL2_BOOT
	msr	hcr_el2, x1
	adr_l	x1, el2_vectors
	msr	vbar_el2, x1
	isb

	ldr	x1, [x0, #SBA_MAIR]
	msr	mair_el2, x1
	ldr	x1, [x0, #SBA_TCR]
	msr	tcr_el2, x1
	ldr	x1, [x0, #SBA_TTBR]
	msr	ttbr0_el2, x1
	isb
	tlbi	alle2
	dsb	nsh
	isb
	ldr	x1, [x0, #SBA_SCTLR]
	msr	sctlr_el2, x1
	isb

	ldr	x1, [x0, #SBA_STACK_TOP]
	mov	sp, x1
	ldr	x0, [x0, #SBA_CPU_INDEX]
	bl	boot_secondary
	b	park

/* x0 = start, x1 = end: invalidate data cache lines to PoC, no stack used. */
early_dcache_inval_range:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		/* DminLine: log2 of words in the smallest line */
	mov	x2, #4
	lsl	x2, x2, x3
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	cmp	x0, x1
	b.hs	2f
	dc	ivac, x0
	add	x0, x0, x2
	b	1b
2:	dsb	sy
	ret

	.section .bss.stacks, "aw", %nobits
	.balign	16
	.global boot_stacks
boot_stacks:
	.space	ARCH_MAX_CPUS * ARCH_STACK_SIZE
