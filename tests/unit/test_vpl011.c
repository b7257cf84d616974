/* SPDX-License-Identifier: MIT */
/*
 * Emulated PL011, driven with the register sequences Linux uses: the AMBA
 * bus ID probe (32-bit reads), amba-pl011's probe/startup/set_termios and
 * interrupt handler (16-bit accesses), and the pl011 earlycon (8-bit writes
 * to UARTDR, 32-bit UARTFR polls). The environment records transmitted
 * bytes and every interrupt edge.
 */
#include <string.h>

#include <rhenium/vpl011.h>

#include "test.h"

struct env {
	struct vpl011 uart;
	char out[256];
	unsigned int out_len;
	bool level;
	unsigned int rises;
	unsigned int falls;
	unsigned int redundant; /* set_irq called without a change: must never happen */
};

static void env_tx(void *ctx, uint8_t c)
{
	struct env *e = ctx;

	if (e->out_len < sizeof(e->out) - 1)
		e->out[e->out_len++] = (char)c;
}

static void env_set_irq(void *ctx, bool level)
{
	struct env *e = ctx;

	if (level == e->level)
		e->redundant++;
	e->level = level;
	if (level)
		e->rises++;
	else
		e->falls++;
}

static const struct vpl011_ops env_ops = { env_tx, env_set_irq };

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	vpl011_init(&e->uart, &env_ops, e);
}

/* The invariants of docs/vpl011.md, checked after every access. */
static void env_check(const struct env *e)
{
	const struct vpl011 *u = &e->uart;

	CHECK_EQ(u->irq_level, (u->ris & u->imsc) != 0);
	CHECK_EQ(e->level, u->irq_level);
	CHECK(u->fifo_count <= VPL011_FIFO_DEPTH);
	if (u->fifo_count == 0)
		CHECK_EQ(u->ris & (VPL011_INT_RT | VPL011_INT_RX), 0);
	CHECK_EQ(e->redundant, 0);
}

static uint64_t rd(struct env *e, uint64_t off, unsigned int size)
{
	uint64_t v = 0xdeadbeef;

	if (vpl011_read(&e->uart, off, size, &v) != 0)
		v = 0xbad;
	env_check(e);
	return v;
}

static void wr(struct env *e, uint64_t off, unsigned int size, uint64_t v)
{
	CHECK(vpl011_write(&e->uart, off, size, v) == 0);
	env_check(e);
}

/* What amba-pl011 does from probe to the end of startup (Linux 6.x), with readw/writew. */
static void linux_startup(struct env *e)
{
	unsigned int cr;

	/* pl011_register_port */
	wr(e, VPL011_IMSC, 2, 0);
	wr(e, VPL011_ICR, 2, 0xffff);
	/* pl011_set_termios for 115200 8N1 at a 24 MHz clock, FIFOs on */
	wr(e, VPL011_FBRD, 2, 0x1);
	wr(e, VPL011_IBRD, 2, 0xd);
	wr(e, VPL011_LCR_H, 2, VPL011_LCR_H_WLEN8 | VPL011_LCR_H_FEN);
	wr(e, VPL011_CR, 2, rd(e, VPL011_CR, 2) & ~0xc000U);
	/* pl011_hwinit */
	wr(e, VPL011_ICR, 2,
	   VPL011_INT_OE | VPL011_INT_BE | VPL011_INT_PE | VPL011_INT_FE | VPL011_INT_RT |
		   VPL011_INT_RX);
	(void)rd(e, VPL011_IMSC, 2);
	wr(e, VPL011_IMSC, 2, VPL011_INT_RT | VPL011_INT_RX);
	/* pl011_startup */
	wr(e, VPL011_IFLS, 2, 0x12);
	cr = (unsigned int)rd(e, VPL011_CR, 2) & (VPL011_CR_RTS | VPL011_CR_DTR);
	wr(e, VPL011_CR, 2, cr | VPL011_CR_UARTEN | VPL011_CR_RXE | VPL011_CR_TXE);
	(void)rd(e, VPL011_FR, 2);
	/* pl011_enable_interrupts: clear, drain, unmask RX */
	wr(e, VPL011_ICR, 2, VPL011_INT_RT | VPL011_INT_RX);
	for (unsigned int i = 0; i < 64 && !(rd(e, VPL011_FR, 2) & VPL011_FR_RXFE); i++)
		(void)rd(e, VPL011_DR, 2);
	wr(e, VPL011_IMSC, 2, VPL011_INT_RT | VPL011_INT_RX);
}

