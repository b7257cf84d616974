/* SPDX-License-Identifier: MIT */
/*
 * Bitmap page allocator; see include/rhenium/page_alloc.h for the model and
 * its invariants, docs/page_alloc.md for the rationale.
 */
#include <rhenium/page_alloc.h>
#include <rhenium/string.h>

#define BITS_PER_WORD 64u
#define PAGE_MASK (PAGE_SIZE - 1)

/* ---------------------------------------------------------------------------
 * Range arithmetic
 */

static uint64_t range_end(const struct mem_range *r)
{
	return r->base + r->size;
}

/* base + size, or the top of the address space if that would wrap. */
static uint64_t end_clipped(paddr_t base, uint64_t size)
{
	return size > UINT64_MAX - base ? UINT64_MAX : base + size;
}

/*
 * Adds [s, e) to the sorted, disjoint, non-adjacent list out[0..*count),
 * merging with every entry it overlaps or touches.
 */
static int list_insert(struct mem_range *out, size_t *count, size_t out_max, uint64_t s, uint64_t e)
{
	size_t i = 0, j;

	while (i < *count && range_end(&out[i]) < s)
		i++;
	for (j = i; j < *count && out[j].base <= e; j++) {
		s = MIN(s, out[j].base);
		e = MAX(e, range_end(&out[j]));
	}
	if (i == j) {
		if (*count == out_max)
			return PALLOC_ENOSPC;
		memmove(&out[i + 1], &out[i], (*count - i) * sizeof(*out));
		(*count)++;
	} else if (j - i > 1) {
		memmove(&out[i + 1], &out[j], (*count - j) * sizeof(*out));
		*count -= j - i - 1;
	}
	out[i].base = s;
	out[i].size = e - s;
	return PALLOC_OK;
}

/* Removes [s, e) from the sorted disjoint list; may split one entry in two. */
static int list_remove(struct mem_range *out, size_t *count, size_t out_max, uint64_t s, uint64_t e)
{
	for (size_t i = 0; i < *count; i++) {
		uint64_t rs = out[i].base, re = range_end(&out[i]);

		if (re <= s || rs >= e)
			continue;
		if (rs < s && re > e) {
			if (*count == out_max)
				return PALLOC_ENOSPC;
			memmove(&out[i + 2], &out[i + 1], (*count - i - 1) * sizeof(*out));
			(*count)++;
			out[i].size = s - rs;
			out[i + 1].base = e;
			out[i + 1].size = re - e;
			/* Entries are disjoint, so nothing further can overlap [s, e). */
			return PALLOC_OK;
		}
		if (rs < s) {
			out[i].size = s - rs;
		} else if (re > e) {
			out[i].base = e;
			out[i].size = re - e;
		} else {
			memmove(&out[i], &out[i + 1], (*count - i - 1) * sizeof(*out));
			(*count)--;
			i--;
		}
	}
	return PALLOC_OK;
}

int palloc_ranges_subtract(const struct mem_range *ram, size_t ram_count,
			   const struct mem_range *excl, size_t excl_count, struct mem_range *out,
			   size_t out_max)
{
	size_t count = 0;
	int ret;

	for (size_t i = 0; i < ram_count; i++) {
		uint64_t e = end_clipped(ram[i].base, ram[i].size) & ~PAGE_MASK;
		uint64_t s;

		/* Inward: a partial page at either end is not usable RAM. */
		if (ram[i].size == 0 || ram[i].base > UINT64_MAX - PAGE_MASK)
			continue;
		s = (ram[i].base + PAGE_MASK) & ~PAGE_MASK;
		if (e <= s)
			continue;
		ret = list_insert(out, &count, out_max, s, e);
		if (ret)
			return ret;
	}

	for (size_t i = 0; i < excl_count; i++) {
		uint64_t s = excl[i].base & ~PAGE_MASK;
		uint64_t e = end_clipped(excl[i].base, excl[i].size);

		if (excl[i].size == 0)
			continue;
		/*
		 * Outward: a page holding any excluded byte is excluded. Near the
		 * top, UINT64_MAX stands for 2^64, which no RAM end can exceed.
		 */
		e = e > UINT64_MAX - PAGE_MASK ? UINT64_MAX : (e + PAGE_MASK) & ~PAGE_MASK;
		ret = list_remove(out, &count, out_max, s, e);
		if (ret)
			return ret;
	}
	return (int)count;
}

