/* SPDX-License-Identifier: MIT */
/*
 * Guest kernel placement (Linux Documentation/arch/arm64/booting.rst).
 *
 * Policy: the kernel as low as the 2 MiB rule allows, which satisfies both
 * values of the "anywhere" flag and leaves the whole rest of RAM behind
 * it; the DTB and initrd as high as possible, so the memory right after
 * the kernel stays free (what booting.rst asks for when image_size is 0,
 * and harmless otherwise: the kernel reserves both before allocating).
 */
#include <rhenium/format.h>
#include <rhenium/image.h>
#include <rhenium/string.h>

/* booting.rst header layout: u32 code0, code1; u64 text_offset, image_size, flags. */
#define HDR_TEXT_OFFSET 8u
#define HDR_IMAGE_SIZE 16u
#define HDR_FLAGS 24u

static int image_fail(char *err, size_t err_len, int code, const char *fmt, ...) PRINTF_LIKE(4, 5);

static int image_fail(char *err, size_t err_len, int code, const char *fmt, ...)
{
	va_list ap;

	if (err_len) {
		va_start(ap, fmt);
		fmt_vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The header may sit anywhere in a file buffer, so no aligned loads. */
static uint64_t image_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t image_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int image_parse(const void *head, size_t head_len, uint64_t file_size, struct image_info *out,
		char *err, size_t err_len)
{
	const uint8_t *h = head;
	uint64_t text_offset, image_size, flags;

	if (err_len)
		err[0] = '\0';
	if (!out || (!head && head_len))
		return image_fail(err, err_len, IMAGE_ERR_INVALID, "kernel: no header buffer");
	memset(out, 0, sizeof(*out));
	if (file_size == 0)
		return image_fail(err, err_len, IMAGE_ERR_INVALID, "kernel: the file is empty");
	if (head_len < IMAGE_HEADER_SIZE && head_len < file_size)
		return image_fail(err, err_len, IMAGE_ERR_INVALID,
				  "kernel: need its first %u bytes, got %zu", IMAGE_HEADER_SIZE,
				  head_len);
	out->file_size = file_size;

	if (file_size < IMAGE_HEADER_SIZE || head_len < IMAGE_HEADER_SIZE ||
	    image_le32(h + IMAGE_MAGIC_OFFSET) != IMAGE_MAGIC) {
		/* Without a header nothing says how much bss follows the file. */
		out->text_offset = IMAGE_RAW_OFFSET;
		out->footprint = file_size + IMAGE_UNKNOWN_BSS_MARGIN;
		if (out->footprint < file_size)
			return image_fail(err, err_len, IMAGE_ERR_INVALID,
					  "kernel: file size 0x%llx is absurd",
					  (unsigned long long)file_size);
		return IMAGE_OK;
	}

	out->arm64 = true;
	text_offset = image_le64(h + HDR_TEXT_OFFSET);
	image_size = image_le64(h + HDR_IMAGE_SIZE);
	flags = image_le64(h + HDR_FLAGS);
	if (image_size == 0) {
		/*
		 * Pre-3.17: text_offset is in the kernel's endianness and flags
		 * did not exist, so neither field can be trusted.
		 */
		out->text_offset = IMAGE_LEGACY_TEXT_OFFSET;
		out->footprint = file_size + IMAGE_UNKNOWN_BSS_MARGIN;
		if (out->footprint < file_size)
			return image_fail(err, err_len, IMAGE_ERR_INVALID,
					  "kernel: file size 0x%llx is absurd",
					  (unsigned long long)file_size);
		return IMAGE_OK;
	}
	if (flags & IMAGE_FLAG_BE)
		return image_fail(err, err_len, IMAGE_ERR_UNSUPPORTED,
				  "kernel: big-endian kernels are not supported (flags 0x%llx)",
				  (unsigned long long)flags);
	/* Every real text_offset (0, 0x80000, or randomised) is page aligned. */
	if (text_offset % PAGE_SIZE)
		return image_fail(err, err_len, IMAGE_ERR_INVALID,
				  "kernel: text_offset 0x%llx is not 4 KiB aligned",
				  (unsigned long long)text_offset);
	out->text_offset = text_offset;
	out->image_size = image_size;
	out->flags = flags;
	/* image_size includes bss; a larger file (appended data) still has to be copied. */
	out->footprint = MAX(image_size, file_size);
	switch ((flags & IMAGE_FLAG_PAGE_MASK) >> IMAGE_FLAG_PAGE_SHIFT) {
	case 1:
		out->page_size = 4096;
		break;
	case 2:
		out->page_size = 16384;
		break;
	case 3:
		out->page_size = 65536;
		break;
	default:
		out->page_size = 0;
		break;
	}
	out->anywhere = (flags & IMAGE_FLAG_ANYWHERE) != 0;
	return IMAGE_OK;
}

/* "image_size 50.2 MiB", "raw binary 1 MiB + 16 MiB for bss", ... for messages. */
static void image_describe(const struct image_info *img, char *buf, size_t len)
{
	char a[24], b[24];

	fmt_size(a, sizeof(a), img->arm64 && img->image_size ? img->image_size : img->file_size);
	fmt_size(b, sizeof(b), IMAGE_UNKNOWN_BSS_MARGIN);
	if (img->arm64 && img->image_size)
		fmt_snprintf(buf, len, "image_size %s", a);
	else if (img->arm64)
		fmt_snprintf(buf, len, "image_size unknown, %s file + %s for bss", a, b);
	else
		fmt_snprintf(buf, len, "raw binary, %s file + %s for bss", a, b);
}

int image_place(const struct image_info *img, paddr_t ram_base, uint64_t ram_size,
		uint64_t dtb_size, uint64_t initrd_size, struct image_layout *out, char *err,
		size_t err_len)
{
	char what[80], parts[160], ram[24], rd[24], dt[24];
	uint64_t ram_end, base, load, window_start, top, dtb, initrd_start;

	if (err_len)
		err[0] = '\0';
	if (!img || !out)
		return image_fail(err, err_len, IMAGE_ERR_INVALID, "no image or layout");
	memset(out, 0, sizeof(*out));
	if (ram_size == 0 || ram_size > UINT64_MAX - ram_base)
		return image_fail(err, err_len, IMAGE_ERR_INVALID,
				  "guest RAM [0x%llx, +0x%llx) is empty or wraps",
				  (unsigned long long)ram_base, (unsigned long long)ram_size);
	if (dtb_size == 0 || dtb_size > IMAGE_DTB_MAX_SIZE)
		return image_fail(err, err_len, IMAGE_ERR_INVALID,
				  "device tree size %llu: must be 1 byte to 2 MiB (booting.rst)",
				  (unsigned long long)dtb_size);
	ram_end = ram_base + ram_size;
	image_describe(img, what, sizeof(what));
	fmt_size(ram, sizeof(ram), ram_size);
	fmt_size(rd, sizeof(rd), initrd_size);
	fmt_size(dt, sizeof(dt), dtb_size);

	if (img->arm64) {
		base = ram_base > UINT64_MAX - IMAGE_KERNEL_ALIGN
			       ? UINT64_MAX
			       : ALIGN_UP(ram_base, IMAGE_KERNEL_ALIGN);
		if (base >= ram_end || img->text_offset >= ram_end - base)
			return image_fail(err, err_len, IMAGE_ERR_NOSPACE,
					  "kernel (%s) does not fit in %s of guest RAM: no 2 MiB "
					  "aligned base + text_offset 0x%llx inside it",
					  what, ram, (unsigned long long)img->text_offset);
		load = base + img->text_offset;
	} else {
		if (IMAGE_RAW_OFFSET >= ram_size)
			return image_fail(err, err_len, IMAGE_ERR_NOSPACE,
					  "kernel (%s) does not fit in %s of guest RAM", what, ram);
		load = ram_base + IMAGE_RAW_OFFSET;
	}
	if (img->footprint > ram_end - load)
		return image_fail(err, err_len, IMAGE_ERR_NOSPACE,
				  "kernel (%s) does not fit in %s of guest RAM (loaded at 0x%llx, "
				  "RAM ends at 0x%llx)",
				  what, ram, (unsigned long long)load, (unsigned long long)ram_end);
	out->load = load;
	out->entry = load;
	out->kernel_end = load + img->footprint;

	window_start = ALIGN_DOWN(load, IMAGE_INITRD_WINDOW_ALIGN);
	top = ram_end;
	if (window_start <= UINT64_MAX - IMAGE_INITRD_WINDOW_SIZE)
		top = MIN(top, window_start + IMAGE_INITRD_WINDOW_SIZE);

	/*
	 * A slot of its own 2 MiB block(s): the guest maps the DTB with up to
	 * 2 MiB blocks, and nothing else then shares them (booting.rst 2).
	 */
	if (top < out->kernel_end || top - out->kernel_end < dtb_size)
		goto no_room;
	dtb = ALIGN_DOWN(top - dtb_size, IMAGE_KERNEL_ALIGN);
	if (dtb < out->kernel_end)
		goto no_room;
	out->dtb = dtb;
	out->dtb_size = dtb_size;

	if (initrd_size) {
		if (initrd_size > dtb - out->kernel_end)
			goto no_room;
		initrd_start = ALIGN_DOWN(dtb - initrd_size, PAGE_SIZE);
		if (initrd_start < out->kernel_end)
			goto no_room;
		out->initrd_start = initrd_start;
		out->initrd_end = initrd_start + initrd_size;
	}
	return IMAGE_OK;

no_room:
	memset(out, 0, sizeof(*out));
	if (initrd_size)
		fmt_snprintf(parts, sizeof(parts), "kernel (%s), initrd (%s) and device tree (%s)",
			     what, rd, dt);
	else
		fmt_snprintf(parts, sizeof(parts), "kernel (%s) and device tree (%s)", what, dt);
	if (top < ram_end)
		return image_fail(err, err_len, IMAGE_ERR_NOSPACE,
				  "%s do not fit in guest RAM below 0x%llx (the initrd must be "
				  "within 32 GiB of the kernel's 1 GiB boundary)",
				  parts, (unsigned long long)top);
	return image_fail(err, err_len, IMAGE_ERR_NOSPACE, "%s do not fit in %s of guest RAM",
			  parts, ram);
}
