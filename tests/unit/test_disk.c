/* SPDX-License-Identifier: MIT */
/*
 * The disk interface as the host sees it: arch/fake/fake_disk.c, a RAM disk
 * that applies the real driver's checks and cuts requests into device
 * requests with the real driver's planner (drivers/disk_req.h).
 */
#include <stdlib.h>
#include <string.h>

#include <fake_arch.h>
#include <rhenium/disk.h>
#include <rhenium/mm.h>
#include <rhenium/platform.h>
#include <rhenium/virtio.h>

#include "../../drivers/disk_req.h"
#include "test.h"

#define SECTORS (DISK_MAX_SEGS / 2u) /* DISK_MAX_SEGS segments of 256 bytes fill it */
_Static_assert(DISK_MAX_SEGS * 256 == SECTORS * DISK_SECTOR_SIZE, "the \"many\" case below");

static struct disk_seg seg(const void *p, uint32_t len)
{
	return (struct disk_seg){ mm_virt_to_phys(p), len };
}

static struct disk_req req(enum disk_op op, uint64_t sector, const struct disk_seg *segs,
			   unsigned int nsegs)
{
	return (struct disk_req){
		.op = op, .sector = sector, .segs = segs, .nsegs = nsegs, .status = 0xee
	};
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31u + seed + (i >> 9));
}

TEST(disk_none_fails_everything)
{
	struct platform_info plat = { 0 };
	uint8_t buf[512] = { 0 };
	struct disk_seg s = seg(buf, sizeof(buf));
	struct disk_req r[2] = { req(DISK_READ, 0, &s, 1), req(DISK_FLUSH, 0, NULL, 0) };

	fake_disk_set(0, true);
	CHECK_EQ(disk_init(&plat), 1);
	CHECK(!disk_present());
	CHECK_EQ(disk_sectors(), 0);
	CHECK(!disk_has_flush());
	CHECK(!disk_read_only());
	disk_submit(r, 2);
	CHECK_EQ(r[0].status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r[1].status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(fake_disk_stats.rejected, 2);
}

TEST(disk_round_trip_with_uneven_segments)
{
	struct platform_info plat = { 0 };
	uint8_t *out = malloc(3 * 512);
	uint8_t *in = calloc(1, 3 * 512);
	struct disk_seg wsegs[3], rsegs[2];
	struct disk_req r[2];

	REQUIRE(out && in);
	fake_disk_set(SECTORS, true);
	CHECK_EQ(disk_init(&plat), 0);
	CHECK(disk_present());
	CHECK_EQ(disk_sectors(), SECTORS);
	CHECK(disk_has_flush());
	fill(out, 3 * 512, 1);
	wsegs[0] = seg(out, 100);
	wsegs[1] = seg(out + 100, 1000);
	wsegs[2] = seg(out + 1100, 436);
	r[0] = req(DISK_WRITE, 5, wsegs, 3);
	disk_submit(r, 1);
	CHECK_EQ(r[0].status, VIRTIO_BLK_S_OK);
	CHECK(memcmp(fake_disk_data() + 5 * 512, out, 3 * 512) == 0);
	CHECK_EQ(fake_disk_data()[5 * 512 - 1], 0);
	CHECK_EQ(fake_disk_data()[8 * 512], 0);

	rsegs[0] = seg(in, 512);
	rsegs[1] = seg(in + 512, 1024);
	r[0] = req(DISK_READ, 5, rsegs, 2);
	r[1] = req(DISK_FLUSH, 0, NULL, 0);
	disk_submit(r, 2);
	CHECK_EQ(r[0].status, VIRTIO_BLK_S_OK);
	CHECK_EQ(r[1].status, VIRTIO_BLK_S_OK);
	CHECK(memcmp(in, out, 3 * 512) == 0);
	CHECK_EQ(fake_disk_stats.submits, 2);
	CHECK_EQ(fake_disk_stats.last_batch, 2);
	CHECK_EQ(fake_disk_stats.reads, 1);
	CHECK_EQ(fake_disk_stats.writes, 1);
	CHECK_EQ(fake_disk_stats.sectors_read, 3);
	CHECK_EQ(fake_disk_stats.sectors_written, 3);
	CHECK_EQ(fake_disk_stats.device_flushes, 1);
	CHECK_EQ(fake_disk_stats.unflushed_writes, 0);
	CHECK_EQ(fake_disk_stats.device_requests, 2);
	free(out);
	free(in);
	fake_disk_set(0, false);
}

TEST(disk_refuses_bad_requests_before_the_device)
{
	static uint8_t buf[1024];
	static struct disk_seg many[DISK_MAX_SEGS + 1];
	const struct disk_seg one = seg(buf, 512);
	const struct disk_seg two = seg(buf, 1024);
	const struct disk_seg odd = seg(buf, 511);
	const struct disk_seg empty[2] = { seg(buf, 0), seg(buf, 0) };
	const struct disk_seg wraps = { UINT64_MAX - 100, 512 };
	struct {
		struct disk_req r;
		uint8_t status;
	} cases[] = {
		{ req(DISK_READ, SECTORS, &one, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_READ, SECTORS - 1, &two, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_WRITE, UINT64_MAX, &one, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_WRITE, 0, &odd, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_READ, 0, &one, 0), VIRTIO_BLK_S_IOERR },
		{ req(DISK_READ, 0, NULL, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_READ, 0, empty, 2), VIRTIO_BLK_S_IOERR },
		{ req(DISK_WRITE, 0, many, DISK_MAX_SEGS + 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_WRITE, 0, &wraps, 1), VIRTIO_BLK_S_IOERR },
		{ req(DISK_FLUSH, 0, &one, 1), VIRTIO_BLK_S_IOERR },
		{ req((enum disk_op)7, 0, &one, 1), VIRTIO_BLK_S_UNSUPP },
		/* The edges that are fine. */
		{ req(DISK_READ, SECTORS - 1, &one, 1), VIRTIO_BLK_S_OK },
		{ req(DISK_WRITE, 0, many, DISK_MAX_SEGS), VIRTIO_BLK_S_OK },
		{ req(DISK_FLUSH, 12345, NULL, 0), VIRTIO_BLK_S_OK },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = seg(buf, 256); /* DISK_MAX_SEGS of them fill the disk exactly */
	fake_disk_set(SECTORS, false);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		disk_submit(&cases[i].r, 1);
		if (cases[i].r.status != cases[i].status) {
			fprintf(stderr, "  case %zu: status %u, expected %u\n", i,
				cases[i].r.status, cases[i].status);
			test_fail(__FILE__, __LINE__, "status");
		}
	}
	CHECK_EQ(fake_disk_stats.rejected, 11);
	CHECK_EQ(fake_disk_stats.writes, 1);
	CHECK_EQ(fake_disk_stats.sectors_written, SECTORS);
	fake_disk_set(0, false);
}

TEST(disk_flush_without_a_cache_completes_at_once)
{
	struct disk_req r = req(DISK_FLUSH, 0, NULL, 0);

	fake_disk_set(SECTORS, false);
	CHECK(!disk_has_flush());
	disk_submit(&r, 1);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_disk_stats.flushes, 1);
	CHECK_EQ(fake_disk_stats.device_flushes, 0);
	/* Not even a failing device sees it. */
	fake_disk_fail_status = VIRTIO_BLK_S_IOERR;
	disk_submit(&r, 1);
	CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
	fake_disk_set(0, false);
}

