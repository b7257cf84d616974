/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues, device side: well-formed chains (direct, indirect,
 * mixed, split across buffers), every malformed-ring case the code must
 * refuse, index wrap-around, and random descriptor tables that must never
 * yield a buffer outside guest RAM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rhenium/virtq.h>

#include "test.h"
#include "virtio_test_util.h"

static struct virtq_chain chain;

static unsigned int lcg(unsigned int *state)
{
	*state = *state * 1103515245u + 12345u;
	return *state >> 8;
}

static void setup(struct tv_guest *g, struct virtq *vq, uint16_t num)
{
	tv_guest_init(g);
	tv_queue_setup(g, vq, 0, num);
}

TEST(virtq_enable_checks_size_alignment_and_range)
{
	struct tv_guest g;
	struct virtq vq;

	setup(&g, &vq, 8);
	CHECK_EQ(virtq_enable(&vq, &g.mem), 0);
	CHECK(vq.ready);

	static const uint16_t bad_nums[] = { 0, 3, 12, 512 };
	for (unsigned int i = 0; i < sizeof(bad_nums) / sizeof(bad_nums[0]); i++) {
		tv_queue_setup(&g, &vq, 0, bad_nums[i]);
		CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_NUM);
		CHECK(!vq.ready);
	}

	tv_queue_setup(&g, &vq, 0, 8);
	vq.desc_ipa += 8;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_ALIGN);
	tv_queue_setup(&g, &vq, 0, 8);
	vq.avail_ipa += 1;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_ALIGN);
	tv_queue_setup(&g, &vq, 0, 8);
	vq.used_ipa += 2;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_ALIGN);

	/* Below RAM, past it, straddling its end, and wrapping around 2^64. */
	tv_queue_setup(&g, &vq, 0, 8);
	vq.desc_ipa = TV_RAM_IPA - 0x1000;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_RANGE);
	tv_queue_setup(&g, &vq, 0, 8);
	vq.avail_ipa = TV_RAM_IPA + TV_RAM_SIZE;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_RANGE);
	tv_queue_setup(&g, &vq, 0, 8);
	vq.used_ipa = TV_RAM_IPA + TV_RAM_SIZE - 8; /* needs 6 + 8 * 8 bytes */
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_RANGE);
	tv_queue_setup(&g, &vq, 0, 8);
	vq.desc_ipa = 0xfffffffffffffff0ULL;
	CHECK_EQ(virtq_enable(&vq, &g.mem), VIRTQ_ERR_RING_RANGE);

	/* A used ring ending 2 bytes before the end of RAM (the nearest aligned place) is fine. */
	tv_queue_setup(&g, &vq, 0, 8);
	vq.used_ipa = TV_RAM_IPA + TV_RAM_SIZE - (6 + 8 * 8) - 2; /* 4-byte aligned */
	CHECK_EQ(virtq_enable(&vq, &g.mem), 0);
	tv_guest_free(&g);
}

TEST(virtq_pop_direct_chain_and_push)
{
	struct tv_guest g;
	struct virtq vq;
	uint32_t id, len;

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	CHECK_EQ(virtq_pop(&vq, &chain), 0);
	CHECK(!virtq_has_avail(&vq));

	tv_desc(&g, 0, 5, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 2);
	tv_desc(&g, 0, 2, tv_ipa(TV_DATA + 0x100), 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 7);
	tv_desc(&g, 0, 7, tv_ipa(TV_DATA + 0x400), 1, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(&g, 0, 5);
	CHECK(virtq_has_avail(&vq));
	REQUIRE(virtq_pop(&vq, &chain) == 1);
	CHECK_EQ(chain.head, 5);
	CHECK_EQ(chain.n, 3);
	CHECK_EQ(chain.readable, 1);
	CHECK_EQ(chain.readable_len, 16);
	CHECK_EQ(chain.writable_len, 513);
	CHECK_EQ(chain.buf[1].ipa, tv_ipa(TV_DATA + 0x100));
	CHECK(chain.buf[1].va == g.ram + TV_DATA + 0x100);
	CHECK(chain.buf[2].device_writes);
	CHECK_EQ(virtq_pop(&vq, &chain), 0);

	virtq_push(&vq, 5, 513);
	CHECK_EQ(tv_used_idx(&g, 0), 1);
	tv_used_elem(&g, 0, 0, &id, &len);
	CHECK_EQ(id, 5);
	CHECK_EQ(len, 513);
	tv_guest_free(&g);
}

TEST(virtq_indices_wrap_around_16_bits)
{
	struct tv_guest g;
	struct virtq vq;
	uint32_t id, len;

	setup(&g, &vq, 4);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	vq.last_avail = 0xfffe;
	vq.used_idx = 0xfffe;
	tv_avail_set_idx(&g, 0, 0xfffe);
	tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 8, 0, 0);
	for (unsigned int i = 0; i < 4; i++) {
		tv_avail_push(&g, 0, 0);
		REQUIRE(virtq_pop(&vq, &chain) == 1);
		virtq_push(&vq, chain.head, 8);
	}
	CHECK_EQ(vq.last_avail, 2);
	CHECK_EQ(tv_used_idx(&g, 0), 2);
	tv_used_elem(&g, 0, 1, &id, &len);
	CHECK_EQ(len, 8);
	tv_guest_free(&g);
}