/* Linux's pl011_int: read RIS & im, ack everything but TX/RT/RX, read RX until empty. */
static unsigned int linux_irq(struct env *e, char *buf, unsigned int max)
{
	unsigned int n = 0;
	unsigned int status =
		(unsigned int)rd(e, VPL011_RIS, 2) & (unsigned int)rd(e, VPL011_IMSC, 2);

	while (status) {
		wr(e, VPL011_ICR, 2, status & ~(VPL011_INT_TX | VPL011_INT_RT | VPL011_INT_RX));
		if (status & (VPL011_INT_RT | VPL011_INT_RX)) {
			while (!(rd(e, VPL011_FR, 2) & VPL011_FR_RXFE) && n < max)
				buf[n++] = (char)(rd(e, VPL011_DR, 2) & 0xff);
		}
		status = (unsigned int)rd(e, VPL011_RIS, 2) & (unsigned int)rd(e, VPL011_IMSC, 2);
	}
	return n;
}

TEST(vpl011_amba_id_probe)
{
	struct env e;
	uint32_t pid = 0, cid = 0;

	env_init(&e);
	/* drivers/amba/bus.c: the low byte of each 32-bit word at the end of the frame */
	for (unsigned int i = 0; i < 4; i++) {
		pid |= (uint32_t)(rd(&e, 0x1000 - 0x20 + 4 * i, 4) & 255) << (i * 8);
		cid |= (uint32_t)(rd(&e, 0x1000 - 0x10 + 4 * i, 4) & 255) << (i * 8);
	}
	CHECK_EQ(pid, 0x00341011);
	CHECK_EQ(cid, 0xb105f00d);
	/* amba-pl011's id table entry, and the revision that selects 32-byte FIFOs */
	CHECK_EQ(pid & 0x000fffff, 0x00041011);
	CHECK_EQ((pid >> 20) & 0xf, 3);
	/* Narrow reads of the same registers */
	CHECK_EQ(rd(&e, VPL011_PERIPHID0 + 8, 1), 0x34);
	CHECK_EQ(rd(&e, VPL011_PCELLID0 + 12, 2), 0xb1);
	CHECK_EQ(rd(&e, VPL011_PCELLID0 + 13, 1), 0);
	CHECK_EQ(e.uart.stats.unknown_reads, 0);
}

TEST(vpl011_reset_values)
{
	struct env e;

	env_init(&e);
	CHECK_EQ(rd(&e, VPL011_CR, 4), 0x300);
	CHECK_EQ(rd(&e, VPL011_IFLS, 4), 0x12);
	CHECK_EQ(rd(&e, VPL011_FR, 4),
		 VPL011_FR_TXFE | VPL011_FR_RXFE | VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD);
	CHECK_EQ(rd(&e, VPL011_LCR_H, 4), 0);
	CHECK_EQ(rd(&e, VPL011_IBRD, 4), 0);
	CHECK_EQ(rd(&e, VPL011_FBRD, 4), 0);
	CHECK_EQ(rd(&e, VPL011_ILPR, 4), 0);
	CHECK_EQ(rd(&e, VPL011_IMSC, 4), 0);
	CHECK_EQ(rd(&e, VPL011_RIS, 4), 0);
	CHECK_EQ(rd(&e, VPL011_MIS, 4), 0);
	CHECK_EQ(rd(&e, VPL011_DMACR, 4), 0);
	CHECK_EQ(rd(&e, VPL011_RSR_ECR, 4), 0);
	CHECK_EQ(rd(&e, VPL011_DR, 4), 0); /* empty FIFO */
	CHECK(!vpl011_irq_level(&e.uart));
	CHECK_EQ(e.rises + e.falls, 0);
}

/*
 * earlycon=pl011,0x9000000: writeb to DR, readl of FR for TXFF before and
 * BUSY after, and the UART never enabled.
 */
