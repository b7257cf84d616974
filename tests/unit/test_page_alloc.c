/* SPDX-License-Identifier: MIT */
/*
 * Page allocator and range arithmetic. Physical memory is simulated by a
 * malloc'd arena standing at a chosen physical base; pa_to_va aborts on any
 * access outside it, so the allocator touching memory it does not own fails
 * loudly instead of silently passing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhenium/page_alloc.h>

#include "test.h"

struct arena {
	uint8_t *mem;
	paddr_t base;
	uint64_t size;
};

static void *arena_pa_to_va(paddr_t pa, void *ctx)
{
	struct arena *a = ctx;

	if (pa < a->base || pa - a->base >= a->size) {
		fprintf(stderr, "  pa_to_va(0x%llx) outside arena\n", (unsigned long long)pa);
		abort();
	}
	return a->mem + (pa - a->base);
}

static bool arena_new(struct arena *a, paddr_t base, uint64_t size)
{
	a->mem = malloc(size);
	a->base = base;
	a->size = size;
	if (a->mem)
		memset(a->mem, 0xa5, size); /* the allocator must not rely on zeroed memory */
	return a->mem != NULL;
}

static void arena_del(struct arena *a)
{
	free(a->mem);
	a->mem = NULL;
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: a fixed seed makes every run identical. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

#define R(b, s) ((struct mem_range){ .base = (b), .size = (s) })

static bool ranges_equal(const struct mem_range *got, int n, const struct mem_range *want, int wn)
{
	bool ok = n == wn;

	for (int i = 0; ok && i < n; i++)
		ok = got[i].base == want[i].base && got[i].size == want[i].size;
	if (!ok) {
		fprintf(stderr, "  got %d ranges:", n);
		for (int i = 0; i < n; i++)
			fprintf(stderr, " [0x%llx+0x%llx)", (unsigned long long)got[i].base,
				(unsigned long long)got[i].size);
		fprintf(stderr, "\n  want %d ranges:", wn);
		for (int i = 0; i < wn; i++)
			fprintf(stderr, " [0x%llx+0x%llx)", (unsigned long long)want[i].base,
				(unsigned long long)want[i].size);
		fprintf(stderr, "\n");
	}
	return ok;
}

#define CHECK_RANGES(ram, excl, ...)                                                          \
	do {                                                                                  \
		const struct mem_range want_[] = { __VA_ARGS__ };                             \
		struct mem_range out_[16];                                                    \
		int n_ = palloc_ranges_subtract(ram, ARRAY_SIZE(ram), excl, ARRAY_SIZE(excl), \
						out_, ARRAY_SIZE(out_));                      \
		CHECK(ranges_equal(out_, n_, want_, (int)ARRAY_SIZE(want_)));                 \
	} while (0)

TEST(palloc_ranges_basic)
{
	const struct mem_range ram[] = { R(0x40000000, GiB(1)) };
	const struct mem_range excl[] = { R(0x40200000, MiB(2)) };
	const struct mem_range none[] = { R(0, 0) };

	CHECK_RANGES(ram, excl, R(0x40000000, MiB(2)), R(0x40400000, GiB(1) - MiB(4)));
	CHECK_RANGES(ram, none, R(0x40000000, GiB(1)));
}

TEST(palloc_ranges_overlap_adjacent_unsorted)
{
	/* Banks out of order, two of them touching, one overlapping another. */
	const struct mem_range ram[] = {
		R(0x80000000, MiB(16)), R(0x40000000, MiB(8)),
		R(0x40800000, MiB(8)),	/* touches the previous one: merged */
		R(0x80800000, MiB(16)), /* overlaps the first one: merged */
	};
	const struct mem_range excl[] = {
		R(0x81000000, MiB(1)),	R(0x40000000, KiB(64)), /* at the very start */
		R(0x80ff0000, KiB(64)), /* adjacent below the first exclusion */
		R(0x40100000, MiB(1)),	R(0x40180000, MiB(1)), /* overlaps the previous exclusion */
		R(0x817ff000, KiB(4)),			       /* the very last page */
	};

	CHECK_RANGES(ram, excl, R(0x40010000, MiB(1) - KiB(64)),
		     R(0x40280000, MiB(16) - MiB(2) - KiB(512)), R(0x80000000, MiB(16) - KiB(64)),
		     R(0x81100000, MiB(24) - MiB(17) - KiB(4)));
}

TEST(palloc_ranges_exclusion_covers_bank)
{
	const struct mem_range ram[] = {
		R(0x40000000, MiB(1)),
		R(0x50000000, MiB(1)),
		R(0x60000000, MiB(1)),
	};
	const struct mem_range excl[] = {
		R(0x3ff00000, MiB(3)),		/* swallows the whole first bank */
		R(0x50000000, MiB(1)),		/* exactly the second bank */
		R(0x5ff00000, MiB(1) + KiB(4)), /* first page of the third */
	};

	CHECK_RANGES(ram, excl, R(0x60001000, MiB(1) - KiB(4)));
}

TEST(palloc_ranges_unaligned_edges)
{
	const struct mem_range ram[] = {
		R(0x40000123, 0x10000), /* [0x40000123, 0x40010123) -> [0x40001000, 0x40010000) */
		R(0x50000800, 0x800),	/* no whole page at all */
		R(0x60000000, 0x1fff),	/* one whole page */
	};
	const struct mem_range excl[] = {
		R(0x40005001, 1), /* one byte excludes its whole page */
		R(0x40008fff, 2), /* two bytes straddling a page boundary exclude two pages */
	};

	CHECK_RANGES(ram, excl, R(0x40001000, 0x4000), R(0x40006000, 0x2000), R(0x4000a000, 0x6000),
		     R(0x60000000, 0x1000));
}

TEST(palloc_ranges_degenerate)
{
	struct mem_range out[4];
	const struct mem_range top[] = { R(0xfffffffffff00000ull, MiB(2)) }; /* wraps */
	const struct mem_range top_excl[] = { R(0xffffffffffffe000ull, MiB(1)) };
	const struct mem_range zero[] = { R(0x40000000, 0) };
	const struct mem_range split[] = { R(0x40000000, MiB(1)) };
	const struct mem_range holes[] = {
		R(0x40010000, 0x1000),
		R(0x40020000, 0x1000),
		R(0x40030000, 0x1000),
	};
	int n;

	/* Clipped at the top of the address space (the last page can't be expressed). */
	CHECK_RANGES(top, zero, R(0xfffffffffff00000ull, MiB(1) - KiB(4)));
	CHECK_RANGES(top, top_excl, R(0xfffffffffff00000ull, MiB(1) - KiB(8)));
	CHECK_RANGES(zero, split);
	/* Three holes make four pieces: out_max 3 is too small, 4 is enough. */
	n = palloc_ranges_subtract(split, 1, holes, 3, out, 3);
	CHECK_EQ(n, PALLOC_ENOSPC);
	n = palloc_ranges_subtract(split, 1, holes, 3, out, 4);
	CHECK_EQ(n, 4);
	CHECK_EQ(palloc_ranges_subtract(NULL, 0, NULL, 0, out, 0), 0);
}

/* Random ranges against a page-by-page model over a 1 MiB window. */
TEST(palloc_ranges_random_vs_model)
{
	enum { WINDOW_PAGES = 256 };
	const paddr_t window = 0x80000000;

	rng_state = 0x1234567887654321ull;
	for (int iter = 0; iter < 2000; iter++) {
		struct mem_range ram[6], excl[8], out[14];
		bool model[WINDOW_PAGES];
		size_t nr = 1 + rng() % ARRAY_SIZE(ram), ne = rng() % (ARRAY_SIZE(excl) + 1);
		int n, pos = 0;
		bool ok = true;

		memset(model, 0, sizeof(model));
		for (size_t i = 0; i < nr; i++) {
			uint64_t off = rng() % (WINDOW_PAGES * PAGE_SIZE);
			uint64_t len = rng() % ((WINDOW_PAGES * PAGE_SIZE - off) / 2 + 1);

			ram[i] = R(window + off, len);
			for (uint64_t p = 0; p < WINDOW_PAGES; p++) {
				uint64_t ps = p * PAGE_SIZE;

				if (ps >= off && ps + PAGE_SIZE <= off + len)
					model[p] = true;
			}
		}
		for (size_t i = 0; i < ne; i++) {
			uint64_t off = rng() % (WINDOW_PAGES * PAGE_SIZE);
			uint64_t len = rng() % 3 ? rng() % (16 * PAGE_SIZE) : rng() % 8;

			excl[i] = R(window + off, len);
			for (uint64_t p = 0; p < WINDOW_PAGES; p++) {
				uint64_t ps = p * PAGE_SIZE;

				if (len && ps < off + len && off < ps + PAGE_SIZE)
					model[p] = false;
			}
		}
		n = palloc_ranges_subtract(ram, nr, excl, ne, out, ARRAY_SIZE(out));
		REQUIRE(n >= 0);
		/* Rebuild the model's maximal runs and compare one for one. */
		for (uint64_t p = 0; p < WINDOW_PAGES && ok;) {
			uint64_t q;

			if (!model[p]) {
				p++;
				continue;
			}
			for (q = p; q < WINDOW_PAGES && model[q]; q++)
				;
			ok = pos < n && out[pos].base == window + p * PAGE_SIZE &&
			     out[pos].size == (q - p) * PAGE_SIZE;
			pos++;
			p = q;
		}
		if (!ok || pos != n) {
			fprintf(stderr, "  iteration %d: %d ranges, model has %d\n", iter, n, pos);
			test_fail(__FILE__, __LINE__, "subtract matches model");
			return;
		}
	}
}

TEST(palloc_region_layout)
{
	struct arena a;
	struct palloc pa;
	struct palloc_region_info info;
	/* 4 MiB = 1024 pages = 128 bytes of bitmap = 1 page; 129 MiB needs 2 pages. */
	const uint64_t big = MiB(129);

	REQUIRE(arena_new(&a, 0x40000000, big));
	palloc_init(&pa, arena_pa_to_va, &a);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, MiB(4)), PALLOC_OK);
	CHECK_EQ(palloc_region_count(&pa), 1);
	CHECK(palloc_region_get(&pa, 0, &info));
	CHECK_EQ(info.base, 0x40000000);
	CHECK_EQ(info.end, 0x40400000);
	CHECK_EQ(info.pages, 1024);
	CHECK_EQ(info.meta_pages, 1);
	CHECK_EQ(info.free_pages, 1023);
	CHECK(!palloc_region_get(&pa, 1, &info));
	CHECK(palloc_check(&pa));

	palloc_init(&pa, arena_pa_to_va, &a);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, big), PALLOC_OK);
	CHECK(palloc_region_get(&pa, 0, &info));
	CHECK_EQ(info.meta_pages, 2);
	CHECK_EQ(palloc_total_pages(&pa), big / PAGE_SIZE);
	CHECK_EQ(palloc_free_pages(&pa), big / PAGE_SIZE - 2);
	CHECK(palloc_is_allocated(&pa, 0x40000000) == false); /* bitmap pages are not allocations */
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_add_region_errors)
{
	struct arena a;
	struct palloc pa;

	REQUIRE(arena_new(&a, 0x40000000, MiB(1)));
	palloc_init(&pa, arena_pa_to_va, &a);
	CHECK_EQ(palloc_add_region(&pa, 0x40000800, KiB(64)), PALLOC_EINVAL);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, KiB(64) + 1), PALLOC_EINVAL);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, 0), PALLOC_EINVAL);
	CHECK_EQ(palloc_add_region(&pa, 0xfffffffffffff000ull, KiB(8)), PALLOC_EINVAL);
	CHECK_EQ(palloc_add_region(&pa, 0x40010000, KiB(64)), PALLOC_OK);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, KiB(68)), PALLOC_EINVAL); /* overlaps */
	CHECK_EQ(palloc_add_region(&pa, 0x4001f000, KiB(8)), PALLOC_EINVAL);  /* overlaps */
	CHECK_EQ(palloc_add_region(&pa, 0x40000000, KiB(64)), PALLOC_OK);     /* adjacent below */
	/* One page cannot hold a bitmap and a usable page: skipped, not an error. */
	CHECK_EQ(palloc_add_region(&pa, 0x40080000, KiB(4)), PALLOC_OK);
	CHECK_EQ(palloc_region_count(&pa), 2);
	CHECK_EQ(palloc_add_region(&pa, 0x40090000, KiB(8)), PALLOC_OK);
	CHECK_EQ(palloc_region_count(&pa), 3);
	CHECK_EQ(palloc_free_pages(&pa), 15 + 15 + 1);
	CHECK(palloc_check(&pa));

	/* Sorted by base regardless of insertion order. */
	for (unsigned int i = 1; i < palloc_region_count(&pa); i++)
		CHECK(pa.regions[i - 1].base < pa.regions[i].base);

	/* Table full. */
	palloc_init(&pa, arena_pa_to_va, &a);
	for (unsigned int i = 0; i < PALLOC_MAX_REGIONS; i++)
		CHECK_EQ(palloc_add_region(&pa, 0x40000000 + i * KiB(16), KiB(8)), PALLOC_OK);
	CHECK_EQ(palloc_add_region(&pa, 0x40000000 + PALLOC_MAX_REGIONS * KiB(16), KiB(8)),
		 PALLOC_ENOSPC);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_init_ranges_from_banks)
{
	struct arena a;
	struct palloc pa;
	struct palloc_region_info info;
	const struct mem_range ram[] = { R(0x40000000, MiB(4)) };
	const struct mem_range excl[] = {
		R(0x40100000, KiB(256)), /* "image" */
		R(0x40300010, 0x100),	 /* "DTB", unaligned */
	};
	char line[96];

	REQUIRE(arena_new(&a, 0x40000000, MiB(4)));
	CHECK_EQ(palloc_init_ranges(&pa, arena_pa_to_va, &a, ram, 1, excl, 2), PALLOC_OK);
	CHECK_EQ(palloc_region_count(&pa), 3);
	CHECK(palloc_region_get(&pa, 1, &info));
	CHECK_EQ(info.base, 0x40140000);
	CHECK_EQ(info.end, 0x40300000);
	CHECK(palloc_region_get(&pa, 2, &info));
	CHECK_EQ(info.base, 0x40301000);
	CHECK_EQ(info.pages, 255);
	snprintf(line, sizeof(line), "region 0x%llx-0x%llx: %llu pages, %llu free",
		 (unsigned long long)info.base, (unsigned long long)info.end - 1,
		 (unsigned long long)info.pages, (unsigned long long)info.free_pages);
	CHECK(strcmp(line, "region 0x40301000-0x403fffff: 255 pages, 254 free") == 0);
	CHECK_EQ(palloc_total_pages(&pa), 1024 - 64 - 1);
	/* Nothing inside an exclusion is ever handed out. */
	for (paddr_t p; (p = palloc_alloc(&pa, 1, 0));) {
		CHECK(!(p >= 0x40100000 && p < 0x40140000));
		CHECK(p != 0x40300000);
	}
	CHECK_EQ(palloc_free_pages(&pa), 0);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

static int cmp_paddr(const void *x, const void *y)
{
	paddr_t a = *(const paddr_t *)x, b = *(const paddr_t *)y;

	return a < b ? -1 : a > b;
}

TEST(palloc_exhaust_and_free_all)
{
	enum { MAXP = 2048 };
	struct arena a;
	struct palloc pa;
	static paddr_t got[MAXP];
	uint64_t start_free, n = 0;

	REQUIRE(arena_new(&a, 0x40000000, MiB(8)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, MiB(3)) == PALLOC_OK);
	REQUIRE(palloc_add_region(&pa, 0x40400000, MiB(4)) == PALLOC_OK);
	start_free = palloc_free_pages(&pa);
	CHECK_EQ(start_free, 768 - 1 + 1024 - 1);

	while (n < MAXP && (got[n] = palloc_alloc(&pa, 1, 0)) != 0) {
		CHECK(palloc_is_allocated(&pa, got[n]));
		n++;
	}
	CHECK_EQ(n, start_free);
	CHECK_EQ(palloc_free_pages(&pa), 0);
	CHECK_EQ(palloc_alloc(&pa, 1, 0), 0);
	CHECK(palloc_check(&pa));

	/* All distinct and none is a bitmap page. */
	qsort(got, n, sizeof(got[0]), cmp_paddr);
	for (uint64_t i = 0; i < n; i++) {
		CHECK(got[i] != 0x40000000 && got[i] != 0x40400000);
		CHECK(i == 0 || got[i] != got[i - 1]);
	}
	for (uint64_t i = 0; i < n; i++)
		CHECK_EQ(palloc_free(&pa, got[i], 1), PALLOC_OK);
	CHECK_EQ(palloc_free_pages(&pa), start_free);
	CHECK(palloc_check(&pa));
	/* And the whole space can be had again. */
	for (n = 0; palloc_alloc(&pa, 1, 0); n++)
		;
	CHECK_EQ(n, start_free);
	arena_del(&a);
}

TEST(palloc_alignment)
{
	struct arena a;
	struct palloc pa;

	/* A region base that is only page aligned, so alignment must be computed on the PA. */
	REQUIRE(arena_new(&a, 0x40003000, MiB(8)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40003000, MiB(8)) == PALLOC_OK);
	for (unsigned int order = 0; order <= 9; order++) {
		uint64_t n = 1 + (order * 3) % 5;
		paddr_t p = palloc_alloc(&pa, n, order);

		CHECK(p != 0);
		CHECK_EQ(p % (PAGE_SIZE << order), 0);
		for (uint64_t i = 0; i < n; i++)
			CHECK(palloc_is_allocated(&pa, p + i * PAGE_SIZE));
	}
	/* 16 pages aligned to 16 pages (64 KiB), then 512 aligned to 2 MiB. */
	paddr_t p16 = palloc_alloc(&pa, 16, 4);
	paddr_t p2m = palloc_alloc(&pa, 512, 9);

	CHECK(p16 && p16 % KiB(64) == 0);
	CHECK(p2m && p2m % MiB(2) == 0);
	CHECK(palloc_check(&pa));
	CHECK_EQ(palloc_free(&pa, p2m, 512), PALLOC_OK);
	CHECK_EQ(palloc_free(&pa, p16, 16), PALLOC_OK);

	/* Order too large for anything in 8 MiB at this base: 1 GiB alignment. */
	CHECK_EQ(palloc_alloc(&pa, 1, 18), 0);
	CHECK_EQ(palloc_alloc(&pa, 1, PALLOC_MAX_ALIGN_ORDER + 1), 0);
	CHECK_EQ(palloc_alloc(&pa, 0, 0), 0);
	CHECK_EQ(palloc_alloc(&pa, palloc_free_pages(&pa) + 1, 0), 0);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_alloc_zeroed)
{
	struct arena a;
	struct palloc pa;
	paddr_t p;
	const uint8_t *v;
	bool zero = true;

	REQUIRE(arena_new(&a, 0x40000000, MiB(1)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, MiB(1)) == PALLOC_OK);
	p = palloc_alloc_zeroed(&pa, 3, 0);
	REQUIRE(p != 0);
	v = arena_pa_to_va(p, &a);
	for (uint64_t i = 0; i < 3 * PAGE_SIZE; i++)
		zero = zero && v[i] == 0;
	CHECK(zero);
	/* The page after it is untouched (still the arena's fill pattern). */
	CHECK(v[3 * PAGE_SIZE] == 0xa5);
	arena_del(&a);
}

TEST(palloc_free_errors_leave_state_intact)
{
	struct arena a;
	struct palloc pa;
	paddr_t p, q;
	uint64_t free_before;

	REQUIRE(arena_new(&a, 0x40000000, MiB(1)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, MiB(1)) == PALLOC_OK);
	p = palloc_alloc(&pa, 4, 0);
	q = palloc_alloc(&pa, 1, 0);
	REQUIRE(p && q);
	free_before = palloc_free_pages(&pa);

	CHECK_EQ(palloc_free(&pa, 0x50000000, 1), PALLOC_EINVAL); /* not in any region */
	CHECK_EQ(palloc_free(&pa, p + 1, 1), PALLOC_EINVAL);	  /* unaligned */
	CHECK_EQ(palloc_free(&pa, p, 0), PALLOC_EINVAL);
	CHECK_EQ(palloc_free(&pa, 0x40000000, 1), PALLOC_EINVAL); /* the bitmap page */
	CHECK_EQ(palloc_free(&pa, 0x400ff000, 2), PALLOC_EINVAL); /* runs off the end */
	CHECK_EQ(palloc_free(&pa, p, UINT64_MAX), PALLOC_EINVAL);
	CHECK_EQ(palloc_free(&pa, 0x400ff000, 1), PALLOC_ENOTALLOC); /* never allocated */
	CHECK_EQ(palloc_free_pages(&pa), free_before);
	CHECK(palloc_check(&pa));

	/* Double free, whole and partial: nothing changes on the failing call. */
	CHECK_EQ(palloc_free(&pa, p + PAGE_SIZE, 1), PALLOC_OK);
	CHECK_EQ(palloc_free(&pa, p + PAGE_SIZE, 1), PALLOC_ENOTALLOC);
	CHECK_EQ(palloc_free(&pa, p, 4), PALLOC_ENOTALLOC);
	CHECK(palloc_is_allocated(&pa, p));
	CHECK(palloc_is_allocated(&pa, p + 2 * PAGE_SIZE));
	CHECK_EQ(palloc_free_pages(&pa), free_before + 1);
	CHECK_EQ(palloc_free(&pa, q, 1), PALLOC_OK);
	CHECK_EQ(palloc_free(&pa, q, 1), PALLOC_ENOTALLOC);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_fragmentation_and_next_fit)
{
	struct arena a;
	struct palloc pa;
	static paddr_t got[256];
	uint64_t n = 0, usable;
	paddr_t p;

	/* 64 pages: 1 bitmap + 63 usable. */
	REQUIRE(arena_new(&a, 0x40000000, KiB(256)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, KiB(256)) == PALLOC_OK);
	usable = palloc_free_pages(&pa);
	CHECK_EQ(usable, 63);

	/* Next fit hands out ascending addresses. */
	while ((p = palloc_alloc(&pa, 1, 0)) != 0)
		got[n++] = p;
	CHECK_EQ(n, usable);
	for (uint64_t i = 1; i < n; i++)
		CHECK_EQ(got[i], got[i - 1] + PAGE_SIZE);

	/* Free every other page: plenty free, nothing contiguous. */
	for (uint64_t i = 0; i < n; i += 2)
		CHECK_EQ(palloc_free(&pa, got[i], 1), PALLOC_OK);
	CHECK_EQ(palloc_free_pages(&pa), 32);
	CHECK_EQ(palloc_alloc(&pa, 2, 0), 0);
	CHECK(palloc_check(&pa));

	/* The hint sits at the end; the next single page wraps to the first hole. */
	CHECK_EQ(palloc_alloc(&pa, 1, 0), got[0]);
	/* ...and the one after continues from there rather than restarting. */
	CHECK_EQ(palloc_alloc(&pa, 1, 0), got[2]);
	CHECK_EQ(palloc_free(&pa, got[0], 1), PALLOC_OK);
	CHECK_EQ(palloc_alloc(&pa, 1, 0), got[4]);

	/* Freeing got[31] joins the holes at 30 and 32: a 3-page request finds exactly it. */
	CHECK_EQ(palloc_free(&pa, got[31], 1), PALLOC_OK);
	CHECK_EQ(palloc_alloc(&pa, 3, 0), got[30]);
	CHECK(palloc_check(&pa));

	/*
	 * Exact-fit hole right after a used page that ended the previous failed
	 * candidate: [h0 free][h1 used][h2 h3 h4 free][h5 used]. Searching from
	 * h0 for 3 pages must restart at h2, not skip past it.
	 */
	for (uint64_t i = 0; i < n; i++)
		palloc_free(&pa, got[i], 1);
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, KiB(256)) == PALLOC_OK);
	for (n = 0; (p = palloc_alloc(&pa, 1, 0)) != 0;)
		got[n++] = p;
	CHECK_EQ(palloc_free(&pa, got[0], 1), PALLOC_OK);
	for (uint64_t i = 2; i < 5; i++)
		CHECK_EQ(palloc_free(&pa, got[i], 1), PALLOC_OK);
	CHECK_EQ(palloc_alloc(&pa, 3, 0), got[2]);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_next_fit_across_regions)
{
	struct arena a;
	struct palloc pa;
	paddr_t p;

	/* Two physically adjacent regions: runs must not span the boundary. */
	REQUIRE(arena_new(&a, 0x40000000, KiB(128)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0x40000000, KiB(64)) == PALLOC_OK);
	REQUIRE(palloc_add_region(&pa, 0x40010000, KiB(64)) == PALLOC_OK);
	CHECK_EQ(palloc_alloc(&pa, 12, 0), 0x40001000);
	/* 3 left in region 0, but 4 requested: comes from region 1, not straddling. */
	p = palloc_alloc(&pa, 4, 0);
	CHECK_EQ(p, 0x40011000);
	/* Next fit stays in region 1 even though region 0 has room. */
	CHECK_EQ(palloc_alloc(&pa, 1, 0), 0x40015000);
	CHECK_EQ(palloc_alloc(&pa, 10, 0), 0x40016000);
	/* Region 1 has nothing left that fits 2: wrap to region 0. */
	CHECK_EQ(palloc_alloc(&pa, 2, 0), 0x4000d000);
	CHECK_EQ(palloc_alloc(&pa, 16, 0), 0);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}