TEST(virtq_indirect_table)
{
	struct tv_guest g;
	struct virtq vq;
	const uint64_t table = TV_DATA + 0x1003; /* indirect tables need no alignment */

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	tv_indirect_desc(&g, table, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 2);
	tv_indirect_desc(&g, table, 2, tv_ipa(TV_DATA + 0x200), 4096,
			 VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	tv_indirect_desc(&g, table, 1, tv_ipa(TV_DATA + 0x2000), 1, VIRTQ_DESC_F_WRITE, 0);
	tv_desc(&g, 0, 3, tv_ipa(table), 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	tv_avail_push(&g, 0, 3);
	REQUIRE(virtq_pop(&vq, &chain) == 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.n, 3);
	CHECK_EQ(chain.readable, 1);
	CHECK_EQ(chain.writable_len, 4097);

	/* Direct descriptors leading into an indirect table are fine too. */
	tv_desc(&g, 0, 4, tv_ipa(TV_DATA + 0x3000), 16, VIRTQ_DESC_F_NEXT, 3);
	tv_indirect_desc(&g, table, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 2);
	tv_avail_push(&g, 0, 4);
	REQUIRE(virtq_pop(&vq, &chain) == 1);
	CHECK_EQ(chain.n, 4);
	CHECK_EQ(chain.readable, 2);
	tv_guest_free(&g);
}

/* Pops one chain headed at descriptor 0 and returns the result. */
static int pop_head0(struct tv_guest *g, struct virtq *vq)
{
	tv_avail_push(g, 0, 0);
	return virtq_pop(vq, &chain);
}

TEST(virtq_malformed_chains_are_refused)
{
	struct tv_guest g;
	struct virtq vq;
	const uint64_t table = TV_DATA + 0x8000;

	struct {
		const char *what;
		int expect;
	} cases[] = {
		{ "buffer below RAM", VIRTQ_ERR_BUF_RANGE },
		{ "buffer past RAM", VIRTQ_ERR_BUF_RANGE },
		{ "buffer straddling the end of RAM", VIRTQ_ERR_BUF_RANGE },
		{ "buffer wrapping 2^64", VIRTQ_ERR_BUF_RANGE },
		{ "buffer in the MMIO hole (GICD)", VIRTQ_ERR_BUF_RANGE },
		{ "next past the table", VIRTQ_ERR_INDEX },
		{ "two-descriptor loop", VIRTQ_ERR_LOOP },
		{ "self loop", VIRTQ_ERR_LOOP },
		{ "readable after writable", VIRTQ_ERR_ORDER },
		{ "indirect length not a multiple of 16", VIRTQ_ERR_INDIRECT },
		{ "indirect length 0", VIRTQ_ERR_INDIRECT },
		{ "indirect table outside RAM", VIRTQ_ERR_INDIRECT },
		{ "indirect with NEXT", VIRTQ_ERR_INDIRECT },
		{ "nested indirect", VIRTQ_ERR_INDIRECT },
		{ "indirect table too large", VIRTQ_ERR_INDIRECT },
		{ "loop inside an indirect table", VIRTQ_ERR_LOOP },
		{ "next past an indirect table", VIRTQ_ERR_INDEX },
		{ "chain longer than VIRTQ_CHAIN_MAX", VIRTQ_ERR_CHAIN_LONG },
	};

	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		setup(&g, &vq, 8);
		REQUIRE(virtq_enable(&vq, &g.mem) == 0);
		switch (c) {
		case 0:
			tv_desc(&g, 0, 0, TV_RAM_IPA - 16, 16, 0, 0);
			break;
		case 1:
			tv_desc(&g, 0, 0, TV_RAM_IPA + TV_RAM_SIZE, 1, 0, 0);
			break;
		case 2:
			tv_desc(&g, 0, 0, TV_RAM_IPA + TV_RAM_SIZE - 100, 101, 0, 0);
			break;
		case 3:
			tv_desc(&g, 0, 0, 0xffffffffffffff00ULL, 0x200, 0, 0);
			break;
		case 4:
			tv_desc(&g, 0, 0, 0x08000000, 4, VIRTQ_DESC_F_WRITE, 0);
			break;
		case 5:
			tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 8);
			break;
		case 6:
			tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 1);
			tv_desc(&g, 0, 1, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 0);
			break;
		case 7:
			tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 16, VIRTQ_DESC_F_NEXT, 0);
			break;
		case 8:
			tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 16,
				VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
			tv_desc(&g, 0, 1, tv_ipa(TV_DATA), 16, 0, 0);
			break;
		case 9:
			tv_desc(&g, 0, 0, tv_ipa(table), 24, VIRTQ_DESC_F_INDIRECT, 0);
			break;
		case 10:
			tv_desc(&g, 0, 0, tv_ipa(table), 0, VIRTQ_DESC_F_INDIRECT, 0);
			break;
		case 11:
			tv_desc(&g, 0, 0, TV_RAM_IPA + TV_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT,
				0);
			break;
		case 12:
			tv_desc(&g, 0, 0, tv_ipa(table), 32,
				VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
			tv_desc(&g, 0, 1, tv_ipa(TV_DATA), 16, 0, 0);
			break;
		case 13:
			tv_desc(&g, 0, 0, tv_ipa(table), 16, VIRTQ_DESC_F_INDIRECT, 0);
			tv_indirect_desc(&g, table, 0, tv_ipa(table), 16, VIRTQ_DESC_F_INDIRECT, 0);
			break;
		case 14:
			tv_desc(&g, 0, 0, tv_ipa(table), 16 * (VIRTQ_INDIRECT_MAX + 1),
				VIRTQ_DESC_F_INDIRECT, 0);
			break;
		case 15:
			tv_desc(&g, 0, 0, tv_ipa(table), 32, VIRTQ_DESC_F_INDIRECT, 0);
			tv_indirect_desc(&g, table, 0, tv_ipa(TV_DATA), 8, VIRTQ_DESC_F_NEXT, 1);
			tv_indirect_desc(&g, table, 1, tv_ipa(TV_DATA), 8, VIRTQ_DESC_F_NEXT, 0);
			break;
		case 16:
			tv_desc(&g, 0, 0, tv_ipa(table), 32, VIRTQ_DESC_F_INDIRECT, 0);
			tv_indirect_desc(&g, table, 0, tv_ipa(TV_DATA), 8, VIRTQ_DESC_F_NEXT, 2);
			break;
		case 17:
			/* One direct descriptor, then a full indirect table: one more than allowed. */
			tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 8, VIRTQ_DESC_F_NEXT, 1);
			tv_desc(&g, 0, 1, tv_ipa(table), 16 * VIRTQ_INDIRECT_MAX,
				VIRTQ_DESC_F_INDIRECT, 0);
			for (unsigned int i = 0; i < VIRTQ_INDIRECT_MAX; i++)
				tv_indirect_desc(&g, table, i, tv_ipa(TV_DATA), 8,
						 i + 1 < VIRTQ_INDIRECT_MAX ? VIRTQ_DESC_F_NEXT : 0,
						 (uint16_t)(i + 1));
			break;
		}
		int ret = pop_head0(&g, &vq);
		if (ret != cases[c].expect)
			fprintf(stderr, "  case '%s': got %d (%s), want %d\n", cases[c].what, ret,
				virtq_error_name(ret), cases[c].expect);
		CHECK_EQ(ret, cases[c].expect);
		/* Nothing was taken: the device stops here, it does not skip. */
		CHECK_EQ(vq.last_avail, 0);
		tv_guest_free(&g);
	}
}

