/* SPDX-License-Identifier: MIT */
/*
 * lib/fdt.c: the reader's API on dtc-built fixtures, and its refusal of
 * malformed blobs (hand-built, truncated, or corrupted byte by byte).
 */
#include <rhenium/fdt.h>
#include <rhenium/platform_discover.h>

#include "fdt_test_util.h"
#include "test.h"

static uint8_t blob_buf[32768];

static int init_fixture(struct fdt *fdt, const char *name, uint8_t **blob, size_t *len)
{
	*blob = load_fixture(name, len);
	if (!*blob)
		return FDT_ERR_NOTFOUND;
	return fdt_init(fdt, *blob, *len);
}

/* --- Header and layout --------------------------------------------------- */

TEST(fdt_init_accepts_dtc_output)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	uint64_t addr, size;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	CHECK_EQ(fdt.version, 17);
	CHECK_EQ(fdt.totalsize, len);
	CHECK_EQ(fdt_memrsv_count(&fdt), 1);
	CHECK(fdt_memrsv_entry(&fdt, 0, &addr, &size) == FDT_OK);
	CHECK_EQ(addr, 0x48000000);
	CHECK_EQ(size, 0x800000);
	CHECK(fdt_memrsv_entry(&fdt, 1, &addr, &size) == FDT_ERR_NOTFOUND);
	free(blob);
}

TEST(fdt_init_rejects_bad_headers)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;

	REQUIRE(init_fixture(&fdt, "minimal.dtb", &blob, &len) == FDT_OK);
	REQUIRE(len <= sizeof(blob_buf));

	CHECK(fdt_init(&fdt, NULL, 100) == FDT_ERR_TRUNCATED);
	CHECK(fdt_init(&fdt, blob, 0) == FDT_ERR_TRUNCATED);
	CHECK(fdt_init(&fdt, blob, 3) == FDT_ERR_TRUNCATED);
	CHECK(fdt_init(&fdt, blob, 39) == FDT_ERR_TRUNCATED);
	CHECK(fdt_init(&fdt, blob, len - 1) == FDT_ERR_TRUNCATED);

#define WITH_FIELD(field, value, expect)                           \
	do {                                                       \
		memcpy(blob_buf, blob, len);                       \
		put_be32(blob_buf + (field), (value));             \
		CHECK_EQ(fdt_init(&fdt, blob_buf, len), (expect)); \
	} while (0)

	WITH_FIELD(HDR_MAGIC, 0xfeedd00d, FDT_ERR_BADMAGIC);
	WITH_FIELD(HDR_VERSION, 15, FDT_ERR_BADVERSION);
	WITH_FIELD(HDR_LAST_COMP, 18, FDT_ERR_BADVERSION);
	WITH_FIELD(HDR_TOTALSIZE, (uint32_t)len + 1, FDT_ERR_TRUNCATED);
	WITH_FIELD(HDR_TOTALSIZE, 0xffffffff, FDT_ERR_TRUNCATED);
	WITH_FIELD(HDR_TOTALSIZE, 39, FDT_ERR_BADLAYOUT);
	/* Misaligned blocks. */
	WITH_FIELD(HDR_OFF_STRUCT, fdt_be32(blob + HDR_OFF_STRUCT) + 2, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_OFF_MEMRSV, fdt_be32(blob + HDR_OFF_MEMRSV) + 4, FDT_ERR_BADLAYOUT);
	/* Blocks overlapping the header, each other, or running past totalsize. */
	WITH_FIELD(HDR_OFF_STRUCT, 8, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_OFF_STRINGS, 0, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_OFF_MEMRSV, 16, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_OFF_STRINGS, fdt_be32(blob + HDR_OFF_STRUCT) + 8, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_SIZE_STRUCT, fdt_be32(blob + HDR_SIZE_STRUCT) + 4, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_SIZE_STRINGS, (uint32_t)len, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_SIZE_STRINGS, 0xfffffff0, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_SIZE_STRUCT, 0xfffffffc, FDT_ERR_BADLAYOUT);
	WITH_FIELD(HDR_OFF_STRUCT, 0xfffffff0, FDT_ERR_BADLAYOUT);
	/* Structure block cut before FDT_END. */
	WITH_FIELD(HDR_SIZE_STRUCT, fdt_be32(blob + HDR_SIZE_STRUCT) - 4, FDT_ERR_BADSTRUCT);
	/* Strings block cut: the last name loses its NUL. */
	WITH_FIELD(HDR_SIZE_STRINGS, fdt_be32(blob + HDR_SIZE_STRINGS) - 1, FDT_ERR_BADPROP);
	WITH_FIELD(HDR_SIZE_STRINGS, 0, FDT_ERR_BADPROP);