/* ---------------------------------------------------------------------------
 * Bitmap helpers. Bit i of the region is bit (i % 64) of word i / 64.
 */

static uint64_t word_mask(uint64_t from, uint64_t to)
{
	/* Bits [from % 64, to - word start) of the word containing from; to > from. */
	uint64_t lo = from % BITS_PER_WORD;
	uint64_t hi = to - (from - lo);
	uint64_t m = ~(uint64_t)0 << lo;

	if (hi < BITS_PER_WORD)
		m &= ((uint64_t)1 << hi) - 1;
	return m;
}

static void bits_set(uint64_t *bm, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t next = (from | (BITS_PER_WORD - 1)) + 1;

		bm[from / BITS_PER_WORD] |= word_mask(from, to);
		from = next;
	}
}

static void bits_clear(uint64_t *bm, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t next = (from | (BITS_PER_WORD - 1)) + 1;

		bm[from / BITS_PER_WORD] &= ~word_mask(from, to);
		from = next;
	}
}

static bool bits_all_set(const uint64_t *bm, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t next = (from | (BITS_PER_WORD - 1)) + 1;
		uint64_t m = word_mask(from, to);

		if ((bm[from / BITS_PER_WORD] & m) != m)
			return false;
		from = next;
	}
	return true;
}

/* First clear bit in [from, to), or to if there is none. */
static uint64_t find_clear(const uint64_t *bm, uint64_t from, uint64_t to)
{
	while (from < to) {
		uint64_t next = (from | (BITS_PER_WORD - 1)) + 1;
		uint64_t clear = ~bm[from / BITS_PER_WORD] & word_mask(from, to);

		if (clear)
			return next - BITS_PER_WORD + (uint64_t)__builtin_ctzll(clear);
		from = next;
	}
	return to;
}

/* Highest set bit in [from, to) into *out; false if all are clear. */
static bool find_last_set(const uint64_t *bm, uint64_t from, uint64_t to, uint64_t *out)
{
	while (to > from) {
		uint64_t last = to - 1;
		uint64_t wstart = last & ~(uint64_t)(BITS_PER_WORD - 1);
		uint64_t lo = MAX(from, wstart);
		uint64_t used = bm[last / BITS_PER_WORD] & word_mask(lo, to);

		if (used) {
			*out = wstart + 63 - (uint64_t)__builtin_clzll(used);
			return true;
		}
		to = lo;
	}
	return false;
}

/*
 * Open-coded: with -mgeneral-regs-only __builtin_popcountll becomes a libgcc
 * call, and the hypervisor does not link libgcc.
 */
static uint64_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ull);
	x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (x * 0x0101010101010101ull) >> 56;
}

static uint64_t count_clear(const uint64_t *bm, uint64_t pages)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w < (pages + BITS_PER_WORD - 1) / BITS_PER_WORD; w++)
		n += popcount64(~bm[w]);
	return n;
}

/* ---------------------------------------------------------------------------
 * Regions
 */

static paddr_t region_end(const struct palloc_region *r)
{
	return r->base + (r->pages << PAGE_SHIFT);
}

static uint64_t bitmap_words(uint64_t pages)
{
	return (pages + BITS_PER_WORD - 1) / BITS_PER_WORD;
}

void palloc_init(struct palloc *pa, palloc_pa_to_va_fn pa_to_va, void *ctx)
{
	memset(pa, 0, sizeof(*pa));
	pa->pa_to_va = pa_to_va;
	pa->ctx = ctx;
}

