/* SPDX-License-Identifier: MIT */
/*
 * Output-only driver for the physical Arm PL011 UART (Arm DDI 0183), used as
 * the hypervisor's console. The firmware or QEMU has set the baud rate; we
 * only make sure the UART and its transmitter are enabled.
 */
#include <arch/pl011.h>

#define PL011_DR 0x00
#define PL011_FR 0x18
#define PL011_CR 0x30
#define PL011_IMSC 0x38
#define PL011_ICR 0x44
#define PL011_FR_RXFE (1U << 4)
#define PL011_FR_TXFF (1U << 5)
#define PL011_INT_RX (1U << 4)
#define PL011_INT_RT (1U << 6)
#define PL011_CR_RXE (1U << 9)
#define PL011_CR_UARTEN (1U << 0)
#define PL011_CR_TXE (1U << 8)

/* Bounded wait: a wedged UART must not hang a CPU that is trying to panic. */
#define PL011_TX_SPIN_LIMIT 1000000

static inline uint32_t pl011_read(const struct pl011 *uart, uint32_t reg)
{
	return *(volatile uint32_t *)(uintptr_t)(uart->base + reg);
}

static inline void pl011_write(const struct pl011 *uart, uint32_t reg, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)(uart->base + reg) = val;
}

static void pl011_putc(void *ctx, char c)
{
	struct pl011 *uart = ctx;

	for (unsigned int spins = 0; pl011_read(uart, PL011_FR) & PL011_FR_TXFF; spins++) {
		if (spins == PL011_TX_SPIN_LIMIT)
			return;
	}
	pl011_write(uart, PL011_DR, (uint32_t)(unsigned char)c);
}

void pl011_init(struct pl011 *uart, paddr_t base)
{
	uint32_t cr;

	uart->base = base;
	uart->console.name = "pl011";
	uart->console.putc = pl011_putc;
	uart->console.ctx = uart;

	cr = pl011_read(uart, PL011_CR);
	if ((cr & (PL011_CR_UARTEN | PL011_CR_TXE)) != (PL011_CR_UARTEN | PL011_CR_TXE))
		pl011_write(uart, PL011_CR, cr | PL011_CR_UARTEN | PL011_CR_TXE);
}

void pl011_enable_rx_irq(struct pl011 *uart)
{
	pl011_write(uart, PL011_CR, pl011_read(uart, PL011_CR) | PL011_CR_RXE);
	pl011_write(uart, PL011_ICR, PL011_INT_RX | PL011_INT_RT);
	pl011_write(uart, PL011_IMSC, pl011_read(uart, PL011_IMSC) | PL011_INT_RX | PL011_INT_RT);
}

size_t pl011_read_input(struct pl011 *uart, uint8_t *buf, size_t max)
{
	size_t n = 0;

	while (n < max && !(pl011_read(uart, PL011_FR) & PL011_FR_RXFE))
		buf[n++] = (uint8_t)pl011_read(uart, PL011_DR);
	return n;
}
