/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport with its console and network devices, driven
 * through the registers the way Linux's virtio_mmio driver does (4.2.3):
 * identification, feature negotiation, queue setup, DRIVER_OK, notify,
 * interrupt status and acknowledge; then malformed rings (NEEDS_RESET and
 * recovery by reset), refused register accesses, console output and input,
 * and frames crossing the virtual switch between two devices.
 */
#include <string.h>

#include <rhenium/virtio_console.h>
#include <rhenium/virtio_mmio.h>
#include <rhenium/virtio_net.h>

#include "test.h"
#include "virtio_test_util.h"

struct irq_env {
	bool level;
	unsigned int rises;
};

static void env_set_irq(void *ctx, bool level)
{
	struct irq_env *e = ctx;

	if (level && !e->level)
		e->rises++;
	e->level = level;
}

static uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	uint64_t v = 0xdeadbeef;

	CHECK_EQ(virtio_mmio_read(t, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	CHECK_EQ(virtio_mmio_write(t, off, 4, v), 0);
}

/* 3.1.1 driver initialisation, queues 0..nq-1 at the util's ring places. */
static void driver_init(struct virtio_mmio *t, struct tv_guest *g, unsigned int nq, uint16_t num,
			uint64_t features)
{
	wr(t, VIRTIO_MMIO_STATUS, 0);
	wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	CHECK(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++) {
		struct virtq tmp;

		tv_queue_setup(g, &tmp, q, num);
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_READY), 0);
		CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTQ_NUM_MAX);
		wr(t, VIRTIO_MMIO_QUEUE_NUM, num);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)tmp.desc_ipa);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(tmp.desc_ipa >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)tmp.avail_ipa);
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(tmp.avail_ipa >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)tmp.used_ipa);
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(tmp.used_ipa >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
		CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_READY), 1);
	}
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		   VIRTIO_STATUS_DRIVER_OK);
}

#define V1 (1ULL << VIRTIO_F_VERSION_1)

static char con_out[256];
static size_t con_out_len;

static void con_output(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len && con_out_len < sizeof(con_out) - 1; i++)
		con_out[con_out_len++] = (char)buf[i];
}

static struct virtio_console con;

static void console_setup(struct tv_guest *g, struct irq_env *irq)
{
	tv_guest_init(g);
	memset(irq, 0, sizeof(*irq));
	con_out_len = 0;
	memset(con_out, 0, sizeof(con_out));
	virtio_console_init(&con, "test", &g->mem, env_set_irq, irq, con_output, NULL);
}

