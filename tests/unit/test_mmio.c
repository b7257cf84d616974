/* SPDX-License-Identifier: MIT */
/*
 * MMIO bus: registration rules, lookup, dispatch outcomes and counters, and
 * the data-abort emulation path from syndrome to guest register. The fake
 * device records every call and answers reads with a pattern whose bits
 * above the access size are set, to prove the bus truncates.
 */
#include <string.h>

#include <rhenium/mmio.h>

#include "test.h"

struct fake_dev {
	unsigned int calls;
	unsigned int vcpu;
	uint64_t offset;
	unsigned int size;
	uint64_t written;
	uint64_t answer;
	int status;
};

static int fake_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
		     uint64_t *value)
{
	struct fake_dev *d = ctx;

	d->calls++;
	d->vcpu = vcpu;
	d->offset = offset;
	d->size = size;
	if (*value != 0)
		return -99; /* the bus promised a zeroed value */
	*value = d->answer;
	return d->status;
}

static int fake_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
		      uint64_t *value)
{
	struct fake_dev *d = ctx;

	d->calls++;
	d->vcpu = vcpu;
	d->offset = offset;
	d->size = size;
	d->written = *value;
	return d->status;
}

static const struct mmio_ops fake_ops = { fake_read, fake_write };
static const struct mmio_ops read_only_ops = { fake_read, NULL };

TEST(mmio_register_rules)
{
	struct mmio_bus bus;
	struct fake_dev dev = { 0 };

	mmio_bus_init(&bus);
	CHECK_EQ(mmio_register(&bus, 0x1000, 0, "zero", &fake_ops, &dev), MMIO_ERR_INVALID);
	CHECK_EQ(mmio_register(&bus, 0x1000, 0x100, "noops", NULL, &dev), MMIO_ERR_INVALID);
	CHECK_EQ(mmio_register(&bus, 0xfffffffffffff000ULL, 0x2000, "wrap", &fake_ops, &dev),
		 MMIO_ERR_INVALID);
	CHECK_EQ(mmio_register(&bus, 2, UINT64_MAX, "wrap", &fake_ops, &dev), MMIO_ERR_INVALID);
	CHECK_EQ(bus.count, 0);

	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "uart", &fake_ops, &dev) == 0);
	/* exact, left, right, inside, around */
	CHECK_EQ(mmio_register(&bus, 0x9000000, 0x1000, "a", &fake_ops, &dev), MMIO_ERR_OVERLAP);
	CHECK_EQ(mmio_register(&bus, 0x8fff000, 0x1001, "b", &fake_ops, &dev), MMIO_ERR_OVERLAP);
	CHECK_EQ(mmio_register(&bus, 0x9000fff, 0x10, "c", &fake_ops, &dev), MMIO_ERR_OVERLAP);
	CHECK_EQ(mmio_register(&bus, 0x9000100, 0x10, "d", &fake_ops, &dev), MMIO_ERR_OVERLAP);
	CHECK_EQ(mmio_register(&bus, 0x8000000, 0x2000000, "e", &fake_ops, &dev), MMIO_ERR_OVERLAP);
	CHECK_EQ(bus.count, 1);
	/* adjacent on both sides */
	CHECK_EQ(mmio_register(&bus, 0x8fff000, 0x1000, "below", &fake_ops, &dev), 0);
	CHECK_EQ(mmio_register(&bus, 0x9001000, 0x1000, "above", &fake_ops, &dev), 0);
	/* the very top of the address space, and all of it but the top page */
	CHECK_EQ(mmio_register(&bus, 0xfffffffffffff000ULL, 0x1000, "top", &fake_ops, &dev), 0);
	CHECK_EQ(mmio_register(&bus, 0, 0xfffffffffffff000ULL, "all", &fake_ops, &dev),
		 MMIO_ERR_OVERLAP);
	CHECK_EQ(bus.count, 4);
	CHECK(strcmp(bus.regions[0].name, "uart") == 0);
	CHECK_EQ(bus.regions[0].base, 0x9000000);
	CHECK_EQ(bus.regions[0].size, 0x1000);
}

TEST(mmio_register_full_and_names)
{
	struct mmio_bus bus;
	struct fake_dev dev = { 0 };

	mmio_bus_init(&bus);
	for (unsigned int i = 0; i < MMIO_MAX_REGIONS; i++)
		REQUIRE(mmio_register(&bus, 0x10000 * (i + 1), 0x1000,
				      "a-name-much-longer-than-sixteen", &fake_ops, &dev) == 0);
	CHECK_EQ(mmio_register(&bus, 0x10000000, 0x1000, "extra", &fake_ops, &dev), MMIO_ERR_FULL);
	CHECK_EQ(strlen(bus.regions[0].name), MMIO_NAME_MAX - 1);
	CHECK(strncmp(bus.regions[0].name, "a-name-much-lon", MMIO_NAME_MAX) == 0);

	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x1000, 0x10, NULL, &fake_ops, &dev) == 0);
	CHECK_EQ(bus.regions[0].name[0], '\0');
}

