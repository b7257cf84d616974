// SPDX-License-Identifier: MIT
/*
 * misbehave/stray-mmio: a storm of accesses to undeclared addresses. It
 * computes the holes below 4 GiB from its DTB (everything no node's reg or
 * bus window describes; guest_dt_regions()) and, forever, writes then reads
 * one word in every 4 KiB page of every hole as fast as it can. Each access
 * is a synchronous external abort (under Rhenium: a Stage-2 fault and an
 * injected abort), which an exception hook ignores by returning past the
 * faulting instruction; SErrors are ignored too. Nothing declared (its RAM,
 * the GIC, the UART) is touched. Not self-checking; never powers off.
 */
#include "guest.h"

const char guest_name[] = "stray-mmio";

#define PAGE 0x1000UL
#define LIMIT 0x100000000UL
#define MAX_REGIONS 128

struct range {
	uint64_t base, end;
};

static struct range declared[MAX_REGIONS];
static unsigned ndeclared;

static void collect(const struct dt_region *r, void *arg)
{
	(void)arg;
	if (r->size && ndeclared < MAX_REGIONS) {
		/* Whole pages: a page partly declared is left alone. */
		struct range d = { r->base & ~(PAGE - 1),
				   (r->base + r->size + PAGE - 1) & ~(PAGE - 1) };
		unsigned j = ndeclared++;

		while (j > 0 && declared[j - 1].base > d.base) {
			declared[j] = declared[j - 1];
			j--;
		}
		declared[j] = d;
	}
}

static bool ignore_aborts(struct exc_frame *f, unsigned kind)
{
	if (kind == EXC_CURRENT_SPX + EXC_SYNC && ESR_EC(f->esr) == EC_DABT_CUR) {
		f->elr += 4;
		return true;
	}
	return kind == EXC_CURRENT_SPX + EXC_SERROR;
}

static void storm(uint64_t base, uint64_t end)
{
	for (uint64_t a = base; a < end; a += PAGE) {
		writel(0xdeadbeef, a);
		(void)readl(a);
	}
}

void test_main(void)
{
	printf("misbehave: stray-mmio starting\n");
	if (guest_dt_regions(collect, NULL) <= 0 || ndeclared == MAX_REGIONS)
		guest_fatal("no usable DTB: cannot tell undeclared addresses");
	set_exception_hook(ignore_aborts);
	for (;;) {
		uint64_t cursor = 0;

		for (unsigned i = 0; i < ndeclared && cursor < LIMIT; i++) {
			if (declared[i].base > cursor)
				storm(cursor, declared[i].base < LIMIT ? declared[i].base : LIMIT);
			if (declared[i].end > cursor)
				cursor = declared[i].end;
		}
		if (cursor < LIMIT)
			storm(cursor, LIMIT);
	}
}
