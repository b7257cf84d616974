/* SPDX-License-Identifier: MIT */
/*
 * lib/fdt_write.c: blobs it writes read back through lib/fdt.c and dtc;
 * every buffer size short of the full blob fails cleanly (ASan watches the
 * exact-size heap buffers); the order, nesting and name rules are enforced
 * and errors stick.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <rhenium/fdt.h>
#include <rhenium/fdt_write.h>

#include "dtc_util.h"
#include "test.h"

static uint8_t wbuf[8192];

static uint32_t hdr(const uint8_t *blob, unsigned int off)
{
	return fdt_be32(blob + off);
}

/* A small tree that uses every helper; returns finish()'s result. */
static int write_sample(void *buf, size_t size, size_t *total)
{
	static const char *const compat[] = { "vendor,board", "vendor,soc" };
	static const uint32_t cells[] = { 0, 0x40000000, 0, 0x10000000 };
	static const uint8_t raw[] = { 1, 2, 3, 4, 5 };
	struct fdt_writer w;

	fdt_write_init(&w, buf, size);
	fdt_write_memrsv(&w, 0x48000000, 0x100000);
	fdt_write_memrsv(&w, 0x1000000000ull, 0x2000);
	fdt_write_begin_node(&w, "");
	fdt_write_prop_u32(&w, "#address-cells", 2);
	fdt_write_prop_u32(&w, "#size-cells", 2);
	fdt_write_prop_strings(&w, "compatible", compat, ARRAY_SIZE(compat));
	fdt_write_prop_string(&w, "model", "Sample");
	fdt_write_begin_node_at(&w, "memory", 0x40000000);
	fdt_write_prop_string(&w, "device_type", "memory");
	fdt_write_prop_cells(&w, "reg", cells, ARRAY_SIZE(cells));
	fdt_write_end_node(&w);
	fdt_write_begin_node(&w, "chosen");
	fdt_write_prop_string(&w, "bootargs", "console=ttyAMA0");
	fdt_write_prop_u64(&w, "linux,initrd-start", 0x48000000);
	fdt_write_prop_u64(&w, "linux,initrd-end", 0x48100000);
	fdt_write_end_node(&w);
	fdt_write_begin_node(&w, "node");
	fdt_write_prop_empty(&w, "flag");
	fdt_write_prop(&w, "raw-bytes", raw, sizeof(raw));
	fdt_write_prop_u32(&w, "after-odd", 0xdeadbeef);
	fdt_write_begin_node(&w, "child");
	fdt_write_prop_string(&w, "name-suffix", "x");
	fdt_write_end_node(&w);
	fdt_write_end_node(&w);
	fdt_write_end_node(&w);
	return fdt_write_finish(&w, total);
}