TEST(vpl011_earlycon)
{
	struct env e;
	const char *msg = "Booting Linux\n";

	env_init(&e);
	for (const char *p = msg; *p; p++) {
		CHECK(!(rd(&e, VPL011_FR, 4) & VPL011_FR_TXFF));
		wr(&e, VPL011_DR, 1, (uint8_t)*p);
		CHECK(!(rd(&e, VPL011_FR, 4) & VPL011_FR_BUSY));
	}
	e.out[e.out_len] = '\0';
	CHECK(strcmp(e.out, msg) == 0);
	CHECK_EQ(e.uart.stats.tx, strlen(msg));
	CHECK_EQ(e.uart.stats.tx_disabled, strlen(msg));
	CHECK(!e.level);
}

TEST(vpl011_linux_startup_and_console)
{
	struct env e;
	unsigned int old_cr;

	env_init(&e);
	linux_startup(&e);
	CHECK_EQ(rd(&e, VPL011_IBRD, 2), 0xd);
	CHECK_EQ(rd(&e, VPL011_FBRD, 2), 0x1);
	CHECK_EQ(rd(&e, VPL011_LCR_H, 2), VPL011_LCR_H_WLEN8 | VPL011_LCR_H_FEN);
	CHECK_EQ(rd(&e, VPL011_CR, 2), VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE);
	CHECK_EQ(rd(&e, VPL011_IMSC, 2), VPL011_INT_RT | VPL011_INT_RX);
	CHECK(!e.level);

	/* pl011_console_write */
	old_cr = (unsigned int)rd(&e, VPL011_CR, 2);
	wr(&e, VPL011_CR, 2, (old_cr & ~0x8000U) | VPL011_CR_UARTEN | VPL011_CR_TXE);
	for (const char *p = "login: "; *p; p++) {
		while (rd(&e, VPL011_FR, 2) & VPL011_FR_TXFF)
			;
		wr(&e, VPL011_DR, 2, (uint8_t)*p);
	}
	CHECK(!(rd(&e, VPL011_FR, 2) & VPL011_FR_BUSY));
	wr(&e, VPL011_CR, 2, old_cr);
	e.out[e.out_len] = '\0';
	CHECK(strcmp(e.out, "login: ") == 0);
	CHECK_EQ(e.uart.stats.tx_disabled, 0);
	/* TXIS went up with the bytes, but TXIM is masked: no interrupt */
	CHECK(rd(&e, VPL011_RIS, 2) & VPL011_INT_TX);
	CHECK(!e.level);
	CHECK_EQ(e.redundant, 0);
}

/*
 * The TX interrupt follows the FIFO draining through the trigger level, not
 * the level itself: unmasking TXIM on an idle, acknowledged UART raises
 * nothing; a transmitted byte does; UARTICR clears it.
 */
TEST(vpl011_tx_interrupt_edges)
{
	struct env e;

	env_init(&e);
	linux_startup(&e);
	wr(&e, VPL011_ICR, 2, VPL011_INT_TX);
	wr(&e, VPL011_IMSC, 2, VPL011_INT_RT | VPL011_INT_RX | VPL011_INT_TX);
	CHECK(!e.level);
	wr(&e, VPL011_DR, 2, 'A');
	CHECK(e.level);
	CHECK_EQ(rd(&e, VPL011_MIS, 2), VPL011_INT_TX);
	/* Linux's stop_tx masks TXIM: the line drops, TXIS stays pending */
	wr(&e, VPL011_IMSC, 2, VPL011_INT_RT | VPL011_INT_RX);
	CHECK(!e.level);
	CHECK(rd(&e, VPL011_RIS, 2) & VPL011_INT_TX);
	/* unmasking again with TXIS pending interrupts at once (as after a FIFO refill) */
	wr(&e, VPL011_IMSC, 2, VPL011_INT_RT | VPL011_INT_RX | VPL011_INT_TX);
	CHECK(e.level);
	wr(&e, VPL011_ICR, 2, VPL011_INT_TX);
	CHECK(!e.level);
	CHECK_EQ(e.rises, 2);
	CHECK_EQ(e.falls, 2);
	CHECK_EQ(e.redundant, 0);
}

