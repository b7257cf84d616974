/* SPDX-License-Identifier: MIT */
/*
 * Translation-table builder. Table pages come from the real page allocator
 * over a malloc'd arena, so "everything freed" is checked against its free
 * count. The TLB-invalidate callback checks break-before-make as it happens:
 * when it runs, the range it is asked to invalidate must already be unmapped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhenium/page_alloc.h>
#include <rhenium/pgtable.h>

#include "test.h"

#define ARENA_BASE 0x10000000ull
#define ARENA_SIZE MiB(4)
#define TLBI_LOG 64

#define S1_NORMAL (PTE_AF | PTE_SH_INNER | PTE_S1_ATTRINDX(0) | PTE_S1_AP_EL2_RES1)
#define S1_RO (S1_NORMAL | PTE_S1_AP_RO | PTE_S1_XN)
#define S1_DEVICE (PTE_AF | PTE_S1_ATTRINDX(1) | PTE_S1_AP_EL2_RES1 | PTE_S1_XN)
#define S2_NORMAL (PTE_AF | PTE_SH_INNER | PTE_S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | PTE_S2AP_RW)
#define S2_ROM (PTE_AF | PTE_SH_INNER | PTE_S2_MEMATTR(S2_MEMATTR_NORMAL_WB) | PTE_S2AP_RO)

struct env {
	uint8_t *mem;
	struct palloc pa;
	struct pgtable pt;
	uint64_t free_at_start;
	int alloc_budget; /* < 0: unlimited */
	unsigned int tlbi_count;
	unsigned int tlbi_not_broken; /* callbacks that found the range still mapped */
	unsigned int syncs;
	struct {
		vaddr_t va;
		unsigned int level;
	} tlbi_log[TLBI_LOG];
};

static void *env_pa_to_va(paddr_t pa, void *ctx)
{
	struct env *e = ctx;

	if (pa < ARENA_BASE || pa - ARENA_BASE >= ARENA_SIZE) {
		fprintf(stderr, "  pa_to_va(0x%llx) outside the table arena\n",
			(unsigned long long)pa);
		abort();
	}
	return e->mem + (pa - ARENA_BASE);
}

static paddr_t env_alloc(unsigned int pages, void *ctx)
{
	struct env *e = ctx;
	unsigned int order = 0;

	if (e->alloc_budget == 0)
		return 0;
	if (e->alloc_budget > 0)
		e->alloc_budget--;
	while ((1u << order) < pages)
		order++;
	return palloc_alloc_zeroed(&e->pa, pages, order);
}

static void env_free(paddr_t pa, unsigned int pages, void *ctx)
{
	struct env *e = ctx;

	CHECK_EQ(palloc_free(&e->pa, pa, pages), PALLOC_OK);
}

static void env_tlbi(vaddr_t va, unsigned int level, void *ctx)
{
	struct env *e = ctx;
	uint64_t size = PGT_LEVEL_SIZE(level);

	CHECK_EQ(va & (size - 1), 0);
	/* Break before make: the whole range must already be unreachable. */
	if (pgtable_lookup(&e->pt, va, NULL, NULL, NULL) ||
	    pgtable_lookup(&e->pt, va + size / 2, NULL, NULL, NULL) ||
	    pgtable_lookup(&e->pt, va + size - PAGE_SIZE, NULL, NULL, NULL))
		e->tlbi_not_broken++;
	if (e->tlbi_count < TLBI_LOG) {
		e->tlbi_log[e->tlbi_count].va = va;
		e->tlbi_log[e->tlbi_count].level = level;
	}
	e->tlbi_count++;
}

static void env_sync(void *ctx)
{
	struct env *e = ctx;

	e->syncs++;
}

static const struct pgtable_ops env_ops = {
	.alloc_pages = env_alloc,
	.free_pages = env_free,
	.pa_to_va = env_pa_to_va,
	.tlb_invalidate = env_tlbi,
	.sync = env_sync,
};

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->mem = malloc(ARENA_SIZE);
	if (!e->mem) {
		free(e);
		return NULL;
	}
	memset(e->mem, 0xa5, ARENA_SIZE);
	palloc_init(&e->pa, env_pa_to_va, e);
	if (palloc_add_region(&e->pa, ARENA_BASE, ARENA_SIZE) != PALLOC_OK)
		abort();
	e->free_at_start = palloc_free_pages(&e->pa);
	e->alloc_budget = -1;
	return e;
}

/* New env with an initialised table, or NULL. */
static struct env *env_pt(enum pgtable_stage stage, unsigned int va_bits, unsigned int level)
{
	struct env *e = env_new();

	if (e && pgtable_init(&e->pt, stage, va_bits, level, &env_ops, e) != PGT_OK) {
		free(e->mem);
		free(e);
		e = NULL;
	}
	return e;
}

