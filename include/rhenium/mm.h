/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's physical memory: one page allocator over all RAM the
 * device tree describes, minus what is already in use (image, DTB, reserved
 * memory, initrd). Callable from any CPU once the MMU is on.
 */
#ifndef RHENIUM_MM_H
#define RHENIUM_MM_H

#include <rhenium/boot.h>
#include <rhenium/types.h>

#define MM_MAX_EXTRA 16

/* extra: host memory in use beyond what boot_info describes (VM images). */
int mm_init(const struct boot_info *info, const struct mem_range *extra, unsigned int extra_count,
	    char *err, size_t err_len);
/* Called once the MMU and caches are on and other CPUs may allocate. */
void mm_enable_locking(void);
/* n contiguous pages aligned to 2^align_order pages; 0 when out of memory. */
paddr_t mm_alloc_pages(size_t n, unsigned int align_order);
paddr_t mm_alloc_zeroed_pages(size_t n, unsigned int align_order);
/*
 * n zeroed pages aligned to n rounded up to a power of two: what translation
 * tables need (a concatenated Stage-2 root must be aligned to its size).
 */
paddr_t mm_alloc_table_pages(size_t n);
/* Returns pages from mm_alloc_*; freeing anything else panics (a hypervisor bug). */
void mm_free_pages(paddr_t pa, size_t n);
size_t mm_free_page_count(void);
size_t mm_total_page_count(void);
/* One line per allocator region. */
void mm_dump(void);

/* The hypervisor maps all RAM 1:1, so a physical address is its own pointer. */
static inline void *mm_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

static inline paddr_t mm_virt_to_phys(const void *va)
{
	return (paddr_t)(uintptr_t)va;
}

#endif
