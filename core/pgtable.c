/* SPDX-License-Identifier: MIT */
/*
 * VMSAv8-64 4 KiB-granule translation-table builder; the model and its
 * invariants are in include/rhenium/pgtable.h, the rationale in docs/pgtable.md.
 *
 * All walks are recursive over levels; the depth is at most four.
 */
#include <rhenium/pgtable.h>
#include <rhenium/string.h>

#define OA_LIMIT ((uint64_t)1 << PGT_OA_BITS)

/* ---------------------------------------------------------------------------
 * Descriptor access
 */

static uint64_t pte_read(const uint64_t *ptep)
{
	return *(const volatile uint64_t *)ptep;
}

/*
 * The only place a live descriptor is written. Refusing valid -> valid makes
 * a break-before-make slip visible (bbm_violations) instead of a silent TLB
 * conflict on hardware.
 */
static void pte_write(struct pgtable *pt, uint64_t *ptep, uint64_t val)
{
	uint64_t old = pte_read(ptep);

	if ((old & PTE_VALID) && (val & PTE_VALID) && old != val) {
		pt->bbm_violations++;
		return;
	}
	*(volatile uint64_t *)ptep = val;
}

static bool pte_is_table(uint64_t d, unsigned int level)
{
	return level < 3 && (d & PTE_TYPE_MASK) == PTE_TYPE_TABLE;
}

/* Block at levels 1-2, page at level 3; anything else valid is not a leaf. */
static bool pte_is_leaf(uint64_t d, unsigned int level)
{
	if (level == 3)
		return (d & PTE_TYPE_MASK) == PTE_TYPE_PAGE;
	return level > 0 && (d & PTE_TYPE_MASK) == PTE_TYPE_BLOCK;
}

static uint64_t leaf_oa_mask(unsigned int level)
{
	return PTE_OA_MASK & ~(PGT_LEVEL_SIZE(level) - 1);
}