#undef WITH_FIELD
	free(blob);
}

TEST(fdt_init_accepts_version_16)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	/* v16 has no size_dt_struct; the garbage there must be ignored. */
	put_be32(blob + HDR_VERSION, 16);
	put_be32(blob + HDR_SIZE_STRUCT, 0xdeadbeef);
	CHECK(fdt_init(&fdt, blob, len) == FDT_OK);
	CHECK(fdt_find_path(&fdt, "/cpus/cpu@101") >= 0);
	CHECK_EQ(fdt_walk_everything(&fdt), fdt_walk_everything(&fdt));
	CHECK(fdt_walk_everything(&fdt) > 10);
	free(blob);
}

TEST(fdt_memrsv_must_be_terminated)
{
	struct dtb_builder b;
	struct fdt fdt;
	size_t total;

	db_init(&b);
	db_begin(&b, "");
	db_end(&b);
	db_fdt_end(&b);
	total = db_finish(&b, blob_buf, sizeof(blob_buf));
	REQUIRE(fdt_init(&fdt, blob_buf, total) == FDT_OK);

	/* A map at the very end whose only entry is not 0/0. */
	put_be64(blob_buf + total, 0x1000);
	put_be64(blob_buf + total + 8, 0x1000);
	put_be32(blob_buf + HDR_OFF_MEMRSV, (uint32_t)total);
	put_be32(blob_buf + HDR_TOTALSIZE, (uint32_t)total + 16);
	CHECK(fdt_init(&fdt, blob_buf, total + 16) == FDT_ERR_BADMEMRSV);

	/* An entry that runs into the structure block. */
	db_memrsv(&b, 0x80000000, 0x1000);
	total = db_finish(&b, blob_buf, sizeof(blob_buf));
	REQUIRE(fdt_init(&fdt, blob_buf, total) == FDT_OK);
	CHECK_EQ(fdt_memrsv_count(&fdt), 1);
	put_be64(blob_buf + 40 + 16, 1);
	CHECK(fdt_init(&fdt, blob_buf, total) != FDT_OK);
}

/* --- Structure block ------------------------------------------------------ */

static int build_and_init(struct dtb_builder *b, struct fdt *fdt)
{
	size_t total = db_finish(b, blob_buf, sizeof(blob_buf));

	return fdt_init(fdt, blob_buf, total);
}

TEST(fdt_struct_tokens_are_validated)
{
	static const char unterminated[] = { 'a', 'b', 'c', 'd' };
	struct dtb_builder b;
	struct fdt fdt;

	/* Well-formed, with NOPs in every legal place. */
	db_init(&b);
	db_nop(&b);
	db_begin(&b, "");
	db_nop(&b);
	db_prop_u32(&b, "a", 1);
	db_nop(&b);
	db_begin(&b, "child");
	db_end(&b);
	db_nop(&b);
	db_end(&b);
	db_nop(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_OK);
	CHECK_EQ(fdt_root(&fdt), 4);

	/* Missing FDT_END. */
	db_init(&b);
	db_begin(&b, "");
	db_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Empty structure block. */
	db_init(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Only FDT_END: no root. */
	db_init(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Unbalanced: root never closed, or closed twice. */
	db_init(&b);
	db_begin(&b, "");
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);
	db_init(&b);
	db_begin(&b, "");
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Two roots. */
	db_init(&b);
	db_begin(&b, "");
	db_end(&b);
	db_begin(&b, "");
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Property outside any node, and after a subnode. */
	db_init(&b);
	db_prop_u32(&b, "a", 1);
	db_begin(&b, "");
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);
	db_init(&b);
	db_begin(&b, "");
	db_begin(&b, "child");
	db_end(&b);
	db_prop_u32(&b, "a", 1);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Unknown token. */
	db_init(&b);
	db_begin(&b, "");
	db_u32(&b, 5);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADSTRUCT);

	/* Node name running to the end of the block without a NUL. */
	db_init(&b);
	db_begin(&b, "");
	db_u32(&b, 1);
	db_raw(&b, unterminated, sizeof(unterminated));
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADNAME);

	/* A property whose length lies, so the next token is read mid-stream. */
	db_init(&b);
	db_begin(&b, "");
	db_prop_u32(&b, "a", 1);
	put_be32(b.st + b.st_len - 12, 5);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) != FDT_OK);
}

