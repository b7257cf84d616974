/* SPDX-License-Identifier: MIT */
/*
 * Generic VMSAv8-64 translation-table builder, 4 KiB granule, 48-bit input and
 * output addresses (no FEAT_LPA/LPA2), for EL2 stage 1 and for stage 2.
 * Follows the Arm ARM (DDI 0487) chapter D8, "The AArch64 Virtual Memory
 * System Architecture" (D4/D5 in older editions): "Translation table descriptor
 * formats" for the encodings, "Concatenated translation tables" for stage-2
 * roots, and "Using break-before-make when updating translation table entries".
 *
 * The builder owns descriptor types (table/block/page) and output addresses.
 * Everything else in a leaf - memory type, shareability, permissions, AF, nG,
 * software bits - is the caller's `attrs`, written verbatim and compared
 * verbatim. The names below are for building `attrs`; nothing here touches a
 * system register.
 *
 * Invariants the code maintains (and the tests check):
 *  1. Break-before-make. A valid descriptor is never overwritten by a
 *     different valid one. Changing a live entry (block -> table on a split,
 *     or a leaf -> another leaf when replacing) writes 0, calls
 *     ops->tlb_invalidate() for the range the old entry covered, and only then
 *     writes the new value. Invalid -> valid and valid -> invalid are single
 *     writes. Any attempted in-place valid -> valid write is refused and
 *     counted in pt->bbm_violations, which must stay 0.
 *  2. A new table is fully written (ops->alloc_pages() gives zeroed memory;
 *     a split fills all 512 entries) and ops->sync() is called before the
 *     descriptor that links it is written, so no walker can see a half-built
 *     table.
 *  3. Table pages are freed only after the descriptor pointing at them has
 *     been cleared and the covered range invalidated, so no walk cache can
 *     still reach them.
 *  4. Blocks are used wherever the VA, PA and remaining size are aligned to
 *     1 GiB (level 1) or 2 MiB (level 2); level 0 never holds a block. An
 *     existing table is never collapsed back into a block (that would need
 *     break-before-make on a range that may be in use); unmapping every entry
 *     of a table frees it, so a later map of the whole range gets blocks again.
 *  5. Every descriptor write is a single 64-bit volatile store, so a
 *     concurrent hardware walk sees either the old or the new value.
 *
 * Not thread safe: the caller serialises all updates to one table, and the
 * caller decides when the last invalidation must be complete (ops callbacks
 * carry the barriers; see struct pgtable_ops).
 *
 * Input addresses are [0, 2^va_bits): one TTBR0_EL2-style range, or an IPA
 * space for stage 2.
 */
#ifndef RHENIUM_PGTABLE_H
#define RHENIUM_PGTABLE_H

#include <rhenium/types.h>

#define PGT_ENTRIES 512u
#define PGT_MAX_ROOT_PAGES 16u /* concatenated initial-level tables, stage 2 only */
#define PGT_MAX_VA_BITS 48u
#define PGT_OA_BITS 48u

/* Size of the range one descriptor at `level` maps: 512 GiB, 1 GiB, 2 MiB, 4 KiB. */
#define PGT_LEVEL_SHIFT(level) (PAGE_SHIFT + 9u * (3u - (level)))
#define PGT_LEVEL_SIZE(level) ((uint64_t)1 << PGT_LEVEL_SHIFT(level))

/* ---- Descriptor type and address (bits [1:0] and [47:12]) ---- */
#define PTE_VALID (1ull << 0)
#define PTE_TYPE_MASK 3ull
#define PTE_TYPE_BLOCK 1ull /* levels 1 and 2 */
#define PTE_TYPE_TABLE 3ull /* levels 0 to 2 */
#define PTE_TYPE_PAGE 3ull  /* level 3; type 1 at level 3 is reserved (invalid) */
#define PTE_OA_MASK 0x0000fffffffff000ull