TEST(palloc_region_at_pa_zero)
{
	struct arena a;
	struct palloc pa;
	paddr_t p;
	int n = 0;

	/* PA 0 is the bitmap page, so 0 stays free to mean "failed". */
	REQUIRE(arena_new(&a, 0, KiB(64)));
	palloc_init(&pa, arena_pa_to_va, &a);
	REQUIRE(palloc_add_region(&pa, 0, KiB(64)) == PALLOC_OK);
	while ((p = palloc_alloc(&pa, 1, 0)) != 0)
		n++;
	CHECK_EQ(n, 15);
	CHECK_EQ(palloc_free(&pa, 0, 1), PALLOC_EINVAL);
	arena_del(&a);
}

/*
 * Random allocations and frees against a page-state model, with fixed seed.
 * The model is indexed by page frame number minus MODEL_PFN0; 1 = in use.
 */
#define MODEL_PFN0 0x40000u
#define MODEL_REGIONS 3

static const struct {
	paddr_t base;
	uint64_t pages;
} model_reg[MODEL_REGIONS] = {
	{ 0x40001000, 300 },
	{ 0x40200000, 700 },
	{ 0x40600000, 1000 },
};
static uint8_t model[0xa00];

/* Lowest aligned free run of n pages in any region per the model, or 0. */
static paddr_t model_fit(uint64_t n, unsigned int order)
{
	for (int r = 0; r < MODEL_REGIONS; r++) {
		uint64_t pfn0 = model_reg[r].base / PAGE_SIZE;

		for (uint64_t s = 0; s + n <= model_reg[r].pages; s++) {
			uint64_t i = 0;

			if ((pfn0 + s) % ((uint64_t)1 << order))
				continue;
			while (i < n && !model[pfn0 - MODEL_PFN0 + s + i])
				i++;
			if (i == n)
				return (pfn0 + s) * PAGE_SIZE;
		}
	}
	return 0;
}

