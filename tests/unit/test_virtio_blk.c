/* SPDX-License-Identifier: MIT */
/*
 * The emulated virtio-blk over the fake disk (arch/fake/fake_disk.c): the
 * request layouts Linux and other drivers use, the region window (sector 0
 * of the guest is first_sector of the disk, nothing outside is reachable),
 * request errors that complete with a status, protocol errors that need a
 * reset, flush, GET_ID and batching.
 */
#include <string.h>

#include <fake_arch.h>
#include <rhenium/virtio_blk.h>

#include "test.h"
#include "virtio_test_util.h"

#define V1 (1ULL << VIRTIO_F_VERSION_1)
#define DISK_SECTORS 1024u
#define REGION_FIRST 100u
#define REGION_SECTORS 64u

static struct virtio_blk blk;

struct blk_env {
	struct tv_guest g;
	bool level;
	uint16_t next_desc;
};

static void blk_set_irq(void *ctx, bool level)
{
	((struct blk_env *)ctx)->level = level;
}

static uint32_t rd(uint64_t off)
{
	uint64_t v = 0;

	CHECK_EQ(virtio_mmio_read(&blk.transport, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint32_t v)
{
	CHECK_EQ(virtio_mmio_write(&blk.transport, off, 4, v), 0);
}

static void blk_setup(struct blk_env *e, struct virtio_blk *dev, uint64_t first, uint64_t sectors)
{
	struct virtq q;

	tv_queue_setup(&e->g, &q, 0, 128);
	virtio_blk_init(dev, "test", &e->g.mem, (paddr_t)(uintptr_t)e->g.ram, first, sectors,
			"rhenium-test", blk_set_irq, e);
	struct virtio_mmio *t = &dev->transport;
	uint64_t features = V1 | (1ULL << VIRTIO_BLK_F_FLUSH);

	CHECK_EQ(virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 4, 3), 0);
	virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
	virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)features);
	virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	virtio_mmio_write(t, VIRTIO_MMIO_DRIVER_FEATURES, 4, (uint32_t)(features >> 32));
	virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 4, 11);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_SEL, 4, 0);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_NUM, 4, q.num);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, (uint32_t)q.desc_ipa);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, (uint32_t)q.avail_ipa);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, (uint32_t)q.used_ipa);
	virtio_mmio_write(t, VIRTIO_MMIO_QUEUE_READY, 4, 1);
	virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 4, 15);
	CHECK(virtio_mmio_live(t));
}

static void env_init(struct blk_env *e)
{
	memset(e, 0, sizeof(*e));
	tv_guest_init(&e->g);
	fake_disk_set(DISK_SECTORS, true);
	blk_setup(e, &blk, REGION_FIRST, REGION_SECTORS);
}

/* Guest offsets of a request's parts: header, data, status (one request per slot). */
static uint64_t hdr_off(unsigned int slot)
{
	return TV_DATA + slot * 0x40;
}

static uint64_t status_off(unsigned int slot)
{
	return TV_DATA + 0x2000 + slot;
}

static uint64_t data_off(unsigned int slot)
{
	return TV_DATA + 0x10000 + slot * 0x4000;
}

/* Linux's layout: header, data split in two buffers, status; returns the head index. */
static uint16_t post_request(struct blk_env *e, struct virtio_blk *dev, unsigned int slot,
			     uint32_t type, uint64_t sector, uint32_t len)
{
	struct tv_guest *g = &e->g;
	uint16_t head = e->next_desc, d = head;
	uint16_t data_flags =
		type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ? VIRTQ_DESC_F_WRITE : 0;
	uint32_t first = len / 2 & ~511u;

	(void)dev;
	memcpy(g->ram + hdr_off(slot), &type, 4);
	memset(g->ram + hdr_off(slot) + 4, 0, 4);
	memcpy(g->ram + hdr_off(slot) + 8, &sector, 8);
	g->ram[status_off(slot)] = 0xee;
	tv_desc(g, 0, d, tv_ipa(hdr_off(slot)), 16, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
	d++;
	if (len) {
		if (first) {
			tv_desc(g, 0, d, tv_ipa(data_off(slot)), first,
				VIRTQ_DESC_F_NEXT | data_flags, (uint16_t)(d + 1));
			d++;
		}
		tv_desc(g, 0, d, tv_ipa(data_off(slot) + first), len - first,
			VIRTQ_DESC_F_NEXT | data_flags, (uint16_t)(d + 1));
		d++;
	}
	tv_desc(g, 0, d, tv_ipa(status_off(slot)), 1, VIRTQ_DESC_F_WRITE, 0);
	d++;
	e->next_desc = (uint16_t)(d % 128);
	tv_avail_push(g, 0, head);
	return head;
}

static uint8_t run_one(struct blk_env *e, uint32_t type, uint64_t sector, uint32_t len)
{
	post_request(e, &blk, 0, type, sector, len);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	disk_poll(); /* the disk's interrupt */
	return e->g.ram[status_off(0)];
}

TEST(virtio_blk_config_and_features)
{
	struct blk_env e;
	uint64_t v;

	env_init(&e);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_FLUSH));
	CHECK(rd(VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_SEG_MAX));
	CHECK_EQ(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG, 8, &v), 0);
	CHECK_EQ(v, REGION_SECTORS);
	CHECK_EQ(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 12, 4, &v), 0);
	CHECK_EQ(v, DISK_MAX_SEGS);
	CHECK_EQ(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 20, 4, &v), 0);
	CHECK_EQ(v, 512);
	CHECK(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 62, 4, &v) != 0);
	tv_guest_free(&e.g);
}

