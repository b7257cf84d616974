/* SPDX-License-Identifier: MIT */
/*
 * The hardware-free half of the disk driver: checking a struct disk_req and
 * cutting it into what one device request may carry. Shared by
 * drivers/disk.c and its host stand-in arch/fake/fake_disk.c, so the unit
 * tests exercise the rules the real driver applies.
 *
 * A device request (VIRTIO 1.2 5.2.6) is a header, data descriptors and a
 * status byte. The device bounds the data descriptors (seg_max, and the
 * queue size: a chain may not be longer than the queue) and each one's length
 * (size_max). A caller's request that needs more is cut into several device
 * requests at sector boundaries, splitting a segment where necessary, since
 * each device request names its own start sector.
 */
#ifndef RHENIUM_DRIVERS_DISK_REQ_H
#define RHENIUM_DRIVERS_DISK_REQ_H

#include <rhenium/disk.h>
#include <rhenium/virtio.h>

/*
 * VIRTIO_BLK_S_OK if r may be sent to a disk of `sectors` sectors, and then
 * its data length in *bytes (0 for FLUSH); otherwise the status it fails with.
 */
static inline uint8_t disk_req_check(const struct disk_req *r, uint64_t sectors, uint64_t *bytes)
{
	uint64_t total = 0;

	*bytes = 0;
	if (r->op == DISK_FLUSH)
		return r->nsegs == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
	if (r->op != DISK_READ && r->op != DISK_WRITE)
		return VIRTIO_BLK_S_UNSUPP;
	if (r->nsegs == 0 || r->nsegs > DISK_MAX_SEGS || !r->segs)
		return VIRTIO_BLK_S_IOERR;
	for (unsigned int i = 0; i < r->nsegs; i++) {
		const struct disk_seg *s = &r->segs[i];

		if (s->len && s->pa + (s->len - 1) < s->pa)
			return VIRTIO_BLK_S_IOERR;
		total += s->len;
	}
	if (total == 0 || total % DISK_SECTOR_SIZE != 0)
		return VIRTIO_BLK_S_IOERR;
	if (r->sector > sectors || total / DISK_SECTOR_SIZE > sectors - r->sector)
		return VIRTIO_BLK_S_IOERR;
	*bytes = total;
	return VIRTIO_BLK_S_OK;
}

/*
 * The next piece of data at the cursor: at most `max` bytes (0: no limit)
 * and at most `left`, never crossing a segment. Empty segments are skipped.
 * Advances the cursor; returns the length, 0 when nothing is left.
 */
static inline uint32_t disk_req_piece(const struct disk_req *r, struct disk_req_cursor *c,
				      uint32_t max, uint64_t left, paddr_t *pa)
{
	uint32_t len;

	while (c->seg < r->nsegs && c->off == r->segs[c->seg].len) {
		c->seg++;
		c->off = 0;
	}
	if (c->seg == r->nsegs || left == 0)
		return 0;
	len = r->segs[c->seg].len - c->off;
	if (max && len > max)
		len = max;
	if (len > left)
		len = (uint32_t)left;
	*pa = r->segs[c->seg].pa + c->off;
	c->off += len;
	c->pos += len;
	return len;
}

/*
 * Length of the next device request from the cursor when one may carry at
 * most `max_pieces` data descriptors of at most `max` bytes each: everything
 * left if it fits, else as much as fits rounded down to a whole sector.
 * *pieces is how many descriptors that takes. Returns 0 when the request is
 * complete, or when the segments are too fragmented to place even one sector
 * (the caller then fails the request).
 */
static inline uint64_t disk_req_chunk(const struct disk_req *r, const struct disk_req_cursor *c,
				      unsigned int max_pieces, uint32_t max, unsigned int *pieces)
{
	struct disk_req_cursor t = *c;
	uint64_t total = 0;
	uint64_t cut;
	paddr_t pa;
	unsigned int n = 0;

	while (n < max_pieces) {
		uint32_t len = disk_req_piece(r, &t, max, UINT64_MAX, &pa);

		if (len == 0)
			break;
		total += len;
		n++;
	}
	*pieces = n;
	if (disk_req_piece(r, &t, max, UINT64_MAX, &pa) == 0)
		return total;
	/* More follows: end on a sector boundary, which may shorten the last piece. */
	cut = ALIGN_DOWN(total, DISK_SECTOR_SIZE);
	t = *c;
	n = 0;
	for (uint64_t placed = 0; placed < cut; n++)
		placed += disk_req_piece(r, &t, max, cut - placed, &pa);
	*pieces = n;
	return cut;
}

#endif