/* ---- Leaf attributes common to both stages ---- */
#define PTE_SH_NONE (0ull << 8)
#define PTE_SH_OUTER (2ull << 8)
#define PTE_SH_INNER (3ull << 8)
#define PTE_SH_MASK (3ull << 8)
#define PTE_AF (1ull << 10) /* no hardware AF update is assumed: set it, or the access faults */
#define PTE_DBM (1ull << 51)
#define PTE_CONT (1ull << 52) /* contiguous hint: refused, the builder does not manage it */
#define PTE_SW_SHIFT 55	      /* bits [58:55] are ignored by hardware */
#define PTE_SW(n) ((uint64_t)(n) << PTE_SW_SHIFT)
#define PTE_SW_MASK (0xfull << PTE_SW_SHIFT)

/* ---- Stage 1 leaf attributes ---- */
#define PTE_S1_ATTRINDX(n) ((uint64_t)((n)&7) << 2) /* index into MAIR_ELx */
#define PTE_S1_ATTRINDX_MASK (7ull << 2)
#define PTE_S1_NS (1ull << 5)
/*
 * AP[1]: EL0 access in two-Exception-level regimes. In the EL2 regime with
 * HCR_EL2.E2H == 0 there is no EL0 and the bit is RES1, so EL2 mappings set it.
 */
#define PTE_S1_AP_EL0 (1ull << 6)
#define PTE_S1_AP_EL2_RES1 (1ull << 6)
#define PTE_S1_AP_RO (1ull << 7) /* AP[2] */
#define PTE_S1_NG (1ull << 11)
#define PTE_S1_PXN (1ull << 53) /* two-EL regimes */
#define PTE_S1_UXN (1ull << 54) /* two-EL regimes */
#define PTE_S1_XN (1ull << 54)	/* single-EL regimes such as EL2 with E2H == 0 */

/* ---- Stage 2 leaf attributes ---- */
#define PTE_S2_MEMATTR(x) ((uint64_t)((x)&0xf) << 2)
#define PTE_S2_MEMATTR_MASK (0xfull << 2)
#define S2_MEMATTR_DEVICE_nGnRnE 0x0
#define S2_MEMATTR_DEVICE_nGnRE 0x1
#define S2_MEMATTR_NORMAL_NC 0x5 /* outer and inner Non-cacheable */
#define S2_MEMATTR_NORMAL_WB 0xf /* outer and inner Write-Back cacheable */
#define PTE_S2AP_NONE (0ull << 6)
#define PTE_S2AP_RO (1ull << 6)
#define PTE_S2AP_WO (2ull << 6)
#define PTE_S2AP_RW (3ull << 6)
#define PTE_S2AP_MASK (3ull << 6)
#define PTE_S2_XN (1ull << 54) /* XN[1]; XN[0] (bit 53) needs FEAT_XNX */

/* Bits a caller may pass in attrs: lower [11:2] and upper [63:50] attributes. */
#define PTE_ATTR_MASK (0x0000000000000ffcull | 0xfffc000000000000ull)

enum pgtable_stage {
	PGT_STAGE1,
	PGT_STAGE2,
};

enum pgtable_err {
	PGT_OK = 0,
	PGT_EINVAL = -1, /* misaligned, zero size, bad attrs, bad geometry */
	PGT_ERANGE = -2, /* input or output address outside the supported range */
	PGT_ENOMEM = -3, /* a table page could not be allocated */
	PGT_EEXIST = -4, /* part of the range is mapped differently (no PGT_MAP_REPLACE) */
};

/* pgtable_map() flags */
#define PGT_MAP_REPLACE 0x1u

