/* SPDX-License-Identifier: MIT */
/*
 * What the architecture's entry code hands to the generic boot sequence.
 */
#ifndef RHENIUM_BOOT_H
#define RHENIUM_BOOT_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

/* Physical extents of the loaded image, each boundary 4 KiB aligned. */
struct boot_image {
	paddr_t start;
	paddr_t text_end;   /* [start, text_end): code, mapped read-only + executable */
	paddr_t rodata_end; /* [text_end, rodata_end): read-only data */
	paddr_t end;	    /* [rodata_end, end): data, bss and stacks, read-write */
};

struct boot_info {
	struct boot_image image;
	paddr_t dtb;
	size_t dtb_size;
	const struct platform_info *platform;
};

/* Generic boot, on the boot CPU with the MMU still off and the console up. */
NORETURN void core_boot(const struct boot_info *info);
/* Generic part of a secondary CPU's boot, MMU already on. */
NORETURN void core_secondary_boot(unsigned int cpu);

/* Entry points called from assembly (arch/<arch>/entry.S). */
void boot_primary(paddr_t dtb);
void boot_secondary(unsigned int cpu);
void boot_wrong_el(paddr_t dtb, unsigned int el);

#endif
