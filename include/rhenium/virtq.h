/* SPDX-License-Identifier: MIT */
/*
 * The device side of a split virtqueue (VIRTIO 1.2 section 2.7) living in a
 * guest's RAM: what every emulated virtio device of Rhenium uses to take
 * buffers from a driver and give them back.
 *
 * The guest owns the memory and may change it at any moment, from another
 * vCPU, while we read it. So every index and descriptor is read exactly once
 * into hypervisor memory and checked there: an address outside the guest's
 * RAM window, an index past the queue, a loop, a chain longer than
 * VIRTQ_CHAIN_MAX, a bad indirect table or a device-readable buffer after a
 * device-writable one is an error (the transport then sets NEEDS_RESET), and
 * never a read or write outside the window. See docs/virtio.md.
 *
 * Not thread-safe: the caller serialises the calls on one struct virtq.
 */
#ifndef RHENIUM_VIRTQ_H
#define RHENIUM_VIRTQ_H

#include <rhenium/types.h>

#define VIRTQ_NUM_MAX 256u /* QueueNumMax of every emulated queue */
/* Buffers in one chain: virtio-blk's header, DISK_MAX_SEGS data segments and status. */
#define VIRTQ_CHAIN_MAX 256u
/* Entries of one indirect table (a table may hold more descriptors than the chain keeps). */
#define VIRTQ_INDIRECT_MAX 256u

/* The guest RAM a queue may use: IPA [ipa, ipa + size) is host memory at va. */
struct virtq_guest_mem {
	paddr_t ipa;
	uint64_t size;
	uint8_t *va;
};

enum virtq_error {
	VIRTQ_ERR_RING_RANGE = -1, /* a ring or the descriptor table outside guest RAM */
	VIRTQ_ERR_RING_ALIGN = -2, /* a ring misaligned (2.7: 16, 2 and 4 bytes) */
	VIRTQ_ERR_NUM = -3,	   /* queue size 0, not a power of 2, or above the maximum */
	VIRTQ_ERR_AVAIL_IDX = -4,  /* avail->idx more than the queue size ahead */
	VIRTQ_ERR_INDEX = -5,	   /* a head or next index past the table */
	VIRTQ_ERR_LOOP = -6,	   /* more descriptors than the table holds: a loop */
	VIRTQ_ERR_CHAIN_LONG = -7, /* more than VIRTQ_CHAIN_MAX buffers */
	VIRTQ_ERR_BUF_RANGE = -8,  /* a buffer not entirely inside guest RAM */
	VIRTQ_ERR_INDIRECT = -9,   /* bad indirect table: size, place, nesting, NEXT */
	VIRTQ_ERR_ORDER = -10,	   /* a device-readable buffer after a device-writable one */
	VIRTQ_ERR_NOT_READY = -11, /* the queue is not enabled */
};

struct virtq {
	/* Set by the driver through the transport while the queue is not ready. */
	uint16_t num;
	paddr_t desc_ipa;
	paddr_t avail_ipa; /* "driver area" */
	paddr_t used_ipa;  /* "device area" */
	/* Device state, valid while ready. */
	bool ready;
	uint16_t last_avail; /* free-running index of the next avail entry to take */
	uint16_t used_idx;   /* free-running copy of used->idx */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;
	const struct virtq_guest_mem *mem;
};

struct virtq_buf {
	paddr_t ipa;
	uint8_t *va; /* the same bytes, already checked to lie inside guest RAM */
	uint32_t len;
	bool device_writes;
};

/* One descriptor chain taken from the avail ring. */
struct virtq_chain {
	uint16_t head;
	unsigned int n;
	unsigned int readable; /* buf[0, readable) are device-readable, the rest device-writable */
	uint64_t readable_len;
	uint64_t writable_len;
	struct virtq_buf buf[VIRTQ_CHAIN_MAX];
};

/* Forgets everything: not ready, size 0, addresses 0 (device reset). */
void virtq_reset(struct virtq *q);
/*
 * QueueReady = 1: checks the size and that the three areas are aligned and
 * inside `mem` (which must outlive the queue), then starts at index 0.
 * 0 or a negative enum virtq_error (the queue stays not ready).
 */
int virtq_enable(struct virtq *q, const struct virtq_guest_mem *mem);
/*
 * Takes the next available chain. 1: *chain filled; 0: nothing available;
 * negative enum virtq_error: the ring is malformed, nothing was taken.
 */
int virtq_pop(struct virtq *q, struct virtq_chain *chain);
/* True if a chain is available (the ring may still turn out malformed). */
bool virtq_has_avail(const struct virtq *q);
/* Returns a chain to the driver with `written` bytes stored in its writable buffers. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);
/* The driver wants an interrupt for used buffers (no VIRTQ_AVAIL_F_NO_INTERRUPT). */
bool virtq_wants_interrupt(const struct virtq *q);

/* Gathers up to len bytes from offset `off` of the chain's readable part; returns the count. */
size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t off, void *dst, size_t len);
/* Scatters up to len bytes to offset `off` of the chain's writable part; returns the count. */
size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t off, const void *src,
			 size_t len);

const char *virtq_error_name(int err);

#endif
