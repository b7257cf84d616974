/* SPDX-License-Identifier: MIT */
#include <rhenium/arch.h>
#include <rhenium/format.h>
#include <rhenium/log.h>
#include <rhenium/mm.h>
#include <rhenium/page_alloc.h>
#include <rhenium/panic.h>
#include <rhenium/spinlock.h>

static struct palloc mm_pages;
static struct spinlock mm_lock = SPINLOCK_INIT;
static bool mm_locking;

/* Exclusives need cacheable memory: until the MMU is on, boot is single-CPU and lock-free. */
void mm_enable_locking(void)
{
	mm_locking = true;
}

static void mm_lock_take(void)
{
	if (mm_locking)
		spinlock_lock(&mm_lock);
}

static void mm_lock_release(void)
{
	if (mm_locking)
		spinlock_unlock(&mm_lock);
}

static void *mm_pa_to_va(paddr_t pa, void *ctx)
{
	(void)ctx;
	return mm_phys_to_virt(pa);
}

int mm_init(const struct boot_info *info, const struct mem_range *extra, unsigned int extra_count,
	    char *err, size_t err_len)
{
	const struct platform_info *plat = info->platform;
	struct mem_range excl[PLATFORM_MAX_RESERVED + 3 + MM_MAX_EXTRA];
	size_t n = 0;
	int ret;

	excl[n++] = (struct mem_range){ info->image.start, info->image.end - info->image.start };
	excl[n++] = (struct mem_range){ info->dtb, info->dtb_size };
	if (plat->initrd_end > plat->initrd_start)
		excl[n++] = (struct mem_range){ plat->initrd_start,
						plat->initrd_end - plat->initrd_start };
	for (unsigned int i = 0; i < plat->reserved_count; i++)
		excl[n++] = plat->reserved[i];
	for (unsigned int i = 0; i < extra_count && i < MM_MAX_EXTRA; i++)
		excl[n++] = extra[i];

	ret = palloc_init_ranges(&mm_pages, mm_pa_to_va, NULL, plat->mem, plat->mem_count, excl, n);
	if (ret != PALLOC_OK) {
		fmt_snprintf(err, err_len, "cannot set up the RAM regions (error %d)", ret);
		return ret;
	}
	/*
	 * The bitmaps were just written with the data cache off; once it is on,
	 * stale lines from whoever used this RAM before must not shadow them.
	 */
	for (unsigned int i = 0; i < mm_pages.region_count; i++) {
		const struct palloc_region *r = &mm_pages.regions[i];

		arch_dcache_inval_range(mm_phys_to_virt(r->base), r->meta_pages * PAGE_SIZE);
	}
	if (palloc_free_pages(&mm_pages) == 0) {
		fmt_snprintf(err, err_len, "no free RAM after the image and reserved regions");
		return PALLOC_ENOSPC;
	}
	return 0;
}

paddr_t mm_alloc_pages(size_t n, unsigned int align_order)
{
	paddr_t pa;

	mm_lock_take();
	pa = palloc_alloc(&mm_pages, n, align_order);
	mm_lock_release();
	return pa;
}

paddr_t mm_alloc_zeroed_pages(size_t n, unsigned int align_order)
{
	paddr_t pa;

	mm_lock_take();
	pa = palloc_alloc_zeroed(&mm_pages, n, align_order);
	mm_lock_release();
	return pa;
}

paddr_t mm_alloc_table_pages(size_t n)
{
	unsigned int order = 0;

	while (((size_t)1 << order) < n)
		order++;
	return mm_alloc_zeroed_pages(n, order);
}

void mm_free_pages(paddr_t pa, size_t n)
{
	int ret;

	mm_lock_take();
	ret = palloc_free(&mm_pages, pa, n);
	mm_lock_release();
	if (ret != PALLOC_OK)
		panic("freeing %zu pages at 0x%llx: error %d", n, (unsigned long long)pa, ret);
}

size_t mm_free_page_count(void)
{
	return (size_t)palloc_free_pages(&mm_pages);
}

size_t mm_total_page_count(void)
{
	return (size_t)palloc_total_pages(&mm_pages);
}

void mm_dump(void)
{
	struct palloc_region_info r;

	for (unsigned int i = 0; palloc_region_get(&mm_pages, i, &r); i++) {
		log_raw("  region   %#014llx-%#014llx %llu pages, %llu free, %llu bitmap\n",
			(unsigned long long)r.base, (unsigned long long)(r.end - 1),
			(unsigned long long)r.pages, (unsigned long long)r.free_pages,
			(unsigned long long)r.meta_pages);
	}
}