TEST(vpl011_receive_interrupts)
{
	struct env e;
	char buf[64];
	unsigned int n;

	env_init(&e);
	linux_startup(&e);

	/* One byte, below the 1/2 trigger: only the timeout interrupt brings it in. */
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"x", 1), 1);
	CHECK(e.level);
	CHECK_EQ(rd(&e, VPL011_RIS, 2), VPL011_INT_RT);
	n = linux_irq(&e, buf, sizeof(buf));
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], 'x');
	CHECK(!e.level);
	CHECK_EQ(rd(&e, VPL011_RIS, 2) & (VPL011_INT_RT | VPL011_INT_RX), 0);

	/* 20 bytes: past the trigger of 16, so RXIS too */
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"abcdefghijklmnopqrst", 20), 20);
	CHECK_EQ(rd(&e, VPL011_RIS, 2), VPL011_INT_RT | VPL011_INT_RX);
	CHECK(e.level);
	for (unsigned int i = 0; i < 4; i++)
		(void)rd(&e, VPL011_DR, 2);
	CHECK(rd(&e, VPL011_RIS, 2) & VPL011_INT_RX); /* 16 left: still at the trigger */
	CHECK_EQ(rd(&e, VPL011_DR, 2), 'e');
	CHECK_EQ(rd(&e, VPL011_RIS, 2), VPL011_INT_RT); /* 15 left */
	CHECK(e.level);
	n = linux_irq(&e, buf, sizeof(buf));
	CHECK_EQ(n, 15);
	CHECK(memcmp(buf, "fghijklmnopqrst", 15) == 0);
	CHECK(!e.level);
	CHECK_EQ(e.rises, 2);
	CHECK_EQ(e.falls, 2);
	CHECK_EQ(e.redundant, 0);
	CHECK_EQ(e.uart.stats.rx, 21);
}

/* Each RXIFLSEL level of a 32-entry FIFO, plus a reserved encoding. */
TEST(vpl011_rx_trigger_levels)
{
	static const unsigned int trigger[] = { 4, 8, 16, 24, 28, 16 };

	for (unsigned int sel = 0; sel < ARRAY_SIZE(trigger); sel++) {
		struct env e;

		env_init(&e);
		linux_startup(&e);
		wr(&e, VPL011_IFLS, 2, sel << 3);
		for (unsigned int i = 1; i <= VPL011_FIFO_DEPTH; i++) {
			REQUIRE(vpl011_receive(&e.uart, (const uint8_t *)"z", 1) == 1);
			CHECK_EQ((rd(&e, VPL011_RIS, 2) & VPL011_INT_RX) != 0, i >= trigger[sel]);
		}
	}
}

TEST(vpl011_flow_controlled_receive)
{
	struct env e;
	uint8_t in[40];

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('0' + i);
	env_init(&e);
	/* At reset the receiver is off: nothing taken, nothing lost. */
	CHECK_EQ(vpl011_rx_room(&e.uart), 0);
	CHECK_EQ(vpl011_receive(&e.uart, in, 5), 0);
	CHECK_EQ(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFE, VPL011_FR_RXFE);

	linux_startup(&e);
	CHECK_EQ(vpl011_rx_room(&e.uart), 32);
	CHECK_EQ(vpl011_receive(&e.uart, in, sizeof(in)), 32);
	CHECK(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFF);
	CHECK_EQ(vpl011_rx_room(&e.uart), 0);
	CHECK_EQ(vpl011_receive(&e.uart, in + 32, 8), 0);
	CHECK_EQ(rd(&e, VPL011_DR, 2), '0');
	CHECK(!(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFF));
	CHECK_EQ(vpl011_receive(&e.uart, in + 32, 8), 1);
	CHECK_EQ(rd(&e, VPL011_RSR_ECR, 2), 0);
	CHECK_EQ(e.uart.stats.rx_overrun, 0);
	for (unsigned int i = 1; i <= 32; i++)
		CHECK_EQ(rd(&e, VPL011_DR, 2), in[i]);
	CHECK(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFE);
	CHECK(!e.level);
}