/* Marks [addr, addr + n pages) in the model; false if any page was already in use. */
static bool model_take(paddr_t addr, uint64_t n)
{
	uint64_t idx = addr / PAGE_SIZE - MODEL_PFN0;

	for (uint64_t i = 0; i < n; i++) {
		if (model[idx + i])
			return false;
		model[idx + i] = 1;
	}
	return true;
}

TEST(palloc_random_vs_model)
{
	enum { MAX_LIVE = 512 };
	struct arena a;
	struct palloc pa;
	static struct {
		paddr_t addr;
		uint64_t n;
	} live[MAX_LIVE];
	unsigned int nlive = 0, allocs = 0, fails = 0;

	REQUIRE(arena_new(&a, 0x40000000, MiB(10)));
	REQUIRE(0x40600000 / PAGE_SIZE - MODEL_PFN0 + 1000 <= sizeof(model));
	palloc_init(&pa, arena_pa_to_va, &a);
	memset(model, 1, sizeof(model));
	/* Added in reverse order to exercise the sorted insert. */
	for (int r = MODEL_REGIONS - 1; r >= 0; r--) {
		REQUIRE(palloc_add_region(&pa, model_reg[r].base, model_reg[r].pages * PAGE_SIZE) ==
			PALLOC_OK);
	}
	for (int r = 0; r < MODEL_REGIONS; r++) {
		struct palloc_region_info info;
		uint64_t idx = model_reg[r].base / PAGE_SIZE - MODEL_PFN0;

		REQUIRE(palloc_region_get(&pa, (unsigned int)r, &info));
		memset(&model[idx + info.meta_pages], 0, info.pages - info.meta_pages);
	}

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int step = 0; step < 20000; step++) {
		bool do_alloc = nlive == 0 || (nlive < MAX_LIVE && rng() % 100 < 55);

		if (do_alloc) {
			uint64_t n = 1 + (rng() % 4 == 0 ? rng() % 64 : rng() % 4);
			unsigned int order = rng() % 3 == 0 ? (unsigned int)(rng() % 7) : 0;
			paddr_t p = palloc_alloc(&pa, n, order);
			paddr_t fit;

			if (p) {
				CHECK_EQ(p % (PAGE_SIZE << order), 0);
				if (!model_take(p, n)) {
					test_fail(__FILE__, __LINE__, "returned a page in use");
					break;
				}
				live[nlive].addr = p;
				live[nlive].n = n;
				nlive++;
				allocs++;
			} else if ((fit = model_fit(n, order)) != 0) {
				fprintf(stderr, "  step %d: alloc(%llu, %u) failed, 0x%llx fits\n",
					step, (unsigned long long)n, order,
					(unsigned long long)fit);
				test_fail(__FILE__, __LINE__, "spurious failure");
				break;
			} else {
				fails++;
			}
		} else {
			unsigned int k = (unsigned int)(rng() % nlive);
			uint64_t idx = live[k].addr / PAGE_SIZE - MODEL_PFN0;

			CHECK_EQ(palloc_free(&pa, live[k].addr, live[k].n), PALLOC_OK);
			/* Now and then a double free, which must be refused. */
			if (rng() % 16 == 0)
				CHECK_EQ(palloc_free(&pa, live[k].addr, live[k].n),
					 PALLOC_ENOTALLOC);
			memset(&model[idx], 0, live[k].n);
			live[k] = live[--nlive];
		}
		if (step % 997 == 0)
			CHECK(palloc_check(&pa));
	}
	/* Memory is small enough that it fills up often: both paths are exercised. */
	CHECK(allocs > 5000);
	CHECK(fails > 500);
	/* Free everything left and compare with the initial count. */
	while (nlive) {
		nlive--;
		CHECK_EQ(palloc_free(&pa, live[nlive].addr, live[nlive].n), PALLOC_OK);
	}
	CHECK_EQ(palloc_free_pages(&pa), 300 + 700 + 1000 - 3);
	CHECK(palloc_check(&pa));
	arena_del(&a);
}
