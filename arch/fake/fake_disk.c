/* SPDX-License-Identifier: MIT */
/*
 * The host stand-in for drivers/disk.c: a RAM disk behind the same interface
 * and the same request checks (drivers/disk_req.h). Segment addresses are
 * "physical" addresses, which on the host, as everywhere in arch/fake, are
 * host pointers (mm_phys_to_virt() is the identity), so ASan sees every byte
 * a request moves; for the same reason there is no "segment inside RAM"
 * check. Requests are performed in order, each cut into device requests
 * exactly as the real driver would under fake_disk_limits().
 */
#include <stdlib.h>
#include <string.h>

#include <rhenium/disk.h>
#include <rhenium/mm.h>
#include <rhenium/virtio.h>

#include "../../drivers/disk_req.h"
#include "fake_arch.h"

struct fake_disk_stats fake_disk_stats;
uint8_t fake_disk_fail_status;
bool fake_disk_read_only;

static uint8_t *fake_disk_buf;
static uint64_t fake_disk_nsectors;
static bool fake_disk_flush;
static unsigned int fake_disk_max_pieces = DISK_MAX_SEGS;
static uint32_t fake_disk_size_max;
/* Started and not yet completed, oldest first: the "device" works when polled. */
static struct disk_req *fake_disk_queue_head, *fake_disk_queue_tail;

void fake_disk_set(uint64_t sectors, bool has_flush)
{
	free(fake_disk_buf);
	fake_disk_buf = NULL;
	if (sectors) {
		fake_disk_buf = calloc(sectors, DISK_SECTOR_SIZE);
		if (!fake_disk_buf)
			abort();
	}
	fake_disk_nsectors = sectors;
	fake_disk_flush = has_flush;
	fake_disk_read_only = false;
	fake_disk_fail_status = 0;
	fake_disk_max_pieces = DISK_MAX_SEGS;
	fake_disk_size_max = 0;
	fake_disk_queue_head = fake_disk_queue_tail = NULL;
	memset(&fake_disk_stats, 0, sizeof(fake_disk_stats));
}

uint8_t *fake_disk_data(void)
{
	return fake_disk_buf;
}

void fake_disk_limits(unsigned int max_pieces, uint32_t size_max)
{
	fake_disk_max_pieces = max_pieces ? max_pieces : DISK_MAX_SEGS;
	fake_disk_size_max = size_max;
}

int disk_init(const struct platform_info *plat)
{
	(void)plat;
	return fake_disk_buf ? 0 : 1;
}

bool disk_present(void)
{
	return fake_disk_buf != NULL;
}

uint64_t disk_sectors(void)
{
	return fake_disk_nsectors;
}

bool disk_has_flush(void)
{
	return fake_disk_buf && fake_disk_flush;
}

bool disk_read_only(void)
{
	return fake_disk_buf && fake_disk_read_only;
}

/* One device request: `bytes` from the cursor, at `sector`. */
static void fake_disk_move(struct disk_req *r, struct disk_req_cursor *c, uint64_t bytes,
			   unsigned int pieces)
{
	uint8_t *disk = fake_disk_buf + (r->sector * DISK_SECTOR_SIZE + c->pos);
	uint64_t placed = 0;

	for (unsigned int k = 0; k < pieces; k++) {
		paddr_t pa = 0;
		uint32_t len = disk_req_piece(r, c, fake_disk_size_max, bytes - placed, &pa);

		if (r->op == DISK_READ)
			memcpy(mm_phys_to_virt(pa), disk + placed, len);
		else
			memcpy(disk + placed, mm_phys_to_virt(pa), len);
		placed += len;
	}
	if (placed != bytes)
		abort();
	fake_disk_stats.device_requests++;
}

static void fake_disk_perform(struct disk_req *r)
{
	struct disk_req_cursor c = { 0 };
	uint64_t bytes = 0;
	uint8_t status =
		fake_disk_buf ? disk_req_check(r, fake_disk_nsectors, &bytes) : VIRTIO_BLK_S_IOERR;

	if (status == VIRTIO_BLK_S_OK && r->op == DISK_WRITE && fake_disk_read_only)
		status = VIRTIO_BLK_S_IOERR;
	r->status = status;
	if (status != VIRTIO_BLK_S_OK) {
		fake_disk_stats.rejected++;
		return;
	}
	if (r->op == DISK_FLUSH) {
		fake_disk_stats.flushes++;
		if (!fake_disk_flush)
			return;
	}
	if (fake_disk_fail_status) {
		/* The device's answer: the request passed our checks but was not performed. */
		r->status = fake_disk_fail_status;
		fake_disk_stats.failed++;
		return;
	}
	if (r->op == DISK_FLUSH) {
		fake_disk_stats.device_flushes++;
		fake_disk_stats.unflushed_writes = 0;
		return;
	}
	while (c.pos < bytes) {
		unsigned int pieces;
		uint64_t chunk =
			disk_req_chunk(r, &c, fake_disk_max_pieces, fake_disk_size_max, &pieces);

		if (chunk == 0) {
			r->status = VIRTIO_BLK_S_IOERR;
			fake_disk_stats.rejected++;
			return;
		}
		fake_disk_move(r, &c, chunk, pieces);
	}
	if (r->op == DISK_READ) {
		fake_disk_stats.reads++;
		fake_disk_stats.sectors_read += bytes / DISK_SECTOR_SIZE;
	} else {
		fake_disk_stats.writes++;
		fake_disk_stats.sectors_written += bytes / DISK_SECTOR_SIZE;
		fake_disk_stats.unflushed_writes++;
	}
}

bool disk_start(struct disk_req *r)
{
	uint64_t bytes = 0;
	uint8_t status =
		fake_disk_buf ? disk_req_check(r, fake_disk_nsectors, &bytes) : VIRTIO_BLK_S_IOERR;

	fake_disk_stats.started++;
	if (status == VIRTIO_BLK_S_OK && r->op == DISK_WRITE && fake_disk_read_only)
		status = VIRTIO_BLK_S_IOERR;
	r->status = status;
	if (status != VIRTIO_BLK_S_OK) {
		fake_disk_stats.rejected++;
		return false;
	}
	if (r->op == DISK_FLUSH && !fake_disk_flush) {
		fake_disk_stats.flushes++;
		return false;
	}
	r->next_waiting = NULL;
	if (fake_disk_queue_tail)
		fake_disk_queue_tail->next_waiting = r;
	else
		fake_disk_queue_head = r;
	fake_disk_queue_tail = r;
	fake_disk_stats.in_flight++;
	return true;
}

void disk_poll(void)
{
	while (fake_disk_queue_head) {
		struct disk_req *r = fake_disk_queue_head;

		fake_disk_queue_head = r->next_waiting;
		if (!fake_disk_queue_head)
			fake_disk_queue_tail = NULL;
		r->next_waiting = NULL;
		fake_disk_stats.in_flight--;
		fake_disk_perform(r);
		r->done(r);
	}
}

static void fake_disk_sync_done(struct disk_req *r)
{
	(void)r;
}

void disk_submit(struct disk_req *reqs, unsigned int n)
{
	fake_disk_stats.submits++;
	fake_disk_stats.last_batch = n;
	for (unsigned int i = 0; i < n; i++) {
		/* As the real driver: a FLUSH waits for the earlier requests of the call. */
		if (reqs[i].op == DISK_FLUSH)
			disk_poll();
		reqs[i].done = fake_disk_sync_done;
		disk_start(&reqs[i]);
	}
	disk_poll();
}