TEST(vpl011_overrun)
{
	struct env e;
	uint8_t in[40];
	uint64_t v;

	for (unsigned int i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)('A' + i);
	env_init(&e);
	CHECK_EQ(vpl011_receive_lossy(&e.uart, in, 3), 0); /* receiver off */
	CHECK_EQ(e.uart.stats.rx_dropped, 3);
	CHECK_EQ(rd(&e, VPL011_RSR_ECR, 2), 0);

	linux_startup(&e);
	CHECK_EQ(vpl011_receive_lossy(&e.uart, in, sizeof(in)), 32);
	CHECK_EQ(e.uart.stats.rx_overrun, 8);
	CHECK_EQ(rd(&e, VPL011_RSR_ECR, 2), VPL011_RSR_OE);
	CHECK(rd(&e, VPL011_RIS, 2) & VPL011_INT_OE);
	CHECK_EQ(rd(&e, VPL011_MIS, 2), VPL011_INT_RT | VPL011_INT_RX); /* OEIM is masked */
	for (unsigned int i = 0; i < 31; i++)
		CHECK_EQ(rd(&e, VPL011_DR, 2), in[i]);
	/* the byte after which data was lost carries OE */
	v = rd(&e, VPL011_DR, 2);
	CHECK_EQ(v, VPL011_DR_OE | in[31]);
	/* UARTECR clears the sticky status; UARTICR the interrupt */
	wr(&e, VPL011_RSR_ECR, 2, 0);
	CHECK_EQ(rd(&e, VPL011_RSR_ECR, 2), 0);
	wr(&e, VPL011_IMSC, 2, VPL011_INT_OE);
	CHECK(e.level);
	wr(&e, VPL011_ICR, 2, VPL011_INT_OE);
	CHECK(!e.level);
	CHECK_EQ(rd(&e, VPL011_RIS, 2), 0);
}

/* UARTICR clears RXIS/RTIS even with data left; the next byte raises RTIS again. */
TEST(vpl011_icr_clears_rx)
{
	struct env e;

	env_init(&e);
	linux_startup(&e);
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"0123456789abcdefXYZ", 19), 19);
	CHECK(e.level);
	wr(&e, VPL011_ICR, 2, VPL011_INT_RT | VPL011_INT_RX);
	CHECK(!e.level);
	CHECK_EQ(rd(&e, VPL011_RIS, 2) & (VPL011_INT_RT | VPL011_INT_RX), 0);
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"!", 1), 1);
	CHECK(e.level);
	/* RXIS does not come back: the FIFO did not cross the trigger, it was above it */
	CHECK_EQ(rd(&e, VPL011_RIS, 2), VPL011_INT_RT);
	CHECK_EQ(e.redundant, 0);
}

/* With FEN clear the FIFO is a one-byte holding register and RXIS fires on one byte. */
TEST(vpl011_fifo_disabled)
{
	struct env e;

	env_init(&e);
	wr(&e, VPL011_CR, 2, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE);
	wr(&e, VPL011_IMSC, 2, VPL011_INT_RX);
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"abc", 3), 1);
	CHECK(e.level);
	CHECK_EQ(rd(&e, VPL011_FR, 2) & (VPL011_FR_RXFF | VPL011_FR_RXFE), VPL011_FR_RXFF);
	CHECK_EQ(vpl011_receive_lossy(&e.uart, (const uint8_t *)"bc", 2), 0);
	CHECK_EQ(rd(&e, VPL011_DR, 2), VPL011_DR_OE | 'a');
	CHECK(!e.level);
	CHECK(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFE);
	/* turning FEN on keeps the contents and grows the room */
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"d", 1), 1);
	wr(&e, VPL011_LCR_H, 2, VPL011_LCR_H_FEN | VPL011_LCR_H_WLEN8);
	CHECK_EQ(vpl011_rx_room(&e.uart), 31);
	CHECK_EQ(rd(&e, VPL011_DR, 2), 'd');
}

