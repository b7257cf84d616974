/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side (VIRTIO 1.2 section 2.7). Layout in guest RAM:
 *   descriptor table: num x { le64 addr; le32 len; le16 flags; le16 next; }
 *   avail ring:       le16 flags; le16 idx; le16 ring[num]; (le16 used_event)
 *   used ring:        le16 flags; le16 idx; { le32 id; le32 len; } ring[num]; (le16 avail_event)
 * Both sides run little-endian (Rhenium only supports little-endian guests).
 */
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtq.h>

#define VIRTQ_DESC_SIZE 16u

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Host pointer to [ipa, ipa + len) if it lies entirely in guest RAM, else NULL. */
static uint8_t *virtq_guest_ptr(const struct virtq_guest_mem *mem, uint64_t ipa, uint64_t len)
{
	uint64_t off;

	if (ipa < mem->ipa)
		return NULL;
	off = ipa - mem->ipa;
	if (off > mem->size || len > mem->size - off)
		return NULL;
	return mem->va + off;
}

/* The driver writes these concurrently: one relaxed 16-bit load each, never re-read. */
static uint16_t virtq_load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_enable(struct virtq *q, const struct virtq_guest_mem *mem)
{
	uint64_t num = q->num;

	q->ready = false;
	if (num == 0 || num > VIRTQ_NUM_MAX || (num & (num - 1)))
		return VIRTQ_ERR_NUM;
	if ((q->desc_ipa & 15) || (q->avail_ipa & 1) || (q->used_ipa & 3))
		return VIRTQ_ERR_RING_ALIGN;
	/* The event fields (used_event, avail_event) are counted although we never use them. */
	q->desc = virtq_guest_ptr(mem, q->desc_ipa, num * VIRTQ_DESC_SIZE);
	q->avail = virtq_guest_ptr(mem, q->avail_ipa, 6 + 2 * num);
	q->used = virtq_guest_ptr(mem, q->used_ipa, 6 + 8 * num);
	if (!q->desc || !q->avail || !q->used)
		return VIRTQ_ERR_RING_RANGE;
	q->mem = mem;
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

static uint16_t virtq_avail_idx(const struct virtq *q)
{
	/* Acquire: the ring entries and descriptors the index publishes are read after it. */
	return __atomic_load_n((const uint16_t *)(const void *)(q->avail + 2), __ATOMIC_ACQUIRE);
}

bool virtq_has_avail(const struct virtq *q)
{
	return q->ready && virtq_avail_idx(q) != q->last_avail;
}

static void virtq_read_desc(const uint8_t *table, unsigned int index, struct virtq_desc *d)
{
	const uint8_t *p = table + (size_t)index * VIRTQ_DESC_SIZE;

	/* Indirect tables need no alignment, so copy bytes rather than cast. */
	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
}

static int virtq_add_buf(const struct virtq *q, struct virtq_chain *chain,
			 const struct virtq_desc *d)
{
	bool writes = d->flags & VIRTQ_DESC_F_WRITE;
	struct virtq_buf *b;
	uint8_t *va;

	va = virtq_guest_ptr(q->mem, d->addr, d->len);
	if (!va)
		return VIRTQ_ERR_BUF_RANGE;
	if (!writes && chain->n > chain->readable)
		return VIRTQ_ERR_ORDER;
	if (chain->n == VIRTQ_CHAIN_MAX)
		return VIRTQ_ERR_CHAIN_LONG;
	b = &chain->buf[chain->n++];
	b->ipa = d->addr;
	b->va = va;
	b->len = d->len;
	b->device_writes = writes;
	if (writes) {
		chain->writable_len += d->len;
	} else {
		chain->readable++;
		chain->readable_len += d->len;
	}
	return 0;
}

int virtq_pop(struct virtq *q, struct virtq_chain *chain)
{
	const uint8_t *table;
	unsigned int table_num, seen = 0;
	bool indirect = false;
	uint16_t avail_idx, index;
	struct virtq_desc d;
	int ret;

	if (!q->ready)
		return VIRTQ_ERR_NOT_READY;
	avail_idx = virtq_avail_idx(q);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->num)
		return VIRTQ_ERR_AVAIL_IDX;

	chain->n = 0;
	chain->readable = 0;
	chain->readable_len = 0;
	chain->writable_len = 0;
	index = virtq_load16(q->avail + 4 + 2 * (q->last_avail & (q->num - 1)));
	chain->head = index;
	table = q->desc;
	table_num = q->num;
	if (index >= table_num)
		return VIRTQ_ERR_INDEX;

	for (;;) {
		/* A chain visits each descriptor of its table at most once; more is a loop. */
		if (++seen > table_num)
			return VIRTQ_ERR_LOOP;
		virtq_read_desc(table, index, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3: no nesting, no NEXT beside INDIRECT, whole descriptors. */
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 ||
			    d.len % VIRTQ_DESC_SIZE || d.len / VIRTQ_DESC_SIZE > VIRTQ_INDIRECT_MAX)
				return VIRTQ_ERR_INDIRECT;
			table = virtq_guest_ptr(q->mem, d.addr, d.len);
			if (!table)
				return VIRTQ_ERR_INDIRECT;
			indirect = true;
			table_num = d.len / VIRTQ_DESC_SIZE;
			index = 0;
			seen = 0;
			continue;
		}
		ret = virtq_add_buf(q, chain, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		index = d.next;
		if (index >= table_num)
			return VIRTQ_ERR_INDEX;
	}
	q->last_avail++;
	return 1;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *elem;
	uint32_t id = head;

	if (!q->ready)
		return;
	elem = q->used + 4 + 8 * (q->used_idx & (q->num - 1));
	memcpy(elem, &id, 4);
	memcpy(elem + 4, &written, 4);
	q->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(void *)(q->used + 2), q->used_idx, __ATOMIC_RELEASE);
}

