/* SPDX-License-Identifier: MIT */
/*
 * Emulated PL011 r1p5 (DDI 0183G). The interrupt model is in docs/vpl011.md;
 * the short version: RXIS and TXIS fire on FIFO level transitions, as the
 * TRM describes, and the receive timeout RTIS fires as soon as a byte lands
 * in the FIFO because there is no line timing to wait for.
 */
#include <rhenium/string.h>
#include <rhenium/vpl011.h>

/* UARTPeriphID0-3 then UARTPCellID0-3: part 0x011, designer 0x41 (Arm), revision 3 (r1p5). */
static const uint8_t vpl011_id[8] = { 0x11, 0x10, 0x34, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

/* Reserved bits read as zero, so they are dropped on the way in. */
#define VPL011_CR_BITS 0xff87U
#define VPL011_DR_ERR_BITS (VPL011_DR_FE | VPL011_DR_PE | VPL011_DR_BE | VPL011_DR_OE)

static unsigned int vpl011_depth(const struct vpl011 *uart)
{
	return (uart->lcr_h & VPL011_LCR_H_FEN) ? VPL011_FIFO_DEPTH : 1;
}

/* RXIFLSEL as a byte count; the reserved encodings 0b101-0b111 behave like the reset 1/2. */
static unsigned int vpl011_rx_trigger(const struct vpl011 *uart)
{
	static const uint8_t eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 };

	if (!(uart->lcr_h & VPL011_LCR_H_FEN))
		return 1;
	return eighths[(uart->ifls >> 3) & 7] * VPL011_FIFO_DEPTH / 8;
}

static bool vpl011_rx_enabled(const struct vpl011 *uart)
{
	return (uart->cr & (VPL011_CR_UARTEN | VPL011_CR_RXE)) ==
	       (VPL011_CR_UARTEN | VPL011_CR_RXE);
}

static bool vpl011_loopback(const struct vpl011 *uart)
{
	return (uart->cr & VPL011_CR_LBE) != 0;
}

/*
 * Modem status inputs as UARTFR bits. With nothing attached, report a
 * terminal that is present and ready (CTS, DSR, DCD asserted), so nothing in
 * the guest waits for carrier; loopback wires the CR outputs back (TRM,
 * UARTCR.LBE).
 */
static unsigned int vpl011_modem_inputs(const struct vpl011 *uart)
{
	unsigned int in = 0;

	if (!vpl011_loopback(uart))
		return VPL011_FR_CTS | VPL011_FR_DSR | VPL011_FR_DCD;
	if (uart->cr & VPL011_CR_RTS)
		in |= VPL011_FR_CTS;
	if (uart->cr & VPL011_CR_DTR)
		in |= VPL011_FR_DSR;
	if (uart->cr & VPL011_CR_OUT1)
		in |= VPL011_FR_DCD;
	if (uart->cr & VPL011_CR_OUT2)
		in |= VPL011_FR_RI;
	return in;
}

static uint16_t vpl011_modem_change_ints(unsigned int changed)
{
	uint16_t ints = 0;

	if (changed & VPL011_FR_CTS)
		ints |= VPL011_INT_CTS;
	if (changed & VPL011_FR_DSR)
		ints |= VPL011_INT_DSR;
	if (changed & VPL011_FR_DCD)
		ints |= VPL011_INT_DCD;
	if (changed & VPL011_FR_RI)
		ints |= VPL011_INT_RI;
	return ints;
}

static void vpl011_update_irq(struct vpl011 *uart)
{
	bool level = (uart->ris & uart->imsc) != 0;

	if (level == uart->irq_level)
		return;
	uart->irq_level = level;
	if (uart->ops && uart->ops->set_irq)
		uart->ops->set_irq(uart->ctx, level);
}

static unsigned int vpl011_flags(const struct vpl011 *uart)
{
	/* Transmission is instant: the TX FIFO is always empty and never busy. */
	unsigned int fr = VPL011_FR_TXFE | vpl011_modem_inputs(uart);

	if (uart->fifo_count == 0)
		fr |= VPL011_FR_RXFE;
	if (uart->fifo_count >= vpl011_depth(uart))
		fr |= VPL011_FR_RXFF;
	return fr;
}

