// SPDX-License-Identifier: MIT
/*
 * Just enough of a flattened device tree reader for the runtime: look up one
 * property of one node by absolute path (/chosen bootargs, /psci method).
 * All reads are byte loads (the MMU is off, so the DTB is Device memory and
 * must not be read unaligned), and every offset is bounds-checked against
 * the header's sizes.
 */
#include "internal.h"

#define FDT_MAGIC 0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9
#define FDT_MAX_DEPTH 16

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t hdr(const void *dtb, unsigned field)
{
	return be32((const uint8_t *)dtb + 4 * field);
}

bool fdt_valid(const void *dtb)
{
	if (!dtb || ((uintptr_t)dtb & 3) || hdr(dtb, 0) != FDT_MAGIC)
		return false;
	uint32_t total = hdr(dtb, 1), off_struct = hdr(dtb, 2), off_strings = hdr(dtb, 3);
	uint32_t size_strings = hdr(dtb, 8), size_struct = hdr(dtb, 9);
	return hdr(dtb, 6) <= 17 && hdr(dtb, 5) >= 17 && total >= 40 && (off_struct & 3) == 0 &&
	       off_struct <= total && size_struct <= total - off_struct && off_strings <= total &&
	       size_strings <= total - off_strings;
}

/* Does node NAME (up to its NUL) match path component COMP (LEN bytes)? */
static bool name_matches(const char *name, const char *comp, size_t len)
{
	bool unit = false;

	for (size_t i = 0; i < len; i++)
		unit |= comp[i] == '@';
	if (strncmp(name, comp, len) != 0)
		return false;
	return name[len] == '\0' || (!unit && name[len] == '@');
}

const void *fdt_getprop(const void *dtb, const char *path, const char *name, uint32_t *len)
{
	const char *comp[FDT_MAX_DEPTH];
	size_t comp_len[FDT_MAX_DEPTH];
	unsigned ncomp = 0;

	if (!fdt_valid(dtb) || path[0] != '/')
		return NULL;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (ncomp == FDT_MAX_DEPTH)
			return NULL;
		comp[ncomp] = p;
		while (*p && *p != '/')
			p++;
		comp_len[ncomp] = (size_t)(p - comp[ncomp]);
		ncomp++;
	}

	const uint8_t *base = dtb;
	const uint8_t *st = base + hdr(dtb, 2);
	const char *strings = (const char *)base + hdr(dtb, 3);
	uint32_t size = hdr(dtb, 9), size_strings = hdr(dtb, 8);
	unsigned level = 0, matched = 0; /* root is level 1; components match from level 2 */

	for (uint32_t off = 0; off + 4 <= size;) {
		uint32_t token = be32(st + off);
		off += 4;
		switch (token) {
		case FDT_BEGIN_NODE: {
			const char *node = (const char *)st + off;
			uint32_t n = 0;
			while (off + n < size && node[n])
				n++;
			if (off + n >= size)
				return NULL;
			level++;
			if (level == matched + 2 && matched < ncomp &&
			    name_matches(node, comp[matched], comp_len[matched]))
				matched++;
			off = (off + n + 1 + 3) & ~3U;
			break;
		}
		case FDT_END_NODE:
			if (level == 0)
				return NULL;
			if (matched && matched == level - 1)
				matched--;
			level--;
			break;
		case FDT_PROP: {
			if (off + 8 > size)
				return NULL;
			uint32_t plen = be32(st + off), nameoff = be32(st + off + 4);
			off += 8;
			if (plen > size - off || nameoff >= size_strings)
				return NULL;
			if (matched == ncomp && level == ncomp + 1 &&
			    strncmp(strings + nameoff, name, size_strings - nameoff) == 0) {
				if (len)
					*len = plen;
				return st + off;
			}
			off = (off + plen + 3) & ~3U;
			break;
		}
		case FDT_NOP: break;
		default: /* FDT_END or garbage */ return NULL;
		}
	}
	return NULL;
}