static uint64_t leaf_desc(paddr_t pa, uint64_t attrs, unsigned int level)
{
	return pa | attrs | (level == 3 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
}

/* Does the leaf d (covering va at level) already translate va to pa with attrs? */
static bool leaf_matches(uint64_t d, unsigned int level, vaddr_t va, paddr_t pa, uint64_t attrs)
{
	paddr_t oa = (d & leaf_oa_mask(level)) + (va & (PGT_LEVEL_SIZE(level) - 1));

	return oa == pa && (d & PTE_ATTR_MASK) == attrs;
}

static uint64_t *table_va(const struct pgtable *pt, paddr_t pa)
{
	return pt->ops->pa_to_va(pa, pt->ctx);
}

static unsigned int pt_index(const struct pgtable *pt, unsigned int level, vaddr_t va)
{
	uint64_t entries = level == pt->start_level ? PGT_ENTRIES * pt->root_pages : PGT_ENTRIES;

	return (unsigned int)((va >> PGT_LEVEL_SHIFT(level)) & (entries - 1));
}

static void tlb_invalidate(struct pgtable *pt, vaddr_t va, unsigned int level)
{
	if (pt->ops->tlb_invalidate)
		pt->ops->tlb_invalidate(va, level, pt->ctx);
}

static void sync_tables(struct pgtable *pt)
{
	if (pt->ops->sync)
		pt->ops->sync(pt->ctx);
}

/* ---------------------------------------------------------------------------
 * Table pages
 */

static paddr_t table_alloc(struct pgtable *pt)
{
	paddr_t pa = pt->ops->alloc_pages(1, pt->ctx);

	if (pa)
		pt->table_pages++;
	return pa;
}

static void table_free(struct pgtable *pt, paddr_t pa)
{
	pt->ops->free_pages(pa, 1, pt->ctx);
	pt->table_pages--;
}

/* Frees the table at pa (at level) and every table below it. */
static void free_subtree(struct pgtable *pt, paddr_t pa, unsigned int level)
{
	uint64_t *tbl = table_va(pt, pa);

	if (level < 3) {
		for (unsigned int i = 0; i < PGT_ENTRIES; i++) {
			uint64_t d = pte_read(&tbl[i]);

			if ((d & PTE_VALID) && pte_is_table(d, level))
				free_subtree(pt, d & PTE_OA_MASK, level + 1);
		}
	}
	table_free(pt, pa);
}

static bool table_empty(const uint64_t *tbl)
{
	for (unsigned int i = 0; i < PGT_ENTRIES; i++) {
		if (pte_read(&tbl[i]) & PTE_VALID)
			return false;
	}
	return true;
}

/*
 * Replaces the block at *ptep (level, covering entry_va) with a table of 512
 * next-level leaves that translate exactly as the block did, so everything
 * outside the range the caller is about to change keeps its PA and attributes.
 */
static uint64_t *split_block(struct pgtable *pt, uint64_t *ptep, unsigned int level,
			     vaddr_t entry_va)
{
	uint64_t d = pte_read(ptep);
	paddr_t oa = d & leaf_oa_mask(level);
	uint64_t attrs = d & PTE_ATTR_MASK;
	uint64_t sub = PGT_LEVEL_SIZE(level + 1);
	paddr_t child_pa = table_alloc(pt);
	uint64_t *child;

	if (!child_pa)
		return NULL;
	child = table_va(pt, child_pa);
	for (unsigned int i = 0; i < PGT_ENTRIES; i++)
		child[i] = leaf_desc(oa + i * sub, attrs, level + 1);
	sync_tables(pt);

	pte_write(pt, ptep, 0);
	tlb_invalidate(pt, entry_va, level);
	pte_write(pt, ptep, child_pa | PTE_TYPE_TABLE);
	return child;
}

/* Links a new empty table into the invalid entry *ptep. */
static uint64_t *new_table(struct pgtable *pt, uint64_t *ptep)
{
	paddr_t child_pa = table_alloc(pt);

	if (!child_pa)
		return NULL;
	/* alloc_pages() zeroed it; make that visible before the walker can reach it. */
	sync_tables(pt);
	pte_write(pt, ptep, child_pa | PTE_TYPE_TABLE);
	return table_va(pt, child_pa);
}

/* ---------------------------------------------------------------------------
 * Map
 */

/* PGT_EEXIST if any leaf in [va, end) translates differently from va -> pa, attrs. */
static int check_level(const struct pgtable *pt, const uint64_t *tbl, unsigned int level,
		       vaddr_t va, vaddr_t end, paddr_t pa, uint64_t attrs)
{
	uint64_t size = PGT_LEVEL_SIZE(level);

	while (va < end) {
		vaddr_t next = MIN(end, (va & ~(size - 1)) + size);
		uint64_t d = pte_read(&tbl[pt_index(pt, level, va)]);

		if (d & PTE_VALID) {
			if (pte_is_table(d, level)) {
				int ret = check_level(pt, table_va(pt, d & PTE_OA_MASK), level + 1,
						      va, next, pa, attrs);

				if (ret)
					return ret;
			} else if (!pte_is_leaf(d, level) ||
				   !leaf_matches(d, level, va, pa, attrs)) {
				return PGT_EEXIST;
			}
		}
		pa += next - va;
		va = next;
	}
	return PGT_OK;
}

static int map_level(struct pgtable *pt, uint64_t *tbl, unsigned int level, vaddr_t va, vaddr_t end,
		     paddr_t pa, uint64_t attrs)
{
	uint64_t size = PGT_LEVEL_SIZE(level);

	while (va < end) {
		vaddr_t entry_va = va & ~(size - 1);
		vaddr_t next = MIN(end, entry_va + size);
		uint64_t *ptep = &tbl[pt_index(pt, level, va)];
		uint64_t d = pte_read(ptep);
		bool whole = va == entry_va && next == entry_va + size && !(pa & (size - 1));

		if ((d & PTE_VALID) && pte_is_leaf(d, level) &&
		    leaf_matches(d, level, va, pa, attrs)) {
			/* Already exactly this: leave it, never split for nothing. */
		} else if (whole && level > 0 && !pte_is_table(d, level)) {
			if (d & PTE_VALID) {
				pte_write(pt, ptep, 0);
				tlb_invalidate(pt, entry_va, level);
			}
			pte_write(pt, ptep, leaf_desc(pa, attrs, level));
		} else {
			uint64_t *child;
			int ret;

			/* Level 3 entries are always "whole": this is level 0-2. */
			if (!(d & PTE_VALID))
				child = new_table(pt, ptep);
			else if (pte_is_table(d, level))
				child = table_va(pt, d & PTE_OA_MASK);
			else
				child = split_block(pt, ptep, level, entry_va);
			if (!child)
				return PGT_ENOMEM;
			ret = map_level(pt, child, level + 1, va, next, pa, attrs);
			if (ret)
				return ret;
		}
		pa += next - va;
		va = next;
	}
	return PGT_OK;
}

static bool va_range_ok(const struct pgtable *pt, vaddr_t va, uint64_t size)
{
	uint64_t limit = (uint64_t)1 << pt->va_bits;

	return size <= limit && va <= limit - size;
}

int pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs,
		unsigned int flags)
{
	uint64_t *root;

	if (!pt->root || size == 0 || ((va | pa | size) & (PAGE_SIZE - 1)) ||
	    (attrs & ~PTE_ATTR_MASK) || (attrs & PTE_CONT) || (flags & ~PGT_MAP_REPLACE))
		return PGT_EINVAL;
	if (!va_range_ok(pt, va, size) || size > OA_LIMIT || pa > OA_LIMIT - size)
		return PGT_ERANGE;

	root = table_va(pt, pt->root);
	if (!(flags & PGT_MAP_REPLACE)) {
		int ret = check_level(pt, root, pt->start_level, va, va + size, pa, attrs);

		if (ret)
			return ret;
	}
	return map_level(pt, root, pt->start_level, va, va + size, pa, attrs);
}