/* Destroys the table and checks nothing leaked and nothing broke BBM on the way. */
static void env_done(struct env *e)
{
	pgtable_destroy(&e->pt);
	CHECK_EQ(e->pt.table_pages, 0);
	CHECK_EQ(palloc_free_pages(&e->pa), e->free_at_start);
	CHECK_EQ(e->pt.bbm_violations, 0);
	CHECK_EQ(e->tlbi_not_broken, 0);
	CHECK(palloc_check(&e->pa));
	free(e->mem);
	free(e);
}

/* lookup must give exactly pa/attrs/level. */
static bool maps_to(const struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t attrs,
		    unsigned int level)
{
	paddr_t got_pa;
	uint64_t got_attrs;
	unsigned int got_level;

	if (!pgtable_lookup(pt, va, &got_pa, &got_attrs, &got_level)) {
		fprintf(stderr, "  0x%llx: not mapped\n", (unsigned long long)va);
		return false;
	}
	if (got_pa != pa || got_attrs != attrs || got_level != level) {
		fprintf(stderr, "  0x%llx: pa 0x%llx attrs 0x%llx level %u; want %llx %llx %u\n",
			(unsigned long long)va, (unsigned long long)got_pa,
			(unsigned long long)got_attrs, got_level, (unsigned long long)pa,
			(unsigned long long)attrs, level);
		return false;
	}
	return true;
}

static bool unmapped(const struct pgtable *pt, vaddr_t va)
{
	return !pgtable_lookup(pt, va, NULL, NULL, NULL);
}

struct leaf_count {
	unsigned int n[4];
	uint64_t bytes;
};

static void count_leaf(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs, unsigned int level,
		       void *arg)
{
	struct leaf_count *c = arg;

	UNUSED(va);
	UNUSED(pa);
	UNUSED(attrs);
	c->n[level]++;
	c->bytes += size;
}

static struct leaf_count leaves(const struct pgtable *pt)
{
	struct leaf_count c;

	memset(&c, 0, sizeof(c));
	pgtable_walk(pt, count_leaf, &c);
	return c;
}

TEST(pgt_init_geometry)
{
	struct env *e = env_new();
	struct pgtable pt;

	REQUIRE(e);
	/* Stage 1: 48 bits from level 0, 39 from level 1, no concatenation. */
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 48, 0, &env_ops, e), PGT_OK);
	CHECK_EQ(pt.root_pages, 1);
	CHECK_EQ(pt.table_pages, 1);
	pgtable_destroy(&pt);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 39, 1, &env_ops, e), PGT_OK);
	pgtable_destroy(&pt);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 32, 1, &env_ops, e), PGT_OK);
	pgtable_destroy(&pt);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 40, 1, &env_ops, e), PGT_EINVAL);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 39, 0, &env_ops, e), PGT_EINVAL);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 30, 1, &env_ops, e), PGT_EINVAL);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 49, 0, &env_ops, e), PGT_EINVAL);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 48, 4, &env_ops, e), PGT_EINVAL);
	CHECK(pt.root == 0);

	/* Stage 2: 40-bit IPA from level 1 concatenates 2 tables, 43 bits 16, 44 too many. */
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE2, 40, 1, &env_ops, e), PGT_OK);
	CHECK_EQ(pt.root_pages, 2);
	CHECK_EQ(pt.root % KiB(8), 0);
	pgtable_destroy(&pt);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE2, 43, 1, &env_ops, e), PGT_OK);
	CHECK_EQ(pt.root_pages, 16);
	CHECK_EQ(pt.root % KiB(64), 0);
	pgtable_destroy(&pt);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE2, 44, 1, &env_ops, e), PGT_EINVAL);
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE2, 40, 0, &env_ops, e), PGT_OK);
	CHECK_EQ(pt.root_pages, 1);
	pgtable_destroy(&pt);

	/* Allocation failure of the root. */
	e->alloc_budget = 0;
	CHECK_EQ(pgtable_init(&pt, PGT_STAGE1, 48, 0, &env_ops, e), PGT_ENOMEM);
	e->alloc_budget = -1;

	CHECK_EQ(palloc_free_pages(&e->pa), e->free_at_start);
	env_done(e);
}

TEST(pgt_map_pages_and_lookup)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, 0x40003000, 0x80005000, KiB(12), S1_NORMAL, 0), PGT_OK);
	CHECK(maps_to(&e->pt, 0x40003000, 0x80005000, S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, 0x40004abc, 0x80006abc, S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, 0x40005fff, 0x80007fff, S1_NORMAL, 3));
	CHECK(unmapped(&e->pt, 0x40002fff));
	CHECK(unmapped(&e->pt, 0x40006000));
	CHECK(unmapped(&e->pt, 0));
	/* Root + L1 + L2 + L3. */
	CHECK_EQ(e->pt.table_pages, 4);
	CHECK_EQ(leaves(&e->pt).n[3], 3);
	/* Invalid -> valid needs no invalidation; every new table was published. */
	CHECK_EQ(e->tlbi_count, 0);
	CHECK_EQ(e->syncs, 3);

	/* A device page at PA 0 and the very top of the VA space. */
	CHECK_EQ(pgtable_map(&e->pt, 0xfffffffff000ull, 0, PAGE_SIZE, S1_DEVICE, 0), PGT_OK);
	CHECK(maps_to(&e->pt, 0xffffffffffffull, 0xfff, S1_DEVICE, 3));
	env_done(e);
}