struct pgtable_ops {
	/*
	 * Returns `pages` (1, or the root size: a power of two up to 16) zeroed,
	 * physically contiguous pages aligned to pages * 4 KiB, or 0 on failure.
	 * palloc_alloc_zeroed(pa, pages, log2(pages)) fits.
	 */
	paddr_t (*alloc_pages)(unsigned int pages, void *ctx);
	void (*free_pages)(paddr_t pa, unsigned int pages, void *ctx);
	/* Where the builder reads and writes table memory; identity in the hypervisor. */
	void *(*pa_to_va)(paddr_t pa, void *ctx);
	/*
	 * Called after a descriptor at `level` covering [va, va + PGT_LEVEL_SIZE(level))
	 * was made invalid, before anything new is written there. Must remove every
	 * TLB and walk-cache entry for that whole range (the entry may have been a
	 * table with finer mappings below it) and wait for completion: on hardware
	 * DSB ISHST; TLBI ...; DSB ISH. May be NULL while the tables are not live
	 * (built before the MMU or VTTBR uses them).
	 */
	void (*tlb_invalidate)(vaddr_t va, unsigned int level, void *ctx);
	/*
	 * Optional: make earlier table writes visible to table walks (DSB ISHST)
	 * before a new table is linked in. May be NULL.
	 */
	void (*sync)(void *ctx);
};

struct pgtable {
	paddr_t root; /* for TTBR0_EL2 / VTTBR_EL2.BADDR */
	enum pgtable_stage stage;
	unsigned int va_bits; /* input address size: T0SZ = 64 - va_bits */
	unsigned int start_level;
	unsigned int root_pages; /* concatenated tables at start_level */
	const struct pgtable_ops *ops;
	void *ctx;
	uint64_t table_pages;	 /* table pages held, root included */
	uint64_t bbm_violations; /* refused in-place valid -> valid writes; always 0 */
};

/*
 * Allocates an empty root. va_bits must be resolvable from start_level:
 * PGT_LEVEL_SHIFT(start_level) < va_bits <= PGT_LEVEL_SHIFT(start_level) + 9
 * for stage 1; stage 2 may exceed that by up to 4 bits, which concatenates
 * 2..16 root tables ("Concatenated translation tables"; e.g. a 40-bit IPA
 * space starting at level 1 needs 2).
 */
int pgtable_init(struct pgtable *pt, enum pgtable_stage stage, unsigned int va_bits,
		 unsigned int start_level, const struct pgtable_ops *ops, void *ctx);

/*
 * Maps [va, va + size) to [pa, pa + size) with leaf attributes attrs (no type
 * or address bits; PTE_CONT is refused). va, pa and size must be page aligned.
 *
 * Overlap policy: without PGT_MAP_REPLACE, any page in the range that is
 * already mapped to a different PA or with different attrs makes the call fail
 * with PGT_EEXIST before anything is written; pages already mapped exactly as
 * requested are left alone, so repeating a map is harmless. With
 * PGT_MAP_REPLACE, existing mappings are replaced using break-before-make,
 * splitting blocks that are only partly covered (the rest of the block keeps
 * its PA and attributes).
 *
 * On PGT_ENOMEM part of the range may be mapped; every entry written is
 * complete and correct, so the caller can unmap the range or retry.
 */
int pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs,
		unsigned int flags);

/*
 * Removes any mapping in [va, va + size) (page aligned; unmapped holes are
 * fine). Blocks partly inside the range are split first, which can fail with
 * PGT_ENOMEM leaving a prefix of the range unmapped. Tables left empty are freed.
 */
int pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t size);

/*
 * Translates va. On success fills whichever of pa (including the offset within
 * the page), attrs (the leaf's attribute bits, PTE_ATTR_MASK) and level (of
 * the leaf) are non-NULL.
 */
bool pgtable_lookup(const struct pgtable *pt, vaddr_t va, paddr_t *pa, uint64_t *attrs,
		    unsigned int *level);

/* Calls fn for every leaf in ascending VA order; for dumps and tests. */
typedef void (*pgtable_leaf_fn)(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs,
				unsigned int level, void *arg);
void pgtable_walk(const struct pgtable *pt, pgtable_leaf_fn fn, void *arg);

/*
 * Frees every table page, root included; pt->root becomes 0. Does not
 * invalidate anything: the tables must no longer be in use by any walker.
 */
void pgtable_destroy(struct pgtable *pt);

#endif
