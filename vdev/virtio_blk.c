/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk requests (VIRTIO 1.2 5.2.6): a chain holds a 16-byte header
 * { le32 type; le32 reserved; le64 sector; } in device-readable memory, then
 * the data (readable for OUT, writable for IN), and ends with one writable
 * status byte. The driver may split or merge these parts across descriptors
 * as it likes (2.6.4 "Message Framing"), so we address the chain by offset.
 */
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_blk.h>

#define VIRTIO_BLK_REQUESTQ 0u
#define VIRTIO_BLK_HEADER_SIZE 16u
#define VIRTIO_BLK_CONFIG_SIZE 64u

/* Config space offsets (5.2.4). */
#define VIRTIO_BLK_CFG_CAPACITY 0u
#define VIRTIO_BLK_CFG_SEG_MAX 12u
#define VIRTIO_BLK_CFG_BLK_SIZE 20u

struct virtio_blk_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static int virtio_blk_config_read(void *ctx, uint64_t offset, unsigned int size, uint64_t *value)
{
	struct virtio_blk *blk = ctx;
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE] = { 0 };
	uint32_t seg_max = DISK_MAX_SEGS, blk_size = VIRTIO_BLK_SECTOR_SIZE;

	if (offset >= VIRTIO_BLK_CONFIG_SIZE || size > VIRTIO_BLK_CONFIG_SIZE - offset)
		return -1;
	memcpy(config + VIRTIO_BLK_CFG_CAPACITY, &blk->sectors, 8);
	memcpy(config + VIRTIO_BLK_CFG_SEG_MAX, &seg_max, 4);
	memcpy(config + VIRTIO_BLK_CFG_BLK_SIZE, &blk_size, 4);
	*value = 0;
	memcpy(value, config + offset, size);
	return 0;
}

/* The status byte: the last byte of the chain's writable part; NULL if it has none. */
static uint8_t *virtio_blk_status_byte(const struct virtq_chain *chain)
{
	for (unsigned int i = chain->n; i-- > chain->readable;) {
		if (chain->buf[i].len)
			return chain->buf[i].va + chain->buf[i].len - 1;
	}
	return NULL;
}

/*
 * Turns `len` bytes of the chain, from byte `skip` of its readable part
 * (OUT) or from the start of its writable part (IN), into host-physical
 * segments. Returns the number of segments, or -1 if they do not fit.
 */
static int virtio_blk_map_data(const struct virtio_blk *blk, const struct virtq_chain *chain,
			       bool writable, uint64_t skip, uint64_t len, struct disk_seg *seg)
{
	unsigned int first = writable ? chain->readable : 0;
	unsigned int last = writable ? chain->n : chain->readable;
	const struct virtq_guest_mem *mem = &blk->transport.mem;
	int count = 0;

	for (unsigned int i = first; i < last && len; i++) {
		const struct virtq_buf *b = &chain->buf[i];
		uint64_t n;

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		n = MIN(b->len - skip, len);
		if (count == (int)DISK_MAX_SEGS)
			return -1;
		seg[count].pa = blk->ram_pa + (b->ipa + skip - mem->ipa);
		seg[count].len = (uint32_t)n;
		count++;
		len -= n;
		skip = 0;
	}
	return count;
}