TEST(pgt_blocks_when_aligned)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	struct leaf_count c;

	REQUIRE(e);
	/* 2 MiB aligned VA and PA: one level-2 block. */
	CHECK_EQ(pgtable_map(&e->pt, 0x40200000, 0x80400000, MiB(2), S1_NORMAL, 0), PGT_OK);
	CHECK(maps_to(&e->pt, 0x40212345, 0x80412345, S1_NORMAL, 2));
	CHECK_EQ(e->pt.table_pages, 3);

	/* 1 GiB aligned: a level-1 block, no new tables. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(2), GiB(4), GiB(1), S1_NORMAL, 0), PGT_OK);
	CHECK(maps_to(&e->pt, GiB(2) + 0x12345678, GiB(4) + 0x12345678, S1_NORMAL, 1));
	CHECK_EQ(e->pt.table_pages, 3);

	/* 1 GiB + 2 MiB + 4 KiB from an aligned start: one of each. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(8), GiB(16), GiB(1) + MiB(2) + KiB(4), S1_RO, 0), PGT_OK);
	CHECK(maps_to(&e->pt, GiB(8), GiB(16), S1_RO, 1));
	CHECK(maps_to(&e->pt, GiB(9), GiB(17), S1_RO, 2));
	CHECK(maps_to(&e->pt, GiB(9) + MiB(2), GiB(17) + MiB(2), S1_RO, 3));
	CHECK(unmapped(&e->pt, GiB(9) + MiB(2) + KiB(4)));

	/* VA aligned but PA off by a page: no block is possible, 512 pages. */
	c = leaves(&e->pt);
	CHECK_EQ(pgtable_map(&e->pt, GiB(32), GiB(64) + KiB(4), MiB(2), S1_NORMAL, 0), PGT_OK);
	CHECK_EQ(leaves(&e->pt).n[3], c.n[3] + 512);
	CHECK_EQ(leaves(&e->pt).n[2], c.n[2]);

	/* Straddling: 2 pages, a 2 MiB block, 2 pages (PA congruent to VA mod 2 MiB). */
	c = leaves(&e->pt);
	CHECK_EQ(pgtable_map(&e->pt, GiB(40) - KiB(8), GiB(80) - KiB(8), MiB(2) + KiB(16),
			     S1_NORMAL, 0),
		 PGT_OK);
	CHECK_EQ(leaves(&e->pt).n[3], c.n[3] + 4);
	CHECK_EQ(leaves(&e->pt).n[2], c.n[2] + 1);
	CHECK(maps_to(&e->pt, GiB(40) - KiB(8), GiB(80) - KiB(8), S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, GiB(40) + MiB(1), GiB(80) + MiB(1), S1_NORMAL, 2));
	CHECK(maps_to(&e->pt, GiB(40) + MiB(2) + KiB(4), GiB(80) + MiB(2) + KiB(4), S1_NORMAL, 3));
	CHECK_EQ(e->tlbi_count, 0);
	env_done(e);
}

TEST(pgt_split_block_on_partial_unmap)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	uint64_t tables;

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, 0x40200000, 0x80400000, MiB(2), S1_NORMAL, 0), PGT_OK);
	tables = e->pt.table_pages;
	CHECK_EQ(pgtable_unmap(&e->pt, 0x40300000, PAGE_SIZE), PGT_OK);
	CHECK(unmapped(&e->pt, 0x40300000));
	/* Every other page of the old block is still there, now as level-3 pages. */
	CHECK(maps_to(&e->pt, 0x40200000, 0x80400000, S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, 0x402ff000, 0x804ff000, S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, 0x40301000, 0x80501000, S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, 0x403ff000, 0x805ff000, S1_NORMAL, 3));
	CHECK_EQ(leaves(&e->pt).n[3], 511);
	CHECK_EQ(e->pt.table_pages, tables + 1);
	/* First the block (split), then the page. */
	CHECK_EQ(e->tlbi_count, 2);
	CHECK_EQ(e->tlbi_log[0].va, 0x40200000);
	CHECK_EQ(e->tlbi_log[0].level, 2);
	CHECK_EQ(e->tlbi_log[1].va, 0x40300000);
	CHECK_EQ(e->tlbi_log[1].level, 3);

	/* A 1 GiB block losing one page: split into 2 MiB blocks, one of those into pages. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(4), GiB(8), GiB(1), S1_DEVICE, 0), PGT_OK);
	CHECK_EQ(pgtable_unmap(&e->pt, GiB(4) + MiB(6) + KiB(8), PAGE_SIZE), PGT_OK);
	CHECK(unmapped(&e->pt, GiB(4) + MiB(6) + KiB(8)));
	CHECK(maps_to(&e->pt, GiB(4), GiB(8), S1_DEVICE, 2));
	CHECK(maps_to(&e->pt, GiB(4) + MiB(6), GiB(8) + MiB(6), S1_DEVICE, 3));
	CHECK(maps_to(&e->pt, GiB(4) + MiB(6) + KiB(12), GiB(8) + MiB(6) + KiB(12), S1_DEVICE, 3));
	CHECK(maps_to(&e->pt, GiB(5) - 1, GiB(9) - 1, S1_DEVICE, 2));
	CHECK_EQ(leaves(&e->pt).n[2], 511);

	/* Unmapping a whole 2 MiB slot of the split 1 GiB block needs no further split. */
	tables = e->pt.table_pages;
	CHECK_EQ(pgtable_unmap(&e->pt, GiB(4) + MiB(10), MiB(2)), PGT_OK);
	CHECK_EQ(e->pt.table_pages, tables);
	CHECK(unmapped(&e->pt, GiB(4) + MiB(11)));
	env_done(e);
}

