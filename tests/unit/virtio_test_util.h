/* SPDX-License-Identifier: MIT */
/*
 * A guest's side of split virtqueues for the virtio unit tests: guest RAM is
 * a host buffer seen at IPA TV_RAM_IPA, and each queue q has its descriptor
 * table, avail ring and used ring at fixed places in it, like a driver would
 * lay them out. Data buffers go from TV_DATA on.
 */
#ifndef RHENIUM_VIRTIO_TEST_UTIL_H
#define RHENIUM_VIRTIO_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include <rhenium/virtio.h>
#include <rhenium/virtq.h>

#define TV_RAM_IPA 0x40000000ULL
#define TV_RAM_SIZE (1u << 20)
#define TV_DATA 0x40000u /* offset of the data area */

struct tv_guest {
	uint8_t *ram;
	struct virtq_guest_mem mem;
	uint16_t avail_idx[4];
	uint16_t num[4];
};

static inline uint64_t tv_desc_off(unsigned int q)
{
	return 0x1000u + q * 0x4000u;
}

static inline uint64_t tv_avail_off(unsigned int q)
{
	return tv_desc_off(q) + 0x1000u;
}

static inline uint64_t tv_used_off(unsigned int q)
{
	return tv_desc_off(q) + 0x2000u;
}

static inline void tv_guest_init(struct tv_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->ram = calloc(1, TV_RAM_SIZE);
	g->mem.ipa = TV_RAM_IPA;
	g->mem.size = TV_RAM_SIZE;
	g->mem.va = g->ram;
}

static inline void tv_guest_free(struct tv_guest *g)
{
	free(g->ram);
	g->ram = NULL;
}

/* Points a struct virtq at queue q's rings, as the transport would after the driver's writes. */
static inline void tv_queue_setup(struct tv_guest *g, struct virtq *vq, unsigned int q,
				  uint16_t num)
{
	virtq_reset(vq);
	vq->num = num;
	vq->desc_ipa = TV_RAM_IPA + tv_desc_off(q);
	vq->avail_ipa = TV_RAM_IPA + tv_avail_off(q);
	vq->used_ipa = TV_RAM_IPA + tv_used_off(q);
	g->num[q] = num;
	g->avail_idx[q] = 0;
}

static inline void tv_desc(struct tv_guest *g, unsigned int q, unsigned int i, uint64_t addr,
			   uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = g->ram + tv_desc_off(q) + 16u * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* A descriptor in an indirect table at guest offset `table`. */
static inline void tv_indirect_desc(struct tv_guest *g, uint64_t table, unsigned int i,
				    uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = g->ram + table + 16u * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static inline void tv_avail_push(struct tv_guest *g, unsigned int q, uint16_t head)
{
	uint8_t *avail = g->ram + tv_avail_off(q);
	uint16_t idx = g->avail_idx[q];

	memcpy(avail + 4 + 2 * (idx % g->num[q]), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
	g->avail_idx[q] = idx;
}

static inline void tv_avail_set_idx(struct tv_guest *g, unsigned int q, uint16_t idx)
{
	memcpy(g->ram + tv_avail_off(q) + 2, &idx, 2);
	g->avail_idx[q] = idx;
}

static inline void tv_avail_flags(struct tv_guest *g, unsigned int q, uint16_t flags)
{
	memcpy(g->ram + tv_avail_off(q), &flags, 2);
}

static inline uint16_t tv_used_idx(const struct tv_guest *g, unsigned int q)
{
	uint16_t idx;

	memcpy(&idx, g->ram + tv_used_off(q) + 2, 2);
	return idx;
}

static inline void tv_used_elem(const struct tv_guest *g, unsigned int q, unsigned int i,
				uint32_t *id, uint32_t *len)
{
	const uint8_t *e = g->ram + tv_used_off(q) + 4 + 8u * (i % g->num[q]);

	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
}

static inline uint64_t tv_ipa(uint64_t off)
{
	return TV_RAM_IPA + off;
}

#endif
