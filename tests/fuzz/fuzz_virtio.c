/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the guest-facing virtio code: the input is a hostile
 * guest's RAM (rings, descriptor tables, request headers, frames) plus a few
 * bytes choosing queue sizes and which queues to notify. Console, block and
 * network devices process it; whatever it holds, nothing may be read or
 * written outside guest RAM or the disk (ASan), nothing undefined may happen
 * (UBSan), and every call must return.
 *
 * Guest RAM is a separate exactly-sized heap allocation, so ASan catches a
 * single byte beyond it.
 */
#include <stdlib.h>

#include <fake_arch.h>
#include <rhenium/string.h>
#include <rhenium/virtio.h>
#include <rhenium/virtio_blk.h>
#include <rhenium/virtio_console.h>
#include <rhenium/virtio_net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_IPA 0x40000000ULL
#define FUZZ_RAM_SIZE 0x1000u
#define FUZZ_QUEUE_AREA 0x100u /* per queue: descriptors, avail and used rings */
#define FUZZ_HEADER 8u

static struct virtio_console con;
static struct virtio_blk blk;
static struct virtio_net net_a, net_b;

static void fuzz_set_irq(void *ctx, bool level)
{
	(void)ctx;
	(void)level;
}

static void fuzz_output(void *ctx, const uint8_t *buf, size_t len)
{
	volatile uint8_t sink = 0;

	(void)ctx;
	for (size_t i = 0; i < len; i++)
		sink ^= buf[i]; /* touch every byte handed out */
	(void)sink;
}

static void fuzz_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, 4, v);
}

/*
 * The driver side of 3.1.1. Queue k of the whole set gets RAM [k * 0x100,
 * +0x100): descriptors at +0, avail ring at +0x80, used ring at +0xa0, so
 * that even short inputs reach the rings, and the data buffers the
 * descriptors point at are in the same small RAM.
 */
static void fuzz_bring_up(struct virtio_mmio *t, unsigned int nq, unsigned int *area,
			  const uint8_t *sizes)
{
	uint64_t features = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_F_INDIRECT_DESC);

	fuzz_write(t, VIRTIO_MMIO_STATUS, 0);
	fuzz_write(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fuzz_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fuzz_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	fuzz_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fuzz_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	fuzz_write(t, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++, (*area)++) {
		uint32_t num = 1u << (sizes[*area] % 4); /* 1..8 */
		uint64_t base = FUZZ_RAM_IPA + *area * FUZZ_QUEUE_AREA;

		fuzz_write(t, VIRTIO_MMIO_QUEUE_SEL, q);
		fuzz_write(t, VIRTIO_MMIO_QUEUE_NUM, num);
		fuzz_write(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)base);
		fuzz_write(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(base + 0x80));
		fuzz_write(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(base + 0xa0));
		fuzz_write(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	fuzz_write(t, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			   VIRTIO_STATUS_DRIVER_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac_a[6] = { 2, 0x52, 0x48, 0, 0, 1 };
	static const uint8_t mac_b[6] = { 2, 0x52, 0x48, 0, 0, 2 };
	struct virtq_guest_mem mem;
	uint8_t hdr[FUZZ_HEADER] = { 0 };
	uint8_t *ram;
	unsigned int area = 0;

	if (size > FUZZ_HEADER + FUZZ_RAM_SIZE)
		return 0;
	ram = calloc(1, FUZZ_RAM_SIZE);
	if (!ram)
		return 0;
	memcpy(hdr, data, size < FUZZ_HEADER ? size : FUZZ_HEADER);
	if (size > FUZZ_HEADER)
		memcpy(ram, data + FUZZ_HEADER, size - FUZZ_HEADER);
	mem.ipa = FUZZ_RAM_IPA;
	mem.size = FUZZ_RAM_SIZE;
	mem.va = ram;

	fake_disk_set(64, true);
	vswitch_reset();
	virtio_console_init(&con, "fuzz", &mem, fuzz_set_irq, NULL, fuzz_output, NULL);
	virtio_blk_init(&blk, "fuzz", &mem, (paddr_t)(uintptr_t)ram, 8, 32, "fuzz", fuzz_set_irq,
			NULL);
	virtio_net_init(&net_a, "a", &mem, mac_a, fuzz_set_irq, NULL);
	virtio_net_init(&net_b, "b", &mem, mac_b, fuzz_set_irq, NULL);

	/* The block queue first: its requests are the richest input. */
	fuzz_bring_up(&blk.transport, 1, &area, hdr);
	fuzz_bring_up(&con.transport, 2, &area, hdr);
	fuzz_bring_up(&net_a.transport, 2, &area, hdr);
	fuzz_bring_up(&net_b.transport, 2, &area, hdr);

	/* Every queue that can carry data towards the device, twice (state after the first pass). */
	for (unsigned int round = 0; round < 2; round++) {
		fuzz_write(&con.transport, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
		fuzz_write(&blk.transport, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		fuzz_write(&net_a.transport, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
		fuzz_write(&net_b.transport, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
		virtio_console_receive(&con, (const uint8_t *)"input", 5);
		disk_poll(); /* the disk's interrupt: completions reach the guest */
	}
	/* A reset with requests at the disk: their completions must not touch the guest. */
	fuzz_write(&blk.transport, VIRTIO_MMIO_STATUS, 0);
	virtio_blk_quiesce(&blk);
	free(ram);
	return 0;
}