TEST(fdt_properties_are_validated)
{
	struct dtb_builder b;
	struct fdt fdt;
	size_t total;

	/* Value longer than the rest of the block. */
	db_init(&b);
	db_begin(&b, "");
	db_u32(&b, 3);
	db_u32(&b, 0x1000);
	db_u32(&b, db_string(&b, "x"));
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADPROP);

	/* Huge length that would wrap a 32-bit sum. */
	db_init(&b);
	db_begin(&b, "");
	db_u32(&b, 3);
	db_u32(&b, 0xfffffff8);
	db_u32(&b, db_string(&b, "x"));
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADPROP);

	/* Header of the property itself cut off by the end of the block. */
	db_init(&b);
	db_begin(&b, "");
	db_u32(&b, 3);
	db_u32(&b, 0);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADPROP);

	/* Name offset outside the strings block. */
	db_init(&b);
	db_string(&b, "name");
	db_begin(&b, "");
	db_u32(&b, 3);
	db_u32(&b, 0);
	db_u32(&b, 5);
	db_end(&b);
	db_fdt_end(&b);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_BADPROP);

	/* Name inside the block but not terminated inside it. */
	db_init(&b);
	db_begin(&b, "");
	db_prop_u32(&b, "name", 1);
	db_end(&b);
	db_fdt_end(&b);
	total = db_finish(&b, blob_buf, sizeof(blob_buf));
	put_be32(blob_buf + HDR_SIZE_STRINGS, 4);
	CHECK(fdt_init(&fdt, blob_buf, total) == FDT_ERR_BADPROP);
}

static void build_nested(struct dtb_builder *b, int levels)
{
	db_init(b);
	for (int i = 0; i < levels; i++)
		db_begin(b, i == 0 ? "" : "n");
	for (int i = 0; i < levels; i++)
		db_end(b);
	db_fdt_end(b);
}

TEST(fdt_depth_is_capped)
{
	struct dtb_builder b;
	struct fdt fdt;
	struct platform_info info;
	int depth = 0, node, deepest = 0, deepest_node = -1, prev = -1;

	build_nested(&b, FDT_MAX_DEPTH);
	REQUIRE(build_and_init(&b, &fdt) == FDT_OK);
	for (node = fdt_root(&fdt); node >= 0; node = fdt_next_node(&fdt, node, &depth)) {
		prev = deepest_node;
		deepest = depth;
		deepest_node = node;
	}
	CHECK_EQ(deepest, FDT_MAX_DEPTH - 1);
	CHECK(node == FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_parent(&fdt, deepest_node), prev);
	CHECK(platform_discover(blob_buf, fdt.totalsize, &info, NULL, 0) == PLATFORM_ERR_MISSING);

	build_nested(&b, FDT_MAX_DEPTH + 1);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_TOODEEP);
	build_nested(&b, 1000);
	CHECK(build_and_init(&b, &fdt) == FDT_ERR_TOODEEP);
}

/* --- Nodes and paths -------------------------------------------------------- */

static const char *name_of(const struct fdt *fdt, int node)
{
	const char *name = "<error>";

	fdt_node_name(fdt, node, &name);
	return name;
}