TEST(mmio_find_bounds)
{
	struct mmio_bus bus;
	struct fake_dev a = { 0 }, b = { 0 };

	mmio_bus_init(&bus);
	CHECK(mmio_find(&bus, 0) == NULL);
	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "a", &fake_ops, &a) == 0);
	REQUIRE(mmio_register(&bus, 0x8000000, 0x10000, "b", &fake_ops, &b) == 0);
	CHECK(mmio_find(&bus, 0x9000000) == &bus.regions[0]);
	CHECK(mmio_find(&bus, 0x9000fff) == &bus.regions[0]);
	CHECK(mmio_find(&bus, 0x9001000) == NULL);
	CHECK(mmio_find(&bus, 0x8ffffff) == NULL);
	CHECK(mmio_find(&bus, 0x800ffff) == &bus.regions[1]);
	CHECK(mmio_find(&bus, 0x8010000) == NULL);
	CHECK(mmio_find(&bus, 0x7ffffff) == NULL);
}

TEST(mmio_dispatch_outcomes)
{
	struct mmio_bus bus;
	struct fake_dev dev = { .answer = 0xa5a5a5a5a5a5a5a5ULL };
	uint64_t v;

	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "dev", &fake_ops, &dev) == 0);

	v = 7;
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9001000, 4, false, &v), MMIO_UNMAPPED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x0, 4, true, &v), MMIO_UNMAPPED);
	CHECK_EQ(v, 7);
	CHECK_EQ(bus.unmapped, 2);
	CHECK_EQ(dev.calls, 0);

	/* read: offset, vcpu, size passed through; answer truncated to the size */
	CHECK_EQ(mmio_dispatch(&bus, 3, 0x9000018, 2, false, &v), MMIO_OK);
	CHECK_EQ(v, 0xa5a5);
	CHECK_EQ(dev.offset, 0x18);
	CHECK_EQ(dev.vcpu, 3);
	CHECK_EQ(dev.size, 2);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000ff8, 8, false, &v), MMIO_OK);
	CHECK_EQ(v, 0xa5a5a5a5a5a5a5a5ULL);

	/* write: data truncated before the device sees it */
	v = 0x1122334455667788ULL;
	CHECK_EQ(mmio_dispatch(&bus, 1, 0x9000000, 1, true, &v), MMIO_OK);
	CHECK_EQ(dev.written, 0x88);
	CHECK_EQ(mmio_dispatch(&bus, 1, 0x9000ffc, 4, true, &v), MMIO_OK);
	CHECK_EQ(dev.written, 0x55667788);
	CHECK_EQ(dev.offset, 0xffc);
	CHECK_EQ(bus.regions[0].reads, 2);
	CHECK_EQ(bus.regions[0].writes, 2);
	CHECK_EQ(bus.regions[0].refused, 0);

	/* refused by the device: counted, value of a read untouched */
	dev.status = -1;
	v = 5;
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000004, 4, false, &v), MMIO_REFUSED);
	CHECK_EQ(v, 5);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000004, 4, true, &v), MMIO_REFUSED);
	CHECK_EQ(bus.regions[0].refused, 2);
	CHECK_EQ(bus.regions[0].reads, 2);
	dev.status = 0;
}

TEST(mmio_dispatch_refused_by_bus)
{
	struct mmio_bus bus;
	struct fake_dev dev = { 0 };
	struct fake_dev ro = { 0 };
	uint64_t v = 0;

	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "dev", &fake_ops, &dev) == 0);
	REQUIRE(mmio_register(&bus, 0xa000000, 0x10, "ro", &read_only_ops, &ro) == 0);

	/* straddling the end of the region */
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000ffe, 4, false, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000fff, 2, true, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000ff9, 8, false, &v), MMIO_REFUSED);
	/* the last bytes exactly */
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000fff, 1, false, &v), MMIO_OK);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000ffe, 2, false, &v), MMIO_OK);
	/* sizes that no load or store has */
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000000, 0, false, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000000, 3, false, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000000, 16, true, &v), MMIO_REFUSED);
	CHECK_EQ(dev.calls, 2);
	CHECK_EQ(bus.regions[0].refused, 6);
	/* no write callback */
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xa000000, 4, true, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xa000000, 4, false, &v), MMIO_OK);
	CHECK_EQ(ro.calls, 1);
	CHECK_EQ(bus.regions[1].refused, 1);
	/* a small region: an access wider than the whole region */
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xa000008, 8, false, &v), MMIO_OK);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xa00000c, 8, false, &v), MMIO_REFUSED);
}

