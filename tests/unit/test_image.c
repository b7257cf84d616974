/* SPDX-License-Identifier: MIT */
/*
 * core/image.c: header parsing for real and synthetic arm64 Images and raw
 * binaries, and where kernel, DTB and initrd land in guest RAM, including
 * the exact messages for what does not fit.
 */
#include <string.h>

#include <rhenium/image.h>

#include "test.h"

/* First 64 bytes of Debian's arm64 kernel Image (linux-image-7.x-arm64, EFI stub). */
static const uint8_t debian_header[64] = {
	0x4d, 0x5a, 0x40, 0xfa, 0x3b, 0xd4, 0x9b, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x24, 0x03, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x41, 0x52, 0x4d, 0x64, 0x40, 0x00, 0x00, 0x00,
};
#define DEBIAN_FILE_SIZE 51642304ull
#define DEBIAN_IMAGE_SIZE 0x3240000ull

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A synthetic header: magic, and the three fields booting.rst defines. */
static void make_header(uint8_t *h, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	memset(h, 0, 64);
	put_le64(h + 8, text_offset);
	put_le64(h + 16, image_size);
	put_le64(h + 24, flags);
	memcpy(h + 0x38, "ARM\x64", 4);
}

static bool message_is(const char *err, const char *want)
{
	if (strcmp(err, want) == 0)
		return true;
	fprintf(stderr, "  message \"%s\"\n  expected \"%s\"\n", err, want);
	return false;
}