TEST(fdt_walk_visits_nodes_in_order_with_depth)
{
	static const struct {
		const char *name;
		int depth;
	} expect[] = {
		{ "", 0 },
		{ "aliases", 1 },
		{ "chosen", 1 },
		{ "memory@40000000", 1 },
		{ "memory@100000000", 1 },
		{ "reserved-memory", 1 },
		{ "tee@5e000000", 2 },
		{ "linux,cma", 2 },
		{ "unused@60000000", 2 },
		{ "cpus", 1 },
		{ "cpu-map", 2 },
		{ "cluster0", 3 },
		{ "core0", 4 },
		{ "cpu@0", 2 },
	};
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	int depth = 0, node, i = 0;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	for (node = fdt_root(&fdt); node >= 0 && i < (int)ARRAY_SIZE(expect);
	     node = fdt_next_node(&fdt, node, &depth), i++) {
		CHECK(strcmp(name_of(&fdt, node), expect[i].name) == 0);
		CHECK_EQ(depth, expect[i].depth);
	}
	CHECK_EQ(i, ARRAY_SIZE(expect));
	CHECK_EQ(fdt_walk_everything(&fdt), 23);
	free(blob);
}

TEST(fdt_subnodes_and_parent)
{
	static const char *const cpus[] = { "cpu-map", "cpu@0", "cpu@1", "cpu@100", "cpu@101" };
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	int node, parent, i = 0;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	parent = fdt_find_path(&fdt, "/cpus");
	REQUIRE(parent >= 0);
	for (node = fdt_first_subnode(&fdt, parent); node >= 0 && i < 5;
	     node = fdt_next_subnode(&fdt, node), i++) {
		CHECK(strcmp(name_of(&fdt, node), cpus[i]) == 0);
		CHECK_EQ(fdt_parent(&fdt, node), parent);
	}
	CHECK_EQ(i, 5);
	CHECK(node == FDT_ERR_NOTFOUND);

	/* Leaf: no children; last child: no next sibling. */
	node = fdt_find_path(&fdt, "/cpus/cpu@101");
	REQUIRE(node >= 0);
	CHECK(fdt_first_subnode(&fdt, node) == FDT_ERR_NOTFOUND);
	CHECK(fdt_next_subnode(&fdt, node) == FDT_ERR_NOTFOUND);
	CHECK(fdt_parent(&fdt, fdt_root(&fdt)) == FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_parent(&fdt, fdt_find_path(&fdt, "/cpus/cpu-map/cluster0/core0")),
		 fdt_find_path(&fdt, "/cpus/cpu-map/cluster0"));
	free(blob);
}

TEST(fdt_find_path_handles_units_aliases_and_junk)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	int soc_uart;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	CHECK_EQ(fdt_find_path(&fdt, "/"), fdt_root(&fdt));
	CHECK(strcmp(name_of(&fdt, fdt_find_path(&fdt, "/chosen")), "chosen") == 0);
	CHECK(strcmp(name_of(&fdt, fdt_find_path(&fdt, "/cpus/cpu@100")), "cpu@100") == 0);
	CHECK(strcmp(name_of(&fdt, fdt_find_path(&fdt, "//cpus//cpu@1/")), "cpu@1") == 0);
	/* Unit address may be left out only when that is unambiguous. */
	CHECK(strcmp(name_of(&fdt, fdt_find_path(&fdt, "/psci")), "psci") == 0);
	CHECK(strcmp(name_of(&fdt, fdt_find_path(&fdt, "/soc")), "soc@9100000") == 0);
	CHECK(fdt_find_path(&fdt, "/memory") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "/cpus/cpu") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "/cpu") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "/nonexistent") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "/cpus/cpu@0/deeper") == FDT_ERR_NOTFOUND);

	soc_uart = fdt_find_path(&fdt, "/soc@9100000/serial@40000");
	REQUIRE(soc_uart >= 0);
	CHECK_EQ(fdt_find_path(&fdt, "serial1"), soc_uart);
	CHECK_EQ(fdt_find_path_len(&fdt, "serial1:115200n8", 7), soc_uart);
	CHECK_EQ(fdt_find_path(&fdt, "serial0"), fdt_find_path(&fdt, "/pl011@9000000"));
	CHECK(fdt_find_path(&fdt, "serial1/child") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "serial9") == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_path(&fdt, "") == FDT_ERR_BADPATH);
	CHECK(fdt_find_path(&fdt, NULL) == FDT_ERR_BADPATH);
	free(blob);
}