TEST(virtio_mmio_identification_and_features)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;

	console_setup(&g, &irq);
	CHECK_EQ(rd(t, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(rd(t, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	CHECK(rd(t, VIRTIO_MMIO_VENDOR_ID) != 0);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(t, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(t, VIRTIO_MMIO_DEVICE_FEATURES), 1u << VIRTIO_F_INDIRECT_DESC);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ(rd(t, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* no such queue */
	CHECK_EQ(rd(t, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);

	/* A feature we never offered, or no VERSION_1 (legacy): FEATURES_OK does not stick. */
	static const uint64_t refused[] = { V1 | (1ULL << VIRTIO_CONSOLE_F_MULTIPORT), 0,
					    V1 | (1ULL << VIRTIO_F_EVENT_IDX) };
	for (unsigned int i = 0; i < 3; i++) {
		wr(t, VIRTIO_MMIO_STATUS, 0);
		wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)refused[i]);
		wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(refused[i] >> 32));
		wr(t, VIRTIO_MMIO_STATUS,
		   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		CHECK(!(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK));
	}
	driver_init(t, &g, 2, 8, V1 | (1ULL << VIRTIO_F_INDIRECT_DESC));
	CHECK(virtio_mmio_live(t));
	tv_guest_free(&g);
}

TEST(virtio_mmio_refuses_narrow_and_misaligned_register_accesses)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;
	uint64_t v;

	console_setup(&g, &irq);
	CHECK(virtio_mmio_read(t, VIRTIO_MMIO_MAGIC_VALUE, 1, &v) != 0);
	CHECK(virtio_mmio_read(t, VIRTIO_MMIO_MAGIC_VALUE, 8, &v) != 0);
	CHECK(virtio_mmio_read(t, VIRTIO_MMIO_MAGIC_VALUE + 2, 4, &v) != 0);
	CHECK(virtio_mmio_write(t, VIRTIO_MMIO_STATUS, 2, 1) != 0);
	CHECK_EQ(t->stats.bad_accesses, 4);
	/* Config space takes any size within it, and nothing beyond. */
	CHECK_EQ(virtio_mmio_read(t, VIRTIO_MMIO_CONFIG, 2, &v), 0);
	CHECK(virtio_mmio_read(t, VIRTIO_MMIO_CONFIG + 12, 1, &v) != 0);
	tv_guest_free(&g);
}

/* One output chain: "hel" + "lo" in two buffers, head 0. */
static void post_output(struct tv_guest *g)
{
	memcpy(g->ram + TV_DATA, "hel", 3);
	memcpy(g->ram + TV_DATA + 0x10, "lo", 2);
	tv_desc(g, 1, 0, tv_ipa(TV_DATA), 3, VIRTQ_DESC_F_NEXT, 1);
	tv_desc(g, 1, 1, tv_ipa(TV_DATA + 0x10), 2, 0, 0);
	tv_avail_push(g, 1, 0);
}

TEST(virtio_console_output_and_interrupts)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;

	console_setup(&g, &irq);
	/* Buffers posted before DRIVER_OK are taken when the driver sets it. */
	driver_init(t, &g, 2, 8, V1);
	post_output(&g);
	CHECK_EQ(con_out_len, 0);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK(strcmp(con_out, "hello") == 0);
	CHECK_EQ(tv_used_idx(&g, 1), 1);
	CHECK(irq.level);
	CHECK_EQ(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK(!irq.level);
	CHECK_EQ(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	/* NO_INTERRUPT: the buffer is used, the line stays low. */
	tv_avail_flags(&g, 1, VIRTQ_AVAIL_F_NO_INTERRUPT);
	post_output(&g);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(tv_used_idx(&g, 1), 2);
	CHECK(!irq.level);
	CHECK(strcmp(con_out, "hellohello") == 0);
	/* Notifying a queue that does not exist does nothing. */
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	tv_guest_free(&g);
}

TEST(virtio_console_input_goes_to_posted_buffers)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;
	uint32_t id, len;

	console_setup(&g, &irq);
	CHECK(!virtio_console_ready(&con));
	CHECK_EQ(virtio_console_receive(&con, (const uint8_t *)"ab", 2), 0);
	driver_init(t, &g, 2, 8, V1);
	CHECK(virtio_console_ready(&con));
	CHECK_EQ(virtio_console_receive(&con, (const uint8_t *)"ab", 2), 0); /* no buffers yet */
	tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 4, VIRTQ_DESC_F_WRITE, 0);
	tv_desc(&g, 0, 1, tv_ipa(TV_DATA + 0x10), 4, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(&g, 0, 0);
	tv_avail_push(&g, 0, 1);
	CHECK_EQ(virtio_console_receive(&con, (const uint8_t *)"0123456789", 10), 8);
	CHECK(memcmp(g.ram + TV_DATA, "0123", 4) == 0);
	CHECK(memcmp(g.ram + TV_DATA + 0x10, "4567", 4) == 0);
	CHECK_EQ(tv_used_idx(&g, 0), 2);
	tv_used_elem(&g, 0, 1, &id, &len);
	CHECK_EQ(id, 1);
	CHECK_EQ(len, 4);
	CHECK(irq.level);
	tv_guest_free(&g);
}

TEST(virtio_mmio_malformed_ring_needs_reset_and_recovers)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;

	console_setup(&g, &irq);
	driver_init(t, &g, 2, 8, V1);
	tv_desc(&g, 1, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 0); /* a self loop */
	tv_avail_push(&g, 1, 0);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	CHECK_EQ(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK(irq.level);
	CHECK_EQ(t->stats.errors, 1);
	CHECK(!virtio_mmio_live(t));
	CHECK_EQ(tv_used_idx(&g, 1), 0);

	/* Nothing more is processed until the reset; the driver cannot clear the bit itself. */
	post_output(&g);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(con_out_len, 0);
	wr(t, VIRTIO_MMIO_STATUS, rd(t, VIRTIO_MMIO_STATUS) & ~VIRTIO_STATUS_NEEDS_RESET);
	CHECK(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);

	wr(t, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 0);
	CHECK(!irq.level);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_READY), 0);
	memset(g.ram, 0, TV_DATA); /* the driver lays out fresh rings */
	driver_init(t, &g, 2, 8, V1);
	post_output(&g);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK(strcmp(con_out, "hello") == 0);
	tv_guest_free(&g);
}

TEST(virtio_mmio_bad_ring_address_at_queue_ready)
{
	struct tv_guest g;
	struct irq_env irq;
	struct virtio_mmio *t = &con.transport;

	console_setup(&g, &irq);
	wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(t, VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x08000000); /* the GIC distributor, not RAM */
	wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)tv_ipa(tv_avail_off(0)));
	wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)tv_ipa(tv_used_off(0)));
	wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	/* Addresses of a ready queue cannot change under the device. */
	wr(t, VIRTIO_MMIO_STATUS, 0);
	driver_init(t, &g, 2, 8, V1);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 1);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x08000000);
	CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)tv_ipa(tv_desc_off(1)));
	tv_guest_free(&g);
}