/* ---------------------------------------------------------------------------
 * Unmap
 */

static int unmap_level(struct pgtable *pt, uint64_t *tbl, unsigned int level, vaddr_t va,
		       vaddr_t end)
{
	uint64_t size = PGT_LEVEL_SIZE(level);

	while (va < end) {
		vaddr_t entry_va = va & ~(size - 1);
		vaddr_t next = MIN(end, entry_va + size);
		uint64_t *ptep = &tbl[pt_index(pt, level, va)];
		uint64_t d = pte_read(ptep);

		if (!(d & PTE_VALID)) {
			/* nothing mapped here */
		} else if (va == entry_va && next == entry_va + size) {
			pte_write(pt, ptep, 0);
			tlb_invalidate(pt, entry_va, level);
			if (pte_is_table(d, level))
				free_subtree(pt, d & PTE_OA_MASK, level + 1);
		} else {
			bool was_table = pte_is_table(d, level);
			uint64_t *child = was_table ? table_va(pt, d & PTE_OA_MASK)
						    : split_block(pt, ptep, level, entry_va);
			int ret;

			if (!child)
				return PGT_ENOMEM;
			ret = unmap_level(pt, child, level + 1, va, next);
			if (ret)
				return ret;
			/* A split block keeps what is outside [va, next): only tables empty. */
			if (was_table && table_empty(child)) {
				pte_write(pt, ptep, 0);
				tlb_invalidate(pt, entry_va, level);
				table_free(pt, d & PTE_OA_MASK);
			}
		}
		va = next;
	}
	return PGT_OK;
}

int pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t size)
{
	if (!pt->root || size == 0 || ((va | size) & (PAGE_SIZE - 1)))
		return PGT_EINVAL;
	if (!va_range_ok(pt, va, size))
		return PGT_ERANGE;
	return unmap_level(pt, table_va(pt, pt->root), pt->start_level, va, va + size);
}

/* ---------------------------------------------------------------------------
 * Lookup, walk, setup and teardown
 */

