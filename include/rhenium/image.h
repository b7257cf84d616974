/* SPDX-License-Identifier: MIT */
/*
 * Where a guest kernel, its initrd and its device tree go in guest RAM
 * (core/image.c). Pure arithmetic on the kernel's first bytes: nothing is
 * copied or mapped here; the caller copies the files to the addresses this
 * returns. Placement follows Linux's Documentation/arch/arm64/booting.rst;
 * see docs/guest_loading.md.
 */
#ifndef RHENIUM_IMAGE_H
#define RHENIUM_IMAGE_H

#include <rhenium/types.h>

/* booting.rst section 4: the 64-byte header at the start of an arm64 Image. */
#define IMAGE_HEADER_SIZE 64u
#define IMAGE_MAGIC_OFFSET 0x38u
#define IMAGE_MAGIC 0x644d5241u /* "ARM\x64", little endian */
#define IMAGE_FLAG_BE (1u << 0)
#define IMAGE_FLAG_PAGE_SHIFT 1u
#define IMAGE_FLAG_PAGE_MASK (3u << IMAGE_FLAG_PAGE_SHIFT)
#define IMAGE_FLAG_ANYWHERE (1u << 3)

/* Pre-3.17 kernels (image_size 0): text_offset "can be assumed to be 0x80000". */
#define IMAGE_LEGACY_TEXT_OFFSET 0x80000ull
/* QEMU loads a file without the header at RAM base + 512 KiB; so do we. */
#define IMAGE_RAW_OFFSET 0x80000ull
/*
 * Room assumed for bss and early allocations after a kernel whose size is
 * unknown (image_size 0, or no header). Only used to refuse RAM that is
 * clearly too small: the initrd and DTB go to the top of RAM anyway, which
 * is what booting.rst asks for when the size is unknown.
 */
#define IMAGE_UNKNOWN_BSS_MARGIN MiB(16)
/* booting.rst section 2: the DTB is at most 2 MiB and 8-byte aligned. */
#define IMAGE_DTB_MAX_SIZE MiB(2)
#define IMAGE_KERNEL_ALIGN MiB(2)
/* booting.rst: the initrd and the kernel lie in one 1 GiB aligned window of up to 32 GiB. */
#define IMAGE_INITRD_WINDOW_ALIGN GiB(1)
#define IMAGE_INITRD_WINDOW_SIZE GiB(32)

enum image_error {
	IMAGE_OK = 0,
	IMAGE_ERR_INVALID = -1,	    /* bad arguments or a malformed header */
	IMAGE_ERR_UNSUPPORTED = -2, /* a valid header asking for something we do not do */
	IMAGE_ERR_NOSPACE = -3,	    /* does not fit in guest RAM */
};

struct image_info {
	bool arm64;	      /* has the arm64 Image header; false: raw binary */
	uint64_t file_size;   /* bytes the caller will copy */
	uint64_t text_offset; /* arm64: from a 2 MiB aligned base; raw: IMAGE_RAW_OFFSET */
	uint64_t image_size;  /* header's image_size (file + bss), 0 if unknown */
	uint64_t flags;	      /* header flags, 0 for raw */
	/*
	 * Bytes from the load address the kernel owns: image_size (at least
	 * the file size), or file size + IMAGE_UNKNOWN_BSS_MARGIN if unknown.
	 */
	uint64_t footprint;
	unsigned int page_size; /* from flags: 4096, 16384, 65536, or 0 if unspecified */
	bool anywhere;		/* flags bit 3: the 2 MiB base need not be low in RAM */
};

struct image_layout {
	paddr_t load;	      /* where file byte 0 goes */
	paddr_t entry;	      /* where the boot vCPU starts (code0 is the first instruction) */
	paddr_t kernel_end;   /* load + footprint: RAM the kernel owns from the start */
	paddr_t dtb;	      /* 2 MiB aligned start of a dtb_size slot for the DTB */
	uint64_t dtb_size;    /* as requested */
	paddr_t initrd_start; /* page aligned; initrd_end == initrd_start: no initrd */
	paddr_t initrd_end;
};

/*
 * Reads the kernel's first `head_len` bytes (at least IMAGE_HEADER_SIZE,
 * or the whole file if it is shorter) of a `file_size` byte file. A file
 * with the "ARM\x64" magic is an arm64 Image; anything else is loaded as a
 * raw binary. Returns IMAGE_OK or a negative enum image_error with a
 * message in `err` (NUL-terminated if err_len > 0; may be NULL).
 */
int image_parse(const void *head, size_t head_len, uint64_t file_size, struct image_info *out,
		char *err, size_t err_len);

/*
 * Places the kernel described by `img` as low as possible in the RAM bank
 * [ram_base, ram_base + ram_size), then a DTB slot of dtb_size bytes
 * (1..2 MiB, 2 MiB aligned) as high as possible and, if initrd_size is not
 * 0, the initrd right below the DTB. Everything stays below the end of the
 * 32 GiB window starting at the 1 GiB boundary below the kernel, so the
 * initrd/kernel rule holds on large VMs too. Returns IMAGE_OK or
 * IMAGE_ERR_INVALID / IMAGE_ERR_NOSPACE with a message in `err`.
 */
int image_place(const struct image_info *img, paddr_t ram_base, uint64_t ram_size,
		uint64_t dtb_size, uint64_t initrd_size, struct image_layout *out, char *err,
		size_t err_len);

#endif
