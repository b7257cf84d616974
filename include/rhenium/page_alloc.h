/* SPDX-License-Identifier: MIT */
/*
 * Physical page allocator: 4 KiB pages over up to PALLOC_MAX_REGIONS disjoint
 * physical ranges ("regions").
 *
 * Each region keeps a bitmap with one bit per page (1 = in use). The bitmap
 * lives in the region's own first pages, which are marked in use and never
 * handed out, so the allocator needs no memory of its own beyond struct palloc.
 * Allocation is next-fit: the search starts where the previous allocation
 * ended (per region, and at the region that served it) and wraps around.
 *
 * Invariants:
 *  - Region bases and sizes are page aligned and regions never overlap.
 *  - Bits past the last page of a region in its last bitmap word are set, so
 *    word-at-a-time scans never see them as free.
 *  - A region's free count equals the number of clear bits in its bitmap, and
 *    palloc->free_pages is the sum of the region counts.
 *  - Physical address 0 is never returned: every region's first page holds
 *    (the start of) its bitmap, so the only page that could have PA 0 is always
 *    in use. palloc_alloc() therefore returns 0 to mean failure.
 *
 * The allocator never dereferences a physical address itself: it reaches its
 * bitmaps (and the pages zeroed by palloc_alloc_zeroed()) through the pa_to_va
 * hook given at init. In the hypervisor the hook is the identity; host tests
 * point it into a malloc'd arena.
 *
 * Not thread safe: the caller serialises every call that takes a non-const
 * struct palloc (the hypervisor wraps these in a spinlock). The const queries
 * may race with updates only if the caller accepts a stale answer.
 */
#ifndef RHENIUM_PAGE_ALLOC_H
#define RHENIUM_PAGE_ALLOC_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

#define PALLOC_MAX_REGIONS 64
/* Largest alignment palloc_alloc() accepts: 2^18 pages = 1 GiB. */
#define PALLOC_MAX_ALIGN_ORDER 18

enum palloc_err {
	PALLOC_OK = 0,
	PALLOC_EINVAL = -1,    /* misaligned, zero-sized, wrapping, overlapping or unknown range */
	PALLOC_ENOSPC = -2,    /* no free region slot, or output array too small */
	PALLOC_ENOTALLOC = -3, /* freeing a page that is not currently allocated */
};

typedef void *(*palloc_pa_to_va_fn)(paddr_t pa, void *ctx);

struct palloc_region {
	paddr_t base;	     /* first page, holds the bitmap */
	uint64_t pages;	     /* all pages in the region, bitmap pages included */
	uint64_t meta_pages; /* pages at base used by the bitmap */
	uint64_t free_pages;
	uint64_t hint;	  /* page index where the next search starts */
	uint64_t *bitmap; /* pa_to_va(base) */
};

struct palloc {
	struct palloc_region regions[PALLOC_MAX_REGIONS];
	unsigned int region_count; /* regions[] is sorted by base */
	unsigned int next_region;  /* where next-fit resumes */
	uint64_t total_pages;
	uint64_t free_pages;
	palloc_pa_to_va_fn pa_to_va;
	void *ctx;
};

/* What the banner prints for a region; end is exclusive. */
struct palloc_region_info {
	paddr_t base;
	paddr_t end;
	uint64_t pages;
	uint64_t meta_pages;
	uint64_t free_pages;
};

/*
 * out = (union of ram) minus (union of excl), sorted by address, adjacent or
 * overlapping pieces merged. RAM ranges are shrunk inward to page boundaries
 * and exclusions grown outward, so no partial page is ever treated as free.
 * Inputs may be unsorted and overlapping; zero-sized entries are ignored and a
 * range that would wrap past 2^64 is clipped at the top.
 *
 * Returns the number of ranges written (each page aligned, size > 0), or
 * PALLOC_ENOSPC if out_max was too small; out_max >= ram_count + excl_count
 * always suffices.
 */
int palloc_ranges_subtract(const struct mem_range *ram, size_t ram_count,
			   const struct mem_range *excl, size_t excl_count, struct mem_range *out,
			   size_t out_max);

/* Empty allocator; add memory with palloc_add_region() or use palloc_init_ranges(). */
void palloc_init(struct palloc *pa, palloc_pa_to_va_fn pa_to_va, void *ctx);

/*
 * Adds [base, base + size) (page aligned, must not overlap an existing region)
 * and writes its bitmap into its first pages. A range too small to hold its
 * bitmap plus one usable page is not an error: it is skipped and PALLOC_OK
 * returned, since a boot-time caller has nothing better to do with it.
 */
int palloc_add_region(struct palloc *pa, paddr_t base, uint64_t size);

/*
 * palloc_init() plus one palloc_add_region() for each piece of ram minus excl
 * (see palloc_ranges_subtract()). excl must cover everything in RAM that is
 * already in use: the hypervisor image, the DTB, reserved memory, the initrd.
 * On error the regions added so far stay usable.
 */
int palloc_init_ranges(struct palloc *pa, palloc_pa_to_va_fn pa_to_va, void *ctx,
		       const struct mem_range *ram, size_t ram_count, const struct mem_range *excl,
		       size_t excl_count);

/*
 * Allocates n physically contiguous pages whose start is aligned to
 * 2^align_order pages (a physical address alignment, whatever the region base).
 * Runs never span regions. Returns the physical address, or 0 if no run fits
 * or the arguments are invalid (n == 0, align_order > PALLOC_MAX_ALIGN_ORDER).
 * The contents are whatever was there before.
 */
paddr_t palloc_alloc(struct palloc *pa, uint64_t n, unsigned int align_order);
/* As palloc_alloc(), and the pages are zeroed through pa_to_va. */
paddr_t palloc_alloc_zeroed(struct palloc *pa, uint64_t n, unsigned int align_order);

/*
 * Frees n pages starting at addr. The whole range must lie in one region,
 * outside its bitmap pages, and every page must be allocated; otherwise
 * nothing changes and PALLOC_EINVAL (range) or PALLOC_ENOTALLOC (double free)
 * is returned. The bitmap does not record allocation sizes, so freeing part of
 * an earlier allocation is allowed.
 */
int palloc_free(struct palloc *pa, paddr_t addr, uint64_t n);

/* Pages available now / pages managed, the latter including bitmap pages. */
uint64_t palloc_free_pages(const struct palloc *pa);
uint64_t palloc_total_pages(const struct palloc *pa);

unsigned int palloc_region_count(const struct palloc *pa);
/* Fills *info for region idx (ascending address order); false if idx is out of range. */
bool palloc_region_get(const struct palloc *pa, unsigned int idx, struct palloc_region_info *info);

/* True if addr lies in a page that is currently allocated (bitmap pages excluded). */
bool palloc_is_allocated(const struct palloc *pa, paddr_t addr);

/*
 * Recounts every bitmap and checks the invariants above; for tests and for a
 * debug command. Returns true if consistent.
 */
bool palloc_check(const struct palloc *pa);

#endif