TEST(fdt_rejects_bad_offsets)
{
	struct fdt fdt;
	struct fdt_prop prop;
	uint8_t *blob;
	size_t len;
	const char *name;
	int depth = 0;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	CHECK(fdt_next_node(&fdt, -4, &depth) == FDT_ERR_BADOFFSET);
	CHECK(fdt_next_node(&fdt, 2, &depth) == FDT_ERR_BADOFFSET);
	CHECK(fdt_next_node(&fdt, (int)fdt.struct_size, &depth) == FDT_ERR_BADOFFSET);
	CHECK(fdt_next_node(&fdt, 0x7ffffffc, &depth) == FDT_ERR_BADOFFSET);
	/* Offset of a property token rather than a node. */
	CHECK(fdt_node_name(&fdt, fdt_root(&fdt) + 8, &name) == FDT_ERR_BADOFFSET);
	CHECK(fdt_first_prop(&fdt, 1, &prop) == FDT_ERR_BADOFFSET);
	CHECK(fdt_first_subnode(&fdt, -1) == FDT_ERR_BADOFFSET);
	CHECK(fdt_next_subnode(&fdt, 3) == FDT_ERR_BADOFFSET);
	CHECK(fdt_parent(&fdt, 12345) == FDT_ERR_BADOFFSET);
	CHECK(fdt_subnode(&fdt, -8, "x", 1) == FDT_ERR_BADOFFSET);
	prop.next = -1;
	CHECK(fdt_next_prop(&fdt, &prop) == FDT_ERR_BADOFFSET);
	CHECK(!fdt_is_compatible(&fdt, 6, "arm,pl011"));
	free(blob);
}

/* --- Properties --------------------------------------------------------------- */

TEST(fdt_property_accessors)
{
	struct fdt fdt;
	struct fdt_prop prop;
	uint8_t *blob;
	size_t len;
	const char *str;
	uint32_t u32;
	uint64_t u64;
	int psci, chosen, count = 0, err;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	psci = fdt_find_path(&fdt, "/psci");
	chosen = fdt_find_path(&fdt, "/chosen");
	REQUIRE(psci >= 0 && chosen >= 0);

	for (err = fdt_first_prop(&fdt, psci, &prop); err == FDT_OK;
	     err = fdt_next_prop(&fdt, &prop))
		count++;
	CHECK(err == FDT_ERR_NOTFOUND);
	CHECK_EQ(count, 2);

	CHECK(fdt_get_string(&fdt, psci, "method", &str) == FDT_OK && strcmp(str, "smc") == 0);
	CHECK(fdt_get_string(&fdt, psci, "compatible", &str) == FDT_ERR_BADVALUE);
	CHECK(fdt_get_string(&fdt, psci, "nope", &str) == FDT_ERR_NOTFOUND);
	CHECK(fdt_get_prop(&fdt, psci, "compatible", &prop) == FDT_OK);
	CHECK(!fdt_prop_is_string(&prop));
	CHECK(fdt_is_compatible(&fdt, psci, "arm,psci-0.2"));
	CHECK(fdt_is_compatible(&fdt, psci, "arm,psci"));
	CHECK(!fdt_is_compatible(&fdt, psci, "arm,psci-0"));
	CHECK(!fdt_is_compatible(&fdt, psci, "arm"));

	CHECK(fdt_get_u64(&fdt, chosen, "linux,initrd-start", &u64) == FDT_OK);
	CHECK_EQ(u64, 0x48000000);
	CHECK(fdt_get_u64(&fdt, chosen, "linux,initrd-end", &u64) == FDT_OK);
	CHECK_EQ(u64, 0x48800000);
	CHECK(fdt_get_u32(&fdt, chosen, "linux,initrd-end", &u32) == FDT_ERR_BADVALUE);
	CHECK(fdt_get_u32(&fdt, chosen, "linux,initrd-start", &u32) == FDT_OK);
	CHECK(fdt_get_u64(&fdt, chosen, "bootargs", &u64) == FDT_ERR_BADVALUE);

	CHECK(fdt_is_available(&fdt, psci));
	CHECK(!fdt_is_available(&fdt, fdt_find_path(&fdt, "/reserved-memory/unused@60000000")));
	free(blob);
}