TEST(vpl011_loopback)
{
	struct env e;

	env_init(&e);
	linux_startup(&e);
	/* TIOCM_LOOP through pl011_set_mctrl: LBE, RTS and DTR */
	wr(&e, VPL011_CR, 2, rd(&e, VPL011_CR, 2) | VPL011_CR_LBE | VPL011_CR_RTS);
	/* modem outputs looped back: RTS -> CTS, DTR (clear) -> DSR, OUT1 (clear) -> DCD */
	CHECK_EQ(rd(&e, VPL011_FR, 2) &
			 (VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD | VPL011_FR_RI),
		 VPL011_FR_CTS);
	CHECK_EQ(rd(&e, VPL011_RIS, 2), VPL011_INT_DSR | VPL011_INT_DCD);
	wr(&e, VPL011_CR, 2, rd(&e, VPL011_CR, 2) | VPL011_CR_OUT2);
	CHECK(rd(&e, VPL011_FR, 2) & VPL011_FR_RI);
	CHECK(rd(&e, VPL011_RIS, 2) & VPL011_INT_RI);
	wr(&e, VPL011_ICR, 2, VPL011_INT_ALL);

	wr(&e, VPL011_DR, 2, 'L');
	CHECK_EQ(e.out_len, 0);
	CHECK(e.level);
	CHECK_EQ(rd(&e, VPL011_DR, 2), 'L');
	/* the line is disconnected in loopback */
	CHECK_EQ(vpl011_rx_room(&e.uart), 0);
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"x", 1), 0);
	CHECK_EQ(vpl011_receive_lossy(&e.uart, (const uint8_t *)"x", 1), 0);
	/* a full FIFO overruns from loopback too */
	for (unsigned int i = 0; i < 33; i++)
		wr(&e, VPL011_DR, 2, 'a' + i % 26);
	CHECK_EQ(e.uart.stats.rx_overrun, 1);
	/* receiver off: looped bytes are lost */
	wr(&e, VPL011_CR, 2, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_LBE);
	for (unsigned int i = 0; i < 32; i++)
		(void)rd(&e, VPL011_DR, 2);
	wr(&e, VPL011_DR, 2, 'q');
	CHECK(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFE);
	/* back to normal: inputs asserted again */
	wr(&e, VPL011_CR, 2, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE);
	CHECK_EQ(rd(&e, VPL011_FR, 2) &
			 (VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD | VPL011_FR_RI),
		 VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD);
	wr(&e, VPL011_DR, 2, 'o');
	CHECK_EQ(e.out_len, 1);
	CHECK_EQ(e.out[0], 'o');
	CHECK_EQ(e.redundant, 0);
}

TEST(vpl011_unknown_and_read_only)
{
	struct env e;
	static const uint64_t holes[] = { 0x008, 0x00c, 0x010, 0x014, 0x01c,
					  0x04c, 0x080, 0x08c, 0x400, 0xfdc };

	env_init(&e);
	for (unsigned int i = 0; i < ARRAY_SIZE(holes); i++) {
		CHECK_EQ(rd(&e, holes[i], 4), 0);
		wr(&e, holes[i], 4, 0xffffffff);
		CHECK_EQ(rd(&e, holes[i], 4), 0);
	}
	CHECK_EQ(e.uart.stats.unknown_reads, 2 * ARRAY_SIZE(holes));
	CHECK_EQ(e.uart.stats.unknown_writes, ARRAY_SIZE(holes));
	CHECK_EQ(rd(&e, VPL011_ICR, 4), 0); /* write-only */
	CHECK_EQ(e.uart.stats.unknown_reads, 2 * ARRAY_SIZE(holes) + 1);

	/* read-only registers ignore writes */
	wr(&e, VPL011_FR, 4, 0);
	wr(&e, VPL011_RIS, 4, VPL011_INT_ALL);
	wr(&e, VPL011_MIS, 4, VPL011_INT_ALL);
	wr(&e, VPL011_PERIPHID0, 4, 0);
	CHECK(rd(&e, VPL011_FR, 4) & VPL011_FR_RXFE);
	CHECK_EQ(rd(&e, VPL011_RIS, 4), 0);
	CHECK_EQ(rd(&e, VPL011_PERIPHID0, 4), 0x11);
	CHECK_EQ(e.uart.stats.unknown_writes, ARRAY_SIZE(holes) + 4);
	/* reserved bits read as zero */
	wr(&e, VPL011_CR, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_CR, 4), 0xff87);
	wr(&e, VPL011_FBRD, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_FBRD, 4), 0x3f);
	wr(&e, VPL011_IBRD, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_IBRD, 4), 0xffff);
	wr(&e, VPL011_IFLS, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_IFLS, 4), 0x3f);
	wr(&e, VPL011_IMSC, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_IMSC, 4), 0x7ff);
	wr(&e, VPL011_DMACR, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_DMACR, 4), 7);
	wr(&e, VPL011_ILPR, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_ILPR, 4), 0xff);
	wr(&e, VPL011_LCR_H, 4, 0xffffffff);
	CHECK_EQ(rd(&e, VPL011_LCR_H, 4), 0xff);
}

