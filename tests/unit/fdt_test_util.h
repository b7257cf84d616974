/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by test_fdt.c and test_platform.c: loading DTB fixtures and
 * building small (possibly malformed) DTBs by hand, for the cases dtc refuses
 * to produce. Everything is static inline so a test file may use any subset.
 */
#ifndef RHENIUM_FDT_TEST_UTIL_H
#define RHENIUM_FDT_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhenium/fdt.h>

#include "test.h"

/* Reads <fixture dir>/<name> into a malloc'd buffer; NULL (and a note) if absent. */
static inline uint8_t *load_fixture(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	long size;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", test_fixture_dir(), name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "  cannot open fixture %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* Header field offsets, for tests that corrupt them. */
enum {
	HDR_MAGIC = 0,
	HDR_TOTALSIZE = 4,
	HDR_OFF_STRUCT = 8,
	HDR_OFF_STRINGS = 12,
	HDR_OFF_MEMRSV = 16,
	HDR_VERSION = 20,
	HDR_LAST_COMP = 24,
	HDR_SIZE_STRINGS = 32,
	HDR_SIZE_STRUCT = 36,
};

/* Layout of a built blob: header, reservation map, structure, strings. */
struct dtb_builder {
	uint8_t st[16384];
	uint32_t st_len;
	char str[2048];
	uint32_t str_len;
	uint64_t rsv[40][2];
	unsigned int nrsv;
};

static inline void db_init(struct dtb_builder *b)
{
	memset(b, 0, sizeof(*b));
}

static inline void db_raw(struct dtb_builder *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (b->st_len + len > sizeof(b->st))
		abort();
	memcpy(b->st + b->st_len, data, len);
	b->st_len += (uint32_t)len;
}

static inline void db_align(struct dtb_builder *b)
{
	static const uint8_t zero[4];

	db_raw(b, zero, (4 - b->st_len % 4) % 4);
}

static inline void db_u32(struct dtb_builder *b, uint32_t v)
{
	uint8_t be[4];

	put_be32(be, v);
	db_raw(b, be, 4);
}

static inline uint32_t db_string(struct dtb_builder *b, const char *s)
{
	size_t len = strlen(s) + 1;
	uint32_t off = b->str_len;

	for (uint32_t i = 0; i + len <= b->str_len; i++) {
		if (memcmp(b->str + i, s, len) == 0)
			return i;
	}
	if (b->str_len + len > sizeof(b->str))
		abort();
	memcpy(b->str + b->str_len, s, len);
	b->str_len += (uint32_t)len;
	return off;
}

static inline void db_begin(struct dtb_builder *b, const char *name)
{
	db_u32(b, 1);
	db_raw(b, name, strlen(name) + 1);
	db_align(b);
}

static inline void db_end(struct dtb_builder *b)
{
	db_u32(b, 2);
}

static inline void db_nop(struct dtb_builder *b)
{
	db_u32(b, 4);
}

static inline void db_fdt_end(struct dtb_builder *b)
{
	db_u32(b, 9);
}

static inline void db_prop(struct dtb_builder *b, const char *name, const void *data, uint32_t len)
{
	db_u32(b, 3);
	db_u32(b, len);
	db_u32(b, db_string(b, name));
	db_raw(b, data, len);
	db_align(b);
}

static inline void db_prop_str(struct dtb_builder *b, const char *name, const char *s)
{
	db_prop(b, name, s, (uint32_t)strlen(s) + 1);
}

static inline void db_prop_cells(struct dtb_builder *b, const char *name, const uint32_t *cells,
				 unsigned int n)
{
	uint8_t be[64];

	if (n > 16)
		abort();
	for (unsigned int i = 0; i < n; i++)
		put_be32(be + 4 * i, cells[i]);
	db_prop(b, name, be, 4 * n);
}

static inline void db_prop_u32(struct dtb_builder *b, const char *name, uint32_t v)
{
	db_prop_cells(b, name, &v, 1);
}

static inline void db_memrsv(struct dtb_builder *b, uint64_t addr, uint64_t size)
{
	b->rsv[b->nrsv][0] = addr;
	b->rsv[b->nrsv][1] = size;
	b->nrsv++;
}

/* Writes a version 17 blob into out (zeroed first); returns totalsize. */
static inline size_t db_finish(const struct dtb_builder *b, uint8_t *out, size_t cap)
{
	uint32_t off_rsv = 40;
	uint32_t off_struct = off_rsv + 16 * (b->nrsv + 1);
	uint32_t off_strings = off_struct + b->st_len;
	uint32_t total = off_strings + b->str_len;

	if (total > cap)
		abort();
	memset(out, 0, cap);
	put_be32(out + HDR_MAGIC, FDT_MAGIC);
	put_be32(out + HDR_TOTALSIZE, total);
	put_be32(out + HDR_OFF_STRUCT, off_struct);
	put_be32(out + HDR_OFF_STRINGS, off_strings);
	put_be32(out + HDR_OFF_MEMRSV, off_rsv);
	put_be32(out + HDR_VERSION, 17);
	put_be32(out + HDR_LAST_COMP, 16);
	put_be32(out + HDR_SIZE_STRINGS, b->str_len);
	put_be32(out + HDR_SIZE_STRUCT, b->st_len);
	for (unsigned int i = 0; i < b->nrsv; i++) {
		put_be64(out + off_rsv + 16 * i, b->rsv[i][0]);
		put_be64(out + off_rsv + 16 * i + 8, b->rsv[i][1]);
	}
	memcpy(out + off_struct, b->st, b->st_len);
	memcpy(out + off_strings, b->str, b->str_len);
	return total;
}

/* Root with memory and one cpu: the smallest tree platform_discover accepts. */
static inline void db_minimal_platform_begin(struct dtb_builder *b)
{
	static const uint32_t mem_reg[] = { 0, 0x40000000, 0, 0x10000000 };

	db_begin(b, "");
	db_prop_u32(b, "#address-cells", 2);
	db_prop_u32(b, "#size-cells", 2);
	db_begin(b, "memory@40000000");
	db_prop_str(b, "device_type", "memory");
	db_prop_cells(b, "reg", mem_reg, 4);
	db_end(b);
	db_begin(b, "cpus");
	db_prop_u32(b, "#address-cells", 1);
	db_prop_u32(b, "#size-cells", 0);
	db_begin(b, "cpu@0");
	db_prop_str(b, "device_type", "cpu");
	db_prop_u32(b, "reg", 0);
	db_end(b);
	db_end(b);
}

/*
 * Visits every node and property through the public API, the way a consumer
 * would; returns the number of nodes, or a negative fdt error.
 */
static inline int fdt_walk_everything(const struct fdt *fdt)
{
	int depth = 0;
	int nodes = 0;
	int node;

	for (node = fdt_root(fdt); node >= 0; node = fdt_next_node(fdt, node, &depth)) {
		struct fdt_prop prop;
		struct fdt_cells cells;
		const char *name;
		int err;

		nodes++;
		if (fdt_node_name(fdt, node, &name) != FDT_OK)
			return FDT_ERR_BADOFFSET;
		for (err = fdt_first_prop(fdt, node, &prop); err == FDT_OK;
		     err = fdt_next_prop(fdt, &prop)) {
			uint64_t a, s;

			if (strcmp(prop.name, "reg") == 0 &&
			    fdt_reg_count(&prop, (struct fdt_cells){ 2, 2 }) > 0)
				fdt_reg_entry(&prop, (struct fdt_cells){ 2, 2 }, 0, &a, &s);
			(void)fdt_prop_is_string(&prop);
		}
		if (err != FDT_ERR_NOTFOUND)
			return err;
		(void)fdt_get_cells(fdt, node, &cells);
		(void)fdt_is_available(fdt, node);
		(void)fdt_is_compatible(fdt, node, "arm,pl011");
		for (int child = fdt_first_subnode(fdt, node); child >= 0;
		     child = fdt_next_subnode(fdt, child))
			;
	}
	return node == FDT_ERR_NOTFOUND ? nodes : node;
}

#endif