TEST(pgt_split_block_on_partial_remap)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	uint64_t tables;
	unsigned int tlbis;

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, GiB(1), GiB(1), GiB(1), S1_NORMAL, 0), PGT_OK);
	tables = e->pt.table_pages;

	/* Without REPLACE a conflicting map fails and changes nothing. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(1) + MiB(4), GiB(1) + MiB(4), MiB(2), S1_RO, 0),
		 PGT_EEXIST);
	CHECK_EQ(pgtable_map(&e->pt, GiB(1) + MiB(4), GiB(3), PAGE_SIZE, S1_NORMAL, 0), PGT_EEXIST);
	CHECK_EQ(e->pt.table_pages, tables);
	CHECK_EQ(e->tlbi_count, 0);
	CHECK(maps_to(&e->pt, GiB(1) + MiB(4), GiB(1) + MiB(4), S1_NORMAL, 1));

	/* Make 2 MiB of it read-only: the 1 GiB block becomes 512 2 MiB blocks. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(1) + MiB(4), GiB(1) + MiB(4), MiB(2), S1_RO,
			     PGT_MAP_REPLACE),
		 PGT_OK);
	CHECK_EQ(e->pt.table_pages, tables + 1);
	CHECK(maps_to(&e->pt, GiB(1) + MiB(4), GiB(1) + MiB(4), S1_RO, 2));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(2), GiB(1) + MiB(2), S1_NORMAL, 2));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(6), GiB(1) + MiB(6), S1_NORMAL, 2));
	CHECK(maps_to(&e->pt, GiB(2) - 1, GiB(2) - 1, S1_NORMAL, 2));
	/* Split of the 1 GiB entry, then replacement of one 2 MiB entry. */
	CHECK_EQ(e->tlbi_count, 2);
	CHECK_EQ(e->tlbi_log[0].va, GiB(1));
	CHECK_EQ(e->tlbi_log[0].level, 1);
	CHECK_EQ(e->tlbi_log[1].va, GiB(1) + MiB(4));
	CHECK_EQ(e->tlbi_log[1].level, 2);

	/* Redirect one page inside the read-only block to other memory. */
	tlbis = e->tlbi_count;
	CHECK_EQ(
		pgtable_map(&e->pt, GiB(1) + MiB(5), GiB(7), PAGE_SIZE, S1_NORMAL, PGT_MAP_REPLACE),
		PGT_OK);
	CHECK(maps_to(&e->pt, GiB(1) + MiB(5), GiB(7), S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(5) - PAGE_SIZE, GiB(1) + MiB(5) - PAGE_SIZE, S1_RO, 3));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(5) + PAGE_SIZE, GiB(1) + MiB(5) + PAGE_SIZE, S1_RO, 3));
	CHECK_EQ(e->tlbi_count, tlbis + 2);
	CHECK_EQ(e->pt.table_pages, tables + 2);

	/* Replacing the whole GiB: blocks where a 2 MiB slot was still a block, pages elsewhere. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(1), GiB(1), GiB(1), S1_NORMAL, PGT_MAP_REPLACE), PGT_OK);
	CHECK(maps_to(&e->pt, GiB(1) + MiB(5), GiB(1) + MiB(5), S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(4), GiB(1) + MiB(4), S1_NORMAL, 3));
	CHECK(maps_to(&e->pt, GiB(1) + MiB(8), GiB(1) + MiB(8), S1_NORMAL, 2));
	env_done(e);
}

TEST(pgt_identical_map_is_noop)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	uint64_t tables;

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, 0x40000000, 0x40000000, MiB(4) + KiB(8), S1_NORMAL, 0),
		 PGT_OK);
	tables = e->pt.table_pages;
	CHECK_EQ(pgtable_map(&e->pt, 0x40000000, 0x40000000, MiB(4) + KiB(8), S1_NORMAL, 0),
		 PGT_OK);
	/* A page-sized piece of a block that already maps it: no split. */
	CHECK_EQ(pgtable_map(&e->pt, 0x40123000, 0x40123000, PAGE_SIZE, S1_NORMAL, 0), PGT_OK);
	CHECK_EQ(pgtable_map(&e->pt, 0x40123000, 0x40123000, PAGE_SIZE, S1_NORMAL, PGT_MAP_REPLACE),
		 PGT_OK);
	CHECK(maps_to(&e->pt, 0x40123000, 0x40123000, S1_NORMAL, 2));
	CHECK_EQ(e->pt.table_pages, tables);
	CHECK_EQ(e->tlbi_count, 0);
	/* Extending an existing mapping: the overlap is identical, so it is allowed. */
	CHECK_EQ(pgtable_map(&e->pt, 0x40400000, 0x40400000, MiB(2), S1_NORMAL, 0), PGT_OK);
	CHECK(maps_to(&e->pt, 0x405fffff, 0x405fffff, S1_NORMAL, 3));
	CHECK_EQ(e->tlbi_count, 0);
	env_done(e);
}