/* A region at the top of the address space: the end check must not overflow. */
TEST(mmio_dispatch_top_of_space)
{
	struct mmio_bus bus;
	struct fake_dev dev = { .answer = 0x42 };
	uint64_t v = 0;

	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0xfffffffffffff000ULL, 0x1000, "top", &fake_ops, &dev) == 0);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xfffffffffffffff8ULL, 8, false, &v), MMIO_OK);
	CHECK_EQ(v, 0x42);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xfffffffffffffffcULL, 8, false, &v), MMIO_REFUSED);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0xffffffffffffffffULL, 1, false, &v), MMIO_OK);
}

#define IL (1ULL << 25)

static struct abort_dabt dabt(unsigned int sas, bool sse, unsigned int srt, bool sf, bool wnr)
{
	struct abort_dabt d;
	uint64_t esr = (0x24ULL << 26) | IL | (1U << 24) | (sas << 22) | ((sse ? 1U : 0U) << 21) |
		       (srt << 16) | ((sf ? 1U : 0U) << 15) | ((wnr ? 1U : 0U) << 6) | 0x07;

	abort_dabt_decode(esr, &d);
	return d;
}

TEST(mmio_emulate_dabt_paths)
{
	struct mmio_bus bus;
	struct fake_dev dev = { .answer = 0xffffff80 };
	uint64_t x[31];
	struct abort_dabt d;

	for (unsigned int i = 0; i < 31; i++)
		x[i] = 0xcafe0000 + i;
	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "dev", &fake_ops, &dev) == 0);

	/* strh w5 */
	d = dabt(1, false, 5, false, true);
	CHECK_EQ(mmio_emulate_dabt(&bus, 2, &d, 0x9000030, x), MMIO_OK);
	CHECK_EQ(dev.written, 0x0005);
	CHECK_EQ(dev.size, 2);
	CHECK_EQ(dev.offset, 0x30);
	CHECK_EQ(dev.vcpu, 2);
	/* str xzr */
	d = dabt(3, false, 31, true, true);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000008, x), MMIO_OK);
	CHECK_EQ(dev.written, 0);
	CHECK_EQ(dev.size, 8);
	/* ldrsb w3: byte 0x80 sign-extended to 32 bits, upper half clear */
	d = dabt(0, true, 3, false, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_OK);
	CHECK_EQ(x[3], 0xffffff80ULL);
	/* ldrsb x4 */
	d = dabt(0, true, 4, true, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_OK);
	CHECK_EQ(x[4], 0xffffffffffffff80ULL);
	/* ldr w6: zero-extended */
	d = dabt(2, false, 6, false, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_OK);
	CHECK_EQ(x[6], 0xffffff80ULL);
	/* ldr wzr: the device is still read (side effects), no register changes */
	dev.calls = 0;
	d = dabt(2, false, 31, false, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_OK);
	CHECK_EQ(dev.calls, 1);
	CHECK_EQ(x[30], 0xcafe0000 + 30);

	/* unmapped and refused loads leave the register alone */
	d = dabt(2, false, 7, false, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9001000, x), MMIO_UNMAPPED);
	dev.status = 1;
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_REFUSED);
	dev.status = 0;
	CHECK_EQ(x[7], 0xcafe0007);
	/* straddling load refused */
	d = dabt(3, false, 7, true, false);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000ffc, x), MMIO_REFUSED);
	CHECK_EQ(x[7], 0xcafe0007);
}

TEST(mmio_emulate_dabt_not_emulable)
{
	struct mmio_bus bus;
	struct fake_dev dev = { 0 };
	uint64_t x[31] = { 0 };
	struct abort_dabt d;

	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x9000000, 0x1000, "dev", &fake_ops, &dev) == 0);
	/* ISV 0 (e.g. ldp or a post-indexed load) */
	abort_dabt_decode((0x24ULL << 26) | IL | 0x07, &d);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_NO_SYNDROME);
	/* the guest's page tables live in MMIO space */
	abort_dabt_decode((0x24ULL << 26) | IL | (1U << 7) | 0x07, &d);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_NO_SYNDROME);
	/* DC CIVAC on the device: nothing to do, nothing reaches the device */
	abort_dabt_decode((0x24ULL << 26) | IL | (1U << 8) | (1U << 6) | 0x07, &d);
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000000, x), MMIO_OK);
	CHECK_EQ(dev.calls, 0);
	CHECK_EQ(bus.regions[0].writes, 0);
}
