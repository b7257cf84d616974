/* SPDX-License-Identifier: MIT */
/*
 * An emulated virtio block device (VIRTIO 1.2 section 5.2) that is a window
 * onto one region of the physical disk (include/rhenium/disk.h): sector 0 of
 * the guest's disk is sector `first_sector` of the physical one, and nothing
 * outside [first_sector, first_sector + sectors) is reachable. Requests are
 * checked here, translated, and handed to the disk driver in batches; data
 * moves straight between the disk and the guest's RAM.
 *
 * Offers SEG_MAX, BLK_SIZE and FLUSH: a guest's flush reaches the physical
 * disk, whose own flush reaches the host file (QEMU fdatasync), so data the
 * guest synced survives a power cut of the whole machine.
 */
#ifndef RHENIUM_VIRTIO_BLK_H
#define RHENIUM_VIRTIO_BLK_H

#include <rhenium/disk.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_mmio.h>

#define VIRTIO_BLK_BATCH 8u /* requests handed to the disk at once */

struct virtio_blk_stats {
	uint64_t reads;
	uint64_t writes;
	uint64_t flushes;
	uint64_t read_bytes;
	uint64_t written_bytes;
	uint64_t errors; /* requests completed with IOERR or UNSUPP */
};

struct virtio_blk {
	struct virtio_mmio transport;
	paddr_t ram_pa; /* host physical address of guest RAM (the transport's mem.ipa) */
	uint64_t first_sector;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];

	/* One batch in flight, under the request queue's lock. */
	struct disk_req req[VIRTIO_BLK_BATCH];
	struct disk_seg seg[VIRTIO_BLK_BATCH][DISK_MAX_SEGS];
	uint8_t *status_va[VIRTIO_BLK_BATCH];
	uint16_t head[VIRTIO_BLK_BATCH];
	uint32_t written[VIRTIO_BLK_BATCH];

	struct virtio_blk_stats stats;
};

/*
 * `mem` is guest RAM, whose host physical address is `ram_pa`; the disk
 * region is `sectors` sectors from `first_sector`, which the caller has
 * checked against disk_sectors(). `id` is the serial the guest reads with
 * GET_ID (truncated to 20 bytes).
 */
void virtio_blk_init(struct virtio_blk *blk, const char *owner, const struct virtq_guest_mem *mem,
		     paddr_t ram_pa, uint64_t first_sector, uint64_t sectors, const char *id,
		     void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx);

#endif