TEST(pgt_overlap_rejected_without_replace)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	struct leaf_count before;

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, 0x9000000, 0x9000000, KiB(16), S1_DEVICE, 0), PGT_OK);
	before = leaves(&e->pt);
	/* Different PA, different attrs, and a range whose last page only conflicts. */
	CHECK_EQ(pgtable_map(&e->pt, 0x9001000, 0x7000000, PAGE_SIZE, S1_DEVICE, 0), PGT_EEXIST);
	CHECK_EQ(pgtable_map(&e->pt, 0x9001000, 0x9001000, PAGE_SIZE, S1_NORMAL, 0), PGT_EEXIST);
	CHECK_EQ(pgtable_map(&e->pt, 0x8f00000, 0x8f00000, MiB(1) + KiB(4), S1_NORMAL, 0),
		 PGT_EEXIST);
	/* Nothing was written by the failed calls, not even the unmapped part. */
	CHECK(unmapped(&e->pt, 0x8f00000));
	CHECK_EQ(leaves(&e->pt).n[3], before.n[3]);
	CHECK(maps_to(&e->pt, 0x9001000, 0x9001000, S1_DEVICE, 3));
	env_done(e);
}

TEST(pgt_unmap_frees_tables)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);

	REQUIRE(e);
	CHECK_EQ(pgtable_map(&e->pt, 0x40000000, 0x40000000, MiB(8) + KiB(20), S1_NORMAL, 0),
		 PGT_OK);
	CHECK_EQ(pgtable_map(&e->pt, GiB(600), 0x9000000, KiB(4), S1_DEVICE, 0), PGT_OK);
	CHECK(e->pt.table_pages > 4);
	/* Unmapping a hole is fine. */
	CHECK_EQ(pgtable_unmap(&e->pt, GiB(100), GiB(1)), PGT_OK);
	/* Remove in two halves that each leave a table partly used. */
	CHECK_EQ(pgtable_unmap(&e->pt, 0x40000000, MiB(4) + KiB(4)), PGT_OK);
	CHECK(unmapped(&e->pt, 0x40400000));
	CHECK(maps_to(&e->pt, 0x40401000, 0x40401000, S1_NORMAL, 3));
	CHECK_EQ(pgtable_unmap(&e->pt, 0x40401000, MiB(4) + KiB(16)), PGT_OK);
	CHECK(unmapped(&e->pt, 0x40801000));
	CHECK_EQ(pgtable_unmap(&e->pt, GiB(600), KiB(4)), PGT_OK);
	/* Every intermediate table emptied and freed: only the root is left. */
	CHECK_EQ(e->pt.table_pages, 1);
	CHECK_EQ(palloc_free_pages(&e->pa), e->free_at_start - 1);
	CHECK_EQ(leaves(&e->pt).bytes, 0);

	/* Remapping the whole range now gets blocks again. */
	CHECK_EQ(pgtable_map(&e->pt, 0x40000000, 0x40000000, MiB(8), S1_NORMAL, 0), PGT_OK);
	CHECK_EQ(leaves(&e->pt).n[2], 4);
	CHECK_EQ(leaves(&e->pt).n[3], 0);
	env_done(e);
}

/* Snapshot of what the callback saw, to check ordering in detail. */
static struct env *bbm_env;
static paddr_t bbm_seen_pa;
static bool bbm_seen_mapped;

