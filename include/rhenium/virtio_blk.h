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

/* Requests one device may have at the disk at once; more wait in the guest's ring. */
#define VIRTIO_BLK_INFLIGHT 16u

struct virtio_blk_stats {
	uint64_t reads;
	uint64_t writes;
	uint64_t flushes;
	uint64_t read_bytes;
	uint64_t written_bytes;
	uint64_t errors; /* requests completed with IOERR or UNSUPP */
};

struct virtio_blk;

/* One request on its way to the disk. */
struct virtio_blk_slot {
	struct disk_req req;
	struct disk_seg seg[DISK_MAX_SEGS];
	struct virtio_blk *blk;
	uint8_t *status_va;
	uint16_t head;
	uint32_t written;    /* used length to report on success */
	uint32_t generation; /* the device's at start: a reset since makes the result moot */
	bool busy;
};

struct virtio_blk {
	struct virtio_mmio transport;
	paddr_t ram_pa; /* host physical address of guest RAM (the transport's mem.ipa) */
	uint64_t first_sector;
	uint64_t sectors;
	char id[VIRTIO_BLK_ID_BYTES];

	/* Under the request queue's lock. */
	struct virtio_blk_slot slot[VIRTIO_BLK_INFLIGHT];
	unsigned int inflight;
	uint32_t generation; /* bumped by every device reset */
	bool starved;	     /* chains were left in the ring for want of a slot */

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
/*
 * Waits until none of the device's requests is at the disk any more (a VM
 * reset must not reload memory that a read is still filling). Bounded by the
 * disk driver's own timeout.
 */
void virtio_blk_quiesce(struct virtio_blk *blk);

#endif