TEST(virtio_blk_write_then_read_lands_in_the_region)
{
	struct blk_env e;
	uint8_t *disk;

	env_init(&e);
	disk = fake_disk_data();
	for (unsigned int i = 0; i < 4096; i++)
		e.g.ram[data_off(0) + i] = (uint8_t)(i * 7 + 1);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_OUT, 3, 4096), VIRTIO_BLK_S_OK);
	CHECK(memcmp(disk + (REGION_FIRST + 3) * 512, e.g.ram + data_off(0), 4096) == 0);
	CHECK(e.level);
	CHECK_EQ(tv_used_idx(&e.g, 0), 1);

	memset(e.g.ram + data_off(0), 0, 4096);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, 3, 4096), VIRTIO_BLK_S_OK);
	CHECK(memcmp(disk + (REGION_FIRST + 3) * 512, e.g.ram + data_off(0), 4096) == 0);
	uint32_t id, len;
	tv_used_elem(&e.g, 0, 1, &id, &len);
	CHECK_EQ(len, 4097);
	CHECK_EQ(blk.stats.reads, 1);
	CHECK_EQ(blk.stats.writes, 1);
	tv_guest_free(&e.g);
}

TEST(virtio_blk_requests_outside_the_region_fail_untouched)
{
	struct blk_env e;
	uint8_t *disk;

	env_init(&e);
	disk = fake_disk_data();
	memset(disk, 0x5a, DISK_SECTORS * 512);
	memset(e.g.ram + data_off(0), 0, 8192);
	/* At the end, straddling it, far past it, and a sector number that would wrap. */
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, REGION_SECTORS, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, REGION_SECTORS - 1, 1024), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_OUT, 900, 512), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_OUT, ~0ULL - 1, 1024), VIRTIO_BLK_S_IOERR);
	/* Not whole sectors. */
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, 0, 100), VIRTIO_BLK_S_IOERR);
	/* The last sector is fine. */
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, REGION_SECTORS - 1, 512), VIRTIO_BLK_S_OK);
	CHECK_EQ(e.g.ram[data_off(0)], 0x5a);
	/* Nothing outside the region was written, and the device is still live. */
	for (unsigned int i = 0; i < DISK_SECTORS * 512; i++) {
		if (disk[i] != 0x5a) {
			CHECK(!"disk byte changed");
			break;
		}
	}
	CHECK(virtio_mmio_live(&blk.transport));
	CHECK_EQ(blk.stats.errors, 5);
	tv_guest_free(&e.g);
}

TEST(virtio_blk_flush_get_id_and_unsupported)
{
	struct blk_env e;
	char id[21] = { 0 };

	env_init(&e);
	unsigned int before = fake_disk_stats.device_flushes;

	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_disk_stats.device_flushes, before + 1);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_GET_ID, 0, 512), VIRTIO_BLK_S_OK);
	memcpy(id, e.g.ram + data_off(0), 20);
	CHECK(strcmp(id, "rhenium-test") == 0);
	CHECK_EQ(run_one(&e, 11 /* DISCARD: not offered */, 0, 512), VIRTIO_BLK_S_UNSUPP);
	tv_guest_free(&e.g);
}