int palloc_add_region(struct palloc *pa, paddr_t base, uint64_t size)
{
	struct palloc_region *r;
	uint64_t pages, meta, words;
	unsigned int pos;

	if (size == 0 || (base & PAGE_MASK) || (size & PAGE_MASK) || size > UINT64_MAX - base)
		return PALLOC_EINVAL;
	for (pos = 0; pos < pa->region_count; pos++) {
		const struct palloc_region *o = &pa->regions[pos];

		if (base < region_end(o) && o->base < base + size)
			return PALLOC_EINVAL;
		if (o->base > base)
			break;
	}
	pages = size >> PAGE_SHIFT;
	words = bitmap_words(pages);
	meta = (words * sizeof(uint64_t) + PAGE_SIZE - 1) >> PAGE_SHIFT;
	if (pages <= meta)
		return PALLOC_OK;
	if (pa->region_count == PALLOC_MAX_REGIONS)
		return PALLOC_ENOSPC;

	memmove(&pa->regions[pos + 1], &pa->regions[pos],
		(pa->region_count - pos) * sizeof(pa->regions[0]));
	pa->region_count++;
	if (pa->next_region >= pos && pa->region_count > 1)
		pa->next_region++;
	if (pa->next_region >= pa->region_count)
		pa->next_region = 0;

	r = &pa->regions[pos];
	r->base = base;
	r->pages = pages;
	r->meta_pages = meta;
	r->free_pages = pages - meta;
	r->hint = meta;
	r->bitmap = pa->pa_to_va(base, pa->ctx);

	memset(r->bitmap, 0, words * sizeof(uint64_t));
	bits_set(r->bitmap, 0, meta);
	/* Padding bits in the last word count as used so scans need no bound check. */
	bits_set(r->bitmap, pages, words * BITS_PER_WORD);

	pa->total_pages += pages;
	pa->free_pages += r->free_pages;
	return PALLOC_OK;
}

int palloc_init_ranges(struct palloc *pa, palloc_pa_to_va_fn pa_to_va, void *ctx,
		       const struct mem_range *ram, size_t ram_count, const struct mem_range *excl,
		       size_t excl_count)
{
	struct mem_range pieces[PALLOC_MAX_REGIONS];
	int n;

	palloc_init(pa, pa_to_va, ctx);
	n = palloc_ranges_subtract(ram, ram_count, excl, excl_count, pieces, ARRAY_SIZE(pieces));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int ret = palloc_add_region(pa, pieces[i].base, pieces[i].size);

		if (ret)
			return ret;
	}
	return PALLOC_OK;
}

/* Smallest index >= i whose page frame number is a multiple of align. */
static uint64_t align_index(const struct palloc_region *r, uint64_t i, uint64_t align)
{
	uint64_t pfn = (r->base >> PAGE_SHIFT) + i;

	return ((pfn + align - 1) & ~(align - 1)) - (r->base >> PAGE_SHIFT);
}

/* A run of n clear bits starting at an aligned index in [from, to). */
static bool region_find(const struct palloc_region *r, uint64_t from, uint64_t to, uint64_t n,
			uint64_t align, uint64_t *out)
{
	uint64_t i = from;

	for (;;) {
		uint64_t used;

		i = align_index(r, find_clear(r->bitmap, i, to), align);
		if (i >= to || to - i < n)
			return false;
		if (!find_last_set(r->bitmap, i, i + n, &used)) {
			*out = i;
			return true;
		}
		/* No run starting at or before the last used bit can fit. */
		i = used + 1;
	}
}

paddr_t palloc_alloc(struct palloc *pa, uint64_t n, unsigned int align_order)
{
	unsigned int start = pa->next_region;
	uint64_t align;

	if (n == 0 || align_order > PALLOC_MAX_ALIGN_ORDER || n > pa->free_pages ||
	    pa->region_count == 0)
		return 0;
	align = (uint64_t)1 << align_order;

	/*
	 * Next fit: the rest of the current region, every other region, then the
	 * current region again from its start (k == region_count) to wrap around.
	 */
	for (unsigned int k = 0; k <= pa->region_count; k++) {
		unsigned int ri = (start + k) % pa->region_count;
		struct palloc_region *r = &pa->regions[ri];
		uint64_t from = k == 0 ? r->hint : r->meta_pages;
		uint64_t i;

		if (r->free_pages < n || !region_find(r, from, r->pages, n, align, &i))
			continue;
		bits_set(r->bitmap, i, i + n);
		r->free_pages -= n;
		pa->free_pages -= n;
		r->hint = i + n < r->pages ? i + n : r->meta_pages;
		pa->next_region = ri;
		return r->base + (i << PAGE_SHIFT);
	}
	return 0;
}