TEST(vpl011_access_sizes)
{
	struct env e;
	uint64_t v;

	env_init(&e);
	/* refused: 64-bit, misaligned, outside the frame */
	CHECK(vpl011_read(&e.uart, VPL011_FR, 8, &v) != 0);
	CHECK(vpl011_write(&e.uart, VPL011_DR, 8, 'x') != 0);
	CHECK(vpl011_read(&e.uart, VPL011_CR + 1, 2, &v) != 0);
	CHECK(vpl011_read(&e.uart, VPL011_CR + 2, 4, &v) != 0);
	CHECK(vpl011_write(&e.uart, VPL011_CR + 3, 2, 0) != 0);
	CHECK(vpl011_read(&e.uart, 0x1000, 1, &v) != 0);
	CHECK(vpl011_read(&e.uart, VPL011_CR, 3, &v) != 0);
	CHECK_EQ(e.uart.stats.bad_accesses, 7);
	CHECK_EQ(e.out_len, 0);

	/* byte lanes: the high byte of CR alone, then the low byte */
	wr(&e, VPL011_CR + 1, 1, 0x0b); /* RTS, TXE, RXE */
	CHECK_EQ(rd(&e, VPL011_CR, 4), 0x0b00);
	wr(&e, VPL011_CR, 1, 0x01);
	CHECK_EQ(rd(&e, VPL011_CR, 4), 0x0b01);
	CHECK_EQ(rd(&e, VPL011_CR + 1, 1), 0x0b);
	CHECK_EQ(rd(&e, VPL011_CR + 2, 2), 0);
	/* UARTICR's upper lane clears OE/BE/PE alone */
	(void)vpl011_receive_lossy(&e.uart, (const uint8_t *)"ab", 2); /* FEN off: 'b' overruns */
	CHECK(rd(&e, VPL011_RIS, 4) & VPL011_INT_OE);
	wr(&e, VPL011_ICR + 1, 1, VPL011_INT_OE >> 8);
	CHECK_EQ(rd(&e, VPL011_RIS, 4) & VPL011_INT_OE, 0);
	CHECK(rd(&e, VPL011_RIS, 4) & VPL011_INT_RT);
	/* a write to the status lane of UARTDR sends nothing */
	wr(&e, VPL011_DR + 1, 1, 0xff);
	CHECK_EQ(e.out_len, 0);
	/* a byte read of UARTDR's error lane still pops (one APB read) */
	CHECK_EQ(rd(&e, VPL011_DR + 1, 1), VPL011_DR_OE >> 8);
	CHECK(rd(&e, VPL011_FR, 4) & VPL011_FR_RXFE);
}

TEST(vpl011_reset_state)
{
	struct env e;

	env_init(&e);
	linux_startup(&e);
	wr(&e, VPL011_DR, 2, 'r');
	CHECK_EQ(vpl011_receive(&e.uart, (const uint8_t *)"pending", 7), 7);
	CHECK(e.level);
	vpl011_reset(&e.uart);
	CHECK(!e.level);
	CHECK_EQ(e.falls, 1);
	CHECK_EQ(rd(&e, VPL011_CR, 4), 0x300);
	CHECK_EQ(rd(&e, VPL011_LCR_H, 4), 0);
	CHECK_EQ(rd(&e, VPL011_IBRD, 4), 0);
	CHECK_EQ(rd(&e, VPL011_IMSC, 4), 0);
	CHECK_EQ(rd(&e, VPL011_RIS, 4), 0);
	CHECK_EQ(rd(&e, VPL011_FR, 4),
		 VPL011_FR_TXFE | VPL011_FR_RXFE | VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD);
	/* statistics survive a guest-visible reset */
	CHECK_EQ(e.uart.stats.tx, 1);
	CHECK_EQ(e.uart.stats.rx, 7);
	/* a reset of a quiet UART reports nothing */
	vpl011_reset(&e.uart);
	CHECK_EQ(e.falls, 1);
	CHECK_EQ(e.redundant, 0);
}