TEST(virtio_blk_header_data_and_status_in_one_buffer_each_way)
{
	struct blk_env e;
	struct tv_guest *g;
	uint32_t type = VIRTIO_BLK_T_OUT;
	uint64_t sector = 7;

	env_init(&e);
	g = &e.g;
	/* OUT: header and data in one readable buffer, status alone. */
	memcpy(g->ram + TV_DATA, &type, 4);
	memcpy(g->ram + TV_DATA + 8, &sector, 8);
	memset(g->ram + TV_DATA + 16, 0xc3, 512);
	tv_desc(g, 0, 0, tv_ipa(TV_DATA), 16 + 512, VIRTQ_DESC_F_NEXT, 1);
	tv_desc(g, 0, 1, tv_ipa(TV_DATA + 0x1000), 1, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(g, 0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	disk_poll();
	CHECK_EQ(g->ram[TV_DATA + 0x1000], VIRTIO_BLK_S_OK);
	CHECK_EQ(fake_disk_data()[(REGION_FIRST + 7) * 512 + 511], 0xc3);

	/* IN: data and status in one writable buffer. */
	type = VIRTIO_BLK_T_IN;
	memcpy(g->ram + TV_DATA, &type, 4);
	tv_desc(g, 0, 2, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 3);
	tv_desc(g, 0, 3, tv_ipa(TV_DATA + 0x2000), 513, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(g, 0, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	disk_poll();
	CHECK_EQ(g->ram[TV_DATA + 0x2000 + 512], VIRTIO_BLK_S_OK);
	CHECK_EQ(g->ram[TV_DATA + 0x2000 + 511], 0xc3);
	tv_guest_free(&e.g);
}

TEST(virtio_blk_protocol_errors)
{
	struct blk_env e;
	struct tv_guest *g;

	env_init(&e);
	g = &e.g;
	/* A header shorter than 16 bytes: IOERR through the status byte. */
	tv_desc(g, 0, 0, tv_ipa(TV_DATA), 8, VIRTQ_DESC_F_NEXT, 1);
	tv_desc(g, 0, 1, tv_ipa(TV_DATA + 0x1000), 1, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(g, 0, 0);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(g->ram[TV_DATA + 0x1000], VIRTIO_BLK_S_IOERR);
	CHECK(virtio_mmio_live(&blk.transport));

	/* No writable byte at all: there is nowhere to report, so the device needs a reset. */
	tv_desc(g, 0, 2, tv_ipa(TV_DATA), 16, 0, 0);
	tv_avail_push(g, 0, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK(!virtio_mmio_live(&blk.transport));
	tv_guest_free(&e.g);
}

TEST(virtio_blk_batches_and_two_regions_stay_apart)
{
	struct blk_env e, e2;
	static struct virtio_blk other;
	uint8_t *disk;

	env_init(&e);
	memset(&e2, 0, sizeof(e2));
	tv_guest_init(&e2.g);
	blk_setup(&e2, &other, REGION_FIRST + REGION_SECTORS, REGION_SECTORS);
	disk = fake_disk_data();

	/*
	 * 20 writes in the ring, one notify: VIRTIO_BLK_INFLIGHT go to the disk,
	 * the rest wait in the ring and follow as completions free slots.
	 */
	for (unsigned int i = 0; i < 20; i++) {
		memset(e.g.ram + data_off(i), (int)(0x10 + i), 1024);
		post_request(&e, &blk, i, VIRTIO_BLK_T_OUT, 2 * i, 1024);
	}
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(fake_disk_stats.in_flight, VIRTIO_BLK_INFLIGHT);
	CHECK_EQ(tv_used_idx(&e.g, 0), 0); /* nothing is complete before the disk says so */
	CHECK(blk.starved);
	CHECK(!e.level);
	disk_poll();
	CHECK_EQ(tv_used_idx(&e.g, 0), 20);
	CHECK(e.level);
	for (unsigned int i = 0; i < 20; i++)
		CHECK_EQ(e.g.ram[status_off(i)], VIRTIO_BLK_S_OK);
	CHECK_EQ(disk[(REGION_FIRST + 2 * 19) * 512], 0x10 + 19);
	CHECK_EQ(blk.inflight, 0);

	/* The second device's sector 0 is the sector after the first one's region. */
	memset(e2.g.ram + data_off(0), 0x77, 512);
	post_request(&e2, &other, 0, VIRTIO_BLK_T_OUT, 0, 512);
	CHECK_EQ(virtio_mmio_write(&other.transport, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 0), 0);
	disk_poll();
	CHECK_EQ(e2.g.ram[status_off(0)], VIRTIO_BLK_S_OK);
	CHECK_EQ(disk[(REGION_FIRST + REGION_SECTORS) * 512], 0x77);
	CHECK(disk[(REGION_FIRST + REGION_SECTORS) * 512 - 1] != 0x77);
	/* And the first device cannot read it. */
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, REGION_SECTORS, 512), VIRTIO_BLK_S_IOERR);
	tv_guest_free(&e.g);
	tv_guest_free(&e2.g);
}

TEST(virtio_blk_reset_with_requests_at_the_disk)
{
	struct blk_env e;

	env_init(&e);
	post_request(&e, &blk, 0, VIRTIO_BLK_T_IN, 0, 512);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(blk.inflight, 1);
	/* The driver resets the device and lays out new rings before the disk answers. */
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(e.g.ram, 0, TV_DATA);
	e.g.ram[status_off(0)] = 0xee;
	virtio_blk_quiesce(&blk);
	CHECK_EQ(blk.inflight, 0);
	CHECK_EQ(tv_used_idx(&e.g, 0), 0);
	CHECK_EQ(e.g.ram[status_off(0)], 0xee);
	CHECK(!e.level);
	/* And the device works again after a fresh start. */
	e.next_desc = 0;
	e.g.avail_idx[0] = 0;
	blk_setup(&e, &blk, REGION_FIRST, REGION_SECTORS);
	CHECK_EQ(run_one(&e, VIRTIO_BLK_T_IN, 0, 512), VIRTIO_BLK_S_OK);
	tv_guest_free(&e.g);
}