bool pgtable_lookup(const struct pgtable *pt, vaddr_t va, paddr_t *pa, uint64_t *attrs,
		    unsigned int *level)
{
	const uint64_t *tbl;

	if (!pt->root || !va_range_ok(pt, va, 1))
		return false;
	tbl = table_va(pt, pt->root);
	for (unsigned int l = pt->start_level; l <= 3; l++) {
		uint64_t d = pte_read(&tbl[pt_index(pt, l, va)]);

		if (!(d & PTE_VALID))
			return false;
		if (pte_is_table(d, l)) {
			tbl = table_va(pt, d & PTE_OA_MASK);
			continue;
		}
		if (!pte_is_leaf(d, l))
			return false;
		if (pa)
			*pa = (d & leaf_oa_mask(l)) | (va & (PGT_LEVEL_SIZE(l) - 1));
		if (attrs)
			*attrs = d & PTE_ATTR_MASK;
		if (level)
			*level = l;
		return true;
	}
	return false;
}

static void walk_level(const struct pgtable *pt, const uint64_t *tbl, unsigned int level,
		       vaddr_t base, unsigned int entries, pgtable_leaf_fn fn, void *arg)
{
	for (unsigned int i = 0; i < entries; i++) {
		uint64_t d = pte_read(&tbl[i]);
		vaddr_t va = base + ((uint64_t)i << PGT_LEVEL_SHIFT(level));

		if (!(d & PTE_VALID))
			continue;
		if (pte_is_table(d, level))
			walk_level(pt, table_va(pt, d & PTE_OA_MASK), level + 1, va, PGT_ENTRIES,
				   fn, arg);
		else if (pte_is_leaf(d, level))
			fn(va, d & leaf_oa_mask(level), PGT_LEVEL_SIZE(level), d & PTE_ATTR_MASK,
			   level, arg);
	}
}

void pgtable_walk(const struct pgtable *pt, pgtable_leaf_fn fn, void *arg)
{
	if (pt->root)
		walk_level(pt, table_va(pt, pt->root), pt->start_level, 0,
			   PGT_ENTRIES * pt->root_pages, fn, arg);
}

int pgtable_init(struct pgtable *pt, enum pgtable_stage stage, unsigned int va_bits,
		 unsigned int start_level, const struct pgtable_ops *ops, void *ctx)
{
	unsigned int shift, root_pages = 1;

	memset(pt, 0, sizeof(*pt));
	if (start_level > 3 || va_bits > PGT_MAX_VA_BITS || !ops || !ops->alloc_pages ||
	    !ops->free_pages || !ops->pa_to_va || (stage != PGT_STAGE1 && stage != PGT_STAGE2))
		return PGT_EINVAL;
	shift = PGT_LEVEL_SHIFT(start_level);
	/* The start level must resolve at least one bit, or a later level should start. */
	if (va_bits <= shift)
		return PGT_EINVAL;
	if (va_bits > shift + 9) {
		/* Only stage 2 may concatenate tables at the initial lookup level. */
		if (stage != PGT_STAGE2 || va_bits > shift + 9 + 4)
			return PGT_EINVAL;
		root_pages = 1u << (va_bits - shift - 9);
	}

	pt->stage = stage;
	pt->va_bits = va_bits;
	pt->start_level = start_level;
	pt->root_pages = root_pages;
	pt->ops = ops;
	pt->ctx = ctx;
	pt->root = ops->alloc_pages(root_pages, ctx);
	if (!pt->root)
		return PGT_ENOMEM;
	pt->table_pages = root_pages;
	return PGT_OK;
}

void pgtable_destroy(struct pgtable *pt)
{
	uint64_t *root;

	if (!pt->root)
		return;
	root = table_va(pt, pt->root);
	for (unsigned int i = 0; i < PGT_ENTRIES * pt->root_pages; i++) {
		uint64_t d = pte_read(&root[i]);

		if ((d & PTE_VALID) && pte_is_table(d, pt->start_level))
			free_subtree(pt, d & PTE_OA_MASK, pt->start_level + 1);
	}
	pt->ops->free_pages(pt->root, pt->root_pages, pt->ctx);
	pt->table_pages -= pt->root_pages;
	pt->root = 0;
}
