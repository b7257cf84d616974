/* SPDX-License-Identifier: MIT */
/*
 * The physical disk Rhenium owns: a virtio-blk device on the machine's own
 * virtio-mmio bus (QEMU virt: -device virtio-blk-device), found through the
 * boot device tree and driven by drivers/disk.c. Guests never see it; each
 * VM's emulated virtio-blk (vdev/virtio_blk.c) is a window onto one region
 * of it, and requests are translated and checked before they reach here.
 *
 * Data moves without copies: segments name host physical memory (a VM's RAM),
 * which the device reads or writes directly (QEMU's DMA is cache coherent).
 * The request header and status byte live in the driver's own memory, so a
 * guest can never change a request after it was checked.
 *
 * Asynchronous: disk_start() queues a request and returns; the device's
 * interrupt (or anyone calling disk_poll()) completes it later through its
 * done() callback, so a vCPU never waits for the disk inside the hypervisor.
 * Requests that find the device's queue full wait in FIFO order for room.
 * Any CPU may start or poll at any time after disk_init(); one lock guards
 * the queue. disk_submit() is a synchronous wrapper that waits for a bounded
 * time: a device that stops answering is declared broken, and every request
 * in flight or later fails with VIRTIO_BLK_S_IOERR instead of hanging.
 *
 * Host unit tests link arch/fake/fake_disk.c instead, a RAM disk with the same
 * checks (and knobs in arch/fake/fake_arch.h). See docs/disk.md.
 */
#ifndef RHENIUM_DISK_H
#define RHENIUM_DISK_H

#include <rhenium/platform.h>
#include <rhenium/types.h>

#define DISK_SECTOR_SIZE 512u
/*
 * Segments per request, what the emulated virtio-blk advertises as seg_max:
 * QEMU's own virtio-blk says 254 (queue size - 2), so a guest moves a 1 MiB
 * request of 4 KiB pages in one piece either way.
 */
#define DISK_MAX_SEGS 254u

enum disk_op {
	DISK_READ,  /* device -> memory */
	DISK_WRITE, /* memory -> device */
	DISK_FLUSH, /* everything written so far is on stable storage when it completes */
};

struct disk_seg {
	paddr_t pa;
	uint32_t len; /* a multiple of DISK_SECTOR_SIZE in total per request */
};

/* Where the driver is in placing a request onto device requests (drivers/disk_req.h). */
struct disk_req_cursor {
	unsigned int seg; /* current segment */
	uint32_t off;	  /* bytes of it already placed */
	uint64_t pos; /* bytes of the request already placed (a sector multiple between chunks) */
};

struct disk_req {
	enum disk_op op;
	uint64_t sector;
	const struct disk_seg *segs; /* READ/WRITE: 1..DISK_MAX_SEGS; FLUSH: none */
	unsigned int nsegs;
	uint8_t status; /* out: VIRTIO_BLK_S_OK, _IOERR or _UNSUPP */
	/*
	 * disk_start(): called once when the request has completed, on whichever
	 * CPU noticed (usually the one taking the disk's interrupt), with no
	 * driver lock held. It may start new requests.
	 */
	void (*done)(struct disk_req *req);
	void *ctx; /* the caller's */

	/* The driver's, while the request is in its hands. */
	struct disk_req *next_waiting;
	struct disk_req_cursor cursor;
	uint64_t bytes;
	unsigned int parts; /* device requests outstanding */
	bool placed;	    /* all of it is on the device's queue */
};

/*
 * Looks for a virtio-blk device among the platform's virtio-mmio transports
 * and initialises it. Returns 0 if a disk is ready, 1 if there is none (not
 * an error), negative if one was found but could not be brought up (logged).
 */
int disk_init(const struct platform_info *plat);
bool disk_present(void);
/* Capacity in 512-byte sectors (0 if no disk). */
uint64_t disk_sectors(void);
/* True if the device offered VIRTIO_BLK_F_FLUSH, i.e. it has a volatile cache to flush. */
bool disk_has_flush(void);
/* True if the device is read-only (VIRTIO_BLK_F_RO): every WRITE fails with IOERR. */
bool disk_read_only(void);
/*
 * Starts a request and returns at once. false: it is already complete
 * (refused by the checks below, or a FLUSH with nothing to flush), its status
 * is set and done() will not be called; true: it is on its way, and done()
 * will be called once it completes. Requests may complete in any order; a
 * FLUSH covers the writes that had completed when it was started.
 */
bool disk_start(struct disk_req *req);
/*
 * Collects what the device has completed, passes waiting requests on to it,
 * and calls the done() callbacks. The disk's interrupt handler calls it;
 * anyone waiting for a request may too. After DISK_TIMEOUT of silence from a
 * device with work, the disk is declared broken (see above).
 */
void disk_poll(void);
/*
 * Synchronous (boot-time self-test, tests; sets done and ctx itself):
 * performs n requests and returns when all have completed, each with its
 * status. A request
 * beyond the capacity, whose length is 0 or not a multiple of the sector
 * size, with no or too many segments (a FLUSH with any), a WRITE to a
 * read-only disk, a segment outside RAM, or without a disk, fails with
 * VIRTIO_BLK_S_IOERR without reaching the device. A FLUSH on a disk without
 * a volatile cache completes at once with VIRTIO_BLK_S_OK.
 *
 * Order: requests of one call may be performed in any order, as on a real
 * device, except that a FLUSH is only sent once every earlier request of
 * the call has completed, so it covers them.
 */
void disk_submit(struct disk_req *reqs, unsigned int n);

#endif