/* Fills the slot for a READ or WRITE; returns a VIRTIO_BLK_S_* status if it must not reach the disk. */
static int virtio_blk_prepare_rw(struct virtio_blk *blk, const struct virtq_chain *chain,
				 const struct virtio_blk_header *hdr, struct virtio_blk_slot *slot)
{
	bool is_read = hdr->type == VIRTIO_BLK_T_IN;
	uint64_t len =
		is_read ? chain->writable_len - 1 : chain->readable_len - VIRTIO_BLK_HEADER_SIZE;
	struct disk_req *req = &slot->req;
	int nsegs;

	if (len % VIRTIO_BLK_SECTOR_SIZE || hdr->sector > blk->sectors ||
	    len / VIRTIO_BLK_SECTOR_SIZE > blk->sectors - hdr->sector)
		return VIRTIO_BLK_S_IOERR;
	if (!len)
		return VIRTIO_BLK_S_OK;
	nsegs = virtio_blk_map_data(blk, chain, is_read, is_read ? 0 : VIRTIO_BLK_HEADER_SIZE, len,
				    slot->seg);
	if (nsegs <= 0)
		return VIRTIO_BLK_S_IOERR;
	req->op = is_read ? DISK_READ : DISK_WRITE;
	req->sector = blk->first_sector + hdr->sector;
	req->segs = slot->seg;
	req->nsegs = (unsigned int)nsegs;
	slot->written = is_read ? (uint32_t)len + 1 : 1;
	if (is_read) {
		blk->stats.reads++;
		blk->stats.read_bytes += len;
	} else {
		blk->stats.writes++;
		blk->stats.written_bytes += len;
	}
	return -1;
}

/*
 * Decodes one request into `slot`. Returns true if it needs the disk;
 * otherwise it was completed (status written, chain returned) here.
 */