/* Caller checked there is room. */
static void vpl011_fifo_push(struct vpl011 *uart, uint8_t c)
{
	unsigned int trigger = vpl011_rx_trigger(uart);
	unsigned int before = uart->fifo_count;

	uart->fifo[(uart->fifo_head + before) % VPL011_FIFO_DEPTH] = c;
	uart->fifo_count = before + 1;
	uart->stats.rx++;
	/*
	 * The receive timeout has "expired" at once: guests read the FIFO from
	 * the interrupt only, and RXIS alone would strand bytes below the trigger.
	 */
	uart->ris |= VPL011_INT_RT;
	if (before < trigger && uart->fifo_count >= trigger)
		uart->ris |= VPL011_INT_RX;
}

/*
 * The FIFO keeps what it has and the newcomer is lost; the OE flag goes on
 * the newest stored byte, so the guest sees the gap right where it happened.
 */
static void vpl011_overrun(struct vpl011 *uart)
{
	unsigned int last;

	uart->rsr |= VPL011_RSR_OE;
	uart->ris |= VPL011_INT_OE;
	uart->stats.rx_overrun++;
	if (uart->fifo_count > 0) {
		last = (uart->fifo_head + uart->fifo_count - 1) % VPL011_FIFO_DEPTH;
		uart->fifo[last] |= VPL011_DR_OE;
	}
}

/* One byte arriving from the line (or from loopback) into an enabled receiver. */
static bool vpl011_line_byte(struct vpl011 *uart, uint8_t c)
{
	if (uart->fifo_count >= vpl011_depth(uart)) {
		vpl011_overrun(uart);
		return false;
	}
	vpl011_fifo_push(uart, c);
	return true;
}

static uint16_t vpl011_fifo_pop(struct vpl011 *uart)
{
	uint16_t entry;

	if (uart->fifo_count == 0)
		return 0;
	entry = uart->fifo[uart->fifo_head];
	uart->fifo_head = (uart->fifo_head + 1) % VPL011_FIFO_DEPTH;
	uart->fifo_count--;
	/* UARTRSR holds the errors of the byte just read, until cleared through UARTECR. */
	uart->rsr |= (uint8_t)((entry & VPL011_DR_ERR_BITS) >> 8);
	if (uart->fifo_count < vpl011_rx_trigger(uart))
		uart->ris &= (uint16_t)~VPL011_INT_RX;
	if (uart->fifo_count == 0)
		uart->ris &= (uint16_t)~VPL011_INT_RT;
	vpl011_update_irq(uart);
	return entry;
}

static void vpl011_transmit(struct vpl011 *uart, uint8_t c)
{
	if (!(uart->cr & VPL011_CR_UARTEN) || !(uart->cr & VPL011_CR_TXE))
		uart->stats.tx_disabled++;
	if (vpl011_loopback(uart)) {
		if (vpl011_rx_enabled(uart))
			vpl011_line_byte(uart, c);
	} else {
		uart->stats.tx++;
		if (uart->ops && uart->ops->tx)
			uart->ops->tx(uart->ctx, c);
	}
	/*
	 * The byte left the FIFO at once, so the FIFO just passed down through
	 * the TX trigger level: that transition is what raises TXIS (TRM,
	 * UARTTXINTR). Being already empty, it never rises above the level
	 * again, so only UARTICR clears TXIS.
	 */
	uart->ris |= VPL011_INT_TX;
	vpl011_update_irq(uart);
}

static void vpl011_write_cr(struct vpl011 *uart, uint32_t value)
{
	unsigned int before = vpl011_modem_inputs(uart);

	uart->cr = (uint16_t)(value & VPL011_CR_BITS);
	uart->ris |= vpl011_modem_change_ints(before ^ vpl011_modem_inputs(uart));
	vpl011_update_irq(uart);
}