TEST(fdt_stringlist_and_names)
{
	static const char list[] = "arm,pl011\0arm,primecell";
	static const char empties[] = "\0\0a";
	static const char unterminated[] = { 'a', 'b', 0, 'c', 'd' };
	struct fdt_prop p = { "x", (const uint8_t *)"abc", 4, 0 };

	CHECK(fdt_stringlist_contains(list, sizeof(list), "arm,pl011"));
	CHECK(fdt_stringlist_contains(list, sizeof(list), "arm,primecell"));
	CHECK(!fdt_stringlist_contains(list, sizeof(list), "arm,prime"));
	CHECK(!fdt_stringlist_contains(list, sizeof(list) - 1, "arm,primecell"));
	CHECK(!fdt_stringlist_contains(list, 0, ""));
	CHECK(fdt_stringlist_contains(empties, sizeof(empties), "a"));
	CHECK(fdt_stringlist_contains(empties, sizeof(empties), ""));
	CHECK(fdt_stringlist_contains(unterminated, sizeof(unterminated), "ab"));
	CHECK(!fdt_stringlist_contains(unterminated, sizeof(unterminated), "cd"));

	CHECK(fdt_prop_is_string(&p));
	p.len = 3;
	CHECK(!fdt_prop_is_string(&p));
	p.len = 0;
	CHECK(!fdt_prop_is_string(&p));
	p.data = (const uint8_t *)"a\0b";
	p.len = 4;
	CHECK(!fdt_prop_is_string(&p));

	CHECK(fdt_name_is("memory@40000000", "memory"));
	CHECK(fdt_name_is("memory", "memory"));
	CHECK(!fdt_name_is("memoryx", "memory"));
	CHECK(!fdt_name_is("memor", "memory"));
	CHECK(!fdt_name_is("@0", "memory"));
}

/* --- Addresses ------------------------------------------------------------------ */

TEST(fdt_cells_and_reg)
{
	struct fdt fdt;
	struct fdt_prop reg;
	struct fdt_cells cells;
	uint8_t *blob;
	size_t len;
	uint64_t addr, size;
	int gic, rsv;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	CHECK(fdt_get_cells(&fdt, fdt_root(&fdt), &cells) == FDT_OK);
	CHECK(cells.addr == 2 && cells.size == 2);
	rsv = fdt_find_path(&fdt, "/reserved-memory");
	CHECK(fdt_get_cells(&fdt, rsv, &cells) == FDT_OK);
	CHECK(cells.addr == 1 && cells.size == 1);
	/* Absent properties take the spec defaults. */
	CHECK(fdt_get_cells(&fdt, fdt_find_path(&fdt, "/psci"), &cells) == FDT_OK);
	CHECK(cells.addr == 2 && cells.size == 1);

	gic = fdt_find_path(&fdt, "/interrupt-controller@8000000");
	REQUIRE(fdt_get_prop(&fdt, gic, "reg", &reg) == FDT_OK);
	CHECK_EQ(fdt_reg_count(&reg, (struct fdt_cells){ 2, 2 }), 3);
	CHECK(fdt_reg_entry(&reg, (struct fdt_cells){ 2, 2 }, 2, &addr, &size) == FDT_OK);
	CHECK_EQ(addr, 0x08200000);
	CHECK_EQ(size, 0x80000);
	CHECK(fdt_reg_entry(&reg, (struct fdt_cells){ 2, 2 }, 3, &addr, &size) == FDT_ERR_NOTFOUND);
	/* 48 bytes: also 6 entries of 1+1 cells, or 4 of 2+1. */
	CHECK_EQ(fdt_reg_count(&reg, (struct fdt_cells){ 1, 1 }), 6);
	CHECK_EQ(fdt_reg_count(&reg, (struct fdt_cells){ 2, 1 }), 4);
	CHECK_EQ(fdt_reg_count(&reg, (struct fdt_cells){ 1, 2 }), 4);
	CHECK(fdt_reg_count(&reg, (struct fdt_cells){ 3, 2 }) == FDT_ERR_BADCELLS);
	CHECK(fdt_reg_count(&reg, (struct fdt_cells){ 2, 3 }) == FDT_ERR_BADCELLS);
	CHECK(fdt_reg_count(&reg, (struct fdt_cells){ 0, 0 }) == FDT_ERR_BADCELLS);
	CHECK(fdt_reg_count(&reg, (struct fdt_cells){ 0xffffffff, 2 }) == FDT_ERR_BADCELLS);
	reg.len = 44;
	CHECK(fdt_reg_count(&reg, (struct fdt_cells){ 2, 2 }) == FDT_ERR_BADVALUE);
	CHECK(fdt_read_cells(reg.data, 3, &addr) == FDT_ERR_BADCELLS);
	free(blob);
}