TEST(disk_read_only_and_device_errors)
{
	uint8_t buf[512] = { 0 };
	struct disk_seg s = seg(buf, sizeof(buf));
	struct disk_req r[2] = { req(DISK_WRITE, 0, &s, 1), req(DISK_READ, 0, &s, 1) };

	fake_disk_set(SECTORS, true);
	fake_disk_read_only = true;
	CHECK(disk_read_only());
	memset(buf, 0x5a, sizeof(buf));
	disk_submit(r, 2);
	CHECK_EQ(r[0].status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r[1].status, VIRTIO_BLK_S_OK);
	CHECK_EQ(buf[0], 0);

	fake_disk_read_only = false;
	fake_disk_fail_status = VIRTIO_BLK_S_IOERR;
	memset(buf, 0x5a, sizeof(buf));
	disk_submit(r, 2);
	CHECK_EQ(r[0].status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(r[1].status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(fake_disk_stats.failed, 2);
	CHECK_EQ(fake_disk_data()[0], 0);
	CHECK_EQ(buf[0], 0x5a);
	fake_disk_set(0, false);
}

/*
 * Writes segments of the given lengths under device limits and reads them
 * back in one piece; returns how many device requests the write took.
 */
static unsigned int round_trip_with_limits(const uint32_t *lens, unsigned int n,
					   unsigned int max_pieces, uint32_t size_max,
					   uint8_t *status)
{
	uint8_t out[4096], in[4096];
	struct disk_seg segs[8];
	struct disk_seg all;
	struct disk_req r;
	uint32_t off = 0;

	fake_disk_set(SECTORS, true);
	fake_disk_limits(max_pieces, size_max);
	fill(out, sizeof(out), n + max_pieces);
	for (unsigned int i = 0; i < n; i++) {
		segs[i] = seg(out + off, lens[i]);
		off += lens[i];
	}
	r = req(DISK_WRITE, 3, segs, n);
	disk_submit(&r, 1);
	*status = r.status;
	if (r.status == VIRTIO_BLK_S_OK) {
		all = seg(in, off);
		r = req(DISK_READ, 3, &all, 1);
		fake_disk_limits(0, 0);
		disk_submit(&r, 1);
		CHECK_EQ(r.status, VIRTIO_BLK_S_OK);
		CHECK(memcmp(in, out, off) == 0);
		CHECK(memcmp(fake_disk_data() + 3 * 512, out, off) == 0);
		return fake_disk_stats.device_requests - 1;
	}
	return fake_disk_stats.device_requests;
}

TEST(disk_requests_are_cut_to_the_device_limits)
{
	static const uint32_t uneven[] = { 100, 1000, 2996 };
	static const uint32_t whole[] = { 4096 };
	static const uint32_t tiny[] = { 100, 100, 312 };
	uint8_t status;

	/* As QEMU with queue-size=4: two data descriptors per request. */
	CHECK_EQ(round_trip_with_limits(uneven, 3, 2, 0, &status), 2);
	CHECK_EQ(status, VIRTIO_BLK_S_OK);
	/* size_max 512, three per request: 1536 + 1536 + 1024 bytes. */
	CHECK_EQ(round_trip_with_limits(whole, 1, 3, 512, &status), 3);
	CHECK_EQ(status, VIRTIO_BLK_S_OK);
	CHECK_EQ(round_trip_with_limits(whole, 1, 1, 0, &status), 1);
	CHECK_EQ(status, VIRTIO_BLK_S_OK);
	/* size_max below a sector: many small pieces, still whole sectors per request. */
	CHECK_EQ(round_trip_with_limits(whole, 1, 4, 200, &status), 8);
	CHECK_EQ(status, VIRTIO_BLK_S_OK);
	/* Two descriptors cannot reach the first sector boundary. */
	CHECK_EQ(round_trip_with_limits(tiny, 3, 2, 0, &status), 0);
	CHECK_EQ(status, VIRTIO_BLK_S_IOERR);
	CHECK_EQ(round_trip_with_limits(tiny, 3, 3, 0, &status), 1);
	CHECK_EQ(status, VIRTIO_BLK_S_OK);
	fake_disk_set(0, false);
}

TEST(disk_req_chunk_cuts_at_sector_boundaries)
{
	static uint8_t buf[1024];
	const struct disk_seg segs[] = { seg(buf, 300), seg(buf + 300, 0), seg(buf + 300, 300),
					 seg(buf + 600, 424) };
	struct disk_req r = req(DISK_WRITE, 0, segs, ARRAY_SIZE(segs));
	struct disk_req_cursor c = { 0 };
	unsigned int pieces;
	paddr_t pa;

	/* 300 + 300 do not end on a sector: cut at 512, inside the second piece. */
	CHECK_EQ(disk_req_chunk(&r, &c, 2, 0, &pieces), 512);
	CHECK_EQ(pieces, 2);
	CHECK_EQ(disk_req_piece(&r, &c, 0, 512, &pa), 300);
	CHECK_EQ(pa, mm_virt_to_phys(buf));
	CHECK_EQ(disk_req_piece(&r, &c, 0, 212, &pa), 212);
	CHECK_EQ(pa, mm_virt_to_phys(buf + 300));
	CHECK_EQ(c.pos, 512);
	/* The rest fits as it is. */
	CHECK_EQ(disk_req_chunk(&r, &c, 2, 0, &pieces), 512);
	CHECK_EQ(pieces, 2);
	CHECK_EQ(disk_req_piece(&r, &c, 0, 512, &pa), 88);
	CHECK_EQ(pa, mm_virt_to_phys(buf + 512));
	CHECK_EQ(disk_req_piece(&r, &c, 0, 424, &pa), 424);
	CHECK_EQ(disk_req_piece(&r, &c, 0, 1, &pa), 0);
	CHECK_EQ(disk_req_chunk(&r, &c, 2, 0, &pieces), 0);
	CHECK_EQ(pieces, 0);
}