void vpl011_reset(struct vpl011 *uart)
{
	uart->rsr = 0;
	uart->ilpr = 0;
	uart->ibrd = 0;
	uart->fbrd = 0;
	uart->lcr_h = 0;
	uart->cr = VPL011_CR_RESET;
	uart->ifls = VPL011_IFLS_RESET;
	uart->imsc = 0;
	uart->ris = 0;
	uart->dmacr = 0;
	memset(uart->fifo, 0, sizeof(uart->fifo));
	uart->fifo_head = 0;
	uart->fifo_count = 0;
	vpl011_update_irq(uart);
}

void vpl011_init(struct vpl011 *uart, const struct vpl011_ops *ops, void *ctx)
{
	memset(uart, 0, sizeof(*uart));
	uart->ops = ops;
	uart->ctx = ctx;
	vpl011_reset(uart);
}

/* Registers that simply hold what the guest wrote; false for everything else. */
static bool vpl011_plain_reg(const struct vpl011 *uart, uint64_t reg, uint32_t *value)
{
	switch (reg) {
	case VPL011_ILPR:
		*value = uart->ilpr;
		return true;
	case VPL011_IBRD:
		*value = uart->ibrd;
		return true;
	case VPL011_FBRD:
		*value = uart->fbrd;
		return true;
	case VPL011_LCR_H:
		*value = uart->lcr_h;
		return true;
	case VPL011_CR:
		*value = uart->cr;
		return true;
	case VPL011_IFLS:
		*value = uart->ifls;
		return true;
	case VPL011_IMSC:
		*value = uart->imsc;
		return true;
	case VPL011_DMACR:
		*value = uart->dmacr;
		return true;
	default:
		return false;
	}
}

static uint32_t vpl011_reg_read(struct vpl011 *uart, uint64_t reg)
{
	uint32_t value;

	if (reg >= VPL011_PERIPHID0 && reg < VPL011_MMIO_SIZE)
		return vpl011_id[(reg - VPL011_PERIPHID0) / 4];
	switch (reg) {
	case VPL011_DR:
		return vpl011_fifo_pop(uart);
	case VPL011_RSR_ECR:
		return uart->rsr;
	case VPL011_FR:
		return vpl011_flags(uart);
	case VPL011_RIS:
		return uart->ris;
	case VPL011_MIS:
		return uart->ris & uart->imsc;
	default:
		break;
	}
	if (vpl011_plain_reg(uart, reg, &value))
		return value;
	/* Includes write-only UARTICR and the test registers. */
	uart->stats.unknown_reads++;
	return 0;
}

/* What a narrow write merges into: the stored value of plain registers, zero for commands. */
static uint32_t vpl011_reg_shadow(const struct vpl011 *uart, uint64_t reg)
{
	uint32_t value;

	return vpl011_plain_reg(uart, reg, &value) ? value : 0;
}

static void vpl011_reg_write(struct vpl011 *uart, uint64_t reg, uint32_t value, bool covers_low)
{
	switch (reg) {
	case VPL011_DR:
		/* Bits [11:8] are read-only status: a write that misses the data byte sends nothing. */
		if (covers_low)
			vpl011_transmit(uart, (uint8_t)value);
		return;
	case VPL011_RSR_ECR:
		uart->rsr = 0;
		return;
	case VPL011_ILPR:
		uart->ilpr = (uint8_t)value;
		return;
	case VPL011_IBRD:
		uart->ibrd = (uint16_t)value;
		return;
	case VPL011_FBRD:
		uart->fbrd = (uint8_t)(value & 0x3f);
		return;
	/* Latches IBRD/FBRD in hardware; without line timing the divisors are only kept. */
	case VPL011_LCR_H:
		uart->lcr_h = (uint8_t)value;
		return;
	case VPL011_CR:
		vpl011_write_cr(uart, value);
		return;
	case VPL011_IFLS:
		uart->ifls = (uint8_t)(value & 0x3f);
		return;
	case VPL011_IMSC:
		uart->imsc = (uint16_t)(value & VPL011_INT_ALL);
		vpl011_update_irq(uart);
		return;
	case VPL011_ICR:
		uart->ris &= (uint16_t) ~(value & VPL011_INT_ALL);
		vpl011_update_irq(uart);
		return;
	case VPL011_DMACR:
		uart->dmacr = (uint8_t)(value & 7);
		return;
	default:
		break;
	}
	/* UARTFR, UARTRIS, UARTMIS, the ID registers, the test registers, holes. */
	uart->stats.unknown_writes++;
}