TEST(fdt_phandles_and_interrupt_parent)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	int gic, uart, intc;

	REQUIRE(init_fixture(&fdt, "virt-typical.dtb", &blob, &len) == FDT_OK);
	gic = fdt_find_path(&fdt, "/interrupt-controller@8000000");
	uart = fdt_find_path(&fdt, "serial1");
	REQUIRE(gic >= 0 && uart >= 0);
	/* Inherited from the root, through a bus without #interrupt-cells. */
	CHECK_EQ(fdt_interrupt_parent(&fdt, uart), gic);
	CHECK(fdt_find_phandle(&fdt, 0) == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_phandle(&fdt, 0xffffffff) == FDT_ERR_NOTFOUND);
	CHECK(fdt_find_phandle(&fdt, 0x7777) == FDT_ERR_NOTFOUND);
	free(blob);

	REQUIRE(init_fixture(&fdt, "uart-non-gic.dtb", &blob, &len) == FDT_OK);
	intc = fdt_find_path(&fdt, "/interrupt-controller");
	CHECK(intc >= 0);
	CHECK_EQ(fdt_interrupt_parent(&fdt, fdt_find_path(&fdt, "/serial")), intc);
	/* Nothing to inherit from: no controller at all. */
	CHECK(fdt_interrupt_parent(&fdt, fdt_find_path(&fdt, "/cpus")) == FDT_ERR_NOTFOUND);
	free(blob);

	REQUIRE(init_fixture(&fdt, "bad-irq-parent.dtb", &blob, &len) == FDT_OK);
	CHECK(fdt_interrupt_parent(&fdt, fdt_find_path(&fdt, "/pl011")) == FDT_ERR_BADVALUE);
	free(blob);
}

TEST(fdt_interrupt_parent_cycle_terminates)
{
	struct dtb_builder b;
	struct fdt fdt;

	db_init(&b);
	db_begin(&b, "");
	db_begin(&b, "a");
	db_prop_u32(&b, "phandle", 1);
	db_prop_u32(&b, "interrupt-parent", 2);
	db_end(&b);
	db_begin(&b, "b");
	db_prop_u32(&b, "phandle", 2);
	db_prop_u32(&b, "interrupt-parent", 1);
	db_end(&b);
	db_end(&b);
	db_fdt_end(&b);
	REQUIRE(build_and_init(&b, &fdt) == FDT_OK);
	CHECK(fdt_interrupt_parent(&fdt, fdt_find_path(&fdt, "/a")) == FDT_ERR_BADVALUE);
}

TEST(fdt_strerror_covers_every_code)
{
	for (int err = FDT_OK; err >= FDT_ERR_BADPATH; err--) {
		CHECK(fdt_strerror(err) != NULL);
		CHECK(strcmp(fdt_strerror(err), "unknown error") != 0);
	}
	CHECK(strcmp(fdt_strerror(-1000), "unknown error") == 0);
}

/* --- Malformed input, exhaustively ---------------------------------------- */

/*
 * Must not crash or read out of bounds (ASan/UBSan watch); the result may be
 * success or any error.
 */
static void exercise(const uint8_t *blob, size_t len)
{
	struct fdt fdt;
	struct platform_info info;
	char err[128];

	if (fdt_init(&fdt, blob, len) == FDT_OK) {
		(void)fdt_walk_everything(&fdt);
		(void)fdt_find_path(&fdt, "serial0:115200");
		(void)fdt_find_path(&fdt, "/cpus/cpu@0");
	}
	(void)platform_discover(blob, len, &info, err, sizeof(err));
}