TEST(image_debian_header)
{
	struct image_info img;
	struct image_layout lay;
	char err[256];

	REQUIRE(image_parse(debian_header, sizeof(debian_header), DEBIAN_FILE_SIZE, &img, err,
			    sizeof(err)) == IMAGE_OK);
	CHECK(err[0] == '\0');
	CHECK(img.arm64);
	CHECK_EQ(img.text_offset, 0);
	CHECK_EQ(img.image_size, DEBIAN_IMAGE_SIZE);
	CHECK_EQ(img.flags, 0xa);
	CHECK_EQ(img.page_size, 4096);
	CHECK(img.anywhere);
	CHECK_EQ(img.file_size, DEBIAN_FILE_SIZE);
	CHECK_EQ(img.footprint, DEBIAN_IMAGE_SIZE);

	/* 1 GiB at QEMU virt's RAM base, a 64 KiB DTB slot and a 20 MiB initrd. */
	REQUIRE(image_place(&img, 0x40000000, GiB(1), KiB(64), MiB(20), &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.load, 0x40000000);
	CHECK_EQ(lay.entry, 0x40000000);
	CHECK_EQ(lay.kernel_end, 0x40000000 + DEBIAN_IMAGE_SIZE);
	CHECK_EQ(lay.dtb, 0x7fe00000);
	CHECK_EQ(lay.dtb_size, KiB(64));
	CHECK_EQ(lay.initrd_start, 0x7fe00000 - MiB(20));
	CHECK_EQ(lay.initrd_end, 0x7fe00000);

	/* 32 MiB is not enough for 50 MiB of kernel. */
	CHECK(image_place(&img, 0x40000000, MiB(32), KiB(64), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size 50.2 MiB) does not fit in 32 MiB of guest RAM "
			      "(loaded at 0x40000000, RAM ends at 0x42000000)"));
	CHECK_EQ(lay.load, 0);

	/* 64 MiB holds the kernel but not also a 16 MiB initrd. */
	CHECK(image_place(&img, 0x40000000, MiB(64), KiB(64), MiB(16), &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size 50.2 MiB), initrd (16 MiB) and device tree "
			      "(64 KiB) do not fit in 64 MiB of guest RAM"));
	REQUIRE(image_place(&img, 0x40000000, MiB(64), KiB(64), MiB(8), &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.dtb, 0x43e00000);
	CHECK_EQ(lay.initrd_start, 0x43600000);

	/* The kernel fits, but the DTB does not fit behind it. */
	CHECK(image_place(&img, 0x40000000, DEBIAN_IMAGE_SIZE + KiB(32), KiB(64), 0, &lay, err,
			  sizeof(err)) == IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size 50.2 MiB) and device tree (64 KiB) do not fit in "
			      "50.2 MiB of guest RAM"));
	/* Room for 64 KiB behind the kernel, but not for a 2 MiB aligned slot. */
	CHECK(image_place(&img, 0x40000000, MiB(52), KiB(64), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	REQUIRE(image_place(&img, 0x40000000, MiB(54), KiB(64), 0, &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.dtb, 0x43200000 + MiB(2));
}

TEST(image_initrd_page_alignment_needs_room)
{
	static const uint8_t raw[64] = { 0 };
	struct image_info img;
	struct image_layout lay;
	const uint64_t file = MiB(1) + 100;
	const uint64_t kernel_end = 0x40080000 + file + IMAGE_UNKNOWN_BSS_MARGIN;
	const uint64_t gap = 0x42000000 - MiB(2) - kernel_end;

	/*
	 * A raw kernel ending mid-page: an initrd exactly filling the gap up
	 * to the DTB would have to start below that page boundary.
	 */
	REQUIRE(image_parse(raw, sizeof(raw), file, &img, NULL, 0) == IMAGE_OK);
	REQUIRE(image_place(&img, 0x40000000, MiB(32), KiB(4), gap - PAGE_SIZE, &lay, NULL, 0) ==
		IMAGE_OK);
	CHECK(lay.initrd_start >= lay.kernel_end);
	CHECK(image_place(&img, 0x40000000, MiB(32), KiB(4), gap, &lay, NULL, 0) ==
	      IMAGE_ERR_NOSPACE);
}

TEST(image_text_offset_and_unaligned_ram)
{
	uint8_t h[64];
	struct image_info img;
	struct image_layout lay;
	char err[200];

	/* text_offset 0x80000 (kernels before 5.8), RAM not 2 MiB aligned. */
	make_header(h, 0x80000, MiB(20), 0x2);
	REQUIRE(image_parse(h, sizeof(h), MiB(18), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(!img.anywhere);
	CHECK_EQ(img.page_size, 4096);
	REQUIRE(image_place(&img, 0x40100000, MiB(255), MiB(2), 0, &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.load, 0x40280000);
	CHECK_EQ(lay.entry, 0x40280000);
	CHECK_EQ(lay.kernel_end, 0x40280000 + MiB(20));
	/* RAM ends at 0x50000000: a full 2 MiB DTB takes the last block. */
	CHECK_EQ(lay.dtb, 0x4fe00000);
	CHECK_EQ(lay.dtb_size, MiB(2));
	CHECK_EQ(lay.initrd_start, 0);
	CHECK_EQ(lay.initrd_end, 0);

	/* A text_offset beyond RAM cannot be honoured. */
	make_header(h, GiB(2), MiB(20), 0x2);
	REQUIRE(image_parse(h, sizeof(h), MiB(18), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(image_place(&img, 0x40000000, GiB(1), MiB(2), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size 20 MiB) does not fit in 1 GiB of guest RAM: no "
			      "2 MiB aligned base + text_offset 0x80000000 inside it"));

	/* RAM smaller than the step to the first 2 MiB boundary. */
	make_header(h, 0, MiB(1), 0xa);
	REQUIRE(image_parse(h, sizeof(h), KiB(512), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(image_place(&img, 0x40001000, MiB(1), KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(image_place(&img, UINT64_MAX - MiB(1) + 1, MiB(1) - 1, KiB(4), 0, &lay, err,
			  sizeof(err)) == IMAGE_ERR_NOSPACE);
}

TEST(image_header_fields)
{
	uint8_t h[64];
	struct image_info img;
	char err[200];

	/* Page size bits 1-2 and the placement bit 3. */
	static const struct {
		uint64_t flags;
		unsigned int page;
		bool anywhere;
	} cases[] = {
		{ 0x0, 0, false },     { 0x2, 4096, false }, { 0x4, 16384, false },
		{ 0x6, 65536, false }, { 0xe, 65536, true }, { 0xfffffffffffffff0ull, 0, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		make_header(h, 0, MiB(8), cases[i].flags);
		REQUIRE(image_parse(h, sizeof(h), MiB(4), &img, err, sizeof(err)) == IMAGE_OK);
		CHECK_EQ(img.page_size, cases[i].page);
		CHECK_EQ(img.anywhere, cases[i].anywhere);
		CHECK_EQ(img.flags, cases[i].flags);
	}

	/* Big-endian kernels are refused. */
	make_header(h, 0, MiB(8), 0x3);
	CHECK(image_parse(h, sizeof(h), MiB(4), &img, err, sizeof(err)) == IMAGE_ERR_UNSUPPORTED);
	CHECK(message_is(err, "kernel: big-endian kernels are not supported (flags 0x3)"));

	/* text_offset must be page aligned. */
	make_header(h, 0x80004, MiB(8), 0x2);
	CHECK(image_parse(h, sizeof(h), MiB(4), &img, err, sizeof(err)) == IMAGE_ERR_INVALID);
	CHECK(message_is(err, "kernel: text_offset 0x80004 is not 4 KiB aligned"));

	/* image_size below the file size: the whole file still has to fit. */
	make_header(h, 0, MiB(1), 0x2);
	REQUIRE(image_parse(h, sizeof(h), MiB(3), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK_EQ(img.footprint, MiB(3));

	/* A header longer than 64 bytes in the buffer is fine. */
	{
		uint8_t big[128] = { 0 };

		make_header(big, 0, MiB(8), 0xa);
		CHECK(image_parse(big, sizeof(big), MiB(4), &img, err, sizeof(err)) == IMAGE_OK);
		CHECK(img.arm64);
	}
}

TEST(image_legacy_header)
{
	uint8_t h[64];
	struct image_info img;
	struct image_layout lay;
	char err[200];

	/*
	 * image_size 0: pre-3.17, text_offset is 0x80000 whatever the field says
	 * (it may be big-endian) and flags did not exist (bit 0 is not "BE").
	 */
	make_header(h, 0x0000080000000000ull, 0, 0xffff);
	REQUIRE(image_parse(h, sizeof(h), MiB(10), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(img.arm64);
	CHECK_EQ(img.text_offset, 0x80000);
	CHECK_EQ(img.image_size, 0);
	CHECK_EQ(img.flags, 0);
	CHECK_EQ(img.page_size, 0);
	CHECK_EQ(img.footprint, MiB(10) + IMAGE_UNKNOWN_BSS_MARGIN);
	REQUIRE(image_place(&img, 0x40000000, MiB(64), KiB(64), MiB(4), &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.load, 0x40080000);
	CHECK_EQ(lay.kernel_end, 0x40080000 + MiB(26));
	/* DTB and initrd at the top: the memory after the kernel stays free. */
	CHECK_EQ(lay.dtb, 0x43e00000);
	CHECK_EQ(lay.initrd_start, 0x43a00000);

	CHECK(image_place(&img, 0x40000000, MiB(24), KiB(64), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size unknown, 10 MiB file + 16 MiB for bss) does not "
			      "fit in 24 MiB of guest RAM (loaded at 0x40080000, RAM ends at "
			      "0x41800000)"));
}

TEST(image_raw_binary)
{
	static const uint8_t code[16] = { 0x1f, 0x20, 0x03, 0xd5 }; /* nop, and no header */
	uint8_t h[64] = { 0 };
	struct image_info img;
	struct image_layout lay;
	char err[200];

	/* Shorter than a header: raw, and the caller can only give what exists. */
	REQUIRE(image_parse(code, sizeof(code), sizeof(code), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(!img.arm64);
	CHECK_EQ(img.text_offset, IMAGE_RAW_OFFSET);
	CHECK_EQ(img.footprint, sizeof(code) + IMAGE_UNKNOWN_BSS_MARGIN);
	REQUIRE(image_place(&img, 0x40000000, MiB(32), KiB(4), 0, &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.load, 0x40080000);
	CHECK_EQ(lay.entry, 0x40080000);
	CHECK_EQ(lay.dtb, 0x41e00000);

	/* 64 bytes without the magic. */
	memcpy(h + 0x38, "ARM\x65", 4);
	REQUIRE(image_parse(h, sizeof(h), MiB(1), &img, err, sizeof(err)) == IMAGE_OK);
	CHECK(!img.arm64);
	CHECK(image_place(&img, 0x40000000, MiB(16), KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err,
			 "kernel (raw binary, 1 MiB file + 16 MiB for bss) does not fit in "
			 "16 MiB of guest RAM (loaded at 0x40080000, RAM ends at 0x41000000)"));
	CHECK(image_place(&img, 0x40000000, KiB(512), KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (raw binary, 1 MiB file + 16 MiB for bss) does not fit in "
			      "512 KiB of guest RAM"));

	/* A file so large that adding the margin wraps. */
	CHECK(image_parse(h, sizeof(h), UINT64_MAX - 5, &img, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(message_is(err, "kernel: file size 0xfffffffffffffffa is absurd"));
	make_header(h, 0, 0, 0);
	CHECK(image_parse(h, sizeof(h), UINT64_MAX - 5, &img, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
}

TEST(image_parse_arguments)
{
	struct image_info img;
	char err[100];

	CHECK(image_parse(debian_header, 64, 0, &img, err, sizeof(err)) == IMAGE_ERR_INVALID);
	CHECK(message_is(err, "kernel: the file is empty"));
	CHECK(image_parse(debian_header, 32, DEBIAN_FILE_SIZE, &img, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(message_is(err, "kernel: need its first 64 bytes, got 32"));
	CHECK(image_parse(NULL, 64, DEBIAN_FILE_SIZE, &img, err, sizeof(err)) == IMAGE_ERR_INVALID);
	CHECK(image_parse(debian_header, 64, DEBIAN_FILE_SIZE, NULL, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	/* err may be absent. */
	CHECK(image_parse(debian_header, 64, 0, &img, NULL, 0) == IMAGE_ERR_INVALID);
}

TEST(image_place_arguments)
{
	struct image_info img;
	struct image_layout lay;
	char err[100];

	REQUIRE(image_parse(debian_header, 64, DEBIAN_FILE_SIZE, &img, NULL, 0) == IMAGE_OK);
	CHECK(image_place(&img, 0x40000000, 0, KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(message_is(err, "guest RAM [0x40000000, +0x0) is empty or wraps"));
	CHECK(image_place(&img, UINT64_MAX - GiB(1), GiB(2), KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(image_place(&img, 0x40000000, GiB(1), 0, 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(message_is(err, "device tree size 0: must be 1 byte to 2 MiB (booting.rst)"));
	CHECK(image_place(&img, 0x40000000, GiB(1), MiB(2) + 1, 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(image_place(NULL, 0x40000000, GiB(1), KiB(4), 0, &lay, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	CHECK(image_place(&img, 0x40000000, GiB(1), KiB(4), 0, NULL, err, sizeof(err)) ==
	      IMAGE_ERR_INVALID);
	/* RAM reaching the very top of the address space is fine. */
	CHECK(image_place(&img, UINT64_MAX - GiB(1) + 1, GiB(1) - 1, KiB(4), 0, &lay, NULL, 0) ==
	      IMAGE_OK);
}

TEST(image_initrd_window)
{
	uint8_t h[64];
	struct image_info img;
	struct image_layout lay;
	char err[300];

	/* 64 GiB of RAM: initrd and DTB stay in the kernel's 32 GiB window. */
	REQUIRE(image_parse(debian_header, 64, DEBIAN_FILE_SIZE, &img, NULL, 0) == IMAGE_OK);
	REQUIRE(image_place(&img, 0x40000000, GiB(64), KiB(64), MiB(100), &lay, err, sizeof(err)) ==
		IMAGE_OK);
	CHECK_EQ(lay.dtb, 0x40000000 + GiB(32) - MiB(2));
	CHECK_EQ(lay.initrd_end, lay.dtb);
	CHECK_EQ(lay.initrd_start, lay.dtb - MiB(100));

	/* A kernel that leaves no room below the window's end. */
	make_header(h, 0, GiB(32) - MiB(2), 0xa);
	REQUIRE(image_parse(h, sizeof(h), MiB(30), &img, NULL, 0) == IMAGE_OK);
	CHECK(image_place(&img, 0x40000000, GiB(64), KiB(64), MiB(1), &lay, err, sizeof(err)) ==
	      IMAGE_ERR_NOSPACE);
	CHECK(message_is(err, "kernel (image_size 31.9 GiB), initrd (1 MiB) and device tree "
			      "(64 KiB) do not fit in guest RAM below 0x840000000 (the initrd must "
			      "be within 32 GiB of the kernel's 1 GiB boundary)"));
}

/* Checks one layout's invariants; returns its result code. */
static int place_and_check(uint64_t text_offset, uint64_t image_size, uint64_t ram_base,
			   uint64_t ram_size, uint64_t dtb_size, uint64_t initrd_size)
{
	struct image_info img;
	struct image_layout lay;
	uint64_t ram_end = ram_base + ram_size;
	uint8_t h[64];
	char err[300];
	int rc;

	make_header(h, text_offset, image_size, 0xa);
	if (image_parse(h, sizeof(h), MiB(2), &img, NULL, 0) != IMAGE_OK)
		return IMAGE_ERR_INVALID;
	rc = image_place(&img, ram_base, ram_size, dtb_size, initrd_size, &lay, err, sizeof(err));
	if (rc == IMAGE_ERR_NOSPACE)
		CHECK(strstr(err, " fit in ") != NULL);
	if (rc != IMAGE_OK)
		return rc;
	CHECK(lay.load >= ram_base);
	CHECK((lay.load - img.text_offset) % MiB(2) == 0);
	CHECK_EQ(lay.entry, lay.load);
	CHECK_EQ(lay.kernel_end, lay.load + img.footprint);
	CHECK(lay.kernel_end <= ram_end);
	CHECK(lay.dtb % MiB(2) == 0);
	CHECK(lay.dtb >= lay.kernel_end);
	CHECK(lay.dtb + lay.dtb_size <= ram_end);
	CHECK_EQ(lay.dtb_size, dtb_size);
	if (initrd_size) {
		CHECK(lay.initrd_start % PAGE_SIZE == 0);
		CHECK(lay.initrd_start >= lay.kernel_end);
		CHECK_EQ(lay.initrd_end - lay.initrd_start, initrd_size);
		CHECK(lay.initrd_end <= lay.dtb);
	} else {
		CHECK(lay.initrd_start == 0 && lay.initrd_end == 0);
	}
	return rc;
}

/* Every layout that succeeds keeps the invariants; every other one says why. */
TEST(image_place_invariants)
{
	static const uint64_t text_offsets[] = { 0, 0x80000, 0x1ff000 };
	static const uint64_t image_sizes[] = { 0, KiB(4), MiB(3), MiB(50) };
	static const uint64_t ram_bases[] = { 0, 0x40000000, 0x40001000, 0x8000000000ull };
	static const uint64_t ram_sizes[] = { KiB(4), MiB(2), MiB(33), MiB(64), GiB(1) };
	static const uint64_t dtb_sizes[] = { 1, KiB(64), MiB(2) };
	static const uint64_t initrd_sizes[] = { 0, 1, MiB(5) + 123, MiB(30) };
	const size_t total = ARRAY_SIZE(text_offsets) * ARRAY_SIZE(image_sizes) *
			     ARRAY_SIZE(ram_bases) * ARRAY_SIZE(ram_sizes) * ARRAY_SIZE(dtb_sizes) *
			     ARRAY_SIZE(initrd_sizes);
	unsigned int ok = 0, nospace = 0;

	/* One counter read as a mixed-radix number: every combination once. */
	for (size_t n = 0; n < total; n++) {
		size_t k = n;
		uint64_t to = text_offsets[k % ARRAY_SIZE(text_offsets)];
		uint64_t is =
			image_sizes[(k /= ARRAY_SIZE(text_offsets)) % ARRAY_SIZE(image_sizes)];
		uint64_t rb = ram_bases[(k /= ARRAY_SIZE(image_sizes)) % ARRAY_SIZE(ram_bases)];
		uint64_t rs = ram_sizes[(k /= ARRAY_SIZE(ram_bases)) % ARRAY_SIZE(ram_sizes)];
		uint64_t ds = dtb_sizes[(k /= ARRAY_SIZE(ram_sizes)) % ARRAY_SIZE(dtb_sizes)];
		uint64_t rd = initrd_sizes[(k /= ARRAY_SIZE(dtb_sizes)) % ARRAY_SIZE(initrd_sizes)];
		int rc = place_and_check(to, is, rb, rs, ds, rd);

		CHECK(rc == IMAGE_OK || rc == IMAGE_ERR_NOSPACE);
		ok += rc == IMAGE_OK;
		nospace += rc == IMAGE_ERR_NOSPACE;
	}
	/* Both outcomes are exercised. */
	CHECK(ok > 100);
	CHECK(nospace > 100);
}