/*
 * Linux reaches these registers with 32-bit (AMBA ID probe, mmio32
 * earlycon), 16-bit (the amba-pl011 driver's readw/writew) and 8-bit
 * (earlycon's writeb to UARTDR) accesses, so all three are served, naturally
 * aligned, on the byte lanes of the 32-bit register they fall in.
 */
static bool vpl011_access_ok(struct vpl011 *uart, uint64_t offset, unsigned int size)
{
	if ((size == 1 || size == 2 || size == 4) && offset % size == 0 &&
	    offset < VPL011_MMIO_SIZE)
		return true;
	uart->stats.bad_accesses++;
	return false;
}

int vpl011_read(struct vpl011 *uart, uint64_t offset, unsigned int size, uint64_t *value)
{
	unsigned int shift = (unsigned int)(offset & 3) * 8;

	if (!vpl011_access_ok(uart, offset, size))
		return -1;
	*value = (vpl011_reg_read(uart, offset & ~3ULL) >> shift) &
		 (size == 4 ? 0xffffffffULL : (1ULL << (size * 8)) - 1);
	return 0;
}

int vpl011_write(struct vpl011 *uart, uint64_t offset, unsigned int size, uint64_t value)
{
	uint64_t reg = offset & ~3ULL;
	unsigned int shift = (unsigned int)(offset & 3) * 8;
	uint32_t mask;
	uint32_t merged;

	if (!vpl011_access_ok(uart, offset, size))
		return -1;
	mask = size == 4 ? 0xffffffffU : ((1U << (size * 8)) - 1) << shift;
	merged = (vpl011_reg_shadow(uart, reg) & ~mask) | (((uint32_t)value << shift) & mask);
	vpl011_reg_write(uart, reg, merged, shift == 0);
	return 0;
}

static int vpl011_mmio_read(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			    uint64_t *value)
{
	UNUSED(vcpu);
	return vpl011_read(ctx, offset, size, value);
}

static int vpl011_mmio_write(void *ctx, unsigned int vcpu, uint64_t offset, unsigned int size,
			     uint64_t *value)
{
	UNUSED(vcpu);
	return vpl011_write(ctx, offset, size, *value);
}

const struct mmio_ops vpl011_mmio_ops = { vpl011_mmio_read, vpl011_mmio_write };

size_t vpl011_rx_room(const struct vpl011 *uart)
{
	unsigned int depth = vpl011_depth(uart);

	if (!vpl011_rx_enabled(uart) || vpl011_loopback(uart) || uart->fifo_count >= depth)
		return 0;
	return depth - uart->fifo_count;
}

size_t vpl011_receive(struct vpl011 *uart, const uint8_t *buf, size_t len)
{
	size_t n = MIN(len, vpl011_rx_room(uart));

	for (size_t i = 0; i < n; i++)
		vpl011_fifo_push(uart, buf[i]);
	vpl011_update_irq(uart);
	return n;
}

size_t vpl011_receive_lossy(struct vpl011 *uart, const uint8_t *buf, size_t len)
{
	size_t stored = 0;

	if (!vpl011_rx_enabled(uart) || vpl011_loopback(uart)) {
		uart->stats.rx_dropped += len;
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		stored += vpl011_line_byte(uart, buf[i]) ? 1 : 0;
	vpl011_update_irq(uart);
	return stored;
}

bool vpl011_irq_level(const struct vpl011 *uart)
{
	return uart->irq_level;
}