static void bbm_tlbi(vaddr_t va, unsigned int level, void *ctx)
{
	bbm_seen_mapped = pgtable_lookup(&bbm_env->pt, va, &bbm_seen_pa, NULL, NULL);
	env_tlbi(va, level, ctx);
}

TEST(pgt_break_before_make_order)
{
	static const struct pgtable_ops ops = {
		.alloc_pages = env_alloc,
		.free_pages = env_free,
		.pa_to_va = env_pa_to_va,
		.tlb_invalidate = bbm_tlbi,
		.sync = env_sync,
	};
	struct env *e = env_new();
	unsigned int syncs;

	REQUIRE(e);
	REQUIRE(pgtable_init(&e->pt, PGT_STAGE1, 48, 0, &ops, e) == PGT_OK);
	bbm_env = e;

	/* Changing a page's PA: when invalidating, the old entry is gone and the new not there. */
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x5000, PAGE_SIZE, S1_NORMAL, 0), PGT_OK);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x6000, PAGE_SIZE, S1_NORMAL, PGT_MAP_REPLACE),
		 PGT_OK);
	CHECK_EQ(e->tlbi_count, 1);
	CHECK(!bbm_seen_mapped);
	CHECK(maps_to(&e->pt, 0x1000, 0x6000, S1_NORMAL, 3));

	/* Changing only attributes is also a valid -> valid change. */
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x6000, PAGE_SIZE, S1_RO, PGT_MAP_REPLACE), PGT_OK);
	CHECK_EQ(e->tlbi_count, 2);
	CHECK(!bbm_seen_mapped);
	CHECK(maps_to(&e->pt, 0x1000, 0x6000, S1_RO, 3));

	/* A split publishes the new table (sync) before the block is broken. */
	CHECK_EQ(pgtable_map(&e->pt, MiB(2), MiB(2), MiB(2), S1_NORMAL, 0), PGT_OK);
	syncs = e->syncs;
	CHECK_EQ(pgtable_unmap(&e->pt, MiB(3), PAGE_SIZE), PGT_OK);
	CHECK_EQ(e->syncs, syncs + 1);
	CHECK_EQ(e->tlbi_count, 4);
	CHECK_EQ(e->tlbi_log[2].va, MiB(2));
	CHECK_EQ(e->tlbi_log[2].level, 2);

	/* Unmap invalidates after clearing, and the table is freed after that. */
	CHECK_EQ(pgtable_unmap(&e->pt, 0, MiB(4)), PGT_OK);
	CHECK(!bbm_seen_mapped);
	CHECK_EQ(e->pt.table_pages, 1);
	env_done(e);
}

TEST(pgt_destroy_frees_everything)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);

	REQUIRE(e);
	/* Scatter mappings across all levels and several level-0 slots. */
	for (unsigned int i = 0; i < 40; i++) {
		vaddr_t va = (uint64_t)i * (GiB(512) / 5 + MiB(2) * 3 + KiB(4) * 7);

		va &= ~(PAGE_SIZE - 1);
		va %= (uint64_t)1 << 48;
		CHECK_EQ(pgtable_map(&e->pt, va, va, KiB(4) * (1 + i % 3), S1_NORMAL, 0), PGT_OK);
	}
	CHECK_EQ(pgtable_map(&e->pt, GiB(3), GiB(3), GiB(2) + MiB(6), S1_NORMAL, 0), PGT_OK);
	CHECK(e->pt.table_pages > 40);
	CHECK_EQ(palloc_free_pages(&e->pa), e->free_at_start - e->pt.table_pages);
	env_done(e);
}