static bool virtio_blk_prepare(struct virtio_blk *blk, struct virtio_mmio *t,
			       const struct virtq_chain *chain, struct virtio_blk_slot *slot)
{
	struct virtio_blk_header hdr;
	uint8_t *status = virtio_blk_status_byte(chain);
	uint32_t written = 1;
	int result;

	if (!status) {
		virtio_mmio_fail(t, "request without a status byte");
		return false;
	}
	slot->status_va = status;
	slot->head = chain->head;
	if (virtq_chain_read(chain, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		result = VIRTIO_BLK_S_IOERR;
	} else if (hdr.type == VIRTIO_BLK_T_IN || hdr.type == VIRTIO_BLK_T_OUT) {
		result = virtio_blk_prepare_rw(blk, chain, &hdr, slot);
	} else if (hdr.type == VIRTIO_BLK_T_FLUSH) {
		slot->req.op = DISK_FLUSH;
		slot->req.sector = 0;
		slot->req.segs = NULL;
		slot->req.nsegs = 0;
		slot->written = 1;
		blk->stats.flushes++;
		result = -1;
	} else if (hdr.type == VIRTIO_BLK_T_GET_ID) {
		/* 5.2.6: up to 20 bytes, NUL-terminated only if shorter. */
		uint64_t room = chain->writable_len - 1;

		written += (uint32_t)virtq_chain_write(chain, 0, blk->id,
						       MIN(room, (uint64_t)VIRTIO_BLK_ID_BYTES));
		result = VIRTIO_BLK_S_OK;
	} else {
		result = VIRTIO_BLK_S_UNSUPP;
	}
	if (result < 0)
		return true;
	if (result != VIRTIO_BLK_S_OK)
		blk->stats.errors++;
	*status = (uint8_t)result;
	virtio_mmio_push(t, VIRTIO_BLK_REQUESTQ, chain->head, written);
	return false;
}

/* The disk's answer reaches the guest, unless the device was reset meanwhile. Queue lock held. */
static void virtio_blk_finish(struct virtio_blk *blk, struct virtio_blk_slot *slot)
{
	uint8_t status = slot->req.status;

	if (slot->generation == blk->generation) {
		if (status != VIRTIO_BLK_S_OK)
			blk->stats.errors++;
		*slot->status_va = status;
		virtio_mmio_push(&blk->transport, VIRTIO_BLK_REQUESTQ, slot->head,
				 status == VIRTIO_BLK_S_OK ? slot->written : 1);
	}
	slot->busy = false;
	blk->inflight--;
}

static struct virtio_blk_slot *virtio_blk_free_slot(struct virtio_blk *blk)
{
	for (unsigned int i = 0; i < VIRTIO_BLK_INFLIGHT; i++) {
		if (!blk->slot[i].busy)
			return &blk->slot[i];
	}
	return NULL;
}

/*
 * Takes requests from the ring while there are slots for them. Queue lock
 * held. Returns true if chains went back to the driver (an interrupt is due).
 */
static bool virtio_blk_process(struct virtio_blk *blk, struct virtio_mmio *t)
{
	unsigned int budget = t->queue[VIRTIO_BLK_REQUESTQ].num;
	bool pushed = false;

	/* A budget of one ring's worth: a guest refilling forever cannot pin this CPU. */
	while (budget--) {
		struct virtio_blk_slot *slot = virtio_blk_free_slot(blk);
		struct virtq_chain *chain;

		if (!slot) {
			/* A completion frees a slot and comes back here. */
			blk->starved = virtq_has_avail(&t->queue[VIRTIO_BLK_REQUESTQ]);
			break;
		}
		chain = virtio_mmio_pop(t, VIRTIO_BLK_REQUESTQ);
		if (!chain)
			break;
		if (!virtio_blk_prepare(blk, t, chain, slot)) {
			pushed = true;
			continue;
		}
		slot->busy = true;
		slot->generation = blk->generation;
		blk->inflight++;
		if (!disk_start(&slot->req)) {
			virtio_blk_finish(blk, slot);
			pushed = true;
		}
	}
	return pushed;
}

/* disk_req.done: on whichever CPU took the disk's interrupt, no disk lock held. */
static void virtio_blk_disk_done(struct disk_req *req)
{
	struct virtio_blk_slot *slot = req->ctx;
	struct virtio_blk *blk = slot->blk;
	struct virtio_mmio *t = &blk->transport;

	virtio_mmio_queue_lock(t, VIRTIO_BLK_REQUESTQ);
	virtio_blk_finish(blk, slot);
	if (slot->generation == blk->generation)
		virtio_mmio_signal(t, VIRTIO_BLK_REQUESTQ);
	if (blk->starved && virtio_mmio_live(t)) {
		blk->starved = false;
		if (virtio_blk_process(blk, t))
			virtio_mmio_signal(t, VIRTIO_BLK_REQUESTQ);
	}
	virtio_mmio_queue_unlock(t, VIRTIO_BLK_REQUESTQ);
}

static void virtio_blk_notify(void *ctx, struct virtio_mmio *t, unsigned int index)
{
	if (virtio_blk_process(ctx, t))
		virtio_mmio_signal(t, index);
}

/* Queue lock held: requests still at the disk complete into nothing. */
static void virtio_blk_reset(void *ctx)
{
	struct virtio_blk *blk = ctx;

	blk->generation++;
	blk->starved = false;
}

void virtio_blk_quiesce(struct virtio_blk *blk)
{
	struct virtio_mmio *t = &blk->transport;

	for (;;) {
		unsigned int inflight;

		virtio_mmio_queue_lock(t, VIRTIO_BLK_REQUESTQ);
		inflight = blk->inflight;
		virtio_mmio_queue_unlock(t, VIRTIO_BLK_REQUESTQ);
		if (!inflight)
			return;
		disk_poll();
	}
}

static const struct virtio_mmio_device virtio_blk_device = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		    (1ULL << VIRTIO_BLK_F_FLUSH),
	.config_read = virtio_blk_config_read,
	.config_write = NULL,
	.queue_notify = virtio_blk_notify,
	.reset = virtio_blk_reset,
};

void virtio_blk_init(struct virtio_blk *blk, const char *owner, const struct virtq_guest_mem *mem,
		     paddr_t ram_pa, uint64_t first_sector, uint64_t sectors, const char *id,
		     void (*set_irq)(void *irq_ctx, bool level), void *irq_ctx)
{
	memset(blk, 0, sizeof(*blk));
	blk->ram_pa = ram_pa;
	blk->first_sector = first_sector;
	blk->sectors = sectors;
	for (size_t i = 0; i < sizeof(blk->id) && id[i]; i++)
		blk->id[i] = id[i];
	for (unsigned int i = 0; i < VIRTIO_BLK_INFLIGHT; i++) {
		blk->slot[i].blk = blk;
		blk->slot[i].req.done = virtio_blk_disk_done;
		blk->slot[i].req.ctx = &blk->slot[i];
	}
	virtio_mmio_init(&blk->transport, &virtio_blk_device, blk, owner, mem, set_irq, irq_ctx);
}