/* ---- network ---- */

static struct virtio_net net_a, net_b;

static const uint8_t mac_a[6] = { 0x02, 0x52, 0x48, 0, 0, 1 };
static const uint8_t mac_b[6] = { 0x02, 0x52, 0x48, 0, 0, 2 };

/* Posts `count` receive buffers of `size` bytes on queue 0. */
static void post_rx(struct tv_guest *g, unsigned int count, uint32_t size)
{
	for (unsigned int i = 0; i < count; i++) {
		tv_desc(g, 0, i, tv_ipa(TV_DATA + 0x10000 + i * 0x800), size, VIRTQ_DESC_F_WRITE,
			0);
		tv_avail_push(g, 0, (uint16_t)i);
	}
}

/* Sends one frame from `src` to `dst` of `len` bytes (header in its own buffer, like Linux). */
static void send_frame(struct tv_guest *g, struct virtio_net *net, const uint8_t *dst,
		       const uint8_t *src, uint32_t len, uint8_t fill)
{
	uint8_t *frame = g->ram + TV_DATA + 0x100;

	memset(g->ram + TV_DATA, 0, VIRTIO_NET_HDR_SIZE);
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	memset(frame + 12, fill, len - 12);
	tv_desc(g, 1, 0, tv_ipa(TV_DATA), VIRTIO_NET_HDR_SIZE, VIRTQ_DESC_F_NEXT, 1);
	tv_desc(g, 1, 1, tv_ipa(TV_DATA + 0x100), len, 0, 0);
	tv_avail_push(g, 1, 0);
	wr(&net->transport, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

TEST(virtio_net_frames_cross_the_switch)
{
	struct tv_guest ga, gb;
	struct irq_env ia = { 0 }, ib = { 0 };
	const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	const uint8_t nobody[6] = { 0x02, 0, 0, 0, 0, 9 };
	uint32_t id, len;
	uint64_t v;

	vswitch_reset();
	tv_guest_init(&ga);
	tv_guest_init(&gb);
	REQUIRE(virtio_net_init(&net_a, "a", &ga.mem, mac_a, env_set_irq, &ia) == 0);
	REQUIRE(virtio_net_init(&net_b, "b", &gb.mem, mac_b, env_set_irq, &ib) == 0);
	CHECK(virtio_net_init(&net_b, "dup", &gb.mem, mac_b, env_set_irq, &ib) != 0);
	vswitch_reset();
	REQUIRE(virtio_net_init(&net_a, "a", &ga.mem, mac_a, env_set_irq, &ia) == 0);
	REQUIRE(virtio_net_init(&net_b, "b", &gb.mem, mac_b, env_set_irq, &ib) == 0);

	/* The MAC and link status from config space. */
	CHECK_EQ(virtio_mmio_read(&net_b.transport, VIRTIO_MMIO_CONFIG + 5, 1, &v), 0);
	CHECK_EQ(v, 2);
	CHECK_EQ(virtio_mmio_read(&net_b.transport, VIRTIO_MMIO_CONFIG + 6, 2, &v), 0);
	CHECK_EQ(v, VIRTIO_NET_S_LINK_UP);

	driver_init(&net_a.transport, &ga, 2, 8, V1 | (1ULL << VIRTIO_NET_F_MAC));
	driver_init(&net_b.transport, &gb, 2, 8, V1 | (1ULL << VIRTIO_NET_F_MAC));
	post_rx(&gb, 2, 1526);

	send_frame(&ga, &net_a, mac_b, mac_a, 100, 0xab);
	CHECK_EQ(tv_used_idx(&ga, 1), 1); /* transmitted */
	CHECK(ia.level);
	CHECK_EQ(tv_used_idx(&gb, 0), 1); /* received */
	tv_used_elem(&gb, 0, 0, &id, &len);
	CHECK_EQ(len, VIRTIO_NET_HDR_SIZE + 100);
	CHECK_EQ(gb.ram[TV_DATA + 0x10000 + 10], 1); /* num_buffers */
	CHECK(memcmp(gb.ram + TV_DATA + 0x10000 + VIRTIO_NET_HDR_SIZE, mac_b, 6) == 0);
	CHECK_EQ(gb.ram[TV_DATA + 0x10000 + VIRTIO_NET_HDR_SIZE + 99], 0xab);
	CHECK(ib.level);
	CHECK_EQ(net_b.stats.rx_packets, 1);

	/* A forged source address, an unknown destination, an oversized frame: dropped. */
	send_frame(&ga, &net_a, mac_b, nobody, 100, 1);
	CHECK_EQ(vswitch_stats(net_a.port)->spoofed, 1);
	send_frame(&ga, &net_a, nobody, mac_a, 100, 1);
	CHECK_EQ(vswitch_stats(net_a.port)->unknown_dest, 1);
	send_frame(&ga, &net_a, mac_b, mac_a, VIRTIO_NET_FRAME_MAX + 1, 1);
	CHECK_EQ(net_a.stats.tx_dropped, 1);
	CHECK_EQ(tv_used_idx(&gb, 0), 1);
	CHECK_EQ(tv_used_idx(&ga, 1), 4); /* every transmit buffer comes back */

	/* Broadcast reaches B, not A itself; then B has no buffer left and drops. */
	send_frame(&ga, &net_a, bcast, mac_a, 60, 2);
	CHECK_EQ(tv_used_idx(&gb, 0), 2);
	CHECK_EQ(tv_used_idx(&ga, 0), 0);
	send_frame(&ga, &net_a, mac_b, mac_a, 60, 3);
	CHECK_EQ(net_b.stats.rx_dropped, 1);

	/* A receive buffer too small for the frame goes back empty. */
	tv_desc(&gb, 0, 0, tv_ipa(TV_DATA + 0x10000), 40, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(&gb, 0, 0);
	send_frame(&ga, &net_a, mac_b, mac_a, 60, 4);
	tv_used_elem(&gb, 0, 2, &id, &len);
	CHECK_EQ(len, 0);
	CHECK_EQ(net_b.stats.rx_dropped, 2);

	/* A receiver in NEEDS_RESET takes nothing, and the sender is unaffected. */
	virtio_mmio_fail(&net_b.transport, "test");
	post_rx(&gb, 1, 1526);
	send_frame(&ga, &net_a, mac_b, mac_a, 60, 5);
	CHECK_EQ(tv_used_idx(&gb, 0), 3);
	CHECK(virtio_mmio_live(&net_a.transport));
	tv_guest_free(&ga);
	tv_guest_free(&gb);
	vswitch_reset();
}