TEST(pgt_rejects_bad_arguments)
{
	struct env *e = env_pt(PGT_STAGE1, 39, 1);

	REQUIRE(e);
	/* Input range is [0, 2^39). */
	CHECK_EQ(pgtable_map(&e->pt, GiB(512), 0, PAGE_SIZE, S1_NORMAL, 0), PGT_ERANGE);
	CHECK_EQ(pgtable_map(&e->pt, GiB(512) - PAGE_SIZE, 0, 2 * PAGE_SIZE, S1_NORMAL, 0),
		 PGT_ERANGE);
	CHECK_EQ(pgtable_map(&e->pt, 0xfffffffffffff000ull, 0, 2 * PAGE_SIZE, S1_NORMAL, 0),
		 PGT_ERANGE);
	CHECK_EQ(pgtable_map(&e->pt, GiB(512) - PAGE_SIZE, 0, PAGE_SIZE, S1_NORMAL, 0), PGT_OK);
	/* Output beyond 48 bits. */
	CHECK_EQ(pgtable_map(&e->pt, 0, (uint64_t)1 << 48, PAGE_SIZE, S1_NORMAL, 0), PGT_ERANGE);
	CHECK_EQ(pgtable_map(&e->pt, 0, ((uint64_t)1 << 48) - PAGE_SIZE, 2 * PAGE_SIZE, S1_NORMAL,
			     0),
		 PGT_ERANGE);
	/* Alignment, size, attributes, flags. */
	CHECK_EQ(pgtable_map(&e->pt, 0x1800, 0x1000, PAGE_SIZE, S1_NORMAL, 0), PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1800, PAGE_SIZE, S1_NORMAL, 0), PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, 100, S1_NORMAL, 0), PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, 0, S1_NORMAL, 0), PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, PAGE_SIZE, S1_NORMAL | PTE_VALID, 0),
		 PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, PAGE_SIZE, S1_NORMAL | 0x2000, 0), PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, PAGE_SIZE, S1_NORMAL | PTE_CONT, 0),
		 PGT_EINVAL);
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, PAGE_SIZE, S1_NORMAL, 0x80), PGT_EINVAL);
	CHECK_EQ(pgtable_unmap(&e->pt, 0x1800, PAGE_SIZE), PGT_EINVAL);
	CHECK_EQ(pgtable_unmap(&e->pt, GiB(511), GiB(2)), PGT_ERANGE);
	CHECK(!pgtable_lookup(&e->pt, GiB(512), NULL, NULL, NULL));
	CHECK(!pgtable_lookup(&e->pt, UINT64_MAX, NULL, NULL, NULL));
	/* Software bits and every architectural attribute bit are accepted verbatim. */
	CHECK_EQ(pgtable_map(&e->pt, 0x1000, 0x1000, PAGE_SIZE, PTE_ATTR_MASK & ~PTE_CONT, 0),
		 PGT_OK);
	CHECK(maps_to(&e->pt, 0x1000, 0x1000, PTE_ATTR_MASK & ~PTE_CONT, 3));
	/* Root (level 1) plus a level 2 and level 3 table for each end of the space. */
	CHECK_EQ(e->pt.table_pages, 5);
	env_done(e);
}

TEST(pgt_out_of_memory)
{
	struct env *e = env_pt(PGT_STAGE1, 48, 0);

	REQUIRE(e);
	/* Enough for L1 and L2 but not L3. */
	e->alloc_budget = 2;
	CHECK_EQ(pgtable_map(&e->pt, 0x40000000, 0x40000000, PAGE_SIZE, S1_NORMAL, 0), PGT_ENOMEM);
	CHECK(unmapped(&e->pt, 0x40000000));
	/* A split that cannot get its table leaves the block untouched. */
	e->alloc_budget = -1;
	CHECK_EQ(pgtable_map(&e->pt, 0x40200000, 0x40200000, MiB(2), S1_NORMAL, 0), PGT_OK);
	e->alloc_budget = 0;
	CHECK_EQ(pgtable_unmap(&e->pt, 0x40300000, PAGE_SIZE), PGT_ENOMEM);
	CHECK(maps_to(&e->pt, 0x40300000, 0x40300000, S1_NORMAL, 2));
	CHECK_EQ(e->tlbi_count, 0);
	e->alloc_budget = -1;
	env_done(e);
}

TEST(pgt_stage2_concatenated_root)
{
	struct env *e = env_pt(PGT_STAGE2, 40, 1);
	const uint64_t *root;

	REQUIRE(e);
	REQUIRE(e->pt.root_pages == 2);
	/* The top GiB of a 1 TiB IPA space lives in the second root page. */
	CHECK_EQ(pgtable_map(&e->pt, GiB(1023), GiB(2), GiB(1), S2_NORMAL, 0), PGT_OK);
	CHECK(maps_to(&e->pt, GiB(1023) + 0x1234, GiB(2) + 0x1234, S2_NORMAL, 1));
	root = env_pa_to_va(e->pt.root, e);
	CHECK_EQ(root[1023], GiB(2) | S2_NORMAL | PTE_TYPE_BLOCK);
	CHECK_EQ(pgtable_map(&e->pt, GiB(1024), 0, PAGE_SIZE, S2_NORMAL, 0), PGT_ERANGE);
	/* Device memory at IPA 0x8000000 as a page, read-only below it. */
	CHECK_EQ(pgtable_map(&e->pt, 0x8000000, 0x8000000, KiB(64),
			     PTE_AF | PTE_S2_MEMATTR(S2_MEMATTR_DEVICE_nGnRE) | PTE_S2AP_RW |
				     PTE_S2_XN,
			     0),
		 PGT_OK);
	CHECK_EQ(pgtable_map(&e->pt, 0, 0, MiB(2), S2_ROM, 0), PGT_OK);
	CHECK(maps_to(&e->pt, 0x1000, 0x1000, S2_ROM, 2));
	env_done(e);
}

/*
 * Random map (with and without REPLACE) and unmap over a 24 MiB window that
 * crosses a 1 GiB boundary, checked page by page against a flat model.
 */
#define MODEL_PAGES 6144
static paddr_t model_pa[MODEL_PAGES]; /* 0 = unmapped (PA 0 is never used here) */
static uint64_t model_attr[MODEL_PAGES];