TEST(virtq_bad_head_and_runaway_avail_index)
{
	struct tv_guest g;
	struct virtq vq;

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	tv_avail_push(&g, 0, 8);
	CHECK_EQ(virtq_pop(&vq, &chain), VIRTQ_ERR_INDEX);
	tv_guest_free(&g);

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 8, 0, 0);
	tv_avail_set_idx(&g, 0, 9); /* 9 chains in an 8-entry ring */
	CHECK_EQ(virtq_pop(&vq, &chain), VIRTQ_ERR_AVAIL_IDX);
	tv_avail_set_idx(&g, 0, 8); /* exactly full is fine */
	CHECK_EQ(virtq_pop(&vq, &chain), 1);

	virtq_reset(&vq);
	CHECK_EQ(virtq_pop(&vq, &chain), VIRTQ_ERR_NOT_READY);
	tv_guest_free(&g);
}

TEST(virtq_chain_gather_and_scatter)
{
	struct tv_guest g;
	struct virtq vq;
	uint8_t out[64];
	char msg[] = "0123456789abcdefghij";

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	memcpy(g.ram + TV_DATA, "0123", 4);
	memcpy(g.ram + TV_DATA + 0x100, "456789abcdefghij", 16);
	tv_desc(&g, 0, 0, tv_ipa(TV_DATA), 4, VIRTQ_DESC_F_NEXT, 1);
	tv_desc(&g, 0, 1, tv_ipa(TV_DATA + 0x100), 16, VIRTQ_DESC_F_NEXT, 2);
	tv_desc(&g, 0, 2, tv_ipa(TV_DATA + 0x200), 3, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	tv_desc(&g, 0, 3, tv_ipa(TV_DATA + 0x300), 10, VIRTQ_DESC_F_WRITE, 0);
	tv_avail_push(&g, 0, 0);
	REQUIRE(virtq_pop(&vq, &chain) == 1);

	memset(out, 0, sizeof(out));
	CHECK_EQ(virtq_chain_read(&chain, 2, out, sizeof(out)), 18);
	CHECK(memcmp(out, "23456789abcdefghij", 18) == 0);
	CHECK_EQ(virtq_chain_read(&chain, 20, out, 4), 0);

	CHECK_EQ(virtq_chain_write(&chain, 1, msg, sizeof(msg) - 1), 12);
	CHECK(memcmp(g.ram + TV_DATA + 0x201, "01", 2) == 0);
	CHECK(memcmp(g.ram + TV_DATA + 0x300, "23456789ab", 10) == 0);
	/* The readable buffers are never written. */
	CHECK(memcmp(g.ram + TV_DATA, "0123", 4) == 0);
	tv_guest_free(&g);
}

TEST(virtq_interrupt_suppression_flag)
{
	struct tv_guest g;
	struct virtq vq;

	setup(&g, &vq, 8);
	REQUIRE(virtq_enable(&vq, &g.mem) == 0);
	CHECK(virtq_wants_interrupt(&vq));
	tv_avail_flags(&g, 0, VIRTQ_AVAIL_F_NO_INTERRUPT);
	CHECK(!virtq_wants_interrupt(&vq));
	tv_guest_free(&g);
}

/*
 * Random descriptor tables and avail rings (a hostile guest's memory):
 * whatever virtq_pop returns, every buffer it hands out lies inside RAM.
 */
TEST(virtq_random_rings_stay_inside_guest_ram)
{
	struct tv_guest g;
	struct virtq vq;
	unsigned int seed = 12345, popped = 0, errors = 0;

	setup(&g, &vq, 16);
	for (unsigned int round = 0; round < 3000; round++) {
		tv_queue_setup(&g, &vq, 0, 16);
		REQUIRE(virtq_enable(&vq, &g.mem) == 0);
		for (unsigned int i = 0; i < 16; i++) {
			/* Mostly plausible values, so chains get long before they break. */
			uint64_t addr = (lcg(&seed) % 4) ? tv_ipa(lcg(&seed) % TV_RAM_SIZE)
							 : ((uint64_t)lcg(&seed) << 33);
			uint32_t len = (lcg(&seed) % 4) ? lcg(&seed) % 8192 : lcg(&seed);
			uint16_t flags = (uint16_t)(lcg(&seed) & 7);
			uint16_t next = (uint16_t)(lcg(&seed) % 20);

			if (flags & VIRTQ_DESC_F_INDIRECT && lcg(&seed) % 2)
				addr = tv_ipa(tv_desc_off(0) + 16 * (lcg(&seed) % 16));
			tv_desc(&g, 0, i, addr, len, flags, next);
		}
		tv_avail_set_idx(&g, 0, (uint16_t)(lcg(&seed) % 20));
		memcpy(g.ram + tv_avail_off(0) + 4, (uint16_t[]){ lcg(&seed) % 17 }, 2);
		int ret = virtq_pop(&vq, &chain);
		if (ret < 0) {
			errors++;
			continue;
		}
		if (ret == 0)
			continue;
		popped++;
		for (unsigned int i = 0; i < chain.n; i++) {
			const struct virtq_buf *b = &chain.buf[i];

			CHECK(b->ipa >= TV_RAM_IPA);
			CHECK(b->ipa - TV_RAM_IPA + b->len <= TV_RAM_SIZE);
			CHECK(b->va == g.ram + (b->ipa - TV_RAM_IPA));
		}
	}
	/* The generator must exercise both outcomes, or this test proves nothing. */
	CHECK(popped > 100);
	CHECK(errors > 100);
	tv_guest_free(&g);
}