paddr_t palloc_alloc_zeroed(struct palloc *pa, uint64_t n, unsigned int align_order)
{
	paddr_t addr = palloc_alloc(pa, n, align_order);

	if (addr)
		memset(pa->pa_to_va(addr, pa->ctx), 0, n << PAGE_SHIFT);
	return addr;
}

static const struct palloc_region *find_region(const struct palloc *pa, paddr_t addr)
{
	for (unsigned int i = 0; i < pa->region_count; i++) {
		const struct palloc_region *r = &pa->regions[i];

		if (addr >= r->base && addr < region_end(r))
			return r;
	}
	return NULL;
}

int palloc_free(struct palloc *pa, paddr_t addr, uint64_t n)
{
	struct palloc_region *r = (struct palloc_region *)find_region(pa, addr);
	uint64_t i;

	if (!r || n == 0 || (addr & PAGE_MASK))
		return PALLOC_EINVAL;
	i = (addr - r->base) >> PAGE_SHIFT;
	if (i < r->meta_pages || n > r->pages - i)
		return PALLOC_EINVAL;
	if (!bits_all_set(r->bitmap, i, i + n))
		return PALLOC_ENOTALLOC;
	bits_clear(r->bitmap, i, i + n);
	r->free_pages += n;
	pa->free_pages += n;
	return PALLOC_OK;
}

uint64_t palloc_free_pages(const struct palloc *pa)
{
	return pa->free_pages;
}

uint64_t palloc_total_pages(const struct palloc *pa)
{
	return pa->total_pages;
}

unsigned int palloc_region_count(const struct palloc *pa)
{
	return pa->region_count;
}

bool palloc_region_get(const struct palloc *pa, unsigned int idx, struct palloc_region_info *info)
{
	const struct palloc_region *r;

	if (idx >= pa->region_count)
		return false;
	r = &pa->regions[idx];
	info->base = r->base;
	info->end = region_end(r);
	info->pages = r->pages;
	info->meta_pages = r->meta_pages;
	info->free_pages = r->free_pages;
	return true;
}

bool palloc_is_allocated(const struct palloc *pa, paddr_t addr)
{
	const struct palloc_region *r = find_region(pa, addr);
	uint64_t i;

	if (!r)
		return false;
	i = (addr - r->base) >> PAGE_SHIFT;
	return i >= r->meta_pages && bits_all_set(r->bitmap, i, i + 1);
}

bool palloc_check(const struct palloc *pa)
{
	uint64_t total = 0, avail = 0;

	if (pa->region_count > PALLOC_MAX_REGIONS ||
	    (pa->region_count && pa->next_region >= pa->region_count))
		return false;
	for (unsigned int i = 0; i < pa->region_count; i++) {
		const struct palloc_region *r = &pa->regions[i];
		uint64_t words = bitmap_words(r->pages);

		if (i && region_end(&pa->regions[i - 1]) > r->base)
			return false;
		if (r->bitmap != pa->pa_to_va(r->base, pa->ctx) || r->meta_pages >= r->pages ||
		    r->hint < r->meta_pages || r->hint >= r->pages)
			return false;
		if (!bits_all_set(r->bitmap, 0, r->meta_pages) ||
		    !bits_all_set(r->bitmap, r->pages, words * BITS_PER_WORD))
			return false;
		if (count_clear(r->bitmap, r->pages) != r->free_pages)
			return false;
		total += r->pages;
		avail += r->free_pages;
	}
	return total == pa->total_pages && avail == pa->free_pages;
}