/*
 * Every strict prefix must be refused. Each prefix is copied to a buffer of
 * exactly that size so that ASan sees any read past it.
 */
static void truncate_everywhere(const char *name)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	unsigned int accepted = 0;

	REQUIRE(init_fixture(&fdt, name, &blob, &len) == FDT_OK);
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, blob, n);
		if (fdt_init(&fdt, copy, n) == FDT_OK)
			accepted++;
		free(copy);
	}
	CHECK_EQ(accepted, 0);

	/* The same with the header claiming the shorter size, so layout checks run. */
	for (size_t n = 40; n < fdt.totalsize; n++) {
		uint8_t *copy = malloc(n);

		memcpy(copy, blob, n);
		put_be32(copy + HDR_TOTALSIZE, (uint32_t)n);
		if (n < fdt_be32(blob + HDR_OFF_STRINGS) + fdt_be32(blob + HDR_SIZE_STRINGS))
			CHECK(fdt_init(&fdt, copy, n) != FDT_OK);
		exercise(copy, n);
		free(copy);
	}
	free(blob);
}

TEST(fdt_truncation_at_every_length)
{
	truncate_everywhere("virt-typical.dtb");
	truncate_everywhere("addr-cells-1.dtb");
}

TEST(fdt_truncation_at_every_length_qemu)
{
	struct fdt fdt;
	uint8_t *blob;
	size_t len;
	uint32_t end;
	unsigned int accepted = 0;

	/* 1 MiB of mostly padding: cut the header's view, not the buffer. */
	REQUIRE(init_fixture(&fdt, "qemu-virt-smp4.dtb", &blob, &len) == FDT_OK);
	end = fdt_be32(blob + HDR_OFF_STRINGS) + fdt_be32(blob + HDR_SIZE_STRINGS);
	for (size_t n = 0; n < len; n += n < end ? 1 : 4093) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, blob, n);
		if (fdt_init(&fdt, copy, n) == FDT_OK)
			accepted++;
		free(copy);
	}
	CHECK_EQ(accepted, 0);
	/* Shrinking the structure block anywhere loses FDT_END or cuts a token. */
	for (uint32_t s = 0; s < fdt_be32(blob + HDR_SIZE_STRUCT); s++) {
		uint32_t orig = fdt_be32(blob + HDR_SIZE_STRUCT);

		put_be32(blob + HDR_SIZE_STRUCT, s);
		if (fdt_init(&fdt, blob, len) == FDT_OK)
			accepted++;
		put_be32(blob + HDR_SIZE_STRUCT, orig);
	}
	CHECK_EQ(accepted, 0);
	free(blob);
}

static void corrupt_every_byte(const char *name, const uint8_t *values, size_t nvalues)
{
	uint8_t *blob;
	size_t len;
	struct fdt fdt;
	size_t end;

	REQUIRE(init_fixture(&fdt, name, &blob, &len) == FDT_OK);
	/* Past the strings block there is only padding. */
	end = MIN(len,
		  (size_t)fdt_be32(blob + HDR_OFF_STRINGS) + fdt_be32(blob + HDR_SIZE_STRINGS));
	for (size_t i = 0; i < end; i++) {
		uint8_t orig = blob[i];

		for (size_t v = 0; v < nvalues; v++) {
			blob[i] = v < 2 ? values[v] : (uint8_t)(orig ^ values[v]);
			exercise(blob, len);
		}
		blob[i] = orig;
	}
	free(blob);
}

TEST(fdt_corrupt_every_byte)
{
	/* 0x00, 0xff, then xor masks: low bit and high bit. */
	static const uint8_t values[] = { 0x00, 0xff, 0x01, 0x80 };

	corrupt_every_byte("virt-typical.dtb", values, ARRAY_SIZE(values));
	corrupt_every_byte("addr-cells-1.dtb", values, ARRAY_SIZE(values));
}

TEST(fdt_corrupt_every_byte_qemu)
{
	static const uint8_t values[] = { 0x00, 0xff, 0x01 };

	corrupt_every_byte("qemu-virt-smp4.dtb", values, ARRAY_SIZE(values));
}