bool virtq_wants_interrupt(const struct virtq *q)
{
	/* Full barrier: our used->idx store is ordered before reading the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return q->ready && !(virtq_load16(q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Copies between `buf` and the chain's readable (to_guest false) or writable part from `off`. */
static size_t virtq_chain_copy(const struct virtq_chain *chain, bool to_guest, uint64_t off,
			       uint8_t *buf, size_t len)
{
	unsigned int first = to_guest ? chain->readable : 0;
	unsigned int last = to_guest ? chain->n : chain->readable;
	size_t done = 0;

	for (unsigned int i = first; i < last && done < len; i++) {
		const struct virtq_buf *b = &chain->buf[i];
		size_t n;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = MIN((size_t)(b->len - off), len - done);
		if (to_guest)
			memcpy(b->va + off, buf + done, n);
		else
			memcpy(buf + done, b->va + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t off, void *dst, size_t len)
{
	return virtq_chain_copy(chain, false, off, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t off, const void *src, size_t len)
{
	/* The cast only serves the shared walk: nothing is written through src. */
	return virtq_chain_copy(chain, true, off, (uint8_t *)(uintptr_t)src, len);
}

const char *virtq_error_name(int err)
{
	switch (err) {
	case VIRTQ_ERR_RING_RANGE:
		return "ring outside guest RAM";
	case VIRTQ_ERR_RING_ALIGN:
		return "misaligned ring";
	case VIRTQ_ERR_NUM:
		return "bad queue size";
	case VIRTQ_ERR_AVAIL_IDX:
		return "avail index too far ahead";
	case VIRTQ_ERR_INDEX:
		return "descriptor index out of range";
	case VIRTQ_ERR_LOOP:
		return "descriptor loop";
	case VIRTQ_ERR_CHAIN_LONG:
		return "chain too long";
	case VIRTQ_ERR_BUF_RANGE:
		return "buffer outside guest RAM";
	case VIRTQ_ERR_INDIRECT:
		return "bad indirect table";
	case VIRTQ_ERR_ORDER:
		return "readable buffer after writable";
	case VIRTQ_ERR_NOT_READY:
		return "queue not ready";
	default:
		return "unknown error";
	}
}