TEST(fdt_write_sample_reads_back)
{
	struct fdt fdt;
	struct fdt_prop prop;
	const char *str;
	uint64_t addr, size, v64;
	uint32_t v32;
	size_t total = 0;
	int node;

	REQUIRE(write_sample(wbuf, sizeof(wbuf), &total) == FDT_WRITE_OK);
	REQUIRE(total > 40 && total < sizeof(wbuf));
	REQUIRE(fdt_init(&fdt, wbuf, total) == FDT_OK);

	CHECK_EQ(hdr(wbuf, 0), FDT_MAGIC);
	CHECK_EQ(hdr(wbuf, 4), total);
	CHECK_EQ(hdr(wbuf, 16), 40); /* reservation map right after the header */
	CHECK_EQ(hdr(wbuf, 20), 17); /* version */
	CHECK_EQ(hdr(wbuf, 24), 16); /* last_comp_version */
	CHECK_EQ(hdr(wbuf, 28), 0);  /* boot_cpuid_phys */
	CHECK_EQ(hdr(wbuf, 8), 40 + 3 * 16);
	CHECK_EQ(hdr(wbuf, 12), hdr(wbuf, 8) + hdr(wbuf, 36)); /* strings after struct */
	CHECK_EQ(hdr(wbuf, 12) + hdr(wbuf, 32), total);

	CHECK_EQ(fdt_memrsv_count(&fdt), 2);
	CHECK(fdt_memrsv_entry(&fdt, 0, &addr, &size) == FDT_OK);
	CHECK_EQ(addr, 0x48000000);
	CHECK_EQ(size, 0x100000);
	CHECK(fdt_memrsv_entry(&fdt, 1, &addr, &size) == FDT_OK);
	CHECK_EQ(addr, 0x1000000000ull);
	CHECK_EQ(size, 0x2000);

	node = fdt_root(&fdt);
	CHECK(fdt_is_compatible(&fdt, node, "vendor,board"));
	CHECK(fdt_is_compatible(&fdt, node, "vendor,soc"));
	CHECK(fdt_get_string(&fdt, node, "model", &str) == FDT_OK && strcmp(str, "Sample") == 0);
	CHECK(fdt_get_u32(&fdt, node, "#size-cells", &v32) == FDT_OK && v32 == 2);

	node = fdt_find_path(&fdt, "/memory@40000000");
	REQUIRE(node >= 0);
	REQUIRE(fdt_get_prop(&fdt, node, "reg", &prop) == FDT_OK);
	CHECK_EQ(prop.len, 16);
	CHECK(fdt_reg_entry(&prop, (struct fdt_cells){ 2, 2 }, 0, &addr, &size) == FDT_OK);
	CHECK_EQ(addr, 0x40000000);
	CHECK_EQ(size, 0x10000000);

	node = fdt_find_path(&fdt, "/chosen");
	REQUIRE(node >= 0);
	CHECK(fdt_get_string(&fdt, node, "bootargs", &str) == FDT_OK &&
	      strcmp(str, "console=ttyAMA0") == 0);
	CHECK(fdt_get_u64(&fdt, node, "linux,initrd-end", &v64) == FDT_OK && v64 == 0x48100000);

	node = fdt_find_path(&fdt, "/node");
	REQUIRE(node >= 0);
	REQUIRE(fdt_get_prop(&fdt, node, "flag", &prop) == FDT_OK);
	CHECK_EQ(prop.len, 0);
	REQUIRE(fdt_get_prop(&fdt, node, "raw-bytes", &prop) == FDT_OK);
	CHECK(prop.len == 5 && memcmp(prop.data, "\1\2\3\4\5", 5) == 0);
	/* The odd-length value before it was padded, so this one is still aligned. */
	CHECK(fdt_get_u32(&fdt, node, "after-odd", &v32) == FDT_OK && v32 == 0xdeadbeef);
	node = fdt_find_path(&fdt, "/node/child");
	CHECK(fdt_get_string(&fdt, node, "name-suffix", &str) == FDT_OK && strcmp(str, "x") == 0);

	CHECK(dtc_check_blob("written-sample.dtb", wbuf, total));
}

TEST(fdt_write_dedups_strings)
{
	struct fdt_writer w;
	size_t total;
	uint32_t strings_once = 0, strings_twice = 0;

	/* The same names in three nodes cost the strings block nothing extra. */
	for (int copies = 1; copies <= 3; copies += 2) {
		fdt_write_init(&w, wbuf, sizeof(wbuf));
		fdt_write_begin_node(&w, "");
		fdt_write_prop_u32(&w, "#size-cells", 1);
		for (int i = 0; i < copies; i++) {
			fdt_write_begin_node_at(&w, "n", (uint64_t)i);
			fdt_write_prop_u32(&w, "reg", 1);
			fdt_write_prop_string(&w, "status", "okay");
			fdt_write_end_node(&w);
		}
		fdt_write_end_node(&w);
		REQUIRE(fdt_write_finish(&w, &total) == FDT_WRITE_OK);
		if (copies == 1)
			strings_once = hdr(wbuf, 32);
		else
			strings_twice = hdr(wbuf, 32);
	}
	CHECK_EQ(strings_once, sizeof("#size-cells") + sizeof("reg") + sizeof("status"));
	CHECK_EQ(strings_twice, strings_once);

	/* A name that is the tail of an earlier one points into it. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_u32(&w, "#size-cells", 1);
	fdt_write_prop_u32(&w, "cells", 2);
	fdt_write_prop_u32(&w, "size-cells", 3);
	REQUIRE(fdt_write_error(&w) == FDT_WRITE_OK);
	fdt_write_end_node(&w);
	REQUIRE(fdt_write_finish(&w, &total) == FDT_WRITE_OK);
	CHECK_EQ(hdr(wbuf, 32), sizeof("#size-cells"));
	{
		struct fdt fdt;
		uint32_t v;

		REQUIRE(fdt_init(&fdt, wbuf, total) == FDT_OK);
		CHECK(fdt_get_u32(&fdt, fdt.root, "cells", &v) == FDT_OK && v == 2);
		CHECK(fdt_get_u32(&fdt, fdt.root, "size-cells", &v) == FDT_OK && v == 3);
		CHECK(fdt_get_u32(&fdt, fdt.root, "#size-cells", &v) == FDT_OK && v == 1);
	}
}

TEST(fdt_write_every_short_buffer_fails_cleanly)
{
	size_t full;
	uint8_t *ref;

	REQUIRE(write_sample(wbuf, sizeof(wbuf), &full) == FDT_WRITE_OK);
	ref = malloc(full);
	REQUIRE(ref);
	memcpy(ref, wbuf, full);
	/* Exact-size heap buffers: ASan reports any byte written past the end. */
	for (size_t len = 0; len <= full; len++) {
		uint8_t *buf = malloc(len ? len : 1);
		size_t total = 0;
		int rc;

		REQUIRE(buf);
		rc = write_sample(len ? buf : NULL, len, &total);
		if (len < full) {
			if (rc != FDT_WRITE_ERR_NOSPACE) {
				fprintf(stderr, "  len %zu: rc %d\n", len, rc);
				CHECK(rc == FDT_WRITE_ERR_NOSPACE);
			}
		} else {
			CHECK(rc == FDT_WRITE_OK);
			CHECK_EQ(total, full);
			CHECK(memcmp(buf, ref, full) == 0);
		}
		free(buf);
	}
	free(ref);
}