static void model_set(uint64_t first, uint64_t n, paddr_t pa, uint64_t attrs)
{
	for (uint64_t i = 0; i < n; i++) {
		model_pa[first + i] = pa + i * PAGE_SIZE;
		model_attr[first + i] = attrs;
	}
}

static bool model_matches(const struct pgtable *pt, vaddr_t base, int step)
{
	for (uint64_t i = 0; i < MODEL_PAGES; i++) {
		paddr_t got = 0;
		uint64_t got_attrs = 0;
		vaddr_t va = base + i * PAGE_SIZE + 0x10;
		bool mapped = pgtable_lookup(pt, va, &got, &got_attrs, NULL);

		if (mapped != (model_pa[i] != 0) ||
		    (mapped && (got != model_pa[i] + 0x10 || got_attrs != model_attr[i]))) {
			fprintf(stderr, "  step %d page %llu: mapped %d pa 0x%llx, model 0x%llx\n",
				step, (unsigned long long)i, mapped, (unsigned long long)got,
				(unsigned long long)model_pa[i]);
			test_fail(__FILE__, __LINE__, "table matches model");
			return false;
		}
	}
	return true;
}

TEST(pgt_random_vs_model)
{
	enum { PAGES = MODEL_PAGES };
	const vaddr_t base = GiB(3) - MiB(12);
	static const uint64_t attr_choice[] = { S1_NORMAL, S1_RO, S1_DEVICE };
	struct env *e = env_pt(PGT_STAGE1, 48, 0);
	uint64_t state = 0x0123456789abcdefull;
	unsigned int ok_maps = 0, eexist = 0;

	REQUIRE(e);
	memset(model_pa, 0, sizeof(model_pa));
	for (int step = 0; step < 600; step++) {
		uint64_t r, first, n, op;
		vaddr_t va;
		paddr_t pa;
		uint64_t attrs;
		int ret;

		state = state * 6364136223846793005ull + 1442695040888963407ull;
		r = state >> 11;
		op = r % 10;
		if (r % 3 == 0) {
			/* 2 MiB-aligned pieces so blocks appear and get split. */
			first = (r >> 8) % (PAGES / 512) * 512;
			n = 512 * (1 + (r >> 20) % 3);
		} else {
			first = (r >> 8) % PAGES;
			n = 1 + (r >> 24) % 700;
		}
		if (first + n > PAGES)
			n = PAGES - first;
		/* PA congruent to VA modulo 2 MiB half the time, so blocks are possible. */
		pa = GiB(64) + ((r >> 30) % 64) * MiB(2);
		pa += ((r >> 40) % 2 ? first % 512 : (r >> 41) % 512) * PAGE_SIZE;
		attrs = attr_choice[(r >> 50) % 3];

		va = base + first * PAGE_SIZE;
		if (op < 4) {
			ret = pgtable_map(&e->pt, va, pa, n * PAGE_SIZE, attrs, PGT_MAP_REPLACE);
			CHECK_EQ(ret, PGT_OK);
			model_set(first, n, pa, attrs);
			ok_maps++;
		} else if (op < 7) {
			bool conflict = false;

			for (uint64_t i = first; i < first + n; i++) {
				if (model_pa[i] && (model_pa[i] != pa + (i - first) * PAGE_SIZE ||
						    model_attr[i] != attrs))
					conflict = true;
			}
			ret = pgtable_map(&e->pt, va, pa, n * PAGE_SIZE, attrs, 0);
			CHECK_EQ(ret, conflict ? PGT_EEXIST : PGT_OK);
			if (ret == PGT_OK) {
				model_set(first, n, pa, attrs);
				ok_maps++;
			} else {
				eexist++;
			}
		} else {
			CHECK_EQ(pgtable_unmap(&e->pt, va, n * PAGE_SIZE), PGT_OK);
			memset(&model_pa[first], 0, n * sizeof(model_pa[0]));
		}

		if (!model_matches(&e->pt, base, step)) {
			env_done(e);
			return;
		}
		CHECK_EQ(e->pt.bbm_violations, 0);
		CHECK_EQ(e->tlbi_not_broken, 0);
		CHECK_EQ(palloc_free_pages(&e->pa), e->free_at_start - e->pt.table_pages);
	}
	CHECK(ok_maps > 100);
	CHECK(eexist > 20);
	CHECK(leaves(&e->pt).bytes > 0);

	/* Nothing outside the window was ever touched. */
	CHECK(unmapped(&e->pt, base - PAGE_SIZE));
	CHECK(unmapped(&e->pt, base + PAGES * PAGE_SIZE));

	CHECK_EQ(pgtable_unmap(&e->pt, base, PAGES * PAGE_SIZE), PGT_OK);
	CHECK_EQ(e->pt.table_pages, 1);
	env_done(e);
}