static void null_ops_smoke(const struct vpl011_ops *ops)
{
	struct vpl011 uart;
	uint64_t v;

	vpl011_init(&uart, ops, NULL);
	CHECK(vpl011_write(&uart, VPL011_CR, 4, VPL011_CR_UARTEN | VPL011_CR_TXE | VPL011_CR_RXE) ==
	      0);
	CHECK(vpl011_write(&uart, VPL011_IMSC, 4, VPL011_INT_ALL) == 0);
	CHECK(vpl011_write(&uart, VPL011_DR, 4, 'n') == 0);
	CHECK(vpl011_irq_level(&uart));
	CHECK(vpl011_read(&uart, VPL011_MIS, 4, &v) == 0);
	CHECK_EQ(v, VPL011_INT_TX);
	CHECK_EQ(uart.stats.tx, 1);
}

TEST(vpl011_without_callbacks)
{
	static const struct vpl011_ops none = { NULL, NULL };

	null_ops_smoke(NULL);
	null_ops_smoke(&none);
}

/* Through the MMIO bus and the data-abort path, as the exit handler will use it. */
TEST(vpl011_on_mmio_bus)
{
	struct env e;
	struct mmio_bus bus;
	struct abort_dabt d;
	uint64_t x[31] = { 0 };
	uint64_t v = 'H';

	env_init(&e);
	mmio_bus_init(&bus);
	REQUIRE(mmio_register(&bus, 0x9000000, VPL011_MMIO_SIZE, "pl011", &vpl011_mmio_ops,
			      &e.uart) == 0);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000000, 1, true, &v), MMIO_OK);
	CHECK_EQ(e.out_len, 1);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000fe8, 4, false, &v), MMIO_OK);
	CHECK_EQ(v, 0x34);
	CHECK_EQ(mmio_dispatch(&bus, 0, 0x9000018, 8, false, &v), MMIO_REFUSED);
	CHECK_EQ(bus.regions[0].refused, 1);

	/* ldrh w2, [x1] with x1 = UARTFR: ESR 0x93420006 (stage-2 translation fault, level 2) */
	REQUIRE(abort_dabt_decode(0x93420006ULL, &d) == 0);
	CHECK_EQ(d.size, 2);
	CHECK_EQ(d.reg, 2);
	x[2] = 0xffffffffffffffffULL;
	CHECK_EQ(mmio_emulate_dabt(&bus, 0, &d, 0x9000018, x), MMIO_OK);
	CHECK_EQ(x[2],
		 VPL011_FR_TXFE | VPL011_FR_RXFE | VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD);
}

/* Random register traffic and input: the invariants hold throughout, no byte is invented. */
TEST(vpl011_random_traffic)
{
	static const uint64_t regs[] = { VPL011_DR,  VPL011_RSR_ECR, VPL011_FR,	  VPL011_LCR_H,
					 VPL011_CR,  VPL011_IFLS,    VPL011_IMSC, VPL011_RIS,
					 VPL011_MIS, VPL011_ICR,     VPL011_IBRD, VPL011_DMACR };
	struct env e;
	uint32_t seed = 12345;
	uint64_t popped = 0;
	uint8_t in[40];

	env_init(&e);
	for (unsigned int step = 0; step < 20000; step++) {
		uint32_t r;
		size_t n;

		seed = seed * 1103515245U + 12345U;
		r = seed >> 8;
		switch (r % 6) {
		case 0:
			n = vpl011_receive(&e.uart, in, (r >> 4) % sizeof(in));
			CHECK(n <= VPL011_FIFO_DEPTH);
			env_check(&e);
			break;
		case 1:
			(void)vpl011_receive_lossy(&e.uart, in, (r >> 4) % sizeof(in));
			env_check(&e);
			break;
		case 2:
			if (!(rd(&e, VPL011_FR, 2) & VPL011_FR_RXFE)) {
				(void)rd(&e, VPL011_DR, 2);
				popped++;
			}
			break;
		case 3:
			(void)rd(&e, regs[(r >> 4) % ARRAY_SIZE(regs)], 4);
			break;
		default:
			wr(&e, regs[(r >> 4) % ARRAY_SIZE(regs)], 2, r >> 12);
			break;
		}
		if (step % 5000 == 0) {
			vpl011_reset(&e.uart);
			env_check(&e);
		}
	}
	CHECK(e.uart.stats.rx >= popped);
	CHECK(e.rises > 0);
}