TEST(fdt_write_unaligned_buffer)
{
	struct fdt fdt;
	size_t total;

	REQUIRE(write_sample(wbuf + 1, sizeof(wbuf) - 1, &total) == FDT_WRITE_OK);
	CHECK(fdt_init(&fdt, wbuf + 1, total) == FDT_OK);
}

TEST(fdt_write_nesting_errors)
{
	struct fdt_writer w;

	/* No root at all. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_ERR_NESTING);

	/* A node left open. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_begin_node(&w, "a");
	fdt_write_end_node(&w);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_ERR_NESTING);

	/* One end too many. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_end_node(&w);
	fdt_write_end_node(&w);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NESTING);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_ERR_NESTING);

	/* A second root. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_end_node(&w);
	fdt_write_begin_node(&w, "");
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NESTING);

	/* The reader's depth cap: 32 open nodes are fine, 33 are not. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	for (int i = 1; i < FDT_MAX_DEPTH; i++)
		fdt_write_begin_node(&w, "d");
	CHECK(fdt_write_error(&w) == FDT_WRITE_OK);
	for (int i = 0; i < FDT_MAX_DEPTH; i++)
		fdt_write_end_node(&w);
	{
		struct fdt fdt;
		size_t total;

		REQUIRE(fdt_write_finish(&w, &total) == FDT_WRITE_OK);
		CHECK(fdt_init(&fdt, wbuf, total) == FDT_OK);
	}
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	for (int i = 1; i <= FDT_MAX_DEPTH; i++)
		fdt_write_begin_node(&w, "d");
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NESTING);
}

TEST(fdt_write_order_errors)
{
	struct fdt_writer w;

	/* /memreserve/ entries come before the structure block. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_memrsv(&w, 0, 0x1000);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_ORDER);

	/* Properties before children (spec 5.4.2). */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_begin_node(&w, "a");
	fdt_write_prop_u32(&w, "inner", 1);
	fdt_write_end_node(&w);
	CHECK(fdt_write_error(&w) == FDT_WRITE_OK);
	fdt_write_prop_u32(&w, "late", 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_ORDER);

	/* A property outside any node. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_prop_u32(&w, "early", 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_ORDER);

	/* Anything after finish, including a second finish. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_end_node(&w);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_OK);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_ERR_ORDER);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_end_node(&w);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_OK);
	fdt_write_begin_node(&w, "x");
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_ORDER);
}

static int name_result(const char *node, const char *prop)
{
	struct fdt_writer w;

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	if (node)
		fdt_write_begin_node(&w, node);
	if (prop)
		fdt_write_prop_empty(&w, prop);
	return fdt_write_error(&w);
}

TEST(fdt_write_names)
{
	struct fdt_writer w;

	CHECK(name_result("cpu@0", NULL) == FDT_WRITE_OK);
	CHECK(name_result("virtio_mmio@a000000", NULL) == FDT_WRITE_OK);
	CHECK(name_result("a,b.c_d+e-f@1,2", NULL) == FDT_WRITE_OK);
	CHECK(name_result("abcdefghijabcdefghijabcdefghija@0", NULL) == FDT_WRITE_OK); /* 31 */
	CHECK(name_result("abcdefghijabcdefghijabcdefghijab", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("0abc", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("a b", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("a/b", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("a@", NULL) == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result("a@1@2", NULL) == FDT_WRITE_ERR_BADNAME);

	CHECK(name_result(NULL, "#address-cells") == FDT_WRITE_OK);
	CHECK(name_result(NULL, "linux,initrd-start") == FDT_WRITE_OK);
	CHECK(name_result(NULL, "a?b#c_d+e.f") == FDT_WRITE_OK);
	CHECK(name_result(NULL, "abcdefghijabcdefghijabcdefghija") == FDT_WRITE_OK);
	CHECK(name_result(NULL, "abcdefghijabcdefghijabcdefghijab") == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result(NULL, "") == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result(NULL, "a b") == FDT_WRITE_ERR_BADNAME);
	CHECK(name_result(NULL, "a@b") == FDT_WRITE_ERR_BADNAME);

	/* The root is "" and nothing else; a NULL name is refused, not dereferenced. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "root");
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, NULL);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_begin_node_at(&w, NULL, 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_begin_node_at(&w, "abcdefghijabcdefghijabcdefghijabcdefghij", 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_begin_node_at(&w, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij", 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_u32(&w, NULL, 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADNAME);
}

TEST(fdt_write_bad_values_and_sticky_errors)
{
	static const char *const with_null[] = { "a", NULL };
	struct fdt_writer w;

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop(&w, "p", NULL, 4);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);
	/* Later calls, even valid ones or ones failing differently, keep the first error. */
	fdt_write_prop_u32(&w, "q", 1);
	fdt_write_end_node(&w);
	fdt_write_end_node(&w);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);
	CHECK(fdt_write_finish(&w, NULL) == FDT_WRITE_ERR_BADVALUE);

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_string(&w, "s", NULL);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_strings(&w, "s", with_null, 2);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_strings(&w, "s", NULL, 1);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);

	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_cells(&w, "c", NULL, 2);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_BADVALUE);

	/* Empty lists are empty properties. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop_strings(&w, "s", NULL, 0);
	fdt_write_prop_cells(&w, "c", NULL, 0);
	fdt_write_prop(&w, "p", NULL, 0);
	CHECK(fdt_write_error(&w) == FDT_WRITE_OK);

	/* A length no blob can hold is refused before the value is read. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_prop(&w, "huge", wbuf, SIZE_MAX);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NOSPACE);

	/* Too small for even the header. */
	fdt_write_init(&w, wbuf, 39);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NOSPACE);
	fdt_write_init(&w, NULL, 4096);
	CHECK(fdt_write_error(&w) == FDT_WRITE_ERR_NOSPACE);

	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_ERR_NOSPACE), "buffer too small") == 0);
	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_OK), "ok") == 0);
	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_ERR_NESTING), "unbalanced nodes") == 0);
	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_ERR_ORDER), "call out of order") == 0);
	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_ERR_BADNAME), "invalid node or property name") ==
	      0);
	CHECK(strcmp(fdt_write_strerror(FDT_WRITE_ERR_BADVALUE), "invalid property value") == 0);
	CHECK(strcmp(fdt_write_strerror(42), "unknown error") == 0);
}

TEST(fdt_write_minimal_tree)
{
	struct fdt_writer w;
	struct fdt fdt;
	size_t total;

	/* Header, terminator, BEGIN_NODE "" (8), END_NODE, END: the smallest valid blob. */
	fdt_write_init(&w, wbuf, sizeof(wbuf));
	fdt_write_begin_node(&w, "");
	fdt_write_end_node(&w);
	REQUIRE(fdt_write_finish(&w, &total) == FDT_WRITE_OK);
	CHECK_EQ(total, 40 + 16 + 8 + 4 + 4);
	CHECK_EQ(hdr(wbuf, 32), 0);
	CHECK(fdt_init(&fdt, wbuf, total) == FDT_OK);
}
